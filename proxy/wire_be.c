/* wire_be.c — backend messages: parsing what servers send, writing what
 * shardgate sends to clients.
 *
 * Parsers borrow strings from the frame's buffer and insist the body is
 * consumed exactly where the protocol fixes its layout. */
#include "wire.h"

#include <stdio.h>
#include <string.h>

#define WIRE_LEN_MAX  ((size_t)INT32_MAX)
#define WIRE_OID_TEXT 25

static int rd_finish(const wire_rd_t *rd)
{
	if (rd->err)
		return rd->err;
	return rd->left == 0 ? 0 : SG_EPROTO;
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

/* AuthenticationSASL lists mechanisms as NUL-terminated names closed by an
 * empty name, which must be the body's last byte; at least one is needed. */
static int auth_sasl_list_check(wire_rd_t *rd)
{
	const char *mech;
	int n = 0;

	for (;;) {
		mech = wire_rd_cstr(rd);
		if (mech == NULL)
			return SG_EPROTO;
		if (mech[0] == '\0')
			break;
		n++;
	}
	if (n == 0)
		return SG_EPROTO;
	return rd_finish(rd);
}

/* Methods shardgate cannot speak (Kerberos, GSS, SSPI, crypt, SCM) return
 * SG_ENOTSUP with `code` set so the caller can name it. */
int wire_auth_parse(const wire_frame_t *f, wire_auth_t *a)
{
	wire_rd_t rd;
	int rc = SG_EPROTO;

	memset(a, 0, sizeof(*a));
	if (frame_open(f, 'R', &rd) != 0)
		goto fail;
	a->code = wire_rd_i32(&rd);
	if (rd.err)
		goto fail;
	a->data = rd.p;
	a->data_len = rd.left;
	switch (a->code) {
	case WIRE_AUTH_OK:
	case WIRE_AUTH_CLEARTEXT:
		rc = rd_finish(&rd);
		break;
	case WIRE_AUTH_MD5:
		(void)wire_rd_bytes(&rd, 4);
		rc = rd_finish(&rd);
		break;
	case WIRE_AUTH_SASL:
		rc = auth_sasl_list_check(&rd);
		break;
	case WIRE_AUTH_SASL_CONTINUE:
	case WIRE_AUTH_SASL_FINAL:
		rc = 0; /* opaque SASL payload, any length */
		break;
	default:
		a->data = NULL;
		a->data_len = 0;
		return SG_ENOTSUP;
	}
	if (rc != 0)
		goto fail;
	if (a->data_len == 0)
		a->data = NULL;
	return 0;
fail:
	memset(a, 0, sizeof(*a));
	return SG_EPROTO;
}

bool wire_auth_sasl_has(const wire_auth_t *a, const char *mech)
{
	wire_rd_t rd;
	const char *m;

	if (a->code != WIRE_AUTH_SASL || a->data == NULL)
		return false;
	wire_rd_init(&rd, a->data, a->data_len);
	while ((m = wire_rd_cstr(&rd)) != NULL && m[0] != '\0')
		if (strcmp(m, mech) == 0)
			return true;
	return false;
}

int wire_param_status_parse(const wire_frame_t *f, const char **name, const char **value)
{
	wire_rd_t rd;

	*name = NULL;
	*value = NULL;
	if (frame_open(f, 'S', &rd) != 0)
		goto fail;
	*name = wire_rd_cstr(&rd);
	*value = wire_rd_cstr(&rd);
	if (rd_finish(&rd) != 0)
		goto fail;
	return 0;
fail:
	*name = NULL;
	*value = NULL;
	return SG_EPROTO;
}

/* Protocol 3.0 keys are exactly 4 bytes; longer (3.2) keys are refused. */
int wire_backend_key_parse(const wire_frame_t *f, int32_t *pid, int32_t *key)
{
	wire_rd_t rd;

	*pid = 0;
	*key = 0;
	if (frame_open(f, 'K', &rd) != 0)
		goto fail;
	*pid = wire_rd_i32(&rd);
	*key = wire_rd_i32(&rd);
	if (rd_finish(&rd) != 0)
		goto fail;
	return 0;
fail:
	*pid = 0;
	*key = 0;
	return SG_EPROTO;
}

int wire_ready_parse(const wire_frame_t *f, char *status)
{
	wire_rd_t rd;
	char s;

	*status = 0;
	if (frame_open(f, 'Z', &rd) != 0)
		return SG_EPROTO;
	s = (char)wire_rd_u8(&rd);
	if (rd_finish(&rd) != 0)
		return SG_EPROTO;
	if (s != 'I' && s != 'T' && s != 'E')
		return SG_EPROTO;
	*status = s;
	return 0;
}

static void error_field_set(wire_error_t *e, uint8_t code, const char *value, const char **sev_s)
{
	switch (code) {
	case 'S':
		*sev_s = value;
		break;
	case 'V':
		e->severity = value;
		break;
	case 'C':
		e->sqlstate = value;
		break;
	case 'M':
		e->message = value;
		break;
	case 'D':
		e->detail = value;
		break;
	case 'H':
		e->hint = value;
		break;
	case 'P':
		e->position = value;
		break;
	default:
		break; /* the protocol says to ignore unknown field types */
	}
}

/* ErrorResponse/NoticeResponse: (code byte, string) pairs, then a 0 byte
 * that must end the body. 'V' (never localized) wins over 'S'. */
int wire_error_parse(const wire_frame_t *f, wire_error_t *e)
{
	wire_rd_t rd;
	const char *value, *sev_s = NULL;
	uint8_t code;

	memset(e, 0, sizeof(*e));
	if (f->type != 'E' && f->type != 'N')
		goto fail;
	if (frame_open(f, f->type, &rd) != 0)
		goto fail;
	for (;;) {
		code = wire_rd_u8(&rd);
		if (rd.err)
			goto fail; /* no terminator */
		if (code == 0)
			break;
		value = wire_rd_cstr(&rd);
		if (value == NULL)
			goto fail;
		error_field_set(e, code, value, &sev_s);
	}
	if (rd_finish(&rd) != 0)
		goto fail;
	if (e->severity == NULL)
		e->severity = sev_s;
	return 0;
fail:
	memset(e, 0, sizeof(*e));
	return SG_EPROTO;
}

/* Appends value to b with every occurrence of `from` (non-empty) as `to`. */
static void put_replaced(wbuf_t *b, const char *value, const char *from, const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to);
	const char *hit;

	while ((hit = strstr(value, from)) != NULL) {
		wbuf_put(b, value, (size_t)(hit - value));
		wbuf_put(b, to, tlen);
		value = hit + flen;
	}
	wbuf_put_cstr(b, value);
}

