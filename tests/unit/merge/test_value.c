/* test_value.c — typed comparison of wire values in both formats, the
 * comparison with SQL constants (HAVING), and collations. Values are
 * copied into exact-size heap blocks so ASan sees any over-read. Binary
 * encodings of dates/timestamps were checked against PostgreSQL 15. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

static const merge_coll_t C_COLL = {.bytewise = true};

static int rc_cmp_coll(uint32_t oid, int16_t fmt, const merge_coll_t *coll, const void *a, size_t alen,
                       const void *b, size_t blen, int *res)
{
	merge_type_t t = {oid, fmt, *coll};
	uint8_t *x = malloc(alen ? alen : 1), *y = malloc(blen ? blen : 1);
	int rc;

	assert_non_null(x);
	assert_non_null(y);
	memcpy(x, a, alen);
	memcpy(y, b, blen);
	rc = merge_value_cmp(&t, x, (int32_t)alen, y, (int32_t)blen, res);
	if (rc == 0) {
		int back;

		/* antisymmetric */
		assert_int_equal(merge_value_cmp(&t, y, (int32_t)blen, x, (int32_t)alen, &back), 0);
		assert_int_equal(back < 0 ? -1 : back > 0, *res < 0 ? 1 : *res > 0 ? -1 : 0);
	}
	free(x);
	free(y);
	return rc;
}

static int sign_of(uint32_t oid, int16_t fmt, const void *a, size_t alen, const void *b, size_t blen)
{
	int res = 99;

	assert_int_equal(rc_cmp_coll(oid, fmt, &C_COLL, a, alen, b, blen, &res), 0);
	return res < 0 ? -1 : res > 0;
}

/* text format: NUL-terminated literals */
#define T(oid, a, b) sign_of((oid), 0, (a), strlen(a), (b), strlen(b))
/* binary: byte-string literals */
#define B(oid, a, b) sign_of((oid), 1, (a), sizeof(a) - 1, (b), sizeof(b) - 1)
#define RC(oid, fmt, a, b)                                                                                   \
	({                                                                                                   \
		int r_;                                                                                      \
		rc_cmp_coll((oid), (fmt), &C_COLL, (a), strlen(a), (b), strlen(b), &r_);                     \
	})

static void test_integers(void **state)
{
	assert_int_equal(T(MERGE_OID_INT4, "-5", "3"), -1);
	assert_int_equal(T(MERGE_OID_INT4, "10", "9"), 1);
	assert_int_equal(T(MERGE_OID_INT8, "-9223372036854775808", "9223372036854775807"), -1);
	assert_int_equal(T(MERGE_OID_INT2, "+7", "7"), 0);
	assert_int_equal(T(MERGE_OID_OID, "4294967295", "1"), 1);
	assert_int_equal(B(MERGE_OID_INT2, "\xff\xff", "\x00\x01"), -1);
	assert_int_equal(B(MERGE_OID_INT4, "\x80\x00\x00\x00", "\x7f\xff\xff\xff"), -1);
	assert_int_equal(
	        B(MERGE_OID_INT8, "\x00\x00\x00\x01\x00\x00\x00\x00", "\x00\x00\x00\x00\xff\xff\xff\xff"), 1);
	assert_int_equal(
	        B(MERGE_OID_INT8, "\xff\xff\xff\xff\xff\xff\xff\xfe", "\xff\xff\xff\xff\xff\xff\xff\xff"),
	        -1);
	assert_int_equal(B(MERGE_OID_OID, "\xff\xff\xff\xff", "\x00\x00\x00\x01"), 1);

	assert_int_equal(RC(MERGE_OID_INT4, 0, "12a", "1"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_INT4, 0, "", "1"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_INT4, 0, "-", "1"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_INT8, 0, "9223372036854775808", "1"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_INT4, 1, "abc", "abcd"), SG_EPROTO); /* 3 bytes is no int4 */
}

