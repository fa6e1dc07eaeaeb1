/* test_route.c — routing decisions: analysed statements are built by hand
 * (no dependency on the analyzer) and routed against a three-shard map;
 * every test asserts the exact shard bitmap, error and reason.
 *
 * Expected slots come from PostgreSQL itself (satisfies_hash_partition
 * with modulus 1024, see test_pghash.c): 42 → 610, 1 → 952, 7 → 279,
 * 100 → 601, -1 → 933, 'abc' → 677, 'a' → 862, '' → 166, uuid 0 → 933,
 * c4ca4238-a0b9-2382-0dcc-509a6f75849b → 600. With 1024 slots over three
 * shards, slots 0..341 are americas, 342..682 europe, 683..1023 asia. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "pghash.h"
#include "route.h"
#include "route_value.h"
#include "shardmap.h"

#define SEC_US  INT64_C(1000000)
#define HOUR_US (INT64_C(3600) * SEC_US)
#define DAY_US  (INT64_C(24) * HOUR_US)
/* 2026-11-20 00:00:00 UTC: the map is built at T0, so the tier
 * watermarks are T0 - 7d (current/recent) and T0 - 30d (recent/archive). */
#define T0 INT64_C(1795132800000000)

enum { ORDERS, REGIONAL, METRICS, COUNTRIES, USERS, SESSIONS, EU_METRICS };
enum { AM = 1, EU = 2, AS = 4, ALL = 7 };

#define CONFIG                                                                                               \
	"auth: { method: trust }\n"                                                                          \
	"shards:\n"                                                                                          \
	"  - { name: americas, database: d, hosts: [ { host: h, port: 1 } ] }\n"                             \
	"  - { name: europe, database: d, hosts: [ { host: h, port: 2 } ] }\n"                               \
	"  - { name: asia, database: d, hosts: [ { host: h, port: 3 } ] }\n"                                 \
	"default_shard: americas\n"                                                                          \
	"state_dir: %s\n"                                                                                    \
	"tables:\n"                                                                                          \
	"  orders: { shard_by: hash, column: user_id }\n"                                                    \
	"  regional_metrics: { shard_by: region, column: region, default_shard: americas,\n"                 \
	"      regions: { americas: [US, CA, MX, BR], europe: [UK, DE, FR, ES], asia: [JP, SG, AU, IN] } "   \
	"}\n"                                                                                                \
	"  metrics: { shard_by: time, column: created_at,\n"                                                 \
	"      tiers: [ { name: current, max_age: 7d, shard: americas },\n"                                  \
	"               { name: recent, max_age: 30d, shard: europe },\n"                                    \
	"               { name: archive, shard: asia } ] }\n"                                                \
	"  countries: { shard_by: replicated }\n"                                                            \
	"  users: { shard_by: hash, column: email, type: text }\n"                                           \
	"  sessions: { shard_by: hash, column: sid, type: uuid }\n"                                          \
	"  eu_metrics: { shard_by: region, column: region, regions: { europe: [DE, FR], asia: [JP] } }\n"

static char g_dir[256];
static sg_shardmap_t *g_map;

static int group_setup(void **state)
{
	char yaml[4096], err[256];
	config_error_t cerr;
	config_t *c = NULL;

	snprintf(g_dir, sizeof(g_dir), "/tmp/sg-route-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	snprintf(yaml, sizeof(yaml), CONFIG, g_dir);
	if (config_load_string(yaml, strlen(yaml), "route.yaml", &c, &cerr) != 0) {
		fprintf(stderr, "config: %d:%d %s\n", cerr.line, cerr.column, cerr.msg);
		return -1;
	}
	if (shardmap_build(c, T0, &g_map, err, sizeof(err)) != 0) {
		fprintf(stderr, "shardmap: %s\n", err);
		return -1;
	}
	config_unref(c);
	return 0;
}

static int group_teardown(void **state)
{
	char path[512];
	DIR *d = opendir(g_dir);
	struct dirent *e;

	shardmap_unref(g_map);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || e->d_name[1] == '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", g_dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(g_dir);
	return 0;
}

/* ---- statement builders ---- */

static sql_value_t vint(int64_t i)
{
	return (sql_value_t){.kind = SQLV_INT, .i = i};
}

static sql_value_t vtext(const char *s)
{
	return (sql_value_t){.kind = SQLV_TEXT, .text = (char *)s};
}

static sql_value_t vparam(int n)
{
	return (sql_value_t){.kind = SQLV_PARAM, .param = n};
}

static sql_value_t vts(int64_t us)
{
	return (sql_value_t){.kind = SQLV_TS, .ts_us = us};
}

static sql_value_t vnow(int64_t off)
{
	return (sql_value_t){.kind = SQLV_NOW_REL, .ts_us = off};
}

static sql_value_t vdate(int32_t days)
{
	return (sql_value_t){.kind = SQLV_DATE_REL, .days = days};
}

static sql_value_t vnull(void)
{
	return (sql_value_t){.kind = SQLV_NULL};
}

static sql_value_t vcast(sql_value_t v, const char *cast)
{
	v.cast = (char *)cast;
	return v;
}

static sql_table_ref_t ref_eq(int table, sql_value_t *vals, size_t n)
{
	return (sql_table_ref_t){.table = table, .cons = SQLC_EQ, .values = vals, .nvalues = n};
}

static sql_table_ref_t ref_none(int table)
{
	return (sql_table_ref_t){.table = table, .cons = SQLC_NONE};
}

static sql_table_ref_t ref_written(sql_table_ref_t r)
{
	r.written = true;
	return r;
}

static sql_table_ref_t ref_range(int table, const sql_value_t *lo, bool lo_incl, const sql_value_t *hi,
                                 bool hi_incl)
{
	sql_table_ref_t r = {.table = table, .cons = SQLC_RANGE};

	if (lo != NULL) {
		r.has_lo = true;
		r.lo = *lo;
		r.lo_incl = lo_incl;
	}
	if (hi != NULL) {
		r.has_hi = true;
		r.hi = *hi;
		r.hi_incl = hi_incl;
	}
	return r;
}

static sql_stmt_t stmt(sql_kind_t kind, sql_table_ref_t *refs, size_t n)
{
	return (sql_stmt_t){.kind = kind, .refs = refs, .nrefs = n};
}

static route_result_t route_p(const sql_stmt_t *st, const route_params_t *p, int64_t now)
{
	route_result_t r;

	memset(&r, 0x5a, sizeof(r)); /* route_statement must set everything */
	assert_int_equal(route_statement(g_map, st, p, now, &r), 0);
	return r;
}

static route_result_t route(const sql_stmt_t *st)
{
	return route_p(st, NULL, T0);
}

static void expect(const route_result_t *r, uint64_t shards, bool write_all, const char *reason)
{
	if (r->sqlstate[0] != '\0')
		fail_msg("unexpected error %s: %s", r->sqlstate, r->error);
	if (strcmp(r->reason, reason) != 0)
		fail_msg("reason\n got: %s\nwant: %s", r->reason, reason);
	assert_int_equal(r->shards, shards);
	assert_int_equal(r->write_all, write_all);
}

static void expect_error(const route_result_t *r, const char *sqlstate, const char *msg)
{
	assert_string_equal(r->sqlstate, sqlstate);
	assert_string_equal(r->error, msg);
	assert_int_equal(r->shards, 0);
	assert_false(r->write_all);
}

/* One read of `table` with col = v. */
static route_result_t eq1(int table, sql_value_t v, const route_params_t *p)
{
	sql_table_ref_t ref = ref_eq(table, &v, 1);
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);

	return route_p(&st, p, T0);
}

