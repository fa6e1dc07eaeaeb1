/* test_decimal.c — exact decimal arithmetic: parse, add, divide with
 * numeric_div's scale, compare, and both output formats. Expected values
 * were produced by PostgreSQL 15 (psql). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge_decimal.h"

static char *text_of(const merge_dec_t *d)
{
	static char buf[512];
	wbuf_t b;

	wbuf_init(&b);
	merge_dec_write_text(d, &b);
	assert_int_equal(wbuf_status(&b), 0);
	assert_true(b.len < sizeof(buf));
	memcpy(buf, b.data, b.len);
	buf[b.len] = 0;
	wbuf_free(&b);
	return buf;
}

static void parse(merge_dec_t *d, const char *s)
{
	assert_int_equal(merge_dec_from_text(d, s, strlen(s)), 0);
}

static void roundtrip(const char *in, const char *out)
{
	merge_dec_t d;

	merge_dec_init(&d);
	parse(&d, in);
	assert_string_equal(text_of(&d), out);
	merge_dec_free(&d);
}

static void test_parse_output(void **state)
{
	roundtrip("0", "0");
	roundtrip("-0", "0");
	roundtrip("0.000", "0.000");
	roundtrip("1.50", "1.50");
	roundtrip("-12345678.9", "-12345678.9");
	roundtrip("  42  ", "42");
	roundtrip("+7.", "7");
	roundtrip(".5", "0.5");
	roundtrip("0001.0100", "1.0100");
	roundtrip("1e20", "100000000000000000000");
	roundtrip("1.5e3", "1500");
	roundtrip("1.2345e2", "123.45");
	roundtrip("12e-5", "0.00012");
	roundtrip("123456789012345678901234567890123456789.000000000000000000001",
	          "123456789012345678901234567890123456789.000000000000000000001");
	roundtrip("NaN", "NaN");
	roundtrip("nan", "NaN");
	roundtrip("Infinity", "Infinity");
	roundtrip("-inf", "-Infinity");

	const char *bad[] = {"", " ", "abc", "1.2.3", "--1", "1e", "e5", ".", "1 2", "0x10", "1e+", "12a"};
	merge_dec_t d;

	merge_dec_init(&d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(merge_dec_from_text(&d, bad[i], strlen(bad[i])), SG_EPROTO);
	/* bounded: the length is honoured, not a NUL */
	assert_int_equal(merge_dec_from_text(&d, "12345", 2), 0);
	assert_string_equal(text_of(&d), "12");
	merge_dec_free(&d);
}

static void div_case(const char *a, int64_t n, const char *exp)
{
	merge_dec_t d, q;

	merge_dec_init(&d);
	merge_dec_init(&q);
	parse(&d, a);
	assert_int_equal(merge_dec_div_int64(&q, &d, n), 0);
	if (strcmp(text_of(&q), exp) != 0)
		fail_msg("%s / %lld = %s, want %s", a, (long long)n, text_of(&q), exp);
	/* in place */
	assert_int_equal(merge_dec_div_int64(&d, &d, n), 0);
	assert_string_equal(text_of(&d), exp);
	merge_dec_free(&d);
	merge_dec_free(&q);
}

/* psql: select x/3, x/7, x/12345678901, x/1 ... */
static void test_div(void **state)
{
	div_case("1", 3, "0.33333333333333333333");
	div_case("1", 7, "0.14285714285714285714");
	div_case("1", 12345678901, "0.0000000000810000007305390066");
	div_case("1", 1, "1.00000000000000000000");
	div_case("2", 3, "0.66666666666666666667");
	div_case("2", 1, "2.0000000000000000");
	div_case("10", 3, "3.3333333333333333");
	div_case("10", 4, "2.5000000000000000");
	div_case("-10", 3, "-3.3333333333333333");
	div_case("-10", 7, "-1.4285714285714286");
	div_case("0", 3, "0.00000000000000000000");
	div_case("0.000", 7, "0.00000000000000000000");
	div_case("1.50", 7, "0.21428571428571428571");
	div_case("1.50", 12345678901, "0.0000000001215000010958085099");
	div_case("12345678901234567890.12345", 3, "4115226300411522630.04115");
	div_case("12345678901234567890.12345", 7, "1763668414462081127.16049");
	div_case("12345678901234567890.12345", 12345678901, "1000000000.01900000");
	div_case("-0.0000001", 3, "-0.000000033333333333333333");
	div_case("-0.0000001", 12345678901, "-0.000000000000000008100000073053900659");
	div_case("99999999", 3, "33333333.000000000000");
	div_case("99999999", 12345678901, "0.00809999999205389993");
	div_case("10000", 7, "1428.5714285714285714");
	div_case("9999.5", 3, "3333.1666666666666667");
	div_case("9999.5", 7, "1428.5000000000000000");
	div_case("1e-30", 3, "0.000000000000000000000000000000333333333333333333");
	div_case("1e-30", 12345678901, "0.000000000000000000000000000000000000000081000000730539006589");
	div_case("123456789012345678901234567890123456789", 7, "17636684144620811271604938270017636684");
	div_case("123456789012345678901234567890123456789", 12345678901, "10000000000189999992713609933");
	/* rounding half away from zero */
	div_case("2.5", 2, "1.25000000000000000000");
	div_case("-2.5", 2, "-1.25000000000000000000");
	div_case("1", 6, "0.16666666666666666667");
	div_case("-1", 6, "-0.16666666666666666667");
	div_case("5", 9, "0.55555555555555555556");
	div_case("5", 3, "1.6666666666666667");    /* avg of 1, 2, 2 */
	div_case("3.75", 2, "1.8750000000000000"); /* avg of 1.50, 2.25 */
	div_case("0.000005", 1, "0.000005000000000000000000");
	div_case("NaN", 3, "NaN");
	div_case("Infinity", 3, "Infinity");
	div_case("Infinity", -3, "-Infinity");
	div_case("-7", -2, "3.5000000000000000");
	div_case("9223372036854775807", INT64_MIN, "-0.99999999999999999989");

	merge_dec_t d;

	merge_dec_init(&d);
	parse(&d, "1");
	assert_int_equal(merge_dec_div_int64(&d, &d, 0), SG_ERANGE);
	merge_dec_free(&d);
}

