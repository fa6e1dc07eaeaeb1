/* admin.c — the admin console: SHOW commands, RELOAD, PAUSE, RESUME.
 * Results are ordinary text row sets so psql prints them. Passwords
 * never appear in any output. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>

#include "admin.h"
#include "client.h"
#include "log.h"
#include "prepared.h"
#include "proxy.h"
#include "router.h"
#include "server.h"
#include "sqltext.h"
#include "worker.h"

#define SG_VERSION "shardgate 0.1.0"

void admin_rows_begin(admin_rows_t *r, sg_client_t *c, int ncols, const char *const *names)
{
	r->b = &c->out.pending;
	r->ncols = ncols;
	r->nrows = 0;
	(void)wire_write_row_desc_text(r->b, ncols, names);
}

void admin_rows_add(admin_rows_t *r, const char *const *values)
{
	(void)wire_write_data_row(r->b, r->ncols, values);
	r->nrows++;
}

void admin_rows_end(admin_rows_t *r, const char *verb)
{
	char tag[64];

	snprintf(tag, sizeof(tag), "%s %d", verb, r->nrows);
	(void)wire_write_command_complete(r->b, tag);
}

static const char *pool_state(const sg_pool_t *pool)
{
	if (pool == NULL)
		return "unused";
	if (pool->consecutive_failures > 0)
		return "down";
	return pool->have_welcome ? "up" : "unknown";
}

static void admin_show_shards(sg_client_t *c)
{
	static const char *const cols[] = {"name", "host", "port", "role", "database", "state"};
	const config_t *cfg = sg_px->cfg;
	admin_rows_t r;
	char port[16];
	size_t i, j;

	admin_rows_begin(&r, c, 6, cols);
	for (i = 0; i < cfg->nshards; i++) {
		const cfg_shard_t *sh = &cfg->shards[i];
		sg_pool_t *pool = sg_proxy_pool(sg_px, (int)i);
		for (j = 0; j < sh->nhosts; j++) {
			const cfg_host_t *h = &sh->hosts[j];
			bool served = pool && strcmp(pool->host, h->host) == 0 && pool->port == h->port;
			const char *v[6] = {sh->name,     h->host,
			                    port,         h->role == HOST_PRIMARY ? "primary" : "replica",
			                    sh->database, served ? pool_state(pool) : "unused"};
			snprintf(port, sizeof(port), "%d", h->port);
			admin_rows_add(&r, v);
		}
	}
	admin_rows_end(&r, "SHOW");
}

static void admin_show_pools(sg_client_t *c)
{
	static const char *const cols[] = {"shard", "host",    "port", "active",
	                                   "idle",  "waiting", "size", "mode"};
	admin_rows_t r;
	char port[16], act[24], idle[24], wait[24], size[24];
	size_t i;

	admin_rows_begin(&r, c, 8, cols);
	for (i = 0; i < sg_px->npools; i++) {
		sg_pool_t *p = sg_px->pools[i];
		const char *v[8] = {p->shard, p->host, port, act,
		                    idle,     wait,    size, config_pool_mode_name(sg_px->cfg->pool.mode)};
		snprintf(port, sizeof(port), "%d", p->port);
		snprintf(act, sizeof(act), "%zu", p->nactive);
		snprintf(idle, sizeof(idle), "%zu", p->nidle);
		snprintf(wait, sizeof(wait), "%zu", p->nwaiting);
		snprintf(size, sizeof(size), "%d", p->size);
		admin_rows_add(&r, v);
	}
	admin_rows_end(&r, "SHOW");
}

static void admin_show_clients(sg_client_t *c)
{
	static const char *const cols[] = {"id",    "user", "database", "addr", "state", "application_name",
	                                   "pinned"};
	admin_rows_t r;
	char id[24], app[256];
	sg_list_t *n;

	admin_rows_begin(&r, c, 7, cols);
	for (n = sg_px->clients.next; n != &sg_px->clients; n = n->next) {
		sg_client_t *t = sg_container_of(n, sg_client_t, node);
		const char *lit = sg_params_get(&t->params, "application_name");
		const char *v[7] = {id,  t->user,      t->database, t->addr, client_state_name(t->state),
		                    app, t->pin_reason};
		if (t->admin)
			continue;
		snprintf(id, sizeof(id), "%llu", (unsigned long long)t->id);
		if (lit == NULL || sql_unliteral(lit, app, sizeof(app)) != 0)
			app[0] = '\0';
		admin_rows_add(&r, v);
	}
	admin_rows_end(&r, "SHOW");
}

static void admin_show_server_list(admin_rows_t *r, sg_pool_t *p, sg_list_t *head)
{
	char id[24], port[16], cid[24], pid[24];
	sg_list_t *n;

	for (n = head->next; n != head; n = n->next) {
		sg_server_t *s = sg_container_of(n, sg_server_t, pool_node);
		const char *v[7] = {
		        id, p->shard, p->host, port, server_state_name(s->state), s->client ? cid : NULL,
		        pid};
		snprintf(id, sizeof(id), "%llu", (unsigned long long)s->id);
		snprintf(port, sizeof(port), "%d", p->port);
		snprintf(cid, sizeof(cid), "%llu", s->client ? (unsigned long long)s->client->id : 0ULL);
		snprintf(pid, sizeof(pid), "%d", (int)s->backend_pid);
		admin_rows_add(r, v);
	}
}

static void admin_show_servers(sg_client_t *c)
{
	static const char *const cols[] = {"id",    "shard",     "host",       "port",
	                                   "state", "client_id", "backend_pid"};
	admin_rows_t r;
	size_t i;

	admin_rows_begin(&r, c, 7, cols);
	for (i = 0; i < sg_px->npools; i++) {
		admin_show_server_list(&r, sg_px->pools[i], &sg_px->pools[i]->active);
		admin_show_server_list(&r, sg_px->pools[i], &sg_px->pools[i]->idle);
		admin_show_server_list(&r, sg_px->pools[i], &sg_px->pools[i]->pending);
	}
	admin_rows_end(&r, "SHOW");
}

static void stat_row(admin_rows_t *r, const char *name, uint64_t value)
{
	char buf[32];
	const char *v[2] = {name, buf};

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	admin_rows_add(r, v);
}

/* With listen.workers > 1 the counters are the sum over every worker
 * (the others' as of their last tick, 100 ms at most); workers_summed
 * says how many. uptime_seconds is this worker's. */
