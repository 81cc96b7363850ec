import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { DovetailError } from '../../src/errors.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { BACKENDS, freshStorage } from '../helpers/storage-backends.js';

for (const backend of BACKENDS) {
  test(`a change is recorded once, however often it is delivered (${backend})`, async () => {
    const s = await freshStorage(backend);
    const c = { system: 'vendure', kind: 'order', key: 'ABC', sourceVersion: 'v1' };
    assert.equal(await s.recordChange(c), true);
    assert.equal(await s.recordChange(c), false);
    assert.equal(await s.recordChange({ ...c, sourceVersion: 'v2' }), true);
    assert.equal(await s.countChanges(), 2);
    // back to the first state: a real change again (A -> B -> A)
    assert.equal(await s.recordChange(c), true);
    assert.equal(await s.recordChange(c), false);
    // pushed events are recognised by their id whenever they come back
    const e = { ...c, sourceVersion: 'event:42' };
    assert.equal(await s.recordChange(e), true);
    assert.equal(await s.recordChange({ ...c, sourceVersion: 'v3' }), true);
    assert.equal(await s.recordChange(e), false);
    await s.close();
  });

  test(`a page of changes is recorded by the same rules, in order, past one statement's worth of records (${backend})`, async () => {
    const s = await freshStorage(backend);
    const keys = Array.from({ length: 1_200 }, (_, i) => `SKU-${i}`);
    await s.recordChanges('tryton', keys.map((key) => ({ kind: 'stock', key, sourceVersion: 'v1' })));
    const page = [
      ...keys.map((key, i) => ({ kind: 'stock', key, sourceVersion: i % 2 ? 'v1' : 'v2' })), // half of them changed
      { kind: 'stock', key: 'SKU-1', sourceVersion: 'v2' }, { kind: 'stock', key: 'SKU-1', sourceVersion: 'v1' }, // A -> B -> A on one page
      { kind: 'stock', key: 'SKU-3', sourceVersion: 'v1' }, // the same version again
      { kind: 'product', key: 'SKU-0', sourceVersion: 'v1' }, // another kind, same key
      { kind: 'stock', key: 'SKU-5', sourceVersion: 'event:7' }, { kind: 'stock', key: 'SKU-5', sourceVersion: 'event:7' }, { kind: 'stock', key: 'SKU-6', sourceVersion: 'event:7' },
    ];
    const fresh = await s.recordChanges('tryton', page);
    assert.equal(fresh.slice(0, keys.length).filter(Boolean).length, 600);
    assert.deepEqual(fresh.slice(keys.length), [true, true, false, true, true, false, true]);
    assert.equal(await s.recordChange({ system: 'tryton', kind: 'stock', key: 'SKU-1', sourceVersion: 'v1' }), false, 'the latest version of SKU-1 is v1 again');
    assert.equal(await s.recordChange({ system: 'tryton', kind: 'stock', key: 'SKU-5', sourceVersion: 'event:7' }), false);
    assert.equal(await s.countChanges(), 1_200 + 600 + 2 + 1 + 2);
    await s.close();
  });

  test(`jobs for a page of records coalesce with waiting ones and replace failed ones (${backend})`, async () => {
    const s = await freshStorage(backend);
    await s.enqueue({ kind: 'stock', key: 'A', reason: 'waiting' });
    await s.enqueue({ kind: 'stock', key: 'B', reason: 'will fail' });
    const [b] = await s.claim(['stock'], 1, 'w1', 60_000);
    assert.equal(b.key, 'A');
    await s.fail(b.id, 'refused', 'permanent', null);
    await s.enqueueAll([...Array.from({ length: 700 }, (_, i) => ({ kind: 'stock', key: `K${i}`, reason: 'page' })),
      { kind: 'stock', key: 'A', reason: 'again' }, { kind: 'stock', key: 'B', reason: 'again' }, { kind: 'stock', key: 'K1', reason: 'twice' }]);
    const waiting = await s.jobs({ state: 'pending' });
    assert.equal(waiting.length, 702, 'one waiting job per record');
    assert.equal(waiting.find((j) => j.key === 'K1')?.reason, 'page');
    assert.deepEqual(await s.failures(), [], 'A\'s failure replaced by its new job');
    await s.close();
  });

  test(`jobs coalesce per record, run one at a time per record, and retry with backoff (${backend})`, async () => {
    const s = await freshStorage(backend);
    assert.equal(await s.enqueue({ kind: 'stock', key: 'SKU1', reason: 'a' }), 'added');
    assert.equal(await s.enqueue({ kind: 'stock', key: 'SKU1', reason: 'b' }), 'coalesced');
    await s.enqueue({ kind: 'stock', key: 'SKU2', reason: 'c' });
    const first = await s.claim(['stock'], 10, 'w1', 60_000);
    assert.deepEqual(first.map((j) => j.key), ['SKU1', 'SKU2']);
    // a new change to SKU1 while its job runs waits behind it
    assert.equal(await s.enqueue({ kind: 'stock', key: 'SKU1', reason: 'd' }), 'added');
    assert.deepEqual(await s.claim(['stock'], 10, 'w2', 60_000), []);
    // the running job fails transiently: it absorbs the waiting one and comes back after the delay
    assert.equal(await s.fail(first[0].id, 'timeout', 'transient', 0), 'retrying');
    assert.equal((await s.jobs({ key: 'SKU1', state: 'pending' })).length, 1);
    const again = await s.claim(['stock'], 10, 'w1', 60_000);
    assert.equal(again[0].id, first[0].id);
    assert.equal(again[0].attempts, 2);
    assert.equal(await s.fail(again[0].id, 'unknown SKU', 'permanent', null), 'failed');
    assert.equal((await s.failures())[0].lastError, 'unknown SKU');
    assert.equal(await s.retry(again[0].id), true);
    assert.equal((await s.claim(['stock'], 10, 'w1', 60_000))[0].attempts, 1);
    await s.close();
  });

  test(`jobs held by a dead worker are released (${backend})`, async () => {
    const s = await freshStorage(backend);
    await s.enqueue({ kind: 'order', key: 'O1', reason: 'x' });
    await s.claim(['order'], 1, 'host:123:dead', 60_000);
    assert.equal(await s.releaseStale([]), 0);
    assert.equal(await s.releaseStale(['host:123:dead']), 1);
    assert.equal((await s.claim(['order'], 1, 'w', 60_000)).length, 1);
    await s.close();
  });

  test(`mappings, snapshots, cursors and conflicts round-trip (${backend})`, async () => {
    const s = await freshStorage(backend);
    await s.putMapping('tryton', 'sale', 'ORDER1', '42');
    await s.putMapping('tryton', 'sale', 'ORDER1', '42');
    assert.equal(await s.mapping('tryton', 'sale', 'ORDER1'), '42');
    assert.deepEqual([...await s.keysForExternalIds('tryton', 'sale', ['42', '7'])], [['42', 'ORDER1']]);
    await s.putSnapshot('product', 'SKU', 'names', { name: 'A' });
    await s.putSnapshot('product', 'SKU', 'names', { name: 'B' });
    assert.deepEqual((await s.snapshots('product', 'SKU')).get('names'), { name: 'B' });
    await s.putSnapshots('order', 'ORDER1', { store: { n: 1 }, inventory: { n: 1 } });
    await s.putSnapshots('order', 'ORDER1', { store: { n: 2 }, inventory: { n: 3 } });
    assert.deepEqual([...await s.snapshots('order', 'ORDER1')].sort(), [['inventory', { n: 3 }], ['store', { n: 2 }]]);
    // many keys at once, past one `in (…)` list's worth, an unknown key absent
    const many = Array.from({ length: 1_200 }, (_, i) => `WEB-${i}`);
    await s.transaction(async (tx) => { for (const key of many) await tx.putMapping('tryton', 'sale', key, `sale-${key}`); });
    const found = await s.mappings('tryton', 'sale', [...many, 'WEB-none', 'ORDER1']);
    assert.equal(found.size, 1_201);
    assert.equal(found.get('WEB-1199'), 'sale-WEB-1199');
    assert.equal(found.get('ORDER1'), '42');
    assert.equal(found.has('WEB-none'), false);
    await s.setCursor('tryton', 'product', 'c1');
    await s.setCursor('tryton', 'product', 'c2');
    assert.equal(await s.cursor('tryton', 'product'), 'c2');
    const c = { recordKind: 'product', recordKey: 'SKU', fieldGroup: 'names', masterSystem: 'tryton', masterValue: 'A', otherValue: 'X' };
    assert.equal(await s.flagConflict(c), true);
    assert.equal(await s.flagConflict(c), false);
    await s.resolveConflicts('product', 'SKU', 'names');
    assert.equal((await s.conflicts()).length, 0);
    await s.close();
  });

  test(`one pushed event naming several records is a change of each of them, and a duplicate of none once recorded (${backend})`, async () => {
    const s = await freshStorage(backend);
    const skus = ['MUG-S', 'MUG-M', 'MUG-L', 'MUG-XL', 'MUG-XXL'];
    for (const key of skus) assert.equal(await s.recordChange({ system: 'vendure', kind: 'product', key, sourceVersion: 'event:77' }), true, key);
    for (const key of skus) assert.equal(await s.recordChange({ system: 'vendure', kind: 'product', key, sourceVersion: 'event:77' }), false, `${key} again`);
    assert.equal(await s.countChanges(), 5);
    await s.close();
  });

  test(`a record keeps one entry on the failure list: a new change takes the failed job's place (${backend})`, async () => {
    const s = await freshStorage(backend);
    await s.enqueue({ kind: 'order.import', key: 'ORD1', reason: 'placed' });
    const [job] = await s.claim(['order.import'], 1, 'w', 60_000);
    assert.equal(await s.fail(job.id, 'unknown SKU X', 'permanent', null), 'failed');
    // the order changes again: one job waits, none is on the failure list twice
    assert.equal(await s.enqueue({ kind: 'order.import', key: 'ORD1', reason: 'changed' }), 'added');
    assert.equal((await s.failures()).length, 0);
    const [again] = await s.claim(['order.import'], 1, 'w', 60_000);
    assert.equal(await s.fail(again.id, 'unknown SKU X', 'permanent', null), 'failed');
    await s.enqueue({ kind: 'order.import', key: 'ORD1', reason: 'changed once more' });
    const [third] = await s.claim(['order.import'], 1, 'w', 60_000);
    await s.fail(third.id, 'unknown SKU X', 'permanent', null);
    assert.deepEqual((await s.failures()).map((f) => f.key), ['ORD1'], 'one failure for the order, however often it was triggered');
    await s.close();
  });

  test(`a transient failure remembers since when the record has been failing, until an attempt succeeds (${backend})`, async () => {
    const s = await freshStorage(backend);
    await s.enqueue({ kind: 'stock', key: 'S1', reason: 'x' });
    const [a] = await s.claim(['stock'], 1, 'w', 60_000);
    await s.fail(a.id, 'down', 'transient', 0);
    const [b] = await s.claim(['stock'], 1, 'w', 60_000);
    assert.ok(b.failingSince);
    await s.fail(b.id, 'down', 'transient', 0);
    const [c] = await s.claim(['stock'], 1, 'w', 60_000);
    assert.equal(c.failingSince, b.failingSince, 'the first failure of the run counts');
    await s.complete(c.id);
    assert.equal((await s.jobs({ key: 'S1' }))[0].failingSince, null);
    await s.close();
  });
}

