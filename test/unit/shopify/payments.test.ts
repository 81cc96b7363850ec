// Shopify payments under the contract's names, on the stateful double: captures once per key
// (found again after a lost answer), never beyond what is capturable; refunds once per key,
// never beyond what was captured; the store's own money as a feed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../../src/errors.js';
import { idempotencyKey } from '../../../src/connectors/shopify/writes.js';
import { LOCATION, shopifyOnDouble } from '../../doubles/shopify/connect.js';

const permanent = (e: unknown) => e instanceof DovetailError && e.kind === 'permanent';

async function withOrder() {
  const s = await shopifyOnDouble();
  s.fake.addItem('MUG', { [LOCATION]: 10 }, undefined, 1000);
  // 3 mugs at 10.00 + 20 % tax, shipping 5.00 + 20 %: 42.00 authorised at checkout
  const order = s.fake.shop.placeOrder({ email: 'ada@example.com', lines: [{ sku: 'MUG', quantity: 3 }], shipping: { title: 'Post', priceMinor: 500 } });
  return { ...s, order, code: order.legacyId };
}

test('getPayments: the authorisation in Dovetail\'s words and totals, to the cent', async () => {
  const { connector, code, stop } = await withOrder();
  try {
    const money = await connector.getPayments(code);
    assert.deepEqual(money && [money.totalMinor, money.authorisedMinor, money.capturedMinor, money.refundedMinor], [4200, 4200, 0, 0]);
    assert.deepEqual(money!.payments.map((p) => [p.state, p.amountMinor, p.captureKey]), [['authorised', 4200, null]]);
    assert.equal(await connector.getPayments('999999'), null);
  } finally { await stop(); }
});

test('capture: once per key, a lost answer found again by the ledger, never beyond what is capturable', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    fake.failures.push({ name: 'OrderCapture', nth: 1, status: 502, when: 'after' });
    await assert.rejects(connector.capturePayment(code, 1800, `${code}:ship-1`), (e: unknown) => e instanceof DovetailError && e.kind === 'transient');
    const again = await connector.capturePayment(code, 1800, `${code}:ship-1`);
    assert.equal(again.created, false, 'the capture Shopify made before the answer was lost is this key\'s');
    assert.equal(again.amountMinor, 1800);
    assert.equal(fake.calls('OrderCapture').length, 1, 'no second capture');
    const third = await connector.capturePayment(code, 1800, `${code}:ship-1`);
    assert.deepEqual([third.created, third.paymentId, third.remainingAuthorisedMinor], [false, again.paymentId, 2400]);

    await assert.rejects(connector.capturePayment(code, 2401, `${code}:ship-2`), permanent);
    assert.equal(fake.calls('OrderCapture').length, 1, 'refused before anything was sent');
    const rest = await connector.capturePayment(code, 2400, `${code}:ship-2`);
    assert.deepEqual([rest.created, rest.remainingAuthorisedMinor], [true, 0]);
    assert.deepEqual(fake.calls('OrderCapture').map((c) => (c.variables.input as { amount: string; finalCapture: boolean })).map((i) => [i.amount, i.finalCapture]),
      [['18.00', false], ['24.00', true]], 'the last capture closes the authorisation');

    const money = (await connector.getPayments(code))!;
    assert.deepEqual([money.authorisedMinor, money.capturedMinor], [0, 4200]);
    assert.deepEqual(money.payments.filter((p) => p.state === 'captured').map((p) => p.captureKey), [`${code}:ship-1`, `${code}:ship-2`]);
    assert.equal(order.transactions.filter((t) => t.kind === 'CAPTURE').length, 2);
  } finally { await stop(); }
});

test('a concurrent write of the ledger between read and write is refused by its digest: transient, nothing captured', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    await connector.capturePayment(code, 1000, `${code}:ship-1`);
    fake.hooks.set('LedgerSet', (_f, nth) => {
      if (nth !== 3) return; // the intent of the second capture: another writer got there first
      const ledger = order.metafields.get('dovetail.ledger')!;
      order.metafields.set('dovetail.ledger', { ...ledger, compareDigest: 'someone-else' });
    });
    await assert.rejects(connector.capturePayment(code, 1000, `${code}:ship-2`), (e: unknown) => e instanceof DovetailError && e.kind === 'transient');
    assert.equal(fake.calls('OrderCapture').length, 1, 'no capture without its intent noted');
    const retried = await connector.capturePayment(code, 1000, `${code}:ship-2`);
    assert.equal(retried.created, true);
  } finally { await stop(); }
});

test('refund: once per key (a lost answer is recognised), drawn from captures, never beyond what was captured', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    await connector.capturePayment(code, 3000, `${code}:ship-1`);
    fake.failures.push({ name: 'RefundCreate', nth: 1, status: 502, when: 'after' });
    await assert.rejects(connector.refundPayment(code, 1200, `${code}:credit-7`, 'Returned 1 mug'));
    const again = await connector.refundPayment(code, 1200, `${code}:credit-7`, 'Returned 1 mug');
    assert.deepEqual([again.created, again.amountMinor, again.refundIds], [false, 1200, [order.refunds[0]!.id]]);
    assert.equal(fake.calls('RefundCreate').length, 1);
    assert.equal(fake.calls('RefundCreate')[0]!.variables.key, idempotencyKey('refund', `${code}:credit-7`));

    await assert.rejects(connector.refundPayment(code, 1801, `${code}:credit-8`, 'too much'), permanent);
    assert.equal(fake.calls('RefundCreate').length, 1, 'refused before anything was sent');
    const rest = await connector.refundPayment(code, 1800, `${code}:credit-8`, 'the rest');
    assert.equal(rest.created, true);
    const money = (await connector.getPayments(code))!;
    assert.deepEqual([money.capturedMinor, money.refundedMinor], [3000, 3000]);
    assert.deepEqual(money.payments.flatMap((p) => p.refunds).map((r) => [r.state, r.totalMinor, r.dovetailKey]),
      [['settled', 1200, `${code}:credit-7`], ['settled', 1800, `${code}:credit-8`]]);
  } finally { await stop(); }
});

test('the money feeds carry the store\'s own captures and refunds, not Dovetail\'s', async () => {
  const { fake, connector, code, order, stop } = await withOrder();
  try {
    await connector.capturePayment(code, 1000, `${code}:ship-1`);
    // a person captures the rest in Shopify's admin and refunds 2.00 there
    const auth = order.transactions[0]!;
    const byHand = { id: fake.shop.nextId('OrderTransaction'), kind: 'CAPTURE', status: 'SUCCESS', gateway: 'shopify_payments', amountMinor: 3200, parentId: auth.id, createdAt: fake.shop.now() };
    const refundTx = { id: fake.shop.nextId('OrderTransaction'), kind: 'REFUND', status: 'SUCCESS', gateway: 'shopify_payments', amountMinor: 200, parentId: byHand.id, createdAt: fake.shop.now() };
    order.transactions.push(byHand, refundTx);
    order.refunds.push({ id: fake.shop.nextId('Refund'), note: 'goodwill', transactionIds: [refundTx.id], lines: [] });
    fake.shop.touch(order);
    const payments = await connector.readChanges('payment', null);
    assert.deepEqual(payments.changes.map((c) => c.key), [`${code}:${byHand.id}`]);
    const refunds = await connector.readChanges('refund', null);
    assert.deepEqual(refunds.changes.map((c) => c.key), [`${code}:${order.refunds[0]!.id}`]);
  } finally { await stop(); }
});
