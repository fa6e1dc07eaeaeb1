/* test_config.c — the YAML configuration loader: values, defaults,
 * durations, ${VAR}, every class of error with its exact place, and the
 * reference example in docs/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"

/* The format as documented, with every key. */
static const char full_yaml[] =
        "listen: { host: 127.0.0.1, port: 6432, max_client_connections: 10000, max_message_size: 64MB }\n"
        "admin: { socket_dir: /tmp/shardgate, port: 6433 }\n"
        "auth:\n"
        "  method: scram-sha-256            # scram-sha-256 | md5 | trust\n"
        "  users:\n"
        "    - { name: app, password: \"${APP_PASSWORD}\" }\n"
        "pool: { mode: transaction, size: 20, checkout_timeout: 5s, idle_timeout: 60s, connect_timeout: 3s "
        "}\n"
        "shards:\n"
        "  - name: americas\n"
        "    database: analytics\n"
        "    user: postgres\n"
        "    password: \"\"\n"
        "    hosts:\n"
        "      - { host: 127.0.0.1, port: 5501, role: primary }\n"
        "      - { host: 127.0.0.1, port: 5511, role: replica }\n"
        "  - { name: europe, database: analytics, user: postgres, password: \"\", hosts: [ { host: "
        "127.0.0.1, "
        "port: 5502, role: primary } ] }\n"
        "  - { name: asia,   database: analytics, user: postgres, password: \"\", hosts: [ { host: "
        "127.0.0.1, "
        "port: 5503, role: primary } ] }\n"
        "default_shard: americas\n"
        "tables:\n"
        "  orders:           { shard_by: hash, column: user_id, type: integer }\n"
        "  regional_metrics: { shard_by: region, column: region, default_shard: americas,\n"
        "                      regions: { americas: [US, CA, MX, BR], europe: [UK, DE, FR, ES], asia: [JP, "
        "SG, "
        "AU, IN] } }\n"
        "  metrics:          { shard_by: time, column: created_at,\n"
        "                      tiers: [ { name: current, max_age: 7d, shard: americas },\n"
        "                               { name: recent, max_age: 30d, shard: europe },\n"
        "                               { name: archive, shard: asia } ] }\n"
        "  countries:        { shard_by: replicated }\n"
        "hash: { slots: 1024 }\n"
        "health: { interval: 2s, timeout: 1s, failures_before_down: 3 }\n"
        "metrics: { listen: 127.0.0.1:9930 }\n"
        "fanout: { timeout: 30s, allow_multi_shard_writes: false, partial_results: false }\n"
        "log: { level: info }            # error | warn | info | debug\n"
        "state_dir: /tmp/shardgate/state\n"
        "shutdown_timeout: 30s\n";

static config_t *load_ok(const char *yaml)
{
	config_error_t err;
	config_t *c = NULL;
	int rc = config_load_string(yaml, strlen(yaml), "test.yaml", &c, &err);

	if (rc != 0)
		fail_msg("unexpected error %d: %s:%d:%d: %s", rc, err.file, err.line, err.column, err.msg);
	assert_non_null(c);
	return c;
}

static void assert_host(const cfg_host_t *h, const char *host, int port, host_role_t role)
{
	assert_string_equal(h->host, host);
	assert_int_equal(h->port, port);
	assert_int_equal(h->role, role);
}

static void assert_shard(const cfg_shard_t *s, const char *name, size_t nhosts)
{
	assert_string_equal(s->name, name);
	assert_string_equal(s->database, "analytics");
	assert_string_equal(s->user, "postgres");
	assert_string_equal(s->password, "");
	assert_int_equal(s->nhosts, nhosts);
}

static void assert_region(const cfg_region_t *r, const char *shard, const char *v0, const char *v3)
{
	assert_string_equal(r->shard, shard);
	assert_int_equal(r->nvalues, 4);
	assert_string_equal(r->values[0], v0);
	assert_string_equal(r->values[3], v3);
}

static void assert_tier(const cfg_tier_t *t, const char *name, int64_t max_age_ms, const char *shard)
{
	assert_string_equal(t->name, name);
	assert_int_equal(t->max_age_ms, max_age_ms);
	assert_string_equal(t->shard, shard);
}

static void assert_full_tables(const config_t *c)
{
	const cfg_table_t *t;

	assert_int_equal(c->ntables, 4);
	t = &c->tables[0];
	assert_string_equal(t->name, "orders");
	assert_int_equal(t->by, SHARD_BY_HASH);
	assert_string_equal(t->column, "user_id");
	assert_int_equal(t->key_type, KEY_TYPE_INTEGER);
	assert_null(t->default_shard);
	assert_int_equal(t->nregions, 0);
	assert_int_equal(t->ntiers, 0);

	t = &c->tables[1];
	assert_string_equal(t->name, "regional_metrics");
	assert_int_equal(t->by, SHARD_BY_REGION);
	assert_string_equal(t->column, "region");
	assert_string_equal(t->default_shard, "americas");
	assert_int_equal(t->nregions, 3);
	assert_region(&t->regions[0], "americas", "US", "BR");
	assert_string_equal(t->regions[0].values[1], "CA");
	assert_string_equal(t->regions[0].values[2], "MX");
	assert_region(&t->regions[1], "europe", "UK", "ES");
	assert_region(&t->regions[2], "asia", "JP", "IN");

	t = &c->tables[2];
	assert_string_equal(t->name, "metrics");
	assert_int_equal(t->by, SHARD_BY_TIME);
	assert_string_equal(t->column, "created_at");
	assert_int_equal(t->ntiers, 3);
	assert_tier(&t->tiers[0], "current", 7LL * 86400000, "americas");
	assert_tier(&t->tiers[1], "recent", 30LL * 86400000, "europe");
	assert_tier(&t->tiers[2], "archive", -1, "asia");

	t = &c->tables[3];
	assert_string_equal(t->name, "countries");
	assert_int_equal(t->by, SHARD_BY_REPLICATED);
	assert_null(t->column);
	assert_null(t->default_shard);

	assert_ptr_equal(config_table_find(c, "metrics"), &c->tables[2]);
	assert_null(config_table_find(c, "nope"));
}

