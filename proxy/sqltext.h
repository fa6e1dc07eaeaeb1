/* sqltext.h — the little SQL text handling the relay needs without a
 * parser: quoting literals for SET, and spotting statements that leave
 * state in a backend session (which pins the client to its server in
 * transaction mode). The scan skips comments and quoted text, so a
 * keyword inside a string does not count. */
#ifndef SG_SQLTEXT_H
#define SG_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

/* Writes value as a SQL string literal ('...' or E'...'); SG_ERANGE if
 * it does not fit. */
int sql_literal(const char *value, char *out, size_t cap) SG_WUR;
/* The reverse of sql_literal. */
int sql_unliteral(const char *lit, char *out, size_t cap) SG_WUR;
/* NULL, or a static description of why this statement pins the session
 * (LISTEN, session advisory lock, temporary table, WITH HOLD cursor,
 * SQL-level PREPARE). */
const char *sql_pin_reason(const char *sql);
/* What a simple Query does to session settings, when it is exactly one
 * SET/RESET/DISCARD statement (anything else is SQL_SET_NONE). */
typedef enum sql_set_kind {
	SQL_SET_NONE = 0,
	SQL_SET_VALUE,     /* SET [SESSION] name {TO|=} value; SET TIME ZONE value */
	SQL_SET_RESET,     /* RESET name; SET name TO DEFAULT */
	SQL_SET_RESET_ALL, /* RESET ALL */
	SQL_SET_DISCARD,   /* DISCARD ALL: settings and prepared statements */
	SQL_SET_DEALLOCATE_ALL,
} sql_set_kind_t;

/* Fills name (a setting name) and value (raw SQL text of the value, e.g.
 * "'Asia/Tokyo'" or "public, app") for SQL_SET_VALUE / SQL_SET_RESET. */
sql_set_kind_t sql_parse_set(const char *sql, char *name, size_t ncap, char *value, size_t vcap);
/* Whether sql_parse_set recognises sql (decided once per statement, so
 * that its Binds need not parse it). */
bool sql_is_session_set(const char *sql);

/* "DEALLOCATE [PREPARE] name" (name plain or "quoted") as the whole
 * query: copies the name (quotes removed) and returns 1; else 0. */
int sql_parse_deallocate(const char *sql, char *name, size_t ncap);

/* May shardgate keep it prepared on backends on its own initiative
 * (pool.cache_unnamed_statements)? One statement PostgreSQL plans (SELECT,
 * INSERT, UPDATE, DELETE, MERGE, WITH, VALUES) whose result columns cannot
 * grow with its tables (no '*' expansion, not TABLE t). */
bool sql_can_keep_prepared(const char *sql);
/* Does it change the definition of existing objects (ALTER, DROP, CREATE
 * OR REPLACE)? A statement PostgreSQL keeps prepared refuses to run once
 * its result columns change ("cached plan must not change result type"),
 * so statements shardgate keeps prepared are parsed afresh after one. */
bool sql_changes_schema(const char *sql);

/* Might one of its '*' expand to a table's columns (SELECT *, t.*,
 * RETURNING *)? Such a statement's result columns change when a column is
 * added, and PostgreSQL refuses to run a prepared statement whose result
 * columns changed, so shardgate does not keep it prepared on its own
 * initiative. Errs on the side of "yes" (SELECT 2 * 3). */
bool sql_may_expand_star(const char *sql);

/* Is `name` a plain setting name ([A-Za-z_][A-Za-z0-9_.]*, < 64 chars)? */
int sql_is_setting_name(const char *name);

#endif