/* ---- parameters ---- */

typedef struct pset {
	const uint8_t *vals[2];
	int32_t lens[2];
	int16_t fmts[2];
	uint32_t types[2];
	route_params_t p;
} pset_t;

static const route_params_t *param1(pset_t *b, const void *bytes, int32_t len, int16_t fmt, uint32_t oid)
{
	memset(b, 0, sizeof(*b));
	b->vals[0] = bytes;
	b->lens[0] = bytes ? len : -1;
	b->fmts[0] = fmt;
	b->types[0] = oid;
	b->p = (route_params_t){
	        .n = 1, .values = b->vals, .lens = b->lens, .formats = b->fmts, .types = b->types};
	return &b->p;
}

static const route_params_t *ptext(pset_t *b, const char *s)
{
	return param1(b, s, s ? (int32_t)strlen(s) : -1, 0, 0);
}

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- hash ---- */

static void test_hash_literals(void **state)
{
	sql_value_t in[3] = {vint(42), vint(1), vint(7)};
	sql_table_ref_t ref = ref_eq(ORDERS, in, 3);
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);
	route_result_t r;

	r = eq1(ORDERS, vint(42), NULL);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
	r = eq1(ORDERS, vint(-1), NULL);
	expect(&r, AS, false, "orders.user_id = -1 → slot 933 → shard asia");
	/* IN list spanning every shard. */
	r = route(&st);
	expect(&r, ALL, false,
	       "orders.user_id = 42 → slot 610 → shard europe; orders.user_id = 1 → slot 952 → shard asia; "
	       "orders.user_id = 7 → slot 279 → shard americas");
	/* A number written as a string, and casts to integer types. */
	r = eq1(ORDERS, vtext("42"), NULL);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
	r = eq1(ORDERS, vtext(" +42 "), NULL);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
	r = eq1(ORDERS, vcast(vtext("42"), "int4"), NULL);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
	r = eq1(ORDERS, vcast(vtext("7"), "bigint"), NULL);
	expect(&r, AM, false, "orders.user_id = 7 → slot 279 → shard americas");
	/* int8 extremes (PostgreSQL: remainders 630 and 383). */
	r = eq1(ORDERS, vtext("9223372036854775807"), NULL);
	expect(&r, EU, false, "orders.user_id = 9223372036854775807 → slot 630 → shard europe");
	r = eq1(ORDERS, vtext("-9223372036854775808"), NULL);
	expect(&r, EU, false, "orders.user_id = -9223372036854775808 → slot 383 → shard europe");
}

static void test_hash_unreadable_values(void **state)
{
	static const char *const bad[] = {"abc", "42.0", "4 2", "", "9223372036854775808", "0x2A", "1e3"};
	const char *want =
	        "orders.user_id = (a value shardgate cannot read) → every shard of orders (americas, "
	        "europe, asia)";
	route_result_t r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = eq1(ORDERS, vtext(bad[i]), NULL);
		expect(&r, ALL, false, want);
	}
	/* A cast to text makes it a text value: not an integer key. */
	r = eq1(ORDERS, vcast(vtext("42"), "text"), NULL);
	expect(&r, ALL, false, want);
	r = eq1(ORDERS, vts(T0), NULL);
	expect(&r, ALL, false, want);
	r = eq1(ORDERS, vnow(0), NULL);
	expect(&r, ALL, false, want);
	/* NULL: PostgreSQL leaves it out of the row hash (0), so slot 0. */
	r = eq1(ORDERS, vnull(), NULL);
	expect(&r, AM, false, "orders.user_id = NULL → slot 0 → shard americas");
}

static void test_hash_params(void **state)
{
	const char *unreadable =
	        "orders.user_id = (a value shardgate cannot read) ($1) → every shard of orders "
	        "(americas, europe, asia)";
	uint8_t b2[2], b4[4], b8[8], b3[3] = {0, 0, 42};
	pset_t ps;
	route_result_t r;

	r = eq1(ORDERS, vparam(1), ptext(&ps, "42"));
	expect(&r, EU, false, "orders.user_id = 42 ($1) → slot 610 → shard europe");
	be(b2, 42, 2);
	r = eq1(ORDERS, vparam(1), param1(&ps, b2, 2, 1, 21));
	expect(&r, EU, false, "orders.user_id = 42 ($1) → slot 610 → shard europe");
	be(b4, 42, 4);
	r = eq1(ORDERS, vparam(1), param1(&ps, b4, 4, 1, 23));
	expect(&r, EU, false, "orders.user_id = 42 ($1) → slot 610 → shard europe");
	be(b8, 42, 8);
	r = eq1(ORDERS, vparam(1), param1(&ps, b8, 8, 1, 20));
	expect(&r, EU, false, "orders.user_id = 42 ($1) → slot 610 → shard europe");
	/* Unspecified type: the length decides; negatives sign-extend. */
	be(b4, UINT32_MAX, 4);
	r = eq1(ORDERS, vparam(1), param1(&ps, b4, 4, 1, 0));
	expect(&r, AS, false, "orders.user_id = -1 ($1) → slot 933 → shard asia");
	be(b2, 0xffff, 2);
	r = eq1(ORDERS, vparam(1), param1(&ps, b2, 2, 1, 0));
	expect(&r, AS, false, "orders.user_id = -1 ($1) → slot 933 → shard asia");
	/* Lengths and types that are not an integer key. */
	r = eq1(ORDERS, vparam(1), param1(&ps, b3, 3, 1, 0));
	expect(&r, ALL, false, unreadable);
	r = eq1(ORDERS, vparam(1), param1(&ps, b8, 8, 1, 23)); /* int4 OID, 8 bytes */
	expect(&r, ALL, false, unreadable);
	r = eq1(ORDERS, vparam(1), param1(&ps, b8, 8, 1, 1700)); /* numeric */
	expect(&r, ALL, false, unreadable);
	r = eq1(ORDERS, vparam(1), ptext(&ps, "x"));
	expect(&r, ALL, false, unreadable);
	/* SQL NULL parameter. */
	r = eq1(ORDERS, vparam(1), ptext(&ps, NULL));
	expect(&r, AM, false, "orders.user_id = NULL ($1) → slot 0 → shard americas");
	/* No Bind values at all, or $2 of one parameter. */
	r = eq1(ORDERS, vparam(1), NULL);
	expect(&r, ALL, false, unreadable);
	r = eq1(ORDERS, vparam(2), ptext(&ps, "42"));
	expect(&r, ALL, false,
	       "orders.user_id = (a value shardgate cannot read) ($2) → every shard of orders (americas, "
	       "europe, "
	       "asia)");
}

