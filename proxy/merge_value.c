/* merge_value.c — orders wire values as PostgreSQL's default btree
 * opclasses do, for both result formats, and compares a value with a SQL
 * constant (HAVING). Types fall in families that share one decoding:
 * integers, numeric, floats, int64-like (bool, dates, times), text, and
 * byte strings (bytea, uuid). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "merge_int.h"

enum family { F_NONE, F_INT, F_NUMERIC, F_FLOAT, F_I64, F_TEXT, F_BYTES };

static enum family family_of(uint32_t oid)
{
	switch (oid) {
	case MERGE_OID_INT2:
	case MERGE_OID_INT4:
	case MERGE_OID_INT8:
	case MERGE_OID_OID:
		return F_INT;
	case MERGE_OID_NUMERIC:
		return F_NUMERIC;
	case MERGE_OID_FLOAT4:
	case MERGE_OID_FLOAT8:
		return F_FLOAT;
	case MERGE_OID_BOOL:
	case MERGE_OID_DATE:
	case MERGE_OID_TIME:
	case MERGE_OID_TIMESTAMP:
	case MERGE_OID_TIMESTAMPTZ:
		return F_I64;
	case MERGE_OID_TEXT:
	case MERGE_OID_VARCHAR:
	case MERGE_OID_NAME:
	case MERGE_OID_BPCHAR:
		return F_TEXT;
	case MERGE_OID_BYTEA:
	case MERGE_OID_UUID:
		return F_BYTES;
	default:
		return F_NONE;
	}
}

bool merge_type_orderable(uint32_t oid)
{
	return family_of(oid) != F_NONE;
}

static int64_t be_int(const uint8_t *p, int n)
{
	uint64_t u = 0;

	for (int i = 0; i < n; i++)
		u = u << 8 | p[i];
	if (n < 8 && (u >> (8 * n - 1)) & 1)
		u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
	return (int64_t)u;
}

/* Decimal integer text: [+-]digits, within int64. */
static int parse_int_text(const uint8_t *p, int32_t len, int64_t *v)
{
	int32_t i = 0;
	bool neg = false;
	unsigned __int128 acc = 0;

	if (len > 0 && (p[0] == '-' || p[0] == '+'))
		neg = p[i++] == '-';
	if (i == len)
		return SG_EPROTO;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SG_EPROTO;
		acc = acc * 10 + (p[i] - '0');
		if (acc > (unsigned __int128)INT64_MAX + 1)
			return SG_EPROTO;
	}
	if (!neg && acc > INT64_MAX)
		return SG_EPROTO;
	*v = neg ? (int64_t)(0 - (uint64_t)acc) : (int64_t)acc;
	return 0;
}

static int int_value(const merge_type_t *t, const uint8_t *v, int32_t len, int64_t *out)
{
	int size;

	if (t->format == 0)
		return parse_int_text(v, len, out);
	size = t->oid == MERGE_OID_INT2 ? 2 : t->oid == MERGE_OID_INT8 ? 8 : 4;
	if (len != size)
		return SG_EPROTO;
	*out = be_int(v, size);
	if (t->oid == MERGE_OID_OID)
		*out = (int64_t)(uint32_t)*out;
	return 0;
}

int merge_value_to_int64(const merge_type_t *t, const uint8_t *v, int32_t len, int64_t *out)
{
	if (family_of(t->oid) != F_INT || len < 0)
		return SG_ENOTSUP;
	return int_value(t, v, len, out);
}

int merge_value_to_dec(const merge_type_t *t, const uint8_t *v, int32_t len, merge_dec_t *out)
{
	int64_t i;
	int rc;

	if (t->oid == MERGE_OID_NUMERIC)
		return t->format ? merge_dec_from_binary(out, v, (size_t)len)
		                 : merge_dec_from_text(out, (const char *)v, (size_t)len);
	if (family_of(t->oid) != F_INT)
		return SG_ENOTSUP;
	rc = int_value(t, v, len, &i);
	return rc ? rc : merge_dec_from_int64(out, i);
}

