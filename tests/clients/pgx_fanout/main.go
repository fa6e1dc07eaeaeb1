// pgx_fanout — pgx v4, as applications use it, against scatter-gather.
//
// Run by tests/clients/pgx_fanout.sh under tests/integration/run.sh with the
// `fanout` cluster set (three shards, fanout.yaml.in, fanout.setup.sql); CTest
// calls it `clients.pgx_fanout`. pgx's defaults are what is under test: the
// extended protocol, a prepared statement cache (named statements, Describe
// before the first Execute), parameters and results in BINARY for every type
// pgx knows (int8, int4, numeric, float8, bool, date, timestamptz, uuid,
// text). Every cross-shard query also runs on `pgxoracle`, an unsharded
// database on pg1 holding the same rows; the column descriptions, the raw
// result bytes and the values of rows.Values() must be equal (in order when
// the query has ORDER BY, as sorted lists otherwise).
//
// Usage: pgx_fanout SETUP_SQL (connection details from run.sh's environment).
// Exits 0 when everything agrees; prints every difference otherwise.
//
// The cases in havingParams, checkTransactionUncached and
// checkFailedTransaction found three shardgate bugs when this test was
// written (binary HAVING parameters of unspecified type; a prepare inside a
// held transaction starting it on the default shard; a failed held
// transaction accepting extended-protocol statements); they now pass.
package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
)

const oracleDB = "pgxoracle"

var (
	regions  = []string{"US", "CA", "MX", "BR", "UK", "DE", "FR", "ES", "JP", "SG", "AU", "IN"}
	statuses = []interface{}{"pending", "paid", "shipped", nil, "cancelled"}
	channels = []interface{}{"web", "store", nil, "phone"}
	failures = 0
	checks   = 0
)

func env(k string) string {
	v := os.Getenv(k)
	if v == "" {
		fmt.Fprintf(os.Stderr, "pgx_fanout: %s is not set (run me through tests/integration/run.sh)\n", k)
		os.Exit(2)
	}
	return v
}

func dsn(host, port, db, user, password string) string {
	return fmt.Sprintf("host=%s port=%s dbname=%s user=%s password=%s sslmode=disable connect_timeout=10",
		host, port, db, user, password)
}

func connect(ctx context.Context, cs string) *pgx.Conn {
	c, err := pgx.Connect(ctx, cs)
	if err != nil {
		fatal("connect %q: %v", cs, err)
	}
	return c
}

func fatal(f string, a ...interface{}) {
	fmt.Printf("FAIL "+f+"\n", a...)
	os.Exit(1)
}

func fail(f string, a ...interface{}) {
	failures++
	fmt.Printf("FAIL "+f+"\n", a...)
}

// ---- deterministic data (an LCG, the same on both sides) ----------------

type lcg uint64