static void test_hash_text_and_uuid(void **state)
{
	static const uint8_t zero[16] = {0};
	char want[160];
	pset_t ps;
	route_result_t r;
	int slot;

	r = eq1(USERS, vtext("abc"), NULL);
	expect(&r, EU, false, "users.email = 'abc' → slot 677 → shard europe");
	r = eq1(USERS, vtext("a"), NULL);
	expect(&r, AS, false, "users.email = 'a' → slot 862 → shard asia");
	r = eq1(USERS, vtext(""), NULL);
	expect(&r, AM, false, "users.email = '' → slot 166 → shard americas");
	r = eq1(USERS, vparam(1), param1(&ps, "a", 1, 1, 25));
	expect(&r, AS, false, "users.email = 'a' ($1) → slot 862 → shard asia");
	/* An integer literal compared with a text key hashes its text. */
	slot = (int)(pghash_row_text("42", 2) % 1024);
	snprintf(want, sizeof(want), "users.email = '42' → slot %d → shard %s", slot,
	         slot < 342   ? "americas"
	         : slot < 683 ? "europe"
	                      : "asia");
	r = eq1(USERS, vint(42), NULL);
	expect(&r, slot < 342 ? AM : slot < 683 ? EU : AS, false, want);

	r = eq1(SESSIONS, vtext("00000000-0000-0000-0000-000000000000"), NULL);
	expect(&r, AS, false,
	       "sessions.sid = '00000000-0000-0000-0000-000000000000' → slot 933 → shard asia");
	r = eq1(SESSIONS, vcast(vtext("{C4CA4238A0B923820DCC509A6F75849B}"), "uuid"), NULL);
	expect(&r, EU, false,
	       "sessions.sid = 'c4ca4238-a0b9-2382-0dcc-509a6f75849b' → slot 600 → shard europe");
	r = eq1(SESSIONS, vparam(1), param1(&ps, zero, 16, 1, 2950));
	expect(&r, AS, false,
	       "sessions.sid = '00000000-0000-0000-0000-000000000000' ($1) → slot 933 → shard asia");
	r = eq1(SESSIONS, vtext("not-a-uuid"), NULL);
	expect(&r, ALL, false,
	       "sessions.sid = (a value shardgate cannot read) → every shard of sessions (americas, europe, "
	       "asia)");
	r = eq1(SESSIONS, vint(5), NULL);
	expect(&r, ALL, false,
	       "sessions.sid = (a value shardgate cannot read) → every shard of sessions (americas, europe, "
	       "asia)");
}

static void test_any_array_param(void **state)
{
	sql_value_t v = vparam(1);
	sql_table_ref_t ref = {.table = ORDERS, .cons = SQLC_EQ_ANY_PARAM, .values = &v, .nvalues = 1};
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);
	uint8_t bin[12 + 8 + 2 * 12];
	pset_t ps;
	route_result_t r;
	int slot_q, slot_c;
	uint64_t want;
	char reason[256];

	r = route_p(&st, ptext(&ps, "{42,1}"), T0);
	expect(&r, EU | AS, false,
	       "orders.user_id = 42 ($1) → slot 610 → shard europe; orders.user_id = 1 ($1) → slot 952 → "
	       "shard "
	       "asia");
	r = route_p(&st, ptext(&ps, " { \"42\" , NULL } "), T0);
	expect(&r, EU | AM, false,
	       "orders.user_id = 42 ($1) → slot 610 → shard europe; orders.user_id = NULL ($1) → slot 0 → "
	       "shard "
	       "americas");
	/* An empty array matches nothing: one shard answers. */
	r = route_p(&st, ptext(&ps, "{}"), T0);
	expect(&r, AM, false, "no shard needed → default shard americas");
	static const char *const bad[] = {"{42",         "42",    "{{1},{2}}", "{1,,2}",
	                                  "[1:2]={1,2}", "{1} x", "{\"1}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = route_p(&st, ptext(&ps, bad[i]), T0);
		expect(&r, ALL, false,
		       "orders: user_id = ANY($1) with an array shardgate cannot read → every shard of "
		       "orders "
		       "(americas, europe, asia)");
	}
	r = route_p(&st, NULL, T0);
	assert_int_equal(r.shards, ALL);

	/* Binary int8[] {42, 7}: ndim 1, no nulls, element OID 20, dim 2 from 1. */
	be(bin, 1, 4);
	be(bin + 4, 0, 4);
	be(bin + 8, 20, 4);
	be(bin + 12, 2, 4);
	be(bin + 16, 1, 4);
	be(bin + 20, 8, 4);
	be(bin + 24, 42, 8);
	be(bin + 32, 8, 4);
	be(bin + 36, 7, 8);
	r = route_p(&st, param1(&ps, bin, 44, 1, 1016), T0);
	expect(&r, EU | AM, false,
	       "orders.user_id = 42 ($1) → slot 610 → shard europe; orders.user_id = 7 ($1) → slot 279 → "
	       "shard "
	       "americas");
	/* Truncated: unreadable. */
	r = route_p(&st, param1(&ps, bin, 40, 1, 1016), T0);
	assert_int_equal(r.shards, ALL);
	/* Empty binary array (ndim 0). */
	r = route_p(&st, param1(&ps, bin + 4, 12, 1, 1016), T0);
	assert_int_equal(r.shards, AM);

	/* Text keys with quoting and escapes: 'a"b' and 'c'. */
	ref.table = USERS;
	slot_q = (int)(pghash_row_text("a\"b", 3) % 1024);
	slot_c = (int)(pghash_row_text("c", 1) % 1024);
	want = (slot_q < 342 ? AM : slot_q < 683 ? EU : AS) | (slot_c < 342 ? AM : slot_c < 683 ? EU : AS);
	r = route_p(&st, ptext(&ps, "{\"a\\\"b\", c }"), T0);
	assert_int_equal(r.shards, want);
	snprintf(reason, sizeof(reason), "users.email = 'a\"b' ($1) → slot %d", slot_q);
	assert_non_null(strstr(r.reason, reason));
	snprintf(reason, sizeof(reason), "users.email = 'c' ($1) → slot %d", slot_c);
	assert_non_null(strstr(r.reason, reason));
}

