/* listen.h — the sockets clients connect to: listen.host:port over TCP
 * and, with listen.unix_socket_dir set, <dir>/.s.PGSQL.<port>. Whoever
 * accepts owns them: the single process, or the supervisor when
 * listen.workers > 1 (it hands each accepted socket to a worker). */
#ifndef SG_LISTEN_H
#define SG_LISTEN_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "errors.h"

/* The clients' Unix socket. path is set, and the file is ours to remove,
 * once bind succeeded. */
typedef struct sg_unix_listener {
	uv_pipe_t pipe;
	bool open;  /* pipe initialised: close it */
	bool bound; /* path exists because we bound it: unlink it */
	char path[108];
} sg_unix_listener_t;

/* Binds and listens on listen.host:port (IPv4 or IPv6 literal); the
 * handle is initialised on every path, so the caller closes it. */
int sg_listen_tcp(uv_loop_t *loop, uv_tcp_t *listener, const config_t *cfg, uv_connection_cb cb) SG_WUR;
/* Listens on listen.unix_socket_dir/.s.PGSQL.<listen.port>, mode 0777 as
 * PostgreSQL's own socket (authentication still applies); does nothing
 * when the directory is unset. Refuses a socket another server still
 * answers on; a stale one (nobody answers) is replaced. The data field
 * of l->pipe is the caller's. */
int sg_listen_unix(uv_loop_t *loop, sg_unix_listener_t *l, const config_t *cfg, uv_connection_cb cb) SG_WUR;
/* Stops listening and removes the socket file; safe to call twice. */
void sg_listen_unix_close(sg_unix_listener_t *l);

#endif
