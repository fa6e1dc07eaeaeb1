/* route_value.c — literal, parameter and array decoding for routing.
 *
 * Each reader follows what PostgreSQL's input or receive function for the
 * column's type accepts, but only the common, unambiguous forms: anything
 * else is RV_UNKNOWN (the router then widens to every shard that could
 * hold the row), so a value PostgreSQL would read differently from us can
 * never send a row to the wrong shard. */
#include "route_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "errors.h"
#include "pghash.h"

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)
/* PostgreSQL's binary timestamps count from 2000-01-01 00:00:00 UTC. */
#define PG_EPOCH_US (INT64_C(946684800) * US_PER_SEC)

#define OID_INT8        20
#define OID_INT2        21
#define OID_INT4        23
#define OID_TEXT        25
#define OID_BPCHAR      1042
#define OID_VARCHAR     1043
#define OID_DATE        1082
#define OID_TIMESTAMP   1114
#define OID_TIMESTAMPTZ 1184
#define OID_UUID        2950

/* What a cast in the query says the value is. */
typedef enum rv_cast {
	RV_CAST_NONE = 0, /* no cast, or one that leaves the column's reading */
	RV_CAST_INT,
	RV_CAST_TEXT,
	RV_CAST_UUID,
	RV_CAST_TS,      /* timestamptz */
	RV_CAST_TS_NOTZ, /* timestamp without time zone: an offset is ignored */
	RV_CAST_DATE,
} rv_cast_t;

static rv_cast_t rv_cast_of(const char *cast)
{
	static const char *const ints[] = {"int2",    "int4",   "int8",     "int",
	                                   "integer", "bigint", "smallint", NULL};
	static const char *const texts[] = {"text",      "varchar", "character varying", "bpchar", "char",
	                                    "character", NULL};
	static const char *const tss[] = {"timestamptz", "timestamp with time zone", NULL};

	if (cast == NULL)
		return RV_CAST_NONE;
	for (int i = 0; ints[i] != NULL; i++)
		if (strcmp(cast, ints[i]) == 0)
			return RV_CAST_INT;
	for (int i = 0; texts[i] != NULL; i++)
		if (strcmp(cast, texts[i]) == 0)
			return RV_CAST_TEXT;
	for (int i = 0; tss[i] != NULL; i++)
		if (strcmp(cast, tss[i]) == 0)
			return RV_CAST_TS;
	if (strcmp(cast, "timestamp") == 0 || strcmp(cast, "timestamp without time zone") == 0)
		return RV_CAST_TS_NOTZ;
	if (strcmp(cast, "uuid") == 0)
		return RV_CAST_UUID;
	if (strcmp(cast, "date") == 0)
		return RV_CAST_DATE;
	return RV_CAST_NONE;
}

static bool rv_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* int8in's decimal form: optional surrounding whitespace, optional sign. */
static int rv_int8_parse(const char *s, size_t len, int64_t *out)
{
	const char *end = s + len;
	uint64_t n = 0, lim;
	bool neg = false, digits = false;

	while (s < end && rv_space(*s))
		s++;
	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (n > (lim - d) / 10)
			return SG_ERANGE;
		n = n * 10 + d;
		digits = true;
	}
	while (s < end && rv_space(*s))
		s++;
	if (!digits || s != end)
		return SG_EPROTO;
	*out = neg ? (int64_t)(0 - n) : (int64_t)n;
	return 0;
}

/* ---- timestamps ---- */

