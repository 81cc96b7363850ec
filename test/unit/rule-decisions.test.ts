// The checklist decisions the handlers call, one block per setting, every value of it:
// offline sales and quotes, shipment reports and emails, captures, refunds, live stock, salesperson input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { OrderLinesState } from '../../src/model/order-lines.js';
import type { Order } from '../../src/model/order.js';
import type { CreditNote, InventoryPayment, StorePayment, StoreRefund } from '../../src/model/payment.js';
import type { OrderShipments } from '../../src/model/shipment.js';
import { cancelledUnitsMoney, inventoryPaymentToCapture, shipmentCapturePlan, storeCaptureToRecord } from '../../src/rules/capture.js';
import { feedIsRead, liveInventory } from '../../src/rules/live-inventory.js';
import { offlineOrdersToStore, quotesFrom, type OfflineSaleFacts } from '../../src/rules/offline-orders.js';
import { cancellationRefund, creditNoteToRefund, storeRefundToRecord } from '../../src/rules/refunds.js';
import { assignSalesperson, salespersonOrderOf } from '../../src/rules/salesperson.js';
import { partialShipmentsToStore, shipmentEmailsFrom } from '../../src/rules/shipment-reports.js';

const ENV = { P: 'pw', S: '0123456789abcdef' };
const configWith = (extra = ''): Config =>
  parseConfig(`systems:\n  inventory: { password: "\${P}" }\n  store: { password: "\${P}", webhookSecret: "\${S}" }\n${extra}`, ENV, 'rule-decisions-test.yaml');

// --- rules.quotesFrom, rules.offlineOrdersToStore ----------------------------------------------

test('quotesFrom: a quotation is held under inventory and ignored under store; orders go on, drafts and cancelled sales nowhere', () => {
  assert.equal(quotesFrom('inventory', 'quotation'), 'holdQuote');
  assert.equal(quotesFrom('store', 'quotation'), 'nothing');
  for (const setting of ['inventory', 'store'] as const) {
    for (const state of ['confirmed', 'processing', 'done'] as const) assert.equal(quotesFrom(setting, state), 'order', `${setting} ${state}`);
    for (const state of ['draft', 'cancelled'] as const) assert.equal(quotesFrom(setting, state), 'nothing', `${setting} ${state}`);
  }
});

const sale = (over: Partial<OfflineSaleFacts> = {}): OfflineSaleFacts => ({ acceptedQuote: false, email: 'ann@example.com', hasStoreAccount: false, shipped: false, lineCount: 1, ...over });

test('offlineOrdersToStore: none keeps every sale, all sends every one, customersWithAccount only those with a store account', () => {
  assert.deepEqual(offlineOrdersToStore('none', sale({ hasStoreAccount: true })), { send: false, why: 'orders entered in the inventory system stay there' });
  assert.deepEqual(offlineOrdersToStore('all', sale()), { send: true });
  assert.deepEqual(offlineOrdersToStore('customersWithAccount', sale()), { send: false, why: 'ann@example.com has no store account' });
  assert.deepEqual(offlineOrdersToStore('customersWithAccount', sale({ hasStoreAccount: true })), { send: true });
});

test('offlineOrdersToStore: an accepted quote goes whatever the setting', () => {
  for (const setting of ['none', 'all', 'customersWithAccount'] as const) assert.deepEqual(offlineOrdersToStore(setting, sale({ acceptedQuote: true })), { send: true }, setting);
});

test('offlineOrdersToStore: no email, already shipped or no store products is never sent', () => {
  for (const setting of ['all', 'customersWithAccount'] as const) {
    const withAccount = { hasStoreAccount: true, acceptedQuote: setting === 'customersWithAccount' };
    assert.match((offlineOrdersToStore(setting, sale({ ...withAccount, email: '' })) as { why: string }).why, /no email address/);
    assert.match((offlineOrdersToStore(setting, sale({ ...withAccount, shipped: true })) as { why: string }).why, /shipped already/);
    assert.match((offlineOrdersToStore(setting, sale({ ...withAccount, lineCount: 0 })) as { why: string }).why, /no products the store sells/);
  }
  assert.match((offlineOrdersToStore('customersWithAccount', sale({ email: '' })) as { why: string }).why, /the customer has no store account/);
});

// --- rules.partialShipmentsToStore, rules.shipmentEmailsFrom ---------------------------------------

const shipment = (id: string, sku: string, quantity: number, trackingCode: string | null) =>
  ({ id, number: `SH${id}`, shippedOn: `2026-01-0${id}`, carrier: 'DHL', trackingCode, lines: [{ sku, quantity }] });
