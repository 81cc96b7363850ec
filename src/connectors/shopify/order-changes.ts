// Changes to a placed Shopify order in the shape both systems compare: its lines read with what
// shipped and what came back, unshipped units taken off by an order edit (or the whole order
// cancelled when nothing is left and nothing shipped), shipped units taken back by a processed
// return, and quantities raised by an order edit.
import { z } from 'zod';
import { chunk } from '../../collections.js';
import { permanent } from '../../errors.js';
import type { LineState, OrderLinesState } from '../../model/order-lines.js';
import { userErrorFailure } from './client.js';
import { bagToMinor, GqlLineItem, legacyIdOf, MoneyBag, toOrderLine } from './mappers.js';
import {
  ORDER_LINES_BATCH, OrderCancel, OrderEditAddVariant, OrderEditBegin, OrderEditCommit, OrderEditSetQuantity, OrderLinesState as OrderLinesQuery, OrderLinesStates,
  ReturnCreate, ReturnProcess,
} from './operations.js';
import { orderIdOf, orderIdsOf, variantsBySku, type ShopifyContext } from './reads.js';
import { UserErrors } from './user-errors.js';

const LinesNode = z.object({
  id: z.string(), legacyResourceId: z.string(), cancelledAt: z.string().nullable(), displayFinancialStatus: z.string().nullable(), taxesIncluded: z.boolean(),
  currentTotalPriceSet: MoneyBag,
  lineItems: z.object({ nodes: z.array(GqlLineItem) }),
  fulfillments: z.array(z.object({ id: z.string(), status: z.string(),
    fulfillmentLineItems: z.object({ nodes: z.array(z.object({ id: z.string(), quantity: z.number().int(), lineItem: z.object({ id: z.string() }) })) }) })),
  returns: z.object({ nodes: z.array(z.object({ id: z.string(), status: z.string(),
    returnLineItems: z.object({ nodes: z.array(z.object({ id: z.string(), quantity: z.number().int(),
      fulfillmentLineItem: z.object({ id: z.string(), lineItem: z.object({ id: z.string() }) }).optional() })) }) })) }),
  refunds: z.array(z.object({ refundLineItems: z.object({ nodes: z.array(z.object({ quantity: z.number().int(), lineItem: z.object({ id: z.string() }) })) }) })),
});
type LinesNode = z.infer<typeof LinesNode>;

/** One order in OrderLinesState's full pages: what an edit or a return is worked out from. */
async function loadOne(ctx: ShopifyContext, id: string): Promise<LinesNode | null> {
  return (await ctx.client.request(OrderLinesQuery, { id }, z.object({ order: LinesNode.nullable() }))).order;
}

const More = z.object({ pageInfo: z.object({ hasNextPage: z.boolean() }) });
const BatchNode = LinesNode.extend({ lineItems: LinesNode.shape.lineItems.merge(More), returns: LinesNode.shape.returns.merge(More) });

/**
 * The orders by code, ORDER_LINES_BATCH a call; an order with more line items or returns than a
 * batched read covers is read again on its own, so its state is the one a single read gives.
 */
async function loadMany(ctx: ShopifyContext, codes: string[]): Promise<Map<string, LinesNode>> {
  const ids = await orderIdsOf(ctx, codes);
  const byId = new Map<string, LinesNode>();
  for (const part of chunk([...new Set(ids.values())], ORDER_LINES_BATCH)) {
    const d = await ctx.client.request(OrderLinesStates, { ids: part }, z.object({ nodes: z.array(BatchNode.nullable()) }));
    for (const o of d.nodes) {
      if (!o) continue; // no such order
      const whole = o.lineItems.pageInfo.hasNextPage || o.returns.pageInfo.hasNextPage ? await loadOne(ctx, o.id) : o;
      if (whole) byId.set(o.id, whole);
    }
  }
  const out = new Map<string, LinesNode>();
  for (const [code, id] of ids) { const o = byId.get(id); if (o) out.set(code, o); }
  return out;
}

async function mustLoad(ctx: ShopifyContext, code: string, what: string): Promise<LinesNode> {
  const id = await orderIdOf(ctx, code);
  const o = id ? await loadOne(ctx, id) : null;
  if (!o) throw permanent(`Shopify has no order ${code} to ${what}`, { orderCode: code });
  return o;
}

const LIVE_FULFILMENT = (f: { status: string }) => !['CANCELLED', 'ERROR', 'FAILURE'].includes(f.status);
const LIVE_RETURN = (r: { status: string }) => r.status !== 'CANCELED' && r.status !== 'DECLINED';
const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

