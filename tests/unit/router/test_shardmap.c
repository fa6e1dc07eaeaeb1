/* test_shardmap.c — the runtime shard map: default slot ranges, region
 * lookups, tier watermarks, and the persisted state in state_dir (created
 * on first start, kept across reloads, refused when it no longer fits the
 * configuration). Every test works in its own mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "shardmap.h"

#define DAY_US (INT64_C(86400) * 1000000)
/* 2026-11-20 00:00:00 UTC */
#define T0 INT64_C(1795132800000000)

static char g_dir[256];

/* The three-shard layout of the routing issue, plus whatever tables the
 * test adds; %s is the state_dir. */
#define SHARDS3                                                                                              \
	"auth: { method: trust }\n"                                                                          \
	"shards:\n"                                                                                          \
	"  - { name: americas, database: d, hosts: [ { host: h, port: 1 } ] }\n"                             \
	"  - { name: europe, database: d, hosts: [ { host: h, port: 2 } ] }\n"                               \
	"  - { name: asia, database: d, hosts: [ { host: h, port: 3 } ] }\n"                                 \
	"state_dir: %s\n"

#define TABLES                                                                                               \
	"tables:\n"                                                                                          \
	"  orders: { shard_by: hash, column: user_id }\n"                                                    \
	"  regional_metrics: { shard_by: region, column: region, default_shard: americas,\n"                 \
	"      regions: { americas: [US, CA, MX, BR], europe: [UK, DE, FR, ES], asia: [JP, SG, AU, IN] } "   \
	"}\n"                                                                                                \
	"  metrics: { shard_by: time, column: created_at,\n"                                                 \
	"      tiers: [ { name: current, max_age: 7d, shard: americas },\n"                                  \
	"               { name: recent, max_age: 30d, shard: europe },\n"                                    \
	"               { name: archive, shard: asia } ] }\n"                                                \
	"  countries: { shard_by: replicated }\n"

static config_t *cfg_load(const char *fmt, const char *dir)
{
	char yaml[4096];
	config_error_t err;
	config_t *c = NULL;

	snprintf(yaml, sizeof(yaml), fmt, dir);
	if (config_load_string(yaml, strlen(yaml), "test.yaml", &c, &err) != 0)
		fail_msg("config: %d:%d: %s", err.line, err.column, err.msg);
	return c;
}

/* Builds a map from a config template; the map holds its own reference. */
static sg_shardmap_t *build_ok(const char *fmt, int64_t now)
{
	config_t *c = cfg_load(fmt, g_dir);
	sg_shardmap_t *m = NULL;
	char err[512];
	int rc = shardmap_build(c, now, &m, err, sizeof(err));

	if (rc != 0)
		fail_msg("shardmap_build: %d: %s", rc, err);
	config_unref(c);
	return m;
}

static void build_fails(const char *fmt, int64_t now, int want_rc, const char *want_err)
{
	config_t *c = cfg_load(fmt, g_dir);
	sg_shardmap_t *m = (sg_shardmap_t *)1;
	char err[512];
	int rc = shardmap_build(c, now, &m, err, sizeof(err));

	assert_int_equal(rc, want_rc);
	assert_null(m);
	if (strstr(err, want_err) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want_err);
	/* A failed build keeps no reference to the config. */
	assert_int_equal(c->refs, 1);
	config_unref(c);
}

static char *slurp(const char *name)
{
	char path[512];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_file(const char *name, const char *want)
{
	char *got = slurp(name);

	if (got == NULL)
		fail_msg("%s/%s does not exist", g_dir, name);
	assert_string_equal(got, want);
	free(got);
}

static bool exists(const char *name)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	return stat(path, &sb) == 0;
}

/* Number of directory entries other than . and .. (no temp files left). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	struct stat sb;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_rf(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int setup(void **state)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/sg-shardmap-XXXXXX");
	return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	rm_rf(g_dir);
	return 0;
}

static void test_default_slots(void **state)
{
	sg_shardmap_t *m = build_ok(SHARDS3 TABLES, T0);

	assert_int_equal(m->nslots, 1024);
	assert_int_equal(m->default_shard, 0);
	/* slot s → shard floor(s * 3 / 1024) */
	assert_int_equal(shardmap_slot_shard(m, 0), 0);
	assert_int_equal(shardmap_slot_shard(m, 341), 0);
	assert_int_equal(shardmap_slot_shard(m, 342), 1);
	assert_int_equal(shardmap_slot_shard(m, 682), 1);
	assert_int_equal(shardmap_slot_shard(m, 683), 2);
	assert_int_equal(shardmap_slot_shard(m, 1023), 2);
	assert_int_equal(shardmap_slot_shard(m, 1024), -1);
	assert_int_equal(m->slot_shards, 0x7);
	assert_file("slots", "# shardgate slot map: first last shard (hash.slots = 1024)\n"
	                     "0 341 americas\n342 682 europe\n683 1023 asia\n");
	/* Only the two state files: no temp file left behind. */
	assert_int_equal(entries(g_dir), 2);
	shardmap_unref(m);
}

