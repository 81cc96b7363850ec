// One web order's whole life between a real Tryton and the stateful Magento double, with Dovetail
// run as its own process (`dovetail run` over settings with `type: magento`, `url` the double) and
// killed (SIGKILL) in the middle of every step, then again between steps: order of 2 lines → ship 1
// in Tryton → capture its part (a partial invoice) → cancel the other (Magento's cancel of the whole
// rest) → return the shipped one → credit memo → refund. The double lives in the test process, so
// its state outlives every death; at the end its records hold each invoice, shipment and credit memo
// once, and Tryton's books agree to the cent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { DovetailError } from '../../src/errors.js';
import { decimalToMinor } from '../../src/model/money.js';
import { ACCESS_TOKEN, FakeMagento } from '../doubles/magento/server.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { createTrytonProduct, receiveStock, salesFor, shipWhatIsThere, trytonAdmin, until } from './helpers/dovetail.js';
import { trytonMoney } from './helpers/order-changes.js';
import { cancelUnshipped, postCreditNotesOf, returnUnits } from './helpers/tryton-operator.js';
import { freshTrytonDatabase, type TrytonDatabase } from './helpers/systems.js';
import { freePort } from './helpers/free-port.js';


/** A dovetail.yaml with `type: magento` whose `url` is the double, written to a temp folder with its SQLite database. */
async function settingsOnDouble(tdb: TrytonDatabase, fake: FakeMagento, rules: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-magento-'));
  writeFileSync(path.join(dir, 'dovetail.yaml'), stringify({
    database: { driver: 'sqlite', path: 'dovetail.sqlite' },
    systems: {
      inventory: { type: 'tryton', url: tdb.url, database: tdb.database, username: tdb.username, password: '${TRYTON_PASSWORD}' },
      store: { type: 'magento', url: fake.url, accessToken: '${MAGENTO_ACCESS_TOKEN}' },
    },
    inventory: { debounceMs: 0 },
    sync: { pollIntervalMs: 200 },
    // its own port: other suites may run `dovetail run` on the default one at the same time
    server: { port: await freePort() },
    rules,
  }));
  return { file: path.join(dir, 'dovetail.yaml'), dir, env: { TRYTON_PASSWORD: tdb.password, MAGENTO_ACCESS_TOKEN: ACCESS_TOKEN } };
}

const passing = (err: unknown) => err instanceof DovetailError && err.kind === 'transient';
/** `fn` for `until`: a Tryton read that meets the shared server's passing empty error counts as not yet. */
const orNotYet = <T>(fn: () => Promise<T | undefined | null | false>) => async () => {
  try { return await fn(); } catch (err) { if (passing(err)) return null; throw err; }
};

