// `dovetail reconcile products stock` against a real Tryton and Vendure with BENCH_PRODUCTS (200)
// SKUs loaded by Dovetail: seconds and API calls per SKU, beside the raw floor of reading both
// sides by hand in the same pages (one Tryton search_read and one Vendure query per page).
// TRYTON_URL=… TRYTON_DB_DIR=… node --import tsx bench/reconcile-real.ts
import { performance } from 'node:perf_hooks';
import { dec, type TrytonClient } from '../src/connectors/tryton/client.js';
import { reconcile } from '../src/engine/reconcile/reconcile.js';
import { adminGql, freshTrytonDatabase, startVendure } from '../test/integration/helpers/systems.js';
import { engineFor, settingsFor, trytonAdmin } from '../test/integration/helpers/dovetail.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 200);

async function createProducts(t: TrytonClient, n: number) {
  const unit = await t.xmlId('product', 'uom_unit');
  const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
  await t.create('product.template', Array.from({ length: n }, (_, i) => ({ name: `Reconcile ${i}`, type: 'goods', default_uom: unit,
    list_price: dec(`${10 + (i % 50)}.00`), salable: true, sale_uom: unit, account_category: category,
    products: [['create', [{ suffix_code: `RC-${i}`, cost_price: dec('1') }]]] })));
}

const tryton = await freshTrytonDatabase();
const vendure = await startVendure();
try {
  const t = await trytonAdmin(tryton);
  const admin = await adminGql(vendure.url);
  const engine = await engineFor(settingsFor(tryton, vendure).config);
  await createProducts(t, N);
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