func (x *lcg) next() uint64 {
	*x = lcg((uint64(*x)*1103515245 + 12345) % (1 << 31))
	return uint64(*x) >> 4 // the low bits of a power-of-two LCG cycle fast
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func orderRows() [][]interface{} {
	x := lcg(4242)
	out := make([][]interface{}, 0, 1000)
	for i := int64(1); i <= 1000; i++ {
		r := x.next()
		var discount interface{}
		if r%5 != 0 {
			discount = fmt.Sprintf("%d.%02d", (r/5)%50, (r/7)%100)
		}
		var paid interface{}
		if r%7 != 0 {
			paid = (r/3)%2 == 0
		}
		var note interface{} = fmt.Sprintf("note-%d", (r/11)%40)
		if r%13 == 0 {
			note = nil
		}
		created := epoch.Add(time.Duration(x.next()%(365*86400))*time.Second +
			time.Duration(i%1000)*time.Microsecond)
		out = append(out, []interface{}{
			i,                    // id bigint
			int64(1 + (r/17)%97), // user_id bigint
			int32(1 + (r/19)%20), // qty int
			fmt.Sprintf("%d.%02d", (r/23)%9000, (r/29)%100), // amount numeric(12,2)
			float64((r/31)%400) * 0.25,                      // price float8
			discount,                                        // numeric(12,2), NULLs
			statuses[(r/37)%5],                              // status text, NULLs
			regions[(r/41)%12],                              // region
			epoch.AddDate(0, 0, int((r/43)%365)),            // order_date
			created,                                         // created_at timestamptz
			paid,                                            // bool, NULLs
			fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", x.next(), i, r%4096, (r/3)%4096, r*7919), // uuid
			note, // varchar(40)
		})
	}
	return out
}

func salesRows() [][]interface{} {
	x := lcg(777)
	out := make([][]interface{}, 0, 600)
	for i := int64(1); i <= 600; i++ {
		r := x.next()
		var returned interface{}
		if r%6 != 0 {
			returned = (r/5)%5 == 0
		}
		out = append(out, []interface{}{
			i, regions[r%12], fmt.Sprintf("p%d", (r/3)%7), int32(1 + (r/7)%9),
			fmt.Sprintf("%d.%02d", (r/11)%1000, (r/13)%100), float64((r/17)%400) * 0.25,
			epoch.AddDate(1, 0, int((r/19)%300)), channels[(r/23)%4], returned,
		})
	}
	return out
}

const insertOrder = "INSERT INTO orders (id, user_id, qty, amount, price, discount, status, region, " +
	"order_date, created_at, paid, ref, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
const insertSale = "INSERT INTO sales (id, region, product, qty, revenue, unit, sold_on, channel, returned) " +
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"

// ---- results -------------------------------------------------------------

// result is one query's answer in comparable form: the column descriptions
// that do not depend on the database (not the table OIDs), and per row the
// raw bytes as sent (binary for the types pgx knows) and rows.Values().
type result struct {
	cols string
	rows []string // "values | raw" per row
	err  string   // SQLSTATE of an error
}

func numericString(n pgtype.Numeric) string {
	if n.NaN {
		return "NaN"
	}
	s := new(big.Int).Abs(n.Int).String()
	neg := n.Int.Sign() < 0
	if n.Exp >= 0 {
		s += strings.Repeat("0", int(n.Exp))
	} else {
		scale := int(-n.Exp)
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func valueString(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "NULL"
	case pgtype.Numeric:
		return "numeric:" + numericString(t)
	case time.Time:
		return "time:" + t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	case [16]byte:
		return fmt.Sprintf("uuid:%x", t)
	case string:
		return fmt.Sprintf("%q", t)
	default:
		return fmt.Sprintf("%T:%v", v, v)
	}
}

func collect(rows pgx.Rows, ordered bool) result {
	var res result
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			res.err = "Values: " + err.Error()
			return res
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = valueString(v)
		}
		raw := make([]string, len(vals))
		for i, b := range rows.RawValues() {
			if b == nil {
				raw[i] = "-"
			} else {
				raw[i] = fmt.Sprintf("%x", b)
			}
		}
		res.rows = append(res.rows, "("+strings.Join(parts, ", ")+") raw["+strings.Join(raw, " ")+"]")
	}
	var cols []string
	for _, fd := range rows.FieldDescriptions() {
		cols = append(cols, fmt.Sprintf("%s:oid%d/size%d/mod%d/fmt%d", fd.Name, fd.DataTypeOID,
			fd.DataTypeSize, fd.TypeModifier, fd.Format))
	}
	res.cols = strings.Join(cols, " ")
	if err := rows.Err(); err != nil {
		res.err = errString(err)
	}
	if !ordered {
		sort.Strings(res.rows)
	}
	return res
}

func errString(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return "SQLSTATE " + pe.Code
	}
	return err.Error()
}

type querier interface {
	Query(ctx context.Context, sql string, args ...interface{}) (pgx.Rows, error)
}

func run(ctx context.Context, q querier, sql string, ordered bool, args []interface{}) result {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return result{err: errString(err)}
	}
	return collect(rows, ordered)
}

func show(r result) string {
	var b strings.Builder
	if r.err != "" {
		fmt.Fprintf(&b, "error %s; ", r.err)
	}
	fmt.Fprintf(&b, "%d rows; columns %s", len(r.rows), r.cols)
	for i, row := range r.rows {
		if i == 8 {
			fmt.Fprintf(&b, "\n      ...")
			break
		}
		fmt.Fprintf(&b, "\n      %s", row)
	}
	return b.String()
}

