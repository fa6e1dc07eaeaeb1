/* test_merge_plan_final.c — expressions over aggregates in GROUPED plans
 * (SQL_AGG_FINAL): the merged columns they add, final_sql, its parameters,
 * ORDER BY over them, and their refusals. */
#include "merge_plan_check.h"

/* ---- expressions over aggregates (FINAL) ---- */

static void test_final_basic(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	/* merge_plan.h's example */
	p = plan_of("SELECT region, round(avg(qty), 2) FROM t GROUP BY region");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, sum(qty) AS __sg_c2, count(qty) AS __sg_n2 FROM t GROUP BY region");
	ncols(p, 3, 2, 3);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	final_col(p, 1, 0, "round");
	col_is(p, 2, SQL_AGG_AVG, 1, 2, "avg");
	final_is(p, "SELECT round($1, 2) AS round", 1, 2, -1);
	assert_int_equal(p->nkeys, 0);
	/* no GROUP BY: one group */
	p = plan_of("SELECT sum(amount) / count(*) FROM t");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT sum(amount) AS __sg_c1, count(*) AS __sg_c2 FROM t");
	ncols(p, 3, 1, 2);
	final_col(p, 0, 0, "?column?");
	col_is(p, 1, SQL_AGG_SUM, 0, -1, "sum");
	col_is(p, 2, SQL_AGG_COUNT, 1, -1, "count");
	final_is(p, "SELECT $1 / $2 AS \"?column?\"", 1, 1, 2, -1);
	/* a plain grouped query has none */
	p = plan_of("SELECT region, count(*) FROM t GROUP BY region");
	no_final(p);
}

static void test_final_names_and_reuse(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	/* sum(x) inside two expressions: one merged column, one $2 */
	p = plan_of("SELECT min(created_at)::date, coalesce(sum(x), 0), count(*) + 1, sum(x)::int FROM t");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT min(created_at) AS __sg_c4, sum(x) AS __sg_c5, count(*) AS __sg_c6 FROM t");
	ncols(p, 7, 4, 3);
	final_col(p, 0, 0, "min");
	final_col(p, 1, 1, "coalesce");
	final_col(p, 2, 2, "?column?");
	final_col(p, 3, 3, "sum");
	col_is(p, 4, SQL_AGG_MIN, 0, -1, "min");
	col_is(p, 5, SQL_AGG_SUM, 1, -1, "sum");
	col_is(p, 6, SQL_AGG_COUNT, 2, -1, "count");
	final_is(
	        p,
	        "SELECT $1::date AS min, COALESCE($2, 0) AS \"coalesce\", $3 + 1 AS \"?column?\", $2::int AS "
	        "sum",
	        4, 4, 5, 6, -1);
	/* aliases; several aggregates in one expression */
	p = plan_of("SELECT 100.0 * sum(a) / sum(b) AS pct, max(t) - min(t) AS span FROM t");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT sum(a) AS __sg_c2, sum(b) AS __sg_c3, max(t) AS __sg_c4, min(t) AS __sg_c5 FROM t");
	ncols(p, 6, 2, 4);
	final_col(p, 0, 0, "pct");
	final_col(p, 1, 1, "span");
	col_is(p, 2, SQL_AGG_SUM, 0, -1, "sum");
	col_is(p, 3, SQL_AGG_SUM, 1, -1, "sum");
	col_is(p, 4, SQL_AGG_MAX, 2, -1, "max");
	col_is(p, 5, SQL_AGG_MIN, 3, -1, "min");
	final_is(p, "SELECT (100.0 * $1) / $2 AS pct, $3 - $4 AS span", 2, 2, 3, 4, 5, -1);
	/* CASE, GREATEST; FILTER inside */
	p = plan_of(
	        "SELECT CASE WHEN count(*) > 0 THEN sum(x) END, greatest(max(a), max(b)) FROM t GROUP BY g");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT g AS __sg_c2, count(*) AS __sg_c3, sum(x) AS __sg_c4, max(a) AS __sg_c5, max(b) AS "
	         "__sg_c6 FROM t GROUP BY g");
	ncols(p, 7, 2, 5);
	final_col(p, 0, 0, "case");
	final_col(p, 1, 1, "greatest");
	col_is(p, 2, SQL_AGG_NONE, 0, -1, "g");
	final_is(p, "SELECT CASE WHEN $1 > 0 THEN $2 END AS \"case\", GREATEST($3, $4) AS \"greatest\"", 2, 3,
	         4, 5, 6, -1);
	p = plan_of("SELECT count(*) FILTER (WHERE paid) * 1.0 / count(*) AS paid_share FROM orders");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT count(*) FILTER (WHERE paid) AS __sg_c1, count(*) AS __sg_c2 FROM orders");
	final_col(p, 0, 0, "paid_share");
	final_is(p, "SELECT ($1 * 1.0) / $2 AS paid_share", 1, 1, 2, -1);
	/* a visible aggregate the expression uses too; a volatile function */
	p = plan_of("SELECT sum(a), random() * sum(a) AS \"Weird Name\" FROM t");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT sum(a) FROM t");
	ncols(p, 2, 2, 1);
	col_is(p, 0, SQL_AGG_SUM, 0, -1, "sum");
	final_col(p, 1, 0, "Weird Name");
	final_is(p, "SELECT random() * $1 AS \"Weird Name\"", 1, 0, -1);
}

