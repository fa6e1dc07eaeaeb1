#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317 # pg_local_free_port without its optional argument; trap handlers
# bench/fanout_stream.sh — the streaming measurement of issue 4: 3 million
# rows of `big(id bigint primary key, payload text)` spread over three
# PostgreSQL servers, read back through shardgate with
# `SELECT * FROM big ORDER BY id` while shardgate's resident memory is
# sampled; the target is a peak under 64 MB. Then `... ORDER BY id LIMIT 10`,
# which must return ids 1..10 and leave the shards having read a handful of
# rows, not their whole table.
#
# Placement: big is hash-sharded by id (shardgate's `hash`, 1024 slots,
# PostgreSQL's hash of a bigint key); each shard is loaded directly, with
# generate_series, with exactly the ids whose slot is in its range (the
# slot is computed inside PostgreSQL with hashint8extended, as
# bench/routed.sh does), so ids interleave irregularly across the shards
# and a keyed read through shardgate finds every row (checked on a sample).
# payload is md5(id) followed by id zero-padded to 18 digits: 50 bytes, and
# the client can check every row it gets belongs to its id.
#
# Measurements, each with shardgate's VmRSS sampled every 50 ms and its
# VmHWM read afterwards (reset first through /proc/PID/clear_refs when
# allowed):
#   1. SELECT count(*) FROM big                 (must equal the row count)
#   2. SELECT * FROM big                        (no ORDER BY: concatenation;
#      read by a small libpq client in single-row mode that checks every id
#      arrives exactly once)
#   3. the same, read by the single-row client pausing STREAM_PAUSE_MS every
#      STREAM_PAUSE_EVERY rows: a slow client, so shardgate must hold the
#      shards back (flow control) rather than buffer what they send
#   4. SELECT * FROM big ORDER BY id            (psql -At, output piped into
#      awk, which checks the ids are exactly 1..N in order: psql itself
#      buffers the whole result, shardgate must not) — the acceptance run
#   5. the ORDER BY read by the slow single-row client
#   6. SELECT * FROM big ORDER BY id LIMIT 10   (ids 1..10; elapsed time;
#      pg_stat_activity on every shard right after; the rows each shard
#      read for it, from pg_stat_user_tables)
# The memory verdict is the largest VmRSS/VmHWM seen over all runs.
#
# Environment (defaults in brackets):
#   STREAM_ROWS          rows in big                              [3000000]
#   SHARDGATE_BIN        the proxy                  [build/shardgate, built if missing]
#   STREAM_RSS_LIMIT_MB  the memory target                        [64]
#   STREAM_PAUSE_MS, STREAM_PAUSE_EVERY  the slow client (4); STREAM_PAUSE_MS=0
#                        skips run 4                              [200, 100000]
#   STREAM_QUERY_TIMEOUT seconds before a query is given up       [180]
#   STREAM_KEEP=1        keep the temporary directory (logs) afterwards
#
# Exit status: 0 when every check passed and the peak stayed under the
# target; 1 otherwise (a query that shardgate refuses counts as a failure
# and is reported as such, with shardgate's error).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${STREAM_ROWS:-3000000}
SG_BIN=${SHARDGATE_BIN:-$ROOT/build/shardgate}
LIMIT_MB=${STREAM_RSS_LIMIT_MB:-64}
PAUSE_MS=${STREAM_PAUSE_MS:-200}
PAUSE_EVERY=${STREAM_PAUSE_EVERY:-100000}
QUERY_TIMEOUT=${STREAM_QUERY_TIMEOUT:-180}

export PG_PASSWORD=${PG_PASSWORD:-pgpass}
export PG_DB=bench
BENCH_USER=postgres
SHARDS=(americas europe asia)
HASH_SLOTS=1024
# PostgreSQL's HASH_PARTITION_SEED and the constant hash_combine64(0, h)
# adds, as decimal bigints (the same as bench/routed.sh).
PG_HASH_SEED=8816678312871386365
PG_HASH_COMBINE=5305509591434766563
KEYED_SAMPLE=20

