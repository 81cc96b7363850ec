#!/usr/bin/env bash
# Stop the trytond started by start.sh, by its pid only.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIDFILE="$ROOT/.run/tryton/trytond.pid"
if [ -f "$PIDFILE" ]; then
  PID=$(cat "$PIDFILE")
  if kill "$PID" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
fi
