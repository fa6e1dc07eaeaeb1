/* it_listen.c — the clients' Unix socket (listen.unix_socket_dir) of a
 * single-process shardgate (tests/integration/listen.yaml.in: the socket
 * is SG_BASEDIR/.s.PGSQL.SG_PORT, next to PostgreSQL's own).
 *
 * Checks that clients connect and authenticate over it like over TCP and
 * show as "unix" in SHOW CLIENTS; that a second shardgate refuses a
 * socket the first one still serves, and a path that is not a socket;
 * that a stale socket left by a dead process is replaced; and that a
 * clean shutdown removes the socket. Worker mode: it_workers.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it_common.h"

static PGconn *try_unix(const char *port, const char *password)
{
	return it_try_connect_proxy_at(it_env("SG_BASEDIR"), port, it_env("SG_USER"), password);
}

static void socket_path(char *buf, size_t n, const char *port)
{
	snprintf(buf, n, "%s/.s.PGSQL.%s", it_env("SG_BASEDIR"), port);
}

/* The row of SHOW CLIENTS whose addr is want for the test database, or -1. */
static int client_row(PGresult *r, const char *want)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 2), it_env("SG_DB")) == 0 &&
		    strcmp(PQgetvalue(r, i, 3), want) == 0)
			return i;
	return -1;
}

/* Another shardgate from the test's config: the listen block's host and
 * port replaced by host/port, its own admin directory. Returns its pid;
 * log_path receives its log. */
static int start_other(const char *name, const char *host, int port, char *log_path, size_t n)
{
	char cfg_path[600], admin_dir[600], from[128], to[128];
	char *orig = it_read_file(it_env("SG_CONFIG")), *step, *cfg;
	int pid;

	snprintf(cfg_path, sizeof(cfg_path), "%s/%s.yaml", it_env("SG_BASEDIR"), name);
	snprintf(admin_dir, sizeof(admin_dir), "%s/admin-%s", it_env("SG_BASEDIR"), name);
	snprintf(log_path, n, "%s/%s.log", it_env("SG_BASEDIR"), name);
	snprintf(from, sizeof(from), "  host: 127.0.0.1\n  port: %s\n", it_env("SG_PORT"));
	snprintf(to, sizeof(to), "  host: %s\n  port: %d\n", host, port);
	step = it_replace_once(orig, from, to);
	cfg = it_replace_once(step, it_env("SG_ADMIN_DIR"), admin_dir);
	it_write_file(cfg_path, cfg);
	pid = it_spawn_shardgate(cfg_path, log_path);
	free(cfg);
	free(step);
	free(orig);
	return pid;
}

/* Waits for an instance that must fail at startup: exit status 1, its log
 * naming the reason. */
