/* config.h — shardgate's YAML configuration.
 *
 * Three steps: parse (libyaml events → a tree with line/column marks),
 * validate (every rule, first error wins, reported as file:line:column),
 * apply (the caller swaps the new config_t in). A config_t is immutable
 * once loaded and reference-counted: work in flight keeps a reference to
 * the config it started with across a reload. All strings are owned by
 * the config_t. */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { POOL_MODE_TRANSACTION = 0, POOL_MODE_SESSION } pool_mode_t;
typedef enum { AUTH_SCRAM = 0, AUTH_MD5, AUTH_TRUST } auth_method_t;
typedef enum { HOST_PRIMARY = 0, HOST_REPLICA } host_role_t;
typedef enum { SHARD_BY_HASH = 0, SHARD_BY_REGION, SHARD_BY_TIME, SHARD_BY_REPLICATED } shard_by_t;
typedef enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;
/* How a hash table's key is hashed (PostgreSQL's hash for that type). */
typedef enum { KEY_TYPE_INTEGER = 0, KEY_TYPE_TEXT, KEY_TYPE_UUID } key_type_t;

typedef struct cfg_user {
	char *name;
	char *password; /* plain text, "SCRAM-SHA-256$..." verifier, or "md5..." hash */
} cfg_user_t;

typedef struct cfg_host {
	char *host;
	int port;
	host_role_t role;
} cfg_host_t;

typedef struct cfg_shard {
	char *name;
	char *database;
	char *user;
	char *password; /* may be "" */
	cfg_host_t *hosts;
	size_t nhosts;
} cfg_shard_t;

typedef struct cfg_region {
	char *shard;   /* shard name (a key of tables.<t>.regions) */
	char **values; /* as written; matching is case-insensitive */
	size_t nvalues;
} cfg_region_t;

typedef struct cfg_tier {
	char *name;
	int64_t max_age_ms; /* -1 for the last (unbounded) tier */
	char *shard;
} cfg_tier_t;

typedef struct cfg_table {
	char *name;
	shard_by_t by;
	char *column;        /* NULL for replicated */
	key_type_t key_type; /* hash only: `type: integer|text|uuid`, default integer */
	char *default_shard; /* region only, may be NULL */
	cfg_region_t *regions;
	size_t nregions;
	cfg_tier_t *tiers; /* newest first */
	size_t ntiers;
} cfg_table_t;

typedef struct config {
	int refs;
	char *path; /* file it was loaded from, or the name given */
	struct {
		char *host;
		int port;
		int max_client_connections;
		uint32_t max_message_size; /* bytes; default 64 MiB */
		int workers;               /* processes sharing the port (proxy/supervisor.c) */
		char *unix_socket_dir;     /* "" = none; else clients may also use <dir>/.s.PGSQL.<port> */
	} listen;
	struct {
		char *socket_dir;
		int port;
	} admin;
	struct {
		auth_method_t method;
		cfg_user_t *users;
		size_t nusers;
	} auth;
	struct {
		pool_mode_t mode;
		int size;
		int64_t checkout_timeout_ms, idle_timeout_ms, connect_timeout_ms;
		/* transaction mode: run repeated unnamed statements as statements
		 * kept prepared on the backend (proxy/client_relay.c) */
		bool cache_unnamed_statements;
		bool prepare_simple_queries;
		int max_server_statements; /* per backend connection; LRU closed beyond */
	} pool;
	cfg_shard_t *shards;
	size_t nshards;
	char *default_shard; /* always names a shard after validation */
	cfg_table_t *tables;
	size_t ntables;
	struct {
		int slots;
	} hash;
	struct {
		int64_t interval_ms, timeout_ms;
		int failures_before_down;
	} health;
	struct {
		char *listen; /* "host:port" or NULL */
	} metrics;
	struct {
		int64_t timeout_ms;
		bool allow_multi_shard_writes;
		bool partial_results;
	} fanout;
	struct {
		log_level_t level;
	} log;
	char *state_dir;
	int64_t shutdown_timeout_ms;
} config_t;

typedef struct config_error {
	char file[256];
	int line, column; /* 1-based; 0 when not tied to a place */
	char msg[512];
} config_error_t;

/* Load, resolve ${VAR}, validate. On failure *out is NULL, err is filled,
 * and the return is SG_ECONFIG (or SG_ENOMEM). The new config has refs 1. */
int config_load_file(const char *path, config_t **out, config_error_t *err);
int config_load_string(const char *yaml, size_t len, const char *name, config_t **out, config_error_t *err);
config_t *config_ref(config_t *c);
void config_unref(config_t *c);
/* "file:line:column: message" (or "file: message" when line is 0). */
void config_error_format(const config_error_t *err, char *buf, size_t n);
/* "250ms", "3s", "5m", "1h", "7d"; a bare number is seconds. */
int config_duration_parse(const char *s, int64_t *ms);
const cfg_shard_t *config_shard_find(const config_t *c, const char *name);
int config_shard_index(const config_t *c, const char *name); /* -1 if absent */
const cfg_user_t *config_user_find(const config_t *c, const char *name);
const cfg_table_t *config_table_find(const config_t *c, const char *name);
const char *config_pool_mode_name(pool_mode_t m);
const char *config_auth_method_name(auth_method_t m);
const char *config_shard_by_name(shard_by_t b);

#endif
