/* client_copy.c — COPY ... FROM STDIN into a sharded table, split by key.
 *
 * shardgate answers the client's COPY itself (CopyInResponse), reads its
 * rows, finds each row's shard from its key field, and buffers the rows
 * per shard (bounded by COPY_SPLIT_MAX bytes in all). At CopyDone each
 * shard runs the same COPY with its own rows, one after another (the
 * client_bcast machinery), and the client gets one "COPY n" with the
 * total. Rows are buffered, not streamed: streaming to every shard at
 * once comes with the scatter-gather executor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "client.h"
#include "log.h"
#include "proxy.h"
#include "router.h"

#define COPY_SPLIT_MAX (256u << 20)

struct client_copy {
	int table;
	int keycol;
	bool csv, header, failed, header_seen;
	char delim, quote, escape;
	char *sql;
	wbuf_t partial;     /* an incomplete row carried over between messages */
	wbuf_t header_line; /* csv HEADER: every shard's COPY expects one */
	wbuf_t rows[ROUTE_MAX_SHARDS];
	uint64_t shards;
	size_t total;
	char sqlstate[6];
	char msg[300];
};

void client_copy_free(sg_client_t *c)
{
	struct client_copy *cp = c->copy_in;
	int i;

	if (cp == NULL)
		return;
	for (i = 0; i < ROUTE_MAX_SHARDS; i++)
		wbuf_free(&cp->rows[i]);
	wbuf_free(&cp->partial);
	wbuf_free(&cp->header_line);
	free(cp->sql);
	free(cp);
	c->copy_in = NULL;
}

static void copy_fail(struct client_copy *cp, const char *sqlstate, const char *fmt, const char *arg)
{
	if (cp->failed)
		return;
	cp->failed = true;
	snprintf(cp->sqlstate, sizeof(cp->sqlstate), "%s", sqlstate);
	snprintf(cp->msg, sizeof(cp->msg), fmt, arg);
}

/* The key field of one row (without its line end), de-escaped into out.
 * Returns 1 with *is_null for SQL NULL, 0 found, -1 malformed/missing. */
static int copy_key_field(const struct client_copy *cp, const char *row, size_t len, wbuf_t *out,
                          bool *is_null)
{
	size_t i = 0;
	int col = 0;

	*is_null = false;
	while (col < cp->keycol) { /* skip fields before the key */
		bool inq = false;
		for (; i < len; i++) {
			if (cp->csv && row[i] == cp->quote)
				inq = !inq;
			else if (!cp->csv && row[i] == '\\')
				i++;
			else if (!inq && row[i] == cp->delim)
				break;
		}
		if (i >= len)
			return -1;
		i++;
		col++;
	}
	if (cp->csv) {
		bool quoted = i < len && row[i] == cp->quote;
		if (!quoted && (i == len || row[i] == cp->delim)) {
			*is_null = true; /* an unquoted empty field is NULL in csv */
			return 1;
		}
		for (i += quoted; i < len; i++) {
			if (quoted && row[i] == cp->escape && i + 1 < len && row[i + 1] == cp->quote) {
				wbuf_put_u8(out, (uint8_t)cp->quote);
				i++;
			} else if (quoted && row[i] == cp->quote) {
				break;
			} else if (!quoted && row[i] == cp->delim) {
				break;
			} else {
				wbuf_put_u8(out, (uint8_t)row[i]);
			}
		}
		return 0;
	}
	if (len - i >= 2 && row[i] == '\\' && row[i + 1] == 'N' &&
	    (i + 2 == len || row[i + 2] == cp->delim)) {
		*is_null = true;
		return 1;
	}
	for (; i < len && row[i] != cp->delim; i++) {
		char ch = row[i];
		if (ch == '\\' && i + 1 < len) {
			ch = row[++i];
			ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch == 'r' ? '\r' : ch;
		}
		wbuf_put_u8(out, (uint8_t)ch);
	}
	return 0;
}