/** Per line item: units fulfilled, units on returns (per fulfilment line item too), units refunded with their line. */
function tallies(o: LinesNode) {
  const shipped = new Map<string, number>(), returned = new Map<string, number>(), refunded = new Map<string, number>(), returnedOfFulfilmentLine = new Map<string, number>();
  for (const f of o.fulfillments.filter(LIVE_FULFILMENT)) for (const l of f.fulfillmentLineItems.nodes) add(shipped, l.lineItem.id, l.quantity);
  for (const r of o.returns.nodes.filter(LIVE_RETURN)) {
    for (const l of r.returnLineItems.nodes) {
      if (!l.fulfillmentLineItem) continue;
      add(returned, l.fulfillmentLineItem.lineItem.id, l.quantity);
      add(returnedOfFulfilmentLine, l.fulfillmentLineItem.id, l.quantity);
    }
  }
  for (const r of o.refunds) for (const l of r.refundLineItems.nodes) add(refunded, l.lineItem.id, l.quantity);
  return { shipped, returned, refunded, returnedOfFulfilmentLine };
}

/**
 * Units the customer still gets on one line: Shopify's currentQuantity already leaves out units
 * removed by edits and units refunded with their line; returned units not refunded that way are
 * taken off here, so a return counts once however it was settled.
 */
function unitsKept(li: LinesNode['lineItems']['nodes'][number], t: ReturnType<typeof tallies>): number {
  const returnedNotRefunded = Math.max(0, (t.returned.get(li.id) ?? 0) - (t.refunded.get(li.id) ?? 0));
  return Math.max(0, li.currentQuantity - returnedNotRefunded);
}

function toState(o: LinesNode): OrderLinesState {
  const t = tallies(o);
  const bySku = new Map<string, LineState & { net: number; gross: number; units: number }>();
  for (const li of o.lineItems.nodes) {
    if (!li.sku || li.quantity === 0) continue;
    const priced = toOrderLine(li, o.taxesIncluded, o.legacyResourceId);
    const s = bySku.get(li.sku) ?? { sku: li.sku, quantity: 0, shipped: 0, returned: 0, unitGrossMinor: 0, unitNetMinor: 0, taxRatePercent: priced.taxRatePercent, net: 0, gross: 0, units: 0 };
    s.quantity += unitsKept(li, t);
    s.shipped += t.shipped.get(li.id) ?? 0;
    s.returned += t.returned.get(li.id) ?? 0;
    s.net += priced.lineNetMinor; s.gross += priced.lineNetMinor + priced.lineTaxMinor; s.units += li.quantity;
    bySku.set(li.sku, s);
  }
  const lines = [...bySku.values()].map(({ net, gross, units, ...s }) => ({ ...s, unitNetMinor: Math.round(net / units), unitGrossMinor: Math.round(gross / units) }));
  return { orderCode: o.legacyResourceId, lines, totalMinor: bagToMinor(o.currentTotalPriceSet), state: o.cancelledAt ? 'CANCELLED' : (o.displayFinancialStatus ?? 'PENDING') };
}

export async function getOrderLines(ctx: ShopifyContext, codes: string[]): Promise<Map<string, OrderLinesState>> {
  const out = new Map<string, OrderLinesState>();
  for (const [code, o] of await loadMany(ctx, codes)) out.set(code, toState(o));
  return out;
}

// ---- order edits ----

const CalculatedOrder = z.object({ id: z.string(), lineItems: z.object({ nodes: z.array(z.object({ id: z.string(), sku: z.string().nullable(), quantity: z.number().int() })) }) });

