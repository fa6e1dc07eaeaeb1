/* it_hashcompat.c — shardgate's hash slots are PostgreSQL's own hash
 * partitions.
 *
 * Runs under tests/integration/run.sh (tests/integration/hashcompat.yaml.in)
 * but talks DIRECTLY to pg1, not through the proxy: for thousands of keys
 * of each key type it lets PostgreSQL place rows in a table PARTITION BY
 * HASH with modulus 64 and checks that pghash_row_<type>(key) % 64 names
 * the partition PostgreSQL chose (tableoid), then checks every key against
 * satisfies_hash_partition() with modulus 1024 (the default hash.slots).
 * Integer keys are also checked in int2 and int4 columns, which must hash
 * as int8 does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_common.h"
#include "pghash.h"

#define MODULUS 64
#define NINT    3000
#define NTEXT   2000
#define NUUID   1000

/* ---- deterministic keys ---- */

static uint64_t g_rng = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (g_rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void int_keys(int64_t *k, size_t n)
{
	static const int64_t fixed[] = {0,
	                                1,
	                                -1,
	                                2,
	                                -2,
	                                42,
	                                -42,
	                                127,
	                                -128,
	                                255,
	                                32767,
	                                -32768,
	                                32768,
	                                -32769,
	                                65535,
	                                65536,
	                                INT32_MAX,
	                                INT32_MIN,
	                                (int64_t)INT32_MAX + 1,
	                                (int64_t)INT32_MIN - 1,
	                                UINT32_MAX,
	                                (int64_t)UINT32_MAX + 1,
	                                -(int64_t)UINT32_MAX,
	                                INT64_MAX,
	                                INT64_MIN,
	                                INT64_MAX - 1,
	                                INT64_MIN + 1,
	                                INT64_C(1) << 62,
	                                -(INT64_C(1) << 62),
	                                INT64_C(1234567890123)};
	size_t i = 0;

	for (; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		k[i] = fixed[i];
	/* A run of small consecutive ids (the common case), then random
	 * values of every magnitude and sign. */
	for (int64_t v = -500; v < 1000 && i < n; v++)
		k[i++] = v;
	while (i < n) {
		uint64_t r = rnd();
		int bits = (int)(rnd() % 64) + 1;

		k[i++] = (int64_t)(bits == 64 ? r : r >> (64 - bits)) * ((r & 1) ? -1 : 1);
	}
}

/* Appends a random UTF-8 code point (1 to 4 bytes, no surrogates). */
static size_t utf8_char(char *p)
{
	static const uint32_t ranges[][2] = {
	        {0x20, 0x7e}, {0xa0, 0x7ff}, {0x800, 0xd7ff}, {0xe000, 0xfffd}, {0x10000, 0x10ffff}};
	const uint32_t *r = ranges[rnd() % 5];
	uint32_t c = r[0] + (uint32_t)(rnd() % (r[1] - r[0] + 1));

	if (c < 0x80) {
		p[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char)(0xc0 | c >> 6);
		p[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char)(0xe0 | c >> 12);
		p[1] = (char)(0x80 | (c >> 6 & 0x3f));
		p[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | c >> 18);
	p[1] = (char)(0x80 | (c >> 12 & 0x3f));
	p[2] = (char)(0x80 | (c >> 6 & 0x3f));
	p[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Distinct-enough text keys: the empty string, ASCII of lengths 1..60
 * (every tail length of the 12-byte blocks, with tabs, newlines and
 * backslashes that COPY must escape), and UTF-8 of 1..20 characters. */
static char **text_keys(size_t n)
{
	char **k = calloc(n, sizeof(*k));
	char buf[128];

	assert_non_null(k);
	k[0] = strdup("");
	k[1] = strdup("abc");
	k[2] = strdup("Zürich");
	k[3] = strdup("日本語");
	for (size_t i = 4; i < n; i++) {
		size_t len = 0, chars = 1 + rnd() % (i % 2 ? 60 : 20);

		for (size_t c = 0; c < chars; c++) {
			if (i % 2) {
				static const char ascii[] =
				        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				        "0123456789 _-.,;:!@#$%^&*()[]{}'\"\\\t\n";

				buf[len++] = ascii[rnd() % (sizeof(ascii) - 1)];
			} else {
				len += utf8_char(buf + len);
			}
		}
		buf[len] = '\0';
		k[i] = strdup(buf);
	}
	for (size_t i = 0; i < n; i++)
		assert_non_null(k[i]);
	return k;
}

static void uuid_keys(uint8_t (*k)[16], size_t n)
{
	memset(k[0], 0, 16);
	memset(k[1], 0xff, 16);
	for (size_t i = 2; i < n; i++) {
		uint64_t a = rnd(), b = rnd();

		for (int j = 0; j < 8; j++) {
			k[i][j] = (uint8_t)(a >> (8 * j));
			k[i][8 + j] = (uint8_t)(b >> (8 * j));
		}
	}
}

static void uuid_text(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* ---- SQL helpers ---- */

static void exec_ok(PGconn *c, const char *sql)
{
	PQclear(it_exec_ok(c, sql));
}

/* CREATE TABLE name (k type, r int4) PARTITION BY HASH (k), with MODULUS
 * partitions name_p0..; r holds the remainder we compute, for the 1024
 * check. */
static void create_partitioned(PGconn *c, const char *name, const char *type)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", name);
	exec_ok(c, sql);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (k %s, r int4) PARTITION BY HASH (k)", name, type);
	exec_ok(c, sql);
	for (int i = 0; i < MODULUS; i++) {
		snprintf(sql, sizeof(sql),
		         "CREATE TABLE %s_p%d PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d)",
		         name, i, name, MODULUS, i);
		exec_ok(c, sql);
	}
}

/* COPY text format escaping of one field. */
static size_t copy_escape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			out[n++] = '\\';
			out[n++] = '\\';
			break;
		case '\t':
			out[n++] = '\\';
			out[n++] = 't';
			break;
		case '\n':
			out[n++] = '\\';
			out[n++] = 'n';
			break;
		case '\r':
			out[n++] = '\\';
			out[n++] = 'r';
			break;
		default:
			out[n++] = *s;
		}
	}
	return n;
}

/* Loads (key text, remainder mod 1024) rows with COPY. keys[i] is already
 * the key's text form, NULL for SQL NULL. */
static void copy_rows(PGconn *c, const char *table, char *const *keys, const int *rem, size_t n)
{
	char sql[128], line[512];
	PGresult *r;

	snprintf(sql, sizeof(sql), "COPY %s (k, r) FROM STDIN", table);
	r = PQexec(c, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	for (size_t i = 0; i < n; i++) {
		size_t len =
		        keys[i] ? copy_escape(keys[i], line) : (size_t)snprintf(line, sizeof(line), "\\N");

		len += (size_t)snprintf(line + len, sizeof(line) - len, "\t%d\n", rem[i]);
		assert_int_equal(PQputCopyData(c, line, (int)len), 1);
	}
	assert_int_equal(PQputCopyEnd(c, NULL), 1);
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("COPY %s: %s", table, PQresultErrorMessage(r));
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
}

typedef uint64_t (*row_hash_fn)(const char *text, int len);

static uint64_t h_int(const char *t, int len)
{
	return pghash_row_int(strtoll(t, NULL, 10));
}

static uint64_t h_text(const char *t, int len)
{
	return pghash_row_text(t, (size_t)len);
}

static uint64_t h_uuid(const char *t, int len)
{
	uint8_t u[16];

	assert_int_equal(pghash_uuid_parse(t, u), 0);
	return pghash_row_uuid(u);
}

/* Every row sits in partition pghash % MODULUS, as PostgreSQL put it. */
static void check_partitions(PGconn *c, const char *table, row_hash_fn hash, size_t want_rows)
{
	char sql[160], prefix[64];
	PGresult *r;
	int rows, bad = 0;

	snprintf(sql, sizeof(sql), "SELECT k::text, tableoid::regclass::text FROM %s WHERE k IS NOT NULL",
	         table);
	r = it_exec_ok(c, sql);
	rows = PQntuples(r);
	assert_int_equal(rows, (int)want_rows);
	snprintf(prefix, sizeof(prefix), "%s_p", table);
	for (int i = 0; i < rows; i++) {
		const char *part = PQgetvalue(r, i, 1);
		uint64_t want = hash(PQgetvalue(r, i, 0), PQgetlength(r, i, 0)) % MODULUS;

		assert_memory_equal(part, prefix, strlen(prefix));
		if (strtoul(part + strlen(prefix), NULL, 10) != want && bad++ < 10)
			print_error("%s: key '%s' is in %s, pghash says remainder %" PRIu64 "\n", table,
			            PQgetvalue(r, i, 0), part, want);
	}
	PQclear(r);
	assert_int_equal(bad, 0);
}

/* satisfies_hash_partition with modulus 1024 accepts our remainder for
 * every key, and rejects the next one (so the check can fail). */
static void check_1024(PGconn *c, const char *table)
{
	char sql[256];

	snprintf(
	        sql, sizeof(sql),
	        "SELECT count(*) FILTER (WHERE satisfies_hash_partition('%s'::regclass, 1024, r, k)), "
	        "count(*) FILTER (WHERE satisfies_hash_partition('%s'::regclass, 1024, (r + 1) %% 1024, k)), "
	        "count(*) FROM %s WHERE k IS NOT NULL",
	        table, table, table);
	PGresult *r = it_exec_ok(c, sql);

	assert_string_equal(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2));
	assert_string_equal(PQgetvalue(r, 0, 1), "0");
	PQclear(r);
}

/* A NULL key: PostgreSQL leaves it out of the row hash, so it lands in
 * remainder 0, the slot shardgate gives NULL keys. */
static void check_null(PGconn *c, const char *table)
{
	char sql[160], want[64];

	snprintf(sql, sizeof(sql), "SELECT tableoid::regclass::text FROM %s WHERE k IS NULL", table);
	snprintf(want, sizeof(want), "%s_p0", table);
	it_expect_scalar(c, sql, want);
}

/* A direct connection to pg1 that does not print NOTICEs. */
static PGconn *connect_pg1(void)
{
	PGconn *c = it_connect_direct(it_env_int("PG1_PORT"));

	exec_ok(c, "SET client_min_messages TO warning");
	return c;
}

static void test_int_keys(void **state)
{
	PGconn *c = connect_pg1();
	int64_t *keys = calloc(NINT, sizeof(*keys));
	char **text = calloc(NINT + 1, sizeof(*text));
	int *rem = calloc(NINT + 1, sizeof(*rem));
	size_t n4 = 0, n2 = 0;

	assert_true(keys && text && rem);
	int_keys(keys, NINT);
	create_partitioned(c, "hc_int8", "int8");
	create_partitioned(c, "hc_int4", "int4");
	create_partitioned(c, "hc_int2", "int2");
	for (size_t i = 0; i < NINT; i++) {
		text[i] = malloc(24);
		assert_non_null(text[i]);
		snprintf(text[i], 24, "%" PRId64, keys[i]);
		rem[i] = (int)(pghash_row_int(keys[i]) % 1024);
	}
	text[NINT] = NULL; /* one NULL key */
	copy_rows(c, "hc_int8", text, rem, NINT + 1);
	check_partitions(c, "hc_int8", h_int, NINT);
	check_1024(c, "hc_int8");
	check_null(c, "hc_int8");

	/* The same keys that fit, in int4 and int2 columns. */
	for (size_t i = 0; i < NINT; i++) {
		if (keys[i] >= INT32_MIN && keys[i] <= INT32_MAX) {
			char *t = text[n4];

			text[n4] = text[i];
			text[i] = t;
			rem[n4++] = (int)(pghash_row_int(keys[i]) % 1024);
		}
	}
	assert_true(n4 > 1500);
	copy_rows(c, "hc_int4", text, rem, n4);
	check_partitions(c, "hc_int4", h_int, n4);
	check_1024(c, "hc_int4");
	for (size_t i = 0; i < n4; i++) {
		int64_t v = strtoll(text[i], NULL, 10);

		if (v >= INT16_MIN && v <= INT16_MAX) {
			char *t = text[n2];

			text[n2] = text[i];
			text[i] = t;
			rem[n2++] = (int)(pghash_row_int(v) % 1024);
		}
	}
	assert_true(n2 > 1000);
	copy_rows(c, "hc_int2", text, rem, n2);
	check_partitions(c, "hc_int2", h_int, n2);
	check_1024(c, "hc_int2");

	for (size_t i = 0; i < NINT; i++)
		free(text[i]);
	free(text);
	free(rem);
	free(keys);
	it_finish(c);
}

static void test_text_keys(void **state)
{
	PGconn *c = connect_pg1();
	char **keys = text_keys(NTEXT);
	int *rem = calloc(NTEXT, sizeof(*rem));

	assert_non_null(rem);
	for (size_t i = 0; i < NTEXT; i++)
		rem[i] = (int)(pghash_row_text(keys[i], strlen(keys[i])) % 1024);
	create_partitioned(c, "hc_text", "text");
	copy_rows(c, "hc_text", keys, rem, NTEXT);
	check_partitions(c, "hc_text", h_text, NTEXT);
	check_1024(c, "hc_text");
	/* varchar keys hash as text. */
	create_partitioned(c, "hc_varchar", "varchar");
	copy_rows(c, "hc_varchar", keys, rem, NTEXT);
	check_partitions(c, "hc_varchar", h_text, NTEXT);
	for (size_t i = 0; i < NTEXT; i++)
		free(keys[i]);
	free(keys);
	free(rem);
	it_finish(c);
}

static void test_uuid_keys(void **state)
{
	PGconn *c = connect_pg1();
	uint8_t(*u)[16] = calloc(NUUID, 16);
	char **text = calloc(NUUID, sizeof(*text));
	int *rem = calloc(NUUID, sizeof(*rem));

	assert_true(u && text && rem);
	uuid_keys(u, NUUID);
	for (size_t i = 0; i < NUUID; i++) {
		text[i] = malloc(37);
		assert_non_null(text[i]);
		uuid_text(u[i], text[i]);
		rem[i] = (int)(pghash_row_uuid(u[i]) % 1024);
	}
	create_partitioned(c, "hc_uuid", "uuid");
	copy_rows(c, "hc_uuid", text, rem, NUUID);
	check_partitions(c, "hc_uuid", h_uuid, NUUID);
	check_1024(c, "hc_uuid");
	for (size_t i = 0; i < NUUID; i++)
		free(text[i]);
	free(text);
	free(rem);
	free(u);
	it_finish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_int_keys, it_teardown),
	        cmocka_unit_test_teardown(test_text_keys, it_teardown),
	        cmocka_unit_test_teardown(test_uuid_keys, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
