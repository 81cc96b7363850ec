#!/usr/bin/env bash
# Start trytond on 127.0.0.1:${TRYTON_PORT:-18000} serving .run/tryton/db (every *.sqlite there is a
# database, a copied file is served without a restart). Writes .run/tryton/trytond.pid; a server on
# another port (npm test runs one per test worker) is named after its port: trytond-<port>.pid.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/tryton/conf.sh"
RUN="$ROOT/.run/tryton"
PORT=${TRYTON_PORT:-18000}
NAME=$(trytond_name "$PORT")
PIDFILE="$RUN/$NAME.pid"
mkdir -p "$RUN/db"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "trytond already running (pid $(cat "$PIDFILE"))"; exit 0
fi
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is taken by another server: set TRYTON_PORT" >&2; exit 1
fi
write_trytond_conf "$RUN" "$PORT" "$NAME"
nohup trytond -c "$RUN/$NAME.conf" >"$RUN/$NAME.log" 2>&1 </dev/null &
echo $! > "$PIDFILE"
bash "$ROOT/scripts/tryton/wait.sh" "http://127.0.0.1:$PORT" "$(cat "$PIDFILE")" "$RUN/$NAME.log" || { rm -f "$PIDFILE"; exit 1; }
echo "trytond on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
