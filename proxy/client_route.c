/* client_route.c — which shard a client's next message goes to, and the
 * transaction rules around it: BEGIN is held until the first statement
 * that routes; the transaction then stays on that shard, and a statement
 * that needs another shard fails with 0A000 (the backend transaction is
 * failed with it, so nothing half-applied can be committed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "client.h"
#include "fanout.h"
#include "log.h"
#include "proxy.h"
#include "router.h"
#include "server.h"
#include "sqltext.h"

/* With one shard and nothing shardgate-specific in the text, routing has
 * nothing to decide: skip the lexer entirely. */
static bool route_trivial(const char *sql)
{
	const char *p = sql;

	if (sg_px->cfg->nshards > 1)
		return false;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if ((p[0] == '/' && p[1] == '*') || (p[0] == '-' && p[1] == '-'))
		return false;
	return strcasestr(p, "shardgate") == NULL;
}

static int client_bound_shard(const sg_client_t *c)
{
	return c->server != NULL ? c->server->pool->shard_index : -1;
}

/* Answers a whole simple Query locally: CommandComplete (if tag) or an
 * error, then ReadyForQuery. */
static int route_answer(sg_client_t *c, const char *tag, const char *sqlstate, const char *msg)
{
	if (sqlstate != NULL)
		client_send_error(c, "ERROR", sqlstate, "%s", msg);
	else
		(void)wire_write_command_complete(&c->out.pending, tag);
	return wire_write_ready(&c->out.pending, c->tx_status) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
}

/* SET shardgate.shard = 'x' / RESET shardgate.shard. */
static int route_set_shard(sg_client_t *c, const router_decision_t *d)
{
	int idx;

	if (d->set_shard[0] == '\0') {
		c->forced_shard = -1;
		return route_answer(c, "RESET", NULL, NULL);
	}
	idx = config_shard_index(sg_px->cfg, d->set_shard);
	if (idx < 0)
		return route_answer(c, NULL, "22023", "unknown shard for shardgate.shard");
	c->forced_shard = idx;
	log_client(c, LOG_DEBUG, "shardgate.shard set to %s", d->set_shard);
	return route_answer(c, "SET", NULL, NULL);
}

/* The statement cannot run where the client's transaction lives. */
static void route_mismatch_msg(const sg_client_t *c, const router_decision_t *d, char *msg, size_t n)
{
	int bound = client_bound_shard(c);

	if (d->shard < 0)
		snprintf(msg, n,
		         "cross-shard statement: it needs several shards (%s) but the transaction is on "
		         "shard %s",
		         d->reason, sg_proxy_shard_name(bound));
	else
		snprintf(msg, n,
		         "cross-shard transaction: the transaction is on shard %s, this statement needs "
		         "shard %s (%s)",
		         sg_proxy_shard_name(bound), sg_proxy_shard_name(d->shard), d->reason);
}

int client_route_decide(sg_client_t *c, const router_decision_t *d, bool simple, int *target, char *msg,
                        size_t msglen)
{
	int bound = client_bound_shard(c);
	int want;

	*target = -1;
	if (d->sqlstate[0] != '\0') {
		snprintf(msg, msglen, "%s", d->error);
		return ROUTE_ERROR;
	}
	if (d->need_layout >= 0) {
		/* An INSERT without a column list: routed once the table's
		 * column order is known (catalog.c); its input stays buffered. */
		int err = catalog_wait_layout(c, d->need_layout);
		return err != 0 ? err : ROUTE_WAIT;
	}
	if (d->hinted)
		want = d->shard;
	else if (c->forced_shard >= 0)
		want = c->forced_shard;
	else if (d->anywhere)
		want = bound >= 0 ? bound : d->shard;
	else
		want = d->shard;
	if (bound >= 0) {
		if (want == bound)
			return ROUTE_FORWARD;
		route_mismatch_msg(c, d, msg, msglen);
		return ROUTE_MISMATCH;
	}
	if (want < 0 && d->write_all && simple && c->held_begin == NULL && c->pin_reason == NULL &&
	    sg_px->cfg->pool.mode == POOL_MODE_TRANSACTION)
		return ROUTE_BCAST;
	if (want < 0) {
		snprintf(msg, msglen,
		         "statement needs more than one shard (%s) and this kind of statement cannot run on "
		         "several here (add the sharding key, a /* shard: name */ hint, or SET "
		         "shardgate.shard)",
		         d->reason);
		return ROUTE_ERROR;
	}
	(void)simple;
	*target = want;
	return ROUTE_FORWARD;
}

