// rules.orderEditsIn on a real Tryton and Vendure: units or products added to a placed order in
// the chosen system reach the other, with the price difference handled per the payment rules;
// an edit made in the other system is not copied but flagged. (Lowered quantities are
// cancellations: cancellations.test.ts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { editInStore } from './helpers/vendure-operator.js';
import { amendAddLine, amendQuantity } from './helpers/tryton-operator.js';
import { salesFor } from './helpers/dovetail.js';
import { decimalString } from '../../src/connectors/tryton/client.js';
import { decimalToMinor } from '../../src/model/money.js';
import { conflictsOf, openShop, placeOrder, quantityOf, tickUntil, trytonQuantity, vendureOrder, type Shop } from './helpers/order-changes.js';

const PRODUCTS = [{ sku: 'SOAP-1', price: '5.00', stock: 30 }, { sku: 'TOWEL-1', price: '12.00', stock: 30 }];

describe('orderEditsIn: store', () => {
  let shop: Shop;
  before(async () => { shop = await openShop({ orderEditsIn: 'store' }, PRODUCTS); });
  after(async () => { await shop?.close(); });

  test('more units and a new product added in Vendure reach the Tryton sale, and the totals still agree', async () => {
    const { order, saleId } = await placeOrder(shop, [{ sku: 'SOAP-1', quantity: 1 }]);
    await editInStore(shop.vendure, order.code, [{ sku: 'SOAP-1', quantity: 3 }, { sku: 'TOWEL-1', quantity: 1 }]);
    await tickUntil(shop.engine, 'the edit in Tryton', async () => (await trytonQuantity(shop.t, saleId, 'TOWEL-1')) === 1);
    assert.equal(await trytonQuantity(shop.t, saleId, 'SOAP-1'), 3);
    for (let i = 0; i < 3; i++) await shop.engine.tick();
    assert.equal(await trytonQuantity(shop.t, saleId, 'TOWEL-1'), 1, 'copied once');
    const o = await vendureOrder(shop.admin, order.code);
    const [sale] = await salesFor(shop.t, order.code);
    assert.equal(decimalToMinor(decimalString(sale.total_amount)), o.totalWithTax, 'Tryton\'s total follows the store\'s, to the cent');
    assert.deepEqual(await conflictsOf(shop.engine, order.code), []);
  });

  test('an edit made in Tryton is not copied to Vendure and is flagged', async () => {
    const { order, saleId } = await placeOrder(shop, [{ sku: 'SOAP-1', quantity: 1 }]);
    await amendAddLine(shop.t, saleId, 'TOWEL-1', 2, '12.00');
    const [conflict] = await tickUntil(shop.engine, 'the conflict', async () => { const c = await conflictsOf(shop.engine, order.code); return c.length > 0 && c; });
    assert.equal(conflict.fieldGroup, 'lines.edit');
    assert.equal(quantityOf(await vendureOrder(shop.admin, order.code), 'TOWEL-1'), 0, 'Vendure left as it was');
  });
});

describe('orderEditsIn: inventory', () => {
  let shop: Shop;
  before(async () => { shop = await openShop({ orderEditsIn: 'inventory' }, PRODUCTS); });
  after(async () => { await shop?.close(); });

  test('more units added in Tryton reach the Vendure order, and what the customer owes beyond the payment is flagged', async () => {
    const { order, saleId } = await placeOrder(shop, [{ sku: 'TOWEL-1', quantity: 1 }], { settle: true });
    const placed = await vendureOrder(shop.admin, order.code);
    await amendQuantity(shop.t, saleId, 'TOWEL-1', 2);
    const o = await tickUntil(shop.engine, 'the edit in Vendure', async () => { const x = await vendureOrder(shop.admin, order.code); return quantityOf(x, 'TOWEL-1') === 2 && x; });
    assert.ok(o.totalWithTax > placed.totalWithTax);
    const payment = (await conflictsOf(shop.engine, order.code)).find((c) => c.fieldGroup === 'payment');
    assert.ok(payment, 'the difference to collect is on the dashboard');
    assert.match(payment.otherValue, new RegExp(`^${o.totalWithTax - placed.totalWithTax} more to collect`));
    for (let i = 0; i < 3; i++) await shop.engine.tick();
    assert.equal(quantityOf(await vendureOrder(shop.admin, order.code), 'TOWEL-1'), 2, 'copied once');
  });

  test('an edit made in Vendure is not copied to Tryton and is flagged', async () => {
    const { order, saleId } = await placeOrder(shop, [{ sku: 'SOAP-1', quantity: 1 }]);
    await editInStore(shop.vendure, order.code, [{ sku: 'SOAP-1', quantity: 2 }]);
    const [conflict] = await tickUntil(shop.engine, 'the conflict', async () => { const c = await conflictsOf(shop.engine, order.code); return c.length > 0 && c; });
    assert.equal(conflict.fieldGroup, 'lines.edit');
    assert.equal(await trytonQuantity(shop.t, saleId, 'SOAP-1'), 1, 'Tryton left as it was');
  });
});
