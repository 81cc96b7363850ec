// One web order's whole life between a real Tryton and the stateful Shopify double, with Dovetail
// run as its own process (`dovetail run` over settings with `type: shopify`, `adminUrl` pointing at
// the double) and killed (SIGKILL) at the critical point of every step, then again between steps:
// order of 2 lines → ship 1 in Tryton → capture its part → cancel the other → return the shipped
// one → credit memo → refund. The double lives in the test process, so its state outlives every
// death. At the end both systems agree on quantities and money to the cent, and the double's own
// records hold each capture, fulfilment, order edit, return and refund exactly once. Then a phone
// sale shown in Shopify as paid offline, once (the engine ticked in-process there).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ShopifyConnector } from '../../src/connectors/shopify/index.js';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { capability, oneOrder } from '../../src/connectors/types.js';
import { Engine } from '../../src/engine/engine.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { MAPPING } from '../../src/store/mapping-kinds.js';
import { DovetailError } from '../../src/errors.js';
import { decimalToMinor } from '../../src/model/money.js';
import { linesAgree } from '../../src/model/order-lines.js';
import { FakeShopify } from '../doubles/shopify/server.js';
import type { Order } from '../doubles/shopify/state.js';
import { createTrytonProduct, receiveStock, salesFor, shipWhatIsThere, trytonAdmin, until } from './helpers/dovetail.js';
import { tickUntil as tickUntilStrict, trytonMoney } from './helpers/order-changes.js';
import { offlineSale, phoneCustomer, settle } from './helpers/offline.js';
import { cancelUnshipped, postCreditNotesOf, returnUnits } from './helpers/tryton-operator.js';
import { freshTrytonDatabase, type TrytonDatabase } from './helpers/systems.js';
import { freePort } from './helpers/free-port.js';

const LOCATION = 'gid://shopify/Location/1';
const address = { firstName: 'Grace', lastName: 'Buyer', company: null, address1: '9 Harbour Rd', address2: null, city: 'Springfield', provinceCode: null, zip: '12345', countryCode: 'US', phone: null };


/** A dovetail.yaml with `type: shopify` whose `adminUrl` is the double's endpoint, written to a temp folder with its SQLite database. */
async function settingsOnDouble(tdb: TrytonDatabase, fake: FakeShopify, rules: Record<string, unknown>): Promise<{ file: string; dir: string; env: Record<string, string>; config: Config }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-shopify-'));
  const text = stringify({
    database: { driver: 'sqlite', path: 'dovetail.sqlite' },
    systems: {
      inventory: { type: 'tryton', url: tdb.url, database: tdb.database, username: tdb.username, password: '${TRYTON_PASSWORD}' },
      store: { type: 'shopify', shop: 'fake.myshopify.com', accessToken: 'shpat_test', webhookSecret: 'test-webhook-secret-0123456789',
        adminUrl: fake.endpoint, locations: { Main: LOCATION } },
    },
    inventory: { debounceMs: 0 },
    sync: { pollIntervalMs: 300 },
    // its own port: other suites may run `dovetail run` on the default one at the same time
    server: { port: await freePort() },
    rules,
  });
  const file = path.join(dir, 'dovetail.yaml');
  writeFileSync(file, text);
  const env = { TRYTON_PASSWORD: tdb.password };
  return { file, dir, env, config: parseConfig(text, env, file, { baseDir: dir }) };
}

/** The engine over those settings, run in-process tick by tick. */
async function engineOnDouble(tdb: TrytonDatabase, fake: FakeShopify, rules: Record<string, unknown>): Promise<Engine> {
  const engine = new Engine(await openContext((await settingsOnDouble(tdb, fake, rules)).config, createLogger(process.env.DOVETAIL_TEST_LOG ?? 'silent')));
  assert.ok(engine.ctx.store instanceof ShopifyConnector);
  return engine;
}

async function removeFromStock(t: TrytonClient, productId: number) {
  const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
  const [inv] = await t.create('stock.inventory', [{ location: wh!.storage_location, company: t.context.company, lines: [['create', [{ product: productId, quantity: 0 }]]] }]);
  await t.button('stock.inventory', 'confirm', [inv]);
}

const passing = (err: unknown) => err instanceof DovetailError && err.kind === 'transient';

/** `fn` for `until`: a Tryton read that meets that passing error counts as not yet. */
const orNotYet = <T>(fn: () => Promise<T | undefined | null | false>) => async () => {
  try { return await fn(); } catch (err) { if (passing(err)) return null; throw err; }
};

