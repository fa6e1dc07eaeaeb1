/* it_fanout_ops.c — scatter-gather when things go wrong: a shard's error,
 * a shard that cannot be reached, partial results, fanout.timeout, the
 * client's cancel, refused multi-shard writes, and connections given back.
 *
 * Runs under tests/integration/run.sh with fanout_ops.yaml.in: shards
 * americas (pg1), europe (pg2), asia (pg3) and "mars" on a port where
 * nothing listens; fanout.timeout 1s. `live` (region → the three running
 * shards) holds US 1..3, DE 5..8, JP 9..10; `withdead` has one row on each
 * running shard and a region on mars. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_common.h"

static PGconn *app_connect(void)
{
	return it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
}

/* Notices (WARNINGs) a connection received, concatenated. */
static char notices[2048];

static void notice_keep(void *arg, const PGresult *r)
{
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	size_t len = strlen(notices);

	(void)arg;
	snprintf(notices + len, sizeof(notices) - len, "%s|%s;",
	         PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED), m ? m : "");
}

static void load_data(void)
{
	PGconn *c = app_connect();

	it_finish(c);
	for (int port = 1; port <= 3; port++) {
		char name[16];
		snprintf(name, sizeof(name), "PG%d_PORT", port);
		PGconn *d = it_connect_direct(it_env_int(name));
		PQclear(it_exec_ok(d, "TRUNCATE live, withdead"));
		it_finish(d);
	}
	c = app_connect();
	PQclear(it_exec_ok(c,
	                   "INSERT INTO live (region, v) VALUES ('US', 1), ('US', 2), ('US', 3), ('DE', 5), "
	                   "('DE', 6), ('DE', 7), ('DE', 8), ('JP', 9), ('JP', 10)"));
	PQclear(it_exec_ok(c, "INSERT INTO withdead (region, v) VALUES ('US', 1), ('DE', 2), ('JP', 3)"));
	it_finish(c);
}

static int setup(void **state)
{
	(void)state;
	if (!it_direct())
		load_data();
	return 0;
}

/* The error of the one shard that fails, with that shard named. */
static void test_shard_error(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	PGresult *r = PQexec(c, "SELECT v / (v - 7) FROM live");

	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(it_result_sqlstate(r), "22012");
	assert_non_null(PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL));
	assert_non_null(strstr(PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL), "europe"));
	PQclear(r);
	/* The connection goes on. */
	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	it_finish(c);
}

static void test_unreachable_shard_fails(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	PGresult *r = PQexec(c, "SELECT count(*) FROM withdead");

	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_memory_equal(it_result_sqlstate(r), "08", 2);
	assert_non_null(PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL));
	assert_non_null(strstr(PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL), "mars"));
	PQclear(r);
	it_finish(c);
}

static void test_partial_results(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	PGresult *r;

	notices[0] = '\0';
	PQsetNoticeReceiver(c, notice_keep, NULL);
	PQclear(it_exec_ok(c, "SET shardgate.partial_results = on"));
	r = it_exec_ok(c, "SELECT count(*), sum(v) FROM withdead");
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "3");
	assert_string_equal(PQgetvalue(r, 0, 1), "6");
	PQclear(r);
	assert_non_null(strstr(notices, "WARNING|partial results: shards mars did not answer"));

	/* A shard's own error is left out the same way. */
	notices[0] = '\0';
	/* (the sort means europe fails before sending any row) */
	r = it_exec_ok(c, "SELECT v FROM live WHERE 1 / (v - 7) IS NOT NULL ORDER BY v");
	assert_int_equal(PQntuples(r), 5); /* US 1..3 and JP 9..10 */
	assert_string_equal(PQgetvalue(r, 0, 0), "1");
	assert_string_equal(PQgetvalue(r, 3, 0), "9");
	PQclear(r);
	assert_non_null(strstr(notices, "shards europe did not answer"));

	PQclear(it_exec_ok(c, "RESET shardgate.partial_results"));
	it_expect_sqlstate(c, "SELECT count(*) FROM withdead", "08006");
	it_expect_sqlstate(c, "SET shardgate.partial_results = maybe", "22023");
	it_finish(c);
}

/* No shard still runs the statement: the legs were cancelled. */
static void expect_no_sleeper(const char *pattern)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%s' AND state = 'active' AND "
	         "pid <> pg_backend_pid()",
	         pattern);
	for (int port = 1; port <= 3; port++) {
		char name[16];
		snprintf(name, sizeof(name), "PG%d_PORT", port);
		PGconn *d = it_connect_direct(it_env_int(name));
		it_expect_scalar(d, sql, "0");
		it_finish(d);
	}
}

static void test_fanout_timeout(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	double t0 = it_now(), dt;

	PGresult *r = PQexec(c, "SELECT pg_sleep(3), count(*) FROM live");

	assert_string_equal(it_result_sqlstate(r), "57014");
	assert_non_null(strstr(PQresultErrorMessage(r), "fanout.timeout"));
	PQclear(r);
	dt = it_now() - t0;
	printf("fanout.timeout 1s: statement ended after %.0f ms\n", dt * 1000);
	it_sleep_ms(300);
	expect_no_sleeper("SELECT pg_sleep(3)%");
	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	it_finish(c);
}

