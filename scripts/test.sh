#!/usr/bin/env bash
# What `npm test` runs: the real systems (installed when missing, golden databases cached), the
# type check, then every unit and integration test. Exits non-zero when anything fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export TRYTON_PORT=${TRYTON_PORT:-18000}

# Leftovers of earlier runs: per-suite Tryton databases and Vendure instances.
find .run/tryton/db -maxdepth 1 -name '*.sqlite' ! -name 'golden.sqlite' -delete 2>/dev/null || true
rm -rf .run/vendure/instances .run/tryton/workers

# Test files run this many at a time. trytond's development server is not safe for several
# databases being opened and used at once by different clients (its model pool is set up per
# database in shared classes), so each worker gets a trytond of its own on the next port.
WORKERS=${TEST_WORKERS:-2}
EXTRA_TRYTONS=()
for i in $(seq 1 $(( WORKERS - 1 ))); do EXTRA_TRYTONS+=($(( TRYTON_PORT + i ))); done

T0=$(date +%s)
# stop only what this run started: a server already running (a demo beside the tests) stays up
export SYSTEMS_STARTED; SYSTEMS_STARTED=$(mktemp)
stop_all() {
  for port in "${EXTRA_TRYTONS[@]}"; do TRYTON_PORT=$port bash scripts/tryton/stop.sh; done
  bash scripts/systems.sh stop
}
trap stop_all EXIT
EXTRA_PACKAGES=chromium bash scripts/systems.sh start
urls="http://127.0.0.1:$TRYTON_PORT"
for port in "${EXTRA_TRYTONS[@]}"; do
  TRYTON_PORT=$port bash scripts/tryton/start.sh
  urls="$urls,http://127.0.0.1:$port"
done
export TRYTON_URL="http://127.0.0.1:$TRYTON_PORT"
# one per test worker: a test file takes a free one for its whole life (test/integration/helpers/systems.ts)
export TRYTON_URLS="$urls"
export TRYTON_DB_DIR="$ROOT/.run/tryton/db"
# storage tests run on SQLite and on this server; each test file creates a database of its own
export TEST_DATABASE_URL; TEST_DATABASE_URL=$(bash scripts/postgres/start.sh | sed -n 's/^export TEST_DATABASE_URL=//p')
# leftovers of earlier runs killed before their test files dropped their databases
psql -qtA "$TEST_DATABASE_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE 'dovetail\_t\_%'" \
  | while read -r db; do psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done
echo "systems ready in $(( $(date +%s) - T0 )) s"

status=0
npx tsc -p . --noEmit || { echo "type check failed" >&2; status=1; }
# the tests that start `dovetail` as a process start this one-file build of the same sources
export DOVETAIL_TEST_BIN; DOVETAIL_TEST_BIN=$(node --import tsx scripts/build-test-bin.ts) || { echo "could not build dovetail for the tests" >&2; exit 1; }
mapfile -t files < <(find test/unit test/integration test/contract -name '*.test.ts' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
# longest files first, from the times of the last run (.run/test-durations.json): with two at a
# time, the run no longer ends on one long file working alone
TEST_WORKERS=$WORKERS node --import tsx scripts/run-tests.ts "${files[@]}" || status=1
exit $status
