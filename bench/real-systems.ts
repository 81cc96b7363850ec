// Dovetail's throughput against a real Tryton and a real Vendure, each figure beside the raw API
// floor measured in the same run on the same servers: the fewest, most batched calls a
// hand-written script needs for the same result. Ratios, not absolute seconds, are the point.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { dec, type TrytonClient } from '../src/connectors/tryton/client.js';
import { InventorySettings, SyncSettings } from '../src/config/schema.js';
import type { Engine } from '../src/engine/engine.js';
import { freshTrytonDatabase, shopCheckout, startVendure, adminGql, type GqlClient } from '../test/integration/helpers/systems.js';
import { engineFor, receiveStock, settingsFor, trytonAdmin } from '../test/integration/helpers/dovetail.js';
import { amendQuantity } from '../test/integration/helpers/tryton-operator.js';

const N = Number(process.env.BENCH_PRODUCTS ?? 200);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 10);

const time = async <T>(fn: () => Promise<T>) => { const t0 = performance.now(); const v = await fn(); return { ms: performance.now() - t0, v }; };
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Calls { tryton: number; vendure: number }
/** The calls Dovetail's own clients have made to each system so far. */
const callsOf = (engine: Engine): Calls => ({
  tryton: (engine.ctx.inventory as unknown as { client: { calls: number } }).client.calls,
  vendure: (engine.ctx.store as unknown as { client: { calls: number } }).client.calls,
});
/** An Admin API client that counts its calls, so the floor's calls are known like Dovetail's. */
function countingAdmin(client: GqlClient): { admin: GqlClient; calls: () => number } {
  let n = 0;
  const admin = (<T>(query: string, variables?: Record<string, unknown>) => { n++; return client<T>(query, variables); }) as GqlClient;
  return { admin, calls: () => n };
}
/** The API calls of one flow, Dovetail's beside the floor script's, by system and per record. */
function callsPerRecord(records: number, what: string, dove: Calls, floor: Calls): string {
  const each = (c: Calls) => `${c.tryton + c.vendure} (Tryton ${c.tryton}, Vendure ${c.vendure}), ${((c.tryton + c.vendure) / records).toFixed(2)} per ${what}`;
  return `API calls: Dovetail ${each(dove)} | floor ${each(floor)}`;
}
const minus = (a: Calls, b: Calls): Calls => ({ tryton: a.tryton - b.tryton, vendure: a.vendure - b.vendure });
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]!;

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
    const { admin, calls: adminCalls } = countingAdmin(await adminGql(vendure.url));
    const settings = settingsFor(tryton, vendure);
    const engine = await engineFor(settings.config);
    /**
     * Works off what is waiting, untimed, before a flow's timed pass: the floor's own records (its
     * products, its sales, which Dovetail carries like any others) and the previous flow's
     * follow-ups are not the next figure's work.
     */
    const settle = async () => {
      for (let pass = 0; pass < 20; pass++) {
        const s = await engine.tick();
        if (s.done + s.retrying + s.failed === 0) return;
      }
    };
    /** the calls made so far by Dovetail and by the floor scripts (the bench's own clients) */
    const floorCalls = (): Calls => ({ tryton: t.calls, vendure: adminCalls() });
    const measured = async <T>(fn: () => Promise<T>, counter: () => Calls) => {
      const before = counter();
      const r = await time(fn);
      return { ...r, calls: minus(counter(), before) };
    };

    // 1. first product load: Dovetail reads Tryton and creates in Vendure, vs the raw floor:
    //    one Tryton search_read and Vendure's batched creates (50 aliased createProduct a request, one createProductVariants).
    const products = await createProducts(t, 'BP', N);
    const dove = await measured(() => engine.sync('products'), () => callsOf(engine));
    const rawProducts = await createProducts(t, 'RAW', N);
    const raw = await measured(async () => {
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
    }, floorCalls);
    lines.push(`first load of ${products.length} products: Dovetail ${fmt(dove.ms)} (${(products.length / dove.ms * 1000).toFixed(1)}/s, ${dove.v.stats.done} done) | raw API floor ${fmt(raw.ms)} for ${rawProducts.length} | ratio ${(dove.ms / raw.ms).toFixed(2)}×`);
    lines.push(`  ${callsPerRecord(products.length, 'product', dove.calls, raw.calls)}`);

    // 2. stock: one Tryton inventory for N SKUs; Dovetail notices and publishes, vs the raw floor:
    //    one Tryton read of quantities and one Vendure updateProductVariants with N rows.
    await settle(); // the first sight of the store's products, and the floor's products, are not part of this figure
    const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
    const [inv] = await t.create('stock.inventory', [{ location: wh.storage_location, company: t.context.company,
      lines: [['create', products.map((p, i) => ({ product: p.id, quantity: 5 + (i % 7) }))]] }]);
    await t.button('stock.inventory', 'confirm', [inv]);
    const doveStock = await measured(() => engine.tick(), () => callsOf(engine));
    const variants = (await admin<{ productVariants: { items: { id: string; sku: string }[] } }>(`{ productVariants(options: { take: ${N}, filter: { sku: { contains: "RAW-" } } }) { items { id sku } } }`)).productVariants.items;
    const rawStock = await measured(async () => {
      const q = await t.read<{ id: number; quantity: number }>('product.product', rawProducts.map((p) => p.id), ['quantity']);
      await admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`, { i: variants.map((v, k) => ({ id: v.id, stockOnHand: 3 + (q[k]?.quantity ?? 0) + k % 5 })) });
    }, floorCalls);
    lines.push(`stock for ${products.length} SKUs after one Tryton inventory: Dovetail poll + publish ${fmt(doveStock.ms)} | raw API floor ${fmt(rawStock.ms)} | ratio ${(doveStock.ms / rawStock.ms).toFixed(2)}×`);
    lines.push(`  ${callsPerRecord(products.length, 'SKU', doveStock.calls, rawStock.calls)}`);

    // 3. web orders: N orders placed in the store; Dovetail imports them as confirmed sales, vs the
    //    raw floor: per order one party lookup, one sale create, quote and confirm in Tryton.
    await settle();
    const codes: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const o = await shopCheckout(vendure.url, { email: `bench${i}@example.com`, firstName: 'Bench', lastName: `${i}`, lines: [{ sku: `BP-${i}`, quantity: 1 }, { sku: `BP-${i + 1}`, quantity: 2 }],
        address: { fullName: 'Bench', streetLine1: `${i} Main St`, city: 'Springfield', postalCode: '12345', countryCode: 'US' } });
      codes.push(o.code);
    }
    const doveOrders = await measured(() => engine.tick(), () => callsOf(engine));
    const [party] = await t.create('party.party', [{ name: 'Raw', addresses: [['create', [{ street: '1', city: 'x', postal_code: '1' }]]] }]);
    const [addr] = await t.search('party.address', [['party', '=', party]]);
    const [term] = await t.search('account.invoice.payment_term', [], { limit: 1 });
    const [warehouse] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1 });
    const unit = await t.xmlId('product', 'uom_unit');
    const rawOrders = await measured(async () => {
      for (let i = 0; i < ORDERS; i++) {
        await t.search('party.contact_mechanism', [['value', '=', `raw${i}@example.com`]]);
        const [s] = await t.create('sale.sale', [{ party, invoice_address: addr, shipment_address: addr, warehouse, payment_term: term, reference: `RAW${i}`,
          lines: [['create', [{ type: 'line', product: rawProducts[i].id, quantity: 1, unit, unit_price: dec('10') }, { type: 'line', product: rawProducts[i + 1].id, quantity: 2, unit, unit_price: dec('10') }]]] }]);
        await t.button('sale.sale', 'quote', [s]);
        await t.button('sale.sale', 'confirm', [s]);
      }
    }, floorCalls);
    const imported = (await t.search('sale.sale', [['reference', 'in', codes]])).length;
    lines.push(`${ORDERS} web orders to confirmed sales: Dovetail ${fmt(doveOrders.ms)} (${imported} imported, incl. customers and stock refresh) | raw API floor ${fmt(rawOrders.ms)} | ratio ${(doveOrders.ms / rawOrders.ms).toFixed(2)}×`);
    lines.push(`  ${callsPerRecord(ORDERS, 'order', doveOrders.calls, rawOrders.calls)}`);
    // 4. cancellations: one unit of each of those orders cancelled in Tryton (an amendment, made
    //    beforehand); Dovetail notices and cancels it in Vendure, vs the raw floor: one Tryton read of
    //    the lines, and per order one Vendure read of its lines and one cancelOrder.
    const sales = await t.searchRead<{ id: number; reference: string }>('sale.sale', [['reference', 'in', codes]], ['reference']);
    await settle(); // the floor's sales are phone sales to Dovetail: shown in the store before this figure
    for (const [i, code] of codes.entries()) await amendQuantity(t, sales.find((x) => x.reference === code)!.id, `BP-${i + 1}`, 1);
    const doveCancels = await measured(() => engine.tick(), () => callsOf(engine));
    const orderLines = async (code: string) => (await admin<{ orders: { items: { id: string; lines: { id: string; quantity: number; productVariant: { sku: string } }[] }[] } }>(
      `query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { id lines { id quantity productVariant { sku } } } } }`, { c: code })).orders.items[0];
    let cancelled = 0;
    for (const [i, code] of codes.entries()) if ((await orderLines(code)).lines.find((l) => l.productVariant.sku === `BP-${i + 1}`)?.quantity === 1) cancelled++;
    const rawCodes: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      rawCodes.push((await shopCheckout(vendure.url, { email: `rawc${i}@example.com`, firstName: 'Raw', lastName: `${i}`, lines: [{ sku: `BP-${i + 1}`, quantity: 2 }],
        address: { fullName: 'Raw', streetLine1: `${i} Main St`, city: 'Springfield', postalCode: '12345', countryCode: 'US' } })).code);
    }
    const rawCancels = await measured(async () => {
      await t.searchRead('sale.line', [['sale', 'in', sales.map((x) => x.id)]], ['quantity', 'product', 'moves_ignored']);
      for (const [i, code] of rawCodes.entries()) {
        const o = await orderLines(code);
        await admin(`mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { __typename } }`,
          { i: { orderId: o.id, lines: [{ orderLineId: o.lines.find((l) => l.productVariant.sku === `BP-${i + 1}`)!.id, quantity: 1 }], reason: 'raw' } });
      }
    }, floorCalls);
    lines.push(`${ORDERS} cancellations made in Tryton to Vendure: Dovetail ${fmt(doveCancels.ms)} (${cancelled} cancelled, incl. money check) | raw API floor ${fmt(rawCancels.ms)} | ratio ${(doveCancels.ms / rawCancels.ms).toFixed(2)}×`);
    lines.push(`  ${callsPerRecord(ORDERS, 'cancellation', doveCancels.calls, rawCancels.calls)}`);
    await engine.ctx.storage.close();

    // 5. lag, with Dovetail running as `dovetail run` does (the same database, restarted with the
    //    given settings): from a change made in one system to its sight in the other. Each change
    //    is made at a random moment of the poll cycle, as a shop's changes are.
    const restarted = (pollIntervalMs: number, debounceMs: number) => engineFor(settingsFor(tryton, vendure,
      { database: { driver: 'sqlite', path: path.join(settings.dir, 'dovetail.sqlite') }, sync: { pollIntervalMs }, inventory: { debounceMs } }).config);
    const stockLags = async (pollMs: number, samples: number, first: number) => {
      const lags: number[] = [];
      for (let i = 0; i < samples; i++) {
        const p = products[first + i]!;
        const shown = async () => (await admin<{ productVariants: { items: { stockOnHand: number }[] } }>(
          `query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items { stockOnHand } } }`, { s: p.code })).productVariants.items[0]?.stockOnHand;
        const before = await shown();
        await sleep(Math.random() * pollMs);
        await receiveStock(t, p.id, 40 + i);
        const t0 = performance.now();
        while ((await shown()) === before) {
          if (performance.now() - t0 > 60_000) throw new Error(`lag bench: the stock of ${p.code} did not reach Vendure in a minute`);
          await sleep(50);
        }
        lags.push(performance.now() - t0);
      }
      return lags.sort((a, b) => a - b);
    };
    const orderLags = async (pollMs: number, samples: number, tag: string) => {
      const lags: number[] = [];
      for (let i = 0; i < samples; i++) {
        await sleep(Math.random() * pollMs);
        const { code } = await shopCheckout(vendure.url, { email: `lag${tag}${i}@example.com`, firstName: 'Lag', lastName: `${i}`, lines: [{ sku: `BP-${100 + i}`, quantity: 1 }],
          address: { fullName: 'Lag', streetLine1: `${i} Main St`, city: 'Springfield', postalCode: '12345', countryCode: 'US' } });
        const t0 = performance.now();
        while (!(await t.search('sale.sale', [['reference', '=', code], ['state', 'in', ['confirmed', 'processing', 'done']]])).length) {
          if (performance.now() - t0 > 60_000) throw new Error(`lag bench: order ${code} was not a confirmed sale in a minute`);
          await sleep(50);
        }
        lags.push(performance.now() - t0);
      }
      return lags.sort((a, b) => a - b);
    };
    const defaults = { pollIntervalMs: SyncSettings.parse({}).pollIntervalMs, debounceMs: InventorySettings.parse({}).debounceMs };
    for (const [label, pollMs, debounceMs, samples] of [['default settings', defaults.pollIntervalMs, defaults.debounceMs, 8], ['1 s polling', 1000, defaults.debounceMs, 10]] as const) {
      const running = await restarted(pollMs, debounceMs);
      const stop = new AbortController();
      const loop = running.run(stop.signal);
      try {
        await sleep(2 * pollMs); // past the restart's first pass
        const stockLag = await stockLags(pollMs, samples, label === '1 s polling' ? 60 : 40);
        const orderLag = await orderLags(pollMs, samples, pollMs.toString());
        const p = (l: number[]) => `p50 ${fmt(percentile(l, 50))}, p95 ${fmt(percentile(l, 95))}`;
        lines.push(`lag, ${label} (poll every ${pollMs / 1000} s, stock grouped ${debounceMs / 1000} s): stock change in Tryton → Vendure ${p(stockLag)} | web order → confirmed sale ${p(orderLag)} (${samples} each; floor: the poll interval)`);
      } finally {
        stop.abort();
        await loop;
        await running.ctx.storage.close();
      }
    }
  } finally {
    await vendure.stop();
  }
  return lines;
}