/**
 * Ticks until `fn` holds; a read of the shared test Tryton that meets its passing empty error
 * (transient, seen while its worker processes a just-confirmed sale) is read again, as Dovetail would.
 */
const tickUntil = <T>(engine: Engine, what: string, fn: () => Promise<T | undefined | null | false>) => tickUntilStrict(engine, what, orNotYet(fn));

/** One read of Tryton for an assertion, read again after its passing empty error. */
async function read<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try { return await fn(); } catch (err) {
      if (!passing(err) || attempt === 5) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const line = (o: Order, sku: string) => o.lines.find((l) => l.sku === sku)!;
const gross = (o: Order, sku: string) => { const l = line(o, sku); return l.unitPriceMinor * l.quantity + Math.round((l.unitPriceMinor * l.quantity * l.taxRatePercent) / 100); };

describe('the order lifecycle on Shopify, Dovetail killed at every step', () => {
  let tdb: TrytonDatabase; let t: TrytonClient; let fake: FakeShopify;
  let settings: Awaited<ReturnType<typeof settingsOnDouble>>;
  let lid: number;
  const dovetail = new DovetailProcess(() => settings);
  /** Rows of Dovetail's own database, read beside the running process. */
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(path.join(settings.dir, 'dovetail.sqlite'), { readonly: true, fileMustExist: true });
    try { return db.prepare(sql).all(...params) as T[]; } finally { db.close(); }
  };
  /** The running Dovetail read the shop a few more times and has no work of the order left (so the next kill falls between steps). */
  async function caughtUp(code: string) {
    const polled = fake.calls('OrdersUpdatedSince').length;
    await until(`Dovetail caught up with order ${code}`, async () => fake.calls('OrdersUpdatedSince').length >= polled + 9
      && query("SELECT 1 FROM jobs WHERE (key = ? OR key LIKE ?) AND state IN ('pending', 'running')", code, `${code}:%`).length === 0, 90_000);
  }

  before(async () => {
    tdb = await freshTrytonDatabase(); t = await trytonAdmin(tdb);
    fake = await new FakeShopify().start();
    // the double's cost budget refills on a clock that does not move here: large enough never to throttle
    fake.bucket = { maximumAvailable: 1e9, currentlyAvailable: 1e9, restoreRate: 1e6, at: 0 };
    settings = await settingsOnDouble(tdb, fake, { capture: 'atShipment', settleFrom: 'store', cancellationsIn: 'inventory', returnsIn: 'inventory',
      returnsToStore: true, creditMemosIn: 'inventory', refundsIn: 'inventory' });
    const kettle = await createTrytonProduct(t, 'KETTLE-1', 'Copper kettle', '40.00');
    lid = await createTrytonProduct(t, 'LID-1', 'Spare lid', '6.00');
    await receiveStock(t, kettle, 4);
    await receiveStock(t, lid, 2);
    await dovetail.start();
    await until('both products on sale in Shopify', async () => ['KETTLE-1', 'LID-1'].every((sku) => (fake.items.get(sku)?.levels.get(LOCATION) ?? 0) > 0), 90_000);
  });
  after(async () => {
    await dovetail.kill();
    await fake?.stop();
  });

  test('order → ship 1 → capture → cancel the other → return → credit memo → refund: agree to the cent, each movement once', async () => {
    // 1. the order: a kettle and a lid, authorised at checkout, placed while Dovetail is down;
    // Dovetail dies right after writing the sale, before it noted the import
    await dovetail.kill();
    const order = fake.shop.placeOrder({ email: 'grace@example.com', address, lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }], shipping: { title: 'Standard', priceMinor: 500 } });
    const code = order.legacyId;
    const placedTotal = fake.shop.currentTotal(order);
    const kettleGross = gross(order, 'KETTLE-1'), lidGross = gross(order, 'LID-1'), shippingGross = fake.shop.shippingGross(order);
    assert.deepEqual([kettleGross, lidGross, shippingGross, placedTotal], [4800, 720, 600, 6120]);
    await dovetail.crashAt('order.saleWritten');
    const sale = await until('the sale in Tryton', orNotYet(async () => (await salesFor(t, code)).find((s) => s.state === 'processing')), 90_000);
    assert.equal(decimalToMinor(String((sale.total_amount as { decimal: string }).decimal)), placedTotal, 'Tryton\'s sale totals the Shopify order, to the cent');
    await caughtUp(code);

    // 2. the warehouse ships the kettle only: Dovetail dies right after making the fulfilment, then
    // again right after capturing its part, each time before it noted what it did
    await dovetail.kill();
    await removeFromStock(t, lid);
    await shipWhatIsThere(t, code);
    await dovetail.crashAt('shipment.fulfilmentWritten', { restart: false });
    assert.equal(order.fulfillments.length, 1, 'the fulfilment was made before the crash');
    await dovetail.crashAt('capture.captured');
    await until('the kettle captured and recorded in Tryton', orNotYet(async () => (await trytonMoney(t, sale.id)).received === kettleGross + shippingGross), 90_000);
    assert.deepEqual(order.fulfillments.map((f) => f.lines.map((l) => [line(order, 'KETTLE-1').id === l.lineItemId, l.quantity])), [[[true, 1]]], 'one fulfilment, of the kettle');
    assert.deepEqual(order.transactions.filter((x) => x.kind === 'CAPTURE').map((x) => x.amountMinor), [kettleGross + shippingGross], 'one capture, of the kettle and shipping');
    await caughtUp(code);
    await dovetail.kill();

    // 3. the lid is cancelled in Tryton: Dovetail dies right after the order edit in Shopify,
    // before it noted that — and stays down while the next step happens
    await cancelUnshipped(t, sale.id, 'LID-1');
    await dovetail.crashAt('orderChanges.carried', { restart: false });
    assert.equal(line(order, 'LID-1').currentQuantity, 0, 'the lid was taken off the Shopify order before the crash');
    assert.equal(fake.shop.currentTotal(order), placedTotal - lidGross, 'the order total lost the lid, to the cent');
    assert.equal(order.cancelledAt, null, 'the kettle had shipped: the order stays, edited');

    // 4. the kettle comes back: a return in Tryton while Dovetail is down; it dies again right
    // after showing the return in Shopify
    const returnSale = await returnUnits(t, sale.id, [{ sku: 'KETTLE-1', quantity: 1 }]);
    await dovetail.crashAt('orderChanges.carried');
    assert.deepEqual(order.returns.map((r) => [r.status, r.lines.map((l) => [l.lineItemId === line(order, 'KETTLE-1').id, l.quantity])]), [['CLOSED', [[true, 1]]]],
      'the return was made and processed in Shopify before the crash');
    await caughtUp(code);
    await dovetail.kill();

    // 5. the credit memo, posted in Tryton, makes the refund through Shopify; Dovetail dies right
    // after refunding, before it recorded the refund in Tryton
    await postCreditNotesOf(t, returnSale);
    await dovetail.crashAt('refund.refunded');
    await until('the refund recorded in Tryton', orNotYet(async () => (await trytonMoney(t, sale.id)).paidOut > 0), 90_000);
    await dovetail.kill();

    // a healthy Dovetail reads the shop a few more times and works off what it found: nothing changes
    await dovetail.start();
    await caughtUp(code);
    await dovetail.kill();
    assert.deepEqual(query("SELECT kind, key, last_error FROM jobs WHERE state = 'failed'"), [], 'no job gave up');

    // the double's own records: each movement made once
    const succeeded = (kind: string) => order.transactions.filter((x) => x.kind === kind && x.status === 'SUCCESS');
    const sum = (xs: { amountMinor: number }[]) => xs.reduce((n, x) => n + x.amountMinor, 0);
    assert.deepEqual(succeeded('CAPTURE').map((x) => x.amountMinor), [kettleGross + shippingGross], 'captured once: the kettle and shipping');
    assert.deepEqual(succeeded('REFUND').map((x) => x.amountMinor), [kettleGross], 'refunded once: the returned kettle');
    assert.equal(order.refunds.length, 1, 'one refund');
    assert.equal(order.fulfillments.length, 1, 'one fulfilment');
    assert.equal(order.returns.length, 1, 'one return');
    assert.equal([...fake.shop.edits.values()].filter((e) => e.orderId === order.id && e.committed).length, 1, 'one order edit: the lid taken off once');
    assert.deepEqual(fake.calls('OrderCapture').map((c) => c.status), [200], 'one capture asked for');
    assert.deepEqual(fake.calls('FulfillmentCreate').map((c) => c.status), [200], 'one fulfilment asked for');
    assert.equal(fake.calls('ReturnCreate').length, 1, 'one return asked for');
    const ledger = JSON.parse(order.metafields.get('dovetail.ledger')!.value) as Record<'captures' | 'fulfilments', Record<string, { ids: string[] }>>;
    assert.deepEqual(Object.values(ledger.captures).map((e) => e.ids), [[succeeded('CAPTURE')[0]!.id]], 'Dovetail\'s notes on the order claim the one capture');
    assert.deepEqual(Object.values(ledger.fulfilments).map((e) => e.ids), [[order.fulfillments[0]!.id]], 'and the one fulfilment');

    // both systems agree, to the cent
    // the return sale is Tryton's copy of the sale, reference included
    assert.deepEqual((await read(() => salesFor(t, code))).map((s) => s.id).sort((a, b) => a - b), [sale.id, returnSale], 'one sale in Tryton, and its return');
    const money = await read(() => trytonMoney(t, sale.id));
    assert.deepEqual([money.received, money.paidOut, money.count], [sum(succeeded('CAPTURE')), sum(succeeded('REFUND')), 2], 'Tryton received and paid out what Shopify moved, to the cent, once each');
    const ctx = await openContext(settings.config, createLogger('silent'));
    try {
      const store = await oneOrder(capability(ctx.store, 'orderChanges', 'this test').getOrderLines([code]), code);
      const inventory = await read(() => oneOrder(capability(ctx.inventory, 'orderChanges', 'this test').getSaleLines([code]), code));
      assert.ok(store && inventory);
      assert.ok(linesAgree(store, inventory), `both systems give the customer the same units: ${JSON.stringify({ store: store.lines, inventory: inventory.lines })}`);
      assert.deepEqual(store.lines.map((l) => [l.sku, l.quantity, l.returned]).sort(), [['KETTLE-1', 0, 1], ['LID-1', 0, 0]]);
      assert.deepEqual((await ctx.storage.conflicts()).filter((c) => c.recordKey === code), [], 'no conflict left open');
    } finally {
      await ctx.storage.close();
    }
  });
});

