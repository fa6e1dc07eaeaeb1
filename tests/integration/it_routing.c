/* it_routing.c — single-shard routing through shardgate, checked against
 * three real PostgreSQL servers.
 *
 * Runs under tests/integration/run.sh with routing.yaml.in and
 * routing.setup.sql on three clusters (routing.clusters): americas = pg1,
 * europe = pg2, asia = pg3, default shard americas, 64 hash slots (slot s
 * → shard s*3/64). Where a row landed is always checked by connecting to
 * the shard directly, and hash placement is checked against PostgreSQL's
 * own: satisfies_hash_partition() on the empty PARTITION BY HASH tables
 * hashcheck_int / hashcheck_text says which remainder (= slot) PostgreSQL
 * gives a key. Every test starts by emptying the tables it uses, directly
 * on every shard, so tests do not depend on each other's order. Nothing
 * here makes sense without the proxy: every test skips under SG_DIRECT=1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_common.h"

#define INT8OID 20
#define NSHARDS 3
#define NSLOTS  64

static const char *const shard_names[NSHARDS] = {"americas", "europe", "asia"};

/* ---- helpers ---- */

static PGconn *app_connect(void)
{
	return it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
}

static int shard_port(int shard)
{
	static const char *const env[NSHARDS] = {"PG1_PORT", "PG2_PORT", "PG3_PORT"};

	return it_env_int(env[shard]);
}

static PGconn *shard_connect(int shard)
{
	return it_connect_direct(shard_port(shard));
}

static void exec_clear(PGconn *c, const char *sql)
{
	PQclear(it_exec_ok(c, sql));
}

static void exec_fmt(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void exec_fmt(PGconn *c, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	exec_clear(c, sql);
}

/* Empties tables (space-separated names) directly on every shard. */
static void truncate_everywhere(const char *tables)
{
	for (int s = 0; s < NSHARDS; s++) {
		PGconn *d = shard_connect(s);

		exec_fmt(d, "TRUNCATE %s", tables);
		it_finish(d);
	}
}

static long long scalar_ll(PGconn *c, const char *sql)
{
	char *v = it_scalar(c, sql);
	long long n = strtoll(v, NULL, 10);

	free(v);
	return n;
}

/* The shard PostgreSQL's own hash partitioning puts an int8 key in. */
static int pg_slot_int(PGconn *d, long long key)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "SELECT r FROM generate_series(0, %d) r "
	         "WHERE satisfies_hash_partition('hashcheck_int'::regclass, %d, r, %lld::int8)",
	         NSLOTS - 1, NSLOTS, key);
	return (int)scalar_ll(d, sql);
}

static int slot_shard(int slot)
{
	return slot * NSHARDS / NSLOTS;
}

/* n keys >= from whose PostgreSQL slot is on `shard`. */
static void pick_keys(PGconn *d, int shard, long long from, int n, long long *out)
{
	char sql[512];
	PGresult *r;

	snprintf(sql, sizeof(sql),
	         "SELECT k FROM generate_series(%lld::int8, %lld::int8) k, generate_series(0, %d) r "
	         "WHERE satisfies_hash_partition('hashcheck_int'::regclass, %d, r, k) "
	         "AND r * %d / %d = %d ORDER BY k LIMIT %d",
	         from, from + 999, NSLOTS - 1, NSLOTS, NSHARDS, NSLOTS, shard, n);
	r = it_exec_ok(d, sql);
	assert_int_equal(PQntuples(r), n);
	for (int i = 0; i < n; i++)
		out[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	PQclear(r);
}

/* Runs sql, asserts it fails with sqlstate, returns the message (malloc'd). */
static char *expect_error(PGconn *c, const char *sql, const char *sqlstate)
{
	PGresult *r = PQexec(c, sql);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	char *copy = strdup(msg ? msg : "");

	if (PQresultStatus(r) != PGRES_FATAL_ERROR || strcmp(it_result_sqlstate(r), sqlstate) != 0) {
		char got[300];

		snprintf(got, sizeof(got), "%s [%s] %s", PQresStatus(PQresultStatus(r)),
		         it_result_sqlstate(r), copy);
		PQclear(r);
		free(copy);
		fail_msg("query \"%s\": expected SQLSTATE %s, got %s", sql, sqlstate, got);
	}
	PQclear(r);
	return copy;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* Asserts sql through the proxy ran on `shard`: sql's last column is
 * inet_server_port(), and every row must carry that shard's port. */
static void expect_port(PGconn *c, const char *sql, int shard)
{
	PGresult *r = it_exec_ok(c, sql);
	int col = PQnfields(r) - 1;
	char want[16];

	snprintf(want, sizeof(want), "%d", shard_port(shard));
	assert_true(PQntuples(r) >= 1);
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, col), want) != 0)
			fail_msg("query \"%s\" ran on port %s, expected %s (%s)", sql, PQgetvalue(r, i, col),
			         want, shard_names[shard]);
	PQclear(r);
}

/* Directly on a shard: the values of one text column, sorted, comma-joined. */
static void expect_column_on(int shard, const char *table, const char *col, const char *want)
{
	PGconn *d = shard_connect(shard);
	char sql[256], *got;

	snprintf(sql, sizeof(sql), "SELECT coalesce(string_agg(%s::text, ',' ORDER BY %s), '') FROM %s", col,
	         col, table);
	got = it_scalar(d, sql);
	if (strcmp(got, want) != 0) {
		char copy[256];

		snprintf(copy, sizeof(copy), "%s", got);
		free(got);
		fail_msg("%s.%s on %s: expected \"%s\", got \"%s\"", table, col, shard_names[shard], want,
		         copy);
	}
	free(got);
	it_finish(d);
}

/* Directly on every shard: rows of orders with this key. */
static long long count_key_everywhere(long long key)
{
	long long n = 0;
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM orders WHERE user_id = %lld", key);
	for (int s = 0; s < NSHARDS; s++) {
		PGconn *d = shard_connect(s);

		n += scalar_ll(d, sql);
		it_finish(d);
	}
	return n;
}

static long long count_key_on(int shard, long long key)
{
	PGconn *d = shard_connect(shard);
	char sql[128];
	long long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM orders WHERE user_id = %lld", key);
	n = scalar_ll(d, sql);
	it_finish(d);
	return n;
}

static void delete_keys_everywhere(long long from, long long to)
{
	for (int s = 0; s < NSHARDS; s++) {
		PGconn *d = shard_connect(s);

		exec_fmt(d, "DELETE FROM orders WHERE user_id BETWEEN %lld AND %lld", from, to);
		it_finish(d);
	}
}

/* ---- hash: int8 keys through three protocols ---- */

#define NORDERS 10000

/* 10000 distinct keys: small ones around 0, extremes, and scrambled values
 * of every magnitude and sign. */
