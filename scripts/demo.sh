#!/usr/bin/env bash
# shellcheck disable=SC2317 # on_exit runs from a trap
# scripts/demo.sh — a local three-shard shardgate to play with.
#
# Starts PostgreSQL 15 clusters americas, europe and asia (ports 5501-5503
# when free) under /tmp/shardgate-demo, each with the "analytics" database
# and the tables of scripts/demo_schema.sql, writes
# /tmp/shardgate-demo/shardgate.yaml and runs build/shardgate in the
# background on 127.0.0.1:6432 (another free port if 6432 is taken). A demo that is already running is stopped
# first. Stop everything with `make demo-stop` (scripts/demo-stop.sh).
#
# It then loads a few thousand rows through shardgate (orders by hash of
# user_id, regional_metrics by region, metrics by age) and shows, for the
# queries an analytics dashboard makes, which shard answered and why.
#
# Environment: APP_PASSWORD (the demo client's password, default "app"),
# PG_PASSWORD (the clusters' postgres password, default "pgpass"),
# SHARDGATE_BIN (default build/shardgate).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=/tmp/shardgate-demo
SHARDGATE_BIN=${SHARDGATE_BIN:-$ROOT/build/shardgate}
APP_USER=app
APP_DB=analytics
LISTEN_PORT=6432
ADMIN_PORT=6433
SHARDS=(americas europe asia)
declare -A WANT_PORT=([americas]=5501 [europe]=5502 [asia]=5503)
declare -A PORT=()

export PG_PASSWORD=${PG_PASSWORD:-pgpass}
export PG_DB=$APP_DB

say() { printf '%s\n' "$*"; }
die() {
  printf 'demo.sh: %s\n' "$*" >&2
  exit 1
}

if [[ ! -x $SHARDGATE_BIN ]]; then
  die "$SHARDGATE_BIN is missing; build it first:
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2"
fi

# A half-started demo is torn down again, its shardgate log shown first.
STARTED=0
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 && $STARTED -eq 0 && -d $DEMO_DIR ]]; then
    if [[ -s $DEMO_DIR/shardgate.log ]]; then
      printf -- '--- last lines of %s\n' "$DEMO_DIR/shardgate.log" >&2
      tail -n 20 "$DEMO_DIR/shardgate.log" >&2
    fi
    printf 'demo.sh: failed; stopping what was started\n' >&2
    "$ROOT/scripts/demo-stop.sh" >/dev/null 2>&1 || true
  fi
}
trap on_exit EXIT

# shellcheck source=scripts/pg_local.sh
. "$ROOT/scripts/pg_local.sh"

# Nothing answers on 127.0.0.1:PORT.
port_unused() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  if port_unused "$1"; then
    echo "$1"
  else
    pg_local_free_port "$DEMO_DIR"
  fi
}

write_config() {
  local s
  (
    umask 077
    cat <<EOF
# Written by scripts/demo.sh. Passwords are not stored here: shardgate
# reads them from the environment (\${VAR}); see docs/shardgate.example.yaml.
listen:
  host: 127.0.0.1
  port: $LISTEN_PORT
admin:
  socket_dir: $DEMO_DIR/admin
  port: $ADMIN_PORT
auth:
  method: scram-sha-256
  users:
    - { name: $APP_USER, password: "\${APP_PASSWORD}" }
pool:
  mode: transaction
  size: 10
shards:
EOF
    for s in "${SHARDS[@]}"; do
      cat <<EOF
  - name: $s
    database: $APP_DB
    user: postgres
    password: "\${DEMO_SHARD_PASSWORD}"
    hosts:
      - { host: 127.0.0.1, port: ${PORT[$s]}, role: primary }
EOF
    done
    cat <<EOF
default_shard: americas
tables:
  orders:           { shard_by: hash, column: user_id, type: integer }
  regional_metrics: { shard_by: region, column: region, default_shard: americas,
                      regions: { americas: [US, CA, MX, BR], europe: [UK, DE, FR, ES], asia: [JP, SG, AU, IN] } }
  metrics:          { shard_by: time, column: created_at,
                      tiers: [ { name: current, max_age: 7d, shard: americas },
                               { name: recent, max_age: 30d, shard: europe },
                               { name: archive, shard: asia } ] }
  countries:        { shard_by: replicated }
hash: { slots: 1024 }
log: { level: info }
state_dir: $DEMO_DIR/state
shutdown_timeout: 5s
EOF
  ) >"$DEMO_DIR/shardgate.yaml"
}

start_clusters() {
  local s
  for s in "${SHARDS[@]}"; do
    PORT[$s]=$(pick_port "${WANT_PORT[$s]}")
    say "starting PostgreSQL cluster $s on 127.0.0.1:${PORT[$s]}"
    pg_local_start "$s" "${PORT[$s]}" "$DEMO_DIR" scram-sha-256 || die "cluster $s did not start"
    pg_local_psql "$s" "${PORT[$s]}" "$DEMO_DIR" -q -f "$ROOT/scripts/demo_schema.sql" >/dev/null ||
      die "loading scripts/demo_schema.sql into $s failed"
  done
}