static void test_hash_unconstrained(void **state)
{
	sql_table_ref_t ref = ref_none(ORDERS);
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);
	sql_value_t lo = vint(1);
	route_result_t r = route(&st);

	expect(&r, ALL, false,
	       "orders: no usable constraint on user_id → every shard of orders (americas, europe, asia)");
	ref = ref_range(ORDERS, &lo, true, NULL, false);
	r = route(&st);
	expect(&r, ALL, false,
	       "orders: a range on user_id does not select hash shards → every shard of orders (americas, "
	       "europe, "
	       "asia)");
	/* A self-join with two keys: the union. */
	sql_value_t a = vint(42), b = vint(1);
	sql_table_ref_t two[2] = {ref_eq(ORDERS, &a, 1), ref_eq(ORDERS, &b, 1)};
	st = stmt(SQLK_SELECT, two, 2);
	r = route(&st);
	expect(&r, EU | AS, false,
	       "orders.user_id = 42 → slot 610 → shard europe; orders.user_id = 1 → slot 952 → shard asia");
	/* Contradictory equalities (x = 1 AND x = 2): the analyzer reports
	 * SQLC_EQ without values, no shard is needed for the table. */
	sql_table_ref_t none = ref_eq(ORDERS, NULL, 0);
	st = stmt(SQLK_SELECT, &none, 1);
	r = route(&st);
	expect(&r, AM, false,
	       "orders: no row can match the constraints on user_id; no shard needed → default shard "
	       "americas");
	two[1] = none;
	st = stmt(SQLK_SELECT, two, 2);
	r = route(&st);
	expect(&r, EU, false,
	       "orders.user_id = 42 → slot 610 → shard europe; orders: no row can match the constraints on "
	       "user_id");
	/* EXPLAIN routes like the statement it explains. */
	st = stmt(SQLK_EXPLAIN, two, 1);
	r = route(&st);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
}

/* ---- region ---- */

static void test_region(void **state)
{
	sql_value_t v;
	sql_table_ref_t ref;
	sql_stmt_t st;
	route_result_t r;

	r = eq1(REGIONAL, vtext("DE"), NULL);
	expect(&r, EU, false, "regional_metrics.region = 'DE' → shard europe");
	r = eq1(REGIONAL, vtext("jp"), NULL);
	expect(&r, AS, false, "regional_metrics.region = 'jp' → shard asia");
	/* Unlisted: the table's default shard... */
	r = eq1(REGIONAL, vtext("XX"), NULL);
	expect(&r, AM, false, "regional_metrics.region = 'XX' → not listed → default shard americas");
	/* ...or, without one, every shard that holds the table. */
	r = eq1(EU_METRICS, vtext("XX"), NULL);
	expect(&r, EU | AS, false,
	       "eu_metrics.region = 'XX' is not listed → every shard of eu_metrics (europe, asia)");
	r = eq1(EU_METRICS, vtext("fr"), NULL);
	expect(&r, EU, false, "eu_metrics.region = 'fr' → shard europe");
	ref = ref_none(EU_METRICS);
	st = stmt(SQLK_SELECT, &ref, 1);
	r = route(&st);
	expect(&r, EU | AS, false,
	       "eu_metrics: no usable constraint on region → every shard of eu_metrics (europe, asia)");
	/* Unlisted UPDATE/DELETE targets behave like reads. */
	v = vtext("XX");
	ref = ref_written(ref_eq(EU_METRICS, &v, 1));
	st = stmt(SQLK_DELETE, &ref, 1);
	r = route(&st);
	expect(&r, EU | AS, false,
	       "eu_metrics.region = 'XX' is not listed → every shard of eu_metrics (europe, asia)");
	/* A long value (heap path) that is not listed. */
	char long_value[600];
	memset(long_value, 'q', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	r = eq1(REGIONAL, vtext(long_value), NULL);
	assert_int_equal(r.shards, AM);
	/* Numbers compare as their text. */
	r = eq1(REGIONAL, vint(7), NULL);
	expect(&r, AM, false, "regional_metrics.region = '7' → not listed → default shard americas");
}

/* ---- time tiers ---- */

static void test_time_equality(void **state)
{
	pset_t ps;
	uint8_t b8[8], b4[4];
	route_result_t r;

	r = eq1(METRICS, vts(T0 - DAY_US), NULL);
	expect(&r, AM, false, "metrics.created_at = 2026-11-19 00:00:00+00 → tier current → shard americas");
	r = eq1(METRICS, vts(T0 - 10 * DAY_US), NULL);
	expect(&r, EU, false, "metrics.created_at = 2026-11-10 00:00:00+00 → tier recent → shard europe");
	r = eq1(METRICS, vts(T0 - 40 * DAY_US), NULL);
	expect(&r, AS, false, "metrics.created_at = 2026-10-11 00:00:00+00 → tier archive → shard asia");
	r = eq1(METRICS, vnow(-3 * DAY_US), NULL);
	expect(&r, AM, false, "metrics.created_at = 2026-11-17 00:00:00+00 → tier current → shard americas");
	r = eq1(METRICS, vdate(-40), NULL);
	expect(&r, AS, false, "metrics.created_at = 2026-10-11 00:00:00+00 → tier archive → shard asia");
	r = eq1(METRICS, vtext("2026-11-10 12:00:00+02"), NULL);
	expect(&r, EU, false, "metrics.created_at = 2026-11-10 10:00:00+00 → tier recent → shard europe");
	r = eq1(METRICS, vcast(vtext("2026-11-19 22:00"), "date"), NULL);
	expect(&r, AM, false, "metrics.created_at = 2026-11-19 00:00:00+00 → tier current → shard americas");
	r = eq1(METRICS, vtext("2026-11-13T00:00:00Z"), NULL); /* exactly the watermark: inclusive */
	expect(&r, AM, false, "metrics.created_at = 2026-11-13 00:00:00+00 → tier current → shard americas");
	r = eq1(METRICS, vtext("2026-11-12 23:59:59.999999"), NULL);
	expect(&r, EU, false,
	       "metrics.created_at = 2026-11-12 23:59:59.999999+00 → tier recent → shard europe");
	/* Parameters: text, binary timestamptz (µs since 2000), binary date. */
	r = eq1(METRICS, vparam(1), ptext(&ps, "2026-11-10"));
	expect(&r, EU, false,
	       "metrics.created_at = 2026-11-10 00:00:00+00 ($1) → tier recent → shard europe");
	be(b8, (uint64_t)(T0 + 10 * HOUR_US - INT64_C(946684800000000)), 8);
	r = eq1(METRICS, vparam(1), param1(&ps, b8, 8, 1, 1184));
	expect(&r, AM, false,
	       "metrics.created_at = 2026-11-20 10:00:00+00 ($1) → tier current → shard americas");
	be(b4, 9810, 4); /* 2026-11-10 */
	r = eq1(METRICS, vparam(1), param1(&ps, b4, 4, 1, 1082));
	expect(&r, EU, false,
	       "metrics.created_at = 2026-11-10 00:00:00+00 ($1) → tier recent → shard europe");
	/* Unreadable values: every tier. */
	r = eq1(METRICS, vtext("yesterday"), NULL);
	expect(&r, ALL, false,
	       "metrics.created_at = (a value shardgate cannot read) → every shard of metrics (americas, "
	       "europe, "
	       "asia)");
	r = eq1(METRICS, vint(5), NULL);
	assert_int_equal(r.shards, ALL);
	r = eq1(METRICS, vtext("infinity"), NULL);
	expect(&r, AM, false, "metrics.created_at = infinity → tier current → shard americas");
	r = eq1(METRICS, vtext("-infinity"), NULL);
	expect(&r, AS, false, "metrics.created_at = -infinity → tier archive → shard asia");
	r = eq1(METRICS, vtext("epoch"), NULL);
	expect(&r, AS, false, "metrics.created_at = 1970-01-01 00:00:00+00 → tier archive → shard asia");
	/* timestamptz applies an offset; timestamp (without time zone) drops
	 * it, as PostgreSQL does: here that decides the tier. */
	r = eq1(METRICS, vtext("2026-11-13 01:00:00+05"), NULL);
	expect(&r, EU, false, "metrics.created_at = 2026-11-12 20:00:00+00 → tier recent → shard europe");
	r = eq1(METRICS, vcast(vtext("2026-11-13 01:00:00+05"), "timestamptz"), NULL);
	expect(&r, EU, false, "metrics.created_at = 2026-11-12 20:00:00+00 → tier recent → shard europe");
	r = eq1(METRICS, vcast(vtext("2026-11-13 01:00:00+05"), "timestamp"), NULL);
	expect(&r, AM, false, "metrics.created_at = 2026-11-13 01:00:00+00 → tier current → shard americas");
	r = eq1(METRICS, vcast(vtext("2026-11-13 01:00:00+05"), "date"), NULL);
	expect(&r, AM, false, "metrics.created_at = 2026-11-13 00:00:00+00 → tier current → shard americas");
}

/* Tiers follow the persisted watermarks, not the routing clock: a row
 * written 8 days before T0 is in "recent" however late we look for it. */
static void test_time_watermarks_not_clock(void **state)
{
	sql_value_t v = vts(T0 - 8 * DAY_US);
	sql_table_ref_t ref = ref_eq(METRICS, &v, 1);
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);
	route_result_t r = route_p(&st, NULL, T0 + 20 * DAY_US);

	expect(&r, EU, false, "metrics.created_at = 2026-11-12 00:00:00+00 → tier recent → shard europe");
	v = vts(T0 - DAY_US); /* 21 days old by the clock, still "current" */
	r = route_p(&st, NULL, T0 + 20 * DAY_US);
	expect(&r, AM, false, "metrics.created_at = 2026-11-19 00:00:00+00 → tier current → shard americas");
	/* now()-relative values use the routing clock. */
	v = vnow(-DAY_US);
	r = route_p(&st, NULL, T0 + 20 * DAY_US);
	expect(&r, AM, false, "metrics.created_at = 2026-12-09 00:00:00+00 → tier current → shard americas");
}

