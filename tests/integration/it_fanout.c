/* it_fanout.c — the differential test of scatter-gather (issue 4).
 *
 * Runs under tests/integration/run.sh with fanout.yaml.in and
 * fanout.setup.sql on three clusters (fanout.clusters): americas = pg1,
 * europe = pg2, asia = pg3. The test makes a fourth, unsharded database,
 * the oracle (`oracle` on pg1, which shardgate never sees), gives it the
 * same schema (fanout.setup.sql, read from next to this file), and loads
 * the same generated rows through shardgate (split over the shards) and
 * into the oracle (fanout_data.h). Then every query of the corpus
 * (fanout_corpus.h) runs through shardgate and on the oracle, with the
 * simple protocol (text results) and the extended protocol (binary
 * results, bound parameters); the results must be identical: columns
 * (name, type, typmod, format), command tag, rows (byte for byte, NULLs),
 * in order when the query has ORDER BY, as a multiset otherwise. A failing
 * query prints both results and the run goes on: one run lists every
 * failure, and the test fails with their number.
 *
 * Also: each construct shardgate refuses to merge answers SQLSTATE 0A000;
 * three shards sleeping 200 ms each answer in under 300 ms (they run
 * concurrently); multi-shard UPDATE/DELETE report the summed count and
 * concatenate RETURNING rows; a prepared cross-shard statement executed
 * many times.
 *
 * FANOUT_SELFTEST=1 points the "shardgate" side at the oracle too (the
 * data is loaded once): the harness must then pass 100%, which checks the
 * corpus and the comparison rather than shardgate. FANOUT_ONLY=N runs
 * corpus entry N alone, FANOUT_SKIP=N,M,... leaves entries out,
 * FANOUT_VERBOSE=1 lists the passing queries too. Under SG_DIRECT=1
 * everything skips (there are no shards to compare). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "it_common.h"
#include "fanout_corpus.h"
#include "fanout_compare.h"
#include "fanout_data.h"

#define NSHARDS   3
#define ORACLE_DB "oracle"
#define MAX_OWNED 8

static bool g_selftest;  /* FANOUT_SELFTEST=1: both sides are the oracle */
static bool g_loaded;    /* the data set is in place on both sides */
static time_t g_base;    /* the data set's base time (see fanout_data.h) */
static int g_only = -1;  /* FANOUT_ONLY: the one corpus entry to run */
static bool g_verbose;   /* FANOUT_VERBOSE=1: one line per query that passes too */
static char g_skip[512]; /* FANOUT_SKIP=3,17: corpus entries not to run (",3,17,") */

static const char *const shard_names[NSHARDS] = {"americas", "europe", "asia"};

/* ---- connections ---- */

/* Oracle connections are not it_common's (it only knows PG_DB): kept here
 * and closed by fanout_teardown, whatever way the test ended. */
static PGconn *g_owned[MAX_OWNED];

static PGconn *oracle_connect(void)
{
	const char *keys[] = {"host",     "port",    "dbname",          "user",
	                      "password", "sslmode", "connect_timeout", "gssencmode",
	                      NULL};
	const char *vals[] = {it_env("PG_HOST"),
	                      it_env("PG1_PORT"),
	                      ORACLE_DB,
	                      it_env("PG_USER"),
	                      it_env("PG_PASSWORD"),
	                      "disable",
	                      "10",
	                      "disable",
	                      NULL};
	PGconn *conn;

	conn = PQconnectdbParams(keys, vals, 0);
	if (conn == NULL)
		fail_msg("PQconnectdbParams returned NULL");
	for (int i = 0; i < MAX_OWNED; i++) {
		if (g_owned[i] == NULL) {
			g_owned[i] = conn;
			break;
		}
		if (i == MAX_OWNED - 1) {
			PQfinish(conn);
			fail_msg("too many oracle connections");
		}
	}
	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("connect to the oracle failed: %s", PQerrorMessage(conn));
	return conn;
}

