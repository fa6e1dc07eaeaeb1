/* route.h — the routing decision: an analysed statement plus the shard
 * map (plus Bind parameters) gives the set of shards that must run it,
 * and a human-readable reason (the admin ROUTE command prints it).
 *
 * Rules (the routing issue): hash → slot → shard; region → listed shard,
 * unlisted: INSERT to table default_shard or error 22023, reads to the
 * default or all shards; time → tiers whose window overlaps the
 * constraint (INSERT: the tier holding the value); replicated → reads the
 * default shard, writes every shard; tables not listed → default_shard;
 * DDL → every shard; a statement touching several sharded tables needs
 * the union. No constraint means every shard that could hold the rows. */
#ifndef SG_ROUTE_H
#define SG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "shardmap.h"

#define ROUTE_MAX_SHARDS 64

/* Bind parameters of the statement (NULL when there are none). */
typedef struct route_params {
	int n;
	const uint8_t *const *values; /* NULL for SQL NULL */
	const int32_t *lens;
	const int16_t *formats; /* per parameter: 0 text, 1 binary */
	const uint32_t *types;  /* OIDs from Parse, 0 = unspecified; may be NULL */
} route_params_t;

typedef struct route_result {
	uint64_t shards;  /* bitmap of shard indexes */
	bool write_all;   /* a write that must reach every shard in `shards` (DDL, replicated) */
	char sqlstate[6]; /* non-empty: the statement must fail with this error */
	char error[256];
	char reason[512]; /* e.g. "orders.user_id = 42 → slot 113 → shard europe" */
	/* >= 0: an INSERT without a column list into this config table needs
	 * the table's column order first (sql_table_spec_t.key_col) */
	int need_layout;
} route_result_t;

/* Routes one statement. now_us is the routing clock for now()-relative
 * values (watermarks, not the clock, decide tiers). Returns 0 (result in
 * out, possibly with out->sqlstate set) or SG_ENOMEM. */
int route_statement(const sg_shardmap_t *m, const sql_stmt_t *st, const route_params_t *params,
                    int64_t now_us, route_result_t *out);
/* The same without the reason text (out->reason stays empty): what the
 * proxy uses per query; it asks again with reasons only to explain. */
int route_statement_q(const sg_shardmap_t *m, const sql_stmt_t *st, const route_params_t *params,
                      int64_t now_us, bool quiet, route_result_t *out);
/* Shard for a `sharding_key: v` comment hint: the first hash table's type
 * decides how v is hashed. -1 if there is no hash table. */
int route_hint_key(const sg_shardmap_t *m, const char *key, char *reason, size_t rlen);

/* Splitting multi-row writes by shard (the proxy sends each shard its own
 * rows). These agree with route_statement, which has already reported any
 * error (unlisted region value, ...) for the statement as a whole. */

/* Shard of row `row` of an INSERT ... VALUES (st->rows[row]) into its
 * written table: the shard index, or -1 when the row cannot be placed on
 * one shard (its key is an expression or unreadable, the value is not
 * listed, or the table is not split by key: replicated or not sharded). */
int route_insert_row_shard(const sg_shardmap_t *m, const sql_stmt_t *st, size_t row,
                           const route_params_t *params, int64_t now_us);
/* Shard of one COPY FROM row of config table `table`, given its key field
 * as text (already de-escaped; NULL for SQL NULL): the shard index,
 * SG_EPROTO if the text is not a valid key, SG_ENOENT for a region value
 * listed nowhere (and no default_shard), SG_ENOTSUP if the table is not
 * split by key. */
int route_copy_row_shard(const sg_shardmap_t *m, int table, const char *field, size_t len);

#endif
