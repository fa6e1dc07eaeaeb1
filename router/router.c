/* router.c — the proxy's routing entry points: shape → cached plan →
 * per-statement decisions (route.c) → one decision for the message. */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "errors.h"
#include "sqltext.h"

int64_t router_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int router_default_shard(const config_t *cfg)
{
	int i = config_shard_index(cfg, cfg->default_shard);

	return i < 0 ? 0 : i;
}

int router_new(config_t *cfg, int64_t now_us, sg_router_t **out, char *err, size_t errlen)
{
	sg_router_t *r = calloc(1, sizeof(*r));
	size_t i;
	int rc;

	*out = NULL;
	if (r == NULL)
		return SG_ENOMEM;
	r->refs = 1;
	r->cfg = config_ref(cfg);
	r->nspec = cfg->ntables;
	r->spec = cfg->ntables ? calloc(cfg->ntables, sizeof(*r->spec)) : NULL;
	r->layouts = cfg->ntables ? calloc(cfg->ntables, sizeof(*r->layouts)) : NULL;
	r->plans = sql_plan_cache_new(ROUTER_PLAN_CACHE_SIZE, router_plan_free);
	if ((cfg->ntables && (r->spec == NULL || r->layouts == NULL)) || r->plans == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = SG_ENOMEM;
		goto fail;
	}
	for (i = 0; i < cfg->ntables; i++) {
		r->spec[i].name = cfg->tables[i].name;
		r->spec[i].column = cfg->tables[i].column;
	}
	rc = shardmap_build(cfg, now_us, &r->map, err, errlen);
	if (rc != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	router_unref(r);
	return rc;
}

sg_router_t *router_ref(sg_router_t *r)
{
	r->refs++;
	return r;
}

void router_unref(sg_router_t *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	if (r->plans != NULL)
		sql_plan_cache_free(r->plans);
	if (r->map != NULL)
		shardmap_unref(r->map);
	free(r->spec);
	free(r->layouts);
	config_unref(r->cfg);
	free(r);
}

void router_plan_free(void *plan)
{
	sg_plan_t *p = plan;

	if (p == NULL)
		return;
	sql_analysis_free(&p->a);
	free(p);
}

sg_plan_t *router_plan_text(sg_router_t *r, const char *sql)
{
	sg_plan_t *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL)
		return NULL;
	r->analyzed++;
	rc = sql_analyze(sql, r->spec, r->nspec, &p->a);
	if (rc == SG_ENOMEM) {
		free(p);
		return NULL;
	}
	p->too_complex = rc == SG_ERANGE;
	p->parse_failed = rc != 0;
	/* Keywords survive literal normalisation: the shape's text pins
	 * exactly when each of its queries does. */
	p->pin = sql_pin_reason(sql);
	return p;
}

static int shard_single(uint64_t shards)
{
	int i;

	if (shards == 0 || (shards & (shards - 1)) != 0)
		return -1;
	for (i = 0; i < 64; i++)
		if (shards & (UINT64_C(1) << i))
			return i;
	return -1;
}

static void decision_reason_add(router_decision_t *d, const char *text)
{
	size_t n = strlen(d->reason);

	if (n > 0 && n + 2 < sizeof(d->reason)) {
		memcpy(d->reason + n, "; ", 3);
		n += 2;
	}
	snprintf(d->reason + n, sizeof(d->reason) - n, "%s", text);
}

/* A comment "shard: europe" or "sharding_key: 42" (block or line
 * comment) before the first token. The shape pass drops comments, so simple queries are
 * scanned here on their original text. */
