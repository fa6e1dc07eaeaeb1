/* it_core.c — end-to-end behaviour of shardgate through libpq.
 *
 * Runs under tests/integration/run.sh with tests/integration/core.yaml.in:
 * transaction pooling, pool size 2 per shard, checkout_timeout 1s, users
 * app/apppass and md5user/md5pass. Every test opens its own connections and
 * closes them, so tests do not depend on each other's order. Tests that
 * only make sense with a proxy in front skip themselves under SG_DIRECT=1
 * (run.sh pointing SG_PORT straight at pg1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "it_common.h"

#define INT4OID 23
#define TEXTOID 25

static PGconn *app_connect(void)
{
	return it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
}

static void exec_clear(PGconn *c, const char *sql)
{
	PQclear(it_exec_ok(c, sql));
}

/* ---- simple query ---- */

static void test_simple_query(void **state)
{
	PGconn *c = app_connect();
	PGresult *r;

	it_expect_scalar(c, "SELECT 1", "1");
	/* A multi-statement simple query: PQexec keeps only the last result. */
	it_expect_scalar(c, "SELECT 1; SELECT 2", "2");
	r = PQexec(c, "");
	assert_int_equal(PQresultStatus(r), PGRES_EMPTY_QUERY);
	PQclear(r);
	it_expect_sqlstate(c, "SELECT 1/0", "22012");
	it_expect_scalar(c, "SELECT 3", "3");
	/* An error inside a transaction aborts it until ROLLBACK. */
	exec_clear(c, "BEGIN");
	it_expect_sqlstate(c, "SELECT 1/0", "22012");
	it_expect_sqlstate(c, "SELECT 1", "25P02");
	exec_clear(c, "ROLLBACK");
	it_expect_scalar(c, "SELECT 'after rollback'", "after rollback");
	it_finish(c);
}

/* ---- extended protocol ---- */

static void test_extended_text_params(void **state)
{
	PGconn *c = app_connect();
	const char *vals[2] = {"41", "hi"};
	PGresult *r = PQexecParams(c, "SELECT $1::int4 + 1, $2::text || '!'", 2, NULL, vals, NULL, NULL, 0);

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "42");
	assert_string_equal(PQgetvalue(r, 0, 1), "hi!");
	PQclear(r);

	vals[0] = NULL; /* SQL NULL */
	r = PQexecParams(c, "SELECT $1::int4 IS NULL", 1, NULL, vals, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "t");
	PQclear(r);

	vals[0] = "5";
	r = PQexecParams(c, "SELECT g FROM generate_series(1, $1::int4) g ORDER BY g", 1, NULL, vals, NULL,
	                 NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 5);
	for (int i = 0; i < 5; i++) {
		char want[8];

		snprintf(want, sizeof(want), "%d", i + 1);
		assert_string_equal(PQgetvalue(r, i, 0), want);
	}
	PQclear(r);

	/* A bad parameter fails the statement, not the connection. */
	vals[0] = "not a number";
	r = PQexecParams(c, "SELECT $1::int4", 1, NULL, vals, NULL, NULL, 0);
	assert_string_equal(it_result_sqlstate(r), "22P02");
	PQclear(r);
	it_expect_scalar(c, "SELECT 'ok'", "ok");
	it_finish(c);
}

static void test_extended_binary_params(void **state)
{
	PGconn *c = app_connect();
	uint32_t v = htonl(41), out;
	const Oid types[2] = {INT4OID, TEXTOID};
	const char *vals[2] = {(const char *)&v, "abc"};
	const int lens[2] = {4, 3};
	const int fmts[2] = {1, 1};
	PGresult *r = PQexecParams(c, "SELECT $1 + 1, $2 || 'def'", 2, types, vals, lens, fmts, 1);

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	assert_int_equal(PQftype(r, 0), INT4OID);
	assert_int_equal(PQfformat(r, 0), 1);
	assert_int_equal(PQgetlength(r, 0, 0), 4);
	memcpy(&out, PQgetvalue(r, 0, 0), 4);
	assert_int_equal(ntohl(out), 42);
	assert_int_equal(PQftype(r, 1), TEXTOID);
	assert_int_equal(PQgetlength(r, 0, 1), 6);
	assert_memory_equal(PQgetvalue(r, 0, 1), "abcdef", 6);
	PQclear(r);

	v = htonl((uint32_t)-7);
	r = PQexecParams(c, "SELECT $1::int4 * 2", 1, types, vals, lens, fmts, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "-14");
	PQclear(r);
	it_finish(c);
}

