/* test_final.c — FINAL columns of the GROUPED merge: expressions
 * PostgreSQL evaluates per merged group (round(avg(x), 2), sum(x) - 1).
 * The engine's part is simulated: the test reads each group's parameters,
 * checks them, and hands back the DataRow PostgreSQL would return for
 * final_sql with them (values worked out by hand, as psql prints them). */
#include "group_harness.h"

#define FINAL_COL(f, nm)                                                                                     \
	{                                                                                                    \
		.agg = SQL_AGG_FINAL, .src = -1, .src2 = -1, .name = (char *)(nm), .final = (f)              \
	}

/* Group i's final parameters as "value/format|..." (binary as \x hex). */
static const char *params_text(merge_group_t *g, uint64_t i, int n)
{
	static char out[1024];
	const uint8_t *vals[8];
	int32_t lens[8];
	int16_t fmts[8];
	size_t pos = 0;

	assert_int_equal(merge_group_final_params(g, i, vals, lens, fmts), 0);
	out[0] = 0;
	for (int k = 0; k < n; k++) {
		if (k)
			out[pos++] = '|';
		if (lens[k] < 0) {
			assert_null(vals[k]);
			pos += (size_t)sprintf(out + pos, "NULL");
		} else if (fmts[k]) {
			pos += (size_t)sprintf(out + pos, "\\x");
			for (int b = 0; b < lens[k]; b++)
				pos += (size_t)sprintf(out + pos, "%02x", vals[k][b]);
		} else {
			memcpy(out + pos, vals[k], (size_t)lens[k]);
			pos += (size_t)lens[k];
		}
		pos += (size_t)sprintf(out + pos, "/%d", fmts[k]);
		assert_true(pos < sizeof(out) - 100);
	}
	return out;
}

static int final_set_raw(merge_group_t *g, uint64_t i, int n, const uint8_t *const *vals, const int32_t *lens)
{
	char err[256] = "";
	uint8_t *body;
	wire_frame_t f = data_row_of(n, vals, lens, &body);
	int rc = merge_group_final_set(g, i, &f, err, sizeof(err));

	free(body);
	return rc;
}

/* final_sql's DataRow for group i, text values (NULL: SQL NULL). */
static void final_set(merge_group_t *g, uint64_t i, int n, ...)
{
	const uint8_t *vals[8];
	int32_t lens[8];
	va_list ap;

	va_start(ap, n);
	text_row(n, ap, vals, lens);
	va_end(ap);
	assert_int_equal(final_set_raw(g, i, n, vals, lens), 0);
}

static void having(merge_group_t *g)
{
	char err[256] = "";
	int rc = merge_group_having(g, err, sizeof(err));

	if (rc)
		fail_msg("having: %d %s", rc, err);
}

static void final_desc(merge_group_t *g, const merge_field_t *fields, int n)
{
	char err[256] = "";
	int rc = merge_group_final_desc(g, fields, n, err, sizeof(err));

	if (rc)
		fail_msg("final_desc: %d %s", rc, err);
}

/* SELECT region, round(avg(qty), 2), count(*) FROM t GROUP BY region HAVING count(note) > 0
 * ORDER BY sum(qty) - 1 DESC, 2
 * shard statement: SELECT region, count(*), sum(qty), count(qty), count(note) ... GROUP BY 1
 * final_sql: SELECT round($1, 2) AS "round", $2 - 1  ($1 = avg(qty), $2 = sum(qty)) */
static sql_merge_col_t a_cols[] = {
        COL(SQL_AGG_NONE, 0, -1, NULL),  FINAL_COL(0, NULL), COL(SQL_AGG_COUNT, 1, -1, NULL),
        COL(SQL_AGG_AVG, 2, 3, "avg"),   FINAL_COL(1, NULL), COL(SQL_AGG_SUM, 2, -1, NULL),
        COL(SQL_AGG_COUNT, 4, -1, NULL),
};
static int a_params[] = {3, 5};
static sql_having_t a_having = {
        .op = SQL_HV_CMP, .cmp = SQL_CMP_GT, .col = 6, .col2 = -1, .constant = (char *)"0"};

static sql_merge_plan_t plan_a(sql_sort_key_t *keys, int nkeys)
{
	return (sql_merge_plan_t){.mode = SQL_MERGE_GROUPED,
	                          .cols = a_cols,
	                          .ncols = 7,
	                          .nvisible = 3,
	                          .nshard_cols = 5,
	                          .final_sql = (char *)"SELECT round($1, 2) AS \"round\", $2 - 1",
	                          .final_params = a_params,
	                          .nfinal_params = 2,
	                          .nfinal = 2,
	                          .keys = keys,
	                          .nkeys = nkeys,
	                          .having = &a_having,
	                          .limit = -1};
}

