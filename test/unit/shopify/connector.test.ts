// The Shopify connector against the Shopify double: cost-based pacing, compare-and-set stock,
// failures half-way, products one by one. Money, shipments and order changes have files of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../../src/errors.js';
import type { FieldGroup, Product } from '../../../src/model/product.js';
import { ShopifyConnector } from '../../../src/connectors/shopify/index.js';
import { idempotencyKey, MAX_INPUT_ROWS } from '../../../src/connectors/shopify/writes.js';
import { FakeShopify, VirtualClock } from '../../doubles/shopify/server.js';

const LOC = 'gid://shopify/Location/1';
const LOC2 = 'gid://shopify/Location/2';

async function setup(opts: { bulkThreshold?: number } = {}) {
  const clock = new VirtualClock();
  const fake = await new FakeShopify(clock).start();
  const connector = new ShopifyConnector({
    shop: 'fake.myshopify.com', accessToken: 'shpat_test', endpoint: `${fake.url}/admin/api/2026-10/graphql.json`,
    appSecret: 'secret', locations: { Main: LOC, Annex: LOC2 }, defaultWarehouse: 'Main',
    now: clock.now, sleep: clock.sleep, bulkThreshold: opts.bulkThreshold ?? 2000,
  });
  return { clock, fake, connector };
}

const setCalls = (fake: FakeShopify) => fake.calls('InventorySetQuantities').map((r) => (r.variables.input as { quantities: { inventoryItemId: string; quantity: number; changeFromQuantity: number | null }[] }).quantities);

test('throttled answers are waited out by (requested - available) / restoreRate, then calls are paced before sending', async () => {
  const { fake, connector, clock } = await setup();
  try {
    for (let i = 0; i < 3; i++) fake.addItem(`SKU-${i}`, { [LOC]: 1 });
    fake.bucket = { maximumAvailable: 1000, currentlyAvailable: 100, restoreRate: 50, at: 0 };
    // InventoryAtLocation costs 752: the first try is THROTTLED with 100 available
    const first = await connector.setAvailable([{ sku: 'SKU-0', available: 5 }]);
    assert.deepEqual(first, [{ sku: 'SKU-0', written: true }]);
    const throttled = fake.requests.filter((r) => r.name === 'InventoryAtLocation');
    assert.equal(throttled.length, 2, 'one THROTTLED answer, then the same call again');
    assert.equal(clock.slept[0], Math.ceil(((752 - 100) / 50) * 1000)); // 13,040 ms, from the answer's restoreRate
    // after the read, 0 points are left; the set (10 points) waits 10/50 s before it is sent
    assert.equal(clock.slept[1], 200);
    // the next read is paced by the known budget (0 left): it waits before sending, no THROTTLED answer
    const before = fake.requests.length;
    await connector.setAvailable([{ sku: 'SKU-1', available: 7 }]);
    const after = fake.requests.slice(before);
    assert.deepEqual(after.map((r) => r.name), ['InventoryAtLocation', 'InventorySetQuantities']);
    assert.equal(clock.slept[2], Math.ceil((752 / 50) * 1000));
    assert.deepEqual(connector.client.stats.waitsMs, clock.slept);

    // a faster plan (restoreRate 1,000) shortens the same wait: the rate is read, not assumed
    fake.bucket = { maximumAvailable: 20_000, currentlyAvailable: 0, restoreRate: 1000, at: clock.ms };
    await connector.ping(); // waits 1/50 s on the old budget; 20 points restored at 1,000/s, 19 left
    await connector.setAvailable([{ sku: 'SKU-2', available: 9 }]);
    assert.equal(clock.slept.at(-3), 20);
    assert.equal(clock.slept.at(-2), Math.ceil(((752 - 19) / 1000) * 1000));
  } finally { await fake.stop(); }
});

test('a query that can never fit the bucket is refused as permanent, not retried forever', async () => {
  const { fake, connector } = await setup();
  try {
    fake.addItem('A', { [LOC]: 1 });
    fake.bucket = { maximumAvailable: 500, currentlyAvailable: 500, restoreRate: 50, at: 0 };
    await connector.ping(); // learns maximumAvailable 500
    await assert.rejects(connector.setAvailable([{ sku: 'A', available: 2 }]), (e: unknown) => e instanceof DovetailError && e.kind === 'permanent');
  } finally { await fake.stop(); }
});

