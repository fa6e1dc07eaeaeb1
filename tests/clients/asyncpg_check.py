#!/usr/bin/python3
"""asyncpg_check.py — asyncpg (Debian's python3-asyncpg) through shardgate.

asyncpg prepares every statement it runs under its own name
(`__asyncpg_stmt_N__`), caches them per connection, uses binary results and
parameters for everything, pipelines executemany, COPYs in binary and
cancels on timeout: the driver that PgBouncer's transaction mode is known
to break. Run by tests/integration/run.sh with the `clients` cluster set
(clients.yaml.in, clients.setup.sql: transaction pooling, a pool of two
backend connections to shard main on pg1, jaccounts hash-sharded over main
and second on pg2); CTest calls it `clients.asyncpg`, and
`clients.asyncpg_direct` runs it against pg1 itself (SG_DIRECT=1), where
the checks about backends and placement are skipped. One check speaks the
wire protocol itself (a SCRAM login, then Execute with row limits over
the shards) to see PortalSuspended where a driver would hide it. Prints
"ok NAME" or "FAIL NAME: why" per check; exits 1 if any failed.
"""
import asyncio
import base64
import datetime
import decimal
import hashlib
import hmac
import io
import os
import struct
import sys
import time
import traceback
import uuid

import asyncpg

ENV = os.environ
DIRECT = ENV.get("SG_DIRECT") == "1"
FAILURES = []


class Failed(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise Failed(why)


def expect_eq(want, got, what):
    if want != got:
        raise Failed(f"{what}: expected {want!r}, got {got!r}")


async def expect_sqlstate(sqlstate, coro):
    try:
        await coro
    except asyncpg.PostgresError as e:
        expect_eq(sqlstate, e.sqlstate, f"SQLSTATE of {e}")
        return
    raise Failed(f"expected an error with SQLSTATE {sqlstate}, got none")


async def proxy(**kw):
    return await asyncpg.connect(host=ENV["SG_HOST"], port=int(ENV["SG_PORT"]), user=ENV["SG_USER"],
                                 password=ENV["SG_PASSWORD"], database=ENV["SG_DB"], **kw)


async def shard(port_var):
    """A shard itself, bypassing shardgate."""
    return await asyncpg.connect(host=ENV["PG_HOST"], port=int(ENV[port_var]), user=ENV["PG_USER"],
                                 password=ENV["PG_PASSWORD"], database=ENV["PG_DB"], ssl=False)


async def hold(conn):
    """Opens a transaction on conn; returns it and the backend pid it holds."""
    tr = conn.transaction()
    await tr.start()
    return tr, await conn.fetchval("SELECT pg_backend_pid()")


async def across_backends(rounds, body):
    """Runs body(i) (returns the backend pid it ran on) so that the client
    under test is served by both backends of the pool (size 2) in turn:
    another client holds one in a transaction while a round runs, so the
    round gets the other; then a third takes that one and the first lets go
    of its own, which the next round gets."""
    b, d = await proxy(), await proxy()
    try:
        holder, nxt = b, d
        tr, held = await hold(holder)
        pids = set()
        for i in range(rounds):
            pid = await body(i)
            if not DIRECT:
                expect(pid != held, f"round {i} ran on the backend another client holds")
            pids.add(pid)
            ntr, nheld = await hold(nxt)
            await tr.commit()
            holder, nxt, tr, held = nxt, holder, ntr, nheld
        await tr.commit()
        if not DIRECT:
            expect_eq(2, len(pids), f"distinct backends that served the client {sorted(pids)}")
    finally:
        await b.close()
        await d.close()


async def check_prepared_across_backends():
    """An explicitly prepared statement and the statement cache's implicit
    ones, each executed on both backends; the startup setting with them."""
    conn = await proxy(server_settings={"application_name": "asyncpg-check"})
    try:
        stmt = await conn.prepare("SELECT pg_backend_pid(), $1::int * 2, current_setting('application_name')")

        async def explicit(i):
            pid, doubled, app = await stmt.fetchrow(i)
            expect_eq(i * 2, doubled, f"result {i}")
            expect_eq("asyncpg-check", app, f"application_name, round {i}")
            return pid

        async def cached(i):
            pid, total = await conn.fetchrow("SELECT pg_backend_pid(), $1::int + $2::bigint", i, 10**12)
            expect_eq(i + 10**12, total, f"cached statement result {i}")
            return pid

        await across_backends(6, explicit)
        await across_backends(6, cached)
    finally:
        await conn.close()


SEEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=datetime.timezone.utc)


