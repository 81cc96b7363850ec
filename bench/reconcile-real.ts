// `dovetail reconcile products stock` against a real Tryton and Vendure with BENCH_PRODUCTS (200)
// SKUs loaded by Dovetail: seconds and API calls per SKU, beside the raw floor of reading both
// sides by hand in the same pages (one Tryton search_read and one Vendure query per page).
// TRYTON_URL=… TRYTON_DB_DIR=… node --import tsx bench/reconcile-real.ts
import { performance } from 'node:perf_hooks';
import { reconcile } from '../src/engine/reconcile/reconcile.js';
import { adminGql, freshTrytonDatabase, startVendure } from '../test/integration/helpers/systems.js';
import { engineFor, settingsFor, trytonAdmin } from '../test/integration/helpers/dovetail.js';
import { createProducts } from './real-systems.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 200);

const tryton = await freshTrytonDatabase();
const vendure = await startVendure();
try {
  const t = await trytonAdmin(tryton);
  const admin = await adminGql(vendure.url);
  const engine = await engineFor(settingsFor(tryton, vendure).config);
  await createProducts(t, 'RC', N);
  await engine.sync('products');
  await engine.tick();
  const t0 = performance.now();
  const report = await reconcile(engine.ctx, { kinds: ['products', 'stock'], repair: false });
  const ms = performance.now() - t0;
  const pageSize = engine.ctx.config.sync.batchSize;
  const f0 = performance.now();
  for (let offset = 0; offset < N; offset += pageSize) {
    const rows = await t.searchRead<{ code: string }>('product.product', [['code', 'like', 'RC-%']], ['code', 'name', 'list_price', 'quantity', 'template'], { offset, limit: pageSize });
    await admin(`query($s: [String!]!) { productVariants(options: { filter: { sku: { in: $s } }, take: ${pageSize} }) { items { sku name price stockOnHand product { name description facetValues { name } } } } }`, { s: rows.map((r) => r.code) });
  }
  const floor = performance.now() - f0;
  const calls = Object.entries(report.calls).map(([k, n]) => `${k} ${n} calls (${(n / N).toFixed(3)}/SKU)`).join(', ');
  console.log(`reconcile of ${N} real SKUs: ${(ms / 1000).toFixed(1)} s, ${report.differences.length} differences; ${calls}`);
  console.log(`raw floor (one Tryton search_read + one Vendure query per ${pageSize} SKUs): ${(floor / 1000).toFixed(1)} s, ${2 * Math.ceil(N / pageSize)} calls`);
  await engine.ctx.storage.close();
} finally {
  await vendure.stop();
}
