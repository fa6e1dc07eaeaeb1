/* merge_plan_int.h — what the merge planner's files share (not an API).
 *
 * One sql_merge_plan_build() call owns one mp_ctx_t. The parse tree is
 * libpg_query's, unpacked by protobuf-c, and is never modified: the shard
 * statement is a new SelectStmt (and a few new expression nodes) built in
 * the context's arena that points into the original tree where it keeps a
 * part unchanged. It is packed and deparsed, then the arena and the tree
 * are freed together. Strings put into the plan are strdup'ed.
 *
 * Files: merge_plan.c (entry, checks, CONCAT/SORTED, LIMIT, deparse),
 * merge_plan_tree.c (generic tree walk, rewrite, equality, node builders,
 * column names, aggregate classes), merge_plan_grouped.c (GROUPED),
 * merge_plan_final.c (expressions over aggregates → final_sql),
 * merge_plan_having.c (HAVING → sql_having_t). */
#ifndef SG_SQL_MERGE_PLAN_INT_H
#define SG_SQL_MERGE_PLAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "merge_plan.h"
#include "sql_arena.h"

/* A merged column while planning a GROUPED statement. */
typedef struct mp_gcol {
	sql_agg_kind_t agg;
	PgQuery__Node *expr;        /* borrowed: the aggregate call, the group key expression, or
	                               (FINAL) the expression over aggregates */
	PgQuery__ResTarget *target; /* borrowed: the client's target for a visible column */
	const char *name;           /* the client's name (arena or borrowed) */
	PgQuery__Node *fexpr;       /* FINAL: expr with its aggregates and group keys as $n */
	int final;                  /* FINAL: its column in final_sql once rewritten; else -1 */
} mp_gcol_t;

typedef struct mp_ctx {
	sql_arena_t arena;
	char *err;
	size_t errlen;
	PgQuery__SelectStmt *sel; /* the statement (borrowed) */
	int32_t version;          /* the parse tree's protobuf version, for the deparse */
	sql_merge_plan_t *plan;

	/* the check walk (merge_plan.c) */
	int depth;                         /* SelectStmt nesting, the statement itself is 1 */
	PgQuery__SelectStmt **union_chain; /* a top UNION ALL's own nodes: checked as the top */
	int nunion, nunion_cap;
	bool has_agg; /* an aggregate call in the statement itself */

	/* GROUPED (merge_plan_grouped.c) */
	mp_gcol_t *g;
	int ng, gcap;
	bool distinct;         /* SELECT DISTINCT */
	PgQuery__Node *cd_arg; /* the one count(DISTINCT) expression (with its FILTER folded in) */
	int nfinal;            /* FINAL columns rewritten so far (final_sql's columns) */
	int *fparams;          /* final_sql's $k is merged column fparams[k-1] */
	int nfparams, fpcap;

	/* SORTED: hidden sort expressions */
	PgQuery__Node **hidden;
	int nhidden, hcap;
} mp_ctx_t;