static void test_numeric(void **state)
{
	assert_int_equal(T(MERGE_OID_NUMERIC, "1.0", "1.00"), 0);
	assert_int_equal(T(MERGE_OID_NUMERIC, "-1", "0.5"), -1);
	assert_int_equal(T(MERGE_OID_NUMERIC, "10", "9.99999999999999999999999"), 1);
	assert_int_equal(T(MERGE_OID_NUMERIC, "-10", "-9.99999999999999999999999"), -1);
	assert_int_equal(T(MERGE_OID_NUMERIC, "NaN", "1e1000"), 1);
	assert_int_equal(T(MERGE_OID_NUMERIC, "NaN", "Infinity"), 1);
	assert_int_equal(T(MERGE_OID_NUMERIC, "NaN", "NaN"), 0);
	assert_int_equal(T(MERGE_OID_NUMERIC, "-Infinity", "-99999999999999999999"), -1);
	assert_int_equal(
	        T(MERGE_OID_NUMERIC, "123456789012345678901234567890.5", "123456789012345678901234567890.49"),
	        1);
	/* 1.50 vs -12345678.9 vs NaN vs Infinity in numeric_send format */
	assert_int_equal(B(MERGE_OID_NUMERIC, "\x00\x02\x00\x00\x00\x00\x00\x02\x00\x01\x13\x88",
	                   "\x00\x03\x00\x01\x40\x00\x00\x01\x04\xd2\x16\x2e\x23\x28"),
	                 1);
	assert_int_equal(
	        B(MERGE_OID_NUMERIC, "\x00\x00\x00\x00\xc0\x00\x00\x00", "\x00\x00\x00\x00\xd0\x00\x00\x20"),
	        1);
	assert_int_equal(
	        B(MERGE_OID_NUMERIC, "\x00\x00\x00\x00\x00\x00\x00\x00", "\x00\x00\x00\x00\x00\x00\x00\x03"),
	        0);
	assert_int_equal(RC(MERGE_OID_NUMERIC, 0, "1.2.3", "1"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_NUMERIC, 1, "\x00\x01", "1"), SG_EPROTO);
}

static void test_floats(void **state)
{
	assert_int_equal(T(MERGE_OID_FLOAT8, "NaN", "NaN"), 0);
	assert_int_equal(T(MERGE_OID_FLOAT8, "NaN", "Infinity"), 1);
	assert_int_equal(T(MERGE_OID_FLOAT8, "-Infinity", "-1e+308"), -1);
	assert_int_equal(T(MERGE_OID_FLOAT8, "1e-05", "0.0001"), -1);
	assert_int_equal(T(MERGE_OID_FLOAT8, "-0", "0"), 0);
	assert_int_equal(T(MERGE_OID_FLOAT8, "0.30000000000000004", "0.3"), 1);
	assert_int_equal(T(MERGE_OID_FLOAT4, "0.1", "0.1"), 0);
	assert_int_equal(T(MERGE_OID_FLOAT4, "1.0000001", "1"), 1);
	assert_int_equal(T(MERGE_OID_FLOAT4, "NaN", "3.4028235e+38"), 1);
	/* float8 1.5 = 3ff8000000000000, -2 = c000000000000000, NaN 7ff8... */
	assert_int_equal(
	        B(MERGE_OID_FLOAT8, "\x3f\xf8\x00\x00\x00\x00\x00\x00", "\xc0\x00\x00\x00\x00\x00\x00\x00"),
	        1);
	assert_int_equal(
	        B(MERGE_OID_FLOAT8, "\x7f\xf8\x00\x00\x00\x00\x00\x00", "\x7f\xf0\x00\x00\x00\x00\x00\x00"),
	        1);
	assert_int_equal(
	        B(MERGE_OID_FLOAT8, "\x7f\xf8\x00\x00\x00\x00\x00\x00", "\xff\xf8\x00\x00\x00\x00\x00\x01"),
	        0);
	assert_int_equal(B(MERGE_OID_FLOAT4, "\x3f\xc0\x00\x00", "\x40\x00\x00\x00"), -1); /* 1.5 < 2 */
	assert_int_equal(B(MERGE_OID_FLOAT4, "\x80\x00\x00\x00", "\x00\x00\x00\x00"), 0);  /* -0 = 0 */
	assert_int_equal(RC(MERGE_OID_FLOAT8, 0, "1.5x", "1"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_FLOAT8, 0, "", "1"), SG_EPROTO);
}

