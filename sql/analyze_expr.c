/* analyze_expr.c — folding the constant side of a comparison.
 *
 * Literals, $n, casts, now()-like functions, current_date, intervals and
 * the + / - between them. A cast changes what a literal means to the
 * router ('42'::int8 is the integer 42, '2026-11-20'::date an instant),
 * so casts to integer, text and date/time types are applied here; other
 * casts are kept as a name. Anything whose value we cannot be sure of is
 * SQA_NONE. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze_int.h"
#include "errors.h"

#define EVAL_MAX_DEPTH 64
/* Beyond this many months, intervals are not folded (spans overflow). */
#define MONTHS_MAX INT64_C(120000)

typedef enum type_class {
	TC_OTHER,
	TC_INT,
	TC_TEXT,
	TC_NUMERIC,
	TC_TIME,
	TC_INTERVAL,
} type_class_t;

static type_class_t type_classify(const char *name)
{
	static const struct {
		const char *name;
		type_class_t tc;
	} tab[] = {
	        {"int2", TC_INT},       {"int4", TC_INT},          {"int8", TC_INT},
	        {"text", TC_TEXT},      {"varchar", TC_TEXT},      {"bpchar", TC_TEXT},
	        {"name", TC_TEXT},      {"numeric", TC_NUMERIC},   {"float4", TC_NUMERIC},
	        {"float8", TC_NUMERIC}, {"timestamptz", TC_TIME},  {"timestamp", TC_TIME},
	        {"date", TC_TIME},      {"interval", TC_INTERVAL},
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].tc;
	return TC_OTHER;
}

