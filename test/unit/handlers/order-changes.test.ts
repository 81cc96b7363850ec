// Changes to placed orders, rule by rule (rules.cancellationsIn, returnsIn, returnsToStore,
// orderEditsIn, creditMemosIn, and capture for the money of cancelled units), on the real engine over the in-memory pair.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { units } from '../../reference/memory-store.js';
import { importedOrder, openShop, stocked, type Settings, type Shop } from './harness.js';

const PRODUCTS = [{ sku: 'LAMP', priceMinor: 3000, onHand: 20 }, { sku: 'BULB', priceMinor: 300, onHand: 50 }];

/** 2 lamps (33.00 each, tax included) and 1 bulb (3.30), paid at checkout unless said. */
async function shopWithOrder(rules: Settings['rules'], pay: 'authorise' | 'capture' = 'capture'): Promise<{ shop: Shop; code: string }> {
  const shop = await openShop({ rules });
  await stocked(shop, PRODUCTS);
  return { shop, code: await importedOrder(shop, [{ sku: 'LAMP', quantity: 2 }, { sku: 'BULB', quantity: 1 }], { pay }) };
}

const inStore = (shop: Shop, code: string, sku: string) => { const l = shop.store.order(code).lines.find((x) => x.sku === sku); return l ? units(l) : 0; };
const inSale = (shop: Shop, code: string, sku: string) => shop.inv.saleOf(code).lines.find((x) => x.sku === sku)?.quantity ?? 0;
const refunds = (shop: Shop, code: string) => shop.store.order(code).payments.flatMap((p) => p.refunds).map((r) => r.totalMinor);
const payable = (shop: Shop, code: string) => shop.inv.paymentsOf(code).filter((p) => p.kind === 'payable').map((p) => p.amountMinor);
const fieldGroups = async (shop: Shop, code: string) => (await shop.conflicts(code)).map((c) => c.fieldGroup);

describe('rules.cancellationsIn', () => {
  test('inventory: units cancelled there are cancelled on the store order and refunded once (capture atOrder)', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atOrder' });
    shop.inv.cancelUnits(code, 'LAMP', 1);
    await shop.settle();
    assert.equal(inStore(shop, code, 'LAMP'), 1);
    assert.deepEqual(refunds(shop, code), [3300]);
    assert.deepEqual(payable(shop, code), [3300], 'the refund recorded against the sale');
    const actions = await shop.actions(code);
    assert.deepEqual(actions.filter((a) => a.startsWith('order.cancel') || a.startsWith('payment.refund')), ['order.cancelCopied', 'payment.refundedCancelled']);
    assert.deepEqual(await fieldGroups(shop, code), []);
    await shop.close();
  });

  test('inventory: a cancellation made in the store is not copied, refunds nothing, and is flagged', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atOrder' });
    shop.store.cancelUnits(code, 'LAMP', 1);
    await shop.settle();
    assert.equal(inSale(shop, code, 'LAMP'), 2);
    assert.deepEqual(refunds(shop, code), []);
    assert.deepEqual(await fieldGroups(shop, code), ['lines.cancel']);
    assert.ok((await shop.actions(code)).includes('order.cancelRefused'));
    await shop.close();
  });

  test('store: units cancelled in the store are cancelled in the sale (stock freed there) and refunded once', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'store', capture: 'atOrder' });
    shop.store.cancelUnits(code, 'LAMP', 2);
    await shop.settle();
    assert.equal(inSale(shop, code, 'LAMP'), 0);
    assert.equal(inSale(shop, code, 'BULB'), 1, 'the other line untouched');
    assert.deepEqual((await shop.inv.getStock(['LAMP'])).get('LAMP')?.allocations, [], 'the inventory system no longer holds them');
    assert.deepEqual(refunds(shop, code), [6600]);
    assert.deepEqual(payable(shop, code), [6600]);
    await shop.close();
  });

  test('store: a cancellation made in the inventory system is not copied and is flagged', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'store', capture: 'atOrder' });
    shop.inv.cancelUnits(code, 'BULB', 1);
    await shop.settle();
    assert.equal(inStore(shop, code, 'BULB'), 1);
    assert.deepEqual(refunds(shop, code), []);
    assert.deepEqual(await fieldGroups(shop, code), ['lines.cancel']);
    await shop.close();
  });

  test('store: units that already left the warehouse cannot be cancelled there; the change fails alone, nothing half-written', async () => {
    const shop = await openShop({ rules: { cancellationsIn: 'store', partialShipmentsToStore: false } });
    await stocked(shop, PRODUCTS);
    const code = await importedOrder(shop, [{ sku: 'LAMP', quantity: 2 }], { pay: 'capture' });
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }]); // not reported: the store still thinks both wait
    shop.store.cancelUnits(code, 'LAMP', 2);
    await shop.settle();
    assert.equal(inSale(shop, code, 'LAMP'), 2, 'the sale never goes below what shipped');
    assert.deepEqual(refunds(shop, code), []);
    assert.deepEqual((await shop.engine.ctx.storage.failures()).map((j) => j.kind), ['order.changes']);
    await shop.close();
  });

  test('a crash after the change was carried: the retry sees both systems agree and carries nothing twice', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atOrder' });
    shop.inv.cancelUnits(code, 'LAMP', 1);
    await shop.crashAt('orderChanges.carried');
    assert.equal(inStore(shop, code, 'LAMP'), 1);
    assert.deepEqual(refunds(shop, code), [3300]);
    await shop.close();
  });

  test('a crash after the cancelled units were refunded: the retry finds the refund by its key, one refund and one record', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atOrder' });
    shop.inv.cancelUnits(code, 'LAMP', 1);
    await shop.crashAt('orderChanges.refunded');
    assert.deepEqual(refunds(shop, code), [3300]);
    assert.deepEqual(payable(shop, code), [3300]);
    assert.ok((await shop.actions(code)).includes('payment.refundFound'));
    await shop.close();
  });
});

