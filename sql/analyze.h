/* analyze.h — what a statement says about where its rows live.
 *
 * sql_analyze() parses a query string with libpg_query (the real
 * PostgreSQL grammar) and reports, per statement, its kind and, for every
 * reference to a sharded table, the constraints on that table's sharding
 * column. It never guesses: where it cannot prove a constraint it reports
 * the reference as unconstrained (the router then uses every shard that
 * could hold the rows). It knows nothing about shards; router/ decides.
 *
 * Everything in an sql_analysis_t is owned by it (sql_analysis_free). */
#ifndef SG_SQL_ANALYZE_H
#define SG_SQL_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The sharded tables the analyzer must look for. Names match a relation
 * by its unqualified name, or exactly when `name` is schema-qualified;
 * comparison follows SQL rules (unquoted identifiers fold to lower case). */
typedef struct sql_table_spec {
	const char *name;   /* e.g. "orders" or "sales.orders" */
	const char *column; /* sharding column, NULL for replicated tables */
	/* 1-based position of `column` among the table's columns, learnt from
	 * a shard's catalog (INSERT without a column list); 0 unknown. */
	int key_col;
} sql_table_spec_t;

typedef enum sql_kind {
	SQLK_OTHER = 0, /* anything not below (SHOW, VACUUM, ...) */
	SQLK_SELECT,    /* also VALUES, TABLE t, SELECT ... FOR UPDATE */
	SQLK_INSERT,
	SQLK_UPDATE,
	SQLK_DELETE,
	SQLK_COPY_FROM, /* COPY t FROM STDIN */
	SQLK_COPY_TO,   /* COPY t TO STDOUT, COPY (query) TO STDOUT */
	SQLK_DDL,       /* CREATE/ALTER/DROP TABLE/INDEX/VIEW/SEQUENCE/SCHEMA, TRUNCATE, COMMENT */
	SQLK_BEGIN,     /* BEGIN, START TRANSACTION */
	SQLK_COMMIT,    /* COMMIT, END, COMMIT PREPARED is OTHER */
	SQLK_ROLLBACK,  /* ROLLBACK, ABORT (not ROLLBACK TO SAVEPOINT: that is SQLK_SAVEPOINT) */
	SQLK_SAVEPOINT, /* SAVEPOINT, RELEASE, ROLLBACK TO */
	SQLK_SET,       /* SET/RESET of an ordinary setting */
	SQLK_SET_SHARD, /* SET shardgate.shard = 'x' / RESET shardgate.shard: value in shard_name */
	SQLK_EXPLAIN,   /* EXPLAIN <stmt>: tables/constraints are the inner statement's */
} sql_kind_t;

/* A value the sharding column is compared with or assigned.
 *
 * Constant folding (done by the analyzer, evaluated by the router at
 * routing time): casts to int2/int4/int8 of an integer string give
 * SQLV_INT; a non-integer number is SQLV_TEXT with cast "numeric";
 * timestamp/timestamptz/date literals and casts ('2026-11-20'::date,
 * timestamptz '2026-11-20 10:00+02', 'epoch') give SQLV_TS; now(),
 * current_timestamp, localtimestamp, statement_timestamp(),
 * transaction_timestamp(), clock_timestamp() and 'now' give SQLV_NOW_REL;
 * current_date, 'today', 'yesterday', 'tomorrow' SQLV_DATE_REL; ± interval
 * (interval '3 days', '7 days'::interval, '1 hour 30 minutes', '2 weeks',
 * '1 day 02:00', '... ago') and date ± integer days fold into ts_us/days.
 * The session time zone is assumed to be UTC (a day is 24 hours). An
 * interval with months, added to now()/current_date, is only known to
 * within the month lengths (28..31 days): such a value is used only as
 * the loose side of a range bound, never as an equality value. Absolute
 * instants ± months use the calendar exactly, as PostgreSQL does. */
typedef enum sql_value_kind {
	SQLV_NULL = 0,
	SQLV_INT,      /* integer literal: i */
	SQLV_TEXT,     /* string literal (or a number written as text): text */
	SQLV_PARAM,    /* $n: param (1-based); its value comes from Bind */
	SQLV_TS,       /* absolute instant: ts_us, microseconds since 1970-01-01 UTC */
	SQLV_NOW_REL,  /* now()/current_timestamp/localtimestamp + ts_us (may be negative) */
	SQLV_DATE_REL, /* current_date + days (midnight UTC), then + ts_us */
} sql_value_kind_t;

typedef struct sql_value {
	sql_value_kind_t kind;
	int64_t i;
	char *text; /* owned, NUL-terminated */
	int param;
	int64_t ts_us;
	int32_t days;
	/* a literal cast in the query, lower-cased type name ("int8",
	 * "timestamptz", "uuid", ...) or NULL */
	char *cast;
} sql_value_t;

