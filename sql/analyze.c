/* analyze.c — sql_analyze(): one libpg_query parse per call, then one
 * pass per statement over the protobuf-c tree.
 *
 * Statement kinds are decided here; query shapes are in analyze_query.c
 * and analyze_dml.c, constraints in analyze_cons.c, constant folding in
 * analyze_expr.c and analyze_time.c, text scans in analyze_text.c.
 *
 * Each call parses on a short-lived thread with a large stack (see
 * sql_analyze); libpg_query's per-thread memory context goes with that
 * thread. Each call's parse and scan results are freed before it returns. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze_int.h"
#include "sql_thread.h"
#include "errors.h"

/* ---- arena: every temporary of one call, freed together ---- */

void *sqa_alloc(sqa_ctx_t *c, size_t n)
{
	return sql_arena_alloc(&c->arena, n);
}

char *sqa_strndup(sqa_ctx_t *c, const char *s, size_t n)
{
	return sql_arena_strndup(&c->arena, s, n);
}

/* ---- table specs: "sales.orders", "\"Orders\"" ---- */

/* One identifier of a spec name, folded as PostgreSQL folds SQL
 * identifiers: "quoted" keeps its case, anything else is lower-cased. */
static const char *spec_ident(sqa_ctx_t *c, const char **pp)
{
	const char *p = *pp;
	char *out = sqa_alloc(c, strlen(p) + 1), *w = out;

	if (out == NULL)
		return NULL;
	if (*p == '"') {
		for (p++; *p != '\0'; p++) {
			if (*p == '"' && p[1] == '"')
				p++;
			else if (*p == '"')
				break;
			*w++ = *p;
		}
		if (*p == '"')
			p++;
	} else {
		for (; *p != '\0' && *p != '.'; p++)
			*w++ = (char)tolower((unsigned char)*p);
	}
	*pp = p;
	return out;
}

static int specs_parse(sqa_ctx_t *c, const sql_table_spec_t *tables, size_t n)
{
	sqa_spec_t *s = sqa_alloc(c, (n + 1) * sizeof(*s));
	const char *p, *a, *b;
	size_t i;

	if (s == NULL)
		return SG_ENOMEM;
	for (i = 0; i < n; i++) {
		p = tables[i].name != NULL ? tables[i].name : "";
		a = spec_ident(c, &p);
		b = NULL;
		while (a != NULL && *p == '.') {
			p++;
			if (b != NULL)
				a = b; /* db.schema.table: the database part is ignored */
			b = spec_ident(c, &p);
		}
		if (a == NULL)
			return SG_ENOMEM;
		s[i].key_col = tables[i].key_col;
		s[i].schema = b != NULL ? a : NULL;
		s[i].rel = b != NULL ? b : a;
		if (tables[i].column != NULL) {
			p = tables[i].column;
			s[i].column = spec_ident(c, &p);
			if (s[i].column == NULL)
				return SG_ENOMEM;
		}
	}
	c->specs = s;
	c->nspecs = n;
	return 0;
}

/* ---- output values ---- */

int sqa_value_out(const sqa_val_t *v, sql_value_t *out)
{
	const char *cast = v->cast;

	memset(out, 0, sizeof(*out));
	switch (v->kind) {
	case SQA_INT:
		out->kind = SQLV_INT;
		out->i = v->i;
		break;
	case SQA_NUM:
		if (cast == NULL)
			cast = "numeric";
		/* fall through */
	case SQA_TEXT:
		out->kind = SQLV_TEXT;
		out->text = strdup(v->text);
		if (out->text == NULL)
			return SG_ENOMEM;
		break;
	case SQA_PARAM:
		out->kind = SQLV_PARAM;
		out->param = v->param;
		break;
	case SQA_TS:
		out->kind = SQLV_TS;
		out->ts_us = v->ts_lo;
		break;
	case SQA_NOW_REL:
		out->kind = SQLV_NOW_REL;
		out->ts_us = v->ts_lo;
		break;
	case SQA_DATE_REL:
		out->kind = SQLV_DATE_REL;
		out->days = v->days;
		out->ts_us = v->ts_lo;
		break;
	default:
		out->kind = SQLV_NULL;
		return 0;
	}
	if (cast != NULL && (out->cast = strdup(cast)) == NULL) {
		sqa_value_clear(out);
		return SG_ENOMEM;
	}
	return 0;
}

void sqa_value_clear(sql_value_t *v)
{
	free(v->text);
	free(v->cast);
	memset(v, 0, sizeof(*v));
}

