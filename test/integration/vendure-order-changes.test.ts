// The Vendure connector's part of changes to a placed order, against a real Vendure (no Tryton):
// the order's lines read in the shared shape, units cancelled and returned, quantities raised,
// what is still authorised released, and every change seen by Dovetail's order feed (polled and
// pushed by Dovetail's plugin).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VendureConnector } from '../../src/connectors/vendure/index.js';
import { oneOrder, type ChangeRef } from '../../src/connectors/types.js';
import type { OrderLinesState } from '../../src/model/order-lines.js';
import type { Product } from '../../src/model/product.js';
import { adminGql, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';
import { cancelInStore, editInStore, operatorOrder, refundInStore, returnInStore } from './helpers/vendure-operator.js';

const SECRET = 'order-changes-secret';
const buyer = (email: string) => ({ email, firstName: 'Ada', lastName: 'Shopper',
  address: { fullName: 'Ada Shopper', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' } });
const product = (sku: string, name: string, priceMinor: number): Product => ({ sku, groupKey: sku,
  fields: { names: { name, variantName: name }, prices: { priceMinor, currency: 'USD' }, availability: { enabled: true } } });

/** Receives the plugin's events, keeping the raw body and headers the connector verifies. */
async function startEventReceiver() {
  const posts: { body: Buffer; headers: Record<string, string | undefined> }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => { chunks.push(c); });
    req.on('end', () => { posts.push({ body: Buffer.concat(chunks), headers: { 'x-dovetail-signature': req.headers['x-dovetail-signature'] as string | undefined } }); res.end('ok'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { posts, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const sku = (s: OrderLinesState | null, name: string) => {
  const l = s?.lines.find((x) => x.sku === name);
  assert.ok(l, `the order has a line of ${name}`);
  return l;
};
const counts = (s: OrderLinesState | null, name: string) => { const l = sku(s, name); return { quantity: l.quantity, shipped: l.shipped, returned: l.returned }; };

describe('Vendure connector: changes to a placed order', () => {
  let v: VendureInstance; let vendure: VendureConnector; let admin: GqlClient;
  const orderLines = (code: string) => oneOrder(vendure.getOrderLines([code]), code);
  let hooks: Awaited<ReturnType<typeof startEventReceiver>>;
  let cursor: string | null = null;
  const seenVersions = new Set<string>();
  let postsSeen = 0;

  /**
   * Whether Dovetail's order feed reports the order again since the last look: a poll of
   * readChanges('order') with a version not seen before, and an event from the plugin.
   */
  async function feedReports(code: string): Promise<{ polled: boolean; pushed: boolean }> {
    let polled = false;
    for (let more = true; more;) {
      const page = await vendure.readChanges('order', cursor);
      for (const c of page.changes) {
        const v = `${c.key}|${c.sourceVersion}`;
        if (c.key === code && !seenVersions.has(v)) polled = true;
        seenVersions.add(v);
      }
      cursor = page.cursor; more = page.more;
    }
    // the plugin delivers every 250 ms: give it a moment
    const until = Date.now() + 3_000;
    let pushed = false;
    while (!pushed && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      const refs: ChangeRef[] = hooks.posts.slice(postsSeen).flatMap((p) => vendure.parseWebhook(p.body, p.headers));
      pushed = refs.some((r) => r.kind === 'order' && r.key === code);
    }
    await new Promise((r) => setTimeout(r, 300)); // let the rest of this change's events arrive
    postsSeen = hooks.posts.length;
    return { polled, pushed };
  }
  /** `pushedOnly`: a refund does not touch the order row, so only the plugin reports it (and the money feed). */
  const assertReported = async (code: string, what: string, opts: { pushedOnly?: boolean } = {}) => {
    const seen = await feedReports(code);
    if (!opts.pushedOnly) assert.ok(seen.polled, `readChanges('order') reports ${code} after ${what}`);
    assert.ok(seen.pushed, `the plugin pushes an order event for ${code} after ${what}`);
  };

  before(async () => {
    hooks = await startEventReceiver();
    v = await startVendure({ webhookUrl: hooks.url, webhookSecret: SECRET });
    vendure = new VendureConnector({ url: v.url, username: v.adminUsername, password: v.adminPassword, webhookSecret: SECRET });
    admin = await adminGql(v.url);
    await vendure.upsertProducts([product('MUG-1', 'Mug', 1000), product('PLATE-1', 'Plate', 2000), product('BOWL-1', 'Bowl', 500), product('GIFT-1', 'Gift card sleeve', 0)]
      .map((p) => ({ product: p, groups: ['names', 'prices', 'availability'] })));
    await vendure.setAvailable([{ sku: 'MUG-1', available: 100 }, { sku: 'PLATE-1', available: 100 }, { sku: 'BOWL-1', available: 100 }, { sku: 'GIFT-1', available: 100 }]);
  });
  after(async () => { await v?.stop(); await hooks?.close(); });

  describe('one settled order: shipped in part, cancelled, returned, edited', () => {
    let code: string; let placedTotal: number;
    before(async () => {
      const o = await shopCheckout(v.url, { ...buyer('changes@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'MUG-1', quantity: 3 }, { sku: 'PLATE-1', quantity: 2 }] });
      code = o.code; placedTotal = o.totalWithTax;
      await feedReports(code); // the placement itself
    });

    test('after checkout: every unit ordered, none shipped, priced with tax', async () => {
      const s = await orderLines(code);
      assert.equal(s?.state, 'PaymentSettled');
      assert.equal(s?.totalMinor, placedTotal);
      assert.deepEqual(counts(s, 'MUG-1'), { quantity: 3, shipped: 0, returned: 0 });
      assert.deepEqual(counts(s, 'PLATE-1'), { quantity: 2, shipped: 0, returned: 0 });
      const mug = sku(s, 'MUG-1');
      assert.deepEqual([mug.unitNetMinor, mug.unitGrossMinor, mug.taxRatePercent], [1000, 1100, 10], 'golden store: 10% tax');
      assert.equal((await vendure.getOrderLines(['NO-SUCH-ORDER'])).size, 0);
    });

    test('after a fulfilment of part: shipped counts the fulfilled units', async () => {
      await vendure.recordShipment(code, { ref: 'ship-1', shippedOn: '2025-01-02', carrier: null, trackingCode: null,
        lines: [{ sku: 'MUG-1', quantity: 2 }, { sku: 'PLATE-1', quantity: 1 }] }, { notifyCustomer: false });
      const s = await orderLines(code);
      assert.equal(s?.state, 'PartiallyShipped');
      assert.deepEqual(counts(s, 'MUG-1'), { quantity: 3, shipped: 2, returned: 0 });
      assert.deepEqual(counts(s, 'PLATE-1'), { quantity: 2, shipped: 1, returned: 0 });
      await feedReports(code);
    });

    test('cancelOrderUnits cancel: the unshipped unit is taken off, the total drops by its gross price', async () => {
      const r = await vendure.cancelOrderUnits(code, [{ sku: 'MUG-1', quantity: 1 }], { kind: 'cancel', reason: 'out of stock' });
      assert.equal(r.totalBeforeMinor, placedTotal);
      assert.equal(r.totalAfterMinor, placedTotal - 1100);
      const s = await orderLines(code);
      assert.deepEqual(counts(s, 'MUG-1'), { quantity: 2, shipped: 2, returned: 0 }, 'a cancellation, not a return');
      assert.equal(s?.totalMinor, placedTotal - 1100);
      assert.equal(s?.state, 'PartiallyShipped');
      await assertReported(code, 'a cancellation of units');
    });

    test('cancelOrderUnits refuses, naming the SKU, what the order does not have', async () => {
      await assert.rejects(vendure.cancelOrderUnits(code, [{ sku: 'MUG-1', quantity: 1 }], { kind: 'cancel', reason: 'x' }),
        (e: Error) => /MUG-1/.test(e.message) && /0 not shipped/.test(e.message), 'every MUG-1 left has shipped: cancelling one would be a return');
      await assert.rejects(vendure.cancelOrderUnits(code, [{ sku: 'NOPE-1', quantity: 1 }], { kind: 'cancel', reason: 'x' }), /NOPE-1/);
      await assert.rejects(vendure.cancelOrderUnits(code, [{ sku: 'PLATE-1', quantity: 2 }], { kind: 'return', reason: 'x' }),
        (e: Error) => /PLATE-1/.test(e.message) && /1 shipped and not returned/.test(e.message));
      assert.deepEqual(counts(await orderLines(code), 'MUG-1'), { quantity: 2, shipped: 2, returned: 0 }, 'nothing changed');
    });

    test('cancelOrderUnits return: a shipped unit comes back, "Return: " on the order history', async () => {
      const before = (await orderLines(code))!.totalMinor;
      const r = await vendure.cancelOrderUnits(code, [{ sku: 'MUG-1', quantity: 1 }], { kind: 'return', reason: 'broken in transit' });
      assert.deepEqual(r, { totalBeforeMinor: before, totalAfterMinor: before - 1100 });
      assert.deepEqual(counts(await orderLines(code), 'MUG-1'), { quantity: 1, shipped: 2, returned: 1 });
      const h = await admin<{ orders: { items: { history: { items: { data: { reason?: string } }[] } }[] } }>(`query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items {
        history(options: { filter: { type: { eq: "ORDER_CANCELLATION" } } }) { items { data } } } } }`, { c: code });
      assert.ok(h.orders.items[0].history.items.some((e) => e.data.reason === 'Return: broken in transit'));
      await assertReported(code, 'a return');
    });

    test('an operator\'s return in Vendure (reason "Return: …") counts as returned even with units still unshipped', async () => {
      await returnInStore(v, code, 'PLATE-1', 1);
      // 2 ordered, 1 shipped: 1 left on the order could be the unshipped one; the reason says it came back
      assert.deepEqual(counts(await orderLines(code), 'PLATE-1'), { quantity: 1, shipped: 1, returned: 1 });
      await assertReported(code, 'an operator\'s return');
    });

    test('raiseOrderQuantities raises a SKU and adds one; the total grew, so the customer owes: ArrangingAdditionalPayment', async () => {
      const before = (await orderLines(code))!;
      const r = await vendure.raiseOrderQuantities(code, [{ sku: 'PLATE-1', quantity: 2 }, { sku: 'BOWL-1', quantity: 2 }, { sku: 'MUG-1', quantity: 1 }], 'customer asked by phone');
      assert.equal(r.totalBeforeMinor, before.totalMinor);
      assert.equal(r.totalAfterMinor, before.totalMinor + 2200 + 2 * 550);
      assert.equal(r.state, 'ArrangingAdditionalPayment');
      const s = await orderLines(code);
      assert.equal(s?.state, 'ArrangingAdditionalPayment');
      assert.deepEqual(counts(s, 'PLATE-1'), { quantity: 2, shipped: 1, returned: 1 }, 'raised to 2');
      assert.deepEqual(counts(s, 'BOWL-1'), { quantity: 2, shipped: 0, returned: 0 }, 'added');
      assert.deepEqual(counts(s, 'MUG-1'), { quantity: 1, shipped: 2, returned: 1 }, 'already at 1: untouched');
      await assertReported(code, 'an order modification');
    });

    test('raiseOrderQuantities again (as after a crash) changes nothing: no second modification', async () => {
      const before = (await orderLines(code))!;
      const r = await vendure.raiseOrderQuantities(code, [{ sku: 'PLATE-1', quantity: 2 }, { sku: 'BOWL-1', quantity: 2 }], 'customer asked by phone');
      assert.deepEqual(r, { totalBeforeMinor: before.totalMinor, totalAfterMinor: before.totalMinor, state: 'ArrangingAdditionalPayment' });
      const m = await admin<{ orders: { items: { modifications: { id: string }[] }[] } }>(`query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { modifications { id } } } }`, { c: code });
      assert.equal(m.orders.items[0].modifications.length, 1);
    });
  });

  describe('a raise within what was paid', () => {
    test('the total does not grow (a free item added): the order goes back to PaymentSettled', async () => {
      const o = await shopCheckout(v.url, { ...buyer('free@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'MUG-1', quantity: 1 }] });
      await feedReports(o.code);
      const r = await vendure.raiseOrderQuantities(o.code, [{ sku: 'GIFT-1', quantity: 1 }], 'a free sleeve');
      assert.deepEqual(r, { totalBeforeMinor: o.totalWithTax, totalAfterMinor: o.totalWithTax, state: 'PaymentSettled' });
      assert.deepEqual(counts(await orderLines(o.code), 'GIFT-1'), { quantity: 1, shipped: 0, returned: 0 });
      await assertReported(o.code, 'a modification that cost nothing');
    });
  });

  describe('a staff edit in Vendure', () => {
    test('editInStore raises a line; the total grew, so the order waits for payment; the feed reports it', async () => {
      const o = await shopCheckout(v.url, { ...buyer('edit@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'MUG-1', quantity: 1 }] });
      await feedReports(o.code);
      const r = await editInStore(v, o.code, [{ sku: 'MUG-1', quantity: 2 }]);
      assert.equal(r.state, 'ArrangingAdditionalPayment', 'a staff edit that costs more waits for payment too');
      assert.deepEqual(counts(await orderLines(o.code), 'MUG-1'), { quantity: 2, shipped: 0, returned: 0 });
      await assertReported(o.code, 'a staff edit');
    });
  });

  describe('every line taken off: Vendure cancels the order, from each state an order can be in', () => {
    for (const from of ['PaymentAuthorized', 'PaymentSettled', 'PartiallyShipped', 'Shipped'] as const) {
      test(`from ${from}`, async () => {
        const authorised = from === 'PaymentAuthorized';
        const o = await shopCheckout(v.url, { ...buyer(`all-${from}@example.com`), paymentMethod: authorised ? 'dummy-authorize' : 'dummy-settle', lines: [{ sku: 'MUG-1', quantity: 2 }] });
        const shipped = from === 'Shipped' ? 2 : from === 'PartiallyShipped' ? 1 : 0;
        if (shipped) await vendure.recordShipment(o.code, { ref: `all-${from}`, shippedOn: '2025-01-02', carrier: null, trackingCode: null, lines: [{ sku: 'MUG-1', quantity: shipped }] }, { notifyCustomer: false });
        assert.equal((await orderLines(o.code))?.state, from);
        await feedReports(o.code);
        if (shipped) await vendure.cancelOrderUnits(o.code, [{ sku: 'MUG-1', quantity: shipped }], { kind: 'return', reason: 'all back' });
        if (shipped < 2) await vendure.cancelOrderUnits(o.code, [{ sku: 'MUG-1', quantity: 2 - shipped }], { kind: 'cancel', reason: 'not wanted' });
        const s = await orderLines(o.code);
        assert.equal(s?.state, 'Cancelled');
        assert.deepEqual(counts(s, 'MUG-1'), { quantity: 0, shipped, returned: shipped });
        await assertReported(o.code, 'the order reaching Cancelled');
        const money = await vendure.getPayments(o.code);
        if (authorised) {
          assert.equal(money?.authorisedMinor, o.totalWithTax, 'Vendure leaves the authorisation as it was');
          assert.deepEqual(await vendure.releaseAuthorisation(o.code, 'order cancelled'), { releasedMinor: o.totalWithTax });
          assert.equal((await vendure.getPayments(o.code))?.authorisedMinor, 0);
        } else {
          assert.equal(money?.capturedMinor, o.totalWithTax, 'Vendure refunds nothing by itself');
          const r = await vendure.refundPayment(o.code, 2200, `${o.code}:refund-1`, 'two mugs');
          assert.equal(r.created, true);
          const after = await vendure.getPayments(o.code);
          assert.equal(after?.refundedMinor, 2200, 'a refund still works on a cancelled order');
          assert.deepEqual(after?.payments.flatMap((p) => p.refunds.map((x) => x.state)), ['settled'], 'in Dovetail\'s words');
          await assertReported(o.code, 'a refund', { pushedOnly: true });
        }
      });
    }
  });

  describe('releaseAuthorisation after a partial capture', () => {
    test('releases what is left authorised, once; the capture stays', async () => {
      const o = await shopCheckout(v.url, { ...buyer('release@example.com'), paymentMethod: 'dummy-authorize', lines: [{ sku: 'MUG-1', quantity: 2 }] });
      await vendure.capturePayment(o.code, 1100, `${o.code}:ship-1`);
      assert.deepEqual(await vendure.releaseAuthorisation(o.code, 'second mug never ships'), { releasedMinor: o.totalWithTax - 1100 });
      const money = await vendure.getPayments(o.code);
      assert.deepEqual(money?.payments.map((p) => [p.state, p.amountMinor]).sort(), [['cancelled', o.totalWithTax - 1100], ['captured', 1100]], 'in Dovetail\'s words');
      assert.deepEqual(await vendure.releaseAuthorisation(o.code, 'again'), { releasedMinor: 0 }, 'nothing left: 0, no error');
      const order = await operatorOrder(admin, o.code);
      assert.equal(order.payments.filter((p) => p.state === 'Authorized').length, 0);
    });
  });

  describe('operator helpers', () => {
    test('cancelInStore and refundInStore are seen by the order feed', async () => {
      const o = await shopCheckout(v.url, { ...buyer('staff@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'MUG-1', quantity: 2 }] });
      await feedReports(o.code);
      await cancelInStore(v, o.code, 'MUG-1', 1);
      assert.deepEqual(counts(await orderLines(o.code), 'MUG-1'), { quantity: 1, shipped: 0, returned: 0 });
      await assertReported(o.code, 'a staff cancellation');
      await refundInStore(v, o.code, 1100, 'one mug cancelled');
      assert.equal((await vendure.getPayments(o.code))?.refundedMinor, 1100);
      await assertReported(o.code, 'a staff refund', { pushedOnly: true });
      const refunds = await vendure.readChanges('refund', null);
      assert.ok(refunds.changes.some((c) => c.key.startsWith(`${o.code}:`)), 'and the money feed reads the staff refund');
    });
  });
});