static long long order_key(int i)
{
	/* clang-format off */
	static const long long special[] = {
	        INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN, (long long)INT32_MAX + 1, -2147483649LL,
	        INT64_MAX - 1, INT64_MIN + 1, 4294967296LL, -4294967296LL, 1000000000000000LL,
	        -1000000000000000LL, 32767, -32768, 65536,
	};
	/* clang-format on */
	uint64_t z = (uint64_t)i + UINT64_C(0x9E3779B97F4A7C15);

	if (i % 1000 < 3 && (size_t)((i / 1000) * 3 + i % 1000) < sizeof(special) / sizeof(special[0]))
		return special[(i / 1000) * 3 + i % 1000];
	if (i % 10 == 3)
		return i / 10 - 250;
	/* splitmix64's finaliser (a bijection), then a shift for magnitude. */
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	z ^= z >> 31;
	return (long long)((int64_t)z >> (i % 40));
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void order_amount(int i, char *buf, size_t n)
{
	int cents = (i * 37) % 100000 + 1;

	snprintf(buf, n, "%d.%02d", cents / 100, cents % 100);
}

static void insert_orders_simple(PGconn *c, int from, int to)
{
	char amount[32];

	for (int i = from; i < to; i++) {
		order_amount(i, amount, sizeof(amount));
		exec_fmt(c, "INSERT INTO orders (user_id, amount, note) VALUES (%lld, %s, 'n%d')",
		         order_key(i), amount, i);
	}
}

/* Multi-row INSERTs of 50 rows: each spans every shard and is split. */
static void insert_orders_multirow(PGconn *c, int from, int to)
{
	char amount[32], *sql = malloc(64 * 1024);
	size_t n;

	assert_non_null(sql);
	for (int i = from; i < to;) {
		int rows = 0;
		n = (size_t)snprintf(sql, 64 * 1024, "INSERT INTO orders (user_id, amount, note) VALUES ");
		for (; i < to && rows < 50; i++, rows++) {
			order_amount(i, amount, sizeof(amount));
			n += (size_t)snprintf(sql + n, 64 * 1024 - n, "%s(%lld, %s, 'n%d')", rows ? ", " : "",
			                      order_key(i), amount, i);
		}
		{
			PGresult *r = it_exec_ok(c, sql);
			char want[32];
			snprintf(want, sizeof(want), "INSERT 0 %d", rows);
			assert_string_equal(PQcmdStatus(r), want);
			PQclear(r);
		}
	}
	free(sql);
}

/* COPY FROM STDIN in text format (key second, as the column list says),
 * then in csv with a header: rows are split by key across the shards. */
static void insert_orders_copy(PGconn *c, int from, int to, bool csv)
{
	char line[128], amount[32], want[32];
	PGresult *r;

	r = PQexec(c, csv ? "COPY orders (note, user_id, amount) FROM STDIN WITH (FORMAT csv, HEADER true)"
	                  : "COPY orders (note, user_id, amount) FROM STDIN");
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	if (csv)
		assert_int_equal(PQputCopyData(c, "note,user_id,amount\n", 20), 1);
	for (int i = from; i < to; i++) {
		int len;
		order_amount(i, amount, sizeof(amount));
		len = csv ? snprintf(line, sizeof(line), "\"n%d\",%lld,%s\n", i, order_key(i), amount)
		          : snprintf(line, sizeof(line), "n%d\t%lld\t%s\n", i, order_key(i), amount);
		/* split lines across messages now and then */
		if (i % 7 == 0 && len > 4) {
			assert_int_equal(PQputCopyData(c, line, 3), 1);
			assert_int_equal(PQputCopyData(c, line + 3, len - 3), 1);
		} else {
			assert_int_equal(PQputCopyData(c, line, len), 1);
		}
	}
	assert_int_equal(PQputCopyEnd(c, NULL), 1);
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("COPY: %s", PQresultErrorMessage(r));
	snprintf(want, sizeof(want), "COPY %d", to - from);
	assert_string_equal(PQcmdStatus(r), want);
	PQclear(r);
	assert_null(PQgetResult(c));
}

static void insert_orders_text_params(PGconn *c, int from, int to)
{
	char key[32], amount[32], note[32];
	const char *vals[3] = {key, amount, note};

	for (int i = from; i < to; i++) {
		PGresult *r;

		snprintf(key, sizeof(key), "%lld", order_key(i));
		order_amount(i, amount, sizeof(amount));
		snprintf(note, sizeof(note), "n%d", i);
		r = PQexecParams(c, "INSERT INTO orders (user_id, amount, note) VALUES ($1, $2, $3)", 3, NULL,
		                 vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("text-param insert of key %s: %s", key, PQresultErrorMessage(r));
		PQclear(r);
	}
}

static void put_i64(char *p, long long v)
{
	uint64_t u = (uint64_t)v;

	for (int b = 0; b < 8; b++)
		p[b] = (char)(u >> (56 - 8 * b));
}

static void insert_orders_binary(PGconn *c, int from, int to)
{
	static const Oid types[3] = {INT8OID, 0, 0};
	static const int fmts[3] = {1, 0, 0};
	char key[8], amount[32], note[32];
	const char *vals[3] = {key, amount, note};
	const int lens[3] = {8, 0, 0};
	PGresult *r = PQprepare(c, "ins_order_bin",
	                        "INSERT INTO orders (user_id, amount, note) VALUES ($1, $2, $3)", 3, types);

	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	for (int i = from; i < to; i++) {
		put_i64(key, order_key(i));
		order_amount(i, amount, sizeof(amount));
		snprintf(note, sizeof(note), "n%d", i);
		r = PQexecPrepared(c, "ins_order_bin", 3, vals, lens, fmts, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("binary insert of key %lld: %s", order_key(i), PQresultErrorMessage(r));
		PQclear(r);
	}
}

/* Directly on every shard: each row's key is in one of the shard's own
 * slots as PostgreSQL computes them; returns the total row count. */
static long long check_hash_placement(const char *table, const char *col, const char *hashcheck)
{
	long long total = 0;

	for (int s = 0; s < NSHARDS; s++) {
		PGconn *d = shard_connect(s);
		int lo = -1, hi = -1;
		char sql[512];
		long long n, misplaced, distinct;

		for (int slot = 0; slot < NSLOTS; slot++) {
			if (slot_shard(slot) != s)
				continue;
			if (lo < 0)
				lo = slot;
			hi = slot;
		}
		snprintf(
		        sql, sizeof(sql),
		        "SELECT count(*) FROM %s o WHERE NOT EXISTS (SELECT 1 FROM generate_series(%d, %d) r "
		        "WHERE satisfies_hash_partition('%s'::regclass, %d, r, o.%s))",
		        table, lo, hi, hashcheck, NSLOTS, col);
		misplaced = scalar_ll(d, sql);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
		n = scalar_ll(d, sql);
		snprintf(sql, sizeof(sql), "SELECT count(DISTINCT %s) FROM %s", col, table);
		distinct = scalar_ll(d, sql);
		if (misplaced != 0)
			fail_msg("%s: %lld of %lld rows on %s (slots %d-%d) belong to another shard", table,
			         misplaced, n, shard_names[s], lo, hi);
		assert_int_equal(distinct, n);
		assert_true(n > 0); /* the keys really were spread */
		total += n;
		it_finish(d);
	}
	return total;
}

static void test_hash_int_keys(void **state)
{
	long long keys[NORDERS];
	PGconn *c;

	it_skip_if_direct();
	for (int i = 0; i < NORDERS; i++)
		keys[i] = order_key(i);
	qsort(keys, NORDERS, sizeof(keys[0]), cmp_ll);
	for (int i = 1; i < NORDERS; i++)
		assert_true(keys[i] != keys[i - 1]); /* the key list itself is sound */
	truncate_everywhere("orders");

	c = app_connect();
	insert_orders_simple(c, 0, 3000);
	insert_orders_text_params(c, 3000, 4000);
	insert_orders_binary(c, 4000, 5000);
	insert_orders_multirow(c, 5000, 7500);
	insert_orders_copy(c, 7500, 8750, false);
	insert_orders_copy(c, 8750, NORDERS, true);
	assert_int_equal(check_hash_placement("orders", "user_id", "hashcheck_int"), NORDERS);

	/* Read back by key, through shardgate: simple and binary-parameter. */
	for (int i = 0; i < NORDERS; i += 23) {
		char sql[256], amount[32], note[32], key[8];
		const char *vals[1] = {key};
		const Oid types[1] = {INT8OID};
		const int lens[1] = {8}, fmts[1] = {1};
		PGresult *r;

		order_amount(i, amount, sizeof(amount));
		snprintf(note, sizeof(note), "n%d", i);
		snprintf(sql, sizeof(sql), "SELECT amount, note FROM orders WHERE user_id = %lld",
		         order_key(i));
		r = it_exec_ok(c, sql);
		assert_int_equal(PQntuples(r), 1);
		assert_string_equal(PQgetvalue(r, 0, 0), amount);
		assert_string_equal(PQgetvalue(r, 0, 1), note);
		PQclear(r);

		put_i64(key, order_key(i));
		r = PQexecParams(c, "SELECT amount, note FROM orders WHERE user_id = $1", 1, types, vals,
		                 lens, fmts, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		assert_int_equal(PQntuples(r), 1);
		assert_string_equal(PQgetvalue(r, 0, 0), amount);
		assert_string_equal(PQgetvalue(r, 0, 1), note);
		PQclear(r);
	}
	it_finish(c);
}

/* INSERT without a column list: the key is the table's second column,
 * which shardgate reads from the default shard's catalog the first time
 * (catalog.c). Single-row, multi-row across shards, a prepared statement
 * with a binary parameter, and COPY without a column list: every row on
 * the shard PostgreSQL's hash names, nowhere else. */
static void test_insert_without_column_list(void **state)
{
	long long k[NSHARDS][3];
	char sql[512], bin[8];
	const char *vals[1] = {bin};
	int lens[1] = {8}, fmts[1] = {1};
	Oid types[1] = {20};
	PGconn *d, *c;
	PGresult *r;

	it_skip_if_direct();
	d = shard_connect(0);
	for (int s = 0; s < NSHARDS; s++)
		pick_keys(d, s, 750000 + 1000 * s, 3, k[s]);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);
	c = app_connect();
	for (int s = 0; s < NSHARDS; s++) {
		snprintf(sql, sizeof(sql),
		         "INSERT INTO orders VALUES (DEFAULT, %lld, 1.50, 'no column list')", k[s][0]);
		exec_clear(c, sql);
	}
	/* several rows, one per shard, in one statement */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO orders VALUES (DEFAULT, %lld, 2, 'multi'), (DEFAULT, %lld, 2, 'multi'), "
	         "(DEFAULT, %lld, 2, 'multi')",
	         k[0][1], k[1][1], k[2][1]);
	r = it_exec_ok(c, sql);
	assert_string_equal(PQcmdStatus(r), "INSERT 0 3");
	PQclear(r);
	/* extended protocol, the key as a binary int8 */
	r = PQprepare(c, "ins_nocols", "INSERT INTO orders VALUES (DEFAULT, $1, 3, 'prepared')", 1, types);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	for (int s = 0; s < NSHARDS; s++) {
		uint64_t v = (uint64_t)k[s][2];

		for (int i = 0; i < 8; i++)
			bin[i] = (char)(v >> (56 - 8 * i));
		r = PQexecPrepared(c, "ins_nocols", 1, vals, lens, fmts, 0);
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
	}
	for (int s = 0; s < NSHARDS; s++)
		for (int i = 0; i < 3; i++) {
			assert_int_equal(count_key_on(s, k[s][i]), 1);
			assert_int_equal(count_key_everywhere(k[s][i]), 1);
		}
	/* COPY without a column list */
	delete_keys_everywhere(700000, 800000);
	r = PQexec(c, "COPY orders FROM STDIN");
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	for (int s = 0; s < NSHARDS; s++) {
		snprintf(sql, sizeof(sql), "%d\t%lld\t4.00\tcopied\n", 900000 + s, k[s][0]);
		assert_int_equal(PQputCopyData(c, sql, (int)strlen(sql)), 1);
	}
	assert_int_equal(PQputCopyEnd(c, NULL), 1);
	r = PQgetResult(c);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	assert_string_equal(PQcmdStatus(r), "COPY 3");
	PQclear(r);
	assert_null(PQgetResult(c));
	for (int s = 0; s < NSHARDS; s++) {
		assert_int_equal(count_key_on(s, k[s][0]), 1);
		assert_int_equal(count_key_everywhere(k[s][0]), 1);
	}
	exec_clear(c, "DEALLOCATE ins_nocols");
	delete_keys_everywhere(700000, 800000);
	it_finish(c);
}

/* INSERT ... SELECT runs when it provably stays on one shard: the key is a
 * constant, or copied from the rows read, which the WHERE clause places on
 * that shard. Otherwise 0A000, and nothing is written. */
static void test_insert_select(void **state)
{
	long long k[NSHARDS];
	char sql[512], *msg;
	PGconn *d, *c;
	PGresult *r;

	it_skip_if_direct();
	d = shard_connect(0);
	for (int s = 0; s < NSHARDS; s++)
		pick_keys(d, s, 770000, 1, &k[s]);
	it_finish(d);
	delete_keys_everywhere(770000, 771000);
	c = app_connect();
	for (int s = 0; s < NSHARDS; s++) {
		snprintf(sql, sizeof(sql),
		         "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 5, 'src')", k[s]);
		exec_clear(c, sql);
		/* copied from the rows read */
		snprintf(sql, sizeof(sql),
		         "INSERT INTO orders (user_id, amount, note) SELECT o.user_id, o.amount * 2, 'copy' "
		         "FROM orders o WHERE o.user_id = %lld",
		         k[s]);
		r = it_exec_ok(c, sql);
		assert_string_equal(PQcmdStatus(r), "INSERT 0 1");
		PQclear(r);
		assert_int_equal(count_key_on(s, k[s]), 2);
		assert_int_equal(count_key_everywhere(k[s]), 2);
	}
	/* a constant key, no FROM */
	snprintf(sql, sizeof(sql), "INSERT INTO orders (user_id, note) SELECT %lld, 'const'", k[1]);
	exec_clear(c, sql);
	assert_int_equal(count_key_on(1, k[1]), 3);
	/* reading one shard, writing another: refused, nothing written */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO orders (user_id, note) SELECT %lld, note FROM orders WHERE user_id = %lld",
	         k[2], k[0]);
	msg = expect_error(c, sql, "0A000");
	assert_contains(msg, "needs more than one shard");
	free(msg);
	/* no constraint: every shard */
	free(expect_error(c, "INSERT INTO orders (user_id, note) SELECT user_id, note FROM orders", "0A000"));
	for (int s = 0; s < NSHARDS; s++)
		assert_int_equal(count_key_everywhere(k[s]), s == 1 ? 3 : 2);
	delete_keys_everywhere(770000, 771000);
	it_finish(c);
}

/* The column order changes through shardgate (a column before the key is
 * dropped): the next INSERT without a column list reads it again. */
static void test_insert_without_column_list_after_alter(void **state)
{
	long long k[NSHARDS];
	char sql[256], *msg;
	PGconn *d, *c;

	it_skip_if_direct();
	d = shard_connect(0);
	for (int s = 0; s < NSHARDS; s++)
		pick_keys(d, s, 760000, 1, &k[s]);
	it_finish(d);
	c = app_connect();
	exec_clear(c, "CREATE TABLE layout_t (pad int, extra text, user_id bigint, v text)");
	for (int s = 0; s < NSHARDS; s++) {
		snprintf(sql, sizeof(sql), "INSERT INTO layout_t VALUES (1, 'x', %lld, 'before')", k[s]);
		exec_clear(c, sql);
	}
	exec_clear(c, "ALTER TABLE layout_t DROP COLUMN extra");
	for (int s = 0; s < NSHARDS; s++) {
		snprintf(sql, sizeof(sql), "INSERT INTO layout_t VALUES (2, %lld, 'after')", k[s]);
		exec_clear(c, sql);
	}
	for (int s = 0; s < NSHARDS; s++) {
		PGconn *sh = shard_connect(s);

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM layout_t WHERE user_id = %lld", k[s]);
		assert_int_equal(scalar_ll(sh, sql), 2);
		it_finish(sh);
	}
	exec_clear(c, "DROP TABLE layout_t");
	/* a configured table the shards do not have: a clear refusal, and
	 * with a column list PostgreSQL's own error */
	msg = expect_error(c, "INSERT INTO ghost_t VALUES (1, 2)", "0A000");
	assert_contains(msg, "the shard has no table ghost_t with a column user_id");
	assert_contains(msg, "name the columns");
	free(msg);
	free(expect_error(c, "INSERT INTO ghost_t (user_id) VALUES (1)", "42P01"));
	it_finish(c);
}

/* ---- hash: text keys ---- */

#define NNAMES 100

static void name_of(int i, char *buf, size_t n)
{
	static const char *const special[] = {
	        "Zoë",     "東京",    "München",  "Ærøskøbing", "Ñandú",
	        "O'Brien", "😀 smile", "Ελληνικά", "",           "MiXeD CaSe",
	};

	if (i < 10)
		snprintf(buf, n, "%s", special[i]);
	else
		snprintf(buf, n, "user_%03d", i);
}

/* name as a SQL string literal (quotes doubled; no backslashes used). */
static void name_literal(const char *name, char *buf, size_t n)
{
	size_t o = 0;

	buf[o++] = '\'';
	for (const char *p = name; *p && o + 3 < n; p++) {
		if (*p == '\'')
			buf[o++] = '\'';
		buf[o++] = *p;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
}

static void test_hash_text_keys(void **state)
{
	char name[64], lit[140], num[16], sql[256];
	const char *vals[2] = {name, num};
	PGconn *c;

	it_skip_if_direct();
	truncate_everywhere("users_by_name");
	c = app_connect();
	for (int i = 0; i < NNAMES; i++) {
		name_of(i, name, sizeof(name));
		if (i % 2 == 0) {
			name_literal(name, lit, sizeof(lit));
			exec_fmt(c, "INSERT INTO users_by_name (name, n) VALUES (%s, %d)", lit, i);
		} else {
			PGresult *r;

			snprintf(num, sizeof(num), "%d", i);
			r = PQexecParams(c, "INSERT INTO users_by_name (name, n) VALUES ($1, $2)", 2, NULL,
			                 vals, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				fail_msg("insert of name \"%s\": %s", name, PQresultErrorMessage(r));
			PQclear(r);
		}
	}
	assert_int_equal(check_hash_placement("users_by_name", "name", "hashcheck_text"), NNAMES);
	for (int i = 0; i < NNAMES; i++) {
		name_of(i, name, sizeof(name));
		name_literal(name, lit, sizeof(lit));
		snprintf(sql, sizeof(sql), "SELECT n FROM users_by_name WHERE name = %s", lit);
		snprintf(num, sizeof(num), "%d", i);
		it_expect_scalar(c, sql, num);
	}
	it_finish(c);
}

/* ---- region ---- */

static void test_region(void **state)
{
	PGconn *c;
	char *msg;

	it_skip_if_direct();
	truncate_everywhere("regional_metrics, regional_events");
	c = app_connect();
	exec_clear(c, "INSERT INTO regional_metrics (region, metric, value) VALUES ('US', 'm_us', 1)");
	exec_clear(c, "INSERT INTO regional_metrics (region, metric, value) VALUES ('de', 'm_de', 2)");
	exec_clear(c, "INSERT INTO regional_metrics (region, metric, value) VALUES ('Jp', 'm_jp', 3)");
	exec_clear(c, "INSERT INTO regional_metrics (region, metric, value) VALUES ('ZZ', 'm_zz', 4)");
	exec_clear(c, "INSERT INTO regional_events (region, what) VALUES ('uk', 'e_uk')");
	msg = expect_error(c, "INSERT INTO regional_events (region, what) VALUES ('ZZ', 'e_zz')", "22023");
	assert_contains(msg, "ZZ");
	free(msg);

	expect_column_on(0, "regional_metrics", "region", "US,ZZ");
	expect_column_on(1, "regional_metrics", "region", "de");
	expect_column_on(2, "regional_metrics", "region", "Jp");
	expect_column_on(0, "regional_events", "region", "");
	expect_column_on(1, "regional_events", "region", "uk");
	expect_column_on(2, "regional_events", "region", "");

	/* Reads go to the listed shard, whatever the case of the value. */
	it_expect_scalar(c, "SELECT metric FROM regional_metrics WHERE region = 'US'", "m_us");
	it_expect_scalar(c, "SELECT metric FROM regional_metrics WHERE region = 'de'", "m_de");
	it_expect_scalar(c, "SELECT metric FROM regional_metrics WHERE region = 'Jp'", "m_jp");
	expect_port(c, "SELECT count(*), inet_server_port() FROM regional_metrics WHERE region = 'DE'", 1);
	expect_port(c, "SELECT count(*), inet_server_port() FROM regional_metrics WHERE region = 'jp'", 2);
	/* Unlisted: the table's default shard, or (no default) every shard. */
	it_expect_scalar(c, "SELECT metric FROM regional_metrics WHERE region = 'ZZ'", "m_zz");
	it_expect_scalar(c, "SELECT count(*) FROM regional_events WHERE region = 'ZZ'", "0");
	expect_port(c, "SELECT what, inet_server_port() FROM regional_events WHERE region = 'uk'", 1);
	expect_port(c, "SELECT count(*), inet_server_port() FROM regional_events WHERE region = 'Uk'", 1);
	it_finish(c);
}

/* ---- time tiers ---- */

static void test_time_tiers(void **state)
{
	const char *vals[2] = {"y2000", "2000-01-01 00:00:00+00"};
	PGconn *c;
	PGresult *r;

	it_skip_if_direct();
	truncate_everywhere("metrics");
	c = app_connect();
	exec_clear(
	        c,
	        "INSERT INTO metrics (name, value, created_at) VALUES ('d01', 1, now() - interval '1 day')");
	exec_clear(c, "INSERT INTO metrics (name, value, created_at) VALUES ('d10', 2, now() - interval '10 "
	              "days')");
	exec_clear(c, "INSERT INTO metrics (name, value, created_at) VALUES ('d40', 3, now() - interval '40 "
	              "days')");
	r = PQexecParams(c, "INSERT INTO metrics (name, value, created_at) VALUES ($1, 4, $2)", 2, NULL, vals,
	                 NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);

	expect_column_on(0, "metrics", "name", "d01");
	expect_column_on(1, "metrics", "name", "d10");
	expect_column_on(2, "metrics", "name", "d40,y2000");

	/* A range inside one tier runs there alone. */
	r = it_exec_ok(
	        c,
	        "SELECT name, inet_server_port() FROM metrics WHERE created_at > now() - interval '3 days'");
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "d01");
	assert_int_equal(atoi(PQgetvalue(r, 0, 1)), shard_port(0));
	PQclear(r);
	r = it_exec_ok(c, "SELECT name, inet_server_port() FROM metrics "
	                  "WHERE created_at < now() - interval '35 days' ORDER BY name");
	assert_int_equal(PQntuples(r), 2);
	assert_string_equal(PQgetvalue(r, 0, 0), "d40");
	assert_string_equal(PQgetvalue(r, 1, 0), "y2000");
	assert_int_equal(atoi(PQgetvalue(r, 0, 1)), shard_port(2));
	PQclear(r);
	it_expect_scalar(c,
	                 "SELECT name FROM metrics WHERE created_at BETWEEN now() - interval '12 days' "
	                 "AND now() - interval '8 days'",
	                 "d10");
	/* Spanning tiers, or no constraint: every tier that could hold rows. */
	it_expect_scalar(c, "SELECT count(*) FROM metrics WHERE created_at > now() - interval '20 days'",
	                 "2");
	it_expect_scalar(c, "SELECT count(*) FROM metrics", "4");
	it_finish(c);
}

/* ---- transactions ---- */

static void test_cross_shard_transaction(void **state)
{
	long long a, b;
	PGconn *d, *c;
	PGresult *r;
	char *msg;

	it_skip_if_direct();
	d = shard_connect(0);
	pick_keys(d, 0, 700000, 1, &a);
	pick_keys(d, 1, 700000, 1, &b);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);

	c = app_connect();
	exec_clear(c, "BEGIN");
	exec_fmt(c, "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 1, 'tx-a')", a);
	{
		char sql[128];

		snprintf(sql, sizeof(sql),
		         "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 2, 'tx-b')", b);
		msg = expect_error(c, sql, "0A000");
	}
	assert_contains(msg, "cross-shard transaction");
	assert_contains(msg, "americas");
	assert_contains(msg, "europe");
	free(msg);
	assert_int_equal(PQtransactionStatus(c), PQTRANS_INERROR);
	it_expect_sqlstate(c, "SELECT 1", "25P02");
	r = it_exec_ok(c, "COMMIT");
	assert_string_equal(PQcmdStatus(r), "ROLLBACK");
	PQclear(r);
	assert_int_equal(PQtransactionStatus(c), PQTRANS_IDLE);
	assert_int_equal(count_key_everywhere(a), 0);
	assert_int_equal(count_key_everywhere(b), 0);
	/* The connection goes on normally, routed afresh. */
	{
		char sql[128];

		snprintf(sql, sizeof(sql),
		         "SELECT count(*), inet_server_port() FROM orders WHERE user_id = %lld", b);
		expect_port(c, sql, 1);
		snprintf(sql, sizeof(sql),
		         "SELECT count(*), inet_server_port() FROM orders WHERE user_id = %lld", a);
		expect_port(c, sql, 0);
	}
	it_finish(c);
}

/* Same with the extended protocol: the statement is routed at Bind. */
static void test_cross_shard_transaction_extended(void **state)
{
	char ka[32], kb[32];
	const char *va[1] = {ka}, *vb[1] = {kb};
	long long a, b;
	PGconn *d, *c;
	PGresult *r;

	it_skip_if_direct();
	d = shard_connect(0);
	pick_keys(d, 2, 710000, 1, &a);
	pick_keys(d, 0, 710000, 1, &b);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);
	snprintf(ka, sizeof(ka), "%lld", a);
	snprintf(kb, sizeof(kb), "%lld", b);

	c = app_connect();
	exec_clear(c, "BEGIN");
	r = PQexecParams(c, "INSERT INTO orders (user_id, amount, note) VALUES ($1, 1, 'xa')", 1, NULL, va,
	                 NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQexecParams(c, "INSERT INTO orders (user_id, amount, note) VALUES ($1, 2, 'xb')", 1, NULL, vb,
	                 NULL, NULL, 0);
	assert_string_equal(it_result_sqlstate(r), "0A000");
	assert_contains(PQresultErrorMessage(r), "asia");
	assert_contains(PQresultErrorMessage(r), "americas");
	PQclear(r);
	r = it_exec_ok(c, "COMMIT");
	assert_string_equal(PQcmdStatus(r), "ROLLBACK");
	PQclear(r);
	assert_int_equal(count_key_everywhere(a), 0);
	assert_int_equal(count_key_everywhere(b), 0);
	it_expect_scalar(c, "SELECT 'still usable'", "still usable");
	it_finish(c);
}

static void test_single_shard_transaction(void **state)
{
	long long k[2];
	PGconn *d, *c;
	PGresult *r;

	it_skip_if_direct();
	d = shard_connect(0);
	pick_keys(d, 2, 720000, 2, k);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);

	c = app_connect();
	exec_clear(c, "BEGIN");
	assert_int_equal(PQtransactionStatus(c), PQTRANS_INTRANS);
	exec_fmt(c, "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 1, 'one')", k[0]);
	exec_fmt(c, "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 2, 'two')", k[1]);
	expect_port(c, "SELECT inet_server_port()", 2); /* no table: stays on the transaction's shard */
	r = it_exec_ok(c, "COMMIT");
	assert_string_equal(PQcmdStatus(r), "COMMIT");
	PQclear(r);
	assert_int_equal(count_key_on(2, k[0]), 1);
	assert_int_equal(count_key_on(2, k[1]), 1);
	assert_int_equal(count_key_everywhere(k[0]) + count_key_everywhere(k[1]), 2);
	/* A BEGIN that never routes is answered by shardgate alone. */
	exec_clear(c, "BEGIN");
	r = it_exec_ok(c, "ROLLBACK");
	assert_string_equal(PQcmdStatus(r), "ROLLBACK");
	PQclear(r);
	it_finish(c);
}

