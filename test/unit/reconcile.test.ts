// `dovetail reconcile`: the comparisons alone (pure), then the whole run on the in-memory pair —
// drift planted where no event tells the engine, found, repaired through the flows, found no more.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCustomer, compareMoney, compareOrder, comparePhoneOrder, compareProducts, compareStock } from '../../src/engine/reconcile/compare.js';
import { orderMoney, type StorePayment } from '../../src/model/payment.js';
import type { Customer } from '../../src/model/customer.js';
import { MAPPING } from '../../src/store/mapping-kinds.js';
import { reconcile } from '../../src/engine/reconcile/reconcile.js';
import type { Product } from '../../src/model/product.js';
import type { OrderLinesState } from '../../src/model/order-lines.js';
import { customer, importedOrder, openShop, stocked } from './handlers/harness.js';
import type { HttpBindings } from '@hono/node-server';
import { buildApp } from '../../src/server/http.js';
import { JOB } from '../../src/engine/job-kinds.js';

const product = (sku: string, fields: Product['fields']): Product => ({ sku, groupKey: sku, fields });
const setting = (g: string) => `master.${g}`;

describe('compareProducts', () => {
  const inventory = new Map([['A', product('A', { names: { name: 'Lamp', variantName: 'Lamp' }, categories: { names: ['Home'] } })]]);

  test('a group that differs is drift, the master named by the group and its value the right one', () => {
    const store = new Map([['A', product('A', { names: { name: 'Lamp', variantName: 'Lamp' }, categories: { names: ['Garden'] } })]]);
    const found = compareProducts(['A'], store, inventory, ['names', 'categories'], () => 'inventory', setting);
    assert.deepEqual(found.map((d) => [d.aspect, d.master, d.masterValue, d.otherValue]), [['categories', 'inventory', { names: ['Home'] }, { names: ['Garden'] }]]);
    assert.deepEqual(found[0].repair, { by: 'job', job: 'productToStore', forget: 'snapshot', setting: 'master.categories' });
    const storeOwned = compareProducts(['A'], store, inventory, ['categories'], () => 'store', setting);
    assert.deepEqual([storeOwned[0].masterValue, storeOwned[0].repair.by === 'job' && storeOwned[0].repair.job], [{ names: ['Garden'] }, 'productFromStore']);
  });

  test('groups the pair does not carry, or one side does not hold, are not compared', () => {
    const store = new Map([['A', product('A', { names: { name: 'Other', variantName: 'Other' } })]]);
    assert.deepEqual(compareProducts(['A'], store, inventory, ['categories'], () => 'inventory', setting), []);
  });

  test('a SKU missing in the store is created there; one only the store has is for a person', () => {
    const found = compareProducts(['A', 'B'], new Map([['B', product('B', {})]]), inventory, ['names'], () => 'inventory', setting);
    assert.deepEqual(found.map((d) => [d.recordKey, d.otherValue, d.repair.by]), [['A', 'missing', 'job'], ['B', 'present', 'person']]);
  });
});

describe('compareStock', () => {
  test('the store count against what the settings publish; SKUs the store lacks are left to products', () => {
    const found = compareStock([{ sku: 'A', available: 5 }, { sku: 'B', available: 2 }, { sku: 'C', available: 1 }], new Map([['A', 5], ['B', 40]]), 's');
    assert.deepEqual(found.map((d) => [d.recordKey, d.masterValue, d.otherValue]), [['B', 2, 40]]);
  });
});

