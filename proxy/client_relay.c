/* client_relay.c — forwarding an application client's messages to its
 * server. In transaction mode named prepared statements are renamed to
 * their interned backend names and re-parsed on servers that lack them;
 * everything else is copied as it came. */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "router.h"
#include "server.h"
#include "sqltext.h"

#define SERVER_OUTPUT_LIMIT (4u << 20) /* stop reading the client above this */

static bool client_translates(const sg_client_t *c)
{
	return sg_px->cfg->pool.mode == POOL_MODE_TRANSACTION;
}

static void relay_raw(sg_server_t *s, const wire_frame_t *f)
{
	wbuf_put(&s->out.pending, f->body - 5, f->total_len);
}

/* A backend holding pool.max_server_statements statements closes its
 * least recently used one before parsing another; statements this batch
 * already used are kept (the cap is then exceeded until the next batch).
 * The CloseComplete is ours: swallowed. */
static int relay_make_room(sg_server_t *s)
{
	char name[20];
	uint64_t victim;
	int err;

	if (s->prepared.n + server_parses_due(s) < (size_t)sg_px->cfg->pool.max_server_statements)
		return 0;
	victim = sg_pset_lru(&s->prepared, s->batch_tick);
	if (victim == 0)
		return 0;
	sg_pset_del(&s->prepared, victim);
	sg_pstmt_key_name(victim, name);
	err = wire_write_close(&s->out.pending, 'S', name);
	if (err == 0)
		err = server_op_push(s, '3', victim, true);
	sg_px->stats.statements_evicted++;
	return err;
}

static void relay_stmt_of(sg_client_t *c, sg_pstmt_t *st, bool kept, relay_stmt_t *r)
{
	r->query = st->query;
	r->nparams = st->nparams;
	r->types = st->types;
	if (!kept) {
		r->key = st->hash;
		memcpy(r->name, st->gname, sizeof(r->name));
		return;
	}
	r->key = client_kept_key(c, sg_pstmt_kept_key(st));
	sg_pstmt_key_name(r->key, r->name);
}

uint64_t client_kept_key(sg_client_t *c, uint64_t epoch_key)
{
	uint64_t k = epoch_key ^ sg_params_parse_digest(&c->params);

	k ^= k >> 32;
	k *= 0xd6e8feb86659fd93ULL;
	k ^= k >> 32;
	return k ? k : 1; /* 0 means "no statement" in the server's op queue */
}

/* Parses r on s; `hidden` when the client did not ask for it (its
 * ParseComplete is swallowed). */
static int relay_parse_stmt(sg_server_t *s, const relay_stmt_t *r, bool hidden)
{
	int err = relay_make_room(s);

	if (err == 0)
		err = wire_write_parse(&s->out.pending, r->name, r->query, r->nparams, r->types);
	if (err == 0)
		err = server_op_push(s, '1', r->key, hidden);
	return err;
}

int client_relay_ensure_parsed(sg_server_t *s, const relay_stmt_t *r)
{
	if (sg_pset_use(&s->prepared, r->key) || server_has_stmt(s, r->key))
		return 0;
	sg_px->stats.reprepares++;
	return relay_parse_stmt(s, r, true);
}

/* Parses r on s for a client's Parse (its ParseComplete is the client's).
 * If s has it already, it is closed and parsed again so that the answer
 * comes in order (the CloseComplete is ours). */
static int relay_parse_visible(sg_server_t *s, const relay_stmt_t *r)
{
	int err = 0;

	if (server_has_stmt(s, r->key)) {
		err = wire_write_close(&s->out.pending, 'S', r->name);
		if (err == 0)
			err = server_op_push(s, '3', r->key, true);
		sg_pset_del(&s->prepared, r->key);
	}
	return err == 0 ? relay_parse_stmt(s, r, false) : err;
}

