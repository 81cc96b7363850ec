// The store contract against the Magento double (stateful, every request and answer checked against
// Adobe's published Admin REST schema), for the groups the Magento connector declares; then what
// Magento carries of the two groups it carries only in part (its descriptor's `cannotCarry`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { magento, MagentoConnector } from '../../src/connectors/magento/index.js';
import { DovetailError } from '../../src/errors.js';
import { StorePayment } from '../../src/model/payment.js';
import { OrderLinesState } from '../../src/model/order-lines.js';
import { ACCESS_TOKEN, FakeMagento } from '../doubles/magento/server.js';
import { CURRENCY } from '../doubles/magento/state.js';
import { storeContract } from './store-contract.js';
import { someProduct } from './subject.js';

/** rows per listing call, and more customers than that for the feed's paging */
const PAGE = 50;
const MANY_CUSTOMERS = 120;

const doubles: FakeMagento[] = [];
// a request outside the published schema is the connector's mistake, whichever check made it
after(() => {
  for (const d of doubles) {
    assert.deepEqual(d.schemaViolations, [], 'every request the connector sent is one the published schema accepts');
    assert.deepEqual(d.answerViolations, [], 'every answer of the double is one the published schema allows');
  }
});

async function openDouble(): Promise<{ fake: FakeMagento; connector: MagentoConnector }> {
  const fake = await new FakeMagento().start();
  doubles.push(fake);
  return { fake, connector: new MagentoConnector({ url: fake.url, accessToken: ACCESS_TOKEN, pageSize: PAGE }) };
}

const noWebhooks = () => { throw new Error('Magento sends no webhooks: the connector polls'); };

storeContract({
  name: 'Magento double',
  declared: magento.capabilities,
  // payments and orderChanges are declared but carried in part (`magento.cannotCarry`: captures of
  // arbitrary amounts, order edits): the suite would ask for those; what is carried is checked below
  checked: ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'feeds'],
  async open() {
    const { fake, connector } = await openDouble();
    return {
      connector,
      close: () => fake.stop(),
      driver: {
        currency: CURRENCY,
        // Magento refuses a product name longer than 255 characters
        refusedProduct: async (sku) => {
          const p = someProduct(sku, 100, CURRENCY);
          return { ...p, fields: { ...p.fields, names: { name: 'M'.repeat(300), variantName: sku } } };
        },
        // a source item's quantity is a decimal(12,4): Magento refuses more
        refusedStock: async (sku) => ({ sku, available: 1_500_000_000 }),
        customer: async (email) => { fake.state.addCustomer({ email, firstname: 'Cy', lastname: 'Contract' }); },
        // a shopper's checkout: authorised, or with `settle` invoiced and captured at once
        order: async (lines, opts) => fake.state.placeOrder({ email: opts.email, lines, paid: opts.settle ? 'captured' : 'authorised' }).incrementId,
        signedWebhook: noWebhooks,
        signedHeaders: noWebhooks,
        // a customer import: every customer stamped with one second
        async manyRows() {
          const keys = Array.from({ length: MANY_CUSTOMERS }, (_, i) => `many-${i}@example.com`);
          for (const email of keys) fake.state.addCustomer({ email, firstname: 'Many', lastname: 'Rows' });
          fake.state.stampAlike('customer', keys, '2026-01-01 00:00:00');
          return { kind: 'customer', keys, sharedStamp: true };
        },
      },
    };
  },
});

