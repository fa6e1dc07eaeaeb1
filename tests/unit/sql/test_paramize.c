/* test_paramize.c — the simple-Query rewrite (sql/paramize.h): the exact
 * text, parameter values and types for each rule, what is left alone and
 * why, and error positions mapped back. Inputs are heap copies of exact
 * size, so ASan reports any read past the terminating NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "errors.h"
#include "paramize.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct want {
	const char *sql;
	const char *text;      /* NULL: not rewritten */
	const char *values[4]; /* in parameter order */
	uint32_t types[4];
} want_t;

static const want_t cases[] = {
        {"SELECT abalance FROM pgbench_accounts WHERE aid = 42;",
         "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
         {"42"},
         {SQL_OID_INT4}},
        /* int4 bounds, int8, numeric; equal constants share a parameter */
        {"SELECT 1 WHERE a = 2147483647 AND b = 2147483649 AND c = 1.5 AND d = 1e3 AND e = 1.5",
         "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3 AND d = $4 AND e = $3",
         {"2147483647", "2147483649", "1.5", "1e3"},
         {SQL_OID_INT4, SQL_OID_INT8, SQL_OID_NUMERIC, SQL_OID_NUMERIC}},
        /* a unary sign stays an operator */
        {"UPDATE t SET v = v + -1234 WHERE id = 7",
         "UPDATE t SET v = v + -$1 WHERE id = $2",
         {"1234", "7"},
         {SQL_OID_INT4, SQL_OID_INT4}},
        /* whole IN-list items only */
        {"SELECT x FROM t WHERE id IN (1, 2, 3+4) AND y NOT IN (5)",
         "SELECT x FROM t WHERE id IN ($1, $2, 3+$3) AND y NOT IN ($4)",
         {"1", "2", "4", "5"},
         {SQL_OID_INT4, SQL_OID_INT4, SQL_OID_INT4, SQL_OID_INT4}},
        /* GROUP BY expressions stay equal to the select list's */
        {"SELECT a + 1 FROM t GROUP BY a + 1 ORDER BY 1",
         "SELECT a + $1 FROM t GROUP BY a + $1 ORDER BY 1",
         {"1"},
         {SQL_OID_INT4}},
        /* left alone: positions, LIMIT, typmods, VALUES, strings, typed
         * literals, 2147483648 (negated it is an int4), beyond int8,
         * BETWEEN, function arguments */
        {"SELECT x::numeric(10, 2) FROM t WHERE d > date '2024-01-01' AND s = 'a' ORDER BY 2 LIMIT 10",
         "SELECT x::numeric(10, 2) FROM t WHERE d > date '2024-01-01' AND s = 'a' ORDER BY 2 LIMIT 10",
         {NULL},
         {0}},
        {"SELECT 1 WHERE a = 2147483648 OR a = 9223372036854775808 OR a BETWEEN 1 AND 2 OR f(3)",
         "SELECT 1 WHERE a = 2147483648 OR a = 9223372036854775808 OR a BETWEEN 1 AND 2 OR f(3)",
         {NULL},
         {0}},
        /* leading zeros: the value, and equal integers share a parameter */
        {"SELECT a + 01 FROM t WHERE b = 007 GROUP BY a + 1",
         "SELECT a + $1 FROM t WHERE b = $2 GROUP BY a + $1",
         {"1", "7"},
         {SQL_OID_INT4, SQL_OID_INT4}},
        /* decimals stay constants where expressions are matched */
        {"SELECT a * 1.5, a + 2 FROM t GROUP BY a * 1.5, a + 2",
         "SELECT a * 1.5, a + $1 FROM t GROUP BY a * 1.5, a + $1",
         {"2"},
         {SQL_OID_INT4}},
        {"SELECT DISTINCT a * 1.5 FROM t WHERE b = 2.5",
         "SELECT DISTINCT a * 1.5 FROM t WHERE b = 2.5",
         {NULL},
         {0}},
        {"INSERT INTO t (a, b) VALUES (1, 2)", "INSERT INTO t (a, b) VALUES (1, 2)", {NULL}, {0}},
        /* comments and spacing are kept byte for byte */
        {"SELECT /* = 1 */ a FROM t WHERE b =/*x*/5 -- = 6\n",
         "SELECT /* = 1 */ a FROM t WHERE b =/*x*/$1 -- = 6\n",
         {"5"},
         {SQL_OID_INT4}},
        /* not rewritten at all: several statements, $n, non-ASCII, junk */
        {"SELECT 1; SELECT a FROM t WHERE b = 2", NULL, {NULL}, {0}},
        {"SELECT a FROM t WHERE b = $1", NULL, {NULL}, {0}},
        {"SELECT a FROM t WHERE b = 2 AND c = 'é'", NULL, {NULL}, {0}},
        {"SELECT a FROM t WHERE b = 2abc", NULL, {NULL}, {0}},
        {"SELECT a FROM t WHERE b = 2 AND c = 'x\\'", NULL, {NULL}, {0}},
        {"SELECT 'unterminated", NULL, {NULL}, {0}},
};

