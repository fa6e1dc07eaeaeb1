/* fanout.c — the legs of a scatter-gather statement: their connections,
 * what they send, their replies' bookkeeping, cancel, timeout, and the end
 * of the statement. The merge of their rows is fanout_merge.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fanout_int.h"
#include "log.h"
#include "proxy.h"
#include "server.h"

/* Asked once per pool before its first fan-out: text sorts in the
 * shards' database collation. */
#define FANOUT_COLLATION_SQL "SELECT datcollate FROM pg_database WHERE datname = current_database()"

static void fanout_progress(sg_fanout_t *fo);

/* Set while a fan-out starts from inside client_process: one that ends
 * at once must not process the client's input again from there. */
static bool fanout_launching;

static struct fanout_leg *fanout_leg_of(sg_fanout_t *fo, const sg_server_t *s)
{
	for (int i = 0; i < fo->nlegs; i++)
		if (fo->legs[i].server == s)
			return &fo->legs[i];
	return NULL;
}

static void fanout_timer_close_cb(uv_handle_t *h)
{
	free(h->data);
}

/* Frees the fan-out (the timer handle's memory goes in its close callback). */
void fanout_destroy(sg_fanout_t *fo)
{
	fanout_merge_free(fo);
	fanout_plan_release(fo);
	free(fo->ptypes);
	free(fo->rfmt);
	free(fo->client_fmt);
	wbuf_free(&fo->bind_params);
	for (int i = 0; i < fo->nhparams; i++)
		free(fo->hparams[i].val);
	free(fo->hparams);
	if (fo->c != NULL && fo->c->fanout == fo)
		fo->c->fanout = NULL;
	if (fo->timer_on) {
		uv_timer_stop(&fo->timer);
		fo->timer.data = fo;
		uv_close((uv_handle_t *)&fo->timer, fanout_timer_close_cb);
		return;
	}
	free(fo);
}

/* ---- cancel and failure ---- */

static void fanout_leg_cancel(struct fanout_leg *leg)
{
	sg_server_t *s = leg->server;

	if (leg->cancelled || leg->state != LEG_RUNNING || s == NULL)
		return;
	leg->cancelled = true;
	sg_px->stats.fanout_cancels++;
	/* The query may end before the cancel lands; a late cancel would hit
	 * whatever runs next on this backend: it is not reused. */
	s->dirty = true;
	server_cancel(s, 0);
}

void fanout_cancel_legs(sg_fanout_t *fo)
{
	for (int i = 0; i < fo->nlegs; i++)
		fanout_leg_cancel(&fo->legs[i]);
}

void fanout_fail(sg_fanout_t *fo, int shard, const char *sqlstate, const char *msg)
{
	if (fo->failed)
		return;
	fo->failed = true;
	snprintf(fo->sqlstate, sizeof(fo->sqlstate), "%s", sqlstate);
	snprintf(fo->msg, sizeof(fo->msg), "%s", msg);
	if (shard >= 0)
		snprintf(fo->detail, sizeof(fo->detail), "on shard %s", sg_proxy_shard_name(shard));
	log_client(fo->c, LOG_INFO, "fan-out failed shard=%s sqlstate=%s message=\"%s\"",
	           shard >= 0 ? sg_proxy_shard_name(shard) : "-", sqlstate, msg);
	fanout_cancel_legs(fo);
}

/* A shard could not answer: the statement fails, or with partial results
 * (reads only) the shard is left out and named in a WARNING. */
static void fanout_leg_failed(sg_fanout_t *fo, struct fanout_leg *leg, const char *sqlstate, const char *msg)
{
	if (leg->failed || leg->cancelled)
		return;
	leg->failed = true;
	if (fo->partial && fo->kind == SQLK_SELECT && !fo->stopped && !leg->is_final) {
		fo->unanswered |= UINT64_C(1) << leg->shard;
		log_client(fo->c, LOG_WARN, "fan-out: shard %s left out (partial results): %s %s",
		           sg_proxy_shard_name(leg->shard), sqlstate, msg);
		return;
	}
	fanout_fail(fo, leg->shard, sqlstate, msg);
}

