// Counts, from the connector's own code paths, the API calls and GraphQL cost of a first load
// of 10,000 variants with stock, against the local Shopify stand-in on a virtual clock
// (Standard plan: 2,000-point bucket refilling at 100 points/s). Run:
//   node --import tsx bench/shopify-first-load.ts
import { ShopifyConnector } from '../src/connectors/shopify/index.js';
import { MAX_INPUT_ROWS } from '../src/connectors/shopify/writes.js';
import { InventorySetQuantities } from '../src/connectors/shopify/operations.js';
import { FakeShopify, VirtualClock } from '../test/doubles/shopify/server.js';

const VARIANTS = 10_000;
const PER_PRODUCT = 4;
const LOC = 'gid://shopify/Location/1';

interface Row { scenario: string; calls: number; requestedCost: number; virtualSeconds: number; byOperation: Record<string, number> }

async function run(scenario: string, opts: { bulkThreshold: number; createProducts: boolean }): Promise<Row> {
  const clock = new VirtualClock();
  const fake = await new FakeShopify(clock).start();
  fake.bucket = { maximumAvailable: 2000, currentlyAvailable: 2000, restoreRate: 100, at: 0 };
  const skus = Array.from({ length: VARIANTS }, (_, i) => `SKU-${String(i).padStart(5, '0')}`);
  if (!opts.createProducts) for (const sku of skus) fake.addItem(sku, { [LOC]: 0 });
  const connector = new ShopifyConnector({
    shop: 'fake.myshopify.com', accessToken: 't', endpoint: `${fake.url}/graphql.json`, appSecret: 's',
    locations: { Main: LOC }, defaultWarehouse: 'Main', bulkThreshold: opts.bulkThreshold, now: clock.now, sleep: clock.sleep,
  });
  try {
    if (opts.createProducts) {
      const rows = skus.map((sku, i) => ({
        product: { sku, groupKey: `G${Math.floor(i / PER_PRODUCT)}`, fields: { names: { name: `Product ${Math.floor(i / PER_PRODUCT)}`, variantName: sku }, prices: { priceMinor: 1000 + i, currency: 'EUR' } } },
        groups: ['names', 'prices'] as const,
      }));
      for (let i = 0; i < rows.length; i += 500) await connector.upsertProducts(rows.slice(i, i + 500).map((r) => ({ ...r, groups: [...r.groups] })));
      for (const it of fake.items.values()) it.levels.set(LOC, 0);
      if (opts.bulkThreshold <= VARIANTS) {
        fake.bulkJsonl = [...fake.items.values()].flatMap((it) => [
          JSON.stringify({ id: it.variantId, sku: it.sku, inventoryItem: { id: it.inventoryItemId } }),
          JSON.stringify({ location: { id: LOC }, quantities: [{ name: 'available', quantity: 0 }], __parentId: it.variantId }),
        ]).join('\n');
      }
    } else if (opts.bulkThreshold <= VARIANTS) {
      fake.bulkJsonl = [...fake.items.values()].flatMap((it) => [
        JSON.stringify({ id: it.variantId, sku: it.sku, inventoryItem: { id: it.inventoryItemId } }),
        JSON.stringify({ location: { id: LOC }, quantities: [{ name: 'available', quantity: 0 }], __parentId: it.variantId }),
      ]).join('\n');
    }
    fake.bulkPollsToFinish = 3; // Shopify's bulk query takes a while; three polls is an assumption
    const res = await connector.setAvailable(skus.map((sku, i) => ({ sku, available: (i % 50) + 1 })));
    if (res.filter((r) => 'written' in r && r.written).length !== VARIANTS) throw new Error('not every row was written');
    const s = connector.client.stats;
    return { scenario, calls: s.calls, requestedCost: s.requestedCost, virtualSeconds: Math.round(clock.ms / 100) / 10, byOperation: s.byOperation };
  } finally { await fake.stop(); }
}

const rows = [
  await run('stock only, variants exist, paged reads', { bulkThreshold: Infinity, createProducts: false }),
  await run('stock only, variants exist, bulk read (default above 2,000 rows)', { bulkThreshold: 2000, createProducts: false }),
  await run(`products created (${VARIANTS / PER_PRODUCT} products x ${PER_PRODUCT}) + stock, bulk read`, { bulkThreshold: 2000, createProducts: true }),
];
const minCalls = Math.ceil(VARIANTS / MAX_INPUT_ROWS);
console.log(`First load of ${VARIANTS.toLocaleString('en')} variants with stock (Standard plan: 2,000-point bucket, 100 points/s)\n`);
for (const r of rows) {
  console.log(`${r.scenario}\n  API calls: ${r.calls}   requested cost: ${r.requestedCost.toLocaleString('en')} points   virtual time (budget waits + bulk polls): ${r.virtualSeconds} s`);
  console.log(`  ${Object.entries(r.byOperation).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
console.log(`\nminimum the 250-row limit allows for the stock writes: ${minCalls} inventorySetQuantities calls, ${minCalls * (InventorySetQuantities.cost ?? 10)} points`);
console.log('(plus one bulk download of the JSONL result, which is not a GraphQL call and costs no points)');
