/* client.c — client connection lifecycle: accept, read, the startup
 * phase, errors and close. Relaying lives in client_relay.c,
 * authentication in auth.c, the admin console in admin.c. */
#include "client.h"
#include "fanout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"
#include "server.h"
#include "sqltext.h"
#include "worker.h"

#define CLIENT_READ_CHUNK   16384
#define CLIENT_OUTPUT_LIMIT (1u << 20) /* stop reading the server above this */

static void client_close_cb(uv_handle_t *h);
static void client_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void client_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void client_out_done(sg_outq_t *q, int status);

const char *client_state_name(sg_client_state_t st)
{
	switch (st) {
	case CL_STARTUP:
		return "startup";
	case CL_AUTH:
		return "auth";
	case CL_WELCOME:
		return "welcome";
	case CL_IDLE:
		return "idle";
	case CL_WAITING:
		return "waiting";
	case CL_ACTIVE:
		return "active";
	case CL_CLOSING:
		return "closing";
	}
	abort();
}

void client_set_state(sg_client_t *c, sg_client_state_t st)
{
	if (c->state == st)
		return;
	log_client(c, LOG_DEBUG, "state %s -> %s", client_state_name(c->state), client_state_name(st));
	c->state = st;
}

static bool client_peer_allowed(sg_client_t *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)c->stream, &fd) != 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	if (cred.uid == 0 || cred.uid == getuid())
		return true;
	log_client(c, LOG_WARN, "admin connection refused for uid=%u", (unsigned)cred.uid);
	return false;
}