int wire_write_error_edit(wbuf_t *b, const wire_frame_t *f, const char *from, const char *to, int position)
{
	char pos[16];
	size_t mark;
	wire_rd_t rd;
	const char *value;
	uint8_t code;

	if ((from != NULL && from[0] == '\0') || (f->type != 'E' && f->type != 'N') ||
	    frame_open(f, f->type, &rd) != 0)
		return SG_EPROTO;
	snprintf(pos, sizeof(pos), "%d", position);
	mark = wbuf_msg_begin(b, f->type);
	for (;;) {
		code = wire_rd_u8(&rd);
		if (rd.err || code == 0)
			break;
		value = wire_rd_cstr(&rd);
		if (value == NULL)
			break;
		wbuf_put_u8(b, code);
		if (from != NULL && (code == 'M' || code == 'D'))
			put_replaced(b, value, from, to);
		else
			wbuf_put_cstr(b, code == 'P' && position > 0 ? pos : value);
	}
	wbuf_put_u8(b, 0);
	wbuf_msg_end(b, mark);
	if (rd.err || code != 0 || rd_finish(&rd) != 0)
		return SG_EPROTO; /* what was appended is dropped by the caller's error path */
	return wbuf_status(b);
}

int wire_command_complete_parse(const wire_frame_t *f, const char **tag)
{
	wire_rd_t rd;

	*tag = NULL;
	if (frame_open(f, 'C', &rd) != 0)
		return SG_EPROTO;
	*tag = wire_rd_cstr(&rd);
	if (rd_finish(&rd) != 0) {
		*tag = NULL;
		return SG_EPROTO;
	}
	return 0;
}

/* ---- write ---- */

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

int wire_write_auth(wbuf_t *b, int32_t code, const void *data, size_t len)
{
	size_t start = b->len, mark;

	if (len > WIRE_LEN_MAX)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'R');
	wbuf_put_i32(b, code);
	wbuf_put(b, data, len);
	return msg_finish(b, start, mark);
}

int wire_write_auth_ok(wbuf_t *b)
{
	return wire_write_auth(b, WIRE_AUTH_OK, NULL, 0);
}

int wire_write_auth_cleartext(wbuf_t *b)
{
	return wire_write_auth(b, WIRE_AUTH_CLEARTEXT, NULL, 0);
}

int wire_write_auth_md5(wbuf_t *b, const uint8_t salt[4])
{
	return wire_write_auth(b, WIRE_AUTH_MD5, salt, 4);
}

int wire_write_auth_sasl(wbuf_t *b, const char *mech)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'R');

	wbuf_put_i32(b, WIRE_AUTH_SASL);
	wbuf_put_cstr(b, mech);
	wbuf_put_u8(b, 0); /* end of the mechanism list */
	return msg_finish(b, start, mark);
}

