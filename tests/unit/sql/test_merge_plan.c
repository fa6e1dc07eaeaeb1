/* test_merge_plan.c — sql_merge_plan_build(): the merge mode, the SQL the
 * shards run, merged columns, sort keys, HAVING trees, LIMIT/OFFSET, and
 * every refusal with its exact message (expressions over aggregates:
 * test_merge_plan_final.c). */
#include "merge_plan_check.h"

/* ---- CONCAT ---- */

static void test_concat_plain(void **state)
{
	const sql_merge_plan_t *p;
	const char *sql =
	        "select *   from orders o join regions r on r.id = o.region_id where o.amount > $1 -- x";

	(void)state;
	p = plan_of(sql);
	/* untouched: the very text */
	mode_sql(p, SQL_MERGE_CONCAT, sql);
	limits(p, -1, 0, 0, 0);
	assert_int_equal(p->nhidden, 0);
	assert_int_equal(p->nkeys, 0);
	assert_int_equal(p->ncols, 0);
	assert_null(p->having);
	assert_null(p->cols);

	p = plan_of("SELECT * FROM (SELECT a FROM t) s WHERE a IN (SELECT b FROM u WHERE u.c = s.a)");
	mode_sql(p, SQL_MERGE_CONCAT,
	         "SELECT * FROM (SELECT a FROM t) s WHERE a IN (SELECT b FROM u WHERE u.c = s.a)");
	p = plan_of("WITH w AS (SELECT a FROM t WHERE b > 1) SELECT a FROM w");
	mode_sql(p, SQL_MERGE_CONCAT, "WITH w AS (SELECT a FROM t WHERE b > 1) SELECT a FROM w");
	/* an unknown function is a plain function (no catalog to say otherwise) */
	p = plan_of("SELECT my_agg(x), myschema.sum(x) FROM t");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT my_agg(x), myschema.sum(x) FROM t");
}

static void test_concat_limit_const(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT id FROM orders LIMIT 10");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders LIMIT 10");
	limits(p, 10, 0, 0, 0);
	p = plan_of("SELECT id, amount FROM orders WHERE x = 1 LIMIT 10 OFFSET 5");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id, amount FROM orders WHERE x = 1 LIMIT 15");
	limits(p, 10, 5, 0, 0);
	p = plan_of("SELECT id FROM orders OFFSET 7");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders");
	limits(p, -1, 7, 0, 0);
	p = plan_of("SELECT a FROM t LIMIT ALL OFFSET 3");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT a FROM t");
	limits(p, -1, 3, 0, 0);
	p = plan_of("SELECT a FROM t LIMIT NULL");
	limits(p, -1, 0, 0, 0);
	p = plan_of("SELECT a FROM t FETCH FIRST 3 ROWS ONLY");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT a FROM t FETCH FIRST 3 ROWS ONLY");
	limits(p, 3, 0, 0, 0);
	p = plan_of("SELECT a FROM t OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT a FROM t LIMIT 5");
	limits(p, 3, 2, 0, 0);
	/* beyond int4: an int8 literal */
	p = plan_of("SELECT a FROM t LIMIT 3000000000 OFFSET 3000000000");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT a FROM t LIMIT 6000000000");
	limits(p, 3000000000LL, 3000000000LL, 0, 0);
}

static void test_concat_limit_param(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT id FROM orders LIMIT $1");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders LIMIT $1");
	limits(p, -1, 0, 1, 0);
	p = plan_of("SELECT id FROM orders WHERE a = $1 LIMIT $2 OFFSET 5");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders WHERE a = $1 LIMIT ($2::bigint + 5)");
	limits(p, -1, 5, 2, 0);
	p = plan_of("SELECT id FROM orders LIMIT 5 OFFSET $1");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders LIMIT (5 + $1::bigint)");
	limits(p, 5, 0, 0, 1);
	p = plan_of("SELECT id FROM orders LIMIT $1 OFFSET $2");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders LIMIT ($1::bigint + $2::bigint)");
	limits(p, -1, 0, 1, 2);
	/* the shards no longer use the OFFSET but still name its parameter */
	p = plan_of("SELECT id FROM orders OFFSET $1");
	mode_sql(p, SQL_MERGE_CONCAT, "SELECT id FROM orders OFFSET 0 * $1::bigint");
	limits(p, -1, 0, 0, 1);
}

static void test_union_all(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT a FROM t UNION ALL SELECT b FROM u UNION ALL (SELECT c FROM v WHERE c > 1)");
	mode_sql(p, SQL_MERGE_CONCAT,
	         "SELECT a FROM t UNION ALL SELECT b FROM u UNION ALL (SELECT c FROM v WHERE c > 1)");
	limits(p, -1, 0, 0, 0);
	refused("SELECT a FROM t UNION SELECT a FROM u", "UNION");
	refused("SELECT a FROM t UNION ALL (SELECT a FROM u UNION SELECT b FROM v)", "UNION");
	refused("SELECT a FROM t INTERSECT SELECT a FROM u", "INTERSECT");
	refused("SELECT a FROM t EXCEPT ALL SELECT a FROM u", "EXCEPT");
	refused("SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY 1",
	        "UNION ALL with ORDER BY, LIMIT or OFFSET");
	refused("SELECT a FROM t UNION ALL SELECT a FROM u LIMIT 3",
	        "UNION ALL with ORDER BY, LIMIT or OFFSET");
	refused("SELECT a FROM t UNION ALL SELECT count(*) FROM u",
	        "UNION ALL of a query with aggregates, DISTINCT, ORDER BY or LIMIT");
	refused("SELECT a FROM t UNION ALL SELECT DISTINCT a FROM u",
	        "UNION ALL of a query with aggregates, DISTINCT, ORDER BY or LIMIT");
	refused("SELECT a FROM t UNION ALL (SELECT a FROM u LIMIT 1)",
	        "UNION ALL of a query with aggregates, DISTINCT, ORDER BY or LIMIT");
	refused("SELECT a FROM t UNION ALL SELECT a FROM (SELECT max(b) AS a FROM u) s",
	        "a subquery with aggregates, DISTINCT or LIMIT");
}