static void client_addr_fill(sg_client_t *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char ip[46] = "?";

	if (c->via_unix) {
		snprintf(c->addr, sizeof(c->addr), "unix");
		return;
	}
	if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
		snprintf(c->addr, sizeof(c->addr), "%s:%d", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
		snprintf(c->addr, sizeof(c->addr), "[%s]:%d", ip,
		         ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	}
}

void client_accept(uv_stream_t *listener, sg_client_via_t via)
{
	sg_proxy_t *px = sg_px;
	sg_client_t *c = calloc(1, sizeof(*c));
	bool admin = via == SG_VIA_ADMIN;

	if (c == NULL)
		return;
	c->admin = admin;
	c->via_unix = via != SG_VIA_TCP;
	if (c->via_unix) {
		uv_pipe_init(px->loop, &c->h.pipe, 0);
		c->stream = (uv_stream_t *)&c->h.pipe;
	} else {
		uv_tcp_init(px->loop, &c->h.tcp);
		c->stream = (uv_stream_t *)&c->h.tcp;
	}
	c->stream->data = c;
	c->id = ++px->next_client_id;
	c->state = CL_STARTUP;
	c->tx_status = 'I';
	c->forced_shard = -1;
	c->partial_results = -1;
	c->connected_ms = sg_now_ms();
	sg_list_init(&c->wait_node);
	sg_list_push_back(&px->clients, &c->node);
	px->nclients++;
	sg_outq_init(&c->out, c->stream, client_out_done, c);
	if (uv_accept(listener, c->stream) != 0) {
		client_close(c, "accept failed");
		return;
	}
	client_addr_fill(c);
	px->stats.clients_accepted++;
	if (admin && !client_peer_allowed(c)) {
		client_close(c, "admin peer not allowed");
		return;
	}
	if (!admin && (px->nclients > sg_worker_client_limit(px->cfg) || px->shutting_down)) {
		px->stats.clients_rejected++;
		client_send_error(c, "FATAL", px->shutting_down ? "57P03" : "53300",
		                  px->shutting_down
		                          ? "shardgate is shutting down"
		                          : "too many client connections (listen.max_client_connections)");
		return;
	}
	if (!c->via_unix)
		uv_tcp_nodelay(&c->h.tcp, 1);
	if (uv_read_start(c->stream, client_alloc_cb, client_read_cb) != 0) {
		client_close(c, "read start failed");
		return;
	}
	c->reading = true;
	log_client(c, LOG_DEBUG, "connected addr=%s", c->addr);
}

void client_close(sg_client_t *c, const char *why)
{
	sg_server_t *s;

	if (c->state == CL_CLOSING)
		return;
	log_client(c, c->state == CL_IDLE || c->state == CL_STARTUP ? LOG_DEBUG : LOG_INFO,
	           "closing client connection user=%s: %s", c->user ? c->user : "-", why);
	if (c->paused_wait) {
		sg_list_remove(&c->wait_node);
		c->paused_wait = false;
	} else if (c->pool != NULL) {
		sg_pool_cancel_wait(c->pool, c);
	}
	if (c->fanout != NULL)
		fanout_abort(c);
	s = c->server;
	if (s != NULL) {
		if (server_is_releasable(s)) {
			server_detach(s);
			sg_pool_release(s->pool, s);
		} else if (!server_reset(s)) {
			bool busy = s->seg_done != s->seg_sent || s->unsynced > 0;
			server_detach(s);
			/* A query still running would go on until it next touched the
			 * closed socket: cancel it, as PostgreSQL's own client would. */
			if (busy && s->state == SV_ACTIVE)
				server_cancel(s, 0);
			server_close(s, "client disconnected");
		}
	}
	client_auth_free(c);
	client_set_state(c, CL_CLOSING);
	uv_close((uv_handle_t *)c->stream, client_close_cb);
}

static void client_close_cb(uv_handle_t *h)
{
	sg_client_t *c = h->data;
	sg_proxy_t *px = sg_px;

	sg_list_remove(&c->node);
	px->nclients--;
	sg_outq_free(&c->out);
	wbuf_recycle(&c->in);
	sg_params_free(&c->params);
	sg_params_free(&c->startup);
	client_sets_free(c);
	client_tx_saved_free(c);
	free(c->held_begin);
	client_forget_unnamed(c);
	client_bcast_free(c);
	client_copy_free(c);
	sg_pmap_free(&c->pstmts);
	client_replay_free(c);
	client_simple_done(c);
	free(c->user);
	free(c->database);
	free(c);
	sg_proxy_maybe_exit(px);
}

void client_send_error(sg_client_t *c, const char *severity, const char *sqlstate, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_client(c, LOG_INFO, "error sent sqlstate=%s severity=%s message=\"%s\"", sqlstate, severity, msg);
	if (wire_write_error(&c->out.pending, severity, sqlstate, msg, NULL) != 0) {
		client_close(c, "out of memory");
		return;
	}
	if (strcmp(severity, "FATAL") == 0) {
		c->closing_after_flush = true;
		if (c->reading) {
			uv_read_stop(c->stream);
			c->reading = false;
		}
		(void)client_flush(c);
	}
}

/* Between transactions a client keeps no buffers: 5,000 idle clients
 * must cost a few MB, not 5,000 read buffers. */
static void client_trim(sg_client_t *c)
{
	if (c->in.len == 0)
		wbuf_recycle(&c->in);
	sg_outq_trim(&c->out);
	client_replay_free(c);
}

int client_flush(sg_client_t *c)
{
	int err;

	if (c->state == CL_CLOSING)
		return -1;
	err = sg_outq_flush(&c->out);
	if (err != 0) {
		client_close(c, sg_strerror(err));
		return -1;
	}
	if (c->closing_after_flush && !c->out.writing) {
		client_close(c, "closed after error");
		return -1;
	}
	if (c->server == NULL)
		client_trim(c);
	return 0;
}

void client_read_resume(sg_client_t *c)
{
	if (c->reading || c->state == CL_CLOSING || c->closing_after_flush)
		return;
	if (uv_read_start(c->stream, client_alloc_cb, client_read_cb) != 0) {
		client_close(c, "could not resume reading");
		return;
	}
	c->reading = true;
	/* Input that arrived before the pause may still be buffered. */
	if (c->in.len > c->in_off)
		client_process(c);
}

bool client_output_full(const sg_client_t *c)
{
	return sg_outq_size(&c->out) > CLIENT_OUTPUT_LIMIT;
}

static void client_out_done(sg_outq_t *q, int status)
{
	sg_client_t *c = q->owner;

	if (c->state == CL_CLOSING)
		return;
	if (status < 0) {
		client_close(c, uv_strerror(status));
		return;
	}
	if (c->closing_after_flush) {
		client_close(c, "closed after error");
		return;
	}
	if (c->fanout != NULL)
		fanout_output_drained(c);
	else if (c->server != NULL && !client_output_full(c))
		server_read_resume(c->server);
	else if (c->server == NULL)
		client_trim(c);
}

static void client_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	sg_client_t *c = h->data;

	wbuf_take_cached(&c->in);
	if (wbuf_reserve(&c->in, CLIENT_READ_CHUNK) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)c->in.data + c->in.len, (unsigned int)(c->in.cap - c->in.len));
}