static void hint_scan(const char *sql, char *shard, size_t slen, char *key, size_t klen)
{
	const char *p = sql, *end, *v;
	size_t n;

	shard[0] = key[0] = '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (p[0] == '/' && p[1] == '*') {
			end = strstr(p + 2, "*/");
		} else if (p[0] == '-' && p[1] == '-') {
			end = strchr(p, '\n');
			if (end == NULL)
				end = p + strlen(p);
		} else {
			return;
		}
		if (end == NULL)
			return;
		for (v = p + 2; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		if (strncmp(v, "shard:", 6) == 0 || strncmp(v, "sharding_key:", 13) == 0) {
			bool is_key = v[5] != ':';
			char *dst = is_key ? key : shard;
			size_t cap = is_key ? klen : slen;
			v += is_key ? 13 : 6;
			while (v < end && (*v == ' ' || *v == '\t' || *v == '\'' || *v == '"'))
				v++;
			for (n = 0; v + n < end && n + 1 < cap && v[n] != ' ' && v[n] != '\t' &&
			            v[n] != '*' && v[n] != '\'' && v[n] != '"' && v[n] != '\n';
			     n++)
				dst[n] = v[n];
			dst[n] = '\0';
		}
		p = *end == '\n' ? end + 1 : end + (p[0] == '/' ? 2 : 0);
		if (*end == '\0')
			return;
	}
}

/* A leading comment hint overrides the analysis. */
static bool route_hint(sg_router_t *r, const char *hint_shard, const char *hint_key, router_decision_t *d)
{
	char why[256];
	int idx;

	if (hint_shard != NULL && hint_shard[0] != '\0') {
		idx = config_shard_index(r->cfg, hint_shard);
		if (idx < 0) {
			snprintf(d->sqlstate, sizeof(d->sqlstate), "22023");
			snprintf(d->error, sizeof(d->error), "unknown shard \"%.64s\" in /* shard: */ hint",
			         hint_shard);
			return true;
		}
		snprintf(why, sizeof(why), "hint shard: %s", hint_shard);
	} else if (hint_key != NULL && hint_key[0] != '\0') {
		idx = route_hint_key(r->map, hint_key, why, sizeof(why));
		if (idx < 0) {
			snprintf(d->sqlstate, sizeof(d->sqlstate), "22023");
			snprintf(d->error, sizeof(d->error),
			         "sharding_key hint \"%.64s\" cannot be used: no hash-sharded table is "
			         "configured",
			         hint_key);
			return true;
		}
	} else {
		return false;
	}
	d->hinted = true;
	d->shards = UINT64_C(1) << idx;
	decision_reason_add(d, why);
	return true;
}

/* A statement that names no table can run on any shard. */
static bool stmt_anywhere(const sql_stmt_t *st)
{
	if (st->nrefs > 0 || st->touches_unsharded)
		return false;
	switch (st->kind) {
	case SQLK_SELECT:
	case SQLK_OTHER:
	case SQLK_BEGIN:
	case SQLK_COMMIT:
	case SQLK_ROLLBACK:
	case SQLK_SAVEPOINT:
	case SQLK_SET:
	case SQLK_EXPLAIN:
		return true;
	default:
		return false;
	}
}

/* What stops a multi-shard statement from being answered by running it
 * on each shard and concatenating the rows. */
static const char *plan_unmergeable(const sql_analysis_t *a)
{
	const sql_stmt_t *st;

	if (a->nstmts != 1)
		return "several statements in one query";
	st = &a->stmts[0];
	if (st->kind == SQLK_UPDATE || st->kind == SQLK_DELETE)
		return st->has_order_by || st->has_limit ? "ORDER BY/LIMIT" : NULL;
	if (st->kind != SQLK_SELECT)
		return "this kind of statement";
	if (st->has_aggregate)
		return "aggregate functions";
	if (st->has_group_by)
		return "GROUP BY";
	if (st->has_window)
		return "window functions";
	if (st->has_order_by)
		return "ORDER BY";
	if (st->has_limit)
		return "LIMIT/OFFSET";
	if (st->has_distinct)
		return "DISTINCT";
	if (st->for_update)
		return "FOR UPDATE";
	return NULL;
}

/* A column-order lookup that failed lately: the INSERT fails with it
 * rather than waiting for another. */
static bool layout_refused(const sg_router_t *r, int table, int64_t now_us, route_result_t *rr)
{
	char why[192];

	if (!router_layout_failed(r, table, now_us, why, sizeof(why)))
		return false;
	snprintf(rr->sqlstate, sizeof(rr->sqlstate), "0A000");
	snprintf(rr->error, sizeof(rr->error),
	         "INSERT INTO %.48s without a column list: %.48s's position is unknown (%.80s); name the "
	         "columns",
	         r->spec[table].name, r->spec[table].column, why);
	return true;
}