static void test_time_ranges(void **state)
{
	sql_value_t a = vnow(-7 * DAY_US), b = vts(T0 - 8 * DAY_US), c = vts(T0 - 40 * DAY_US),
	            d = vts(T0 - 10 * DAY_US), e = vts(T0 - 35 * DAY_US), bad = vtext("garbage"), f = vts(T0);
	sql_table_ref_t ref;
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);
	route_result_t r;

	/* created_at >= now() - interval '7 days' */
	ref = ref_range(METRICS, &a, true, NULL, false);
	r = route(&st);
	expect(&r, AM, false, "metrics.created_at >= 2026-11-13 00:00:00+00 → tier current → shard americas");
	ref = ref_range(METRICS, &a, false, NULL, false);
	r = route(&st);
	expect(&r, AM, false,
	       "metrics.created_at >= 2026-11-13 00:00:00.000001+00 → tier current → shard americas");
	ref = ref_range(METRICS, &b, true, NULL, false);
	r = route(&st);
	expect(&r, AM | EU, false,
	       "metrics.created_at >= 2026-11-12 00:00:00+00 → tiers current, recent → shards americas, "
	       "europe");
	/* BETWEEN */
	ref = ref_range(METRICS, &c, true, &d, true);
	r = route(&st);
	expect(&r, EU | AS, false,
	       "metrics.created_at >= 2026-10-11 00:00:00+00 and <= 2026-11-10 00:00:00+00 → tiers recent, "
	       "archive "
	       "→ shards europe, asia");
	/* < T0 - 35d */
	ref = ref_range(METRICS, NULL, false, &e, false);
	r = route(&st);
	expect(&r, AS, false,
	       "metrics.created_at <= 2026-10-15 23:59:59.999999+00 → tier archive → shard asia");
	/* An unreadable bound leaves that side open. */
	ref = ref_range(METRICS, &bad, true, NULL, false);
	r = route(&st);
	expect(&r, ALL, false,
	       "metrics.created_at range not readable → tiers current, recent, archive → shards americas, "
	       "europe, "
	       "asia");
	ref = ref_range(METRICS, &bad, true, &d, false);
	r = route(&st);
	expect(&r, EU | AS, false,
	       "metrics.created_at <= 2026-11-09 23:59:59.999999+00 → tiers recent, archive → shards europe, "
	       "asia");
	/* An empty range: one tier answers. */
	ref = ref_range(METRICS, &f, true, &d, true);
	r = route(&st);
	expect(&r, AM, false,
	       "metrics.created_at >= 2026-11-20 00:00:00+00 and <= 2026-11-20 00:00:00+00 → tier current → "
	       "shard "
	       "americas");
	/* No constraint at all: every tier. */
	ref = ref_none(METRICS);
	r = route(&st);
	expect(&r, ALL, false,
	       "metrics: no usable constraint on created_at → every shard of metrics (americas, europe, "
	       "asia)");
}

/* ---- replicated, unsharded, DDL ---- */

static void test_replicated(void **state)
{
	sql_value_t k = vint(42);
	sql_table_ref_t refs[2] = {ref_none(COUNTRIES), ref_eq(ORDERS, &k, 1)};
	sql_stmt_t st = stmt(SQLK_SELECT, refs, 1);
	route_result_t r = route(&st);

	expect(&r, AM, false, "countries (replicated, read) → default shard americas");
	/* Joined with a sharded table: read wherever that runs. */
	st.nrefs = 2;
	r = route(&st);
	expect(&r, EU, false,
	       "orders.user_id = 42 → slot 610 → shard europe; countries (replicated, read) → read where the "
	       "statement runs");
	/* Writes reach every shard. */
	static const sql_kind_t writes[] = {SQLK_INSERT, SQLK_UPDATE, SQLK_DELETE, SQLK_COPY_FROM};
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		refs[0] = ref_written(ref_none(COUNTRIES));
		st = stmt(writes[i], refs, 1);
		r = route(&st);
		expect(&r, ALL, true, "countries (replicated, write) → every shard (americas, europe, asia)");
	}
}

