/* test_router.c — router.c's message decisions from real SQL text
 * (analyzer + shape pass + plan cache + route.c): fanout_refusal, set when
 * a SELECT needs several shards and would return some rows once per shard.
 * orders is sharded by region (no state files needed), countries is
 * replicated, anything else is unlisted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "router.h"

#define T0 INT64_C(1795132800000000)

static const char CONFIG[] = "auth: { method: trust }\n"
                             "shards:\n"
                             "  - { name: americas, database: d, hosts: [ { host: h, port: 1 } ] }\n"
                             "  - { name: europe, database: d, hosts: [ { host: h, port: 2 } ] }\n"
                             "  - { name: asia, database: d, hosts: [ { host: h, port: 3 } ] }\n"
                             "default_shard: americas\n"
                             "tables:\n"
                             "  orders: { shard_by: region, column: region, default_shard: americas,\n"
                             "      regions: { americas: [US], europe: [DE], asia: [JP] } }\n"
                             "  countries: { shard_by: replicated }\n";

static const char R_FROM[] =
        "its FROM clause reads no sharded table (a sharded table is read only in a subquery)";
static const char R_OUTER[] = "an outer join keeps rows of a table that is not sharded";
static const char R_SETOP[] = "a UNION/INTERSECT/EXCEPT branch reads no sharded table in its FROM clause";

static sg_router_t *g_router;

static int group_setup(void **state)
{
	config_error_t cerr;
	config_t *c = NULL;
	char err[256];
	int rc;

	(void)state;
	if (config_load_string(CONFIG, strlen(CONFIG), "router.yaml", &c, &cerr) != 0) {
		fprintf(stderr, "config: %d:%d %s\n", cerr.line, cerr.column, cerr.msg);
		return -1;
	}
	rc = router_new(c, T0, &g_router, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "router: %s\n", err);
	config_unref(c);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	router_unref(g_router);
	return 0;
}

/* Routes a simple Query; shard -1 means several. */
static router_decision_t route(const char *sql, int shard, const char *refusal)
{
	router_decision_t d;

	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(router_route_query(g_router, sql, T0, false, &d), 0);
	assert_string_equal(d.sqlstate, "");
	assert_int_equal(d.shard, shard);
	if (refusal == NULL && d.fanout_refusal != NULL)
		fail_msg("refused (%s): %s", d.fanout_refusal, sql);
	if (refusal != NULL && d.fanout_refusal == NULL)
		fail_msg("not refused: %s", sql);
	if (refusal != NULL)
		assert_string_equal(d.fanout_refusal, refusal);
	return d;
}

static void test_refused(void **state)
{
	router_decision_t d;

	(void)state;
	d = route("SELECT c.name FROM countries c LEFT JOIN orders o ON o.region = c.code", -1, R_OUTER);
	assert_int_equal(d.kind, SQLK_SELECT);
	assert_int_equal(d.shards, 7);
	assert_null(d.unmergeable);
	route("SELECT name FROM countries WHERE code IN (SELECT region FROM orders)", -1, R_FROM);
	route("SELECT * FROM countries c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.region = c.code)", -1,
	      R_FROM);
	route("SELECT o.id FROM orders o FULL JOIN countries c ON o.region = c.code", -1, R_OUTER);
	route("SELECT o.id FROM orders o RIGHT JOIN countries c ON o.region = c.code", -1, R_OUTER);
	route("SELECT id FROM orders UNION ALL SELECT id FROM countries", -1, R_SETOP);
	/* An unlisted table's rows, kept by an outer join. */
	route("SELECT * FROM plain_t p LEFT JOIN orders o ON o.id = p.id", -1, R_OUTER);
	/* Refused alongside another reason to refuse: both are reported. */
	d = route("SELECT count(*) FROM countries WHERE code IN (SELECT region FROM orders)", -1, R_FROM);
	assert_string_equal(d.unmergeable, "aggregate functions");
}

static void test_not_refused(void **state)
{
	router_decision_t d;

	(void)state;
	d = route("SELECT * FROM orders o LEFT JOIN countries c ON o.region = c.code", -1, NULL);
	assert_int_equal(d.shards, 7);
	assert_null(d.unmergeable);
	route("SELECT * FROM orders o JOIN countries c ON o.region = c.code", -1, NULL);
	route("SELECT * FROM countries c, orders o WHERE o.region = c.code", -1, NULL);
	route("SELECT * FROM orders o WHERE o.region IN (SELECT code FROM countries)", -1, NULL);
	route("WITH x AS (SELECT * FROM orders) SELECT * FROM x LEFT JOIN countries c ON c.code = x.region",
	      -1, NULL);
	route("SELECT * FROM (SELECT * FROM orders) s, countries", -1, NULL);
	route("SELECT * FROM orders a JOIN orders b ON a.id = b.id", -1, NULL);
	/* One shard: nothing is repeated. */
	route("SELECT name FROM countries WHERE code IN (SELECT region FROM orders WHERE region = 'DE')", 1,
	      NULL);
	route("SELECT c.name FROM countries c LEFT JOIN orders o ON o.region = c.code AND o.region = 'JP'", 2,
	      NULL);
	route("/* shard: europe */ SELECT c.name FROM countries c LEFT JOIN orders o ON o.region = c.code", 1,
	      NULL);
	route("SELECT * FROM countries", 0, NULL);
	route("SELECT 1", 0, NULL);
	/* Not a SELECT, or not the first statement. */
	d = route("EXPLAIN SELECT c.name FROM countries c LEFT JOIN orders o ON o.region = c.code", -1, NULL);
	assert_int_equal(d.kind, SQLK_EXPLAIN);
	d = route("SELECT 1; SELECT name FROM countries WHERE code IN (SELECT region FROM orders)", -1, NULL);
	assert_string_equal(d.unmergeable, "several statements in one query");
}

/* Prepared: the refusal follows the Bind values' shards. */
static void test_bound(void **state)
{
	const char *sql =
	        "SELECT name FROM countries WHERE code IN (SELECT region FROM orders WHERE region = $1)";
	const uint8_t *vals[1] = {(const uint8_t *)"DE"};
	int32_t lens[1] = {2};
	int16_t fmts[1] = {0};
	route_params_t p = {.n = 1, .values = vals, .lens = lens, .formats = fmts};
	router_decision_t d;

	(void)state;
	assert_int_equal(router_route_bound(g_router, sql, &p, T0, false, &d), 0);
	assert_int_equal(d.shard, 1);
	assert_null(d.fanout_refusal);
	sql = "SELECT name FROM countries WHERE code IN (SELECT region FROM orders WHERE region = ANY($1))";
	vals[0] = (const uint8_t *)"{DE,JP}";
	lens[0] = 7;
	assert_int_equal(router_route_bound(g_router, sql, &p, T0, false, &d), 0);
	assert_int_equal(d.shard, -1);
	assert_int_equal(d.shards, 6);
	assert_string_equal(d.fanout_refusal, R_FROM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_not_refused),
	        cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
