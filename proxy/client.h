/* client.h — one client connection (application or admin) and its state
 * machine. The proxy's client list owns clients; they are freed in the
 * handle's close callback, never inside their own callbacks. All state
 * changes go through client_set_state(). */
#ifndef SG_CLIENT_H
#define SG_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "outq.h"
#include "paramize.h"
#include "pool.h"
#include "prepared.h"
#include "types.h"
#include "wbuf.h"
#include "wire.h"

typedef enum sg_client_state {
	CL_STARTUP, /* waiting for StartupMessage (or SSL/GSSENC/Cancel request) */
	CL_AUTH,    /* asked for a password or SASL message; waiting for it */
	CL_WELCOME, /* authenticated; waiting for the pool's server parameters */
	CL_IDLE,    /* ready; no server attached */
	CL_WAITING, /* has input to relay; queued for a server (or PAUSEd) */
	CL_ACTIVE,  /* attached to a server, relaying */
	CL_CLOSING, /* uv_close issued; freed in the close callback */
} sg_client_state_t;

struct client_auth;     /* auth.c: exists only while authenticating */
struct client_tx_saved; /* server_session.c: settings to restore on ROLLBACK */

/* A session-level SET/RESET sent in a simple Query or bound over the
 * extended protocol: the client's expected settings change only once the
 * backend accepted it. */
struct client_set {
	struct client_set *next; /* owned: the next one in flight, a later segment or the same */
	int kind;                /* sql_set_kind_t */
	uint32_t seg;            /* the server segment (Query, or batch to Sync) it is in */
	bool failed;
	char name[64];
	char value[512];
};

/* A batch recorded so it can run again (client_replay.c). */
typedef enum client_replay_state {
	REPLAY_OFF,       /* nothing recorded */
	REPLAY_RECORDING, /* copying the batch's messages as they are relayed */
	REPLAY_ARMED,     /* its Sync was relayed; waiting for its ReadyForQuery */
	REPLAY_SWALLOW,   /* its stale error was hidden; hiding up to ReadyForQuery */
} client_replay_state_t;

struct client_replay {
	wbuf_t buf;    /* owned: the recorded messages; freed when the client is idle */
	wbuf_t held;   /* owned: a ParameterDescription held back until the next reply */
	wbuf_t error;  /* owned: the stale error while swallowing, in case it must be sent */
	uint32_t seg;  /* the server segment (Sync) the batch is */
	uint8_t state; /* client_replay_state_t */
	bool visible;  /* something of the batch reached the client */
	bool used;     /* the batch binds or describes a statement */
};

/* A simple Query running as a kept statement (client_simple.c). */
struct client_simple {
	sql_paramized_t p; /* owned while active: its text, for error positions */
	uint32_t seg;      /* the server segment (Sync) it is */
	bool active;
};

struct sg_client {
	union {
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} h;
	uv_stream_t *stream; /* &h.tcp or &h.pipe */
	sg_list_t node;      /* in sg_proxy_t.clients */
	sg_list_t wait_node; /* in sg_pool_t.waiters or the PAUSE list */
	uint64_t id;
	sg_client_state_t state;
	bool admin;
	bool via_unix; /* h.pipe (clients' or admin socket), else h.tcp */

	wbuf_t in;     /* owned; released when empty */
	size_t in_off; /* bytes of `in` already handled, consumed after the scan */
	sg_outq_t out;
	struct client_auth *auth; /* owned while in CL_AUTH */

	char *user;     /* owned */
	char *database; /* owned */
	char addr[80];
	sg_params_t params;               /* session settings the client expects, as SQL text */
	sg_params_t startup;              /* the ones it gave at startup (what RESET ALL restores) */
	struct client_set *pending_set;   /* owned: SETs in flight, oldest first; each applied at its 'Z' */
	struct client_tx_saved *tx_saved; /* owned: from a SET applied inside a transaction to its end */
	int32_t key_pid, key_secret;      /* the BackendKeyData we gave it */

	sg_pool_t *pool;     /* borrowed: where it is attached or waiting */
	sg_server_t *server; /* borrowed while attached */
	sg_pmap_t pstmts;    /* its named prepared statements */

