/* server.c — backend connection: connect, log in, relay replies. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fanout.h"
#include "log.h"
#include "proxy.h"
#include "router.h"
#include "wire.h"

#define SERVER_READ_CHUNK 65536

static void server_close_cb(uv_handle_t *h);
static void server_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void server_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void server_connect_cb(uv_connect_t *req, int status);
static void server_out_done(sg_outq_t *q, int status);

const char *server_state_name(sg_server_state_t st)
{
	switch (st) {
	case SV_CONNECTING:
		return "connecting";
	case SV_LOGIN:
		return "login";
	case SV_IDLE:
		return "idle";
	case SV_SETUP:
		return "setup";
	case SV_ACTIVE:
		return "active";
	case SV_RESET:
		return "reset";
	case SV_CLOSING:
		return "closing";
	}
	abort();
}

void server_set_state(sg_server_t *s, sg_server_state_t st)
{
	log_server(s, LOG_DEBUG, "state %s -> %s", server_state_name(s->state), server_state_name(st));
	s->state = st;
	s->state_since_ms = sg_now_ms();
}

sg_server_t *server_connect(sg_pool_t *pool)
{
	sg_server_t *s = calloc(1, sizeof(*s));
	int err;

	if (s == NULL)
		return NULL;
	s->pool = pool;
	s->id = ++pool->px->next_server_id;
	s->state = SV_CONNECTING;
	s->state_since_ms = sg_now_ms();
	s->tx_status = 'I';
	sg_list_init(&s->pool_node);
	s->connect_req.data = s;
	err = sg_pool_connect(pool, &s->h, s, &s->connect_req, server_connect_cb);
	sg_outq_init(&s->out, &s->h.stream, server_out_done, s);
	if (err != 0) {
		log_server(s, LOG_WARN, "connect to %s:%d failed: %s", pool->host, pool->port,
		           uv_strerror(err));
		/* The handle was initialised: it must go through uv_close, whose
		 * callback reports to the pool as for any closed server. */
		s->state = SV_CLOSING;
		pool->nclosing++;
		uv_close(&s->h.handle, server_close_cb);
		return NULL;
	}
	pool->px->stats.server_connects++;
	return s;
}

static void server_fail(sg_server_t *s, const char *why)
{
	server_close(s, why);
}

static void server_connect_cb(uv_connect_t *req, int status)
{
	sg_server_t *s = req->data;
	wire_param_t params[2];
	char why[128];
	int err;

	if (s->state == SV_CLOSING)
		return;
	if (status < 0) {
		snprintf(why, sizeof(why), "connect to %s:%d failed: %s", s->pool->host, s->pool->port,
		         uv_strerror(status));
		server_fail(s, why);
		return;
	}
	params[0].name = "user";
	params[0].value = s->pool->user;
	params[1].name = "database";
	params[1].value = s->pool->database;
	err = wire_write_startup(&s->out.pending, params, 2);
	if (err == 0)
		err = server_flush(s);
	if (err == 0)
		err = uv_read_start(&s->h.stream, server_alloc_cb, server_read_cb);
	if (err != 0) {
		server_fail(s, "could not send startup packet");
		return;
	}
	server_set_state(s, SV_LOGIN);
}

void server_close(sg_server_t *s, const char *why)
{
	if (s->state == SV_CLOSING)
		return;
	log_server(s, s->state == SV_IDLE ? LOG_DEBUG : LOG_INFO, "closing server connection: %s", why);
	if (s->client != NULL && s->client->fanout != NULL) {
		fanout_server_lost(s->client, s, why);
	} else if (s->client != NULL) {
		sg_client_t *c = s->client;
		/* Our own Syncs for a Flush are not the client's: it learns
		 * of the loss as of a batch it has not synced yet. */
		uint32_t outstanding = s->seg_sent - s->seg_done - (uint32_t)s->hidden_syncs;
		bool unsynced = s->unsynced > 0 || s->hidden_syncs > 0;
		server_detach(s);
		client_server_died(c, why, outstanding, unsynced);
	}
	sg_pool_server_gone(s->pool, s, why);
	server_set_state(s, SV_CLOSING);
	if (s->scram != NULL) {
		scram_client_clear(s->scram);
		free(s->scram);
		s->scram = NULL;
	}
	uv_close(&s->h.handle, server_close_cb);
}

