/* test_analyze_stmt.c — sql_analyze() on statement forms: INSERT rows
 * and their byte offsets, UPDATE of the sharding column, DELETE, COPY,
 * EXPLAIN, transaction control, SET shardgate.shard, DDL, multi-statement
 * strings, comment hints, the flags scatter-gather needs, errors. */
#include "analyze_harness.h"

/* ---- INSERT ---- */

static void row_is(const sql_stmt_t *st, size_t i, const char *row_text)
{
	assert_true(i < st->nrows);
	span_is(st->rows[i].start, st->rows[i].end, row_text);
}

static void test_insert_rows(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("INSERT INTO orders (id, user_id) VALUES (1, 42)");
	assert_int_equal(st->kind, SQLK_INSERT);
	assert_true(ref_at(st, 0, T_ORDERS, NULL)->written);
	cons_none(&st->refs[0]);
	assert_false(st->insert_select);
	assert_false(st->no_column_list);
	assert_int_equal(st->nrows, 1);
	assert_true(st->rows[0].key_known);
	value_int(&st->rows[0].key, 42, NULL);
	row_is(st, 0, "(1, 42)");
	span_is(st->values_start, st->values_end, "(1, 42)");

	/* strings, dollar quotes and comments holding parentheses */
	st = analyze_one("INSERT INTO orders (note, user_id) VALUES ('a(', /* ) */ 3),\n"
	                 "  ($$)$$, '4'), (E'\\')', $1) , ( (SELECT 1), DEFAULT), ('x', NULL), ('y', 1 + 1), "
	                 "('z', lower('q'))");
	assert_int_equal(st->nrows, 7);
	row_is(st, 0, "('a(', /* ) */ 3)");
	row_is(st, 1, "($$)$$, '4')");
	row_is(st, 2, "(E'\\')', $1)");
	row_is(st, 3, "( (SELECT 1), DEFAULT)");
	row_is(st, 6, "('z', lower('q'))");
	span_is(st->values_start, st->values_end,
	        "('a(', /* ) */ 3),\n  ($$)$$, '4'), (E'\\')', $1) , ( (SELECT 1), DEFAULT), ('x', NULL), "
	        "('y', 1 + 1), ('z', lower('q'))");
	value_int(&st->rows[0].key, 3, NULL);
	value_text(&st->rows[1].key, "4", NULL);
	value_param(&st->rows[2].key, 1, NULL);
	assert_false(st->rows[3].key_known); /* DEFAULT */
	assert_int_equal(st->rows[3].key.kind, SQLV_NULL);
	assert_true(st->rows[4].key_known); /* NULL */
	assert_int_equal(st->rows[4].key.kind, SQLV_NULL);
	value_int(&st->rows[5].key, 2, NULL);
	assert_false(st->rows[6].key_known);

	/* a column or alias named "values", ON CONFLICT and RETURNING */
	st = analyze_one("INSERT INTO orders AS values (values, user_id) VALUES (1, 5), (2, 6) "
	                 "ON CONFLICT (id) DO NOTHING RETURNING values.id");
	assert_int_equal(st->nrows, 2);
	row_is(st, 1, "(2, 6)");
	value_int(&st->rows[1].key, 6, NULL);
	assert_false(st->sets_key);

	/* a parenthesised VALUES is still rows */
	st = analyze_one("INSERT INTO orders (id, user_id) (VALUES (1, 7))");
	row_is(st, 0, "(1, 7)");
	value_int(&st->rows[0].key, 7, NULL);
}