static void test_full_example(void **state)
{
	config_t *c;

	setenv("APP_PASSWORD", "s3cret", 1);
	c = load_ok(full_yaml);
	assert_int_equal(c->refs, 1);
	assert_string_equal(c->path, "test.yaml");
	assert_string_equal(c->listen.host, "127.0.0.1");
	assert_int_equal(c->listen.port, 6432);
	assert_int_equal(c->listen.max_client_connections, 10000);
	assert_int_equal(c->listen.max_message_size, 64u * 1024 * 1024);
	assert_int_equal(c->listen.workers, 1);
	assert_string_equal(c->listen.unix_socket_dir, "");
	assert_string_equal(c->admin.socket_dir, "/tmp/shardgate");
	assert_int_equal(c->admin.port, 6433);
	assert_int_equal(c->auth.method, AUTH_SCRAM);
	assert_int_equal(c->auth.nusers, 1);
	assert_string_equal(c->auth.users[0].name, "app");
	assert_string_equal(c->auth.users[0].password, "s3cret");
	assert_ptr_equal(config_user_find(c, "app"), &c->auth.users[0]);
	assert_null(config_user_find(c, "bob"));
	assert_int_equal(c->pool.mode, POOL_MODE_TRANSACTION);
	assert_int_equal(c->pool.size, 20);
	assert_int_equal(c->pool.checkout_timeout_ms, 5000);
	assert_int_equal(c->pool.idle_timeout_ms, 60000);
	assert_int_equal(c->pool.connect_timeout_ms, 3000);

	assert_int_equal(c->nshards, 3);
	assert_shard(&c->shards[0], "americas", 2);
	assert_host(&c->shards[0].hosts[0], "127.0.0.1", 5501, HOST_PRIMARY);
	assert_host(&c->shards[0].hosts[1], "127.0.0.1", 5511, HOST_REPLICA);
	assert_shard(&c->shards[1], "europe", 1);
	assert_host(&c->shards[1].hosts[0], "127.0.0.1", 5502, HOST_PRIMARY);
	assert_shard(&c->shards[2], "asia", 1);
	assert_host(&c->shards[2].hosts[0], "127.0.0.1", 5503, HOST_PRIMARY);
	assert_string_equal(c->default_shard, "americas");
	assert_int_equal(config_shard_index(c, "asia"), 2);
	assert_int_equal(config_shard_index(c, "mars"), -1);
	assert_ptr_equal(config_shard_find(c, "europe"), &c->shards[1]);
	assert_null(config_shard_find(c, "mars"));

	assert_full_tables(c);
	assert_int_equal(c->hash.slots, 1024);
	assert_int_equal(c->health.interval_ms, 2000);
	assert_int_equal(c->health.timeout_ms, 1000);
	assert_int_equal(c->health.failures_before_down, 3);
	assert_string_equal(c->metrics.listen, "127.0.0.1:9930");
	assert_int_equal(c->fanout.timeout_ms, 30000);
	assert_false(c->fanout.allow_multi_shard_writes);
	assert_false(c->fanout.partial_results);
	assert_int_equal(c->log.level, LOG_INFO);
	assert_string_equal(c->state_dir, "/tmp/shardgate/state");
	assert_int_equal(c->shutdown_timeout_ms, 30000);
	config_unref(c);
	unsetenv("APP_PASSWORD");
}

/* Every scalar set away from its default, so a key that is parsed but
 * never stored cannot hide behind the default. */
