/* analyze_cons.c — constraints on the sharding column of each reference.
 *
 * A query level's WHERE, and the ON conditions of the joins that filter
 * a reference (both sides of an inner join; only the nullable side of
 * an outer join, whose preserved side keeps every row), are read as
 * conjunctions. Each conjunct that compares the reference's sharding
 * column with a constant narrows it; a conjunct we do not understand is
 * skipped, which only widens the answer. Under OR, every branch must give
 * equality on the column (the values are united), else nothing is known;
 * under NOT nothing is known. Equal sharding columns (a.k = b.k in WHERE
 * or an inner join) share their constraints.
 *
 * When two constraints cannot be combined exactly (a text value against
 * a parameter, a now()-relative bound against an absolute one), one of
 * them is kept: the more precise, or the first. Both are true, so either
 * is a correct answer. */
#include <string.h>

#include "analyze_int.h"
#include "errors.h"

#define CONS_MAX_DEPTH 200

typedef enum cmp_op {
	OP_EQ,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_OTHER,
} cmp_op_t;

static cmp_op_t op_of(PgQuery__Node *const *name, size_t n)
{
	static const struct {
		const char *s;
		cmp_op_t op;
	} ops[] = {{"=", OP_EQ}, {"<", OP_LT}, {"<=", OP_LE}, {">", OP_GT}, {">=", OP_GE}};
	const PgQuery__Node *last;
	size_t i;

	/* "=" or OPERATOR(pg_catalog.=) */
	if (n == 0 || n > 2)
		return OP_OTHER;
	if (n == 2 && (name[0]->node_case != PG_QUERY__NODE__NODE_STRING ||
	               strcmp(name[0]->string->sval, "pg_catalog") != 0))
		return OP_OTHER;
	last = name[n - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return OP_OTHER;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(last->string->sval, ops[i].s) == 0)
			return ops[i].op;
	return OP_OTHER;
}

static cmp_op_t op_flip(cmp_op_t op)
{
	switch (op) {
	case OP_LT:
		return OP_GT;
	case OP_LE:
		return OP_GE;
	case OP_GT:
		return OP_LT;
	case OP_GE:
		return OP_LE;
	default:
		return op;
	}
}

