/* config_load.c — node tree → config_t, driven by option tables.
 *
 * Each option is one row: key, type, where it lives, default (as the text
 * a user would write, parsed by the same code as the file), bounds. A
 * section row points at its own table; a list row at the table of its
 * elements. Everything a single value can get wrong is caught here;
 * rules between values are config_validate's. */
#include "config.h"
#include "config_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
	OPT_STR,      /* char * */
	OPT_INT,      /* int, within min..max */
	OPT_BOOL,     /* bool */
	OPT_DURATION, /* int64_t ms, within min..max; -1 when absent without default */
	OPT_SIZE,     /* uint32_t bytes, within min..max */
	OPT_ENUM,     /* an enum, stored as int; names[i] is value i */
	OPT_SECTION,  /* a mapping whose rows (sub) address the same struct */
	OPT_LIST,     /* a list of mappings: array at off, count at noff */
	OPT_CUSTOM,   /* anything else: load() does the work */
} opt_type_t;

#define OPT_REQUIRED 0x1u /* absent (or null) is an error */
#define OPT_NONEMPTY 0x2u /* "" is an error (strings) */

typedef struct opt opt_t;
struct opt {
	const char *key; /* NULL ends a table */
	opt_type_t type;
	unsigned flags;
	size_t off;               /* field offset in the struct being filled */
	const char *def;          /* default, as YAML text; NULL: none */
	int64_t min, max;         /* bounds; for OPT_LIST the minimum length */
	const char *const *names; /* OPT_ENUM, NULL-terminated */
	const opt_t *sub;         /* OPT_SECTION / OPT_LIST element rows */
	size_t noff, elem_size;   /* OPT_LIST count offset, element size */
	/* OPT_CUSTOM; node is NULL when absent. */
	int (*load)(const cfg_node_t *node, void *base, const char *path, config_error_t *err);
};

/* OPT_ENUM stores through an int: every enum of config.h must be one. */
_Static_assert(sizeof(pool_mode_t) == sizeof(int) && sizeof(auth_method_t) == sizeof(int) &&
                       sizeof(host_role_t) == sizeof(int) && sizeof(shard_by_t) == sizeof(int) &&
                       sizeof(log_level_t) == sizeof(int) && sizeof(key_type_t) == sizeof(int),
               "enums must be int-sized");

#define FIELD(base, o, type) ((type *)((char *)(base) + (o)->off))
#define PATH_MAX_LEN         256

static const char *const pool_modes[] = {"transaction", "session", NULL};
static const char *const auth_methods[] = {"scram-sha-256", "md5", "trust", NULL};
static const char *const host_roles[] = {"primary", "replica", NULL};
static const char *const shard_bys[] = {"hash", "region", "time", "replicated", NULL};
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const key_types[] = {"integer", "text", "uuid", NULL};

#define DUR_MAX (365 * CONFIG_MS_PER_DAY)

static int load_regions(const cfg_node_t *node, void *base, const char *path, config_error_t *err);
static int load_tables(const cfg_node_t *node, void *base, const char *path, config_error_t *err);

/* clang-format off */
static const opt_t host_opts[] = {
	{.key = "host", .type = OPT_STR, .flags = OPT_REQUIRED | OPT_NONEMPTY, .off = offsetof(cfg_host_t, host)},
	{.key = "port", .type = OPT_INT, .flags = OPT_REQUIRED, .off = offsetof(cfg_host_t, port), .min = 1, .max = 65535},
	{.key = "role", .type = OPT_ENUM, .off = offsetof(cfg_host_t, role), .def = "primary", .names = host_roles},
	{.key = NULL},
};