/* ---- shard key UPDATE ---- */

static void test_update_shard_key(void **state)
{
	long long same[2], other;
	PGconn *d, *c;
	char sql[160], *msg;
	PGresult *r;

	it_skip_if_direct();
	d = shard_connect(0);
	pick_keys(d, 1, 730000, 2, same);
	pick_keys(d, 2, 730000, 1, &other);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);

	c = app_connect();
	exec_fmt(c, "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 3, 'mv')", same[0]);
	snprintf(sql, sizeof(sql), "UPDATE orders SET user_id = %lld WHERE user_id = %lld", other, same[0]);
	msg = expect_error(c, sql, "0A000");
	free(msg);
	assert_int_equal(count_key_on(1, same[0]), 1);
	assert_int_equal(count_key_everywhere(other), 0);

	snprintf(sql, sizeof(sql), "UPDATE orders SET user_id = %lld WHERE user_id = %lld", same[1], same[0]);
	r = it_exec_ok(c, sql);
	assert_string_equal(PQcmdTuples(r), "1");
	PQclear(r);
	assert_int_equal(count_key_on(1, same[1]), 1);
	assert_int_equal(count_key_everywhere(same[0]), 0);
	it_finish(c);
}

/* ---- hints ---- */

static void test_hints(void **state)
{
	PGconn *c, *d;
	char sql[128];
	int k42;

	it_skip_if_direct();
	d = shard_connect(0);
	k42 = slot_shard(pg_slot_int(d, 42));
	it_finish(d);
	c = app_connect();
	expect_port(c, "SELECT inet_server_port()", 0);
	expect_port(c, "/* shard: europe */ SELECT inet_server_port()", 1);
	expect_port(c, "/* sharding_key: 42 */ SELECT inet_server_port()", k42);
	/* A hint overrides what the statement itself would need. */
	expect_port(c, "/* shard: asia */ SELECT count(*), inet_server_port() FROM orders", 2);
	free(expect_error(c, "/* shard: nope */ SELECT 1", "22023"));

	exec_clear(c, "SET shardgate.shard = 'asia'");
	expect_port(c, "SELECT inet_server_port()", 2);
	expect_port(c, "SELECT count(*), inet_server_port() FROM orders", 2);
	free(expect_error(c, "SET shardgate.shard = 'nope'", "22023"));
	expect_port(c, "SELECT inet_server_port()", 2); /* the failed SET changed nothing */
	exec_clear(c, "RESET shardgate.shard");
	expect_port(c, "SELECT inet_server_port()", 0);
	snprintf(sql, sizeof(sql), "/* shard: %s */ SELECT inet_server_port()", shard_names[2]);
	expect_port(c, sql, 2);
	it_finish(c);
}

