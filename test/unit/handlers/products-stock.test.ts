// Products and stock, rule by rule (master.* of each product field group, ownership.onConflict,
// rules.liveInventory, rules.deductAllocated, inventory.safetyStock), on the real engine over the in-memory pair.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldGroup, ProductFields } from '../../../src/model/product.js';
import { MASTER_KEY_OF_GROUP } from '../../../src/model/product.js';
import { customer, importedOrder, openShop, stocked } from './harness.js';

/** A value of each field group that differs from what the products start with. */
const EDITED: { [G in FieldGroup]: ProductFields[G] } = {
  names: { name: 'Desk lamp', variantName: 'Desk lamp, brass' },
  descriptions: { description: 'Brass, 40 cm' },
  prices: { priceMinor: 3500, currency: 'EUR' },
  categories: { names: ['Lighting'] },
  availability: { enabled: false },
  dimensions: { weightKg: 1.5, lengthCm: 40, widthCm: 20, heightCm: 20 },
  attributes: { values: [{ attribute: 'colour', attributeLabel: 'Colour', code: 'brass', label: 'Brass' }] },
  priceLevels: { levels: { wholesale: 2400, retailer: 2800 } },
  costs: { costMinor: 1250, supplier: 'Lumen Supplies' },
};
const START: Partial<ProductFields> = { descriptions: { description: 'A lamp' }, categories: { names: ['Home'] },
  attributes: { values: [{ attribute: 'colour', attributeLabel: 'Colour', code: 'steel', label: 'Steel' }] }, priceLevels: { levels: { wholesale: 2700 } },
  costs: { costMinor: 900, supplier: null } };