static void rv_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int rv_month_days(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly n digits at *p. */
static int rv_digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (*p >= end || **p < '0' || **p > '9')
			return SG_EPROTO;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

/* Zone suffix: Z, UTC, GMT, or +hh, +hhmm, +hh:mm (also -). Seconds east. */
static int rv_zone(const char **p, const char *end, int64_t *east)
{
	const char *s = *p;
	int hh, mm = 0, sign;

	*east = 0;
	if (s < end && (*s == 'Z' || *s == 'z')) {
		*p = s + 1;
		return 0;
	}
	if ((size_t)(end - s) >= 3 && (strncasecmp(s, "UTC", 3) == 0 || strncasecmp(s, "GMT", 3) == 0)) {
		*p = s + 3;
		return 0;
	}
	if (s >= end || (*s != '+' && *s != '-'))
		return SG_EPROTO;
	sign = *s++ == '-' ? -1 : 1;
	if (rv_digits(&s, end, 2, &hh) != 0)
		return SG_EPROTO;
	if (s < end && *s == ':')
		s++;
	if (s < end && *s >= '0' && *s <= '9' && rv_digits(&s, end, 2, &mm) != 0)
		return SG_EPROTO;
	if (hh > 15 || mm > 59)
		return SG_EPROTO;
	*east = sign * (hh * 3600 + mm * 60);
	*p = s;
	return 0;
}

/* HH:MM[:SS[.f...]] into microseconds of the day. */
static int rv_time_of_day(const char **p, const char *end, int64_t *us)
{
	int hh, mi, ss = 0, nd = 0;
	int64_t frac = 0;
	bool round_up = false;
	const char *s = *p;

	if (rv_digits(&s, end, 2, &hh) != 0 || s >= end || *s++ != ':' || rv_digits(&s, end, 2, &mi) != 0)
		return SG_EPROTO;
	if (s < end && *s == ':') {
		s++;
		if (rv_digits(&s, end, 2, &ss) != 0)
			return SG_EPROTO;
		if (s < end && *s == '.') {
			s++;
			if (s >= end || *s < '0' || *s > '9')
				return SG_EPROTO;
			/* PostgreSQL rounds to the microsecond (half up). */
			for (; s < end && *s >= '0' && *s <= '9'; s++, nd++) {
				if (nd < 6)
					frac = frac * 10 + (*s - '0');
				else if (nd == 6)
					round_up = *s >= '5';
			}
			for (; nd < 6; nd++)
				frac *= 10;
			frac += round_up;
		}
	}
	if (hh > 24 || mi > 59 || ss > 59 || (hh == 24 && (mi || ss || frac)))
		return SG_EPROTO;
	*us = ((int64_t)hh * 3600 + mi * 60 + ss) * US_PER_SEC + frac;
	*p = s;
	return 0;
}

static int rv_ts_parse_zone(const char *s, size_t len, bool ignore_zone, int64_t *us);

int rv_ts_parse(const char *s, size_t len, int64_t *us)
{
	return rv_ts_parse_zone(s, len, false, us);
}

static int rv_ts_parse_zone(const char *s, size_t len, bool ignore_zone, int64_t *us)
{
	const char *p = s, *end = s + len;
	int64_t year = 0, tod = 0, east = 0;
	int mon, day, ydigits = 0;

	while (p < end && rv_space(*p))
		p++;
	while (end > p && rv_space(end[-1]))
		end--;
	if ((size_t)(end - p) == 8 && strncasecmp(p, "infinity", 8) == 0) {
		*us = INT64_MAX;
		return 0;
	}
	if ((size_t)(end - p) == 9 && strncasecmp(p, "-infinity", 9) == 0) {
		*us = INT64_MIN;
		return 0;
	}
	if ((size_t)(end - p) == 5 && strncasecmp(p, "epoch", 5) == 0) {
		*us = 0;
		return 0;
	}
	for (; p < end && *p >= '0' && *p <= '9' && ydigits < 7; p++, ydigits++)
		year = year * 10 + (*p - '0');
	if (ydigits < 4 || p >= end || *p++ != '-' || rv_digits(&p, end, 2, &mon) != 0 || p >= end ||
	    *p++ != '-' || rv_digits(&p, end, 2, &day) != 0)
		return SG_EPROTO;
	if (year < 1 || mon < 1 || mon > 12 || day < 1 || day > rv_month_days(year, mon))
		return SG_EPROTO;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		const char *q = p + 1;

		while (q < end && *q == ' ')
			q++;
		/* A space may also introduce the zone of a bare date. */
		if (rv_time_of_day(&q, end, &tod) == 0)
			p = q;
		else if (*p != ' ')
			return SG_EPROTO;
	}
	while (p < end && *p == ' ')
		p++;
	if (p < end && rv_zone(&p, end, &east) != 0)
		return SG_EPROTO;
	if (p != end)
		return SG_EPROTO;
	if (ignore_zone)
		east = 0; /* timestamp without time zone: PostgreSQL drops the offset */
	*us = sg_days_from_civil(year, mon, day) * US_PER_DAY + tod - east * US_PER_SEC;
	return 0;
}