/* A comment hint on a statement sent with the extended protocol. */
static void test_hint_extended(void **state)
{
	PGconn *c;
	PGresult *r;

	it_skip_if_direct();
	c = app_connect();
	r = PQexecParams(c, "/* shard: asia */ SELECT inet_server_port()", 0, NULL, NULL, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(atoi(PQgetvalue(r, 0, 0)), shard_port(2));
	PQclear(r);
	r = PQexecParams(c, "/* shard: europe */ SELECT inet_server_port()", 0, NULL, NULL, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(atoi(PQgetvalue(r, 0, 0)), shard_port(1));
	PQclear(r);
	it_finish(c);
}

/* ---- replicated, unlisted and multi-shard statements ---- */

static void test_replicated_and_unlisted(void **state)
{
	PGconn *c;
	PGresult *r;

	it_skip_if_direct();
	truncate_everywhere("unlisted_notes");
	c = app_connect();
	expect_port(c, "SELECT code, inet_server_port() FROM countries LIMIT 1", 0);
	it_expect_scalar(c, "SELECT name FROM countries WHERE code = 'JP'", "Japan");
	/* Writes to a replicated table reach every shard; the count is one
	 * copy's, as PostgreSQL would report it for one table. */
	r = it_exec_ok(c, "INSERT INTO countries (code, name) VALUES ('FR', 'France')");
	assert_string_equal(PQcmdStatus(r), "INSERT 0 1");
	PQclear(r);
	for (int s = 0; s < NSHARDS; s++)
		expect_column_on(s, "countries", "code", "DE,FR,JP,US");
	r = it_exec_ok(c, "UPDATE countries SET name = 'Frankreich' WHERE code = 'FR'");
	assert_string_equal(PQcmdStatus(r), "UPDATE 1");
	PQclear(r);
	for (int s = 0; s < NSHARDS; s++)
		expect_column_on(s, "countries", "name", "Frankreich,Germany,Japan,United States");
	r = it_exec_ok(c, "DELETE FROM countries WHERE code = 'FR'");
	assert_string_equal(PQcmdStatus(r), "DELETE 1");
	PQclear(r);
	/* a constraint violation on the first shard stops the broadcast */
	it_expect_sqlstate(c, "INSERT INTO countries (code, name) VALUES ('US', 'again')", "23505");
	for (int s = 0; s < NSHARDS; s++)
		expect_column_on(s, "countries", "code", "DE,JP,US");

	exec_clear(c, "INSERT INTO unlisted_notes (v) VALUES ('u1')");
	expect_port(c, "SELECT v, inet_server_port() FROM unlisted_notes", 0);
	expect_column_on(0, "unlisted_notes", "v", "u1");
	expect_column_on(1, "unlisted_notes", "v", "");
	expect_column_on(2, "unlisted_notes", "v", "");
	it_expect_scalar(c, "SELECT 1", "1");
	it_finish(c);
}

/* Statements for several shards: reads merge, an INSERT's rows split. */
static void test_multi_shard_split(void **state)
{
	long long a[2], b;
	PGconn *d, *c;
	char sql[200];
	PGresult *r;

	it_skip_if_direct();
	d = shard_connect(0);
	pick_keys(d, 0, 740000, 2, a);
	pick_keys(d, 2, 740000, 1, &b);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);
	c = app_connect();

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM orders WHERE user_id IN (%lld, %lld)", a[0], b);
	it_expect_scalar(c, sql, "0");
	snprintf(sql, sizeof(sql),
	         "SELECT count(*), inet_server_port() FROM orders WHERE user_id IN (%lld, %lld)", a[0], a[1]);
	expect_port(c, sql, 0);

	/* Rows for two shards: split into one INSERT per shard, one reply. */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO orders (user_id, amount) VALUES (%lld, 1), (%lld, 2) RETURNING user_id, amount",
	         a[0], b);
	r = it_exec_ok(c, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQcmdStatus(r), "INSERT 0 2");
	assert_int_equal(PQntuples(r), 2);
	PQclear(r);
	assert_int_equal(count_key_on(0, a[0]), 1);
	assert_int_equal(count_key_on(2, b), 1);
	assert_int_equal(count_key_everywhere(a[0]) + count_key_everywhere(b), 2);
	delete_keys_everywhere(700000, 800000);
	snprintf(sql, sizeof(sql), "INSERT INTO orders (user_id, amount) VALUES (%lld, 1), (%lld, 2)", a[0],
	         a[1]);
	r = it_exec_ok(c, sql);
	assert_string_equal(PQcmdTuples(r), "2");
	PQclear(r);
	assert_int_equal(count_key_on(0, a[0]) + count_key_on(0, a[1]), 2);

	it_expect_scalar(c, "SELECT 'ok'", "ok");
	it_finish(c);
}

