/* merge_plan.c — sql_merge_plan_build(): which merge a SELECT needs, the
 * statement the shards run instead, and the refusals.
 *
 * The whole build (parse, checks, rewrite, deparse) runs on a large-stack
 * thread (sql_thread.h): libpg_query and protobuf-c recurse per nesting
 * level. CONCAT and SORTED are planned here, GROUPED in
 * merge_plan_grouped.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "merge_plan_int.h"
#include "sql_thread.h"

#define SUBQUERY_REFUSAL "a subquery with aggregates, DISTINCT or LIMIT"

/* ---- the check walk: refusals anywhere in the statement ---- */

static bool in_union_chain(const mp_ctx_t *c, const ProtobufCMessage *m)
{
	int i;

	for (i = 0; i < c->nunion; i++)
		if ((const ProtobufCMessage *)c->union_chain[i] == m)
			return true;
	return false;
}

static bool is_setop(const PgQuery__SelectStmt *s)
{
	return s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	       s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED;
}

static const char *setop_name(const PgQuery__SelectStmt *s)
{
	switch (s->op) {
	case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
		return "INTERSECT";
	case PG_QUERY__SET_OPERATION__SETOP_EXCEPT:
		return "EXCEPT";
	default:
		return "UNION";
	}
}

/* A subquery's rows are per shard: anything that summarises them or
 * picks some of them would see one shard's rows, not all. */
static int check_subquery(mp_ctx_t *c, const PgQuery__SelectStmt *s)
{
	if (is_setop(s) && !(s->op == PG_QUERY__SET_OPERATION__SETOP_UNION && s->all))
		return mp_refuse(c, "a subquery with %s", setop_name(s));
	if (s->n_group_clause > 0 || s->n_distinct_clause > 0 || s->having_clause != NULL ||
	    s->limit_count != NULL || s->limit_offset != NULL)
		return mp_refuse(c, SUBQUERY_REFUSAL);
	return 0;
}

/* What PostgreSQL accepts as a type modifier; libpg_query's deparser
 * silently drops anything else (x::t(1 + 1) comes out as x::t()), and
 * PostgreSQL refuses it anyway. */
static bool typmods_simple(const PgQuery__TypeName *t)
{
	size_t i;

	for (i = 0; i < t->n_typmods; i++)
		switch (t->typmods[i]->node_case) {
		case PG_QUERY__NODE__NODE_A_CONST:
		case PG_QUERY__NODE__NODE_COLUMN_REF:
		case PG_QUERY__NODE__NODE_PARAM_REF:
			break;
		default:
			return false;
		}
	return true;
}

static int check_visit(void *arg, const ProtobufCMessage *m, bool enter)
{
	mp_ctx_t *c = arg;
	const PgQuery__FuncCall *f;
	sql_agg_kind_t kind;

	if (m->descriptor == &pg_query__select_stmt__descriptor) {
		if (in_union_chain(c, m))
			return 0;
		c->depth += enter ? 1 : -1;
		return enter && c->depth > 1 ? check_subquery(c, (const PgQuery__SelectStmt *)m) : 0;
	}
	if (!enter)
		return 0;
	/* $0 (or a number that wrapped below 1): libpg_query deparses it as
	 * `?` or `$-n`, which no shard can parse; PostgreSQL rejects it anyway */
	if (m->descriptor == &pg_query__param_ref__descriptor && ((const PgQuery__ParamRef *)m)->number < 1)
		return mp_refuse(c, "parameter $%d", ((const PgQuery__ParamRef *)m)->number);
	if (m->descriptor == &pg_query__type_name__descriptor &&
	    !typmods_simple((const PgQuery__TypeName *)m))
		return mp_refuse(c, "type modifiers must be simple constants or identifiers");
	if (m->descriptor == &pg_query__grouping_func__descriptor)
		return mp_refuse(c, "GROUPING");
	if (m->descriptor != &pg_query__func_call__descriptor)
		return 0;
	f = (const PgQuery__FuncCall *)m;
	if (f->over != NULL)
		return mp_refuse(c, "window functions");
	if (!mp_is_agg(f))
		return 0;
	if (c->depth > 1)
		return mp_refuse(c, SUBQUERY_REFUSAL);
	if (c->nunion > 0)
		return mp_refuse(c, "UNION ALL of a query with aggregates, DISTINCT, ORDER BY or LIMIT");
	c->has_agg = true;
	return mp_agg_kind(c, f, &kind);
}

