/* fanout_merge.c — turning the legs' replies into the one result the
 * client sees: the row description, the rows (concatenated, merged in
 * order with a heap, or folded into groups), LIMIT/OFFSET, and the final
 * CommandComplete or error. Output goes to the client's pending buffer;
 * fanout.c flushes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fanout_int.h"
#include "log.h"
#include "proxy.h"
#include "server.h"

#define FANOUT_GROUP_EMIT_BUDGET (128u << 10)

void fanout_merge_init(sg_fanout_t *fo)
{
	if (fo->plan->mode != SQL_MERGE_SORTED)
		return;
	for (int i = 0; i < fo->nlegs; i++)
		fo->legs[i].blocked = true;
	fo->blocked = fo->nlegs;
}

void fanout_merge_free(sg_fanout_t *fo)
{
	for (int i = 0; i < fo->nlegs; i++) {
		wbuf_free(&fo->legs[i].rows);
		free(fo->legs[i].hoff);
		free(fo->legs[i].hlen);
	}
	merge_group_free(fo->group);
	wbuf_free(&fo->desc);
	free(fo->fields);
	free(fo->key_types);
	free(fo->key_cols);
	free(fo->vals_a);
	free(fo->vals_b);
	free(fo->lens_a);
	free(fo->lens_b);
}

/* A merge error (proxy/merge.h codes) fails the statement with the
 * matching SQLSTATE. */
void fanout_fail_merge(sg_fanout_t *fo, int shard, int rc, const char *err, const char *fallback)
{
	const char *state = rc == SG_ERANGE ? "22003" : rc == SG_ENOTSUP ? "0A000" : "XX000";

	fanout_fail(fo, shard, state, err != NULL && err[0] ? err : fallback);
}

/* ---- row description ---- */

static int fanout_desc_sorted(sg_fanout_t *fo, char *err, size_t errlen)
{
	const sql_merge_plan_t *p = fo->plan;

	fo->nvisible = fo->nfields - p->nhidden;
	if (fo->nvisible < 0) {
		snprintf(err, errlen, "the shards returned fewer columns than the sort needs");
		return SG_EPROTO;
	}
	fo->key_types = calloc((size_t)p->nkeys + 1, sizeof(*fo->key_types));
	fo->key_cols = calloc((size_t)p->nkeys + 1, sizeof(*fo->key_cols));
	fo->vals_a = calloc((size_t)fo->nfields + 1, sizeof(*fo->vals_a));
	fo->vals_b = calloc((size_t)fo->nfields + 1, sizeof(*fo->vals_b));
	fo->lens_a = calloc((size_t)fo->nfields + 1, sizeof(*fo->lens_a));
	fo->lens_b = calloc((size_t)fo->nfields + 1, sizeof(*fo->lens_b));
	if (!fo->key_types || !fo->key_cols || !fo->vals_a || !fo->vals_b || !fo->lens_a || !fo->lens_b)
		return SG_ENOMEM;
	for (int k = 0; k < p->nkeys; k++) {
		const sql_sort_key_t *key = &p->keys[k];
		int col = key->col >= 0 ? key->col : fo->nvisible + (-(key->col + 1));
		const merge_field_t *fd;

		if (col < 0 || col >= fo->nfields) {
			snprintf(err, errlen, "sort key %d is not among the shards' columns", k + 1);
			return SG_EPROTO;
		}
		fd = &fo->fields[col];
		if (!merge_type_orderable(fd->type_oid)) {
			snprintf(err, errlen, "ORDER BY on a column of type oid %u", fd->type_oid);
			return SG_ENOTSUP;
		}
		fo->key_cols[k] = col;
		fo->key_types[k].oid = fd->type_oid;
		fo->key_types[k].format = fd->format;
		fo->key_types[k].coll = fo->coll;
		if (fd->type_oid == MERGE_OID_NAME) /* name sorts in "C", as PostgreSQL does */
			fo->key_types[k].coll = (merge_coll_t){.bytewise = true};
		if (key->collation[0] != '\0' &&
		    merge_coll_open(key->collation, &fo->coll, &fo->key_types[k].coll) != 0) {
			snprintf(err, errlen, "COLLATE \"%s\" (no such locale on the proxy's machine)",
			         key->collation);
			return SG_ENOTSUP;
		}
	}
	return 0;
}

