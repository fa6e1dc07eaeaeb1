/* fuzz_merge.c — libFuzzer target for the pure half of scatter-gather
 * (proxy/merge_*.c; see fuzz/README.md).
 *
 * The first byte picks what the rest of the input drives:
 *   0  value order: merge_value_cmp and merge_value_cmp_text on three
 *      values of one type (every type the merge knows, and two it does
 *      not), in text or binary, in the C or a libc collation. An order
 *      must be one: cmp(a, a) == 0, cmp(a, b) == -cmp(b, a) in sign, and
 *      transitive over a, b, c whenever the comparisons succeed.
 *   1  RowDescription and DataRow parsers on arbitrary bodies and on a
 *      stream of frames; whatever parses must re-encode byte for byte.
 *   2  a GROUPED merge with a fixed hand-built plan (a text group key,
 *      count, sum(numeric), avg from int8 partials, min(text),
 *      count(DISTINCT int4), max(float8), bool_or) fed DataRows built from
 *      the input, then HAVING, sort, LIMIT/OFFSET and emission. Errors
 *      are fine; crashes, leaks, over-reads and malformed output are not.
 * Every value is copied into a heap block of exactly its size so that
 * ASan sees a read past it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* ---- input cursor ---- */

typedef struct cursor {
	const uint8_t *p;
	size_t left;
} cursor_t;

static uint8_t cur_u8(cursor_t *c)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++;
}

/* The next n bytes (fewer at the end) as an exact-size heap copy. */
static uint8_t *cur_take(cursor_t *c, size_t n, int32_t *len)
{
	uint8_t *v;

	if (n > c->left)
		n = c->left;
	v = malloc(n ? n : 1);
	if (v == NULL)
		abort();
	memcpy(v, c->p, n);
	c->p += n;
	c->left -= n;
	*len = (int32_t)n;
	return v;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* ---- 0: value order ---- */

static const uint32_t cmp_oids[] = {
        MERGE_OID_BOOL,        MERGE_OID_BYTEA,   MERGE_OID_NAME, MERGE_OID_INT8,   MERGE_OID_INT2,
        MERGE_OID_INT4,        MERGE_OID_TEXT,    MERGE_OID_OID,  MERGE_OID_FLOAT4, MERGE_OID_FLOAT8,
        MERGE_OID_BPCHAR,      MERGE_OID_VARCHAR, MERGE_OID_DATE, MERGE_OID_TIME,   MERGE_OID_TIMESTAMP,
        MERGE_OID_TIMESTAMPTZ, MERGE_OID_NUMERIC, MERGE_OID_UUID, 114 /* json */,   790 /* money */,
};

static void coll_of(uint8_t sel, merge_coll_t *coll)
{
	static const merge_coll_t c_coll = {.bytewise = true};

	*coll = c_coll;
	if (sel & 1)
		(void)merge_coll_open("C.utf8", &c_coll, coll); /* stays bytewise if absent */
}

static void fuzz_cmp(cursor_t *c)
{
	uint8_t sel = cur_u8(c), fmt = cur_u8(c), la = cur_u8(c), lb = cur_u8(c);
	merge_type_t t = {.oid = cmp_oids[sel % (sizeof(cmp_oids) / sizeof(cmp_oids[0]))]};
	const uint8_t *v[3];
	int32_t len[3];
	uint8_t *own[3];
	int r[3][3], rc[3][3];
	char *constant;

	t.format = fmt & 1;
	coll_of(fmt >> 1, &t.coll);
	own[0] = cur_take(c, la, &len[0]);
	own[1] = cur_take(c, lb, &len[1]);
	own[2] = cur_take(c, c->left, &len[2]);
	for (int i = 0; i < 3; i++)
		v[i] = own[i];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			r[i][j] = 0x5a5a;
			rc[i][j] = merge_value_cmp(&t, v[i], len[i], v[j], len[j], &r[i][j]);
			if (rc[i][j] == 0)
				r[i][j] = sign(r[i][j]);
		}
	for (int i = 0; i < 3; i++) {
		if (rc[i][i] == 0)
			check(r[i][i] == 0);
		for (int j = 0; j < 3; j++)
			if (rc[i][j] == 0 && rc[j][i] == 0)
				check(r[i][j] == -r[j][i]);
	}
	/* transitivity, every order of the three */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			for (int k = 0; k < 3; k++) {
				if (rc[i][j] || rc[j][k] || rc[i][k])
					continue;
				if (r[i][j] <= 0 && r[j][k] <= 0)
					check(r[i][k] <= 0);
				if (r[i][j] < 0 && r[j][k] <= 0)
					check(r[i][k] < 0);
			}
	/* b as a HAVING constant (up to any NUL) */
	constant = malloc((size_t)len[1] + 1);
	if (constant == NULL)
		abort();
	memcpy(constant, v[1], (size_t)len[1]);
	constant[len[1]] = '\0';
	for (int i = 0; i < 3; i++) {
		int res = 0x5a5a;

		if (merge_value_cmp_text(&t, v[i], len[i], constant, &res) != 0)
			continue;
		/* a text value and the same text as a constant are one value
		 * (float4 excepted: its constant is read as float8) */
		if (i == 1 && t.format == 0 && t.oid != MERGE_OID_FLOAT4 &&
		    strlen(constant) == (size_t)len[1])
			check(res == 0);
	}
	free(constant);
	for (int i = 0; i < 3; i++)
		free(own[i]);
}

