/* test_shape.c — the shape pass (exact norm text and literal lists for
 * each lexical rule, the corpus in shape_corpus.h parsed back with
 * libpg_query) and the plan cache (LRU order, stats, ownership of plans).
 * Inputs are heap copies of exact size, so ASan reports any read past
 * the terminating NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <pg_query.h>

#include "errors.h"
#include "shape.h"
#include "shape_corpus.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What one replaced literal must look like: its bytes in the original,
 * found after the previous literal (or after the first occurrence of
 * `after` when set, to step over equal text that stays), its value,
 * parameter and kind. */
typedef struct want_lit {
	const char *raw;
	const char *value;
	int param;
	bool is_string;
	const char *after;
} want_lit_t;

/* FNV-1a, written out here so the test does not trust the code under test. */
static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static void shape(const char *sql, sql_shape_t *s)
{
	char *copy = strdup(sql);

	assert_non_null(copy);
	assert_int_equal(sql_shape_of(copy, s), 0);
	free(copy);
	assert_non_null(s->norm);
	assert_int_equal(s->norm_len, strlen(s->norm));
	assert_true(s->hash == fnv1a(s->norm, s->norm_len));
}

static void check(const char *sql, const char *norm, int base, const want_lit_t *want, size_t n)
{
	sql_shape_t s;
	const char *at;
	size_t i, from = 0;

	shape(sql, &s);
	assert_string_equal(s.norm, norm);
	assert_int_equal(s.base, base);
	assert_int_equal(s.nlits, n);
	for (i = 0; i < n; i++) {
		if (want[i].after != NULL) {
			at = strstr(sql + from, want[i].after);
			assert_non_null(at);
			from = (size_t)(at - sql) + strlen(want[i].after);
		}
		at = strstr(sql + from, want[i].raw);
		assert_non_null(at);
		assert_int_equal(s.lits[i].start, at - sql);
		assert_int_equal(s.lits[i].len, strlen(want[i].raw));
		assert_string_equal(s.lits[i].value, want[i].value);
		assert_int_equal(s.lits[i].param, want[i].param);
		assert_int_equal(s.lits[i].is_string, want[i].is_string);
		from = (size_t)(at - sql) + strlen(want[i].raw);
	}
	sql_shape_free(&s);
}

/* The text comes back as it was, nothing replaced. */
static void check_as_is(const char *sql, int base)
{
	check(sql, sql, base, NULL, 0);
}

static void test_whitespace_and_comments(void **state)
{
	static const want_lit_t one[] = {{"1", "1", 1, false, NULL}};
	static const want_lit_t two[] = {{"1", "1", 1, false, NULL}, {"2", "2", 2, false, NULL}};

	check("  SELECT\t a ,b\r\n\n FROM   t  -- trailing\n", "SELECT a ,b FROM t", 0, NULL, 0);
	check("SELECT a/**/b FROM t", "SELECT a b FROM t", 0, NULL, 0);
	check("SELECT/* x */1", "SELECT $1", 0, one, 1);
	check("SELECT 1 /* a /* nested */ still comment */ + 2", "SELECT $1 + $2", 0, two, 2);
	check("SELECT 1*-- to the end\n2", "SELECT $1* $2", 0, two, 2);
	check("-- nothing but a comment", "", 0, NULL, 0);
	check("", "", 0, NULL, 0);
}

static void test_strings(void **state)
{
	static const want_lit_t w[] = {{"'it''s'", "it's", 1, true, NULL}, {"''", "", 2, true, NULL}};
	static const want_lit_t q[] = {{"'a\\b'", "a\\b", 1, true, NULL}};

	check("SELECT * FROM t WHERE a = 'it''s' AND b = ''", "SELECT * FROM t WHERE a = $1 AND b = $2", 0, w,
	      2);
	/* standard_conforming_strings: a backslash is an ordinary character */
	check("SELECT * FROM t WHERE a = 'a\\b'", "SELECT * FROM t WHERE a = $1", 0, q, 1);
}