test('a commit that acknowledges a change is synced to the disk (FULL); the others are not (NORMAL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovetail-sync-'));
  const s = await openSqlite(join(dir, 'd.sqlite'));
  const level = async (st: typeof s) => Number((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(st.db)).rows[0].synchronous);
  assert.equal(await level(s), 1, 'NORMAL');
  assert.equal(await s.transaction((tx) => level(tx), { durable: true }), 2, 'FULL inside a durable transaction');
  assert.equal(await s.transaction((tx) => level(tx)), 1);
  assert.equal(await level(s), 1, 'back to NORMAL after it');
  await s.close();
});

test('a full disk is said in words, not as the rollback that followed it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovetail-full-'));
  const s = await openSqlite(join(dir, 'd.sqlite'));
  // the file may not grow by a single page more: SQLite answers exactly as on a full disk (SQLITE_FULL)
  const pages = Number((await sql<{ page_count: number }>`PRAGMA page_count`.execute(s.db)).rows[0].page_count);
  await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(s.db);
  const err = await s.transaction(async (tx) => {
    for (let i = 0; i < 2000; i++) await tx.recordChange({ system: 'vendure', kind: 'order', key: `O${i}`, sourceVersion: 'x'.repeat(200) });
  }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof DovetailError, String(err));
  assert.match(err.message, /disk holding the Dovetail database is full/);
  assert.doesNotMatch(err.message, /no transaction is active/);
  assert.equal(err.kind, 'transient');
  await s.close();
});
