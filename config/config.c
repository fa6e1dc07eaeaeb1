/* config.c — config_t lifetime, lookups, names, value parsers and errors. */
#include "config.h"
#include "config_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

config_t *config_ref(config_t *c)
{
	if (c != NULL)
		c->refs++;
	return c;
}

void config_unref(config_t *c)
{
	if (c == NULL)
		return;
	if (--c->refs > 0)
		return;
	config_free(c);
}

static void config_table_free(cfg_table_t *t)
{
	free(t->name);
	free(t->column);
	free(t->default_shard);
	for (size_t i = 0; i < t->nregions; i++) {
		for (size_t j = 0; j < t->regions[i].nvalues; j++)
			free(t->regions[i].values[j]);
		free(t->regions[i].values);
		free(t->regions[i].shard);
	}
	free(t->regions);
	for (size_t i = 0; i < t->ntiers; i++) {
		free(t->tiers[i].name);
		free(t->tiers[i].shard);
	}
	free(t->tiers);
}

static void config_shard_free(cfg_shard_t *s)
{
	free(s->name);
	free(s->database);
	free(s->user);
	free(s->password);
	for (size_t i = 0; i < s->nhosts; i++)
		free(s->hosts[i].host);
	free(s->hosts);
}

void config_free(config_t *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->listen.host);
	free(c->listen.unix_socket_dir);
	free(c->admin.socket_dir);
	for (size_t i = 0; i < c->auth.nusers; i++) {
		free(c->auth.users[i].name);
		free(c->auth.users[i].password);
	}
	free(c->auth.users);
	for (size_t i = 0; i < c->nshards; i++)
		config_shard_free(&c->shards[i]);
	free(c->shards);
	free(c->default_shard);
	for (size_t i = 0; i < c->ntables; i++)
		config_table_free(&c->tables[i]);
	free(c->tables);
	free(c->metrics.listen);
	free(c->state_dir);
	free(c);
}

int config_shard_index(const config_t *c, const char *name)
{
	if (c == NULL || name == NULL)
		return -1;
	for (size_t i = 0; i < c->nshards; i++) {
		if (c->shards[i].name != NULL && strcmp(c->shards[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

const cfg_shard_t *config_shard_find(const config_t *c, const char *name)
{
	int i = config_shard_index(c, name);

	return i < 0 ? NULL : &c->shards[i];
}

const cfg_user_t *config_user_find(const config_t *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < c->auth.nusers; i++) {
		if (c->auth.users[i].name != NULL && strcmp(c->auth.users[i].name, name) == 0)
			return &c->auth.users[i];
	}
	return NULL;
}

const cfg_table_t *config_table_find(const config_t *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < c->ntables; i++) {
		if (c->tables[i].name != NULL && strcmp(c->tables[i].name, name) == 0)
			return &c->tables[i];
	}
	return NULL;
}

const char *config_pool_mode_name(pool_mode_t m)
{
	switch (m) {
	case POOL_MODE_TRANSACTION:
		return "transaction";
	case POOL_MODE_SESSION:
		return "session";
	}
	return "unknown";
}

const char *config_auth_method_name(auth_method_t m)
{
	switch (m) {
	case AUTH_SCRAM:
		return "scram-sha-256";
	case AUTH_MD5:
		return "md5";
	case AUTH_TRUST:
		return "trust";
	}
	return "unknown";
}

const char *config_shard_by_name(shard_by_t b)
{
	switch (b) {
	case SHARD_BY_HASH:
		return "hash";
	case SHARD_BY_REGION:
		return "region";
	case SHARD_BY_TIME:
		return "time";
	case SHARD_BY_REPLICATED:
		return "replicated";
	}
	return "unknown";
}

/* config_number_split reads the leading decimal digits of s (no sign, no
 * spaces) into *v and points *unit at what follows. */
static int config_number_split(const char *s, int64_t *v, const char **unit)
{
	int64_t n = 0;
	const char *p = s;

	if (s == NULL || *p < '0' || *p > '9')
		return SG_ECONFIG;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - (*p - '0')) / 10)
			return SG_ERANGE;
		n = n * 10 + (*p - '0');
	}
	*v = n;
	*unit = p;
	return 0;
}

typedef struct config_unit {
	const char *suffix;
	int64_t scale;
} config_unit_t;

static const config_unit_t config_duration_units[] = {
        {"ms", 1},  {"s", 1000}, {"m", 60LL * 1000}, {"h", 60LL * 60 * 1000}, {"d", CONFIG_MS_PER_DAY},
        {"", 1000},
};

/* Sizes are powers of 1024 whatever the case of the k: "64MB" is 64 MiB. */
static const config_unit_t config_size_units[] = {
        {"B", 1}, {"kB", 1024}, {"KB", 1024}, {"MB", 1024LL * 1024}, {"GB", 1024LL * 1024 * 1024}, {"", 1},
};

static int config_scaled_parse(const char *s, const config_unit_t *units, size_t nunits, int64_t *out)
{
	const char *unit;
	int64_t n;
	int rc = config_number_split(s, &n, &unit);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < nunits; i++) {
		if (strcmp(unit, units[i].suffix) != 0)
			continue;
		if (n > INT64_MAX / units[i].scale)
			return SG_ERANGE;
		*out = n * units[i].scale;
		return 0;
	}
	return SG_ECONFIG;
}

int config_duration_parse(const char *s, int64_t *ms)
{
	return config_scaled_parse(s, config_duration_units,
	                           sizeof(config_duration_units) / sizeof(config_duration_units[0]), ms);
}

int config_size_parse(const char *s, int64_t *bytes)
{
	return config_scaled_parse(s, config_size_units,
	                           sizeof(config_size_units) / sizeof(config_size_units[0]), bytes);
}

static void config_scaled_format(int64_t v, const config_unit_t *units, size_t nunits, char *buf, size_t n)
{
	const config_unit_t *best = &units[0];

	/* The last row is the bare-number alias; never print it. */
	for (size_t i = 0; i + 1 < nunits; i++) {
		if (v != 0 && v % units[i].scale == 0 && units[i].scale > best->scale)
			best = &units[i];
	}
	snprintf(buf, n, "%lld%s", (long long)(v / best->scale), best->suffix);
}

void config_duration_format(int64_t ms, char *buf, size_t n)
{
	config_scaled_format(ms, config_duration_units,
	                     sizeof(config_duration_units) / sizeof(config_duration_units[0]), buf, n);
}

void config_size_format(int64_t bytes, char *buf, size_t n)
{
	config_scaled_format(bytes, config_size_units,
	                     sizeof(config_size_units) / sizeof(config_size_units[0]), buf, n);
}

static int config_error_vset(config_error_t *err, int line, int column, const char *fmt, va_list ap)
{
	if (err == NULL)
		return SG_ECONFIG;
	err->line = line;
	err->column = column;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return SG_ECONFIG;
}

int config_error_mark(config_error_t *err, int line, int column, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = config_error_vset(err, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

int config_error_at(config_error_t *err, const cfg_node_t *at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = config_error_vset(err, at ? at->line : 0, at ? at->column : 0, fmt, ap);
	va_end(ap);
	return rc;
}

void config_error_format(const config_error_t *err, char *buf, size_t n)
{
	if (buf == NULL || n == 0)
		return;
	if (err == NULL) {
		buf[0] = '\0';
		return;
	}
	if (err->line > 0)
		snprintf(buf, n, "%s:%d:%d: %s", err->file, err->line, err->column, err->msg);
	else
		snprintf(buf, n, "%s: %s", err->file, err->msg);
}
