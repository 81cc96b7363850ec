// A web order's sale in Odoo, against the stateful double of 17, 18 (/jsonrpc) and 19 (JSON-2): the
// delivery line and salesperson, the totals that must agree before confirming, the settings Odoo
// must have, a half-done attempt finished, and a gateway failure seen as passing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OdooConnector } from '../../../src/connectors/odoo/index.js';
import { DovetailError } from '../../../src/errors.js';
import type { Order } from '../../../src/model/order.js';
import { FakeOdoo } from '../../doubles/odoo/server.js';
import { someCustomer, someOrder } from '../../contract/subject.js';

async function failure(p: Promise<unknown>): Promise<DovetailError> {
  try { await p; } catch (err) { assert.ok(err instanceof DovetailError, String(err)); return err; }
  assert.fail('expected a failure');
}

for (const version of ['17.0', '18.0', '19.0'] as const) {
  describe(`web orders as Odoo ${version} sales`, () => {
    let fake: FakeOdoo;
    let odoo: OdooConnector;
    before(async () => {
      fake = await new FakeOdoo({ version }).start();
      fake.desk.salesTax(10);
      fake.desk.addProduct('SALE-A', { price: 10, onHand: 20 });
      odoo = new OdooConnector({ url: fake.url, database: fake.database, username: fake.login, apiKey: fake.apiKey, locations: [] });
    });
    after(() => fake.stop());

    const order = async (code: string, tweak: (o: Order) => Order = (o) => o) => {
      const customer = someCustomer(`${code}-${version}`);
      const { id } = await odoo.upsertCustomer(customer);
      return { order: tweak(someOrder(code, 'EUR', customer, [{ sku: 'SALE-A', quantity: 3, unitNetMinor: 1000 }])), customerId: id };
    };

    test('a shipping charge becomes a delivery line, the salesperson the sale\'s user; a repeat finds the sale', async (t) => {
      const { order: o, customerId } = await order('WEB-SHIP', (x) => ({ ...x, shipping: [{ name: 'Express', netMinor: 500, taxMinor: 50, taxRatePercent: 10 }],
        totalNetMinor: x.totalNetMinor + 500, totalTaxMinor: x.totalTaxMinor + 50, totalMinor: x.totalMinor + 550 }));
      const before = fake.calls.length;
      const made = await odoo.importOrder(o, { customerId, salesperson: 'admin' });
      t.diagnostic(`calls for this web order (tax and shipping product found once): ${fake.calls.length - before}`);
      assert.deepEqual([made.created, made.totalMinor], [true, 3850]);
      const sale = fake.orm.row('sale.order', Number(made.id));
      assert.equal(sale.state, 'sale');
      assert.equal(sale.user_id, fake.base.admin);
      const delivery = fake.orm.rows('sale.order.line').filter((l) => l.order_id === sale.id && l.is_delivery === true);
      assert.deepEqual(delivery.map((l) => [l.product_uom_qty, l.price_unit]), [[1, 5]]);
      const again = await odoo.importOrder(o, { customerId, salesperson: 'admin' });
      assert.deepEqual(again, { id: made.id, created: false, totalMinor: 3850 });
    });

    test('a sale that does not add up to the store\'s total stays a quotation, both totals named; put right, the retry confirms that same quotation', async () => {
      const { order: o, customerId } = await order('WEB-CENT', (x) => ({ ...x, totalMinor: x.totalMinor + 1 }));
      const e = await failure(odoo.importOrder(o, { customerId }));
      assert.equal(e.kind, 'permanent');
      assert.equal(e.detail?.conflict, true);
      assert.match(e.message, /totals 33\.00 but the store charged 33\.01/);
      const draft = fake.desk.saleOf('WEB-CENT');
      assert.equal(fake.orm.row('sale.order', draft).state, 'draft');
      const fixed = await odoo.importOrder({ ...o, totalMinor: o.totalMinor - 1 }, { customerId });
      assert.deepEqual([fixed.id, fixed.created], [String(draft), false]);
      assert.equal(fake.orm.row('sale.order', draft).state, 'sale');
    });

    test('a tax rate Odoo has no sale tax for and a salesperson it has no user for are config errors; an unknown SKU is permanent; nothing is made', async () => {
      const { order: o, customerId } = await order('WEB-CFG');
      const untaxed = { ...o, lines: o.lines.map((l) => ({ ...l, taxRatePercent: 7.5 })) };
      const tax = await failure(odoo.importOrder(untaxed, { customerId }));
      assert.equal(tax.kind, 'config');
      assert.match(tax.message, /no sale tax of 7\.5%/);
      const who = await failure(odoo.importOrder(o, { customerId, salesperson: 'Nobody Known' }));
      assert.equal(who.kind, 'config');
      assert.match(who.message, /Nobody Known/);
      const sku = await failure(odoo.importOrder({ ...o, lines: o.lines.map((l) => ({ ...l, sku: 'NOT-THERE' })) }, { customerId }));
      assert.equal(sku.kind, 'permanent');
      assert.match(sku.message, /NOT-THERE/);
      assert.equal(fake.orm.search('sale.order', [['client_order_ref', '=', 'WEB-CFG']]).length, 0);
    });

    test("a gateway's 503 while the sale is looked up is passing, and the retry makes the sale once", async () => {
      const { order: o, customerId } = await order('WEB-503');
      fake.failNext({ status: 503, retryAfter: '7' });
      const e = await failure(odoo.importOrder(o, { customerId }));
      assert.deepEqual([e.kind, e.retryAfterSeconds], ['transient', 7]);
      const made = await odoo.importOrder(o, { customerId });
      assert.equal(made.created, true);
      assert.equal(fake.orm.search('sale.order', [['client_order_ref', '=', 'WEB-503']]).length, 1);
    });

    test("the store's discounts and a cancelled unit are internal notes in the sale's chatter, never its note (the customer's terms and conditions)", async () => {
      const { order: o, customerId } = await order('WEB-NOTES', (x) => ({ ...x, discounts: [{ description: 'SUMMER <10%>', amountMinor: 300 }] }));
      const made = await odoo.importOrder(o, { customerId });
      await odoo.setSaleQuantities(o.code, [{ sku: 'SALE-A', quantity: 2, unitNetMinor: 1000, taxRatePercent: 10 }], 'the store cancelled one SALE-A');
      const id = Number(made.id);
      const [sale] = fake.orm.read('sale.order', [id], ['note', 'state']);
      assert.deepEqual([sale?.note, sale?.state], [false, 'sale']);
      assert.deepEqual(fake.messagesOn('sale.order', id).map((m) => [m.body, m.messageType, m.subtypeXmlid]), [
        ['Store discounts (already in the line prices): SUMMER <10%> 3.00', 'comment', 'mail.mt_note'],
        ['the store cancelled one SALE-A', 'comment', 'mail.mt_note'],
      ]);
    });
  });
}