/* ---- SORTED ---- */

static void test_sorted_visible(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT id, amount FROM orders ORDER BY amount DESC, id");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT id, amount FROM orders ORDER BY amount DESC, id");
	assert_int_equal(p->nkeys, 2);
	assert_int_equal(p->nhidden, 0);
	key_is(p, 0, 1, true, true, "");
	key_is(p, 1, 0, false, false, "");
	limits(p, -1, 0, 0, 0);
}

static void test_sorted_position_alias_expr(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of(
	        "SELECT id AS i, amount, lower(name) FROM orders ORDER BY i, 2 DESC NULLS LAST, lower(name) "
	        "NULLS FIRST, lower (  name ) DESC");
	assert_int_equal(p->mode, SQL_MERGE_SORTED);
	assert_int_equal(p->nkeys, 4);
	assert_int_equal(p->nhidden, 0);
	key_is(p, 0, 0, false, false, "");
	key_is(p, 1, 1, true, false, "");
	key_is(p, 2, 2, false, true, "");
	key_is(p, 3, 2, true, true, "");
	/* an output name wins over an input column of that name */
	p = plan_of("SELECT id AS amount, amount AS id FROM orders ORDER BY id");
	key_is(p, 0, 1, false, false, "");
	/* an implicit output name (the function's) */
	p = plan_of("SELECT upper(name) FROM users ORDER BY upper");
	key_is(p, 0, 0, false, false, "");
	refused("SELECT a FROM t ORDER BY 3", "ORDER BY position 3 is not in select list");
	refused("SELECT a FROM t ORDER BY 0", "ORDER BY position 0 is not in select list");
}

static void test_sorted_hidden(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT id FROM orders ORDER BY created_at, amount * 2 DESC, created_at DESC");
	mode_sql(p, SQL_MERGE_SORTED,
	         "SELECT id, created_at AS __sg_sort_0, amount * 2 AS __sg_sort_1 FROM orders ORDER BY "
	         "created_at, "
	         "amount * 2 DESC, created_at DESC");
	assert_int_equal(p->nhidden, 2);
	assert_int_equal(p->nkeys, 3);
	key_is(p, 0, -1, false, false, "");
	key_is(p, 1, -2, true, true, "");
	key_is(p, 2, -1, true, true, "");
	/* o.id is output column "id", which ORDER BY id names */
	p = plan_of("SELECT o.id FROM orders o ORDER BY id");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT o.id FROM orders o ORDER BY id");
	key_is(p, 0, 0, false, false, "");
	/* qualified differently: another expression as far as the planner knows */
	p = plan_of("SELECT id FROM orders o ORDER BY o.id");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT id, o.id AS __sg_sort_0 FROM orders o ORDER BY o.id");
	key_is(p, 0, -1, false, false, "");
}

static void test_sorted_star(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT * FROM orders ORDER BY id, 2");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT *, id AS __sg_sort_0 FROM orders ORDER BY id, 2");
	assert_int_equal(p->nhidden, 1);
	key_is(p, 0, -1, false, false, "");
	key_is(p, 1, 1, false, false, "");
	/* before the star the index is known; after it, the expression is hidden */
	p = plan_of("SELECT id, *, amount + 1 AS a1 FROM orders ORDER BY id, a1 DESC, t.x");
	mode_sql(p, SQL_MERGE_SORTED,
	         "SELECT id, *, amount + 1 AS a1, amount + 1 AS __sg_sort_0, t.x AS __sg_sort_1 FROM orders "
	         "ORDER BY "
	         "id, a1 DESC, t.x");
	assert_int_equal(p->nhidden, 2);
	key_is(p, 0, 0, false, false, "");
	key_is(p, 1, -1, true, true, "");
	key_is(p, 2, -2, false, false, "");
	/* a position past the star is the shard's column index */
	p = plan_of("SELECT * FROM t ORDER BY 3");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT * FROM t ORDER BY 3");
	key_is(p, 0, 2, false, false, "");
}

static void test_sorted_collate(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT name FROM users ORDER BY name COLLATE \"C\" DESC");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT name FROM users ORDER BY name COLLATE \"C\" DESC");
	key_is(p, 0, 0, true, true, "C");
	p = plan_of(
	        "SELECT name FROM users ORDER BY lower(name) COLLATE pg_catalog.\"de-DE-x-icu\" NULLS FIRST");
	mode_sql(p, SQL_MERGE_SORTED,
	         "SELECT name, lower(name) COLLATE pg_catalog.\"de-DE-x-icu\" AS __sg_sort_0 FROM users "
	         "ORDER BY "
	         "lower(name) COLLATE pg_catalog.\"de-DE-x-icu\" NULLS FIRST");
	key_is(p, 0, -1, false, true, "de-DE-x-icu");
}