int sqa_level_resolve(const sqa_level_t *l, const PgQuery__ColumnRef *cr, const char **col)
{
	const char *q = NULL, *schema = NULL;
	int found = -1;
	size_t i;

	if (cr->n_fields == 0)
		return -1;
	for (i = 0; i < cr->n_fields; i++)
		if (cr->fields[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return -1; /* t.* */
	*col = cr->fields[cr->n_fields - 1]->string->sval;
	switch (cr->n_fields) {
	case 1:
		/* unqualified: only when nothing else in this level could own it */
		return l->nitems == 1 && l->items[0].ref >= 0 ? 0 : -1;
	case 2:
		q = cr->fields[0]->string->sval;
		break;
	case 3:
		schema = cr->fields[0]->string->sval;
		q = cr->fields[1]->string->sval;
		break;
	default:
		return -1;
	}
	for (i = 0; i < l->nitems; i++) {
		const sqa_item_t *it = &l->items[i];
		if (it->name == NULL || strcmp(it->name, q) != 0)
			continue;
		if (schema != NULL &&
		    (it->rv == NULL || it->rv->alias != NULL || strcmp(it->rv->schemaname, schema) != 0))
			continue;
		if (found >= 0)
			return -1;
		found = (int)i;
	}
	return found;
}

static bool is_key_col(const sqa_ctx_t *c, const sqa_level_t *l, size_t idx, const PgQuery__Node *n)
{
	const char *col, *key;
	int r;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	if (sqa_level_resolve(l, n->column_ref, &col) != (int)idx)
		return false;
	r = l->items[idx].ref;
	key = r >= 0 ? c->specs[c->refs[r].table].column : NULL;
	return key != NULL && strcmp(col, key) == 0;
}

/* ---- values ---- */

static bool usable(const sqa_val_t *v)
{
	return v->kind != SQA_NONE && v->kind != SQA_NULL && v->kind != SQA_INTERVAL && !v->is_array;
}

static bool exact(const sqa_val_t *v)
{
	return usable(v) && v->ts_lo == v->ts_hi;
}

static bool same_cast(const sqa_val_t *a, const sqa_val_t *b)
{
	return (a->cast == NULL && b->cast == NULL) || (a->cast && b->cast && strcmp(a->cast, b->cast) == 0);
}

static bool plain_text(const sqa_val_t *v)
{
	return v->cast == NULL || strcmp(v->cast, "text") == 0 || strcmp(v->cast, "varchar") == 0;
}

static int64_t date_rel_us(const sqa_val_t *v)
{
	return (int64_t)v->days * SQA_US_PER_DAY + v->ts_lo;
}

/* 1: surely the same value, 0: surely different, -1: cannot tell. */
static int val_same(const sqa_val_t *a, const sqa_val_t *b)
{
	if (a->kind != b->kind)
		return -1;
	switch (a->kind) {
	case SQA_INT:
		return a->i == b->i;
	case SQA_TEXT:
		if (plain_text(a) && plain_text(b))
			return strcmp(a->text, b->text) == 0;
		/* other types: uuid 'A..' = 'a..', numeric 1.0 = 1.00 */
		/* fall through */
	case SQA_NUM:
		return strcmp(a->text, b->text) == 0 && same_cast(a, b) ? 1 : -1;
	case SQA_PARAM:
		return a->param == b->param && same_cast(a, b) ? 1 : -1;
	case SQA_TS:
	case SQA_NOW_REL:
		return a->ts_lo == b->ts_lo;
	case SQA_DATE_REL:
		return date_rel_us(a) == date_rel_us(b);
	default:
		return -1;
	}
}

/* Orders two values when their order is known; false otherwise. */
static bool val_order(const sqa_val_t *a, const sqa_val_t *b, int *res)
{
	int64_t x, y;

	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case SQA_INT:
		x = a->i, y = b->i;
		break;
	case SQA_TS:
	case SQA_NOW_REL:
		x = a->ts_lo, y = b->ts_lo;
		break;
	case SQA_DATE_REL:
		x = date_rel_us(a), y = date_rel_us(b);
		break;
	default:
		return false;
	}
	*res = (x > y) - (x < y);
	return true;
}

/* ---- building constraints ---- */

static void cons_none(sqa_cons_t *k)
{
	memset(k, 0, sizeof(*k));
	k->kind = SQLC_NONE;
}

/* Beyond this many values, duplicates are kept (they cost the router
 * nothing) rather than searched for. */
#define EQ_DEDUP_MAX 64

/* Appends v unless an equal value is already there (capacity checked by
 * the caller). */
static void eq_push(sqa_cons_t *k, const sqa_val_t *v)
{
	size_t i;

	for (i = 0; k->n <= EQ_DEDUP_MAX && i < k->n; i++)
		if (val_same(&k->vals[i], v) == 1)
			return;
	k->vals[k->n++] = *v;
}

static int cons_eq(sqa_ctx_t *c, sqa_cons_t *k, const sqa_val_t *v, size_t n)
{
	size_t i;

	cons_none(k);
	k->vals = sqa_alloc(c, (n + 1) * sizeof(*k->vals));
	if (k->vals == NULL)
		return SG_ENOMEM;
	k->cap = n + 1;
	k->kind = SQLC_EQ;
	for (i = 0; i < n; i++)
		eq_push(k, &v[i]);
	return 0;
}

/* A bound from a value that may be a range (now() - 1 month): the loose
 * end of it is taken, so the bound never excludes a matching row. */
static void cons_bound(sqa_cons_t *k, cmp_op_t op, const sqa_val_t *v)
{
	sqa_val_t b = *v;

	cons_none(k);
	k->kind = SQLC_RANGE;
	if (op == OP_GT || op == OP_GE) {
		b.ts_hi = b.ts_lo;
		k->has_lo = true;
		k->lo_incl = op == OP_GE;
		k->lo = b;
	} else {
		b.ts_lo = b.ts_hi;
		k->has_hi = true;
		k->hi_incl = op == OP_LE;
		k->hi = b;
	}
}

static int atom_compare(sqa_ctx_t *c, const sqa_level_t *l, size_t idx, const PgQuery__AExpr *e, cmp_op_t op,
                        sqa_cons_t *out)
{
	const PgQuery__Node *other;
	sqa_val_t v;

	if (is_key_col(c, l, idx, e->lexpr)) {
		other = e->rexpr;
	} else if (is_key_col(c, l, idx, e->rexpr)) {
		other = e->lexpr;
		op = op_flip(op);
	} else {
		return 0;
	}
	sqa_eval(c, other, &v);
	if (op == OP_EQ)
		return exact(&v) ? cons_eq(c, out, &v, 1) : 0;
	if (usable(&v))
		cons_bound(out, op, &v);
	return 0;
}

static int atom_in(sqa_ctx_t *c, const PgQuery__AExpr *e, sqa_cons_t *out)
{
	const PgQuery__List *list;
	sqa_val_t *v;
	size_t i, n = 0;

	if (e->rexpr == NULL || e->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
		return 0;
	list = e->rexpr->list;
	v = sqa_alloc(c, (list->n_items + 1) * sizeof(*v));
	if (v == NULL)
		return SG_ENOMEM;
	for (i = 0; i < list->n_items; i++) {
		sqa_eval(c, list->items[i], &v[n]);
		if (v[n].kind == SQA_NULL)
			continue; /* x IN (1, NULL) never matches the NULL */
		if (!exact(&v[n]))
			return 0;
		n++;
	}
	return cons_eq(c, out, v, n);
}

static int atom_any(sqa_ctx_t *c, const PgQuery__AExpr *e, sqa_cons_t *out)
{
	sqa_val_t v, *vals;
	size_t n, i;
	bool ok;

	sqa_eval(c, e->rexpr, &v);
	if (v.kind == SQA_PARAM) {
		int rc = cons_eq(c, out, &v, 1);
		out->kind = SQLC_EQ_ANY_PARAM;
		return rc;
	}
	sqa_eval_array(c, e->rexpr, &vals, &n, &ok);
	if (!ok)
		return 0;
	for (i = 0; i < n; i++)
		if (!exact(&vals[i]))
			return 0;
	return cons_eq(c, out, vals, n);
}

static int atom_between(sqa_ctx_t *c, const PgQuery__AExpr *e, sqa_cons_t *out)
{
	const PgQuery__List *list;
	sqa_val_t a, b;

	if (e->rexpr == NULL || e->rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
	    e->rexpr->list->n_items != 2)
		return 0;
	list = e->rexpr->list;
	sqa_eval(c, list->items[0], &a);
	sqa_eval(c, list->items[1], &b);
	if (!usable(&a) || !usable(&b))
		return 0;
	cons_bound(out, OP_GE, &a);
	out->has_hi = true;
	out->hi_incl = true;
	out->hi = b;
	out->hi.ts_lo = out->hi.ts_hi;
	return 0;
}

static int cons_atom(sqa_ctx_t *c, const sqa_level_t *l, size_t idx, const PgQuery__AExpr *e, sqa_cons_t *out)
{
	cmp_op_t op = op_of(e->name, e->n_name);

	switch (e->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		return op == OP_OTHER ? 0 : atom_compare(c, l, idx, e, op, out);
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
		return op == OP_EQ ? atom_compare(c, l, idx, e, op, out) : 0;
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
		return op == OP_EQ && is_key_col(c, l, idx, e->lexpr) ? atom_in(c, e, out) : 0;
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
		return op == OP_EQ && is_key_col(c, l, idx, e->lexpr) ? atom_any(c, e, out) : 0;
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
		return is_key_col(c, l, idx, e->lexpr) ? atom_between(c, e, out) : 0;
	default:
		return 0;
	}
}

/* ---- combining ---- */

static bool in_range(const sqa_val_t *v, const sqa_cons_t *r)
{
	int o;

	if (r->has_lo && val_order(v, &r->lo, &o) && (o < 0 || (o == 0 && !r->lo_incl)))
		return false;
	if (r->has_hi && val_order(v, &r->hi, &o) && (o > 0 || (o == 0 && !r->hi_incl)))
		return false;
	return true;
}

static void eq_filter(sqa_cons_t *eq, const sqa_cons_t *range)
{
	size_t i, k = 0;

	for (i = 0; i < eq->n; i++)
		if (in_range(&eq->vals[i], range))
			eq->vals[k++] = eq->vals[i];
	eq->n = k;
}

static void eq_intersect(sqa_cons_t *a, const sqa_cons_t *b)
{
	size_t i, j, k = 0;
	bool keep;

	if (a->n * b->n > 100000)
		goto undecided; /* huge lists: not worth the quadratic pass */
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (val_same(&a->vals[i], &b->vals[j]) < 0)
				goto undecided;
	for (i = 0; i < a->n; i++) {
		keep = false;
		for (j = 0; j < b->n; j++)
			keep = keep || val_same(&a->vals[i], &b->vals[j]) == 1;
		if (keep)
			a->vals[k++] = a->vals[i];
	}
	a->n = k;
	return;
undecided:
	if (b->n < a->n)
		*a = *b;
}

static void bound_tighten(bool *has, bool *incl, sqa_val_t *cur, bool nhas, bool nincl, const sqa_val_t *nv,
                          int sign)
{
	int o;

	if (!nhas)
		return;
	if (!*has) {
		*has = true;
		*incl = nincl;
		*cur = *nv;
		return;
	}
	if (!val_order(nv, cur, &o))
		return;
	if (o * sign > 0) {
		*incl = nincl;
		*cur = *nv;
	} else if (o == 0) {
		*incl = *incl && nincl;
	}
}

/* Gives `k` its own copy of its values before they are changed in
 * place (constraints share arrays when copied by value). */
static int eq_own(sqa_ctx_t *c, sqa_cons_t *k)
{
	sqa_val_t *v = sqa_alloc(c, (k->n + 1) * sizeof(*v));

	if (v == NULL)
		return SG_ENOMEM;
	memcpy(v, k->vals, k->n * sizeof(*v));
	k->vals = v;
	k->cap = k->n + 1;
	return 0;
}

/* a := a AND b */
static int cons_and(sqa_ctx_t *c, sqa_cons_t *a, const sqa_cons_t *b)
{
	sqa_cons_t range;

	if (b->kind == SQLC_NONE)
		return 0;
	if (a->kind == SQLC_NONE) {
		*a = *b;
		return 0;
	}
	if (a->kind == SQLC_RANGE && b->kind == SQLC_RANGE) {
		bound_tighten(&a->has_lo, &a->lo_incl, &a->lo, b->has_lo, b->lo_incl, &b->lo, 1);
		bound_tighten(&a->has_hi, &a->hi_incl, &a->hi, b->has_hi, b->hi_incl, &b->hi, -1);
		return 0;
	}
	if (a->kind == SQLC_EQ && (b->kind == SQLC_EQ || b->kind == SQLC_RANGE)) {
		if (eq_own(c, a) != 0)
			return SG_ENOMEM;
		if (b->kind == SQLC_EQ)
			eq_intersect(a, b);
		else
			eq_filter(a, b);
		return 0;
	}
	if (a->kind == SQLC_RANGE && b->kind == SQLC_EQ) {
		range = *a;
		*a = *b;
		if (eq_own(c, a) != 0)
			return SG_ENOMEM;
		eq_filter(a, &range);
		return 0;
	}
	/* = ANY($n): less precise than known values, more than a range */
	if (b->kind == SQLC_EQ || (a->kind == SQLC_RANGE && b->kind == SQLC_EQ_ANY_PARAM))
		*a = *b;
	return 0;
}

/* a := a OR b: only equality lists unite. `a` is an OR's accumulator:
 * its array is its own after the first union, and grows by doubling (a
 * chain of 5000 ORs stays linear). */
static int cons_or(sqa_ctx_t *c, sqa_cons_t *a, const sqa_cons_t *b, bool first)
{
	sqa_val_t *v;
	size_t i, cap;

	if (a->kind != SQLC_EQ || b->kind != SQLC_EQ) {
		cons_none(a);
		return 0;
	}
	if (first || a->n + b->n > a->cap) {
		cap = a->cap * 2 > a->n + b->n ? a->cap * 2 : a->n + b->n + 1;
		v = sqa_alloc(c, cap * sizeof(*v));
		if (v == NULL)
			return SG_ENOMEM;
		memcpy(v, a->vals, a->n * sizeof(*v));
		a->vals = v;
		a->cap = cap;
	}
	for (i = 0; i < b->n; i++)
		eq_push(a, &b->vals[i]);
	return 0;
}

static int cons_expr(sqa_ctx_t *c, const sqa_level_t *l, size_t idx, const PgQuery__Node *n, int depth,
                     sqa_cons_t *out)
{
	const PgQuery__BoolExpr *b;
	sqa_cons_t t;
	size_t i;
	int rc;

	cons_none(out);
	if (n == NULL || depth > CONS_MAX_DEPTH)
		return 0;
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR)
		return cons_atom(c, l, idx, n->a_expr, out);
	if (n->node_case != PG_QUERY__NODE__NODE_BOOL_EXPR)
		return 0;
	b = n->bool_expr;
	if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (i = 0; i < b->n_args; i++) {
			rc = cons_expr(c, l, idx, b->args[i], depth + 1, &t);
			if (rc == 0)
				rc = cons_and(c, out, &t);
			if (rc != 0)
				return rc;
		}
	} else if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR && b->n_args > 0) {
		rc = cons_expr(c, l, idx, b->args[0], depth + 1, out);
		for (i = 1; rc == 0 && i < b->n_args && out->kind == SQLC_EQ; i++) {
			rc = cons_expr(c, l, idx, b->args[i], depth + 1, &t);
			if (rc == 0)
				rc = cons_or(c, out, &t, i == 1);
		}
		if (out->kind != SQLC_EQ)
			cons_none(out);
		return rc;
	}
	return 0;
}