static void test_insert_keys(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("INSERT INTO orders VALUES (1, 42), (2, 43)");
	assert_true(st->no_column_list);
	assert_int_equal(st->nrows, 2);
	assert_false(st->rows[0].key_known);
	assert_false(st->rows[1].key_known);
	row_is(st, 1, "(2, 43)");
	/* the key column missing from the list gets its default */
	st = analyze_one("INSERT INTO orders (id) VALUES (1)");
	assert_false(st->no_column_list);
	assert_false(st->rows[0].key_known);
	/* time keys fold */
	st = analyze_one("INSERT INTO metrics (created_at, v) VALUES (now(), 1), ('2026-11-20'::date, 2), "
	                 "(now() - interval '1 month', 3), ('2026-11-20', 4)");
	value_time(&st->rows[0].key, SQLV_NOW_REL, 0, 0, NULL);
	value_time(&st->rows[1].key, SQLV_TS, 0, TS_20261120, "date");
	assert_false(st->rows[2].key_known); /* a month's length is not known */
	value_text(&st->rows[3].key, "2026-11-20", NULL);
	/* an unsharded or replicated target: rows located, keys unknown */
	st = analyze_one("INSERT INTO countries (code) VALUES ('FR'), ('DE')");
	ref_at(st, 0, T_COUNTRIES, NULL);
	assert_false(st->rows[0].key_known);
	row_is(st, 1, "('DE')");
	st = analyze_one("INSERT INTO logs (msg) VALUES ('x')");
	assert_true(st->touches_unsharded);
	assert_int_equal(st->nrefs, 0);
	row_is(st, 0, "('x')");
}

/* Without a column list, once the table's column order is known (the
 * router read it from a shard: sql_table_spec_t.key_col), rows, INSERT
 * ... SELECT and COPY take the key from that place. */
static void test_insert_keys_known_order(void **state)
{
	sql_table_spec_t known[NSPEC];
	const sql_stmt_t *st;

	(void)state;
	memcpy(known, spec, sizeof(known));
	known[T_ORDERS].key_col = 2; /* orders (id, user_id, ...) */
	harness_reset();
	text = strdup("INSERT INTO orders VALUES (1, 42), (2, $1), (3)");
	assert_int_equal(sql_analyze(text, known, NSPEC, &an), 0);
	st = &an.stmts[0];
	assert_true(st->no_column_list);
	assert_true(st->key_col_used);
	value_int(&st->rows[0].key, 42, NULL);
	value_param(&st->rows[1].key, 1, NULL);
	assert_false(st->rows[2].key_known); /* the key takes its default */
	harness_reset();
	text = strdup("INSERT INTO orders SELECT 7, 43");
	assert_int_equal(sql_analyze(text, known, NSPEC, &an), 0);
	assert_true(an.stmts[0].select_key_known);
	value_int(&an.stmts[0].select_key, 43, NULL);
	harness_reset();
	text = strdup("COPY orders FROM STDIN");
	assert_int_equal(sql_analyze(text, known, NSPEC, &an), 0);
	assert_int_equal(an.stmts[0].copy_key_column, 1);
	/* unknown order: nothing is read from the rows */
	st = analyze_one("COPY orders FROM STDIN");
	assert_int_equal(st->copy_key_column, -1);
	st = analyze_one("INSERT INTO orders VALUES (1, 42)");
	assert_false(st->key_col_used);
}

static void test_insert_select(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one(
	        "INSERT INTO orders (user_id, id) SELECT user_id, 1 FROM orders o WHERE o.user_id = 5");
	assert_true(st->insert_select);
	assert_int_equal(st->nrows, 0);
	assert_int_equal(st->values_start, -1);
	assert_true(ref_at(st, 0, T_ORDERS, NULL)->written);
	EQ_INTS(ref_at(st, 1, T_ORDERS, "o"), 5);
	assert_false(st->refs[1].written);
	/* the key is copied from o's sharding column */
	assert_int_equal(st->select_key_ref, 1);
	assert_false(st->select_key_known);
	st = analyze_one("INSERT INTO orders (id, user_id) SELECT 1, 42");
	assert_true(st->select_key_known);
	value_int(&st->select_key, 42, NULL);
	st = analyze_one("INSERT INTO orders (user_id, note) SELECT $1, note FROM orders WHERE user_id = 3");
	assert_true(st->select_key_known);
	value_param(&st->select_key, 1, NULL);
	st = analyze_one(
	        "INSERT INTO orders (note, user_id) SELECT 'x', q.user_id FROM orders q WHERE q.user_id = 3");
	assert_int_equal(st->select_key_ref, 1);
	/* not plain enough: unknown */
	static const char *const unknown[] = {
	        "INSERT INTO orders (user_id) SELECT * FROM orders WHERE user_id = 3",
	        "INSERT INTO orders (id, user_id) SELECT *, 1 FROM orders",
	        "INSERT INTO orders (user_id) SELECT user_id FROM orders a, orders b",
	        "INSERT INTO orders (user_id) SELECT a.user_id FROM orders a JOIN orders b ON a.id = b.id",
	        "INSERT INTO orders (user_id) SELECT user_id FROM orders UNION SELECT 1",
	        "INSERT INTO orders (user_id) SELECT id FROM orders WHERE user_id = 3",
	        "INSERT INTO orders (user_id) SELECT user_id + 1 FROM orders WHERE user_id = 3",
	        "INSERT INTO orders (id) SELECT 42",
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		st = analyze_one(unknown[i]);
		if (st->select_key_known || st->select_key_ref >= 0)
			fail_msg("should not know the key: %s", unknown[i]);
	}
	st = analyze_one("INSERT INTO orders DEFAULT VALUES");
	assert_true(st->insert_select);
	st = analyze_one("INSERT INTO orders (user_id) VALUES (1) LIMIT 1");
	assert_true(st->insert_select);
	/* a CTE's INSERT does not describe the statement's rows */
	st = analyze_one("WITH x AS (INSERT INTO orders (user_id) VALUES (9) RETURNING *) "
	                 "INSERT INTO orders (user_id) VALUES (10)");
	assert_int_equal(st->nrows, 1);
	value_int(&st->rows[0].key, 10, NULL);
	assert_int_equal(st->nrefs, 2);
	assert_true(st->refs[1].written);
}

