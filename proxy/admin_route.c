/* admin_route.c — the admin console's routing views: ROUTE <statement>,
 * SHOW TABLES, SHOW SLOTS, SHOW TIERS. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "client.h"
#include "proxy.h"
#include "router.h"

static const char *kind_name(sql_kind_t k)
{
	static const char *const names[] = {"other",     "select",    "insert", "update",    "delete",
	                                    "copy from", "copy to",   "ddl",    "begin",     "commit",
	                                    "rollback",  "savepoint", "set",    "set shard", "explain"};

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void shard_list(uint64_t shards, char *buf, size_t n)
{
	const config_t *cfg = sg_px->cfg;
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < cfg->nshards && i < 64; i++) {
		if (!(shards & (UINT64_C(1) << i)))
			continue;
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? "," : "",
		                        cfg->shards[i].name);
		if (len >= n)
			break;
	}
}

void admin_route(sg_client_t *c, const char *stmt)
{
	static const char *const cols[] = {"kind", "shards", "write_all", "error", "reason"};
	router_decision_t d;
	char shards[256], err[300];
	admin_rows_t r;

	if (router_route_query(sg_px->router, stmt, router_now_us(), true, &d) != 0) {
		client_send_error(c, "ERROR", "53200", "out of memory");
		return;
	}
	if (d.kind == SQLK_SET_SHARD)
		snprintf(d.reason, sizeof(d.reason), "SET shardgate.shard = %s (session setting)",
		         d.set_shard[0] ? d.set_shard : "DEFAULT");
	shard_list(d.shards, shards, sizeof(shards));
	snprintf(err, sizeof(err), "%s%s%s", d.sqlstate, d.sqlstate[0] ? ": " : "", d.error);
	admin_rows_begin(&r, c, 5, cols);
	{
		const char *v[5] = {kind_name(d.kind), shards, d.write_all ? "yes" : "no",
		                    err[0] ? err : NULL, d.reason};
		admin_rows_add(&r, v);
	}
	admin_rows_end(&r, "ROUTE");
}

void admin_show_tables(sg_client_t *c)
{
	static const char *const cols[] = {"table", "shard_by", "column", "type", "shards"};
	const config_t *cfg = sg_px->cfg;
	char map[512];
	admin_rows_t r;
	size_t i, j, n;

	admin_rows_begin(&r, c, 5, cols);
	for (i = 0; i < cfg->ntables; i++) {
		const cfg_table_t *t = &cfg->tables[i];
		const char *type = t->by != SHARD_BY_HASH         ? NULL
		                   : t->key_type == KEY_TYPE_TEXT ? "text"
		                   : t->key_type == KEY_TYPE_UUID ? "uuid"
		                                                  : "integer";
		map[0] = '\0';
		n = 0;
		if (t->by == SHARD_BY_REGION) {
			for (j = 0; j < t->nregions && n < sizeof(map); j++)
				n += (size_t)snprintf(map + n, sizeof(map) - n, "%s%s=%zu values",
				                      j ? ", " : "", t->regions[j].shard,
				                      t->regions[j].nvalues);
			if (t->default_shard && n < sizeof(map))
				snprintf(map + n, sizeof(map) - n, ", default=%s", t->default_shard);
		} else if (t->by == SHARD_BY_TIME) {
			for (j = 0; j < t->ntiers && n < sizeof(map); j++)
				n += (size_t)snprintf(map + n, sizeof(map) - n, "%s%s→%s", j ? ", " : "",
				                      t->tiers[j].name, t->tiers[j].shard);
		} else if (t->by == SHARD_BY_HASH) {
			snprintf(map, sizeof(map), "%d slots over %zu shards (SHOW SLOTS)", cfg->hash.slots,
			         cfg->nshards);
		} else {
			snprintf(map, sizeof(map), "every shard (reads: %s)", cfg->default_shard);
		}
		{
			const char *v[5] = {t->name, config_shard_by_name(t->by), t->column, type, map};
			admin_rows_add(&r, v);
		}
	}
	admin_rows_end(&r, "SHOW");
}

void admin_show_slots(sg_client_t *c)
{
	static const char *const cols[] = {"first_slot", "last_slot", "shard"};
	const sg_shardmap_t *m = sg_px->router->map;
	char first[16], last[16];
	admin_rows_t r;
	uint32_t s, start;

	admin_rows_begin(&r, c, 3, cols);
	for (start = 0, s = 1; s <= m->nslots; s++) {
		if (s < m->nslots && m->slot_shard[s] == m->slot_shard[start])
			continue;
		{
			const char *v[3] = {first, last, sg_px->cfg->shards[m->slot_shard[start]].name};
			snprintf(first, sizeof(first), "%u", start);
			snprintf(last, sizeof(last), "%u", s - 1);
			admin_rows_add(&r, v);
		}
		start = s;
	}
	admin_rows_end(&r, "SHOW");
}

static void format_ts(int64_t us, char *buf, size_t n)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S+00", &tm);
}

void admin_show_tiers(sg_client_t *c)
{
	static const char *const cols[] = {"table", "tier", "shard", "max_age", "from", "until"};
	const sg_shardmap_t *m = sg_px->router->map;
	const config_t *cfg = sg_px->cfg;
	char age[32], from[40], until[40];
	admin_rows_t r;
	size_t i, k;

	admin_rows_begin(&r, c, 6, cols);
	for (i = 0; i < cfg->ntables; i++) {
		const cfg_table_t *t = &cfg->tables[i];
		const sm_table_t *mt = &m->tables[i];
		if (t->by != SHARD_BY_TIME)
			continue;
		for (k = 0; k < t->ntiers; k++) {
			const char *v[6] = {t->name, t->tiers[k].name,          t->tiers[k].shard,
			                    age,     k < mt->nwm ? from : NULL, k > 0 ? until : NULL};
			if (t->tiers[k].max_age_ms >= 0)
				snprintf(age, sizeof(age), "%lldms", (long long)t->tiers[k].max_age_ms);
			else
				snprintf(age, sizeof(age), "unbounded");
			if (k < mt->nwm)
				format_ts(mt->wm[k], from, sizeof(from));
			if (k > 0)
				format_ts(mt->wm[k - 1], until, sizeof(until));
			admin_rows_add(&r, v);
		}
	}
	admin_rows_end(&r, "SHOW");
}
