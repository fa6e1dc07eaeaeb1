/* config_validate.c — rules that relate one value to another.
 *
 * The config is fully loaded (types, bounds and required keys already
 * hold); the tree it came from is walked alongside to place each error at
 * the node that breaks the rule. A value that came from a default has no
 * node: the error then points at the nearest enclosing one. */
#include "config.h"
#include "config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const cfg_node_t *at_first(const cfg_node_t *a, const cfg_node_t *b)
{
	return a != NULL ? a : b;
}

/* present: the key is there with a value (null counts as absent, as in
 * the loader). */
static const cfg_node_t *present(const cfg_node_t *n)
{
	return n != NULL && n->kind == CFG_SCALAR && n->null ? NULL : n;
}

static int validate_users(const config_t *c, const cfg_node_t *root, config_error_t *err)
{
	const cfg_node_t *auth = config_tree_get(root, "auth");
	const cfg_node_t *users = config_tree_get(auth, "users");
	const char *method = config_auth_method_name(c->auth.method);

	if (c->auth.method != AUTH_TRUST && c->auth.nusers == 0)
		return config_error_at(err, at_first(present(users), config_tree_key(root, "auth")),
		                       "auth.users must list at least one user when auth.method is %s",
		                       method);
	for (size_t i = 0; i < c->auth.nusers; i++) {
		const cfg_user_t *u = &c->auth.users[i];
		const cfg_node_t *item = config_tree_item(users, i);

		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->auth.users[j].name, u->name) == 0)
				return config_error_at(err, config_tree_get(item, "name"),
				                       "duplicate user name '%s' in auth.users", u->name);
		}
		/* Without a secret the proxy could not authenticate the user. */
		if (c->auth.method != AUTH_TRUST && u->password[0] == '\0')
			return config_error_at(err, at_first(config_tree_get(item, "password"), item),
			                       "auth.users[%zu].password must be set when auth.method is %s",
			                       i, method);
	}
	return 0;
}

static int validate_shards(const config_t *c, const cfg_node_t *root, config_error_t *err)
{
	const cfg_node_t *shards = config_tree_get(root, "shards");

	for (size_t i = 0; i < c->nshards; i++) {
		const cfg_shard_t *s = &c->shards[i];
		const cfg_node_t *item = config_tree_item(shards, i);

		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->shards[j].name, s->name) == 0)
				return config_error_at(err, config_tree_get(item, "name"),
				                       "duplicate shard name '%s' in shards", s->name);
		}
		bool primary = false;

		for (size_t h = 0; h < s->nhosts; h++)
			primary = primary || s->hosts[h].role == HOST_PRIMARY;
		if (!primary)
			return config_error_at(err, config_tree_get(item, "hosts"),
			                       "shard '%s' needs at least one host with role primary",
			                       s->name);
	}
	if (config_shard_index(c, c->default_shard) < 0)
		return config_error_at(err, config_tree_get(root, "default_shard"),
		                       "default_shard '%s' is not one of the shards", c->default_shard);
	return 0;
}

