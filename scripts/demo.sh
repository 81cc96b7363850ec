#!/usr/bin/env bash
# `npm run demo`: installs and starts a real Tryton and a real Vendure on 127.0.0.1 with a small
# catalogue, stock and a customer, runs Dovetail on its default SQLite file, places an order in
# the store and says in plain words what moved where. Ctrl-C stops everything it started.
# DOVETAIL_DEMO_DB=postgres npm run demo: the same, with Dovetail's state in PostgreSQL.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
export TRYTON_PORT=${TRYTON_PORT:-18000} VENDURE_PORT=${VENDURE_PORT:-3000} DOVETAIL_PORT=${DOVETAIL_PORT:-8790}
export DOVETAIL_WEBHOOK_SECRET=${DOVETAIL_WEBHOOK_SECRET:-demo-webhook-secret-$(date +%s)}
export DOVETAIL_WEBHOOK_URL="http://127.0.0.1:$DOVETAIL_PORT/webhooks/vendure"
# stop only what this run started: a server already running (a demo beside the tests) stays up
export SYSTEMS_STARTED; SYSTEMS_STARTED=$(mktemp)
trap 'bash scripts/systems.sh stop >/dev/null 2>&1 || true' EXIT
echo "Starting Tryton (inventory) and Vendure (store) on 127.0.0.1 — the first run installs packages and takes a few minutes…"
WITH_VENDURE=1 bash scripts/systems.sh start >/dev/null
rm -f .run/tryton/db/demo.sqlite && cp .run/tryton/db/golden.sqlite .run/tryton/db/demo.sqlite
# DOVETAIL_DEMO_DB=postgres: Dovetail keeps its state in a fresh database on the PostgreSQL that
# systems.sh started (scripts/postgres), as several workers would share it
if [ "${DOVETAIL_DEMO_DB:-sqlite}" = postgres ]; then
  ADMIN_URL=$(bash scripts/postgres/start.sh | sed -n 's/^export TEST_DATABASE_URL=//p')
  psql -q "$ADMIN_URL" -c 'DROP DATABASE IF EXISTS dovetail_demo WITH (FORCE)' -c 'CREATE DATABASE dovetail_demo'
  export DEMO_DATABASE_URL="${ADMIN_URL%/*}/dovetail_demo"
fi
node --import tsx scripts/demo/demo.ts