/* A top UNION ALL: its own nodes and branches are checked as the
 * statement (each branch's rows simply add up); anything per branch that
 * summarises or orders does not. */
static int union_collect(mp_ctx_t *c, PgQuery__SelectStmt *s, bool top)
{
	int rc;

	if (is_setop(s) && !(s->op == PG_QUERY__SET_OPERATION__SETOP_UNION && s->all))
		return mp_refuse(c, "%s", setop_name(s));
	if (top && (s->n_sort_clause > 0 || s->limit_count != NULL || s->limit_offset != NULL))
		return mp_refuse(c, "UNION ALL with ORDER BY, LIMIT or OFFSET");
	if (!top && (s->n_group_clause > 0 || s->n_distinct_clause > 0 || s->having_clause != NULL ||
	             s->n_sort_clause > 0 || s->limit_count != NULL || s->limit_offset != NULL))
		return mp_refuse(c, "UNION ALL of a query with aggregates, DISTINCT, ORDER BY or LIMIT");
	if (s->n_locking_clause > 0)
		return mp_refuse(c, "FOR UPDATE");
	rc = mp_grow(c, (void **)&c->union_chain, c->nunion, &c->nunion_cap, sizeof(*c->union_chain));
	if (rc != 0)
		return rc;
	c->union_chain[c->nunion++] = s;
	if (!is_setop(s))
		return 0;
	if (s->larg == NULL || s->rarg == NULL)
		return mp_refuse(c, "UNION");
	rc = union_collect(c, s->larg, false);
	return rc != 0 ? rc : union_collect(c, s->rarg, false);
}

static const char *lock_name(const PgQuery__Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE)
		return "FOR UPDATE";
	switch (n->locking_clause->strength) {
	case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORKEYSHARE:
		return "FOR KEY SHARE";
	case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORSHARE:
		return "FOR SHARE";
	case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORNOKEYUPDATE:
		return "FOR NO KEY UPDATE";
	default:
		return "FOR UPDATE";
	}
}

static int check_top(mp_ctx_t *c)
{
	const PgQuery__SelectStmt *s = c->sel;
	size_t i;

	if (s->into_clause != NULL)
		return mp_refuse(c, "SELECT INTO");
	if (s->n_locking_clause > 0)
		return mp_refuse(c, "%s", lock_name(s->locking_clause[0]));
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return mp_refuse(c, "WITH TIES");
	/* SELECT DISTINCT is a list of one empty node; DISTINCT ON lists expressions */
	for (i = 0; i < s->n_distinct_clause; i++)
		if (s->distinct_clause[i] != NULL &&
		    s->distinct_clause[i]->node_case != PG_QUERY__NODE__NODE__NOT_SET)
			return mp_refuse(c, "DISTINCT ON");
	for (i = 0; i < s->n_group_clause; i++)
		if (s->group_clause[i]->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
			switch (s->group_clause[i]->grouping_set->kind) {
			case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_ROLLUP:
				return mp_refuse(c, "ROLLUP");
			case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE:
				return mp_refuse(c, "CUBE");
			default:
				return mp_refuse(c, "GROUPING SETS");
			}
		}
	return 0;
}

/* ---- LIMIT / OFFSET ---- */

