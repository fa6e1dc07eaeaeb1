/* merge_plan_grouped.c — GROUPED plans: aggregates, GROUP BY, DISTINCT.
 *
 * Merged columns (plan->cols) are the client's targets in order, then
 * hidden ones: GROUP BY expressions not in the output, then aggregates and
 * group expressions that expressions over aggregates (FINAL, see
 * merge_plan_final.c), HAVING and ORDER BY use. Every merged column but a
 * FINAL one has a shard column, in the same order (the client's own target
 * when it is one, so the shard names it as PostgreSQL would); AVG's
 * count(x) columns follow, one per AVG, after all of them. Shards get no
 * HAVING, ORDER BY or LIMIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "merge_plan_int.h"

/* count(DISTINCT x) FILTER (WHERE f) counts the distinct non-NULL values
 * of CASE WHEN f THEN x END; the shards group by that expression. Every
 * count(DISTINCT) of the statement must count the same one. */
static int cd_set(mp_ctx_t *c, const PgQuery__FuncCall *f)
{
	PgQuery__Node *e = f->args[0];
	PgQuery__CaseExpr *ce;
	PgQuery__CaseWhen *cw;
	PgQuery__Node **args;

	if (f->agg_filter != NULL) {
		ce = mp_alloc(c, sizeof(*ce));
		cw = mp_alloc(c, sizeof(*cw));
		args = mp_alloc(c, sizeof(*args));
		if (ce == NULL || cw == NULL || args == NULL)
			return SG_ENOMEM;
		pg_query__case_when__init(cw);
		cw->expr = f->agg_filter;
		cw->result = e;
		cw->location = -1;
		pg_query__case_expr__init(ce);
		args[0] = mp_node(c, PG_QUERY__NODE__NODE_CASE_WHEN, cw);
		ce->n_args = 1;
		ce->args = args;
		ce->location = -1;
		if (args[0] == NULL || (e = mp_node(c, PG_QUERY__NODE__NODE_CASE_EXPR, ce)) == NULL)
			return SG_ENOMEM;
	}
	if (c->cd_arg != NULL && !mp_node_equal(c->cd_arg, e))
		return mp_refuse(c, "count(DISTINCT) of several expressions");
	c->cd_arg = e;
	return 0;
}

static int gcol_add(mp_ctx_t *c, sql_agg_kind_t agg, PgQuery__Node *e, PgQuery__ResTarget *t,
                    const char *name)
{
	int rc = mp_grow(c, (void **)&c->g, c->ng, &c->gcap, sizeof(*c->g));

	if (rc != 0)
		return rc;
	c->g[c->ng].agg = agg;
	c->g[c->ng].expr = e;
	c->g[c->ng].target = t;
	c->g[c->ng].name = name;
	c->g[c->ng].fexpr = NULL;
	c->g[c->ng].final = -1;
	return c->ng++;
}

/* An aggregate call in the arguments or FILTER of f (PostgreSQL refuses
 * it; the shards would too, but say it before they run). */
static bool agg_nested(const PgQuery__FuncCall *f)
{
	size_t i;

	for (i = 0; i < f->n_args; i++)
		if (mp_has_agg(f->args[i]))
			return true;
	return mp_has_agg(f->agg_filter);
}

/* A new merged column for an expression: an aggregate call (which must
 * be mergeable), a group expression with no aggregate inside, or an
 * expression over aggregates (FINAL: rewritten by mp_final_rewrite once
 * the group keys are known). */
static int gcol_new(mp_ctx_t *c, PgQuery__Node *n, PgQuery__ResTarget *t)
{
	PgQuery__FuncCall *f = mp_as_agg(n);
	sql_agg_kind_t kind = SQL_AGG_NONE;
	int rc;

	if (f != NULL) {
		if (agg_nested(f))
			return mp_refuse(c, "an aggregate inside an aggregate");
		rc = mp_agg_kind(c, f, &kind);
		if (rc == 0 && kind == SQL_AGG_COUNT_DISTINCT)
			rc = cd_set(c, f);
		if (rc != 0)
			return rc;
	} else if (mp_has_agg(n)) {
		if (c->distinct)
			return mp_refuse(c, "SELECT DISTINCT with an expression over aggregates");
		kind = SQL_AGG_FINAL;
	}
	return gcol_add(c, kind, n, t, t != NULL ? mp_target_name(t) : mp_colname(n));
}

static const char *bare_name(const PgQuery__Node *n)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1 ||
	    n->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return n->column_ref->fields[0]->string->sval;
}