/* A read for several shards that would return some rows once per shard. */
static void route_refusal_msg(const router_decision_t *d, char *msg, size_t n)
{
	snprintf(msg, n,
	         "cross-shard query would return rows once per shard: %s (%s); add the sharding key, or "
	         "run it on one shard with a /* shard: name */ hint",
	         d->fanout_refusal, d->reason);
}

/* A held BEGIN (no shard chosen yet) that a cross-shard read may run
 * under: in READ COMMITTED every statement has its own snapshot anyway,
 * so reading each shard outside the (not yet started) transaction gives
 * the same answer. Drivers that open a transaction for everything
 * (psycopg, JDBC without autocommit) need this. Stricter isolation would
 * promise one snapshot, which several shards cannot give. */
static bool route_held_begin_allows_read(const char *begin)
{
	return strcasestr(begin, "REPEATABLE") == NULL && strcasestr(begin, "SERIALIZABLE") == NULL;
}

/* Outside a transaction (or in one that has not touched a shard yet, for
 * reads), on no particular shard: a statement may run on several shards. */
static bool route_can_fan_out(const sg_client_t *c, sql_kind_t kind)
{
	if (c->held_begin != NULL && (kind != SQLK_SELECT || !route_held_begin_allows_read(c->held_begin)))
		return false;
	return c->server == NULL && c->forced_shard < 0 && c->pin_reason == NULL &&
	       sg_px->cfg->pool.mode == POOL_MODE_TRANSACTION;
}

/* A read whose rows live on several shards: each shard runs it and the
 * rows are concatenated (only where that is the right answer); an
 * UPDATE/DELETE without the key, when fanout.allow_multi_shard_writes.
 * ROUTE_ERROR: not for this (the caller tries its other ways). */
static int route_fan_out(sg_client_t *c, const char *sql, const router_decision_t *d)
{
	char msg[900];

	if (d->nstmts != 1) {
		snprintf(msg, sizeof(msg),
		         "a query string with several statements cannot run on several shards (%s); send "
		         "them one by one",
		         d->reason);
		return route_answer(c, NULL, "0A000", msg);
	}
	if (d->kind == SQLK_SELECT && d->fanout_refusal != NULL) {
		route_refusal_msg(d, msg, sizeof(msg));
		return route_answer(c, NULL, "0A000", msg);
	}
	if (d->kind == SQLK_SELECT)
		return fanout_start_query(c, sql, d->kind, d->shards);
	if (d->kind == SQLK_UPDATE || d->kind == SQLK_DELETE) {
		if (sg_px->cfg->fanout.allow_multi_shard_writes)
			return fanout_start_query(c, sql, d->kind, d->shards);
		snprintf(msg, sizeof(msg),
		         "%s without the sharding key would change rows on several shards (%s); add the key "
		         "or set "
		         "fanout.allow_multi_shard_writes: true",
		         d->kind == SQLK_UPDATE ? "UPDATE" : "DELETE", d->reason);
		return route_answer(c, NULL, "0A000", msg);
	}
	return ROUTE_ERROR;
}

/* A statement for several shards, outside a transaction: split (INSERT
 * rows, COPY rows), gathered (plain SELECT, UPDATE/DELETE when allowed),
 * or refused naming what is missing. ROUTE_ERROR: none of these. */
static int route_multi(sg_client_t *c, const char *sql, const router_decision_t *d)
{
	char *split[64] = {0};
	uint64_t shards;
	int rc;

	if (d->nstmts == 1 && d->kind == SQLK_INSERT) {
		rc = router_split_insert(sg_px->router, sql, router_now_us(), split, &shards);
		if (rc == 0)
			return client_bcast_start(c, sql, shards, split, NULL, true);
		return rc == SG_ENOTSUP ? ROUTE_ERROR : rc;
	}
	if (d->nstmts == 1 && d->kind == SQLK_COPY_FROM)
		return client_copy_start(c, sql);
	return route_fan_out(c, sql, d);
}

