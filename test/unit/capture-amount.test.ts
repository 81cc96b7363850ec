// The capture rule for rules.capture: atShipment, on its own: shares add up to the cent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureAmount, shipmentCapture } from '../../src/rules/capture-amount.js';

const order = {
  lines: [
    { sku: 'A', name: 'A', quantity: 3, unitPriceMinor: 333, lineNetMinor: 1000, lineTaxMinor: 100, taxRatePercent: 10 },
    { sku: 'B', name: 'B', quantity: 1, unitPriceMinor: 800, lineNetMinor: 800, lineTaxMinor: 80, taxRatePercent: 10 },
  ],
  shipping: [{ name: 'Standard', netMinor: 500, taxMinor: 50, taxRatePercent: 10 }],
};

test('the first shipment carries the shipping charge; shipments one unit at a time add up to the order to the cent', () => {
  const first = captureAmount(order, { lines: [{ sku: 'A', quantity: 1 }], earlier: [], first: true });
  assert.equal(first.shippingMinor, 550);
  assert.equal(first.amountMinor, 367 + 550, '1100 / 3 rounds to 367');
  const second = captureAmount(order, { lines: [{ sku: 'A', quantity: 1 }], earlier: [{ sku: 'A', quantity: 1 }], first: false });
  const third = captureAmount(order, { lines: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }], earlier: [{ sku: 'A', quantity: 2 }], first: false });
  assert.equal(second.amountMinor, 733 - 367);
  assert.equal(first.amountMinor + second.amountMinor + third.amountMinor, 1100 + 880 + 550, 'the order total, no cent lost or gained');
});

test('shipping more than was ordered, or a SKU not on the order, is refused', () => {
  assert.throws(() => captureAmount(order, { lines: [{ sku: 'A', quantity: 2 }], earlier: [{ sku: 'A', quantity: 2 }], first: false }), /4 of SKU A shipped, but the store order has 3/);
  assert.throws(() => captureAmount(order, { lines: [{ sku: 'Z', quantity: 1 }], earlier: [], first: true }), /SKU Z was shipped but is not on the store order/);
});

test('a shipment asks the store for money unless there is nothing to take: paid in full at checkout, or nothing charged', () => {
  const held = { authorisedMinor: 0, capturedMinor: 2000, totalMinor: 2000, capturedForThisKey: false };
  const paidUp = shipmentCapture(1500, held);
  assert.equal(paidUp.capture, false);
  assert.match(!paidUp.capture ? paidUp.why : '', /captured the whole order \(2000 of 2000\) at checkout/);
  assert.deepEqual(shipmentCapture(0, { ...held, authorisedMinor: 2000, capturedMinor: 0 }), { capture: false, why: 'the shipment carries nothing that is charged' });
  // authorised and waiting: capture
  assert.deepEqual(shipmentCapture(1500, { ...held, authorisedMinor: 2000, capturedMinor: 0 }), { capture: true });
  // less authorised than the shipment costs is still asked for: the store refuses, and the failure says why
  assert.deepEqual(shipmentCapture(1500, { ...held, authorisedMinor: 500, capturedMinor: 1500 }), { capture: true });
  // this shipment's own capture, made before a crash, is found again and recorded, never skipped
  assert.deepEqual(shipmentCapture(1500, { ...held, capturedForThisKey: true }), { capture: true });
});
