#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317 # pg_local_free_port without its optional argument; trap handlers
# bench/pgbench.sh — read-only pgbench through shardgate, PgBouncer and
# directly against PostgreSQL, plus the memory cost of idle client
# connections, and a routed run (bench/routed.sh): pgbench_accounts
# hash-sharded by aid over three PostgreSQL servers behind a second
# shardgate. Everything runs on 127.0.0.1 in a temporary directory that
# is removed (and every process stopped) however the script ends.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS      seconds per pgbench run                        [15]
#   BENCH_TARGETS      which of: direct pgbouncer floor shardgate      [all four]
#                      (floor: bench/relay_floor.c, a byte relay with no
#                      proxy logic — what the hop alone costs here)
#   BENCH_ROUNDS       rounds of every run; the table shows medians    [3]
#   IDLE_CLIENTS       idle connections to hold open, 0 to skip        [5000]
#   BENCH_IDLE_TARGET  who receives them: shardgate or pgbouncer       [shardgate]
#   SHARDGATE_BIN      the proxy binary                  [build/shardgate, built if missing]
#   BENCH_ROUTED       1: the routed run (needs shardgate), 0: skip    [1]
#   BENCH_ROUTED_LAYOUT  clusters (a server per shard) or databases  [clusters]
#   BENCH_BACKEND      how PgBouncer and shardgate reach PostgreSQL: tcp
#                      (127.0.0.1) or unix (its socket directory, as a
#                      pooler on the database's host does)             [tcp]
#   SG_WORKERS         shardgate's listen.workers (processes); the pool
#                      size is divided among them        [the number of cores]
#   BENCH_KEEP=1       keep the temporary directory (logs) afterwards
#
# Exit status is non-zero only when the harness itself fails (a server did
# not start, pgbench could not be run at all). Throughput ratios and idle
# connection errors are printed, never asserted; so are the routed run's
# correctness checks (its PASS/FAIL line). See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_SECONDS=${BENCH_SECONDS:-15}
BENCH_TARGETS=${BENCH_TARGETS:-direct pgbouncer floor shardgate}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
IDLE_CLIENTS=${IDLE_CLIENTS:-5000}
BENCH_IDLE_TARGET=${BENCH_IDLE_TARGET:-shardgate}
BENCH_BACKEND=${BENCH_BACKEND:-tcp}
SG_WORKERS=${SG_WORKERS:-$(nproc)}
PROTOCOLS=(simple extended prepared)
CLIENTS=16
THREADS=2
SCALE=10
POOL_SIZE=20
PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
SG_BIN=${SHARDGATE_BIN:-$ROOT/build/shardgate}

export PG_PASSWORD=${PG_PASSWORD:-pgpass}
export PG_DB=bench
BENCH_USER=postgres

WORK=""
PG_PORT="" PGB_PORT="" SG_PORT="" SG_ADMIN_PORT=""
PGB_PID="" SG_PID="" IDLE_PID="" FLOOR_PID="" FLOOR_PORT=""
# TPS: the median over the rounds; RUNS: every round's rate, in order.
declare -A TPS=() NOTE=() RUNS=()
LOAD_START="" LOAD_BEFORE=""
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
# shellcheck source=bench/routed.sh
. "$ROOT/bench/routed.sh"

has_target() { [[ " $BENCH_TARGETS " == *" $1 "* ]]; }

# Where the proxies find PostgreSQL: every cluster's Unix socket lives in
# $WORK/pg (scripts/pg_local.sh), next to its data directory.
backend_host() {
  if [[ $BENCH_BACKEND == unix ]]; then echo "$WORK/pg"; else echo 127.0.0.1; fi
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_pid "${IDLE_PID:-}"
  stop_pid "$SGR_PID"
  stop_pid "$SG_PID"
  stop_pid "$FLOOR_PID"
  stop_pid "$PGB_PID"
  cleanup_work "$rc" "${BENCH_KEEP:-0}" \
    "$WORK/shardgate.log" "$WORK/shardgate-routed.log" "$WORK/pgbouncer/pgbouncer.log"
  exit "$rc"
}
trap_cleanup

