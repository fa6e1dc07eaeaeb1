/* test_wire.c — the wire codec: every writer is framed and parsed back,
 * every prefix of a message is incomplete or malformed, and malformed
 * input is refused with the right code. Bodies handed to parsers are
 * copied into exact-size heap blocks so ASan sees any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

#define MAXLEN (1u << 20)

typedef int (*parse_fn)(const wire_frame_t *f);

/* Literal comparisons: a string literal of the expected bytes, without
 * its implicit trailing NUL. */
#define ASSERT_BYTES(b, lit) assert_bytes((b), (const uint8_t *)(lit), sizeof(lit) - 1)

static void assert_bytes(const wbuf_t *b, const uint8_t *exp, size_t n)
{
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, exp, n);
}

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* ---- parser adapters: one signature so tables and loops can use them ---- */

static int p_query(const wire_frame_t *f)
{
	const char *s;
	return wire_query_parse(f, &s);
}

static int p_parse(const wire_frame_t *f)
{
	wire_parse_msg_t m;
	return wire_parse_parse(f, &m);
}

/* Also checks the one-pass reader agrees with the one-at-a-time one. */
static int p_bind(const wire_frame_t *f)
{
	wire_bind_msg_t m;
	const uint8_t *v, **vals;
	int32_t len, *lens;
	int16_t fmt, *fmts;
	int rc = wire_bind_parse(f, &m);

	if (rc != 0)
		return rc;
	vals = calloc((size_t)m.nparams + 1, sizeof(*vals));
	lens = calloc((size_t)m.nparams + 1, sizeof(*lens));
	fmts = calloc((size_t)m.nparams + 1, sizeof(*fmts));
	assert_true(vals && lens && fmts);
	assert_int_equal(wire_bind_params_all(&m, vals, lens, fmts), 0);
	for (int i = 0; i < m.nparams; i++) {
		assert_int_equal(wire_bind_param(&m, i, &v, &len, &fmt), 0);
		assert_ptr_equal(vals[i], v);
		assert_int_equal(lens[i], len);
		assert_int_equal(fmts[i], fmt);
	}
	free(vals);
	free(lens);
	free(fmts);
	return 0;
}

static int p_target(const wire_frame_t *f)
{
	wire_target_msg_t m;
	return wire_target_parse(f, &m);
}

static int p_execute(const wire_frame_t *f)
{
	const char *portal;
	int32_t n;
	return wire_execute_parse(f, &portal, &n);
}

static int p_password(const wire_frame_t *f)
{
	const char *pw;
	return wire_password_parse(f, &pw);
}

static int p_sasl_initial(const wire_frame_t *f)
{
	const char *mech;
	const uint8_t *d;
	size_t n;
	return wire_sasl_initial_parse(f, &mech, &d, &n);
}

static int p_sasl_response(const wire_frame_t *f)
{
	const uint8_t *d;
	size_t n;
	return wire_sasl_response_parse(f, &d, &n);
}

static int p_auth(const wire_frame_t *f)
{
	wire_auth_t a;
	int rc = wire_auth_parse(f, &a);

	if (rc == 0)
		(void)wire_auth_sasl_has(&a, "SCRAM-SHA-256");
	return rc;
}

static int p_param_status(const wire_frame_t *f)
{
	const char *n, *v;
	return wire_param_status_parse(f, &n, &v);
}

static int p_backend_key(const wire_frame_t *f)
{
	int32_t pid, key;
	return wire_backend_key_parse(f, &pid, &key);
}

static int p_ready(const wire_frame_t *f)
{
	char s;
	return wire_ready_parse(f, &s);
}

static int p_error(const wire_frame_t *f)
{
	wire_error_t e;
	return wire_error_parse(f, &e);
}

static int p_command_complete(const wire_frame_t *f)
{
	const char *tag;
	return wire_command_complete_parse(f, &tag);
}

static int p_startup(const wire_frame_t *f)
{
	wire_startup_t s;
	int rc = wire_startup_parse(f, &s);

	if (rc == 0)
		(void)wire_startup_get(&s, "database");
	return rc;
}

/* ---- round-trip helpers ---- */

/* Frames the single message in b, checks every strict prefix is reported
 * incomplete, and (if bodies_fail) that every truncated body is
 * malformed for `parse`. Leaves the full frame in *f. */
static void check_typed(const wbuf_t *b, parse_fn parse, bool bodies_fail, wire_frame_t *f)
{
	wire_frame_t t;
	uint8_t *cp;

	assert_int_equal(wire_frame_read(b->data, b->len, MAXLEN, f), 0);
	assert_int_equal(f->total_len, b->len);
	assert_int_equal(f->body_len, b->len - 5);
	assert_ptr_equal(f->body, b->data + 5);
	assert_int_equal(f->type, b->data[0]);
	for (size_t k = 0; k < b->len; k++) {
		cp = dup_exact(b->data, k);
		assert_int_equal(wire_frame_read(cp, k, MAXLEN, &t), SG_EAGAIN);
		assert_int_equal(t.total_len, k >= 5 ? b->len : 0);
		free(cp);
	}
	if (parse == NULL)
		return;
	cp = dup_exact(f->body, f->body_len);
	t = *f;
	t.body = cp;
	assert_int_equal(parse(&t), 0);
	free(cp);
	for (uint32_t k = 0; bodies_fail && k < f->body_len; k++) {
		cp = dup_exact(f->body, k);
		t.body = cp;
		t.body_len = k;
		t.total_len = k + 5;
		assert_int_equal(parse(&t), SG_EPROTO);
		free(cp);
	}
}

static void check_startup(const wbuf_t *b, wire_frame_t *f)
{
	wire_frame_t t;
	uint8_t *cp;

	assert_int_equal(wire_startup_frame_read(b->data, b->len, f), 0);
	assert_int_equal(f->type, 0);
	assert_int_equal(f->total_len, b->len);
	assert_int_equal(f->body_len, b->len - 4);
	for (size_t k = 0; k < b->len; k++) {
		cp = dup_exact(b->data, k);
		assert_int_equal(wire_startup_frame_read(cp, k, &t), SG_EAGAIN);
		assert_int_equal(t.total_len, k >= 4 ? b->len : 0);
		free(cp);
	}
	for (uint32_t k = 0; k < f->body_len; k++) {
		cp = dup_exact(f->body, k);
		t = *f;
		t.body = cp;
		t.body_len = k;
		assert_int_equal(p_startup(&t), SG_EPROTO);
		free(cp);
	}
}

/* Wraps a hand-written body into a typed message. */
static void put_msg(wbuf_t *b, uint8_t type, const void *body, size_t n)
{
	size_t mark = wbuf_msg_begin(b, type);

	wbuf_put(b, body, n);
	wbuf_msg_end(b, mark);
	assert_int_equal(wbuf_status(b), 0);
}

/* Runs parse over a hand-written body (exact heap copy). */
static int parse_body(parse_fn parse, uint8_t type, const void *body, size_t n)
{
	uint8_t *cp = dup_exact(body, n);
	wire_frame_t f = {.type = type, .body = cp, .body_len = (uint32_t)n, .total_len = (uint32_t)n + 5};
	int rc = parse(&f);

	free(cp);
	return rc;
}

#define PARSE_LIT(fn, type, lit) parse_body((fn), (type), (lit), sizeof(lit) - 1)

/* ---- bounded reader ---- */

