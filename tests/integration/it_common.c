/* it_common.c — libpq, time and raw-socket helpers for the integration tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it_common.h"

/* ---- environment ---- */

const char *it_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		fail_msg("environment variable %s is not set (run through tests/integration/run.sh)", name);
	return v;
}

int it_env_int(const char *name)
{
	const char *v = it_env(name);
	char *end = NULL;
	long n = strtol(v, &end, 10);

	if (end == v || *end != '\0' || n <= 0 || n > INT_MAX)
		fail_msg("%s=%s is not a positive number", name, v);
	return (int)n;
}

bool it_direct(void)
{
	const char *v = getenv("SG_DIRECT");

	return v != NULL && strcmp(v, "1") == 0;
}

/* ---- connections ---- */

enum { IT_MAX_CONNS = 64 };
static PGconn *it_conns[IT_MAX_CONNS]; /* owned: open connections of the running test */

static PGconn *it_conn_remember(PGconn *conn)
{
	for (int i = 0; i < IT_MAX_CONNS; i++) {
		if (it_conns[i] == NULL) {
			it_conns[i] = conn;
			return conn;
		}
	}
	PQfinish(conn);
	fail_msg("more than %d connections open in one test", IT_MAX_CONNS);
	return NULL;
}

void it_finish(PGconn *conn)
{
	if (conn == NULL)
		return;
	for (int i = 0; i < IT_MAX_CONNS; i++)
		if (it_conns[i] == conn)
			it_conns[i] = NULL;
	PQfinish(conn);
}

int it_teardown(void **state)
{
	for (int i = 0; i < IT_MAX_CONNS; i++) {
		if (it_conns[i] != NULL) {
			PQfinish(it_conns[i]);
			it_conns[i] = NULL;
		}
	}
	return 0;
}

/* Every connection disables TLS and GSS encryption: the proxy and the
 * raw-socket tests speak the plain protocol, and a stray Kerberos cache on
 * the machine must not change what goes on the wire. */
static PGconn *it_connect_params(const char *host, const char *port, const char *db, const char *user,
                                 const char *password, const char *options)
{
	const char *keys[] = {"host",     "port",    "dbname",          "user",
	                      "password", "sslmode", "connect_timeout", "gssencmode",
	                      "options",  NULL};
	const char *vals[] = {
	        host, port, db, user, password, "disable", "10", "disable", options ? options : "", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 0);

	if (conn == NULL)
		fail_msg("PQconnectdbParams returned NULL (out of memory)");
	return it_conn_remember(conn);
}

static PGconn *it_connect_checked(PGconn *conn, const char *what)
{
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
		it_finish(conn);
		fail_msg("connect to %s failed: %s", what, msg);
	}
	return conn;
}

PGconn *it_try_connect_proxy(const char *user, const char *password)
{
	return it_connect_params(it_env("SG_HOST"), it_env("SG_PORT"), it_env("SG_DB"), user, password, NULL);
}

PGconn *it_try_connect_proxy_at(const char *host, const char *port, const char *user, const char *password)
{
	return it_connect_params(host, port, it_env("SG_DB"), user, password, NULL);
}

PGconn *it_connect_proxy(const char *user, const char *password)
{
	return it_connect_checked(it_try_connect_proxy(user, password), "proxy");
}

PGconn *it_connect_proxy_opts(const char *user, const char *password, const char *options)
{
	PGconn *conn = it_connect_params(it_env("SG_HOST"), it_env("SG_PORT"), it_env("SG_DB"), user,
	                                 password, options);

	return it_connect_checked(conn, "proxy");
}

PGconn *it_connect_direct(int port)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", port);
	return it_connect_checked(it_connect_params(it_env("PG_HOST"), p, it_env("PG_DB"), it_env("PG_USER"),
	                                            it_env("PG_PASSWORD"), NULL),
	                          "postgres");
}

PGconn *it_try_connect_admin(void)
{
	return it_connect_params(it_env("SG_ADMIN_DIR"), it_env("SG_ADMIN_PORT"), "admin", it_env("SG_USER"),
	                         it_env("SG_PASSWORD"), NULL);
}

PGconn *it_connect_admin_at(const char *dir, const char *port)
{
	return it_connect_checked(
	        it_connect_params(dir, port, "admin", it_env("SG_USER"), it_env("SG_PASSWORD"), NULL),
	        "admin console");
}

PGconn *it_connect_admin(void)
{
	return it_connect_checked(it_try_connect_admin(), "admin console");
}

/* ---- queries ---- */

const char *it_result_sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

PGresult *it_exec_ok(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s [%s] %s", PQresStatus(st), it_result_sqlstate(r),
		         r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
		PQclear(r);
		fail_msg("query \"%s\" failed: %s", sql, msg);
	}
	return r;
}

