/* server_session.c — what a backend session carries between clients:
 * settings (ParameterStatus, SETs the proxy tracked), restoring them on
 * attach, DISCARD ALL when a session-bound client leaves, and cancel. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "server.h"
#include "sqltext.h"
#include "wire.h"

/* Reported settings a session may change with SET and a later client
 * must not inherit. Others (server_version, is_superuser, ...) are facts
 * about the server, only passed on to clients at login. */
static const char *const tracked_params[] = {"application_name",
                                             "client_encoding",
                                             "DateStyle",
                                             "IntervalStyle",
                                             "TimeZone",
                                             "standard_conforming_strings",
                                             "default_transaction_read_only"};
#define NTRACKED (sizeof(tracked_params) / sizeof(tracked_params[0]))

static bool server_param_tracked(const char *name)
{
	size_t i;

	for (i = 0; i < NTRACKED; i++)
		if (strcasecmp(name, tracked_params[i]) == 0)
			return true;
	return false;
}

/* ParameterStatus: remember the value on the server (and, while a client
 * is attached, as what that client now expects). */
int server_param_record(sg_server_t *s, const wire_frame_t *f, bool at_login)
{
	const char *name, *value;
	char lit[512];
	int err;

	err = wire_param_status_parse(f, &name, &value);
	if (err != 0)
		return err;
	if (at_login && (err = sg_params_set(&s->pool->welcome_raw, name, value)) != 0)
		return err;
	if (!server_param_tracked(name) || sql_literal(value, lit, sizeof(lit)) != 0)
		return 0;
	err = sg_params_set(&s->params, name, lit);
	if (err == 0 && at_login)
		err = sg_params_set(&s->login_params, name, lit);
	if (s->client != NULL && s->state == SV_ACTIVE) {
		/* The client changed it: both sides still agree. */
		if (err == 0)
			err = sg_params_set(&s->client->params, name, lit);
		s->synced_hash = err == 0 ? sg_params_hash(&s->client->params) : 0;
	} else if (s->state != SV_SETUP) {
		/* SETUP reports echo our own SETs; anything else is news. */
		s->synced_hash = 0;
	}
	return err;
}

void client_sets_free(sg_client_t *c)
{
	struct client_set *set;

	while ((set = c->pending_set) != NULL) {
		c->pending_set = set->next;
		free(set);
	}
}

/* ---- SETs inside a transaction ---- */

/* What the client and its server had before the transaction's first SET:
 * a ROLLBACK (or a COMMIT of a failed transaction, whose tag is ROLLBACK,
 * or a backend lost mid-transaction) undoes the SETs, so both go back to
 * these. A SET undone by ROLLBACK TO SAVEPOINT is not noticed. */
struct client_tx_saved {
	sg_params_t client;
	sg_params_t server;
	bool committed; /* the last CommandComplete said COMMIT */
};

void client_tx_saved_free(sg_client_t *c)
{
	if (c->tx_saved == NULL)
		return;
	sg_params_free(&c->tx_saved->client);
	sg_params_free(&c->tx_saved->server);
	free(c->tx_saved);
	c->tx_saved = NULL;
}

static int server_tx_save(sg_server_t *s, sg_client_t *c)
{
	int err;

	c->tx_saved = calloc(1, sizeof(*c->tx_saved));
	if (c->tx_saved == NULL)
		return SG_ENOMEM;
	err = sg_params_copy(&c->tx_saved->client, &c->params);
	if (err == 0)
		err = sg_params_copy(&c->tx_saved->server, &s->params);
	if (err != 0)
		client_tx_saved_free(c);
	return err;
}

/* PREPARE TRANSACTION keeps a session's SETs as a COMMIT does. */
void server_tx_note_complete(sg_server_t *s, const wire_frame_t *f)
{
	const char *tag;

	s->client->tx_saved->committed =
	        wire_command_complete_parse(f, &tag) == 0 &&
	        (strcmp(tag, "COMMIT") == 0 || strcmp(tag, "PREPARE TRANSACTION") == 0);
}

