/* test_pool.c — server parameters, and the pool's checkout / release /
 * wait queue on a real event loop.
 *
 * Each pool test gets a fresh sg_proxy_t with its own uv loop and two
 * shards: "live", served by a fake backend listening in the same loop
 * (it logs in any startup packet with AuthenticationOk, a few
 * ParameterStatus, BackendKeyData and ReadyForQuery, and answers each
 * Query with CommandComplete + ReadyForQuery), and "dead", a loopback
 * port where nothing listens. Clients are real sg_client_t objects whose
 * stream is one end of a socketpair; the test reads what the proxy sends
 * them from the other end. Teardown closes every handle and runs the loop
 * dry, so ASan's leak check sees everything freed. The harness is in
 * pool_harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "config.h"
#include "log.h"
#include "pool.h"
#include "proxy.h"
#include "server.h"
#include "wire.h"

#include "pool_harness.h"

/* ---- sg_params ---- */

static void test_params_set_get_del(void **state)
{
	sg_params_t p = {0};

	(void)state;
	assert_null(sg_params_get(&p, "TimeZone"));
	assert_int_equal(sg_params_set(&p, "TimeZone", "'UTC'"), 0);
	assert_int_equal(sg_params_set(&p, "search_path", "public"), 0);
	assert_int_equal(p.n, 2);
	/* Setting names are case-insensitive, as in PostgreSQL. */
	assert_string_equal(sg_params_get(&p, "timezone"), "'UTC'");
	assert_string_equal(sg_params_get(&p, "TIMEZONE"), "'UTC'");
	assert_string_equal(sg_params_get(&p, "Search_Path"), "public");
	assert_null(sg_params_get(&p, "time"));
	assert_null(sg_params_get(&p, "TimeZone2"));

	/* Replacing keeps one entry, and the first spelling of the name. */
	assert_int_equal(sg_params_set(&p, "TIMEZONE", "'Asia/Tokyo'"), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(sg_params_get(&p, "TimeZone"), "'Asia/Tokyo'");
	assert_string_equal(p.names[0], "TimeZone");

	sg_params_del(&p, "TIMEZONE");
	assert_int_equal(p.n, 1);
	assert_null(sg_params_get(&p, "TimeZone"));
	assert_string_equal(sg_params_get(&p, "search_path"), "public");
	sg_params_del(&p, "TimeZone"); /* absent: no-op */
	sg_params_del(&p, "nothing");
	assert_int_equal(p.n, 1);

	sg_params_free(&p);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.cap, 0);
	assert_null(p.names);
	assert_null(p.values);
	assert_null(sg_params_get(&p, "search_path"));
	sg_params_free(&p);
}

static void test_params_copies_and_grows(void **state)
{
	sg_params_t p = {0}, q = {0};
	char name[16], value[16];
	int i;

	(void)state;
	/* Names and values are copied. */
	strcpy(name, "app.x");
	strcpy(value, "'1'");
	assert_int_equal(sg_params_set(&p, name, value), 0);
	name[0] = 'X';
	value[1] = '9';
	assert_string_equal(sg_params_get(&p, "app.x"), "'1'");

	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(value, sizeof(value), "'%d'", i * 10);
		assert_int_equal(sg_params_set(&p, name, value), 0);
	}
	assert_int_equal(p.n, 31);
	assert_true(p.cap >= 31);
	assert_string_equal(sg_params_get(&p, "P17"), "'170'");
	/* Deleting from the middle keeps the rest reachable. */
	sg_params_del(&p, "p3");
	sg_params_del(&p, "app.x");
	assert_int_equal(p.n, 29);
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(value, sizeof(value), "'%d'", i * 10);
		if (i == 3)
			assert_null(sg_params_get(&p, name));
		else
			assert_string_equal(sg_params_get(&p, name), value);
	}

	/* sg_params_copy adds to (and overrides in) the destination. */
	assert_int_equal(sg_params_set(&q, "p5", "'old'"), 0);
	assert_int_equal(sg_params_set(&q, "only_q", "'q'"), 0);
	assert_int_equal(sg_params_copy(&q, &p), 0);
	assert_int_equal(q.n, 30);
	assert_string_equal(sg_params_get(&q, "p5"), "'50'");
	assert_string_equal(sg_params_get(&q, "only_q"), "'q'");
	sg_params_free(&p);
	sg_params_free(&q);
}

