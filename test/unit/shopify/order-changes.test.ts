// Changes to placed Shopify orders under the contract's names, on the stateful double: the
// unshipped rest cancelled by an order edit, shipped units returned, the money around them
// captured and refunded, quantities raised — every total to the cent, nothing done twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../../src/errors.js';
import { LOCATION, shopifyOnDouble } from '../../doubles/shopify/connect.js';

async function withOrder() {
  const s = await shopifyOnDouble();
  s.fake.addItem('MUG', { [LOCATION]: 10 }, undefined, 1000);
  s.fake.addItem('BOWL', { [LOCATION]: 10 }, undefined, 2500);
  s.fake.addItem('PLATE', { [LOCATION]: 10 }, undefined, 1550);
  // 3 mugs (12.00 each with tax), a bowl (30.00), shipping 6.00: 72.00
  const order = s.fake.shop.placeOrder({ email: 'ada@example.com', lines: [{ sku: 'MUG', quantity: 3 }, { sku: 'BOWL', quantity: 1 }], shipping: { title: 'Post', priceMinor: 500 } });
  return { ...s, order, code: order.legacyId };
}

const permanent = (e: unknown) => e instanceof DovetailError && e.kind === 'permanent';

test('partial shipment, capture, cancellation of the unshipped rest, return, refund: totals to the cent, nothing twice', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    const placed = (await connector.getOrderLines([code])).get(code);
    assert.deepEqual(placed!.lines.map((l) => [l.sku, l.quantity, l.unitGrossMinor, l.unitNetMinor, l.taxRatePercent]), [['MUG', 3, 1200, 1000, 20], ['BOWL', 1, 3000, 2500, 20]]);
    assert.equal(placed!.totalMinor, 7200);

    await connector.recordShipment(code, { ref: 'sh-1', shippedOn: '2026-11-20', carrier: null, trackingCode: null, lines: [{ sku: 'MUG', quantity: 2 }] }, { notifyCustomer: false });
    const captured = await connector.capturePayment(code, 3000, `${code}:sh-1`); // 2 mugs and the shipping
    assert.equal(captured.remainingAuthorisedMinor, 4200);

    // a shipped unit cannot be cancelled, only returned
    await assert.rejects(connector.cancelOrderUnits(code, [{ sku: 'MUG', quantity: 2 }], { kind: 'cancel', reason: 'out of stock' }), permanent);
    const cancelled = await connector.cancelOrderUnits(code, [{ sku: 'MUG', quantity: 1 }, { sku: 'BOWL', quantity: 1 }], { kind: 'cancel', reason: 'out of stock' });
    assert.deepEqual(cancelled, { totalBeforeMinor: 7200, totalAfterMinor: 3000 });
    assert.equal(fake.calls('OrderCancel').length, 0, 'units had shipped: an order edit, not a cancellation of the order');
    assert.deepEqual(order.staffNotes, ['out of stock']);
    const afterCancel = (await connector.getOrderLines([code])).get(code);
    assert.deepEqual(afterCancel!.lines.map((l) => [l.sku, l.quantity, l.shipped, l.returned]), [['MUG', 2, 2, 0], ['BOWL', 0, 0, 0]]);
    assert.equal(order.fulfillmentOrders[0]!.status, 'CLOSED', 'nothing is left to fulfil');

    // the authorisation was partly captured: Shopify does not void the rest
    assert.deepEqual(await connector.releaseAuthorisation(code, 'nothing left to ship'), { releasedMinor: 0 });
    assert.equal(fake.calls('TransactionVoid').length, 0);

    await assert.rejects(connector.cancelOrderUnits(code, [{ sku: 'MUG', quantity: 3 }], { kind: 'return', reason: 'broken' }), permanent);
    await connector.cancelOrderUnits(code, [{ sku: 'MUG', quantity: 1 }], { kind: 'return', reason: 'Returned: 1 × MUG returned' });
    assert.deepEqual(order.returns.map((r) => [r.status, r.lines.map((l) => [l.quantity, l.processedQuantity])]), [['CLOSED', [[1, 1]]]]);
    const afterReturn = (await connector.getOrderLines([code])).get(code);
    assert.deepEqual(afterReturn!.lines.map((l) => [l.sku, l.quantity, l.shipped, l.returned]), [['MUG', 1, 2, 1], ['BOWL', 0, 0, 0]]);

    const refund = await connector.refundPayment(code, 1200, `${code}:return-1`, 'Returned 1 mug');
    const repeat = await connector.refundPayment(code, 1200, `${code}:return-1`, 'Returned 1 mug');
    assert.deepEqual([refund.created, repeat.created, repeat.refundIds], [true, false, refund.refundIds]);
    const money = (await connector.getPayments(code))!;
    assert.deepEqual([money.capturedMinor, money.refundedMinor], [3000, 1200]);
    assert.equal(fake.calls('RefundCreate').length, 1);
    assert.equal(fake.calls('OrderCapture').length, 1);
    // a second return of the same unit is refused: it came back already
    await assert.rejects(connector.cancelOrderUnits(code, [{ sku: 'MUG', quantity: 2 }], { kind: 'return', reason: 'again' }), permanent);
  } finally { await stop(); }
});