void rv_ts_format(int64_t us, char *buf, size_t n)
{
	int64_t days, rem, y;
	int m, d;

	if (us == INT64_MAX || us == INT64_MIN) {
		snprintf(buf, n, "%sinfinity", us == INT64_MIN ? "-" : "");
		return;
	}
	days = us / US_PER_DAY;
	rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	rv_civil_from_days(days, &y, &m, &d);
	if (rem % US_PER_SEC != 0)
		snprintf(buf, n, "%04lld-%02d-%02d %02d:%02d:%02d.%06d+00", (long long)y, m, d,
		         (int)(rem / 3600 / US_PER_SEC), (int)(rem / 60 / US_PER_SEC % 60),
		         (int)(rem / US_PER_SEC % 60), (int)(rem % US_PER_SEC));
	else
		snprintf(buf, n, "%04lld-%02d-%02d %02d:%02d:%02d+00", (long long)y, m, d,
		         (int)(rem / 3600 / US_PER_SEC), (int)(rem / 60 / US_PER_SEC % 60),
		         (int)(rem / US_PER_SEC % 60));
}

static int64_t rv_floor_day(int64_t us)
{
	int64_t d = us / US_PER_DAY;

	if (us % US_PER_DAY < 0)
		d--;
	return d * US_PER_DAY;
}

/* ---- keys ---- */

static void rv_set_int_as(rv_key_t *k, int64_t v, rv_col_t col)
{
	if (col == RV_COL_INT) {
		k->kind = RV_INT;
		k->i = v;
	} else if (col == RV_COL_TEXT) {
		/* s stays NULL: the text is in num (rv_key_text), so the key
		 * can be copied. */
		snprintf(k->num, sizeof(k->num), "%lld", (long long)v);
		k->kind = RV_TEXT;
		k->s = NULL;
		k->len = strlen(k->num);
	} else {
		k->kind = RV_UNKNOWN;
	}
}

static void rv_set_ts(rv_key_t *k, int64_t us, rv_col_t col, bool date)
{
	if (col != RV_COL_TS) {
		k->kind = RV_UNKNOWN;
		return;
	}
	k->kind = RV_TS;
	k->i = date && us != INT64_MAX && us != INT64_MIN ? rv_floor_day(us) : us;
}

static void rv_text_as(const char *s, size_t len, rv_col_t col, rv_cast_t cast, rv_key_t *k)
{
	int64_t v;
	char tmp[40];

	k->kind = RV_UNKNOWN;
	if (cast == RV_CAST_NONE)
		cast = col == RV_COL_INT    ? RV_CAST_INT
		       : col == RV_COL_TEXT ? RV_CAST_TEXT
		       : col == RV_COL_UUID ? RV_CAST_UUID
		                            : RV_CAST_TS;
	switch (cast) {
	case RV_CAST_INT:
		if (rv_int8_parse(s, len, &v) == 0)
			rv_set_int_as(k, v, col);
		return;
	case RV_CAST_TEXT:
		if (col == RV_COL_TEXT && memchr(s, '\0', len) == NULL) {
			k->kind = RV_TEXT;
			k->s = s;
			k->len = len;
		}
		return;
	case RV_CAST_UUID:
		if (col != RV_COL_UUID || len >= sizeof(tmp))
			return;
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		if (pghash_uuid_parse(tmp, k->uuid) == 0)
			k->kind = RV_UUID;
		return;
	case RV_CAST_TS:
	case RV_CAST_TS_NOTZ:
	case RV_CAST_DATE:
		/* A date's zone is ignored too: '2026-11-20 01:00+05'::date is the 20th. */
		if (rv_ts_parse_zone(s, len, cast != RV_CAST_TS, &v) == 0)
			rv_set_ts(k, v, col, cast == RV_CAST_DATE);
		return;
	default:
		return;
	}
}