static void test_escape_strings(void **state)
{
	static const want_lit_t w[] = {
	        {"E'a\\nb\\t\\'c'''", "a\nb\t'c'", 1, true, NULL},
	        {"e'\\x41\\101\\u00e9\\U0001F600\\\\\\q'", "AA\xc3\xa9\xf0\x9f\x98\x80\\q", 2, true, NULL},
	        {"E'\\b\\f\\r'", "\b\f\r", 3, true, NULL},
	};

	check("SELECT E'a\\nb\\t\\'c''', e'\\x41\\101\\u00e9\\U0001F600\\\\\\q', E'\\b\\f\\r'",
	      "SELECT $1, $2, $3", 0, w, 3);
	/* A NUL, a lone high byte or a bad \u escape cannot be a text value:
	 * such literals stay as written. */
	check("SELECT E'\\0', E'\\x00', E'\\xff', E'\\377', E'\\ud800', E'\\u12'",
	      "SELECT E'\\0', E'\\x00', E'\\xff', E'\\377', E'\\ud800', E'\\u12'", 0, NULL, 0);
}

static void test_verbatim_tokens(void **state)
{
	static const want_lit_t w[] = {{"7", "7", 1, false, NULL}};

	/* Dollar quotes, U&'', B'', X'' and quoted identifiers never become
	 * parameters; N'' is the type name nchar before a string. */
	check("SELECT $$it's 'x'$$, $fn$ a $$ b $fn$, U&'\\0041', B'101', x'1F', \"We\"\"ird\", N'abc' "
	      "FROM t WHERE id = 7",
	      "SELECT $$it's 'x'$$, $fn$ a $$ b $fn$, U&'\\0041', B'101', x'1F', \"We\"\"ird\", N'abc' "
	      "FROM t WHERE id = $1",
	      0, w, 1);
}

static void test_numbers(void **state)
{
	static const want_lit_t w[] = {
	        {"42", "42", 1, false, NULL},         {"3.14", "3.14", 2, false, NULL},
	        {".5", ".5", 3, false, NULL},         {"1e10", "1e10", 4, false, NULL},
	        {"2.5E-3", "2.5E-3", 5, false, NULL}, {"7.", "7.", 6, false, NULL},
	};

	check("SELECT 42, 3.14, .5, 1e10, 2.5E-3, 7.", "SELECT $1, $2, $3, $4, $5, $6", 0, w, 6);
	/* Trailing junk is an error in PostgreSQL 15 (no 0x literals yet):
	 * such a token stays as written. */
	check("SELECT 0x1F, 123abc, $1abc", "SELECT 0x1F, 123abc, $1abc", 1, NULL, 0);
}

static void test_signs_folded(void **state)
{
	static const want_lit_t key[] = {{"-5000000", "-5000000", 1, false, NULL}};
	static const want_lit_t min[] = {{"-9223372036854775808", "-9223372036854775808", 1, false, NULL},
	                                 {"'x'", "x", 2, true, NULL}};
	static const want_lit_t pgb[] = {{"-4711", "-4711", 1, false, NULL},
	                                 {"48213", "48213", 2, false, NULL}};
	static const want_lit_t ops[] = {
	        {"-5", "-5", 1, false, NULL},   {"-2.5", "-2.5", 2, false, NULL}, {"+7", "7", 3, false, NULL},
	        {"-1", "-1", 4, false, "IN ("}, {"-.5", "-.5", 5, false, NULL},
	};
	static const want_lit_t gap[] = {
	        {"- /* c */ 5", "-5", 1, false, NULL},
	        {"-\n 6.5e-3", "-6.5e-3", 2, false, NULL},
	        {"-5", "-5", 3, false, "x - "},
	        {"-5", "-5", 4, false, "x+"},
	        {"2", "2", 5, false, NULL},
	        {"-3", "-3", 6, false, NULL},
	};
	static const want_lit_t words[] = {
	        {"-5", "-5", 1, false, NULL}, {"-1", "-1", 2, false, NULL},
	        {"-2", "-2", 3, false, NULL}, {"-1", "-1", 4, false, "THEN"},
	        {"+2", "2", 5, false, NULL},  {"-5", "-5", 6, false, "BETWEEN"},
	        {"-1", "-1", 7, false, NULL}, {"-2", "-2", 8, false, NULL},
	        {"2", "2", 9, false, "AND"},  {"-1", "-1", 10, false, "LIMIT"},
	};

	/* A unary minus before a number is part of PostgreSQL's constant: the
	 * parameter takes the sign, so routing sees the negative key. */
	check("SELECT amount FROM orders WHERE user_id = -5000000",
	      "SELECT amount FROM orders WHERE user_id = $1", 0, key, 1);
	/* int8's minimum only exists with its sign */
	check("INSERT INTO orders VALUES (-9223372036854775808, 'x')", "INSERT INTO orders VALUES ($1, $2)",
	      0, min, 2);
	/* pgbench: '+' is binary, the '-' after it a sign */
	check("UPDATE pgbench_accounts SET abalance = abalance + -4711 WHERE aid = 48213",
	      "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", 0, pgb, 2);
	/* "=-" is '=' then a sign, as in PostgreSQL's lexer; a unary plus is
	 * dropped (the value has no sign) */
	check("SELECT * FROM t WHERE a = -5 AND b=-2.5 AND c = +7 AND d IN (-1, -.5)",
	      "SELECT * FROM t WHERE a = $1 AND b=$2 AND c = $3 AND d IN ($4, $5)", 0, ops, 5);
	/* whitespace and comments may follow the sign; the span covers them */
	check("SELECT - /* c */ 5, -\n 6.5e-3, x - -5, x+-5, 2*-3", "SELECT $1, $2, x - $3, x+$4, $5*$6", 0,
	      gap, 6);
	/* after a value key word, '[' and ':' */
	check("SELECT-5, arr[-1:-2], CASE WHEN x THEN -1 ELSE +2 END FROM t "
	      "WHERE x BETWEEN -5 AND -1 AND y NOT BETWEEN SYMMETRIC -2 AND 2 LIMIT -1",
	      "SELECT $1, arr[$2:$3], CASE WHEN x THEN $4 ELSE $5 END FROM t "
	      "WHERE x BETWEEN $6 AND $7 AND y NOT BETWEEN SYMMETRIC $8 AND $9 LIMIT $10",
	      0, words, 10);
}