/* Reads over several shards run on each and come back as one result
 * (rows concatenated, or merged in order, counts added). */
static void test_multi_shard_reads(void **state)
{
	long long a, b, direct = 0;
	PGconn *d, *c;
	PGresult *r;
	char sql[256], *msg;

	it_skip_if_direct();
	d = shard_connect(0);
	pick_keys(d, 0, 760000, 1, &a);
	pick_keys(d, 2, 760000, 1, &b);
	it_finish(d);
	delete_keys_everywhere(700000, 800000);
	c = app_connect();
	exec_fmt(c, "INSERT INTO orders (user_id, amount, note) VALUES (%lld, 1.25, 'a'), (%lld, 2.50, 'b')",
	         a, b);

	snprintf(sql, sizeof(sql), "SELECT user_id, amount FROM orders WHERE user_id IN (%lld, %lld)", a, b);
	r = it_exec_ok(c, sql);
	assert_int_equal(PQntuples(r), 2);
	assert_string_equal(PQcmdStatus(r), "SELECT 2");
	assert_string_equal(PQfname(r, 1), "amount");
	PQclear(r);

	for (int s = 0; s < NSHARDS; s++) {
		PGconn *x = shard_connect(s);
		direct += scalar_ll(x, "SELECT count(*) FROM orders");
		it_finish(x);
	}
	r = it_exec_ok(c, "SELECT user_id FROM orders");
	assert_int_equal(PQntuples(r), direct);
	PQclear(r);

	r = it_exec_ok(c, "SELECT user_id FROM orders ORDER BY user_id");
	assert_int_equal(PQntuples(r), direct);
	for (int i = 1; i < PQntuples(r); i++)
		assert_true(atoll(PQgetvalue(r, i - 1, 0)) <= atoll(PQgetvalue(r, i, 0)));
	PQclear(r);
	snprintf(sql, sizeof(sql), "%lld", direct);
	it_expect_scalar(c, "SELECT count(*) FROM orders", sql);
	msg = expect_error(c, "UPDATE orders SET note = 'x'", "0A000");
	assert_contains(msg, "allow_multi_shard_writes");
	free(msg);
	it_expect_sqlstate(c, "SELECT user_id / 0 FROM orders", "22012");
	it_expect_scalar(c, "SELECT 'usable'", "usable");
	it_finish(c);
}