static void test_uneven_slots(void **state)
{
	sg_shardmap_t *m = build_ok(SHARDS3 TABLES "hash: { slots: 10 }\n", T0);

	assert_file("slots", "# shardgate slot map: first last shard (hash.slots = 10)\n"
	                     "0 3 americas\n4 6 europe\n7 9 asia\n");
	shardmap_unref(m);
	rm_rf(g_dir);
	/* Fewer slots than shards: the last shard owns the only slot. */
	m = build_ok(SHARDS3 TABLES "hash: { slots: 1 }\n", T0);
	assert_int_equal(shardmap_slot_shard(m, 0), 0);
	assert_int_equal(m->slot_shards, 0x1);
	shardmap_unref(m);
}

static void test_regions(void **state)
{
	sg_shardmap_t *m = build_ok(SHARDS3 TABLES, T0);
	const sm_table_t *t = &m->tables[1];

	assert_int_equal(t->nregions, 12);
	assert_int_equal(t->default_shard, 0);
	/* Lower-cased and sorted for bsearch. */
	assert_string_equal(t->regions[0].value, "au");
	assert_int_equal(t->regions[0].shard, 2);
	assert_string_equal(t->regions[11].value, "us");
	for (size_t i = 1; i < t->nregions; i++)
		assert_true(strcmp(t->regions[i - 1].value, t->regions[i].value) < 0);
	assert_int_equal(shardmap_region_shard(m, 1, "US"), 0);
	assert_int_equal(shardmap_region_shard(m, 1, "us"), 0);
	assert_int_equal(shardmap_region_shard(m, 1, "De"), 1);
	assert_int_equal(shardmap_region_shard(m, 1, "IN"), 2);
	assert_int_equal(shardmap_region_shard(m, 1, "br"), 0);
	assert_int_equal(shardmap_region_shard(m, 1, "XX"), -1);
	assert_int_equal(shardmap_region_shard(m, 1, ""), -1);
	assert_int_equal(shardmap_region_shard(m, 1, "USA"), -1);
	assert_int_equal(shardmap_region_shard(m, 1, NULL), -1);
	/* Not a region table, or no such table. */
	assert_int_equal(shardmap_region_shard(m, 0, "US"), -1);
	assert_int_equal(shardmap_region_shard(m, 9, "US"), -1);
	assert_int_equal(shardmap_region_shard(m, -1, "US"), -1);
	/* Tables without regions have none. */
	assert_int_equal(m->tables[0].nregions, 0);
	assert_int_equal(m->tables[0].default_shard, -1);
	shardmap_unref(m);
}

static void test_tiers(void **state)
{
	sg_shardmap_t *m = build_ok(SHARDS3 TABLES, T0);
	const sm_table_t *t = &m->tables[2];
	char want[256];

	assert_int_equal(t->nwm, 2);
	assert_int_equal(t->wm[0], T0 - 7 * DAY_US);
	assert_int_equal(t->wm[1], T0 - 30 * DAY_US);
	assert_int_equal(t->tier_shard[0], 0);
	assert_int_equal(t->tier_shard[1], 1);
	assert_int_equal(t->tier_shard[2], 2);
	assert_int_equal(shardmap_tier_of(m, 2, T0), 0);
	assert_int_equal(shardmap_tier_of(m, 2, T0 + 365 * DAY_US), 0); /* the future: newest tier */
	assert_int_equal(shardmap_tier_of(m, 2, T0 - 7 * DAY_US), 0);   /* lower bounds are inclusive */
	assert_int_equal(shardmap_tier_of(m, 2, T0 - 7 * DAY_US - 1), 1);
	assert_int_equal(shardmap_tier_of(m, 2, T0 - 30 * DAY_US), 1);
	assert_int_equal(shardmap_tier_of(m, 2, T0 - 30 * DAY_US - 1), 2);
	assert_int_equal(shardmap_tier_of(m, 2, INT64_MIN), 2);
	assert_int_equal(shardmap_tier_of(m, 2, INT64_MAX), 0);
	assert_int_equal(shardmap_tier_of(m, 0, T0), -1); /* not a time table */
	snprintf(want, sizeof(want),
	         "# shardgate tier watermarks: table tier_index lower_bound_microseconds_utc\n"
	         "metrics 0 %lld\nmetrics 1 %lld\n",
	         (long long)(T0 - 7 * DAY_US), (long long)(T0 - 30 * DAY_US));
	assert_file("watermarks", want);
	shardmap_unref(m);
}