static void test_final_group_keys(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	/* a group key inside: hidden when not a target */
	p = plan_of("SELECT upper(region) || ':' || count(*) FROM t GROUP BY region");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region AS __sg_c1, count(*) AS __sg_c2 FROM t GROUP BY region");
	ncols(p, 3, 1, 2);
	final_col(p, 0, 0, "?column?");
	col_is(p, 1, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 2, SQL_AGG_COUNT, 1, -1, "count");
	final_is(p, "SELECT (upper($1) || ':') || $2 AS \"?column?\"", 1, 1, 2, -1);
	/* a group expression that is a target; an unqualified name of a qualified key */
	p = plan_of("SELECT a + 1, (a + 1) * count(*), region || sum(x) FROM t o GROUP BY a, o.region");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT a + 1, a AS __sg_c3, o.region AS __sg_c4, count(*) AS __sg_c5, sum(x) AS __sg_c6 "
	         "FROM t o GROUP BY a, o.region");
	ncols(p, 7, 3, 5);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "?column?");
	final_col(p, 1, 0, "?column?");
	final_col(p, 2, 1, "?column?");
	col_is(p, 3, SQL_AGG_NONE, 1, -1, "a");
	col_is(p, 4, SQL_AGG_NONE, 2, -1, "region");
	col_is(p, 5, SQL_AGG_COUNT, 3, -1, "count");
	col_is(p, 6, SQL_AGG_SUM, 4, -1, "sum");
	final_is(p, "SELECT $1 * $2 AS \"?column?\", $3 || $4 AS \"?column?\"", 2, 0, 5, 4, 6, -1);
	/* GROUP BY a position: the shards' target list has no FINAL column */
	p = plan_of("SELECT round(avg(x), 2), region FROM t GROUP BY 2");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, sum(x) AS __sg_c2, count(x) AS __sg_n2 FROM t GROUP BY 1");
	ncols(p, 3, 2, 3);
	final_col(p, 0, 0, "round");
	col_is(p, 1, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 2, SQL_AGG_AVG, 1, 2, "avg");
	final_is(p, "SELECT round($1, 2) AS round", 1, 2, -1);
	/* count(DISTINCT) inside */
	p = plan_of("SELECT region, count(DISTINCT user_id) * 2 AS twice FROM orders GROUP BY region");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, user_id AS __sg_c2 FROM orders GROUP BY region, user_id");
	ncols(p, 3, 2, 2);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	final_col(p, 1, 0, "twice");
	col_is(p, 2, SQL_AGG_COUNT_DISTINCT, 1, -1, "count");
	final_is(p, "SELECT $1 * 2 AS twice", 1, 2, -1);
}

