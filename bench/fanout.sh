#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317 # pg_local_free_port without its optional argument; trap handlers
# bench/fanout.sh — the fan-out benchmark of issue 4: global analytics
# queries over `orders`, region-sharded over three PostgreSQL servers behind
# shardgate, timed against the same queries on a fourth, unsharded "oracle"
# server holding all the rows, reported as the ratio oracle / shardgate
# (> 1: shardgate is faster, thanks to the shards working in parallel).
# Every result through shardgate must be the oracle's, byte for byte.
#
# Setup: four PostgreSQL 15 servers (scripts/pg_local.sh) on 127.0.0.1:
# americas, europe, asia (shared_buffers FANOUT_SHARD_SHARED_BUFFERS each)
# and oracle (FANOUT_ORACLE_SHARED_BUFFERS, by default the three shards'
# sum, so both sides have the same cache). The oracle is a separate server
# rather than a database of a shard: it must not share a postmaster, its
# buffers or its background work with the shards it is compared with.
# `orders` gets ROWS rows from one deterministic generator (no random()),
# each shard loaded directly with the rows of its regions, the oracle with
# all of them; then VACUUM ANALYZE and a checkpoint everywhere.
#
# Timing: each query runs once on each side to warm up, then RUNS times,
# alternating sides; every run is a fresh psql over TCP with `\timing`, so
# the time is one query's round trip as psql sees it (connection set-up
# excluded), measured the same way on both sides. Medians are reported.
#
# Environment (defaults in brackets):
#   ROWS                      orders rows                         [1000000]
#   RUNS                      timed runs per query and side       [5]
#   SHARDGATE_BIN             the proxy             [build/shardgate, built if missing]
#   FANOUT_SHARD_SHARED_BUFFERS   shared_buffers of each shard    [64MB]
#   FANOUT_ORACLE_SHARED_BUFFERS  shared_buffers of the oracle    [192MB]
#   FANOUT_PARALLEL_WORKERS   max_parallel_workers_per_gather on all four servers
#                             [unset: PostgreSQL's default, 2]
#   FANOUT_QUERY_TIMEOUT      seconds before a query is given up  [120]
#   FANOUT_QUERIES            which queries, by name     [total by_region trend_90d one_region]
#   FANOUT_KEEP=1             keep the temporary directory (logs) afterwards
#
# Exit status: 0 when every query returned the oracle's result through
# shardgate; 1 on a MISMATCH, an ERROR from shardgate, or a harness failure.
# Ratios are printed, never asserted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
SG_BIN=${SHARDGATE_BIN:-$ROOT/build/shardgate}
SHARD_SB=${FANOUT_SHARD_SHARED_BUFFERS:-64MB}
ORACLE_SB=${FANOUT_ORACLE_SHARED_BUFFERS:-192MB}
PAR_WORKERS=${FANOUT_PARALLEL_WORKERS:-}
QUERY_TIMEOUT=${FANOUT_QUERY_TIMEOUT:-120}

export PG_PASSWORD=${PG_PASSWORD:-pgpass}
export PG_DB=bench
BENCH_USER=postgres
SHARDS=(americas europe asia)
declare -A REGIONS=([americas]="US CA MX BR" [europe]="UK DE FR ES" [asia]="JP SG AU IN")
declare -A PORT=()
ALL_REGIONS="'US','CA','MX','BR','UK','DE','FR','ES','JP','SG','AU','IN'"

# The one generator of orders rows, evaluated on every server: the row with
# id i is the same everywhere. hashint8 spreads the regions unevenly (the
# GROUP BY counts differ per region); amounts 1.00..999.99; created_at over
# the year before 2025-01-01 UTC.
GEN_SQL="SELECT i AS id,
       1 + (i * 7919) % 50000 AS user_id,
       (ARRAY[$ALL_REGIONS])[1 + mod(hashint8(i)::bigint + 2147483648, 12)::int] AS region,
       (1 + (i * 104729) % 99899 / 100.0)::numeric(12,2) AS amount,
       (1 + (i * 13) % 10)::int AS qty,
       timestamptz '2025-01-01 00:00:00+00' - ((i * 7777) % 31536000) * interval '1 second' AS created_at
  FROM generate_series(1::bigint, $ROWS) AS i"

