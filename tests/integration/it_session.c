/* it_session.c — a client's session settings in transaction pooling:
 * SETs (reported by PostgreSQL or not, over the simple and the extended
 * protocol) and startup parameters follow the client to every backend
 * that serves it, and never leak to other clients.
 *
 * Runs under tests/integration/run.sh with session.yaml.in: transaction
 * pooling, pool size 2, so one client holding a backend in a transaction
 * makes the others take turns on the second. Under SG_DIRECT=1 the same
 * assertions hold against PostgreSQL itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "it_common.h"

static PGconn *app_connect(void)
{
	return it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
}

static void exec_clear(PGconn *c, const char *sql)
{
	PQclear(it_exec_ok(c, sql));
}

/* h takes a backend and keeps it in a transaction: with a pool of two,
 * the other clients share the second one until h commits. */
static void hold(PGconn *h)
{
	exec_clear(h, "BEGIN");
	it_expect_scalar(h, "SELECT 1", "1");
}

/* Over the extended protocol: Parse/Bind/Describe/Execute/Sync of an
 * unnamed statement. */
static void exec_params(PGconn *c, const char *sql, const char *sqlstate)
{
	PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);

	if (sqlstate == NULL && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (sqlstate != NULL)
		assert_string_equal(it_result_sqlstate(r), sqlstate);
	PQclear(r);
}

static void test_session_params(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *c = app_connect();
	char *base = it_scalar(b, "SHOW TimeZone");

	assert_string_not_equal(base, "Asia/Tokyo");
	assert_string_not_equal(base, "Europe/Paris");
	exec_clear(a, "SET application_name = 'a1'");
	exec_clear(a, "SET TimeZone = 'Asia/Tokyo'");
	exec_clear(c, "SET TimeZone = 'Europe/Paris'");
	for (int i = 0; i < 4; i++) {
		/* others' sessions must not leak into b */
		exec_clear(b, "BEGIN");
		it_expect_scalar(b, "SHOW TimeZone", base);
		it_expect_scalar(b, "SELECT current_setting('application_name') <> 'a1'", "t");
		exec_clear(b, "COMMIT");
		exec_clear(c, "BEGIN");
		it_expect_scalar(c, "SHOW TimeZone", "Europe/Paris");
		exec_clear(c, "COMMIT");
	}
	exec_clear(a, "BEGIN");
	it_expect_scalar(a, "SHOW TimeZone", "Asia/Tokyo");
	it_expect_scalar(a, "SHOW application_name", "a1");
	exec_clear(a, "COMMIT");
	it_expect_scalar(a, "SHOW TimeZone", "Asia/Tokyo");
	exec_clear(a, "RESET TimeZone");
	it_expect_scalar(a, "SHOW TimeZone", base);
	free(base);
	it_finish(a);
	it_finish(b);
	it_finish(c);
}

/* search_path and statement_timeout are not reported by PostgreSQL 15
 * (no ParameterStatus), so the proxy must notice the SET itself. */
static void test_sql_set_unreported(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *h = app_connect();

	exec_clear(a, "SET search_path TO pg_catalog, public");
	exec_clear(a, "SET statement_timeout = 4321");
	it_expect_sqlstate(a, "SET statement_timeout = 'nonsense'", "22023");
	for (int i = 0; i < 4; i++) {
		/* h holds one backend so that a and b take turns on the other */
		hold(h);
		exec_clear(b, "BEGIN");
		it_expect_scalar(b, "SHOW search_path", "\"$user\", public");
		it_expect_scalar(b, "SHOW statement_timeout", "0");
		exec_clear(b, "COMMIT");
		exec_clear(a, "BEGIN");
		it_expect_scalar(a, "SHOW search_path", "pg_catalog, public");
		it_expect_scalar(a, "SHOW statement_timeout", "4321ms");
		exec_clear(a, "COMMIT");
		exec_clear(h, "COMMIT");
	}
	exec_clear(a, "RESET statement_timeout");
	exec_clear(a, "SET search_path TO DEFAULT");
	exec_clear(b, "SET statement_timeout = 777");
	exec_clear(a, "BEGIN");
	it_expect_scalar(a, "SHOW statement_timeout", "0");
	it_expect_scalar(a, "SHOW search_path", "\"$user\", public");
	exec_clear(a, "COMMIT");
	exec_clear(b, "RESET ALL");
	it_expect_scalar(b, "SHOW statement_timeout", "0");
	it_finish(a);
	it_finish(b);
	it_finish(h);
}