describe('rules.capture for cancelled units', () => {
  test('atShipment: once nothing is left to ship, what is still authorised for the cancelled units is released', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atShipment' }, 'authorise');
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }, { sku: 'BULB', quantity: 1 }]);
    await shop.settle();
    shop.inv.cancelUnits(code, 'LAMP', 1);
    await shop.settle();
    const payments = shop.store.order(code).payments;
    assert.deepEqual(payments.filter((p) => p.state === 'captured').map((p) => p.amountMinor), [3630], 'the shipment captured its own amount');
    assert.deepEqual(payments.filter((p) => p.state === 'cancelled').map((p) => p.amountMinor), [3300], 'the cancelled lamp\'s authorisation let go');
    assert.deepEqual(refunds(shop, code), [], 'nothing was taken for it, so nothing is refunded');
    assert.ok((await shop.actions(code)).includes('payment.released'));
    await shop.close();
  });

  test('atShipment: a shipment and the cancellation of the rest seen together — the shipment is captured first, then the rest released', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atShipment' }, 'authorise');
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }, { sku: 'BULB', quantity: 1 }]);
    shop.inv.cancelUnits(code, 'LAMP', 1); // the backorder cancelled before Dovetail's next look
    await shop.settle();
    await shop.later();
    const payments = shop.store.order(code).payments;
    assert.deepEqual(payments.filter((p) => p.state === 'captured').map((p) => p.amountMinor), [3630], 'the goods that left are paid for');
    assert.deepEqual(payments.filter((p) => p.state === 'cancelled').map((p) => p.amountMinor), [3300]);
    assert.deepEqual(await shop.engine.ctx.storage.failures(), []);
    await shop.close();
  });

  test('atShipment: a cancellation while units still wait releases nothing yet; the last shipment captures its part and lets the rest go', async () => {
    const { shop, code } = await shopWithOrder({ cancellationsIn: 'inventory', capture: 'atShipment' }, 'authorise');
    shop.inv.cancelUnits(code, 'LAMP', 1);
    await shop.settle();
    assert.deepEqual(shop.store.order(code).payments.map((p) => p.state), ['authorised'], 'still to ship: nothing released');
    shop.inv.ship(code);
    await shop.settle();
    await shop.later(); // the release waited for the shipment's capture
    const payments = shop.store.order(code).payments;
    assert.deepEqual(payments.filter((p) => p.state === 'captured').map((p) => p.amountMinor), [3630], 'not the cancelled lamp');
    assert.deepEqual(payments.filter((p) => p.state === 'authorised'), [], 'no authorisation left hanging');
    assert.deepEqual(payments.filter((p) => p.state === 'cancelled').map((p) => p.amountMinor), [3300]);
    assert.equal((await shop.actions(code)).filter((a) => a === 'payment.released').length, 1);
    await shop.close();
  });
});