static void test_rd(void **state)
{
	static const uint8_t buf[] = {0x81, 0xff, 0xfe, 0x80, 0, 0, 1, 'a', 'b', 0, 'c'};
	wire_rd_t rd;

	wire_rd_init(&rd, buf, sizeof(buf));
	assert_int_equal(wire_rd_u8(&rd), 0x81);
	assert_int_equal(wire_rd_i16(&rd), -2);
	assert_int_equal(wire_rd_i32(&rd), (int32_t)0x80000001);
	assert_string_equal(wire_rd_cstr(&rd), "ab");
	assert_ptr_equal(wire_rd_bytes(&rd, 0), buf + 10);
	assert_int_equal(rd.err, 0);
	assert_int_equal(rd.left, 1);
	/* "c" has no NUL: error, and it sticks */
	assert_null(wire_rd_cstr(&rd));
	assert_int_equal(rd.err, SG_EPROTO);
	assert_int_equal(wire_rd_u8(&rd), 0);
	assert_null(wire_rd_bytes(&rd, 0));

	wire_rd_init(&rd, buf, 3);
	assert_int_equal(wire_rd_i32(&rd), 0);
	assert_int_equal(rd.err, SG_EPROTO);
	wire_rd_init(&rd, buf, 3);
	assert_null(wire_rd_bytes(&rd, 4));
	assert_int_equal(rd.left, 3);
	wire_rd_init(&rd, buf, 3);
	assert_ptr_equal(wire_rd_bytes(&rd, 3), buf);
	assert_int_equal(rd.left, 0);
	assert_int_equal(rd.err, 0);
	wire_rd_init(&rd, NULL, 0);
	assert_null(wire_rd_cstr(&rd));
	assert_int_equal(wire_rd_i16(&rd), 0);
	assert_int_equal(rd.err, SG_EPROTO);
}

/* ---- framing ---- */

static int frame_len(uint32_t len, uint32_t max, wire_frame_t *f)
{
	uint8_t h[5] = {'Q', (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
	return wire_frame_read(h, sizeof(h), max, f);
}

static void test_frame_lengths(void **state)
{
	static const uint8_t empty[] = {'S', 0, 0, 0, 4};
	wire_frame_t f;

	assert_int_equal(frame_len(0, MAXLEN, &f), SG_EPROTO);
	assert_int_equal(frame_len(3, MAXLEN, &f), SG_EPROTO);
	assert_int_equal(frame_len(0x80000000u, MAXLEN, &f), SG_ETOOBIG);
	assert_int_equal(frame_len(0xFFFFFFFFu, MAXLEN, &f), SG_ETOOBIG);
	/* even with no cap, lengths beyond int32 are refused */
	assert_int_equal(frame_len(0x80000000u, UINT32_MAX, &f), SG_ETOOBIG);
	assert_int_equal(frame_len(0xFFFFFFFFu, UINT32_MAX, &f), SG_ETOOBIG);
	assert_int_equal(frame_len(0x7FFFFFFFu, UINT32_MAX, &f), SG_EAGAIN);
	assert_int_equal(f.total_len, 0x80000000u);
	/* the cap applies to the length word */
	assert_int_equal(frame_len(1001, 1000, &f), SG_ETOOBIG);
	assert_int_equal(frame_len(1000, 1000, &f), SG_EAGAIN);
	assert_int_equal(f.total_len, 1001);
	assert_int_equal(f.body_len, 996);
	assert_null(f.body);

	assert_int_equal(wire_frame_read(empty, 4, MAXLEN, &f), SG_EAGAIN);
	assert_int_equal(f.total_len, 0);
	assert_int_equal(wire_frame_read(empty, 0, MAXLEN, &f), SG_EAGAIN);
	assert_int_equal(wire_frame_read(empty, 5, MAXLEN, &f), 0);
	assert_int_equal(f.type, 'S');
	assert_int_equal(f.body_len, 0);
	assert_int_equal(f.total_len, 5);
}

static void test_frame_two_messages(void **state)
{
	wbuf_t b;
	wire_frame_t f;
	const char *s;
	char st;

	wbuf_init(&b);
	assert_int_equal(wire_write_query(&b, "x"), 0);
	assert_int_equal(wire_write_ready(&b, 'T'), 0);
	assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
	assert_int_equal(f.total_len, 7);
	assert_int_equal(wire_query_parse(&f, &s), 0);
	assert_string_equal(s, "x");
	assert_int_equal(wire_frame_read(b.data + 7, b.len - 7, MAXLEN, &f), 0);
	assert_int_equal(wire_ready_parse(&f, &st), 0);
	assert_int_equal(st, 'T');
	wbuf_free(&b);
}

static int startup_len(uint32_t len, wire_frame_t *f)
{
	uint8_t h[8] = {
	        (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, 0, 3, 0, 0};
	return wire_startup_frame_read(h, sizeof(h), f);
}

static void test_startup_frame_lengths(void **state)
{
	wire_frame_t f;

	assert_int_equal(startup_len(0, &f), SG_EPROTO);
	assert_int_equal(startup_len(7, &f), SG_EPROTO);
	assert_int_equal(startup_len(10001, &f), SG_ETOOBIG);
	assert_int_equal(startup_len(0x80000000u, &f), SG_ETOOBIG);
	assert_int_equal(startup_len(0xFFFFFFFFu, &f), SG_ETOOBIG);
	assert_int_equal(startup_len(10000, &f), SG_EAGAIN);
	assert_int_equal(f.total_len, 10000);
	assert_int_equal(startup_len(8, &f), 0);
	assert_int_equal(f.body_len, 4);
	assert_int_equal(f.type, 0);
	assert_int_equal(wire_startup_frame_read((const uint8_t *)"\0\0\0", 3, &f), SG_EAGAIN);
	assert_int_equal(f.total_len, 0);
}

/* ---- startup phase ---- */

static void test_startup_roundtrip(void **state)
{
	static const char exp[] = "\0\0\0\x10"
	                          "\0\3\0\0"
	                          "user\0u\0"
	                          "\0";
	wire_param_t p[] = {{"user", "alice"}, {"database", "shop"}, {"application_name", ""}};
	wire_startup_t s;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_startup(&b, (wire_param_t[]){{"user", "u"}}, 1), 0);
	ASSERT_BYTES(&b, exp);
	check_startup(&b, &f);

	wbuf_reset(&b);
	assert_int_equal(wire_write_startup(&b, p, 3), 0);
	check_startup(&b, &f);
	assert_int_equal(wire_startup_parse(&f, &s), 0);
	assert_int_equal(s.code, WIRE_PROTO_V3);
	assert_int_equal(s.nparams, 3);
	assert_string_equal(s.params[1].name, "database");
	assert_string_equal(wire_startup_get(&s, "user"), "alice");
	assert_string_equal(wire_startup_get(&s, "database"), "shop");
	assert_string_equal(wire_startup_get(&s, "application_name"), "");
	assert_null(wire_startup_get(&s, "options"));
	/* borrowed from the buffer */
	assert_true((const uint8_t *)wire_startup_get(&s, "user") > b.data);
	assert_true((const uint8_t *)wire_startup_get(&s, "user") < b.data + b.len);
	wbuf_free(&b);
}

/* The packet built by the last startup_body() call: parsed strings borrow
 * from it, so it lives until the next call or startup_body_free(). */
static uint8_t *startup_pkt;

static void startup_body_free(void)
{
	free(startup_pkt);
	startup_pkt = NULL;
}

/* Builds a startup packet around an arbitrary body (code + params). */
static int startup_body(const void *body, size_t n, wire_startup_t *s)
{
	wbuf_t b;
	wire_frame_t f;
	size_t mark;
	int rc;

	startup_body_free();
	wbuf_init(&b);
	mark = wbuf_msg_begin(&b, 0);
	wbuf_put(&b, body, n);
	wbuf_msg_end(&b, mark);
	startup_pkt = dup_exact(b.data, b.len);
	rc = wire_startup_frame_read(startup_pkt, b.len, &f);
	if (rc == 0)
		rc = wire_startup_parse(&f, s);
	wbuf_free(&b);
	return rc;
}

#define STARTUP_LIT(lit, s) startup_body((lit), sizeof(lit) - 1, (s))

static void test_startup_errors(void **state)
{
	wire_startup_t s;
	wbuf_t b;
	char name[16];

	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0bob\0\0", &s), 0);
	assert_string_equal(wire_startup_get(&s, "user"), "bob");
	/* unterminated value, missing final NUL, name without value */
	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0bob", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0bob\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0bob\0database\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\0\3\0\0user", &s), SG_EPROTO);
	/* a byte after the terminator */
	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0bob\0\0x", &s), SG_EPROTO);
	/* user missing, empty, duplicated */
	assert_int_equal(STARTUP_LIT("\0\3\0\0database\0db\0\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\0\3\0\0\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0\0\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\0\3\0\0user\0a\0user\0b\0\0", &s), SG_EPROTO);
	/* other protocol majors; 3.x minors keep their code */
	assert_int_equal(STARTUP_LIT("\0\2\0\0user\0bob\0\0", &s), SG_ENOTSUP);
	assert_int_equal(STARTUP_LIT("\0\4\0\0user\0bob\0\0", &s), SG_ENOTSUP);
	assert_int_equal(STARTUP_LIT("\x04\xd2\x16\x31", &s), SG_ENOTSUP);
	assert_int_equal(STARTUP_LIT("\0\3\0\2user\0bob\0\0", &s), 0);
	assert_int_equal(s.code, 0x30002);

	/* WIRE_MAX_STARTUP_PARAMS pairs are fine, one more is too many */
	wbuf_init(&b);
	wbuf_put_i32(&b, WIRE_PROTO_V3);
	wbuf_put_cstr(&b, "user");
	wbuf_put_cstr(&b, "bob");
	for (int i = 1; i < WIRE_MAX_STARTUP_PARAMS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		wbuf_put_cstr(&b, name);
		wbuf_put_cstr(&b, "v");
	}
	wbuf_put_u8(&b, 0);
	assert_int_equal(startup_body(b.data, b.len, &s), 0);
	assert_int_equal(s.nparams, WIRE_MAX_STARTUP_PARAMS);
	assert_string_equal(wire_startup_get(&s, "p63"), "v");
	b.len--;
	wbuf_put_cstr(&b, "extra");
	wbuf_put_cstr(&b, "v");
	wbuf_put_u8(&b, 0);
	assert_int_equal(startup_body(b.data, b.len, &s), SG_ETOOBIG);
	wbuf_free(&b);
	startup_body_free();
}

