/* pool_harness.h — the event-loop harness of test_pool.c (included by it
 * only; static definitions): a sg_proxy_t with its own uv loop, a fake
 * PostgreSQL backend listening in that loop, clients whose stream is a
 * socketpair, and readers for what the proxy sent them. */
#ifndef SG_TEST_POOL_HARNESS_H
#define SG_TEST_POOL_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "config.h"
#include "log.h"
#include "pool.h"
#include "proxy.h"
#include "server.h"
#include "wire.h"

/* ---- fixture: proxy, loop, fake backend ---- */

enum backend_mode {
	BE_LOGIN_OK, /* log in every connection */
	BE_SILENT,   /* accept, read, never answer */
	BE_FAIL,     /* answer the startup with FATAL 28P01 and hang up */
};

#define MAX_CLIENTS 8

typedef struct fixture fixture_t;

typedef struct backend_conn {
	uv_tcp_t tcp;
	fixture_t *fx;
	sg_list_t node;
	wbuf_t in;
	bool startup_seen;
	bool closing;
} backend_conn_t;

struct fixture {
	uv_loop_t loop;
	sg_proxy_t px;
	config_t *cfg;
	sg_pool_t *live, *dead;
	uv_tcp_t listener;
	int live_port, dead_port;
	enum backend_mode mode;
	sg_list_t conns;
	int naccepted, nstartups, nqueries;
	char startup_user[64], startup_db[64];
	int peers[MAX_CLIENTS];
	int npeers;
};

typedef struct backend_write {
	uv_write_t req;
	wbuf_t data;
	bool close_after;
} backend_write_t;

static void backend_close_cb(uv_handle_t *h)
{
	backend_conn_t *bc = h->data;

	sg_list_remove(&bc->node);
	wbuf_free(&bc->in);
	free(bc);
}

static void backend_close(backend_conn_t *bc)
{
	if (bc->closing)
		return;
	bc->closing = true;
	uv_close((uv_handle_t *)&bc->tcp, backend_close_cb);
}

static void backend_write_cb(uv_write_t *req, int status)
{
	backend_write_t *w = req->data;
	backend_conn_t *bc = req->handle->data;

	if (w->close_after || status < 0)
		backend_close(bc);
	wbuf_free(&w->data);
	free(w);
}

/* Sends (and frees) b. */
static void backend_send(backend_conn_t *bc, wbuf_t *b, bool close_after)
{
	backend_write_t *w = calloc(1, sizeof(*w));
	uv_buf_t buf;

	assert_non_null(w);
	assert_int_equal(wbuf_status(b), 0);
	w->data = *b;
	w->close_after = close_after;
	w->req.data = w;
	buf = uv_buf_init((char *)w->data.data, (unsigned int)w->data.len);
	assert_int_equal(uv_write(&w->req, (uv_stream_t *)&bc->tcp, &buf, 1, backend_write_cb), 0);
}

static void backend_answer_startup(backend_conn_t *bc, const wire_frame_t *f)
{
	fixture_t *fx = bc->fx;
	wire_startup_t su;
	wbuf_t b;

	assert_int_equal(wire_startup_parse(f, &su), 0);
	fx->nstartups++;
	snprintf(fx->startup_user, sizeof(fx->startup_user), "%s", wire_startup_get(&su, "user"));
	snprintf(fx->startup_db, sizeof(fx->startup_db), "%s", wire_startup_get(&su, "database"));
	wbuf_init(&b);
	if (fx->mode == BE_SILENT)
		return;
	if (fx->mode == BE_FAIL) {
		(void)wire_write_error(&b, "FATAL", "28P01",
		                       "password authentication failed for user \"appuser\"", NULL);
		backend_send(bc, &b, true);
		return;
	}
	(void)wire_write_auth_ok(&b);
	(void)wire_write_param_status(&b, "server_version", "15.0");
	(void)wire_write_param_status(&b, "client_encoding", "UTF8");
	(void)wire_write_param_status(&b, "application_name", "");
	(void)wire_write_backend_key(&b, 4000 + fx->nstartups, 777);
	(void)wire_write_ready(&b, 'I');
	backend_send(bc, &b, false);
}

