# shellcheck shell=bash
# shellcheck disable=SC2154 # WORK, PG_PORT, TPS, NOTE, ... belong to bench/pgbench.sh
# bench/routed.sh — the routed part of bench/pgbench.sh (issue 3), sourced
# by it, never run on its own. pgbench's pgbench_accounts is hash-sharded
# by aid over three PostgreSQL servers (or three databases of the one
# server), each holding only the rows PostgreSQL's own hash partitioning
# assigns to its slot range; a second shardgate routes `pgbench -S` there.
#
# Placement is computed inside PostgreSQL and checked with PostgreSQL's
# satisfies_hash_partition against a `PARTITION BY HASH (aid)` table, so the
# data layout does not depend on shardgate's idea of the hash.

BENCH_ROUTED=${BENCH_ROUTED:-1}
# clusters: one PostgreSQL server per shard, as in production.
# databases: three databases in the bench server (less memory, one postmaster).
BENCH_ROUTED_LAYOUT=${BENCH_ROUTED_LAYOUT:-clusters}
# Each shard server gets a third of the single server's shared_buffers
# (64MB, scripts/pg_local.sh), so both sides cache the same share of their
# data and neither reads from memory the other must fetch from the OS.
BENCH_SHARD_SHARED_BUFFERS=${BENCH_SHARD_SHARED_BUFFERS:-21MB}
ROUTED_POOL_SIZE=${BENCH_ROUTED_POOL_SIZE:-10}
ROUTED_PROTOCOLS=(simple prepared)
ROUTED_NSHARDS=3
HASH_SLOTS=1024
ROUTED_SAMPLE=100
# PostgreSQL's HASH_PARTITION_SEED (0x7A5B22367996DCFD) and the constant
# hash_combine64(0, h) adds (0x49a0f4dd15e5a8e3), both as decimal bigints.
PG_HASH_SEED=8816678312871386365
PG_HASH_COMBINE=5305509591434766563

SGR_PID="" SGR_PORT="" SGR_ADMIN_PORT=""
declare -a RT_PORT=() RT_DB=() RT_ROWS=()
declare -A RSTAT=() RCHECK=()
ROUTED_SKIP=""

routed_enabled() { [[ $BENCH_ROUTED == 1 ]] && has_target shardgate; }

# First and last slot of shard index $1 (0-based) under the default map:
# slot s belongs to shard floor(s * nshards / slots).
routed_slot_lo() { echo $((($1 * HASH_SLOTS + ROUTED_NSHARDS - 1) / ROUTED_NSHARDS)); }
routed_slot_hi() { echo $(($(routed_slot_lo $(($1 + 1))) - 1)); }

# psql on shard $1 (1-based) over TCP, as the bench user.
routed_psql() {
  local k=$1
  shift
  PGPASSWORD=$PG_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -At -h 127.0.0.1 -p "${RT_PORT[$k]}" \
    -U "$BENCH_USER" -d "${RT_DB[$k]}" "$@"
}

# The shard servers (or databases). Each cluster is restarted once with its
# smaller shared_buffers.
routed_start_shards() {
  local k dir
  for k in $(seq 1 $ROUTED_NSHARDS); do
    if [[ $BENCH_ROUTED_LAYOUT == databases ]]; then
      RT_PORT[k]=$PG_PORT
      RT_DB[k]=${PG_DB}_s$k
      pg_local_psql bench "$PG_PORT" "$WORK/pg" -q -d postgres -c "CREATE DATABASE ${RT_DB[k]}" >/dev/null ||
        die "creating database ${RT_DB[k]} failed"
      continue
    fi
    RT_PORT[k]=$(pg_local_free_port)
    RT_DB[k]=$PG_DB
    dir="$WORK/pg/shard$k"
    say "== shard s$k: PostgreSQL 15 on 127.0.0.1:${RT_PORT[k]} (shared_buffers $BENCH_SHARD_SHARED_BUFFERS)"
    pg_local_start "shard$k" "${RT_PORT[k]}" "$WORK/pg" scram-sha-256 || die "shard s$k did not start"
    printf 'shared_buffers = %s\n' "$BENCH_SHARD_SHARED_BUFFERS" >>"$dir/postgresql.conf"
    _pg_local_as_pg "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -m fast -l "$WORK/pg/shard$k.log" restart \
      >/dev/null || die "shard s$k did not restart"
  done
}

