#!/usr/bin/env bash
# Compile the Vendure app (CommonJS) into .run/vendure-app/dist, skipped when newer than its sources.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/.run/vendure-app/dist"
STAMP="$OUT/.built"
SOURCES=("$ROOT"/scripts/vendure-app/{tsconfig.json,server.ts,vendure-config.ts,local-assets.ts} "$ROOT"/src/connectors/vendure/plugin/*.ts)
if [ -f "$STAMP" ] && [ -z "$(find "${SOURCES[@]}" -newer "$STAMP" 2>/dev/null)" ]; then exit 0; fi
rm -rf "$OUT"
(cd "$ROOT" && npx tsc -p scripts/vendure-app/tsconfig.json)
printf '{"type":"commonjs"}\n' > "$OUT/package.json"   # the root package is ESM
touch "$STAMP"
echo "vendure app built: $OUT/scripts/vendure-app/server.js"
