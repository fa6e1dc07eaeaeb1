/* merge_plan_check.h — the assertions the merge planner's tests share
 * (test_merge_plan.c, test_merge_plan_final.c): build a plan and check
 * its mode, shard SQL, merged columns, keys, HAVING and final_sql. */
#ifndef SG_TEST_MERGE_PLAN_CHECK_H
#define SG_TEST_MERGE_PLAN_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "errors.h"
#include "merge_plan.h"

/* The plan under test: each plan_of() frees the previous one. */
static sql_merge_plan_t *cur;

static inline int teardown(void **state)
{
	(void)state;
	sql_merge_plan_free(cur);
	cur = NULL;
	return 0;
}

static inline const sql_merge_plan_t *plan_of(const char *sql)
{
	char err[256];
	int rc;

	sql_merge_plan_free(cur);
	cur = NULL;
	rc = sql_merge_plan_build(sql, &cur, err, sizeof(err));
	if (rc != 0)
		print_error("%s: rc %d: %s\n", sql, rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(cur);
	assert_non_null(cur->shard_sql);
	return cur;
}

static inline void refused(const char *sql, const char *msg)
{
	sql_merge_plan_t *p = (sql_merge_plan_t *)0x1;
	char err[256];
	int rc;

	rc = sql_merge_plan_build(sql, &p, err, sizeof(err));
	if (rc != SG_ENOTSUP)
		print_error("%s: rc %d\n", sql, rc);
	assert_int_equal(rc, SG_ENOTSUP);
	assert_null(p);
	assert_string_equal(err, msg);
}

static inline void mode_sql(const sql_merge_plan_t *p, sql_merge_mode_t mode, const char *shard_sql)
{
	assert_int_equal(p->mode, mode);
	assert_string_equal(p->shard_sql, shard_sql);
}

static inline void limits(const sql_merge_plan_t *p, int64_t limit, int64_t offset, int lparam, int oparam)
{
	assert_int_equal(p->limit, limit);
	assert_int_equal(p->offset, offset);
	assert_int_equal(p->limit_param, lparam);
	assert_int_equal(p->offset_param, oparam);
}

static inline void col_is(const sql_merge_plan_t *p, int i, sql_agg_kind_t agg, int src, int src2,
                          const char *name)
{
	assert_true(i < p->ncols);
	assert_int_equal(p->cols[i].agg, agg);
	assert_int_equal(p->cols[i].src, src);
	assert_int_equal(p->cols[i].src2, src2);
	assert_string_equal(p->cols[i].name, name);
	if (agg != SQL_AGG_FINAL)
		assert_int_equal(p->cols[i].final, -1);
}

/* A FINAL column: final_sql's output column `final`. */
static inline void final_col(const sql_merge_plan_t *p, int i, int final, const char *name)
{
	col_is(p, i, SQL_AGG_FINAL, -1, -1, name);
	assert_int_equal(p->cols[i].final, final);
}

/* final_sql, its columns and its parameters' merged columns (-1 ends). */
static inline void final_is(const sql_merge_plan_t *p, const char *sql, int nfinal, ...)
{
	va_list ap;
	int n = 0, col;

	assert_non_null(p->final_sql);
	assert_string_equal(p->final_sql, sql);
	assert_int_equal(p->nfinal, nfinal);
	va_start(ap, nfinal);
	while ((col = va_arg(ap, int)) >= 0) {
		assert_true(n < p->nfinal_params);
		assert_int_equal(p->final_params[n++], col);
	}
	va_end(ap);
	assert_int_equal(p->nfinal_params, n);
}

static inline void no_final(const sql_merge_plan_t *p)
{
	assert_null(p->final_sql);
	assert_null(p->final_params);
	assert_int_equal(p->nfinal_params, 0);
	assert_int_equal(p->nfinal, 0);
}

static inline void ncols(const sql_merge_plan_t *p, int n, int nvisible, int nshard)
{
	assert_int_equal(p->ncols, n);
	assert_int_equal(p->nvisible, nvisible);
	assert_int_equal(p->nshard_cols, nshard);
}

static inline void key_is(const sql_merge_plan_t *p, int i, int col, bool desc, bool nulls_first,
                          const char *coll)
{
	assert_true(i < p->nkeys);
	assert_int_equal(p->keys[i].col, col);
	assert_int_equal(p->keys[i].desc, desc);
	assert_int_equal(p->keys[i].nulls_first, nulls_first);
	assert_string_equal(p->keys[i].collation, coll);
}

/* A comparison with a constant (NULL: SQL NULL) or, with k == NULL and
 * col2 >= 0, with another column. */
static inline void hv_cmp(const sql_having_t *h, int col, sql_cmp_op_t op, const char *k, int col2)
{
	assert_non_null(h);
	assert_int_equal(h->op, SQL_HV_CMP);
	assert_int_equal(h->col, col);
	assert_int_equal(h->cmp, op);
	assert_int_equal(h->col2, col2);
	if (k == NULL)
		assert_null(h->constant);
	else
		assert_string_equal(h->constant, k);
	assert_null(h->left);
	assert_null(h->right);
}

static inline void hv_bin(const sql_having_t *h, sql_having_op_t op)
{
	assert_non_null(h);
	assert_int_equal(h->op, op);
	assert_non_null(h->left);
	if (op == SQL_HV_NOT)
		assert_null(h->right);
	else
		assert_non_null(h->right);
}

#endif
