/* proxy.c — process-wide operations: pools per shard, reload, the
 * periodic tick, PAUSE/RESUME and graceful shutdown. */
#include "proxy.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "pool.h"
#include "router.h"
#include "server.h"
#include "worker.h"

sg_proxy_t *sg_px;

/* The loop's cached time: updated once per loop iteration, which is
 * precise enough for timeouts and costs no clock read per event. */
uint64_t sg_now_ms(void)
{
	if (sg_px != NULL && sg_px->loop != NULL)
		return uv_now(sg_px->loop);
	return uv_hrtime() / 1000000u;
}

sg_pool_t *sg_proxy_pool(sg_proxy_t *px, int shard_index)
{
	if (shard_index < 0 || (size_t)shard_index >= px->npools)
		return NULL;
	return px->pools[shard_index];
}

const char *sg_proxy_shard_name(int idx)
{
	return idx >= 0 && (size_t)idx < sg_px->cfg->nshards ? sg_px->cfg->shards[idx].name : "?";
}

void sg_proxy_shard_list(uint64_t set, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < 64 && len < n; i++)
		if (set & (UINT64_C(1) << i))
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "",
			                        sg_proxy_shard_name(i));
}

static sg_pool_t *pools_take_match(sg_proxy_t *px, const cfg_shard_t *shard)
{
	size_t i;
	sg_pool_t *p;

	for (i = 0; i < px->npools; i++) {
		p = px->pools[i];
		if (p != NULL && sg_pool_matches(p, shard)) {
			px->pools[i] = NULL;
			return p;
		}
	}
	return NULL;
}

/* Builds the pool table for `cfg`, reusing pools whose target did not
 * change. Nothing is modified unless every new pool could be made. */
static int pools_build(sg_proxy_t *px, const config_t *cfg, sg_pool_t ***out)
{
	sg_pool_t **pools = calloc(cfg->nshards, sizeof(*pools));
	size_t i, j;
	int err = 0;

	if (pools == NULL)
		return SG_ENOMEM;
	for (i = 0; i < cfg->nshards; i++) {
		bool reused = false;
		for (j = 0; j < px->npools; j++)
			if (px->pools[j] && sg_pool_matches(px->pools[j], &cfg->shards[i]))
				reused = true;
		if (reused)
			continue;
		err = sg_pool_new(px, &cfg->shards[i], (int)i, cfg->pool.size, &pools[i]);
		if (err != 0)
			goto fail;
	}
	*out = pools;
	return 0;
fail:
	for (i = 0; i < cfg->nshards; i++)
		sg_pool_free(pools[i]);
	free(pools);
	return err;
}

static int pools_apply(sg_proxy_t *px, const config_t *cfg)
{
	sg_pool_t **pools;
	size_t i;
	int err;

	err = pools_build(px, cfg, &pools);
	if (err != 0)
		return err;
	for (i = 0; i < cfg->nshards; i++) {
		if (pools[i] == NULL)
			pools[i] = pools_take_match(px, &cfg->shards[i]);
		pools[i]->shard_index = (int)i;
		pools[i]->size = cfg->pool.size;
	}
	for (i = 0; i < px->npools; i++) {
		sg_pool_t *old = px->pools[i];
		if (old == NULL)
			continue;
		sg_log(LOG_INFO, "event=pool_retired shard=%s host=%s port=%d", old->shard, old->host,
		       old->port);
		sg_pool_retire(old);
		if (sg_pool_is_empty(old))
			sg_pool_free(old);
		else
			sg_list_push_back(&px->retired_pools, &old->retired_node);
	}
	free(px->pools);
	px->pools = pools;
	px->npools = cfg->nshards;
	return 0;
}

int sg_proxy_pools_sync(sg_proxy_t *px)
{
	return pools_apply(px, px->cfg);
}