start_shardgate() {
  local pid _
  APP_PASSWORD=${APP_PASSWORD:-app} DEMO_SHARD_PASSWORD=$PG_PASSWORD \
    "$SHARDGATE_BIN" --check -c "$DEMO_DIR/shardgate.yaml" || die "shardgate --check rejected the demo config"
  say "starting shardgate on 127.0.0.1:$LISTEN_PORT (log: $DEMO_DIR/shardgate.log)"
  APP_PASSWORD=${APP_PASSWORD:-app} DEMO_SHARD_PASSWORD=$PG_PASSWORD \
    nohup "$SHARDGATE_BIN" -c "$DEMO_DIR/shardgate.yaml" </dev/null >>"$DEMO_DIR/shardgate.log" 2>&1 &
  pid=$!
  echo "$pid" >"$DEMO_DIR/shardgate.pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || die "shardgate exited during startup"
    pg_isready -q -h 127.0.0.1 -p "$LISTEN_PORT" -U "$APP_USER" -d "$APP_DB" && return 0
    sleep 0.2
  done
  die "shardgate does not accept connections on port $LISTEN_PORT after 20 s"
}

through_shardgate() {
  PGPASSWORD=${APP_PASSWORD:-app} psql -X -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$LISTEN_PORT dbname=$APP_DB user=$APP_USER sslmode=disable" "$@"
}

# The demo's rows, as single-row INSERTs in one psql session through
# shardgate: each statement is routed on its own (autocommit), so every
# row lands on the shard that owns it.
#   orders            3000 rows for users 1..997 (about 3 orders each)
#   regional_metrics  "sales" and "visits" for the 12 listed countries
#   metrics           "cpu" and "revenue" rows written now and 3, 10 and
#                     40 days ago (the 40-day-old ones are a backfill)
demo_rows_sql() {
  awk -v q="'" 'BEGIN {
    for (i = 0; i < 3000; i++)
      printf "INSERT INTO orders (user_id, amount) VALUES (%d, %d.%02d);\n",
        1 + (i * 7919) % 997, 1 + (i * 37) % 500, (i * 13) % 100
    n = split("US CA MX BR UK DE FR ES JP SG AU IN", regions, " ")
    for (r = 1; r <= n; r++)
      for (i = 0; i < 40; i++) {
        printf "INSERT INTO regional_metrics (region, metric, value) VALUES (%s, %ssales%s, %d.5);\n",
          q regions[r] q, q, q, 10 + (i * 17 + r * 5) % 90
        printf "INSERT INTO regional_metrics (region, metric, value) VALUES (%s, %svisits%s, %d);\n",
          q regions[r] q, q, q, 100 + (i * 31 + r) % 900
      }
    split("0 3 10 40", ages, " ")
    for (a = 1; a <= 4; a++)
      for (i = 0; i < 250; i++)
        printf "INSERT INTO metrics (name, value, created_at) VALUES (%s, %d, now() - interval %s%d days %d minutes%s);\n",
          q (i % 2 ? "revenue" : "cpu") q, (i * 7) % 100, q, ages[a], (i * 2) % 600, q
  }'
}

load_rows() {
  local t0 t1
  say ""
  say "loading 3000 orders, 960 regional_metrics and 1000 metrics rows through shardgate"
  t0=$(date +%s.%N)
  demo_rows_sql | through_shardgate -q -f - >/dev/null || die "loading rows through shardgate failed"
  t1=$(date +%s.%N)
  say "  $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "4960 single-row INSERTs in %.1f s", b - a }')"
}