/* ---- sending ---- */

/* Bind with the client's parameters and our result formats. */
static void fanout_write_bind(sg_fanout_t *fo, wbuf_t *out)
{
	size_t mark = wbuf_msg_begin(out, 'B');

	wbuf_put_cstr(out, "");
	wbuf_put_cstr(out, "");
	if (fo->bind_params.len > 0) {
		wbuf_put(out, fo->bind_params.data, fo->bind_params.len);
	} else {
		wbuf_put_i16(out, 0); /* parameter formats */
		wbuf_put_i16(out, 0); /* parameters */
	}
	wbuf_put_i16(out, (int16_t)fo->nrfmt);
	for (int i = 0; i < fo->nrfmt; i++)
		wbuf_put_i16(out, fo->rfmt[i]);
	wbuf_msg_end(out, mark);
}

static int fanout_leg_send(sg_fanout_t *fo, struct fanout_leg *leg)
{
	sg_server_t *s = leg->server;
	wbuf_t *out = &s->out.pending;

	if (s->pool->collate[0] == '\0') {
		(void)wire_write_query(out, FANOUT_COLLATION_SQL);
		s->seg_sent++;
		leg->pre = true;
	}
	if (leg->is_final)
		return fanout_final_send(fo, leg);
	(void)wire_write_parse(out, "", fo->plan->shard_sql, fo->nptypes, fo->ptypes);
	fanout_write_bind(fo, out);
	(void)wire_write_describe(out, 'P', "");
	(void)wire_write_execute(out, "", 0);
	(void)wire_write_sync(out);
	s->seg_sent++;
	s->unnamed_client = 0; /* our unnamed statement replaced any client's */
	sg_px->stats.queries++;
	leg->state = LEG_RUNNING;
	if (wbuf_status(out) != 0)
		return SG_ENOMEM;
	return server_flush(s);
}

/* Attaches s to the leg and sends its statement. */
static void fanout_leg_start(sg_fanout_t *fo, struct fanout_leg *leg, sg_server_t *s)
{
	/* A held BEGIN (a read inside a transaction that has no shard yet)
	 * stays held: the legs read outside it (see client_route.c). */
	fo->c->attach_without_begin = true;
	leg->server = s;
	if (server_attach(s, fo->c) != 0 || fanout_leg_send(fo, leg) != 0) {
		server_detach(s);
		leg->server = NULL;
		server_close(s, "could not send the fan-out statement");
		leg->state = LEG_GONE;
		fanout_leg_failed(fo, leg, "08006", "could not send the statement to the shard");
		fanout_merge_leg_ended(fo, leg);
	}
}

/* Checks out connections for the legs in shard order; stops at the first
 * pool that has none free (the client waits there). */
void fanout_checkout_next(sg_fanout_t *fo)
{
	sg_client_t *c = fo->c;

	while (fo->next_checkout < fo->nlegs) {
		struct fanout_leg *leg = &fo->legs[fo->next_checkout];
		sg_pool_t *pool;
		sg_server_t *s;

		if (fo->failed || fo->stopped || fo->timed_out) {
			leg->state = LEG_GONE;
			fo->next_checkout++;
			fanout_merge_leg_ended(fo, leg);
			continue;
		}
		pool = sg_proxy_pool(sg_px, leg->shard);
		if (pool == NULL) {
			leg->state = LEG_GONE;
			fo->next_checkout++;
			fanout_leg_failed(fo, leg, "08006", "no pool for the shard");
			fanout_merge_leg_ended(fo, leg);
			continue;
		}
		c->pool = pool;
		s = sg_pool_checkout(pool, c);
		if (s == NULL) {
			client_set_state(c, CL_WAITING); /* fanout_server_ready resumes */
			return;
		}
		fo->next_checkout++;
		fanout_leg_start(fo, leg, s);
	}
	c->pool = NULL;
	client_set_state(c, CL_ACTIVE);
}

