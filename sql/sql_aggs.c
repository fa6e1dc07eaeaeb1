/* sql_aggs.c — see sql_aggs.h. */
#include <string.h>

#include "sql_aggs.h"

#define ONLY SQL_AGGS_PLANNER_ONLY

static const sql_agg_def_t aggs[] = {
        /* mergeable */
        {"count", SQL_AGG_COUNT, 0},
        {"sum", SQL_AGG_SUM, 0},
        {"min", SQL_AGG_MIN, 0},
        {"max", SQL_AGG_MAX, 0},
        {"avg", SQL_AGG_AVG, 0},
        {"bool_and", SQL_AGG_BOOL_AND, 0},
        {"every", SQL_AGG_BOOL_AND, 0},
        {"bool_or", SQL_AGG_BOOL_OR, 0},
        /* not mergeable from partials, or the result depends on input order */
        {"array_agg", SQL_AGG_NONE, 0},
        {"string_agg", SQL_AGG_NONE, 0},
        {"json_agg", SQL_AGG_NONE, 0},
        {"jsonb_agg", SQL_AGG_NONE, 0},
        {"json_object_agg", SQL_AGG_NONE, 0},
        {"jsonb_object_agg", SQL_AGG_NONE, 0},
        {"xmlagg", SQL_AGG_NONE, 0},
        {"bit_and", SQL_AGG_NONE, 0},
        {"bit_or", SQL_AGG_NONE, 0},
        {"bit_xor", SQL_AGG_NONE, 0},
        {"stddev", SQL_AGG_NONE, 0},
        {"stddev_pop", SQL_AGG_NONE, 0},
        {"stddev_samp", SQL_AGG_NONE, 0},
        {"variance", SQL_AGG_NONE, 0},
        {"var_pop", SQL_AGG_NONE, 0},
        {"var_samp", SQL_AGG_NONE, 0},
        {"corr", SQL_AGG_NONE, 0},
        {"covar_pop", SQL_AGG_NONE, 0},
        {"covar_samp", SQL_AGG_NONE, 0},
        {"regr_avgx", SQL_AGG_NONE, 0},
        {"regr_avgy", SQL_AGG_NONE, 0},
        {"regr_count", SQL_AGG_NONE, 0},
        {"regr_intercept", SQL_AGG_NONE, 0},
        {"regr_r2", SQL_AGG_NONE, 0},
        {"regr_slope", SQL_AGG_NONE, 0},
        {"regr_sxx", SQL_AGG_NONE, 0},
        {"regr_sxy", SQL_AGG_NONE, 0},
        {"regr_syy", SQL_AGG_NONE, 0},
        {"mode", SQL_AGG_NONE, 0},
        {"percentile_cont", SQL_AGG_NONE, 0},
        {"percentile_disc", SQL_AGG_NONE, 0},
        {"range_agg", SQL_AGG_NONE, 0},
        {"range_intersect_agg", SQL_AGG_NONE, 0},
        {"rank", SQL_AGG_NONE, ONLY},
        {"dense_rank", SQL_AGG_NONE, ONLY},
        {"percent_rank", SQL_AGG_NONE, ONLY},
        {"cume_dist", SQL_AGG_NONE, ONLY},
        {"any_value", SQL_AGG_NONE, ONLY},
        {"json_objectagg", SQL_AGG_NONE, ONLY},
        {"json_arrayagg", SQL_AGG_NONE, ONLY},
};

const sql_agg_def_t *sql_agg_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (strcmp(aggs[i].name, name) == 0)
			return &aggs[i];
	return NULL;
}

bool sql_agg_is_plain(const char *name)
{
	const sql_agg_def_t *d = sql_agg_find(name);

	return d != NULL && (d->flags & SQL_AGGS_PLANNER_ONLY) == 0;
}

bool sql_agg_is_mergeable(const char *name, sql_agg_kind_t *kind)
{
	const sql_agg_def_t *d = sql_agg_find(name);

	if (d == NULL || d->kind == SQL_AGG_NONE)
		return false;
	*kind = d->kind;
	return true;
}
