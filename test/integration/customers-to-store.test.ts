// rules.offlineCustomerAccounts and rules.copyAddresses against the real systems: a Tryton
// customer the store does not know gets a Vendure account (quietly, or with the store's own
// invitation to set a password), with or without their addresses, once per email.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { adminGql, freshTrytonDatabase, shopGql, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { offlineSale, phoneCustomer, registeredShopper, vendureLoginRow, settle } from './helpers/offline.js';

interface StoreCustomer { id: string; firstName: string; lastName: string; user: { id: string; verified: boolean } | null; addresses: { streetLine1: string; city: string; postalCode: string; country: { code: string } }[] }
async function storeCustomers(admin: GqlClient, email: string): Promise<StoreCustomer[]> {
  const r = await admin<{ customers: { items: StoreCustomer[] } }>(`query($e: String!) { customers(options: { filter: { emailAddress: { eq: $e } } }) {
    items { id firstName lastName user { id verified } addresses { streetLine1 city postalCode country { code } } } } }`, { e: email });
  return r.customers.items;
}

describe('Tryton customers get store accounts per rules.offlineCustomerAccounts / copyAddresses', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let product: number;
  const engines: Engine[] = [];
  const engineWith = async (rules: Record<string, unknown>) => {
    const e = await engineFor(settingsFor(tryton, vendure, { rules }).config);
    engines.push(e);
    return e;
  };
  const customerWithSale = async (name: string, email: string, street?: string) => {
    const c = await phoneCustomer(t, name, email, street);
    await offlineSale(t, c, [{ product, quantity: 1, price: '9.00' }]);
    return c;
  };

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
    product = await createTrytonProduct(t, 'SOAP-1', 'Olive soap', '9.00');
    await receiveStock(t, product, 50);
  });
  after(async () => {
    for (const e of engines) await e.ctx.storage.close();
    await vendure?.stop();
  });

  test('none: a phone customer with a sale gets no store account', async () => {
    const engine = await engineWith({ offlineCustomerAccounts: 'none' });
    await customerWithSale('Nora None', 'nora@example.com');
    await settle(engine);
    assert.deepEqual(await storeCustomers(admin, 'nora@example.com'), []);
  });

  test('create + copyAddresses: one account with the address, no invitation; suppliers and known shoppers are left alone', async () => {
    const engine = await engineWith({ offlineCustomerAccounts: 'create', copyAddresses: true });
    await customerWithSale('Carla Create', 'carla@example.com', '12 Cedar Lane');
    await phoneCustomer(t, 'Supplier Sam', 'sam@example.com'); // a party with an email but no sale
    await registeredShopper(admin, 'reg@example.com', 'Reggie', 'Registered');
    await customerWithSale('Reggie Phone', 'reg@example.com', '99 Other St'); // already a store customer
    await settle(engine);

    const [carla, ...more] = await storeCustomers(admin, 'carla@example.com');
    assert.ok(carla, 'Carla has a store customer record');
    assert.equal(more.length, 0);
    assert.equal(carla.firstName, 'Carla');
    assert.equal(carla.lastName, 'Create');
    assert.ok(carla.user?.verified, 'an account (a user) that needs no verification');
    assert.deepEqual(carla.addresses.map((a) => [a.streetLine1, a.city, a.postalCode, a.country.code]), [['12 Cedar Lane', 'Portland', '97201', 'US']]);
    const login = vendureLoginRow(vendure.dbFile, 'carla@example.com');
    assert.ok(login, 'Vendure stored a login for her');
    assert.equal(login.verificationToken, null, 'no verification email pending');
    assert.equal(login.passwordResetToken, null, 'no set-password email either');

    assert.deepEqual(await storeCustomers(admin, 'sam@example.com'), [], 'a party without a sale is not a customer');
    const [reg] = await storeCustomers(admin, 'reg@example.com');
    assert.deepEqual(reg.addresses, [], 'a shopper the store already knows is left as the store has them');

    // the same changes again, and the whole window read twice: still one account, made once
    await engine.ctx.storage.db.deleteFrom('cursors').execute();
    await engine.ctx.storage.db.deleteFrom('changes').execute();
    await settle(engine);
    await settle(engine);
    assert.equal((await storeCustomers(admin, 'carla@example.com')).length, 1);
    assert.equal((await storeCustomers(admin, 'carla@example.com'))[0].addresses.length, 1, 'the address is not copied twice');
    const made = (await engine.ctx.storage.auditTrail('carla@example.com')).filter((a) => a.action === 'customer.accountCreated');
    assert.equal(made.length, 1);
    assert.match(made[0].setting ?? '', /offlineCustomerAccounts=create/);
  });

  test('invite without addresses: the store sends its set-password invitation once, and it works', async () => {
    const engine = await engineWith({ offlineCustomerAccounts: 'invite', copyAddresses: false });
    await customerWithSale('Ivy Invite', 'ivy@example.com');
    await settle(engine);
    const [ivy] = await storeCustomers(admin, 'ivy@example.com');
    assert.ok(ivy?.user, 'Ivy has an account');
    assert.deepEqual(ivy.addresses, [], 'copyAddresses: false');
    const login = vendureLoginRow(vendure.dbFile, 'ivy@example.com');
    assert.ok(login?.passwordResetToken, 'the store issued the token its set-password email carries');
    assert.equal(login.passwordHash, '', 'no password until she sets one');

    await engine.ctx.storage.db.deleteFrom('cursors').execute();
    await engine.ctx.storage.db.deleteFrom('changes').execute();
    await settle(engine);
    assert.equal(vendureLoginRow(vendure.dbFile, 'ivy@example.com')?.passwordResetToken, login.passwordResetToken, 'not invited a second time (a new request would replace the token)');
    assert.equal((await engine.ctx.storage.auditTrail('ivy@example.com')).filter((a) => a.action === 'customer.invited').length, 1);

    // Ivy follows the link in the email: sets a password, then logs in.
    const shop = shopGql(vendure.url);
    const reset = await shop<{ resetPassword: { __typename: string } }>(`mutation($t: String!) { resetPassword(token: $t, password: "ivy-chose-this") { __typename } }`, { t: login.passwordResetToken });
    assert.equal(reset.resetPassword.__typename, 'CurrentUser');
    const again = shopGql(vendure.url);
    const r = await again<{ login: { __typename: string } }>(`mutation { login(username: "ivy@example.com", password: "ivy-chose-this") { __typename } }`);
    assert.equal(r.login.__typename, 'CurrentUser');
  });
});
