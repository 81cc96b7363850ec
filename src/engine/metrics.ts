// Prometheus metrics: counters the engine bumps as it works (changes in, job outcomes), plus
// gauges read from durable state when scraped (queue depth, lag per flow, API calls per system).
import { Counter, Gauge, Registry } from 'prom-client';
import type { EngineContext } from './context.js';

/** Process-wide counters; several engines in one process (tests) add to the same ones. */
export const engineRegistry = new Registry();

export const changesReceived = new Counter({
  name: 'dovetail_changes_received_total', help: 'New changes recorded (duplicates not counted), by system and kind',
  labelNames: ['system', 'kind'] as const, registers: [engineRegistry],
});

export const jobOutcomes = new Counter({
  name: 'dovetail_jobs_total', help: 'Job attempts by kind and outcome (done, retrying, failed)',
  labelNames: ['kind', 'outcome'] as const, registers: [engineRegistry],
});

/** The job kinds of each flow, as the dashboard and /metrics group them. */
export const FLOW_JOBS: Record<string, string[]> = {
  products: ['product.toStore', 'product.fromStore'],
  stock: ['stock'],
  customers: ['customer', 'customer.toStore'],
  orders: ['order', 'order.toStore'],
  shipments: ['shipment.toStore'],
  payments: ['payment.fromStore', 'payment.capture', 'payment.fromInventory', 'refund.fromStore', 'refund.fromInventory'],
  changes: ['order.changes'],
  images: ['images'],
};

/** A connector's HTTP client call count, when its client exposes one (Tryton and Vendure do). */
export function apiCallsOf(connector: unknown): number | null {
  const client = (connector as { client?: { calls?: unknown } } | null)?.client;
  return typeof client?.calls === 'number' ? client.calls : null;
}

/**
 * A registry for one running engine: gauges computed from its storage at scrape time. Scrapes
 * are rare (seconds apart), so reading the jobs table then is cheaper than tracking it live.
 */
export function engineGauges(ctx: EngineContext): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'dovetail_queue_depth', help: 'Jobs by state (pending, running, failed, done)', labelNames: ['state'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries(await ctx.storage.queueDepth())) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'dovetail_flow_lag_seconds', help: 'Age of the oldest job still waiting or running in each flow; 0 when the flow is caught up',
    labelNames: ['flow'] as const, registers: [registry],
    async collect() {
      this.reset();
      const rows = await ctx.storage.db.selectFrom('jobs').select(['kind', (eb) => eb.fn.min('created_at').as('oldest')])
        .where('state', 'in', ['pending', 'running']).groupBy('kind').execute();
      const now = Date.now();
      for (const [flow, kinds] of Object.entries(FLOW_JOBS)) {
        const oldest = rows.filter((r) => kinds.includes(r.kind) && r.oldest).map((r) => Date.parse(String(r.oldest)));
        this.set({ flow }, oldest.length ? Math.max(0, (now - Math.min(...oldest)) / 1000) : 0);
      }
    },
  });
  new Counter({
    name: 'dovetail_api_calls_total', help: 'HTTP calls made to each system by this process', labelNames: ['system'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const c of [ctx.inventory, ctx.store]) {
        const n = apiCallsOf(c);
        if (n !== null) this.inc({ system: c.system }, n);
      }
    },
  });
  workerGauges(ctx, registry);
  // ---- reconcile ----
  new Gauge({
    name: 'dovetail_drift_records', help: 'Differences the last dovetail reconcile found that are still open, by kind (products, stock, orders)',
    labelNames: ['kind'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const [kind, n] of Object.entries(await ctx.storage.openDriftByKind())) this.set({ kind }, n);
    },
  });
  new Gauge({
    name: 'dovetail_reconcile_last_run_timestamp_seconds', help: 'When the last dovetail reconcile started (Unix time); absent before the first',
    registers: [registry],
    async collect() {
      this.reset();
      const last = await ctx.storage.lastReconcileRun();
      if (last) this.set(Date.parse(last.startedAt) / 1000);
    },
  });
  return registry;
}

/** Every worker sharing the database (one on SQLite), from the workers registry. */
function workerGauges(ctx: EngineContext, registry: Registry): void {
  const workers = () => ctx.storage.workers();
  new Gauge({
    name: 'dovetail_workers', help: 'Workers (dovetail run / sync processes) alive on this database', registers: [registry],
    async collect() { this.set((await workers()).length); },
  });
  new Gauge({
    name: 'dovetail_worker_jobs_running', help: 'Jobs each worker is running now', labelNames: ['worker', 'host'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const w of await workers()) this.set({ worker: w.id, host: w.host }, w.jobsRunning);
    },
  });
  new Gauge({
    name: 'dovetail_worker_feeds_owned', help: 'Feeds each worker polls (each feed has one poller at a time)', labelNames: ['worker', 'host'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const w of await workers()) this.set({ worker: w.id, host: w.host }, w.feeds.length);
    },
  });
}

/** The text a Prometheus scrape gets: the engine's counters and this engine's gauges. */
const gaugesByEngine = new WeakMap<EngineContext, Registry>();
export async function metricsText(ctx: EngineContext): Promise<{ contentType: string; body: string }> {
  let own = gaugesByEngine.get(ctx);
  if (!own) { own = engineGauges(ctx); gaugesByEngine.set(ctx, own); }
  return { contentType: engineRegistry.contentType, body: `${await engineRegistry.metrics()}\n${await own.metrics()}` };
}