/* ---- pool construction ---- */

static void test_pool_new_and_matches(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live, *p3;
	const cfg_shard_t *sh0 = &fx->cfg->shards[0];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&p->addr;
	cfg_host_t hosts[2];
	cfg_shard_t sh;

	assert_ptr_equal(p->px, &fx->px);
	assert_string_equal(p->shard, "live");
	assert_ptr_not_equal(p->shard, sh0->name); /* owned copies outlive a reload */
	assert_string_equal(p->host, "127.0.0.1");
	assert_int_equal(p->port, fx->live_port);
	assert_string_equal(p->database, "appdb");
	assert_string_equal(p->user, "appuser");
	assert_string_equal(p->password, "secret");
	assert_int_equal(p->size, 2);
	assert_int_equal(p->shard_index, 0);
	assert_int_equal(fx->dead->shard_index, 1);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), fx->live_port);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_true(sg_pool_is_empty(p));
	assert_true(sg_list_empty(&p->waiters));

	assert_true(sg_pool_matches(p, sh0));
	assert_false(sg_pool_matches(p, &fx->cfg->shards[1]));
	assert_true(sg_pool_matches(fx->dead, &fx->cfg->shards[1]));
	sh = *sh0;
	sh.name = (char *)"other";
	assert_false(sg_pool_matches(p, &sh));
	sh = *sh0;
	sh.database = (char *)"otherdb";
	assert_false(sg_pool_matches(p, &sh));
	sh = *sh0;
	sh.user = (char *)"other";
	assert_false(sg_pool_matches(p, &sh));
	sh = *sh0;
	sh.password = (char *)"changed";
	assert_false(sg_pool_matches(p, &sh));
	sh.password = NULL;
	assert_false(sg_pool_matches(p, &sh));

	/* The primary decides, wherever it is in the list. */
	sh = *sh0;
	hosts[0] = (cfg_host_t){.host = (char *)"127.0.0.2", .port = 5432, .role = HOST_REPLICA};
	hosts[1] = (cfg_host_t){.host = (char *)"127.0.0.1", .port = fx->live_port, .role = HOST_PRIMARY};
	sh.hosts = hosts;
	sh.nhosts = 2;
	assert_true(sg_pool_matches(p, &sh));
	hosts[1].port = fx->live_port + 1;
	assert_false(sg_pool_matches(p, &sh));
	hosts[1].port = fx->live_port;
	hosts[1].host = (char *)"localhost";
	assert_false(sg_pool_matches(p, &sh)); /* names are compared, not addresses */
	hosts[1].host = (char *)"127.0.0.1";
	hosts[0].role = HOST_PRIMARY;
	hosts[1].role = HOST_REPLICA;
	assert_false(sg_pool_matches(p, &sh));
	/* Without a primary, the first host is used. */
	hosts[0].role = HOST_REPLICA;
	assert_false(sg_pool_matches(p, &sh));
	hosts[0].host = (char *)"127.0.0.1";
	hosts[0].port = fx->live_port;
	assert_true(sg_pool_matches(p, &sh));

	/* A NULL password is the empty password. */
	sh = *sh0;
	sh.password = NULL;
	assert_int_equal(sg_pool_new(&fx->px, &sh, 5, 3, &p3), 0);
	assert_string_equal(p3->password, "");
	assert_int_equal(p3->size, 3);
	assert_int_equal(p3->shard_index, 5);
	assert_true(sg_pool_matches(p3, &sh));
	sh.password = (char *)"";
	assert_true(sg_pool_matches(p3, &sh));
	sg_pool_free(p3);
	sg_pool_free(NULL);
}

