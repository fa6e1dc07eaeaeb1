#!/usr/bin/env bash
# run_drivers.sh SHARDGATE — real Go drivers' own test suites through shardgate.
#
# Runs the test suites that Debian ships with golang-github-jackc-pgconn-dev,
# golang-github-jackc-pgx-v4-dev and golang-github-lib-pq-dev (GOPATH mode,
# sources under /usr/share/gocode) three times:
#
#   direct       straight against a throw-away PostgreSQL 15 cluster
#   session      through shardgate with pool.mode session
#   transaction  through shardgate with pool.mode transaction
#
# and compares the per-test results (every test and subtest, from
# `go test -json`):
#
#   * a test that passes directly but not through session mode fails the run;
#   * a test that passes directly but not through transaction mode fails the
#     run unless tests/clients/transaction_mode_expected_failures.txt lists it
#     (`suite TestName  # reason`; an entry also covers its subtests); listed
#     tests that now pass are printed, not failed;
#   * a test failing directly fails the run (the setup is broken) unless it
#     is in DIRECT_KNOWN_FAILURES below.
#
# Prints "<suite> <mode>: N passed, M failed, K skipped" (top-level tests)
# for every suite and mode. Everything lives in one temp directory that is
# removed at the end (DRIVERS_KEEP=1 keeps it, with every log and the raw
# `go test -json` output), and every process started here is stopped.
#
# Knobs (environment): DRIVERS_SUITES (default "pgconn pgx pq"),
# DRIVERS_MODES (default "direct session transaction"; comparisons need
# direct), DRIVERS_LOG_LEVEL (shardgate log level, default info),
# DRIVERS_GO_TIMEOUT (per `go test` run, default 120s), DRIVERS_GOCACHE
# (go build cache, default $TMPDIR/sg-drivers-gocache).
#
# Needs the Debian packages golang-go, golang-github-jackc-pgconn-dev,
# golang-github-jackc-pgx-v4-dev, golang-github-lib-pq-dev and the test-only
# imports golang-github-jackc-pgmock-dev and
# golang-github-masterminds-semver-dev; postgresql-15 (hstore comes with it).
#
# Target selection, per suite (the suites read these themselves):
#   pgconn  PGX_TEST_CONN_STRING, PGX_TEST_TCP_CONN_STRING,
#           PGX_TEST_SCRAM_PASSWORD_CONN_STRING (TestConnect/SCRAM_password)
#   pgx     PGX_TEST_DATABASE, PGX_TEST_CONN_STRING (stdlib, pgxpool),
#           PGX_TEST_PGBOUNCER_CONN_STRING (TestPgbouncer*: describe-mode
#           statement cache and simple protocol, meant for poolers)
#   pq      PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE
# Left unset on purpose, so those tests skip the same way in every mode:
# PGX_TEST_UNIX_SOCKET_CONN_STRING (shardgate listens on TCP only),
# PGX_TEST_TLS_CONN_STRING and PQSSLCERTTEST_PATH/PQGOSSLTESTS (shardgate
# answers 'N' to SSLRequest, there is no TLS to test),
# PGX_TEST_PLAIN_PASSWORD_CONN_STRING and PGX_TEST_MD5_PASSWORD_CONN_STRING
# (need a server-side auth method other than the one SCRAM method in use),
# PGX_TEST_CRATEDB_CONN_STRING (CrateDB), TRAVIS (lib/pq's TestPgpass writes
# /tmp/pqgotest_pgpass and expects a server on port 5432).
#
# No -run filter is used: every test of the three suites runs.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 SHARDGATE" >&2
  exit 2
fi
SHARDGATE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EXPECTED_TXN="$HERE/transaction_mode_expected_failures.txt"
SUITES=${DRIVERS_SUITES:-pgconn pgx pq}
MODES=${DRIVERS_MODES:-direct session transaction}
LOG_LEVEL=${DRIVERS_LOG_LEVEL:-info}
GO_TIMEOUT=${DRIVERS_GO_TIMEOUT:-120s}
GOSRC=/usr/share/gocode/src