static int fanout_desc_grouped(sg_fanout_t *fo, char *err, size_t errlen)
{
	const sql_merge_plan_t *p = fo->plan;
	int16_t *fmts = calloc((size_t)p->nvisible + 1, sizeof(int16_t));
	int rc;

	if (fmts == NULL)
		return SG_ENOMEM;
	for (int i = 0; i < p->nvisible && fo->nclient_fmt > 0; i++)
		fmts[i] = fo->client_fmt[fo->nclient_fmt == 1 ? 0 : (i < fo->nclient_fmt ? i : 0)];
	fo->nvisible = p->nvisible;
	rc = merge_group_new(p, fo->fields, fo->nfields, fmts, &fo->coll, &fo->group, err, errlen);
	free(fmts);
	return rc == 0 ? fanout_having_binary(fo, err, errlen) : rc;
}

/* The client's RowDescription for what the first shard described. */
static int fanout_desc_write(sg_fanout_t *fo, wbuf_t *out)
{
	switch (fo->plan->mode) {
	case SQL_MERGE_CONCAT:
		wbuf_put(out, fo->desc.data, fo->desc.len);
		return wbuf_status(out);
	case SQL_MERGE_SORTED:
		return merge_row_desc_write(out, fo->fields, fo->nvisible);
	case SQL_MERGE_GROUPED:
		return merge_group_row_desc(fo->group, out);
	}
	return SG_EPROTO;
}

static int fanout_desc_first(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	const char *collate = leg->server != NULL ? leg->server->pool->collate : "C";
	char err[256] = "";
	int n = f->body_len >= 2 ? (f->body[0] << 8 | f->body[1]) : 0, rc;

	wbuf_put(&fo->desc, f->body - 5, f->total_len);
	fo->have_desc = true;
	fo->fields = calloc((size_t)n + 1, sizeof(*fo->fields));
	if (fo->fields == NULL || wbuf_status(&fo->desc) != 0)
		return SG_ENOMEM;
	rc = merge_row_desc_parse(f, fo->fields, n, &fo->nfields);
	if (rc != 0)
		return rc;
	if (merge_coll_open(collate[0] ? collate : "C", NULL, &fo->coll) != 0) {
		log_client(fo->c, LOG_WARN, "collation %s unavailable here: text sorts in byte order",
		           collate);
		fo->coll.bytewise = true;
	}
	fo->nvisible = fo->nfields;
	if (fo->plan->mode == SQL_MERGE_SORTED)
		rc = fanout_desc_sorted(fo, err, sizeof(err));
	else if (fo->plan->mode == SQL_MERGE_GROUPED)
		rc = fanout_desc_grouped(fo, err, sizeof(err));
	if (rc == SG_ENOMEM)
		return rc;
	if (rc != 0) {
		fanout_fail(fo, -1, rc == SG_ENOTSUP ? "0A000" : "XX000", err);
		return 0;
	}
	if ((fo->extended && !fo->describe) || fo->plan->final_sql != NULL)
		return 0; /* with final expressions: once their types are known */
	return fanout_desc_write(fo, &fo->c->out.pending);
}

int fanout_merge_desc(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	char msg[300];

	if (fo->failed)
		return 0;
	if (!fo->have_desc) {
		fo->desc_shard = leg->shard;
		return fanout_desc_first(fo, leg, f);
	}
	if (fo->desc.len != f->total_len || memcmp(fo->desc.data, f->body - 5, f->total_len) != 0) {
		snprintf(msg, sizeof(msg),
		         "shards returned different row descriptions for the same query (%s and %s)",
		         sg_proxy_shard_name(fo->desc_shard), sg_proxy_shard_name(leg->shard));
		fanout_fail(fo, -1, "XX000", msg);
	}
	return 0;
}

/* ---- CONCAT ---- */

/* OFFSET and LIMIT as rows go out; at the limit every shard is stopped. */
static bool fanout_limit_take(sg_fanout_t *fo)
{
	if (fo->skipped < (uint64_t)fo->offset) {
		fo->skipped++;
		return false;
	}
	if (fo->limit >= 0 && fo->sent >= (uint64_t)fo->limit)
		return false;
	fo->sent++;
	if (fo->limit >= 0 && fo->sent == (uint64_t)fo->limit && !fo->stopped) {
		fo->stopped = true;
		fanout_cancel_legs(fo);
	}
	return true;
}