/* validate_strategy_keys checks which keys a strategy needs or forbids. */
static int validate_strategy_keys(const cfg_table_t *t, const cfg_node_t *tnode, config_error_t *err)
{
	const char *by = config_shard_by_name(t->by);

	if (t->by == SHARD_BY_REPLICATED && t->column != NULL)
		return config_error_at(err, config_tree_get(tnode, "column"),
		                       "tables.%s: shard_by replicated must not have a column", t->name);
	if (t->by != SHARD_BY_REPLICATED && t->column == NULL)
		return config_error_at(err, tnode, "tables.%s: shard_by %s needs a column", t->name, by);
	if (t->by != SHARD_BY_REGION && present(config_tree_get(tnode, "regions")) != NULL)
		return config_error_at(err, config_tree_get(tnode, "regions"),
		                       "tables.%s: regions are only allowed with shard_by region", t->name);
	if (t->by != SHARD_BY_REGION && t->default_shard != NULL)
		return config_error_at(err, config_tree_get(tnode, "default_shard"),
		                       "tables.%s: default_shard is only allowed with shard_by region",
		                       t->name);
	if (t->by != SHARD_BY_HASH && present(config_tree_get(tnode, "type")) != NULL)
		return config_error_at(err, config_tree_get(tnode, "type"),
		                       "tables.%s: type is only allowed with shard_by hash", t->name);
	if (t->by != SHARD_BY_TIME && present(config_tree_get(tnode, "tiers")) != NULL)
		return config_error_at(err, config_tree_get(tnode, "tiers"),
		                       "tables.%s: tiers are only allowed with shard_by time", t->name);
	if (t->by == SHARD_BY_REGION && t->nregions == 0)
		return config_error_at(err, at_first(present(config_tree_get(tnode, "regions")), tnode),
		                       "tables.%s: shard_by region needs at least one entry in regions",
		                       t->name);
	if (t->by == SHARD_BY_TIME && t->ntiers == 0)
		return config_error_at(err, at_first(present(config_tree_get(tnode, "tiers")), tnode),
		                       "tables.%s: shard_by time needs at least one tier", t->name);
	return 0;
}

static int validate_regions(const config_t *c, const cfg_table_t *t, const cfg_node_t *tnode,
                            config_error_t *err)
{
	const cfg_node_t *regions = config_tree_get(tnode, "regions");

	if (t->default_shard != NULL && config_shard_index(c, t->default_shard) < 0)
		return config_error_at(err, config_tree_get(tnode, "default_shard"),
		                       "tables.%s: default_shard '%s' is not one of the shards", t->name,
		                       t->default_shard);
	for (size_t i = 0; i < t->nregions; i++) {
		const cfg_region_t *r = &t->regions[i];

		if (config_shard_index(c, r->shard) < 0)
			return config_error_at(err, regions->keys[i],
			                       "tables.%s.regions: '%s' is not one of the shards", t->name,
			                       r->shard);
		/* Each value must route to exactly one shard: compare it with
		 * every value before it, in this region and the earlier ones. */
		for (size_t j = 0; j < r->nvalues; j++) {
			for (size_t pi = 0; pi <= i; pi++) {
				const cfg_region_t *p = &t->regions[pi];
				size_t end = pi == i ? j : p->nvalues;

				for (size_t pj = 0; pj < end; pj++) {
					if (strcasecmp(p->values[pj], r->values[j]) != 0)
						continue;
					return config_error_at(
					        err, config_tree_item(regions->vals[i], j),
					        "tables.%s.regions: value '%s' is listed twice (also "
					        "under shard '%s')",
					        t->name, r->values[j], p->shard);
				}
			}
		}
	}
	return 0;
}

static int validate_tiers(const config_t *c, const cfg_table_t *t, const cfg_node_t *tnode,
                          config_error_t *err)
{
	const cfg_node_t *tiers = config_tree_get(tnode, "tiers");
	char cur[32], prev[32];

	for (size_t i = 0; i < t->ntiers; i++) {
		const cfg_tier_t *tier = &t->tiers[i];
		const cfg_node_t *item = config_tree_item(tiers, i);
		bool last = i + 1 == t->ntiers;

		for (size_t j = 0; j < i; j++) {
			if (strcmp(t->tiers[j].name, tier->name) == 0)
				return config_error_at(err, config_tree_get(item, "name"),
				                       "tables.%s.tiers: duplicate tier name '%s'", t->name,
				                       tier->name);
		}
		if (config_shard_index(c, tier->shard) < 0)
			return config_error_at(err, config_tree_get(item, "shard"),
			                       "tables.%s.tiers[%zu]: shard '%s' is not one of the shards",
			                       t->name, i, tier->shard);
		if (!last && tier->max_age_ms < 0)
			return config_error_at(
			        err, item,
			        "tables.%s.tiers[%zu] ('%s') needs max_age: only the last tier may "
			        "omit it",
			        t->name, i, tier->name);
		if (last && tier->max_age_ms >= 0)
			return config_error_at(
			        err, config_tree_get(item, "max_age"),
			        "tables.%s.tiers[%zu] ('%s') is the last tier and must not have max_age: "
			        "it holds all older rows",
			        t->name, i, tier->name);
		if (i > 0 && !last && tier->max_age_ms <= t->tiers[i - 1].max_age_ms) {
			config_duration_format(tier->max_age_ms, cur, sizeof(cur));
			config_duration_format(t->tiers[i - 1].max_age_ms, prev, sizeof(prev));
			return config_error_at(
			        err, config_tree_get(item, "max_age"),
			        "tables.%s.tiers[%zu].max_age (%s) must be greater than the previous "
			        "tier's (%s): tiers go from newest to oldest",
			        t->name, i, cur, prev);
		}
	}
	return 0;
}