const shipped = (complete: boolean, n: number): OrderShipments =>
  ({ orderCode: 'W1', saleId: '9', complete, shipments: [shipment('1', 'A', 1, 'T1'), shipment('2', 'B', 2, 'T2')].slice(0, n) });

test('partialShipmentsToStore: true reports every shipment as it leaves; whole only when one shipment carries the whole order', () => {
  const partial = partialShipmentsToStore(true, 'tryton', shipped(false, 1));
  assert.deepEqual(partial.map((r) => [r.shipment.ref, r.whole]), [['tryton-shipment-1', false]]);
  assert.deepEqual(partialShipmentsToStore(true, 'tryton', shipped(true, 2)).map((r) => [r.shipment.ref, r.whole]), [['tryton-shipment-1', false], ['tryton-shipment-2', false]]);
  assert.deepEqual(partialShipmentsToStore(true, 'tryton', shipped(true, 1)).map((r) => r.whole), [true]);
});

test('partialShipmentsToStore: false reports nothing until all has left, then one fulfilment with every line', () => {
  assert.deepEqual(partialShipmentsToStore(false, 'tryton', shipped(false, 1)), []);
  assert.deepEqual(partialShipmentsToStore(false, 'tryton', shipped(true, 0)), []);
  const [one, ...rest] = partialShipmentsToStore(false, 'tryton', shipped(true, 2));
  assert.equal(rest.length, 0);
  assert.equal(one.whole, true);
  assert.deepEqual(one.shipment, { ref: 'tryton-sale-9-complete', shippedOn: '2026-01-02', carrier: 'DHL', trackingCode: 'T1, T2', lines: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 2 }] });
});

test('shipmentEmailsFrom: exactly one teller, or none', () => {
  assert.deepEqual(shipmentEmailsFrom('store'), { storeNotifies: true, dovetailEmails: false });
  assert.deepEqual(shipmentEmailsFrom('dovetail'), { storeNotifies: false, dovetailEmails: true });
  assert.deepEqual(shipmentEmailsFrom('inventory'), { storeNotifies: false, dovetailEmails: false });
  assert.deepEqual(shipmentEmailsFrom('none'), { storeNotifies: false, dovetailEmails: false });
});

// --- rules.capture, rules.settleFrom ---------------------------------------------------------------

test('shipmentCapturePlan: atOrder captures nothing per shipment; atShipment captures in the store or proposes in the inventory system', () => {
  assert.equal(shipmentCapturePlan({ capture: 'atOrder', settleFrom: 'store' }), 'capturedAtOrder');
  assert.equal(shipmentCapturePlan({ capture: 'atOrder', settleFrom: 'inventory' }), 'capturedAtOrder');
  assert.equal(shipmentCapturePlan({ capture: 'atShipment', settleFrom: 'store' }), 'captureInStore');
  assert.equal(shipmentCapturePlan({ capture: 'atShipment', settleFrom: 'inventory' }), 'proposeInInventory');
});

const line = (sku: string, quantity: number, shipped = 0, returned = 0, unitGrossMinor = 1000) =>
  ({ sku, quantity, shipped, returned, unitGrossMinor, unitNetMinor: unitGrossMinor, taxRatePercent: 0 });
const linesState = (totalMinor: number, ...lines: OrderLinesState['lines']): OrderLinesState => ({ orderCode: 'W1', state: 'any', totalMinor, lines });

test('cancelledUnitsMoney: atOrder refunds; atShipment waits while anything is left to ship, then releases', () => {
  assert.equal(cancelledUnitsMoney('atOrder', linesState(1000, line('A', 1))), 'refund');
  assert.equal(cancelledUnitsMoney('atShipment', linesState(1000, line('A', 2, 1))), 'wait');
  assert.equal(cancelledUnitsMoney('atShipment', linesState(1000, line('A', 1, 1))), 'release');
  assert.equal(cancelledUnitsMoney('atShipment', linesState(0, line('A', 0, 2, 2))), 'release', 'returned units were shipped');
});

const payment = (over: Partial<StorePayment> = {}): StorePayment => ({ id: 'p1', state: 'captured', amountMinor: 500, method: 'card', captureKey: null, refunds: [], ...over });

