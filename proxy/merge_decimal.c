/* merge_decimal.c — exact decimal arithmetic (see merge_decimal.h): the
 * parts of PostgreSQL's numeric the merge needs — parse, add, divide by a
 * count, compare, and output in both wire formats — reimplemented on
 * base-10000 digits so results match numeric_out/numeric_send exactly. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "merge_decimal.h"

#define NBASE          10000
#define DEC_DIGITS     4
#define MIN_SIG_DIGITS 16 /* NUMERIC_MIN_SIG_DIGITS */

#define NUMERIC_POS  0x0000
#define NUMERIC_NEG  0x4000
#define NUMERIC_NAN  0xC000
#define NUMERIC_PINF 0xD000
#define NUMERIC_NINF 0xF000

static const int32_t pow10_tab[5] = {1, 10, 100, 1000, 10000};

static int16_t *dg(merge_dec_t *d)
{
	return d->heap ? d->heap : d->inl;
}

static const int16_t *cdg(const merge_dec_t *d)
{
	return d->heap ? d->heap : d->inl;
}

void merge_dec_init(merge_dec_t *d)
{
	memset(d, 0, sizeof(*d));
}

void merge_dec_free(merge_dec_t *d)
{
	free(d->heap);
	merge_dec_init(d);
}

/* Room for n digits; contents are not kept. */
static int dec_alloc(merge_dec_t *d, int32_t n)
{
	if (n <= MERGE_DEC_INLINE && d->heap == NULL)
		return 0;
	if (d->heap && n <= d->cap)
		return 0;
	free(d->heap);
	d->heap = NULL;
	d->cap = 0;
	if (n <= MERGE_DEC_INLINE)
		return 0;
	d->heap = malloc((size_t)n * sizeof(int16_t));
	if (d->heap == NULL)
		return SG_ENOMEM;
	d->cap = n;
	return 0;
}

/* dst takes src's value and storage; src is left empty. */
static void dec_move(merge_dec_t *dst, merge_dec_t *src)
{
	free(dst->heap);
	*dst = *src;
	merge_dec_init(src);
}

int merge_dec_copy(merge_dec_t *dst, const merge_dec_t *src)
{
	int rc;

	if (dst == src)
		return 0;
	rc = dec_alloc(dst, src->ndigits);
	if (rc)
		return rc;
	dst->sign = src->sign;
	dst->weight = src->weight;
	dst->dscale = src->dscale;
	dst->ndigits = src->ndigits;
	if (src->ndigits)
		memcpy(dg(dst), cdg(src), (size_t)src->ndigits * sizeof(int16_t));
	return 0;
}

static void dec_set_special(merge_dec_t *d, uint8_t sign)
{
	d->sign = sign;
	d->weight = 0;
	d->dscale = 0;
	d->ndigits = 0;
}

/* Drops leading and trailing zero digits; zero becomes positive, weight 0. */
static void dec_strip(merge_dec_t *d)
{
	int16_t *p = dg(d);
	int32_t lead = 0, n = d->ndigits;

	while (lead < n && p[lead] == 0)
		lead++;
	while (n > lead && p[n - 1] == 0)
		n--;
	if (lead == n) {
		d->ndigits = 0;
		d->weight = 0;
		if (d->sign == MERGE_DEC_NEG)
			d->sign = MERGE_DEC_POS;
		return;
	}
	if (lead)
		memmove(p, p + lead, (size_t)(n - lead) * sizeof(int16_t));
	d->weight -= lead;
	d->ndigits = n - lead;
}

/* Loads digits from a work array of int32 (each 0..NBASE-1). */
static int dec_load(merge_dec_t *d, uint8_t sign, int32_t weight, int32_t dscale, const int32_t *w, int32_t n)
{
	int rc = dec_alloc(d, n);
	int16_t *p;

	if (rc)
		return rc;
	p = dg(d);
	for (int32_t i = 0; i < n; i++)
		p[i] = (int16_t)w[i];
	d->sign = sign;
	d->weight = weight;
	d->dscale = dscale;
	d->ndigits = n;
	dec_strip(d);
	return 0;
}