static void server_close_cb(uv_handle_t *h)
{
	sg_server_t *s = h->data;
	sg_pool_t *pool = s->pool;

	sg_outq_free(&s->out);
	wbuf_free(&s->in);
	sg_params_free(&s->params);
	sg_params_free(&s->login_params);
	sg_pset_free(&s->prepared);
	free(s->ops);
	free(s);
	sg_pool_server_freed(pool);
}

int server_flush(sg_server_t *s)
{
	int err;

	if (s->state == SV_CLOSING)
		return 0;
	err = sg_outq_flush(&s->out);
	if (err != 0)
		log_server(s, LOG_WARN, "write failed: %s", sg_strerror(err));
	return err;
}

static void server_out_done(sg_outq_t *q, int status)
{
	sg_server_t *s = q->owner;

	if (status < 0) {
		server_close(s, uv_strerror(status));
		return;
	}
	/* A large COPY IN stopped reading the client: the backend caught up. */
	if (s->client != NULL)
		client_read_resume(s->client);
}

static void server_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	sg_server_t *s = h->data;

	if (wbuf_reserve(&s->in, SERVER_READ_CHUNK) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)s->in.data + s->in.len, (unsigned int)(s->in.cap - s->in.len));
}

/* ---- pending completions (Parse / Close) ---- */

int server_op_push(sg_server_t *s, uint8_t type, uint64_t hash, bool swallow)
{
	sg_pending_op_t *ops;

	if (s->ops_head > 0 && s->ops_head + s->ops_len == s->ops_cap) {
		memmove(s->ops, s->ops + s->ops_head, s->ops_len * sizeof(*ops));
		s->ops_head = 0;
	}
	if (s->ops_head + s->ops_len == s->ops_cap) {
		size_t cap = s->ops_cap ? s->ops_cap * 2 : 8;
		ops = realloc(s->ops, cap * sizeof(*ops));
		if (ops == NULL)
			return SG_ENOMEM;
		s->ops = ops;
		s->ops_cap = cap;
	}
	ops = &s->ops[s->ops_head + s->ops_len++];
	ops->hash = hash;
	ops->seg = s->seg_sent;
	ops->type = type;
	ops->swallow = swallow;
	return 0;
}

bool server_has_stmt(const sg_server_t *s, uint64_t hash)
{
	size_t i;

	if (sg_pset_has(&s->prepared, hash))
		return true;
	for (i = 0; i < s->ops_len; i++)
		if (s->ops[s->ops_head + i].type == '1' && s->ops[s->ops_head + i].hash == hash)
			return true;
	return false;
}

size_t server_parses_due(const sg_server_t *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->ops_len; i++)
		n += s->ops[s->ops_head + i].type == '1' && s->ops[s->ops_head + i].hash != 0;
	return n;
}

/* Drops due completions of the segment being processed: after an error
 * the backend skips everything until Sync, so they never arrive. A
 * statement whose Close was skipped is still there. */
static void server_ops_drop_segment(sg_server_t *s)
{
	const sg_pending_op_t *op;

	while (s->ops_len > 0 && s->ops[s->ops_head].seg == s->seg_done) {
		op = &s->ops[s->ops_head];
		if (op->type == '3' && op->hash != 0 && sg_pset_add(&s->prepared, op->hash) != 0)
			s->dirty = true;
		s->ops_head++;
		s->ops_len--;
	}
	if (s->ops_len == 0)
		s->ops_head = 0;
}

/* Pops the completion for an arriving '1' or '3'; returns whether the
 * client must not see it. */
static bool server_ops_complete(sg_server_t *s, uint8_t type)
{
	sg_pending_op_t op;

	if (s->ops_len == 0 || s->ops[s->ops_head].type != type)
		return false; /* not one we track: relay it */
	op = s->ops[s->ops_head++];
	if (--s->ops_len == 0)
		s->ops_head = 0;
	if (type == '1' && op.hash != 0 && sg_pset_add(&s->prepared, op.hash) != 0)
		s->dirty = true; /* cannot remember it: do not reuse this server */
	return op.swallow;
}

bool server_is_releasable(const sg_server_t *s)
{
	const sg_client_t *c = s->client;

	return s->state == SV_ACTIVE && c != NULL && s->tx_status == 'I' && s->seg_done == s->seg_sent &&
	       s->unsynced == 0 && s->ops_len == 0 && c->pin_reason == NULL &&
	       s->pool->px->cfg->pool.mode == POOL_MODE_TRANSACTION;
}