static void test_upsert(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("INSERT INTO orders (id, user_id) VALUES (1, 2) ON CONFLICT (id) DO UPDATE "
	                 "SET user_id = excluded.user_id, n = orders.n + 1 RETURNING *");
	assert_false(st->sets_key);
	st = analyze_one(
	        "INSERT INTO orders (id, user_id) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET user_id = 3");
	assert_true(st->sets_key);
	assert_true(st->new_key_known);
	value_int(&st->new_key, 3, NULL);
}

/* ---- UPDATE, DELETE ---- */

static void test_update(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("UPDATE orders SET user_id = 7 WHERE user_id = 5");
	assert_int_equal(st->kind, SQLK_UPDATE);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 5);
	assert_true(st->refs[0].written);
	assert_true(st->sets_key);
	assert_true(st->new_key_known);
	value_int(&st->new_key, 7, NULL);
	st = analyze_one(
	        "UPDATE orders o SET user_id = o.user_id, total = 1 FROM countries c WHERE o.user_id = $1");
	assert_false(st->sets_key);
	value_param(&ref_at(st, 0, T_ORDERS, "o")->values[0], 1, NULL);
	cons_none(ref_at(st, 1, T_COUNTRIES, "c"));
	st = analyze_one("UPDATE orders SET (total, user_id) = (1, $2) WHERE user_id = $1");
	assert_true(st->sets_key);
	value_param(&st->new_key, 2, NULL);
	st = analyze_one("UPDATE orders SET user_id = DEFAULT");
	assert_true(st->sets_key);
	assert_false(st->new_key_known);
	st = analyze_one("UPDATE orders SET user_id = user_id + 1 WHERE user_id = 1");
	assert_true(st->sets_key);
	assert_false(st->new_key_known);
	st = analyze_one("UPDATE metrics SET v = 0 WHERE created_at < now() - interval '30 days'");
	assert_false(st->sets_key);
	value_time(&ref_at(st, 0, T_METRICS, NULL)->hi, SQLV_NOW_REL, 0, -30 * US_DAY, NULL);
}

static void test_delete(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("DELETE FROM orders o USING metrics m WHERE o.user_id = 9 AND m.created_at < now() "
	                 "RETURNING o.*");
	assert_int_equal(st->kind, SQLK_DELETE);
	EQ_INTS(ref_at(st, 0, T_ORDERS, "o"), 9);
	assert_true(st->refs[0].written);
	assert_false(ref_at(st, 1, T_METRICS, "m")->written);
	value_time(&st->refs[1].hi, SQLV_NOW_REL, 0, 0, NULL);
	st = analyze_one("DELETE FROM orders");
	cons_none(ref_at(st, 0, T_ORDERS, NULL));
}

/* ---- COPY ---- */

