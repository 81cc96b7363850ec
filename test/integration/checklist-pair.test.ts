// The pair the integration checklist was written for, joined end to end: the Odoo double as the
// inventory system and the Magento double as the store, `dovetail run` as its own process between
// them (killed once mid-way, at the capture, and restarted). One web order's life, lean: a product
// made in Odoo reaches Magento with its stock → a shopper's order of 2 lines, authorised → one
// confirmed sale in Odoo → a partial shipment in Odoo → one Magento shipment and one invoice
// capturing its part → the rest cancelled in Odoo → Magento cancels the rest and releases the rest
// of the authorisation. Both doubles live in the test process, so their state and their records of
// every request outlive Dovetail; at the end they agree on quantities and money to the cent, and
// `dovetail check --offline` passes the same settings.
//
// Odoo runs as 18.0 over /jsonrpc (execute_kw with a login and an API key): the other Odoo
// lifecycle test runs 19.0 over JSON-2, so this one takes the transport that no `dovetail run`
// test used yet, and the version most shops run today.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { ACCESS_TOKEN, FakeMagento } from '../doubles/magento/server.js';
import { CURRENCY, TAX_PERCENT } from '../doubles/magento/state.js';
import { FakeOdoo } from '../doubles/odoo/server.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { until } from './helpers/dovetail.js';
import { freePort } from './helpers/free-port.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

/** the double's clock stands still unless moved: each step in Odoo happens a minute after the one before */
const MINUTE = 60;


/** A dovetail.yaml of `type: odoo` + `type: magento`, each `url` a double, written to a temp folder with its SQLite database. */
async function settingsOnDoubles(odoo: FakeOdoo, magento: FakeMagento) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-pair-'));
  writeFileSync(path.join(dir, 'dovetail.yaml'), stringify({
    database: { driver: 'sqlite', path: 'dovetail.sqlite' },
    systems: {
      inventory: { type: 'odoo', url: odoo.url, database: odoo.database, username: odoo.login, apiKey: '${ODOO_API_KEY}' },
      store: { type: 'magento', url: magento.url, accessToken: '${MAGENTO_ACCESS_TOKEN}' },
    },
    inventory: { debounceMs: 0 },
    sync: { pollIntervalMs: 200 },
    // its own port: other suites may run `dovetail run` on the default one at the same time
    server: { port: await freePort() },
    // products and stock flow inventory → store by default; the rest as the shop answered the checklist
    rules: { capture: 'atShipment', settleFrom: 'store', cancellationsIn: 'inventory' },
  }));
  return { file: path.join(dir, 'dovetail.yaml'), dir, env: { ODOO_API_KEY: odoo.apiKey, MAGENTO_ACCESS_TOKEN: ACCESS_TOKEN } };
}