test('a stale compare-and-set re-reads and retries only the rows not yet at their target', async () => {
  const { fake, connector } = await setup();
  try {
    const a = fake.addItem('A', { [LOC]: 3 });
    const b = fake.addItem('B', { [LOC]: 5 });
    fake.addItem('C', { [LOC]: 1 });
    // between Dovetail's read and its write, an order takes one B and someone sets A to 10
    fake.hooks.set('InventorySetQuantities', (f, nth) => {
      if (nth !== 1) return;
      f.items.get('B')!.levels.set(LOC, 4);
      f.items.get('A')!.levels.set(LOC, 10);
    });
    const res = await connector.setAvailable([{ sku: 'A', available: 10 }, { sku: 'B', available: 8 }, { sku: 'C', available: 2 }]);
    assert.deepEqual(res, [{ sku: 'A', written: true, reason: 'already-set' }, { sku: 'B', written: true }, { sku: 'C', written: true }]);
    const sent = setCalls(fake);
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[0]!.map((q) => q.changeFromQuantity), [3, 5, 1]);
    // the retry leaves A out (already 10) and compares B against what was re-read (4)
    assert.deepEqual(sent[1]!.map((q) => [q.inventoryItemId, q.changeFromQuantity, q.quantity]), [[b.inventoryItemId, 4, 8], [fake.items.get('C')!.inventoryItemId, 1, 2]]);
    assert.equal(a.levels.get(LOC), 10);
    assert.equal(b.levels.get(LOC), 8);
    assert.equal(fake.calls('InventoryAtLocation').length, 2, 'one read, one re-read');
  } finally { await fake.stop(); }
});

test('stale twice goes back to the engine as transient', async () => {
  const { fake, connector } = await setup();
  try {
    fake.addItem('A', { [LOC]: 3 });
    fake.hooks.set('InventorySetQuantities', (f) => { const it = f.items.get('A')!; it.levels.set(LOC, it.levels.get(LOC)! - 1); });
    await assert.rejects(connector.setAvailable([{ sku: 'A', available: 10 }]), (e: unknown) => e instanceof DovetailError && e.kind === 'transient');
    assert.equal(setCalls(fake).length, 2);
  } finally { await fake.stop(); }
});

test('a 5xx half-way through a multi-batch write: batches of at most 250, and the retry sends only what is left', async () => {
  const { fake, connector } = await setup();
  try {
    const rows = [];
    for (let i = 0; i < 600; i++) { fake.addItem(`S${i}`, { [LOC]: 0 }); rows.push({ sku: `S${i}`, available: i + 1 }); }
    fake.failures.push({ name: 'InventorySetQuantities', nth: 2, status: 503, when: 'before' });
    await assert.rejects(connector.setAvailable(rows), (e: unknown) => e instanceof DovetailError && e.kind === 'transient');
    assert.deepEqual(setCalls(fake).map((b) => b.length), [250, 250]);
    // the engine retries the job: the first batch is already there and is not sent again
    const res = await connector.setAvailable(rows);
    const batches = setCalls(fake);
    assert.deepEqual(batches.map((b) => b.length), [250, 250, 250, 100]);
    assert.ok(batches.every((b) => b.length <= MAX_INPUT_ROWS));
    const firstBatchItems = new Set(batches[0]!.map((q) => q.inventoryItemId));
    assert.ok(batches.slice(2).every((b) => b.every((q) => !firstBatchItems.has(q.inventoryItemId))), 'accepted rows are not resent');
    assert.equal(res.filter((r) => 'written' in r && r.written).length, 350);
    assert.equal(res.filter((r) => 'written' in r && !r.written).length, 250);
    for (let i = 0; i < 600; i++) assert.equal(fake.items.get(`S${i}`)!.levels.get(LOC), i + 1);
  } finally { await fake.stop(); }
});

test('a lost answer after Shopify applied a batch: the retry re-reads and sends nothing again', async () => {
  const { fake, connector } = await setup();
  try {
    fake.addItem('A', { [LOC]: 1 });
    fake.failures.push({ name: 'InventorySetQuantities', nth: 1, status: 502, when: 'after' });
    await assert.rejects(connector.setAvailable([{ sku: 'A', available: 9 }]));
    assert.equal(fake.items.get('A')!.levels.get(LOC), 9);
    const res = await connector.setAvailable([{ sku: 'A', available: 9 }]);
    assert.deepEqual(res, [{ sku: 'A', written: false, reason: 'unchanged' }]);
    assert.equal(setCalls(fake).length, 1);
  } finally { await fake.stop(); }
});

test('multi-location: warehouses map to their Shopify locations; an unknown warehouse is a config error', async () => {
  const { fake, connector } = await setup();
  try {
    fake.addItem('A', { [LOC]: 1 });
    const res = await connector.setAvailableAt([{ sku: 'A', warehouse: 'Main', available: 4 }, { sku: 'A', warehouse: 'Annex', available: 6 }, { sku: 'NOPE', warehouse: 'Main', available: 1 }]);
    assert.deepEqual(res.map((r) => [r.sku, r.locationId, r.written, r.reason]), [['NOPE', LOC, false, 'unknown-sku'], ['A', LOC, true, undefined], ['A', LOC2, true, undefined]]);
    assert.equal(fake.calls('InventoryActivate').length, 1, 'A was not stocked at the annex yet');
    assert.equal(fake.items.get('A')!.levels.get(LOC2), 6);
    await assert.rejects(connector.setAvailableAt([{ sku: 'A', warehouse: 'Attic', available: 1 }]), (e: unknown) => e instanceof DovetailError && e.kind === 'config');
  } finally { await fake.stop(); }
});

