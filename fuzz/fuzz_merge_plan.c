/* fuzz_merge_plan.c — libFuzzer target for the cross-shard planner
 * (sql/merge_plan*.c; see fuzz/README.md).
 *
 * The input (its first 64 KiB, up to any NUL) is one SELECT's text, given
 * to sql_merge_plan_build. Besides crashes, leaks and out-of-bounds reads
 * it traps on plans that break sql/merge_plan.h's contract: indexes out
 * of range (shard columns, merged columns, final_sql's columns and
 * parameters, sort keys, HAVING), missing texts, and shard or final
 * statements that PostgreSQL's grammar would not take back (a deparse
 * bug). Refusals (SG_ENOTSUP, SG_EPROTO) must come with a message and no
 * plan. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "errors.h"
#include "merge_plan.h"
#include "sql_thread.h"

#define FUZZ_SQL_MAXLEN (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

typedef struct reparse_job {
	const char *sql;
	bool ok;
} reparse_job_t;

/* On the planner's own large-stack thread: a deep statement the planner
 * accepted must not overflow the fuzzer's stack while parsed again. */
static void *reparse_thread(void *arg)
{
	reparse_job_t *job = arg;
	PgQueryParseResult r = pg_query_parse(job->sql);

	job->ok = r.error == NULL;
	pg_query_free_parse_result(r);
	return NULL;
}

static void check_parses(const char *sql)
{
	reparse_job_t job = {.sql = sql, .ok = false};

	if (sql_thread_run(reparse_thread, &job) != 0)
		return; /* no thread: nothing was checked */
	check(job.ok);
}

static void check_having(const sql_merge_plan_t *p, const sql_having_t *h, int depth)
{
	check(h != NULL && depth < 100000);
	switch (h->op) {
	case SQL_HV_AND:
	case SQL_HV_OR:
		check(h->left != NULL && h->right != NULL);
		check_having(p, h->left, depth + 1);
		check_having(p, h->right, depth + 1);
		return;
	case SQL_HV_NOT:
		check(h->left != NULL && h->right == NULL);
		check_having(p, h->left, depth + 1);
		return;
	case SQL_HV_CMP:
		check(h->cmp >= SQL_CMP_EQ && h->cmp <= SQL_CMP_GE);
		check(h->col2 >= -1 && h->col2 < p->ncols && h->param >= 0);
		/* fall through */
	case SQL_HV_ISNULL:
	case SQL_HV_NOTNULL:
		check(h->col >= 0 && h->col < p->ncols);
		return;
	}
	check(false);
}

static void check_col(const sql_merge_plan_t *p, const sql_merge_col_t *c)
{
	check(c->src >= -1 && c->src < p->nshard_cols && c->src2 >= -1 && c->src2 < p->nshard_cols);
	check(c->name != NULL);
	if (c->agg == SQL_AGG_FINAL) {
		check(c->src == -1 && c->final >= 0 && c->final < p->nfinal && p->final_sql != NULL);
		return;
	}
	check(c->agg >= SQL_AGG_NONE && c->agg < SQL_AGG_FINAL && c->src >= 0 && c->final == -1);
	check(c->agg == SQL_AGG_AVG ? c->src2 >= 0 : c->src2 == -1);
}

static void check_plan(const sql_merge_plan_t *p)
{
	int i;

	check(p->shard_sql != NULL);
	check(p->mode >= SQL_MERGE_CONCAT && p->mode <= SQL_MERGE_GROUPED);
	check(p->limit >= -1 && p->offset >= 0 && p->limit_param >= 0 && p->offset_param >= 0);
	check(p->nkeys >= 0 && (p->nkeys == 0 || p->keys != NULL));
	check(p->ncols >= 0 && (p->ncols == 0 || p->cols != NULL));
	for (i = 0; i < p->nkeys; i++) {
		check(memchr(p->keys[i].collation, '\0', sizeof(p->keys[i].collation)) != NULL);
		if (p->mode == SQL_MERGE_GROUPED)
			check(p->keys[i].col >= 0 && p->keys[i].col < p->ncols);
		else
			check(p->keys[i].col >= -p->nhidden);
	}
	if (p->mode != SQL_MERGE_GROUPED) {
		check(p->nhidden >= 0 && p->having == NULL && p->final_sql == NULL);
	} else {
		check(p->nvisible >= 0 && p->nvisible <= p->ncols && p->nshard_cols >= 0);
		for (i = 0; i < p->ncols; i++)
			check_col(p, &p->cols[i]);
		if (p->having != NULL)
			check_having(p, p->having, 0);
	}
	check((p->final_sql != NULL) == (p->nfinal > 0));
	check(p->nfinal_params >= 0 && (p->nfinal_params == 0 || p->final_params != NULL));
	for (i = 0; i < p->nfinal_params; i++)
		check(p->final_params[i] >= 0 && p->final_params[i] < p->ncols);
	check_parses(p->shard_sql);
	if (p->final_sql != NULL)
		check_parses(p->final_sql);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < FUZZ_SQL_MAXLEN ? size : FUZZ_SQL_MAXLEN;
	sql_merge_plan_t *p = (sql_merge_plan_t *)&p; /* must be overwritten */
	char err[256];
	char *sql;
	int rc;

	/* Cut at the first NUL, in a block of exactly that size: ASan then
	 * catches any read past the terminator. */
	n = strnlen((const char *)data, n);
	sql = malloc(n + 1);
	if (sql == NULL)
		return 0;
	memcpy(sql, data, n);
	sql[n] = '\0';
	memset(err, 'x', sizeof(err));
	rc = sql_merge_plan_build(sql, &p, err, sizeof(err));
	if (rc == 0) {
		check(p != NULL);
		check_plan(p);
	} else {
		check(p == NULL && (rc == SG_ENOTSUP || rc == SG_EPROTO || rc == SG_ENOMEM));
		check(memchr(err, '\0', sizeof(err)) != NULL);
		check(rc != SG_ENOTSUP || err[0] != '\0');
	}
	sql_merge_plan_free(p);
	free(sql);
	return 0;
}
