#!/usr/bin/env bash
# `npm run bench`: start the real systems (as the tests do), run the benchmarks, stop them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export TRYTON_PORT=${TRYTON_PORT:-18000}
# stop only what this run started: a server already running (a demo beside the tests) stays up
export SYSTEMS_STARTED; SYSTEMS_STARTED=$(mktemp)
trap 'bash scripts/systems.sh stop >/dev/null 2>&1 || true' EXIT
bash scripts/systems.sh start >/dev/null
export TRYTON_URL="http://127.0.0.1:$TRYTON_PORT" TRYTON_DB_DIR="$ROOT/.run/tryton/db"
node --import tsx bench/run.ts
echo 'The engine alone, joined to the in-memory reference pair (its floor: the same connector calls in a plain loop):'
node --expose-gc --import tsx bench/engine.ts | sed 's/^/  /'
node --import tsx bench/shopify-first-load.ts
