/* merge_float.c — float8out/float4out of PostgreSQL 15 with the default
 * extra_float_digits (1): the shortest decimal that reads back as the same
 * value (what its Ryu code prints), fixed notation when the decimal
 * exponent is in [-4, 15) for float8 and [-4, 6) for float4, else
 * "d.ddde+XX" with at least two exponent digits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"

/* Shortest digits: correctly rounded %.*e with growing precision until it
 * reads back. digits gets the significant digits (no trailing zeros),
 * *exp10 the decimal exponent of the first one. */
static int shortest(double v, bool f4, char *digits, int *exp10)
{
	char buf[40], *e;
	int n = 0, maxp = f4 ? 9 : 17;

	for (int p = 1; p <= maxp; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (f4 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	e = strchr(buf, 'e');
	for (char *c = buf; c < e; c++)
		if (*c >= '0' && *c <= '9')
			digits[n++] = *c;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = 0;
	*exp10 = atoi(e + 1);
	return n;
}

static void write_float(double v, bool f4, wbuf_t *out)
{
	char digits[24], buf[64];
	int n, exp10, len = 0, maxexp = f4 ? 6 : 15;

	if (isnan(v)) {
		wbuf_put(out, "NaN", 3);
		return;
	}
	if (isinf(v)) {
		if (v < 0)
			wbuf_put(out, "-Infinity", 9);
		else
			wbuf_put(out, "Infinity", 8);
		return;
	}
	if (signbit(v))
		buf[len++] = '-';
	if (v == 0) {
		buf[len++] = '0';
		wbuf_put(out, buf, (size_t)len);
		return;
	}
	n = shortest(fabs(v), f4, digits, &exp10);
	if (exp10 >= -4 && exp10 < maxexp) {
		if (exp10 < 0) {
			buf[len++] = '0';
			buf[len++] = '.';
			for (int i = -1; i > exp10; i--)
				buf[len++] = '0';
			memcpy(buf + len, digits, (size_t)n);
			len += n;
		} else {
			for (int i = 0; i <= exp10 || i < n; i++) {
				if (i == exp10 + 1)
					buf[len++] = '.';
				buf[len++] = i < n ? digits[i] : '0';
			}
		}
	} else {
		buf[len++] = digits[0];
		if (n > 1) {
			buf[len++] = '.';
			memcpy(buf + len, digits + 1, (size_t)n - 1);
			len += n - 1;
		}
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "e%c%02d", exp10 < 0 ? '-' : '+',
		                exp10 < 0 ? -exp10 : exp10);
	}
	wbuf_put(out, buf, (size_t)len);
}

void merge_float8_write_text(double v, wbuf_t *out)
{
	write_float(v, false, out);
}

void merge_float4_write_text(float v, wbuf_t *out)
{
	write_float(v, true, out);
}
