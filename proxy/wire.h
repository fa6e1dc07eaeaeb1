/* wire.h — the PostgreSQL v3 wire-protocol codec.
 *
 * Pure and bounded: nothing here touches a socket. Readers take a buffer
 * and its length and never look past it; string results point INTO the
 * caller's buffer (borrowed: valid while that buffer is). Writers append
 * one message each to a wbuf and return 0, SG_ENOMEM, or SG_ERANGE when an
 * argument cannot be encoded (bad kind/status byte, negative count, a
 * message too long for its length word) — then nothing is appended.
 *
 * Parse's and Bind's counts are uint16 on the wire (PostgreSQL reads them
 * unsigned and allows up to 65535 parameters), so they are uint16_t here:
 * 0xffff is 65535, never -1, and 65536 cannot be expressed.
 *
 * "Frontend" messages are what a client sends (and what shardgate sends to
 * a backend); "backend" messages are what a server sends (and what
 * shardgate sends to a client). Implementation is split by direction:
 * wire_frame.c (framing + startup), wire_fe.c, wire_be.c. */
#ifndef SG_WIRE_H
#define SG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "wbuf.h"

/* A big-endian 32-bit field at p (the caller has checked the 4 bytes are there). */
static inline uint32_t wire_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#define WIRE_PROTO_V3           196608 /* 3.0 */
#define WIRE_CANCEL_REQUEST     80877102
#define WIRE_SSL_REQUEST        80877103
#define WIRE_GSSENC_REQUEST     80877104
#define WIRE_STARTUP_MAX        10000 /* PostgreSQL's own cap on startup packets */
#define WIRE_MAX_STARTUP_PARAMS 64

/* One framed message. For startup-phase packets `type` is 0. `body` points
 * into the caller's buffer, `body_len` excludes type and length word, and
 * `total_len` is what the message occupies in the buffer. */
typedef struct wire_frame {
	uint8_t type;
	const uint8_t *body;
	uint32_t body_len;
	uint32_t total_len;
} wire_frame_t;

/* wire_frame_read frames one typed message at the start of buf.
 * Returns 0 when the whole message is in buf, SG_EAGAIN when more bytes
 * are needed (f->total_len is set once the 5-byte header is present),
 * SG_EPROTO if the declared length is below 4, SG_ETOOBIG above max_len. */
int wire_frame_read(const uint8_t *buf, size_t avail, uint32_t max_len, wire_frame_t *f) SG_WUR;
/* wire_startup_frame_read frames one untyped startup-phase packet
 * (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest). The length
 * must be 8..WIRE_STARTUP_MAX. */
int wire_startup_frame_read(const uint8_t *buf, size_t avail, wire_frame_t *f) SG_WUR;

/* ---- bounded field reader (sticky error) ---- */
typedef struct wire_rd {
	const uint8_t *p;
	size_t left;
	int err; /* SG_EPROTO once any read ran past the end */
} wire_rd_t;

void wire_rd_init(wire_rd_t *rd, const uint8_t *p, size_t len);
uint8_t wire_rd_u8(wire_rd_t *rd);
int16_t wire_rd_i16(wire_rd_t *rd);
int32_t wire_rd_i32(wire_rd_t *rd);
/* NUL-terminated string; NULL (and err set) if no NUL before the end. */
const char *wire_rd_cstr(wire_rd_t *rd);
/* n raw bytes; NULL (and err set) if fewer remain. n == 0 returns p. */
const uint8_t *wire_rd_bytes(wire_rd_t *rd, size_t n);

/* ---- startup phase ---- */
typedef struct wire_param {
	const char *name;
	const char *value;
} wire_param_t;

typedef struct wire_startup {
	int32_t code;                   /* WIRE_PROTO_V3 or one of the request codes */
	int32_t cancel_pid, cancel_key; /* CancelRequest only */
	size_t nparams;                 /* StartupMessage only */
	wire_param_t params[WIRE_MAX_STARTUP_PARAMS];
} wire_startup_t;

/* Parses a framed startup packet. A StartupMessage must have protocol major
 * 3, name/value pairs each NUL-terminated, a final NUL, a "user" parameter,
 * at most WIRE_MAX_STARTUP_PARAMS pairs; other versions → SG_ENOTSUP. */
int wire_startup_parse(const wire_frame_t *f, wire_startup_t *out) SG_WUR;
const char *wire_startup_get(const wire_startup_t *s, const char *name);