/* ---- 1: RowDescription / DataRow ---- */

static merge_field_t fields[MERGE_MAX_COLS];
static const uint8_t *row_vals[MERGE_MAX_COLS];
static int32_t row_lens[MERGE_MAX_COLS];

/* f parsed as type; the re-encoding must be the body it came from. */
static void rows_frame(const wire_frame_t *f)
{
	wire_frame_t rt;
	wbuf_t b;
	int n = 0;

	wbuf_init(&b);
	if (f->type == 'T' && merge_row_desc_parse(f, fields, MERGE_MAX_COLS, &n) == 0) {
		check(n >= 0 && n <= MERGE_MAX_COLS);
		check(merge_row_desc_write(&b, fields, n) == 0);
	} else if (f->type == 'D' && f->body_len >= 2) {
		n = (int16_t)(f->body[0] << 8 | f->body[1]);
		if (n < 0 || n > MERGE_MAX_COLS || merge_data_row_parse(f, n, row_vals, row_lens) != 0)
			goto out;
		for (int i = 0; i < n; i++)
			check(row_lens[i] == -1 ? row_vals[i] == NULL
			                        : row_lens[i] >= 0 && row_vals[i] >= f->body &&
			                                  row_vals[i] + row_lens[i] <= f->body + f->body_len);
		check(merge_data_row_write(&b, n, row_vals, row_lens) == 0);
	} else {
		goto out;
	}
	check(wire_frame_read(b.data, b.len, 1u << 30, &rt) == 0 && rt.total_len == b.len);
	check(rt.type == f->type && rt.body_len == f->body_len && memcmp(rt.body, f->body, f->body_len) == 0);
out:
	wbuf_free(&b);
}

static void fuzz_rows(cursor_t *c)
{
	wire_frame_t f;
	int32_t n;
	uint8_t *body = cur_take(c, c->left, &n);

	/* the whole rest as one body of each type */
	f = (wire_frame_t){.type = 'T', .body = body, .body_len = (uint32_t)n, .total_len = (uint32_t)n + 5};
	rows_frame(&f);
	f.type = 'D';
	rows_frame(&f);
	/* and as a stream of frames */
	for (size_t pos = 0; pos < (size_t)n;) {
		if (wire_frame_read(body + pos, (size_t)n - pos, 1u << 30, &f) != 0)
			break;
		rows_frame(&f);
		pos += f.total_len;
	}
	free(body);
}

/* ---- 2: GROUPED merge ---- */

/* SELECT region, count(*), sum(amount), avg(qty), min(note),
 *        count(DISTINCT customer), max(weight), bool_or(paid) FROM t GROUP BY region
 * shard: SELECT region, customer, count(*), sum(amount), sum(qty), count(qty),
 *        min(note), max(weight), bool_or(paid) ... GROUP BY region, customer */
#define G_NSHARD 9
#define G_NCOLS  8

static const sql_merge_col_t g_cols[G_NCOLS] = {
        {SQL_AGG_NONE, 0, -1, (char *)"region", -1}, {SQL_AGG_COUNT, 2, -1, (char *)"count", -1},
        {SQL_AGG_SUM, 3, -1, (char *)"sum", -1},     {SQL_AGG_AVG, 4, 5, (char *)"avg", -1},
        {SQL_AGG_MIN, 6, -1, (char *)"min", -1},     {SQL_AGG_COUNT_DISTINCT, 1, -1, (char *)"count", -1},
        {SQL_AGG_MAX, 7, -1, (char *)"max", -1},     {SQL_AGG_BOOL_OR, 8, -1, (char *)"bool_or", -1},
};

static merge_field_t g_field(const char *name, uint32_t oid, int16_t typlen, int16_t format)
{
	merge_field_t f;

	memset(&f, 0, sizeof(f));
	strcpy(f.name, name);
	f.type_oid = oid;
	f.typlen = typlen;
	f.typmod = -1;
	f.format = format;
	return f;
}

