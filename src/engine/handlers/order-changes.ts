// Changes to a placed web order after it was imported: cancellations, returns and edits
// (rules.cancellationsIn, returnsIn, returnsToStore, orderEditsIn), and the money they move.
//
// Both systems' view of the order is read in one shape (model/order-lines.ts) and compared with
// what each looked like the last time Dovetail saw them agree (a snapshot per side). What a side
// changed since then is judged by effect — fewer unshipped units: a cancellation; shipped units
// back: a return; more units or a new SKU: an edit — and carried to the other side when the
// rules say that side is where such changes are made; otherwise it is flagged as a conflict.
//
// Why state, not events: a retry after a crash, a duplicate event and Dovetail's own write coming
// back (an echo) all read the same way — both sides already agree, nothing is left to carry. The
// only thing that must not happen twice, the refund of cancelled units, is keyed by the change it
// pays for (the store's snapshot before and after), so a retry finds the refund it made.
import { createHash } from 'node:crypto';
import { permanent, transient } from '../../errors.js';
import { changesBetween, describeChange, linesAgree, linesAsPlaced, notYetIn, RULE_OF_CHANGE, type LineChange, type OrderLinesState } from '../../model/order-lines.js';
import type { Order } from '../../model/order.js';
import { capability, hasCapability, oneOrder } from '../../connectors/types.js';
import { cancelledUnitsMoney } from '../../rules/capture.js';
import { cancellationRefund } from '../../rules/refunds.js';
import { eachJob, perOrder, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import type { Storage } from '../../store/storage.js';

type Side = 'store' | 'inventory';
const SNAPSHOT = 'orderLines';

/** Where a change of this kind may be made. A lowered quantity is a cancellation, however it was entered. */
function allowedOn(ctx: EngineContext, side: Side, change: LineChange): boolean {
  return ctx.config.rules[RULE_OF_CHANGE[change.kind]] === side;
}

const settingOf = (change: LineChange) => `rules.${RULE_OF_CHANGE[change.kind]}`;

const NEED = 'changes to placed orders (rules.cancellationsIn, returnsIn, orderEditsIn)';
const storeOrders = (ctx: EngineContext) => capability(ctx.store, 'orderChanges', NEED);
const inventorySales = (ctx: EngineContext) => capability(ctx.inventory, 'orderChanges', NEED);

/**
 * Both systems' view of a batch's orders, read together: two batched reads for the whole batch
 * instead of two rounds per order. `read` holds the codes still to be answered from it; a job
 * takes its code out, so a second job of the same order in the batch reads afresh.
 */
interface OrderViews { read: Set<string>; store: Map<string, OrderLinesState>; inventory: Map<string, OrderLinesState> }

/** The batch's orders this flow compares: imported web orders (a phone sale's master is the inventory system). */
async function webOrdersOf(ctx: EngineContext, codes: string[]): Promise<string[]> {
  const inv = ctx.inventory.system;
  const [sales, phoneOrders] = await Promise.all([ctx.storage.mappings(inv, MAPPING.sale, codes), ctx.storage.mappings(inv, MAPPING.offlineOrder, codes)]);
  return [...new Set(codes)].filter((code) => sales.has(code) && !phoneOrders.has(code));
}

export const orderChanges: JobHandler<OrderViews | undefined> = {
  kind: JOB.orderChanges,
  batch: 25,
  inFlight: perOrder,
  readAhead: async (ctx, jobs) => {
    if (!hasCapability(ctx.store, 'orderChanges') || !hasCapability(ctx.inventory, 'orderChanges')) return undefined;
    const codes = await webOrdersOf(ctx, jobs.map((j) => j.key));
    if (!codes.length) return undefined;
    const [store, inventory] = await Promise.all([storeOrders(ctx).getOrderLines(codes), inventorySales(ctx).getSaleLines(codes)]);
    return { read: new Set(codes), store, inventory };
  },
  handle: (ctx, jobs, ahead) => eachJob(jobs, async (job) => {
    const code = job.key;
    const inv = ctx.inventory.system, storeName = ctx.store.system;
    // a pair that does not carry order changes (`dovetail check` says so) leaves orders as imported:
    // every order update passes through here, and each would otherwise fail the same way
    if (!hasCapability(ctx.store, 'orderChanges') || !hasCapability(ctx.inventory, 'orderChanges')) return;
    // the read-ahead holds only imported web orders; an order not in it is checked here
    const readAhead = ahead?.read.delete(code) ?? false;
    if (!readAhead && !(await webOrdersOf(ctx, [code])).length) return; // not imported (yet): the import flow owns it; or a phone sale
    const readStore = () => oneOrder(storeOrders(ctx).getOrderLines([code]), code);
    const readInventory = () => oneOrder(inventorySales(ctx).getSaleLines([code]), code);
    let [store, inventory] = readAhead && ahead
      ? [ahead.store.get(code) ?? null, ahead.inventory.get(code) ?? null]
      : await Promise.all([readStore(), readInventory()]);
    if (!store) throw permanent(`order ${code} was not found in ${storeName} (deleted?)`, { order: code });
    if (!inventory) throw permanent(`the sale for order ${code} was not found in ${inv} (deleted?)`, { order: code });

    const snaps = await ctx.storage.snapshots(SNAPSHOT, code);
    const seenStore = snaps.get('store') as OrderLinesState | undefined;
    const seenInventory = snaps.get('inventory') as OrderLinesState | undefined;
    if (!seenStore || !seenInventory) {
      // An order imported before Dovetail noted baselines: take what both show now.
      if (!linesAgree(store, inventory)) {
        await ctx.storage.flagConflict({ recordKind: 'order', recordKey: code, fieldGroup: 'lines', masterSystem: storeName,
          masterValue: summary(store), otherValue: summary(inventory) });
      }
      await saveSeen(ctx.storage, code, store, inventory);
      return;
    }

    if (!linesAgree(store, inventory)) {
      const fromStore = changesBetween(seenStore, store), fromInventory = changesBetween(seenInventory, inventory);
      // What both sides already show (carried before a crash, or made by hand in both) is done.
      // re-read only the side that was written to
      if (await carry(ctx, code, 'store', notYetIn(fromStore, fromInventory))) inventory = await readInventory();
      if (await carry(ctx, code, 'inventory', notYetIn(fromInventory, fromStore))) store = await readStore();
      if (!store || !inventory) throw permanent(`order ${code} disappeared while its changes were carried over`, { order: code });
    }
    // Whoever wrote the cancellation to the store (Dovetail just now, before a crash, or the store
    // where cancellations are made there), the money follows; a refused one moves no money.
    const cancelledInInventory = new Set(changesBetween(seenInventory, inventory).filter((c) => c.kind === 'cancel').map((c) => c.sku));
    const accepted = (sku: string) => ctx.config.rules.cancellationsIn === 'store' || cancelledInInventory.has(sku);
    await settleCancelledUnits(ctx, code, seenStore, store, accepted);
    await releaseOnceShipped(ctx, code, store);
    await saveSeen(ctx.storage, code, store, inventory);
  }),
};

/**
 * Links an imported order to its sale and notes the baseline later changes are judged from, in
 * one transaction: a crash between the two would leave an order known as imported with no
 * baseline, and a change the store made meanwhile would then be taken as the baseline instead of
 * being carried. A baseline noted before is kept. True when the store changed the order since
 * the sale was written (see linkedBaseline): the caller hands it to the changes flow.
 * `alsoRecord` writes what follows from the link (its audit row, follow-up jobs) in the same
 * transaction: a crash cannot leave the order linked with them missing.
 */
export async function linkSale(ctx: EngineContext, order: Order, sale: { id: string; created: boolean; totalMinor: number },
  alsoRecord: (tx: Storage, changedSince: boolean) => Promise<void>): Promise<boolean> {
  const noted = (await ctx.storage.snapshots(SNAPSHOT, order.code)).size > 0;
  // a sale just made shows the order as placed: both sides are known without reading either again
  const baseline = noted ? null : sale.created
    ? { store: linesAsPlaced(order, order.totalMinor), inventory: linesAsPlaced(order, sale.totalMinor), changedSince: false }
    : await linkedBaseline(ctx, order, sale.totalMinor);
  await ctx.storage.transaction(async (tx) => {
    await tx.putMapping(ctx.inventory.system, MAPPING.sale, order.code, sale.id);
    failpoint('order.saleLinking'); // a crash here takes the mapping with it
    if (baseline) await saveSeen(tx, order.code, baseline.store, baseline.inventory);
    await alsoRecord(tx, baseline?.changedSince ?? false);
  });
  return baseline?.changedSince ?? false;
}

/**
 * The baseline for a sale the import found rather than made: the retry after a crash between
 * writing the sale and linking it. The sale still shows the order as placed, but the store may
 * have changed it before the retry (units cancelled, or the whole order), and that change has not
 * been carried yet. So the sale's units are what both sides agreed on, priced as the store
 * charged them.
 */
async function linkedBaseline(ctx: EngineContext, order: Order, inventoryTotalMinor: number): Promise<{ store: OrderLinesState; inventory: OrderLinesState; changedSince: boolean }> {
  const placed = linesAsPlaced(order, order.totalMinor);
  const canRead = hasCapability(ctx.store, 'orderChanges') && hasCapability(ctx.inventory, 'orderChanges');
  const sale = canRead ? await oneOrder(inventorySales(ctx).getSaleLines([order.code]), order.code) : null;
  if (!sale || linesAgree(placed, sale)) return { store: placed, inventory: linesAsPlaced(order, inventoryTotalMinor), changedSince: false };
  const storeNow = (await oneOrder(storeOrders(ctx).getOrderLines([order.code]), order.code)) ?? placed;
  const charged = new Map(storeNow.lines.map((l) => [l.sku, l]));
  const lines = sale.lines.map((l) => ({ ...(charged.get(l.sku) ?? l), quantity: l.quantity, shipped: l.shipped, returned: l.returned }));
  // the store's total before the units were taken off, which prices their refund like an ordinary cancellation
  const takenOff = lines.reduce((n, l) => n + Math.max(0, l.quantity - (charged.get(l.sku)?.quantity ?? 0)) * l.unitGrossMinor, 0);
  return { store: { ...storeNow, lines, totalMinor: storeNow.totalMinor + takenOff }, inventory: sale, changedSince: true };
}

/** Both sides' lines as last seen, in one statement (inside the caller's transaction when `storage` is one). */
async function saveSeen(storage: Storage, code: string, store: OrderLinesState, inventory: OrderLinesState) {
  await storage.putSnapshots(SNAPSHOT, code, { store, inventory });
}

const summary = (s: OrderLinesState) => s.lines.map((l) => `${l.sku}×${l.quantity}${l.returned ? ` (${l.returned} returned)` : ''}`).join(', ') || 'no lines';

/** Carries what `side` changed to the other side, where the rules allow; flags the rest. True when it wrote to the other side. */
async function carry(ctx: EngineContext, code: string, side: Side, changes: LineChange[]): Promise<boolean> {
  if (!changes.length) return false;
  const from = side === 'store' ? ctx.store.system : ctx.inventory.system;
  const to = side === 'store' ? ctx.inventory.system : ctx.store.system;
  const allowed = changes.filter((c) => allowedOn(ctx, side, c));
  for (const c of changes.filter((x) => !allowedOn(ctx, side, x))) {
    const master = ctx.config.rules[RULE_OF_CHANGE[c.kind]] === 'store' ? ctx.store.system : ctx.inventory.system;
    // Neither system can refuse a change already saved; reverting a cancellation or a return would
    // undo something physical (goods not sent, goods back on the shelf). So it is shown, not undone.
    await ctx.storage.flagConflict({ recordKind: 'order', recordKey: code, fieldGroup: `lines.${c.kind}`, masterSystem: master,
      masterValue: `${c.kind}s are made in ${master} (${settingOf(c)})`, otherValue: `${describeChange(c)} in ${from}` });
    await ctx.storage.audit({ recordKind: 'orderChange', recordKey: code, action: `order.${c.kind}Refused`, fromSystem: from, setting: `${settingOf(c)}=${ctx.config.rules[RULE_OF_CHANGE[c.kind]]}`,
      result: `flagged: ${describeChange(c)} in ${from}, but ${c.kind}s are made in ${master}; not copied to ${to}`, detail: c });
  }
  if (!allowed.length) return false;
  const note = `${allowed.map(describeChange).join(', ')} in ${from} (Dovetail)`;
  if (side === 'store') await carryToInventory(ctx, code, allowed, note);
  else await carryToStore(ctx, code, allowed, note);
  failpoint('orderChanges.carried');
  for (const c of allowed) {
    await ctx.storage.audit({ recordKind: 'orderChange', recordKey: code, action: `order.${c.kind}Copied`, fromSystem: from, toSystem: to,
      setting: `${settingOf(c)}=${side}`, result: 'ok', detail: c });
  }
  return true;
}

async function carryToInventory(ctx: EngineContext, code: string, changes: LineChange[], note: string) {
  const inv = ctx.inventory;
  const sale = inventorySales(ctx);
  const now = await oneOrder(sale.getSaleLines([code]), code);
  if (!now) throw permanent(`the sale for order ${code} was not found in ${inv.system}`, { order: code });
  const current = new Map(now.lines.map((l) => [l.sku, l]));
  // cancellations and edits become target quantities (safe to repeat); returns become one return
  const targets = new Map<string, { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }>();
  for (const c of changes) {
    if (c.kind === 'return') continue;
    const line = current.get(c.sku);
    const base = targets.get(c.sku)?.quantity ?? line?.quantity ?? 0;
    const quantity = c.kind === 'cancel' ? base - c.quantity : base + (c.quantity - c.from);
    targets.set(c.sku, { sku: c.sku, quantity: Math.max(0, quantity),
      unitNetMinor: c.kind === 'edit' ? c.unitNetMinor : line?.unitNetMinor ?? 0, taxRatePercent: c.kind === 'edit' ? c.taxRatePercent : line?.taxRatePercent ?? 0 });
  }
  if (targets.size) await sale.setSaleQuantities(code, [...targets.values()], note);
  const returns = changes.filter((c) => c.kind === 'return');
  if (returns.length) {
    await sale.recordReturn(code, returns.map((r) => ({ sku: r.sku, quantity: r.quantity })),
      { key: `${ctx.store.system}-return:${code}:${digest(returns)}`, note, creditNote: ctx.config.rules.creditMemosIn === 'inventory' });
  }
}

async function carryToStore(ctx: EngineContext, code: string, changes: LineChange[], note: string) {
  const store = ctx.store;
  const order = storeOrders(ctx);
  const cancels = changes.filter((c) => c.kind === 'cancel');
  if (cancels.length) {
    await order.cancelOrderUnits(code, cancels.map((c) => ({ sku: c.sku, quantity: c.quantity })), { kind: 'cancel', reason: note });
  }
  const returns = changes.filter((c) => c.kind === 'return');
  if (returns.length && ctx.config.rules.returnsToStore) {
    await order.cancelOrderUnits(code, returns.map((c) => ({ sku: c.sku, quantity: c.quantity })),
      { kind: 'return', reason: `Returned: ${returns.map(describeChange).join(', ')} (booked in ${ctx.inventory.system})` });
  } else if (returns.length) {
    await ctx.storage.audit({ recordKind: 'orderChange', recordKey: code, action: 'order.returnNotShown', fromSystem: ctx.inventory.system, setting: 'rules.returnsToStore=false',
      result: `${returns.map(describeChange).join(', ')}: restocked in ${ctx.inventory.system}, not shown on the store order`, detail: returns });
  }
  const edits = changes.filter((c) => c.kind === 'edit');
  if (edits.length) {
    const r = await order.raiseOrderQuantities(code, edits.map((c) => ({ sku: c.sku, quantity: c.quantity })), note);
    if (r.totalAfterMinor > r.totalBeforeMinor) {
      // The customer now owes more than they paid or authorised: a person must arrange it.
      await ctx.storage.flagConflict({ recordKind: 'order', recordKey: code, fieldGroup: 'payment', masterSystem: ctx.inventory.system,
        masterValue: `order total raised to ${r.totalAfterMinor} by an edit in ${ctx.inventory.system}`, otherValue: `${r.totalAfterMinor - r.totalBeforeMinor} more to collect (${store.system}: ${r.state})` });
    }
  }
}

/**
 * Gives up what is still authorised for an order with nothing left to ship (rules.capture:
 * atShipment). Each shipment captures its own amount from this same authorisation: releasing it
 * first would give up the money for goods that left (a shipment and the cancellation of the rest
 * seen in one pass), so it waits (a retry) until every shipment's capture is done.
 */
async function releaseRest(ctx: EngineContext, code: string, cancelled: string): Promise<void> {
  const uncaptured = await shipmentsNotCaptured(ctx, code);
  if (uncaptured.length) throw transient(`order ${code}: the authorisation is released once shipments ${uncaptured.join(', ')} are captured`);
  const r = await storeOrders(ctx).releaseAuthorisation(code, `nothing left to ship after ${cancelled}`);
  if (r.releasedMinor > 0) {
    await ctx.storage.audit({ recordKind: 'payment', recordKey: code, action: 'payment.released', toSystem: ctx.store.system, setting: `rules.capture=${ctx.config.rules.capture}`,
      result: 'ok', detail: { releasedMinor: r.releasedMinor, cancelled } });
  }
}

/** Units cancelled while others still waited to ship (rules.capture: atShipment): once the rest has shipped, the rest of the authorisation goes. */
async function releaseOnceShipped(ctx: EngineContext, code: string, now: OrderLinesState): Promise<void> {
  const cancelled = await ctx.storage.mapping(ctx.store.system, MAPPING.releaseWhenShipped, code);
  if (!cancelled || cancelled === RELEASED || cancelledUnitsMoney(ctx.config.rules.capture, now) !== 'release') return;
  await releaseRest(ctx, code, cancelled);
  await ctx.storage.putMapping(ctx.store.system, MAPPING.releaseWhenShipped, code, RELEASED);
}
const RELEASED = 'released';

/** The order's done shipments whose capture (rules.capture: atShipment) is not done yet: not made, or proposed and not settled by an operator. */
async function shipmentsNotCaptured(ctx: EngineContext, code: string): Promise<string[]> {
  const inv = ctx.inventory.system;
  const found = await capability(ctx.inventory, 'shipments', 'capture per shipment (rules.capture: atShipment)').getShipments(code);
  const waiting: string[] = [];
  for (const s of found?.shipments ?? []) {
    const capture = await ctx.storage.mapping(inv, MAPPING.capture, `${code}:${s.id}`);
    const proposed = capture?.startsWith('proposed:') ? capture.slice('proposed:'.length) : null;
    if (!capture || (proposed && !(await ctx.storage.mapping(inv, MAPPING.settled, `${code}:${proposed}`)))) waiting.push(s.number);
  }
  return waiting;
}

const digest = (x: unknown) => createHash('sha1').update(JSON.stringify(x)).digest('hex').slice(0, 16);

/**
 * Money for units the store's order no longer carries because they were cancelled:
 * capture atShipment — nothing was captured for unshipped units; once nothing is left to ship,
 * what is still authorised is released. atOrder — the customer paid for them: refund their value
 * once, but never more than the store holds beyond what the order now costs (so a refund a person
 * already made by hand is not made twice), and record it in the inventory system.
 */
async function settleCancelledUnits(ctx: EngineContext, code: string, before: OrderLinesState, after: OrderLinesState, accepted: (sku: string) => boolean) {
  const changes = changesBetween(before, after);
  const cancels = changes.filter((c): c is Extract<LineChange, { kind: 'cancel' }> => c.kind === 'cancel' && accepted(c.sku));
  if (!cancels.length) return;
  const store = ctx.store, inv = ctx.inventory;
  const setting = `rules.capture=${ctx.config.rules.capture}`;
  const plan = cancelledUnitsMoney(ctx.config.rules.capture, after);
  if (plan === 'wait') {
    // the shipment that ends the order shows no cancellation of its own: remember to release then
    await ctx.storage.putMapping(store.system, MAPPING.releaseWhenShipped, code, cancels.map(describeChange).join(', '));
    return;
  }
  if (plan === 'release') return releaseRest(ctx, code, cancels.map(describeChange).join(', '));
  const payments = capability(store, 'payments', 'refunds of cancelled units (rules.cancellationsIn with rules.capture: atOrder)');
  const money = await payments.getPayments(code);
  if (!money) throw permanent(`order ${code} was not found in ${store.system}`, { order: code });
  const key = `${code}:cancel-${digest([before.lines, after.lines])}`;
  const refundedBefore = money.payments.flatMap((p) => p.refunds).some((r) => r.dovetailKey === key && r.state !== 'failed');
  const { valueMinor: value, amountMinor: amount } = cancellationRefund({ before, after, accepted, money, refundedBefore });
  if (amount <= 0) {
    await ctx.storage.audit({ recordKind: 'payment', recordKey: code, action: 'payment.nothingToRefund', fromSystem: store.system, setting,
      result: `${cancels.map(describeChange).join(', ')}: nothing captured for them beyond what the order now costs (not paid yet, or refunded already)`,
      detail: { valueMinor: value, capturedMinor: money.capturedMinor, refundedMinor: money.refundedMinor, totalMinor: after.totalMinor } });
    return;
  }
  const what = `Refund for ${cancels.map(describeChange).join(', ')} of order ${code}`;
  const refund = await payments.refundPayment(code, amount, key, what);
  failpoint('orderChanges.refunded');
  const payment = await capability(inv, 'payments', 'refunds of cancelled units (rules.cancellationsIn with rules.capture: atOrder)').recordPayment(code, { kind: 'payable', amountMinor: refund.amountMinor, key: `cancel:${key}`, description: what });
  await ctx.storage.audit({ recordKind: 'payment', recordKey: code, action: refund.created ? 'payment.refundedCancelled' : 'payment.refundFound', fromSystem: store.system, toSystem: inv.system,
    setting, result: 'ok', detail: { amountMinor: refund.amountMinor, storeRefunds: refund.refundIds, inventoryPayment: payment.id, cancelled: cancels } });
}
