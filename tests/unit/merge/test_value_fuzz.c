/* test_value_fuzz.c — inputs found by fuzz/fuzz_merge.c that broke the
 * value decoders, kept as regressions (ASan is on in unit tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

/* Compares two text floats, each in an exact-size heap block. */
static int cmp_float_text(uint32_t oid, const char *a, const char *b, int *res)
{
	merge_type_t t = {.oid = oid, .format = 0, .coll = {.bytewise = true}};
	size_t alen = strlen(a), blen = strlen(b);
	uint8_t *x = malloc(alen), *y = malloc(blen);
	int rc;

	assert_non_null(x);
	assert_non_null(y);
	memcpy(x, a, alen);
	memcpy(y, b, blen);
	rc = merge_value_cmp(&t, x, (int32_t)alen, y, (int32_t)blen, res);
	free(x);
	free(y);
	return rc;
}

/* A float text of 64 bytes or more is parsed from a heap copy; the check
 * for trailing garbage read that copy after freeing it. */
static void test_long_float_text(void **state)
{
	char big[128], junk[160];
	int res = 7;

	(void)state;
	/* "1.5" and 80 trailing spaces: valid, like float8in */
	snprintf(big, sizeof(big), "1.5%80s", "");
	assert_int_equal(cmp_float_text(MERGE_OID_FLOAT8, big, "1.5", &res), 0);
	assert_int_equal(res, 0);
	assert_int_equal(cmp_float_text(MERGE_OID_FLOAT4, big, "2", &res), 0);
	assert_true(res < 0);
	/* 0.000...0001 with 70 zeros: a long but whole number */
	snprintf(big, sizeof(big), "0.%070d1", 0);
	assert_int_equal(cmp_float_text(MERGE_OID_FLOAT8, big, "0", &res), 0);
	assert_true(res > 0);
	/* trailing garbage after 70 digits is refused */
	snprintf(junk, sizeof(junk), "%s x", big);
	assert_int_equal(cmp_float_text(MERGE_OID_FLOAT8, junk, "0", &res), SG_EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_long_float_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