static int fanout_teardown(void **state)
{
	for (int i = 0; i < MAX_OWNED; i++) {
		if (g_owned[i] != NULL) {
			PQfinish(g_owned[i]);
			g_owned[i] = NULL;
		}
	}
	return it_teardown(state);
}

/* The side under test: shardgate, or the oracle under FANOUT_SELFTEST. */
static PGconn *sg_connect(void)
{
	if (g_selftest)
		return oracle_connect();
	return it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
}

static PGconn *shard_connect(int shard)
{
	static const char *const env[NSHARDS] = {"PG1_PORT", "PG2_PORT", "PG3_PORT"};

	return it_connect_direct(it_env_int(env[shard]));
}

static void exec_clear(PGconn *c, const char *sql)
{
	PQclear(it_exec_ok(c, sql));
}

static long long scalar_ll(PGconn *c, const char *sql)
{
	char *v = it_scalar(c, sql);
	long long n = strtoll(v, NULL, 10);

	free(v);
	return n;
}

/* Skips tests that need the proxy, and fails those that need the data
 * when the load failed (rather than report hundreds of misleading diffs). */
static bool fanout_prologue(bool needs_proxy)
{
	if (it_direct() || (needs_proxy && g_selftest))
		return false;
	if (!g_loaded)
		fail_msg("the data set was not loaded (see test_load)");
	return true;
}

#define FANOUT_PROLOGUE(needs_proxy)                                                                         \
	do {                                                                                                 \
		(void)state;                                                                                 \
		if (!fanout_prologue(needs_proxy)) {                                                         \
			skip();                                                                              \
			return;                                                                              \
		}                                                                                            \
	} while (0)

/* ---- loading ---- */

/* fanout.setup.sql, from next to this source file (CMake compiles it by
 * its absolute path), or from FANOUT_SETUP_SQL. Returns malloc'd text. */
static char *setup_sql_read(void)
{
	const char *env = getenv("FANOUT_SETUP_SQL");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	if (env != NULL && env[0] != '\0') {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		const char *slash = strrchr(__FILE__, '/');
		int dir = slash ? (int)(slash - __FILE__ + 1) : 0;

		snprintf(path, sizeof(path), "%.*sfanout.setup.sql", dir, __FILE__);
	}
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (set FANOUT_SETUP_SQL)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		fail_msg("cannot read %s", path);
	}
	fclose(f);
	return buf;
}

static void oracle_create(void)
{
	PGconn *d = it_connect_direct(it_env_int("PG1_PORT"));
	PGconn *o;
	char *schema;

	exec_clear(d, "CREATE DATABASE " ORACLE_DB);
	it_finish(d);
	o = oracle_connect();
	schema = setup_sql_read();
	exec_clear(o, schema);
	free(schema);
}

static void exec_insert(PGconn *c, const char *side, const char *sql, int rows)
{
	PGresult *r = PQexec(c, sql);
	char want[32];

	snprintf(want, sizeof(want), "INSERT 0 %d", rows);
	if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), want) != 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s [%s] %s (tag \"%s\")", PQresStatus(PQresultStatus(r)),
		         it_result_sqlstate(r), PQresultErrorMessage(r), PQcmdStatus(r));
		PQclear(r);
		fail_msg("INSERT on %s failed: %s\nstatement: %.300s...", side, msg, sql);
	}
	PQclear(r);
}

/* Directly on one shard: count(*) of `from_where`. */
static long long shard_count(int shard, const char *from_where)
{
	PGconn *d = shard_connect(shard);
	char sql[512];
	long long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", from_where);
	n = scalar_ll(d, sql);
	it_finish(d);
	return n;
}