/* ---- parsing ---- */

static int parse_special(merge_dec_t *d, const char *s, size_t len)
{
	static const struct {
		const char *txt;
		uint8_t sign;
	} tab[] = {
	        {"nan", MERGE_DEC_NAN},        {"infinity", MERGE_DEC_PINF}, {"+infinity", MERGE_DEC_PINF},
	        {"-infinity", MERGE_DEC_NINF}, {"inf", MERGE_DEC_PINF},      {"+inf", MERGE_DEC_PINF},
	        {"-inf", MERGE_DEC_NINF},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].txt) == len && strncasecmp(s, tab[i].txt, len) == 0) {
			dec_set_special(d, tab[i].sign);
			return 0;
		}
	}
	return SG_EPROTO;
}

/* Digits in s[0..n) are the significant decimal digits (no point), the
 * first of which has decimal exponent `e1` (value digit * 10^e1). */
static int dec_from_digits(merge_dec_t *d, uint8_t sign, const char *digs, int32_t n, int64_t e1,
                           int32_t dscale)
{
	int64_t wfirst, wlast, e_last = e1 - n + 1;
	int32_t nd, *w, stackw[32];
	int rc;

	/* floor division by 4 for possibly negative exponents */
	wfirst = e1 >= 0 ? e1 / DEC_DIGITS : -((-e1 + DEC_DIGITS - 1) / DEC_DIGITS);
	wlast = e_last >= 0 ? e_last / DEC_DIGITS : -((-e_last + DEC_DIGITS - 1) / DEC_DIGITS);
	if (wfirst - wlast + 1 > MERGE_DEC_MAX_DIGITS || wfirst > INT16_MAX || wlast < -MERGE_DEC_MAX_DIGITS)
		return SG_ERANGE;
	nd = (int32_t)(wfirst - wlast + 1);
	if (nd <= 32) {
		w = stackw;
		memset(w, 0, sizeof(stackw));
	} else {
		w = calloc((size_t)nd, sizeof(int32_t));
		if (w == NULL)
			return SG_ENOMEM;
	}
	for (int32_t i = 0; i < n; i++) {
		int64_t e = e1 - i;
		int64_t we = e >= 0 ? e / DEC_DIGITS : -((-e + DEC_DIGITS - 1) / DEC_DIGITS);
		int32_t place = (int32_t)(e - we * DEC_DIGITS);

		w[wfirst - we] += (digs[i] - '0') * pow10_tab[place];
	}
	rc = dec_load(d, sign, (int32_t)wfirst, dscale, w, nd);
	if (w != stackw)
		free(w);
	return rc;
}