void rv_from_text(const char *s, size_t len, rv_col_t col, const char *cast, rv_key_t *out)
{
	memset(out, 0, sizeof(*out));
	rv_text_as(s, len, col, rv_cast_of(cast), out);
}

static int64_t rv_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	/* Sign-extend the n-byte two's complement value. */
	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~UINT64_C(0) << (8 * n);
	return (int64_t)v;
}

/* Binary format (PostgreSQL's *send functions), typed by the parameter's
 * OID when Parse gave one, else by its length and the column. */
static void rv_binary_as(const uint8_t *p, size_t len, uint32_t oid, rv_col_t col, rv_key_t *k)
{
	int64_t v;

	k->kind = RV_UNKNOWN;
	switch (col) {
	case RV_COL_INT:
		if ((oid == 0 || oid == OID_INT2 || oid == OID_INT4 || oid == OID_INT8) &&
		    (len == 2 || len == 4 || len == 8) &&
		    (oid == 0 || len == (oid == OID_INT2   ? 2u
		                         : oid == OID_INT4 ? 4u
		                                           : 8u)))
			rv_set_int_as(k, rv_be(p, len), col);
		return;
	case RV_COL_TEXT:
		if ((oid == 0 || oid == OID_TEXT || oid == OID_VARCHAR || oid == OID_BPCHAR) &&
		    memchr(p, '\0', len) == NULL) {
			k->kind = RV_TEXT;
			k->s = (const char *)p;
			k->len = len;
		}
		return;
	case RV_COL_UUID:
		if ((oid == 0 || oid == OID_UUID) && len == 16) {
			memcpy(k->uuid, p, 16);
			k->kind = RV_UUID;
		}
		return;
	case RV_COL_TS:
		if ((oid == 0 || oid == OID_TIMESTAMP || oid == OID_TIMESTAMPTZ) && len == 8) {
			v = rv_be(p, 8);
			if (v != INT64_MAX && v != INT64_MIN)
				v += PG_EPOCH_US;
			rv_set_ts(k, v, col, false);
		} else if ((oid == 0 || oid == OID_DATE) && len == 4) {
			v = rv_be(p, 4);
			/* date_send's infinities are INT32_MAX / INT32_MIN. */
			if (v == INT32_MAX || v == INT32_MIN)
				rv_set_ts(k, v == INT32_MAX ? INT64_MAX : INT64_MIN, col, false);
			else
				rv_set_ts(k, v * US_PER_DAY + PG_EPOCH_US, col, false);
		}
		return;
	}
}

static void rv_from_param(int param, const char *cast, rv_col_t col, const route_params_t *params,
                          rv_key_t *k)
{
	int i = param - 1;
	uint32_t oid;

	k->kind = RV_UNKNOWN;
	if (params == NULL || i < 0 || i >= params->n || params->values == NULL)
		return;
	if (params->values[i] == NULL) {
		k->kind = RV_NULL;
		return;
	}
	if (params->lens == NULL || params->lens[i] < 0)
		return;
	oid = params->types ? params->types[i] : 0;
	if (params->formats != NULL && params->formats[i] == 1)
		rv_binary_as(params->values[i], (size_t)params->lens[i], oid, col, k);
	else
		rv_text_as((const char *)params->values[i], (size_t)params->lens[i], col, rv_cast_of(cast),
		           k);
}

