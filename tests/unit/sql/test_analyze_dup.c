/* test_analyze_dup.c — rows_per_shard_unsafe / dup_reason: can a SELECT
 * run on several shards return some rows once per shard? orders,
 * regional_metrics, metrics, sales.invoices are sharded; countries is
 * replicated; plain_t is not in the spec. */
#include "analyze_harness.h"

static const char R_FROM[] =
        "its FROM clause reads no sharded table (a sharded table is read only in a subquery)";
static const char R_OUTER[] = "an outer join keeps rows of a table that is not sharded";
static const char R_SETOP[] = "a UNION/INTERSECT/EXCEPT branch reads no sharded table in its FROM clause";
static const char R_COMPLEX[] = "its FROM clause is too complex to check";

/* The statement's kind and flag; why NULL: not flagged. */
static void expect_flag(const char *sql, sql_kind_t kind, const char *why)
{
	const sql_stmt_t *st = analyze_one(sql);

	assert_int_equal(st->kind, kind);
	if (why == NULL && st->rows_per_shard_unsafe)
		fail_msg("flagged (%s): %s", st->dup_reason, sql);
	if (why != NULL && !st->rows_per_shard_unsafe)
		fail_msg("not flagged: %s", sql);
	if (why == NULL)
		assert_null(st->dup_reason);
	else
		assert_string_equal(st->dup_reason, why);
}

static void expect_unsafe(const char *sql, const char *why)
{
	expect_flag(sql, SQLK_SELECT, why);
}

static void expect_safe(const char *sql)
{
	expect_flag(sql, SQLK_SELECT, NULL);
}

static void test_outer_joins(void **state)
{
	(void)state;
	expect_unsafe("SELECT c.name FROM countries c LEFT JOIN orders o ON o.region = c.code", R_OUTER);
	expect_unsafe("SELECT o.id FROM orders o RIGHT JOIN countries c ON o.region = c.code", R_OUTER);
	expect_unsafe("SELECT o.id FROM orders o FULL JOIN countries c ON o.region = c.code", R_OUTER);
	expect_unsafe("SELECT * FROM countries c FULL JOIN orders o ON o.region = c.code", R_OUTER);
	expect_unsafe("SELECT * FROM plain_t p LEFT JOIN orders o ON o.id = p.id", R_OUTER);
	expect_unsafe("SELECT * FROM countries c LEFT JOIN (SELECT * FROM orders) o ON o.region = c.code",
	              R_OUTER);
	/* The sharded side lost deeper in the tree, then joined inner. */
	expect_unsafe("SELECT * FROM countries c JOIN (plain_t p LEFT JOIN orders o ON o.id = p.id) ON true",
	              R_OUTER);
	/* Preserved side of an outer join with a replicated table: fine. */
	expect_safe("SELECT * FROM orders o LEFT JOIN countries c ON o.region = c.code");
	expect_safe("SELECT * FROM countries c RIGHT JOIN orders o ON o.region = c.code");
	expect_safe("SELECT * FROM orders o LEFT JOIN countries c ON o.region = c.code "
	            "LEFT JOIN plain_t p ON p.id = o.id");
	/* Two sharded tables: co-location is the user's business. */
	expect_safe("SELECT * FROM orders o FULL JOIN regional_metrics r ON r.region = o.region");
	expect_safe("SELECT * FROM orders a JOIN orders b ON a.user_id = b.user_id");
	expect_safe(
	        "SELECT * FROM countries c LEFT JOIN orders o ON o.region = c.code JOIN metrics m ON true");
}

static void test_inner_and_comma(void **state)
{
	(void)state;
	expect_safe("SELECT * FROM orders");
	expect_safe("TABLE orders");
	expect_safe("SELECT * FROM sales.invoices");
	expect_safe("SELECT * FROM orders o JOIN countries c ON o.region = c.code");
	expect_safe("SELECT * FROM countries c JOIN orders o ON o.region = c.code");
	expect_safe("SELECT * FROM countries c, orders o WHERE o.region = c.code");
	expect_safe("SELECT * FROM countries c CROSS JOIN orders o");
	expect_safe("SELECT * FROM countries c NATURAL JOIN orders o");
	expect_safe("SELECT * FROM generate_series(1, 3) g, orders o");
	expect_safe("SELECT * FROM orders TABLESAMPLE SYSTEM (10)");
	expect_safe("SELECT * FROM countries c, LATERAL (SELECT * FROM orders o WHERE o.region = c.code) x");
	expect_safe("SELECT * FROM (countries c JOIN orders o ON o.region = c.code) AS j");
	/* No sharded table: never needs several shards, never flagged. */
	expect_safe("SELECT * FROM countries c LEFT JOIN plain_t p ON true");
	expect_safe("SELECT 1");
	expect_safe("VALUES (1), (2)");
	/* A sharded table written with an unknown schema is not the spec's. */
	expect_safe("SELECT * FROM countries c LEFT JOIN other.invoices i ON true");
}

