/* merge_plan_tree.c — tree tools for the merge planner: the arena, a
 * generic walk and structural equality driven by protobuf-c's message
 * descriptors (so every node type is covered without a switch), node
 * builders for the shard statement, PostgreSQL's output-column naming and
 * the aggregate classes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "merge_plan_int.h"
#include "sql_aggs.h"

/* ---- arena ---- */

void *mp_alloc(mp_ctx_t *c, size_t n)
{
	return sql_arena_alloc(&c->arena, n);
}

void mp_arena_free(mp_ctx_t *c)
{
	sql_arena_free(&c->arena);
}

char *mp_strdup(mp_ctx_t *c, const char *s)
{
	return sql_arena_strndup(&c->arena, s, strlen(s));
}

char *mp_name_num(mp_ctx_t *c, const char *prefix, int i)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s%d", prefix, i);
	return mp_strdup(c, buf);
}

int mp_grow(mp_ctx_t *c, void **arr, int n, int *cap, size_t elem)
{
	void *p;
	int ncap;

	if (n < *cap)
		return 0;
	ncap = *cap > 0 ? *cap * 2 : 8;
	p = mp_alloc(c, (size_t)ncap * elem);
	if (p == NULL)
		return SG_ENOMEM;
	if (n > 0)
		memcpy(p, *arr, (size_t)n * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

int mp_refuse(mp_ctx_t *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return SG_ENOTSUP;
}

/* ---- generic walk and equality (protobuf-c descriptors) ---- */

#define FIELD(m, f, type) (*(type *)((const char *)(m) + (f)->offset))
#define QUANT(m, f, type) (*(type *)((const char *)(m) + (f)->quantifier_offset))

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return QUANT(m, f, uint32_t) == f->id;
	return true;
}

/* Calls fn for every message child of m (child j of field f; j is 0 for
 * a field that is not repeated); stops at a negative return. */
typedef int (*child_fn)(void *arg, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t j,
                        ProtobufCMessage *child);

static int children_each(const ProtobufCMessage *m, child_fn fn, void *arg)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	ProtobufCMessage *child;
	unsigned i;
	size_t j, n;
	int rc;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE || !field_present(m, f))
			continue;
		n = f->label == PROTOBUF_C_LABEL_REPEATED ? QUANT(m, f, size_t) : 1;
		for (j = 0; j < n; j++) {
			child = f->label == PROTOBUF_C_LABEL_REPEATED ? FIELD(m, f, ProtobufCMessage **)[j]
			                                              : FIELD(m, f, ProtobufCMessage *);
			if ((rc = fn(arg, m, f, j, child)) < 0)
				return rc;
		}
	}
	return 0;
}

typedef struct walk_arg {
	mp_visit_fn fn;
	void *arg;
} walk_arg_t;

static int walk_child(void *arg, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t j,
                      ProtobufCMessage *child)
{
	const walk_arg_t *w = arg;

	(void)m, (void)f, (void)j;
	return mp_walk(child, w->fn, w->arg);
}

int mp_walk(const ProtobufCMessage *m, mp_visit_fn fn, void *arg)
{
	walk_arg_t w = {fn, arg};
	int rc;

	if (m == NULL)
		return 0;
	rc = fn(arg, m, true);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if ((rc = children_each(m, walk_child, &w)) < 0)
		return rc;
	return fn(arg, m, false);
}

#define SLOT(m, f, type) (*(type *)((char *)(m) + (f)->offset))

typedef struct rewrite_arg {
	mp_ctx_t *c;
	mp_rewrite_fn fn;
	void *arg;
	ProtobufCMessage *copy; /* m's clone once a child changed */
} rewrite_arg_t;

/* Child j of field f of m becomes r in the clone of m (made on the first
 * change, with a repeated field's array cloned on its first change). */