static void backend_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	backend_conn_t *bc = h->data;

	if (wbuf_reserve(&bc->in, 4096) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)bc->in.data + bc->in.len, (unsigned int)(bc->in.cap - bc->in.len));
}

static void backend_answer_query(backend_conn_t *bc)
{
	wbuf_t b;

	bc->fx->nqueries++;
	wbuf_init(&b);
	(void)wire_write_command_complete(&b, "SET");
	(void)wire_write_ready(&b, 'I');
	backend_send(bc, &b, false);
}

static void backend_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	backend_conn_t *bc = st->data;
	wire_frame_t f;
	int rc;

	if (nread < 0) {
		backend_close(bc);
		return;
	}
	bc->in.len += (size_t)nread;
	while (!bc->closing) {
		if (!bc->startup_seen)
			rc = wire_startup_frame_read(bc->in.data, bc->in.len, &f);
		else
			rc = wire_frame_read(bc->in.data, bc->in.len, 1u << 20, &f);
		if (rc == SG_EAGAIN)
			break;
		assert_int_equal(rc, 0);
		if (!bc->startup_seen) {
			bc->startup_seen = true;
			backend_answer_startup(bc, &f);
		} else if (f.type == 'Q') {
			backend_answer_query(bc);
		} else if (f.type == 'X') {
			backend_close(bc);
		}
		wbuf_consume(&bc->in, f.total_len);
	}
}

static void backend_on_connection(uv_stream_t *listener, int status)
{
	fixture_t *fx = listener->data;
	backend_conn_t *bc;

	assert_int_equal(status, 0);
	bc = calloc(1, sizeof(*bc));
	assert_non_null(bc);
	bc->fx = fx;
	uv_tcp_init(&fx->loop, &bc->tcp);
	bc->tcp.data = bc;
	sg_list_push_back(&fx->conns, &bc->node);
	fx->naccepted++;
	assert_int_equal(uv_accept(listener, (uv_stream_t *)&bc->tcp), 0);
	assert_int_equal(uv_read_start((uv_stream_t *)&bc->tcp, backend_alloc_cb, backend_read_cb), 0);
}

/* Runs the loop until cond holds (5 s at most). */
#define SPIN_UNTIL(fx, cond)                                                                                 \
	do {                                                                                                 \
		uint64_t deadline_ = uv_hrtime() + 5000000000ULL;                                            \
		while (!(cond)) {                                                                            \
			if (uv_hrtime() > deadline_)                                                         \
				fail_msg("timed out waiting for %s", #cond);                                 \
			uv_run(&(fx)->loop, UV_RUN_NOWAIT);                                                  \
			usleep(500);                                                                         \
		}                                                                                            \
	} while (0)

static int fixture_setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));
	struct sockaddr_in sa;
	config_error_t cerr;
	char yaml[1024];
	int len;

	assert_non_null(fx);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	sg_list_init(&fx->conns);
	fx->mode = BE_LOGIN_OK;

	/* The fake backend. */
	assert_int_equal(uv_tcp_init(&fx->loop, &fx->listener), 0);
	fx->listener.data = fx;
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
	assert_int_equal(uv_tcp_bind(&fx->listener, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&fx->listener, 16, backend_on_connection), 0);
	len = sizeof(sa);
	assert_int_equal(uv_tcp_getsockname(&fx->listener, (struct sockaddr *)&sa, &len), 0);
	fx->live_port = ntohs(sa.sin_port);

	/* A bound socket that never listens: connects are refused, and no
	 * other process can take the port while the test runs. */
	fx->peers[fx->npeers] = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fx->peers[fx->npeers] >= 0);
	sa.sin_port = 0;
	assert_int_equal(bind(fx->peers[fx->npeers], (struct sockaddr *)&sa, sizeof(sa)), 0);
	len = sizeof(sa);
	assert_int_equal(getsockname(fx->peers[fx->npeers], (struct sockaddr *)&sa, (socklen_t *)&len), 0);
	fx->dead_port = ntohs(sa.sin_port);
	fx->npeers++;

	snprintf(yaml, sizeof(yaml),
	         "listen: { host: 127.0.0.1, port: 16432 }\n"
	         "auth: { method: trust, users: [ { name: app, password: x } ] }\n"
	         "pool: { mode: transaction, size: 2, checkout_timeout: 2s, idle_timeout: 60s, "
	         "connect_timeout: 10s }\n"
	         "shards:\n"
	         "  - { name: live, database: appdb, user: appuser, password: secret,\n"
	         "      hosts: [ { host: 127.0.0.1, port: %d } ] }\n"
	         "  - { name: dead, database: appdb, user: appuser, password: secret,\n"
	         "      hosts: [ { host: 127.0.0.1, port: %d } ] }\n"
	         "default_shard: live\n",
	         fx->live_port, fx->dead_port);
	if (config_load_string(yaml, strlen(yaml), "test_pool.yaml", &fx->cfg, &cerr) != 0)
		fail_msg("config: %d:%d: %s", cerr.line, cerr.column, cerr.msg);

	fx->px.loop = &fx->loop;
	fx->px.cfg = fx->cfg;
	sg_list_init(&fx->px.clients);
	sg_list_init(&fx->px.retired_pools);
	sg_list_init(&fx->px.paused_clients);
	sg_px = &fx->px;
	sg_log_level = LOG_DEBUG; /* format every log line the code paths reach */

	assert_int_equal(sg_pool_new(&fx->px, &fx->cfg->shards[0], 0, fx->cfg->pool.size, &fx->live), 0);
	assert_int_equal(sg_pool_new(&fx->px, &fx->cfg->shards[1], 1, fx->cfg->pool.size, &fx->dead), 0);
	*state = fx;
	return 0;
}