// compare runs sql on shardgate and the oracle and reports any difference.
func compare(ctx context.Context, sg, oracle querier, sql string, ordered bool, args ...interface{}) {
	checks++
	got := run(ctx, sg, sql, ordered, args)
	want := run(ctx, oracle, sql, ordered, args)
	if want.err != "" {
		fail("oracle: %s %v: %s", sql, args, want.err)
		return
	}
	if len(want.rows) == 0 {
		fail("oracle returned no rows (a test mistake): %s %v", sql, args)
		return
	}
	same := got.err == "" && got.cols == want.cols && len(got.rows) == len(want.rows)
	for i := 0; same && i < len(got.rows); i++ {
		same = got.rows[i] == want.rows[i]
	}
	if !same {
		first := ""
		for i := 0; i < len(got.rows) && i < len(want.rows); i++ {
			if got.rows[i] != want.rows[i] {
				first = fmt.Sprintf("\n  first difference at row %d:\n    shardgate: %s\n    oracle:    %s",
					i, got.rows[i], want.rows[i])
				break
			}
		}
		fail("%s %v\n  shardgate: %s\n  oracle:    %s%s", sql, args, show(got), show(want), first)
	}
}

// ---- the queries -----------------------------------------------------------

type query struct {
	ordered bool
	sql     string
	args    []interface{}
}

func a(v ...interface{}) []interface{} { return v }

var queries = []query{
	// aggregates over every column type
	{false, "SELECT count(*), sum(amount), avg(amount), min(amount), max(amount) FROM orders", nil},
	{false, "SELECT sum(qty), avg(qty), min(qty), max(qty), count(discount), sum(discount), avg(discount) " +
		"FROM orders", nil},
	{false, "SELECT sum(price), avg(price), min(price), max(price), sum(user_id), avg(id) FROM orders", nil},
	{false, "SELECT min(order_date), max(order_date), min(created_at), max(created_at), min(status), " +
		"max(note) FROM orders", nil},
	{false, "SELECT count(*), sum(revenue), avg(unit), min(sold_on), max(qty) FROM sales", nil},
	// GROUP BY with ORDER BY, HAVING with a parameter
	{true, "SELECT region, count(*), sum(amount), avg(price), min(created_at), max(order_date) FROM orders " +
		"GROUP BY region ORDER BY region", nil},
	{true, "SELECT status, count(*), sum(qty), avg(qty) FROM orders GROUP BY status ORDER BY status NULLS FIRST",
		nil},
	{true, "SELECT paid, count(*), bool_or(qty > 15), bool_and(qty > 0) FROM orders GROUP BY paid " +
		"ORDER BY paid", nil},
	// (a Go string is sent in text format; ints and floats, in binary, are
	// in havingParams)
	{true, "SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) > $1 ORDER BY region", a("80")},
	{true, "SELECT user_id, sum(amount) FROM orders GROUP BY user_id HAVING sum(amount) > $1 " +
		"ORDER BY sum(amount) DESC, user_id", a("50000.00")},
	{true, "SELECT product, sum(qty), sum(revenue), max(unit) FROM sales GROUP BY product ORDER BY product", nil},
	{true, "SELECT channel, returned, count(*) FROM sales GROUP BY channel, returned " +
		"ORDER BY channel NULLS LAST, returned NULLS FIRST", nil},
	// ORDER BY timestamptz, uuid; LIMIT/OFFSET with parameters
	{true, "SELECT id, user_id, created_at, amount FROM orders ORDER BY created_at DESC, id LIMIT 25", nil},
	{true, "SELECT ref, id, paid FROM orders WHERE qty > $1 ORDER BY ref", a(10)},
	{true, "SELECT id, amount, price FROM orders ORDER BY amount DESC, id LIMIT $1 OFFSET $2", a(10, 20)},
	{true, "SELECT id, sold_on, revenue FROM sales ORDER BY sold_on DESC, id LIMIT $1 OFFSET $2", a(7, 5)},
	{true, "SELECT * FROM orders ORDER BY id", nil},
	{false, "SELECT * FROM orders WHERE qty = $1", a(7)},
	// DISTINCT, count(DISTINCT)
	{true, "SELECT DISTINCT region FROM orders ORDER BY region", nil},
	{false, "SELECT DISTINCT status, paid FROM orders", nil},
	{false, "SELECT count(DISTINCT user_id) FROM orders", nil},
	{true, "SELECT region, count(DISTINCT user_id) FROM orders GROUP BY region ORDER BY region", nil},
	// IN lists over regions: orders (hash-sharded: all shards) and sales (region-sharded: pruned)
	{false, "SELECT id, region, amount FROM orders WHERE region IN ($1, $2)", a("US", "JP")},
	{true, "SELECT region, count(*), sum(revenue) FROM sales WHERE region IN ($1, $2) GROUP BY region " +
		"ORDER BY region", a("US", "DE")},
	{false, "SELECT id, region, unit FROM sales WHERE region IN ($1, $2, $3)", a("CA", "FR", "SG")},
	// expressions over aggregates
	{true, "SELECT region, round(avg(amount), 2), sum(amount) / count(*) FROM orders GROUP BY region " +
		"ORDER BY region", nil},
	{false, "SELECT round(avg(revenue), 2), sum(qty) / count(*), coalesce(sum(revenue), 0) FROM sales", nil},
	{true, "SELECT region, min(created_at)::date FROM orders GROUP BY region ORDER BY 1", nil},
	// parameters of the other binary types
	{false, "SELECT count(*), min(created_at), max(amount) FROM orders WHERE created_at >= $1 AND created_at < $2",
		a(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))},
	{true, "SELECT id, ref FROM orders WHERE ref > $1 ORDER BY ref LIMIT 5",
		a("04000000-0000-0000-0000-000000000000")},
	{false, "SELECT count(*), sum(price) FROM orders WHERE paid = $1", a(true)},
	{true, "SELECT order_date, count(*) FROM orders WHERE order_date BETWEEN $1 AND $2 GROUP BY order_date " +
		"ORDER BY order_date DESC", a(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC))},
	{true, "SELECT note, count(*) FROM orders GROUP BY note ORDER BY count(*) DESC, note NULLS FIRST LIMIT 10", nil},
	// a replicated table joined to a sharded one
	{true, "SELECT c.continent, count(*), sum(o.amount) FROM orders o JOIN countries c ON c.code = o.region " +
		"GROUP BY c.continent ORDER BY 1", nil},
}