test('cancelling every unit of an order nothing shipped from cancels the order, and the untouched authorisation is voided', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    const r = await connector.cancelOrderUnits(code, [{ sku: 'MUG', quantity: 3 }, { sku: 'BOWL', quantity: 1 }], { kind: 'cancel', reason: 'customer changed their mind' });
    assert.equal(fake.calls('OrderCancel').length, 1);
    assert.equal(fake.calls('OrderEditBegin').length, 0);
    assert.notEqual(order.cancelledAt, null);
    assert.deepEqual(r, { totalBeforeMinor: 7200, totalAfterMinor: 600 });
    assert.deepEqual(await connector.releaseAuthorisation(code, 'cancelled'), { releasedMinor: 7200 });
    const money = (await connector.getPayments(code))!;
    assert.deepEqual(money.payments.map((p) => [p.state, p.amountMinor]), [['cancelled', 7200]]);
    assert.equal(money.authorisedMinor, 0);
    assert.deepEqual(await connector.releaseAuthorisation(code, 'again'), { releasedMinor: 0 }, 'a repeat releases nothing');
    assert.equal(fake.calls('TransactionVoid').length, 1);
  } finally { await stop(); }
});

test('raising quantities: a line raised and a new SKU added in one edit, priced by Shopify; a repeat changes nothing', async () => {
  const { fake, connector, code, stop } = await withOrder();
  try {
    const r = await connector.raiseOrderQuantities(code, [{ sku: 'MUG', quantity: 4 }, { sku: 'PLATE', quantity: 2 }, { sku: 'BOWL', quantity: 1 }], 'added by phone');
    // one more mug (12.00) and two plates (2 × 15.50 + 20 % = 37.20)
    assert.deepEqual(r, { totalBeforeMinor: 7200, totalAfterMinor: 7200 + 1200 + 3720, state: 'AUTHORIZED' });
    const lines = (await connector.getOrderLines([code])).get(code);
    assert.deepEqual(lines!.lines.map((l) => [l.sku, l.quantity, l.unitNetMinor]), [['MUG', 4, 1000], ['BOWL', 1, 2500], ['PLATE', 2, 1550]]);
    assert.equal(fake.calls('OrderEditCommit').length, 1);
    const again = await connector.raiseOrderQuantities(code, [{ sku: 'MUG', quantity: 4 }, { sku: 'PLATE', quantity: 2 }], 'added by phone');
    assert.deepEqual(again, { totalBeforeMinor: 12120, totalAfterMinor: 12120, state: 'AUTHORIZED' });
    assert.equal(fake.calls('OrderEditBegin').length, 1);
    await assert.rejects(connector.raiseOrderQuantities(code, [{ sku: 'NOPE', quantity: 1 }], 'x'), permanent);
  } finally { await stop(); }
});

test('getOrderLines reads many orders together: each as read alone, unknown codes left out, calls by the batch, not by the order', async () => {
  const { fake, connector, code, stop } = await withOrder();
  try {
    await connector.recordShipment(code, { ref: 'sh-1', shippedOn: '2026-11-20', carrier: null, trackingCode: null, lines: [{ sku: 'MUG', quantity: 2 }] }, { notifyCustomer: false });
    const plates = fake.shop.placeOrder({ email: 'bo@example.com', lines: [{ sku: 'PLATE', quantity: 2 }] });
    // more line items than a batched read asks for: that order is read again on its own
    const long = fake.shop.placeOrder({ email: 'cy@example.com', lines: Array.from({ length: 11 }, () => ({ sku: 'BOWL', quantity: 1 })) });
    const codes = [code, plates.legacyId, long.legacyId];
    const alone = new Map<string, unknown>();
    for (const c of codes) alone.set(c, (await connector.getOrderLines([c])).get(c));
    assert.equal(fake.calls('OrderLinesStates').length, 3, 'one call for one order');

    const since = fake.requests.length;
    const calls = () => fake.requests.slice(since).map((r) => r.name);
    const all = await connector.getOrderLines([...codes, 'NEVER', '999999', plates.name]);
    for (const c of codes) assert.deepEqual(all.get(c), alone.get(c), c);
    assert.deepEqual(all.get(plates.name), alone.get(plates.legacyId), 'by its name too');
    assert.deepEqual([all.has('NEVER'), all.has('999999'), all.size], [false, false, 4]);
    assert.deepEqual(all.get(long.legacyId)!.lines.map((l) => [l.sku, l.quantity]), [['BOWL', 11]]);
    // one search for the names, one read for the four ids, the long order again
    assert.deepEqual(calls().sort(), ['OrderIdsByName', 'OrderLinesState', 'OrderLinesStates']);

    for (let i = 0; i < 8; i++) fake.shop.placeOrder({ email: 'di@example.com', lines: [{ sku: 'MUG', quantity: 1 }] });
    const many = [...fake.shop.orders.values()].filter((o) => o.lines.length < 11).map((o) => o.legacyId);
    const before = fake.calls('OrderLinesStates').length;
    assert.equal((await connector.getOrderLines(many)).size, 10);
    const pages = fake.calls('OrderLinesStates').slice(before).map((r) => (r.variables.ids as string[]).length);
    assert.deepEqual(pages, [4, 4, 2], 'ten orders: three calls, at most four ids each');

    const idle = fake.requests.length;
    assert.equal((await connector.getOrderLines([])).size, 0);
    assert.equal(fake.requests.length, idle, 'no codes: no call');
  } finally { await stop(); }
});