/* ---- merge_plan_tree.c ---- */
void *mp_alloc(mp_ctx_t *c, size_t n);
void mp_arena_free(mp_ctx_t *c);
char *mp_strdup(mp_ctx_t *c, const char *s);
/* prefix followed by i ("__sg_c3"), in the arena. */
char *mp_name_num(mp_ctx_t *c, const char *prefix, int i);
/* Writes err and returns SG_ENOTSUP. */
int mp_refuse(mp_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Grows a pointer-sized array in the arena; returns 0 or SG_ENOMEM. */
int mp_grow(mp_ctx_t *c, void **arr, int n, int *cap, size_t elem);

/* Walks every message under m (pre-order). fn returns 0 to go on, 1 to
 * skip m's children (only when enter), or a negative code to stop. After
 * m's children it is called again with enter = false. */
typedef int (*mp_visit_fn)(void *arg, const ProtobufCMessage *m, bool enter);
int mp_walk(const ProtobufCMessage *m, mp_visit_fn fn, void *arg);
/* A copy-on-write rewrite of the tree under m into *out: fn sees every
 * message pre-order and returns 0 to go on into its children, 1 to put
 * *repl in its place (children not visited), or a negative code to stop.
 * Messages on the way to a replacement are cloned into the arena; m
 * itself is never modified (*out == m when nothing was replaced). */
typedef int (*mp_rewrite_fn)(void *arg, const ProtobufCMessage *m, ProtobufCMessage **repl);
int mp_rewrite(mp_ctx_t *c, ProtobufCMessage *m, mp_rewrite_fn fn, void *arg, ProtobufCMessage **out);
/* Structural equality ignoring `location` fields. */
bool mp_equal(const ProtobufCMessage *a, const ProtobufCMessage *b);
#define mp_node_equal(a, b) mp_equal((const ProtobufCMessage *)(a), (const ProtobufCMessage *)(b))

/* Node builders (arena). NULL on ENOMEM. */
PgQuery__Node *mp_node(mp_ctx_t *c, PgQuery__Node__NodeCase k, void *msg);
PgQuery__Node *mp_const_int(mp_ctx_t *c, int64_t v);
PgQuery__Node *mp_param(mp_ctx_t *c, int n);      /* $n */
PgQuery__Node *mp_param_int8(mp_ctx_t *c, int n); /* $n::bigint */
PgQuery__Node *mp_binop(mp_ctx_t *c, const char *op, PgQuery__Node *l, PgQuery__Node *r);
PgQuery__Node *mp_target(mp_ctx_t *c, const char *name, PgQuery__Node *val);
PgQuery__Node *mp_func_renamed(mp_ctx_t *c, const PgQuery__FuncCall *f, const char *name);

/* PostgreSQL's FigureColname: the name of an output column with no alias. */
const char *mp_colname(const PgQuery__Node *n);
const char *mp_target_name(const PgQuery__ResTarget *t);
bool mp_is_star(const PgQuery__ResTarget *t);

/* The last name of a function ("count" for pg_catalog.count). */
const char *mp_func_name(const PgQuery__FuncCall *f);
/* An aggregate call (not a window call): a known aggregate's name, or
 * aggregate-only syntax (*, DISTINCT, ORDER BY, FILTER, WITHIN GROUP). */
bool mp_is_agg(const PgQuery__FuncCall *f);
/* The merge for a supported aggregate, or SG_ENOTSUP naming it. */
int mp_agg_kind(mp_ctx_t *c, const PgQuery__FuncCall *f, sql_agg_kind_t *kind);
/* An aggregate call anywhere in n, not looking into subqueries. */
bool mp_has_agg(const PgQuery__Node *n);
/* The aggregate call n is, or NULL. */
PgQuery__FuncCall *mp_as_agg(const PgQuery__Node *n);

/* ---- merge_plan.c ---- */
/* A sort key's direction and collation; *expr is the key without COLLATE. */
int mp_sort_key(mp_ctx_t *c, const PgQuery__SortBy *s, sql_sort_key_t *k, PgQuery__Node **expr);
/* The target a bare output-column name (ORDER BY x) names: -1 none. */
int mp_target_by_name(mp_ctx_t *c, const PgQuery__Node *n, int ntargets);
/* The shard statement's LIMIT/OFFSET for GROUPED: none, keeping $n. */
int mp_limit_grouped(mp_ctx_t *c, PgQuery__SelectStmt *out);
int mp_deparse(mp_ctx_t *c, PgQuery__SelectStmt *s, char **out);

/* ---- merge_plan_grouped.c ---- */
int mp_grouped_build(mp_ctx_t *c);
/* The merged column for an aggregate call or a group key expression:
 * its index, -1 when none matches, or a negative code. MP_FIND_ADD adds a
 * hidden one when none matches; MP_FIND_NAME_* also lets a bare name
 * match an output column's name (any, or only a group key's). */
#define MP_FIND_ADD      1
#define MP_FIND_NAME_ANY 2
#define MP_FIND_NAME_KEY 4
int mp_gcol_find(mp_ctx_t *c, PgQuery__Node *n, int flags);

/* ---- merge_plan_final.c ---- */
/* Rewrites every FINAL merged column not rewritten yet (adding the
 * aggregates and group keys it uses as hidden columns). */
int mp_final_rewrite(mp_ctx_t *c);
/* plan->final_sql, final_params, nfinal_params, nfinal and cols[].final,
 * once plan->cols exists. */
int mp_final_build(mp_ctx_t *c);

/* ---- merge_plan_having.c ---- */
int mp_having_build(mp_ctx_t *c, PgQuery__Node *n, sql_having_t **out);
void mp_having_free(sql_having_t *h);

#endif