static void test_signs_kept(void **state)
{
	static const want_lit_t bin[] = {
	        {"5", "5", 2, false, NULL}, {"5", "5", 3, false, NULL}, {"1", "1", 4, false, NULL},
	        {"2", "2", 5, false, NULL}, {"3", "3", 6, false, NULL}, {"4", "4", 7, false, NULL},
	        {"1", "1", 8, false, NULL}, {"6", "6", 9, false, NULL},
	};
	static const want_lit_t lex[] = {
	        {"5", "5", 1, false, NULL}, {"5", "5", 2, false, NULL}, {"-5", "-5", 3, false, NULL},
	        {"2", "2", 4, false, NULL}, {"3", "3", 5, false, NULL},
	};
	static const want_lit_t unary[] = {
	        {"5", "5", 1, false, NULL},  {"'5'", "5", 2, true, NULL}, {"-5", "-5", 3, false, "- "},
	        {"-5", "-5", 4, false, "+"}, {"+5", "5", 5, false, "- "}, {"1", "1", 6, false, "+"},
	};
	static const want_lit_t zero[] = {{"0", "0", 1, false, NULL}};
	static const want_lit_t col[] = {
	        {"5", "5", 1, false, NULL}, {"5", "5", 2, false, NULL}, {"0", "0", 3, false, NULL}};

	/* Binary minus: after a name, a constant, ')', ']' or $n; "--" is a
	 * comment, not two signs */
	check("SELECT a - 5, a-5, 1 - 2, (a) -3, $1 - 4, a[1]-6, a -- 7\n FROM t",
	      "SELECT a - $2, a-$3, $4 - $5, (a) -$6, $1 - $7, a[$8]-$9, a FROM t", 1, bin, 8);
	/* PostgreSQL keeps a trailing '-' in an operator that has one of
	 * ~!@#^&|`?% ("!=-", "@-", "^-" are one operator each), while "<-" is
	 * '<' then a sign */
	check("SELECT a !=-5, a @-5, a <-5, 2^-3", "SELECT a !=-$1, a @-$2, a <$3, $4^-$5", 0, lex, 5);
	/* A sign before a cast negates the cast (-(5::int)), one before a
	 * non-number or before another sign is an operator; ORDER BY -1 is a
	 * column position (an error), ORDER BY +1 an expression. */
	check("SELECT -5::int, -x, -'5', - -5, +-5, a = - +5 FROM t ORDER BY -1, +1",
	      "SELECT -$1::int, -x, -$2, - $3, +$4, a = - $5 FROM t ORDER BY -1, +$6", 0, unary, 6);
	/* BETWEEN may be a column name: then its '-' is binary */
	check("SELECT between - 5 FROM t WHERE NOT between -5 > 0",
	      "SELECT between - $1 FROM t WHERE NOT between -$2 > $3", 0, col, 3);
	/* after WHERE a literal stays, and a signed one too: -5 is one
	 * constant to PostgreSQL */
	check("SELECT a FROM t WHERE -5 = a HAVING +2.5 > 0", "SELECT a FROM t WHERE -5 = a HAVING +2.5 > $1",
	      0, zero, 1);
	/* type modifiers keep their constants, signs included */
	check_as_is("SELECT CAST(a AS numeric(10, -2)) FROM t", 0);
}