# Tests that fail even straight against PostgreSQL here, with why. They are
# left out of every comparison (they cannot pass through the proxy either).
DIRECT_KNOWN_FAILURES=(
  # Checks which SSL key file modes lib/pq accepts for the current uid; as
  # root (uid 0 owns the fake files) its expectations do not hold. No server
  # is involved.
  "pq TestHasCorrectRootGroupPermissions"
)

# Go packages of each suite (GOPATH import paths).
suite_packages() {
  case $1 in
  pgconn) echo "github.com/jackc/pgconn/..." ;;
  pgx) echo "github.com/jackc/pgx/v4/..." ;;
  pq) echo "github.com/lib/pq/..." ;;
  *) return 1 ;;
  esac
}
suite_root() {
  case $1 in
  pgconn) echo "github.com/jackc/pgconn" ;;
  pgx) echo "github.com/jackc/pgx/v4" ;;
  pq) echo "github.com/lib/pq" ;;
  esac
}

log() { echo "run_drivers: $*" >&2; }

for s in $SUITES; do
  if ! suite_packages "$s" >/dev/null; then
    log "unknown suite $s"
    exit 2
  fi
  if [ ! -d "$GOSRC/$(suite_root "$s")" ]; then
    log "missing $GOSRC/$(suite_root "$s"); install the Debian packages listed at the top of $0"
    exit 1
  fi
done
if ! command -v go >/dev/null; then
  log "go not found; install golang-go"
  exit 1
fi
if [ ! -x "$SHARDGATE" ]; then
  log "shardgate binary $SHARDGATE not found"
  exit 1
fi

# shellcheck source=../../scripts/pg_local.sh disable=SC1091
. "$ROOT/scripts/pg_local.sh"
export PG_PASSWORD=pgpass
export PG_DB=pgx_test

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sg-drivers.XXXXXX")
chmod 755 "$WORK"
PGBASE="$WORK/pg"
mkdir -p "$PGBASE"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGBASE"
declare -A SG_PID=() SG_PORT=()
GO_PID=""

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  local m
  set +e
  if [ -n "$GO_PID" ]; then
    kill -- "-$GO_PID" 2>/dev/null || kill "$GO_PID" 2>/dev/null
  fi
  for m in "${!SG_PID[@]}"; do
    kill -KILL "${SG_PID[$m]}" 2>/dev/null
  done
  pg_local_stop_all "$PGBASE"
  if [ "${DRIVERS_KEEP:-0}" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- PostgreSQL ---------------------------------------------------------
PG_PORT=$(pg_local_free_port "$WORK")
pg_local_start pg "$PG_PORT" "$PGBASE" scram-sha-256
# pgx: TestDomainType and TestUnregisteredTypeUsableAsStringArgumentAndBaseResult
# need the uint64 domain; pgx/pgtype and lib/pq/hstore test hstore.
pg_local_psql pg "$PG_PORT" "$PGBASE" -q \
  -c "CREATE EXTENSION hstore" \
  -c "CREATE DOMAIN uint64 AS numeric(20,0)" >/dev/null

# ---- shardgate, once per pool mode ---------------------------------------
# Session mode holds one server connection per client for the client's whole
# life, so its pool is sized above the suites' peak number of clients.
sg_start() {
  local mode=$1 size=$2 port dir
  dir="$WORK/sg-$mode"
  mkdir -p "$dir"
  port=$(pg_local_free_port "$WORK")
  cat >"$dir/shardgate.yaml" <<EOF
listen: { host: 127.0.0.1, port: $port }
admin: { socket_dir: $dir/admin, port: $port }
auth:
  method: scram-sha-256
  users:
    - { name: postgres, password: "\${SG_DRIVERS_PASSWORD}" }
pool: { mode: $mode, size: $size, checkout_timeout: 30s }
shards:
  - name: main
    database: pgx_test
    user: postgres
    password: "\${SG_DRIVERS_PASSWORD}"
    hosts: [ { host: 127.0.0.1, port: $PG_PORT } ]
log: { level: $LOG_LEVEL }
state_dir: $dir/state
shutdown_timeout: 5s
EOF
  SG_DRIVERS_PASSWORD=$PG_PASSWORD "$SHARDGATE" -c "$dir/shardgate.yaml" >"$dir/shardgate.log" 2>&1 &
  SG_PID[$mode]=$!
  SG_PORT[$mode]=$port
  for _ in $(seq 1 100); do
    if pg_isready -q -h 127.0.0.1 -p "$port" -t 1 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "${SG_PID[$mode]}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  log "shardgate ($mode) did not start; log follows"
  cat "$dir/shardgate.log" >&2
  return 1
}

# Stops shardgate with SIGTERM; it must exit 0 and its log must hold no
# sanitizer report (when built with -DSG_SANITIZE=ON).
sg_stop() {
  local mode=$1 pid=${SG_PID[$1]} rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "shardgate ($mode) still running 15 s after SIGTERM"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rc=1
  elif ! wait "$pid"; then
    log "shardgate ($mode) exited non-zero"
    rc=1
  fi
  unset "SG_PID[$mode]"
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WORK/sg-$mode/shardgate.log"; then
    log "shardgate ($mode) log has a sanitizer report"
    grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WORK/sg-$mode/shardgate.log" | head -80 >&2
    rc=1
  fi
  return $rc
}

for m in $MODES; do
  case $m in
  direct) ;;
  session) sg_start session 60 ;;
  transaction) sg_start transaction 20 ;;
  *)
    log "unknown mode $m"
    exit 2
    ;;
  esac