WORK=""
SG_PID="" SG_PORT="" SG_ADMIN_PORT="" SAMPLER_PID=""
CLIENT="" # the single-row client, when it could be compiled
declare -A PORT=() SHARD_ROWS=() RES=()
declare -A STEP=([slow_unordered]=3 [slow_ordered]=5)
FAILED=0
CLEAR_REFS=yes

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

fail() {
  FAILED=1
  say "   FAIL: $*"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_pid "$SAMPLER_PID"
  stop_pid "$SG_PID"
  cleanup_work "$rc" "${STREAM_KEEP:-0}" "$WORK/shardgate.log"
  exit "$rc"
}
trap_cleanup

check_tools() {
  local t
  for t in psql pg_isready awk timeout flock; do
    command -v "$t" >/dev/null || die "missing tool: $t"
  done
  [[ $ROWS =~ ^[1-9][0-9]*$ && $ROWS -ge 10 ]] || die "STREAM_ROWS must be an integer >= 10"
  [[ $LIMIT_MB =~ ^[1-9][0-9]*$ ]] || die "STREAM_RSS_LIMIT_MB must be a positive integer"
  [[ $PAUSE_MS =~ ^[0-9]+$ && $PAUSE_EVERY =~ ^[1-9][0-9]*$ ]] ||
    die "STREAM_PAUSE_MS must be an integer, STREAM_PAUSE_EVERY a positive one"
}

# A libpq client in single-row mode: reads the rows as they come (never
# the whole result), checks each (id, payload) pair, optionally pauses
# every N rows. Prints one line of key=value results.
build_client() {
  local src="$WORK/stream_client.c"
  if ! command -v cc >/dev/null || ! command -v pkg-config >/dev/null || ! pkg-config --exists libpq; then
    say "   (no cc or libpq headers: the single-row client's runs are skipped)"
    return 0
  fi
  cat >"$src" <<'EOF'
/* stream_client CONNINFO SQL N PAUSE_MS PAUSE_EVERY */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 6)
		return 2;
	long long n = atoll(argv[3]), every = atoll(argv[5]);
	long pause_ms = atol(argv[4]);
	unsigned char *seen = calloc((size_t)n / 8 + 1, 1);
	long long rows = 0, prev = 0, first = -1, last = -1, unordered = 0, bad = 0, dup = 0;
	int err = 0;
	struct timespec t0, t1;
	PGconn *c = PQconnectdb(argv[1]);
	if (seen == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(c));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!PQsendQuery(c, argv[2]) || !PQsetSingleRowMode(c)) {
		fprintf(stderr, "send: %s", PQerrorMessage(c));
		return 2;
	}
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && PQnfields(r) == 2) {
			long long id = atoll(PQgetvalue(r, 0, 0));
			const char *p = PQgetvalue(r, 0, 1);
			if (strlen(p) != 50 || atoll(p + 32) != id)
				bad++;
			if (id < 1 || id > n)
				bad++;
			else if (seen[id / 8] & (1u << (id % 8)))
				dup++;
			else
				seen[id / 8] |= (unsigned char)(1u << (id % 8));
			if (rows > 0 && id <= prev)
				unordered++;
			if (rows == 0)
				first = id;
			prev = last = id;
			rows++;
			if (pause_ms > 0 && rows % every == 0)
				usleep((useconds_t)pause_ms * 1000);
		} else if (st != PGRES_TUPLES_OK) {
			fprintf(stderr, "%s", PQresultErrorMessage(r));
			err = 1;
		}
		PQclear(r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("rows=%lld first=%lld last=%lld not_increasing=%lld bad=%lld dup=%lld ms=%.1f error=%d\n", rows,
	       first, last, unordered, bad, dup,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, err);
	PQfinish(c);
	free(seen);
	return err;
}
EOF
  # shellcheck disable=SC2046 # pkg-config's flags are meant to split
  if cc -O2 -std=c11 -D_DEFAULT_SOURCE "$src" $(pkg-config --cflags --libs libpq) -o "$WORK/stream_client" \
    2>"$WORK/stream_client.log"; then
    CLIENT="$WORK/stream_client"
  else
    cat "$WORK/stream_client.log" >&2
    say "   (compiling the single-row client failed: its runs are skipped)"
  fi
}