static void test_copy(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("COPY orders (id, user_id) FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER, "
	                 "QUOTE '''', NULL 'nil')");
	assert_int_equal(st->kind, SQLK_COPY_FROM);
	assert_true(ref_at(st, 0, T_ORDERS, NULL)->written);
	assert_int_equal(st->copy_key_column, 1);
	assert_true(st->copy_csv);
	assert_false(st->copy_binary);
	assert_true(st->copy_header);
	assert_int_equal(st->copy_delimiter, ';');
	assert_int_equal(st->copy_quote, '\'');
	assert_int_equal(st->copy_escape, '\'');
	assert_string_equal(st->copy_null, "nil");
	st = analyze_one("COPY orders FROM STDIN CSV HEADER");
	assert_int_equal(st->copy_key_column, -1);
	assert_int_equal(st->copy_delimiter, ',');
	assert_int_equal(st->copy_quote, '"');
	assert_string_equal(st->copy_null, "");
	assert_true(st->copy_header);
	st = analyze_one("COPY orders (user_id) FROM STDIN");
	assert_false(st->copy_csv);
	assert_false(st->copy_header);
	assert_int_equal(st->copy_key_column, 0);
	assert_int_equal(st->copy_delimiter, '\t');
	assert_int_equal(st->copy_escape, '\\');
	assert_string_equal(st->copy_null, "\\N");
	st = analyze_one("COPY metrics (v) FROM STDIN WITH (FORMAT binary, HEADER false)");
	assert_int_equal(st->copy_key_column, -2);
	assert_true(st->copy_binary);
	assert_false(st->copy_header);
	st = analyze_one("COPY (SELECT * FROM orders WHERE user_id = 3) TO STDOUT WITH (FORMAT csv)");
	assert_int_equal(st->kind, SQLK_COPY_TO);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 3);
	assert_false(st->refs[0].written);
	st = analyze_one("COPY regional_metrics TO STDOUT");
	assert_int_equal(st->kind, SQLK_COPY_TO);
	cons_none(ref_at(st, 0, T_REGIONAL, NULL));
	st = analyze_one("COPY orders FROM '/tmp/orders.csv'");
	assert_int_equal(st->kind, SQLK_OTHER);
	assert_true(ref_at(st, 0, T_ORDERS, NULL)->written);
}

/* ---- utility statements ---- */

static void test_explain_and_transactions(void **state)
{
	static const struct {
		const char *sql;
		sql_kind_t kind;
	} tx[] = {
	        {"BEGIN", SQLK_BEGIN},
	        {"START TRANSACTION ISOLATION LEVEL SERIALIZABLE", SQLK_BEGIN},
	        {"COMMIT", SQLK_COMMIT},
	        {"END", SQLK_COMMIT},
	        {"COMMIT AND CHAIN", SQLK_COMMIT},
	        {"ROLLBACK", SQLK_ROLLBACK},
	        {"ABORT", SQLK_ROLLBACK},
	        {"SAVEPOINT s1", SQLK_SAVEPOINT},
	        {"RELEASE SAVEPOINT s1", SQLK_SAVEPOINT},
	        {"ROLLBACK TO SAVEPOINT s1", SQLK_SAVEPOINT},
	        {"PREPARE TRANSACTION 'x'", SQLK_OTHER},
	        {"COMMIT PREPARED 'x'", SQLK_OTHER},
	        {"SHOW shardgate.shard", SQLK_OTHER},
	};
	const sql_stmt_t *st;
	size_t i;

	(void)state;
	st = analyze_one("EXPLAIN ANALYZE SELECT * FROM orders WHERE user_id = 10 ORDER BY id");
	assert_int_equal(st->kind, SQLK_EXPLAIN);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 10);
	assert_true(st->has_order_by);
	st = analyze_one("EXPLAIN (COSTS off) UPDATE orders SET user_id = 2 WHERE user_id = 1");
	assert_int_equal(st->kind, SQLK_EXPLAIN);
	assert_true(ref_at(st, 0, T_ORDERS, NULL)->written);
	assert_true(st->sets_key);
	for (i = 0; i < sizeof(tx) / sizeof(tx[0]); i++) {
		st = analyze_one(tx[i].sql);
		assert_int_equal(st->kind, tx[i].kind);
		assert_int_equal(st->nrefs, 0);
	}
}

