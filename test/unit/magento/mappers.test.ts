// Magento records in Dovetail's terms: an order adds up to its grand total to the cent, states
// map to placed / cart / cancelled, products round-trip through the body the connector writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOrder, MProduct, orderStatus, productBody, stampToIso, toMinor, toOrder, toProduct } from '../../../src/connectors/magento/mappers.js';
import { sourceQuantityFor } from '../../../src/connectors/magento/writes.js';
import { Order } from '../../../src/model/order.js';
import { Product } from '../../../src/model/product.js';
import { DovetailError } from '../../../src/errors.js';
import { fixture } from './fake.js';

test('the fixture order in canonical terms: top-level lines net of discount, shipping, totals to the cent', () => {
  const order = toOrder(MOrder.parse(fixture('order.json')));
  Order.parse(order);
  assert.equal(order.code, '000000041');
  assert.equal(order.placedAt, '2026-11-02T10:15:00Z');
  assert.equal(order.customer.email, 'ada@example.com');
  assert.deepEqual(order.lines.map((l) => [l.sku, l.quantity, l.unitPriceMinor, l.lineNetMinor, l.lineTaxMinor, l.taxRatePercent]), [
    ['MG-A', 2, 1000, 1800, 180, 10],
    ['MG-B-RED', 1, 1500, 1500, 150, 10],
  ], "a configurable product's child row is not a line of its own");
  assert.deepEqual(order.shipping, [{ name: 'Flat Rate - Fixed', netMinor: 500, taxMinor: 50, taxRatePercent: 10 }]);
  assert.deepEqual(order.discounts, [{ description: 'AUTUMN10', amountMinor: 200 }]);
  const sum = order.lines.reduce((n, l) => n + l.lineNetMinor + l.lineTaxMinor, 0) + order.shipping.reduce((n, s) => n + s.netMinor + s.taxMinor, 0);
  assert.equal(sum, order.totalMinor);
  assert.equal(order.totalMinor, 4180);
  assert.equal(order.totalTaxMinor, 380);
  assert.equal(order.shippingAddress?.street2, 'Flat 2');
  assert.equal(order.status, 'placed');
});

test("Magento's order states in Dovetail's words; an unknown one is refused, not guessed", () => {
  for (const s of ['new', 'processing', 'complete', 'closed', 'holded', 'payment_review']) assert.equal(orderStatus(s), 'placed');
  assert.equal(orderStatus('canceled'), 'cancelled');
  assert.equal(orderStatus('pending_payment'), 'cart');
  assert.throws(() => orderStatus('archived'), DovetailError);
});

test('amounts: decimals to minor units without losing a cent, per currency digits', () => {
  assert.equal(toMinor(19.99, 'EUR'), 1999);
  assert.equal(toMinor(0.1 + 0.2, 'EUR'), 30);
  assert.equal(toMinor(1500, 'JPY'), 1500);
  assert.equal(toMinor(1.234, 'KWD'), 1234);
  assert.equal(stampToIso('2026-11-29 21:54:54'), '2026-11-29T21:54:54Z');
});

test('a product written by the connector reads back the same, in pounds as in kilograms', () => {
  const product: Product = { sku: 'MG-P', groupKey: 'MUG', fields: {
    names: { name: 'Mug', variantName: 'Blue' }, descriptions: { description: '<p>Stoneware</p>' }, prices: { priceMinor: 1250, currency: 'EUR' },
    availability: { enabled: true }, dimensions: { weightKg: 0.45, lengthCm: 12, widthCm: null, heightCm: 9.5 } } };
  for (const weightUnit of ['kgs', 'lbs'] as const) {
    const body = productBody(product, ['names', 'descriptions', 'prices', 'availability', 'dimensions'], { create: true, currency: 'EUR', weightUnit });
    const back = toProduct(MProduct.parse({ ...body, id: 7 }), 'EUR', weightUnit);
    Product.parse(back);
    assert.equal(back.groupKey, 'MUG');
    assert.deepEqual(back.fields, product.fields, weightUnit);
  }
});

test('an update writes only the groups asked for; a price in another currency is refused', () => {
  const product: Product = { sku: 'MG-P', groupKey: 'MUG', fields: { names: { name: 'Mug', variantName: 'Blue' }, prices: { priceMinor: 1250, currency: 'EUR' } } };
  assert.deepEqual(productBody(product, ['prices'], { create: false, currency: 'EUR', weightUnit: 'kgs' }), { sku: 'MG-P', price: 12.5 });
  assert.throws(() => productBody(product, ['prices'], { create: false, currency: 'USD', weightUnit: 'kgs' }), /priced in EUR.*USD/);
});

test('a product without the variant-name mark leaves names out rather than invent one', () => {
  const p = toProduct(MProduct.parse({ sku: 'MG-OLD', name: 'Made in the admin', price: 3, status: 2 }), 'EUR', 'kgs');
  assert.equal(p.fields.names, undefined);
  assert.deepEqual(p.fields.availability, { enabled: false });
  assert.equal(p.groupKey, 'MG-OLD');
});

test('the source quantity keeps what open orders reserve, so the store sells exactly `available`', () => {
  // 10 on the source, 3 reserved by open orders: salable 7; to sell 5, the source holds 8
  assert.equal(sourceQuantityFor(5, 10, 7), 8);
  assert.equal(sourceQuantityFor(0, 10, 7), 3);
  assert.equal(sourceQuantityFor(0, 0, 2), 0, 'never below zero');
});

test('prices entered with tax: the tax hidden in a discount goes back to the net, so the order still adds up', () => {
  const base = fixture('order.json') as Record<string, unknown> & { items: Record<string, unknown>[] };
  // 12.10 with 10 % tax, 10 % off the price with tax (1.21, of which 0.11 tax), no shipping
  const raw = { ...base, grand_total: 10.89, base_grand_total: 10.89, tax_amount: 0.99, discount_amount: -1.21, shipping_amount: 0, shipping_tax_amount: 0,
    items: [{ ...base.items[0], qty_ordered: 1, price: 11, row_total: 11, discount_amount: 1.21, discount_tax_compensation_amount: 0.11, tax_amount: 0.99, tax_percent: 10 }] };
  const order = toOrder(MOrder.parse(raw));
  assert.deepEqual(order.lines.map((l) => [l.lineNetMinor, l.lineTaxMinor]), [[990, 99]]);
  assert.equal(order.lines[0]!.lineNetMinor + order.lines[0]!.lineTaxMinor, order.totalMinor);
  assert.deepEqual(order.shipping, []);
});
