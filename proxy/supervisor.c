/* supervisor.c — listen.workers > 1: the parent process. It forks the
 * workers before any event loop exists, then owns the client listeners
 * (TCP, and the Unix socket of listen.unix_socket_dir) and one channel
 * per worker (see worker.h). It never speaks PostgreSQL: it
 * accepts, hands each socket to the next live worker round-robin, relays
 * control frames between workers, forwards SIGHUP/SIGTERM/SIGINT, and
 * exits when the last worker has. A worker that dies unasked stops the
 * others too (exit status 1), so a service manager restarts the whole. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "worker.h"

#define SUP_MAX_WORKERS 64

typedef struct sup_worker {
	pid_t pid; /* 0 once reaped */
	int fd;    /* the supervisor's end of the channel */
	uv_pipe_t pipe;
	bool pipe_open;
	uint8_t in[sizeof(sg_wk_frame_t) * 16];
	size_t len;
} sup_worker_t;

typedef struct sup {
	uv_loop_t *loop;
	const config_t *cfg;
	uv_tcp_t listener;
	bool listening;
	sg_unix_listener_t unix_listener;
	uv_signal_t sig[4]; /* SIGTERM, SIGINT, SIGHUP, SIGCHLD */
	sup_worker_t w[SUP_MAX_WORKERS];
	int n, live, next;
	pid_t parent;
	bool stopping;
	int exit_code;
} sup_t;

typedef struct sup_send {
	uv_write_t req; /* first: the write callback frees the whole */
	sg_wk_frame_t f;
	uv_stream_t *conn; /* the client socket sent along, closed once sent */
} sup_send_t;

/* An accepted client socket on its way to a worker (heap, freed on close). */
typedef union sup_conn {
	uv_tcp_t tcp;
	uv_pipe_t pipe;
} sup_conn_t;

static void sup_free_cb(uv_handle_t *h)
{
	free(h);
}

static void sup_send_cb(uv_write_t *req, int status)
{
	sup_send_t *s = (sup_send_t *)req;

	if (status < 0)
		sg_log(LOG_WARN, "event=worker_send_failed error=\"%s\"", uv_strerror(status));
	if (s->conn != NULL)
		uv_close((uv_handle_t *)s->conn, sup_free_cb);
	free(s);
}

/* Queues a frame (and conn, when not NULL) to worker k; conn is closed
 * here once the worker has it, or at once when it cannot be sent. */
static int sup_send(sup_worker_t *wk, const sg_wk_frame_t *f, uv_stream_t *conn)
{
	sup_send_t *s = calloc(1, sizeof(*s));
	uv_buf_t buf;
	int err = SG_ENOMEM;

	if (s != NULL && wk->pipe_open) {
		s->f = *f;
		s->conn = conn;
		buf = uv_buf_init((char *)&s->f, sizeof(s->f));
		err = uv_write2(&s->req, (uv_stream_t *)&wk->pipe, &buf, 1, conn, sup_send_cb);
		if (err == 0)
			return 0;
	}
	free(s);
	if (conn != NULL)
		uv_close((uv_handle_t *)conn, sup_free_cb);
	return err;
}

static void sup_on_conn(uv_stream_t *listener, int status)
{
	sup_t *sp = listener->data;
	sg_wk_frame_t f = {.type = SG_WK_CONN};
	sup_conn_t *c;
	uv_stream_t *conn;
	int i;

	if (status < 0) {
		sg_log(LOG_WARN, "event=accept_failed error=\"%s\"", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	if (listener == (uv_stream_t *)&sp->unix_listener.pipe)
		uv_pipe_init(sp->loop, &c->pipe, 0);
	else
		uv_tcp_init(sp->loop, &c->tcp);
	conn = (uv_stream_t *)c;
	if (uv_accept(listener, conn) != 0) {
		uv_close((uv_handle_t *)conn, sup_free_cb);
		return;
	}
	for (i = 0; i < sp->n; i++) {
		sup_worker_t *wk = &sp->w[(sp->next + i) % sp->n];
		if (wk->pid != 0 && wk->pipe_open) {
			sp->next = (sp->next + i + 1) % sp->n;
			(void)sup_send(wk, &f, conn);
			return;
		}
	}
	uv_close((uv_handle_t *)conn, sup_free_cb);
}

/* Stops accepting and asks every worker to finish (SIGTERM). Called again
 * by a second SIGTERM/SIGINT, it passes that on too, which ends the
 * workers' wait for transactions in flight as it would for one process. */
static void sup_stop(sup_t *sp, int code, const char *why)
{
	int i;

	if (code != 0)
		sp->exit_code = code;
	if (sp->stopping && code != 0)
		return; /* a worker ended while stopping: the others were told */
	if (!sp->stopping) {
		sp->stopping = true;
		sg_log(LOG_INFO, "event=supervisor_stopping reason=\"%s\" workers=%d", why, sp->live);
		if (sp->listening) {
			uv_close((uv_handle_t *)&sp->listener, NULL);
			sp->listening = false;
		}
		sg_listen_unix_close(&sp->unix_listener);
	}
	for (i = 0; i < sp->n; i++)
		if (sp->w[i].pid != 0)
			kill(sp->w[i].pid, SIGTERM);
}

/* A frame from worker `from`: what it asks of every other worker. */
static void sup_relay(sup_t *sp, int from, const sg_wk_frame_t *f)
{
	int i;

	if (f->type < SG_WK_CANCEL || f->type > SG_WK_RESUME) {
		sg_log(LOG_WARN, "event=worker_channel worker=%d error=\"unknown frame type %u\"", from,
		       f->type);
		return;
	}
	for (i = 0; i < sp->n; i++)
		if (i != from && sp->w[i].pid != 0)
			(void)sup_send(&sp->w[i], f, NULL);
}

static void sup_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	sup_worker_t *wk = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)wk->in + wk->len, (unsigned int)(sizeof(wk->in) - wk->len));
}

