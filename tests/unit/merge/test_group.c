/* test_group.c — the GROUPED merge end to end: plans built by hand (no
 * SQL parser), RowDescription and DataRows of "three shards" fed as wire
 * frames, results parsed back from the emitted messages. Expected results
 * are PostgreSQL 15's for the same data in one table (psql). */
#include "group_harness.h"

/* SELECT count(*), sum(x), sum(n), avg(x), min(s), max(s), bool_and(b), bool_or(b), avg(f) FROM t */
static sql_merge_col_t global_cols[] = {
        COL(SQL_AGG_COUNT, 0, -1, "count"),       COL(SQL_AGG_SUM, 1, -1, "sum"),
        COL(SQL_AGG_SUM, 2, -1, "sum"),           COL(SQL_AGG_AVG, 3, 4, "avg"),
        COL(SQL_AGG_MIN, 5, -1, "min"),           COL(SQL_AGG_MAX, 6, -1, "max"),
        COL(SQL_AGG_BOOL_AND, 7, -1, "bool_and"), COL(SQL_AGG_BOOL_OR, 8, -1, "bool_or"),
        COL(SQL_AGG_AVG, 9, 10, "avg"),
};

static merge_group_t *global_group(const sql_merge_plan_t *p)
{
	merge_field_t f[] = {
	        F("count", 20, 8, 0),   F("sum", 20, 8, 0),  F("sum", 1700, -1, 0), F("sum", 20, 8, 0),
	        F("count", 20, 8, 0),   F("min", 25, -1, 0), F("max", 25, -1, 0),   F("bool_and", 16, 1, 0),
	        F("bool_or", 16, 1, 0), F("sum", 701, 8, 0), F("count", 20, 8, 0),
	};

	return mk(p, f, 11, NULL);
}

static void test_global_aggregates(void **state)
{
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = global_cols,
	                      .ncols = 9,
	                      .nvisible = 9,
	                      .nshard_cols = 11,
	                      .limit = -1};
	merge_group_t *g = global_group(&p);

	add(g, 11, "2", "3", "3.75", "3", "2", "a", "b", "t", "t", "0.30000000000000004", "2");
	add(g, 11, "1", "2", NULL, "2", "1", "c", "c", "f", "f", NULL, "0");
	add(g, 11, "0", NULL, NULL, NULL, "0", NULL, NULL, NULL, NULL, NULL, "0");
	assert_int_equal(merge_group_count(g), 1);
	assert_string_equal(run(g, -1, 0), "3|5|3.75|1.6666666666666667|a|c|f|t|0.15000000000000002\n");
	merge_group_free(g);

	/* no rows anywhere: one row, count 0 and NULLs */
	g = global_group(&p);
	assert_string_equal(run(g, -1, 0), "0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n");
	merge_group_free(g);

	/* every shard with an empty table */
	g = global_group(&p);
	for (int i = 0; i < 3; i++)
		add(g, 11, "0", NULL, NULL, NULL, "0", NULL, NULL, NULL, NULL, NULL, "0");
	assert_string_equal(run(g, -1, 0), "0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n");
	merge_group_free(g);

	/* ... with HAVING count(*) > 0: no row */
	sql_having_t hv = {
	        .op = SQL_HV_CMP, .cmp = SQL_CMP_GT, .col = 0, .col2 = -1, .constant = (char *)"0"};
	p.having = &hv;
	g = global_group(&p);
	assert_string_equal(run(g, -1, 0), "");
	merge_group_free(g);
}

/* SELECT region, count(*), sum(amount), avg(qty), count(DISTINCT customer) FROM o GROUP BY region
 * shard statement: SELECT region, customer, count(*), sum(amount), sum(qty), count(qty) ... GROUP BY 1, 2 */
static sql_merge_col_t region_cols[] = {
        COL(SQL_AGG_NONE, 0, -1, NULL),
        COL(SQL_AGG_COUNT, 2, -1, NULL),
        COL(SQL_AGG_SUM, 3, -1, NULL),
        COL(SQL_AGG_AVG, 4, 5, "avg"),
        COL(SQL_AGG_COUNT_DISTINCT, 1, -1, "count"),
};