# The benchmark queries. total, by_region and trend_90d need every shard
# (the scatter-gather engine); one_region names its shard's key, so it is
# routed to europe alone (a single-shard query, for comparison).
read -r -a QUERY_NAMES <<<"${FANOUT_QUERIES:-total by_region trend_90d one_region}"
declare -A QUERY=(
  [total]="SELECT count(*), sum(amount) FROM orders"
  [by_region]="SELECT region, count(*), sum(amount), avg(qty) FROM orders GROUP BY region ORDER BY region"
  [trend_90d]="SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, count(*), sum(amount)
  FROM orders WHERE created_at >= timestamptz '2024-10-03 00:00:00+00' GROUP BY 1 ORDER BY 1"
  [one_region]="SELECT count(*), sum(amount), avg(qty) FROM orders WHERE region = 'DE'"
)
declare -A QUERY_TITLE=(
  [total]="count(*), sum(amount) over all orders"
  [by_region]="GROUP BY region: count, sum(amount), avg(qty)"
  [trend_90d]="last 90 days, per day: count, sum(amount)"
  [one_region]="one region (routed to one shard): count, sum, avg"
)

WORK=""
SG_PID="" SG_PORT="" SG_ADMIN_PORT=""
declare -A MEDIAN=() TIMES=() VERDICT=() DETAIL=()
FAILED=0

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_pid "$SG_PID"
  cleanup_work "$rc" "${FANOUT_KEEP:-0}" "$WORK/shardgate.log"
  exit "$rc"
}
trap_cleanup