/* A single-tier table has no boundary at all. */
static void test_single_tier(void **state)
{
	sg_shardmap_t *m =
	        build_ok(SHARDS3 "tables:\n  t: { shard_by: time, column: ts, tiers: [ { name: all, "
	                         "shard: europe } ] }\n",
	                 T0);

	assert_int_equal(m->tables[0].nwm, 0);
	assert_null(m->tables[0].wm);
	assert_int_equal(shardmap_tier_of(m, 0, T0), 0);
	assert_int_equal(shardmap_tier_of(m, 0, INT64_MIN), 0);
	assert_file("watermarks",
	            "# shardgate tier watermarks: table tier_index lower_bound_microseconds_utc\n");
	/* No hash table: no slot map is persisted. */
	assert_false(exists("slots"));
	shardmap_unref(m);
}

/* A restart or reload keeps what was persisted: watermarks are not
 * recomputed from the new clock, and an edited slot map is honoured. */
static void test_reload_keeps_state(void **state)
{
	sg_shardmap_t *m = build_ok(SHARDS3 TABLES, T0);
	char *slots = slurp("slots"), *wm = slurp("watermarks");

	shardmap_unref(m);
	m = build_ok(SHARDS3 TABLES, T0 + 10 * DAY_US);
	assert_int_equal(m->tables[2].wm[0], T0 - 7 * DAY_US);
	assert_int_equal(m->tables[2].wm[1], T0 - 30 * DAY_US);
	assert_file("slots", slots);
	assert_file("watermarks", wm);
	shardmap_unref(m);

	/* Slots moved by an operator (or a future rebalancer). */
	put("slots", "# moved\n0 511 asia\n\n512 1023 europe\n");
	put("watermarks", "metrics 1 -5\nmetrics 0 1000\n");
	m = build_ok(SHARDS3 TABLES, T0);
	assert_int_equal(shardmap_slot_shard(m, 0), 2);
	assert_int_equal(shardmap_slot_shard(m, 511), 2);
	assert_int_equal(shardmap_slot_shard(m, 512), 1);
	assert_int_equal(m->slot_shards, 0x6);
	assert_int_equal(m->tables[2].wm[0], 1000);
	assert_int_equal(m->tables[2].wm[1], -5);
	/* Valid state is not rewritten. */
	assert_file("slots", "# moved\n0 511 asia\n\n512 1023 europe\n");
	shardmap_unref(m);
	free(slots);
	free(wm);
}

static void test_refuse_slot_count_change(void **state)
{
	shardmap_unref(build_ok(SHARDS3 TABLES, T0));
	build_fails(
	        SHARDS3 TABLES "hash: { slots: 2048 }\n", T0, SG_ECONFIG,
	        "/slots covers 1024 slots but hash.slots is 2048: the slot count cannot change once rows are "
	        "placed by it");
	build_fails(SHARDS3 TABLES "hash: { slots: 512 }\n", T0, SG_ECONFIG,
	            "/slots:3: assigns slot 682 but hash.slots is 512");
	/* The refused reloads left the file alone. */
	assert_file("slots", "# shardgate slot map: first last shard (hash.slots = 1024)\n"
	                     "0 341 americas\n342 682 europe\n683 1023 asia\n");
}

#define SHARDS2                                                                                              \
	"auth: { method: trust }\n"                                                                          \
	"shards:\n"                                                                                          \
	"  - { name: americas, database: d, hosts: [ { host: h, port: 1 } ] }\n"                             \
	"  - { name: europe, database: d, hosts: [ { host: h, port: 2 } ] }\n"                               \
	"state_dir: %s\n"                                                                                    \
	"tables: { orders: { shard_by: hash, column: user_id } }\n"

static void test_refuse_removed_shard(void **state)
{
	sg_shardmap_t *m;

	shardmap_unref(build_ok(SHARDS3 TABLES, T0));
	build_fails(
	        SHARDS2, T0, SG_ECONFIG,
	        "/slots:4: shard 'asia' owns slots 683..1023 but is not in the configuration: a shard that "
	        "holds rows cannot be removed");
	/* Once asia owns no slot, it may go. */
	put("slots", "0 600 americas\n601 1023 europe\n");
	m = build_ok(SHARDS2, T0);
	assert_int_equal(shardmap_slot_shard(m, 1023), 1);
	shardmap_unref(m);
}