/* ---- login ---- */

static int server_login_auth(sg_server_t *s, const wire_frame_t *f)
{
	char msg[SCRAM_MSG_MAX];
	char md5[36];
	wire_auth_t a;
	size_t n;
	int err;

	err = wire_auth_parse(f, &a);
	if (err != 0)
		return err;
	switch (a.code) {
	case WIRE_AUTH_OK:
		/* A SCRAM exchange must have ended with a verified signature. */
		if (s->scram != NULL && !scram_client_done(s->scram))
			return SG_EAUTH;
		return 0;
	case WIRE_AUTH_CLEARTEXT:
		return wire_write_password(&s->out.pending, s->pool->password);
	case WIRE_AUTH_MD5:
		if (a.data_len != 4)
			return SG_EPROTO;
		md5_password_response(s->pool->user, s->pool->password, a.data, md5);
		return wire_write_password(&s->out.pending, md5);
	case WIRE_AUTH_SASL:
		if (!wire_auth_sasl_has(&a, "SCRAM-SHA-256") || s->scram != NULL)
			return SG_ENOTSUP;
		s->scram = calloc(1, sizeof(*s->scram));
		if (s->scram == NULL)
			return SG_ENOMEM;
		err = scram_client_init(s->scram, s->pool->password, NULL);
		if (err == 0)
			err = scram_client_first(s->scram, msg, sizeof(msg), &n);
		if (err == 0)
			err = wire_write_sasl_initial(&s->out.pending, "SCRAM-SHA-256", msg, n);
		return err;
	case WIRE_AUTH_SASL_CONTINUE:
		if (s->scram == NULL)
			return SG_EPROTO;
		err = scram_client_final(s->scram, a.data, a.data_len, msg, sizeof(msg), &n);
		if (err == 0)
			err = wire_write_sasl_response(&s->out.pending, msg, n);
		return err;
	case WIRE_AUTH_SASL_FINAL:
		if (s->scram == NULL)
			return SG_EPROTO;
		return scram_client_verify(s->scram, a.data, a.data_len);
	default:
		return SG_ENOTSUP;
	}
}

static int server_login_msg(sg_server_t *s, const wire_frame_t *f)
{
	wire_error_t e;
	char status;
	int err;

	switch (f->type) {
	case 'R':
		err = server_login_auth(s, f);
		if (err == 0)
			err = server_flush(s);
		return err;
	case 'S':
		return server_param_record(s, f, true);
	case 'K':
		return wire_backend_key_parse(f, &s->backend_pid, &s->backend_key);
	case 'N':
		return 0;
	case 'E':
		if (wire_error_parse(f, &e) == 0)
			snprintf(s->pool->last_error, sizeof(s->pool->last_error), "%s: %s",
			         e.sqlstate ? e.sqlstate : "?????", e.message ? e.message : "(no message)");
		return SG_EAUTH;
	case 'Z':
		err = wire_ready_parse(f, &status);
		if (err != 0)
			return err;
		if (s->scram != NULL) {
			scram_client_clear(s->scram);
			free(s->scram);
			s->scram = NULL;
		}
		s->tx_status = status;
		server_set_state(s, SV_IDLE);
		s->last_used_ms = sg_now_ms();
		log_server(s, LOG_INFO, "server login ok backend_pid=%d host=%s port=%d", (int)s->backend_pid,
		           s->pool->host, s->pool->port);
		sg_pool_server_ready(s->pool, s);
		return 0;
	default:
		return SG_EPROTO;
	}
}

/* ---- relay ---- */

/* New backend names for every kept statement (prepared.h). */
static void server_schema_changed(sg_server_t *s, const char *why)
{
	sg_pstmt_epoch_bump();
	router_layouts_forget(sg_px->router); /* column orders are read again */
	sg_px->stats.schema_epochs++;
	log_server(s, LOG_INFO, "prepared statements will be parsed again: %s", why);
}

/* *stale: the error is PostgreSQL refusing a prepared statement whose
 * result columns changed. */