int mp_gcol_find(mp_ctx_t *c, PgQuery__Node *n, int flags)
{
	const char *name = bare_name(n);
	int i;

	/* ORDER BY: an output name first; GROUP BY: an input column first */
	for (i = 0; (flags & MP_FIND_NAME_ANY) && name != NULL && i < c->plan->nvisible; i++)
		if (strcmp(c->g[i].name, name) == 0)
			return i;
	for (i = 0; i < c->ng; i++)
		if (mp_node_equal(c->g[i].expr, n))
			return i;
	for (i = 0; (flags & MP_FIND_NAME_KEY) && name != NULL && i < c->plan->nvisible; i++)
		if (c->g[i].agg == SQL_AGG_NONE && strcmp(c->g[i].name, name) == 0)
			return i;
	return (flags & MP_FIND_ADD) ? gcol_new(c, n, NULL) : -1;
}

static bool int_const(const PgQuery__Node *n, int *v)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
		return false;
	*v = n->a_const->ival->ival;
	return true;
}

static int targets_build(mp_ctx_t *c)
{
	size_t i;
	int rc;

	for (i = 0; i < c->sel->n_target_list; i++) {
		PgQuery__ResTarget *t = c->sel->target_list[i]->res_target;
		if (mp_is_star(t))
			return mp_refuse(c, "* in a grouped query");
		rc = gcol_new(c, t->val, t);
		if (rc < 0)
			return rc;
	}
	c->plan->nvisible = c->ng;
	return 0;
}

static int group_build(mp_ctx_t *c)
{
	size_t i;
	int pos, rc;

	for (i = 0; i < c->sel->n_group_clause; i++) {
		PgQuery__Node *g = c->sel->group_clause[i];
		if (int_const(g, &pos)) {
			if (pos < 1 || pos > c->plan->nvisible)
				return mp_refuse(c, "GROUP BY position %d is not in select list", pos);
			if (c->g[pos - 1].agg != SQL_AGG_NONE)
				return mp_refuse(c, "aggregate functions are not allowed in GROUP BY");
			continue;
		}
		if (mp_has_agg(g))
			return mp_refuse(c, "aggregate functions are not allowed in GROUP BY");
		rc = mp_gcol_find(c, g, MP_FIND_ADD | MP_FIND_NAME_KEY);
		if (rc < 0)
			return rc;
	}
	/* DISTINCT over groups whose keys are all in the output is a no-op;
	 * otherwise it would need a second grouping the plan cannot express */
	if (c->distinct && c->ng > c->plan->nvisible)
		return mp_refuse(c, "SELECT DISTINCT with a GROUP BY expression not in the select list");
	return 0;
}

static int keys_build(mp_ctx_t *c)
{
	sql_merge_plan_t *p = c->plan;
	PgQuery__Node *e;
	size_t i;
	int pos, rc;

	if (c->sel->n_sort_clause == 0)
		return 0;
	p->keys = calloc(c->sel->n_sort_clause, sizeof(*p->keys));
	if (p->keys == NULL)
		return SG_ENOMEM;
	for (i = 0; i < c->sel->n_sort_clause; i++, p->nkeys++) {
		rc = mp_sort_key(c, c->sel->sort_clause[i]->sort_by, &p->keys[i], &e);
		if (rc != 0)
			return rc;
		if (int_const(e, &pos)) {
			if (pos < 1 || pos > p->nvisible)
				return mp_refuse(c, "ORDER BY position %d is not in select list", pos);
			p->keys[i].col = pos - 1;
			continue;
		}
		rc = mp_gcol_find(c, e, MP_FIND_NAME_ANY | (c->distinct ? 0 : MP_FIND_ADD));
		if (rc == -1)
			return mp_refuse(c, "ORDER BY an expression not in the SELECT DISTINCT list");
		if (rc < 0)
			return rc;
		p->keys[i].col = rc;
	}
	return 0;
}

/* Shard column i for merged column i. */
static PgQuery__Node *shard_target(mp_ctx_t *c, int i)
{
	const mp_gcol_t *g = &c->g[i];
	PgQuery__FuncCall *f = mp_as_agg(g->expr);

	switch (g->agg) {
	case SQL_AGG_AVG:
		return mp_target(c, mp_name_num(c, "__sg_c", i), mp_func_renamed(c, f, "sum"));
	case SQL_AGG_COUNT_DISTINCT:
		return mp_target(c, g->target != NULL ? g->name : mp_name_num(c, "__sg_c", i), c->cd_arg);
	default:
		if (g->target != NULL)
			return c->sel->target_list[i];
		return mp_target(c, mp_name_num(c, "__sg_c", i), g->expr);
	}
}

