/* fanout_ext.c — the extended protocol's way into a fan-out: the Parse
 * answered here, and the Bind/Describe/Execute(/Sync) run on the shards
 * with the client's parameters and result formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fanout_int.h"
#include "merge_decimal.h"
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
 * after it; *max_rows: the Execute's row limit). Returns the offset past
 * them, 0 if they have not all arrived, or < 0 for a batch shardgate
 * cannot fan out. */
static long fanout_scan_batch(sg_client_t *c, size_t off, const char *portal, bool *describe, bool *sync,
                              int32_t *max_rows, char *err, size_t errlen)
{
	uint32_t max = sg_px->cfg->listen.max_message_size;
	wire_target_msg_t t;
	const char *ep;
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
		if (wire_execute_parse(&g, &ep, max_rows) != 0)
			return SG_EPROTO;
		break;
	}
	rc = wire_frame_read(c->in.data + off, c->in.len - off, max, &g);
	if (rc == SG_EAGAIN && *max_rows > 0)
		return 0; /* whether a Sync ends the portal decides */
	if (rc == 0 && g.type == 'S') {
		*sync = true;
		off += g.total_len;
	} else if (*max_rows > 0) {
		/* A fetch that may go on with another Execute (a cursor): the
		 * merged stream is not kept between Executes. */
		snprintf(err, errlen,
		         "Execute with a row limit not followed by Sync (a portal fetched in parts)");
		return SG_ENOTSUP;
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

/* A Bind value as the text of an SQL constant (HAVING compares with it). */
static int fanout_param_text(const uint8_t *v, int32_t len, int16_t fmt, uint32_t oid, char **out)
{
	char buf[64];
	int64_t x = 0;

	if (fmt == 0 || oid == 25 || oid == 1043 || oid == 1042 || oid == 19) {
		*out = strndup((const char *)v, (size_t)len);
		return *out != NULL ? 0 : SG_ENOMEM;
	}
	if ((oid == 20 && len == 8) || (oid == 23 && len == 4) || (oid == 21 && len == 2)) {
		for (int i = 0; i < len; i++)
			x = (int64_t)((uint64_t)x << 8 | v[i]);
		x = len == 4 ? (int32_t)x : len == 2 ? (int16_t)x : x;
		snprintf(buf, sizeof(buf), "%lld", (long long)x);
	} else if ((oid == 701 && len == 8) || (oid == 700 && len == 4)) {
		uint64_t bits = 0;
		double d;
		for (int i = 0; i < len; i++)
			bits = bits << 8 | v[i];
		if (len == 4) {
			uint32_t b32 = (uint32_t)bits;
			float f;
			memcpy(&f, &b32, sizeof(f));
			d = f;
		} else {
			memcpy(&d, &bits, sizeof(d));
		}
		snprintf(buf, sizeof(buf), "%.17g", d);
	} else if (oid == 16 && len == 1) {
		snprintf(buf, sizeof(buf), "%s", v[0] ? "true" : "false");
	} else if (oid == 1700) {
		merge_dec_t d;
		wbuf_t t;
		int rc;

		merge_dec_init(&d);
		wbuf_init(&t);
		rc = merge_dec_from_binary(&d, v, (size_t)len);
		if (rc == 0) {
			merge_dec_write_text(&d, &t);
			wbuf_put_u8(&t, 0);
			rc = wbuf_status(&t);
		}
		*out = rc == 0 ? strdup((const char *)t.data) : NULL;
		merge_dec_free(&d);
		wbuf_free(&t);
		return rc != 0 ? rc : *out != NULL ? 0 : SG_ENOMEM;
	} else {
		return SG_ENOTSUP;
	}
	*out = strdup(buf);
	return *out != NULL ? 0 : SG_ENOMEM;
}

/* Does the shard statement name $n itself (then its type is PostgreSQL's
 * to infer there)? */
static bool fanout_sql_names_param(const char *sql, int n)
{
	char pat[16];
	size_t len = (size_t)snprintf(pat, sizeof(pat), "$%d", n);

	for (const char *p = strstr(sql, pat); p != NULL; p = strstr(p + 1, pat))
		if (p[len] < '0' || p[len] > '9')
			return true;
	return false;
}

static int fanout_having_defer(sg_fanout_t *fo, sql_having_t *h, const uint8_t *v, int32_t len)
{
	struct fanout_hparam *a = realloc(fo->hparams, sizeof(*a) * ((size_t)fo->nhparams + 1));

	if (a == NULL)
		return SG_ENOMEM;
	fo->hparams = a;
	a[fo->nhparams].h = h;
	a[fo->nhparams].len = len;
	a[fo->nhparams].val = malloc((size_t)len + 1);
	if (a[fo->nhparams].val == NULL)
		return SG_ENOMEM;
	memcpy(a[fo->nhparams].val, v, (size_t)len);
	fo->nhparams++;
	return 0;
}

int fanout_having_binary(sg_fanout_t *fo, char *err, size_t errlen)
{
	for (int i = 0; i < fo->nhparams; i++) {
		struct fanout_hparam *hp = &fo->hparams[i];
		uint32_t oid = merge_group_col_type(fo->group, hp->h->col);
		int rc = fanout_param_text(hp->val, hp->len, 1, oid, &hp->h->constant);

		if (rc == SG_ENOTSUP)
			snprintf(err, errlen, "HAVING with a binary parameter of type oid %u", oid);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* HAVING's $n constants come from the Bind: the shards never see HAVING,
 * so a parameter only HAVING names is typed text for them (when the
 * client left its type open), which any value the client sent in text
 * can be. */
static int fanout_having_params(sg_fanout_t *fo, const wire_bind_msg_t *m, sql_having_t *h, char *err,
                                size_t errlen)
{
	const uint8_t *v;
	int32_t len;
	int16_t fmt;
	uint32_t oid;
	int rc;

	if (h == NULL)
		return 0;
	rc = fanout_having_params(fo, m, h->left, err, errlen);
	if (rc == 0)
		rc = fanout_having_params(fo, m, h->right, err, errlen);
	if (rc != 0 || h->op != SQL_HV_CMP || h->param <= 0)
		return rc;
	if (wire_bind_param(m, h->param - 1, &v, &len, &fmt) != 0) {
		snprintf(err, errlen, "there is no parameter $%d", h->param);
		return SG_ERANGE;
	}
	oid = h->param <= fo->nptypes ? wire_be32(fo->ptypes + 4 * (h->param - 1)) : 0;
	if (oid == 0 && !fanout_sql_names_param(fo->plan->shard_sql, h->param)) {
		/* The shards never use it, but must accept it: as text, or,
		 * sent in binary, as bytea (any bytes are a bytea). */
		if (h->param > fo->nptypes) {
			uint8_t *t = realloc(fo->ptypes, (size_t)m->nparams * 4);
			if (t == NULL)
				return SG_ENOMEM;
			memset(t + 4 * fo->nptypes, 0, 4 * ((size_t)m->nparams - fo->nptypes));
			fo->ptypes = t;
			fo->nptypes = m->nparams;
		}
		fo->ptypes[4 * (h->param - 1) + 3] = fmt == 1 ? 17 : 25; /* bytea : text */
	}
	free(h->constant);
	h->constant = NULL;
	if (len < 0)
		return 0;
	if (fmt == 1 && oid == 0)
		return fanout_having_defer(fo, h, v, len);
	rc = fanout_param_text(v, len, fmt, oid, &h->constant);
	if (rc == SG_ENOTSUP)
		snprintf(err, errlen, "HAVING with a binary parameter of type oid %u", oid);
	return rc;
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
	int32_t max_rows = 0;
	char err[256] = "";
	wire_bind_msg_t m;
	sg_fanout_t *fo;
	long end;
	int rc;

	rc = wire_bind_parse(bind, &m);
	if (rc != 0)
		return rc;
	end = fanout_scan_batch(c, c->in_off + bind->total_len, m.portal, &describe, &sync, &max_rows, err,
	                        sizeof(err));
	/* A row limit is served as a prefix of the merged result when the
	 * portal dies at the Sync after it: outside a transaction block
	 * (inside one it lives on for the next Execute, like a cursor). */
	if (end > 0 && max_rows > 0 && kind != SQLK_SELECT)
		return fanout_ext_refuse(c, "0A000", "Execute with a row limit on a write");
	if (end > 0 && max_rows > 0 && (c->held_begin != NULL || c->tx_status != 'I'))
		return fanout_ext_refuse(
		        c, "0A000",
		        "Execute with a row limit inside a transaction (a portal fetched in parts)");
	if (end == 0)
		return ROUTE_WAIT; /* the Execute is on its way */
	if (end == SG_ENOTSUP)
		return fanout_ext_refuse(c, "0A000", err);
	if (end < 0)
		return (int)end;
	if (fanout_hold_paused(c))
		return ROUTE_WAIT;
	fo = fanout_new(c, kind, shards);
	if (fo == NULL)
		return SG_ENOMEM;
	fo->extended = true;
	fo->describe = describe;
	fo->sync_after = sync;
	fo->portal_max = max_rows > 0 ? max_rows : 0;
	rc = fanout_plan(fo, query, err, sizeof(err));
	if (rc == 0)
		rc = fanout_take_bind(fo, &m, ntypes, types);
	if (rc == 0 && (fanout_param_int(&m, fo->plan->limit_param, &fo->limit) != 0 ||
	                fanout_param_int(&m, fo->plan->offset_param, &fo->offset) != 0))
		rc = SG_EPROTO;
	if (fo->offset < 0)
		fo->offset = 0; /* OFFSET NULL is no offset, as in PostgreSQL */
	if (fo->portal_max > 0 && (fo->limit < 0 || fo->limit > fo->portal_max))
		fo->limit = fo->portal_max; /* the rest of the shards' rows is not needed */
	if (rc == 0)
		rc = fanout_having_params(fo, &m, fo->plan->having, err, sizeof(err));
	if (rc == SG_ENOTSUP || rc == SG_ERANGE) {
		fanout_destroy(fo);
		return fanout_ext_refuse(c, rc == SG_ENOTSUP ? "0A000" : "08P01", err);
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
