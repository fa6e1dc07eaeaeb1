#!/usr/bin/python3
"""psycopg_fanout.py — real Python drivers against scatter-gather.

Run by tests/integration/run.sh with the `fanout` cluster set (three shards,
tests/integration/fanout.yaml.in and fanout.setup.sql); CTest calls it
`clients.psycopg`. psycopg2 (simple protocol, parameters interpolated by the
client) and psycopg 3 (server-side parameters over the extended protocol,
text and binary results) are used exactly as applications use them: with
their default of a transaction around everything (no autocommit). Every
cross-shard query is also run on an unsharded `psyoracle` database that
holds the same rows, and the Python values must be equal (in order when
the query has ORDER BY, as a sorted list otherwise). Exit 0 when all agree.
"""
import os
import sys

import psycopg
import psycopg2

ENV = os.environ


def sg_dsn():
    return (f"host={ENV['SG_HOST']} port={ENV['SG_PORT']} dbname={ENV['SG_DB']} "
            f"user={ENV['SG_USER']} password={ENV['SG_PASSWORD']} sslmode=disable")


def pg_dsn(db):
    return (f"host={ENV['PG_HOST']} port={ENV['PG1_PORT']} dbname={db} "
            f"user={ENV['PG_USER']} password={ENV['PG_PASSWORD']} sslmode=disable")


REGIONS = ["US", "CA", "MX", "BR", "UK", "DE", "FR", "ES", "JP", "SG", "AU", "IN"]
CHANNELS = ["web", "store", None, "phone"]


def rows():
    """1,200 sales rows, deterministic (an LCG, not Python's random)."""
    x = 12345
    out = []
    for i in range(1, 1201):
        x = (x * 1103515245 + 12345) % 2**31
        out.append((i, REGIONS[x % 12], f"p{x % 7}", 1 + x % 9, f"{(x % 100000) / 100:.2f}",
                    (x % 400) * 0.25, f"2026-0{1 + x % 9}-1{x % 9}", CHANNELS[x % 4], x % 5 == 0))
    return out


INSERT = ("INSERT INTO sales (id, region, product, qty, revenue, unit, sold_on, channel, returned) "
          "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")

# (ordered, sql, params) — params use the drivers' %s placeholders.
QUERIES = [
    (False, "SELECT count(*), sum(revenue), avg(qty), min(sold_on), max(unit) FROM sales", None),
    (True, "SELECT region, count(*), sum(revenue) FROM sales GROUP BY region ORDER BY region", None),
    (True, "SELECT region, round(avg(revenue), 2) AS r FROM sales GROUP BY region ORDER BY r DESC, region",
     None),
    (True, "SELECT id, revenue FROM sales WHERE qty > %s ORDER BY revenue DESC, id LIMIT 7", (6,)),
    (True, "SELECT channel, count(DISTINCT product) FROM sales GROUP BY channel ORDER BY channel NULLS FIRST",
     None),
    (False, "SELECT id, region FROM sales WHERE region IN (%s, %s, %s)", ("US", "DE", "JP")),
    (True, "SELECT product, sum(qty) FROM sales WHERE sold_on >= %s GROUP BY product HAVING sum(qty) > %s "
           "ORDER BY 2 DESC, 1", ("2026-03-01", 10)),
    (True, "SELECT returned, bool_and(qty > 1), count(*) FROM sales GROUP BY returned ORDER BY returned", None),
    (True, "SELECT DISTINCT product FROM sales ORDER BY product", None),
    (True, "SELECT s.region, c.name, count(*) FROM sales s JOIN countries c ON c.code = s.region "
           "GROUP BY s.region, c.name ORDER BY 1", None),
    (True, "SELECT id FROM sales ORDER BY sold_on DESC, id LIMIT 5 OFFSET 10", None),
    (False, "SELECT sum(revenue) / count(*) FROM sales WHERE channel = %s", ("web",)),
]


def normal(result, ordered):
    return result if ordered else sorted(result, key=repr)


def run_all(conn, label, binary=False):
    """Every query on `conn` (a transaction, as the driver opens it);
    returns {index: rows}."""
    out = {}
    for i, (ordered, sql, params) in enumerate(QUERIES):
        cur = conn.cursor(binary=True) if binary else conn.cursor()
        cur.execute(sql, params)
        out[i] = normal(cur.fetchall(), ordered)
        cur.close()
    conn.commit()
    return out


def main():
    failures = 0
    data = rows()

    # The oracle: a database on pg1 with the same schema and rows.
    admin = psycopg2.connect(pg_dsn(ENV["PG_DB"]))
    admin.autocommit = True
    admin.cursor().execute("DROP DATABASE IF EXISTS psyoracle")
    admin.cursor().execute("CREATE DATABASE psyoracle")
    admin.close()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "integration", "fanout.setup.sql")) as f:
        setup = f.read()
    oracle = psycopg2.connect(pg_dsn("psyoracle"))
    oracle.cursor().execute(setup)
    oracle.cursor().executemany(INSERT, data)
    oracle.commit()

    # The same rows through shardgate, in the driver's default
    # transactions (each INSERT has its key: one shard per row).
    sg2 = psycopg2.connect(sg_dsn())
    cur = sg2.cursor()
    for r in data:
        cur.execute(INSERT, r)
        sg2.commit()

    want = run_all(oracle, "oracle")
    got2 = run_all(sg2, "psycopg2")
    sg3 = psycopg.connect(sg_dsn())
    got3 = run_all(sg3, "psycopg 3 (text)")
    got3b = run_all(sg3, "psycopg 3 (binary)", binary=True)

    for label, got in (("psycopg2", got2), ("psycopg 3 text", got3), ("psycopg 3 binary", got3b)):
        for i, (_, sql, params) in enumerate(QUERIES):
            if got[i] != want[i]:
                failures += 1
                print(f"FAIL [{label}] {sql} {params}\n  shardgate: {got[i][:10]}\n  oracle:    {want[i][:10]}")
    print(f"psycopg fan-out: {3 * len(QUERIES) - failures} of {3 * len(QUERIES)} results equal the oracle's")

    # A cross-shard error inside the driver's transaction fails it, as
    # PostgreSQL would; rollback recovers.
    cur = sg2.cursor()
    try:
        cur.execute("SELECT qty / 0 FROM sales")
        print("FAIL division by zero across shards did not raise")
        failures += 1
    except psycopg2.errors.DivisionByZero:
        pass
    try:
        cur.execute("SELECT count(*) FROM sales WHERE region = 'US'")
        print("FAIL a statement after the failed read was not refused")
        failures += 1
    except psycopg2.errors.InFailedSqlTransaction:
        pass
    sg2.rollback()
    cur.execute("SELECT count(*) FROM sales")
    if cur.fetchone()[0] != len(data):
        print("FAIL count after rollback")
        failures += 1
    sg2.rollback()

    for c in (sg2, sg3, oracle):
        c.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
