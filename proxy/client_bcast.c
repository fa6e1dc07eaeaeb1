/* client_bcast.c — one statement run on several shards in turn.
 *
 * Two ways to answer, chosen at start:
 * - broadcast (DDL, writes to replicated tables): the same rows are on
 *   every shard, so the client gets one copy's CommandComplete and no rows;
 * - gather (split INSERT/COPY, plain SELECT over several shards,
 *   UPDATE/DELETE without the key): each shard has its own rows, which are
 *   relayed as they come under the first shard's RowDescription (all must
 *   agree), and the counts add up.
 * Shards run one after another; the first error stops the rest and is
 * reported with the shard named (and where it was already applied).
 * Only outside a transaction: inside one it would be a cross-shard
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "server.h"
#include "sqltext.h"

struct client_bcast {
	char *sql;           /* owned copy of the statement (broadcast) */
	char *sqls[64];      /* owned per-shard statements (split INSERT), NULL: use sql */
	bool split;          /* gather: counts add up and rows are relayed */
	bool sent_desc;      /* RowDescription already relayed */
	wbuf_t desc;         /* that RowDescription: every shard must send the same */
	wbuf_t *payload[64]; /* owned: COPY data per shard, sent after its CopyInResponse */
	uint64_t pending;    /* shards still to run */
	uint64_t applied;    /* shards where it succeeded */
	int current;
	uint64_t rows; /* gather: the sum of the counts; broadcast: the largest */
	bool counted;  /* the tag carried a row count */
	char verb[32]; /* CommandComplete verb, e.g. "CREATE TABLE", "INSERT" */
	bool failed;
	char sqlstate[6];
	char msg[512];
	int failed_shard;
};

void client_bcast_free(sg_client_t *c)
{
	if (c->bcast == NULL)
		return;
	for (int i = 0; i < 64; i++) {
		free(c->bcast->sqls[i]);
		if (c->bcast->payload[i] != NULL)
			wbuf_free(c->bcast->payload[i]);
		free(c->bcast->payload[i]);
	}
	wbuf_free(&c->bcast->desc);
	free(c->bcast->sql);
	free(c->bcast);
	c->bcast = NULL;
}

static void bcast_finish(sg_client_t *c)
{
	struct client_bcast *b = c->bcast;
	char tag[96], detail[512], applied[256];

	if (b->failed) {
		sg_proxy_shard_list(b->applied, applied, sizeof(applied));
		snprintf(detail, sizeof(detail), "on shard %s%s%s%s", sg_proxy_shard_name(b->failed_shard),
		         b->applied ? "; already applied on " : "", applied,
		         b->pending ? "; not run on the remaining shards" : "");
		(void)wire_write_error(&c->out.pending, "ERROR", b->sqlstate, b->msg, detail);
		log_client(c, LOG_INFO, "broadcast failed shard=%s sqlstate=%s",
		           sg_proxy_shard_name(b->failed_shard), b->sqlstate);
	} else {
		if (strcmp(b->verb, "INSERT") == 0)
			snprintf(tag, sizeof(tag), "INSERT 0 %llu", (unsigned long long)b->rows);
		else if (b->counted)
			snprintf(tag, sizeof(tag), "%s %llu", b->verb, (unsigned long long)b->rows);
		else
			snprintf(tag, sizeof(tag), "%s", b->verb);
		(void)wire_write_command_complete(&c->out.pending, tag);
	}
	(void)wire_write_ready(&c->out.pending, c->tx_status);
	client_bcast_free(c);
	client_set_state(c, CL_IDLE);
	if (client_flush(c) == 0 && c->in.len > c->in_off)
		client_process(c);
}

void client_bcast_fail(sg_client_t *c, const char *sqlstate, const char *msg)
{
	struct client_bcast *b = c->bcast;

	if (!b->failed) {
		b->failed = true;
		b->failed_shard = b->current;
		snprintf(b->sqlstate, sizeof(b->sqlstate), "%s", sqlstate);
		snprintf(b->msg, sizeof(b->msg), "%s", msg);
	}
	if (c->server == NULL)
		bcast_finish(c);
}

void client_bcast_send(sg_client_t *c)
{
	sg_server_t *s = c->server;

	const char *sql =
	        c->bcast->sqls[c->bcast->current] ? c->bcast->sqls[c->bcast->current] : c->bcast->sql;

	if (wire_write_query(&s->out.pending, sql) != 0) {
		client_close(c, "out of memory");
		return;
	}
	if (sql_changes_schema(sql))
		s->schema_change = true; /* kept statements and column orders are renewed (server.c) */
	s->seg_sent++;
	sg_px->stats.queries++;
	if (server_flush(s) != 0)
		server_close(s, "write failed"); /* reported back through client_server_died */
}