static int limit_parse(mp_ctx_t *c, const PgQuery__Node *n, const char *what, int64_t *val, int *param)
{
	const PgQuery__AConst *k;
	char *end;
	long long v;

	if (n == NULL)
		return 0;
	if (n->node_case == PG_QUERY__NODE__NODE_PARAM_REF && n->param_ref->number > 0) {
		*param = n->param_ref->number;
		return 0;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return mp_refuse(c, "%s expression", what);
	k = n->a_const;
	if (k->isnull)
		return 0; /* LIMIT ALL, LIMIT NULL, OFFSET NULL */
	if (k->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		v = k->ival->ival;
	} else if (k->val_case == PG_QUERY__A__CONST__VAL_FVAL && k->fval->fval != NULL) {
		errno = 0;
		v = strtoll(k->fval->fval, &end, 10);
		if (errno != 0 || *end != '\0' || end == k->fval->fval)
			return mp_refuse(c, "%s expression", what);
	} else {
		return mp_refuse(c, "%s expression", what);
	}
	if (v < 0)
		return mp_refuse(c, "a negative %s", what);
	*val = v;
	return 0;
}

static int limits_parse(mp_ctx_t *c)
{
	sql_merge_plan_t *p = c->plan;
	int rc;

	rc = limit_parse(c, c->sel->limit_count, "LIMIT", &p->limit, &p->limit_param);
	if (rc == 0)
		rc = limit_parse(c, c->sel->limit_offset, "OFFSET", &p->offset, &p->offset_param);
	return rc;
}

/* OFFSET (0 * $a::bigint + 0 * $b::bigint): no offset, but the shard
 * statement still names the parameters the LIMIT/OFFSET it lost did, so
 * it takes the client's Bind unchanged (same count, same types). NULL
 * when there are none. */
static PgQuery__Node *param_keeper(mp_ctx_t *c, int a, int b, bool *oom)
{
	PgQuery__Node *e = NULL, *t;
	int params[2] = {a, b}, i;

	if (a == b)
		params[1] = 0;
	for (i = 0; i < 2; i++) {
		if (params[i] <= 0)
			continue;
		t = mp_binop(c, "*", mp_const_int(c, 0), mp_param_int8(c, params[i]));
		e = e == NULL ? t : mp_binop(c, "+", e, t);
		if (e == NULL)
			*oom = true;
	}
	return e;
}

int mp_limit_grouped(mp_ctx_t *c, PgQuery__SelectStmt *out)
{
	bool oom = false;

	out->limit_count = NULL;
	out->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	out->limit_offset = param_keeper(c, c->plan->limit_param, c->plan->offset_param, &oom);
	return oom ? SG_ENOMEM : 0;
}

/* CONCAT/SORTED: every shard returns its first limit+offset rows. */
static int limit_shard(mp_ctx_t *c, PgQuery__SelectStmt *out)
{
	const sql_merge_plan_t *p = c->plan;
	PgQuery__Node *l, *o;
	bool oom = false;

	out->limit_offset = NULL;
	if (p->limit < 0 && p->limit_param == 0) {
		out->limit_count = NULL;
		out->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
		out->limit_offset = param_keeper(c, 0, p->offset_param, &oom);
		return oom ? SG_ENOMEM : 0;
	}
	if (p->offset == 0 && p->offset_param == 0)
		return 0; /* the LIMIT as written */
	out->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_COUNT;
	if (p->limit_param == 0 && p->offset_param == 0) {
		/* beyond int8 no shard can return that many rows anyway */
		out->limit_count =
		        p->limit > INT64_MAX - p->offset ? NULL : mp_const_int(c, p->limit + p->offset);
		return p->limit > INT64_MAX - p->offset || out->limit_count != NULL ? 0 : SG_ENOMEM;
	}
	/* $n::bigint keeps the parameter's type what LIMIT/OFFSET made it; a
	 * NULL (no limit) stays NULL through the sum */
	l = p->limit_param > 0 ? mp_param_int8(c, p->limit_param) : mp_const_int(c, p->limit);
	o = p->offset_param > 0 ? mp_param_int8(c, p->offset_param) : mp_const_int(c, p->offset);
	out->limit_count = mp_binop(c, "+", l, o);
	return out->limit_count != NULL ? 0 : SG_ENOMEM;
}

/* ---- deparse ---- */

int mp_deparse(mp_ctx_t *c, PgQuery__SelectStmt *s, char **out)
{
	PgQuery__ParseResult pr = PG_QUERY__PARSE_RESULT__INIT;
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT, *stmts[1] = {&raw};
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	PgQueryDeparseResult d;
	PgQueryProtobuf pb;
	int rc = 0;

	node.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	node.select_stmt = s;
	raw.stmt = &node;
	pr.version = c->version;
	pr.n_stmts = 1;
	pr.stmts = stmts;
	pb.len = pg_query__parse_result__get_packed_size(&pr);
	pb.data = malloc(pb.len > 0 ? pb.len : 1);
	if (pb.data == NULL)
		return SG_ENOMEM;
	pg_query__parse_result__pack(&pr, (uint8_t *)pb.data);
	d = pg_query_deparse_protobuf(pb);
	free(pb.data);
	if (d.error != NULL) {
		/* a tree this file built that PostgreSQL cannot print: our bug */
		rc = mp_refuse(c, "the statement (could not rewrite it: %s)",
		               d.error->message != NULL ? d.error->message : "deparse failed");
	} else if (d.query == NULL || (*out = strdup(d.query)) == NULL) {
		rc = SG_ENOMEM;
	}
	pg_query_free_deparse_result(d);
	return rc;
}

/* ---- sort keys ---- */

int mp_sort_key(mp_ctx_t *c, const PgQuery__SortBy *s, sql_sort_key_t *k, PgQuery__Node **expr)
{
	PgQuery__Node *n = s->node;
	const PgQuery__CollateClause *cc;
	const char *coll;

	memset(k, 0, sizeof(*k));
	if (s->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING || s->n_use_op > 0)
		return mp_refuse(c, "ORDER BY USING");
	k->desc = s->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
	if (s->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST)
		k->nulls_first = true;
	else if (s->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST)
		k->nulls_first = false;
	else
		k->nulls_first = k->desc;
	if (n != NULL && n->node_case == PG_QUERY__NODE__NODE_COLLATE_CLAUSE) {
		cc = n->collate_clause;
		coll = cc->n_collname > 0 && cc->collname[cc->n_collname - 1]->node_case ==
		                                     PG_QUERY__NODE__NODE_STRING
		               ? cc->collname[cc->n_collname - 1]->string->sval
		               : "";
		if (strlen(coll) >= sizeof(k->collation))
			return mp_refuse(c, "a COLLATE name longer than %zu bytes", sizeof(k->collation) - 1);
		strcpy(k->collation, coll);
		n = cc->arg;
	}
	*expr = n;
	return 0;
}

static const char *bare_name(const PgQuery__Node *n)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1 ||
	    n->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return n->column_ref->fields[0]->string->sval;
}