static void test_final_order_by(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	/* a visible FINAL by alias, position and expression */
	p = plan_of("SELECT sum(a), sum(a) / count(*) AS r, sum(a) + 1 FROM t GROUP BY g ORDER BY r, 3 DESC, "
	            "sum(a)/count(*) DESC, sum(a) + 1");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT sum(a), g AS __sg_c3, count(*) AS __sg_c4 FROM t GROUP BY g");
	ncols(p, 5, 3, 3);
	col_is(p, 0, SQL_AGG_SUM, 0, -1, "sum");
	final_col(p, 1, 0, "r");
	final_col(p, 2, 1, "?column?");
	col_is(p, 3, SQL_AGG_NONE, 1, -1, "g");
	col_is(p, 4, SQL_AGG_COUNT, 2, -1, "count");
	final_is(p, "SELECT $1 / $2 AS r, $1 + 1 AS \"?column?\"", 2, 0, 4, -1);
	assert_int_equal(p->nkeys, 4);
	key_is(p, 0, 1, false, false, "");
	key_is(p, 1, 2, true, true, "");
	key_is(p, 2, 1, true, true, "");
	key_is(p, 3, 2, false, false, "");
	/* hidden FINAL columns, only for ORDER BY; the same one twice */
	p = plan_of(
	        "SELECT o.region, count(*) FROM orders o GROUP BY o.region ORDER BY sum(a)/count(*) DESC, "
	        "round(avg(x), 1), sum(a) / count(*)");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT o.region, count(*), sum(a) AS __sg_c4, sum(x) AS __sg_c5, count(x) AS __sg_n5 FROM "
	         "orders o GROUP BY o.region");
	ncols(p, 6, 2, 5);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 1, SQL_AGG_COUNT, 1, -1, "count");
	final_col(p, 2, 0, "?column?");
	final_col(p, 3, 1, "round");
	col_is(p, 4, SQL_AGG_SUM, 2, -1, "sum");
	col_is(p, 5, SQL_AGG_AVG, 3, 4, "avg");
	final_is(p, "SELECT $1 / $2 AS __sg_f0, round($3, 1) AS __sg_f1", 2, 4, 1, 5, -1);
	assert_int_equal(p->nkeys, 3);
	key_is(p, 0, 2, true, true, "");
	key_is(p, 1, 3, false, false, "");
	key_is(p, 2, 2, false, false, "");
	/* once refused: ORDER BY an expression over a visible aggregate */
	p = plan_of("SELECT sum(x) FROM t ORDER BY sum(x) + 1");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT sum(x) FROM t");
	ncols(p, 2, 1, 1);
	final_col(p, 1, 0, "?column?");
	final_is(p, "SELECT $1 + 1 AS __sg_f0", 1, 0, -1);
	key_is(p, 0, 1, false, false, "");
	/* with HAVING (on the aggregate itself) and LIMIT */
	p = plan_of(
	        "SELECT region, round(avg(x), 2) AS r FROM t GROUP BY region HAVING avg(x) > 1 ORDER BY r "
	        "DESC LIMIT 3");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, sum(x) AS __sg_c2, count(x) AS __sg_n2 FROM t GROUP BY region");
	ncols(p, 3, 2, 3);
	final_col(p, 1, 0, "r");
	final_is(p, "SELECT round($1, 2) AS r", 1, 2, -1);
	hv_cmp(p->having, 2, SQL_CMP_GT, "1", -1);
	key_is(p, 0, 1, true, true, "");
	limits(p, 3, 0, 0, 0);
}

static void test_final_refusals(void **state)
{
	(void)state;
	refused("SELECT count(*) + (SELECT 1) FROM t", "a subquery in an expression over aggregates");
	refused("SELECT region, count(*) FROM t GROUP BY region ORDER BY count(*) / (SELECT 2)",
	        "a subquery in an expression over aggregates");
	refused("SELECT sum(x) * $1 FROM t", "a parameter in an expression over aggregates");
	refused("SELECT a || count(*) FROM t", "a column that is not grouped");
	refused("SELECT u.region || count(*) FROM orders o JOIN users u ON u.id = o.uid GROUP BY o.region",
	        "a column that is not grouped");
	refused("SELECT count(*) FROM t GROUP BY a ORDER BY b || count(*)", "a column that is not grouped");
	refused("SELECT DISTINCT count(*) + 1 FROM t", "SELECT DISTINCT with an expression over aggregates");
	refused("SELECT DISTINCT a FROM t GROUP BY a ORDER BY count(*) + 1",
	        "ORDER BY an expression not in the SELECT DISTINCT list");
	refused("SELECT round(sum(count(*))) FROM t", "an aggregate inside an aggregate");
	refused("SELECT region, sum(x) FILTER (WHERE sum(y) > 1) + 1 FROM t GROUP BY region",
	        "an aggregate inside an aggregate");
	refused("SELECT round(stddev(x), 2) FROM t", "stddev");
	refused("SELECT coalesce(array_agg(x), '{}') FROM t", "array_agg");
	refused("SELECT round(sum(x) OVER (), 2) FROM t", "window functions");
	refused("SELECT count(*) FROM t GROUP BY 1", "aggregate functions are not allowed in GROUP BY");
	refused("SELECT a, count(*) + 1 FROM t GROUP BY 1, 2",
	        "aggregate functions are not allowed in GROUP BY");
	refused("SELECT a, count(*) FROM t GROUP BY 1, count(*) + 1",
	        "aggregate functions are not allowed in GROUP BY");
	refused("SELECT a FROM t GROUP BY a HAVING sum(x) / count(*) > 10",
	        "HAVING with an aggregate inside an expression");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_final_basic, teardown),
	        cmocka_unit_test_teardown(test_final_names_and_reuse, teardown),
	        cmocka_unit_test_teardown(test_final_group_keys, teardown),
	        cmocka_unit_test_teardown(test_final_order_by, teardown),
	        cmocka_unit_test_teardown(test_final_refusals, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