static void test_params_base(void **state)
{
	static const want_lit_t w[] = {{"5", "5", 4, false, NULL}};
	static const want_lit_t before[] = {{"'x'", "x", 3, true, NULL}};

	check("SELECT * FROM t WHERE a = $1 AND b = 5 AND c = $3",
	      "SELECT * FROM t WHERE a = $1 AND b = $4 AND c = $3", 3, w, 1);
	/* The base is the highest $n anywhere, even after the literal. */
	check("SELECT 'x', $2", "SELECT $3, $2", 2, before, 1);
}

static void test_kept_after_words(void **state)
{
	static const want_lit_t w[] = {{"1", "1", 1, false, "1 ="}};

	/* Typed literals, patterns, time zones: the literal is grammar. */
	check("SELECT interval '3 days', date '2026-01-01', timestamptz '2026-01-01 00:00+00'",
	      "SELECT interval '3 days', date '2026-01-01', timestamptz '2026-01-01 00:00+00'", 0, NULL, 0);
	check("SELECT * FROM t WHERE a LIKE 'x%' OR a ILIKE 'y%' ESCAPE '!' OR a SIMILAR TO 'z'",
	      "SELECT * FROM t WHERE a LIKE 'x%' OR a ILIKE 'y%' ESCAPE '!' OR a SIMILAR TO 'z'", 0, NULL, 0);
	check("SELECT ts AT TIME ZONE 'UTC' FROM t", "SELECT ts AT TIME ZONE 'UTC' FROM t", 0, NULL, 0);
	/* after ')' (a typed literal with a type modifier) and WHERE */
	check("SELECT varchar(5) 'x', timestamp(3) '2026-01-01' FROM t WHERE 1 = 1",
	      "SELECT varchar(5) 'x', timestamp(3) '2026-01-01' FROM t WHERE 1 = $1", 0, w, 1);
}

static void test_value_words(void **state)
{
	static const want_lit_t w[] = {
	        {"'a'", "a", 1, true, NULL}, {"1", "1", 2, false, NULL},   {"2", "2", 3, false, NULL},
	        {"'b'", "b", 4, true, NULL}, {"'c'", "c", 5, true, NULL},  {"3", "3", 6, false, NULL},
	        {"4", "4", 7, false, NULL},  {"10", "10", 8, false, NULL}, {"20", "20", 9, false, NULL},
	};

	check("SELECT 'a', CASE WHEN x THEN 1 ELSE 2 END FROM t WHERE NOT 'b' OR 'c' AND y BETWEEN SYMMETRIC "
	      "3 AND 4 "
	      "LIMIT 10 OFFSET 20",
	      "SELECT $1, CASE WHEN x THEN $2 ELSE $3 END FROM t WHERE NOT $4 OR $5 AND y BETWEEN SYMMETRIC "
	      "$6 AND $7 "
	      "LIMIT $8 OFFSET $9",
	      0, w, 9);
}

static void test_positional_lists(void **state)
{
	static const want_lit_t w[] = {{"1", "1", 1, false, "a + "}, {"5", "5", 2, false, NULL}};
	static const want_lit_t sub[] = {{"1", "1", 1, false, "LIMIT"}, {"2", "2", 2, false, NULL}};
	static const want_lit_t on[] = {{"0", "0", 1, false, NULL}};

	/* Bare numbers in ORDER BY / GROUP BY are column positions. */
	check("SELECT a, b FROM t GROUP BY 1, 2 ORDER BY 2 DESC, a + 1 LIMIT 5",
	      "SELECT a, b FROM t GROUP BY 1, 2 ORDER BY 2 DESC, a + $1 LIMIT $2", 0, w, 2);
	/* the list ends with its parenthesis */
	check("SELECT (SELECT a FROM t ORDER BY 1 LIMIT 1), 2 FROM u",
	      "SELECT (SELECT a FROM t ORDER BY 1 LIMIT $1), $2 FROM u", 0, sub, 2);
	check("SELECT DISTINCT ON (1) a FROM t WHERE b > 0 ORDER BY 1",
	      "SELECT DISTINCT ON (1) a FROM t WHERE b > $1 ORDER BY 1", 0, on, 1);
}

