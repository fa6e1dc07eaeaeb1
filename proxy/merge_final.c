/* merge_final.c — FINAL columns of the GROUPED merge: expressions over
 * aggregates and group keys (round(avg(x), 2), sum(x) / count(*)) that
 * PostgreSQL evaluates once per merged group. The merge hands the engine
 * each surviving group's parameters (merged values, computed ones in the
 * text the merge would output) and stores the values final_sql returned
 * in the group's row, where ORDER BY and emit find them like any other
 * column's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_grp.h"

#define FAIL(code, ...)                                                                                      \
	do {                                                                                                 \
		snprintf(err, errlen, __VA_ARGS__);                                                          \
		return (code);                                                                               \
	} while (0)

/* Values the merge computes (as opposed to a shard's bytes passed on). */
static bool is_computed(const gcol_t *c)
{
	return c->kind != ACC_KEY && c->kind != ACC_MIN && c->kind != ACC_MAX && c->kind != ACC_FINAL;
}

/* HAVING runs before final_sql, so it cannot see FINAL values (the planner
 * refuses such a HAVING; a plan that has one anyway is refused here). */
static bool having_uses_final(const merge_group_t *g, const sql_having_t *h)
{
	if (h == NULL)
		return false;
	if (h->op == SQL_HV_AND || h->op == SQL_HV_OR || h->op == SQL_HV_NOT)
		return having_uses_final(g, h->left) || having_uses_final(g, h->right);
	if (h->col >= 0 && h->col < g->ncols && g->cols[h->col].kind == ACC_FINAL)
		return true;
	return h->op == SQL_HV_CMP && h->col2 >= 0 && h->col2 < g->ncols &&
	       g->cols[h->col2].kind == ACC_FINAL;
}

int grp_final_setup(merge_group_t *g, char *err, size_t errlen)
{
	const sql_merge_plan_t *p = g->plan;

	if (g->nfinal == 0)
		return 0;
	if (p->nfinal <= 0 || p->nfinal > MERGE_MAX_COLS || p->nfinal_params < 0 ||
	    p->nfinal_params > INT16_MAX || (p->nfinal_params > 0 && p->final_params == NULL))
		FAIL(SG_EPROTO, "bad FINAL columns in GROUPED plan");
	if (having_uses_final(g, p->having))
		FAIL(SG_EPROTO, "HAVING on a column computed after the merge");
	for (int k = 0; k < p->nfinal_params; k++) {
		int col = p->final_params[k];
		gcol_t *c;

		if (col < 0 || col >= g->ncols || g->cols[col].kind == ACC_FINAL)
			FAIL(SG_EPROTO, "final parameter $%d: merged column %d out of range", k + 1, col);
		c = &g->cols[col];
		/* parameters are passed in text: a binary-encoded one needs a text copy */
		if (is_computed(c) && c->out.format != 0 && c->ptext < 0)
			c->ptext = g->nrow++;
	}
	g->fvals = calloc((size_t)p->nfinal, sizeof(*g->fvals));
	g->flens = calloc((size_t)p->nfinal, sizeof(*g->flens));
	return g->fvals && g->flens ? 0 : SG_ENOMEM;
}

uint64_t merge_group_final_count(const merge_group_t *g)
{
	return g && g->state == GRP_HAVING ? g->t.n : 0;
}

uint32_t merge_group_col_type(const merge_group_t *g, int col)
{
	return col >= 0 && col < g->plan->ncols ? g->cols[col].out.oid : 0;
}

void merge_group_final_types(const merge_group_t *g, uint32_t *oids)
{
	/* out.oid is what the merge outputs: int8 for counts, the shard's sum
	 * type, numeric/float8 for avg, bool, or the shard column's type */
	for (int k = 0; g->nfinal && k < g->plan->nfinal_params; k++)
		oids[k] = g->cols[g->plan->final_params[k]].out.oid;
}

int merge_group_final_params(merge_group_t *g, uint64_t i, const uint8_t **vals, int32_t *lens,
                             int16_t *formats)
{
	const sql_merge_plan_t *p = g->plan;
	wbuf_t *b = &g->scratch; /* free after merge_group_having */
	const group_t *gr;
	int32_t off;

	if (g->nfinal == 0 || g->state != GRP_HAVING || i >= g->t.n)
		return SG_EPROTO;
	gr = g->t.list[i];
	wbuf_reset(b);
	for (int k = 0; k < p->nfinal_params; k++) {
		const gcol_t *c = &g->cols[p->final_params[k]];
		const uint8_t *v;

		grp_row_value(g, gr, c->ptext >= 0 ? c->ptext : p->final_params[k], &v, &lens[k]);
		formats[k] = c->ptext >= 0 ? 0 : c->out.format;
		if (lens[k] > 0)
			wbuf_put(b, v, (size_t)lens[k]);
	}
	if (wbuf_status(b))
		return SG_ENOMEM;
	off = 0; /* the copies, now that b no longer moves */
	for (int k = 0; k < p->nfinal_params; k++) {
		vals[k] = lens[k] >= 0 ? b->data + off : NULL;
		off += lens[k] > 0 ? lens[k] : 0;
	}
	return 0;
}

