/* client_simple.c — a simple Query run as a statement kept prepared.
 *
 * PostgreSQL parses, analyses and plans every simple Query; pgbench -S,
 * psql scripts and drivers without server-side binding send the same few
 * statements over and over, differing only in their constants. With
 * pool.prepare_simple_queries such a Query goes to the backend as
 * Bind/Describe/Execute/Sync of a statement parsed once per backend
 * connection, with its constants as typed text parameters
 * (sql/paramize.h says which constants and why the meaning is the same).
 * The client sees exactly the simple protocol's replies: ParseComplete,
 * BindComplete and NoData are hidden, RowDescription, DataRow,
 * CommandComplete, notices and errors pass (an error's position is mapped
 * back to the client's text), and the one ReadyForQuery ends it.
 *
 * Only a statement seen before is rewritten (a one-off statement would
 * only fill the backend's statement cache), only when nothing else is in
 * flight on the server (so at most one rewritten Query is, and an error's
 * position belongs to it), and not in a failed transaction or one that
 * changed the schema. Statements are kept under the same rules as unnamed
 * ones (client_relay.c): per parse-relevant settings, renamed after schema
 * changes, re-run once outside a transaction block when one went stale
 * behind shardgate's back (client_replay.c). */
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "paramize.h"
#include "proxy.h"
#include "server.h"
#include "sqltext.h"

/* Hashes of rewritten texts seen lately: a direct-mapped table, so the
 * check costs one probe and no allocation. */
#define SEEN_SLOTS 4096
static uint64_t simple_seen[SEEN_SLOTS];

/* True if the rewritten statement (text and types) was seen before. */
static bool simple_seen_before(uint64_t h)
{
	uint64_t *slot = &simple_seen[h % SEEN_SLOTS];

	if (*slot == h)
		return true;
	*slot = h;
	return false;
}

void client_simple_done(sg_client_t *c)
{
	if (!c->simple.active)
		return;
	sql_paramized_free(&c->simple.p);
	c->simple.active = false;
}

static bool simple_eligible(const sg_client_t *c, const sg_server_t *s, const char *sql)
{
	return sg_px->cfg->pool.prepare_simple_queries && sg_px->cfg->pool.mode == POOL_MODE_TRANSACTION &&
	       !c->simple.active && s->unsynced == 0 && s->ops_len == 0 && s->seg_done == s->seg_sent &&
	       s->tx_status != 'E' && !s->schema_change && sql_can_keep_prepared(sql);
}

/* Bind, Describe, Execute and Sync of r with p's constants. */
static int simple_send(sg_server_t *s, const relay_stmt_t *r, const sql_paramized_t *p)
{
	int err = client_relay_ensure_parsed(s, r);

	if (err == 0)
		err = wire_write_bind_text(&s->out.pending, "", r->name, p->nparams,
		                           (const char *const *)p->values);
	if (err == 0)
		err = server_op_push(s, '2', 0, true);
	if (err == 0)
		err = wire_write_describe(&s->out.pending, 'P', "");
	if (err == 0)
		err = server_op_push(s, 'n', 0, true); /* NoData: a simple Query has none */
	if (err == 0)
		err = wire_write_execute(&s->out.pending, "", 0);
	if (err == 0)
		err = wire_write_sync(&s->out.pending);
	return err;
}

int client_simple_try(sg_client_t *c, sg_server_t *s, const char *sql)
{
	wire_parse_msg_t m;
	relay_stmt_t r;
	uint64_t hash;
	uint16_t i;
	int rc;

	if (!simple_eligible(c, s, sql))
		return 0;
	rc = sql_paramize(sql, &c->simple.p);
	if (rc != 1)
		return rc;
	/* Parse wants the types as big-endian OIDs: convert in place. */
	for (i = 0; i < c->simple.p.nparams; i++)
		c->simple.p.types[i] = htonl(c->simple.p.types[i]);
	memset(&m, 0, sizeof(m));
	m.query = c->simple.p.text;
	m.nparams = c->simple.p.nparams;
	m.param_types = (const uint8_t *)c->simple.p.types;
	hash = sg_pstmt_content_hash(&m);
	if (!simple_seen_before(hash)) {
		sql_paramized_free(&c->simple.p);
		return 0;
	}
	r.query = m.query;
	r.nparams = m.nparams;
	r.types = m.param_types;
	r.key = client_kept_key(c, sg_pstmt_kept_key_of(hash));
	sg_pstmt_key_name(r.key, r.name);
	/* Already parsed there: if it went stale behind our back, its first
	 * use fails and the Query runs again (client_replay.c). */
	if (sg_pset_has(&s->prepared, r.key))
		client_replay_start(c, s);
	rc = simple_send(s, &r, &c->simple.p);
	if (rc != 0) {
		sql_paramized_free(&c->simple.p);
		return rc;
	}
	c->simple.active = true;
	c->simple.seg = s->seg_sent; /* the Sync just written; the caller counts it */
	sg_px->stats.simple_prepared++;
	return 1;
}

int client_simple_error_pos(const sg_client_t *c, const sg_server_t *s, const char *position)
{
	char *end;
	long pos;

	if (!c->simple.active || c->simple.seg != s->seg_done || position == NULL)
		return 0;
	/* The backend's text: a position within what we sent, or left alone. */
	pos = strtol(position, &end, 10);
	if (end == position || *end != '\0' || pos < 1 || pos > INT_MAX)
		return 0;
	return sql_paramized_orig_pos(&c->simple.p, (int)pos);
}