void rv_from_value(const sql_value_t *v, rv_col_t col, const route_params_t *params, int64_t now_us,
                   rv_key_t *out)
{
	rv_cast_t cast = rv_cast_of(v->cast);
	bool date = cast == RV_CAST_DATE;

	memset(out, 0, sizeof(*out));
	switch (v->kind) {
	case SQLV_NULL:
		out->kind = RV_NULL;
		return;
	case SQLV_INT:
		rv_set_int_as(out, v->i, col);
		return;
	case SQLV_TEXT:
		if (v->text != NULL)
			rv_text_as(v->text, strlen(v->text), col, cast, out);
		return;
	case SQLV_PARAM:
		rv_from_param(v->param, v->cast, col, params, out);
		out->param = v->param;
		return;
	case SQLV_TS:
		rv_set_ts(out, v->ts_us, col, date);
		return;
	case SQLV_NOW_REL:
		rv_set_ts(out, now_us + v->ts_us, col, date);
		return;
	case SQLV_DATE_REL:
		rv_set_ts(out, rv_floor_day(now_us) + (int64_t)v->days * US_PER_DAY + v->ts_us, col, date);
		return;
	}
}

size_t rv_utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	/* Back off over continuation bytes (10xxxxxx) and the lead byte of
	 * the sequence they belong to when it was cut. */
	if (n == len)
		return n;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

void rv_key_format(const rv_key_t *k, char *buf, size_t n)
{
	char tmp[40];

	switch (k->kind) {
	case RV_NULL:
		snprintf(buf, n, "NULL");
		break;
	case RV_INT:
		snprintf(buf, n, "%lld", (long long)k->i);
		break;
	case RV_TEXT: {
		size_t show = rv_utf8_prefix(rv_key_text(k), k->len, 64);

		snprintf(buf, n, "'%.*s%s'", (int)show, rv_key_text(k), show < k->len ? "..." : "");
		break;
	}
	case RV_UUID:
		snprintf(buf, n, "'%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x'",
		         k->uuid[0], k->uuid[1], k->uuid[2], k->uuid[3], k->uuid[4], k->uuid[5], k->uuid[6],
		         k->uuid[7], k->uuid[8], k->uuid[9], k->uuid[10], k->uuid[11], k->uuid[12],
		         k->uuid[13], k->uuid[14], k->uuid[15]);
		break;
	case RV_TS:
		rv_ts_format(k->i, tmp, sizeof(tmp));
		snprintf(buf, n, "%s", tmp);
		break;
	default:
		snprintf(buf, n, "(a value shardgate cannot read)");
		break;
	}
	if (k->param > 0) {
		size_t len = strlen(buf);

		snprintf(buf + len, n > len ? n - len : 0, " ($%d)", k->param);
	}
}

/* ---- arrays ---- */

static int rv_list_grow(rv_list_t *l, size_t *cap)
{
	rv_key_t *p;

	if (l->n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 8;
	p = realloc(l->keys, *cap * sizeof(*p));
	if (p == NULL)
		return SG_ENOMEM;
	l->keys = p;
	return 0;
}

/* One element of a text array literal ('{a,"b c",NULL}'), unescaped
 * into dst; *isnull for an unquoted NULL. */
static int rv_array_elem(const char **pp, const char *end, char *dst, size_t *dlen, bool *isnull)
{
	const char *p = *pp;
	bool quoted = p < end && *p == '"';
	size_t n = 0, last_kept = 0;

	*isnull = false;
	if (quoted)
		p++;
	for (; p < end; p++) {
		if (quoted && *p == '"')
			break;
		if (!quoted && (*p == ',' || *p == '}'))
			break;
		if (!quoted && (*p == '{' || *p == '"'))
			return SG_EPROTO;
		if (*p == '\\') {
			if (++p >= end)
				return SG_EPROTO;
			dst[n++] = *p;
			last_kept = n;
			continue;
		}
		dst[n++] = *p;
		if (quoted || !rv_space(*p))
			last_kept = n;
	}
	if (quoted) {
		if (p >= end)
			return SG_EPROTO;
		p++;
	} else {
		n = last_kept; /* trailing whitespace of an unquoted element is dropped */
		if (n == 0)
			return SG_EPROTO;
		*isnull = n == 4 && strncasecmp(dst, "NULL", 4) == 0 &&
		          memchr(*pp, '\\', (size_t)(p - *pp)) == NULL;
	}
	*pp = p;
	*dlen = n;
	return 0;
}

static int rv_array_text(const char *s, size_t len, rv_col_t col, rv_list_t *l)
{
	const char *p = s, *end = s + len;
	size_t cap = 0, off = 0, n;
	bool isnull;
	int rc;

	l->buf = malloc(len + 1);
	if (l->buf == NULL)
		return SG_ENOMEM;
	while (p < end && rv_space(*p))
		p++;
	if (p >= end || *p++ != '{')
		return SG_EPROTO;
	while (p < end && rv_space(*p))
		p++;
	if (p < end && *p == '}')
		p++;
	else {
		for (;;) {
			while (p < end && rv_space(*p))
				p++;
			rc = rv_array_elem(&p, end, l->buf + off, &n, &isnull);
			if (rc == 0)
				rc = rv_list_grow(l, &cap);
			if (rc != 0)
				return rc;
			memset(&l->keys[l->n], 0, sizeof(l->keys[0]));
			if (isnull)
				l->keys[l->n].kind = RV_NULL;
			else
				rv_text_as(l->buf + off, n, col, RV_CAST_NONE, &l->keys[l->n]);
			l->n++;
			off += n;
			while (p < end && rv_space(*p))
				p++;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == '}') {
				p++;
				break;
			}
			return SG_EPROTO;
		}
	}
	while (p < end && rv_space(*p))
		p++;
	return p == end ? 0 : SG_EPROTO;
}

