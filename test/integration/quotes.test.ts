// rules.quotesFrom against the real systems: a quote made in the chosen system becomes an order
// in the other only once accepted, and while it is a quote neither system holds stock for it
// and nothing is charged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalString, type TrytonClient } from '../../src/connectors/tryton/client.js';
import { decimalToMinor } from '../../src/model/money.js';
import type { Engine } from '../../src/engine/engine.js';
import { adminGql, freshTrytonDatabase, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin, until } from './helpers/dovetail.js';
import { allStoreOrders, offlineSale, phoneCustomer, storeOrdersForSale, storeStock, trytonStock, settle } from './helpers/offline.js';

async function systems(rules: Record<string, unknown>) {
  const tryton = await freshTrytonDatabase();
  const vendure = await startVendure();
  const t = await trytonAdmin(tryton);
  const admin = await adminGql(vendure.url);
  const engine = await engineFor(settingsFor(tryton, vendure, { rules: { offlineOrdersToStore: 'none', ...rules } }).config);
  const product = await createTrytonProduct(t, 'DESK-1', 'Oak desk', '300.00');
  await receiveStock(t, product, 10);
  await settle(engine);
  return { vendure, t, admin, engine, product };
}

describe('quotesFrom: inventory', () => {
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;
  let desk: number;

  before(async () => { ({ vendure, t, admin, engine, product: desk } = await systems({ quotesFrom: 'inventory' })); });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a Tryton quotation holds nothing anywhere; accepted (confirmed), it becomes a store order', async () => {
    const customer = await phoneCustomer(t, 'Quinn Quote', 'quinn@example.com');
    const sale = await offlineSale(t, customer, [{ product: desk, quantity: 2, price: '280.00' }], { until: 'quotation' });
    await settle(engine);
    await settle(engine);
    assert.deepEqual(await storeOrdersForSale(admin, sale), [], 'no store order while it is a quote');
    assert.deepEqual(await trytonStock(t, desk), { onHand: 10, forecast: 10 }, 'Tryton holds no stock for a quote');
    assert.deepEqual(await storeStock(admin, 'DESK-1'), { onHand: 10, allocated: 0, saleable: 10 }, 'the store sells all 10');
    assert.ok((await engine.ctx.storage.auditTrail(String(sale))).some((a) => a.action === 'quote.pending'));

    await t.button('sale.sale', 'confirm', [sale]); // the customer accepted
    for (let i = 0; i < 50 && (await t.read<{ state: string }>('sale.sale', [sale], ['state']))[0].state !== 'processing'; i++) await new Promise((r) => setTimeout(r, 100));
    await settle(engine);
    await settle(engine);
    const [order] = await storeOrdersForSale(admin, sale);
    assert.equal(order?.state, 'PaymentSettled', 'the accepted quote is an order in the store (even with offlineOrdersToStore: none)');
    assert.deepEqual(order.payments?.map((p) => p.method), ['offline'], 'nothing charged through the store');
    assert.deepEqual(await trytonStock(t, desk), { onHand: 10, forecast: 8 });
    assert.deepEqual(await storeStock(admin, 'DESK-1'), { onHand: 10, allocated: 2, saleable: 8 }, 'reserved once, by the store');
    assert.ok((await engine.ctx.storage.auditTrail(String(sale))).some((a) => a.action === 'quote.accepted' && a.setting === 'rules.quotesFrom=inventory'));
  });

  test('a sale confirmed straight away was never a quote: with offlineOrdersToStore none it stays in Tryton', async () => {
    const sale = await offlineSale(t, await phoneCustomer(t, 'Otto Order', 'otto@example.com'), [{ product: desk, quantity: 1, price: '300.00' }]);
    await settle(engine);
    assert.deepEqual(await storeOrdersForSale(admin, sale), []);
  });
});