static int ref_out(const sqa_ref_t *r, sql_table_ref_t *out)
{
	const sqa_cons_t *k = &r->cons;
	size_t i;
	int rc = 0;

	out->table = r->table;
	out->written = r->written;
	out->cons = k->kind;
	if (r->alias != NULL && (out->alias = strdup(r->alias)) == NULL)
		return SG_ENOMEM;
	if (k->kind == SQLC_EQ || k->kind == SQLC_EQ_ANY_PARAM) {
		out->values = calloc(k->n + 1, sizeof(*out->values));
		if (out->values == NULL)
			return SG_ENOMEM;
		for (i = 0; rc == 0 && i < k->n; i++, out->nvalues++)
			rc = sqa_value_out(&k->vals[i], &out->values[i]);
		return rc;
	}
	if (k->kind == SQLC_RANGE) {
		out->has_lo = k->has_lo;
		out->has_hi = k->has_hi;
		out->lo_incl = k->lo_incl;
		out->hi_incl = k->hi_incl;
		if (k->has_lo)
			rc = sqa_value_out(&k->lo, &out->lo);
		if (rc == 0 && k->has_hi)
			rc = sqa_value_out(&k->hi, &out->hi);
	}
	return rc;
}

static void ref_clear(sql_table_ref_t *r)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		sqa_value_clear(&r->values[i]);
	free(r->values);
	sqa_value_clear(&r->lo);
	sqa_value_clear(&r->hi);
	free(r->alias);
}

/* ---- statements ---- */

static bool is_ddl(PgQuery__Node__NodeCase k)
{
	switch (k) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_VIEW_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
	case PG_QUERY__NODE__NODE_RENAME_STMT:
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_DEFINE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
	case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
	case PG_QUERY__NODE__NODE_RULE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
	case PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT:
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
	case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		return true;
	default:
		return false;
	}
}

/* DROP TABLE and COMMENT ON TABLE/COLUMN name tables as lists of
 * strings, not RangeVars. */