static void test_sorted_limit(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT id, amount FROM orders ORDER BY amount DESC LIMIT 3 OFFSET 2");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT id, amount FROM orders ORDER BY amount DESC LIMIT 5");
	limits(p, 3, 2, 0, 0);
	p = plan_of("SELECT id FROM orders ORDER BY amount LIMIT $1 OFFSET $2");
	mode_sql(p, SQL_MERGE_SORTED,
	         "SELECT id, amount AS __sg_sort_0 FROM orders ORDER BY amount LIMIT ($1::bigint + "
	         "$2::bigint)");
	limits(p, -1, 0, 1, 2);
	p = plan_of("SELECT id FROM orders ORDER BY id LIMIT 4");
	mode_sql(p, SQL_MERGE_SORTED, "SELECT id FROM orders ORDER BY id LIMIT 4");
	limits(p, 4, 0, 0, 0);
}

/* ---- GROUPED ---- */

static void test_grouped_every_aggregate(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT count(*), count(amount), sum(amount), min(amount), max(amount), bool_and(paid), "
	            "bool_or(paid), every(paid), pg_catalog.count(*) FROM orders");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT count(*), count(amount), sum(amount), min(amount), max(amount), bool_and(paid), "
	         "bool_or(paid), every(paid), pg_catalog.count(*) FROM orders");
	ncols(p, 9, 9, 9);
	col_is(p, 0, SQL_AGG_COUNT, 0, -1, "count");
	col_is(p, 1, SQL_AGG_COUNT, 1, -1, "count");
	col_is(p, 2, SQL_AGG_SUM, 2, -1, "sum");
	col_is(p, 3, SQL_AGG_MIN, 3, -1, "min");
	col_is(p, 4, SQL_AGG_MAX, 4, -1, "max");
	col_is(p, 5, SQL_AGG_BOOL_AND, 5, -1, "bool_and");
	col_is(p, 6, SQL_AGG_BOOL_OR, 6, -1, "bool_or");
	col_is(p, 7, SQL_AGG_BOOL_AND, 7, -1, "every");
	col_is(p, 8, SQL_AGG_COUNT, 8, -1, "count");
	assert_int_equal(p->nkeys, 0);
	assert_null(p->having);
	limits(p, -1, 0, 0, 0);
}

static void test_grouped_avg(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT region, avg(amount), avg(qty) AS q, count(*) FROM orders GROUP BY region");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, sum(amount) AS __sg_c1, sum(qty) AS __sg_c2, count(*), count(amount) AS "
	         "__sg_n1, "
	         "count(qty) AS __sg_n2 FROM orders GROUP BY region");
	ncols(p, 4, 4, 6);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 1, SQL_AGG_AVG, 1, 4, "avg");
	col_is(p, 2, SQL_AGG_AVG, 2, 5, "q");
	col_is(p, 3, SQL_AGG_COUNT, 3, -1, "count");
}

static void test_grouped_filter(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT sum(amount) FILTER (WHERE paid), avg(amount) FILTER (WHERE paid) AS a, count(*) "
	            "FILTER "
	            "(WHERE NOT paid) AS unpaid FROM orders");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT sum(amount) FILTER (WHERE paid), sum(amount) FILTER (WHERE paid) AS __sg_c1, "
	         "count(*) "
	         "FILTER (WHERE NOT paid) AS unpaid, count(amount) FILTER (WHERE paid) AS __sg_n1 FROM "
	         "orders");
	ncols(p, 3, 3, 4);
	col_is(p, 0, SQL_AGG_SUM, 0, -1, "sum");
	col_is(p, 1, SQL_AGG_AVG, 1, 3, "a");
	col_is(p, 2, SQL_AGG_COUNT, 2, -1, "unpaid");
}

static void test_grouped_group_by(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of(
	        "SELECT region, count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE o.amount > 10 "
	        "GROUP BY region ORDER BY count(*) DESC LIMIT 5");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE o.amount > 10 "
	         "GROUP "
	         "BY region");
	ncols(p, 2, 2, 2);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 1, SQL_AGG_COUNT, 1, -1, "count");
	assert_int_equal(p->nkeys, 1);
	key_is(p, 0, 1, true, true, "");
	limits(p, 5, 0, 0, 0);
	/* by position and by output name */
	p = plan_of("SELECT upper(region) AS r, count(*) FROM orders GROUP BY 1 ORDER BY r");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT upper(region) AS r, count(*) FROM orders GROUP BY 1");
	ncols(p, 2, 2, 2);
	key_is(p, 0, 0, false, false, "");
	p = plan_of("SELECT region AS r, count(*) FROM orders GROUP BY r");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT region AS r, count(*) FROM orders GROUP BY r");
	ncols(p, 2, 2, 2);
	refused("SELECT a, count(*) FROM t GROUP BY 3", "GROUP BY position 3 is not in select list");
}

