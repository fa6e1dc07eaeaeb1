/* merge_grp.h — the GROUPED merge's internals (private to merge_group.c,
 * merge_agg.c and merge_finish.c).
 *
 * Groups are kept in a chained hash table keyed by the bytes of the group
 * key columns; each group is one allocation holding its accumulators and
 * a copy of its key, so memory grows with the number of groups only. At
 * finish every group is encoded into its output row (in the client's
 * formats; hidden columns in the shard's or text), and HAVING, ORDER BY
 * and LIMIT/OFFSET work on those encoded values with the typed compare. */
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
	merge_type_t in;   /* the shard column src: type and format it arrives in */
	merge_type_t in2;  /* src2 (AVG's count) */
	merge_type_t out;  /* the merged value: type and format it is encoded in */
	merge_field_t fld; /* RowDescription field (visible columns) */
} gcol_t;

typedef struct group {
	struct group *next; /* hash chain */
	uint64_t hash;
	uint32_t key_len;
	uint8_t *key;     /* points into this allocation, after st[] */
	uint8_t *row;     /* owned; set by finish: int32 len[ncols], int32 off[ncols], data */
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

struct merge_group {
	const sql_merge_plan_t *plan; /* borrowed: the caller keeps the plan alive */
	int ncols, nvisible, nshard;
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
	bool finished;
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
int grp_row_value(const merge_group_t *g, const group_t *gr, int col, const uint8_t **v, int32_t *len);

#endif
