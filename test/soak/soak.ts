// The fault soak: Dovetail run as real worker processes behind a fault-injecting proxy to each
// system and SIGKILLed every few seconds, while a driver plays shoppers and clerks on the real
// systems; then faults off, Dovetail left to settle, and both systems compared directly.
import { DovetailProcess } from '../integration/helpers/dovetail-process.js';
import { createTrytonProduct, receiveStock, salesFor, settingsFor, trytonAdmin, until } from '../integration/helpers/dovetail.js';
import { freePort } from '../integration/helpers/free-port.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure } from '../integration/helpers/systems.js';
import { shipOnly } from '../integration/helpers/tryton-operator.js';
import { cancelInStore, refundInStore } from '../integration/helpers/vendure-operator.js';
import { freshPostgresDatabase } from '../helpers/storage-backends.js';
import { DovetailError } from '../../src/errors.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import type { Storage } from '../../src/store/storage.js';
import { FAULT_KINDS, FaultProxy, seededRandom, type FaultKind, type FaultRates } from './fault-proxy.js';
import { clean, compareSystems, reconcileDifferences, type Findings, type PlacedOrder } from './final-check.js';

export interface SoakPlan {
  orders: number;
  stockChanges: number;
  partialShipments: number;
  cancellations: number;
  refunds: number;
  /** how long each system is down (once each, a third and two thirds of the way through) */
  outageMs: number;
  /** a worker is SIGKILLed and restarted a pause drawn in [min, max] after it came up */
  killEveryMs: [number, number];
  skus: number;
  rates: FaultRates;
  /** how long Dovetail may take, faults off, to bring both systems to agreement */
  settleMs: number;
  /** how long a clerk waits for an order to be a sale in Tryton before giving its change up (a skipped change fails the soak) */
  changeWaitMs: number;
}

// About one request in fifty fails: an order's import is some 25 calls to Tryton, so most attempts
// still meet a fault somewhere (and a retry) without every attempt failing.
const RATES: FaultRates = { latency: 0.1, rateLimited: 0.005, badGateway: 0.003, unavailable: 0.003, resetMidRequest: 0.003, resetMidResponse: 0.005, hang: 0.001 };

/** order changes waiting for their order at once (each asks Tryton every 250 ms) */
const CHANGES_AT_ONCE = 4;

export const PLANS = {
  short: { orders: 10, stockChanges: 25, partialShipments: 2, cancellations: 1, refunds: 1, outageMs: 10_000, killEveryMs: [8_000, 20_000], skus: 4, rates: RATES, settleMs: 300_000, changeWaitMs: 480_000 },
  // a fifth of the long plan with the same minute-long outages: what one machine runs in under an hour today
  medium: { orders: 100, stockChanges: 400, partialShipments: 10, cancellations: 4, refunds: 4, outageMs: 60_000, killEveryMs: [8_000, 20_000], skus: 20, rates: RATES, settleMs: 900_000, changeWaitMs: 1_800_000 },
  long: { orders: 500, stockChanges: 2_000, partialShipments: 50, cancellations: 20, refunds: 20, outageMs: 60_000, killEveryMs: [8_000, 20_000], skus: 20, rates: RATES, settleMs: 900_000, changeWaitMs: 1_800_000 },
} satisfies Record<string, SoakPlan>;

export type Backend = 'sqlite' | 'postgres';

/** the feed web orders come in by, as the workers registry names it */
const ORDER_FEED = 'vendure.order';

export interface SoakOptions {
  plan: SoakPlan;
  backend: Backend;
  workers: number;
  seed: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  placed: { orders: number; stockChanges: number; partialShipments: number; cancellations: number; refunds: number };
  faults: Record<FaultKind, number>;
  requests: number;
  kills: number;
  /** kills of the worker reading the store's order feed at the time (several workers: another must take it over) */
  orderFeedKills: number;
  /** order changes the driver could not make: their order was not a sale in Tryton in time */
  changesSkipped: number;
  findings: Findings;
  /** each difference `dovetail reconcile` reports after the settle */
  reconcileDrift: string[];
  driveMs: number;
  settleMs: number;
}

type Action =
  | { kind: 'order'; index: number }
  | { kind: 'stock' }
  | { kind: 'ship' | 'cancel' | 'refund'; index: number };

/**
 * The driver's script, drawn from the seed: orders and stock changes shuffled, and each order
 * change placed a few steps after its order, so Dovetail is still busy with the order when it comes.
 */
