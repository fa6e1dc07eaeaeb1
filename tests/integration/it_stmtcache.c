/* it_stmtcache.c — unnamed statements kept prepared on the backends
 * (pool.cache_unnamed_statements), end to end through libpq.
 *
 * Runs under tests/integration/run.sh with stmtcache.yaml.in: one shard,
 * two backend connections, max_server_statements 8. Drivers such as
 * lib/pq, libpq's PQexecParams and pgbench -M extended send the same
 * unnamed statement for every execution; shardgate keeps it prepared on
 * each backend and answers the repeated Parse itself. Each test checks
 * that the results are exactly PostgreSQL's: values, column types, errors
 * and their SQLSTATEs, including after schema changes made through
 * shardgate and behind its back (directly on the server). Under
 * SG_DIRECT=1 the same tests run against PostgreSQL itself, without the
 * counter checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_common.h"

#define INT4OID 23
#define INT8OID 20
#define TEXTOID 25

static PGconn *app_connect(void)
{
	return it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
}

static void exec_clear(PGconn *c, const char *sql)
{
	PQclear(it_exec_ok(c, sql));
}

/* DDL straight on the server, behind shardgate's back. */
static void exec_direct(const char *sql)
{
	PGconn *d = it_connect_direct(it_env_int("PG1_PORT"));

	exec_clear(d, sql);
	it_finish(d);
}

static long long stat_of(const char *name)
{
	PGconn *adm;
	long long v;

	if (it_direct())
		return 0;
	adm = it_connect_admin();
	v = it_stat_value(adm, name);
	it_finish(adm);
	return v;
}

/* One unnamed statement (Parse "", Bind, Describe, Execute, Sync) that must
 * return one row and one column: its value and type are checked. */
static void expect_unnamed(PGconn *c, const char *sql, const char *arg, const char *want, Oid type)
{
	const char *vals[1] = {arg};
	PGresult *r = PQexecParams(c, sql, arg != NULL ? 1 : 0, NULL, vals, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "[%s] %s", it_result_sqlstate(r), PQresultErrorMessage(r));
		PQclear(r);
		fail_msg("%s: %s", sql, msg);
	}
	assert_int_equal(PQntuples(r), 1);
	assert_int_equal(PQnfields(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), want);
	assert_int_equal(PQftype(r, 0), type);
	PQclear(r);
}

static void expect_unnamed_error(PGconn *c, const char *sql, int nparams, const char *sqlstate)
{
	const char *vals[2] = {"1", "2"};
	PGresult *r = PQexecParams(c, sql, nparams, NULL, vals, NULL, NULL, 0);

	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(it_result_sqlstate(r), sqlstate);
	PQclear(r);
}

/* Leaves `sql` kept prepared on both backends: two clients each run it
 * inside a transaction, so the second cannot get the first's backend. */
static void warm_both(const char *sql, const char *want, Oid type)
{
	PGconn *a = app_connect(), *b = app_connect();

	exec_clear(a, "BEGIN");
	expect_unnamed(a, sql, NULL, want, type);
	exec_clear(b, "BEGIN");
	expect_unnamed(b, sql, NULL, want, type);
	exec_clear(a, "COMMIT");
	exec_clear(b, "COMMIT");
	it_finish(a);
	it_finish(b);
}

/* ---- reuse ---- */

static void test_unnamed_reuse(void **state)
{
	PGconn *a = app_connect(), *b = app_connect();
	long long skipped = stat_of("parses_skipped");
	char arg[16], want[16];

	for (int i = 0; i < 40; i++) {
		snprintf(arg, sizeof(arg), "%d", i);
		snprintf(want, sizeof(want), "%d", i + 1);
		expect_unnamed(i % 2 ? a : b, "SELECT $1::int + 1", arg, want, INT4OID);
	}
	/* the same text with another parameter type is another statement */
	expect_unnamed(a, "SELECT $1::int + 1", "41", "42", INT4OID);
	{
		Oid types[1] = {INT8OID};
		const char *vals[1] = {"5000000000"};
		PGresult *r = PQexecParams(a, "SELECT $1::int + 1", 1, types, vals, NULL, NULL, 0);

		/* int8 → int cast of an out-of-range value: PostgreSQL's own error */
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_string_equal(it_result_sqlstate(r), "22003");
		PQclear(r);
	}
	expect_unnamed(b, "SELECT $1::int + 1", "7", "8", INT4OID);
	/* At most one visible Parse per backend; every other one answered here. */
	if (!it_direct())
		assert_true(stat_of("parses_skipped") - skipped >= 40);
	it_finish(a);
	it_finish(b);
}