static void test_client_cancel(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	PGcancel *cancel;
	PGresult *r;
	char err[256], msg[256] = "";
	double t0 = it_now();

	/* fanout.timeout (1 s) would end it too, with its own message: the
	 * message tells which of the two did. */
	assert_int_equal(PQsendQuery(c, "SELECT pg_sleep(5), count(*) FROM live"), 1);
	it_sleep_ms(200);
	cancel = PQgetCancel(c);
	assert_int_equal(PQcancel(cancel, err, sizeof(err)), 1);
	PQfreeCancel(cancel);
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) == PGRES_FATAL_ERROR && msg[0] == '\0')
			snprintf(msg, sizeof(msg), "%s %s", it_result_sqlstate(r),
			         PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		PQclear(r);
	}
	printf("client cancel: statement ended after %.0f ms: %s\n", (it_now() - t0) * 1000, msg);
	assert_string_equal(msg, "57014 canceling statement due to user request");
	it_sleep_ms(200);
	expect_no_sleeper("SELECT pg_sleep(5)%");
	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	it_finish(c);
}

static void test_multi_shard_write_refused(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();

	it_expect_sqlstate(c, "UPDATE live SET v = v", "0A000");
	it_expect_sqlstate(c, "DELETE FROM live", "0A000");
	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	it_finish(c);
}

/* One prepared cross-shard statement executed many times, text and binary. */
static void test_prepared_many(void **state)
{
	static const int vals[] = {1, 2, 3, 5, 6, 7, 8, 9, 10};
	it_skip_if_direct();
	PGconn *c = app_connect();
	PGresult *r = PQprepare(c, "s_many", "SELECT count(*), sum(v) FROM live WHERE v > $1", 1, NULL);

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	for (int k = 0; k <= 11; k++) {
		char param[24], want_n[24], want_s[24];
		const char *pv[1] = {param};
		long n = 0, sum = 0;
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
			if (vals[i] > k) {
				n++;
				sum += vals[i];
			}
		snprintf(param, sizeof(param), "%d", k);
		snprintf(want_n, sizeof(want_n), "%ld", n);
		snprintf(want_s, sizeof(want_s), "%ld", sum);
		r = PQexecPrepared(c, "s_many", 1, pv, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_int_equal(PQntuples(r), 1);
		assert_string_equal(PQgetvalue(r, 0, 0), want_n);
		if (n == 0)
			assert_true(PQgetisnull(r, 0, 1));
		else
			assert_string_equal(PQgetvalue(r, 0, 1), want_s);
		PQclear(r);
		/* Binary: count is int8, 8 bytes big-endian. */
		r = PQexecPrepared(c, "s_many", 1, pv, NULL, NULL, 1);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_int_equal(PQgetlength(r, 0, 0), 8);
		assert_int_equal(it_get_u32((const uint8_t *)PQgetvalue(r, 0, 0) + 4), (uint32_t)n);
		PQclear(r);
	}
	it_finish(c);
}

/* LIMIT/OFFSET from parameters, NULL among them (OFFSET NULL is none,
 * LIMIT NULL is all), the same prepared text twice (its plan is cached,
 * the values are this execution's). */
static void test_limit_params(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	const char *sql = "SELECT v FROM live ORDER BY v LIMIT $1 OFFSET $2";
	const char *p1[2] = {"3", NULL}, *p2[2] = {NULL, "7"}, *p3[2] = {"2", "1"};
	PGresult *r;

	r = PQexecParams(c, sql, 2, NULL, p1, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 3);
	assert_string_equal(PQgetvalue(r, 0, 0), "1");
	assert_string_equal(PQgetvalue(r, 2, 0), "3");
	PQclear(r);
	r = PQexecParams(c, sql, 2, NULL, p2, NULL, NULL, 0);
	assert_int_equal(PQntuples(r), 2);
	assert_string_equal(PQgetvalue(r, 0, 0), "9");
	PQclear(r);
	r = PQexecParams(c, sql, 2, NULL, p3, NULL, NULL, 0);
	assert_int_equal(PQntuples(r), 2);
	assert_string_equal(PQgetvalue(r, 0, 0), "2");
	assert_string_equal(PQgetvalue(r, 1, 0), "3");
	PQclear(r);
	it_finish(c);
}

/* Legs give their connections back: many more fan-outs than the pool
 * (4 per shard) has connections, one after another and from 6 clients. */
static void test_connections_released(void **state)
{
	it_skip_if_direct();
	PGconn *cs[6];

	for (int i = 0; i < 6; i++)
		cs[i] = app_connect();
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 6; i++)
			assert_int_equal(PQsendQuery(cs[i], "SELECT v FROM live ORDER BY v DESC LIMIT 2"), 1);
		for (int i = 0; i < 6; i++) {
			PGresult *r = PQgetResult(cs[i]);
			assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
			assert_int_equal(PQntuples(r), 2);
			assert_string_equal(PQgetvalue(r, 0, 0), "10");
			assert_string_equal(PQgetvalue(r, 1, 0), "9");
			PQclear(r);
			while ((r = PQgetResult(cs[i])) != NULL)
				PQclear(r);
		}
	}
	for (int i = 0; i < 6; i++)
		it_finish(cs[i]);
}

