/* route_value.h — turning what a statement says about a sharding column
 * (a literal, a Bind parameter in text or binary format, a now()-relative
 * expression, an array parameter) into a key of the column's kind.
 * router/ internal; callers use route.h.
 *
 * Anything that cannot be read with certainty becomes RK_UNKNOWN: the
 * router then sends the statement to every shard that could hold the row,
 * never to a guessed one. */
#ifndef SG_ROUTE_VALUE_H
#define SG_ROUTE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "route.h"

/* What the sharding column holds. */
typedef enum rv_col {
	RV_COL_INT = 0, /* hash, type integer (int2/int4/int8) */
	RV_COL_TEXT,    /* hash type text, region */
	RV_COL_UUID,    /* hash type uuid */
	RV_COL_TS,      /* time: timestamp, timestamptz or date */
} rv_col_t;

typedef enum rv_kind {
	RV_UNKNOWN = 0,
	RV_NULL,
	RV_INT,  /* i */
	RV_TEXT, /* rv_key_text(), len: borrowed from the statement or parameter, or in num */
	RV_UUID, /* uuid */
	RV_TS,   /* i: microseconds since 1970-01-01 UTC (INT64_MIN/MAX: -infinity/infinity) */
} rv_kind_t;

typedef struct rv_key {
	rv_kind_t kind;
	int64_t i;
	const char *s; /* NULL when the text is in num */
	size_t len;
	uint8_t uuid[16];
	char num[24]; /* storage when an integer is read as text */
	int param;    /* the $n it came from, 0 if a literal */
} rv_key_t;

/* A decoded array parameter (col = ANY($n)). */
typedef struct rv_list {
	rv_key_t *keys; /* owned */
	size_t n;
	char *buf; /* owned: unescaped text of the elements */
} rv_list_t;

static inline const char *rv_key_text(const rv_key_t *k)
{
	return k->s != NULL ? k->s : k->num;
}

/* One value of a constraint or INSERT row. */
void rv_from_value(const sql_value_t *v, rv_col_t col, const route_params_t *params, int64_t now_us,
                   rv_key_t *out);
/* Text as the column's input function would read it (COPY fields,
 * comment hints, text-format parameters). */
void rv_from_text(const char *s, size_t len, rv_col_t col, const char *cast, rv_key_t *out);
/* The array parameter of `col = ANY($n)`, text ('{1,2}') or binary
 * format. 0, SG_EPROTO (not readable: treat as unknown) or SG_ENOMEM. */
int rv_param_array(const route_params_t *params, int param, rv_col_t col, rv_list_t *out);
void rv_list_free(rv_list_t *l);

/* PostgreSQL timestamp text: 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS[.ffffff]]'
 * (or 'T'), optional zone Z / UTC / +hh[:mm]; no zone means UTC. */
int rv_ts_parse(const char *s, size_t len, int64_t *us);
/* "2026-11-20 10:00:00+00" (microseconds shown when non-zero). */
void rv_ts_format(int64_t us, char *buf, size_t n);
/* Length of the longest prefix of s[0..len) that is at most max bytes
 * and does not end inside a UTF-8 sequence. */
size_t rv_utf8_prefix(const char *s, size_t len, size_t max);
/* The key as the reason strings show it: 42, 'abc', NULL, ... */
void rv_key_format(const rv_key_t *k, char *buf, size_t n);

#endif
