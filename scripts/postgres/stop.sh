#!/usr/bin/env bash
# Stop the PostgreSQL started by start.sh, by the pid in its postmaster.pid (a fast shutdown:
# open sessions are ended, nothing committed is lost).
. "$(dirname "$0")/conf.sh"
if pg_running; then
  PID=$(pg_pid)
  kill -INT "$PID"
  for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
fi