describe('compareOrder', () => {
  const line = (sku: string, quantity: number, shipped = 0) => ({ sku, quantity, shipped, returned: 0, unitGrossMinor: 110, unitNetMinor: 100, taxRatePercent: 10 });
  const state = (lines: OrderLinesState['lines'], totalMinor = 220): OrderLinesState => ({ orderCode: 'W1', lines, totalMinor, state: 'x' });
  const opts = { partialShipmentsToStore: true, saleLost: false, changesSetting: 'rules' };

  test('no sale: imported again, forgetting the sale only when Dovetail had imported it', () => {
    const [fresh] = compareOrder('W1', state([line('A', 2)]), null, opts);
    assert.deepEqual(fresh.repair, { by: 'job', job: 'order', forget: undefined, setting: 'web orders start in the store' });
    const [lost] = compareOrder('W1', state([line('A', 2)]), null, { ...opts, saleLost: true });
    assert.equal(lost.repair.by === 'job' && lost.repair.forget, 'sale');
  });

  test('quantities that differ go to the order-changes flow; equal orders are no drift', () => {
    assert.deepEqual(compareOrder('W1', state([line('A', 2)]), state([line('A', 2)]), opts), []);
    const found = compareOrder('W1', state([line('A', 2)]), state([line('A', 1), line('B', 1)]), opts);
    assert.deepEqual(found.map((d) => [d.aspect, d.masterValue, d.otherValue]), [['quantity:A', 2, 1], ['quantity:B', 0, 1]]);
  });

  test('shipped units as the store should show them: each shipment, or only the whole (rules.partialShipmentsToStore)', () => {
    const sale = state([line('A', 2, 1)]);
    const [partial] = compareOrder('W1', state([line('A', 2, 0)]), sale, opts);
    assert.deepEqual([partial.aspect, partial.masterValue, partial.otherValue, partial.repair.by === 'job' && partial.repair.forget], ['shipped:A', 1, 0, 'fulfilments']);
    assert.deepEqual(compareOrder('W1', state([line('A', 2, 0)]), sale, { ...opts, partialShipmentsToStore: false }), [], 'not all shipped: nothing to show yet');
    const [extra] = compareOrder('W1', state([line('A', 2, 2)]), sale, opts);
    assert.equal(extra.repair.by, 'person', 'more shown shipped than left the warehouse');
  });

  test('a total that differs while the lines agree is for a person', () => {
    const [d] = compareOrder('W1', state([line('A', 2)], 220), state([line('A', 2)], 230), opts);
    assert.deepEqual([d.aspect, d.masterValue, d.otherValue, d.repair.by], ['total', 220, 230, 'person']);
  });
});

describe('reconcile on the in-memory pair', () => {
  test('finds drift no event announced, repairs it through the flows, then finds none', async () => {
    const shop = await openShop({ rules: { partialShipmentsToStore: true } });
    shop.inv.addProduct('LAMP', { priceMinor: 3000, onHand: 9, fields: { categories: { names: ['Home'] } } });
    await stocked(shop, [{ sku: 'SHADE', priceMinor: 1000, onHand: 9 }]);
    const shipped = await importedOrder(shop, [{ sku: 'SHADE', quantity: 1 }], { pay: 'capture' });
    shop.inv.ship(shipped);
    await shop.settle();
    const lost = await importedOrder(shop, [{ sku: 'LAMP', quantity: 1 }]);
    const ctx = shop.engine.ctx;
    assert.deepEqual((await reconcile(ctx, { repair: false })).differences, [], 'in step after the flows ran');

    // planted behind the engine's back: nothing is polled before reconcile reads
    shop.store.editProduct('LAMP', { categories: { names: ['Garden'] } });
    shop.store.setAvailableByHand('SHADE', 40);
    shop.store.dropFulfilments(shipped);
    shop.inv.loseSale(lost);
    shop.inv.losePayments(shipped);
    const seen = await reconcile(ctx, { repair: false });
    assert.deepEqual(seen.differences.map((d) => [d.kind, d.recordKey, d.aspect, d.action]), [
      ['products', 'LAMP', 'categories', 'reported'], ['stock', 'SHADE', 'available', 'reported'],
      ['orders', shipped, 'shipped:SHADE', 'reported'], ['orders', lost, 'sale', 'reported'], ['money', shipped, 'captured', 'reported']]);
    // the lost sale's money is not compared: its missing sale is the orders comparison's
    assert.deepEqual(seen.compared, { products: 2, stock: 2, orders: 2, money: 1 });
    assert.equal((await ctx.storage.drift()).length, 5, 'stored, open');

    const repaired = await reconcile(ctx, { repair: true });
    assert.ok(repaired.differences.every((d) => d.action === 'queued'));
    const repairs = (await ctx.storage.auditTrail(undefined, 1000)).filter((a) => a.action === 'reconcile.repair');
    assert.equal(repairs.length, 5);
    assert.ok(repairs.every((a) => a.result === 'queued: found by reconcile' && a.setting));
    await shop.settle();
    assert.deepEqual(shop.store.productOf('LAMP')?.fields.categories, shop.inv.productOf('LAMP')?.fields.categories, 'the master\'s category is back');
    assert.equal(shop.inv.saleOf(lost).reference, lost, 'the lost sale is made again');
    assert.deepEqual(await shop.inv.getSaleMoney(shipped), { receivedMinor: (await shop.store.getPayments(shipped))!.capturedMinor, paidOutMinor: 0 }, 'the store\'s capture is recorded again, once');

    const after = await reconcile(ctx, { repair: false });
    assert.deepEqual(after.differences, [], 'nothing left');
    assert.deepEqual(await ctx.storage.drift(), []);
    const last = await ctx.storage.drift({ runId: repaired.runId });
    assert.ok(last.every((d) => d.repairedAt && d.resolvedAt), 'each repair is seen done by the run after it');
    await shop.close();
  });
});

