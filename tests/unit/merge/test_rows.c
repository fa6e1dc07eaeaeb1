/* test_rows.c — RowDescription/DataRow codec: exact bytes, round trips,
 * every truncation refused, names longer than 63 bytes refused. Bodies
 * are exact-size heap copies so ASan catches any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

static int parse_desc(uint8_t type, const uint8_t *body, size_t len, merge_field_t *f, int max, int *n)
{
	uint8_t *copy = malloc(len ? len : 1);
	wire_frame_t fr = {
	        .type = type, .body = copy, .body_len = (uint32_t)len, .total_len = (uint32_t)len + 5};
	int rc;

	memcpy(copy, body, len);
	rc = merge_row_desc_parse(&fr, f, max, n);
	free(copy);
	return rc;
}

static int parse_row(uint8_t type, const uint8_t *body, size_t len, int n, const uint8_t **v, int32_t *l)
{
	uint8_t *copy = malloc(len ? len : 1);
	wire_frame_t fr = {
	        .type = type, .body = copy, .body_len = (uint32_t)len, .total_len = (uint32_t)len + 5};
	int rc;

	memcpy(copy, body, len);
	rc = merge_data_row_parse(&fr, n, v, l);
	free(copy);
	return rc;
}

static void test_row_desc(void **state)
{
	merge_field_t in[2], out[4];
	wbuf_t b;
	int n = -1;
	/* T, length 4 + 2 + (2 + 18) + (4 + 18) = 48 */
	static const uint8_t exp[] =
	        "T\x00\x00\x00\x30\x00\x02"
	        "a\x00\x00\x00\x40\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"
	        "sum\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\xa4\xff\xff\x00\x0a\x00\x14\x00\x01";

	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	strcpy(in[0].name, "a");
	in[0].table_oid = 16384;
	in[0].attnum = 1;
	in[0].type_oid = 23;
	in[0].typlen = 4;
	in[0].typmod = -1;
	strcpy(in[1].name, "sum");
	in[1].type_oid = 1700;
	in[1].typlen = -1;
	in[1].typmod = 0x000a0014;
	in[1].format = 1;
	wbuf_init(&b);
	assert_int_equal(merge_row_desc_write(&b, in, 2), 0);
	assert_int_equal(b.len, sizeof(exp) - 1);
	assert_memory_equal(b.data, exp, b.len);
	assert_int_equal(parse_desc('T', b.data + 5, b.len - 5, out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(&out[0], &in[0], sizeof(in[0]));
	assert_memory_equal(&out[1], &in[1], sizeof(in[1]));
	/* every truncation, trailing garbage, too many fields, wrong type, bad format */
	for (size_t k = 0; k < b.len - 5; k++)
		assert_int_equal(parse_desc('T', b.data + 5, k, out, 4, &n), SG_EPROTO);
	wbuf_put_u8(&b, 0);
	assert_int_equal(parse_desc('T', b.data + 5, b.len - 5, out, 4, &n), SG_EPROTO);
	assert_int_equal(parse_desc('T', b.data + 5, b.len - 6, out, 1, &n), SG_EPROTO);
	assert_int_equal(parse_desc('D', b.data + 5, b.len - 6, out, 4, &n), SG_EPROTO);
	b.data[b.len - 2] = 2; /* format 2 */
	assert_int_equal(parse_desc('T', b.data + 5, b.len - 6, out, 4, &n), SG_EPROTO);
	assert_int_equal(parse_desc('T', (const uint8_t *)"\xff\xff", 2, out, 4, &n), SG_EPROTO);
	assert_int_equal(parse_desc('T', (const uint8_t *)"\x00\x00", 2, out, 4, &n), 0);
	assert_int_equal(n, 0);
	wbuf_free(&b);

	/* names: 63 bytes fit, 64 are refused rather than truncated */
	uint8_t body[200];
	size_t len;

	for (int nl = 63; nl <= 64; nl++) {
		len = 0;
		body[len++] = 0;
		body[len++] = 1;
		memset(body + len, 'n', (size_t)nl);
		len += (size_t)nl;
		body[len++] = 0;
		memset(body + len, 0, 18);
		len += 18;
		assert_int_equal(parse_desc('T', body, len, out, 4, &n), nl == 63 ? 0 : SG_EPROTO);
	}
	assert_int_equal(strlen(out[0].name), 63);
}

static void test_data_row(void **state)
{
	const uint8_t *vals[3] = {(const uint8_t *)"42", NULL, (const uint8_t *)""};
	int32_t lens[3] = {2, -1, 0};
	const uint8_t *v[3];
	int32_t l[3];
	wbuf_t b;
	static const uint8_t exp[] = "D\x00\x00\x00\x14\x00\x03\x00\x00\x00\x02"
	                             "42\xff\xff\xff\xff\x00\x00\x00\x00";

	wbuf_init(&b);
	assert_int_equal(merge_data_row_write(&b, 3, vals, lens), 0);
	assert_int_equal(b.len, sizeof(exp) - 1);
	assert_memory_equal(b.data, exp, b.len);
	assert_int_equal(parse_row('D', b.data + 5, b.len - 5, 3, v, l), 0);
	assert_int_equal(l[0], 2);
	assert_int_equal(l[1], -1);
	assert_null(v[1]);
	assert_int_equal(l[2], 0);
	for (size_t k = 0; k < b.len - 5; k++)
		assert_int_equal(parse_row('D', b.data + 5, k, 3, v, l), SG_EPROTO);
	assert_int_equal(parse_row('D', b.data + 5, b.len - 5, 2, v, l), SG_EPROTO); /* count */
	assert_int_equal(parse_row('T', b.data + 5, b.len - 5, 3, v, l), SG_EPROTO);
	/* length -2, length past the end */
	assert_int_equal(parse_row('D', (const uint8_t *)"\x00\x01\xff\xff\xff\xfe", 6, 1, v, l), SG_EPROTO);
	assert_int_equal(parse_row('D',
	                           (const uint8_t *)"\x00\x01\x7f\xff\xff\xff"
	                                            "ab",
	                           8, 1, v, l),
	                 SG_EPROTO);
	lens[0] = -2;
	assert_int_equal(merge_data_row_write(&b, 3, vals, lens), SG_ERANGE);
	wbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_row_desc),
	        cmocka_unit_test(test_data_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
