// One web order's whole life between a real Tryton and a real Vendure, with Dovetail run as its
// own process and killed (SIGKILL) at the critical point of every step, then killed again between
// steps: order of 2 lines → ship 1 → capture its part → cancel the other → return the shipped one →
// credit memo → refund. At the end both systems agree on quantities and money to the cent, and
// each capture and refund was made exactly once.
//
// The shop's answers: capture atShipment (settled in the store), cancellations, returns and credit
// memos in Tryton, returns shown on the website, refunds started from Tryton's credit note.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailProcess } from './helpers/dovetail-process.js';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { capability, oneOrder } from '../../src/connectors/types.js';
import { linesAgree } from '../../src/model/order-lines.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, receiveStock, salesFor, settingsFor, shipWhatIsThere, trytonAdmin, until } from './helpers/dovetail.js';
import { freePort } from './helpers/free-port.js';
import { amendQuantity, cancelUnshipped, postCreditNotesOf, returnUnits } from './helpers/tryton-operator.js';
import { quantityOf, refundsOf, trytonMoney, vendureOrder } from './helpers/order-changes.js';
import { trytonStock } from './helpers/offline.js';

const address = { fullName: 'Grace Buyer', streetLine1: '9 Harbour Rd', city: 'Springfield', postalCode: '12345', countryCode: 'US' };

