// One web order's whole life between a real Tryton and the stateful Shopify double, Dovetail's
// engine ticked in-process over settings with `type: shopify`: order of 2 lines → ship 1 in
// Tryton → capture its part → cancel the other → return the shipped one → credit memo → refund.
// At the end both systems agree on quantities and money to the cent, and each capture, refund
// and fulfilment was made once. Then a phone sale shown in Shopify as paid offline, once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ShopifyConnector } from '../../src/connectors/shopify/index.js';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { capability } from '../../src/connectors/types.js';
import { Engine } from '../../src/engine/engine.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { MAPPING } from '../../src/store/mapping-kinds.js';
import { DovetailError } from '../../src/errors.js';
import { decimalToMinor } from '../../src/model/money.js';
import { linesAgree } from '../../src/model/order-lines.js';
import { FakeShopify } from '../doubles/shopify/server.js';
import type { Order } from '../doubles/shopify/state.js';
import { createTrytonProduct, receiveStock, salesFor, shipWhatIsThere, trytonAdmin } from './helpers/dovetail.js';
import { tickUntil as tickUntilStrict, trytonMoney } from './helpers/order-changes.js';
import { offlineSale, phoneCustomer, settle } from './helpers/offline.js';
import { cancelUnshipped, postCreditNotesOf, returnUnits } from './helpers/tryton-operator.js';
import { freshTrytonDatabase, type TrytonDatabase } from './helpers/systems.js';

const LOCATION = 'gid://shopify/Location/1';
const address = { firstName: 'Grace', lastName: 'Buyer', company: null, address1: '9 Harbour Rd', address2: null, city: 'Springfield', provinceCode: null, zip: '12345', countryCode: 'US', phone: null };

/** Settings with `type: shopify` whose `adminUrl` is the double's endpoint, and the engine over them. */
async function engineOnDouble(tdb: TrytonDatabase, fake: FakeShopify, rules: Record<string, unknown>): Promise<Engine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-shopify-'));
  const text = stringify({
    database: { driver: 'sqlite', path: 'dovetail.sqlite' },
    systems: {
      inventory: { type: 'tryton', url: tdb.url, database: tdb.database, username: tdb.username, password: '${TRYTON_PASSWORD}' },
      store: { type: 'shopify', shop: 'fake.myshopify.com', accessToken: 'shpat_test', webhookSecret: 'test-webhook-secret-0123456789',
        adminUrl: fake.endpoint, locations: { Main: LOCATION } },
    },
    inventory: { debounceMs: 0 },
    rules,
  });
  const config = parseConfig(text, { TRYTON_PASSWORD: tdb.password }, path.join(dir, 'dovetail.yaml'), { baseDir: dir });
  const engine = new Engine(await openContext(config, createLogger(process.env.DOVETAIL_TEST_LOG ?? 'silent')));
  assert.ok(engine.ctx.store instanceof ShopifyConnector);
  return engine;
}

async function removeFromStock(t: TrytonClient, productId: number) {
  const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
  const [inv] = await t.create('stock.inventory', [{ location: wh!.storage_location, company: t.context.company, lines: [['create', [{ product: productId, quantity: 0 }]]] }]);
  await t.button('stock.inventory', 'confirm', [inv]);
}

const passing = (err: unknown) => err instanceof DovetailError && err.kind === 'transient';

/**
 * Ticks until `fn` holds; a read of the shared test Tryton that meets its passing empty error
 * (transient, seen while its worker processes a just-confirmed sale) is read again, as Dovetail would.
 */
const tickUntil = <T>(engine: Engine, what: string, fn: () => Promise<T | undefined | null | false>) => tickUntilStrict(engine, what, async () => {
  try { return await fn(); } catch (err) { if (passing(err)) return null; throw err; }
});

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

