#!/usr/bin/env bash
# From a bare Debian 12 to the golden Tryton 6.0 SQLite database .run/tryton/db/golden.sqlite:
# modules activated, company (USD), US, chart of accounts, fiscal years, category, payment term.
# Cached: does nothing when the golden file exists, was made with today's module list (golden.modules)
# and the packages are installed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/tryton/conf.sh"
RUN="$ROOT/.run/tryton"
GOLDEN="$RUN/db/golden.sqlite"
MODULES="sale stock purchase account_invoice sale_shipment_cost carrier sale_payment account_payment
  sale_amendment product_measurements commission product_attribute product_price_list sale_price_list"
STAMP="$RUN/golden.modules"
BUILD_PORT=${TRYTON_BUILD_PORT:-18099}
ts() { date +%s.%N; }
T0=$(ts)

bash "$ROOT/scripts/tryton/packages.sh"
if [ -s "$GOLDEN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$(echo $MODULES)" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "tryton golden database is cached: $GOLDEN"; exit 0
fi
T1=$(ts)

# Build in a private directory and served by a private server, so a running test server never
# sees a half-made golden file.
BUILD="$RUN/build"
rm -rf "$BUILD"; mkdir -p "$BUILD/db" "$RUN/db"
write_trytond_conf "$BUILD" "$BUILD_PORT"
printf 'admin\n' > "$BUILD/admin.pass"
touch "$BUILD/db/golden.sqlite"   # the SQLite file must exist before trytond-admin
if ! TRYTONPASSFILE="$BUILD/admin.pass" trytond-admin -c "$BUILD/trytond.conf" -d golden \
  --email admin@example.com --activate-dependencies \
  -u $MODULES </dev/null >"$BUILD/admin.log" 2>&1; then
  tail -30 "$BUILD/admin.log" >&2; exit 1
fi
T2=$(ts)

if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$BUILD_PORT/"; then
  echo "port $BUILD_PORT is taken by another server: set TRYTON_BUILD_PORT" >&2; exit 1
fi
trytond -c "$BUILD/trytond.conf" >"$BUILD/trytond.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
bash "$ROOT/scripts/tryton/wait.sh" "http://127.0.0.1:$BUILD_PORT" "$PID" "$BUILD/trytond.log"
T3=$(ts)

if ! (cd "$ROOT" && TRYTON_URL="http://127.0.0.1:$BUILD_PORT" TRYTON_DB=golden \
      node --import tsx scripts/tryton/setup.ts >"$BUILD/setup.log" 2>&1); then
  tail -30 "$BUILD/setup.log" >&2; exit 1
fi
kill $PID; wait $PID 2>/dev/null || true
trap - EXIT
cp "$BUILD/db/golden.sqlite" "$GOLDEN.tmp" && mv "$GOLDEN.tmp" "$GOLDEN"
echo $MODULES > "$STAMP"
rm -rf "$BUILD"
T4=$(ts)
awk -v a="$T0" -v b="$T1" -v c="$T2" -v d="$T3" -v e="$T4" 'BEGIN {
  printf "tryton golden: packages %.1fs | db init %.1fs | server %.1fs | setup %.1fs | total %.1fs\n", b-a, c-b, d-c, e-d, e-a }'
