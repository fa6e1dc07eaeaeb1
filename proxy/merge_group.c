/* merge_group.c — the GROUPED merge's set-up and intake: the merged
 * columns' accumulators chosen from the plan and the shards' types, the
 * client's RowDescription, and the hash table rows are folded into. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_grp.h"

#define INITIAL_BUCKETS 64

const char *grp_type_name(uint32_t oid, char *buf, size_t len)
{
	static const struct {
		uint32_t oid;
		const char *name;
	} tab[] = {
	        {16, "boolean"},
	        {17, "bytea"},
	        {18, "char"},
	        {19, "name"},
	        {20, "bigint"},
	        {21, "smallint"},
	        {23, "integer"},
	        {25, "text"},
	        {26, "oid"},
	        {114, "json"},
	        {142, "xml"},
	        {600, "point"},
	        {650, "cidr"},
	        {700, "real"},
	        {701, "double precision"},
	        {790, "money"},
	        {829, "macaddr"},
	        {869, "inet"},
	        {1042, "character"},
	        {1043, "character varying"},
	        {1082, "date"},
	        {1083, "time without time zone"},
	        {1114, "timestamp without time zone"},
	        {1184, "timestamp with time zone"},
	        {1186, "interval"},
	        {1266, "time with time zone"},
	        {1560, "bit"},
	        {1562, "bit varying"},
	        {1700, "numeric"},
	        {2950, "uuid"},
	        {3802, "jsonb"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].oid == oid)
			return tab[i].name;
	snprintf(buf, len, "oid %u", oid);
	return buf;
}

/* ---- hash table ---- */

static uint64_t hash_key(const uint8_t *p, size_t n) /* p may be NULL when n is 0 */
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static int table_grow(gtable_t *t)
{
	size_t nb = t->nbuckets ? t->nbuckets * 2 : INITIAL_BUCKETS;
	group_t **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return SG_ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		group_t *gr = t->list[i];
		size_t k = gr->hash & (nb - 1);

		gr->next = b[k];
		b[k] = gr;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
	return 0;
}

/* Finds the group of `key` or creates it (states zeroed). */
int grp_table_insert(merge_group_t *g, gtable_t *t, const uint8_t *key, uint32_t key_len, group_t **out)
{
	uint64_t h = hash_key(key, key_len);
	size_t sz;
	group_t *gr;

	if (t->nbuckets) {
		for (gr = t->buckets[h & (t->nbuckets - 1)]; gr; gr = gr->next) {
			if (gr->hash == h && gr->key_len == key_len &&
			    (key_len == 0 || memcmp(gr->key, key, key_len) == 0)) {
				*out = gr;
				return 0;
			}
		}
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		group_t **l = realloc(t->list, nc * sizeof(*l));

		if (l == NULL)
			return SG_ENOMEM;
		t->list = l;
		t->cap = nc;
	}
	if (t->n >= t->nbuckets && table_grow(t))
		return SG_ENOMEM;
	sz = sizeof(group_t) + (size_t)g->ncols * sizeof(acc_state_t);
	gr = calloc(1, sz + key_len);
	if (gr == NULL)
		return SG_ENOMEM;
	gr->hash = h;
	gr->key_len = key_len;
	gr->key = (uint8_t *)gr + sz;
	if (key_len)
		memcpy(gr->key, key, key_len);
	gr->next = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = gr;
	t->list[t->n++] = gr;
	*out = gr;
	return 0;
}

void grp_free_states(merge_group_t *g, group_t *gr)
{
	for (int i = 0; i < g->ncols; i++)
		grp_acc_free(&g->cols[i], &gr->st[i]);
}

void grp_table_free(merge_group_t *g, gtable_t *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->list[i] == NULL)
			continue;
		grp_free_states(g, t->list[i]);
		free(t->list[i]->row);
		free(t->list[i]);
	}
	free(t->list);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* ---- set-up ---- */

