// master.vendorsAndCosts against the real systems: the cost and supplier kept on a Vendure variant
// (the plugin's fields) become Tryton's cost price and product supplier, a clerk's change in Tryton
// is put back, a crash between making the supplier party and using it makes no second party; and
// with Tryton as the master, a cost typed into Vendure is put back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { adminGql, freshTrytonDatabase, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, settingsFor, trytonAdmin, until } from './helpers/dovetail.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { freePort } from './helpers/free-port.js';
import { settle } from './helpers/offline.js';

interface StoreCosts { id: string; customFields: { dovetailCost: number | null; dovetailSupplier: string | null } }
async function storeCosts(admin: GqlClient, sku: string): Promise<StoreCosts | undefined> {
  const r = await admin<{ productVariants: { items: StoreCosts[] } }>(`query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) {
    items { id customFields { dovetailCost dovetailSupplier } } } }`, { s: sku });
  return r.productVariants.items[0];
}

/** What a clerk does in the Vendure admin: types the cost and the supplier on the variant. */
async function editCostsInStore(admin: GqlClient, sku: string, cost: number, supplier: string | null) {
  const v = await storeCosts(admin, sku);
  await admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
    { i: [{ id: v!.id, customFields: { dovetailCost: cost, dovetailSupplier: supplier } }] });
}

/** What a clerk does in Tryton: the Modify Cost Price wizard (a product with stock moves refuses a plain write). */
async function modifyCostInTryton(t: TrytonClient, product: number, cost: string) {
  const now = new Date();
  await t.wizard('product.modify_cost_price', [['modify', { start: { date: { __class__: 'date', year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() }, cost_price: cost } }]],
    { active_model: 'product.product', active_ids: [product], active_id: product });
}

async function trytonCosts(t: TrytonClient, product: number) {
  const [p] = await t.read<{ cost_price: { decimal: string } }>('product.product', [product], ['cost_price']);
  const suppliers = await t.searchRead<{ party: number; prices: number[] }>('purchase.product_supplier', [['product', '=', product]], ['party', 'prices']);
  const parties = suppliers.length ? await t.read<{ id: number; name: string }>('party.party', suppliers.map((s) => s.party), ['name']) : [];
  const prices = suppliers.length ? await t.read<{ quantity: number; unit_price: { decimal: string } }>('purchase.product_supplier.price', suppliers.flatMap((s) => s.prices), ['quantity', 'unit_price']) : [];
  return { cost: Number(p.cost_price.decimal), suppliers: parties.map((x) => x.name), prices: prices.map((x) => [x.quantity, Number(x.unit_price.decimal)]) };
}

describe('master.vendorsAndCosts: Vendure variant cost and supplier ↔ Tryton cost price and product supplier', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  const engines: Engine[] = [];

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
  });
  after(async () => {
    for (const e of engines) await e.ctx.storage.close().catch(() => undefined);
    await vendure?.stop();
  });

  test('store: the store\'s cost and supplier reach Tryton; a clerk\'s cost in Tryton is put back; a crash after making the supplier makes no second one', async () => {
    const settings = settingsFor(tryton, vendure, { master: { vendorsAndCosts: 'store' }, server: { port: await freePort() } });
    const engine = await engineFor(settings.config);
    engines.push(engine);
    const product = await createTrytonProduct(t, 'COST-1', 'Cedar crate', '30.00');
    await receiveStock(t, product, 5); // stock moves: Tryton refuses a plain write of the cost price from now on
    await settle(engine);
    assert.deepEqual((await storeCosts(admin, 'COST-1'))?.customFields, { dovetailCost: 100, dovetailSupplier: null }, 'the new product takes Tryton\'s cost along');

    await editCostsInStore(admin, 'COST-1', 1250, 'Acme Wholesale');
    await settle(engine);
    assert.deepEqual(await trytonCosts(t, product), { cost: 12.5, suppliers: ['Acme Wholesale'], prices: [[0, 12.5]] });
    const updated = (await engine.ctx.storage.auditTrail('COST-1')).find((a) => a.action === 'product.updated' && a.toSystem === 'tryton');
    assert.equal(updated?.setting, 'master.vendorsAndCosts=store');

    await modifyCostInTryton(t, product, '9.99');
    await settle(engine);
    assert.equal((await trytonCosts(t, product)).cost, 12.5, 'the clerk\'s cost is put back');
    const reverted = (await engine.ctx.storage.auditTrail('COST-1')).filter((a) => a.action === 'product.reverted');
    assert.equal(reverted.length, 1);
    assert.equal(reverted[0].setting, 'master.vendorsAndCosts=store, ownership.onConflict=revert');
    await engine.ctx.storage.close();

    // a new supplier: Dovetail dies right after making its party in Tryton, then runs again
    await editCostsInStore(admin, 'COST-1', 1300, 'Birch Traders');
    const dovetail = new DovetailProcess(() => settings);
    try {
      await dovetail.crashAt('costs.supplierPartyMade');
      await until('Tryton follows the store after the restart', async () => {
        const c = await trytonCosts(t, product);
        return c.cost === 13 && c.suppliers[0] === 'Birch Traders' && c.prices[0]?.[1] === 13;
      }, 60_000);
    } finally {
      await dovetail.kill();
    }
    assert.equal((await t.search('party.party', [['name', '=', 'Birch Traders']])).length, 1, 'one supplier party, found by name on the retry');
    assert.deepEqual((await trytonCosts(t, product)).suppliers, ['Birch Traders'], 'the variant\'s one product supplier now buys from Birch');
  });

  test('inventory: a cost typed into Vendure is put back; Tryton\'s cost changes reach Vendure', async () => {
    const settings = settingsFor(tryton, vendure, { master: { vendorsAndCosts: 'inventory' } });
    const engine = await engineFor(settings.config);
    engines.push(engine);
    const product = await createTrytonProduct(t, 'COST-2', 'Pine crate', '20.00');
    await settle(engine);
    assert.equal((await storeCosts(admin, 'COST-2'))?.customFields.dovetailCost, 100);

    await editCostsInStore(admin, 'COST-2', 5000, 'Someone');
    await settle(engine);
    assert.deepEqual((await storeCosts(admin, 'COST-2'))?.customFields, { dovetailCost: 100, dovetailSupplier: null }, 'put back');
    assert.deepEqual(await trytonCosts(t, product), { cost: 1, suppliers: [], prices: [] }, 'Tryton keeps its own');
    const reverted = (await engine.ctx.storage.auditTrail('COST-2')).filter((a) => a.action === 'product.reverted');
    assert.equal(reverted.length, 1);
    assert.equal(reverted[0].setting, 'master.vendorsAndCosts=inventory, ownership.onConflict=revert');

    await modifyCostInTryton(t, product, '2.40');
    await settle(engine);
    assert.equal((await storeCosts(admin, 'COST-2'))?.customFields.dovetailCost, 240);
  });
});