typedef enum sql_cons_kind {
	SQLC_NONE = 0,     /* no usable constraint: any shard may hold the rows */
	SQLC_EQ,           /* column = one of values[] (=, IN (...), = ANY('{...}')); nvalues 0:
	                      provably no row matches (x = 1 AND x = 2), no shard is needed */
	SQLC_EQ_ANY_PARAM, /* column = ANY($n): values[0] is the $n array parameter
	                      (cast "int8[]" when written $1::int8[]) */
	SQLC_RANGE,        /* lo/hi bounds (either may be absent) */
} sql_cons_kind_t;

/* One reference to a sharded table (a table named twice, e.g. a self
 * join, gives two refs). Constraints combine the WHERE/JOIN ON conjuncts
 * that apply to this reference: AND of equality and range narrows,
 * anything under OR/NOT or non-immutable comparisons gives SQLC_NONE
 * (except an OR whose every branch is equality on the column: the values
 * are united). A column counts when qualified by the alias (or table
 * name), or unqualified when the reference is the only FROM item of its
 * query level. ON of an outer join constrains only its nullable side.
 * Equal sharding columns (a.k = b.k in WHERE or an inner join's ON)
 * share their constraints. Refs are listed in the order the statement is
 * walked: the target of INSERT/UPDATE/DELETE/COPY first, CTE bodies,
 * then FROM items left to right (a subquery's refs where it stands),
 * then subqueries in expressions. */
typedef struct sql_table_ref {
	int table;   /* index into the spec array */
	char *alias; /* owned; NULL if none */
	sql_cons_kind_t cons;
	sql_value_t *values;
	size_t nvalues;
	bool has_lo, has_hi, lo_incl, hi_incl;
	sql_value_t lo, hi;
	bool written; /* INSERT/UPDATE/DELETE/COPY FROM/MERGE/TRUNCATE target, also in a CTE */
} sql_table_ref_t;

/* An INSERT ... VALUES row, for splitting a multi-row INSERT by shard. */
typedef struct sql_insert_row {
	sql_value_t key; /* the sharding column's value (SQLV_NULL if absent or DEFAULT) */
	bool key_known;  /* false if the value is an expression we cannot evaluate */
	int start, end;  /* byte offsets of "( ... )" of this row in the original SQL:
	                    [start, end), end is one past the ')'; -1 if not found */
} sql_insert_row_t;