static void test_startup_requests(void **state)
{
	static const uint8_t cancel[] = {0, 0, 0,    16,   0x04, 0xd2, 0x16, 0x2e,
	                                 0, 0, 0x30, 0x39, 0xff, 0xff, 0xff, 0xfe};
	static const uint8_t ssl[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	wire_startup_t s;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_cancel(&b, 12345, -2), 0);
	assert_bytes(&b, cancel, sizeof(cancel));
	check_startup(&b, &f);
	assert_int_equal(wire_startup_parse(&f, &s), 0);
	assert_int_equal(s.code, WIRE_CANCEL_REQUEST);
	assert_int_equal(s.cancel_pid, 12345);
	assert_int_equal(s.cancel_key, -2);
	assert_int_equal(s.nparams, 0);

	wbuf_reset(&b);
	assert_int_equal(wire_write_ssl_request(&b), 0);
	assert_bytes(&b, ssl, sizeof(ssl));
	check_startup(&b, &f);
	assert_int_equal(wire_startup_parse(&f, &s), 0);
	assert_int_equal(s.code, WIRE_SSL_REQUEST);
	wbuf_free(&b);

	assert_int_equal(STARTUP_LIT("\x04\xd2\x16\x30", &s), 0);
	assert_int_equal(s.code, WIRE_GSSENC_REQUEST);
	/* a CancelRequest is exactly 16 bytes; the others exactly 8 */
	assert_int_equal(STARTUP_LIT("\x04\xd2\x16\x2e\0\0\0\1", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\x04\xd2\x16\x2e\0\0\0\1\0\0\0\2\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\x04\xd2\x16\x2f\0", &s), SG_EPROTO);
	assert_int_equal(STARTUP_LIT("\x04\xd2\x16\x30\0\0\0\0", &s), SG_EPROTO);
	startup_body_free();
}

/* ---- frontend messages ---- */

static void test_query(void **state)
{
	static const char exp[] = "Q\0\0\0\x0d"
	                          "select 1\0";
	wire_frame_t f;
	const char *sql;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_query(&b, "select 1"), 0);
	ASSERT_BYTES(&b, exp);
	check_typed(&b, p_query, true, &f);
	assert_int_equal(wire_query_parse(&f, &sql), 0);
	assert_string_equal(sql, "select 1");
	assert_int_equal(PARSE_LIT(p_query, 'Q', "a\0b\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_query, 'P', "a\0"), SG_EPROTO); /* wrong type */
	wbuf_free(&b);
}

static void test_parse_msg(void **state)
{
	static const char exp[] = "P\0\0\0\x17"
	                          "s1\0select $1\0"
	                          "\0\1\0\0\0\x17";
	static const uint8_t oid[4] = {0, 0, 0, 23};
	wire_parse_msg_t m;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_parse(&b, "s1", "select $1", 1, oid), 0);
	ASSERT_BYTES(&b, exp);
	check_typed(&b, p_parse, true, &f);
	assert_int_equal(wire_parse_parse(&f, &m), 0);
	assert_string_equal(m.stmt, "s1");
	assert_string_equal(m.query, "select $1");
	assert_int_equal(m.nparams, 1);
	assert_memory_equal(m.param_types, oid, 4);

	wbuf_reset(&b);
	assert_int_equal(wire_write_parse(&b, "", "select 1", 0, NULL), 0);
	check_typed(&b, p_parse, true, &f);
	assert_int_equal(wire_parse_parse(&f, &m), 0);
	assert_string_equal(m.stmt, "");
	assert_int_equal(m.nparams, 0);
	assert_int_equal(wire_write_parse(&b, "", "x", 0xffff, NULL), SG_ERANGE);
	assert_int_equal(wire_write_parse(&b, "", "x", 1, NULL), SG_ERANGE);

	/* counts the body does not hold (0xffff is 65535 types, not -1) */
	assert_int_equal(PARSE_LIT(p_parse, 'P', "s\0q\0\xff\xff"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_parse, 'P', "s\0q\0\x80\0\0\0\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_parse, 'P', "s\0q\0\0\2\0\0\0\1"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_parse, 'P', "s\0q\0\0\0\0"), SG_EPROTO);
	wbuf_free(&b);
}

/* portal "p1", statement "s1", one format (binary) for all params,
 * params "abc", NULL, "", result formats text, binary */
static const char bind_body[] = "p1\0s1\0"
                                "\0\1\0\1"
                                "\0\3"
                                "\0\0\0\3abc"
                                "\xff\xff\xff\xff"
                                "\0\0\0\0"
                                "\0\2\0\0\0\1";

static void test_bind(void **state)
{
	wire_bind_msg_t m, m2;
	wire_frame_t f;
	const uint8_t *v;
	int32_t len;
	int16_t fmt;
	wbuf_t b, b2;

	wbuf_init(&b);
	wbuf_init(&b2);
	put_msg(&b, 'B', bind_body, sizeof(bind_body) - 1);
	check_typed(&b, p_bind, true, &f);
	assert_int_equal(wire_bind_parse(&f, &m), 0);
	assert_string_equal(m.portal, "p1");
	assert_string_equal(m.stmt, "s1");
	assert_ptr_equal(m.rest, f.body + 6);
	assert_int_equal(m.rest_len, f.body_len - 6);
	assert_int_equal(m.nformats, 1);
	assert_int_equal(m.nparams, 3);
	assert_ptr_equal(m.params, f.body + 12);
	assert_int_equal(m.params_len, 7 + 4 + 4);
	assert_int_equal(m.nresult_formats, 2);
	assert_memory_equal(m.result_formats, "\0\0\0\1", 4);

	assert_int_equal(wire_bind_param(&m, 0, &v, &len, &fmt), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "abc", 3);
	assert_int_equal(fmt, 1);
	assert_int_equal(wire_bind_param(&m, 1, &v, &len, &fmt), 0);
	assert_int_equal(len, -1);
	assert_null(v);
	assert_int_equal(wire_bind_param(&m, 2, &v, &len, &fmt), 0);
	assert_int_equal(len, 0);
	assert_non_null(v);
	assert_int_equal(fmt, 1);
	assert_int_equal(wire_bind_param(&m, 3, &v, &len, &fmt), SG_ERANGE);
	assert_int_equal(wire_bind_param(&m, -1, &v, &len, &fmt), SG_ERANGE);

	/* renaming keeps the tail byte for byte */
	assert_int_equal(wire_write_bind_renamed(&b2, "p1", "s1", m.rest, m.rest_len), 0);
	assert_bytes(&b2, b.data, b.len);
	wbuf_reset(&b2);
	assert_int_equal(wire_write_bind_renamed(&b2, "", "sg_7", m.rest, m.rest_len), 0);
	check_typed(&b2, p_bind, true, &f);
	assert_int_equal(wire_bind_parse(&f, &m2), 0);
	assert_string_equal(m2.portal, "");
	assert_string_equal(m2.stmt, "sg_7");
	assert_int_equal(m2.rest_len, m.rest_len);
	assert_memory_equal(m2.rest, m.rest, m.rest_len);
	assert_int_equal(wire_write_bind_renamed(&b2, "", "s", m.rest, (size_t)INT32_MAX + 1), SG_ERANGE);
	wbuf_free(&b);
	wbuf_free(&b2);
}

static void test_bind_per_param_formats(void **state)
{
	static const char body[] = "\0\0\0\2\0\0\0\1\0\2\0\0\0\1x\0\0\0\1y\0\0";
	wire_bind_msg_t m;
	wire_frame_t f = {.type = 'B', .body = (const uint8_t *)body, .body_len = sizeof(body) - 1};
	const uint8_t *v;
	int32_t len;
	int16_t fmt;

	assert_int_equal(wire_bind_parse(&f, &m), 0);
	assert_int_equal(wire_bind_param(&m, 0, &v, &len, &fmt), 0);
	assert_int_equal(fmt, 0);
	assert_int_equal(wire_bind_param(&m, 1, &v, &len, &fmt), 0);
	assert_int_equal(fmt, 1);
	assert_memory_equal(v, "y", 1);
	assert_int_equal(m.nresult_formats, 0);
}

static void test_bind_errors(void **state)
{
	/* the minimal valid one, for reference */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "\0\0\0\0\0\0\0\0"), 0);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\1\0\0\0\1x\0\0"), 0);
	/* counts the body does not hold: 0xffff is 65535 and 0x8000 is 32768
	 * (unsigned on the wire), not negative */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\xff\xff\0\0\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\xff\xff\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\0\xff\xff"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\x80\0\0\0"), SG_EPROTO);
	/* parameter length below -1, past the end, huge */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\1\xff\xff\xff\xfe\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\1\0\0\0\x09x\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\1\x7f\xff\xff\xffx\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\1\x80\0\0\0x\0\0"), SG_EPROTO);
	/* fewer params than declared */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\2\0\0\0\1x\0\0"), SG_EPROTO);
	/* trailing bytes */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\1\0\0\0\1x\0\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "\0\0\0\0\0\0\0\0z"), SG_EPROTO);
	/* format count neither 0, 1 nor nparams; format codes other than 0/1 */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\2\0\0\0\0\0\1\0\0\0\1x\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\1\0\2\0\0\0\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\0\0\1\0\2"), SG_EPROTO);
	/* result formats past the end; unterminated names */
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s\0\0\0\0\0\0\2\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p\0s"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'B', "p"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_bind, 'Q', "\0\0\0\0\0\0\0\0"), SG_EPROTO);
}

