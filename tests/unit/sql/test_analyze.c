/* test_analyze.c — sql_analyze() on queries: which sharded tables a
 * statement reads and the constraints on their sharding columns (names,
 * scopes, joins, subqueries, CTEs, operators, constant folding of time
 * expressions). Statement forms (INSERT, COPY, SET, DDL, hints...) are in
 * test_analyze_stmt.c. */
#include "analyze_harness.h"

/* ---- names and scopes ---- */

static void test_alias_and_qualifiers(void **state)
{
	const sql_stmt_t *st;
	const sql_table_ref_t *r;

	(void)state;
	st = analyze_one("SELECT * FROM orders o WHERE o.user_id = 42");
	assert_int_equal(st->kind, SQLK_SELECT);
	assert_int_equal(st->nrefs, 1);
	assert_false(st->touches_unsharded);
	r = ref_at(st, 0, T_ORDERS, "o");
	assert_false(r->written);
	EQ_INTS(r, 42);

	st = analyze_one("SELECT * FROM orders WHERE 42 = orders.user_id");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 42);
	st = analyze_one("SELECT * FROM public.orders WHERE public.orders.user_id = 7");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 7);
	/* unqualified: the only FROM item */
	st = analyze_one("SELECT * FROM orders WHERE user_id = 3");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 3);
	/* unqualified with another FROM item that may have that column */
	st = analyze_one("SELECT * FROM orders, users WHERE user_id = 3");
	assert_true(st->touches_unsharded);
	assert_int_equal(st->nrefs, 1);
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	/* an aliased table is not named by its table name */
	st = analyze_one("SELECT * FROM orders o WHERE orders.user_id = 3");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
	/* another column, another table's column */
	st = analyze_one("SELECT * FROM orders o, users u WHERE o.id = 3 AND u.user_id = 4");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
}

static void test_quoted_and_schema_names(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("SELECT * FROM \"Orders\" WHERE user_id = 1");
	EQ_INTS(ref_at(st, 0, T_QORDERS, NULL), 1);
	st = analyze_one("SELECT * FROM ORDERS WHERE user_id = 2");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 2);
	st = analyze_one("SELECT * FROM \"orders\" WHERE \"user_id\" = 3");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 3);
	/* "USER_ID" is another column */
	st = analyze_one("SELECT * FROM orders WHERE \"USER_ID\" = 3");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM \"ORDERS\"");
	assert_int_equal(st->nrefs, 0);
	assert_true(st->touches_unsharded);
	/* an unqualified spec matches any schema; a qualified one only its own */
	st = analyze_one("SELECT * FROM archive.orders a WHERE a.user_id = 5");
	EQ_INTS(ref_at(st, 0, T_ORDERS, "a"), 5);
	st = analyze_one("SELECT * FROM sales.invoices i WHERE i.account_id = 9");
	EQ_INTS(ref_at(st, 0, T_INVOICES, "i"), 9);
	st = analyze_one("SELECT * FROM sales.invoices WHERE sales.invoices.account_id = 8");
	EQ_INTS(ref_at(st, 0, T_INVOICES, NULL), 8);
	st = analyze_one("SELECT * FROM invoices WHERE account_id = 9");
	assert_int_equal(st->nrefs, 0);
	assert_true(st->touches_unsharded);
	/* a replicated table is a ref without constraint */
	st = analyze_one("SELECT * FROM countries WHERE code = 'FR'");
	cons_none(ref_at(st, 0, T_COUNTRIES, NULL));
	assert_false(st->touches_unsharded);
	st = analyze_one("SELECT 1");
	assert_int_equal(st->nrefs, 0);
	assert_false(st->touches_unsharded);
}

