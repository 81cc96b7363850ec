// decideSetItem: one item of a reference set seen in both systems, against its last synced value,
// under each master and ownership.onConflict answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSetItem } from '../../src/rules/reference-sets.js';

type Side = 'store' | 'inventory';
const config = (master: Side, onConflict: 'revert' | 'flag' = 'revert') =>
  ({ master: { salesTaxes: master, shippingMethods: master }, ownership: { onConflict } }) as unknown as Parameters<typeof decideSetItem>[0]['config'];
const r = (n: number) => ({ ratePercent: n });
const decide = (master: Side, inStore: unknown, inInventory: unknown, lastSynced: unknown, onConflict: 'revert' | 'flag' = 'revert') =>
  decideSetItem({ masterKey: 'salesTaxes', noun: 'tax rate', inStore, inInventory, lastSynced, config: config(master, onConflict) }).action;

test('equal on both sides is nothing to write, whatever was synced (an echo, or a conflict settled by hand)', () => {
  assert.equal(decide('store', r(10), r(10), undefined), 'same');
  assert.equal(decide('store', r(10), r(10), r(7)), 'same');
  assert.equal(decide('inventory', r(10), r(10), r(10)), 'same');
});

test('never synced: the master is the baseline and propagates, even over a different value', () => {
  assert.equal(decide('store', r(10), undefined, undefined), 'propagate');
  assert.equal(decide('store', r(10), r(7), undefined), 'propagate');
  assert.equal(decide('inventory', undefined, r(10), undefined), 'propagate');
});

test('the master changed and the other still holds the synced value: propagate', () => {
  assert.equal(decide('store', r(12), r(10), r(10)), 'propagate');
  assert.equal(decide('inventory', r(10), r(12), r(10)), 'propagate');
});

test('the other system changed or removed it: revert or flag per ownership.onConflict', () => {
  assert.equal(decide('store', r(10), r(7), r(10)), 'revert');
  assert.equal(decide('store', r(10), r(7), r(10), 'flag'), 'flag');
  assert.equal(decide('store', r(10), undefined, r(10)), 'revert');
  assert.equal(decide('inventory', r(7), r(10), r(10)), 'revert');
  // both changed: the other's change is still a change made outside the master
  assert.equal(decide('store', r(12), r(7), r(10), 'flag'), 'flag');
});

test('missing in the master is flagged under either answer: nothing is deleted, nothing copied to the master', () => {
  assert.equal(decide('store', undefined, r(10), undefined), 'flag');
  assert.equal(decide('store', undefined, r(10), r(10)), 'flag');
  assert.equal(decide('inventory', r(10), undefined, r(10), 'revert'), 'flag');
  assert.equal(decide('store', undefined, undefined, r(10)), 'absent');
});

test('the reason names the setting that decided', () => {
  const d = decideSetItem({ masterKey: 'shippingMethods', noun: 'shipping method', inStore: { name: 'A', priceMinor: 1 }, inInventory: { name: 'B', priceMinor: 1 },
    lastSynced: { name: 'A', priceMinor: 1 }, config: config('store', 'flag') });
  assert.equal(d.action, 'flag');
  assert.match('why' in d ? d.why : '', /master\.shippingMethods=store.*ownership\.onConflict=flag/);
});