	const char *pin_reason; /* static string; non-NULL keeps the server */
	int forced_shard;       /* SET shardgate.shard, or -1 */
	char *held_begin;       /* owned: a BEGIN not yet sent (no shard chosen yet) */
	char *unnamed_query;    /* owned: the last unnamed Parse, for routing its Binds */
	uint8_t *unnamed_types; /* owned: its parameter type OIDs */
	uint16_t unnamed_ntypes;
	bool unnamed_keep;      /* it may run as a statement kept prepared (sqltext.h) */
	bool unnamed_is_set;    /* it is a SET/RESET/...: tracked at its Bind (sql_is_session_set) */
	bool unnamed_unchecked; /* its Parse was answered here and no batch has used it yet */
	struct client_replay replay;
	struct client_simple simple;
	uint32_t unnamed_gen;        /* bumped by each unnamed Parse */
	sg_pstmt_t *unnamed_st;      /* one reference, or NULL: the unnamed statement runs on backends
	                                as this interned one (pool.cache_unnamed_statements) */
	int8_t unnamed_local;        /* the unnamed statement is BEGIN/COMMIT/ROLLBACK answered here
	                                (its sql_kind_t), 0 otherwise (client_local.c) */
	int8_t portal_local;         /* the unnamed portal is bound to such a statement */
	bool attach_without_begin;   /* the next server_attach leaves a held BEGIN held (the batch
	                                only prepares/describes, or a fan-out leg reads outside it) */
	bool sync_to_server;         /* skipping after an injected error: the Sync goes to the server */
	bool flush_as_sync;          /* the batch only prepares/describes, then waits at a Flush: the
	                                server gets a Sync there instead, so it is released after */
	struct client_bcast *bcast;  /* owned: a statement running on several shards in turn */
	sg_fanout_t *fanout;         /* owned: a statement running on several shards at once */
	int8_t partial_results;      /* SET shardgate.partial_results: 0/1, -1 the config's */
	struct client_copy *copy_in; /* owned: a COPY FROM STDIN being split by key */
	const char *routed_pin;      /* the routed Query's pin reason (static), valid if routed_pin_set */
	bool routed_pin_set;
	char tx_status;       /* last ReadyForQuery status it saw */
	bool skip_until_sync; /* after an error we raised in extended mode */
	bool server_lost;     /* backend died while it held one */
	bool reading;
	bool closing_after_flush; /* close once the output drains */
	bool paused_wait;         /* in sg_proxy_t.paused (PAUSE) */
	bool flush_with_reply;    /* output written here waits for the server's reply to this
	                             batch (one write, one wakeup of the client instead of two) */
	bool login_via_checkout;  /* session mode: greeted once its server is attached */
	uint64_t wait_since_ms;
	uint64_t connected_ms;
};

/* Accepted connection: takes ownership of the new client. */
/* How a client reached us: TCP, the clients' Unix socket, or the admin
 * console (a Unix socket too, but with its own rules). */
typedef enum sg_client_via { SG_VIA_TCP, SG_VIA_UNIX, SG_VIA_ADMIN } sg_client_via_t;
void client_accept(uv_stream_t *listener, sg_client_via_t via);
/* Cancels the statement of the client holding BackendKeyData (pid,
 * secret); see client.c for the return values. */