static void test_joins(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	/* inner join ON conjuncts constrain both sides */
	st = analyze_one(
	        "SELECT * FROM orders o JOIN regional_metrics r ON r.region = 'eu' AND o.user_id = 4");
	EQ_INTS(ref_at(st, 0, T_ORDERS, "o"), 4);
	value_text(&ref_at(st, 1, T_REGIONAL, "r")->values[0], "eu", NULL);
	/* equal sharding columns share constraints */
	st = analyze_one(
	        "SELECT * FROM orders a JOIN orders b ON a.user_id = b.user_id WHERE b.user_id IN (1, 2)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, "a"), 1, 2);
	EQ_INTS(ref_at(st, 1, T_ORDERS, "b"), 1, 2);
	st = analyze_one("SELECT * FROM orders a, orders b WHERE a.user_id = b.user_id AND a.user_id = 5 AND "
	                 "b.user_id IN (5, 6)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, "a"), 5);
	EQ_INTS(ref_at(st, 1, T_ORDERS, "b"), 5);
	/* LEFT JOIN: ON filters only the nullable side */
	st = analyze_one(
	        "SELECT * FROM orders o LEFT JOIN regional_metrics r ON r.region = 'eu' AND o.user_id = 3");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
	assert_int_equal(ref_at(st, 1, T_REGIONAL, "r")->cons, SQLC_EQ);
	st = analyze_one(
	        "SELECT * FROM orders o LEFT JOIN orders p ON o.user_id = p.user_id WHERE o.user_id = 1");
	EQ_INTS(ref_at(st, 0, T_ORDERS, "o"), 1);
	cons_none(ref_at(st, 1, T_ORDERS, "p"));
	st = analyze_one(
	        "SELECT * FROM orders o RIGHT JOIN metrics m ON o.user_id = 2 AND m.created_at > now()");
	EQ_INTS(ref_at(st, 0, T_ORDERS, "o"), 2);
	cons_none(ref_at(st, 1, T_METRICS, "m"));
	st = analyze_one("SELECT * FROM orders o FULL JOIN orders p ON o.user_id = 2 AND p.user_id = 2");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
	cons_none(ref_at(st, 1, T_ORDERS, "p"));
	/* WHERE filters a nullable side too (the comparison is strict) */
	st = analyze_one(
	        "SELECT * FROM countries c LEFT JOIN orders o ON o.country = c.code WHERE o.user_id = 8");
	cons_none(ref_at(st, 0, T_COUNTRIES, "c"));
	EQ_INTS(ref_at(st, 1, T_ORDERS, "o"), 8);
	/* (a JOIN b) AS j hides a and b */
	st = analyze_one("SELECT * FROM (orders o JOIN countries c ON true) AS j WHERE j.user_id = 1");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
}

static void test_subqueries(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one(
	        "SELECT * FROM (SELECT * FROM orders WHERE user_id = 4) sub JOIN countries c ON true "
	        "WHERE sub.user_id = 5");
	assert_int_equal(st->nrefs, 2);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 4);
	cons_none(ref_at(st, 1, T_COUNTRIES, "c"));
	st = analyze_one(
	        "SELECT * FROM countries c WHERE c.code IN (SELECT country FROM orders WHERE user_id = 8) "
	        "AND EXISTS (SELECT 1 FROM metrics m WHERE m.created_at >= '2026-11-20'::date)");
	assert_int_equal(st->nrefs, 3);
	cons_none(ref_at(st, 0, T_COUNTRIES, "c"));
	EQ_INTS(ref_at(st, 1, T_ORDERS, NULL), 8);
	assert_int_equal(ref_at(st, 2, T_METRICS, "m")->cons, SQLC_RANGE);
	value_time(&st->refs[2].lo, SQLV_TS, 0, TS_20261120, "date");
	/* an outer reference inside a subquery constrains nothing */
	st = analyze_one(
	        "SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM countries c WHERE o.user_id = 5)");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
	/* a scalar subquery in the target list */
	st = analyze_one("SELECT (SELECT max(user_id) FROM orders WHERE user_id < 10) AS m");
	assert_int_equal(ref_at(st, 0, T_ORDERS, NULL)->cons, SQLC_RANGE);
	value_int(&st->refs[0].hi, 10, NULL);
	assert_false(st->refs[0].hi_incl);
	assert_true(st->has_aggregate);
	/* a subquery's own level: unqualified names resolve there */
	st = analyze_one(
	        "SELECT * FROM orders o WHERE o.user_id IN (SELECT user_id FROM orders WHERE user_id = 3)");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
	EQ_INTS(ref_at(st, 1, T_ORDERS, NULL), 3);
}

static void test_ctes(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	/* the outer "orders" is the CTE, the inner one the table */
	st = analyze_one("WITH orders AS (SELECT * FROM orders WHERE user_id = 1) SELECT * FROM orders WHERE "
	                 "user_id = 2");
	assert_int_equal(st->nrefs, 1);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 1);
	assert_false(st->touches_unsharded);
	st = analyze_one("WITH a AS (SELECT * FROM orders WHERE user_id = 6), b AS (SELECT * FROM a) "
	                 "SELECT * FROM b JOIN metrics m ON true");
	assert_int_equal(st->nrefs, 2);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 6);
	cons_none(ref_at(st, 1, T_METRICS, "m"));
	st = analyze_one("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT "
	                 "* FROM t");
	assert_int_equal(st->nrefs, 0);
	assert_false(st->touches_unsharded);
	/* a data-modifying CTE writes */
	st = analyze_one("WITH d AS (DELETE FROM orders WHERE user_id = 2 RETURNING *) SELECT * FROM d");
	assert_int_equal(st->kind, SQLK_SELECT);
	assert_true(ref_at(st, 0, T_ORDERS, NULL)->written);
	EQ_INTS(&st->refs[0], 2);
}