/* ORDER BY x names the output column called x before any input column
 * (SQL92 rule PostgreSQL keeps). */
int mp_target_by_name(mp_ctx_t *c, const PgQuery__Node *n, int ntargets)
{
	const char *name = bare_name(n);
	int i;

	for (i = 0; name != NULL && i < ntargets; i++) {
		const PgQuery__ResTarget *t = c->sel->target_list[i]->res_target;
		if (!mp_is_star(t) && strcmp(mp_target_name(t), name) == 0)
			return i;
	}
	return -1;
}

static bool int_const(const PgQuery__Node *n, int *v)
{
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
		return false;
	*v = n->a_const->ival->ival;
	return true;
}

/* ---- SORTED ---- */

static int hidden_add(mp_ctx_t *c, PgQuery__Node *e, int *col)
{
	int h, rc;

	for (h = 0; h < c->nhidden; h++)
		if (mp_node_equal(c->hidden[h], e)) {
			*col = -(h + 1);
			return 0;
		}
	rc = mp_grow(c, (void **)&c->hidden, c->nhidden, &c->hcap, sizeof(*c->hidden));
	if (rc != 0)
		return rc;
	c->hidden[c->nhidden++] = e;
	*col = -c->nhidden;
	return 0;
}

/* The shard output column of one ORDER BY item: a visible one (known
 * only before the first `*`, whose width the planner cannot know) or a
 * hidden one appended to the target list. */