/* ---- SORTED: the head rows and the heap ---- */

static const uint8_t *fanout_head_base(const struct fanout_leg *leg)
{
	return leg->rows.data + leg->head;
}

static int fanout_head_load(sg_fanout_t *fo, struct fanout_leg *leg)
{
	const uint8_t *base = fanout_head_base(leg);
	wire_frame_t f;
	int rc;

	if (leg->hoff == NULL) {
		leg->hoff = calloc((size_t)fo->nfields + 1, sizeof(*leg->hoff));
		leg->hlen = calloc((size_t)fo->nfields + 1, sizeof(*leg->hlen));
		if (leg->hoff == NULL || leg->hlen == NULL)
			return SG_ENOMEM;
	}
	f.type = base[0];
	f.body = base + 5;
	f.body_len = wire_be32(base + 1) - 4;
	f.total_len = f.body_len + 5;
	rc = merge_data_row_parse(&f, fo->nfields, fo->vals_a, fo->lens_a);
	if (rc != 0)
		return rc;
	for (int i = 0; i < fo->nfields; i++) {
		leg->hlen[i] = fo->lens_a[i];
		leg->hoff[i] = fo->lens_a[i] >= 0 ? (uint32_t)(fo->vals_a[i] - base) : 0;
	}
	leg->has_head = true;
	return 0;
}

static int fanout_cmp_legs(sg_fanout_t *fo, int a, int b)
{
	const struct fanout_leg *la = &fo->legs[a], *lb = &fo->legs[b];
	const uint8_t *ba = fanout_head_base(la), *bb = fanout_head_base(lb);

	for (int k = 0; k < fo->plan->nkeys; k++) {
		const sql_sort_key_t *key = &fo->plan->keys[k];
		int col = fo->key_cols[k], r = 0, rc;
		int32_t na = la->hlen[col], nb = lb->hlen[col];

		if (na < 0 && nb < 0)
			continue;
		if (na < 0 || nb < 0) {
			bool a_first = (na < 0) == key->nulls_first;
			return a_first ? -1 : 1;
		}
		rc = merge_value_cmp(&fo->key_types[k], ba + la->hoff[col], na, bb + lb->hoff[col], nb, &r);
		if (rc != 0 && fo->cmp_err == 0)
			fo->cmp_err = rc;
		if (r != 0)
			return key->desc ? -r : r;
	}
	return a - b; /* equal keys: shard order, so the merge is deterministic */
}

static void fanout_heap_push(sg_fanout_t *fo, int leg)
{
	int i = fo->nheap++;

	while (i > 0) {
		int parent = (i - 1) / 2;
		if (fanout_cmp_legs(fo, fo->heap[parent], leg) <= 0)
			break;
		fo->heap[i] = fo->heap[parent];
		i = parent;
	}
	fo->heap[i] = leg;
}

static int fanout_heap_pop(sg_fanout_t *fo)
{
	int top = fo->heap[0], last = fo->heap[--fo->nheap], i = 0;

	for (;;) {
		int child = 2 * i + 1;
		if (child >= fo->nheap)
			break;
		if (child + 1 < fo->nheap && fanout_cmp_legs(fo, fo->heap[child + 1], fo->heap[child]) < 0)
			child++;
		if (fanout_cmp_legs(fo, last, fo->heap[child]) <= 0)
			break;
		fo->heap[i] = fo->heap[child];
		i = child;
	}
	if (fo->nheap > 0)
		fo->heap[i] = last;
	return top;
}

/* The leg has a row at `head`: it joins the heap. */
static int fanout_leg_ready(sg_fanout_t *fo, struct fanout_leg *leg)
{
	int rc = fanout_head_load(fo, leg);

	if (rc != 0)
		return rc;
	if (leg->blocked) {
		leg->blocked = false;
		fo->blocked--;
	}
	fanout_heap_push(fo, (int)(leg - fo->legs));
	return 0;
}

static int fanout_sorted_row(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	wbuf_put(&leg->rows, f->body - 5, f->total_len);
	if (wbuf_status(&leg->rows) != 0)
		return SG_ENOMEM;
	if (leg->has_head)
		return 0;
	return fanout_leg_ready(fo, leg);
}

void fanout_merge_leg_ended(sg_fanout_t *fo, struct fanout_leg *leg)
{
	if (leg->blocked) {
		leg->blocked = false;
		fo->blocked--;
	}
}