describe('master.* per product field group', () => {
  test('a product made in the inventory system is created in the store with every group it has, then its stock follows', async () => {
    const shop = await openShop();
    shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 7, fields: START });
    await shop.settle();
    assert.deepEqual(shop.store.productOf('LAMP')?.fields, shop.inv.productOf('LAMP')?.fields);
    assert.equal(shop.store.availableOf('LAMP'), 7);
    assert.deepEqual(await shop.actions('LAMP'), ['product.created', 'stock.published']);
    await shop.close();
  });

  for (const group of Object.keys(EDITED) as FieldGroup[]) {
    const key = MASTER_KEY_OF_GROUP[group];
    test(`${key}: inventory — an edit there reaches the store; an edit in the store is reverted`, async () => {
      const shop = await openShop({ master: { [key]: 'inventory' } });
      shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 7, fields: START });
      await shop.settle();
      const before = shop.store.productOf('LAMP')!.fields[group];
      shop.inv.editProduct('LAMP', { [group]: EDITED[group] });
      await shop.settle();
      assert.deepEqual(shop.store.productOf('LAMP')?.fields[group], EDITED[group], 'carried to the store');
      const updated = (await shop.audit('LAMP')).filter((a) => a.action === 'product.updated');
      assert.equal(updated.length, 1, 'written once: the store echoing it back is recognised');
      assert.equal(updated[0].setting, `master.${key}=inventory`);

      shop.store.editProduct('LAMP', { [group]: before });
      await shop.settle();
      assert.deepEqual(shop.store.productOf('LAMP')?.fields[group], EDITED[group], 'the store\'s edit is undone');
      assert.deepEqual(shop.inv.productOf('LAMP')?.fields[group], EDITED[group], 'the master keeps its value');
      assert.ok((await shop.actions('LAMP')).includes('product.reverted'));
      await shop.close();
    });

    test(`${key}: store — an edit in the store reaches the inventory system; an edit there is reverted`, async () => {
      const shop = await openShop({ master: { [key]: 'store' } });
      shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 7, fields: START });
      await shop.settle();
      const first = shop.store.productOf('LAMP')!.fields[group];
      shop.store.editProduct('LAMP', { [group]: EDITED[group] });
      await shop.settle();
      assert.deepEqual(shop.inv.productOf('LAMP')?.fields[group], EDITED[group], 'carried to the inventory system');
      const updated = (await shop.audit('LAMP')).find((a) => a.action === 'product.updated');
      assert.equal(updated?.setting, `master.${key}=store`);

      shop.inv.editProduct('LAMP', { [group]: first });
      await shop.settle();
      assert.deepEqual(shop.store.productOf('LAMP')?.fields[group], EDITED[group], 'the store is the master: left as it is');
      assert.deepEqual(shop.inv.productOf('LAMP')?.fields[group], EDITED[group], 'the inventory system\'s edit is undone');
      const reverted = (await shop.audit('LAMP')).filter((a) => a.action === 'product.reverted');
      assert.equal(reverted.length, 1, 'reverted once: the write coming back is recognised');
      assert.equal(reverted[0].setting, `master.${key}=store, ownership.onConflict=revert`);
      await shop.close();
    });
  }

  test('ownership.onConflict: flag — an edit in the store of a group the inventory system owns is left and shown as a conflict', async () => {
    const shop = await openShop({ ownership: { onConflict: 'flag' } });
    shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 7 });
    await shop.settle();
    shop.store.editProduct('LAMP', { prices: EDITED.prices });
    await shop.settle();
    assert.deepEqual(shop.store.productOf('LAMP')?.fields.prices, EDITED.prices, 'left in the store');
    assert.equal(shop.inv.productOf('LAMP')?.fields.prices?.priceMinor, 3000, 'not copied to the master');
    assert.deepEqual((await shop.conflicts('LAMP')).map((c) => c.fieldGroup), ['prices']);
    assert.ok((await shop.actions('LAMP')).includes('product.conflict'));
    await shop.close();
  });

  test('ownership.onConflict: flag — an edit in the inventory system of a group the store owns is left and shown as a conflict', async () => {
    const shop = await openShop({ master: { vendorsAndCosts: 'store' }, ownership: { onConflict: 'flag' } });
    shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 7, fields: START });
    await shop.settle();
    shop.inv.editProduct('LAMP', { costs: EDITED.costs });
    await shop.settle();
    assert.deepEqual(shop.inv.productOf('LAMP')?.fields.costs, EDITED.costs, 'left in the inventory system');
    assert.deepEqual(shop.store.productOf('LAMP')?.fields.costs, START.costs, 'not copied to the master');
    const [conflict] = await shop.conflicts('LAMP');
    assert.equal(conflict?.fieldGroup, 'costs');
    assert.ok((await shop.actions('LAMP')).includes('product.conflict'));
    await shop.close();
  });

  test('a crash after the store wrote the product: the retry finds it (no second product) and still publishes its stock', async () => {
    const shop = await openShop();
    shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 7 });
    await shop.crashAt('product.written');
    assert.deepEqual(await shop.store.listSkus(0, 10), ['LAMP']);
    const actions = await shop.actions('LAMP');
    assert.ok(actions.includes('product.updated') && !actions.includes('product.created'), 'the retry wrote to the product the crashed attempt made');
    assert.equal(shop.store.availableOf('LAMP'), 7);
    await shop.close();
  });

  test('a SKU the store refuses fails alone; the others of the batch are written', async () => {
    const shop = await openShop();
    shop.store.refuse('BULB');
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 7 }, { sku: 'BULB', priceMinor: 300, onHand: 9 }]);
    assert.ok(shop.store.productOf('LAMP'));
    assert.equal(shop.store.productOf('BULB'), undefined);
    const failed = await shop.engine.ctx.storage.failures();
    assert.deepEqual(failed.map((j) => [j.kind, j.key]), [['product.toStore', 'BULB']]);
    await shop.close();
  });
});

describe('rules.liveInventory', () => {
  test('true: what the inventory system has on hand is what the store may sell, as it changes', async () => {
    const shop = await openShop({ rules: { liveInventory: true } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 7 }]);
    shop.inv.receive('LAMP', 5);
    await shop.settle();
    assert.equal(shop.store.availableOf('LAMP'), 12);
    const published = (await shop.audit('LAMP')).filter((a) => a.action === 'stock.published').at(-1);
    assert.match(published?.setting ?? '', /rules\.liveInventory=true/);
    await shop.close();
  });

  test('true: a web order\'s units are not deducted twice (the store holds them itself)', async () => {
    const shop = await openShop({ rules: { liveInventory: true } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 7 }]);
    await importedOrder(shop, [{ sku: 'LAMP', quantity: 2 }]);
    assert.equal(shop.store.availableOf('LAMP'), 7);
    assert.equal(shop.store.saleableOf('LAMP'), 5);
    await shop.close();
  });

  test('false: the store\'s counts are left alone', async () => {
    const shop = await openShop({ rules: { liveInventory: false } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 7 }]);
    shop.inv.receive('LAMP', 5);
    await shop.settle();
    assert.ok(shop.store.productOf('LAMP'), 'products still travel');
    assert.equal(shop.store.availableOf('LAMP'), undefined, 'no count was ever written');
    assert.ok(!(await shop.actions('LAMP')).some((a) => a.startsWith('stock.')));
    await shop.close();
  });
});