describe('the order lifecycle, Dovetail killed at every step', () => {
  let tdb: TrytonDatabase; let v: VendureInstance; let t: TrytonClient; let admin: GqlClient;
  let settings: ReturnType<typeof settingsFor>;
  let kettle: number; let lid: number;
  const dovetail = new DovetailProcess(() => settings);

  before(async () => {
    tdb = await freshTrytonDatabase(); v = await startVendure(); t = await trytonAdmin(tdb); admin = await adminGql(v.url);
    settings = settingsFor(tdb, v, { rules: {
      capture: 'atShipment', settleFrom: 'store', cancellationsIn: 'inventory', returnsIn: 'inventory', returnsToStore: true,
      creditMemosIn: 'inventory', refundsIn: 'inventory',
    }, server: { port: await freePort() } });
    kettle = await createTrytonProduct(t, 'KETTLE-1', 'Copper kettle', '40.00');
    lid = await createTrytonProduct(t, 'LID-1', 'Spare lid', '6.00');
    await receiveStock(t, kettle, 4);
    await receiveStock(t, lid, 2);
    await dovetail.start();
    await until('both products on sale in Vendure', async () => (await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(
      `{ productVariants { items { sku stockOnHand } } }`)).productVariants.items.filter((p) => p.stockOnHand > 0).length === 2, 90_000);
  });
  after(async () => {
    await dovetail.kill();
    await v?.stop();
  });

  test('order → ship 1 → capture → cancel the other → return → credit memo → refund: agree to the cent, each movement once', async () => {
    // 1. the order: a kettle and a lid, authorised only
    await dovetail.kill();
    const order = await shopCheckout(v.url, { email: 'grace@example.com', firstName: 'Grace', lastName: 'Buyer', address,
      lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }] });
    const placed = await vendureOrder(admin, order.code);
    const kettleGross = placed.lines.find((l) => l.productVariant.sku === 'KETTLE-1')!.linePriceWithTax;
    const lidGross = placed.lines.find((l) => l.productVariant.sku === 'LID-1')!.linePriceWithTax;
    assert.equal(placed.payments.map((p) => p.state).join(), 'Authorized');
    await dovetail.crashAt('order.saleWritten');
    const sale = await until('the sale in Tryton', async () => (await salesFor(t, order.code)).find((s) => s.state === 'processing'), 90_000);

    // 2. the warehouse ships the kettle only (the lid is taken out of the shipment)
    await dovetail.kill();
    await removeFromStock(t, lid); // nothing to pick: the lid waits in a backorder
    const shipped = await shipWhatIsThere(t, order.code);
    assert.ok(shipped);
    await dovetail.crashAt('capture.captured');
    const expectedCapture = kettleGross + placed.shippingWithTax;
    await until('the kettle captured and recorded in Tryton', async () => (await trytonMoney(t, sale.id)).received === expectedCapture, 90_000);
    let o = await vendureOrder(admin, order.code);
    assert.deepEqual(o.payments.filter((p) => p.state === 'Settled').map((p) => p.amount), [expectedCapture], 'one capture of the kettle and shipping');
    assert.equal(o.fulfillments.filter((f) => f.state !== 'Cancelled').length, 1, 'the shipment is a fulfilment');
    await dovetail.kill();

    // 3. the lid is cancelled in Tryton: its stock is no longer promised. Dovetail dies right after
    // cancelling it in Vendure, before it noted that — and stays down while the next step happens.
    const lidBefore = await trytonStock(t, lid);
    await cancelUnshipped(t, sale.id, 'LID-1');
    assert.equal((await trytonStock(t, lid)).forecast, lidBefore.forecast + 1, 'the cancelled lid is no longer promised');
    await dovetail.crashAt('orderChanges.carried', { restart: false });
    o = await vendureOrder(admin, order.code);
    assert.equal(quantityOf(o, 'LID-1'), 0, 'the lid was cancelled in Vendure before the crash');
    assert.equal(o.totalWithTax, placed.totalWithTax - lidGross, 'the order total lost the lid, to the cent');

    // 4. the kettle comes back: a return in Tryton, while Dovetail is down
    const kettleBefore = await trytonStock(t, kettle);
    const returnSale = await returnUnits(t, sale.id, [{ sku: 'KETTLE-1', quantity: 1 }]);
    assert.equal((await trytonStock(t, kettle)).onHand, kettleBefore.onHand + 1, 'the return put the kettle back in stock');
    await dovetail.crashAt('orderChanges.carried');
    o = await until('the return shown on the Vendure order and the rest of the authorisation released', async () => {
      const x = await vendureOrder(admin, order.code);
      return quantityOf(x, 'KETTLE-1') === 0 && !x.payments.some((p) => p.state === 'Authorized') && x;
    }, 90_000);
    assert.equal(quantityOf(o, 'LID-1'), 0, 'the lid cancelled once');
    assert.ok(o.history.items.some((h) => h.type === 'ORDER_CANCELLATION' && /^Return/i.test(String(h.data.reason ?? ''))), 'the customer sees it as a return');
    await dovetail.kill();

    // 5. the credit memo, posted in Tryton, makes the refund through Vendure
    await postCreditNotesOf(t, returnSale);
    await dovetail.crashAt('refund.refunded');
    await until('the refund recorded in Tryton', async () => (await trytonMoney(t, sale.id)).paidOut > 0, 90_000);
    await dovetail.kill();
    await dovetail.start();
    // a few more passes of a healthy Dovetail must change nothing
    await new Promise((r) => setTimeout(r, 5_000));

    o = await vendureOrder(admin, order.code);
    const captures = o.payments.filter((p) => ['Settled', 'Cancelled'].includes(p.state) || p.refunds.length);
    const captured = o.payments.filter((p) => p.state === 'Settled').reduce((n, p) => n + p.amount, 0);
    const refunds = refundsOf(o);
    assert.equal(captured, expectedCapture, `captured once: the kettle and shipping (${JSON.stringify(captures)})`);
    assert.deepEqual(refunds.map((r) => [r.state, r.total]), [['Settled', kettleGross]], 'refunded once: the returned kettle');
    assert.ok(!o.payments.some((p) => p.state === 'Authorized'), 'nothing left authorised');
    const money = await trytonMoney(t, sale.id);
    assert.equal(money.received, captured, 'Tryton received what the store captured, to the cent');
    assert.equal(money.paidOut, kettleGross, 'Tryton paid out what the store refunded, to the cent');
    assert.equal(money.count, 2, 'one capture and one refund recorded in Tryton');

    // quantities: both sides read in the same shape agree (nothing kept, one kettle back, the lid never sent)
    const ctx = await openContext(settings.config, createLogger('silent'));
    try {
      const store = await oneOrder(capability(ctx.store, 'orderChanges', 'this test').getOrderLines([order.code]), order.code);
      const inventory = await oneOrder(capability(ctx.inventory, 'orderChanges', 'this test').getSaleLines([order.code]), order.code);
      assert.ok(store && inventory);
      assert.ok(linesAgree(store, inventory), `both systems agree: ${JSON.stringify({ store: store.lines, inventory: inventory.lines })}`);
      assert.deepEqual(store.lines.map((l) => [l.sku, l.quantity, l.returned]).sort(), [['KETTLE-1', 0, 1], ['LID-1', 0, 0]]);
      assert.deepEqual((await ctx.storage.conflicts()).filter((c) => c.recordKey === order.code), [], 'no conflict left open');
    } finally {
      await ctx.storage.close();
    }
    assert.equal((await trytonStock(t, kettle)).onHand, 4, 'the kettle is back on the shelf');
  });

  test('cancellations of several orders in flight together when Dovetail is killed: each carried once', async () => {
    await dovetail.kill();
    const mug = await createTrytonProduct(t, 'MUG-1', 'Stoneware mug', '8.00');
    await receiveStock(t, mug, 40);
    await dovetail.start();
    await until('the mug on sale in Vendure', async () => (await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(
      `{ productVariants(options: { filter: { sku: { eq: "MUG-1" } } }) { items { sku stockOnHand } } }`)).productVariants.items.some((p) => p.stockOnHand > 0), 90_000);
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      codes.push((await shopCheckout(v.url, { email: `mugs${i}@example.com`, firstName: 'Mug', lastName: `Buyer ${i}`, address,
        lines: [{ sku: 'MUG-1', quantity: 3 }] })).code);
    }
    const sales = await until('the six sales in Tryton', async () => {
      const all = (await Promise.all(codes.map((c) => salesFor(t, c)))).map((found) => found.find((x) => x.state === 'processing'));
      return all.every(Boolean) && all.map((x) => x!.id);
    }, 120_000);
    // one more pass: the baseline of both sides' lines is taken right after each import
    await new Promise((r) => setTimeout(r, 3_000));
    await dovetail.kill();
    // a mug off each order in Tryton while Dovetail is down: one poll finds all six, worked together
    for (const id of sales) await amendQuantity(t, id, 'MUG-1', 2);
    await dovetail.crashAt('orderChanges.carried');
    await until('each order down to two mugs in Vendure', async () => {
      const left = await Promise.all(codes.map(async (c) => quantityOf(await vendureOrder(admin, c), 'MUG-1')));
      return left.every((q) => q <= 2);
    }, 120_000);
    await new Promise((r) => setTimeout(r, 5_000)); // more passes of a healthy Dovetail change nothing
    const left = await Promise.all(codes.map(async (c) => quantityOf(await vendureOrder(admin, c), 'MUG-1')));
    assert.deepEqual(left, codes.map(() => 2), 'each cancellation carried exactly once, the one whose carry was interrupted included');
  });
});

/** Counts the product at 0 in the warehouse (a stock inventory), so a shipment cannot pick it. */
async function removeFromStock(t: TrytonClient, productId: number) {
  const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
  const [inv] = await t.create('stock.inventory', [{ location: wh.storage_location, company: t.context.company, lines: [['create', [{ product: productId, quantity: 0 }]]] }]);
  await t.button('stock.inventory', 'confirm', [inv]);
}
