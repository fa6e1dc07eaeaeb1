/* analyze_int.h — what the analyzer's files share (not a public API).
 *
 * One sql_analyze() call owns one sqa_ctx_t. Everything temporary lives
 * in the context's arena (freed in one go at the end); strings inside
 * sqa_val_t are borrowed from the unpacked parse tree or the arena and
 * are deep-copied into the caller's sql_analysis_t only at the end. */
#ifndef SG_SQL_ANALYZE_INT_H
#define SG_SQL_ANALYZE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "analyze.h"
#include "sql_arena.h"

#define SQA_US_PER_DAY INT64_C(86400000000)
/* Statements whose tree may nest deeper than this (sqa_depth_bound) are
 * not parsed: SG_ERANGE. PostgreSQL accepts a few thousand levels (a
 * chain of 10,000 `+` already fails there with "stack depth limit
 * exceeded"); applications do not write such statements, and at this
 * bound libpg_query + protobuf-c + our walk use about 4 MB of stack. */
#define SQA_MAX_NESTING 1000
/* The walk's own recursion limit, a backstop for the bound above. */
#define SQA_MAX_DEPTH 20000

/* Values while folding. A value with ts_lo != ts_hi is known only to lie
 * in that range (an interval with months added to now(): a month is 28
 * to 31 days); it can bound a range (the loose side) but not be equal. */
typedef enum sqa_kind {
	SQA_NONE = 0, /* not a constant we can evaluate */
	SQA_NULL,
	SQA_INT,
	SQA_NUM, /* a non-integer (or huge) numeric literal, as written */
	SQA_TEXT,
	SQA_PARAM,
	SQA_TS,       /* absolute: ts_lo == ts_hi */
	SQA_NOW_REL,  /* now() + [ts_lo, ts_hi] */
	SQA_DATE_REL, /* current_date + days, then + [ts_lo, ts_hi] */
	SQA_INTERVAL, /* months, days, us (PostgreSQL's three fields) */
} sqa_kind_t;

typedef struct sqa_val {
	sqa_kind_t kind;
	bool is_array;    /* cast to an array type (only = ANY uses it) */
	int64_t i;        /* SQA_INT */
	const char *text; /* SQA_TEXT, SQA_NUM: borrowed */
	int param;
	int64_t ts_lo, ts_hi;
	int32_t days;
	int64_t months, idays, us; /* SQA_INTERVAL */
	const char *cast;          /* borrowed, lower case, "int8[]" for arrays */
} sqa_val_t;

typedef struct sqa_cons {
	sql_cons_kind_t kind;
	sqa_val_t *vals; /* arena; copies of a constraint share it until changed */
	size_t n, cap;
	bool has_lo, has_hi, lo_incl, hi_incl;
	sqa_val_t lo, hi; /* exact (ts_lo == ts_hi) */
} sqa_cons_t;

/* A parsed table spec: names folded the way PostgreSQL folds identifiers. */
typedef struct sqa_spec {
	const char *schema; /* NULL: matches any schema */
	const char *rel;
	const char *column; /* NULL: replicated */
	int key_col;        /* sql_table_spec_t.key_col */
} sqa_spec_t;

typedef struct sqa_ref {
	int table;
	const char *alias; /* borrowed */
	bool written;
	sqa_cons_t cons;
} sqa_ref_t;

/* The CTE names visible at a point: a WITH clause (its first `nvisible`
 * entries; all of them when RECURSIVE) and the enclosing ones. */
typedef struct sqa_ctes {
	const PgQuery__WithClause *with;
	size_t nvisible;
	const struct sqa_ctes *up;
} sqa_ctes_t;

/* One FROM item of a query level (a relation, subquery, function...). */
typedef struct sqa_item {
	const PgQuery__RangeVar *rv; /* NULL unless a relation */
	const char *name;            /* qualifier (alias or relation name), NULL if it cannot be named */
	int ref;                     /* index into ctx refs, or -1 (not a sharded table) */
} sqa_item_t;

/* A boolean expression that filters the rows of items [lo, hi). */
typedef struct sqa_qual {
	const PgQuery__Node *expr;
	size_t lo, hi;
} sqa_qual_t;

typedef struct sqa_level {
	sqa_item_t *items; /* arena */
	size_t nitems, capitems;
	sqa_qual_t *quals; /* arena */
	size_t nquals, capquals;
} sqa_level_t;

typedef struct sqa_ctx {
	const char *sql;
	size_t sql_len;
	const sqa_spec_t *specs;
	size_t nspecs;
	sql_arena_t arena;
	PgQuery__ScanResult *scan; /* the whole text's tokens (NULL if not scanned or it does not lex) */
	bool scanned;
	int depth;
	bool mark_written; /* RangeVars met by the generic walk are written (TRUNCATE) */
	/* the statement being built, and its outermost INSERT/UPDATE (whose
	 * rows and SET list the statement reports; not a CTE's) */
	sql_stmt_t *st;
	const void *top;
	sqa_ref_t *refs; /* arena, grown by doubling */
	size_t nrefs, caprefs;
} sqa_ctx_t;

