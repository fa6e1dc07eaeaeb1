/* fanout.h — scatter-gather: one statement on several shards at once.
 *
 * A client's fan-out owns one leg per target shard. Each leg checks out
 * its own backend connection (in shard order, so two fan-outs waiting for
 * each other's pools cannot deadlock), sends the shard statement with the
 * extended protocol (Parse/Bind/Describe/Execute/Sync: the client's Bind
 * parameters travel unchanged) and hands its replies to the merge:
 * CONCAT relays rows as they come, SORTED merges the sorted streams with
 * a heap, GROUPED folds partial aggregates (proxy/merge.h). A leg releases
 * its connection as soon as its shard is done; latency is the slowest
 * shard's. A shard error, a client cancel, LIMIT reached or
 * fanout.timeout cancels the other legs (CancelRequest); their connections
 * are then closed rather than reused, since a late cancel could hit the
 * next client's query.
 *
 * The client is CL_WAITING while a leg waits for a connection, CL_ACTIVE
 * while legs run (c->server stays NULL); its further input waits until the
 * statement is answered. The fan-out is owned by the client (c->fanout). */
#ifndef SG_FANOUT_H
#define SG_FANOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"
#include "types.h"
#include "wire.h"

/* Simple Query `sql` (one SELECT, or UPDATE/DELETE when allowed) on
 * `shards`. Answers with rows or an error and ReadyForQuery. Returns
 * ROUTE_LOCAL (the Query is consumed) or SG_ENOMEM. */
int fanout_start_query(sg_client_t *c, const char *sql, sql_kind_t kind, uint64_t shards);
/* Extended protocol: `bind` (at c->in_off) binds statement text `query`
 * (param types `types`, ntypes OIDs as 4-byte big-endian). Consumes the
 * Bind and the Describe(portal)/Flush/Execute after it (and the Sync right
 * after the Execute, answered once done). Returns 2 (consumed, in_off
 * moved), 0 when the Execute has not arrived yet, or < 0. */
int fanout_start_bind(sg_client_t *c, const wire_frame_t *bind, const char *query, uint16_t ntypes,
                      const uint8_t *types, sql_kind_t kind, uint64_t shards);
/* A Parse whose statement fans out at its Bind: recorded and answered
 * here (no backend needs it yet). Returns ROUTE_LOCAL or < 0. */
int fanout_parse_local(sg_client_t *c, const wire_frame_t *parse);

/* Pool and server hooks (the client has c->fanout). */
void fanout_server_ready(sg_client_t *c, sg_server_t *s);
void fanout_checkout_failed(sg_client_t *c, const char *sqlstate, const char *msg);
/* s (a leg's server) is closing: the leg lost its shard. */
void fanout_server_lost(sg_client_t *c, sg_server_t *s, const char *why);
/* One reply on a leg's server, from server_process (never flushes or
 * closes anything). */
int fanout_server_msg(sg_server_t *s, const wire_frame_t *f) SG_WUR;
/* After a read on a leg's server was processed: flush, release, merge. */
void fanout_after_read(sg_server_t *s);
/* The client's output queue drained. */
void fanout_output_drained(sg_client_t *c);
/* CancelRequest from the client. */
void fanout_cancel(sg_client_t *c);
/* The client is closing: legs are cancelled and their servers closed. */
void fanout_abort(sg_client_t *c);
/* Frees the cached merge plans (at exit; none may be in use). */
void fanout_plans_free(void);

#endif
