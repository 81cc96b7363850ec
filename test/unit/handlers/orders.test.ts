// Web orders and their customers, rule by rule (master.customers, rules.salespeople), on the
// real engine over the in-memory pair: what lands in each system and in the audit trail.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accept } from '../../../src/engine/intake.js';
import { customer, importedOrder, openShop, stocked } from './harness.js';
import { dyingAt } from '../../helpers/dying-at.js';

const PRODUCTS = [{ sku: 'LAMP', priceMinor: 3000, onHand: 20 }, { sku: 'BULB', priceMinor: 300, onHand: 50 }];

describe('web orders', () => {
  test('a placed order becomes one confirmed sale for a party found or made by email; later order updates make no second sale', async () => {
    const shop = await openShop();
    await stocked(shop, PRODUCTS);
    const code = await importedOrder(shop, [{ sku: 'LAMP', quantity: 2 }, { sku: 'BULB', quantity: 3 }], { shippingMinor: 500 });
    const sale = shop.inv.saleOf(code);
    assert.equal(sale.state, 'confirmed');
    assert.deepEqual(sale.lines.map((l) => [l.sku, l.quantity]), [['LAMP', 2], ['BULB', 3]]);
    assert.equal(shop.inv.partyOf('ada@example.com')?.id !== undefined, true);
    assert.deepEqual(await shop.actions(code), ['order.imported']);
    const imported = (await shop.audit(code))[0];
    assert.equal(imported.detail?.storeTotal, imported.detail?.inventoryTotal, 'both systems total the order to the cent');
    assert.deepEqual(await shop.actions('ada@example.com'), ['customer.created']);

    shop.store.editOrder(code, 'BULB', 3); // touched without a change: the order's feed moves, nothing else
    const second = await importedOrder(shop, [{ sku: 'BULB', quantity: 1 }]);
    assert.equal(shop.inv.saleOf(code).id, sale.id);
    assert.deepEqual(await shop.actions(code), ['order.imported'], 'imported once');
    assert.deepEqual(await shop.actions('ada@example.com'), ['customer.created'], 'the second order finds the party');
    assert.equal(shop.inv.saleOf(second).customer.email, 'ada@example.com');
    await shop.close();
  });

  test('a crash after the sale was written: the retry finds it by order code and links it, no second sale', async () => {
    const shop = await openShop();
    await stocked(shop, PRODUCTS);
    const code = shop.store.placeOrder({ customer: customer('ada@example.com'), lines: [{ sku: 'LAMP', quantity: 1 }] });
    await shop.crashAt('order.saleWritten');
    assert.deepEqual(await shop.actions(code), ['order.linked']);
    assert.equal(shop.inv.saleOf(code).lines[0].quantity, 1);
    await shop.close();
  });

  test('a crash after the sale was written, then units cancelled in the store before the retry: the sale is linked and the cancellation carried and refunded', async () => {
    const shop = await openShop({ rules: { cancellationsIn: 'store', capture: 'atOrder' } });
    await stocked(shop, PRODUCTS);
    const code = shop.store.placeOrder({ customer: customer('ada@example.com'), lines: [{ sku: 'LAMP', quantity: 2 }, { sku: 'BULB', quantity: 1 }], pay: 'capture' });
    await shop.crashAt('order.saleWritten', () => shop.store.cancelUnits(code, 'LAMP', 1));
    assert.deepEqual(shop.inv.saleOf(code).lines.map((l) => [l.sku, l.quantity]), [['LAMP', 1], ['BULB', 1]], 'one sale, carrying the cancellation');
    const refunds = shop.store.order(code).payments.flatMap((p) => p.refunds).map((r) => r.totalMinor);
    assert.deepEqual(refunds, [3300], 'the cancelled lamp refunded once');
    const actions = await shop.actions(code);
    assert.deepEqual(actions.filter((a) => a.startsWith('order.') || a.startsWith('payment.refund')), ['order.linked', 'order.cancelCopied', 'payment.refundedCancelled']);
    assert.deepEqual(await shop.conflicts(code), [], 'no edit refused, no totals flagged: the difference was the cancellation');
    await shop.close();
  });

  test('a crash while the sale is being linked, then units cancelled in the store: the link and the baseline are one write, so the cancellation is carried, not taken as the baseline', async () => {
    const shop = await openShop({ rules: { cancellationsIn: 'store', capture: 'atOrder' } });
    await stocked(shop, PRODUCTS);
    const code = shop.store.placeOrder({ customer: customer('ada@example.com'), lines: [{ sku: 'LAMP', quantity: 2 }, { sku: 'BULB', quantity: 1 }], pay: 'capture' });
    // the crash, then the cancellation before anything else runs (the job waits for its retry)
    await dyingAt('order.saleLinking', () => shop.engine.tick());
    shop.store.cancelUnits(code, 'LAMP', 1);
    await shop.later();
    assert.deepEqual(shop.inv.saleOf(code).lines.map((l) => [l.sku, l.quantity]), [['LAMP', 1], ['BULB', 1]], 'the cancellation reached the sale');
    assert.deepEqual(shop.store.order(code).payments.flatMap((p) => p.refunds).map((r) => r.totalMinor), [3300], 'the cancelled lamp refunded once');
    assert.deepEqual(await shop.conflicts(code), [], 'nothing left for a person');
    await shop.close();
  });

  test('a crash after the sale was written, then the whole order cancelled in the store: the sale is linked and cancelled, the payment refunded', async () => {
    const shop = await openShop({ rules: { cancellationsIn: 'store', capture: 'atOrder' } });
    await stocked(shop, PRODUCTS);
    const code = shop.store.placeOrder({ customer: customer('ada@example.com'), lines: [{ sku: 'LAMP', quantity: 1 }], pay: 'capture' });
    await shop.crashAt('order.saleWritten', () => shop.store.cancelUnits(code, 'LAMP', 1));
    assert.equal(shop.store.order(code).status, 'cancelled');
    assert.deepEqual(shop.inv.saleOf(code).lines.map((l) => [l.sku, l.quantity]), [['LAMP', 0]], 'the sale no longer holds the lamp');
    assert.deepEqual(shop.store.order(code).payments.flatMap((p) => p.refunds).map((r) => r.totalMinor), [3300]);
    assert.deepEqual(await shop.conflicts(code), []);
    await shop.close();
  });

  test('a pushed event is worked like a polled change; the same event pushed again is recognised', async () => {
    const shop = await openShop();
    await stocked(shop, PRODUCTS);
    const code = shop.store.placeOrder({ customer: customer('ada@example.com'), lines: [{ sku: 'LAMP', quantity: 1 }] });
    const { body, headers } = shop.store.webhook([{ kind: 'order', key: code, version: 'evt-1' }]);
    assert.equal(await accept(shop.engine.ctx, 'store', shop.store.parseWebhook(body, headers)), 1);
    assert.equal(await accept(shop.engine.ctx, 'store', shop.store.parseWebhook(body, headers)), 0, 'a repeated delivery');
    await shop.engine.runner.runReady();
    assert.equal(shop.inv.saleOf(code).lines[0].quantity, 1, 'imported before any poll');
    assert.throws(() => shop.store.parseWebhook(body, { 'x-memory-signature': 'sha256=00' }), /signature/);
    await shop.close();
  });

  test('an order not placed yet (a cart) is not imported', async () => {
    const shop = await openShop();
    await stocked(shop, PRODUCTS);
    const code = shop.store.placeOrder({ customer: customer('ada@example.com'), lines: [{ sku: 'LAMP', quantity: 1 }], cart: true });
    await shop.settle();
    assert.throws(() => shop.inv.saleOf(code));
    assert.deepEqual(await shop.actions(code), ['order.ignored']);
    await shop.close();
  });
});