/* SET/RESET shardgate.partial_results, answered here: whether a read on
 * several shards leaves out shards that fail (with a WARNING) instead of
 * failing. Returns false when `sql` is something else. */
static bool route_partial_setting(sg_client_t *c, const char *sql, int *rc)
{
	char name[64], value[64];
	sql_set_kind_t kind;

	if (strcasestr(sql, "partial_results") == NULL)
		return false;
	kind = sql_parse_set(sql, name, sizeof(name), value, sizeof(value));
	if ((kind != SQL_SET_VALUE && kind != SQL_SET_RESET) ||
	    strcasecmp(name, "shardgate.partial_results") != 0)
		return false;
	if (kind == SQL_SET_RESET) {
		c->partial_results = -1;
		*rc = route_answer(c, "RESET", NULL, NULL);
	} else if (strcasecmp(value, "on") == 0 || strcasecmp(value, "'on'") == 0 ||
	           strcasecmp(value, "true") == 0 || strcasecmp(value, "'true'") == 0) {
		c->partial_results = 1;
		*rc = route_answer(c, "SET", NULL, NULL);
	} else if (strcasecmp(value, "off") == 0 || strcasecmp(value, "'off'") == 0 ||
	           strcasecmp(value, "false") == 0 || strcasecmp(value, "'false'") == 0) {
		c->partial_results = 0;
		*rc = route_answer(c, "SET", NULL, NULL);
	} else {
		*rc = route_answer(
		        c, NULL, "22023",
		        "parameter \"shardgate.partial_results\" requires a Boolean value (on/off)");
	}
	return true;
}

/* In transaction mode the client's prepared statements are not on the
 * backend under their own names: DEALLOCATE of one is answered here. */
static bool route_deallocate(sg_client_t *c, const char *sql)
{
	char name[128];

	if (sg_px->cfg->pool.mode != POOL_MODE_TRANSACTION ||
	    !sql_parse_deallocate(sql, name, sizeof(name)) || sg_pmap_get(&c->pstmts, name) == NULL)
		return false;
	sg_pmap_del(&c->pstmts, name);
	return true;
}

int client_route_query(sg_client_t *c, const char *sql, int *target)
{
	const char *tag = NULL;
	router_decision_t d;
	char msg[1024];
	int rc;

	*target = -1;
	c->routed_pin_set = false;
	if (route_deallocate(c, sql))
		return route_answer(c, "DEALLOCATE", NULL, NULL);
	if (route_trivial(sql)) {
		*target = c->server ? -1 : 0;
		return ROUTE_FORWARD;
	}
	if (route_partial_setting(c, sql, &rc))
		return rc;
	rc = router_route_query(sg_px->router, sql, router_now_us(), sg_log_level >= LOG_DEBUG, &d);
	if (rc != 0)
		return rc;
	if (d.kind == SQLK_SET_SHARD && d.nstmts == 1)
		return route_set_shard(c, &d);
	if (d.nstmts == 1 && (rc = client_txn_local(c, d.kind, sql, &tag)) != 0)
		return rc < 0 ? rc : route_answer(c, tag, NULL, NULL);
	if (c->server == NULL && c->held_begin != NULL && c->tx_status == 'E')
		return route_answer(
		        c, NULL, "25P02",
		        "current transaction is aborted, commands ignored until end of transaction "
		        "block");
	if (d.kind == SQLK_DDL && sql_pin_reason(sql) != NULL) {
		/* CREATE TEMP ...: session state, it belongs to the session's shard. */
		d.anywhere = true;
		d.write_all = false;
		d.shard = router_default_shard(sg_px->cfg);
		d.shards = UINT64_C(1) << d.shard;
	}
	rc = client_route_decide(c, &d, true, target, msg, sizeof(msg));
	if (rc == ROUTE_WAIT || rc < 0)
		return rc;
	if (rc == ROUTE_BCAST)
		return client_bcast_start(c, sql, d.shards, NULL, NULL, false);
	if (rc == ROUTE_ERROR && d.sqlstate[0] == '\0' && d.shard < 0 && route_can_fan_out(c, d.kind) &&
	    (rc = route_multi(c, sql, &d)) != ROUTE_ERROR)
		return rc;
	if (rc == ROUTE_ERROR && c->server == NULL)
		return route_answer(c, NULL, d.sqlstate[0] ? d.sqlstate : "0A000", msg);
	if (rc == ROUTE_ERROR || rc == ROUTE_MISMATCH) {
		/* Fail it on the backend, so its transaction is failed too. */
		return server_inject_error(c->server, d.sqlstate[0] ? d.sqlstate : "0A000", msg, true) == 0
		               ? ROUTE_REPLACED
		               : SG_ENOMEM;
	}
	if (*target >= 0)
		log_client(c, LOG_DEBUG, "route shard=%s reason=\"%s\"", sg_proxy_shard_name(*target),
		           d.reason);
	/* The plan knows whether this text pins the session: no second scan. */
	c->routed_pin = d.pin;
	c->routed_pin_set = true;
	return rc;
}

