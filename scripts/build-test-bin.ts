// `dovetail` as one JavaScript file, for the tests that start it as a process (killed at failpoints,
// restarted, run beside the engine): it starts with a quarter of the CPU of bin/dovetail.mjs, which
// compiles and loads several hundred modules at every start. Built by scripts/test.sh from the sources of that run.
import { build } from 'esbuild';
import path from 'node:path';

/**
 * Two folders below the project, like src/server/http.ts: the dashboard's files are found from
 * there (`../../web/`). Packages with native parts or worker threads stay outside the bundle.
 */
export const TEST_BIN = path.resolve('.run/test-bin/dovetail.mjs');

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: TEST_BIN,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'bundle',
  external: ['better-sqlite3', 'pg', 'pino', 'pino-pretty'],
  // the CommonJS packages inside the bundle call require()
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(TEST_BIN);