done

# ---- running the suites ------------------------------------------------
# The build cache outlives the run (compiling the suites takes longer than
# running them); go keeps it consistent across concurrent users.
export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=''
export GOCACHE=${DRIVERS_GOCACHE:-${TMPDIR:-/tmp}/sg-drivers-gocache}
export GOTMPDIR="$WORK/gotmp"
mkdir -p "$GOTMPDIR"

# Runs one suite against one target port; the raw -json stream goes to
# $WORK/<suite>-<mode>.json.
run_suite() {
  local suite=$1 mode=$2 port=$3 cs out rc=0
  out="$WORK/$suite-$mode.json"
  cs="host=127.0.0.1 port=$port user=postgres password=$PG_PASSWORD dbname=pgx_test sslmode=disable"
  (
    # Only this suite's target variables: pgconn's config tests check
    # what the PG* variables do, so those are set for lib/pq alone.
    unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGCONNECT_TIMEOUT \
      PGSERVICE PGSERVICEFILE PGPASSFILE PGOPTIONS PGAPPNAME PGSSLCERT PGSSLKEY PGSSLROOTCERT
    case $suite in
    pgconn | pgx)
      export PGX_TEST_CONN_STRING="$cs" PGX_TEST_TCP_CONN_STRING="$cs"
      export PGX_TEST_SCRAM_PASSWORD_CONN_STRING="$cs" PGX_TEST_DATABASE="$cs"
      export PGX_TEST_PGBOUNCER_CONN_STRING="$cs"
      ;;
    pq)
      export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=$PG_PASSWORD
      export PGDATABASE=pgx_test PGSSLMODE=disable PGCONNECT_TIMEOUT=20
      ;;
    esac
    cd "$WORK"
    # setsid: the whole process group can be killed by cleanup.
    exec setsid timeout -k 10 300 go test -json -count=1 -timeout "$GO_TIMEOUT" "$(suite_packages "$suite")"
  ) >"$out" 2>"$WORK/$suite-$mode.stderr" &
  GO_PID=$!
  wait "$GO_PID" || rc=$?
  GO_PID=""
  return $rc
}

