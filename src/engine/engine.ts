// The engine: poll every feed, run every ready job, repeat until stopped. Also the first full
// load (`dovetail sync`), which queues every record of a kind and works the queue down.
import { hostname } from 'node:os';
import pLimit from 'p-limit';
import { messageOf } from '../errors.js';
import type { EngineContext } from './context.js';
import { customerToStore } from './handlers/customers-to-store.js';
import { offlineOrderToStore } from './handlers/offline-orders.js';
import { orderChanges } from './handlers/order-changes.js';
import { customerToInventory, importOrder } from './handlers/orders.js';
import { productFromStore, productToStore } from './handlers/products.js';
import { shipmentsToStore } from './handlers/shipments.js';
import { stockToStore } from './handlers/stock.js';
import { productImages } from './handlers/images.js';
import { carriedReferenceSets, referenceSetSync, type ReferenceSetKey } from './handlers/reference-sets.js';
import { MONEY_HANDLERS } from './handlers/payments.js';
import { FEEDS, feedCarried, pollFeed } from './intake.js';
import { feedIsRead } from '../rules/live-inventory.js';
import { JOB } from './job-kinds.js';
import { StorageError, storageFailure } from '../store/failures.js';
import { backoffMs } from './backoff.js';
import { EngineHealth } from './health.js';
import { JobRunner, type RunStats } from './runner.js';
import { housekeep } from './housekeeping.js';
import { reconcileRun } from './reconcile/job.js';

/** feeds read at once: enough to overlap the systems' answers, few enough not to crowd a small server */
const FEEDS_AT_ONCE = 4;
/** the shortest pause between passes while jobs are due (their records busy on another worker) */
const MIN_PAUSE_MS = 250;
/** after a failed pass the engine tries again sooner than this, however often it failed */
const MAX_PAUSE_AFTER_FAILURE_MS = 30_000;
/** `dovetail sync` waits for a retry due sooner than this; later ones are left to `dovetail run` */
const SYNC_WAITS_FOR_RETRY_MS = 60_000;

export type SyncKind = 'products' | 'stock' | 'customers' | 'orders';

export interface FeedState {
  system: string; kind: string; lastPollAt: string | null; lastError: string | null; fresh: number;
  /** another worker sharing the database polls this feed now (PostgreSQL; never on SQLite) */
  polledElsewhere?: boolean;
}

export class Engine {
  readonly runner: JobRunner;
  readonly feeds = new Map<string, FeedState>();

  /** this process in the workers registry */
  readonly worker: { id: string; host: string; pid: number; startedAt: string };