static merge_group_t *region_group(const sql_merge_plan_t *p, const int16_t *outf)
{
	merge_field_t f[] = {
	        F("region", 25, -1, 0), F("customer", 23, 4, 0), F("count", 20, 8, 0),
	        F("sum", 1700, -1, 0),  F("sum", 20, 8, 0),      F("count", 20, 8, 0),
	};
	merge_group_t *g;

	f[0].table_oid = 16384;
	f[0].attnum = 1;
	g = mk(p, f, 6, outf);
	/* shard 1 */
	add(g, 6, "eu", "1", "1", "10.50", "1", "1");
	add(g, 6, "eu", "2", "1", "2.25", "2", "1");
	add(g, 6, "us", "1", "1", "7", "3", "1");
	/* shard 2 */
	add(g, 6, "eu", "1", "1", "1", "1", "1");
	add(g, 6, "asia", "3", "1", NULL, NULL, "0");
	add(g, 6, NULL, "4", "1", "5", "5", "1");
	/* shard 3 */
	add(g, 6, "us", "5", "2", "4.125", "4", "1");
	return g;
}

static void test_group_by_distinct(void **state)
{
	sql_sort_key_t key = {.col = 0, .desc = false, .nulls_first = true};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = region_cols,
	                      .ncols = 5,
	                      .nvisible = 5,
	                      .nshard_cols = 6,
	                      .keys = &key,
	                      .nkeys = 1,
	                      .limit = -1};
	merge_group_t *g = region_group(&p, NULL);

	assert_int_equal(merge_group_count(g), 6); /* (region, customer) sub-groups */
	assert_string_equal(run(g, -1, 0), "NULL|1|5|5.0000000000000000|1\n"
	                                   "asia|1|NULL|NULL|1\n"
	                                   "eu|3|13.75|1.3333333333333333|2\n"
	                                   "us|3|11.125|3.5000000000000000|2\n");
	assert_int_equal(merge_group_count(g), 4);
	merge_group_free(g);

	/* NULLS LAST, DESC */
	key.desc = true;
	key.nulls_first = false;
	g = region_group(&p, NULL);
	assert_string_equal(run(g, -1, 0), "us|3|11.125|3.5000000000000000|2\n"
	                                   "eu|3|13.75|1.3333333333333333|2\n"
	                                   "asia|1|NULL|NULL|1\n"
	                                   "NULL|1|5|5.0000000000000000|1\n");
	merge_group_free(g);

	/* HAVING count(*) > 1.5 ORDER BY sum(amount) DESC LIMIT 1 OFFSET 1 */
	sql_having_t hv = {
	        .op = SQL_HV_CMP, .cmp = SQL_CMP_GT, .col = 1, .col2 = -1, .constant = (char *)"1.5"};
	key = (sql_sort_key_t){.col = 2, .desc = true, .nulls_first = true};
	p.having = &hv;
	g = region_group(&p, NULL);
	assert_string_equal(run(g, 1, 1), "us|3|11.125|3.5000000000000000|2\n");
	merge_group_free(g);
	g = region_group(&p, NULL);
	assert_string_equal(run(g, -1, 0), "eu|3|13.75|1.3333333333333333|2\n"
	                                   "us|3|11.125|3.5000000000000000|2\n");
	merge_group_free(g);
	g = region_group(&p, NULL);
	assert_string_equal(run(g, 5, 2), "");
	merge_group_free(g);
	g = region_group(&p, NULL);
	assert_string_equal(run(g, 0, 0), "");
	merge_group_free(g);
}

/* SELECT count(DISTINCT customer), count(*), avg(amount) FROM o
 * shard statement: SELECT customer, count(*), sum(amount), count(amount) ... GROUP BY customer */
static void test_global_distinct(void **state)
{
	sql_merge_col_t cols[] = {
	        COL(SQL_AGG_COUNT_DISTINCT, 0, -1, "count"),
	        COL(SQL_AGG_COUNT, 1, -1, NULL),
	        COL(SQL_AGG_AVG, 2, 3, "avg"),
	};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 3,
	                      .nvisible = 3,
	                      .nshard_cols = 4,
	                      .limit = -1};
	merge_field_t f[] = {F("customer", 23, 4, 0), F("count", 20, 8, 0), F("sum", 1700, -1, 0),
	                     F("count", 20, 8, 0)};
	merge_group_t *g = mk(&p, f, 4, NULL);

	add(g, 4, "1", "2", "17.50", "2");
	add(g, 4, "2", "1", "2.25", "1");
	add(g, 4, "1", "1", "1", "1");
	add(g, 4, "3", "1", NULL, "0");
	add(g, 4, "4", "1", "5", "1");
	add(g, 4, "5", "2", "4.125", "2");
	add(g, 4, NULL, "3", "1", "1"); /* NULL customers are not counted */
	assert_string_equal(run(g, -1, 0), "5|11|3.8593750000000000\n");
	merge_group_free(g);

	g = mk(&p, f, 4, NULL);
	assert_string_equal(run(g, -1, 0), "0|0|NULL\n");
	merge_group_free(g);
}

