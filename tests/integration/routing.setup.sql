-- routing.setup.sql — run by tests/integration/run.sh directly on every
-- cluster (pg1 = americas, pg2 = europe, pg3 = asia) before shardgate
-- starts. Every shard gets the same (empty) sharded tables and the same
-- rows of the replicated table.

CREATE TABLE orders (
    id      bigserial,
    user_id bigint,
    amount  numeric(12, 2),
    note    text
);

CREATE TABLE users_by_name (
    name text,
    n    int
);

CREATE TABLE regional_metrics (
    region text,
    metric text,
    value  float8
);

CREATE TABLE regional_events (
    region text,
    what   text
);

CREATE TABLE metrics (
    id         bigserial,
    name       text,
    value      float8,
    created_at timestamptz
);

CREATE TABLE countries (
    code text PRIMARY KEY,
    name text
);

INSERT INTO countries (code, name) VALUES
    ('US', 'United States'),
    ('DE', 'Germany'),
    ('JP', 'Japan');

-- PostgreSQL's own hash placement, to check shardgate's against:
-- satisfies_hash_partition('hashcheck_int'::regclass, 64, r, key) is true
-- exactly when PostgreSQL puts key in remainder (= slot) r of a
-- PARTITION BY HASH table with modulus 64. The tables need no partitions.
CREATE TABLE hashcheck_int (k bigint) PARTITION BY HASH (k);
CREATE TABLE hashcheck_text (k text) PARTITION BY HASH (k);

-- Not in the config's tables: lives on default_shard (americas).
CREATE TABLE unlisted_notes (v text);