static bool is_int_oid(uint32_t oid)
{
	return oid == MERGE_OID_INT2 || oid == MERGE_OID_INT4 || oid == MERGE_OID_INT8;
}

static bool is_float_oid(uint32_t oid)
{
	return oid == MERGE_OID_FLOAT4 || oid == MERGE_OID_FLOAT8;
}

static void set_out_type(gcol_t *c, uint32_t oid, int16_t typlen)
{
	c->fld.type_oid = oid;
	c->fld.typlen = typlen;
	c->fld.typmod = -1;
}

#define FAIL(code, ...)                                                                                      \
	do {                                                                                                 \
		snprintf(err, errlen, __VA_ARGS__);                                                          \
		return (code);                                                                               \
	} while (0)

/* The plan's name for column i, if it gives one, over the field's. */
static int col_name(const sql_merge_col_t *pc, gcol_t *c, char *err, size_t errlen)
{
	if (pc->name && pc->name[0]) {
		if (strlen(pc->name) >= sizeof(c->fld.name))
			FAIL(SG_EPROTO, "column name too long");
		strcpy(c->fld.name, pc->name);
	}
	return 0;
}

/* The format the client asked for visible column i. */
static int client_format(const merge_group_t *g, int i, const int16_t *out_formats, int16_t *f, char *err,
                         size_t errlen)
{
	*f = out_formats ? out_formats[i] : 0;
	if (*f != 0 && *f != 1)
		FAIL(SG_EPROTO, "bad result format %d", *f);
	return 0;
}

/* A FINAL column: no shard column and no accumulator. Its type is only
 * known from merge_group_final_desc; its values are stored as final_sql
 * returned them, in the format the engine asks for: the client's
 * (visible) or text (hidden). */
static int final_col_setup(merge_group_t *g, int i, const int16_t *out_formats, char *err, size_t errlen)
{
	const sql_merge_col_t *pc = &g->plan->cols[i];
	gcol_t *c = &g->cols[i];
	int rc;

	if (pc->final < 0 || pc->final >= g->plan->nfinal)
		FAIL(SG_EPROTO, "merged column %d: final column %d out of range", i + 1, pc->final);
	c->kind = ACC_FINAL;
	c->src = c->src2 = -1;
	c->final = pc->final;
	c->out = (merge_type_t){0, 0, g->coll};
	g->nfinal++;
	rc = col_name(pc, c, err, errlen);
	if (rc == 0 && i < g->nvisible)
		rc = client_format(g, i, out_formats, &c->out.format, err, errlen);
	c->fld.format = c->out.format;
	return rc;
}