/* HAVING max(amount) IS NULL OR sum(qty) >= 7 ORDER BY max(amount) DESC NULLS LAST, with a
 * hidden sum(qty) column; and three-valued logic. */
static void test_having_logic(void **state)
{
	sql_merge_col_t cols[] = {
	        COL(SQL_AGG_NONE, 0, -1, NULL), COL(SQL_AGG_MAX, 1, -1, NULL),
	        COL(SQL_AGG_SUM, 2, -1, NULL), /* hidden */
	};
	sql_having_t isnull = {.op = SQL_HV_ISNULL, .col = 1, .col2 = -1};
	sql_having_t ge = {
	        .op = SQL_HV_CMP, .cmp = SQL_CMP_GE, .col = 2, .col2 = -1, .constant = (char *)"7"};
	sql_having_t hv = {.op = SQL_HV_OR, .left = &isnull, .right = &ge};
	sql_sort_key_t key = {.col = 1, .desc = true, .nulls_first = false};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 3,
	                      .nvisible = 2,
	                      .nshard_cols = 3,
	                      .keys = &key,
	                      .nkeys = 1,
	                      .having = &hv,
	                      .limit = -1};
	merge_field_t f[] = {F("region", 25, -1, 0), F("max", 1700, -1, 0), F("sum", 20, 8, 0)};
	merge_group_t *g;

	g = mk(&p, f, 3, NULL);
	add(g, 3, "eu", "10.50", "3");
	add(g, 3, "us", "7", "3");
	add(g, 3, "eu", "1", "1");
	add(g, 3, "asia", NULL, NULL);
	add(g, 3, NULL, "5", "5");
	add(g, 3, "us", "3.125", "4");
	assert_string_equal(run(g, -1, 0), "us|7\nasia|NULL\n");
	merge_group_free(g);

	/* NOT (sum(qty) >= 7): NULL sums are unknown → dropped; also sum(qty) <> max(amount) col-col */
	sql_having_t not = {.op = SQL_HV_NOT, .left = &ge};
	p.having = &not ;
	key.desc = false;
	g = mk(&p, f, 3, NULL);
	add(g, 3, "eu", "10.50", "3");
	add(g, 3, "us", "7", "3");
	add(g, 3, "eu", "1", "1");
	add(g, 3, "asia", NULL, NULL);
	add(g, 3, "us", "3.125", "4");
	assert_string_equal(run(g, -1, 0), "eu|10.50\n");
	merge_group_free(g);

	/* col vs col across types: sum (int8) < max (numeric); unknown AND false = false */
	sql_having_t lt = {.op = SQL_HV_CMP, .cmp = SQL_CMP_LT, .col = 2, .col2 = 1};
	sql_having_t notnull = {.op = SQL_HV_NOTNULL, .col = 0, .col2 = -1};
	sql_having_t and = {.op = SQL_HV_AND, .left = &lt, .right = &notnull};
	p.having = &and;
	g = mk(&p, f, 3, NULL);
	add(g, 3, "eu", "10.50", "3");
	add(g, 3, "us", "7", "7");
	add(g, 3, NULL, "5", "1");
	add(g, 3, "asia", NULL, "1");
	assert_string_equal(run(g, -1, 0), "eu|10.50\n");
	merge_group_free(g);
}