/* The rows reached the shards they belong to, and nothing was lost. */
static void check_placement(PGconn *o)
{
	static const char *const tables[] = {"orders", "sales", "events"};
	/* Rows that must not be on a shard: another shard's regions or tiers. */
	static const char *const misplaced[NSHARDS][2] = {
	        {"sales WHERE region NOT IN ('US', 'CA', 'MX', 'BR')",
	         "events WHERE created_at < now() - interval '7 days'"},
	        {"sales WHERE region NOT IN ('UK', 'DE', 'FR', 'ES')",
	         "events WHERE created_at > now() - interval '7 days' OR created_at < now() - interval '30 "
	         "days'"},
	        {"sales WHERE region NOT IN ('JP', 'SG', 'AU', 'IN')",
	         "events WHERE created_at > now() - interval '30 days'"},
	};

	for (size_t t = 0; t < 3; t++) {
		char sql[128];
		long long want, sum = 0;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[t]);
		want = scalar_ll(o, sql);
		for (int s = 0; s < NSHARDS; s++) {
			long long n = shard_count(s, tables[t]);

			if (n == 0)
				fail_msg("%s has no rows on shard %s", tables[t], shard_names[s]);
			sum += n;
		}
		if (sum != want)
			fail_msg("%s: %lld rows over the shards, %lld in the oracle", tables[t], sum, want);
		printf("# %s: %lld rows on the oracle and over the shards\n", tables[t], want);
	}
	for (int s = 0; s < NSHARDS; s++)
		for (int m = 0; m < 2; m++)
			if (shard_count(s, misplaced[s][m]) != 0)
				fail_msg("shard %s holds rows of %s", shard_names[s], misplaced[s][m]);
}

static void test_load(void **state)
{
	char *sql = malloc(FD_SQL_CAP);
	PGconn *o, *c = NULL;
	fd_gen_t g;

	(void)state;
	if (it_direct()) {
		free(sql);
		skip();
		return;
	}
	assert_non_null(sql);
	oracle_create();
	o = oracle_connect();
	if (!g_selftest)
		c = sg_connect();
	g_base = time(NULL);
	fd_init(&g, g_base);
	for (size_t t = 0; t < 3; t++) {
		for (int from = 1; from <= fd_tables[t].rows; from += FD_BATCH) {
			int n = fd_batch(&g, &fd_tables[t], from, sql);

			exec_insert(o, "the oracle", sql, n);
			if (c != NULL)
				exec_insert(c, "shardgate", sql, n);
		}
	}
	free(sql);
	exec_clear(o, "ANALYZE");
	if (!g_selftest)
		check_placement(o);
	g_loaded = true;
}

/* Compares, prints both results on a difference; true when equal. */
static bool check_same(const char *what, const char *proto, const PGresult *got, const PGresult *want,
                       unsigned flags)
{
	char why[512] = "";

	if (results_equal(got, want, flags, why, sizeof(why)))
		return true;
	printf("# FAIL %s [%s]: %s\n", what, proto, why);
	print_result(g_selftest ? "side under test" : "shardgate", got);
	print_result("oracle", want);
	fflush(stdout);
	return false;
}

/* The comparison itself must see every kind of difference, or a passing
 * corpus would prove nothing. Needs only the oracle. */
static void expect_diff(PGconn *o, const char *a_sql, const char *b_sql, unsigned flags, bool want_same)
{
	PGresult *a = PQexec(o, a_sql), *b = PQexec(o, b_sql);
	char why[512] = "";
	bool same = results_equal(a, b, flags, why, sizeof(why));

	PQclear(a);
	PQclear(b);
	if (same != want_same)
		fail_msg("harness: \"%s\" vs \"%s\" (flags %u) compared %s, want %s (%s)", a_sql, b_sql,
		         flags, same ? "equal" : "different", want_same ? "equal" : "different", why);
}