/* ---- Parse/Bind counts are uint16: up to 65535 ---- */

static void put_u16(wbuf_t *b, unsigned v)
{
	wbuf_put_u8(b, (uint8_t)(v >> 8));
	wbuf_put_u8(b, (uint8_t)v);
}

/* n distinct OIDs using all four bytes (an odd multiplier is a bijection
 * mod 2^32), big-endian, in an exact-size heap block. */
static uint8_t *oids_make(size_t n)
{
	uint8_t *t = malloc(n * 4);
	uint32_t v;

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		v = (uint32_t)i * 2654435761u + 1;
		t[4 * i] = (uint8_t)(v >> 24);
		t[4 * i + 1] = (uint8_t)(v >> 16);
		t[4 * i + 2] = (uint8_t)(v >> 8);
		t[4 * i + 3] = (uint8_t)v;
	}
	return t;
}

static void test_parse_max_params(void **state)
{
	static const unsigned counts[] = {32767, 32768, 65535};
	uint8_t *oids = oids_make(65536);
	wire_parse_msg_t m;
	wire_frame_t f;
	wbuf_t b, b2;

	wbuf_init(&b);
	wbuf_init(&b2);
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		uint16_t n = (uint16_t)counts[k];

		wbuf_reset(&b);
		assert_int_equal(wire_write_parse(&b, "s", "q", n, oids), 0);
		assert_int_equal(b.len, 5 + 2 + 2 + 2 + (size_t)counts[k] * 4);
		assert_int_equal(b.data[9], counts[k] >> 8);
		assert_int_equal(b.data[10], counts[k] & 0xff);
		assert_memory_equal(b.data + 11, oids, (size_t)counts[k] * 4);
		assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
		assert_int_equal(f.total_len, b.len);
		assert_int_equal(wire_parse_parse(&f, &m), 0);
		assert_string_equal(m.stmt, "s");
		assert_string_equal(m.query, "q");
		assert_int_equal(m.nparams, counts[k]);
		assert_ptr_equal(m.param_types, f.body + 6);
		assert_memory_equal(m.param_types, oids, (size_t)counts[k] * 4);
		wbuf_reset(&b2);
		assert_int_equal(wire_write_parse(&b2, m.stmt, m.query, m.nparams, m.param_types), 0);
		assert_bytes(&b2, b.data, b.len);
		/* a body one byte, or one whole type, short of its count */
		assert_int_equal(parse_body(p_parse, 'P', f.body, f.body_len - 1), SG_EPROTO);
		assert_int_equal(parse_body(p_parse, 'P', f.body, f.body_len - 4), SG_EPROTO);
	}

	/* 65536 cannot be declared: the field holds at most 65535, and a body
	 * with 65536 types is malformed under 0xffff and under 0 (65536 mod
	 * 2^16) alike. */
	assert_int_equal(sizeof(m.nparams), 2);
	m.nparams = UINT16_MAX;
	assert_int_equal(m.nparams, 65535);
	for (unsigned count = 0; count <= 0xffff; count += 0xffff) {
		wbuf_reset(&b);
		wbuf_put(&b, "s\0q\0", 4);
		put_u16(&b, count);
		wbuf_put(&b, oids, (size_t)65536 * 4);
		assert_int_equal(wbuf_status(&b), 0);
		assert_int_equal(parse_body(p_parse, 'P', b.data, b.len), SG_EPROTO);
	}
	free(oids);
	wbuf_free(&b);
	wbuf_free(&b2);
}

