// Changes come in here, from polling or from a pushed webhook, and become jobs. A change and its
// job are written in the same transaction as the cursor that covers them: a crash either keeps
// all three or none, and the next poll reads the same page again (recognised as duplicates).
import { FEED_CAPABILITY, hasCapability, type ChangeRef, type RecordKind } from '../connectors/types.js';
import { PAGES_PER_POLL } from './change-feed.js';
import type { EngineContext } from './context.js';
import { JOB, type JobKind } from './job-kinds.js';
import { changesReceived } from './metrics.js';

export interface Feed {
  side: 'inventory' | 'store'; kind: RecordKind; job: JobKind;
  /** read only when the settings ask for it (absent: always) */
  enabled?: (config: EngineContext['config']) => boolean;
}

export const FEEDS: Feed[] = [
  { side: 'inventory', kind: 'product', job: JOB.productToStore },
  { side: 'inventory', kind: 'stock', job: JOB.stock },
  { side: 'store', kind: 'product', job: JOB.productFromStore },
  { side: 'store', kind: 'order', job: JOB.order },
  { side: 'store', kind: 'customer', job: JOB.customer },
  { side: 'inventory', kind: 'shipment', job: JOB.shipment },
  // a web order's sale changed in the inventory system (cancelled, returned, amended); the store's
  // changes to placed orders come through its order feed (importOrder passes them on)
  { side: 'inventory', kind: 'sale', job: JOB.orderChanges },
  // money: every capture the store made by itself is recorded; the other feeds follow the rules
  { side: 'store', kind: 'payment', job: JOB.paymentFromStore },
  { side: 'store', kind: 'refund', job: JOB.refundFromStore, enabled: (c) => c.rules.refundsIn === 'store' },
  { side: 'inventory', kind: 'payment', job: JOB.paymentFromInventory, enabled: (c) => c.rules.settleFrom === 'inventory' },
  { side: 'inventory', kind: 'creditNote', job: JOB.refundFromInventory, enabled: (c) => c.rules.refundsIn === 'inventory' },
  { side: 'inventory', kind: 'order', job: JOB.offlineOrder, enabled: (c) => c.rules.offlineOrdersToStore !== 'none' || c.rules.quotesFrom === 'inventory' },
  // parties: store accounts for phone customers (rules.offlineCustomerAccounts), and every linked customer's edits (master.customers)
  { side: 'inventory', kind: 'customer', job: JOB.customerToStore },
  // product images: a change on either side is one job comparing both (master.productImages)
  { side: 'store', kind: 'images', job: JOB.productImages },
  { side: 'inventory', kind: 'images', job: JOB.productImages },
];

function jobFor(side: Feed['side'], kind: RecordKind): JobKind | undefined {
  return FEEDS.find((f) => f.side === side && f.kind === kind)?.job;
}

/** Records changes once each and queues a job per new change; returns how many were new. */
export async function accept(ctx: EngineContext, side: Feed['side'], changes: ChangeRef[], cursor?: { feed: string; value: string }): Promise<number> {
  const system = side === 'inventory' ? ctx.inventory.system : ctx.store.system;
  const counted: RecordKind[] = [];
  const fresh = await ctx.storage.transaction(async (tx) => {
    counted.length = 0;
    const carried = changes.flatMap((c) => { const job = jobFor(side, c.kind); return job ? [{ ...c, job }] : []; });
    // a page's changes are recorded and queued in a few statements, not several per change
    const isNew = await tx.recordChanges(system, carried.map((c) => ({ kind: c.kind, key: c.key, sourceVersion: c.sourceVersion })));
    const fresh = carried.filter((_, i) => isNew[i]);
    for (const c of fresh) counted.push(c.kind);
    await tx.enqueueAll(fresh.map((c) => ({ kind: c.job, key: c.key, reason: `${c.kind} changed in ${system} (${c.sourceVersion})`,
      delayMs: c.job === JOB.stock ? ctx.config.inventory.debounceMs : 0 })));
    if (cursor) await tx.setCursor(system, cursor.feed, cursor.value);
    return fresh.length;
    // Pushed changes (no cursor) are acknowledged to their sender once this commits, and never
    // sent again: their commit must reach the disk. A polled page lost to a power cut is read again.
  }, { durable: !cursor });
  // counted only once committed, so a rolled-back batch is not counted as received
  for (const kind of counted) changesReceived.inc({ system, kind });
  return fresh;
}

/** Whether a system carries what a feed reads (`system`: the connector, or its descriptor). */
export function feedCarried(feed: Feed, system: { side: 'store' | 'inventory'; capabilities: readonly string[] }): boolean {
  const needs = FEED_CAPABILITY[feed.side][feed.kind];
  return !needs || hasCapability(system, needs);
}

/**
 * Reads one feed from its cursor until it has nothing new (or a page limit, to stay responsive);
 * each page's changes and the cursor past them commit together. Polled feeds page with the keyset
 * cursor of change-feed.ts, so the cursor moves on every full page, however many rows share a stamp.
 */
export async function pollFeed(ctx: EngineContext, feed: Feed): Promise<number> {
  const connector = feed.side === 'inventory' ? ctx.inventory : ctx.store;
  if (!feedCarried(feed, connector)) return 0; // `dovetail check` names the answers this leaves undone
  let fresh = 0;
  for (let page = 0; page < PAGES_PER_POLL; page++) {
    const cursor = await ctx.storage.cursor(connector.system, feed.kind);
    const { changes, cursor: next, more } = await connector.readChanges(feed.kind, cursor);
    fresh += await accept(ctx, feed.side, changes, { feed: feed.kind, value: next });
    if (!more || next === cursor) break;
  }
  return fresh;
}