/* ---- waiting, cancelling, failing ---- */

static void test_checkout_queues_then_cancel(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->dead;
	char want[160];
	uint64_t before = sg_now_ms();
	sg_client_t *c;
	int peer;

	c = client_waiting(fx, p, &peer);
	/* Queued, and a connection attempt is under way for it. */
	assert_int_equal(p->nwaiting, 1);
	assert_ptr_equal(p->waiters.next, &c->wait_node);
	assert_int_equal(p->npending, 1);
	assert_int_equal(p->nidle + p->nactive, 0);
	assert_int_equal(fx->px.stats.server_connects, 1);
	assert_true(c->wait_since_ms >= before && c->wait_since_ms <= sg_now_ms());
	assert_int_equal(sg_container_of(p->pending.next, sg_server_t, pool_node)->state, SV_CONNECTING);
	assert_false(sg_pool_is_empty(p));

	sg_pool_cancel_wait(p, c);
	assert_int_equal(p->nwaiting, 0);
	assert_true(sg_list_empty(&c->wait_node));
	assert_true(sg_list_empty(&p->waiters));
	sg_pool_cancel_wait(p, c); /* twice: no underflow */
	assert_int_equal(p->nwaiting, 0);

	/* The refused connection is counted and remembered; nobody waits. */
	SPIN_UNTIL(fx, p->npending == 0 && p->nclosing == 0);
	assert_true(sg_pool_is_empty(p));
	assert_int_equal(p->consecutive_failures, 1);
	assert_int_equal(fx->px.stats.server_connect_failures, 1);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d failed: connection refused", fx->dead_port);
	assert_string_equal(p->last_error, want);
	assert_int_equal(c->state, CL_WAITING);
	assert_peer_silent(peer);
}

static void test_connect_failure_fails_waiters(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->dead;
	sg_client_t *c[3];
	int peer[3], i;
	char want[200];
	peer_out_t o;

	for (i = 0; i < 3; i++)
		c[i] = client_waiting(fx, p, &peer[i]);
	/* FIFO, and no more connections than the pool size (2). */
	assert_int_equal(p->nwaiting, 3);
	assert_ptr_equal(p->waiters.next, &c[0]->wait_node);
	assert_ptr_equal(c[0]->wait_node.next, &c[1]->wait_node);
	assert_ptr_equal(c[1]->wait_node.next, &c[2]->wait_node);
	assert_ptr_equal(c[2]->wait_node.next, &p->waiters);
	assert_int_equal(p->npending, 2);
	assert_int_equal(fx->px.stats.server_connects, 2);

	/* Waiters fail only once the last attempt has failed. */
	SPIN_UNTIL(fx, p->nwaiting == 0);
	assert_int_equal(p->npending, 0);
	assert_int_equal(p->consecutive_failures, 2);
	assert_int_equal(fx->px.stats.server_connect_failures, 2);
	snprintf(want, sizeof(want),
	         "could not connect to shard \"dead\": connect to 127.0.0.1:%d failed: connection refused",
	         fx->dead_port);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c[i]->state, CL_IDLE);
		assert_true(sg_list_empty(&c[i]->wait_node));
		/* No Sync was pending: discard until it arrives. */
		assert_true(c[i]->skip_until_sync);
		peer_read(peer[i], &o);
		assert_error(&o, "ERROR", "08006", want);
		assert_peer_done(&o);
	}
	SPIN_UNTIL(fx, p->nclosing == 0);
}