/* ---- frontend messages: parse (what clients send) ---- */
int wire_query_parse(const wire_frame_t *f, const char **sql) SG_WUR; /* 'Q' */

typedef struct wire_parse_msg { /* 'P' */
	const char *stmt;
	const char *query;
	uint16_t nparams;
	const uint8_t *param_types; /* nparams * 4 bytes, network order */
} wire_parse_msg_t;
int wire_parse_parse(const wire_frame_t *f, wire_parse_msg_t *m) SG_WUR;

typedef struct wire_bind_msg { /* 'B' */
	const char *portal;
	const char *stmt;
	/* everything after the statement name, validated, for relaying: */
	const uint8_t *rest;
	size_t rest_len;
	uint16_t nformats;
	const uint8_t *formats; /* nformats * 2 bytes */
	uint16_t nparams;
	const uint8_t *params; /* start of nparams (int32 len, bytes) pairs */
	size_t params_len;
	uint16_t nresult_formats;
	const uint8_t *result_formats;
} wire_bind_msg_t;
int wire_bind_parse(const wire_frame_t *f, wire_bind_msg_t *m) SG_WUR;
/* wire_bind_param returns parameter i's value (NULL, len -1 for SQL NULL)
 * and its format code (0 text, 1 binary); i outside 0..nparams-1 is
 * SG_ERANGE. It walks from the first parameter, so reading every one this
 * way is quadratic: use wire_bind_params_all for that. */
int wire_bind_param(const wire_bind_msg_t *m, int i, const uint8_t **val, int32_t *len,
                    int16_t *format) SG_WUR;
/* wire_bind_params_all fills vals/lens/formats (each m->nparams entries,
 * caller-owned) in one pass, with wire_bind_param's meaning per entry. */
int wire_bind_params_all(const wire_bind_msg_t *m, const uint8_t **vals, int32_t *lens,
                         int16_t *formats) SG_WUR;

typedef struct wire_target_msg { /* 'D' Describe and 'C' Close */
	char kind;               /* 'S' statement or 'P' portal */
	const char *name;
} wire_target_msg_t;
int wire_target_parse(const wire_frame_t *f, wire_target_msg_t *m) SG_WUR;

int wire_execute_parse(const wire_frame_t *f, const char **portal, int32_t *max_rows) SG_WUR; /* 'E' */
/* 'p' in its three meanings — the reader must know which one it expects. */
int wire_password_parse(const wire_frame_t *f, const char **password) SG_WUR;
int wire_sasl_initial_parse(const wire_frame_t *f, const char **mech, const uint8_t **data,
                            size_t *len) SG_WUR;
int wire_sasl_response_parse(const wire_frame_t *f, const uint8_t **data, size_t *len) SG_WUR;

/* ---- backend messages: parse (what servers send) ---- */
enum wire_auth_code {
	WIRE_AUTH_OK = 0,
	WIRE_AUTH_CLEARTEXT = 3,
	WIRE_AUTH_MD5 = 5,
	WIRE_AUTH_SASL = 10,
	WIRE_AUTH_SASL_CONTINUE = 11,
	WIRE_AUTH_SASL_FINAL = 12,
};
typedef struct wire_auth { /* 'R' */
	int32_t code;
	const uint8_t *data; /* md5: 4-byte salt; SASL: mechanism list; continue/final: payload */
	size_t data_len;
} wire_auth_t;
int wire_auth_parse(const wire_frame_t *f, wire_auth_t *a) SG_WUR;
/* true if the NUL-separated mechanism list of AuthenticationSASL has mech */
bool wire_auth_sasl_has(const wire_auth_t *a, const char *mech);
int wire_param_status_parse(const wire_frame_t *f, const char **name, const char **value) SG_WUR; /* 'S' */
int wire_backend_key_parse(const wire_frame_t *f, int32_t *pid, int32_t *key) SG_WUR;             /* 'K' */
int wire_ready_parse(const wire_frame_t *f, char *status) SG_WUR; /* 'Z'; status must be I, T or E */

