/* it_workers.c — listen.workers: 2 (tests/integration/workers.yaml.in).
 * One supervisor hands clients to two worker processes round-robin; each
 * worker has its own admin socket (worker 1 in SG_ADMIN_DIR/worker1).
 * Checks the hand-out, cancel requests that land on the other worker,
 * SHOW STATS summed over the workers, RELOAD / SIGHUP / PAUSE reaching
 * both workers, and that a worker dying
 * stops the whole (exit status 1) instead of leaving half a proxy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it_common.h"

static char worker1_dir[512];

static PGconn *admin_of(int worker)
{
	if (worker == 0)
		return it_connect_admin();
	snprintf(worker1_dir, sizeof(worker1_dir), "%s/worker1", it_env("SG_ADMIN_DIR"));
	return it_connect_admin_at(worker1_dir, it_env("SG_ADMIN_PORT"));
}

/* SHOW CONFIG's value for key on that console (malloc'd). */
static char *config_value(PGconn *adm, const char *key)
{
	PGresult *r = it_exec_ok(adm, "SHOW CONFIG");
	char *v = NULL;

	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), key) == 0)
			v = strdup(PQgetvalue(r, i, 1));
	PQclear(r);
	if (v == NULL)
		fail_msg("SHOW CONFIG has no %s", key);
	return v;
}

static void expect_config(int worker, const char *key, const char *want)
{
	PGconn *adm = admin_of(worker);
	char *v = config_value(adm, key);

	it_finish(adm);
	assert_string_equal(v, want);
	free(v);
}

/* Waits up to 5 s for a worker's SHOW CONFIG to show want for key. */
static void wait_config(int worker, const char *key, const char *want)
{
	double t0 = it_now();
	char *v = NULL;

	for (;;) {
		PGconn *adm = admin_of(worker);
		free(v);
		v = config_value(adm, key);
		it_finish(adm);
		if (strcmp(v, want) == 0 || it_now() - t0 > 5.0)
			break;
		it_sleep_ms(50);
	}
	assert_string_equal(v, want);
	free(v);
}

static int clients_on(int worker)
{
	PGconn *adm = admin_of(worker);
	PGresult *r = it_exec_ok(adm, "SHOW CLIENTS");
	int n = PQntuples(r);

	PQclear(r);
	it_finish(adm);
	return n;
}

static long long stat_on(int worker, const char *name)
{
	PGconn *adm = admin_of(worker);
	long long v = it_stat_value(adm, name);

	it_finish(adm);
	return v;
}

/* ---- tests ---- */

static void test_admin_per_worker(void **state)
{
	PGconn *a0 = admin_of(0), *a1 = admin_of(1);
	char *w0 = config_value(a0, "worker"), *w1 = config_value(a1, "worker");
	char *p0 = config_value(a0, "pid"), *p1 = config_value(a1, "pid");
	char *n1 = config_value(a1, "listen.workers"), *path1 = config_value(a1, "admin.socket");
	char want[600];

	it_finish(a0);
	it_finish(a1);
	assert_string_equal(w0, "0");
	assert_string_equal(w1, "1");
	assert_string_equal(n1, "2");
	assert_string_not_equal(p0, p1);
	/* the supervisor itself serves no console */
	assert_string_not_equal(p0, it_env("SG_PID"));
	assert_string_not_equal(p1, it_env("SG_PID"));
	snprintf(want, sizeof(want), "%s/worker1/.s.PGSQL.%s", it_env("SG_ADMIN_DIR"),
	         it_env("SG_ADMIN_PORT"));
	assert_string_equal(path1, want);
	free(w0);
	free(w1);
	free(p0);
	free(p1);
	free(n1);
	free(path1);
}