vmrss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# A process and its children (shardgate's supervisor and its workers).
vmrss_tree_kib() {
  local pid=$1 total child
  total=$(vmrss_kib "$pid")
  for child in $(pgrep -P "$pid" || true); do
    total=$((total + $(vmrss_kib "$child" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

check_tools() {
  local t
  for t in pgbench pg_isready psql cc pkg-config awk setpriv; do
    command -v "$t" >/dev/null || die "missing tool: $t"
  done
  [[ -f $ROOT/scripts/pg_local.sh ]] || die "missing $ROOT/scripts/pg_local.sh"
  if has_target pgbouncer; then
    [[ -x $PGBOUNCER ]] || die "missing $PGBOUNCER (Debian package pgbouncer)"
  fi
  case $BENCH_ROUTED_LAYOUT in
  clusters | databases) ;;
  *) die "BENCH_ROUTED_LAYOUT must be clusters or databases" ;;
  esac
  case $BENCH_BACKEND in
  tcp | unix) ;;
  *) die "BENCH_BACKEND must be tcp or unix" ;;
  esac
  [[ $SG_WORKERS =~ ^[1-9][0-9]?$ && $SG_WORKERS -le 64 ]] || die "SG_WORKERS must be 1..64"
  [[ $BENCH_ROUNDS =~ ^[1-9][0-9]?$ ]] || die "BENCH_ROUNDS must be 1..99"
  case $BENCH_IDLE_TARGET in
  shardgate | pgbouncer) ;;
  *) die "BENCH_IDLE_TARGET must be shardgate or pgbouncer" ;;
  esac
  if [[ $IDLE_CLIENTS -gt 0 ]] && ! has_target "$BENCH_IDLE_TARGET"; then
    die "BENCH_IDLE_TARGET=$BENCH_IDLE_TARGET is not in BENCH_TARGETS"
  fi
}

start_postgres() {
  mkdir -p "$WORK/pg"
  PG_PORT=$(pg_local_free_port)
  say "== PostgreSQL 15 on 127.0.0.1:$PG_PORT"
  pg_local_start bench "$PG_PORT" "$WORK/pg" scram-sha-256 || die "PostgreSQL did not start"
  say "== pgbench -i -s $SCALE"
  PGPASSWORD=$PG_PASSWORD pgbench -i -s "$SCALE" -q -h 127.0.0.1 -p "$PG_PORT" -U "$BENCH_USER" "$PG_DB" \
    >"$WORK/pgbench-init.log" 2>&1 || {
    cat "$WORK/pgbench-init.log" >&2
    die "pgbench -i failed"
  }
}