function script(plan: SoakPlan, random: () => number): { actions: Action[]; changeOf: Map<number, 'ship' | 'cancel' | 'refund'> } {
  const actions: Action[] = [...Array.from({ length: plan.orders }, (_, index): Action => ({ kind: 'order', index })),
    ...Array.from({ length: plan.stockChanges }, (): Action => ({ kind: 'stock' }))];
  for (let i = actions.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [actions[i], actions[j]] = [actions[j]!, actions[i]!]; }
  const changeOf = new Map<number, 'ship' | 'cancel' | 'refund'>();
  const kinds = [...Array(plan.partialShipments).fill('ship'), ...Array(plan.cancellations).fill('cancel'), ...Array(plan.refunds).fill('refund')] as ('ship' | 'cancel' | 'refund')[];
  if (kinds.length > plan.orders) throw new Error(`the plan changes ${kinds.length} orders but places only ${plan.orders}`);
  const step = plan.orders / kinds.length;
  kinds.forEach((k, i) => changeOf.set(Math.floor(i * step), k));
  for (const [index, kind] of changeOf) {
    const at = actions.findIndex((a) => a.kind === 'order' && a.index === index);
    actions.splice(Math.min(actions.length, at + 3 + Math.floor(random() * 10)), 0, { kind, index });
  }
  return { actions, changeOf };
}

