// The capture rule for rules.capture: atShipment, on its own: shares add up to the cent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureAmount } from '../../src/rules/capture-amount.js';

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