/* Chooses column i's accumulator from its aggregate and shard type. */
static int col_setup(merge_group_t *g, int i, const merge_field_t *shard, const int16_t *out_formats,
                     char *err, size_t errlen)
{
	const sql_merge_col_t *pc = &g->plan->cols[i];
	gcol_t *c = &g->cols[i];
	uint32_t t;
	char tn[32];
	int rc;

	c->final = -1;
	c->ptext = -1;
	if (pc->agg == SQL_AGG_FINAL)
		return final_col_setup(g, i, out_formats, err, errlen);
	if (pc->src < 0 || pc->src >= g->nshard)
		FAIL(SG_EPROTO, "merged column %d: shard column %d out of range", i + 1, pc->src);
	c->src = pc->src;
	c->src2 = pc->src2;
	c->in = (merge_type_t){shard[c->src].type_oid, shard[c->src].format, g->coll};
	if (c->in.oid == MERGE_OID_NAME)
		c->in.coll = (merge_coll_t){.bytewise = true, .loc = (locale_t)0};
	c->fld = shard[c->src];
	rc = col_name(pc, c, err, errlen);
	if (rc)
		return rc;
	t = c->in.oid;
	switch (pc->agg) {
	case SQL_AGG_NONE:
		c->kind = ACC_KEY;
		break;
	case SQL_AGG_MIN:
	case SQL_AGG_MAX:
		if (!merge_type_orderable(t))
			FAIL(SG_ENOTSUP, "%s of type %s", pc->agg == SQL_AGG_MIN ? "min" : "max",
			     grp_type_name(t, tn, sizeof(tn)));
		c->kind = pc->agg == SQL_AGG_MIN ? ACC_MIN : ACC_MAX;
		break;
	case SQL_AGG_COUNT:
	case SQL_AGG_COUNT_DISTINCT:
		if (pc->agg == SQL_AGG_COUNT && !is_int_oid(t))
			FAIL(SG_EPROTO, "count partial of type %s", grp_type_name(t, tn, sizeof(tn)));
		c->kind = pc->agg == SQL_AGG_COUNT ? ACC_COUNT : ACC_COUNT_DISTINCT;
		set_out_type(c, MERGE_OID_INT8, 8);
		if (pc->agg == SQL_AGG_COUNT_DISTINCT) {
			c->fld.table_oid = 0;
			c->fld.attnum = 0;
		}
		break;
	case SQL_AGG_SUM:
		if (is_int_oid(t))
			c->kind = ACC_SUM_INT;
		else if (t == MERGE_OID_NUMERIC)
			c->kind = ACC_SUM_DEC;
		else if (is_float_oid(t))
			c->kind = ACC_SUM_FLOAT;
		else
			FAIL(SG_ENOTSUP, "sum of type %s", grp_type_name(t, tn, sizeof(tn)));
		break;
	case SQL_AGG_AVG:
		if (c->src2 < 0 || c->src2 >= g->nshard || !is_int_oid(shard[c->src2].type_oid))
			FAIL(SG_EPROTO, "avg: count partial missing");
		c->in2 = (merge_type_t){shard[c->src2].type_oid, shard[c->src2].format, g->coll};
		if (is_int_oid(t))
			c->kind = ACC_AVG_INT;
		else if (t == MERGE_OID_NUMERIC)
			c->kind = ACC_AVG_DEC;
		else if (is_float_oid(t))
			c->kind = ACC_AVG_FLOAT;
		else
			FAIL(SG_ENOTSUP, "avg of type %s", grp_type_name(t, tn, sizeof(tn)));
		if (c->kind == ACC_AVG_FLOAT)
			set_out_type(c, MERGE_OID_FLOAT8, 8);
		else
			set_out_type(c, MERGE_OID_NUMERIC, -1);
		break;
	case SQL_AGG_BOOL_AND:
	case SQL_AGG_BOOL_OR:
		if (t != MERGE_OID_BOOL)
			FAIL(SG_ENOTSUP, "%s of type %s",
			     pc->agg == SQL_AGG_BOOL_AND ? "bool_and" : "bool_or",
			     grp_type_name(t, tn, sizeof(tn)));
		c->kind = pc->agg == SQL_AGG_BOOL_AND ? ACC_BOOL_AND : ACC_BOOL_OR;
		break;
	default:
		FAIL(SG_ENOTSUP, "aggregate kind %d", (int)pc->agg);
	}
	/* values are encoded in the client's format (visible) or, hidden,
	 * passed through as the shard sent them / computed as text */
	c->out = (merge_type_t){c->fld.type_oid, 0, c->in.coll};
	if (c->kind == ACC_KEY || c->kind == ACC_MIN || c->kind == ACC_MAX)
		c->out.format = c->in.format;
	if (i < g->nvisible) {
		int16_t f;

		rc = client_format(g, i, out_formats, &f, err, errlen);
		if (rc)
			return rc;
		if ((c->kind == ACC_KEY || c->kind == ACC_MIN || c->kind == ACC_MAX) && f != c->in.format)
			FAIL(SG_EPROTO, "column %d: shard format %d, client format %d", i + 1, c->in.format,
			     f);
		c->out.format = f;
	}
	c->fld.format = c->out.format;
	return 0;
}

