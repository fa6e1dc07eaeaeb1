/* wire_fe.c — frontend messages: parsing what clients send, writing what
 * shardgate sends to a backend.
 *
 * Parsers borrow strings from the frame's buffer and insist the body is
 * consumed exactly: a trailing byte is as malformed as a missing one. */
#include "wire.h"

#include <string.h>

#define WIRE_LEN_MAX ((size_t)INT32_MAX)

static int rd_finish(const wire_rd_t *rd)
{
	if (rd->err)
		return rd->err;
	return rd->left == 0 ? 0 : SG_EPROTO;
}

/* Parse and Bind counts are unsigned 16-bit on the wire. The int16 read
 * converted to uint16_t is exact (conversion to unsigned is modular). */
static uint16_t rd_count(wire_rd_t *rd)
{
	return (uint16_t)wire_rd_i16(rd);
}

/* A frame that is not of the expected type is the caller dispatching
 * wrongly; treat it as malformed rather than read a foreign layout. */
static int frame_open(const wire_frame_t *f, uint8_t type, wire_rd_t *rd)
{
	if (f->type != type || (f->body == NULL && f->body_len != 0))
		return SG_EPROTO;
	wire_rd_init(rd, f->body, f->body_len);
	return 0;
}

/* ---- parse ---- */

int wire_query_parse(const wire_frame_t *f, const char **sql)
{
	wire_rd_t rd;

	*sql = NULL;
	if (frame_open(f, 'Q', &rd) != 0)
		return SG_EPROTO;
	*sql = wire_rd_cstr(&rd);
	if (rd_finish(&rd) != 0) {
		*sql = NULL;
		return SG_EPROTO;
	}
	return 0;
}