void fanout_server_ready(sg_client_t *c, sg_server_t *s)
{
	sg_fanout_t *fo = c->fanout;
	struct fanout_leg *leg = &fo->legs[fo->next_checkout++];

	client_set_state(c, CL_ACTIVE);
	fanout_leg_start(fo, leg, s);
	fanout_checkout_next(fo);
	fanout_progress(fo);
}

void fanout_checkout_failed(sg_client_t *c, const char *sqlstate, const char *msg)
{
	sg_fanout_t *fo = c->fanout;
	struct fanout_leg *leg = &fo->legs[fo->next_checkout++];

	leg->state = LEG_GONE;
	fanout_leg_failed(fo, leg, sqlstate, msg);
	fanout_merge_leg_ended(fo, leg);
	fanout_checkout_next(fo);
	fanout_progress(fo);
}

void fanout_server_lost(sg_client_t *c, sg_server_t *s, const char *why)
{
	sg_fanout_t *fo = c->fanout;
	struct fanout_leg *leg = fanout_leg_of(fo, s);
	char msg[512];

	server_detach(s);
	if (leg == NULL)
		return;
	leg->server = NULL;
	if (leg->state == LEG_RUNNING) {
		leg->state = LEG_GONE;
		snprintf(msg, sizeof(msg), "server connection to shard \"%s\" was lost: %s",
		         sg_proxy_shard_name(leg->shard), why);
		sg_px->stats.server_lost++;
		fanout_leg_failed(fo, leg, "08006", msg);
		fanout_merge_leg_ended(fo, leg);
	}
	fanout_progress(fo);
}

/* ---- replies ---- */

/* The collation query's replies. */
static int fanout_pre_msg(sg_server_t *s, struct fanout_leg *leg, const wire_frame_t *f)
{
	const uint8_t *val;
	int32_t len;
	char status;

	switch (f->type) {
	case 'D':
		if (merge_data_row_parse(f, 1, &val, &len) == 0 && len > 0 &&
		    (size_t)len < sizeof(s->pool->collate))
			snprintf(s->pool->collate, sizeof(s->pool->collate), "%.*s", (int)len,
			         (const char *)val);
		return 0;
	case 'Z':
		if (wire_ready_parse(f, &status) != 0)
			return SG_EPROTO;
		s->seg_done++;
		leg->pre = false;
		if (s->pool->collate[0] == '\0')
			snprintf(s->pool->collate, sizeof(s->pool->collate), "C");
		return 0;
	default:
		return 0;
	}
}

static void fanout_leg_complete(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	const char *tag, *sp;
	size_t n;

	if (wire_command_complete_parse(f, &tag) != 0)
		return;
	leg->complete = true;
	sp = strrchr(tag, ' ');
	n = strlen(tag);
	if (sp != NULL && sp[1] >= '0' && sp[1] <= '9') {
		leg->count = strtoull(sp + 1, NULL, 10);
		n = (size_t)(sp - tag);
	}
	if (!leg->cancelled && !leg->failed)
		fo->total += leg->count;
	if (fo->verb[0] == '\0')
		snprintf(fo->verb, sizeof(fo->verb), "%.*s", (int)n, tag);
}

static int fanout_leg_error(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f)
{
	wire_error_t e;

	if (wire_error_parse(f, &e) != 0)
		return SG_EPROTO;
	if (e.severity != NULL && (strcmp(e.severity, "FATAL") == 0 || strcmp(e.severity, "PANIC") == 0))
		leg->server->dirty = true;
	fanout_leg_failed(fo, leg, e.sqlstate ? e.sqlstate : "XX000", e.message ? e.message : "error");
	return 0;
}