# PgBouncer refuses to run as root, so its directory belongs to postgres.
# The auth file holds the password in plain text, which PgBouncer accepts
# for SCRAM towards both the client and the server.
start_pgbouncer() {
  local dir="$WORK/pgbouncer" pw=${PG_PASSWORD//\"/\"\"}
  PGB_PORT=$(pg_local_free_port)
  mkdir -p "$dir"
  (umask 077 && printf '"%s" "%s"\n' "$BENCH_USER" "$pw" >"$dir/userlist.txt")
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
$PG_DB = host=$(backend_host) port=$PG_PORT dbname=$PG_DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $POOL_SIZE
max_client_conn = 10000
log_connections = 0
log_disconnections = 0
EOF
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
  chmod 700 "$dir"
  say "== PgBouncer $("$PGBOUNCER" --version | head -n 1 | awk '{ print $2 }') on 127.0.0.1:$PGB_PORT"
  # Started as a simple command (not through a function) and via setpriv,
  # which execs in place, so that $! is PgBouncer's own pid: its VmRSS is
  # measured below.
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- \
      "$PGBOUNCER" "$dir/pgbouncer.ini" >"$dir/pgbouncer.log" 2>&1 &
  else
    "$PGBOUNCER" "$dir/pgbouncer.ini" >"$dir/pgbouncer.log" 2>&1 &
  fi
  PGB_PID=$!
  wait_accepting PgBouncer "$PGB_PORT" "$PGB_PID"
}

start_shardgate() {
  local cfg="$WORK/shardgate.yaml"
  SG_PORT=$(pg_local_free_port)
  SG_ADMIN_PORT=$(pg_local_free_port)
  mkdir -p "$WORK/sg-admin" "$WORK/sg-state"
  (umask 077 && {
    # The same total of backend connections as PgBouncer's pool.
    sg_yaml_head "$SG_PORT" 10000 "$WORK/sg-admin" "$SG_ADMIN_PORT" \
      $(((POOL_SIZE + SG_WORKERS - 1) / SG_WORKERS)) "$SG_WORKERS"
    sg_yaml_shard bench "$PG_DB" "$PG_PORT" "$(backend_host)"
    cat <<EOF
default_shard: bench
log:
  level: warn
state_dir: $WORK/sg-state
shutdown_timeout: 5s
EOF
  } >"$cfg")
  say "== shardgate on 127.0.0.1:$SG_PORT ($SG_WORKERS worker process(es))"
  run_shardgate "$cfg" shardgate "$SG_PORT"
  SG_PID=$STARTED_PID
}

# The floor: a byte relay with as many threads as shardgate has workers,
# reaching PostgreSQL the way the proxies do. Clients authenticate to
# PostgreSQL itself through it.
start_floor() {
  cc -O2 -pthread "$ROOT/bench/relay_floor.c" -o "$WORK/relay_floor" ||
    die "compiling bench/relay_floor.c failed"
  FLOOR_PORT=$(pg_local_free_port)
  say "== relay floor on 127.0.0.1:$FLOOR_PORT ($SG_WORKERS thread(s))"
  "$WORK/relay_floor" "$FLOOR_PORT" "$(backend_host)" "$PG_PORT" "$SG_WORKERS" \
    >"$WORK/relay_floor.log" 2>&1 &
  FLOOR_PID=$!
  wait_accepting "relay floor" "$FLOOR_PORT" "$FLOOR_PID"
}

target_port() {
  case $1 in
  direct) echo "$PG_PORT" ;;
  pgbouncer) echo "$PGB_PORT" ;;
  floor) echo "$FLOOR_PORT" ;;
  shardgate) echo "$SG_PORT" ;;
  routed) echo "$SGR_PORT" ;;
  esac
}

# One pgbench run; appends the rate (or "FAILED") to RUNS[target,protocol],
# sets TPS[...] to the median of the rounds so far (FAILED if any failed)
# and NOTE[...] to pgbench's first error line of a failed round.
run_pgbench() {
  local target=$1 proto=$2
  run_pgbench_once "$target" "$proto"
  RUNS[$target,$proto]="${RUNS[$target,$proto]:+${RUNS[$target,$proto]} }$RATE"
  local -a runs
  read -r -a runs <<<"${RUNS[$target,$proto]}"
  TPS[$target,$proto]=$(median "${runs[@]}")
}

