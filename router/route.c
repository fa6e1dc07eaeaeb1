/* route.c — where a statement goes, and why.
 *
 * Per table reference: hash → slot → shard, region → listed shard, time →
 * the tiers whose windows the constraint overlaps, replicated → every
 * shard for writes and "wherever the statement runs" for reads (every
 * shard has a copy). The statement goes to the union. Values that cannot
 * be read with certainty widen the set to every shard that could hold the
 * rows; nothing is ever guessed. The reason string is what the admin
 * ROUTE command shows. */
#include "route.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "pghash.h"
#include "route_value.h"

#define BIT(i) (UINT64_C(1) << (i))

typedef struct rctx {
	const sg_shardmap_t *m;
	const sql_stmt_t *st;
	const route_params_t *params;
	int64_t now_us;
	route_result_t *out;
	size_t rlen; /* bytes used in out->reason */
	bool quiet;  /* no reason text: the hot path only needs the shards */
} rctx_t;

/* Outcome of placing one key. */
typedef enum rplace {
	RP_SHARD,    /* one shard */
	RP_UNKNOWN,  /* the key cannot be read: every shard of the table */
	RP_UNLISTED, /* region value listed nowhere and no default_shard */
} rplace_t;

/* ---- reason and error text ---- */

static bool r_full(const rctx_t *c)
{
	return c->quiet || c->rlen + 1 >= sizeof(c->out->reason);
}

static void r_add(rctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void r_add(rctx_t *c, const char *fmt, ...)
{
	char *buf = c->out->reason;
	size_t cap = sizeof(c->out->reason);
	va_list ap;
	int n;

	if (r_full(c))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + c->rlen, cap - c->rlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= cap - c->rlen) {
		/* Truncated: say so, without cutting a UTF-8 sequence. */
		size_t keep = rv_utf8_prefix(buf, strlen(buf), cap - 4);

		memcpy(buf + keep, "...", 4);
		c->rlen = cap - 1; /* full: nothing more is added */
		return;
	}
	c->rlen += (size_t)n;
}

/* Starts a new part of the reason. */
static void r_part(rctx_t *c)
{
	if (c->rlen > 0)
		r_add(c, "; ");
}

static void r_error(rctx_t *c, const char *sqlstate, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void r_error(rctx_t *c, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;

	if (c->out->sqlstate[0] != '\0')
		return;
	memcpy(c->out->sqlstate, sqlstate, 6);
	va_start(ap, fmt);
	vsnprintf(c->out->error, sizeof(c->out->error), fmt, ap);
	va_end(ap);
}

static const char *r_shard_name(const sg_shardmap_t *m, int shard)
{
	return m->cfg->shards[shard].name;
}

/* "a, b, c" */
static void r_names(const sg_shardmap_t *m, uint64_t set, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->cfg->nshards && len + 1 < n; i++) {
		if (!(set & BIT(i)))
			continue;
		snprintf(buf + len, n - len, "%s%s", len ? ", " : "", r_shard_name(m, (int)i));
		len += strlen(buf + len);
	}
}

/* Appends "a, b, c" to the reason. */
static void r_add_names(rctx_t *c, uint64_t set)
{
	bool first = true;

	for (size_t i = 0; i < c->m->cfg->nshards && !r_full(c); i++) {
		if (set & BIT(i)) {
			r_add(c, "%s%s", first ? "" : ", ", r_shard_name(c->m, (int)i));
			first = false;
		}
	}
}

static uint64_t r_all(const sg_shardmap_t *m)
{
	return m->cfg->nshards >= 64 ? ~UINT64_C(0) : BIT(m->cfg->nshards) - 1;
}

/* ---- placing keys ---- */

static rv_col_t r_col(const cfg_table_t *t)
{
	if (t->by == SHARD_BY_TIME)
		return RV_COL_TS;
	if (t->by == SHARD_BY_REGION)
		return RV_COL_TEXT;
	return t->key_type == KEY_TYPE_TEXT   ? RV_COL_TEXT
	       : t->key_type == KEY_TYPE_UUID ? RV_COL_UUID
	                                      : RV_COL_INT;
}