static void test_other_statements(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("MERGE INTO orders o USING metrics m ON o.user_id = m.v "
	                 "WHEN MATCHED THEN UPDATE SET total = 1");
	assert_int_equal(st->kind, SQLK_OTHER);
	assert_int_equal(st->nrefs, 2);
	assert_true(ref_at(st, 0, T_ORDERS, "o")->written);
	assert_false(ref_at(st, 1, T_METRICS, "m")->written);
	st = analyze_one("DECLARE c CURSOR FOR SELECT * FROM orders WHERE user_id = 1");
	assert_int_equal(st->kind, SQLK_OTHER);
	EQ_INTS(ref_at(st, 0, T_ORDERS, NULL), 1);
	st = analyze_one("PREPARE p AS SELECT * FROM orders WHERE user_id = $1");
	value_param(&ref_at(st, 0, T_ORDERS, NULL)->values[0], 1, NULL);
	st = analyze_one("SELECT * FROM pg_class");
	assert_true(st->touches_unsharded);
	st = analyze_one("SELECT * FROM generate_series(1, 3) g");
	assert_false(st->touches_unsharded);
	assert_int_equal(st->nrefs, 0);
	st = analyze_one("LOCK TABLE orders IN EXCLUSIVE MODE");
	assert_int_equal(st->kind, SQLK_OTHER);
	ref_at(st, 0, T_ORDERS, NULL);
}

static void test_set(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("SET shardgate.shard = 'europe'");
	assert_int_equal(st->kind, SQLK_SET_SHARD);
	assert_string_equal(st->shard_name, "europe");
	assert_false(st->is_local);
	st = analyze_one("SET SESSION shardgate.shard TO europe");
	assert_string_equal(st->shard_name, "europe");
	st = analyze_one("SET LOCAL \"ShardGate\".shard TO 'asia'");
	assert_int_equal(st->kind, SQLK_SET_SHARD);
	assert_string_equal(st->shard_name, "asia");
	assert_true(st->is_local);
	st = analyze_one("RESET shardgate.shard");
	assert_int_equal(st->kind, SQLK_SET_SHARD);
	assert_null(st->shard_name);
	st = analyze_one("SET shardgate.shard TO DEFAULT");
	assert_int_equal(st->kind, SQLK_SET_SHARD);
	assert_null(st->shard_name);
	st = analyze_one("SET shardgate.shard = 3");
	assert_string_equal(st->shard_name, "3");
	st = analyze_one("RESET ALL");
	assert_int_equal(st->kind, SQLK_SET);
	assert_true(st->reset_all);
	st = analyze_one("SET search_path = public");
	assert_int_equal(st->kind, SQLK_SET);
	assert_null(st->shard_name);
	assert_false(st->reset_all);
	st = analyze_one("SET TRANSACTION READ ONLY");
	assert_int_equal(st->kind, SQLK_SET);
}

static void test_ddl(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_n(
	        "CREATE TABLE orders (id int, user_id bigint REFERENCES countries); "
	        "CREATE INDEX ON orders (user_id); DROP TABLE IF EXISTS orders, foo; TRUNCATE metrics; "
	        "ALTER TABLE regional_metrics ADD COLUMN x int; COMMENT ON COLUMN orders.user_id IS 'k'; "
	        "CREATE VIEW v AS SELECT * FROM orders WHERE user_id = 1; CREATE SEQUENCE s; "
	        "CREATE SCHEMA sales; SELECT * INTO newt FROM orders; VACUUM orders; DROP INDEX i",
	        12);
	assert_int_equal(st[0].kind, SQLK_DDL);
	assert_int_equal(st[0].nrefs, 2);
	ref_at(&st[0], 0, T_ORDERS, NULL);
	ref_at(&st[0], 1, T_COUNTRIES, NULL);
	assert_false(st[0].refs[0].written);
	assert_int_equal(st[1].kind, SQLK_DDL);
	ref_at(&st[1], 0, T_ORDERS, NULL);
	assert_int_equal(st[2].kind, SQLK_DDL);
	assert_int_equal(st[2].nrefs, 1);
	ref_at(&st[2], 0, T_ORDERS, NULL);
	assert_true(st[2].touches_unsharded);
	assert_int_equal(st[3].kind, SQLK_DDL);
	assert_true(ref_at(&st[3], 0, T_METRICS, NULL)->written);
	ref_at(&st[4], 0, T_REGIONAL, NULL);
	assert_int_equal(st[5].kind, SQLK_DDL);
	ref_at(&st[5], 0, T_ORDERS, NULL);
	assert_int_equal(st[6].kind, SQLK_DDL);
	EQ_INTS(ref_at(&st[6], 0, T_ORDERS, NULL), 1);
	assert_true(st[6].touches_unsharded); /* the view v */
	assert_int_equal(st[7].kind, SQLK_DDL);
	assert_true(st[7].touches_unsharded);
	assert_int_equal(st[8].kind, SQLK_DDL);
	assert_int_equal(st[8].nrefs, 0);
	assert_int_equal(st[9].kind, SQLK_DDL);
	ref_at(&st[9], 0, T_ORDERS, NULL);
	assert_int_equal(st[10].kind, SQLK_OTHER);
	ref_at(&st[10], 0, T_ORDERS, NULL);
	assert_int_equal(st[11].kind, SQLK_DDL);
	assert_int_equal(st[11].nrefs, 0);
}