static const opt_t shard_opts[] = {
	{.key = "name", .type = OPT_STR, .flags = OPT_REQUIRED | OPT_NONEMPTY, .off = offsetof(cfg_shard_t, name)},
	{.key = "database", .type = OPT_STR, .flags = OPT_REQUIRED | OPT_NONEMPTY, .off = offsetof(cfg_shard_t, database)},
	{.key = "user", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(cfg_shard_t, user), .def = "postgres"},
	{.key = "password", .type = OPT_STR, .off = offsetof(cfg_shard_t, password), .def = ""},
	{.key = "hosts", .type = OPT_LIST, .flags = OPT_REQUIRED, .off = offsetof(cfg_shard_t, hosts), .min = 1,
	 .sub = host_opts, .noff = offsetof(cfg_shard_t, nhosts), .elem_size = sizeof(cfg_host_t)},
	{.key = NULL},
};

static const opt_t user_opts[] = {
	{.key = "name", .type = OPT_STR, .flags = OPT_REQUIRED | OPT_NONEMPTY, .off = offsetof(cfg_user_t, name)},
	{.key = "password", .type = OPT_STR, .off = offsetof(cfg_user_t, password), .def = ""},
	{.key = NULL},
};

static const opt_t tier_opts[] = {
	{.key = "name", .type = OPT_STR, .flags = OPT_REQUIRED | OPT_NONEMPTY, .off = offsetof(cfg_tier_t, name)},
	{.key = "max_age", .type = OPT_DURATION, .off = offsetof(cfg_tier_t, max_age_ms), .min = 1, .max = 100 * DUR_MAX},
	{.key = "shard", .type = OPT_STR, .flags = OPT_REQUIRED | OPT_NONEMPTY, .off = offsetof(cfg_tier_t, shard)},
	{.key = NULL},
};

static const opt_t table_opts[] = {
	{.key = "shard_by", .type = OPT_ENUM, .flags = OPT_REQUIRED, .off = offsetof(cfg_table_t, by), .names = shard_bys},
	{.key = "column", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(cfg_table_t, column)},
	/* hash only (config_validate): which PostgreSQL hash the key takes */
	{.key = "type", .type = OPT_ENUM, .off = offsetof(cfg_table_t, key_type), .def = "integer", .names = key_types},
	{.key = "default_shard", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(cfg_table_t, default_shard)},
	{.key = "regions", .type = OPT_CUSTOM, .load = load_regions},
	{.key = "tiers", .type = OPT_LIST, .off = offsetof(cfg_table_t, tiers), .sub = tier_opts,
	 .noff = offsetof(cfg_table_t, ntiers), .elem_size = sizeof(cfg_tier_t)},
	{.key = NULL},
};

static const opt_t listen_opts[] = {
	{.key = "host", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(config_t, listen.host), .def = "127.0.0.1"},
	{.key = "port", .type = OPT_INT, .off = offsetof(config_t, listen.port), .def = "6432", .min = 1, .max = 65535},
	{.key = "max_client_connections", .type = OPT_INT, .off = offsetof(config_t, listen.max_client_connections),
	 .def = "10000", .min = 1, .max = 1000000},
	{.key = "max_message_size", .type = OPT_SIZE, .off = offsetof(config_t, listen.max_message_size),
	 .def = "64MB", .min = 1024, .max = 1024LL * 1024 * 1024},
	{.key = "workers", .type = OPT_INT, .off = offsetof(config_t, listen.workers), .def = "1", .min = 1, .max = 64},
	{.key = "unix_socket_dir", .type = OPT_STR, .off = offsetof(config_t, listen.unix_socket_dir), .def = ""},
	{.key = NULL},
};

static const opt_t admin_opts[] = {
	{.key = "socket_dir", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(config_t, admin.socket_dir),
	 .def = "/tmp/shardgate"},
	{.key = "port", .type = OPT_INT, .off = offsetof(config_t, admin.port), .def = "6433", .min = 1, .max = 65535},
	{.key = NULL},
};

static const opt_t auth_opts[] = {
	{.key = "method", .type = OPT_ENUM, .off = offsetof(config_t, auth.method), .def = "scram-sha-256",
	 .names = auth_methods},
	{.key = "users", .type = OPT_LIST, .off = offsetof(config_t, auth.users), .sub = user_opts,
	 .noff = offsetof(config_t, auth.nusers), .elem_size = sizeof(cfg_user_t)},
	{.key = NULL},
};

