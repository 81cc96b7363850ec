// rules.offlineOrdersToStore against the real systems: a sale typed into Tryton appears in the
// customer's Vendure order history, placed offline with nothing charged, exactly once, and its
// stock is counted once (Vendure reserves it; Dovetail stops deducting it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { capability } from '../../src/connectors/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { allStoreOrders, customerOrderCodes, offlineSale, phoneCustomer, registeredShopper, saleNumber, storeOrdersForSale, storeStock, trytonStock, settle } from './helpers/offline.js';

const address = { streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };

async function systems(rules: Record<string, unknown>) {
  const tryton = await freshTrytonDatabase();
  const vendure = await startVendure();
  const t = await trytonAdmin(tryton);
  const admin = await adminGql(vendure.url);
  const engine = await engineFor(settingsFor(tryton, vendure, { rules: { quotesFrom: 'store', ...rules } }).config);
  return { tryton, vendure, t, admin, engine };
}

describe('offlineOrdersToStore: all', () => {
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;
  let lamp: number;

  before(async () => {
    ({ vendure, t, admin, engine } = await systems({ offlineOrdersToStore: 'all' }));
    lamp = await createTrytonProduct(t, 'LAMP-1', 'Desk lamp', '40.00');
    await receiveStock(t, lamp, 10);
    await settle(engine);
  });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a phone sale appears in the customer\'s store history, placed offline, nothing charged, stock counted once', async () => {
    assert.deepEqual(await storeStock(admin, 'LAMP-1'), { onHand: 10, allocated: 0, saleable: 10 });
    const phone = await phoneCustomer(t, 'Paula Phone', 'paula@example.com');
    const sale = await offlineSale(t, phone, [{ product: lamp, quantity: 2, price: '35.00' }]);
    const number = await saleNumber(t, sale);
    await settle(engine);

    const orders = await storeOrdersForSale(admin, sale);
    assert.equal(orders.length, 1, 'one store order for the sale');
    const [o] = orders;
    assert.equal(o.state, 'PaymentSettled');
    assert.equal(o.active, false);
    assert.ok(o.orderPlacedAt, 'placed: it shows in the order history');
    assert.equal(o.customFields.placedOfflineAs, number, 'marked as placed offline, with the Tryton number');
    assert.equal(o.customer?.emailAddress, 'paula@example.com');
    assert.deepEqual(o.lines.map((l) => [l.productVariant.sku, l.quantity]), [['LAMP-1', 2]]);
    assert.deepEqual(o.payments?.map((p) => [p.method, p.state, p.transactionId]), [['offline', 'Settled', number]], 'only an offline record: no card payment');
    assert.deepEqual(o.shippingLines.map((s) => [s.shippingMethod.code, s.priceWithTax]), [['dovetail-offline', 0]], 'no shipping charge added');
    assert.deepEqual(await customerOrderCodes(admin, 'paula@example.com'), [o.code]);

    // Tryton: 10 on hand, 2 promised. The store reserves the 2 itself now, so Dovetail publishes
    // all 10 and the store sells 8 — not 6 (the sale counted twice) and not 10 (not at all).
    assert.deepEqual(await trytonStock(t, lamp), { onHand: 10, forecast: 8 });
    await settle(engine);
    assert.deepEqual(await storeStock(admin, 'LAMP-1'), { onHand: 10, allocated: 2, saleable: 8 });
    const published = (await engine.ctx.storage.auditTrail('LAMP-1')).find((a) => a.action === 'stock.published' || a.action === 'stock.unchanged');
    assert.match(published?.detail ?? '', /"allocatedOffline":0/, 'the mirrored sale is not deducted again');

    // no echo: the store order did not come back as a new Tryton sale
    assert.deepEqual(await salesFor(t, o.code), []);
    assert.equal((await t.search('sale.sale', [])).length, 1);
    const placed = (await engine.ctx.storage.auditTrail(String(sale))).filter((a) => a.action === 'offlineOrder.placed');
    assert.equal(placed.length, 1);
    assert.match(placed[0].detail ?? '', /"charged":0/);
  });

  test('a web order beside it: each reserved once; the web order\'s sale is not mirrored back', async () => {
    const web = await shopCheckout(vendure.url, { email: 'web@example.com', firstName: 'Wes', lastName: 'Web', address, lines: [{ sku: 'LAMP-1', quantity: 3 }] });
    await settle(engine);
    await settle(engine);
    assert.equal((await salesFor(t, web.code)).length, 1, 'imported once');
    assert.deepEqual(await storeStock(admin, 'LAMP-1'), { onHand: 10, allocated: 5, saleable: 5 });
    const codes = (await allStoreOrders(admin)).map((o) => o.code).sort();
    assert.equal(codes.length, 2, 'the web order and the one mirrored phone sale, nothing more');
  });

  test('duplicates, a re-read window and a half-made order from a crash: still one store order per sale', async () => {
    const phone = await phoneCustomer(t, 'Carl Crash', 'carl@example.com');
    const sale = await offlineSale(t, phone, [{ product: lamp, quantity: 1, price: '40.00' }]);
    // a previous attempt died after starting the store order (before recording it)
    const started = await capability(engine.ctx.store, 'offlineOrders', 'this test').startOfflineOrder((await capability(engine.ctx.inventory, 'offlineSales', 'this test').getOfflineSale(String(sale)))!, { ref: `tryton:${sale}` });
    await settle(engine);
    await engine.ctx.storage.db.deleteFrom('cursors').execute();
    await engine.ctx.storage.db.deleteFrom('changes').execute();
    await settle(engine);
    await engine.ctx.storage.enqueue({ kind: 'order.toStore', key: String(sale), reason: 'test: the same sale again' });
    await settle(engine);
    const orders = await storeOrdersForSale(admin, sale);
    assert.deepEqual(orders.map((o) => [o.code, o.state]), [[started.code, 'PaymentSettled']], 'the started order was finished, not made again');
    assert.equal((await allStoreOrders(admin)).length, 3);
    assert.deepEqual(await storeStock(admin, 'LAMP-1'), { onHand: 10, allocated: 6, saleable: 4 });
  });

  test('a phone sale taking the last units still goes through, and the store shows none left', async () => {
    const vase = await createTrytonProduct(t, 'VASE-1', 'Glass vase', '25.00');
    await receiveStock(t, vase, 3);
    await settle(engine);
    assert.equal((await storeStock(admin, 'VASE-1')).saleable, 3);
    const phone = await phoneCustomer(t, 'Lena Last', 'lena@example.com');
    const sale = await offlineSale(t, phone, [{ product: vase, quantity: 3, price: '25.00' }]);
    await settle(engine);
    await settle(engine);
    assert.equal((await storeOrdersForSale(admin, sale))[0]?.state, 'PaymentSettled');
    assert.deepEqual(await storeStock(admin, 'VASE-1'), { onHand: 3, allocated: 3, saleable: 0 });
    assert.deepEqual((await engine.ctx.storage.failures()).map((f) => `${f.kind} ${f.key}: ${f.lastError}`), [], 'nothing on the failure list');
  });

  test('when the phone sale ships in Tryton its store order is fulfilled, so the store stops holding its stock', async () => {
    const plate = await createTrytonProduct(t, 'PLATE-1', 'Stone plate', '18.00');
    await receiveStock(t, plate, 5);
    const phone = await phoneCustomer(t, 'Sam Ship', 'sam@example.com');
    const sale = await offlineSale(t, phone, [{ product: plate, quantity: 2, price: '18.00' }]);
    await settle(engine);
    await settle(engine);
    assert.deepEqual(await storeStock(admin, 'PLATE-1'), { onHand: 5, allocated: 2, saleable: 3 });

    const [{ shipments }] = await t.read<{ shipments: number[] }>('sale.sale', [sale], ['shipments']);
    for (const step of ['assign_try', 'pick', 'pack', 'done']) await t.button('stock.shipment.out', step, shipments);
    assert.deepEqual(await trytonStock(t, plate), { onHand: 3, forecast: 3 });
    await settle(engine);
    await settle(engine);
    const [order] = await storeOrdersForSale(admin, sale);
    assert.equal(order.state, 'Shipped', 'the store order shows the shipment');
    // without the fulfilment the store would still hold 2 for an order that has left: it would sell 1, not 3
    assert.deepEqual(await storeStock(admin, 'PLATE-1'), { onHand: 3, allocated: 0, saleable: 3 });
    assert.deepEqual((await engine.ctx.storage.failures()).map((f) => `${f.kind} ${f.key}: ${f.lastError}`), [], 'nothing charged, nothing failed');
  });
});