/* Binary client formats: keys and min/max pass through, computed values are encoded. */
static void test_binary_output(void **state)
{
	sql_merge_col_t cols[] = {
	        COL(SQL_AGG_NONE, 0, -1, NULL),  COL(SQL_AGG_COUNT, 1, -1, NULL),
	        COL(SQL_AGG_AVG, 2, 1, "avg"),   COL(SQL_AGG_SUM, 3, -1, NULL),
	        COL(SQL_AGG_MIN, 4, -1, NULL),   COL(SQL_AGG_BOOL_OR, 5, -1, NULL),
	        COL(SQL_AGG_AVG, 6, 1, "avg_f"), COL(SQL_AGG_SUM, 6, -1, "sum_f"),
	};
	sql_sort_key_t key = {.col = 0};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 8,
	                      .nvisible = 8,
	                      .nshard_cols = 7,
	                      .keys = &key,
	                      .nkeys = 1,
	                      .limit = -1};
	/* keys/min in the client's (binary) format; partials in text, as the engine asks */
	merge_field_t f[] = {F("k", 23, 4, 1),      F("count", 20, 8, 0), F("sum", 20, 8, 0),
	                     F("sum", 1700, -1, 0), F("min", 1082, 4, 1), F("bool_or", 16, 1, 0),
	                     F("sum", 701, 8, 0)};
	int16_t outf[] = {1, 1, 1, 1, 1, 1, 1, 1};
	merge_group_t *g = mk(&p, f, 7, outf);
	const uint8_t *v[7];
	int32_t l[7];
	const char *txt[7];

	/* k = -1: (count 2, sum 3) + (count 1, sum 2) → avg 1.6666666666666667 */
	txt[1] = "2", txt[2] = "3", txt[3] = "1.50", txt[5] = "f", txt[6] = "0.5";
	for (int i = 1; i < 7; i++)
		if (i != 4)
			v[i] = (const uint8_t *)txt[i], l[i] = (int32_t)strlen(txt[i]);
	v[0] = (const uint8_t *)"\xff\xff\xff\xff", l[0] = 4;
	v[4] = (const uint8_t *)"\x00\x00\x22\x79", l[4] = 4; /* 2024-02-29 */
	assert_int_equal(add_raw(g, 7, v, l), 0);
	txt[1] = "1", txt[2] = "2", txt[3] = "-0.25", txt[5] = "t", txt[6] = "1";
	for (int i = 1; i < 7; i++)
		if (i != 4)
			v[i] = (const uint8_t *)txt[i], l[i] = (int32_t)strlen(txt[i]);
	v[4] = (const uint8_t *)"\xff\xf4\x9d\x7b", l[4] = 4; /* 0044-03-15 BC */
	assert_int_equal(add_raw(g, 7, v, l), 0);
	/* k = 2 */
	txt[1] = "4", txt[2] = "10", txt[3] = "0", txt[5] = "f", txt[6] = "1e+20";
	for (int i = 1; i < 7; i++)
		if (i != 4)
			v[i] = (const uint8_t *)txt[i], l[i] = (int32_t)strlen(txt[i]);
	v[0] = (const uint8_t *)"\x00\x00\x00\x02", l[0] = 4;
	v[4] = (const uint8_t *)"\x00\x00\x22\x79", l[4] = 4;
	assert_int_equal(add_raw(g, 7, v, l), 0);

	wbuf_t b;
	uint8_t *body;
	merge_field_t out[8];
	int n;

	wbuf_init(&b);
	assert_int_equal(merge_group_row_desc(g, &b), 0);
	wire_frame_t fd = frame_of(&b, &body);
	assert_int_equal(merge_row_desc_parse(&fd, out, 8, &n), 0);
	free(body);
	wbuf_free(&b);
	assert_int_equal(n, 8);
	assert_string_equal(out[0].name, "k");
	assert_int_equal(out[1].type_oid, 20);
	assert_int_equal(out[1].typlen, 8);
	assert_string_equal(out[2].name, "avg");
	assert_int_equal(out[2].type_oid, 1700);
	assert_int_equal(out[2].typlen, -1);
	assert_int_equal(out[2].typmod, -1);
	assert_int_equal(out[3].type_oid, 1700);
	assert_int_equal(out[4].type_oid, 1082);
	assert_int_equal(out[6].type_oid, 701);
	assert_string_equal(out[6].name, "avg_f");
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i].format, 1);

	/* -1 | 3 | 5/3 = 1.6666666666666667 (ndigits 5, weight 0, dscale 16) | 1.25 | BC date | t
	 * | 1.5/3 = 0.5 float8 | 1.5 float8; k = 2: 10/4 = 2.5 (digits 2, 5000), 1e20/4 = 2.5e19 */
	assert_string_equal(
	        run(g, -1, 0),
	        "\\xffffffff|\\x0000000000000003|\\x000500000000001000011a0a1a0a1a0a1a0b|"
	        "\\x0002000000000002000109c4|\\xfff49d7b|\\x01|\\x3fe0000000000000|\\x3ff8000000000000\n"
	        "\\x00000002|\\x0000000000000004|\\x000200000000001000021388|\\x0000000000000000|"
	        "\\x00002279|\\x00|\\x43f5af1d78b58c40|\\x4415af1d78b58c40\n");
	merge_group_free(g);
}

