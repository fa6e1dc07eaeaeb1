/* fanout_corpus.h — the analytics queries of the differential test
 * (tests/integration/it_fanout.c), run through shardgate and on the
 * unsharded oracle, whose results must be identical.
 *
 * Included by it_fanout.c only (it is data, not an interface). Rules for
 * an entry, so that the oracle's answer is the only right one:
 * - FQ_ORDERED when the query has a top-level ORDER BY: rows are compared
 *   in order, so the ORDER BY must be total over the output (a unique
 *   last key, or group keys); otherwise rows are compared as a multiset.
 * - FQ_COUNT_ONLY for LIMIT without ORDER BY: which rows come back is
 *   arbitrary, only the number of rows (and the columns) is compared.
 * - No construct shardgate refuses on purpose (window functions,
 *   percentiles, array_agg/string_agg, FOR UPDATE, INTERSECT/EXCEPT, subqueries with aggregates): those have
 *   their own test. No float aggregate whose value depends on the order of
 *   addition: float8 columns hold multiples of 0.25, exact in any order.
 * - Parameters ($1, $2) are text; the extended-protocol run binds them,
 *   the simple-protocol run substitutes them as literals (unquoted when
 *   numeric). "@ago:N" stands for the timestamptz N days before the data
 *   set's base time (see it_fanout.c), so time queries stay deterministic.
 * - Rows of events and orders lie 9 to 15 hours away from any whole-day
 *   boundary relative to the base time, so `now() - interval 'N days'`
 *   never cuts between the moment the oracle and the shards evaluate it. */
#ifndef SG_IT_FANOUT_CORPUS_H
#define SG_IT_FANOUT_CORPUS_H

#include <stddef.h>

enum {
	FQ_ORDERED = 1,    /* compare rows in order (top-level ORDER BY) */
	FQ_COUNT_ONLY = 2, /* LIMIT without ORDER BY: compare the row count only */
};

typedef struct fanout_query {
	unsigned flags;
	const char *sql;
	const char *params[2]; /* text parameters $1, $2; NULL when unused */
} fanout_query_t;

#define O FQ_ORDERED
#define C FQ_COUNT_ONLY
#define NP                                                                                                   \
	{                                                                                                    \
		NULL, NULL                                                                                   \
	}