describe('rules.deductAllocated and inventory.safetyStock', () => {
  const withPhoneSale = async (settings: Parameters<typeof openShop>[0]) => {
    const shop = await openShop(settings);
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 10 }]);
    shop.inv.enterSale(customer('bob@example.com'), [{ sku: 'LAMP', quantity: 3 }]);
    await shop.settle();
    return shop;
  };

  test('deductAllocated: true — units held by sales entered in the inventory system are not offered in the store', async () => {
    const shop = await withPhoneSale({ rules: { deductAllocated: true } });
    assert.equal(shop.store.availableOf('LAMP'), 7);
    await shop.close();
  });

  test('deductAllocated: false — on-hand is offered whatever is allocated', async () => {
    const shop = await withPhoneSale({ rules: { deductAllocated: false } });
    assert.equal(shop.store.availableOf('LAMP'), 10);
    await shop.close();
  });

  test('safetyStock: that many units are held back from the store', async () => {
    const shop = await withPhoneSale({ rules: { deductAllocated: true }, inventory: { safetyStock: 2 } });
    assert.equal(shop.store.availableOf('LAMP'), 5);
    await shop.close();
  });
});

describe('inventory.incoming', () => {
  test('none: the store is told nothing of open purchases', async () => {
    const shop = await openShop({ inventory: { incoming: 'none' } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 2 }]);
    shop.inv.purchase('LAMP', 10, '2030-01-15');
    await shop.settle();
    assert.equal(shop.store.incomingOf('LAMP'), undefined);
    assert.ok(!(await shop.actions('LAMP')).some((a) => a.startsWith('stock.incoming')));
    await shop.close();
  });

  test('show: quantity and day on the store, never sold ahead; received, it is stock and nothing is incoming', async () => {
    const shop = await openShop({ inventory: { incoming: 'show' } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 2 }]);
    const po = shop.inv.purchase('LAMP', 10, '2030-01-15');
    await shop.settle();
    assert.deepEqual(shop.store.incomingOf('LAMP'), { sku: 'LAMP', quantity: 10, expectedDate: '2030-01-15', backorder: false });
    shop.inv.closePurchase(po, 'received');
    await shop.settle();
    assert.deepEqual(shop.store.incomingOf('LAMP'), { sku: 'LAMP', quantity: 0, expectedDate: null, backorder: false });
    assert.equal(shop.store.availableOf('LAMP'), 12);
    await shop.close();
  });

  test('backorder: sold ahead up to what is coming, the earliest day shown; cancelled, the back-orders end; each move audited with its setting', async () => {
    const shop = await openShop({ inventory: { incoming: 'backorder' } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 2 }]);
    const late = shop.inv.purchase('LAMP', 6, '2030-02-01');
    shop.inv.purchase('LAMP', 4, '2030-01-15');
    await shop.settle();
    assert.deepEqual(shop.store.incomingOf('LAMP'), { sku: 'LAMP', quantity: 10, expectedDate: '2030-01-15', backorder: true });
    shop.inv.closePurchase(late, 'cancelled');
    await shop.settle();
    assert.deepEqual(shop.store.incomingOf('LAMP'), { sku: 'LAMP', quantity: 4, expectedDate: '2030-01-15', backorder: true });
    const moves = (await shop.audit('LAMP')).filter((a) => a.action === 'stock.incoming');
    assert.deepEqual(moves.map((a) => [a.setting, a.result]), [['inventory.incoming=backorder', '10 incoming on 2030-01-15, sold ahead as back-orders'],
      ['inventory.incoming=backorder', '4 incoming on 2030-01-15, sold ahead as back-orders']]);
    await shop.close();
  });

  test('a store that times out showing incoming stock is asked again; the stock written before it stays', async () => {
    const shop = await openShop({ inventory: { incoming: 'show' } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 2 }]);
    shop.store.faults.failNext('setIncoming');
    shop.inv.purchase('LAMP', 3, null);
    shop.inv.receive('LAMP', 1);
    await shop.settle();
    assert.equal(shop.store.incomingOf('LAMP'), undefined, 'the first attempt timed out');
    assert.equal(shop.store.availableOf('LAMP'), 3);
    await shop.later();
    assert.deepEqual(shop.store.incomingOf('LAMP'), { sku: 'LAMP', quantity: 3, expectedDate: null, backorder: false });
    await shop.close();
  });
});
