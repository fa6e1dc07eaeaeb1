/* merge_plan.h — how one SELECT that runs on several shards is rewritten
 * for the shards and how their rows become the one result PostgreSQL
 * would give had all rows lived in one database.
 *
 * Pure: SQL text in, plan out (libpg_query parse, tree rewrite, deparse).
 * Nothing here knows about sockets, shards or types on the wire; the
 * types of the columns are learnt by the merge (proxy/merge_*.c) from the
 * shards' RowDescription.
 *
 * Three ways to merge:
 * - CONCAT:  rows of every shard are relayed as they arrive (no ORDER BY,
 *            no aggregate, no DISTINCT); LIMIT/OFFSET counted by the proxy.
 * - SORTED:  every shard sorts; the proxy merges the sorted streams (k-way,
 *            heap) on the sort keys; LIMIT/OFFSET applied by the proxy.
 * - GROUPED: aggregates, GROUP BY or DISTINCT: each shard returns partial
 *            aggregates per group; the proxy folds them (memory grows with
 *            the number of groups, not rows), then applies HAVING, ORDER BY
 *            and LIMIT/OFFSET over the merged groups.
 *
 * Everything in a plan is owned by it (sql_merge_plan_free). */
#ifndef SG_SQL_MERGE_PLAN_H
#define SG_SQL_MERGE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sql_merge_mode {
	SQL_MERGE_CONCAT = 0,
	SQL_MERGE_SORTED,
	SQL_MERGE_GROUPED,
} sql_merge_mode_t;

/* How one merged column (GROUPED mode) comes from the shard columns. */
typedef enum sql_agg_kind {
	SQL_AGG_NONE = 0,       /* group key (a GROUP BY expression, or a non-aggregate output
	                           column of a grouped query): the shard's value, unchanged */
	SQL_AGG_COUNT,          /* count(*), count(x): shard column src is int8; summed */
	SQL_AGG_SUM,            /* sum(x): shard column src has sum's result type; summed */
	SQL_AGG_MIN,            /* min(x): the least of the shards' values (typed compare) */
	SQL_AGG_MAX,            /* max(x) */
	SQL_AGG_AVG,            /* avg(x): shard sends sum(x) at src and count(x) at src2;
	                           result sum/count with avg's type (numeric for integer and
	                           numeric x, float8 for float4/float8 x) */
	SQL_AGG_BOOL_AND,       /* bool_and(x) / every(x) */
	SQL_AGG_BOOL_OR,        /* bool_or(x) */
	SQL_AGG_COUNT_DISTINCT, /* count(DISTINCT x): x is shard column src and is added to the
	                           shards' GROUP BY; the proxy counts the distinct non-NULL x
	                           per group across shards */
	SQL_AGG_FINAL,          /* an expression over aggregates and group keys
	                           (round(avg(x), 2), sum(x) / count(*), min(t)::date,
	                           coalesce(sum(x), 0)): not from a shard column (src -1); its
	                           value is output column `final` of plan->final_sql, which
	                           PostgreSQL itself evaluates once per merged group with the
	                           merged values as parameters (see final_sql) */
} sql_agg_kind_t;

typedef struct sql_merge_col {
	sql_agg_kind_t agg;
	int src;  /* shard column index, 0-based, in the shard statement's output */
	int src2; /* SQL_AGG_AVG: the count(x) column; otherwise -1 */
	/* The name the client sees for this column (what PostgreSQL would
	 * call it: the alias, a column's name, an aggregate's function name,
	 * "?column?"). Owned. For SQL_AGG_NONE/MIN/MAX/SUM/COUNT the shard
	 * statement already names src so; for AVG the merge uses this. */
	char *name;
	int final; /* SQL_AGG_FINAL: its column in final_sql's output; otherwise -1 */
} sql_merge_col_t;

/* A sort key. In SORTED mode `col` indexes the shard statement's output:
 * col >= 0 is a visible column (0-based), col < 0 is the hidden column
 * -(col + 1) counted from the first hidden one (the visible count is only
 * known from the RowDescription when the list has a `*`). In GROUPED
 * mode `col` indexes plan->cols (visible or hidden merged columns). */
typedef struct sql_sort_key {
	int col;
	bool desc;
	bool nulls_first;   /* resolved: PostgreSQL's default is NULLS LAST for ASC, FIRST for DESC */
	char collation[64]; /* an explicit COLLATE name as written, "" for the column's own */
} sql_sort_key_t;

typedef enum sql_cmp_op {
	SQL_CMP_EQ = 0,
	SQL_CMP_NE,
	SQL_CMP_LT,
	SQL_CMP_LE,
	SQL_CMP_GT,
	SQL_CMP_GE,
} sql_cmp_op_t;