const char *client_stmt_name(sg_client_t *c, const char *backend_name)
{
	relay_stmt_t r;
	uint64_t key = 0;
	size_t i;

	if (strncmp(backend_name, "sg_", 3) != 0 || strlen(backend_name) != 19)
		return NULL;
	for (i = 3; i < 19; i++) {
		char ch = backend_name[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return NULL;
		key = key << 4 | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
	}
	if (c->unnamed_st != NULL) {
		relay_stmt_of(c, c->unnamed_st, true, &r);
		if (r.key == key)
			return "";
	}
	for (i = 0; i < c->pstmts.n; i++)
		if (c->pstmts.items[i].st->hash == key)
			return c->pstmts.items[i].name;
	return NULL;
}

int client_remember_unnamed(sg_client_t *c, const wire_parse_msg_t *m)
{
	char *q = strdup(m->query);
	uint8_t *t = m->nparams > 0 ? malloc((size_t)m->nparams * 4) : NULL;

	if (q == NULL || (m->nparams > 0 && t == NULL)) {
		free(q);
		free(t);
		return SG_ENOMEM;
	}
	if (t != NULL)
		memcpy(t, m->param_types, (size_t)m->nparams * 4);
	client_forget_unnamed(c);
	c->unnamed_query = q;
	c->unnamed_types = t;
	c->unnamed_ntypes = m->nparams;
	c->unnamed_keep = sql_can_keep_prepared(q);
	c->unnamed_is_set = sql_is_session_set(q);
	c->unnamed_gen++;
	return 0;
}

/* Is m the unnamed statement the client parsed last (text and types)? */
static bool relay_unnamed_is(const sg_client_t *c, const wire_parse_msg_t *m)
{
	return c->unnamed_query != NULL && c->unnamed_ntypes == m->nparams &&
	       strcmp(c->unnamed_query, m->query) == 0 &&
	       (m->nparams == 0 || memcmp(c->unnamed_types, m->param_types, (size_t)m->nparams * 4) == 0);
}

/* Nothing is due from s before the message being relayed: an answer
 * written to the client now arrives in order. */
static bool relay_server_quiet(const sg_server_t *s)
{
	return s->ops_len == 0 && s->seg_done == s->seg_sent && s->unsynced == 1 && s->tx_status != 'E';
}

/* An unnamed Parse of a plannable statement (pool.cache_unnamed_statements):
 * drivers such as lib/pq, JDBC and pgbench -M extended send the same
 * unnamed statement for every execution, and PostgreSQL parses, analyses
 * and plans it every time. It runs as an interned statement kept prepared
 * on the backend instead; where that is already parsed and nothing is in
 * flight the Parse is answered here and never sent. Results are the same;
 * the statement is planned the way PostgreSQL plans prepared statements
 * (custom plans first, then perhaps a generic one). */
static int relay_parse_unnamed_kept(sg_client_t *c, sg_server_t *s, const wire_parse_msg_t *m)
{
	relay_stmt_t r;

	if (c->unnamed_st == NULL && (c->unnamed_st = sg_pstmt_intern(m)) == NULL)
		return SG_ENOMEM;
	relay_stmt_of(c, c->unnamed_st, true, &r);
	if (relay_server_quiet(s) && sg_pset_use(&s->prepared, r.key)) {
		sg_px->stats.parses_skipped++;
		c->flush_with_reply = true;
		/* It was parsed before this Parse: if the schema changed behind
		 * our back since, its first use fails and the batch re-runs. */
		c->unnamed_unchecked = true;
		client_replay_start(c, s);
		return wire_write_parse_complete(&c->out.pending);
	}
	c->unnamed_unchecked = false;
	return relay_parse_visible(s, &r);
}

static int relay_parse(sg_client_t *c, sg_server_t *s, const wire_frame_t *f)
{
	wire_parse_msg_t m;
	sg_pstmt_t *st;
	relay_stmt_t r;
	const char *pin;
	bool same;
	int err;

	err = wire_parse_parse(f, &m);
	if (err != 0)
		return err;
	/* Drivers re-send the same unnamed statement for every execution:
	 * it was scanned and remembered already. */
	same = m.stmt[0] == '\0' && relay_unnamed_is(c, &m);
	pin = !same && c->pin_reason == NULL && client_translates(c) ? sql_pin_reason(m.query) : NULL;
	if (pin != NULL) {
		c->pin_reason = pin;
		log_client(c, LOG_INFO, "pinned to its server connection: %s", pin);
	}
	if (m.stmt[0] == '\0' && client_translates(c)) {
		/* Its Binds may run on another backend, and are routed by it. */
		if (!same && (err = client_remember_unnamed(c, &m)) != 0)
			return err;
		/* Not while this transaction changed the schema: the new
		 * definitions count for it only once it commits (server.c). */
		if (sg_px->cfg->pool.cache_unnamed_statements && c->unnamed_keep && !s->schema_change)
			return relay_parse_unnamed_kept(c, s, &m);
		sg_pstmt_unref(c->unnamed_st);
		c->unnamed_st = NULL;
		c->unnamed_unchecked = false;
		s->unnamed_client = c->id;
		s->unnamed_gen = c->unnamed_gen;
	}
	if (!same && client_translates(c) && sql_changes_schema(m.query))
		s->schema_change = true;
	if (m.stmt[0] == '\0' || !client_translates(c)) {
		relay_raw(s, f);
		return server_op_push(s, '1', 0, false);
	}
	if (sg_pmap_get(&c->pstmts, m.stmt) != NULL) {
		/* PostgreSQL refuses to redefine a name (42P05). Let the backend
		 * say so in its own words: parse the client's name twice. The
		 * first (hidden) may already fail if an earlier refusal left the
		 * name there; either way exactly one error reaches the client. */
		err = wire_write_parse(&s->out.pending, m.stmt, m.query, m.nparams, m.param_types);
		if (err == 0)
			err = server_op_push(s, '1', 0, true);
		if (err == 0)
			err = wire_write_parse(&s->out.pending, m.stmt, m.query, m.nparams, m.param_types);
		if (err == 0)
			err = server_op_push(s, '1', 0, false);
		return err;
	}
	st = sg_pstmt_intern(&m);
	if (st == NULL)
		return SG_ENOMEM;
	err = sg_pmap_put(&c->pstmts, m.stmt, st);
	if (err != 0)
		return err;
	relay_stmt_of(c, st, false, &r);
	return relay_parse_visible(s, &r);
}

/* The client's unnamed statement lives on the backend that parsed it; a
 * Bind or Describe of it on another backend (the Sync in between released
 * the first) gets it parsed there first. */
static int relay_ensure_unnamed(sg_client_t *c, sg_server_t *s)
{
	int err;

	if (c->unnamed_query == NULL || (s->unnamed_client == c->id && s->unnamed_gen == c->unnamed_gen))
		return 0;
	err = wire_write_parse(&s->out.pending, "", c->unnamed_query, c->unnamed_ntypes, c->unnamed_types);
	if (err == 0)
		err = server_op_push(s, '1', 0, true);
	s->unnamed_client = c->id;
	s->unnamed_gen = c->unnamed_gen;
	sg_px->stats.reprepares++;
	return err;
}

/* Remembers a session SET so the next server can be given the same
 * setting; it takes effect when segment `seg` (the Query, or the batch up
 * to its Sync) ends without an error. */
static int relay_track_set(sg_client_t *c, uint32_t seg, const char *sql)
{
	struct client_set set, **tail;

	set.kind = (int)sql_parse_set(sql, set.name, sizeof(set.name), set.value, sizeof(set.value));
	if (set.kind == SQL_SET_NONE)
		return 0;
	set.seg = seg;
	set.failed = false;
	set.next = NULL;
	/* In flight in order: several SETs may share a batch, and pipelined
	 * Queries may each carry one. */
	for (tail = &c->pending_set; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = malloc(sizeof(set));
	if (*tail == NULL)
		return SG_ENOMEM;
	**tail = set;
	return 0;
}

static int relay_bind(sg_client_t *c, sg_server_t *s, const wire_frame_t *f)
{
	wire_bind_msg_t m;
	sg_pstmt_t *st;
	relay_stmt_t r;
	const char *sql;
	int err = 0;

	if (!client_translates(c)) {
		relay_raw(s, f);
		return server_op_push(s, '2', 0, false);
	}
	err = wire_bind_parse(f, &m);
	if (err != 0)
		return err;
	st = m.stmt[0] ? sg_pmap_get(&c->pstmts, m.stmt) : c->unnamed_st;
	if (st != NULL)
		relay_stmt_of(c, st, m.stmt[0] == '\0', &r);
	if (st != NULL && m.stmt[0] == '\0' && c->unnamed_unchecked && s->unsynced == 1)
		client_replay_start(c, s);
	if (m.stmt[0] == '\0' && st == NULL)
		err = relay_ensure_unnamed(c, s);
	if (err == 0 && st != NULL)
		err = client_relay_ensure_parsed(s, &r);
	/* Completions arrive in order: any injected Parse's before ours. */
	if (err == 0)
		err = server_op_push(s, '2', 0, false);
	if (err != 0)
		return err;
	/* A SET over the extended protocol (pgjdbc's own `SET
	 * extra_float_digits = 3`, any SET a driver prepares) is tracked as
	 * over the simple one, for the segment the coming Sync ends. At Bind,
	 * not Execute: drivers execute a bound portal at once, and the Bind
	 * still names the statement. Whether it is one was decided at Parse. */
	if (st != NULL ? st->is_set : m.stmt[0] == '\0' && c->unnamed_is_set) {
		sql = st != NULL ? st->query : c->unnamed_query;
		if (sql != NULL && (err = relay_track_set(c, s->seg_sent + 1, sql)) != 0)
			return err;
	}
	if (st == NULL) {
		/* Unnamed, or unknown: the backend gives the right error. */
		relay_raw(s, f);
		return 0;
	}
	return wire_write_bind_renamed(&s->out.pending, m.portal, r.name, m.rest, m.rest_len);
}

static int relay_describe_close(sg_client_t *c, sg_server_t *s, const wire_frame_t *f)
{
	wire_target_msg_t m;
	relay_stmt_t r;
	sg_pstmt_t *st;
	int err;

	err = wire_target_parse(f, &m);
	if (err != 0)
		return err;
	if (f->type == 'C')
		err = server_op_push(s, '3', 0, false);
	if (err != 0)
		return err;
	st = NULL;
	if (m.kind == 'S' && m.name[0] == '\0' && client_translates(c)) {
		if (f->type == 'C')
			client_forget_unnamed(c);
		else if (c->unnamed_st != NULL)
			st = c->unnamed_st;
		else if ((err = relay_ensure_unnamed(c, s)) != 0)
			return err;
	}
	if (m.kind == 'S' && m.name[0] && client_translates(c))
		st = sg_pmap_get(&c->pstmts, m.name);
	if (st == NULL) {
		relay_raw(s, f);
		return 0;
	}
	if (f->type == 'C') {
		/* Other clients may share the backend statement: only forget our
		 * name. Closing a name the backend never had still answers
		 * CloseComplete, which is what the client expects. */
		sg_pmap_del(&c->pstmts, m.name);
		relay_raw(s, f);
		return 0;
	}
	relay_stmt_of(c, st, m.name[0] == '\0', &r);
	if (m.name[0] == '\0' && c->unnamed_unchecked && s->unsynced == 1)
		client_replay_start(c, s);
	err = client_relay_ensure_parsed(s, &r);
	if (err == 0)
		err = wire_write_describe(&s->out.pending, 'S', r.name);
	return err;
}

static int relay_query(sg_client_t *c, sg_server_t *s, const wire_frame_t *f)
{
	const char *sql, *pin;
	int err;

	err = wire_query_parse(f, &sql);
	if (err != 0)
		return err;
	pin = NULL;
	if (c->pin_reason == NULL && client_translates(c))
		pin = c->routed_pin_set ? c->routed_pin : sql_pin_reason(sql);
	c->routed_pin_set = false;
	if (pin != NULL) {
		c->pin_reason = pin;
		log_client(c, LOG_INFO, "pinned to its server connection: %s", pin);
	}
	err = client_simple_try(c, s, sql);
	if (err < 0)
		return err;
	if (err == 0)
		relay_raw(s, f);
	s->seg_sent++;
	s->unnamed_client = 0; /* a simple Query drops the unnamed statement */
	sg_px->stats.queries++;
	if (!client_translates(c))
		return 0;
	if (sql_changes_schema(sql))
		s->schema_change = true;
	return relay_track_set(c, s->seg_sent, sql);
}

static int relay_message(sg_client_t *c, sg_server_t *s, const wire_frame_t *f)
{
	/* Statements used from here to the Sync are not evicted. */
	if (s->unsynced == 0)
		s->batch_tick = s->prepared.clock + 1;
	switch (f->type) {
	case 'Q':
		return relay_query(c, s, f);
	case 'P':
		s->unsynced++;
		return relay_parse(c, s, f);
	case 'B':
		s->unsynced++;
		return relay_bind(c, s, f);
	case 'D':
	case 'C':
		s->unsynced++;
		return relay_describe_close(c, s, f);
	case 'H':
		if (c->flush_as_sync) {
			/* The client waits for its statement's description: a
			 * Sync there ends this backend's part, so the Bind to come
			 * is routed afresh (its parameters may name another shard).
			 * The client's own Flush asked for no ReadyForQuery. */
			c->flush_as_sync = false;
			s->unsynced = 0;
			s->seg_sent++;
			s->hidden_syncs++;
			return wire_write_sync(&s->out.pending);
		}
		s->unsynced++;
		relay_raw(s, f);
		return 0;
	case 'E':
		s->unsynced++;
		relay_raw(s, f);
		return 0;
	case 'S':
		s->unsynced = 0;
		s->seg_sent++;
		sg_px->stats.queries++;
		relay_raw(s, f);
		return 0;
	case 'F':
		s->seg_sent++;
		relay_raw(s, f);
		return 0;
	case 'd':
	case 'c':
	case 'f':
		relay_raw(s, f);
		return 0;
	default:
		log_client(c, LOG_WARN, "unexpected message type '%c' from client", f->type);
		return SG_EPROTO;
	}
}

int client_relay_to_server(sg_client_t *c, sg_server_t *s, const wire_frame_t *f)
{
	int err = relay_message(c, s, f);

	if (err == 0 && c->replay.state == REPLAY_RECORDING)
		client_replay_record(c, s, f);
	return err;
}

static int relay_acquire(sg_client_t *c, int shard)
{
	sg_pool_t *pool;
	sg_server_t *s;

	if (sg_px->paused) {
		sg_list_push_back(&sg_px->paused_clients, &c->wait_node);
		c->paused_wait = true;
		client_set_state(c, CL_WAITING);
		return 0;
	}
	pool = sg_proxy_pool(sg_px, shard);
	if (pool == NULL) {
		client_send_error(c, "ERROR", "08006", "no pool for shard %d", shard);
		client_discard_pending(c);
		return 2;
	}
	c->pool = pool;
	s = sg_pool_checkout(pool, c);
	if (s == NULL) {
		client_set_state(c, CL_WAITING);
		return 0;
	}
	c->server = s;
	if (server_attach(s, c) != 0)
		return SG_ENOMEM;
	client_set_state(c, CL_ACTIVE);
	return 1;
}

/* In skip mode after an error: drop until Sync, which is answered here,
 * or forwarded when the error was injected on the server. */
static int relay_skip(sg_client_t *c, const wire_frame_t *f)
{
	if (f->type != 'S')
		return 1;
	c->skip_until_sync = false;
	if (c->sync_to_server && c->server != NULL) {
		c->sync_to_server = false;
		return client_relay_to_server(c, c->server, f) == 0 ? 1 : SG_ENOMEM;
	}
	c->sync_to_server = false;
	return wire_write_ready(&c->out.pending, c->tx_status) == 0 ? 1 : SG_ENOMEM;
}

static int relay_route(sg_client_t *c, const wire_frame_t *f, int *target)
{
	const char *sql;
	int rc;

	if (f->type != 'Q')
		return client_route_extended(c, f, target);
	rc = wire_query_parse(f, &sql);
	if (rc != 0)
		return rc;
	return client_route_query(c, sql, target);
}

int client_relay(sg_client_t *c, const wire_frame_t *f)
{
	int rc, target;

	if (f->type == 'X') {
		client_close(c, "client terminated");
		return 0;
	}
	if (c->skip_until_sync)
		return relay_skip(c, f);
	if (c->copy_in != NULL)
		return client_copy_msg(c, f);
	if (c->server_lost && c->server == NULL) {
		c->server_lost = false;
		client_send_error(c, "ERROR", "08006",
		                  "server connection was lost; the open transaction was rolled back");
		client_discard_pending(c);
		return 2;
	}
	rc = relay_route(c, f, &target);
	if (rc < 0 || rc == ROUTE_WAIT)
		return rc;
	if (rc != ROUTE_FORWARD && c->replay.state == REPLAY_RECORDING)
		client_replay_reset(c); /* part of the batch is answered here: not re-runnable */
	if (rc == ROUTE_LOCAL || rc == ROUTE_REPLACED)
		return 1;
	if (rc == ROUTE_CONSUMED)
		return 2;
	if (c->server == NULL) {
		rc = relay_acquire(c, target);
		if (rc != 1)
			return rc;
	}
	rc = client_relay_to_server(c, c->server, f);
	if (rc != 0)
		return rc;
	if (sg_outq_size(&c->server->out) > SERVER_OUTPUT_LIMIT && c->reading) {
		/* Large COPY IN: let the backend catch up. */
		uv_read_stop(c->stream);
		c->reading = false;
	}
	return 1;
}
