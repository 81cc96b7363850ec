// rules.returnsIn and rules.returnsToStore on a real Tryton and Vendure: a return entered in the
// chosen system puts the goods back in Tryton's stock (a customer return shipment) and, when
// asked, shows on the store order; a return entered in the other system is flagged. The credit
// memo and the refund that follow are proven in refunds.test.ts and lifecycle.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { returnInStore } from './helpers/vendure-operator.js';
import { returnUnits } from './helpers/tryton-operator.js';
import { shipWhatIsThere } from './helpers/dovetail.js';
import { conflictsOf, openShop, placeOrder, quantityOf, refundsOf, tickUntil, vendureOrder, type Shop } from './helpers/order-changes.js';
import { trytonStock } from './helpers/offline.js';

const PRODUCTS = [{ sku: 'LAMP-1', price: '30.00', stock: 10 }, { sku: 'BULB-1', price: '3.00', stock: 10 }];

/** A shipped order: placed, imported, shipped in full in Tryton and fulfilled in Vendure. */
async function shippedOrder(shop: Shop, lines: { sku: string; quantity: number }[]) {
  const placed = await placeOrder(shop, lines, { settle: true });
  await shipWhatIsThere(shop.t, placed.order.code);
  await tickUntil(shop.engine, 'the shipment in Vendure', async () => ['Shipped', 'Delivered'].includes((await vendureOrder(shop.admin, placed.order.code)).state));
  await shop.engine.tick();
  return placed;
}

const returnsShown = (o: Awaited<ReturnType<typeof vendureOrder>>) => o.history.items.filter((h) => h.type === 'ORDER_CANCELLATION' && /^Return/i.test(String(h.data.reason ?? '')));

describe('returnsIn: inventory, returnsToStore: true', () => {
  let shop: Shop;
  before(async () => { shop = await openShop({ returnsIn: 'inventory', returnsToStore: true }, PRODUCTS); });
  after(async () => { await shop?.close(); });

  test('a return booked in Tryton restocks there and shows on the Vendure order; nothing is refunded by the return itself', async () => {
    const { order, saleId } = await shippedOrder(shop, [{ sku: 'LAMP-1', quantity: 2 }, { sku: 'BULB-1', quantity: 4 }]);
    const lamp = shop.products.get('LAMP-1')!;
    const before = await trytonStock(shop.t, lamp);
    await returnUnits(shop.t, saleId, [{ sku: 'LAMP-1', quantity: 1 }]);
    assert.equal((await trytonStock(shop.t, lamp)).onHand, before.onHand + 1, 'the lamp is back in Tryton\'s stock');
    const o = await tickUntil(shop.engine, 'the return on the Vendure order', async () => { const x = await vendureOrder(shop.admin, order.code); return quantityOf(x, 'LAMP-1') === 1 && x; });
    assert.equal(returnsShown(o).length, 1, 'shown as a return in the order history');
    assert.equal(quantityOf(o, 'BULB-1'), 4);
    for (let i = 0; i < 3; i++) await shop.engine.tick();
    const later = await vendureOrder(shop.admin, order.code);
    assert.equal(quantityOf(later, 'LAMP-1'), 1, 'shown once');
    assert.equal(refundsOf(later).length, 0, 'the refund follows the credit memo, not the return');
    assert.deepEqual(await conflictsOf(shop.engine, order.code), []);
  });

  test('a return entered in Vendure is not copied to Tryton and is flagged', async () => {
    const { order } = await shippedOrder(shop, [{ sku: 'BULB-1', quantity: 2 }]);
    const bulb = await trytonStock(shop.t, shop.products.get('BULB-1')!);
    await returnInStore(shop.vendure, order.code, 'BULB-1', 1);
    const [conflict] = await tickUntil(shop.engine, 'the conflict', async () => { const c = await conflictsOf(shop.engine, order.code); return c.length > 0 && c; });
    assert.equal(conflict.fieldGroup, 'lines.return');
    assert.equal((await trytonStock(shop.t, shop.products.get('BULB-1')!)).onHand, bulb.onHand, 'nothing restocked in Tryton');
  });
});

describe('returnsIn: inventory, returnsToStore: false', () => {
  let shop: Shop;
  before(async () => { shop = await openShop({ returnsIn: 'inventory', returnsToStore: false }, PRODUCTS); });
  after(async () => { await shop?.close(); });

  test('a return booked in Tryton is not shown on the Vendure order, and that is in the audit trail', async () => {
    const { order, saleId } = await shippedOrder(shop, [{ sku: 'LAMP-1', quantity: 1 }]);
    await returnUnits(shop.t, saleId, [{ sku: 'LAMP-1', quantity: 1 }]);
    await tickUntil(shop.engine, 'the return seen', async () => (await shop.engine.ctx.storage.auditTrail(order.code)).some((a) => a.action === 'order.returnNotShown'));
    for (let i = 0; i < 3; i++) await shop.engine.tick();
    const o = await vendureOrder(shop.admin, order.code);
    assert.equal(quantityOf(o, 'LAMP-1'), 1, 'the store order is left as it was');
    assert.equal(returnsShown(o).length, 0);
    assert.deepEqual(await conflictsOf(shop.engine, order.code), [], 'not a conflict: the shop chose it');
  });
});

describe('returnsIn: store', () => {
  let shop: Shop;
  before(async () => { shop = await openShop({ returnsIn: 'store', creditMemosIn: 'store' }, PRODUCTS); });
  after(async () => { await shop?.close(); });

  test('a return entered in Vendure becomes a customer return in Tryton, received back into stock, once', async () => {
    const { order, saleId } = await shippedOrder(shop, [{ sku: 'LAMP-1', quantity: 3 }]);
    const lamp = shop.products.get('LAMP-1')!;
    const before = await trytonStock(shop.t, lamp);
    await returnInStore(shop.vendure, order.code, 'LAMP-1', 2);
    await tickUntil(shop.engine, 'the lamps back in Tryton\'s stock', async () => (await trytonStock(shop.t, lamp)).onHand === before.onHand + 2);
    for (let i = 0; i < 3; i++) await shop.engine.tick();
    assert.equal((await trytonStock(shop.t, lamp)).onHand, before.onHand + 2, 'booked once');
    const returns = await shop.t.searchRead<{ id: number; lines: number[] }>('sale.sale', [['origin', '=', `sale.sale,${saleId}`]], ['lines']);
    assert.equal(returns.length, 1, 'one return sale in Tryton for it');
    const shipments = await shop.t.searchRead<{ state: string }>('stock.shipment.out.return', [['moves.origin.sale', 'in', returns.map((r) => r.id), 'sale.line']], ['state']);
    assert.deepEqual(shipments.map((s) => s.state), ['done'], 'its customer return shipment is received and done');
    assert.deepEqual(await conflictsOf(shop.engine, order.code), []);
    assert.ok((await shop.engine.ctx.storage.auditTrail(order.code)).some((a) => a.action === 'order.returnCopied'));
  });
});