static bool r_split_by_key(const cfg_table_t *t)
{
	return t->by == SHARD_BY_HASH || t->by == SHARD_BY_REGION || t->by == SHARD_BY_TIME;
}

/* Every shard that could hold rows of a table. */
static uint64_t r_table_shards(const sg_shardmap_t *m, int ti)
{
	const sm_table_t *t = &m->tables[ti];
	uint64_t set = 0;

	switch (t->cfg->by) {
	case SHARD_BY_HASH:
		return m->slot_shards;
	case SHARD_BY_REGION:
		for (size_t i = 0; i < t->nregions; i++)
			set |= BIT(t->regions[i].shard);
		if (t->default_shard >= 0)
			set |= BIT(t->default_shard);
		return set;
	case SHARD_BY_TIME:
		for (size_t k = 0; k < t->cfg->ntiers; k++)
			set |= BIT(t->tier_shard[k]);
		return set;
	default:
		return r_all(m);
	}
}

static rplace_t r_place_hash(const sg_shardmap_t *m, const rv_key_t *k, int *shard, char *desc, size_t n)
{
	uint64_t h;
	uint32_t slot;

	switch (k->kind) {
	case RV_NULL:
		/* PostgreSQL leaves a NULL key out of the row hash (0): slot 0. */
		h = 0;
		break;
	case RV_INT:
		h = pghash_row_int(k->i);
		break;
	case RV_TEXT:
		h = pghash_row_text(rv_key_text(k), k->len);
		break;
	case RV_UUID:
		h = pghash_row_uuid(k->uuid);
		break;
	default:
		return RP_UNKNOWN;
	}
	slot = (uint32_t)(h % m->nslots);
	*shard = m->slot_shard[slot];
	if (n > 0) /* 0: the caller wants no text (hot path) */
		snprintf(desc, n, "slot %u → shard %s", slot, r_shard_name(m, *shard));
	return RP_SHARD;
}

static rplace_t r_place_region(const sg_shardmap_t *m, int ti, const rv_key_t *k, int *shard, char *desc,
                               size_t n)
{
	const sm_table_t *t = &m->tables[ti];
	char stack[256], *heap = NULL, *v = stack;
	int s = -1;

	if (k->kind != RV_TEXT && k->kind != RV_NULL)
		return RP_UNKNOWN;
	if (k->kind == RV_TEXT) {
		if (k->len >= sizeof(stack))
			v = heap = malloc(k->len + 1);
		if (v == NULL)
			return RP_UNKNOWN;
		memcpy(v, rv_key_text(k), k->len);
		v[k->len] = '\0';
		s = shardmap_region_shard(m, ti, v);
		free(heap);
	}
	if (s >= 0) {
		*shard = s;
		if (n > 0)
			snprintf(desc, n, "shard %s", r_shard_name(m, s));
		return RP_SHARD;
	}
	if (t->default_shard >= 0) {
		*shard = t->default_shard;
		if (n > 0)
			snprintf(desc, n, "not listed → default shard %s", r_shard_name(m, t->default_shard));
		return RP_SHARD;
	}
	if (n > 0)
		snprintf(desc, n, "not listed");
	return RP_UNLISTED;
}

static rplace_t r_place_time(const sg_shardmap_t *m, int ti, const rv_key_t *k, int *shard, char *desc,
                             size_t n)
{
	const sm_table_t *t = &m->tables[ti];
	int tier;

	if (k->kind == RV_NULL) {
		/* No value: the column's default, taken to be now(), is in the
		 * newest tier. */
		tier = 0;
	} else if (k->kind == RV_TS) {
		tier = shardmap_tier_of(m, ti, k->i);
	} else {
		return RP_UNKNOWN;
	}
	*shard = t->tier_shard[tier];
	if (n > 0)
		snprintf(desc, n, "%stier %s → shard %s",
		         k->kind == RV_NULL ? "no value (now() default assumed) → " : "",
		         t->cfg->tiers[tier].name, r_shard_name(m, *shard));
	return RP_SHARD;
}