static void test_grouped_hidden_group_keys(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT count(*) FROM orders GROUP BY region");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT count(*), region AS __sg_c1 FROM orders GROUP BY region");
	ncols(p, 2, 1, 2);
	col_is(p, 0, SQL_AGG_COUNT, 0, -1, "count");
	col_is(p, 1, SQL_AGG_NONE, 1, -1, "region");
	p = plan_of("SELECT upper(region) AS r, sum(x) FROM orders GROUP BY region, lower(status), region "
	            "ORDER BY r");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT upper(region) AS r, sum(x), region AS __sg_c2, lower(status) AS __sg_c3 FROM orders "
	         "GROUP BY "
	         "region, lower(status), region");
	ncols(p, 4, 2, 4);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "r");
	col_is(p, 1, SQL_AGG_SUM, 1, -1, "sum");
	col_is(p, 2, SQL_AGG_NONE, 2, -1, "region");
	col_is(p, 3, SQL_AGG_NONE, 3, -1, "lower");
	key_is(p, 0, 0, false, false, "");
	/* a date_trunc bucket, grouped by its expression */
	p = plan_of("SELECT date_trunc('day', created_at) AS day, sum(amount) FROM orders WHERE created_at "
	            ">= now() - "
	            "interval '90 days' GROUP BY date_trunc('day', created_at) ORDER BY 1");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT date_trunc('day', created_at) AS day, sum(amount) FROM orders WHERE created_at >= "
	         "(now() - "
	         "'90 days'::interval) GROUP BY date_trunc('day', created_at)");
	ncols(p, 2, 2, 2);
	key_is(p, 0, 0, false, false, "");
}

static void test_grouped_order_by_hidden(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT region, avg(amount) FROM orders GROUP BY region ORDER BY avg(amount) DESC, "
	            "max(amount), "
	            "sum(amount) NULLS FIRST, region DESC NULLS LAST LIMIT 10 OFFSET 10");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, sum(amount) AS __sg_c1, max(amount) AS __sg_c2, sum(amount) AS __sg_c3, "
	         "count(amount) AS __sg_n1 FROM orders GROUP BY region");
	ncols(p, 4, 2, 5);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 1, SQL_AGG_AVG, 1, 4, "avg");
	col_is(p, 2, SQL_AGG_MAX, 2, -1, "max");
	col_is(p, 3, SQL_AGG_SUM, 3, -1, "sum");
	assert_int_equal(p->nkeys, 4);
	key_is(p, 0, 1, true, true, "");
	key_is(p, 1, 2, false, false, "");
	key_is(p, 2, 3, false, true, "");
	key_is(p, 3, 0, true, false, "");
	limits(p, 10, 10, 0, 0);
	/* the implicit name "count" of an output column */
	p = plan_of("SELECT region, count(*) FROM orders GROUP BY region ORDER BY count DESC, region COLLATE "
	            "\"C\"");
	key_is(p, 0, 1, true, true, "");
	key_is(p, 1, 0, false, false, "C");
	/* a group expression only ORDER BY uses */
	p = plan_of("SELECT count(*) FROM t GROUP BY a ORDER BY a + 1");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT count(*), a AS __sg_c1, a + 1 AS __sg_c2 FROM t GROUP BY a");
	ncols(p, 3, 1, 3);
	col_is(p, 2, SQL_AGG_NONE, 2, -1, "?column?");
	key_is(p, 0, 2, false, false, "");
}

static void test_grouped_limit_params(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT region, count(*) FROM orders WHERE x = $1 GROUP BY region LIMIT $2 OFFSET $3");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, count(*) FROM orders WHERE x = $1 GROUP BY region OFFSET (0 * $2::bigint) + "
	         "(0 * "
	         "$3::bigint)");
	limits(p, -1, 0, 2, 3);
	p = plan_of("SELECT count(*) FROM orders LIMIT 1 OFFSET $1");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT count(*) FROM orders OFFSET 0 * $1::bigint");
	limits(p, 1, 0, 0, 1);
	p = plan_of("SELECT sum(x) FROM t LIMIT 3 OFFSET 1");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT sum(x) FROM t");
	limits(p, 3, 1, 0, 0);
}

static void test_grouped_count_distinct(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of(
	        "SELECT region, count(DISTINCT user_id), count(*), avg(amount) FROM orders GROUP BY region");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, user_id AS count, count(*), sum(amount) AS __sg_c3, count(amount) AS "
	         "__sg_n3 FROM "
	         "orders GROUP BY region, user_id");
	ncols(p, 4, 4, 5);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 1, SQL_AGG_COUNT_DISTINCT, 1, -1, "count");
	col_is(p, 2, SQL_AGG_COUNT, 2, -1, "count");
	col_is(p, 3, SQL_AGG_AVG, 3, 4, "avg");
	/* no GROUP BY: the distinct expression becomes the shards' grouping */
	p = plan_of("SELECT count(DISTINCT lower(email)) AS users FROM accounts HAVING count(DISTINCT "
	            "lower(email)) > 2");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT lower(email) AS users FROM accounts GROUP BY lower(email)");
	ncols(p, 1, 1, 1);
	col_is(p, 0, SQL_AGG_COUNT_DISTINCT, 0, -1, "users");
	hv_cmp(p->having, 0, SQL_CMP_GT, "2", -1);
	/* FILTER: counted where it holds */
	p = plan_of("SELECT count(DISTINCT user_id) FILTER (WHERE paid) AS payers FROM orders");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT CASE WHEN paid THEN user_id END AS payers FROM orders GROUP BY CASE WHEN paid THEN "
	         "user_id "
	         "END");
	col_is(p, 0, SQL_AGG_COUNT_DISTINCT, 0, -1, "payers");
	/* the same expression twice is one */
	p = plan_of("SELECT count(DISTINCT a), count(DISTINCT a) AS again FROM t");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT a AS count, a AS again FROM t GROUP BY a");
	refused("SELECT count(DISTINCT a, b) FROM t", "count(DISTINCT) of several expressions");
	refused("SELECT count(DISTINCT a), count(DISTINCT b) FROM t",
	        "count(DISTINCT) of several expressions");
	refused("SELECT count(DISTINCT a) FILTER (WHERE b), count(DISTINCT a) FROM t",
	        "count(DISTINCT) of several expressions");
	refused("SELECT count(DISTINCT a) FROM t GROUP BY c HAVING count(DISTINCT b) > 1",
	        "count(DISTINCT) of several expressions");
}

