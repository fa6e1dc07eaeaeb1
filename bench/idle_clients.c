/* idle_clients.c — hold many authenticated, idle client connections open.
 *
 * Usage: idle_clients CONNINFO N [PARALLEL]
 *
 * Opens N libpq connections to CONNINFO (the password comes from
 * PGPASSWORD, never from the command line), at most PARALLEL (default 64)
 * handshakes in flight at once, and runs one `SELECT 1` on each. When every
 * attempt has finished it prints one line to stdout:
 *
 *     ready opened=<n> errors=<n>
 *
 * and then keeps all connections open until its standard input reaches
 * end-of-file. That is the moment bench/pgbench.sh measures the proxy's
 * resident memory. Afterwards it runs `SELECT 1` once more on every open
 * connection — a proxy that silently dropped idle clients shows up here —
 * prints `done recheck_errors=<n>` and exits 0. Exit status 1 means the
 * harness itself failed (bad arguments, out of memory, poll failure);
 * connection errors are reported in the lines above, not in the status.
 *
 * Progress goes to stderr, as do the first few error messages. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, also under -std=c11 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

enum {
	MAX_CLIENTS = 100000,
	DEFAULT_PARALLEL = 64,
	MAX_PARALLEL = 1024,
	MAX_REPORTED_ERRORS = 5,
	FD_SLACK = 32,           /* stdio, libpq's own descriptors, headroom */
	HANDSHAKE_TIMEOUT_S = 30 /* libpq leaves timeouts of async connects to us */
};

/* One handshake in flight. The connection is owned by the slot until it
 * either joins run_t.open or is finished. */
typedef struct pending {
	PGconn *conn;
	PostgresPollingStatusType want; /* what PQconnectPoll waits for */
	double started;
} pending_t;

typedef struct run {
	const char *conninfo; /* borrowed from argv */
	int total, parallel;
	PGconn **open; /* owned: established connections, nopen of them */
	int nopen, nstarted, ndone, errors;
	double t0;
} run_t;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each client needs one descriptor; raise the soft limit up to the hard
 * one. A capped limit is reported, and the surplus clients will fail with
 * EMFILE and be counted as errors, which is the honest result. */
static void fd_limit_raise(int clients)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)clients + FD_SLACK;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("idle_clients: getrlimit");
		return;
	}
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "idle_clients: need %lu descriptors, hard limit is %lu\n",
		        (unsigned long)need, (unsigned long)rl.rlim_max);
		need = rl.rlim_max;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		perror("idle_clients: setrlimit");
}

static void error_note(run_t *r, const char *what, const char *msg)
{
	r->errors++;
	if (r->errors <= MAX_REPORTED_ERRORS)
		fprintf(stderr, "idle_clients: %s: %s%s", what, msg,
		        (msg[0] && msg[strlen(msg) - 1] == '\n') ? "" : "\n");
	if (r->errors == MAX_REPORTED_ERRORS)
		fprintf(stderr, "idle_clients: (further errors are counted, not printed)\n");
}

static int select_one(PGconn *conn, const char **why)
{
	PGresult *res = PQexec(conn, "SELECT 1");
	int rc = -1;

	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "1") == 0)
		rc = 0;
	*why = PQerrorMessage(conn);
	if (rc != 0 && (*why)[0] == '\0')
		*why = "unexpected result for SELECT 1";
	PQclear(res);
	return rc;
}

static void progress_note(run_t *r)
{
	int step = r->total >= 10 ? r->total / 10 : 1;

	r->ndone++;
	if (r->ndone % step == 0 || r->ndone == r->total)
		fprintf(stderr, "idle_clients: %d/%d attempted, %d open, %d errors, %.1fs\n", r->ndone,
		        r->total, r->nopen, r->errors, now_s() - r->t0);
}

/* A handshake finished: keep the connection if it works, else count it.
 * fail_why is NULL on success, "" to take libpq's message. */
static void handshake_done(run_t *r, PGconn *conn, const char *fail_why)
{
	const char *why = NULL;

	if (fail_why != NULL) {
		error_note(r, "connect", fail_why[0] ? fail_why : PQerrorMessage(conn));
		PQfinish(conn);
	} else if (select_one(conn, &why) != 0) {
		error_note(r, "SELECT 1", why);
		PQfinish(conn);
	} else {
		r->open[r->nopen++] = conn;
	}
	progress_note(r);
}

