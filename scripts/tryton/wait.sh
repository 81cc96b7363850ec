#!/usr/bin/env bash
# Wait until trytond at $1 answers JSON-RPC (up to 30 s); fail early if its pid $2 has died.
set -euo pipefail
URL=$1; PID=${2:-}; LOG=${3:-}
for _ in $(seq 1 300); do
  if curl -sf -o /dev/null -X POST "$URL/" -H 'content-type: application/json' \
       -d '{"id":0,"method":"common.server.version","params":[]}'; then exit 0; fi
  if [ -n "$PID" ] && ! kill -0 "$PID" 2>/dev/null; then
    echo "trytond (pid $PID) exited" >&2; [ -n "$LOG" ] && tail -20 "$LOG" >&2; exit 1
  fi
  sleep 0.1
done
echo "trytond at $URL did not answer in 30 s" >&2; [ -n "$LOG" ] && tail -20 "$LOG" >&2; exit 1
