// Dovetail itself in integration tests: settings pointed at a fresh Tryton database and a
// fresh Vendure, an engine run in-process tick by tick, and a few Tryton shortcuts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { TrytonClient, dec } from '../../../src/connectors/tryton/client.js';
import { Engine } from '../../../src/engine/engine.js';
import { openContext } from '../../../src/engine/open.js';
import type { RunStats } from '../../../src/engine/runner.js';
import { createLogger } from '../../../src/log.js';
import { INTEGRATION_BACKEND, INTEGRATION_WORKERS, plannedPostgresDatabase } from '../../helpers/storage-backends.js';
import type { TrytonDatabase, VendureInstance } from './systems.js';

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** A dovetail.yaml for these systems, with overrides merged in; written to a temp folder. */
export function settingsFor(tryton: TrytonDatabase, vendure: VendureInstance, overrides: Record<string, Record<string, unknown>> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-'));
  const raw: Record<string, Record<string, unknown>> = {
    database: INTEGRATION_BACKEND === 'postgres' ? { driver: 'postgres', url: postgresDatabaseBeingMade() } : { driver: 'sqlite', path: 'dovetail.sqlite' },
    systems: {
      inventory: { type: 'tryton', url: tryton.url, database: tryton.database, username: tryton.username, password: '${TRYTON_PASSWORD}' },
      store: { type: 'vendure', url: vendure.url, username: vendure.adminUsername, password: '${VENDURE_PASSWORD}', webhookSecret: '${DOVETAIL_WEBHOOK_SECRET}' },
    },
    inventory: { debounceMs: 0 },
    sync: { pollIntervalMs: 300 },
  };
  // a database is one choice, not a set of keys: an override of it replaces the backend's default
  // (a SQLite file given while the tests run on PostgreSQL must not keep the PostgreSQL url)
  for (const [k, v] of Object.entries(overrides)) raw[k] = k === 'database' ? v : { ...(raw[k] ?? {}), ...v };
  const file = path.join(dir, 'dovetail.yaml');
  const text = stringify(raw);
  writeFileSync(file, text);
  const env = { TRYTON_PASSWORD: tryton.password, VENDURE_PASSWORD: vendure.adminPassword, DOVETAIL_WEBHOOK_SECRET: WEBHOOK_SECRET };
  return { file, dir, env, config: parseConfig(text, env, file, { baseDir: dir }) };
}

/**
 * PostgreSQL databases named by settingsFor, each being created; whoever opens one first waits
 * for it. They stay behind for the test run's cleanup of `dovetail_t_*`: several engines and
 * processes of a file open the same one, and none knows which of them is the last.
 */
const databasesBeingMade = new Map<string, Promise<void>>();

function postgresDatabaseBeingMade(): string {
  const db = plannedPostgresDatabase();
  const made = db.create();
  made.catch(() => undefined); // reported to whoever waits for it
  databasesBeingMade.set(db.url, made);
  return db.url;
}

/** Waits until the database behind `url` exists (at once for one settingsFor did not make). */
export async function databaseReady(url: string | undefined): Promise<void> {
  if (url) await databasesBeingMade.get(url);
}

/**
 * Dovetail in-process. On PostgreSQL (DOVETAIL_TEST_BACKEND=postgres) three workers, each with
 * its own storage pool and connectors, share the database; the engine returned drives them all.
 */
export async function engineFor(config: Config): Promise<Engine> {
  const open = async () => new Engine(await openContext(config, createLogger(process.env.DOVETAIL_TEST_LOG ?? 'silent')));
  if (config.database.driver !== 'postgres') return open();
  await databaseReady(config.database.url);
  const [first, ...others] = await Promise.all(Array.from({ length: INTEGRATION_WORKERS }, open));
  return others.length ? asOneEngine(first, others) : first;
}

/**
 * Makes `first` stand for all the workers, so a test written for one engine exercises several
 * competing for the same feeds and jobs: its passes poll and work on all of them at once, and
 * closing its storage closes theirs. Its upkeep (`run`, `sync`) stays its own. Between passes the
 * workers hold no feed: an engine a test is not driving must not keep `dovetail run` processes of
 * the same test from the feeds and the shared creates (a live worker in production is always driven).
 */
