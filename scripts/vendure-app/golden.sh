#!/usr/bin/env bash
# Build the Vendure app once and make the golden store database .run/vendure/golden.sqlite:
# start on a fresh file, run setup.ts, stop. Skipped when it exists and is newer than the build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/.run/vendure"
GOLDEN="$OUT/golden.sqlite"
PORT=${VENDURE_BUILD_PORT:-3099}
bash "$ROOT/scripts/vendure-app/build.sh"
if [ -s "$GOLDEN" ] && [ "$GOLDEN" -nt "$ROOT/.run/vendure-app/dist/.built" ] && [ "$GOLDEN" -nt "$ROOT/scripts/vendure-app/setup.ts" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "vendure golden database is cached: $GOLDEN"; exit 0
fi
T0=$(date +%s.%N)
mkdir -p "$OUT"
BUILD="$OUT/golden-build.sqlite"
rm -f "$BUILD" "$BUILD"-*
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is taken by another server: set VENDURE_BUILD_PORT" >&2; exit 1
fi
# No DOVETAIL_WEBHOOK_URL: the golden file holds no outbox rows.
env -u DOVETAIL_WEBHOOK_URL VENDURE_PORT=$PORT VENDURE_DB="$BUILD" VENDURE_DISABLE_TELEMETRY=true \
  node "$ROOT/.run/vendure-app/dist/scripts/vendure-app/server.js" >"$OUT/golden-build.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break
  kill -0 $PID 2>/dev/null || { tail -30 "$OUT/golden-build.log" >&2; exit 1; }
  sleep 0.25
done
(cd "$ROOT" && VENDURE_URL="http://127.0.0.1:$PORT" node --import tsx scripts/vendure-app/setup.ts)
kill $PID; wait $PID 2>/dev/null || true
trap - EXIT
# better-sqlite3 may leave a WAL beside the file: fold it in before copying.
(cd "$ROOT" && node -e "const D=require('better-sqlite3'); const d=new D(process.argv[1]); d.pragma('wal_checkpoint(TRUNCATE)'); d.pragma('journal_mode=DELETE'); d.close()" "$BUILD")
mv "$BUILD" "$GOLDEN"; rm -f "$BUILD"-*
awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "vendure golden: %.1fs\n", b-a }'
