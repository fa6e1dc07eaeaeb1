/* fanout_int.h — shared by fanout.c (legs, connections, lifecycle) and
 * fanout_merge.c (descriptions, rows, merging, the answer). */
#ifndef SG_FANOUT_INT_H
#define SG_FANOUT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "fanout.h"
#include "merge.h"
#include "merge_plan.h"
#include "wbuf.h"

#define FANOUT_MAX_LEGS   64
#define FANOUT_LEG_BUFFER (256u << 10) /* SORTED: stop reading a shard above this much */

typedef enum fanout_leg_state {
	LEG_PENDING = 0, /* no connection yet */
	LEG_RUNNING,     /* statement sent, waiting for its ReadyForQuery */
	LEG_DONE,        /* ReadyForQuery seen (its connection is released after the read) */
	LEG_GONE,        /* no connection (checkout failed, server lost) */
} fanout_leg_state_t;

struct fanout_leg {
	int shard;
	sg_server_t *server; /* borrowed while checked out */
	fanout_leg_state_t state;
	bool pre;       /* the collation query is answered first */
	bool cancelled; /* a CancelRequest was sent: its replies no longer count */
	bool failed;    /* the shard reported an error or was lost */
	bool complete;  /* CommandComplete seen */
	bool blocked;   /* SORTED: still running and no row to merge: the merge waits for it */
	bool is_final;  /* the extra leg that evaluates plan->final_sql (fanout_final.c) */
	uint64_t count; /* its CommandComplete's row count */

	/* SORTED: rows received and not yet merged, complete 'D' messages
	 * from `head`; the head row's columns as (offset from the head
	 * message, length) so the buffer may move. */
	wbuf_t rows;
	size_t head;
	bool has_head;
	uint32_t *hoff;
	int32_t *hlen;
};

struct sg_fanout {
	sg_client_t *c;               /* owner */
	sql_merge_plan_t *plan;       /* &plan_copy (a cached plan's, or an UPDATE/DELETE's), or plan_owned */
	sql_merge_plan_t plan_copy;   /* shallow copy of the cached plan; its HAVING tree is ours */
	sql_merge_plan_t *plan_owned; /* built for this fan-out alone (the cache was full) */
	void *cached;                 /* the cache entry holding a reference (fanout_plan.c) */
	sql_kind_t kind;
	bool extended;   /* the client used Bind/Execute (no ReadyForQuery unless sync_after) */
	bool describe;   /* extended: the client asked to describe the portal */
	bool sync_after; /* extended: the Sync after Execute was taken too */
	bool partial;    /* partial_results: shards that fail are left out with a WARNING */

	/* What every leg sends. */
	uint8_t *ptypes; /* owned, nptypes * 4 bytes */
	uint16_t nptypes;
	wbuf_t bind_params;  /* Bind's parameter formats and values, as the client sent them */
	int16_t *rfmt;       /* result format per shard column (owned), nrfmt entries */
	int nrfmt;           /* 0: all text */
	int16_t *client_fmt; /* client's result formats as sent (owned) */
	int nclient_fmt;

	struct fanout_leg legs[FANOUT_MAX_LEGS + 1]; /* + the final leg */
	int nlegs;
	int next_checkout; /* legs before this one have had their checkout */

	/* The shards' row description (the first to arrive; all must match). */
	wbuf_t desc;
	bool have_desc, nodata;
	int desc_shard; /* whose description came first */
	merge_field_t *fields;
	int nfields, nvisible;
	merge_coll_t coll; /* the shards' database collation */

	/* SORTED */
	merge_type_t *key_types;
	int *key_cols;
	int heap[FANOUT_MAX_LEGS];
	int nheap;
	int blocked; /* running legs without a head row: the merge must wait */
	const uint8_t **vals_a, **vals_b;
	int32_t *lens_a, *lens_b;
	int cmp_err; /* first error comparing sort keys */