int fanout_server_msg(sg_server_t *s, const wire_frame_t *f)
{
	sg_fanout_t *fo = s->client->fanout;
	struct fanout_leg *leg = fanout_leg_of(fo, s);
	char status;

	if (leg == NULL)
		return SG_EPROTO;
	if (leg->pre)
		return fanout_pre_msg(s, leg, f);
	if (leg->is_final && f->type != 'E' && f->type != 'Z' && f->type != 'S' && f->type != 'N')
		return fanout_final_msg(fo, leg, f);
	switch (f->type) {
	case 'T':
		return leg->cancelled ? 0 : fanout_merge_desc(fo, leg, f);
	case 'n':
		fo->nodata = true;
		return 0;
	case 'D':
		return leg->cancelled || leg->failed ? 0 : fanout_merge_row(fo, leg, f);
	case 'C':
		fanout_leg_complete(fo, leg, f);
		return 0;
	case 'E':
		return fanout_leg_error(fo, leg, f);
	case 'N':
		if (!leg->cancelled)
			wbuf_put(&fo->c->out.pending, f->body - 5, f->total_len);
		return 0;
	case 'S':
		return server_param_record(s, f, false);
	case 'Z':
		if (wire_ready_parse(f, &status) != 0)
			return SG_EPROTO;
		s->tx_status = status;
		if (s->seg_done < s->seg_sent)
			s->seg_done++;
		leg->state = LEG_DONE;
		if (!leg->complete && !leg->failed && !leg->cancelled && !leg->is_final)
			fanout_leg_failed(fo, leg, "08P01", "the shard ended the statement without a result");
		fanout_merge_leg_ended(fo, leg);
		return 0;
	default:
		return 0; /* ParseComplete, BindComplete, notifications */
	}
}

/* Reads stop while the client cannot take more (or, merging sorted
 * streams, while a shard is far ahead of the others). */
static void fanout_update_reading(sg_fanout_t *fo)
{
	bool full = client_output_full(fo->c);

	for (int i = 0; i < fo->nlegs; i++) {
		struct fanout_leg *leg = &fo->legs[i];
		sg_server_t *s = leg->server;
		bool stop;

		if (s == NULL || s->state == SV_CLOSING)
			continue;
		stop = !leg->cancelled && (full || leg->rows.len - leg->head > FANOUT_LEG_BUFFER);
		if (stop && !s->reading_paused) {
			uv_read_stop(&s->h.stream);
			s->reading_paused = true;
		} else if (!stop && s->reading_paused) {
			server_read_resume(s);
		}
	}
}

/* Legs whose shard is done give their connection back now. */
static void fanout_release_done(sg_fanout_t *fo)
{
	for (int i = 0; i < fo->nlegs; i++) {
		struct fanout_leg *leg = &fo->legs[i];
		sg_server_t *s = leg->server;

		if (leg->state != LEG_DONE || s == NULL || s->in.len > 0)
			continue;
		leg->server = NULL;
		if (server_is_releasable(s)) {
			server_detach(s);
			sg_pool_release(s->pool, s);
		} else {
			server_detach(s);
			server_close(s, "fan-out leg ended outside a clean state");
		}
	}
}

bool fanout_legs_ended(const sg_fanout_t *fo)
{
	if (fo->next_checkout < fo->nlegs)
		return false;
	for (int i = 0; i < fo->nlegs; i++)
		if (fo->legs[i].state == LEG_RUNNING || fo->legs[i].server != NULL)
			return false;
	return true;
}

/* Moves the statement forward: releases finished legs, merges, and once
 * every leg has ended and every row is out, answers and frees it. */
static void fanout_progress(sg_fanout_t *fo)
{
	sg_client_t *c = fo->c;
	bool drained;

	fanout_release_done(fo);
	drained = fanout_merge_pump(fo);
	if (drained && fanout_legs_ended(fo)) {
		if (fanout_merge_answer(fo) != 0) {
			fanout_destroy(fo);
			client_close(c, "out of memory");
			return;
		}
		fanout_destroy(fo);
		client_set_state(c, CL_IDLE);
		if (!fanout_launching && client_flush(c) == 0 && c->in.len > c->in_off)
			client_process(c);
		return;
	}
	if (client_flush(c) != 0)
		return; /* closed: client_close aborted the fan-out */
	fanout_update_reading(fo);
}

