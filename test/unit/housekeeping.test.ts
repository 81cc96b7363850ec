// Pruning keeps the tables small without losing what a decision still reads: the latest version
// of each record, jobs not finished, the audit entries of open conflicts. Thousands of rows, in batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { parseConfig } from '../../src/config/load.js';
import type { EngineContext } from '../../src/engine/context.js';
import { Engine } from '../../src/engine/engine.js';
import { openContext } from '../../src/engine/open.js';
import { housekeep, pruneBefore } from '../../src/engine/housekeeping.js';
import { accept } from '../../src/engine/intake.js';
import { createLogger } from '../../src/log.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { Housekeeping, type Storage } from '../../src/store/storage.js';
import type { JobState } from '../../src/store/schema.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../helpers/unreachable-systems.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString();
const ENV = { TRYTON_PASSWORD: 'pw', VENDURE_PASSWORD: 'pw', DOVETAIL_WEBHOOK_SECRET: 'whsec-0123456789abcdef' };
const settings = (yaml = '') => parseConfig(`systems:\n  inventory: { password: x }\n  store: { password: x, webhookSecret: whsec-0123456789abcdef }\n${yaml}`, ENV, 'test.yaml');
/** small batches, so a prune of a few thousand rows crosses many batch ends, kept rows among them */
const BATCH = 97;

async function inChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += 400) await insert(rows.slice(i, i + 400));
}

/** 600 products, each with 4 content versions 60..30 days old and 2 pushed events; 200 more changed yesterday. */
async function seedChanges(s: Storage): Promise<void> {
  const rows = [];
  for (let p = 0; p < 600; p++) {
    for (let v = 0; v < 4; v++) rows.push({ system: 'tryton', kind: 'product', key: `SKU-${p}`, source_version: `hash-${p}-${v}`, received_at: daysAgo(60 - v * 10) });
    for (let e = 0; e < 2; e++) rows.push({ system: 'vendure', kind: 'product', key: `SKU-${p}`, source_version: `event:${p}-${e}`, received_at: daysAgo(45 - e) });
  }
  for (let p = 0; p < 200; p++) rows.push({ system: 'tryton', kind: 'product', key: `SKU-${p}`, source_version: `hash-${p}-new`, received_at: daysAgo(1) });
  await inChunks(rows, (chunk) => s.db.insertInto('changes').values(chunk).execute());
}

test('old changes go, except the latest content version of each record: an unchanged record is still no change', async () => {
  const s = await openSqlite(':memory:');
  await seedChanges(s);
  const pruned = await new Housekeeping(s, BATCH).prune({ changes: daysAgo(14), doneJobs: null, audit: null });
  // of 600 x 6 old rows, each product keeps one: its newest content version (200 have a newer one from yesterday)
  assert.equal(pruned.changes, 600 * 6 - 400);
  assert.equal(await s.countChanges(), 400 + 200);
  const left = await s.db.selectFrom('changes').select(['key', 'source_version']).execute();
  assert.ok(left.every((r) => !r.source_version.startsWith('event:')));
  assert.deepEqual(new Set(left.filter((r) => r.key === 'SKU-0').map((r) => r.source_version)), new Set(['hash-0-new']));
  assert.deepEqual(new Set(left.filter((r) => r.key === 'SKU-599').map((r) => r.source_version)), new Set(['hash-599-3']));
  // the next poll sees the same content: still a duplicate, both for an old and a recent latest version
  assert.equal(await s.recordChange({ system: 'tryton', kind: 'product', key: 'SKU-599', sourceVersion: 'hash-599-3' }), false);
  assert.equal(await s.recordChange({ system: 'tryton', kind: 'product', key: 'SKU-0', sourceVersion: 'hash-0-new' }), false);
  // a pruned earlier version is a real change again (A -> B -> A), as it was before pruning
  assert.equal(await s.recordChange({ system: 'tryton', kind: 'product', key: 'SKU-599', sourceVersion: 'hash-599-2' }), true);
  await s.close();
});

test('a pushed event delivered again after its retention is accepted again: its job reloads the record, nothing more', async () => {
  const s = await openSqlite(':memory:');
  const ctx = { config: settings(), storage: s, log: createLogger('silent'), inventory: { system: 'tryton' }, store: { system: 'vendure' } } as unknown as EngineContext;
  const event = [{ kind: 'product' as const, key: 'MUG', sourceVersion: 'event:77' }];
  assert.equal(await accept(ctx, 'store', event), 1);
  assert.equal(await accept(ctx, 'store', event), 0, 'within its retention the event is a duplicate');
  await s.db.updateTable('changes').set({ received_at: daysAgo(30) }).execute();
  await s.db.updateTable('jobs').set({ state: 'done', updated_at: daysAgo(30) }).execute();
  await housekeep(s, ctx.config.housekeeping, { now: NOW });
  assert.equal(await s.countChanges(), 0);
  assert.equal(await accept(ctx, 'store', event), 1);
  // one job, of the kind that rereads the product from the store: the same as for any change to it
  assert.deepEqual((await s.jobs({ state: 'pending' })).map((j) => [j.kind, j.key]), [['product.fromStore', 'MUG']]);
  await s.close();
});

