/* pool.c — server connections per shard host, and the clients waiting
 * for one. */
#include "pool.h"

#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "server.h"

/* ---- sg_params ---- */

static long params_find(const sg_params_t *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcasecmp(p->names[i], name) == 0)
			return (long)i;
	return -1;
}

const char *sg_params_get(const sg_params_t *p, const char *name)
{
	long i = params_find(p, name);

	return i < 0 ? NULL : p->values[i];
}

int sg_params_set(sg_params_t *p, const char *name, const char *value)
{
	long i = params_find(p, name);
	char *v = strdup(value), *n;

	if (v == NULL)
		return SG_ENOMEM;
	p->hash = 0;
	p->parse_digest = 0;
	if (i >= 0) {
		free(p->values[i]);
		p->values[i] = v;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		char **names = realloc(p->names, cap * sizeof(char *));
		char **values;
		if (names == NULL)
			goto fail;
		p->names = names;
		values = realloc(p->values, cap * sizeof(char *));
		if (values == NULL)
			goto fail;
		p->values = values;
		p->cap = cap;
	}
	n = strdup(name);
	if (n == NULL)
		goto fail;
	p->names[p->n] = n;
	p->values[p->n] = v;
	p->n++;
	return 0;
fail:
	free(v);
	return SG_ENOMEM;
}

void sg_params_del(sg_params_t *p, const char *name)
{
	long i = params_find(p, name);

	if (i < 0)
		return;
	p->hash = 0;
	p->parse_digest = 0;
	free(p->names[i]);
	free(p->values[i]);
	p->n--;
	p->names[i] = p->names[p->n];
	p->values[i] = p->values[p->n];
}