static void pool_close_servers(sg_pool_t *pool)
{
	sg_list_t *lists[3] = {&pool->idle, &pool->active, &pool->pending};
	size_t i;

	for (i = 0; i < 3; i++)
		while (!sg_list_empty(lists[i]))
			server_close(sg_container_of(lists[i]->next, sg_server_t, pool_node),
			             "test teardown");
}

static int fixture_teardown(void **state)
{
	fixture_t *fx = *state;
	sg_list_t *n, *next;
	int i;

	/* Clients first: one holding a server gives it back or closes it. */
	for (n = fx->px.clients.next; n != &fx->px.clients; n = next) {
		sg_client_t *c = sg_container_of(n, sg_client_t, node);
		next = n->next;
		client_close(c, "test teardown");
	}
	if (fx->live != NULL)
		pool_close_servers(fx->live);
	pool_close_servers(fx->dead);
	for (n = fx->conns.next; n != &fx->conns; n = n->next)
		backend_close(sg_container_of(n, backend_conn_t, node));
	uv_close((uv_handle_t *)&fx->listener, NULL);
	assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(fx->px.nclients, 0);
	assert_true(sg_list_empty(&fx->conns));
	if (fx->live != NULL) {
		assert_true(sg_pool_is_empty(fx->live));
		sg_pool_free(fx->live);
	}
	assert_true(sg_pool_is_empty(fx->dead));
	sg_pool_free(fx->dead);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	for (i = 0; i < fx->npeers; i++)
		close(fx->peers[i]);
	config_unref(fx->cfg);
	sg_px = NULL;
	sg_log_level = LOG_INFO;
	free(fx);
	return 0;
}

/* ---- fake clients ---- */

static void test_out_done(sg_outq_t *q, int status)
{
	sg_client_t *c = q->owner;

	if (c->state == CL_CLOSING)
		return;
	if (status < 0 || c->closing_after_flush)
		client_close(c, status < 0 ? "write failed" : "closed after error");
}