static merge_group_t *group_a(const sql_merge_plan_t *p, bool rows)
{
	merge_field_t f[] = {F("region", 25, -1, 0), F("count", 20, 8, 0), F("sum", 20, 8, 0),
	                     F("count", 20, 8, 0), F("count", 20, 8, 0)};
	merge_group_t *g = mk(p, f, 5, NULL);

	if (!rows)
		return g;
	/* shard 1 */
	add(g, 5, "eu", "2", "7", "2", "1");
	add(g, 5, "us", "1", "3", "1", "0");
	add(g, 5, "asia", "1", NULL, "0", "1");
	/* shard 2 */
	add(g, 5, "eu", "1", "2", "1", "1");
	add(g, 5, "us", "2", "5", "2", "1");
	add(g, 5, NULL, "1", "4", "1", "1");
	/* shard 3: af has no note, HAVING drops it */
	add(g, 5, "asia", "1", NULL, "0", "1");
	add(g, 5, "af", "1", "1", "1", "0");
	add(g, 5, "eu", "1", "1", "1", "0");
	add(g, 5, "oc", "3", "31", "3", "2");
	return g;
}

/* merge_group_final_desc's input: what Describe of final_sql returns, with
 * the formats the engine asked for. */
static const merge_field_t *a_desc(void)
{
	static merge_field_t d[2];

	d[0] = F("round", 1700, -1, 0);
	d[1] = F("?column?", 20, 8, 0);
	return d;
}

/* having, parameters, final values, as the engine would drive them */
static merge_group_t *group_a_final(const sql_merge_plan_t *p)
{
	merge_group_t *g = group_a(p, true);
	uint32_t oids[2] = {0, 0};

	assert_int_equal(merge_group_count(g), 6);
	having(g);
	having(g); /* idempotent */
	assert_int_equal(merge_group_final_count(g), 5);
	merge_group_final_types(g, oids);
	assert_int_equal(oids[0], 1700);
	assert_int_equal(oids[1], 20);
	/* groups in arrival order, af dropped; avg exact with PostgreSQL's scale */
	assert_string_equal(params_text(g, 0, 2), "2.5000000000000000/0|10/0");
	assert_string_equal(params_text(g, 1, 2), "2.6666666666666667/0|8/0");
	assert_string_equal(params_text(g, 2, 2), "NULL/0|NULL/0");
	assert_string_equal(params_text(g, 3, 2), "4.0000000000000000/0|4/0");
	assert_string_equal(params_text(g, 4, 2), "10.3333333333333333/0|31/0");
	final_desc(g, a_desc(), 2);
	final_set(g, 0, 2, "2.50", "9");
	final_set(g, 1, 2, "2.67", "7");
	final_set(g, 2, 2, NULL, NULL);
	final_set(g, 3, 2, "4.00", "3");
	final_set(g, 4, 2, "10.33", "30");
	return g;
}

static void test_final_order_by(void **state)
{
	/* ORDER BY sum(qty) - 1 DESC (NULLS FIRST), round(avg(qty), 2): int8 compared as numbers */
	sql_sort_key_t keys[2] = {{.col = 4, .desc = true, .nulls_first = true}, {.col = 1}};
	sql_merge_plan_t p = plan_a(keys, 2);
	merge_group_t *g = group_a_final(&p);
	merge_field_t fields[32];
	int n = 0;

	row_desc_of(g, fields, &n);
	assert_int_equal(n, 3);
	assert_string_equal(fields[0].name, "region");
	assert_string_equal(fields[1].name, "round");
	assert_int_equal(fields[1].type_oid, 1700);
	assert_int_equal(fields[1].typlen, -1);
	assert_int_equal(fields[1].typmod, -1);
	assert_int_equal(fields[1].table_oid, 0);
	assert_int_equal(fields[1].attnum, 0);
	assert_int_equal(fields[1].format, 0);
	assert_string_equal(fields[2].name, "count");
	assert_int_equal(fields[2].type_oid, 20);
	assert_string_equal(run(g, -1, 0), "asia|NULL|2\n"
	                                   "oc|10.33|3\n"
	                                   "eu|2.50|4\n"
	                                   "us|2.67|3\n"
	                                   "NULL|4.00|1\n");
	merge_group_free(g);

	/* ORDER BY round(avg(qty), 2) DESC NULLS LAST: numeric, not text order */
	keys[0] = (sql_sort_key_t){.col = 1, .desc = true, .nulls_first = false};
	p = plan_a(keys, 1);
	g = group_a_final(&p);
	assert_string_equal(run(g, -1, 0), "oc|10.33|3\n"
	                                   "NULL|4.00|1\n"
	                                   "us|2.67|3\n"
	                                   "eu|2.50|4\n"
	                                   "asia|NULL|2\n");
	merge_group_free(g);

	/* ... LIMIT 2 OFFSET 1 */
	g = group_a_final(&p);
	assert_string_equal(run(g, 2, 1), "NULL|4.00|1\nus|2.67|3\n");
	merge_group_free(g);

	/* ... OFFSET past the end */
	g = group_a_final(&p);
	assert_string_equal(run(g, -1, 5), "");
	merge_group_free(g);
}