/* Sends the leg's head row (hidden columns stripped) and moves to its next. */
static int fanout_sorted_emit(sg_fanout_t *fo, struct fanout_leg *leg)
{
	const uint8_t *base = fanout_head_base(leg);
	uint32_t total = 1 + wire_be32(base + 1);
	wbuf_t *out = &fo->c->out.pending;
	int rc = 0;

	if (fanout_limit_take(fo)) {
		if (fo->plan->nhidden == 0) {
			wbuf_put(out, base, total);
		} else {
			for (int i = 0; i < fo->nvisible; i++) {
				fo->vals_b[i] = leg->hlen[i] >= 0 ? base + leg->hoff[i] : NULL;
				fo->lens_b[i] = leg->hlen[i];
			}
			rc = merge_data_row_write(out, fo->nvisible, fo->vals_b, fo->lens_b);
		}
	}
	leg->head += total;
	leg->has_head = false;
	if (leg->head == leg->rows.len) {
		wbuf_reset(&leg->rows);
		leg->head = 0;
	} else if (leg->head > (64u << 10) && leg->head > leg->rows.len / 2) {
		wbuf_consume(&leg->rows, leg->head);
		leg->head = 0;
	}
	if (rc == 0 && leg->head < leg->rows.len)
		return fanout_leg_ready(fo, leg);
	if (rc == 0 && leg->state == LEG_RUNNING && !leg->failed && !leg->cancelled) {
		leg->blocked = true;
		fo->blocked++;
	}
	return rc;
}

static bool fanout_sorted_pump(sg_fanout_t *fo)
{
	int rc = 0;

	while (!fo->failed && !fo->stopped && fo->blocked == 0 && fo->nheap > 0 &&
	       !client_output_full(fo->c)) {
		rc = fanout_sorted_emit(fo, &fo->legs[fanout_heap_pop(fo)]);
		if (rc != 0 || fo->cmp_err != 0)
			break;
	}
	if (rc == SG_ENOMEM)
		fanout_fail(fo, -1, "53200", "out of memory merging the shards' rows");
	else if (rc != 0 || fo->cmp_err != 0)
		fanout_fail(fo, -1, fo->cmp_err == SG_ENOTSUP ? "0A000" : "XX000",
		            "could not compare the shards' sort keys (unsupported type or text form)");
	return fo->failed || fo->stopped || (fo->blocked == 0 && fo->nheap == 0);
}

/* ---- GROUPED ---- */

static uint64_t fanout_count_rows(const wbuf_t *out, size_t from)
{
	uint64_t n = 0;

	while (from + 5 <= out->len) {
		if (out->data[from] == 'D')
			n++;
		from += 1 + wire_be32(out->data + from + 1);
	}
	return n;
}

static bool fanout_grouped_pump(sg_fanout_t *fo)
{
	wbuf_t *out = &fo->c->out.pending;
	char err[256] = "";
	bool done = false;
	int rc;

	if (fo->failed || fo->group == NULL)
		return true;
	if (!fanout_legs_ended(fo))
		return false;
	if (fo->plan->final_sql != NULL) {
		if (!fo->final_begun) {
			rc = fanout_final_begin(fo);
			return rc != 0 || fo->failed ? true
			                             : fanout_legs_ended(fo) && fanout_grouped_pump(fo);
		}
		if (!fo->final_described) {
			fanout_fail(fo, -1, "XX000", "the final expressions were not described");
			return true;
		}
		if (fanout_final_describe_client(fo) != 0) {
			fanout_fail(fo, -1, "53200", "out of memory");
			return true;
		}
	}
	if (!fo->group_finished) {
		fo->group_finished = true;
		rc = merge_group_finish(fo->group, fo->limit, fo->offset, err, sizeof(err));
		if (rc != 0) {
			fanout_fail_merge(fo, -1, rc, err, "could not merge the shards' groups");
			return true;
		}
	}
	while (!done && !client_output_full(fo->c)) {
		size_t from = out->len;
		rc = merge_group_emit(fo->group, out, FANOUT_GROUP_EMIT_BUDGET, &done);
		if (rc != 0) {
			fanout_fail(fo, -1, "XX000", "could not produce the merged rows");
			return true;
		}
		fo->sent += fanout_count_rows(out, from);
	}
	return done;
}