static void test_checkout_timeout(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->dead;
	uint64_t base = sg_now_ms();
	sg_client_t *c1, *c2;
	int peer1, peer2;
	peer_out_t o;

	c1 = client_waiting(fx, p, &peer1);
	c2 = client_waiting(fx, p, &peer2);
	/* What they were waiting to send: a Query, and a Parse without Sync. */
	assert_int_equal(wire_write_query(&c1->in, "SELECT 1"), 0);
	assert_int_equal(wire_write_parse(&c2->in, "", "SELECT 2", 0, NULL), 0);
	c1->wait_since_ms = base;
	c2->wait_since_ms = base + 500;

	/* checkout_timeout is 2 s. The loop is not run, so the connection
	 * attempts stay pending (connect_timeout is 10 s). */
	sg_pool_tick(p, base + 1999);
	assert_int_equal(p->nwaiting, 2);
	assert_int_equal(fx->px.stats.checkout_timeouts, 0);
	assert_peer_silent(peer1);

	sg_pool_tick(p, base + 2000);
	assert_int_equal(p->nwaiting, 1);
	assert_ptr_equal(p->waiters.next, &c2->wait_node);
	assert_int_equal(fx->px.stats.checkout_timeouts, 1);
	assert_int_equal(c1->state, CL_IDLE);
	assert_false(c1->skip_until_sync);
	assert_int_equal(c1->in.len, 0);
	peer_read(peer1, &o);
	assert_error(
	        &o, "ERROR", "53300",
	        "no server connection for shard \"dead\" became free within pool.checkout_timeout (2000 ms)");
	assert_ready(&o, 'I');
	assert_peer_done(&o);
	assert_peer_silent(peer2);
	assert_int_equal(p->npending, 2);

	sg_pool_tick(p, base + 2500);
	assert_int_equal(p->nwaiting, 0);
	assert_int_equal(fx->px.stats.checkout_timeouts, 2);
	assert_int_equal(c2->state, CL_IDLE);
	assert_true(c2->skip_until_sync);
	assert_int_equal(c2->in.len, 0);
	peer_read(peer2, &o);
	assert_error(
	        &o, "ERROR", "53300",
	        "no server connection for shard \"dead\" became free within pool.checkout_timeout (2000 ms)");
	assert_peer_done(&o);
	assert_int_equal(p->npending, 2);
}

static void test_connect_timeout(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_server_t *s;
	sg_client_t *c;
	uint64_t now;
	int peer;
	peer_out_t o;

	fx->mode = BE_SILENT;
	c = client_waiting(fx, p, &peer);
	SPIN_UNTIL(fx, fx->nstartups == 1);
	assert_string_equal(fx->startup_user, "appuser");
	assert_string_equal(fx->startup_db, "appdb");
	s = sg_container_of(p->pending.next, sg_server_t, pool_node);
	assert_int_equal(s->state, SV_LOGIN);

	/* connect_timeout is 10 s; keep the client inside checkout_timeout. */
	now = s->state_since_ms + 10000;
	c->wait_since_ms = now;
	sg_pool_tick(p, now);
	assert_int_equal(p->npending, 1);
	sg_pool_tick(p, now + 1);
	assert_int_equal(p->npending, 0);
	assert_int_equal(p->nclosing, 1);
	assert_string_equal(p->last_error, "connect_timeout expired");
	assert_int_equal(p->consecutive_failures, 1);
	assert_int_equal(fx->px.stats.checkout_timeouts, 0);
	assert_int_equal(p->nwaiting, 0);
	peer_read(peer, &o);
	assert_error(&o, "ERROR", "08006", "could not connect to shard \"live\": connect_timeout expired");
	assert_peer_done(&o);
	SPIN_UNTIL(fx, p->nclosing == 0 && sg_list_empty(&fx->conns));
}

/* While another login attempt is still under way, a failed one leaves
 * the waiters queued; the last failure fails them all. */