/* Places one key of table ti; desc gets the "slot 113 → shard europe" part. */
static rplace_t r_place(const sg_shardmap_t *m, int ti, const rv_key_t *k, int *shard, char *desc, size_t n)
{
	if (n > 0)
		desc[0] = '\0';
	switch (m->tables[ti].cfg->by) {
	case SHARD_BY_HASH:
		return r_place_hash(m, k, shard, desc, n);
	case SHARD_BY_REGION:
		return r_place_region(m, ti, k, shard, desc, n);
	case SHARD_BY_TIME:
		return r_place_time(m, ti, k, shard, desc, n);
	default:
		return RP_UNKNOWN;
	}
}

/* One key of a read (or UPDATE/DELETE) constraint: its shard, or every
 * shard of the table when it cannot be placed. */
static uint64_t r_key_read(rctx_t *c, int ti, const rv_key_t *k)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	char desc[160], val[96];
	uint64_t set;
	int shard = -1;
	rplace_t p = r_place(c->m, ti, k, &shard, desc, c->quiet ? 0 : sizeof(desc));

	set = p == RP_SHARD ? BIT(shard) : r_table_shards(c->m, ti);
	if (r_full(c))
		return set;
	rv_key_format(k, val, sizeof(val));
	r_part(c);
	if (p == RP_SHARD) {
		r_add(c, "%s.%s = %s → %s", t->name, t->column, val, desc);
	} else {
		r_add(c, "%s.%s = %s%s → every shard of %s (", t->name, t->column, val,
		      p == RP_UNLISTED ? " is not listed" : "", t->name);
		r_add_names(c, set);
		r_add(c, ")");
	}
	return set;
}

static uint64_t r_widen(rctx_t *c, int ti, const char *why)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	uint64_t set = r_table_shards(c->m, ti);

	if (!r_full(c)) {
		r_part(c);
		r_add(c, "%s: %s → every shard of %s (", t->name, why, t->name);
		r_add_names(c, set);
		r_add(c, ")");
	}
	return set;
}

/* ---- time ranges ---- */

/* A bound as an inclusive microsecond; false if it is unreadable (then
 * the range is open on that side). */
static bool r_bound(rctx_t *c, const sql_value_t *v, bool incl, bool lower, int64_t *out)
{
	rv_key_t k;

	rv_from_value(v, RV_COL_TS, c->params, c->now_us, &k);
	if (k.kind != RV_TS)
		return false;
	*out = k.i;
	if (!incl && lower && k.i < INT64_MAX)
		(*out)++;
	else if (!incl && !lower && k.i > INT64_MIN)
		(*out)--;
	return true;
}

static uint64_t r_time_range(rctx_t *c, const sql_table_ref_t *ref, int ti)
{
	const sm_table_t *t = &c->m->tables[ti];
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	bool has_lo = ref->has_lo && r_bound(c, &ref->lo, ref->lo_incl, true, &lo);
	bool has_hi = ref->has_hi && r_bound(c, &ref->hi, ref->hi_incl, false, &hi);
	char ts[48];
	int newest, oldest;
	uint64_t set = 0;

	/* An empty range matches nothing: one tier answers it. */
	if (lo > hi)
		hi = lo;
	/* Windows are contiguous, newest first: the tiers holding hi and lo
	 * and every tier between them. */
	newest = shardmap_tier_of(c->m, ti, hi);
	oldest = shardmap_tier_of(c->m, ti, lo);
	for (int k = newest; k <= oldest; k++)
		set |= BIT(t->tier_shard[k]);
	if (r_full(c))
		return set;
	r_part(c);
	r_add(c, "%s.%s", t->cfg->name, t->cfg->column);
	if (has_lo) {
		rv_ts_format(lo, ts, sizeof(ts));
		r_add(c, " >= %s", ts);
	}
	if (has_hi) {
		rv_ts_format(hi, ts, sizeof(ts));
		r_add(c, "%s <= %s", has_lo ? " and" : "", ts);
	}
	if (!has_lo && !has_hi)
		r_add(c, " range not readable");
	r_add(c, " → tier%s ", newest == oldest ? "" : "s");
	for (int k = newest; k <= oldest; k++)
		r_add(c, "%s%s", k > newest ? ", " : "", t->cfg->tiers[k].name);
	r_add(c, " → shard%s ", (set & (set - 1)) ? "s" : "");
	r_add_names(c, set);
	return set;
}