// havingParams: a HAVING parameter that pgx sends in binary, its type taken
// from the statement's ParameterDescription (Parse said 0, "unspecified").
var havingParams = []query{
	{true, "SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) > $1 ORDER BY region", a(80)},
	{true, "SELECT user_id, sum(price) FROM orders GROUP BY user_id HAVING sum(price) > $1 ORDER BY user_id",
		a(550.5)},
	{true, "SELECT status, count(*) FROM orders GROUP BY status HAVING count(*) > $1::bigint " +
		"ORDER BY status NULLS FIRST", a(int64(150))},
}

// repeated is one cross-shard statement executed 20 times with different
// parameters: pgx prepares it once and reuses the cached statement.
const repeated = "SELECT count(*), sum(amount), avg(qty), max(created_at) FROM orders WHERE qty >= $1 AND region <> $2"

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pgx_fanout SETUP_SQL")
		os.Exit(2)
	}
	setup, err := os.ReadFile(os.Args[1])
	if err != nil {
		fatal("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	start := time.Now()
	pgHost, pg1, pgUser, pgPass := env("PG_HOST"), env("PG1_PORT"), env("PG_USER"), env("PG_PASSWORD")

	// The oracle: one unsharded database on pg1 with the same schema.
	admin := connect(ctx, dsn(pgHost, pg1, env("PG_DB"), pgUser, pgPass))
	for _, s := range []string{"DROP DATABASE IF EXISTS " + oracleDB, "CREATE DATABASE " + oracleDB} {
		if _, err := admin.Exec(ctx, s); err != nil {
			fatal("%s: %v", s, err)
		}
	}
	admin.Close(ctx)
	oracle := connect(ctx, dsn(pgHost, pg1, oracleDB, pgUser, pgPass))
	defer oracle.Close(ctx)
	if _, err := oracle.Exec(ctx, string(setup)); err != nil { // no arguments: simple protocol
		fatal("setup on the oracle: %v", err)
	}
	sg := connect(ctx, dsn(env("SG_HOST"), env("SG_PORT"), env("SG_DB"), env("SG_USER"), env("SG_PASSWORD")))
	defer sg.Close(ctx)

	// The same rows on both sides; through shardgate one INSERT per row,
	// each with its sharding key as a (binary) parameter.
	orders, sales := orderRows(), salesRows()
	for _, t := range []struct {
		sql  string
		rows [][]interface{}
	}{{insertOrder, orders}, {insertSale, sales}} {
		for _, r := range t.rows {
			if _, err := sg.Exec(ctx, t.sql, r...); err != nil {
				fatal("through shardgate: %s %v: %v", t.sql, r, err)
			}
			if _, err := oracle.Exec(ctx, t.sql, r...); err != nil {
				fatal("oracle: %s %v: %v", t.sql, r, err)
			}
		}
	}
	checkDistribution(ctx, len(orders), len(sales))

	for _, q := range queries {
		compare(ctx, sg, oracle, q.sql, q.ordered, q.args...)
	}
	for i := 0; i < 20; i++ {
		compare(ctx, sg, oracle, repeated, false, int32(1+i%18), regions[i%12])
	}
	// Every user's orders are on the shard its key hashes to: a one-shard
	// read by user_id finds exactly what the oracle holds.
	for u := int64(1); u <= 97; u += 8 {
		compare(ctx, sg, oracle, "SELECT id, amount, created_at FROM orders WHERE user_id = $1 ORDER BY id", true, u)
	}
	checkTransaction(ctx, sg, oracle)
	checkErrors(ctx, sg, oracle)
	for _, q := range havingParams {
		compare(ctx, sg, oracle, q.sql, q.ordered, q.args...)
	}
	checkTransactionUncached(ctx, sg, oracle)
	checkFailedTransaction(ctx, sg)

	fmt.Printf("pgx fan-out: %d of %d comparisons equal the oracle's (%d orders, %d sales rows; %.1f s)\n",
		checks-failures, checks, len(orders), len(sales), time.Since(start).Seconds())
	if failures > 0 {
		os.Exit(1)
	}
}

// checkDistribution counts the rows on each shard directly: every shard
// holds some of them and together they hold each row once.
func checkDistribution(ctx context.Context, nOrders, nSales int) {
	ports := []string{env("PG1_PORT"), env("PG2_PORT"), env("PG3_PORT")}
	totO, totS := 0, 0
	for i, p := range ports {
		c := connect(ctx, dsn(env("PG_HOST"), p, env("PG_DB"), env("PG_USER"), env("PG_PASSWORD")))
		var o, s int
		err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM sales)").Scan(&o, &s)
		c.Close(ctx)
		if err != nil {
			fatal("counting on shard %d: %v", i+1, err)
		}
		if o == 0 || s == 0 {
			fail("shard %d holds %d orders and %d sales rows: the rows were not spread", i+1, o, s)
		}
		totO += o
		totS += s
	}
	if totO != nOrders || totS != nSales {
		fail("the shards hold %d orders and %d sales rows, want %d and %d", totO, totS, nOrders, nSales)
	}
}

