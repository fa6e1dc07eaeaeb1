/* test_wire_edit.c — the codec's writers that build one message from
 * another's parts (test_wire.c holds the rest of the codec): Bind with
 * text parameters (a simple Query run as a kept statement) and an
 * ErrorResponse edited for the client (statement names, positions). Frame
 * bodies are exact-size heap copies, so ASan sees any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

/* The one message in b as a frame over a heap copy (free *copy). */
static void frame_of(const wbuf_t *b, wire_frame_t *f, uint8_t **copy)
{
	*copy = malloc(b->len);
	assert_non_null(*copy);
	memcpy(*copy, b->data, b->len);
	assert_int_equal(wire_frame_read(*copy, b->len, 1u << 20, f), 0);
	assert_int_equal(f->total_len, b->len);
}

static void test_bind_text(void **state)
{
	const char *vals[3] = {"42", "-7", "1.50"};
	wire_bind_msg_t m;
	wire_frame_t f;
	const uint8_t *v;
	int32_t len;
	int16_t fmt;
	uint8_t *copy;
	wbuf_t b;

	(void)state;
	wbuf_init(&b);
	assert_int_equal(wire_write_bind_text(&b, "", "sg_0123456789abcdef", 3, vals), 0);
	frame_of(&b, &f, &copy);
	assert_int_equal(f.type, 'B');
	assert_int_equal(wire_bind_parse(&f, &m), 0);
	assert_string_equal(m.portal, "");
	assert_string_equal(m.stmt, "sg_0123456789abcdef");
	assert_int_equal(m.nformats, 0);
	assert_int_equal(m.nparams, 3);
	assert_int_equal(m.nresult_formats, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wire_bind_param(&m, i, &v, &len, &fmt), 0);
		assert_int_equal(len, (int32_t)strlen(vals[i]));
		assert_memory_equal(v, vals[i], (size_t)len);
		assert_int_equal(fmt, 0);
	}
	free(copy);
	/* no parameters at all */
	wbuf_reset(&b);
	assert_int_equal(wire_write_bind_text(&b, "p", "s", 0, NULL), 0);
	frame_of(&b, &f, &copy);
	assert_int_equal(wire_bind_parse(&f, &m), 0);
	assert_int_equal(m.nparams, 0);
	free(copy);
	/* appending keeps what was there */
	assert_int_equal(wire_write_sync(&b), 0);
	assert_int_equal(b.data[b.len - 5], 'S');
	wbuf_free(&b);
}

/* Statement names replaced in message and detail only; the position
 * replaced when asked; every other field byte for byte. */
static void test_error_edit(void **state)
{
	static const char body[] =
	        "SERROR\0VERROR\0C08P01\0"
	        "Mbind message supplies 1 parameters, but prepared statement \"sg_00000000000000ab\" "
	        "requires 2\0Dsee \"sg_00000000000000ab\"\0Hkeep \"sg_00000000000000ab\"\0P12\0\0";
	wire_frame_t in = {.type = 'E', .body_len = sizeof(body) - 1}, out;
	wire_error_t e;
	uint8_t *copy, *bodycopy = malloc(sizeof(body) - 1);
	wbuf_t b;

	(void)state;
	assert_non_null(bodycopy);
	memcpy(bodycopy, body, sizeof(body) - 1);
	in.body = bodycopy;
	wbuf_init(&b);
	assert_int_equal(wire_write_error_edit(&b, &in, "\"sg_00000000000000ab\"", "\"mine\"", 0), 0);
	frame_of(&b, &out, &copy);
	assert_int_equal(wire_error_parse(&out, &e), 0);
	assert_string_equal(e.severity, "ERROR");
	assert_string_equal(e.sqlstate, "08P01");
	assert_string_equal(e.message,
	                    "bind message supplies 1 parameters, but prepared statement \"mine\" requires 2");
	assert_string_equal(e.detail, "see \"mine\"");
	assert_string_equal(e.hint, "keep \"sg_00000000000000ab\"");
	assert_string_equal(e.position, "12");
	free(copy);

	wbuf_reset(&b);
	assert_int_equal(wire_write_error_edit(&b, &in, NULL, NULL, 345), 0);
	frame_of(&b, &out, &copy);
	assert_int_equal(wire_error_parse(&out, &e), 0);
	assert_string_equal(e.position, "345");
	assert_non_null(strstr(e.message, "sg_00000000000000ab"));
	free(copy);

	/* malformed input, or nothing to find: refused */
	wbuf_reset(&b);
	assert_int_equal(wire_write_error_edit(&b, &in, "", "x", 0), SG_EPROTO);
	in.body_len -= 1; /* no terminating zero byte */
	wbuf_reset(&b);
	assert_int_equal(wire_write_error_edit(&b, &in, NULL, NULL, 3), SG_EPROTO);
	in.body_len += 1;
	in.type = 'Z';
	assert_int_equal(wire_write_error_edit(&b, &in, NULL, NULL, 3), SG_EPROTO);
	wbuf_free(&b);
	free(bodycopy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bind_text),
	        cmocka_unit_test(test_error_edit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
