// Dovetail's throughput against a real Tryton and a real Vendure, each figure beside the raw API
// floor measured in the same run on the same servers: the fewest, most batched calls a
// hand-written script needs for the same result. Ratios, not absolute seconds, are the point.
import { performance } from 'node:perf_hooks';
import { dec, type TrytonClient } from '../src/connectors/tryton/client.js';
import { freshTrytonDatabase, shopCheckout, startVendure, adminGql } from '../test/integration/helpers/systems.js';
import { engineFor, receiveStock, settingsFor, trytonAdmin } from '../test/integration/helpers/dovetail.js';
import { amendQuantity } from '../test/integration/helpers/tryton-operator.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 200);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 10);

const time = async <T>(fn: () => Promise<T>) => { const t0 = performance.now(); const v = await fn(); return { ms: performance.now() - t0, v }; };
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** `n` salable goods with codes `<prefix>-<i>`, made in one call; their ids and codes. */
export async function createProducts(t: TrytonClient, prefix: string, n: number) {
  const unit = await t.xmlId('product', 'uom_unit');
  const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
  await t.create('product.template', Array.from({ length: n }, (_, i) => ({ name: `Bench ${prefix} ${i}`, type: 'goods', default_uom: unit,
    list_price: dec(`${10 + (i % 50)}.00`), salable: true, sale_uom: unit, account_category: category,
    products: [['create', [{ suffix_code: `${prefix}-${i}`, cost_price: dec('1') }]]] })));
  return t.searchRead<{ id: number; code: string }>('product.product', [['code', 'like', `${prefix}-%`]], ['code']);
}