check_tools() {
  local t
  for t in psql pg_isready awk sort timeout flock; do
    command -v "$t" >/dev/null || die "missing tool: $t"
  done
  [[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive integer"
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
  [[ -z $PAR_WORKERS || $PAR_WORKERS =~ ^[0-9]+$ ]] || die "FANOUT_PARALLEL_WORKERS must be an integer"
  local q
  for q in "${QUERY_NAMES[@]}"; do [[ -n ${QUERY[$q]:-} ]] || die "unknown query in FANOUT_QUERIES: $q"; done
  [[ ${#QUERY_NAMES[@]} -gt 0 ]] || die "FANOUT_QUERIES names no query"
}

# psql as the superuser over the server's unix socket (trust).
server_psql() {
  local name=$1
  shift
  pg_local_psql "$name" "${PORT[$name]}" "$WORK/pg" -X -q -At "$@"
}

# Starts server $1 with shared_buffers $2 (pg_local.sh writes 64MB; a
# later line wins, hence the restart).
start_server() {
  local name=$1 sb=$2 dir="$WORK/pg/$1"
  PORT[$name]=$(pg_local_free_port)
  say "== $name: PostgreSQL 15 on 127.0.0.1:${PORT[$name]} (shared_buffers $sb)"
  pg_local_start "$name" "${PORT[$name]}" "$WORK/pg" scram-sha-256 || die "$name did not start"
  {
    printf 'shared_buffers = %s\n' "$sb"
    [[ -n $PAR_WORKERS ]] && printf 'max_parallel_workers_per_gather = %s\n' "$PAR_WORKERS"
    true
  } >>"$dir/postgresql.conf"
  # shellcheck disable=SC2153 # PG_BIN comes from scripts/pg_local.sh
  _pg_local_as_pg "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -m fast -l "$WORK/pg/$name.log" restart \
    >/dev/null || die "$name did not restart"
}

# Creates orders on server $1 and loads the generator's rows whose region
# is in $2 (a SQL list), or all of them when $2 is empty.
load_server() {
  local name=$1 list=$2 where=""
  [[ -n $list ]] && where="WHERE region IN ($list)"
  server_psql "$name" -v ON_ERROR_STOP=1 >"$WORK/load-$name.out" 2>"$WORK/load-$name.err" <<EOF
CREATE TABLE orders (id bigint, user_id bigint, region text, amount numeric(12,2), qty int,
                     created_at timestamptz);
INSERT INTO orders SELECT * FROM ($GEN_SQL) AS g $where;
VACUUM (ANALYZE) orders;
CHECKPOINT;
SELECT count(*), count(*) FILTER (WHERE region NOT IN (${list:-$ALL_REGIONS})) FROM orders;
EOF
}

region_list() {
  local r out=""
  for r in ${REGIONS[$1]}; do out+="${out:+,}'$r'"; done
  echo "$out"
}

# One server's rows: the oracle gets all of them, a shard its regions'.
load_named() {
  if [[ $1 == oracle ]]; then
    load_server oracle ""
  else
    load_server "$1" "$(region_list "$1")"
  fi
}

load_all() {
  local names=(oracle "${SHARDS[@]}") n rows bad total=0
  say "== loading $ROWS orders: all into oracle, each region's into its shard (two servers at a time)"
  run_two_at_a_time load_named "${names[@]}"
  if [[ $PARALLEL_RC -ne 0 ]]; then
    cat "$WORK"/load-*.err >&2
    die "loading orders failed"
  fi
  for n in "${names[@]}"; do
    IFS='|' read -r rows bad <"$WORK/load-$n.out" || die "no load counts for $n"
    [[ $bad -eq 0 ]] || die "$n holds $bad rows of regions it does not own"
    say "   $n: $rows rows"
    [[ $n == oracle ]] && { [[ $rows -eq $ROWS ]] || die "oracle holds $rows rows, not $ROWS"; }
    [[ $n == oracle ]] || total=$((total + rows))
  done
  [[ $total -eq $ROWS ]] || die "the shards hold $total rows together, not $ROWS"
}

start_shardgate() {
  start_fanout_shardgate "default_shard: americas
tables:
  orders:
    shard_by: region
    column: region
    regions:
      americas: [${REGIONS[americas]// /, }]
      europe: [${REGIONS[europe]// /, }]
      asia: [${REGIONS[asia]// /, }]" \
    "orders region-sharded over ${SHARDS[*]}"
}

side_port() { if [[ $1 == shardgate ]]; then echo "$SG_PORT"; else echo "${PORT[oracle]}"; fi; }

# Runs SQL $2 once on side $1 (shardgate or oracle) over TCP; writes the
# result rows to $3 and prints psql's \timing milliseconds. Fails (status 1,
# first error line in $3.err) on an error or after QUERY_TIMEOUT seconds.
timed_query() {
  local side=$1 sql=$2 out=$3 rc=0 ms
  printf '\\timing on\n%s;\n' "$sql" |
    PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=10 timeout -k 5 "$QUERY_TIMEOUT" \
      psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(side_port "$side")" -U "$BENCH_USER" \
      -d "$PG_DB" -f - >"$out.raw" 2>"$out.err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    [[ $rc -eq 124 ]] && echo "no answer after ${QUERY_TIMEOUT}s (timeout)" >>"$out.err"
    return 1
  fi
  ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out.raw" | tail -n 1)
  grep -v '^Time: [0-9.]* ms' "$out.raw" >"$out" || true
  [[ -n $ms ]] || {
    echo "psql printed no timing" >>"$out.err"
    return 1
  }
  echo "$ms"
}

median() {
  tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "n/a"; else if (NR % 2) printf "%.1f", v[(NR + 1) / 2];
          else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

first_error() {
  { grep -m 1 -E 'ERROR|FATAL|error|timeout' "$1" || head -n 1 "$1"; } | sed 's/^psql:[^:]*:[0-9]*: //'
}

# Marks query $1 MISMATCH (once) when result file $3 differs from $2.
compare_result() {
  local q=$1 ref=$2 got=$3 what=$4
  cmp -s "$ref" "$got" && return 0
  FAILED=1
  [[ ${VERDICT[$q]:-} == MISMATCH ]] && return 0
  VERDICT[$q]=MISMATCH
  DETAIL[$q]="$what differs from the oracle (diff oracle shardgate, first lines):
$(diff "$ref" "$got" | head -n 12 | sed "s/^/    /" || true)"
  say "   MISMATCH: ${DETAIL[$q]}"
}

# Warm-up, then RUNS alternating runs; every shardgate result is compared
# with the oracle's warm-up result.
bench_query() {
  local q=$1 sql=${QUERY[$1]} r side ms dir="$WORK/q-$1" ref
  local -A t=()
  mkdir -p "$dir"
  ref="$dir/oracle-warm"
  say "-- $q: ${QUERY_TITLE[$q]}"
  timed_query oracle "$sql" "$ref" >/dev/null || die "the oracle failed on $q: $(first_error "$ref.err")"
  if ! timed_query shardgate "$sql" "$dir/shardgate-warm" >/dev/null; then
    VERDICT[$q]=ERROR
    DETAIL[$q]=$(first_error "$dir/shardgate-warm.err")
    FAILED=1
    say "   failed through shardgate: ${DETAIL[$q]}"
  else
    compare_result "$q" "$ref" "$dir/shardgate-warm" "the warm-up run through shardgate"
  fi
  for r in $(seq 1 "$RUNS"); do
    for side in oracle shardgate; do
      [[ $side == shardgate && ${VERDICT[$q]:-} == ERROR ]] && continue
      if ! ms=$(timed_query "$side" "$sql" "$dir/$side-$r"); then
        [[ $side == oracle ]] && die "the oracle failed on $q: $(first_error "$dir/$side-$r.err")"
        VERDICT[$q]=ERROR
        DETAIL[$q]="run $r: $(first_error "$dir/$side-$r.err")"
        FAILED=1
        continue
      fi
      compare_result "$q" "$ref" "$dir/$side-$r" "run $r on $side"
      t[$side]+="$ms "
    done
  done
  VERDICT[$q]=${VERDICT[$q]:-identical}
  TIMES[$q,oracle]=${t[oracle]:-}
  TIMES[$q,shardgate]=${t[shardgate]:-}
  MEDIAN[$q,oracle]=$(median "${t[oracle]:-}")
  MEDIAN[$q,shardgate]=$(median "${t[shardgate]:-}")
  cp "$ref" "$WORK/result-$q.txt"
}

print_report() {
  local q fmt='%-10s %12s %14s %17s  %s\n' pw
  pw=$(server_psql oracle -c 'SHOW max_parallel_workers_per_gather')
  printf '\nFan-out benchmark: %d orders region-sharded over %s (shared_buffers %s each)\n' \
    "$ROWS" "${SHARDS[*]}" "$SHARD_SB"
  printf 'vs one unsharded oracle server (shared_buffers %s); max_parallel_workers_per_gather %s;\n' \
    "$ORACLE_SB" "$pw"
  printf 'median of %d runs after a warm-up, psql \\timing, milliseconds; %d cores, load average %s\n\n' \
    "$RUNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2059
  printf "$fmt" query oracle_ms shardgate_ms oracle/shardgate result
  for q in "${QUERY_NAMES[@]}"; do
    # shellcheck disable=SC2059
    printf "$fmt" "$q" "${MEDIAN[$q,oracle]}" "${MEDIAN[$q,shardgate]}" \
      "$(ratio "${MEDIAN[$q,oracle]}" "${MEDIAN[$q,shardgate]}")" "${VERDICT[$q]}"
  done
  printf '\n'
  for q in "${QUERY_NAMES[@]}"; do
    printf '%s: %s\n  %s\n' "$q" "${QUERY_TITLE[$q]}" "$(tr -s ' \n' ' ' <<<"${QUERY[$q]}")"
    printf '  runs (ms): oracle %s| shardgate %s\n' "${TIMES[$q,oracle]}" "${TIMES[$q,shardgate]:-none }"
    case ${VERDICT[$q]} in
    ERROR) printf '  failed through shardgate: %s\n' "${DETAIL[$q]}" ;;
    MISMATCH) printf '  MISMATCH: %s\n' "${DETAIL[$q]}" ;;
    esac
  done
  for q in total one_region by_region; do
    [[ -f $WORK/result-$q.txt ]] || continue
    printf '\n%s, the oracle'"'"'s result:\n' "$q"
    sed 's/^/  /' "$WORK/result-$q.txt"
  done
  printf '\noracle/shardgate > 1: shardgate faster. Results compared byte for byte with the oracle: %s\n' \
    "$([[ $FAILED -eq 0 ]] && echo PASS || echo FAIL)"
}

main() {
  local n q
  check_tools
  build_shardgate --target shardgate
  WORK=$(mktemp -d /tmp/shardgate-fanout.XXXXXX)
  chmod 755 "$WORK"
  mkdir -p "$WORK/pg"
  # shellcheck source=scripts/pg_local.sh
  . "$ROOT/scripts/pg_local.sh"
  for n in "${SHARDS[@]}"; do start_server "$n" "$SHARD_SB"; done
  start_server oracle "$ORACLE_SB"
  load_all
  start_shardgate
  say "== queries: warm-up + $RUNS runs per side"
  for q in "${QUERY_NAMES[@]}"; do bench_query "$q"; done
  print_report
  return "$FAILED"
}

main "$@"
exit
