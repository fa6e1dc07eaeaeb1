/* merge_int.h — helpers shared by the proxy/merge_*.c files (private). */
#ifndef SG_MERGE_INT_H
#define SG_MERGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "merge.h"
#include "merge_decimal.h"

/* ---- merge_time.c: ISO DateStyle text → integers (PostgreSQL's epoch
 * 2000-01-01). infinity/-infinity map to INT64_MAX/INT64_MIN. SG_ENOTSUP
 * for text that is not ISO (another DateStyle, or a timestamptz without
 * an explicit UTC offset). ---- */
int merge_time_parse_date(const uint8_t *s, size_t len, int64_t *days) SG_WUR;
/* with_tz: the offset is required and applied (result in UTC); without,
 * an offset is refused. A date alone is midnight. */
int merge_time_parse_timestamp(const uint8_t *s, size_t len, bool with_tz, int64_t *usec) SG_WUR;
int merge_time_parse_time(const uint8_t *s, size_t len, int64_t *usec) SG_WUR;

/* ---- merge_float.c: PostgreSQL 15's float8out/float4out with
 * extra_float_digits >= 1 (shortest text that reads back exactly). ---- */
void merge_float8_write_text(double v, wbuf_t *out);
void merge_float4_write_text(float v, wbuf_t *out);

/* ---- merge_rows.c ---- */
/* One field of a RowDescription (the name bounded by its array). */
void merge_field_write(wbuf_t *out, const merge_field_t *fd);

/* ---- merge_value.c ---- */
/* A value of an integer column (int2/4/8, oid); SG_ENOTSUP for other types. */
int merge_value_to_int64(const merge_type_t *t, const uint8_t *v, int32_t len, int64_t *out) SG_WUR;
/* A value of an integer (int2/4/8, oid) or numeric column as a decimal. */
int merge_value_to_dec(const merge_type_t *t, const uint8_t *v, int32_t len, merge_dec_t *out) SG_WUR;
/* A value of a float, integer or numeric column as a double. */
int merge_value_to_double(const merge_type_t *t, const uint8_t *v, int32_t len, double *out) SG_WUR;
/* Compares values of two possibly different types (HAVING col op col):
 * same type and format → merge_value_cmp; integers/numeric exactly as
 * decimals; with a float on either side as doubles; else SG_ENOTSUP. */
int merge_value_cmp2(const merge_type_t *ta, const uint8_t *a, int32_t alen, const merge_type_t *tb,
                     const uint8_t *b, int32_t blen, int *result) SG_WUR;

#endif
