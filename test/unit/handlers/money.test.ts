// Payments and refunds, rule by rule (rules.settleFrom, refundsIn, creditMemosIn), on the real
// engine over the in-memory pair: captures and refunds exactly once, never beyond what the store holds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { importedOrder, openShop, stocked, type Settings, type Shop } from './harness.js';

/** 2 lamps at 33.00 and shipping 5.50, tax included: 71.50 */
async function shopWithOrder(settings: Settings, pay: 'authorise' | 'capture' = 'authorise'): Promise<{ shop: Shop; code: string }> {
  const shop = await openShop(settings);
  await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 20 }]);
  return { shop, code: await importedOrder(shop, [{ sku: 'LAMP', quantity: 2 }], { shippingMinor: 500, pay }) };
}

const moneyActions = async (shop: Shop, code: string) => (await shop.actions(code)).filter((a) => a.startsWith('payment.') || a.startsWith('refund.'));
const captured = (shop: Shop, code: string) => shop.store.order(code).payments.filter((p) => p.state === 'captured').map((p) => p.amountMinor);

describe('rules.settleFrom', () => {
  test('store: a capture the merchant makes in the store is recorded against the sale; an authorisation alone is not', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'store' } });
    assert.deepEqual(shop.inv.paymentsOf(code), [], 'only authorised: not paid yet');
    shop.store.capture(code);
    await shop.settle();
    assert.deepEqual(shop.inv.paymentsOf(code).map((p) => [p.kind, p.state, p.amountMinor]), [['receivable', 'succeeded', 7150]]);
    const [recorded] = (await shop.audit(code)).filter((a) => a.action === 'payment.recorded');
    assert.equal(recorded.setting, 'rules.capture=atOrder, rules.settleFrom=store');
    assert.equal(recorded.result, 'ok');
    await shop.close();
  });

  test('store: a crash after the payment was recorded: the retry finds it by its key, one payment', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'store' } });
    shop.store.capture(code);
    await shop.crashAt('payment.recorded');
    assert.equal(shop.inv.paymentsOf(code).length, 1);
    assert.deepEqual(await moneyActions(shop, code), ['payment.linked']);
    await shop.close();
  });

  test('store: a payment an operator enters in the inventory system is not captured through the store', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'store' } });
    shop.inv.enterPayment(code, 7150);
    await shop.settle();
    assert.deepEqual(captured(shop, code), []);
    await shop.close();
  });

  test('inventory: an operator\'s payment for a web sale is captured through the store and ends succeeded there', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'inventory' } });
    const id = shop.inv.enterPayment(code, 5000);
    await shop.settle();
    assert.deepEqual(captured(shop, code), [5000]);
    assert.equal(shop.inv.paymentsOf(code).find((p) => p.id === id)?.state, 'succeeded');
    assert.deepEqual(await moneyActions(shop, code), ['payment.captured']);
    await shop.close();
  });

  test('inventory: a capture the merchant still makes in the store is recorded, with a note that the rule says otherwise', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'inventory' } });
    shop.store.capture(code);
    await shop.settle();
    assert.match((await shop.audit(code)).find((a) => a.action === 'payment.recorded')?.result ?? '', /although rules\.settleFrom=inventory/);
    await shop.close();
  });

  test('inventory: a payment for more than is authorised is refused: failed where the operator made it, nothing charged', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'inventory' } });
    const id = shop.inv.enterPayment(code, 9999);
    await shop.settle();
    assert.deepEqual(captured(shop, code), []);
    assert.equal(shop.inv.paymentsOf(code).find((p) => p.id === id)?.state, 'failed');
    assert.deepEqual(await moneyActions(shop, code), ['payment.captureRefused']);
    assert.deepEqual((await shop.engine.ctx.storage.failures()).map((j) => j.kind), ['payment.fromInventory']);
    await shop.close();
  });

  test('inventory: a crash right after the store captured: the retry finds the capture by its key', async () => {
    const { shop, code } = await shopWithOrder({ rules: { settleFrom: 'inventory' } });
    shop.inv.enterPayment(code, 5000);
    await shop.crashAt('capture.captured');
    assert.deepEqual(captured(shop, code), [5000]);
    assert.deepEqual(await moneyActions(shop, code), ['payment.captureFound']);
    await shop.close();
  });
});