static void test_sublinks(void **state)
{
	(void)state;
	expect_unsafe("SELECT name FROM countries WHERE code IN (SELECT region FROM orders)", R_FROM);
	expect_unsafe(
	        "SELECT * FROM countries c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.region = c.code)",
	        R_FROM);
	expect_unsafe("SELECT (SELECT count(*) FROM orders)", R_FROM);
	expect_unsafe(
	        "SELECT c.code, (SELECT max(id) FROM orders o WHERE o.region = c.code) FROM countries c",
	        R_FROM);
	expect_unsafe("SELECT * FROM generate_series(1, 3) g WHERE g IN (SELECT id FROM orders)", R_FROM);
	expect_unsafe("VALUES ((SELECT 1 FROM orders LIMIT 1))", R_FROM);
	expect_unsafe("SELECT * FROM plain_t WHERE id = ANY (SELECT id FROM metrics)", R_FROM);
	/* Sublinks on replicated tables inside a sharded FROM: fine. */
	expect_safe("SELECT * FROM orders o WHERE o.region IN (SELECT code FROM countries)");
	expect_safe(
	        "SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM countries c WHERE c.code = o.region)");
	expect_safe("SELECT o.id, (SELECT name FROM countries c WHERE c.code = o.region) FROM orders o");
	expect_safe("SELECT * FROM orders o WHERE NOT EXISTS (SELECT 1 FROM countries c LEFT JOIN orders x "
	            "ON x.id = c.id WHERE c.code = o.region)");
}

static void test_subqueries_and_ctes(void **state)
{
	(void)state;
	expect_safe("SELECT * FROM (SELECT * FROM orders o LEFT JOIN countries c ON o.region = c.code) s");
	expect_safe("SELECT * FROM (SELECT * FROM (SELECT id FROM orders) a) b, countries");
	expect_safe("WITH o AS (SELECT * FROM orders) SELECT * FROM o LEFT JOIN countries c ON c.code = "
	            "o.region");
	expect_safe("WITH a AS (SELECT * FROM orders), b AS (SELECT * FROM a JOIN countries c ON true) "
	            "SELECT * FROM countries LEFT JOIN plain_t ON true, b");
	/* A CTE named like a sharded table hides it. */
	expect_unsafe("WITH orders AS (SELECT * FROM countries) SELECT * FROM orders WHERE id IN "
	              "(SELECT id FROM metrics)",
	              R_FROM);
	/* ... unless written with its schema (then it is the table). */
	expect_safe("WITH invoices AS (SELECT * FROM countries) SELECT * FROM sales.invoices");
	expect_unsafe("SELECT * FROM (SELECT * FROM countries) c LEFT JOIN orders o ON o.region = c.code",
	              R_OUTER);
	expect_unsafe("WITH c AS (SELECT * FROM countries) SELECT * FROM c WHERE code IN (SELECT region FROM "
	              "orders)",
	              R_FROM);
	expect_unsafe("WITH x AS (SELECT * FROM countries c LEFT JOIN orders o ON o.region = c.code) "
	              "SELECT * FROM x",
	              R_OUTER);
	/* The CTE a subquery sees is the nearest one. */
	expect_unsafe("WITH x AS (SELECT * FROM orders) SELECT * FROM (WITH x AS (SELECT * FROM countries) "
	              "SELECT * FROM x) s WHERE s.id IN (SELECT id FROM x)",
	              R_FROM);
	/* A later CTE of a plain WITH is not visible to an earlier one: the
	 * name is the table. */
	expect_safe("WITH a AS (SELECT * FROM orders), orders AS (SELECT * FROM countries) SELECT * FROM a");
	/* Data-modifying CTEs: rows of their target. */
	expect_safe("WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d");
	expect_safe("WITH u AS (UPDATE orders SET note = 'x' RETURNING *) SELECT * FROM u, countries");
	expect_unsafe("WITH i AS (INSERT INTO orders (user_id) VALUES (1) RETURNING *) SELECT * FROM i",
	              R_FROM);
	expect_unsafe("WITH d AS (DELETE FROM countries RETURNING *) SELECT * FROM d JOIN plain_t ON true "
	              "WHERE d.code IN (SELECT region FROM orders)",
	              R_FROM);
}