/* A logged-in client in state st whose output the test reads from *peer. */
static sg_client_t *client_new(fixture_t *fx, sg_pool_t *pool, sg_client_state_t st, int *peer)
{
	sg_client_t *c = calloc(1, sizeof(*c));
	int sv[2];

	assert_non_null(c);
	assert_true(fx->npeers < MAX_CLIENTS);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fx->peers[fx->npeers++] = sv[1];
	*peer = sv[1];
	assert_int_equal(uv_pipe_init(&fx->loop, &c->h.pipe, 0), 0);
	assert_int_equal(uv_pipe_open(&c->h.pipe, sv[0]), 0);
	c->stream = (uv_stream_t *)&c->h.pipe;
	c->stream->data = c;
	c->id = ++fx->px.next_client_id;
	c->state = st;
	c->tx_status = 'I';
	c->pool = pool;
	c->user = strdup("app");
	c->database = strdup("appdb");
	assert_non_null(c->user);
	assert_non_null(c->database);
	sg_list_init(&c->wait_node);
	sg_list_push_back(&fx->px.clients, &c->node);
	fx->px.nclients++;
	sg_outq_init(&c->out, c->stream, test_out_done, c);
	return c;
}

/* A client that asked for a server and was queued (as client_relay does). */
static sg_client_t *client_waiting(fixture_t *fx, sg_pool_t *pool, int *peer)
{
	sg_client_t *c = client_new(fx, pool, CL_IDLE, peer);

	assert_null(sg_pool_checkout(pool, c));
	client_set_state(c, CL_WAITING);
	return c;
}

/* A client holding a server: from the idle list, or after waiting. */
static sg_client_t *client_attached(fixture_t *fx, sg_pool_t *pool, int *peer)
{
	sg_client_t *c = client_new(fx, pool, CL_IDLE, peer);
	sg_server_t *s = sg_pool_checkout(pool, c);

	if (s != NULL) {
		c->server = s;
		assert_int_equal(server_attach(s, c), 0);
		client_set_state(c, CL_ACTIVE);
	} else {
		client_set_state(c, CL_WAITING);
		SPIN_UNTIL(fx, c->state == CL_ACTIVE);
	}
	assert_non_null(c->server);
	assert_ptr_equal(c->server->client, c);
	assert_int_equal(c->server->state, SV_ACTIVE);
	return c;
}

/* ---- reading what a client was sent ---- */

typedef struct peer_out {
	uint8_t buf[16384];
	size_t len, off;
	bool eof;
} peer_out_t;

static void peer_read(int fd, peer_out_t *o)
{
	ssize_t n;

	memset(o, 0, sizeof(*o));
	for (;;) {
		n = recv(fd, o->buf + o->len, sizeof(o->buf) - o->len, MSG_DONTWAIT);
		if (n > 0) {
			o->len += (size_t)n;
			continue;
		}
		o->eof = n == 0;
		return;
	}
}

static wire_frame_t peer_next(peer_out_t *o)
{
	wire_frame_t f;

	assert_int_equal(wire_frame_read(o->buf + o->off, o->len - o->off, 1u << 20, &f), 0);
	o->off += f.total_len;
	return f;
}

static void assert_error(peer_out_t *o, const char *severity, const char *sqlstate, const char *message)
{
	wire_frame_t f = peer_next(o);
	wire_error_t e;

	assert_int_equal(f.type, 'E');
	assert_int_equal(wire_error_parse(&f, &e), 0);
	assert_string_equal(e.severity, severity);
	assert_string_equal(e.sqlstate, sqlstate);
	assert_string_equal(e.message, message);
}

static void assert_ready(peer_out_t *o, char status)
{
	wire_frame_t f = peer_next(o);
	char st;

	assert_int_equal(f.type, 'Z');
	assert_int_equal(wire_ready_parse(&f, &st), 0);
	assert_int_equal(st, status);
}

static void assert_param(peer_out_t *o, const char *name, const char *value)
{
	wire_frame_t f = peer_next(o);
	const char *n, *v;

	assert_int_equal(f.type, 'S');
	assert_int_equal(wire_param_status_parse(&f, &n, &v), 0);
	assert_string_equal(n, name);
	assert_string_equal(v, value);
}

static void assert_peer_done(peer_out_t *o)
{
	assert_int_equal(o->off, o->len);
}

static void assert_peer_silent(int fd)
{
	peer_out_t o;

	peer_read(fd, &o);
	assert_int_equal(o.len, 0);
	assert_false(o.eof);
}

#endif