static void test_type_modifiers(void **state)
{
	static const want_lit_t w[] = {{"'x'", "x", 1, true, NULL}};

	check("SELECT 'x'::varchar(20), CAST(a AS numeric(10, 2)), b::vector(3), c::character varying(8), "
	      "extract('epoch' FROM ts), current_timestamp(3) FROM t",
	      "SELECT $1::varchar(20), CAST(a AS numeric(10, 2)), b::vector(3), c::character varying(8), "
	      "extract('epoch' FROM ts), current_timestamp(3) FROM t",
	      0, w, 1);
}

static void test_spacing_around_params(void **state)
{
	static const want_lit_t w[] = {{"'a'", "a", 1, true, NULL}};
	static const want_lit_t b[] = {{"'a'", "a", 1, true, NULL}, {"2", "2", 2, false, NULL}};

	/* $1 must not run into a word before or after it */
	check("SELECT'a'", "SELECT $1", 0, w, 1);
	check("SELECT 'a'b, (2)::int", "SELECT $1 b, ($2)::int", 0, b, 2);
}

static void test_continuation(void **state)
{
	static const want_lit_t ab[] = {{"'a'\n  'b'", "ab", 1, true, NULL}};
	static const want_lit_t cm[] = {{"'a' -- c\n'b'", "ab", 1, true, NULL}};
	static const want_lit_t es[] = {{"E'a\\n'\n'\\t'", "a\n\t", 1, true, NULL}};
	static const want_lit_t two[] = {{"'a'", "a", 1, true, NULL}};

	/* 'a'<newline>'b' is one constant; a -- comment may sit between. */
	check("SELECT 'a'\n  'b'", "SELECT $1", 0, ab, 1);
	check("SELECT 'a' -- c\n'b'", "SELECT $1", 0, cm, 1);
	check("SELECT E'a\\n'\n'\\t'", "SELECT $1", 0, es, 1);
	/* a block comment ends it (and two constants in a row are an error) */
	check("SELECT 'a' /* c */\n'b'", "SELECT $1 'b'", 0, two, 1);
	/* without a newline there is no continuation */
	check("SELECT 'a' 'b'", "SELECT $1 'b'", 0, two, 1);
	/* verbatim constants keep their newline, which is what joins them */
	check("SELECT B'01'\n  '10'", "SELECT B'01'\n  '10'", 0, NULL, 0);
}

static void test_as_is_statements(void **state)
{
	static const want_lit_t w[] = {{"1", "1", 1, false, NULL}};

	check_as_is("SET search_path = app, 'x'", 0);
	check_as_is("  set  statement_timeout=5000 -- ms", 0);
	check_as_is("RESET ALL", 0);
	check_as_is("SHOW work_mem", 0);
	check_as_is("DISCARD ALL", 0);
	check_as_is("LISTEN ch; NOTIFY ch, 'hi'", 0);
	check_as_is("PREPARE p (int) AS SELECT * FROM t WHERE a = $2 AND b = 1", 2);
	check_as_is("EXECUTE p(1)", 0);
	check_as_is("DEALLOCATE p", 0);
	check_as_is("COPY t FROM STDIN WITH (FORMAT csv, DELIMITER ';')", 0);
	check_as_is("ALTER TABLE t SET (fillfactor = 70)", 0);
	/* one such statement anywhere in the text keeps all of it */
	check_as_is("SELECT 1; SET x = 2", 0);
	/* SET inside an UPDATE is not a SET statement */
	check("UPDATE t SET a = 1", "UPDATE t SET a = $1", 0, w, 1);
}

static void test_unterminated(void **state)
{
	check_as_is("SELECT 5, 'abc", 0);
	check_as_is("SELECT 5, E'abc\\'", 0);
	check_as_is("SELECT \"abc", 0);
	check_as_is("SELECT $$abc", 0);
	check_as_is("SELECT $a$ x $b$", 0);
	check_as_is("SELECT 1 /* x", 0);
	check_as_is("SELECT 1 /* /* */", 0);
	check_as_is("SELECT $1, 'x", 1);
	check_as_is("SELECT $99999", 0);
}

