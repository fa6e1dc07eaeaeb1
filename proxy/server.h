/* server.h — one backend connection and its state machine.
 *
 * The pool owns servers; a client borrows one while attached. All state
 * changes go through server_set_state(). */
#ifndef SG_SERVER_H
#define SG_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "outq.h"
#include "pool.h"
#include "prepared.h"
#include "scram.h"
#include "types.h"
#include "wbuf.h"
#include "wire.h"

typedef enum sg_server_state {
	SV_CONNECTING, /* TCP connect in flight */
	SV_LOGIN,      /* startup sent; waiting for auth requests, params, key, 'Z' */
	SV_IDLE,       /* in the pool, no client; only Notice/ParameterStatus may arrive */
	SV_SETUP,      /* attached; our SET query runs first, its replies swallowed until 'Z' */
	SV_ACTIVE,     /* attached; replies are relayed to the client */
	SV_RESET,      /* detached after a session-bound client left; DISCARD ALL runs,
	                  replies swallowed until 'Z', then back to the pool */
	SV_CLOSING,    /* uv_close issued; freed in the close callback */
} sg_server_state_t;

/* A Parse, Bind or Close whose completion ('1', '2' or '3') is still due:
 * `swallow` when shardgate injected it and the client must not see it. */
typedef struct sg_pending_op {
	uint64_t hash; /* statement key parsed or closed, 0 for others */
	uint32_t seg;  /* Sync segment it was sent in */
	uint8_t type;  /* '1' ParseComplete, '2' BindComplete or '3' CloseComplete */
	uint8_t swallow;
} sg_pending_op_t;

struct sg_server {
	sg_backend_handle_t h; /* TCP or Unix-domain socket (pool.h) */
	uv_connect_t connect_req;
	sg_pool_t *pool;     /* borrowed; the pool outlives its servers */
	sg_client_t *client; /* borrowed while attached, else NULL */
	sg_list_t pool_node;
	sg_server_state_t state;
	uint64_t id;
	int32_t backend_pid, backend_key;
	char tx_status; /* from the last ReadyForQuery */

	wbuf_t in; /* owned */
	sg_outq_t out;
	scram_client_t *scram; /* owned during login only */

	sg_params_t params;       /* current values as SQL literals */
	sg_params_t login_params; /* values right after login */
	sg_pset_t prepared;       /* interned statements parsed here */
	uint64_t synced_hash;     /* sg_params_hash of the settings this session matches; 0 unknown */
	uint64_t unnamed_client;  /* whose unnamed statement is parsed here (client id, 0 none) */
	uint32_t unnamed_gen;     /* and which one of that client's */

	sg_pending_op_t *ops; /* FIFO of due completions */
	size_t ops_head, ops_len, ops_cap;
	uint32_t seg_sent, seg_done; /* Syncs/Queries sent, ReadyForQuery seen */
	int unsynced;                /* extended messages since the last Sync */
	int hidden_syncs;            /* Syncs we sent for a client's Flush: their 'Z' is not relayed */
	uint64_t batch_tick;         /* prepared.clock when the current batch began */
	bool schema_change;          /* a schema-changing statement ran: new statement names at 'Z' 'I' */

	char fatal_msg[256];         /* a FATAL the backend sent before closing */
	uint64_t cancel_after_setup; /* a cancel arrived during SETUP: requester id (UINT64_MAX: none) */
	bool release_due;            /* a 'Z' made it releasable; done after the read */
	bool dirty;                  /* must not be reused (close on release) */
	bool reading_paused;         /* client's output is full */
	uint64_t state_since_ms;
	uint64_t last_used_ms;
};

/* Opens a connection for the pool; it reports back through
 * sg_pool_server_ready / sg_pool_server_gone. */
sg_server_t *server_connect(sg_pool_t *pool);
/* Closes (idempotent). `why` is logged. */
void server_close(sg_server_t *s, const char *why);
void server_set_state(sg_server_t *s, sg_server_state_t st);
const char *server_state_name(sg_server_state_t st);

/* Attach to a client: queues the SETs that bring the backend session to
 * what the client expects (replies swallowed). */
int server_attach(sg_server_t *s, sg_client_t *c) SG_WUR;
void server_detach(sg_server_t *s);
int server_flush(sg_server_t *s) SG_WUR;
/* Queues a completion the relay must expect. */
int server_op_push(sg_server_t *s, uint8_t type, uint64_t hash, bool swallow) SG_WUR;
/* Is (or will be, once queued Parses complete) `hash` prepared here? */
bool server_has_stmt(const sg_server_t *s, uint64_t hash);
/* Parses of statements sent and not yet complete. */
size_t server_parses_due(const sg_server_t *s);
/* Resume reading after the client's output drained. */
void server_read_resume(sg_server_t *s);
/* Sends a CancelRequest for this backend on a new connection; the client
 * `requester` (the cancel connection, 0 none) is closed once it is done. */
void server_cancel(sg_server_t *s, uint64_t requester);
bool server_is_releasable(const sg_server_t *s);

/* server_session.c, for server.c: a ParameterStatus (at login it also
 * becomes a login default and part of the pool's greeting). */
int server_param_record(sg_server_t *s, const wire_frame_t *f, bool at_login) SG_WUR;
/* The client's oldest tracked SET was answered: apply it (or drop it if
 * failed) and take it off the list. */
int server_apply_set(sg_server_t *s, sg_client_t *c) SG_WUR;
/* Drops every SET of the client still in flight (client.c, detach). */
void client_sets_free(sg_client_t *c);
/* A SET applied inside a transaction lasts only if it commits: a
 * CommandComplete of the client's transaction (its tag decides), and the
 * ReadyForQuery 'I' that ends it (restores the settings from before the
 * transaction unless it committed). */
void server_tx_note_complete(sg_server_t *s, const wire_frame_t *f);
void server_tx_settle(sg_server_t *s);
void client_tx_saved_free(sg_client_t *c);
/* Makes the backend itself raise `sqlstate`/`msg` (a DO block), so an
 * open transaction is failed exactly as PostgreSQL fails it. `as_query`:
 * it replaces the client's simple Query; otherwise it is sent as an
 * extended Parse/Bind/Execute whose completions are hidden. */
int server_inject_error(sg_server_t *s, const char *sqlstate, const char *msg, bool as_query) SG_WUR;
/* Session mode or a pinned client left: if the backend is between
 * transactions, wipe its session state (DISCARD ALL) and return it to the
 * pool; returns false if it must be closed instead. */
bool server_reset(sg_server_t *s);

#endif