describe('Magento double: what Magento carries of payments and order changes', () => {
  let fake: FakeMagento; let connector: MagentoConnector;
  // 2 × 12.50 + 1 × 20.00 at 10 % tax, and 5.00 shipping: 54.50
  const order = (email: string, paid: 'authorised' | 'captured') =>
    fake.state.placeOrder({ email, lines: [{ sku: 'PAY-A', quantity: 2 }, { sku: 'PAY-B', quantity: 1 }], paid, shippingMinor: 500 }).incrementId;
  const ship = (code: string, ref: string, lines: { sku: string; quantity: number }[]) =>
    connector.recordShipment(code, { ref, shippedOn: '2026-03-01', carrier: null, trackingCode: null, lines }, { notifyCustomer: false });

  before(async () => {
    ({ fake, connector } = await openDouble());
    fake.state.addProduct('PAY-A', 1250, 50);
    fake.state.addProduct('PAY-B', 2000, 50);
  });
  after(async () => { await fake.stop(); });

  test('capturePayment: the shipped items\' amount (with the shipping, first) as one invoice, once per key, recognisable; never beyond what is authorised', async () => {
    const code = order('capture@example.com', 'authorised');
    const before = (await connector.getPayments(code))!;
    for (const p of before.payments) StorePayment.parse(p);
    assert.deepEqual([before.authorisedMinor, before.capturedMinor], [5450, 0]);
    await assert.rejects(connector.capturePayment(code, 5451, 'too-much'), DovetailError);
    await ship(code, 'ship-1', [{ sku: 'PAY-A', quantity: 1 }]);
    const first = await connector.capturePayment(code, 1375 + 500, 'cap-1');
    const again = await connector.capturePayment(code, 1375 + 500, 'cap-1');
    assert.equal(first.created, true);
    assert.deepEqual([again.created, again.paymentId], [false, first.paymentId], 'the key was captured before');
    const now = (await connector.getPayments(code))!;
    assert.equal(now.capturedMinor, 1875, 'captured once');
    assert.ok(now.payments.some((p) => p.captureKey === 'cap-1' && p.state === 'captured'), 'the capture carries its key');
    assert.equal(now.authorisedMinor, 5450 - 1875);
    await assert.rejects(connector.capturePayment(code, now.authorisedMinor + 1, 'rest-too-much'), DovetailError);
    assert.equal(fake.state.invoices.length, 1, 'one invoice in Magento');
  });

  test('refundPayment: a credit memo once per key, recognisable, never beyond what was captured', async () => {
    const code = order('refund@example.com', 'captured');
    const before = (await connector.getPayments(code))!;
    assert.equal(before.capturedMinor, 5450, 'invoiced and captured at checkout');
    await assert.rejects(connector.refundPayment(code, 5451, 'too-much', 'contract'), DovetailError);
    const first = await connector.refundPayment(code, 1000, 'ref-1', 'contract');
    const again = await connector.refundPayment(code, 1000, 'ref-1', 'contract');
    assert.deepEqual([first.created, again.created], [true, false]);
    const now = (await connector.getPayments(code))!;
    assert.equal(now.refundedMinor, 1000, 'refunded once');
    assert.ok(now.payments.flatMap((p) => p.refunds).some((r) => r.dovetailKey === 'ref-1'), 'the refund carries its key');
    await assert.rejects(connector.refundPayment(code, 5450 - 1000 + 1, 'rest-too-much', 'contract'), DovetailError);
    assert.equal(fake.state.creditMemos.length, 1, 'one credit memo in Magento');
  });

  test('getOrderLines and cancelOrderUnits of the whole rest; a part of it, or more units, refused as a conflict', async () => {
    const code = order('changes@example.com', 'authorised');
    const lines = (await connector.getOrderLines(code))!;
    OrderLinesState.parse(lines);
    assert.deepEqual(lines.lines.map((l) => [l.sku, l.quantity]), [['PAY-A', 2], ['PAY-B', 1]]);
    await ship(code, 'ship-2', [{ sku: 'PAY-A', quantity: 1 }]);
    const conflict = (e: unknown) => e instanceof DovetailError && e.detail?.refusal === 'conflict';
    await assert.rejects(connector.cancelOrderUnits(code, [{ sku: 'PAY-B', quantity: 1 }], { kind: 'cancel', reason: 'contract' }), conflict, 'Magento cannot cancel part of the rest');
    await assert.rejects(connector.raiseOrderQuantities(code), conflict);
    const salableBefore = fake.state.salable('PAY-B');
    const cancelled = await connector.cancelOrderUnits(code, [{ sku: 'PAY-A', quantity: 1 }, { sku: 'PAY-B', quantity: 1 }], { kind: 'cancel', reason: 'contract: the rest' });
    assert.equal(cancelled.totalBeforeMinor - cancelled.totalAfterMinor, 1375 + 2200);
    assert.deepEqual((await connector.getOrderLines(code))!.lines.map((l) => [l.sku, l.quantity, l.shipped]), [['PAY-A', 1, 1], ['PAY-B', 0, 0]]);
    assert.equal(fake.state.salable('PAY-B'), salableBefore + 1, 'the cancelled unit\'s reservation released');
  });

  test('releaseAuthorisation: gives up what is still authorised, once', async () => {
    const code = order('release@example.com', 'authorised');
    const first = await connector.releaseAuthorisation(code, 'contract: nothing more to ship');
    assert.equal(first.releasedMinor, 5450);
    assert.equal((await connector.getPayments(code))!.authorisedMinor, 0);
    assert.equal((await connector.releaseAuthorisation(code, 'contract: again')).releasedMinor, 0, 'nothing left to release');
  });
});
