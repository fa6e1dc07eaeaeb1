#!/usr/bin/env bash
# jdbc.sh — compiles and runs tests/clients/jdbc/ShardgateJdbc.java, the
# PostgreSQL JDBC driver through shardgate.
#
# Run by tests/integration/run.sh with the `clients` cluster set, which exports
# the connection details (SG_*, PG_*); CTest calls it `clients.jdbc` (and
# `clients.jdbc_direct` with SG_DIRECT=1, against PostgreSQL itself). Needs
# the Debian packages default-jdk-headless and libpostgresql-jdbc-java; no
# network. The JVM runs in America/New_York so that the TimeZone startup
# parameter pgjdbc sends is not the server's default.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JAR=/usr/share/java/postgresql.jar

for tool in javac java; do
  if ! command -v "$tool" >/dev/null; then
    echo "jdbc.sh: $tool not found; install default-jdk-headless" >&2
    exit 1
  fi
done
if [ ! -f "$JAR" ]; then
  echo "jdbc.sh: missing $JAR; install libpostgresql-jdbc-java" >&2
  exit 1
fi

# shellcheck source=tests/clients/child.sh
. "$HERE/child.sh" sg-jdbc

JVM_OPTS=(-XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1 -Duser.timezone=America/New_York)
child_run javac -J-XX:+UseSerialGC -J-Xmx256m -cp "$JAR" -d "$WORK" "$HERE/jdbc/ShardgateJdbc.java"
child_run java "${JVM_OPTS[@]}" -cp "$WORK:$JAR" ShardgateJdbc
