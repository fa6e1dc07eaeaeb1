-- fanout.setup.sql — the schema of tests/integration/it_fanout.c.
--
-- run.sh runs it on every shard's `shardgate` database (pg1 = americas,
-- pg2 = europe, pg3 = asia); it_fanout.c runs the same file on its oracle
-- database (one unsharded PostgreSQL database on pg1), so both sides hold
-- exactly the same schema and the same replicated rows. The sharded tables
-- start empty: the test loads the same generated rows through shardgate
-- and into the oracle.
--
-- float8 columns only ever hold multiples of 0.25 below 10000, which are
-- exact in binary: their sums do not depend on the order of addition.

CREATE TABLE orders (
    id         bigint PRIMARY KEY,
    user_id    bigint NOT NULL,
    qty        int NOT NULL,
    amount     numeric(12, 2) NOT NULL,
    price      float8 NOT NULL,
    discount   numeric(12, 2),
    status     text,
    region     text NOT NULL,
    order_date date NOT NULL,
    created_at timestamptz NOT NULL,
    paid       bool,
    ref        uuid NOT NULL,
    note       varchar(40)
);

CREATE TABLE sales (
    id        bigint PRIMARY KEY,
    region    text NOT NULL,
    product   text NOT NULL,
    qty       int NOT NULL,
    revenue   numeric(12, 2) NOT NULL,
    unit      float8 NOT NULL,
    sold_on   date NOT NULL,
    channel   varchar(20),
    returned  bool
);

CREATE TABLE events (
    id         bigint PRIMARY KEY,
    created_at timestamptz NOT NULL,
    kind       text NOT NULL,
    user_id    bigint NOT NULL,
    score      int,
    weight     float8 NOT NULL,
    country    text NOT NULL,
    ok         bool
);

CREATE TABLE countries (
    code      text PRIMARY KEY,
    name      text NOT NULL,
    continent text NOT NULL,
    pop_m     int NOT NULL
);

INSERT INTO countries (code, name, continent, pop_m) VALUES
    ('US', 'United States', 'North America', 335),
    ('CA', 'Canada', 'North America', 40),
    ('MX', 'Mexico', 'North America', 128),
    ('BR', 'Brazil', 'South America', 216),
    ('UK', 'United Kingdom', 'Europe', 68),
    ('DE', 'Germany', 'Europe', 84),
    ('FR', 'France', 'Europe', 68),
    ('ES', 'Spain', 'Europe', 48),
    ('JP', 'Japan', 'Asia', 124),
    ('SG', 'Singapore', 'Asia', 6),
    ('AU', 'Australia', 'Oceania', 27),
    ('IN', 'India', 'Asia', 1429),
    ('ZZ', 'Nowhere', 'None', 0);