/* Holds a pooled backend: an open transaction that has run a statement. */
static void hold_backend(PGconn *h)
{
	exec_clear(h, "BEGIN");
	it_expect_scalar(h, "SELECT 1", "1");
}

static void execute_prepared(PGconn *a, int i, int *pid)
{
	char arg[16], want[16];
	const char *vals[1] = {arg};
	PGresult *r;

	snprintf(arg, sizeof(arg), "%d", i);
	snprintf(want, sizeof(want), "%d", i * 10);
	r = PQexecPrepared(a, "it_stmt", 1, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[256];

		snprintf(msg, sizeof(msg), "[%s] %s", it_result_sqlstate(r), PQresultErrorMessage(r));
		PQclear(r);
		fail_msg("execute #%d of it_stmt failed: %s", i, msg);
	}
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), want);
	*pid = atoi(PQgetvalue(r, 0, 1));
	PQclear(r);
}

/* A named statement prepared once must work in every later transaction,
 * whichever pooled backend the transaction lands on. Two holders take turns
 * pinning the backend A just used, so each transaction of A is forced onto
 * the other backend (pool size 2) whatever the pool's selection policy. */
static void test_prepared_across_backends(void **state)
{
	enum { ROUNDS = 6 };
	PGconn *a = app_connect(), *h[2] = {app_connect(), app_connect()};
	int pids[ROUNDS], distinct = 0, cur = 0;
	PGresult *r = PQprepare(a, "it_stmt", "SELECT $1::int4 * 10, pg_backend_pid()", 1, NULL);

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQdescribePrepared(a, "it_stmt");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	assert_int_equal(PQnparams(r), 1);
	assert_int_equal(PQparamtype(r, 0), INT4OID);
	assert_int_equal(PQnfields(r), 2);
	PQclear(r);

	exec_clear(a, "BEGIN");
	execute_prepared(a, 0, &pids[0]);
	hold_backend(h[cur]);
	for (int i = 1; i < ROUNDS; i++) {
		exec_clear(a, "COMMIT");
		hold_backend(h[1 - cur]); /* takes the backend A just released */
		exec_clear(h[cur], "COMMIT");
		cur = 1 - cur;
		exec_clear(a, "BEGIN");
		execute_prepared(a, i, &pids[i]);
	}
	exec_clear(a, "COMMIT");
	exec_clear(h[cur], "COMMIT");
	/* and outside any explicit transaction */
	for (int i = 0; i < 3; i++) {
		int pid;

		execute_prepared(a, 100 + i, &pid);
	}

	for (int i = 0; i < ROUNDS; i++) {
		int seen = 0;

		for (int j = 0; j < i; j++)
			seen |= pids[j] == pids[i];
		distinct += !seen;
	}
	if (it_direct())
		assert_int_equal(distinct, 1); /* one session, one backend */
	else
		assert_true(distinct >= 2);
	it_finish(h[0]);
	it_finish(h[1]);
	it_finish(a);
}

/* ---- COPY ---- */

static void test_copy_in_out(void **state)
{
	enum { NROWS = 1000 };
	PGconn *c = app_connect();
	char sql[256], line[64], table[64];
	PGresult *r;
	char *buf = NULL;
	int n, row = 0;

	snprintf(table, sizeof(table), "it_copy_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id int PRIMARY KEY, val text)", table);
	exec_clear(c, sql);

	snprintf(sql, sizeof(sql), "COPY %s (id, val) FROM STDIN", table);
	r = PQexec(c, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	for (int i = 1; i <= NROWS; i++) {
		n = snprintf(line, sizeof(line), "%d\tvalue-%d\n", i, i);
		assert_int_equal(PQputCopyData(c, line, n), 1);
	}
	assert_int_equal(PQputCopyEnd(c, NULL), 1);
	r = PQgetResult(c);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	assert_string_equal(PQcmdTuples(r), "1000");
	PQclear(r);
	assert_null(PQgetResult(c));

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	it_expect_scalar(c, sql, "1000");

	snprintf(sql, sizeof(sql), "COPY (SELECT id, val FROM %s ORDER BY id) TO STDOUT", table);
	r = PQexec(c, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COPY_OUT);
	PQclear(r);
	while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
		row++;
		snprintf(line, sizeof(line), "%d\tvalue-%d\n", row, row);
		if (row > NROWS || (size_t)n != strlen(line) || memcmp(buf, line, (size_t)n) != 0) {
			PQfreemem(buf);
			fail_msg("COPY TO row %d differs from what was copied in", row);
		}
		PQfreemem(buf);
	}
	assert_int_equal(n, -1);
	assert_int_equal(row, NROWS);
	r = PQgetResult(c);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	assert_string_equal(PQcmdTuples(r), "1000");
	PQclear(r);
	assert_null(PQgetResult(c));

	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	exec_clear(c, sql);
	it_finish(c);
}