/* A Bind "p"/"s" with nformats format codes (i & 1 each, or one binary
 * code for all), nparams declared of which `present` follow, and nres
 * result formats ((i >> 1) & 1). Parameter i is NULL when i % 3 == 0,
 * empty when i % 3 == 1, else the two bytes of i big-endian. */
static void put_big_bind(wbuf_t *b, unsigned nformats, unsigned nparams, unsigned present, unsigned nres)
{
	size_t mark = wbuf_msg_begin(b, 'B');
	unsigned i;

	wbuf_put(b, "p\0s\0", 4);
	put_u16(b, nformats);
	for (i = 0; i < nformats; i++)
		put_u16(b, nformats == 1 ? 1 : i & 1);
	put_u16(b, nparams);
	for (i = 0; i < present; i++) {
		wbuf_put_i32(b, i % 3 == 0 ? -1 : i % 3 == 1 ? 0 : 2);
		if (i % 3 == 2)
			put_u16(b, i);
	}
	put_u16(b, nres);
	for (i = 0; i < nres; i++)
		put_u16(b, (i >> 1) & 1);
	wbuf_msg_end(b, mark);
	assert_int_equal(wbuf_status(b), 0);
}

static void assert_big_param(const wire_bind_msg_t *m, unsigned i, const uint8_t *v, int32_t len, int16_t fmt,
                             int16_t want_fmt)
{
	assert_int_equal(fmt, want_fmt);
	if (i % 3 == 0) {
		assert_int_equal(len, -1);
		assert_null(v);
		return;
	}
	assert_int_equal(len, i % 3 == 1 ? 0 : 2);
	assert_true(v >= m->params && v + len <= m->params + m->params_len);
	if (len == 2)
		assert_memory_equal(v, ((uint8_t[]){(uint8_t)(i >> 8), (uint8_t)i}), 2);
}

static void test_bind_max_params(void **state)
{
	const unsigned n = 65535;
	static const unsigned spots[] = {0, 1, 2, 32767, 32768, 65533, 65534};
	const uint8_t *v, **vals = calloc(n, sizeof(*vals));
	int32_t len, *lens = calloc(n, sizeof(*lens));
	int16_t fmt, *fmts = calloc(n, sizeof(*fmts));
	wire_bind_msg_t m, m2;
	size_t params_len = 0;
	wire_frame_t f;
	wbuf_t b, b2;
	unsigned i;

	assert_true(vals && lens && fmts);
	wbuf_init(&b);
	wbuf_init(&b2);
	put_big_bind(&b, n, n, n, n);
	assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
	assert_int_equal(f.total_len, b.len);
	assert_int_equal(wire_bind_parse(&f, &m), 0);
	assert_int_equal(m.nformats, 65535);
	assert_int_equal(m.nparams, 65535);
	assert_int_equal(m.nresult_formats, 65535);
	assert_ptr_equal(m.rest, f.body + 4);
	assert_int_equal(m.rest_len, f.body_len - 4);
	assert_ptr_equal(m.formats, f.body + 6);
	assert_ptr_equal(m.params, f.body + 6 + 2 * (size_t)n + 2);
	for (i = 0; i < n; i++)
		params_len += i % 3 == 2 ? 6 : 4;
	assert_int_equal(m.params_len, params_len);
	assert_ptr_equal(m.result_formats, m.params + params_len + 2);
	assert_ptr_equal(m.result_formats + 2 * (size_t)n, f.body + f.body_len);
	assert_memory_equal(m.result_formats + 2 * 65534, "\0\1", 2);

	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		assert_int_equal(wire_bind_param(&m, (int)spots[i], &v, &len, &fmt), 0);
		assert_big_param(&m, spots[i], v, len, fmt, (int16_t)(spots[i] & 1));
	}
	assert_int_equal(wire_bind_param(&m, 65535, &v, &len, &fmt), SG_ERANGE);
	assert_int_equal(wire_bind_params_all(&m, vals, lens, fmts), 0);
	for (i = 0; i < n; i++)
		assert_big_param(&m, i, vals[i], lens[i], fmts[i], (int16_t)(i & 1));
	assert_ptr_equal(vals[65534], m.params + params_len - 2);

	/* relayed unchanged, and renamed */
	assert_int_equal(wire_write_bind_renamed(&b2, m.portal, m.stmt, m.rest, m.rest_len), 0);
	assert_bytes(&b2, b.data, b.len);
	wbuf_reset(&b2);
	assert_int_equal(wire_write_bind_renamed(&b2, "", "sg_0123456789abcdef", m.rest, m.rest_len), 0);
	assert_int_equal(wire_frame_read(b2.data, b2.len, MAXLEN, &f), 0);
	assert_int_equal(wire_bind_parse(&f, &m2), 0);
	assert_string_equal(m2.stmt, "sg_0123456789abcdef");
	assert_int_equal(m2.nformats, 65535);
	assert_int_equal(m2.nparams, 65535);
	assert_int_equal(m2.nresult_formats, 65535);
	assert_int_equal(m2.params_len, params_len);

	/* truncated: the last result format, then half of it */
	assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
	assert_int_equal(parse_body(p_bind, 'B', f.body, f.body_len - 1), SG_EPROTO);
	assert_int_equal(parse_body(p_bind, 'B', f.body, f.body_len - 2), SG_EPROTO);

	/* one format code for all 65535 */
	wbuf_reset(&b);
	put_big_bind(&b, 1, n, n, 0);
	assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
	assert_int_equal(wire_bind_parse(&f, &m), 0);
	assert_int_equal(m.nformats, 1);
	assert_int_equal(m.nparams, 65535);
	assert_int_equal(m.nresult_formats, 0);
	assert_int_equal(wire_bind_param(&m, 65534, &v, &len, &fmt), 0);
	assert_big_param(&m, 65534, v, len, fmt, 1);

	/* a parameter fewer than declared; format count off by one */
	wbuf_reset(&b);
	put_big_bind(&b, 0, n, n - 1, 0);
	assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
	assert_int_equal(wire_bind_parse(&f, &m), SG_EPROTO);
	assert_int_equal(m.nparams, 0);
	wbuf_reset(&b);
	put_big_bind(&b, n, n - 1, n - 1, 0);
	assert_int_equal(wire_frame_read(b.data, b.len, MAXLEN, &f), 0);
	assert_int_equal(wire_bind_parse(&f, &m), SG_EPROTO);

	free(vals);
	free(lens);
	free(fmts);
	wbuf_free(&b);
	wbuf_free(&b2);
}

static void test_describe_close(void **state)
{
	static const char d_exp[] = "D\0\0\0\x08Sst\0";
	static const char c_exp[] = "C\0\0\0\x06P\0";
	wire_target_msg_t m;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_describe(&b, 'S', "st"), 0);
	ASSERT_BYTES(&b, d_exp);
	check_typed(&b, p_target, true, &f);
	assert_int_equal(wire_target_parse(&f, &m), 0);
	assert_int_equal(m.kind, 'S');
	assert_string_equal(m.name, "st");

	wbuf_reset(&b);
	assert_int_equal(wire_write_close(&b, 'P', ""), 0);
	ASSERT_BYTES(&b, c_exp);
	check_typed(&b, p_target, true, &f);
	assert_int_equal(wire_target_parse(&f, &m), 0);
	assert_int_equal(m.kind, 'P');
	assert_string_equal(m.name, "");

	assert_int_equal(wire_write_describe(&b, 'X', "a"), SG_ERANGE);
	assert_int_equal(PARSE_LIT(p_target, 'D', "Xa\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_target, 'C', "Sa\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_target, 'E', "Sa\0"), SG_EPROTO);
	wbuf_free(&b);
}