  constructor(readonly ctx: EngineContext, opts: { leaseMs?: number } = {}) {
    // Order matters: a product must exist in the store before its stock, a customer before a sale.
    this.runner = new JobRunner(ctx, [productToStore, productFromStore,
      productImages, // after the product exists in the store
      customerToInventory, importOrder, customerToStore, offlineOrderToStore, shipmentsToStore, orderChanges, stockToStore,
      // money after orders (and shipments): a payment is recorded against a sale that exists
      ...MONEY_HANDLERS,
      // reference sets last: nothing else waits for them, and an order imports with the rates it was charged
      referenceSetSync], { leaseMs: opts.leaseMs ?? ctx.config.sync.jobLeaseMs, onProgress: () => this.health.progressed() });
    this.worker = { id: this.runner.worker, host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
    this.reconcileRunner = new JobRunner(ctx, [reconcileRun(() => this.stopReconcile)], { leaseMs: opts.leaseMs ?? ctx.config.sync.jobLeaseMs });
  }

  // ---- scheduled reconcile (reconcile.everyHours) ----
  /** works reconcile jobs only, beside the main runner, so a run of minutes never holds up the flows */
  readonly reconcileRunner: JobRunner;
  private reconciling: Promise<unknown> | null = null;
  /** the signal of the running `run`: a scheduled reconcile stops between pages with it */
  private stopReconcile: AbortSignal | undefined;

  /** Queues a reconcile when the last one (by any worker) started longer ago than reconcile.everyHours, and works it in the background. */
  private async reconcileWhenDue(signal: AbortSignal): Promise<void> {
    const hours = this.ctx.config.reconcile.everyHours;
    if (!hours || this.reconciling) return;
    // the first run comes a period after Dovetail first linked a record, not at the first start of
    // a fresh install (the first full load is running then, and there is nothing to compare yet)
    const since = (await this.ctx.storage.lastReconcileRun())?.startedAt ?? await this.ctx.storage.firstMappingAt();
    if (since && Date.now() - Date.parse(since) >= hours * 3_600_000) {
      await this.ctx.storage.enqueue({ kind: JOB.reconcile, key: 'all', reason: `every ${hours} h (reconcile.everyHours)` });
    }
    this.reconciling = this.reconcileRunner.runReady(signal)
      .catch((err: unknown) => this.ctx.log.error({ err: messageOf(storageFailure(err)) }, 'scheduled reconcile failed; trying again'))
      .finally(() => { this.reconciling = null; });
  }

  /** One pass: read every feed, then work every ready job. */
  async tick(signal?: AbortSignal): Promise<RunStats> {
    await this.pollAll();
    return this.runner.runReady(signal);
  }

  /**
   * Reads every feed, a few at once: each feed waits on its system's answer, not on the others'
   * (read one after another, the feeds of a tick took longer than publishing what they found).
   * The database sees their writes one transaction at a time as before.
   */
  async pollAll(): Promise<void> {
    let ownershipChanged = false;
    const limit = pLimit(FEEDS_AT_ONCE);
    await Promise.all(FEEDS.map((feed) => limit(async () => {
      const system = feed.side === 'inventory' ? this.ctx.inventory.system : this.ctx.store.system;
      const state: FeedState = this.feeds.get(`${system}.${feed.kind}`) ?? { system, kind: feed.kind, lastPollAt: null, lastError: null, fresh: 0 };
      this.feeds.set(`${system}.${feed.kind}`, state);
      // a feed the settings or the connector leave unread is not polled, nor shown as read
      if (!feedIsRead(feed, this.ctx.config) || !feedCarried(feed, feed.side === 'inventory' ? this.ctx.inventory : this.ctx.store)) return;
      // several workers on one PostgreSQL: each feed is read by one of them at a time
      const elsewhere = !(await this.ctx.storage.tryOwnFeed(system, feed.kind));
      if (elsewhere !== state.polledElsewhere) ownershipChanged = true;
      state.polledElsewhere = elsewhere;
      if (elsewhere) return;
      try {
        state.fresh += await pollFeed(this.ctx, feed);
        this.health.progressed();
        state.lastPollAt = new Date().toISOString();
        state.lastError = null;
      } catch (err) {
        // Dovetail's own database failing is not the system's fault: the whole pass fails and says so.
        const failure = storageFailure(err);
        if (failure instanceof StorageError) throw failure;
        // One system being down must not stop the other flows; the cursor did not move.
        state.lastError = messageOf(err);
        this.ctx.log.warn({ feed: `${system}.${feed.kind}`, err: state.lastError }, 'could not read changes; will try again');
      }
    })));
    // the registry shows a feed's new poller at once, not at the next upkeep
    if (ownershipChanged) await this.ctx.storage.workerAlive(this.worker);
  }

  /** when `run` last queued the reference sets (sync.referenceSetsEveryMs); 0: not yet, so at start */
  private referenceSetsQueuedAt = 0;

  /**
   * Queues one pass over each reference set (tax rates, shipping methods) both connectors carry,
   * or only `only`. `run` calls it every sync.referenceSetsEveryMs; `dovetail sync` on demand.
   */
  async queueReferenceSets(reason: string, only?: ReferenceSetKey): Promise<ReferenceSetKey[]> {
    const sets = carriedReferenceSets(this.ctx).filter((k) => !only || k === only);
    for (const key of sets) await this.ctx.storage.enqueue({ kind: JOB.referenceSet, key, reason });
    return sets;
  }

  private async queueReferenceSetsWhenDue(): Promise<void> {
    const every = this.ctx.config.sync.referenceSetsEveryMs;
    if (Date.now() - this.referenceSetsQueuedAt < every) return;
    await this.queueReferenceSets(`every ${every / 1000} s (sync.referenceSetsEveryMs)`);
    this.referenceSetsQueuedAt = Date.now();
  }

  private wakeUp: AbortController | null = null;
  private woken = false;
  readonly health = new EngineHealth();

  /** How long the engine may go without finishing a step before it counts as stuck (a call that never returns). */
  get stallAfterMs(): number { return Math.max(180_000, 10 * this.ctx.config.sync.pollIntervalMs); }

  /**
   * Whether Dovetail can do its work now: the engine's own problem (null: none), and each
   * system's state as its feeds last met it — 'unreachable' with the reason, 'ok', or 'not read
   * yet'. What /healthz and /readyz answer, and the dashboard shows.
   */
  readiness(): { engine: string | null; systems: Record<string, { state: 'ok' | 'unreachable' | 'not read yet'; reason: string | null }> } {
    const systems: ReturnType<Engine['readiness']>['systems'] = {};
    for (const system of [this.ctx.inventory.system, this.ctx.store.system]) {
      const all = [...this.feeds.values()].filter((f) => f.system === system);
      // a feed another worker reads is that worker's to judge; with all of them elsewhere, this one is ready
      const feeds = all.filter((f) => !f.polledElsewhere);
      const failing = feeds.find((f) => f.lastError);
      systems[system] = failing ? { state: 'unreachable', reason: failing.lastError }
        : feeds.some((f) => f.lastPollAt) || (all.length && !feeds.length) ? { state: 'ok', reason: null } : { state: 'not read yet', reason: null };
    }
    return { engine: this.health.problem(this.stallAfterMs), systems };
  }

  /** Ends the current pause early (or skips the next one): a pushed event or a retry wants work done now. */
  wake(): void { this.woken = true; this.wakeUp?.abort(); }

  /**
   * Runs until `signal` aborts: poll, work, sleep. Returns after the current step on abort. A pass
   * that fails (the database locked for minutes, a full disk) is logged, shown by `health` and
   * tried again after a growing pause: the loop itself never ends while the process lives, so a
   * webhook accepted with 200 is always worked on once the fault passes.
   */
  async run(signal: AbortSignal): Promise<void> {
    const upkeep = this.startUpkeep();
    const housekeeping = this.startHousekeeping(signal);
    this.stopReconcile = signal;
    try {
      let failedPasses = 0;
      let nextPollAt = 0;
      while (!signal.aborted) {
        const every = this.ctx.config.sync.pollIntervalMs;
        let pause = every;
        try {
          await this.queueReferenceSetsWhenDue();
          await this.reconcileWhenDue(signal);
          // the feeds are read every poll interval (or when woken); jobs that come due between two
          // polls (a debounced stock refresh, a retry) are worked when due, not at the next poll
          if (Date.now() >= nextPollAt || this.woken) {
            this.woken = false;
            await this.pollAll();
            nextPollAt = Date.now() + every;
          }
          await this.runner.runReady(signal);
          this.health.passed();
          failedPasses = 0;
          const due = await this.runner.nextDue();
          pause = Math.max(0, nextPollAt - Date.now());
          if (due) pause = Math.min(pause, Math.max(MIN_PAUSE_MS, Date.parse(due) - Date.now()));
        } catch (err) {
          failedPasses++;
          const why = messageOf(storageFailure(err));
          this.health.failed(why);
          this.ctx.log.error({ err: why, failedPasses }, 'engine pass failed; trying again');
          pause = Math.min(backoffMs(failedPasses), MAX_PAUSE_AFTER_FAILURE_MS);
        }
        if (this.woken && !failedPasses) continue;
        this.wakeUp = new AbortController();
        await sleep(pause, AbortSignal.any([signal, this.wakeUp.signal]));
      }
    } finally {
      clearInterval(upkeep);
      await this.reconciling;
      await housekeeping.stop();
      await this.leaveRegistry();
      this.health.stopped();
    }
  }

  /** A clean stop takes this worker off the registry at once; a killed one is aged out. */
  private async leaveRegistry(): Promise<void> {
    await this.ctx.storage.workerStopped(this.worker.id)
      .catch((err: unknown) => this.ctx.log.warn({ err: messageOf(err) }, 'could not remove this worker from the registry; it is aged out'));
  }

  /**
   * At start and every housekeeping.everyMinutes: prunes old changes, finished jobs and audit
   * entries. On a timer of its own, not the lease upkeep's: a long prune must not hold back the
   * renewal of leases, and it works in small batches so the passes go on beside it.
   */
  private startHousekeeping(signal: AbortSignal): { stop: () => Promise<void> } {
    let running: Promise<void> | null = null;
    const prune = async () => {
      try {
        const pruned = await housekeep(this.ctx.storage, this.ctx.config.housekeeping, { signal });
        if (pruned.changes || pruned.doneJobs || pruned.audit) this.ctx.log.info({ pruned }, 'pruned old changes, finished jobs and audit entries');
      } catch (err) {
        // not a failed pass: the work goes on, the tables only grow until the next try
        this.ctx.log.warn({ err: messageOf(storageFailure(err)) }, 'could not prune old rows; will try again');
      } finally { running = null; }
    };
    const start = () => { running ??= prune(); };
    start();
    const timer = setInterval(start, this.ctx.config.housekeeping.everyMinutes * 60_000).unref();
    // the caller closes the database once run() returns: a prune in hand ends its batch first
    return { stop: async () => { clearInterval(timer); await running; } };
  }

  /**
   * Every few seconds, while the engine runs: renews the leases of the jobs this process holds,
   * however long a pass takes, and frees jobs whose worker died (its lease ran out, or its pid is
   * gone on this machine) — a killed `dovetail sync` must not block its records until a restart.
   * It also says in the workers registry that this worker lives, and which feeds it reads, and
   * forgets workers silent for a whole lease.
   */
  private startUpkeep(): NodeJS.Timeout {
    let busy = false;
    const upkeep = async () => {
      if (busy) return;
      busy = true;
      try {
        await this.runner.heartbeat();
        await this.ctx.storage.workerAlive(this.worker);
        await this.reconcileRunner.heartbeat();
        await this.runner.recover();
        await this.ctx.storage.forgetSilentWorkers(this.runner.leaseMs);
      } catch (err) {
        const why = messageOf(storageFailure(err));
        this.health.failed(why);
        this.ctx.log.error({ err: why }, 'could not renew job leases; trying again');
      } finally { busy = false; }
    };
    void upkeep();
    return setInterval(() => void upkeep(), this.runner.upkeepEveryMs).unref();
  }

  /**
   * First full load of one kind: queue every record, then work the queue down, reporting progress.
   * Stops early, after the batch in hand, when `signal` aborts: what is left stays queued for
   * `dovetail run`. Records whose system is down are left to `run` too once their next try is
   * more than a minute away, rather than holding the command for the whole outage.
   */
  async sync(kind: SyncKind, onProgress?: (p: { queued: number; done: number; failed: number }) => void, signal?: AbortSignal)
    : Promise<{ queued: number; stats: RunStats; followUpsFailed: number; left: number }> {
    const upkeep = this.startUpkeep();
    try {
      const pageSize = this.ctx.config.sync.batchSize;
      const { source, job } = {
        products: { source: this.ctx.inventory, job: JOB.productToStore },
        stock: { source: this.ctx.inventory, job: JOB.stock },
        customers: { source: this.ctx.store, job: JOB.customer },
        orders: { source: this.ctx.store, job: JOB.order },
      }[kind];
      let queued = 0;
      for (let offset = 0; !signal?.aborted; offset += pageSize) {
        const keys = kind === 'orders' ? await this.ctx.store.listOrderCodes(offset, pageSize)
          : kind === 'customers' ? await this.ctx.store.listCustomerEmails(offset, pageSize)
          : await source.listSkus(offset, pageSize);
        for (const key of keys) { await this.ctx.storage.enqueue({ kind: job, key, reason: `first full load of ${kind}` }); queued++; }
        if (keys.length < pageSize) break;
      }
      // progress counts the records of this kind; follow-ups (stock after products) run beside them
      const total: RunStats = { done: 0, retrying: 0, failed: 0 };
      let followUpsFailed = 0;
      for (;;) {
        await this.runner.runReady(signal, (kind, batch) => {
          if (kind !== job) { followUpsFailed += batch.failed; return; }
          total.done += batch.done; total.retrying += batch.retrying; total.failed += batch.failed;
          onProgress?.({ queued, done: total.done, failed: total.failed });
        });
        const waiting = await this.ctx.storage.jobs({ state: 'pending' });
        if (!waiting.length || signal?.aborted) return { queued, stats: total, followUpsFailed, left: waiting.length };
        // retries wait for their backoff; wait for the earliest one, unless it is far off
        const next = Math.min(...waiting.map((j) => Date.parse(j.runAfter))) - Date.now();
        if (next > SYNC_WAITS_FOR_RETRY_MS) return { queued, stats: total, followUpsFailed, left: waiting.length };
        await sleep(Math.max(50, Math.min(next, 5_000)), signal);
      }
    } finally {
      clearInterval(upkeep);
      await this.leaveRegistry();
    }
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
