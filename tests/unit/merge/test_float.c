/* test_float.c — float8out/float4out as PostgreSQL 15 prints them with
 * extra_float_digits = 1 (every expected string is psql's output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge_int.h"

static void check(double v, bool f4, const char *exp)
{
	char got[64];
	wbuf_t b;

	wbuf_init(&b);
	if (f4)
		merge_float4_write_text((float)v, &b);
	else
		merge_float8_write_text(v, &b);
	assert_int_equal(wbuf_status(&b), 0);
	assert_true(b.len < sizeof(got));
	memcpy(got, b.data, b.len);
	got[b.len] = 0;
	wbuf_free(&b);
	if (strcmp(got, exp) != 0)
		fail_msg("%s(%.17g) = %s, want %s", f4 ? "float4" : "float8", v, got, exp);
}

static void test_float8(void **state)
{
	static const struct {
		const char *in, *out;
	} tab[] = {
	        {"0", "0"},
	        {"-0", "-0"},
	        {"1", "1"},
	        {"0.1", "0.1"},
	        {"1e15", "1e+15"},
	        {"1e14", "100000000000000"},
	        {"123456789012345", "123456789012345"},
	        {"1e16", "1e+16"},
	        {"1.5e-5", "1.5e-05"},
	        {"0.0001", "0.0001"},
	        {"0.00012345", "0.00012345"},
	        {"1e-5", "1e-05"},
	        {"3.141592653589793", "3.141592653589793"},
	        {"1e+20", "1e+20"},
	        {"-2.5", "-2.5"},
	        {"1e100", "1e+100"},
	        {"1e-100", "1e-100"},
	        {"5e-324", "5e-324"},
	        {"1.7976931348623157e308", "1.7976931348623157e+308"},
	        {"100", "100"},
	        {"1234567.125", "1234567.125"},
	        {"0.3", "0.3"},
	        {"2e22", "2e+22"},
	        {"NaN", "NaN"},
	        {"Infinity", "Infinity"},
	        {"-Infinity", "-Infinity"},
	        {"99999999999999.9", "99999999999999.9"},
	        {"999999999999999.9", "999999999999999.9"},
	        {"0.30000000000000004", "0.30000000000000004"},
	        {"0.3333333333333333", "0.3333333333333333"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		check(strtod(tab[i].in, NULL), false, tab[i].out);
	check(0.1 + 0.2, false, "0.30000000000000004");
	check(1.0 / 3.0, false, "0.3333333333333333");
}

static void test_float4(void **state)
{
	static const struct {
		const char *in, *out;
	} tab[] = {
	        {"0", "0"},
	        {"1", "1"},
	        {"0.1", "0.1"},
	        {"1e6", "1e+06"},
	        {"123456", "123456"},
	        {"1234567", "1.234567e+06"},
	        {"1e5", "100000"},
	        {"1.5e-5", "1.5e-05"},
	        {"0.0001", "0.0001"},
	        {"3.1415927", "3.1415927"},
	        {"1e-5", "1e-05"},
	        {"100", "100"},
	        {"-2.5", "-2.5"},
	        {"16777216", "1.6777216e+07"},
	        {"3.4028235e38", "3.4028235e+38"},
	        {"1e-45", "1e-45"},
	        {"NaN", "NaN"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		check(strtof(tab[i].in, NULL), true, tab[i].out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_float8),
	        cmocka_unit_test(test_float4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