static void test_execute_and_empty(void **state)
{
	static const char e_exp[] = "E\0\0\0\x0bp1\0\0\0\0\x0a";
	static const uint8_t sync[] = {'S', 0, 0, 0, 4};
	static const uint8_t flush[] = {'H', 0, 0, 0, 4};
	static const uint8_t term[] = {'X', 0, 0, 0, 4};
	const char *portal;
	int32_t n;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_execute(&b, "p1", 10), 0);
	ASSERT_BYTES(&b, e_exp);
	check_typed(&b, p_execute, true, &f);
	assert_int_equal(wire_execute_parse(&f, &portal, &n), 0);
	assert_string_equal(portal, "p1");
	assert_int_equal(n, 10);
	assert_int_equal(PARSE_LIT(p_execute, 'E', "p\0\0\0\0\0\0"), SG_EPROTO);

	wbuf_reset(&b);
	assert_int_equal(wire_write_sync(&b), 0);
	assert_bytes(&b, sync, sizeof(sync));
	check_typed(&b, NULL, false, &f);
	wbuf_reset(&b);
	assert_int_equal(wire_write_flush(&b), 0);
	assert_bytes(&b, flush, sizeof(flush));
	wbuf_reset(&b);
	assert_int_equal(wire_write_terminate(&b), 0);
	assert_bytes(&b, term, sizeof(term));
	check_typed(&b, NULL, false, &f);
	wbuf_free(&b);
}

static void test_password_sasl(void **state)
{
	static const char pw_exp[] = "p\0\0\0\x08pwd\0";
	static const char init_exp[] = "p\0\0\0\x0fSCRAM\0\0\0\0\x01x";
	static const char none_exp[] = "p\0\0\0\x0aM\0\xff\xff\xff\xff";
	const char *pw, *mech;
	const uint8_t *d;
	size_t n;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_password(&b, "pwd"), 0);
	ASSERT_BYTES(&b, pw_exp);
	check_typed(&b, p_password, true, &f);
	assert_int_equal(wire_password_parse(&f, &pw), 0);
	assert_string_equal(pw, "pwd");
	assert_int_equal(PARSE_LIT(p_password, 'p', "pwd\0x"), SG_EPROTO);

	wbuf_reset(&b);
	assert_int_equal(wire_write_sasl_initial(&b, "SCRAM", "x", 1), 0);
	ASSERT_BYTES(&b, init_exp);
	check_typed(&b, p_sasl_initial, true, &f);
	assert_int_equal(wire_sasl_initial_parse(&f, &mech, &d, &n), 0);
	assert_string_equal(mech, "SCRAM");
	assert_int_equal(n, 1);
	assert_memory_equal(d, "x", 1);

	wbuf_reset(&b);
	assert_int_equal(wire_write_sasl_initial(&b, "M", NULL, 0), 0);
	ASSERT_BYTES(&b, none_exp);
	check_typed(&b, p_sasl_initial, true, &f);
	assert_int_equal(wire_sasl_initial_parse(&f, &mech, &d, &n), 0);
	assert_string_equal(mech, "M");
	assert_null(d);
	assert_int_equal(n, 0);
	assert_int_equal(PARSE_LIT(p_sasl_initial, 'p', "M\0\xff\xff\xff\xfe"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_sasl_initial, 'p', "M\0\0\0\0\1xy"), SG_EPROTO);
	assert_int_equal(wire_write_sasl_initial(&b, "M", "x", (size_t)INT32_MAX + 1), SG_ERANGE);
	assert_int_equal(b.len, sizeof(none_exp) - 1); /* nothing appended */

	wbuf_reset(&b);
	assert_int_equal(wire_write_sasl_response(&b, "c=biws", 6), 0);
	ASSERT_BYTES(&b, "p\0\0\0\x0a"
	                 "c=biws");
	check_typed(&b, p_sasl_response, false, &f);
	assert_int_equal(wire_sasl_response_parse(&f, &d, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(d, "c=biws", 6);
	assert_int_equal(PARSE_LIT(p_sasl_response, 'Q', "x"), SG_EPROTO);
	wbuf_free(&b);
}

/* ---- backend messages ---- */

static void test_auth(void **state)
{
	static const uint8_t ok[] = {'R', 0, 0, 0, 8, 0, 0, 0, 0};
	static const uint8_t md5[] = {'R', 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4};
	static const char sasl_exp[] = "R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0";
	static const uint8_t salt[4] = {1, 2, 3, 4};
	wire_auth_t a;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_auth_ok(&b), 0);
	assert_bytes(&b, ok, sizeof(ok));
	check_typed(&b, p_auth, true, &f);
	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_int_equal(a.code, WIRE_AUTH_OK);
	assert_int_equal(a.data_len, 0);

	wbuf_reset(&b);
	assert_int_equal(wire_write_auth_cleartext(&b), 0);
	check_typed(&b, p_auth, true, &f);
	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_int_equal(a.code, WIRE_AUTH_CLEARTEXT);

	wbuf_reset(&b);
	assert_int_equal(wire_write_auth_md5(&b, salt), 0);
	assert_bytes(&b, md5, sizeof(md5));
	check_typed(&b, p_auth, true, &f);
	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_int_equal(a.code, WIRE_AUTH_MD5);
	assert_int_equal(a.data_len, 4);
	assert_memory_equal(a.data, salt, 4);

	wbuf_reset(&b);
	assert_int_equal(wire_write_auth_sasl(&b, "SCRAM-SHA-256"), 0);
	ASSERT_BYTES(&b, sasl_exp);
	check_typed(&b, p_auth, true, &f);
	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_int_equal(a.code, WIRE_AUTH_SASL);
	assert_true(wire_auth_sasl_has(&a, "SCRAM-SHA-256"));
	assert_false(wire_auth_sasl_has(&a, "SCRAM-SHA-256-PLUS"));
	assert_false(wire_auth_sasl_has(&a, "SCRAM"));

	wbuf_reset(&b);
	assert_int_equal(wire_write_auth_sasl_continue(&b, "r=abc", 5), 0);
	ASSERT_BYTES(&b, "R\0\0\0\x0d\0\0\0\x0br=abc");
	check_typed(&b, p_auth, false, &f);
	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_int_equal(a.code, WIRE_AUTH_SASL_CONTINUE);
	assert_int_equal(a.data_len, 5);
	assert_memory_equal(a.data, "r=abc", 5);
	assert_false(wire_auth_sasl_has(&a, "r=abc"));

	wbuf_reset(&b);
	assert_int_equal(wire_write_auth_sasl_final(&b, "v=x", 3), 0);
	check_typed(&b, p_auth, false, &f);
	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_int_equal(a.code, WIRE_AUTH_SASL_FINAL);
	assert_int_equal(a.data_len, 3);
	assert_memory_equal(a.data, "v=x", 3);
	assert_int_equal(wire_write_auth(&b, 12, "x", (size_t)INT32_MAX + 1), SG_ERANGE);
	wbuf_free(&b);
}