static void test_non_default_values(void **state)
{
	config_t *c = load_ok(
	        "listen: { host: 0.0.0.0, port: 7000, max_client_connections: 5, "
	        "max_message_size: 512kB, workers: 3, unix_socket_dir: /run/sgc }\n"
	        "admin: { socket_dir: /run/sg, port: 7001 }\n"
	        "auth: { method: md5, users: [ { name: u1, password: p1 }, { name: u2, password: p2 } ] }\n"
	        "pool: { mode: session, size: 7, checkout_timeout: 250ms, idle_timeout: 5m, "
	        "connect_timeout: 1h }\n"
	        "shards: [ { name: s1, database: db1, user: bob, password: pw, "
	        "hosts: [ { host: h1, port: 1, role: replica }, { host: h2, port: 65535 } ] },\n"
	        "          { name: s2, database: db2, hosts: [ { host: h3, port: 3 } ] } ]\n"
	        "default_shard: s2\n"
	        "hash: { slots: 65536 }\n"
	        "health: { interval: 10, timeout: 1500ms, failures_before_down: 9 }\n"
	        "fanout: { timeout: 2d, allow_multi_shard_writes: true, partial_results: TRUE }\n"
	        "log: { level: debug }\n"
	        "state_dir: /var/lib/sg\n"
	        "shutdown_timeout: 0s\n");

	assert_string_equal(c->listen.host, "0.0.0.0");
	assert_int_equal(c->listen.port, 7000);
	assert_int_equal(c->listen.max_client_connections, 5);
	assert_int_equal(c->listen.max_message_size, 512 * 1024);
	assert_int_equal(c->listen.workers, 3);
	assert_string_equal(c->listen.unix_socket_dir, "/run/sgc");
	assert_string_equal(c->admin.socket_dir, "/run/sg");
	assert_int_equal(c->admin.port, 7001);
	assert_int_equal(c->auth.method, AUTH_MD5);
	assert_int_equal(c->auth.nusers, 2);
	assert_string_equal(c->auth.users[1].name, "u2");
	assert_string_equal(c->auth.users[1].password, "p2");
	assert_int_equal(c->pool.mode, POOL_MODE_SESSION);
	assert_int_equal(c->pool.size, 7);
	assert_int_equal(c->pool.checkout_timeout_ms, 250);
	assert_int_equal(c->pool.idle_timeout_ms, 300000);
	assert_int_equal(c->pool.connect_timeout_ms, 3600000);
	assert_int_equal(c->nshards, 2);
	assert_string_equal(c->shards[0].database, "db1");
	assert_string_equal(c->shards[0].user, "bob");
	assert_string_equal(c->shards[0].password, "pw");
	assert_host(&c->shards[0].hosts[0], "h1", 1, HOST_REPLICA);
	assert_host(&c->shards[0].hosts[1], "h2", 65535, HOST_PRIMARY);
	assert_string_equal(c->shards[1].user, "postgres");
	assert_string_equal(c->default_shard, "s2");
	assert_int_equal(c->hash.slots, 65536);
	assert_int_equal(c->health.interval_ms, 10000);
	assert_int_equal(c->health.timeout_ms, 1500);
	assert_int_equal(c->health.failures_before_down, 9);
	assert_null(c->metrics.listen);
	assert_int_equal(c->fanout.timeout_ms, 2 * 86400000);
	assert_true(c->fanout.allow_multi_shard_writes);
	assert_true(c->fanout.partial_results);
	assert_int_equal(c->log.level, LOG_DEBUG);
	assert_string_equal(c->state_dir, "/var/lib/sg");
	assert_int_equal(c->shutdown_timeout_ms, 0);
	assert_int_equal(c->ntables, 0);
	assert_null(c->tables);
	config_unref(c);
}

static void assert_defaults(const config_t *c)
{
	assert_string_equal(c->listen.host, "127.0.0.1");
	assert_int_equal(c->listen.port, 6432);
	assert_int_equal(c->listen.max_client_connections, 10000);
	assert_int_equal(c->listen.max_message_size, 64u * 1024 * 1024);
	assert_string_equal(c->admin.socket_dir, "/tmp/shardgate");
	assert_int_equal(c->admin.port, 6433);
	assert_int_equal(c->pool.mode, POOL_MODE_TRANSACTION);
	assert_int_equal(c->pool.size, 20);
	assert_int_equal(c->pool.checkout_timeout_ms, 5000);
	assert_int_equal(c->pool.idle_timeout_ms, 60000);
	assert_int_equal(c->pool.connect_timeout_ms, 3000);
	assert_int_equal(c->hash.slots, 1024);
	assert_int_equal(c->health.interval_ms, 2000);
	assert_int_equal(c->health.timeout_ms, 1000);
	assert_int_equal(c->health.failures_before_down, 3);
	assert_null(c->metrics.listen);
	assert_int_equal(c->fanout.timeout_ms, 30000);
	assert_false(c->fanout.allow_multi_shard_writes);
	assert_false(c->fanout.partial_results);
	assert_int_equal(c->log.level, LOG_INFO);
	assert_string_equal(c->state_dir, "/tmp/shardgate/state");
	assert_int_equal(c->shutdown_timeout_ms, 30000);
}

/* Only shards (plus the users that scram-sha-256, the default method,
 * requires): everything else comes from the defaults. */
static void test_defaults_minimal(void **state)
{
	config_t *c = load_ok("shards:\n"
	                      "  - { name: only, database: db, hosts: [ { host: db.local, port: 5432 } ] }\n"
	                      "auth: { users: [ { name: app, password: x } ] }\n");

	assert_defaults(c);
	assert_int_equal(c->ntables, 0);
	assert_int_equal(c->auth.method, AUTH_SCRAM);
	assert_int_equal(c->nshards, 1);
	assert_string_equal(c->shards[0].user, "postgres");
	assert_string_equal(c->shards[0].password, "");
	assert_host(&c->shards[0].hosts[0], "db.local", 5432, HOST_PRIMARY);
	assert_string_equal(c->default_shard, "only");
	config_unref(c);

	/* Empty sections and null values mean "use the defaults" too. */
	c = load_ok("listen:\nadmin: {}\npool: { size: ~ }\nlog: { level: null }\nauth: { method: trust }\n"
	            "shards: [ { name: s, database: d, hosts: [ { host: h, port: 1 } ] } ]\n"
	            "tables: { t: { shard_by: hash, column: c, regions: , tiers: ~ } }\n");
	assert_int_equal(c->ntables, 1);
	assert_int_equal(c->tables[0].nregions, 0);
	assert_int_equal(c->tables[0].key_type, KEY_TYPE_INTEGER);
	assert_defaults(c);
	assert_int_equal(c->auth.method, AUTH_TRUST);
	assert_int_equal(c->auth.nusers, 0);
	config_unref(c);
}