void fanout_after_read(sg_server_t *s)
{
	fanout_progress(s->client->fanout);
}

void fanout_output_drained(sg_client_t *c)
{
	fanout_progress(c->fanout);
}

void fanout_cancel(sg_client_t *c)
{
	sg_fanout_t *fo = c->fanout;

	if (c->state == CL_WAITING && c->pool != NULL) {
		sg_pool_cancel_wait(c->pool, c);
		fanout_fail(fo, -1, "57014", "canceling statement due to user request");
		fanout_checkout_next(fo);
	} else {
		fanout_fail(fo, -1, "57014", "canceling statement due to user request");
	}
	fanout_progress(fo);
}

void fanout_abort(sg_client_t *c)
{
	sg_fanout_t *fo = c->fanout;

	for (int i = 0; i < fo->nlegs; i++) {
		sg_server_t *s = fo->legs[i].server;
		if (s == NULL)
			continue;
		fo->legs[i].server = NULL;
		server_detach(s);
		if (fo->legs[i].state == LEG_RUNNING && s->state == SV_ACTIVE)
			server_cancel(s, 0);
		server_close(s, "client disconnected during a fan-out");
	}
	fo->c = NULL;
	c->fanout = NULL;
	fanout_destroy(fo);
}

static void fanout_timer_cb(uv_timer_t *t)
{
	sg_fanout_t *fo = t->data;
	char msg[160];

	fo->timed_out = true;
	snprintf(msg, sizeof(msg), "canceling statement due to fanout.timeout (%lld ms)",
	         (long long)sg_px->cfg->fanout.timeout_ms);
	for (int i = 0; i < fo->nlegs; i++) {
		struct fanout_leg *leg = &fo->legs[i];
		if (leg->state != LEG_RUNNING && leg->state != LEG_PENDING)
			continue;
		if (fo->partial && fo->kind == SQLK_SELECT) {
			fanout_leg_failed(fo, leg, "57014", msg);
			fanout_leg_cancel(leg);
		}
	}
	if (!fo->partial || fo->kind != SQLK_SELECT)
		fanout_fail(fo, -1, "57014", msg);
	if (fo->c->state == CL_WAITING && fo->c->pool != NULL) {
		sg_pool_cancel_wait(fo->c->pool, fo->c);
		fanout_checkout_next(fo);
	}
	fanout_progress(fo);
}

/* ---- start ---- */

sg_fanout_t *fanout_new(sg_client_t *c, sql_kind_t kind, uint64_t shards)
{
	sg_fanout_t *fo = calloc(1, sizeof(*fo));

	if (fo == NULL)
		return NULL;
	fo->c = c;
	fo->kind = kind;
	fo->limit = -1;
	fo->partial = c->partial_results >= 0 ? c->partial_results : sg_px->cfg->fanout.partial_results;
	for (int i = 0; i < FANOUT_MAX_LEGS; i++)
		if (shards & (UINT64_C(1) << i))
			fo->legs[fo->nlegs++].shard = i;
	return fo;
}

/* Result formats per shard column: the client's for the columns it sees
 * (CONCAT/SORTED) or whose values pass through (group keys, min, max);
 * text for what the merge computes from. */