static void test_unsharded_and_ddl(void **state)
{
	sql_value_t k = vint(1);
	sql_table_ref_t ref = ref_eq(ORDERS, &k, 1);
	sql_stmt_t st = stmt(SQLK_SELECT, NULL, 0);
	route_result_t r = route(&st);

	expect(&r, AM, false, "no sharded table → default shard americas");
	st.kind = SQLK_BEGIN;
	r = route(&st);
	expect(&r, AM, false, "no sharded table → default shard americas");
	st.kind = SQLK_SELECT;
	st.touches_unsharded = true;
	r = route(&st);
	expect(&r, AM, false, "tables not in the sharding spec → default shard americas");
	/* A plain table lives on the default shard: joined with a sharded
	 * row elsewhere, both shards are needed. */
	st.refs = &ref;
	st.nrefs = 1;
	r = route(&st);
	expect(&r, AS | AM, false,
	       "orders.user_id = 1 → slot 952 → shard asia; tables not in the sharding spec → default shard "
	       "americas");
	/* A reference outside the spec array. */
	ref.table = 99;
	st.touches_unsharded = false;
	r = route(&st);
	expect(&r, AM, false, "table #99 (not in the sharding spec) → default shard americas");
	/* DDL: every shard, whatever it names. */
	ref.table = ORDERS;
	st.kind = SQLK_DDL;
	r = route(&st);
	expect(&r, ALL, true, "DDL → every shard (americas, europe, asia)");
}

/* ---- INSERT ---- */

static void test_insert_rows(void **state)
{
	sql_insert_row_t rows[3] = {{.key = vint(42), .key_known = true},
	                            {.key = vint(1), .key_known = true},
	                            {.key = vint(7), .key_known = true}};
	sql_table_ref_t ref = ref_written(ref_none(ORDERS));
	sql_stmt_t st = stmt(SQLK_INSERT, &ref, 1);
	route_result_t r;

	st.rows = rows;
	st.nrows = 1;
	r = route(&st);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
	st.nrows = 3;
	r = route(&st);
	expect(&r, ALL, false,
	       "orders.user_id = 42 → slot 610 → shard europe; orders.user_id = 1 → slot 952 → shard asia; "
	       "orders.user_id = 7 → slot 279 → shard americas");
	assert_int_equal(route_insert_row_shard(g_map, &st, 0, NULL, T0), 1);
	assert_int_equal(route_insert_row_shard(g_map, &st, 1, NULL, T0), 2);
	assert_int_equal(route_insert_row_shard(g_map, &st, 2, NULL, T0), 0);
	assert_int_equal(route_insert_row_shard(g_map, &st, 3, NULL, T0), -1);
	/* A row whose key is an expression: every shard, and no row shard. */
	rows[1].key_known = false;
	r = route(&st);
	expect(&r, ALL, false,
	       "orders.user_id = 42 → slot 610 → shard europe; orders: row 2's user_id is an expression "
	       "shardgate "
	       "cannot evaluate → every shard of orders (americas, europe, asia); orders.user_id = 7 → slot "
	       "279 → "
	       "shard americas");
	assert_int_equal(route_insert_row_shard(g_map, &st, 1, NULL, T0), -1);
	/* Parameters in rows. */
	pset_t ps;
	rows[0].key = vparam(1);
	st.nrows = 1;
	r = route_p(&st, ptext(&ps, "1"), T0);
	expect(&r, AS, false, "orders.user_id = 1 ($1) → slot 952 → shard asia");
	assert_int_equal(route_insert_row_shard(g_map, &st, 0, &ps.p, T0), 2);
	/* INSERT ... SELECT: rows unknown. */
	st.insert_select = true;
	r = route(&st);
	expect(&r, ALL, false,
	       "orders: INSERT without a VALUES list, rows not known → every shard of orders (americas, "
	       "europe, "
	       "asia)");
}

/* INSERT without a column list: the table's column order is needed first,
 * unless the analysis read the key at its known place. */
static void test_insert_no_column_list(void **state)
{
	sql_insert_row_t row = {.key = vint(42), .key_known = true};
	sql_table_ref_t ref = ref_written(ref_none(ORDERS));
	sql_stmt_t st = stmt(SQLK_INSERT, &ref, 1);
	route_result_t r;

	st.rows = &row;
	st.nrows = 1;
	st.no_column_list = true;
	r = route(&st);
	assert_int_equal(r.need_layout, ORDERS);
	st.key_col_used = true;
	r = route(&st);
	assert_int_equal(r.need_layout, -1);
	expect(&r, EU, false, "orders.user_id = 42 → slot 610 → shard europe");
}

/* INSERT ... SELECT whose select list gives the key a constant, or copies
 * it from a colocated table the constraints place on one shard. */
static void test_insert_select_key(void **state)
{
	sql_value_t v42 = vint(42), v7 = vint(7);
	sql_table_ref_t refs[2] = {ref_written(ref_none(ORDERS)), ref_eq(ORDERS, &v42, 1)};
	sql_stmt_t st = stmt(SQLK_INSERT, refs, 2);
	route_result_t r;

	st.insert_select = true;
	st.select_key_ref = -1;
	st.select_key_known = true;
	st.select_key = vint(42);
	r = route(&st);
	expect(&r, EU, false,
	       "orders.user_id = 42 → slot 610 → shard europe; orders.user_id = 42 → slot 610 → shard "
	       "europe");
	/* a constant on another shard than the rows read: two shards */
	st.select_key = vint(7);
	r = route(&st);
	assert_int_equal(r.shards, AM | EU);
	/* copied from the source's key */
	st.select_key_known = false;
	st.select_key_ref = 1;
	r = route(&st);
	assert_int_equal(r.shards, EU);
	refs[1] = ref_eq(ORDERS, &v7, 1);
	r = route(&st);
	assert_int_equal(r.shards, AM);
	/* the reference must be a source, not the written target */
	st.select_key_ref = 0;
	r = route(&st);
	assert_int_equal(r.shards, ALL);
}

static void test_insert_region_and_time(void **state)
{
	sql_insert_row_t row = {.key = vtext("XX"), .key_known = true};
	sql_table_ref_t ref = ref_written(ref_none(EU_METRICS));
	sql_stmt_t st = stmt(SQLK_INSERT, &ref, 1);
	route_result_t r;

	st.rows = &row;
	st.nrows = 1;
	r = route(&st);
	expect_error(&r, "22023", "value 'XX' of eu_metrics.region is not listed for any shard");
	row.key = vnull();
	r = route(&st);
	expect_error(&r, "22023", "value NULL of eu_metrics.region is not listed for any shard");
	assert_int_equal(route_insert_row_shard(g_map, &st, 0, NULL, T0), -1);
	/* With a table default_shard the row goes there. */
	ref.table = REGIONAL;
	row.key = vtext("xx");
	r = route(&st);
	expect(&r, AM, false, "regional_metrics.region = 'xx' → not listed → default shard americas");
	row.key = vtext("uk");
	r = route(&st);
	expect(&r, EU, false, "regional_metrics.region = 'uk' → shard europe");
	assert_int_equal(route_insert_row_shard(g_map, &st, 0, NULL, T0), 1);
	/* Time: the tier holding the value; no value → now() → tier 0. */
	ref.table = METRICS;
	row.key = vts(T0 - 40 * DAY_US);
	r = route(&st);
	expect(&r, AS, false, "metrics.created_at = 2026-10-11 00:00:00+00 → tier archive → shard asia");
	row.key = vnull();
	r = route(&st);
	expect(&r, AM, false,
	       "metrics.created_at = NULL → no value (now() default assumed) → tier current → shard "
	       "americas");
	/* Replicated and unsharded targets are not split by row. */
	ref.table = COUNTRIES;
	assert_int_equal(route_insert_row_shard(g_map, &st, 0, NULL, T0), -1);
	ref.table = 99;
	assert_int_equal(route_insert_row_shard(g_map, &st, 0, NULL, T0), -1);
}