static void check_case(const want_t *w)
{
	char *copy = strdup(w->sql);
	sql_paramized_t p;
	int rc, k;

	assert_non_null(copy);
	rc = sql_paramize(copy, &p);
	if (w->text == NULL) {
		if (rc != 0)
			fail_msg("should be left as it is: %s", w->sql);
		free(copy);
		return;
	}
	if (rc != 1)
		fail_msg("not rewritten (%d): %s", rc, w->sql);
	assert_string_equal(p.text, w->text);
	assert_int_equal(p.text_len, strlen(w->text));
	for (k = 0; k < 4 && w->values[k] != NULL; k++) {
		assert_true(k < p.nparams);
		assert_string_equal(p.values[k], w->values[k]);
		assert_int_equal(p.types[k], w->types[k]);
	}
	assert_int_equal(p.nparams, k);
	sql_paramized_free(&p);
	free(copy);
}

static void test_rewrites(void **state)
{
	for (size_t i = 0; i < NELEM(cases); i++)
		check_case(&cases[i]);
}

/* An error's position in the rewritten text, back in the original. */
static void test_positions(void **state)
{
	const char *sql = "SELECT a FROM t WHERE id = 123456 AND nosuch > 99 AND x = 1";
	char *copy = strdup(sql);
	sql_paramized_t p;

	assert_int_equal(sql_paramize(copy, &p), 1);
	assert_string_equal(p.text, "SELECT a FROM t WHERE id = $1 AND nosuch > $2 AND x = $3");
	/* before any parameter: unchanged */
	assert_int_equal(sql_paramized_orig_pos(&p, 8), 8);
	/* "nosuch": after $1 (2 bytes for 6) */
	assert_int_equal(sql_paramized_orig_pos(&p, (int)(strstr(p.text, "nosuch") - p.text) + 1),
	                 (int)(strstr(sql, "nosuch") - sql) + 1);
	/* inside "$2": the constant's first byte */
	assert_int_equal(sql_paramized_orig_pos(&p, (int)(strstr(p.text, "$2") - p.text) + 2),
	                 (int)(strstr(sql, "99") - sql) + 1);
	/* after all of them */
	assert_int_equal(sql_paramized_orig_pos(&p, (int)strlen(p.text)), (int)strlen(sql));
	/* not a place in the text: 0 (the backend's number is not trusted) */
	assert_int_equal(sql_paramized_orig_pos(&p, 0), 0);
	assert_int_equal(sql_paramized_orig_pos(&p, (int)strlen(p.text) + 2), 0);
	assert_int_equal(sql_paramized_orig_pos(&p, 2147483647), 0);
	sql_paramized_free(&p);
	free(copy);
}

/* An IN list of `items` constants cycling through `distinct` values. */
static void in_list(char *sql, size_t cap, char *want, size_t wcap, int items, int distinct)
{
	size_t n = 0, m = 0;

	n += (size_t)snprintf(sql + n, cap - n, "SELECT 1 WHERE a IN (");
	m += (size_t)snprintf(want + m, wcap - m, "SELECT 1 WHERE a IN (");
	for (int i = 0; i < items; i++) {
		n += (size_t)snprintf(sql + n, cap - n, "%s%d", i ? ", " : "", i % distinct + 1);
		m += (size_t)snprintf(want + m, wcap - m, "%s$%d", i ? ", " : "", i % distinct + 1);
	}
	snprintf(sql + n, cap - n, ")");
	snprintf(want + m, wcap - m, ")");
}

/* Many equal and distinct constants: numbering and sharing hold, up to
 * the bounds (256 distinct, 1024 replaced); beyond them the text runs as
 * it is rather than costing quadratic time. */
static void test_many_params(void **state)
{
	static char sql[16384], want[16384];
	sql_paramized_t p;

	in_list(sql, sizeof(sql), want, sizeof(want), 1024, 256);
	assert_int_equal(sql_paramize(sql, &p), 1);
	assert_string_equal(p.text, want);
	assert_int_equal(p.nparams, 256);
	assert_int_equal(p.nspans, 1024);
	assert_string_equal(p.values[255], "256");
	sql_paramized_free(&p);
	in_list(sql, sizeof(sql), want, sizeof(want), 257, 257);
	assert_int_equal(sql_paramize(sql, &p), 0);
	assert_null(p.text);
	in_list(sql, sizeof(sql), want, sizeof(want), 1025, 3);
	assert_int_equal(sql_paramize(sql, &p), 0);
	assert_null(p.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rewrites),
	        cmocka_unit_test(test_positions),
	        cmocka_unit_test(test_many_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
