// inventory.locations on a real Tryton and Vendure: the stock of two warehouses is added up for
// the store.
import { after, before, describe, test } from 'node:test';
import { type TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { createTrytonProduct, engineFor, receiveStock, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { tickUntil } from './helpers/order-changes.js';
import { adminGql, freshTrytonDatabase, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';

const SKU = 'KETTLE-1';

async function variantOf(admin: GqlClient): Promise<{ sku: string; stockOnHand: number } | undefined> {
  const r = await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(`query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items {
    sku stockOnHand } } }`, { s: SKU });
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

describe('several warehouses (inventory.locations)', () => {
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
    engine = await engineFor(settingsFor(tdb, vendure, { inventory: { debounceMs: 0, locations: [main.code ?? main.name, 'ANX'] } }).config);
    productId = await createTrytonProduct(t, SKU, 'Kettle', '30.00');
    await receiveStock(t, productId, 5);
    const company = t.context.company as number;
    const [inv] = await t.create('stock.inventory', [{ location: annexStorage, company, lines: [['create', [{ product: productId, quantity: 7 }]]] }]);
    await t.button('stock.inventory', 'confirm', [inv]);
  });
  after(async () => { await engine?.ctx.storage.close(); await vendure?.stop(); });

  test('the store may sell the stock of both warehouses', async () => {
    await tickUntil(engine, 'Vendure shows 5 + 7', async () => (await variantOf(admin))?.stockOnHand === 12);
  });
});