def payload(i):
    return bytes((i * 31 + k * 7) % 256 for k in range(i % 17 + 1))


def item(i):
    return (i, f"item-{i}" + (" ünï" if i % 10 == 0 else ""),
            decimal.Decimal(i).scaleb(-2) + decimal.Decimal("0.5"), payload(i), [i, -i, i * 1000],
            SEEN + datetime.timedelta(hours=i), f'{{"id": {i}, "even": {str(i % 2 == 0).lower()}}}',
            uuid.UUID(int=(i << 64) | (i * 7)))


async def check_executemany_and_types():
    conn = await proxy()
    try:
        await conn.executemany("INSERT INTO jitems (id, name, price, payload, tags, seen, doc, ref) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8)",
                               [item(i) for i in range(1, 201)])
        row = await conn.fetchrow("SELECT count(*), sum(price) FROM jitems")
        expect_eq((200, decimal.Decimal("301.00")), tuple(row), "count and sum")
        got = await conn.fetchrow("SELECT id, name, price, payload, tags, seen, doc::text, ref "
                                  "FROM jitems WHERE id = $1", 170)
        want = item(170)
        expect_eq(want[:3], tuple(got)[:3], "id, name, price")
        expect_eq(want[3], got["payload"], "payload")
        expect_eq(want[4], got["tags"], "tags")
        expect_eq(want[5], got["seen"], "seen")
        expect_eq('{"id": 170, "even": true}', got["doc"], "doc")
        expect_eq(want[7], got["ref"], "ref")
    finally:
        await conn.close()


async def check_binary_copy():
    conn = await proxy()
    try:
        status = await conn.copy_records_to_table(
            "jitems", records=[(i, f"copied, {i}", decimal.Decimal(i % 50) + decimal.Decimal("0.25"))
                               for i in range(2000, 2300)],
            columns=["id", "name", "price"])
        expect_eq("COPY 300", status, "COPY status")
        out = io.BytesIO()
        await conn.copy_from_query("SELECT id, name, price FROM jitems WHERE id >= 2000 ORDER BY id",
                                   output=out, format="csv")
        want = "".join(f'{i},"copied, {i}",{i % 50}.25\n' for i in range(2000, 2300))
        expect_eq(want, out.getvalue().decode(), "COPY OUT text")
    finally:
        await conn.close()


async def check_transactions_and_errors():
    conn = await proxy()
    try:
        try:
            async with conn.transaction():
                await conn.execute("INSERT INTO jitems (id, name) VALUES ($1, $2)", 1000, "rolled back")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        await expect_sqlstate("22012", conn.fetchval("SELECT 1 / $1::int", 0))
        await expect_sqlstate("42601", conn.execute("SELEC 1"))
        async with conn.transaction():
            await conn.execute("INSERT INTO jitems (id, name) VALUES ($1, $2)", 1001, "kept")
        await expect_sqlstate("23505", conn.execute("INSERT INTO jitems (id, name) VALUES ($1, 'dup')", 1001))
        # an error fails the transaction block: 25P02 until it ends
        tr = conn.transaction()
        await tr.start()
        await conn.execute("INSERT INTO jitems (id, name) VALUES ($1, $2)", 1003, "doomed")
        await expect_sqlstate("22012", conn.fetchval("SELECT 1 / $1::int", 0))
        await expect_sqlstate("25P02", conn.fetchval("SELECT 1"))
        await tr.rollback()
        expect_eq(1, await conn.fetchval("SELECT 1"), "usable after the rollback")
        expect_eq("1001", await conn.fetchval("SELECT string_agg(id::text, ',' ORDER BY id) FROM jitems "
                                              "WHERE id BETWEEN 1000 AND 1003"), "rows that survived")
    finally:
        await conn.close()