describe('phone orders shown in the store', () => {
  test('comparePhoneOrder: a store order that is gone is placed again by the sale\'s own job', () => {
    assert.deepEqual(comparePhoneOrder('P1', '7', { code: 'P1' }, 's'), []);
    const [d] = comparePhoneOrder('P1', '7', null, 's');
    assert.deepEqual(d.repair, { by: 'job', job: 'offlineOrder', setting: 's', jobKeys: ['7'] });
  });

  test('a phone sale\'s store order deleted by hand is found and placed again, once', async () => {
    const shop = await openShop({ rules: { offlineOrdersToStore: 'all' } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 9 }]);
    const saleId = shop.inv.enterSale(customer('bob@example.com'), [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    const ctx = shop.engine.ctx;
    const [code] = (await ctx.storage.keysForExternalIds(shop.inv.system, MAPPING.offlineOrder, [saleId])).values();
    assert.ok(code, 'the phone sale is in the store');
    assert.deepEqual((await reconcile(ctx, { kinds: ['phoneOrders'], repair: false })).differences, []);
    shop.store.deleteOrder(code);
    const seen = await reconcile(ctx, { kinds: ['phoneOrders'], repair: true });
    assert.deepEqual(seen.differences.map((d) => [d.recordKey, d.aspect, d.action]), [[code, 'present', 'queued']]);
    await shop.settle();
    const again = await shop.store.findOfflineOrder(`${shop.inv.system}:${saleId}`);
    assert.ok(again, 'placed again');
    assert.deepEqual((await reconcile(ctx, { kinds: ['phoneOrders'], repair: false })).differences, []);
    await shop.close();
  });
});

describe('reconcile seen from outside, and on a schedule', () => {
  test('a fresh install does not reconcile at its first start: nothing is carried yet', async () => {
    const shop = await openShop({ reconcile: { everyHours: 24 } });
    await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 9 }]);
    const stop = new AbortController();
    const running = shop.engine.run(stop.signal);
    await until(() => shop.engine.health.view().state === 'working');
    stop.abort();
    await running;
    assert.deepEqual(await shop.engine.ctx.storage.jobs({ kind: JOB.reconcile }), []);
    await shop.close();
  });

  test('the Drift page shows the last run, what it compared and each difference with its repair; /metrics counts them', async () => {
    const shop = await openShop();
    await stocked(shop, [{ sku: 'SHADE', priceMinor: 1000, onHand: 9 }]);
    const app = buildApp(shop.engine);
    const get = async (path: string) => (await app.request(`http://127.0.0.1${path}`, {}, { incoming: { socket: { remoteAddress: '127.0.0.1' } } } as unknown as HttpBindings)).text();
    assert.match(await get('/drift'), /Never run/);
    shop.store.setAvailableByHand('SHADE', 40);
    await reconcile(shop.engine.ctx, { repair: true });
    const page = await get('/drift');
    assert.match(page, /1 products, 1 stock/);
    assert.match(page, /<td>SHADE<\/td><td>available<\/td><td>[^<]+<\/td><td>9<\/td><td>40<\/td><td>queued<\/td>/);
    const metrics = await get('/metrics');
    assert.match(metrics, /dovetail_drift_records\{kind="stock"\} 1/);
    assert.match(metrics, /dovetail_reconcile_last_run_timestamp_seconds \d+/);
    await shop.settle();
    assert.match(await get('/drift'), /<td>done<\/td>/, 'the repair job ran');
    await reconcile(shop.engine.ctx, { repair: false });
    assert.doesNotMatch(await get('/metrics'), /dovetail_drift_records\{kind="stock"\} [1-9]/);
    await shop.close();
  });

  for (const everyHours of [24, 0]) {
    test(`reconcile.everyHours: ${everyHours} — \`run\` ${everyHours ? 'runs it once as a job keyed all, a period after Dovetail first linked records, and not again before it is due' : 'never runs it'}`, async () => {
      const shop = await openShop({ reconcile: { everyHours } });
      const storage = shop.engine.ctx.storage;
      await stocked(shop, [{ sku: 'LAMP', priceMinor: 3000, onHand: 9 }]);
      // Dovetail has carried records for two days: the first run is due
      await storage.db.updateTable('mappings').set({ created_at: new Date(Date.now() - 48 * 3_600_000).toISOString() }).execute();
      for (let round = 0; round < 2; round++) {
        const stop = new AbortController();
        const running = shop.engine.run(stop.signal);
        await until(() => shop.engine.health.view().state === 'working');
        if (everyHours) await until(async () => (await storage.jobs({ kind: JOB.reconcile })).every((j) => j.state === 'done') && !!(await storage.lastReconcileRun())?.finishedAt);
        stop.abort();
        await running;
      }
      const jobs = await storage.jobs({ kind: JOB.reconcile });
      assert.deepEqual(jobs.map((j) => [j.key, j.state]), everyHours ? [['all', 'done']] : []);
      assert.equal((await storage.lastReconcileRun()) !== null, everyHours > 0);
      await shop.close();
    });
  }
});

