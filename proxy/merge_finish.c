/* merge_finish.c — the GROUPED merge once every shard is done: count
 * (DISTINCT) roll-up, encoding each group's row, HAVING (three-valued)
 * (merge_group_having), then ORDER BY, LIMIT/OFFSET (merge_group_finish),
 * and emitting DataRows under a byte budget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_grp.h"

/* ---- key slots ---- */

/* Offset and length of key slot `slot` in a group key. */
static void key_slot(const group_t *gr, int slot, uint32_t *off, int32_t *len)
{
	uint32_t p = 0;
	int32_t l = 0;

	for (int s = 0;; s++) {
		memcpy(&l, gr->key + p, sizeof(l));
		p += sizeof(l);
		if (s == slot)
			break;
		p += l > 0 ? (uint32_t)l : 0;
	}
	*off = p;
	*len = l;
}

/* Folds the (group, x) sub-groups of count(DISTINCT x) into their groups. */
static int rollup(merge_group_t *g)
{
	gtable_t outer = {0};
	int rc = 0;

	for (size_t k = 0; k < g->t.n; k++) {
		group_t *sub = g->t.list[k], *og;
		uint32_t off, klen = sub->key_len;
		int32_t xlen;

		key_slot(sub, g->distinct_slot, &off, &xlen);
		if (!g->distinct_is_key)
			klen = off - (uint32_t)sizeof(int32_t); /* x's slot is the last one */
		rc = grp_table_insert(g, &outer, sub->key, klen, &og);
		for (int i = 0; rc == 0 && i < g->ncols; i++) {
			const gcol_t *c = &g->cols[i];

			if (c->kind == ACC_COUNT_DISTINCT)
				og->st[i].count += xlen >= 0;
			else if (c->kind != ACC_KEY)
				rc = grp_acc_fold(g, c, &og->st[i], &sub->st[i]);
		}
		if (rc)
			break;
		grp_free_states(g, sub);
		free(sub);
		g->t.list[k] = NULL;
	}
	if (rc) {
		grp_table_free(g, &outer);
		return rc;
	}
	grp_table_free(g, &g->t);
	g->t = outer;
	return 0;
}

static bool has_key_columns(const merge_group_t *g)
{
	for (int i = 0; i < g->ncols; i++)
		if (g->cols[i].kind == ACC_KEY)
			return true;
	return false;
}

/* ---- rows ---- */

void grp_row_value(const merge_group_t *g, const group_t *gr, int slot, const uint8_t **v, int32_t *len)
{
	int32_t off;

	memcpy(len, gr->row + 4 * (size_t)slot, 4);
	memcpy(&off, gr->row + 4 * ((size_t)g->nrow + (size_t)slot), 4);
	*v = *len >= 0 ? gr->row + off : NULL;
}

void grp_row_slot_set(const merge_group_t *g, uint8_t *row, int slot, int32_t len, int32_t off)
{
	memcpy(row + 4 * (size_t)slot, &len, 4);
	memcpy(row + 4 * ((size_t)g->nrow + (size_t)slot), &off, 4);
}

/* Appends column i's value (its text copy when `text`) to b. */
static int encode_value(merge_group_t *g, group_t *gr, int i, bool text, wbuf_t *b, int32_t *len, char *err,
                        size_t errlen)
{
	const gcol_t *c = &g->cols[i];
	gcol_t tc;
	uint32_t off;

	if (c->kind == ACC_KEY) {
		key_slot(gr, c->slot, &off, len);
		if (*len > 0)
			wbuf_put(b, gr->key + off, (size_t)*len);
		return wbuf_status(b);
	}
	if (c->kind == ACC_FINAL) {
		*len = -1; /* until merge_group_final_set */
		return 0;
	}
	if (!text)
		return grp_acc_encode(g, c, &gr->st[i], b, len, err, errlen);
	tc = *c;
	tc.out.format = 0;
	return grp_acc_encode(g, &tc, &gr->st[i], b, len, err, errlen);
}

