// Offline orders and website accounts on Shopify under the contract's names, on the stateful
// double: a draft order found by its sale's ref, placed as paid with no money taken through the
// store; a customer made once, invited by Shopify's own email, addresses added once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OfflineSale } from '../../../src/model/offline-order.js';
import { LOCATION, shopifyOnDouble } from '../../doubles/shopify/connect.js';

const address = { fullName: 'Grace Hopper', street1: '1 Navy Way', city: 'Arlington', postalCode: '22201', countryCode: 'US' };
const sale = (email: string): OfflineSale => ({
  id: '42', number: 'S0042', state: 'confirmed', shipped: false, reference: null,
  customer: { email, firstName: 'Grace', lastName: 'Hopper', addresses: [address] },
  shippingAddress: address, billingAddress: null, lines: [{ sku: 'MUG', name: 'Mug', quantity: 2 }], currency: 'EUR', totalMinor: 2400,
});

test('an offline sale: a draft found by its ref, placed as paid offline (nothing charged), found placed under its order code', async () => {
  const { fake, connector, stop } = await shopifyOnDouble();
  try {
    fake.addItem('MUG', { [LOCATION]: 10 }, undefined, 1000);
    assert.equal(await connector.findOfflineOrder('tryton:42'), null);
    const { code } = await connector.startOfflineOrder(sale('grace@example.com'), { ref: 'tryton:42' });
    assert.deepEqual(await connector.findOfflineOrder('tryton:42'), { code, state: 'cart' });
    assert.equal(fake.shop.orders.size, 0, 'a draft holds no stock and is no order yet');

    const placed = await connector.placeOfflineOrder(code, sale('grace@example.com'), { customerId: null });
    assert.deepEqual(placed, { state: 'placed', totalMinor: 2400 });
    const order = [...fake.shop.orders.values()][0]!;
    assert.deepEqual(await connector.findOfflineOrder('tryton:42'), { code: order.legacyId, state: 'placed' });
    assert.equal(order.sourceName, 'dovetail-offline');
    assert.equal(order.shippingAddress?.address1, '1 Navy Way');
    const money = (await connector.getPayments(order.legacyId))!;
    assert.deepEqual(money.payments.map((p) => [p.state, p.amountMinor, p.method]), [['captured', 2400, 'manual']], 'marked paid, by no gateway');
    assert.equal(money.authorisedMinor, 0);
    assert.equal(fake.calls('OrderCapture').length, 0);

    assert.deepEqual(await connector.placeOfflineOrder(code, sale('grace@example.com'), { customerId: null }), placed, 'a repeat places nothing more');
    assert.equal(fake.calls('DraftOrderComplete').length, 1);
    assert.equal(fake.shop.orders.size, 1);
  } finally { await stop(); }
});

test('a draft Shopify made before its answer was lost is found by the sale\'s ref', async () => {
  const { fake, connector, stop } = await shopifyOnDouble();
  try {
    fake.addItem('MUG', { [LOCATION]: 10 }, undefined, 1000);
    fake.failures.push({ name: 'DraftOrderCreate', nth: 1, status: 502, when: 'after' });
    await assert.rejects(connector.startOfflineOrder(sale('grace@example.com'), { ref: 'tryton:42' }));
    const found = await connector.findOfflineOrder('tryton:42');
    assert.deepEqual(found, { code: [...fake.shop.drafts.keys()][0], state: 'cart' }, 'the engine carries on with this one instead of starting another');
    assert.equal(await connector.findOfflineOrder('tryton:4'), null, 'another sale\'s ref does not match it');
  } finally { await stop(); }
});

test('accounts: made once by email; with an invitation it waits for its password at once, invited once', async () => {
  const { fake, connector, stop } = await shopifyOnDouble();
  try {
    const grace = sale('Grace@Example.com').customer;
    assert.equal(await connector.findCustomerAccount('grace@example.com'), null);
    fake.failures.push({ name: 'CustomerCreate', nth: 1, status: 502, when: 'after' });
    await assert.rejects(connector.createCustomerAccount(grace, { invite: true }));
    const made = await connector.createCustomerAccount(grace, { invite: true });
    assert.equal(made.created, false, 'the customer a lost answer made is found by email');
    assert.deepEqual(await connector.createCustomerAccount(grace, { invite: true }), { id: made.id, created: false });
    assert.equal(fake.calls('CustomerCreate').length, 1);
    assert.deepEqual(await connector.findCustomerAccount('grace@example.com'), { id: made.id, hasAccount: false }, 'the crash came before its invitation');
    assert.match((await connector.inviteCustomer('grace@example.com')).how, /customerSendAccountInviteEmail/);
    assert.deepEqual(await connector.findCustomerAccount('grace@example.com'), { id: made.id, hasAccount: true });

    const ivy = await connector.createCustomerAccount({ email: 'ivy@example.com', firstName: 'Ivy', lastName: 'Invited', addresses: [] }, { invite: true });
    assert.deepEqual(await connector.findCustomerAccount('ivy@example.com'), { id: ivy.id, hasAccount: true }, 'invited when made: it waits for its password');
    assert.match((await connector.inviteCustomer('ivy@example.com')).how, /sent when the account was made/);
    const quiet = await connector.createCustomerAccount({ email: 'quiet@example.com', firstName: 'Q', lastName: 'Uiet', addresses: [] }, { invite: false });
    assert.deepEqual(await connector.findCustomerAccount('quiet@example.com'), { id: quiet.id, hasAccount: false }, 'no invitation: nothing is sent');
    assert.deepEqual([made.id, ivy.id, quiet.id].map((id) => fake.shop.customers.get(id)!.invitationsSent), [1, 1, 0], 'each invitation sent once');

    assert.equal(await connector.addCustomerAddresses(made.id, [address, { ...address, street1: '2 Navy Way' }]), 2);
    assert.equal(await connector.addCustomerAddresses(made.id, [address]), 0);
    assert.deepEqual(fake.shop.customers.get(made.id)!.addresses.map((a) => a.address1), ['1 Navy Way', '2 Navy Way']);

    // the customer then places an offline order under that account
    fake.addItem('MUG', { [LOCATION]: 10 }, undefined, 1000);
    const { code } = await connector.startOfflineOrder(sale('grace@example.com'), { ref: 'tryton:43' });
    await connector.placeOfflineOrder(code, sale('grace@example.com'), { customerId: made.id });
    assert.equal([...fake.shop.orders.values()][0]!.customerId, made.id);
  } finally { await stop(); }
});