static void sup_close_pipe(sup_worker_t *wk)
{
	if (!wk->pipe_open)
		return;
	wk->pipe_open = false;
	uv_close((uv_handle_t *)&wk->pipe, NULL);
}

static void sup_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	sup_worker_t *wk = st->data;
	sup_t *sp = st->loop->data;
	sg_wk_frame_t f;
	size_t off = 0;

	(void)buf;
	if (nread < 0) {
		/* The worker closed its end (shutdown, or it died: SIGCHLD says). */
		sup_close_pipe(wk);
		return;
	}
	wk->len += (size_t)nread;
	while (wk->len - off >= sizeof(f)) {
		memcpy(&f, wk->in + off, sizeof(f));
		off += sizeof(f);
		sup_relay(sp, (int)(wk - sp->w), &f);
	}
	memmove(wk->in, wk->in + off, wk->len - off);
	wk->len -= off;
}

static void sup_reap(sup_t *sp)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < sp->n; i++) {
			sup_worker_t *wk = &sp->w[i];
			if (wk->pid != pid)
				continue;
			wk->pid = 0;
			sp->live--;
			sup_close_pipe(wk);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sp->stopping) {
				sg_log(LOG_INFO, "event=worker_exited worker=%d pid=%d code=0", i, (int)pid);
			} else {
				sg_log(LOG_ERROR, "event=worker_exited worker=%d pid=%d %s=%d", i, (int)pid,
				       WIFSIGNALED(status) ? "signal" : "code",
				       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				sup_stop(sp, 1, "a worker exited");
			}
		}
	}
	if (sp->live == 0) {
		for (i = 0; i < 4; i++)
			uv_close((uv_handle_t *)&sp->sig[i], NULL);
	}
}

static void sup_on_signal(uv_signal_t *h, int signum)
{
	sup_t *sp = h->data;
	int i;

	if (signum == SIGCHLD) {
		sup_reap(sp);
	} else if (signum == SIGHUP) {
		for (i = 0; i < sp->n; i++)
			if (sp->w[i].pid != 0)
				kill(sp->w[i].pid, SIGHUP);
	} else {
		sup_stop(sp, 0, signum == SIGTERM ? "SIGTERM" : "SIGINT");
	}
}

/* In the child: keep only its own end of its channel; die with the
 * supervisor. */
static void sup_become_worker(sup_t *sp, int k, int child_fd[])
{
	int i;

	for (i = 0; i < sp->n; i++) {
		if (sp->w[i].fd >= 0)
			close(sp->w[i].fd);
		if (i != k && child_fd[i] >= 0)
			close(child_fd[i]);
	}
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != sp->parent)
		_exit(1); /* the supervisor died before prctl took effect */
	sg_log_worker = k;
	sg_worker_index = k;
	sg_worker_fd = child_fd[k];
	sg_worker_count = sp->n;
}

