-- demo_schema.sql — tables of the shardgate demo.
--
-- Loaded into the "analytics" database of every demo shard (americas,
-- europe, asia) by scripts/demo.sh, and used as an init script by the
-- postgres:15 services of docker-compose.yml. Each shard gets the same
-- empty tables; the tables section of the demo's shardgate.yaml says how
-- rows are meant to be spread (orders by hash of user_id, regional_metrics
-- by region, metrics by age, countries copied everywhere).

CREATE TABLE IF NOT EXISTS orders (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL,
    amount     numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS regional_metrics (
    region     text NOT NULL,
    metric     text NOT NULL,
    value      double precision,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS metrics (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    value      double precision,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Replicated: the same rows on every shard. region names the shard that
-- holds the country's regional_metrics.
CREATE TABLE IF NOT EXISTS countries (
    code   text PRIMARY KEY,
    name   text NOT NULL,
    region text NOT NULL
);

INSERT INTO countries (code, name, region) VALUES
    ('US', 'United States',  'americas'),
    ('CA', 'Canada',         'americas'),
    ('MX', 'Mexico',         'americas'),
    ('BR', 'Brazil',         'americas'),
    ('UK', 'United Kingdom', 'europe'),
    ('DE', 'Germany',        'europe'),
    ('FR', 'France',         'europe'),
    ('ES', 'Spain',          'europe'),
    ('JP', 'Japan',          'asia'),
    ('SG', 'Singapore',      'asia'),
    ('AU', 'Australia',      'asia'),
    ('IN', 'India',          'asia')
ON CONFLICT (code) DO NOTHING;