/* Deeply nested text that the nesting estimate does not catch (found by
 * fuzz/fuzz_sql.c): libpg_query's recursion must not take the proxy down.
 * PostgreSQL itself refuses it; the connection and the proxy live on. */
static void test_deep_nesting_survives(void **state)
{
	const char *unit = "BETWEEN 1 AND NOT 1 ";
	size_t n = 1454, len = 9 + n * strlen(unit) + 1;
	char *sql = malloc(len);
	PGconn *c;
	PGresult *r;

	it_skip_if_direct();
	assert_non_null(sql);
	strcpy(sql, "SELECT 1 ");
	for (size_t i = 0; i < n; i++)
		strcat(sql, unit);
	c = app_connect();
	for (int i = 0; i < 2; i++) { /* the second time from the plan cache */
		r = PQexec(c, sql);
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		PQclear(r);
	}
	free(sql);
	it_expect_scalar(c, "SELECT 'alive'", "alive");
	it_finish(c);
	assert_int_equal(kill((pid_t)it_env_int("SG_PID"), 0), 0);
}

/* A split COPY with a row no shard takes fails as a whole: nothing is
 * written anywhere; COPY without the key column is refused up front. */
static void test_copy_split_errors(void **state)
{
	const char *rows = "US\tok\nZZ\tnowhere\nJP\tok\n";
	PGconn *c;
	PGresult *r;

	it_skip_if_direct();
	truncate_everywhere("regional_events");
	c = app_connect();
	r = PQexec(c, "COPY regional_events (region, what) FROM STDIN");
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	assert_int_equal(PQputCopyData(c, rows, (int)strlen(rows)), 1);
	assert_int_equal(PQputCopyEnd(c, NULL), 1);
	r = PQgetResult(c);
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "22023");
	PQclear(r);
	assert_null(PQgetResult(c));
	for (int s = 0; s < NSHARDS; s++)
		expect_column_on(s, "regional_events", "region", "");
	it_expect_sqlstate(c, "COPY orders (amount, note) FROM STDIN", "0A000");
	it_expect_scalar(c, "SELECT 'still fine'", "still fine");
	it_finish(c);
}

