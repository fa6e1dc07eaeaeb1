/* analyze_query.c — query levels: SELECT, FROM scopes, CTEs, and the
 * generic walk that finds every nested query and relation.
 *
 * Each SELECT (and each UPDATE/DELETE, in analyze_dml.c) is one level:
 * its FROM items and the quals that filter them. A subquery, in FROM or
 * in an expression, is a level of its own; references from it to outer
 * levels never constrain anything (conservative). Parts of the tree the
 * shapes below do not know (DDL, utility statements, expressions) are
 * walked through protobuf-c's descriptors, so no relation or subquery is
 * missed whatever node holds it. */
#include <string.h>

#include "analyze_int.h"
#include "errors.h"
#include "sql_aggs.h"

int sqa_spec_find(const sqa_ctx_t *c, const char *schema, const char *rel)
{
	int best = -1;
	size_t i;

	for (i = 0; i < c->nspecs; i++) {
		const sqa_spec_t *s = &c->specs[i];
		if (strcmp(s->rel, rel) != 0)
			continue;
		if (s->schema == NULL) {
			if (best < 0)
				best = (int)i;
		} else if (schema != NULL && strcmp(s->schema, schema) == 0) {
			return (int)i; /* an exact schema match wins */
		}
	}
	return best;
}

int sqa_ref_add(sqa_ctx_t *c, int table, const char *alias, bool written)
{
	sqa_ref_t *r;

	if (c->nrefs == c->caprefs) {
		size_t cap = c->caprefs ? c->caprefs * 2 : 8;
		r = sqa_alloc(c, cap * sizeof(*r));
		if (r == NULL)
			return SG_ENOMEM;
		if (c->nrefs > 0)
			memcpy(r, c->refs, c->nrefs * sizeof(*r));
		c->refs = r;
		c->caprefs = cap;
	}
	r = &c->refs[c->nrefs];
	memset(r, 0, sizeof(*r));
	r->table = table;
	r->alias = alias;
	r->written = written;
	r->cons.kind = SQLC_NONE;
	return (int)c->nrefs++;
}