/* No row on any shard: no group, yet the RowDescription needs final_sql's types. */
static void test_final_no_groups(void **state)
{
	sql_sort_key_t key = {.col = 4, .desc = true, .nulls_first = true};
	sql_merge_plan_t p = plan_a(&key, 1);
	merge_group_t *g = group_a(&p, false);
	merge_field_t fields[32];
	wbuf_t b;
	int n = 0;

	wbuf_init(&b);
	assert_int_equal(merge_group_row_desc(g, &b), SG_EPROTO); /* types not known yet */
	wbuf_free(&b);
	having(g);
	assert_int_equal(merge_group_final_count(g), 0);
	final_desc(g, a_desc(), 2);
	row_desc_of(g, fields, &n);
	assert_int_equal(n, 3);
	assert_string_equal(fields[1].name, "round");
	assert_int_equal(fields[1].type_oid, 1700);
	assert_string_equal(run(g, -1, 0), "");
	merge_group_free(g);
}

/* SELECT coalesce(round(avg(x), 2), count(x)) AS v FROM t: a global aggregate, one row even
 * over no rows; final_sql: SELECT coalesce(round($1, 2), $2) */
static void test_final_global(void **state)
{
	sql_merge_col_t cols[] = {FINAL_COL(0, "v"), COL(SQL_AGG_AVG, 0, 1, "avg"),
	                          COL(SQL_AGG_COUNT, 1, -1, NULL)};
	int params[] = {1, 2};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 3,
	                      .nvisible = 1,
	                      .nshard_cols = 2,
	                      .final_sql = (char *)"SELECT coalesce(round($1, 2), $2)",
	                      .final_params = params,
	                      .nfinal_params = 2,
	                      .nfinal = 1,
	                      .limit = -1};
	merge_field_t f[] = {F("sum", 1700, -1, 0), F("count", 20, 8, 0)};
	merge_field_t d = F("coalesce", 1700, -1, 0);
	merge_field_t fields[32];
	char err[128];
	uint32_t oids[2];
	int n = 0;

	merge_group_t *g = mk(&p, f, 2, NULL);
	having(g);
	assert_int_equal(merge_group_final_count(g), 1);
	merge_group_final_types(g, oids);
	assert_int_equal(oids[0], 1700);
	assert_int_equal(oids[1], 20);
	assert_string_equal(params_text(g, 0, 2), "NULL/0|0/0");
	final_desc(g, &d, 1);
	final_set(g, 0, 1, "0");
	row_desc_of(g, fields, &n);
	assert_int_equal(n, 1);
	assert_string_equal(fields[0].name, "v");
	assert_string_equal(run(g, -1, 0), "0\n");
	merge_group_free(g);

	/* three shards: (3.5, 2) + (4, 1) + (NULL, 0) → 7.5 / 3 */
	g = mk(&p, f, 2, NULL);
	add(g, 2, "3.5", "2");
	add(g, 2, "4", "1");
	add(g, 2, NULL, "0");
	having(g);
	assert_string_equal(params_text(g, 0, 2), "2.5000000000000000/0|3/0");
	final_desc(g, &d, 1);
	/* finish refuses a group without its final values */
	assert_int_equal(merge_group_finish(g, -1, 0, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "FINAL values of group 0 missing");
	merge_group_free(g);
}

/* A row of test_final_binary's shards: k binary int4, the partials text. */
static void add_k(merge_group_t *g, const char *k, const char *count, const char *sum, const char *cnt)
{
	const char *txt[4] = {k, count, sum, cnt};
	const uint8_t *v[4];
	int32_t l[4];

	for (int i = 0; i < 4; i++) {
		v[i] = (const uint8_t *)txt[i];
		l[i] = txt[i] == NULL ? -1 : i == 0 ? 4 : (int32_t)strlen(txt[i]);
	}
	assert_int_equal(add_raw(g, 4, v, l), 0);
}