static void test_waiters_fail_after_last_attempt(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2;
	int peer1, peer2;
	peer_out_t o;

	fx->mode = BE_SILENT;
	c1 = client_waiting(fx, p, &peer1);
	c2 = client_waiting(fx, p, &peer2);
	assert_int_equal(p->npending, 2);
	SPIN_UNTIL(fx, fx->nstartups == 2);

	server_close(sg_container_of(p->pending.next, sg_server_t, pool_node), "first attempt failed");
	assert_int_equal(p->npending, 1);
	assert_int_equal(p->nwaiting, 2);
	assert_int_equal(c1->state, CL_WAITING);
	assert_int_equal(p->consecutive_failures, 1);
	assert_string_equal(p->last_error, "first attempt failed");
	assert_peer_silent(peer1);

	server_close(sg_container_of(p->pending.next, sg_server_t, pool_node), "second attempt failed");
	assert_int_equal(p->npending, 0);
	assert_int_equal(p->nwaiting, 0);
	assert_int_equal(p->consecutive_failures, 2);
	assert_int_equal(c1->state, CL_IDLE);
	assert_int_equal(c2->state, CL_IDLE);
	peer_read(peer1, &o);
	assert_error(&o, "ERROR", "08006", "could not connect to shard \"live\": second attempt failed");
	assert_peer_done(&o);
	peer_read(peer2, &o);
	assert_error(&o, "ERROR", "08006", "could not connect to shard \"live\": second attempt failed");
	assert_peer_done(&o);
	SPIN_UNTIL(fx, p->nclosing == 0 && sg_list_empty(&fx->conns));
}

static void test_login_error_fails_waiters(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	int peer;
	peer_out_t o;

	fx->mode = BE_FAIL;
	(void)client_waiting(fx, p, &peer);
	SPIN_UNTIL(fx, p->nwaiting == 0 && p->nclosing == 0);
	assert_true(sg_pool_is_empty(p));
	assert_false(p->have_welcome);
	assert_int_equal(p->consecutive_failures, 1);
	assert_int_equal(fx->px.stats.server_connect_failures, 1);
	assert_string_equal(p->last_error,
	                    "login failed: 28P01: password authentication failed for user \"appuser\"");
	peer_read(peer, &o);
	assert_error(
	        &o, "ERROR", "08006",
	        "could not connect to shard \"live\": login failed: 28P01: password authentication failed "
	        "for user \"appuser\"");
	assert_peer_done(&o);
}

/* ---- serving, releasing ---- */

static void test_login_serves_waiter_then_release(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2;
	sg_server_t *s;
	int peer1, peer2;

	c1 = client_waiting(fx, p, &peer1);
	assert_int_equal(p->npending, 1);
	SPIN_UNTIL(fx, c1->state == CL_ACTIVE);
	s = c1->server;
	assert_non_null(s);
	assert_ptr_equal(s->client, c1);
	assert_int_equal(s->state, SV_ACTIVE);
	assert_int_equal(s->backend_pid, 4001);
	assert_int_equal(s->backend_key, 777);
	assert_int_equal(p->npending, 0);
	assert_int_equal(p->nactive, 1);
	assert_int_equal(p->nidle, 0);
	assert_int_equal(p->nwaiting, 0);
	assert_int_equal(p->served, 1);
	assert_int_equal(p->consecutive_failures, 0);
	assert_true(p->have_welcome);
	assert_string_equal(sg_params_get(&p->welcome_raw, "server_version"), "15.0");
	assert_string_equal(sg_params_get(&p->welcome_raw, "client_encoding"), "UTF8");
	assert_string_equal(sg_params_get(&p->welcome_raw, "application_name"), "");
	/* The server keeps settings as SQL literals. */
	assert_string_equal(sg_params_get(&s->login_params, "client_encoding"), "'UTF8'");
	assert_int_equal(fx->nqueries, 0); /* nothing to SET for this client */

	/* Released: idle, detached, counted. */
	client_server_released(c1);
	assert_int_equal(c1->state, CL_IDLE);
	assert_null(c1->server);
	assert_null(s->client);
	assert_int_equal(s->state, SV_IDLE);
	assert_int_equal(p->nactive, 0);
	assert_int_equal(p->nidle, 1);
	assert_ptr_equal(p->idle.next, &s->pool_node);
	assert_int_equal(fx->px.stats.transactions, 1);

	/* An idle server is handed out at once, without a new connection. */
	c2 = client_attached(fx, p, &peer2);
	assert_ptr_equal(c2->server, s);
	assert_int_equal(p->nidle, 0);
	assert_int_equal(p->nactive, 1);
	assert_int_equal(p->served, 2);
	assert_int_equal(fx->naccepted, 1);
	client_server_released(c2);
	assert_int_equal(p->nidle, 1);
	assert_peer_silent(peer1);
	assert_peer_silent(peer2);
}