test('above the bulk threshold current stock comes from one bulk query, not pages', async () => {
  const { fake, connector } = await setup({ bulkThreshold: 10 });
  try {
    const rows = [];
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      const it = fake.addItem(`B${i}`, { [LOC]: 2 });
      rows.push({ sku: `B${i}`, available: 3 });
      lines.push(JSON.stringify({ id: it.variantId, sku: it.sku, inventoryItem: { id: it.inventoryItemId } }));
      lines.push(JSON.stringify({ location: { id: LOC }, quantities: [{ name: 'available', quantity: 2 }], __parentId: it.variantId }));
    }
    fake.bulkJsonl = lines.join('\n') + '\n';
    fake.bulkPollsToFinish = 2;
    const res = await connector.setAvailable(rows);
    assert.equal(res.filter((r) => 'written' in r && r.written).length, 30);
    assert.equal(fake.calls('InventoryAtLocation').length, 0);
    assert.deepEqual([fake.calls('BulkRunQuery').length, fake.calls('BulkOperationStatus').length, fake.calls('InventorySetQuantities').length], [1, 2, 1]);
  } finally { await fake.stop(); }
});

test('stock: a row Shopify refuses fails alone, with its reason; the others of the batch are written', async () => {
  const { fake, connector } = await setup();
  try {
    fake.addItem('A', { [LOC]: 1 });
    fake.addItem('TYPO', { [LOC]: 1 });
    fake.addItem('C', { [LOC]: 1 });
    // above Shopify's limit, yet an Int: a number beyond 2^31 is refused by the schema itself, before any user error
    const res = await connector.setAvailable([{ sku: 'A', available: 4 }, { sku: 'TYPO', available: 1_500_000_000 }, { sku: 'C', available: 6 }, { sku: 'NOPE', available: 1 }]);
    const bySku = new Map(res.map((r) => [r.sku, r]));
    assert.deepEqual(bySku.get('A'), { sku: 'A', written: true });
    assert.deepEqual(bySku.get('C'), { sku: 'C', written: true });
    const typo = bySku.get('TYPO');
    assert.ok(typo && 'error' in typo && typo.error.kind === 'permanent' && /higher than/.test(typo.error.message), JSON.stringify(typo));
    assert.equal(bySku.has('NOPE'), false, 'a SKU Shopify does not have is left out');
    assert.deepEqual(['A', 'TYPO', 'C'].map((sku) => fake.items.get(sku)!.levels.get(LOC)), [4, 1, 6]);
  } finally { await fake.stop(); }
});

const newProduct = (sku: string, name: string): { product: Product; groups: FieldGroup[] } => ({
  product: { sku, groupKey: sku, fields: { names: { name, variantName: name }, prices: { priceMinor: 500, currency: 'EUR' }, availability: { enabled: true } } },
  groups: ['names', 'prices', 'availability'],
});

test('products: one Shopify refuses fails alone, the others of the batch are created and reported with their ids', async () => {
  const { fake, connector } = await setup();
  try {
    const res = await connector.upsertProducts([newProduct('P-1', 'Mug'), newProduct('P-2', 'M'.repeat(300)), newProduct('P-3', 'Bowl')]);
    const bySku = new Map(res.map((r) => [r.sku, r]));
    for (const sku of ['P-1', 'P-3']) assert.deepEqual(bySku.get(sku), { sku, id: fake.items.get(sku)!.variantId, created: true });
    const refused = bySku.get('P-2');
    assert.ok(refused && 'error' in refused && refused.error.kind === 'permanent' && /Title is too long/.test(refused.error.message), JSON.stringify(refused));
    assert.equal(fake.items.has('P-2'), false);
    // the retry of the refused row alone: found nothing, tried again, still refused; the others are found by SKU
    const again = await connector.upsertProducts([newProduct('P-1', 'Mug'), newProduct('P-2', 'M'.repeat(300))]);
    assert.deepEqual(again.map((r) => [r.sku, 'created' in r ? r.created : 'refused']), [['P-1', false], ['P-2', 'refused']]);
    assert.equal(fake.calls('ProductCreate').length, 4, 'one more, for P-2 only: P-1 is not made twice');
  } finally { await fake.stop(); }
});

test('idempotency keys are deterministic per Dovetail id and distinct across ids', () => {
  assert.equal(idempotencyKey('refund', 'CM-7'), idempotencyKey('refund', 'CM-7'));
  assert.notEqual(idempotencyKey('refund', 'CM-7'), idempotencyKey('refund', 'CM-8'));
  assert.match(idempotencyKey('inventory-adjust', 'MV-1', '0'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