/* The same over the extended protocol, which pgjdbc uses for its own
 * `SET extra_float_digits = 3` and most drivers for any SET: an unnamed
 * statement, a named one executed twice, one that fails (not tracked), and
 * a RESET. */
static void test_extended_set_unreported(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *h = app_connect();
	PGresult *r;

	exec_params(a, "SET statement_timeout = 4321", NULL);
	r = PQprepare(a, "set_path", "SET search_path TO pg_catalog, public", 0, NULL);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	for (int i = 0; i < 2; i++) {
		r = PQexecPrepared(a, "set_path", 0, NULL, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
	}
	exec_params(a, "SET statement_timeout = 'nonsense'", "22023");
	exec_params(a, "SET extra_float_digits = 2", NULL);
	exec_params(a, "RESET extra_float_digits", NULL);
	for (int i = 0; i < 4; i++) {
		/* h holds one backend so that a and b take turns on the other */
		hold(h);
		it_expect_scalar(b,
		                 "SELECT current_setting('search_path') || ' ' || "
		                 "current_setting('statement_timeout') || ' ' || "
		                 "current_setting('extra_float_digits')",
		                 "\"$user\", public 0 1");
		it_expect_scalar(a,
		                 "SELECT current_setting('search_path') || ' ' || "
		                 "current_setting('statement_timeout') || ' ' || "
		                 "current_setting('extra_float_digits')",
		                 "pg_catalog, public 4321ms 1");
		exec_clear(h, "COMMIT");
	}
	exec_params(a, "RESET search_path", NULL);
	hold(h);
	it_expect_scalar(a, "SHOW search_path", "\"$user\", public");
	exec_clear(h, "COMMIT");
	it_finish(a);
	it_finish(b);
	it_finish(h);
}

/* Several SETs in one batch (a libpq pipeline, one Sync) are all
 * tracked; the SETs of a batch that fails are rolled back with its
 * implicit transaction, by PostgreSQL and so by the proxy. */
static void test_pipelined_sets(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *h = app_connect();
	const char *show = "SELECT current_setting('statement_timeout') || ' ' || "
	                   "current_setting('search_path') || ' ' || current_setting('work_mem')";

	assert_int_equal(PQenterPipelineMode(a), 1);
	assert_int_equal(PQsendQueryParams(a, "SET statement_timeout = 1111", 0, NULL, NULL, NULL, NULL, 0),
	                 1);
	assert_int_equal(PQsendQueryParams(a, "SET search_path TO pg_catalog", 0, NULL, NULL, NULL, NULL, 0),
	                 1);
	assert_int_equal(PQpipelineSync(a), 1);
	assert_int_equal(PQsendQueryParams(a, "SET work_mem = '7MB'", 0, NULL, NULL, NULL, NULL, 0), 1);
	assert_int_equal(PQsendQueryParams(a, "SELECT 1/0", 0, NULL, NULL, NULL, NULL, 0), 1);
	assert_int_equal(PQpipelineSync(a), 1);
	it_pipe_expect(a, PGRES_COMMAND_OK, NULL, NULL);
	it_pipe_expect(a, PGRES_COMMAND_OK, NULL, NULL);
	it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
	it_pipe_expect(a, PGRES_COMMAND_OK, NULL, NULL);
	it_pipe_expect(a, PGRES_FATAL_ERROR, NULL, "22012");
	it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
	assert_int_equal(PQexitPipelineMode(a), 1);
	for (int i = 0; i < 4; i++) {
		/* h holds one backend so that a and b take turns on the other */
		hold(h);
		it_expect_scalar(b, show, "0 \"$user\", public 4MB");
		it_expect_scalar(a, show, "1111ms pg_catalog 4MB");
		PQclear(it_exec_ok(h, "COMMIT"));
	}
	it_finish(a);
	it_finish(b);
	it_finish(h);
}

/* A SET inside a transaction lasts only if the transaction commits, as
 * in PostgreSQL: ROLLBACK, a COMMIT of a failed transaction, and a SET
 * over the extended protocol inside one that rolls back are all undone,
 * on whichever backend serves the client next. */
static void test_set_in_transaction(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *h = app_connect();
	const char *show = "SELECT current_setting('statement_timeout') || ' ' || "
	                   "current_setting('search_path') || ' ' || current_setting('work_mem')";

	exec_clear(a, "BEGIN");
	exec_clear(a, "SET search_path TO pg_catalog");
	exec_clear(a, "SET statement_timeout = 2222");
	it_expect_scalar(a, show, "2222ms pg_catalog 4MB");
	exec_clear(a, "ROLLBACK");
	it_expect_scalar(a, show, "0 \"$user\", public 4MB");
	exec_clear(a, "BEGIN");
	exec_clear(a, "SET work_mem = '9MB'");
	exec_clear(a, "COMMIT");
	exec_clear(a, "BEGIN");
	exec_clear(a, "SET statement_timeout = 3333");
	it_expect_sqlstate(a, "SELECT 1/0", "22012");
	exec_clear(a, "COMMIT"); /* answered ROLLBACK */
	exec_clear(a, "BEGIN");
	exec_params(a, "SET search_path TO public, pg_catalog", NULL);
	exec_clear(a, "ROLLBACK");
	/* reported settings: PostgreSQL's ParameterStatus follows them */
	exec_clear(a, "BEGIN");
	exec_clear(a, "SET TimeZone = 'Asia/Tokyo'");
	exec_clear(a, "SET statement_timeout = 5555");
	exec_clear(a, "ROLLBACK");
	for (int i = 0; i < 4; i++) {
		/* h holds one backend so that a and b take turns on the other */
		hold(h);
		it_expect_scalar(b, show, "0 \"$user\", public 4MB");
		it_expect_scalar(a, show, "0 \"$user\", public 9MB");
		it_expect_scalar(a, "SELECT current_setting('TimeZone') = $$Asia/Tokyo$$", "f");
		exec_clear(h, "COMMIT");
	}
	exec_clear(a, "BEGIN");
	exec_clear(a, "SET TimeZone = 'Europe/Paris'");
	exec_clear(a, "COMMIT");
	hold(h);
	it_expect_scalar(a, "SHOW TimeZone", "Europe/Paris");
	exec_clear(h, "COMMIT");
	it_finish(a);
	it_finish(b);
	it_finish(h);
}

static void test_startup_params(void **state)
{
	PGconn *a = it_connect_proxy_opts(it_env("SG_USER"), it_env("SG_PASSWORD"),
	                                  "-c statement_timeout=1234 -c extra_float_digits=3");
	PGconn *b = app_connect();

	it_expect_scalar(a, "SHOW statement_timeout", "1234ms");
	it_expect_scalar(a, "SHOW extra_float_digits", "3");
	exec_clear(a, "BEGIN");
	it_expect_scalar(a, "SHOW statement_timeout", "1234ms");
	exec_clear(a, "COMMIT");
	/* not leaked to a client that did not ask */
	it_expect_scalar(b, "SHOW statement_timeout", "0");
	it_expect_scalar(b, "SHOW extra_float_digits", "1");
	/* and actually in force */
	it_expect_sqlstate(a, "SELECT pg_sleep(3)", "57014");
	it_finish(a);
	it_finish(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_session_params, it_teardown),
	        cmocka_unit_test_teardown(test_sql_set_unreported, it_teardown),
	        cmocka_unit_test_teardown(test_extended_set_unreported, it_teardown),
	        cmocka_unit_test_teardown(test_pipelined_sets, it_teardown),
	        cmocka_unit_test_teardown(test_set_in_transaction, it_teardown),
	        cmocka_unit_test_teardown(test_startup_params, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