describe('rules.refundsIn and creditMemosIn', () => {
  test('refundsIn: store, creditMemosIn: store — a refund made in the store becomes a refund payment and a credit note against the sale', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'store', creditMemosIn: 'store' } }, 'capture');
    shop.store.refund(code, 3300, 'broken on arrival');
    await shop.settle();
    assert.deepEqual(shop.inv.paymentsOf(code).filter((p) => p.kind === 'payable').map((p) => p.amountMinor), [3300]);
    assert.deepEqual(shop.inv.creditNotesOf(code).map((n) => [n.amountMinor, n.state, n.byDovetail]), [[3300, 'posted', true]]);
    const [recorded] = (await shop.audit(code)).filter((a) => a.action === 'refund.recorded');
    assert.equal(recorded.setting, 'rules.refundsIn=store, rules.creditMemosIn=store');
    await shop.close();
  });

  test('refundsIn: store, creditMemosIn: inventory — only the refund payment; the credit note is left to the operator', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'store', creditMemosIn: 'inventory' } }, 'capture');
    shop.store.refund(code, 3300);
    await shop.settle();
    assert.deepEqual(shop.inv.paymentsOf(code).filter((p) => p.kind === 'payable').map((p) => p.amountMinor), [3300]);
    assert.deepEqual(shop.inv.creditNotesOf(code), []);
    assert.match((await shop.audit(code)).find((a) => a.action === 'refund.recorded')?.result ?? '', /by hand: rules\.creditMemosIn=inventory/);
    await shop.close();
  });

  test('refundsIn: store — a crash after the refund was recorded: the retry finds both records by key', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'store', creditMemosIn: 'store' } }, 'capture');
    shop.store.refund(code, 3300);
    await shop.crashAt('refund.recorded');
    assert.equal(shop.inv.paymentsOf(code).filter((p) => p.kind === 'payable').length, 1);
    assert.equal(shop.inv.creditNotesOf(code).length, 1);
    await shop.close();
  });

  test('refundsIn: store — a credit note an operator posts in the inventory system refunds nothing in the store', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'store' } }, 'capture');
    shop.inv.postCreditNote(code, 3300);
    await shop.settle();
    assert.deepEqual(shop.store.order(code).payments.flatMap((p) => p.refunds), []);
    await shop.close();
  });

  test('refundsIn: inventory — a posted credit note refunds its amount through the store once, recorded as a refund payment', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'inventory', creditMemosIn: 'inventory' } }, 'capture');
    shop.inv.postCreditNote(code, 3300);
    await shop.settle();
    const refunds = shop.store.order(code).payments.flatMap((p) => p.refunds);
    assert.deepEqual(refunds.map((r) => [r.totalMinor, r.state]), [[3300, 'settled']]);
    assert.ok(refunds[0].dovetailKey, 'Dovetail\'s refund says so: the store feed does not bring it back as the merchant\'s');
    assert.deepEqual(shop.inv.paymentsOf(code).filter((p) => p.kind === 'payable').map((p) => p.amountMinor), [3300]);
    assert.deepEqual(await moneyActions(shop, code), ['payment.recorded', 'refund.made']);
    assert.equal((await shop.audit(code)).find((a) => a.action === 'refund.made')?.result, 'ok');
    await shop.close();
  });

  test('refundsIn: inventory, creditMemosIn: store — refunded all the same, with a note that the rule says otherwise', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'inventory', creditMemosIn: 'store' } }, 'capture');
    shop.inv.postCreditNote(code, 3300);
    await shop.settle();
    assert.match((await shop.audit(code)).find((a) => a.action === 'refund.made')?.result ?? '', /rules\.creditMemosIn=store, yet the credit note was made in the inventory system/);
    await shop.close();
  });

  test('refundsIn: inventory — never more than was captured: a credit note beyond it is refused and nothing is paid out', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'inventory' } }, 'capture');
    shop.inv.postCreditNote(code, 9999);
    await shop.settle();
    assert.deepEqual(shop.store.order(code).payments.flatMap((p) => p.refunds), []);
    assert.deepEqual((await shop.engine.ctx.storage.failures()).map((j) => j.kind), ['refund.fromInventory']);
    await shop.close();
  });

  test('refundsIn: inventory — a crash after the store refunded: the retry finds the refund by its key, pays out nothing more', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'inventory' } }, 'capture');
    shop.inv.postCreditNote(code, 3300);
    await shop.crashAt('refund.refunded');
    assert.deepEqual(shop.store.order(code).payments.flatMap((p) => p.refunds).map((r) => r.totalMinor), [3300]);
    assert.deepEqual(await moneyActions(shop, code), ['payment.recorded', 'refund.found']);
    await shop.close();
  });

  test('refundsIn: inventory — a refund the merchant makes in the store is not recorded in the inventory system', async () => {
    const { shop, code } = await shopWithOrder({ rules: { refundsIn: 'inventory' } }, 'capture');
    shop.store.refund(code, 3300);
    await shop.settle();
    assert.deepEqual(shop.inv.paymentsOf(code).filter((p) => p.kind === 'payable'), []);
    await shop.close();
  });
});