shard_psql() {
  local name=$1
  shift
  pg_local_psql "$name" "${PORT[$name]}" "$WORK/pg" -X -q -At "$@"
}

start_shards() {
  local n
  for n in "${SHARDS[@]}"; do
    PORT[$n]=$(pg_local_free_port)
    say "== $n: PostgreSQL 15 on 127.0.0.1:${PORT[$n]}"
    pg_local_start "$n" "${PORT[$n]}" "$WORK/pg" scram-sha-256 || die "$n did not start"
  done
}

# First and last slot of shard index $1 (0-based): slot s belongs to shard
# floor(s * nshards / slots), shardgate's default map.
slot_lo() { echo $((($1 * HASH_SLOTS + ${#SHARDS[@]} - 1) / ${#SHARDS[@]})); }
slot_hi() { echo $(($(slot_lo $(($1 + 1))) - 1)); }

load_shard() {
  local k=$1 n=${SHARDS[$1]} lo hi
  lo=$(slot_lo "$k")
  hi=$(slot_hi "$k")
  shard_psql "$n" -v ON_ERROR_STOP=1 >"$WORK/load-$n.out" 2>"$WORK/load-$n.err" <<EOF
CREATE FUNCTION bench_slot(k bigint, slots int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS
  'SELECT mod(mod(hashint8extended(k, $PG_HASH_SEED)::numeric + 18446744073709551616
                  + $PG_HASH_COMBINE, 18446744073709551616), slots)::int';
CREATE TABLE big (id bigint, payload text);
INSERT INTO big SELECT i, md5(i::text) || lpad(i::text, 18, '0')
  FROM generate_series(1::bigint, $ROWS) AS i WHERE bench_slot(i, $HASH_SLOTS) BETWEEN $lo AND $hi;
ALTER TABLE big ADD PRIMARY KEY (id);
VACUUM (ANALYZE) big;
CHECKPOINT;
SELECT count(*) FROM big;
EOF
}

load_all() {
  local total=0 n
  say "== loading $ROWS rows of big, each shard its own slots' ids (two shards at a time)"
  run_two_at_a_time load_shard "${!SHARDS[@]}"
  if [[ $PARALLEL_RC -ne 0 ]]; then
    cat "$WORK"/load-*.err >&2
    die "loading big failed"
  fi
  for n in "${SHARDS[@]}"; do
    SHARD_ROWS[$n]=$(cat "$WORK/load-$n.out")
    say "   $n: ${SHARD_ROWS[$n]} rows"
    total=$((total + SHARD_ROWS[$n]))
  done
  [[ $total -eq $ROWS ]] || die "the shards hold $total rows together, not $ROWS"
}

start_shardgate() {
  start_fanout_shardgate "default_shard: americas
hash:
  slots: $HASH_SLOTS
tables:
  big: { shard_by: hash, column: id, type: integer }" \
    "big hash-sharded by id over ${SHARDS[*]}"
}

# psql through shardgate; the caller redirects. Never hangs: QUERY_TIMEOUT.
sg_psql() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=10 timeout -k 5 "$QUERY_TIMEOUT" \
    psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SG_PORT" -U "$BENCH_USER" -d "$PG_DB" "$@"
}

# The first error line of file $1, as "ERROR: message".
first_error() {
  { grep -m 1 -E 'ERROR|FATAL|error|timeout|Terminated' "$1" || head -n 1 "$1"; } |
    sed -e 's/^psql:[^:]*:[0-9]*: //' -e 's/^ERROR: *//' -e 's/^/ERROR: /'
}

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Samples shardgate's VmRSS every 50 ms into $1 (the largest value, KiB)
# until stopped; resets VmHWM first where the kernel lets us.
sampler_start() {
  local out=$1
  if [[ $CLEAR_REFS == yes ]] && ! { echo 5 >"/proc/$SG_PID/clear_refs"; } 2>/dev/null; then
    CLEAR_REFS=no
  fi
  (
    max=0
    trap 'echo "$max" >"$out"; exit 0' TERM
    while :; do
      while read -r k v _; do
        if [[ $k == VmRSS: ]]; then
          ((v > max)) && max=$v
          break
        fi
      done <"/proc/$SG_PID/status" || break
      echo "$max" >"$out.tmp"
      sleep 0.05
    done
    echo "$max" >"$out"
  ) &
  SAMPLER_PID=$!
}

# Stops the sampler; sets RES[$1,rss] (sampled peak) and RES[$1,hwm], MiB.
sampler_stop() {
  local tag=$1 out=$2 kib hwm
  kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  kib=$(cat "$out" 2>/dev/null || cat "$out.tmp" 2>/dev/null || echo 0)
  hwm=$(status_kib "$SG_PID" VmHWM)
  RES[$tag,rss]=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
  RES[$tag,hwm]=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. count(*) through shardgate.
run_count() {
  local out="$WORK/count" got
  say "-- 1. SELECT count(*) FROM big"
  sampler_start "$out.rss"
  got=$(sg_psql -c 'SELECT count(*) FROM big' 2>"$out.err") || got=""
  sampler_stop count "$out.rss"
  if [[ -z $got ]]; then
    RES[count,result]="$(first_error "$out.err")"
    fail "count(*): ${RES[count,result]}"
  elif [[ $got != "$ROWS" ]]; then
    RES[count,result]="MISMATCH: $got, expected $ROWS"
    fail "count(*): ${RES[count,result]}"
  else
    RES[count,result]="$got (correct)"
  fi
}

# Runs the single-row client on $2 with RSS sampling; tag $1, pause $3 ms.
run_client() {
  local tag=$1 sql=$2 pause=$3 out="$WORK/client-$1" line rc=0
  sampler_start "$out.rss"
  line=$(PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=10 timeout -k 5 "$QUERY_TIMEOUT" "$CLIENT" \
    "host=127.0.0.1 port=$SG_PORT dbname=$PG_DB user=$BENCH_USER sslmode=disable" "$sql" "$ROWS" \
    "$pause" "$PAUSE_EVERY" 2>"$out.err") || rc=$?
  sampler_stop "$tag" "$out.rss"
  RES[$tag,line]=$line
  RES[$tag,ms]=$(sed -n 's/.* ms=\([0-9.]*\) .*/\1/p' <<<"$line")
  if [[ $rc -ne 0 || -z $line ]]; then
    [[ $rc -eq 124 ]] && echo "no answer after ${QUERY_TIMEOUT}s (timeout)" >>"$out.err"
    RES[$tag,result]="$(first_error "$out.err")"
    fail "$tag: ${RES[$tag,result]}"
    return 0
  fi
  RES[$tag,rows]=$(sed -n 's/^rows=\([0-9]*\) .*/\1/p' <<<"$line")
}

# 2. no ORDER BY: every id exactly once, in any order.
run_unordered() {
  local tag=unordered
  say "-- 2. SELECT * FROM big (single-row client)"
  [[ -n $CLIENT ]] || {
    RES[$tag,result]="skipped (no client)"
    return 0
  }
  run_client "$tag" "SELECT * FROM big" 0
  [[ -n ${RES[$tag,rows]:-} ]] && check_all_once "$tag"
  return 0
}

# Checks a single-row client's run: every id 1..N exactly once, any order.
check_all_once() {
  local tag=$1
  if [[ ${RES[$tag,line]} == *" bad=0 dup=0 "* && ${RES[$tag,rows]} -eq $ROWS ]]; then
    RES[$tag,result]="${RES[$tag,rows]} rows, every id 1..$ROWS exactly once, payloads intact"
  else
    RES[$tag,result]="WRONG: ${RES[$tag,line]}"
    fail "$tag: ${RES[$tag,result]}"
  fi
}

# Checks a single-row client's ordered run: ids exactly 1..N ascending.
check_ordered() {
  local tag=$1 line=${RES[$1,line]}
  if [[ ${RES[$tag,rows]} -eq $ROWS && $line == *" first=1 last=$ROWS not_increasing=0 bad=0 dup=0 "* ]]; then
    RES[$tag,result]="$ROWS rows, ids 1..$ROWS strictly increasing, payloads intact"
  else
    RES[$tag,result]="WRONG: $line"
    fail "$tag: ${RES[$tag,result]}"
  fi
}

# 3. ORDER BY id through psql, checked by awk as it is printed.
run_ordered_psql() {
  local tag=ordered out="$WORK/ordered" t0 t1 check rc=0
  say "-- 4. SELECT * FROM big ORDER BY id (psql -At | awk)"
  sampler_start "$out.rss"
  t0=$(now_ms)
  # awk sees every row: ids must be 1, 2, ..., N and each payload its id's.
  check=$(
    printf '\\timing on\nSELECT * FROM big ORDER BY id;\n' | sg_psql -F ' ' -f - 2>"$out.err" |
      awk -v n="$ROWS" '
        /^Time: [0-9.]+ ms/ { ms = $2; next }
        { rows++; if ($1 != rows) bad++; if (length($2) != 50 || substr($2, 33) + 0 != $1) badp++ }
        END { printf "rows=%d misplaced=%d bad_payload=%d query_ms=%s\n", rows, bad, badp, ms }'
  ) || rc=$?
  t1=$(now_ms)
  sampler_stop "$tag" "$out.rss"
  RES[$tag,line]=$check
  RES[$tag,rows]=$(sed -n 's/^rows=\([0-9]*\) .*/\1/p' <<<"$check")
  RES[$tag,ms]=$((t1 - t0))
  RES[$tag,qms]=$(sed -n 's/.*query_ms=\([0-9.]*\).*/\1/p' <<<"$check")
  if [[ $rc -ne 0 || -s $out.err ]]; then
    [[ -s $out.err ]] || echo "psql failed (exit status $rc)" >"$out.err"
    RES[$tag,result]="$(first_error "$out.err")"
    fail "$tag: ${RES[$tag,result]}"
  elif [[ ${RES[$tag,rows]} -eq $ROWS && $check == *" misplaced=0 bad_payload=0 "* ]]; then
    RES[$tag,result]="$ROWS rows, ids 1..$ROWS strictly increasing, payloads intact"
  else
    RES[$tag,result]="WRONG: $check"
    fail "$tag: ${RES[$tag,result]}"
  fi
}

# 3 and 5: the query read slowly; tag slow_unordered or slow_ordered.
run_slow() {
  local tag=$1 sql="SELECT * FROM big"
  [[ $tag == slow_ordered ]] && sql+=" ORDER BY id"
  say "-- ${STEP[$tag]}. $sql (single-row client, ${PAUSE_MS} ms pause every $PAUSE_EVERY rows)"
  if [[ -z $CLIENT || $PAUSE_MS -eq 0 ]]; then
    RES[$tag,result]="skipped"
    return 0
  fi
  run_client "$tag" "$sql" "$PAUSE_MS"
  [[ -n ${RES[$tag,rows]:-} ]] || return 0
  if [[ $tag == slow_ordered ]]; then
    check_ordered "$tag"
  else
    check_all_once "$tag"
  fi
}

# Sum over shards of the rows read from big (sequential and index fetches).
shard_reads() {
  local n
  for n in "${SHARDS[@]}"; do
    shard_psql "$n" -c "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
                          FROM pg_stat_user_tables WHERE relname = 'big'"
  done | tr '\n' ' '
}

# Queries still running on big on each shard (other than ours).
shard_active() {
  local n
  for n in "${SHARDS[@]}"; do
    printf '%s=%s ' "$n" "$(shard_psql "$n" -c "SELECT count(*) FROM pg_stat_activity
      WHERE state <> 'idle' AND pid <> pg_backend_pid() AND query ILIKE '%big%'")"
  done
}

# 5. LIMIT 10: ids 1..10, and the shards stop early.
run_limit() {
  local tag=limit out="$WORK/limit" got ms before after want _ i d reads
  say "-- 6. SELECT * FROM big ORDER BY id LIMIT 10"
  want=$(seq 1 10 | tr '\n' ' ')
  before=$(shard_reads)
  sampler_start "$out.rss"
  got=$(printf '\\timing on\nSELECT * FROM big ORDER BY id LIMIT 10;\n' | sg_psql -f - 2>"$out.err") || got=""
  RES[$tag,active]=$(shard_active)
  sampler_stop "$tag" "$out.rss"
  ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$got")
  RES[$tag,ms]=${ms:-n/a}
  RES[$tag,ids]=$(grep -v '^Time: ' <<<"$got" | cut -d'|' -f1 | tr '\n' ' ')
  if [[ -z $got || -s $out.err ]]; then
    RES[$tag,result]="$(first_error "$out.err")"
    fail "$tag: ${RES[$tag,result]}"
    return 0
  fi
  if [[ ${RES[$tag,ids]} == "$want" ]]; then
    RES[$tag,result]="ids 1..10"
  else
    RES[$tag,result]="WRONG ids: ${RES[$tag,ids]}"
    fail "$tag: ${RES[$tag,result]}"
  fi
  [[ ${RES[$tag,active]} == *=[1-9]* ]] && fail "queries on big still running on the shards: ${RES[$tag,active]}"
  # Backends publish their table statistics when idle, within ~1-10 s
  # (PostgreSQL 15); wait until every shard's counter moved, 15 s at most.
  for _ in $(seq 1 30); do
    after=$(shard_reads)
    reads=$(awk -v b="$before" -v a="$after" 'BEGIN { nb = split(b, B, " "); split(a, A, " ")
      for (i = 1; i <= nb; i++) { d = A[i] - B[i]; if (d <= 0) z = 1; s = s (i > 1 ? " " : "") d }
      print s; exit z }') && break
    sleep 0.5
  done
  RES[$tag,reads]=""
  i=0
  for d in $reads; do
    RES[$tag,reads]+="${SHARDS[$i]} $d, "
    [[ $d -le 1000 ]] || fail "shard ${SHARDS[$i]} read $d rows of big for LIMIT 10"
    i=$((i + 1))
  done
  [[ $reads == *" 0"* || $reads == 0* ]] && RES[$tag,reads]+="(0: none read, or not yet published after 15 s), "
  RES[$tag,reads]=${RES[$tag,reads]%, }
}

# A sample of ids read by key through shardgate (one shard each): the
# placement agrees with shardgate's hash.
check_keyed() {
  local i id sql="" got ok
  for i in $(seq 1 $KEYED_SAMPLE); do
    id=$(((RANDOM * 32768 + RANDOM) % ROWS + 1))
    sql+="SELECT id FROM big WHERE id = $id;"$'\n'
    RES[keyed,want]+="$id "
  done
  got=$(sg_psql -f - <<<"$sql" 2>"$WORK/keyed.err" | tr '\n' ' ') || true
  ok=$([[ $got == "${RES[keyed,want]}" ]] && echo yes || echo no)
  if [[ $ok == yes ]]; then
    RES[keyed,result]="$KEYED_SAMPLE/$KEYED_SAMPLE random ids found by key through shardgate"
  else
    RES[keyed,result]="WRONG: asked ${RES[keyed,want]}, got ${got:-nothing} $(first_error "$WORK/keyed.err" 2>/dev/null)"
    fail "keyed reads: ${RES[keyed,result]}"
  fi
}

mem_line() {
  local tag=$1
  printf '    shardgate peak VmRSS %s MB (sampled every 50 ms), VmHWM %s MB\n' "${RES[$tag,rss]:-n/a}" \
    "${RES[$tag,hwm]:-n/a}"
}

# Elapsed time (successful runs) and memory of run $1.
elapsed_line() {
  local tag=$1
  [[ -n ${RES[$tag,rss]:-} ]] || return 0
  if [[ ${RES[$tag,result]} != ERROR* && -n ${RES[$tag,ms]:-} ]]; then
    if [[ $tag == ordered ]]; then
      printf '    elapsed %s ms wall (psql \\timing: %s ms)\n' "${RES[$tag,ms]}" "${RES[$tag,qms]:-n/a}"
    else
      printf '    elapsed %s ms\n' "${RES[$tag,ms]}"
    fi
  fi
  mem_line "$tag"
}

print_report() {
  local n peak=0 tag verdict
  printf '\nStreaming through shardgate: big(id bigint primary key, payload text), %d rows\n' "$ROWS"
  printf 'hash-sharded by id over %s (' "${SHARDS[*]}"
  for n in "${SHARDS[@]}"; do printf '%s %s rows%s' "$n" "${SHARD_ROWS[$n]}" "$([[ $n == asia ]] || echo ', ')"; done
  printf '); shardgate VmRSS when idle: %s MB\n' "${RES[idle,rss]}"
  [[ $CLEAR_REFS == yes ]] || printf '(VmHWM could not be reset: it is the peak since shardgate started)\n'
  printf '\n  keyed reads: %s\n' "${RES[keyed,result]}"
  printf '  1. SELECT count(*) FROM big: %s\n' "${RES[count,result]}"
  mem_line count
  printf '  2. SELECT * FROM big (single-row client): %s\n' "${RES[unordered,result]}"
  elapsed_line unordered
  printf '  3. SELECT * FROM big, slow client (%s ms pause every %s rows): %s\n' "$PAUSE_MS" "$PAUSE_EVERY" \
    "${RES[slow_unordered,result]}"
  elapsed_line slow_unordered
  printf '  4. SELECT * FROM big ORDER BY id (psql -At | awk): %s\n' "${RES[ordered,result]}"
  elapsed_line ordered
  printf '  5. ORDER BY id, slow client (%s ms pause every %s rows): %s\n' "$PAUSE_MS" "$PAUSE_EVERY" \
    "${RES[slow_ordered,result]}"
  elapsed_line slow_ordered
  printf '  6. SELECT * FROM big ORDER BY id LIMIT 10: %s\n' "${RES[limit,result]}"
  if [[ ${RES[limit,result]} != ERROR* ]]; then
    printf '    ids: %s\n' "${RES[limit,ids]:-none}"
    printf '    elapsed %s ms (psql \\timing)' "${RES[limit,ms]}"
    if [[ ${RES[limit,ms]} =~ ^[0-9.]+$ && ${RES[ordered,qms]:-} =~ ^[0-9.]+$ ]]; then
      printf ' = %s%% of the full ORDER BY'"'"'s' "$(awk -v a="${RES[limit,ms]}" -v b="${RES[ordered,qms]}" \
        'BEGIN { printf "%.2f", 100 * a / b }')"
    fi
    printf '\n    shards right after: queries on big still active: %s\n' "${RES[limit,active]:-n/a}"
    printf '    rows of big the shards read for it: %s\n' "${RES[limit,reads]:-n/a}"
  fi
  mem_line limit
  for tag in count unordered slow_unordered ordered slow_ordered limit; do
    peak=$(awk -v p="$peak" -v a="${RES[$tag,rss]:-0}" -v b="${RES[$tag,hwm]:-0}" \
      'BEGIN { m = p; if (a > m) m = a; if (b > m) m = b; print m }')
  done
  verdict=PASS
  awk -v p="$peak" -v l="$LIMIT_MB" 'BEGIN { exit !(p < l) }' || {
    verdict=FAIL
    FAILED=1
  }
  [[ -n ${RES[ordered,rss]:-} && ${RES[ordered,result]} != ERROR* ]] || verdict="FAIL (the ORDER BY run did not complete)"
  printf '\nshardgate peak resident memory over all runs: %s MB; target < %d MB: %s\n' "$peak" "$LIMIT_MB" \
    "$verdict"
  printf 'all checks: %s\n' "$([[ $FAILED -eq 0 ]] && echo PASS || echo FAIL)"
}

main() {
  check_tools
  build_shardgate --target shardgate
  WORK=$(mktemp -d /tmp/shardgate-stream.XXXXXX)
  chmod 755 "$WORK"
  mkdir -p "$WORK/pg"
  # shellcheck source=scripts/pg_local.sh
  . "$ROOT/scripts/pg_local.sh"
  build_client
  start_shards
  load_all
  start_shardgate
  check_keyed
  RES[idle,rss]=$(awk -v k="$(status_kib "$SG_PID" VmRSS)" 'BEGIN { printf "%.1f", k / 1024 }')
  run_count
  run_unordered
  run_slow slow_unordered
  run_ordered_psql
  run_slow slow_ordered
  run_limit
  print_report
  return "$FAILED"
}

main "$@"
exit
