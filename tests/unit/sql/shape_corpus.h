/* shape_corpus.h — realistic statements for test_shape.c: each must
 * normalise to text libpg_query parses, with the original's fingerprint
 * (same tables, columns and operators; constants and parameters alike).
 * `nlits` is how many literals the shape pass replaces. */
#ifndef SG_TEST_SHAPE_CORPUS_H
#define SG_TEST_SHAPE_CORPUS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct shape_case {
	const char *sql;
	size_t nlits;
	/* false where the trees differ on purpose, every table and column
	 * unchanged: PostgreSQL keeps a unary '+' as an operator over the
	 * constant (the shape pass drops it into the parameter), and folds
	 * "- -5" into one constant (the shape pass folds only the inner sign). */
	bool same_fingerprint;
} shape_case_t;

static const shape_case_t shape_corpus[] = {
        /* pgbench's built-in scripts */
        {"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;", 1, true},
        {"UPDATE pgbench_accounts SET abalance = abalance + -4711 WHERE aid = 48213;", 2, true},
        {"UPDATE pgbench_tellers SET tbalance = tbalance + 2345 WHERE tid = 7;", 2, true},
        {"UPDATE pgbench_branches SET bbalance = bbalance + 2345 WHERE bid = 1;", 2, true},
        {"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 48213, 2345, "
         "CURRENT_TIMESTAMP);",
         4, true},
        {"BEGIN;", 0, true},
        {"END;", 0, true},
        {"SELECT abalance FROM pgbench_accounts WHERE aid = $1", 0, true},
        /* one user's orders */
        {"SELECT id, total, created_at FROM orders WHERE user_id = 42 ORDER BY created_at DESC LIMIT 20", 2,
         true},
        {"SELECT o.id, o.total FROM orders o JOIN users u ON u.id = o.user_id WHERE u.id = 1001 AND o.status "
         "= 'paid'",
         2, true},
        {"SELECT * FROM \"Orders\" AS o WHERE o.\"userId\" = 17", 1, true},
        {"SELECT * FROM sales.orders WHERE user_id IN (1, 2, 3, 4) AND status <> 'cancelled'", 5, true},
        {"SELECT count(*) FROM orders WHERE user_id = ANY('{1,2,3}'::bigint[])", 1, true},
        {"SELECT id FROM orders WHERE user_id = 42 FOR UPDATE SKIP LOCKED", 1, true},
        {"SELECT id FROM orders WHERE user_id = 7 ORDER BY id OFFSET 40 ROWS FETCH FIRST 20 ROWS ONLY", 2,
         true},
        /* a region's sales */
        {"SELECT region, sum(amount) FROM regional_metrics WHERE region = 'eu-west' GROUP BY 1 ORDER BY 2 "
         "DESC",
         1, true},
        {"SELECT region, date_trunc('day', ts) AS day, sum(amount) FROM regional_metrics WHERE region IN "
         "('eu', 'us') "
         "AND ts >= '2026-01-01' AND ts < '2026-02-01' GROUP BY region, day ORDER BY day",
         5, true},
        {"SELECT * FROM regional_metrics WHERE lower(region) = lower('EU-West') AND amount BETWEEN 10.5 AND "
         "1e3",
         3, true},
        /* time ranges */
        {"SELECT avg(value) FROM metrics WHERE ts > now() - interval '7 days' AND name = 'cpu'", 1, true},
        {"SELECT * FROM metrics WHERE ts BETWEEN timestamptz '2026-01-01 00:00:00+00' AND now()", 0, true},
        {"SELECT * FROM metrics WHERE ts >= current_date - 7 AND ts < current_date", 1, true},
        {"SELECT * FROM metrics WHERE ts >= '2026-03-01'::date AND ts < '2026-03-02'::timestamptz", 2, true},
        {"SELECT * FROM metrics WHERE ts >= CAST('2026-03-01' AS timestamp(3)) AND host = 'db1'", 2, true},
        {"SELECT * FROM metrics WHERE ts > now() - '3 days'::interval ORDER BY ts DESC LIMIT 100", 2, true},
        {"SELECT time_bucket('5 minutes', ts) AS b, max(v) FROM metrics WHERE ts > now() - interval '1 hour' "
         "GROUP BY b ORDER BY b",
         1, true},
        {"SELECT * FROM metrics WHERE ts AT TIME ZONE 'UTC' > date '2026-01-01' + 40", 1, true},
        {"SELECT extract(epoch FROM ts)::bigint, value FROM metrics WHERE id = 5", 1, true},
        /* writes */
        {"INSERT INTO orders (id, user_id, total, note) VALUES (1, 42, 9.99, 'first'), (2, 43, 19.5, "
         "'it''s'), "
         "(3, 44, 0, NULL)",
         11, true},
        {"INSERT INTO orders VALUES (DEFAULT, 42, 10) RETURNING id", 2, true},
        {"INSERT INTO orders (id, user_id) VALUES (5, 6) ON CONFLICT (id) DO UPDATE SET user_id = "
         "EXCLUDED.user_id",
         2, true},
        {"INSERT INTO metrics (ts, name, value) SELECT now(), 'cpu', 0.5", 2, true},
        {"UPDATE orders SET status = 'shipped', shipped_at = now() WHERE user_id = 42 AND id IN (1, 2, 3)", 5,
         true},
        {"UPDATE orders SET total = total * 1.1 WHERE user_id = 42 RETURNING id, total", 2, true},
        {"DELETE FROM orders WHERE user_id = 42 AND id IN (10, 11)", 3, true},
        {"DELETE FROM metrics WHERE ts < now() - interval '90 days'", 0, true},
        {"UPDATE users SET data = jsonb_set(data, '{prefs,theme}', '\"dark\"') WHERE id = 3", 3, true},
        /* JSON, arrays, patterns */
        {"SELECT data->>'email', data->'tags'->0 FROM users WHERE data->>'country' = 'FR'", 5, true},
        {"SELECT * FROM users WHERE data @> '{\"vip\": true}' AND tags && ARRAY['a', 'b']", 3, true},
        {"SELECT * FROM users WHERE email LIKE '%@example.com' OR name ILIKE 'jo%'", 0, true},
        {"SELECT * FROM users WHERE name LIKE 'a!%%' ESCAPE '!' AND id > 10", 1, true},
        {"SELECT * FROM users WHERE name SIMILAR TO '(a|b)%' AND id = 1", 1, true},
        {"SELECT (arr)[1], arr[2:3] FROM t WHERE arr[1] = 5", 5, true},
        {"SELECT * FROM users WHERE name ~* '^jo' AND id = 2", 2, true},
        /* casts and typed literals */
        {"SELECT 'x'::varchar(20), CAST(total AS numeric(10, 2)), varchar(5) 'abc', x::text FROM orders", 1,
         true},
        {"SELECT 1::int8, '42'::uuid IS NULL, -3.5::float8", 3, true},
        {"SELECT * FROM t WHERE id = 5 AND flag = true AND b = B'1010' AND h = X'1F'", 1, true},
        /* escapes, dollar quotes, unicode */
        {"SELECT E'line1\\nline2\\t\\'q\\'', E'\\\\server\\\\share' FROM t WHERE name = E'caf\\u00e9'", 3,
         true},
        {"SELECT $$it's $1$$ || $tag$ a $$ b $tag$ FROM t WHERE id = 9", 1, true},
        {"SELECT U&'d\\0061t\\+000061' UESCAPE '\\', U&\"d\\0061t\" FROM t WHERE id = 8", 1, true},
        {"SELECT 'multi'\n  'line' FROM t WHERE id = 4", 2, true},
        /* comments and hints */
        {"/* shard: europe */ SELECT * FROM orders WHERE id = 1", 1, true},
        {"/* sharding_key: 42 */ SELECT * FROM orders WHERE user_id = 42", 1, true},
        {"-- dashboard: revenue\nSELECT sum(total) -- per user\nFROM orders /* all /* nested */ */ WHERE "
         "user_id = 5",
         1, true},
        {"SELECT 1; SELECT 2", 2, true},
        /* analytics shapes */
        {"WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '30 days' AND total > "
         "100) "
         "SELECT user_id, count(*) FROM recent GROUP BY user_id HAVING count(*) > 3 ORDER BY 2 DESC LIMIT 10",
         3, true},
        {"SELECT user_id, sum(total) OVER (PARTITION BY user_id ORDER BY created_at ROWS BETWEEN 2 PRECEDING "
         "AND "
         "CURRENT ROW) FROM orders WHERE user_id = 3",
         2, true},
        {"SELECT DISTINCT ON (1) user_id, total FROM orders WHERE total >= 50 ORDER BY 1, total DESC", 1,
         true},
        {"SELECT CASE WHEN total > 100 THEN 'big' WHEN total > 10 THEN 'mid' ELSE 'small' END FROM orders", 5,
         true},
        {"SELECT coalesce(sum(total), 0) FROM orders WHERE user_id = 1 AND status NOT IN ('void', 'test')", 4,
         true},
        {"SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id AND r.amount "
         "> 0)",
         2, true},
        {"SELECT * FROM orders WHERE (user_id, id) IN ((1, 2), (3, 4))", 4, true},
        {"SELECT * FROM orders WHERE user_id = 1 UNION ALL SELECT * FROM archived_orders WHERE user_id = 1 "
         "ORDER BY 1 LIMIT 5",
         3, true},
        {"SELECT to_char(created_at, 'YYYY-MM'), count(*) FROM orders GROUP BY 1 ORDER BY 1", 1, true},
        {"SELECT * FROM generate_series(1, 10) g(i) WHERE i % 2 = 0", 4, true},
        {"SELECT pg_sleep(0.1), current_timestamp(3), localtimestamp", 1, true},
        {"SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency) FILTER (WHERE status = 200) FROM "
         "requests "
         "WHERE ts > now() - interval '1 day'",
         2, true},
        {"SELECT d, count(m.*) FROM generate_series(now() - interval '7 days', now(), interval '1 day') d "
         "LEFT JOIN LATERAL (SELECT * FROM metrics WHERE ts >= d AND ts < d + interval '1 day' LIMIT 1000) m "
         "ON true "
         "GROUP BY d",
         1, true},
        {"MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED AND d.qty > 0 THEN UPDATE "
         "SET "
         "qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT VALUES (d.item, d.qty, 'new')",
         2, true},
        {"EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM orders WHERE user_id = 42", 1, true},
        /* signs: PostgreSQL folds a unary minus into the constant, so do we */
        {"SELECT amount FROM orders WHERE user_id = -5000000", 1, true},
        {"INSERT INTO orders (id, user_id, total) VALUES (-9223372036854775808, -1, -0.5)", 3, true},
        {"SELECT * FROM t WHERE a = -5 AND b=-2.5 AND c BETWEEN -10 AND - 1e3 AND d IN (-1, -2)", 6, true},
        {"SELECT CASE WHEN x < -1 THEN -1 ELSE -2 END, arr[-1:-2] FROM t LIMIT -1", 6, true},
        {"SELECT a - 5, a-5, (a) -3, a[1]-6, a<-5, 2*-3, 2^-3 FROM t ORDER BY -1", 10, true},
        {"SELECT a !=-5, a @-5, -5::int, -x FROM t", 3, true},
        {"SELECT between - 5 FROM t WHERE NOT between -5 > 0", 3, true},
        {"SELECT amount FROM orders WHERE -5000000 = user_id", 0, true},
        {"SELECT * FROM t WHERE a = +5 AND b = 1", 2, false},
        {"SELECT * FROM t WHERE a = - -5 AND b = 1", 2, false},
        /* left as written */
        {"SET search_path = app, public", 0, true},
        {"SET statement_timeout = 5000", 0, true},
        {"SHOW server_version", 0, true},
        {"COPY orders (id, user_id) FROM STDIN WITH (FORMAT csv, DELIMITER ';')", 0, true},
        {"CREATE TABLE t (id bigint PRIMARY KEY, name varchar(20) DEFAULT 'x') WITH (fillfactor = 70)", 0,
         true},
        {"ALTER TABLE orders ADD COLUMN note text DEFAULT ''", 0, true},
        {"NOTIFY events, 'payload'", 0, true},
        {"PREPARE q (int) AS SELECT * FROM orders WHERE id = $1 AND total > 5", 0, true},
};

#endif