static void test_errors(void **state)
{
	sql_merge_col_t cols[] = {COL(SQL_AGG_SUM, 0, -1, NULL)};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 1,
	                      .nvisible = 1,
	                      .nshard_cols = 1,
	                      .limit = -1};
	merge_field_t money = F("sum", 790, 8, 0), json = F("j", 114, -1, 0), ival = F("sum", 1186, 16, 0);
	merge_field_t i8 = F("sum", 20, 8, 0);
	merge_group_t *g = NULL;
	char err[128];

	assert_int_equal(merge_group_new(&p, &money, 1, NULL, &C_COLL, &g, err, sizeof(err)), SG_ENOTSUP);
	assert_string_equal(err, "sum of type money");
	assert_null(g);
	cols[0].agg = SQL_AGG_MIN;
	assert_int_equal(merge_group_new(&p, &json, 1, NULL, &C_COLL, &g, err, sizeof(err)), SG_ENOTSUP);
	assert_string_equal(err, "min of type json");
	cols[0].agg = SQL_AGG_BOOL_AND;
	assert_int_equal(merge_group_new(&p, &i8, 1, NULL, &C_COLL, &g, err, sizeof(err)), SG_ENOTSUP);
	assert_string_equal(err, "bool_and of type bigint");

	sql_merge_col_t avg[] = {COL(SQL_AGG_AVG, 0, 1, "avg")};
	merge_field_t af[] = {ival, i8};
	p.cols = avg;
	assert_int_equal(merge_group_new(&p, af, 2, NULL, &C_COLL, &g, err, sizeof(err)), SG_ENOTSUP);
	assert_string_equal(err, "avg of type interval");

	sql_merge_col_t key[] = {COL(SQL_AGG_NONE, 0, -1, NULL)};
	sql_sort_key_t sk = {.col = 0};
	p.cols = key;
	p.keys = &sk;
	p.nkeys = 1;
	assert_int_equal(merge_group_new(&p, &json, 1, NULL, &C_COLL, &g, err, sizeof(err)), SG_ENOTSUP);
	assert_string_equal(err, "ORDER BY on type json");
	strcpy(sk.collation, "en-x-icu");
	merge_field_t txt = F("t", 25, -1, 0);
	assert_int_equal(merge_group_new(&p, &txt, 1, NULL, &C_COLL, &g, err, sizeof(err)), SG_ENOTSUP);
	/* src out of range; a client format the shard was not asked for */
	p.nkeys = 0;
	key[0].src = 3;
	assert_int_equal(merge_group_new(&p, &txt, 1, NULL, &C_COLL, &g, err, sizeof(err)), SG_EPROTO);
	key[0].src = 0;
	int16_t binf = 1;
	assert_int_equal(merge_group_new(&p, &txt, 1, &binf, &C_COLL, &g, err, sizeof(err)), SG_EPROTO);

	/* sum(int4) overflowing bigint, like PostgreSQL: 22003 "bigint out of range" */
	sql_merge_col_t sum[] = {COL(SQL_AGG_SUM, 0, -1, NULL)};
	p.cols = sum;
	g = mk(&p, &i8, 1, NULL);
	add(g, 1, "9223372036854775807");
	add(g, 1, "1");
	assert_int_equal(merge_group_finish(g, -1, 0, err, sizeof(err)), SG_ERANGE);
	assert_string_equal(err, "bigint out of range");
	merge_group_free(g);
	/* ... but a sum that comes back into range is fine */
	g = mk(&p, &i8, 1, NULL);
	add(g, 1, "9223372036854775807");
	add(g, 1, "1");
	add(g, 1, "-2");
	assert_string_equal(run(g, -1, 0), "9223372036854775806\n");
	merge_group_free(g);

	/* malformed rows: wrong column count, truncated, garbage partial */
	g = mk(&p, &i8, 1, NULL);
	const uint8_t *v[2] = {(const uint8_t *)"1", (const uint8_t *)"2"};
	int32_t l[2] = {1, 1};
	assert_int_equal(add_raw(g, 2, v, l), SG_EPROTO);
	v[0] = (const uint8_t *)"x1";
	l[0] = 2;
	assert_int_equal(add_raw(g, 1, v, l), SG_EPROTO);
	wire_frame_t f = {.type = 'D',
	                  .body = (const uint8_t *)"\x00\x01\x00\x00\x00\x05"
	                                           "12",
	                  .body_len = 8};
	assert_int_equal(merge_group_add(g, &f, err, sizeof(err)), SG_EPROTO);
	merge_group_free(g);
}