# Creates pgbench's tables on shard $1 and loads the replicated branches and
# tellers in full and only the accounts whose slot is in the shard's range.
# bench_slot() is PostgreSQL's partition hash of an integer key, mod slots;
# every loaded row is then checked with satisfies_hash_partition, which is
# what PostgreSQL itself uses to route a row into a hash partition.
routed_load_shard() {
  local k=$1 lo hi out
  lo=$(routed_slot_lo $((k - 1)))
  hi=$(routed_slot_hi $((k - 1)))
  PGPASSWORD=$PG_PASSWORD pgbench -i -I dt -s "$SCALE" -q -h 127.0.0.1 -p "${RT_PORT[k]}" \
    -U "$BENCH_USER" "${RT_DB[k]}" >"$WORK/routed-init-s$k.log" 2>&1 || {
    cat "$WORK/routed-init-s$k.log" >&2
    die "pgbench -i -I dt failed on shard s$k"
  }
  out=$(routed_psql "$k" -v scale="$SCALE" -v slots="$HASH_SLOTS" -v lo="$lo" -v hi="$hi" <<EOF
CREATE TABLE hc (aid int) PARTITION BY HASH (aid);
CREATE FUNCTION bench_slot(k bigint, slots int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS
  'SELECT mod(mod(hashint8extended(k, $PG_HASH_SEED)::numeric + 18446744073709551616
                  + $PG_HASH_COMBINE, 18446744073709551616), slots)::int';
INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, :scale) bid;
INSERT INTO pgbench_tellers (tid, bid, tbalance)
  SELECT tid, (tid - 1) / 10 + 1, 0 FROM generate_series(1, 10 * :scale) tid;
INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
  SELECT aid, (aid - 1) / 100000 + 1, 0, '' FROM generate_series(1, 100000 * :scale) aid
  WHERE bench_slot(aid, :slots) BETWEEN :lo AND :hi;
SELECT count(*),
       count(*) FILTER (WHERE NOT satisfies_hash_partition('hc'::regclass, :slots,
                                                            bench_slot(aid, :slots), aid)),
       count(*) FILTER (WHERE bench_slot(aid, :slots) NOT BETWEEN :lo AND :hi)
  FROM pgbench_accounts;
EOF
  ) || die "loading shard s$k failed"
  # rows, rows failing satisfies_hash_partition, rows outside the range
  tr '|' ' ' <<<"$out" >"$WORK/routed-load-s$k.out"
  PGPASSWORD=$PG_PASSWORD pgbench -i -I vp -q -h 127.0.0.1 -p "${RT_PORT[k]}" \
    -U "$BENCH_USER" "${RT_DB[k]}" >>"$WORK/routed-init-s$k.log" 2>&1 || {
    cat "$WORK/routed-init-s$k.log" >&2
    die "pgbench -i -I vp failed on shard s$k"
  }
  routed_psql "$k" -c CHECKPOINT >/dev/null
}

routed_load() {
  local k total=0
  say "== loading shards: pgbench -s $SCALE, pgbench_accounts split by aid over $HASH_SLOTS slots"
  # Each load runs in a subshell and leaves its counts in routed-load-s<k>.out.
  # shellcheck disable=SC2046 # the shard numbers, one word each
  run_two_at_a_time routed_load_shard $(seq 1 $ROUTED_NSHARDS)
  [[ $PARALLEL_RC -eq 0 ]] || die "loading the shards failed"
  for k in $(seq 1 $ROUTED_NSHARDS); do
    read -r "RT_ROWS[k]" "RCHECK[bad_hash,$k]" "RCHECK[bad_range,$k]" <"$WORK/routed-load-s$k.out" ||
      die "no load counts for shard s$k"
    total=$((total + RT_ROWS[k]))
  done
  RCHECK[total]=$total
}