static const opt_t pool_opts[] = {
	{.key = "mode", .type = OPT_ENUM, .off = offsetof(config_t, pool.mode), .def = "transaction", .names = pool_modes},
	{.key = "size", .type = OPT_INT, .off = offsetof(config_t, pool.size), .def = "20", .min = 1, .max = 10000},
	{.key = "checkout_timeout", .type = OPT_DURATION, .off = offsetof(config_t, pool.checkout_timeout_ms),
	 .def = "5s", .min = 1, .max = DUR_MAX},
	{.key = "idle_timeout", .type = OPT_DURATION, .off = offsetof(config_t, pool.idle_timeout_ms),
	 .def = "60s", .min = 1, .max = DUR_MAX},
	{.key = "connect_timeout", .type = OPT_DURATION, .off = offsetof(config_t, pool.connect_timeout_ms),
	 .def = "3s", .min = 1, .max = DUR_MAX},
	{.key = "cache_unnamed_statements", .type = OPT_BOOL, .off = offsetof(config_t, pool.cache_unnamed_statements),
	 .def = "true"},
	{.key = "prepare_simple_queries", .type = OPT_BOOL, .off = offsetof(config_t, pool.prepare_simple_queries),
	 .def = "true"},
	{.key = "max_server_statements", .type = OPT_INT, .off = offsetof(config_t, pool.max_server_statements),
	 .def = "256", .min = 4, .max = 65536},
	{.key = NULL},
};

static const opt_t hash_opts[] = {
	{.key = "slots", .type = OPT_INT, .off = offsetof(config_t, hash.slots), .def = "1024", .min = 1, .max = 65536},
	{.key = NULL},
};

static const opt_t health_opts[] = {
	{.key = "interval", .type = OPT_DURATION, .off = offsetof(config_t, health.interval_ms), .def = "2s",
	 .min = 1, .max = DUR_MAX},
	{.key = "timeout", .type = OPT_DURATION, .off = offsetof(config_t, health.timeout_ms), .def = "1s",
	 .min = 1, .max = DUR_MAX},
	{.key = "failures_before_down", .type = OPT_INT, .off = offsetof(config_t, health.failures_before_down),
	 .def = "3", .min = 1, .max = 1000},
	{.key = NULL},
};

static const opt_t metrics_opts[] = {
	{.key = "listen", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(config_t, metrics.listen)},
	{.key = NULL},
};

static const opt_t fanout_opts[] = {
	{.key = "timeout", .type = OPT_DURATION, .off = offsetof(config_t, fanout.timeout_ms), .def = "30s",
	 .min = 1, .max = DUR_MAX},
	{.key = "allow_multi_shard_writes", .type = OPT_BOOL, .off = offsetof(config_t, fanout.allow_multi_shard_writes),
	 .def = "false"},
	{.key = "partial_results", .type = OPT_BOOL, .off = offsetof(config_t, fanout.partial_results), .def = "false"},
	{.key = NULL},
};

static const opt_t log_opts[] = {
	{.key = "level", .type = OPT_ENUM, .off = offsetof(config_t, log.level), .def = "info", .names = log_levels},
	{.key = NULL},
};