static int sorted_key(mp_ctx_t *c, const PgQuery__SortBy *s, sql_sort_key_t *k, int star_at)
{
	int n = (int)c->sel->n_target_list, known = star_at >= 0 ? star_at : n, i, j, pos, rc;
	PgQuery__Node *e;

	rc = mp_sort_key(c, s, k, &e);
	if (rc != 0)
		return rc;
	if (int_const(e, &pos)) {
		/* a position counts output columns, `*` expanded: the shard's index */
		if (pos < 1 || (star_at < 0 && pos > n))
			return mp_refuse(c, "ORDER BY position %d is not in select list", pos);
		k->col = pos - 1;
		return 0;
	}
	i = mp_target_by_name(c, e, n);
	for (j = 0; i < 0 && j < n; j++)
		if (!mp_is_star(c->sel->target_list[j]->res_target) &&
		    mp_node_equal(c->sel->target_list[j]->res_target->val, e))
			i = j;
	if (i >= 0 && i < known) {
		k->col = i;
		return 0;
	}
	/* after a `*`: the target's own expression, hidden */
	return hidden_add(c, i >= 0 ? c->sel->target_list[i]->res_target->val : s->node, &k->col);
}

static int star_index(const PgQuery__SelectStmt *s)
{
	size_t i;

	for (i = 0; i < s->n_target_list; i++)
		if (mp_is_star(s->target_list[i]->res_target))
			return (int)i;
	return -1;
}

static bool has_offset(const sql_merge_plan_t *p)
{
	return p->offset > 0 || p->offset_param > 0;
}

static int sorted_build(mp_ctx_t *c, const char *sql)
{
	sql_merge_plan_t *p = c->plan;
	PgQuery__SelectStmt out = *c->sel;
	int star_at = star_index(c->sel), rc = 0, h;
	size_t i, n = c->sel->n_target_list;
	char name[32];

	p->mode = SQL_MERGE_SORTED;
	p->keys = calloc(c->sel->n_sort_clause, sizeof(*p->keys));
	if (p->keys == NULL)
		return SG_ENOMEM;
	for (i = 0; rc == 0 && i < c->sel->n_sort_clause; i++, p->nkeys++)
		rc = sorted_key(c, c->sel->sort_clause[i]->sort_by, &p->keys[i], star_at);
	if (rc != 0)
		return rc;
	p->nhidden = c->nhidden;
	if (c->nhidden == 0 && !has_offset(p))
		return (p->shard_sql = strdup(sql)) != NULL ? 0 : SG_ENOMEM;
	out.target_list = mp_alloc(c, (n + (size_t)c->nhidden) * sizeof(*out.target_list));
	if (out.target_list == NULL)
		return SG_ENOMEM;
	memcpy(out.target_list, c->sel->target_list, n * sizeof(*out.target_list));
	for (h = 0; h < c->nhidden; h++) {
		snprintf(name, sizeof(name), "__sg_sort_%d", h);
		if ((out.target_list[n + (size_t)h] = mp_target(c, name, c->hidden[h])) == NULL)
			return SG_ENOMEM;
	}
	out.n_target_list = n + (size_t)c->nhidden;
	rc = limit_shard(c, &out);
	return rc != 0 ? rc : mp_deparse(c, &out, &p->shard_sql);
}

static int concat_build(mp_ctx_t *c, const char *sql)
{
	PgQuery__SelectStmt out = *c->sel;
	int rc;

	c->plan->mode = SQL_MERGE_CONCAT;
	if (!has_offset(c->plan))
		return (c->plan->shard_sql = strdup(sql)) != NULL ? 0 : SG_ENOMEM;
	rc = limit_shard(c, &out);
	return rc != 0 ? rc : mp_deparse(c, &out, &c->plan->shard_sql);
}

/* ---- entry ---- */