static void test_named_and_unnamed_same_text(void **state)
{
	PGconn *a = app_connect();
	const char *sql = "SELECT $1::int * 3";
	const char *vals[1] = {"14"};
	PGresult *r = PQprepare(a, "st_named", sql, 1, NULL);

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	for (int i = 0; i < 4; i++) {
		expect_unnamed(a, sql, "5", "15", INT4OID);
		r = PQexecPrepared(a, "st_named", 1, vals, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(r, 0, 0), "42");
		PQclear(r);
	}
	exec_clear(a, "DEALLOCATE st_named");
	expect_unnamed(a, sql, "2", "6", INT4OID);
	it_finish(a);
}

/* lib/pq's way: Parse+Describe+Sync (or Parse+Sync), then Bind+Execute+Sync. */
static void test_prepare_unnamed_then_execute(void **state)
{
	PGconn *a = app_connect();
	const char *vals[1] = {"20"};

	for (int i = 0; i < 4; i++) {
		PGresult *r = PQprepare(a, "", "SELECT $1::int - 1", 1, NULL);

		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		r = PQdescribePrepared(a, "");
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		assert_int_equal(PQnparams(r), 1);
		assert_int_equal(PQparamtype(r, 0), INT4OID);
		assert_int_equal(PQftype(r, 0), INT4OID);
		PQclear(r);
		r = PQexecPrepared(a, "", 1, vals, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(r, 0, 0), "19");
		PQclear(r);
	}
	it_finish(a);
}

/* ---- settings ---- */

/* The same text means different tables under different search_paths. */
static void test_search_path_isolation(void **state)
{
	PGconn *a = app_connect(), *b = app_connect();
	long long epochs;

	exec_clear(a, "DROP SCHEMA IF EXISTS sc_int CASCADE; DROP SCHEMA IF EXISTS sc_text CASCADE");
	exec_clear(a, "CREATE SCHEMA sc_int; CREATE TABLE sc_int.t (a int); INSERT INTO sc_int.t VALUES (7)");
	exec_clear(
	        a,
	        "CREATE SCHEMA sc_text; CREATE TABLE sc_text.t (a text); INSERT INTO sc_text.t VALUES ('x')");
	exec_clear(a, "SET search_path = sc_int");
	exec_clear(b, "SET search_path = sc_text");
	epochs = stat_of("schema_epochs");
	for (int i = 0; i < 10; i++) {
		expect_unnamed(a, "SELECT a FROM t", NULL, "7", INT4OID);
		expect_unnamed(b, "SELECT a FROM t", NULL, "x", TEXTOID);
	}
	/* Not by luck of a re-run after a stale-statement error: the two
	 * sessions never shared a statement. */
	assert_int_equal(stat_of("schema_epochs"), epochs);
	exec_clear(b, "RESET search_path");
	exec_clear(b, "SET search_path = sc_int, public");
	expect_unnamed(b, "SELECT a FROM t", NULL, "7", INT4OID);
	it_finish(a);
	it_finish(b);
}

/* ---- schema changes ---- */

static void test_ddl_through_proxy(void **state)
{
	PGconn *a = app_connect();
	const char *sql = "SELECT a FROM st_via";

	exec_clear(a,
	           "DROP TABLE IF EXISTS st_via; CREATE TABLE st_via (a int); INSERT INTO st_via VALUES (1)");
	warm_both(sql, "1", INT4OID);
	exec_clear(a, "ALTER TABLE st_via ALTER COLUMN a TYPE bigint");
	for (int i = 0; i < 6; i++)
		expect_unnamed(a, sql, NULL, "1", INT8OID);
	warm_both(sql, "1", INT8OID);
	it_finish(a);
}

/* Inside the transaction that changed the schema, statements are parsed
 * afresh at once, not only after it commits. */
static void test_ddl_in_transaction(void **state)
{
	PGconn *a = app_connect();
	const char *sql = "SELECT a FROM st_tx";

	exec_clear(a, "DROP TABLE IF EXISTS st_tx; CREATE TABLE st_tx (a int); INSERT INTO st_tx VALUES (3)");
	warm_both(sql, "3", INT4OID);
	exec_clear(a, "BEGIN");
	expect_unnamed(a, sql, NULL, "3", INT4OID);
	exec_clear(a, "ALTER TABLE st_tx ALTER COLUMN a TYPE text");
	for (int i = 0; i < 3; i++)
		expect_unnamed(a, sql, NULL, "3", TEXTOID);
	exec_clear(a, "COMMIT");
	warm_both(sql, "3", TEXTOID);
	it_finish(a);
}

/* PQprepare of the unnamed statement: Parse and Sync, nothing else. */
static void prepare_unnamed(PGconn *c, const char *sql)
{
	PGresult *r = PQprepare(c, "", sql, 0, NULL);

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
}

/* Behind shardgate's back: the first use of the stale statement fails in
 * PostgreSQL; shardgate hides that and runs the batch again. */
