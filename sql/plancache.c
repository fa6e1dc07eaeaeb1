/* plancache.c — the bounded LRU map from a shape's norm text to a plan.
 *
 * A chained hash table finds an entry by the shape's hash, then by the
 * full norm text (two shapes may share a 64-bit hash; they must never
 * share a plan). Every entry is also on a doubly linked list, most
 * recently used first, so get, put and eviction are O(1). The table has
 * a fixed power-of-two bucket count of at least twice the capacity, so
 * chains stay short and it never rehashes.
 *
 * Not thread-safe: one cache belongs to one event loop. */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "shape.h"

typedef struct plan_entry {
	char *key; /* owned copy of the norm text */
	size_t klen;
	uint64_t hash;
	void *plan;                     /* owned: released with the cache's free_fn */
	struct plan_entry *chain;       /* next in the same bucket */
	struct plan_entry *prev, *next; /* LRU list: prev is more recently used */
} plan_entry_t;

struct sql_plan_cache {
	plan_entry_t **buckets;
	size_t nbuckets; /* a power of two */
	size_t entries, capacity;
	plan_entry_t *mru, *lru;  /* ends of the LRU list */
	sql_plan_free_fn free_fn; /* may be NULL: plans are then not freed */
	uint64_t hits, misses, evictions;
};

sql_plan_cache_t *sql_plan_cache_new(size_t capacity, sql_plan_free_fn free_fn)
{
	sql_plan_cache_t *c = NULL;
	size_t nb = 16;

	/* Capacity 0 would evict a plan in the put that stores it, while the
	 * caller still uses it: at least one entry is always kept. */
	if (capacity == 0)
		capacity = 1;
	while (nb < capacity * 2 && nb < ((size_t)1 << 30))
		nb *= 2;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	if (c->buckets == NULL)
		goto fail;
	c->nbuckets = nb;
	c->capacity = capacity;
	c->free_fn = free_fn;
	return c;
fail:
	free(c);
	return NULL;
}

static void plan_release(sql_plan_cache_t *c, void *plan)
{
	if (c->free_fn != NULL && plan != NULL)
		c->free_fn(plan);
}

void sql_plan_cache_free(sql_plan_cache_t *c)
{
	plan_entry_t *e, *next;

	if (c == NULL)
		return;
	for (e = c->mru; e != NULL; e = next) {
		next = e->next;
		plan_release(c, e->plan);
		free(e->key);
		free(e);
	}
	free(c->buckets);
	free(c);
}

static plan_entry_t **bucket_of(const sql_plan_cache_t *c, uint64_t hash)
{
	return &c->buckets[hash & (c->nbuckets - 1)];
}

static plan_entry_t *entry_find(const sql_plan_cache_t *c, const sql_shape_t *s)
{
	plan_entry_t *e;

	for (e = *bucket_of(c, s->hash); e != NULL; e = e->chain)
		if (e->hash == s->hash && e->klen == s->norm_len && memcmp(e->key, s->norm, s->norm_len) == 0)
			return e;
	return NULL;
}

static void lru_unlink(sql_plan_cache_t *c, plan_entry_t *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->mru = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->lru = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(sql_plan_cache_t *c, plan_entry_t *e)
{
	e->prev = NULL;
	e->next = c->mru;
	if (c->mru != NULL)
		c->mru->prev = e;
	c->mru = e;
	if (c->lru == NULL)
		c->lru = e;
}

static void chain_unlink(sql_plan_cache_t *c, plan_entry_t *e)
{
	plan_entry_t **pp;

	for (pp = bucket_of(c, e->hash); *pp != NULL; pp = &(*pp)->chain)
		if (*pp == e) {
			*pp = e->chain;
			return;
		}
}

void *sql_plan_cache_get(sql_plan_cache_t *c, const sql_shape_t *s)
{
	plan_entry_t *e = entry_find(c, s);

	if (e == NULL) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	if (e != c->mru) {
		lru_unlink(c, e);
		lru_push_front(c, e);
	}
	return e->plan;
}

static void evict_lru(sql_plan_cache_t *c)
{
	plan_entry_t *e = c->lru;

	lru_unlink(c, e);
	chain_unlink(c, e);
	plan_release(c, e->plan);
	free(e->key);
	free(e);
	c->entries--;
	c->evictions++;
}

void sql_plan_cache_clear(sql_plan_cache_t *c)
{
	while (c->lru != NULL)
		evict_lru(c);
}

int sql_plan_cache_put(sql_plan_cache_t *c, const sql_shape_t *s, void *plan)
{
	plan_entry_t *e = entry_find(c, s), **bucket;
	void *old;

	if (e != NULL) {
		/* Same shape analysed again: the new plan replaces the old one.
		 * Storing the pointer already held must not free it. */
		old = e->plan;
		e->plan = plan;
		if (old != plan)
			plan_release(c, old);
		if (e != c->mru) {
			lru_unlink(c, e);
			lru_push_front(c, e);
		}
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto fail;
	e->key = malloc(s->norm_len + 1);
	if (e->key == NULL)
		goto fail;
	memcpy(e->key, s->norm, s->norm_len);
	e->key[s->norm_len] = '\0';
	e->klen = s->norm_len;
	e->hash = s->hash;
	e->plan = plan;
	bucket = bucket_of(c, s->hash);
	e->chain = *bucket;
	*bucket = e;
	lru_push_front(c, e);
	c->entries++;
	/* The new entry is the most recent, so it is never the one evicted. */
	while (c->entries > c->capacity)
		evict_lru(c);
	return 0;
fail:
	free(e);
	plan_release(c, plan);
	return SG_ENOMEM;
}

void sql_plan_cache_stats(const sql_plan_cache_t *c, sql_plan_cache_stats_t *out)
{
	out->hits = c->hits;
	out->misses = c->misses;
	out->evictions = c->evictions;
	out->entries = c->entries;
	out->capacity = c->capacity;
}
