/* analyze_time.c — date/time text and calendar arithmetic for folding.
 *
 * Only the forms an application commonly writes are understood; anything
 * else is "not a constant" (the router then assumes every tier), never a
 * guess. The session time zone is taken to be UTC: a timestamptz literal
 * without an offset is UTC, a day is 24 hours. Calendar rules follow
 * PostgreSQL's timestamp + interval: months first (the day is clipped to
 * the end of a shorter month), then days, then the time part. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze_int.h"
#include "errors.h"

#define US_PER_SEC  INT64_C(1000000)
#define US_PER_MIN  (60 * US_PER_SEC)
#define US_PER_HOUR (60 * US_PER_MIN)
#define YEAR_MIN    1
#define YEAR_MAX    9999

static bool year_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && year_is_leap(y) ? 29 : len[m - 1];
}

/* Leap years in [1, y). */
static int64_t leaps_before(int64_t y)
{
	y -= 1;
	return y / 4 - y / 100 + y / 400;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (year >= 1). */
static int64_t days_from_date(int64_t y, int m, int d)
{
	static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	int64_t days = (y - 1970) * 365 + leaps_before(y) - leaps_before(1970);

	return days + before[m - 1] + (m > 2 && year_is_leap(y)) + (d - 1);
}

static void date_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t yy = 1970 + z / 366, rest;
	int mm = 1;

	/* The estimate is never past the answer; walk forward a year at a time. */
	while (days_from_date(yy + 1, 1, 1) <= z)
		yy++;
	while (days_from_date(yy, 1, 1) > z)
		yy--;
	rest = z - days_from_date(yy, 1, 1);
	while (rest >= month_days(yy, mm)) {
		rest -= month_days(yy, mm);
		mm++;
	}
	*y = yy;
	*m = mm;
	*d = (int)rest + 1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Reads 1..maxd digits; returns the count read (0: none). */
static int digits(const char **p, int maxd, int64_t *v)
{
	int n = 0;

	*v = 0;
	while (n < maxd && isdigit((unsigned char)**p)) {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static void skip_ws(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

/* The "mm[:ss[.ffffff]]" after "hh:" (times of day and interval clocks):
 * minutes, seconds and microseconds, not range-checked. */
static int parse_min_sec(const char **pp, int64_t *mi, int64_t *s, int64_t *f)
{
	const char *p = *pp;
	int nf;

	*s = *f = 0;
	if (digits(&p, 2, mi) != 2)
		return SG_EPROTO;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, s) != 2)
			return SG_EPROTO;
		if (*p == '.') {
			p++;
			nf = digits(&p, 6, f);
			if (nf == 0 || isdigit((unsigned char)*p))
				return SG_EPROTO; /* PostgreSQL rounds beyond 6 digits: not guessed */
			for (; nf < 6; nf++)
				*f *= 10;
		}
	}
	*pp = p;
	return 0;
}

/* hh:mm[:ss[.ffffff]] → microseconds into the day; 24:00:00 allowed. */
static int parse_clock(const char **pp, int64_t *us)
{
	const char *p = *pp;
	int64_t h, mi, s = 0, f = 0;

	if (digits(&p, 2, &h) == 0 || *p != ':')
		return SG_EPROTO;
	p++;
	if (parse_min_sec(&p, &mi, &s, &f) != 0)
		return SG_EPROTO;
	if (mi > 59 || s > 59 || h > 24 || (h == 24 && (mi | s | f) != 0))
		return SG_EPROTO;
	*us = h * US_PER_HOUR + mi * US_PER_MIN + s * US_PER_SEC + f;
	*pp = p;
	return 0;
}

/* Z, UTC, GMT, +hh, +hhmm, +hh:mm[:ss] → seconds east of UTC. */
static int parse_zone(const char **pp, int64_t *east)
{
	const char *p = *pp;
	int64_t h, m = 0, s = 0;
	int sign, n;

	if (*p == 'Z' || *p == 'z') {
		*east = 0;
		*pp = p + 1;
		return 0;
	}
	if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0) {
		*east = 0;
		*pp = p + 3;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return SG_EPROTO;
	sign = *p == '-' ? -1 : 1;
	p++;
	n = digits(&p, 4, &h);
	if (n == 4) {
		m = h % 100;
		h /= 100;
	} else if (n == 0 || n == 3) {
		return SG_EPROTO;
	} else if (*p == ':') {
		p++;
		if (digits(&p, 2, &m) != 2)
			return SG_EPROTO;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s) != 2)
				return SG_EPROTO;
		}
	}
	if (h > 15 || m > 59 || s > 59)
		return SG_EPROTO;
	*east = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return 0;
}

