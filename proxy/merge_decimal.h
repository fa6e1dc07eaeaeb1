/* merge_decimal.h — exact decimal arithmetic for the merge (private to
 * proxy/merge_*.c).
 *
 * The representation is PostgreSQL's NumericVar: base-10000 digits, the
 * weight of the first one (value = sum digits[i] * 10000^(weight - i)), a
 * sign and a display scale (decimal digits after the point). Arbitrary
 * precision; digits live inline up to MERGE_DEC_INLINE and on the heap
 * beyond, through `heap` (never a self-pointer), so a merge_dec_t may be
 * moved with memcpy or realloc. Every function takes initialised values
 * (merge_dec_init) and the caller frees them with merge_dec_free. */
#ifndef SG_MERGE_DECIMAL_H
#define SG_MERGE_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "wbuf.h"

#define MERGE_DEC_INLINE     8      /* digits (32 decimal digits) without allocation */
#define MERGE_DEC_MAX_SCALE  1000   /* NUMERIC_MAX_DISPLAY_SCALE */
#define MERGE_DEC_MAX_DIGITS 100000 /* sanity bound on parsed input (base-10000 digits) */

enum merge_dec_sign {
	MERGE_DEC_POS = 0,
	MERGE_DEC_NEG,
	MERGE_DEC_NAN,
	MERGE_DEC_PINF,
	MERGE_DEC_NINF,
};

typedef struct merge_dec {
	uint8_t sign; /* enum merge_dec_sign */
	int32_t weight;
	int32_t dscale;
	int32_t ndigits;
	int32_t cap;   /* heap capacity in digits (0: inline) */
	int16_t *heap; /* owned, NULL while the digits fit inline */
	int16_t inl[MERGE_DEC_INLINE];
} merge_dec_t;

void merge_dec_init(merge_dec_t *d);
void merge_dec_free(merge_dec_t *d);
int merge_dec_copy(merge_dec_t *dst, const merge_dec_t *src) SG_WUR;

/* Text as numeric_in accepts it: [+-]digits[.digits][e[+-]exp], "NaN",
 * "Infinity", "-Infinity" (case-insensitive), surrounding spaces. The
 * display scale is the digits after the point (less a positive exponent).
 * SG_EPROTO if it is not a number. */
int merge_dec_from_text(merge_dec_t *d, const char *s, size_t len) SG_WUR;
/* numeric's binary send format. SG_EPROTO if malformed. */
int merge_dec_from_binary(merge_dec_t *d, const uint8_t *p, size_t len) SG_WUR;
int merge_dec_from_int64(merge_dec_t *d, int64_t v) SG_WUR;
int merge_dec_from_int128(merge_dec_t *d, __int128 v) SG_WUR;

/* out = a + b (out may alias a or b); dscale = max of theirs; NaN wins,
 * +Inf + -Inf = NaN. */
int merge_dec_add(merge_dec_t *out, const merge_dec_t *a, const merge_dec_t *b) SG_WUR;
/* out = a / n with numeric_div's result scale (select_div_scale), rounded
 * half away from zero. n must not be 0. */
int merge_dec_div_int64(merge_dec_t *out, const merge_dec_t *a, int64_t n) SG_WUR;
/* <0, 0, >0; NaN above everything (and equal to NaN), infinities at the ends. */
int merge_dec_cmp(const merge_dec_t *a, const merge_dec_t *b);
/* Rounds to `scale` decimal digits (half away from zero), dscale = scale. */
int merge_dec_round(merge_dec_t *d, int scale) SG_WUR;
/* Fits in int64 without fraction? (used for sum(int) → int8). */
bool merge_dec_to_int64(const merge_dec_t *d, int64_t *v);

/* numeric_out: "-12.340" with exactly dscale digits after the point. */
void merge_dec_write_text(const merge_dec_t *d, wbuf_t *out);
/* numeric_send: ndigits, weight, sign, dscale, digits (zeros stripped). */
void merge_dec_write_binary(const merge_dec_t *d, wbuf_t *out);

#endif