/* Adding a shard changes nothing: it owns no slots until they are moved. */
static void test_added_shard_owns_nothing(void **state)
{
	sg_shardmap_t *m = build_ok(SHARDS2, T0);

	assert_int_equal(shardmap_slot_shard(m, 1023), 1);
	shardmap_unref(m);
	m = build_ok(SHARDS3 TABLES, T0);
	assert_int_equal(shardmap_slot_shard(m, 1023), 1);
	assert_int_equal(m->slot_shards, 0x3);
	shardmap_unref(m);
}

#define TABLES_4TIERS                                                                                        \
	"tables:\n"                                                                                          \
	"  metrics: { shard_by: time, column: created_at,\n"                                                 \
	"      tiers: [ { name: current, max_age: 7d, shard: americas },\n"                                  \
	"               { name: recent, max_age: 30d, shard: europe },\n"                                    \
	"               { name: old, max_age: 90d, shard: europe },\n"                                       \
	"               { name: archive, shard: asia } ] }\n"

static void test_refuse_tier_change(void **state)
{
	shardmap_unref(build_ok(SHARDS3 TABLES, T0));
	build_fails(SHARDS3 TABLES_4TIERS, T0, SG_ECONFIG,
	            "/watermarks: table metrics has 2 tier boundaries stored but 4 tiers configured (3 "
	            "boundaries): tiers cannot be added or removed while rows are placed by the watermarks");
}