	/* GROUPED */
	merge_group_t *group;
	bool group_finished;
	bool final_begun, final_described, final_desc_sent; /* FINAL columns (fanout_final.c) */
	uint64_t final_row;                                 /* next group to take its final values */

	int64_t limit, offset; /* resolved (parameters applied); limit -1: none */
	uint64_t skipped, sent;
	bool stopped;       /* LIMIT reached: the rest is cancelled and dropped */
	int64_t portal_max; /* the Execute's row limit, 0 none (a Sync follows it: no later fetch);
	                       also in `limit` */

	/* Answer */
	char verb[32];
	uint64_t total; /* UPDATE/DELETE: summed counts */
	bool failed;
	char sqlstate[6];
	char msg[512];
	char detail[256];
	uint64_t unanswered; /* shards left out (partial results) */

	uv_timer_t timer;
	bool timer_on, timed_out;

	/* HAVING parameters sent in binary with no type given (pgx takes the
	 * type from the statement's description): decoded once the merge
	 * knows the type of the column they are compared with. */
	struct fanout_hparam {
		sql_having_t *h;
		uint8_t *val; /* owned */
		int32_t len;
	} * hparams;
	int nhparams;
};

/* fanout.c */
sg_fanout_t *fanout_new(sg_client_t *c, sql_kind_t kind, uint64_t shards);
/* fanout_plan.c: the plan for `sql` (an UPDATE/DELETE concatenates),
 * from the cache of plans by text; sets fo->plan, fo->limit, fo->offset.
 * SG_ENOTSUP with err. */
int fanout_plan(sg_fanout_t *fo, const char *sql, char *err, size_t errlen);
void fanout_plan_release(sg_fanout_t *fo);
/* Starts the legs; the client owns the fan-out from here on. */
int fanout_launch(sg_fanout_t *fo);
void fanout_destroy(sg_fanout_t *fo);
bool fanout_hold_paused(sg_client_t *c);
/* Records the statement's failure (the first one wins); shard -1 for one
 * not tied to a shard. Cancels every leg still running. */
void fanout_fail(sg_fanout_t *fo, int shard, const char *sqlstate, const char *msg);
/* Cancels every leg still running (LIMIT reached, failure, timeout). */
void fanout_cancel_legs(sg_fanout_t *fo);
/* Every leg has ended and given its connection back. */
bool fanout_legs_ended(const sg_fanout_t *fo);
/* Checks out connections for the legs not started yet, in order. */
void fanout_checkout_next(sg_fanout_t *fo);

/* fanout_final.c */
/* HAVING, then one more leg for plan->final_sql. */
int fanout_final_begin(sg_fanout_t *fo);
int fanout_final_send(sg_fanout_t *fo, struct fanout_leg *leg);
int fanout_final_msg(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f);
int fanout_final_describe_client(sg_fanout_t *fo);

/* fanout_ext.c */
/* Decodes the binary HAVING parameters (after merge_group_new). */
int fanout_having_binary(sg_fanout_t *fo, char *err, size_t errlen);

/* fanout_merge.c */
void fanout_fail_merge(sg_fanout_t *fo, int shard, int rc, const char *err, const char *fallback);
void fanout_merge_init(sg_fanout_t *fo);
int fanout_merge_desc(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f);
int fanout_merge_row(sg_fanout_t *fo, struct fanout_leg *leg, const wire_frame_t *f);
/* A leg ended (done or gone): the merge no longer waits for it. */
void fanout_merge_leg_ended(sg_fanout_t *fo, struct fanout_leg *leg);
/* Moves merged rows to the client while its output has room. Returns true
 * once every row is out (all legs ended and the merge drained). */
bool fanout_merge_pump(sg_fanout_t *fo);
/* The final messages: error or (WARNING,) CommandComplete. */
int fanout_merge_answer(sg_fanout_t *fo);
void fanout_merge_free(sg_fanout_t *fo);

#endif