describe('offlineOrdersToStore: customersWithAccount', () => {
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;

  before(async () => { ({ vendure, t, admin, engine } = await systems({ offlineOrdersToStore: 'customersWithAccount' })); });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('only the customer with a store login gets the order; the others stay in Tryton, deducted as offline', async () => {
    const mug = await createTrytonProduct(t, 'MUG-9', 'Mug', '8.00');
    await receiveStock(t, mug, 20);
    await settle(engine);
    const accountId = await registeredShopper(admin, 'member@example.com', 'Mia', 'Member');
    // a guest: the store knows the email from a web checkout, but there is no login
    await shopCheckout(vendure.url, { email: 'guest@example.com', firstName: 'Gus', lastName: 'Guest', address, lines: [{ sku: 'MUG-9', quantity: 1 }] });
    const member = await offlineSale(t, await phoneCustomer(t, 'Mia Member', 'member@example.com'), [{ product: mug, quantity: 2, price: '8.00' }]);
    const guest = await offlineSale(t, await phoneCustomer(t, 'Gus Guest', 'guest@example.com', '5 Side St'), [{ product: mug, quantity: 3, price: '8.00' }]);
    const stranger = await offlineSale(t, await phoneCustomer(t, 'Stan Stranger', 'stan@example.com'), [{ product: mug, quantity: 4, price: '8.00' }]);
    await settle(engine);
    await settle(engine);

    const [o] = await storeOrdersForSale(admin, member);
    assert.equal(o?.state, 'PaymentSettled');
    assert.equal(o.customer?.id, accountId, 'filed under the member\'s own account');
    assert.deepEqual(await customerOrderCodes(admin, 'member@example.com'), [o.code]);
    assert.deepEqual(await storeOrdersForSale(admin, guest), [], 'a guest has no account');
    assert.deepEqual(await storeOrdersForSale(admin, stranger), [], 'unknown to the store');
    const why = (await engine.ctx.storage.auditTrail(String(stranger))).find((a) => a.action === 'offlineOrder.notSent');
    assert.match(why?.result ?? '', /has no store account/);
    // 20 on hand in Tryton (the web order's sale included in what Tryton promises): the store
    // reserves the web order (1) and the member's order (2) itself; Dovetail deducts the 3 + 4 it keeps offline
    await settle(engine);
    assert.deepEqual(await storeStock(admin, 'MUG-9'), { onHand: 13, allocated: 3, saleable: 10 });
  });
});

describe('offlineOrdersToStore: none', () => {
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;

  before(async () => { ({ vendure, t, admin, engine } = await systems({ offlineOrdersToStore: 'none' })); });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a phone sale stays in Tryton; the store only sells what is left', async () => {
    const pen = await createTrytonProduct(t, 'PEN-5', 'Pen', '3.00');
    await receiveStock(t, pen, 10);
    await registeredShopper(admin, 'has-account@example.com', 'Hal', 'Account');
    const sale = await offlineSale(t, await phoneCustomer(t, 'Hal Account', 'has-account@example.com'), [{ product: pen, quantity: 4, price: '3.00' }]);
    await settle(engine);
    await settle(engine);
    assert.deepEqual(await storeOrdersForSale(admin, sale), []);
    assert.deepEqual(await allStoreOrders(admin), []);
    assert.deepEqual(await storeStock(admin, 'PEN-5'), { onHand: 6, allocated: 0, saleable: 6 });
  });
});