describe('master.customers', () => {
  test('store: a customer registering on the website becomes a party in the inventory system', async () => {
    const shop = await openShop({ master: { customers: 'store' } });
    shop.store.register(customer('grace@example.com'));
    await shop.settle();
    assert.equal(shop.inv.partyOf('grace@example.com')?.customer.lastName, 'Lovelace');
    const [created] = await shop.audit('grace@example.com');
    assert.equal(created.action, 'customer.created');
    assert.equal(created.setting, 'master.customers=store');
    await shop.close();
  });

  test('inventory: a registration stays in the store; a party is made only for an order', async () => {
    const shop = await openShop({ master: { customers: 'inventory' } });
    await stocked(shop, PRODUCTS);
    shop.store.register(customer('grace@example.com'));
    await shop.settle();
    assert.equal(shop.inv.partyOf('grace@example.com'), undefined);
    await importedOrder(shop, [{ sku: 'BULB', quantity: 1 }], { customer: customer('grace@example.com') });
    const [created] = await shop.audit('grace@example.com');
    assert.equal(created.setting, 'master.customers=inventory');
    assert.ok(shop.inv.partyOf('grace@example.com'));
    await shop.close();
  });
});

describe('rules.salespeople', () => {
  const rules = {
    salespeople: {
      rules: [
        { when: { channel: 'wholesale' }, assign: 'by-channel' },
        { when: { country: 'fr' }, assign: 'by-country' },
        { when: { region: 'Bavaria' }, assign: 'by-region' },
        { when: { customerGroup: 'VIP' }, assign: 'by-group' },
        { when: { sku: 'LAMP' }, assign: 'by-sku' },
        { when: { minTotal: '100' }, assign: 'by-min-total' },
        { when: { maxTotal: '5' }, assign: 'by-max-total' },
      ],
      default: 'house',
    },
  };
  const german = customer('ada@example.com');
  const cases: { name: string; order: Parameters<typeof importedOrder>[2]; lines: { sku: string; quantity: number }[]; expected: string }[] = [
    { name: 'channel', order: { channel: 'wholesale' }, lines: [{ sku: 'BULB', quantity: 10 }], expected: 'by-channel' },
    { name: 'country', order: { customer: { ...german, addresses: [{ ...german.addresses[0], countryCode: 'FR' }] } }, lines: [{ sku: 'BULB', quantity: 10 }], expected: 'by-country' },
    { name: 'region', order: { customer: { ...german, addresses: [{ ...german.addresses[0], province: 'bavaria' }] } }, lines: [{ sku: 'BULB', quantity: 10 }], expected: 'by-region' },
    { name: 'customerGroup', order: { customer: { ...german, groups: ['vip'] } }, lines: [{ sku: 'BULB', quantity: 10 }], expected: 'by-group' },
    { name: 'sku', order: {}, lines: [{ sku: 'LAMP', quantity: 1 }], expected: 'by-sku' },
    { name: 'minTotal (inclusive)', order: {}, lines: [{ sku: 'BULB', quantity: 40 }], expected: 'by-min-total' }, // 40 × 3.30 = 132.00
    { name: 'maxTotal (inclusive)', order: {}, lines: [{ sku: 'BULB', quantity: 1 }], expected: 'by-max-total' }, // 3.30
    { name: 'default when no rule matches', order: {}, lines: [{ sku: 'BULB', quantity: 10 }], expected: 'house' }, // 33.00
  ];
  for (const c of cases) {
    test(`${c.name}: the sale gets ${c.expected}, and the audit says which rule matched`, async () => {
      const shop = await openShop({ rules });
      await stocked(shop, PRODUCTS);
      const code = await importedOrder(shop, c.lines, c.order);
      assert.equal(shop.inv.saleOf(code).salesperson, c.expected);
      const assigned = (await shop.audit(code)).find((a) => a.action === 'order.salesperson');
      assert.equal(assigned?.detail?.salesperson, c.expected);
      assert.equal(assigned?.setting, 'rules.salespeople');
      await shop.close();
    });
  }

  test('no rules and no default: the sale has no salesperson, and no salesperson entry is written', async () => {
    const shop = await openShop();
    await stocked(shop, PRODUCTS);
    const code = await importedOrder(shop, [{ sku: 'LAMP', quantity: 1 }]);
    assert.equal(shop.inv.saleOf(code).salesperson, null);
    assert.deepEqual(await shop.actions(code), ['order.imported']);
    await shop.close();
  });
});
