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

# shellcheck source=tests/clients/child.sh
. "$HERE/child.sh" sg-pgx-fanout

export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOPROXY=off
export GOCACHE=${PGX_FANOUT_GOCACHE:-$WORK/gocache}
export GOTMPDIR="$WORK"

# shellcheck disable=SC2016 # $1 and $2 are expanded by sh
child_run sh -c 'cd "$1" && exec go build -o "$2" .' build "$HERE/pgx_fanout" "$WORK/pgx_fanout"
child_run "$WORK/pgx_fanout" "$HERE/../integration/fanout.setup.sql"