static void add_case(const char *a, const char *b, const char *exp)
{
	merge_dec_t x, y, r;

	merge_dec_init(&x);
	merge_dec_init(&y);
	merge_dec_init(&r);
	parse(&x, a);
	parse(&y, b);
	assert_int_equal(merge_dec_add(&r, &x, &y), 0);
	if (strcmp(text_of(&r), exp) != 0)
		fail_msg("%s + %s = %s, want %s", a, b, text_of(&r), exp);
	assert_int_equal(merge_dec_add(&x, &x, &y), 0); /* in place */
	assert_string_equal(text_of(&x), exp);
	merge_dec_free(&x);
	merge_dec_free(&y);
	merge_dec_free(&r);
}

static void test_add(void **state)
{
	add_case("99999999.99", "0.01", "100000000.00");
	add_case("-5.5", "5.5", "0.0");
	add_case("1.5", "-3.25", "-1.75");
	add_case("12345678901234567890.12345", "98765432109876543210.98765", "111111111011111111101.11110");
	add_case("-1", "-9999", "-10000");
	add_case("0.0001", "-0.00005", "0.00005");
	add_case("1e40", "1e-40",
	         "10000000000000000000000000000000000000000.0000000000000000000000000000000000000001");
	add_case("NaN", "1", "NaN");
	add_case("1", "NaN", "NaN");
	add_case("Infinity", "1", "Infinity");
	add_case("Infinity", "-Infinity", "NaN");
	add_case("-Infinity", "-5", "-Infinity");
	add_case("0", "0.00", "0.00");

	/* a long running sum stays exact */
	merge_dec_t s, one;

	merge_dec_init(&s);
	merge_dec_init(&one);
	parse(&one, "0.1");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(merge_dec_add(&s, &s, &one), 0);
	assert_string_equal(text_of(&s), "100.0");
	merge_dec_free(&s);
	merge_dec_free(&one);
}

static int cmp_of(const char *a, const char *b)
{
	merge_dec_t x, y;
	int c;

	merge_dec_init(&x);
	merge_dec_init(&y);
	parse(&x, a);
	parse(&y, b);
	c = merge_dec_cmp(&x, &y);
	merge_dec_free(&x);
	merge_dec_free(&y);
	return c;
}

static void test_cmp(void **state)
{
	assert_int_equal(cmp_of("1.0", "1.00"), 0);
	assert_int_equal(cmp_of("-0", "0.000"), 0);
	assert_true(cmp_of("1", "2") < 0);
	assert_true(cmp_of("-1", "-2") > 0);
	assert_true(cmp_of("-1", "1") < 0);
	assert_true(cmp_of("0.0001", "0.00009999") > 0);
	assert_true(cmp_of("10000", "9999.9999") > 0);
	assert_true(cmp_of("123456789012345678901234567890", "123456789012345678901234567891") < 0);
	assert_true(cmp_of("NaN", "Infinity") > 0);
	assert_int_equal(cmp_of("NaN", "nan"), 0);
	assert_true(cmp_of("Infinity", "1e100") > 0);
	assert_true(cmp_of("-Infinity", "-1e100") < 0);
	assert_true(cmp_of("-Infinity", "NaN") < 0);
	assert_true(cmp_of("2.5", "2.49999999999999999999999") > 0);
}