static void test_multi_statement(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_n("BEGIN; INSERT INTO orders (user_id) VALUES (1), (2);\n"
	               "SELECT ';' FROM orders WHERE user_id = 2 ; COMMIT",
	               4);
	assert_int_equal(st[0].kind, SQLK_BEGIN);
	span_is(st[0].start, st[0].start + st[0].len, "BEGIN");
	assert_int_equal(st[1].kind, SQLK_INSERT);
	span_is(st[1].start, st[1].start + st[1].len, " INSERT INTO orders (user_id) VALUES (1), (2)");
	span_is(st[1].rows[1].start, st[1].rows[1].end, "(2)");
	span_is(st[1].values_start, st[1].values_end, "(1), (2)");
	assert_int_equal(st[2].kind, SQLK_SELECT);
	span_is(st[2].start, st[2].start + st[2].len, "\nSELECT ';' FROM orders WHERE user_id = 2 ");
	EQ_INTS(ref_at(&st[2], 0, T_ORDERS, NULL), 2);
	assert_int_equal(st[3].kind, SQLK_COMMIT);
	span_is(st[3].start, st[3].start + st[3].len, " COMMIT");
	analyze_n("", 0);
	analyze_n(" ; -- nothing\n", 0);
}

/* ---- hints, flags, errors ---- */

static void test_hints(void **state)
{
	(void)state;
	analyze_one("/* shard: europe */ SELECT * FROM orders");
	assert_string_equal(an.hint_shard, "europe");
	assert_null(an.hint_key);
	analyze_one("  -- sharding_key: '42'\n/* other */ SELECT 1");
	assert_null(an.hint_shard);
	assert_string_equal(an.hint_key, "42");
	analyze_one("/*SHARD = \"asia\"*/ /* shard: x */ /* sharding_key:7 */ SELECT 1");
	assert_string_equal(an.hint_shard, "asia");
	assert_string_equal(an.hint_key, "7");
	analyze_one("/* outer /* shard: nested */ */ SELECT 1");
	assert_null(an.hint_shard);
	analyze_one("SELECT 1 /* shard: late */");
	assert_null(an.hint_shard);
	analyze_one("/* shard: */ /* sharding: x */ SELECT 1");
	assert_null(an.hint_shard);
	assert_null(an.hint_key);
}