static void client_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	sg_client_t *c = st->data;

	if (c->state == CL_CLOSING)
		return;
	if (nread < 0) {
		client_close(c, nread == UV_EOF ? "client disconnected" : uv_strerror((int)nread));
		return;
	}
	if (nread == 0) {
		if (buf->base == NULL)
			client_close(c, "out of memory");
		return;
	}
	c->in.len += (size_t)nread;
	sg_px->stats.bytes_in += (uint64_t)nread;
	client_process(c);
}

/* ---- startup phase ---- */

sg_client_t *client_find(uint64_t id)
{
	sg_list_t *n;

	if (id == 0)
		return NULL;
	for (n = sg_px->clients.next; n != &sg_px->clients; n = n->next) {
		sg_client_t *t = sg_container_of(n, sg_client_t, node);
		if (t->id == id && t->state != CL_CLOSING)
			return t;
	}
	return NULL;
}

/* Cancels what the client holding key (pid, secret) runs. Returns 1 when
 * the cancel went to its backend (server_cancel closes connection
 * `requester` once the backend has it; 0: none to close), 0 when it was
 * handled here, SG_ENOENT when no client of this process holds the key. */
int sg_client_cancel_key(int32_t pid, int32_t secret, uint64_t requester)
{
	sg_list_t *n;

	for (n = sg_px->clients.next; n != &sg_px->clients; n = n->next) {
		sg_client_t *t = sg_container_of(n, sg_client_t, node);
		if (t->id == requester || t->key_pid != pid || t->key_secret != secret ||
		    t->state == CL_STARTUP || t->state == CL_AUTH)
			continue;
		if (t->fanout != NULL) {
			fanout_cancel(t);
			return 0;
		}
		if (t->server != NULL) {
			server_cancel(t->server, requester);
			return 1;
		}
		if (t->state == CL_WAITING && !t->paused_wait && t->pool != NULL && t->bcast == NULL) {
			sg_pool_cancel_wait(t->pool, t);
			client_checkout_failed(t, "57014", "canceling statement due to user request");
		}
		return 0;
	}
	return SG_ENOENT;
}

/* The cancel connection stays open until the backend has processed the
 * cancel (server_cancel closes it); a statement still waiting for a
 * server is cancelled here. A key no client here holds may belong to
 * another worker's client: the supervisor passes it on to all of them. */
static void client_handle_cancel(sg_client_t *c, const wire_startup_t *su)
{
	int rc;

	if (c->reading) {
		uv_read_stop(c->stream);
		c->reading = false;
	}
	rc = sg_client_cancel_key(su->cancel_pid, su->cancel_key, c->id);
	if (rc == 1)
		return;
	if (rc == SG_ENOENT && sg_worker_index >= 0) {
		sg_px->stats.cancels_forwarded++;
		sg_worker_notify(SG_WK_CANCEL, su->cancel_pid, su->cancel_key);
	}
	client_close(c, "cancel request handled");
}

/* Startup parameters become session settings (as PostgreSQL treats
 * them), except the few that describe the connection itself. "options"
 * carries "-c name=value" pairs. */
