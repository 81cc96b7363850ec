// Shipments on Shopify orders under the contract's name, on the stateful double: partial
// quantities through fulfillment orders, tracking, the customer told only when asked, and one
// fulfilment per shipment ref, also after an answer lost once Shopify had made it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../../src/errors.js';
import { LOCATION, shopifyOnDouble } from '../../doubles/shopify/connect.js';

async function withOrder() {
  const s = await shopifyOnDouble();
  s.fake.addItem('MUG', { [LOCATION]: 10 });
  s.fake.addItem('BOWL', { [LOCATION]: 10 });
  const order = s.fake.shop.placeOrder({ email: 'ada@example.com', lines: [{ sku: 'MUG', quantity: 3 }, { sku: 'BOWL', quantity: 1 }] });
  return { ...s, order, code: order.legacyId };
}

const shipment = (ref: string, lines: { sku: string; quantity: number }[], trackingCode: string | null = null) =>
  ({ ref, shippedOn: '2026-11-20', carrier: trackingCode ? 'DHL' : null, trackingCode, lines });

test('a partial shipment becomes one fulfilment of those units, with tracking, silent unless asked', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    const made = await connector.recordShipment(code, shipment('tryton:shipment:7', [{ sku: 'MUG', quantity: 2 }], 'TRK-1'), { notifyCustomer: false });
    assert.equal(made.created, true);
    assert.equal(order.fulfillments.length, 1);
    const f = order.fulfillments[0]!;
    assert.deepEqual([f.id, f.notifyCustomer, f.trackingInfo], [made.id, false, [{ number: 'TRK-1', company: 'DHL', url: null }]]);
    assert.deepEqual(f.lines.map((l) => l.quantity), [2]);
    assert.equal(order.fulfillmentOrders[0]!.status, 'IN_PROGRESS');
    const lines = (await connector.getOrderLines([code])).get(code);
    assert.deepEqual(lines!.lines.map((l) => [l.sku, l.quantity, l.shipped]), [['MUG', 3, 2], ['BOWL', 1, 0]]);

    const again = await connector.recordShipment(code, shipment('tryton:shipment:7', [{ sku: 'MUG', quantity: 2 }], 'TRK-1'), { notifyCustomer: false });
    assert.deepEqual(again, { id: made.id, created: false });
    assert.equal(fake.calls('FulfillmentCreate').length, 1);

    const rest = await connector.recordShipment(code, shipment('tryton:shipment:8', [{ sku: 'MUG', quantity: 1 }, { sku: 'BOWL', quantity: 1 }]), { notifyCustomer: true });
    assert.equal(rest.created, true);
    assert.deepEqual([order.fulfillments[1]!.notifyCustomer, order.fulfillments[1]!.trackingInfo], [true, []]);
    assert.equal(order.fulfillmentOrders[0]!.status, 'CLOSED');
    await assert.rejects(connector.recordShipment(code, shipment('tryton:shipment:9', [{ sku: 'MUG', quantity: 1 }]), { notifyCustomer: false }),
      (e: unknown) => e instanceof DovetailError && e.kind === 'permanent' && /0 of MUG left/.test(e.message));
  } finally { await stop(); }
});

test('a fulfilment Shopify made before its answer was lost is found by the shipment ref, not made twice', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    // a person fulfils the bowl in Shopify's admin first: older than the intent, nobody's key
    const byHand = await connector.recordShipment(code, shipment('by-hand', [{ sku: 'BOWL', quantity: 1 }]), { notifyCustomer: false });
    const notes = JSON.parse(order.metafields.get('dovetail.ledger')!.value) as { fulfilments: Record<string, unknown> };
    delete notes.fulfilments['by-hand'];
    order.metafields.set('dovetail.ledger', { value: JSON.stringify(notes), compareDigest: 'by-hand' });

    fake.failures.push({ name: 'FulfillmentCreate', nth: 2, status: 502, when: 'after' });
    const s = shipment('tryton:shipment:7', [{ sku: 'MUG', quantity: 2 }]);
    await assert.rejects(connector.recordShipment(code, s, { notifyCustomer: false }));
    const lost = order.fulfillments[1]!;
    // meanwhile another shipment is recorded: its fulfilment, made after the intent, is claimed by its own ref
    await connector.recordShipment(code, shipment('tryton:shipment:8', [{ sku: 'MUG', quantity: 1 }]), { notifyCustomer: false });
    const again = await connector.recordShipment(code, s, { notifyCustomer: false });
    assert.deepEqual(again, { id: lost.id, created: false });
    assert.notEqual(again.id, byHand.id);
    assert.equal(fake.calls('FulfillmentCreate').length, 3, 'one for each shipment');
    assert.equal(order.fulfillments.length, 3);
    const ledger = JSON.parse(order.metafields.get('dovetail.ledger')!.value) as { fulfilments: Record<string, { ids: string[] }> };
    assert.deepEqual(ledger.fulfilments['tryton:shipment:7']!.ids, [lost.id], 'only its own fulfilment is claimed');
  } finally { await stop(); }
});