static void test_harness_detects(void **state)
{
	PGconn *o;

	FANOUT_PROLOGUE(false);
	o = oracle_connect();
	expect_diff(o, "SELECT 1 AS a", "SELECT 1 AS a", FQ_ORDERED, true);
	expect_diff(o, "SELECT 1 AS a", "SELECT 2 AS a", 0, false);
	expect_diff(o, "SELECT 1 AS a", "SELECT 1 AS b", 0, false);
	expect_diff(o, "SELECT 1 AS a", "SELECT 1::int8 AS a", 0, false);
	expect_diff(o, "SELECT 1.5::numeric(4,1) AS a", "SELECT 1.5::numeric(4,2) AS a", 0, false);
	expect_diff(o, "SELECT ''::text AS a", "SELECT NULL::text AS a", 0, false);
	expect_diff(o, "SELECT 1.50 AS a", "SELECT 1.5 AS a", 0, false);
	expect_diff(o, "SELECT 1 AS a", "SELECT 1 AS a, 2 AS b", 0, false);
	expect_diff(o, "SELECT 1 AS a", "SELECT 1 AS a WHERE false", 0, false);
	expect_diff(o, "SELECT x FROM generate_series(1, 3) x", "SELECT x FROM generate_series(3, 1, -1) x",
	            0, true);
	expect_diff(o, "SELECT x FROM generate_series(1, 3) x", "SELECT x FROM generate_series(3, 1, -1) x",
	            FQ_ORDERED, false);
	expect_diff(o, "SELECT x FROM generate_series(1, 3) x", "SELECT x FROM generate_series(4, 6) x",
	            FQ_COUNT_ONLY, true);
	expect_diff(o, "SELECT x FROM (VALUES (1), (1), (2)) v(x)",
	            "SELECT x FROM (VALUES (1), (2), (2)) v(x)", 0, false);
	expect_diff(o, "SELECT 'ab' AS a, 'c' AS b", "SELECT 'a' AS a, 'bc' AS b", 0, false);
}

/* ---- the corpus ---- */

/* A parameter's value: "@ago:N" is the timestamptz N days before the base. */
static const char *param_value(const char *p, char *buf, size_t cap)
{
	if (p != NULL && strncmp(p, "@ago:", 5) == 0) {
		fd_fmt_ts(buf, cap, g_base - (time_t)atoi(p + 5) * 86400);
		return buf;
	}
	return p;
}