const PgQuery__CommonTableExpr *sqa_cte_find(const sqa_ctes_t *ctes, const char *name,
                                             const sqa_ctes_t **where, size_t *index)
{
	const PgQuery__CommonTableExpr *cte;
	size_t i;

	for (; ctes != NULL; ctes = ctes->up) {
		for (i = 0; i < ctes->nvisible; i++) {
			if (ctes->with->ctes[i]->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
				continue;
			cte = ctes->with->ctes[i]->common_table_expr;
			if (strcmp(cte->ctename, name) == 0) {
				*where = ctes;
				*index = i;
				return cte;
			}
		}
	}
	return NULL;
}

static bool cte_visible(const sqa_ctes_t *ctes, const char *name)
{
	const sqa_ctes_t *where;
	size_t i;

	return sqa_cte_find(ctes, name, &where, &i) != NULL;
}

static int level_item(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__RangeVar *rv, const char *name, int ref)
{
	sqa_item_t *it;

	if (l->nitems == l->capitems) {
		size_t cap = l->capitems ? l->capitems * 2 : 4;
		it = sqa_alloc(c, cap * sizeof(*it));
		if (it == NULL)
			return SG_ENOMEM;
		if (l->nitems > 0)
			memcpy(it, l->items, l->nitems * sizeof(*it));
		l->items = it;
		l->capitems = cap;
	}
	it = &l->items[l->nitems++];
	it->rv = rv;
	it->name = name != NULL && name[0] != '\0' ? name : NULL;
	it->ref = ref;
	return 0;
}

int sqa_level_qual(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__Node *expr, size_t lo, size_t hi)
{
	sqa_qual_t *q;

	if (expr == NULL || lo >= hi)
		return 0;
	if (l->nquals == l->capquals) {
		size_t cap = l->capquals ? l->capquals * 2 : 4;
		q = sqa_alloc(c, cap * sizeof(*q));
		if (q == NULL)
			return SG_ENOMEM;
		if (l->nquals > 0)
			memcpy(q, l->quals, l->nquals * sizeof(*q));
		l->quals = q;
		l->capquals = cap;
	}
	l->quals[l->nquals++] = (sqa_qual_t){expr, lo, hi};
	return 0;
}

/* A relation named in FROM (or as a DML target, ctes == NULL: targets
 * are never CTEs). A name not in the spec and not a CTE is a plain table. */
int sqa_level_item_rv(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__RangeVar *rv, const sqa_ctes_t *ctes,
                      bool written)
{
	const char *schema = rv->schemaname[0] != '\0' ? rv->schemaname : NULL;
	const char *alias =
	        rv->alias != NULL && rv->alias->aliasname[0] != '\0' ? rv->alias->aliasname : NULL;
	int t, ref = -1;

	if (schema == NULL && cte_visible(ctes, rv->relname))
		return l == NULL ? 0 : level_item(c, l, NULL, alias ? alias : rv->relname, -1);
	t = sqa_spec_find(c, schema, rv->relname);
	if (t >= 0) {
		ref = sqa_ref_add(c, t, alias, written || c->mark_written);
		if (ref < 0)
			return ref;
	} else {
		c->st->touches_unsharded = true;
	}
	return l == NULL ? 0 : level_item(c, l, rv, alias ? alias : rv->relname, ref);
}

static const char *alias_name(const PgQuery__Alias *a)
{
	return a != NULL ? a->aliasname : NULL;
}

int sqa_walk_list(sqa_ctx_t *c, PgQuery__Node *const *v, size_t n, const sqa_ctes_t *ctes)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		rc = sqa_walk(c, &v[i]->base, ctes);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk_node(sqa_ctx_t *c, const PgQuery__Node *n, const sqa_ctes_t *ctes)
{
	return n == NULL ? 0 : sqa_walk(c, &n->base, ctes);
}

static int from_join(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__JoinExpr *j, const sqa_ctes_t *ctes)
{
	size_t lo = l->nitems, mid, hi, i;
	int rc;

	rc = sqa_level_from(c, l, j->larg, ctes);
	if (rc != 0)
		return rc;
	mid = l->nitems;
	rc = sqa_level_from(c, l, j->rarg, ctes);
	if (rc != 0)
		return rc;
	hi = l->nitems;
	rc = walk_node(c, j->quals, ctes);
	if (rc != 0)
		return rc;
	switch (j->jointype) {
	case PG_QUERY__JOIN_TYPE__JOIN_INNER:
		rc = sqa_level_qual(c, l, j->quals, lo, hi);
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
		rc = sqa_level_qual(c, l, j->quals, mid, hi);
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
		rc = sqa_level_qual(c, l, j->quals, lo, mid);
		break;
	default:
		break; /* FULL: ON filters neither side */
	}
	/* (a JOIN b) AS j hides a and b: only j.col names their columns */
	if (j->alias != NULL)
		for (i = lo; i < hi; i++)
			l->items[i].name = NULL;
	return rc;
}

int sqa_level_from(sqa_ctx_t *c, sqa_level_t *l, const PgQuery__Node *n, const sqa_ctes_t *ctes)
{
	int rc;

	if (n == NULL)
		return 0;
	if (++c->depth > SQA_MAX_DEPTH)
		return SG_ERANGE;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		rc = sqa_level_item_rv(c, l, n->range_var, ctes, false);
		break;
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		rc = from_join(c, l, n->join_expr, ctes);
		break;
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
		rc = sqa_query(c, n->range_subselect->subquery, ctes);
		if (rc == 0)
			rc = level_item(c, l, NULL, alias_name(n->range_subselect->alias), -1);
		break;
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
		rc = sqa_walk(c, &n->base, ctes);
		if (rc == 0)
			rc = level_item(c, l, NULL, alias_name(n->range_function->alias), -1);
		break;
	case PG_QUERY__NODE__NODE_RANGE_TABLE_SAMPLE:
		/* a sample of the table: constraints still hold for its rows */
		rc = sqa_level_from(c, l, n->range_table_sample->relation, ctes);
		if (rc == 0)
			rc = sqa_walk_list(c, n->range_table_sample->args, n->range_table_sample->n_args,
			                   ctes);
		break;
	default:
		rc = sqa_walk(c, &n->base, ctes);
		if (rc == 0)
			rc = level_item(c, l, NULL, NULL, -1);
		break;
	}
	c->depth--;
	return rc;
}