// txQueries run inside a transaction: the cross-shard reads first (they
// run outside the held BEGIN), the single-shard read last (it puts the
// transaction on its shard; a cross-shard read after it is 0A000 by design).
var txQueries = []query{
	{true, "SELECT region, count(*), sum(amount) FROM orders GROUP BY region ORDER BY region", nil},
	{true, "SELECT id, revenue FROM sales WHERE qty > $1 ORDER BY revenue DESC, id LIMIT 5", a(4)},
	{false, "SELECT count(*), sum(price) FROM orders WHERE user_id = $1", a(int64(5))},
}

// checkTransaction: reads inside an explicit transaction (pgx's Begin,
// a simple "begin"), with statements pgx has already prepared: the
// statements run once outside first. Preparing a new statement inside the
// transaction is a known bug (checkTransactionUncached).
func checkTransaction(ctx context.Context, sg, oracle *pgx.Conn) {
	for _, q := range txQueries {
		compare(ctx, sg, oracle, q.sql, q.ordered, q.args...)
	}
	inTransaction(ctx, sg, oracle, txQueries)
}

// checkTransactionUncached : the same with
// statements first seen inside the transaction. pgx prepares them
// (Parse/Describe/Sync, no Bind) before running them; shardgate sends that
// to the default shard together with the held BEGIN, so the transaction is
// on americas: the cross-shard read gets 0A000 "needs several shards but
// the transaction is on shard americas", and a one-shard read of a key on
// another shard gets 0A000 "the transaction is on shard americas, this
// statement needs shard ...".
func checkTransactionUncached(ctx context.Context, sg, oracle *pgx.Conn) {
	var qs []query
	for _, q := range txQueries {
		qs = append(qs, query{q.ordered, strings.Replace(q.sql, "SELECT ", "SELECT 1 AS uncached, ", 1), q.args})
	}
	inTransaction(ctx, sg, oracle, qs)
}

func inTransaction(ctx context.Context, sg, oracle *pgx.Conn, qs []query) {
	tx, err := sg.Begin(ctx)
	if err != nil {
		fail("Begin through shardgate: %v", err)
		return
	}
	otx, err := oracle.Begin(ctx)
	if err != nil {
		fatal("Begin on the oracle: %v", err)
	}
	for _, q := range qs {
		compare(ctx, tx, otx, q.sql, q.ordered, q.args...)
	}
	if err := tx.Commit(ctx); err != nil {
		fail("Commit through shardgate: %v", err)
	}
	if err := otx.Commit(ctx); err != nil {
		fatal("Commit on the oracle: %v", err)
	}
}

