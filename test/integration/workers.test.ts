// Three `dovetail run` processes on one PostgreSQL between a real Tryton and a real Vendure: web
// orders become exactly one sale each and stock arrives; the worker reading the feeds is SIGKILLed
// and another takes them within seconds; a worker dies holding a job mid-flight and the job is done
// once by another. Nothing is lost or doubled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import type { Storage } from '../../src/store/storage.js';
import { freshPostgresDatabase } from '../helpers/storage-backends.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { createTrytonProduct, receiveStock, salesFor, settingsFor, trytonAdmin, until } from './helpers/dovetail.js';
import { freePort } from './helpers/free-port.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';

const address = { fullName: 'Ada Buyer', streetLine1: '1 Quay St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };

describe('three workers on one PostgreSQL, two of them killed', () => {
  let v: VendureInstance; let t: TrytonClient; let admin: GqlClient; let storage: Storage;
  let dropDatabase: () => Promise<void>;
  let workers: DovetailProcess[] = [];
  let kettle: number;

  before(async () => {
    const [tdb, vendure, pgdb] = await Promise.all([freshTrytonDatabase(), startVendure(), freshPostgresDatabase()]);
    v = vendure; dropDatabase = pgdb.drop;
    t = await trytonAdmin(tdb); admin = await adminGql(v.url);
    // a short lease: a dead worker's jobs go to another after 3 s, not a minute
    const settings = settingsFor(tdb, v, { database: { driver: 'postgres', url: pgdb.url, path: undefined },
      server: { port: '${DOVETAIL_PORT:-8790}' }, sync: { pollIntervalMs: 300, jobLeaseMs: 3000 } });
    const ports = [await freePort(), await freePort(), await freePort()];
    workers = ports.map((port) => new DovetailProcess(() => ({ file: settings.file, env: { ...settings.env, DOVETAIL_PORT: String(port) } }), { workers: 1 }));
    kettle = await createTrytonProduct(t, 'KETTLE-1', 'Copper kettle', '40.00');
    await receiveStock(t, kettle, 10);
    storage = await openPostgres(pgdb.url);
    await Promise.all(workers.map((w) => w.start()));
  });
  after(async () => {
    for (const w of workers) await w.kill();
    await storage?.close();
    await v?.stop();
    await dropDatabase?.();
  });

  const stockInStore = async () => (await admin<{ productVariants: { items: { stockOnHand: number }[] } }>(
    `{ productVariants(options: { filter: { sku: { eq: "KETTLE-1" } } }) { items { stockOnHand } } }`)).productVariants.items[0]?.stockOnHand;
  const order = (email: string) => shopCheckout(v.url, { email, firstName: 'Ada', lastName: 'Buyer', address, lines: [{ sku: 'KETTLE-1', quantity: 1 }] });
  // the test's own reads of a busy trytond may fail once: asked again at the next turn
  const salesOf = (code: string) => salesFor(t, code).catch(() => null);
  const oneSale = (code: string) => until(`the sale of ${code}`, async () => ((await salesOf(code))?.length ?? 0) > 0, 90_000)
    .catch(async (e: Error) => {
      const waiting = (await storage.jobs()).filter((j) => j.state !== 'done').map((j) => `${j.kind} ${j.key} ${j.state}: ${j.lastError ?? ''}`);
      throw new Error(`${e.message}; jobs not done: ${waiting.join('; ') || 'none'}`);
    });
  const workerOf = (p: DovetailProcess) => async () => (await storage.workers()).find((w) => p.pid !== undefined && w.id.split(':')[1] === String(p.pid));

  test('orders become one sale each and stock arrives, while workers die with the feeds and with a job in hand', async () => {
    await until('the kettle on sale with its stock', async () => (await stockInStore()) === 10, 90_000);
    const first = await Promise.all([order('a@example.com'), order('b@example.com')]);
    for (const o of first) await oneSale(o.code);
    const registered = await storage.workers();
    assert.equal(registered.length, 3, 'three workers in the registry');

    // the worker that reads the feeds is killed without warning
    const holder = workers.find((w) => registered.some((r) => r.feeds.length && r.id.split(':')[1] === String(w.pid)))!;
    const heldFeeds = (await workerOf(holder)())!.feeds;
    await holder.kill();
    const killedAt = Date.now();
    await receiveStock(t, kettle, 5); // a count: 5 on hand
    const third = await order('c@example.com');
    await until('another worker reading the killed worker\'s feeds', async () => {
      const live = (await Promise.all(workers.filter((w) => w !== holder).map((w) => workerOf(w)()))).filter((w) => !!w);
      return heldFeeds.every((f) => live.some((w) => w.feeds.includes(f)));
    }, 15_000);
    assert.ok(Date.now() - killedAt < 15_000, 'feeds taken over within seconds');
    await oneSale(third.code);
    // the count of an inventory is the new quantity on hand in Tryton: 5, no longer 10
    await until('the counted stock in the store', async () => (await stockInStore()) === 5, 60_000);

    // a worker dies after writing a sale, before its job is marked done: the others finish it once
    for (const w of workers) await w.kill();
    const fourth = await order('d@example.com');
    await workers[0].crashAt('order.saleWritten', { restart: false });
    await Promise.all([workers[1].start(), workers[2].start()]);
    await until(`the order job of ${fourth.code} done`, async () =>
      (await storage.jobs({ kind: 'order', key: fourth.code })).some((j) => j.state === 'done'), 60_000);

    for (const o of [...first, third, fourth]) assert.equal((await salesFor(t, o.code)).length, 1, `exactly one sale for ${o.code}`);
    assert.deepEqual(await storage.failures(), [], 'nothing on the failure list');
    // later changes of the orders (payments settled) keep coming for a moment: every job ends done
    await until('every order job done', async () => (await storage.jobs({ kind: 'order' })).every((j) => j.state === 'done'), 30_000);
  });
});
