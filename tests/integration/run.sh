#!/usr/bin/env bash
# run.sh NAME SHARDGATE IT_BINARY — one integration test, end to end.
#
# Starts two throw-away PostgreSQL clusters (pg1 with scram-sha-256 host
# auth, pg2 with md5), renders tests/integration/NAME.yaml.in into a config,
# starts shardgate on it, runs IT_BINARY with the connection details in the
# environment, then stops shardgate with SIGTERM. Everything lives in one
# temp directory that is always removed, and every process started here is
# always stopped, whatever happens.
#
# The test fails if IT_BINARY fails, if shardgate does not exit 0 within
# 15 s of SIGTERM, or if its log shows a sanitizer report.
#
# SG_DIRECT=1 skips shardgate and points SG_PORT at pg1, to check the
# PostgreSQL-only tests against PostgreSQL itself (tests that need the
# proxy skip themselves when SG_DIRECT=1).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 NAME SHARDGATE IT_BINARY" >&2
  exit 2
fi
NAME=$1
SHARDGATE=$2
IT_BINARY=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TEMPLATE="$HERE/$NAME.yaml.in"
SETUP_SQL="$HERE/$NAME.setup.sql"
DIRECT=${SG_DIRECT:-0}

# shellcheck source=../../scripts/pg_local.sh
. "$ROOT/scripts/pg_local.sh"

export PG_PASSWORD=${PG_PASSWORD:-pgpass}
export PG_DB=shardgate
APP_PASSWORD=apppass

SG_BASEDIR=$(mktemp -d "${SG_IT_TMPDIR:-/tmp}/sg-it-$NAME.XXXXXX")
chmod 755 "$SG_BASEDIR"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$SG_BASEDIR"
fi
SG_PROC="" # pid of the shardgate we started
IT_PROC="" # pid of the running test binary (its `timeout` wrapper)
STATUS=1

log() { echo "run.sh[$NAME]: $*" >&2; }