/* ---- extended protocol ---- */

/* Bind parameters as the router takes them. Arrays are owned by the
 * caller's route_bind_params_t and freed with it. */
typedef struct route_bind_params {
	route_params_t p;
	const uint8_t **vals;
	int32_t *lens;
	int16_t *fmts;
	uint32_t *types;
} route_bind_params_t;

static void bind_params_free(route_bind_params_t *bp)
{
	free(bp->vals);
	free(bp->lens);
	free(bp->fmts);
	free(bp->types);
}

static int bind_params_fill(route_bind_params_t *bp, const wire_bind_msg_t *m, uint16_t ntypes,
                            const uint8_t *types)
{
	int n = m->nparams, i, rc;

	memset(bp, 0, sizeof(*bp));
	bp->vals = calloc((size_t)n + 1, sizeof(*bp->vals));
	bp->lens = calloc((size_t)n + 1, sizeof(*bp->lens));
	bp->fmts = calloc((size_t)n + 1, sizeof(*bp->fmts));
	bp->types = calloc((size_t)n + 1, sizeof(*bp->types));
	if (!bp->vals || !bp->lens || !bp->fmts || !bp->types)
		return SG_ENOMEM;
	rc = wire_bind_params_all(m, bp->vals, bp->lens, bp->fmts);
	if (rc != 0)
		return rc;
	for (i = 0; i < n && i < ntypes && types != NULL; i++)
		bp->types[i] = wire_be32(types + 4 * i);
	bp->p.n = n;
	bp->p.values = bp->vals;
	bp->p.lens = bp->lens;
	bp->p.formats = bp->fmts;
	bp->p.types = bp->types;
	return 0;
}

/* Can this bound statement run on several shards at once? */
static bool route_bound_fans_out(const sg_client_t *c, const router_decision_t *d, int rc)
{
	if (rc != ROUTE_ERROR || d->sqlstate[0] != '\0' || d->shard >= 0 || d->nstmts != 1 ||
	    !route_can_fan_out(c, d->kind))
		return false;
	return d->kind == SQLK_SELECT ||
	       ((d->kind == SQLK_UPDATE || d->kind == SQLK_DELETE) && d->unmergeable == NULL &&
	        sg_px->cfg->fanout.allow_multi_shard_writes);
}

/* Routes statement text `sql` bound with `m` (NULL: no Bind seen).
 * ROUTE_FANOUT: it runs on several shards at once; *fan has the decision. */