int sql_time_parse(const char *text, const char *type, int64_t *ts_us)
{
	bool is_date = type != NULL && strcmp(type, "date") == 0;
	bool zone_used = type == NULL || strcmp(type, "timestamptz") == 0;
	const char *p = text;
	int64_t y, mo, d, clock = 0, east = 0;

	skip_ws(&p);
	if (strncasecmp(p, "epoch", 5) == 0) {
		p += 5;
		skip_ws(&p);
		if (*p != '\0')
			return SG_EPROTO;
		*ts_us = 0;
		return 0;
	}
	if (digits(&p, 4, &y) != 4 || *p != '-')
		return SG_EPROTO;
	p++;
	if (digits(&p, 2, &mo) == 0 || *p != '-')
		return SG_EPROTO;
	p++;
	if (digits(&p, 2, &d) == 0)
		return SG_EPROTO;
	if (y < YEAR_MIN || mo < 1 || mo > 12 || d < 1 || d > month_days(y, (int)mo))
		return SG_EPROTO;
	if (*p == 'T' || *p == 't') {
		p++;
		if (parse_clock(&p, &clock) != 0)
			return SG_EPROTO;
	} else {
		skip_ws(&p);
		if (isdigit((unsigned char)*p) && parse_clock(&p, &clock) != 0)
			return SG_EPROTO;
	}
	skip_ws(&p);
	if (*p != '\0' && parse_zone(&p, &east) != 0)
		return SG_EPROTO;
	skip_ws(&p);
	if (*p != '\0')
		return SG_EPROTO;
	/* PostgreSQL ignores an offset given to timestamp (without time zone)
	 * and both time and offset given to date. */
	if (is_date)
		clock = east = 0;
	else if (!zone_used)
		east = 0;
	*ts_us = days_from_date(y, (int)mo, (int)d) * SQA_US_PER_DAY + clock - east * US_PER_SEC;
	return 0;
}

/* ---- intervals ---- */

typedef struct unit_def {
	const char *name;
	int64_t us;     /* microseconds per unit (time units) */
	int64_t days;   /* days per unit */
	int64_t months; /* months per unit */
} unit_def_t;

/* PostgreSQL's interval unit spellings (case-insensitive). */
static const unit_def_t units[] = {
        {"microseconds", 1, 0, 0},
        {"microsecond", 1, 0, 0},
        {"usecs", 1, 0, 0},
        {"usec", 1, 0, 0},
        {"us", 1, 0, 0},
        {"milliseconds", 1000, 0, 0},
        {"millisecond", 1000, 0, 0},
        {"msecs", 1000, 0, 0},
        {"msec", 1000, 0, 0},
        {"ms", 1000, 0, 0},
        {"seconds", US_PER_SEC, 0, 0},
        {"second", US_PER_SEC, 0, 0},
        {"secs", US_PER_SEC, 0, 0},
        {"sec", US_PER_SEC, 0, 0},
        {"s", US_PER_SEC, 0, 0},
        {"minutes", US_PER_MIN, 0, 0},
        {"minute", US_PER_MIN, 0, 0},
        {"mins", US_PER_MIN, 0, 0},
        {"min", US_PER_MIN, 0, 0},
        {"m", US_PER_MIN, 0, 0},
        {"hours", US_PER_HOUR, 0, 0},
        {"hour", US_PER_HOUR, 0, 0},
        {"hrs", US_PER_HOUR, 0, 0},
        {"hr", US_PER_HOUR, 0, 0},
        {"h", US_PER_HOUR, 0, 0},
        {"days", 0, 1, 0},
        {"day", 0, 1, 0},
        {"d", 0, 1, 0},
        {"weeks", 0, 7, 0},
        {"week", 0, 7, 0},
        {"w", 0, 7, 0},
        {"months", 0, 0, 1},
        {"month", 0, 0, 1},
        {"mons", 0, 0, 1},
        {"mon", 0, 0, 1},
        {"years", 0, 0, 12},
        {"year", 0, 0, 12},
        {"yrs", 0, 0, 12},
        {"yr", 0, 0, 12},
        {"y", 0, 0, 12},
        {"decades", 0, 0, 120},
        {"decade", 0, 0, 120},
        {"centuries", 0, 0, 1200},
        {"century", 0, 0, 1200},
        {"millennia", 0, 0, 12000},
        {"millennium", 0, 0, 12000},
};