/* *now becomes *saved, except for the settings PostgreSQL reports: their
 * ParameterStatus after the ROLLBACK already put *now right (and the
 * snapshot, taken at the first SET's 'Z', may hold that SET's report). */
static int tx_restore(sg_params_t *now, sg_params_t *saved)
{
	sg_params_t restored = *saved;
	const char *v;
	size_t i;
	int err = 0;

	memset(saved, 0, sizeof(*saved));
	for (i = 0; i < NTRACKED && err == 0; i++) {
		if ((v = sg_params_get(now, tracked_params[i])) != NULL)
			err = sg_params_set(&restored, tracked_params[i], v);
		else
			sg_params_del(&restored, tracked_params[i]);
	}
	sg_params_free(now);
	*now = restored;
	return err;
}

void server_tx_settle(sg_server_t *s)
{
	sg_client_t *c = s->client;
	struct client_tx_saved *saved = c->tx_saved;

	if (!saved->committed) {
		if (tx_restore(&c->params, &saved->client) != 0 ||
		    tx_restore(&s->params, &saved->server) != 0)
			s->dirty = true;
		/* Both had agreed before the transaction; let the next attach
		 * check rather than trust it. */
		s->synced_hash = 0;
	}
	client_tx_saved_free(c);
}

/* The oldest SET/RESET/DISCARD in flight, its segment done: if the backend
 * accepted it, the client now expects it on every server, and this one
 * already has it (inside a transaction, until it ends: see above). */
int server_apply_set(sg_server_t *s, sg_client_t *c)
{
	struct client_set *set = c->pending_set;
	const char *login;
	int err = 0;

	c->pending_set = set->next;
	if (set->failed)
		goto done;
	if (s->tx_status != 'I' && c->tx_saved == NULL && server_tx_save(s, c) != 0)
		s->dirty = true; /* a ROLLBACK could not be followed: not reused */
	switch (set->kind) {
	case SQL_SET_VALUE:
		err = sg_params_set(&c->params, set->name, set->value);
		if (err == 0)
			err = sg_params_set(&s->params, set->name, set->value);
		break;
	case SQL_SET_RESET:
		sg_params_del(&c->params, set->name);
		if ((login = sg_params_get(&c->startup, set->name)) != NULL)
			err = sg_params_set(&c->params, set->name, login);
		/* the backend is at its own default now */
		if ((login = sg_params_get(&s->login_params, set->name)) != NULL)
			err = err ? err : sg_params_set(&s->params, set->name, login);
		else
			sg_params_del(&s->params, set->name);
		break;
	case SQL_SET_DISCARD:
	case SQL_SET_RESET_ALL:
		sg_params_free(&c->params);
		sg_params_free(&s->params);
		err = sg_params_copy(&c->params, &c->startup);
		if (err == 0)
			err = sg_params_copy(&s->params, &s->login_params);
		if (set->kind == SQL_SET_DISCARD) {
			/* DISCARD ALL also drops prepared statements */
			sg_pset_free(&s->prepared);
			sg_pmap_free(&c->pstmts);
		}
		break;
	case SQL_SET_DEALLOCATE_ALL:
		sg_pset_free(&s->prepared);
		sg_pmap_free(&c->pstmts);
		break;
	}
	if (err != 0)
		s->dirty = true;
	s->synced_hash = err == 0 ? sg_params_hash(&c->params) : 0;
done:
	free(set);
	return 0;
}

bool server_reset(sg_server_t *s)
{
	/* Session mode: a new connection gets a new backend, as with
	 * PostgreSQL itself (its PID, pg_stat_activity row, backend start). */
	if (sg_px->cfg->pool.mode == POOL_MODE_SESSION)
		return false;
	if (s->state != SV_ACTIVE || s->tx_status != 'I' || s->seg_done != s->seg_sent || s->unsynced != 0 ||
	    s->ops_len != 0 || s->dirty)
		return false;
	server_detach(s);
	if (wire_write_query(&s->out.pending, "DISCARD ALL") != 0 || server_flush(s) != 0)
		return false;
	/* DISCARD ALL drops prepared statements and settings alike. */
	sg_pset_free(&s->prepared);
	sg_params_free(&s->params);
	if (sg_params_copy(&s->params, &s->login_params) != 0)
		s->dirty = true;
	s->synced_hash = 0;
	server_set_state(s, SV_RESET);
	return true;
}