static const fanout_query_t fanout_corpus[] = {
        /* ---- A. filters and projections (concatenation) ---- */
        {0, "SELECT id, user_id, qty, amount FROM orders WHERE qty > 15", NP},
        {0, "SELECT * FROM orders WHERE amount > 900", NP},
        {0, "SELECT id, status, paid FROM orders WHERE status IS NULL", NP},
        {0, "SELECT id, price FROM orders WHERE price BETWEEN 100 AND 200", NP},
        {0, "SELECT id, region, note FROM orders WHERE note LIKE 'gift%'", NP},
        {0, "SELECT id, ref FROM orders WHERE paid IS NOT TRUE AND qty < 3", NP},
        {0,
         "SELECT id, order_date FROM orders WHERE order_date >= DATE '2026-06-01' AND order_date < DATE "
         "'2026-06-15'",
         NP},
        {0, "SELECT id, discount, amount FROM orders WHERE discount IS NOT NULL AND discount > amount / 2",
         NP},
        {0, "SELECT id, qty * price AS total FROM orders WHERE qty * price > 150000", NP},
        {0, "SELECT id, amount::text, price::numeric FROM orders WHERE user_id % 97 = 3", NP},
        {0, "SELECT id, lower(status), upper(region), length(note) FROM orders WHERE user_id < 50", NP},
        {0, "SELECT * FROM sales WHERE qty = 7", NP},
        {0, "SELECT id, region, revenue FROM sales WHERE revenue < 50", NP},
        {0, "SELECT id, channel FROM sales WHERE channel IS NULL", NP},
        {0, "SELECT * FROM events WHERE score > 190", NP},
        {0, "SELECT id, kind, weight FROM events WHERE weight = 0.25 OR weight = 500.5 OR weight > 995", NP},
        {0, "SELECT id, created_at FROM events WHERE ok IS NULL AND kind = 'purchase'", NP},
        {0, "SELECT id, coalesce(status, 'none') AS st FROM orders WHERE qty = 1", NP},
        {0,
         "SELECT id, CASE WHEN paid THEN 'y' WHEN NOT paid THEN 'n' ELSE '?' END AS p FROM orders WHERE qty "
         "= 2",
         NP},
        {0, "SELECT id, ref::text FROM orders WHERE ref::text LIKE 'a%'", NP},
        {0,
         "SELECT id FROM orders WHERE region IN (SELECT code FROM countries WHERE continent = 'Europe') AND "
         "qty > 17",
         NP},
        {0,
         "SELECT id, user_id FROM orders o WHERE EXISTS (SELECT 1 FROM countries c WHERE c.code = o.region "
         "AND c.pop_m > 200) AND qty = 3",
         NP},
        {0, "SELECT id, user_id, amount FROM orders WHERE user_id = 17", NP},
        {0, "SELECT id FROM orders WHERE user_id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)", NP},
        {0, "SELECT id, amount FROM orders WHERE qty > 1000", NP},
        {0, "SELECT 1 AS one, id FROM sales WHERE product = 'P07'", NP},

        /* ---- B. joins with the replicated table ---- */
        {0,
         "SELECT o.id, c.name, c.continent FROM orders o JOIN countries c ON c.code = o.region WHERE o.qty "
         "> 18",
         NP},
        {0, "SELECT s.id, c.name FROM sales s JOIN countries c ON c.code = s.region WHERE s.qty < 3", NP},
        {0,
         "SELECT e.id, e.country, c.name FROM events e LEFT JOIN countries c ON c.code = e.country WHERE "
         "e.score < -40",
         NP},
        {0,
         "SELECT o.id, c.name FROM orders o, countries c WHERE c.code = o.region AND c.continent = 'Asia' "
         "AND o.amount > 950",
         NP},
        {O,
         "SELECT c.continent, count(*), sum(o.amount) FROM orders o JOIN countries c ON c.code = o.region "
         "GROUP BY c.continent ORDER BY c.continent",
         NP},
        {O,
         "SELECT c.name, count(*) AS n FROM sales s JOIN countries c ON c.code = s.region GROUP BY c.name "
         "ORDER BY n DESC, c.name",
         NP},
        {O,
         "SELECT o.id, c.name FROM orders o JOIN countries c ON c.code = o.region ORDER BY c.name, o.id "
         "LIMIT 30",
         NP},
        {0,
         "SELECT e.kind, c.continent, count(*) FROM events e JOIN countries c ON c.code = e.country GROUP BY "
         "e.kind, c.continent",
         NP},
        {O,
         "SELECT c.continent, min(o.price), max(o.price), avg(o.price) FROM orders o JOIN countries c ON "
         "c.code = o.region GROUP BY 1 ORDER BY 1",
         NP},
        {O,
         "SELECT o.region, c.pop_m, sum(o.qty) FROM orders o JOIN countries c ON c.code = o.region GROUP BY "
         "o.region, c.pop_m ORDER BY c.pop_m DESC, o.region",
         NP},
        {0, "SELECT c.name, o.id FROM countries c JOIN orders o ON o.region = c.code WHERE o.user_id = 42",
         NP},
        {O,
         "SELECT o.id, c.name FROM orders o JOIN countries c ON c.code = o.region WHERE c.pop_m < 50 ORDER "
         "BY o.amount DESC, o.id LIMIT 15",
         NP},
        {0,
         "SELECT count(*) FROM orders o JOIN countries c ON c.code = o.region WHERE c.continent LIKE "
         "'%America'",
         NP},
        {O,
         "SELECT e.country, c.name, count(*) FROM events e LEFT JOIN countries c ON c.code = e.country GROUP "
         "BY e.country, c.name ORDER BY e.country",
         NP},
        {O,
         "SELECT s.region, c.name, sum(s.revenue), avg(s.unit) FROM sales s JOIN countries c ON c.code = "
         "s.region GROUP BY s.region, c.name ORDER BY c.name",
         NP},

        /* ---- C. global aggregates ---- */
        {0, "SELECT count(*) FROM orders", NP},
        {0, "SELECT count(*), count(status), count(paid), count(discount), count(note) FROM orders", NP},
        {0, "SELECT sum(qty), sum(amount), sum(price), sum(user_id) FROM orders", NP},
        {0, "SELECT min(qty), max(qty), min(amount), max(amount), min(price), max(price) FROM orders", NP},
        {0, "SELECT min(status), max(status), min(region), max(region), min(note), max(note) FROM orders",
         NP},
        {0, "SELECT min(order_date), max(order_date), min(created_at), max(created_at) FROM orders", NP},
        {0, "SELECT avg(qty) FROM orders", NP},
        {0, "SELECT avg(amount) FROM orders", NP},
        {0, "SELECT avg(price) FROM orders", NP},
        {0, "SELECT avg(user_id) FROM orders", NP},
        {0, "SELECT avg(discount) FROM orders", NP},
        {0, "SELECT bool_and(paid), bool_or(paid) FROM orders", NP},
        {0,
         "SELECT bool_and(paid), bool_or(paid) FROM orders WHERE qty = 5 AND paid IS NOT NULL AND region = "
         "'US'",
         NP},
        {0, "SELECT every(qty > 0) FROM orders", NP},
        {0, "SELECT count(DISTINCT user_id) FROM orders", NP},
        {0,
         "SELECT count(*), sum(qty), avg(qty), min(price), max(status), bool_or(paid) FROM orders WHERE qty "
         "> 1000",
         NP},
        {0, "SELECT count(*) FROM sales", NP},
        {0, "SELECT sum(revenue), avg(revenue), sum(unit), avg(unit), min(sold_on), max(sold_on) FROM sales",
         NP},
        {0, "SELECT count(*), sum(score), avg(score), min(weight), max(weight), sum(weight) FROM events", NP},
        {0, "SELECT count(*) AS n, sum(qty) AS total_qty, avg(amount) AS avg_amount FROM orders WHERE paid",
         NP},
        {0, "SELECT sum(qty * price), sum(amount * qty), sum(qty::bigint) FROM orders", NP},
        {0,
         "SELECT max(amount - discount), min(length(note)), sum(CASE WHEN paid THEN 1 ELSE 0 END) FROM "
         "orders",
         NP},
        {0, "SELECT count(*) FILTER (WHERE paid), sum(qty) FILTER (WHERE status = 'new') FROM orders", NP},
        {0, "SELECT min(ref::text), max(ref::text) FROM orders", NP},
        {0, "SELECT count(*), max(id) FROM orders WHERE user_id = 99", NP},
        {0, "SELECT sum(amount) FROM orders WHERE region IN ('US', 'DE', 'JP')", NP},
        {0, "SELECT avg(qty), avg(price) FROM orders WHERE status = 'shipped'", NP},
        {0, "SELECT sum(qty) AS s FROM sales WHERE region = 'BR'", NP},
        {0, "SELECT avg(revenue), avg(qty) FROM sales WHERE region IN ('US', 'UK', 'JP', 'IN')", NP},
        {0, "SELECT 'label' AS l, count(*) FROM orders", NP},
        {0, "SELECT count(*) FROM orders HAVING count(*) > 10", NP},
        {0, "SELECT min(discount), max(discount), sum(discount) FROM orders WHERE status IS NULL", NP},
        {0, "SELECT count(note), min(note), max(lower(status)) FROM orders WHERE qty BETWEEN 4 AND 6", NP},

        /* ---- D. GROUP BY ---- */
        {0, "SELECT region, count(*), sum(amount) FROM orders GROUP BY region", NP},
        {O,
         "SELECT region, count(*), sum(amount), avg(amount), min(price), max(price) FROM orders GROUP BY "
         "region ORDER BY region",
         NP},
        {O, "SELECT status, count(*) FROM orders GROUP BY status ORDER BY status NULLS FIRST", NP},
        {O, "SELECT lower(status) AS st, count(*), sum(qty) FROM orders GROUP BY lower(status) ORDER BY st",
         NP},
        {O, "SELECT paid, count(*), avg(price) FROM orders GROUP BY paid ORDER BY paid NULLS LAST", NP},
        {O, "SELECT region, paid, count(*) FROM orders GROUP BY region, paid ORDER BY region, paid", NP},
        {0, "SELECT count(*) FROM orders GROUP BY region", NP},
        {O, "SELECT sum(qty) FROM orders GROUP BY region ORDER BY region", NP},
        {O, "SELECT user_id, count(*), sum(amount) FROM orders GROUP BY user_id ORDER BY user_id", NP},
        {O, "SELECT qty % 5 AS bucket, count(*), avg(qty) FROM orders GROUP BY qty % 5 ORDER BY bucket", NP},
        {O, "SELECT order_date, count(*) FROM orders GROUP BY order_date ORDER BY order_date", NP},
        {O,
         "SELECT date_trunc('month', order_date) AS m, count(*), sum(amount) FROM orders GROUP BY 1 ORDER BY "
         "1",
         NP},
        {O, "SELECT extract(dow FROM order_date) AS dow, count(*) FROM orders GROUP BY 1 ORDER BY 1", NP},
        {O, "SELECT region, count(DISTINCT user_id) FROM orders GROUP BY region ORDER BY region", NP},
        {O, "SELECT region, count(DISTINCT status) AS statuses FROM orders GROUP BY region ORDER BY 1", NP},
        {O, "SELECT region, bool_and(paid), bool_or(paid) FROM orders GROUP BY region ORDER BY region", NP},
        {O, "SELECT region, min(created_at), max(created_at) FROM orders GROUP BY region ORDER BY region",
         NP},
        {O, "SELECT region || '/' || coalesce(status, '-') AS k, count(*) FROM orders GROUP BY 1 ORDER BY 1",
         NP},
        {O,
         "SELECT status, region, count(*) FROM orders WHERE qty > 10 GROUP BY status, region ORDER BY status "
         "NULLS FIRST, region",
         NP},
        {O, "SELECT product, sum(qty), sum(revenue), avg(unit) FROM sales GROUP BY product ORDER BY product",
         NP},
        {O, "SELECT region, product, count(*) FROM sales GROUP BY region, product ORDER BY region, product",
         NP},
        {O, "SELECT channel, count(*), sum(revenue) FROM sales GROUP BY channel ORDER BY channel NULLS FIRST",
         NP},
        {O, "SELECT returned, count(*) FROM sales GROUP BY returned ORDER BY returned DESC NULLS LAST", NP},
        {O, "SELECT kind, count(*), avg(score), sum(weight) FROM events GROUP BY kind ORDER BY kind", NP},
        {O, "SELECT country, kind, count(*) FROM events GROUP BY country, kind ORDER BY country, kind", NP},
        {O, "SELECT date_trunc('day', created_at) AS day, count(*) FROM events GROUP BY 1 ORDER BY 1", NP},
        {0, "SELECT date_trunc('week', created_at) AS w, count(*), sum(weight) FROM events GROUP BY 1", NP},
        {O, "SELECT ok, count(*), count(score) FROM events GROUP BY ok ORDER BY ok NULLS FIRST", NP},
        {O, "SELECT user_id % 10 AS tail, count(*) FROM orders GROUP BY user_id % 10 ORDER BY 1", NP},
        {O,
         "SELECT paid, status, count(*), min(amount) FROM orders GROUP BY paid, status ORDER BY paid NULLS "
         "FIRST, status NULLS LAST",
         NP},
        {O,
         "SELECT sold_on, sum(revenue) FROM sales WHERE sold_on < DATE '2026-02-01' GROUP BY sold_on ORDER "
         "BY sold_on DESC",
         NP},
        {O, "SELECT region, count(*) FROM orders WHERE paid GROUP BY region ORDER BY 2 DESC, 1", NP},
        {O, "SELECT region FROM orders GROUP BY region ORDER BY sum(amount) DESC, region", NP},
        {O, "SELECT region, max(qty) FROM orders GROUP BY region ORDER BY avg(price), region", NP},
        {O,
         "SELECT note IS NULL AS no_note, count(*), sum(price) FROM orders GROUP BY note IS NULL ORDER BY 1",
         NP},

        /* ---- E. HAVING ---- */
        {O, "SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) > 250 ORDER BY region", NP},
        {O, "SELECT user_id, count(*) FROM orders GROUP BY user_id HAVING count(*) >= 7 ORDER BY user_id",
         NP},
        {O,
         "SELECT user_id, sum(amount) FROM orders GROUP BY user_id HAVING sum(amount) > 3000 AND min(qty) < "
         "5 ORDER BY user_id",
         NP},
        {O,
         "SELECT region, avg(qty) FROM orders GROUP BY region HAVING avg(qty) > 10.5 OR max(price) < 9900 "
         "ORDER BY region",
         NP},
        {O,
         "SELECT status, count(*) FROM orders GROUP BY status HAVING status IS NOT NULL AND count(*) > 10 "
         "ORDER BY status",
         NP},
        {O, "SELECT region FROM orders GROUP BY region HAVING sum(qty) > 2600 ORDER BY region", NP},
        {O,
         "SELECT product, count(*) FROM sales GROUP BY product HAVING sum(revenue) < 47000 ORDER BY product",
         NP},
        {O, "SELECT kind, count(*) FROM events GROUP BY kind HAVING NOT (count(*) < 300) ORDER BY kind", NP},
        {O,
         "SELECT country, count(DISTINCT user_id) AS users FROM events GROUP BY country HAVING "
         "count(DISTINCT "
         "user_id) > 90 ORDER BY country",
         NP},
        {O,
         "SELECT region, bool_or(paid) FROM orders GROUP BY region HAVING bool_and(paid) = false ORDER BY "
         "region",
         NP},
        {O, "SELECT user_id, max(amount) FROM orders GROUP BY user_id HAVING max(amount) >= 990 ORDER BY 1",
         NP},
        {O,
         "SELECT region, min(order_date) FROM orders GROUP BY region HAVING min(order_date) < DATE "
         "'2026-01-03' ORDER BY 1",
         NP},
        {O, "SELECT status, count(*) FROM orders GROUP BY status HAVING count(*) > 0 ORDER BY 1 NULLS FIRST",
         NP},
        {O, "SELECT user_id, count(*) AS n FROM orders GROUP BY user_id HAVING count(*) = 1 ORDER BY user_id",
         NP},
        {O,
         "SELECT region, sum(price) FROM orders GROUP BY region HAVING sum(price) > 1250000 OR region = 'SG' "
         "ORDER BY region",
         NP},
        {0, "SELECT paid, count(*) FROM orders GROUP BY paid HAVING paid IS NULL OR count(*) < 1000", NP},

        /* ---- F. ORDER BY ---- */
        {O, "SELECT id, user_id, amount FROM orders ORDER BY id", NP},
        {O, "SELECT id, amount FROM orders ORDER BY amount DESC, id", NP},
        {O, "SELECT id, price FROM orders ORDER BY price, id DESC", NP},
        {O, "SELECT id, status FROM orders ORDER BY status NULLS FIRST, id", NP},
        {O, "SELECT id, status FROM orders ORDER BY status DESC NULLS LAST, id", NP},
        {O, "SELECT id, paid FROM orders ORDER BY paid, id", NP},
        {O, "SELECT id, paid FROM orders ORDER BY paid DESC, id", NP},
        {O, "SELECT id, region, note FROM orders ORDER BY region, note, id", NP},
        {O, "SELECT id, order_date FROM orders ORDER BY order_date DESC, id", NP},
        {O, "SELECT id, created_at FROM orders ORDER BY created_at, id", NP},
        {O, "SELECT id, ref FROM orders ORDER BY ref, id", NP},
        {O, "SELECT qty * 2 AS dq, id FROM orders ORDER BY dq, id", NP},
        {O, "SELECT id, user_id FROM orders ORDER BY 2 DESC, 1", NP},
        {O, "SELECT id FROM orders ORDER BY qty * price DESC, id", NP},
        {O, "SELECT id, user_id FROM orders ORDER BY amount, id", NP},
        {O, "SELECT id, discount FROM orders ORDER BY discount NULLS FIRST, id", NP},
        {O, "SELECT user_id, id FROM orders ORDER BY user_id, id DESC", NP},
        {O,
         "SELECT id, region, status FROM orders WHERE qty > 15 ORDER BY lower(status) NULLS LAST, region "
         "DESC, id",
         NP},
        {O, "SELECT * FROM sales ORDER BY id", NP},
        {O, "SELECT id, region, revenue FROM sales ORDER BY region DESC, revenue, id", NP},
        {O, "SELECT id, unit FROM sales ORDER BY unit DESC, id", NP},
        {O, "SELECT id, channel FROM sales ORDER BY channel NULLS FIRST, id", NP},
        {O, "SELECT id, sold_on FROM sales ORDER BY sold_on, id", NP},
        {O, "SELECT * FROM events ORDER BY created_at DESC, id", NP},
        {O, "SELECT id, score FROM events ORDER BY score NULLS FIRST, id", NP},
        {O, "SELECT id, kind FROM events ORDER BY weight DESC, id", NP},
        {O, "SELECT id, ok FROM events ORDER BY ok NULLS FIRST, id DESC", NP},
        {O, "SELECT id, note FROM orders ORDER BY note COLLATE \"C\", id", NP},
        {O, "SELECT id, amount FROM orders WHERE user_id = 5 ORDER BY amount, id", NP},
        {O, "SELECT id, -qty AS neg FROM orders ORDER BY neg, id", NP},
        {O, "SELECT o.id, o.user_id FROM orders AS o ORDER BY o.user_id DESC, o.id", NP},
        {O,
         "SELECT id, amount, discount FROM orders WHERE discount IS NOT NULL ORDER BY amount - discount, id",
         NP},

        /* ---- G. DISTINCT ---- */
        {0, "SELECT DISTINCT region FROM orders", NP},
        {O, "SELECT DISTINCT status FROM orders ORDER BY status NULLS FIRST", NP},
        {O, "SELECT DISTINCT region, paid FROM orders ORDER BY region, paid", NP},
        {0, "SELECT DISTINCT lower(status) FROM orders", NP},
        {0, "SELECT DISTINCT kind, country FROM events WHERE created_at > now() - interval '10 days'", NP},
        {O, "SELECT DISTINCT qty FROM orders ORDER BY qty DESC LIMIT 5", NP},
        {0, "SELECT DISTINCT user_id FROM orders WHERE qty > 18", NP},
        {O, "SELECT DISTINCT order_date FROM orders ORDER BY order_date", NP},
        {0, "SELECT DISTINCT product, channel FROM sales", NP},
        {0, "SELECT DISTINCT paid FROM orders", NP},
        {O, "SELECT DISTINCT c.continent FROM orders o JOIN countries c ON c.code = o.region ORDER BY 1", NP},
        {0, "SELECT DISTINCT ok, kind FROM events", NP},

        /* ---- H. LIMIT / OFFSET ---- */
        {O, "SELECT id, amount FROM orders ORDER BY id LIMIT 10", NP},
        {O, "SELECT id, amount FROM orders ORDER BY id LIMIT 10 OFFSET 2990", NP},
        {O, "SELECT id FROM orders ORDER BY amount DESC, id LIMIT 5 OFFSET 5", NP},
        {O, "SELECT id FROM orders ORDER BY id LIMIT 0", NP},
        {O, "SELECT id FROM orders ORDER BY id OFFSET 2995", NP},
        {O, "SELECT id FROM orders ORDER BY id LIMIT ALL OFFSET 2990", NP},
        {O, "SELECT id FROM orders ORDER BY id OFFSET 5000", NP},
        {C, "SELECT id, user_id FROM orders LIMIT 50", NP},
        {C, "SELECT * FROM sales LIMIT 7 OFFSET 3", NP},
        {0, "SELECT id FROM orders LIMIT 5000", NP},
        {O,
         "SELECT user_id, sum(amount) AS total FROM orders GROUP BY user_id ORDER BY total DESC, user_id "
         "LIMIT 10",
         NP},
        {O,
         "SELECT region, count(*) FROM orders GROUP BY region ORDER BY count(*) DESC, region LIMIT 3 OFFSET "
         "1",
         NP},
        {O, "SELECT id, created_at FROM events ORDER BY created_at DESC, id LIMIT 25", NP},
        {O, "SELECT id, score FROM events WHERE score IS NOT NULL ORDER BY score DESC, id LIMIT 3", NP},
        {O,
         "SELECT id FROM sales WHERE region IN ('US', 'DE', 'JP') ORDER BY revenue DESC, id LIMIT 10 OFFSET "
         "10",
         NP},
        {C, "SELECT id FROM events WHERE created_at > now() - interval '20 days' LIMIT 10", NP},
        {O, "SELECT DISTINCT region FROM sales ORDER BY region LIMIT 4 OFFSET 2", NP},
        {O, "SELECT id FROM orders ORDER BY id FETCH FIRST 3 ROWS ONLY", NP},
        {C, "SELECT region, count(*) FROM orders GROUP BY region LIMIT 4", NP},

        /* ---- I. time ranges over the tiers (hot < 7d americas, warm < 30d europe, cold asia) ---- */
        {0, "SELECT id, kind FROM events WHERE created_at > now() - interval '3 days'", NP},
        {0, "SELECT id, kind FROM events WHERE created_at > now() - interval '10 days'", NP},
        {0, "SELECT count(*) FROM events WHERE created_at > now() - interval '10 days'", NP},
        {0, "SELECT count(*) FROM events WHERE created_at > now() - interval '45 days'", NP},
        {0, "SELECT count(*), sum(weight) FROM events WHERE created_at < now() - interval '60 days'", NP},
        {0,
         "SELECT count(*) FROM events WHERE created_at BETWEEN now() - interval '20 days' AND now() - "
         "interval '5 days'",
         NP},
        {O,
         "SELECT kind, count(*) FROM events WHERE created_at BETWEEN now() - interval '40 days' AND now() - "
         "interval '2 days' GROUP BY kind ORDER BY kind",
         NP},
        {0, "SELECT count(*) FROM events WHERE created_at >= current_date - 40", NP},
        {O,
         "SELECT id FROM events WHERE created_at >= current_date - 14 AND created_at < current_date - 2 "
         "ORDER BY id",
         NP},
        {O,
         "SELECT date_trunc('day', created_at) AS d, count(*), avg(score) FROM events WHERE created_at > "
         "now() - interval '30 days' GROUP BY 1 ORDER BY 1 DESC",
         NP},
        {O, "SELECT date_trunc('day', created_at)::date AS d, sum(weight) FROM events GROUP BY 1 ORDER BY 1",
         NP},
        {O,
         "SELECT country, count(*) FROM events WHERE created_at > now() - interval '8 days' GROUP BY country "
         "ORDER BY country",
         NP},
        {O,
         "SELECT id, created_at FROM events WHERE created_at > now() - interval '12 days' ORDER BY "
         "created_at, id",
         NP},
        {0,
         "SELECT min(created_at), max(created_at) FROM events WHERE created_at < now() - interval '25 days'",
         NP},
        {O,
         "SELECT kind, min(created_at), max(created_at) FROM events WHERE created_at > now() - interval '50 "
         "days' GROUP BY kind ORDER BY kind",
         NP},
        {0, "SELECT count(*) FROM events WHERE created_at > now() - interval '1 day'", NP},
        {0, "SELECT count(DISTINCT user_id) FROM events WHERE created_at > now() - interval '35 days'", NP},
        {O,
         "SELECT ok, count(*) FROM events WHERE created_at < now() - interval '5 days' AND created_at > "
         "now() "
         "- interval '9 days' GROUP BY ok ORDER BY ok NULLS FIRST",
         NP},
        {0, "SELECT id, weight FROM events WHERE created_at > now() - '15 days'::interval AND weight > 900",
         NP},
        {O,
         "SELECT e.kind, c.continent, count(*) FROM events e JOIN countries c ON c.code = e.country WHERE "
         "e.created_at > now() - interval '14 days' GROUP BY 1, 2 ORDER BY 1, 2",
         NP},
        {0, "SELECT count(*) FROM orders WHERE created_at > now() - interval '10 days'", NP},
        {O,
         "SELECT date_trunc('day', created_at) AS d, count(*) FROM orders WHERE created_at >= current_date - "
         "7 GROUP BY 1 ORDER BY 1",
         NP},
        {0, "SELECT avg(weight), count(*) FROM events WHERE created_at > now() - interval '90 days'", NP},
        {O,
         "SELECT id, kind, created_at FROM events WHERE created_at < now() - interval '85 days' ORDER BY "
         "created_at DESC, id",
         NP},

        /* ---- J. IN lists over regions (sales is sharded by region) ---- */
        {0, "SELECT id, revenue FROM sales WHERE region IN ('US', 'CA')", NP},
        {0, "SELECT id, revenue FROM sales WHERE region IN ('US', 'DE')", NP},
        {0, "SELECT count(*), sum(revenue) FROM sales WHERE region IN ('JP', 'DE', 'BR')", NP},
        {O,
         "SELECT region, count(*), avg(revenue) FROM sales WHERE region IN ('UK', 'FR', 'SG', 'MX') GROUP BY "
         "region ORDER BY region",
         NP},
        {O,
         "SELECT region, sum(qty) FROM sales WHERE region NOT IN ('US', 'UK') GROUP BY region ORDER BY 2 "
         "DESC, 1",
         NP},
        {O, "SELECT id, region FROM sales WHERE region IN ('AU', 'IN', 'ES') ORDER BY region, id LIMIT 40",
         NP},
        {0, "SELECT count(*) FROM sales WHERE region = 'DE' OR region = 'JP'", NP},
        {O,
         "SELECT product, count(*) FROM sales WHERE region IN ('US', 'CA', 'MX', 'BR', 'UK') GROUP BY "
         "product "
         "ORDER BY product",
         NP},
        {0, "SELECT DISTINCT channel FROM sales WHERE region IN ('SG', 'FR')", NP},
        {O,
         "SELECT s.region, c.name, sum(s.revenue) FROM sales s JOIN countries c ON c.code = s.region WHERE "
         "s.region IN ('US', 'JP') GROUP BY s.region, c.name ORDER BY c.name",
         NP},
        {O,
         "SELECT region, count(*) FROM orders WHERE region IN ('US', 'DE', 'JP') GROUP BY region ORDER BY "
         "region",
         NP},
        {O,
         "SELECT region, min(unit), max(unit), bool_or(returned) FROM sales WHERE region IN ('CA', 'FR', "
         "'AU') GROUP BY region ORDER BY region DESC",
         NP},

        /* ---- K. parameters ---- */
        {0, "SELECT id, amount FROM orders WHERE qty > $1", {"17", NULL}},
        {O,
         "SELECT region, count(*) FROM orders WHERE qty > $1 GROUP BY region ORDER BY region",
         {"10", NULL}},
        {O, "SELECT id FROM orders ORDER BY id LIMIT $1", {"7", NULL}},
        {O, "SELECT id FROM orders ORDER BY id LIMIT $1 OFFSET $2", {"5", "100"}},
        {0, "SELECT count(*), sum(revenue) FROM sales WHERE region = $1", {"DE", NULL}},
        {0, "SELECT count(*) FROM sales WHERE region IN ($1, $2)", {"US", "JP"}},
        {O,
         "SELECT kind, count(*) FROM events WHERE created_at > $1 GROUP BY kind ORDER BY kind",
         {"@ago:20", NULL}},
        {0, "SELECT count(*) FROM events WHERE created_at < $1::timestamptz", {"@ago:40", NULL}},
        {O,
         "SELECT status, sum(amount) FROM orders WHERE status = $1 OR status = $2 GROUP BY status ORDER BY "
         "status",
         {"new", "paid"}},
        {0, "SELECT avg(price), max(amount) FROM orders WHERE region = $1", {"BR", NULL}},
        {O,
         "SELECT user_id, count(*) FROM orders WHERE user_id BETWEEN $1 AND $2 GROUP BY user_id ORDER BY "
         "user_id",
         {"100", "140"}},
        {0, "SELECT id FROM orders WHERE user_id = $1", {"77", NULL}},
        {O, "SELECT id, price FROM orders WHERE price > $1 ORDER BY price DESC, id LIMIT 10", {"9000", NULL}},
        {0, "SELECT count(DISTINCT user_id) FROM events WHERE kind = $1", {"click", NULL}},
        {O,
         "SELECT region, bool_or(paid) FROM orders WHERE order_date >= $1 GROUP BY region ORDER BY region",
         {"2026-06-01", NULL}},
        {O, "SELECT id FROM events WHERE created_at BETWEEN $1 AND $2 ORDER BY id", {"@ago:12", "@ago:6"}},
        {0, "SELECT id, qty FROM orders WHERE region = $1 AND qty > $2", {"FR", "12"}},

        /* ---- L. expressions over aggregates (evaluated by PostgreSQL after the merge) ---- */
        {O, "SELECT region, round(avg(qty), 2) AS avg_qty FROM orders GROUP BY region ORDER BY region", NP},
        {O, "SELECT region, sum(amount) / count(*) AS mean FROM orders GROUP BY region ORDER BY region", NP},
        {0, "SELECT round(avg(amount), 1), count(*) + 1 FROM orders", NP},
        {O,
         "SELECT region, min(created_at)::date AS first_day, max(created_at)::date FROM orders GROUP BY "
         "region ORDER BY region",
         NP},
        {O,
         "SELECT status, coalesce(sum(discount), 0) AS d FROM orders GROUP BY status ORDER BY status NULLS "
         "FIRST",
         NP},
        {O,
         "SELECT kind, 100.0 * count(*) FILTER (WHERE ok) / count(*) AS pct_ok FROM events GROUP BY kind "
         "ORDER BY kind",
         NP},
        {O, "SELECT region, sum(qty)::int AS q FROM sales GROUP BY region ORDER BY q DESC, region", NP},
        {O,
         "SELECT product, max(revenue) - min(revenue) AS spread FROM sales GROUP BY product ORDER BY spread "
         "DESC, "
         "product LIMIT 5",
         NP},
        {O, "SELECT upper(region) || ':' || count(*) AS label FROM orders GROUP BY region ORDER BY 1", NP},
        {O, "SELECT region FROM orders GROUP BY region ORDER BY sum(amount) / count(*) DESC, region", NP},
        {O, "SELECT country, round(avg(weight)::numeric, 2) FROM events GROUP BY country ORDER BY country",
         NP},
        {O,
         "SELECT date_trunc('month', created_at) AS m, round((sum(weight) / count(*))::numeric, 3) FROM "
         "events "
         "GROUP BY 1 ORDER BY 1",
         NP},
        {0, "SELECT count(DISTINCT user_id) * 2 FROM events", NP},
        {O,
         "SELECT region, round(avg(qty), 2) FROM orders WHERE order_date >= $1 GROUP BY region ORDER BY 2 "
         "DESC, 1",
         {"2026-03-01", NULL}},
        {O,
         "SELECT channel, sum(revenue) / nullif(sum(qty), 0) FROM sales GROUP BY channel ORDER BY channel "
         "NULLS LAST",
         NP},
        {O,
         "SELECT region, count(*) AS n, round(100.0 * count(*) / 3000, 1) AS share FROM orders GROUP BY "
         "region "
         "HAVING count(*) > 100 ORDER BY region",
         NP},
        {O,
         "SELECT paid, round(avg(price)::numeric, 3), sum(qty) * 2 FROM orders GROUP BY paid ORDER BY paid",
         NP},
        {0, "SELECT min(order_date) + 1, max(order_date) - min(order_date) FROM orders", NP},
        /* HAVING compared with a parameter (the Bind's value, applied after the merge) */
        {O,
         "SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) > $1 ORDER BY region",
         {"240", NULL}},
        {O,
         "SELECT kind, sum(score) FROM events WHERE created_at > $1 GROUP BY kind HAVING sum(score) >= $2 "
         "ORDER BY kind",
         {"@ago:40", "100"}},
};

#undef O
#undef C
#undef NP

#define FANOUT_CORPUS_LEN (sizeof(fanout_corpus) / sizeof(fanout_corpus[0]))

#endif