static merge_group_t *binary_group(const sql_merge_plan_t *p)
{
	merge_field_t f[] = {F("k", 23, 4, 1), F("count", 20, 8, 0), F("sum", 20, 8, 0),
	                     F("count", 20, 8, 0)};
	int16_t outf[] = {1, 1, 1, 1};
	merge_group_t *g = mk(p, f, 4, outf);

	add_k(g, "\xff\xff\xff\xff", "2", "3", "2");
	add_k(g, "\x00\x00\x00\x02", "4", "10", "4");
	add_k(g, "\xff\xff\xff\xff", "1", "2", "1");
	add_k(g, "\x00\x00\x00\x05", "1", NULL, "0");
	return g;
}

/* Binary client formats: SELECT k, count(*), avg(x), count(*) + k AS c1 FROM t GROUP BY k
 * ORDER BY c1 DESC, round(avg(x)); final_sql: SELECT $1 + $2 AS "?column?", round($3)
 * ($1 count, $2 k, $3 avg: the computed ones as text, k as the shard sent it). */
static void test_final_binary(void **state)
{
	sql_merge_col_t cols[] = {COL(SQL_AGG_NONE, 0, -1, NULL), COL(SQL_AGG_COUNT, 1, -1, NULL),
	                          COL(SQL_AGG_AVG, 2, 3, "avg"), FINAL_COL(0, "c1"), FINAL_COL(1, NULL)};
	int params[] = {1, 0, 2};
	sql_sort_key_t keys[2] = {{.col = 3, .desc = true, .nulls_first = true},
	                          {.col = 4, .desc = false, .nulls_first = false}};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 5,
	                      .nvisible = 4,
	                      .nshard_cols = 4,
	                      .final_sql = (char *)"SELECT $1 + $2, round($3)",
	                      .final_params = params,
	                      .nfinal_params = 3,
	                      .nfinal = 2,
	                      .keys = keys,
	                      .nkeys = 2,
	                      .limit = -1};
	merge_field_t d[2] = {F("?column?", 20, 8, 1), F("round", 1700, -1, 0)};
	merge_field_t fields[32];
	const uint8_t *v[2];
	int32_t l[2];
	uint32_t oids[3];
	char err[128];
	int n = 0;

	d[0].table_oid = 1234; /* not a table column for the client */
	d[0].attnum = 2;
	merge_group_t *g = binary_group(&p);

	having(g);
	assert_int_equal(merge_group_final_count(g), 3);
	merge_group_final_types(g, oids);
	assert_int_equal(oids[0], 20);
	assert_int_equal(oids[1], 23);
	assert_int_equal(oids[2], 1700);
	/* count and avg are binary for the client but passed as text */
	assert_string_equal(params_text(g, 0, 3), "3/0|\\xffffffff/1|1.6666666666666667/0");
	assert_string_equal(params_text(g, 1, 3), "4/0|\\x00000002/1|2.5000000000000000/0");
	assert_string_equal(params_text(g, 2, 3), "1/0|\\x00000005/1|NULL/0");

	/* the engine asks the client's format for c1, text for the hidden one */
	d[1].format = 1;
	assert_int_equal(merge_group_final_desc(g, d, 2, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "final column 2: format 1, expected 0");
	merge_group_free(g);

	/* again, described right */
	d[1].format = 0;
	g = binary_group(&p);
	having(g);
	final_desc(g, d, 2);
	/* c1 in binary int8, round in text: k=-1 → 2, "2"; k=2 → 6, "3"; k=5 → 6, NULL */
	v[0] = (const uint8_t *)"\x00\x00\x00\x00\x00\x00\x00\x02", l[0] = 8;
	v[1] = (const uint8_t *)"2", l[1] = 1;
	assert_int_equal(final_set_raw(g, 0, 2, v, l), 0);
	v[0] = (const uint8_t *)"\x00\x00\x00\x00\x00\x00\x00\x06", l[0] = 8;
	v[1] = (const uint8_t *)"3", l[1] = 1;
	assert_int_equal(final_set_raw(g, 1, 2, v, l), 0);
	v[1] = NULL, l[1] = -1;
	assert_int_equal(final_set_raw(g, 2, 2, v, l), 0);

	row_desc_of(g, fields, &n);
	assert_int_equal(n, 4);
	assert_string_equal(fields[3].name, "c1");
	assert_int_equal(fields[3].type_oid, 20);
	assert_int_equal(fields[3].typlen, 8);
	assert_int_equal(fields[3].table_oid, 0);
	assert_int_equal(fields[3].attnum, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(fields[i].format, 1);
	/* c1 DESC: 6 (round "3"), 6 (round NULL, last), 2 */
	assert_string_equal(
	        run(g, -1, 0),
	        "\\x00000002|\\x0000000000000004|\\x000200000000001000021388|\\x0000000000000006\n"
	        "\\x00000005|\\x0000000000000001|NULL|\\x0000000000000006\n"
	        "\\xffffffff|\\x0000000000000003|\\x000500000000001000011a0a1a0a1a0a1a0b|"
	        "\\x0000000000000002\n");
	merge_group_free(g);
}

static void test_final_errors(void **state)
{
	sql_sort_key_t key = {.col = 4, .desc = true, .nulls_first = true};
	sql_merge_plan_t p = plan_a(&key, 1);
	merge_field_t f[] = {F("region", 25, -1, 0), F("count", 20, 8, 0), F("sum", 20, 8, 0),
	                     F("count", 20, 8, 0), F("count", 20, 8, 0)};
	merge_field_t json[2] = {F("round", 1700, -1, 0), F("j", 114, -1, 0)};
	const uint8_t *vals[2];
	int32_t lens[2];
	int16_t fmts[2];
	merge_group_t *g = NULL;
	char err[128];
	bool done;
	wbuf_t b;

	/* HAVING on a FINAL column; a FINAL column as a parameter; final index out of range */
	sql_having_t hv = {.op = SQL_HV_ISNULL, .col = 4, .col2 = -1};
	sql_having_t nt = {.op = SQL_HV_NOT, .left = &hv};
	p.having = &nt;
	assert_int_equal(merge_group_new(&p, f, 5, NULL, &C_COLL, &g, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "HAVING on a column computed after the merge");
	assert_null(g);
	p.having = &a_having;
	int bad_params[] = {3, 4};
	p.final_params = bad_params;
	assert_int_equal(merge_group_new(&p, f, 5, NULL, &C_COLL, &g, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "final parameter $2: merged column 4 out of range");
	p.final_params = a_params;
	p.nfinal = 1;
	assert_int_equal(merge_group_new(&p, f, 5, NULL, &C_COLL, &g, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "merged column 5: final column 1 out of range");
	p.nfinal = 2;

	g = group_a(&p, true);
	/* out of order: parameters, values before having */
	assert_int_equal(merge_group_final_params(g, 0, vals, lens, fmts), SG_EPROTO);
	assert_int_equal(merge_group_final_count(g), 0);
	having(g);
	assert_int_equal(add_raw(g, 0, vals, lens), SG_EPROTO); /* no rows after having */
	assert_int_equal(merge_group_final_params(g, 5, vals, lens, fmts), SG_EPROTO);
	assert_int_equal(final_set_raw(g, 0, 2, vals, (int32_t[]){-1, -1}), SG_EPROTO); /* no desc */
	assert_int_equal(merge_group_final_desc(g, json, 1, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "final statement returns 1 columns, expected 2");
	assert_int_equal(merge_group_final_desc(g, json, 2, err, sizeof(err)), SG_ENOTSUP);
	assert_string_equal(err, "ORDER BY on type json");
	merge_group_free(g);

	g = group_a(&p, true);
	having(g);
	final_desc(g, a_desc(), 2);
	assert_int_equal(merge_group_final_desc(g, a_desc(), 2, err, sizeof(err)), SG_EPROTO);
	final_set(g, 0, 2, "2.50", "9");
	assert_int_equal(final_set_raw(g, 0, 2, vals, (int32_t[]){-1, -1}), SG_EPROTO); /* twice */
	assert_int_equal(final_set_raw(g, 1, 1, vals, (int32_t[]){-1}), SG_EPROTO);     /* 1 column */
	assert_int_equal(final_set_raw(g, 5, 2, vals, (int32_t[]){-1, -1}), SG_EPROTO); /* no group 5 */
	wbuf_init(&b);
	assert_int_equal(merge_group_emit(g, &b, 100, &done), SG_EPROTO); /* not finished */
	assert_int_equal(merge_group_finish(g, -1, 0, err, sizeof(err)), SG_EPROTO);
	assert_string_equal(err, "FINAL values of group 1 missing");
	assert_int_equal(merge_group_finish(g, -1, 0, err, sizeof(err)), SG_EPROTO);
	assert_int_equal(merge_group_emit(g, &b, 100, &done), SG_EPROTO);
	assert_int_equal(b.len, 0);
	wbuf_free(&b);
	merge_group_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_final_order_by), cmocka_unit_test(test_final_no_groups),
	        cmocka_unit_test(test_final_global),   cmocka_unit_test(test_final_binary),
	        cmocka_unit_test(test_final_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
