/* merge.h — the pure half of scatter-gather: typed values off the wire,
 * their order, exact decimal arithmetic, and the GROUPED merge (partial
 * aggregates from several shards folded into one result).
 *
 * No sockets, no event loop: the fan-out engine (proxy/fanout*.c) feeds
 * RowDescriptions and DataRows in and gets messages out. Values are in
 * the wire representation PostgreSQL sent them in (text or binary, per
 * column); a length of -1 is SQL NULL. */
#ifndef SG_MERGE_H
#define SG_MERGE_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "merge_plan.h"
#include "wbuf.h"
#include "wire.h"

/* Type OIDs the merge understands. */
enum {
	MERGE_OID_BOOL = 16,
	MERGE_OID_BYTEA = 17,
	MERGE_OID_NAME = 19,
	MERGE_OID_INT8 = 20,
	MERGE_OID_INT2 = 21,
	MERGE_OID_INT4 = 23,
	MERGE_OID_TEXT = 25,
	MERGE_OID_OID = 26,
	MERGE_OID_FLOAT4 = 700,
	MERGE_OID_FLOAT8 = 701,
	MERGE_OID_BPCHAR = 1042,
	MERGE_OID_VARCHAR = 1043,
	MERGE_OID_DATE = 1082,
	MERGE_OID_TIME = 1083,
	MERGE_OID_TIMESTAMP = 1114,
	MERGE_OID_TIMESTAMPTZ = 1184,
	MERGE_OID_NUMERIC = 1700,
	MERGE_OID_UUID = 2950,
};

/* ---- collations ---- */

/* How text compares: byte order ("C", "POSIX") or strcoll_l in a locale.
 * Locales are opened once per name and cached for the process (never
 * freed while it runs; merge_collations_free at exit). */
typedef struct merge_coll {
	bool bytewise;
	locale_t loc; /* (locale_t)0 when bytewise */
} merge_coll_t;

/* `name` as PostgreSQL reports datcollate ("C", "en_US.UTF-8", "en_US.utf8")
 * or as written in COLLATE ("C", "POSIX", "en_US", "default" = `dflt`).
 * SG_ENOTSUP when this machine has no such locale. */
int merge_coll_open(const char *name, const merge_coll_t *dflt, merge_coll_t *out) SG_WUR;
void merge_collations_free(void);

/* ---- typed values ---- */

typedef struct merge_type {
	uint32_t oid;
	int16_t format; /* 0 text, 1 binary: how this column's values arrive */
	merge_coll_t coll;
} merge_type_t;

/* Can values of this type be ordered by merge_value_cmp? */
bool merge_type_orderable(uint32_t oid);
/* Orders two non-NULL values as PostgreSQL's default btree opclass does
 * (numeric exactly, NaN above everything for numeric and floats, text in
 * the collation with a byte-order tie-break, bpchar ignoring trailing
 * spaces, dates/timestamps in text only with DateStyle ISO). *result is
 * <0, 0 or >0. SG_EPROTO for a value that does not parse as its type,
 * SG_ENOTSUP for a type or text form it cannot order. */
int merge_value_cmp(const merge_type_t *t, const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen,
                    int *result) SG_WUR;
/* Compares a value with a constant written as SQL text (HAVING). */
int merge_value_cmp_text(const merge_type_t *t, const uint8_t *a, int32_t alen, const char *constant,
                         int *result) SG_WUR;

/* ---- RowDescription / DataRow ---- */

typedef struct merge_field {
	char name[64]; /* NAMEDATALEN - 1 */
	uint32_t table_oid;
	int16_t attnum;
	uint32_t type_oid;
	int16_t typlen;
	int32_t typmod;
	int16_t format;
} merge_field_t;

#define MERGE_MAX_COLS 1664 /* PostgreSQL's MaxTupleAttributeNumber */

/* Parses a 'T' message; *n fields (at most max). SG_EPROTO if malformed or more than max. */
int merge_row_desc_parse(const wire_frame_t *f, merge_field_t *fields, int max, int *n) SG_WUR;
int merge_row_desc_write(wbuf_t *out, const merge_field_t *fields, int n) SG_WUR;
/* Parses a 'D' message into borrowed slices (len -1: NULL). SG_EPROTO if
 * malformed or the column count is not `n`. */
