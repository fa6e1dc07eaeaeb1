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
  orders:           { shard_by: hash, column: user_id }
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

show_queries() {
  local s
  say ""
  say "The shards answer on these ports:"
  for s in "${SHARDS[@]}"; do
    say "  $s: ${PORT[$s]}"
  done
  say ""
  say "Queries through shardgate (inet_server_port() tells which shard answered):"
  through_shardgate -c "SELECT inet_server_port() AS shard_port, current_database(), current_user" ||
    die "query through shardgate failed"
  through_shardgate -c "INSERT INTO orders (user_id, amount) VALUES (42, 19.99), (7, 5.00)
                        RETURNING id, user_id, amount, inet_server_port() AS shard_port" ||
    die "insert through shardgate failed"
  through_shardgate -c "SELECT code, name, region FROM countries ORDER BY region, code LIMIT 6" ||
    die "query through shardgate failed"
  say "Note: this version of shardgate does not route yet. Every query, whatever"
  say "table it names, runs on the default shard (americas, port ${PORT[americas]}); the"
  say "tables section of $DEMO_DIR/shardgate.yaml is loaded and validated only."
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