static const opt_t root_opts[] = {
	{.key = "listen", .type = OPT_SECTION, .sub = listen_opts},
	{.key = "admin", .type = OPT_SECTION, .sub = admin_opts},
	{.key = "auth", .type = OPT_SECTION, .sub = auth_opts},
	{.key = "pool", .type = OPT_SECTION, .sub = pool_opts},
	{.key = "shards", .type = OPT_LIST, .flags = OPT_REQUIRED, .off = offsetof(config_t, shards), .min = 1,
	 .sub = shard_opts, .noff = offsetof(config_t, nshards), .elem_size = sizeof(cfg_shard_t)},
	/* Defaults to the first shard's name once shards are loaded. */
	{.key = "default_shard", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(config_t, default_shard)},
	{.key = "tables", .type = OPT_CUSTOM, .load = load_tables},
	{.key = "hash", .type = OPT_SECTION, .sub = hash_opts},
	{.key = "health", .type = OPT_SECTION, .sub = health_opts},
	{.key = "metrics", .type = OPT_SECTION, .sub = metrics_opts},
	{.key = "fanout", .type = OPT_SECTION, .sub = fanout_opts},
	{.key = "log", .type = OPT_SECTION, .sub = log_opts},
	{.key = "state_dir", .type = OPT_STR, .flags = OPT_NONEMPTY, .off = offsetof(config_t, state_dir),
	 .def = "/tmp/shardgate/state"},
	{.key = "shutdown_timeout", .type = OPT_DURATION, .off = offsetof(config_t, shutdown_timeout_ms),
	 .def = "30s", .min = 0, .max = DUR_MAX},
	{.key = NULL},
};
/* clang-format on */

static int load_fields(const cfg_node_t *map, const opt_t *opts, void *base, const char *path,
                       config_error_t *err);

static void load_path(char *buf, const char *path, const char *key)
{
	if (path[0] == '\0')
		snprintf(buf, PATH_MAX_LEN, "%s", key);
	else
		snprintf(buf, PATH_MAX_LEN, "%s.%s", path, key);
}

static int load_oom(config_error_t *err)
{
	config_error_mark(err, 0, 0, "out of memory");
	return SG_ENOMEM;
}

static char *load_strdup(const char *s, config_error_t *err, int *rc)
{
	char *d = strdup(s);

	*rc = d ? 0 : load_oom(err);
	return d;
}

/* load_expect describes what an option accepts, for error messages. */
static void load_expect(const opt_t *o, char *buf, size_t n)
{
	char lo[32], hi[32];

	switch (o->type) {
	case OPT_INT:
		snprintf(buf, n, "an integer between %lld and %lld", (long long)o->min, (long long)o->max);
		return;
	case OPT_BOOL:
		snprintf(buf, n, "true or false");
		return;
	case OPT_DURATION:
		config_duration_format(o->min, lo, sizeof(lo));
		config_duration_format(o->max, hi, sizeof(hi));
		snprintf(buf, n, "a duration (like 250ms, 5s, 1m, 1h, 7d) between %s and %s", lo, hi);
		return;
	case OPT_SIZE:
		config_size_format(o->min, lo, sizeof(lo));
		config_size_format(o->max, hi, sizeof(hi));
		snprintf(buf, n, "a size (like 512kB, 64MB, 1GB) between %s and %s", lo, hi);
		return;
	case OPT_ENUM:
		snprintf(buf, n, "one of");
		for (size_t i = 0; o->names[i] != NULL; i++) {
			size_t len = strlen(buf);

			snprintf(buf + len, n - len, "%s %s", i ? "," : "", o->names[i]);
		}
		return;
	case OPT_SECTION:
	case OPT_CUSTOM:
		snprintf(buf, n, "a mapping");
		return;
	case OPT_LIST:
		snprintf(buf, n, "a list");
		return;
	default:
		snprintf(buf, n, "a string");
		return;
	}
}

/* load_int reads a non-negative decimal integer, digits only. */
static int load_int(const char *s, int64_t *v)
{
	int64_t n = 0;

	if (*s == '\0')
		return SG_ECONFIG;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return SG_ECONFIG;
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return SG_ERANGE;
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return 0;
}

/* load_scalar converts text into the field of a scalar option; any
 * failure is SG_ECONFIG and the caller words the message. */