# The second shardgate: three shards, pgbench_accounts hashed by aid,
# branches and tellers replicated (pgbench reads pgbench_branches' count at
# start to learn the scale; replicated reads go to the default shard).
routed_start_shardgate() {
  local cfg="$WORK/shardgate-routed.yaml" k
  SGR_PORT=$(pg_local_free_port)
  SGR_ADMIN_PORT=$(pg_local_free_port)
  mkdir -p "$WORK/sgr-admin" "$WORK/sgr-state"
  {
    # As the unsharded shardgate: SG_WORKERS workers sharing the pool.
    sg_yaml_head "$SGR_PORT" 1000 "$WORK/sgr-admin" "$SGR_ADMIN_PORT" \
      $(((ROUTED_POOL_SIZE + SG_WORKERS - 1) / SG_WORKERS)) "$SG_WORKERS"
    for k in $(seq 1 $ROUTED_NSHARDS); do sg_yaml_shard "s$k" "${RT_DB[k]}" "${RT_PORT[k]}" "$(backend_host)"; done
    cat <<EOF
default_shard: s1
hash:
  slots: $HASH_SLOTS
tables:
  pgbench_accounts: { shard_by: hash, column: aid }
  pgbench_branches: { shard_by: replicated }
  pgbench_tellers: { shard_by: replicated }
log:
  level: warn
state_dir: $WORK/sgr-state
shutdown_timeout: 5s
EOF
  } >"$cfg"
  chmod 600 "$cfg"
  say "== shardgate (routed, 3 shards) on 127.0.0.1:$SGR_PORT"
  run_shardgate "$cfg" shardgate-routed "$SGR_PORT"
  SGR_PID=$STARTED_PID
}

routed_admin() {
  psql -X -q -At -F ' ' -h "$WORK/sgr-admin" -p "$SGR_ADMIN_PORT" -U "$BENCH_USER" -d admin -c "$1"
}

# SHOW SLOTS must agree with the map the data was loaded with.
routed_check_slots() {
  local want="" k got
  for k in $(seq 1 $ROUTED_NSHARDS); do
    want+="$(routed_slot_lo $((k - 1))) $(routed_slot_hi $((k - 1))) s$k"$'\n'
  done
  got=$(routed_admin "SHOW SLOTS") || die "SHOW SLOTS failed on the routed shardgate"
  [[ $got == "${want%$'\n'}" ]] || die "SHOW SLOTS differs from the slot map the shards were loaded with:
$got
expected:
${want%$'\n'}"
}

# Reads SHOW STATS into RSTAT[$1,name]. With workers it sums them all,
# the others as of their last tick: wait a few ticks (100 ms each) first.
routed_stats() {
  local tag=$1 name value out
  [[ $SG_WORKERS -gt 1 ]] && sleep 0.3
  out=$(routed_admin "SHOW STATS") || die "SHOW STATS failed on the routed shardgate"
  while read -r name value; do
    RSTAT[$tag,$name]=$value
  done <<<"$out"
}

