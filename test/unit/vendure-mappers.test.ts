import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OrderNode, toOrder } from '../../src/connectors/vendure/mappers.js';

const fixture = JSON.parse(readFileSync(new URL('../../src/connectors/vendure/fixtures/order-placed.json', import.meta.url), 'utf8'));

test('a placed Vendure order maps to the canonical order, amounts untouched, cancelled lines dropped', () => {
  const o = toOrder(OrderNode.parse(fixture));
  assert.equal(o.status, 'placed');
  assert.equal(o.customer.email, 'Ada@Example.com');
  assert.deepEqual(o.lines, [{ sku: 'TEA-7', name: 'Loose tea', quantity: 3, unitPriceMinor: 1099, lineNetMinor: 2802, lineTaxMinor: 280, taxRatePercent: 10 }]);
  assert.deepEqual(o.shipping, [{ name: 'Standard shipping', netMinor: 500, taxMinor: 50, taxRatePercent: 10 }]);
  assert.equal(o.shippingAddress?.countryCode, 'US');
  assert.equal(o.billingAddress?.street1, '1 Main St', 'an empty billing address falls back to the shipping address');
  assert.equal(o.totalMinor, 3632);
  assert.equal(o.lines.reduce((n, l) => n + l.lineNetMinor + l.lineTaxMinor, 0) + 550, o.totalMinor, 'lines and shipping add up to the total');
});

test('an order still in checkout or cancelled is not a placed order', () => {
  assert.equal(toOrder(OrderNode.parse({ ...fixture, active: true, orderPlacedAt: null, state: 'ArrangingPayment' })).status, 'cart');
  assert.equal(toOrder(OrderNode.parse({ ...fixture, state: 'Cancelled' })).status, 'cancelled');
});