static int plan_stmt(mp_ctx_t *c, const char *sql)
{
	PgQuery__SelectStmt *s = c->sel;
	int rc;

	if (is_setop(s)) {
		rc = union_collect(c, s, true);
		c->depth = 1;
		if (rc == 0)
			rc = mp_walk((const ProtobufCMessage *)s, check_visit, c);
		if (rc == 0)
			c->plan->mode = SQL_MERGE_CONCAT;
		return rc != 0 ? rc : (c->plan->shard_sql = strdup(sql)) != NULL ? 0 : SG_ENOMEM;
	}
	rc = check_top(c);
	if (rc == 0)
		rc = mp_walk((const ProtobufCMessage *)s, check_visit, c);
	if (rc == 0)
		rc = limits_parse(c);
	if (rc != 0)
		return rc;
	if (c->has_agg || s->n_group_clause > 0 || s->n_distinct_clause > 0 || s->having_clause != NULL)
		return mp_grouped_build(c);
	if (s->n_sort_clause > 0)
		return sorted_build(c, sql);
	return concat_build(c, sql);
}

static int plan_tree(mp_ctx_t *c, const PgQueryProtobuf *pb, const char *sql)
{
	PgQuery__ParseResult *pr;
	const PgQuery__Node *st;
	int rc;

	pr = pg_query__parse_result__unpack(NULL, pb->len, (const uint8_t *)pb->data);
	if (pr == NULL)
		return SG_ENOMEM;
	c->version = pr->version;
	st = pr->n_stmts == 1 && pr->stmts[0] != NULL ? pr->stmts[0]->stmt : NULL;
	if (pr->n_stmts != 1)
		rc = mp_refuse(c, "several statements");
	else if (st == NULL || st->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		rc = mp_refuse(c, "a statement other than SELECT");
	else {
		c->sel = st->select_stmt;
		rc = plan_stmt(c, sql);
	}
	pg_query__parse_result__free_unpacked(pr, NULL);
	return rc;
}

typedef struct plan_job {
	const char *sql;
	sql_merge_plan_t *plan;
	char *err;
	size_t errlen;
	int rc;
} plan_job_t;

static void *plan_thread(void *arg)
{
	plan_job_t *job = arg;
	PgQueryProtobufParseResult res;
	mp_ctx_t c;

	memset(&c, 0, sizeof(c));
	c.err = job->err;
	c.errlen = job->errlen;
	c.plan = job->plan;
	res = pg_query_parse_protobuf(job->sql);
	if (res.error != NULL) {
		if (job->errlen > 0)
			snprintf(job->err, job->errlen, "%s",
			         res.error->message != NULL ? res.error->message : "syntax error");
		job->rc = SG_EPROTO;
	} else {
		job->rc = plan_tree(&c, &res.parse_tree, job->sql);
	}
	pg_query_free_protobuf_parse_result(res);
	mp_arena_free(&c);
	return NULL;
}

int sql_merge_plan_build(const char *sql, sql_merge_plan_t **out, char *err, size_t errlen)
{
	plan_job_t job = {.sql = sql, .err = err, .errlen = errlen, .rc = SG_ENOMEM};
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		job.errlen = 0;
	if (out == NULL)
		return SG_EPROTO;
	*out = NULL;
	if (sql == NULL)
		return SG_EPROTO;
	job.plan = calloc(1, sizeof(*job.plan));
	if (job.plan == NULL)
		return SG_ENOMEM;
	job.plan->limit = -1;
	rc = sql_thread_run(plan_thread, &job);
	if (rc == 0)
		rc = job.rc;
	if (rc != 0) {
		sql_merge_plan_free(job.plan);
		return rc;
	}
	*out = job.plan;
	return 0;
}

void sql_merge_plan_free(sql_merge_plan_t *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ncols; i++)
		free(p->cols[i].name);
	free(p->cols);
	free(p->keys);
	mp_having_free(p->having);
	free(p->shard_sql);
	free(p->final_sql);
	free(p->final_params);
	free(p);
}
