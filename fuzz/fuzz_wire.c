/* fuzz_wire.c — libFuzzer target for the wire codec (see fuzz/README.md).
 *
 * The input is treated three ways: as a stream of typed messages, as a
 * stream of startup packets, and (after the first byte) as one body handed
 * to every parser under every type it accepts. Whatever parses must
 * re-encode to exactly the bytes it came from: parsers consume whole
 * bodies, so a difference means a parser accepted something it should
 * not, or lost something on the way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define FUZZ_MAXLEN (1u << 20)

/* wb is reset before each re-encoding; `msg` is the original message. */
static wbuf_t wb;

static void same_bytes(int rc, const uint8_t *msg, size_t n)
{
	if (rc != 0 || wb.len != n || memcmp(wb.data, msg, n) != 0)
		__builtin_trap();
}

static void inside(const void *p, size_t len, const wire_frame_t *f)
{
	const uint8_t *q = p;

	if (len && (q < f->body || q + len > f->body + f->body_len))
		__builtin_trap();
}

static void check_bind(const wire_frame_t *f, const uint8_t *msg)
{
	wire_bind_msg_t m;
	const uint8_t *v;
	int32_t len;
	int16_t fmt;

	if (wire_bind_parse(f, &m) != 0)
		return;
	for (int i = 0; i < m.nparams; i++) {
		if (wire_bind_param(&m, i, &v, &len, &fmt) != 0 || len < -1 || fmt < 0 || fmt > 1)
			__builtin_trap();
		if (len > 0)
			inside(v, (size_t)len, f);
	}
	if (msg == NULL)
		return;
	wbuf_reset(&wb);
	same_bytes(wire_write_bind_renamed(&wb, m.portal, m.stmt, m.rest, m.rest_len), msg, f->total_len);
}

static void check_auth(const wire_frame_t *f, const uint8_t *msg)
{
	wire_auth_t a;

	if (wire_auth_parse(f, &a) != 0)
		return;
	inside(a.data, a.data_len, f);
	(void)wire_auth_sasl_has(&a, "SCRAM-SHA-256");
	if (msg == NULL)
		return;
	wbuf_reset(&wb);
	same_bytes(wire_write_auth(&wb, a.code, a.data, a.data_len), msg, f->total_len);
}

static void check_error(const wire_frame_t *f)
{
	wire_error_t e;

	if (wire_error_parse(f, &e) != 0)
		return;
	if (e.message)
		inside(e.message, strlen(e.message) + 1, f);
}

/* Every typed parser, each under every type it accepts; msg is the whole
 * message when f came from the framer (NULL when forced). */
static void parse_typed(const wire_frame_t *in, const uint8_t *msg)
{
	wire_frame_t f = *in;
	wire_parse_msg_t pm;
	wire_target_msg_t tm;
	const char *s1, *s2;
	const uint8_t *d;
	size_t n;
	int32_t i1, i2;
	char st;
	int rc;
	size_t tl = f.total_len;

#define RT(call)                                                                                             \
	do {                                                                                                 \
		if (msg) {                                                                                   \
			wbuf_reset(&wb);                                                                     \
			same_bytes((call), msg, tl);                                                         \
		}                                                                                            \
	} while (0)

	f.type = msg ? in->type : 'Q';
	if (wire_query_parse(&f, &s1) == 0)
		RT(wire_write_query(&wb, s1));
	f.type = msg ? in->type : 'P';
	if (wire_parse_parse(&f, &pm) == 0)
		RT(wire_write_parse(&wb, pm.stmt, pm.query, pm.nparams, pm.param_types));
	f.type = msg ? in->type : 'B';
	check_bind(&f, msg);
	for (const char *t = "DC"; *t; t++) {
		f.type = msg ? in->type : (uint8_t)*t;
		if (wire_target_parse(&f, &tm) == 0)
			RT(f.type == 'D' ? wire_write_describe(&wb, tm.kind, tm.name)
			                 : wire_write_close(&wb, tm.kind, tm.name));
	}
	f.type = msg ? in->type : 'E';
	if (wire_execute_parse(&f, &s1, &i1) == 0)
		RT(wire_write_execute(&wb, s1, i1));
	f.type = msg ? in->type : 'p';
	if (wire_password_parse(&f, &s1) == 0)
		RT(wire_write_password(&wb, s1));
	if (wire_sasl_initial_parse(&f, &s1, &d, &n) == 0)
		RT(wire_write_sasl_initial(&wb, s1, d, n));
	if (wire_sasl_response_parse(&f, &d, &n) == 0)
		RT(wire_write_sasl_response(&wb, d, n));
	f.type = msg ? in->type : 'R';
	check_auth(&f, msg);
	f.type = msg ? in->type : 'S';
	if (wire_param_status_parse(&f, &s1, &s2) == 0)
		RT(wire_write_param_status(&wb, s1, s2));
	f.type = msg ? in->type : 'K';
	if (wire_backend_key_parse(&f, &i1, &i2) == 0)
		RT(wire_write_backend_key(&wb, i1, i2));
	f.type = msg ? in->type : 'Z';
	rc = wire_ready_parse(&f, &st);
	if (rc == 0)
		RT(wire_write_ready(&wb, st));
	for (const char *t = "EN"; *t; t++) {
		f.type = msg ? in->type : (uint8_t)*t;
		check_error(&f);
	}
	f.type = msg ? in->type : 'C';
	if (wire_command_complete_parse(&f, &s1) == 0)
		RT(wire_write_command_complete(&wb, s1));
#undef RT
}

static void parse_startup(const wire_frame_t *f, const uint8_t *msg)
{
	wire_startup_t s;
	int rc;

	if (wire_startup_parse(f, &s) != 0)
		return;
	(void)wire_startup_get(&s, "database");
	if (msg == NULL)
		return;
	wbuf_reset(&wb);
	switch (s.code) {
	case WIRE_PROTO_V3:
		rc = wire_write_startup(&wb, s.params, s.nparams);
		break;
	case WIRE_CANCEL_REQUEST:
		rc = wire_write_cancel(&wb, s.cancel_pid, s.cancel_key);
		break;
	case WIRE_SSL_REQUEST:
		rc = wire_write_ssl_request(&wb);
		break;
	default:
		return; /* GSSENC and 3.x minors have no writer */
	}
	same_bytes(rc, msg, f->total_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wire_frame_t f;
	size_t pos;

	for (pos = 0; pos < size;) {
		if (wire_frame_read(data + pos, size - pos, FUZZ_MAXLEN, &f) != 0)
			break;
		if (f.total_len > size - pos || f.body != data + pos + 5)
			__builtin_trap();
		parse_typed(&f, data + pos);
		pos += f.total_len;
	}
	for (pos = 0; pos < size;) {
		if (wire_startup_frame_read(data + pos, size - pos, &f) != 0)
			break;
		if (f.total_len > size - pos)
			__builtin_trap();
		parse_startup(&f, data + pos);
		pos += f.total_len;
	}
	if (size >= 1) {
		f = (wire_frame_t){.type = 0, .body = data + 1, .body_len = (uint32_t)(size - 1)};
		f.total_len = f.body_len + 5;
		parse_typed(&f, NULL);
		parse_startup(&f, NULL);
	}
	wbuf_free(&wb);
	return 0;
}