/* Start handshakes until the window is full; returns the new fill. */
static int window_fill(run_t *r, pending_t *slots, int inflight)
{
	while (inflight < r->parallel && r->nstarted < r->total) {
		PGconn *conn = PQconnectStart(r->conninfo);

		r->nstarted++;
		if (conn == NULL || PQstatus(conn) == CONNECTION_BAD) {
			error_note(r, "connect", conn ? PQerrorMessage(conn) : "out of memory");
			PQfinish(conn);
			progress_note(r);
			continue;
		}
		/* libpq's rule: the first wait of a fresh PQconnectStart is for
		 * writability. */
		slots[inflight++] = (pending_t){conn, PGRES_POLLING_WRITING, now_s()};
	}
	return inflight;
}

static int connect_all(run_t *r)
{
	pending_t *slots = NULL;
	struct pollfd *pfds = NULL;
	int inflight = 0, rc = -1;

	slots = calloc((size_t)r->parallel, sizeof(*slots));
	pfds = calloc((size_t)r->parallel, sizeof(*pfds));
	if (slots == NULL || pfds == NULL)
		goto fail;
	while (r->nstarted < r->total || inflight > 0) {
		inflight = window_fill(r, slots, inflight);
		for (int i = 0; i < inflight; i++) {
			pfds[i].fd = PQsocket(slots[i].conn);
			pfds[i].events = slots[i].want == PGRES_POLLING_READING ? POLLIN : POLLOUT;
			pfds[i].revents = 0;
		}
		if (inflight > 0 && poll(pfds, (nfds_t)inflight, 1000) < 0 && errno != EINTR) {
			perror("idle_clients: poll");
			goto fail;
		}
		double now = now_s();
		for (int i = 0; i < inflight;) {
			int timed_out = now - slots[i].started > HANDSHAKE_TIMEOUT_S;

			if (pfds[i].revents == 0 && !timed_out) {
				i++;
				continue;
			}
			PostgresPollingStatusType st =
			        timed_out ? PGRES_POLLING_FAILED : PQconnectPoll(slots[i].conn);
			if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
				slots[i].want = st;
				i++;
				continue;
			}
			const char *fail_why = st == PGRES_POLLING_OK ? NULL : "";
			if (timed_out)
				fail_why = "handshake timed out";
			handshake_done(r, slots[i].conn, fail_why);
			/* Fill the hole with the last slot, and look at it next. */
			slots[i] = slots[inflight - 1];
			pfds[i] = pfds[inflight - 1];
			inflight--;
		}
	}
	rc = 0;
fail:
	for (int i = 0; i < inflight; i++)
		PQfinish(slots[i].conn);
	free(pfds);
	free(slots);
	return rc;
}

static void hold_until_stdin_eof(void)
{
	char buf[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

static int recheck_all(run_t *r)
{
	int bad = 0;

	for (int i = 0; i < r->nopen; i++) {
		const char *why = NULL;

		if (select_one(r->open[i], &why) != 0) {
			bad++;
			if (bad <= MAX_REPORTED_ERRORS)
				fprintf(stderr, "idle_clients: recheck: %s", why);
		}
	}
	return bad;
}

static int parse_count(const char *s, int lo, int hi, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	run_t r = {0};
	int recheck_errors;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s CONNINFO N [PARALLEL]\n", argv[0]);
		return 1;
	}
	r.conninfo = argv[1];
	r.parallel = DEFAULT_PARALLEL;
	if (parse_count(argv[2], 1, MAX_CLIENTS, &r.total) != 0 ||
	    (argc == 4 && parse_count(argv[3], 1, MAX_PARALLEL, &r.parallel) != 0)) {
		fprintf(stderr, "idle_clients: N must be 1..%d and PARALLEL 1..%d\n", MAX_CLIENTS,
		        MAX_PARALLEL);
		return 1;
	}
	fd_limit_raise(r.total);
	r.open = calloc((size_t)r.total, sizeof(*r.open));
	if (r.open == NULL) {
		fprintf(stderr, "idle_clients: out of memory\n");
		return 1;
	}
	r.t0 = now_s();
	if (connect_all(&r) != 0)
		return 1;
	printf("ready opened=%d errors=%d\n", r.nopen, r.errors);
	fflush(stdout);
	hold_until_stdin_eof();
	recheck_errors = recheck_all(&r);
	printf("done recheck_errors=%d\n", recheck_errors);
	fflush(stdout);
	for (int i = 0; i < r.nopen; i++)
		PQfinish(r.open[i]);
	free(r.open);
	return 0;
}