/* A COPY that fails (bad data, or the client aborting it) ends with an
 * error and leaves the connection usable. */
static void test_copy_errors(void **state)
{
	PGconn *c = app_connect();
	char state_[6];
	PGresult *r = PQexec(c, "CREATE TEMP TABLE it_copy_err (id int)");

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQexec(c, "COPY it_copy_err FROM STDIN");
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	assert_int_equal(PQputCopyData(c, "1\nnot-an-int\n", 13), 1);
	assert_int_equal(PQputCopyEnd(c, NULL), 1);
	it_drain(c, state_);
	assert_string_equal(state_, "22P02");
	it_expect_scalar(c, "SELECT count(*) FROM it_copy_err", "0");

	r = PQexec(c, "COPY it_copy_err FROM STDIN");
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	assert_int_equal(PQputCopyData(c, "1\n", 2), 1);
	assert_int_equal(PQputCopyEnd(c, "client gave up"), 1);
	it_drain(c, state_);
	assert_string_equal(state_, "57014");
	it_expect_scalar(c, "SELECT count(*) FROM it_copy_err", "0");
	it_finish(c);
}

/* ---- cancel ---- */

static void test_cancel(void **state)
{
	PGconn *c = app_connect();

	it_check_cancel(c);
	it_finish(c);
}

/* ---- authentication ---- */

static void expect_auth_failure(const char *user, const char *password)
{
	PGconn *c = it_try_connect_proxy(user, password);
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
	assert_int_equal(PQstatus(c), CONNECTION_BAD);
	it_finish(c);
	/* libpq reports a startup failure as text only; 28P01 reads like this. */
	if (strstr(msg, "password authentication failed") == NULL)
		fail_msg("user %s: expected \"password authentication failed\", got: %s", user, msg);
}

static void test_auth(void **state)
{
	PGconn *c = it_connect_proxy("app", "apppass");

	it_expect_scalar(c, "SELECT 'in'", "in");
	it_finish(c);
	expect_auth_failure("app", "wrong-password");
	expect_auth_failure("no_such_user", "apppass");
}

/* The authentication request shardgate sends to a fresh client for user. */
static int32_t auth_request_code(const char *user)
{
	uint8_t buf[512];
	char type = 0;
	int fd = it_raw_connect(), n;
	size_t len = it_raw_startup(buf, sizeof(buf), user, it_env("SG_DB"));

	assert_int_equal(it_raw_send(fd, buf, len, 2000), len);
	n = it_raw_read_msg(fd, 5000, &type, buf, sizeof(buf));
	close(fd);
	assert_true(n >= 4);
	assert_int_equal(type, 'R');
	return (int32_t)it_get_u32(buf);
}

/* Runs one admin command and reports its SQLSTATE ("" on success, "conn"
 * if the console is unreachable) without failing the test, so callers can
 * restore the config file before they assert anything. */