static void admin_show_stats(sg_client_t *c)
{
	static const char *const cols[] = {"name", "value"};
	sg_worker_counters_t t;
	const sg_stats_t *st = &t.stats;
	admin_rows_t r;
	int others;

	sg_worker_counters_fill(sg_px, &t);
	others = sg_worker_counters_add_others(&t);
	admin_rows_begin(&r, c, 2, cols);
	stat_row(&r, "uptime_seconds", (sg_now_ms() - sg_px->started_ms) / 1000);
	stat_row(&r, "clients_connected", t.clients_connected);
	stat_row(&r, "clients_accepted", st->clients_accepted);
	stat_row(&r, "clients_rejected", st->clients_rejected);
	stat_row(&r, "auth_failures", st->auth_failures);
	stat_row(&r, "queries", st->queries);
	stat_row(&r, "transactions", st->transactions);
	stat_row(&r, "bytes_in", st->bytes_in);
	stat_row(&r, "bytes_out", st->bytes_out);
	stat_row(&r, "checkout_timeouts", st->checkout_timeouts);
	stat_row(&r, "server_connects", st->server_connects);
	stat_row(&r, "server_connect_failures", st->server_connect_failures);
	stat_row(&r, "server_lost", st->server_lost);
	stat_row(&r, "prepared_statements", t.prepared_statements);
	stat_row(&r, "reprepares", st->reprepares);
	stat_row(&r, "parses_skipped", st->parses_skipped);
	stat_row(&r, "batches_replayed", st->batches_replayed);
	stat_row(&r, "simple_prepared", st->simple_prepared);
	stat_row(&r, "statements_evicted", st->statements_evicted);
	stat_row(&r, "schema_epochs", st->schema_epochs);
	stat_row(&r, "fanouts", st->fanouts);
	stat_row(&r, "fanout_failures", st->fanout_failures);
	stat_row(&r, "fanout_partial", st->fanout_partial);
	stat_row(&r, "fanout_cancels", st->fanout_cancels);
	stat_row(&r, "protocol_errors", st->protocol_errors);
	stat_row(&r, "reloads", st->reloads);
	stat_row(&r, "reload_failures", st->reload_failures);
	stat_row(&r, "cancels_forwarded", st->cancels_forwarded);
	stat_row(&r, "plan_cache_hits", t.plan_hits);
	stat_row(&r, "plan_cache_misses", t.plan_misses);
	stat_row(&r, "plan_cache_hit_rate_pct",
	         t.plan_hits + t.plan_misses ? (t.plan_hits * 100) / (t.plan_hits + t.plan_misses) : 0);
	stat_row(&r, "plan_cache_entries", t.plan_entries);
	stat_row(&r, "sql_parses", t.sql_parses);
	stat_row(&r, "workers_summed", (uint64_t)others + 1);
	admin_rows_end(&r, "SHOW");
}