function asOneEngine(first: Engine, others: Engine[]): Engine {
  const firstPollAll = first.pollAll.bind(first);
  first.pollAll = async () => { await Promise.all([firstPollAll(), ...others.map((e) => e.pollAll())]); };
  const runners = [first.runner.runReady.bind(first.runner), ...others.map((e) => e.runner.runReady.bind(e.runner))];
  // One engine's pass ends when nothing is ready. With several, one may stop while another still
  // makes follow-ups the stopped one holds the lock for: the workers go round again until none worked.
  first.runner.runReady = async (signal, onBatch) => {
    const total: RunStats = { done: 0, retrying: 0, failed: 0 };
    for (;;) {
      const rounds = await Promise.all(runners.map((runReady) => runReady(signal, onBatch)));
      let worked = 0;
      for (const r of rounds) { total.done += r.done; total.retrying += r.retrying; total.failed += r.failed; worked += r.done + r.retrying + r.failed; }
      if (!worked || signal?.aborted) {
        await Promise.all([first, ...others].map((e) => e.ctx.storage.releaseFeeds()));
        return total;
      }
    }
  };
  const closeFirst = first.ctx.storage.close.bind(first.ctx.storage);
  first.ctx.storage.close = async () => { await Promise.all([closeFirst(), ...others.map((e) => e.ctx.storage.close())]); };
  return first;
}

export async function trytonAdmin(db: TrytonDatabase): Promise<TrytonClient> {
  const t = new TrytonClient(db);
  await t.login();
  return t;
}

/** A goods product with one variant (SKU = suffix code), salable, in the "Goods" category. */
export async function createTrytonProduct(t: TrytonClient, sku: string, name: string, price: string): Promise<number> {
  const unit = await t.xmlId('product', 'uom_unit');
  const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
  await t.create('product.template', [{ name, type: 'goods', default_uom: unit, list_price: dec(price), salable: true, sale_uom: unit,
    account_category: category, products: [['create', [{ suffix_code: sku, cost_price: dec('1') }]]] }]);
  const [id] = await t.search('product.product', [['code', '=', sku]]);
  return id;
}

/** Receives `quantity` units into the first warehouse's storage through a stock inventory. */
export async function receiveStock(t: TrytonClient, productId: number, quantity: number): Promise<void> {
  const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
  const company = t.context.company as number;
  const [inv] = await t.create('stock.inventory', [{ location: wh.storage_location, company, lines: [['create', [{ product: productId, quantity }]]] }]);
  await t.button('stock.inventory', 'confirm', [inv]);
}

export async function salesFor(t: TrytonClient, orderCode: string) {
  return t.searchRead<{ id: number; state: string; total_amount: unknown; party: number; agent: number | null; lines: number[] }>('sale.sale',
    [['reference', '=', orderCode]], ['state', 'total_amount', 'party', 'agent', 'lines']);
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Ships what is in stock of the order's open customer shipment, as a warehouse does (flow.mjs):
 * assign what is available, drop the unassigned rest (it goes to a backorder), pick, pack, done.
 */
export async function shipWhatIsThere(t: TrytonClient, orderCode: string, opts: { carrier?: number; tracking?: string } = {}): Promise<number> {
  const [sale] = await t.searchRead<{ shipments: number[]; state: string }>('sale.sale', [['reference', '=', orderCode]], ['shipments', 'state']);
  const ships = await t.read<{ id: number; state: string }>('stock.shipment.out', sale?.shipments ?? [], ['state']);
  const open = ships.find((s) => ['draft', 'waiting', 'assigned'].includes(s.state));
  if (!open) throw new Error(`order ${orderCode} has no open shipment in Tryton (sale ${JSON.stringify(sale)}, shipments ${JSON.stringify(ships)})`);
  if (opts.carrier !== undefined || opts.tracking !== undefined) {
    await t.write('stock.shipment.out', [open.id], { ...(opts.carrier !== undefined ? { carrier: opts.carrier } : {}), ...(opts.tracking !== undefined ? { reference: opts.tracking } : {}) });
  }
  await t.button('stock.shipment.out', 'assign_try', [open.id]);
  const [{ inventory_moves }] = await t.read<{ inventory_moves: number[] }>('stock.shipment.out', [open.id], ['inventory_moves']);
  const unassigned = (await t.read<{ id: number; state: string }>('stock.move', inventory_moves, ['state'])).filter((m) => m.state === 'draft').map((m) => m.id);
  if (unassigned.length) {
    await t.write('stock.shipment.out', [open.id], { inventory_moves: [['delete', unassigned]] });
    await t.button('stock.shipment.out', 'assign_try', [open.id]);
  }
  for (const step of ['pick', 'pack', 'done']) await t.button('stock.shipment.out', step, [open.id]);
  return open.id;
}