/* An INSERT without a column list routed by a column order read more than
 * ROUTER_LAYOUT_TTL_US ago: the config table to read it again for, else -1. */
static int layout_expired(sg_router_t *r, const sql_stmt_t *st, int64_t now_us)
{
	size_t i;
	int t;

	if (st->kind != SQLK_INSERT || !st->no_column_list || !st->key_col_used)
		return -1;
	for (i = 0; i < st->nrefs; i++) {
		t = st->refs[i].table;
		if (!st->refs[i].written || t < 0 || (size_t)t >= r->nspec)
			continue;
		if (r->spec[t].key_col == 0)
			return t; /* expired and being read again: the cached plan's keys are stale */
		if (now_us - r->layouts[t].learnt_us < ROUTER_LAYOUT_TTL_US)
			return -1;
		r->spec[t].key_col = 0; /* plans keep their keys until it is read again */
		return t;
	}
	return -1;
}

void router_layout_learnt(sg_router_t *r, int table, int key_col, const char *error, int64_t now_us)
{
	if (table < 0 || (size_t)table >= r->nspec)
		return;
	r->spec[table].key_col = key_col;
	r->layouts[table].learnt_us = now_us;
	snprintf(r->layouts[table].error, sizeof(r->layouts[table].error), "%s", error ? error : "");
	r->layouts[table].retry_us = now_us + ROUTER_LAYOUT_RETRY_US;
	/* Plans analysed without it are stale. */
	sql_plan_cache_clear(r->plans);
}

bool router_layout_failed(const sg_router_t *r, int table, int64_t now_us, char *why, size_t whylen)
{
	const router_layout_t *l = &r->layouts[table];

	if (l->error[0] == '\0' || now_us >= l->retry_us)
		return false;
	snprintf(why, whylen, "%s", l->error);
	return true;
}

void router_layouts_forget(sg_router_t *r)
{
	bool any = false;
	size_t i;

	for (i = 0; i < r->nspec; i++) {
		any = any || r->spec[i].key_col != 0 || r->layouts[i].error[0] != '\0';
		r->spec[i].key_col = 0;
		r->layouts[i].error[0] = '\0';
	}
	if (any)
		sql_plan_cache_clear(r->plans);
}

static int route_plan_hinted(sg_router_t *r, const sg_plan_t *p, const route_params_t *params, int64_t now_us,
                             const char *hint_shard, const char *hint_key, bool explain, router_decision_t *d)
{
	const sql_analysis_t *a = &p->a;
	route_result_t rr;
	size_t i;
	int rc;

	memset(d, 0, sizeof(*d));
	d->shard = -1;
	d->need_layout = -1;
	d->pin = p->pin;
	d->unmergeable = plan_unmergeable(a);
	d->nstmts = a->nstmts;
	d->kind = a->nstmts > 0 ? a->stmts[0].kind : SQLK_OTHER;
	if (p->too_complex) {
		snprintf(d->sqlstate, sizeof(d->sqlstate), "54001");
		snprintf(d->error, sizeof(d->error),
		         "statement is nested too deeply for shardgate to route: %.190s", a->error);
		return 0;
	}
	if (p->parse_failed || a->nstmts == 0) {
		d->shards = UINT64_C(1) << router_default_shard(r->cfg);
		decision_reason_add(d, p->parse_failed ? "not parsable: default shard reports the error"
		                                       : "empty query: default shard");
		goto done;
	}
	if (d->kind == SQLK_SET_SHARD && a->nstmts == 1) {
		snprintf(d->set_shard, sizeof(d->set_shard), "%s",
		         a->stmts[0].shard_name ? a->stmts[0].shard_name : "");
		return 0;
	}
	if (route_hint(r, hint_shard, hint_key, d))
		goto done;
	d->anywhere = true;
	for (i = 0; i < a->nstmts; i++) {
		if (stmt_anywhere(&a->stmts[i]))
			continue;
		d->anywhere = false;
		rc = route_statement_q(r->map, &a->stmts[i], params, now_us, !explain, &rr);
		if (rc != 0)
			return rc;
		if (rr.need_layout < 0 && rr.sqlstate[0] == '\0')
			rr.need_layout = layout_expired(r, &a->stmts[i], now_us);
		if (rr.need_layout >= 0 && rr.sqlstate[0] == '\0' &&
		    layout_refused(r, rr.need_layout, now_us, &rr))
			rr.need_layout = -1;
		if (rr.need_layout >= 0 && rr.sqlstate[0] == '\0') {
			d->need_layout = rr.need_layout;
			return 0; /* routed once the column order is known */
		}
		if (rr.sqlstate[0] != '\0') {
			memcpy(d->sqlstate, rr.sqlstate, sizeof(d->sqlstate));
			snprintf(d->error, sizeof(d->error), "%s", rr.error);
			decision_reason_add(d, rr.reason);
			return 0;
		}
		d->shards |= rr.shards;
		d->write_all |= rr.write_all;
		decision_reason_add(d, rr.reason);
	}
	if (d->shards == 0) {
		/* Nothing named a table, or provably no rows: any shard answers;
		 * the default one does. */
		d->shards = UINT64_C(1) << router_default_shard(r->cfg);
		if (d->anywhere)
			decision_reason_add(d, "no table: any shard (default)");
	}
done:
	d->shard = shard_single(d->shards);
	/* rows of a replicated/unsharded table would come back from every shard */
	if (d->shard < 0 && d->sqlstate[0] == '\0' && d->kind == SQLK_SELECT && a->nstmts > 0 &&
	    a->stmts[0].rows_per_shard_unsafe)
		d->fanout_refusal = a->stmts[0].dup_reason;
	return 0;
}