static void expect_startup_failure(int pid, const char *log_path, const char *reason)
{
	int st = it_wait_exit(pid);
	char *log;

	if (st == -1) {
		kill(pid, SIGKILL);
		fail_msg("shardgate still running 15 s after a startup that should fail");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	log = it_read_file(log_path);
	if (strstr(log, reason) == NULL)
		fail_msg("log lacks \"%s\":\n%s", reason, log);
	assert_null(strstr(log, "Sanitizer"));
	free(log);
}

/* ---- tests ---- */

static void test_unix_query_and_auth(void **state)
{
	char path[600], msg[512];
	struct stat st;
	PGconn *u, *t, *bad, *adm;
	PGresult *r;
	int row;

	socket_path(path, sizeof(path), it_env("SG_PORT"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0777);

	u = try_unix(it_env("SG_PORT"), it_env("SG_PASSWORD"));
	if (PQstatus(u) != CONNECTION_OK)
		fail_msg("unix socket connect: %s", PQerrorMessage(u));
	it_expect_scalar(u, "SELECT 41 + 1", "42");
	it_expect_sqlstate(u, "SELECT 1/0", "22012");
	it_expect_scalar(u, "SELECT 'after the error'", "after the error");

	/* the socket is no way around authentication */
	bad = try_unix(it_env("SG_PORT"), "wrong-password");
	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(bad));
	assert_int_equal(PQstatus(bad), CONNECTION_BAD);
	it_finish(bad);
	if (strstr(msg, "password authentication failed") == NULL)
		fail_msg("expected \"password authentication failed\", got: %s", msg);

	t = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
	adm = it_connect_admin();
	r = it_exec_ok(adm, "SHOW CLIENTS");
	row = client_row(r, "unix");
	assert_true(row >= 0);
	assert_string_equal(PQgetvalue(r, row, 1), it_env("SG_USER"));
	for (row = 0; row < PQntuples(r); row++)
		if (strncmp(PQgetvalue(r, row, 3), "127.0.0.1:", 10) == 0)
			break;
	assert_true(row < PQntuples(r)); /* the TCP client, with its address */
	PQclear(r);
	r = it_exec_ok(adm, "SHOW CONFIG");
	for (row = 0; row < PQntuples(r); row++)
		if (strcmp(PQgetvalue(r, row, 0), "listen.unix_socket_dir") == 0)
			break;
	assert_true(row < PQntuples(r));
	assert_string_equal(PQgetvalue(r, row, 1), it_env("SG_BASEDIR"));
	PQclear(r);
	it_finish(adm);
	it_finish(t);
	it_finish(u);
}

/* Same directory and port (TCP on 127.0.0.2, so only the Unix socket
 * collides): the second instance must not take the live socket over. */
static void test_socket_in_use_refused(void **state)
{
	char log_path[600];
	int pid = start_other("inuse", "127.0.0.2", it_env_int("SG_PORT"), log_path, sizeof(log_path));
	PGconn *u;

	expect_startup_failure(pid, log_path, "another server is listening on it");
	u = try_unix(it_env("SG_PORT"), it_env("SG_PASSWORD"));
	if (PQstatus(u) != CONNECTION_OK)
		fail_msg("first instance's socket after the refused start: %s", PQerrorMessage(u));
	it_expect_scalar(u, "SELECT 'still mine'", "still mine");
	it_finish(u);
}

static void test_not_a_socket_refused(void **state)
{
	char log_path[600], path[600], port[16];
	int p = it_free_port(), pid;
	char *kept;

	snprintf(port, sizeof(port), "%d", p);
	socket_path(path, sizeof(path), port);
	it_write_file(path, "not a socket\n");
	pid = start_other("notsock", "127.0.0.1", p, log_path, sizeof(log_path));
	expect_startup_failure(pid, log_path, "the path exists and is not a socket");
	kept = it_read_file(path);
	assert_string_equal(kept, "not a socket\n");
	free(kept);
	unlink(path);
}

/* A socket file nobody listens on (its process died) is replaced; SIGTERM
 * then removes the socket. */
static void test_stale_socket_replaced_and_removed(void **state)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char log_path[600], port[16];
	int p = it_free_port(), fd, pid, st, i;
	PGconn *u = NULL;
	char *log;

	snprintf(port, sizeof(port), "%d", p);
	socket_path(a.sun_path, sizeof(a.sun_path), port);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd); /* bound, never listened on, not unlinked: stale */
	pid = start_other("stale", "127.0.0.1", p, log_path, sizeof(log_path));
	for (i = 0; i < 100; i++) {
		it_sleep_ms(100);
		u = try_unix(port, it_env("SG_PASSWORD"));
		if (PQstatus(u) == CONNECTION_OK)
			break;
		it_finish(u);
		u = NULL;
	}
	if (u == NULL) {
		kill(pid, SIGKILL);
		fail_msg("no connection over the replaced socket within 10 s");
	}
	it_expect_scalar(u, "SELECT 'through the new socket'", "through the new socket");
	it_finish(u);
	assert_int_equal(kill(pid, SIGTERM), 0);
	st = it_wait_exit(pid);
	if (st == -1) {
		kill(pid, SIGKILL);
		fail_msg("shardgate still running 15 s after SIGTERM");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(access(a.sun_path, F_OK), -1);
	log = it_read_file(log_path);
	assert_non_null(strstr(log, "event=stale_socket_removed"));
	assert_null(strstr(log, "Sanitizer"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_unix_query_and_auth, it_teardown),
	        cmocka_unit_test_teardown(test_socket_in_use_refused, it_teardown),
	        cmocka_unit_test_teardown(test_not_a_socket_refused, it_teardown),
	        cmocka_unit_test_teardown(test_stale_socket_replaced_and_removed, it_teardown),
	};

	if (it_direct())
		return 0; /* nothing here runs without the proxy */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
