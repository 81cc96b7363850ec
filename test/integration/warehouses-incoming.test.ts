// inventory.locations and inventory.incoming on a real Tryton and Vendure: two warehouses are
// added up, and what a confirmed purchase will bring in is shown and sold ahead until it is
// received or cancelled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { createTrytonProduct, engineFor, receiveStock, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { tickUntil } from './helpers/order-changes.js';
import { confirmedPurchase } from './helpers/tryton-operator.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';

const SKU = 'KETTLE-1';
const ARRIVES = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

interface IncomingVariant {
  sku: string; stockOnHand: number; outOfStockThreshold: number; useGlobalOutOfStockThreshold: boolean;
  customFields: { incomingQuantity: number; incomingDate: string | null };
}

async function variantOf(admin: GqlClient): Promise<IncomingVariant | undefined> {
  const r = await admin<{ productVariants: { items: IncomingVariant[] } }>(`query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items {
    sku stockOnHand outOfStockThreshold useGlobalOutOfStockThreshold customFields { incomingQuantity incomingDate } } } }`, { s: SKU });
  return r.productVariants.items[0];
}

/** A second warehouse, as a Tryton user makes one: its input, output and storage zones, then the warehouse. */
async function addWarehouse(t: TrytonClient, code: string): Promise<number> {
  const [input, output, storage] = await t.create('stock.location', ['Input', 'Output', 'Storage'].map((name) => ({ name: `${code} ${name}`, type: 'storage' })));
  const [lostFound] = await t.search('stock.location', [['type', '=', 'lost_found']], { limit: 1 });
  await t.create('stock.location', [{ name: `Warehouse ${code}`, code, type: 'warehouse', input_location: input, output_location: output, storage_location: storage,
    lost_found_location: lostFound }]);
  return storage;
}

describe('several warehouses and incoming stock (inventory.locations, inventory.incoming: backorder)', () => {
  let vendure: VendureInstance;
  let engine: Engine;
  let t: TrytonClient;
  let admin: GqlClient;
  let productId: number;

  before(async () => {
    const tdb = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tdb);
    admin = await adminGql(vendure.url);
    const [main] = await t.searchRead<{ code: string | null; name: string }>('stock.location', [['type', '=', 'warehouse']], ['code', 'name'], { limit: 1, order: [['id', 'ASC']] });
    const annexStorage = await addWarehouse(t, 'ANX');
    engine = await engineFor(settingsFor(tdb, vendure, { inventory: { debounceMs: 0, locations: [main.code ?? main.name, 'ANX'], incoming: 'backorder' } }).config);
    productId = await createTrytonProduct(t, SKU, 'Kettle', '30.00');
    await receiveStock(t, productId, 5);
    const company = t.context.company as number;
    const [inv] = await t.create('stock.inventory', [{ location: annexStorage, company, lines: [['create', [{ product: productId, quantity: 7 }]]] }]);
    await t.button('stock.inventory', 'confirm', [inv]);
  });
  after(async () => { await engine?.ctx.storage.close(); await vendure?.stop(); });

  test('the store may sell the stock of both warehouses', async () => {
    const v = await tickUntil(engine, 'Vendure shows 5 + 7', async () => { const x = await variantOf(admin); return x?.stockOnHand === 12 && x; });
    assert.deepEqual(v.customFields, { incomingQuantity: 0, incomingDate: null }, 'nothing is on its way yet');
  });

  test('a confirmed purchase is shown with its day and sold ahead; once received it is stock, and the back-orders end', async () => {
    const { moves, supplier, warehouse } = await confirmedPurchase(t, SKU, 10, ARRIVES);
    const v = await tickUntil(engine, 'Vendure shows 10 incoming', async () => { const x = await variantOf(admin); return x?.customFields.incomingQuantity === 10 && x; });
    assert.equal(v.customFields.incomingDate, ARRIVES);
    assert.deepEqual([v.outOfStockThreshold, v.useGlobalOutOfStockThreshold], [-10, false], 'up to 10 back-orders');
    assert.equal(v.stockOnHand, 12, 'stock is what is there, not what is coming');

    const order = await shopCheckout(vendure.url, { email: `bo-${Date.now()}@example.com`, firstName: 'Bo', lastName: 'Buyer', lines: [{ sku: SKU, quantity: 15 }],
      address: { fullName: 'Bo Buyer', streetLine1: '5 Elm St', city: 'Springfield', postalCode: '12345', countryCode: 'US' } });
    assert.equal(order.state, 'PaymentAuthorized', 'a customer orders 15 of the 12 in stock: 3 as back-orders');

    const company = t.context.company as number;
    // the warehouse receives the supplier's delivery, as extras.mjs does it
    const [shipment] = await t.create('stock.shipment.in', [{ company, supplier, warehouse, incoming_moves: [['add', moves]] }]);
    await t.button('stock.shipment.in', 'receive', [shipment]);
    await t.button('stock.shipment.in', 'done', [shipment]);

    const received = await tickUntil(engine, 'the purchase received in Vendure', async () => { const x = await variantOf(admin); return x?.customFields.incomingQuantity === 0 && x; });
    assert.deepEqual(received.customFields, { incomingQuantity: 0, incomingDate: null });
    assert.deepEqual([received.outOfStockThreshold, received.useGlobalOutOfStockThreshold], [0, true], 'the store\'s own threshold again');
    assert.equal(received.stockOnHand, 22, '12 + the 10 received (the web order is held back by Vendure, not deducted twice)');
    const trail = await engine.ctx.storage.auditTrail(SKU);
    assert.ok(trail.some((a) => a.action === 'stock.incoming' && a.setting === 'inventory.incoming=backorder' && /10 incoming on .*back-orders/.test(a.result ?? '')), 'the audit names the setting');
  });

  test('a cancelled purchase takes its incoming units and back-orders off the store', async () => {
    const { moves } = await confirmedPurchase(t, SKU, 4, ARRIVES);
    await tickUntil(engine, 'Vendure shows 4 incoming', async () => { const x = await variantOf(admin); return x?.customFields.incomingQuantity === 4 && x.outOfStockThreshold === -4 && x; });
    await t.button('stock.move', 'cancel', moves);
    const v = await tickUntil(engine, 'the cancellation in Vendure', async () => { const x = await variantOf(admin); return x?.customFields.incomingQuantity === 0 && x; });
    assert.deepEqual([v.customFields.incomingDate, v.outOfStockThreshold, v.useGlobalOutOfStockThreshold], [null, 0, true]);
    assert.equal(v.stockOnHand, 22, 'stock unchanged');
  });
});
