/* analyze_rows.c — can a SELECT run on several shards return a row once
 * per shard?
 *
 * Scatter-gather runs a SELECT on every shard it needs and merges the
 * rows. That gives PostgreSQL's answer only if each result row is tied to
 * a row of a sharded table, which lives on exactly one shard. A row made
 * of a replicated table's rows (the same on every shard) or an unsharded
 * table's alone comes back from every shard that runs the statement:
 * `countries c LEFT JOIN orders o` keeps a country without orders once per
 * shard; `countries WHERE code IN (SELECT region FROM orders)` returns a
 * country once per shard holding a matching order.
 *
 * The rule (sql_stmt_t.rows_per_shard_unsafe): the top-level FROM,
 * following inner and cross joins, comma lists, the preserved side of
 * LEFT/RIGHT joins and both sides of FULL joins, must reach a sharded
 * table (a spec entry with a column). A FROM subquery or a CTE reference
 * counts when its own FROM does, recursively; a set operation needs every
 * branch to. Sublinks never count: they only filter or compute values of
 * rows that exist without them. A WITH RECURSIVE reference to the CTE
 * being checked counts (induction: its non-recursive branch must reach a
 * sharded table, and every row of the recursive branch then extends one
 * such row). Data-modifying CTEs: DELETE/UPDATE ... RETURNING rows are
 * rows of their target; INSERT never counts.
 *
 * This is a pass of its own over the FROM trees: the analyzer's walk
 * (analyze_query.c) flattens joins into level items and drops their
 * types. It is bounded: a CTE referenced twice by each of a chain of CTEs
 * would otherwise be checked an exponential number of times. */
#include "analyze_int.h"

/* FROM items, CTE expansions and query levels checked per statement. */
#define ROWS_MAX_STEPS 200000

static const char R_FROM[] =
        "its FROM clause reads no sharded table (a sharded table is read only in a subquery)";
static const char R_OUTER[] = "an outer join keeps rows of a table that is not sharded";
static const char R_SETOP[] = "a UNION/INTERSECT/EXCEPT branch reads no sharded table in its FROM clause";
static const char R_COMPLEX[] = "its FROM clause is too complex to check";

/* The CTEs being checked, innermost first. */
typedef struct rows_active {
	const PgQuery__CommonTableExpr *cte;
	const struct rows_active *up;
} rows_active_t;

typedef struct rows {
	const sqa_ctx_t *c;
	const char *why; /* the first failure met, or NULL */
	unsigned long steps;
	int depth;
	bool exhausted; /* over ROWS_MAX_STEPS or SQA_MAX_DEPTH: unsafe */
} rows_t;

static bool rows_query(rows_t *r, const PgQuery__Node *n, const sqa_ctes_t *ctes, const rows_active_t *act);
static bool rows_select(rows_t *r, const PgQuery__SelectStmt *s, const sqa_ctes_t *ctes,
                        const rows_active_t *act);

static void rows_why(rows_t *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
}

static bool rows_enter(rows_t *r)
{
	if (r->exhausted || ++r->steps > ROWS_MAX_STEPS || r->depth >= SQA_MAX_DEPTH) {
		r->exhausted = true;
		return false;
	}
	r->depth++;
	return true;
}

static bool rows_sharded(const rows_t *r, const PgQuery__RangeVar *rv)
{
	int t = sqa_spec_find(r->c, rv->schemaname[0] != '\0' ? rv->schemaname : NULL, rv->relname);

	return t >= 0 && r->c->specs[t].column != NULL;
}

/* A relation in FROM: a CTE (its body, with the names it sees, as
 * sqa_with analyses it) or a table. */
static bool rows_rv(rows_t *r, const PgQuery__RangeVar *rv, const sqa_ctes_t *ctes, const rows_active_t *act)
{
	const PgQuery__CommonTableExpr *cte = NULL;
	const sqa_ctes_t *where;
	const rows_active_t *a;
	rows_active_t me;
	sqa_ctes_t scope;
	size_t i;

	if (rv->schemaname[0] == '\0')
		cte = sqa_cte_find(ctes, rv->relname, &where, &i);
	if (cte == NULL)
		return rows_sharded(r, rv);
	for (a = act; a != NULL; a = a->up)
		if (a->cte == cte)
			return true; /* recursive reference: see the header */
	scope = *where;
	scope.nvisible = where->with->recursive ? where->with->n_ctes : i;
	me = (rows_active_t){cte, act};
	return rows_query(r, cte->ctequery, &scope, &me);
}