/** Refuses a worker count the backend cannot run, before anything is started. */
function checkBackend(opts: SoakOptions): void {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error(`--workers must be a whole number ≥ 1 (got ${opts.workers})`);
  if (opts.backend === 'sqlite' && opts.workers !== 1) {
    throw new Error('--backend sqlite runs one worker (SQLite is one process\'s file): use --workers 1, or --backend postgres for several');
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const { plan } = opts;
  const log = opts.log ?? (() => {});
  checkBackend(opts);
  // PostgreSQL: a database of this run's own on the test server, dropped at the end; the soak reads
  // its workers registry to know which worker reads the store's order feed when it kills one
  const pgdb = opts.backend === 'postgres' ? await freshPostgresDatabase() : undefined;
  // the driver's script and the kills each draw from their own generator, so the script a seed
  // gives does not depend on how fast the machine ran the kills
  const random = seededRandom(opts.seed);
  const killRandom = seededRandom(opts.seed + 3);
  const tdb = await freshTrytonDatabase();
  const vendure = await startVendure();
  const proxies = {
    inventory: await FaultProxy.start({ target: tdb.url, seed: opts.seed + 1, rates: plan.rates, latencyMs: 800, hangMs: 70_000 }),
    store: await FaultProxy.start({ target: vendure.url, seed: opts.seed + 2, rates: plan.rates, latencyMs: 800, hangMs: 70_000 }),
  };
  const workers: DovetailProcess[] = [];
  let stopKilling = () => {};
  let registry: Storage | undefined;
  try {
    const t = await trytonAdmin(tdb);
    const admin = await adminGql(vendure.url);
    const database = pgdb ? { driver: 'postgres', url: pgdb.url, path: undefined } : { driver: 'sqlite', path: 'dovetail.sqlite' };
    const settings = await Promise.all(Array.from({ length: opts.workers }, async () => settingsFor({ ...tdb, url: proxies.inventory.url }, { ...vendure, url: proxies.store.url }, {
      database,
      rules: { cancellationsIn: 'store', orderEditsIn: 'store', refundsIn: 'store', creditMemosIn: 'store', capture: 'atOrder', partialShipmentsToStore: true, shipmentEmailsFrom: 'none' },
      server: { port: await freePort() },
    })));
    for (const s of settings) workers.push(new DovetailProcess(() => s));

    // the catalogue, on sale in the store before any fault
    const skus = Array.from({ length: plan.skus }, (_, i) => `SOAK-${i + 1}`);
    const productIds = new Map<string, number>();
    for (const [i, sku] of skus.entries()) {
      const id = await createTrytonProduct(t, sku, `Soak product ${i + 1}`, `${10 + i}.50`);
      await receiveStock(t, id, 400);
      productIds.set(sku, id);
    }
    for (const w of workers) await w.start();
    if (pgdb) registry = await openPostgres(pgdb.url);
    await until('the catalogue on sale in the store', async () => (await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(
      `query($s: [String!]) { productVariants(options: { filter: { sku: { in: $s } }, take: 100 }) { items { sku stockOnHand } } }`, { s: skus }))
      .productVariants.items.filter((v) => v.stockOnHand === 400).length === skus.length, 180_000);
    log(`catalogue of ${skus.length} SKUs on sale; faults on`);

    proxies.inventory.setFaults(true);
    proxies.store.setFaults(true);
    let kills = 0, orderFeedKills = 0;
    let stopped = false;
    const killer = (async () => {
      let wake = () => {};
      stopKilling = () => { stopped = true; wake(); };
      const pause = (ms: number) => new Promise<void>((resolve) => { const timer = setTimeout(resolve, ms); wake = () => { clearTimeout(timer); resolve(); }; });
      while (!stopped) {
        const victim = Math.floor(killRandom() * workers.length);
        // counted from the moment the worker is up, so a slow machine does not turn every kill into one during start-up
        await serving(settings[victim]!.config.server.port, () => stopped);
        await pause(plan.killEveryMs[0] + killRandom() * (plan.killEveryMs[1] - plan.killEveryMs[0]));
        if (stopped) break;
        const pid = workers[victim]!.pid;
        const readsOrders = registry && (await registry.workers().catch(() => [])).some((w) => w.pid === pid && w.feeds.includes(ORDER_FEED));
        await workers[victim]!.start();
        kills++;
        if (readsOrders) orderFeedKills++;
      }
    })();

    const { actions, changeOf } = script(plan, random);
    const placed: PlacedOrder[] = [];
    const counts = { orders: 0, stockChanges: 0, partialShipments: 0, cancellations: 0, refunds: 0 };
    const outages: Promise<void>[] = [];
    let skipped = 0;
    const startedAt = Date.now();
    const address = { fullName: 'Soak Shopper', streetLine1: '1 Fault Lane', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
    /** the driver waits for Dovetail as a clerk would: a change is made once the order is a processing sale */
    const saleOf = (code: string) => until(`order ${code} a processing sale in Tryton`, async () =>
      (await busyIsNo(salesFor(t, code)))?.find((s) => s.state === 'processing'), plan.changeWaitMs);

    const changing = new Set<Promise<void>>();
    const changeErrors: unknown[] = [];
    const makeChange = async (action: Extract<Action, { kind: 'ship' | 'cancel' | 'refund' }>): Promise<void> => {
      const order = placed[action.index]!;
      const sale = await saleOf(order.code).catch(() => null);
      if (!sale) {
        // the verdict reports the order itself; the driver goes on without this change
        log(`order ${order.code} not a processing sale in time: its ${action.kind} is not made`);
        skipped++;
        return;
      }
      if (action.kind === 'ship') {
        await until(`order ${order.code}'s shipment in Tryton`, async () => (await busyIsNo(t.read<{ shipments: number[] }>('sale.sale', [sale.id], ['shipments'])))?.[0]?.shipments.length, 60_000);
        await shipOnly(t, sale.id, [[...order.units.keys()][0]!]);
        counts.partialShipments++;
      } else if (action.kind === 'cancel') {
        const [sku] = [...order.units.keys()];
        await cancelInStore(vendure, order.code, sku!, 1);
        order.units.set(sku!, order.units.get(sku!)! - 1);
        order.refundsExpected++;
        counts.cancellations++;
      } else {
        await refundInStore(vendure, order.code, 100, 'goodwill (soak)');
        order.refundsExpected++;
        counts.refunds++;
      }
    };
    for (const [i, action] of actions.entries()) {
      if (i === Math.floor(actions.length / 3)) outages.push(proxies.inventory.down(plan.outageMs));
      if (i === Math.floor((2 * actions.length) / 3)) outages.push(proxies.store.down(plan.outageMs));
      if (action.kind === 'order') {
        const change = changeOf.get(action.index);
        const [a, b] = [skus[Math.floor(random() * skus.length)]!, skus[Math.floor(random() * skus.length)]!];
        // a partial shipment needs two SKUs; a cancellation takes back one of two units
        const lines = change === 'ship' ? [{ sku: a, quantity: 1 }, { sku: a === skus[0] ? skus[1]! : skus[0]!, quantity: 1 }]
          : change === 'cancel' ? [{ sku: a, quantity: 2 }]
          : a === b ? [{ sku: a, quantity: 1 + Math.floor(random() * 3) }] : [{ sku: a, quantity: 1 }, { sku: b, quantity: 1 }];
        // every fifth shopper comes back: customers are matched, never made twice
        const email = `soak-${action.index % Math.max(1, Math.floor(plan.orders / 5 * 4))}@example.com`;
        const order = await shopCheckout(vendure.url, { email, firstName: 'Soak', lastName: `Shopper ${action.index}`, address, paymentMethod: 'dummy-settle', lines });
        placed[action.index] = { code: order.code, email, units: new Map(lines.map((l) => [l.sku, l.quantity])), refundsExpected: 0 };
        counts.orders++;
      } else if (action.kind === 'stock') {
        const sku = skus[Math.floor(random() * skus.length)]!;
        const count = 150 + Math.floor(random() * 250);
        // a stock count is absolute: counting again after Tryton was too busy to answer changes nothing twice
        await until(`a stock count of ${sku}`, () => busyIsNo(receiveStock(t, productIds.get(sku)!, count).then(() => true)), 60_000);
        counts.stockChanges++;
      } else {
        // a clerk's change waits for its order to reach Tryton while the shoppers go on: the
        // driver does not stop placing orders for it (at most a few wait at once)
        if (changing.size >= CHANGES_AT_ONCE) await Promise.race(changing);
        // a change that fails is the soak's failure, raised once the driver is done (not an unhandled rejection meanwhile)
        const made: Promise<void> = makeChange(action).catch((err: unknown) => { changeErrors.push(err); }).finally(() => changing.delete(made));
        changing.add(made);
      }
      if ((i + 1) % 25 === 0) log(`${i + 1}/${actions.length} driver steps, ${kills} kills so far`);
    }
    await Promise.all(changing);
    if (changeErrors.length) throw changeErrors[0];
    const driveMs = Date.now() - startedAt;

    // faults off, every outage over, one healthy Dovetail per worker: it must now catch up alone
    stopKilling();
    await killer;
    await Promise.all(outages);
    proxies.inventory.setFaults(false);
    proxies.store.setFaults(false);
    for (const w of workers) await w.start();
    log(`driver done in ${Math.round(driveMs / 1000)} s; settling`);
    const settleStart = Date.now();
    let findings: Findings | undefined;
    for (;;) {
      findings = (await busyIsNo(compareSystems(t, admin, placed, skus))) ?? findings;
      if ((findings && clean(findings)) || Date.now() - settleStart > plan.settleMs) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    if (!findings) throw new Error('Tryton was too busy to be read at all while Dovetail settled');
    const settleMs = Date.now() - settleStart;
    const reconciled = await reconcileDifferences(settings[0]!.file, settings[0]!.env);
    return {
      placed: counts, faults: sumCounts(proxies.inventory.counts, proxies.store.counts), requests: proxies.inventory.requests + proxies.store.requests,
      kills, orderFeedKills, changesSkipped: skipped, findings, reconcileDrift: reconciled, driveMs, settleMs,
    };
  } finally {
    stopKilling();
    for (const w of workers) await w.kill();
    await proxies.inventory.close();
    await proxies.store.close();
    await vendure.stop();
    await registry?.close();
    await pgdb?.drop();
  }
}

/**
 * The driver's Tryton is the one Dovetail works on, under load: a read or an absolute count it
 * was too busy to answer (a transient failure) is simply asked again.
 */
async function busyIsNo<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof DovetailError && err.kind === 'transient') return undefined;
    throw err;
  }
}

