// What the dashboard, the admin API and `dovetail status` show, read from durable state: each
// flow's counts, lag and last move; failures and audit rows in plain words; drift.
import type { Config } from '../config/schema.js';
import { displayNameOf, inventorySystemOf, storeSystemOf, SYSTEMS } from '../connectors/registry.js';
import { FEEDS, feedCarried } from '../engine/intake.js';
import { feedIsRead } from '../rules/live-inventory.js';
import { FLOW_JOBS } from '../engine/metrics.js';
import { FLOW_NEEDS, pairLacks, type Needs } from '../config/coverage.js';
import type { FeedState } from '../engine/engine.js';
import type { AuditRow, Conflict, Job, Storage } from '../store/storage.js';

export const systemName = (s: string | null | undefined) => (s ? displayNameOf(s) : '');

/** Names the two systems once, for every sentence below. */
export interface Sides { inventory: string; store: string }
export const sidesOf = (config: Config): Sides => ({ inventory: config.systems.inventory.type, store: config.systems.store.type });

export type FlowName = 'products' | 'stock' | 'customers' | 'orders' | 'shipments' | 'payments' | 'changes' | 'images';

export interface FlowView {
  name: FlowName;
  title: string;
  /** which way records travel, in words ("Tryton → Vendure") */
  direction: string;
  /** false: this version does not carry the flow out; `why` says so */
  active: boolean;
  why: string | null;
  /** feeds read for this flow: when each was last read, and its last error; `elsewhere`: another worker reads it (several on PostgreSQL) */
  feeds: { name: string; lastPollAt: string | null; lastError: string | null; elsewhere: boolean }[];
  counts: { done: number; waiting: number; running: number; failed: number };
  /**
   * Waiting jobs whose last attempts failed and that are retried with backoff (a system down,
   * 5xx, 429, timeouts): how many, since when the oldest has been failing, and the latest reason.
   */
  retrying: { count: number; since: string | null; reason: string | null };
  /** seconds the oldest waiting job has waited; 0 when caught up */
  lagSeconds: number;
  lastMove: AuditRow | null;
}

const FEED_WORDS: Record<string, string> = { product: 'products', stock: 'stock', customer: 'customers', order: 'orders', shipment: 'shipments', payment: 'payments', refund: 'refunds', creditNote: 'credit notes', sale: 'web sales',
  images: 'product images' };

/** Audit record kinds and feed kinds of each flow. */
const RECORD_KINDS: Partial<Record<FlowName, string[]>> = {
  products: ['product'], stock: ['stock'], customers: ['customer'], orders: ['order', 'sale'], shipments: ['shipment'], payments: ['payment', 'refund'], changes: ['orderChange'],
  images: ['images'],
};
const FEED_KIND: Record<string, FlowName> = {
  product: 'products', stock: 'stock', customer: 'customers', order: 'orders', shipment: 'shipments', payment: 'payments', refund: 'payments', creditNote: 'payments', sale: 'changes',
  images: 'images',
};