static bool rows_from(rows_t *r, const PgQuery__Node *n, const sqa_ctes_t *ctes, const rows_active_t *act);

static bool rows_join(rows_t *r, const PgQuery__JoinExpr *j, const sqa_ctes_t *ctes, const rows_active_t *act)
{
	bool left = rows_from(r, j->larg, ctes, act), right = rows_from(r, j->rarg, ctes, act);
	bool kept, lost;

	switch (j->jointype) {
	case PG_QUERY__JOIN_TYPE__JOIN_INNER:
		return left || right;
	case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
		kept = left;
		lost = right;
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
		kept = right;
		lost = left;
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_FULL:
		kept = left && right;
		lost = left || right;
		break;
	default:
		return false; /* not written by the grammar: unsure */
	}
	if (!kept && lost)
		rows_why(r, R_OUTER);
	return kept;
}

static bool rows_from(rows_t *r, const PgQuery__Node *n, const sqa_ctes_t *ctes, const rows_active_t *act)
{
	bool ok;

	if (n == NULL || !rows_enter(r))
		return false;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		ok = rows_rv(r, n->range_var, ctes, act);
		break;
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		ok = rows_join(r, n->join_expr, ctes, act);
		break;
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
		ok = rows_query(r, n->range_subselect->subquery, ctes, act);
		break;
	case PG_QUERY__NODE__NODE_RANGE_TABLE_SAMPLE:
		ok = rows_from(r, n->range_table_sample->relation, ctes, act);
		break;
	default:
		ok = false; /* functions, XMLTABLE, JSON_TABLE: rows of their own */
		break;
	}
	r->depth--;
	return ok;
}

static bool rows_select(rows_t *r, const PgQuery__SelectStmt *s, const sqa_ctes_t *ctes,
                        const rows_active_t *act)
{
	const sqa_ctes_t *scope = ctes;
	sqa_ctes_t mine;
	bool ok = false, left, right;
	size_t i;

	if (s == NULL || !rows_enter(r))
		return false;
	if (s->with_clause != NULL) {
		mine = (sqa_ctes_t){s->with_clause, s->with_clause->n_ctes, ctes};
		scope = &mine;
	}
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	    s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
		left = rows_select(r, s->larg, scope, act);
		right = rows_select(r, s->rarg, scope, act);
		if (left != right)
			rows_why(r, R_SETOP);
		ok = left && right;
	} else {
		for (i = 0; !ok && i < s->n_from_clause; i++)
			ok = rows_from(r, s->from_clause[i], scope, act);
	}
	r->depth--;
	return ok;
}

static bool rows_query(rows_t *r, const PgQuery__Node *n, const sqa_ctes_t *ctes, const rows_active_t *act)
{
	if (n == NULL)
		return false;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return rows_select(r, n->select_stmt, ctes, act);
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return n->update_stmt->relation != NULL && rows_sharded(r, n->update_stmt->relation);
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return n->delete_stmt->relation != NULL && rows_sharded(r, n->delete_stmt->relation);
	default:
		return false;
	}
}

void sqa_rows_per_shard(sqa_ctx_t *c, const PgQuery__SelectStmt *s)
{
	rows_t r = {.c = c};
	bool sharded = false;
	size_t i;

	/* No sharded table: the statement never needs several shards. */
	for (i = 0; !sharded && i < c->nrefs; i++)
		sharded = c->specs[c->refs[i].table].column != NULL;
	if (!sharded || rows_select(&r, s, NULL, NULL))
		return;
	c->st->rows_per_shard_unsafe = true;
	c->st->dup_reason = r.exhausted ? R_COMPLEX : r.why != NULL ? r.why : R_FROM;
}