/* The HAVING variants (variant 3's constant comes from the input). */
static sql_having_t *g_having(int variant, char *constant, sql_having_t *h)
{
	memset(h, 0, 6 * sizeof(*h));
	switch (variant) {
	case 1: /* count(*) > 1 */
		h[0] = (sql_having_t){
		        .op = SQL_HV_CMP, .cmp = SQL_CMP_GT, .col = 1, .col2 = -1, .constant = "1"};
		return &h[0];
	case 2: /* (sum(amount) >= 10.5 OR min(note) IS NULL) AND NOT (avg(qty) < max(weight)) */
		h[0] = (sql_having_t){
		        .op = SQL_HV_CMP, .cmp = SQL_CMP_GE, .col = 2, .col2 = -1, .constant = "10.5"};
		h[1] = (sql_having_t){.op = SQL_HV_ISNULL, .col = 4, .col2 = -1};
		h[2] = (sql_having_t){.op = SQL_HV_OR, .left = &h[0], .right = &h[1]};
		h[3] = (sql_having_t){.op = SQL_HV_CMP, .cmp = SQL_CMP_LT, .col = 3, .col2 = 6};
		h[4] = (sql_having_t){.op = SQL_HV_NOT, .left = &h[3]};
		h[5] = (sql_having_t){.op = SQL_HV_AND, .left = &h[2], .right = &h[4]};
		return &h[5];
	case 3: /* <col> <op> constant, or IS NOT NULL */
		h[0] = (sql_having_t){.op = SQL_HV_CMP,
		                      .cmp = (sql_cmp_op_t)(constant[0] % 6),
		                      .col = (unsigned char)constant[1] % G_NCOLS,
		                      .col2 = -1,
		                      .constant = constant + 2};
		if (constant[0] & 0x40)
			h[0].op = SQL_HV_NOTNULL;
		return &h[0];
	case 4: /* count(DISTINCT customer) <> count(*) OR sum(amount) <= avg(qty) */
		h[0] = (sql_having_t){.op = SQL_HV_CMP, .cmp = SQL_CMP_NE, .col = 5, .col2 = 1};
		h[1] = (sql_having_t){.op = SQL_HV_CMP, .cmp = SQL_CMP_LE, .col = 2, .col2 = 3};
		h[2] = (sql_having_t){.op = SQL_HV_OR, .left = &h[0], .right = &h[1]};
		return &h[2];
	default:
		return NULL;
	}
}

/* One DataRow of G_NSHARD values from the input: per column a length
 * byte (0xff: NULL), then that many bytes (at most 40). */
static int g_add_row(merge_group_t *g, cursor_t *c, char *err, size_t errlen)
{
	const uint8_t *vals[G_NSHARD];
	int32_t lens[G_NSHARD];
	uint8_t *own[G_NSHARD] = {NULL};
	uint8_t *body;
	wire_frame_t f;
	wbuf_t b;
	int rc;

	for (int i = 0; i < G_NSHARD; i++) {
		uint8_t l = cur_u8(c);

		if (l == 0xff) {
			vals[i] = NULL, lens[i] = -1;
			continue;
		}
		own[i] = cur_take(c, l % 41u, &lens[i]);
		vals[i] = own[i];
	}
	wbuf_init(&b);
	check(merge_data_row_write(&b, G_NSHARD, vals, lens) == 0);
	check(wire_frame_read(b.data, b.len, 1u << 30, &f) == 0);
	body = malloc(f.body_len);
	if (body == NULL)
		abort();
	memcpy(body, f.body, f.body_len);
	f.body = body;
	rc = merge_group_add(g, &f, err, errlen);
	free(body);
	wbuf_free(&b);
	for (int i = 0; i < G_NSHARD; i++)
		free(own[i]);
	return rc;
}

/* The rest of the input as raw frames (malformed rows included). */
static int g_add_raw(merge_group_t *g, cursor_t *c, char *err, size_t errlen)
{
	wire_frame_t f;
	int32_t n;
	uint8_t *raw = cur_take(c, c->left, &n);
	int rc = 0;

	for (size_t pos = 0; rc == 0 && pos < (size_t)n; pos += f.total_len) {
		if (wire_frame_read(raw + pos, (size_t)n - pos, 1u << 30, &f) != 0)
			break;
		rc = merge_group_add(g, &f, err, errlen);
	}
	free(raw);
	return rc;
}

static void g_check_desc(const merge_group_t *g)
{
	wire_frame_t f;
	wbuf_t b;
	int n = -1;

	wbuf_init(&b);
	if (merge_group_row_desc(g, &b) == 0) {
		check(wire_frame_read(b.data, b.len, 1u << 30, &f) == 0 && f.total_len == b.len);
		check(merge_row_desc_parse(&f, fields, MERGE_MAX_COLS, &n) == 0 && n == G_NCOLS);
	}
	wbuf_free(&b);
}

