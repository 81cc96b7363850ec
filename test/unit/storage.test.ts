import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../../src/store/sqlite/open.js';

test('a change is recorded once, however often it is delivered', async () => {
  const s = await openSqlite(':memory:');
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

test('jobs coalesce per record, run one at a time per record, and retry with backoff', async () => {
  const s = await openSqlite(':memory:');
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

test('jobs held by a dead worker are released', async () => {
  const s = await openSqlite(':memory:');
  await s.enqueue({ kind: 'order', key: 'O1', reason: 'x' });
  await s.claim(['order'], 1, 'host:123:dead', 60_000);
  assert.equal(await s.releaseStale([]), 0);
  assert.equal(await s.releaseStale(['host:123:dead']), 1);
  assert.equal((await s.claim(['order'], 1, 'w', 60_000)).length, 1);
  await s.close();
});

test('mappings, snapshots, cursors and conflicts round-trip', async () => {
  const s = await openSqlite(':memory:');
  await s.putMapping('tryton', 'sale', 'ORDER1', '42');
  await s.putMapping('tryton', 'sale', 'ORDER1', '42');
  assert.equal(await s.mapping('tryton', 'sale', 'ORDER1'), '42');
  assert.deepEqual([...await s.keysForExternalIds('tryton', 'sale', ['42', '7'])], [['42', 'ORDER1']]);
  await s.putSnapshot('product', 'SKU', 'names', { name: 'A' });
  await s.putSnapshot('product', 'SKU', 'names', { name: 'B' });
  assert.deepEqual((await s.snapshots('product', 'SKU')).get('names'), { name: 'B' });
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