# Reads a -json stream and prints "<status> <key>" per test and subtest
# (status pass|fail|skip). key is the test name, prefixed with the package
# path below the suite root when the test is not in the root package
# (e.g. "stdlib/TestSQLOpen"). A package that failed with no failing test
# to show for it (build error, panic) appears as "fail <pkg>/(package)"; a
# test still running when its package died (timeout) counts as failed.
results() {
  local suite=$1 file=$2
  sed -n 's/^{"Time":"[^"]*","Action":"\(run\|pass\|fail\|skip\)","Package":"\([^"]*\)"\(,"Test":"\(\([^"\\]\|\\.\)*\)"\)\{0,1\}.*/\1 \2 \4/p' "$file" |
    awk -v root="$(suite_root "$suite")" '
      {
        rel = substr($2, length(root) + 2)
        if (NF < 3) { if ($1 == "fail") pkgfail[rel] = 1; next }
        name = $3
        for (i = 4; i <= NF; i++) name = name " " $i
        key = (rel == "" ? "" : rel "/") name
        if ($1 == "run") { running[key] = rel; next }
        delete running[key]
        print $1, key
        if ($1 == "fail") testfail[rel] = 1
      }
      END {
        # Started but never finished: the package timed out or crashed.
        for (k in running) { print "fail", k; testfail[running[k]] = 1 }
        for (r in pkgfail) if (!(r in testfail)) print "fail", (r == "" ? "." : r) "/(package)"
      }' |
    sort -u -k2
}

# Top-level test counts "N passed, M failed, K skipped".
summary() {
  local f=$1
  awk '{ n = $2; sub(/^[a-z0-9_\/]*\//, "", n) } n !~ /\// || $2 ~ /\(package\)$/ { c[$1]++ }
       END { printf "%d passed, %d failed, %d skipped\n", c["pass"], c["fail"], c["skip"] }' "$f"
}