/** Waits until the worker on `port` answers its health check (or `gaveUp`). */
async function serving(port: number, gaveUp: () => boolean): Promise<void> {
  await until(`the worker on port ${port} serving`, async () => gaveUp()
    || (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(() => true, () => false)), 120_000);
}

function sumCounts(a: Record<FaultKind, number>, b: Record<FaultKind, number>): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, a[k] + b[k]])) as Record<FaultKind, number>;
}

/** True when nothing was lost, doubled, moved twice or left apart, by the direct reads and by reconcile. */
export const passed = (r: SoakReport) => clean(r.findings) && r.changesSkipped === 0 && r.reconcileDrift.length === 0;

/** The summary table printed at the end of every soak. */
export function summary(r: SoakReport): string {
  const rows: [string, string | number][] = [
    ['web orders placed', r.placed.orders], ['stock changes', r.placed.stockChanges], ['partial shipments', r.placed.partialShipments],
    ['cancellations', r.placed.cancellations], ['refunds', r.placed.refunds], ['changes not made (order not imported in time)', r.changesSkipped],
    ['requests through the proxies', r.requests],
    ...FAULT_KINDS.map((k): [string, number] => [`fault: ${k}`, r.faults[k]]),
    ['worker SIGKILLs', r.kills], ['of them the store order feed\'s reader (several workers)', r.orderFeedKills],
    ['lost', r.findings.lost.length], ['doubled', r.findings.doubled.length], ['double money', r.findings.doubleMoney.length], ['drift', r.findings.drift.length],
    ['reconcile drift', r.reconcileDrift.length],
    ['driver time (s)', Math.round(r.driveMs / 1000)], ['time to settle (s)', Math.round(r.settleMs / 1000)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const details = [...r.findings.lost, ...r.findings.doubled, ...r.findings.doubleMoney, ...r.findings.drift, ...r.reconcileDrift].map((d) => `  ! ${d}`);
  // the verdict in words, last: a log read later says it without the exit code
  const verdict = passed(r) ? 'verdict: PASS, nothing lost, doubled, moved twice or left apart' : 'verdict: FAIL, see the counts above and the lines marked !';
  return [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), ...details, verdict].join('\n');
}
