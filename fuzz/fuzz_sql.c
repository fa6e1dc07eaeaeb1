/* fuzz_sql.c — libFuzzer target for the routing-key extractor (see fuzz/README.md).
 *
 * The input (its first 64 KiB, up to any NUL) is one simple Query's text.
 * It goes through every step the proxy takes with such a text: the shape
 * pass (sql/shape.c), the analyzer (sql/analyze*.c, libpg_query), the
 * per-statement routing decision (router/route.c) and the router's own
 * entry points, plan cache included (router/router.c), plus the multi-row
 * INSERT split. Besides crashes, leaks and out-of-bounds reads, it traps
 * on results that break the documented contracts: offsets outside the
 * text, shards outside the map, split outputs that do not match the
 * shard bitmap.
 *
 * The shard map and router are built once per process from a fixed
 * config (the tables of docs/shardgate.example.yaml, three shards nobody
 * connects to); their persisted state lives in a mkdtemp directory that
 * is removed at exit. The router's plan cache is keyed by the normalised
 * text and the plan is a function of that text alone, so what an earlier
 * input cached is what this input would have computed: a crash replays
 * the same from a fresh process. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "config.h"
#include "errors.h"
#include "route.h"
#include "router.h"
#include "shape.h"
#include "shardmap.h"

#define FUZZ_SQL_MAXLEN (64u * 1024u)
#define FUZZ_NSHARDS    3
#define FUZZ_SHARD_MASK ((UINT64_C(1) << FUZZ_NSHARDS) - 1)
#define FUZZ_NSPEC      (sizeof(fuzz_spec) / sizeof(fuzz_spec[0]))
/* 2026-11-20 00:00:00 UTC: the routing clock, also the map's build time
 * (tier watermarks at now - 7d and now - 30d). */
#define FUZZ_NOW_US INT64_C(1795132800000000)

#define FUZZ_CONFIG                                                                                          \
	"auth: { method: trust }\n"                                                                          \
	"shards:\n"                                                                                          \
	"  - { name: americas, database: d, hosts: [ { host: 127.0.0.1, port: 1 } ] }\n"                     \
	"  - { name: europe, database: d, hosts: [ { host: 127.0.0.1, port: 2 } ] }\n"                       \
	"  - { name: asia, database: d, hosts: [ { host: 127.0.0.1, port: 3 } ] }\n"                         \
	"default_shard: americas\n"                                                                          \
	"state_dir: %s\n"                                                                                    \
	"tables:\n"                                                                                          \
	"  orders: { shard_by: hash, column: user_id, type: integer }\n"                                     \
	"  regional_metrics: { shard_by: region, column: region, default_shard: americas,\n"                 \
	"      regions: { americas: [US, CA, MX, BR], europe: [UK, DE, FR, ES], asia: [JP, SG, AU, IN] } "   \
	"}\n"                                                                                                \
	"  metrics: { shard_by: time, column: created_at,\n"                                                 \
	"      tiers: [ { name: current, max_age: 7d, shard: americas },\n"                                  \
	"               { name: recent, max_age: 30d, shard: europe },\n"                                    \
	"               { name: archive, shard: asia } ] }\n"                                                \
	"  countries: { shard_by: replicated }\n"

/* Same tables, same order as the config: a ref's `table` indexes both. */
static const sql_table_spec_t fuzz_spec[] = {
        {"orders", "user_id"},
        {"regional_metrics", "region"},
        {"metrics", "created_at"},
        {"countries", NULL},
};

/* Owned by this file for the whole process; released by fuzz_sql_cleanup. */
static char fuzz_dir[64];
static sg_shardmap_t *fuzz_map;
static sg_router_t *fuzz_router;