void it_expect_sqlstate(PGconn *conn, const char *sql, const char *sqlstate)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	char got[6] = "";
	char msg[256] = "";

	snprintf(got, sizeof(got), "%s", it_result_sqlstate(r));
	snprintf(msg, sizeof(msg), "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	PQclear(r);
	if (st != PGRES_FATAL_ERROR)
		fail_msg("query \"%s\": expected SQLSTATE %s, got status %s", sql, sqlstate, PQresStatus(st));
	if (strcmp(got, sqlstate) != 0)
		fail_msg("query \"%s\": expected SQLSTATE %s, got \"%s\" (%s)", sql, sqlstate, got, msg);
}

char *it_scalar(PGconn *conn, const char *sql)
{
	PGresult *r = it_exec_ok(conn, sql);
	char *v;

	if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQgetisnull(r, 0, 0)) {
		int rows = PQntuples(r), cols = PQnfields(r);

		PQclear(r);
		fail_msg("query \"%s\": expected one non-NULL value, got %d rows x %d columns", sql, rows,
		         cols);
	}
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	assert_non_null(v);
	return v;
}

void it_expect_scalar(PGconn *conn, const char *sql, const char *want)
{
	char *got = it_scalar(conn, sql);
	int same = strcmp(got, want) == 0;
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", got);
	free(got);
	if (!same)
		fail_msg("query \"%s\": expected \"%s\", got \"%s\"", sql, want, copy);
}

void it_drain(PGconn *conn, char state[6])
{
	PGresult *r;

	state[0] = '\0';
	while ((r = PQgetResult(conn)) != NULL) {
		if (state[0] == '\0' && PQresultStatus(r) == PGRES_FATAL_ERROR)
			snprintf(state, 6, "%s", it_result_sqlstate(r));
		PQclear(r);
	}
}

/* ---- time ---- */

double it_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void it_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int it_wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	double deadline = it_now() + timeout_ms / 1000.0;

	for (;;) {
		int left = (int)((deadline - it_now()) * 1000.0);
		int n;

		if (left < 0)
			left = 0;
		n = poll(&p, 1, left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			fail_msg("poll: %s", strerror(errno));
	}
}

int it_wait_readable(int fd, int timeout_ms)
{
	return it_wait_fd(fd, POLLIN, timeout_ms);
}

/* ---- raw sockets ---- */

void it_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t it_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int it_raw_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd;

	sa.sin_port = htons((uint16_t)it_env_int("SG_PORT"));
	if (inet_pton(AF_INET, it_env("SG_HOST"), &sa.sin_addr) != 1)
		fail_msg("SG_HOST must be an IPv4 address");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		fail_msg("connect to proxy: %s", strerror(e));
	}
	return fd;
}

size_t it_raw_send(int fd, const void *buf, size_t len, int timeout_ms)
{
	const uint8_t *p = buf;
	size_t done = 0;
	double deadline = it_now() + timeout_ms / 1000.0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		int left;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break; /* EPIPE/ECONNRESET: the peer gave up on us, which is allowed */
		left = (int)((deadline - it_now()) * 1000.0);
		if (left <= 0 || it_wait_fd(fd, POLLOUT, left) == 0)
			break; /* peer stopped reading: also allowed, the reader decides */
	}
	return done;
}

/* Reads exactly n bytes before the deadline: 1 ok, 0 EOF/reset, -1 timeout. */
static int it_raw_read_full(int fd, uint8_t *buf, size_t n, double deadline)
{
	size_t got = 0;

	while (got < n) {
		int left = (int)((deadline - it_now()) * 1000.0);
		ssize_t r;

		if (left <= 0 || !it_wait_readable(fd, left))
			return -1;
		r = recv(fd, buf + got, n - got, 0);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return 0; /* ECONNRESET and friends count as closed */
		}
		got += (size_t)r;
	}
	return 1;
}

/* Discards n bytes (message bodies we do not look at). */
static int it_raw_skip(int fd, uint32_t n, double deadline)
{
	uint8_t tmp[4096];

	while (n > 0) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);
		int rc = it_raw_read_full(fd, tmp, k, deadline);

		if (rc != 1)
			return rc;
		n -= (uint32_t)k;
	}
	return 1;
}

static void it_raw_parse_error(const uint8_t *body, size_t len, it_raw_result_t *out)
{
	size_t i = 0;

	while (i < len && body[i] != 0) {
		char field = (char)body[i++];
		const char *val = (const char *)body + i;
		size_t vlen = strnlen(val, len - i);

		if (field == 'C')
			snprintf(out->sqlstate, sizeof(out->sqlstate), "%.*s", (int)vlen, val);
		else if (field == 'M')
			snprintf(out->message, sizeof(out->message), "%.*s", (int)vlen, val);
		i += vlen + 1;
	}
}