# Counted on each shard directly, bypassing shardgate.
show_distribution() {
  local s counts
  say ""
  say "Rows per shard, counted directly on each PostgreSQL server:"
  printf '  %-9s %8s %17s %8s\n' shard orders regional_metrics metrics
  for s in "${SHARDS[@]}"; do
    counts=$(pg_local_psql "$s" "${PORT[$s]}" "$DEMO_DIR" -At -F ' ' -c \
      "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM regional_metrics),
              (SELECT count(*) FROM metrics)") || die "counting rows on $s failed"
    # shellcheck disable=SC2086 # three numbers, split on purpose
    printf '  %-9s %8s %17s %8s\n' "$s" $counts
  done
}

through_admin() {
  psql -X -v ON_ERROR_STOP=1 -h "$DEMO_DIR/admin" -p "$ADMIN_PORT" -d admin "$@"
}

shard_of_port() {
  local s
  for s in "${SHARDS[@]}"; do
    if [[ ${PORT[$s]} == "$1" ]]; then
      echo "$s"
      return 0
    fi
  done
  echo "unknown (port $1)"
}

# Runs one dashboard query through shardgate and shows its result, the
# shard that answered (the query's last column is inet_server_port()) and
# what the admin console's ROUTE says about it.
dashboard_query() {
  local title=$1 sql=$2 port route kind shards error reason
  say ""
  say "== $title"
  say "   $sql"
  if ! through_shardgate -c "$sql" | sed 's/^/   /'; then
    die "query through shardgate failed"
  fi
  port=$(through_shardgate -At -F '|' -c "$sql" | awk -F '|' 'NR == 1 { print $NF }')
  # A separator that is not whitespace, so that an empty (NULL) error
  # column is kept as an empty field by read.
  route=$(through_admin -At -F $'\x1f' -c "ROUTE $sql") || die "ROUTE in the admin console failed"
  IFS=$'\x1f' read -r kind shards _ error reason <<<"$route"
  say "   answered by: $(shard_of_port "$port") (port $port)"
  say "   ROUTE: $kind -> $shards${error:+ (error: $error)}; $reason"
}

# A read that needs several shards: its rows, and which shards ROUTE names.
cross_shard_query() {
  local title=$1 sql=$2 route kind shards _
  say ""
  say "-- $title"
  say "   $sql"
  through_shardgate -c "$sql" 2>&1 | sed 's/^/   /' || true
  route=$(through_admin -At -F $'\x1f' -c "ROUTE $sql") || die "ROUTE in the admin console failed"
  IFS=$'\x1f' read -r kind shards _ <<<"$route"
  say "   ROUTE: $kind -> $shards"
}

show_queries() {
  local s
  say ""
  say "The shards answer on these ports:"
  for s in "${SHARDS[@]}"; do
    say "  $s: ${PORT[$s]}"
  done
  load_rows
  show_distribution
  say ""
  say "Dashboard queries through shardgate:"
  dashboard_query "one user's orders (orders: hash of user_id over 1024 slots)" \
    "SELECT user_id, count(*) AS orders, sum(amount) AS total, inet_server_port() AS shard_port FROM orders WHERE user_id = 42 GROUP BY user_id"
  dashboard_query "one region's sales (regional_metrics: DE is listed for europe)" \
    "SELECT region, count(*) AS points, sum(value) AS sales, inet_server_port() AS shard_port FROM regional_metrics WHERE region = 'DE' AND metric = 'sales' GROUP BY region"
  dashboard_query "the last 7 days of metrics (metrics: tier current)" \
    "SELECT name, count(*) AS points, round(avg(value)::numeric, 1) AS avg, inet_server_port() AS shard_port FROM metrics WHERE created_at > now() - interval '7 days' GROUP BY name ORDER BY name"
  dashboard_query "a backfilled 40-day-old metric (metrics: tier archive)" \
    "SELECT name, count(*) AS points, sum(value) AS total, inet_server_port() AS shard_port FROM metrics WHERE name = 'revenue' AND created_at BETWEEN now() - interval '41 days' AND now() - interval '39 days' GROUP BY name"
  dashboard_query "a reference table (countries: replicated, read on the default shard)" \
    "SELECT code, name, inet_server_port() AS shard_port FROM countries WHERE code = 'JP'"
  say ""
  say ""
  say "Analytics across shards (scatter-gather: every shard at once, merged):"
  cross_shard_query "total orders and revenue across all regions" \
    "SELECT count(*) AS orders, sum(amount) AS revenue FROM orders"
  cross_shard_query "sales by region" \
    "SELECT region, count(*) AS points, sum(value) AS sales FROM regional_metrics WHERE metric = 'sales' GROUP BY region ORDER BY sales DESC"
  cross_shard_query "metrics over 60 days (every time tier)" \
    "SELECT name, count(*) AS points, min(created_at) AS first_point FROM metrics WHERE created_at > now() - interval '60 days' GROUP BY name ORDER BY name"
  cross_shard_query "the five largest orders anywhere" \
    "SELECT user_id, amount FROM orders ORDER BY amount DESC, user_id LIMIT 5"
}

show_usage() {
  local pw=app
  # A password the user chose is not echoed back; they know where it is.
  # shellcheck disable=SC2016
  [[ ${APP_PASSWORD:-app} != app ]] && pw='"$APP_PASSWORD"'
  say ""
  say "shardgate demo is running."
  say "  connect:  PGPASSWORD=$pw psql \"host=127.0.0.1 port=$LISTEN_PORT dbname=$APP_DB user=$APP_USER\""
  say "  admin:    psql -h $DEMO_DIR/admin -p $ADMIN_PORT -d admin"
  say "  config:   $DEMO_DIR/shardgate.yaml"
  say "  log:      $DEMO_DIR/shardgate.log"
  say "  stop:     make demo-stop   (or scripts/demo-stop.sh)"
}

main() {
  if [[ -e $DEMO_DIR ]]; then
    say "stopping the previous demo"
    "$ROOT/scripts/demo-stop.sh" >/dev/null
  fi
  mkdir -p "$DEMO_DIR" "$DEMO_DIR/admin" "$DEMO_DIR/state"
  LISTEN_PORT=$(pick_port "$LISTEN_PORT")
  [[ $LISTEN_PORT == 6432 ]] || say "port 6432 is in use; shardgate will listen on $LISTEN_PORT instead"
  start_clusters
  write_config
  start_shardgate
  show_queries
  STARTED=1
  show_usage
}

main "$@"; exit
