/* merge_plan_having.c — HAVING as a sql_having_t over merged columns.
 *
 * Only what the proxy can evaluate exactly as PostgreSQL would: AND, OR,
 * NOT, comparisons of aggregates and group expressions with constants or
 * with each other (BETWEEN and IN are their AND/OR of comparisons, as in
 * PostgreSQL), IS [NOT] NULL. The tree is malloc'ed: it goes to the plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "merge_plan_int.h"

void mp_having_free(sql_having_t *h)
{
	if (h == NULL)
		return;
	mp_having_free(h->left);
	mp_having_free(h->right);
	free(h->constant);
	free(h);
}

static sql_having_t *hv_new(sql_having_op_t op)
{
	sql_having_t *h = calloc(1, sizeof(*h));

	if (h != NULL) {
		h->op = op;
		h->col = h->col2 = -1;
	}
	return h;
}

/* a AND b / a OR b; takes both (freed on failure). */
static int hv_join(sql_having_op_t op, sql_having_t **acc, sql_having_t *r)
{
	sql_having_t *h;

	if (*acc == NULL) {
		*acc = r;
		return 0;
	}
	h = hv_new(op);
	if (h == NULL) {
		mp_having_free(r);
		return SG_ENOMEM;
	}
	h->left = *acc;
	h->right = r;
	*acc = h;
	return 0;
}

static int scan_visit(void *arg, const ProtobufCMessage *m, bool enter)
{
	mp_ctx_t *c = arg;

	if (!enter)
		return 0;
	if (m->descriptor == &pg_query__sub_link__descriptor ||
	    m->descriptor == &pg_query__select_stmt__descriptor)
		return mp_refuse(c, "HAVING with a subquery");
	return 0;
}

/* The constant's text (NULL text for SQL NULL), or a client parameter
 * ($n, possibly cast: *param = n); false when n is neither. */