/* An integer or decimal: inlined unquoted, as a client would write it. */
static bool looks_numeric(const char *v)
{
	bool digits = false, dot = false;

	if (*v == '-')
		v++;
	for (; *v; v++) {
		if (isdigit((unsigned char)*v))
			digits = true;
		else if (*v == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digits;
}

/* q->sql with $1/$2 replaced by literals, for the simple protocol. */
static void inline_params(const fanout_query_t *q, const char *vals[2], char *out, size_t cap)
{
	size_t o = 0;

	for (const char *s = q->sql; *s && o + 1 < cap; s++) {
		if (s[0] == '$' && (s[1] == '1' || s[1] == '2') && vals[s[1] - '1'] != NULL) {
			const char *v = vals[s[1] - '1'];

			if (looks_numeric(v))
				o += (size_t)snprintf(out + o, cap - o, "%s", v);
			else
				o += (size_t)snprintf(out + o, cap - o, "'%s'",
				                      v); /* corpus values have no quotes */
			s++;
			if (o >= cap)
				o = cap - 1;
			continue;
		}
		out[o++] = *s;
	}
	out[o] = '\0';
}

static int query_nparams(const fanout_query_t *q)
{
	return q->params[1] ? 2 : q->params[0] ? 1 : 0;
}

/* One corpus entry on both sides with one protocol; true when equal. */
static bool run_query(PGconn *sg, PGconn *o, int idx, bool extended)
{
	const fanout_query_t *q = &fanout_corpus[idx];
	char b0[64], b1[64], what[32], sql[2048];
	const char *vals[2] = {param_value(q->params[0], b0, sizeof(b0)),
	                       param_value(q->params[1], b1, sizeof(b1))};
	PGresult *got, *want;
	bool same;

	if (extended) {
		got = PQexecParams(sg, q->sql, query_nparams(q), NULL, vals, NULL, NULL, 1);
		want = PQexecParams(o, q->sql, query_nparams(q), NULL, vals, NULL, NULL, 1);
	} else {
		inline_params(q, vals, sql, sizeof(sql));
		got = PQexec(sg, sql);
		want = PQexec(o, sql);
	}
	snprintf(what, sizeof(what), "corpus #%d", idx);
	same = check_same(what, extended ? "extended, binary" : "simple, text", got, want, q->flags);
	if (same && g_verbose)
		printf("# ok #%d [%s] %d rows: %s\n", idx, extended ? "ext" : "simple", PQntuples(want),
		       q->sql);
	if (!same) {
		printf("#   query: %s\n", extended ? q->sql : sql);
		if (extended && vals[0] != NULL)
			printf("#   $1 = '%s'%s%s%s\n", vals[0], vals[1] ? ", $2 = '" : "",
			       vals[1] ? vals[1] : "", vals[1] ? "'" : "");
	}
	PQclear(got);
	PQclear(want);
	return same;
}

static void run_corpus(bool extended)
{
	PGconn *sg = sg_connect(), *o = oracle_connect();
	int failed = 0, ran = 0;
	char list[4096] = "";
	size_t ll = 0;

	for (int i = 0; i < (int)FANOUT_CORPUS_LEN; i++) {
		char key[16];

		snprintf(key, sizeof(key), ",%d,", i);
		if ((g_only >= 0 && i != g_only) || strstr(g_skip, key) != NULL)
			continue;
		ran++;
		if (run_query(sg, o, i, extended))
			continue;
		failed++;
		if (ll < sizeof(list) - 8)
			ll += (size_t)snprintf(list + ll, sizeof(list) - ll, " %d", i);
		/* An error may leave an aborted transaction behind on a pinned
		 * connection; a fresh start keeps one failure from causing others. */
		if (PQtransactionStatus(sg) != PQTRANS_IDLE)
			PQclear(PQexec(sg, "ROLLBACK"));
		if (PQstatus(sg) != CONNECTION_OK) {
			printf("# the connection under test broke; reconnecting\n");
			sg = sg_connect();
		}
	}
	printf("# corpus (%s): %d of %d queries identical to the oracle%s%s\n",
	       extended ? "extended protocol, binary results" : "simple protocol, text results", ran - failed,
	       ran, failed ? "; failing:" : "", list);
	fflush(stdout);
	if (failed)
		fail_msg("%d of %d corpus queries differ from the oracle (%s)", failed, ran,
		         extended ? "extended/binary" : "simple/text");
}

static void test_corpus_simple(void **state)
{
	FANOUT_PROLOGUE(false);
	run_corpus(false);
}

static void test_corpus_extended(void **state)
{
	FANOUT_PROLOGUE(false);
	run_corpus(true);
}

/* One cross-shard statement prepared once and executed many times with
 * different parameters, alternating text and binary results. */
static void test_prepared_repeated(void **state)
{
	static const char *const sql =
	        "SELECT region, count(*), sum(amount), avg(qty), max(price) FROM orders "
	        "WHERE qty > $1 GROUP BY region ORDER BY region";
	PGconn *sg, *o;
	PGresult *a, *b;
	int failed = 0;

	FANOUT_PROLOGUE(false);
	sg = sg_connect();
	o = oracle_connect();
	a = PQprepare(sg, "fanout_rep", sql, 1, NULL);
	b = PQprepare(o, "fanout_rep", sql, 1, NULL);
	if (!check_same("PREPARE", "extended", a, b, 0))
		failed++;
	PQclear(a);
	PQclear(b);
	for (int i = 0; i < 20 && failed == 0; i++) {
		char v[16], what[64];
		const char *vals[1] = {v};

		snprintf(v, sizeof(v), "%d", i);
		a = PQexecPrepared(sg, "fanout_rep", 1, vals, NULL, NULL, i % 2);
		b = PQexecPrepared(o, "fanout_rep", 1, vals, NULL, NULL, i % 2);
		snprintf(what, sizeof(what), "prepared execution %d ($1 = %d)", i, i);
		if (!check_same(what, i % 2 ? "extended, binary" : "extended, text", a, b, FQ_ORDERED))
			failed++;
		PQclear(a);
		PQclear(b);
	}
	if (failed)
		fail_msg("the prepared cross-shard statement differs from the oracle");
}

/* ---- refused constructs ---- */

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static void test_refused_constructs(void **state)
{
	/* what the error message must mention ("" when not pinned down) */
	static const struct {
		const char *sql, *hint;
	} refused[] = {
	        {"SELECT id, row_number() OVER (ORDER BY id) FROM orders", "window"},
	        {"SELECT region, sum(qty) OVER (PARTITION BY region) FROM sales", "window"},
	        {"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders", "percentile_cont"},
	        {"SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY qty) FROM sales", "percentile_disc"},
	        {"SELECT mode() WITHIN GROUP (ORDER BY region) FROM orders", ""},
	        {"SELECT array_agg(id) FROM orders", "array_agg"},
	        {"SELECT region, string_agg(status, ',') FROM orders GROUP BY region", "string_agg"},
	        {"SELECT json_agg(id) FROM events", ""},
	        {"SELECT stddev(qty) FROM orders", ""},
	        {"SELECT variance(price) FROM orders", ""},
	        {"SELECT region FROM orders GROUP BY region HAVING sum(amount) / count(*) > 10", "HAVING"},
	        {"SELECT region, count(*) * $1 FROM orders GROUP BY region", "parameter"},
	        {"SELECT max(sum(qty)) FROM sales", "aggregate"},
	        {"SELECT id FROM orders FOR UPDATE", "FOR UPDATE"},
	        {"SELECT id FROM events FOR SHARE", "FOR "},
	        {"SELECT region FROM orders INTERSECT SELECT region FROM orders WHERE qty > 5", "INTERSECT"},
	        {"SELECT id FROM orders EXCEPT SELECT id FROM orders WHERE qty > 3", "EXCEPT"},
	        {"SELECT region, n FROM (SELECT region, count(*) AS n FROM orders GROUP BY region) t",
	         "subquery"},
	        {"SELECT count(DISTINCT region, status) FROM orders", "count(DISTINCT)"},
	        /* Several different count(DISTINCT x) would need one shard query per x. */
	        {"SELECT count(DISTINCT region), count(DISTINCT status) FROM orders", "count(DISTINCT)"},
	        /* Rows of the replicated table that would come back once per shard. */
	        {"SELECT c.name FROM countries c LEFT JOIN orders o ON o.region = c.code", "once per shard"},
	        {"SELECT name FROM countries WHERE code IN (SELECT region FROM orders)", "once per shard"},
	};
	PGconn *c;
	int failed = 0;

	FANOUT_PROLOGUE(true);
	c = sg_connect();
	for (size_t i = 0; i < 2 * (sizeof(refused) / sizeof(refused[0])); i++) {
		/* each construct twice: simple protocol, then extended with binary results */
		size_t k = i / 2;
		PGresult *r = i % 2 == 0 ? PQexec(c, refused[k].sql)
		                         : PQexecParams(c, refused[k].sql, 0, NULL, NULL, NULL, NULL, 1);
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
		char text[1024];

		/* the construct may be named in the message or its detail */
		snprintf(text, sizeof(text), "%s %s", msg ? msg : "", detail ? detail : "");
		if (PQresultStatus(r) != PGRES_FATAL_ERROR || strcmp(it_result_sqlstate(r), "0A000") != 0 ||
		    !contains_ci(text, refused[k].hint)) {
			printf("# FAIL refused construct: %s\n#   want SQLSTATE 0A000 naming \"%s\", got %s "
			       "[%s] %s\n",
			       refused[k].sql, refused[k].hint, PQresStatus(PQresultStatus(r)),
			       it_result_sqlstate(r), text);
			failed++;
		}
		PQclear(r);
		if (PQtransactionStatus(c) != PQTRANS_IDLE)
			PQclear(PQexec(c, "ROLLBACK"));
	}
	it_expect_scalar(c, "SELECT 'still usable'", "still usable");
	printf("# refused constructs: %d of %zu answered 0A000 (each in both protocols)\n",
	       (int)(2 * (sizeof(refused) / sizeof(refused[0]))) - failed,
	       2 * (sizeof(refused) / sizeof(refused[0])));
	if (failed)
		fail_msg("%d constructs were not refused with 0A000", failed);
}

/* ---- concurrency ---- */

/* Best of three wall times of sql; a negative time when it fails. */
static double best_time(PGconn *c, const char *sql)
{
	double best = 1e9;

	for (int i = 0; i < 3; i++) {
		double t0 = it_now(), dt;
		PGresult *r = PQexec(c, sql);

		dt = it_now() - t0;
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			printf("# FAIL concurrency: \"%s\": %s [%s] %s", sql, PQresStatus(PQresultStatus(r)),
			       it_result_sqlstate(r), PQresultErrorMessage(r));
			PQclear(r);
			return -1.0;
		}
		PQclear(r);
		printf("# %.1f ms: %s\n", dt * 1000.0, sql);
		if (dt < best)
			best = dt;
	}
	return best;
}

static void test_concurrency(void **state)
{
	/* Every shard sleeps 200 ms once (in the select list of an aggregate
	 * query, in an InitPlan of a plain one): one shard after the other
	 * would take 600 ms. The wall time is printed (the issue's
	 * measurement: under 300 ms); what is asserted is that the shards
	 * started together, which does not depend on how loaded the machine
	 * is: one after the other, their starts would be >= 200 ms apart. */
	static const char *const queries[] = {
	        "SELECT pg_sleep(0.2), count(*) FROM orders",
	        "SELECT id FROM orders WHERE (SELECT pg_sleep(0.2)) IS NOT NULL AND id < 0",
	};
	PGconn *c;
	PGresult *r;
	double lo = 0, hi = 0;

	FANOUT_PROLOGUE(true);
	c = sg_connect();
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		double t = best_time(c, queries[i]);

		assert_true(t >= 0);
		printf("# concurrency: best %.1f ms over three shards sleeping 200 ms each (target < 300 "
		       "ms)\n",
		       t * 1000.0);
	}
	r = PQexec(c, "SELECT DISTINCT extract(epoch FROM statement_timestamp()) AS t FROM orders "
	              "WHERE (SELECT pg_sleep(0.2)) IS NOT NULL");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_true(PQntuples(r) >= 1 && PQntuples(r) <= 3);
	for (int i = 0; i < PQntuples(r); i++) {
		double t = atof(PQgetvalue(r, i, 0));
		lo = i == 0 || t < lo ? t : lo;
		hi = i == 0 || t > hi ? t : hi;
	}
	PQclear(r);
	printf("# concurrency: the shards' statements started within %.1f ms of each other\n",
	       (hi - lo) * 1000.0);
	assert_true(hi - lo < 0.15);
	it_finish(c);
}

