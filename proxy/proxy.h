/* proxy.h — the process-wide state: one event loop, the current
 * configuration, the pools, the connected clients and the counters that
 * SHOW STATS prints. There is exactly one sg_proxy_t (owned by main.c). */
#ifndef SG_PROXY_H
#define SG_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "errors.h"
#include "listen.h"
#include "types.h"

typedef struct sg_stats {
	uint64_t clients_accepted;
	uint64_t clients_rejected;
	uint64_t auth_failures;
	uint64_t queries;      /* Query messages and Syncs relayed */
	uint64_t transactions; /* server releases in transaction mode */
	uint64_t bytes_in;     /* from clients */
	uint64_t bytes_out;    /* to clients */
	uint64_t checkout_timeouts;
	uint64_t server_connects;
	uint64_t server_connect_failures;
	uint64_t server_lost;        /* backends that died while serving a client */
	uint64_t reprepares;         /* Parse messages injected for prepared statements */
	uint64_t parses_skipped;     /* unnamed Parses answered from a statement the backend kept */
	uint64_t statements_evicted; /* backend statements closed by max_server_statements */
	uint64_t schema_epochs;      /* schema changes that renamed every kept statement */
	uint64_t batches_replayed;   /* batches re-run after a kept statement went stale */
	uint64_t simple_prepared;    /* simple Queries run as statements kept prepared */
	uint64_t protocol_errors;
	uint64_t reloads, reload_failures;
	uint64_t cancels_forwarded; /* CancelRequests for a key unknown here, passed to the other workers */
	uint64_t fanouts;           /* statements run on several shards at once */
	uint64_t fanout_failures;   /* of those, answered with an error */
	uint64_t fanout_partial;    /* answered with some shards left out (partial results) */
	uint64_t fanout_cancels;    /* legs cancelled (LIMIT reached, error, timeout, client cancel) */
} sg_stats_t;

struct sg_proxy {
	uv_loop_t *loop;
	config_t *cfg;            /* owned reference; replaced on reload */
	struct sg_router *router; /* owned reference; built for cfg, replaced with it */
	uv_tcp_t listener;
	sg_unix_listener_t unix_listener; /* listen.unix_socket_dir; single process only */
	uv_pipe_t admin_listener;
	char admin_path[256];
	bool listening, admin_listening;

	sg_pool_t **pools; /* owned; one per shard (its primary host) */
	size_t npools;
	sg_list_t retired_pools; /* pools dropped by a reload, freed when empty */

	sg_list_t clients; /* every client, admin included */
	size_t nclients;
	uint64_t next_client_id;
	uint64_t next_server_id;

	uv_timer_t tick; /* timeouts: checkout, idle servers, shutdown */
	uv_signal_t sighup, sigterm, sigint;

	bool paused;
	sg_list_t paused_clients; /* sg_client_t.wait_node, held by PAUSE */
	bool shutting_down;
	uint64_t shutdown_deadline_ms;
	sg_stats_t stats;
	uint64_t started_ms;
	int exit_code;
};

extern sg_proxy_t *sg_px; /* the one instance; set by main */

uint64_t sg_now_ms(void);
/* Finds the pool that serves a shard index of the current config. */
sg_pool_t *sg_proxy_pool(sg_proxy_t *px, int shard_index);
/* The current config's name of shard `idx` ("?" when out of range). */
const char *sg_proxy_shard_name(int idx);
/* "a, b, c": the names of the shards whose bits are set, into buf. */
void sg_proxy_shard_list(uint64_t set, char *buf, size_t n);
/* Loads `path`, validates it and swaps it in; on failure the old config
 * stays and errbuf says why. */
int sg_proxy_reload(sg_proxy_t *px, char *errbuf, size_t errlen);
/* Rebuilds the pool table for px->cfg (reused where the shard's target is
 * unchanged; others retired). */
int sg_proxy_pools_sync(sg_proxy_t *px) SG_WUR;
void sg_proxy_shutdown(sg_proxy_t *px, const char *why);
/* Resumes clients that were held by PAUSE. */
void sg_proxy_resume(sg_proxy_t *px);
void sg_proxy_tick(uv_timer_t *t);
/* Called when the last client leaves during shutdown, etc. */
void sg_proxy_maybe_exit(sg_proxy_t *px);

#endif