async def check_timeout_cancels():
    """A timeout makes asyncpg send a CancelRequest with the key shardgate
    gave it; the sleep must stop on its backend, not run on."""
    conn = await proxy()
    pg1 = await shard("PG1_PORT")
    try:
        t0 = time.monotonic()
        try:
            await conn.fetchval("SELECT pg_sleep(20)", timeout=1)
            raise Failed("the sleep was not interrupted")
        except asyncio.TimeoutError:
            pass
        for _ in range(50):
            running = await pg1.fetchval("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE state = 'active' AND query LIKE '%pg_sleep(20)%' "
                                         "AND pid <> pg_backend_pid()")
            if running == 0:
                break
            await asyncio.sleep(0.1)
        expect_eq(0, running, "sleeps still running on the shard after the cancel")
        expect(time.monotonic() - t0 < 15, "the cancel took too long")
        expect_eq(2, await conn.fetchval("SELECT 1 + 1"), "usable after the cancel")
    finally:
        await conn.close()
        await pg1.close()


async def check_listen_notify():
    """LISTEN pins the client to its backend; notifications reach the idle
    client without it sending anything."""
    listener, notifier = await proxy(), await proxy()
    got = []
    arrived = asyncio.Event()

    def on_note(_conn, _pid, channel, payload_):
        got.append((channel, payload_))
        if len(got) == 3:
            arrived.set()

    try:
        await listener.add_listener("asyncpg_chan", on_note)
        for i in range(3):
            await notifier.execute("SELECT pg_notify('asyncpg_chan', $1)", f"hello {i}")
        await asyncio.wait_for(arrived.wait(), 10)
        expect_eq([("asyncpg_chan", f"hello {i}") for i in range(3)], got, "notifications")
    finally:
        await listener.close()
        await notifier.close()


async def slotted(conn, ids, lo, hi):
    """The ids whose hash slot (PostgreSQL's own, satisfies_hash_partition
    with modulus 1024) is in [lo, hi]."""
    rows = await conn.fetch("SELECT id FROM unnest($1::bigint[]) id WHERE EXISTS (SELECT FROM "
                            "generate_series($2::int, $3::int) r WHERE satisfies_hash_partition("
                            "'jslot_probe'::regclass, 1024, r, id)) ORDER BY id", ids, lo, hi)
    return [r["id"] for r in rows]


async def check_routed():
    """Hash routing of bound int8 parameters (binary), one INSERT per
    row; every row on the shard its slot names (0-511 main, 512-1023
    second). executemany is one pipeline with one Sync, so one implicit
    transaction: over two shards it fails with 0A000 and writes nothing."""
    ids = list(range(1, 61))
    conn = await proxy()
    try:
        for i in ids:
            await conn.execute("INSERT INTO jaccounts (id, owner, balance) VALUES ($1, $2, $3)",
                               i, f"owner-{i}", decimal.Decimal(i * 10))
        for i in ids:
            expect_eq(f"owner-{i}", await conn.fetchval("SELECT owner FROM jaccounts WHERE id = $1", i),
                      f"owner {i}")
        # fetchrow/fetchval: Execute with a row limit of 1 and a Sync, on
        # every shard at once: the merged result's first row, in each mode
        row = await conn.fetchrow("SELECT count(*), sum(balance) FROM jaccounts")
        expect_eq((60, decimal.Decimal("18300.00")), tuple(row), "count and sum over shards")
        expect_eq((1, "owner-1"), tuple(await conn.fetchrow("SELECT id, owner FROM jaccounts ORDER BY id")),
                  "first row by id")
        expect_eq(("owner-9", 1), tuple(await conn.fetchrow(
            "SELECT owner, count(*) FROM jaccounts GROUP BY owner ORDER BY owner DESC")), "first group")
        expect(await conn.fetchval("SELECT id FROM jaccounts WHERE id IN (1, 2, 3)") in (1, 2, 3),
               "a row of the unordered result")
        expect_eq(30, await conn.fetchval("SELECT count(*) FROM jaccounts WHERE id > $1", 30), "count over $1")
        if not DIRECT:
            # inside a transaction the portal outlives the Sync: refused
            async with conn.transaction():
                await expect_sqlstate("0A000", conn.fetchrow("SELECT id FROM jaccounts ORDER BY id"))
        if DIRECT:
            return
        await expect_sqlstate("0A000", conn.executemany(
            "INSERT INTO jaccounts (id, owner, balance) VALUES ($1, $2, $3)",
            [(i, f"owner-{i}", decimal.Decimal(i)) for i in range(101, 141)]))
        expect_eq(0, await conn.fetchval("SELECT count(*) FROM jaccounts WHERE id BETWEEN 101 AND 140"),
                  "rows written by the refused executemany")
    finally:
        await conn.close()
    main, second = await shard("PG1_PORT"), await shard("PG2_PORT")
    try:
        want_main = await slotted(main, ids, 0, 511)
        want_second = await slotted(main, ids, 512, 1023)
        expect(want_main and want_second, "the ids do not cover both shards")
        expect_eq(want_main, [r["id"] for r in await main.fetch("SELECT id FROM jaccounts ORDER BY id")],
                  "ids on shard main")
        expect_eq(want_second, [r["id"] for r in await second.fetch("SELECT id FROM jaccounts ORDER BY id")],
                  "ids on shard second")
    finally:
        await main.close()
        await second.close()