// expectError runs sql and wants SQLSTATE code.
func expectError(ctx context.Context, q querier, code, sql string, args ...interface{}) {
	checks++
	r := run(ctx, q, sql, false, args)
	if r.err != "SQLSTATE "+code {
		fail("%s %v: want SQLSTATE %s, got %s", sql, args, code, show(r))
	}
}

// checkErrors: a shard's error fails the statement with PostgreSQL's
// SQLSTATE, and the connection (and a transaction, after ROLLBACK) goes on.
func checkErrors(ctx context.Context, sg, oracle *pgx.Conn) {
	expectError(ctx, sg, "22012", "SELECT id, qty / 0 FROM orders")
	expectError(ctx, sg, "22012", "SELECT region, sum(qty) / (count(*) - count(*)) FROM orders GROUP BY region")
	expectError(ctx, sg, "22012", "SELECT id FROM orders WHERE qty / ($1::int - 1) > 0", 1)
	compare(ctx, sg, oracle, "SELECT count(*), sum(amount) FROM orders", false)

	// In a transaction (the statement is prepared already: see
	// checkTransactionUncached) the error fails the transaction: the next
	// statement is refused and COMMIT answers ROLLBACK. The next statement
	// goes by the simple protocol here: by the extended protocol it is a
	// known bug (checkFailedTransaction).
	tx, err := sg.Begin(ctx)
	if err != nil {
		fail("Begin through shardgate: %v", err)
		return
	}
	expectError(ctx, tx, "22012", "SELECT id, qty / 0 FROM orders")
	checks++
	if r := run(ctx, tx, "SELECT count(*) FROM orders", false, a(pgx.QuerySimpleProtocol(true))); r.err != "SQLSTATE 25P02" {
		fail("in the failed transaction (simple protocol): want SQLSTATE 25P02, got %s", show(r))
	}
	checks++
	if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
		fail("COMMIT of the failed transaction: want ROLLBACK (pgx.ErrTxCommitRollback), got %v", err)
	}
	compare(ctx, sg, oracle, "SELECT region, max(amount) FROM orders GROUP BY region ORDER BY region", true)
	compare(ctx, sg, oracle, repeated, false, int32(3), "US")
}

// checkFailedTransaction : after a cross-shard
// read failed inside a transaction that had no shard yet (BEGIN still held
// by shardgate), PostgreSQL refuses every further statement with 25P02 and
// COMMIT rolls back. Through shardgate, a statement by the extended
// protocol (Bind) is not refused: it attaches a backend, which gets the
// held BEGIN, and runs in a fresh transaction — a cached SELECT returns
// rows, a cached INSERT is applied and COMMIT commits it. (The simple
// protocol path answers 25P02.)
func checkFailedTransaction(ctx context.Context, sg *pgx.Conn) {
	const ins = "INSERT INTO orders (id, user_id, qty, amount, price, region, order_date, created_at, ref) " +
		"VALUES ($1, $2, 1, 1, 1, 'US', '2025-01-01', '2025-01-01', '00000000-0000-0000-0000-000000000001')"
	const bad = "SELECT id, qty / 0 FROM orders"
	if _, err := sg.Exec(ctx, ins, int64(90001), int64(90001)); err != nil { // prepares ins
		fail("INSERT through shardgate: %v", err)
		return
	}
	for _, after := range []query{
		{false, "SELECT count(*) FROM orders WHERE user_id = $1", a(int64(1))},
		{false, "SELECT count(*), sum(amount) FROM orders", nil},
		{false, "SELECT 1 AS fresh, count(*) FROM orders WHERE user_id = $1", a(int64(2))},
		{false, ins, a(int64(90002), int64(90002))},
	} {
		tx, err := sg.Begin(ctx)
		if err != nil {
			fail("Begin through shardgate: %v", err)
			return
		}
		expectError(ctx, tx, "22012", bad)
		expectError(ctx, tx, "25P02", after.sql, after.args...)
		checks++
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
			fail("COMMIT of the failed transaction (after %q): want ROLLBACK, got %v", after.sql, err)
		}
	}
	checks++
	var n int
	if err := sg.QueryRow(ctx, "SELECT count(*) FROM orders WHERE user_id = $1", int64(90002)).Scan(&n); err != nil || n != 0 {
		fail("the INSERT of the failed transaction was committed (%d rows, %v)", n, err)
	}
}