describe('the order lifecycle on Shopify', () => {
  let tdb: TrytonDatabase; let t: TrytonClient; let fake: FakeShopify; let engine: Engine;
  let lid: number;

  before(async () => {
    tdb = await freshTrytonDatabase(); t = await trytonAdmin(tdb);
    fake = await new FakeShopify().start();
    fake.bucket = { maximumAvailable: 1_000_000, currentlyAvailable: 1_000_000, restoreRate: 1_000_000, at: 0 };
    engine = await engineOnDouble(tdb, fake, { capture: 'atShipment', settleFrom: 'store', cancellationsIn: 'inventory', returnsIn: 'inventory',
      returnsToStore: true, creditMemosIn: 'inventory', refundsIn: 'inventory' });
    const kettle = await createTrytonProduct(t, 'KETTLE-1', 'Copper kettle', '40.00');
    lid = await createTrytonProduct(t, 'LID-1', 'Spare lid', '6.00');
    await receiveStock(t, kettle, 4);
    await receiveStock(t, lid, 2);
    await tickUntil(engine, 'both products on sale in Shopify', async () => ['KETTLE-1', 'LID-1'].every((sku) => (fake.items.get(sku)?.levels.get(LOCATION) ?? 0) > 0));
  });
  after(async () => { await engine?.ctx.storage.close(); await fake?.stop(); });

  test('order → ship 1 → capture → cancel the other → return → credit memo → refund: agree to the cent, each movement once', async () => {
    // 1. the order: a kettle and a lid, authorised at checkout
    const order = fake.shop.placeOrder({ email: 'grace@example.com', address, lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }], shipping: { title: 'Standard', priceMinor: 500 } });
    const code = order.legacyId;
    const placedTotal = fake.shop.currentTotal(order);
    const kettleGross = gross(order, 'KETTLE-1'), lidGross = gross(order, 'LID-1'), shippingGross = fake.shop.shippingGross(order);
    assert.deepEqual([kettleGross, lidGross, shippingGross, placedTotal], [4800, 720, 600, 6120]);
    const sale = await tickUntil(engine, 'the sale in Tryton', async () => (await salesFor(t, code)).find((s) => s.state === 'processing'));
    assert.equal(decimalToMinor(String((sale.total_amount as { decimal: string }).decimal)), placedTotal, 'Tryton\'s sale totals the Shopify order, to the cent');

    // 2. the warehouse ships the kettle only: a fulfilment in Shopify, its part captured
    await removeFromStock(t, lid);
    await shipWhatIsThere(t, code);
    await tickUntil(engine, 'the kettle captured and recorded in Tryton', async () => (await trytonMoney(t, sale.id)).received === kettleGross + shippingGross);
    assert.deepEqual(order.fulfillments.map((f) => f.lines.map((l) => [line(order, 'KETTLE-1').id === l.lineItemId, l.quantity])), [[[true, 1]]], 'one fulfilment, of the kettle');
    assert.deepEqual(order.transactions.filter((t) => t.kind === 'CAPTURE').map((t) => t.amountMinor), [kettleGross + shippingGross]);

    // 3. the lid is cancelled in Tryton: an order edit takes it off the Shopify order
    await cancelUnshipped(t, sale.id, 'LID-1');
    await tickUntil(engine, 'the lid cancelled in Shopify', async () => line(order, 'LID-1').currentQuantity === 0);
    assert.equal(fake.shop.currentTotal(order), placedTotal - lidGross, 'the order total lost the lid, to the cent');
    assert.equal(order.cancelledAt, null, 'the kettle had shipped: the order stays, edited');

    // 4. the kettle comes back: a return in Tryton, shown as a processed return in Shopify
    const returnSale = await returnUnits(t, sale.id, [{ sku: 'KETTLE-1', quantity: 1 }]);
    await tickUntil(engine, 'the return in Shopify', async () => order.returns.some((r) => r.status === 'CLOSED'));
    assert.deepEqual(order.returns.flatMap((r) => r.lines.map((l) => [l.lineItemId === line(order, 'KETTLE-1').id, l.quantity])), [[true, 1]]);

    // 5. the credit memo, posted in Tryton, makes the refund through Shopify
    await postCreditNotesOf(t, returnSale);
    await tickUntil(engine, 'the refund recorded in Tryton', async () => (await trytonMoney(t, sale.id)).paidOut > 0);
    for (let i = 0; i < 5; i++) await engine.tick();

    const captured = order.transactions.filter((x) => x.kind === 'CAPTURE' && x.status === 'SUCCESS').reduce((n, x) => n + x.amountMinor, 0);
    const refunded = order.transactions.filter((x) => x.kind === 'REFUND' && x.status === 'SUCCESS').reduce((n, x) => n + x.amountMinor, 0);
    assert.equal(captured, kettleGross + shippingGross, 'captured once: the kettle and shipping');
    assert.equal(refunded, kettleGross, 'refunded once: the returned kettle');
    assert.equal(order.refunds.length, 1);
    assert.equal(order.fulfillments.length, 1);
    assert.equal(order.returns.length, 1);
    const money = await read(() => trytonMoney(t, sale.id));
    assert.deepEqual([money.received, money.paidOut, money.count], [captured, refunded, 2], 'Tryton received and paid out what Shopify moved, to the cent, once each');

    const store = await capability(engine.ctx.store, 'orderChanges', 'the test').getOrderLines(code);
    const inventory = await read(() => capability(engine.ctx.inventory, 'orderChanges', 'the test').getSaleLines(code));
    assert.ok(store && inventory && linesAgree(store, inventory), `both systems give the customer the same units: ${JSON.stringify({ store, inventory })}`);
    assert.deepEqual((await engine.ctx.storage.conflicts()).filter((c) => c.recordKey === code), []);
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
