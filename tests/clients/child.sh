# child.sh PREFIX — sourced by the client runners (jdbc.sh, pgx_fanout.sh).
# Makes $WORK, a temp directory removed when the runner exits, and
# child_run, which runs a command in the background and waits for it, so
# that a TERM from run.sh's timeout stops the command too.
# shellcheck shell=bash

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
CHILD=""
# shellcheck disable=SC2317 # called from the traps
child_cleanup() {
  if [ -n "$CHILD" ]; then
    kill "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap child_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# child_run CMD [ARG...]: CMD's exit status.
child_run() {
  local rc=0
  "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}