/* ---- equal sharding columns ---- */

static int uf_root(int *parent, int i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/* Joins items whose sharding columns a top-level conjunct equates. */
static void equate(sqa_ctx_t *c, const sqa_level_t *l, const sqa_qual_t *q, const PgQuery__Node *n,
                   int *parent, int depth)
{
	const PgQuery__AExpr *e;
	const char *col;
	int a, b;
	size_t i;

	if (n == NULL || depth > CONS_MAX_DEPTH)
		return;
	if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (i = 0; i < n->bool_expr->n_args; i++)
			equate(c, l, q, n->bool_expr->args[i], parent, depth + 1);
		return;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return;
	e = n->a_expr;
	if ((e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
	     e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT) ||
	    op_of(e->name, e->n_name) != OP_EQ || e->lexpr == NULL || e->rexpr == NULL ||
	    e->lexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
	    e->rexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return;
	a = sqa_level_resolve(l, e->lexpr->column_ref, &col);
	b = sqa_level_resolve(l, e->rexpr->column_ref, &col);
	if (a < 0 || b < 0 || a == b || (size_t)a < q->lo || (size_t)a >= q->hi || (size_t)b < q->lo ||
	    (size_t)b >= q->hi || !is_key_col(c, l, (size_t)a, e->lexpr) ||
	    !is_key_col(c, l, (size_t)b, e->rexpr))
		return;
	parent[uf_root(parent, a)] = uf_root(parent, b);
}

static int share_equal(sqa_ctx_t *c, const sqa_level_t *l)
{
	int *parent = sqa_alloc(c, (l->nitems + 1) * sizeof(int));
	size_t i, j;
	sqa_cons_t acc;
	int rc;

	if (parent == NULL)
		return SG_ENOMEM;
	for (i = 0; i < l->nitems; i++)
		parent[i] = (int)i;
	for (i = 0; i < l->nquals; i++)
		equate(c, l, &l->quals[i], l->quals[i].expr, parent, 0);
	for (i = 0; i < l->nitems; i++) {
		if (uf_root(parent, (int)i) != (int)i)
			continue;
		cons_none(&acc);
		for (j = 0; j < l->nitems; j++)
			if (uf_root(parent, (int)j) == (int)i && l->items[j].ref >= 0) {
				rc = cons_and(c, &acc, &c->refs[l->items[j].ref].cons);
				if (rc != 0)
					return rc;
			}
		for (j = 0; j < l->nitems; j++)
			if (uf_root(parent, (int)j) == (int)i && l->items[j].ref >= 0)
				c->refs[l->items[j].ref].cons = acc;
	}
	return 0;
}

int sqa_level_finish(sqa_ctx_t *c, const sqa_level_t *l)
{
	sqa_cons_t acc, t;
	size_t i, q;
	int r, rc;

	for (i = 0; i < l->nitems; i++) {
		r = l->items[i].ref;
		if (r < 0 || c->specs[c->refs[r].table].column == NULL)
			continue;
		cons_none(&acc);
		for (q = 0; q < l->nquals; q++) {
			if (i < l->quals[q].lo || i >= l->quals[q].hi)
				continue;
			rc = cons_expr(c, l, i, l->quals[q].expr, 0, &t);
			if (rc == 0)
				rc = cons_and(c, &acc, &t);
			if (rc != 0)
				return rc;
		}
		c->refs[r].cons = acc;
	}
	return l->nquals > 0 ? share_equal(c, l) : 0;
}