/* ---- UPDATE of the sharding column ---- */

static void test_update_key(void **state)
{
	sql_value_t k = vint(42);
	sql_table_ref_t ref = ref_written(ref_eq(ORDERS, &k, 1));
	sql_stmt_t st = stmt(SQLK_UPDATE, &ref, 1);
	route_result_t r;

	st.sets_key = true;
	st.new_key_known = true;
	st.new_key = vint(1);
	r = route(&st);
	expect_error(
	        &r, "0A000",
	        "UPDATE would move the row from shard europe to shard asia: changing orders.user_id across "
	        "shards is not supported");
	/* Same shard: allowed. */
	st.new_key = vint(100);
	r = route(&st);
	expect(&r, EU, false,
	       "orders.user_id = 42 → slot 610 → shard europe; SET orders.user_id = 100 → slot 601 → shard "
	       "europe "
	       "(rows stay on their shard)");
	/* An expression. */
	st.new_key_known = false;
	r = route(&st);
	expect_error(
	        &r, "0A000",
	        "UPDATE sets orders.user_id to a value shardgate cannot evaluate: changing orders.user_id "
	        "across shards is not supported");
	st.new_key_known = true;
	st.new_key = vtext("abc");
	r = route(&st);
	assert_string_equal(r.sqlstate, "0A000");
	/* Rows on unknown shards: they could move. */
	ref = ref_written(ref_none(ORDERS));
	st.new_key = vint(42);
	r = route(&st);
	expect_error(
	        &r, "0A000",
	        "UPDATE could move rows from shards americas, asia to shard europe: changing orders.user_id "
	        "across shards is not supported");
	/* Without sets_key nothing is checked. */
	st.sets_key = false;
	r = route(&st);
	assert_int_equal(r.shards, ALL);
	assert_string_equal(r.sqlstate, "");

	/* Region: the new value must be listed. */
	sql_value_t rv = vtext("DE");
	ref = ref_written(ref_eq(EU_METRICS, &rv, 1));
	st.sets_key = true;
	st.new_key = vtext("XX");
	r = route(&st);
	expect_error(&r, "22023", "value 'XX' of eu_metrics.region is not listed for any shard");
	st.new_key = vtext("jp");
	r = route(&st);
	expect_error(&r, "0A000",
	             "UPDATE would move the row from shard europe to shard asia: changing eu_metrics.region "
	             "across "
	             "shards is not supported");
	/* INSERT ... ON CONFLICT DO UPDATE SET user_id = ...: the row that
	 * conflicts lives on the inserted row's shard. */
	sql_insert_row_t row = {.key = vint(42), .key_known = true};
	ref = ref_written(ref_none(ORDERS));
	st = stmt(SQLK_INSERT, &ref, 1);
	st.rows = &row;
	st.nrows = 1;
	st.sets_key = true;
	st.new_key_known = true;
	st.new_key = vint(1);
	r = route(&st);
	expect_error(
	        &r, "0A000",
	        "UPDATE would move the row from shard europe to shard asia: changing orders.user_id across "
	        "shards is not supported");
	st.new_key = vint(100);
	r = route(&st);
	expect(&r, EU, false,
	       "orders.user_id = 42 → slot 610 → shard europe; SET orders.user_id = 100 → slot 601 → shard "
	       "europe "
	       "(rows stay on their shard)");
	st = stmt(SQLK_UPDATE, &ref, 1);
	st.sets_key = true;
	st.new_key_known = true;
	/* Time: SET created_at = now() on a 10-day-old row moves it to "current". */
	sql_value_t tv = vts(T0 - 10 * DAY_US);
	ref = ref_written(ref_eq(METRICS, &tv, 1));
	st.new_key = vnow(0);
	r = route(&st);
	expect_error(
	        &r, "0A000",
	        "UPDATE would move the row from shard europe to shard americas: changing metrics.created_at "
	        "across shards is not supported");
}

/* ---- COPY ---- */

static void test_copy(void **state)
{
	sql_table_ref_t ref = ref_written(ref_none(ORDERS));
	sql_stmt_t st = stmt(SQLK_COPY_FROM, &ref, 1);
	route_result_t r = route(&st);

	expect(&r, ALL, false,
	       "orders: COPY FROM rows are split by key → every shard of orders (americas, europe, asia)");
	assert_int_equal(route_copy_row_shard(g_map, ORDERS, "42", 2), 1);
	assert_int_equal(route_copy_row_shard(g_map, ORDERS, " 42 x", 3), 1); /* only len bytes */
	assert_int_equal(route_copy_row_shard(g_map, ORDERS, "1", 1), 2);
	assert_int_equal(route_copy_row_shard(g_map, ORDERS, NULL, 0), 0);
	assert_int_equal(route_copy_row_shard(g_map, ORDERS, "abc", 3), SG_EPROTO);
	assert_int_equal(route_copy_row_shard(g_map, ORDERS, "", 0), SG_EPROTO);
	assert_int_equal(route_copy_row_shard(g_map, USERS, "a", 1), 2);
	assert_int_equal(route_copy_row_shard(g_map, SESSIONS, "{00000000-0000-0000-0000-000000000000}", 38),
	                 2);
	assert_int_equal(route_copy_row_shard(g_map, REGIONAL, "de", 2), 1);
	assert_int_equal(route_copy_row_shard(g_map, REGIONAL, "XX", 2), 0);
	assert_int_equal(route_copy_row_shard(g_map, EU_METRICS, "XX", 2), SG_ENOENT);
	assert_int_equal(route_copy_row_shard(g_map, EU_METRICS, "JP", 2), 2);
	assert_int_equal(route_copy_row_shard(g_map, METRICS, "2026-11-19 00:00:00", 19), 0);
	assert_int_equal(route_copy_row_shard(g_map, METRICS, "2026-10-01", 10), 2);
	assert_int_equal(route_copy_row_shard(g_map, METRICS, "bad", 3), SG_EPROTO);
	assert_int_equal(route_copy_row_shard(g_map, COUNTRIES, "x", 1), SG_ENOTSUP);
	assert_int_equal(route_copy_row_shard(g_map, 99, "x", 1), SG_ENOTSUP);
	assert_int_equal(route_copy_row_shard(g_map, -1, "x", 1), SG_ENOTSUP);
}

/* ---- hints ---- */