int wire_parse_parse(const wire_frame_t *f, wire_parse_msg_t *m)
{
	wire_rd_t rd;

	memset(m, 0, sizeof(*m));
	if (frame_open(f, 'P', &rd) != 0)
		goto fail;
	m->stmt = wire_rd_cstr(&rd);
	m->query = wire_rd_cstr(&rd);
	m->nparams = rd_count(&rd);
	m->param_types = wire_rd_bytes(&rd, (size_t)m->nparams * 4);
	if (rd_finish(&rd) != 0)
		goto fail;
	return 0;
fail:
	memset(m, 0, sizeof(*m));
	return SG_EPROTO;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/* Only text (0) and binary (1) exist; PostgreSQL would refuse anything
 * else later, shardgate refuses it before relaying. */
static bool formats_valid(const uint8_t *codes, uint16_t n)
{
	size_t i;

	if (codes == NULL)
		return n == 0;
	for (i = 0; i < n; i++)
		if (be16(codes + 2 * i) > 1)
			return false;
	return true;
}

/* Walks the nparams (len, bytes) pairs; returns how many bytes they span
 * or leaves rd->err set. */
static size_t bind_params_skip(wire_rd_t *rd, uint16_t nparams)
{
	size_t start = rd->left;
	int32_t len;
	size_t i;

	for (i = 0; i < nparams && !rd->err; i++) {
		len = wire_rd_i32(rd);
		if (len < -1)
			rd->err = SG_EPROTO;
		else if (len > 0)
			(void)wire_rd_bytes(rd, (size_t)len);
	}
	return rd->err ? 0 : start - rd->left;
}

int wire_bind_parse(const wire_frame_t *f, wire_bind_msg_t *m)
{
	wire_rd_t rd;

	memset(m, 0, sizeof(*m));
	if (frame_open(f, 'B', &rd) != 0)
		goto fail;
	m->portal = wire_rd_cstr(&rd);
	m->stmt = wire_rd_cstr(&rd);
	if (rd.err)
		goto fail;
	m->rest = rd.p;
	m->rest_len = rd.left;
	m->nformats = rd_count(&rd);
	m->formats = wire_rd_bytes(&rd, (size_t)m->nformats * 2);
	if (rd.err || !formats_valid(m->formats, m->nformats))
		goto fail;
	m->nparams = rd_count(&rd);
	/* one format applies to all parameters, otherwise one each */
	if (m->nformats > 1 && m->nformats != m->nparams)
		goto fail;
	m->params = rd.p;
	m->params_len = bind_params_skip(&rd, m->nparams);
	m->nresult_formats = rd_count(&rd);
	m->result_formats = wire_rd_bytes(&rd, (size_t)m->nresult_formats * 2);
	if (rd.err || !formats_valid(m->result_formats, m->nresult_formats))
		goto fail;
	if (rd_finish(&rd) != 0)
		goto fail;
	return 0;
fail:
	memset(m, 0, sizeof(*m));
	return SG_EPROTO;
}

/* Format code of parameter i: one code for all, one each, or none (text). */
static int16_t bind_format(const wire_bind_msg_t *m, size_t i)
{
	if (m->nformats == 1)
		return (int16_t)be16(m->formats);
	if (m->nformats > i)
		return (int16_t)be16(m->formats + 2 * i);
	return 0;
}

/* Reads the next (len, bytes) pair; the Bind was validated, so an error
 * here means the caller handed in a message that was not. */
static int bind_param_next(wire_rd_t *rd, const uint8_t **val, int32_t *len)
{
	*len = wire_rd_i32(rd);
	if (*len < -1)
		rd->err = SG_EPROTO;
	*val = *len >= 0 ? wire_rd_bytes(rd, (size_t)*len) : NULL;
	if (rd->err) {
		*val = NULL;
		*len = -1;
		return SG_EPROTO;
	}
	return 0;
}

int wire_bind_param(const wire_bind_msg_t *m, int i, const uint8_t **val, int32_t *len, int16_t *format)
{
	wire_rd_t rd;
	int k;

	*val = NULL;
	*len = -1;
	*format = 0;
	if (i < 0 || i >= m->nparams)
		return SG_ERANGE;
	wire_rd_init(&rd, m->params, m->params_len);
	for (k = 0; k <= i; k++)
		if (bind_param_next(&rd, val, len) != 0)
			return SG_EPROTO;
	*format = bind_format(m, (size_t)i);
	return 0;
}

int wire_bind_params_all(const wire_bind_msg_t *m, const uint8_t **vals, int32_t *lens, int16_t *formats)
{
	wire_rd_t rd;
	size_t i;

	wire_rd_init(&rd, m->params, m->params_len);
	for (i = 0; i < m->nparams; i++) {
		formats[i] = bind_format(m, i);
		if (bind_param_next(&rd, &vals[i], &lens[i]) != 0)
			return SG_EPROTO;
	}
	return 0;
}

int wire_target_parse(const wire_frame_t *f, wire_target_msg_t *m)
{
	wire_rd_t rd;

	m->kind = 0;
	m->name = NULL;
	if (f->type != 'D' && f->type != 'C')
		goto fail;
	if (frame_open(f, f->type, &rd) != 0)
		goto fail;
	m->kind = (char)wire_rd_u8(&rd);
	m->name = wire_rd_cstr(&rd);
	if (rd_finish(&rd) != 0 || (m->kind != 'S' && m->kind != 'P'))
		goto fail;
	return 0;
fail:
	m->kind = 0;
	m->name = NULL;
	return SG_EPROTO;
}

int wire_execute_parse(const wire_frame_t *f, const char **portal, int32_t *max_rows)
{
	wire_rd_t rd;

	*portal = NULL;
	*max_rows = 0;
	if (frame_open(f, 'E', &rd) != 0)
		goto fail;
	*portal = wire_rd_cstr(&rd);
	*max_rows = wire_rd_i32(&rd);
	if (rd_finish(&rd) != 0)
		goto fail;
	return 0;
fail:
	*portal = NULL;
	*max_rows = 0;
	return SG_EPROTO;
}

int wire_password_parse(const wire_frame_t *f, const char **password)
{
	wire_rd_t rd;

	*password = NULL;
	if (frame_open(f, 'p', &rd) != 0)
		return SG_EPROTO;
	*password = wire_rd_cstr(&rd);
	if (rd_finish(&rd) != 0) {
		*password = NULL;
		return SG_EPROTO;
	}
	return 0;
}

/* SASLInitialResponse: a data length of -1 means "no initial response";
 * it is reported as data NULL, len 0. */
int wire_sasl_initial_parse(const wire_frame_t *f, const char **mech, const uint8_t **data, size_t *len)
{
	wire_rd_t rd;
	int32_t n;

	*mech = NULL;
	*data = NULL;
	*len = 0;
	if (frame_open(f, 'p', &rd) != 0)
		goto fail;
	*mech = wire_rd_cstr(&rd);
	n = wire_rd_i32(&rd);
	if (n < -1)
		goto fail;
	if (n >= 0) {
		*data = wire_rd_bytes(&rd, (size_t)n);
		*len = (size_t)n;
	}
	if (rd_finish(&rd) != 0)
		goto fail;
	return 0;
fail:
	*mech = NULL;
	*data = NULL;
	*len = 0;
	return SG_EPROTO;
}

int wire_sasl_response_parse(const wire_frame_t *f, const uint8_t **data, size_t *len)
{
	wire_rd_t rd;

	*data = NULL;
	*len = 0;
	if (frame_open(f, 'p', &rd) != 0)
		return SG_EPROTO;
	*data = wire_rd_bytes(&rd, rd.left);
	*len = f->body_len;
	return 0;
}

/* ---- write ---- */

/* Counts go out as the unsigned 16-bit values they are, byte by byte so
 * no signed conversion is involved. */
static void put_count(wbuf_t *b, uint16_t n)
{
	wbuf_put_u8(b, (uint8_t)(n >> 8));
	wbuf_put_u8(b, (uint8_t)n);
}

/* Rolls back a message whose length word would not fit an int32 rather
 * than send it malformed; otherwise patches the length and reports OOM. */
static int msg_finish(wbuf_t *b, size_t start, size_t mark)
{
	if (b->oom)
		return SG_ENOMEM;
	if (b->len - mark > WIRE_LEN_MAX) {
		b->len = start;
		return SG_ERANGE;
	}
	wbuf_msg_end(b, mark);
	return wbuf_status(b);
}

int wire_write_startup(wbuf_t *b, const wire_param_t *params, size_t n)
{
	size_t start = b->len, mark, i;

	mark = wbuf_msg_begin(b, 0);
	wbuf_put_i32(b, WIRE_PROTO_V3);
	for (i = 0; i < n; i++) {
		wbuf_put_cstr(b, params[i].name);
		wbuf_put_cstr(b, params[i].value);
	}
	wbuf_put_u8(b, 0);
	return msg_finish(b, start, mark);
}

int wire_write_cancel(wbuf_t *b, int32_t pid, int32_t key)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 0);

	wbuf_put_i32(b, WIRE_CANCEL_REQUEST);
	wbuf_put_i32(b, pid);
	wbuf_put_i32(b, key);
	return msg_finish(b, start, mark);
}