static int rewrite_child(void *arg, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t j,
                         ProtobufCMessage *child)
{
	rewrite_arg_t *w = arg;
	ProtobufCMessage **arr, *r;
	size_t n;
	int rc = mp_rewrite(w->c, child, w->fn, w->arg, &r);

	if (rc < 0 || r == child)
		return rc;
	if (w->copy == NULL) {
		if ((w->copy = mp_alloc(w->c, m->descriptor->sizeof_message)) == NULL)
			return SG_ENOMEM;
		memcpy(w->copy, m, m->descriptor->sizeof_message);
	}
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		SLOT(w->copy, f, ProtobufCMessage *) = r;
		return 0;
	}
	arr = SLOT(w->copy, f, ProtobufCMessage **);
	if (arr == FIELD(m, f, ProtobufCMessage **)) {
		n = QUANT(m, f, size_t);
		if ((arr = mp_alloc(w->c, n * sizeof(*arr))) == NULL)
			return SG_ENOMEM;
		memcpy(arr, FIELD(m, f, ProtobufCMessage **), n * sizeof(*arr));
		SLOT(w->copy, f, ProtobufCMessage **) = arr;
	}
	arr[j] = r;
	return 0;
}

int mp_rewrite(mp_ctx_t *c, ProtobufCMessage *m, mp_rewrite_fn fn, void *arg, ProtobufCMessage **out)
{
	rewrite_arg_t w = {c, fn, arg, NULL};
	ProtobufCMessage *r = NULL;
	int rc;

	*out = m;
	if (m == NULL)
		return 0;
	rc = fn(arg, m, &r);
	if (rc != 0) {
		if (rc > 0)
			*out = r;
		return rc < 0 ? rc : 0;
	}
	if ((rc = children_each(m, rewrite_child, &w)) < 0)
		return rc;
	if (w.copy != NULL)
		*out = w.copy;
	return 0;
}

static size_t scalar_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static bool value_equal(ProtobufCType t, const void *a, const void *b)
{
	switch (t) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *x = *(char *const *)a, *y = *(char *const *)b;
		return strcmp(x != NULL ? x : "", y != NULL ? y : "") == 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return mp_equal(*(ProtobufCMessage *const *)a, *(ProtobufCMessage *const *)b);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *x = a, *y = b;
		return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
	}
	default:
		return memcmp(a, b, scalar_size(t)) == 0;
	}
}

static bool field_equal(const ProtobufCMessage *a, const ProtobufCMessage *b,
                        const ProtobufCFieldDescriptor *f)
{
	size_t j, n, sz = scalar_size(f->type);

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (QUANT(a, f, uint32_t) != QUANT(b, f, uint32_t))
			return false;
		if (QUANT(a, f, uint32_t) != f->id)
			return true;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
	           f->type != PROTOBUF_C_TYPE_STRING) {
		if (QUANT(a, f, protobuf_c_boolean) != QUANT(b, f, protobuf_c_boolean))
			return false;
	}
	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return value_equal(f->type, (const char *)a + f->offset, (const char *)b + f->offset);
	n = QUANT(a, f, size_t);
	if (n != QUANT(b, f, size_t))
		return false;
	for (j = 0; j < n; j++) {
		const char *x = FIELD(a, f, const char *) + j * sz, *y = FIELD(b, f, const char *) + j * sz;
		if (!value_equal(f->type, x, y))
			return false;
	}
	return true;
}

bool mp_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	const ProtobufCMessageDescriptor *d;
	unsigned i;

	if (a == NULL || b == NULL)
		return a == b;
	d = a->descriptor;
	if (d != b->descriptor)
		return false;
	for (i = 0; i < d->n_fields; i++)
		if (strcmp(d->fields[i].name, "location") != 0 && !field_equal(a, b, &d->fields[i]))
			return false;
	return true;
}

/* ---- node builders ---- */

PgQuery__Node *mp_node(mp_ctx_t *c, PgQuery__Node__NodeCase k, void *msg)
{
	PgQuery__Node *n = mp_alloc(c, sizeof(*n));

	if (n == NULL || msg == NULL)
		return NULL;
	pg_query__node__init(n);
	n->node_case = k;
	/* every member of the oneof is a message pointer at the same place */
	n->a_const = msg;
	return n;
}

static PgQuery__Node *mp_string(mp_ctx_t *c, const char *s)
{
	PgQuery__String *v = mp_alloc(c, sizeof(*v));

	if (v == NULL)
		return NULL;
	pg_query__string__init(v);
	v->sval = mp_strdup(c, s);
	return v->sval != NULL ? mp_node(c, PG_QUERY__NODE__NODE_STRING, v) : NULL;
}