interface Run { exitCode: number; stdout: string; stderr: string }
function dovetailCheckOffline(file: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DOVETAIL_BIN, '--config', file, 'check', '--offline'], { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ exitCode: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe('the checklist\'s pair: Odoo 18 (the double) ↔ Adobe Commerce (the double), one web order\'s life', () => {
  let odoo: FakeOdoo; let magento: FakeMagento;
  let settings: Awaited<ReturnType<typeof settingsOnDoubles>>;
  const dovetail = new DovetailProcess(() => settings);
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(path.join(settings.dir, 'dovetail.sqlite'), { readonly: true, fileMustExist: true });
    try { return db.prepare(sql).all(...params) as T[]; } finally { db.close(); }
  };
  /** polls of Magento's order feed: a search of orders by updated_at */
  const orderPolls = () => magento.calls('GetV1Orders').filter((r) => [...r.query.values()].includes('updated_at')).length;
  /** The running Dovetail read the shop a few more times (so what it wrote came back and was recognised) and has no work of the order left. */
  async function caughtUp(code: string) {
    const polled = orderPolls();
    await until(`Dovetail caught up with order ${code}`, async () => orderPolls() >= polled + 2
      && query("SELECT 1 FROM jobs WHERE (key = ? OR key LIKE ?) AND state IN ('pending', 'running')", code, `${code}:%`).length === 0, 60_000);
  }
  const odooSale = (code: string) => odoo.orm.read('sale.order', odoo.orm.search('sale.order', [['client_order_ref', '=', code]]), ['state', 'amount_total']);
  const odooLines = (saleId: number) => odoo.orm.read('sale.order.line', odoo.orm.search('sale.order.line', [['order_id', '=', saleId]]), ['product_id', 'product_uom_qty', 'qty_delivered'])
    .map((l) => [skuOf(l.product_id), Number(l.product_uom_qty), Number(l.qty_delivered)])
    .filter(([sku]) => sku !== 'DOVETAIL-SHIPPING');
  /** a many2one as read: [id, display name] */
  const skuOf = (product: unknown) => String(odoo.orm.row('product.product', (product as [number, string])[0]).default_code);
  const onHand = (sku: string) => Number(odoo.orm.read('product.product', [odoo.desk.productId(sku)], ['qty_available'])[0]!.qty_available);

  before(async () => {
    odoo = await new FakeOdoo({ version: '18.0', currency: CURRENCY }).start();
    magento = await new FakeMagento().start();
    // the accountant's sale tax of the shop's rate: Dovetail makes no taxes
    const tax = odoo.desk.salesTax(TAX_PERCENT);
    odoo.desk.addProduct('KETTLE-1', { name: 'Copper kettle', price: 40, onHand: 4, taxes: [tax] });
    odoo.desk.addProduct('LID-1', { name: 'Spare lid', price: 6, onHand: 2, taxes: [tax] });
    settings = await settingsOnDoubles(odoo, magento);
    await dovetail.start();
  });
  after(async () => {
    await dovetail.kill();
    await magento?.stop();
    await odoo?.stop();
  });

  test('made in Odoo → sold in Magento → confirmed in Odoo → ship part → capture its part → cancel the rest: agree to the cent, nothing doubled', async (t) => {
    // 1. the products made in Odoo reach Magento, on sale, with their stock
    await until('both products on sale in Magento with Odoo\'s stock', async () =>
      magento.state.salable('KETTLE-1') === 4 && magento.state.salable('LID-1') === 2
      && ['KETTLE-1', 'LID-1'].every((sku) => magento.state.products.get(sku)?.status === 1), 60_000);
    assert.deepEqual(['KETTLE-1', 'LID-1'].map((sku) => { const p = magento.state.products.get(sku)!; return [p.name, p.priceMinor]; }),
      [['Copper kettle', 4000], ['Spare lid', 600]], 'Odoo\'s names and prices');

    // 2. a shopper orders a kettle and a lid, authorised at checkout: one confirmed sale in Odoo
    const magentoBefore = magento.requests.length, odooBefore = odoo.calls.length;
    const order = magento.state.placeOrder({ email: 'grace@example.com', lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }], paid: 'authorised', shippingMinor: 500 });
    const code = order.incrementId;
    const [kettleItem, lidItem] = order.items;
    const kettleGross = magento.state.itemGross(kettleItem!, 1), lidGross = magento.state.itemGross(lidItem!, 1);
    assert.deepEqual([kettleGross, lidGross, magento.state.grandTotal(order)], [4400, 660, 5560]);
    const sale = await until('the confirmed sale in Odoo', async () => odooSale(code).find((s) => s.state === 'sale'), 60_000);
    const saleId = sale.id as number;
    assert.equal(Math.round(Number(sale.amount_total) * 100), 5560, 'Odoo\'s sale, shipping line included, totals the Magento order to the cent');
    await caughtUp(code);

    // 3. the lid is not on the shelf after all: the warehouse ships the kettle, the lid waits in a
    // backorder. Dovetail dies right after the invoice captured the kettle's part, before it noted that.
    await dovetail.kill();
    odoo.clock.advance(MINUTE);
    odoo.desk.setOnHand('LID-1', 0);
    assert.equal(odoo.desk.shipWhatIsThere(saleId, { tracking: 'TRACK-1' }).length, 1, 'the kettle left the warehouse');
    await dovetail.crashAt('capture.captured');
    await until('the kettle captured in Magento and recorded in Odoo', async () => odooMoney(odoo).received === kettleGross + 500, 60_000);
    await until('the kettle\'s shipment in Magento', async () => magento.state.shipments.some((s) => s.orderId === order.entityId), 60_000);
    assert.equal(order.payment.paidMinor, kettleGross + 500, 'the invoice captured the kettle and the shipping, no more');
    await caughtUp(code);

    // 4. the lid is cancelled in Odoo (its confirmed line lowered to what shipped, none; the backorder
    // goes with it): Magento cancels the rest of the order and releases the rest of the authorisation
    odoo.clock.advance(MINUTE);
    odoo.desk.cancelUnshipped(saleId, 'LID-1');
    assert.equal(odoo.desk.openDeliveries(saleId).length, 0, 'nothing of the sale waits to ship');
    await until('the lid cancelled in Magento', async () => lidItem!.canceled === 1, 60_000);
    await caughtUp(code);
    await dovetail.kill();
    assert.deepEqual(query("SELECT kind, key, last_error FROM jobs WHERE state = 'failed'"), [], 'no job gave up');
    t.diagnostic(`calls for the order's life: Magento double ${magento.requests.length - magentoBefore} `
      + `(${magento.requests.slice(magentoBefore).filter((r) => r.method !== 'GET').length} writes), `
      + `Odoo double ${odoo.calls.length - odooBefore} (${odoo.calls.slice(odooBefore).filter((c) => !/^(search|read|search_read|search_count|fields_get)$/.test(c.method)).length} not reads)`);

    // Magento's own records: one shipment, one invoice, nothing refunded, the rest cancelled once
    const mine = <T extends { orderId: number }>(rows: T[]) => rows.filter((r) => r.orderId === order.entityId);
    assert.deepEqual(mine(magento.state.shipments).map((s) => s.items.map((i) => [i.sku, i.qty])), [[['KETTLE-1', 1]]], 'one shipment, of the kettle');
    assert.deepEqual(mine(magento.state.invoices).map((i) => [i.grandMinor, i.state]), [[kettleGross + 500, 2]], 'one invoice, captured: the kettle and shipping');
    assert.deepEqual(mine(magento.state.creditMemos), [], 'nothing refunded');
    assert.deepEqual(order.items.map((i) => [i.sku, i.ordered, i.shipped, i.invoiced, i.canceled]), [['KETTLE-1', 1, 1, 1, 0], ['LID-1', 1, 0, 0, 1]]);
    assert.deepEqual([order.payment.authorizedMinor, order.payment.paidMinor, order.payment.refundedMinor, order.payment.canceledMinor],
      [5560, kettleGross + 500, 0, lidGross], 'Magento\'s payment: authorised, paid and released to the cent');
    assert.equal(order.state, 'complete', 'what is left of the order is shipped and invoiced');
    assert.deepEqual([...magento.state.products.keys()], ['KETTLE-1', 'LID-1'], 'the goods only: Odoo\'s shipping service is no product of the shop');
    assert.deepEqual(magento.schemaViolations, [], 'every request Dovetail sent is one Adobe\'s published schema accepts');
    assert.deepEqual(magento.answerViolations, []);

    // Odoo's own records: one sale, confirmed once, its lines and money as Magento's
    assert.equal(odooSale(code).length, 1, 'one sale');
    assert.equal(odoo.callsTo('sale.order', 'action_confirm').length, 1, 'confirmed once');
    assert.deepEqual([...new Set(odoo.calls.map((c) => c.transport))], ['jsonrpc'], 'Odoo 18 was spoken to over /jsonrpc only');
    assert.deepEqual(odooLines(saleId), [['KETTLE-1', 1, 1], ['LID-1', 0, 0]], 'the kettle sold and delivered, the lid cancelled');
    const [now] = odooSale(code);
    assert.equal(Math.round(Number(now!.amount_total) * 100), magento.state.grandTotal(order) - magento.state.canceledMinor(order), 'the sale totals what Magento kept of the order, to the cent');
    assert.deepEqual(odooMoney(odoo), { received: kettleGross + 500, paidOut: 0, count: 1 }, 'Odoo received what Magento captured, once');

    // stock agrees: what Odoo has is what Magento sells
    assert.deepEqual([onHand('KETTLE-1'), onHand('LID-1')], [3, 0]);
    assert.deepEqual([magento.state.salable('KETTLE-1'), magento.state.salable('LID-1')], [3, 0], 'Magento sells what Odoo has');

    // the same settings, checked offline: valid, and both systems carried
    const check = await dovetailCheckOffline(settings.file, settings.env);
    assert.equal(check.exitCode, 0, `${check.stdout}\n${check.stderr}`);
    assert.match(check.stdout, /^ {2}ok {7}systems\.inventory\.type = odoo$/m);
    assert.match(check.stdout, /^ {2}ok {7}systems\.store\.type = magento$/m);
    assert.match(check.stdout, /^Joining the online store Adobe Commerce \(Magento\) to the inventory system Odoo\.$/m);
    assert.doesNotMatch(check.stdout, /cannot run/);
  });
});

/** Money Odoo holds against the web sales: posted payments in (captures) and out (refunds), in minor units. */
function odooMoney(odoo: FakeOdoo): { received: number; paidOut: number; count: number } {
  const payments = odoo.orm.read('account.payment', odoo.orm.search('account.payment', [['state', '!=', 'draft']]), ['payment_type', 'amount', 'state'])
    .filter((p) => p.state !== 'canceled');
  const sum = (type: string) => payments.filter((p) => p.payment_type === type).reduce((n, p) => n + Math.round(Number(p.amount) * 100), 0);
  return { received: sum('inbound'), paidOut: sum('outbound'), count: payments.length };
}