static void test_release_serves_next_waiter_fifo(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2, *c3;
	sg_server_t *s;
	int peer;

	p->size = 1;
	c1 = client_attached(fx, p, &peer);
	s = c1->server;
	c2 = client_waiting(fx, p, &peer);
	c3 = client_waiting(fx, p, &peer);
	/* Full: nobody connects for them. */
	assert_int_equal(p->nwaiting, 2);
	assert_int_equal(p->npending, 0);
	assert_int_equal(fx->px.stats.server_connects, 1);

	client_server_released(c1);
	assert_int_equal(c2->state, CL_ACTIVE);
	assert_ptr_equal(c2->server, s);
	assert_ptr_equal(s->client, c2);
	assert_int_equal(c3->state, CL_WAITING);
	assert_int_equal(p->nwaiting, 1);
	assert_int_equal(p->nidle, 0);
	assert_int_equal(p->nactive, 1);

	client_server_released(c2);
	assert_int_equal(c3->state, CL_ACTIVE);
	assert_ptr_equal(c3->server, s);
	assert_int_equal(p->nwaiting, 0);

	client_server_released(c3);
	assert_int_equal(p->nidle, 1);
	assert_int_equal(p->nactive, 0);
	assert_int_equal(p->served, 3);
	assert_int_equal(fx->px.stats.transactions, 3);
}

/* Two idle servers: the most recently used is handed out first, and
 * idle_timeout closes from the least recently used end. */
static void test_idle_order_and_timeout(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2, *c3;
	sg_server_t *s1, *s2;
	uint64_t t;
	int peer;

	c1 = client_attached(fx, p, &peer);
	c2 = client_attached(fx, p, &peer);
	s1 = c1->server;
	s2 = c2->server;
	assert_ptr_not_equal(s1, s2);
	assert_int_equal(fx->naccepted, 2);
	client_server_released(c1);
	client_server_released(c2);
	assert_int_equal(p->nidle, 2);
	assert_ptr_equal(p->idle.next, &s2->pool_node);
	assert_ptr_equal(p->idle.prev, &s1->pool_node);

	c3 = client_attached(fx, p, &peer);
	assert_ptr_equal(c3->server, s2);
	client_server_released(c3);

	t = sg_now_ms();
	s1->last_used_ms = t;
	s2->last_used_ms = t + 1000;
	sg_pool_tick(p, t + 60000 - 1); /* idle_timeout is 60 s */
	assert_int_equal(p->nidle, 2);
	sg_pool_tick(p, t + 60000);
	assert_int_equal(p->nidle, 1);
	assert_int_equal(p->nclosing, 1);
	assert_ptr_equal(p->idle.next, &s2->pool_node);
	sg_pool_tick(p, t + 61000);
	assert_int_equal(p->nidle, 0);
	assert_int_equal(p->nclosing, 2);
	SPIN_UNTIL(fx, p->nclosing == 0 && sg_list_empty(&fx->conns));
	assert_true(sg_pool_is_empty(p));
}