static void test_recursive(void **state)
{
	(void)state;
	/* Every row of the recursive branch extends a row of orders. */
	expect_safe("WITH RECURSIVE t(id, n) AS (SELECT id, 1 FROM orders UNION ALL "
	            "SELECT t.id, n + 1 FROM t JOIN countries c ON true WHERE n < 3) SELECT * FROM t");
	/* The non-recursive branch reads no sharded table. */
	expect_unsafe("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t, orders WHERE n < 3) "
	              "SELECT * FROM t",
	              R_SETOP);
	expect_unsafe("WITH RECURSIVE t(code) AS (SELECT code FROM countries UNION ALL "
	              "SELECT c.code FROM t JOIN countries c ON false) SELECT * FROM t WHERE code IN "
	              "(SELECT region FROM orders)",
	              R_SETOP);
}

static void test_set_operations(void **state)
{
	(void)state;
	expect_unsafe("SELECT id FROM orders UNION ALL SELECT id FROM countries", R_SETOP);
	expect_unsafe("SELECT id FROM countries UNION ALL SELECT id FROM orders", R_SETOP);
	expect_unsafe("SELECT id FROM orders UNION ALL SELECT 1", R_SETOP);
	expect_unsafe("SELECT id FROM orders UNION ALL VALUES (1)", R_SETOP);
	expect_unsafe("SELECT id FROM orders UNION SELECT id FROM plain_t", R_SETOP);
	expect_unsafe("SELECT id FROM orders EXCEPT SELECT id FROM countries", R_SETOP);
	expect_unsafe(
	        "(SELECT id FROM orders UNION ALL SELECT id FROM metrics) UNION ALL SELECT id FROM countries",
	        R_SETOP);
	expect_unsafe("SELECT * FROM (SELECT id FROM orders UNION ALL SELECT id FROM countries) u", R_SETOP);
	expect_safe("SELECT id FROM orders UNION ALL SELECT id FROM metrics");
	expect_safe("SELECT id FROM orders UNION ALL SELECT o.id FROM countries c JOIN orders o ON true "
	            "UNION ALL SELECT id FROM regional_metrics");
	expect_safe("SELECT * FROM (SELECT id FROM orders UNION ALL SELECT id FROM metrics) u "
	            "LEFT JOIN countries c ON true");
	/* Both branches without a sharded FROM: the subquery reason. */
	expect_unsafe("SELECT 1 UNION ALL SELECT id FROM countries WHERE id IN (SELECT id FROM orders)",
	              R_FROM);
}

static void test_not_select(void **state)
{
	(void)state;
	/* Only SELECTs are checked; EXPLAIN keeps its SELECT's flag. */
	expect_flag("DELETE FROM countries WHERE code IN (SELECT region FROM orders)", SQLK_DELETE, NULL);
	expect_flag("SELECT * INTO t2 FROM countries WHERE code IN (SELECT region FROM orders)", SQLK_DDL,
	            NULL);
	expect_flag("EXPLAIN SELECT * FROM countries c LEFT JOIN orders o ON o.region = c.code", SQLK_EXPLAIN,
	            R_OUTER);
	/* Each statement of a multi-statement text has its own. */
	analyze_n("SELECT * FROM orders; SELECT * FROM countries WHERE code IN (SELECT region FROM orders)",
	          2);
	assert_false(an.stmts[0].rows_per_shard_unsafe);
	assert_true(an.stmts[1].rows_per_shard_unsafe);
	assert_string_equal(an.stmts[1].dup_reason, R_FROM);
}

/* CTEs each naming the previous one twice: 2^40 paths, checked within
 * the step bound, conservatively flagged. */
static void test_bounded(void **state)
{
	char *sql = malloc(8192);
	size_t n = 0;
	int i;

	(void)state;
	assert_non_null(sql);
	n += (size_t)snprintf(sql + n, 8192 - n, "WITH c0 AS (SELECT * FROM countries)");
	for (i = 1; i <= 40; i++)
		n += (size_t)snprintf(sql + n, 8192 - n, ", c%d AS (SELECT * FROM c%d a JOIN c%d b ON true)",
		                      i, i - 1, i - 1);
	snprintf(sql + n, 8192 - n, " SELECT * FROM c40 WHERE EXISTS (SELECT 1 FROM orders)");
	expect_unsafe(sql, R_COMPLEX);
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_outer_joins, teardown),
	        cmocka_unit_test_teardown(test_inner_and_comma, teardown),
	        cmocka_unit_test_teardown(test_sublinks, teardown),
	        cmocka_unit_test_teardown(test_subqueries_and_ctes, teardown),
	        cmocka_unit_test_teardown(test_recursive, teardown),
	        cmocka_unit_test_teardown(test_set_operations, teardown),
	        cmocka_unit_test_teardown(test_not_select, teardown),
	        cmocka_unit_test_teardown(test_bounded, teardown),
	};

	return run_group("analyze_dup", tests, sizeof(tests) / sizeof(tests[0]));
}