static bool constant_of(const PgQuery__Node *n, const char **text, bool *bitstr, int *param, char buf[16])
{
	const PgQuery__AConst *k;

	while (n != NULL && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (n != NULL && n->node_case == PG_QUERY__NODE__NODE_PARAM_REF) {
		*text = NULL;
		*param = n->param_ref->number;
		return true;
	}
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return false;
	k = n->a_const;
	*text = NULL;
	*bitstr = false;
	if (k->isnull)
		return true;
	switch (k->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		snprintf(buf, 16, "%d", (int)k->ival->ival);
		*text = buf;
		break;
	case PG_QUERY__A__CONST__VAL_FVAL:
		*text = k->fval->fval;
		break;
	case PG_QUERY__A__CONST__VAL_SVAL:
		*text = k->sval->sval;
		break;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		*text = k->boolval->boolval ? "true" : "false";
		break;
	default:
		*bitstr = true;
		break;
	}
	return true;
}

/* An aggregate or a group expression: its merged column. A group
 * expression that is none of the statement's adds a hidden column only
 * when there is a GROUP BY (it is then a function of the groups). */
static int operand(mp_ctx_t *c, PgQuery__Node *n, int *col)
{
	int rc;

	if (mp_as_agg(n) == NULL && mp_has_agg(n))
		return mp_refuse(c, "HAVING with an aggregate inside an expression");
	rc = mp_gcol_find(c, n, mp_as_agg(n) != NULL || c->sel->n_group_clause > 0 ? MP_FIND_ADD : 0);
	if (rc == -1)
		return mp_refuse(c, "HAVING with an expression that is neither an aggregate nor grouped");
	if (rc < 0)
		return rc;
	*col = rc;
	return 0;
}

static int cmp_op(mp_ctx_t *c, const PgQuery__AExpr *e, sql_cmp_op_t *op)
{
	static const struct {
		const char *name;
		sql_cmp_op_t op;
	} ops[] = {{"=", SQL_CMP_EQ},  {"<>", SQL_CMP_NE}, {"!=", SQL_CMP_NE}, {"<", SQL_CMP_LT},
	           {"<=", SQL_CMP_LE}, {">", SQL_CMP_GT},  {">=", SQL_CMP_GE}};
	const PgQuery__Node *last = e->n_name > 0 ? e->name[e->n_name - 1] : NULL;
	const char *name =
	        last != NULL && last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : "?";
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(name, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	return mp_refuse(c, "HAVING with operator %s", name);
}

static sql_cmp_op_t flip(sql_cmp_op_t op)
{
	switch (op) {
	case SQL_CMP_LT:
		return SQL_CMP_GT;
	case SQL_CMP_LE:
		return SQL_CMP_GE;
	case SQL_CMP_GT:
		return SQL_CMP_LT;
	case SQL_CMP_GE:
		return SQL_CMP_LE;
	default:
		return op;
	}
}

/* l <op> r, either side a constant or an operand. */
static int hv_cmp(mp_ctx_t *c, sql_cmp_op_t op, PgQuery__Node *l, PgQuery__Node *r, sql_having_t **out)
{
	const char *text = NULL, *t2 = NULL;
	char b1[16], b2[16];
	bool lc, rc_, bits = false;
	int param = 0;
	sql_having_t *h;
	int rc;

	lc = constant_of(l, &text, &bits, &param, b1);
	rc_ = constant_of(r, &t2, &bits, &param, b2);
	if (bits)
		return mp_refuse(c, "HAVING with a bit string");
	if (lc && rc_)
		return mp_refuse(c, "HAVING with a comparison of constants");
	if (rc_)
		text = t2;
	if (lc) {
		PgQuery__Node *t = l;
		l = r;
		r = t;
		op = flip(op);
	}
	if ((h = hv_new(SQL_HV_CMP)) == NULL)
		return SG_ENOMEM;
	h->cmp = op;
	h->param = param;
	rc = operand(c, l, &h->col);
	if (rc == 0 && !(lc || rc_))
		rc = operand(c, r, &h->col2);
	else if (rc == 0 && text != NULL && (h->constant = strdup(text)) == NULL)
		rc = SG_ENOMEM;
	if (rc != 0) {
		mp_having_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

static int hv_list(mp_ctx_t *c, const PgQuery__Node *n, size_t *len, PgQuery__Node ***items)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_LIST)
		return mp_refuse(c, "HAVING with an expression");
	*len = n->list->n_items;
	*items = n->list->items;
	return 0;
}

static int hv_build(mp_ctx_t *c, PgQuery__Node *n, sql_having_t **out);

/* BETWEEN, NOT BETWEEN, IN, NOT IN: PostgreSQL's own expansions. */
static int hv_aexpr_list(mp_ctx_t *c, const PgQuery__AExpr *e, sql_having_t **out)
{
	bool between = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN ||
	               e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
	bool neg = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
	sql_having_op_t join = SQL_HV_OR;
	sql_cmp_op_t op = SQL_CMP_EQ;
	PgQuery__Node **items = NULL;
	sql_having_t *h;
	size_t n = 0, i;
	int rc;

	rc = hv_list(c, e->rexpr, &n, &items);
	if (rc != 0)
		return rc;
	if (between && n != 2)
		return mp_refuse(c, "HAVING with BETWEEN");
	if (!between && (rc = cmp_op(c, e, &op)) != 0)
		return rc;
	if (between)
		join = neg ? SQL_HV_OR : SQL_HV_AND;
	else if (op == SQL_CMP_NE)
		join = SQL_HV_AND; /* NOT IN */
	for (i = 0; i < n; i++) {
		if (between)
			op = i == 0 ? (neg ? SQL_CMP_LT : SQL_CMP_GE) : (neg ? SQL_CMP_GT : SQL_CMP_LE);
		rc = hv_cmp(c, op, e->lexpr, items[i], &h);
		if (rc == 0)
			rc = hv_join(join, out, h);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const char *aexpr_name(PgQuery__AExprKind k)
{
	switch (k) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
		return "ANY";
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
		return "ALL";
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
		return "IS DISTINCT FROM";
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
		return "IS NOT DISTINCT FROM";
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
		return "NULLIF";
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
		return "LIKE";
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		return "ILIKE";
	case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:
		return "SIMILAR TO";
	default:
		return "BETWEEN SYMMETRIC";
	}
}

static int hv_aexpr(mp_ctx_t *c, const PgQuery__AExpr *e, sql_having_t **out)
{
	sql_cmp_op_t op;
	int rc;

	switch (e->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		if (e->lexpr == NULL)
			return mp_refuse(c, "HAVING with a prefix operator");
		rc = cmp_op(c, e, &op);
		return rc != 0 ? rc : hv_cmp(c, op, e->lexpr, e->rexpr, out);
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
		rc = hv_aexpr_list(c, e, out);
		if (rc != 0) {
			mp_having_free(*out);
			*out = NULL;
		}
		return rc;
	default:
		return mp_refuse(c, "HAVING with %s", aexpr_name(e->kind));
	}
}

static int hv_bool(mp_ctx_t *c, const PgQuery__BoolExpr *b, sql_having_t **out)
{
	sql_having_op_t op = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? SQL_HV_AND : SQL_HV_OR;
	sql_having_t *h = NULL;
	size_t i;
	int rc = 0;

	if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
		if (b->n_args != 1)
			return mp_refuse(c, "HAVING with NOT");
		if ((h = hv_new(SQL_HV_NOT)) == NULL)
			return SG_ENOMEM;
		rc = hv_build(c, b->args[0], &h->left);
		*out = h;
		return rc;
	}
	for (i = 0; rc == 0 && i < b->n_args; i++) {
		sql_having_t *r = NULL;
		rc = hv_build(c, b->args[i], &r);
		if (rc == 0)
			rc = hv_join(op, &h, r);
		else
			mp_having_free(r);
	}
	if (rc != 0)
		mp_having_free(h);
	else
		*out = h;
	return rc;
}

static int hv_nulltest(mp_ctx_t *c, const PgQuery__NullTest *t, sql_having_t **out)
{
	sql_having_op_t op =
	        t->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL ? SQL_HV_ISNULL : SQL_HV_NOTNULL;
	sql_having_t *h;
	int rc;

	if ((h = hv_new(op)) == NULL)
		return SG_ENOMEM;
	rc = operand(c, t->arg, &h->col);
	if (rc != 0) {
		mp_having_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

static const char *node_what(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		return "IS TRUE/FALSE/UNKNOWN";
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return "CASE";
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return "a function call";
	case PG_QUERY__NODE__NODE_A_CONST:
		return "a constant condition";
	default:
		return "an expression";
	}
}

static int hv_build(mp_ctx_t *c, PgQuery__Node *n, sql_having_t **out)
{
	const PgQuery__FuncCall *f;
	sql_agg_kind_t kind;

	*out = NULL;
	if (n == NULL)
		return mp_refuse(c, "HAVING with an expression");
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return hv_bool(c, n->bool_expr, out);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return hv_aexpr(c, n->a_expr, out);
	case PG_QUERY__NODE__NODE_NULL_TEST:
		return hv_nulltest(c, n->null_test, out);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		/* HAVING bool_and(x): the aggregate's value is the condition */
		f = mp_as_agg(n);
		if (f == NULL || mp_agg_kind(c, f, &kind) != 0 ||
		    (kind != SQL_AGG_BOOL_AND && kind != SQL_AGG_BOOL_OR))
			break;
		/* fall through */
	case PG_QUERY__NODE__NODE_COLUMN_REF: {
		PgQuery__Node t = PG_QUERY__NODE__INIT;
		PgQuery__AConst k = PG_QUERY__A__CONST__INIT;
		PgQuery__Boolean b = PG_QUERY__BOOLEAN__INIT;
		b.boolval = true;
		k.val_case = PG_QUERY__A__CONST__VAL_BOOLVAL;
		k.boolval = &b;
		t.node_case = PG_QUERY__NODE__NODE_A_CONST;
		t.a_const = &k;
		return hv_cmp(c, SQL_CMP_EQ, n, &t, out);
	}
	default:
		break;
	}
	if (c->err != NULL && c->errlen > 0)
		c->err[0] = '\0';
	return mp_refuse(c, "HAVING with %s", node_what(n));
}

int mp_having_build(mp_ctx_t *c, PgQuery__Node *n, sql_having_t **out)
{
	int rc = mp_walk((const ProtobufCMessage *)n, scan_visit, c);

	if (rc == 0)
		rc = hv_build(c, n, out);
	if (rc != 0) {
		mp_having_free(*out);
		*out = NULL;
	}
	return rc;
}
