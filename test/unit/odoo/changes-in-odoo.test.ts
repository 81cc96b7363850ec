// What people do in Odoo after a web order, read back by the connector on the double of 17, 18 and 19:
// units cancelled, returned and added by a clerk; a payment an operator posts; a credit note an
// accountant makes. Each shows in the connector's terms and in its feed, and Dovetail's own
// records stay out of the feeds that would echo them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OdooConnector } from '../../../src/connectors/odoo/index.js';
import type { ChangePage, RecordKind } from '../../../src/connectors/types.js';
import type { OrderLinesState } from '../../../src/model/order-lines.js';
import { FakeOdoo } from '../../doubles/odoo/server.js';
import { someCustomer, someOrder } from '../../contract/subject.js';

/** Every key a feed gives from its beginning. */
async function feedKeys(read: (kind: RecordKind, cursor: string | null) => Promise<ChangePage>, kind: RecordKind): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const p = await read(kind, cursor);
    for (const c of p.changes) keys.add(c.key);
    cursor = p.cursor;
    if (!p.more) return keys;
  }
  assert.fail(`the ${kind} feed never ended`);
}

for (const version of ['17.0', '18.0', '19.0'] as const) {
  describe(`changes made in Odoo ${version}`, () => {
    let fake: FakeOdoo;
    let odoo: OdooConnector;
    const feed = (kind: RecordKind) => feedKeys((k, c) => odoo.readChanges(k, c), kind);
    const saleLines = async (code: string) => (await odoo.getSaleLines([code])).get(code);
    before(async () => {
      fake = await new FakeOdoo({ version }).start();
      fake.desk.salesTax(10);
      fake.desk.addProduct('CHG-A', { price: 10, onHand: 2 });
      fake.desk.addProduct('CHG-B', { price: 10, onHand: 5 });
      odoo = new OdooConnector({ url: fake.url, database: fake.database, username: fake.login, apiKey: fake.apiKey, locations: [] });
    });
    after(() => fake.stop());

    const placed = async (code: string, quantity: number) => {
      const customer = someCustomer(`${code}-${version}`);
      const { id } = await odoo.upsertCustomer(customer);
      const order = someOrder(code, 'EUR', customer, [{ sku: 'CHG-A', quantity, unitNetMinor: 1000 }]);
      await odoo.importOrder(order, { customerId: id });
      return { order, saleId: fake.desk.saleOf(code) };
    };

    test('a clerk cancels what did not ship, takes a unit back and adds a product: the sale reads so, and its feed names the order', async () => {
      const { saleId } = await placed('CHG-1', 3);
      const [delivery] = fake.desk.shipWhatIsThere(saleId);
      const line = (s: OrderLinesState | undefined, sku: string) => s?.lines.find((l) => l.sku === sku);
      const shipped = line(await saleLines('CHG-1'), 'CHG-A');
      assert.deepEqual([shipped?.quantity, shipped?.shipped, shipped?.returned], [3, 2, 0], 'two of three left: the stock had two');
      fake.desk.cancelUnshipped(saleId, 'CHG-A');
      fake.desk.returnUnits(delivery!, [{ sku: 'CHG-A', quantity: 1 }]);
      fake.desk.editLine(saleId, 'CHG-B', 1);
      const now = await saleLines('CHG-1');
      assert.deepEqual([line(now, 'CHG-A')?.quantity, line(now, 'CHG-A')?.shipped, line(now, 'CHG-A')?.returned], [1, 2, 1]);
      assert.deepEqual([line(now, 'CHG-B')?.quantity, line(now, 'CHG-B')?.shipped, line(now, 'CHG-B')?.unitNetMinor, line(now, 'CHG-B')?.taxRatePercent], [1, 0, 1000, 21], "at the product's own tax (21 %), as the clerk's line got it");
      assert.ok((await feed('sale')).has('CHG-1'));
    });

    test('a clerk cancels the backorder after a partial delivery: the sale gives what shipped, and its feed names the order', async () => {
      const { saleId } = await placed('CHG-4', 4);
      const line = async () => (await saleLines('CHG-4'))?.lines.find((l) => l.sku === 'CHG-A');
      fake.desk.setOnHand('CHG-A', 1);
      fake.desk.shipWhatIsThere(saleId);
      assert.deepEqual([(await line())?.quantity, (await line())?.shipped], [4, 1], 'the backorder still waits for three');
      const before = await odoo.readChanges('sale', null);
      fake.clock.advance(1);
      fake.desk.cancelRest(saleId);
      assert.deepEqual([(await line())?.quantity, (await line())?.shipped, (await line())?.returned], [1, 1, 0], 'the cancelled backorder is no longer the customer\'s');
      const after = await odoo.readChanges('sale', before.cursor);
      assert.ok(after.changes.some((c) => c.key === 'CHG-4'), 'the cancelled backorder is a change of the sale');
    });

    test('several orders read at once answer as each read alone, in as many calls as one order; an unknown code is absent, none is no call', async () => {
      fake.desk.setOnHand('CHG-A', 5);
      const { saleId: shippedId } = await placed('CHG-5', 2);
      const [delivery] = fake.desk.shipWhatIsThere(shippedId);
      fake.desk.returnUnits(delivery!, [{ sku: 'CHG-A', quantity: 1 }]);
      await placed('CHG-6', 1);
      const { saleId: editedId } = await placed('CHG-7', 1);
      fake.desk.editLine(editedId, 'CHG-B', 2);
      const codes = ['CHG-5', 'CHG-6', 'CHG-7'];
      const alone = new Map<string, OrderLinesState | undefined>();
      for (const code of codes) alone.set(code, await saleLines(code));
      const callsFor = async (list: string[]) => {
        const before = fake.calls.length;
        const answer = await odoo.getSaleLines(list);
        return { answer, calls: fake.calls.slice(before) };
      };
      const one = await callsFor(['CHG-5']);
      const many = await callsFor([...codes, 'NEVER']);
      for (const code of codes) assert.deepEqual(many.answer.get(code), alone.get(code), code);
      assert.equal(alone.get('CHG-5')?.lines.find((l) => l.sku === 'CHG-A')?.returned, 1, 'the return counted on its own sale');
      assert.equal(many.answer.has('NEVER'), false);
      assert.deepEqual(many.calls.map((c) => `${c.model}.${c.method}`), one.calls.map((c) => `${c.model}.${c.method}`), 'the same calls for three orders as for one');
      assert.equal(many.calls.filter((c) => c.model === 'sale.order').length, 1);
      assert.ok(many.calls.length <= 6, many.calls.map((c) => `${c.model}.${c.method}`).join());
      const none = await callsFor([]);
      assert.deepEqual([none.answer.size, none.calls.length], [0, 0]);
    });

    test('a proposal an operator posts is processing and in the payment feed; what Dovetail recorded is not', async () => {
      const { order } = await placed('CHG-2', 1);
      const proposed = await odoo.proposePayment(order.code, { amountMinor: order.totalMinor, key: `prop-${version}`, description: 'to capture' });
      const recorded = await odoo.recordPayment(order.code, { kind: 'receivable', amountMinor: 100, key: `rec-${version}`, description: 'captured in the store' });
      assert.equal((await odoo.getPayment(proposed.id))?.state, 'pending');
      fake.execute('account.payment', 'action_post', [Number(proposed.id)], {});
      assert.equal((await odoo.getPayment(proposed.id))?.state, 'processing');
      const keys = await feed('payment');
      assert.ok(keys.has(`${order.code}:${proposed.id}`), [...keys].join());
      assert.ok(!keys.has(`${order.code}:${recorded.id}`));
      await odoo.completePayment(proposed.id, 'succeeded', 'the store captured it');
      assert.equal((await odoo.getPayment(proposed.id))?.state, 'succeeded');
    });

    test("an accountant's credit note for the sale is in the credit note feed, Dovetail's own is not", async () => {
      const { order, saleId } = await placed('CHG-3', 1);
      const theirs = fake.desk.creditNote(saleId, 4.5, 'Goodwill');
      const ours = await odoo.recordCreditNote(order.code, { amountMinor: 300, key: `cn-${version}`, description: 'store refund' });
      const note = await odoo.getCreditNote(String(theirs));
      assert.deepEqual([note?.orderCode, note?.amountMinor, note?.state, note?.byDovetail], [order.code, 450, 'posted', false]);
      const keys = await feed('creditNote');
      assert.ok(keys.has(`${order.code}:${theirs}`), [...keys].join());
      assert.ok(!keys.has(`${order.code}:${ours.id}`));
    });
  });
}