static void test_bad_state_files(void **state)
{
	static const struct {
		const char *file, *text, *err;
	} cases[] = {
	        {"slots", "0 341 americas\n342 682\n",
	         "/slots:2: expected \"first last shard\", got '342 682'"},
	        {"slots", "0 341 americas\n343 1023 asia\n",
	         "/slots:2: slot ranges must be contiguous from 0: expected a range starting at 342, got "
	         "343..1023"},
	        {"slots", "1 1023 asia\n", "expected a range starting at 0, got 1..1023"},
	        {"slots", "0 100 asia\n101 50 asia\n", "expected a range starting at 101, got 101..50"},
	        {"slots", "0 x asia\n", "/slots:1: expected \"first last shard\""},
	        {"slots", "0 99999999999 asia\n", "/slots:1: expected \"first last shard\""},
	        {"slots", "", "/slots covers 0 slots but hash.slots is 1024"},
	        {"slots", "0 1023 mars\n", "shard 'mars' owns slots 0..1023 but is not in the configuration"},
	        {"watermarks", "metrics 0\n", "/watermarks:1: expected \"table tier_index microseconds\""},
	        {"watermarks", "metrics 0 12x\n",
	         "/watermarks:1: expected \"table tier_index microseconds\""},
	        {"watermarks", "metrics 0 99999999999999999999\n", "/watermarks:1: expected"},
	        {"watermarks", "metrics 0 5\nmetrics 1 6\n",
	         "table metrics: tier 1's watermark is newer than tier 0's"},
	        {"watermarks", "metrics 0 5\nmetrics 0 6\n",
	         "table metrics needs exactly one line for tier 0"},
	        {"watermarks", "metrics 0 5\n",
	         "table metrics has 1 tier boundaries stored but 3 tiers configured"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rm_rf(g_dir);
		shardmap_unref(build_ok(SHARDS3 TABLES, T0));
		put(cases[i].file, cases[i].text);
		build_fails(SHARDS3 TABLES, T0, SG_ECONFIG, cases[i].err);
	}
}

/* Lines of tables that are not (or no longer) time-sharded survive a
 * rewrite; a new time table gets first-start boundaries. */
static void test_watermarks_kept_for_other_tables(void **state)
{
	sg_shardmap_t *m;
	char want[512];

	put("watermarks", "old table 0 123\n");
	m = build_ok(SHARDS3 TABLES, T0);
	assert_int_equal(m->tables[2].wm[0], T0 - 7 * DAY_US);
	snprintf(want, sizeof(want),
	         "# shardgate tier watermarks: table tier_index lower_bound_microseconds_utc\n"
	         "metrics 0 %lld\nmetrics 1 %lld\nold table 0 123\n",
	         (long long)(T0 - 7 * DAY_US), (long long)(T0 - 30 * DAY_US));
	assert_file("watermarks", want);
	shardmap_unref(m);
	/* metrics taken out of the configuration: its lines stay. */
	m = build_ok(SHARDS3
	             "tables: { t: { shard_by: time, column: ts, tiers: [ { name: a, max_age: 1d, shard: "
	             "asia }, { name: b, shard: europe } ] } }\n",
	             T0 + DAY_US);
	snprintf(want, sizeof(want),
	         "# shardgate tier watermarks: table tier_index lower_bound_microseconds_utc\n"
	         "t 0 %lld\nmetrics 0 %lld\nmetrics 1 %lld\nold table 0 123\n",
	         (long long)T0, (long long)(T0 - 7 * DAY_US), (long long)(T0 - 30 * DAY_US));
	assert_file("watermarks", want);
	shardmap_unref(m);
}

/* Nothing persisted (nor any directory made) without hash or time tables. */
static void test_no_state_needed(void **state)
{
	char sub[300];
	sg_shardmap_t *m;
	config_t *c;
	char err[256];

	snprintf(sub, sizeof(sub), "%s/never", g_dir);
	c = cfg_load(SHARDS3 "tables: { countries: { shard_by: replicated } }\n", sub);
	assert_int_equal(shardmap_build(c, T0, &m, err, sizeof(err)), 0);
	assert_false(exists("never"));
	assert_int_equal(c->refs, 2);
	/* The map holds a reference; ref/unref count. */
	assert_ptr_equal(shardmap_ref(m), m);
	assert_int_equal(m->refs, 2);
	shardmap_unref(m);
	assert_int_equal(c->refs, 2);
	shardmap_unref(m);
	assert_int_equal(c->refs, 1);
	config_unref(c);
}

static void test_mkdir_p(void **state)
{
	char sub[300];
	sg_shardmap_t *m;
	config_t *c;
	char err[256];

	snprintf(sub, sizeof(sub), "%s/a/b/c", g_dir);
	c = cfg_load(SHARDS3 TABLES, sub);
	assert_int_equal(shardmap_build(c, T0, &m, err, sizeof(err)), 0);
	assert_true(exists("a/b/c/slots"));
	assert_true(exists("a/b/c/watermarks"));
	shardmap_unref(m);
	config_unref(c);

	/* A state_dir that cannot be created is an error, not a crash. */
	put("file", "x");
	snprintf(sub, sizeof(sub), "%s/file/sub", g_dir);
	c = cfg_load(SHARDS3 TABLES, sub);
	m = (sg_shardmap_t *)1;
	assert_int_equal(shardmap_build(c, T0, &m, err, sizeof(err)), SG_EIO);
	assert_null(m);
	assert_non_null(strstr(err, "cannot create state_dir"));
	config_unref(c);
}

/* Up to 64 shards (route.h's bitmaps); 65 is refused. */
static void test_shard_limit(void **state)
{
	char *yaml = malloc(16384), err[256];
	size_t len = 0;
	config_t *c;
	config_error_t cerr;
	sg_shardmap_t *m = NULL;

	assert_non_null(yaml);
	for (int n = 64; n <= 65; n++) {
		len = (size_t)snprintf(yaml, 16384, "auth: { method: trust }\nstate_dir: %s\nshards:\n",
		                       g_dir);
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(
			        yaml + len, 16384 - len,
			        "  - { name: s%d, database: d, hosts: [ { host: h, port: 1 } ] }\n", i);
		len += (size_t)snprintf(yaml + len, 16384 - len,
		                        "tables: { t: { shard_by: hash, column: id } }\n");
		assert_int_equal(config_load_string(yaml, len, "t.yaml", &c, &cerr), 0);
		rm_rf(g_dir);
		if (n == 64) {
			assert_int_equal(shardmap_build(c, T0, &m, err, sizeof(err)), 0);
			assert_int_equal(shardmap_slot_shard(m, 1023), 63);
			assert_int_equal(m->slot_shards, UINT64_MAX);
			shardmap_unref(m);
		} else {
			assert_int_equal(shardmap_build(c, T0, &m, err, sizeof(err)), SG_ECONFIG);
			assert_string_equal(err, "65 shards configured: shardgate supports 1 to 64");
		}
		config_unref(c);
	}
	free(yaml);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_default_slots),
	        T(test_uneven_slots),
	        T(test_regions),
	        T(test_tiers),
	        T(test_single_tier),
	        T(test_reload_keeps_state),
	        T(test_refuse_slot_count_change),
	        T(test_refuse_removed_shard),
	        T(test_added_shard_owns_nothing),
	        T(test_refuse_tier_change),
	        T(test_bad_state_files),
	        T(test_watermarks_kept_for_other_tables),
	        T(test_no_state_needed),
	        T(test_mkdir_p),
	        T(test_shard_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
