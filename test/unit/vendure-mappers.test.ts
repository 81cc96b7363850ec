import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OrderNode, toOrder } from '../../src/connectors/vendure/mappers.js';
import { parsePluginEvent } from '../../src/connectors/vendure/reads.js';
import { DovetailError } from '../../src/errors.js';

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

const SECRET = 'unit-test-secret-0123456789';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

test('plugin events: signature checked over the raw bytes, then turned into change references', () => {
  const body = JSON.stringify({ id: 'e1', event: 'OrderPlaced', at: '2026-11-26T00:00:00Z', orderCode: 'ABC' });
  assert.deepEqual(parsePluginEvent(body, { 'x-dovetail-signature': sign(body) }, SECRET), [{ kind: 'order', key: 'ABC', sourceVersion: 'event:e1' }]);
  const variants = JSON.stringify({ id: 'e2', event: 'ProductVariant', at: 'x', skus: ['A', 'B'] });
  assert.deepEqual(parsePluginEvent(variants, { 'x-dovetail-signature': sign(variants) }, SECRET).map((c) => c.key), ['A', 'B']);
  const customer = JSON.stringify({ id: 'e3', event: 'Customer', at: 'x', email: ' Bob@Example.com ' });
  assert.deepEqual(parsePluginEvent(customer, { 'x-dovetail-signature': sign(customer) }, SECRET), [{ kind: 'customer', key: 'bob@example.com', sourceVersion: 'event:e3' }]);
});

test('plugin events: a re-serialised body, a missing signature or a malformed body are refused with the right kind', () => {
  const body = JSON.stringify({ id: 'e1', event: 'OrderPlaced', at: 'x', orderCode: 'ABC' });
  const kindOf = (fn: () => unknown) => { try { fn(); return 'accepted'; } catch (e) { return e instanceof DovetailError ? e.kind : 'crash'; } };
  assert.equal(kindOf(() => parsePluginEvent(JSON.stringify(JSON.parse(body), null, 1), { 'x-dovetail-signature': sign(body) }, SECRET)), 'config');
  assert.equal(kindOf(() => parsePluginEvent(body, {}, SECRET)), 'config');
  assert.equal(kindOf(() => parsePluginEvent('{not json', { 'x-dovetail-signature': sign('{not json') }, SECRET)), 'permanent');
  assert.equal(kindOf(() => parsePluginEvent('{"event":"OrderPlaced"}', { 'x-dovetail-signature': sign('{"event":"OrderPlaced"}') }, SECRET)), 'permanent');
});
