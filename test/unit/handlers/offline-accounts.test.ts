// Sales entered in the inventory system and their customers, rule by rule (rules.offlineOrdersToStore,
// quotesFrom, offlineCustomerAccounts, copyAddresses), on the real engine over the in-memory pair.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { customer, openShop, stocked, type Settings, type Shop } from './harness.js';

const BOB = customer('bob@example.com', { firstName: 'Bob' });

async function shopWith(rules: Settings['rules']): Promise<Shop> {
  const shop = await openShop({ rules });
  await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 10 }]);
  return shop;
}

/** The store order mirroring phone sale `saleId`, if one was made. */
const mirrorOf = (shop: Shop, saleId: string) => shop.store.findOfflineOrder(`memory-inventory:${saleId}`);
/** what the account flow did for an email (a new store account is also linked to its party by the customers flow) */
const accountActions = async (shop: Shop, email: string) => (await shop.actions(email)).filter((a) => a !== 'customer.linked' && a !== 'customer.created');

describe('rules.offlineOrdersToStore', () => {
  test('none: a phone sale stays in the inventory system, and the audit says why once', async () => {
    const shop = await shopWith({ offlineOrdersToStore: 'none' });
    const saleId = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 2 }]);
    await shop.settle();
    assert.equal(await mirrorOf(shop, saleId), null);
    const [notSent] = await shop.audit(saleId);
    assert.equal(notSent.action, 'offlineOrder.notSent');
    assert.match(notSent.result, /orders entered in the inventory system stay there/);
    await shop.close();
  });

  test('all: a phone sale appears in the store placed and paid offline; nothing is charged, and the store holds its stock', async () => {
    const shop = await shopWith({ offlineOrdersToStore: 'all' });
    const saleId = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 2 }]);
    await shop.settle();
    const mirror = await mirrorOf(shop, saleId);
    assert.equal(mirror?.state, 'placed');
    const order = shop.store.order(mirror!.code);
    assert.deepEqual(order.lines.map((l) => [l.sku, l.ordered]), [['LAMP', 2]]);
    assert.deepEqual(order.payments.map((p) => [p.method, p.state]), [['offline', 'captured']]);
    assert.deepEqual(await shop.actions(saleId), ['offlineOrder.placed']);
    assert.deepEqual(await shop.actions(mirror!.code), ['order.placedOffline', 'payment.ignored'], 'its offline payment is not recorded as money');
    assert.deepEqual(shop.inv.paymentsOf(mirror!.code), []);
    assert.equal(shop.store.availableOf('LAMP'), 10, 'the sale is the store\'s own now: not deducted twice');
    assert.equal(shop.store.saleableOf('LAMP'), 8);

    shop.inv.ship(saleId);
    await shop.settle();
    assert.equal(shop.store.order(mirror!.code).fulfilments.length, 1, 'its shipment fulfils the store order');
    assert.deepEqual(shop.store.order(mirror!.code).payments.map((p) => p.state), ['captured'], 'and captures nothing');
    await shop.close();
  });

  test('all: a store order placed for a phone sale by a Dovetail that died before recording it is never imported as a web order', async () => {
    const shop = await shopWith({ offlineOrdersToStore: 'all' });
    const saleId = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 2 }]);
    // what the dead process left: the store order made and placed, no mapping, its job still to run
    const sale = (await shop.inv.getOfflineSale(saleId))!;
    const { code } = await shop.store.startOfflineOrder(sale, { ref: `memory-inventory:${saleId}` });
    await shop.store.placeOfflineOrder(code, sale, { customerId: null });
    await shop.settle();
    assert.throws(() => shop.inv.saleOf(code), /no sale for order/, 'no second sale for the store order');
    assert.ok((await shop.actions(code)).includes('order.ignored'));
    assert.equal(await shop.engine.ctx.storage.mapping(shop.inv.system, 'sale', code), saleId, 'the offline flow records the order as the sale\'s');
    await shop.close();
  });

  test('all: a crash after the store order was started: the retry finds it by its ref and places that one', async () => {
    const shop = await shopWith({ offlineOrdersToStore: 'all' });
    const saleId = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.crashAt('offlineOrder.started');
    assert.equal((await mirrorOf(shop, saleId))?.state, 'placed');
    assert.deepEqual(await shop.store.listOrderCodes(0, 10), [(await mirrorOf(shop, saleId))!.code], 'one store order');
    await shop.close();
  });

  test('all: a sale without an email, or shipped already, is not sent', async () => {
    const shop = await shopWith({ offlineOrdersToStore: 'all' });
    const noEmail = shop.inv.enterSale({ ...BOB, email: '' }, [{ sku: 'LAMP', quantity: 1 }]);
    const shipped = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    shop.inv.ship(shipped);
    await shop.settle();
    assert.equal(await mirrorOf(shop, noEmail), null);
    assert.equal(await mirrorOf(shop, shipped), null);
    assert.match((await shop.audit(noEmail))[0].result, /no email address/);
    assert.match((await shop.audit(shipped)).at(-1)!.result, /shipped already/);
    await shop.close();
  });

  test('customersWithAccount: only the sales of customers with a store account are sent, under that account', async () => {
    const shop = await shopWith({ offlineOrdersToStore: 'customersWithAccount' });
    const guest = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    const accountId = shop.store.register(customer('carol@example.com'));
    const member = shop.inv.enterSale(customer('carol@example.com', { firstName: 'Carol' }), [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    assert.equal(await mirrorOf(shop, guest), null);
    assert.match((await shop.audit(guest))[0].result, /bob@example\.com has no store account/);
    const mirror = await mirrorOf(shop, member);
    assert.equal(mirror?.state, 'placed');
    assert.equal(shop.store.order(mirror!.code).customer.email, 'carol@example.com');
    assert.equal((await shop.audit(member))[0].detail?.customer, 'store account');
    assert.ok(accountId);
    await shop.close();
  });
});

