// One web order's life between the Odoo double (as Odoo 19, JSON-2) and a real Vendure, with Dovetail
// run as its own process (`dovetail run` over settings with `type: odoo`, `url` = the double) and
// killed (SIGKILL) at the critical point of every step, then again between steps: order of 2 lines →
// the sale in Odoo → a partial shipment (one line short) → its fulfilment in Vendure → the rest ships
// from the backorder → the second fulfilment. The double lives in the test process, so its state and
// its record of every call outlive each death: at the end the sale was created and confirmed once,
// and Vendure shows each shipment once.
// The money steps of an order's life (capture per shipment, credit memo, refund) and the changes
// made in Odoo after it (cancel the rest, return) wait for the connector's payments and orderChanges.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { FakeOdoo } from '../doubles/odoo/server.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { until } from './helpers/dovetail.js';
import { vendureOrder } from './helpers/order-changes.js';
import { adminGql, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';

const address = { fullName: 'Grace Buyer', streetLine1: '9 Harbour Rd', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
/** the golden Vendure's tax rate (US) and currency: the company in Odoo keeps the same */
const STORE_TAX_PERCENT = 10;
const STORE_CURRENCY = 'USD';
/** the double's clock stands still unless moved: each step happens a minute after the one before, as in a warehouse */
const MINUTE = 60;

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); }); });
}

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

  test('order → sale → ship the kettle → its fulfilment → the lid from the backorder → its fulfilment: each once', async () => {
    // 1. the order: a kettle and a lid; Dovetail dies right after writing the sale, before noting it
    await dovetail.kill();
    const order = await shopCheckout(v.url, { email: 'grace@example.com', firstName: 'Grace', lastName: 'Buyer', address,
      lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }] });
    await dovetail.crashAt('order.saleWritten');
    const sale = await until('the confirmed sale in Odoo', async () =>
      fake.orm.read('sale.order', fake.orm.search('sale.order', [['client_order_ref', '=', order.code]]), ['state', 'amount_total'])
        .find((s) => s.state === 'sale'), 90_000);
    assert.equal(Math.round(Number(sale.amount_total) * 100), order.totalWithTax, 'the sale, shipping line included, totals what the store charged, to the cent');

    // 2. the lid is not on the shelf after all: the warehouse ships the kettle, the lid waits in a backorder
    await dovetail.kill();
    fake.clock.advance(MINUTE);
    fake.desk.setOnHand('LID-1', 0);
    const [first] = fake.desk.shipWhatIsThere(sale.id as number, { tracking: 'TRACK-1' });
    assert.ok(first, 'the kettle left the warehouse');
    await dovetail.crashAt('shipment.fulfilmentWritten');
    await until('the kettle\'s fulfilment in Vendure', async () => (await vendureOrder(admin, order.code)).fulfillments.filter((f) => f.state !== 'Cancelled').length === 1, 90_000);

    // 3. the lid comes in and ships from the backorder; Dovetail dies as Vendure makes its fulfilment
    await dovetail.kill();
    fake.clock.advance(MINUTE);
    fake.desk.setOnHand('LID-1', 1);
    const [second] = fake.desk.shipWhatIsThere(sale.id as number, { tracking: 'TRACK-2' });
    assert.ok(second && second !== first, 'the backorder shipped');
    await dovetail.crashAt('shipment.fulfilmentCreated');
    // the restarted Dovetail finds the fulfilment the dead one made and moves it on to shipped
    const shipped = await until('both fulfilments shipped in Vendure', async () => {
      const o = await vendureOrder(admin, order.code);
      return o.fulfillments.filter((f) => f.state === 'Shipped').length === 2 && o;
    }, 90_000);
    await dovetail.kill();

    // nothing doubled: the double's own record of calls outlived every death
    const created = fake.callsTo('sale.order', 'create').filter((c) => JSON.stringify(c.params).includes(order.code));
    assert.equal(created.length, 1, 'the sale was created once');
    assert.equal(fake.callsTo('sale.order', 'action_confirm').length, 1, 'and confirmed once');
    assert.equal(fake.orm.search('sale.order', [['client_order_ref', '=', order.code]]).length, 1);
    assert.deepEqual(shipped.fulfillments.map((f) => f.state), ['Shipped', 'Shipped'], 'one fulfilment per shipment, none left over');
    const delivered = fake.orm.read('sale.order.line', fake.orm.search('sale.order.line', [['order_id', '=', sale.id], ['is_delivery', '=', false]]), ['qty_delivered', 'product_uom_qty']);
    assert.deepEqual(delivered.map((l) => [l.product_uom_qty, l.qty_delivered]), [[1, 1], [1, 1]], 'each line delivered once');
  });
});