/* ---- attach / detach ---- */

/* One SET or RESET per setting that differs between what the client
 * expects and what this backend session has. */
static void server_sync_param(sg_server_t *s, wbuf_t *q, const char *name, const char *want)
{
	const char *cur = sg_params_get(&s->params, name);

	if (want == NULL)
		want = sg_params_get(&s->login_params, name);
	if (want == NULL) {
		if (cur == NULL)
			return;
		wbuf_put(q, "RESET ", 6);
		wbuf_put(q, name, strlen(name));
		wbuf_put(q, ";", 1);
		sg_params_del(&s->params, name);
		return;
	}
	if (cur != NULL && strcmp(cur, want) == 0)
		return;
	wbuf_put(q, "SET ", 4);
	wbuf_put(q, name, strlen(name));
	wbuf_put(q, " TO ", 4);
	wbuf_put(q, want, strlen(want));
	wbuf_put(q, ";", 1);
	if (sg_params_set(&s->params, name, want) != 0)
		s->dirty = true;
}

/* Appends the SET/RESET statements that bring this session to what the
 * client expects. */
static void server_sync_session(sg_server_t *s, sg_client_t *c, wbuf_t *q)
{
	size_t i;

	for (i = 0; i < c->params.n; i++)
		server_sync_param(s, q, c->params.names[i], c->params.values[i]);
	/* Settings a previous client changed that this one never asked for. */
	for (i = 0; i < s->params.n; i++) {
		const char *name = s->params.names[i];
		if (sg_params_get(&c->params, name) != NULL)
			continue;
		if (sg_params_get(&s->login_params, name) != NULL &&
		    strcmp(sg_params_get(&s->login_params, name), s->params.values[i]) == 0)
			continue;
		server_sync_param(s, q, name, NULL);
		i = (size_t)-1; /* s->params changed: rescan */
	}
}

int server_attach(sg_server_t *s, sg_client_t *c)
{
	uint64_t want = sg_params_hash(&c->params);
	wbuf_t q;
	int err = 0;

	s->client = c;
	s->release_due = false;
	s->last_used_ms = sg_now_ms();
	wbuf_init(&q);
	/* Same settings as the last client: nothing to restore. */
	if (want != s->synced_hash)
		server_sync_session(s, c, &q);
	if (c->held_begin != NULL && !c->attach_without_begin) {
		/* The client's BEGIN was answered when it arrived; it starts the
		 * transaction here, after the settings, with its replies hidden. */
		wbuf_put(&q, c->held_begin, strlen(c->held_begin));
		wbuf_put(&q, ";", 1);
		free(c->held_begin);
		c->held_begin = NULL;
	}
	c->attach_without_begin = false;
	if (q.len > 0) {
		wbuf_put_u8(&q, 0);
		log_server(s, LOG_DEBUG, "session setup: %s", (const char *)q.data);
		err = wire_write_query(&s->out.pending, (const char *)q.data);
		server_set_state(s, SV_SETUP);
	} else {
		server_set_state(s, SV_ACTIVE);
	}
	err = err ? err : wbuf_status(&q);
	wbuf_free(&q);
	s->synced_hash = err == 0 && !s->dirty ? want : 0;
	return err;
}

void server_detach(sg_server_t *s)
{
	if (s->client != NULL && s->client->server == s) {
		/* Every segment ended (or the backend is gone): a SET still
		 * listed never took effect, and its segment number means
		 * nothing on the next server. (Not for a fan-out leg: the
		 * client's session is not on it.) */
		client_sets_free(s->client);
		/* A transaction still open here is rolled back with it. */
		if (s->client->tx_saved != NULL) {
			s->client->tx_saved->committed = false;
			server_tx_settle(s);
		}
	}
	if (s->client != NULL)
		s->client->server = NULL;
	s->client = NULL;
	s->release_due = false;
	if (s->reading_paused)
		server_read_resume(s);
}

/* ---- cancel ---- */

