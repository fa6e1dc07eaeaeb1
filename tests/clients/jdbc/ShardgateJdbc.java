// ShardgateJdbc.java — the PostgreSQL JDBC driver (pgjdbc, Debian's
// libpostgresql-jdbc-java) through shardgate in transaction mode.
//
// Run by tests/clients/jdbc.sh under tests/integration/run.sh with the
// `clients` cluster set (clients.yaml.in, clients.setup.sql): a pool of two backend
// connections to shard main (pg1), and jaccounts hash-sharded over main and
// second (pg2). Every check asserts exact values; the ones about backends
// and placement need the proxy and are skipped under SG_DIRECT=1, where the
// same program runs against pg1 itself to prove its expectations are
// PostgreSQL's. Prints "ok NAME" or "FAIL NAME: why" per check; exits 1 if
// any check failed.

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.UUID;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyManager;

public final class ShardgateJdbc {
    private static final boolean DIRECT = "1".equals(System.getenv("SG_DIRECT"));
    private static int failures = 0;

    interface Check {
        void run() throws Exception;
    }

    static final class Failed extends Exception {
        Failed(String why) {
            super(why);
        }
    }

    static void expect(boolean cond, String why) throws Failed {
        if (!cond)
            throw new Failed(why);
    }

    static void expectEq(Object want, Object got, String what) throws Failed {
        if (want == null ? got != null : !want.equals(got))
            throw new Failed(what + ": expected <" + want + ">, got <" + got + ">");
    }

    static void expectState(String sqlstate, Check body) throws Exception {
        try {
            body.run();
        } catch (SQLException e) {
            expectEq(sqlstate, e.getSQLState(), "SQLSTATE of \"" + e.getMessage() + "\"");
            return;
        }
        throw new Failed("expected an error with SQLSTATE " + sqlstate + ", got none");
    }

    static void check(String name, Check body) {
        try {
            body.run();
            System.out.println("ok " + name);
        } catch (Exception e) {
            failures++;
            System.out.println("FAIL " + name + ": " + e);
            e.printStackTrace(System.out);
        }
    }