static void test_release_unclean_closes(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2;
	sg_server_t *s;
	int peer;

	p->size = 1;
	c1 = client_attached(fx, p, &peer);
	s = c1->server;
	c2 = client_waiting(fx, p, &peer);
	assert_int_equal(p->npending, 0);

	/* Given back inside a transaction: closed, and the freed slot is
	 * used to connect for the waiter. */
	s->tx_status = 'T';
	server_detach(s);
	sg_pool_release(p, s);
	assert_int_equal(p->nactive, 0);
	assert_int_equal(p->nidle, 0);
	assert_int_equal(p->nclosing, 1);
	assert_int_equal(p->npending, 1);
	SPIN_UNTIL(fx, c2->state == CL_ACTIVE);
	s = c2->server;
	assert_int_equal(s->backend_pid, 4002);
	assert_int_equal(fx->px.stats.server_connects, 2);

	/* Dirty (a session setting could not be restored): closed too. */
	s->dirty = true;
	client_server_released(c2);
	assert_null(c2->server);
	assert_int_equal(p->nactive, 0);
	assert_int_equal(p->nidle, 0);
	SPIN_UNTIL(fx, p->nclosing == 0 && sg_list_empty(&fx->conns));
	assert_true(sg_pool_is_empty(p));
	assert_int_equal(fx->naccepted, 2);
}

/* PAUSE holds new requests in the proxy (client_relay), not in the pool:
 * a client already queued here when PAUSE came is still served, so it
 * cannot be stranded next to an idle server after RESUME. */
static void test_paused_release_serves_queued_waiter(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2;
	sg_server_t *s;
	int peer;

	p->size = 1;
	c1 = client_attached(fx, p, &peer);
	s = c1->server;
	c2 = client_waiting(fx, p, &peer);
	fx->px.paused = true;
	client_server_released(c1);
	assert_int_equal(c2->state, CL_ACTIVE);
	assert_ptr_equal(c2->server, s);
	assert_int_equal(p->nwaiting, 0);
	assert_int_equal(p->nidle, 0);
	assert_int_equal(p->served, 2);
	fx->px.paused = false;
}

static void test_retire(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c1, *c2;
	int peer1, peer2;
	peer_out_t o;

	p->size = 1;
	c1 = client_attached(fx, p, &peer1);
	c2 = client_waiting(fx, p, &peer2);
	/* As sg_proxy does on reload: keep a retired pool until it empties. */
	sg_list_push_back(&fx->px.retired_pools, &p->retired_node);
	sg_pool_retire(p);
	assert_true(p->retired);
	assert_int_equal(p->shard_index, -1);
	assert_int_equal(p->nwaiting, 0);
	assert_int_equal(p->nactive, 1);
	assert_int_equal(c2->state, CL_IDLE);
	peer_read(peer2, &o);
	assert_error(&o, "ERROR", "08006",
	             "could not connect to shard \"live\": shard configuration changed");
	assert_peer_done(&o);
	assert_int_equal(c1->state, CL_ACTIVE);

	/* The server in use is closed on release, and the empty pool frees
	 * itself. */
	client_server_released(c1);
	assert_null(c1->server);
	assert_int_equal(c1->state, CL_IDLE);
	SPIN_UNTIL(fx, sg_list_empty(&fx->px.retired_pools));
	fx->live = NULL;
	c1->pool = NULL; /* it pointed at the freed pool */
	c2->pool = NULL;
	assert_peer_silent(peer1);
}

/* ---- welcome ---- */

