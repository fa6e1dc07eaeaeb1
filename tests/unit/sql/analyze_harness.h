/* analyze_harness.h — shared by the analyzer's unit tests: the table
 * spec of the demo schema and exact-value assertions. Each analysed text
 * is copied into an exact-size heap block first, so ASan reports any read
 * past its terminating NUL; the copy lives until the next analysis, so
 * offsets can be checked against it. */
#ifndef SG_TEST_ANALYZE_HARNESS_H
#define SG_TEST_ANALYZE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pg_query.h>

#include "analyze.h"
#include "errors.h"

enum { T_ORDERS, T_REGIONAL, T_METRICS, T_COUNTRIES, T_INVOICES, T_QORDERS, NSPEC };

static const sql_table_spec_t spec[NSPEC] = {
        [T_ORDERS] = {"orders", "user_id"},
        [T_REGIONAL] = {"regional_metrics", "region"},
        [T_METRICS] = {"metrics", "created_at"},
        [T_COUNTRIES] = {"countries", NULL},
        [T_INVOICES] = {"sales.invoices", "account_id"},
        [T_QORDERS] = {"\"Orders\"", "user_id"},
};

#define US_SEC  INT64_C(1000000)
#define US_HOUR (3600 * US_SEC)
#define US_DAY  (24 * US_HOUR)
/* 2026-11-20 00:00:00 UTC */
#define TS_20261120 (INT64_C(1795132800) * US_SEC)

static sql_analysis_t an;
static char *text;

static inline void harness_reset(void)
{
	sql_analysis_free(&an);
	free(text);
	text = NULL;
}

static inline int teardown(void **state)
{
	(void)state;
	harness_reset();
	return 0;
}

static inline int analyze_rc(const char *sql)
{
	harness_reset();
	text = strdup(sql);
	assert_non_null(text);
	return sql_analyze(text, spec, NSPEC, &an);
}

static inline const sql_stmt_t *analyze_n(const char *sql, size_t n)
{
	assert_int_equal(analyze_rc(sql), 0);
	assert_int_equal(an.nstmts, n);
	return &an.stmts[0];
}

static inline const sql_stmt_t *analyze_one(const char *sql)
{
	return analyze_n(sql, 1);
}

/* The i-th ref, checked for table and alias (NULL: none). */
static inline const sql_table_ref_t *ref_at(const sql_stmt_t *st, size_t i, int table, const char *alias)
{
	const sql_table_ref_t *r;

	assert_true(i < st->nrefs);
	r = &st->refs[i];
	assert_int_equal(r->table, table);
	if (alias == NULL)
		assert_null(r->alias);
	else
		assert_string_equal(r->alias, alias);
	return r;
}

static inline void cast_is(const sql_value_t *v, const char *cast)
{
	if (cast == NULL)
		assert_null(v->cast);
	else
		assert_string_equal(v->cast, cast);
}

static inline void value_int(const sql_value_t *v, int64_t i, const char *cast)
{
	assert_int_equal(v->kind, SQLV_INT);
	assert_int_equal(v->i, i);
	cast_is(v, cast);
}

static inline void value_text(const sql_value_t *v, const char *s, const char *cast)
{
	assert_int_equal(v->kind, SQLV_TEXT);
	assert_string_equal(v->text, s);
	cast_is(v, cast);
}

static inline void value_param(const sql_value_t *v, int n, const char *cast)
{
	assert_int_equal(v->kind, SQLV_PARAM);
	assert_int_equal(v->param, n);
	cast_is(v, cast);
}

/* SQLV_TS / SQLV_NOW_REL (days 0) / SQLV_DATE_REL */
static inline void value_time(const sql_value_t *v, sql_value_kind_t kind, int32_t days, int64_t ts_us,
                              const char *cast)
{
	assert_int_equal(v->kind, kind);
	assert_int_equal(v->days, days);
	assert_int_equal(v->ts_us, ts_us);
	cast_is(v, cast);
}

/* A ref constrained to exactly these integers, in this order. */
static inline void eq_ints(const sql_table_ref_t *r, size_t n, const int64_t *v)
{
	size_t i;

	assert_int_equal(r->cons, SQLC_EQ);
	assert_int_equal(r->nvalues, n);
	for (i = 0; i < n; i++)
		value_int(&r->values[i], v[i], NULL);
}

#define EQ_INTS(r, ...)                                                                                      \
	eq_ints((r), sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (int64_t[]){__VA_ARGS__})

/* Provably no row: equality with no value. */
static inline void eq_empty(const sql_table_ref_t *r)
{
	assert_int_equal(r->cons, SQLC_EQ);
	assert_int_equal(r->nvalues, 0);
}

static inline void cons_none(const sql_table_ref_t *r)
{
	assert_int_equal(r->cons, SQLC_NONE);
	assert_int_equal(r->nvalues, 0);
	assert_false(r->has_lo);
	assert_false(r->has_hi);
}

/* The bytes [start, end) of the analysed text. */
static inline void span_is(int start, int end, const char *want)
{
	assert_true(start >= 0 && end >= start && (size_t)end <= strlen(text));
	assert_int_equal(end - start, strlen(want));
	assert_memory_equal(text + start, want, strlen(want));
}

/* Runs the group. sql_analyze parses on a thread of its own, whose
 * libpg_query memory is released when that thread ends. */
static inline int run_group(const char *name, const struct CMUnitTest *tests, size_t n)
{
	return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

#endif
