// master.customers against the real systems, after the first match: with Tryton as the master, a
// party's new name, phone, address and email reach the Vendure account (still the same account
// once the email changed) and an edit in Vendure is put back; with Vendure as the master, the
// other way round.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { carryCustomerEdit } from '../../src/engine/handlers/customer-details.js';
import { ensureCustomer } from '../../src/engine/handlers/orders.js';
import { apiCallsOf } from '../../src/engine/metrics.js';
import { adminGql, freshTrytonDatabase, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { engineFor, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { phoneCustomer, registeredShopper, settle } from './helpers/offline.js';

interface StoreCustomer { id: string; firstName: string; lastName: string; emailAddress: string; phoneNumber: string | null; addresses: { streetLine1: string }[] }
async function storeCustomer(admin: GqlClient, id: string): Promise<StoreCustomer> {
  const r = await admin<{ customer: StoreCustomer }>(`query($id: ID!) { customer(id: $id) { id firstName lastName emailAddress phoneNumber addresses { streetLine1 } } }`, { id });
  return r.customer;
}
const editInStore = (admin: GqlClient, id: string, fields: Record<string, string>) =>
  admin(`mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { __typename } }`, { i: { id, ...fields } });

async function party(t: TrytonClient, id: number) {
  const [p] = await t.read<{ name: string }>('party.party', [id], ['name']);
  const mechanisms = await t.searchRead<{ type: string; value: string }>('party.contact_mechanism', [['party', '=', id]], ['type', 'value'], { order: [['id', 'ASC']] });
  const streets = (await t.searchRead<{ street: string }>('party.address', [['party', '=', id]], ['street'], { order: [['id', 'ASC']] })).map((a) => a.street);
  return { name: p.name, mechanisms: mechanisms.map((m) => `${m.type}:${m.value}`), streets };
}

/**
 * A change event from each side in turn, for a customer both sides agree on: neither reads the
 * other system. Answers the Tryton calls the party's event made (reading its own side).
 */
async function eachSideReadsOnlyItself(engine: Engine, email: string, why: { store: string; inventory: string }): Promise<number> {
  const calls = () => ({ tryton: apiCallsOf(engine.ctx.inventory)!, vendure: apiCallsOf(engine.ctx.store)! });
  const before = calls();
  await carryCustomerEdit(engine.ctx, email, 'store');
  assert.equal(calls().tryton, before.tryton, why.store);
  const between = calls();
  await carryCustomerEdit(engine.ctx, email, 'inventory');
  assert.equal(calls().vendure, between.vendure, why.inventory);
  return calls().tryton - between.tryton;
}

describe('master.customers: later edits of a customer\'s details, Tryton ↔ Vendure', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  const engines: Engine[] = [];
  const engineWith = async (overrides: Record<string, Record<string, unknown>>) => {
    const e = await engineFor(settingsFor(tryton, vendure, overrides).config);
    engines.push(e);
    return e;
  };

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
  });
  after(async () => {
    for (const e of engines) await e.ctx.storage.close();
    await vendure?.stop();
  });

  test('inventory: name, phone, address and email edited in Tryton reach the same Vendure account; an edit in Vendure is put back', async () => {
    const engine = await engineWith({ master: { customers: 'inventory' } });
    const storeId = await registeredShopper(admin, 'ada@example.com', 'Ada', 'Lovelace');
    const { party: partyId } = await phoneCustomer(t, 'Ada Lovelace', 'ada@example.com', '12 Marylebone Road');
    await settle(engine);
    assert.deepEqual((await storeCustomer(admin, storeId)).addresses.map((a) => a.streetLine1), ['12 Marylebone Road'], 'the first match copies Tryton\'s address');

    await t.write('party.party', [partyId], { name: 'Ada King' });
    const [email] = await t.search('party.contact_mechanism', [['party', '=', partyId], ['type', '=', 'email']]);
    await t.write('party.contact_mechanism', [email], { value: 'ada.king@example.com' });
    await t.create('party.contact_mechanism', [{ party: partyId, type: 'phone', value: '+44 20 7946 0000' }]);
    const [country] = await t.search('country.country', [['code', '=', 'US']], { limit: 1 });
    await t.create('party.address', [{ party: partyId, street: '1 St James Square', city: 'Portland', postal_code: '97201', country }]);
    await settle(engine);
    const after = await storeCustomer(admin, storeId);
    assert.deepEqual([after.firstName, after.lastName, after.emailAddress, after.phoneNumber], ['Ada', 'King', 'ada.king@example.com', '+44 20 7946 0000']);
    assert.deepEqual(after.addresses.map((a) => a.streetLine1).sort(), ['1 St James Square', '12 Marylebone Road']);
    const customers = await admin<{ customers: { totalItems: number } }>(`query { customers(options: { filter: { firstName: { eq: "Ada" } } }) { totalItems } }`);
    assert.equal(customers.customers.totalItems, 1, 'the same account: no second one for the new email');

    await editInStore(admin, storeId, { lastName: 'Byron', phoneNumber: '000' });
    await settle(engine);
    const back = await storeCustomer(admin, storeId);
    assert.deepEqual([back.lastName, back.phoneNumber], ['King', '+44 20 7946 0000'], 'Tryton is the master: put back');
    assert.equal((await party(t, partyId)).name, 'Ada King', 'Tryton keeps its own');
    const reverted = (await engine.ctx.storage.auditTrail('ada.king@example.com')).filter((a) => a.action === 'customer.reverted');
    assert.equal(reverted.length, 1, 'once: Dovetail\'s own write coming back is no edit');
    assert.equal(reverted[0].setting, 'master.customers=inventory, ownership.onConflict=revert');
  });

  test('store: an account edited in Vendure updates its Tryton party; an edit of the party in Tryton is put back', async () => {
    const engine = await engineWith({ master: { customers: 'store' } });
    const storeId = await registeredShopper(admin, 'grace@example.com', 'Grace', 'Hopper');
    await settle(engine);
    const [partyId] = await t.search('party.contact_mechanism', [['value', '=', 'grace@example.com']]).then((ids) => t.read<{ party: number }>('party.contact_mechanism', ids, ['party'])).then((r) => r.map((m) => m.party));
    assert.ok(partyId, 'the registered shopper has her party');

    await editInStore(admin, storeId, { lastName: 'Hopper-Murray', phoneNumber: '+1 555 0100', emailAddress: 'grace.murray@example.com' });
    await settle(engine);
    const p = await party(t, partyId);
    assert.equal(p.name, 'Grace Hopper-Murray');
    assert.deepEqual(p.mechanisms, ['email:grace.murray@example.com', 'phone:+1 555 0100']);
    assert.equal((await t.search('party.party', [['name', 'ilike', 'Grace%']])).length, 1, 'the new email made no second party');

    await t.write('party.party', [partyId], { name: 'G. Hopper' });
    await settle(engine);
    assert.equal((await party(t, partyId)).name, 'Grace Hopper-Murray', 'the store is the master: put back');
    assert.equal((await storeCustomer(admin, storeId)).lastName, 'Hopper-Murray', 'the store keeps its own');
    const audit = await engine.ctx.storage.auditTrail('grace.murray@example.com');
    assert.ok(audit.some((a) => a.action === 'customer.updated' && a.setting === 'master.customers=store'));
    assert.ok(audit.some((a) => a.action === 'customer.reverted' && a.setting === 'master.customers=store, ownership.onConflict=revert'));

    // a change whose side shows what both showed when they last agreed (Dovetail's own write coming
    // back, or a change undone) is nothing new: the other system is not read. The party's change
    // that the put-back made is compared once in full (it may still be on its way from the feed).
    await carryCustomerEdit(engine.ctx, 'grace.murray@example.com', 'inventory');
    const partyRead = await eachSideReadsOnlyItself(engine, 'grace.murray@example.com',
      { store: 'the store shows what both agreed on: Tryton is not read', inventory: 'the party shows what both agreed on: Vendure is not read' });
    assert.ok(partyRead > 0, 'the side that changed is read');
  });

  test('a party Dovetail makes from a store customer is known to agree: neither side\'s first change event reads the other', async () => {
    const engine = await engineWith({ master: { customers: 'store' } });
    const storeId = await registeredShopper(admin, 'hedy@example.com', 'Hedy', 'Lamarr');
    await editInStore(admin, storeId, { phoneNumber: '+1 555 0199' });
    await admin(`mutation($id: ID!, $i: CreateAddressInput!) { createCustomerAddress(customerId: $id, input: $i) { id } }`,
      { id: storeId, i: { fullName: 'Hedy Lamarr', streetLine1: '4 Kolingasse', city: 'Springfield', postalCode: '12345', countryCode: 'US' } });
    const customer = await engine.ctx.store.getCustomer('hedy@example.com');
    assert.ok(customer);
    const partyId = Number(await ensureCustomer(engine.ctx, customer, 'test'));
    const made = await party(t, partyId);
    assert.equal(made.name, 'Hedy Lamarr');
    assert.deepEqual(made.mechanisms, ['email:hedy@example.com', 'phone:+1 555 0199']);
    assert.deepEqual(made.streets, ['4 Kolingasse']);

    await eachSideReadsOnlyItself(engine, 'hedy@example.com',
      { store: 'the account\'s event for the customer the party was made from: Tryton is not read', inventory: 'the new party\'s own event: Vendure is not read' });

    // and a real edit after it is still carried
    await editInStore(admin, storeId, { lastName: 'Kiesler' });
    await carryCustomerEdit(engine.ctx, 'hedy@example.com', 'store');
    assert.equal((await party(t, partyId)).name, 'Hedy Kiesler');
  });
});
