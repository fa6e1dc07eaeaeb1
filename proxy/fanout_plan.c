/* fanout_plan.c — merge plans, built once per statement text.
 *
 * Building a plan parses and deparses the statement with libpg_query on a
 * large-stack thread (~0.2 ms, on the event loop): a prepared cross-shard
 * statement executed again and again, or a dashboard sending the same
 * text, must not pay that each time. A plan depends on the text only, so
 * plans are kept in a small process-wide table keyed by it. A cached plan
 * is never changed: the one thing an execution changes, the HAVING
 * constants bound from parameters, lives in the fan-out's own copy of the
 * plan struct with its own copy of the HAVING tree. Entries in use
 * (refs > 0) are never evicted. */
#include <stdlib.h>
#include <string.h>

#include "fanout_int.h"

#define FANOUT_PLAN_CACHE 128

typedef struct fanout_cached {
	uint64_t hash;
	char *sql; /* owned */
	sql_merge_plan_t *plan;
	int refs;
	uint64_t used; /* tick of the last use (LRU) */
} fanout_cached_t;

static fanout_cached_t cache[FANOUT_PLAN_CACHE];
static uint64_t tick;

static uint64_t fanout_plan_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static void fanout_having_free(sql_having_t *h)
{
	if (h == NULL)
		return;
	fanout_having_free(h->left);
	fanout_having_free(h->right);
	free(h->constant);
	free(h);
}

static sql_having_t *fanout_having_clone(const sql_having_t *h, bool *oom)
{
	sql_having_t *c;

	if (h == NULL || *oom)
		return NULL;
	c = malloc(sizeof(*c));
	if (c == NULL) {
		*oom = true;
		return NULL;
	}
	*c = *h;
	c->constant = h->constant != NULL ? strdup(h->constant) : NULL;
	*oom = *oom || (h->constant != NULL && c->constant == NULL);
	c->left = fanout_having_clone(h->left, oom);
	c->right = fanout_having_clone(h->right, oom);
	return c;
}

/* A free slot, or the least recently used one nobody holds (emptied). */
static fanout_cached_t *fanout_plan_slot(void)
{
	fanout_cached_t *best = NULL;

	for (int i = 0; i < FANOUT_PLAN_CACHE; i++) {
		fanout_cached_t *e = &cache[i];
		if (e->plan == NULL)
			return e;
		if (e->refs == 0 && (best == NULL || e->used < best->used))
			best = e;
	}
	if (best != NULL) {
		sql_merge_plan_free(best->plan);
		free(best->sql);
		memset(best, 0, sizeof(*best));
	}
	return best;
}

/* The cached plan for `sql` (one more reference), built if missing.
 * NULL with *rc set when it cannot be planned (SG_ENOTSUP: err says why). */
static fanout_cached_t *fanout_plan_get(const char *sql, int *rc, char *err, size_t errlen)
{
	uint64_t h = fanout_plan_hash(sql);
	fanout_cached_t *e;
	sql_merge_plan_t *p;

	for (int i = 0; i < FANOUT_PLAN_CACHE; i++) {
		e = &cache[i];
		if (e->plan != NULL && e->hash == h && strcmp(e->sql, sql) == 0) {
			e->refs++;
			e->used = ++tick;
			return e;
		}
	}
	*rc = sql_merge_plan_build(sql, &p, err, errlen);
	if (*rc != 0)
		return NULL;
	e = fanout_plan_slot();
	if (e == NULL || (e->sql = strdup(sql)) == NULL) {
		/* every entry in use (or no memory for the key): not cached */
		sql_merge_plan_free(p);
		*rc = e == NULL ? SG_EAGAIN : SG_ENOMEM;
		return NULL;
	}
	e->hash = h;
	e->plan = p;
	e->refs = 1;
	e->used = ++tick;
	return e;
}

int fanout_plan(sg_fanout_t *fo, const char *sql, char *err, size_t errlen)
{
	fanout_cached_t *e;
	bool oom = false;
	int rc = 0;

	if (fo->kind != SQLK_SELECT) {
		/* UPDATE/DELETE: the shards' rows and counts, concatenated */
		fo->plan = &fo->plan_copy;
		fo->plan->mode = SQL_MERGE_CONCAT;
		fo->plan->limit = -1;
		fo->plan->shard_sql = strdup(sql);
		fo->limit = -1;
		return fo->plan->shard_sql != NULL ? 0 : SG_ENOMEM;
	}
	e = fanout_plan_get(sql, &rc, err, errlen);
	if (e == NULL && rc == SG_EAGAIN) {
		/* the cache is full of plans in use: this one is the fan-out's own */
		rc = sql_merge_plan_build(sql, &fo->plan_owned, err, errlen);
		if (rc != 0)
			return rc;
		fo->plan = fo->plan_owned;
		fo->limit = fo->plan->limit;
		fo->offset = fo->plan->offset;
		return 0;
	}
	if (e == NULL)
		return rc;
	fo->cached = e;
	fo->plan_copy = *e->plan;
	fo->plan_copy.having = fanout_having_clone(e->plan->having, &oom);
	fo->plan = &fo->plan_copy;
	fo->limit = fo->plan->limit;
	fo->offset = fo->plan->offset;
	return oom ? SG_ENOMEM : 0;
}

void fanout_plan_release(sg_fanout_t *fo)
{
	if (fo->plan_owned != NULL) {
		sql_merge_plan_free(fo->plan_owned);
	} else if (fo->cached != NULL) {
		fanout_having_free(fo->plan_copy.having);
		((fanout_cached_t *)fo->cached)->refs--;
	} else {
		free(fo->plan_copy.shard_sql); /* UPDATE/DELETE */
	}
	fo->plan = NULL;
}

void fanout_plans_free(void)
{
	for (int i = 0; i < FANOUT_PLAN_CACHE; i++) {
		sql_merge_plan_free(cache[i].plan);
		free(cache[i].sql);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
}
