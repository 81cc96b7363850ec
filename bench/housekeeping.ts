// What pruning does to a big database: 1M rows each in changes, jobs and audit, received over a
// year, then the file's size and `dovetail status`'s time before and after `dovetail prune`. Run:
//   node --import tsx bench/housekeeping.ts [--old-file]   (--old-file: a file made before auto_vacuum)
import { mkdtempSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { pruneCommand } from '../src/cli/prune.js';
import { statusCommand } from '../src/cli/status.js';
import { openSqlite } from '../src/store/sqlite/open.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RECORDS = 20_000;
const YEAR_MS = 365 * 86_400_000;
const oldFile = process.argv.includes('--old-file');

const dir = mkdtempSync(join(tmpdir(), 'dovetail-bench-keep-'));
const file = join(dir, 'dovetail.sqlite');
if (oldFile) { const d = new Database(file); d.exec('CREATE TABLE made_before (x INTEGER)'); d.close(); }
await (await openSqlite(file)).close();
const config = join(dir, 'dovetail.yaml');
writeFileSync(config, `database: { path: ${file} }\nsystems:\n  inventory: { password: x }\n  store: { password: x, webhookSecret: whsec-0123456789abcdef }\n`);

const db = new Database(file);
const now = Date.now();
/** row i of n was received i/n of the way through the last year, oldest first */
const at = (i: number) => new Date(now - YEAR_MS + (i / ROWS) * YEAR_MS).toISOString();
const insertChange = db.prepare('INSERT INTO changes (system, kind, key, source_version, received_at) VALUES (?, ?, ?, ?, ?)');
const insertJob = db.prepare(`INSERT INTO jobs (kind, key, state, attempts, run_after, reason, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)`);
const insertAudit = db.prepare(`INSERT INTO audit (at, record_kind, record_key, action, from_system, to_system, setting, result, detail) VALUES (?, 'product', ?, 'product.updated', 'tryton', 'vendure', 'master.prices', 'ok', ?)`);
const t0 = performance.now();
db.transaction(() => {
  for (let i = 0; i < ROWS; i++) {
    const key = `SKU-${i % RECORDS}`, t = at(i);
    insertChange.run('tryton', 'product', key, i % 3 ? `a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8${i}` : `event:${i}`, t);
    // a few hundred left waiting or failed among the finished, as in a running shop
    insertJob.run('product.toStore', key, i % 5000 === 0 ? 'failed' : 'done', t, `product changed in tryton (a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6${i})`, t, t);
    insertAudit.run(t, key, JSON.stringify({ group: 'prices', from: '10.00', to: '12.50' }));
  }
})();
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();
console.log(`seeded ${ROWS} rows in each of changes, jobs, audit in ${((performance.now() - t0) / 1000).toFixed(0)} s${oldFile ? ' (a file made before auto_vacuum)' : ''}`);

const size = () => `${(statSync(file).size / 1e6).toFixed(0)} MB${existsSync(`${file}-wal`) ? ` (+ WAL ${(statSync(`${file}-wal`).size / 1e6).toFixed(0)} MB)` : ''}`;
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
async function statusMs(): Promise<string> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    if (await statusCommand(config, quiet) !== 0) throw new Error('status failed');
    runs.push(performance.now() - t);
  }
  return runs.map((ms) => `${ms.toFixed(0)} ms`).join(', ');
}

console.log(`before: ${size()}; dovetail status: ${await statusMs()}`);
let t = performance.now();
await pruneCommand(config, {});
console.log(`dovetail prune: ${((performance.now() - t) / 1000).toFixed(1)} s`);
console.log(`after: ${size()}; dovetail status: ${await statusMs()}`);
if (oldFile) {
  t = performance.now();
  await pruneCommand(config, { vacuum: true });
  console.log(`dovetail prune --vacuum: ${((performance.now() - t) / 1000).toFixed(1)} s; after: ${size()}`);
}