static void test_flags(void **state)
{
	const sql_stmt_t *st;

	(void)state;
	st = analyze_one("SELECT * FROM orders WHERE user_id = 1");
	assert_false(st->has_aggregate || st->has_window || st->has_order_by || st->has_limit ||
	             st->has_distinct || st->has_group_by || st->for_update);
	st = analyze_one("SELECT region, sum(v) FROM regional_metrics GROUP BY region HAVING count(*) > 1");
	assert_true(st->has_aggregate);
	assert_true(st->has_group_by);
	st = analyze_one("SELECT rank() OVER (ORDER BY v) FROM metrics");
	assert_true(st->has_window);
	assert_false(st->has_aggregate);
	st = analyze_one("SELECT DISTINCT user_id FROM orders ORDER BY 1 LIMIT 5 FOR UPDATE");
	assert_true(st->has_distinct && st->has_order_by && st->has_limit && st->for_update);
	st = analyze_one("SELECT * FROM orders LIMIT ALL");
	assert_false(st->has_limit);
	st = analyze_one("SELECT * FROM orders OFFSET 10");
	assert_true(st->has_limit);
	st = analyze_one("SELECT user_id FROM orders UNION ALL SELECT user_id FROM orders");
	assert_false(st->has_distinct);
	assert_int_equal(st->nrefs, 2);
	st = analyze_one("SELECT user_id FROM orders UNION SELECT 1");
	assert_true(st->has_distinct);
	st = analyze_one("SELECT * FROM orders WHERE v > (SELECT avg(v) FROM orders)");
	assert_true(st->has_aggregate);
	st = analyze_one("VALUES (1), (2)");
	assert_int_equal(st->kind, SQLK_SELECT);
	st = analyze_one("TABLE orders");
	assert_int_equal(st->kind, SQLK_SELECT);
	ref_at(st, 0, T_ORDERS, NULL);
}

static void test_errors(void **state)
{
	char *deep;
	size_t i, n = 1100;

	(void)state;
	assert_int_equal(analyze_rc("/* shard: asia */ SELEC 1 FROM orders"), SG_EPROTO);
	assert_string_equal(an.error, "syntax error at or near \"SELEC\"");
	assert_int_equal(an.error_pos, 19);
	assert_int_equal(an.nstmts, 0);
	assert_null(an.stmts);
	assert_string_equal(an.hint_shard, "asia");
	assert_int_equal(analyze_rc("SELECT 'unterminated"), SG_EPROTO);
	assert_int_equal(an.nstmts, 0);

	/* 1+1+...+1: one tree level per operator */
	{
		static const char head[] = "/*shard:x*/ SELECT * FROM orders WHERE user_id = 1";
		deep = malloc(sizeof(head) + 2 * n);
		assert_non_null(deep);
		strcpy(deep, head);
		for (i = 0; i < n; i++)
			strcat(deep, "+1");
		assert_int_equal(analyze_rc(deep), SG_ERANGE);
		assert_string_equal(an.error, "statement nested too deeply to analyse");
		assert_int_equal(an.nstmts, 0);
		assert_string_equal(an.hint_shard, "x");
		deep[strlen(head) + 2 * 900] = '\0';
		/* analysed, but a constant that deep is not folded */
		cons_none(ref_at(analyze_one(deep), 0, T_ORDERS, NULL));
		deep[strlen(head) + 2 * 20] = '\0';
		EQ_INTS(ref_at(analyze_one(deep), 0, T_ORDERS, NULL), 21);
		free(deep);
	}
	/* long flat lists are not deep */
	{
		char *big = malloc(20 * 5000 + 100);
		assert_non_null(big);
		strcpy(big, "SELECT * FROM orders WHERE user_id = 0");
		for (i = 1; i < 5000; i++)
			sprintf(big + strlen(big), " OR user_id = %zu", i);
		assert_int_equal(analyze_one(big)->refs[0].nvalues, 5000);
		free(big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_insert_rows, teardown),
	        cmocka_unit_test_teardown(test_insert_keys, teardown),
	        cmocka_unit_test_teardown(test_insert_select, teardown),
	        cmocka_unit_test_teardown(test_insert_keys_known_order, teardown),
	        cmocka_unit_test_teardown(test_upsert, teardown),
	        cmocka_unit_test_teardown(test_update, teardown),
	        cmocka_unit_test_teardown(test_delete, teardown),
	        cmocka_unit_test_teardown(test_copy, teardown),
	        cmocka_unit_test_teardown(test_explain_and_transactions, teardown),
	        cmocka_unit_test_teardown(test_other_statements, teardown),
	        cmocka_unit_test_teardown(test_set, teardown),
	        cmocka_unit_test_teardown(test_ddl, teardown),
	        cmocka_unit_test_teardown(test_multi_statement, teardown),
	        cmocka_unit_test_teardown(test_hints, teardown),
	        cmocka_unit_test_teardown(test_flags, teardown),
	        cmocka_unit_test_teardown(test_errors, teardown),
	};

	return run_group("analyze_stmt", tests, sizeof(tests) / sizeof(tests[0]));
}