static void fuzz_sql_cleanup(void)
{
	char path[sizeof(fuzz_dir) + 260];
	struct dirent *e;
	DIR *d;

	router_unref(fuzz_router);
	shardmap_unref(fuzz_map);
	fuzz_router = NULL;
	fuzz_map = NULL;
	if (fuzz_dir[0] == '\0' || (d = opendir(fuzz_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char yaml[2048], err[256];
	config_error_t cerr;
	config_t *c = NULL;

	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/sg-fuzz-sql-XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("fuzz_sql: mkdtemp");
		exit(1);
	}
	atexit(fuzz_sql_cleanup);
	snprintf(yaml, sizeof(yaml), FUZZ_CONFIG, fuzz_dir);
	if (config_load_string(yaml, strlen(yaml), "fuzz_sql.yaml", &c, &cerr) != 0) {
		fprintf(stderr, "fuzz_sql: config %d:%d: %s\n", cerr.line, cerr.column, cerr.msg);
		exit(1);
	}
	if (shardmap_build(c, FUZZ_NOW_US, &fuzz_map, err, sizeof(err)) != 0 ||
	    router_new(c, FUZZ_NOW_US, &fuzz_router, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_sql: %s\n", err);
		exit(1);
	}
	/* The map and the router each hold their own reference. */
	config_unref(c);
	return 0;
}

/* [start, start + len) must lie inside the text. */
static void fuzz_span(long start, long len, size_t n)
{
	if (start < 0 || len < 0 || (size_t)start > n || (size_t)len > n - (size_t)start)
		__builtin_trap();
}

static void fuzz_shape(const char *sql, size_t n)
{
	sql_shape_t s;

	if (sql_shape_of(sql, &s) != 0)
		return;
	if (s.norm == NULL || strlen(s.norm) != s.norm_len || s.base < 0)
		__builtin_trap();
	for (size_t i = 0; i < s.nlits; i++) {
		const sql_lit_t *l = &s.lits[i];

		fuzz_span(l->start, l->len, n);
		if (l->len == 0 || l->value == NULL || l->param <= s.base)
			__builtin_trap();
	}
	sql_shape_free(&s);
}

static void fuzz_route(const sql_stmt_t *st)
{
	route_result_t rr;

	if (route_statement(fuzz_map, st, NULL, FUZZ_NOW_US, &rr) != 0)
		return;
	if ((rr.shards & ~FUZZ_SHARD_MASK) != 0 || memchr(rr.sqlstate, '\0', sizeof(rr.sqlstate)) == NULL ||
	    memchr(rr.error, '\0', sizeof(rr.error)) == NULL ||
	    memchr(rr.reason, '\0', sizeof(rr.reason)) == NULL)
		__builtin_trap();
}

static void fuzz_analyze(const char *sql, size_t n)
{
	sql_analysis_t a;
	size_t i, j;

	if (sql_analyze(sql, fuzz_spec, FUZZ_NSPEC, &a) != 0) {
		/* On failure there are no statements (the hints may be set). */
		if (a.nstmts != 0 || memchr(a.error, '\0', sizeof(a.error)) == NULL)
			__builtin_trap();
		sql_analysis_free(&a);
		return;
	}
	for (i = 0; i < a.nstmts; i++) {
		const sql_stmt_t *st = &a.stmts[i];

		fuzz_span(st->start, st->len, n);
		for (j = 0; j < st->nrefs; j++) {
			if (st->refs[j].table < 0 || (size_t)st->refs[j].table >= FUZZ_NSPEC)
				__builtin_trap();
		}
		for (j = 0; j < st->nrows; j++) {
			const sql_insert_row_t *row = &st->rows[j];

			if (row->start >= 0 && row->end >= 0)
				fuzz_span(row->start, (long)row->end - row->start, n);
		}
		fuzz_route(st);
	}
	sql_analysis_free(&a);
}

static void fuzz_router_query(const char *sql)
{
	router_decision_t d;

	/* Twice: the second call finds the plan the first one cached. */
	for (int k = 0; k < 2; k++) {
		if (router_route_query(fuzz_router, sql, FUZZ_NOW_US, k == 0, &d) != 0)
			return;
		if (d.shard < -1 || d.shard >= FUZZ_NSHARDS || (d.shards & ~FUZZ_SHARD_MASK) != 0 ||
		    (d.shard >= 0 && d.shards != UINT64_C(1) << d.shard) ||
		    memchr(d.set_shard, '\0', sizeof(d.set_shard)) == NULL ||
		    memchr(d.sqlstate, '\0', sizeof(d.sqlstate)) == NULL ||
		    memchr(d.error, '\0', sizeof(d.error)) == NULL ||
		    memchr(d.reason, '\0', sizeof(d.reason)) == NULL)
			__builtin_trap();
	}
}

static void fuzz_split(const char *sql)
{
	/* router_split_insert frees every slot on failure: they start NULL. */
	char *out[ROUTE_MAX_SHARDS] = {NULL};
	uint64_t shards = 0;
	int rc = router_split_insert(fuzz_router, sql, FUZZ_NOW_US, out, &shards);

	if (rc == 0 && (shards & ~FUZZ_SHARD_MASK) != 0)
		__builtin_trap();
	for (int i = 0; i < ROUTE_MAX_SHARDS; i++) {
		bool set = (shards >> i) & 1;

		if (set != (out[i] != NULL))
			__builtin_trap();
		free(out[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < FUZZ_SQL_MAXLEN ? size : FUZZ_SQL_MAXLEN;
	char *sql;

	/* Cut at the first NUL, in a block of exactly that size: ASan then
	 * catches any read past the terminator. */
	n = strnlen((const char *)data, n);
	sql = malloc(n + 1);
	if (sql == NULL)
		return 0;
	memcpy(sql, data, n);
	sql[n] = '\0';
	fuzz_shape(sql, n);
	fuzz_analyze(sql, n);
	fuzz_router_query(sql);
	fuzz_split(sql);
	free(sql);
	return 0;
}