static void test_bool(void **state)
{
	assert_int_equal(T(MERGE_OID_BOOL, "f", "t"), -1);
	assert_int_equal(T(MERGE_OID_BOOL, "t", "t"), 0);
	assert_int_equal(B(MERGE_OID_BOOL, "\x01", "\x00"), 1);
	assert_int_equal(RC(MERGE_OID_BOOL, 0, "x", "t"), SG_EPROTO);
}

static void test_text(void **state)
{
	merge_coll_t cutf8, posix, dflt;
	int res;
	char big1[600], big2[600];

	assert_int_equal(T(MERGE_OID_TEXT, "B", "a"), -1); /* byte order */
	assert_int_equal(T(MERGE_OID_TEXT, "ab", "abc"), -1);
	assert_int_equal(T(MERGE_OID_TEXT, "", ""), 0);
	assert_int_equal(T(MERGE_OID_VARCHAR, "z", "\xc3\xa9"), -1);
	assert_int_equal(T(MERGE_OID_NAME, "pg_class", "pg_attribute"), 1);
	/* bpchar ignores trailing spaces, in both formats */
	assert_int_equal(T(MERGE_OID_BPCHAR, "ab  ", "ab"), 0);
	assert_int_equal(B(MERGE_OID_BPCHAR, "ab ", "ab"), 0);
	assert_int_equal(T(MERGE_OID_BPCHAR, "a ", "a!"), -1);
	assert_int_equal(T(MERGE_OID_TEXT, "a ", "a"), 1);

	/* collations */
	assert_int_equal(merge_coll_open("C", NULL, &posix), 0);
	assert_true(posix.bytewise);
	assert_int_equal(merge_coll_open("POSIX", NULL, &posix), 0);
	assert_true(posix.bytewise);
	assert_int_equal(merge_coll_open("C.utf8", NULL, &cutf8), 0);
	assert_false(cutf8.bytewise);
	assert_true(cutf8.loc != (locale_t)0);
	assert_int_equal(merge_coll_open("default", &cutf8, &dflt), 0);
	assert_true(dflt.loc == cutf8.loc);
	assert_int_equal(merge_coll_open("C.utf8", NULL, &dflt), 0); /* cached */
	assert_true(dflt.loc == cutf8.loc);
	assert_int_equal(merge_coll_open("en-x-icu", NULL, &dflt), SG_ENOTSUP);
	assert_int_equal(merge_coll_open("no_SUCH_locale", NULL, &dflt), SG_ENOTSUP);
	assert_int_equal(rc_cmp_coll(MERGE_OID_TEXT, 0, &cutf8, "abc", 3, "abd", 3, &res), 0);
	assert_true(res < 0);
	assert_int_equal(rc_cmp_coll(MERGE_OID_TEXT, 0, &cutf8, "\xc3\xa9", 2, "z", 1, &res), 0);
	assert_true(res > 0);
	assert_int_equal(rc_cmp_coll(MERGE_OID_TEXT, 0, &cutf8, "same", 4, "same", 4, &res), 0);
	assert_int_equal(res, 0);
	/* long values take the heap path */
	memset(big1, 'x', sizeof(big1));
	memset(big2, 'x', sizeof(big2));
	big2[599] = 'y';
	assert_int_equal(rc_cmp_coll(MERGE_OID_TEXT, 0, &cutf8, big1, sizeof(big1), big2, sizeof(big2), &res),
	                 0);
	assert_true(res < 0);
	assert_int_equal(rc_cmp_coll(MERGE_OID_TEXT, 0, &cutf8, big1, 300, big2, 599, &res), 0);
	assert_true(res < 0);
	merge_collations_free();
}