/* Routes and buffers one complete row (line end included). */
static void copy_row(sg_client_t *c, const char *row, size_t len)
{
	struct client_copy *cp = c->copy_in;
	size_t body = len;
	bool is_null;
	wbuf_t key;
	int shard, rc;

	while (body > 0 && (row[body - 1] == '\n' || row[body - 1] == '\r'))
		body--;
	if (cp->failed || (!cp->csv && body == 2 && row[0] == '\\' && row[1] == '.'))
		return;
	if (cp->header && !cp->header_seen) {
		cp->header_seen = true;
		wbuf_put(&cp->header_line, row, len);
		return;
	}
	wbuf_init(&key);
	rc = copy_key_field(cp, row, body, &key, &is_null);
	wbuf_put_u8(&key, 0);
	if (rc < 0 || key.oom) {
		wbuf_free(&key);
		copy_fail(cp, "22P04", "COPY row has no %s field", sg_px->cfg->tables[cp->table].column);
		return;
	}
	shard = route_copy_row_shard(sg_px->router->map, cp->table, is_null ? NULL : (const char *)key.data,
	                             is_null ? 0 : key.len - 1);
	if (shard < 0 || shard >= ROUTE_MAX_SHARDS) {
		copy_fail(cp, shard == SG_ENOENT ? "22023" : "22P02",
		          "COPY row's key \"%.100s\" cannot be routed",
		          is_null ? "NULL" : (const char *)key.data);
		wbuf_free(&key);
		return;
	}
	wbuf_free(&key);
	cp->total += len;
	if (cp->total > COPY_SPLIT_MAX) {
		copy_fail(
		        cp, "54000", "%s",
		        "COPY into a sharded table buffers its rows: more than 256 MB is not supported yet");
		return;
	}
	if (cp->csv && cp->header && cp->rows[shard].len == 0)
		wbuf_put(&cp->rows[shard], cp->header_line.data, cp->header_line.len);
	wbuf_put(&cp->rows[shard], row, len);
	cp->shards |= UINT64_C(1) << shard;
	if (cp->rows[shard].oom)
		copy_fail(cp, "53200", "%s", "out of memory buffering COPY rows");
}

/* Splits what arrived into complete rows (csv rows may hold quoted line
 * breaks); keeps an incomplete tail for the next message. */
static void copy_data(sg_client_t *c, const uint8_t *p, size_t n, bool last)
{
	struct client_copy *cp = c->copy_in;
	const char *buf;
	size_t start = 0, i, len;
	bool inq = false;

	if (cp->failed) {
		wbuf_reset(&cp->partial); /* consume the rest, answer at CopyDone */
		return;
	}
	wbuf_put(&cp->partial, p, n);
	if (cp->partial.len > COPY_SPLIT_MAX || cp->partial.oom) {
		copy_fail(cp, "54000", "%s", "a COPY row longer than 256 MB");
		wbuf_reset(&cp->partial);
		return;
	}
	buf = (const char *)cp->partial.data;
	len = cp->partial.len;
	for (i = 0; i < len; i++) {
		if (cp->csv && buf[i] == cp->quote)
			inq = !inq;
		else if (!cp->csv && buf[i] == '\\' && i + 1 < len)
			i++;
		else if (buf[i] == '\n' && !inq) {
			copy_row(c, buf + start, i + 1 - start);
			start = i + 1;
		}
	}
	if (last && start < len) {
		wbuf_put_u8(&cp->partial, '\n'); /* a last row without its line end */
		buf = (const char *)cp->partial.data;
		copy_row(c, buf + start, cp->partial.len - start);
		start = cp->partial.len;
	}
	wbuf_consume(&cp->partial, start);
}

static int copy_finish(sg_client_t *c)
{
	struct client_copy *cp = c->copy_in;
	wbuf_t *payload[ROUTE_MAX_SHARDS] = {0};
	uint64_t shards = cp->shards;
	char *sql;
	int i, rc;

	if (cp->failed) {
		client_send_error(c, "ERROR", cp->sqlstate, "%s", cp->msg);
		client_copy_free(c);
		return wire_write_ready(&c->out.pending, c->tx_status);
	}
	if (shards == 0) {
		client_copy_free(c);
		(void)wire_write_command_complete(&c->out.pending, "COPY 0");
		return wire_write_ready(&c->out.pending, c->tx_status);
	}
	for (i = 0; i < ROUTE_MAX_SHARDS; i++) {
		if (!(shards & (UINT64_C(1) << i)))
			continue;
		payload[i] = malloc(sizeof(wbuf_t));
		if (payload[i] == NULL)
			goto oom;
		*payload[i] = cp->rows[i]; /* handed over */
		wbuf_init(&cp->rows[i]);
	}
	sql = cp->sql;
	cp->sql = NULL;
	client_copy_free(c);
	/* The bcast takes the payloads over, also when it fails. */
	rc = client_bcast_start(c, sql, shards, NULL, payload, true);
	free(sql);
	return rc < 0 ? rc : 0;
oom:
	for (i = 0; i < ROUTE_MAX_SHARDS; i++)
		if (payload[i] != NULL) {
			wbuf_free(payload[i]);
			free(payload[i]);
		}
	client_copy_free(c);
	return SG_ENOMEM;
}