static int load_scalar(const opt_t *o, const char *text, void *base)
{
	int64_t v;
	bool b;

	switch (o->type) {
	case OPT_INT:
		if (load_int(text, &v) != 0 || v < o->min || v > o->max)
			return SG_ECONFIG;
		*FIELD(base, o, int) = (int)v;
		return 0;
	case OPT_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "TRUE") == 0)
			b = true;
		else if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 ||
		         strcmp(text, "FALSE") == 0)
			b = false;
		else
			return SG_ECONFIG;
		*FIELD(base, o, bool) = b;
		return 0;
	case OPT_DURATION:
	case OPT_SIZE:
		if ((o->type == OPT_DURATION ? config_duration_parse(text, &v)
		                             : config_size_parse(text, &v)) != 0)
			return SG_ECONFIG;
		if (v < o->min || v > o->max)
			return SG_ECONFIG;
		if (o->type == OPT_DURATION)
			*FIELD(base, o, int64_t) = v;
		else
			*FIELD(base, o, uint32_t) = (uint32_t)v;
		return 0;
	case OPT_ENUM:
		for (int i = 0; o->names[i] != NULL; i++) {
			if (strcmp(text, o->names[i]) == 0) {
				*FIELD(base, o, int) = i;
				return 0;
			}
		}
		return SG_ECONFIG;
	default:
		return SG_ECONFIG;
	}
}

/* load_absent applies an option's default, or fails if it is required. */
static int load_absent(const opt_t *o, const cfg_node_t *map, void *base, const char *path,
                       config_error_t *err)
{
	int rc = 0;

	if (o->flags & OPT_REQUIRED) {
		if (path[0] == '\0')
			return config_error_at(err, map, "missing required key '%s'", o->key);
		return config_error_at(err, map, "missing required key '%s' in %s", o->key, path);
	}
	switch (o->type) {
	case OPT_STR:
		if (o->def != NULL)
			*FIELD(base, o, char *) = load_strdup(o->def, err, &rc);
		return rc;
	case OPT_DURATION:
		if (o->def == NULL) {
			*FIELD(base, o, int64_t) = -1;
			return 0;
		}
		break;
	case OPT_SECTION:
		return load_fields(NULL, o->sub, base, o->key, err);
	case OPT_LIST:
		return 0;
	case OPT_CUSTOM:
		return o->load(NULL, base, o->key, err);
	default:
		break;
	}
	if (o->def == NULL || load_scalar(o, o->def, base) != 0)
		return config_error_mark(err, 0, 0, "internal error: bad default for %s", o->key);
	return 0;
}