PgQuery__Node *mp_const_int(mp_ctx_t *c, int64_t v)
{
	PgQuery__AConst *k = mp_alloc(c, sizeof(*k));
	char buf[24];

	if (k == NULL)
		return NULL;
	pg_query__a__const__init(k);
	k->location = -1;
	if (v >= INT32_MIN && v <= INT32_MAX) {
		PgQuery__Integer *i = mp_alloc(c, sizeof(*i));
		if (i == NULL)
			return NULL;
		pg_query__integer__init(i);
		i->ival = (int32_t)v;
		k->val_case = PG_QUERY__A__CONST__VAL_IVAL;
		k->ival = i;
	} else {
		/* PostgreSQL's own form for an integer literal beyond int4 */
		PgQuery__Float *f = mp_alloc(c, sizeof(*f));
		if (f == NULL)
			return NULL;
		pg_query__float__init(f);
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		if ((f->fval = mp_strdup(c, buf)) == NULL)
			return NULL;
		k->val_case = PG_QUERY__A__CONST__VAL_FVAL;
		k->fval = f;
	}
	return mp_node(c, PG_QUERY__NODE__NODE_A_CONST, k);
}

PgQuery__Node *mp_param(mp_ctx_t *c, int n)
{
	PgQuery__ParamRef *p = mp_alloc(c, sizeof(*p));

	if (p == NULL)
		return NULL;
	pg_query__param_ref__init(p);
	p->number = n;
	p->location = -1;
	return mp_node(c, PG_QUERY__NODE__NODE_PARAM_REF, p);
}

PgQuery__Node *mp_param_int8(mp_ctx_t *c, int n)
{
	PgQuery__TypeCast *tc = mp_alloc(c, sizeof(*tc));
	PgQuery__TypeName *tn = mp_alloc(c, sizeof(*tn));
	PgQuery__Node **names = mp_alloc(c, 2 * sizeof(*names));

	if (tc == NULL || tn == NULL || names == NULL)
		return NULL;
	pg_query__type_name__init(tn);
	names[0] = mp_string(c, "pg_catalog");
	names[1] = mp_string(c, "int8");
	if (names[0] == NULL || names[1] == NULL)
		return NULL;
	tn->n_names = 2;
	tn->names = names;
	tn->typemod = -1;
	tn->location = -1;
	pg_query__type_cast__init(tc);
	tc->arg = mp_param(c, n);
	tc->type_name = tn;
	tc->location = -1;
	return tc->arg != NULL ? mp_node(c, PG_QUERY__NODE__NODE_TYPE_CAST, tc) : NULL;
}

PgQuery__Node *mp_binop(mp_ctx_t *c, const char *op, PgQuery__Node *l, PgQuery__Node *r)
{
	PgQuery__AExpr *e = mp_alloc(c, sizeof(*e));
	PgQuery__Node **name = mp_alloc(c, sizeof(*name));

	if (e == NULL || name == NULL || l == NULL || r == NULL || (name[0] = mp_string(c, op)) == NULL)
		return NULL;
	pg_query__a__expr__init(e);
	e->kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
	e->n_name = 1;
	e->name = name;
	e->lexpr = l;
	e->rexpr = r;
	e->location = -1;
	return mp_node(c, PG_QUERY__NODE__NODE_A_EXPR, e);
}

PgQuery__Node *mp_target(mp_ctx_t *c, const char *name, PgQuery__Node *val)
{
	PgQuery__ResTarget *t = mp_alloc(c, sizeof(*t));

	if (t == NULL || val == NULL)
		return NULL;
	pg_query__res_target__init(t);
	if (name != NULL && (t->name = mp_strdup(c, name)) == NULL)
		return NULL;
	t->val = val;
	t->location = -1;
	return mp_node(c, PG_QUERY__NODE__NODE_RES_TARGET, t);
}

/* The call f with another function name: same arguments, FILTER, and
 * DISTINCT-ness (avg(x) FILTER (...) → sum(x) FILTER (...)). */