async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('compareMoney', () => {
  const pay = (id: string, amountMinor: number, o: Partial<StorePayment> = {}): StorePayment =>
    ({ id, state: 'captured', amountMinor, method: 'card', captureKey: null, refunds: [], ...o });
  const refund = (id: string, totalMinor: number, state: 'pending' | 'settled' | 'failed', dovetailKey: string | null = null) =>
    ({ id, state, totalMinor, reason: null, dovetailKey });
  const opts = { refundsIn: 'store' as const, setting: 's' };

  test('captured and refunded as the store did them: no drift; pending and failed refunds of the store are not of record yet', () => {
    const money = orderMoney('W1', 3000, [pay('p1', 3000, { refunds: [refund('r1', 500, 'settled'), refund('r2', 100, 'pending'), refund('r3', 50, 'failed'), refund('r4', 200, 'pending', 'k')] })]);
    assert.deepEqual(compareMoney('W1', money, { receivedMinor: 3000, paidOutMinor: 700 }, opts), []);
  });

  test('a store capture missing in the inventory system: the store\'s own captures recorded again, after forgetting their mappings', () => {
    const money = orderMoney('W1', 3000, [pay('p1', 1000), pay('p2', 2000), pay('p3', 500, { state: 'authorised' })]);
    const [d, ...rest] = compareMoney('W1', money, { receivedMinor: 1000, paidOutMinor: 0 }, opts);
    assert.equal(rest.length, 0);
    assert.deepEqual([d.kind, d.aspect, d.master, d.masterValue, d.otherValue], ['money', 'captured', 'store', 3000, 1000]);
    assert.deepEqual(d.repair, { by: 'job', job: 'paymentFromStore', forget: 'payments', jobKeys: ['W1:p1', 'W1:p2'], setting: 's' });
  });

  test('a capture Dovetail made, or more received than captured: for a person (no job could record it without risk)', () => {
    const byDovetail = orderMoney('W1', 3000, [pay('p1', 3000, { captureKey: 'W1:ship-1' })]);
    assert.equal(compareMoney('W1', byDovetail, { receivedMinor: 0, paidOutMinor: 0 }, opts)[0]?.repair.by, 'person');
    const [over] = compareMoney('W1', orderMoney('W1', 3000, [pay('p1', 3000)]), { receivedMinor: 6000, paidOutMinor: 0 }, opts);
    assert.equal(over.repair.by, 'person');
    assert.match((over.repair as { what: string }).what, /cancel the extra payment/);
  });

  test('a store refund missing in the inventory system: recorded again with refundsIn store, for a person with refundsIn inventory', () => {
    const money = orderMoney('W1', 3000, [pay('p1', 3000, { refunds: [refund('r1', 500, 'settled')] })]);
    const [d] = compareMoney('W1', money, { receivedMinor: 3000, paidOutMinor: 0 }, opts);
    assert.deepEqual([d.aspect, d.masterValue, d.otherValue], ['refunded', 500, 0]);
    assert.deepEqual(d.repair, { by: 'job', job: 'refundFromStore', forget: 'refunds', jobKeys: ['W1:r1'], setting: 's' });
    assert.equal(compareMoney('W1', money, { receivedMinor: 3000, paidOutMinor: 0 }, { ...opts, refundsIn: 'inventory' })[0]?.repair.by, 'person');
  });
});