int fanout_merge_row(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	char err[256] = "";
	int rc;

	if (fo->failed || fo->stopped)
		return 0;
	if (!fo->have_desc)
		return SG_EPROTO;
	switch (fo->plan->mode) {
	case SQL_MERGE_CONCAT:
		if (fanout_limit_take(fo))
			wbuf_put(&fo->c->out.pending, f->body - 5, f->total_len);
		return 0;
	case SQL_MERGE_SORTED:
		rc = fanout_sorted_row(fo, leg, f);
		if (rc == SG_EPROTO)
			fanout_fail(fo, leg->shard, "08P01", "malformed row from the shard");
		return rc == SG_ENOMEM ? rc : 0;
	case SQL_MERGE_GROUPED:
		rc = merge_group_add(fo->group, f, err, sizeof(err));
		if (rc == SG_ENOMEM)
			return rc;
		if (rc != 0)
			fanout_fail_merge(fo, leg->shard, rc, err, "could not merge a row");
		return 0;
	}
	return SG_EPROTO;
}

bool fanout_merge_pump(sg_fanout_t *fo)
{
	switch (fo->plan->mode) {
	case SQL_MERGE_SORTED:
		return fanout_sorted_pump(fo);
	case SQL_MERGE_GROUPED:
		return fanout_grouped_pump(fo);
	default:
		return true;
	}
}

/* ---- the answer ---- */

/* A failed write says where it was applied anyway (autocommit on each
 * shard: those changes stay). */
static void fanout_applied_detail(sg_fanout_t *fo)
{
	uint64_t applied = 0;
	char names[256];
	size_t len = strlen(fo->detail);

	if (fo->kind == SQLK_SELECT)
		return;
	for (int i = 0; i < fo->nlegs; i++)
		if (fo->legs[i].complete && !fo->legs[i].failed)
			applied |= UINT64_C(1) << fo->legs[i].shard;
	if (applied == 0)
		return;
	sg_proxy_shard_list(applied, names, sizeof(names));
	snprintf(fo->detail + len, sizeof(fo->detail) - len, "%salready applied on %s", len ? "; " : "",
	         names);
}

int fanout_merge_answer(sg_fanout_t *fo)
{
	sg_client_t *c = fo->c;
	wbuf_t *out = &c->out.pending;
	char tag[96], names[256], msg[400];

	if (!fo->failed && fo->unanswered != 0 && !fo->have_desc && fo->kind == SQLK_SELECT) {
		sg_proxy_shard_list(fo->unanswered, names, sizeof(names));
		snprintf(msg, sizeof(msg), "no shard answered (%s)", names);
		fanout_fail(fo, -1, "08006", msg);
	}
	if (fo->failed) {
		sg_px->stats.fanout_failures++;
		if (c->held_begin != NULL)
			c->tx_status = 'E'; /* the transaction is failed, as PostgreSQL's would be */
		fanout_applied_detail(fo);
		(void)wire_write_error(out, "ERROR", fo->sqlstate, fo->msg,
		                       fo->detail[0] ? fo->detail : NULL);
		if (fo->extended && !fo->sync_after)
			c->skip_until_sync = true;
	} else {
		if (fo->unanswered != 0) {
			sg_px->stats.fanout_partial++;
			sg_proxy_shard_list(fo->unanswered, names, sizeof(names));
			snprintf(msg, sizeof(msg), "partial results: shards %s did not answer", names);
			(void)wire_write_notice(out, "WARNING", "01000", msg, NULL);
		}
		if (fo->extended && fo->describe && !fo->have_desc && fo->nodata)
			(void)wire_write_no_data(out);
		if (fo->kind == SQLK_SELECT)
			snprintf(tag, sizeof(tag), "SELECT %llu", (unsigned long long)fo->sent);
		else
			snprintf(tag, sizeof(tag), "%s %llu", fo->verb[0] ? fo->verb : "UPDATE",
			         (unsigned long long)fo->total);
		if (fo->portal_max > 0 && fo->sent == (uint64_t)fo->portal_max)
			/* As PostgreSQL: the Execute got all it asked for, so the
			 * portal is suspended, rows left or not (the Sync after it
			 * closes it). */
			(void)wire_write_portal_suspended(out);
		else
			(void)wire_write_command_complete(out, tag);
	}
	if (!fo->extended || fo->sync_after)
		(void)wire_write_ready(out, c->tx_status);
	return wbuf_status(out);
}
