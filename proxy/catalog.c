/* catalog.c — what shardgate reads from a shard's catalog.
 *
 * An INSERT without a column list into a sharded table carries its
 * sharding value by position: the value at the sharding column's place
 * among the table's columns (pg_attribute order, dropped columns left
 * out). That place is read once per table from the default shard (every
 * shard has the same tables) and kept in the router until a schema change
 * passes through shardgate (router_layouts_forget) or the configuration
 * is reloaded. The statement waits meanwhile (its client's input stays
 * buffered, ROUTE_WAIT) and is routed again when the answer is in.
 *
 * The lookup is a libpq connection of its own, run on libuv's thread pool
 * (it blocks there, never on the event loop), with the shard's
 * credentials, connect_timeout and a 5 s statement_timeout. Jobs are
 * owned by the `catalog_jobs` list from start to their after-work
 * callback, which runs on the loop. */
#include "catalog.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "router.h"

/* The sharding column's 1-based place among the live columns, or no row
 * when the table or the column does not exist. */
#define CATALOG_KEY_COL_SQL                                                                                  \
	"SELECT (SELECT count(*) FROM pg_attribute b WHERE b.attrelid = a.attrelid AND b.attnum > 0 "        \
	"AND NOT b.attisdropped AND b.attnum <= a.attnum) FROM pg_attribute a "                              \
	"WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped"

typedef struct catalog_job {
	uv_work_t work;
	sg_router_t *router; /* one reference */
	int table;           /* config table index */
	char *conninfo[8];   /* owned: keyword values for libpq, by catalog_keywords */
	char *relname, *column;
	uint64_t *waiters; /* client ids to wake */
	size_t nwaiters, capwaiters;
	int key_col;     /* result: > 0 found, 0 not */
	char error[160]; /* result: why not */
	struct catalog_job *next;
} catalog_job_t;

static const char *const catalog_keywords[] = {
        "host", "port", "dbname", "user", "password", "sslmode", "connect_timeout", "options", NULL};
static catalog_job_t *catalog_jobs;

static void job_free(catalog_job_t *j)
{
	for (size_t i = 0; i < 8; i++)
		free(j->conninfo[i]);
	free(j->relname);
	free(j->column);
	free(j->waiters);
	router_unref(j->router);
	free(j);
}

static int job_add_waiter(catalog_job_t *j, uint64_t id)
{
	uint64_t *w;
	size_t i;

	for (i = 0; i < j->nwaiters; i++)
		if (j->waiters[i] == id)
			return 0;
	if (j->nwaiters == j->capwaiters) {
		w = realloc(j->waiters, (j->capwaiters ? j->capwaiters * 2 : 4) * sizeof(*w));
		if (w == NULL)
			return SG_ENOMEM;
		j->waiters = w;
		j->capwaiters = j->capwaiters ? j->capwaiters * 2 : 4;
	}
	j->waiters[j->nwaiters++] = id;
	return 0;
}

/* On the thread pool: connect, ask, disconnect. */
static void catalog_work(uv_work_t *req)
{
	catalog_job_t *j = req->data;
	const char *params[2] = {j->relname, j->column};
	PGconn *conn;
	PGresult *res;

	conn = PQconnectdbParams(catalog_keywords, (const char *const *)j->conninfo, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(j->error, sizeof(j->error), "could not connect to the shard: %s",
		         PQerrorMessage(conn));
		goto done;
	}
	res = PQexecParams(conn, CATALOG_KEY_COL_SQL, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(j->error, sizeof(j->error), "catalog query failed: %s", PQresultErrorMessage(res));
	else if (PQntuples(res) != 1)
		snprintf(j->error, sizeof(j->error), "the shard has no table %s with a column %s", j->relname,
		         j->column);
	else
		j->key_col = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
done:
	/* libpq's messages end with a newline: not in a log line. */
	j->error[strcspn(j->error, "\n")] = '\0';
	PQfinish(conn);
}

/* Back on the loop: remember the answer and route the waiting statements
 * again. */
static void catalog_done(uv_work_t *req, int status)
{
	catalog_job_t *j = req->data, **pp;
	sg_client_t *c;

	for (pp = &catalog_jobs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (status != 0 && j->error[0] == '\0')
		snprintf(j->error, sizeof(j->error), "lookup cancelled");
	if (j->key_col > 0) {
		router_layout_learnt(j->router, j->table, j->key_col, NULL, router_now_us());
		sg_log(LOG_INFO, "event=table_layout table=%s column=%s position=%d", j->relname, j->column,
		       j->key_col);
	} else {
		router_layout_learnt(j->router, j->table, 0, j->error[0] ? j->error : "unknown",
		                     router_now_us());
		sg_log(LOG_WARN, "event=table_layout_failed table=%s column=%s error=\"%s\"", j->relname,
		       j->column, j->error);
	}
	for (size_t i = 0; i < j->nwaiters; i++) {
		c = client_find(j->waiters[i]);
		if (c != NULL && c->state != CL_CLOSING && !sg_px->shutting_down)
			client_process(c);
	}
	job_free(j);
}

/* libpq's connection parameters for the config's default shard. */
static int job_conninfo(catalog_job_t *j, const config_t *cfg)
{
	const cfg_shard_t *sh = &cfg->shards[router_default_shard(cfg)];
	const cfg_host_t *h = &sh->hosts[0];
	char port[16], timeout[24];
	size_t i;

	for (i = 0; i < sh->nhosts; i++)
		if (sh->hosts[i].role == HOST_PRIMARY) {
			h = &sh->hosts[i];
			break;
		}
	snprintf(port, sizeof(port), "%d", h->port);
	snprintf(timeout, sizeof(timeout), "%lld", (long long)(cfg->pool.connect_timeout_ms + 999) / 1000);
	j->conninfo[0] = strdup(h->host);
	j->conninfo[1] = strdup(port);
	j->conninfo[2] = strdup(sh->database);
	j->conninfo[3] = strdup(sh->user);
	j->conninfo[4] = strdup(sh->password ? sh->password : "");
	j->conninfo[5] = strdup("disable");
	j->conninfo[6] = strdup(timeout);
	j->conninfo[7] = strdup("-c statement_timeout=5000 -c application_name=shardgate_catalog");
	for (i = 0; i < 8; i++)
		if (j->conninfo[i] == NULL)
			return SG_ENOMEM;
	return 0;
}

int catalog_wait_layout(sg_client_t *c, int table)
{
	sg_router_t *r = sg_px->router;
	catalog_job_t *j;
	int err;

	for (j = catalog_jobs; j != NULL; j = j->next)
		if (j->router == r && j->table == table)
			return job_add_waiter(j, c->id);
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SG_ENOMEM;
	j->router = router_ref(r);
	j->table = table;
	j->work.data = j;
	j->relname = strdup(r->cfg->tables[table].name);
	j->column = strdup(r->cfg->tables[table].column ? r->cfg->tables[table].column : "");
	err = j->relname == NULL || j->column == NULL ? SG_ENOMEM : job_conninfo(j, r->cfg);
	if (err == 0)
		err = job_add_waiter(j, c->id);
	if (err == 0)
		err = uv_queue_work(sg_px->loop, &j->work, catalog_work, catalog_done);
	if (err != 0) {
		job_free(j);
		return err < 0 && err != SG_ENOMEM ? SG_EIO : err;
	}
	j->next = catalog_jobs;
	catalog_jobs = j;
	log_client(c, LOG_INFO, "waiting for the column order of %s (INSERT without a column list)",
	           j->relname);
	return 0;
}