int sg_proxy_reload(sg_proxy_t *px, char *errbuf, size_t errlen)
{
	struct sg_router *nrouter = NULL;
	config_error_t cerr;
	config_t *ncfg = NULL;
	int err;

	err = config_load_file(px->cfg->path, &ncfg, &cerr);
	if (err != 0) {
		config_error_format(&cerr, errbuf, errlen);
		goto fail;
	}
	if (strcmp(ncfg->listen.host, px->cfg->listen.host) != 0 ||
	    ncfg->listen.port != px->cfg->listen.port || ncfg->admin.port != px->cfg->admin.port ||
	    ncfg->listen.workers != px->cfg->listen.workers ||
	    strcmp(ncfg->listen.unix_socket_dir, px->cfg->listen.unix_socket_dir) != 0 ||
	    strcmp(ncfg->admin.socket_dir, px->cfg->admin.socket_dir) != 0)
		sg_log(LOG_WARN, "event=reload_partial reason=\"listen and admin addresses, "
		                 "listen.unix_socket_dir and listen.workers change only on restart\"");
	err = router_new(ncfg, router_now_us(), &nrouter, errbuf, errlen);
	if (err != 0)
		goto fail;
	err = pools_apply(px, ncfg);
	if (err != 0) {
		snprintf(errbuf, errlen, "could not set up the shards' pools: %s", sg_strerror(err));
		goto fail;
	}
	config_unref(px->cfg);
	px->cfg = ncfg;
	router_unref(px->router);
	px->router = nrouter;
	sg_log_level = (int)ncfg->log.level;
	px->stats.reloads++;
	sg_log(LOG_INFO, "event=reload_ok file=%s shards=%zu", ncfg->path, ncfg->nshards);
	return 0;
fail:
	router_unref(nrouter);
	if (ncfg != NULL)
		config_unref(ncfg);
	px->stats.reload_failures++;
	sg_log(LOG_ERROR, "event=reload_failed error=\"%s\" (old configuration kept)", errbuf);
	return SG_ECONFIG;
}

void sg_proxy_resume(sg_proxy_t *px)
{
	px->paused = false;
	sg_log(LOG_INFO, "event=resume");
	while (!sg_list_empty(&px->paused_clients)) {
		sg_client_t *c = sg_container_of(px->paused_clients.next, sg_client_t, wait_node);
		sg_list_remove(&c->wait_node);
		c->paused_wait = false;
		client_set_state(c, CL_IDLE);
		client_process(c);
	}
}

static void proxy_close_idle_clients(sg_proxy_t *px, bool all)
{
	sg_list_t *n, *next;

	for (n = px->clients.next; n != &px->clients; n = next) {
		sg_client_t *c = sg_container_of(n, sg_client_t, node);
		next = n->next;
		if (c->state == CL_CLOSING)
			continue;
		if (all || c->admin || c->server == NULL || c->state != CL_ACTIVE)
			client_close(c, "shutting down");
	}
}

static void proxy_close_servers(sg_pool_t *pool)
{
	sg_list_t *lists[3] = {&pool->idle, &pool->pending, &pool->active};
	size_t i;

	for (i = 0; i < 3; i++)
		while (!sg_list_empty(lists[i]))
			server_close(sg_container_of(lists[i]->next, sg_server_t, pool_node),
			             "shutting down");
}

void sg_proxy_maybe_exit(sg_proxy_t *px)
{
	sg_list_t *n, *next;
	size_t i;

	if (!px->shutting_down || px->nclients > 0 || !uv_is_active((uv_handle_t *)&px->tick))
		return;
	sg_log(LOG_INFO, "event=shutdown_complete");
	for (i = 0; i < px->npools; i++)
		proxy_close_servers(px->pools[i]);
	for (n = px->retired_pools.next; n != &px->retired_pools; n = next) {
		next = n->next; /* the pool frees itself once its last server is gone */
		proxy_close_servers(sg_container_of(n, sg_pool_t, retired_node));
	}
	uv_timer_stop(&px->tick);
	uv_close((uv_handle_t *)&px->tick, NULL);
	uv_close((uv_handle_t *)&px->sighup, NULL);
	uv_close((uv_handle_t *)&px->sigterm, NULL);
	uv_close((uv_handle_t *)&px->sigint, NULL);
}

void sg_proxy_shutdown(sg_proxy_t *px, const char *why)
{
	if (px->shutting_down) {
		/* A second signal: do not wait any longer. */
		px->shutdown_deadline_ms = 0;
		return;
	}
	sg_log(LOG_INFO, "event=shutdown_started reason=\"%s\" clients=%zu", why, px->nclients);
	px->shutting_down = true;
	px->shutdown_deadline_ms = sg_now_ms() + (uint64_t)px->cfg->shutdown_timeout_ms;
	sg_worker_detach();
	if (px->listening)
		uv_close((uv_handle_t *)&px->listener, NULL);
	if (px->admin_listening)
		uv_close((uv_handle_t *)&px->admin_listener, NULL);
	px->listening = px->admin_listening = false;
	sg_listen_unix_close(&px->unix_listener);
	if (px->paused)
		sg_proxy_resume(px);
	proxy_close_idle_clients(px, false);
	sg_proxy_maybe_exit(px);
}

void sg_proxy_tick(uv_timer_t *t)
{
	sg_proxy_t *px = t->data;
	uint64_t now = sg_now_ms();
	size_t i;

	for (i = 0; i < px->npools; i++)
		sg_pool_tick(px->pools[i], now);
	sg_worker_counters_publish(px);
	if (px->shutting_down) {
		proxy_close_idle_clients(px, now >= px->shutdown_deadline_ms);
		sg_proxy_maybe_exit(px);
	}
}