typedef enum sql_having_op {
	SQL_HV_AND = 0, /* left AND right */
	SQL_HV_OR,      /* left OR right */
	SQL_HV_NOT,     /* NOT left */
	SQL_HV_CMP,     /* merged column `col` <cmp> (constant, or merged column col2 if col2 >= 0) */
	SQL_HV_ISNULL,  /* col IS NULL */
	SQL_HV_NOTNULL, /* col IS NOT NULL */
} sql_having_op_t;

/* HAVING, evaluated by the proxy over merged groups with SQL's three-valued
 * logic (a comparison with NULL is unknown; the group is kept only when the
 * whole condition is true). The planner accepts only what this can express
 * (aggregates and group keys compared with constants or with each other,
 * AND/OR/NOT, IS [NOT] NULL); anything else in HAVING is refused. */
typedef struct sql_having {
	sql_having_op_t op;
	sql_cmp_op_t cmp;
	int col, col2;  /* indexes into plan->cols; col2 -1 when comparing with `constant` */
	char *constant; /* owned: the constant as text (e.g. "10", "2.5", "europe"); NULL = SQL NULL */
	int param;      /* > 0: the constant is Bind parameter $param (the engine fills `constant`
	                   from the Bind before the merge; the shard statement need not name it) */
	struct sql_having *left, *right; /* owned */
} sql_having_t;

typedef struct sql_merge_plan {
	sql_merge_mode_t mode;
	char *shard_sql; /* owned: the statement every shard runs ($n parameters kept as they are) */

	/* CONCAT/SORTED: the shard statement's output is the client's columns
	 * followed by `nhidden` hidden columns (sort expressions that are not
	 * output columns), which the client never sees. */
	int nhidden;

	/* GROUPED: one entry per merged column, the client's `nvisible`
	 * columns first (in the client's order), then hidden ones (aggregates
	 * and group keys that HAVING or ORDER BY use but the output does not).
	 * SELECT DISTINCT is GROUPED with every visible column a group key. */
	sql_merge_col_t *cols;
	int ncols;
	int nvisible;
	int nshard_cols; /* GROUPED: columns in the shard statement's output */

	/* GROUPED with SQL_AGG_FINAL columns: one statement, run on one shard
	 * after the merge (and after HAVING), once per surviving group, with
	 * parameter $k (1-based) = merged column final_params[k-1] of that
	 * group (an aggregate or a group key, usually hidden). Its output
	 * columns are the FINAL columns' values, each already aliased with the
	 * name the client must see ("round", "?column?", "min", the alias).
	 * Example: SELECT region, round(avg(qty), 2) FROM t GROUP BY region
	 *   cols: 0 region (NONE), 1 FINAL final=0, 2 hidden AVG(qty)
	 *   final_sql: SELECT round($1, 2) AS round   final_params: {2}
	 * (names are quoted only where SQL needs it: AS "?column?")
	 * The parameters' types are the merged columns' types (the merge
	 * knows them; the statement is parsed with them). NULL when the plan
	 * has no FINAL column. */
	char *final_sql;
	int *final_params;
	int nfinal_params;
	int nfinal; /* output columns of final_sql */

	sql_sort_key_t *keys;
	int nkeys;
	sql_having_t *having; /* GROUPED only; NULL: none */

	/* LIMIT/OFFSET of the original statement (the shards get LIMIT
	 * limit+offset and no OFFSET in CONCAT/SORTED mode; none in GROUPED). */
	int64_t limit;    /* -1: no LIMIT (or LIMIT ALL / LIMIT NULL) */
	int64_t offset;   /* 0: none */
	int limit_param;  /* >0: LIMIT $n, the value comes from Bind parameter n (1-based); the
	                     shard statement then says LIMIT $n + offset as written */
	int offset_param; /* >0: OFFSET $n likewise */
} sql_merge_plan_t;

/* Builds the plan for `sql`, one SELECT statement (it has already been
 * analysed and routed to several shards). Returns 0, SG_ENOMEM, or
 * SG_ENOTSUP with `err` naming the construct that cannot be merged
 * correctly (the caller answers SQLSTATE 0A000 with it), for example:
 * "window functions", "percentile_cont", "array_agg", "string_agg",
 * "FOR UPDATE", "a subquery in an expression over aggregates", "INTERSECT",
 * "a subquery with aggregates, DISTINCT or LIMIT in FROM", "count(DISTINCT)
 * of several columns", "HAVING with <construct>". */
int sql_merge_plan_build(const char *sql, sql_merge_plan_t **out, char *err, size_t errlen);
void sql_merge_plan_free(sql_merge_plan_t *p);

#endif