static int route_text_bound(sg_client_t *c, const char *sql, const wire_bind_msg_t *m, uint16_t ntypes,
                            const uint8_t *types, int *target, router_decision_t *fan)
{
	route_bind_params_t bp;
	router_decision_t d;
	char msg[1024];
	int rc;

	*target = -1;
	if (sg_px->cfg->nshards == 1) {
		*target = c->server ? -1 : 0;
		return ROUTE_FORWARD;
	}
	memset(&bp, 0, sizeof(bp));
	rc = m != NULL ? bind_params_fill(&bp, m, ntypes, types) : 0;
	if (rc == 0)
		rc = router_route_bound(sg_px->router, sql, m ? &bp.p : NULL, router_now_us(),
		                        sg_log_level >= LOG_DEBUG, &d);
	bind_params_free(&bp);
	if (rc != 0)
		return rc;
	if (m == NULL && c->server == NULL && (d.shard < 0 || d.sqlstate[0] != '\0')) {
		/* Only prepared or described, not run: any shard can do that. */
		*target = c->forced_shard >= 0 ? c->forced_shard : router_default_shard(sg_px->cfg);
		return ROUTE_FORWARD;
	}
	rc = client_route_decide(c, &d, false, target, msg, sizeof(msg));
	if (rc == ROUTE_FORWARD || rc == ROUTE_WAIT || rc < 0)
		return rc;
	if (m != NULL && route_bound_fans_out(c, &d, rc)) {
		if (d.kind != SQLK_SELECT || d.fanout_refusal == NULL) {
			*fan = d;
			return ROUTE_FANOUT;
		}
		route_refusal_msg(&d, msg, sizeof(msg));
	}
	if (c->server == NULL) {
		client_send_error(c, "ERROR", d.sqlstate[0] ? d.sqlstate : "0A000", "%s", msg);
		c->skip_until_sync = true;
		return ROUTE_LOCAL;
	}
	if (server_inject_error(c->server, d.sqlstate[0] ? d.sqlstate : "0A000", msg, false) != 0)
		return SG_ENOMEM;
	c->skip_until_sync = true;
	c->sync_to_server = true;
	return ROUTE_REPLACED;
}

/* A Parse with no server yet: the Bind that follows in the buffer (if
 * the client sent it along, as drivers do) says where it runs. */
static int route_parse(sg_client_t *c, const wire_frame_t *f, int *target)
{
	uint32_t max = sg_px->cfg->listen.max_message_size;
	size_t off = c->in_off + f->total_len;
	router_decision_t fan;
	wire_parse_msg_t pm;
	wire_bind_msg_t bm;
	bool runs = false; /* the batch binds or executes something */
	wire_frame_t g;
	int rc;

	rc = client_local_parse(c, f);
	if (rc != 0)
		return rc;
	rc = wire_parse_parse(f, &pm);
	if (rc != 0)
		return rc;
	for (;;) {
		rc = wire_frame_read(c->in.data + off, c->in.len - off, max, &g);
		if (rc == SG_EAGAIN)
			return ROUTE_WAIT; /* the rest of the batch is on its way */
		if (rc != 0)
			return rc;
		if (g.type == 'B' && wire_bind_parse(&g, &bm) == 0 && strcmp(bm.stmt, pm.stmt) == 0) {
			rc = route_text_bound(c, pm.query, &bm, pm.nparams, pm.param_types, target, &fan);
			/* Its Bind runs on several shards: no backend needs the Parse. */
			return rc == ROUTE_FANOUT ? fanout_parse_local(c, f) : rc;
		}
		if (g.type == 'S' && !runs && c->held_begin != NULL) {
			/* Only prepared/described in a transaction that has no shard
			 * yet (drivers prepare before they run): any shard can answer
			 * that without the transaction starting there. */
			*target = c->forced_shard >= 0 ? c->forced_shard : router_default_shard(sg_px->cfg);
			c->attach_without_begin = true;
			return ROUTE_FORWARD;
		}
		if (g.type == 'H' && off + g.total_len < c->in.len) {
			off += g.total_len; /* more follows: its Bind may say where */
			continue;
		}
		if (g.type == 'H' && !runs && pm.stmt[0] != '\0' && c->held_begin == NULL &&
		    c->pin_reason == NULL) {
			/* Prepare and describe a named statement, then wait for the
			 * answer (asyncpg): any shard can answer, and the Bind that
			 * follows is routed by its parameters, so this backend is
			 * let go at the Flush. (Not the unnamed statement: one kept
			 * prepared may be re-run by client_replay.c at a 'Z', which
			 * a hidden one would skip.) */
			*target = c->forced_shard >= 0 ? c->forced_shard : router_default_shard(sg_px->cfg);
			c->flush_as_sync = true;
			return ROUTE_FORWARD;
		}
		if (g.type == 'S' || g.type == 'H' || g.type == 'P' || g.type == 'Q')
			return route_text_bound(c, pm.query, NULL, 0, NULL, target, &fan);
		runs = runs || g.type == 'B' || g.type == 'E';
		off += g.total_len;
	}
}