static void test_auth_errors(void **state)
{
	wire_auth_t a;
	wire_frame_t f = {.type = 'R', .body = (const uint8_t *)"\0\0\0\x0aX\0Y\0\0", .body_len = 9};

	assert_int_equal(wire_auth_parse(&f, &a), 0);
	assert_true(wire_auth_sasl_has(&a, "X"));
	assert_true(wire_auth_sasl_has(&a, "Y"));
	assert_false(wire_auth_sasl_has(&a, ""));

	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\0\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\3x"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\5\1\2\3"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\5\1\2\3\4\5"), SG_EPROTO);
	/* empty list, unterminated list, bytes after the list */
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\x0a\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\x0aX\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\x0aX\0\0Y"), SG_EPROTO);
	/* methods shardgate does not speak */
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\7"), SG_ENOTSUP);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0\0\x08gss"), SG_ENOTSUP);
	assert_int_equal(PARSE_LIT(p_auth, 'R', "\0\0"), SG_EPROTO);
}

static void test_param_status_key_ready(void **state)
{
	static const uint8_t ready[] = {'Z', 0, 0, 0, 5, 'I'};
	static const char ps_exp[] = "S\0\0\0\x11"
	                             "TimeZone\0UTC\0";
	static const uint8_t key[] = {'K', 0, 0, 0, 12, 0, 0, 0, 42, 0x80, 0, 0, 0};
	const char *name, *value;
	int32_t pid, k;
	char st;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_ready(&b, 'I'), 0);
	assert_bytes(&b, ready, sizeof(ready));
	check_typed(&b, p_ready, true, &f);
	assert_int_equal(wire_ready_parse(&f, &st), 0);
	assert_int_equal(st, 'I');
	for (const char *s = "TE"; *s; s++) {
		wbuf_reset(&b);
		assert_int_equal(wire_write_ready(&b, *s), 0);
		check_typed(&b, p_ready, true, &f);
		assert_int_equal(wire_ready_parse(&f, &st), 0);
		assert_int_equal(st, *s);
	}
	assert_int_equal(wire_write_ready(&b, 'X'), SG_ERANGE);
	assert_int_equal(PARSE_LIT(p_ready, 'Z', "X"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_ready, 'Z', "\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_ready, 'Z', "II"), SG_EPROTO);

	wbuf_reset(&b);
	assert_int_equal(wire_write_param_status(&b, "TimeZone", "UTC"), 0);
	ASSERT_BYTES(&b, ps_exp);
	check_typed(&b, p_param_status, true, &f);
	assert_int_equal(wire_param_status_parse(&f, &name, &value), 0);
	assert_string_equal(name, "TimeZone");
	assert_string_equal(value, "UTC");
	assert_int_equal(PARSE_LIT(p_param_status, 'S', "a\0b\0c"), SG_EPROTO);

	wbuf_reset(&b);
	assert_int_equal(wire_write_backend_key(&b, 42, INT32_MIN), 0);
	assert_bytes(&b, key, sizeof(key));
	check_typed(&b, p_backend_key, true, &f);
	assert_int_equal(wire_backend_key_parse(&f, &pid, &k), 0);
	assert_int_equal(pid, 42);
	assert_int_equal(k, INT32_MIN);
	assert_int_equal(PARSE_LIT(p_backend_key, 'K', "\0\0\0\1\0\0\0\2\0"), SG_EPROTO);
	wbuf_free(&b);
}

static void test_error_notice(void **state)
{
	static const char exp[] = "E\0\0\0\x28"
	                          "SERROR\0VERROR\0C42601\0Msyntax error\0\0";
	static const char nexp[] = "N\0\0\0\x26"
	                           "SNOTICE\0VNOTICE\0C00000\0Mhi\0Dmore\0\0";
	wire_error_t e;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_error(&b, "ERROR", "42601", "syntax error", NULL), 0);
	ASSERT_BYTES(&b, exp);
	check_typed(&b, p_error, true, &f);
	assert_int_equal(wire_error_parse(&f, &e), 0);
	assert_string_equal(e.severity, "ERROR");
	assert_string_equal(e.sqlstate, "42601");
	assert_string_equal(e.message, "syntax error");
	assert_null(e.detail);
	assert_null(e.hint);

	wbuf_reset(&b);
	assert_int_equal(wire_write_notice(&b, "NOTICE", "00000", "hi", "more"), 0);
	ASSERT_BYTES(&b, nexp);
	check_typed(&b, p_error, true, &f);
	assert_int_equal(wire_error_parse(&f, &e), 0);
	assert_string_equal(e.severity, "NOTICE");
	assert_string_equal(e.detail, "more");

	/* V wins over a localized S in either order; S alone is used */
	assert_int_equal(PARSE_LIT(p_error, 'E', "SFEHLER\0VERROR\0\0"), 0);
	f = (wire_frame_t){
	        .type = 'E', .body = (const uint8_t *)"VFATAL\0SSCHWER\0Hh\0Zq\0\0", .body_len = 22};
	assert_int_equal(wire_error_parse(&f, &e), 0);
	assert_string_equal(e.severity, "FATAL");
	assert_string_equal(e.hint, "h");
	f = (wire_frame_t){.type = 'N', .body = (const uint8_t *)"SWARNING\0\0", .body_len = 10};
	assert_int_equal(wire_error_parse(&f, &e), 0);
	assert_string_equal(e.severity, "WARNING");
	assert_null(e.message);
	f = (wire_frame_t){.type = 'E', .body = (const uint8_t *)"\0", .body_len = 1};
	assert_int_equal(wire_error_parse(&f, &e), 0);
	assert_null(e.severity);

	assert_int_equal(PARSE_LIT(p_error, 'E', ""), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_error, 'E', "SERROR\0"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_error, 'E', "SERROR"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_error, 'E', "SERROR\0\0M"), SG_EPROTO);
	assert_int_equal(PARSE_LIT(p_error, 'Z', "SERROR\0\0"), SG_EPROTO);
	wbuf_free(&b);
}

static void test_command_complete(void **state)
{
	static const char exp[] = "C\0\0\0\x0dSELECT 1\0";
	const char *tag;
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_command_complete(&b, "SELECT 1"), 0);
	ASSERT_BYTES(&b, exp);
	check_typed(&b, p_command_complete, true, &f);
	assert_int_equal(wire_command_complete_parse(&f, &tag), 0);
	assert_string_equal(tag, "SELECT 1");
	assert_int_equal(PARSE_LIT(p_command_complete, 'C', "A\0B\0"), SG_EPROTO);
	wbuf_free(&b);
}