void client_bcast_next(sg_client_t *c)
{
	struct client_bcast *b = c->bcast;
	sg_pool_t *pool;
	sg_server_t *s;
	int i;

	if (b->failed || b->pending == 0) {
		bcast_finish(c);
		return;
	}
	for (i = 0; !(b->pending & (UINT64_C(1) << i)); i++)
		;
	b->pending &= ~(UINT64_C(1) << i);
	b->current = i;
	pool = sg_proxy_pool(sg_px, i);
	if (pool == NULL) {
		client_bcast_fail(c, "08006", "no pool for the shard");
		return;
	}
	c->pool = pool;
	s = sg_pool_checkout(pool, c);
	if (s == NULL) {
		client_set_state(c, CL_WAITING); /* client_server_ready resumes */
		return;
	}
	c->server = s;
	if (server_attach(s, c) != 0) {
		client_close(c, "out of memory");
		return;
	}
	client_set_state(c, CL_ACTIVE);
	client_bcast_send(c);
}

/* After the shard's CopyInResponse: its rows, then CopyDone. */
static int bcast_send_payload(sg_client_t *c)
{
	struct client_bcast *b = c->bcast;
	wbuf_t *data = b->payload[b->current];
	wbuf_t *out = &c->server->out.pending;
	size_t off, n;

	for (off = 0; data != NULL && off < data->len; off += n) {
		n = data->len - off < 65536 ? data->len - off : 65536;
		size_t mark = wbuf_msg_begin(out, 'd');
		wbuf_put(out, data->data + off, n);
		wbuf_msg_end(out, mark);
	}
	wbuf_msg_end(out, wbuf_msg_begin(out, 'c'));
	if (wbuf_status(out) != 0)
		return SG_ENOMEM;
	if (server_flush(c->server) != 0)
		return SG_EIO;
	return 0;
}

int client_bcast_start(sg_client_t *c, const char *sql, uint64_t shards, char **split, wbuf_t **payload,
                       bool gather)
{
	struct client_bcast *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->sql = strdup(sql)) == NULL) {
		free(b);
		return SG_ENOMEM;
	}
	if (split != NULL) {
		memcpy(b->sqls, split, sizeof(b->sqls)); /* takes them over */
		b->split = true;
	}
	if (payload != NULL) {
		memcpy(b->payload, payload, sizeof(b->payload)); /* takes them over */
		b->split = true;                                 /* each shard's count is its own rows */
	}
	if (gather)
		b->split = true; /* distinct rows per shard: relay them, add the counts */
	b->pending = shards;
	b->current = -1;
	b->failed_shard = -1;
	c->bcast = b;
	log_client(c, LOG_DEBUG, "broadcast to %d shards", __builtin_popcountll(shards));
	client_bcast_next(c);
	return ROUTE_LOCAL;
}

/* A reply from the shard running the statement now. */
int client_bcast_reply(sg_client_t *c, const wire_frame_t *f)
{
	struct client_bcast *b = c->bcast;
	const char *tag, *sp;
	wire_error_t e;
	size_t n;

	switch (f->type) {
	case 'C':
		if (wire_command_complete_parse(f, &tag) != 0)
			return SG_EPROTO;
		sp = strrchr(tag, ' ');
		if (sp != NULL && sp[1] >= '0' && sp[1] <= '9') {
			uint64_t n_rows = strtoull(sp + 1, NULL, 10);
			if (b->split)
				b->rows += n_rows;
			else if (n_rows > b->rows)
				b->rows = n_rows;
			b->counted = true;
			n = (size_t)(sp - tag);
			if (strncmp(tag, "INSERT 0", 8) == 0)
				n = 6;
		} else {
			n = strlen(tag);
		}
		snprintf(b->verb, sizeof(b->verb), "%.*s", (int)n, tag);
		b->applied |= UINT64_C(1) << b->current;
		return 0;
	case 'E':
		if (wire_error_parse(f, &e) == 0 && !b->failed) {
			b->applied &= ~(UINT64_C(1) << b->current);
			client_bcast_fail(c, e.sqlstate ? e.sqlstate : "XX000",
			                  e.message ? e.message : "error");
		}
		return 0;
	case 'G':
		/* The shard waits for COPY data: ours, if this is a split COPY. */
		return b->payload[b->current] != NULL ? bcast_send_payload(c) : SG_EPROTO;
	case 'T':
		/* One description for all: the first shard's, and every other
		 * shard must agree (else the rows could not be one result). */
		if (!b->split)
			return 0;
		if (!b->sent_desc) {
			wbuf_put(&c->out.pending, f->body - 5, f->total_len);
			wbuf_put(&b->desc, f->body - 5, f->total_len);
			b->sent_desc = true;
		} else if (b->desc.len != f->total_len ||
		           memcmp(b->desc.data, f->body - 5, f->total_len) != 0) {
			client_bcast_fail(c, "XX000",
			                  "shards returned different row descriptions for the same query");
		}
		return 0;
	case 'D':
		if (b->split && !b->failed)
			wbuf_put(&c->out.pending, f->body - 5, f->total_len);
		return 0;
	default:
		return 0; /* notices, ReadyForQuery: bookkeeping is the server's */
	}
}
