// The pure checklist decisions: available-to-sell, ownership, salesperson, exact sale lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableToSell } from '../../src/rules/available-to-sell.js';
import { decideCustomerChange, decideProductChange, ownerOf } from '../../src/rules/ownership.js';
import { customerDetails } from '../../src/model/customer.js';
import { assignSalesperson, type OrderForSalesperson } from '../../src/rules/salesperson.js';
import { splitForExactAmount } from '../../src/rules/exact-lines.js';
import { parseConfig } from '../../src/config/load.js';
import { FIELD_GROUPS, MASTER_KEY_OF_GROUP } from '../../src/model/product.js';
import { decimalToMinor } from '../../src/model/money.js';
import type { Config } from '../../src/config/schema.js';

const ENV = { P: 'pw', S: '0123456789abcdef' };
const configWith = (extra = ''): Config =>
  parseConfig(`systems:\n  inventory: { password: "\${P}" }\n  store: { password: "\${P}", webhookSecret: "\${S}" }\n${extra}`, ENV, 'rules-test.yaml');

// --- available to sell ------------------------------------------------------------------------

test('availableToSell: on hand minus offline allocations minus safety stock', () => {
  assert.equal(availableToSell({ onHand: 10, allocatedOffline: 3, safetyStock: 2, deductAllocated: true }), 5);
  assert.equal(availableToSell({ onHand: 10, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), 10);
});

test('availableToSell: allocations are ignored when deductAllocated is false, safety stock is not', () => {
  assert.equal(availableToSell({ onHand: 10, allocatedOffline: 3, safetyStock: 2, deductAllocated: false }), 8);
  assert.equal(availableToSell({ onHand: 10, allocatedOffline: 30, safetyStock: 0, deductAllocated: false }), 10);
});

test('availableToSell: never negative', () => {
  assert.equal(availableToSell({ onHand: 2, allocatedOffline: 5, safetyStock: 0, deductAllocated: true }), 0);
  assert.equal(availableToSell({ onHand: 2, allocatedOffline: 0, safetyStock: 5, deductAllocated: true }), 0);
  assert.equal(availableToSell({ onHand: -4, allocatedOffline: 0, safetyStock: 0, deductAllocated: false }), 0);
  assert.equal(availableToSell({ onHand: 0, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), 0);
  assert.ok(!Object.is(availableToSell({ onHand: -0.5, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), -0), 'not minus zero');
});

test('availableToSell: fractional quantities floor to whole units, without float drift', () => {
  assert.equal(availableToSell({ onHand: 7.9, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), 7);
  assert.equal(availableToSell({ onHand: 5, allocatedOffline: 0.5, safetyStock: 0, deductAllocated: true }), 4);
  // 4.35 - 0.35 is 3.9999999999999996 in floating point: still 4 whole units
  assert.equal(availableToSell({ onHand: 4.35, allocatedOffline: 0.35, safetyStock: 0, deductAllocated: true }), 4);
  assert.equal(availableToSell({ onHand: 1.15, allocatedOffline: 0.15, safetyStock: 0, deductAllocated: true }), 1);
  assert.equal(availableToSell({ onHand: 0.1 + 0.2, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), 0);
});

test('availableToSell: impossible inputs are a bug, not a number', () => {
  assert.throws(() => availableToSell({ onHand: Number.NaN, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), RangeError);
  assert.throws(() => availableToSell({ onHand: Infinity, allocatedOffline: 0, safetyStock: 0, deductAllocated: true }), RangeError);
  assert.throws(() => availableToSell({ onHand: 5, allocatedOffline: -1, safetyStock: 0, deductAllocated: true }), /allocatedOffline/);
  assert.throws(() => availableToSell({ onHand: 5, allocatedOffline: 0, safetyStock: -1, deductAllocated: true }), /safetyStock/);
});

// --- ownership ---------------------------------------------------------------------------------

test('ownerOf follows the master key of each field group', () => {
  const defaults = configWith();
  assert.equal(ownerOf('names', defaults), 'inventory');
  assert.equal(ownerOf('descriptions', defaults), 'store');
  assert.equal(ownerOf('prices', defaults), 'inventory');
  assert.equal(ownerOf('availability', defaults), 'inventory');
  assert.equal(ownerOf('dimensions', defaults), 'inventory');
  assert.equal(ownerOf('categories', defaults), 'store');
  assert.equal(ownerOf('attributes', defaults), 'inventory');
  assert.equal(ownerOf('priceLevels', defaults), 'inventory');
  assert.equal(ownerOf('costs', defaults), 'inventory');
  const flipped = configWith('master: { productNames: store, productDescriptions: inventory, prices: store, availability: store, productDimensions: store, productCategories: inventory, productAttributes: store, priceLevels: store, vendorsAndCosts: store }\n');
  for (const g of FIELD_GROUPS) {
    assert.equal(ownerOf(g, flipped), defaults.master[MASTER_KEY_OF_GROUP[g]] === 'store' ? 'inventory' : 'store', g);
  }
});

const price = (priceMinor: number) => ({ priceMinor, currency: 'EUR' });

test('decideProductChange: a change by the master propagates', () => {
  const config = configWith();
  assert.deepEqual(decideProductChange({ group: 'prices', changedIn: 'inventory', value: price(1200), lastSynced: price(1000), config }), { action: 'propagate' });
  assert.deepEqual(decideProductChange({ group: 'descriptions', changedIn: 'store', value: { description: 'new' }, lastSynced: { description: 'old' }, config }), { action: 'propagate' });
  assert.deepEqual(decideProductChange({ group: 'prices', changedIn: 'inventory', value: price(1200), lastSynced: undefined, config }), { action: 'propagate' }, 'never synced: a first sync');
});

test('decideProductChange: a value equal to the last synced one is an echo and is ignored, from either side', () => {
  const config = configWith();
  for (const changedIn of ['store', 'inventory'] as const) {
    const d = decideProductChange({ group: 'prices', changedIn, value: price(1000), lastSynced: price(1000), config });
    assert.equal(d.action, 'ignore', changedIn);
  }
  // key order and absent optional keys do not make a difference
  const d = decideProductChange({ group: 'prices', changedIn: 'store', value: { currency: 'EUR', priceMinor: 1000, extra: undefined }, lastSynced: price(1000), config });
  assert.equal(d.action, 'ignore');
  assert.equal(decideProductChange({ group: 'prices', changedIn: 'store', value: price(1000), lastSynced: { priceMinor: 1000, currency: 'USD' }, config }).action, 'revert');
  assert.equal(decideProductChange({ group: 'availability', changedIn: 'store', value: { enabled: false }, lastSynced: null, config }).action, 'revert', 'null is a value, not "never synced"');
});

test('decideProductChange: a change by the non-master is reverted or flagged per ownership.onConflict', () => {
  const revert = decideProductChange({ group: 'prices', changedIn: 'store', value: price(900), lastSynced: price(1000), config: configWith() });
  assert.equal(revert.action, 'revert');
  assert.match(revert.action === 'revert' ? revert.why : '', /master\.prices=inventory.*ownership\.onConflict=revert/);
  const flag = decideProductChange({ group: 'prices', changedIn: 'store', value: price(900), lastSynced: price(1000), config: configWith('ownership: { onConflict: flag }\n') });
  assert.equal(flag.action, 'flag');
  assert.match(flag.action === 'flag' ? flag.why : '', /ownership\.onConflict=flag/);
  const inInventory = decideProductChange({ group: 'descriptions', changedIn: 'inventory', value: { description: 'x' }, lastSynced: { description: 'y' }, config: configWith() });
  assert.equal(inInventory.action, 'revert', 'the store owns descriptions by default');
});

// --- salesperson -------------------------------------------------------------------------------

const order = (over: Partial<OrderForSalesperson> = {}): OrderForSalesperson => ({
  channel: 'web', countryCode: 'DE', region: 'Bavaria', customerGroups: ['retail'], totalMinor: 10_000, skus: ['A-1', 'B-2'], ...over,
});
const salespeople = (yaml: string) => configWith(`rules:\n  salespeople:\n${yaml}`).rules.salespeople;

test('assignSalesperson: no rules and no default gives nobody', () => {
  assert.deepEqual(assignSalesperson(configWith().rules.salespeople, order()), { salesperson: null, matchedRule: null, why: 'there are no salesperson rules and there is no default salesperson' });
});

test('assignSalesperson: first matching rule wins', () => {
  const s = salespeople('    rules:\n      - { when: { country: FR }, assign: claire }\n      - { when: { country: de }, assign: dieter }\n      - { when: {}, assign: anyone }\n    default: bob\n');
  assert.deepEqual(assignSalesperson(s, order()), { salesperson: 'dieter', matchedRule: 1, why: 'rule 2 of rules.salespeople matched: country DE' });
  assert.equal(assignSalesperson(s, order({ countryCode: 'fr' })).salesperson, 'claire', 'country compared ignoring case');
  const fallback = assignSalesperson(s, order({ countryCode: 'IT' }));
  assert.deepEqual([fallback.salesperson, fallback.matchedRule], ['anyone', 2]);
  assert.match(fallback.why, /no conditions/);
});

test('assignSalesperson: every condition of a rule must hold', () => {
  const s = salespeople('    rules:\n      - when: { channel: wholesale, country: DE, region: bavaria, customerGroup: VIP, minTotal: 100, maxTotal: 200, sku: A-1 }\n        assign: vera\n    default: bob\n');
  const all = order({ channel: 'Wholesale', customerGroups: ['retail', 'vip'], totalMinor: 15_000 });
  assert.equal(assignSalesperson(s, all).salesperson, 'vera');
  assert.match(assignSalesperson(s, all).why, /channel wholesale, country DE, region bavaria, customer group VIP, total at least 100\.00, total at most 200\.00, contains SKU A-1/);
  const spoilers: Partial<OrderForSalesperson>[] = [
    { channel: 'web' }, { countryCode: 'AT' }, { region: 'Saxony' }, { region: undefined }, { customerGroups: ['retail'] },
    { customerGroups: undefined }, { totalMinor: 9_999 }, { totalMinor: 20_001 }, { skus: ['a-1'] }, { skus: [] }, { countryCode: '' },
  ];
  for (const spoil of spoilers) {
    const r = assignSalesperson(s, { ...all, ...spoil });
    assert.deepEqual([r.salesperson, r.matchedRule], ['bob', null], JSON.stringify(spoil));
    assert.match(r.why, /no salesperson rule matched: the default salesperson applies/);
  }
});

test('assignSalesperson: minTotal and maxTotal are inclusive and exact to the cent', () => {
  const s = salespeople('    rules:\n      - { when: { minTotal: "99.99", maxTotal: 100.01 }, assign: exact }\n');
  assert.equal(assignSalesperson(s, order({ totalMinor: 9_999 })).salesperson, 'exact');
  assert.equal(assignSalesperson(s, order({ totalMinor: 10_001 })).salesperson, 'exact');
  assert.equal(assignSalesperson(s, order({ totalMinor: 9_998 })).salesperson, null);
  assert.equal(assignSalesperson(s, order({ totalMinor: 10_002 })).salesperson, null);
  // 0.1 + 0.2 style drift: 0.29 * 100 is 28.999999999999996 in floating point
  const cents = salespeople('    rules:\n      - { when: { minTotal: 0.29 }, assign: small }\n');
  assert.equal(assignSalesperson(cents, order({ totalMinor: 29 })).salesperson, 'small');
  assert.equal(assignSalesperson(cents, order({ totalMinor: 28 })).salesperson, null);
  assert.throws(() => assignSalesperson(cents, order({ totalMinor: 28.5 })), RangeError);
});

// --- exact lines -------------------------------------------------------------------------------

const sumMinor = (lines: { quantity: number; unitPrice: string }[]) =>
  lines.reduce((n, l) => n + l.quantity * decimalToMinor(l.unitPrice, 4), 0) / 100;

test('splitForExactAmount: one line when the 4-decimal unit price is exact', () => {
  assert.deepEqual(splitForExactAmount(1000, 4), [{ quantity: 4, unitPrice: '2.5000' }]);
  assert.deepEqual(splitForExactAmount(1001, 4), [{ quantity: 4, unitPrice: '2.5025' }]);
  assert.deepEqual(splitForExactAmount(999, 1), [{ quantity: 1, unitPrice: '9.9900' }]);
  assert.deepEqual(splitForExactAmount(5, 1), [{ quantity: 1, unitPrice: '0.0500' }]);
  assert.deepEqual(splitForExactAmount(0, 3), [{ quantity: 3, unitPrice: '0.0000' }]);
  assert.deepEqual(splitForExactAmount(1, 100), [{ quantity: 100, unitPrice: '0.0001' }]);
});

test('splitForExactAmount: two lines a cent apart when it does not divide', () => {
  assert.deepEqual(splitForExactAmount(1000, 3), [{ quantity: 2, unitPrice: '3.3300' }, { quantity: 1, unitPrice: '3.3400' }]);
  assert.deepEqual(splitForExactAmount(2000, 3), [{ quantity: 1, unitPrice: '6.6600' }, { quantity: 2, unitPrice: '6.6700' }]);
  assert.deepEqual(splitForExactAmount(1, 1000), [{ quantity: 999, unitPrice: '0.0000' }, { quantity: 1, unitPrice: '0.0100' }]);
});

test('splitForExactAmount: negative totals (credits)', () => {
  assert.deepEqual(splitForExactAmount(-1000, 4), [{ quantity: 4, unitPrice: '-2.5000' }]);
  assert.deepEqual(splitForExactAmount(-5, 1), [{ quantity: 1, unitPrice: '-0.0500' }]);
  assert.deepEqual(splitForExactAmount(-1000, 3), [{ quantity: 1, unitPrice: '-3.3400' }, { quantity: 2, unitPrice: '-3.3300' }]);
  assert.deepEqual(splitForExactAmount(-1, 3), [{ quantity: 1, unitPrice: '-0.0100' }, { quantity: 2, unitPrice: '0.0000' }]);
});

test('splitForExactAmount: the lines always add up to the total, and quantities to the quantity', () => {
  for (let total = -2_500; total <= 2_500; total += 7) {
    for (const quantity of [1, 2, 3, 6, 7, 9, 11, 97, 1_000, 10_001]) {
      const lines = splitForExactAmount(total, quantity);
      assert.equal(sumMinor(lines), total, `${total} / ${quantity}`);
      assert.equal(lines.reduce((n, l) => n + l.quantity, 0), quantity);
      assert.ok(lines.length <= 2 && lines.every((l) => l.quantity > 0 && /^-?\d+\.\d{4}$/.test(l.unitPrice)), JSON.stringify(lines));
    }
  }
  const big = splitForExactAmount(900_719_925_474_099, 7);
  assert.equal(big.reduce((n, l) => n + BigInt(l.quantity) * BigInt(l.unitPrice.replace('.', '')), 0n), 900_719_925_474_099n * 100n);
});

test('splitForExactAmount: refuses what cannot be a sale line', () => {
  assert.throws(() => splitForExactAmount(1000, 0), RangeError);
  assert.throws(() => splitForExactAmount(1000, -2), RangeError);
  assert.throws(() => splitForExactAmount(1000, 1.5), RangeError);
  assert.throws(() => splitForExactAmount(10.5, 2), RangeError);
  assert.throws(() => splitForExactAmount(Number.NaN, 2), RangeError);
});

test('customerDetails compares a whole name, a lowercased email and addresses by place, in one order', () => {
  const home = { fullName: 'Ada', street1: '1 Main St ', city: 'Portland', postalCode: '97201', countryCode: 'us', phone: '1' };
  const work = { fullName: 'A. King', company: 'Engines Ltd', street1: '2 Side St', city: 'Portland', postalCode: '97202', countryCode: 'US' };
  const a = customerDetails({ email: ' Ada@Example.com', firstName: 'Ada', lastName: 'King', phone: ' +1 555 ', addresses: [home, work, home] });
  const b = customerDetails({ email: 'ada@example.com', firstName: '', lastName: 'Ada  King', addresses: [work, { ...home, fullName: 'someone else' }], phone: '+1 555' });
  assert.deepEqual(a, b);
  assert.equal(a.addresses.length, 2, 'one address once');
  assert.equal(customerDetails({ email: 'a@b.c', firstName: 'A', lastName: 'B', addresses: [] }).phone, null);
});

test('decideCustomerChange: agreeing is nothing to do; the master\'s edit travels; the other\'s is reverted or flagged', () => {
  const value = { name: 'Ada King' };
  const seen = { name: 'Ada Lovelace' };
  const inventoryMaster = configWith('master: { customers: inventory }\n');
  assert.equal(decideCustomerChange({ changedIn: 'store', value, lastSynced: { ...value }, config: inventoryMaster }).action, 'ignore');
  assert.equal(decideCustomerChange({ changedIn: 'inventory', value, lastSynced: seen, config: inventoryMaster }).action, 'propagate');
  const revert = decideCustomerChange({ changedIn: 'store', value: seen, lastSynced: value, config: inventoryMaster });
  assert.equal(revert.action, 'revert');
  assert.match('why' in revert ? revert.why : '', /master\.customers=inventory.*ownership\.onConflict=revert/);
  assert.equal(decideCustomerChange({ changedIn: 'store', value: seen, lastSynced: value, config: configWith('master: { customers: inventory }\nownership: { onConflict: flag }\n') }).action, 'flag');
  assert.equal(decideCustomerChange({ changedIn: 'store', value, lastSynced: seen, config: configWith() }).action, 'propagate', 'the store is the default master');
  assert.equal(decideCustomerChange({ changedIn: 'inventory', value, lastSynced: seen, config: configWith() }).action, 'revert');
});