static void test_round(void **state)
{
	static const struct {
		const char *in;
		int scale;
		const char *out;
	} tab[] = {
	        {"2.5", 0, "3"},        {"-2.5", 0, "-3"},           {"2.49", 0, "2"},
	        {"9999.5", 0, "10000"}, {"0.99995", 4, "1.0000"},    {"0.00004", 4, "0.0000"},
	        {"1.23456", 2, "1.23"}, {"1.235", 2, "1.24"},        {"0.5", 0, "1"},
	        {"0.05", 0, "0"},       {"123.456", 5, "123.45600"}, {"99999999.99995", 4, "100000000.0000"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		merge_dec_t d;

		merge_dec_init(&d);
		parse(&d, tab[i].in);
		assert_int_equal(merge_dec_round(&d, tab[i].scale), 0);
		if (strcmp(text_of(&d), tab[i].out) != 0)
			fail_msg("round(%s, %d) = %s, want %s", tab[i].in, tab[i].scale, text_of(&d),
			         tab[i].out);
		merge_dec_free(&d);
	}
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* psql: select numeric_send(x) */
static void test_binary(void **state)
{
	static const struct {
		const char *text, *hex;
	} tab[] = {
	        {"0", "0000000000000000"},
	        {"0.000", "0000000000000003"},
	        {"1.50", "000200000000000200011388"},
	        {"-12345678.9", "000300014000000104d2162e2328"},
	        {"2.5000000000000000", "000200000000001000021388"},
	        {"10000", "00010001000000000001"},
	        {"NaN", "00000000c0000000"},
	        {"Infinity", "00000000d0000020"},
	        {"-Infinity", "00000000f0000020"},
	        {"0.0001", "0001ffff000000040001"},
	        {"100000000000000000000", "00010005000000000001"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		uint8_t bin[64];
		size_t n = strlen(tab[i].hex) / 2;
		merge_dec_t d, e;
		wbuf_t b;

		for (size_t k = 0; k < n; k++)
			bin[k] = (uint8_t)(hexval(tab[i].hex[2 * k]) << 4 | hexval(tab[i].hex[2 * k + 1]));
		merge_dec_init(&d);
		merge_dec_init(&e);
		wbuf_init(&b);
		parse(&d, tab[i].text);
		merge_dec_write_binary(&d, &b);
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, bin, n);
		assert_int_equal(merge_dec_from_binary(&e, bin, n), 0);
		assert_string_equal(text_of(&e), tab[i].text);
		/* every prefix is malformed */
		for (size_t k = 0; k < n; k++)
			assert_int_equal(merge_dec_from_binary(&e, bin, k), SG_EPROTO);
		wbuf_free(&b);
		merge_dec_free(&d);
		merge_dec_free(&e);
	}

	/* digits out of range, bad sign, negative ndigits */
	const uint8_t bad1[] = {0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10};
	const uint8_t bad2[] = {0, 1, 0, 0, 0x12, 0x34, 0, 0, 0, 1};
	const uint8_t bad3[] = {0xff, 0xff, 0, 0, 0, 0, 0, 0};
	merge_dec_t d;

	merge_dec_init(&d);
	assert_int_equal(merge_dec_from_binary(&d, bad1, sizeof(bad1)), SG_EPROTO);
	assert_int_equal(merge_dec_from_binary(&d, bad2, sizeof(bad2)), SG_EPROTO);
	assert_int_equal(merge_dec_from_binary(&d, bad3, sizeof(bad3)), SG_EPROTO);
	/* leading/trailing zero digits from a sender are stripped */
	const uint8_t padded[] = {0, 3, 0, 1, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0};
	assert_int_equal(merge_dec_from_binary(&d, padded, sizeof(padded)), 0);
	assert_string_equal(text_of(&d), "7.00");
	merge_dec_free(&d);
}

static void test_int(void **state)
{
	merge_dec_t d;
	int64_t v;

	merge_dec_init(&d);
	assert_int_equal(merge_dec_from_int64(&d, INT64_MIN), 0);
	assert_string_equal(text_of(&d), "-9223372036854775808");
	assert_true(merge_dec_to_int64(&d, &v));
	assert_true(v == INT64_MIN);
	assert_int_equal(merge_dec_from_int128(&d, (__int128)INT64_MAX * 1000), 0);
	assert_string_equal(text_of(&d), "9223372036854775807000");
	assert_false(merge_dec_to_int64(&d, &v));
	parse(&d, "1.5");
	assert_false(merge_dec_to_int64(&d, &v));
	parse(&d, "12.000");
	assert_true(merge_dec_to_int64(&d, &v));
	assert_true(v == 12);
	assert_int_equal(merge_dec_from_int64(&d, 0), 0);
	assert_string_equal(text_of(&d), "0");
	merge_dec_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_output), cmocka_unit_test(test_div),
	        cmocka_unit_test(test_add),          cmocka_unit_test(test_cmp),
	        cmocka_unit_test(test_round),        cmocka_unit_test(test_binary),
	        cmocka_unit_test(test_int),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