describe('quotesFrom: store', () => {
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;
  let desk: number;

  before(async () => { ({ vendure, t, admin, engine, product: desk } = await systems({ quotesFrom: 'store' })); });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a Vendure draft order holds nothing anywhere; completed, it becomes one Tryton sale', async () => {
    const { productVariants } = await admin<{ productVariants: { items: { id: string }[] } }>(`{ productVariants(options: { filter: { sku: { eq: "DESK-1" } } }) { items { id } } }`);
    const { createDraftOrder: draft } = await admin<{ createDraftOrder: { id: string; code: string } }>(`mutation { createDraftOrder { id code } }`);
    await admin(`mutation($o: ID!) { setCustomerForDraftOrder(orderId: $o, input: { emailAddress: "dora@example.com", firstName: "Dora", lastName: "Draft" }) { __typename } }`, { o: draft.id });
    await admin(`mutation($o: ID!, $v: ID!) { addItemToDraftOrder(orderId: $o, input: { productVariantId: $v, quantity: 3 }) { __typename } }`, { o: draft.id, v: productVariants.items[0].id });
    await admin(`mutation($o: ID!) { setDraftOrderShippingAddress(orderId: $o, input: { streetLine1: "3 Quote Ave", city: "Salem", postalCode: "97301", countryCode: "US" }) { id } }`, { o: draft.id });
    const { eligibleShippingMethodsForDraftOrder: methods } = await admin<{ eligibleShippingMethodsForDraftOrder: { id: string; code: string }[] }>(
      `query($o: ID!) { eligibleShippingMethodsForDraftOrder(orderId: $o) { id code } }`, { o: draft.id });
    assert.ok(!methods.some((m) => m.code === 'dovetail-offline'), 'the offline-only shipping option is not offered for ordinary orders');
    await admin(`mutation($o: ID!, $m: ID!) { setDraftOrderShippingMethod(orderId: $o, shippingMethodId: $m) { __typename } }`, { o: draft.id, m: methods.find((m) => m.code === 'standard')!.id });

    await settle(engine);
    await settle(engine);
    assert.deepEqual(await salesFor(t, draft.code), [], 'no Tryton sale for a quote');
    assert.deepEqual(await trytonStock(t, desk), { onHand: 10, forecast: 10 });
    assert.deepEqual(await storeStock(admin, 'DESK-1'), { onHand: 10, allocated: 0, saleable: 10 }, 'a draft reserves nothing');
    const [stillDraft] = (await allStoreOrders(admin)).filter((o) => o.code === draft.code);
    assert.deepEqual(stillDraft.payments ?? [], [], 'nothing charged');

    // accepted: the order is completed and paid in the store
    const moved = await admin<{ transitionOrderToState: { __typename: string } }>(`mutation($o: ID!) { transitionOrderToState(id: $o, state: "ArrangingPayment") { __typename } }`, { o: draft.id });
    assert.equal(moved.transitionOrderToState.__typename, 'Order');
    await admin(`mutation($o: ID!) { addManualPaymentToOrder(input: { orderId: $o, method: "bank-transfer", transactionId: "BT-1", metadata: {} }) { __typename } }`, { o: draft.id });
    // passes until the sale is there: three workers on a loaded machine may take more than two
    const sales = await until('the accepted quote imported', async () => { await settle(engine); const s = await salesFor(t, draft.code); return s.length ? s : null; }, 120_000);
    await settle(engine);
    assert.equal((await salesFor(t, draft.code)).length, 1, 'one sale once accepted');
    const [placed] = (await allStoreOrders(admin)).filter((o) => o.code === draft.code);
    assert.equal(decimalToMinor(decimalString(sales[0].total_amount)), placed.totalWithTax);
    assert.deepEqual(await storeStock(admin, 'DESK-1'), { onHand: 10, allocated: 3, saleable: 7 });
  });

  test('a Tryton quotation, even once confirmed, is not sent to the store as an accepted quote', async () => {
    const sale = await offlineSale(t, await phoneCustomer(t, 'Tess Tryton', 'tess@example.com'), [{ product: desk, quantity: 1, price: '300.00' }], { until: 'quotation' });
    await settle(engine);
    await t.button('sale.sale', 'confirm', [sale]);
    await settle(engine);
    assert.deepEqual(await storeOrdersForSale(admin, sale), []);
    assert.ok(!(await engine.ctx.storage.auditTrail(String(sale))).some((a) => a.action === 'quote.pending'));
  });
});