/* DDL goes to every shard, one after another; the client sees one reply. */
static void test_ddl_every_shard(void **state)
{
	PGconn *c;
	PGresult *r;
	char *msg;

	it_skip_if_direct();
	c = app_connect();
	r = it_exec_ok(c, "CREATE TABLE it_routing_ddl (v int)");
	assert_string_equal(PQcmdStatus(r), "CREATE TABLE");
	PQclear(r);
	exec_clear(c, "CREATE INDEX it_routing_ddl_v ON it_routing_ddl (v)");
	for (int s = 0; s < NSHARDS; s++) {
		PGconn *d = shard_connect(s);
		it_expect_scalar(d, "SELECT to_regclass('it_routing_ddl_v') IS NOT NULL", "t");
		it_finish(d);
	}
	/* the second CREATE fails on the first shard and names it */
	msg = expect_error(c, "CREATE TABLE it_routing_ddl (v int)", "42P07");
	free(msg);
	exec_clear(c, "DROP TABLE it_routing_ddl");
	for (int s = 0; s < NSHARDS; s++) {
		PGconn *d = shard_connect(s);
		it_expect_scalar(d, "SELECT to_regclass('it_routing_ddl') IS NULL", "t");
		it_finish(d);
	}
	/* inside a transaction it would be a cross-shard transaction */
	exec_clear(c, "BEGIN");
	it_expect_sqlstate(c, "CREATE TABLE it_routing_ddl2 (v int)", "0A000");
	exec_clear(c, "ROLLBACK");
	it_finish(c);
}

/* ---- admin console ---- */

static PGresult *admin_rows(PGconn *adm, const char *sql, const char *const *cols, int ncols)
{
	PGresult *r = it_exec_ok(adm, sql);

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQnfields(r), ncols);
	for (int i = 0; i < ncols; i++)
		assert_string_equal(PQfname(r, i), cols[i]);
	return r;
}

static int find_row(PGresult *r, int col, const char *val)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, col), val) == 0)
			return i;
	fail_msg("no row with \"%s\" in column %d", val, col);
	return -1;
}

static void test_admin_route(void **state)
{
	static const char *const cols[] = {"kind", "shards", "write_all", "error", "reason"};
	PGconn *adm, *d;
	PGresult *r;
	char want[32];
	int slot;

	it_skip_if_direct();
	d = shard_connect(0);
	slot = pg_slot_int(d, 42);
	it_finish(d);
	adm = it_connect_admin();

	r = admin_rows(adm, "ROUTE SELECT * FROM orders WHERE user_id = 42", cols, 5);
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "select");
	assert_string_equal(PQgetvalue(r, 0, 1), shard_names[slot_shard(slot)]);
	assert_string_equal(PQgetvalue(r, 0, 2), "no");
	assert_true(PQgetisnull(r, 0, 3));
	snprintf(want, sizeof(want), "slot %d", slot);
	{
		const char *p = strstr(PQgetvalue(r, 0, 4), want);

		if (p == NULL || (p[strlen(want)] >= '0' && p[strlen(want)] <= '9'))
			fail_msg("ROUTE reason \"%s\" does not name %s", PQgetvalue(r, 0, 4), want);
	}
	PQclear(r);

	r = admin_rows(adm, "ROUTE SELECT count(*) FROM orders", cols, 5);
	assert_string_equal(PQgetvalue(r, 0, 1), "americas,europe,asia");
	PQclear(r);
	r = admin_rows(adm, "ROUTE INSERT INTO countries (code, name) VALUES ('FR', 'France')", cols, 5);
	assert_string_equal(PQgetvalue(r, 0, 0), "insert");
	assert_string_equal(PQgetvalue(r, 0, 1), "americas,europe,asia");
	assert_string_equal(PQgetvalue(r, 0, 2), "yes");
	PQclear(r);
	r = admin_rows(adm, "ROUTE INSERT INTO regional_events (region, what) VALUES ('ZZ', 'x')", cols, 5);
	assert_false(PQgetisnull(r, 0, 3));
	assert_true(strncmp(PQgetvalue(r, 0, 3), "22023", 5) == 0);
	PQclear(r);
	r = admin_rows(adm, "ROUTE SELECT * FROM regional_metrics WHERE region = 'fr'", cols, 5);
	assert_string_equal(PQgetvalue(r, 0, 1), "europe");
	PQclear(r);
	it_finish(adm);
}