/* A CancelRequest on its own connection. The client that asked is
 * answered (its connection closed) only once PostgreSQL has closed ours,
 * i.e. once the cancel has been processed: drivers wait for that close
 * before they reuse the connection. */
typedef struct server_cancel_req {
	sg_backend_handle_t h;
	uv_connect_t connect;
	uv_write_t write;
	uint8_t pkt[16];
	char rbuf[64];
	uint64_t requester; /* client id of the cancel connection, 0 none */
} server_cancel_req_t;

static void cancel_close_cb(uv_handle_t *h)
{
	server_cancel_req_t *r = h->data;
	sg_client_t *c = client_find(r->requester);

	if (c != NULL)
		client_close(c, "cancel request processed");
	free(r);
}

static void cancel_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	server_cancel_req_t *r = h->data;

	*buf = uv_buf_init(r->rbuf, sizeof(r->rbuf));
}

static void cancel_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	if (nread < 0)
		uv_close((uv_handle_t *)st, cancel_close_cb);
}

static void cancel_write_cb(uv_write_t *req, int status)
{
	server_cancel_req_t *r = req->data;

	if (status < 0 || uv_read_start(&r->h.stream, cancel_alloc_cb, cancel_read_cb) != 0)
		uv_close(&r->h.handle, cancel_close_cb);
}

static void cancel_connect_cb(uv_connect_t *req, int status)
{
	server_cancel_req_t *r = req->data;
	uv_buf_t buf = uv_buf_init((char *)r->pkt, sizeof(r->pkt));

	if (status < 0 || uv_write(&r->write, &r->h.stream, &buf, 1, cancel_write_cb) != 0)
		uv_close(&r->h.handle, cancel_close_cb);
}

void server_cancel(sg_server_t *s, uint64_t requester)
{
	server_cancel_req_t *r;
	wbuf_t b;

	if (s->state == SV_SETUP) {
		/* Still restoring settings: the cancel is meant for the query
		 * behind them. */
		s->cancel_after_setup = requester ? requester : UINT64_MAX;
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return;
	wbuf_init(&b);
	if (wire_write_cancel(&b, s->backend_pid, s->backend_key) != 0 || b.len != sizeof(r->pkt)) {
		wbuf_free(&b);
		free(r);
		return;
	}
	memcpy(r->pkt, b.data, sizeof(r->pkt));
	wbuf_free(&b);
	r->requester = requester;
	r->connect.data = r;
	r->write.data = r;
	if (sg_pool_connect(s->pool, &r->h, r, &r->connect, cancel_connect_cb) != 0)
		uv_close(&r->h.handle, cancel_close_cb);
	log_server(s, LOG_INFO, "cancel request sent backend_pid=%d", (int)s->backend_pid);
}

int server_inject_error(sg_server_t *s, const char *sqlstate, const char *msg, bool as_query)
{
	char clean[600], lit[1300], sql[1500];
	size_t i;
	int err;

	/* The message sits in a literal inside $sg$...$sg$: no '$' in it. */
	snprintf(clean, sizeof(clean), "%s", msg);
	for (i = 0; clean[i]; i++)
		if (clean[i] == '$')
			clean[i] = ' ';
	if (strlen(sqlstate) != 5 || sql_literal(clean, lit, sizeof(lit)) != 0)
		return SG_ERANGE;
	snprintf(sql, sizeof(sql), "DO $sg$BEGIN RAISE EXCEPTION USING ERRCODE = '%s', MESSAGE = %s; END$sg$",
	         sqlstate, lit);
	if (as_query) {
		err = wire_write_query(&s->out.pending, sql);
		s->seg_sent++;
		return err;
	}
	err = wire_write_parse(&s->out.pending, "", sql, 0, NULL);
	if (err == 0)
		err = server_op_push(s, '1', 0, true);
	if (err == 0)
		err = wire_write_bind_renamed(&s->out.pending, "", "", (const uint8_t *)"\0\0\0\0\0\0", 6);
	if (err == 0)
		err = server_op_push(s, '2', 0, true);
	if (err == 0)
		err = wire_write_execute(&s->out.pending, "", 0);
	return err;
}
