// master.priceLevels, the pure parts: Tryton's computed prices in minor units, Vendure's group
// prices as levels and back, which group price a customer pays, and what `check` says per pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundedMinor } from '../../src/connectors/tryton/price-levels.js';
import { toGroupPrices, toLevels, toProduct, VariantNode } from '../../src/connectors/vendure/mappers.js';
import { groupPriceFor } from '../../src/connectors/vendure/plugin/group-price-rule.js';
import { coverage } from '../../src/config/coverage.js';
import { parseConfig } from '../../src/config/load.js';
import { Engine } from '../../src/engine/engine.js';
import { openStorage } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { MemoryInventory, MemoryStore } from '../reference/index.js';

test('a price Tryton computed to 4 decimals becomes minor units, half away from zero', () => {
  assert.equal(roundedMinor('24.0000'), 2400);
  assert.equal(roundedMinor('25.4915'), 2549);
  assert.equal(roundedMinor('25.4950'), 2550);
  assert.equal(roundedMinor('25.4949'), 2549);
  assert.equal(roundedMinor('7'), 700);
  assert.equal(roundedMinor('-0.005'), -1);
  assert.equal(roundedMinor('0.004'), 0);
  assert.throws(() => roundedMinor('12,50'), /not a decimal/);
});

test('Vendure group prices are levels by group name; rows without a group or a price are none; written back sorted', () => {
  assert.deepEqual(toLevels([{ group: 'wholesale', price: 2400 }, { group: 'trade', price: 2700 }, { group: null, price: 100 }, { group: 'vip', price: null }, { group: 'wholesale', price: 1 }]),
    { wholesale: 2400, trade: 2700 });
  assert.deepEqual(toLevels(null), {});
  assert.deepEqual(toGroupPrices({ wholesale: 2400, trade: 2700 }), [{ group: 'trade', price: 2700 }, { group: 'wholesale', price: 2400 }]);
});

test('a variant read from Vendure carries its levels, an empty set when it has none', () => {
  const variant = {
    id: '1', sku: 'LAMP-1', name: 'Lamp', price: 3000, currencyCode: 'USD', enabled: true, updatedAt: '2026-01-01T00:00:00.000Z', stockOnHand: 0, stockAllocated: 0,
    options: [], customFields: { weight: null, length: null, width: null, height: null, dovetailGroupPrices: [{ group: 'wholesale', price: 2400 }] },
    product: { id: '1', name: 'Lamp', slug: 'lamp', description: '', enabled: true, updatedAt: '2026-01-01T00:00:00.000Z', facetValues: [], optionGroups: [] },
  };
  assert.deepEqual(toProduct(VariantNode.parse(variant)).fields.priceLevels, { levels: { wholesale: 2400 } });
  assert.deepEqual(toProduct(VariantNode.parse({ ...variant, customFields: { ...variant.customFields, dovetailGroupPrices: null } })).fields.priceLevels, { levels: {} });
});

test('a customer pays the lowest price of their groups that has one; no group with a price: the variant\'s own', () => {
  const prices = [{ group: 'wholesale', price: 2400 }, { group: 'trade', price: 2200 }];
  assert.equal(groupPriceFor(prices, ['wholesale']), 2400);
  assert.equal(groupPriceFor(prices, ['wholesale', 'trade', 'newsletter']), 2200);
  assert.equal(groupPriceFor(prices, ['newsletter']), null);
  assert.equal(groupPriceFor(prices, []), null);
  assert.equal(groupPriceFor(null, ['wholesale']), null);
});

const settings = (store: string, inventory: string, priceLevels: string) => parseConfig(`
systems:
  inventory: ${inventory === 'tryton' ? '{ type: tryton, url: "http://127.0.0.1:8000", database: t, username: admin, password: x }' : '{ type: odoo, url: "http://127.0.0.1:8069", database: o, username: admin, apiKey: x }'}
  store: ${store === 'vendure' ? '{ type: vendure, url: "http://127.0.0.1:3000", username: a, password: x, webhookSecret: "0123456789abcdef" }' : '{ type: shopify, shop: my-shop.myshopify.com, accessToken: x, webhookSecret: "0123456789abcdef" }'}
master: { priceLevels: ${priceLevels} }
`, {}, 'dovetail.yaml');
const row = (store: string, inventory: string, answer: string) => coverage(settings(store, inventory, answer)).find((r) => r.key === 'master.priceLevels')!;

test('check: price levels are carried between Tryton and Vendure either way, and say what they do', () => {
  for (const answer of ['inventory', 'store']) {
    const r = row('vendure', 'tryton', answer);
    assert.equal(r.carriedOut, true, answer);
    assert.match(r.note, /customer group/);
    assert.doesNotMatch(r.note, /not carried out/);
  }
  assert.match(row('vendure', 'tryton', 'inventory').note, /price list/);
  assert.match(row('vendure', 'tryton', 'store').note, /fixed price/);
});

test('check: with Shopify or Odoo, price levels are not carried and the platform limit is named', () => {
  const shopify = row('shopify', 'tryton', 'inventory');
  assert.equal(shopify.carriedOut, false);
  assert.match(shopify.note, /Shopify connector cannot: .*B2B catalogues and Markets price lists/);
  const odoo = row('vendure', 'odoo', 'store');
  assert.equal(odoo.carriedOut, false);
  assert.match(odoo.note, /Odoo connector cannot: .*pricelists/);
});

test('engine: a pair whose store cannot carry levels (Shopify) is sent none, nor audited as sent; the other groups go', async () => {
  const config = parseConfig(`
systems:
  inventory: { type: tryton, url: "http://127.0.0.1:9", database: t, username: admin, password: x }
  store: { type: shopify, shop: my-shop.myshopify.com, accessToken: x, webhookSecret: "0123456789abcdef" }
database: { path: ":memory:" }
inventory: { debounceMs: 0 }
`, {}, 'dovetail.yaml');
  const store = new MemoryStore({ pageSize: 50 });
  const inv = new MemoryInventory({ pageSize: 50 });
  const engine = new Engine({ config, storage: await openStorage(config), store, inventory: inv, log: createLogger('silent') });
  try {
    inv.addProduct('LAMP', { priceMinor: 3000, onHand: 1, fields: { priceLevels: { levels: { wholesale: 2400 } } } });
    for (let pass = 0; pass < 10; pass++) {
      const s = await engine.tick();
      if (s.done + s.retrying + s.failed === 0) break;
    }
    assert.equal(store.productOf('LAMP')?.fields.prices?.priceMinor, 3000, 'the product is made');
    assert.equal(store.productOf('LAMP')?.fields.priceLevels, undefined, 'without levels');
    const created = (await engine.ctx.storage.auditTrail('LAMP')).find((a) => a.action === 'product.created');
    assert.doesNotMatch(created?.setting ?? '', /priceLevels/);
  } finally {
    await engine.ctx.storage.close();
  }
});