/* A sort key on a FINAL column: its type is known now. */
static int final_keys_setup(merge_group_t *g, char *err, size_t errlen)
{
	char tn[32];

	for (int k = 0; k < g->plan->nkeys; k++) {
		const gcol_t *c = &g->cols[g->keys[k].col];

		if (c->kind != ACC_FINAL)
			continue;
		if (!merge_type_orderable(c->out.oid))
			FAIL(SG_ENOTSUP, "ORDER BY on type %s", grp_type_name(c->out.oid, tn, sizeof(tn)));
		if (g->plan->keys[k].collation[0] == 0)
			g->keys[k].coll = c->out.coll;
	}
	return 0;
}

int merge_group_final_desc(merge_group_t *g, const merge_field_t *fields, int n, char *err, size_t errlen)
{
	char errbuf[8];

	if (err == NULL || errlen == 0) {
		err = errbuf;
		errlen = sizeof(errbuf);
	}
	err[0] = 0;
	if (g->nfinal == 0 || g->final_described)
		FAIL(SG_EPROTO, "unexpected description of the FINAL columns");
	if (n != g->plan->nfinal)
		FAIL(SG_EPROTO, "final statement returns %d columns, expected %d", n, g->plan->nfinal);
	for (int i = 0; i < g->ncols; i++) {
		const sql_merge_col_t *pc = &g->plan->cols[i];
		const merge_field_t *fd = &fields[g->cols[i].final];
		gcol_t *c = &g->cols[i];

		if (c->kind != ACC_FINAL)
			continue;
		if (fd->format != c->out.format)
			FAIL(SG_EPROTO, "final column %d: format %d, expected %d", c->final + 1, fd->format,
			     c->out.format);
		c->out.oid = fd->type_oid;
		c->out.coll = fd->type_oid == MERGE_OID_NAME
		                      ? (merge_coll_t){.bytewise = true, .loc = (locale_t)0}
		                      : g->coll;
		c->fld = *fd;
		if (pc->name && pc->name[0])
			strcpy(c->fld.name, pc->name); /* its length was checked by merge_group_new */
		c->fld.table_oid = 0;
		c->fld.attnum = 0;
	}
	if (final_keys_setup(g, err, errlen))
		return SG_ENOTSUP;
	g->final_described = true;
	return 0;
}

int merge_group_final_set(merge_group_t *g, uint64_t i, const wire_frame_t *data_row, char *err,
                          size_t errlen)
{
	char errbuf[8];
	size_t size, add = 0, pos;
	group_t *gr;
	uint8_t *row;

	if (err == NULL || errlen == 0) {
		err = errbuf;
		errlen = sizeof(errbuf);
	}
	err[0] = 0;
	if (g->nfinal == 0 || g->state != GRP_HAVING || !g->final_described || i >= g->t.n)
		FAIL(SG_EPROTO, "unexpected FINAL values");
	gr = g->t.list[i];
	if (gr->has_final)
		FAIL(SG_EPROTO, "FINAL values of group %llu given twice", (unsigned long long)i);
	if (merge_data_row_parse(data_row, g->plan->nfinal, g->fvals, g->flens))
		FAIL(SG_EPROTO, "malformed DataRow from the final statement");
	/* the row grows by the values; its current end is the end of its last value */
	size = 8 * (size_t)g->nrow;
	for (int s = 0; s < g->nrow; s++) {
		const uint8_t *v;
		int32_t len;

		grp_row_value(g, gr, s, &v, &len);
		if (len > 0 && (size_t)(v - gr->row) + (size_t)len > size)
			size = (size_t)(v - gr->row) + (size_t)len;
	}
	for (int c = 0; c < g->ncols; c++)
		if (g->cols[c].kind == ACC_FINAL && g->flens[g->cols[c].final] > 0)
			add += (size_t)g->flens[g->cols[c].final];
	if (size + add > INT32_MAX)
		FAIL(SG_ERANGE, "row too large");
	row = realloc(gr->row, size + add);
	if (row == NULL)
		return SG_ENOMEM;
	gr->row = row;
	pos = size;
	for (int c = 0; c < g->ncols; c++) {
		int32_t len;

		if (g->cols[c].kind != ACC_FINAL)
			continue;
		len = g->flens[g->cols[c].final];
		if (len > 0)
			memcpy(row + pos, g->fvals[g->cols[c].final], (size_t)len);
		grp_row_slot_set(g, row, c, len, (int32_t)pos);
		pos += len > 0 ? (size_t)len : 0;
	}
	gr->has_final = true;
	return 0;
}

int grp_final_check(const merge_group_t *g, char *err, size_t errlen)
{
	if (!g->final_described)
		FAIL(SG_EPROTO, "FINAL columns not described");
	for (size_t i = 0; i < g->t.n; i++)
		if (!g->t.list[i]->has_final)
			FAIL(SG_EPROTO, "FINAL values of group %zu missing", i);
	return 0;
}