export async function flows(storage: Storage, config: Config, feeds: Iterable<FeedState> = []): Promise<FlowView[]> {
  const s = sidesOf(config);
  const inv = systemName(s.inventory), store = systemName(s.store);
  const jobRows = await storage.db.selectFrom('jobs')
    .select(['kind', 'state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
    .groupBy(['kind', 'state']).execute();
  const retryRows = await storage.db.selectFrom('jobs')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('failing_since').as('since'), (eb) => eb.fn.max('updated_at').as('latest')])
    .where('state', '=', 'pending').where('failing_since', 'is not', null).groupBy('kind').execute();
  const latestReasons = retryRows.length ? await storage.db.selectFrom('jobs').select(['kind', 'last_error', 'updated_at'])
    .where('state', '=', 'pending').where('failing_since', 'is not', null)
    .where((eb) => eb.or(retryRows.map((r) => eb.and([eb('kind', '=', r.kind), eb('updated_at', '=', String(r.latest))])))).execute() : [];
  const lastAudit = await storage.db.selectFrom('audit').select(['record_kind', (eb) => eb.fn.max('id').as('id')])
    .where('action', '!=', 'webhook.malformed').groupBy('record_kind').execute();
  const lastIds = lastAudit.map((r) => Number(r.id)).filter((n) => n > 0);
  const lastRows = lastIds.length ? await storage.db.selectFrom('audit').selectAll().where('id', 'in', lastIds).execute() : [];
  // feeds a setting turns off are listed by the engine but never read: leave them out
  const systemOf = (side: 'inventory' | 'store') => (side === 'inventory' ? s.inventory : s.store);
  const descriptorOf = (side: 'inventory' | 'store') => (side === 'inventory' ? inventorySystemOf(s.inventory) : storeSystemOf(s.store));
  const readFeeds = new Set(FEEDS.filter((f) => feedIsRead(f, config) && feedCarried(f, descriptorOf(f.side)))
    .map((f) => `${systemOf(f.side)}.${f.kind}`));
  const feedList = [...feeds].filter((f) => readFeeds.has(`${f.system}.${f.kind}`));
  const now = Date.now();

  const base = (name: FlowName, title: string, direction: string): FlowView => {
    const kinds = FLOW_JOBS[name] ?? [];
    const counts = { done: 0, waiting: 0, running: 0, failed: 0 };
    let oldest = Infinity;
    for (const r of jobRows) {
      if (!kinds.includes(r.kind)) continue;
      const n = Number(r.n);
      if (r.state === 'done') counts.done += n;
      else if (r.state === 'failed') counts.failed += n;
      else {
        if (r.state === 'running') counts.running += n; else counts.waiting += n;
        if (r.oldest) oldest = Math.min(oldest, Date.parse(String(r.oldest)));
      }
    }
    const retrying: FlowView['retrying'] = { count: 0, since: null, reason: null };
    let latest = '';
    for (const r of retryRows) {
      if (!kinds.includes(r.kind)) continue;
      retrying.count += Number(r.n);
      if (r.since && (!retrying.since || String(r.since) < retrying.since)) retrying.since = String(r.since);
      const reason = latestReasons.find((x) => x.kind === r.kind && x.updated_at === String(r.latest));
      if (reason && String(r.latest) > latest) { latest = String(r.latest); retrying.reason = properNames(reason.last_error ?? ''); }
    }
    const recordKinds = RECORD_KINDS[name] ?? [];
    const row = lastRows.filter((r) => recordKinds.includes(r.record_kind)).sort((a, b) => b.id - a.id)[0];
    return {
      name, title, direction, active: true, why: null, counts, retrying,
      lagSeconds: Number.isFinite(oldest) ? Math.max(0, Math.round((now - oldest) / 1000)) : 0,
      feeds: feedList.filter((f) => FEED_KIND[f.kind] === name).map((f) => ({ name: `${systemName(f.system)} ${FEED_WORDS[f.kind] ?? f.kind}`, lastPollAt: f.lastPollAt, lastError: f.lastError, elsewhere: f.polledElsewhere === true })),
      lastMove: row ? { id: row.id, at: row.at, recordKind: row.record_kind, recordKey: row.record_key, action: row.action, fromSystem: row.from_system,
        toSystem: row.to_system, setting: row.setting, result: row.result, detail: row.detail } : null,
    };
  };

  const stock = base('stock', 'Stock', `${inv} → ${store}`);
  if (!config.rules.liveInventory) { stock.active = false; stock.why = 'Off by your answer: stock counts are not pushed to the store (rules.liveInventory: false).'; }
  /** A flow one of the two connectors cannot carry is shown as such, with what is missing. */
  const carried = (flow: FlowView, needs: Needs): FlowView => {
    const missing = pairLacks(config, needs);
    return missing.length ? { ...flow, active: false, why: `Not carried out with these two systems: ${missing.join('; ')}.` } : flow;
  };
  return [
    base('products', 'Products', `${inv} ⇄ ${store}`),
    stock,
    base('customers', 'Customers', config.master.customers === 'store' ? `${store} → ${inv}` : `matched in ${inv}`),
    base('orders', 'Orders', `${store} → ${inv}${config.rules.offlineOrdersToStore !== 'none' || config.rules.quotesFrom === 'inventory' ? ' (offline orders and quotes back)' : ''}`),
    carried(base('shipments', 'Shipments', `${inv} → ${store}`), FLOW_NEEDS.shipments),
    carried(base('payments', 'Payments and refunds', `${store} ⇄ ${inv}`), FLOW_NEEDS.payments),
    carried(base('changes', 'Cancellations, returns and edits', `${store} ⇄ ${inv}`), FLOW_NEEDS.orderChanges),
    carried(base('images', 'Product images', config.master.productImages === 'store' ? `${store} → ${inv}` : `${inv} → ${store}`), FLOW_NEEDS.images),
  ];
}