test('storeCaptureToRecord: only a payment the store captured by itself is recorded', () => {
  assert.deepEqual(storeCaptureToRecord('p1', payment()), { act: true, payment: payment() });
  assert.deepEqual(storeCaptureToRecord('p1', undefined), { act: false, why: 'payment p1 not found' });
  assert.match((storeCaptureToRecord('p1', payment({ captureKey: 'W1:k' })) as { why: string }).why, /captured by Dovetail/);
  for (const state of ['pending', 'authorised', 'declined', 'cancelled', 'failed'] as const) {
    assert.deepEqual(storeCaptureToRecord('p1', payment({ state })), { act: false, why: `payment p1 is ${state}, not captured` });
  }
});

const invPayment = (over: Partial<InventoryPayment> = {}): InventoryPayment =>
  ({ id: '7', orderCode: 'W1', kind: 'receivable', state: 'processing', amountMinor: 500, description: '', recordedByDovetail: false, ...over });

test('inventoryPaymentToCapture: an operator-processed receivable not recorded by Dovetail is captured', () => {
  assert.equal(inventoryPaymentToCapture('7', invPayment()).act, true);
  assert.equal(inventoryPaymentToCapture('7', invPayment({ state: 'succeeded' })).act, true);
  assert.deepEqual(inventoryPaymentToCapture('7', null), { act: false, why: 'payment 7 not found' });
  for (const spoil of [{ state: 'pending' }, { state: 'failed' }, { kind: 'payable' }, { recordedByDovetail: true }] as Partial<InventoryPayment>[]) {
    assert.equal(inventoryPaymentToCapture('7', invPayment(spoil)).act, false, JSON.stringify(spoil));
  }
});

// --- rules.refundsIn, and the refund of a cancellation (rules.capture: atOrder) ------------------

const refund = (over: Partial<StoreRefund> = {}): StoreRefund => ({ id: 'r1', state: 'settled', totalMinor: 300, reason: null, dovetailKey: null, ...over });

test('storeRefundToRecord: a settled refund someone else made is recorded; Dovetail\'s own and unsettled ones are not', () => {
  assert.equal(storeRefundToRecord('r1', refund()).act, true);
  assert.deepEqual(storeRefundToRecord('r1', undefined), { act: false, why: 'refund r1 not found' });
  assert.match((storeRefundToRecord('r1', refund({ dovetailKey: 'W1:cancel-x' })) as { why: string }).why, /made by Dovetail/);
  assert.deepEqual(storeRefundToRecord('r1', refund({ state: 'pending' })), { act: false, why: 'refund r1 is pending' });
  assert.deepEqual(storeRefundToRecord('r1', refund({ state: 'failed' })), { act: false, why: 'refund r1 is failed' });
});

const note = (over: Partial<CreditNote> = {}): CreditNote => ({ id: '5', orderCode: 'W1', number: 'CN1', state: 'posted', amountMinor: 300, description: '', byDovetail: false, ...over });

test('creditNoteToRefund: a posted or paid credit note someone else made is refunded', () => {
  assert.equal(creditNoteToRefund('5', note()).act, true);
  assert.equal(creditNoteToRefund('5', note({ state: 'paid' })).act, true);
  assert.deepEqual(creditNoteToRefund('5', null), { act: false, why: 'credit note 5 not found' });
  assert.deepEqual(creditNoteToRefund('5', note({ byDovetail: true })), { act: false, why: 'made by Dovetail' });
  assert.deepEqual(creditNoteToRefund('5', note({ state: 'draft' })), { act: false, why: 'credit note 5 is draft, not posted' });
  assert.deepEqual(creditNoteToRefund('5', note({ state: 'cancelled' })), { act: false, why: 'credit note 5 is cancelled, not posted' });
});

test('cancellationRefund: the store\'s total difference when only cancellations changed, capped by what the store holds beyond the new total', () => {
  const before = linesState(3333, line('A', 3, 0, 0, 1111));
  const after = linesState(2222, line('A', 2, 0, 0, 1111));
  const all = () => true;
  assert.deepEqual(cancellationRefund({ before, after, accepted: all, money: { capturedMinor: 3333, refundedMinor: 0 }, refundedBefore: false }), { valueMinor: 1111, amountMinor: 1111 });
  // a person refunded 500 by hand already: only the rest
  assert.deepEqual(cancellationRefund({ before, after, accepted: all, money: { capturedMinor: 3333, refundedMinor: 500 }, refundedBefore: false }), { valueMinor: 1111, amountMinor: 611 });
  // not captured yet: nothing
  assert.ok(cancellationRefund({ before, after, accepted: all, money: { capturedMinor: 0, refundedMinor: 0 }, refundedBefore: false }).amountMinor <= 0);
  // made before (a retry after a crash): asked again in full, for the store to find it by its key
  assert.deepEqual(cancellationRefund({ before, after, accepted: all, money: { capturedMinor: 3333, refundedMinor: 1111 }, refundedBefore: true }), { valueMinor: 1111, amountMinor: 1111 });
});

