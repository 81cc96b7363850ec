// `dovetail reconcile`: reads both systems page by page (sync.batchSize records a read), finds
// drift with compare.ts, records it, and with `repair` queues the flow that makes the non-master agree.
import pLimit from 'p-limit';
import { capability, lacking } from '../../connectors/types.js';
import { transient } from '../../errors.js';
import { MASTER_KEY_OF_GROUP, FIELD_GROUPS, type FieldGroup } from '../../model/product.js';
import { ownerOf, type Side } from '../../rules/ownership.js';
import { partialShipmentsToStore } from '../../rules/shipment-reports.js';
import { pairLacks } from '../../config/coverage.js';
import { MAPPING, type MappingKind } from '../../store/mapping-kinds.js';
import type { EngineContext } from '../context.js';
import { JOB } from '../job-kinds.js';
import { apiCallsOf } from '../metrics.js';
import { publishedStock } from '../handlers/stock.js';
import { compareCustomer, compareMoney, compareOrder, comparePhoneOrder, compareProducts, compareStock, RECONCILE_KINDS, type Difference, type ReconcileKind, type Repair } from './compare.js';

/** What reconcile did with a difference: queued a repair job, left it for a person, or only reported it (no repair asked). */
export type DriftAction = 'queued' | 'flagged' | 'reported';

export interface ReconcileReport {
  runId: number;
  kinds: ReconcileKind[];
  /** records compared per kind */
  compared: Partial<Record<ReconcileKind, number>>;
  /** kinds the pair cannot compare, with why */
  skipped: Partial<Record<ReconcileKind, string>>;
  /** API calls made per kind, both systems together (for the connectors that count them) */
  calls: Partial<Record<ReconcileKind, number>>;
  differences: (Difference & { action: DriftAction })[];
}

const JOB_OF: Record<Extract<Repair, { by: 'job' }>['job'], string> = {
  productToStore: JOB.productToStore, productFromStore: JOB.productFromStore, stock: JOB.stock, customerToStore: JOB.customerToStore, customerFromStore: JOB.customer,
  order: JOB.order, orderChanges: JOB.orderChanges, shipment: JOB.shipment, offlineOrder: JOB.offlineOrder,
  paymentFromStore: JOB.paymentFromStore, refundFromStore: JOB.refundFromStore,
};

const REASON = 'found by reconcile';

