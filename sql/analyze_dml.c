/* analyze_dml.c — INSERT, UPDATE, DELETE and COPY.
 *
 * The target is always a real table (a CTE name never is), marked
 * written. UPDATE and DELETE are query levels like SELECT: target plus
 * FROM/USING items, filtered by WHERE. INSERT ... VALUES yields one row
 * per VALUES list with its sharding value, so the router can split a
 * multi-row INSERT. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze_int.h"
#include "errors.h"

/* The sharding column of the ref an item holds, or NULL. */
static const char *item_key(const sqa_ctx_t *c, const sqa_item_t *it)
{
	return it->ref >= 0 ? c->specs[c->refs[it->ref].table].column : NULL;
}

/* 0-based position of the table's key among its columns, -1 unknown. */
static int item_key_col(const sqa_ctx_t *c, const sqa_item_t *it)
{
	return it->ref >= 0 ? c->specs[c->refs[it->ref].table].key_col - 1 : -1;
}

/* Scope for a DML statement's WITH (the CTEs its parts may name). */
static int dml_with(sqa_ctx_t *c, const PgQuery__WithClause *w, const sqa_ctes_t *outer, sqa_ctes_t *mine,
                    const sqa_ctes_t **scope)
{
	*scope = outer;
	if (w == NULL)
		return 0;
	*scope = mine;
	return sqa_with(c, w, outer, mine);
}

/* Evaluates an assigned or inserted sharding value. */
static int key_value(sqa_ctx_t *c, const PgQuery__Node *n, sql_value_t *out, bool *known)
{
	sqa_val_t v;

	memset(out, 0, sizeof(*out));
	*known = false;
	if (n == NULL || n->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT)
		return 0;
	sqa_eval(c, n, &v);
	if (v.kind == SQA_NONE || v.kind == SQA_INTERVAL || v.is_array || v.ts_lo != v.ts_hi)
		return 0;
	*known = true;
	return sqa_value_out(&v, out);
}

/* The value a SET target gets: plain, or one column of (a, b) = (x, y). */
static const PgQuery__Node *assigned_value(const PgQuery__ResTarget *rt)
{
	const PgQuery__MultiAssignRef *m;

	if (rt->val == NULL || rt->val->node_case != PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF)
		return rt->val;
	m = rt->val->multi_assign_ref;
	if (m->source != NULL && m->source->node_case == PG_QUERY__NODE__NODE_ROW_EXPR && m->colno >= 1 &&
	    (size_t)m->colno <= m->source->row_expr->n_args)
		return m->source->row_expr->args[m->colno - 1];
	return NULL; /* (a, b) = (SELECT ...) */
}