/* Analyses each CTE body with the names it can see: the earlier ones,
 * or all of them under WITH RECURSIVE. */
int sqa_with(sqa_ctx_t *c, const PgQuery__WithClause *w, const sqa_ctes_t *outer, sqa_ctes_t *mine)
{
	size_t i;
	int rc;

	mine->with = w;
	mine->up = outer;
	for (i = 0; i < w->n_ctes; i++) {
		mine->nvisible = w->recursive ? w->n_ctes : i;
		if (w->ctes[i]->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
			continue;
		rc = sqa_query(c, w->ctes[i]->common_table_expr->ctequery, mine);
		if (rc != 0)
			return rc;
	}
	mine->nvisible = w->n_ctes;
	return 0;
}

static bool limit_present(const PgQuery__Node *n)
{
	/* LIMIT ALL is a NULL constant */
	return n != NULL && !(n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull);
}

static void select_flags(sqa_ctx_t *c, const PgQuery__SelectStmt *s)
{
	sql_stmt_t *st = c->st;

	st->has_distinct |= s->n_distinct_clause > 0;
	st->has_group_by |= s->n_group_clause > 0;
	st->has_aggregate |= s->having_clause != NULL;
	st->has_window |= s->n_window_clause > 0;
	st->has_order_by |= s->n_sort_clause > 0;
	st->has_limit |= s->limit_offset != NULL || limit_present(s->limit_count);
	st->for_update |= s->n_locking_clause > 0;
	/* UNION removes duplicates; INTERSECT/EXCEPT compare rows across
	 * inputs: none of them can be merged shard by shard */
	if ((s->op == PG_QUERY__SET_OPERATION__SETOP_UNION && !s->all) ||
	    s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT ||
	    s->op == PG_QUERY__SET_OPERATION__SETOP_EXCEPT)
		st->has_distinct = true;
}

static int select_parts(sqa_ctx_t *c, const PgQuery__SelectStmt *s, const sqa_ctes_t *scope)
{
	PgQuery__Node *single[] = {s->having_clause, s->limit_offset, s->limit_count};
	int rc;

	rc = sqa_walk_list(c, s->target_list, s->n_target_list, scope);
	if (rc == 0)
		rc = sqa_walk_list(c, s->distinct_clause, s->n_distinct_clause, scope);
	if (rc == 0)
		rc = sqa_walk_list(c, s->values_lists, s->n_values_lists, scope);
	if (rc == 0)
		rc = sqa_walk_list(c, s->group_clause, s->n_group_clause, scope);
	if (rc == 0)
		rc = sqa_walk_list(c, s->window_clause, s->n_window_clause, scope);
	if (rc == 0)
		rc = sqa_walk_list(c, s->sort_clause, s->n_sort_clause, scope);
	if (rc == 0)
		rc = sqa_walk_list(c, single, sizeof(single) / sizeof(single[0]), scope);
	if (rc == 0 && s->into_clause != NULL)
		rc = sqa_walk(c, &s->into_clause->base, scope);
	return rc;
}

static int sqa_select(sqa_ctx_t *c, const PgQuery__SelectStmt *s, const sqa_ctes_t *ctes)
{
	sqa_level_t l;
	sqa_ctes_t mine;
	const sqa_ctes_t *scope = ctes;
	size_t i;
	int rc = 0;

	if (s == NULL)
		return 0;
	if (++c->depth > SQA_MAX_DEPTH)
		return SG_ERANGE;
	memset(&l, 0, sizeof(l));
	if (s->with_clause != NULL) {
		rc = sqa_with(c, s->with_clause, ctes, &mine);
		scope = &mine;
	}
	select_flags(c, s);
	if (rc == 0 && s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	    s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
		rc = sqa_select(c, s->larg, scope);
		if (rc == 0)
			rc = sqa_select(c, s->rarg, scope);
		if (rc == 0)
			rc = select_parts(c, s, scope);
		goto out;
	}
	for (i = 0; rc == 0 && i < s->n_from_clause; i++)
		rc = sqa_level_from(c, &l, s->from_clause[i], scope);
	if (rc == 0)
		rc = select_parts(c, s, scope);
	if (rc == 0)
		rc = walk_node(c, s->where_clause, scope);
	if (rc == 0)
		rc = sqa_level_qual(c, &l, s->where_clause, 0, l.nitems);
	if (rc == 0)
		rc = sqa_level_finish(c, &l);
out:
	c->depth--;
	return rc;
}

int sqa_query(sqa_ctx_t *c, const PgQuery__Node *n, const sqa_ctes_t *ctes)
{
	if (n == NULL)
		return 0;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return sqa_select(c, n->select_stmt, ctes);
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return sqa_insert(c, n->insert_stmt, ctes);
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return sqa_update(c, n->update_stmt, ctes);
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return sqa_delete(c, n->delete_stmt, ctes);
	default:
		return sqa_walk(c, &n->base, ctes);
	}
}