static void admin_command(const char *sql, char state_[6])
{
	PGconn *adm = it_try_connect_admin();
	PGresult *r;

	if (PQstatus(adm) != CONNECTION_OK) {
		snprintf(state_, 6, "conn");
		it_finish(adm);
		return;
	}
	r = PQexec(adm, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
		snprintf(state_, 6, "%s", "");
	else if (it_result_sqlstate(r)[0] != '\0')
		snprintf(state_, 6, "%s", it_result_sqlstate(r));
	else
		snprintf(state_, 6, "none");
	PQclear(r);
	it_finish(adm);
}

static void test_auth_md5_after_reload(void **state)
{
	const char *path;
	char *orig, *edited, *at, st1[6], st2[6];
	const char *from = "method: scram-sha-256", *to = "method: md5";
	PGconn *c = NULL;
	ConnStatusType md5_status;
	int32_t md5_code, scram_code;

	it_skip_if_direct();
	path = it_env("SG_CONFIG");
	orig = it_read_file(path);
	at = strstr(orig, from);
	assert_non_null(at);
	edited = malloc(strlen(orig) + 1);
	assert_non_null(edited);
	snprintf(edited, strlen(orig) + 1, "%.*s%s%s", (int)(at - orig), orig, to, at + strlen(from));

	it_write_file(path, edited);
	admin_command("RELOAD", st1);
	md5_code = auth_request_code("md5user");
	c = it_try_connect_proxy("md5user", "md5pass");
	md5_status = PQstatus(c);
	it_finish(c);
	/* Restore before asserting so that a failure here cannot break later tests. */
	it_write_file(path, orig);
	admin_command("RELOAD", st2);
	scram_code = auth_request_code("app");
	free(edited);
	free(orig);

	assert_string_equal(st1, "");
	assert_string_equal(st2, "");
	assert_int_equal(md5_code, 5); /* AuthenticationMD5Password */
	assert_int_equal(md5_status, CONNECTION_OK);
	assert_int_equal(scram_code, 10); /* AuthenticationSASL */
	c = app_connect();
	it_expect_scalar(c, "SELECT 'scram again'", "scram again");
	it_finish(c);
}

/* ---- backend failure ---- */

static void test_backend_killed(void **state)
{
	PGconn *c = app_connect(), *pg = it_connect_direct(it_env_int("PG1_PORT"));
	char marker[64], sql[256], state_[6];
	double t0;
	int found = 0;

	snprintf(marker, sizeof(marker), "it_kill_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "SELECT pg_sleep(5), '%s'", marker);
	t0 = it_now();
	assert_int_equal(PQsendQuery(c, sql), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	         "WHERE query LIKE '%%%s%%' AND state = 'active' AND pid <> pg_backend_pid()",
	         marker);
	for (int i = 0; i < 50 && !found; i++) {
		char *n = it_scalar(pg, sql);

		found = strcmp(n, "1") == 0;
		free(n);
		if (!found)
			it_sleep_ms(100);
	}
	assert_true(found);
	it_drain(c, state_);
	assert_true(it_now() - t0 < 4.5);
	if (it_direct()) {
		/* PostgreSQL itself reports the termination and drops the session. */
		assert_string_equal(state_, "57P01");
	} else {
		/* The proxy turns the lost backend into an error on this client
		 * and keeps the client connection. */
		assert_string_equal(state_, "08006");
		assert_int_equal(PQstatus(c), CONNECTION_OK);
		it_expect_scalar(c, "SELECT 'survived'", "survived");
	}
	it_finish(pg);
	it_finish(c);
}

/* ---- reload and admin console ---- */

static void test_reload_broken_config(void **state)
{
	const char *path;
	char *orig, st1[6], st2[6];
	PGconn *c;

	it_skip_if_direct();
	c = app_connect();
	path = it_env("SG_CONFIG");
	orig = it_read_file(path);
	it_write_file(path, "listen: [unclosed\n  port: : :\n\tpool\n");
	admin_command("RELOAD", st1);
	it_write_file(path, orig);
	free(orig);
	assert_string_equal(st1, "F0000");
	/* the old configuration is still in force */
	it_expect_scalar(c, "SELECT 'old config'", "old config");
	it_finish(c);
	c = app_connect();
	it_expect_scalar(c, "SELECT 'new client'", "new client");
	it_finish(c);
	admin_command("RELOAD", st2);
	assert_string_equal(st2, "");
}

static void assert_no_secret(const char *text, const char *where)
{
	const char *secrets[] = {"apppass", "md5pass", it_env("PG_PASSWORD")};

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(text, secrets[i]) != NULL)
			fail_msg("%s contains a password", where);
}

/* Runs an admin SHOW, checks its exact column names, at least one row, and
 * that no cell gives a password away. Returns the result (caller clears). */
static PGresult *admin_show(PGconn *adm, const char *sql, const char *const *cols, int ncols)
{
	PGresult *r = it_exec_ok(adm, sql);

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQnfields(r), ncols);
	for (int i = 0; i < ncols; i++)
		assert_string_equal(PQfname(r, i), cols[i]);
	if (PQntuples(r) < 1)
		fail_msg("%s returned no rows", sql);
	for (int row = 0; row < PQntuples(r); row++)
		for (int col = 0; col < ncols; col++)
			assert_no_secret(PQgetvalue(r, row, col), sql);
	return r;
}

