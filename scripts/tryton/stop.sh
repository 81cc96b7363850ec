#!/usr/bin/env bash
# Stop the trytond started by start.sh on ${TRYTON_PORT:-18000}, by its pid only.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/tryton/conf.sh"
PIDFILE="$ROOT/.run/tryton/$(trytond_name "${TRYTON_PORT:-18000}").pid"
if [ -f "$PIDFILE" ]; then
  PID=$(cat "$PIDFILE")
  if kill "$PID" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
fi