static void test_hint_key(void **state)
{
	char reason[256], yaml[512], err[256];
	config_t *c;
	config_error_t cerr;
	sg_shardmap_t *m;

	assert_int_equal(route_hint_key(g_map, "42", reason, sizeof(reason)), 1);
	assert_string_equal(reason,
	                    "sharding_key '42' hashed as orders.user_id (integer) → slot 610 → shard europe");
	assert_int_equal(route_hint_key(g_map, "7", reason, sizeof(reason)), 0);
	assert_int_equal(route_hint_key(g_map, "abc", reason, sizeof(reason)), -1);
	assert_string_equal(reason, "sharding_key 'abc' is not a valid integer key for orders.user_id");

	snprintf(yaml, sizeof(yaml),
	         "auth: { method: trust }\nshards: [ { name: a, database: d, hosts: [ { host: h, port: 1 } ] "
	         "} ]\n"
	         "state_dir: %s\ntables: { countries: { shard_by: replicated } }\n",
	         g_dir);
	assert_int_equal(config_load_string(yaml, strlen(yaml), "h.yaml", &c, &cerr), 0);
	assert_int_equal(shardmap_build(c, T0, &m, err, sizeof(err)), 0);
	assert_int_equal(route_hint_key(m, "42", reason, sizeof(reason)), -1);
	assert_string_equal(reason, "sharding_key needs a table with shard_by hash, and there is none");
	shardmap_unref(m);
	config_unref(c);
}

/* True if s is well-formed UTF-8 (no sequence cut short). */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80             ? 0
		        : (*p & 0xe0) == 0xc0 ? 1
		        : (*p & 0xf0) == 0xe0 ? 2
		        : (*p & 0xf8) == 0xf0 ? 3
		                              : -1;

		if (n < 0)
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* A long IN list: every key still counts, the reason is cut at its size
 * (on a character boundary: the arrows are three bytes). */
static void test_reason_truncated(void **state)
{
	sql_value_t vals[200];
	sql_table_ref_t ref = ref_eq(ORDERS, vals, 200);
	sql_stmt_t st = stmt(SQLK_SELECT, &ref, 1);
	route_result_t r;
	size_t len;

	for (int i = 0; i < 200; i++)
		vals[i] = vint(i);
	r = route(&st);
	assert_int_equal(r.shards, ALL);
	len = strlen(r.reason);
	assert_true(len >= sizeof(r.reason) - 4 - 2 && len <= sizeof(r.reason) - 1);
	assert_string_equal(r.reason + len - 3, "...");
	assert_true(utf8_ok(r.reason));
	assert_memory_equal(r.reason, "orders.user_id = 0 → slot 432 → shard europe; ", 48);
	/* Long UTF-8 values are shortened on a character boundary too. */
	r = eq1(USERS, vtext("ääääääääääääääääääääääääääääääääääääääääääääääääääää"), NULL);
	assert_true(utf8_ok(r.reason));
	assert_non_null(strstr(r.reason, "users.email = 'ääääääääääääääääääääääääääääääää...' → slot "));
}

/* ---- timestamp text ---- */

static void test_ts_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} good[] = {
	        {"2026-11-20", T0},
	        {"2026-11-20 10:00:00", T0 + 10 * HOUR_US},
	        {"2026-11-20T10:00:00Z", T0 + 10 * HOUR_US},
	        {"2026-11-20t10:00:00z", T0 + 10 * HOUR_US},
	        {"2026-11-20 12:00:00+02", T0 + 10 * HOUR_US},
	        {"2026-11-20 12:30:00+02:30", T0 + 10 * HOUR_US},
	        {"2026-11-20 07:00:00-0300", T0 + 10 * HOUR_US},
	        {"2026-11-20 10:00:00 UTC", T0 + 10 * HOUR_US},
	        {"2026-11-20 10:00:00 +00:00", T0 + 10 * HOUR_US},
	        {"  2026-11-20 10:00  ", T0 + 10 * HOUR_US},
	        {"2026-11-20 10:00:00.5", T0 + 10 * HOUR_US + 500000},
	        {"2026-11-20 10:00:00.1234565", T0 + 10 * HOUR_US + 123457},
	        {"2026-11-20 10:00:00.1234564", T0 + 10 * HOUR_US + 123456},
	        {"2026-11-20 23:59:59.9999995", T0 + DAY_US},
	        {"2026-11-20 24:00:00", T0 + DAY_US},
	        {"2026-11-20 +02", T0 - 2 * HOUR_US},
	        {"2000-01-01", INT64_C(946684800000000)},
	        {"1969-12-31 23:59:59", -SEC_US},
	        {"1970-01-01", 0},
	        {"2024-02-29", INT64_C(1709164800000000)},
	        {" Epoch ", 0},
	        {"infinity", INT64_MAX},
	        {"-INFINITY", INT64_MIN},
	};
	static const char *const bad[] = {
	        "",
	        "now",
	        "2023-02-29",
	        "2026-13-01",
	        "2026-00-10",
	        "2026-11-31",
	        "2026-11-20 10:60",
	        "2026-11-20 25:00",
	        "2026-11-20 24:00:01",
	        "20261120",
	        "2026-11-20 10",
	        "2026-11-20X",
	        "2026-11-20 10:00:00+16",
	        "2026-11-20 10:00:00.",
	        "26-11-20",
	        "2026-1-20",
	        "0000-01-01",
	        "2026-11-20T",
	        "2026-11-20 10:00:00 PST",
	};
	int64_t us;
	char buf[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		us = 12345;
		if (rv_ts_parse(good[i].in, strlen(good[i].in), &us) != 0)
			fail_msg("rejected '%s'", good[i].in);
		if (us != good[i].want)
			fail_msg("'%s': got %lld, want %lld", good[i].in, (long long)us,
			         (long long)good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rv_ts_parse(bad[i], strlen(bad[i]), &us) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	/* Only len bytes are read. */
	assert_int_equal(rv_ts_parse("2026-11-20 10:00:00", 10, &us), 0);
	assert_int_equal(us, T0);
	rv_ts_format(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-20 00:00:00+00");
	rv_ts_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31 23:59:59.999999+00");
	rv_ts_format(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "-infinity");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_literals),
	        cmocka_unit_test(test_hash_unreadable_values),
	        cmocka_unit_test(test_hash_params),
	        cmocka_unit_test(test_hash_text_and_uuid),
	        cmocka_unit_test(test_any_array_param),
	        cmocka_unit_test(test_hash_unconstrained),
	        cmocka_unit_test(test_region),
	        cmocka_unit_test(test_time_equality),
	        cmocka_unit_test(test_time_watermarks_not_clock),
	        cmocka_unit_test(test_time_ranges),
	        cmocka_unit_test(test_replicated),
	        cmocka_unit_test(test_unsharded_and_ddl),
	        cmocka_unit_test(test_insert_rows),
	        cmocka_unit_test(test_insert_select_key),
	        cmocka_unit_test(test_insert_no_column_list),
	        cmocka_unit_test(test_insert_region_and_time),
	        cmocka_unit_test(test_update_key),
	        cmocka_unit_test(test_copy),
	        cmocka_unit_test(test_hint_key),
	        cmocka_unit_test(test_reason_truncated),
	        cmocka_unit_test(test_ts_parse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