const char *sqa_type_name(sqa_ctx_t *c, const PgQuery__TypeName *t)
{
	const PgQuery__Node *last;
	const char *name;
	char *buf;
	size_t n, i;

	if (t == NULL || t->n_names == 0)
		return NULL;
	last = t->names[t->n_names - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	name = last->string->sval;
	n = strlen(name);
	buf = sqa_alloc(c, n + 3);
	if (buf == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	if (t->n_array_bounds > 0)
		memcpy(buf + n, "[]", 2);
	return buf;
}

/* A whole decimal number with optional sign and surrounding spaces, as
 * int8 input accepts it. */
static bool text_to_int(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;
	int nd = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; isdigit((unsigned char)*s); s++, nd++) {
		if (v > (lim - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (isspace((unsigned char)*s))
		s++;
	if (nd == 0 || *s != '\0')
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static void val_none(sqa_val_t *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = SQA_NONE;
}

static void eval_const(const PgQuery__AConst *k, sqa_val_t *out)
{
	if (k->isnull) {
		out->kind = SQA_NULL;
		return;
	}
	switch (k->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		out->kind = SQA_INT;
		out->i = k->ival->ival;
		return;
	case PG_QUERY__A__CONST__VAL_FVAL:
		/* integers beyond int4 arrive as "float" text */
		if (text_to_int(k->fval->fval, &out->i)) {
			out->kind = SQA_INT;
		} else {
			out->kind = SQA_NUM;
			out->text = k->fval->fval;
		}
		return;
	case PG_QUERY__A__CONST__VAL_SVAL:
		out->kind = SQA_TEXT;
		out->text = k->sval->sval;
		return;
	default:
		return; /* booleans and bit strings never shard */
	}
}

/* Values whose time is known to a day: 'today' and friends. */
static bool time_word(const char *s, bool to_date, sqa_val_t *v)
{
	static const struct {
		const char *w;
		int days;
	} words[] = {{"today", 0}, {"tomorrow", 1}, {"yesterday", -1}};
	size_t i, n;

	while (isspace((unsigned char)*s))
		s++;
	for (n = strlen(s); n > 0 && isspace((unsigned char)s[n - 1]); n--)
		;
	if (n == 3 && strncasecmp(s, "now", 3) == 0) {
		v->kind = to_date ? SQA_DATE_REL : SQA_NOW_REL;
		v->days = 0;
		v->ts_lo = v->ts_hi = 0;
		return true;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].w) == n && strncasecmp(s, words[i].w, n) == 0) {
			v->kind = SQA_DATE_REL;
			v->days = words[i].days;
			v->ts_lo = v->ts_hi = 0;
			return true;
		}
	}
	return false;
}

/* A whole-day offset (exact) folded into the day count of a date. */
static bool rel_to_date(sqa_val_t *v)
{
	int64_t d;

	if (v->ts_lo != v->ts_hi || v->ts_lo % SQA_US_PER_DAY != 0)
		return false;
	d = v->ts_lo / SQA_US_PER_DAY + (v->kind == SQA_DATE_REL ? v->days : 0);
	if (d < INT32_MIN || d > INT32_MAX)
		return false;
	v->kind = SQA_DATE_REL;
	v->days = (int32_t)d;
	v->ts_lo = v->ts_hi = 0;
	return true;
}

static bool cast_time(sqa_val_t *v, const char *name)
{
	bool to_date = strcmp(name, "date") == 0;
	int64_t ts;

	switch (v->kind) {
	case SQA_TEXT:
		if (time_word(v->text, to_date, v))
			return true;
		if (sql_time_parse(v->text, name, &ts) != 0)
			return false; /* infinity, named zones, other styles */
		v->kind = SQA_TS;
		v->ts_lo = v->ts_hi = ts;
		v->text = NULL;
		return true;
	case SQA_TS:
		if (to_date)
			v->ts_lo = v->ts_hi = (v->ts_lo / SQA_US_PER_DAY - (v->ts_lo % SQA_US_PER_DAY < 0)) *
			                      SQA_US_PER_DAY;
		return true;
	case SQA_NOW_REL:
	case SQA_DATE_REL:
		return !to_date || rel_to_date(v);
	case SQA_PARAM:
	case SQA_NULL:
		return true;
	default:
		return false;
	}
}

static bool cast_scalar(sqa_ctx_t *c, sqa_val_t *v, const char *name)
{
	char buf[24];
	int64_t months, days, us;

	switch (type_classify(name)) {
	case TC_INT:
		if (v->kind == SQA_TEXT && text_to_int(v->text, &v->i)) {
			v->kind = SQA_INT;
			v->text = NULL;
		}
		return v->kind == SQA_INT || v->kind == SQA_PARAM || v->kind == SQA_NULL;
	case TC_TEXT:
		if (v->kind == SQA_INT) {
			snprintf(buf, sizeof(buf), "%" PRId64, v->i);
			v->text = sqa_strndup(c, buf, strlen(buf));
			if (v->text == NULL)
				return false;
			v->kind = SQA_TEXT;
		} else if (v->kind == SQA_NUM) {
			/* 1.50::text is '1.50', but 1e3::text is '1000' */
			if (strpbrk(v->text, "eE") != NULL)
				return false;
			v->kind = SQA_TEXT;
		}
		return v->kind == SQA_TEXT || v->kind == SQA_PARAM || v->kind == SQA_NULL;
	case TC_TIME:
		return cast_time(v, name);
	case TC_INTERVAL:
		if (v->kind == SQA_TEXT) {
			if (sqa_interval_parse(v->text, &months, &days, &us) != 0)
				return false;
			v->kind = SQA_INTERVAL;
			v->months = months;
			v->idays = days;
			v->us = us;
			v->text = NULL;
		}
		return v->kind == SQA_INTERVAL || v->kind == SQA_PARAM || v->kind == SQA_NULL;
	case TC_NUMERIC:
	case TC_OTHER:
		return v->kind == SQA_INT || v->kind == SQA_NUM || v->kind == SQA_TEXT ||
		       v->kind == SQA_PARAM || v->kind == SQA_NULL;
	}
	return false;
}

/* Applies a cast by type name ("int8", "int8[]"); false: not foldable. */
static bool cast_apply(sqa_ctx_t *c, sqa_val_t *v, const char *name)
{
	size_t n = strlen(name);

	if (n > 2 && strcmp(name + n - 2, "[]") == 0) {
		if (v->kind != SQA_TEXT && v->kind != SQA_PARAM)
			return false;
		v->is_array = true;
		v->cast = name;
		return true;
	}
	if (v->is_array || !cast_scalar(c, v, name))
		return false;
	v->cast = name;
	return true;
}

static void eval_cast(sqa_ctx_t *c, const PgQuery__TypeCast *tc, int depth, sqa_val_t *out);
static void eval_depth(sqa_ctx_t *c, const PgQuery__Node *n, int depth, sqa_val_t *out);

static void eval_func(const PgQuery__FuncCall *f, sqa_val_t *out)
{
	static const char *const now_like[] = {"now", "statement_timestamp", "transaction_timestamp",
	                                       "clock_timestamp"};
	const PgQuery__Node *last;
	size_t i;

	if (f->n_args != 0 || f->agg_star || f->over != NULL || f->n_funcname == 0 || f->n_funcname > 2)
		return;
	if (f->n_funcname == 2 && (f->funcname[0]->node_case != PG_QUERY__NODE__NODE_STRING ||
	                           strcmp(f->funcname[0]->string->sval, "pg_catalog") != 0))
		return;
	last = f->funcname[f->n_funcname - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return;
	for (i = 0; i < sizeof(now_like) / sizeof(now_like[0]); i++) {
		if (strcmp(last->string->sval, now_like[i]) == 0) {
			out->kind = SQA_NOW_REL;
			return;
		}
	}
}

static void eval_sqlvalue(const PgQuery__SQLValueFunction *f, sqa_val_t *out)
{
	int64_t half = 0;
	int p;

	switch (f->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
		out->kind = SQA_DATE_REL;
		return;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
		/* current_timestamp(p) is rounded to p fraction digits */
		if (f->typmod >= 0 && f->typmod < 6) {
			half = 5;
			for (p = f->typmod; p < 5; p++)
				half *= 10;
		}
		/* fall through */
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
		out->kind = SQA_NOW_REL;
		out->ts_lo = -half;
		out->ts_hi = half;
		return;
	default:
		return;
	}
}

/* now()/current_date + interval: a month has 28 to 31 days, so a month
 * part widens the offset into a range. */
static bool rel_add_interval(sqa_val_t *v, int sign, const sqa_val_t *iv)
{
	int64_t months = sign * iv->months, off, lo, hi;

	/* intervals are bounded (sqa_interval_bounded): no overflow below */
	if (months > MONTHS_MAX || months < -MONTHS_MAX)
		return false;
	off = sign * (iv->idays * SQA_US_PER_DAY + iv->us);
	lo = hi = off;
	if (months != 0) {
		int64_t slo, shi;
		sqa_months_span(months, &slo, &shi);
		lo += slo;
		hi += shi;
	}
	if (__builtin_add_overflow(v->ts_lo, lo, &v->ts_lo) ||
	    __builtin_add_overflow(v->ts_hi, hi, &v->ts_hi))
		return false;
	return true;
}

static bool ts_add_interval(sqa_val_t *v, int sign, const sqa_val_t *iv)
{
	int64_t r;

	if (sqa_ts_add_interval(v->ts_lo, sign * iv->months, sign * iv->idays, sign * iv->us, &r) != 0)
		return false;
	v->ts_lo = v->ts_hi = r;
	if (v->cast != NULL && strcmp(v->cast, "date") == 0)
		v->cast = "timestamp"; /* date + interval is a timestamp */
	return true;
}

static bool is_date_value(const sqa_val_t *v)
{
	return (v->kind == SQA_DATE_REL && v->ts_lo == 0 && v->ts_hi == 0) ||
	       (v->kind == SQA_TS && v->cast != NULL && strcmp(v->cast, "date") == 0);
}

/* date ± integer days */
static bool date_add_days(sqa_val_t *v, int64_t n)
{
	int64_t d;

	if (v->kind == SQA_DATE_REL) {
		if (__builtin_add_overflow((int64_t)v->days, n, &d) || d < INT32_MIN || d > INT32_MAX)
			return false;
		v->days = (int32_t)d;
		return true;
	}
	if (n > 4000000 || n < -4000000)
		return false;
	v->ts_lo = v->ts_hi = v->ts_lo + n * SQA_US_PER_DAY;
	return true;
}

static void eval_arith(sqa_val_t *l, int sign, sqa_val_t *r, sqa_val_t *out)
{
	bool ok = false;

	if (l->kind == SQA_INT && r->kind == SQA_INT) {
		ok = sign > 0 ? !__builtin_add_overflow(l->i, r->i, &l->i)
		              : !__builtin_sub_overflow(l->i, r->i, &l->i);
		l->cast = NULL;
	} else if (r->kind == SQA_INTERVAL && (l->kind == SQA_NOW_REL || l->kind == SQA_DATE_REL)) {
		ok = rel_add_interval(l, sign, r);
	} else if (sign > 0 && l->kind == SQA_INTERVAL &&
	           (r->kind == SQA_NOW_REL || r->kind == SQA_DATE_REL)) {
		ok = rel_add_interval(r, 1, l);
		*l = *r;
	} else if (r->kind == SQA_INTERVAL && l->kind == SQA_TS) {
		ok = ts_add_interval(l, sign, r);
	} else if (sign > 0 && l->kind == SQA_INTERVAL && r->kind == SQA_TS) {
		ok = ts_add_interval(r, 1, l);
		*l = *r;
	} else if (r->kind == SQA_INT && is_date_value(l)) {
		ok = r->i != INT64_MIN && date_add_days(l, sign * r->i);
	} else if (sign > 0 && l->kind == SQA_INT && is_date_value(r)) {
		ok = date_add_days(r, l->i);
		*l = *r;
	} else if (l->kind == SQA_INTERVAL && r->kind == SQA_INTERVAL) {
		/* both bounded: the sum cannot overflow, and is checked again */
		l->months += sign * r->months;
		l->idays += sign * r->idays;
		l->us += sign * r->us;
		ok = sqa_interval_bounded(l->months, l->idays, l->us);
	}
	if (ok)
		*out = *l;
}

static void eval_aexpr(sqa_ctx_t *c, const PgQuery__AExpr *e, int depth, sqa_val_t *out)
{
	sqa_val_t l, r;
	const char *op;
	int sign;

	if (e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || e->n_name != 1 ||
	    e->name[0]->node_case != PG_QUERY__NODE__NODE_STRING || e->rexpr == NULL)
		return;
	op = e->name[0]->string->sval;
	if (strcmp(op, "+") != 0 && strcmp(op, "-") != 0)
		return;
	sign = op[0] == '-' ? -1 : 1;
	eval_depth(c, e->rexpr, depth + 1, &r);
	if (e->lexpr == NULL) {
		/* unary: - 5 is folded by the grammar, - interval '1 day' is not */
		if (sign > 0) {
			*out = r;
		} else if (r.kind == SQA_INT && r.i != INT64_MIN) {
			r.i = -r.i;
			*out = r;
		} else if (r.kind == SQA_INTERVAL) {
			r.months = -r.months;
			r.idays = -r.idays;
			r.us = -r.us;
			*out = r;
		}
		return;
	}
	eval_depth(c, e->lexpr, depth + 1, &l);
	if (l.kind == SQA_NONE || r.kind == SQA_NONE || l.is_array || r.is_array)
		return;
	eval_arith(&l, sign, &r, out);
}

static void eval_cast(sqa_ctx_t *c, const PgQuery__TypeCast *tc, int depth, sqa_val_t *out)
{
	const char *name = sqa_type_name(c, tc->type_name);
	sqa_val_t v;

	/* typmods change values (varchar(3) truncates, timestamp(0) rounds) */
	if (name == NULL || tc->type_name->n_typmods > 0 || tc->type_name->pct_type || tc->arg == NULL)
		return;
	eval_depth(c, tc->arg, depth + 1, &v);
	if (v.kind == SQA_NONE || !cast_apply(c, &v, name))
		return;
	*out = v;
}

static void eval_depth(sqa_ctx_t *c, const PgQuery__Node *n, int depth, sqa_val_t *out)
{
	val_none(out);
	if (n == NULL || depth > EVAL_MAX_DEPTH)
		return;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		eval_const(n->a_const, out);
		return;
	case PG_QUERY__NODE__NODE_PARAM_REF:
		out->kind = SQA_PARAM;
		out->param = n->param_ref->number;
		return;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		eval_cast(c, n->type_cast, depth, out);
		return;
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		eval_func(n->func_call, out);
		return;
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		eval_sqlvalue(n->sqlvalue_function, out);
		return;
	case PG_QUERY__NODE__NODE_A_EXPR:
		eval_aexpr(c, n->a_expr, depth, out);
		return;
	default:
		return;
	}
}

void sqa_eval(sqa_ctx_t *c, const PgQuery__Node *n, sqa_val_t *out)
{
	eval_depth(c, n, 0, out);
}

/* ---- arrays for = ANY(...) ---- */

/* One element of an array literal, unescaped into the arena. */
static const char *array_elem(sqa_ctx_t *c, const char **pp, bool *is_null)
{
	const char *p = *pp, *start;
	char *buf, *w;
	bool quoted = *p == '"';
	size_t cap;

	*is_null = false;
	start = p;
	cap = strlen(p) + 1;
	buf = sqa_alloc(c, cap);
	if (buf == NULL)
		return NULL;
	w = buf;
	if (quoted) {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return NULL;
			if (*p == '\\' && p[1] != '\0')
				p++;
			*w++ = *p;
		}
		p++;
	} else {
		for (; *p != ',' && *p != '}' && *p != '\0'; p++) {
			if (*p == '"' || *p == '{')
				return NULL;
			if (*p == '\\' && p[1] != '\0')
				p++;
			*w++ = *p;
		}
		while (w > buf && isspace((unsigned char)w[-1]))
			w--;
		*is_null = (size_t)(w - buf) == 4 && strncasecmp(buf, "null", 4) == 0 && p - start == 4;
		if (w == buf)
			return NULL;
	}
	*w = '\0';
	*pp = p;
	return buf;
}

/* '{1,2,"x y"}' → elements; false if it is not a flat array literal. */
static bool array_literal(sqa_ctx_t *c, const char *s, const char *elem_type, sqa_val_t **vals, size_t *n)
{
	const char *p = s;
	size_t cap = 1, k = 0;
	sqa_val_t *v;
	bool is_null;

	for (; *p; p++)
		cap += *p == ',';
	*vals = v = sqa_alloc(c, cap * sizeof(*v));
	if (v == NULL)
		return false;
	p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != '{')
		return false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '}')
		goto end;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		const char *e = array_elem(c, &p, &is_null);
		if (e == NULL)
			return false;
		if (!is_null) {
			memset(&v[k], 0, sizeof(v[k]));
			v[k].kind = SQA_TEXT;
			v[k].text = e;
			if (elem_type != NULL && !cast_apply(c, &v[k], elem_type))
				return false;
			k++;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return false;
	}
