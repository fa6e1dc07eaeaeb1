/* wire_frame.c — message framing, the bounded field reader and the
 * startup-phase packets of the PostgreSQL v3 protocol.
 *
 * Everything here reads from a caller-owned buffer and never past the
 * length it is given; results borrow from that buffer. */
#include "wire.h"

#include <string.h>

/* Lengths on the wire are int32. Anything that does not fit a positive
 * int32 is rejected as too big before it can become a huge unsigned size. */
#define WIRE_LEN_MAX ((uint32_t)INT32_MAX)

/* A body parse succeeds only if no read overran and nothing is left over. */
static int rd_finish(const wire_rd_t *rd)
{
	if (rd->err)
		return rd->err;
	return rd->left == 0 ? 0 : SG_EPROTO;
}

/* max_len bounds the length word (which counts itself but not the type
 * byte), i.e. the same number PostgreSQL compares against its limits. */
int wire_frame_read(const uint8_t *buf, size_t avail, uint32_t max_len, wire_frame_t *f)
{
	uint32_t len;

	memset(f, 0, sizeof(*f));
	if (avail < 5)
		return SG_EAGAIN;
	f->type = buf[0];
	len = wire_be32(buf + 1);
	if (len < 4)
		return SG_EPROTO;
	if (len > WIRE_LEN_MAX || len > max_len)
		return SG_ETOOBIG;
	f->total_len = len + 1;
	f->body_len = len - 4;
	if (avail < f->total_len)
		return SG_EAGAIN;
	f->body = buf + 5;
	return 0;
}

int wire_startup_frame_read(const uint8_t *buf, size_t avail, wire_frame_t *f)
{
	uint32_t len;

	memset(f, 0, sizeof(*f));
	if (avail < 4)
		return SG_EAGAIN;
	len = wire_be32(buf);
	if (len < 8)
		return SG_EPROTO;
	if (len > WIRE_STARTUP_MAX)
		return SG_ETOOBIG;
	f->total_len = len;
	f->body_len = len - 4;
	if (avail < len)
		return SG_EAGAIN;
	f->body = buf + 4;
	return 0;
}

/* ---- bounded field reader ----
 * Once err is set every read fails, so a parser can read a whole message
 * and check err once at the end (rd_finish). */

void wire_rd_init(wire_rd_t *rd, const uint8_t *p, size_t len)
{
	rd->p = p;
	rd->left = len;
	rd->err = 0;
}

const uint8_t *wire_rd_bytes(wire_rd_t *rd, size_t n)
{
	const uint8_t *p;

	if (rd->err)
		return NULL;
	if (n > rd->left) {
		rd->err = SG_EPROTO;
		return NULL;
	}
	p = rd->p;
	rd->p += n;
	rd->left -= n;
	return p;
}

uint8_t wire_rd_u8(wire_rd_t *rd)
{
	const uint8_t *p = wire_rd_bytes(rd, 1);

	return p ? p[0] : 0;
}

int16_t wire_rd_i16(wire_rd_t *rd)
{
	const uint8_t *p = wire_rd_bytes(rd, 2);

	if (p == NULL)
		return 0;
	return (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]);
}

int32_t wire_rd_i32(wire_rd_t *rd)
{
	const uint8_t *p = wire_rd_bytes(rd, 4);

	return p ? (int32_t)wire_be32(p) : 0;
}

const char *wire_rd_cstr(wire_rd_t *rd)
{
	const uint8_t *nul;

	if (rd->err)
		return NULL;
	nul = rd->left ? memchr(rd->p, 0, rd->left) : NULL;
	if (nul == NULL) {
		rd->err = SG_EPROTO;
		return NULL;
	}
	return (const char *)wire_rd_bytes(rd, (size_t)(nul - rd->p) + 1);
}

/* ---- startup phase ---- */

/* Request packets carry a fixed body: code (+ pid and key for cancel). */
static int startup_request_parse(wire_rd_t *rd, wire_startup_t *out)
{
	if (out->code == WIRE_CANCEL_REQUEST) {
		out->cancel_pid = wire_rd_i32(rd);
		out->cancel_key = wire_rd_i32(rd);
	}
	return rd_finish(rd);
}

/* Duplicate names are refused: shardgate reads one "user" while a backend
 * given the same packet would honour the last, and the two must agree. */
static bool startup_has(const wire_startup_t *s, const char *name)
{
	return wire_startup_get(s, name) != NULL;
}

static int startup_params_parse(wire_rd_t *rd, wire_startup_t *out)
{
	const char *name, *value;
	const char *user;

	for (;;) {
		name = wire_rd_cstr(rd);
		if (name == NULL)
			return SG_EPROTO; /* no terminating NUL */
		if (name[0] == '\0')
			break;
		value = wire_rd_cstr(rd);
		if (value == NULL)
			return SG_EPROTO;
		if (startup_has(out, name))
			return SG_EPROTO;
		if (out->nparams == WIRE_MAX_STARTUP_PARAMS)
			return SG_ETOOBIG;
		out->params[out->nparams].name = name;
		out->params[out->nparams].value = value;
		out->nparams++;
	}
	/* the empty name must be the packet's last byte */
	if (rd_finish(rd) != 0)
		return SG_EPROTO;
	user = wire_startup_get(out, "user");
	if (user == NULL || user[0] == '\0')
		return SG_EPROTO;
	return 0;
}

int wire_startup_parse(const wire_frame_t *f, wire_startup_t *out)
{
	wire_rd_t rd;

	out->code = 0;
	out->cancel_pid = 0;
	out->cancel_key = 0;
	out->nparams = 0;
	if (f->type != 0 || f->body == NULL)
		return SG_EPROTO;
	wire_rd_init(&rd, f->body, f->body_len);
	out->code = wire_rd_i32(&rd);
	if (rd.err)
		return SG_EPROTO;
	switch (out->code) {
	case WIRE_CANCEL_REQUEST:
	case WIRE_SSL_REQUEST:
	case WIRE_GSSENC_REQUEST:
		return startup_request_parse(&rd, out);
	default:
		break;
	}
	/* Any 3.x is framed the same way; the minor version stays in `code`
	 * for the caller to negotiate. */
	if (((uint32_t)out->code >> 16) != 3)
		return SG_ENOTSUP;
	return startup_params_parse(&rd, out);
}

const char *wire_startup_get(const wire_startup_t *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return s->params[i].value;
	return NULL;
}