static const unit_def_t *unit_find(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && strncasecmp(units[i].name, p, n) == 0)
			return &units[i];
	return NULL;
}

/* A decimal number: whole part and up to 6 fraction digits scaled to
 * millionths, so every unit's share is computed exactly. */
typedef struct decnum {
	int sign;
	int64_t whole;
	int64_t micro; /* fraction * 10^6 */
} decnum_t;

static int parse_decnum(const char **pp, decnum_t *n)
{
	const char *p = *pp;
	int nd = 0, nf = 0;

	n->sign = 1;
	n->whole = n->micro = 0;
	if (*p == '+' || *p == '-')
		n->sign = *p++ == '-' ? -1 : 1;
	for (; isdigit((unsigned char)*p); p++, nd++) {
		if (n->whole > (INT64_MAX - 9) / 10)
			return SG_ERANGE;
		n->whole = n->whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, nf++) {
			if (nf >= 6)
				return SG_EPROTO;
			n->micro = n->micro * 10 + (*p - '0');
		}
	}
	if (nd + nf == 0)
		return SG_EPROTO;
	for (int k = nf; k < 6; k++)
		n->micro *= 10;
	*pp = p;
	return 0;
}

typedef struct ivl {
	int64_t months, days, us;
} ivl_t;

static int ivl_add(ivl_t *iv, int sign, int64_t months, int64_t days, int64_t us)
{
	/* the parts are non-negative and bounded, so sign * part cannot overflow */
	if (__builtin_add_overflow(iv->months, sign * months, &iv->months) ||
	    __builtin_add_overflow(iv->days, sign * days, &iv->days) ||
	    __builtin_add_overflow(iv->us, sign * us, &iv->us))
		return SG_ERANGE;
	return 0;
}

/* Adds n units to iv, spilling fractions downwards the way PostgreSQL
 * does (a fractional month is 30 days, a fractional day 24 hours); a
 * fraction of a year that is not a whole number of months is refused. */
static int ivl_add_units(ivl_t *iv, const decnum_t *n, const unit_def_t *u)
{
	int64_t w = n->whole, f = n->micro, t, frac_us;

	if (u->months != 0) {
		if (__builtin_mul_overflow(w, u->months, &t) || ivl_add(iv, n->sign, t, 0, 0) != 0)
			return SG_ERANGE;
		if (f == 0)
			return 0;
		if (u->months != 1) {
			if ((f * u->months) % 1000000 != 0)
				return SG_EPROTO;
			return ivl_add(iv, n->sign, f * u->months / 1000000, 0, 0);
		}
		/* a fraction of a month: 30 days, the remainder as time */
		frac_us = f * 30 * (SQA_US_PER_DAY / 1000000);
		return ivl_add(iv, n->sign, 0, frac_us / SQA_US_PER_DAY, frac_us % SQA_US_PER_DAY);
	}
	if (u->days != 0) {
		if (__builtin_mul_overflow(w, u->days, &t) || ivl_add(iv, n->sign, 0, t, 0) != 0)
			return SG_ERANGE;
		frac_us = f * u->days * (SQA_US_PER_DAY / 1000000);
		return ivl_add(iv, n->sign, 0, frac_us / SQA_US_PER_DAY, frac_us % SQA_US_PER_DAY);
	}
	if (u->us < 1000000 && (f * u->us) % 1000000 != 0)
		return SG_EPROTO; /* below a microsecond */
	if (__builtin_mul_overflow(w, u->us, &t) || ivl_add(iv, n->sign, 0, 0, t) != 0)
		return SG_ERANGE;
	return ivl_add(iv, n->sign, 0, 0, f * u->us / 1000000);
}

/* "[+-]h:mm[:ss[.f]]" inside an interval: hours may exceed 24. */
static int ivl_clock(const char **pp, ivl_t *iv)
{
	const char *p = *pp;
	int sign = 1;
	int64_t h, m, s = 0, f = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 9, &h) == 0 || *p != ':')
		return SG_EPROTO;
	p++;
	if (parse_min_sec(&p, &m, &s, &f) != 0)
		return SG_EPROTO;
	if (m > 59 || s > 59)
		return SG_EPROTO;
	*pp = p;
	return ivl_add(iv, sign, 0, 0, h * US_PER_HOUR + m * US_PER_MIN + s * US_PER_SEC + f);
}