int merge_dec_from_text(merge_dec_t *d, const char *s, size_t len)
{
	size_t i = 0, end = len, dstart, mend, nint = 0, nfrac = 0;
	uint8_t sign = MERGE_DEC_POS;
	int64_t exp = 0, dscale;
	char *digs, stackd[128];
	int32_t n = 0, lead = 0;
	int rc;

	while (i < end && isspace((unsigned char)s[i]))
		i++;
	while (end > i && isspace((unsigned char)s[end - 1]))
		end--;
	if (i == end)
		return SG_EPROTO;
	if (parse_special(d, s + i, end - i) == 0)
		return 0;
	if (s[i] == '+' || s[i] == '-')
		sign = s[i++] == '-' ? MERGE_DEC_NEG : MERGE_DEC_POS;
	dstart = i;
	while (i < end && isdigit((unsigned char)s[i]))
		i++, nint++;
	if (i < end && s[i] == '.') {
		i++;
		while (i < end && isdigit((unsigned char)s[i]))
			i++, nfrac++;
	}
	if (nint + nfrac == 0)
		return SG_EPROTO;
	mend = i;
	if (i < end && (s[i] == 'e' || s[i] == 'E')) {
		bool eneg = false;
		size_t ed = 0;

		i++;
		if (i < end && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		while (i < end && isdigit((unsigned char)s[i])) {
			if (exp < 1000000)
				exp = exp * 10 + (s[i] - '0');
			i++, ed++;
		}
		if (ed == 0 || exp >= 1000000)
			return SG_EPROTO;
		if (eneg)
			exp = -exp;
	}
	if (i != end)
		return SG_EPROTO;
	dscale = (int64_t)nfrac - exp;
	if (dscale < 0)
		dscale = 0;
	if (dscale > MERGE_DEC_MAX_SCALE * 4)
		return SG_ERANGE;
	digs = nint + nfrac < sizeof(stackd) ? stackd : malloc(nint + nfrac + 1);
	if (digs == NULL)
		return SG_ENOMEM;
	for (size_t k = dstart; k < mend; k++)
		if (isdigit((unsigned char)s[k]))
			digs[n++] = s[k];
	while (lead < n && digs[lead] == '0')
		lead++;
	while (n > lead && digs[n - 1] == '0')
		n--;
	if (lead == n) {
		rc = dec_alloc(d, 0);
		if (rc == 0) {
			dec_set_special(d, MERGE_DEC_POS);
			d->dscale = (int32_t)dscale;
		}
	} else {
		/* the first significant digit sits (nint - 1 - lead) places above the point */
		rc = dec_from_digits(d, sign, digs + lead, n - lead, (int64_t)nint - 1 - lead + exp,
		                     (int32_t)dscale);
	}
	if (digs != stackd)
		free(digs);
	return rc;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

int merge_dec_from_binary(merge_dec_t *d, const uint8_t *p, size_t len)
{
	int16_t ndigits, weight, dscale;
	uint16_t sign;
	int16_t *out;
	int rc;

	if (len < 8)
		return SG_EPROTO;
	ndigits = (int16_t)rd16(p);
	weight = (int16_t)rd16(p + 2);
	sign = rd16(p + 4);
	dscale = (int16_t)rd16(p + 6);
	if (ndigits < 0 || len != 8 + 2 * (size_t)ndigits || (dscale & ~0x3FFF))
		return SG_EPROTO;
	if (sign == NUMERIC_NAN || sign == NUMERIC_PINF || sign == NUMERIC_NINF) {
		dec_set_special(d, sign == NUMERIC_NAN    ? MERGE_DEC_NAN
		                   : sign == NUMERIC_PINF ? MERGE_DEC_PINF
		                                          : MERGE_DEC_NINF);
		return 0;
	}
	if (sign != NUMERIC_POS && sign != NUMERIC_NEG)
		return SG_EPROTO;
	rc = dec_alloc(d, ndigits);
	if (rc)
		return rc;
	out = dg(d);
	for (int i = 0; i < ndigits; i++) {
		int16_t v = (int16_t)rd16(p + 8 + 2 * i);

		if (v < 0 || v >= NBASE)
			return SG_EPROTO;
		out[i] = v;
	}
	d->sign = sign == NUMERIC_NEG ? MERGE_DEC_NEG : MERGE_DEC_POS;
	d->weight = weight;
	d->dscale = dscale;
	d->ndigits = ndigits;
	dec_strip(d);
	return 0;
}

int merge_dec_from_int128(merge_dec_t *d, __int128 v)
{
	unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	int32_t w[12], n = 0, tmp[12];

	while (u) {
		tmp[n++] = (int32_t)(u % NBASE);
		u /= NBASE;
	}
	for (int32_t i = 0; i < n; i++)
		w[i] = tmp[n - 1 - i];
	return dec_load(d, v < 0 ? MERGE_DEC_NEG : MERGE_DEC_POS, n - 1, 0, w, n);
}

int merge_dec_from_int64(merge_dec_t *d, int64_t v)
{
	return merge_dec_from_int128(d, v);
}

/* ---- arithmetic ---- */

static int32_t dec_last_weight(const merge_dec_t *d)
{
	return d->weight - d->ndigits + 1;
}

static int32_t digit_at(const merge_dec_t *d, int32_t w)
{
	int32_t i = d->weight - w;

	return i >= 0 && i < d->ndigits ? cdg(d)[i] : 0;
}

/* Magnitude comparison of finite, stripped values. */
static int cmp_abs(const merge_dec_t *a, const merge_dec_t *b)
{
	int32_t hi, lo;

	if (a->ndigits == 0 || b->ndigits == 0)
		return (a->ndigits != 0) - (b->ndigits != 0);
	if (a->weight != b->weight)
		return a->weight > b->weight ? 1 : -1;
	hi = a->weight;
	lo = dec_last_weight(a) < dec_last_weight(b) ? dec_last_weight(a) : dec_last_weight(b);
	for (int32_t w = hi; w >= lo; w--) {
		int32_t x = digit_at(a, w), y = digit_at(b, w);

		if (x != y)
			return x > y ? 1 : -1;
	}
	return 0;
}

/* out = |a| + |b| (sub false) or |a| - |b| with |a| >= |b| (sub true). */
static int add_abs(merge_dec_t *out, const merge_dec_t *a, const merge_dec_t *b, bool sub, uint8_t sign,
                   int32_t dscale)
{
	int32_t hi = (a->weight > b->weight ? a->weight : b->weight) + 1;
	int32_t la = a->ndigits ? dec_last_weight(a) : hi, lb = b->ndigits ? dec_last_weight(b) : hi;
	int32_t lo = la < lb ? la : lb, n, carry = 0, *w;
	merge_dec_t tmp;
	int rc;

	if (lo > hi)
		lo = hi;
	n = hi - lo + 1;
	w = malloc((size_t)n * sizeof(int32_t));
	if (w == NULL)
		return SG_ENOMEM;
	for (int32_t pos = lo; pos <= hi; pos++) {
		int32_t v = digit_at(a, pos) + (sub ? -digit_at(b, pos) : digit_at(b, pos)) + carry;

		carry = 0;
		if (v >= NBASE) {
			v -= NBASE;
			carry = 1;
		} else if (v < 0) {
			v += NBASE;
			carry = -1;
		}
		w[hi - pos] = v;
	}
	merge_dec_init(&tmp);
	rc = dec_load(&tmp, sign, hi, dscale, w, n);
	free(w);
	if (rc == 0)
		dec_move(out, &tmp);
	merge_dec_free(&tmp);
	return rc;
}

static bool is_special(const merge_dec_t *d)
{
	return d->sign >= MERGE_DEC_NAN;
}

int merge_dec_add(merge_dec_t *out, const merge_dec_t *a, const merge_dec_t *b)
{
	int32_t dscale = a->dscale > b->dscale ? a->dscale : b->dscale;
	int c;

	if (is_special(a) || is_special(b)) {
		uint8_t s;

		if (a->sign == MERGE_DEC_NAN || b->sign == MERGE_DEC_NAN)
			s = MERGE_DEC_NAN;
		else if (is_special(a) && is_special(b))
			s = a->sign == b->sign ? a->sign : MERGE_DEC_NAN;
		else
			s = is_special(a) ? a->sign : b->sign;
		dec_set_special(out, s);
		return 0;
	}
	if (a->sign == b->sign)
		return add_abs(out, a, b, false, a->sign, dscale);
	c = cmp_abs(a, b);
	if (c >= 0)
		return add_abs(out, a, b, true, a->sign, dscale);
	return add_abs(out, b, a, true, b->sign, dscale);
}

int merge_dec_cmp(const merge_dec_t *a, const merge_dec_t *b)
{
	/* rank: -Inf < negative < zero/positive < +Inf < NaN */
	static const int rank[] = {[MERGE_DEC_POS] = 2,
	                           [MERGE_DEC_NEG] = 1,
	                           [MERGE_DEC_NAN] = 4,
	                           [MERGE_DEC_PINF] = 3,
	                           [MERGE_DEC_NINF] = 0};
	int ra = rank[a->sign], rb = rank[b->sign];

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (is_special(a))
		return 0;
	return a->sign == MERGE_DEC_NEG ? -cmp_abs(a, b) : cmp_abs(a, b);
}

int merge_dec_round(merge_dec_t *d, int scale)
{
	int64_t keep;
	int32_t n, *w, kd, place, unit;
	bool up;
	int rc;

	if (is_special(d))
		return 0;
	d->dscale = scale;
	keep = ((int64_t)d->weight + 1) * DEC_DIGITS + scale; /* decimal digits kept from digit 0 */
	if (keep >= (int64_t)d->ndigits * DEC_DIGITS)
		return 0;
	if (keep < 0) {
		d->ndigits = 0;
		d->weight = 0;
		d->sign = MERGE_DEC_POS;
		return 0;
	}
	/* work on [0, digits...] so a carry out of digit 0 has room */
	n = d->ndigits + 1;
	w = malloc((size_t)n * sizeof(int32_t));
	if (w == NULL)
		return SG_ENOMEM;
	w[0] = 0;
	for (int32_t i = 0; i < d->ndigits; i++)
		w[i + 1] = cdg(d)[i];
	keep += DEC_DIGITS;
	kd = (int32_t)(keep / DEC_DIGITS);
	place = (int32_t)(keep % DEC_DIGITS); /* decimal digits of w[kd] kept */
	up = (w[kd] / pow10_tab[DEC_DIGITS - 1 - place]) % 10 >= 5;
	w[kd] -= w[kd] % pow10_tab[DEC_DIGITS - place];
	n = kd + 1;
	if (up) {
		/* add one unit in the last kept decimal place */
		int32_t i = place ? kd : kd - 1;

		unit = place ? pow10_tab[DEC_DIGITS - place] : 1;
		w[i] += unit;
		while (w[i] >= NBASE && i > 0) {
			w[i] -= NBASE;
			w[--i]++;
		}
	}
	rc = dec_load(d, d->sign, d->weight + 1, scale, w, n);
	free(w);
	return rc;
}

/* select_div_scale for a / n, n an integer (dscale 0). */
static int div_scale(const merge_dec_t *a, int64_t n)
{
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	int32_t w1 = 0, w2 = -1, fd1 = 0, fd2 = 0, qweight, rscale;

	if (a->ndigits) {
		w1 = a->weight;
		fd1 = cdg(a)[0];
	}
	while (u) {
		fd2 = (int32_t)(u % NBASE);
		u /= NBASE;
		w2++;
	}
	if (w2 < 0)
		w2 = 0;
	qweight = w1 - w2;
	if (fd1 <= fd2)
		qweight--;
	rscale = MIN_SIG_DIGITS - qweight * DEC_DIGITS;
	if (rscale < a->dscale)
		rscale = a->dscale;
	if (rscale < 0)
		rscale = 0;
	if (rscale > MERGE_DEC_MAX_SCALE)
		rscale = MERGE_DEC_MAX_SCALE;
	return rscale;
}

int merge_dec_div_int64(merge_dec_t *out, const merge_dec_t *a, int64_t n)
{
	bool neg = (a->sign == MERGE_DEC_NEG || a->sign == MERGE_DEC_NINF) != (n < 0);
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	int32_t rscale, lastpos, first, nq, *w;
	unsigned __int128 r = 0;
	merge_dec_t tmp;
	int rc;

	if (n == 0)
		return SG_ERANGE;
	if (a->sign == MERGE_DEC_NAN) {
		dec_set_special(out, MERGE_DEC_NAN);
		return 0;
	}
	if (a->sign == MERGE_DEC_PINF || a->sign == MERGE_DEC_NINF) {
		dec_set_special(out, neg ? MERGE_DEC_NINF : MERGE_DEC_PINF);
		return 0;
	}
	rscale = div_scale(a, n);
	/* enough quotient digits for rscale + 1 decimal places, truncated */
	lastpos = -(rscale / DEC_DIGITS + 2);
	first = a->ndigits ? a->weight : 0;
	if (first < lastpos)
		first = lastpos;
	nq = first - lastpos + 1;
	w = malloc((size_t)nq * sizeof(int32_t));
	if (w == NULL)
		return SG_ENOMEM;
	for (int32_t pos = first; pos >= lastpos; pos--) {
		unsigned __int128 cur = r * NBASE + (unsigned)digit_at(a, pos);

		w[first - pos] = (int32_t)(cur / u);
		r = cur % u;
	}
	merge_dec_init(&tmp);
	rc = dec_load(&tmp, neg ? MERGE_DEC_NEG : MERGE_DEC_POS, first, rscale, w, nq);
	free(w);
	if (rc == 0)
		rc = merge_dec_round(&tmp, rscale);
	if (rc == 0)
		dec_move(out, &tmp);
	merge_dec_free(&tmp);
	return rc;
}

bool merge_dec_to_int64(const merge_dec_t *d, int64_t *v)
{
	__int128 acc = 0;

	if (is_special(d))
		return false;
	if (d->ndigits && dec_last_weight(d) < 0)
		return false;
	if (d->ndigits && d->weight > 5)
		return false;
	for (int32_t pos = d->weight; d->ndigits && pos >= 0; pos--)
		acc = acc * NBASE + digit_at(d, pos);
	if (d->sign == MERGE_DEC_NEG)
		acc = -acc;
	if (acc > INT64_MAX || acc < INT64_MIN)
		return false;
	*v = (int64_t)acc;
	return true;
}

/* ---- output ---- */

void merge_dec_write_text(const merge_dec_t *d, wbuf_t *out)
{
	char buf[8];

	switch (d->sign) {
	case MERGE_DEC_NAN:
		wbuf_put(out, "NaN", 3);
		return;
	case MERGE_DEC_PINF:
		wbuf_put(out, "Infinity", 8);
		return;
	case MERGE_DEC_NINF:
		wbuf_put(out, "-Infinity", 9);
		return;
	default:
		break;
	}
	if (d->sign == MERGE_DEC_NEG)
		wbuf_put_u8(out, '-');
	if (d->ndigits == 0 || d->weight < 0) {
		wbuf_put_u8(out, '0');
	} else {
		for (int32_t pos = d->weight; pos >= 0; pos--) {
			int32_t v = digit_at(d, pos);
			int len;

			if (pos == d->weight)
				len = snprintf(buf, sizeof(buf), "%d", (int)v);
			else
				len = snprintf(buf, sizeof(buf), "%04d", (int)v);
			wbuf_put(out, buf, (size_t)len);
		}
	}
	if (d->dscale > 0) {
		int32_t left = d->dscale;

		wbuf_put_u8(out, '.');
		for (int32_t pos = -1; left > 0; pos--) {
			int len = snprintf(buf, sizeof(buf), "%04d", (int)digit_at(d, pos));

			wbuf_put(out, buf, (size_t)(left < len ? left : len));
			left -= len;
		}
	}
}

void merge_dec_write_binary(const merge_dec_t *d, wbuf_t *out)
{
	uint16_t sign;

	switch (d->sign) {
	case MERGE_DEC_NAN:
		sign = NUMERIC_NAN;
		break;
	case MERGE_DEC_PINF:
		sign = NUMERIC_PINF;
		break;
	case MERGE_DEC_NINF:
		sign = NUMERIC_NINF;
		break;
	case MERGE_DEC_NEG:
		sign = NUMERIC_NEG;
		break;
	default:
		sign = NUMERIC_POS;
		break;
	}
	if (is_special(d)) {
		wbuf_put_i16(out, 0);
		wbuf_put_i16(out, 0);
		wbuf_put_i16(out, (int16_t)sign);
		/* what PostgreSQL sends: the dscale bits of the short header, 32 for ±Infinity */
		wbuf_put_i16(out, d->sign == MERGE_DEC_NAN ? 0 : 32);
		return;
	}
	wbuf_put_i16(out, (int16_t)d->ndigits);
	wbuf_put_i16(out, (int16_t)d->weight);
	wbuf_put_i16(out, (int16_t)sign);
	wbuf_put_i16(out, (int16_t)d->dscale);
	for (int32_t i = 0; i < d->ndigits; i++)
		wbuf_put_i16(out, cdg(d)[i]);
}