describe('compareCustomer', () => {
  const person = (o: Partial<Customer> = {}): Customer => ({ email: 'Ada@Example.com', firstName: 'Ada', lastName: 'Lovelace', phone: '+44 1',
    addresses: [{ fullName: 'Ada Lovelace', street1: '1 Main St', city: 'London', postalCode: 'N1', countryCode: 'gb' }], ...o });

  test('the same details, written differently or with an address of the other\'s own: no drift', () => {
    const extra = { fullName: 'Ada', street1: '9 Dock Rd', city: 'London', postalCode: 'E1', countryCode: 'GB' };
    assert.deepEqual(compareCustomer({ inventory: person(), store: person({ email: 'ada@example.com ', addresses: [...person().addresses, extra] }) }, 'inventory', 's'), []);
  });

  test('a phone changed on the other side: the master\'s details go over by the customer\'s own job', () => {
    const [d] = compareCustomer({ inventory: person(), store: person({ phone: '+44 2' }) }, 'inventory', 'master.customers=inventory');
    assert.deepEqual([d.kind, d.recordKey, d.aspect, d.master], ['customers', 'ada@example.com', 'details', 'inventory']);
    assert.deepEqual([(d.masterValue as { phone: string }).phone, (d.otherValue as { phone: string }).phone], ['+44 1', '+44 2']);
    assert.deepEqual(d.repair, { by: 'job', job: 'customerToStore', setting: 'master.customers=inventory' });
    const [fromStore] = compareCustomer({ inventory: person({ lastName: 'Byron' }), store: person() }, 'store', 's');
    assert.deepEqual([fromStore.master, fromStore.repair.by === 'job' && fromStore.repair.job], ['store', 'customerFromStore']);
  });

  test('an address of the master\'s missing on the other side is drift', () => {
    const [d] = compareCustomer({ inventory: person(), store: person({ addresses: [] }) }, 'inventory', 's');
    assert.equal(d.aspect, 'details');
  });
});