/* ---- operators ---- */

static void test_in_any(void **state)
{
	const sql_stmt_t *st;
	const sql_table_ref_t *r;

	(void)state;
	st = analyze_one("SELECT * FROM orders WHERE user_id IN (3, 1, 3, NULL, 2)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 3, 1, 2);
	st = analyze_one("SELECT * FROM orders WHERE user_id NOT IN (1, 2)");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id IN (1, $1, '7')");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->nvalues, 3);
	value_int(&r->values[0], 1, NULL);
	value_param(&r->values[1], 1, NULL);
	value_text(&r->values[2], "7", NULL);
	st = analyze_one("SELECT * FROM orders WHERE user_id IN (1, user_id + 1)");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));

	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY($2::bigint[])");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->cons, SQLC_EQ_ANY_PARAM);
	assert_int_equal(r->nvalues, 1);
	value_param(&r->values[0], 2, "int8[]");
	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY($1)");
	value_param(&ref_at(st, 0, T_ORDERS, NULL)->values[0], 1, NULL);
	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY('{4, 5,\"6\"}'::int8[])");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->nvalues, 3);
	value_int(&r->values[0], 4, "int8");
	value_int(&r->values[2], 6, "int8");
	st = analyze_one("SELECT * FROM regional_metrics WHERE region = ANY('{eu, \"us east\", NULL}')");
	r = ref_at(st, 0, T_REGIONAL, NULL);
	assert_int_equal(r->nvalues, 2);
	value_text(&r->values[0], "eu", NULL);
	value_text(&r->values[1], "us east", NULL);
	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY(ARRAY[7, 8])");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 7, 8);
	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY(ARRAY['7', NULL]::int8[])");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->nvalues, 1);
	value_int(&r->values[0], 7, "int8");
	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY('{}')");
	eq_empty(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id = ANY('{{1,2},{3,4}}')");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id <> ALL('{1}') AND user_id > ANY('{5}')");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	/* typed values intersect: IN ∩ ANY */
	st = analyze_one(
	        "SELECT * FROM orders WHERE user_id IN (1, 2, 3) AND user_id = ANY('{2,3,4}'::int8[])");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 2, 3);
}

static void test_ranges(void **state)
{
	const sql_stmt_t *st;
	const sql_table_ref_t *r;

	(void)state;
	st = analyze_one("SELECT * FROM orders WHERE user_id BETWEEN 10 AND 20");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->cons, SQLC_RANGE);
	assert_true(r->has_lo && r->lo_incl && r->has_hi && r->hi_incl);
	value_int(&r->lo, 10, NULL);
	value_int(&r->hi, 20, NULL);
	/* tightest bounds; a flipped comparison */
	st = analyze_one(
	        "SELECT * FROM orders WHERE user_id > 5 AND user_id >= 7 AND 30 > user_id AND user_id <= 40");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_true(r->has_lo);
	assert_true(r->lo_incl);
	assert_true(r->has_hi);
	assert_false(r->hi_incl);
	value_int(&r->lo, 7, NULL);
	value_int(&r->hi, 30, NULL);
	st = analyze_one("SELECT * FROM orders WHERE user_id >= 7 AND user_id > 7");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_false(r->lo_incl);
	assert_false(r->has_hi);
	st = analyze_one("SELECT * FROM orders WHERE user_id NOT BETWEEN 1 AND 2");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	/* equality within a range keeps the values inside it */
	st = analyze_one("SELECT * FROM orders WHERE user_id BETWEEN 1 AND 5 AND user_id IN (0, 3, 5, 7)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 3, 5);
	st = analyze_one("SELECT * FROM orders WHERE user_id < $1");
	value_param(&ref_at(st, 0, T_ORDERS, NULL)->hi, 1, NULL);
	/* text bounds are kept as written (collation decides their order) */
	st = analyze_one("SELECT * FROM metrics WHERE created_at BETWEEN '2026-01-01' AND '2026-02-01'");
	r = ref_at(st, 0, T_METRICS, NULL);
	value_text(&r->lo, "2026-01-01", NULL);
	value_text(&r->hi, "2026-02-01", NULL);
}

