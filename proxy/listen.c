/* listen.c — the client listeners (see listen.h). */
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int sg_listen_tcp(uv_loop_t *loop, uv_tcp_t *listener, const config_t *cfg, uv_connection_cb cb)
{
	struct sockaddr_storage addr;
	int err;

	err = uv_ip4_addr(cfg->listen.host, cfg->listen.port, (struct sockaddr_in *)&addr);
	if (err != 0)
		err = uv_ip6_addr(cfg->listen.host, cfg->listen.port, (struct sockaddr_in6 *)&addr);
	uv_tcp_init(loop, listener);
	if (err != 0) {
		sg_log(LOG_ERROR, "event=listen_failed host=%s error=\"not an IP address\"",
		       cfg->listen.host);
		return err;
	}
	err = uv_tcp_bind(listener, (struct sockaddr *)&addr, 0);
	if (err == 0)
		err = uv_listen((uv_stream_t *)listener, 1024, cb);
	if (err != 0) {
		sg_log(LOG_ERROR, "event=listen_failed host=%s port=%d error=\"%s\"", cfg->listen.host,
		       cfg->listen.port, uv_strerror(err));
		return err;
	}
	sg_log(LOG_INFO, "event=listening host=%s port=%d", cfg->listen.host, cfg->listen.port);
	return 0;
}

/* Clears the way for binding path: nothing there, or a socket nobody
 * answers on (left by a process that died), which is removed. A live
 * server's socket, or a file that is not a socket, stays and is refused:
 * stealing another server's socket would silently split its clients. */
static int unix_path_clear(const char *path, const char **why)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		*why = "the path exists and is not a socket";
		return SG_EIO;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket() failed";
		return SG_EIO;
	}
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	saved = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full — alive all the same. */
	if (rc == 0 || saved == EAGAIN) {
		*why = "another server is listening on it";
		return SG_EIO;
	}
	/* Only a refusal proves nobody listens; anything else (EACCES: some
	 * other user's socket) is not ours to remove. */
	if (saved != ECONNREFUSED) {
		*why = "the socket's owner could not be checked (connect failed)";
		return SG_EIO;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		*why = "a stale socket could not be removed";
		return SG_EIO;
	}
	sg_log(LOG_INFO, "event=stale_socket_removed path=%s", path);
	return 0;
}

int sg_listen_unix(uv_loop_t *loop, sg_unix_listener_t *l, const config_t *cfg, uv_connection_cb cb)
{
	const char *dir = cfg->listen.unix_socket_dir, *why = NULL;
	int err;

	if (dir[0] == '\0')
		return 0;
	/* config_validate bounds the directory's length. */
	snprintf(l->path, sizeof(l->path), "%s/.s.PGSQL.%d", dir, cfg->listen.port);
	uv_pipe_init(loop, &l->pipe, 0);
	l->open = true;
	err = unix_path_clear(l->path, &why);
	if (err == 0) {
		err = uv_pipe_bind(&l->pipe, l->path);
		l->bound = err == 0;
	}
	/* Any local user may connect, as to PostgreSQL's socket; who gets in
	 * is auth's decision. The directory's permissions can narrow it. */
	if (err == 0 && chmod(l->path, 0777) != 0) {
		err = SG_EIO;
		why = strerror(errno);
	}
	if (err == 0)
		err = uv_listen((uv_stream_t *)&l->pipe, 1024, cb);
	if (err != 0) {
		sg_log(LOG_ERROR, "event=listen_failed path=%s error=\"%s\"", l->path,
		       why != NULL ? why : sg_strerror(err));
		return err;
	}
	sg_log(LOG_INFO, "event=listening path=%s", l->path);
	return 0;
}

void sg_listen_unix_close(sg_unix_listener_t *l)
{
	if (l->open)
		uv_close((uv_handle_t *)&l->pipe, NULL);
	if (l->bound)
		unlink(l->path);
	l->open = l->bound = false;
}