describe('the order lifecycle on Magento, Dovetail killed at every step', () => {
  let tdb: TrytonDatabase; let t: TrytonClient; let fake: FakeMagento;
  let settings: Awaited<ReturnType<typeof settingsOnDouble>>;
  let lid: number;
  const dovetail = new DovetailProcess(() => settings);
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(path.join(settings.dir, 'dovetail.sqlite'), { readonly: true, fileMustExist: true });
    try { return db.prepare(sql).all(...params) as T[]; } finally { db.close(); }
  };
  /** polls of the order feed: a search of orders by updated_at */
  const orderPolls = () => fake.calls('GetV1Orders').filter((r) => [...r.query.values()].includes('updated_at')).length;
  /**
   * The running Dovetail read the shop a few more times (so what it wrote itself came back and was
   * recognised) and has no work of the order left: the next kill falls between steps.
   */
  async function caughtUp(code: string) {
    const polled = orderPolls();
    await until(`Dovetail caught up with order ${code}`, async () => orderPolls() >= polled + 2
      && query("SELECT 1 FROM jobs WHERE (key = ? OR key LIKE ?) AND state IN ('pending', 'running')", code, `${code}:%`).length === 0, 90_000);
  }

  before(async () => {
    tdb = await freshTrytonDatabase(); t = await trytonAdmin(tdb);
    fake = await new FakeMagento().start();
    // Magento shows a return only as the credit memo that refunds it: returns stay in Tryton
    settings = await settingsOnDouble(tdb, fake, { capture: 'atShipment', settleFrom: 'store', cancellationsIn: 'inventory', returnsIn: 'inventory',
      returnsToStore: false, creditMemosIn: 'inventory', refundsIn: 'inventory' });
    const kettle = await createTrytonProduct(t, 'KETTLE-1', 'Copper kettle', '40.00');
    lid = await createTrytonProduct(t, 'LID-1', 'Spare lid', '6.00');
    await receiveStock(t, kettle, 4);
    await receiveStock(t, lid, 2);
    await dovetail.start();
    await until('both products on sale in Magento', async () => ['KETTLE-1', 'LID-1'].every((sku) => fake.state.salable(sku) > 0), 90_000);
  });
  after(async () => {
    await dovetail.kill();
    await fake?.stop();
  });

  test('order → ship 1 → capture → cancel the other → return → credit memo → refund: agree to the cent, each movement once', async () => {
    // 1. the order: a kettle and a lid, authorised at checkout, placed while Dovetail is down;
    // Dovetail dies right after writing the sale, before it noted the import
    await dovetail.kill();
    const order = fake.state.placeOrder({ email: 'grace@example.com', lines: [{ sku: 'KETTLE-1', quantity: 1 }, { sku: 'LID-1', quantity: 1 }], paid: 'authorised', shippingMinor: 500 });
    const code = order.incrementId;
    const [kettleItem, lidItem] = order.items;
    const kettleGross = fake.state.itemGross(kettleItem!, 1), lidGross = fake.state.itemGross(lidItem!, 1);
    assert.deepEqual([kettleGross, lidGross, fake.state.grandTotal(order)], [4400, 660, 5560]);
    await dovetail.crashAt('order.saleWritten');
    const sale = await until('the sale in Tryton', orNotYet(async () => (await salesFor(t, code)).find((s) => s.state === 'processing')), 90_000);
    assert.equal(decimalToMinor(String((sale.total_amount as { decimal: string }).decimal)), 5560, 'Tryton\'s sale totals the Magento order, to the cent');
    await caughtUp(code);

    // 2. the warehouse ships the kettle only: Dovetail dies right after making the shipment, then
    // again right after the partial invoice captured its part, each time before it noted what it did
    await dovetail.kill();
    const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
    const [inv] = await t.create('stock.inventory', [{ location: wh!.storage_location, company: t.context.company, lines: [['create', [{ product: lid, quantity: 0 }]]] }]);
    await t.button('stock.inventory', 'confirm', [inv]);
    await shipWhatIsThere(t, code);
    await dovetail.crashAt('shipment.fulfilmentWritten', { restart: false });
    assert.equal(fake.state.shipments.filter((s) => s.orderId === order.entityId).length, 1, 'the shipment was made before the crash');
    await dovetail.crashAt('capture.captured');
    await until('the kettle captured and recorded in Tryton', orNotYet(async () => (await trytonMoney(t, sale.id)).received === kettleGross + 500), 90_000);
    assert.equal(order.payment.paidMinor, kettleGross + 500, 'the invoice captured the kettle and the shipping');
    await caughtUp(code);
    await dovetail.kill();

    // 3. the lid is cancelled in Tryton: Magento cancels the whole rest of the order (the lid, the
    // only unit neither shipped nor invoiced); Dovetail dies right after, before it noted that
    await cancelUnshipped(t, sale.id, 'LID-1');
    await dovetail.crashAt('orderChanges.carried', { restart: false });
    assert.deepEqual(order.items.map((i) => [i.sku, i.canceled]), [['KETTLE-1', 0], ['LID-1', 1]], 'the lid was cancelled in Magento before the crash');
    assert.equal(order.payment.canceledMinor, lidGross, 'and the rest of the authorisation with it');

    // 4. the kettle comes back: a return in Tryton while Dovetail is down; 5. its credit note,
    // posted in Tryton, makes the refund through Magento; Dovetail dies right after refunding
    const returnSale = await returnUnits(t, sale.id, [{ sku: 'KETTLE-1', quantity: 1 }]);
    await postCreditNotesOf(t, returnSale);
    await dovetail.crashAt('refund.refunded');
    await until('the refund recorded in Tryton', orNotYet(async () => (await trytonMoney(t, sale.id)).paidOut > 0), 90_000);
    await dovetail.kill();

    // a healthy Dovetail reads the shop a few more times and works off what it found: nothing changes
    await dovetail.start();
    await caughtUp(code);
    await dovetail.kill();
    assert.deepEqual(query("SELECT kind, key, last_error FROM jobs WHERE state = 'failed'"), [], 'no job gave up');

    // the double's own records: each movement made once, every request within the published schema
    const mine = <T extends { orderId: number }>(rows: T[]) => rows.filter((r) => r.orderId === order.entityId);
    assert.deepEqual(mine(fake.state.shipments).map((s) => s.items.map((i) => [i.sku, i.qty])), [[['KETTLE-1', 1]]], 'one shipment, of the kettle');
    assert.deepEqual(mine(fake.state.invoices).map((i) => [i.grandMinor, i.state]), [[kettleGross + 500, 2]], 'one invoice, captured: the kettle and shipping');
    assert.deepEqual(mine(fake.state.creditMemos).map((m) => [m.grandMinor, m.online]), [[kettleGross, true]], 'one credit memo, refunded online: the kettle');
    assert.deepEqual([order.payment.authorizedMinor, order.payment.paidMinor, order.payment.refundedMinor, order.payment.canceledMinor],
      [5560, kettleGross + 500, kettleGross, lidGross], 'Magento\'s payment: authorised, paid, refunded and cancelled to the cent');
    assert.deepEqual(fake.schemaViolations, [], 'every request Dovetail sent is one the published schema accepts');
    assert.deepEqual(fake.answerViolations, []);

    // Tryton's books agree, to the cent
    assert.deepEqual((await salesFor(t, code)).map((s) => s.id).sort((a, b) => a - b), [sale.id, returnSale], 'one sale in Tryton, and its return');
    const money = await trytonMoney(t, sale.id);
    assert.deepEqual([money.received, money.paidOut, money.count], [kettleGross + 500, kettleGross, 2], 'Tryton received and paid out what Magento moved, once each');
  });
});