show_logs() {
  local f
  if [ -f "$SG_BASEDIR/shardgate.log" ]; then
    log "---- tail of shardgate.log ----"
    tail -n 200 "$SG_BASEDIR/shardgate.log" >&2 || true
  fi
  for f in "$SG_BASEDIR"/pg1.log "$SG_BASEDIR"/pg2.log "$SG_BASEDIR"/pg3.log; do
    [ -f "$f" ] || continue
    log "---- tail of $(basename "$f") ----"
    tail -n 40 "$f" >&2 || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  trap '' PIPE # a closed stdout must not cut the cleanup short
  set +e
  if [ -n "$IT_PROC" ] && kill -0 "$IT_PROC" 2>/dev/null; then
    kill -TERM "$IT_PROC" 2>/dev/null
    wait "$IT_PROC" 2>/dev/null
  fi
  if [ -n "$SG_PROC" ] && kill -0 "$SG_PROC" 2>/dev/null; then
    kill -KILL "$SG_PROC" 2>/dev/null
    wait "$SG_PROC" 2>/dev/null
  fi
  pg_local_stop_all "$SG_BASEDIR"
  if [ "$STATUS" -ne 0 ] || [ "$rc" -ne 0 ]; then
    show_logs
    [ "$STATUS" -eq 0 ] && STATUS=$rc
  fi
  if [ -n "${SG_IT_KEEP:-}" ]; then
    log "kept $SG_BASEDIR"
  else
    rm -rf "$SG_BASEDIR"
  fi
  exit "$STATUS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# Replaces every @KEY@ of the template; values are escaped for sed.
render_config() {
  local out=$1 expr="" kv key val
  shift
  for kv in "$@"; do
    key=${kv%%=*}
    val=${kv#*=}
    val=$(printf '%s' "$val" | sed -e 's/[\\|&]/\\&/g')
    expr+="s|@${key}@|${val}|g;"
  done
  sed -e "$expr" "$TEMPLATE" >"$out"
  if grep -q '@[A-Z0-9_]*@' "$out"; then
    log "unreplaced placeholder in $TEMPLATE: $(grep -o '@[A-Z0-9_]*@' "$out" | sort -u | tr '\n' ' ')"
    return 1
  fi
}

wait_for_port() {
  local port=$1 pid=$2 i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      log "shardgate exited before listening"
      return 1
    fi
    sleep 0.1
  done
  log "shardgate did not accept connections on port $port within 10 s"
  return 1
}

# ---- PostgreSQL ----
# A test that needs a third cluster (e.g. three shards) says so in
# tests/integration/NAME.clusters ("3"); pg3 uses scram-sha-256.
CLUSTERS=$(cat "$HERE/$NAME.clusters" 2>/dev/null || echo 2)
PG1_PORT=$(pg_local_free_port "$SG_BASEDIR")
PG2_PORT=$(pg_local_free_port "$SG_BASEDIR")
PG3_PORT=
pg_local_start pg1 "$PG1_PORT" "$SG_BASEDIR" scram-sha-256
pg_local_start pg2 "$PG2_PORT" "$SG_BASEDIR" md5
if [ "$CLUSTERS" -ge 3 ]; then
  PG3_PORT=$(pg_local_free_port "$SG_BASEDIR")
  pg_local_start pg3 "$PG3_PORT" "$SG_BASEDIR" scram-sha-256
fi
if [ -f "$SETUP_SQL" ]; then
  pg_local_psql pg1 "$PG1_PORT" "$SG_BASEDIR" -q -f "$SETUP_SQL" >/dev/null
  pg_local_psql pg2 "$PG2_PORT" "$SG_BASEDIR" -q -f "$SETUP_SQL" >/dev/null
  if [ -n "$PG3_PORT" ]; then
    pg_local_psql pg3 "$PG3_PORT" "$SG_BASEDIR" -q -f "$SETUP_SQL" >/dev/null
  fi
fi

# ---- shardgate ----
SG_ADMIN_DIR="$SG_BASEDIR/admin"
STATE_DIR="$SG_BASEDIR/state"
mkdir -p "$STATE_DIR"
mkdir -m 0700 "$SG_ADMIN_DIR"
SG_CONFIG="$SG_BASEDIR/shardgate.yaml"
SG_ADMIN_PORT=$(pg_local_free_port "$SG_BASEDIR")
SG_USER=app
SG_PASSWORD=$APP_PASSWORD

if [ "$DIRECT" = 1 ]; then
  # The roles the tests log in as, made directly on pg1 (superuser so that
  # CREATE TABLE, COPY and pg_terminate_backend behave as via the proxy,
  # which logs in to the shards as postgres).
  printf "CREATE ROLE app LOGIN SUPERUSER PASSWORD '%s';\nCREATE ROLE md5user LOGIN SUPERUSER PASSWORD 'md5pass';\n" \
    "$APP_PASSWORD" | pg_local_psql pg1 "$PG1_PORT" "$SG_BASEDIR" -q -f - >/dev/null
  SG_PORT=$PG1_PORT
  SG_TARGET_PID=$(head -n 1 "$SG_BASEDIR/pg1/postmaster.pid")
  log "SG_DIRECT=1: no shardgate, SG_PORT is pg1 ($PG1_PORT)"
else
  [ -f "$TEMPLATE" ] || {
    log "missing $TEMPLATE"
    exit 1
  }
  SG_PORT=$(pg_local_free_port "$SG_BASEDIR")
  render_config "$SG_CONFIG" PG1_PORT="$PG1_PORT" PG2_PORT="$PG2_PORT" PG3_PORT="$PG3_PORT" \
    PG_PASSWORD="$PG_PASSWORD" \
    SG_PORT="$SG_PORT" ADMIN_DIR="$SG_ADMIN_DIR" ADMIN_PORT="$SG_ADMIN_PORT" STATE_DIR="$STATE_DIR" \
    APP_PASSWORD="$APP_PASSWORD" PG_SOCKET_DIR="$SG_BASEDIR"
  "$SHARDGATE" -c "$SG_CONFIG" 2>"$SG_BASEDIR/shardgate.log" &
  SG_PROC=$!
  SG_TARGET_PID=$SG_PROC
  wait_for_port "$SG_PORT" "$SG_PROC"
fi

export SG_HOST=127.0.0.1 SG_PORT SG_ADMIN_DIR SG_ADMIN_PORT SG_CONFIG SG_USER SG_PASSWORD SG_BASEDIR
export SG_PID=$SG_TARGET_PID SG_DB=shardgate SG_DIRECT=$DIRECT SG_BIN=$SHARDGATE
export PG_HOST=127.0.0.1 PG1_PORT PG2_PORT PG3_PORT PG_USER=postgres PG_PASSWORD PG_DB=shardgate

# ---- the test ----
# In the background so that a signal to run.sh is handled (by cleanup)
# at once rather than after the test binary ends. The binary's own leaks
# are not what is under test, and LeakSanitizer reports after a failed
# cmocka assertion (which longjmps past frees) would only be noise.
IT_RC=0
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  timeout -k 10 "${SG_IT_TIMEOUT:-240}" "$IT_BINARY" &
IT_PROC=$!
wait "$IT_PROC" || IT_RC=$?
IT_PROC=""
FAILED=0
if [ "$IT_RC" -ne 0 ]; then
  log "$(basename "$IT_BINARY") failed (exit $IT_RC)"
  FAILED=1
fi

# ---- shutdown ----
if [ "$DIRECT" != 1 ]; then
  SG_RC=0
  if kill -0 "$SG_PROC" 2>/dev/null; then
    kill -TERM "$SG_PROC"
    for _ in $(seq 1 150); do
      kill -0 "$SG_PROC" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SG_PROC" 2>/dev/null; then
      log "shardgate still running 15 s after SIGTERM"
      kill -KILL "$SG_PROC" 2>/dev/null || true
      FAILED=1
    fi
  else
    log "shardgate was not running at the end of the test"
    FAILED=1
  fi
  wait "$SG_PROC" || SG_RC=$?
  SG_PROC=""
  if [ "$SG_RC" -ne 0 ]; then
    log "shardgate exited with status $SG_RC after SIGTERM"
    FAILED=1
  fi
  for pat in "ERROR: AddressSanitizer" "runtime error:" "LeakSanitizer"; do
    if grep -qF "$pat" "$SG_BASEDIR/shardgate.log"; then
      log "shardgate.log contains \"$pat\""
      FAILED=1
    fi
  done
fi

STATUS=$FAILED
if [ "$STATUS" -eq 0 ]; then
  log "PASS"
else
  log "FAIL"
fi
exit "$STATUS"