int router_route_plan(sg_router_t *r, const sg_plan_t *p, const route_params_t *params, int64_t now_us,
                      router_decision_t *d)
{
	return route_plan_hinted(r, p, params, now_us, p->a.hint_shard, p->a.hint_key, true, d);
}

/* Parameter arrays for one routing call: on the stack for the usual few
 * parameters, one heap block beyond that. */
#define PARAMS_INLINE 16
typedef struct params_buf {
	const uint8_t *vals_in[PARAMS_INLINE];
	int32_t lens_in[PARAMS_INLINE];
	int16_t fmts_in[PARAMS_INLINE];
	void *heap;
} params_buf_t;

/* Bind parameters first ($1..$base), then the text's literals as text
 * parameters $base+1... */
static int merge_params(const sql_shape_t *s, const route_params_t *bind, route_params_t *p, params_buf_t *pb)
{
	int n = s->base + (int)s->nlits, i;
	const uint8_t **vals = pb->vals_in;
	int32_t *lens = pb->lens_in;
	int16_t *fmts = pb->fmts_in;

	pb->heap = NULL;
	if (n > PARAMS_INLINE) {
		size_t sz = (size_t)n * (sizeof(*vals) + sizeof(*lens) + sizeof(*fmts));
		pb->heap = calloc(1, sz);
		if (pb->heap == NULL)
			return SG_ENOMEM;
		vals = pb->heap;
		lens = (int32_t *)(vals + n);
		fmts = (int16_t *)(lens + n);
	}
	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		lens[i] = -1;
		fmts[i] = 0;
	}
	for (i = 0; bind != NULL && i < bind->n && i < s->base; i++) {
		vals[i] = bind->values[i];
		lens[i] = bind->lens[i];
		fmts[i] = bind->formats[i];
	}
	for (size_t k = 0; k < s->nlits; k++) {
		int at = s->lits[k].param - 1;
		if (at < s->base || at >= n)
			continue;
		vals[at] = (const uint8_t *)s->lits[k].value;
		lens[at] = (int32_t)strlen(s->lits[k].value);
	}
	p->n = n;
	p->values = vals;
	p->lens = lens;
	p->formats = fmts;
	p->types = NULL;
	return 0;
}