// ---- failures -------------------------------------------------------------------------------

export interface FailureView {
  id: number; kind: string; key: string; attempts: number; failureKind: string | null; at: string;
  /** "Web order ABC was not copied to Tryton" */
  title: string;
  /** the system the move was going to (or came from, for reads) */
  system: string;
  /** the reason, as the engine wrote it, with the systems named properly */
  reason: string;
  whatToDo: string;
}

export function explainFailure(job: Job, sides: Sides): FailureView {
  const inv = systemName(sides.inventory), store = systemName(sides.store);
  const [title, system] = ({
    order: [`Web order ${job.key} was not copied to ${inv}`, inv],
    customer: [`Customer ${job.key} was not copied to ${inv}`, inv],
    stock: [`The stock of ${job.key} was not updated in ${store}`, store],
    'product.toStore': [`Product ${job.key} was not copied to ${store}`, store],
    'product.fromStore': [`A change to product ${job.key} made in ${store} was not handled`, inv],
    'order.toStore': [`Offline sale ${job.key} was not placed in ${store}`, store],
    'customer.toStore': [`Customer ${job.key} did not get a ${store} account`, store],
    'shipment.toStore': [`The shipments of order ${job.key} were not reported to ${store}`, store],
    'payment.fromStore': [`Payment ${job.key} was not recorded in ${inv}`, inv],
    'payment.capture': [`The charge for shipment ${job.key} was not made through ${store}`, store],
    'payment.fromInventory': [`Payment ${job.key} settled in ${inv} was not charged through ${store}`, store],
    'refund.fromStore': [`Refund ${job.key} was not recorded in ${inv}`, inv],
    'refund.fromInventory': [`Credit note ${job.key} was not refunded through ${store}`, store],
    // either way, per master.productImages
    images: [`The images of product ${job.key} were not brought in step between ${store} and ${inv}`, ''],
  } as Record<string, [string, string]>)[job.kind] ?? [`${job.kind} ${job.key} failed`, ''];
  const reason = properNames(job.lastError ?? 'no reason was recorded');
  const tries = `${job.attempts} ${job.attempts === 1 ? 'try' : 'tries'}`;
  const whatToDo = job.failureKind === 'permanent'
    ? 'Retrying alone will not help: fix what the reason says, then press Retry.'
    : job.failureKind === 'config'
      ? 'A password, address or setting is wrong: correct dovetail.yaml or the environment, restart Dovetail, then press Retry.'
      : `${system || 'The other system'} did not answer properly after ${tries}. Once it works again, press Retry.`;
  return { id: job.id, kind: job.kind, key: job.key, attempts: job.attempts, failureKind: job.failureKind, at: job.updatedAt, title, system, reason, whatToDo };
}

/** Pushed events refused because their body could not be read (signature was right). */
export async function refusedDeliveries(storage: Storage, limit = 50): Promise<AuditRow[]> {
  const rows = await storage.db.selectFrom('audit').selectAll().where('action', '=', 'webhook.malformed').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, at: r.at, recordKind: r.record_kind, recordKey: r.record_key, action: r.action, fromSystem: r.from_system,
    toSystem: r.to_system, setting: r.setting, result: r.result, detail: r.detail }));
}

/** Every system the registry knows, as a word in a sentence (not in an address or a key like tryton:12). */
const SYSTEM_WORDS = new RegExp(`\\b(${SYSTEMS.map((d) => d.system).join('|')})\\b(?![./:])`, 'g');

function properNames(text: string): string {
  return text.replace(SYSTEM_WORDS, (m) => systemName(m));
}

// ---- the audit trail in words ---------------------------------------------------------------

export interface MoveView { id: number; at: string; what: string; from: string; to: string; setting: string | null; ok: boolean; result: string; details: string[] }