export async function reconcile(ctx: EngineContext, opts: { kinds?: ReconcileKind[]; repair: boolean; onProgress?: (kind: ReconcileKind, compared: number) => void;
  /** stops the run between pages (a stopping `dovetail run`); the run is tried again later */
  signal?: AbortSignal }): Promise<ReconcileReport> {
  const kinds = RECONCILE_KINDS.filter((k) => !opts.kinds?.length || opts.kinds.includes(k));
  const runId = await ctx.storage.startReconcileRun(kinds, opts.repair);
  const report: ReconcileReport = { runId, kinds, compared: {}, skipped: {}, calls: {}, differences: [] };
  try {
    for (const kind of kinds) {
      const why = cannotCompare(ctx, kind);
      if (why) { report.skipped[kind] = why; continue; }
      const before = callCount(ctx);
      const found: Difference[] = [];
      const compared = await COMPARE[kind](ctx, found, (n) => {
        if (opts.signal?.aborted) throw transient(`reconcile stopped after ${n} ${kind} (the engine is stopping); it runs again later`);
        opts.onProgress?.(kind, n);
      });
      report.compared[kind] = compared;
      report.calls[kind] = callCount(ctx) - before;
      for (const d of found) report.differences.push({ ...d, action: await settle(ctx, d, opts.repair) });
    }
    await ctx.storage.recordDrift(runId, kinds.filter((k) => !report.skipped[k]), report.differences.map((d) => ({
      kind: d.kind, recordKey: d.recordKey, aspect: d.aspect, masterSystem: systemOf(ctx, d.master),
      masterValue: JSON.stringify(d.masterValue), otherValue: JSON.stringify(d.otherValue), action: d.action,
    })));
    await ctx.storage.finishReconcileRun(runId, { compared: report.compared, driftCount: report.differences.length });
    return report;
  } catch (err) {
    await ctx.storage.finishReconcileRun(runId, { compared: report.compared, driftCount: report.differences.length, error: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
    throw err;
  }
}

/** Why the chosen pair cannot compare `kind`; null: it can. */
function cannotCompare(ctx: EngineContext, kind: ReconcileKind): string | null {
  if (kind === 'stock') {
    if (!ctx.config.rules.liveInventory) return 'stock is not published (rules.liveInventory: false)';
    return lacking([ctx.store, 'reconcile']);
  }
  if (kind === 'orders') return lacking([ctx.store, 'reconcile'], [ctx.store, 'orderChanges'], [ctx.inventory, 'orderChanges']);
  if (kind === 'customers') return lacking([ctx.store, 'customerEdits'], [ctx.inventory, 'customerEdits']);
  if (kind === 'money') return lacking([ctx.store, 'reconcile'], [ctx.store, 'payments'], [ctx.inventory, 'payments']);
  if (kind === 'phoneOrders') {
    if (ctx.config.rules.offlineOrdersToStore === 'none') return 'phone sales are not shown in the store (rules.offlineOrdersToStore: none)';
    return lacking([ctx.store, 'offlineOrders'], [ctx.inventory, 'offlineSales']);
  }
  return null;
}

const callCount = (ctx: EngineContext) => (apiCallsOf(ctx.store) ?? 0) + (apiCallsOf(ctx.inventory) ?? 0);
const systemOf = (ctx: EngineContext, side: Side) => (side === 'store' ? ctx.store.system : ctx.inventory.system);

type Comparer = (ctx: EngineContext, found: Difference[], progress: (compared: number) => void) => Promise<number>;

const COMPARE: Record<ReconcileKind, Comparer> = { products: compareAllProducts, stock: compareAllStock, customers: compareLinkedCustomers, orders: compareRecentOrders, money: compareRecentMoney, phoneOrders: compareRecentPhoneOrders };

/** Every SKU of the inventory system, a page at a time, then the store's SKUs it lacks. */
async function compareAllProducts(ctx: EngineContext, found: Difference[], progress: (n: number) => void): Promise<number> {
  // the groups the pair carries, as the product handler works them out
  const groups = FIELD_GROUPS.filter((g) => !pairLacks(ctx.config, { store: ['catalogue'], inventory: ['catalogue'] }, `master.${MASTER_KEY_OF_GROUP[g]}`, ownerOf(g, ctx.config)).length);
  const owner = (g: FieldGroup) => ownerOf(g, ctx.config);
  const setting = (g: FieldGroup) => `master.${MASTER_KEY_OF_GROUP[g]}=${ownerOf(g, ctx.config)}`;
  const seen = new Set<string>();
  let compared = 0;
  for await (const skus of pages((o, n) => ctx.inventory.listSkus(o, n), ctx.config.sync.batchSize)) {
    const [store, inventory] = await Promise.all([ctx.store.getProducts(skus), ctx.inventory.getProducts(skus)]);
    found.push(...compareProducts(skus, store, inventory, groups, owner, setting));
    for (const sku of skus) seen.add(sku);
    progress(compared += skus.length);
  }
  for await (const skus of pages((o, n) => ctx.store.listSkus(o, n), ctx.config.sync.batchSize)) {
    const storeOnly = skus.filter((s) => !seen.has(s));
    if (!storeOnly.length) continue;
    // listed by the store alone: the inventory may still hold it (a product its listing leaves out)
    const [store, inventory] = await Promise.all([ctx.store.getProducts(storeOnly), ctx.inventory.getProducts(storeOnly)]);
    found.push(...compareProducts(storeOnly, store, inventory, groups, owner, setting));
    progress(compared += storeOnly.length);
  }
  return compared;
}

/** Every SKU's published stock against the store's count, a page at a time. */
async function compareAllStock(ctx: EngineContext, found: Difference[], progress: (n: number) => void): Promise<number> {
  const { rules, inventory } = ctx.config;
  const setting = `rules.liveInventory=true, rules.deductAllocated=${rules.deductAllocated}, inventory.safetyStock=${inventory.safetyStock}`;
  const shows = capability(ctx.store, 'reconcile', 'dovetail reconcile stock');
  let compared = 0;
  for await (const skus of pages((o, n) => ctx.inventory.listSkus(o, n), ctx.config.sync.batchSize)) {
    const [{ rows }, shown] = await Promise.all([publishedStock(ctx, skus), shows.getAvailable(skus)]);
    found.push(...compareStock(rows, shown, setting));
    progress(compared += skus.length);
  }
  return compared;
}

/** Every customer Dovetail linked across the systems (master.customers), a page of links at a time. */
async function compareLinkedCustomers(ctx: EngineContext, found: Difference[], progress: (n: number) => void): Promise<number> {
  const store = capability(ctx.store, 'customerEdits', 'dovetail reconcile customers');
  const inventory = capability(ctx.inventory, 'customerEdits', 'dovetail reconcile customers');
  const master = ctx.config.master.customers;
  const setting = `master.customers=${master}`;
  let compared = 0;
  // store customer id -> party id, written when the two were first linked (any time: no window)
  for await (const page of mappingPages(ctx, MAPPING.partyOfCustomer, new Date(0).toISOString())) {
    const pairs = await Promise.all(page.map(async ({ key: storeId, externalId: partyId }) => ({
      store: await store.getCustomerById(storeId), inventory: await inventory.getParty(partyId) })));
    for (const pair of pairs) {
      // one side deleted: nothing to carry details to (making records is the customer flows' work)
      if (!pair.store || !pair.inventory) continue;
      found.push(...compareCustomer({ store: pair.store, inventory: pair.inventory }, master, setting));
      compared++;
    }
    progress(compared);
  }
  return compared;
}

/**
 * The store's orders of the last reconcile.orderDays days, a page of codes at a time, without the
 * phone sales Dovetail mirrored into the store (the inventory's own, marked paid offline).
 */
async function* recentWebOrders(ctx: EngineContext, needFor: string): AsyncGenerator<string[]> {
  const since = new Date(Date.now() - ctx.config.reconcile.orderDays * 86_400_000).toISOString();
  const store = capability(ctx.store, 'reconcile', needFor);
  for await (const codes of pages((o, n) => store.listOrderCodesSince(since, o, n), ctx.config.sync.batchSize)) {
    const web: string[] = [];
    for (const code of codes) if (!(await ctx.storage.mapping(ctx.inventory.system, MAPPING.offlineOrder, code))) web.push(code);
    yield web;
  }
}

/** Orders placed in the last reconcile.orderDays days: their sale, lines, shipments and total. */
async function compareRecentOrders(ctx: EngineContext, found: Difference[], progress: (n: number) => void): Promise<number> {
  const storeLines = capability(ctx.store, 'orderChanges', 'dovetail reconcile orders');
  const saleLines = capability(ctx.inventory, 'orderChanges', 'dovetail reconcile orders');
  const r = ctx.config.rules;
  const changesSetting = `rules.cancellationsIn=${r.cancellationsIn}, rules.returnsIn=${r.returnsIn}, rules.orderEditsIn=${r.orderEditsIn}`;
  let compared = 0;
  for await (const codes of recentWebOrders(ctx, 'dovetail reconcile orders')) {
    // a page of orders in two batched reads, not two per order
    const [inStores, sales] = await Promise.all([storeLines.getOrderLines(codes), saleLines.getSaleLines(codes)]);
    for (const code of codes) {
      const inStore = inStores.get(code), sale = sales.get(code) ?? null;
      if (!inStore) continue;
      const imported = (await ctx.storage.mapping(ctx.inventory.system, MAPPING.sale, code)) !== null;
      if (!sale && !(await awaitsNoImport(ctx, code, imported))) continue;
      found.push(...compareOrder(code, inStore, sale, { partialShipmentsToStore: r.partialShipmentsToStore, saleLost: imported, changesSetting }));
      compared++;
    }
    progress(compared);
  }
  return compared;
}

/** The money of the web orders of the last reconcile.orderDays days that Dovetail imported: captured and refunded on both sides. */
async function compareRecentMoney(ctx: EngineContext, found: Difference[], progress: (n: number) => void): Promise<number> {
  const storeMoney = capability(ctx.store, 'payments', 'dovetail reconcile money');
  const saleMoney = capability(ctx.inventory, 'payments', 'dovetail reconcile money');
  const r = ctx.config.rules;
  const setting = `rules.capture=${r.capture}, rules.settleFrom=${r.settleFrom}, rules.refundsIn=${r.refundsIn}`;
  let compared = 0;
  const limit = pLimit(ctx.config.sync.jobsAtOnce);
  for await (const codes of recentWebOrders(ctx, 'dovetail reconcile money')) {
    // several orders' money read at once (each system's callsAtOnce still bounds its calls)
    const pairs = await Promise.all(codes.map((code) => limit(async () => {
      // an order without its sale is the orders comparison's to report
      if (!(await ctx.storage.mapping(ctx.inventory.system, MAPPING.sale, code))) return null;
      const [inStore, inInventory] = await Promise.all([storeMoney.getPayments(code), saleMoney.getSaleMoney(code)]);
      return inStore && inInventory ? { code, inStore, inInventory } : null;
    })));
    for (const p of pairs) {
      if (!p) continue;
      found.push(...compareMoney(p.code, p.inStore, p.inInventory, { refundsIn: r.refundsIn, setting }));
      compared++;
    }
    progress(compared);
  }
  return compared;
}

/** Phone sales Dovetail placed in the store in the last reconcile.orderDays days: each store order still there. */
async function compareRecentPhoneOrders(ctx: EngineContext, found: Difference[], progress: (n: number) => void): Promise<number> {
  const since = new Date(Date.now() - ctx.config.reconcile.orderDays * 86_400_000).toISOString();
  const offline = capability(ctx.store, 'offlineOrders', 'dovetail reconcile phoneOrders');
  const setting = `rules.offlineOrdersToStore=${ctx.config.rules.offlineOrdersToStore}`;
  let compared = 0;
  const limit = pLimit(ctx.config.sync.jobsAtOnce);
  for await (const page of mappingPages(ctx, MAPPING.offlineOrder, since)) {
    const inStore = await Promise.all(page.map(({ externalId: saleId }) => limit(() => offline.findOfflineOrder(`${ctx.inventory.system}:${saleId}`))));
    page.forEach(({ key: code, externalId: saleId }, i) => found.push(...comparePhoneOrder(code, saleId, inStore[i]!, setting)));
    compared += page.length;
    progress(compared);
  }
  return compared;
}

/**
 * A store order without a sale is drift only when it is a placed web order and no import of it is
 * waiting or running (one placed a second ago is on its way, not lost).
 */
async function awaitsNoImport(ctx: EngineContext, code: string, imported: boolean): Promise<boolean> {
  if (!imported && (await ctx.storage.jobs({ kind: JOB.order, key: code })).some((j) => j.state === 'pending' || j.state === 'running')) return false;
  const order = await ctx.store.getOrder(code);
  return !!order && order.status === 'placed' && !order.placedOffline;
}

/** The inventory system's mappings of `kind` made since `sinceIso`, a page of sync.batchSize at a time, in key order. */
async function* mappingPages(ctx: EngineContext, kind: MappingKind, sinceIso: string): AsyncGenerator<{ key: string; externalId: string }[]> {
  for (let after = ''; ;) {
    const page = await ctx.storage.mappingsSince(ctx.inventory.system, kind, sinceIso, after, ctx.config.sync.batchSize);
    if (page.length) yield page;
    if (page.length < ctx.config.sync.batchSize) return;
    after = page[page.length - 1].key;
  }
}

/** Reads a listing page after page until a short page. */
async function* pages(read: (offset: number, limit: number) => Promise<string[]>, size: number): AsyncGenerator<string[]> {
  for (let offset = 0; ; offset += size) {
    const page = await read(offset, size);
    if (page.length) yield page;
    if (page.length < size) return;
  }
}

/**
 * What becomes of one difference: with `repair`, the job that makes the non-master agree is
 * queued (after forgetting what would hide the difference from it) and audited "found by
 * reconcile"; a difference no flow can mend is audited for a person either way.
 */
async function settle(ctx: EngineContext, d: Difference, repair: boolean): Promise<DriftAction> {
  const from = systemOf(ctx, d.master);
  const to = systemOf(ctx, d.master === 'store' ? 'inventory' : 'store');
  const recordKind = d.kind === 'products' ? 'product' : d.kind === 'stock' ? 'stock' : d.kind === 'customers' ? 'customer' : d.kind === 'phoneOrders' ? 'sale' : d.kind === 'money' ? 'payment' : 'order';
  if (d.repair.by === 'person') {
    await ctx.storage.audit({ recordKind, recordKey: d.recordKey, action: 'reconcile.flagged', fromSystem: from, toSystem: to, result: `${REASON}: for a person: ${d.repair.what}`,
      detail: { aspect: d.aspect, master: d.masterValue, other: d.otherValue } });
    return 'flagged';
  }
  if (!repair) return 'reported';
  const r = d.repair;
  const fulfilmentRefs = r.forget === 'fulfilments' ? await fulfilmentRefsOf(ctx, d.recordKey) : [];
  await ctx.storage.transaction(async (tx) => {
    if (r.forget === 'snapshot') await tx.forgetSnapshot('product', d.recordKey, d.aspect);
    if (r.forget === 'sale') await tx.forgetMapping(ctx.inventory.system, MAPPING.sale, d.recordKey);
    for (const ref of fulfilmentRefs) await tx.forgetMapping(ctx.store.system, MAPPING.fulfilment, ref);
    const keys = r.jobKeys ?? [d.recordKey];
    // the money jobs find what they recorded before by its key: forgetting the mapping only lets them look again
    if (r.forget === 'payments' || r.forget === 'refunds') {
      for (const key of keys) await tx.forgetMapping(ctx.inventory.system, r.forget === 'payments' ? MAPPING.payment : MAPPING.refund, key);
    }
    for (const key of keys) await tx.enqueue({ kind: JOB_OF[r.job], key, reason: REASON });
    await tx.audit({ recordKind, recordKey: d.recordKey, action: 'reconcile.repair', fromSystem: from, toSystem: to, setting: r.setting, result: `queued: ${REASON}`,
      detail: { aspect: d.aspect, master: d.masterValue, other: d.otherValue, job: JOB_OF[r.job] } });
  });
  return 'queued';
}

/** The refs of the fulfilments the store should show for an order: the shipment job finds live ones again by ref and makes the missing ones. */
async function fulfilmentRefsOf(ctx: EngineContext, code: string): Promise<string[]> {
  const found = await capability(ctx.inventory, 'shipments', 'dovetail reconcile --repair of shipments').getShipments(code);
  return found ? partialShipmentsToStore(ctx.config.rules.partialShipmentsToStore, ctx.inventory.system, found).map((p) => p.shipment.ref) : [];
}