/* analyze.c */
void *sqa_alloc(sqa_ctx_t *c, size_t n);
char *sqa_strndup(sqa_ctx_t *c, const char *s, size_t n);
int sqa_value_out(const sqa_val_t *v, sql_value_t *out);
void sqa_value_clear(sql_value_t *v);

/* analyze_query.c: the statement shapes and FROM scopes */
int sqa_query(sqa_ctx_t *c, const PgQuery__Node *n, const sqa_ctes_t *ctes);
int sqa_walk(sqa_ctx_t *c, const ProtobufCMessage *m, const sqa_ctes_t *ctes);
int sqa_with(sqa_ctx_t *c, const PgQuery__WithClause *w, const sqa_ctes_t *outer, sqa_ctes_t *mine);
int sqa_spec_find(const sqa_ctx_t *c, const char *schema, const char *rel);
int sqa_ref_add(sqa_ctx_t *c, int table, const char *alias, bool written);
/* The CTE `name` visible in `ctes` (NULL if none), the WITH scope that
 * holds it and its index there. */
const PgQuery__CommonTableExpr *sqa_cte_find(const sqa_ctes_t *ctes, const char *name,
                                             const sqa_ctes_t **where, size_t *index);

/* analyze_rows.c: can the SELECT return a row once per shard? Sets
 * rows_per_shard_unsafe and dup_reason of c->st. */
void sqa_rows_per_shard(sqa_ctx_t *c, const PgQuery__SelectStmt *s);

/* analyze_dml.c: INSERT, UPDATE, DELETE, COPY */
int sqa_insert(sqa_ctx_t *c, const PgQuery__InsertStmt *s, const sqa_ctes_t *ctes);
int sqa_update(sqa_ctx_t *c, const PgQuery__UpdateStmt *s, const sqa_ctes_t *ctes);
int sqa_delete(sqa_ctx_t *c, const PgQuery__DeleteStmt *s, const sqa_ctes_t *ctes);
int sqa_copy(sqa_ctx_t *c, const PgQuery__CopyStmt *s);
int sqa_level_item_rv(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__RangeVar *rv, const sqa_ctes_t *ctes,
                      bool written);
int sqa_level_from(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__Node *n, const sqa_ctes_t *ctes);
int sqa_level_qual(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__Node *expr, size_t lo, size_t hi);
int sqa_walk_list(sqa_ctx_t *c, PgQuery__Node *const *v, size_t n, const sqa_ctes_t *ctes);

/* analyze_cons.c: constraints of a level's refs */
int sqa_level_finish(sqa_ctx_t *c, const sqa_level_t *l);
int sqa_level_resolve(const sqa_level_t *l, const PgQuery__ColumnRef *cr, const char **col);

/* analyze_expr.c: constant folding */
void sqa_eval(sqa_ctx_t *c, const PgQuery__Node *n, sqa_val_t *out);
void sqa_eval_array(sqa_ctx_t *c, const PgQuery__Node *n, sqa_val_t **vals, size_t *nvals, bool *ok);
const char *sqa_type_name(sqa_ctx_t *c, const PgQuery__TypeName *t);

/* analyze_time.c: date/time text and calendar arithmetic. Intervals are
 * kept within these bounds (100,000 years), so their parts can be negated
 * and added a few times without overflow. */
#define SQA_IVL_MAX_MONTHS INT64_C(1200000)
#define SQA_IVL_MAX_DAYS   INT64_C(36500000)
#define SQA_IVL_MAX_US     (SQA_IVL_MAX_DAYS * SQA_US_PER_DAY)
bool sqa_interval_bounded(int64_t months, int64_t days, int64_t us);
int sqa_interval_parse(const char *s, int64_t *months, int64_t *days, int64_t *us);
int sqa_ts_add_interval(int64_t ts, int64_t months, int64_t days, int64_t us, int64_t *out);
void sqa_months_span(int64_t months, int64_t *lo_us, int64_t *hi_us);

/* analyze_text.c: byte-level scans of the query text */
int sqa_hints(const char *sql, char **shard, char **key);
int sqa_scan(sqa_ctx_t *c);
void sqa_scan_free(sqa_ctx_t *c);
int sqa_depth_bound(const PgQuery__ScanResult *sr);
int sqa_insert_rows_locate(sqa_ctx_t *c, const PgQuery__InsertStmt *s, const PgQuery__SelectStmt *values);

#endif