/* tables.<t>.type picks the PostgreSQL hash of a hash table's key. */
static void test_key_types(void **state)
{
	config_t *c = load_ok("auth: { method: trust }\n"
	                      "shards: [ { name: s, database: d, hosts: [ { host: h, port: 1 } ] } ]\n"
	                      "tables:\n"
	                      "  a: { shard_by: hash, column: id }\n"
	                      "  b: { shard_by: hash, column: id, type: integer }\n"
	                      "  c: { shard_by: hash, column: name, type: text }\n"
	                      "  d: { shard_by: hash, column: uid, type: uuid }\n"
	                      "  e: { shard_by: replicated }\n");

	assert_int_equal(c->ntables, 5);
	assert_int_equal(c->tables[0].key_type, KEY_TYPE_INTEGER);
	assert_int_equal(c->tables[1].key_type, KEY_TYPE_INTEGER);
	assert_int_equal(c->tables[2].key_type, KEY_TYPE_TEXT);
	assert_int_equal(c->tables[3].key_type, KEY_TYPE_UUID);
	assert_string_equal(c->tables[3].column, "uid");
	assert_int_equal(c->tables[4].by, SHARD_BY_REPLICATED);
	config_unref(c);
}

static void test_durations(void **state)
{
	static const struct {
		const char *in;
		int64_t ms;
	} good[] = {
	        {"250ms", 250}, {"3s", 3000}, {"5m", 300000}, {"1h", 3600000}, {"7d", 604800000},
	        {"10", 10000},  {"0", 0},     {"0ms", 0},     {"007s", 7000},
	};
	static const char *const bad[] = {
	        "",
	        "5x",
	        "-1s",
	        "99999999999999999999d",
	        "9223372036854775807s",
	        "s",
	        "5 s",
	        " 5s",
	        "5s ",
	        "+5s",
	        "1.5s",
	        "5S",
	        "5sec",
	        "ms",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = -7;
		if (config_duration_parse(good[i].in, &ms) != 0)
			fail_msg("'%s' rejected", good[i].in);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = -7;
		if (config_duration_parse(bad[i], &ms) >= 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(ms, -7);
	}
	assert_true(config_duration_parse(NULL, &ms) < 0);
}

typedef struct err_case {
	const char *name;
	const char *yaml;
	int line, column;
	const char *msg; /* substring of the message */
} err_case_t;

/* error_mismatch loads a bad file and returns 0 if the error is the one
 * expected, or 1 after printing what differs. */
static int error_mismatch(const err_case_t *t)
{
	config_error_t err;
	config_t *c = (config_t *)1;
	int rc = config_load_string(t->yaml, strlen(t->yaml), "bad.yaml", &c, &err);

	if (rc != SG_ECONFIG || c != NULL || strcmp(err.file, "bad.yaml") != 0) {
		print_error("%s: rc %d (want %d), config %p, file '%s'\n", t->name, rc, SG_ECONFIG, (void *)c,
		            err.file);
		if (rc == 0)
			config_unref(c);
		return 1;
	}
	if (err.line != t->line || err.column != t->column || strstr(err.msg, t->msg) == NULL) {
		print_error("%s: got %d:%d '%s', want %d:%d '...%s...'\n", t->name, err.line, err.column,
		            err.msg, t->line, t->column, t->msg);
		return 1;
	}
	return 0;
}

static void check_error(const err_case_t *t)
{
	if (error_mismatch(t) != 0)
		fail_msg("%s", t->name);
}

/* 92 characters: with the leading '/', one more than a socket directory may have. */
#define LONG92 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* auth: trust and two shards, 4 lines; cases add from line 5. */
#define BASE                                                                                                 \
	"auth: { method: trust }\n"                                                                          \
	"shards:\n"                                                                                          \
	"  - { name: a, database: d, hosts: [ { host: h, port: 1 } ] }\n"                                    \
	"  - { name: b, database: d, hosts: [ { host: h, port: 2 } ] }\n"

static const err_case_t error_cases[] = {
        {"unknown key", BASE "listen: { hots: x }\n", 5, 11, "unknown key 'hots' in listen"},
        {"unknown top-level key", BASE "\nbogus: 1\n", 6, 1, "unknown key 'bogus' in the top level"},
        {"unknown key in a host",
         "auth: { method: trust }\nshards:\n  - name: a\n    database: d\n    hosts:\n"
         "      - { host: h, port: 1, weight: 3 }\n",
         6, 29, "unknown key 'weight' in shards[0].hosts[0]"},
        {"unknown key in a table", BASE "tables:\n  t: { shard_by: hash, column: c, colum: d }\n", 6, 35,
         "unknown key 'colum' in tables.t"},
        {"bad type", BASE "listen: { port: abc }\n", 5, 17,
         "port must be an integer between 1 and 65535, got 'abc'"},
        {"list where a scalar belongs", BASE "listen:\n  port: [1]\n", 6, 9,
         "listen.port must be an integer between 1 and 65535, not a list"},
        {"scalar where a section belongs", BASE "pool: 5\n", 5, 7, "pool must be a mapping, not a scalar"},
        {"no workers", BASE "listen: { workers: 0 }\n", 5, 20,
         "workers must be an integer between 1 and 64, got '0'"},
        {"too many workers", BASE "listen:\n  workers: 65\n", 6, 12,
         "workers must be an integer between 1 and 64, got '65'"},
        {"relative unix_socket_dir", BASE "listen: { unix_socket_dir: run/sg }\n", 5, 28,
         "listen.unix_socket_dir must be an absolute path, got 'run/sg'"},
        {"unix_socket_dir too long", BASE "listen:\n  unix_socket_dir: /" LONG92 "\n", 6, 20,
         "listen.unix_socket_dir is too long for a Unix socket path (at most 92 bytes)"},
        {"unix socket is the admin socket",
         BASE
         "admin: { socket_dir: /run/sg, port: 7000 }\nlisten: { port: 7000, unix_socket_dir: /run/sg }\n",
         6, 40, "would be the admin console's socket"},
        {"bad enum", BASE "pool: { mode: bogus }\n", 5, 15,
         "pool.mode must be one of transaction, session, got 'bogus'"},
        {"bad auth method", "auth: { method: password }\n", 1, 17, "one of scram-sha-256, md5, trust"},
        {"bad role", "shards: [ { name: a, database: d, hosts: [ { host: h, port: 1, role: master } ] } ]\n",
         1, 70, "role must be one of primary, replica, got 'master'"},
        {"out-of-range port", BASE "admin: { port: 70000 }\n", 5, 16,
         "admin.port must be an integer between 1 and 65535, got '70000'"},
        {"port zero", BASE "listen: { port: 0 }\n", 5, 17, "between 1 and 65535, got '0'"},
        {"negative int", BASE "pool: { size: -1 }\n", 5, 15,
         "pool.size must be an integer between 1 and 10000"},
        {"bad duration", BASE "pool: { idle_timeout: 5x }\n", 5, 23, "pool.idle_timeout must be a duration"},
        {"zero timeout", BASE "fanout: { timeout: 0s }\n", 5, 20, "between 1ms and 365d, got '0s'"},
        {"bad bool", BASE "fanout: { partial_results: maybe }\n", 5, 28,
         "fanout.partial_results must be true or false, got 'maybe'"},
        {"size too big", BASE "listen: { max_message_size: 2GB }\n", 5, 29, "between 1kB and 1GB, got '2GB'"},
        {"size too small", BASE "listen: { max_message_size: 100 }\n", 5, 29, "got '100'"},
        {"slots out of range", BASE "hash: { slots: 65537 }\n", 5, 16,
         "hash.slots must be an integer between 1 and 65536"},
        {"empty required string", "shards: [ { name: '', database: d, hosts: [ { host: h, port: 1 } ] } ]\n",
         1, 19, "shards[0].name must not be empty"},
        {"missing shards", "auth: { method: trust }\n", 1, 1, "missing required key 'shards'"},
        {"no shards", "auth: { method: trust }\nshards: []\n", 2, 9, "shards must list at least 1 entry"},
        {"shard without hosts", "auth: { method: trust }\nshards:\n  - name: a\n    database: d\n", 3, 5,
         "missing required key 'hosts' in shards[0]"},
        {"host without port",
         "auth: { method: trust }\nshards: [ { name: a, database: d, hosts: [ { host: h } ] } ]\n", 2, 44,
         "missing required key 'port' in shards[0].hosts[0]"},
        {"shard is not a mapping", "auth: { method: trust }\nshards:\n  - a\n", 3, 5,
         "shards[0] must be a mapping, not a scalar"},
        {"duplicate shard",
         "auth: { method: trust }\nshards:\n  - { name: a, database: d, hosts: [ { host: h, port: 1 } ] }\n"
         "  - { name: a, database: e, hosts: [ { host: h, port: 2 } ] }\n",
         4, 13, "duplicate shard name 'a'"},
        {"shard without a primary",
         "auth: { method: trust }\nshards:\n  - { name: a, database: d, hosts: [ { host: h, port: 1, role: "
         "replica } ] }\n",
         3, 36, "shard 'a' needs at least one host with role primary"},
        {"unknown default shard", BASE "default_shard: zz\n", 5, 16,
         "default_shard 'zz' is not one of the shards"},
        {"unknown shard in regions",
         BASE "tables:\n  t: { shard_by: region, column: r, regions: { a: [US], zz: [CA] } }\n", 6, 57,
         "tables.t.regions: 'zz' is not one of the shards"},
        {"unknown region default shard",
         BASE "tables:\n  t: { shard_by: region, column: r, default_shard: c, regions: { a: [US] } }\n", 6,
         52, "tables.t: default_shard 'c' is not one of the shards"},
        {"unknown tier shard",
         BASE "tables:\n  t: { shard_by: time, column: ts, tiers: [ { name: x, max_age: 1d, shard: a },\n"
              "                                        { name: y, shard: mars } ] }\n",
         7, 59, "tables.t.tiers[1]: shard 'mars' is not one of the shards"},
        {"hash without column", BASE "tables:\n  t: { shard_by: hash }\n", 6, 6,
         "tables.t: shard_by hash needs a column"},
        {"time without column",
         BASE "tables:\n  t:\n    shard_by: time\n    tiers: [ { name: x, shard: a } ]\n", 7, 5,
         "shard_by time needs a column"},
        {"replicated with column", BASE "tables:\n  t: { shard_by: replicated, column: id }\n", 6, 38,
         "tables.t: shard_by replicated must not have a column"},
        {"regions on a hash table",
         BASE "tables:\n  t: { shard_by: hash, column: c, regions: { a: [US] } }\n", 6, 44,
         "regions are only allowed with shard_by region"},
        {"region without regions", BASE "tables:\n  t: { shard_by: region, column: c }\n", 6, 6,
         "shard_by region needs at least one entry in regions"},
        {"time without tiers", BASE "tables:\n  t: { shard_by: time, column: c }\n", 6, 6,
         "shard_by time needs at least one tier"},
        {"bad key type", BASE "tables:\n  t: { shard_by: hash, column: c, type: bigint }\n", 6, 41,
         "tables.t.type must be one of integer, text, uuid, got 'bigint'"},
        {"key type on a region table",
         BASE "tables:\n  t: { shard_by: region, column: r, type: text, regions: { a: [US] } }\n", 6, 43,
         "tables.t: type is only allowed with shard_by hash"},
        {"key type on a replicated table", BASE "tables:\n  t: { shard_by: replicated, type: integer }\n", 6,
         36, "tables.t: type is only allowed with shard_by hash"},
        {"key type on a time table",
         BASE "tables:\n  t:\n    shard_by: time\n    column: ts\n    type: uuid\n"
              "    tiers: [ { name: x, shard: a } ]\n",
         9, 11, "tables.t: type is only allowed with shard_by hash"},
        {"bad shard_by", BASE "tables:\n  t: { shard_by: range, column: c }\n", 6, 18,
         "shard_by must be one of hash, region, time, replicated, got 'range'"},
        {"table without shard_by", BASE "tables:\n  t: { column: c }\n", 6, 6,
         "missing required key 'shard_by' in tables.t"},
        {"duplicate region value",
         BASE
         "tables:\n  t: { shard_by: region, column: r,\n       regions: { a: [US, ca], b: [DE, CA] } }\n",
         7, 40, "value 'CA' is listed twice (also under shard 'a')"},
        {"duplicate region value in one shard",
         BASE "tables:\n  t: { shard_by: region, column: r, regions: { a: [US, us] } }\n", 6, 56,
         "value 'us' is listed twice"},
        {"bad tiers order",
         BASE "tables:\n  t:\n    shard_by: time\n    column: ts\n    tiers:\n"
              "      - { name: new, max_age: 30d, shard: a }\n"
              "      - { name: old, max_age: 7d, shard: b }\n"
              "      - { name: rest, shard: a }\n",
         11, 31, "tables.t.tiers[1].max_age (7d) must be greater than the previous tier's (30d)"},
        {"equal tier ages",
         BASE "tables:\n  t: { shard_by: time, column: ts, tiers: [ { name: x, max_age: 24h, shard: a },\n"
              "    { name: y, max_age: 1d, shard: b }, { name: z, shard: a } ] }\n",
         7, 25, "max_age (1d) must be greater than the previous tier's (1d)"},
        {"last tier with max_age",
         BASE "tables:\n  t: { shard_by: time, column: ts, tiers: [ { name: x, max_age: 1d, shard: a },\n"
              "    { name: y, max_age: 30d, shard: b } ] }\n",
         7, 25, "tables.t.tiers[1] ('y') is the last tier and must not have max_age"},
        {"middle tier without max_age",
         BASE "tables:\n  t: { shard_by: time, column: ts, tiers: [ { name: x, shard: a },\n"
              "    { name: y, shard: b } ] }\n",
         6, 45, "tables.t.tiers[0] ('x') needs max_age: only the last tier may omit it"},
        {"duplicate tier name",
         BASE "tables:\n  t: { shard_by: time, column: ts, tiers: [ { name: x, max_age: 1d, shard: a },\n"
              "    { name: x, shard: b } ] }\n",
         7, 13, "tables.t.tiers: duplicate tier name 'x'"},
        {"YAML syntax error", BASE "listen: { port: 1\n", 6, 1,
         "YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping that started at "
         "line 5 "
         "column 9)"},
        {"tab indentation", "auth:\n\tmethod: trust\n", 2, 1,
         "YAML syntax error: found character that cannot start any token"},
        {"duplicate mapping key", BASE "listen: { port: 1, port: 2 }\n", 5, 20,
         "duplicate key 'port' (first at line 5 column 11)"},
        {"duplicate top-level key", BASE "shards: []\n", 5, 1,
         "duplicate key 'shards' (first at line 2 column 1)"},
        {"users empty with scram",
         "auth: { method: scram-sha-256, users: [] }\nshards: [ { name: a, database: d, hosts: [ { host: h, "
         "port: 1 } ] } ]\n",
         1, 39, "auth.users must list at least one user when auth.method is scram-sha-256"},
        {"only shards: no users for the default method",
         "shards: [ { name: a, database: d, hosts: [ { host: h, port: 1 } ] } ]\n", 0, 0,
         "auth.users must list at least one user when auth.method is scram-sha-256"},
        {"users missing with md5",
         "shards: [ { name: a, database: d, hosts: [ { host: h, port: 1 } ] } ]\nauth:\n  method: md5\n", 2,
         1, "auth.users must list at least one user when auth.method is md5"},
        {"user without password",
         "shards: [ { name: a, database: d, hosts: [ { host: h, port: 1 } ] } ]\nauth:\n  users:\n    - "
         "name: u\n",
         4, 7, "auth.users[0].password must be set when auth.method is scram-sha-256"},
        {"duplicate user name",
         "auth: { method: trust, users: [ { name: u }, { name: u } ] }\n"
         "shards: [ { name: a, database: d, hosts: [ { host: h, port: 1 } ] } ]\n",
         1, 54, "duplicate user name 'u' in auth.users"},
        {"bad metrics listen", BASE "metrics: { listen: localhost }\n", 5, 20,
         "metrics.listen must be host:port with a port between 1 and 65535, got 'localhost'"},
        {"root is a list", "- a\n- b\n", 1, 1, "the top level must be a mapping, not a list"},
        {"root is a scalar", "hello\n", 1, 1, "the top level must be a mapping, not a scalar"},
        {"empty file", "", 0, 0, "the configuration is empty"},
        {"comment-only file", "# nothing\n", 0, 0, "the configuration is empty"},
        {"alias", BASE "admin: { port: &p 7000 }\nlisten: { port: *p }\n", 6, 17,
         "aliases (*p) are not supported"},
        {"two documents", BASE "---\nlisten: {}\n", 5, 1, "only one YAML document is allowed"},
        {"non-scalar key", BASE "? [a]\n: 1\n", 5, 3, "mapping keys must be scalars, not a list"},
        {"NUL in a value", BASE "state_dir: \"/tmp\\0x\"\n", 5, 12, "NUL characters are not allowed"},
        {"malformed variable", BASE "state_dir: /tmp/${HOME\n", 5, 17, "malformed variable reference"},
        {"invalid UTF-8", BASE "state_dir: /tmp/\xff\n", 5, 17, "invalid input"},
};

static void test_errors(void **state)
{
	int failed = 0;

	/* Run every case before failing, so one run shows every mismatch. */
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		failed += error_mismatch(&error_cases[i]);
	assert_int_equal(failed, 0);
}

static void test_deep_nesting(void **state)
{
	char yaml[300];
	err_case_t t = {"deep nesting", yaml, 1, 67, "nesting deeper than 64 levels"};

	/* 'a: ' then 100 '[': the 65th collection opens at column 4 + 63. */
	memcpy(yaml, "a: ", 3);
	memset(yaml + 3, '[', 100);
	yaml[103] = '\0';
	check_error(&t);
}

static void test_env_substitution(void **state)
{
	config_t *c;
	err_case_t unset = {"unset variable",
	                    "auth: { method: trust }\n"
	                    "shards: [ { name: a, database: d, hosts: [ { host: h, port: 1 } ] } ]\n"
	                    "state_dir: \"/x/${SG_TEST_DIR}/${SG_TEST_UNSET_VAR}\"\n",
	                    3, 31, "environment variable 'SG_TEST_UNSET_VAR' is not set"};

	setenv("SG_TEST_HOST", "db.example", 1);
	setenv("SG_TEST_PORT", "5999", 1);
	setenv("SG_TEST_DIR", "dir", 1);
	setenv("SG_TEST_EMPTY", "", 1);
	unsetenv("SG_TEST_UNSET_VAR");
	c = load_ok("auth: { method: trust }\n"
	            "shards: [ { name: a, database: d, password: \"${SG_TEST_EMPTY}\",\n"
	            "            hosts: [ { host: \"${SG_TEST_HOST}\", port: \"${SG_TEST_PORT}\" } ] } ]\n"
	            "state_dir: /x/${SG_TEST_DIR}/$HOME/${SG_TEST_DIR}$\n");
	assert_string_equal(c->shards[0].hosts[0].host, "db.example");
	assert_int_equal(c->shards[0].hosts[0].port, 5999);
	assert_string_equal(c->shards[0].password, "");
	assert_string_equal(c->state_dir, "/x/dir/$HOME/dir$");
	config_unref(c);

	check_error(&unset);
	/* Keys are never substituted: "${X}" as a key is just an unknown key. */
	unset.name = "variable in a key";
	unset.yaml = "auth: { method: trust }\n${SG_TEST_DIR}: 1\n";
	unset.line = 2;
	unset.column = 1;
	unset.msg = "unknown key '${SG_TEST_DIR}' in the top level";
	check_error(&unset);
	/* A reference after a multi-byte character still gets its column. */
	unset.name = "unset variable after UTF-8";
	unset.yaml = "auth: { method: trust }\nstate_dir: 'é/${SG_TEST_UNSET_VAR}'\n";
	unset.line = 2;
	unset.column = 15;
	unset.msg = "environment variable 'SG_TEST_UNSET_VAR' is not set";
	check_error(&unset);
	unsetenv("SG_TEST_HOST");
	unsetenv("SG_TEST_PORT");
	unsetenv("SG_TEST_DIR");
	unsetenv("SG_TEST_EMPTY");
}

static void test_ref_unref(void **state)
{
	config_t *c = load_ok(BASE);

	assert_int_equal(c->refs, 1);
	assert_ptr_equal(config_ref(c), c);
	assert_int_equal(c->refs, 2);
	config_unref(c);
	assert_int_equal(c->refs, 1);
	assert_string_equal(c->shards[1].name, "b"); /* still alive */
	config_unref(c);                             /* freed: ASan reports a leak otherwise */
	assert_null(config_ref(NULL));
	config_unref(NULL);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/sg_test_config_XXXXXX";
	char buf[1024];
	config_error_t err;
	config_t *c = NULL;
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(BASE "listen: { port: 7777 }\n", f);
	fclose(f);
	assert_int_equal(config_load_file(path, &c, &err), 0);
	assert_string_equal(c->path, path);
	assert_int_equal(c->listen.port, 7777);
	config_unref(c);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(BASE "listen: { port: nope }\n", f);
	fclose(f);
	assert_int_equal(config_load_file(path, &c, &err), SG_ECONFIG);
	assert_null(c);
	config_error_format(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, ":5:17: listen.port must be an integer between 1 and 65535, got 'nope'"));
	assert_int_equal(strncmp(buf, path, strlen(path)), 0);
	unlink(path);

	assert_int_equal(config_load_file(path, &c, &err), SG_ECONFIG);
	assert_null(c);
	assert_int_equal(err.line, 0);
	assert_int_equal(err.column, 0);
	assert_string_equal(err.msg, "No such file or directory");
	config_error_format(&err, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, path, strlen(path)), 0);
	assert_string_equal(buf + strlen(path), ": No such file or directory");
}