/* The shards' GROUP BY: the statement's, a position moved to its shard
 * column (FINAL targets have none), then the count(DISTINCT) expression. */
static int shard_group(mp_ctx_t *c, PgQuery__SelectStmt *out)
{
	const sql_merge_col_t *cols = c->plan->cols;
	size_t i;
	int pos;

	out->group_clause = mp_alloc(c, (c->sel->n_group_clause + 1) * sizeof(*out->group_clause));
	if (out->group_clause == NULL)
		return SG_ENOMEM;
	for (i = 0; i < c->sel->n_group_clause; i++) {
		out->group_clause[i] = c->sel->group_clause[i];
		/* group_build checked pos: a visible group key, so it has a shard column */
		if (int_const(out->group_clause[i], &pos) && cols[pos - 1].src != pos - 1 &&
		    (out->group_clause[i] = mp_const_int(c, cols[pos - 1].src + 1)) == NULL)
			return SG_ENOMEM;
	}
	if (c->cd_arg != NULL)
		out->group_clause[out->n_group_clause++] = c->cd_arg;
	return 0;
}

static int shard_build(mp_ctx_t *c)
{
	sql_merge_plan_t *p = c->plan;
	PgQuery__SelectStmt out = *c->sel;
	size_t n = 0, navg = 0;
	int i, rc;

	for (i = 0; i < c->ng; i++) {
		navg += c->g[i].agg == SQL_AGG_AVG;
		n += c->g[i].agg != SQL_AGG_FINAL;
	}
	out.target_list = mp_alloc(c, (n + navg + 1) * sizeof(*out.target_list));
	if (out.target_list == NULL)
		return SG_ENOMEM;
	out.n_target_list = 0;
	for (i = 0; i < c->ng; i++) {
		p->cols[i].src = p->cols[i].src2 = -1;
		if (c->g[i].agg == SQL_AGG_FINAL)
			continue;
		p->cols[i].src = (int)out.n_target_list;
		if ((out.target_list[out.n_target_list++] = shard_target(c, i)) == NULL)
			return SG_ENOMEM;
	}
	for (i = 0; i < c->ng; i++) {
		if (c->g[i].agg != SQL_AGG_AVG)
			continue;
		p->cols[i].src2 = (int)out.n_target_list;
		out.target_list[out.n_target_list] = mp_target(
		        c, mp_name_num(c, "__sg_n", i), mp_func_renamed(c, mp_as_agg(c->g[i].expr), "count"));
		if (out.target_list[out.n_target_list++] == NULL)
			return SG_ENOMEM;
	}
	p->nshard_cols = (int)out.n_target_list;
	if ((rc = shard_group(c, &out)) != 0)
		return rc;
	out.having_clause = NULL;
	out.n_sort_clause = 0;
	out.sort_clause = NULL;
	rc = mp_limit_grouped(c, &out);
	return rc != 0 ? rc : mp_deparse(c, &out, &p->shard_sql);
}

int mp_grouped_build(mp_ctx_t *c)
{
	sql_merge_plan_t *p = c->plan;
	int i, rc;

	p->mode = SQL_MERGE_GROUPED;
	c->distinct = c->sel->n_distinct_clause > 0;
	rc = targets_build(c);
	if (rc == 0)
		rc = group_build(c);
	if (rc == 0)
		rc = mp_final_rewrite(c); /* the targets' (the group keys are known) */
	if (rc == 0 && c->sel->having_clause != NULL)
		rc = mp_having_build(c, c->sel->having_clause, &p->having);
	if (rc == 0)
		rc = keys_build(c);
	if (rc == 0)
		rc = mp_final_rewrite(c); /* ORDER BY's */
	if (rc != 0)
		return rc;
	p->cols = calloc((size_t)c->ng + 1, sizeof(*p->cols));
	if (p->cols == NULL)
		return SG_ENOMEM;
	for (i = 0; i < c->ng; i++, p->ncols++) {
		p->cols[i].agg = c->g[i].agg;
		p->cols[i].final = c->g[i].final;
		if ((p->cols[i].name = strdup(c->g[i].name)) == NULL)
			return SG_ENOMEM;
	}
	rc = shard_build(c);
	return rc != 0 ? rc : mp_final_build(c);
}