static void test_and_or_not(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	/* contradictory equalities: no row, no shard */
	st = analyze_one("SELECT * FROM orders WHERE user_id = 1 AND user_id = 2");
	eq_empty(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id = 1 AND user_id > 5");
	eq_empty(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id = 1 OR user_id = 2 OR user_id IN (2, 3)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 1, 2, 3);
	st = analyze_one(
	        "SELECT * FROM orders WHERE (user_id = 1 AND x = 2) OR (user_id = 4 AND user_id = 4)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 1, 4);
	st = analyze_one("SELECT * FROM orders WHERE user_id = 1 OR x = 2");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id = 1 OR user_id > 5");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE NOT (user_id = 1)");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	/* an OR beside a usable conjunct does not hide it */
	st = analyze_one("SELECT * FROM orders WHERE user_id = 9 AND (x = 1 OR y = 2)");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 9);
	/* IS NOT DISTINCT FROM is equality with a non-null constant */
	st = analyze_one("SELECT * FROM orders WHERE user_id IS NOT DISTINCT FROM 12");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 12);
	/* both sides constant, or no constant at all */
	st = analyze_one("SELECT * FROM orders o, countries c WHERE 1 = 1 AND o.user_id = o.user_id AND "
	                 "o.user_id = c.id "
	                 "AND o.user_id = NULL AND o.user_id = lower('x') AND o.user_id::text = '5'");
	cons_none(ref_at(st, 0, T_ORDERS, "o"));
}

/* ---- literals and casts ---- */

static void test_literals(void **state)
{
	const sql_stmt_t *st;
	const sql_table_ref_t *r;

	(void)state;
	st = analyze_one(
	        "SELECT * FROM orders WHERE user_id IN (-5, 9999999999, '42'::bigint, 42::text, 1.5, "
	        "$3::int8, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 12345678901234567890, "
	        "'x'::varchar(3))");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->cons, SQLC_NONE); /* varchar(3) truncates: not folded, so the list is unknown */
	st = analyze_one(
	        "SELECT * FROM orders WHERE user_id IN (-5, 9999999999, '42'::bigint, 42::text, 1.5, "
	        "$3::int8, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 12345678901234567890, ' 7 '::int4)");
	r = ref_at(st, 0, T_ORDERS, NULL);
	assert_int_equal(r->nvalues, 9);
	value_int(&r->values[0], -5, NULL);
	value_int(&r->values[1], 9999999999, NULL);
	value_int(&r->values[2], 42, "int8");
	value_text(&r->values[3], "42", "text");
	value_text(&r->values[4], "1.5", "numeric");
	value_param(&r->values[5], 3, "int8");
	value_text(&r->values[6], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid");
	value_text(&r->values[7], "12345678901234567890", "numeric");
	value_int(&r->values[8], 7, "int4");
	/* a string that is not an integer cast to one is not folded */
	st = analyze_one("SELECT * FROM orders WHERE user_id = 'x'::bigint");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
	st = analyze_one("SELECT * FROM orders WHERE user_id = 40 + 2");
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 42);
}

/* ---- time folding ---- */

static const sql_table_ref_t *metrics_ref(const char *sql)
{
	const sql_stmt_t *st = analyze_one(sql);
	const sql_table_ref_t *r = ref_at(st, 0, T_METRICS, NULL);

	return r;
}