static void test_bytes(void **state)
{
	assert_int_equal(B(MERGE_OID_BYTEA, "\x00\xff", "\x01"), -1);
	assert_int_equal(B(MERGE_OID_BYTEA, "\x01", "\x01\x00"), -1);
	assert_int_equal(B(MERGE_OID_BYTEA, "", ""), 0);
	assert_int_equal(T(MERGE_OID_BYTEA, "\\x00ff", "\\x01"), -1);
	assert_int_equal(T(MERGE_OID_BYTEA, "\\x", "\\x00"), -1);
	assert_int_equal(T(MERGE_OID_BYTEA, "\\xFF", "\\xff"), 0);
	assert_int_equal(T(MERGE_OID_BYTEA, "\\x0a", "\\x09ff"), 1);
	assert_int_equal(RC(MERGE_OID_BYTEA, 0, "abc", "\\x00"), SG_ENOTSUP); /* escape format */
	assert_int_equal(RC(MERGE_OID_BYTEA, 0, "\\x0", "\\x00"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_BYTEA, 0, "\\xzz", "\\x00"), SG_EPROTO);

	assert_int_equal(T(MERGE_OID_UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	                   "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
	                 0);
	assert_int_equal(T(MERGE_OID_UUID, "00000000-0000-0000-0000-000000000001",
	                   "10000000-0000-0000-0000-000000000000"),
	                 -1);
	assert_int_equal(B(MERGE_OID_UUID, "\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	                   "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
	                 1);
	assert_int_equal(RC(MERGE_OID_UUID, 0, "a0eebc99", "a0eebc99"), SG_EPROTO);
}

static void test_dates(void **state)
{
	assert_int_equal(T(MERGE_OID_DATE, "2024-02-29", "2024-03-01"), -1);
	assert_int_equal(T(MERGE_OID_DATE, "0044-03-15 BC", "0001-01-01"), -1);
	assert_int_equal(T(MERGE_OID_DATE, "0044-03-15 BC", "0043-03-15 BC"), -1);
	assert_int_equal(T(MERGE_OID_DATE, "0001-12-31 BC", "0001-01-01"), -1);
	assert_int_equal(T(MERGE_OID_DATE, "10000-01-01", "9999-12-31"), 1);
	assert_int_equal(T(MERGE_OID_DATE, "infinity", "10000-01-01"), 1);
	assert_int_equal(T(MERGE_OID_DATE, "-infinity", "0044-03-15 BC"), -1);
	assert_int_equal(T(MERGE_OID_DATE, "infinity", "infinity"), 0);
	/* binary: days since 2000-01-01 (psql: 2024-02-29 is 8825, 0044-03-15 BC is -746117) */
	assert_int_equal(B(MERGE_OID_DATE, "\x00\x00\x22\x79", "\xff\xf4\x9d\x7b"), 1);
	assert_int_equal(B(MERGE_OID_DATE, "\x7f\xff\xff\xff", "\x00\x00\x22\x79"), 1);
	assert_int_equal(B(MERGE_OID_DATE, "\x80\x00\x00\x00", "\xff\xf4\x9d\x7b"), -1);
	assert_int_equal(RC(MERGE_OID_DATE, 0, "01/15/2024", "2024-01-15"), SG_ENOTSUP); /* DateStyle SQL */
	assert_int_equal(RC(MERGE_OID_DATE, 0, "15.01.2024", "2024-01-15"), SG_ENOTSUP); /* German */
	assert_int_equal(RC(MERGE_OID_DATE, 0, "2023-02-29", "2024-01-15"), SG_EPROTO);
	assert_int_equal(RC(MERGE_OID_DATE, 1, "\x00\x00\x01", "\x00\x00\x00\x01"), SG_EPROTO);

	assert_int_equal(T(MERGE_OID_TIMESTAMP, "2024-01-15 10:20:30.123456", "2024-01-15 10:20:30.12345"),
	                 1);
	assert_int_equal(T(MERGE_OID_TIMESTAMP, "2024-01-15 10:20:30.5", "2024-01-15 10:20:30.50"), 0);
	assert_int_equal(T(MERGE_OID_TIMESTAMP, "1999-12-31 23:59:59.999999", "2000-01-01 00:00:00"), -1);
	assert_int_equal(T(MERGE_OID_TIMESTAMP, "0044-03-15 12:00:00 BC", "0044-03-15 11:00:00 BC"), 1);
	assert_int_equal(T(MERGE_OID_TIMESTAMP, "infinity", "294276-12-31 23:59:59"), 1);
	assert_int_equal(RC(MERGE_OID_TIMESTAMP, 0, "Mon Jan 15 10:20:30 2024", "2024-01-15 10:20:30"),
	                 SG_ENOTSUP);
	assert_int_equal(RC(MERGE_OID_TIMESTAMP, 0, "2024-01-15 10:20:30+01", "2024-01-15 10:20:30"),
	                 SG_ENOTSUP);
	/* binary: psql timestamp_send('2024-01-15 10:20:30.123456') and '1999-12-31 23:59:59.999999' */
	assert_int_equal(B(MERGE_OID_TIMESTAMP, "\x00\x02\xb1\xf8\x21\xc7\x19\xc0",
	                   "\xff\xff\xff\xff\xff\xff\xff\xff"),
	                 1);

	/* timestamptz: offsets applied; LMT offsets with seconds; BC after the zone */
	assert_int_equal(T(MERGE_OID_TIMESTAMPTZ, "2024-01-15 10:20:30.5+01", "2024-01-15 09:20:30.5+00"), 0);
	assert_int_equal(T(MERGE_OID_TIMESTAMPTZ, "2024-01-15 10:00:00+05:30", "2024-01-15 05:00:00+00"), -1);
	assert_int_equal(T(MERGE_OID_TIMESTAMPTZ, "2024-01-15 00:00:00-08", "2024-01-15 07:59:59+00"), 1);
	assert_int_equal(T(MERGE_OID_TIMESTAMPTZ, "1900-01-01 00:09:21+00:09:21", "1900-01-01 00:00:00+00"),
	                 0);
	assert_int_equal(
	        T(MERGE_OID_TIMESTAMPTZ, "0044-03-15 12:09:21+00:09:21 BC", "0044-03-15 12:00:00+00 BC"), 0);
	assert_int_equal(T(MERGE_OID_TIMESTAMPTZ, "-infinity", "0044-03-15 12:00:00+00 BC"), -1);
	assert_int_equal(RC(MERGE_OID_TIMESTAMPTZ, 0, "2024-01-15 10:20:30", "2024-01-15 10:20:30+00"),
	                 SG_ENOTSUP);
	/* binary: psql timestamptz_send of the two values above */
	assert_int_equal(B(MERGE_OID_TIMESTAMPTZ, "\x00\x02\xb1\xf7\x4b\x39\x34\xa0",
	                   "\x00\x00\x00\x00\x00\x00\x00\x00"),
	                 1);
	assert_int_equal(B(MERGE_OID_TIMESTAMPTZ, "\xff\x1a\xf9\xe8\xfb\x46\xd0\x00",
	                   "\xff\xf4\xc9\xee\x7c\x0b\x80\x00"),
	                 -1);

	assert_int_equal(T(MERGE_OID_TIME, "10:20:30", "09:59:59.999999"), 1);
	assert_int_equal(T(MERGE_OID_TIME, "24:00:00", "23:59:59.999999"), 1);
	assert_int_equal(T(MERGE_OID_TIME, "00:00:00.1", "00:00:00.100000"), 0);
	assert_int_equal(
	        B(MERGE_OID_TIME, "\x00\x00\x00\x00\x00\x00\x00\x02", "\x00\x00\x00\x00\x00\x00\x00\x01"), 1);
	assert_int_equal(RC(MERGE_OID_TIME, 0, "10:20", "10:20:00"), SG_ENOTSUP);
}

static void test_orderable(void **state)
{
	static const uint32_t yes[] = {16,  17,   19,   20,   21,   23,   25,   26,   700,
	                               701, 1042, 1043, 1082, 1083, 1114, 1184, 1700, 2950};
	static const uint32_t no[] = {114, 3802, 790, 1186, 1266, 600, 869, 0};
	int res;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(merge_type_orderable(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(merge_type_orderable(no[i]));
	assert_int_equal(rc_cmp_coll(114, 0, &C_COLL, "{}", 2, "[]", 2, &res), SG_ENOTSUP);
}

static int ct(uint32_t oid, int16_t fmt, const void *v, size_t len, const char *constant)
{
	merge_type_t t = {oid, fmt, C_COLL};
	uint8_t *x = malloc(len ? len : 1);
	int res = 99, rc;

	memcpy(x, v, len);
	rc = merge_value_cmp_text(&t, x, (int32_t)len, constant, &res);
	free(x);
	if (rc)
		return rc * 10;
	return res < 0 ? -1 : res > 0;
}

#define CT(oid, v, c)  ct((oid), 0, (v), strlen(v), (c))
#define CTB(oid, v, c) ct((oid), 1, (v), sizeof(v) - 1, (c))

static void test_cmp_text(void **state)
{
	assert_int_equal(CT(MERGE_OID_INT8, "3", "2.5"), 1);
	assert_int_equal(CT(MERGE_OID_INT8, "2", "2.5"), -1);
	assert_int_equal(CT(MERGE_OID_INT8, "2", "2.000"), 0);
	assert_int_equal(CT(MERGE_OID_INT4, "-3", "-2"), -1);
	assert_int_equal(CTB(MERGE_OID_INT8, "\xff\xff\xff\xff\xff\xff\xff\xff", "-1"), 0);
	assert_int_equal(CTB(MERGE_OID_INT2, "\x00\x0a", "9.9999999999999999999999"), 1);
	assert_int_equal(CT(MERGE_OID_NUMERIC, "1.50", "1.5"), 0);
	assert_int_equal(CT(MERGE_OID_NUMERIC, "1.6666666666666667", "1.6666666666666666"), 1);
	assert_int_equal(CT(MERGE_OID_NUMERIC, "NaN", "1e300"), 1);
	assert_int_equal(CT(MERGE_OID_FLOAT8, "0.1", "0.1"), 0);
	assert_int_equal(CT(MERGE_OID_FLOAT8, "1e+20", "100000000000000000000"), 0);
	assert_int_equal(CTB(MERGE_OID_FLOAT4, "\x3d\xcc\xcc\xcd", "0.1"), 1); /* 0.1f promoted > 0.1 */
	assert_int_equal(CT(MERGE_OID_FLOAT4, "0.1", "0.1"), 1);
	assert_int_equal(CT(MERGE_OID_TEXT, "europe", "europe"), 0);
	assert_int_equal(CT(MERGE_OID_TEXT, "asia", "europe"), -1);
	assert_int_equal(CT(MERGE_OID_BPCHAR, "eu  ", "eu"), 0);
	assert_int_equal(CT(MERGE_OID_BOOL, "t", "true"), 0);
	assert_int_equal(CT(MERGE_OID_BOOL, "f", "TRUE"), -1);
	assert_int_equal(CTB(MERGE_OID_BOOL, "\x00", "false"), 0);
	assert_int_equal(CT(MERGE_OID_DATE, "2024-01-15", "2024-01-01"), 1);
	assert_int_equal(CT(MERGE_OID_TIMESTAMP, "2024-01-01 00:00:00", "2024-01-01"), 0);
	assert_int_equal(CT(MERGE_OID_TIMESTAMPTZ, "2024-01-01 01:00:00+01", "2024-01-01 00:00:00+00"), 0);
	assert_int_equal(CT(MERGE_OID_TIMESTAMPTZ, "2024-01-01 01:00:00+01", "2024-01-01"), SG_ENOTSUP * 10);
	assert_int_equal(CT(MERGE_OID_UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	                    "A0EEBC999C0B4EF8BB6D6BB9BD380A11"),
	                 0);
	assert_int_equal(CT(MERGE_OID_BYTEA, "\\x0102", "\\x0103"), -1);
	assert_int_equal(CT(MERGE_OID_INT8, "3", "abc"), SG_EPROTO * 10);
	assert_int_equal(CT(114, "{}", "{}"), SG_ENOTSUP * 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_integers), cmocka_unit_test(test_numeric),
	        cmocka_unit_test(test_floats),   cmocka_unit_test(test_bool),
	        cmocka_unit_test(test_text),     cmocka_unit_test(test_bytes),
	        cmocka_unit_test(test_dates),    cmocka_unit_test(test_orderable),
	        cmocka_unit_test(test_cmp_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
