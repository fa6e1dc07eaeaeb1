# pg_local.sh — throw-away local PostgreSQL clusters for tests, demo and bench.
#
# Source it from bash:   . scripts/pg_local.sh
#
#   pg_local_free_port [BASEDIR]          print a free TCP port on 127.0.0.1
#   pg_local_start NAME PORT BASEDIR [AUTH]
#                                         initdb BASEDIR/NAME and start it; AUTH is
#                                         the host auth method (scram-sha-256 or md5)
#   pg_local_stop NAME BASEDIR            immediate stop, errors ignored
#   pg_local_stop_all BASEDIR             stop every cluster under BASEDIR
#   pg_local_psql NAME PORT BASEDIR [psql args...]
#                                         psql as postgres over the unix socket
#
# Environment: PG_BIN (server binaries), PG_PASSWORD (superuser password,
# default "pgpass"), PG_DB (database created in each cluster, default
# "shardgate"). PostgreSQL refuses to run as root, so when we are root every
# server-side command runs as the `postgres` OS user and BASEDIR is chown'ed
# to it. Nothing here prints the password.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Runs a command as the OS user that may own a data directory.
_pg_local_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# True if nothing can be listening on 127.0.0.1:$1 (we can bind it ourselves).
_pg_local_port_bindable() {
  local py
  py=$(command -v python3 || true)
  if [ -n "$py" ]; then
    "$py" - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
    return $?
  fi
  # No python: a port that refuses connections is the best we can check.
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Ports are drawn below the kernel's ephemeral range, so outgoing
# connections (the proxy's own backend sockets) can never be sitting on a
# port we are about to listen on. Ports already handed out are remembered in
# a file, under a lock, so that clusters that have not started listening yet
# are not handed the same port twice.
pg_local_free_port() {
  local dir=${1:-${PG_LOCAL_PORTS_DIR:-${TMPDIR:-/tmp}}}
  local reg="$dir/.pg_local_ports" port tries=0 lo=15000 span=15000
  touch "$reg" 2>/dev/null || reg="${TMPDIR:-/tmp}/.pg_local_ports.$(id -u)"
  (
    flock -w 10 9 || true
    while [ $tries -lt 500 ]; do
      tries=$((tries + 1))
      port=$((lo + (RANDOM * 32768 + RANDOM) % span))
      if grep -qx "$port" "$reg" 2>/dev/null; then
        continue
      fi
      if _pg_local_port_bindable "$port"; then
        echo "$port" >>"$reg"
        echo "$port"
        exit 0
      fi
    done
    echo "pg_local_free_port: no free port found" >&2
    exit 1
  ) 9>>"$reg.lock"
}

# Sets the superuser password from SQL so that password_encryption (set in
# postgresql.conf before start) decides how it is stored. The password goes
# through stdin, never the command line.
_pg_local_set_password() {
  local name=$1 port=$2 base=$3 pw=${PG_PASSWORD:-pgpass}
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "${pw//\'/\'\'}" |
    pg_local_psql "$name" "$port" "$base" -q -d postgres -f - >/dev/null
}

pg_local_start() {
  local name=$1 port=$2 base=$3 auth=${4:-scram-sha-256}
  local dir="$base/$name" pwfile="$base/.$name.pwfile" db=${PG_DB:-shardgate}
  local pwenc=scram-sha-256
  if [ -z "$name" ] || [ -z "$port" ] || [ -z "$base" ]; then
    echo "usage: pg_local_start NAME PORT BASEDIR [AUTH]" >&2
    return 2
  fi
  [ "$auth" = md5 ] && pwenc=md5
  mkdir -p "$base" || return 1
  [ "$(id -u)" -eq 0 ] && chown postgres: "$base"
  (umask 077 && printf '%s\n' "${PG_PASSWORD:-pgpass}" >"$pwfile") || return 1
  [ "$(id -u)" -eq 0 ] && chown postgres: "$pwfile"
  if ! _pg_local_as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host="$auth" -E UTF8 --locale=C --no-sync \
    >"$base/$name.initdb.log" 2>&1; then
    rm -f "$pwfile"
    echo "pg_local_start: initdb failed for $name, see $base/$name.initdb.log" >&2
    cat "$base/$name.initdb.log" >&2
    return 1
  fi
  rm -f "$pwfile"
  cat >>"$dir/postgresql.conf" <<EOF

# --- pg_local.sh ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$base'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
password_encryption = $pwenc
EOF
  if ! _pg_local_as_pg "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -l "$base/$name.log" start >/dev/null; then
    echo "pg_local_start: $name did not start, log follows" >&2
    tail -n 50 "$base/$name.log" >&2
    return 1
  fi
  # initdb stores the --pwfile password as SCRAM whatever --auth-host says
  # (PostgreSQL 15's initdb has no -c to change password_encryption), and an
  # md5 hba line silently falls back to SCRAM for a SCRAM secret; re-set it so
  # md5 clusters really do md5.
  if [ "$pwenc" = md5 ]; then
    _pg_local_set_password "$name" "$port" "$base" || return 1
  fi
  if [ "$db" != postgres ]; then
    pg_local_psql "$name" "$port" "$base" -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null || return 1
  fi
}

pg_local_stop() {
  local name=$1 base=$2
  [ -f "$base/$name/PG_VERSION" ] || return 0
  _pg_local_as_pg "$PG_BIN/pg_ctl" -D "$base/$name" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

pg_local_stop_all() {
  local base=$1 d
  [ -d "$base" ] || return 0
  for d in "$base"/*/; do
    [ -f "$d/PG_VERSION" ] || continue
    pg_local_stop "$(basename "$d")" "$base"
  done
}

pg_local_psql() {
  local name=$1 port=$2 base=$3
  shift 3
  psql -X -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d "${PG_DB:-shardgate}" "$@"
}