/* ---- the generic walk ---- */

static void func_flags(sqa_ctx_t *c, const PgQuery__FuncCall *f)
{
	const PgQuery__Node *last = f->n_funcname > 0 ? f->funcname[f->n_funcname - 1] : NULL;

	if (f->over != NULL) {
		c->st->has_window = true;
		return;
	}
	if (f->agg_star || f->agg_distinct || f->n_agg_order > 0 || f->agg_filter != NULL ||
	    f->agg_within_group ||
	    (last != NULL && last->node_case == PG_QUERY__NODE__NODE_STRING &&
	     sql_agg_is_plain(last->string->sval)))
		c->st->has_aggregate = true;
}

/* Every message-typed field, through the oneof of a Node. */
static int walk_fields(sqa_ctx_t *c, const ProtobufCMessage *m, const sqa_ctes_t *ctes)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	unsigned i;
	size_t j, n;
	int rc;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
			n = *(const size_t *)(base + f->quantifier_offset);
			for (j = 0; j < n; j++) {
				if (v[j] == NULL)
					continue;
				rc = sqa_walk(c, v[j], ctes);
				if (rc != 0)
					return rc;
			}
		} else {
			const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)(base + f->offset);
			if (sub == NULL)
				continue;
			rc = sqa_walk(c, sub, ctes);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int walk_message(sqa_ctx_t *c, const ProtobufCMessage *m, const sqa_ctes_t *ctes)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	sqa_ctes_t mine;
	int rc;

	if (d == &pg_query__select_stmt__descriptor)
		return sqa_select(c, (const PgQuery__SelectStmt *)m, ctes);
	if (d == &pg_query__insert_stmt__descriptor)
		return sqa_insert(c, (const PgQuery__InsertStmt *)m, ctes);
	if (d == &pg_query__update_stmt__descriptor)
		return sqa_update(c, (const PgQuery__UpdateStmt *)m, ctes);
	if (d == &pg_query__delete_stmt__descriptor)
		return sqa_delete(c, (const PgQuery__DeleteStmt *)m, ctes);
	if (d == &pg_query__range_var__descriptor)
		return sqa_level_item_rv(c, NULL, (const PgQuery__RangeVar *)m, ctes, false);
	if (d == &pg_query__with_clause__descriptor)
		return sqa_with(c, (const PgQuery__WithClause *)m, ctes, &mine);
	if (d == &pg_query__sub_link__descriptor) {
		const PgQuery__SubLink *s = (const PgQuery__SubLink *)m;
		rc = walk_node(c, s->testexpr, ctes);
		return rc != 0 ? rc : sqa_query(c, s->subselect, ctes);
	}
	if (d == &pg_query__func_call__descriptor)
		func_flags(c, (const PgQuery__FuncCall *)m);
	return walk_fields(c, m, ctes);
}

int sqa_walk(sqa_ctx_t *c, const ProtobufCMessage *m, const sqa_ctes_t *ctes)
{
	int rc;

	if (m == NULL)
		return 0;
	if (++c->depth > SQA_MAX_DEPTH)
		return SG_ERANGE;
	rc = walk_message(c, m, ctes);
	c->depth--;
	return rc;
}