static void test_grouped_distinct(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT DISTINCT region, status FROM orders WHERE x > 0 ORDER BY status DESC LIMIT 3");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT DISTINCT region, status FROM orders WHERE x > 0");
	ncols(p, 2, 2, 2);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "region");
	col_is(p, 1, SQL_AGG_NONE, 1, -1, "status");
	key_is(p, 0, 1, true, true, "");
	limits(p, 3, 0, 0, 0);
	/* DISTINCT over groups whose keys are all visible changes nothing */
	p = plan_of("SELECT DISTINCT a, count(*) FROM t GROUP BY a");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT DISTINCT a, count(*) FROM t GROUP BY a");
	ncols(p, 2, 2, 2);
	refused("SELECT DISTINCT count(*) FROM t GROUP BY a",
	        "SELECT DISTINCT with a GROUP BY expression not in the select list");
	refused("SELECT DISTINCT a FROM t ORDER BY b",
	        "ORDER BY an expression not in the SELECT DISTINCT list");
	refused("SELECT DISTINCT * FROM t", "* in a grouped query");
}

static void test_grouped_names(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT '1'::int, x::text, 1, CASE WHEN x THEN 1 END, CASE WHEN x THEN 1 ELSE y END, "
	            "(SELECT z FROM "
	            "q), EXISTS (SELECT 1), coalesce(a, b), current_date, t.\"Mixed\", greatest(a, b), "
	            "nullif(a, b), "
	            "ARRAY[a], a[1], (r).f, CAST(a AS numeric(10,2)), a COLLATE \"C\", count(*) FROM t "
	            "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17");
	assert_int_equal(p->ncols, 18);
	col_is(p, 0, SQL_AGG_NONE, 0, -1, "int4");
	col_is(p, 1, SQL_AGG_NONE, 1, -1, "x");
	col_is(p, 2, SQL_AGG_NONE, 2, -1, "?column?");
	col_is(p, 3, SQL_AGG_NONE, 3, -1, "case");
	col_is(p, 4, SQL_AGG_NONE, 4, -1, "y");
	col_is(p, 5, SQL_AGG_NONE, 5, -1, "z");
	col_is(p, 6, SQL_AGG_NONE, 6, -1, "exists");
	col_is(p, 7, SQL_AGG_NONE, 7, -1, "coalesce");
	col_is(p, 8, SQL_AGG_NONE, 8, -1, "current_date");
	col_is(p, 9, SQL_AGG_NONE, 9, -1, "Mixed");
	col_is(p, 10, SQL_AGG_NONE, 10, -1, "greatest");
	col_is(p, 11, SQL_AGG_NONE, 11, -1, "nullif");
	col_is(p, 12, SQL_AGG_NONE, 12, -1, "array");
	col_is(p, 13, SQL_AGG_NONE, 13, -1, "a");
	col_is(p, 14, SQL_AGG_NONE, 14, -1, "f");
	col_is(p, 15, SQL_AGG_NONE, 15, -1, "a");
	col_is(p, 16, SQL_AGG_NONE, 16, -1, "a");
	col_is(p, 17, SQL_AGG_COUNT, 17, -1, "count");
}

/* ---- HAVING ---- */

static void test_having_simple(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT count(*) FROM orders GROUP BY region HAVING sum(amount) > 100");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT count(*), region AS __sg_c1, sum(amount) AS __sg_c2 FROM orders GROUP BY region");
	ncols(p, 3, 1, 3);
	col_is(p, 2, SQL_AGG_SUM, 2, -1, "sum");
	hv_cmp(p->having, 2, SQL_CMP_GT, "100", -1);
	/* matches the visible aggregate: nothing added */
	p = plan_of("SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) <> 3");
	ncols(p, 2, 2, 2);
	hv_cmp(p->having, 1, SQL_CMP_NE, "3", -1);
	p = plan_of("SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) != 3");
	hv_cmp(p->having, 1, SQL_CMP_NE, "3", -1);
	p = plan_of("SELECT region FROM orders GROUP BY region HAVING region = 'europe'");
	hv_cmp(p->having, 0, SQL_CMP_EQ, "europe", -1);
}

static void test_having_flip_and_types(void **state)
{
	const sql_merge_plan_t *p;
	const sql_having_t *h;

	(void)state;
	p = plan_of("SELECT a FROM t GROUP BY a HAVING 5 <= max(x) AND 2.5 > avg(y) AND 'k' = min(s) AND -5 "
	            "< count(*)");
	ncols(p, 5, 1, 6);
	h = p->having;
	hv_bin(h, SQL_HV_AND);
	hv_cmp(h->right, 4, SQL_CMP_GT, "-5", -1);
	hv_bin(h->left, SQL_HV_AND);
	hv_cmp(h->left->right, 3, SQL_CMP_EQ, "k", -1);
	hv_bin(h->left->left, SQL_HV_AND);
	hv_cmp(h->left->left->left, 1, SQL_CMP_GE, "5", -1);
	hv_cmp(h->left->left->right, 2, SQL_CMP_LT, "2.5", -1);
	col_is(p, 2, SQL_AGG_AVG, 2, 5, "avg");
	/* typecast constants keep their text; NULL is SQL NULL */
	p = plan_of("SELECT a FROM t GROUP BY a HAVING max(d) >= '2024-01-01'::date OR min(x) = NULL OR "
	            "max(b) = true");
	hv_bin(p->having, SQL_HV_OR);
	hv_cmp(p->having->right, 3, SQL_CMP_EQ, "true", -1);
	hv_cmp(p->having->left->left, 1, SQL_CMP_GE, "2024-01-01", -1);
	hv_cmp(p->having->left->right, 2, SQL_CMP_EQ, NULL, -1);
}