int sg_client_cancel_key(int32_t pid, int32_t secret, uint64_t requester);
void client_close(sg_client_t *c, const char *why);
void client_set_state(sg_client_t *c, sg_client_state_t st);
const char *client_state_name(sg_client_state_t st);
/* Appends an ErrorResponse; severity FATAL closes after flushing. */
void client_send_error(sg_client_t *c, const char *severity, const char *sqlstate, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int client_flush(sg_client_t *c);
/* Parses and handles what is buffered. */
void client_process(sg_client_t *c);

/* Pool callbacks. */
void client_server_ready(sg_client_t *c, sg_server_t *s);
/* The checkout failed (timeout, backend down): error out the pending
 * request and discard it as PostgreSQL discards until Sync. */
void client_checkout_failed(sg_client_t *c, const char *sqlstate, const char *msg);
/* The pool's welcome parameters became available (or failed). */
void client_welcome_ready(sg_client_t *c, int status, const char *msg);
/* Server callbacks. */
void client_server_released(sg_client_t *c);
/* The attached backend died. `outstanding` Syncs/Queries were unanswered;
 * `unsynced` says an extended-protocol batch had no Sync yet. */
void client_server_died(sg_client_t *c, const char *detail, uint32_t outstanding, bool unsynced);
/* client_relay.c: one message from an application client. Returns 1 when
 * consumed, 2 when the input position was already moved past it (by
 * client_discard_pending), 0 when it must wait (no server yet), < 0 on
 * error. */
int client_relay(sg_client_t *c, const wire_frame_t *f);
/* Drops buffered input from in_off up to and including the next
 * Sync/Query after an error we raised, answering it with ReadyForQuery;
 * without one, skips until the Sync arrives. */
void client_discard_pending(sg_client_t *c);
/* Backpressure from the client's output queue. */
bool client_output_full(const sg_client_t *c);
/* Starts reading again after the server's output queue drained. */
void client_read_resume(sg_client_t *c);

/* Remembers the client's unnamed statement (its Binds are routed by it). */
int client_remember_unnamed(sg_client_t *c, const wire_parse_msg_t *m) SG_WUR;
/* The live client with this id, or NULL. */
sg_client_t *client_find(uint64_t id);
/* Frees the remembered unnamed statement (its server is gone). */
void client_forget_unnamed(sg_client_t *c);
/* client_relay.c: the client's own name for one of its statements as
 * backends know it ("sg_" + 16 hex digits; "" for its unnamed one), or
 * NULL when it has none by that name. */
const char *client_stmt_name(sg_client_t *c, const char *backend_name);
/* A statement as backends know it: its text and parameter types (borrowed),
 * its key in the server's statement set and its backend name. */
typedef struct relay_stmt {
	const char *query;
	uint16_t nparams;
	const uint8_t *types; /* nparams big-endian OIDs */
	uint64_t key;
	char name[20];
} relay_stmt_t;
/* client_relay.c: the key of a statement kept on the client's behalf:
 * the epoch's key (prepared.h) mixed with the digest of the client's
 * parse-relevant settings, so sessions with different search_paths never
 * share one. */
uint64_t client_kept_key(sg_client_t *c, uint64_t epoch_key);
/* Parses r on s (hidden from the client) unless s has it. */
int client_relay_ensure_parsed(sg_server_t *s, const relay_stmt_t *r) SG_WUR;
/* client_simple.c: 1 when the simple Query `sql` went to s as a kept
 * statement (its Sync written, not yet counted), 0 when it must be
 * relayed as it is, < 0 on error. */
int client_simple_try(sg_client_t *c, sg_server_t *s, const char *sql) SG_WUR;
/* The rewritten Query of segment s->seg_done ended. */
void client_simple_done(sg_client_t *c);
/* An error position (its 'P' field) in the rewritten text of the Query in
 * flight on s, as a position in the client's text; 0 when not ours. */
int client_simple_error_pos(const sg_client_t *c, const sg_server_t *s, const char *position);
/* client_relay.c: one message to the attached server, as client_relay
 * would after routing. */
int client_relay_to_server(sg_client_t *c, sg_server_t *s, const wire_frame_t *f) SG_WUR;

/* client_replay.c: a batch whose kept statement went stale runs again. */
/* Starts recording the batch s is about to get, if it could be re-run. */
void client_replay_start(sg_client_t *c, const sg_server_t *s);
/* A message relayed to s while recording. */
void client_replay_record(sg_client_t *c, const sg_server_t *s, const wire_frame_t *f);
/* An ErrorResponse from the server: true when it must be hidden because
 * the batch will run again. */
bool client_replay_on_error(sg_client_t *c, const sg_server_t *s, const wire_frame_t *f, bool stale);
/* A reply to hold back for now (true), released (or dropped, when the
 * batch runs again) by client_replay_release_held with the next one. */
bool client_replay_hold(sg_client_t *c, const wire_frame_t *f);
void client_replay_release_held(sg_client_t *c);
/* A reply from the server reached the client. */
void client_replay_relayed(sg_client_t *c, const wire_frame_t *f);
/* The hidden batch ended with ReadyForQuery `status`: relay it again, or,
 * inside a transaction block, let the client have the error after all
 * (queued ahead of the ReadyForQuery, which the caller relays). */
int client_replay_end(sg_client_t *c, sg_server_t *s, char status) SG_WUR;
int client_replay_run(sg_client_t *c, sg_server_t *s) SG_WUR;
void client_replay_reset(sg_client_t *c);
void client_replay_free(sg_client_t *c);
/* client_route.c: where the next message goes. */
enum {
	ROUTE_WAIT = 0,     /* need more input before deciding */
	ROUTE_FORWARD = 1,  /* forward: to *target (or the attached server when -1) */
	ROUTE_LOCAL = 2,    /* answered here; the message is consumed */
	ROUTE_REPLACED = 3, /* an error was injected on the server in its place; consumed */
	ROUTE_ERROR = 4,    /* (internal) the statement must fail */
	ROUTE_MISMATCH = 5, /* (internal) it needs another shard than the attached one */
	ROUTE_BCAST = 6,    /* (internal) a write for every shard in the decision, one after another */
	ROUTE_CONSUMED = 7, /* handled here, and the input position was already moved past it */
	ROUTE_FANOUT = 8,   /* (internal) for several shards at once (fanout.h) */
};
int client_route_query(sg_client_t *c, const char *sql, int *target);
int client_route_extended(sg_client_t *c, const wire_frame_t *f, int *target);
struct router_decision;
int client_route_decide(sg_client_t *c, const struct router_decision *d, bool simple, int *target, char *msg,
                        size_t msglen);

/* client_local.c: answered without a backend while none is attached. */
/* Transaction control before a shard is chosen: 1 and the tag when
 * answered here, 0 when not for here, < 0 on error. */
int client_txn_local(sg_client_t *c, int kind, const char *sql, const char **tag); /* kind: sql_kind_t */
/* An unnamed Parse of such a statement: ROUTE_LOCAL, 0 (not for here), < 0. */
int client_local_parse(sg_client_t *c, const wire_frame_t *f);
/* Bind/Describe/Execute of it, and Sync/Flush/Close with no backend. */
int client_local_extended(sg_client_t *c, const wire_frame_t *f);

/* client_bcast.c: the same statement on several shards, one after another. */
/* split: NULL to run `sql` everywhere, or per-shard texts; payload: COPY
 * data per shard for a split COPY (both taken over; may be NULL). */
/* gather: each shard has its own rows (split INSERT, multi-shard SELECT,
 * UPDATE/DELETE): relay them under one RowDescription and add the counts;
 * otherwise (DDL, replicated writes) one copy's count and no rows. */
int client_bcast_start(sg_client_t *c, const char *sql, uint64_t shards, char **split, wbuf_t **payload,
                       bool gather);
void client_bcast_next(sg_client_t *c);
void client_bcast_send(sg_client_t *c);
int client_bcast_reply(sg_client_t *c, const wire_frame_t *f);
void client_bcast_fail(sg_client_t *c, const char *sqlstate, const char *msg);
void client_bcast_free(sg_client_t *c);
/* client_copy.c: COPY FROM STDIN into a sharded table, split by key. */
int client_copy_start(sg_client_t *c, const char *sql);
int client_copy_msg(sg_client_t *c, const wire_frame_t *f);
void client_copy_free(sg_client_t *c);

/* auth.c */
int client_auth_start(sg_client_t *c) SG_WUR;
int client_auth_message(sg_client_t *c, const wire_frame_t *f) SG_WUR;
void client_auth_free(sg_client_t *c);
/* login completion: AuthenticationOk, ParameterStatus, BackendKeyData, 'Z' */
int client_send_welcome(sg_client_t *c) SG_WUR;

/* admin.c: one command from an admin client's Query message. */
int admin_query(sg_client_t *c, const char *sql) SG_WUR;

#endif
