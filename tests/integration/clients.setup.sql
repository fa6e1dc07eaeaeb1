-- clients.setup.sql — run by tests/integration/run.sh directly on pg1
-- (shard main) and pg2 (shard second) before shardgate starts; the driver
-- programs (tests/clients/jdbc/ShardgateJdbc.java, asyncpg_check.py) use
-- these tables. jaccounts is hash-sharded by id (clients.yaml.in); the
-- others live on the default shard.

CREATE TABLE jitems (
    id      int PRIMARY KEY,
    name    text NOT NULL,
    price   numeric(10, 2),
    payload bytea,
    tags    int[],
    seen    timestamptz,
    doc     jsonb,
    ref     uuid
);

CREATE TABLE jauto (
    id   serial PRIMARY KEY,
    note text
);

CREATE TABLE jaccounts (
    id      bigint PRIMARY KEY,
    owner   text NOT NULL,
    balance numeric(12, 2) NOT NULL
);

-- Never holds rows: satisfies_hash_partition() on it tells the test which
-- of 1024 hash partitions (= shardgate slots) PostgreSQL itself puts an id
-- in, the placement shardgate must match.
CREATE TABLE jslot_probe (id bigint) PARTITION BY HASH (id);
