// One web order's whole life between the Odoo double (as Odoo 19, JSON-2) and a real Vendure, with
// Dovetail run as its own process (`dovetail run` over settings with `type: odoo`, `url` = the double)
// and killed (SIGKILL) at the critical point of every step, then again between steps: order of 2
// lines → ship 1 in Odoo (the other short: a backorder) → capture its part → cancel the rest →
// return the shipped one → credit note → refund. The double lives in the test process, so its state
// and its record of every call outlive each death. At the end both systems agree on money to the
// cent and the double's records hold the sale, each payment and the credit note exactly once.
//
// The shop's answers: capture atShipment (settled in the store), cancellations, returns and credit
// memos in Odoo, returns shown on the website, refunds started from Odoo's credit note.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { FakeOdoo } from '../doubles/odoo/server.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { until } from './helpers/dovetail.js';
import { quantityOf, refundsOf, vendureOrder } from './helpers/order-changes.js';
import { adminGql, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';
import { freePort } from './helpers/free-port.js';

const address = { fullName: 'Grace Buyer', streetLine1: '9 Harbour Rd', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
/** the golden Vendure's tax rate (US) and currency: the company in Odoo keeps the same */
const STORE_TAX_PERCENT = 10;
const STORE_CURRENCY = 'USD';
/** the double's clock stands still unless moved: each step happens a minute after the one before, as in a warehouse */
const MINUTE = 60;


/** A dovetail.yaml with `type: odoo` pointed at the double, written to a temp folder with its SQLite database. */
async function settingsOnDouble(fake: FakeOdoo, vendure: VendureInstance): Promise<{ file: string; env: Record<string, string> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-odoo-'));
  const file = path.join(dir, 'dovetail.yaml');
  writeFileSync(file, stringify({
    database: { driver: 'sqlite', path: 'dovetail.sqlite' },
    systems: {
      inventory: { type: 'odoo', url: fake.url, database: fake.database, apiKey: '${ODOO_API_KEY}' },
      store: { type: 'vendure', url: vendure.url, username: vendure.adminUsername, password: '${VENDURE_PASSWORD}', webhookSecret: '${DOVETAIL_WEBHOOK_SECRET}' },
    },
    inventory: { debounceMs: 0 },
    sync: { pollIntervalMs: 300 },
    // its own port: other suites may run `dovetail run` on the default one at the same time
    server: { port: await freePort() },
    rules: {
      capture: 'atShipment', settleFrom: 'store', cancellationsIn: 'inventory', returnsIn: 'inventory', returnsToStore: true,
      creditMemosIn: 'inventory', refundsIn: 'inventory',
    },
  }));
  return { file, env: { ODOO_API_KEY: fake.apiKey, VENDURE_PASSWORD: vendure.adminPassword, DOVETAIL_WEBHOOK_SECRET: 'test-webhook-secret-0123456789' } };
}

describe('the order lifecycle between the Odoo double and Vendure, Dovetail killed at every step', () => {
  let fake: FakeOdoo; let v: VendureInstance; let admin: GqlClient;
  let settings: { file: string; env: Record<string, string> };
  const dovetail = new DovetailProcess(() => settings);

  before(async () => {
    fake = await new FakeOdoo({ version: '19.0', currency: STORE_CURRENCY }).start();
    const tax = fake.desk.salesTax(STORE_TAX_PERCENT);
    fake.desk.addProduct('KETTLE-1', { name: 'Copper kettle', price: 40, onHand: 4, taxes: [tax] });
    fake.desk.addProduct('LID-1', { name: 'Spare lid', price: 6, onHand: 2, taxes: [tax] });
    v = await startVendure();
    admin = await adminGql(v.url);
    settings = await settingsOnDouble(fake, v);
    await dovetail.start();
    await until('both products on sale in Vendure', async () => (await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(
      `{ productVariants { items { sku stockOnHand } } }`)).productVariants.items.filter((p) => p.stockOnHand > 0).length === 2, 90_000);
  });
  after(async () => {
    await dovetail.kill();
    await v?.stop();
    await fake?.stop();
  });

  test('order → ship 1 → capture → cancel the other → return → credit note → refund: agree to the cent, each movement once', async () => {
    // 1. the order: a kettle and a lid, authorised only; Dovetail dies right after writing the sale
    await dovetail.kill();
    const order = await shopCheckout(v.url, { email: 'grace@example.com', firstName: 'Grace', lastName: 'Buyer', address,
      lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }] });
    const placed = await vendureOrder(admin, order.code);
    const kettleGross = placed.lines.find((l) => l.productVariant.sku === 'KETTLE-1')!.linePriceWithTax;
    const lidGross = placed.lines.find((l) => l.productVariant.sku === 'LID-1')!.linePriceWithTax;
    assert.equal(placed.payments.map((p) => p.state).join(), 'Authorized');
    await dovetail.crashAt('order.saleWritten');
    const sale = await until('the confirmed sale in Odoo', async () =>
      fake.orm.read('sale.order', fake.orm.search('sale.order', [['client_order_ref', '=', order.code]]), ['state', 'amount_total'])
        .find((s) => s.state === 'sale'), 90_000);
    const saleId = sale.id as number;
    assert.equal(Math.round(Number(sale.amount_total) * 100), order.totalWithTax, 'the sale, shipping line included, totals what the store charged, to the cent');

    // 2. the lid is not on the shelf after all: the warehouse ships the kettle, the lid waits in a backorder
    await dovetail.kill();
    fake.clock.advance(MINUTE);
    fake.desk.setOnHand('LID-1', 0);
    const [shipped] = fake.desk.shipWhatIsThere(saleId, { tracking: 'TRACK-1' });
    assert.ok(shipped, 'the kettle left the warehouse');
    await dovetail.crashAt('capture.captured');
    const expectedCapture = kettleGross + placed.shippingWithTax;
    await until('the kettle captured and recorded in Odoo', async () => odooMoney(fake).received === expectedCapture, 90_000);
    let o = await vendureOrder(admin, order.code);
    assert.deepEqual(o.payments.filter((p) => p.state === 'Settled').map((p) => p.amount), [expectedCapture], 'one capture of the kettle and shipping');
    await until('the shipment\'s fulfilment in Vendure', async () => (await vendureOrder(admin, order.code)).fulfillments.filter((f) => f.state === 'Shipped').length === 1, 90_000);
    await dovetail.kill();

    // 3. the lid is cancelled in Odoo: the clerk lowers its confirmed line to what shipped (none), and
    // its backorder goes with it. Dovetail dies right after cancelling it in Vendure, before it noted
    // that, and stays down while the next step happens.
    fake.clock.advance(MINUTE);
    fake.desk.cancelUnshipped(saleId, 'LID-1');
    assert.equal(fake.desk.openDeliveries(saleId).length, 0, 'nothing of the sale waits to ship');
    await dovetail.crashAt('orderChanges.carried', { restart: false });
    o = await vendureOrder(admin, order.code);
    assert.equal(quantityOf(o, 'LID-1'), 0, 'the lid was cancelled in Vendure before the crash');
    assert.equal(o.totalWithTax, placed.totalWithTax - lidGross, 'the order total lost the lid, to the cent');

    // 4. the kettle comes back: a return in Odoo, while Dovetail is down
    fake.clock.advance(MINUTE);
    fake.desk.returnUnits(shipped!, [{ sku: 'KETTLE-1', quantity: 1 }]);
    assert.equal(onHand(fake, 'KETTLE-1'), 4, 'the return put the kettle back in stock');
    await dovetail.crashAt('orderChanges.carried');
    o = await until('the return shown on the Vendure order and the rest of the authorisation released', async () => {
      const x = await vendureOrder(admin, order.code);
      return quantityOf(x, 'KETTLE-1') === 0 && !x.payments.some((p) => p.state === 'Authorized') && x;
    }, 90_000);
    assert.equal(quantityOf(o, 'LID-1'), 0, 'the lid cancelled once');
    assert.ok(o.history.items.some((h) => h.type === 'ORDER_CANCELLATION' && /^Return/i.test(String(h.data.reason ?? ''))), 'the customer sees it as a return');
    await dovetail.kill();

    // 5. the credit note for the kettle, posted in Odoo, makes the refund through Vendure
    fake.clock.advance(MINUTE);
    fake.desk.creditNote(saleId, kettleGross / 100, 'Kettle returned');
    await dovetail.crashAt('refund.refunded');
    await until('the refund recorded in Odoo', async () => odooMoney(fake).paidOut > 0, 90_000);
    await dovetail.kill();

    o = await vendureOrder(admin, order.code);
    const captured = o.payments.filter((p) => p.state === 'Settled').reduce((n, p) => n + p.amount, 0);
    assert.equal(captured, expectedCapture, 'captured once: the kettle and shipping');
    assert.deepEqual(refundsOf(o).map((r) => [r.state, r.total]), [['Settled', kettleGross]], 'refunded once: the returned kettle');
    assert.ok(!o.payments.some((p) => p.state === 'Authorized'), 'nothing left authorised');
    assert.equal(o.fulfillments.filter((f) => f.state !== 'Cancelled').length, 1, 'one fulfilment: the one shipment');

    // nothing doubled in Odoo: its own records outlived every death
    const money = odooMoney(fake);
    assert.equal(money.received, captured, 'Odoo received what the store captured, to the cent');
    assert.equal(money.paidOut, kettleGross, 'Odoo paid out what the store refunded, to the cent');
    assert.equal(money.count, 2, 'one capture and one refund recorded in Odoo');
    assert.equal(fake.orm.search('sale.order', [['client_order_ref', '=', order.code]]).length, 1, 'one sale');
    assert.equal(fake.callsTo('sale.order', 'action_confirm').length, 1, 'confirmed once');
    assert.equal(fake.orm.search('account.move', [['move_type', '=', 'out_refund']]).length, 1, 'one credit note');
    assert.equal(fake.orm.search('stock.picking', [['picking_type_code', '=', 'incoming']]).length, 1, 'one return');
    assert.equal(onHand(fake, 'KETTLE-1'), 4, 'the kettle is back on the shelf');
  });
});

/** Money Odoo holds against the web sales: posted payments in (captures) and out (refunds), in minor units. */
function odooMoney(fake: FakeOdoo): { received: number; paidOut: number; count: number } {
  const payments = fake.orm.read('account.payment', fake.orm.search('account.payment', [['state', '!=', 'draft']]), ['payment_type', 'amount', 'state'])
    .filter((p) => p.state !== 'canceled');
  const sum = (type: string) => payments.filter((p) => p.payment_type === type).reduce((n, p) => n + Math.round(Number(p.amount) * 100), 0);
  return { received: sum('inbound'), paidOut: sum('outbound'), count: payments.length };
}

const onHand = (fake: FakeOdoo, sku: string): number =>
  Number(fake.orm.read('product.product', [fake.desk.productId(sku)], ['qty_available'])[0]!.qty_available);