static int validate_tables(const config_t *c, const cfg_node_t *root, config_error_t *err)
{
	const cfg_node_t *tables = config_tree_get(root, "tables");
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->ntables; i++) {
		const cfg_table_t *t = &c->tables[i];
		const cfg_node_t *tnode = tables->vals[i];

		rc = validate_strategy_keys(t, tnode, err);
		if (rc == 0 && t->by == SHARD_BY_REGION)
			rc = validate_regions(c, t, tnode, err);
		if (rc == 0 && t->by == SHARD_BY_TIME)
			rc = validate_tiers(c, t, tnode, err);
	}
	return rc;
}

/* The clients' Unix socket is <dir>/.s.PGSQL.<port>: it must fit a
 * sockaddr_un and must not be the admin console's own socket. */
static int validate_listen(const config_t *c, const cfg_node_t *root, config_error_t *err)
{
	const char *dir = c->listen.unix_socket_dir;
	const cfg_node_t *node = config_tree_get(config_tree_get(root, "listen"), "unix_socket_dir");

	if (dir[0] == '\0')
		return 0;
	if (dir[0] != '/')
		return config_error_at(err, node,
		                       "listen.unix_socket_dir must be an absolute path, got '%.64s'", dir);
	/* sun_path holds 108 bytes with the terminating NUL. */
	if (strlen(dir) + sizeof("/.s.PGSQL.65535") > 108)
		return config_error_at(err, node,
		                       "listen.unix_socket_dir is too long for a Unix socket path "
		                       "(at most %zu bytes)",
		                       108 - sizeof("/.s.PGSQL.65535"));
	if (c->listen.port == c->admin.port && strcmp(dir, c->admin.socket_dir) == 0)
		return config_error_at(err, node,
		                       "listen.unix_socket_dir with listen.port %d would be the admin "
		                       "console's socket (admin.socket_dir, admin.port)",
		                       c->listen.port);
	return 0;
}

/* metrics.listen is "host:port"; the last ':' splits so "[::1]:9930" works. */
static int validate_metrics(const config_t *c, const cfg_node_t *root, config_error_t *err)
{
	const char *s = c->metrics.listen, *colon;
	const cfg_node_t *node = config_tree_get(config_tree_get(root, "metrics"), "listen");
	long port = 0;

	if (s == NULL)
		return 0;
	colon = strrchr(s, ':');
	if (colon != NULL && colon != s && colon[1] != '\0' && strlen(colon + 1) <= 5 &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1))
		port = strtol(colon + 1, NULL, 10);
	if (port < 1 || port > 65535)
		return config_error_at(err, node,
		                       "metrics.listen must be host:port with a port between 1 and 65535, "
		                       "got '%.64s'",
		                       s);
	return 0;
}

int config_validate(const config_t *c, const cfg_node_t *root, config_error_t *err)
{
	int rc = validate_users(c, root, err);

	if (rc == 0)
		rc = validate_shards(c, root, err);
	if (rc == 0)
		rc = validate_tables(c, root, err);
	if (rc == 0)
		rc = validate_metrics(c, root, err);
	if (rc == 0)
		rc = validate_listen(c, root, err);
	return rc;
}