static int load_list(const cfg_node_t *node, const opt_t *o, void *base, const char *path,
                     config_error_t *err)
{
	char item_path[PATH_MAX_LEN];
	char *arr;

	if (node->kind != CFG_SEQ)
		return config_error_at(err, node, "%s must be a list, not %s", path,
		                       config_tree_kind_name(node->kind));
	if (node->n < (size_t)o->min)
		return config_error_at(err, node, "%s must list at least %lld entr%s", path,
		                       (long long)o->min, o->min == 1 ? "y" : "ies");
	if (node->n == 0)
		return 0;
	arr = calloc(node->n, o->elem_size);
	if (arr == NULL)
		return load_oom(err);
	/* Published before filling so a failure frees what was loaded. */
	*FIELD(base, o, char *) = arr;
	*(size_t *)((char *)base + o->noff) = node->n;
	for (size_t i = 0; i < node->n; i++) {
		const cfg_node_t *item = node->vals[i];
		int rc;

		/* A truncated path only shortens an error message. */
		if (snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i) < 0)
			item_path[0] = '\0';
		if (item->kind != CFG_MAP)
			return config_error_at(err, item, "%s must be a mapping, not %s", item_path,
			                       item->null ? "empty" : config_tree_kind_name(item->kind));
		rc = load_fields(item, o->sub, arr + i * o->elem_size, item_path, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int load_opt(const cfg_node_t *node, const opt_t *o, void *base, const char *path, config_error_t *err)
{
	char expect[160];
	int rc = 0;

	switch (o->type) {
	case OPT_SECTION:
		if (node->kind != CFG_MAP)
			return config_error_at(err, node, "%s must be a mapping, not %s", path,
			                       config_tree_kind_name(node->kind));
		return load_fields(node, o->sub, base, path, err);
	case OPT_LIST:
		return load_list(node, o, base, path, err);
	case OPT_CUSTOM:
		return o->load(node, base, path, err);
	default:
		break;
	}
	load_expect(o, expect, sizeof(expect));
	if (node->kind != CFG_SCALAR)
		return config_error_at(err, node, "%s must be %s, not %s", path, expect,
		                       config_tree_kind_name(node->kind));
	if (o->type == OPT_STR) {
		if ((o->flags & OPT_NONEMPTY) && node->str[0] == '\0')
			return config_error_at(err, node, "%s must not be empty", path);
		*FIELD(base, o, char *) = load_strdup(node->str, err, &rc);
		return rc;
	}
	if (load_scalar(o, node->str, base) != 0)
		return config_error_at(err, node, "%s must be %s, got '%.64s'", path, expect, node->str);
	return 0;
}

static int load_unknown_keys(const cfg_node_t *map, const opt_t *opts, const char *path, config_error_t *err)
{
	const opt_t *o;

	for (size_t i = 0; map != NULL && i < map->n; i++) {
		for (o = opts; o->key != NULL; o++) {
			if (strcmp(o->key, map->keys[i]->str) == 0)
				break;
		}
		if (o->key == NULL)
			return config_error_at(err, map->keys[i], "unknown key '%.64s' in %s",
			                       map->keys[i]->str, path[0] ? path : "the top level");
	}
	return 0;
}

/* load_fields fills base from a mapping (NULL: everything absent). */
static int load_fields(const cfg_node_t *map, const opt_t *opts, void *base, const char *path,
                       config_error_t *err)
{
	char key_path[PATH_MAX_LEN];
	int rc = load_unknown_keys(map, opts, path, err);

	for (const opt_t *o = opts; rc == 0 && o->key != NULL; o++) {
		const cfg_node_t *node = config_tree_get(map, o->key);

		load_path(key_path, path, o->key);
		if (node == NULL || (node->kind == CFG_SCALAR && node->null))
			rc = load_absent(o, map, base, key_path, err);
		else
			rc = load_opt(node, o, base, key_path, err);
	}
	return rc;
}

/* regions: { <shard>: [value, ...], ... } */
static int load_regions(const cfg_node_t *node, void *base, const char *path, config_error_t *err)
{
	cfg_table_t *t = base;
	int rc;

	if (node == NULL)
		return 0;
	if (node->kind != CFG_MAP)
		return config_error_at(err, node, "%s must be a mapping of shard name to values, not %s",
		                       path, config_tree_kind_name(node->kind));
	if (node->n == 0)
		return 0;
	t->regions = calloc(node->n, sizeof(*t->regions));
	if (t->regions == NULL)
		return load_oom(err);
	t->nregions = node->n;
	for (size_t i = 0; i < node->n; i++) {
		cfg_region_t *r = &t->regions[i];
		const cfg_node_t *vals = node->vals[i];

		if (vals->kind != CFG_SEQ || vals->n == 0)
			return config_error_at(err, vals, "%s.%.64s must be a non-empty list of values", path,
			                       node->keys[i]->str);
		r->shard = load_strdup(node->keys[i]->str, err, &rc);
		if (rc != 0)
			return rc;
		r->values = calloc(vals->n, sizeof(*r->values));
		if (r->values == NULL)
			return load_oom(err);
		r->nvalues = vals->n;
		for (size_t j = 0; j < vals->n; j++) {
			const cfg_node_t *v = vals->vals[j];

			if (v->kind != CFG_SCALAR || v->null || v->str[0] == '\0')
				return config_error_at(err, v, "%s.%.64s[%zu] must be a non-empty string",
				                       path, node->keys[i]->str, j);
			r->values[j] = load_strdup(v->str, err, &rc);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* tables: { <name>: { shard_by: ..., ... }, ... } in file order. */
static int load_tables(const cfg_node_t *node, void *base, const char *path, config_error_t *err)
{
	config_t *c = base;
	char table_path[PATH_MAX_LEN];
	int rc;

	if (node == NULL)
		return 0;
	if (node->kind != CFG_MAP)
		return config_error_at(err, node, "%s must be a mapping of table name to rules, not %s", path,
		                       config_tree_kind_name(node->kind));
	if (node->n == 0)
		return 0;
	c->tables = calloc(node->n, sizeof(*c->tables));
	if (c->tables == NULL)
		return load_oom(err);
	c->ntables = node->n;
	for (size_t i = 0; i < node->n; i++) {
		const cfg_node_t *key = node->keys[i], *val = node->vals[i];

		snprintf(table_path, sizeof(table_path), "%s.%.64s", path, key->str);
		if (key->str[0] == '\0')
			return config_error_at(err, key, "table names must not be empty");
		if (val->kind != CFG_MAP)
			return config_error_at(err, val->null ? key : val,
			                       "%s must be a mapping with shard_by, not %s", table_path,
			                       val->null ? "empty" : config_tree_kind_name(val->kind));
		c->tables[i].name = load_strdup(key->str, err, &rc);
		if (rc != 0)
			return rc;
		rc = load_fields(val, table_opts, &c->tables[i], table_path, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int config_load_tree(const cfg_node_t *root, config_t **out, config_error_t *err)
{
	config_t *c = NULL;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return load_oom(err);
	c->refs = 1;
	rc = load_fields(root, root_opts, c, "", err);
	if (rc != 0)
		goto fail;
	if (c->default_shard == NULL && c->nshards > 0) {
		c->default_shard = load_strdup(c->shards[0].name, err, &rc);
		if (rc != 0)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	config_free(c);
	return rc;
}

int config_load_string(const char *yaml, size_t len, const char *name, config_t **out, config_error_t *err)
{
	config_error_t scratch;
	cfg_node_t *root = NULL;
	config_t *c = NULL;
	int rc;

	*out = NULL;
	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name ? name : "<string>");
	if (len > CONFIG_FILE_MAX)
		return config_error_mark(err, 0, 0, "configuration is larger than %zu bytes",
		                         CONFIG_FILE_MAX);
	rc = config_tree_parse(yaml ? yaml : "", yaml ? len : 0, &root, err);
	if (rc != 0)
		goto fail;
	if (root == NULL) {
		rc = config_error_mark(err, 0, 0,
		                       "the configuration is empty (the top level must be a mapping)");
		goto fail;
	}
	if (root->kind != CFG_MAP) {
		rc = config_error_at(err, root, "the top level must be a mapping, not %s",
		                     root->null ? "empty" : config_tree_kind_name(root->kind));
		goto fail;
	}
	rc = config_load_tree(root, &c, err);
	if (rc != 0)
		goto fail;
	rc = config_validate(c, root, err);
	if (rc != 0)
		goto fail;
	c->path = load_strdup(err->file, err, &rc);
	if (rc != 0)
		goto fail;
	config_tree_free(root);
	memset(err, 0, sizeof(*err));
	*out = c;
	return 0;
fail:
	config_free(c);
	config_tree_free(root);
	return rc;
}

int config_load_file(const char *path, config_t **out, config_error_t *err)
{
	config_error_t scratch;
	char *buf = NULL, *p;
	size_t len = 0, cap = 0, got;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path ? path : "<null>");
	f = path ? fopen(path, "rb") : NULL;
	if (f == NULL) {
		rc = config_error_mark(err, 0, 0, "%s", path ? strerror(errno) : "no path given");
		goto fail;
	}
	/* Read one byte past the cap so an oversized file is noticed. */
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			p = realloc(buf, cap + 1);
			if (p == NULL) {
				rc = load_oom(err);
				goto fail;
			}
			buf = p;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0 && len <= CONFIG_FILE_MAX);
	if (ferror(f)) {
		rc = config_error_mark(err, 0, 0, "%s", strerror(errno));
		goto fail;
	}
	fclose(f);
	f = NULL;
	rc = config_load_string(buf, len, path, out, err);
fail:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}
