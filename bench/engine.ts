// `npm run bench:engine`: the engine alone — queue, storage, rules and handlers — joined to the
// in-memory reference pair on a real SQLite file, so what is measured is Dovetail's own cost, not
// a server's. Each figure stands beside its floor in the same run: the same connector calls made
// by a hand-written loop (batched reads and writes, no queue, no audit, no durability), which is
// what a script without Dovetail's guarantees would pay.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { Engine } from '../src/engine/engine.js';
import { openStorage } from '../src/engine/open.js';
import { createLogger } from '../src/log.js';
import { MemoryInventory, MemoryStore } from '../test/reference/index.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../test/helpers/unreachable-systems.js';

const STOCK_SIZES = (process.env.BENCH_ENGINE_SKUS ?? '10000,100000').split(',').map(Number);
const ORDERS = Number(process.env.BENCH_ENGINE_ORDERS ?? 2_000);
/** rows per feed page: what a real system's API gives in one call (Vendure's take, Tryton's limit) */
const PAGE = 500;

let peakRss = 0;
const sampleRss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };

interface Bench { engine: Engine; store: MemoryStore; inv: MemoryInventory; close(): Promise<void> }

async function openBench(): Promise<Bench> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-bench-'));
  const config = parseConfig(unreachableSettings(stringify({ database: { path: path.join(dir, 'dovetail.sqlite') }, inventory: { debounceMs: 0 } })),
    UNREACHABLE_ENV, 'bench.yaml');
  const store = new MemoryStore({ pageSize: PAGE });
  const inv = new MemoryInventory({ pageSize: PAGE });
  const engine = new Engine({ config, storage: await openStorage(config), store, inventory: inv, log: createLogger('silent') });
  return { engine, store, inv, close: async () => { await engine.ctx.storage.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** Ticks until a pass finds nothing to do; the time and CPU it took. */
async function drain(engine: Engine): Promise<{ ms: number; cpuMs: number; done: number }> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  let done = 0;
  for (;;) {
    const s = await engine.tick();
    sampleRss(); // each pass: the engine's calls to the in-memory pair never yield to a timer
    done += s.done;
    if (s.done + s.retrying + s.failed === 0) break;
  }
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, done };
}

/** The catalogue in both systems, and the engine past its first sight of it (not part of any figure). */
async function withCatalogue(b: Bench, n: number, onHand = 5): Promise<string[]> {
  const skus = Array.from({ length: n }, (_, i) => `SKU-${i}`);
  for (const sku of skus) {
    b.inv.addProduct(sku, { priceMinor: 1000, onHand });
    b.store.addProduct(sku, { prices: { priceMinor: 1000, currency: 'EUR' } }, onHand);
  }
  await drain(b.engine);
  return skus;
}

const rate = (n: number, ms: number) => Math.round(n / ms * 1000);

/** Stock for `n` SKUs changed in the inventory system: the engine reads, queues and publishes every one. */
async function stockFigure(n: number): Promise<{ perSecond: number; floorPerSecond: number; peakMb: number }> {
  // each size's own peak: what was freed after the smaller one is given back before the larger starts
  global.gc?.();
  peakRss = process.memoryUsage().rss;
  const b = await openBench();
  try {
    const skus = await withCatalogue(b, n);
    for (const sku of skus) b.inv.receive(sku, 1);
    const dove = await drain(b.engine);
    const published = skus.filter((sku) => b.store.saleableOf(sku) === 6).length;
    if (published !== n) throw new Error(`stock bench: ${published} of ${n} SKUs published`);
    // the floor: the same reads and writes, a batch of 100 at a time, nothing recorded
    for (const sku of skus) b.inv.receive(sku, 1);
    const t0 = performance.now();
    for (let i = 0; i < n; i += 100) {
      const batch = skus.slice(i, i + 100);
      const stock = await b.inv.getStock(batch);
      await b.store.setAvailable(batch.map((sku) => ({ sku, available: stock.get(sku)!.onHand })));
    }
    return { perSecond: rate(n, dove.ms), floorPerSecond: rate(n, performance.now() - t0), peakMb: Math.round(peakRss / 1e6) };
  } finally { await b.close(); }
}

/** `ORDERS` web orders by as many customers: the engine imports each as a confirmed sale (customer, sale, stock refresh). */
async function ordersFigure(): Promise<{ perSecond: number; cpuMsPerOrder: number; floorPerSecond: number }> {
  const b = await openBench();
  try {
    const skus = await withCatalogue(b, 200, 10 * ORDERS);
    const place = (i: number, prefix: string) => b.store.placeOrder({ customer: { email: `${prefix}${i}@example.com`, firstName: 'Bench', lastName: String(i),
      addresses: [{ fullName: 'Bench', street1: `${i} Main St`, city: 'Berlin', postalCode: '10115', countryCode: 'DE' }] },
    lines: [{ sku: skus[0], quantity: 1 }, { sku: skus[1 + (i % 199)], quantity: 1 }] });
    const placed = Array.from({ length: ORDERS }, (_, i) => place(i, 'shopper'));
    const dove = await drain(b.engine);
    const imported = placed.filter((code) => b.inv.saleOf(code).state === 'confirmed').length;
    if (imported !== ORDERS) throw new Error(`orders bench: ${imported} of ${ORDERS} imported`);
    // the floor: per order, read it, find or make the customer, write the sale
    const codes = Array.from({ length: ORDERS }, (_, i) => place(i, 'script'));
    const t0 = performance.now();
    for (const code of codes) {
      const order = (await b.store.getOrder(code))!;
      const party = await b.inv.upsertCustomer(order.customer);
      await b.inv.importOrder(order, { customerId: party.id });
    }
    return { perSecond: rate(ORDERS, dove.ms), cpuMsPerOrder: dove.cpuMs / ORDERS, floorPerSecond: rate(ORDERS, performance.now() - t0) };
  } finally { await b.close(); }
}

const stock = new Map<number, Awaited<ReturnType<typeof stockFigure>>>();
let overallPeak = 0;
for (const n of STOCK_SIZES) {
  const figure = await stockFigure(n);
  stock.set(n, figure);
  overallPeak = Math.max(overallPeak, peakRss);
  console.log(`stock changes, ${n.toLocaleString('en')} SKUs: ${figure.perSecond.toLocaleString('en')}/s, peak memory ${figure.peakMb} MB | floor (the connectors' own batched calls) ${figure.floorPerSecond.toLocaleString('en')}/s`);
}
const orders = await ordersFigure();
console.log(`web orders, ${ORDERS.toLocaleString('en')} by as many customers: ${orders.perSecond.toLocaleString('en')}/s, ${orders.cpuMsPerOrder.toFixed(2)} ms CPU per order | floor (read, customer, sale per order) ${orders.floorPerSecond.toLocaleString('en')}/s`);
const k = (n: number) => `${n / 1000}k`;
console.log(`engine: stock ${STOCK_SIZES.map((n) => `${stock.get(n)!.perSecond}/s at ${k(n)}`).join(', ')}; orders ${orders.perSecond}/s; ${orders.cpuMsPerOrder.toFixed(2)} ms CPU per order; peak ${Math.round(Math.max(overallPeak, peakRss) / 1e6)} MB`);