export function explainMove(row: AuditRow): MoveView {
  const from = systemName(row.fromSystem), to = systemName(row.toSystem);
  const words: Record<string, string> = {
    'order.imported': `Copied to ${to} as a new confirmed sale`,
    'order.linked': `Linked to the sale already in ${to}`,
    'order.ignored': 'Not copied',
    'order.salesperson': `Salesperson set in ${to}`,
    'order.totalMismatch': `Totals differ between ${from} and ${to}`,
    'product.created': `Created in ${to}`,
    'product.updated': `Updated in ${to}`,
    'product.reverted': `An edit made in ${to} was put back from ${from}, the master`,
    'product.conflict': `An edit made in ${from} was left in place and flagged`,
    'product.skipped': `Not copied: not found in ${from}`,
    'stock.published': `Stock count published to ${to}`,
    'stock.unchanged': `Stock checked: ${to} already showed the right count`,
    'stock.skipped': `Stock not published: not found in ${from}`,
    'customer.created': `Created in ${to}`,
    'customer.linked': `Matched to the customer already in ${to}`,
    'webhook.malformed': `A pushed event from ${from} was refused: its body could not be read`,
    'order.placedOffline': `Placed in ${to} as an offline order`,
    'shipment.reported': `Shipment reported to ${to}`,
    'shipment.linked': `Linked to the shipment already in ${to}`,
    'shipment.held': 'Shipment not reported yet',
    'shipment.ignored': 'Shipment not reported',
    'shipment.emailed': 'Shipment email sent to the customer by Dovetail',
    'shipment.emailSkipped': 'No shipment email sent',
    'payment.recorded': `Payment recorded in ${to}`,
    'payment.linked': `Linked to the payment already in ${to}`,
    'payment.captured': `Card charged through ${to}`,
    'payment.captureFound': `The charge was already made in ${to}`,
    'payment.captureWaits': 'Charge waits for the shipment to be done',
    'payment.captureSkipped': 'No charge per shipment: cards are charged at order',
    'payment.nothingToCapture': 'Nothing to charge for this shipment',
    'payment.captureRefused': `${to} refused the charge`,
    'payment.proposed': `Payment prepared in ${to} for an operator to process`,
    'payment.ignored': 'Payment not carried over',
    'refund.recorded': `Refund recorded in ${to}`,
    'refund.made': `Refund made through ${to}`,
    'refund.found': `The refund was already made in ${to}`,
    'refund.ignored': 'Refund not carried over',
    'order.cancelCopied': `Cancellation made in ${from} copied to ${to}`,
    'order.returnCopied': `Return entered in ${from} copied to ${to}`,
    'order.editCopied': `Edit made in ${from} copied to ${to}`,
    'order.cancelRefused': `A cancellation made in ${from} was not copied and is flagged`,
    'order.returnRefused': `A return entered in ${from} was not copied and is flagged`,
    'order.editRefused': `An edit made in ${from} was not copied and is flagged`,
    'order.returnNotShown': `Return booked in ${from}, not shown on the store order`,
    'payment.released': `What was still authorised was released in ${to}`,
    'payment.refundedCancelled': `Cancelled items refunded through ${from}`,
    'payment.refundFound': `The refund for cancelled items was already made in ${from}`,
    'payment.nothingToRefund': 'Nothing to refund for the cancelled items',
  };
  const failed = row.action.endsWith('.failed');
  const what = words[row.action] ?? (failed ? 'Failed: put on the failure list' : row.action);
  const ok = !failed && !['flagged', 'refused', 'failed'].includes(row.result) && !['order.totalMismatch', 'payment.captureRefused'].includes(row.action) && !row.action.endsWith('Refused');
  return { id: row.id, at: row.at, what, from, to, setting: row.setting, ok, result: row.result === 'ok' ? 'done' : properNames(row.result), details: detailWords(row) };
}

const money = (minor: unknown) => (typeof minor === 'number' ? (minor / 100).toFixed(2) : String(minor));