/** One order edit: begin, the staged changes, commit; a refusal anywhere leaves the edit uncommitted (Shopify drops it). */
async function editOrder(ctx: ShopifyContext, o: LinesNode, note: string,
  stage: (edit: { setQuantity(lineItemId: string, quantity: number): Promise<void>; addVariant(variantId: string, quantity: number): Promise<void> }) => Promise<void>) {
  const begin = await ctx.client.request(OrderEditBegin, { id: o.id }, z.object({ orderEditBegin: z.object({ calculatedOrder: CalculatedOrder.nullable(), userErrors: UserErrors }) }));
  const calc = begin.orderEditBegin.calculatedOrder;
  if (begin.orderEditBegin.userErrors.length || !calc) throw userErrorFailure('orderEditBegin', begin.orderEditBegin.userErrors, { orderCode: o.legacyResourceId });
  // a calculated line item carries its line item's number
  const calculatedIdOf = (lineItemId: string) => {
    const c = calc.lineItems.nodes.find((x) => legacyIdOf(x.id) === legacyIdOf(lineItemId));
    if (!c) throw permanent(`Shopify's edit of order ${o.legacyResourceId} does not show line item ${lineItemId}`, { orderCode: o.legacyResourceId });
    return c.id;
  };
  const Staged = z.object({ calculatedLineItem: z.object({ id: z.string() }).nullable(), userErrors: UserErrors });
  await stage({
    async setQuantity(lineItemId, quantity) {
      const d = await ctx.client.request(OrderEditSetQuantity, { id: calc.id, lineItemId: calculatedIdOf(lineItemId), quantity }, z.object({ orderEditSetQuantity: Staged }));
      if (d.orderEditSetQuantity.userErrors.length) throw userErrorFailure('orderEditSetQuantity', d.orderEditSetQuantity.userErrors, { orderCode: o.legacyResourceId, lineItemId });
    },
    async addVariant(variantId, quantity) {
      const d = await ctx.client.request(OrderEditAddVariant, { id: calc.id, variantId, quantity }, z.object({ orderEditAddVariant: Staged }));
      if (d.orderEditAddVariant.userErrors.length) throw userErrorFailure('orderEditAddVariant', d.orderEditAddVariant.userErrors, { orderCode: o.legacyResourceId, variantId });
    },
  });
  const c = await ctx.client.request(OrderEditCommit, { id: calc.id, staffNote: note.slice(0, 255) }, z.object({ orderEditCommit: z.object({
    order: z.object({ id: z.string(), currentTotalPriceSet: MoneyBag, displayFinancialStatus: z.string().nullable() }).nullable(), userErrors: UserErrors }) }));
  if (c.orderEditCommit.userErrors.length || !c.orderEditCommit.order) throw userErrorFailure('orderEditCommit', c.orderEditCommit.userErrors, { orderCode: o.legacyResourceId });
  return { totalMinor: bagToMinor(c.orderEditCommit.order.currentTotalPriceSet), state: c.orderEditCommit.order.displayFinancialStatus ?? 'PENDING' };
}

/**
 * Takes units off the order. `cancel`: unshipped units, by an order edit (restocked in Shopify), or
 * orderCancel when that leaves nothing and nothing shipped. `return`: shipped units the customer
 * still has, by a return (returnCreate) processed at once without money (refunds are their own
 * step). Returns the order's total before and after.
 */
export async function cancelOrderUnits(ctx: ShopifyContext, code: string, lines: { sku: string; quantity: number }[],
  opts: { kind: 'cancel' | 'return'; reason: string }): Promise<{ totalBeforeMinor: number; totalAfterMinor: number }> {
  const o = await mustLoad(ctx, code, opts.kind === 'return' ? 'record a return on' : 'cancel units of');
  const before = bagToMinor(o.currentTotalPriceSet);
  const wanted = lines.filter((l) => l.quantity > 0);
  if (!wanted.length) return { totalBeforeMinor: before, totalAfterMinor: before };
  if (opts.kind === 'return') await takeBack(ctx, o, wanted, opts.reason);
  else await cancelUnshipped(ctx, o, wanted, opts.reason);
  const after = await mustLoad(ctx, code, 'read back');
  return { totalBeforeMinor: before, totalAfterMinor: bagToMinor(after.currentTotalPriceSet) };
}

async function cancelUnshipped(ctx: ShopifyContext, o: LinesNode, wanted: { sku: string; quantity: number }[], reason: string) {
  const t = tallies(o);
  const setTo = new Map<string, number>();
  for (const want of wanted) {
    const items = o.lineItems.nodes.filter((li) => li.sku === want.sku).map((li) => ({ li, open: Math.max(0, li.currentQuantity - (t.shipped.get(li.id) ?? 0)) }));
    const open = items.reduce((n, x) => n + x.open, 0);
    if (open < want.quantity) {
      throw permanent(`Shopify order ${o.legacyResourceId} has ${open} of ${want.sku} not shipped: cannot cancel ${want.quantity}`, { orderCode: o.legacyResourceId, sku: want.sku });
    }
    let left = want.quantity;
    for (const x of items.sort((a, b) => b.open - a.open)) {
      const take = Math.min(left, x.open);
      if (take <= 0) break;
      setTo.set(x.li.id, x.li.currentQuantity - take);
      left -= take;
    }
  }
  const nothingLeft = o.lineItems.nodes.every((li) => (setTo.get(li.id) ?? li.currentQuantity) === 0);
  const nothingShipped = o.fulfillments.filter(LIVE_FULFILMENT).length === 0;
  if (nothingLeft && nothingShipped) {
    const d = await ctx.client.request(OrderCancel, { orderId: o.id, staffNote: reason.slice(0, 255) }, z.object({ orderCancel: z.object({
      job: z.object({ id: z.string(), done: z.boolean() }).nullable(), orderCancelUserErrors: UserErrors }) }));
    if (d.orderCancel.orderCancelUserErrors.length) throw userErrorFailure('orderCancel', d.orderCancel.orderCancelUserErrors, { orderCode: o.legacyResourceId });
    return;
  }
  await editOrder(ctx, o, reason, async (edit) => { for (const [lineItemId, quantity] of setTo) await edit.setQuantity(lineItemId, quantity); });
}