static bool colref_is(const PgQuery__Node *n, const char *qual, const char *col)
{
	const PgQuery__ColumnRef *cr;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	cr = n->column_ref;
	if (cr->n_fields != 2 || cr->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING ||
	    cr->fields[1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	return strcmp(cr->fields[0]->string->sval, qual) == 0 &&
	       strcmp(cr->fields[1]->string->sval, col) == 0;
}

/* SET list of UPDATE or ON CONFLICT DO UPDATE: does it move the row's
 * sharding value? `key = key` (UPDATE) and `key = excluded.key` (the
 * conflicting row already lives with that value) do not. */
static int set_list(sqa_ctx_t *c, const sqa_level_t *l, PgQuery__Node *const *tl, size_t n, const char *key,
                    bool upsert)
{
	const PgQuery__ResTarget *rt;
	const PgQuery__Node *v;
	const char *col;
	size_t i;

	for (i = 0; key != NULL && i < n; i++) {
		if (tl[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		rt = tl[i]->res_target;
		if (strcmp(rt->name, key) != 0)
			continue;
		v = rt->n_indirection > 0 ? NULL : assigned_value(rt);
		if (v != NULL && v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
			if (upsert && colref_is(v, "excluded", key))
				continue;
			if (!upsert && sqa_level_resolve(l, v->column_ref, &col) == 0 &&
			    strcmp(col, key) == 0)
				continue;
		}
		c->st->sets_key = true;
		sqa_value_clear(&c->st->new_key);
		return key_value(c, v, &c->st->new_key, &c->st->new_key_known);
	}
	return 0;
}

/* ---- INSERT ---- */

static bool values_only(const PgQuery__SelectStmt *s)
{
	return s->n_values_lists > 0 && s->op == PG_QUERY__SET_OPERATION__SETOP_NONE &&
	       s->n_sort_clause == 0 && s->limit_count == NULL && s->limit_offset == NULL &&
	       s->n_locking_clause == 0;
}

/* Position of the sharding column in INSERT's column list: -1 absent
 * (the column default applies), -2 assigned through a subscript/field. */
static int insert_key_pos(const PgQuery__InsertStmt *s, const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < s->n_cols; i++) {
		const PgQuery__ResTarget *rt;
		if (s->cols[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		rt = s->cols[i]->res_target;
		if (strcmp(rt->name, key) == 0)
			return rt->n_indirection > 0 ? -2 : (int)i;
	}
	return -1;
}

/* `key_col`: the key's position among the table's columns (-1 unknown),
 * which is where it sits in rows of an INSERT without a column list. */
static int insert_rows(sqa_ctx_t *c, const PgQuery__InsertStmt *s, const PgQuery__SelectStmt *v,
                       const char *key, int key_col, const sqa_ctes_t *scope)
{
	sql_stmt_t *st = c->st;
	int pos = st->no_column_list ? key_col : insert_key_pos(s, key), rc;
	const PgQuery__List *row;
	size_t i;

	st->rows = calloc(v->n_values_lists, sizeof(*st->rows));
	if (st->rows == NULL)
		return SG_ENOMEM;
	st->nrows = v->n_values_lists;
	for (i = 0; i < v->n_values_lists; i++) {
		st->rows[i].start = st->rows[i].end = -1;
		if (v->values_lists[i]->node_case != PG_QUERY__NODE__NODE_LIST)
			continue;
		row = v->values_lists[i]->list;
		rc = sqa_walk_list(c, row->items, row->n_items, scope);
		if (rc != 0)
			return rc;
		if (key == NULL || pos < 0 || (size_t)pos >= row->n_items)
			continue;
		rc = key_value(c, row->items[pos], &st->rows[i].key, &st->rows[i].key_known);
		if (rc != 0)
			return rc;
	}
	return sqa_insert_rows_locate(c, s, v);
}

/* The RangeVar of FROM item `n` when it is a plain relation. */
static const PgQuery__RangeVar *from_rangevar(const PgQuery__Node *n)
{
	return n != NULL && n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR ? n->range_var : NULL;
}

/* The reference (not written) that FROM item rv became: matched by alias,
 * or by relation name when it has none. -1 if none or several. (The
 * statement's refs are c->refs until it is complete; st->refs keeps their
 * order.) */
static int ref_of_rangevar(const sqa_ctx_t *c, const PgQuery__RangeVar *rv)
{
	const char *name = rv->alias != NULL ? rv->alias->aliasname : rv->relname;
	int found = -1;
	size_t i;

	for (i = 0; i < c->nrefs; i++) {
		const sqa_ref_t *ref = &c->refs[i];
		const char *rname = ref->alias != NULL ? ref->alias : c->specs[ref->table].rel;
		if (ref->written || ref->table < 0 || strcmp(rname, name) != 0)
			continue;
		if (found >= 0)
			return -1;
		found = (int)i;
	}
	return found;
}

/* The select-list item `n` is `col` or `qual.col` naming the sharding
 * column of a table in sel's own FROM list: that table's reference. */
static int select_key_source(const sqa_ctx_t *c, const PgQuery__SelectStmt *sel, const PgQuery__Node *n)
{
	const PgQuery__RangeVar *rv = NULL, *cand;
	const PgQuery__ColumnRef *cr;
	const char *qual = NULL, *col;
	int ref;
	size_t i;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return -1;
	cr = n->column_ref;
	if (cr->n_fields < 1 || cr->n_fields > 2 ||
	    cr->fields[cr->n_fields - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return -1;
	if (cr->n_fields == 2) {
		if (cr->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
			return -1;
		qual = cr->fields[0]->string->sval;
	}
	col = cr->fields[cr->n_fields - 1]->string->sval;
	/* Unqualified: only when FROM has exactly one item, a relation. */
	if (qual == NULL && sel->n_from_clause != 1)
		return -1;
	for (i = 0; i < sel->n_from_clause; i++) {
		cand = from_rangevar(sel->from_clause[i]);
		if (cand == NULL)
			continue;
		if (qual == NULL ||
		    strcmp(cand->alias != NULL ? cand->alias->aliasname : cand->relname, qual) == 0)
			rv = cand;
	}
	if (rv == NULL || (ref = ref_of_rangevar(c, rv)) < 0)
		return -1;
	return c->specs[c->refs[ref].table].column != NULL &&
	                       strcmp(c->specs[c->refs[ref].table].column, col) == 0
	               ? ref
	               : -1;
}

/* INSERT ... SELECT: what its rows' sharding column gets, when the select
 * list says it plainly (sql_stmt_t.select_key_*). `key_col`: the key's
 * place in the table (INSERT without a column list), -1 unknown. */
static int insert_select_key(sqa_ctx_t *c, const PgQuery__InsertStmt *s, const char *key, int key_col)
{
	const PgQuery__SelectStmt *sel;
	const PgQuery__Node *item;
	int pos;
	size_t i;

	c->st->select_key_ref = -1;
	if (key == NULL || s->select_stmt == NULL ||
	    s->select_stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return 0;
	sel = s->select_stmt->select_stmt;
	if (sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE || sel->n_values_lists > 0)
		return 0;
	pos = s->n_cols == 0 ? key_col : insert_key_pos(s, key);
	if (pos < 0 || (size_t)pos >= sel->n_target_list)
		return 0;
	/* A '*' in the select list moves every item after it. */
	for (i = 0; i < sel->n_target_list; i++) {
		const PgQuery__Node *v = sel->target_list[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET
		                                 ? sel->target_list[i]->res_target->val
		                                 : NULL;
		if (v == NULL ||
		    (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields > 0 &&
		     v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
		             PG_QUERY__NODE__NODE_A_STAR))
			return 0;
	}
	item = sel->target_list[pos]->res_target->val;
	c->st->select_key_ref = select_key_source(c, sel, item);
	if (c->st->select_key_ref >= 0)
		return 0;
	return key_value(c, item, &c->st->select_key, &c->st->select_key_known);
}

int sqa_insert(sqa_ctx_t *c, const PgQuery__InsertStmt *s, const sqa_ctes_t *ctes)
{
	const PgQuery__SelectStmt *v = NULL;
	const sqa_ctes_t *scope, *vscope;
	sqa_ctes_t mine, vmine;
	sqa_level_t l;
	const char *key;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = s->relation != NULL ? sqa_level_item_rv(c, &l, s->relation, NULL, true) : 0;
	if (rc == 0)
		rc = dml_with(c, s->with_clause, ctes, &mine, &scope);
	if (rc != 0 || l.nitems == 0)
		return rc;
	key = item_key(c, &l.items[0]);
	if (s->select_stmt != NULL && s->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
	    values_only(s->select_stmt->select_stmt))
		v = s->select_stmt->select_stmt;
	/* Only the outermost INSERT of a statement describes its rows */
	if (c->top == s) {
		c->st->no_column_list = s->n_cols == 0;
		c->st->key_col_used = s->n_cols == 0 && key != NULL && item_key_col(c, &l.items[0]) >= 0;
		if (v != NULL) {
			rc = dml_with(c, v->with_clause, scope, &vmine, &vscope);
			if (rc == 0)
				rc = insert_rows(c, s, v, key, item_key_col(c, &l.items[0]), vscope);
		} else {
			c->st->insert_select = true;
			rc = sqa_query(c, s->select_stmt, scope);
			if (rc == 0)
				rc = insert_select_key(c, s, key, item_key_col(c, &l.items[0]));
		}
	} else {
		rc = sqa_query(c, s->select_stmt, scope);
	}
	if (rc == 0 && s->on_conflict_clause != NULL) {
		rc = sqa_walk(c, &s->on_conflict_clause->base, scope);
		if (rc == 0 && c->top == s &&
		    s->on_conflict_clause->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE)
			rc = set_list(c, &l, s->on_conflict_clause->target_list,
			              s->on_conflict_clause->n_target_list, key, true);
	}
	if (rc == 0)
		rc = sqa_walk_list(c, s->returning_list, s->n_returning_list, scope);
	return rc;
}

/* ---- UPDATE, DELETE ---- */

int sqa_update(sqa_ctx_t *c, const PgQuery__UpdateStmt *s, const sqa_ctes_t *ctes)
{
	const sqa_ctes_t *scope;
	sqa_ctes_t mine;
	sqa_level_t l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = s->relation != NULL ? sqa_level_item_rv(c, &l, s->relation, NULL, true) : 0;
	if (rc == 0)
		rc = dml_with(c, s->with_clause, ctes, &mine, &scope);
	for (i = 0; rc == 0 && i < s->n_from_clause; i++)
		rc = sqa_level_from(c, &l, s->from_clause[i], scope);
	if (rc == 0)
		rc = sqa_walk_list(c, s->target_list, s->n_target_list, scope);
	if (rc == 0)
		rc = s->where_clause ? sqa_walk(c, &s->where_clause->base, scope) : 0;
	if (rc == 0)
		rc = sqa_walk_list(c, s->returning_list, s->n_returning_list, scope);
	if (rc == 0)
		rc = sqa_level_qual(c, &l, s->where_clause, 0, l.nitems);
	if (rc == 0)
		rc = sqa_level_finish(c, &l);
	if (rc == 0 && c->top == s && l.nitems > 0)
		rc = set_list(c, &l, s->target_list, s->n_target_list, item_key(c, &l.items[0]), false);
	return rc;
}

int sqa_delete(sqa_ctx_t *c, const PgQuery__DeleteStmt *s, const sqa_ctes_t *ctes)
{
	const sqa_ctes_t *scope;
	sqa_ctes_t mine;
	sqa_level_t l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = s->relation != NULL ? sqa_level_item_rv(c, &l, s->relation, NULL, true) : 0;
	if (rc == 0)
		rc = dml_with(c, s->with_clause, ctes, &mine, &scope);
	for (i = 0; rc == 0 && i < s->n_using_clause; i++)
		rc = sqa_level_from(c, &l, s->using_clause[i], scope);
	if (rc == 0)
		rc = s->where_clause ? sqa_walk(c, &s->where_clause->base, scope) : 0;
	if (rc == 0)
		rc = sqa_walk_list(c, s->returning_list, s->n_returning_list, scope);
	if (rc == 0)
		rc = sqa_level_qual(c, &l, s->where_clause, 0, l.nitems);
	if (rc == 0)
		rc = sqa_level_finish(c, &l);
	return rc;
}

/* ---- COPY ---- */

static bool defelem_bool(const PgQuery__Node *arg)
{
	if (arg == NULL)
		return true; /* HEADER alone */
	switch (arg->node_case) {
	case PG_QUERY__NODE__NODE_BOOLEAN:
		return arg->boolean->boolval;
	case PG_QUERY__NODE__NODE_INTEGER:
		return arg->integer->ival != 0;
	case PG_QUERY__NODE__NODE_STRING:
		/* true/on/yes/1 and HEADER MATCH; anything else is false */
		return strcasecmp(arg->string->sval, "true") == 0 ||
		       strcasecmp(arg->string->sval, "on") == 0 ||
		       strcasecmp(arg->string->sval, "yes") == 0 || strcmp(arg->string->sval, "1") == 0 ||
		       strcasecmp(arg->string->sval, "match") == 0;
	default:
		return false;
	}
}

static const char *defelem_str(const PgQuery__Node *arg)
{
	return arg != NULL && arg->node_case == PG_QUERY__NODE__NODE_STRING ? arg->string->sval : NULL;
}

static int copy_options(sql_stmt_t *st, PgQuery__Node *const *opts, size_t n)
{
	const char *quote = NULL, *escape = NULL, *null = NULL, *delim = NULL, *s;
	size_t i;

	for (i = 0; i < n; i++) {
		const PgQuery__DefElem *d;
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		d = opts[i]->def_elem;
		s = defelem_str(d->arg);
		if (strcmp(d->defname, "format") == 0 && s != NULL) {
			st->copy_csv = strcasecmp(s, "csv") == 0;
			st->copy_binary = strcasecmp(s, "binary") == 0;
		} else if (strcmp(d->defname, "header") == 0) {
			st->copy_header = defelem_bool(d->arg);
		} else if (strcmp(d->defname, "delimiter") == 0) {
			delim = s;
		} else if (strcmp(d->defname, "quote") == 0) {
			quote = s;
		} else if (strcmp(d->defname, "escape") == 0) {
			escape = s;
		} else if (strcmp(d->defname, "null") == 0) {
			null = s;
		}
	}
	st->copy_delimiter = delim != NULL && delim[0] != '\0' ? delim[0] : st->copy_csv ? ',' : '\t';
	st->copy_quote = !st->copy_csv ? '\0' : quote != NULL && quote[0] != '\0' ? quote[0] : '"';
	st->copy_escape = !st->copy_csv                         ? '\\'
	                  : escape != NULL && escape[0] != '\0' ? escape[0]
	                                                        : st->copy_quote;
	if (null == NULL)
		null = st->copy_csv ? "" : "\\N";
	st->copy_null = strdup(null);
	return st->copy_null == NULL ? SG_ENOMEM : 0;
}

int sqa_copy(sqa_ctx_t *c, const PgQuery__CopyStmt *s)
{
	sql_stmt_t *st = c->st;
	bool stdio = s->filename == NULL || s->filename[0] == '\0';
	sqa_level_t l;
	const char *key;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	if (s->is_program)
		stdio = false;
	st->kind = !stdio ? SQLK_OTHER : s->is_from ? SQLK_COPY_FROM : SQLK_COPY_TO;
	st->copy_key_column = -1;
	rc = copy_options(st, s->options, s->n_options);
	if (rc == 0 && s->relation != NULL)
		rc = sqa_level_item_rv(c, &l, s->relation, NULL, s->is_from);
	if (rc == 0 && s->query != NULL)
		rc = sqa_query(c, s->query, NULL);
	if (rc == 0 && s->where_clause != NULL)
		rc = sqa_walk(c, &s->where_clause->base, NULL);
	if (rc != 0 || l.nitems == 0)
		return rc;
	key = item_key(c, &l.items[0]);
	if (key == NULL)
		return 0;
	if (s->n_attlist == 0) {
		/* The table's own column order, when the router knows it. */
		if (item_key_col(c, &l.items[0]) >= 0)
			st->copy_key_column = item_key_col(c, &l.items[0]);
		return 0;
	}
	st->copy_ncolumns = (int)s->n_attlist;
	st->copy_key_column = -2; /* listed columns without the key: it gets its default */
	for (i = 0; i < s->n_attlist; i++) {
		if (s->attlist[i]->node_case == PG_QUERY__NODE__NODE_STRING &&
		    strcmp(s->attlist[i]->string->sval, key) == 0) {
			st->copy_key_column = (int)i;
			break;
		}
	}
	return 0;
}