static void test_having_tree(void **state)
{
	const sql_merge_plan_t *p;
	const sql_having_t *h;

	(void)state;
	p = plan_of("SELECT region, count(*) FROM orders GROUP BY region HAVING (count(*) > 1 AND NOT "
	            "sum(amount) < "
	            "10.5) OR region IS NULL OR max(amount) IS NOT NULL");
	mode_sql(p, SQL_MERGE_GROUPED,
	         "SELECT region, count(*), sum(amount) AS __sg_c2, max(amount) AS __sg_c3 FROM orders GROUP "
	         "BY "
	         "region");
	h = p->having;
	hv_bin(h, SQL_HV_OR);
	assert_int_equal(h->right->op, SQL_HV_NOTNULL);
	assert_int_equal(h->right->col, 3);
	hv_bin(h->left, SQL_HV_OR);
	assert_int_equal(h->left->right->op, SQL_HV_ISNULL);
	assert_int_equal(h->left->right->col, 0);
	hv_bin(h->left->left, SQL_HV_AND);
	hv_cmp(h->left->left->left, 1, SQL_CMP_GT, "1", -1);
	hv_bin(h->left->left->right, SQL_HV_NOT);
	hv_cmp(h->left->left->right->left, 2, SQL_CMP_LT, "10.5", -1);
}

static void test_having_columns(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT a, max(b) FROM t GROUP BY a HAVING max(b) > min(c)");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT a, max(b), min(c) AS __sg_c2 FROM t GROUP BY a");
	hv_cmp(p->having, 1, SQL_CMP_GT, NULL, 2);
	p = plan_of("SELECT a FROM t GROUP BY a, b HAVING a < b");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT a, b AS __sg_c1 FROM t GROUP BY a, b");
	hv_cmp(p->having, 0, SQL_CMP_LT, NULL, 1);
	/* a group expression HAVING alone uses */
	p = plan_of("SELECT a, count(*) FROM t GROUP BY a HAVING a + 1 > 2");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT a, count(*), a + 1 AS __sg_c2 FROM t GROUP BY a");
	hv_cmp(p->having, 2, SQL_CMP_GT, "2", -1);
	/* a boolean aggregate is a condition by itself */
	p = plan_of("SELECT a FROM t GROUP BY a HAVING bool_and(ok)");
	mode_sql(p, SQL_MERGE_GROUPED, "SELECT a, bool_and(ok) AS __sg_c1 FROM t GROUP BY a");
	hv_cmp(p->having, 1, SQL_CMP_EQ, "true", -1);
}

static void test_having_between_in(void **state)
{
	const sql_merge_plan_t *p;
	const sql_having_t *h;

	(void)state;
	p = plan_of(
	        "SELECT region, count(*) FROM orders GROUP BY 1 HAVING count(*) BETWEEN 2 AND 3 OR region IN "
	        "('eu', 'us')");
	h = p->having;
	hv_bin(h, SQL_HV_OR);
	hv_bin(h->left, SQL_HV_AND);
	hv_cmp(h->left->left, 1, SQL_CMP_GE, "2", -1);
	hv_cmp(h->left->right, 1, SQL_CMP_LE, "3", -1);
	hv_bin(h->right, SQL_HV_OR);
	hv_cmp(h->right->left, 0, SQL_CMP_EQ, "eu", -1);
	hv_cmp(h->right->right, 0, SQL_CMP_EQ, "us", -1);
	p = plan_of("SELECT region, count(*) FROM orders GROUP BY 1 HAVING count(*) NOT BETWEEN 2 AND 3 AND "
	            "region NOT "
	            "IN ('eu', 'us')");
	h = p->having;
	hv_bin(h, SQL_HV_AND);
	hv_bin(h->left, SQL_HV_OR);
	hv_cmp(h->left->left, 1, SQL_CMP_LT, "2", -1);
	hv_cmp(h->left->right, 1, SQL_CMP_GT, "3", -1);
	hv_bin(h->right, SQL_HV_AND);
	hv_cmp(h->right->left, 0, SQL_CMP_NE, "eu", -1);
	hv_cmp(h->right->right, 0, SQL_CMP_NE, "us", -1);
}

/* A parameter as the constant: the engine fills it in from the Bind. */
static void test_having_param(void **state)
{
	const sql_merge_plan_t *p;

	(void)state;
	p = plan_of("SELECT a, count(*) FROM t WHERE b > $1 GROUP BY a HAVING $2 < count(*)");
	assert_int_equal(p->having->op, SQL_HV_CMP);
	assert_int_equal(p->having->cmp, SQL_CMP_GT);
	assert_int_equal(p->having->col, 1);
	assert_int_equal(p->having->param, 2);
	assert_null(p->having->constant);
	assert_string_equal(p->shard_sql, "SELECT a, count(*) FROM t WHERE b > $1 GROUP BY a");
	p = plan_of("SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 3");
	assert_int_equal(p->having->param, 0);
}