uint64_t sg_params_hash(sg_params_t *p)
{
	uint64_t sum = 0x9e3779b97f4a7c15ULL;
	const unsigned char *c;
	size_t i;

	if (p->hash != 0)
		return p->hash; /* every change clears it */
	for (i = 0; i < p->n; i++) {
		uint64_t h = 1469598103934665603ULL;
		for (c = (const unsigned char *)p->names[i]; *c; c++)
			h = (h ^ (uint64_t)tolower(*c)) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
		for (c = (const unsigned char *)p->values[i]; *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
		sum += h;
	}
	p->hash = sum ? sum : 1;
	return p->hash;
}

uint64_t sg_params_parse_digest(sg_params_t *p)
{
	static const char *const names[] = {"search_path", "standard_conforming_strings",
	                                    "transform_null_equals"};
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *c;
	size_t i;

	if (p->parse_digest != 0)
		return p->parse_digest; /* every change clears it */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = sg_params_get(p, names[i]);
		for (c = (const unsigned char *)(v != NULL ? v : ""); *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	p->parse_digest = h ? h : 1;
	return p->parse_digest;
}

int sg_params_copy(sg_params_t *dst, const sg_params_t *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (sg_params_set(dst, src->names[i], src->values[i]) != 0)
			return SG_ENOMEM;
	return 0;
}

void sg_params_free(sg_params_t *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->names[i]);
		free(p->values[i]);
	}
	free(p->names);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

/* ---- pool ---- */

static int pool_resolve(sg_pool_t *pool)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int rc;

	if (pool->host[0] == '/') {
		rc = snprintf(pool->unix_path, sizeof(pool->unix_path), "%s/.s.PGSQL.%d", pool->host,
		              pool->port);
		if (rc < 0 || (size_t)rc >= sizeof(pool->unix_path)) {
			sg_log(LOG_ERROR,
			       "event=resolve_failed shard=%s host=%s error=\"socket path too long\"",
			       pool->shard, pool->host);
			return SG_ECONFIG;
		}
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", pool->port);
	rc = getaddrinfo(pool->host, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		sg_log(LOG_ERROR, "event=resolve_failed shard=%s host=%s error=\"%s\"", pool->shard,
		       pool->host, gai_strerror(rc));
		return SG_ECONFIG;
	}
	memcpy(&pool->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int sg_pool_connect(sg_pool_t *pool, sg_backend_handle_t *h, void *data, uv_connect_t *req, uv_connect_cb cb)
{
	/* uv_pipe_init and uv_tcp_init (AF_UNSPEC) only fill in the handle. */
	if (pool->unix_path[0] != '\0') {
		(void)uv_pipe_init(pool->px->loop, &h->pipe, 0);
		h->handle.data = data;
		uv_pipe_connect(req, &h->pipe, pool->unix_path, cb); /* errors reach cb */
		return 0;
	}
	(void)uv_tcp_init(pool->px->loop, &h->tcp);
	h->handle.data = data;
	uv_tcp_nodelay(&h->tcp, 1);
	return uv_tcp_connect(req, &h->tcp, (const struct sockaddr *)&pool->addr, cb);
}

static const cfg_host_t *shard_primary(const cfg_shard_t *shard)
{
	size_t i;

	for (i = 0; i < shard->nhosts; i++)
		if (shard->hosts[i].role == HOST_PRIMARY)
			return &shard->hosts[i];
	return &shard->hosts[0];
}

int sg_pool_new(sg_proxy_t *px, const cfg_shard_t *shard, int shard_index, int size, sg_pool_t **out)
{
	const cfg_host_t *h = shard_primary(shard);
	sg_pool_t *pool = calloc(1, sizeof(*pool));
	int err = SG_ENOMEM;

	*out = NULL;
	if (pool == NULL)
		return SG_ENOMEM;
	pool->px = px;
	pool->shard = strdup(shard->name);
	pool->host = strdup(h->host);
	pool->port = h->port;
	pool->database = strdup(shard->database);
	pool->user = strdup(shard->user);
	pool->password = strdup(shard->password ? shard->password : "");
	pool->size = size;
	pool->shard_index = shard_index;
	sg_list_init(&pool->idle);
	sg_list_init(&pool->active);
	sg_list_init(&pool->pending);
	sg_list_init(&pool->waiters);
	sg_list_init(&pool->retired_node);
	if (!pool->shard || !pool->host || !pool->database || !pool->user || !pool->password)
		goto fail;
	err = pool_resolve(pool);
	if (err != 0)
		goto fail;
	*out = pool;
	return 0;
fail:
	sg_pool_free(pool);
	return err;
}

void sg_pool_free(sg_pool_t *pool)
{
	if (pool == NULL)
		return;
	free(pool->shard);
	free(pool->host);
	free(pool->database);
	free(pool->user);
	if (pool->password)
		memset(pool->password, 0, strlen(pool->password));
	free(pool->password);
	sg_params_free(&pool->welcome_raw);
	free(pool);
}

bool sg_pool_matches(const sg_pool_t *pool, const cfg_shard_t *shard)
{
	const cfg_host_t *h = shard_primary(shard);

	return strcmp(pool->shard, shard->name) == 0 && strcmp(pool->host, h->host) == 0 &&
	       pool->port == h->port && strcmp(pool->database, shard->database) == 0 &&
	       strcmp(pool->user, shard->user) == 0 &&
	       strcmp(pool->password, shard->password ? shard->password : "") == 0;
}

bool sg_pool_is_empty(const sg_pool_t *pool)
{
	return pool->nidle + pool->nactive + pool->npending == 0 && pool->nwaiting == 0 &&
	       pool->nclosing == 0;
}

static size_t pool_total(const sg_pool_t *pool)
{
	return pool->nidle + pool->nactive + pool->npending;
}

/* Opens connections so every waiter (and a pending welcome) can be served. */
static void pool_grow(sg_pool_t *pool)
{
	size_t want = pool->nwaiting + (pool->want_welcome ? 1 : 0);
	sg_server_t *s;

	if (pool->retired || pool->px->shutting_down)
		return;
	while (pool->npending < want && pool_total(pool) < (size_t)pool->size) {
		s = server_connect(pool);
		if (s == NULL) {
			pool->consecutive_failures++;
			break;
		}
		sg_list_push_back(&pool->pending, &s->pool_node);
		pool->npending++;
	}
}

sg_server_t *sg_pool_checkout(sg_pool_t *pool, sg_client_t *client)
{
	sg_server_t *s;

	if (!sg_list_empty(&pool->idle) && pool->nwaiting == 0) {
		s = sg_container_of(pool->idle.next, sg_server_t, pool_node);
		sg_list_remove(&s->pool_node);
		pool->nidle--;
		sg_list_push_back(&pool->active, &s->pool_node);
		pool->nactive++;
		pool->served++;
		return s;
	}
	sg_list_push_back(&pool->waiters, &client->wait_node);
	pool->nwaiting++;
	client->wait_since_ms = sg_now_ms();
	pool_grow(pool);
	return NULL;
}

void sg_pool_cancel_wait(sg_pool_t *pool, sg_client_t *client)
{
	if (sg_list_empty(&client->wait_node))
		return;
	sg_list_remove(&client->wait_node);
	pool->nwaiting--;
}

/* Hands an idle server to the first waiter, if any. */
static void pool_serve_waiter(sg_pool_t *pool, sg_server_t *s)
{
	sg_client_t *c;

	c = sg_container_of(pool->waiters.next, sg_client_t, wait_node);
	sg_list_remove(&c->wait_node);
	pool->nwaiting--;
	sg_list_remove(&s->pool_node);
	pool->nidle--;
	sg_list_push_back(&pool->active, &s->pool_node);
	pool->nactive++;
	pool->served++;
	client_server_ready(c, s);
}

static void pool_make_idle(sg_pool_t *pool, sg_server_t *s)
{
	sg_list_remove(&s->pool_node);
	sg_list_push_front(&pool->idle, &s->pool_node);
	pool->nidle++;
	s->last_used_ms = sg_now_ms();
	/* Clients queued here were admitted before any PAUSE: serve them. */
	if (!sg_list_empty(&pool->waiters))
		pool_serve_waiter(pool, s);
}

void sg_pool_release(sg_pool_t *pool, sg_server_t *s)
{
	if (s->dirty || s->tx_status != 'I' || pool->retired) {
		/* sg_pool_server_gone (called by server_close) unlinks it. */
		server_close(s,
		             s->dirty ? "session state could not be restored" : "released in a transaction");
		return;
	}
	pool->nactive--;
	server_set_state(s, SV_IDLE);
	pool_make_idle(pool, s);
}

void sg_pool_server_ready(sg_pool_t *pool, sg_server_t *s)
{
	sg_list_t *n, *next;

	pool->npending--;
	pool->consecutive_failures = 0;
	pool->last_error[0] = '\0';
	if (!pool->have_welcome) {
		pool->have_welcome = true;
		pool->want_welcome = false;
		/* Clients that logged in before any backend did get greeted now. */
		for (n = pool->px->clients.next; n != &pool->px->clients; n = next) {
			sg_client_t *c = sg_container_of(n, sg_client_t, node);
			next = n->next;
			if (c->state == CL_WELCOME && c->pool == pool)
				client_welcome_ready(c, 0, NULL);
		}
	}
	pool_make_idle(pool, s);
}

/* Fails the clients waiting on a pool whose server could not log in. */
static void pool_fail_waiters(sg_pool_t *pool, const char *why)
{
	sg_list_t *n, *next;
	char msg[512];

	if (pool->npending > 0 || pool->nidle > 0 || (pool->nactive > 0 && !pool->retired))
		return; /* another connection may still serve them */
	snprintf(msg, sizeof(msg), "could not connect to shard \"%s\": %s", pool->shard, why);
	while (!sg_list_empty(&pool->waiters)) {
		sg_client_t *c = sg_container_of(pool->waiters.next, sg_client_t, wait_node);
		sg_list_remove(&c->wait_node);
		pool->nwaiting--;
		client_checkout_failed(c, "08006", msg);
	}
	if (pool->want_welcome) {
		pool->want_welcome = false;
		for (n = pool->px->clients.next; n != &pool->px->clients; n = next) {
			sg_client_t *c = sg_container_of(n, sg_client_t, node);
			next = n->next;
			if (c->state == CL_WELCOME && c->pool == pool)
				client_welcome_ready(c, SG_EIO, msg);
		}
	}
}

void sg_pool_server_gone(sg_pool_t *pool, sg_server_t *s, const char *why)
{
	bool login_failed = s->state == SV_CONNECTING || s->state == SV_LOGIN;

	switch (s->state) {
	case SV_CONNECTING:
	case SV_LOGIN:
		pool->npending--;
		break;
	case SV_IDLE:
		pool->nidle--;
		break;
	case SV_SETUP:
	case SV_ACTIVE:
	case SV_RESET:
		pool->nactive--;
		break;
	case SV_CLOSING:
		return;
	}
	sg_list_remove(&s->pool_node);
	pool->nclosing++;
	if (login_failed) {
		pool->consecutive_failures++;
		pool->px->stats.server_connect_failures++;
		snprintf(pool->last_error, sizeof(pool->last_error), "%s", why);
		pool_fail_waiters(pool, why);
	} else if (!sg_list_empty(&pool->waiters) || pool->want_welcome) {
		pool_grow(pool);
	}
}

void sg_pool_server_freed(sg_pool_t *pool)
{
	pool->nclosing--;
	if (pool->retired && sg_pool_is_empty(pool)) {
		sg_list_remove(&pool->retired_node);
		sg_pool_free(pool);
	}
}

void sg_pool_need_welcome(sg_pool_t *pool)
{
	if (pool->have_welcome)
		return;
	pool->want_welcome = true;
	pool_grow(pool);
	if (pool->npending == 0)
		pool_fail_waiters(pool, pool->last_error[0] ? pool->last_error : "connection failed");
}

void sg_pool_tick(sg_pool_t *pool, uint64_t now_ms)
{
	const config_t *cfg = pool->px->cfg;
	sg_list_t *n, *next;
	char msg[256];

	/* Checkout timeouts: waiters are in arrival order. */
	while (!sg_list_empty(&pool->waiters)) {
		sg_client_t *c = sg_container_of(pool->waiters.next, sg_client_t, wait_node);
		if (now_ms - c->wait_since_ms < (uint64_t)cfg->pool.checkout_timeout_ms)
			break;
		sg_list_remove(&c->wait_node);
		pool->nwaiting--;
		pool->px->stats.checkout_timeouts++;
		snprintf(msg, sizeof(msg),
		         "no server connection for shard \"%s\" became free within pool.checkout_timeout "
		         "(%lld ms)",
		         pool->shard, (long long)cfg->pool.checkout_timeout_ms);
		client_checkout_failed(c, "53300", msg);
	}
	/* Connections that take too long to log in. */
	for (n = pool->pending.next; n != &pool->pending; n = next) {
		sg_server_t *s = sg_container_of(n, sg_server_t, pool_node);
		next = n->next;
		if ((s->state == SV_CONNECTING || s->state == SV_LOGIN) &&
		    now_ms - s->state_since_ms > (uint64_t)cfg->pool.connect_timeout_ms)
			server_close(s, "connect_timeout expired");
	}
	/* Idle servers beyond idle_timeout (oldest are at the tail). */
	while (!sg_list_empty(&pool->idle)) {
		sg_server_t *s = sg_container_of(pool->idle.prev, sg_server_t, pool_node);
		if (now_ms - s->last_used_ms < (uint64_t)cfg->pool.idle_timeout_ms)
			break;
		server_close(s, "idle_timeout expired");
	}
}

void sg_pool_retire(sg_pool_t *pool)
{
	pool->retired = true;
	pool->shard_index = -1;
	while (!sg_list_empty(&pool->idle)) {
		sg_server_t *s = sg_container_of(pool->idle.next, sg_server_t, pool_node);
		server_close(s, "shard configuration changed");
	}
	pool_fail_waiters(pool, "shard configuration changed");
}