static int client_take_setting(sg_client_t *c, const char *name, const char *value)
{
	char lit[512];

	if (!sql_is_setting_name(name)) {
		client_send_error(c, "FATAL", "42704", "invalid startup parameter name \"%.64s\"", name);
		return SG_EPROTO;
	}
	if (sql_literal(value, lit, sizeof(lit)) != 0) {
		client_send_error(c, "FATAL", "22023", "value of startup parameter \"%s\" is too long", name);
		return SG_ERANGE;
	}
	if (sg_params_set(&c->startup, name, lit) != 0)
		return SG_ENOMEM;
	return sg_params_set(&c->params, name, lit);
}

static int client_take_options(sg_client_t *c, const char *opts)
{
	char buf[1024], *tok, *save = NULL, *eq;
	bool expect_c = false;
	int err;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "-c") == 0) {
			expect_c = true;
			continue;
		}
		if (!expect_c && strncmp(tok, "--", 2) == 0)
			tok += 2;
		else if (expect_c)
			expect_c = false;
		else if (strncmp(tok, "-c", 2) == 0)
			tok += 2;
		else {
			client_send_error(c, "FATAL", "0A000", "unsupported startup option \"%.64s\"", tok);
			return SG_ENOTSUP;
		}
		eq = strchr(tok, '=');
		if (eq == NULL) {
			client_send_error(c, "FATAL", "42601",
			                  "invalid option \"%.64s\": expected name=value", tok);
			return SG_EPROTO;
		}
		*eq = '\0';
		err = client_take_setting(c, tok, eq + 1);
		if (err != 0)
			return err;
	}
	return 0;
}

static int client_handle_startup_params(sg_client_t *c, const wire_startup_t *su)
{
	size_t i;
	int err;

	const char *opts = wire_startup_get(su, "options");

	/* PostgreSQL applies "options" first; explicit parameters win. */
	if (opts != NULL && (err = client_take_options(c, opts)) != 0)
		return err;
	for (i = 0; i < su->nparams; i++) {
		const char *n = su->params[i].name, *v = su->params[i].value;
		if (strcmp(n, "user") == 0 || strcmp(n, "database") == 0 || strcmp(n, "options") == 0)
			continue;
		if (strcmp(n, "replication") == 0) {
			client_send_error(c, "FATAL", "0A000",
			                  "replication connections are not supported by shardgate");
			return SG_ENOTSUP;
		}
		if (strncmp(n, "_pq_.", 5) == 0)
			err = 0; /* protocol extensions: we speak plain 3.0 */
		else
			err = client_take_setting(c, n, v);
		if (err != 0)
			return err;
	}
	return 0;
}

static int client_startup(sg_client_t *c, const wire_frame_t *f)
{
	wire_startup_t su;
	const char *db;
	int err;

	err = wire_startup_parse(f, &su);
	if (err != 0) {
		client_send_error(c, "FATAL", err == SG_ENOTSUP ? "0A000" : "08P01",
		                  "invalid startup packet: %s",
		                  err == SG_ENOTSUP ? "unsupported frontend protocol" : sg_strerror(err));
		return err;
	}
	switch (su.code) {
	case WIRE_SSL_REQUEST:
	case WIRE_GSSENC_REQUEST:
		/* TLS and GSS encryption are not offered (yet): answer 'N' and
		 * let the client continue in plain text, as PostgreSQL does. */
		wbuf_put_u8(&c->out.pending, 'N');
		return 0;
	case WIRE_CANCEL_REQUEST:
		client_handle_cancel(c, &su);
		return 0;
	default:
		break;
	}
	db = wire_startup_get(&su, "database");
	c->user = strdup(wire_startup_get(&su, "user"));
	c->database = strdup(db != NULL && db[0] ? db : c->user ? c->user : "");
	if (c->user == NULL || c->database == NULL)
		return SG_ENOMEM;
	if (c->admin) {
		client_set_state(c, CL_IDLE);
		return client_send_welcome(c);
	}
	err = client_handle_startup_params(c, &su);
	if (err != 0)
		return err;
	client_set_state(c, CL_AUTH);
	return client_auth_start(c);
}

/* ---- dispatch ---- */