void it_raw_read_outcome(int fd, int timeout_ms, it_raw_result_t *out)
{
	double deadline = it_now() + timeout_ms / 1000.0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		uint8_t hdr[5];
		uint32_t len;
		int rc = it_raw_read_full(fd, hdr, sizeof(hdr), deadline);

		if (rc <= 0) {
			out->outcome = rc == 0 ? IT_RAW_CLOSED : IT_RAW_TIMEOUT;
			return;
		}
		len = it_get_u32(hdr + 1);
		if (len < 4) {
			fail_msg("server sent message '%c' with length %u", hdr[0], len);
		}
		if (hdr[0] == 'E') {
			uint8_t body[4096];
			uint32_t take = len - 4 < sizeof(body) ? len - 4 : (uint32_t)sizeof(body);

			rc = it_raw_read_full(fd, body, take, deadline);
			if (rc <= 0) {
				out->outcome = rc == 0 ? IT_RAW_CLOSED : IT_RAW_TIMEOUT;
				return;
			}
			it_raw_parse_error(body, take, out);
			out->outcome = IT_RAW_ERROR;
			return;
		}
		rc = it_raw_skip(fd, len - 4, deadline);
		if (rc <= 0) {
			out->outcome = rc == 0 ? IT_RAW_CLOSED : IT_RAW_TIMEOUT;
			return;
		}
		out->nmessages++;
	}
}

int it_raw_read_msg(int fd, int timeout_ms, char *type, uint8_t *body, size_t cap)
{
	double deadline = it_now() + timeout_ms / 1000.0;
	uint8_t hdr[5];
	uint32_t len;

	if (it_raw_read_full(fd, hdr, sizeof(hdr), deadline) != 1)
		return -1;
	len = it_get_u32(hdr + 1);
	if (len < 4 || len - 4 > cap)
		return -1;
	if (it_raw_read_full(fd, body, len - 4, deadline) != 1)
		return -1;
	*type = (char)hdr[0];
	return (int)(len - 4);
}

size_t it_raw_startup(uint8_t *buf, size_t cap, const char *user, const char *database)
{
	size_t n = 8;
	const char *kv[] = {"user", user, "database", database};

	for (size_t i = 0; i < 4; i++) {
		size_t l = strlen(kv[i]) + 1;

		assert_true(n + l + 1 <= cap);
		memcpy(buf + n, kv[i], l);
		n += l;
	}
	buf[n++] = 0;
	it_put_u32(buf, (uint32_t)n);
	it_put_u32(buf + 4, 196608); /* protocol 3.0 */
	return n;
}

void it_check_cancel(PGconn *c)
{
	PGcancel *cancel;
	char err[256] = "", state[6];
	double t0;

	t0 = it_now();
	assert_int_equal(PQsendQuery(c, "SELECT pg_sleep(10)"), 1);
	it_sleep_ms(300);
	cancel = PQgetCancel(c);
	assert_non_null(cancel);
	if (!PQcancel(cancel, err, sizeof(err))) {
		PQfreeCancel(cancel);
		fail_msg("PQcancel: %s", err);
	}
	PQfreeCancel(cancel);
	it_drain(c, state);
	assert_string_equal(state, "57014");
	assert_true(it_now() - t0 < 5.0);
	it_expect_scalar(c, "SELECT 'still here'", "still here");
}

void it_pipe_expect(PGconn *c, ExecStatusType st, const char *value, const char *sqlstate)
{
	PGresult *r = PQgetResult(c);

	assert_non_null(r);
	if (PQresultStatus(r) != st)
		fail_msg("pipeline: expected %s, got %s: %s", PQresStatus(st), PQresStatus(PQresultStatus(r)),
		         PQresultErrorMessage(r));
	if (value != NULL)
		assert_string_equal(PQgetvalue(r, 0, 0), value);
	if (sqlstate != NULL)
		assert_string_equal(it_result_sqlstate(r), sqlstate);
	PQclear(r);
	if (st != PGRES_PIPELINE_SYNC && st != PGRES_PIPELINE_ABORTED)
		assert_null(PQgetResult(c)); /* NULL ends each query's results */
}

long long it_stat_value(PGconn *adm, const char *name)
{
	PGresult *r = it_exec_ok(adm, "SHOW STATS");
	long long v = -1;

	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), name) == 0)
			v = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	PQclear(r);
	if (v < 0)
		fail_msg("SHOW STATS has no %s", name);
	return v;
}

/* ---- files ---- */

char *it_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("open %s failed", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void it_write_file(const char *path, const char *text)
{
	char tmp[1024];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

char *it_replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n;
	char *out;

	if (at == NULL)
		fail_msg("'%s' is not in the text", from);
	n = strlen(text) - strlen(from) + strlen(to) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

/* ---- more shardgate instances ---- */

int it_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int it_spawn_shardgate(const char *cfg_path, const char *log_path)
{
	pid_t pid = fork();
	int fd;

	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(it_env("SG_BIN"), it_env("SG_BIN"), "-c", cfg_path, (char *)NULL);
		_exit(127);
	}
	return (int)pid;
}

int it_wait_exit(int pid)
{
	double t0 = it_now();
	int st;

	while (it_now() - t0 < 15.0) {
		if (waitpid((pid_t)pid, &st, WNOHANG) == (pid_t)pid)
			return st;
		it_sleep_ms(50);
	}
	return -1;
}