    static Connection proxy(String... props) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", System.getenv("SG_USER"));
        p.setProperty("password", System.getenv("SG_PASSWORD"));
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "60");
        for (int i = 0; i + 1 < props.length; i += 2)
            p.setProperty(props[i], props[i + 1]);
        String url = "jdbc:postgresql://" + System.getenv("SG_HOST") + ":" + System.getenv("SG_PORT") + "/"
                + System.getenv("SG_DB");
        return DriverManager.getConnection(url, p);
    }

    // A shard itself, bypassing shardgate (placement checks).
    static Connection shard(String portVar) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", System.getenv("PG_USER"));
        p.setProperty("password", System.getenv("PG_PASSWORD"));
        String url = "jdbc:postgresql://" + System.getenv("PG_HOST") + ":" + System.getenv(portVar) + "/"
                + System.getenv("PG_DB");
        return DriverManager.getConnection(url, p);
    }

    static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next())
                return null;
            return rs.getString(1);
        }
    }

    // The first row's columns, space-separated.
    static String row(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next())
                return null;
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++)
                b.append(i > 1 ? " " : "").append(rs.getString(i));
            return b.toString();
        }
    }

    // Begins a transaction on c and returns the backend pid it holds.
    static int hold(Connection c) throws SQLException {
        c.setAutoCommit(false);
        return Integer.parseInt(one(c, "SELECT pg_backend_pid()"));
    }

    interface Round {
        // Runs round i on the connection under test; returns the backend
        // pid its statement ran on.
        int run(int i) throws Exception;
    }

    // Runs `rounds` rounds so that the client under test is served by both
    // backend connections of the pool (size 2), in turn: another client
    // holds one backend in a transaction while a round runs, so the round
    // gets the other; then a third client takes that one and the first lets
    // go of its own, which the next round gets.
    static void acrossBackends(int rounds, Round body) throws Exception {
        try (Connection b = proxy(); Connection d = proxy()) {
            Connection holder = b, next = d;
            int held = hold(holder);
            TreeSet<Integer> pids = new TreeSet<>();
            for (int i = 0; i < rounds; i++) {
                int pid = body.run(i);
                if (!DIRECT)
                    expect(pid != held, "round " + i + " ran on the backend another client holds");
                pids.add(pid);
                int nextHeld = hold(next);
                holder.setAutoCommit(true);
                Connection t = holder;
                holder = next;
                next = t;
                held = nextHeld;
            }
            holder.setAutoCommit(true);
            if (!DIRECT)
                expectEq(2, pids.size(), "distinct backends that served the client " + pids);
        }
    }

    // Startup parameters pgjdbc sends, and a SET, on every backend serving
    // the client.
    static void sessionParameters() throws Exception {
        try (Connection c = proxy("ApplicationName", "jdbc-check")) {
            String sql = "SELECT pg_backend_pid(), current_setting('application_name'), "
                    + "current_setting('DateStyle'), current_setting('client_encoding'), "
                    + "current_setting('extra_float_digits'), current_setting('TimeZone'), "
                    + "'2026-01-01 00:00:00+00'::timestamptz::text";
            acrossBackends(4, i -> {
                if (i == 2)
                    try (Statement st = c.createStatement()) {
                        st.execute("SET TIME ZONE 'Asia/Tokyo'");
                    }
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                    expect(rs.next(), "no row");
                    expectEq("jdbc-check", rs.getString(2), "application_name, round " + i);
                    expectEq("ISO, MDY", rs.getString(3), "DateStyle, round " + i);
                    expectEq("UTF8", rs.getString(4), "client_encoding, round " + i);
                    expectEq("3", rs.getString(5), "extra_float_digits, round " + i);
                    if (i < 2) {
                        // jdbc.sh runs the JVM in this zone; pgjdbc sends it
                        // as the TimeZone startup parameter.
                        expectEq("America/New_York", rs.getString(6), "TimeZone from startup, round " + i);
                        expectEq("2025-12-31 19:00:00-05", rs.getString(7), "timestamptz text, round " + i);
                    } else {
                        expectEq("Asia/Tokyo", rs.getString(6), "TimeZone after SET, round " + i);
                        expectEq("2026-01-01 09:00:00+09", rs.getString(7), "timestamptz text, round " + i);
                    }
                    return rs.getInt(1);
                }
            });
        }
    }

    // One named server-side statement executed on both backend connections
    // of the pool: shardgate prepares it wherever the Bind lands.
    static void preparedAcrossBackends() throws Exception {
        try (Connection c = proxy("prepareThreshold", "1");
                PreparedStatement ps = c.prepareStatement("SELECT pg_backend_pid(), ?::int * 2")) {
            acrossBackends(6, i -> {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    expect(rs.next(), "no row");
                    expectEq(i * 2, rs.getInt(2), "result " + i);
                    expect(((PGStatement) ps).isUseServerPrepare(), "statement is not server-prepared");
                    return rs.getInt(1);
                }
            });
        }
    }

    static final OffsetDateTime SEEN = OffsetDateTime.of(2026, 3, 4, 5, 6, 7, 890000000, ZoneOffset.UTC);

    static byte[] payload(int id) {
        byte[] b = new byte[id % 17 + 1];
        for (int i = 0; i < b.length; i++)
            b[i] = (byte) (id * 31 + i * 7);
        return b;
    }

    // executeBatch (one Sync for 200 Bind/Execute pairs), many types, read
    // back with text and (prepareThreshold=-1) binary results.
    static void batchAndTypes() throws Exception {
        try (Connection c = proxy("prepareThreshold", "-1")) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jitems (id, name, price, payload, tags, "
                    + "seen, doc, ref) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?)")) {
                for (int id = 1; id <= 200; id++) {
                    ps.setInt(1, id);
                    ps.setString(2, "item-" + id + (id % 10 == 0 ? " ünï" : ""));
                    ps.setBigDecimal(3, new BigDecimal(id).movePointLeft(2).add(new BigDecimal("0.5")));
                    ps.setBytes(4, payload(id));
                    ps.setArray(5, c.createArrayOf("int4", new Integer[] {id, -id, id * 1000}));
                    ps.setObject(6, SEEN.plusHours(id));
                    ps.setString(7, "{\"id\": " + id + ", \"even\": " + (id % 2 == 0) + "}");
                    ps.setObject(8, new UUID(id, id * 7L));
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                expectEq(200, counts.length, "batch counts");
                for (int n : counts)
                    expectEq(1, n, "rows per batch entry");
            }
            expectEq("200 301.00", row(c, "SELECT count(*), sum(price) FROM jitems"), "count and sum");
            for (int round = 0; round < 2; round++) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT name, price, payload, tags, seen, doc, ref FROM jitems WHERE id = ?")) {
                    ps.setInt(1, 170);
                    try (ResultSet rs = ps.executeQuery()) {
                        expect(rs.next(), "row 170 missing");
                        expectEq("item-170 ünï", rs.getString(1), "name");
                        expectEq(new BigDecimal("2.20"), rs.getBigDecimal(2), "price");
                        expect(Arrays.equals(payload(170), rs.getBytes(3)), "payload bytes");
                        Array a = rs.getArray(4);
                        expectEq(Arrays.asList(170, -170, 170000), Arrays.asList((Integer[]) a.getArray()), "tags");
                        expectEq(SEEN.plusHours(170).toInstant(),
                                rs.getObject(5, OffsetDateTime.class).toInstant(), "seen");
                        expectEq("{\"id\": 170, \"even\": true}", rs.getString(6), "doc");
                        expectEq(new UUID(170, 1190), rs.getObject(7), "ref");
                        expect(!rs.next(), "more than one row");
                    }
                }
            }
        }
    }

    static void transactionsAndErrors() throws Exception {
        try (Connection c = proxy()) {
            expectState("22012", () -> one(c, "SELECT 1/0"));
            expectState("42601", () -> one(c, "SELEC 1"));
            expectEq("1", one(c, "SELECT 1"), "usable after errors");
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO jitems (id, name) VALUES (1000, 'rolled back')");
                c.rollback();
                st.executeUpdate("INSERT INTO jitems (id, name) VALUES (1001, 'kept')");
                Savepoint sp = c.setSavepoint();
                expectState("23505", () -> st.executeUpdate("INSERT INTO jitems (id, name) VALUES (1001, 'dup')"));
                expectState("25P02", () -> one(c, "SELECT 1"));
                c.rollback(sp);
                st.executeUpdate("INSERT INTO jitems (id, name) VALUES (1002, 'after savepoint')");
                c.commit();
                st.executeUpdate("INSERT INTO jitems (id, name) VALUES (1003, 'doomed')");
                expectState("22012", () -> one(c, "SELECT 1/0"));
                expectState("25P02", () -> one(c, "SELECT 1"));
                c.rollback();
            }
            c.setAutoCommit(true);
            expectEq("1001,1002", one(c, "SELECT string_agg(id::text, ',' ORDER BY id) FROM jitems "
                    + "WHERE id BETWEEN 1000 AND 1003"), "rows that survived");
        }
    }

    // setFetchSize in a transaction: Execute with a row limit, PortalSuspended,
    // more Executes on the same portal.
    static void cursorFetch() throws Exception {
        try (Connection c = proxy()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT g FROM generate_series(1, ?) g")) {
                ps.setFetchSize(64);
                ps.setInt(1, 1000);
                long n = 0, sum = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        n++;
                        sum += rs.getLong(1);
                        expectEq(n, rs.getLong(1), "row order");
                    }
                }
                expectEq(1000L, n, "rows");
                expectEq(500500L, sum, "sum");
            }
            c.commit();
        }
    }

    static void generatedKeys() throws Exception {
        try (Connection c = proxy("prepareThreshold", "1");
                PreparedStatement ps = c.prepareStatement("INSERT INTO jauto (note) VALUES (?)",
                        Statement.RETURN_GENERATED_KEYS)) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ps.setString(1, "note " + i);
                expectEq(1, ps.executeUpdate(), "inserted");
                try (ResultSet rs = ps.getGeneratedKeys()) {
                    expect(rs.next(), "no generated key");
                    ids.add(rs.getInt("id"));
                }
            }
            expectEq(Arrays.asList(1, 2, 3, 4), ids, "generated ids");
        }
    }

    static void copyBothWays() throws Exception {
        try (Connection c = proxy()) {
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder in = new StringBuilder();
            for (int id = 2000; id < 2300; id++)
                in.append(id).append(",\"copied, ").append(id).append("\",").append(id % 50).append(".25\n");
            expectEq(300L, cm.copyIn("COPY jitems (id, name, price) FROM STDIN (FORMAT csv)",
                    new StringReader(in.toString())), "COPY IN rows");
            StringWriter out = new StringWriter();
            expectEq(300L, cm.copyOut("COPY (SELECT id, name, price FROM jitems WHERE id >= 2000 ORDER BY id) "
                    + "TO STDOUT (FORMAT csv)", out), "COPY OUT rows");
            expectEq(in.toString(), out.toString(), "COPY OUT text");
            expectEq("300", one(c, "SELECT count(*) FROM jitems WHERE id >= 2000"), "rows after COPY");
        }
    }

    // setQueryTimeout sends a CancelRequest on a new connection with the
    // BackendKeyData shardgate gave; the right backend must be cancelled.
    static void queryTimeoutCancels() throws Exception {
        try (Connection c = proxy(); Statement st = c.createStatement()) {
            st.setQueryTimeout(1);
            long t0 = System.nanoTime();
            expectState("57014", () -> st.execute("SELECT pg_sleep(20)"));
            long ms = (System.nanoTime() - t0) / 1000000;
            expect(ms < 15000, "the sleep was not cancelled (" + ms + " ms)");
            st.setQueryTimeout(0);
            expectEq("2", one(c, "SELECT 1 + 1"), "usable after the cancel");
        }
    }

    // LISTEN pins the client to its backend, so a NOTIFY from another
    // client reaches it in transaction mode.
    static void listenNotify() throws Exception {
        try (Connection l = proxy(); Connection n = proxy()) {
            try (Statement st = l.createStatement()) {
                st.execute("LISTEN jdbc_chan");
            }
            try (PreparedStatement ps = n.prepareStatement("SELECT pg_notify('jdbc_chan', ?)")) {
                for (int i = 0; i < 3; i++) {
                    ps.setString(1, "hello " + i);
                    ps.execute();
                }
            }
            List<String> got = new ArrayList<>();
            for (int tries = 0; tries < 50 && got.size() < 3; tries++) {
                one(l, "SELECT 1");
                PGNotification[] ns = l.unwrap(PGConnection.class).getNotifications(100);
                if (ns != null)
                    for (PGNotification x : ns) {
                        expectEq("jdbc_chan", x.getName(), "channel");
                        got.add(x.getParameter());
                    }
            }
            expectEq(Arrays.asList("hello 0", "hello 1", "hello 2"), got, "notifications");
        }
    }

    static void metadata() throws Exception {
        try (Connection c = proxy()) {
            DatabaseMetaData md = c.getMetaData();
            expect(md.getDatabaseProductVersion().startsWith("15."), "version " + md.getDatabaseProductVersion());
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "jitems", null)) {
                while (rs.next())
                    cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
            }
            expectEq(Arrays.asList("id:int4", "name:text", "price:numeric", "payload:bytea", "tags:_int4",
                    "seen:timestamptz", "doc:jsonb", "ref:uuid"), cols, "jitems columns");
            try (ResultSet rs = md.getPrimaryKeys(null, "public", "jitems")) {
                expect(rs.next(), "no primary key");
                expectEq("id", rs.getString("COLUMN_NAME"), "primary key column");
            }
        }
    }

    // The simple query protocol (the driver inlines parameters).
    static void simpleQueryMode() throws Exception {
        try (Connection c = proxy("preferQueryMode", "simple");
                PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1, ?::text")) {
            ps.setInt(1, 41);
            ps.setString(2, "it's");
            try (ResultSet rs = ps.executeQuery()) {
                expect(rs.next(), "no row");
                expectEq(42, rs.getInt(1), "sum");
                expectEq("it's", rs.getString(2), "quoted text");
            }
        }
    }

    static String owner(long id) {
        return "owner-" + id;
    }

    // Hash routing of named statements with bound parameters, checked
    // against the slot PostgreSQL itself gives each id (satisfies_hash_partition
    // with modulus 1024; slots 0-511 are shard main, 512-1023 second).
    static void routedAccounts() throws Exception {
        final int n = 60;
        try (Connection c = proxy("prepareThreshold", "1")) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jaccounts VALUES (?, ?, ?)")) {
                for (long id = 1; id <= n; id++) {
                    ps.setLong(1, id);
                    ps.setString(2, owner(id));
                    ps.setBigDecimal(3, BigDecimal.valueOf(id * 10));
                    expectEq(1, ps.executeUpdate(), "insert " + id);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT owner, balance FROM jaccounts WHERE id = ?")) {
                for (long id = 1; id <= n; id++) {
                    ps.setLong(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        expect(rs.next(), "account " + id + " not found");
                        expectEq(owner(id), rs.getString(1), "owner " + id);
                        expect(!rs.next(), "account " + id + " twice");
                    }
                }
            }
            expectEq(n + " " + (n * (n + 1) / 2 * 10) + ".00",
                    row(c, "SELECT count(*), sum(balance) FROM jaccounts"), "count and sum over shards");
        }
        expectPlacement(1, n, range(1, n));
    }

    static final String SLOTTED = "SELECT string_agg(id::text, ',' ORDER BY id) FROM unnest('{%s}'::bigint[]) id "
            + "WHERE EXISTS (SELECT FROM generate_series(%d, %d) r "
            + "WHERE satisfies_hash_partition('jslot_probe'::regclass, 1024, r, id))";

    // Of the ids in [lo, hi], those whose hash slot is in [from, to]: the
    // slot PostgreSQL itself gives each (satisfies_hash_partition with
    // modulus 1024, on pg1 directly). Slots 0-511 are shard main, 512-1023
    // shard second. Comma-separated, ascending.
    static String slotted(long lo, long hi, int from, int to) throws SQLException {
        StringBuilder ids = new StringBuilder();
        for (long id = lo; id <= hi; id++)
            ids.append(id == lo ? "" : ",").append(id);
        try (Connection pg1 = shard("PG1_PORT")) {
            String got = one(pg1, String.format(SLOTTED, ids, from, to));
            return got == null ? "" : got;
        }
    }

    // The ids in [lo, hi] present on each shard are exactly `want`'s, each
    // on the shard its slot names and only there.
    static void expectPlacement(long lo, long hi, List<Long> want) throws Exception {
        if (DIRECT)
            return;
        String ids = "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM jaccounts WHERE id BETWEEN " + lo
                + " AND " + hi;
        String all = want.stream().map(String::valueOf).reduce((x, y) -> x + "," + y).orElse("");
        try (Connection main = shard("PG1_PORT"); Connection second = shard("PG2_PORT")) {
            String m = one(main, String.format(SLOTTED, all, 0, 511));
            String sec = one(main, String.format(SLOTTED, all, 512, 1023));
            expect(m != null && sec != null, "ids " + all + " do not cover both shards");
            expectEq(m, one(main, ids), "ids in [" + lo + ", " + hi + "] on shard main");
            expectEq(sec, one(second, ids), "ids in [" + lo + ", " + hi + "] on shard second");
        }
    }

    static List<Long> range(long lo, long hi) {
        List<Long> out = new ArrayList<>();
        for (long id = lo; id <= hi; id++)
            out.add(id);
        return out;
    }

    static List<Long> parseIds(String csv) {
        List<Long> out = new ArrayList<>();
        for (String x : csv.split(","))
            if (!x.isEmpty())
                out.add(Long.parseLong(x));
        return out;
    }

    static void addAccounts(PreparedStatement ps, List<Long> ids) throws SQLException {
        for (long id : ids) {
            ps.setLong(1, id);
            ps.setString(2, owner(id));
            ps.setBigDecimal(3, BigDecimal.valueOf(id * 10));
            ps.addBatch();
        }
    }

    // executeBatch sends every Bind/Execute before one Sync: one implicit
    // transaction, which shardgate keeps on one shard. A batch whose rows
    // all belong to one shard runs; one whose rows belong to both fails
    // with 0A000 and writes nothing, also with reWriteBatchedInserts (the
    // driver's multi-row INSERTs: shardgate splits those only when they
    // come as a simple Query).
    static void routedBatch() throws Exception {
        final String insert = "INSERT INTO jaccounts (id, owner, balance) VALUES (?, ?, ?)";
        for (String rewrite : new String[] {"false", "true"}) {
            long lo = rewrite.equals("true") ? 201 : 101;
            if (DIRECT)
                break;
            try (Connection c = proxy("reWriteBatchedInserts", rewrite);
                    PreparedStatement ps = c.prepareStatement(insert)) {
                addAccounts(ps, range(lo, lo + 39));
                expectState("0A000", ps::executeBatch);
                expectEq("0", one(c, "SELECT count(*) FROM jaccounts WHERE id BETWEEN " + lo + " AND " + (lo + 39)),
                        "rows written by the refused batch (reWriteBatchedInserts=" + rewrite + ")");
            }
        }
        // ids of 300-399 on shard main, then of 400-499 on shard second
        List<Long> onMain = parseIds(slotted(300, 399, 0, 511));
        List<Long> onSecond = parseIds(slotted(400, 499, 512, 1023));
        expect(onMain.size() > 20 && onSecond.size() > 20, "too few ids per shard: " + onMain + " " + onSecond);
        for (String rewrite : new String[] {"false", "true"}) {
            List<Long> ids = rewrite.equals("true") ? onSecond : onMain;
            try (Connection c = proxy("reWriteBatchedInserts", rewrite);
                    PreparedStatement ps = c.prepareStatement(insert)) {
                addAccounts(ps, ids);
                expectEq(ids.size(), ps.executeBatch().length, "batch entries (reWriteBatchedInserts=" + rewrite + ")");
                long sum = ids.stream().mapToLong(x -> x * 10).sum();
                long lo = ids.get(0), hi = ids.get(ids.size() - 1);
                expectEq(ids.size() + " " + sum + ".00",
                        row(c, "SELECT count(*), sum(balance) FROM jaccounts WHERE id BETWEEN " + lo + " AND " + hi),
                        "rows of the one-shard batch (reWriteBatchedInserts=" + rewrite + ")");
            }
        }
        List<Long> both = new ArrayList<>(onMain);
        both.addAll(onSecond);
        expectPlacement(300, 499, both);
    }

    public static void main(String[] args) {
        check("session_parameters", ShardgateJdbc::sessionParameters);
        check("prepared_across_backends", ShardgateJdbc::preparedAcrossBackends);
        check("batch_and_types", ShardgateJdbc::batchAndTypes);
        check("transactions_and_errors", ShardgateJdbc::transactionsAndErrors);
        check("cursor_fetch", ShardgateJdbc::cursorFetch);
        check("generated_keys", ShardgateJdbc::generatedKeys);
        check("copy_both_ways", ShardgateJdbc::copyBothWays);
        check("query_timeout_cancels", ShardgateJdbc::queryTimeoutCancels);
        check("listen_notify", ShardgateJdbc::listenNotify);
        check("metadata", ShardgateJdbc::metadata);
        check("simple_query_mode", ShardgateJdbc::simpleQueryMode);
        check("routed_accounts", ShardgateJdbc::routedAccounts);
        check("routed_batch", ShardgateJdbc::routedBatch);
        System.out.println(failures == 0 ? "jdbc: all checks passed" : "jdbc: " + failures + " check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }
}