static int client_admin_msg(sg_client_t *c, const wire_frame_t *f)
{
	const char *sql;
	int err;

	switch (f->type) {
	case 'Q':
		err = wire_query_parse(f, &sql);
		if (err != 0)
			return err;
		return admin_query(c, sql);
	case 'X':
		client_close(c, "admin client terminated");
		return 0;
	case 'S':
		return wire_write_ready(&c->out.pending, 'I');
	case 'H':
		return 0;
	default:
		client_send_error(c, "ERROR", "0A000", "the admin console only supports simple queries");
		return 0;
	}
}

static int client_dispatch(sg_client_t *c, const wire_frame_t *f)
{
	switch (c->state) {
	case CL_STARTUP:
		return client_startup(c, f) == 0 ? 1 : -1;
	case CL_AUTH:
		return client_auth_message(c, f) == 0 ? 1 : -1;
	case CL_WELCOME:
	case CL_WAITING:
		return 0;
	case CL_IDLE:
	case CL_ACTIVE:
		if (c->bcast != NULL || c->fanout != NULL)
			return 0; /* the statement on several shards answers first */
		if (c->admin)
			return client_admin_msg(c, f) == 0 ? 1 : -1;
		return client_relay(c, f);
	case CL_CLOSING:
		return 0;
	}
	abort();
}

void client_process(sg_client_t *c)
{
	uint32_t max = sg_px->cfg->listen.max_message_size;
	wire_frame_t f;
	int rc;

	while (c->state != CL_CLOSING && !c->closing_after_flush) {
		if (c->state == CL_STARTUP)
			rc = wire_startup_frame_read(c->in.data + c->in_off, c->in.len - c->in_off, &f);
		else
			rc = wire_frame_read(c->in.data + c->in_off, c->in.len - c->in_off, max, &f);
		if (rc == SG_EAGAIN)
			break;
		if (rc != 0) {
			sg_px->stats.protocol_errors++;
			/* PostgreSQL answers a bad length, oversized or not, with
			 * protocol_violation and closes. */
			client_send_error(c, "FATAL", "08P01", "invalid message from client: %s%s",
			                  sg_strerror(rc), c->state == CL_STARTUP ? " (startup packet)" : "");
			return;
		}
		if (c->state == CL_AUTH && f.type != 'p') {
			sg_px->stats.protocol_errors++;
			client_send_error(c, "FATAL", "08P01", "expected a password message, got '%c'",
			                  f.type);
			return;
		}
		rc = client_dispatch(c, &f);
		if (rc < 0) {
			if (c->state != CL_CLOSING && !c->closing_after_flush)
				client_send_error(c, "FATAL", "08P01", "could not process message '%c'",
				                  f.type ? f.type : '?');
			return;
		}
		if (rc == 0)
			break;
		if (rc == 1)
			c->in_off += f.total_len;
	}
	if (c->state == CL_CLOSING)
		return;
	wbuf_consume(&c->in, c->in_off);
	c->in_off = 0;
	if (c->server != NULL && server_flush(c->server) != 0)
		return;
	/* A ParseComplete answered here is the first reply of a batch whose
	 * Sync went to the server: it leaves with the server's replies. */
	if (c->flush_with_reply && c->server != NULL && c->server->seg_sent != c->server->seg_done) {
		c->flush_with_reply = false;
		return;
	}
	c->flush_with_reply = false;
	(void)client_flush(c);
}

/* ---- pool and server callbacks ---- */

void client_server_ready(sg_client_t *c, sg_server_t *s)
{
	if (c->fanout != NULL) {
		fanout_server_ready(c, s);
		return;
	}
	s->client = c;
	c->server = s;
	if (server_attach(s, c) != 0) {
		server_close(s, "could not prepare the session");
		return;
	}
	if (c->state == CL_WELCOME) {
		/* Session-mode login: greet with this backend's key. */
		client_set_state(c, CL_ACTIVE);
		if (client_send_welcome(c) != 0)
			client_close(c, "out of memory");
		else
			(void)client_flush(c);
		return;
	}
	client_set_state(c, CL_ACTIVE);
	if (c->bcast != NULL)
		client_bcast_send(c);
	else
		client_process(c);
}

