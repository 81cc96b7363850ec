// How long `dovetail reconcile products stock` takes over a large catalogue, on the in-memory
// reference pair: what the engine itself costs per SKU (paging, comparing, storage), without API time.
// node --import tsx bench/reconcile-100k.ts   (BENCH_SKUS=100000 by default)
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { openStorage } from '../src/engine/open.js';
import { reconcile } from '../src/engine/reconcile/reconcile.js';
import { createLogger } from '../src/log.js';
import { FIELD_GROUPS } from '../src/model/product.js';
import { MemoryInventory, MemoryStore } from '../test/reference/index.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../test/helpers/unreachable-systems.js';

const N = Number(process.env.BENCH_SKUS ?? 100_000);
/** one SKU in this many is planted with a different stock count, so the drift path runs too */
const DRIFT_EVERY = 1_000;

const config = parseConfig(unreachableSettings(stringify({ database: { path: ':memory:' }, sync: { batchSize: 250 } })), UNREACHABLE_ENV, 'bench.yaml');
const store = new MemoryStore({ pageSize: 250 });
const inventory = new MemoryInventory({ pageSize: 250 });
for (let i = 0; i < N; i++) {
  const sku = `SKU-${i}`;
  inventory.addProduct(sku, { priceMinor: 1000 + (i % 500), onHand: i % 37, fields: { descriptions: { description: `Item ${i}` }, categories: { names: ['Goods'] } } });
}
for (let offset = 0; offset < N; offset += 250) {
  const skus = await inventory.listSkus(offset, 250);
  const products = await inventory.getProducts(skus);
  await store.upsertProducts([...products.values()].map((product) => ({ product, groups: FIELD_GROUPS.filter((g) => product.fields[g] !== undefined) })));
  const stock = await inventory.getStock(skus);
  await store.setAvailable(skus.map((sku, j) => ({ sku, available: (offset + j) % DRIFT_EVERY === 0 ? 999 : stock.get(sku)!.onHand })));
}
const ctx = { config, storage: await openStorage(config), store, inventory, log: createLogger('silent') };
const t0 = performance.now();
const report = await reconcile(ctx, { kinds: ['products', 'stock'], repair: false });
const seconds = (performance.now() - t0) / 1000;
console.log(`reconcile of ${N} SKUs (products per field group, stock as published), ${config.sync.batchSize} a page: ${seconds.toFixed(1)} s, `
  + `${Math.round(N / seconds)} SKUs/s; compared ${JSON.stringify(report.compared)}, ${report.differences.length} differences`);
await ctx.storage.close();
