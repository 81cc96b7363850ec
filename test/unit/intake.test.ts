// How changes come in: a pushed event naming several records queues a job for each, and a
// pushed change (acknowledged to its sender, never sent again) commits synced to the disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { parseConfig } from '../../src/config/load.js';
import type { EngineContext } from '../../src/engine/context.js';
import { accept, FEEDS, pollFeed } from '../../src/engine/intake.js';
import { createLogger } from '../../src/log.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import type { Storage } from '../../src/store/storage.js';

const ENV = { TRYTON_PASSWORD: 'pw', VENDURE_PASSWORD: 'pw', DOVETAIL_WEBHOOK_SECRET: 'whsec-0123456789abcdef' };

async function intake(): Promise<{ ctx: EngineContext; syncLevels: number[] }> {
  const storage = await openSqlite(join(mkdtempSync(join(tmpdir(), 'dovetail-intake-')), 'd.sqlite'));
  // what synchronous level each transaction's statements ran under
  const syncLevels: number[] = [];
  const original = storage.transaction.bind(storage);
  storage.transaction = (<T>(fn: (tx: Storage) => Promise<T>, opts?: { durable?: boolean }) => original(async (tx) => {
    syncLevels.push(Number((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(tx.db)).rows[0].synchronous));
    return fn(tx);
  }, opts)) as Storage['transaction'];
  const config = parseConfig('systems:\n  inventory:\n    password: ${TRYTON_PASSWORD}\n  store:\n    password: ${VENDURE_PASSWORD}\n    webhookSecret: ${DOVETAIL_WEBHOOK_SECRET}\n', ENV, 'test.yaml');
  const ctx = { config, storage, log: createLogger('silent'), inventory: { system: 'tryton' }, store: { system: 'vendure' } } as unknown as EngineContext;
  return { ctx, syncLevels };
}

test('a pushed event naming five SKUs queues five jobs, and its replay none', async () => {
  const { ctx } = await intake();
  const changes = ['MUG-S', 'MUG-M', 'MUG-L', 'MUG-XL', 'MUG-XXL'].map((key) => ({ kind: 'product' as const, key, sourceVersion: 'event:91' }));
  assert.equal(await accept(ctx, 'store', changes), 5);
  assert.equal(await accept(ctx, 'store', changes), 0);
  assert.deepEqual((await ctx.storage.jobs({ state: 'pending' })).map((j) => j.key).sort(), ['MUG-L', 'MUG-M', 'MUG-S', 'MUG-XL', 'MUG-XXL']);
  await ctx.storage.close();
});

test('a pushed change commits with synchronous = FULL; a polled page, read again if lost, with NORMAL', async () => {
  const { ctx, syncLevels } = await intake();
  await accept(ctx, 'store', [{ kind: 'order', key: 'ORD-1', sourceVersion: 'event:1' }]);
  await accept(ctx, 'store', [{ kind: 'order', key: 'ORD-2', sourceVersion: 'v1' }], { feed: 'order', value: 'c1' });
  assert.deepEqual(syncLevels, [2, 1]);
  await ctx.storage.close();
});

test('a feed of a capability the connector does not carry is not read', async () => {
  const { ctx } = await intake();
  const asked: string[] = [];
  const readChanges = async (kind: string) => { asked.push(kind); return { changes: [], cursor: 'c', more: false }; };
  ctx.store = { system: 'shopify', side: 'store', capabilities: ['webhooks'], readChanges } as unknown as EngineContext['store'];
  for (const feed of FEEDS.filter((f) => f.side === 'store')) await pollFeed(ctx, feed);
  assert.deepEqual(asked.sort(), ['customer', 'order', 'product'], 'payments and refunds belong to the payments capability');
  ctx.store = { system: 'vendure', side: 'store', capabilities: ['payments'], readChanges } as unknown as EngineContext['store'];
  asked.length = 0;
  for (const feed of FEEDS.filter((f) => f.side === 'store' && f.kind === 'payment')) await pollFeed(ctx, feed);
  assert.deepEqual(asked, ['payment']);
  await ctx.storage.close();
});
