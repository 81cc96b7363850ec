#!/usr/bin/env bash
# Start or stop the real systems Dovetail is tested and demonstrated against.
#   scripts/systems.sh start   packages when missing, golden Tryton + Vendure databases (cached),
#                              trytond on 127.0.0.1:${TRYTON_PORT:-18000}; with WITH_VENDURE=1 also a
#                              Vendure on 127.0.0.1:${VENDURE_PORT:-3000} (database .run/vendure/demo.sqlite,
#                              webhooks to $DOVETAIL_WEBHOOK_URL when set). Prints the env to export.
#                              Also a private PostgreSQL on 127.0.0.1:${POSTGRES_PORT:-15432} (scripts/postgres).
#   scripts/systems.sh stop    stops what start started, by pid.
# With SYSTEMS_STARTED=<file>, start notes there which servers it started itself (not those
# already running) and stop stops only those: a test run beside a demo leaves the demo's running.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TRYTON_PORT=${TRYTON_PORT:-18000}
VENDURE_PORT=${VENDURE_PORT:-3000}
VENDURE_PID="$ROOT/.run/vendure/vendure.pid"

running_pidfile() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
note_started() { if [ -n "${SYSTEMS_STARTED:-}" ]; then echo "$1" >> "$SYSTEMS_STARTED"; fi; }
started_here() { [ -z "${SYSTEMS_STARTED:-}" ] || grep -qx "$1" "$SYSTEMS_STARTED" 2>/dev/null; }

stop_pidfile() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

case "${1:-}" in
  start)
    bash scripts/tryton/packages.sh ${EXTRA_PACKAGES:-}
    bash scripts/tryton/bootstrap.sh
    bash scripts/vendure-app/golden.sh
    running_pidfile "$ROOT/.run/tryton/trytond.pid" || note_started tryton
    TRYTON_PORT=$TRYTON_PORT bash scripts/tryton/start.sh
    [ -f .run/postgres/data/postmaster.pid ] && kill -0 "$(head -1 .run/postgres/data/postmaster.pid)" 2>/dev/null || note_started postgres
    bash scripts/postgres/start.sh
    if [ "${WITH_VENDURE:-0}" = 1 ]; then
      if running_pidfile "$VENDURE_PID"; then
        echo "vendure already running (pid $(cat "$VENDURE_PID"))"
      else
        DB="$ROOT/.run/vendure/demo.sqlite"
        [ "${FRESH:-1}" = 1 ] && rm -f "$DB" "$DB"-* && cp .run/vendure/golden.sqlite "$DB"
        VENDURE_PORT=$VENDURE_PORT VENDURE_DB="$DB" VENDURE_DISABLE_TELEMETRY=true \
          nohup node .run/vendure-app/dist/scripts/vendure-app/server.js >"$ROOT/.run/vendure/vendure.log" 2>&1 </dev/null &
        echo $! > "$VENDURE_PID"
        note_started vendure
        for _ in $(seq 1 240); do
          curl -sf -o /dev/null "http://127.0.0.1:$VENDURE_PORT/health" && break
          kill -0 "$(cat "$VENDURE_PID")" 2>/dev/null || { tail -20 "$ROOT/.run/vendure/vendure.log" >&2; rm -f "$VENDURE_PID"; exit 1; }
          sleep 0.25
        done
        echo "vendure on http://127.0.0.1:$VENDURE_PORT (pid $(cat "$VENDURE_PID"))"
      fi
      echo "export VENDURE_URL=http://127.0.0.1:$VENDURE_PORT"
    fi
    echo "export TRYTON_URL=http://127.0.0.1:$TRYTON_PORT TRYTON_DB_DIR=$ROOT/.run/tryton/db"
    ;;
  stop)
    if started_here vendure; then stop_pidfile "$VENDURE_PID"; fi
    if started_here tryton; then bash scripts/tryton/stop.sh; fi
    if started_here postgres; then bash scripts/postgres/stop.sh; fi
    if [ -n "${SYSTEMS_STARTED:-}" ]; then rm -f "$SYSTEMS_STARTED"; fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