static void server_note_error(sg_server_t *s, const wire_frame_t *f, bool *fatal, bool *stale)
{
	static const char stale_msg[] = "cached plan must not change result type";
	wire_error_t e;

	*fatal = false;
	*stale = false;
	if (wire_error_parse(f, &e) != 0 || e.severity == NULL)
		return;
	/* The schema changed behind our back (not through shardgate): later
	 * executions anywhere get fresh statements; this one is re-run
	 * (client_replay.c) or fails as it would for a client that prepared
	 * it itself. */
	if (e.sqlstate != NULL && strcmp(e.sqlstate, "0A000") == 0 && e.message != NULL &&
	    strncmp(e.message, stale_msg, sizeof(stale_msg) - 1) == 0) {
		*stale = true;
		server_schema_changed(s, "a backend reported a changed result type");
	}
	if (strcmp(e.severity, "FATAL") == 0 || strcmp(e.severity, "PANIC") == 0) {
		*fatal = true;
		snprintf(s->fatal_msg, sizeof(s->fatal_msg), "%s: %s", e.sqlstate ? e.sqlstate : "?????",
		         e.message ? e.message : "");
	}
}

/* An error as the client must read it: PostgreSQL names the statement in
 * some errors (a Bind with the wrong number of parameters), and the client
 * knows its own name, not the backend's "sg_..."; the position of an error
 * in a simple Query run as a kept statement is one in the rewritten text
 * (client_simple.c). True when the edited error was queued for the client
 * in place of f (server_process copied what came before it). */
static bool server_error_edit(sg_server_t *s, const wire_frame_t *f)
{
	char from[24] = "", to[128] = "";
	const char *p, *name;
	wire_error_t e;
	wbuf_t tmp;
	int err, pos;

	if (wire_error_parse(f, &e) != 0)
		return false;
	pos = client_simple_error_pos(s->client, s, e.position);
	if (e.message != NULL && (p = strstr(e.message, "\"sg_")) != NULL && strlen(p) >= 21 &&
	    p[20] == '"') {
		memcpy(from, p + 1, 19);
		from[19] = '\0';
		name = client_stmt_name(s->client, from);
		if (name != NULL && strlen(name) + 3 <= sizeof(to)) {
			snprintf(to, sizeof(to), "\"%s\"", name);
			snprintf(from, sizeof(from), "\"%.19s\"", p + 1);
		} else {
			from[0] = '\0';
		}
	}
	if (pos <= 0 && from[0] == '\0')
		return false;
	wbuf_init(&tmp);
	err = wire_write_error_edit(&tmp, f, from[0] ? from : NULL, to, pos);
	if (err == 0)
		wbuf_put(&s->client->out.pending, tmp.data, tmp.len);
	wbuf_free(&tmp);
	return err == 0;
}

/* Handles one reply while attached; returns true if it must NOT be relayed. */
static bool server_relay_reply(sg_server_t *s, const wire_frame_t *f, int *err)
{
	sg_client_t *c = s->client;
	bool fatal, stale;
	char status;

	*err = 0;
	switch (f->type) {
	case 'Z':
		*err = wire_ready_parse(f, &status);
		if (*err != 0)
			return true;
		if (s->hidden_syncs > 0) {
			/* Ours, for the client's Flush (client_relay.c): the backend
			 * goes back to the pool, the client hears nothing. */
			s->hidden_syncs--;
			s->tx_status = status;
			server_ops_drop_segment(s);
			if (s->seg_done < s->seg_sent)
				s->seg_done++;
			if (server_is_releasable(s))
				s->release_due = true;
			return true;
		}
		s->tx_status = status;
		if (c->held_begin != NULL && status == 'I')
			/* The client's BEGIN is still held (this backend only
			 * prepared or described): for the client the transaction
			 * goes on. The byte is in our own read buffer. */
			*(uint8_t *)f->body = (uint8_t)c->tx_status;
		else
			c->tx_status = status;
		server_ops_drop_segment(s); /* anything of this segment still due was skipped */
		if (c->simple.active && c->simple.seg == s->seg_done)
			client_simple_done(c);
		if (s->seg_done < s->seg_sent)
			s->seg_done++;
		if (s->schema_change && status == 'I') {
			/* Committed (or rolled back): statements parsed from now on
			 * see the new definitions. */
			s->schema_change = false;
			server_schema_changed(s, "schema-changing statement");
		}
		while (*err == 0 && c->pending_set != NULL && c->pending_set->seg == s->seg_done)
			*err = server_apply_set(s, c);
		if (status == 'I' && c->tx_saved != NULL)
			server_tx_settle(s);
		if (c->replay.state == REPLAY_SWALLOW) {
			/* The stale statement's batch ended: run it again. */
			if (*err == 0)
				*err = client_replay_end(c, s, status);
			if (status == 'I')
				return true;
		}
		if (server_is_releasable(s))
			s->release_due = true;
		return false;
	case 'S':
		*err = server_param_record(s, f, false);
		return false;
	case 'E':
		server_note_error(s, f, &fatal, &stale);
		server_ops_drop_segment(s);
		/* The segment's implicit transaction rolls back its SETs too. */
		for (struct client_set *set = c->pending_set; set != NULL; set = set->next)
			if (set->seg == s->seg_done + 1)
				set->failed = true;
		if (c->replay.state != REPLAY_OFF && client_replay_on_error(c, s, f, stale && !fatal))
			return true;
		client_replay_release_held(c);
		if (!fatal && c->bcast == NULL && server_error_edit(s, f))
			return true;
		if (fatal && (c->pin_reason != NULL || sg_px->cfg->pool.mode == POOL_MODE_SESSION)) {
			/* The client's session was this backend's: it ends as
			 * PostgreSQL ends it, with the FATAL and a close. */
			c->closing_after_flush = true;
			return false;
		}
		return fatal; /* a FATAL becomes 08006 when the socket closes */
	case '1':
	case '2':
	case '3':
	case 'n':
		return server_ops_complete(s, f->type);
	case 'C':
		if (c->tx_saved != NULL)
			server_tx_note_complete(s, f);
		return false;
	case 'T':
		/* It answers the Describe of a simple Query run as a kept
		 * statement (client_simple.c): the NoData it could have been is
		 * not due. The description itself is relayed. */
		(void)server_ops_complete(s, 'n');
		return false;
	default:
		return false;
	}
}

