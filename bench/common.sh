# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034,SC2153 # WORK, SG_BIN, ROOT, BENCH_USER, PG_DB, PG_PASSWORD belong to the script (and PORT, SHARDS, QUERY_TIMEOUT for the fan-out ones); it reads PARALLEL_RC
# bench/common.sh — helpers shared by the benchmark scripts (pgbench.sh,
# fanout.sh, fanout_stream.sh), sourced by each, never run on its own.
# The sourcing script sets ROOT, WORK, SG_BIN, BENCH_USER, PG_DB and
# PG_PASSWORD; messages are prefixed with the script's own name.

say() { printf '%s\n' "$*" >&2; }
die() {
  say "${0##*/}: $*"
  exit 1
}

# TERM, then KILL if the process is still there after ~10 s.
stop_pid() {
  local pid=$1 _
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The end of a script's cleanup, after its processes are stopped: stops
# the PostgreSQL servers under $WORK/pg, shows the last lines of each
# non-empty log in "$@" when the script failed (rc != 0), then removes
# $WORK unless keep is 1.
cleanup_work() {
  local rc=$1 keep=$2 log
  shift 2
  [[ -n $WORK && -d $WORK ]] || return 0
  declare -F pg_local_stop_all >/dev/null && pg_local_stop_all "$WORK/pg"
  if [[ $rc -ne 0 ]]; then
    for log in "$@"; do
      [[ -s $log ]] && { say "--- last lines of $log"; tail -n 20 "$log" >&2; }
    done
  fi
  if [[ $keep == 1 ]]; then
    say "${0##*/}: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}

# The script's cleanup function runs on every exit; INT and TERM exit with
# the shell's usual status.
trap_cleanup() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Builds build/shardgate (the default SHARDGATE_BIN) when it is missing;
# extra arguments go to `cmake --build` (e.g. --target shardgate).
build_shardgate() {
  [[ -x $SG_BIN ]] && return 0
  [[ $SG_BIN == "$ROOT/build/shardgate" ]] || die "SHARDGATE_BIN=$SG_BIN is not an executable"
  say "== building shardgate (build/shardgate is missing)"
  (cd "$ROOT" && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build build -j2 "$@") || die "building shardgate failed"
  [[ -x $SG_BIN ]] || die "build finished but $SG_BIN is missing"
}

# Waits until something answers the PostgreSQL protocol on the port; the
# process must stay alive meanwhile.
wait_accepting() {
  local what=$1 port=$2 pid=$3 _
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || die "$what exited during startup"
    pg_isready -q -h 127.0.0.1 -p "$port" -U "$BENCH_USER" -d "$PG_DB" && return 0
    sleep 0.2
  done
  die "$what does not accept connections on port $port after 20 s"
}

# Validates a shardgate config (log: $WORK/<name>-check.log).
check_shardgate() {
  local cfg=$1 name=$2
  export BENCH_SG_PASSWORD=$PG_PASSWORD
  "$SG_BIN" --check -c "$cfg" >"$WORK/$name-check.log" 2>&1 || {
    cat "$WORK/$name-check.log" >&2
    die "shardgate --check rejected $cfg"
  }
}

# Starts shardgate on a checked config in the background (log:
# $WORK/<name>.log) and waits until it accepts; sets STARTED_PID.
launch_shardgate() {
  local cfg=$1 name=$2 port=$3
  "$SG_BIN" -c "$cfg" 2>"$WORK/$name.log" &
  STARTED_PID=$!
  wait_accepting "$name" "$port" "$STARTED_PID"
}

# Both of the above.
run_shardgate() {
  check_shardgate "$1" "$2"
  launch_shardgate "$1" "$2" "$3"
}

# The head of a bench shardgate config, up to "shards:": listen on
# 127.0.0.1 (with $6 worker processes, default 1), the admin socket and
# port, BENCH_USER with the password from $BENCH_SG_PASSWORD, a
# transaction pool of $5 per worker.
sg_yaml_head() {
  local port=$1 max_clients=$2 admin_dir=$3 admin_port=$4 pool_size=$5 workers=${6:-1}
  cat <<YAML
listen:
  host: 127.0.0.1
  port: $port
  max_client_connections: $max_clients
  workers: $workers
admin:
  socket_dir: $admin_dir
  port: $admin_port
auth:
  method: scram-sha-256
  users:
    - name: $BENCH_USER
      password: "\${BENCH_SG_PASSWORD}"
pool:
  mode: transaction
  size: $pool_size
shards:
YAML
}

# One entry of "shards:": a primary on 127.0.0.1, or on host $4 (a
# Unix-socket directory with BENCH_BACKEND=unix).
sg_yaml_shard() {
  local name=$1 db=$2 port=$3 host=${4:-127.0.0.1}
  cat <<YAML
  - name: $name
    database: $db
    user: $BENCH_USER
    password: "\${BENCH_SG_PASSWORD}"
    hosts:
      - { host: $host, port: $port, role: primary }
YAML
}

# Runs "$fn" ARG in the background for each ARG, two at a time (one
# backend's work each: two use both cores), and waits for all. Sets
# PARALLEL_RC to 0, or 1 when any failed (a status, not a return code, so
# that the jobs keep the caller's set -e).
run_two_at_a_time() {
  local fn=$1 a pids=()
  shift
  PARALLEL_RC=0
  for a in "$@"; do
    "$fn" "$a" &
    pids+=($!)
    if [[ ${#pids[@]} -ge 2 ]]; then
      wait "${pids[0]}" || PARALLEL_RC=1
      pids=("${pids[@]:1}")
    fi
  done
  for a in "${pids[@]}"; do wait "$a" || PARALLEL_RC=1; done
}

# The fan-out benchmarks' shardgate (fanout.sh, fanout_stream.sh): the
# servers SHARDS on ports PORT[name], the given YAML for default_shard and
# the tables, a QUERY_TIMEOUT fan-out timeout; what describes the layout.
# Sets SG_PORT, SG_ADMIN_PORT and SG_PID.
start_fanout_shardgate() {
  local layout=$1 what=$2 cfg="$WORK/shardgate.yaml" n
  SG_PORT=$(pg_local_free_port)
  SG_ADMIN_PORT=$(pg_local_free_port)
  mkdir -p "$WORK/sg-admin" "$WORK/sg-state"
  {
    sg_yaml_head "$SG_PORT" 100 "$WORK/sg-admin" "$SG_ADMIN_PORT" 4
    for n in "${SHARDS[@]}"; do sg_yaml_shard "$n" "$PG_DB" "${PORT[$n]}"; done
    printf '%s\n' "$layout"
    cat <<YAML
fanout:
  timeout: ${QUERY_TIMEOUT}s
log:
  level: warn
state_dir: $WORK/sg-state
shutdown_timeout: 5s
YAML
  } >"$cfg"
  chmod 600 "$cfg"
  check_shardgate "$cfg" shardgate
  say "== shardgate on 127.0.0.1:$SG_PORT ($what)"
  launch_shardgate "$cfg" shardgate "$SG_PORT"
  SG_PID=$STARTED_PID
}
