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

/* r (taken over) must be one row and one column of this value and type. */
static void expect_one(PGresult *r, const char *sql, const char *want, Oid type)
{
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

/* One unnamed statement (Parse "", Bind, Describe, Execute, Sync). */
static void expect_unnamed(PGconn *c, const char *sql, const char *arg, const char *want, Oid type)
{
	const char *vals[1] = {arg};

	expect_one(PQexecParams(c, sql, arg != NULL ? 1 : 0, NULL, vals, NULL, NULL, 0), sql, want, type);
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

/* A statement the client prepared itself keeps PostgreSQL's behaviour: a
 * change of its result type behind shardgate fails it (0A000), exactly as
 * directly. */
static void test_named_stale_fails_as_postgres(void **state)
{
	PGconn *a = app_connect();
	const char *vals[1] = {NULL};
	long long replays;
	PGresult *r;

	exec_clear(a, "DROP TABLE IF EXISTS st_nstale; CREATE TABLE st_nstale (a int); INSERT INTO st_nstale "
	              "VALUES (4)");
	r = PQprepare(a, "st_own", "SELECT a FROM st_nstale", 0, NULL);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQexecPrepared(a, "st_own", 0, vals, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	replays = stat_of("batches_replayed");
	exec_direct("ALTER TABLE st_nstale ALTER COLUMN a TYPE bigint");
	r = PQexecPrepared(a, "st_own", 0, vals, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(it_result_sqlstate(r), "0A000");
	PQclear(r);
	assert_int_equal(stat_of("batches_replayed"), replays); /* not run twice */
	exec_clear(a, "DEALLOCATE st_own");
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

/* ---- simple Queries run as kept statements ---- */

/* The same simple Query directly and through shardgate: everything the
 * client can see must be equal. */
static void compare_results(const char *sql, int run, PGresult *want, PGresult *got)
{
	static const int fields[] = {PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY, PG_DIAG_STATEMENT_POSITION};
	const char *w, *g;

	if (PQresultStatus(want) != PQresultStatus(got))
		fail_msg("%s (run %d): status %s, directly %s: %s", sql, run,
		         PQresStatus(PQresultStatus(got)), PQresStatus(PQresultStatus(want)),
		         PQresultErrorMessage(got));
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		w = PQresultErrorField(want, fields[k]);
		g = PQresultErrorField(got, fields[k]);
		if ((w == NULL) != (g == NULL) || (w != NULL && strcmp(w, g) != 0))
			fail_msg("%s (run %d): error field '%c' is \"%s\", directly \"%s\"", sql, run,
			         fields[k], g ? g : "(none)", w ? w : "(none)");
	}
	assert_string_equal(PQcmdStatus(got), PQcmdStatus(want));
	assert_int_equal(PQnfields(got), PQnfields(want));
	assert_int_equal(PQntuples(got), PQntuples(want));
	for (int col = 0; col < PQnfields(want); col++) {
		assert_string_equal(PQfname(got, col), PQfname(want, col));
		if (PQftype(got, col) != PQftype(want, col) || PQfmod(got, col) != PQfmod(want, col))
			fail_msg("%s (run %d): column %d type %u(%d), directly %u(%d)", sql, run, col,
			         PQftype(got, col), PQfmod(got, col), PQftype(want, col), PQfmod(want, col));
		for (int row = 0; row < PQntuples(want); row++) {
			assert_int_equal(PQgetisnull(got, row, col), PQgetisnull(want, row, col));
			if (strcmp(PQgetvalue(got, row, col), PQgetvalue(want, row, col)) != 0)
				fail_msg("%s (run %d): row %d column %d is \"%s\", directly \"%s\"", sql, run,
				         row, col, PQgetvalue(got, row, col), PQgetvalue(want, row, col));
		}
	}
}

/* Constants in every context the rewrite must get right (sql/paramize.h):
 * replaced where a parameter of the same type means the same, kept where
 * it would not (positions, string constants, typed literals, out-of-range
 * integers), shared where the expression must match (GROUP BY a + 1). */
static const char *const simple_corpus[] = {
        "SELECT a FROM sc WHERE id = 5",
        "SELECT a, t FROM sc WHERE id = 2147483647",
        "SELECT id FROM sc WHERE b = 5000000000",
        "SELECT id FROM sc WHERE b > 9223372036854775807",
        "SELECT id FROM sc WHERE id = 2147483648",
        "SELECT id FROM sc WHERE id = 99999999999999999999",
        "SELECT id FROM sc WHERE n = 1.67",
        "SELECT id FROM sc WHERE f < 1e1 ORDER BY id",
        "SELECT id FROM sc WHERE id IN (1, 2, 3, 2) ORDER BY id",
        "SELECT id FROM sc WHERE id NOT IN (1, 2) AND id < 5 ORDER BY id",
        "SELECT id FROM sc WHERE id IN (1, 1+1) ORDER BY id",
        "SELECT id FROM sc WHERE id IN (1)",
        "SELECT a + 1, count(id) FROM sc GROUP BY a + 1 ORDER BY 1",
        "SELECT a + 1 AS x FROM sc GROUP BY a + 1 HAVING count(id) > 3 ORDER BY x",
        "SELECT DISTINCT a * 2 FROM sc ORDER BY a * 2",
        "SELECT a + 01, count(id) FROM sc GROUP BY a + 1 ORDER BY 1",
        "SELECT a * 1.5, count(id) FROM sc GROUP BY a * 1.50 ORDER BY 1",
        "SELECT a * 1.5, count(id) FROM sc GROUP BY a * 1.5 ORDER BY 1",
        "SELECT sum(a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM sc WHERE id < 4 "
        "ORDER BY id",
        "SELECT id FROM sc WHERE t = 'x\\' OR id = 1",
        "SELECT id FROM sc ORDER BY 1 DESC LIMIT 3",
        "SELECT id FROM sc WHERE id = -(-3)",
        "SELECT 1 + 1, 2 * 3, 10 / 4, 10 % 3, 7 - 10",
        "SELECT -2147483648",
        "SELECT -9223372036854775808",
        "SELECT 5 = 5",
        "SELECT 1.50 * 2, 10 / 4.0, 2 ^ 3",
        "SELECT abs(-3)",
        "SELECT id FROM sc WHERE id = 007",
        "SELECT a FROM sc WHERE id = 5 / 0",
        "SELECT a FROM sc WHERE id = 1 + 2147483647",
        "SELECT id FROM sc WHERE b = 1000000000 * 3",
        "SELECT a FROM sc WHERE id = 123456 AND nosuch > 5",
        "SELECT a FROM sc WHERE id = 123456 AND t > 5",
        "SELECT t FROM sc WHERE t = 'v5' AND id = 5",
        "SELECT d FROM sc WHERE d > date '2024-01-10' AND id < 12 ORDER BY d",
        "SELECT id FROM sc WHERE id BETWEEN 3 AND 6 ORDER BY id",
        "SELECT id, CASE WHEN a = 1 THEN 'one' ELSE 'other' END FROM sc WHERE id < 4 ORDER BY id",
        "SELECT id FROM sc WHERE a = 1::bigint ORDER BY id",
        "SELECT id::text || 'x' FROM sc WHERE id = 3",
        "SELECT a FROM sc WHERE id = 3;",
        "SELECT a FROM sc WHERE id = 3 -- a comment: 5 = 5",
        "SELECT /* 7 */ a FROM sc WHERE id = /* c */ 4",
        "WITH x AS (SELECT id FROM sc WHERE id < 3) SELECT count(id) FROM x WHERE id > 0",
        "SELECT sum(n), avg(f) > 0.5 FROM sc WHERE id <= 10",
        "SELECT id FROM sc WHERE a <> 0 AND a != 1 ORDER BY id LIMIT 5",
        "SELECT id FROM sc WHERE id = 3 UNION ALL SELECT id FROM sc WHERE id = 4 ORDER BY 1",
        "SELECT id FROM sc WHERE id IN (SELECT id FROM sc WHERE a = 2) ORDER BY id LIMIT 3",
        "VALUES (1, 'a'), (2, 'b')",
        "SELECT id % 2 = 0 AS even FROM sc WHERE id < 3 ORDER BY id",
        "SELECT x.id FROM sc x JOIN sc y ON y.id = x.id + 1 WHERE x.id = 10",
        "SELECT id FROM sc WHERE id = ANY('{1,2}') ORDER BY id",
        "SELECT id FROM sc WHERE (a, id) = (1, 1)",
        "SELECT id FROM sc WHERE id = 3 FOR UPDATE",
        "UPDATE sc SET a = 4 WHERE id = 50 RETURNING id, a",
        "INSERT INTO sc (id, a) VALUES (51, 3) ON CONFLICT (id) DO UPDATE SET a = 3 RETURNING id, a",
        "DELETE FROM sc WHERE id = 999",
        "SELECT 1; SELECT a FROM sc WHERE id = 2",
        "SELECT $1",
        "SELECT a FROM sc WHERE id = 3 AND",
};

static void test_simple_as_prepared(void **state)
{
	PGconn *direct = it_connect_direct(it_env_int("PG1_PORT")), *a = app_connect();
	long long converted = stat_of("simple_prepared");
	size_t i;

	exec_clear(direct, "DROP TABLE IF EXISTS sc; CREATE TABLE sc (id int PRIMARY KEY, a int, b bigint, "
	                   "n numeric(10,2), t text, d date, f float8)");
	exec_clear(direct, "INSERT INTO sc SELECT g, g % 7, g * 1000000000::bigint, g / 3.0, 'v' || g, "
	                   "date '2024-01-01' + g, g / 7.0 FROM generate_series(1, 50) g");
	for (i = 0; i < sizeof(simple_corpus) / sizeof(simple_corpus[0]); i++) {
		PGresult *want = PQexec(direct, simple_corpus[i]);

		/* the first run is relayed as it is, later ones rewritten */
		for (int run = 1; run <= 3; run++) {
			PGresult *got = PQexec(a, simple_corpus[i]);
			compare_results(simple_corpus[i], run, want, got);
			PQclear(got);
		}
		PQclear(want);
	}
	if (!it_direct())
		assert_true(stat_of("simple_prepared") - converted >= 80);
	it_finish(direct);
	it_finish(a);
}

static void expect_simple(PGconn *c, const char *sql, const char *want, Oid type)
{
	expect_one(PQexec(c, sql), sql, want, type);
}

/* Leaves the simple Query `sql` kept on both backends (it is rewritten
 * from its second sighting on). */
static void warm_both_simple(const char *sql, const char *want, Oid type)
{
	PGconn *a = app_connect(), *b = app_connect();

	exec_clear(a, "BEGIN");
	expect_simple(a, sql, want, type);
	expect_simple(a, sql, want, type);
	exec_clear(b, "BEGIN");
	expect_simple(b, sql, want, type);
	exec_clear(a, "COMMIT");
	exec_clear(b, "COMMIT");
	it_finish(a);
	it_finish(b);
}

/* A simple Query whose kept statement went stale behind shardgate's back
 * runs again outside a transaction block; inside one the client gets
 * PostgreSQL's error, once. */
static void test_simple_ddl_behind_proxy(void **state)
{
	PGconn *a = app_connect();
	const char *sql = "SELECT a FROM st_sbehind WHERE 1 < 2";
	long long replays = stat_of("batches_replayed");
	PGresult *r;

	exec_clear(a, "DROP TABLE IF EXISTS st_sbehind; CREATE TABLE st_sbehind (a int); "
	              "INSERT INTO st_sbehind VALUES (5)");
	warm_both_simple(sql, "5", INT4OID);
	exec_direct("ALTER TABLE st_sbehind ALTER COLUMN a TYPE bigint");
	for (int i = 0; i < 4; i++)
		expect_simple(a, sql, "5", INT8OID);
	if (!it_direct())
		assert_int_equal(stat_of("batches_replayed") - replays, 1);

	if (it_direct()) {
		it_finish(a);
		return;
	}
	warm_both_simple(sql, "5", INT8OID);
	exec_direct("ALTER TABLE st_sbehind ALTER COLUMN a TYPE text");
	exec_clear(a, "BEGIN");
	it_expect_scalar(a, "SELECT 1", "1");
	r = PQexec(a, sql);
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(it_result_sqlstate(r), "0A000");
	PQclear(r);
	exec_clear(a, "ROLLBACK");
	expect_simple(a, sql, "5", TEXTOID);
	it_finish(a);
}

/* The shard is reached over its Unix-domain socket; cancel goes there too. */
static void test_unix_socket_backend(void **state)
{
	PGconn *a = app_connect();

	it_skip_if_direct(); /* directly, the test connects over TCP */
	it_expect_scalar(a, "SELECT client_addr IS NULL FROM pg_stat_activity WHERE pid = pg_backend_pid()",
	                 "t");
	it_check_cancel(a);
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
	        cmocka_unit_test_teardown(test_named_stale_fails_as_postgres, it_teardown),
	        cmocka_unit_test_teardown(test_star_not_kept, it_teardown),
	        cmocka_unit_test_teardown(test_eviction, it_teardown),
	        cmocka_unit_test_teardown(test_errors, it_teardown),
	        cmocka_unit_test_teardown(test_pipeline, it_teardown),
	        cmocka_unit_test_teardown(test_unix_socket_backend, it_teardown),
	        cmocka_unit_test_teardown(test_simple_as_prepared, it_teardown),
	        cmocka_unit_test_teardown(test_simple_ddl_behind_proxy, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