async function takeBack(ctx: ShopifyContext, o: LinesNode, wanted: { sku: string; quantity: number }[], reason: string) {
  const t = tallies(o);
  const returnLineItems: { fulfillmentLineItemId: string; quantity: number; returnReasonNote: string }[] = [];
  for (const want of wanted) {
    const ids = new Set(o.lineItems.nodes.filter((li) => li.sku === want.sku).map((li) => li.id));
    const withCustomer = o.fulfillments.filter(LIVE_FULFILMENT).flatMap((f) => f.fulfillmentLineItems.nodes)
      .filter((fl) => ids.has(fl.lineItem.id)).map((fl) => ({ fl, left: fl.quantity - (t.returnedOfFulfilmentLine.get(fl.id) ?? 0) }));
    const have = withCustomer.reduce((n, x) => n + Math.max(0, x.left), 0);
    if (have < want.quantity) {
      throw permanent(`Shopify order ${o.legacyResourceId} has ${have} of ${want.sku} shipped and not returned: cannot return ${want.quantity}`, { orderCode: o.legacyResourceId, sku: want.sku });
    }
    let left = want.quantity;
    for (const x of withCustomer) {
      const take = Math.min(left, x.left);
      if (take <= 0) continue;
      returnLineItems.push({ fulfillmentLineItemId: x.fl.id, quantity: take, returnReasonNote: reason.slice(0, 255) });
      left -= take;
    }
  }
  const Return = z.object({ id: z.string(), status: z.string(), returnLineItems: z.object({ nodes: z.array(z.object({ id: z.string(), quantity: z.number().int() })) }) });
  const c = await ctx.client.request(ReturnCreate, { returnInput: { orderId: o.id, returnLineItems } }, z.object({ returnCreate: z.object({ return: Return.nullable(), userErrors: UserErrors }) }));
  const made = c.returnCreate.return;
  if (c.returnCreate.userErrors.length || !made) throw userErrorFailure('returnCreate', c.returnCreate.userErrors, { orderCode: o.legacyResourceId });
  const p = await ctx.client.request(ReturnProcess, { input: { returnId: made.id, returnLineItems: made.returnLineItems.nodes.map((l) => ({ id: l.id, quantity: l.quantity })), notifyCustomer: false, note: reason.slice(0, 255) } },
    z.object({ returnProcess: z.object({ return: z.object({ id: z.string(), status: z.string() }).nullable(), userErrors: UserErrors }) }));
  if (p.returnProcess.userErrors.length) throw userErrorFailure('returnProcess', p.returnProcess.userErrors, { orderCode: o.legacyResourceId, returnId: made.id });
}

/**
 * Raises each SKU to `quantity` units where it has fewer, in one order edit: the SKU's last line
 * raised, or the variant added (priced by Shopify). A SKU already there is left alone, so a repeat
 * changes nothing. `state` is Shopify's financial status after it (PARTIALLY_PAID: the customer owes).
 */
export async function raiseOrderQuantities(ctx: ShopifyContext, code: string, lines: { sku: string; quantity: number }[], note: string)
  : Promise<{ totalBeforeMinor: number; totalAfterMinor: number; state: string }> {
  const o = await mustLoad(ctx, code, 'raise quantities on');
  const state = toState(o);
  const before = state.totalMinor;
  const raise: { lineItemId: string; quantity: number }[] = [];
  const added: { sku: string; quantity: number }[] = [];
  for (const want of lines) {
    const have = state.lines.find((l) => l.sku === want.sku)?.quantity ?? 0;
    if (have >= want.quantity) continue;
    const line = o.lineItems.nodes.filter((li) => li.sku === want.sku).at(-1);
    if (line) raise.push({ lineItemId: line.id, quantity: line.currentQuantity + want.quantity - have });
    else added.push({ sku: want.sku, quantity: want.quantity });
  }
  if (!raise.length && !added.length) return { totalBeforeMinor: before, totalAfterMinor: before, state: state.state };
  const variants = await variantsBySku(ctx, added.map((a) => a.sku));
  const unknown = added.filter((a) => !variants.has(a.sku)).map((a) => a.sku);
  if (unknown.length) throw permanent(`cannot add ${unknown.join(', ')} to Shopify order ${code}: the store has no variant with that SKU`, { orderCode: code, skus: unknown });
  const r = await editOrder(ctx, o, note, async (edit) => {
    for (const x of raise) await edit.setQuantity(x.lineItemId, x.quantity);
    for (const a of added) await edit.addVariant(variants.get(a.sku)!.id, a.quantity);
  });
  return { totalBeforeMinor: before, totalAfterMinor: r.totalMinor, state: r.state };
}