export async function benchRealSystems(): Promise<string[]> {
  const lines: string[] = [];
  const tryton = await freshTrytonDatabase();
  const vendure = await startVendure();
  try {
    const t = await trytonAdmin(tryton);
    const admin = await adminGql(vendure.url);
    const engine = await engineFor(settingsFor(tryton, vendure).config);

    // 1. first product load: Dovetail reads Tryton and creates in Vendure, vs the raw floor:
    //    one Tryton search_read and Vendure's batched creates (50 aliased createProduct a request, one createProductVariants).
    const products = await createProducts(t, 'BP', N);
    const dove = await time(() => engine.sync('products'));
    const rawProducts = await createProducts(t, 'RAW', N);
    const raw = await time(async () => {
      const rows = await t.searchRead<{ code: string; name: string; list_price: { decimal: string } }>('product.product', [['code', 'like', 'RAW-%']], ['code', 'name', 'list_price']);
      const ids: string[] = [];
      for (let i = 0; i < rows.length; i += 50) {
        const chunk = rows.slice(i, i + 50);
        const q = `mutation { ${chunk.map((r, j) => `p${j}: createProduct(input: { enabled: true, translations: [{ languageCode: en, name: ${JSON.stringify(r.name)}, slug: ${JSON.stringify(r.code.toLowerCase())}, description: "" }] }) { id }`).join('\n')} }`;
        const res = await admin<Record<string, { id: string }>>(q);
        ids.push(...chunk.map((_, j) => res[`p${j}`].id));
      }
      await admin(`mutation($i: [CreateProductVariantInput!]!) { createProductVariants(input: $i) { id } }`, { i: rows.map((r, k) => ({
        productId: ids[k], sku: r.code, price: Math.round(Number(r.list_price.decimal) * 100), stockOnHand: 0, trackInventory: 'TRUE', translations: [{ languageCode: 'en', name: r.name }] })) });
    });
    lines.push(`first load of ${products.length} products: Dovetail ${fmt(dove.ms)} (${(products.length / dove.ms * 1000).toFixed(1)}/s, ${dove.v.stats.done} done) | raw API floor ${fmt(raw.ms)} for ${rawProducts.length} | ratio ${(dove.ms / raw.ms).toFixed(2)}×`);

    // 2. stock: one Tryton inventory for N SKUs; Dovetail notices and publishes, vs the raw floor:
    //    one Tryton read of quantities and one Vendure updateProductVariants with N rows.
    await engine.tick(); // settle: the first sight of the store's products is not part of this figure
    const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
    const [inv] = await t.create('stock.inventory', [{ location: wh.storage_location, company: t.context.company,
      lines: [['create', products.map((p, i) => ({ product: p.id, quantity: 5 + (i % 7) }))]] }]);
    await t.button('stock.inventory', 'confirm', [inv]);
    const doveStock = await time(() => engine.tick());
    const variants = (await admin<{ productVariants: { items: { id: string; sku: string }[] } }>(`{ productVariants(options: { take: ${N}, filter: { sku: { contains: "RAW-" } } }) { items { id sku } } }`)).productVariants.items;
    const rawStock = await time(async () => {
      const q = await t.read<{ id: number; quantity: number }>('product.product', rawProducts.map((p) => p.id), ['quantity']);
      await admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`, { i: variants.map((v, k) => ({ id: v.id, stockOnHand: 3 + (q[k]?.quantity ?? 0) + k % 5 })) });
    });
    lines.push(`stock for ${products.length} SKUs after one Tryton inventory: Dovetail poll + publish ${fmt(doveStock.ms)} | raw API floor ${fmt(rawStock.ms)} | ratio ${(doveStock.ms / rawStock.ms).toFixed(2)}×`);

    // 3. web orders: N orders placed in the store; Dovetail imports them as confirmed sales, vs the
    //    raw floor: per order one party lookup, one sale create, quote and confirm in Tryton.
    const codes: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const o = await shopCheckout(vendure.url, { email: `bench${i}@example.com`, firstName: 'Bench', lastName: `${i}`, lines: [{ sku: `BP-${i}`, quantity: 1 }, { sku: `BP-${i + 1}`, quantity: 2 }],
        address: { fullName: 'Bench', streetLine1: `${i} Main St`, city: 'Springfield', postalCode: '12345', countryCode: 'US' } });
      codes.push(o.code);
    }
    const doveOrders = await time(() => engine.tick());
    const [party] = await t.create('party.party', [{ name: 'Raw', addresses: [['create', [{ street: '1', city: 'x', postal_code: '1' }]]] }]);
    const [addr] = await t.search('party.address', [['party', '=', party]]);
    const [term] = await t.search('account.invoice.payment_term', [], { limit: 1 });
    const [warehouse] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1 });
    const unit = await t.xmlId('product', 'uom_unit');
    const rawOrders = await time(async () => {
      for (let i = 0; i < ORDERS; i++) {
        await t.search('party.contact_mechanism', [['value', '=', `raw${i}@example.com`]]);
        const [s] = await t.create('sale.sale', [{ party, invoice_address: addr, shipment_address: addr, warehouse, payment_term: term, reference: `RAW${i}`,
          lines: [['create', [{ type: 'line', product: rawProducts[i].id, quantity: 1, unit, unit_price: dec('10') }, { type: 'line', product: rawProducts[i + 1].id, quantity: 2, unit, unit_price: dec('10') }]]] }]);
        await t.button('sale.sale', 'quote', [s]);
        await t.button('sale.sale', 'confirm', [s]);
      }
    });
    const imported = (await t.search('sale.sale', [['reference', 'in', codes]])).length;
    lines.push(`${ORDERS} web orders to confirmed sales: Dovetail ${fmt(doveOrders.ms)} (${imported} imported, incl. customers and stock refresh) | raw API floor ${fmt(rawOrders.ms)} | ratio ${(doveOrders.ms / rawOrders.ms).toFixed(2)}×`);
    // 4. cancellations: one unit of each of those orders cancelled in Tryton (an amendment, made
    //    beforehand); Dovetail notices and cancels it in Vendure, vs the raw floor: one Tryton read of
    //    the lines, and per order one Vendure read of its lines and one cancelOrder.
    const sales = await t.searchRead<{ id: number; reference: string }>('sale.sale', [['reference', 'in', codes]], ['reference']);
    for (const [i, code] of codes.entries()) await amendQuantity(t, sales.find((x) => x.reference === code)!.id, `BP-${i + 1}`, 1);
    const doveCancels = await time(() => engine.tick());
    const orderLines = async (code: string) => (await admin<{ orders: { items: { id: string; lines: { id: string; quantity: number; productVariant: { sku: string } }[] }[] } }>(
      `query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { id lines { id quantity productVariant { sku } } } } }`, { c: code })).orders.items[0];
    let cancelled = 0;
    for (const [i, code] of codes.entries()) if ((await orderLines(code)).lines.find((l) => l.productVariant.sku === `BP-${i + 1}`)?.quantity === 1) cancelled++;
    const rawCodes: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      rawCodes.push((await shopCheckout(vendure.url, { email: `rawc${i}@example.com`, firstName: 'Raw', lastName: `${i}`, lines: [{ sku: `BP-${i + 1}`, quantity: 2 }],
        address: { fullName: 'Raw', streetLine1: `${i} Main St`, city: 'Springfield', postalCode: '12345', countryCode: 'US' } })).code);
    }
    const rawCancels = await time(async () => {
      await t.searchRead('sale.line', [['sale', 'in', sales.map((x) => x.id)]], ['quantity', 'product', 'moves_ignored']);
      for (const [i, code] of rawCodes.entries()) {
        const o = await orderLines(code);
        await admin(`mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { __typename } }`,
          { i: { orderId: o.id, lines: [{ orderLineId: o.lines.find((l) => l.productVariant.sku === `BP-${i + 1}`)!.id, quantity: 1 }], reason: 'raw' } });
      }
    });
    lines.push(`${ORDERS} cancellations made in Tryton to Vendure: Dovetail ${fmt(doveCancels.ms)} (${cancelled} cancelled, incl. money check) | raw API floor ${fmt(rawCancels.ms)} | ratio ${(doveCancels.ms / rawCancels.ms).toFixed(2)}×`);
    lines.push(`API calls made by Dovetail: Tryton ${engine.ctx.inventory.system === 'tryton' ? (engine.ctx.inventory as unknown as { client: { calls: number } }).client.calls : '?'}, Vendure ${(engine.ctx.store as unknown as { client: { calls: number } }).client.calls}`);
    await engine.ctx.storage.close();
  } finally {
    await vendure.stop();
  }
  return lines;
}