test('finished jobs go after their days; waiting, running and failed jobs stay whatever their age', async () => {
  const s = await openSqlite(':memory:');
  const states: JobState[] = ['done', 'pending', 'running', 'failed'];
  const rows = [];
  for (let i = 0; i < 3000; i++) {
    const state = states[i % 4], age = i % 3 === 0 ? 2 : 20;
    rows.push({ kind: 'stock', key: `SKU-${i}`, state, attempts: 1, run_after: daysAgo(age), locked_by: state === 'running' ? 'w1' : null, locked_until: null,
      last_error: null, failure_kind: null, failing_since: null, reason: 'seed', created_at: daysAgo(age), updated_at: daysAgo(age) });
  }
  await inChunks(rows, (chunk) => s.db.insertInto('jobs').values(chunk).execute());
  const oldDone = rows.filter((r) => r.state === 'done' && r.updated_at < daysAgo(7)).length;
  const pruned = await new Housekeeping(s, BATCH).prune(pruneBefore(settings().housekeeping, NOW));
  assert.equal(pruned.doneJobs, oldDone);
  const depth = await s.queueDepth();
  assert.deepEqual(depth, { done: 750 - oldDone, pending: 750, running: 750, failed: 750 });
  assert.ok((await s.jobs({ state: 'done' })).every((j) => j.updatedAt >= daysAgo(7)));
  await s.close();
});

test('old audit entries go, except those of a record with an open conflict; null keeps a table whole', async () => {
  const s = await openSqlite(':memory:');
  const rows = [];
  for (let i = 0; i < 3000; i++) {
    rows.push({ at: daysAgo(i < 2500 ? 120 : 10), record_kind: 'product', record_key: `SKU-${i % 500}`, action: 'product.updated',
      from_system: 'tryton', to_system: 'vendure', setting: 'master.prices', result: 'ok', detail: null });
  }
  await inChunks(rows, (chunk) => s.db.insertInto('audit').values(chunk).execute());
  await s.flagConflict({ recordKind: 'product', recordKey: 'SKU-7', fieldGroup: 'prices', masterSystem: 'tryton', masterValue: '1', otherValue: '2' });
  await s.flagConflict({ recordKind: 'product', recordKey: 'SKU-8', fieldGroup: 'prices', masterSystem: 'tryton', masterValue: '1', otherValue: '2' });
  await s.resolveConflicts('product', 'SKU-8', 'prices');

  const kept = await new Housekeeping(s, BATCH).prune(pruneBefore(settings('housekeeping: { keepAuditDays: null }').housekeeping, NOW));
  assert.equal(kept.audit, 0);
  const pruned = await new Housekeeping(s, BATCH).prune(pruneBefore(settings().housekeeping, NOW));
  // SKU-7 has 5 old entries among the 2500 (one in each 500), kept for its open conflict
  assert.equal(pruned.audit, 2500 - 5);
  assert.equal((await s.auditTrail('SKU-7')).length, 6);
  assert.equal((await s.auditTrail('SKU-8')).length, 1, 'a resolved conflict keeps nothing');
  await s.close();
});

test('a new SQLite file gives pruned pages back after each prune; an older file shrinks with the vacuum of `prune --vacuum`', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovetail-prune-'));
  const pageCount = async (s: Storage) => Number((await sql<{ page_count: number }>`PRAGMA page_count`.execute(s.db)).rows[0].page_count);

  const fresh = await openSqlite(join(dir, 'new.sqlite'));
  assert.equal(Number((await sql<{ auto_vacuum: number }>`PRAGMA auto_vacuum`.execute(fresh.db)).rows[0].auto_vacuum), 2);
  await seedChanges(fresh);
  const before = await pageCount(fresh);
  await housekeep(fresh, settings().housekeeping, { now: NOW });
  assert.ok(await pageCount(fresh) < before * 0.4, `${await pageCount(fresh)} pages of ${before} left`);
  assert.equal(statSync(join(dir, 'new.sqlite-wal')).size, 0, 'the WAL is folded back and cut short');
  await fresh.close();

  // a file made before this version: tables exist before auto_vacuum could be set
  const oldFile = join(dir, 'old.sqlite');
  const raw = new Database(oldFile);
  raw.exec('CREATE TABLE early (x INTEGER)');
  raw.close();
  const old = await openSqlite(oldFile);
  assert.equal(Number((await sql<{ auto_vacuum: number }>`PRAGMA auto_vacuum`.execute(old.db)).rows[0].auto_vacuum), 0);
  await seedChanges(old);
  const oldBefore = await pageCount(old);
  await housekeep(old, settings().housekeeping, { now: NOW });
  assert.equal(await pageCount(old), oldBefore, 'without auto_vacuum the freed pages stay in the file, for reuse');
  await housekeep(old, settings().housekeeping, { now: NOW, vacuum: true });
  assert.ok(await pageCount(old) < oldBefore * 0.4);
  assert.equal(Number((await sql<{ auto_vacuum: number }>`PRAGMA auto_vacuum`.execute(old.db)).rows[0].auto_vacuum), 2, 'later prunes shrink it too');
  await old.close();
});

test('`dovetail run` prunes at start, beside its first pass, and stops the prune when it is stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovetail-run-prune-'));
  const config = parseConfig(unreachableSettings(`database: { path: ${join(dir, 'd.sqlite')} }\nsync: { pollIntervalMs: 200 }\n`), UNREACHABLE_ENV, 'test.yaml');
  const engine = new Engine(await openContext(config, createLogger('silent')));
  const s = engine.ctx.storage;
  await inChunks(Array.from({ length: 1500 }, (_, i) => ({ kind: 'stock', key: `SKU-${i}`, state: 'done' as const, attempts: 1, run_after: daysAgo(30),
    locked_by: null, locked_until: null, last_error: null, failure_kind: null, failing_since: null, reason: 'seed', created_at: daysAgo(30), updated_at: daysAgo(30) })),
  (chunk) => s.db.insertInto('jobs').values(chunk).execute());
  const stop = new AbortController();
  const running = engine.run(stop.signal);
  try {
    for (let i = 0; i < 400 && ((await s.queueDepth()).done ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await s.queueDepth()).done, undefined, 'the finished jobs of a month ago are gone');
  } finally {
    stop.abort();
    await running;
    await s.close();
  }
});
