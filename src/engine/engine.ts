// The engine: poll every feed, run every ready job, repeat until stopped. Also the first full
// load (`dovetail sync`), which queues every record of a kind and works the queue down.
import { messageOf } from '../errors.js';
import type { EngineContext } from './context.js';
import { customerToStore } from './handlers/customers-to-store.js';
import { offlineOrderToStore } from './handlers/offline-orders.js';
import { orderChanges } from './handlers/order-changes.js';
import { customerToInventory, importOrder } from './handlers/orders.js';
import { productFromStore, productToStore } from './handlers/products.js';
import { shipmentsToStore } from './handlers/shipments.js';
import { stockToStore } from './handlers/stock.js';
import { MONEY_HANDLERS } from './handlers/payments.js';
import { FEEDS, pollFeed } from './intake.js';
import { JOB } from './job-kinds.js';
import { JobRunner, type RunStats } from './runner.js';

export type SyncKind = 'products' | 'stock' | 'customers' | 'orders';

export interface FeedState { system: string; kind: string; lastPollAt: string | null; lastError: string | null; fresh: number }

export class Engine {
  readonly runner: JobRunner;
  readonly feeds = new Map<string, FeedState>();

  constructor(readonly ctx: EngineContext) {
    // Order matters: a product must exist in the store before its stock, a customer before a sale.
    this.runner = new JobRunner(ctx, [productToStore, productFromStore, customerToInventory, importOrder, customerToStore, offlineOrderToStore, shipmentsToStore, orderChanges, stockToStore,
      // money after orders (and shipments): a payment is recorded against a sale that exists
      ...MONEY_HANDLERS]);
  }

  /** One pass: read every feed, then work every ready job. */
  async tick(signal?: AbortSignal): Promise<RunStats> {
    await this.pollAll();
    return this.runner.runReady(signal);
  }

  async pollAll(): Promise<void> {
    for (const feed of FEEDS) {
      const system = feed.side === 'inventory' ? this.ctx.inventory.system : this.ctx.store.system;
      const state: FeedState = this.feeds.get(`${system}.${feed.kind}`) ?? { system, kind: feed.kind, lastPollAt: null, lastError: null, fresh: 0 };
      this.feeds.set(`${system}.${feed.kind}`, state);
      if (feed.kind === 'stock' && !this.ctx.config.rules.liveInventory) continue;
      if (feed.enabled && !feed.enabled(this.ctx.config)) continue;
      try {
        state.fresh += await pollFeed(this.ctx, feed);
        state.lastPollAt = new Date().toISOString();
        state.lastError = null;
      } catch (err) {
        // One system being down must not stop the other flows; the cursor did not move.
        state.lastError = messageOf(err);
        this.ctx.log.warn({ feed: `${system}.${feed.kind}`, err: state.lastError }, 'could not read changes; will try again');
      }
    }
  }

  private wakeUp: AbortController | null = null;
  private woken = false;

  /** Ends the current pause early (or skips the next one): a pushed event or a retry wants work done now. */
  wake(): void { this.woken = true; this.wakeUp?.abort(); }

  /** Runs until `signal` aborts: poll, work, sleep. Returns after the current step on abort. */
  async run(signal: AbortSignal): Promise<void> {
    await this.runner.recover();
    while (!signal.aborted) {
      await this.tick(signal);
      await this.runner.heartbeat();
      if (this.woken) { this.woken = false; continue; }
      this.wakeUp = new AbortController();
      await sleep(this.ctx.config.sync.pollIntervalMs, AbortSignal.any([signal, this.wakeUp.signal]));
      this.woken = false;
    }
  }

  /** First full load of one kind: queue every record, then work the queue down, reporting progress. */
  async sync(kind: SyncKind, onProgress?: (p: { queued: number; done: number; failed: number }) => void): Promise<{ queued: number; stats: RunStats }> {
    await this.runner.recover();
    const pageSize = this.ctx.config.sync.batchSize;
    const { source, job } = {
      products: { source: this.ctx.inventory, job: JOB.productToStore },
      stock: { source: this.ctx.inventory, job: JOB.stock },
      customers: { source: this.ctx.store, job: JOB.customer },
      orders: { source: this.ctx.store, job: JOB.order },
    }[kind];
    let queued = 0;
    for (let offset = 0; ; offset += pageSize) {
      const keys = kind === 'orders' ? await this.ctx.store.listOrderCodes(offset, pageSize)
        : kind === 'customers' ? await this.ctx.store.listCustomerEmails(offset, pageSize)
        : await source.listSkus(offset, pageSize);
      for (const key of keys) { await this.ctx.storage.enqueue({ kind: job, key, reason: `first full load of ${kind}` }); queued++; }
      if (keys.length < pageSize) break;
    }
    const total: RunStats = { done: 0, retrying: 0, failed: 0 };
    for (;;) {
      const s = await this.runner.runReady();
      total.done += s.done; total.retrying += s.retrying; total.failed += s.failed;
      onProgress?.({ queued, done: total.done, failed: total.failed });
      const waiting = await this.ctx.storage.jobs({ state: 'pending' });
      if (!waiting.length) break;
      // retries wait for their backoff; wait for the earliest one
      const next = Math.min(...waiting.map((j) => Date.parse(j.runAfter))) - Date.now();
      await sleep(Math.max(50, Math.min(next, 5_000)));
    }
    return { queued, stats: total };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}