/* strtod/strtof on a bounded value: a NUL-terminated copy. */
static int parse_double(const uint8_t *p, int32_t len, bool f4, double *out)
{
	char stack[64], *buf = len < (int32_t)sizeof(stack) ? stack : malloc((size_t)len + 1), *end;
	bool whole;

	if (buf == NULL)
		return SG_ENOMEM;
	memcpy(buf, p, (size_t)len);
	buf[len] = 0;
	*out = f4 ? (double)strtof(buf, &end) : strtod(buf, &end);
	while (*end == ' ')
		end++;
	whole = *end == 0; /* end points into buf: read it before buf is freed */
	if (buf != stack)
		free(buf);
	if (len == 0 || !whole || isspace((unsigned char)p[0]))
		return SG_EPROTO;
	return 0;
}

int merge_value_to_double(const merge_type_t *t, const uint8_t *v, int32_t len, double *out)
{
	merge_dec_t d;
	char *txt;
	wbuf_t b;
	int rc;

	if (t->oid == MERGE_OID_FLOAT4 || t->oid == MERGE_OID_FLOAT8) {
		if (t->format == 0)
			return parse_double(v, len, t->oid == MERGE_OID_FLOAT4, out);
		if (len != (t->oid == MERGE_OID_FLOAT4 ? 4 : 8))
			return SG_EPROTO;
		if (len == 4) {
			uint32_t u = (uint32_t)be_int(v, 4);
			float f;

			memcpy(&f, &u, 4);
			*out = f;
		} else {
			uint64_t u = (uint64_t)be_int(v, 8);

			memcpy(out, &u, 8);
		}
		return 0;
	}
	/* integers and numeric: through numeric_out's text, as PostgreSQL casts */
	merge_dec_init(&d);
	wbuf_init(&b);
	rc = merge_value_to_dec(t, v, len, &d);
	if (rc == 0) {
		merge_dec_write_text(&d, &b);
		wbuf_put_u8(&b, 0);
		rc = wbuf_status(&b);
	}
	if (rc == 0) {
		txt = (char *)b.data;
		*out = strtod(txt, NULL);
	}
	wbuf_free(&b);
	merge_dec_free(&d);
	return rc;
}

static int cmp_double(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int bool_text(const uint8_t *v, int32_t len, bool *out)
{
	static const struct {
		const char *w;
		bool v;
	} tab[] = {{"t", true},  {"true", true},   {"y", true},  {"yes", true}, {"on", true},   {"1", true},
	           {"f", false}, {"false", false}, {"n", false}, {"no", false}, {"off", false}, {"0", false}};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if ((size_t)len == strlen(tab[i].w) &&
		    strncasecmp((const char *)v, tab[i].w, (size_t)len) == 0) {
			*out = tab[i].v;
			return 0;
		}
	}
	return SG_EPROTO;
}

/* bool, date, time, timestamp(tz) as int64 (text decoded to the binary's scale). */
static int i64_value(const merge_type_t *t, const uint8_t *v, int32_t len, int64_t *out)
{
	bool b;
	int rc;

	if (t->format) {
		int size = t->oid == MERGE_OID_BOOL ? 1 : t->oid == MERGE_OID_DATE ? 4 : 8;

		if (len != size)
			return SG_EPROTO;
		*out = t->oid == MERGE_OID_BOOL ? (v[0] != 0) : be_int(v, size);
		/* binary date infinity is INT32_MAX/MIN: widen like the text form */
		if (t->oid == MERGE_OID_DATE && (*out == INT32_MAX || *out == INT32_MIN))
			*out = *out == INT32_MAX ? INT64_MAX : INT64_MIN;
		return 0;
	}
	switch (t->oid) {
	case MERGE_OID_BOOL:
		rc = bool_text(v, len, &b);
		if (rc == 0)
			*out = b;
		return rc;
	case MERGE_OID_DATE:
		return merge_time_parse_date(v, (size_t)len, out);
	case MERGE_OID_TIME:
		return merge_time_parse_time(v, (size_t)len, out);
	default:
		return merge_time_parse_timestamp(v, (size_t)len, t->oid == MERGE_OID_TIMESTAMPTZ, out);
	}
}

static int bytes_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c < 0 ? -1 : 1;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