/* ---- references ---- */

static uint64_t r_eq_any_param(rctx_t *c, const sql_table_ref_t *ref, int ti)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	rv_list_t l;
	uint64_t set = 0;
	int param = ref->nvalues > 0 ? ref->values[0].param : 0;
	int rc = rv_param_array(c->params, param, r_col(t), &l);

	if (rc != 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s = ANY($%d) with an array shardgate cannot read", t->column,
		         param);
		return r_widen(c, ti, why);
	}
	for (size_t i = 0; i < l.n; i++)
		set |= r_key_read(c, ti, &l.keys[i]);
	rv_list_free(&l);
	return set;
}

static uint64_t r_constraint(rctx_t *c, const sql_table_ref_t *ref, int ti)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	uint64_t set = 0;
	char why[128];
	rv_key_t k;

	switch (ref->cons) {
	case SQLC_EQ:
		/* No values: contradictory equalities (x = 1 AND x = 2), no row
		 * can match and no shard is needed for this table. */
		if (ref->nvalues == 0) {
			r_part(c);
			r_add(c, "%s: no row can match the constraints on %s", t->name, t->column);
			return 0;
		}
		for (size_t i = 0; i < ref->nvalues; i++) {
			rv_from_value(&ref->values[i], r_col(t), c->params, c->now_us, &k);
			set |= r_key_read(c, ti, &k);
		}
		return set;
	case SQLC_EQ_ANY_PARAM:
		return r_eq_any_param(c, ref, ti);
	case SQLC_RANGE:
		if (t->by == SHARD_BY_TIME)
			return r_time_range(c, ref, ti);
		snprintf(why, sizeof(why), "a range on %s does not select %s shards", t->column,
		         t->by == SHARD_BY_HASH ? "hash" : "region");
		return r_widen(c, ti, why);
	default:
		break;
	}
	snprintf(why, sizeof(why), "no usable constraint on %s", t->column);
	return r_widen(c, ti, why);
}

static uint64_t r_constraint(rctx_t *c, const sql_table_ref_t *ref, int ti);

/* Do equal sharding values of tables a and b live on the same shard?
 * The same table; or two hash tables hashing the same key type (one slot
 * map serves every hash table). */
static bool r_colocated(const sg_shardmap_t *m, int a, int b)
{
	const cfg_table_t *ta = m->tables[a].cfg, *tb = m->tables[b].cfg;

	return a == b || (ta->by == SHARD_BY_HASH && tb->by == SHARD_BY_HASH && ta->key_type == tb->key_type);
}

/* One sharding value for table ti: its shard. */
static uint64_t r_insert_key(rctx_t *c, int ti, const sql_value_t *key, const char *what)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	char desc[160], val[96], why[200];
	rv_key_t k;
	int shard;

	rv_from_value(key, r_col(t), c->params, c->now_us, &k);
	switch (r_place(c->m, ti, &k, &shard, desc, c->quiet ? 0 : sizeof(desc))) {
	case RP_SHARD:
		if (!r_full(c)) {
			rv_key_format(&k, val, sizeof(val));
			r_part(c);
			r_add(c, "%s.%s = %s → %s", t->name, t->column, val, desc);
		}
		return BIT(shard);
	case RP_UNKNOWN:
		rv_key_format(&k, val, sizeof(val));
		snprintf(why, sizeof(why), "%s's %s %s", what, t->column, val);
		return r_widen(c, ti, why);
	case RP_UNLISTED:
	default:
		rv_key_format(&k, val, sizeof(val));
		r_error(c, "22023", "value %s of %s.%s is not listed for any shard", val, t->name, t->column);
		return 0;
	}
}