/* A recorded batch (client_replay.c) hides everything from its stale
 * error to its ReadyForQuery, and learns whether anything of it reached
 * the client. */
static bool server_relay_msg(sg_server_t *s, const wire_frame_t *f, int *err)
{
	sg_client_t *c = s->client;
	bool skip;

	if (c->replay.state == REPLAY_SWALLOW && f->type != 'Z') {
		*err = 0;
		return true;
	}
	if (client_replay_hold(c, f)) {
		*err = 0;
		return true;
	}
	/* A held reply goes ahead of this one (an error's fate is decided in
	 * server_relay_reply: it may run the batch again instead). */
	if (f->type != 'E')
		client_replay_release_held(c);
	skip = server_relay_reply(s, f, err);
	client_replay_release_held(c);
	if (!skip && c->replay.state != REPLAY_OFF)
		client_replay_relayed(c, f);
	return skip;
}

static int server_idle_msg(sg_server_t *s, const wire_frame_t *f)
{
	bool fatal, stale;

	switch (f->type) {
	case 'N':
	case 'A': /* a notification nobody listens for any more */
		return 0;
	case 'S':
		return server_param_record(s, f, false);
	case 'E':
		server_note_error(s, f, &fatal, &stale);
		return fatal ? SG_EIO : SG_EPROTO;
	default:
		return SG_EPROTO;
	}
}

static int server_setup_msg(sg_server_t *s, const wire_frame_t *f)
{
	wire_error_t e;
	char status;
	int err;

	switch (f->type) {
	case 'S':
		return server_param_record(s, f, false);
	case 'E':
		if (wire_error_parse(f, &e) == 0)
			log_server(s, LOG_WARN, "restoring session parameters failed: %s %s",
			           e.sqlstate ? e.sqlstate : "", e.message ? e.message : "");
		s->dirty = true;
		s->synced_hash = 0;
		return 0;
	case 'Z':
		err = wire_ready_parse(f, &status);
		if (err != 0)
			return err;
		s->tx_status = status;
		server_set_state(s, SV_ACTIVE);
		if (s->cancel_after_setup != 0) {
			uint64_t who = s->cancel_after_setup;
			s->cancel_after_setup = 0;
			server_cancel(s, who == UINT64_MAX ? 0 : who);
		}
		return 0;
	default:
		return 0; /* CommandComplete of our SETs */
	}
}

static int server_reset_msg(sg_server_t *s, const wire_frame_t *f)
{
	char status;
	int err;

	switch (f->type) {
	case 'E':
		s->dirty = true;
		return 0;
	case 'Z':
		err = wire_ready_parse(f, &status);
		if (err != 0)
			return err;
		s->tx_status = status;
		s->release_due = true;
		return 0;
	default:
		return 0;
	}
}