static int find_row(PGresult *r, int col, const char *val)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, col), val) == 0)
			return i;
	return -1;
}

static void test_admin_show(void **state)
{
	static const char *const shards[] = {"name", "host", "port", "role", "database", "state"};
	static const char *const pools[] = {"shard", "host",    "port", "active",
	                                    "idle",  "waiting", "size", "mode"};
	static const char *const clients[] = {
	        "id", "user", "database", "addr", "state", "application_name", "pinned"};
	static const char *const servers[] = {"id",    "shard",     "host",       "port",
	                                      "state", "client_id", "backend_pid"};
	static const char *const kv[] = {"name", "value"};
	static const char *const config[] = {"key", "value"};
	static const char *const version[] = {"version"};
	PGconn *c, *adm;
	PGresult *r;
	int row;

	it_skip_if_direct();
	c = app_connect();
	it_expect_scalar(c, "SELECT 1", "1"); /* so that a server connection exists */
	adm = it_connect_admin();

	r = admin_show(adm, "SHOW SHARDS", shards, 6);
	row = find_row(r, 0, "main");
	assert_true(row >= 0);
	assert_string_equal(PQgetvalue(r, row, 2), it_env("PG1_PORT"));
	assert_string_equal(PQgetvalue(r, row, 4), "shardgate");
	row = find_row(r, 0, "second");
	assert_true(row >= 0);
	assert_string_equal(PQgetvalue(r, row, 2), it_env("PG2_PORT"));
	PQclear(r);

	r = admin_show(adm, "SHOW POOLS", pools, 8);
	row = find_row(r, 0, "main");
	assert_true(row >= 0);
	assert_string_equal(PQgetvalue(r, row, 6), "2");
	PQclear(r);

	r = admin_show(adm, "SHOW CLIENTS", clients, 7);
	assert_true(find_row(r, 1, "app") >= 0);
	PQclear(r);

	r = admin_show(adm, "SHOW SERVERS", servers, 7);
	assert_true(find_row(r, 1, "main") >= 0);
	PQclear(r);

	PQclear(admin_show(adm, "SHOW STATS", kv, 2));
	PQclear(admin_show(adm, "SHOW CONFIG", config, 2));
	r = admin_show(adm, "SHOW VERSION", version, 1);
	assert_int_equal(PQntuples(r), 1);
	assert_true(strlen(PQgetvalue(r, 0, 0)) > 0);
	PQclear(r);

	it_finish(adm);
	it_finish(c);
}

static void test_admin_unknown_command(void **state)
{
	PGconn *adm;

	it_skip_if_direct();
	adm = it_connect_admin();
	it_expect_sqlstate(adm, "FROBNICATE THE POOLS", "42601");
	it_expect_sqlstate(adm, "SHOW NO_SUCH_THING", "42601");
	/* the console is still usable */
	PQclear(it_exec_ok(adm, "SHOW VERSION"));
	it_finish(adm);
}

struct waiter {
	pthread_t thread;
	volatile int done; /* set last, read by the main thread */
	char result[64];
};