int client_copy_msg(sg_client_t *c, const wire_frame_t *f)
{
	switch (f->type) {
	case 'd':
		copy_data(c, f->body, f->body_len, false);
		return 1;
	case 'c':
		copy_data(c, NULL, 0, true);
		return copy_finish(c) == 0 ? 1 : SG_ENOMEM;
	case 'f':
		client_send_error(c, "ERROR", "57014", "COPY from stdin failed: %.*s", (int)f->body_len,
		                  f->body);
		client_copy_free(c);
		return wire_write_ready(&c->out.pending, c->tx_status) == 0 ? 1 : SG_ENOMEM;
	case 'H':
	case 'S':
		return 1; /* ignored during COPY, as PostgreSQL does */
	default:
		client_send_error(c, "FATAL", "08P01", "unexpected message type '%c' during COPY", f->type);
		return 1;
	}
}

/* Starts a split COPY for a COPY ... FROM STDIN whose rows need several
 * shards. Returns ROUTE_LOCAL (answered: CopyInResponse or an error). */
int client_copy_start(sg_client_t *c, const char *sql)
{
	struct client_copy *cp;
	const sql_stmt_t *st;
	sg_plan_t *plan;
	char why[192] = "";
	int i, rc = ROUTE_LOCAL;

	plan = router_plan_text(sg_px->router, sql);
	if (plan == NULL)
		return SG_ENOMEM;
	st = plan->a.nstmts == 1 ? &plan->a.stmts[0] : NULL;
	if (st == NULL || st->kind != SQLK_COPY_FROM || st->nrefs != 1) {
		client_send_error(c, "ERROR", "0A000", "this COPY cannot be split across shards");
		goto answered;
	}
	if (!st->copy_binary && st->copy_key_column == -1 && st->copy_ncolumns == 0 &&
	    sg_px->cfg->tables[st->refs[0].table].column != NULL &&
	    !router_layout_failed(sg_px->router, st->refs[0].table, router_now_us(), why, sizeof(why))) {
		/* No column list: the key's place is the table's own order. */
		rc = catalog_wait_layout(c, st->refs[0].table);
		router_plan_free(plan);
		return rc != 0 ? rc : ROUTE_WAIT;
	}
	if (st->copy_binary || st->copy_key_column < 0) {
		client_send_error(
		        c, "ERROR", "0A000",
		        "COPY into sharded table %s needs text or csv format and %s among its columns%s%s",
		        sg_px->cfg->tables[st->refs[0].table].name,
		        sg_px->cfg->tables[st->refs[0].table].column,
		        why[0] ? "; its column order could not be read: " : "", why);
		goto answered;
	}
	cp = calloc(1, sizeof(*cp));
	if (cp == NULL || (cp->sql = strdup(sql)) == NULL) {
		free(cp);
		rc = SG_ENOMEM;
		goto out;
	}
	cp->table = st->refs[0].table;
	cp->keycol = st->copy_key_column;
	cp->csv = st->copy_csv;
	cp->header = st->copy_header;
	cp->delim = st->copy_delimiter ? st->copy_delimiter : (st->copy_csv ? ',' : '\t');
	cp->quote = st->copy_quote ? st->copy_quote : '"';
	cp->escape = st->copy_escape ? st->copy_escape : cp->quote;
	c->copy_in = cp;
	/* CopyInResponse: text format, one (text) format per column. */
	{
		size_t mark = wbuf_msg_begin(&c->out.pending, 'G');
		wbuf_put_u8(&c->out.pending, 0);
		wbuf_put_i16(&c->out.pending, (int16_t)st->copy_ncolumns);
		for (i = 0; i < st->copy_ncolumns; i++)
			wbuf_put_i16(&c->out.pending, 0);
		wbuf_msg_end(&c->out.pending, mark);
	}
	goto out;
answered:
	(void)wire_write_ready(&c->out.pending, c->tx_status);
out:
	router_plan_free(plan);
	return rc;
}