int wire_write_ssl_request(wbuf_t *b)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 0);

	wbuf_put_i32(b, WIRE_SSL_REQUEST);
	return msg_finish(b, start, mark);
}

int wire_write_password(wbuf_t *b, const char *password)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'p');

	wbuf_put_cstr(b, password);
	return msg_finish(b, start, mark);
}

/* data NULL writes length -1 (no initial response), mirroring the parser. */
int wire_write_sasl_initial(wbuf_t *b, const char *mech, const void *data, size_t len)
{
	size_t start = b->len, mark;

	if (len > WIRE_LEN_MAX)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'p');
	wbuf_put_cstr(b, mech);
	wbuf_put_i32(b, data ? (int32_t)len : -1);
	if (data)
		wbuf_put(b, data, len);
	return msg_finish(b, start, mark);
}

int wire_write_sasl_response(wbuf_t *b, const void *data, size_t len)
{
	size_t start = b->len, mark;

	if (len > WIRE_LEN_MAX)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'p');
	wbuf_put(b, data, len);
	return msg_finish(b, start, mark);
}

int wire_write_query(wbuf_t *b, const char *sql)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'Q');

	wbuf_put_cstr(b, sql);
	return msg_finish(b, start, mark);
}

/* param_types holds nparams big-endian OIDs, as wire_parse_parse gives them. */
int wire_write_parse(wbuf_t *b, const char *stmt, const char *query, uint16_t nparams,
                     const uint8_t *param_types)
{
	size_t start = b->len, mark;

	if (nparams > 0 && param_types == NULL)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'P');
	wbuf_put_cstr(b, stmt);
	wbuf_put_cstr(b, query);
	put_count(b, nparams);
	wbuf_put(b, param_types, (size_t)nparams * 4);
	return msg_finish(b, start, mark);
}

int wire_write_bind_renamed(wbuf_t *b, const char *portal, const char *stmt, const uint8_t *rest,
                            size_t rest_len)
{
	size_t start = b->len, mark;

	if (rest_len > WIRE_LEN_MAX)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'B');
	wbuf_put_cstr(b, portal);
	wbuf_put_cstr(b, stmt);
	wbuf_put(b, rest, rest_len);
	return msg_finish(b, start, mark);
}

int wire_write_bind_text(wbuf_t *b, const char *portal, const char *stmt, uint16_t nparams,
                         const char *const *values)
{
	size_t start = b->len, mark, len;
	uint16_t i;

	mark = wbuf_msg_begin(b, 'B');
	wbuf_put_cstr(b, portal);
	wbuf_put_cstr(b, stmt);
	put_count(b, 0); /* every parameter in text format */
	put_count(b, nparams);
	for (i = 0; i < nparams; i++) {
		len = strlen(values[i]);
		if (len > WIRE_LEN_MAX) {
			b->len = start;
			return SG_ERANGE;
		}
		wbuf_put_i32(b, (int32_t)len);
		wbuf_put(b, values[i], len);
	}
	put_count(b, 0); /* every result column in text format */
	return msg_finish(b, start, mark);
}

static int write_target(wbuf_t *b, uint8_t type, char kind, const char *name)
{
	size_t start = b->len, mark;

	if (kind != 'S' && kind != 'P')
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, type);
	wbuf_put_u8(b, (uint8_t)kind);
	wbuf_put_cstr(b, name);
	return msg_finish(b, start, mark);
}

int wire_write_describe(wbuf_t *b, char kind, const char *name)
{
	return write_target(b, 'D', kind, name);
}

int wire_write_close(wbuf_t *b, char kind, const char *name)
{
	return write_target(b, 'C', kind, name);
}

int wire_write_execute(wbuf_t *b, const char *portal, int32_t max_rows)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'E');

	wbuf_put_cstr(b, portal);
	wbuf_put_i32(b, max_rows);
	return msg_finish(b, start, mark);
}

static int write_empty(wbuf_t *b, uint8_t type)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, type);

	return msg_finish(b, start, mark);
}

int wire_write_sync(wbuf_t *b)
{
	return write_empty(b, 'S');
}

int wire_write_flush(wbuf_t *b)
{
	return write_empty(b, 'H');
}

int wire_write_terminate(wbuf_t *b)
{
	return write_empty(b, 'X');
}