static int fanout_result_formats(sg_fanout_t *fo)
{
	const sql_merge_plan_t *p = fo->plan;
	int n;

	if (fo->nclient_fmt == 0)
		return 0;
	if (p->mode != SQL_MERGE_GROUPED && (fo->nclient_fmt == 1 || p->nhidden == 0)) {
		fo->rfmt = malloc(sizeof(int16_t) * (size_t)fo->nclient_fmt);
		if (fo->rfmt == NULL)
			return SG_ENOMEM;
		memcpy(fo->rfmt, fo->client_fmt, sizeof(int16_t) * (size_t)fo->nclient_fmt);
		fo->nrfmt = fo->nclient_fmt;
		return 0;
	}
	n = p->mode == SQL_MERGE_GROUPED ? p->nshard_cols : fo->nclient_fmt + p->nhidden;
	fo->rfmt = calloc((size_t)n, sizeof(int16_t));
	if (fo->rfmt == NULL)
		return SG_ENOMEM;
	fo->nrfmt = n;
	if (p->mode != SQL_MERGE_GROUPED) {
		memcpy(fo->rfmt, fo->client_fmt, sizeof(int16_t) * (size_t)fo->nclient_fmt);
		return 0;
	}
	for (int i = 0; i < p->nvisible; i++) {
		const sql_merge_col_t *col = &p->cols[i];
		int16_t want = fo->client_fmt[fo->nclient_fmt == 1 ? 0 : i];
		if (i >= fo->nclient_fmt && fo->nclient_fmt != 1)
			break;
		if ((col->agg == SQL_AGG_NONE || col->agg == SQL_AGG_MIN || col->agg == SQL_AGG_MAX) &&
		    col->src >= 0 && col->src < n)
			fo->rfmt[col->src] = want;
	}
	return 0;
}

int fanout_launch(sg_fanout_t *fo)
{
	sg_client_t *c = fo->c;
	int err;

	err = fanout_result_formats(fo);
	if (err != 0)
		return err;
	c->fanout = fo;
	if (sg_px->cfg->fanout.timeout_ms > 0 && uv_timer_init(sg_px->loop, &fo->timer) == 0) {
		fo->timer.data = fo;
		fo->timer_on = true;
		(void)uv_timer_start(&fo->timer, fanout_timer_cb, (uint64_t)sg_px->cfg->fanout.timeout_ms, 0);
	}
	log_client(c, LOG_DEBUG, "fan-out to %d shards mode=%d", fo->nlegs, (int)fo->plan->mode);
	fanout_merge_init(fo);
	sg_px->stats.fanouts++;
	fanout_launching = true;
	fanout_checkout_next(fo);
	fanout_progress(fo); /* may end (and free) it already */
	fanout_launching = false;
	return 0;
}

/* Admin PAUSE holds new statements: the client waits with its message
 * unread, and RESUME processes it again (sg_proxy_resume). */
bool fanout_hold_paused(sg_client_t *c)
{
	if (!sg_px->paused)
		return false;
	sg_list_push_back(&sg_px->paused_clients, &c->wait_node);
	c->paused_wait = true;
	client_set_state(c, CL_WAITING);
	return true;
}

/* The first $n HAVING compares with, 0 if none. */
static int fanout_having_param(const sql_having_t *h)
{
	int n;

	if (h == NULL)
		return 0;
	if (h->op == SQL_HV_CMP && h->param > 0)
		return h->param;
	n = fanout_having_param(h->left);
	return n > 0 ? n : fanout_having_param(h->right);
}

int fanout_start_query(sg_client_t *c, const char *sql, sql_kind_t kind, uint64_t shards)
{
	sg_fanout_t *fo = fanout_new(c, kind, shards);
	char err[256] = "";
	int rc;

	if (fo == NULL)
		return SG_ENOMEM;
	if (fanout_hold_paused(c)) {
		fanout_destroy(fo);
		return ROUTE_WAIT;
	}
	rc = fanout_plan(fo, sql, err, sizeof(err));
	if (rc == 0 && fanout_having_param(fo->plan->having) > 0) {
		/* a simple Query has no parameters: PostgreSQL's own error */
		client_send_error(c, "ERROR", "42P02", "there is no parameter $%d",
		                  fanout_having_param(fo->plan->having));
		fanout_destroy(fo);
		return wire_write_ready(&c->out.pending, c->tx_status) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
	}
	if (rc == SG_ENOTSUP) {
		fanout_destroy(fo);
		client_send_error(c, "ERROR", "0A000", "cross-shard query cannot be merged: %s", err);
		return wire_write_ready(&c->out.pending, c->tx_status) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
	}
	if (rc == 0)
		rc = fanout_launch(fo);
	if (rc != 0) {
		fanout_destroy(fo);
		return rc;
	}
	return ROUTE_LOCAL;
}