int merge_data_row_parse(const wire_frame_t *f, int n, const uint8_t **vals, int32_t *lens) SG_WUR;
int merge_data_row_write(wbuf_t *out, int n, const uint8_t *const *vals, const int32_t *lens) SG_WUR;

/* ---- GROUPED merge ---- */

typedef struct merge_group merge_group_t;

/* shard: the shards' RowDescription (plan->nshard_cols fields; the engine
 * has checked every shard sent the same). out_formats: the format the
 * client asked for, per visible column (plan->nvisible entries). coll: the
 * shards' database collation. SG_ENOTSUP with `err` for something that
 * cannot be merged exactly (e.g. "sum of type money", "avg of type
 * interval", "ORDER BY on type json"), which the caller reports as 0A000. */
int merge_group_new(const sql_merge_plan_t *plan, const merge_field_t *shard, int nshard,
                    const int16_t *out_formats, const merge_coll_t *coll, merge_group_t **out, char *err,
                    size_t errlen) SG_WUR;
/* The RowDescription the client sees (names, result types of the merged
 * aggregates, its formats). With FINAL columns, only after
 * merge_group_final_desc (their types come from it). */
int merge_group_row_desc(const merge_group_t *g, wbuf_t *out) SG_WUR;
/* Folds one shard DataRow into its group. */
int merge_group_add(merge_group_t *g, const wire_frame_t *data_row, char *err, size_t errlen) SG_WUR;
/* All shards are done: applies HAVING, sorts by plan->keys, then skips
 * `offset` groups and keeps at most `limit` (-1: all).
 * With FINAL columns (plan->final_sql), call merge_group_having first,
 * then give every surviving group its final values, then finish. */
int merge_group_finish(merge_group_t *g, int64_t limit, int64_t offset, char *err, size_t errlen) SG_WUR;

/* ---- FINAL columns: expressions PostgreSQL evaluates per merged group ----
 * The engine runs plan->final_sql on one shard: Parse with the parameter
 * types merge_group_final_types gives, Describe, then for each group i in
 * 0..merge_group_final_count()-1 a Bind with merge_group_final_params(i)
 * and an Execute, whose one DataRow goes to merge_group_final_set(i). */

/* Applies HAVING (and rolls up count(DISTINCT)) without sorting; after it
 * the groups are numbered 0..merge_group_final_count()-1. Idempotent with
 * respect to merge_group_finish, which then only sorts and limits. */
int merge_group_having(merge_group_t *g, char *err, size_t errlen) SG_WUR;
uint64_t merge_group_final_count(const merge_group_t *g);
/* Type OIDs of final_sql's parameters (plan->nfinal_params entries): the
 * merged columns' types (computed aggregates: int8, numeric, float8, bool;
 * keys/min/max: the shard column's type). */
void merge_group_final_types(const merge_group_t *g, uint32_t *oids);
/* Group i's parameter values and their formats (0 text, 1 binary; NULL
 * value: len -1), borrowed until the next call. */
int merge_group_final_params(merge_group_t *g, uint64_t i, const uint8_t **vals, int32_t *lens,
                             int16_t *formats) SG_WUR;
/* The description of final_sql's output (from the shard's Describe; the
 * format of each field is what the engine asked for: the client's format
 * for visible FINAL columns, text for hidden ones). Once, before any
 * merge_group_final_set. */
int merge_group_final_desc(merge_group_t *g, const merge_field_t *fields, int n, char *err,
                           size_t errlen) SG_WUR;
/* Group i's final values: one DataRow of final_sql. */
int merge_group_final_set(merge_group_t *g, uint64_t i, const wire_frame_t *data_row, char *err,
                          size_t errlen) SG_WUR;
/* Appends result DataRows to `out` until about `budget` bytes were added
 * or the rows are all out (*done). Call after finish, repeatedly. */
int merge_group_emit(merge_group_t *g, wbuf_t *out, size_t budget, bool *done) SG_WUR;
uint64_t merge_group_count(const merge_group_t *g); /* groups held */
/* The type OID merged column `col` has (what it outputs), 0 if none:
 * the type PostgreSQL gives a parameter compared with it in HAVING. */
uint32_t merge_group_col_type(const merge_group_t *g, int col);
void merge_group_free(merge_group_t *g);

#endif
