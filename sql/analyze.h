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
} sql_table_spec_t;

typedef enum sql_kind {
	SQLK_OTHER = 0,   /* anything not below (SHOW, VACUUM, ...) */
	SQLK_SELECT,      /* also VALUES, TABLE t, SELECT ... FOR UPDATE */
	SQLK_INSERT,
	SQLK_UPDATE,
	SQLK_DELETE,
	SQLK_COPY_FROM,   /* COPY t FROM STDIN */
	SQLK_COPY_TO,     /* COPY t TO STDOUT, COPY (query) TO STDOUT */
	SQLK_DDL,         /* CREATE/ALTER/DROP TABLE/INDEX/VIEW/SEQUENCE/SCHEMA, TRUNCATE, COMMENT */
	SQLK_BEGIN,       /* BEGIN, START TRANSACTION */
	SQLK_COMMIT,      /* COMMIT, END, COMMIT PREPARED is OTHER */
	SQLK_ROLLBACK,    /* ROLLBACK, ABORT (not ROLLBACK TO SAVEPOINT: that is SQLK_SAVEPOINT) */
	SQLK_SAVEPOINT,   /* SAVEPOINT, RELEASE, ROLLBACK TO */
	SQLK_SET,         /* SET/RESET of an ordinary setting */
	SQLK_SET_SHARD,   /* SET shardgate.shard = 'x' / RESET shardgate.shard: value in shard_name */
	SQLK_EXPLAIN,     /* EXPLAIN <stmt>: tables/constraints are the inner statement's */
} sql_kind_t;

/* A value the sharding column is compared with or assigned. */
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
	SQLC_NONE = 0, /* no usable constraint: any shard may hold the rows */
	SQLC_EQ,       /* column = one of values[] (=, IN (...), = ANY('{...}')) */
	SQLC_EQ_ANY_PARAM, /* column = ANY($n): values[0] is the $n array parameter */
	SQLC_RANGE,    /* lo/hi bounds (either may be absent) */
} sql_cons_kind_t;

/* One reference to a sharded table (a table named twice, e.g. a self
 * join, gives two refs). Constraints combine the WHERE/JOIN ON conjuncts
 * that apply to this reference: AND of equality and range narrows,
 * anything under OR/NOT or non-immutable comparisons gives SQLC_NONE. */
typedef struct sql_table_ref {
	int table;  /* index into the spec array */
	char *alias; /* owned; NULL if none */
	sql_cons_kind_t cons;
	sql_value_t *values;
	size_t nvalues;
	bool has_lo, has_hi, lo_incl, hi_incl;
	sql_value_t lo, hi;
	bool written; /* INSERT/UPDATE/DELETE/COPY FROM target */
} sql_table_ref_t;

/* An INSERT ... VALUES row, for splitting a multi-row INSERT by shard. */
typedef struct sql_insert_row {
	sql_value_t key; /* the sharding column's value (SQLV_NULL if absent or DEFAULT) */
	bool key_known;  /* false if the value is an expression we cannot evaluate */
	int start, end;  /* byte offsets of "( ... )" of this row in the original SQL */
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
	bool insert_select; /* INSERT ... SELECT (or DEFAULT VALUES): rows unknown */
	int values_start, values_end; /* offsets of the whole VALUES list (first '(' to last ')') */

	/* UPDATE only: the sharding column is assigned */
	bool sets_key;
	sql_value_t new_key; /* SQLV_NULL with new_key_known false if not a constant */
	bool new_key_known;

	/* COPY FROM only */
	int copy_key_column;  /* 0-based position of the sharding column in the COPY's
	                         column list (or the table's declared order if none: -1
	                         means "no column list", the router must look it up) */
	bool copy_csv;
	char copy_delimiter; /* '\t' for text, ',' for csv unless DELIMITER given */
	bool copy_header;

	/* SQLK_SET_SHARD: the shard name, NULL for RESET */
	char *shard_name;

	/* Constructs that the later scatter-gather issue must refuse across
	 * shards: window functions, FOR UPDATE, aggregates, ORDER BY, LIMIT,
	 * DISTINCT, GROUP BY. Set as flags so the router can explain. */
	bool has_aggregate, has_window, has_order_by, has_limit, has_distinct, has_group_by, for_update;
} sql_stmt_t;

typedef struct sql_analysis {
	sql_stmt_t *stmts;
	size_t nstmts;
	/* A hint in a leading comment: "/* shard: europe * /" or
	 * "/* sharding_key: 42 * /" (either may be present; NULL if not). */
	char *hint_shard;
	char *hint_key;
	char error[256]; /* on parse failure: libpg_query's message */
	int error_pos;   /* 1-based cursor position or 0 */
} sql_analysis_t;

/* Returns 0, SG_EPROTO (syntax error: `error` filled; the caller should
 * let PostgreSQL report it by sending the statement to any one shard), or
 * SG_ENOMEM. */
int sql_analyze(const char *sql, const sql_table_spec_t *tables, size_t ntables, sql_analysis_t *out);
void sql_analysis_free(sql_analysis_t *a);

#endif