static void config_row(admin_rows_t *r, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void config_row(admin_rows_t *r, const char *key, const char *fmt, ...)
{
	char buf[512];
	const char *v[2] = {key, buf};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	admin_rows_add(r, v);
}

static void admin_show_config(sg_client_t *c)
{
	static const char *const cols[] = {"key", "value"};
	const config_t *cfg = sg_px->cfg;
	admin_rows_t r;
	size_t i;

	admin_rows_begin(&r, c, 2, cols);
	config_row(&r, "config_file", "%s", cfg->path);
	config_row(&r, "listen", "%s:%d", cfg->listen.host, cfg->listen.port);
	config_row(&r, "listen.max_client_connections", "%d", cfg->listen.max_client_connections);
	config_row(&r, "listen.max_message_size", "%u", cfg->listen.max_message_size);
	config_row(&r, "listen.workers", "%d", cfg->listen.workers);
	config_row(&r, "listen.unix_socket_dir", "%s", cfg->listen.unix_socket_dir);
	config_row(&r, "worker", "%d", sg_worker_index < 0 ? 0 : sg_worker_index);
	config_row(&r, "pid", "%d", (int)getpid());
	config_row(&r, "admin.socket", "%s", sg_px->admin_path);
	config_row(&r, "auth.method", "%s", config_auth_method_name(cfg->auth.method));
	config_row(&r, "auth.users", "%zu", cfg->auth.nusers);
	config_row(&r, "pool.mode", "%s", config_pool_mode_name(cfg->pool.mode));
	config_row(&r, "pool.size", "%d", cfg->pool.size);
	config_row(&r, "pool.checkout_timeout", "%lldms", (long long)cfg->pool.checkout_timeout_ms);
	config_row(&r, "pool.idle_timeout", "%lldms", (long long)cfg->pool.idle_timeout_ms);
	config_row(&r, "pool.connect_timeout", "%lldms", (long long)cfg->pool.connect_timeout_ms);
	config_row(&r, "pool.cache_unnamed_statements", "%s",
	           cfg->pool.cache_unnamed_statements ? "on" : "off");
	config_row(&r, "pool.prepare_simple_queries", "%s", cfg->pool.prepare_simple_queries ? "on" : "off");
	config_row(&r, "pool.max_server_statements", "%d", cfg->pool.max_server_statements);
	for (i = 0; i < cfg->nshards; i++)
		config_row(&r, "shard", "%s database=%s user=%s hosts=%zu", cfg->shards[i].name,
		           cfg->shards[i].database, cfg->shards[i].user, cfg->shards[i].nhosts);
	config_row(&r, "default_shard", "%s", cfg->default_shard);
	for (i = 0; i < cfg->ntables; i++)
		config_row(&r, "table", "%s shard_by=%s column=%s", cfg->tables[i].name,
		           config_shard_by_name(cfg->tables[i].by),
		           cfg->tables[i].column ? cfg->tables[i].column : "-");
	config_row(&r, "hash.slots", "%d", cfg->hash.slots);
	config_row(&r, "log.level", "%d", (int)cfg->log.level);
	config_row(&r, "state_dir", "%s", cfg->state_dir);
	config_row(&r, "shutdown_timeout", "%lldms", (long long)cfg->shutdown_timeout_ms);
	admin_rows_end(&r, "SHOW");
}

static void admin_show_version(sg_client_t *c)
{
	static const char *const cols[] = {"version"};
	const char *v[1] = {SG_VERSION};
	admin_rows_t r;

	admin_rows_begin(&r, c, 1, cols);
	admin_rows_add(&r, v);
	admin_rows_end(&r, "SHOW");
}

/* Upper-cases the command, strips whitespace and a trailing ';'. */
static void admin_normalize(const char *sql, char *out, size_t cap)
{
	size_t n = 0;
	bool space = false;

	while (isspace((unsigned char)*sql))
		sql++;
	for (; *sql && n + 1 < cap; sql++) {
		if (isspace((unsigned char)*sql)) {
			space = true;
			continue;
		}
		if (space && n > 0)
			out[n++] = ' ';
		space = false;
		if (n + 1 < cap)
			out[n++] = (char)toupper((unsigned char)*sql);
	}
	while (n > 0 && (out[n - 1] == ';' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
}

/* The statement after "ROUTE", as written (case and spacing kept). */
static const char *admin_route_arg(const char *sql)
{
	while (isspace((unsigned char)*sql))
		sql++;
	sql += 5;
	while (isspace((unsigned char)*sql))
		sql++;
	return sql;
}

int admin_query(sg_client_t *c, const char *sql)
{
	char cmd[256], err[512];

	admin_normalize(sql, cmd, sizeof(cmd));
	log_client(c, LOG_INFO, "admin command \"%s\"", cmd);
	if (strncmp(cmd, "ROUTE ", 6) == 0)
		admin_route(c, admin_route_arg(sql));
	else if (cmd[0] == '\0')
		(void)wire_write_empty_query(&c->out.pending);
	else if (strcmp(cmd, "SHOW SHARDS") == 0)
		admin_show_shards(c);
	else if (strcmp(cmd, "SHOW POOLS") == 0)
		admin_show_pools(c);
	else if (strcmp(cmd, "SHOW CLIENTS") == 0)
		admin_show_clients(c);
	else if (strcmp(cmd, "SHOW SERVERS") == 0)
		admin_show_servers(c);
	else if (strcmp(cmd, "SHOW STATS") == 0)
		admin_show_stats(c);
	else if (strcmp(cmd, "SHOW CONFIG") == 0)
		admin_show_config(c);
	else if (strcmp(cmd, "SHOW VERSION") == 0)
		admin_show_version(c);
	else if (strcmp(cmd, "SHOW TABLES") == 0)
		admin_show_tables(c);
	else if (strcmp(cmd, "SHOW SLOTS") == 0)
		admin_show_slots(c);
	else if (strcmp(cmd, "SHOW TIERS") == 0)
		admin_show_tiers(c);
	else if (strcmp(cmd, "RELOAD") == 0) {
		if (sg_proxy_reload(sg_px, err, sizeof(err)) == 0) {
			sg_worker_notify(SG_WK_RELOAD, 0, 0);
			(void)wire_write_command_complete(&c->out.pending, "RELOAD");
		} else
			client_send_error(c, "ERROR", "F0000", "reload failed, configuration unchanged: %s",
			                  err);
	} else if (strcmp(cmd, "PAUSE") == 0) {
		sg_px->paused = true;
		sg_log(LOG_INFO, "event=pause");
		sg_worker_notify(SG_WK_PAUSE, 0, 0);
		(void)wire_write_command_complete(&c->out.pending, "PAUSE");
	} else if (strcmp(cmd, "RESUME") == 0) {
		sg_proxy_resume(sg_px);
		sg_worker_notify(SG_WK_RESUME, 0, 0);
		(void)wire_write_command_complete(&c->out.pending, "RESUME");
	} else {
		client_send_error(
		        c, "ERROR", "42601",
		        "unknown admin command \"%.64s\"; try SHOW SHARDS|POOLS|CLIENTS|SERVERS|STATS|CONFIG|"
		        "VERSION, RELOAD, PAUSE, RESUME",
		        cmd);
	}
	return wire_write_ready(&c->out.pending, 'I');
}