static void test_having_refusals(void **state)
{
	(void)state;
	refused("SELECT a, count(*) FROM t GROUP BY a HAVING sum(x) / count(*) > 2",
	        "HAVING with an aggregate inside an expression");
	refused("SELECT a, count(*) FROM t GROUP BY a HAVING a LIKE 'x%'", "HAVING with LIKE");
	refused("SELECT a, count(*) FROM t GROUP BY a HAVING count(*) IS DISTINCT FROM 3",
	        "HAVING with IS DISTINCT FROM");
	refused("SELECT a, count(*) FROM t GROUP BY a HAVING a IN (SELECT b FROM u)",
	        "HAVING with a subquery");
	refused("SELECT a FROM t GROUP BY a HAVING 1 < 2", "HAVING with a comparison of constants");
	refused("SELECT a FROM t GROUP BY a HAVING true", "HAVING with a constant condition");
	refused("SELECT a FROM t GROUP BY a HAVING count(*) + 1", "HAVING with operator +");
	refused("SELECT a FROM t GROUP BY a HAVING (count(*) > 1) IS TRUE",
	        "HAVING with IS TRUE/FALSE/UNKNOWN");
	refused("SELECT a FROM t GROUP BY a HAVING CASE WHEN a THEN true END", "HAVING with CASE");
	refused("SELECT a FROM t GROUP BY a HAVING f(a)", "HAVING with a function call");
	refused("SELECT a FROM t GROUP BY a HAVING count(*) = ANY('{1,2}')", "HAVING with ANY");
	refused("SELECT count(*) FROM t HAVING x > 2",
	        "HAVING with an expression that is neither an aggregate nor grouped");
	refused("SELECT a FROM t GROUP BY a HAVING stddev(x) > 1", "stddev");
}

/* ---- refusals ---- */

static void test_refuse_windows_and_aggregates(void **state)
{
	(void)state;
	refused("SELECT id, row_number() OVER (ORDER BY id) FROM orders", "window functions");
	refused("SELECT count(*) OVER () FROM t", "window functions");
	refused("SELECT sum(x) OVER w FROM t WINDOW w AS (PARTITION BY y)", "window functions");
	refused("SELECT * FROM (SELECT rank() OVER (ORDER BY x) FROM t) s", "window functions");
	refused("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders", "percentile_cont");
	refused("SELECT mode() WITHIN GROUP (ORDER BY x) FROM t", "mode");
	refused("SELECT array_agg(id) FROM orders", "array_agg");
	refused("SELECT string_agg(name, ',') FROM users", "string_agg");
	refused("SELECT stddev(amount) FROM orders", "stddev");
	refused("SELECT json_agg(x) FROM t", "json_agg");
	refused("SELECT region, variance(x) FROM t GROUP BY region", "variance");
	refused("SELECT sum(amount ORDER BY id) FROM orders", "sum(... ORDER BY ...)");
	refused("SELECT count(x ORDER BY y) FROM t", "count(... ORDER BY ...)");
	refused("SELECT sum(DISTINCT amount) FROM orders", "sum(DISTINCT)");
	refused("SELECT avg(DISTINCT amount) FROM orders", "avg(DISTINCT)");
	refused("SELECT min(DISTINCT amount) FROM orders", "min(DISTINCT)");
	refused("SELECT max(DISTINCT amount) FROM orders", "max(DISTINCT)");
	refused("SELECT a FROM t GROUP BY a ORDER BY grouping(a)", "GROUPING");
}

static void test_refuse_grouping_and_shapes(void **state)
{
	(void)state;
	refused("SELECT a, count(*) FROM t GROUP BY ROLLUP (a)", "ROLLUP");
	refused("SELECT a, count(*) FROM t GROUP BY CUBE (a)", "CUBE");
	refused("SELECT a, count(*) FROM t GROUP BY GROUPING SETS ((a), ())", "GROUPING SETS");
	refused("SELECT DISTINCT ON (a) a, b FROM t", "DISTINCT ON");
	refused("SELECT *, count(*) FROM t GROUP BY a", "* in a grouped query");
	refused("SELECT t.*, count(*) FROM t GROUP BY a", "* in a grouped query");
	refused("SELECT * INTO newt FROM t", "SELECT INTO");
	refused("SELECT * FROM orders FOR UPDATE", "FOR UPDATE");
	refused("SELECT * FROM orders FOR SHARE", "FOR SHARE");
	refused("SELECT * FROM orders o FOR NO KEY UPDATE OF o", "FOR NO KEY UPDATE");
	refused("SELECT * FROM t ORDER BY a USING <", "ORDER BY USING");
	refused("SELECT 1; SELECT 2", "several statements");
	refused("INSERT INTO t VALUES (1)", "a statement other than SELECT");
}