/* Key slots: the distinct shard columns of the group keys, then x of count(DISTINCT x). */
static int slots_setup(merge_group_t *g, char *err, size_t errlen)
{
	int dsrc = -1;

	g->slot_src = calloc((size_t)g->ncols + 1, sizeof(int));
	if (g->slot_src == NULL)
		return SG_ENOMEM;
	g->distinct_slot = -1;
	for (int i = 0; i < g->ncols; i++) {
		gcol_t *c = &g->cols[i];

		if (c->kind == ACC_COUNT_DISTINCT) {
			if (dsrc >= 0 && dsrc != c->src)
				FAIL(SG_ENOTSUP, "count(DISTINCT) of several columns");
			dsrc = c->src;
		}
		if (c->kind != ACC_KEY)
			continue;
		c->slot = -1;
		for (int s = 0; s < g->nslots; s++)
			if (g->slot_src[s] == c->src)
				c->slot = s;
		if (c->slot < 0) {
			c->slot = g->nslots;
			g->slot_src[g->nslots++] = c->src;
		}
	}
	if (dsrc >= 0) {
		for (int s = 0; s < g->nslots; s++)
			if (g->slot_src[s] == dsrc)
				g->distinct_slot = s, g->distinct_is_key = true;
		if (g->distinct_slot < 0) {
			g->distinct_slot = g->nslots;
			g->slot_src[g->nslots++] = dsrc;
		}
	}
	return 0;
}

static int keys_setup(merge_group_t *g, char *err, size_t errlen)
{
	const sql_merge_plan_t *p = g->plan;
	char tn[32];

	if (p->nkeys <= 0)
		return 0;
	g->keys = calloc((size_t)p->nkeys, sizeof(*g->keys));
	if (g->keys == NULL)
		return SG_ENOMEM;
	for (int k = 0; k < p->nkeys; k++) {
		const sql_sort_key_t *sk = &p->keys[k];
		sort_key_t *o = &g->keys[k];
		uint32_t t;

		if (sk->col < 0 || sk->col >= g->ncols)
			FAIL(SG_EPROTO, "sort key %d out of range", k + 1);
		t = g->cols[sk->col].out.oid;
		/* a FINAL column's type is checked by merge_group_final_desc */
		if (g->cols[sk->col].kind != ACC_FINAL && !merge_type_orderable(t))
			FAIL(SG_ENOTSUP, "ORDER BY on type %s", grp_type_name(t, tn, sizeof(tn)));
		o->col = sk->col;
		o->desc = sk->desc;
		o->nulls_first = sk->nulls_first;
		o->coll = g->cols[sk->col].out.coll;
		if (sk->collation[0] && merge_coll_open(sk->collation, &g->coll, &o->coll))
			FAIL(SG_ENOTSUP, "collation \"%s\"", sk->collation);
	}
	return 0;
}

