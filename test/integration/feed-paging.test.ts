// A transaction of more rows than a page (a catalogue import, a stock-take, a bulk customer import)
// reaches the engine whole on the real systems: every SKU or email becomes a change in storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { parseConfig } from '../../src/config/load.js';
import { DovetailError } from '../../src/errors.js';
import { dec } from '../../src/connectors/tryton/client.js';
import { TrytonConnector } from '../../src/connectors/tryton/index.js';
import type { InventoryConnector, StoreConnector } from '../../src/connectors/types.js';
import { VendureConnector } from '../../src/connectors/vendure/index.js';
import type { EngineContext } from '../../src/engine/context.js';
import { FEEDS, pollFeed } from '../../src/engine/intake.js';
import { JOB } from '../../src/engine/job-kinds.js';
import { createLogger } from '../../src/log.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { freshTrytonDatabase, startVendure } from './helpers/systems.js';

const ROWS = 4_100; // more than two pages of 2,000

async function engineContext(inventory: InventoryConnector | null, store: StoreConnector | null): Promise<EngineContext> {
  const config = parseConfig('systems:\n  inventory: { type: tryton, url: "http://127.0.0.1:1", database: x, username: x, password: x }\n'
    + '  store: { type: vendure, url: "http://127.0.0.1:1", username: x, password: x, webhookSecret: "unused-secret-0123456789" }\ninventory: { debounceMs: 0 }\n', {});
  const unused = { system: 'unused' };
  return { config, storage: await openSqlite(':memory:'), inventory: inventory ?? unused, store: store ?? unused, log: createLogger('silent') } as EngineContext;
}

/** Polls a feed the way the engine's tick does (a transient failure waits for the next poll), until a poll brings nothing new. */
async function pollUntilQuiet(ctx: EngineContext, side: 'inventory' | 'store', kind: string): Promise<void> {
  const feed = FEEDS.find((f) => f.side === side && f.kind === kind)!;
  for (let polls = 0; polls < 6; polls++) {
    try {
      if ((await pollFeed(ctx, feed)) === 0) return;
    } catch (err) {
      if (!(err instanceof DovetailError && err.kind === 'transient')) throw err;
    }
  }
}

/**
 * A fresh Tryton with an engine context reading it, and a catalogue import of ROWS SKUs made in one
 * create: as many templates (each SKU's own), or one template with every SKU as a variant (quicker).
 */
async function trytonWithImport(asVariants: boolean) {
  const db = await freshTrytonDatabase();
  const tryton = new TrytonConnector(db);
  const t = tryton.client;
  await t.login();
  const skus = Array.from({ length: ROWS }, (_, i) => `BULK-${String(i).padStart(5, '0')}`);
  const unit = await t.xmlId('product', 'uom_unit');
  const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
  const template = (variants: string[]) => ({ name: `Imported ${variants[0]}`, type: 'goods', default_uom: unit, list_price: dec('5'),
    salable: true, sale_uom: unit, account_category: category, products: [['create', variants.map((suffix_code) => ({ suffix_code, cost_price: dec('1') }))]] });
  await t.create('product.template', asVariants ? [template(skus)] : skus.map((sku) => template([sku])));
  return { t, skus, unit, ctx: await engineContext(tryton, null) };
}

test(`Tryton: a catalogue import of ${ROWS} products in one create arrives whole through the product feed`, async () => {
  // each SKU its own template: the template feed alone cannot bring them all
  const { skus, ctx } = await trytonWithImport(false);
  const started = Date.now();
  await pollUntilQuiet(ctx, 'inventory', 'product');
  console.log(`# product feed: ${ROWS} products of one transaction read in ${Date.now() - started} ms`);
  const jobs = new Set((await ctx.storage.jobs({ kind: JOB.productToStore })).map((j) => j.key));
  assert.equal(skus.filter((s) => !jobs.has(s)).length, 0, 'every SKU of the import arrived as a product change');
  await ctx.storage.close();
});

test(`Tryton: a stock-take of ${ROWS} moves in one create arrives whole through the stock feed`, async () => {
  const { t, skus, unit, ctx } = await trytonWithImport(true);
  await pollUntilQuiet(ctx, 'inventory', 'stock');
  const ids = await t.search('product.product', [['code', 'like', 'BULK-%']]);
  const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
  const [supplier] = await t.search('stock.location', [['type', '=', 'supplier']], { limit: 1 });
  const [currency] = await t.search('currency.currency', [], { limit: 1 });
  await t.create('stock.move', ids.map((product) => ({ product, quantity: 3, uom: unit, from_location: supplier, to_location: wh.storage_location,
    company: t.context.company, unit_price: dec('1'), currency })));
  const started = Date.now();
  await pollUntilQuiet(ctx, 'inventory', 'stock');
  console.log(`# stock feed: ${ROWS} moves of one transaction read in ${Date.now() - started} ms`);
  const jobs = new Set((await ctx.storage.jobs({ kind: JOB.stock })).map((j) => j.key));
  assert.equal(skus.filter((s) => !jobs.has(s)).length, 0, 'every SKU of the stock-take arrived as a stock change');
  await ctx.storage.close();
});

test('Vendure: 2,150 customers sharing one updatedAt (a bulk import within one second) arrive whole', async () => {
  const vendure = await startVendure();
  try {
    const count = 2_150; // more than a page, and more than the 2,000 rows one read of older versions stopped at
    // an import stamps whole seconds on SQLite: written straight into the store's database, in one second
    await vendure.restart(() => {
      const sql = new Database(vendure.dbFile);
      const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
      const [{ id: channel }] = sql.prepare('SELECT id FROM channel ORDER BY id LIMIT 1').all() as { id: number }[];
      sql.transaction(() => {
        const customer = sql.prepare('INSERT INTO customer (createdAt, updatedAt, firstName, lastName, emailAddress) VALUES (?, ?, ?, ?, ?)');
        const link = sql.prepare('INSERT INTO customer_channels_channel (customerId, channelId) VALUES (?, ?)');
        for (let i = 0; i < count; i++) link.run(customer.run(stamp, stamp, 'Bulk', `Import ${i}`, `bulk-${i}@example.com`).lastInsertRowid, channel);
      })();
      sql.close();
    });
    const store = new VendureConnector({ url: vendure.url, username: vendure.adminUsername, password: vendure.adminPassword, webhookSecret: 'unused-secret-0123456789' });
    const ctx = await engineContext(null, store);
    const started = Date.now();
    await pollUntilQuiet(ctx, 'store', 'customer');
    console.log(`# customer feed: ${count} customers of one second read in ${Date.now() - started} ms`);
    const jobs = new Set((await ctx.storage.jobs({ kind: JOB.customer })).map((j) => j.key));
    const missing = Array.from({ length: count }, (_, i) => `bulk-${i}@example.com`).filter((e) => !jobs.has(e));
    assert.equal(missing.length, 0, `every customer arrived (missing ${missing.length})`);
    await ctx.storage.close();
  } finally {
    await vendure.stop();
  }
});
