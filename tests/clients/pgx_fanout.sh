#!/usr/bin/env bash
# pgx_fanout.sh — builds and runs tests/clients/pgx_fanout (pgx v4 against
# scatter-gather, compared with an unsharded oracle database).
#
# Run by tests/integration/run.sh with the `fanout` cluster set, which
# exports the connection details (SG_*, PG_*); CTest calls it
# `clients.pgx_fanout`. Uses only Debian's packaged Go sources (GOPATH mode
# under /usr/share/gocode, like run_drivers.sh): golang-go and
# golang-github-jackc-pgx-v4-dev; no network. The go build cache is a fresh
# temp dir (a cold build of pgx takes ~10 s); PGX_FANOUT_GOCACHE names a
# cache to reuse instead (e.g. run_drivers.sh's $TMPDIR/sg-drivers-gocache).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GOSRC=/usr/share/gocode/src

if ! command -v go >/dev/null; then
  echo "pgx_fanout.sh: go not found; install golang-go" >&2
  exit 1
fi
if [ ! -d "$GOSRC/github.com/jackc/pgx/v4" ]; then
  echo "pgx_fanout.sh: missing $GOSRC/github.com/jackc/pgx/v4; install golang-github-jackc-pgx-v4-dev" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sg-pgx-fanout.XXXXXX")
CHILD=""
# shellcheck disable=SC2317 # called from the traps
cleanup() {
  if [ -n "$CHILD" ]; then
    kill "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOPROXY=off
export GOCACHE=${PGX_FANOUT_GOCACHE:-$WORK/gocache}
export GOTMPDIR="$WORK"

# In the background, so that a TERM from run.sh's timeout stops the child too.
(cd "$HERE/pgx_fanout" && exec go build -o "$WORK/pgx_fanout" .) &
CHILD=$!
wait "$CHILD"
"$WORK/pgx_fanout" "$HERE/../integration/fanout.setup.sql" &
CHILD=$!
RC=0
wait "$CHILD" || RC=$?
CHILD=""
exit "$RC"