void client_forget_unnamed(sg_client_t *c)
{
	free(c->unnamed_query);
	free(c->unnamed_types);
	sg_pstmt_unref(c->unnamed_st);
	c->unnamed_st = NULL;
	c->unnamed_query = NULL;
	c->unnamed_types = NULL;
	c->unnamed_ntypes = 0;
	c->unnamed_is_set = false;
	c->unnamed_local = 0;
	c->portal_local = 0;
	c->unnamed_unchecked = false;
}

void client_server_released(sg_client_t *c)
{
	sg_server_t *s = c->server;

	server_detach(s);
	sg_pool_release(s->pool, s);
	sg_px->stats.transactions++;
	client_replay_reset(c);
	if (c->bcast != NULL) {
		client_bcast_next(c);
		return;
	}
	client_set_state(c, CL_IDLE);
	if (sg_px->shutting_down) {
		client_close(c, "shutting down");
		return;
	}
	if (c->in.len > 0)
		client_process(c);
	else
		client_trim(c);
}

void client_discard_pending(sg_client_t *c)
{
	uint32_t max = sg_px->cfg->listen.max_message_size;
	wire_frame_t f;

	c->flush_as_sync = false; /* its batch is dropped with the rest */
	c->skip_until_sync = true;
	while (wire_frame_read(c->in.data + c->in_off, c->in.len - c->in_off, max, &f) == 0) {
		c->in_off += f.total_len;
		if (f.type == 'S' || f.type == 'Q') {
			c->skip_until_sync = false;
			(void)wire_write_ready(&c->out.pending, c->tx_status);
			break;
		}
	}
}

void client_checkout_failed(sg_client_t *c, const char *sqlstate, const char *msg)
{
	c->attach_without_begin = false; /* that batch is over */
	c->flush_as_sync = false;
	if (c->state == CL_WELCOME) {
		client_send_error(c, "FATAL", sqlstate, "%s", msg);
		return;
	}
	if (c->bcast != NULL) {
		client_bcast_fail(c, sqlstate, msg);
		return;
	}
	if (c->fanout != NULL) {
		fanout_checkout_failed(c, sqlstate, msg);
		return;
	}
	client_set_state(c, CL_IDLE);
	client_send_error(c, "ERROR", sqlstate, "%s", msg);
	client_discard_pending(c);
	client_process(c);
}

void client_server_died(sg_client_t *c, const char *detail, uint32_t outstanding, bool unsynced)
{
	sg_pool_t *pool = c->pool;
	char msg[512];

	sg_px->stats.server_lost++;
	snprintf(msg, sizeof(msg), "server connection to shard \"%s\" was lost: %s", pool ? pool->shard : "?",
	         detail);
	if (c->bcast != NULL) {
		client_bcast_fail(c, "08006", msg);
		return;
	}
	c->tx_status = 'I';
	client_set_state(c, CL_IDLE);
	client_simple_done(c);
	client_replay_reset(c);
	if (outstanding > 0 || unsynced) {
		if (wire_write_error(&c->out.pending, "ERROR", "08006", msg, NULL) != 0)
			goto fail;
		while (outstanding-- > 0)
			(void)wire_write_ready(&c->out.pending, 'I');
		if (unsynced)
			c->skip_until_sync = true;
	} else {
		/* Idle in a transaction: the next request learns it is gone. */
		c->server_lost = true;
	}
	log_client(c, LOG_WARN, "backend lost: %s", detail);
	(void)client_flush(c);
	return;
fail:
	client_close(c, "out of memory");
}

void client_welcome_ready(sg_client_t *c, int status, const char *msg)
{
	if (c->login_via_checkout || c->closing_after_flush)
		return; /* greeted when its own server arrives */
	if (status != 0) {
		client_send_error(c, "FATAL", "08006", "%s", msg ? msg : "no server available");
		return;
	}
	client_set_state(c, CL_IDLE);
	if (client_send_welcome(c) != 0) {
		client_close(c, "out of memory");
		return;
	}
	(void)client_flush(c);
}