static void test_ddl_behind_proxy(void **state)
{
	PGconn *a = app_connect();
	const char *sql = "SELECT a FROM st_behind";
	const char *vals[1] = {NULL};
	long long replays;
	PGresult *r;

	exec_clear(a, "DROP TABLE IF EXISTS st_behind; CREATE TABLE st_behind (a int); "
	              "INSERT INTO st_behind VALUES (5)");
	warm_both(sql, "5", INT4OID);
	replays = stat_of("batches_replayed");
	exec_direct("ALTER TABLE st_behind ALTER COLUMN a TYPE bigint");
	for (int i = 0; i < 4; i++)
		expect_unnamed(a, sql, NULL, "5", INT8OID);
	if (!it_direct())
		assert_int_equal(stat_of("batches_replayed") - replays, 1);

	/* Parse+Sync, then Bind+Describe+Execute+Sync: the stale statement is
	 * first used by the second batch, which is the one re-run. */
	warm_both(sql, "5", INT8OID);
	exec_direct("ALTER TABLE st_behind ALTER COLUMN a TYPE text");
	prepare_unnamed(a, sql);
	r = PQexecPrepared(a, "", 0, vals, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "5");
	assert_int_equal(PQftype(r, 0), TEXTOID);
	PQclear(r);
	if (!it_direct())
		assert_int_equal(stat_of("batches_replayed") - replays, 2);

	/* Describe first (PQdescribePrepared): the description is the new one. */
	warm_both(sql, "5", TEXTOID);
	exec_direct("ALTER TABLE st_behind ALTER COLUMN a TYPE int USING a::int");
	prepare_unnamed(a, sql);
	r = PQdescribePrepared(a, "");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	assert_int_equal(PQftype(r, 0), INT4OID);
	PQclear(r);
	expect_unnamed(a, sql, NULL, "5", INT4OID);
	it_finish(a);
}

/* Inside a transaction block a batch cannot run again (the error aborted
 * the transaction): the client sees PostgreSQL's error once, as it would
 * for a statement it had prepared itself; the next transaction works. */
static void test_ddl_behind_proxy_in_transaction(void **state)
{
	PGconn *a = app_connect();
	const char *sql = "SELECT a FROM st_behind_tx";

	it_skip_if_direct();
	exec_clear(a, "DROP TABLE IF EXISTS st_behind_tx; CREATE TABLE st_behind_tx (a int); "
	              "INSERT INTO st_behind_tx VALUES (9)");
	warm_both(sql, "9", INT4OID);
	exec_direct("ALTER TABLE st_behind_tx ALTER COLUMN a TYPE bigint");
	exec_clear(a, "BEGIN");
	it_expect_scalar(a, "SELECT 1", "1");
	expect_unnamed_error(a, sql, 0, "0A000");
	it_expect_sqlstate(a, "SELECT 1", "25P02");
	exec_clear(a, "ROLLBACK");
	exec_clear(a, "BEGIN");
	expect_unnamed(a, sql, NULL, "9", INT8OID);
	exec_clear(a, "COMMIT");
	it_finish(a);
}

/* SELECT * grows with its table: never kept, so a column added behind
 * shardgate's back is simply there. count(*) is kept. */
static void test_star_not_kept(void **state)
{
	PGconn *a = app_connect();
	long long skipped;
	PGresult *r;

	exec_clear(
	        a,
	        "DROP TABLE IF EXISTS st_star; CREATE TABLE st_star (a int); INSERT INTO st_star VALUES (1)");
	for (int i = 0; i < 3; i++)
		expect_unnamed(a, "SELECT * FROM st_star", NULL, "1", INT4OID);
	exec_direct("ALTER TABLE st_star ADD COLUMN b text DEFAULT 'new'");
	for (int i = 0; i < 3; i++) {
		r = PQexecParams(a, "SELECT * FROM st_star", 0, NULL, NULL, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_int_equal(PQnfields(r), 2);
		assert_string_equal(PQgetvalue(r, 0, 1), "new");
		PQclear(r);
	}
	skipped = stat_of("parses_skipped");
	for (int i = 0; i < 5; i++)
		expect_unnamed(a, "SELECT count(*) FROM st_star", NULL, "1", INT8OID);
	if (!it_direct())
		assert_true(stat_of("parses_skipped") - skipped >= 3);
	it_finish(a);
}

/* ---- limits and errors ---- */

static void test_eviction(void **state)
{
	PGconn *a = app_connect();
	long long evicted = stat_of("statements_evicted");
	char sql[64], want[16];

	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 20; k++) {
			snprintf(sql, sizeof(sql), "SELECT $1::int + %d", k);
			snprintf(want, sizeof(want), "%d", 100 + k);
			expect_unnamed(a, sql, "100", want, INT4OID);
		}
	}
	if (!it_direct())
		assert_true(stat_of("statements_evicted") - evicted > 0);
	it_finish(a);
}