static void test_time_relative(void **state)
{
	const sql_table_ref_t *r;

	(void)state;
	r = metrics_ref("SELECT * FROM metrics WHERE created_at > now() - interval '3 days'");
	assert_int_equal(r->cons, SQLC_RANGE);
	assert_true(r->has_lo && !r->lo_incl && !r->has_hi);
	value_time(&r->lo, SQLV_NOW_REL, 0, -3 * US_DAY, NULL);
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at >= current_timestamp - '7 days'::interval AND "
	        "created_at < localtimestamp + interval '1 hour 30 minutes'");
	value_time(&r->lo, SQLV_NOW_REL, 0, -7 * US_DAY, NULL);
	value_time(&r->hi, SQLV_NOW_REL, 0, 90 * 60 * US_SEC, NULL);
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at >= statement_timestamp() - '2 weeks'::interval "
	        "AND created_at <= pg_catalog.now() + interval '1 day 02:00:00.5'");
	value_time(&r->lo, SQLV_NOW_REL, 0, -14 * US_DAY, NULL);
	value_time(&r->hi, SQLV_NOW_REL, 0, US_DAY + 2 * US_HOUR + 500000, NULL);
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at > transaction_timestamp() - interval '@ 1 hour ago' "
	        "AND created_at < clock_timestamp()");
	value_time(&r->lo, SQLV_NOW_REL, 0, US_HOUR, NULL);
	value_time(&r->hi, SQLV_NOW_REL, 0, 0, NULL);
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at >= current_date - 7 AND created_at < current_date");
	value_time(&r->lo, SQLV_DATE_REL, -7, 0, NULL);
	value_time(&r->hi, SQLV_DATE_REL, 0, 0, NULL);
	r = metrics_ref("SELECT * FROM metrics WHERE created_at >= current_date - interval '7 days' + "
	                "interval '1 hour'");
	value_time(&r->lo, SQLV_DATE_REL, 0, -7 * US_DAY + US_HOUR, NULL);
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at >= 'yesterday'::timestamptz AND created_at < 'now'");
	value_time(&r->lo, SQLV_DATE_REL, -1, 0, "timestamptz");
	value_text(&r->hi, "now", NULL); /* untyped: the column's type decides */
	r = metrics_ref("SELECT * FROM metrics WHERE created_at = now()");
	assert_int_equal(r->cons, SQLC_EQ);
	value_time(&r->values[0], SQLV_NOW_REL, 0, 0, NULL);
	r = metrics_ref("SELECT * FROM metrics WHERE created_at::date = current_date");
	cons_none(r);
}

/* A month is 28..31 days: relative to now it only bounds loosely. */
static void test_time_months(void **state)
{
	const sql_table_ref_t *r;

	(void)state;
	r = metrics_ref("SELECT * FROM metrics WHERE created_at > now() - interval '1 month'");
	value_time(&r->lo, SQLV_NOW_REL, 0, -35 * US_DAY, NULL);
	r = metrics_ref("SELECT * FROM metrics WHERE created_at < now() - interval '1 month'");
	value_time(&r->hi, SQLV_NOW_REL, 0, -26 * US_DAY, NULL);
	r = metrics_ref("SELECT * FROM metrics WHERE created_at BETWEEN now() - interval '1 year' AND now() "
	                "+ interval '2 mons'");
	value_time(&r->lo, SQLV_NOW_REL, 0, -370 * US_DAY, NULL); /* 365.2425 → 366 + 4 */
	value_time(&r->hi, SQLV_NOW_REL, 0, 65 * US_DAY, NULL);   /* 60.87 → 61 + 4 */
	r = metrics_ref("SELECT * FROM metrics WHERE created_at = now() - interval '1 month'");
	cons_none(r);
	/* an absolute instant uses the calendar: Jan 31 + 1 month = Feb 28 */
	r = metrics_ref("SELECT * FROM metrics WHERE created_at = '2026-01-31'::date + interval '1 month'");
	value_time(&r->values[0], SQLV_TS, 0, INT64_C(1772236800) * US_SEC, "timestamp");
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at = '2024-02-29'::timestamptz + interval '1 year'");
	value_time(&r->values[0], SQLV_TS, 0, INT64_C(1740700800) * US_SEC, "timestamptz");
}