/* Encodes every row slot of gr into gr->row, then drops its accumulators. */
static int encode_row(merge_group_t *g, group_t *gr, char *err, size_t errlen)
{
	size_t hdr = 8 * (size_t)g->nrow;
	wbuf_t *b = &g->scratch;
	int rc = 0;

	wbuf_reset(b);
	if (wbuf_reserve(b, hdr))
		return SG_ENOMEM;
	memset(b->data, 0, hdr);
	b->len = hdr;
	for (int i = 0; rc == 0 && i < g->ncols; i++) {
		for (int pass = 0; rc == 0 && pass < 2; pass++) {
			int slot = pass ? g->cols[i].ptext : i;
			size_t start = b->len;
			int32_t len;

			if (slot < 0)
				continue;
			rc = encode_value(g, gr, i, pass == 1, b, &len, err, errlen);
			if (rc == 0 && start > INT32_MAX)
				rc = SG_ERANGE;
			if (rc == 0)
				grp_row_slot_set(g, b->data, slot, len, (int32_t)start);
		}
	}
	if (rc)
		return rc;
	gr->row = malloc(b->len);
	if (gr->row == NULL)
		return SG_ENOMEM;
	memcpy(gr->row, b->data, b->len);
	grp_free_states(g, gr);
	return 0;
}

/* ---- HAVING ---- */

enum { HV_FALSE = 0, HV_TRUE = 1, HV_UNKNOWN = -1 };

