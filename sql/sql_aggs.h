/* sql_aggs.h — PostgreSQL's built-in aggregates, named once for the
 * analyzer (analyze_query.c: does a statement aggregate?) and the merge
 * planner (merge_plan_tree.c: which aggregates can be merged from the
 * shards' partial results?).
 *
 * Names are matched exactly (the parser has already folded unquoted
 * names to lower case); callers decide whether a qualified name means
 * the built-in. */
#ifndef SG_SQL_AGGS_H
#define SG_SQL_AGGS_H

#include <stdbool.h>

#include "merge_plan.h"

/* Known to the merge planner only: rank, dense_rank, percent_rank and
 * cume_dist are aggregates only WITHIN GROUP (which the analyzer sees by
 * the syntax), any_value, json_objectagg and json_arrayagg are newer than
 * the analyzer's list. */
#define SQL_AGGS_PLANNER_ONLY 1u

typedef struct sql_agg_def {
	const char *name;
	sql_agg_kind_t kind; /* what the merge makes of it; SQL_AGG_NONE: it cannot be merged */
	unsigned flags;      /* SQL_AGGS_* */
} sql_agg_def_t;

/* The built-in aggregate called name, or NULL. */
const sql_agg_def_t *sql_agg_find(const char *name);
/* Whether a call by this name is an aggregate even without aggregate
 * syntax (DISTINCT, ORDER BY, FILTER, WITHIN GROUP, *): the analyzer's set. */
bool sql_agg_is_plain(const char *name);
/* Whether the merge can combine the shards' partial results of name;
 * if so *kind says how. */
bool sql_agg_is_mergeable(const char *name, sql_agg_kind_t *kind);

#endif
