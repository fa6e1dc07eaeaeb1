/* router.h — routing as the proxy uses it: the shard map, the table spec
 * given to the analyzer, and the plan cache, bundled per configuration.
 *
 * A simple Query goes through the shape pass (sql/shape.h): queries that
 * differ only in literals share one analysed plan, so libpg_query runs
 * once per shape, not once per query. Prepared statements are analysed
 * once at Parse (router_plan_text) and routed at each Bind.
 *
 * An sg_router_t is built for one config and swapped on reload; clients
 * in flight keep a reference to the one they started with. */
#ifndef SG_ROUTER_H
#define SG_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze.h"
#include "config.h"
#include "errors.h"
#include "route.h"
#include "shape.h"
#include "shardmap.h"

#define ROUTER_PLAN_CACHE_SIZE 4096

/* An analysed statement text. `parse_failed`: libpg_query rejected it;
 * it goes to the default shard and PostgreSQL reports the error. */
typedef struct sg_plan {
	sql_analysis_t a;
	bool parse_failed;
	bool too_complex; /* nested too deeply to analyse safely: refused (54001) */
	const char *pin;  /* sql_pin_reason of the text (static string), cached with the plan */
} sg_plan_t;

/* What a shard's catalog said about a sharded table's column order. */
typedef struct router_layout {
	int64_t learnt_us; /* when key_col was read; read again after ROUTER_LAYOUT_TTL_US */
	int64_t retry_us;  /* a failed lookup is not repeated before this */
	char error[192];   /* why the last lookup failed ("" none) */
} router_layout_t;

#define ROUTER_LAYOUT_RETRY_US (5 * INT64_C(1000000))
/* Schema changes made through shardgate renew column orders at once; one
 * made directly on the shards is seen within this long. */
#define ROUTER_LAYOUT_TTL_US (60 * INT64_C(1000000))

typedef struct sg_router {
	int refs;
	config_t *cfg; /* one reference */
	sg_shardmap_t *map;
	sql_table_spec_t *spec;   /* cfg->ntables entries, same order */
	router_layout_t *layouts; /* cfg->ntables entries */
	size_t nspec;
	sql_plan_cache_t *plans;
	uint64_t analyzed;    /* libpg_query runs */
	uint64_t uncacheable; /* shapes that had to be analysed as written */
} sg_router_t;

/* What the proxy needs to know about one message's statement(s). */
typedef struct router_decision {
	sql_kind_t kind; /* of the first statement */
	size_t nstmts;
	uint64_t shards; /* every shard the statement(s) need */
	int shard;       /* the single shard, or -1 when it needs several or none */
	bool write_all;
	bool anywhere;   /* no table at all (SELECT 1, SET, BEGIN): any shard can answer */
	bool hinted;     /* a comment hint decided */
	const char *pin; /* the statement pins its session (sql_pin_reason), or NULL */
	/* For a statement on several shards: NULL when its results can simply
	 * be concatenated (one plain SELECT, or one UPDATE/DELETE), else the
	 * construct that needs a real merge ("ORDER BY", "aggregate", ...). */
	const char *unmergeable;
	/* non-NULL: this SELECT needs several shards and would return some
	 * rows once per shard (reason: sql_stmt_t.dup_reason of the first
	 * statement, a static string). NULL for a single-shard answer. */
	const char *fanout_refusal;
	/* >= 0: the config table whose column order must be read from a
	 * shard before this INSERT (no column list) can be routed */
	int need_layout;
	char set_shard[64]; /* SQLK_SET_SHARD: the name ("" for RESET) */
	char sqlstate[6];   /* non-empty: answer with this error */
	char error[256];
	char reason[512];
} router_decision_t;

int router_new(config_t *cfg, int64_t now_us, sg_router_t **out, char *err, size_t errlen);
sg_router_t *router_ref(sg_router_t *r);
void router_unref(sg_router_t *r);

/* Index into cfg->shards of the default shard. */
int router_default_shard(const config_t *cfg);
/* Routes a simple Query's text. 0 or SG_ENOMEM. */
/* explain: fill `reason` even for a single-shard answer (ROUTE, debug
 * logs); without it the hot path skips the text. */
int router_route_query(sg_router_t *r, const char *sql, int64_t now_us, bool explain, router_decision_t *d);
/* Analyses a statement text (a Parse). NULL on ENOMEM; free with router_plan_free. */
sg_plan_t *router_plan_text(sg_router_t *r, const char *sql);
/* Routes a Parse'd text with its Bind parameters, through the plan cache
 * (the text's own literals become extra parameters). */
int router_route_bound(sg_router_t *r, const char *sql, const route_params_t *params, int64_t now_us,
                       bool explain, router_decision_t *d);
void router_plan_free(void *plan);
/* Routes an analysed plan with its Bind parameters (params may be NULL). */
int router_route_plan(sg_router_t *r, const sg_plan_t *p, const route_params_t *params, int64_t now_us,
                      router_decision_t *d);
/* A multi-row INSERT ... VALUES whose rows belong to several shards,
 * rewritten as one INSERT per shard (the same text around each shard's
 * rows). out[i] is malloc'd for each shard i in *shards (caller frees
 * them). SG_ENOTSUP when the statement cannot be split (not a single
 * INSERT ... VALUES, a row without a usable key). */
int router_split_insert(sg_router_t *r, const char *sql, int64_t now_us, char **out, uint64_t *shards) SG_WUR;
/* A shard's catalog answered for config table `table`: key_col > 0 is the
 * sharding column's 1-based position among the table's columns; 0 with
 * `error` a failed lookup (retried after ROUTER_LAYOUT_RETRY_US). Cached
 * plans are dropped so statements are analysed with it. */
void router_layout_learnt(sg_router_t *r, int table, int key_col, const char *error, int64_t now_us);
/* A lookup of config table `table`'s column order failed less than
 * ROUTER_LAYOUT_RETRY_US ago: true, with why. */
bool router_layout_failed(const sg_router_t *r, int table, int64_t now_us, char *why, size_t whylen);
/* A schema change went through: column orders are read again when needed. */
void router_layouts_forget(sg_router_t *r);
/* Wall-clock microseconds since 1970 (routing time). */
int64_t router_now_us(void);

#endif