/* Clients are handed out in turn: four connections, two per worker. */
static void test_round_robin(void **state)
{
	PGconn *c[4];
	int i;

	for (i = 0; i < 4; i++) {
		c[i] = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
		it_expect_scalar(c[i], "SELECT 41 + 1", "42");
	}
	assert_int_equal(clients_on(0), 2);
	assert_int_equal(clients_on(1), 2);
	for (i = 0; i < 4; i++)
		it_finish(c[i]);
}

/* SHOW CLIENTS rows of a worker for the test database that came in over
 * the clients' Unix socket (addr "unix"). */
static int unix_clients_on(int worker)
{
	PGconn *adm = admin_of(worker);
	PGresult *r = it_exec_ok(adm, "SHOW CLIENTS");
	int i, n = 0;

	for (i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 2), it_env("SG_DB")) == 0 &&
		    strcmp(PQgetvalue(r, i, 3), "unix") == 0)
			n++;
	PQclear(r);
	it_finish(adm);
	return n;
}

/* listen.unix_socket_dir: the supervisor accepts there too and hands the
 * sockets out in the same turn as TCP ones, one per worker here. */
static void test_unix_socket_clients(void **state)
{
	PGconn *c[2];
	int i;

	for (i = 0; i < 2; i++) {
		c[i] = it_try_connect_proxy_at(it_env("SG_BASEDIR"), it_env("SG_PORT"), it_env("SG_USER"),
		                               it_env("SG_PASSWORD"));
		if (PQstatus(c[i]) != CONNECTION_OK)
			fail_msg("unix socket connect: %s", PQerrorMessage(c[i]));
		it_expect_scalar(c[i], "SELECT 41 + 1", "42");
	}
	assert_int_equal(unix_clients_on(0), 1);
	assert_int_equal(unix_clients_on(1), 1);
	for (i = 0; i < 2; i++)
		it_finish(c[i]);
}

/* Waits up to 2 s for SHOW STATS on a worker's console to show want for
 * name (totals over the workers: the others' at most one tick old). */
static void wait_stat(int worker, const char *name, long long want)
{
	double t0 = it_now();
	long long v;

	while ((v = stat_on(worker, name)) != want && it_now() - t0 < 2.0)
		it_sleep_ms(50);
	assert_int_equal(v, want);
}

/* The cancel connection right after a client's goes to the other worker,
 * which does not know the key and passes it on; the one after that lands
 * where the client is and is handled there. Both cancel the statement. */
static void test_cancel_across_workers(void **state)
{
	PGconn *c = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
	long long before = stat_on(0, "cancels_forwarded");

	it_check_cancel(c);
	wait_stat(0, "cancels_forwarded", before + 1);
	wait_stat(1, "cancels_forwarded", before + 1);
	it_check_cancel(c);
	it_sleep_ms(300); /* three ticks: a second forward would show by now */
	assert_int_equal(stat_on(0, "cancels_forwarded"), before + 1);
	assert_int_equal(stat_on(1, "cancels_forwarded"), before + 1);
	it_expect_scalar(c, "SELECT 'still usable'", "still usable");
	it_finish(c);
}

/* SHOW STATS on either console sums every worker's counters: queries run
 * on both workers show up, equally, on both. */
static void test_stats_summed(void **state)
{
	PGconn *c[4];
	long long before, after;
	int i;

	it_sleep_ms(300);
	before = stat_on(0, "queries");
	assert_int_equal(stat_on(1, "queries"), before);
	assert_int_equal(stat_on(0, "workers_summed"), 2);
	assert_int_equal(stat_on(1, "workers_summed"), 2);
	for (i = 0; i < 4; i++) {
		c[i] = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
		it_expect_scalar(c[i], "SELECT 'counted'", "counted");
	}
	it_sleep_ms(300);
	after = stat_on(0, "queries");
	assert_int_equal(after, before + 4);
	assert_int_equal(stat_on(1, "queries"), after);
	for (i = 0; i < 4; i++)
		it_finish(c[i]);
}