typedef struct sql_stmt {
	sql_kind_t kind;
	int start, len; /* this statement's bytes in the query string */
	sql_table_ref_t *refs;
	size_t nrefs;
	bool touches_unsharded; /* references a relation not in the spec (e.g. a plain table) */

	/* INSERT only */
	sql_insert_row_t *rows;
	size_t nrows;
	bool insert_select;           /* INSERT ... SELECT (or DEFAULT VALUES): rows unknown */
	/* INSERT ... SELECT whose select list says plainly what the sharding
	 * column gets: a constant or parameter (select_key_known), or the
	 * sharding column of a table read in its FROM (select_key_ref, an index
	 * into refs; -1 otherwise) */
	bool select_key_known;
	sql_value_t select_key;
	int select_key_ref;
	int values_start, values_end; /* offsets of the whole VALUES list: [first '(', one past last ')') */
	/* INSERT INTO t VALUES ... without a column list: which value is the
	 * key depends on the table's column order, so every row has
	 * key_known = false. (A key column missing from a column list gets its
	 * default: also key_known = false, key SQLV_NULL.) */
	bool no_column_list;
	/* ... and the key was read at the table's known key position
	 * (sql_table_spec_t.key_col): routing needs nothing more. */
	bool key_col_used;

	/* UPDATE, and INSERT ... ON CONFLICT DO UPDATE: the sharding column
	 * is assigned (not counting `key = key` and `key = excluded.key`) */
	bool sets_key;
	sql_value_t new_key; /* SQLV_NULL with new_key_known false if not a constant */
	bool new_key_known;

	/* COPY FROM only */
	int copy_key_column; /* 0-based position of the sharding column in the COPY's
	                        column list (or, without one, in the table's column
	                        order when sql_table_spec_t.key_col gives it; -1:
	                        no column list and the order is not known yet;
	                        -2: a column list without the key, which then gets its
	                        default; -1 also for unsharded/replicated targets) */
	int copy_ncolumns;   /* entries in the COPY's column list (0: no list) */
	bool copy_csv;
	bool copy_binary;    /* FORMAT binary: rows cannot be split as text */
	char copy_delimiter; /* '\t' for text, ',' for csv unless DELIMITER given */
	bool copy_header;    /* HEADER, HEADER true, HEADER MATCH */
	char copy_quote;     /* csv: QUOTE, default '"'; text: '\0' */
	char copy_escape;    /* csv: ESCAPE, default the quote; text: '\\' */
	char *copy_null;     /* owned: NULL string, default "\\N" (text) or "" (csv) */
	/* COPY to/from a server file or PROGRAM is SQLK_OTHER (refs kept). */

	/* SQLK_SET_SHARD: the shard name, NULL for RESET (and SET ... TO DEFAULT) */
	char *shard_name;
	bool is_local;  /* SET LOCAL (SQLK_SET, SQLK_SET_SHARD): until the transaction ends */
	bool reset_all; /* RESET ALL (SQLK_SET): resets shardgate.shard too */

	/* Constructs that the later scatter-gather issue must refuse across
	 * shards: window functions, FOR UPDATE, aggregates, ORDER BY, LIMIT,
	 * DISTINCT, GROUP BY. Set as flags so the router can explain. Set
	 * when the construct appears anywhere in the statement (a subquery's
	 * aggregate is just as wrong evaluated per shard); has_distinct also
	 * covers UNION (not ALL), INTERSECT and EXCEPT; has_aggregate HAVING;
	 * has_limit OFFSET. */
	bool has_aggregate, has_window, has_order_by, has_limit, has_distinct, has_group_by, for_update;

	/* SQLK_SELECT (and EXPLAIN of one). Run on several shards, the SELECT could return a
	 * row once per shard: some result row can exist independently of every
	 * sharded-table row (a replicated or unsharded table's rows, kept by
	 * an outer join, filtered only by a subquery on a sharded table, or a
	 * set operation branch reading no sharded table). Clear when the
	 * top-level FROM, following inner/cross joins and the preserved side of
	 * LEFT/RIGHT joins (both sides of FULL), reaches a sharded table (a
	 * spec entry with a column), a FROM subquery or CTE counting when its
	 * own FROM does; every branch of a set operation must. Also clear when
	 * no sharded table is referenced at all (the statement never needs
	 * several shards). When unsure, set. dup_reason: static text saying
	 * why, NULL when clear. */
	bool rows_per_shard_unsafe;
	const char *dup_reason;
} sql_stmt_t;

typedef struct sql_analysis {
	sql_stmt_t *stmts;
	size_t nstmts;
	/* A hint in a leading comment: "/\* shard: europe *\/" or
	 * "/\* sharding_key: 42 *\/" (either may be present; NULL if not). */
	char *hint_shard;
	char *hint_key;
	char error[256]; /* on parse failure: libpg_query's message */
	int error_pos;   /* 1-based cursor position or 0 */
} sql_analysis_t;

/* Returns 0, SG_EPROTO (syntax error: `error` filled; the caller should
 * let PostgreSQL report it by sending the statement to any one shard),
 * SG_ERANGE (the statement may nest deeper than the analyzer handles,
 * e.g. a chain of 1000 `+`, 500 JOINs or 1000 nested subqueries: it is
 * not parsed, because libpg_query's tree output and protobuf-c's unpack
 * recurse per level and could overflow the stack; `error` filled; the
 * caller should refuse it, SQLSTATE 54001 statement_too_complex, since
 * its tables are unknown), or SG_ENOMEM. With SG_EPROTO and SG_ERANGE
 * there are no statements, but the hints are filled. The parse runs on a
 * thread of its own with a 256 MB stack (libpg_query and protobuf-c recurse
 * once per nesting level, and some forms nest past the estimate up to the
 * grammar's limit), joined before returning; its libpg_query memory is
 * released when that thread ends. One libpg_query parse per call (plus one
 * scan with its lexer for texts over 1000 bytes, or to locate INSERT rows). */
int sql_analyze(const char *sql, const sql_table_spec_t *tables, size_t ntables, sql_analysis_t *out);
void sql_analysis_free(sql_analysis_t *a);

/* Reads a date/time text the way PostgreSQL's input does for the ISO
 * forms ("2026-11-20", "2026-11-20 10:00[:00[.ffffff]]", 'T' separator,
 * zone "Z"/"UTC"/"+02"/"+0530"/"-05:00", "epoch") into microseconds since
 * 1970-01-01 UTC. `type` is "timestamptz" (or NULL), "timestamp" (an
 * offset is ignored, as PostgreSQL does) or "date" (time ignored). No
 * offset means UTC (the session time zone is assumed to be UTC). For the
 * router's text parameters and untyped literals compared with a time
 * column. 0, or SG_EPROTO for anything else ('infinity', named zones,
 * other date styles): treat the value as unconstrained. */
int sql_time_parse(const char *text, const char *type, int64_t *ts_us);

#endif
