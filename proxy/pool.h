/* pool.h — backend connections to one shard host, shared by clients.
 *
 * A client checks a server out for the length of a transaction (or its
 * whole session in session mode or when pinned) and gives it back with
 * sg_pool_release. When none is idle and the pool is below `size`, a new
 * connection is opened; otherwise the client waits in a FIFO queue until
 * a server is released or `checkout_timeout` passes (SQLSTATE 53300).
 * The pool owns its servers; clients borrow them. */
#ifndef SG_POOL_H
#define SG_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "config.h"
#include "errors.h"
#include "types.h"

/* The server parameters a new client is greeted with (from the first
 * backend login); values owned by the pool. */
typedef struct sg_params {
	char **names;
	char **values;
	size_t n, cap;
	uint64_t hash;         /* sg_params_hash cache, 0 when stale */
	uint64_t parse_digest; /* sg_params_parse_digest cache, 0 when stale */
} sg_params_t;

void sg_params_free(sg_params_t *p);
const char *sg_params_get(const sg_params_t *p, const char *name);
int sg_params_set(sg_params_t *p, const char *name, const char *value) SG_WUR;
void sg_params_del(sg_params_t *p, const char *name);
/* An order-independent digest of the (name, value) pairs, names
 * case-insensitive: equal digests mean equal settings. Never 0. */
uint64_t sg_params_hash(sg_params_t *p);
/* A digest of the settings that change what a statement's text means to
 * PostgreSQL's parser and analyser (search_path, standard_conforming_strings,
 * transform_null_equals); never 0. Statements kept prepared on backends are
 * shared only between sessions with the same digest. */
uint64_t sg_params_parse_digest(sg_params_t *p);
/* dst must be empty. */
int sg_params_copy(sg_params_t *dst, const sg_params_t *src) SG_WUR;

struct sg_pool {
	sg_proxy_t *px; /* borrowed */
	char *shard;    /* owned copies: a pool outlives a config reload */
	char *host;
	int port;
	char *database;
	char *user;
	char *password;
	int size;
	int shard_index; /* in the current config; -1 once retired */

	sg_list_t idle;    /* sg_server_t.pool_node, most recent first */
	sg_list_t active;  /* attached to a client */
	sg_list_t pending; /* connecting or logging in */
	sg_list_t waiters; /* sg_client_t.wait_node, FIFO */
	size_t nidle, nactive, npending, nwaiting;
	size_t nclosing;   /* closed, memory not yet freed */
	bool want_welcome; /* a client is waiting for the first login */

	struct sockaddr_storage addr; /* resolved when the pool is made (TCP) */
	char unix_path[108];          /* "<host>/.s.PGSQL.<port>" when host is a directory, else "" */
	sg_params_t welcome_raw;      /* ParameterStatus values of backend logins */
	bool have_welcome;
	int consecutive_failures;
	char last_error[256];

	bool retired;
	sg_list_t retired_node;
	uint64_t served;  /* checkouts */
	char collate[64]; /* the database's datcollate, learnt at its first fan-out ("" unknown) */
};

/* A backend socket: TCP, or a Unix-domain socket when the configured host
 * is a directory (libpq's convention: host=/var/run/postgresql). */
typedef union sg_backend_handle {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
} sg_backend_handle_t;

/* Initialises h (its data set to `data`) and connects it to the pool's
 * target; cb reports the outcome. On a non-zero return h was initialised
 * and must be closed with uv_close; cb will not run. */
int sg_pool_connect(sg_pool_t *pool, sg_backend_handle_t *h, void *data, uv_connect_t *req,
                    uv_connect_cb cb) SG_WUR;

/* Resolves the shard's primary host (blocking, at start and reload only). */
int sg_pool_new(sg_proxy_t *px, const cfg_shard_t *shard, int shard_index, int size, sg_pool_t **out) SG_WUR;
void sg_pool_free(sg_pool_t *pool);
/* Same backend target (host, port, database, credentials)? */
bool sg_pool_matches(const sg_pool_t *pool, const cfg_shard_t *shard);

/* Asks for a server. Returns it at once when one is idle; otherwise
 * queues the client (opening a connection if the pool has room) and
 * returns NULL: the client is resumed by client_server_ready() or
 * client_checkout_failed(). */
sg_server_t *sg_pool_checkout(sg_pool_t *pool, sg_client_t *client);
/* Removes a client from the wait queue (disconnect). */
void sg_pool_cancel_wait(sg_pool_t *pool, sg_client_t *client);
/* Gives a server back. A server that is not clean (in a transaction, or
 * marked for closing, or the pool retired) is closed instead. */
void sg_pool_release(sg_pool_t *pool, sg_server_t *server);
/* A server finished logging in (ok) or failed (err < 0, msg says why). */
void sg_pool_server_ready(sg_pool_t *pool, sg_server_t *server);
void sg_pool_server_gone(sg_pool_t *pool, sg_server_t *server, const char *why);
/* A closed server's memory was freed: a retired pool may go now. */
void sg_pool_server_freed(sg_pool_t *pool);
/* Periodic work: checkout timeouts and idle server expiry. */
void sg_pool_tick(sg_pool_t *pool, uint64_t now_ms);
/* Makes sure the welcome parameters exist (connects if needed). */
void sg_pool_need_welcome(sg_pool_t *pool);
/* Retire: close idle servers now and the rest when released. */
void sg_pool_retire(sg_pool_t *pool);
bool sg_pool_is_empty(const sg_pool_t *pool);

#endif
