/* merge_grp.h — the GROUPED merge's internals (private to merge_group.c,
 * merge_agg.c, merge_finish.c and merge_final.c).
 *
 * Groups are kept in a chained hash table keyed by the bytes of the group
 * key columns; each group is one allocation holding its accumulators and
 * a copy of its key, so memory grows with the number of groups only. At
 * finish every group is encoded into its output row (in the client's
 * formats; hidden columns in the shard's or text), and HAVING, ORDER BY
 * and LIMIT/OFFSET work on those encoded values with the typed compare.
 *
 * FINAL columns (expressions PostgreSQL evaluates per merged group, see
 * merge_plan.h) have no accumulator: their row slot stays NULL until
 * merge_group_final_set appends the values final_sql returned to the row.
 * A computed column that is a parameter of final_sql but is encoded in
 * binary for the client also gets a text copy in an extra row slot, since
 * parameters are always passed as the merge's text. */
#ifndef SG_MERGE_GRP_H
#define SG_MERGE_GRP_H

#include "merge_int.h"

typedef enum acc_kind {
	ACC_KEY = 0, /* SQL_AGG_NONE: a group key column */
	ACC_COUNT,
	ACC_SUM_INT, /* sum of integers (int8 partials) in an int128 */
	ACC_SUM_DEC, /* numeric sum, exact */
	ACC_SUM_FLOAT,
	ACC_MIN,
	ACC_MAX,
	ACC_AVG_INT, /* avg: int8 sums + counts → numeric */
	ACC_AVG_DEC, /* avg: numeric sums + counts → numeric */
	ACC_AVG_FLOAT,
	ACC_BOOL_AND,
	ACC_BOOL_OR,
	ACC_COUNT_DISTINCT,
	ACC_FINAL, /* SQL_AGG_FINAL: no shard column, value set by merge_group_final_set */
} acc_kind_t;

typedef struct acc_state {
	bool has;      /* a non-NULL partial was folded in */
	int64_t count; /* COUNT, COUNT_DISTINCT, AVG's count */
	union {
		__int128 isum;
		double fsum;
		merge_dec_t dsum;
		struct {
			uint8_t *val;
			int32_t len;
		} mm;
		bool b;
	} u;
} acc_state_t;

typedef struct gcol {
	acc_kind_t kind;
	int src, src2;
	int slot;          /* ACC_KEY: index of src among the key slots */
	int final;         /* ACC_FINAL: its column in final_sql's output; otherwise -1 */
	int ptext;         /* row slot (>= ncols) of its text copy as a final parameter, or -1 */
	merge_type_t in;   /* the shard column src: type and format it arrives in */
	merge_type_t in2;  /* src2 (AVG's count) */
	merge_type_t out;  /* the merged value: type and format it is encoded in */
	merge_field_t fld; /* RowDescription field (visible columns) */
} gcol_t;

typedef struct group {
	struct group *next; /* hash chain */
	uint64_t hash;
	uint32_t key_len;
	bool has_final;   /* merge_group_final_set was given its FINAL values */
	uint8_t *key;     /* points into this allocation, after st[] */
	uint8_t *row;     /* owned; set by having: int32 len[nrow], int32 off[nrow], data */
	acc_state_t st[]; /* ncols entries (unused for keys) */
} group_t;

typedef struct gtable {
	group_t **buckets;
	size_t nbuckets;
	group_t **list; /* in insertion order */
	size_t n, cap;
} gtable_t;

typedef struct sort_key {
	int col;
	bool desc, nulls_first;
	merge_coll_t coll;
} sort_key_t;

typedef enum grp_state {
	GRP_ADDING = 0, /* taking shard rows */
	GRP_HAVING,     /* merge_group_having done: rows encoded, groups 0..n-1 fixed */
	GRP_FINISHED,   /* sorted and limited: emitting */
	GRP_FAILED,     /* having or finish failed: nothing more */
} grp_state_t;

struct merge_group {
	const sql_merge_plan_t *plan; /* borrowed: the caller keeps the plan alive */
	int ncols, nvisible, nshard;
	int nrow;   /* row slots: ncols, then the final parameters' text copies */
	int nfinal; /* FINAL columns (0: none; then plan->final_* are ignored) */
	gcol_t *cols;
	int nslots;           /* key slots: distinct shard columns of the key, plus the DISTINCT one */
	int *slot_src;        /* shard column of each slot */
	int distinct_slot;    /* slot of count(DISTINCT x)'s x, or -1 */
	bool distinct_is_key; /* x is also a group key column */
	sort_key_t *keys;
	merge_coll_t coll;
	gtable_t t;
	const uint8_t **vals; /* per shard column, scratch for add */
	int32_t *lens;
	wbuf_t scratch;
	merge_dec_t tmpdec;
	const uint8_t **fvals; /* plan->nfinal entries, scratch for final_set */
	int32_t *flens;
	bool final_described; /* merge_group_final_desc done */
	grp_state_t state;
	size_t first, end, next; /* emit range in t.list after finish */
};

/* merge_group.c */
int grp_table_insert(merge_group_t *g, gtable_t *t, const uint8_t *key, uint32_t key_len,
                     group_t **out) SG_WUR;
void grp_table_free(merge_group_t *g, gtable_t *t);
void grp_free_states(merge_group_t *g, group_t *gr);
const char *grp_type_name(uint32_t oid, char *buf, size_t len);

/* merge_agg.c */
int grp_acc_add(merge_group_t *g, const gcol_t *c, acc_state_t *st, const uint8_t *v, int32_t len,
                const uint8_t *v2, int32_t len2) SG_WUR;
int grp_acc_fold(merge_group_t *g, const gcol_t *c, acc_state_t *dst, acc_state_t *src) SG_WUR;
void grp_acc_free(const gcol_t *c, acc_state_t *st);
/* Encodes a computed column's value into out (-1 in *len for NULL). */
int grp_acc_encode(merge_group_t *g, const gcol_t *c, const acc_state_t *st, wbuf_t *out, int32_t *len,
                   char *err, size_t errlen) SG_WUR;

/* merge_finish.c */
/* Row slot `slot` of a group's encoded row (len -1: NULL). */
void grp_row_value(const merge_group_t *g, const group_t *gr, int slot, const uint8_t **v, int32_t *len);
void grp_row_slot_set(const merge_group_t *g, uint8_t *row, int slot, int32_t len, int32_t off);

/* merge_final.c */
/* Checks the plan's FINAL columns and parameters and assigns the text
 * copies' row slots (called by merge_group_new after the columns). */
int grp_final_setup(merge_group_t *g, char *err, size_t errlen) SG_WUR;
/* Every surviving group has its FINAL values (called by finish). */
int grp_final_check(const merge_group_t *g, char *err, size_t errlen) SG_WUR;

#endif