end:
	p++;
	while (isspace((unsigned char)*p))
		p++;
	*n = k;
	return *p == '\0';
}

static bool exact_scalar(const sqa_val_t *v)
{
	return v->kind != SQA_NONE && v->kind != SQA_INTERVAL && !v->is_array && v->ts_lo == v->ts_hi;
}

static bool array_expr(sqa_ctx_t *c, const PgQuery__AArrayExpr *a, const char *elem_type, sqa_val_t **vals,
                       size_t *n)
{
	size_t i, k = 0;
	sqa_val_t *v = sqa_alloc(c, (a->n_elements + 1) * sizeof(*v));

	*vals = v;
	if (v == NULL)
		return false;
	for (i = 0; i < a->n_elements; i++) {
		sqa_eval(c, a->elements[i], &v[k]);
		if (elem_type != NULL && v[k].kind != SQA_NONE && !cast_apply(c, &v[k], elem_type))
			return false;
		if (!exact_scalar(&v[k]))
			return false;
		if (v[k].kind != SQA_NULL)
			k++;
	}
	*n = k;
	return true;
}

/* The elements of the array in `col = ANY(n)`: an array literal
 * ('{1,2}', optionally cast) or ARRAY[...]. ok=false if not constant. */
void sqa_eval_array(sqa_ctx_t *c, const PgQuery__Node *n, sqa_val_t **vals, size_t *nvals, bool *ok)
{
	const char *elem_type = NULL;
	char *et;
	sqa_val_t v;

	*ok = false;
	*nvals = 0;
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->type_name != NULL &&
	    n->type_cast->type_name->n_array_bounds > 0 && n->type_cast->type_name->n_typmods == 0) {
		const char *tn = sqa_type_name(c, n->type_cast->type_name);
		if (tn == NULL)
			return;
		et = sqa_strndup(c, tn, strlen(tn) - 2);
		if (et == NULL)
			return;
		elem_type = et;
		n = n->type_cast->arg;
		if (n == NULL)
			return;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
		*ok = array_expr(c, n->a_array_expr, elem_type, vals, nvals);
		return;
	}
	sqa_eval(c, n, &v);
	if (v.kind == SQA_TEXT && (v.cast == NULL || v.is_array))
		*ok = array_literal(c, v.text, elem_type, vals, nvals);
}