/* Inside a transaction: a read before the transaction touches a shard
 * fans out (psycopg and JDBC without autocommit open one for everything);
 * once it is on a shard, a statement for several shards is refused. */
static void test_in_transaction(void **state)
{
	it_skip_if_direct();
	PGconn *c = app_connect();
	const char *zero[1] = {"0"};
	PGresult *r;

	PQclear(it_exec_ok(c, "BEGIN"));
	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	assert_int_equal(PQtransactionStatus(c), PQTRANS_INTRANS);
	r = PQexecParams(c, "SELECT count(*) FROM live WHERE v > $1", 1, NULL, zero, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "9");
	PQclear(r);
	it_expect_scalar(c, "SELECT count(*) FROM live WHERE region = 'US'", "3");
	it_expect_sqlstate(c, "SELECT count(*) FROM live", "0A000");
	PQclear(it_exec_ok(c, "ROLLBACK"));

	/* A failed read fails the transaction, as PostgreSQL's would be. */
	PQclear(it_exec_ok(c, "BEGIN"));
	it_expect_sqlstate(c, "SELECT v / 0 FROM live", "22012");
	assert_int_equal(PQtransactionStatus(c), PQTRANS_INERROR);
	it_expect_sqlstate(c, "SELECT count(*) FROM live WHERE region = 'US'", "25P02");
	r = it_exec_ok(c, "COMMIT");
	assert_string_equal(PQcmdStatus(r), "ROLLBACK");
	PQclear(r);
	assert_int_equal(PQtransactionStatus(c), PQTRANS_IDLE);

	/* One snapshot over several shards cannot be promised. */
	PQclear(it_exec_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
	it_expect_sqlstate(c, "SELECT count(*) FROM live", "0A000");
	PQclear(it_exec_ok(c, "ROLLBACK"));
	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	it_finish(c);
}

/* Admin PAUSE holds a new cross-shard statement until RESUME. */
static void test_pause_holds_fanout(void **state)
{
	it_skip_if_direct();
	PGconn *adm = it_connect_admin();
	PGconn *c = app_connect();
	PGresult *r;

	PQclear(it_exec_ok(adm, "PAUSE"));
	assert_int_equal(PQsendQuery(c, "SELECT count(*), sum(v) FROM live"), 1);
	it_sleep_ms(300);
	assert_int_equal(PQconsumeInput(c), 1);
	assert_int_equal(PQisBusy(c), 1); /* held */
	PQclear(it_exec_ok(adm, "RESUME"));
	r = PQgetResult(c);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "9");
	assert_string_equal(PQgetvalue(r, 0, 1), "51");
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	it_finish(c);
	it_finish(adm);
}

static void test_stats(void **state)
{
	it_skip_if_direct();
	PGconn *adm = it_connect_admin();
	PGconn *c = app_connect();
	long long before = it_stat_value(adm, "fanouts"), failed = it_stat_value(adm, "fanout_failures");

	it_expect_scalar(c, "SELECT count(*) FROM live", "9");
	it_expect_sqlstate(c, "SELECT v / 0 FROM live", "22012");
	assert_int_equal(it_stat_value(adm, "fanouts"), before + 2);
	assert_int_equal(it_stat_value(adm, "fanout_failures"), failed + 1);
	assert_true(it_stat_value(adm, "fanout_partial") >= 2); /* test_partial_results */
	assert_true(it_stat_value(adm, "fanout_cancels") >= 2); /* timeout, cancel, LIMIT */
	it_finish(c);
	it_finish(adm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_shard_error, it_teardown),
	        cmocka_unit_test_teardown(test_unreachable_shard_fails, it_teardown),
	        cmocka_unit_test_teardown(test_partial_results, it_teardown),
	        cmocka_unit_test_teardown(test_fanout_timeout, it_teardown),
	        cmocka_unit_test_teardown(test_client_cancel, it_teardown),
	        cmocka_unit_test_teardown(test_multi_shard_write_refused, it_teardown),
	        cmocka_unit_test_teardown(test_prepared_many, it_teardown),
	        cmocka_unit_test_teardown(test_limit_params, it_teardown),
	        cmocka_unit_test_teardown(test_connections_released, it_teardown),
	        cmocka_unit_test_teardown(test_in_transaction, it_teardown),
	        cmocka_unit_test_teardown(test_pause_holds_fanout, it_teardown),
	        cmocka_unit_test_teardown(test_stats, it_teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