/* INSERT ... SELECT: provably one shard when the select list gives the
 * sharding column a constant, or copies it from a colocated table whose
 * rows the statement's constraints place on one shard. */
static uint64_t r_insert_select(rctx_t *c, int ti)
{
	const sql_stmt_t *st = c->st;
	const sql_table_ref_t *src;

	if (st->select_key_known)
		return r_insert_key(c, ti, &st->select_key, "the selected row");
	if (st->select_key_ref >= 0 && (size_t)st->select_key_ref < st->nrefs) {
		src = &st->refs[st->select_key_ref];
		if (!src->written && src->table >= 0 && (size_t)src->table < c->m->cfg->ntables &&
		    r_colocated(c->m, ti, src->table)) {
			r_part(c);
			r_add(c, "%s.%s copied from %s:", c->m->tables[ti].cfg->name,
			      c->m->tables[ti].cfg->column, c->m->tables[src->table].cfg->name);
			return r_constraint(c, src, src->table);
		}
	}
	return r_widen(c, ti, "INSERT ... SELECT whose rows' sharding value shardgate cannot tell");
}

/* The VALUES rows of an INSERT: the union of their shards (the proxy
 * splits the INSERT by row). */
static uint64_t r_insert_rows(rctx_t *c, int ti)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	const sql_stmt_t *st = c->st;
	uint64_t set = 0;
	char why[160], what[32];

	if (st->no_column_list && !st->key_col_used) {
		/* The table's column order must be read from a shard first. */
		c->out->need_layout = ti;
		snprintf(why, sizeof(why),
		         "INSERT INTO %s has no column list and %s's position is not known yet", t->name,
		         t->column);
		return r_widen(c, ti, why);
	}
	if (st->insert_select && st->nrows == 0 && (st->select_key_known || st->select_key_ref >= 0))
		return r_insert_select(c, ti);
	if (st->insert_select || st->nrows == 0)
		return r_widen(c, ti, "INSERT without a VALUES list, rows not known");
	for (size_t i = 0; i < st->nrows && c->out->sqlstate[0] == '\0'; i++) {
		if (!st->rows[i].key_known) {
			snprintf(why, sizeof(why), "row %zu's %s is an expression shardgate cannot evaluate",
			         i + 1, t->column);
			set |= r_widen(c, ti, why);
			continue;
		}
		snprintf(what, sizeof(what), "row %zu", i + 1);
		set |= r_insert_key(c, ti, &st->rows[i].key, what);
	}
	return set;
}

#define R_NO_MOVE ": changing %s.%s across shards is not supported"

/* UPDATE ... SET <sharding column> = v: allowed only when every row it
 * can touch already lives on v's shard (rows are never moved between
 * shards; a row left on the wrong shard could no longer be found). */
static void r_update_move(rctx_t *c, int ti, uint64_t rows)
{
	const cfg_table_t *t = c->m->tables[ti].cfg;
	const sql_stmt_t *st = c->st;
	char desc[160], val[96], from[256];
	rv_key_t k;
	int shard = -1;
	rplace_t p = RP_UNKNOWN;
	uint64_t moved;

	if (st->new_key_known) {
		rv_from_value(&st->new_key, r_col(t), c->params, c->now_us, &k);
		p = r_place(c->m, ti, &k, &shard, desc, c->quiet ? 0 : sizeof(desc));
		rv_key_format(&k, val, sizeof(val));
	}
	if (p == RP_UNKNOWN) {
		r_error(c, "0A000", "UPDATE sets %s.%s to a value shardgate cannot evaluate" R_NO_MOVE,
		        t->name, t->column, t->name, t->column);
		return;
	}
	if (p == RP_UNLISTED) {
		r_error(c, "22023", "value %s of %s.%s is not listed for any shard", val, t->name, t->column);
		return;
	}
	moved = rows & ~BIT(shard);
	if (moved == 0) {
		r_part(c);
		r_add(c, "SET %s.%s = %s → %s (rows stay on their shard)", t->name, t->column, val, desc);
		return;
	}
	r_names(c->m, moved, from, sizeof(from));
	if ((rows & (rows - 1)) == 0)
		r_error(c, "0A000", "UPDATE would move the row from shard %s to shard %s" R_NO_MOVE, from,
		        r_shard_name(c->m, shard), t->name, t->column);
	else
		r_error(c, "0A000", "UPDATE could move rows from shard%s %s to shard %s" R_NO_MOVE,
		        (moved & (moved - 1)) ? "s" : "", from, r_shard_name(c->m, shard), t->name,
		        t->column);
}

