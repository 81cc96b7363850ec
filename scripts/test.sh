#!/usr/bin/env bash
# What `npm test` runs: the real systems (installed when missing, golden databases cached), the
# type check, then every unit and integration test. Exits non-zero when anything fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export TRYTON_PORT=${TRYTON_PORT:-18000}

# Leftovers of earlier runs: per-suite Tryton databases and Vendure instances.
find .run/tryton/db -maxdepth 1 -name '*.sqlite' ! -name 'golden.sqlite' -delete 2>/dev/null || true
rm -rf .run/vendure/instances

T0=$(date +%s)
# stop only what this run started: a server already running (a demo beside the tests) stays up
export SYSTEMS_STARTED; SYSTEMS_STARTED=$(mktemp)
trap 'bash scripts/systems.sh stop' EXIT
EXTRA_PACKAGES=chromium bash scripts/systems.sh start
export TRYTON_URL="http://127.0.0.1:$TRYTON_PORT"
export TRYTON_DB_DIR="$ROOT/.run/tryton/db"
echo "systems ready in $(( $(date +%s) - T0 )) s"

status=0
npx tsc -p . --noEmit || { echo "type check failed" >&2; status=1; }
mapfile -t files < <(find test/unit test/integration test/contract -name '*.test.ts' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
# a hung test fails after 5 minutes instead of holding CI until its limit; a file whose setup
# failed ends when its tests are done instead of waiting that long on servers it left open
node --import tsx --test --test-concurrency=1 --test-timeout=300000 --test-force-exit --test-reporter=spec "${files[@]}" || status=1
exit $status