describe('rules.quotesFrom', () => {
  test('inventory: a quotation is held back (no order, no stock held in the store) until accepted, then placed whatever offlineOrdersToStore says', async () => {
    const shop = await shopWith({ quotesFrom: 'inventory', offlineOrdersToStore: 'none' });
    const saleId = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }], { state: 'quotation' });
    await shop.settle();
    assert.equal(await mirrorOf(shop, saleId), null);
    assert.deepEqual(await shop.actions(saleId), ['quote.pending']);
    shop.inv.setSaleState(saleId, 'confirmed');
    await shop.settle();
    assert.equal((await mirrorOf(shop, saleId))?.state, 'placed');
    const accepted = (await shop.audit(saleId)).at(-1)!;
    assert.equal(accepted.action, 'quote.accepted');
    assert.equal(accepted.setting, 'rules.quotesFrom=inventory');
    await shop.close();
  });

  test('store: a quotation in the inventory system is not Dovetail\'s to carry; once confirmed it is a phone sale like any other', async () => {
    const shop = await shopWith({ quotesFrom: 'store', offlineOrdersToStore: 'none' });
    const saleId = shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }], { state: 'quotation' });
    await shop.settle();
    assert.deepEqual(await shop.actions(saleId), [], 'the order feed is not even read for it');
    shop.inv.setSaleState(saleId, 'confirmed');
    await shop.settle();
    assert.equal(await mirrorOf(shop, saleId), null, 'offlineOrdersToStore: none keeps it');
    await shop.close();
  });
});

describe('rules.offlineCustomerAccounts and copyAddresses', () => {
  const phoneCustomer = async (rules: Settings['rules']) => {
    const shop = await shopWith(rules);
    shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    return shop;
  };

  test('none: a phone customer gets no store account', async () => {
    const shop = await phoneCustomer({ offlineCustomerAccounts: 'none' });
    assert.equal(shop.store.customerOf('bob@example.com'), undefined);
    assert.deepEqual(await accountActions(shop, 'bob@example.com'), []);
    await shop.close();
  });

  test('create: the account is made quietly (no email at all), with the customer\'s addresses', async () => {
    const shop = await phoneCustomer({ offlineCustomerAccounts: 'create', copyAddresses: true });
    const made = shop.store.customerOf('bob@example.com');
    assert.equal(made?.hasAccount, true);
    assert.equal(made?.awaitingPassword, false);
    assert.deepEqual(made?.customer.addresses, BOB.addresses);
    assert.deepEqual(shop.store.emails, []);
    assert.deepEqual(await accountActions(shop, 'bob@example.com'), ['customer.accountCreated', 'customer.addressesCopied']);
    await shop.close();
  });

  test('invite: the account waits for a password and the store sends its invitation once', async () => {
    const shop = await phoneCustomer({ offlineCustomerAccounts: 'invite' });
    assert.equal(shop.store.customerOf('bob@example.com')?.awaitingPassword, true);
    assert.deepEqual(shop.store.emails, [{ to: 'bob@example.com', about: 'set your password' }]);
    shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    assert.equal(shop.store.emails.length, 1, 'a second sale invites nobody again');
    assert.deepEqual((await shop.actions('bob@example.com')).filter((a) => a === 'customer.invited'), ['customer.invited']);
    await shop.close();
  });

  test('copyAddresses: false — the account is made without the addresses', async () => {
    const shop = await phoneCustomer({ offlineCustomerAccounts: 'create', copyAddresses: false });
    assert.deepEqual(shop.store.customerOf('bob@example.com')?.customer.addresses, []);
    assert.deepEqual(await accountActions(shop, 'bob@example.com'), ['customer.accountCreated']);
    await shop.close();
  });

  test('a party without sales (a supplier) gets no account; a customer the store knows already gets none made', async () => {
    const shop = await shopWith({ offlineCustomerAccounts: 'create' });
    shop.inv.addParty(customer('supplier@example.com'));
    shop.store.register(customer('bob@example.com'), false);
    shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    assert.equal(shop.store.customerOf('supplier@example.com'), undefined);
    assert.equal(shop.store.customerOf('bob@example.com')?.hasAccount, false, 'the guest is left as it is');
    assert.deepEqual(await accountActions(shop, 'bob@example.com'), ['customer.accountExists']);
    await shop.close();
  });

  test('a crash after the account was made: the retry knows the account it finds is its own', async () => {
    const shop = await shopWith({ offlineCustomerAccounts: 'invite' });
    shop.inv.enterSale(BOB, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.crashAt('customer.accountCreated');
    assert.equal(shop.store.customerOf('bob@example.com')?.hasAccount, true);
    assert.deepEqual(shop.store.emails, [{ to: 'bob@example.com', about: 'set your password' }], 'invited once, not taken for someone else\'s account');
    assert.deepEqual(await accountActions(shop, 'bob@example.com'), ['customer.accountCreated', 'customer.invited', 'customer.addressesCopied']);
    await shop.close();
  });
});