/* One table reference; replicated reads only set *anywhere (they run
 * wherever the rest of the statement runs). */
static uint64_t r_ref(rctx_t *c, const sql_table_ref_t *ref, bool *anywhere)
{
	const sg_shardmap_t *m = c->m;
	const sql_stmt_t *st = c->st;
	const cfg_table_t *t;
	uint64_t set;
	int ti = ref->table;

	if (ti < 0 || (size_t)ti >= m->cfg->ntables) {
		r_part(c);
		r_add(c, "table #%d (not in the sharding spec) → default shard %s", ti,
		      r_shard_name(m, m->default_shard));
		return BIT(m->default_shard);
	}
	t = m->tables[ti].cfg;
	if (t->by == SHARD_BY_REPLICATED) {
		if (!ref->written) {
			*anywhere = true;
			return 0;
		}
		c->out->write_all = true;
		r_part(c);
		r_add(c, "%s (replicated, write) → every shard (", t->name);
		r_add_names(c, r_all(m));
		r_add(c, ")");
		return r_all(m);
	}
	if (ref->written && st->kind == SQLK_INSERT)
		set = r_insert_rows(c, ti);
	else if (ref->written && st->kind == SQLK_COPY_FROM)
		set = r_widen(c, ti, "COPY FROM rows are split by key");
	else
		set = r_constraint(c, ref, ti);
	/* UPDATE, or INSERT ... ON CONFLICT DO UPDATE, assigning the key. */
	if (ref->written && (st->kind == SQLK_UPDATE || st->kind == SQLK_INSERT) && st->sets_key)
		r_update_move(c, ti, set);
	return set;
}

/* Names the replicated tables that were only read. */
static void r_replicated_reads(rctx_t *c, bool alone)
{
	const sql_stmt_t *st = c->st;

	for (size_t i = 0; i < st->nrefs; i++) {
		const sql_table_ref_t *ref = &st->refs[i];
		const cfg_table_t *t;

		if (ref->table < 0 || (size_t)ref->table >= c->m->cfg->ntables || ref->written)
			continue;
		t = c->m->tables[ref->table].cfg;
		if (t->by != SHARD_BY_REPLICATED)
			continue;
		r_part(c);
		if (alone)
			r_add(c, "%s (replicated, read) → default shard %s", t->name,
			      r_shard_name(c->m, c->m->default_shard));
		else
			r_add(c, "%s (replicated, read) → read where the statement runs", t->name);
	}
}

int route_statement(const sg_shardmap_t *m, const sql_stmt_t *st, const route_params_t *params,
                    int64_t now_us, route_result_t *out)
{
	return route_statement_q(m, st, params, now_us, false, out);
}

