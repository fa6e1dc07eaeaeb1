/* it_common.h — helpers shared by the integration tests (tests/integration/it_*.c).
 *
 * tests/integration/run.sh starts PostgreSQL and shardgate and passes the
 * details in the environment (SG_HOST, SG_PORT, SG_ADMIN_DIR, SG_ADMIN_PORT,
 * SG_CONFIG, SG_PID, SG_USER, SG_PASSWORD, SG_DB, PG_HOST, PG1_PORT,
 * PG2_PORT, PG_USER, PG_PASSWORD, PG_DB, SG_BASEDIR, SG_DIRECT).
 *
 * Every helper that can fail fails the current cmocka test itself, so test
 * bodies read as a list of steps. Results and strings handed back are owned
 * by the caller (PQclear / free / PQfinish). Include after the cmocka
 * prerequisites (stdarg.h, stddef.h, setjmp.h, stdint.h). */
#ifndef SG_IT_COMMON_H
#define SG_IT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* ---- environment ---- */
/* Value of a variable run.sh must set; fails the test if it is missing. */
const char *it_env(const char *name);
int it_env_int(const char *name);
/* True under SG_DIRECT=1: SG_PORT is pg1 itself, there is no proxy. */
bool it_direct(void);
/* Skips the calling test (cmocka skip()) when there is no proxy to test. */
#define it_skip_if_direct()                                                                                  \
	do {                                                                                                 \
		if (it_direct()) {                                                                           \
			skip();                                                                              \
			return;                                                                              \
		}                                                                                            \
	} while (0)

/* ---- connections (sslmode=disable, connect_timeout=10) ---- */
/* Connects through the proxy; fails the test unless the connection is OK.
 * The result is owned by the test: close it with it_finish(). */
PGconn *it_connect_proxy(const char *user, const char *password);
/* Same, with a libpq `options` string (e.g. "-c statement_timeout=1234"). */
PGconn *it_connect_proxy_opts(const char *user, const char *password, const char *options);
/* Tries to connect through the proxy and returns the PGconn whatever its
 * status (never NULL), for tests that expect the connection to fail. */
PGconn *it_try_connect_proxy(const char *user, const char *password);
/* Same at another host (an IP, or a Unix socket directory) and port. */
PGconn *it_try_connect_proxy_at(const char *host, const char *port, const char *user, const char *password);
/* Connects straight to one PostgreSQL server as PG_USER. */
PGconn *it_connect_direct(int port);
/* Connects to the admin console (unix socket SG_ADMIN_DIR, port SG_ADMIN_PORT, dbname admin). */
PGconn *it_connect_admin(void);
/* Same, but returns the PGconn whatever its status (never NULL). */
PGconn *it_try_connect_admin(void);
/* The admin console in socket directory dir on port (listen.workers > 1:
 * worker k > 0 listens in SG_ADMIN_DIR/worker<k>). */
PGconn *it_connect_admin_at(const char *dir, const char *port);
/* Every PGconn made above is remembered until it_finish() closes it, so a
 * test that fails half-way cannot leave transactions open (and pooled
 * backends taken) for the tests after it: it_teardown() closes whatever
 * the test left. Use cmocka_unit_test_teardown(fn, it_teardown). */
void it_finish(PGconn *conn);
int it_teardown(void **state);

/* ---- queries ---- */
/* Runs sql; fails the test unless it returns COMMAND_OK or TUPLES_OK. */
PGresult *it_exec_ok(PGconn *conn, const char *sql);
/* Runs sql and asserts it fails with exactly this SQLSTATE. */
void it_expect_sqlstate(PGconn *conn, const char *sql, const char *sqlstate);
/* Runs sql, asserts exactly one row and one column, returns it (malloc'd;
 * a SQL NULL fails the test). */
char *it_scalar(PGconn *conn, const char *sql);
/* Asserts it_scalar(conn, sql) equals want. */
void it_expect_scalar(PGconn *conn, const char *sql, const char *want);
/* SQLSTATE of a result, "" when there is none. Borrowed from r. */
const char *it_result_sqlstate(const PGresult *r);
/* Drains every pending result of an async query; returns the SQLSTATE of
 * the first error (copied to state, 6 bytes) or "" if none. */
void it_drain(PGconn *conn, char state[6]);

/* Cancels a pg_sleep(10) running on conn (PQcancel) and checks it ends
 * with 57014 within 5 s and that conn is usable afterwards. */
void it_check_cancel(PGconn *conn);

/* Reads the next pipeline result and checks its status, (for tuples) its
 * single value and (for errors) its SQLSTATE; after a statement's result
 * also the NULL that ends it. */
void it_pipe_expect(PGconn *conn, ExecStatusType st, const char *value, const char *sqlstate);

/* The value of counter `name` in the admin console's SHOW STATS (fails
 * the test when there is no such counter). */
long long it_stat_value(PGconn *adm, const char *name);

/* ---- files ---- */
/* The whole file, NUL-terminated (malloc'd); fails the test if unreadable. */
char *it_read_file(const char *path);
/* Replaces the file in one step (write a temporary, rename), so the proxy
 * never reads half of it. */
void it_write_file(const char *path, const char *text);

/* text with its one occurrence of from replaced by to (malloc'd); fails
 * the test when from is not there. */
char *it_replace_once(const char *text, const char *from, const char *to);

/* ---- more shardgate instances ---- */
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);
/* Starts SG_BIN -c cfg_path with stderr into log_path; returns its pid. */
int it_spawn_shardgate(const char *cfg_path, const char *log_path);
/* Waits up to 15 s for pid (our child) to exit; returns its wait status,
 * or -1 if it is still running. */
int it_wait_exit(int pid);

/* ---- time ---- */
double it_now(void); /* monotonic seconds */
void it_sleep_ms(int ms);
/* Waits until fd is readable; 1 readable, 0 timeout. */
int it_wait_readable(int fd, int timeout_ms);

/* ---- raw sockets (malformed-input tests) ---- */
typedef enum {
	IT_RAW_CLOSED = 1, /* peer closed (EOF or reset) */
	IT_RAW_ERROR,      /* an ErrorResponse arrived */
	IT_RAW_TIMEOUT,    /* neither within the deadline */
} it_raw_outcome_t;

typedef struct it_raw_result {
	it_raw_outcome_t outcome;
	char sqlstate[6]; /* of the ErrorResponse, "" otherwise */
	char message[256];
	int nmessages; /* complete messages seen before the outcome */
} it_raw_result_t;

/* TCP connection to SG_HOST:SG_PORT; fails the test on error. */
int it_raw_connect(void);
/* Sends everything it can (MSG_NOSIGNAL, gives up after timeout_ms);
 * returns the number of bytes sent. A peer that closes early is expected
 * in these tests, so errors are not failures. */
size_t it_raw_send(int fd, const void *buf, size_t len, int timeout_ms);
/* Reads backend messages until an ErrorResponse, EOF or the deadline. */
void it_raw_read_outcome(int fd, int timeout_ms, it_raw_result_t *out);
/* Reads one whole backend message (type, body up to cap bytes); returns
 * the body length, or -1 on close/timeout/oversize. */
int it_raw_read_msg(int fd, int timeout_ms, char *type, uint8_t *body, size_t cap);
/* A v3 StartupMessage for user/database into buf; returns its length. */
size_t it_raw_startup(uint8_t *buf, size_t cap, const char *user, const char *database);
/* Big-endian helpers. */
void it_put_u32(uint8_t *p, uint32_t v);
uint32_t it_get_u32(const uint8_t *p);

#endif