static int ddl_name(sqa_ctx_t *c, const PgQuery__Node *n, bool drop_column)
{
	const PgQuery__List *l;
	const char *part[3];
	size_t i, np;
	int t, ref;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_LIST)
		return 0;
	l = n->list;
	np = l->n_items - (drop_column ? 1 : 0);
	if (l->n_items < (drop_column ? 2u : 1u) || np > 3)
		return 0;
	for (i = 0; i < np; i++) {
		if (l->items[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return 0;
		part[i] = l->items[i]->string->sval;
	}
	t = sqa_spec_find(c, np >= 2 ? part[np - 2] : NULL, part[np - 1]);
	if (t < 0) {
		c->st->touches_unsharded = true;
		return 0;
	}
	ref = sqa_ref_add(c, t, NULL, false);
	return ref < 0 ? ref : 0;
}

static int stmt_drop(sqa_ctx_t *c, const PgQuery__DropStmt *d)
{
	size_t i;
	int rc = 0;

	switch (d->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		for (i = 0; rc == 0 && i < d->n_objects; i++)
			rc = ddl_name(c, d->objects[i], false);
		return rc;
	default:
		return 0;
	}
}

static int stmt_comment(sqa_ctx_t *c, const PgQuery__CommentStmt *s)
{
	if (s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return ddl_name(c, s->object, false);
	if (s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN)
		return ddl_name(c, s->object, true);
	return 0;
}

static int stmt_merge(sqa_ctx_t *c, const PgQuery__MergeStmt *m)
{
	sqa_ctes_t mine;
	const sqa_ctes_t *scope = NULL;
	int rc = 0;

	if (m->relation != NULL)
		rc = sqa_level_item_rv(c, NULL, m->relation, NULL, true);
	if (rc == 0 && m->with_clause != NULL) {
		rc = sqa_with(c, m->with_clause, NULL, &mine);
		scope = &mine;
	}
	if (rc == 0 && m->source_relation != NULL)
		rc = sqa_walk(c, &m->source_relation->base, scope);
	if (rc == 0 && m->join_condition != NULL)
		rc = sqa_walk(c, &m->join_condition->base, scope);
	return rc == 0 ? sqa_walk_list(c, m->merge_when_clauses, m->n_merge_when_clauses, scope) : rc;
}

static sql_kind_t transaction_kind(PgQuery__TransactionStmtKind k)
{
	switch (k) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		return SQLK_BEGIN;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		return SQLK_COMMIT;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		return SQLK_ROLLBACK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
		return SQLK_SAVEPOINT;
	default:
		return SQLK_OTHER; /* two-phase commit */
	}
}

/* One SET argument as text: 'europe', europe, 3. */
static const char *set_arg(const PgQuery__Node *a, char *num, size_t len)
{
	if (a->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return "";
	switch (a->a_const->val_case) {
	case PG_QUERY__A__CONST__VAL_SVAL:
		return a->a_const->sval->sval;
	case PG_QUERY__A__CONST__VAL_FVAL:
		return a->a_const->fval->fval;
	case PG_QUERY__A__CONST__VAL_IVAL:
		snprintf(num, len, "%d", a->a_const->ival->ival);
		return num;
	default:
		return "";
	}
}

/* SET shardgate.shard = 'x' (GUC names are case-insensitive); a list
 * value is joined the way PostgreSQL flattens one ("a, b"). */
static int stmt_set(sqa_ctx_t *c, const PgQuery__VariableSetStmt *s)
{
	sql_stmt_t *st = c->st;
	char buf[256] = "", num[24];
	size_t i, n;

	st->kind = SQLK_SET;
	st->is_local = s->is_local;
	if (s->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL) {
		st->reset_all = true;
		return 0;
	}
	if (strcasecmp(s->name, "shardgate.shard") != 0)
		return 0;
	switch (s->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
		for (i = 0; i < s->n_args; i++) {
			n = strlen(buf);
			snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
			         set_arg(s->args[i], num, sizeof(num)));
		}
		st->kind = SQLK_SET_SHARD;
		st->shard_name = strdup(buf);
		return st->shard_name == NULL ? SG_ENOMEM : 0;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		st->kind = SQLK_SET_SHARD;
		return 0;
	default:
		return 0;
	}
}

static int stmt_analyze(sqa_ctx_t *c, const PgQuery__Node *n)
{
	sql_stmt_t *st = c->st;
	int rc;

	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		/* SELECT ... INTO creates a table */
		st->kind = n->select_stmt->into_clause != NULL ? SQLK_DDL : SQLK_SELECT;
		rc = sqa_query(c, n, NULL);
		if (rc == 0 && st->kind == SQLK_SELECT)
			sqa_rows_per_shard(c, n->select_stmt);
		return rc;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		st->kind = SQLK_INSERT;
		c->top = n->insert_stmt;
		return sqa_query(c, n, NULL);
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		st->kind = SQLK_UPDATE;
		c->top = n->update_stmt;
		return sqa_query(c, n, NULL);
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		st->kind = SQLK_DELETE;
		return sqa_query(c, n, NULL);
	case PG_QUERY__NODE__NODE_COPY_STMT:
		return sqa_copy(c, n->copy_stmt);
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
		rc = n->explain_stmt->query != NULL ? stmt_analyze(c, n->explain_stmt->query) : 0;
		st->kind = SQLK_EXPLAIN;
		return rc;
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		st->kind = transaction_kind(n->transaction_stmt->kind);
		return 0;
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		return stmt_set(c, n->variable_set_stmt);
	case PG_QUERY__NODE__NODE_DROP_STMT:
		st->kind = SQLK_DDL;
		return stmt_drop(c, n->drop_stmt);
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		st->kind = SQLK_DDL;
		return stmt_comment(c, n->comment_stmt);
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		/* not split by the router (SQLK_OTHER), but its target is written */
		st->kind = SQLK_OTHER;
		return stmt_merge(c, n->merge_stmt);
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		/* TRUNCATE removes rows: its tables are written */
		st->kind = SQLK_DDL;
		c->mark_written = true;
		rc = sqa_walk(c, &n->base, NULL);
		c->mark_written = false;
		return rc;
	default:
		st->kind = is_ddl(n->node_case) ? SQLK_DDL : SQLK_OTHER;
		return sqa_walk(c, &n->base, NULL);
	}
}