int route_statement_q(const sg_shardmap_t *m, const sql_stmt_t *st, const route_params_t *params,
                      int64_t now_us, bool quiet, route_result_t *out)
{
	rctx_t c = {.m = m, .st = st, .params = params, .now_us = now_us, .out = out, .quiet = quiet};
	uint64_t set = 0;
	bool anywhere = false;

	memset(out, 0, sizeof(*out));
	out->need_layout = -1;
	if (st->kind == SQLK_DDL) {
		out->shards = r_all(m);
		out->write_all = true;
		r_add(&c, "DDL → every shard (");
		r_add_names(&c, out->shards);
		r_add(&c, ")");
		return 0;
	}
	for (size_t i = 0; i < st->nrefs && out->sqlstate[0] == '\0'; i++)
		set |= r_ref(&c, &st->refs[i], &anywhere);
	if (out->sqlstate[0] != '\0') {
		out->shards = 0;
		out->write_all = false;
		return 0;
	}
	if (st->touches_unsharded) {
		set |= BIT(m->default_shard);
		r_part(&c);
		r_add(&c, "tables not in the sharding spec → default shard %s",
		      r_shard_name(m, m->default_shard));
	}
	if (anywhere)
		r_replicated_reads(&c, set == 0);
	if (set == 0) {
		set = BIT(m->default_shard);
		if (!anywhere) {
			r_part(&c);
			r_add(&c, "%s → default shard %s", st->nrefs ? "no shard needed" : "no sharded table",
			      r_shard_name(m, m->default_shard));
		}
	}
	out->shards = set;
	return 0;
}

int route_hint_key(const sg_shardmap_t *m, const char *key, char *reason, size_t rlen)
{
	static const char *const types[] = {"integer", "text", "uuid"};
	const cfg_table_t *t = NULL;
	char desc[160];
	rv_key_t k;
	int ti, shard = -1;

	for (ti = 0; (size_t)ti < m->cfg->ntables; ti++) {
		t = &m->cfg->tables[ti];
		if (t->by == SHARD_BY_HASH)
			break;
	}
	if ((size_t)ti == m->cfg->ntables) {
		snprintf(reason, rlen, "sharding_key needs a table with shard_by hash, and there is none");
		return -1;
	}
	rv_from_text(key, strlen(key), r_col(t), NULL, &k);
	if (r_place(m, ti, &k, &shard, desc, sizeof(desc)) != RP_SHARD) {
		snprintf(reason, rlen, "sharding_key '%.*s' is not a valid %s key for %s.%s",
		         (int)rv_utf8_prefix(key, strlen(key), 64), key, types[t->key_type], t->name,
		         t->column);
		return -1;
	}
	snprintf(reason, rlen, "sharding_key '%.*s' hashed as %s.%s (%s) → %s",
	         (int)rv_utf8_prefix(key, strlen(key), 64), key, t->name, t->column, types[t->key_type],
	         desc);
	return shard;
}

/* The written table of a statement, or -1. */
static int r_written_table(const sg_shardmap_t *m, const sql_stmt_t *st)
{
	for (size_t i = 0; i < st->nrefs; i++) {
		int ti = st->refs[i].table;

		if (st->refs[i].written && ti >= 0 && (size_t)ti < m->cfg->ntables)
			return ti;
	}
	return -1;
}

int route_insert_row_shard(const sg_shardmap_t *m, const sql_stmt_t *st, size_t row,
                           const route_params_t *params, int64_t now_us)
{
	int ti = r_written_table(m, st), shard = -1;
	char desc[160];
	rv_key_t k;

	if (ti < 0 || !r_split_by_key(m->tables[ti].cfg) || row >= st->nrows || !st->rows[row].key_known)
		return -1;
	rv_from_value(&st->rows[row].key, r_col(m->tables[ti].cfg), params, now_us, &k);
	return r_place(m, ti, &k, &shard, desc, sizeof(desc)) == RP_SHARD ? shard : -1;
}

int route_copy_row_shard(const sg_shardmap_t *m, int table, const char *field, size_t len)
{
	char desc[160];
	rv_key_t k;
	int shard = -1;

	if (table < 0 || (size_t)table >= m->cfg->ntables || !r_split_by_key(m->tables[table].cfg))
		return SG_ENOTSUP;
	if (field == NULL) {
		memset(&k, 0, sizeof(k));
		k.kind = RV_NULL;
	} else {
		rv_from_text(field, len, r_col(m->tables[table].cfg), NULL, &k);
	}
	switch (r_place(m, table, &k, &shard, desc, sizeof(desc))) {
	case RP_SHARD:
		return shard;
	case RP_UNLISTED:
		return SG_ENOENT;
	default:
		return SG_EPROTO;
	}
}