PgQuery__Node *mp_func_renamed(mp_ctx_t *c, const PgQuery__FuncCall *f, const char *name)
{
	PgQuery__FuncCall *g = mp_alloc(c, sizeof(*g));
	PgQuery__Node **fn = mp_alloc(c, sizeof(*fn));

	if (g == NULL || fn == NULL || (fn[0] = mp_string(c, name)) == NULL)
		return NULL;
	*g = *f;
	g->n_funcname = 1;
	g->funcname = fn;
	g->location = -1;
	return mp_node(c, PG_QUERY__NODE__NODE_FUNC_CALL, g);
}

/* ---- output column names (PostgreSQL's FigureColnameInternal) ---- */

static const char *str_of(const PgQuery__Node *n)
{
	return n != NULL && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static int colname_in(const PgQuery__Node *n, const char **name);

static int colname_sublink(const PgQuery__SubLink *s, const char **name)
{
	const PgQuery__SelectStmt *q;

	if (s->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK) {
		*name = "exists";
		return 2;
	}
	if (s->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK) {
		*name = "array";
		return 2;
	}
	if (s->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK || s->subselect == NULL ||
	    s->subselect->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return 0;
	/* the subquery's first output column's name (its leftmost branch's) */
	for (q = s->subselect->select_stmt; q->larg != NULL; q = q->larg)
		;
	if (q->n_target_list == 0 || q->target_list[0]->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
		return 0;
	*name = mp_target_name(q->target_list[0]->res_target);
	return 2;
}

static const char *const svf_names[] = {
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE] = "current_date",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME] = "current_time",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME_N] = "current_time",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP] = "current_timestamp",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N] = "current_timestamp",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME] = "localtime",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME_N] = "localtime",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP] = "localtimestamp",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N] = "localtimestamp",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE] = "current_role",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER] = "current_user",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER] = "user",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER] = "session_user",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG] = "current_catalog",
        [PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA] = "current_schema",
};

static const char *const xml_names[] = {
        [PG_QUERY__XML_EXPR_OP__IS_XMLCONCAT] = "xmlconcat",
        [PG_QUERY__XML_EXPR_OP__IS_XMLELEMENT] = "xmlelement",
        [PG_QUERY__XML_EXPR_OP__IS_XMLFOREST] = "xmlforest",
        [PG_QUERY__XML_EXPR_OP__IS_XMLPARSE] = "xmlparse",
        [PG_QUERY__XML_EXPR_OP__IS_XMLPI] = "xmlpi",
        [PG_QUERY__XML_EXPR_OP__IS_XMLROOT] = "xmlroot",
        [PG_QUERY__XML_EXPR_OP__IS_XMLSERIALIZE] = "xmlserialize",
};

static int named(const char **name, const char *s)
{
	*name = s;
	return s != NULL ? 2 : 0;
}

static int colname_in(const PgQuery__Node *n, const char **name)
{
	size_t i;
	int s;

	if (n == NULL)
		return 0;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		i = n->column_ref->n_fields;
		return i > 0 ? named(name, str_of(n->column_ref->fields[i - 1])) : 0;
	case PG_QUERY__NODE__NODE_A_INDIRECTION:
		for (i = n->a_indirection->n_indirection; i > 0; i--)
			if (str_of(n->a_indirection->indirection[i - 1]) != NULL)
				return named(name, str_of(n->a_indirection->indirection[i - 1]));
		return colname_in(n->a_indirection->arg, name);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return named(name, mp_func_name(n->func_call));
	case PG_QUERY__NODE__NODE_A_EXPR:
		return n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF ? named(name, "nullif") : 0;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		s = colname_in(n->type_cast->arg, name);
		if (s <= 1 && n->type_cast->type_name != NULL && n->type_cast->type_name->n_names > 0) {
			const PgQuery__TypeName *t = n->type_cast->type_name;
			if ((*name = str_of(t->names[t->n_names - 1])) != NULL)
				return 1;
		}
		return s;
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return colname_in(n->collate_clause->arg, name);
	case PG_QUERY__NODE__NODE_GROUPING_FUNC:
		return named(name, "grouping");
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return colname_sublink(n->sub_link, name);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		s = colname_in(n->case_expr->defresult, name);
		if (s <= 1) {
			*name = "case";
			s = 1;
		}
		return s;
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return named(name, "array");
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		return named(name, "row");
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return named(name, "coalesce");
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return named(name,
		             n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_LEAST ? "least" : "greatest");
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		s = (int)n->sqlvalue_function->op;
		return s >= 0 && s < (int)(sizeof(svf_names) / sizeof(svf_names[0]))
		               ? named(name, svf_names[s])
		               : 0;
	case PG_QUERY__NODE__NODE_XML_EXPR:
		s = (int)n->xml_expr->op;
		return s >= 0 && s < (int)(sizeof(xml_names) / sizeof(xml_names[0]))
		               ? named(name, xml_names[s])
		               : 0;
	case PG_QUERY__NODE__NODE_XML_SERIALIZE:
		return named(name, "xmlserialize");
	default:
		return 0;
	}
}