static void test_load_string_edges(void **state)
{
	config_error_t err;
	config_t *c = (config_t *)1;

	/* The size cap is checked before a byte is read. */
	assert_int_equal(config_load_string("x", (size_t)64 * 1024 * 1024, NULL, &c, &err), SG_ECONFIG);
	assert_null(c);
	assert_string_equal(err.file, "<string>");
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "configuration is larger than"));
	/* A caller that does not want the details may pass no error. */
	assert_int_equal(config_load_string("- x\n", 4, "n", &c, NULL), SG_ECONFIG);
	assert_null(c);
	assert_int_equal(config_load_file("/nonexistent/sg.yaml", &c, NULL), SG_ECONFIG);
	assert_null(c);
}

static void test_error_format(void **state)
{
	config_error_t err = {.file = "sg.yaml", .line = 3, .column = 9, .msg = "boom"};
	char buf[64];

	config_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "sg.yaml:3:9: boom");
	err.line = 0;
	config_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "sg.yaml: boom");
	config_error_format(&err, buf, 5);
	assert_string_equal(buf, "sg.y");
}

static void test_names(void **state)
{
	assert_string_equal(config_pool_mode_name(POOL_MODE_TRANSACTION), "transaction");
	assert_string_equal(config_pool_mode_name(POOL_MODE_SESSION), "session");
	assert_string_equal(config_auth_method_name(AUTH_SCRAM), "scram-sha-256");
	assert_string_equal(config_auth_method_name(AUTH_MD5), "md5");
	assert_string_equal(config_auth_method_name(AUTH_TRUST), "trust");
	assert_string_equal(config_shard_by_name(SHARD_BY_HASH), "hash");
	assert_string_equal(config_shard_by_name(SHARD_BY_REGION), "region");
	assert_string_equal(config_shard_by_name(SHARD_BY_TIME), "time");
	assert_string_equal(config_shard_by_name(SHARD_BY_REPLICATED), "replicated");
}

