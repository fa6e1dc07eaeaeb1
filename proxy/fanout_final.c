/* fanout_final.c — expressions over merged aggregates (round(avg(x), 2),
 * sum(a) / count(*), min(t)::date): once every shard's partials are
 * folded and HAVING has run, one more leg asks PostgreSQL itself to
 * evaluate plan->final_sql once per group, with the merged values as
 * parameters, so the results are exactly PostgreSQL's (types, rounding,
 * errors such as division by zero). The client's RowDescription waits
 * for that statement's description. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fanout_int.h"
#include "log.h"
#include "proxy.h"
#include "router.h"
#include "server.h"

/* Result format per final_sql column: the client's for a visible column,
 * text for one only ORDER BY uses. */
static int16_t fanout_final_format(const sg_fanout_t *fo, int final)
{
	const sql_merge_plan_t *p = fo->plan;

	for (int i = 0; i < p->nvisible; i++)
		if (p->cols[i].agg == SQL_AGG_FINAL && p->cols[i].final == final)
			return fo->nclient_fmt == 0   ? 0
			       : fo->nclient_fmt == 1 ? fo->client_fmt[0]
			       : i < fo->nclient_fmt  ? fo->client_fmt[i]
			                              : 0;
	return 0;
}

int fanout_final_begin(sg_fanout_t *fo)
{
	struct fanout_leg *leg = &fo->legs[fo->nlegs];
	char err[256] = "";
	int rc;

	fo->final_begun = true;
	rc = merge_group_having(fo->group, err, sizeof(err));
	if (rc != 0) {
		fanout_fail_merge(fo, -1, rc, err, "could not merge the shards' groups");
		return 0;
	}
	memset(leg, 0, sizeof(*leg));
	leg->shard = router_default_shard(sg_px->cfg);
	leg->is_final = true;
	fo->nlegs++;
	fanout_checkout_next(fo);
	return 0;
}

/* Parse with the merged values' types, Describe, one Bind/Execute per
 * group, Sync. */
int fanout_final_send(sg_fanout_t *fo, struct fanout_leg *leg)
{
	const sql_merge_plan_t *p = fo->plan;
	sg_server_t *s = leg->server;
	wbuf_t *out = &s->out.pending;
	uint64_t n = merge_group_final_count(fo->group);
	int np = p->nfinal_params, rc = 0;
	uint32_t *oids = calloc((size_t)np + 1, sizeof(*oids));
	uint8_t *types = calloc((size_t)np + 1, 4);
	const uint8_t **vals = calloc((size_t)np + 1, sizeof(*vals));
	int32_t *lens = calloc((size_t)np + 1, sizeof(*lens));
	int16_t *fmts = calloc((size_t)np + 1, sizeof(*fmts));

	if (!oids || !types || !vals || !lens || !fmts) {
		rc = SG_ENOMEM;
		goto out;
	}
	merge_group_final_types(fo->group, oids);
	for (int k = 0; k < np; k++) {
		types[4 * k] = (uint8_t)(oids[k] >> 24);
		types[4 * k + 1] = (uint8_t)(oids[k] >> 16);
		types[4 * k + 2] = (uint8_t)(oids[k] >> 8);
		types[4 * k + 3] = (uint8_t)oids[k];
	}
	(void)wire_write_parse(out, "", p->final_sql, (uint16_t)np, types);
	(void)wire_write_describe(out, 'S', "");
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		size_t mark;

		rc = merge_group_final_params(fo->group, i, vals, lens, fmts);
		if (rc != 0)
			break;
		mark = wbuf_msg_begin(out, 'B');
		wbuf_put_cstr(out, "");
		wbuf_put_cstr(out, "");
		wbuf_put_i16(out, (int16_t)np);
		for (int k = 0; k < np; k++)
			wbuf_put_i16(out, fmts[k]);
		wbuf_put_i16(out, (int16_t)np);
		for (int k = 0; k < np; k++) {
			wbuf_put_i32(out, lens[k]);
			if (lens[k] > 0)
				wbuf_put(out, vals[k], (size_t)lens[k]);
		}
		wbuf_put_i16(out, (int16_t)p->nfinal);
		for (int k = 0; k < p->nfinal; k++)
			wbuf_put_i16(out, fanout_final_format(fo, k));
		wbuf_msg_end(out, mark);
		(void)wire_write_execute(out, "", 0);
	}
	(void)wire_write_sync(out);
	s->seg_sent++;
	s->unnamed_client = 0;
	sg_px->stats.queries++;
	leg->state = LEG_RUNNING;
	if (rc == 0 && wbuf_status(out) != 0)
		rc = SG_ENOMEM;
	if (rc == 0)
		rc = server_flush(s);
out:
	free(oids);
	free(types);
	free(vals);
	free(lens);
	free(fmts);
	return rc;
}

static int fanout_final_desc(sg_fanout_t *fo, const wire_frame_t *f)
{
	merge_field_t *fields = calloc((size_t)fo->plan->nfinal + 1, sizeof(*fields));
	char err[256] = "";
	int n = 0, rc;

	if (fields == NULL)
		return SG_ENOMEM;
	rc = merge_row_desc_parse(f, fields, fo->plan->nfinal, &n);
	for (int k = 0; rc == 0 && k < n; k++)
		fields[k].format = fanout_final_format(fo, k);
	if (rc == 0)
		rc = merge_group_final_desc(fo->group, fields, n, err, sizeof(err));
	free(fields);
	if (rc == SG_ENOMEM)
		return rc;
	if (rc != 0)
		fanout_fail_merge(fo, -1, rc, err, "unexpected description of the final expressions");
	else
		fo->final_described = true;
	return 0;
}

/* A reply on the final leg (the shard's error is the statement's: e.g.
 * 22012 for sum(a) / count(*) with a zero count). */
int fanout_final_msg(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	char err[256] = "";
	int rc;

	switch (f->type) {
	case 'T':
		return fo->failed ? 0 : fanout_final_desc(fo, f);
	case 'D':
		if (fo->failed)
			return 0;
		rc = merge_group_final_set(fo->group, fo->final_row, f, err, sizeof(err));
		if (rc == SG_ENOMEM)
			return rc;
		if (rc != 0)
			fanout_fail_merge(fo, -1, rc, err, "unexpected final values");
		return 0;
	case 'C':
		fo->final_row++;
		return 0;
	default:
		return 0; /* '1', 't', '2', 'E' and 'Z' are the leg's bookkeeping */
	}
}

/* After the final leg: the client's RowDescription, now complete. */
int fanout_final_describe_client(sg_fanout_t *fo)
{
	if (fo->failed || fo->final_desc_sent)
		return 0;
	fo->final_desc_sent = true;
	if (fo->extended && !fo->describe)
		return 0;
	return merge_group_row_desc(fo->group, &fo->c->out.pending);
}