static int stmt_build(sqa_ctx_t *c, const PgQuery__RawStmt *raw, sql_stmt_t *st)
{
	size_t i;
	int rc;

	st->start = raw->stmt_location;
	st->len = raw->stmt_len != 0 ? raw->stmt_len : (int)(c->sql_len - (size_t)raw->stmt_location);
	st->copy_key_column = -1;
	st->select_key_ref = -1;
	st->values_start = st->values_end = -1;
	c->st = st;
	c->top = NULL;
	c->nrefs = 0;
	c->depth = 0;
	rc = raw->stmt != NULL ? stmt_analyze(c, raw->stmt) : 0;
	if (rc != 0 || c->nrefs == 0)
		return rc;
	st->refs = calloc(c->nrefs, sizeof(*st->refs));
	if (st->refs == NULL)
		return SG_ENOMEM;
	for (i = 0; i < c->nrefs; i++) {
		st->nrefs++;
		rc = ref_out(&c->refs[i], &st->refs[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int analyze_tree(sqa_ctx_t *c, const PgQueryProtobuf *pb, sql_analysis_t *out)
{
	PgQuery__ParseResult *pr;
	size_t i;
	int rc = 0;

	pr = pg_query__parse_result__unpack(NULL, pb->len, (const uint8_t *)pb->data);
	if (pr == NULL)
		return SG_ENOMEM;
	if (pr->n_stmts > 0) {
		out->stmts = calloc(pr->n_stmts, sizeof(*out->stmts));
		if (out->stmts == NULL)
			rc = SG_ENOMEM;
	}
	for (i = 0; rc == 0 && i < pr->n_stmts; i++) {
		out->nstmts++;
		rc = stmt_build(c, pr->stmts[i], &out->stmts[i]);
	}
	pg_query__parse_result__free_unpacked(pr, NULL);
	return rc;
}

/* Frees what a failed call built. The error text stays; so do the hints
 * unless memory ran out (after a syntax error the caller sends the text
 * to one shard, which a hint may choose). */
static void analysis_fail(sql_analysis_t *out, int rc)
{
	char *hs = out->hint_shard, *hk = out->hint_key;
	char error[sizeof(out->error)];
	int pos = out->error_pos;

	memcpy(error, out->error, sizeof(error));
	out->hint_shard = out->hint_key = NULL;
	sql_analysis_free(out);
	memcpy(out->error, error, sizeof(error));
	out->error_pos = pos;
	if (rc != SG_ENOMEM) {
		out->hint_shard = hs;
		out->hint_key = hk;
	} else {
		free(hs);
		free(hk);
	}
}

static int analyze_here(const char *sql, const sql_table_spec_t *tables, size_t ntables, sql_analysis_t *out)
{
	PgQueryProtobufParseResult res;
	sqa_ctx_t c;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.sql = sql;
	c.sql_len = strlen(sql);
	rc = sqa_hints(sql, &out->hint_shard, &out->hint_key);
	if (rc == 0)
		rc = specs_parse(&c, tables, ntables);
	/* every level of nesting takes at least one byte of text */
	if (rc == 0 && c.sql_len > SQA_MAX_NESTING)
		rc = sqa_scan(&c);
	if (rc == 0 && c.scan != NULL) {
		int bound = sqa_depth_bound(c.scan);
		rc = bound < 0 ? bound : bound > SQA_MAX_NESTING ? SG_ERANGE : 0;
	}
	if (rc != 0)
		goto fail;
	res = pg_query_parse_protobuf(sql);
	if (res.error != NULL) {
		snprintf(out->error, sizeof(out->error), "%s",
		         res.error->message ? res.error->message : "syntax error");
		out->error_pos = res.error->cursorpos;
		rc = SG_EPROTO;
	} else {
		rc = analyze_tree(&c, &res.parse_tree, out);
	}
	pg_query_free_protobuf_parse_result(res);
fail:
	sqa_scan_free(&c);
	sql_arena_free(&c.arena);
	if (rc == SG_ERANGE)
		snprintf(out->error, sizeof(out->error), "statement nested too deeply to analyse");
	if (rc != 0)
		analysis_fail(out, rc);
	return rc;
}

/* libpg_query and protobuf-c recurse once per nesting level, in C, on
 * the caller's stack. The nesting estimate above refuses the obvious
 * cases, but some forms (BETWEEN ... AND, CASE, ARRAY[...]) nest without
 * it noticing, up to the grammar's own limit, which needs more than the
 * event loop's 8 MB: the analysis runs on a large-stack thread
 * (sql_thread.h). It only runs on plan-cache misses, so the thread costs
 * nothing on the hot path. */
typedef struct analyze_job {
	const char *sql;
	const sql_table_spec_t *tables;
	size_t ntables;
	sql_analysis_t *out;
	int rc;
} analyze_job_t;

static void *analyze_thread(void *arg)
{
	analyze_job_t *job = arg;

	job->rc = analyze_here(job->sql, job->tables, job->ntables, job->out);
	return NULL;
}

int sql_analyze(const char *sql, const sql_table_spec_t *tables, size_t ntables, sql_analysis_t *out)
{
	analyze_job_t job = {.sql = sql, .tables = tables, .ntables = ntables, .out = out, .rc = SG_ENOMEM};

	if (sql_thread_run(analyze_thread, &job) != 0) {
		memset(out, 0, sizeof(*out));
		snprintf(out->error, sizeof(out->error), "could not start the SQL analysis");
		return SG_ENOMEM;
	}
	return job.rc;
}

void sql_analysis_free(sql_analysis_t *a)
{
	size_t i, j;

	if (a == NULL)
		return;
	for (i = 0; i < a->nstmts; i++) {
		sql_stmt_t *st = &a->stmts[i];
		for (j = 0; j < st->nrefs; j++)
			ref_clear(&st->refs[j]);
		free(st->refs);
		for (j = 0; j < st->nrows; j++)
			sqa_value_clear(&st->rows[j].key);
		free(st->rows);
		sqa_value_clear(&st->new_key);
		sqa_value_clear(&st->select_key);
		free(st->shard_name);
		free(st->copy_null);
	}
	free(a->stmts);
	free(a->hint_shard);
	free(a->hint_key);
	memset(a, 0, sizeof(*a));
}