describe('rules.returnsIn and returnsToStore', () => {
  const shippedOrder = async (rules: Settings['rules']) => {
    const { shop, code } = await shopWithOrder(rules);
    shop.inv.ship(code);
    await shop.settle();
    return { shop, code };
  };

  test('returnsIn: inventory, returnsToStore: true — a return booked there restocks it and shows on the store order; no refund by itself', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'inventory', returnsToStore: true });
    const before = shop.inv.onHandOf('LAMP');
    shop.inv.returnUnits(code, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    assert.equal(shop.inv.onHandOf('LAMP'), before + 1);
    assert.equal(shop.store.order(code).lines.find((l) => l.sku === 'LAMP')?.returned, 1, 'shown once on the store order');
    assert.match(shop.store.order(code).history.at(-1) ?? '', /^Returned: 1 × LAMP returned/);
    assert.deepEqual(refunds(shop, code), [], 'the refund follows the credit memo, not the return');
    assert.deepEqual(await fieldGroups(shop, code), []);
    await shop.close();
  });

  test('returnsIn: inventory, returnsToStore: false — restocked there, the store order left as it was, and the audit says so', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'inventory', returnsToStore: false });
    shop.inv.returnUnits(code, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    assert.equal(shop.store.order(code).lines.find((l) => l.sku === 'LAMP')?.returned, 0);
    const [notShown] = (await shop.audit(code)).filter((a) => a.action === 'order.returnNotShown');
    assert.equal(notShown.setting, 'rules.returnsToStore=false');
    assert.deepEqual(await fieldGroups(shop, code), [], 'not a conflict: the shop chose it');
    await shop.close();
  });

  test('returnsIn: inventory — a return entered in the store is not booked in the inventory system and is flagged', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'inventory' });
    const before = shop.inv.onHandOf('BULB');
    shop.store.returnUnits(code, 'BULB', 1);
    await shop.settle();
    assert.equal(shop.inv.onHandOf('BULB'), before);
    assert.deepEqual(await fieldGroups(shop, code), ['lines.return']);
    await shop.close();
  });

  test('returnsIn: store, creditMemosIn: store — a return entered in the store is booked back into stock once, no credit note there', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'store', creditMemosIn: 'store' });
    const before = shop.inv.onHandOf('LAMP');
    shop.store.returnUnits(code, 'LAMP', 2);
    await shop.settle();
    assert.equal(shop.inv.onHandOf('LAMP'), before + 2);
    assert.equal(shop.inv.returnsOf(code).length, 1);
    assert.deepEqual(shop.inv.creditNotesOf(code), []);
    assert.ok((await shop.actions(code)).includes('order.returnCopied'));
    await shop.close();
  });

  test('returnsIn: store, creditMemosIn: inventory — the booked return comes with the inventory system\'s own draft credit note', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'store', creditMemosIn: 'inventory' });
    shop.store.returnUnits(code, 'LAMP', 1);
    await shop.settle();
    assert.deepEqual(shop.inv.creditNotesOf(code).map((n) => [n.amountMinor, n.state]), [[3300, 'draft']]);
    await shop.close();
  });

  test('returnsIn: store, creditMemosIn and refundsIn: inventory — the operator posts the return\'s credit note and the store refunds it once', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'store', creditMemosIn: 'inventory', refundsIn: 'inventory' });
    shop.store.returnUnits(code, 'LAMP', 1);
    await shop.settle();
    assert.deepEqual(refunds(shop, code), [], 'nothing refunded by the return itself');
    shop.inv.postDraftCreditNote(shop.inv.creditNotesOf(code)[0].id);
    await shop.settle();
    assert.deepEqual(refunds(shop, code), [3300]);
    assert.deepEqual(payable(shop, code), [3300]);
    await shop.close();
  });

  test('returnsIn: store — a return booked in the inventory system is not shown in the store and is flagged', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'store' });
    shop.inv.returnUnits(code, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    assert.equal(shop.store.order(code).lines.find((l) => l.sku === 'LAMP')?.returned, 0);
    assert.deepEqual(await fieldGroups(shop, code), ['lines.return']);
    await shop.close();
  });

  test('returnsIn: store — a crash after the return was booked: the retry finds it by its key, stock up once', async () => {
    const { shop, code } = await shippedOrder({ returnsIn: 'store' });
    const before = shop.inv.onHandOf('LAMP');
    shop.store.returnUnits(code, 'LAMP', 1);
    await shop.crashAt('orderChanges.carried');
    assert.equal(shop.inv.onHandOf('LAMP'), before + 1);
    assert.equal(shop.inv.returnsOf(code).length, 1);
    await shop.close();
  });
});

