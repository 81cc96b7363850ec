// Reference sets kept equal in both systems (master.salesTaxes, master.shippingMethods,
// ownership.onConflict), on the real engine over the in-memory pair.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { permanent } from '../../../src/errors.js';
import { openShop, type Shop } from './harness.js';

const US = 'Standard @ US';
const EU = 'Standard @ EU';

/** One pass over every reference set, as `run` queues it each sync.referenceSetsEveryMs. */
async function pass(shop: Shop) {
  await shop.engine.queueReferenceSets('test');
  await shop.settle();
}

describe('master.salesTaxes', () => {
  test('a tax rate of the store (the default master) reaches the inventory system once; a pass with nothing changed writes nothing', async () => {
    const shop = await openShop();
    shop.store.taxes.add(US, { ratePercent: 10 });
    await pass(shop);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 10 });
    const [created] = await shop.audit(US);
    assert.equal(created?.action, 'salesTax.created');
    assert.equal(created?.setting, 'master.salesTaxes=store');
    const writes = shop.inv.taxes.writes + shop.store.taxes.writes;
    await pass(shop);
    assert.equal(shop.inv.taxes.writes + shop.store.taxes.writes, writes, 'an unchanged set is only read');
    assert.deepEqual(await shop.actions(US), ['salesTax.created']);
    await shop.close();
  });

  test('a rate changed in the store is changed in the inventory system; one the inventory system already holds is matched, not made twice', async () => {
    const shop = await openShop();
    shop.store.taxes.add(US, { ratePercent: 10 });
    shop.inv.taxes.add(US, { ratePercent: 10 });
    await pass(shop);
    assert.equal(shop.inv.taxes.writes, 0);
    shop.store.taxes.edit(US, { ratePercent: 12.5 });
    await pass(shop);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 12.5 });
    assert.equal(shop.inv.taxes.count(US), 1);
    assert.deepEqual(await shop.actions(US), ['salesTax.updated']);
    await shop.close();
  });

  test('ownership.onConflict=revert: a rate changed in the inventory system is written back from the store and logged with both settings', async () => {
    const shop = await openShop();
    shop.store.taxes.add(US, { ratePercent: 10 });
    await pass(shop);
    shop.inv.taxes.edit(US, { ratePercent: 7 });
    await pass(shop);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 10 });
    assert.deepEqual(shop.store.taxes.get(US), { ratePercent: 10 });
    const reverted = (await shop.audit(US)).at(-1);
    assert.equal(reverted?.action, 'salesTax.reverted');
    assert.equal(reverted?.setting, 'master.salesTaxes=store, ownership.onConflict=revert');
    await shop.close();
  });

  test('ownership.onConflict=flag: the other rate is left, shown once as a conflict, and closed when both agree again', async () => {
    const shop = await openShop({ ownership: { onConflict: 'flag' } });
    shop.store.taxes.add(US, { ratePercent: 10 });
    await pass(shop);
    shop.inv.taxes.edit(US, { ratePercent: 7 });
    await pass(shop);
    await pass(shop);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 7 });
    assert.deepEqual((await shop.conflicts(US)).map((c) => [c.fieldGroup, c.otherValue]), [['salesTaxes', '{"ratePercent":7}']]);
    assert.deepEqual(await shop.actions(US), ['salesTax.created', 'salesTax.conflict']);
    shop.inv.taxes.edit(US, { ratePercent: 10 });
    await pass(shop);
    assert.deepEqual(await shop.conflicts(US), []);
    await shop.close();
  });

  test('a rate removed from the master is not deleted from the other system: it is shown as a conflict', async () => {
    const shop = await openShop();
    shop.store.taxes.add(US, { ratePercent: 10 });
    await pass(shop);
    shop.store.taxes.remove(US);
    await pass(shop);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 10 });
    assert.equal((await shop.conflicts(US)).length, 1);
    await shop.close();
  });

  test('a crash after the create and before it is recorded: the next pass finds the rate it made and makes no second one', async () => {
    const shop = await openShop();
    shop.store.taxes.add(US, { ratePercent: 10 });
    await shop.engine.queueReferenceSets('test');
    await shop.crashAt('referenceSet.written');
    assert.equal(shop.inv.taxes.count(US), 1);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 10 });
    shop.store.taxes.edit(US, { ratePercent: 11 });
    await pass(shop);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 11 }, 'the snapshot recorded after the crash tells the master\'s change from a conflict');
    await shop.close();
  });

  test('a rate the other system refuses fails alone: the others are written, and the job names the one that failed', async () => {
    const shop = await openShop();
    shop.store.taxes.add(EU, { ratePercent: 19 });
    shop.store.taxes.add(US, { ratePercent: 10 });
    shop.inv.faults.failNext('put:tax', permanent('no such zone'));
    await pass(shop);
    assert.equal(shop.inv.taxes.get(EU), undefined);
    assert.deepEqual(shop.inv.taxes.get(US), { ratePercent: 10 });
    const [failed] = await shop.engine.ctx.storage.failures();
    assert.equal(failed?.kind, 'referenceSet.sync');
    assert.match(failed?.lastError ?? '', /Standard @ EU: no such zone/);
    await pass(shop); // the next scheduled pass tries it again
    assert.deepEqual(shop.inv.taxes.get(EU), { ratePercent: 19 });
    assert.deepEqual(await shop.engine.ctx.storage.failures(), []);
    await shop.close();
  });
});

describe('master.shippingMethods', () => {
  test('master.shippingMethods=inventory: a carrier made in the inventory system becomes a store method; a store edit is written back', async () => {
    const shop = await openShop({ master: { shippingMethods: 'inventory' } });
    shop.inv.shippingMethods.add('express', { name: 'Express', priceMinor: 1500 });
    await pass(shop);
    assert.deepEqual(shop.store.shippingMethods.get('express'), { name: 'Express', priceMinor: 1500 });
    shop.store.shippingMethods.edit('express', { name: 'Express', priceMinor: 900 });
    await pass(shop);
    assert.deepEqual(shop.store.shippingMethods.get('express'), { name: 'Express', priceMinor: 1500 });
    assert.deepEqual((await shop.audit('express')).map((a) => [a.action, a.setting]),
      [['shippingMethod.created', 'master.shippingMethods=inventory'], ['shippingMethod.reverted', 'master.shippingMethods=inventory, ownership.onConflict=revert']]);
    await shop.close();
  });

  test('a method only the non-master has is flagged, never copied to the master', async () => {
    const shop = await openShop();
    shop.inv.shippingMethods.add('pickup', { name: 'Pick-up', priceMinor: 0 });
    await pass(shop);
    assert.equal(shop.store.shippingMethods.get('pickup'), undefined);
    assert.equal((await shop.conflicts('pickup')).length, 1);
    await shop.close();
  });
});