static void test_same_shape(void **state)
{
	static const char *const pairs[][2] = {
	        {"SELECT * FROM orders WHERE user_id = 42 AND status = 'paid'",
	         "select * from orders where user_id = 7 and status = 'it''s'"},
	        {"SELECT abalance FROM pgbench_accounts WHERE aid = 1",
	         "SELECT  abalance\nFROM pgbench_accounts -- x\n"
	         "WHERE aid = 99999"},
	        {"INSERT INTO t VALUES (1, 'a'), (2, E'b\\n')", "INSERT INTO t VALUES (3.5, 'c'), (1, 'd')"},
	};
	sql_shape_t a, b;
	size_t i;

	for (i = 0; i < NELEM(pairs); i++) {
		shape(pairs[i][0], &a);
		shape(pairs[i][1], &b);
		/* the case of key words is kept, so compare case-folded pairs */
		assert_int_equal(a.norm_len, b.norm_len);
		assert_int_equal(strncasecmp(a.norm, b.norm, a.norm_len), 0);
		assert_int_equal(a.nlits, b.nlits);
		sql_shape_free(&a);
		sql_shape_free(&b);
	}
	shape("SELECT * FROM orders WHERE user_id = 42", &a);
	shape("SELECT * FROM orders WHERE user_id = 43", &b);
	assert_string_equal(a.norm, "SELECT * FROM orders WHERE user_id = $1");
	assert_string_equal(b.norm, a.norm);
	assert_true(a.hash == b.hash);
	assert_string_equal(a.lits[0].value, "42");
	assert_string_equal(b.lits[0].value, "43");
	sql_shape_free(&b);
	shape("SELECT * FROM orders WHERE id = 42", &b);
	assert_true(a.hash != b.hash);
	sql_shape_free(&a);
	sql_shape_free(&b);
	/* FNV-1a 64 of the empty string is its offset basis */
	shape("", &a);
	assert_true(a.hash == UINT64_C(0xcbf29ce484222325));
	sql_shape_free(&a);
}

static void parse_ok(const char *sql)
{
	PgQueryParseResult r = pg_query_parse(sql);

	if (r.error != NULL)
		fail_msg("pg_query_parse(\"%s\"): %s", sql, r.error->message);
	pg_query_free_parse_result(r);
}

static void fingerprint(const char *sql, char *out, size_t cap)
{
	PgQueryFingerprintResult f = pg_query_fingerprint(sql);

	assert_null(f.error);
	snprintf(out, cap, "%s", f.fingerprint_str);
	pg_query_free_fingerprint_result(f);
}

/* Literal spans are in order, inside the text, numbered base+1... */
static void check_lits_sane(const char *sql, const sql_shape_t *s)
{
	int end = 0, n = (int)strlen(sql);
	size_t i;

	for (i = 0; i < s->nlits; i++) {
		assert_true(s->lits[i].start >= end);
		assert_true(s->lits[i].len > 0);
		assert_true(s->lits[i].start + s->lits[i].len <= n);
		assert_int_equal(s->lits[i].param, s->base + (int)i + 1);
		assert_non_null(s->lits[i].value);
		end = s->lits[i].start + s->lits[i].len;
	}
}

/* Normalising is idempotent: $n are not literals, kept ones stay kept. */
static void check_idempotent(const sql_shape_t *s)
{
	sql_shape_t again;

	shape(s->norm, &again);
	assert_string_equal(again.norm, s->norm);
	assert_int_equal(again.nlits, 0);
	sql_shape_free(&again);
}

static void test_corpus(void **state)
{
	char fa[64], fb[64];
	sql_shape_t s;
	size_t i;

	assert_true(NELEM(shape_corpus) >= 60);
	for (i = 0; i < NELEM(shape_corpus); i++) {
		const shape_case_t *c = &shape_corpus[i];

		parse_ok(c->sql);
		shape(c->sql, &s);
		if (s.nlits != c->nlits)
			fail_msg("\"%s\" -> \"%s\": %zu literals, want %zu", c->sql, s.norm, s.nlits,
			         c->nlits);
		parse_ok(s.norm);
		fingerprint(c->sql, fa, sizeof(fa));
		fingerprint(s.norm, fb, sizeof(fb));
		if (c->same_fingerprint && strcmp(fa, fb) != 0)
			fail_msg("\"%s\" -> \"%s\": fingerprint %s, want %s", c->sql, s.norm, fb, fa);
		if (!c->same_fingerprint)
			assert_string_not_equal(fa, fb);
		check_lits_sane(c->sql, &s);
		check_idempotent(&s);
		sql_shape_free(&s);
	}
}

/* 10,000 random strings over an alphabet heavy in SQL's special
 * characters, with random bytes mixed in: no crash, no leak, sane output. */
