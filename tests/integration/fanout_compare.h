/* fanout_compare.h — how tests/integration/it_fanout.c compares a result
 * of the side under test with the oracle's, and prints both.
 *
 * Included by it_fanout.c only (after it_common.h and fanout_corpus.h).
 * Equal means: same status and command tag, same columns (name, type OID,
 * typmod, format), same number of rows, and the same values byte for byte
 * with the same NULLs, in order (FQ_ORDERED) or as a multiset (rows sorted
 * by their serialized bytes on both sides); FQ_COUNT_ONLY stops after the
 * row count. */
#ifndef SG_IT_FANOUT_COMPARE_H
#define SG_IT_FANOUT_COMPARE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "it_common.h"
#include "fanout_corpus.h"

#define SHOW_ROWS  20 /* rows of each result printed on a difference */
#define SHOW_VALUE 48 /* characters (text) or bytes (binary, as hex) of a value shown */

/* One row serialized: per column a 4-byte big-endian length (0xffffffff
 * for NULL) and the value's bytes. */
typedef struct fr_row {
	unsigned char *buf; /* owned */
	size_t len;
} fr_row_t;

static fr_row_t *rows_serialize(const PGresult *r)
{
	int nrows = PQntuples(r), ncols = PQnfields(r);
	fr_row_t *rows = calloc((size_t)nrows + 1, sizeof(*rows));

	assert_non_null(rows);
	for (int i = 0; i < nrows; i++) {
		size_t len = 0, at = 0;

		for (int j = 0; j < ncols; j++)
			len += 4 + (PQgetisnull(r, i, j) ? 0 : (size_t)PQgetlength(r, i, j));
		rows[i].buf = malloc(len + 1);
		assert_non_null(rows[i].buf);
		rows[i].len = len;
		for (int j = 0; j < ncols; j++) {
			bool null = PQgetisnull(r, i, j);
			uint32_t l = null ? 0xffffffffu : (uint32_t)PQgetlength(r, i, j);

			it_put_u32(rows[i].buf + at, l);
			at += 4;
			if (!null) {
				memcpy(rows[i].buf + at, PQgetvalue(r, i, j), l);
				at += l;
			}
		}
	}
	return rows;
}

static void rows_free(fr_row_t *rows, int n)
{
	for (int i = 0; i < n; i++)
		free(rows[i].buf);
	free(rows);
}

static int row_cmp(const void *a, const void *b)
{
	const fr_row_t *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->buf, y->buf, n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void print_value(const PGresult *r, int i, int j)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, i, j);
	int len = PQgetlength(r, i, j);

	if (PQgetisnull(r, i, j)) {
		printf("NULL");
	} else if (PQfformat(r, j) == 1) {
		printf("\\x");
		for (int k = 0; k < len && k < SHOW_VALUE; k++)
			printf("%02x", v[k]);
		if (len > SHOW_VALUE)
			printf("...(%d bytes)", len);
	} else {
		printf("'%.*s%s'", SHOW_VALUE, (const char *)v, len > SHOW_VALUE ? "..." : "");
	}
}

static void print_row(const PGresult *r, int i)
{
	printf("#     [%d] ", i);
	for (int j = 0; j < PQnfields(r); j++) {
		if (j > 0)
			printf(" | ");
		print_value(r, i, j);
	}
	printf("\n");
}

static void print_result(const char *label, const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		printf("#   %s: %s [%s] %s", label, PQresStatus(st), it_result_sqlstate(r),
		       r ? PQresultErrorMessage(r) : "(no result)\n");
		return;
	}
	printf("#   %s: %s, tag \"%s\", %d rows, columns:", label, PQresStatus(st),
	       PQcmdStatus((PGresult *)r), PQntuples(r));
	for (int j = 0; j < PQnfields(r); j++)
		printf(" %s(oid %u, mod %d, fmt %d)", PQfname(r, j), PQftype(r, j), PQfmod(r, j),
		       PQfformat(r, j));
	printf("\n");
	for (int i = 0; i < PQntuples(r) && i < SHOW_ROWS; i++)
		print_row(r, i);
	if (PQntuples(r) > SHOW_ROWS)
		printf("#     ... %d more rows\n", PQntuples(r) - SHOW_ROWS);
}

/* Compares the rows of two results with the same shape; describes the
 * first difference in why. */
static bool rows_equal(const PGresult *a, const PGresult *b, unsigned flags, char *why, size_t cap)
{
	int n = PQntuples(a);
	fr_row_t *ra, *rb;
	bool same = true;

	if (flags & FQ_COUNT_ONLY)
		return true;
	ra = rows_serialize(a);
	rb = rows_serialize(b);
	if (!(flags & FQ_ORDERED)) {
		qsort(ra, (size_t)n, sizeof(*ra), row_cmp);
		qsort(rb, (size_t)n, sizeof(*rb), row_cmp);
	}
	for (int i = 0; i < n && same; i++) {
		if (row_cmp(&ra[i], &rb[i]) != 0) {
			snprintf(why, cap, "%s row %d differs", (flags & FQ_ORDERED) ? "" : "sorted", i);
			same = false;
		}
	}
	rows_free(ra, n);
	rows_free(rb, n);
	return same;
}

/* True when `got` (the side under test) equals `want` (the oracle). */
static bool results_equal(const PGresult *got, const PGresult *want, unsigned flags, char *why, size_t cap)
{
	ExecStatusType gs = PQresultStatus(got), ws = PQresultStatus(want);

	if (ws != PGRES_TUPLES_OK && ws != PGRES_COMMAND_OK) {
		snprintf(why, cap, "the ORACLE failed (a corpus bug)");
		return false;
	}
	if (gs != ws) {
		snprintf(why, cap, "status %s, the oracle's %s", PQresStatus(gs), PQresStatus(ws));
		return false;
	}
	if (strcmp(PQcmdStatus((PGresult *)got), PQcmdStatus((PGresult *)want)) != 0) {
		snprintf(why, cap, "command tag \"%s\", the oracle's \"%s\"", PQcmdStatus((PGresult *)got),
		         PQcmdStatus((PGresult *)want));
		return false;
	}
	if (PQnfields(got) != PQnfields(want)) {
		snprintf(why, cap, "%d columns, the oracle's %d", PQnfields(got), PQnfields(want));
		return false;
	}
	for (int j = 0; j < PQnfields(got); j++) {
		if (strcmp(PQfname(got, j), PQfname(want, j)) != 0 || PQftype(got, j) != PQftype(want, j) ||
		    PQfmod(got, j) != PQfmod(want, j) || PQfformat(got, j) != PQfformat(want, j)) {
			snprintf(why, cap,
			         "column %d is %s(oid %u, mod %d, fmt %d), the oracle's %s(oid %u, mod %d, "
			         "fmt %d)",
			         j + 1, PQfname(got, j), PQftype(got, j), PQfmod(got, j), PQfformat(got, j),
			         PQfname(want, j), PQftype(want, j), PQfmod(want, j), PQfformat(want, j));
			return false;
		}
	}
	if (PQntuples(got) != PQntuples(want)) {
		snprintf(why, cap, "%d rows, the oracle's %d", PQntuples(got), PQntuples(want));
		return false;
	}
	return rows_equal(got, want, flags, why, cap);
}

#endif
