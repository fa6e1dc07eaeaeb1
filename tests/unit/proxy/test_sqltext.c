/* test_sqltext.c — SQL literal quoting and the pin scan. Every input is
 * copied into an exact-size heap block first, so ASan reports any read
 * past the terminating NUL, and every output buffer is exactly `cap`
 * bytes, so ASan reports any write past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sqltext.h"

static char *dup_exact(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/* sql_pin_reason on a heap copy; the result is a static string. */
static const char *pin(const char *sql)
{
	char *copy = dup_exact(sql);
	const char *r = sql_pin_reason(copy);

	free(copy);
	return r;
}

/* An output buffer whose last byte is the last byte of its heap block;
 * for cap 0 it points just past a 1-byte block, so any write is caught
 * (ASan does not flag writes into malloc(0)). */
static char *out_alloc(size_t cap, char **block)
{
	*block = malloc(cap ? cap : 1);
	assert_non_null(*block);
	return cap ? *block : *block + 1;
}

static int literal_cap(const char *value, size_t cap, char *res, size_t rescap)
{
	char *v = dup_exact(value), *block;
	char *out = out_alloc(cap, &block);
	int rc;

	rc = sql_literal(v, out, cap);
	if (rc == 0) {
		assert_true(strlen(out) < rescap);
		strcpy(res, out);
	}
	free(block);
	free(v);
	return rc;
}

static int unliteral_cap(const char *lit, size_t cap, char *res, size_t rescap)
{
	char *l = dup_exact(lit), *block;
	char *out = out_alloc(cap, &block);
	int rc;

	rc = sql_unliteral(l, out, cap);
	if (rc == 0) {
		assert_true(strlen(out) < rescap);
		strcpy(res, out);
	}
	free(block);
	free(l);
	return rc;
}

/* ---- sql_literal ---- */

static void assert_literal(const char *value, const char *expected)
{
	char res[256];

	assert_int_equal(literal_cap(value, 256, res, sizeof(res)), 0);
	assert_string_equal(res, expected);
}

static void test_literal_forms(void **state)
{
	(void)state;
	assert_literal("abc", "'abc'");
	assert_literal("", "''");
	assert_literal("it's", "'it''s'");
	assert_literal("''", "''''''");
	assert_literal("Asia/Tokyo", "'Asia/Tokyo'");
	assert_literal("\"$user\", public", "'\"$user\", public'");
	/* Backslashes switch to E'' so they stay literal whatever
	 * standard_conforming_strings says; quotes are still doubled. */
	assert_literal("a\\b", "E'a\\\\b'");
	assert_literal("\\", "E'\\\\'");
	assert_literal("\\'", "E'\\\\'''");
	assert_literal("C:\\dir\\it's", "E'C:\\\\dir\\\\it''s'");
	assert_literal("caf\xc3\xa9", "'caf\xc3\xa9'");
}

/* For each capacity from 0 up: too small is SG_ERANGE, and a success
 * is the full literal. The exact-size buffer makes ASan catch writes
 * past `cap` on the failing path too. */
static void assert_literal_caps(const char *value, const char *expected)
{
	size_t need = strlen(expected) + 1, cap;
	char res[256];
	int rc;

	for (cap = 0; cap <= need + 3; cap++) {
		rc = literal_cap(value, cap, res, sizeof(res));
		if (cap < need) {
			assert_int_equal(rc, SG_ERANGE);
		} else if (cap > need) {
			assert_int_equal(rc, 0);
			assert_string_equal(res, expected);
		} else if (rc == 0) {
			/* Exact fit: currently refused when the last character
			 * is not doubled (see the report); either outcome must
			 * be clean. */
			assert_string_equal(res, expected);
		} else {
			assert_int_equal(rc, SG_ERANGE);
		}
	}
}

static void test_literal_buffer_too_small(void **state)
{
	(void)state;
	assert_literal_caps("abc", "'abc'");
	assert_literal_caps("", "''");
	assert_literal_caps("a'", "'a'''");
	assert_literal_caps("x\\y", "E'x\\\\y'");
	assert_literal_caps("\\", "E'\\\\'");
	assert_literal_caps("'\\'", "E'''\\\\'''");
}

