/* client_replay.c — re-running a batch whose statement went stale.
 *
 * With pool.cache_unnamed_statements an unnamed Parse may be answered here
 * from a statement kept prepared on the backend. If the schema changed
 * behind shardgate's back (DDL run directly on the shard), PostgreSQL
 * refuses to run that statement once its result columns changed: 0A000
 * "cached plan must not change result type". The client parsed its
 * statement after the change and would never have seen that error from
 * PostgreSQL, so the error is ours to hide: the batch (the client's
 * messages after the Parse, up to and including its Sync) is recorded as
 * it is relayed, and when the kept statement's first use fails that way,
 * the error and its ReadyForQuery are swallowed and the batch is relayed
 * again, now with a freshly parsed statement (the error moved the process
 * to a new statement epoch, prepared.h).
 *
 * Only when that is exactly what PostgreSQL would have done:
 *  - the batch began outside a transaction block (the error only ended the
 *    batch's implicit transaction; nothing of it was committed),
 *  - nothing of the batch reached the client before the error,
 *  - the batch is forwarded as it came (no message answered here, no other
 *    Parse or Close in it, no use of the client's own named statements,
 *    which fail as PostgreSQL makes them fail),
 *  - once per batch.
 * Otherwise the error reaches the client as PostgreSQL would send it for a
 * statement prepared before the change. The recording is freed when the
 * client goes idle, so idle clients keep no buffer. */
#include <string.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "server.h"

#define REPLAY_MAX_BYTES (64u << 10) /* larger batches are not recorded */

void client_replay_reset(sg_client_t *c)
{
	c->replay.state = REPLAY_OFF;
	c->replay.visible = false;
	c->replay.used = false;
	wbuf_reset(&c->replay.buf);
}

void client_replay_free(sg_client_t *c)
{
	client_replay_reset(c);
	wbuf_free(&c->replay.buf);
	wbuf_free(&c->replay.held);
	wbuf_free(&c->replay.error);
}

/* Nothing is in flight on s and its session is outside a transaction
 * block, and no BEGIN of the client's is held back to be sent first. */
static bool replay_possible(const sg_client_t *c, const sg_server_t *s)
{
	/* Not while attaching (SV_SETUP): a held BEGIN may be on its way. */
	return s->state == SV_ACTIVE && s->ops_len == 0 && s->seg_done == s->seg_sent &&
	       s->tx_status == 'I' && c->held_begin == NULL && !c->attach_without_begin;
}

void client_replay_start(sg_client_t *c, const sg_server_t *s)
{
	if (!replay_possible(c, s))
		return; /* nor can an earlier batch's recording be pending */
	client_replay_reset(c);
	c->replay.state = REPLAY_RECORDING;
}

/* Does f (a Bind or Describe) use one of the client's named statements?
 * Those are the client's own: a stale one fails as PostgreSQL makes it
 * fail, so a batch that uses one is not re-run. */
static bool uses_named_statement(const wire_frame_t *f)
{
	wire_bind_msg_t b;
	wire_target_msg_t t;

	if (f->type == 'B')
		return wire_bind_parse(f, &b) != 0 || b.stmt[0] != '\0';
	return wire_target_parse(f, &t) != 0 || (t.kind == 'S' && t.name[0] != '\0');
}

void client_replay_record(sg_client_t *c, const sg_server_t *s, const wire_frame_t *f)
{
	switch (f->type) {
	case 'P':
		/* The Parse answered here that started the recording is not
		 * part of what is re-run; any other Parse ends it. */
		if (c->replay.buf.len > 0)
			client_replay_reset(c);
		return;
	case 'B':
	case 'D':
		if (uses_named_statement(f)) {
			client_replay_reset(c);
			return;
		}
		c->replay.used = true;
		break;
	case 'E':
	case 'H':
	case 'S':
		break;
	case 'Q':
		/* A simple Query run as a kept statement: a batch of its own. */
		if (c->replay.buf.len > 0) {
			client_replay_reset(c);
			return;
		}
		c->replay.used = true;
		break;
	default:
		client_replay_reset(c);
		return;
	}
	if (c->replay.buf.len + f->total_len > REPLAY_MAX_BYTES) {
		client_replay_reset(c);
		return;
	}
	wbuf_put(&c->replay.buf, f->body - 5, f->total_len);
	if (wbuf_status(&c->replay.buf) != 0) {
		client_replay_reset(c);
		return;
	}
	if (f->type == 'S' || f->type == 'Q') {
		c->replay.state = REPLAY_ARMED;
		c->replay.seg = s->seg_sent - 1; /* relaying the Sync counted it */
	}
}