/* Emits everything; each message must be one DataRow of the visible columns. */
static void g_emit(merge_group_t *g, size_t budget, int64_t limit)
{
	wire_frame_t f;
	int64_t rows = 0;
	bool done = false;
	wbuf_t b;

	wbuf_init(&b);
	for (int calls = 0; !done; calls++) {
		check(calls < 100000);
		wbuf_reset(&b);
		if (merge_group_emit(g, &b, budget, &done) != 0)
			break;
		for (size_t pos = 0; pos < b.len; pos += f.total_len, rows++) {
			check(wire_frame_read(b.data + pos, b.len - pos, 1u << 30, &f) == 0);
			check(merge_data_row_parse(&f, G_NCOLS, row_vals, row_lens) == 0);
		}
	}
	check(limit < 0 || rows <= limit);
	wbuf_free(&b);
}

static void fuzz_group(cursor_t *c)
{
	uint8_t fmt = cur_u8(c), kb = cur_u8(c), hv = cur_u8(c), lim = cur_u8(c), off = cur_u8(c),
	        budget = cur_u8(c);
	char constant[12];
	sql_having_t hbuf[6];
	sql_sort_key_t keys[2];
	merge_field_t shard[G_NSHARD];
	int16_t outf[G_NCOLS];
	merge_coll_t coll;
	merge_group_t *g = NULL;
	char err[256];
	int64_t limit = (int64_t)lim - 1;
	int rc = 0;

	for (size_t i = 0; i < sizeof(constant) - 1; i++)
		constant[i] = (char)cur_u8(c);
	constant[sizeof(constant) - 1] = '\0';
	/* keys, minmax and partials in text or binary as bits of fmt say */
	shard[0] = g_field("region", MERGE_OID_TEXT, -1, fmt & 1);
	shard[1] = g_field("customer", MERGE_OID_INT4, 4, (fmt >> 1) & 1);
	shard[2] = g_field("count", MERGE_OID_INT8, 8, (fmt >> 2) & 1);
	shard[3] = g_field("sum", MERGE_OID_NUMERIC, -1, (fmt >> 2) & 1);
	shard[4] = g_field("sum", MERGE_OID_INT8, 8, (fmt >> 2) & 1);
	shard[5] = g_field("count", MERGE_OID_INT8, 8, (fmt >> 2) & 1);
	shard[6] = g_field("min", MERGE_OID_TEXT, -1, (fmt >> 3) & 1);
	shard[7] = g_field("max", MERGE_OID_FLOAT8, 8, (fmt >> 4) & 1);
	shard[8] = g_field("bool_or", MERGE_OID_BOOL, 1, (fmt >> 2) & 1);
	for (int i = 0; i < G_NCOLS; i++)
		outf[i] = (fmt >> 5) & 1;
	outf[0] = shard[0].format; /* pass-through columns keep the shard's format */
	outf[4] = shard[6].format;
	outf[6] = shard[7].format;
	memset(keys, 0, sizeof(keys));
	for (int i = 0; i < 2; i++) {
		uint8_t k = (uint8_t)(kb >> (4 * i));

		keys[i].col = (k & 7) % G_NCOLS;
		keys[i].desc = k & 8;
		keys[i].nulls_first = (kb ^ k) & 1;
	}
	if (fmt & 0x40)
		strcpy(keys[0].collation, "C");
	coll_of(fmt >> 7, &coll);

	sql_merge_plan_t plan = {.mode = SQL_MERGE_GROUPED,
	                         .cols = (sql_merge_col_t *)g_cols,
	                         .ncols = G_NCOLS,
	                         .nvisible = G_NCOLS,
	                         .nshard_cols = G_NSHARD,
	                         .keys = keys,
	                         .nkeys = (hv >> 4) % 3,
	                         .having = g_having(hv & 7, constant, hbuf),
	                         .limit = limit,
	                         .offset = off};

	if (merge_group_new(&plan, shard, G_NSHARD, outf, &coll, &g, err, sizeof(err)) != 0) {
		check(g == NULL);
		return;
	}
	g_check_desc(g);
	if (hv & 8) {
		rc = g_add_raw(g, c, err, sizeof(err));
	} else {
		for (int rows = 0; rc == 0 && c->left > 0 && rows < 256; rows++)
			rc = g_add_row(g, c, err, sizeof(err));
	}
	if (rc == 0 && (budget & 1))
		rc = merge_group_having(g, err, sizeof(err));
	if (rc == 0)
		rc = merge_group_finish(g, limit, off, err, sizeof(err));
	if (rc == 0)
		g_emit(g, (size_t)(budget >> 1) + 1, limit);
	check(memchr(err, '\0', sizeof(err)) != NULL);
	merge_group_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cursor_t c = {data, size};

	switch (cur_u8(&c) % 3) {
	case 0:
		fuzz_cmp(&c);
		break;
	case 1:
		fuzz_rows(&c);
		break;
	default:
		fuzz_group(&c);
		break;
	}
	return 0;
}
