// The real engine (its handlers, runner, intake and a real SQLite storage) joined to the in-memory
// reference pair, so each rule value can be shown end to end in milliseconds.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { Engine } from '../../../src/engine/engine.js';
import { openStorage } from '../../../src/engine/open.js';
import { createLogger } from '../../../src/log.js';
import type { Customer } from '../../../src/model/customer.js';
import { MemoryInventory, MemoryStore } from '../../reference/index.js';
import { dyingAt } from '../../helpers/dying-at.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../../helpers/unreachable-systems.js';

export interface Settings {
  rules?: Record<string, unknown>;
  master?: Record<string, string>;
  inventory?: Record<string, unknown>;
  ownership?: Record<string, string>;
  email?: Record<string, unknown>;
  reconcile?: Record<string, unknown>;
}

export interface Shop {
  engine: Engine;
  store: MemoryStore;
  inv: MemoryInventory;
  /** polls and works until a pass has nothing left to do (each system's echoes included) */
  settle(): Promise<void>;
  /** audit actions for one record, oldest first */
  actions(key: string): Promise<string[]>;
  audit(key: string): Promise<{ action: string; setting: string | null; result: string; detail: Record<string, unknown> | null }[]>;
  conflicts(key: string): Promise<{ fieldGroup: string; otherValue: string }[]>;
  /** the engine dies at failpoint `name` (as a SIGKILL there would leave things), `meanwhile` happens, then it comes back and settles */
  crashAt(name: string, meanwhile?: () => void): Promise<void>;
  /** time passes: jobs waiting to be tried again are due now, and the engine settles */
  later(): Promise<void>;
  close(): Promise<void>;
}

/** Every feed is read two rows a page, so paging runs in every test. */
const PAGE = 2;

/** The settings the systems block of which Dovetail never dials: the memory pair is handed to the engine instead. */
export async function openShop(settings: Settings = {}): Promise<Shop> {
  const text = unreachableSettings(stringify({ database: { path: ':memory:' }, rules: settings.rules ?? {}, master: settings.master ?? {},
    ownership: settings.ownership ?? {}, email: settings.email ?? {}, inventory: { debounceMs: 0, ...settings.inventory }, reconcile: settings.reconcile ?? {} }));
  const config = parseConfig(text, UNREACHABLE_ENV, 'test.yaml');
  const store = new MemoryStore({ pageSize: PAGE });
  const inv = new MemoryInventory({ pageSize: PAGE });
  const engine = new Engine({ config, storage: await openStorage(config), store, inventory: inv, log: createLogger('silent') });

  async function settle() {
    for (let pass = 0; pass < 30; pass++) {
      const s = await engine.tick();
      if (s.done + s.retrying + s.failed === 0) return;
    }
    assert.fail('the engine kept finding work after 30 passes (two systems echoing each other?)');
  }
  async function later() {
    await engine.ctx.storage.db.updateTable('jobs').set({ run_after: new Date().toISOString() }).where('state', '=', 'pending').execute();
    await settle();
  }
  const trail = async (key: string) => (await engine.ctx.storage.auditTrail(key, 1000)).reverse();
  return {
    engine, store, inv, settle,
    actions: async (key) => (await trail(key)).map((a) => a.action),
    audit: async (key) => (await trail(key)).map((a) => ({ action: a.action, setting: a.setting, result: a.result, detail: a.detail ? JSON.parse(a.detail) as Record<string, unknown> : null })),
    conflicts: async (key) => (await engine.ctx.storage.conflicts()).filter((c) => c.recordKey === key),
    async crashAt(name, meanwhile) {
      await dyingAt(name, settle);
      meanwhile?.();
      await later(); // back up: the job the crash interrupted runs again, as after a restart
    },
    later,
    close: () => engine.ctx.storage.close(),
  };
}

export const customer = (email: string, more: Partial<Customer> = {}): Customer => ({
  email, firstName: 'Ada', lastName: 'Lovelace', addresses: [{ fullName: 'Ada Lovelace', street1: '1 Main St', city: 'Berlin', postalCode: '10115', countryCode: 'DE' }], ...more,
});

/** Products in both systems (made in the inventory system, carried to the store), with stock published. */
export async function stocked(shop: Shop, products: { sku: string; priceMinor: number; onHand: number }[]): Promise<void> {
  for (const p of products) shop.inv.addProduct(p.sku, { priceMinor: p.priceMinor, onHand: p.onHand });
  await shop.settle();
}

type PlaceOrder = Parameters<MemoryStore['placeOrder']>[0];

/** A web order placed in the store (by ada@example.com unless said) and worked through. */
export async function importedOrder(shop: Shop, lines: PlaceOrder['lines'], o: Partial<Omit<PlaceOrder, 'lines'>> = {}): Promise<string> {
  const code = shop.store.placeOrder({ customer: customer('ada@example.com'), ...o, lines });
  await shop.settle();
  return code;
}