int router_route_bound(sg_router_t *r, const char *sql, const route_params_t *params, int64_t now_us,
                       bool explain, router_decision_t *d)
{
	char hint_shard[64], hint_key[128];
	route_params_t merged;
	params_buf_t pb = {.heap = NULL};
	sql_shape_t shape;
	sg_plan_t *plan;
	int rc;

	hint_scan(sql, hint_shard, sizeof(hint_shard), hint_key, sizeof(hint_key));
	rc = sql_shape_of(sql, &shape);
	if (rc != 0)
		return rc;
	plan = sql_plan_cache_get(r->plans, &shape);
	if (plan == NULL) {
		plan = router_plan_text(r, shape.norm);
		if (plan == NULL || (plan->parse_failed && shape.nlits > 0)) {
			router_plan_free(plan);
			r->uncacheable++;
			plan = router_plan_text(r, sql);
			rc = plan == NULL ? SG_ENOMEM
			                  : route_plan_hinted(r, plan, params, now_us, hint_shard, hint_key,
			                                      true, d);
			router_plan_free(plan);
			goto out;
		}
		rc = sql_plan_cache_put(r->plans, &shape, plan);
		if (rc != 0)
			goto out;
	}
	rc = merge_params(&shape, params, &merged, &pb);
	if (rc == 0)
		rc = route_plan_hinted(r, plan, &merged, now_us, hint_shard, hint_key, explain, d);
	/* Anything but a clean single-shard answer is explained to someone:
	 * route again with the reasons written. */
	if (rc == 0 && !explain && (d->shard < 0 || d->sqlstate[0] != '\0'))
		rc = route_plan_hinted(r, plan, &merged, now_us, hint_shard, hint_key, true, d);
out:
	free(pb.heap);
	sql_shape_free(&shape);
	return rc;
}

int router_route_query(sg_router_t *r, const char *sql, int64_t now_us, bool explain, router_decision_t *d)
{
	/* A simple Query is a statement with no Bind parameters. */
	return router_route_bound(r, sql, NULL, now_us, explain, d);
}

static int split_append(char **buf, size_t *len, const char *p, size_t n)
{
	char *b = realloc(*buf, *len + n + 1);

	if (b == NULL)
		return SG_ENOMEM;
	memcpy(b + *len, p, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
	return 0;
}

int router_split_insert(sg_router_t *r, const char *sql, int64_t now_us, char **out, uint64_t *shards)
{
	size_t lens[ROUTE_MAX_SHARDS] = {0};
	const sql_stmt_t *st;
	sg_plan_t *p;
	size_t i;
	int rc = 0, shard;

	*shards = 0;
	p = router_plan_text(r, sql);
	if (p == NULL)
		return SG_ENOMEM;
	st = p->a.nstmts == 1 ? &p->a.stmts[0] : NULL;
	if (p->parse_failed || st == NULL || st->kind != SQLK_INSERT || st->insert_select || st->nrows < 2 ||
	    st->values_start < 0 || st->values_end < st->values_start) {
		rc = SG_ENOTSUP;
		goto out;
	}
	for (i = 0; i < st->nrows && rc == 0; i++) {
		const sql_insert_row_t *row = &st->rows[i];
		shard = route_insert_row_shard(r->map, st, i, NULL, now_us);
		if (shard < 0 || shard >= ROUTE_MAX_SHARDS || row->start < 0 || row->end <= row->start) {
			rc = SG_ENOTSUP;
			break;
		}
		if (!(*shards & (UINT64_C(1) << shard))) {
			*shards |= UINT64_C(1) << shard;
			rc = split_append(&out[shard], &lens[shard], sql + st->start,
			                  (size_t)(st->values_start - st->start));
		} else {
			rc = split_append(&out[shard], &lens[shard], ", ", 2);
		}
		if (rc == 0)
			rc = split_append(&out[shard], &lens[shard], sql + row->start,
			                  (size_t)(row->end - row->start));
	}
	for (i = 0; i < ROUTE_MAX_SHARDS && rc == 0; i++)
		if (*shards & (UINT64_C(1) << i))
			rc = split_append(&out[i], &lens[i], sql + st->values_end,
			                  (size_t)(st->start + st->len - st->values_end));
out:
	if (rc != 0) {
		for (i = 0; i < ROUTE_MAX_SHARDS; i++) {
			free(out[i]);
			out[i] = NULL;
		}
		*shards = 0;
	}
	router_plan_free(p);
	return rc;
}