test('cancellationRefund: with other changes too, each accepted cancelled unit at its price; refused ones are not paid', () => {
  const before = linesState(5000, line('A', 3, 0, 0, 1000), line('B', 2, 0, 0, 1000));
  const after = linesState(4500, line('A', 2, 0, 0, 1000), line('B', 1, 0, 0, 1000), line('C', 1, 0, 0, 1500));
  const onlyA = (sku: string) => sku === 'A';
  assert.deepEqual(cancellationRefund({ before, after, accepted: onlyA, money: { capturedMinor: 9000, refundedMinor: 0 }, refundedBefore: false }), { valueMinor: 1000, amountMinor: 1000 });
  assert.deepEqual(cancellationRefund({ before, after, accepted: () => true, money: { capturedMinor: 9000, refundedMinor: 0 }, refundedBefore: false }), { valueMinor: 2000, amountMinor: 2000 });
});

// --- rules.liveInventory ---------------------------------------------------------------------------

test('liveInventory: the stock feed is read, and stock published, only when true; other feeds follow their own setting', () => {
  const on = configWith('rules:\n  liveInventory: true\n'), off = configWith('rules:\n  liveInventory: false\n');
  assert.equal(liveInventory(on.rules), true);
  assert.equal(liveInventory(off.rules), false);
  assert.equal(feedIsRead({ kind: 'stock' }, on), true);
  assert.equal(feedIsRead({ kind: 'stock' }, off), false);
  assert.equal(feedIsRead({ kind: 'product' }, off), true);
  assert.equal(feedIsRead({ kind: 'refund', enabled: () => false }, on), false);
  assert.equal(feedIsRead({ kind: 'refund', enabled: () => true }, off), true);
});

// --- rules.salespeople: what an order offers the rules -----------------------------------------------

const webOrder = (over: Partial<Order> = {}): Order => ({
  code: 'W1', channel: 'web', placedAt: '2026-01-01T00:00:00Z', currency: 'EUR',
  customer: { email: 'ann@example.com', firstName: 'Ann', lastName: 'Buyer', addresses: [], groups: ['VIP'] },
  shippingAddress: { fullName: 'Ann', street1: '1 Main St', city: 'Portland', province: 'Oregon', postalCode: '97201', countryCode: 'US' },
  billingAddress: null,
  lines: [{ sku: 'A', name: 'A', quantity: 1, unitPriceMinor: 1000, lineNetMinor: 1000, lineTaxMinor: 0, taxRatePercent: 0 },
    { sku: 'A', name: 'A', quantity: 1, unitPriceMinor: 1000, lineNetMinor: 1000, lineTaxMinor: 0, taxRatePercent: 0 }],
  shipping: [], discounts: [], totalNetMinor: 2000, totalTaxMinor: 0, totalMinor: 2000, state: 'PaymentSettled', status: 'placed', placedOffline: false, ...over,
});

test('salespersonOrderOf: the customer\'s groups reach the rules, so a customerGroup rule matches', () => {
  assert.deepEqual(salespersonOrderOf(webOrder()), { channel: 'web', countryCode: 'US', region: 'Oregon', customerGroups: ['VIP'], totalMinor: 2000, skus: ['A'] });
  const s = configWith('rules:\n  salespeople:\n    rules:\n      - { when: { customerGroup: vip }, assign: vera }\n    default: bob\n').rules.salespeople;
  assert.equal(assignSalesperson(s, salespersonOrderOf(webOrder())).salesperson, 'vera');
  const noGroups = webOrder({ customer: { ...webOrder().customer, groups: undefined } });
  assert.equal(assignSalesperson(s, salespersonOrderOf(noGroups)).salesperson, 'bob', 'a store without groups matches no group rule');
});

test('salespersonOrderOf: without a shipping address the billing address places the order', () => {
  const billing = { fullName: 'Ann', street1: '2 Elm St', city: 'Austin', province: 'Texas', postalCode: '73301', countryCode: 'US' };
  const o = salespersonOrderOf(webOrder({ shippingAddress: null, billingAddress: billing }));
  assert.deepEqual([o.countryCode, o.region], ['US', 'Texas']);
  assert.deepEqual([salespersonOrderOf(webOrder({ shippingAddress: null })).countryCode], ['']);
});