static void test_literal_exact_fit_with_doubled_tail(void **state)
{
	char res[16];

	(void)state;
	/* 'a''' plus NUL is 6 bytes; ending in a doubled quote, it fits. */
	assert_int_equal(literal_cap("a'", 6, res, sizeof(res)), 0);
	assert_string_equal(res, "'a'''");
	assert_int_equal(literal_cap("a'", 5, res, sizeof(res)), SG_ERANGE);
}

/* ---- sql_unliteral ---- */

static void test_unliteral_forms(void **state)
{
	char res[64];

	(void)state;
	assert_int_equal(unliteral_cap("'abc'", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "abc");
	assert_int_equal(unliteral_cap("''", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "");
	assert_int_equal(unliteral_cap("'it''s'", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "it's");
	assert_int_equal(unliteral_cap("''''", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "'");
	assert_int_equal(unliteral_cap("E'a\\\\b'", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "a\\b");
	assert_int_equal(unliteral_cap("E'\\\\'''", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "\\'");
	/* Without E, a backslash is an ordinary character. */
	assert_int_equal(unliteral_cap("'a\\\\b'", 64, res, sizeof(res)), 0);
	assert_string_equal(res, "a\\\\b");
}

static void test_unliteral_malformed(void **state)
{
	static const char *const bad[] = {
	        "",       "abc",   "E",     "e'abc'", "'",       "E'",        "'abc",
	        "'abc''", "'a''b", "\"x\"", " 'x'",   "E'x\\\\", "''''''''x",
	};
	char res[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = unliteral_cap(bad[i], 64, res, sizeof(res));
		if (rc != SG_EPROTO)
			fail_msg("sql_unliteral(\"%s\") = %d, want SG_EPROTO", bad[i], rc);
	}
}

static void test_unliteral_buffer_too_small(void **state)
{
	char res[64];

	(void)state;
	/* "abc" needs 4 bytes. */
	assert_int_equal(unliteral_cap("'abc'", 4, res, sizeof(res)), 0);
	assert_string_equal(res, "abc");
	assert_int_equal(unliteral_cap("'abc'", 3, res, sizeof(res)), SG_ERANGE);
	assert_int_equal(unliteral_cap("'abc'", 1, res, sizeof(res)), SG_ERANGE);
	/* Doubled characters count once. */
	assert_int_equal(unliteral_cap("'it''s'", 5, res, sizeof(res)), 0);
	assert_string_equal(res, "it's");
	assert_int_equal(unliteral_cap("'it''s'", 4, res, sizeof(res)), SG_ERANGE);
	assert_int_equal(unliteral_cap("E'\\\\\\\\'", 3, res, sizeof(res)), 0);
	assert_string_equal(res, "\\\\");
	assert_int_equal(unliteral_cap("E'\\\\\\\\'", 2, res, sizeof(res)), SG_ERANGE);
	assert_int_equal(unliteral_cap("''", 1, res, sizeof(res)), 0);
	assert_string_equal(res, "");
}

static void test_literal_round_trip(void **state)
{
	static const char *const values[] = {
	        "",
	        "x",
	        "'",
	        "\\",
	        "''\\\\''",
	        "it's a \\test\\ of 'quotes'",
	        "E'not a prefix'",
	        "line\nbreak\ttab",
	        "\xe6\x9d\xb1\xe4\xba\xac",
	        "$$ dollar $$",
	        "trailing backslash\\",
	        "'leading quote",
	};
	char lit[256], back[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_int_equal(literal_cap(values[i], sizeof(lit), lit, sizeof(lit)), 0);
		assert_int_equal(unliteral_cap(lit, strlen(values[i]) + 1, back, sizeof(back)), 0);
		assert_string_equal(back, values[i]);
	}
}

static void test_literal_round_trip_long(void **state)
{
	char value[300], lit[700], back[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(value) - 1; i++)
		value[i] = "ab'\\"[i % 4];
	value[sizeof(value) - 1] = '\0';
	/* 299 characters, 75 quotes and 74 backslashes doubled, E, quotes. */
	assert_int_equal(literal_cap(value, sizeof(lit), lit, sizeof(lit)), 0);
	assert_int_equal(strlen(lit), 1 + 2 + 299 + 75 + 74);
	assert_int_equal(unliteral_cap(lit, sizeof(back), back, sizeof(back)), 0);
	assert_string_equal(back, value);
}

/* ---- sql_is_setting_name ---- */

static void test_setting_name(void **state)
{
	char name[80];

	(void)state;
	assert_int_equal(sql_is_setting_name("search_path"), 1);
	assert_int_equal(sql_is_setting_name("TimeZone"), 1);
	assert_int_equal(sql_is_setting_name("_x"), 1);
	assert_int_equal(sql_is_setting_name("a"), 1);
	assert_int_equal(sql_is_setting_name("app.user_id"), 1);
	assert_int_equal(sql_is_setting_name("a1.b2"), 1);
	assert_int_equal(sql_is_setting_name(""), 0);
	assert_int_equal(sql_is_setting_name("1abc"), 0);
	assert_int_equal(sql_is_setting_name(".x"), 0);
	assert_int_equal(sql_is_setting_name("a-b"), 0);
	assert_int_equal(sql_is_setting_name("a b"), 0);
	assert_int_equal(sql_is_setting_name("a;b"), 0);
	assert_int_equal(sql_is_setting_name("a'b"), 0);
	assert_int_equal(sql_is_setting_name("a=b"), 0);
	assert_int_equal(sql_is_setting_name("caf\xc3\xa9"), 0);
	assert_int_equal(sql_is_setting_name("\"quoted\""), 0);
	/* Under 64 characters: 63 is the longest accepted. */
	memset(name, 'n', 63);
	name[63] = '\0';
	assert_int_equal(sql_is_setting_name(name), 1);
	name[63] = 'n';
	name[64] = '\0';
	assert_int_equal(sql_is_setting_name(name), 0);
}

/* ---- sql_pin_reason ---- */

/* Inputs the first pin scanner got wrong (found by review). */
static void test_pin_regressions(void **state)
{
	(void)state;
	assert_string_equal(pin("SELECT E'\\'' AS q, pg_advisory_lock(1)"), "session advisory lock");
	assert_string_equal(pin("SELECT 1 INTO TEMP t"), "temporary table");
	assert_string_equal(pin("SELECT 1 INTO TEMPORARY TABLE t"), "temporary table");
	assert_string_equal(pin("CREATE TABLE pg_temp.t (x int)"), "temporary table");
	assert_string_equal(pin("select \"pg_advisory_lock\"(1)"), "session advisory lock");
	assert_null(pin("SELECT 'a;listen'"));
	assert_null(pin("SELECT 1 -- ; listen"));
	assert_null(pin("PREPARE TRANSACTION 'x'"));
	assert_null(pin("SELECT x.create, temp FROM x"));
	assert_null(pin("INSERT INTO temp VALUES (1)"));
	assert_null(pin("SELECT $1::int; SELECT $$;listen$$"));
}

/* One pass over the text: many statements must not make it quadratic
 * (100k separators took 17 s in the first version; this must be quick
 * under ASan, though no time is asserted). */
static void test_pin_many_statements(void **state)
{
	size_t n = 200000;
	char *sql = malloc(n + 16);

	(void)state;
	assert_non_null(sql);
	memcpy(sql, "SELECT ", 7);
	memset(sql + 7, ';', n);
	strcpy(sql + 7 + n, "LISTEN x");
	assert_string_equal(pin(sql), "LISTEN");
	free(sql);
}

static void test_pin_listen(void **state)
{
	(void)state;
	assert_string_equal(pin("LISTEN x"), "LISTEN");
	assert_string_equal(pin("LISTEN"), "LISTEN");
	assert_string_equal(pin("  listen x"), "LISTEN");
	assert_string_equal(pin("\n\tListen \"Chan\";"), "LISTEN");
	assert_string_equal(pin("-- note\nLISTEN x"), "LISTEN");
	assert_string_equal(pin("/* note */LISTEN x"), "LISTEN");
	assert_string_equal(pin("/**/LISTEN x"), "LISTEN");
	assert_string_equal(pin("SELECT 1; LISTEN x"), "LISTEN");
	assert_string_equal(pin("SELECT 1;LISTEN x"), "LISTEN");
	assert_string_equal(pin("SELECT 1; /* c */ listen x"), "LISTEN");
	assert_string_equal(pin("SELECT 'a''b'; LISTEN x"), "LISTEN");
}

static void test_pin_advisory_lock(void **state)
{
	(void)state;
	assert_string_equal(pin("SELECT pg_advisory_lock(1)"), "session advisory lock");
	assert_string_equal(pin("select PG_ADVISORY_LOCK(1, 2)"), "session advisory lock");
	assert_string_equal(pin("SELECT pg_advisory_lock_shared(1)"), "session advisory lock");
	assert_string_equal(pin("SELECT pg_try_advisory_lock(42)"), "session advisory lock");
	assert_string_equal(pin("SELECT pg_try_advisory_lock_shared(42)"), "session advisory lock");
	assert_string_equal(pin("SELECT pg_catalog.pg_advisory_lock(1)"), "session advisory lock");
	assert_string_equal(pin("SELECT 'x', pg_advisory_lock(1)"), "session advisory lock");
	assert_string_equal(pin("SELECT 'it''s', pg_advisory_lock(1)"), "session advisory lock");
	assert_string_equal(pin("SELECT \"a\"\"b\", pg_advisory_lock(1) FROM t"), "session advisory lock");
	assert_string_equal(pin("SELECT $1, pg_advisory_lock($2)"), "session advisory lock");
	assert_string_equal(pin("SELECT $a$ x $a$, pg_advisory_lock(1)"), "session advisory lock");
	assert_string_equal(pin("BEGIN; SELECT pg_advisory_lock(1); COMMIT"), "session advisory lock");
	/* Transaction-level locks end with the transaction: no pin. */
	assert_null(pin("SELECT pg_advisory_xact_lock(1)"));
	assert_null(pin("SELECT pg_advisory_xact_lock_shared(1)"));
	assert_null(pin("SELECT pg_try_advisory_xact_lock(1)"));
	assert_null(pin("SELECT pg_try_advisory_xact_lock_shared(1)"));
	assert_null(pin("SELECT pg_advisory_unlock(1)"));
	assert_null(pin("SELECT pg_advisory_unlock_all()"));
	assert_null(pin("SELECT my_pg_advisory_lock(1)"));
	assert_null(pin("SELECT pg_advisory_lock_x(1)"));
}

static void test_pin_temp_table(void **state)
{
	(void)state;
	assert_string_equal(pin("CREATE TEMP TABLE t (x int)"), "temporary table");
	assert_string_equal(pin("CREATE TEMPORARY TABLE t (x int)"), "temporary table");
	assert_string_equal(pin("CREATE GLOBAL TEMP TABLE t (x int)"), "temporary table");
	assert_string_equal(pin("CREATE LOCAL TEMPORARY TABLE t (x int)"), "temporary table");
	assert_string_equal(pin("create temp view v as select 1"), "temporary table");
	assert_string_equal(pin("CREATE OR REPLACE TEMP VIEW v AS SELECT 1"), "temporary table");
	assert_string_equal(pin("CREATE TEMP SEQUENCE s"), "temporary table");
	assert_string_equal(pin("create /* why */ temp table t (x int)"), "temporary table");
	assert_string_equal(pin("SELECT 1; CREATE TEMP TABLE t (x int)"), "temporary table");
	/* "temp" used as a name, not as the TEMP option. */
	assert_null(pin("CREATE TABLE temp (x int)"));
	assert_null(pin("CREATE TABLE temporary (x int)"));
	assert_null(pin("CREATE TABLE t (temp int)"));
	assert_null(pin("CREATE INDEX temp ON t (x)"));
	assert_null(pin("CREATE VIEW temp AS SELECT 1"));
	assert_null(pin("SELECT temp FROM t"));
	assert_null(pin("INSERT INTO temp VALUES (1)"));
	assert_null(pin("CREATE TABLE t (x int)"));
	assert_null(pin("CREATE 'temp'"));
}

static void test_pin_cursor_and_prepare(void **state)
{
	(void)state;
	assert_string_equal(pin("DECLARE c CURSOR WITH HOLD FOR SELECT 1"), "WITH HOLD cursor");
	assert_string_equal(pin("declare c no scroll cursor with hold for select 1"), "WITH HOLD cursor");
	assert_string_equal(pin("DECLARE c CURSOR WITH /* x */ HOLD FOR SELECT 1"), "WITH HOLD cursor");
	assert_null(pin("DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1"));
	assert_null(pin("DECLARE c CURSOR FOR SELECT 1"));
	assert_null(pin("WITH h AS (SELECT 1) SELECT * FROM h"));

	assert_string_equal(pin("PREPARE p AS SELECT 1"), "SQL PREPARE");
	assert_string_equal(pin("prepare p (int) as select $1"), "SQL PREPARE");
	assert_string_equal(pin("SELECT 1; PREPARE p AS SELECT 1"), "SQL PREPARE");
	assert_null(pin("EXECUTE p"));
	assert_null(pin("DEALLOCATE p"));
	assert_null(pin("DEALLOCATE PREPARE p"));
	assert_null(pin("SELECT prepare FROM t"));
}

static void test_pin_not_in_quotes_or_comments(void **state)
{
	(void)state;
	assert_null(pin("SELECT 'listen'"));
	assert_null(pin("SELECT 'LISTEN x'"));
	assert_null(pin("'listen'"));
	assert_null(pin("SELECT 'pg_advisory_lock(1)'"));
	assert_null(pin("SELECT 'create temp table t'"));
	assert_null(pin("SELECT 'it''s pg_advisory_lock(1)'"));
	assert_null(pin("SELECT \"listen\" FROM t"));
	assert_null(pin("\"listen\""));
	assert_null(pin("SELECT \"pg_advisory_lock\" FROM t"));
	assert_null(pin("SELECT \"a\"\"pg_advisory_lock\" FROM t"));
	assert_null(pin("-- LISTEN\nSELECT 1"));
	assert_null(pin("SELECT 1 -- pg_advisory_lock(1)"));
	assert_null(pin("/* LISTEN */ SELECT 1"));
	assert_null(pin("SELECT /* pg_advisory_lock(1) */ 1"));
	assert_null(pin("/* /* nested */ LISTEN */ SELECT 1"));
	assert_null(pin("SELECT /* a /* b */ pg_advisory_lock(1) */ 1"));
	assert_null(pin("SELECT $$ LISTEN $$"));
	assert_null(pin("$$ LISTEN $$"));
	assert_null(pin("SELECT $$ pg_advisory_lock(1) $$"));
	assert_null(pin("SELECT $tag$ LISTEN $tag$"));
	assert_null(pin("SELECT $tag$ x $$ pg_advisory_lock(1) $$ $tag$"));
	assert_null(pin("SELECT $a$ x $b$ pg_advisory_lock(1) $a$"));
	assert_null(pin("SELECT $_t1$ create temp table t $_t1$"));
	assert_null(pin("SELECT listen_addr FROM t"));
	assert_null(pin("SELECT x AS listen FROM t"));
	assert_null(pin("UNLISTEN x"));
	assert_null(pin("NOTIFY x"));
	assert_null(pin("SELECT 1"));
	assert_null(pin(""));
	assert_null(pin("   "));
	assert_null(pin(";;;"));
}

static void test_pin_long_identifier(void **state)
{
	char sql[400];

	(void)state;
	/* Identifiers longer than the token buffer are truncated, never
	 * overflowed, and never match a keyword. */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock%0200d(1)", 0);
	assert_null(pin(sql));
	memset(sql, 'l', 300);
	sql[300] = '\0';
	assert_null(pin(sql));
	snprintf(sql, sizeof(sql), "SELECT %0250d; LISTEN x", 7);
	assert_string_equal(pin(sql), "LISTEN");
	memset(sql, 'x', 200);
	snprintf(sql + 200, sizeof(sql) - 200, "; PREPARE p AS SELECT 1");
	assert_string_equal(pin(sql), "SQL PREPARE");
}

/* Unterminated quotes, comments and dollar quotes end the scan cleanly
 * (the heap copy makes ASan catch a read past the NUL). */
static void test_pin_unterminated(void **state)
{
	static const char *const inputs[] = {
	        "'",
	        "\"",
	        "$",
	        "$$",
	        "$a",
	        "$a$",
	        "-",
	        "--",
	        "/",
	        "/*",
	        "/*/",
	        "/* /*",
	        "/* */ */",
	        "*/",
	        "''''",
	        "SELECT 'abc",
	        "SELECT 'abc''",
	        "SELECT \"abc",
	        "SELECT \"abc\"\"",
	        "SELECT 1 /* LISTEN",
	        "SELECT 1 /* /* */ LISTEN",
	        "SELECT $$ LISTEN",
	        "SELECT $tag$ pg_advisory_lock(1) $ta",
	        "SELECT $tag",
	        "SELECT E'",
	        "SELECT 1 --",
	        "SELECT 1;",
	        "SELECT 1; '",
	        "SELECT 1; /*",
	        "SELECT 1; $x",
	        "SELECT 1; \"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		const char *r = pin(inputs[i]);
		if (r != NULL)
			fail_msg("sql_pin_reason(\"%s\") = \"%s\", want NULL", inputs[i], r);
	}
	/* A keyword before the unterminated part still counts. */
	assert_string_equal(pin("LISTEN 'x"), "LISTEN");
	assert_string_equal(pin("SELECT pg_advisory_lock(1) /*"), "session advisory lock");
	assert_string_equal(pin("SELECT 1; LISTEN $x"), "LISTEN");
}

static bool keep(const char *sql)
{
	char *copy = dup_exact(sql);
	bool r = sql_can_keep_prepared(copy);

	free(copy);
	return r;
}

/* Statements whose result columns cannot grow with their tables may be
 * kept prepared; '*' expansions and TABLE t may not. */
static void test_keep_prepared(void **state)
{
	static const char *const yes[] = {
	        "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
	        "  select count(*) from t",
	        "SELECT a * b FROM t",
	        "SELECT x FROM t WHERE y = 2 * $1",
	        "SELECT '*', \"*\" FROM t -- SELECT *",
	        "SELECT /* * */ a FROM t",
	        "SELECT $$ SELECT * $$",
	        "INSERT INTO t (a) VALUES ($1) RETURNING id",
	        "UPDATE t SET a = a * 2 WHERE id = $1",
	        "DELETE FROM t WHERE id = $1",
	        "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
	        "(SELECT 1)",
	        "VALUES (1, 2)",
	        "SELECT count(*) FILTER (WHERE a > 0) FROM t",
	};
	static const char *const no[] = {
	        "SELECT * FROM t",
	        "select t.* from t",
	        "SELECT a, * FROM t",
	        "SELECT DISTINCT * FROM t",
	        "SELECT DISTINCT ON (a) * FROM t",
	        "SELECT ALL * FROM t",
	        "SELECT/**/* FROM t",
	        "INSERT INTO t VALUES (1) RETURNING *",
	        "UPDATE t SET a = 1 RETURNING t.*",
	        "WITH x AS (SELECT 1) SELECT * FROM x",
	        "TABLE t",
	        "SELECT 2 * 3",           /* numbers are not tokens: errs on "expansion" */
	        "SELECT f(a) * 2 FROM t", /* ")" may close DISTINCT ON (...) */
	        "SET search_path = x",
	        "BEGIN",
	        "CREATE TABLE t (a int)",
	        "EXPLAIN SELECT 1",
	        "",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!keep(yes[i]))
			fail_msg("should be kept: %s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (keep(no[i]))
			fail_msg("must not be kept: %s", no[i]);
	assert_false(sql_may_expand_star("SELECT a FROM t"));
	assert_true(sql_may_expand_star("*"));
	assert_true(sql_may_expand_star("SELECT 1; SELECT * FROM t"));
	assert_true(sql_may_expand_star("SELECT 1;* FROM t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_literal_forms),
	        cmocka_unit_test(test_literal_buffer_too_small),
	        cmocka_unit_test(test_literal_exact_fit_with_doubled_tail),
	        cmocka_unit_test(test_unliteral_forms),
	        cmocka_unit_test(test_unliteral_malformed),
	        cmocka_unit_test(test_unliteral_buffer_too_small),
	        cmocka_unit_test(test_literal_round_trip),
	        cmocka_unit_test(test_literal_round_trip_long),
	        cmocka_unit_test(test_setting_name),
	        cmocka_unit_test(test_pin_listen),
	        cmocka_unit_test(test_pin_regressions),
	        cmocka_unit_test(test_pin_many_statements),
	        cmocka_unit_test(test_pin_advisory_lock),
	        cmocka_unit_test(test_pin_temp_table),
	        cmocka_unit_test(test_pin_cursor_and_prepare),
	        cmocka_unit_test(test_pin_not_in_quotes_or_comments),
	        cmocka_unit_test(test_pin_long_identifier),
	        cmocka_unit_test(test_pin_unterminated),
	        cmocka_unit_test(test_keep_prepared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