static void test_random_text(void **state)
{
	static const char alpha[] = "''\"\"$$--//**\\eEuUbBxXnN&0123456789 .,()[]:;\n\tabc=<>+-_"
	                            "ORDER BY SELECT LIMIT interval SET";
	uint64_t x = UINT64_C(0x9E3779B97F4A7C15);
	char buf[160];
	sql_shape_t s;
	int it, i, len;

	for (it = 0; it < 10000; it++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (int)(x % (sizeof(buf) - 1));
		for (i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (x & 7) == 0 ? (char)(1 + (x >> 8) % 255)
			                      : alpha[(x >> 8) % (sizeof(alpha) - 1)];
		}
		buf[len] = '\0';
		shape(buf, &s);
		check_lits_sane(buf, &s);
		check_idempotent(&s);
		sql_shape_free(&s);
	}
}

/* ---- plan cache ---- */

/* Plans are addresses in a static array: plan k is &plans[k]; freed[k]
 * counts the cache's calls of its free function on it. */
static int plans[16];
static int freed[16];

static void *plan(int k)
{
	return &plans[k];
}

static void plan_counted_free(void *p)
{
	freed[(int *)p - plans]++;
}

static sql_plan_cache_t *cache_new(size_t cap)
{
	sql_plan_cache_t *c = sql_plan_cache_new(cap, plan_counted_free);

	memset(freed, 0, sizeof(freed));
	assert_non_null(c);
	return c;
}

static void put(sql_plan_cache_t *c, const char *sql, int k)
{
	sql_shape_t s;

	shape(sql, &s);
	assert_int_equal(sql_plan_cache_put(c, &s, plan(k)), 0);
	sql_shape_free(&s);
}

static void *get(sql_plan_cache_t *c, const char *sql)
{
	sql_shape_t s;
	void *p;

	shape(sql, &s);
	p = sql_plan_cache_get(c, &s);
	sql_shape_free(&s);
	return p;
}

static void check_stats(sql_plan_cache_t *c, uint64_t hits, uint64_t misses, uint64_t evictions,
                        size_t entries, size_t capacity)
{
	sql_plan_cache_stats_t st;

	sql_plan_cache_stats(c, &st);
	assert_int_equal(st.hits, hits);
	assert_int_equal(st.misses, misses);
	assert_int_equal(st.evictions, evictions);
	assert_int_equal(st.entries, entries);
	assert_int_equal(st.capacity, capacity);
}

static void test_cache_get_put(void **state)
{
	sql_plan_cache_t *c = cache_new(8);

	assert_null(get(c, "SELECT * FROM t WHERE a = 1"));
	put(c, "SELECT * FROM t WHERE a = 1", 1);
	/* another literal, same shape: same plan */
	assert_ptr_equal(get(c, "SELECT * FROM t WHERE a = 2"), plan(1));
	assert_null(get(c, "SELECT * FROM t WHERE b = 2"));
	check_stats(c, 1, 2, 0, 1, 8);
	sql_plan_cache_free(c);
	assert_int_equal(freed[1], 1);
}

static void test_cache_lru_order(void **state)
{
	sql_plan_cache_t *c = cache_new(3);
	int k;

	put(c, "SELECT a FROM t", 1);
	put(c, "SELECT b FROM t", 2);
	put(c, "SELECT c FROM t", 3);
	assert_ptr_equal(get(c, "SELECT a FROM t"), plan(1)); /* order: a c b */
	put(c, "SELECT d FROM t", 4);                         /* evicts b: d a c */
	assert_int_equal(freed[2], 1);
	assert_ptr_equal(get(c, "SELECT c FROM t"), plan(3)); /* c d a */
	put(c, "SELECT e FROM t", 5);                         /* evicts a: e c d */
	assert_int_equal(freed[1], 1);
	assert_null(get(c, "SELECT a FROM t"));
	assert_null(get(c, "SELECT b FROM t"));
	assert_ptr_equal(get(c, "SELECT d FROM t"), plan(4)); /* d e c */
	put(c, "SELECT f FROM t", 6);                         /* evicts c */
	assert_int_equal(freed[3], 1);
	assert_ptr_equal(get(c, "SELECT e FROM t"), plan(5));
	check_stats(c, 4, 2, 3, 3, 3);
	for (k = 4; k <= 6; k++)
		assert_int_equal(freed[k], 0);
	sql_plan_cache_free(c);
	for (k = 1; k <= 6; k++)
		assert_int_equal(freed[k], 1);
}

