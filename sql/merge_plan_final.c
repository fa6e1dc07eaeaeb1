/* merge_plan_final.c — expressions over aggregates in GROUPED plans
 * (SQL_AGG_FINAL): round(avg(x), 2), sum(a) / count(*), min(t)::date.
 *
 * The shards cannot compute them (their aggregates are partial), so each
 * aggregate call inside one becomes a merged column of its own (hidden
 * unless it is also a target), each group key inside it a reference to
 * the group key's merged column, and the expression itself a column of
 * plan->final_sql with those merged columns as parameters $n: PostgreSQL
 * evaluates it once per merged group, with its own operators, functions
 * and casts, so the value is the one it would give on one database. */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "merge_plan_int.h"

/* The $n for merged column col (one per column for the statement). */
static int param_of(mp_ctx_t *c, int col)
{
	int k, rc;

	for (k = 0; k < c->nfparams; k++)
		if (c->fparams[k] == col)
			return k + 1;
	rc = mp_grow(c, (void **)&c->fparams, c->nfparams, &c->fpcap, sizeof(*c->fparams));
	if (rc != 0)
		return rc;
	c->fparams[c->nfparams++] = col;
	return c->nfparams;
}

/* A column reference's last name and its number of fields, or NULL. */
static const char *colref_name(const PgQuery__Node *n, size_t *nfields)
{
	const PgQuery__ColumnRef *r;
	const PgQuery__Node *last;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields == 0)
		return NULL;
	r = n->column_ref;
	last = r->fields[r->n_fields - 1];
	*nfields = r->n_fields;
	return last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
}

/* Two column references to the same column: equal, or one unqualified
 * with the other's last name (an unqualified name that is not ambiguous
 * is the only FROM item's column of that name, which PostgreSQL would
 * refuse otherwise). */
static bool same_column(const PgQuery__Node *a, const PgQuery__Node *b)
{
	size_t na, nb;
	const char *x = colref_name(a, &na), *y = colref_name(b, &nb);

	return x != NULL && y != NULL && (na == 1 || nb == 1) && strcmp(x, y) == 0;
}

/* The group key merged column n is, or -1. */
static int key_of(mp_ctx_t *c, const PgQuery__Node *n)
{
	int i;

	for (i = 0; i < c->ng; i++)
		if (c->g[i].agg == SQL_AGG_NONE && mp_node_equal(c->g[i].expr, n))
			return i;
	for (i = 0; i < c->ng; i++)
		if (c->g[i].agg == SQL_AGG_NONE && same_column(c->g[i].expr, n))
			return i;
	return -1;
}

static int final_visit(void *arg, const ProtobufCMessage *m, ProtobufCMessage **repl)
{
	mp_ctx_t *c = arg;
	PgQuery__Node *n;
	int col;

	if (m->descriptor != &pg_query__node__descriptor)
		return 0;
	n = (PgQuery__Node *)m;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return mp_refuse(c, "a subquery in an expression over aggregates");
	case PG_QUERY__NODE__NODE_PARAM_REF:
		/* its type would be inferred from another context in final_sql */
		return mp_refuse(c, "a parameter in an expression over aggregates");
	case PG_QUERY__NODE__NODE_A_CONST:
		return 0;
	default:
		break;
	}
	if (mp_as_agg(n) != NULL) {
		col = mp_gcol_find(c, n, MP_FIND_ADD);
	} else if ((col = key_of(c, n)) == -1) {
		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
			return mp_refuse(c, "a column that is not grouped");
		return 0;
	}
	if (col >= 0)
		col = param_of(c, col);
	if (col < 0)
		return col;
	*repl = (ProtobufCMessage *)mp_param(c, col);
	return *repl != NULL ? 1 : SG_ENOMEM;
}

int mp_final_rewrite(mp_ctx_t *c)
{
	ProtobufCMessage *out;
	int i, rc;

	/* c->g grows while rewriting (hidden aggregates): index, never hold */
	for (i = 0; i < c->ng; i++) {
		if (c->g[i].agg != SQL_AGG_FINAL || c->g[i].final >= 0)
			continue;
		rc = mp_rewrite(c, (ProtobufCMessage *)c->g[i].expr, final_visit, c, &out);
		if (rc != 0)
			return rc;
		c->g[i].fexpr = (PgQuery__Node *)out;
		c->g[i].final = c->nfinal++;
	}
	return 0;
}

/* SELECT <E1'> AS "<name1>", ...: every column named explicitly (the
 * client's name for a visible one), so no rewrite changes its name. */
int mp_final_build(mp_ctx_t *c)
{
	sql_merge_plan_t *p = c->plan;
	PgQuery__SelectStmt s = PG_QUERY__SELECT_STMT__INIT;
	const mp_gcol_t *g;
	int i;

	if (c->nfinal == 0)
		return 0;
	s.target_list = mp_alloc(c, (size_t)c->nfinal * sizeof(*s.target_list));
	p->final_params = malloc(((size_t)c->nfparams + 1) * sizeof(*p->final_params));
	if (s.target_list == NULL || p->final_params == NULL)
		return SG_ENOMEM;
	for (i = 0; i < c->ng; i++) {
		g = &c->g[i];
		if (g->agg != SQL_AGG_FINAL)
			continue;
		s.target_list[g->final] = mp_target(
		        c, i < p->nvisible ? g->name : mp_name_num(c, "__sg_f", g->final), g->fexpr);
		if (s.target_list[g->final] == NULL)
			return SG_ENOMEM;
	}
	s.n_target_list = (size_t)c->nfinal;
	s.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	s.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	memcpy(p->final_params, c->fparams, (size_t)c->nfparams * sizeof(*p->final_params));
	p->nfinal_params = c->nfparams;
	p->nfinal = c->nfinal;
	return mp_deparse(c, &s, &p->final_sql);
}
