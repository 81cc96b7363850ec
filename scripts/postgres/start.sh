#!/usr/bin/env bash
# Start a private PostgreSQL 15 for tests and the demo: cluster under .run/postgres, listening on
# 127.0.0.1:${POSTGRES_PORT:-15432} only, with a role that has a password. Idempotent; prints the env.
set -euo pipefail
. "$(dirname "$0")/conf.sh"

if [ ! -x "$PG_BIN/pg_ctl" ]; then
  echo "installing: postgresql-15" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
fi

if pg_running; then
  echo "postgres already running (pid $(pg_pid))"
else
  mkdir -p "$PG_RUN"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    rm -rf "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_RUN"
    # the socket needs no password (only this user reaches the data directory); TCP does
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 >"$PG_RUN/initdb.log"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
    echo "port $PG_PORT is taken by another server: set POSTGRES_PORT" >&2; exit 1
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_RUN/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='$PG_DATA' -c max_connections=200" start >/dev/null \
    || { tail -20 "$PG_RUN/postgres.log" >&2; exit 1; }
  echo "postgres on 127.0.0.1:$PG_PORT (pid $(pg_pid))"
fi

psql_admin() { as_pg "$PG_BIN/psql" -h "$PG_DATA" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
fi
# Tests drop their databases WITH (FORCE), which ends every session in them; an autovacuum worker
# busy in one belongs to no role the test role is a member of, and the drop would fail on it.
psql_admin -c "GRANT pg_signal_backend TO $PG_ROLE"
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_ROLE'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $PG_ROLE OWNER $PG_ROLE"
fi
echo "export TEST_DATABASE_URL=$PG_URL"