/** The few facts of an audit row's detail worth reading, as short phrases (never a JSON dump). */
function detailWords(row: AuditRow): string[] {
  if (!row.detail) return [];
  let d: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(row.detail);
    if (!parsed || typeof parsed !== 'object') return [String(parsed)];
    d = parsed as Record<string, unknown>;
  } catch { return [properNames(row.detail)]; }
  const out: string[] = [];
  if ('sale' in d) out.push(`sale id ${String(d.sale)}`);
  if ('storeTotal' in d) out.push(`total ${money(d.storeTotal)} in the store, ${money(d.inventoryTotal)} in the inventory system`);
  if (typeof d.lines === 'number') out.push(`${d.lines} line${d.lines === 1 ? '' : 's'}`);
  else if (Array.isArray(d.lines)) out.push(`${d.lines.length} line${d.lines.length === 1 ? '' : 's'}`);
  if (d.salesperson) out.push(`salesperson ${String(d.salesperson)}`);
  if ('available' in d) out.push(`${String(d.onHand)} on hand − ${String(d.allocatedOffline)} promised to offline orders − ${String(d.safetyStock)} safety stock = ${String(d.available)} for sale`);
  if (Array.isArray(d.groups)) out.push(`fields: ${d.groups.join(', ')}`);
  else if (typeof d.group === 'string') out.push(`field: ${d.group}`);
  if ('party' in d) out.push(`party id ${String(d.party)}`);
  if (typeof d.amountMinor === 'number') out.push(`amount ${money(d.amountMinor)}`);
  if (d.trackingCode) out.push(`${d.carrier ? `${String(d.carrier)} ` : ''}tracking ${String(d.trackingCode)}`);
  if (d.shippedOn) out.push(`shipped ${String(d.shippedOn)}`);
  if ('error' in d) out.push(properNames(String(d.error)));
  if ('attempts' in d) out.push(`after ${String(d.attempts)} ${d.attempts === 1 ? 'try' : 'tries'}`);
  if ('excerpt' in d) out.push(`body began: ${String(d.excerpt)}`);
  if ('reason' in d) out.push(properNames(String(d.reason)));
  return out;
}

// ---- drift ----------------------------------------------------------------------------------

export interface DriftView { id: number; record: string; what: string; master: string; other: string; masterValue: string; otherValue: string; since: string }

export function explainConflict(c: Conflict, sides: Sides): DriftView {
  const other = systemName(c.masterSystem === sides.inventory ? sides.store : sides.inventory);
  const show = (v: string, where: string) => {
    if (c.fieldGroup === 'total' && /^-?\d+$/.test(v)) return money(Number(v));
    let x: unknown;
    try { x = JSON.parse(v); } catch { return v; }
    if (x === null) return `nothing (not in ${where})`;
    if (typeof x !== 'object') return String(x);
    const parts = Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== null && y !== undefined && y !== '')
      .map(([k, y]) => `${k}: ${typeof y === 'object' ? JSON.stringify(y) : String(y)}`);
    return parts.length ? parts.join(', ') : '(empty)';
  };
  const what = c.fieldGroup === 'total'
    ? `The order total differs: ${systemName(c.masterSystem)} says ${show(c.masterValue, systemName(c.masterSystem))}, ${other} says ${show(c.otherValue, other)}`
    : `${c.fieldGroup.charAt(0).toUpperCase()}${c.fieldGroup.slice(1)} differ: changed in ${other}, which is not the master of them`;
  return { id: c.id, record: `${c.recordKind.charAt(0).toUpperCase()}${c.recordKind.slice(1)} ${c.recordKey}`, what, master: systemName(c.masterSystem), other,
    masterValue: show(c.masterValue, systemName(c.masterSystem)), otherValue: show(c.otherValue, other), since: c.detectedAt };
}

// ---- reconcile ----

/** The last `dovetail reconcile` and the drift still open, for the Drift page; null: never run. */
export interface ReconcileView {
  startedAt: string; finishedAt: string | null; error: string | null; repair: boolean;
  compared: Record<string, number>;
  drift: { kind: string; record: string; aspect: string; master: string; masterValue: string; otherValue: string; foundAt: string;
    /** queued (its job waits or runs), done (its job ran; the next run confirms), for a person, or reported (no repair asked) */
    repair: string }[];
}


/** The last reconcile run and the drift still open, each with how its repair stands (the latest job it queued). */
export async function reconcileView(storage: Storage, sides: Sides): Promise<ReconcileView | null> {
  const run = await storage.lastReconcileRun();
  if (!run) return null;
  const drift = await Promise.all((await storage.drift()).slice(0, 500).map(async (d) => {
    let repair = d.action === 'flagged' ? 'for a person' : d.action;
    if (d.action === 'queued') {
      const job = (await storage.jobs({ key: d.recordKey })).filter((j) => j.reason === 'found by reconcile').at(-1);
      repair = !job ? 'queued' : job.state === 'done' ? 'done' : job.state === 'failed' ? 'failed (see Failures)' : 'queued';
    }
    return { kind: d.kind, record: d.recordKey, aspect: d.aspect, master: systemName(d.masterSystem === sides.store ? sides.store : sides.inventory),
      masterValue: d.masterValue, otherValue: d.otherValue, foundAt: d.foundAt, repair };
  }));
  return { startedAt: run.startedAt, finishedAt: run.finishedAt, error: run.error, repair: run.repair, compared: run.compared, drift };
}