int merge_group_new(const sql_merge_plan_t *plan, const merge_field_t *shard, int nshard,
                    const int16_t *out_formats, const merge_coll_t *coll, merge_group_t **out, char *err,
                    size_t errlen)
{
	char errbuf[8];
	merge_group_t *g;
	int rc = SG_ENOMEM;

	if (err == NULL || errlen == 0) {
		err = errbuf;
		errlen = sizeof(errbuf);
	}
	err[0] = 0;
	*out = NULL;
	if (plan == NULL || plan->ncols <= 0 || plan->nvisible < 0 || plan->nvisible > plan->ncols ||
	    nshard <= 0 || nshard > MERGE_MAX_COLS) {
		snprintf(err, errlen, "bad GROUPED plan");
		return SG_EPROTO;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return SG_ENOMEM;
	g->plan = plan;
	g->ncols = plan->ncols;
	g->nrow = plan->ncols;
	g->nvisible = plan->nvisible;
	g->nshard = nshard;
	g->coll = coll ? *coll : (merge_coll_t){.bytewise = true, .loc = (locale_t)0};
	wbuf_init(&g->scratch);
	merge_dec_init(&g->tmpdec);
	g->cols = calloc((size_t)g->ncols, sizeof(*g->cols));
	g->vals = calloc((size_t)nshard, sizeof(*g->vals));
	g->lens = calloc((size_t)nshard, sizeof(*g->lens));
	if (g->cols == NULL || g->vals == NULL || g->lens == NULL)
		goto fail;
	for (int i = 0; i < g->ncols; i++) {
		rc = col_setup(g, i, shard, out_formats, err, errlen);
		if (rc)
			goto fail;
	}
	rc = slots_setup(g, err, errlen);
	if (rc == 0)
		rc = keys_setup(g, err, errlen);
	if (rc == 0)
		rc = grp_final_setup(g, err, errlen);
	if (rc)
		goto fail;
	*out = g;
	return 0;
fail:
	merge_group_free(g);
	return rc;
}

int merge_group_row_desc(const merge_group_t *g, wbuf_t *out)
{
	size_t mark;

	if (g->nfinal && !g->final_described)
		return SG_EPROTO; /* the FINAL columns' types are not known yet */
	mark = wbuf_msg_begin(out, 'T');
	wbuf_put_i16(out, (int16_t)g->nvisible);
	for (int i = 0; i < g->nvisible; i++)
		merge_field_write(out, &g->cols[i].fld);
	wbuf_msg_end(out, mark);
	return wbuf_status(out);
}

/* ---- intake ---- */

int merge_group_add(merge_group_t *g, const wire_frame_t *data_row, char *err, size_t errlen)
{
	char errbuf[8];
	group_t *gr;
	int rc;

	if (err == NULL || errlen == 0) {
		err = errbuf;
		errlen = sizeof(errbuf);
	}
	err[0] = 0;
	if (g->state != GRP_ADDING) {
		snprintf(err, errlen, "merge already finished");
		return SG_EPROTO;
	}
	rc = merge_data_row_parse(data_row, g->nshard, g->vals, g->lens);
	if (rc) {
		snprintf(err, errlen, "malformed DataRow from a shard");
		return rc;
	}
	wbuf_reset(&g->scratch);
	for (int s = 0; s < g->nslots; s++) {
		int src = g->slot_src[s];

		/* host order: the key is only ever compared for equality */
		wbuf_put(&g->scratch, &g->lens[src], sizeof(int32_t));
		if (g->lens[src] > 0)
			wbuf_put(&g->scratch, g->vals[src], (size_t)g->lens[src]);
	}
	rc = wbuf_status(&g->scratch);
	if (rc == 0 && g->scratch.len > UINT32_MAX)
		rc = SG_ERANGE;
	if (rc == 0)
		rc = grp_table_insert(g, &g->t, g->scratch.data, (uint32_t)g->scratch.len, &gr);
	for (int i = 0; rc == 0 && i < g->ncols; i++) {
		const gcol_t *c = &g->cols[i];

		if (c->kind == ACC_KEY || c->kind == ACC_COUNT_DISTINCT || c->kind == ACC_FINAL)
			continue;
		rc = grp_acc_add(g, c, &gr->st[i], g->vals[c->src], g->lens[c->src],
		                 c->src2 >= 0 ? g->vals[c->src2] : NULL,
		                 c->src2 >= 0 ? g->lens[c->src2] : -1);
		if (rc)
			snprintf(err, errlen, "column \"%s\": invalid partial aggregate value from a shard",
			         c->fld.name);
	}
	if (rc && err[0] == 0)
		snprintf(err, errlen, "%s", sg_strerror(rc));
	return rc;
}

uint64_t merge_group_count(const merge_group_t *g)
{
	return g ? g->t.n : 0;
}

void merge_group_free(merge_group_t *g)
{
	if (g == NULL)
		return;
	if (g->cols)
		grp_table_free(g, &g->t);
	free(g->cols);
	free(g->slot_src);
	free(g->keys);
	free(g->vals);
	free(g->lens);
	free(g->fvals);
	free(g->flens);
	wbuf_free(&g->scratch);
	merge_dec_free(&g->tmpdec);
	free(g);
}