static void test_row_desc_data_row(void **state)
{
	static const uint8_t rd[] = {
	        'T',  0,    0,    0,    26, /* header */
	        0,    1,                    /* one column */
	        'a',  0,                    /* name */
	        0,    0,    0,    0,        /* table oid */
	        0,    0,                    /* attnum */
	        0,    0,    0,    25,       /* type oid: text */
	        0xff, 0xff,                 /* typlen -1 */
	        0xff, 0xff, 0xff, 0xff,     /* typmod -1 */
	        0,    0,                    /* format: text */
	};
	static const uint8_t dr[] = {'D', 0,   0,    0,    20,   0,    3, 0, 0, 0, 2,
	                             'a', 'b', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	const char *names[] = {"a", "bb"};
	const char *values[] = {"ab", NULL, ""};
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(wire_write_row_desc_text(&b, 1, names), 0);
	assert_bytes(&b, rd, sizeof(rd));
	check_typed(&b, NULL, false, &f);
	wbuf_reset(&b);
	assert_int_equal(wire_write_row_desc_text(&b, 2, names), 0);
	assert_int_equal(b.len, 5 + 2 + (2 + 18) + (3 + 18));
	assert_memory_equal(b.data + 27, "bb\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff\0\0", 21);
	check_typed(&b, NULL, false, &f);
	wbuf_reset(&b);
	assert_int_equal(wire_write_row_desc_text(&b, 0, NULL), 0);
	ASSERT_BYTES(&b, "T\0\0\0\6\0\0");
	assert_int_equal(wire_write_row_desc_text(&b, -1, names), SG_ERANGE);
	assert_int_equal(wire_write_row_desc_text(&b, 40000, names), SG_ERANGE);

	wbuf_reset(&b);
	assert_int_equal(wire_write_data_row(&b, 3, values), 0);
	assert_bytes(&b, dr, sizeof(dr));
	check_typed(&b, NULL, false, &f);
	assert_int_equal(wire_write_data_row(&b, -1, values), SG_ERANGE);
	assert_int_equal(b.len, sizeof(dr));
	wbuf_free(&b);
}

static void test_empty_backend(void **state)
{
	static const struct {
		int (*write)(wbuf_t *);
		uint8_t type;
	} cases[] = {{wire_write_empty_query, 'I'},
	             {wire_write_parse_complete, '1'},
	             {wire_write_bind_complete, '2'},
	             {wire_write_close_complete, '3'},
	             {wire_write_no_data, 'n'}};
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t exp[5] = {cases[i].type, 0, 0, 0, 4};

		wbuf_reset(&b);
		assert_int_equal(cases[i].write(&b), 0);
		assert_bytes(&b, exp, 5);
		check_typed(&b, NULL, false, &f);
		assert_int_equal(f.body_len, 0);
	}
	wbuf_free(&b);
}

static void test_writers_append(void **state)
{
	wire_frame_t f;
	wbuf_t b;
	size_t off = 0;
	int n = 0;

	/* writers append; the framer walks the stream message by message */
	wbuf_init(&b);
	assert_int_equal(wire_write_auth_ok(&b), 0);
	assert_int_equal(wire_write_param_status(&b, "a", "b"), 0);
	assert_int_equal(wire_write_backend_key(&b, 1, 2), 0);
	assert_int_equal(wire_write_ready(&b, 'I'), 0);
	while (off < b.len) {
		assert_int_equal(wire_frame_read(b.data + off, b.len - off, MAXLEN, &f), 0);
		off += f.total_len;
		n++;
	}
	assert_int_equal(off, b.len);
	assert_int_equal(n, 4);
	assert_int_equal(f.type, 'Z');
	wbuf_free(&b);
}

/* ---- random input ---- */

static const struct {
	parse_fn fn;
	uint8_t type;
} parsers[] = {
        {p_query, 'Q'},         {p_parse, 'P'},   {p_bind, 'B'},         {p_target, 'D'},
        {p_target, 'C'},        {p_execute, 'E'}, {p_password, 'p'},     {p_sasl_initial, 'p'},
        {p_sasl_response, 'p'}, {p_auth, 'R'},    {p_param_status, 'S'}, {p_backend_key, 'K'},
        {p_ready, 'Z'},         {p_error, 'E'},   {p_error, 'N'},        {p_command_complete, 'C'},
        {p_startup, 0},
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool parser_accepts(parse_fn fn, uint8_t type)
{
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
		if (parsers[i].fn == fn && parsers[i].type == type)
			return true;
	return false;
}

static void run_all_parsers(const uint8_t *body, size_t n, uint8_t frame_type)
{
	uint8_t *cp = dup_exact(body, n);
	wire_frame_t f = {.body = cp, .body_len = (uint32_t)n, .total_len = (uint32_t)n + 5};
	int rc;

	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		f.type = parsers[i].type;
		rc = parsers[i].fn(&f);
		assert_true(rc == 0 || rc == SG_EPROTO || rc == SG_ENOTSUP || rc == SG_ETOOBIG);
		/* a parser refuses every type it does not accept */
		f.type = frame_type;
		rc = parsers[i].fn(&f);
		if (!parser_accepts(parsers[i].fn, frame_type))
			assert_int_equal(rc, SG_EPROTO);
	}
	free(cp);
}

static void walk_framers(const uint8_t *buf, size_t n)
{
	wire_frame_t f;
	size_t pos;
	int rc;

	for (pos = 0; pos < n;) {
		rc = wire_frame_read(buf + pos, n - pos, 1u << 16, &f);
		if (rc == 0) {
			assert_true(f.total_len <= n - pos);
			run_all_parsers(f.body, f.body_len, f.type);
			pos += f.total_len;
		} else {
			assert_true(rc == SG_EAGAIN || rc == SG_EPROTO || rc == SG_ETOOBIG);
			pos++;
		}
	}
	for (pos = 0; pos < n;) {
		rc = wire_startup_frame_read(buf + pos, n - pos, &f);
		if (rc == 0) {
			run_all_parsers(f.body, f.body_len, 0);
			pos += f.total_len;
		} else {
			pos++;
		}
	}
}

static void test_random_input(void **state)
{
	/* a small alphabet makes NULs, valid codes and short lengths common */
	static const uint8_t alpha[] = {0, 0, 0, 1, 2, 3, 4, 'S', 'P', 'V', 'M', 'I', 'T', 'E', 0xff, 0x0a};
	const size_t n = 1u << 20;
	uint8_t *buf = malloc(n);
	size_t pos, len;

	assert_non_null(buf);
	for (int pass = 0; pass < 2; pass++) {
		rng_state = 0x5eed5eedULL + (uint64_t)pass;
		for (pos = 0; pos < n; pos++) {
			uint8_t r = (uint8_t)rng();
			buf[pos] = pass == 0 ? r : alpha[r % sizeof(alpha)];
		}
		/* pass 1 is a chain of well-framed messages of the parsed types
		 * with short random bodies, so the framer and parsers get real work */
		for (pos = 0; pass == 1 && n - pos >= 5 + 40;) {
			len = rng() % 40;
			buf[pos] = parsers[rng() % (sizeof(parsers) / sizeof(parsers[0]))].type;
			memcpy(buf + pos + 1, (uint8_t[]){0, 0, 0, (uint8_t)(len + 4)}, 4);
			pos += 5 + len;
		}
		walk_framers(buf, n);
		for (pos = 0; pos < n; pos += len + 1) {
			len = rng() % 48;
			if (len > n - pos)
				len = n - pos;
			run_all_parsers(buf + pos, len, 'x');
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rd),
	        cmocka_unit_test(test_frame_lengths),
	        cmocka_unit_test(test_frame_two_messages),
	        cmocka_unit_test(test_startup_frame_lengths),
	        cmocka_unit_test(test_startup_roundtrip),
	        cmocka_unit_test(test_startup_errors),
	        cmocka_unit_test(test_startup_requests),
	        cmocka_unit_test(test_query),
	        cmocka_unit_test(test_parse_msg),
	        cmocka_unit_test(test_bind),
	        cmocka_unit_test(test_bind_per_param_formats),
	        cmocka_unit_test(test_bind_errors),
	        cmocka_unit_test(test_parse_max_params),
	        cmocka_unit_test(test_bind_max_params),
	        cmocka_unit_test(test_describe_close),
	        cmocka_unit_test(test_execute_and_empty),
	        cmocka_unit_test(test_password_sasl),
	        cmocka_unit_test(test_auth),
	        cmocka_unit_test(test_auth_errors),
	        cmocka_unit_test(test_param_status_key_ready),
	        cmocka_unit_test(test_error_notice),
	        cmocka_unit_test(test_command_complete),
	        cmocka_unit_test(test_row_desc_data_row),
	        cmocka_unit_test(test_empty_backend),
	        cmocka_unit_test(test_writers_append),
	        cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