/* ---- writes across shards ---- */

/* Runs a write on both sides and compares tag and RETURNING rows. A write
 * shardgate refuses or fails is not run on the oracle, so the checks after
 * the writes still compare what did run. Under FANOUT_SELFTEST the side
 * under test is the oracle itself: its run is rolled back so the oracle's
 * own run changes the data once. */
static bool write_same(PGconn *sg, PGconn *o, const char *sql, const char *param)
{
	const char *vals[1] = {param};
	const char *proto = param ? "extended, binary" : "simple, text";
	PGresult *a, *b;
	ExecStatusType st;
	bool same;

	if (g_selftest)
		exec_clear(sg, "BEGIN");
	a = param ? PQexecParams(sg, sql, 1, NULL, vals, NULL, NULL, 1) : PQexec(sg, sql);
	if (g_selftest)
		PQclear(PQexec(sg, "ROLLBACK"));
	st = PQresultStatus(a);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		printf("# FAIL %s [%s]: not run on the oracle\n", sql, proto);
		print_result("shardgate", a);
		PQclear(a);
		return false;
	}
	b = param ? PQexecParams(o, sql, 1, NULL, vals, NULL, NULL, 1) : PQexec(o, sql);
	same = check_same(sql, proto, a, b, 0);
	PQclear(a);
	PQclear(b);
	return same;
}