/* RELOAD on worker 0's console reloads worker 1 too. */
static void test_reload_reaches_every_worker(void **state)
{
	const char *path = it_env("SG_CONFIG");
	char *orig = it_read_file(path),
	     *edited = it_replace_once(orig, "checkout_timeout: 1s", "checkout_timeout: 2s");
	PGconn *adm;

	it_write_file(path, edited);
	adm = admin_of(0);
	PQclear(it_exec_ok(adm, "RELOAD"));
	expect_config(0, "pool.checkout_timeout", "2000ms");
	wait_config(1, "pool.checkout_timeout", "2000ms");
	it_write_file(path, orig);
	PQclear(it_exec_ok(adm, "RELOAD"));
	it_finish(adm);
	wait_config(1, "pool.checkout_timeout", "1000ms");
	expect_config(0, "pool.checkout_timeout", "1000ms");
	free(edited);
	free(orig);
}

/* SIGHUP to the supervisor reloads every worker. */
static void test_sighup_reaches_every_worker(void **state)
{
	const char *path = it_env("SG_CONFIG");
	char *orig = it_read_file(path),
	     *edited = it_replace_once(orig, "checkout_timeout: 1s", "checkout_timeout: 3s");
	pid_t sup = (pid_t)it_env_int("SG_PID");

	it_write_file(path, edited);
	assert_int_equal(kill(sup, SIGHUP), 0);
	wait_config(0, "pool.checkout_timeout", "3000ms");
	wait_config(1, "pool.checkout_timeout", "3000ms");
	it_write_file(path, orig);
	assert_int_equal(kill(sup, SIGHUP), 0);
	wait_config(0, "pool.checkout_timeout", "1000ms");
	wait_config(1, "pool.checkout_timeout", "1000ms");
	free(edited);
	free(orig);
}

/* Polls conn until its query is answered or timeout_s passes; returns
 * the single value ("" if still busy). */
static void poll_result(PGconn *conn, double timeout_s, char *out, size_t n)
{
	double t0 = it_now();
	PGresult *r;

	out[0] = '\0';
	while (PQisBusy(conn) && it_now() - t0 < timeout_s) {
		it_wait_readable(PQsocket(conn), 50);
		if (!PQconsumeInput(conn))
			fail_msg("connection broke: %s", PQerrorMessage(conn));
	}
	if (PQisBusy(conn))
		return;
	r = PQgetResult(conn);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
	else
		snprintf(out, n, "error %s", it_result_sqlstate(r));
	PQclear(r);
	while ((r = PQgetResult(conn)) != NULL)
		PQclear(r);
}

/* PAUSE on worker 0's console holds new transactions on both workers
 * until RESUME there. */
static void test_pause_reaches_every_worker(void **state)
{
	PGconn *a = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
	PGconn *b = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
	PGconn *adm = admin_of(0);
	char ra[64], rb[64];

	assert_int_equal(clients_on(0), 1);
	assert_int_equal(clients_on(1), 1);
	PQclear(it_exec_ok(adm, "PAUSE"));
	it_sleep_ms(200); /* the frame reaches worker 1 through the supervisor */
	assert_int_equal(PQsendQuery(a, "SELECT 'a'"), 1);
	assert_int_equal(PQsendQuery(b, "SELECT 'b'"), 1);
	/* shorter than checkout_timeout, so only PAUSE can explain the wait */
	poll_result(a, 0.6, ra, sizeof(ra));
	poll_result(b, 0.1, rb, sizeof(rb));
	PQclear(it_exec_ok(adm, "RESUME"));
	assert_string_equal(ra, "");
	assert_string_equal(rb, "");
	poll_result(a, 10.0, ra, sizeof(ra));
	poll_result(b, 10.0, rb, sizeof(rb));
	assert_string_equal(ra, "a");
	assert_string_equal(rb, "b");
	it_finish(adm);
	it_finish(a);
	it_finish(b);
}