int wire_write_auth_sasl_continue(wbuf_t *b, const void *data, size_t len)
{
	return wire_write_auth(b, WIRE_AUTH_SASL_CONTINUE, data, len);
}

int wire_write_auth_sasl_final(wbuf_t *b, const void *data, size_t len)
{
	return wire_write_auth(b, WIRE_AUTH_SASL_FINAL, data, len);
}

int wire_write_param_status(wbuf_t *b, const char *name, const char *value)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'S');

	wbuf_put_cstr(b, name);
	wbuf_put_cstr(b, value);
	return msg_finish(b, start, mark);
}

int wire_write_backend_key(wbuf_t *b, int32_t pid, int32_t key)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'K');

	wbuf_put_i32(b, pid);
	wbuf_put_i32(b, key);
	return msg_finish(b, start, mark);
}

int wire_write_ready(wbuf_t *b, char status)
{
	size_t start = b->len, mark;

	if (status != 'I' && status != 'T' && status != 'E')
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'Z');
	wbuf_put_u8(b, (uint8_t)status);
	return msg_finish(b, start, mark);
}

static void put_field(wbuf_t *b, uint8_t code, const char *value)
{
	wbuf_put_u8(b, code);
	wbuf_put_cstr(b, value);
}

static int write_report(wbuf_t *b, uint8_t type, const char *severity, const char *sqlstate,
                        const char *message, const char *detail)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, type);

	put_field(b, 'S', severity);
	put_field(b, 'V', severity);
	put_field(b, 'C', sqlstate);
	put_field(b, 'M', message);
	if (detail)
		put_field(b, 'D', detail);
	wbuf_put_u8(b, 0);
	return msg_finish(b, start, mark);
}

int wire_write_error(wbuf_t *b, const char *severity, const char *sqlstate, const char *message,
                     const char *detail)
{
	return write_report(b, 'E', severity, sqlstate, message, detail);
}

int wire_write_notice(wbuf_t *b, const char *severity, const char *sqlstate, const char *message,
                      const char *detail)
{
	return write_report(b, 'N', severity, sqlstate, message, detail);
}

int wire_write_row_desc_text(wbuf_t *b, int ncols, const char *const *names)
{
	size_t start = b->len, mark;
	int i;

	if (ncols < 0 || ncols > INT16_MAX)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'T');
	wbuf_put_i16(b, (int16_t)ncols);
	for (i = 0; i < ncols; i++) {
		wbuf_put_cstr(b, names[i]);
		wbuf_put_i32(b, 0);             /* table oid: not a table column */
		wbuf_put_i16(b, 0);             /* attribute number */
		wbuf_put_i32(b, WIRE_OID_TEXT); /* type oid */
		wbuf_put_i16(b, -1);            /* typlen: varlena */
		wbuf_put_i32(b, -1);            /* typmod: none */
		wbuf_put_i16(b, 0);             /* format: text */
	}
	return msg_finish(b, start, mark);
}

int wire_write_data_row(wbuf_t *b, int ncols, const char *const *values)
{
	size_t start = b->len, mark, n;
	int i;

	if (ncols < 0 || ncols > INT16_MAX)
		return SG_ERANGE;
	mark = wbuf_msg_begin(b, 'D');
	wbuf_put_i16(b, (int16_t)ncols);
	for (i = 0; i < ncols; i++) {
		if (values[i] == NULL) {
			wbuf_put_i32(b, -1);
			continue;
		}
		n = strlen(values[i]);
		if (n > WIRE_LEN_MAX) {
			b->len = start;
			return SG_ERANGE;
		}
		wbuf_put_i32(b, (int32_t)n);
		wbuf_put(b, values[i], n);
	}
	return msg_finish(b, start, mark);
}

int wire_write_command_complete(wbuf_t *b, const char *tag)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, 'C');

	wbuf_put_cstr(b, tag);
	return msg_finish(b, start, mark);
}

static int write_empty(wbuf_t *b, uint8_t type)
{
	size_t start = b->len, mark = wbuf_msg_begin(b, type);

	return msg_finish(b, start, mark);
}

int wire_write_empty_query(wbuf_t *b)
{
	return write_empty(b, 'I');
}

int wire_write_parse_complete(wbuf_t *b)
{
	return write_empty(b, '1');
}

int wire_write_bind_complete(wbuf_t *b)
{
	return write_empty(b, '2');
}

int wire_write_close_complete(wbuf_t *b)
{
	return write_empty(b, '3');
}

int wire_write_no_data(wbuf_t *b)
{
	return write_empty(b, 'n');
}

int wire_write_portal_suspended(wbuf_t *b)
{
	return write_empty(b, 's');
}