/* The server has nothing in flight but the Sync we sent for a Flush
 * (route_parse): its ReadyForQuery releases it. Anything the client sent
 * after the Flush keeps it, and the Bind is routed where it is. */
static bool route_release_coming(const sg_server_t *s)
{
	return s->hidden_syncs > 0 && s->unsynced == 0 &&
	       s->seg_sent - s->seg_done == (uint32_t)s->hidden_syncs && s->client != NULL &&
	       s->client->pin_reason == NULL;
}

static int route_bind(sg_client_t *c, const wire_frame_t *f, int *target)
{
	router_decision_t fan;
	wire_bind_msg_t m;
	sg_pstmt_t *st;
	int rc;

	if (sg_px->cfg->nshards == 1) {
		*target = c->server ? -1 : 0;
		return ROUTE_FORWARD;
	}
	if (c->server != NULL && route_release_coming(c->server))
		return ROUTE_WAIT; /* routed afresh once that server is let go */
	rc = wire_bind_parse(f, &m);
	if (rc != 0)
		return rc;
	if (m.stmt[0] != '\0') {
		st = sg_pmap_get(&c->pstmts, m.stmt);
		if (st == NULL)
			goto unknown;
		rc = route_text_bound(c, st->query, &m, st->nparams, st->types, target, &fan);
		if (rc == ROUTE_FANOUT)
			rc = fanout_start_bind(c, f, st->query, st->nparams, st->types, fan.kind, fan.shards);
		return rc;
	} else if (c->unnamed_query != NULL) {
		rc = route_text_bound(c, c->unnamed_query, &m, c->unnamed_ntypes, c->unnamed_types, target,
		                      &fan);
		if (rc == ROUTE_FANOUT)
			rc = fanout_start_bind(c, f, c->unnamed_query, c->unnamed_ntypes, c->unnamed_types,
			                       fan.kind, fan.shards);
		return rc;
	}
unknown:
	/* Unknown statement: the backend reports it. */
	*target =
	        c->server ? -1 : (c->forced_shard >= 0 ? c->forced_shard : router_default_shard(sg_px->cfg));
	return ROUTE_FORWARD;
}

int client_route_extended(sg_client_t *c, const wire_frame_t *f, int *target)
{
	int rc;

	*target = -1;
	if (c->server == NULL && c->held_begin != NULL && c->tx_status == 'E' && f->type != 'S' &&
	    f->type != 'H') {
		/* A failed transaction that never reached a shard: only its
		 * COMMIT/ROLLBACK (answered here) get through, as in PostgreSQL. */
		rc = f->type == 'P' ? client_local_parse(c, f) : client_local_extended(c, f);
		if (rc != 0)
			return rc;
		client_send_error(c, "ERROR", "25P02",
		                  "current transaction is aborted, commands ignored until end of transaction "
		                  "block");
		c->skip_until_sync = true;
		return ROUTE_LOCAL;
	}
	if (f->type != 'P' && c->server == NULL && (rc = client_local_extended(c, f)) != 0)
		return rc;
	switch (f->type) {
	case 'P':
		if (c->server != NULL)
			return ROUTE_FORWARD; /* decided at its Bind */
		return route_parse(c, f, target);
	case 'B':
		return route_bind(c, f, target);
	default:
		if (c->server == NULL)
			*target = c->forced_shard >= 0 ? c->forced_shard : router_default_shard(sg_px->cfg);
		return ROUTE_FORWARD;
	}
}