# Prints the output of one failed test (its subtests included), trimmed.
show_test_output() {
  local suite=$1 mode=$2 key=$3 rel="" name pkg
  name=$key
  if [[ $key != Test* ]]; then
    rel=${key%%/Test*}
    name=${key#"$rel"/}
  fi
  pkg=$(suite_root "$suite")${rel:+/$rel}
  grep -F -e "\"Package\":\"$pkg\",\"Test\":\"$name\"" -e "\"Package\":\"$pkg\",\"Test\":\"$name/" \
    "$WORK/$suite-$mode.json" |
    sed -n 's/.*"Action":"output".*"Output":"\(.*\)"}$/\1/p' |
    sed 's/\\n$//; s/\\t/    /g; s/\\"/"/g' | head -n 40 | sed 's/^/    | /' >&2 || true
}

# Is "suite key" covered by an entry of a list (entries cover subtests)?
listed_in() {
  local suite=$1 key=$2 e_suite e_name
  shift 2
  while read -r e_suite e_name; do
    [ -n "$e_suite" ] || continue
    [ "$e_suite" = "$suite" ] || continue
    if [ "$key" = "$e_name" ] || [[ $key == "$e_name"/* ]]; then
      return 0
    fi
  done
  return 1
}
expected_txn_entries() {
  [ -f "$EXPECTED_TXN" ] || return 0
  sed 's/#.*//' "$EXPECTED_TXN" | awk 'NF >= 2 { print $1, $2 }'
}
direct_known_entries() {
  printf '%s\n' "${DIRECT_KNOWN_FAILURES[@]}"
}

STATUS=0
declare -A SUMMARY=()
START_ALL=$(date +%s)
for suite in $SUITES; do
  for mode in $MODES; do
    if [ "$mode" = direct ]; then port=$PG_PORT; else port=${SG_PORT[$mode]}; fi
    t0=$(date +%s)
    rc=0
    run_suite "$suite" "$mode" "$port" || rc=$?
    results "$suite" "$WORK/$suite-$mode.json" >"$WORK/$suite-$mode.results"
    SUMMARY["$suite $mode"]="$(summary "$WORK/$suite-$mode.results") ($(($(date +%s) - t0)) s)"
    echo "$suite $mode: ${SUMMARY["$suite $mode"]}"
    if [ "$rc" -ne 0 ] && ! grep -q '^fail ' "$WORK/$suite-$mode.results"; then
      log "go test for $suite ($mode) exited $rc without a failing test; stderr follows"
      tail -n 40 "$WORK/$suite-$mode.stderr" >&2
      STATUS=1
    fi
  done
done

# ---- comparisons --------------------------------------------------------
for suite in $SUITES; do
  d="$WORK/$suite-direct.results"
  [ -f "$d" ] || continue
  awk '$1 == "pass" { print $2 }' "$d" >"$WORK/$suite-direct.pass"
  if [ ! -s "$WORK/$suite-direct.pass" ]; then
    log "$suite: no test passed directly against PostgreSQL; setup is broken"
    STATUS=1
  fi
  while read -r key; do
    if direct_known_entries | listed_in "$suite" "$key"; then
      continue
    fi
    log "FAIL $suite direct: $key fails straight against PostgreSQL (setup problem?)"
    show_test_output "$suite" direct "$key"
    STATUS=1
  done < <(awk '$1 == "fail" { print $2 }' "$d")

  for mode in $MODES; do
    [ "$mode" = direct ] && continue
    awk '$1 == "pass" { print $2 }' "$WORK/$suite-$mode.results" >"$WORK/$suite-$mode.pass"
    # Passed directly, did not pass here (failed, or never ran).
    while read -r key; do
      if [ "$mode" = transaction ] && expected_txn_entries | listed_in "$suite" "$key"; then
        continue
      fi
      log "FAIL $suite $mode: $key passes directly but not through shardgate ($mode mode)"
      show_test_output "$suite" "$mode" "$key"
      STATUS=1
    done < <(comm -23 "$WORK/$suite-direct.pass" "$WORK/$suite-$mode.pass")
    # Package-level failures (panic, timeout) are failures too.
    while read -r key; do
      log "FAIL $suite $mode: $key"
      tail -n 20 "$WORK/$suite-$mode.stderr" >&2
      STATUS=1
    done < <(awk '$1 == "fail" && $2 ~ /\(package\)$/ { print $2 }' "$WORK/$suite-$mode.results")
  done

  if [[ " $MODES " == *" transaction "* ]]; then
    while read -r e_suite e_name; do
      [ "$e_suite" = "$suite" ] || continue
      if grep -qx "$e_name" "$WORK/$suite-transaction.pass"; then
        log "note: $suite $e_name is listed in $(basename "$EXPECTED_TXN") but now passes in transaction mode"
      fi
    done < <(expected_txn_entries)
  fi
done

for m in session transaction; do
  if [ -n "${SG_PID[$m]:-}" ]; then
    sg_stop "$m" || STATUS=1
  fi
done
if [ "$STATUS" -ne 0 ]; then
  for m in session transaction; do
    f="$WORK/sg-$m/shardgate.log"
    [ -f "$f" ] || continue
    log "---- last warnings/errors of shardgate ($m) ----"
    grep -E 'level=(warn|error)' "$f" | tail -n 30 >&2 || true
  done
fi

echo "---- driver suites (top-level tests; $(($(date +%s) - START_ALL)) s in all) ----"
for suite in $SUITES; do
  for mode in $MODES; do
    echo "$suite $mode: ${SUMMARY["$suite $mode"]}"
  done
done
if [ "$STATUS" -eq 0 ]; then
  echo "run_drivers: OK"
else
  echo "run_drivers: FAILED"
fi
exit "$STATUS"
