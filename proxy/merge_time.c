/* merge_time.c — dates, timestamps and times as PostgreSQL prints them in
 * DateStyle ISO, turned into the integers of its binary format (days or
 * microseconds since 2000-01-01) so text and binary order alike. */
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "merge_int.h"

#define USECS_PER_SEC 1000000LL
#define USECS_PER_DAY (86400LL * USECS_PER_SEC)

typedef struct cur {
	const uint8_t *p;
	size_t n, i;
} cur_t;

/* At least min and at most max decimal digits. */
static bool take_num(cur_t *c, int min, int max, int64_t *v)
{
	int k = 0;

	*v = 0;
	while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9' && k < max) {
		*v = *v * 10 + (c->p[c->i] - '0');
		c->i++, k++;
	}
	return k >= min && !(c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9');
}

static bool take_ch(cur_t *c, char ch)
{
	if (c->i < c->n && c->p[c->i] == (uint8_t)ch) {
		c->i++;
		return true;
	}
	return false;
}

static bool is_word(const uint8_t *s, size_t len, const char *w)
{
	return len == strlen(w) && strncasecmp((const char *)s, w, len) == 0;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD (year >= 1, at least 4 digits); *bc_pending set by caller. */
static bool take_date(cur_t *c, int64_t *y, int64_t *m, int64_t *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (!take_num(c, 4, 7, y) || !take_ch(c, '-') || !take_num(c, 2, 2, m) || !take_ch(c, '-') ||
	    !take_num(c, 2, 2, d))
		return false;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1)
		return false;
	return *d <= mdays[*m - 1] || (*m == 2 && *d == 29);
}

static bool take_bc(cur_t *c)
{
	if (c->n - c->i == 3 && memcmp(c->p + c->i, " BC", 3) == 0) {
		c->i += 3;
		return true;
	}
	return false;
}

static int64_t civil_days(int64_t y, int64_t m, int64_t d, bool bc, bool *ok)
{
	int64_t ay = bc ? 1 - y : y;

	*ok = d <= 28 || m != 2 || leap(ay);
	return sg_days_from_civil(ay, m, d) - sg_days_from_civil(2000, 1, 1);
}

/* infinity / -infinity → INT64_MAX / INT64_MIN. */
static bool take_infinity(const uint8_t *s, size_t len, int64_t *out)
{
	if (is_word(s, len, "infinity"))
		*out = INT64_MAX;
	else if (is_word(s, len, "-infinity"))
		*out = INT64_MIN;
	else
		return false;
	return true;
}

int merge_time_parse_date(const uint8_t *s, size_t len, int64_t *days)
{
	cur_t c = {s, len, 0};
	int64_t y, m, d;
	bool bc, ok;

	if (take_infinity(s, len, days))
		return 0;
	if (!take_date(&c, &y, &m, &d))
		return SG_ENOTSUP;
	bc = take_bc(&c);
	if (c.i != c.n)
		return SG_ENOTSUP;
	*days = civil_days(y, m, d, bc, &ok);
	return ok ? 0 : SG_EPROTO;
}

/* HH:MM:SS[.f{1,6}] → microseconds. */
static bool take_clock(cur_t *c, int64_t *usec)
{
	int64_t h, mi, sec, frac = 0;
	int k = 0;

	if (!take_num(c, 2, 2, &h) || !take_ch(c, ':') || !take_num(c, 2, 2, &mi) || !take_ch(c, ':') ||
	    !take_num(c, 2, 2, &sec))
		return false;
	if (take_ch(c, '.')) {
		while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9') {
			if (k >= 6)
				return false;
			frac = frac * 10 + (c->p[c->i++] - '0');
			k++;
		}
		if (k == 0)
			return false;
		for (; k < 6; k++)
			frac *= 10;
	}
	if (h > 24 || mi > 59 || sec > 60)
		return false;
	*usec = ((h * 60 + mi) * 60 + sec) * USECS_PER_SEC + frac;
	return *usec <= USECS_PER_DAY;
}

/* [+-]HH[:MM[:SS]] → seconds east of UTC. */
static bool take_offset(cur_t *c, int64_t *secs)
{
	int64_t h, mi = 0, sec = 0;
	int sign;

	if (c->i >= c->n || (c->p[c->i] != '+' && c->p[c->i] != '-'))
		return false;
	sign = c->p[c->i++] == '-' ? -1 : 1;
	if (!take_num(c, 2, 2, &h))
		return false;
	if (take_ch(c, ':')) {
		if (!take_num(c, 2, 2, &mi))
			return false;
		if (take_ch(c, ':') && !take_num(c, 2, 2, &sec))
			return false;
	}
	if (mi > 59 || sec > 59)
		return false;
	*secs = sign * ((h * 60 + mi) * 60 + sec);
	return true;
}

int merge_time_parse_timestamp(const uint8_t *s, size_t len, bool with_tz, int64_t *usec)
{
	cur_t c = {s, len, 0};
	int64_t y, m, d, clock = 0, off = 0, days;
	bool bc, ok, has_off = false;
	__int128 v;

	if (take_infinity(s, len, usec))
		return 0;
	if (!take_date(&c, &y, &m, &d))
		return SG_ENOTSUP;
	if (take_ch(&c, ' ') || take_ch(&c, 'T')) {
		if (!take_clock(&c, &clock))
			return SG_ENOTSUP;
		has_off = take_offset(&c, &off);
	}
	bc = take_bc(&c);
	if (c.i != c.n)
		return SG_ENOTSUP;
	if (has_off != with_tz)
		return SG_ENOTSUP; /* a timestamptz in an unknown zone, or an offset on a timestamp */
	days = civil_days(y, m, d, bc, &ok);
	if (!ok)
		return SG_EPROTO;
	v = (__int128)days * USECS_PER_DAY + clock - (__int128)off * USECS_PER_SEC;
	if (v >= INT64_MAX || v <= INT64_MIN)
		return SG_EPROTO;
	*usec = (int64_t)v;
	return 0;
}

int merge_time_parse_time(const uint8_t *s, size_t len, int64_t *usec)
{
	cur_t c = {s, len, 0};

	if (!take_clock(&c, usec) || c.i != c.n)
		return SG_ENOTSUP;
	return 0;
}
