/* client_local.c — what a client in transaction mode is answered without
 * a backend while it has none attached: transaction control before a
 * shard is chosen (BEGIN is held until a statement says which shard the
 * transaction is on; COMMIT/ROLLBACK of a held BEGIN end it here), in the
 * simple and the extended protocol (psycopg 3 and JDBC send BEGIN with
 * Parse/Bind/Execute), and the extended protocol's Sync, Flush and Close
 * when no backend holds anything of the client's. Answering those here
 * keeps them from pulling in a backend, which would start the held
 * transaction on an arbitrary shard. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "proxy.h"
#include "router.h"

int client_txn_local(sg_client_t *c, int kind, const char *sql, const char **tag)
{
	if (c->server != NULL)
		return 0;
	if (kind == SQLK_BEGIN && c->forced_shard < 0) {
		char *held = strdup(sql);
		if (held == NULL)
			return SG_ENOMEM;
		free(c->held_begin);
		c->held_begin = held;
		c->tx_status = 'T';
		*tag = "BEGIN";
		return 1;
	}
	if ((kind == SQLK_COMMIT || kind == SQLK_ROLLBACK) && c->held_begin != NULL) {
		/* A failed transaction ends as PostgreSQL ends it: rolled back. */
		*tag = kind == SQLK_COMMIT && c->tx_status != 'E' ? "COMMIT" : "ROLLBACK";
		free(c->held_begin);
		c->held_begin = NULL;
		c->tx_status = 'I';
		return 1;
	}
	return 0;
}

static bool client_local_ok(const sg_client_t *c)
{
	return c->server == NULL && c->pin_reason == NULL && sg_px->cfg->pool.mode == POOL_MODE_TRANSACTION;
}

/* Could `sql` be transaction control? A cheap look at its first word
 * keeps the router off every other Parse (a comment first: ask it). */
static bool client_local_maybe_txn(const char *sql)
{
	static const char *const words[] = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"};

	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')
		sql++;
	if (sql[0] == '/' || sql[0] == '-')
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		if (strncasecmp(sql, words[i], n) == 0 && !isalnum((unsigned char)sql[n]) && sql[n] != '_')
			return true;
	}
	return false;
}

/* An unnamed Parse of BEGIN/COMMIT/ROLLBACK that is answered here. */
int client_local_parse(sg_client_t *c, const wire_frame_t *f)
{
	router_decision_t d;
	wire_parse_msg_t m;
	int rc;

	if (!client_local_ok(c) || wire_parse_parse(f, &m) != 0 || m.stmt[0] != '\0' || m.nparams != 0 ||
	    !client_local_maybe_txn(m.query))
		return 0;
	if (router_route_query(sg_px->router, m.query, router_now_us(), false, &d) != 0 || d.nstmts != 1)
		return 0;
	if (d.kind != SQLK_BEGIN && !((d.kind == SQLK_COMMIT || d.kind == SQLK_ROLLBACK) && c->held_begin))
		return 0;
	if (d.kind == SQLK_BEGIN && c->forced_shard >= 0)
		return 0;
	rc = client_remember_unnamed(c, &m);
	if (rc != 0)
		return rc;
	c->unnamed_local = (int8_t)d.kind;
	return wire_write_parse_complete(&c->out.pending) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
}

static int client_local_execute(sg_client_t *c)
{
	sql_kind_t kind = (sql_kind_t)c->portal_local;
	const char *tag = NULL;
	int rc = client_txn_local(c, kind, c->unnamed_query ? c->unnamed_query : "BEGIN", &tag);

	c->portal_local = 0;
	if (rc < 0)
		return rc;
	if (rc == 0) /* e.g. COMMIT after the transaction already ended */
		tag = kind == SQLK_COMMIT ? "COMMIT" : kind == SQLK_ROLLBACK ? "ROLLBACK" : "BEGIN";
	return wire_write_command_complete(&c->out.pending, tag) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
}

static int client_local_close(sg_client_t *c, const wire_frame_t *f)
{
	wire_target_msg_t t;

	if (wire_target_parse(f, &t) != 0)
		return SG_EPROTO;
	if (t.kind == 'S' && t.name[0] == '\0')
		client_forget_unnamed(c);
	else if (t.kind == 'S' && sg_px->cfg->pool.mode == POOL_MODE_TRANSACTION)
		sg_pmap_del(&c->pstmts, t.name); /* only our name: backends may share it */
	return wire_write_close_complete(&c->out.pending) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
}

int client_local_extended(sg_client_t *c, const wire_frame_t *f)
{
	wire_target_msg_t t;
	wire_bind_msg_t b;

	if (!client_local_ok(c))
		return 0;
	switch (f->type) {
	case 'B':
		if (c->unnamed_local == 0 || wire_bind_parse(f, &b) != 0 || b.stmt[0] != '\0')
			return 0;
		c->portal_local = c->unnamed_local;
		return wire_write_bind_complete(&c->out.pending) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
	case 'D':
		if (wire_target_parse(f, &t) != 0 || t.name[0] != '\0' ||
		    (t.kind == 'P' ? c->portal_local == 0 : c->unnamed_local == 0))
			return 0;
		if (t.kind == 'S') {
			wbuf_t *out = &c->out.pending;
			size_t mark = wbuf_msg_begin(out, 't'); /* no parameters */
			wbuf_put_i16(out, 0);
			wbuf_msg_end(out, mark);
		}
		return wire_write_no_data(&c->out.pending) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
	case 'E':
		return c->portal_local != 0 ? client_local_execute(c) : 0;
	case 'C':
		return client_local_close(c, f);
	case 'S':
		/* Nothing of this client's is on any backend: nothing to sync. */
		return wire_write_ready(&c->out.pending, c->tx_status) == 0 ? ROUTE_LOCAL : SG_ENOMEM;
	case 'H':
		return ROUTE_LOCAL;
	default:
		return 0;
	}
}