/* Runs on its own thread: cmocka asserts must not be used here. */
static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	const char *keys[] = {"host", "port", "dbname", "user", "password", "sslmode", "gssencmode", NULL};
	const char *vals[] = {getenv("SG_HOST"),     getenv("SG_PORT"), getenv("SG_DB"), getenv("SG_USER"),
	                      getenv("SG_PASSWORD"), "disable",         "disable",       NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	PGresult *r = NULL;

	if (PQstatus(c) == CONNECTION_OK)
		r = PQexec(c, "SELECT 'through'");
	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		snprintf(w->result, sizeof(w->result), "%s", PQgetvalue(r, 0, 0));
	else
		snprintf(w->result, sizeof(w->result), "error %s", it_result_sqlstate(r));
	PQclear(r);
	PQfinish(c);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_pause_resume(void **state)
{
	struct waiter w = {.done = 0};
	PGconn *adm;
	int waited, finished = 0;
	double t0;

	it_skip_if_direct();
	adm = it_connect_admin();
	PQclear(it_exec_ok(adm, "PAUSE"));
	assert_int_equal(pthread_create(&w.thread, NULL, waiter_main, &w), 0);
	/* shorter than checkout_timeout, so only PAUSE can explain the wait */
	it_sleep_ms(600);
	waited = !__atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
	PQclear(it_exec_ok(adm, "RESUME"));
	t0 = it_now();
	while (it_now() - t0 < 10.0 && !finished) {
		finished = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
		if (!finished)
			it_sleep_ms(20);
	}
	if (!finished)
		fail_msg("query still blocked 10 s after RESUME");
	pthread_join(w.thread, NULL);
	it_finish(adm);
	assert_true(waited);
	assert_string_equal(w.result, "through");
}

static void test_pool_exhaustion(void **state)
{
	PGconn *a, *b, *c;
	double t0, dt;

	it_skip_if_direct();
	a = app_connect();
	b = app_connect();
	c = app_connect();
	hold_backend(b);
	hold_backend(c);
	t0 = it_now();
	it_expect_sqlstate(a, "SELECT 'no backend for me'", "53300");
	dt = it_now() - t0;
	exec_clear(b, "ROLLBACK");
	exec_clear(c, "ROLLBACK");
	it_finish(a);
	it_finish(b);
	it_finish(c);
	if (dt < 0.8 || dt > 3.0)
		fail_msg("53300 after %.2f s, expected about 1 s (checkout_timeout)", dt);
	a = app_connect();
	it_expect_scalar(a, "SELECT 'free again'", "free again");
	it_finish(a);
}

/* ---- pipelines and pinned session state (settings: it_session.c) ---- */

/* Several Sync segments in flight at once, an error in the middle one,
 * and named statements prepared inside the pipeline: the proxy's
 * bookkeeping of which Parse completions belong to which segment must
 * hold, and a statement prepared in a later segment must be usable. */
static void test_pipeline_prepared(void **state)
{
	PGconn *a = app_connect();
	const char *one[] = {"1"}, *twenty[] = {"21"}, *forty[] = {"41"};

	PQclear(it_exec_ok(a, "SELECT 'warm'"));
	PGresult *r = PQprepare(a, "pp_inc", "SELECT $1::int + 1", 1, NULL);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	assert_int_equal(PQenterPipelineMode(a), 1);
	assert_int_equal(PQsendQueryPrepared(a, "pp_inc", 1, one, NULL, NULL, 0), 1);
	assert_int_equal(PQpipelineSync(a), 1);
	assert_int_equal(PQsendPrepare(a, "pp_dbl", "SELECT $1::int * 2", 1, NULL), 1);
	assert_int_equal(PQsendQueryPrepared(a, "pp_dbl", 1, twenty, NULL, NULL, 0), 1);
	assert_int_equal(PQpipelineSync(a), 1);
	assert_int_equal(PQsendQueryParams(a, "SELECT 1/0", 0, NULL, NULL, NULL, NULL, 0), 1);
	assert_int_equal(PQsendQueryPrepared(a, "pp_inc", 1, forty, NULL, NULL, 0), 1);
	assert_int_equal(PQpipelineSync(a), 1);
	assert_int_equal(PQsendQueryPrepared(a, "pp_dbl", 1, forty, NULL, NULL, 0), 1);
	assert_int_equal(PQsendQueryPrepared(a, "pp_inc", 1, twenty, NULL, NULL, 0), 1);
	assert_int_equal(PQpipelineSync(a), 1);

	it_pipe_expect(a, PGRES_TUPLES_OK, "2", NULL);
	it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
	it_pipe_expect(a, PGRES_COMMAND_OK, NULL, NULL);
	it_pipe_expect(a, PGRES_TUPLES_OK, "42", NULL);
	it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
	it_pipe_expect(a, PGRES_FATAL_ERROR, NULL, "22012");
	it_pipe_expect(a, PGRES_PIPELINE_ABORTED, NULL, NULL);
	assert_null(PQgetResult(a));
	it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
	it_pipe_expect(a, PGRES_TUPLES_OK, "82", NULL);
	it_pipe_expect(a, PGRES_TUPLES_OK, "22", NULL);
	it_pipe_expect(a, PGRES_PIPELINE_SYNC, NULL, NULL);
	assert_int_equal(PQexitPipelineMode(a), 1);
	/* and afterwards, on whatever backend comes next */
	for (int i = 0; i < 4; i++) {
		r = PQexecPrepared(a, "pp_dbl", 1, twenty, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(r, 0, 0), "42");
		PQclear(r);
	}
	it_finish(a);
}

/* a has session state that lives only in its own backend, so the proxy
 * must keep that backend for a. While h holds a backend in a transaction,
 * it must be a different one, and a must still reach its own. (A proxy that
 * did not pin would most likely hand a's just-released backend to h.) */
static void expect_pinned(PGconn *a, PGconn *h)
{
	char *pa = it_scalar(a, "SELECT pg_backend_pid()"), *ph;
	int same;

	hold_backend(h);
	ph = it_scalar(h, "SELECT pg_backend_pid()");
	same = strcmp(pa, ph) == 0;
	it_expect_scalar(a, "SELECT pg_backend_pid()", pa);
	exec_clear(h, "COMMIT");
	free(ph);
	free(pa);
	assert_false(same);
}

static void test_listen_notify(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *h = app_connect();
	PGnotify *n = NULL;
	double t0;

	exec_clear(a, "LISTEN it_chan");
	expect_pinned(a, h);
	exec_clear(b, "SELECT 1");
	exec_clear(b, "NOTIFY it_chan, 'hello'");
	t0 = it_now();
	while (n == NULL && it_now() - t0 < 5.0) {
		it_wait_readable(PQsocket(a), 200);
		assert_int_equal(PQconsumeInput(a), 1);
		n = PQnotifies(a);
	}
	if (n == NULL)
		fail_msg("no notification within 5 s");
	assert_string_equal(n->relname, "it_chan");
	assert_string_equal(n->extra, "hello");
	PQfreemem(n);
	exec_clear(a, "UNLISTEN it_chan");
	it_finish(a);
	it_finish(b);
	it_finish(h);
}

static void test_temp_table(void **state)
{
	PGconn *a = app_connect(), *b = app_connect(), *c = app_connect();

	exec_clear(a, "CREATE TEMP TABLE it_tmp (v int)");
	expect_pinned(a, b);
	for (int i = 0; i < 4; i++) {
		exec_clear(b, "BEGIN");
		it_expect_scalar(b, "SELECT 2", "2");
		exec_clear(b, "COMMIT");
		it_expect_scalar(c, "SELECT 3", "3");
	}
	exec_clear(a, "INSERT INTO it_tmp VALUES (1), (2)");
	expect_pinned(a, c);
	it_expect_scalar(a, "SELECT count(*) FROM it_tmp", "2");
	exec_clear(a, "BEGIN");
	it_expect_scalar(a, "SELECT sum(v) FROM it_tmp", "3");
	exec_clear(a, "COMMIT");
	it_finish(a);
	it_finish(b);
	it_finish(c);
}

/* Last on purpose: by now every path above has logged at debug level. */
static void test_no_secrets_in_log(void **state)
{
	char path[1024], *log;

	it_skip_if_direct();
	snprintf(path, sizeof(path), "%s/shardgate.log", it_env("SG_BASEDIR"));
	log = it_read_file(path);
	assert_true(strlen(log) > 0);
	assert_no_secret(log, "shardgate.log");
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_simple_query, it_teardown),
	        cmocka_unit_test_teardown(test_extended_text_params, it_teardown),
	        cmocka_unit_test_teardown(test_extended_binary_params, it_teardown),
	        cmocka_unit_test_teardown(test_prepared_across_backends, it_teardown),
	        cmocka_unit_test_teardown(test_copy_in_out, it_teardown),
	        cmocka_unit_test_teardown(test_copy_errors, it_teardown),
	        cmocka_unit_test_teardown(test_cancel, it_teardown),
	        cmocka_unit_test_teardown(test_auth, it_teardown),
	        cmocka_unit_test_teardown(test_auth_md5_after_reload, it_teardown),
	        cmocka_unit_test_teardown(test_backend_killed, it_teardown),
	        cmocka_unit_test_teardown(test_reload_broken_config, it_teardown),
	        cmocka_unit_test_teardown(test_admin_show, it_teardown),
	        cmocka_unit_test_teardown(test_admin_unknown_command, it_teardown),
	        cmocka_unit_test_teardown(test_pause_resume, it_teardown),
	        cmocka_unit_test_teardown(test_pool_exhaustion, it_teardown),
	        cmocka_unit_test_teardown(test_pipeline_prepared, it_teardown),
	        cmocka_unit_test_teardown(test_listen_notify, it_teardown),
	        cmocka_unit_test_teardown(test_temp_table, it_teardown),
	        cmocka_unit_test_teardown(test_no_secrets_in_log, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