/* SELECT DISTINCT a, b (every column a key), ORDER BY a hidden column and a collation. */
static void test_distinct_and_collation(void **state)
{
	sql_merge_col_t cols[] = {COL(SQL_AGG_NONE, 0, -1, NULL), COL(SQL_AGG_NONE, 1, -1, NULL)};
	sql_sort_key_t keys[2] = {{.col = 1, .desc = false, .nulls_first = false, .collation = "C"},
	                          {.col = 0, .desc = true, .nulls_first = false}};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 2,
	                      .nvisible = 2,
	                      .nshard_cols = 2,
	                      .keys = keys,
	                      .nkeys = 2,
	                      .limit = -1};
	merge_field_t f[] = {F("a", 23, 4, 0), F("b", 25, -1, 0)};
	merge_group_t *g = mk(&p, f, 2, NULL);

	add(g, 2, "1", "b");
	add(g, 2, "2", "B");
	add(g, 2, "1", "b");
	add(g, 2, "10", "b");
	add(g, 2, "2", NULL);
	add(g, 2, "1", "b");
	assert_int_equal(merge_group_count(g), 4);
	assert_string_equal(run(g, -1, 0), "2|B\n10|b\n1|b\n2|NULL\n");
	merge_group_free(g);
}

/* Many groups: the table grows, emit respects the budget, results stay exact. */
static void test_many_groups(void **state)
{
	sql_merge_col_t cols[] = {COL(SQL_AGG_NONE, 0, -1, NULL), COL(SQL_AGG_SUM, 1, -1, NULL)};
	sql_sort_key_t key = {.col = 0, .desc = true};
	sql_merge_plan_t p = {.mode = SQL_MERGE_GROUPED,
	                      .cols = cols,
	                      .ncols = 2,
	                      .nvisible = 2,
	                      .nshard_cols = 2,
	                      .keys = &key,
	                      .nkeys = 1,
	                      .limit = -1};
	merge_field_t f[] = {F("k", 20, 8, 0), F("sum", 1700, -1, 0)};
	merge_group_t *g = mk(&p, f, 2, NULL);
	char k[32], s[32], err[64];
	bool done = false;
	wbuf_t b;
	int rows = 0;

	for (int shard = 0; shard < 3; shard++) {
		for (int i = 0; i < 5000; i++) {
			snprintf(k, sizeof(k), "%d", i);
			snprintf(s, sizeof(s), "%d.%02d", shard, i % 100);
			add(g, 2, k, s);
		}
	}
	assert_int_equal(merge_group_count(g), 5000);
	assert_int_equal(merge_group_finish(g, 10, 2, err, sizeof(err)), 0);
	wbuf_init(&b);
	while (!done) {
		size_t before = b.len;

		assert_int_equal(merge_group_emit(g, &b, 40, &done), 0);
		if (!done)
			assert_true(b.len - before >= 40);
		rows++;
	}
	/* groups 4997 .. 4988, each sum = 3 + 3 * (i % 100) / 100 */
	wire_frame_t fr;
	size_t pos = 0;
	int n = 0;

	while (pos < b.len) {
		const uint8_t *v[2];
		int32_t l[2];
		char exp[32];

		assert_int_equal(wire_frame_read(b.data + pos, b.len - pos, MAXLEN, &fr), 0);
		assert_int_equal(merge_data_row_parse(&fr, 2, v, l), 0);
		snprintf(exp, sizeof(exp), "%d", 4997 - n);
		assert_int_equal(l[0], (int32_t)strlen(exp));
		assert_memory_equal(v[0], exp, strlen(exp));
		snprintf(exp, sizeof(exp), "%d.%02d", 3 + 3 * ((4997 - n) % 100) / 100,
		         3 * ((4997 - n) % 100) % 100);
		assert_int_equal(l[1], (int32_t)strlen(exp));
		assert_memory_equal(v[1], exp, strlen(exp));
		pos += fr.total_len;
		n++;
	}
	assert_int_equal(n, 10);
	assert_true(rows >= 3);
	wbuf_free(&b);
	merge_group_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_global_aggregates),      cmocka_unit_test(test_group_by_distinct),
	        cmocka_unit_test(test_global_distinct),        cmocka_unit_test(test_having_logic),
	        cmocka_unit_test(test_binary_output),          cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_distinct_and_collation), cmocka_unit_test(test_many_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
