// More than a page of writes goes through Magento's asynchronous bulk API: one request, its
// status read on an injected clock until every operation ended, each outcome back on its row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DovetailError } from '../../../src/errors.js';
import type { Product } from '../../../src/model/product.js';
import { connector, filterOf, search, type Seen } from './fake.js';

const product = (sku: string): Product => ({ sku, groupKey: sku, fields: { names: { name: sku, variantName: sku }, prices: { priceMinor: 500, currency: 'EUR' } } });
const accepted = (n: number) => ({ bulk_uuid: 'b-1', request_items: Array.from({ length: n }, (_, id) => ({ id, data_hash: 'h', status: 'accepted' })), errors: false });
const status = (ops: { status: number; result_message?: string }[]) => ({ operations_list: ops.map((o, i) => ({ id: 7 + i, result_message: 'Service execution success', error_code: 0, ...o })),
  user_type: 1, bulk_id: 'b-1', start_time: '2026-11-29 10:00:00', user_id: 1, operation_count: ops.length });

test('stock beyond a page: one bulk of 20-row batches, its status read until done, a refused batch sent again row by row', async () => {
  const waits: number[] = [];
  let looks = 0;
  const skus = Array.from({ length: 45 }, (_, i) => `BK-${i}`);
  const { conn, fake } = connector({
    'GET /products': (req: Seen) => search(filterOf(req.query)!.value.split(',').map((sku) => ({ sku }))),
    'GET /inventory/source-items': () => search([]),
    'POST /async/bulk/inventory/source-items': (req) => accepted((req.body as unknown[]).length),
    'GET /bulk/b-1/status': () => (++looks < 3 ? status([{ status: 1 }, { status: 4 }, { status: 4 }])
      : status([{ status: 1 }, { status: 3, result_message: 'Could not save Source Item' }, { status: 1 }])),
    'POST /inventory/source-items': () => [],
  }, { pageSize: 10, sleep: async (ms) => { waits.push(ms); } });
  const res = await conn.setAvailable(skus.map((sku) => ({ sku, available: 3 })));
  const bulk = fake.calls('POST', '/inventory/source-items').filter((s) => s.bulk);
  assert.equal(bulk.length, 1);
  assert.deepEqual((bulk[0]!.body as { sourceItems: unknown[] }[]).map((b) => b.sourceItems.length), [20, 20, 5]);
  assert.deepEqual(waits, [1000, 2000], 'two waits on the injected clock, growing');
  assert.equal(fake.calls('POST', '/inventory/source-items').filter((s) => !s.bulk).length, 20, 'the refused batch, row by row');
  assert.equal(res.length, 45);
  assert.ok(res.every((r) => 'written' in r && r.written), 'the single calls pass');
});

test('a bulk still open after its looks is transient, for the engine to come back to', async () => {
  const { conn } = connector({
    'GET /products': (req: Seen) => search(filterOf(req.query)!.value.split(',').map((sku) => ({ sku }))),
    'GET /inventory/source-items': () => search([]),
    'POST /async/bulk/inventory/source-items': (req) => accepted((req.body as unknown[]).length),
    'GET /bulk/b-1/status': () => status([{ status: 4 }]),
  }, { pageSize: 1, bulkLooks: 3, sleep: async () => {} });
  await assert.rejects(conn.setAvailable([{ sku: 'A', available: 1 }, { sku: 'B', available: 1 }]),
    (e: DovetailError) => e.kind === 'transient' && /still open after 3 looks/.test(e.message));
});

test('products beyond a page: updates by bySku, creates by POST, at global scope; a created SKU counts once read back, a failed one fails alone', async () => {
  const made = new Set<string>(['OLD-1', 'OLD-2']);
  const { conn, fake } = connector({
    'GET /products': (req: Seen) => search(filterOf(req.query)!.value.split(',').filter((s) => made.has(s)).map((sku, i) => ({ id: 100 + i, sku }))),
    'PUT /async/bulk/products/bySku': (req) => accepted((req.body as unknown[]).length),
    'POST /async/bulk/products': (req) => {
      for (const b of req.body as { product: { sku: string } }[]) if (b.product.sku !== 'NEW-2') made.add(b.product.sku);
      return accepted((req.body as unknown[]).length);
    },
    'GET /bulk/b-1/status': () => status(fake.seen.at(-2)!.path === '/products/bySku' ? [{ status: 1 }, { status: 1 }] : [{ status: 1 }, { status: 2, result_message: 'Lock wait timeout' }]),
  }, { pageSize: 3, sleep: async () => {} });
  const res = await conn.upsertProducts(['OLD-1', 'OLD-2', 'NEW-1', 'NEW-2'].map((sku) => ({ product: product(sku), groups: ['prices' as const] })));
  assert.deepEqual(res.map((r) => ('error' in r ? [r.sku, r.error.kind] : [r.sku, r.created])), [['OLD-1', false], ['OLD-2', false], ['NEW-1', true], ['NEW-2', 'transient']]);
  const puts = fake.calls('PUT', '/products/bySku');
  assert.equal(puts[0]!.scope, 'all');
  assert.deepEqual(puts[0]!.body, [{ product: { sku: 'OLD-1', price: 5 } }, { product: { sku: 'OLD-2', price: 5 } }]);
});