static void test_admin_show_routing(void **state)
{
	static const char *const tcols[] = {"table", "shard_by", "column", "type", "shards"};
	static const char *const scols[] = {"first_slot", "last_slot", "shard"};
	static const char *const tiercols[] = {"table", "tier", "shard", "max_age", "from", "until"};
	static const char *const slots[3][3] = {
	        {"0", "21", "americas"}, {"22", "42", "europe"}, {"43", "63", "asia"}};
	static const char *const tiers[3][4] = {{"metrics", "current", "americas", "604800000ms"},
	                                        {"metrics", "recent", "europe", "2592000000ms"},
	                                        {"metrics", "archive", "asia", "unbounded"}};
	PGconn *adm, *d;
	PGresult *r;
	char sql[256];
	int row;

	it_skip_if_direct();
	adm = it_connect_admin();
	r = admin_rows(adm, "SHOW TABLES", tcols, 5);
	assert_int_equal(PQntuples(r), 8); /* with layout_t and ghost_t */
	row = find_row(r, 0, "orders");
	assert_string_equal(PQgetvalue(r, row, 1), "hash");
	assert_string_equal(PQgetvalue(r, row, 2), "user_id");
	assert_string_equal(PQgetvalue(r, row, 3), "integer");
	row = find_row(r, 0, "users_by_name");
	assert_string_equal(PQgetvalue(r, row, 2), "name");
	assert_string_equal(PQgetvalue(r, row, 3), "text");
	row = find_row(r, 0, "regional_events");
	assert_string_equal(PQgetvalue(r, row, 1), "region");
	row = find_row(r, 0, "metrics");
	assert_string_equal(PQgetvalue(r, row, 1), "time");
	assert_string_equal(PQgetvalue(r, row, 2), "created_at");
	row = find_row(r, 0, "countries");
	assert_string_equal(PQgetvalue(r, row, 1), "replicated");
	PQclear(r);

	r = admin_rows(adm, "SHOW SLOTS", scols, 3);
	assert_int_equal(PQntuples(r), 3);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			assert_string_equal(PQgetvalue(r, i, j), slots[i][j]);
	PQclear(r);

	r = admin_rows(adm, "SHOW TIERS", tiercols, 6);
	assert_int_equal(PQntuples(r), 3);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			assert_string_equal(PQgetvalue(r, i, j), tiers[i][j]);
	assert_true(PQgetisnull(r, 0, 5));
	assert_true(PQgetisnull(r, 2, 4));
	assert_string_equal(PQgetvalue(r, 1, 5), PQgetvalue(r, 0, 4));
	assert_string_equal(PQgetvalue(r, 2, 5), PQgetvalue(r, 1, 4));
	/* Watermarks start at (shardgate's start) - max_age: within minutes of now. */
	d = shard_connect(0);
	snprintf(sql, sizeof(sql),
	         "SELECT abs(extract(epoch FROM '%s'::timestamptz - (now() - interval '7 days'))) < 600 "
	         "AND abs(extract(epoch FROM '%s'::timestamptz - (now() - interval '30 days'))) < 600",
	         PQgetvalue(r, 0, 4), PQgetvalue(r, 1, 4));
	it_expect_scalar(d, sql, "t");
	it_finish(d);
	PQclear(r);
	it_finish(adm);
}

/* ---- plan cache ---- */

static void query_one_shape(PGconn *c, int n)
{
	char sql[128];

	for (int i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT amount FROM orders WHERE user_id = %d", i * 7919 + 1);
		PQclear(it_exec_ok(c, sql));
	}
}

/* 2000 queries of one shape: one miss (one libpg_query parse), then hits.
 * The hit rate SHOW STATS reports counts every query since shardgate
 * started, including the other tests' shapes, so the test first adds
 * enough queries of its shape to make that rate independent of what ran
 * before (at most 100 x the earlier misses). */
static void test_plan_cache(void **state)
{
	long long hits0, misses0, parses0, hits, misses, parses, need;
	PGconn *c, *adm;

	it_skip_if_direct();
	c = app_connect();
	adm = it_connect_admin();
	hits0 = it_stat_value(adm, "plan_cache_hits");
	misses0 = it_stat_value(adm, "plan_cache_misses");
	parses0 = it_stat_value(adm, "sql_parses");
	query_one_shape(c, 2000);
	hits = it_stat_value(adm, "plan_cache_hits") - hits0;
	misses = it_stat_value(adm, "plan_cache_misses") - misses0;
	parses = it_stat_value(adm, "sql_parses") - parses0;
	if (hits < 1999 || misses > 1 || parses > 2)
		fail_msg("2000 queries of one shape: %lld hits, %lld misses, %lld parses", hits, misses,
		         parses);

	hits = it_stat_value(adm, "plan_cache_hits");
	misses = it_stat_value(adm, "plan_cache_misses");
	need = 99 * misses - hits + 1; /* hits + n >= 99 * misses */
	if (need > 0)
		query_one_shape(c, need > 30000 ? 30000 : (int)need);
	hits = it_stat_value(adm, "plan_cache_hits");
	misses = it_stat_value(adm, "plan_cache_misses");
	assert_int_equal(it_stat_value(adm, "plan_cache_hit_rate_pct"), hits * 100 / (hits + misses));
	if (it_stat_value(adm, "plan_cache_hit_rate_pct") < 99)
		fail_msg("plan cache hit rate %lld%% (%lld hits, %lld misses)",
		         it_stat_value(adm, "plan_cache_hit_rate_pct"), hits, misses);
	assert_true(it_stat_value(adm, "plan_cache_entries") >= 1);
	it_finish(adm);
	it_finish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_hash_int_keys, it_teardown),
	        cmocka_unit_test_teardown(test_insert_without_column_list, it_teardown),
	        cmocka_unit_test_teardown(test_insert_without_column_list_after_alter, it_teardown),
	        cmocka_unit_test_teardown(test_insert_select, it_teardown),
	        cmocka_unit_test_teardown(test_ddl_every_shard, it_teardown),
	        cmocka_unit_test_teardown(test_copy_split_errors, it_teardown),
	        cmocka_unit_test_teardown(test_multi_shard_reads, it_teardown),
	        cmocka_unit_test_teardown(test_deep_nesting_survives, it_teardown),
	        cmocka_unit_test_teardown(test_hash_text_keys, it_teardown),
	        cmocka_unit_test_teardown(test_region, it_teardown),
	        cmocka_unit_test_teardown(test_time_tiers, it_teardown),
	        cmocka_unit_test_teardown(test_cross_shard_transaction, it_teardown),
	        cmocka_unit_test_teardown(test_cross_shard_transaction_extended, it_teardown),
	        cmocka_unit_test_teardown(test_single_shard_transaction, it_teardown),
	        cmocka_unit_test_teardown(test_update_shard_key, it_teardown),
	        cmocka_unit_test_teardown(test_hints, it_teardown),
	        cmocka_unit_test_teardown(test_hint_extended, it_teardown),
	        cmocka_unit_test_teardown(test_replicated_and_unlisted, it_teardown),
	        cmocka_unit_test_teardown(test_multi_shard_split, it_teardown),
	        cmocka_unit_test_teardown(test_admin_route, it_teardown),
	        cmocka_unit_test_teardown(test_admin_show_routing, it_teardown),
	        cmocka_unit_test_teardown(test_plan_cache, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