/* Copies the run of relayed bytes [from, to) to the client. */
static void server_relay_run(sg_server_t *s, size_t from, size_t to)
{
	if (to > from && s->client != NULL) {
		wbuf_put(&s->client->out.pending, s->in.data + from, to - from);
		sg_px->stats.bytes_out += to - from;
	}
}

static int server_process(sg_server_t *s)
{
	uint32_t max = s->pool->px->cfg->listen.max_message_size;
	size_t off = 0, run = 0;
	wire_frame_t f;
	bool skip;
	int err = 0;

	while (s->state != SV_CLOSING) {
		err = wire_frame_read(s->in.data + off, s->in.len - off, max, &f);
		if (err == SG_EAGAIN) {
			err = 0;
			break;
		}
		if (err != 0)
			break;
		/* Only replies relayed while ACTIVE extend the run of bytes copied
		 * to the client; anything we consume ourselves ends it. */
		switch (s->state) {
		case SV_LOGIN:
			err = server_login_msg(s, &f);
			run = off + f.total_len;
			break;
		case SV_IDLE:
			err = server_idle_msg(s, &f);
			run = off + f.total_len;
			break;
		case SV_SETUP:
			err = server_setup_msg(s, &f);
			run = off + f.total_len;
			break;
		case SV_RESET:
			err = server_reset_msg(s, &f);
			run = off + f.total_len;
			break;
		case SV_ACTIVE:
			if (s->client != NULL && s->client->fanout != NULL) {
				err = fanout_server_msg(s, &f);
				run = off + f.total_len;
				break;
			}
			if (f.type == 'E') {
				/* An error may be rewritten: what came before goes first. */
				server_relay_run(s, run, off);
				run = off;
			}
			skip = server_relay_msg(s, &f, &err);
			if (err == 0 && s->client != NULL && s->client->bcast != NULL) {
				err = client_bcast_reply(s->client, &f);
				skip = true; /* collected, answered once at the end */
			}
			if (skip) {
				server_relay_run(s, run, off);
				run = off + f.total_len;
			}
			break;
		default:
			abort();
		}
		if (err != 0)
			break;
		off += f.total_len;
	}
	if (s->state == SV_ACTIVE || s->state == SV_SETUP)
		server_relay_run(s, run, off);
	if (s->state != SV_CLOSING)
		wbuf_consume(&s->in, off);
	if (s->in.len == 0)
		wbuf_release(&s->in);
	return err;
}

static void server_after_relay(sg_server_t *s)
{
	sg_client_t *c = s->client;

	if (c == NULL)
		return;
	if (c->fanout != NULL) {
		fanout_after_read(s);
		return;
	}
	if (client_flush(c) != 0)
		return; /* client closed; it detached us */
	if (s->state == SV_CLOSING || s->client == NULL)
		return;
	if (s->release_due && server_is_releasable(s) && s->in.len == 0) {
		s->release_due = false;
		client_server_released(c);
		return;
	}
	s->release_due = false;
	if (client_output_full(c) && !s->reading_paused) {
		uv_read_stop(&s->h.stream);
		s->reading_paused = true;
	}
}

static void server_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	sg_server_t *s = st->data;
	char why[320];
	int err;

	if (s->state == SV_CLOSING)
		return;
	if (nread < 0) {
		if (s->fatal_msg[0])
			snprintf(why, sizeof(why), "backend closed the connection (%s)", s->fatal_msg);
		else
			snprintf(why, sizeof(why), "backend closed the connection: %s",
			         uv_strerror((int)nread));
		server_close(s, why);
		return;
	}
	if (nread == 0)
		return;
	s->in.len += (size_t)nread;
	err = server_process(s);
	if (err != 0) {
		if (s->state == SV_LOGIN)
			snprintf(why, sizeof(why), "login failed: %s",
			         s->pool->last_error[0] ? s->pool->last_error : sg_strerror(err));
		else
			snprintf(why, sizeof(why), "%s from backend", sg_strerror(err));
		server_close(s, why);
		return;
	}
	if (s->state == SV_RESET && s->release_due) {
		s->release_due = false;
		sg_pool_release(s->pool, s);
		return;
	}
	server_after_relay(s);
}

void server_read_resume(sg_server_t *s)
{
	if (!s->reading_paused || s->state == SV_CLOSING)
		return;
	s->reading_paused = false;
	if (uv_read_start(&s->h.stream, server_alloc_cb, server_read_cb) != 0)
		server_close(s, "could not resume reading");
}