const char *mp_colname(const PgQuery__Node *n)
{
	const char *name = NULL;

	if (colname_in(n, &name) > 0 && name != NULL)
		return name;
	return "?column?";
}

const char *mp_target_name(const PgQuery__ResTarget *t)
{
	return t->name != NULL && t->name[0] != '\0' ? t->name : mp_colname(t->val);
}

bool mp_is_star(const PgQuery__ResTarget *t)
{
	const PgQuery__Node *v = t->val;

	if (v == NULL)
		return false;
	if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields > 0)
		return v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
	if (v->node_case == PG_QUERY__NODE__NODE_A_INDIRECTION && v->a_indirection->n_indirection > 0)
		return v->a_indirection->indirection[v->a_indirection->n_indirection - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
	return false;
}

/* ---- aggregates ---- */

const char *mp_func_name(const PgQuery__FuncCall *f)
{
	const char *s = f->n_funcname > 0 ? str_of(f->funcname[f->n_funcname - 1]) : NULL;

	return s != NULL ? s : "?";
}

/* Unqualified or pg_catalog-qualified: the built-in is meant. */
static bool builtin_name(const PgQuery__FuncCall *f)
{
	return f->n_funcname == 1 || (f->n_funcname == 2 && str_of(f->funcname[0]) != NULL &&
	                              strcmp(str_of(f->funcname[0]), "pg_catalog") == 0);
}

bool mp_is_agg(const PgQuery__FuncCall *f)
{
	if (f->over != NULL)
		return false;
	if (f->agg_star || f->agg_distinct || f->n_agg_order > 0 || f->agg_filter != NULL ||
	    f->agg_within_group)
		return true;
	return builtin_name(f) && sql_agg_find(mp_func_name(f)) != NULL;
}

int mp_agg_kind(mp_ctx_t *c, const PgQuery__FuncCall *f, sql_agg_kind_t *kind)
{
	const char *name = mp_func_name(f);
	sql_agg_kind_t k;

	if (!builtin_name(f) || !sql_agg_is_mergeable(name, &k) || f->agg_within_group)
		return mp_refuse(c, "%s", name);
	if (f->n_agg_order > 0)
		return mp_refuse(c, "%s(... ORDER BY ...)", name);
	*kind = k;
	if (!f->agg_distinct)
		return 0;
	if (*kind != SQL_AGG_COUNT)
		return mp_refuse(c, "%s(DISTINCT)", name);
	if (f->n_args != 1)
		return mp_refuse(c, "count(DISTINCT) of several expressions");
	*kind = SQL_AGG_COUNT_DISTINCT;
	return 0;
}

static int find_agg(void *arg, const ProtobufCMessage *m, bool enter)
{
	(void)arg;
	if (!enter)
		return 0;
	if (m->descriptor == &pg_query__select_stmt__descriptor)
		return 1; /* a subquery's aggregates are its own */
	if (m->descriptor == &pg_query__func_call__descriptor && mp_is_agg((const PgQuery__FuncCall *)m))
		return -1;
	return 0;
}

bool mp_has_agg(const PgQuery__Node *n)
{
	return mp_walk((const ProtobufCMessage *)n, find_agg, NULL) < 0;
}

PgQuery__FuncCall *mp_as_agg(const PgQuery__Node *n)
{
	if (n != NULL && n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && mp_is_agg(n->func_call))
		return n->func_call;
	return NULL;
}