bool client_replay_on_error(sg_client_t *c, const sg_server_t *s, const wire_frame_t *f, bool stale)
{
	if (c->replay.state != REPLAY_ARMED || !stale || c->replay.visible || s->seg_done != c->replay.seg) {
		client_replay_reset(c);
		return false;
	}
	/* Kept in case the batch turns out not to be re-runnable after all
	 * (its ReadyForQuery shows a transaction block). */
	wbuf_reset(&c->replay.error);
	wbuf_put(&c->replay.error, f->body - 5, f->total_len);
	if (wbuf_status(&c->replay.error) != 0) {
		wbuf_free(&c->replay.error);
		client_replay_reset(c);
		return false;
	}
	c->replay.state = REPLAY_SWALLOW;
	return true;
}

int client_replay_end(sg_client_t *c, sg_server_t *s, char status)
{
	if (status == 'I') {
		wbuf_free(&c->replay.held);
		wbuf_free(&c->replay.error);
		return client_replay_run(c, s);
	}
	/* Inside a transaction block after all: the error stands. */
	log_client(c, LOG_WARN,
	           "a kept statement's result type changed behind shardgate inside a transaction; "
	           "the error reaches the client");
	c->replay.state = REPLAY_OFF;
	client_replay_release_held(c);
	wbuf_put(&c->out.pending, c->replay.error.data, c->replay.error.len);
	wbuf_free(&c->replay.error);
	client_replay_reset(c);
	return 0;
}

bool client_replay_hold(sg_client_t *c, const wire_frame_t *f)
{
	/* A Describe of the statement answers ParameterDescription before
	 * PostgreSQL revalidates it for the RowDescription: keep it back until
	 * the next reply shows whether the batch runs again. */
	if (c->replay.state != REPLAY_ARMED || c->replay.visible || f->type != 't' || c->replay.held.len > 0)
		return false;
	wbuf_put(&c->replay.held, f->body - 5, f->total_len);
	if (wbuf_status(&c->replay.held) != 0) {
		wbuf_free(&c->replay.held);
		return false;
	}
	return true;
}

void client_replay_release_held(sg_client_t *c)
{
	/* While swallowing, the batch's fate is open: client_replay_end decides. */
	if (c->replay.held.len == 0 || c->replay.state == REPLAY_SWALLOW)
		return;
	wbuf_put(&c->out.pending, c->replay.held.data, c->replay.held.len);
	wbuf_free(&c->replay.held);
}

void client_replay_relayed(sg_client_t *c, const wire_frame_t *f)
{
	if (c->replay.state == REPLAY_ARMED && f->type == 'Z') {
		/* The batch ran: the kept statement it used is known good. */
		if (c->replay.used)
			c->unnamed_unchecked = false;
		client_replay_reset(c);
		return;
	}
	if (c->replay.state == REPLAY_RECORDING || c->replay.state == REPLAY_ARMED)
		c->replay.visible = true;
}

int client_replay_run(sg_client_t *c, sg_server_t *s)
{
	uint32_t max = sg_px->cfg->listen.max_message_size;
	wbuf_t batch = c->replay.buf;
	wire_frame_t f;
	size_t off = 0;
	int err = 0;

	/* The recording is taken out first: relaying it again must not
	 * record it a second time (once per batch). */
	wbuf_init(&c->replay.buf);
	client_replay_reset(c);
	c->unnamed_unchecked = false; /* parsed afresh by the re-run */
	sg_px->stats.batches_replayed++;
	log_client(c, LOG_INFO,
	           "a kept statement's result type changed behind shardgate; "
	           "the batch runs again with the statement parsed afresh");
	while (err == 0 && wire_frame_read(batch.data + off, batch.len - off, max, &f) == 0) {
		err = client_relay_to_server(c, s, &f);
		off += f.total_len;
	}
	wbuf_free(&batch);
	return err != 0 ? err : server_flush(s);
}