# The median of the arguments (the mean of the middle two for an even
# count), or FAILED when any of them is not a number.
median() {
  printf '%s\n' "$@" | sort -n | awk '
    !/^[0-9.]+$/ { bad = 1 } { v[NR] = $1 }
    END { if (bad || NR == 0) print "FAILED"
          else if (NR % 2) printf "%.0f\n", v[(NR + 1) / 2]
          else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

RATE=""
run_pgbench_once() {
  local target=$1 proto=$2 out="$WORK/pgbench-$1-$2.log" rc=0 tps failed aborted err
  say "-- $target, -M $proto, ${BENCH_SECONDS}s"
  PGPASSWORD=$PG_PASSWORD pgbench -h 127.0.0.1 -p "$(target_port "$target")" -U "$BENCH_USER" \
    -S -n -T "$BENCH_SECONDS" -c "$CLIENTS" -j "$THREADS" -M "$proto" "$PG_DB" >"$out" 2>&1 || rc=$?
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | head -n 1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | head -n 1)
  aborted=$(grep -c 'aborted in command' "$out" || true)
  if [[ $rc -eq 0 && -n $tps && ${failed:-0} -eq 0 && $aborted -eq 0 ]]; then
    RATE=$(printf '%.0f' "$tps")
    return 0
  fi
  RATE=FAILED
  err=$(grep -m 1 -E 'ERROR|FATAL|error:' "$out" | sed 's/^pgbench: error: //' || true)
  NOTE[$target,$proto]="exit $rc, failed transactions ${failed:-?}, aborted clients $aborted: ${err:-see $out}"
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

cell() {
  if has_target "$1"; then
    echo "${TPS[$1,$2]:-n/a}"
  else
    echo skipped
  fi
}

print_table() {
  local proto k fmt='%-10s %9s %10s %9s %10s %13s %10s %12s %9s\n'
  printf '\nRead-only pgbench (-S -c %d -j %d -T %d, scale %d), transactions per second' \
    "$CLIENTS" "$THREADS" "$BENCH_SECONDS" "$SCALE"
  if [[ $BENCH_ROUNDS -gt 1 ]]; then
    printf ', the median of %d rounds\n' "$BENCH_ROUNDS"
  else
    printf '\n'
  fi
  printf 'load average (1, 5, 15 min): %s at start, %s after setup, %s after the runs\n' \
    "$LOAD_START" "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'clients reach every target over TCP; PgBouncer, the floor and shardgate reach PostgreSQL over %s\n' \
    "$([[ $BENCH_BACKEND == unix ]] && echo "its Unix socket" || echo TCP)"
  printf 'shardgate: %d worker process(es), pool %d each; PgBouncer: one process, pool %d\n' \
    "$SG_WORKERS" $(((POOL_SIZE + SG_WORKERS - 1) / SG_WORKERS)) "$POOL_SIZE"
  printf 'floor: a byte relay (bench/relay_floor.c, %d thread(s)), one backend connection per client\n\n' \
    "$SG_WORKERS"
  # shellcheck disable=SC2059
  printf "$fmt" protocol direct pgbouncer floor shardgate sg/pgbouncer sg/direct floor/direct sg/floor
  for proto in "${PROTOCOLS[@]}"; do
    local d p f s
    d=$(cell direct "$proto")
    p=$(cell pgbouncer "$proto")
    f=$(cell floor "$proto")
    s=$(cell shardgate "$proto")
    # shellcheck disable=SC2059
    printf "$fmt" "$proto" "$d" "$p" "$f" "$s" "$(ratio "$s" "$p")" "$(ratio "$s" "$d")" \
      "$(ratio "$f" "$d")" "$(ratio "$s" "$f")"
  done
  [[ $BENCH_ROUNDS -gt 1 ]] && print_rounds
  for k in "${!NOTE[@]}"; do
    [[ $k == routed,* ]] || printf '  %s FAILED: %s\n' "${k/,/ -M }" "${NOTE[$k]}"
  done | sort
  echo
}

# Each round's shardgate/direct and shardgate/PgBouncer ratio: the spread
# the medians hide.
print_rounds() {
  local proto i d p s line
  printf '\nper round (shardgate/direct, shardgate/pgbouncer):\n'
  for proto in "${PROTOCOLS[@]}"; do
    read -r -a d <<<"${RUNS[direct,$proto]:-}"
    read -r -a p <<<"${RUNS[pgbouncer,$proto]:-}"
    read -r -a s <<<"${RUNS[shardgate,$proto]:-}"
    line=""
    for ((i = 0; i < BENCH_ROUNDS; i++)); do
      line+=" $(ratio "${s[i]:-}" "${d[i]:-}")/$(ratio "${s[i]:-}" "${p[i]:-}")"
    done
    printf '  %-10s%s\n' "$proto" "$line"
  done
}

# Holds IDLE_CLIENTS connections open on the chosen target and reports the
# target's resident memory growth per connection.
run_idle() {
  local target=$BENCH_IDLE_TARGET comm pid port line base open done_line opened errors recheck per wfd idle_pid
  port=$(target_port "$target")
  pid=$SG_PID
  [[ $target == pgbouncer ]] && pid=$PGB_PID
  # shellcheck disable=SC2046 # pkg-config's flags are meant to split
  cc -O2 "$ROOT/bench/idle_clients.c" $(pkg-config --cflags --libs libpq) -o "$WORK/idle_clients" ||
    die "compiling bench/idle_clients.c failed"
  comm=$(basename "$PGBOUNCER")
  [[ $target == shardgate ]] && comm=$(basename "$SG_BIN")
  [[ $(cat "/proc/$pid/comm") == "${comm:0:15}" ]] || die "pid $pid is not $target"
  say "== $IDLE_CLIENTS idle SCRAM-authenticated connections to $target (progress below)"
  base=$(vmrss_tree_kib "$pid")
  coproc IDLE {
    PGPASSWORD=$PG_PASSWORD exec "$WORK/idle_clients" \
      "host=127.0.0.1 port=$port dbname=$PG_DB user=$BENCH_USER sslmode=disable" "$IDLE_CLIENTS"
  }
  # bash sets IDLE_PID (the coprocess's pid) itself, and unsets it once the
  # coprocess has exited: keep a copy to wait for (cleanup stops IDLE_PID).
  idle_pid=$IDLE_PID
  # SCRAM costs two PBKDF2 runs (client and proxy) per connection; allow
  # generously for a slow machine.
  if ! read -r -t $((120 + IDLE_CLIENTS / 10)) line <&"${IDLE[0]}"; then
    die "idle_clients did not report readiness"
  fi
  [[ $line == ready* ]] || die "unexpected idle_clients output: $line"
  opened=$(sed -n 's/.*opened=\([0-9]*\).*/\1/p' <<<"$line")
  errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line")
  sleep 1 # let the target finish its bookkeeping for the last clients
  kill -0 "$pid" 2>/dev/null || die "$target died while holding idle connections"
  open=$(vmrss_tree_kib "$pid")
  wfd=${IDLE[1]}
  exec {wfd}>&- # end-of-file tells idle_clients to recheck and exit
  read -r -t 120 done_line <&"${IDLE[0]}" || die "idle_clients did not finish its recheck"
  recheck=$(sed -n 's/.*recheck_errors=\([0-9]*\).*/\1/p' <<<"$done_line")
  wait "$idle_pid" || die "idle_clients failed"
  IDLE_PID=""
  per=$(awk -v a="$open" -v b="$base" -v n="$IDLE_CLIENTS" 'BEGIN { printf "%.2f", (a - b) / n }')
  printf 'Idle connections to %s: %d requested, %d opened\n' "$target" "$IDLE_CLIENTS" "$opened"
  printf '  %s VmRSS (with its worker processes) before: %d KiB, with all open: %d KiB\n' \
    "$target" "$base" "$open"
  printf '  resident KiB per idle connection: %s\n' "$per"
  printf '  connection errors: %d (at open), %d (recheck after holding)\n' "$errors" "$recheck"
  if [[ $errors -eq 0 && $recheck -eq 0 && $opened -eq $IDLE_CLIENTS ]]; then
    printf '  idle connections: PASS\n'
  else
    printf '  idle connections: FAIL\n'
  fi
}

main() {
  local t proto round
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  check_tools
  has_target shardgate && build_shardgate
  # Every client descriptor counts; children (PgBouncer, idle_clients)
  # inherit the raised limit.
  ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
  WORK=$(mktemp -d /tmp/shardgate-bench.XXXXXX)
  chmod 755 "$WORK"
  # shellcheck source=scripts/pg_local.sh
  . "$ROOT/scripts/pg_local.sh"
  start_postgres
  has_target pgbouncer && start_pgbouncer
  has_target floor && start_floor
  has_target shardgate && start_shardgate
  [[ $BENCH_ROUTED == 1 ]] && routed_setup
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  # The routed run follows the unsharded runs of its protocol, so that the
  # runs compared with each other are minutes apart at most.
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    [[ $BENCH_ROUNDS -gt 1 ]] && say "== round $round of $BENCH_ROUNDS"
    for proto in "${PROTOCOLS[@]}"; do
      for t in direct pgbouncer floor shardgate; do
        has_target "$t" && run_pgbench "$t" "$proto"
      done
      if [[ $BENCH_ROUTED == 1 && -z $ROUTED_SKIP && " ${ROUTED_PROTOCOLS[*]} " == *" $proto "* ]]; then
        routed_run "$proto"
      fi
    done
  done
  [[ $BENCH_ROUTED == 1 ]] && routed_stop
  print_table
  [[ $BENCH_ROUTED == 1 ]] && routed_print
  [[ $IDLE_CLIENTS -gt 0 ]] && run_idle
  return 0
}

main "$@"; exit