static int text_cmp(const merge_coll_t *coll, uint32_t oid, const uint8_t *a, size_t al, const uint8_t *b,
                    size_t bl, int *res)
{
	char sa[256], sb[256], *ca, *cb;
	int c;

	if (oid == MERGE_OID_BPCHAR) {
		while (al && a[al - 1] == ' ')
			al--;
		while (bl && b[bl - 1] == ' ')
			bl--;
	}
	if (coll->bytewise || coll->loc == (locale_t)0 || (al == bl && memcmp(a, b, al) == 0)) {
		*res = bytes_cmp(a, al, b, bl);
		return 0;
	}
	ca = al < sizeof(sa) ? sa : malloc(al + 1);
	cb = bl < sizeof(sb) ? sb : malloc(bl + 1);
	if (ca == NULL || cb == NULL) {
		c = SG_ENOMEM;
		goto out;
	}
	memcpy(ca, a, al);
	ca[al] = 0;
	memcpy(cb, b, bl);
	cb[bl] = 0;
	c = strcoll_l(ca, cb, coll->loc);
	*res = c ? (c < 0 ? -1 : 1) : bytes_cmp(a, al, b, bl);
	c = 0;
out:
	if (ca != sa)
		free(ca);
	if (cb != sb)
		free(cb);
	return c;
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A byte string as stored: raw (binary format) or "\x" hex text. */
typedef struct bytes_view {
	const uint8_t *p;
	size_t n; /* decoded length */
	bool hex;
} bytes_view_t;

static int bytea_view(int16_t format, const uint8_t *v, int32_t len, bytes_view_t *out)
{
	if (format) {
		*out = (bytes_view_t){v, (size_t)len, false};
		return 0;
	}
	if (len < 2 || v[0] != '\\' || v[1] != 'x')
		return SG_ENOTSUP; /* bytea_output = escape */
	if ((len - 2) % 2)
		return SG_EPROTO;
	for (int32_t i = 2; i < len; i++)
		if (hexval(v[i]) < 0)
			return SG_EPROTO;
	*out = (bytes_view_t){v + 2, (size_t)(len - 2) / 2, true};
	return 0;
}

static uint8_t view_at(const bytes_view_t *v, size_t i)
{
	return v->hex ? (uint8_t)(hexval(v->p[2 * i]) << 4 | hexval(v->p[2 * i + 1])) : v->p[i];
}

static int view_cmp(const bytes_view_t *a, const bytes_view_t *b)
{
	size_t n = a->n < b->n ? a->n : b->n;

	for (size_t i = 0; i < n; i++) {
		uint8_t x = view_at(a, i), y = view_at(b, i);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

static int uuid_value(int16_t format, const uint8_t *v, int32_t len, uint8_t out[16])
{
	int k = 0;

	if (format) {
		if (len != 16)
			return SG_EPROTO;
		memcpy(out, v, 16);
		return 0;
	}
	for (int32_t i = 0; i < len; i++) {
		int h;

		if (v[i] == '-' || v[i] == '{' || v[i] == '}')
			continue;
		h = hexval(v[i]);
		if (h < 0 || k >= 32)
			return SG_EPROTO;
		if (k % 2 == 0)
			out[k / 2] = (uint8_t)(h << 4);
		else
			out[k / 2] |= (uint8_t)h;
		k++;
	}
	return k == 32 ? 0 : SG_EPROTO;
}

static int bytes_family_cmp(const merge_type_t *ta, const uint8_t *a, int32_t alen, const merge_type_t *tb,
                            const uint8_t *b, int32_t blen, int *res)
{
	int rc;

	if (ta->oid == MERGE_OID_UUID) {
		uint8_t ua[16], ub[16];

		rc = uuid_value(ta->format, a, alen, ua);
		if (rc == 0)
			rc = uuid_value(tb->format, b, blen, ub);
		if (rc == 0)
			*res = bytes_cmp(ua, 16, ub, 16);
		return rc;
	}
	bytes_view_t va, vb;

	rc = bytea_view(ta->format, a, alen, &va);
	if (rc == 0)
		rc = bytea_view(tb->format, b, blen, &vb);
	if (rc == 0)
		*res = view_cmp(&va, &vb);
	return rc;
}

static int dec_cmp_values(const merge_type_t *ta, const uint8_t *a, int32_t alen, const merge_type_t *tb,
                          const uint8_t *b, int32_t blen, int *res)
{
	merge_dec_t da, db;
	int rc;

	merge_dec_init(&da);
	merge_dec_init(&db);
	rc = merge_value_to_dec(ta, a, alen, &da);
	if (rc == 0)
		rc = merge_value_to_dec(tb, b, blen, &db);
	if (rc == 0)
		*res = merge_dec_cmp(&da, &db);
	merge_dec_free(&da);
	merge_dec_free(&db);
	return rc;
}

static int double_cmp_values(const merge_type_t *ta, const uint8_t *a, int32_t alen, const merge_type_t *tb,
                             const uint8_t *b, int32_t blen, int *res)
{
	double x, y;
	int rc = merge_value_to_double(ta, a, alen, &x);

	if (rc == 0)
		rc = merge_value_to_double(tb, b, blen, &y);
	if (rc == 0)
		*res = cmp_double(x, y);
	return rc;
}

/* Both sides of the same type (formats may differ: a constant is text). */
static int cmp_same(const merge_type_t *ta, const uint8_t *a, int32_t alen, const merge_type_t *tb,
                    const uint8_t *b, int32_t blen, int *res)
{
	int64_t x, y;
	int rc;

	if (alen < 0 || blen < 0)
		return SG_EPROTO;
	switch (family_of(ta->oid)) {
	case F_INT:
		rc = int_value(ta, a, alen, &x);
		if (rc == 0)
			rc = int_value(tb, b, blen, &y);
		if (rc == 0)
			*res = cmp_i64(x, y);
		return rc;
	case F_NUMERIC:
		return dec_cmp_values(ta, a, alen, tb, b, blen, res);
	case F_FLOAT:
		return double_cmp_values(ta, a, alen, tb, b, blen, res);
	case F_I64:
		rc = i64_value(ta, a, alen, &x);
		if (rc == 0)
			rc = i64_value(tb, b, blen, &y);
		if (rc == 0)
			*res = cmp_i64(x, y);
		return rc;
	case F_TEXT:
		return text_cmp(&ta->coll, ta->oid, a, (size_t)alen, b, (size_t)blen, res);
	case F_BYTES:
		return bytes_family_cmp(ta, a, alen, tb, b, blen, res);
	default:
		return SG_ENOTSUP;
	}
}

int merge_value_cmp(const merge_type_t *t, const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen,
                    int *result)
{
	return cmp_same(t, a, alen, t, b, blen, result);
}

int merge_value_cmp_text(const merge_type_t *t, const uint8_t *a, int32_t alen, const char *constant,
                         int *result)
{
	merge_type_t ct = *t;
	size_t clen = strlen(constant);
	enum family f = family_of(t->oid);

	if (clen > INT32_MAX || alen < 0)
		return SG_EPROTO;
	ct.format = 0;
	if (f == F_INT) {
		/* count(*) > 2.5: the constant is numeric, compared exactly */
		ct.oid = MERGE_OID_NUMERIC;
		return dec_cmp_values(t, a, alen, &ct, (const uint8_t *)constant, (int32_t)clen, result);
	}
	if (f == F_FLOAT) {
		ct.oid = MERGE_OID_FLOAT8; /* float4 values are promoted, constants read as float8 */
		return double_cmp_values(t, a, alen, &ct, (const uint8_t *)constant, (int32_t)clen, result);
	}
	return cmp_same(t, a, alen, &ct, (const uint8_t *)constant, (int32_t)clen, result);
}

int merge_value_cmp2(const merge_type_t *ta, const uint8_t *a, int32_t alen, const merge_type_t *tb,
                     const uint8_t *b, int32_t blen, int *result)
{
	enum family fa = family_of(ta->oid), fb = family_of(tb->oid);
	bool num_a = fa == F_INT || fa == F_NUMERIC, num_b = fb == F_INT || fb == F_NUMERIC;

	if (alen < 0 || blen < 0)
		return SG_EPROTO;
	if ((fa == F_FLOAT && (num_b || fb == F_FLOAT)) || (fb == F_FLOAT && num_a))
		return double_cmp_values(ta, a, alen, tb, b, blen, result);
	if (num_a && num_b) {
		if (fa == F_INT && fb == F_INT)
			return cmp_same(ta, a, alen, tb, b, blen, result);
		return dec_cmp_values(ta, a, alen, tb, b, blen, result);
	}
	if (ta->oid == tb->oid)
		return cmp_same(ta, a, alen, tb, b, blen, result);
	if (fa == F_TEXT && fb == F_TEXT && ta->oid != MERGE_OID_BPCHAR && tb->oid != MERGE_OID_BPCHAR)
		return text_cmp(&ta->coll, ta->oid, a, (size_t)alen, b, (size_t)blen, result);
	return SG_ENOTSUP;
}
