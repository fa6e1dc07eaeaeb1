/* shape.h — the cheap pass that keeps libpg_query off the hot path.
 *
 * sql_shape_of() lexes a query once (no parse tree): it collapses
 * whitespace, drops comments, and replaces each literal that may stand
 * where a parameter could (after an operator, '(' or ',', IN lists,
 * VALUES rows, LIMIT/OFFSET numbers) with a parameter $<base+k>, where
 * base is the highest $n already in the text. A unary sign goes with its
 * number, as in PostgreSQL's grammar: `a = -5` becomes `a = $1` with
 * value "-5" (the literal's span covers the sign; `+5` gives "5"), while
 * a binary minus (`a - 5`) stays an operator. A literal right after an
 * identifier or keyword (interval '3 days', date '2026-01-01', LIKE
 * 'x%') is kept verbatim: replacing it would change the grammar. Queries
 * whose text differs only in replaced literals get the same `norm` text,
 * so the routing plan computed once for `norm` (with libpg_query) serves
 * them all; the literals are then handed to the router as text-format
 * parameters. SET/RESET/SHOW statements, and text with unterminated
 * quotes or comments, are not normalised (norm = the text as is, nlits 0).
 *
 * Everything is owned by the shape (sql_shape_free). */
#ifndef SG_SQL_SHAPE_H
#define SG_SQL_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sql_lit {
	int start, len; /* the literal's bytes in the original text (quotes, sign included) */
	bool is_string; /* '...' or E'...' (value is unescaped into `value`) */
	char *value;    /* owned, NUL-terminated: the literal's value as text */
	int param;      /* the $n it became in norm */
} sql_lit_t;

typedef struct sql_shape {
	char *norm; /* owned: normalised text */
	size_t norm_len;
	uint64_t hash; /* of norm */
	int base;      /* highest $n in the original text */
	sql_lit_t *lits;
	size_t nlits;
} sql_shape_t;

/* 0 or SG_ENOMEM. Never fails on bad SQL: it just normalises less. */
int sql_shape_of(const char *sql, sql_shape_t *out);
void sql_shape_free(sql_shape_t *s);

/* ---- a bounded LRU cache: norm text → plan (opaque to the cache) ---- */
typedef struct sql_plan_cache sql_plan_cache_t;
typedef void (*sql_plan_free_fn)(void *plan);

sql_plan_cache_t *sql_plan_cache_new(size_t capacity, sql_plan_free_fn free_fn);
void sql_plan_cache_free(sql_plan_cache_t *c);
/* The plan stored for this shape's norm text, or NULL (counts a hit or a miss). */
void *sql_plan_cache_get(sql_plan_cache_t *c, const sql_shape_t *s);
/* Stores a plan (the cache owns it; evicts the least recently used entry
 * beyond capacity, freeing its plan). 0 or SG_ENOMEM (plan freed then). */
int sql_plan_cache_put(sql_plan_cache_t *c, const sql_shape_t *s, void *plan);
/* Drops every plan (they are freed), keeping the counters. */
void sql_plan_cache_clear(sql_plan_cache_t *c);
typedef struct sql_plan_cache_stats {
	uint64_t hits, misses, evictions;
	size_t entries, capacity;
} sql_plan_cache_stats_t;
void sql_plan_cache_stats(const sql_plan_cache_t *c, sql_plan_cache_stats_t *out);

#endif