/* PostgreSQL's message names the statement; the client's own name, never
 * the one shardgate gave it on the backend. */
static void expect_param_count_error(PGconn *c, const char *stmt, const char *quoted)
{
	const char *vals[1] = {"1"};
	PGresult *r = PQexecPrepared(c, stmt, 1, vals, NULL, NULL, 0);
	char want[128];

	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(it_result_sqlstate(r), "08P01");
	snprintf(want, sizeof(want),
	         "bind message supplies 1 parameters, but prepared statement %s requires 2", quoted);
	assert_string_equal(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), want);
	PQclear(r);
}

static void test_errors(void **state)
{
	PGconn *a = app_connect();
	PGresult *r = PQprepare(a, "st_two", "SELECT $1::int + $2::int", 2, NULL);

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	for (int i = 0; i < 3; i++) {
		expect_param_count_error(a, "st_two", "\"st_two\"");
		r = PQprepare(a, "", "SELECT $1::int + $2::int", 2, NULL);
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		expect_param_count_error(a, "", "\"\"");
	}

	for (int i = 0; i < 3; i++) {
		expect_unnamed_error(a, "SELEC 1", 0, "42601");
		expect_unnamed_error(a, "SELECT 1 / ($1::int - 1)", 1, "22012");
		/* one parameter given, two needed */
		expect_unnamed_error(a, "SELECT $1::int + $2::int", 1, "08P01");
		expect_unnamed(a, "SELECT $1::int + 1", "1", "2", INT4OID);
	}
	it_finish(a);
}

/* Several unnamed statements in one pipeline: none of the repeated Parses
 * can be answered early, and an error in the middle skips to the Sync. */
static void test_pipeline(void **state)
{
	PGconn *a = app_connect();
	const char *v[1] = {"10"};

	expect_unnamed(a, "SELECT $1::int + 1", "1", "2", INT4OID);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(PQenterPipelineMode(a), 1);
		assert_int_equal(PQsendQueryParams(a, "SELECT $1::int + 1", 1, NULL, v, NULL, NULL, 0), 1);
		assert_int_equal(PQsendQueryParams(a, "SELECT $1::int + 2", 1, NULL, v, NULL, NULL, 0), 1);
		assert_int_equal(PQpipelineSync(a), 1);
		assert_int_equal(PQsendQueryParams(a, "SELECT $1::int + 1", 1, NULL, v, NULL, NULL, 0), 1);
		assert_int_equal(PQsendQueryParams(a, "SELECT 1 / ($1::int - 10)", 1, NULL, v, NULL, NULL, 0),
		                 1);
		assert_int_equal(PQsendQueryParams(a, "SELECT $1::int + 2", 1, NULL, v, NULL, NULL, 0), 1);
		assert_int_equal(PQpipelineSync(a), 1);
		assert_int_equal(PQsendQueryParams(a, "SELECT $1::int + 2", 1, NULL, v, NULL, NULL, 0), 1);
		assert_int_equal(PQpipelineSync(a), 1);

		it_pipe_expect(a, PGRES_TUPLES_OK, "11", NULL);
		it_pipe_expect(a, PGRES_TUPLES_OK, "12", NULL);
		it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
		it_pipe_expect(a, PGRES_TUPLES_OK, "11", NULL);
		it_pipe_expect(a, PGRES_FATAL_ERROR, NULL, "22012");
		it_pipe_expect(a, PGRES_PIPELINE_ABORTED, NULL, NULL);
		assert_null(PQgetResult(a));
		it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
		it_pipe_expect(a, PGRES_TUPLES_OK, "12", NULL);
		it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
		assert_int_equal(PQexitPipelineMode(a), 1);
	}
	it_finish(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_unnamed_reuse, it_teardown),
	        cmocka_unit_test_teardown(test_named_and_unnamed_same_text, it_teardown),
	        cmocka_unit_test_teardown(test_prepare_unnamed_then_execute, it_teardown),
	        cmocka_unit_test_teardown(test_search_path_isolation, it_teardown),
	        cmocka_unit_test_teardown(test_ddl_through_proxy, it_teardown),
	        cmocka_unit_test_teardown(test_ddl_in_transaction, it_teardown),
	        cmocka_unit_test_teardown(test_ddl_behind_proxy, it_teardown),
	        cmocka_unit_test_teardown(test_ddl_behind_proxy_in_transaction, it_teardown),
	        cmocka_unit_test_teardown(test_star_not_kept, it_teardown),
	        cmocka_unit_test_teardown(test_eviction, it_teardown),
	        cmocka_unit_test_teardown(test_errors, it_teardown),
	        cmocka_unit_test_teardown(test_pipeline, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