class Wire:
    """A bare protocol 3.0 client (SCRAM-SHA-256 login), to see the
    messages themselves where a driver would hide them."""

    def __init__(self, reader, writer):
        self.r, self.w = reader, writer

    async def recv(self):
        head = await asyncio.wait_for(self.r.readexactly(5), 10)
        body = await self.r.readexactly(struct.unpack("!I", head[1:])[0] - 4)
        return chr(head[0]), body

    def send(self, kind, body):
        self.w.write(kind.encode() + struct.pack("!I", len(body) + 4) + body)

    async def login(self, user, password, database):
        params = f"user\0{user}\0database\0{database}\0\0".encode()
        self.w.write(struct.pack("!II", len(params) + 8, 196608) + params)
        kind, body = await self.recv()
        expect(kind == "R" and struct.unpack("!I", body[:4])[0] == 10, f"expected SASL, got {kind}")
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n=,r={nonce}"
        first = ("n,," + first_bare).encode()
        self.send("p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first)
        kind, body = await self.recv()
        server_first = body[4:].decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        final_bare = f"c=biws,r={attrs['r']}"
        auth_msg = f"{first_bare},{server_first},{final_bare}".encode()
        sig = hmac.new(hashlib.sha256(client_key).digest(), auth_msg, hashlib.sha256).digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig))).decode()
        self.send("p", f"{final_bare},p={proof}".encode())
        while True:
            kind, body = await self.recv()
            expect(kind != "E", f"login failed: {body!r}")
            if kind == "Z":
                return

    async def until_ready(self):
        """The types of the messages up to ReadyForQuery, and the DataRows'
        first columns."""
        kinds, firsts = [], []
        while True:
            kind, body = await self.recv()
            kinds.append(kind)
            if kind == "D":
                n = struct.unpack("!i", body[2:6])[0]
                firsts.append(body[6:6 + n].decode())
            if kind == "Z":
                return "".join(kinds), firsts

    async def run(self, sql, max_rows):
        """Parse/Bind/Execute(max_rows)/Sync of the unnamed statement."""
        self.send("P", b"\0" + sql.encode() + b"\0" + struct.pack("!H", 0))
        self.send("B", b"\0\0" + struct.pack("!HHH", 0, 0, 0))
        self.send("E", b"\0" + struct.pack("!i", max_rows))
        self.send("S", b"")
        await self.w.drain()
        return await self.until_ready()


