// Runs the test files longest first, so with two at a time no long file is left running alone at
// the end (`node --test` sorts files by name; its run() keeps the order it is given).
// Each file's time is kept in .run/test-durations.json for the next run's order; a fresh clone
// starts from scripts/test-durations.json, the times of a clean run on a 2-core machine.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { longestFirst } from './test-order.js';

const DURATIONS = path.resolve('.run/test-durations.json');
/** the times of a clean run, for a machine that has not run the tests yet (a fresh CI clone) */
const BASELINE = path.resolve('scripts/test-durations.json');
const concurrency = Number(process.env.TEST_WORKERS ?? 2);
const files = process.argv.slice(2).map((f) => path.relative(process.cwd(), path.resolve(f)));

/** ms per file (path from the project folder); a file that cannot be read is as if none were timed yet */
const known = ((): Record<string, number> => {
  try {
    const file = [DURATIONS, BASELINE].find((f) => existsSync(f));
    return file ? z.record(z.string(), z.number()).parse(JSON.parse(readFileSync(file, 'utf8'))) : {};
  } catch { return {}; }
})();
const ordered = longestFirst(files, known, (file) => statSync(file).size);

/** this run's time per file: its top-level tests and suites, added up */
const took = new Map<string, number>();
const timed = (d: { nesting: number; file?: string; details: { duration_ms: number } }) => {
  if (d.nesting !== 0 || !d.file) return;
  const file = path.relative(process.cwd(), d.file);
  took.set(file, (took.get(file) ?? 0) + d.details.duration_ms);
};
// run() applies its timeout to each file as a whole (`--test-timeout` limits each test, but run()
// does not pass it on): a hung test fails its file after this long instead of holding CI.
const FILE_TIMEOUT_MS = 10 * 60_000;
// forceExit: a file whose setup failed ends when its tests are done instead of waiting on servers it left open
const stream = run({ files: ordered, concurrency, timeout: FILE_TIMEOUT_MS, forceExit: true });
stream.on('test:pass', timed);
stream.on('test:fail', (d) => { timed(d); process.exitCode = 1; });
stream.on('end', () => {
  mkdirSync(path.dirname(DURATIONS), { recursive: true });
  writeFileSync(DURATIONS, `${JSON.stringify({ ...known, ...Object.fromEntries(took) }, null, 1)}\n`);
});
stream.compose(new spec()).pipe(process.stdout);