/* docs/shardgate.example.yaml must stay loadable: find it from this
 * file's own path (tests/unit/config/test_config.c under the repo root). */
static void test_example_file(void **state)
{
	static const char suffix[] = "tests/unit/config/test_config.c";
	char path[1024];
	size_t root_len = strlen(__FILE__);
	config_error_t err;
	config_t *c = NULL;
	int rc;

	assert_true(root_len >= strlen(suffix));
	root_len -= strlen(suffix);
	assert_string_equal(__FILE__ + root_len, suffix);
	snprintf(path, sizeof(path), "%.*sdocs/shardgate.example.yaml", (int)root_len, __FILE__);
	setenv("APP_PASSWORD", "from-env", 1);
	rc = config_load_file(path, &c, &err);
	if (rc != 0) {
		char buf[1024];

		config_error_format(&err, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
	assert_string_equal(c->auth.users[0].password, "from-env");
	assert_int_equal(c->nshards, 3);
	assert_int_equal(c->shards[0].nhosts, 2);
	assert_full_tables(c);
	assert_string_equal(c->metrics.listen, "127.0.0.1:9930");
	config_unref(c);
	unsetenv("APP_PASSWORD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_full_example),
	        cmocka_unit_test(test_non_default_values),
	        cmocka_unit_test(test_defaults_minimal),
	        cmocka_unit_test(test_key_types),
	        cmocka_unit_test(test_durations),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_deep_nesting),
	        cmocka_unit_test(test_env_substitution),
	        cmocka_unit_test(test_ref_unref),
	        cmocka_unit_test(test_load_file),
	        cmocka_unit_test(test_load_string_edges),
	        cmocka_unit_test(test_error_format),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