/* A second shardgate on its own port and console: SIGKILL its worker 1;
 * the supervisor stops worker 0 and exits 1, leaving no process behind. */
static void test_worker_death_stops_all(void **state)
{
	char cfg_path[600], admin_dir[600], log_path[600], from[64], to[64], dir1[700], sock[700];
	char *orig = it_read_file(it_env("SG_CONFIG")), *step, *cfg, *log, *p0, *p1;
	pid_t sup, w0, w1;
	PGconn *a0 = NULL, *a1 = NULL;
	int st, i, port = it_free_port();
	struct stat sst;

	snprintf(cfg_path, sizeof(cfg_path), "%s/crash.yaml", it_env("SG_BASEDIR"));
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.%d", it_env("SG_BASEDIR"), port);
	snprintf(admin_dir, sizeof(admin_dir), "%s/admin-crash", it_env("SG_BASEDIR"));
	snprintf(log_path, sizeof(log_path), "%s/crash.log", it_env("SG_BASEDIR"));
	snprintf(from, sizeof(from), "port: %s\n", it_env("SG_PORT"));
	snprintf(to, sizeof(to), "port: %d\n", port);
	step = it_replace_once(orig, from, to);
	cfg = it_replace_once(step, it_env("SG_ADMIN_DIR"), admin_dir);
	it_write_file(cfg_path, cfg);
	sup = it_spawn_shardgate(cfg_path, log_path);
	snprintf(dir1, sizeof(dir1), "%s/worker1", admin_dir);
	for (i = 0; i < 100 && (a0 == NULL || a1 == NULL); i++) {
		it_sleep_ms(100);
		if (access(dir1, F_OK) == 0 && a0 == NULL)
			a0 = it_connect_admin_at(admin_dir, it_env("SG_ADMIN_PORT"));
		if (a0 != NULL)
			a1 = it_connect_admin_at(dir1, it_env("SG_ADMIN_PORT"));
	}
	assert_non_null(a1);
	p0 = config_value(a0, "pid");
	p1 = config_value(a1, "pid");
	it_finish(a0);
	it_finish(a1);
	w0 = (pid_t)atoi(p0);
	w1 = (pid_t)atoi(p1);
	/* its clients' Unix socket, next to the first instance's */
	assert_int_equal(lstat(sock, &sst), 0);
	assert_true(S_ISSOCK(sst.st_mode));
	assert_int_equal(kill(w1, SIGKILL), 0);
	st = it_wait_exit(sup);
	if (st == -1) {
		kill(sup, SIGKILL);
		fail_msg("supervisor still running 15 s after its worker was killed");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	/* the supervisor reaps its workers before it exits */
	assert_int_equal(kill(w0, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* and removes its socket on the way out */
	assert_int_equal(access(sock, F_OK), -1);
	log = it_read_file(log_path);
	assert_non_null(strstr(log, "event=worker_exited worker=1"));
	assert_non_null(strstr(log, "signal=9"));
	assert_null(strstr(log, "Sanitizer"));
	free(log);
	free(p0);
	free(p1);
	free(cfg);
	free(step);
	free(orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_admin_per_worker, it_teardown),
	        cmocka_unit_test_teardown(test_round_robin, it_teardown),
	        cmocka_unit_test_teardown(test_unix_socket_clients, it_teardown),
	        cmocka_unit_test_teardown(test_cancel_across_workers, it_teardown),
	        cmocka_unit_test_teardown(test_stats_summed, it_teardown),
	        cmocka_unit_test_teardown(test_reload_reaches_every_worker, it_teardown),
	        cmocka_unit_test_teardown(test_sighup_reaches_every_worker, it_teardown),
	        cmocka_unit_test_teardown(test_pause_reaches_every_worker, it_teardown),
	        cmocka_unit_test_teardown(test_worker_death_stops_all, it_teardown),
	};

	if (it_direct())
		return 0; /* nothing here runs without the proxy */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
