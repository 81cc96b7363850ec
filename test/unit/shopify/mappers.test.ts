// Shopify payloads to the canonical model: exact money, tax-inclusive prices, bad input named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DovetailError } from '../../../src/errors.js';
import { GqlOrder, moneyToMinor, productCreateInput, toOrder, variantInput } from '../../../src/connectors/shopify/mappers.js';

const orderFixture = () => (JSON.parse(readFileSync(new URL('../../../src/connectors/shopify/fixtures/order-by-id.json', import.meta.url), 'utf8')) as { data: { order: unknown } }).data.order;

test('decimal strings to minor units by currency, without floats', () => {
  assert.equal(moneyToMinor({ amount: '19.9', currencyCode: 'EUR' }), 1990);
  assert.equal(moneyToMinor({ amount: '0.29', currencyCode: 'USD' }), 29); // 0.29 * 100 is 28.999… in floats
  assert.equal(moneyToMinor({ amount: '1500.0', currencyCode: 'JPY' }), 1500);
  assert.equal(moneyToMinor({ amount: '1.234', currencyCode: 'KWD' }), 1234);
  assert.throws(() => moneyToMinor({ amount: '1.234', currencyCode: 'EUR' }));
});

test('a tax-inclusive order maps to net lines that add up to Shopify\'s totals to the cent', () => {
  const order = toOrder(GqlOrder.parse(orderFixture()));
  assert.equal(order.code, '5750000000001');
  assert.equal(order.status, 'placed');
  assert.deepEqual(order.lines, [{ sku: 'MUG-BLUE', name: 'Mug - Blue', quantity: 2, unitPriceMinor: 2000, lineNetMinor: 3600, lineTaxMinor: 828, taxRatePercent: 23 }]);
  assert.deepEqual(order.shipping, [{ name: 'Standard', netMinor: 782, taxMinor: 180, taxRatePercent: 23 }]);
  assert.equal(order.totalNetMinor + order.totalTaxMinor, order.totalMinor);
  assert.equal(order.totalMinor, 5390);
  assert.deepEqual(order.discounts, [{ description: 'discount SPRING10 (Shopify #1001)', amountMinor: 492 }]);
});

test('an order address without a country, or a line without a SKU, is a named permanent failure', () => {
  const raw = orderFixture() as { shippingAddress: { countryCodeV2: string | null } };
  raw.shippingAddress.countryCodeV2 = null;
  assert.throws(() => toOrder(GqlOrder.parse(raw)), (e: unknown) => e instanceof DovetailError && e.kind === 'permanent' && /no country/.test(e.message));
  const noSku = orderFixture() as { lineItems: { nodes: { sku: string | null }[] } };
  noSku.lineItems.nodes[0]!.sku = null;
  assert.throws(() => toOrder(GqlOrder.parse(noSku)), (e: unknown) => e instanceof DovetailError && /no SKU/.test(e.message));
});

test('product writes carry only the field groups asked for; dimensions without a native home become metafields', () => {
  const fields = {
    names: { name: 'Mug', variantName: 'Blue' }, prices: { priceMinor: 1299, currency: 'EUR' },
    dimensions: { weightKg: 0.35, lengthCm: 12, widthCm: null, heightCm: 9.5 },
  };
  assert.deepEqual(variantInput(fields, ['prices'], 'Colour'), { price: '12.99' });
  assert.deepEqual(variantInput(fields, ['dimensions'], 'Colour'), {
    inventoryItem: { measurement: { weight: { unit: 'KILOGRAMS', value: 0.35 } } },
    metafields: [
      { namespace: 'dovetail', key: 'length_cm', type: 'number_decimal', value: '12' },
      { namespace: 'dovetail', key: 'height_cm', type: 'number_decimal', value: '9.5' },
    ],
  });
  const create = productCreateInput('MUG', [{ product: { sku: 'MUG-B', groupKey: 'MUG', fields }, groups: ['names', 'prices'] }]);
  assert.equal(create.status, 'DRAFT', 'not said to be sellable: stays a draft');
  assert.deepEqual(create.metafields, [{ namespace: 'dovetail', key: 'group_key', type: 'single_line_text_field', value: 'MUG' }]);
});