# 100 random aids: each read through shardgate must return exactly one row
# with abalance 0 (a misrouted read finds no row, since each row lives on
# one shard only), and directly on the shards each must be on exactly one
# shard, the one its slot (PostgreSQL's hash) maps to.
routed_verify() {
  local proto=$1 n=$((100000 * SCALE)) aids=() i k arr sql="" got ok_read=0 ok_place=0
  for i in $(seq 1 $ROUTED_SAMPLE); do
    aids+=($(((RANDOM * 32768 + RANDOM) % n + 1)))
  done
  # A marker line before each query, so a query that returns no row shows.
  for i in "${aids[@]}"; do
    sql+="\\echo @ $i"$'\n'"SELECT aid, abalance FROM pgbench_accounts WHERE aid = $i;"$'\n'
  done
  got=$(PGPASSWORD=$PG_PASSWORD psql -X -q -At -h 127.0.0.1 -p "$SGR_PORT" -U "$BENCH_USER" \
    -d "$PG_DB" <<<"$sql" 2>"$WORK/routed-verify-$proto.err") || true
  ok_read=$(awk -F'|' '$0 ~ /^@ / { aid = substr($0, 3); q++; rows[q] = 0; good[q] = 0; next }
    q { rows[q]++; if ($0 == aid "|0") good[q] = 1 }
    END { for (i = 1; i <= q; i++) if (rows[i] == 1 && good[i]) ok++; print ok + 0 }' <<<"$got")
  arr=$(
    IFS=,
    echo "${aids[*]}"
  )
  {
    # owner per aid from PostgreSQL's hash, then the shards that hold it
    routed_psql 1 -F ' ' -c "SELECT a, 'want', 1 + bench_slot(a, $HASH_SLOTS) * $ROUTED_NSHARDS / $HASH_SLOTS
                               FROM unnest('{$arr}'::int[]) a"
    for k in $(seq 1 $ROUTED_NSHARDS); do
      routed_psql "$k" -F ' ' -c "SELECT aid, 'has', $k FROM pgbench_accounts
                                  WHERE aid = ANY('{$arr}'::int[])"
    done
  } >"$WORK/routed-place-$proto.txt" || die "reading the shards directly failed"
  ok_place=$(awk '$2 == "want" { want[$1] = $3; next }
    $2 == "has" { cnt[$1]++; on[$1] = $3 }
    END { for (a in want) { n++; if (cnt[a] == 1 && on[a] == want[a]) ok++ }; print ok + 0 " " n + 0 }' \
    "$WORK/routed-place-$proto.txt")
  RCHECK[read,$proto]=$ok_read
  RCHECK[place,$proto]=$ok_place
}

# One routed pgbench run with SHOW STATS around it and the check after it.
routed_run() {
  local proto=$1
  routed_stats "before,$proto"
  run_pgbench routed "$proto"
  routed_stats "after,$proto"
  routed_verify "$proto"
}

routed_stat_delta() {
  local proto=$1 name=$2
  echo $((${RSTAT[after,$proto,$name]:-0} - ${RSTAT[before,$proto,$name]:-0}))
}

# Number, or "n/a" when the run failed.
routed_num() { [[ $1 =~ ^[0-9.]+$ ]] && echo "$1" || echo n/a; }

routed_setup() {
  if ! has_target shardgate; then
    ROUTED_SKIP="shardgate is not in BENCH_TARGETS"
    return 0
  fi
  routed_start_shards
  routed_load
  routed_start_shardgate
  routed_check_slots
}

routed_stop() {
  stop_pid "$SGR_PID"
  SGR_PID=""
}

# The routed table and the closing note. PgBouncer's -M prepared fails in
# transaction mode (1.18), so prepared is compared with PgBouncer's simple
# run when its own prepared run failed; the line says which.
routed_print() {
  local proto fmt='%-9s %9s %10s %-10s %7s %12s %9s %12s %10s %8s\n' k
  local r base basis sgu hits misses parses rate rows=""
  if [[ -n $ROUTED_SKIP ]]; then
    printf 'Routed run skipped: %s\n\n' "$ROUTED_SKIP"
    return 0
  fi
  for k in $(seq 1 $ROUTED_NSHARDS); do rows+="${rows:+ + }${RT_ROWS[k]}"; done
  printf 'Routed pgbench (-S -c %d -j %d -T %d, scale %d): pgbench_accounts hash-sharded by aid\n' \
    "$CLIENTS" "$THREADS" "$BENCH_SECONDS" "$SCALE"
  if [[ $BENCH_ROUTED_LAYOUT == databases ]]; then
    printf 'over %d slots on 3 databases of the one PostgreSQL server (BENCH_ROUTED_LAYOUT=databases),\n' \
      "$HASH_SLOTS"
  else
    printf 'over %d slots on 3 PostgreSQL servers (shared_buffers %s each),\n' "$HASH_SLOTS" \
      "$BENCH_SHARD_SHARED_BUFFERS"
  fi
  printf 'shardgate (%d worker(s)) transaction pool %d per shard in all; branches and tellers replicated.\n' \
    "$SG_WORKERS" "$ROUTED_POOL_SIZE"
  printf 'Shards hold '
  printf '%s = %d of %d accounts rows.\n\n' "$rows" "${RCHECK[total]}" $((100000 * SCALE))
  # shellcheck disable=SC2059
  printf "$fmt" protocol routed pgbouncer "(basis)" ratio sg-1-shard ratio cache-hit-% plan-looks parses
  for proto in "${ROUTED_PROTOCOLS[@]}"; do
    r=${TPS[routed,$proto]:-n/a}
    basis=$proto
    base=$(cell pgbouncer "$proto")
    if [[ $(routed_num "$base") == n/a ]] && has_target pgbouncer; then
      basis=simple
      base=$(cell pgbouncer simple)
    fi
    [[ $(routed_num "$base") == n/a ]] && basis=-
    sgu=$(cell shardgate "$proto")
    hits=$(routed_stat_delta "$proto" plan_cache_hits)
    misses=$(routed_stat_delta "$proto" plan_cache_misses)
    parses=$(routed_stat_delta "$proto" sql_parses)
    rate=$(awk -v h="$hits" -v m="$misses" 'BEGIN { if (h + m == 0) print "n/a"; else printf "%.2f", int(10000 * h / (h + m)) / 100 }')
    RCHECK[rate,$proto]=$rate
    RCHECK[basis,$proto]=$basis
    # shellcheck disable=SC2059
    printf "$fmt" "$proto" "$r" "$base" "($basis)" "$(ratio "$r" "$base")" "$sgu" "$(ratio "$r" "$sgu")" \
      "$rate" $((hits + misses)) "$parses"
  done
  for k in "${!NOTE[@]}"; do
    if [[ $k == routed,* ]]; then printf '  %s FAILED: %s\n' "${k/,/ -M }" "${NOTE[$k]}"; fi
  done | sort
  printf '\n  pgbouncer and sg-1-shard: the unsharded runs above (one server, all rows).\n'
  printf '  cache-hit-%%, plan-looks, parses: plan cache hits / lookups and libpg_query parses during the\n'
  printf '  run (SHOW STATS after minus before). SHOW STATS after each run (cumulative):\n'
  for proto in "${ROUTED_PROTOCOLS[@]}"; do
    printf '    after %-8s plan_cache_hit_rate_pct %s, sql_parses %s, plan_cache_hits %s, plan_cache_misses %s\n' \
      "$proto" "${RSTAT[after,$proto,plan_cache_hit_rate_pct]:-?}" "${RSTAT[after,$proto,sql_parses]:-?}" \
      "${RSTAT[after,$proto,plan_cache_hits]:-?}" "${RSTAT[after,$proto,plan_cache_misses]:-?}"
  done
  printf '\nCorrectness\n'
  for k in $(seq 1 $ROUTED_NSHARDS); do
    printf '  shard s%d (slots %d-%d): %d rows; not in that slot per satisfies_hash_partition: %d; outside the range: %d\n' \
      "$k" "$(routed_slot_lo $((k - 1)))" "$(routed_slot_hi $((k - 1)))" "${RT_ROWS[k]}" \
      "${RCHECK[bad_hash,$k]}" "${RCHECK[bad_range,$k]}"
  done
  for proto in "${ROUTED_PROTOCOLS[@]}"; do
    printf '  after -M %-8s %d/%d random aids read through shardgate with abalance 0; %s/%s on exactly one shard, the one their slot maps to\n' \
      "$proto" "${RCHECK[read,$proto]:-0}" "$ROUTED_SAMPLE" "${RCHECK[place,$proto]% *}" "${RCHECK[place,$proto]#* }"
  done
  routed_verdict
}

routed_verdict() {
  local ok=PASS k proto simple_ratio rate met_ratio met_rate
  [[ ${RCHECK[total]} -eq $((100000 * SCALE)) ]] || ok=FAIL
  for k in $(seq 1 $ROUTED_NSHARDS); do
    [[ ${RCHECK[bad_hash,$k]} -eq 0 && ${RCHECK[bad_range,$k]} -eq 0 ]] || ok=FAIL
  done
  for proto in "${ROUTED_PROTOCOLS[@]}"; do
    [[ ${RCHECK[read,$proto]:-0} -eq $ROUTED_SAMPLE ]] || ok=FAIL
    [[ ${RCHECK[place,$proto]% *} -eq ${RCHECK[place,$proto]#* } ]] || ok=FAIL
  done
  printf '  routed correctness: %s\n\n' "$ok"
  simple_ratio=$(ratio "${TPS[routed,simple]:-n/a}" "$(cell pgbouncer simple)")
  rate=${RCHECK[rate,simple]}
  met_ratio=$(awk -v r="$simple_ratio" 'BEGIN { if (r !~ /^[0-9.]+$/) print "not measured"; else print (r >= 0.9 ? "met" : "NOT met") }')
  met_rate=$(awk -v r="$rate" 'BEGIN { if (r !~ /^[0-9.]+$/) print "not measured"; else print (r >= 99 ? "met" : "NOT met") }')
  printf 'Issue 3 targets (printed, not asserted):\n'
  printf '  routed -M simple TPS / PgBouncer -M simple TPS (unsharded, this run) = %s  (target >= 0.90: %s)\n' \
    "$simple_ratio" "$met_ratio"
  printf '  plan cache hit rate during the routed -M simple run = %s%%  (target >= 99%%: %s)\n' "$rate" "$met_rate"
  printf '  routed -M prepared TPS / PgBouncer -M %s TPS = %s; / shardgate unsharded -M prepared = %s\n' \
    "${RCHECK[basis,prepared]}" \
    "$(ratio "${TPS[routed,prepared]:-n/a}" "$(cell pgbouncer "${RCHECK[basis,prepared]}")")" \
    "$(ratio "${TPS[routed,prepared]:-n/a}" "$(cell shardgate prepared)")"
  printf '  load average (1, 5, 15 min) now: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
}