async def check_wire_protocol():
    """An Execute with a row limit over several shards, outside a
    transaction, as PostgreSQL answers it: at most that many DataRows, then
    PortalSuspended if it got all it asked for, CommandComplete if fewer."""
    reader, writer = await asyncio.open_connection(ENV["SG_HOST"], int(ENV["SG_PORT"]))
    wire = Wire(reader, writer)
    try:
        await wire.login(ENV["SG_USER"], ENV["SG_PASSWORD"], ENV["SG_DB"])
        sql = "SELECT id FROM jaccounts WHERE id BETWEEN 1 AND 10 ORDER BY id"
        expect_eq(("12DDDsZ", ["1", "2", "3"]), await wire.run(sql, 3), "row limit 3 of 10")
        # all it asked for: suspended even with no rows left, as PostgreSQL
        expect_eq(("12" + "D" * 10 + "sZ", [str(i) for i in range(1, 11)]), await wire.run(sql, 10),
                  "row limit 10 of 10")
        expect_eq(("12" + "D" * 10 + "CZ", [str(i) for i in range(1, 11)]), await wire.run(sql, 11),
                  "row limit 11 of 10")
        expect_eq(("12" + "D" * 10 + "CZ", [str(i) for i in range(1, 11)]), await wire.run(sql, 0),
                  "no row limit")
        grouped = "SELECT owner, count(*) FROM jaccounts WHERE id <= 10 GROUP BY owner ORDER BY owner"
        expect_eq(("12DDsZ", ["owner-1", "owner-10"]), await wire.run(grouped, 2), "row limit 2 of 10 groups")
        unordered = "SELECT id FROM jaccounts WHERE id BETWEEN 1 AND 10"
        kinds, firsts = await wire.run(unordered, 4)
        expect_eq("12DDDDsZ", kinds, "row limit 4 of 10 unordered")
        expect(len(set(firsts)) == 4 and set(firsts) <= {str(i) for i in range(1, 11)}, f"rows {firsts}")
        await prepare_flush_then_bind(wire)
    finally:
        writer.close()


async def prepare_flush_then_bind(wire):
    """asyncpg's order: Parse/Describe/Flush of a named INSERT, then
    Bind/Execute/Sync of a row whose shard is not the default one, after a
    pause (the backend that described is let go at the Flush) or at once
    (the Bind may arrive with the Parse, or while that backend is being let
    go). Either way the answer is PostgreSQL's and the row lands on its own
    shard."""
    pg1 = await shard("PG1_PORT")
    try:
        ids = await slotted(pg1, list(range(9000, 9100)), 512, 1023)
    finally:
        await pg1.close()
    for n, i in enumerate(ids[:5]):
        name = f"wire_ins_{n}".encode()
        sql = b"INSERT INTO jaccounts (id, owner, balance) VALUES ($1, $2, $3)"
        wire.send("P", name + b"\0" + sql + b"\0" + struct.pack("!H", 0))
        wire.send("D", b"S" + name + b"\0")
        wire.send("H", b"")
        await wire.w.drain()
        if n % 2 == 0:
            await asyncio.sleep(0.05)  # the describe answered: asyncpg's own pace
        params = b"".join(struct.pack("!i", len(v)) + v for v in (str(i).encode(), b"wire", b"1"))
        wire.send("B", b"\0" + name + b"\0" + struct.pack("!HH", 0, 3) + params + struct.pack("!H", 0))
        wire.send("E", b"\0" + struct.pack("!i", 0))
        wire.send("S", b"")
        await wire.w.drain()
        kinds, _ = await wire.until_ready()
        expect_eq("1tn2CZ", kinds, f"prepare, flush, then bind of id {i}")
    if DIRECT:
        return
    second = await shard("PG2_PORT")
    try:
        got = await second.fetchval("SELECT count(*) FROM jaccounts WHERE owner = 'wire'")
        expect_eq(5, got, "rows on shard second")
    finally:
        await second.close()


CHECKS = [
    check_prepared_across_backends,
    check_executemany_and_types,
    check_binary_copy,
    check_transactions_and_errors,
    check_timeout_cancels,
    check_listen_notify,
    check_routed,
    check_wire_protocol,
]


async def main():
    for check in CHECKS:
        name = check.__name__[len("check_"):]
        try:
            await asyncio.wait_for(check(), 60)
            print(f"ok {name}", flush=True)
        except Exception as e:  # every failure is reported, then the next check runs
            FAILURES.append(name)
            print(f"FAIL {name}: {e!r}", flush=True)
            traceback.print_exc(file=sys.stdout)
    print("asyncpg: all checks passed" if not FAILURES else f"asyncpg: {len(FAILURES)} check(s) failed")
    return 0 if not FAILURES else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
