/* worker.h — listen.workers > 1: the channel between a worker process and
 * the supervisor that accepts its clients (proxy/supervisor.c).
 *
 * Each worker is a whole shardgate (its own loop, pools, plan cache and
 * admin socket); the supervisor only accepts TCP connections and hands
 * each one, round-robin, to a worker over a Unix socketpair (a libuv IPC
 * pipe). The same pipe carries fixed-size frames both ways for what must
 * reach every worker: a cancel request whose key the receiving worker
 * does not know, and RELOAD / PAUSE / RESUME given on one admin socket. */
#ifndef SG_WORKER_H
#define SG_WORKER_H

#include <stdint.h>

#include "proxy.h"

/* One message on the channel. Both ends are this binary on this host,
 * so the layout is the native one. */
typedef struct sg_wk_frame {
	uint32_t type; /* sg_wk_type */
	int32_t a, b;  /* SG_WK_CANCEL: the key's pid and secret */
	uint32_t pad;
} sg_wk_frame_t;

enum sg_wk_type {
	SG_WK_CONN = 1, /* supervisor -> worker: a client socket rides along */
	SG_WK_CANCEL,   /* either way: a CancelRequest for another worker's client */
	SG_WK_RELOAD,   /* either way: RELOAD given on an admin socket */
	SG_WK_PAUSE,
	SG_WK_RESUME,
};

/* -1 in a single process (listen.workers = 1), else this worker's number. */
extern int sg_worker_index;
/* The channel's end in this worker (set by sg_supervisor_fork), or -1. */
extern int sg_worker_fd;
/* How many workers were started (1 in a single process); a reload does
 * not change it. */
extern int sg_worker_count;

/* Starts reading the supervisor's channel into px's loop; from then on
 * client sockets arrive through it instead of a listener of our own. */
int sg_worker_attach(sg_proxy_t *px) SG_WUR;
/* Stops reading it (shutdown); later notifications are dropped. */
void sg_worker_detach(void);
/* Tells the supervisor, which tells every other worker. A no-op in a
 * single process. */
void sg_worker_notify(uint32_t type, int32_t a, int32_t b);
/* What SHOW STATS prints, summed over the workers. Each worker copies its
 * own into its slot of a shared mapping (made by the supervisor before
 * fork) on every tick, 100 ms; only plain uint64_t fields, so a reader
 * sees each field whole, at worst one tick old. */
typedef struct sg_worker_counters {
	sg_stats_t stats;
	uint64_t clients_connected;
	uint64_t prepared_statements;
	uint64_t plan_hits, plan_misses, plan_entries, sql_parses;
} sg_worker_counters_t;

/* This process's counters now. */
void sg_worker_counters_fill(const sg_proxy_t *px, sg_worker_counters_t *out);
/* Copies them to this worker's slot (no-op in a single process). */
void sg_worker_counters_publish(const sg_proxy_t *px);
/* Adds every other worker's last published counters to *sum; returns how
 * many workers were added (0 in a single process). */
int sg_worker_counters_add_others(sg_worker_counters_t *sum);
/* The shared slots, one per worker; set by the supervisor before fork. */
extern sg_worker_counters_t *sg_worker_slots;

/* The share of listen.max_client_connections this process accepts. */
size_t sg_worker_client_limit(const config_t *cfg);

/* listen.workers > 1, called by main once the configuration is loaded:
 * forks the workers. Returns 0 in each worker (sg_worker_index and
 * sg_worker_fd set), 1 in the supervisor once every worker has exited
 * (*exit_code: 0 after a requested stop, 1 otherwise), or a negative
 * error before anything was started. */
int sg_supervisor_run(config_t *cfg, int *exit_code);

#endif