/* array_send: ndim, has-nulls flag, element OID, (length, lower bound)
 * per dimension, then (length or -1, bytes) per element. */
static int rv_array_binary(const uint8_t *p, size_t len, rv_col_t col, rv_list_t *l)
{
	const uint8_t *end = p + len;
	int64_t ndim, count;
	uint32_t elem_oid;
	size_t cap = 0;

	if (len < 12)
		return SG_EPROTO;
	ndim = rv_be(p, 4);
	elem_oid = (uint32_t)rv_be(p + 8, 4);
	p += 12;
	if (ndim == 0)
		return p == end ? 0 : SG_EPROTO;
	if (ndim != 1 || end - p < 8)
		return SG_EPROTO;
	count = rv_be(p, 4);
	p += 8;
	if (count < 0 || count > (end - p) / 4)
		return SG_EPROTO;
	for (int64_t i = 0; i < count; i++) {
		int64_t elen;

		if (end - p < 4 || rv_list_grow(l, &cap) != 0)
			return end - p < 4 ? SG_EPROTO : SG_ENOMEM;
		elen = rv_be(p, 4);
		p += 4;
		memset(&l->keys[l->n], 0, sizeof(l->keys[0]));
		if (elen == -1) {
			l->keys[l->n++].kind = RV_NULL;
			continue;
		}
		if (elen < 0 || elen > end - p)
			return SG_EPROTO;
		rv_binary_as(p, (size_t)elen, elem_oid, col, &l->keys[l->n++]);
		p += elen;
	}
	return p == end ? 0 : SG_EPROTO;
}

int rv_param_array(const route_params_t *params, int param, rv_col_t col, rv_list_t *out)
{
	int i = param - 1, rc;

	memset(out, 0, sizeof(*out));
	if (params == NULL || i < 0 || i >= params->n || params->values == NULL ||
	    params->values[i] == NULL || params->lens == NULL || params->lens[i] < 0)
		return SG_EPROTO;
	if (params->formats != NULL && params->formats[i] == 1)
		rc = rv_array_binary(params->values[i], (size_t)params->lens[i], col, out);
	else
		rc = rv_array_text((const char *)params->values[i], (size_t)params->lens[i], col, out);
	/* Elements of a binary array point into the parameter itself. */
	for (size_t k = 0; rc == 0 && k < out->n; k++)
		out->keys[k].param = param;
	if (rc != 0)
		rv_list_free(out);
	return rc;
}

void rv_list_free(rv_list_t *l)
{
	free(l->keys);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}
