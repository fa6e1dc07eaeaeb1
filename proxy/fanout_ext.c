/* fanout_ext.c — the extended protocol's way into a fan-out: the Parse
 * answered here, and the Bind/Describe/Execute(/Sync) run on the shards
 * with the client's parameters and result formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fanout_int.h"
#include "log.h"
#include "prepared.h"
#include "proxy.h"

int fanout_parse_local(sg_client_t *c, const wire_frame_t *parse)
{
	wire_parse_msg_t m;
	sg_pstmt_t *st;
	int rc = wire_parse_parse(parse, &m);

	if (rc != 0)
		return rc;
	if (m.stmt[0] == '\0') {
		rc = client_remember_unnamed(c, &m);
	} else if (sg_pmap_get(&c->pstmts, m.stmt) != NULL) {
		client_send_error(c, "ERROR", "42P05", "prepared statement \"%s\" already exists", m.stmt);
		client_discard_pending(c);
		return ROUTE_CONSUMED;
	} else {
		st = sg_pstmt_intern(&m);
		rc = st == NULL ? SG_ENOMEM : sg_pmap_put(&c->pstmts, m.stmt, st);
	}
	if (rc == 0)
		rc = wire_write_parse_complete(&c->out.pending);
	return rc == 0 ? ROUTE_LOCAL : rc;
}

/* The messages after the Bind, up to its Execute (and a Sync right
 * after it). Returns the offset past them, 0 if they have not all
 * arrived, or < 0 for a batch shardgate cannot fan out. */
static long fanout_scan_batch(sg_client_t *c, size_t off, const char *portal, bool *describe, bool *sync,
                              char *err, size_t errlen)
{
	uint32_t max = sg_px->cfg->listen.max_message_size;
	wire_target_msg_t t;
	const char *ep;
	int32_t max_rows;
	wire_frame_t g;
	int rc;

	for (;;) {
		rc = wire_frame_read(c->in.data + off, c->in.len - off, max, &g);
		if (rc == SG_EAGAIN)
			return 0;
		if (rc != 0)
			return rc;
		off += g.total_len;
		if (g.type == 'H')
			continue;
		if (g.type == 'D' && wire_target_parse(&g, &t) == 0 && t.kind == 'P' &&
		    strcmp(t.name, portal) == 0) {
			*describe = true;
			continue;
		}
		if (g.type != 'E') {
			snprintf(err, errlen, "message '%c' between Bind and Execute", g.type);
			return SG_ENOTSUP;
		}
		if (wire_execute_parse(&g, &ep, &max_rows) != 0)
			return SG_EPROTO;
		if (max_rows != 0) {
			snprintf(err, errlen, "Execute with a row limit (portal fetch)");
			return SG_ENOTSUP;
		}
		break;
	}
	rc = wire_frame_read(c->in.data + off, c->in.len - off, max, &g);
	if (rc == 0 && g.type == 'S') {
		*sync = true;
		off += g.total_len;
	}
	return (long)off;
}

/* LIMIT $n / OFFSET $n of the original statement, from the Bind. */
static int fanout_param_int(const wire_bind_msg_t *m, int param, int64_t *out)
{
	const uint8_t *v;
	int32_t len;
	int16_t fmt;
	char buf[32];

	if (param <= 0)
		return 0;
	if (wire_bind_param(m, param - 1, &v, &len, &fmt) != 0)
		return SG_EPROTO;
	if (len < 0) {
		*out = -1;
		return 0;
	}
	if (fmt == 1 && (len == 8 || len == 4)) {
		int64_t x = 0;
		for (int i = 0; i < len; i++)
			x = (int64_t)((uint64_t)x << 8 | v[i]);
		*out = len == 4 ? (int32_t)x : x;
		return 0;
	}
	if (fmt != 0 || len <= 0 || (size_t)len >= sizeof(buf))
		return SG_EPROTO;
	memcpy(buf, v, (size_t)len);
	buf[len] = '\0';
	*out = strtoll(buf, NULL, 10);
	return 0;
}

/* What the legs send: the client's parameter section and types, its
 * result formats. */
static int fanout_take_bind(sg_fanout_t *fo, const wire_bind_msg_t *m, uint16_t ntypes, const uint8_t *types)
{
	size_t tail = 2 + 2 * (size_t)m->nresult_formats;

	if (ntypes > 0) {
		fo->ptypes = malloc((size_t)ntypes * 4);
		if (fo->ptypes == NULL)
			return SG_ENOMEM;
		memcpy(fo->ptypes, types, (size_t)ntypes * 4);
		fo->nptypes = ntypes;
	}
	if (m->rest_len < tail)
		return SG_EPROTO;
	wbuf_put(&fo->bind_params, m->rest, m->rest_len - tail);
	if (m->nresult_formats > 0) {
		fo->client_fmt = malloc(sizeof(int16_t) * m->nresult_formats);
		if (fo->client_fmt == NULL)
			return SG_ENOMEM;
		for (int i = 0; i < m->nresult_formats; i++)
			fo->client_fmt[i] =
			        (int16_t)(m->result_formats[2 * i] << 8 | m->result_formats[2 * i + 1]);
		fo->nclient_fmt = m->nresult_formats;
	}
	return wbuf_status(&fo->bind_params);
}

static int fanout_ext_refuse(sg_client_t *c, const char *sqlstate, const char *what)
{
	client_send_error(c, "ERROR", sqlstate, "cross-shard query cannot be merged: %s", what);
	c->skip_until_sync = true;
	return ROUTE_LOCAL;
}

int fanout_start_bind(sg_client_t *c, const wire_frame_t *bind, const char *query, uint16_t ntypes,
                      const uint8_t *types, sql_kind_t kind, uint64_t shards)
{
	bool describe = false, sync = false;
	char err[256] = "";
	wire_bind_msg_t m;
	sg_fanout_t *fo;
	long end;
	int rc;

	rc = wire_bind_parse(bind, &m);
	if (rc != 0)
		return rc;
	end = fanout_scan_batch(c, c->in_off + bind->total_len, m.portal, &describe, &sync, err, sizeof(err));
	if (end == 0)
		return ROUTE_WAIT; /* the Execute is on its way */
	if (end == SG_ENOTSUP)
		return fanout_ext_refuse(c, "0A000", err);
	if (end < 0)
		return (int)end;
	fo = fanout_new(c, kind, shards);
	if (fo == NULL)
		return SG_ENOMEM;
	fo->extended = true;
	fo->describe = describe;
	fo->sync_after = sync;
	rc = fanout_plan(fo, query, err, sizeof(err));
	if (rc == 0)
		rc = fanout_take_bind(fo, &m, ntypes, types);
	if (rc == 0 && (fanout_param_int(&m, fo->plan->limit_param, &fo->plan->limit) != 0 ||
	                fanout_param_int(&m, fo->plan->offset_param, &fo->plan->offset) != 0))
		rc = SG_EPROTO;
	if (rc == SG_ENOTSUP) {
		fanout_destroy(fo);
		return fanout_ext_refuse(c, "0A000", err);
	}
	if (rc == 0 && wire_write_bind_complete(&c->out.pending) != 0)
		rc = SG_ENOMEM;
	if (rc != 0) {
		fanout_destroy(fo);
		return rc;
	}
	c->in_off = (size_t)end; /* Bind .. Execute (.. Sync) are ours now */
	rc = fanout_launch(fo);
	return rc == 0 ? ROUTE_CONSUMED : rc;
}
