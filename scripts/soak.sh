#!/usr/bin/env bash
# `npm run soak`: the fault soak (test/soak) on loopback against the real Tryton and Vendure, which
# are started here when they are not running (and stopped again, by pid, at the end).
#   npm run soak                                   the long plan on SQLite, one worker
#   npm run soak -- --plan short                   the few-minute plan `npm test` runs
#   npm run soak -- --plan medium                  a fifth of the long plan, under an hour on a 2-core machine
#   npm run soak -- --backend postgres --workers 3  three workers on a fresh database of the test PostgreSQL
# Exits non-zero when anything was lost, doubled, moved twice or left apart.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export TRYTON_PORT=${TRYTON_PORT:-18000}
export SYSTEMS_STARTED; SYSTEMS_STARTED=$(mktemp)
trap 'bash scripts/systems.sh stop' EXIT
bash scripts/systems.sh start
export TRYTON_URL="http://127.0.0.1:$TRYTON_PORT" TRYTON_DB_DIR="$ROOT/.run/tryton/db"
# the workers' own log lines would bury the summary: errors only, unless asked
export DOVETAIL_TEST_CHILD_LOG=${DOVETAIL_TEST_CHILD_LOG:-error}
# the workers are restarted after every kill: from the one-file build, as in `npm test`, each start
# costs a quarter of the CPU of compiling the sources again
export DOVETAIL_TEST_BIN; DOVETAIL_TEST_BIN=$(node --import tsx scripts/build-test-bin.ts)
node --import tsx test/soak/main.ts "$@"