static void test_cache_replace(void **state)
{
	sql_plan_cache_t *c = cache_new(3);

	put(c, "SELECT a FROM t WHERE x = 1", 1);
	put(c, "SELECT a FROM t WHERE x = 2", 2); /* same shape: replaces, frees 1 */
	assert_int_equal(freed[1], 1);
	assert_ptr_equal(get(c, "SELECT a FROM t WHERE x = 3"), plan(2));
	put(c, "SELECT a FROM t WHERE x = 4", 2); /* the same pointer again: not freed */
	assert_int_equal(freed[2], 0);
	check_stats(c, 1, 0, 0, 1, 3);
	sql_plan_cache_free(c);
	assert_int_equal(freed[1], 1);
	assert_int_equal(freed[2], 1);
}

static void test_cache_full_text_compare(void **state)
{
	sql_plan_cache_t *c = cache_new(4);
	sql_shape_t a, b;

	/* Two texts forced onto one hash are still two entries. */
	shape("SELECT a FROM t", &a);
	shape("SELECT b FROM t", &b);
	b.hash = a.hash;
	assert_int_equal(sql_plan_cache_put(c, &a, plan(1)), 0);
	assert_null(sql_plan_cache_get(c, &b));
	assert_int_equal(sql_plan_cache_put(c, &b, plan(2)), 0);
	assert_ptr_equal(sql_plan_cache_get(c, &a), plan(1));
	assert_ptr_equal(sql_plan_cache_get(c, &b), plan(2));
	check_stats(c, 2, 1, 0, 2, 4);
	assert_int_equal(freed[1] + freed[2], 0);
	sql_shape_free(&a);
	sql_shape_free(&b);
	sql_plan_cache_free(c);
	assert_int_equal(freed[1], 1);
	assert_int_equal(freed[2], 1);
}

static void test_cache_edges(void **state)
{
	sql_plan_cache_t *c = cache_new(0);
	char sql[64];
	int k, total;

	/* Capacity 0 still keeps the plan just stored (its caller uses it). */
	put(c, "SELECT 1", 1);
	assert_ptr_equal(get(c, "SELECT 2"), plan(1));
	put(c, "SELECT x", 2);
	assert_int_equal(freed[1], 1);
	check_stats(c, 1, 0, 1, 1, 1);
	sql_plan_cache_free(c);
	assert_int_equal(freed[2], 1);

	/* 12 shapes cycling through 5 entries: every put inserts and evicts,
	 * and every plan stored is freed exactly once in the end. */
	c = cache_new(5);
	for (k = 0; k < 1000; k++) {
		snprintf(sql, sizeof(sql), "SELECT c%d FROM t", k % 12);
		put(c, sql, k % 12);
	}
	check_stats(c, 0, 0, 995, 5, 5);
	sql_plan_cache_free(c);
	for (total = 0, k = 0; k < 12; k++)
		total += freed[k];
	assert_int_equal(total, 1000);

	/* No free function: plans belong to the caller. */
	c = sql_plan_cache_new(2, NULL);
	assert_non_null(c);
	put(c, "SELECT a FROM t", 1);
	put(c, "SELECT b FROM t", 2);
	put(c, "SELECT c FROM t", 3);
	sql_plan_cache_free(c);
	sql_plan_cache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whitespace_and_comments),
	        cmocka_unit_test(test_strings),
	        cmocka_unit_test(test_escape_strings),
	        cmocka_unit_test(test_verbatim_tokens),
	        cmocka_unit_test(test_numbers),
	        cmocka_unit_test(test_signs_folded),
	        cmocka_unit_test(test_signs_kept),
	        cmocka_unit_test(test_params_base),
	        cmocka_unit_test(test_kept_after_words),
	        cmocka_unit_test(test_value_words),
	        cmocka_unit_test(test_positional_lists),
	        cmocka_unit_test(test_type_modifiers),
	        cmocka_unit_test(test_spacing_around_params),
	        cmocka_unit_test(test_continuation),
	        cmocka_unit_test(test_as_is_statements),
	        cmocka_unit_test(test_unterminated),
	        cmocka_unit_test(test_same_shape),
	        cmocka_unit_test(test_corpus),
	        cmocka_unit_test(test_random_text),
	        cmocka_unit_test(test_cache_get_put),
	        cmocka_unit_test(test_cache_lru_order),
	        cmocka_unit_test(test_cache_replace),
	        cmocka_unit_test(test_cache_full_text_compare),
	        cmocka_unit_test(test_cache_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