static void test_refuse_subqueries(void **state)
{
	(void)state;
	refused("SELECT * FROM (SELECT a, count(*) FROM t GROUP BY a) s",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("SELECT * FROM (SELECT a FROM t GROUP BY a) s",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("WITH c AS (SELECT DISTINCT a FROM t) SELECT * FROM c",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("SELECT * FROM t WHERE a IN (SELECT max(b) FROM u)",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u LIMIT 1)",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("SELECT a, (SELECT count(*) FROM u WHERE u.a = t.a) FROM t",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("SELECT count(*) FROM t WHERE a IN (SELECT a FROM u OFFSET 1)",
	        "a subquery with aggregates, DISTINCT or LIMIT");
	refused("SELECT * FROM (SELECT a FROM t UNION SELECT a FROM u) s", "a subquery with UNION");
	refused("SELECT * FROM t WHERE a IN (SELECT a FROM u INTERSECT SELECT a FROM v)",
	        "a subquery with INTERSECT");
	/* plain subqueries are fine, also in a grouped query */
	plan_of("SELECT region, count(*) FROM orders WHERE user_id IN (SELECT id FROM users WHERE vip) GROUP "
	        "BY region");
	mode_sql(cur, SQL_MERGE_GROUPED,
	         "SELECT region, count(*) FROM orders WHERE user_id IN (SELECT id FROM users WHERE vip) "
	         "GROUP BY "
	         "region");
}

static void test_refuse_limits(void **state)
{
	(void)state;
	refused("SELECT * FROM t LIMIT 1 + 1", "LIMIT expression");
	refused("SELECT * FROM t LIMIT $1::int", "LIMIT expression");
	refused("SELECT * FROM t OFFSET (SELECT 1)", "OFFSET expression");
	refused("SELECT * FROM t LIMIT 2.5", "LIMIT expression");
	refused("SELECT * FROM t LIMIT -1", "a negative LIMIT");
	refused("SELECT * FROM t ORDER BY a FETCH FIRST 3 ROWS WITH TIES", "WITH TIES");
}

static void test_bad_input(void **state)
{
	sql_merge_plan_t *p = NULL;
	char err[128];

	(void)state;
	assert_int_equal(sql_merge_plan_build("SELEC 1", &p, err, sizeof(err)), SG_EPROTO);
	assert_null(p);
	assert_string_equal(err, "syntax error at or near \"SELEC\"");
	assert_int_equal(sql_merge_plan_build(NULL, &p, err, sizeof(err)), SG_EPROTO);
	assert_int_equal(sql_merge_plan_build("SELECT 1", NULL, err, sizeof(err)), SG_EPROTO);
	/* no room for a message is fine */
	assert_int_equal(sql_merge_plan_build("SELECT array_agg(x) FROM t", &p, NULL, 0), SG_ENOTSUP);
	assert_int_equal(sql_merge_plan_build("SELECT array_agg(x) FROM t", &p, err, 4), SG_ENOTSUP);
	assert_string_equal(err, "arr");
	sql_merge_plan_free(NULL);
}

/* Deep nesting parses on the planner's own large stack. */
static void test_deep_nesting(void **state)
{
	size_t depth = 3000, i, n = 0;
	char *sql = malloc(depth * 2 + 64);
	const sql_merge_plan_t *p;

	(void)state;
	assert_non_null(sql);
	n += (size_t)sprintf(sql, "SELECT id FROM t ORDER BY ");
	for (i = 0; i < depth; i++)
		sql[n++] = '(';
	sql[n++] = 'x';
	for (i = 0; i < depth; i++)
		sql[n++] = ')';
	strcpy(sql + n, " LIMIT 1 OFFSET 1");
	p = plan_of(sql);
	assert_int_equal(p->mode, SQL_MERGE_SORTED);
	assert_int_equal(p->nhidden, 1);
	mode_sql(p, SQL_MERGE_SORTED, "SELECT id, x AS __sg_sort_0 FROM t ORDER BY x LIMIT 2");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_concat_plain, teardown),
	        cmocka_unit_test_teardown(test_concat_limit_const, teardown),
	        cmocka_unit_test_teardown(test_concat_limit_param, teardown),
	        cmocka_unit_test_teardown(test_union_all, teardown),
	        cmocka_unit_test_teardown(test_sorted_visible, teardown),
	        cmocka_unit_test_teardown(test_sorted_position_alias_expr, teardown),
	        cmocka_unit_test_teardown(test_sorted_hidden, teardown),
	        cmocka_unit_test_teardown(test_sorted_star, teardown),
	        cmocka_unit_test_teardown(test_sorted_collate, teardown),
	        cmocka_unit_test_teardown(test_sorted_limit, teardown),
	        cmocka_unit_test_teardown(test_grouped_every_aggregate, teardown),
	        cmocka_unit_test_teardown(test_grouped_avg, teardown),
	        cmocka_unit_test_teardown(test_grouped_filter, teardown),
	        cmocka_unit_test_teardown(test_grouped_group_by, teardown),
	        cmocka_unit_test_teardown(test_grouped_hidden_group_keys, teardown),
	        cmocka_unit_test_teardown(test_grouped_order_by_hidden, teardown),
	        cmocka_unit_test_teardown(test_grouped_limit_params, teardown),
	        cmocka_unit_test_teardown(test_grouped_count_distinct, teardown),
	        cmocka_unit_test_teardown(test_grouped_distinct, teardown),
	        cmocka_unit_test_teardown(test_grouped_names, teardown),
	        cmocka_unit_test_teardown(test_having_simple, teardown),
	        cmocka_unit_test_teardown(test_having_flip_and_types, teardown),
	        cmocka_unit_test_teardown(test_having_tree, teardown),
	        cmocka_unit_test_teardown(test_having_columns, teardown),
	        cmocka_unit_test_teardown(test_having_between_in, teardown),
	        cmocka_unit_test_teardown(test_having_param, teardown),
	        cmocka_unit_test_teardown(test_having_refusals, teardown),
	        cmocka_unit_test_teardown(test_refuse_windows_and_aggregates, teardown),
	        cmocka_unit_test_teardown(test_refuse_grouping_and_shapes, teardown),
	        cmocka_unit_test_teardown(test_refuse_subqueries, teardown),
	        cmocka_unit_test_teardown(test_refuse_limits, teardown),
	        cmocka_unit_test_teardown(test_bad_input, teardown),
	        cmocka_unit_test_teardown(test_deep_nesting, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