static int cmp_op(sql_cmp_op_t op, int c)
{
	switch (op) {
	case SQL_CMP_EQ:
		return c == 0;
	case SQL_CMP_NE:
		return c != 0;
	case SQL_CMP_LT:
		return c < 0;
	case SQL_CMP_LE:
		return c <= 0;
	case SQL_CMP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

static int having_eval(const merge_group_t *g, const group_t *gr, const sql_having_t *h, int *res)
{
	const uint8_t *a, *b;
	int32_t al, bl;
	int l, r, rc, c;

	if (h == NULL)
		return SG_EPROTO;
	switch (h->op) {
	case SQL_HV_AND:
	case SQL_HV_OR:
		rc = having_eval(g, gr, h->left, &l);
		if (rc == 0)
			rc = having_eval(g, gr, h->right, &r);
		if (rc)
			return rc;
		if (h->op == SQL_HV_AND)
			*res = (l == HV_FALSE || r == HV_FALSE) ? HV_FALSE
			       : (l == HV_TRUE && r == HV_TRUE) ? HV_TRUE
			                                        : HV_UNKNOWN;
		else
			*res = (l == HV_TRUE || r == HV_TRUE)     ? HV_TRUE
			       : (l == HV_FALSE && r == HV_FALSE) ? HV_FALSE
			                                          : HV_UNKNOWN;
		return 0;
	case SQL_HV_NOT:
		rc = having_eval(g, gr, h->left, &l);
		if (rc == 0)
			*res = l == HV_UNKNOWN ? HV_UNKNOWN : !l;
		return rc;
	default:
		break;
	}
	if (h->col < 0 || h->col >= g->ncols || (h->op == SQL_HV_CMP && h->col2 >= g->ncols))
		return SG_EPROTO;
	grp_row_value(g, gr, h->col, &a, &al);
	if (h->op == SQL_HV_ISNULL || h->op == SQL_HV_NOTNULL) {
		*res = (al < 0) == (h->op == SQL_HV_ISNULL);
		return 0;
	}
	if (h->op != SQL_HV_CMP)
		return SG_EPROTO;
	*res = HV_UNKNOWN;
	if (al < 0)
		return 0;
	if (h->col2 >= 0) {
		grp_row_value(g, gr, h->col2, &b, &bl);
		if (bl < 0)
			return 0;
		rc = merge_value_cmp2(&g->cols[h->col].out, a, al, &g->cols[h->col2].out, b, bl, &c);
	} else {
		if (h->constant == NULL)
			return 0;
		rc = merge_value_cmp_text(&g->cols[h->col].out, a, al, h->constant, &c);
	}
	if (rc == 0)
		*res = cmp_op(h->cmp, c);
	return rc;
}

/* ---- ORDER BY ---- */

typedef struct sort_ctx {
	const merge_group_t *g;
	int rc;
} sort_ctx_t;

static int group_cmp(const void *pa, const void *pb, void *arg)
{
	sort_ctx_t *ctx = arg;
	const merge_group_t *g = ctx->g;
	const group_t *ga = *(group_t *const *)pa, *gb = *(group_t *const *)pb;

	for (int k = 0; k < g->plan->nkeys; k++) {
		const sort_key_t *key = &g->keys[k];
		merge_type_t t = g->cols[key->col].out;
		const uint8_t *a, *b;
		int32_t al, bl;
		int c = 0, rc;

		grp_row_value(g, ga, key->col, &a, &al);
		grp_row_value(g, gb, key->col, &b, &bl);
		if (al < 0 || bl < 0) {
			if (al < 0 && bl < 0)
				continue;
			return (al < 0) == key->nulls_first ? -1 : 1;
		}
		t.coll = key->coll;
		rc = merge_value_cmp(&t, a, al, b, bl, &c);
		if (rc) {
			if (ctx->rc == 0)
				ctx->rc = rc;
			return 0;
		}
		if (c)
			return key->desc ? -c : c;
	}
	return 0;
}

int merge_group_having(merge_group_t *g, char *err, size_t errlen)
{
	char errbuf[8];
	size_t kept = 0;
	int rc = 0, res;
	group_t *gr;

	if (err == NULL || errlen == 0) {
		err = errbuf;
		errlen = sizeof(errbuf);
	}
	err[0] = 0;
	if (g->state == GRP_HAVING)
		return 0;
	if (g->state != GRP_ADDING) {
		snprintf(err, errlen, "merge already finished");
		return SG_EPROTO;
	}
	g->state = GRP_FAILED; /* until it succeeds: the groups are changed in place */
	if (g->distinct_slot >= 0)
		rc = rollup(g);
	if (rc == 0 && g->t.n == 0 && !has_key_columns(g))
		rc = grp_table_insert(g, &g->t, NULL, 0, &gr); /* SELECT count(*) over no rows: one row */
	free(g->t.buckets);                                    /* no more lookups */
	g->t.buckets = NULL;
	g->t.nbuckets = 0;
	for (size_t i = 0; rc == 0 && i < g->t.n; i++) {
		gr = g->t.list[i];
		rc = encode_row(g, gr, err, errlen);
		if (rc == 0 && g->plan->having)
			rc = having_eval(g, gr, g->plan->having, &res);
		if (rc)
			break;
		if (g->plan->having && res != HV_TRUE) {
			free(gr->row);
			free(gr);
		} else {
			g->t.list[kept++] = gr;
		}
		g->t.list[i] = i < kept ? g->t.list[i] : NULL;
	}
	if (rc) {
		if (err[0] == 0)
			snprintf(err, errlen, "%s",
			         rc == SG_ENOTSUP ? "HAVING comparison on an unsupported type"
			                          : "invalid value in HAVING");
		return rc;
	}
	g->t.n = kept;
	g->state = GRP_HAVING;
	return 0;
}

int merge_group_finish(merge_group_t *g, int64_t limit, int64_t offset, char *err, size_t errlen)
{
	char errbuf[8];
	size_t kept;
	int rc = 0;

	if (err == NULL || errlen == 0) {
		err = errbuf;
		errlen = sizeof(errbuf);
	}
	err[0] = 0;
	if (g->state == GRP_ADDING)
		rc = merge_group_having(g, err, errlen);
	else if (g->state != GRP_HAVING)
		rc = SG_EPROTO;
	if (rc) {
		if (err[0] == 0)
			snprintf(err, errlen, "merge already finished");
		return rc;
	}
	g->state = GRP_FAILED;
	if (g->nfinal) {
		rc = grp_final_check(g, err, errlen);
		if (rc)
			return rc;
	}
	kept = g->t.n;
	if (g->plan->nkeys > 0 && kept > 1) {
		sort_ctx_t ctx = {g, 0};

		qsort_r(g->t.list, kept, sizeof(group_t *), group_cmp, &ctx);
		if (ctx.rc) {
			snprintf(err, errlen, "ORDER BY: %s",
			         ctx.rc == SG_ENOTSUP ? "value cannot be ordered" : "invalid value");
			return ctx.rc;
		}
	}
	if (offset < 0)
		offset = 0;
	g->first = (uint64_t)offset < kept ? (size_t)offset : kept;
	g->end = limit < 0 || (uint64_t)limit >= kept - g->first ? kept : g->first + (size_t)limit;
	g->next = g->first;
	g->state = GRP_FINISHED;
	return 0;
}

int merge_group_emit(merge_group_t *g, wbuf_t *out, size_t budget, bool *done)
{
	size_t start = out->len;

	*done = false;
	if (g->state != GRP_FINISHED)
		return SG_EPROTO;
	while (g->next < g->end && out->len - start < budget) {
		const group_t *gr = g->t.list[g->next++];
		size_t mark = wbuf_msg_begin(out, 'D');

		wbuf_put_i16(out, (int16_t)g->nvisible);
		for (int i = 0; i < g->nvisible; i++) {
			const uint8_t *v;
			int32_t len;

			grp_row_value(g, gr, i, &v, &len);
			wbuf_put_i32(out, len);
			if (len > 0)
				wbuf_put(out, v, (size_t)len);
		}
		wbuf_msg_end(out, mark);
	}
	*done = g->next >= g->end;
	return wbuf_status(out);
}