static bool clock_ahead(const char *p)
{
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == ':';
}

bool sqa_interval_bounded(int64_t months, int64_t days, int64_t us)
{
	return months >= -SQA_IVL_MAX_MONTHS && months <= SQA_IVL_MAX_MONTHS && days >= -SQA_IVL_MAX_DAYS &&
	       days <= SQA_IVL_MAX_DAYS && us >= -SQA_IVL_MAX_US && us <= SQA_IVL_MAX_US;
}

int sqa_interval_parse(const char *s, int64_t *months, int64_t *days, int64_t *us)
{
	ivl_t iv = {0, 0, 0};
	const char *p = s, *w;
	bool any = false, ago = false;
	decnum_t n;
	int rc;

	skip_ws(&p);
	if (*p == '@')
		p++;
	for (;;) {
		skip_ws(&p);
		if (*p == '\0')
			break;
		if (strncasecmp(p, "ago", 3) == 0 && !isalpha((unsigned char)p[3])) {
			p += 3;
			skip_ws(&p);
			if (*p != '\0' || !any)
				return SG_EPROTO;
			ago = true;
			break;
		}
		if (clock_ahead(p)) {
			rc = ivl_clock(&p, &iv);
		} else {
			rc = parse_decnum(&p, &n);
			if (rc != 0)
				return rc;
			skip_ws(&p);
			for (w = p; isalpha((unsigned char)*w); w++)
				;
			if (w == p) {
				/* a bare number is seconds, and only as the last item */
				if (*p != '\0')
					return SG_EPROTO;
				rc = ivl_add_units(&iv, &n, unit_find("s", 1));
			} else {
				const unit_def_t *u = unit_find(p, (size_t)(w - p));
				if (u == NULL)
					return SG_EPROTO;
				rc = ivl_add_units(&iv, &n, u);
				p = w;
			}
		}
		if (rc != 0)
			return rc;
		any = true;
	}
	if (!any)
		return SG_EPROTO;
	if (!sqa_interval_bounded(iv.months, iv.days, iv.us))
		return SG_ERANGE;
	if (ago) {
		iv.months = -iv.months;
		iv.days = -iv.days;
		iv.us = -iv.us;
	}
	*months = iv.months;
	*days = iv.days;
	*us = iv.us;
	return 0;
}

/* timestamp + interval exactly as PostgreSQL computes it (in UTC). */
int sqa_ts_add_interval(int64_t ts, int64_t months, int64_t days, int64_t us, int64_t *out)
{
	int64_t day = floor_div(ts, SQA_US_PER_DAY), tod = ts - day * SQA_US_PER_DAY, y, total, r;
	int m, d;

	if (months != 0) {
		date_from_days(day, &y, &m, &d);
		if (months > 12 * (YEAR_MAX + 1) || months < -12 * (YEAR_MAX + 1))
			return SG_ERANGE;
		total = y * 12 + (m - 1) + months;
		y = floor_div(total, 12);
		m = (int)(total - y * 12) + 1;
		if (y < YEAR_MIN || y > YEAR_MAX)
			return SG_ERANGE;
		if (d > month_days(y, m))
			d = month_days(y, m);
		day = days_from_date(y, m, d);
	}
	if (__builtin_add_overflow(day, days, &day) || __builtin_mul_overflow(day, SQA_US_PER_DAY, &r) ||
	    __builtin_add_overflow(r, tod, &r) || __builtin_add_overflow(r, us, &r))
		return SG_ERANGE;
	if (r < (days_from_date(YEAR_MIN, 1, 1) * SQA_US_PER_DAY) ||
	    r >= (days_from_date(YEAR_MAX + 1, 1, 1) * SQA_US_PER_DAY))
		return SG_ERANGE;
	*out = r;
	return 0;
}

/* The length of `months` calendar months, which depends on where they
 * start: within 4 days of months * 146097/4800 days (the mean month of
 * the 400-year Gregorian cycle) for every start date and every count
 * (checked exhaustively over a whole cycle; the cycle repeats). */
void sqa_months_span(int64_t months, int64_t *lo_us, int64_t *hi_us)
{
	int64_t num = months * 146097, lo = floor_div(num, 4800), hi = -floor_div(-num, 4800);

	*lo_us = (lo - 4) * SQA_US_PER_DAY;
	*hi_us = (hi + 4) * SQA_US_PER_DAY;
}