static void test_welcome_from_first_login(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->live;
	sg_client_t *c;
	wire_frame_t f;
	int32_t pid, key;
	int peer;
	peer_out_t o;

	c = client_new(fx, p, CL_WELCOME, &peer);
	assert_int_equal(sg_params_set(&c->params, "application_name", "'myapp'"), 0);
	sg_pool_need_welcome(p);
	assert_true(p->want_welcome);
	assert_int_equal(p->npending, 1);
	SPIN_UNTIL(fx, c->state == CL_IDLE);
	assert_true(p->have_welcome);
	assert_false(p->want_welcome);
	assert_int_equal(p->nidle, 1);
	assert_int_equal(p->npending, 0);

	peer_read(peer, &o);
	f = peer_next(&o);
	assert_int_equal(f.type, 'R');
	assert_int_equal(f.body_len, 4);
	assert_memory_equal(f.body, "\0\0\0\0", 4);
	assert_param(&o, "server_version", "15.0");
	assert_param(&o, "client_encoding", "UTF8");
	assert_param(&o, "application_name", "myapp"); /* what the client asked for */
	f = peer_next(&o);
	assert_int_equal(f.type, 'K');
	assert_int_equal(wire_backend_key_parse(&f, &pid, &key), 0);
	assert_int_equal(pid, c->key_pid);
	assert_int_equal(key, c->key_secret);
	assert_ready(&o, 'I');
	assert_peer_done(&o);

	/* Known now: no further connection. */
	sg_pool_need_welcome(p);
	assert_int_equal(p->npending, 0);
	assert_int_equal(fx->naccepted, 1);
}

static void test_welcome_fails_when_unreachable(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->dead;
	char want[200];
	int peer;
	peer_out_t o;

	(void)client_new(fx, p, CL_WELCOME, &peer);
	sg_pool_need_welcome(p);
	assert_int_equal(p->npending, 1);
	/* FATAL: the client is closed once the error is written. */
	SPIN_UNTIL(fx, fx->px.nclients == 0 && p->nclosing == 0);
	assert_false(p->want_welcome);
	assert_false(p->have_welcome);
	peer_read(peer, &o);
	snprintf(want, sizeof(want),
	         "could not connect to shard \"dead\": connect to 127.0.0.1:%d failed: connection refused",
	         fx->dead_port);
	assert_error(&o, "FATAL", "08006", want);
	assert_peer_done(&o);
	assert_true(o.eof);
}

static void test_welcome_fails_without_connecting(void **state)
{
	fixture_t *fx = *state;
	sg_pool_t *p = fx->dead;
	int peer;
	peer_out_t o;

	/* Shutting down: no connection is opened, so the wait fails now. */
	(void)client_new(fx, p, CL_WELCOME, &peer);
	fx->px.shutting_down = true;
	sg_pool_need_welcome(p);
	fx->px.shutting_down = false;
	assert_int_equal(p->npending, 0);
	assert_int_equal(fx->px.stats.server_connects, 0);
	SPIN_UNTIL(fx, fx->px.nclients == 0);
	peer_read(peer, &o);
	assert_error(&o, "FATAL", "08006", "could not connect to shard \"dead\": connection failed");
	assert_peer_done(&o);
	assert_true(o.eof);
}

#define POOL_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_params_set_get_del),
	        cmocka_unit_test(test_params_copies_and_grows),
	        POOL_TEST(test_pool_new_and_matches),
	        POOL_TEST(test_checkout_queues_then_cancel),
	        POOL_TEST(test_connect_failure_fails_waiters),
	        POOL_TEST(test_checkout_timeout),
	        POOL_TEST(test_connect_timeout),
	        POOL_TEST(test_waiters_fail_after_last_attempt),
	        POOL_TEST(test_login_error_fails_waiters),
	        POOL_TEST(test_login_serves_waiter_then_release),
	        POOL_TEST(test_release_serves_next_waiter_fifo),
	        POOL_TEST(test_idle_order_and_timeout),
	        POOL_TEST(test_release_unclean_closes),
	        POOL_TEST(test_paused_release_serves_queued_waiter),
	        POOL_TEST(test_retire),
	        POOL_TEST(test_welcome_from_first_login),
	        POOL_TEST(test_welcome_fails_when_unreachable),
	        POOL_TEST(test_welcome_fails_without_connecting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