static void test_multi_shard_writes(void **state)
{
	static const struct {
		const char *sql, *param;
	} writes[] = {
	        {"UPDATE orders SET note = 'bulk' WHERE qty = 7", NULL},
	        {"UPDATE sales SET channel = 'web' WHERE channel IS NULL RETURNING id, region, channel",
	         NULL},
	        {"DELETE FROM events WHERE score < -40 RETURNING id, kind, score, created_at", NULL},
	        {"DELETE FROM orders WHERE status = 'refunded' AND qty > 15", NULL},
	        {"UPDATE orders SET qty = qty + 1 WHERE user_id > $1 AND qty < 3 RETURNING id, user_id, qty",
	         "850"},
	        {"DELETE FROM sales WHERE revenue < $1 RETURNING *", "20"},
	        {"UPDATE events SET ok = NULL WHERE kind = 'logout' AND created_at > now() - interval '20 "
	         "days'",
	         NULL},
	};
	/* whole tables (multiset), then aggregates over them */
	static const char *const after[] = {
	        "SELECT * FROM orders",
	        "SELECT * FROM sales",
	        "SELECT * FROM events",
	        "SELECT count(*), sum(qty), count(note) FROM orders",
	        "SELECT count(*), count(channel), sum(revenue) FROM sales",
	        "SELECT count(*), min(score), count(ok) FROM events",
	};
	PGconn *sg, *o;
	int failed = 0;

	FANOUT_PROLOGUE(false);
	sg = sg_connect();
	o = oracle_connect();
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (!write_same(sg, o, writes[i].sql, writes[i].param))
			failed++;
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		PGresult *a = PQexec(sg, after[i]), *b = PQexec(o, after[i]);

		if (!check_same(after[i], "simple, text (after the writes)", a, b, 0))
			failed++;
		PQclear(a);
		PQclear(b);
	}
	if (failed)
		fail_msg("%d multi-shard writes or checks differ from the oracle", failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_load, fanout_teardown),
	        cmocka_unit_test_teardown(test_harness_detects, fanout_teardown),
	        cmocka_unit_test_teardown(test_corpus_simple, fanout_teardown),
	        cmocka_unit_test_teardown(test_corpus_extended, fanout_teardown),
	        cmocka_unit_test_teardown(test_prepared_repeated, fanout_teardown),
	        cmocka_unit_test_teardown(test_refused_constructs, fanout_teardown),
	        cmocka_unit_test_teardown(test_concurrency, fanout_teardown),
	        cmocka_unit_test_teardown(test_multi_shard_writes, fanout_teardown),
	};
	const char *self = getenv("FANOUT_SELFTEST");
	const char *only = getenv("FANOUT_ONLY");
	const char *verbose = getenv("FANOUT_VERBOSE");
	const char *skip_list = getenv("FANOUT_SKIP");

	g_selftest = self != NULL && strcmp(self, "1") == 0;
	g_verbose = verbose != NULL && strcmp(verbose, "1") == 0;
	snprintf(g_skip, sizeof(g_skip), ",%s,", skip_list ? skip_list : "");
	if (only != NULL && only[0] != '\0')
		g_only = atoi(only);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# fanout: %zu corpus queries%s\n", FANOUT_CORPUS_LEN,
	       g_selftest ? " (FANOUT_SELFTEST: the side under test is the oracle)" : "");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
