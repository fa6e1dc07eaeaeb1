#!/usr/bin/env bash
# scripts/demo-stop.sh — stop what scripts/demo.sh started and remove
# /tmp/shardgate-demo. Safe to run when no demo is running.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=/tmp/shardgate-demo

if [[ ! -e $DEMO_DIR ]]; then
  echo "no shardgate demo is running"
  exit 0
fi

# The pid file may be stale (a reboot, a crash): only signal a process that
# is still running the demo's config.
stop_shardgate() {
  local pid _
  [[ -f $DEMO_DIR/shardgate.pid ]] || return 0
  pid=$(cat "$DEMO_DIR/shardgate.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$DEMO_DIR/shardgate.yaml" || return 0
  echo "stopping shardgate (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  # The demo config sets shutdown_timeout: 5s; allow a little more.
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  echo "shardgate did not exit after SIGTERM; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

stop_shardgate
echo "stopping the demo's PostgreSQL clusters"
# shellcheck source=scripts/pg_local.sh
. "$ROOT/scripts/pg_local.sh"
pg_local_stop_all "$DEMO_DIR"
rm -rf "$DEMO_DIR"
echo "removed $DEMO_DIR"