typedef struct wire_error {   /* 'E' and 'N'; absent fields are NULL */
	const char *severity; /* 'V' if present, else 'S' */
	const char *sqlstate; /* 'C' */
	const char *message;  /* 'M' */
	const char *detail;   /* 'D' */
	const char *hint;     /* 'H' */
	const char *position; /* 'P' */
} wire_error_t;
int wire_error_parse(const wire_frame_t *f, wire_error_t *e) SG_WUR;
int wire_command_complete_parse(const wire_frame_t *f, const char **tag) SG_WUR; /* 'C' */
/* Writes the ErrorResponse/NoticeResponse f again, edited: with `from`
 * (unless NULL) replaced by `to` in its message and detail (a backend
 * statement name by the client's own), and with position > 0 as its 'P'
 * field (a position in the text the client sent). SG_EPROTO if f is
 * malformed (b then holds a partial message the caller must discard). */
int wire_write_error_edit(wbuf_t *b, const wire_frame_t *f, const char *from, const char *to,
                          int position) SG_WUR;

/* ---- backend messages: write (to clients) ---- */
int wire_write_auth(wbuf_t *b, int32_t code, const void *data, size_t len);
int wire_write_auth_ok(wbuf_t *b);
int wire_write_auth_cleartext(wbuf_t *b);
int wire_write_auth_md5(wbuf_t *b, const uint8_t salt[4]);
int wire_write_auth_sasl(wbuf_t *b, const char *mech); /* one mechanism */
int wire_write_auth_sasl_continue(wbuf_t *b, const void *data, size_t len);
int wire_write_auth_sasl_final(wbuf_t *b, const void *data, size_t len);
int wire_write_param_status(wbuf_t *b, const char *name, const char *value);
int wire_write_backend_key(wbuf_t *b, int32_t pid, int32_t key);
int wire_write_ready(wbuf_t *b, char status);
/* severity e.g. "ERROR"/"FATAL"; detail may be NULL. Writes S, V, C, M, D. */
int wire_write_error(wbuf_t *b, const char *severity, const char *sqlstate, const char *message,
                     const char *detail);
int wire_write_notice(wbuf_t *b, const char *severity, const char *sqlstate, const char *message,
                      const char *detail);
/* Admin result sets: every column is text (OID 25), text format. */
int wire_write_row_desc_text(wbuf_t *b, int ncols, const char *const *names);
int wire_write_data_row(wbuf_t *b, int ncols, const char *const *values); /* NULL value → SQL NULL */
int wire_write_command_complete(wbuf_t *b, const char *tag);
int wire_write_empty_query(wbuf_t *b);
int wire_write_parse_complete(wbuf_t *b);
int wire_write_bind_complete(wbuf_t *b);
int wire_write_close_complete(wbuf_t *b);
int wire_write_no_data(wbuf_t *b);
int wire_write_portal_suspended(wbuf_t *b);

/* ---- frontend messages: write (to servers) ---- */
int wire_write_startup(wbuf_t *b, const wire_param_t *params, size_t n); /* protocol 3.0 */
int wire_write_cancel(wbuf_t *b, int32_t pid, int32_t key);
int wire_write_ssl_request(wbuf_t *b);
int wire_write_password(wbuf_t *b, const char *password);
int wire_write_sasl_initial(wbuf_t *b, const char *mech, const void *data, size_t len);
int wire_write_sasl_response(wbuf_t *b, const void *data, size_t len);
int wire_write_query(wbuf_t *b, const char *sql);
/* param_types may be NULL only when nparams is 0 (else SG_ERANGE). */
int wire_write_parse(wbuf_t *b, const char *stmt, const char *query, uint16_t nparams,
                     const uint8_t *param_types);
/* Bind to `stmt` whose tail (formats, params, result formats) is copied
 * verbatim from a parsed Bind: used to rename the target statement. */
int wire_write_bind_renamed(wbuf_t *b, const char *portal, const char *stmt, const uint8_t *rest,
                            size_t rest_len);
/* Bind with every parameter (none NULL) and every result column in text
 * format: what a simple Query gives the client. */
int wire_write_bind_text(wbuf_t *b, const char *portal, const char *stmt, uint16_t nparams,
                         const char *const *values) SG_WUR;
int wire_write_describe(wbuf_t *b, char kind, const char *name);
int wire_write_close(wbuf_t *b, char kind, const char *name);
int wire_write_execute(wbuf_t *b, const char *portal, int32_t max_rows);
int wire_write_sync(wbuf_t *b);
int wire_write_flush(wbuf_t *b);
int wire_write_terminate(wbuf_t *b);

#endif