describe('offline orders on Shopify', () => {
  let tdb: TrytonDatabase; let t: TrytonClient; let fake: FakeShopify; let engine: Engine;
  let lamp: number;

  before(async () => {
    tdb = await freshTrytonDatabase(); t = await trytonAdmin(tdb);
    fake = await new FakeShopify().start();
    fake.bucket = { maximumAvailable: 1_000_000, currentlyAvailable: 1_000_000, restoreRate: 1_000_000, at: 0 };
    engine = await engineOnDouble(tdb, fake, { offlineOrdersToStore: 'all', quotesFrom: 'store' });
    lamp = await createTrytonProduct(t, 'LAMP-1', 'Desk lamp', '35.00');
    await receiveStock(t, lamp, 10);
    await tickUntil(engine, 'the lamp on sale in Shopify', async () => (fake.items.get('LAMP-1')?.levels.get(LOCATION) ?? 0) > 0);
  });
  after(async () => { await engine?.ctx.storage.close(); await fake?.stop(); });

  test('a phone sale becomes a Shopify order placed as paid offline (no money taken), known under its order code, never imported back', async () => {
    const phone = await phoneCustomer(t, 'Paula Phone', 'paula@example.com');
    const sale = await offlineSale(t, phone, [{ product: lamp, quantity: 2, price: '35.00' }]);
    await settle(engine);
    for (let i = 0; i < 3; i++) await engine.tick();

    assert.deepEqual([...fake.shop.drafts.values()].map((d) => d.status), ['COMPLETED'], 'one draft, completed');
    const orders = [...fake.shop.orders.values()];
    assert.equal(orders.length, 1, 'one Shopify order for the sale');
    const [order] = orders;
    assert.equal(order!.sourceName, 'dovetail-offline');
    assert.deepEqual(order!.lines.map((l) => [l.sku, l.quantity]), [['LAMP-1', 2]]);
    assert.deepEqual(order!.transactions.map((x) => [x.kind, x.gateway, x.amountMinor]), [['SALE', 'manual', fake.shop.currentTotal(order!)]], 'marked paid offline, nothing authorised or captured');
    assert.equal(fake.shop.customers.get(order!.customerId!)?.email, 'paula@example.com');
    assert.equal(await engine.ctx.storage.mapping('tryton', MAPPING.sale, order!.legacyId), String(sale), 'known under the Shopify order\'s own code');
    assert.deepEqual(await read(() => salesFor(t, order!.legacyId)), [], 'not imported back as a web sale');
    assert.equal((await read(() => t.search('sale.sale', []))).length, 1);
    assert.equal(fake.calls('DraftOrderComplete').length, 1);
  });
});