static void test_time_absolute(void **state)
{
	const sql_table_ref_t *r;

	(void)state;
	r = metrics_ref("SELECT * FROM metrics WHERE created_at >= timestamptz '2026-11-20 10:00+02' "
	                "AND created_at < '2026-11-20'::date + 1");
	value_time(&r->lo, SQLV_TS, 0, TS_20261120 + 8 * US_HOUR, "timestamptz");
	value_time(&r->hi, SQLV_TS, 0, TS_20261120 + US_DAY, "date");
	/* timestamp (without time zone) ignores an offset, as PostgreSQL does */
	r = metrics_ref("SELECT * FROM metrics WHERE created_at = timestamp '2026-11-20 10:00:00.000001+02'");
	value_time(&r->values[0], SQLV_TS, 0, TS_20261120 + 10 * US_HOUR + 1, "timestamp");
	r = metrics_ref("SELECT * FROM metrics WHERE created_at = '2026-11-20T10:00:00Z'::timestamptz::date");
	value_time(&r->values[0], SQLV_TS, 0, TS_20261120, "date");
	r = metrics_ref("SELECT * FROM metrics WHERE created_at > 'epoch'::timestamptz");
	value_time(&r->lo, SQLV_TS, 0, 0, "timestamptz");
	r = metrics_ref("SELECT * FROM metrics WHERE created_at > 'infinity'::timestamptz");
	cons_none(r);
	r = metrics_ref(
	        "SELECT * FROM metrics WHERE created_at > '2026-11-20 10:00 Europe/Paris'::timestamptz");
	cons_none(r);
	r = metrics_ref("SELECT * FROM metrics WHERE created_at > $1::timestamptz");
	value_param(&r->lo, 1, "timestamptz");
}

static void test_time_parse_public(void **state)
{
	int64_t ts;

	(void)state;
	assert_int_equal(sql_time_parse("2026-11-20", NULL, &ts), 0);
	assert_int_equal(ts, TS_20261120);
	assert_int_equal(sql_time_parse(" 2026-11-20 10:00:00.25-05:30 ", "timestamptz", &ts), 0);
	assert_int_equal(ts, TS_20261120 + 15 * US_HOUR + 30 * 60 * US_SEC + 250000);
	assert_int_equal(sql_time_parse("2026-11-20 10:00+0200", "timestamp", &ts), 0);
	assert_int_equal(ts, TS_20261120 + 10 * US_HOUR);
	assert_int_equal(sql_time_parse("2026-11-20 23:59", "date", &ts), 0);
	assert_int_equal(ts, TS_20261120);
	assert_int_equal(sql_time_parse("2026-11-20 24:00:00", NULL, &ts), 0);
	assert_int_equal(ts, TS_20261120 + US_DAY);
	assert_int_equal(sql_time_parse("1969-12-31 23:59:59.999999 UTC", NULL, &ts), 0);
	assert_int_equal(ts, -1);
	assert_int_equal(sql_time_parse("2026-02-29", NULL, &ts), SG_EPROTO);
	assert_int_equal(sql_time_parse("2026-11-20 10:00:00.1234567", NULL, &ts), SG_EPROTO);
	assert_int_equal(sql_time_parse("Nov 20 2026", NULL, &ts), SG_EPROTO);
	assert_int_equal(sql_time_parse("2026-11-20 10:00 PST", NULL, &ts), SG_EPROTO);
	assert_int_equal(sql_time_parse("", NULL, &ts), SG_EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_alias_and_qualifiers, teardown),
	        cmocka_unit_test_teardown(test_quoted_and_schema_names, teardown),
	        cmocka_unit_test_teardown(test_joins, teardown),
	        cmocka_unit_test_teardown(test_subqueries, teardown),
	        cmocka_unit_test_teardown(test_ctes, teardown),
	        cmocka_unit_test_teardown(test_in_any, teardown),
	        cmocka_unit_test_teardown(test_ranges, teardown),
	        cmocka_unit_test_teardown(test_and_or_not, teardown),
	        cmocka_unit_test_teardown(test_literals, teardown),
	        cmocka_unit_test_teardown(test_time_relative, teardown),
	        cmocka_unit_test_teardown(test_time_months, teardown),
	        cmocka_unit_test_teardown(test_time_absolute, teardown),
	        cmocka_unit_test_teardown(test_time_parse_public, teardown),
	};

	return run_group("analyze", tests, sizeof(tests) / sizeof(tests[0]));
}