/* Forks the workers; returns 0 in a child, 1 in the supervisor. */
static int sup_fork(sup_t *sp, int child_fd[])
{
	int k, pair[2];
	pid_t pid;

	for (k = 0; k < sp->n; k++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
			sg_log(LOG_ERROR, "event=workers_failed error=\"socketpair: %s\"", strerror(errno));
			return SG_EIO;
		}
		sp->w[k].fd = pair[0];
		child_fd[k] = pair[1];
	}
	for (k = 0; k < sp->n; k++) {
		pid = fork();
		if (pid < 0) {
			sg_log(LOG_ERROR, "event=workers_failed error=\"fork: %s\"", strerror(errno));
			return SG_EIO;
		}
		if (pid == 0) {
			sup_become_worker(sp, k, child_fd);
			return 0;
		}
		sp->w[k].pid = pid;
		sp->live++;
	}
	for (k = 0; k < sp->n; k++) {
		close(child_fd[k]);
		child_fd[k] = -1;
	}
	return 1;
}

/* fork failed part way: no loop yet, so stop and reap synchronously. */
static void sup_kill_sync(sup_t *sp)
{
	int i;

	for (i = 0; i < sp->n; i++) {
		if (sp->w[i].pid == 0)
			continue;
		kill(sp->w[i].pid, SIGTERM);
		(void)waitpid(sp->w[i].pid, NULL, 0);
		sp->w[i].pid = 0;
	}
}

static int sup_start_handles(sup_t *sp)
{
	static const int signums[4] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
	int i, err;

	sp->loop->data = sp;
	for (i = 0; i < 4; i++) {
		uv_signal_init(sp->loop, &sp->sig[i]);
		sp->sig[i].data = sp;
		uv_signal_start(&sp->sig[i], sup_on_signal, signums[i]);
	}
	for (i = 0; i < sp->n; i++) {
		sup_worker_t *wk = &sp->w[i];
		uv_pipe_init(sp->loop, &wk->pipe, 1);
		wk->pipe.data = wk;
		err = uv_pipe_open(&wk->pipe, wk->fd);
		if (err != 0)
			return err;
		wk->pipe_open = true;
		err = uv_read_start((uv_stream_t *)&wk->pipe, sup_alloc_cb, sup_read_cb);
		if (err != 0)
			return err;
	}
	sp->listener.data = sp;
	err = sg_listen_tcp(sp->loop, &sp->listener, sp->cfg, sup_on_conn);
	sp->listening = true;
	if (err == 0) {
		sp->unix_listener.pipe.data = sp;
		err = sg_listen_unix(sp->loop, &sp->unix_listener, sp->cfg, sup_on_conn);
	}
	return err;
}

int sg_supervisor_run(config_t *cfg, int *exit_code)
{
	static sup_t sp; /* the process's one supervisor */
	int child_fd[SUP_MAX_WORKERS];
	int i, rc;

	memset(&sp, 0, sizeof(sp));
	sp.cfg = cfg;
	sp.n = cfg->listen.workers;
	if (sp.n < 2 || sp.n > SUP_MAX_WORKERS)
		return SG_ERANGE; /* config_load bounds it to 1..64; the arrays here hold 64 */
	for (i = 0; i < SUP_MAX_WORKERS; i++)
		sp.w[i].fd = child_fd[i] = -1;
	sp.parent = getpid();
	/* SHOW STATS totals: each worker writes its slot, any worker reads
	 * all (worker.h). Zeroed by mmap; lives until the last process exits. */
	sg_worker_slots = mmap(NULL, sizeof(sg_worker_counters_t) * (size_t)sp.n, PROT_READ | PROT_WRITE,
	                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sg_worker_slots == MAP_FAILED) {
		sg_worker_slots = NULL;
		sg_log(LOG_ERROR, "event=workers_failed error=\"mmap: %s\"", strerror(errno));
		return SG_EIO;
	}
	rc = sup_fork(&sp, child_fd);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		sup_kill_sync(&sp);
		return rc;
	}
	sp.loop = uv_default_loop();
	if (sup_start_handles(&sp) != 0)
		sup_stop(&sp, 1, "startup failed"); /* SIGCHLD reaps the workers */
	/* A worker that failed before SIGCHLD was watched sent it unseen. */
	sup_reap(&sp);
	sg_log(LOG_INFO, "event=supervisor_started pid=%d workers=%d", (int)getpid(), sp.n);
	uv_run(sp.loop, UV_RUN_DEFAULT);
	for (i = 0; i < sp.n; i++)
		sup_close_pipe(&sp.w[i]);
	uv_run(sp.loop, UV_RUN_DEFAULT);
	uv_loop_close(sp.loop);
	*exit_code = sp.exit_code;
	sg_log(LOG_INFO, "event=exit code=%d", sp.exit_code);
	return 1;
}
