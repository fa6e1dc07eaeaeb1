/* group_harness.h — helpers of the GROUPED merge's tests (test_group.c,
 * test_final.c; static definitions, included once per test program):
 * plans are built by hand, the shards' RowDescription and DataRows go
 * through the wire codec as heap copies (so ASan sees over-reads), and
 * the emitted rows are rendered as text for exact comparison. */
#ifndef SG_TEST_GROUP_HARNESS_H
#define SG_TEST_GROUP_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

#define MAXLEN (1u << 24)

static const merge_coll_t C_COLL = {.bytewise = true};

static merge_field_t F(const char *name, uint32_t oid, int16_t typlen, int16_t fmt)
{
	merge_field_t f;

	memset(&f, 0, sizeof(f));
	strcpy(f.name, name);
	f.type_oid = oid;
	f.typlen = typlen;
	f.typmod = -1;
	f.format = fmt;
	return f;
}

/* A heap copy of the one message in b, framed, so ASan sees over-reads. */
static wire_frame_t frame_of(const wbuf_t *b, uint8_t **owned)
{
	wire_frame_t f;

	assert_int_equal(wire_frame_read(b->data, b->len, MAXLEN, &f), 0);
	assert_int_equal(f.total_len, b->len);
	*owned = malloc(f.body_len ? f.body_len : 1);
	assert_non_null(*owned);
	memcpy(*owned, f.body, f.body_len);
	f.body = *owned;
	return f;
}

static merge_group_t *mk(const sql_merge_plan_t *p, const merge_field_t *fields, int n, const int16_t *outf)
{
	merge_field_t parsed[32];
	merge_group_t *g = NULL;
	char err[256] = "";
	uint8_t *body;
	wbuf_t b;
	int np = 0, rc;

	/* the shards' RowDescription goes through the codec like the engine's */
	wbuf_init(&b);
	assert_int_equal(merge_row_desc_write(&b, fields, n), 0);
	wire_frame_t f = frame_of(&b, &body);
	assert_int_equal(merge_row_desc_parse(&f, parsed, 32, &np), 0);
	assert_int_equal(np, n);
	free(body);
	wbuf_free(&b);
	rc = merge_group_new(p, parsed, np, outf, &C_COLL, &g, err, sizeof(err));
	if (rc)
		fail_msg("merge_group_new: %d %s", rc, err);
	return g;
}

/* A DataRow of n values as a frame whose body is a heap copy (*owned). */
static wire_frame_t data_row_of(int n, const uint8_t *const *vals, const int32_t *lens, uint8_t **owned)
{
	wire_frame_t f;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(merge_data_row_write(&b, n, vals, lens), 0);
	f = frame_of(&b, owned);
	wbuf_free(&b);
	return f;
}

static int add_raw(merge_group_t *g, int n, const uint8_t *const *vals, const int32_t *lens)
{
	char err[256] = "";
	uint8_t *body;
	wire_frame_t f = data_row_of(n, vals, lens, &body);
	int rc = merge_group_add(g, &f, err, sizeof(err));

	free(body);
	return rc;
}

/* n text values (const char *, NULL: SQL NULL) from ap as a DataRow's columns. */
static void text_row(int n, va_list ap, const uint8_t **vals, int32_t *lens)
{
	for (int i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);

		vals[i] = (const uint8_t *)s;
		lens[i] = s ? (int32_t)strlen(s) : -1;
	}
}

/* One text DataRow; NULL entries are SQL NULL. */
static void add(merge_group_t *g, int n, ...)
{
	const uint8_t *vals[32];
	int32_t lens[32];
	va_list ap;

	va_start(ap, n);
	text_row(n, ap, vals, lens);
	va_end(ap);
	assert_int_equal(add_raw(g, n, vals, lens), 0);
}

/* The client's RowDescription, parsed back; *n fields. */
static void row_desc_of(const merge_group_t *g, merge_field_t *fields, int *n)
{
	uint8_t *body;
	wbuf_t b;

	wbuf_init(&b);
	assert_int_equal(merge_group_row_desc(g, &b), 0);
	wire_frame_t fd = frame_of(&b, &body);
	assert_int_equal(merge_row_desc_parse(&fd, fields, 32, n), 0);
	free(body);
	wbuf_free(&b);
}

/* Emits one row per call (budget 1), renders rows as "v|v|NULL\n"
 * (binary columns as \x hex). Returns a static buffer. */
static const char *emit_text(merge_group_t *g, const merge_field_t *fields, int n)
{
	static char out[4096];
	size_t pos = 0;
	bool done = false;
	uint8_t *body;
	wbuf_t b;
	int calls = 0;

	wbuf_init(&b);
	out[0] = 0;
	while (!done) {
		wbuf_reset(&b);
		assert_int_equal(merge_group_emit(g, &b, 1, &done), 0);
		assert_true(++calls < 1000);
		if (b.len == 0)
			continue;
		const uint8_t *vals[32];
		int32_t lens[32];
		wire_frame_t f = frame_of(&b, &body);

		assert_int_equal(f.total_len, b.len); /* one row per call with budget 1 */
		assert_int_equal(merge_data_row_parse(&f, n, vals, lens), 0);
		for (int i = 0; i < n; i++) {
			if (i)
				out[pos++] = '|';
			if (lens[i] < 0) {
				pos += (size_t)sprintf(out + pos, "NULL");
			} else if (fields[i].format) {
				pos += (size_t)sprintf(out + pos, "\\x");
				for (int k = 0; k < lens[i]; k++)
					pos += (size_t)sprintf(out + pos, "%02x", vals[i][k]);
			} else {
				memcpy(out + pos, vals[i], (size_t)lens[i]);
				pos += (size_t)lens[i];
			}
			assert_true(pos < sizeof(out) - 200);
		}
		out[pos++] = '\n';
		out[pos] = 0;
		free(body);
	}
	wbuf_free(&b);
	return out;
}

/* RowDescription, finish, then every row as emit_text renders it. */
static const char *run(merge_group_t *g, int64_t limit, int64_t offset)
{
	merge_field_t fields[32];
	char err[256] = "";
	int n = 0, rc;

	row_desc_of(g, fields, &n);
	rc = merge_group_finish(g, limit, offset, err, sizeof(err));
	if (rc)
		fail_msg("finish: %d %s", rc, err);
	return emit_text(g, fields, n);
}

#define COL(kind, s, s2, nm)                                                                                 \
	{                                                                                                    \
		.agg = (kind), .src = (s), .src2 = (s2), .name = (char *)(nm), .final = -1                   \
	}

#endif
