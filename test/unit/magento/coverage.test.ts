// `dovetail check` with a Magento store: what the connector declares is carried, and the answers
// Magento's API cannot carry out although it declares their group (order edits) say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { coverage, NOT_YET } from '../../../src/config/coverage.js';

const settings = (rules: string) => parseConfig(`systems:
  inventory:
    password: \${TRYTON_PASSWORD}
  store:
    type: magento
    url: https://shop.example.com
    accessToken: \${MAGENTO_ACCESS_TOKEN}
rules:
${rules}`, { TRYTON_PASSWORD: 'pw', MAGENTO_ACCESS_TOKEN: 'tok' }, 'test.yaml');

const row = (rules: string, key: string) => coverage(settings(rules)).find((r) => r.key === key)!;

test('order edits are not carried out with Magento, whichever side they are entered in, and the note says why', () => {
  for (const side of ['store', 'inventory']) {
    const r = row(`  orderEditsIn: ${side}\n`, 'rules.orderEditsIn');
    assert.equal(r.carriedOut, false, side);
    assert.match(r.note, new RegExp(`${NOT_YET}: the Adobe Commerce \\(Magento\\) connector cannot: Magento has no API to change a placed order`));
  }
});

test('returns shown on the store order are not carried out with Magento; without them the answer asks nothing of it', () => {
  assert.equal(row('  returnsIn: inventory\n  returnsToStore: true\n', 'rules.returnsToStore').carriedOut, false);
  assert.equal(row('  returnsIn: inventory\n  returnsToStore: false\n', 'rules.returnsToStore').carriedOut, true);
});

test('what the Magento connector declares is carried: shipments to the store, captures at shipment', () => {
  assert.equal(row('  partialShipmentsToStore: true\n', 'rules.partialShipmentsToStore').carriedOut, true);
  assert.equal(row('  capture: atShipment\n', 'rules.capture').carriedOut, true);
  assert.equal(row('  offlineOrdersToStore: all\n', 'rules.offlineOrdersToStore').carriedOut, false, 'offline orders are not declared');
});

test('payments settled from the inventory system are held to what Magento can invoice; settled in the store they are carried', () => {
  const inventory = row('  capture: atShipment\n  settleFrom: inventory\n', 'rules.settleFrom');
  assert.equal(inventory.carriedOut, false);
  assert.match(inventory.note, /invoicing items, not amounts/);
  assert.equal(row('  capture: atShipment\n  settleFrom: store\n', 'rules.settleFrom').carriedOut, true);
});

test('cancellations are carried out with Magento, and the row says a partial one is refused', () => {
  for (const side of ['store', 'inventory']) {
    const r = row(`  cancellationsIn: ${side}\n`, 'rules.cancellationsIn');
    assert.equal(r.carriedOut, true, side);
    assert.match(r.note, /With Adobe Commerce \(Magento\), only in part: Magento cancels only everything of an order that is neither shipped nor invoiced/);
  }
  assert.doesNotMatch(row('  returnsIn: inventory\n', 'rules.returnsIn').note, /only in part/, 'other answers say nothing of it');
});