describe('rules.orderEditsIn', () => {
  test('store: more units and a new product added in the store reach the sale, and the totals agree', async () => {
    const { shop, code } = await shopWithOrder({ orderEditsIn: 'store' });
    shop.store.editOrder(code, 'LAMP', 3);
    shop.store.editOrder(code, 'BULB', 4);
    await shop.settle();
    assert.equal(inSale(shop, code, 'LAMP'), 3);
    assert.equal(inSale(shop, code, 'BULB'), 4);
    assert.equal((await shop.inv.getSaleLines([code])).get(code)?.totalMinor, (await shop.store.getOrderLines([code])).get(code)?.totalMinor, 'to the cent');
    assert.equal((await shop.actions(code)).filter((a) => a === 'order.editCopied').length, 2);
    assert.deepEqual(await fieldGroups(shop, code), []);
    await shop.close();
  });

  test('store: an edit made in the inventory system is not copied and is flagged', async () => {
    const { shop, code } = await shopWithOrder({ orderEditsIn: 'store' });
    shop.inv.editSale(code, 'LAMP', 3, { unitNetMinor: 3000, taxRatePercent: 10 });
    await shop.settle();
    assert.equal(inStore(shop, code, 'LAMP'), 2);
    assert.deepEqual(await fieldGroups(shop, code), ['lines.edit']);
    await shop.close();
  });

  test('inventory: more units added there reach the store order, and what the customer owes beyond the payment is flagged', async () => {
    const { shop, code } = await shopWithOrder({ orderEditsIn: 'inventory' });
    shop.inv.editSale(code, 'LAMP', 3, { unitNetMinor: 3000, taxRatePercent: 10 });
    await shop.settle();
    assert.equal(inStore(shop, code, 'LAMP'), 3);
    const [payment] = (await shop.conflicts(code)).filter((c) => c.fieldGroup === 'payment');
    assert.match(payment.otherValue, /^3300 more to collect \(memory-store: ArrangingAdditionalPayment\)/);
    assert.equal((await shop.actions(code)).filter((a) => a === 'order.editCopied').length, 1, 'copied once');
    await shop.close();
  });

  test('inventory: an edit made in the store is not copied and is flagged', async () => {
    const { shop, code } = await shopWithOrder({ orderEditsIn: 'inventory' });
    shop.store.editOrder(code, 'BULB', 2);
    await shop.settle();
    assert.equal(inSale(shop, code, 'BULB'), 1);
    assert.deepEqual(await fieldGroups(shop, code), ['lines.edit']);
    await shop.close();
  });
});
