// Changes to a placed Vendure order: its lines read in the shape both systems are compared in,
// units taken off (cancelOrder with lines), quantities raised (modifyOrder), authorisations released.
//
// Vendure has no return entity: a return is a cancellation of units that had shipped (its own
// cancelOrder restocks fulfilled units first). So a SKU's `returned` is the larger of
//   (a) units in ORDER_CANCELLATION history entries whose reason starts with "Return" (Dovetail
//       writes its returns that way, and store staff are asked to), at most what shipped, and
//   (b) units taken off beyond the unshipped ones: shipped − quantity, when positive.
import { z } from 'zod';
import { chunk } from '../../collections.js';
import { DovetailError, permanent } from '../../errors.js';
import type { LineState, OrderLinesState } from '../../model/order-lines.js';
import type { VendureClient } from './client.js';

/** A cancellation whose reason starts like this counts as a return (case-insensitive). */
export const RETURN_REASON = /^return/i;
export const returnReason = (reason: string) => (RETURN_REASON.test(reason.trim()) ? reason.trim() : `Return: ${reason.trim()}`);

const ORDER_LINES_FIELDS = `id code state totalWithTax
  lines { id quantity proratedUnitPrice proratedUnitPriceWithTax taxRate productVariant { id sku } }
  fulfillments { state lines { orderLineId quantity } }
  history(options: { filter: { type: { eq: "ORDER_CANCELLATION" } }, take: 1000 }) { items { data } }`;

const CancellationData = z.object({
  lines: z.array(z.object({ orderLineId: z.union([z.string(), z.number()]).transform(String), quantity: z.number().int() })).default([]),
  reason: z.string().nullable().optional(),
}).passthrough();

const OrderLinesNode = z.object({
  id: z.string(), code: z.string(), state: z.string(), totalWithTax: z.number().int(),
  lines: z.array(z.object({
    id: z.string(), quantity: z.number().int(), proratedUnitPrice: z.number().int(), proratedUnitPriceWithTax: z.number().int(),
    taxRate: z.number(), productVariant: z.object({ id: z.string(), sku: z.string() }),
  })),
  fulfillments: z.array(z.object({ state: z.string(), lines: z.array(z.object({ orderLineId: z.string(), quantity: z.number().int() })) })).nullable(),
  history: z.object({ items: z.array(z.object({ data: z.unknown() })) }),
});
type OrderLinesNode = z.infer<typeof OrderLinesNode>;

/** Orders per query: each carries its lines, fulfilments and cancellations, so a page stays a modest answer. */
const ORDERS_PER_QUERY = 50;

/** The orders with these codes, one query per ORDERS_PER_QUERY codes, by code. */
async function loadOrders(client: VendureClient, codes: string[]): Promise<Map<string, OrderLinesNode>> {
  const out = new Map<string, OrderLinesNode>();
  for (const some of chunk([...new Set(codes)], ORDERS_PER_QUERY)) {
    const r = await client.admin(`query DovetailOrderLines($o: OrderListOptions) { orders(options: $o) { items { ${ORDER_LINES_FIELDS} } } }`,
      { o: { filter: { code: { in: some } }, take: some.length } }, z.object({ orders: z.object({ items: z.array(OrderLinesNode) }) }));
    for (const o of r.orders.items) out.set(o.code, o);
  }
  return out;
}

/** Per order line: units on fulfilments that are not Cancelled. */
function shippedByLine(o: OrderLinesNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of o.fulfillments ?? []) {
    if (f.state === 'Cancelled') continue;
    for (const l of f.lines) out.set(l.orderLineId, (out.get(l.orderLineId) ?? 0) + l.quantity);
  }
  return out;
}

/** Per order line: units taken off by cancellations whose reason says Return. */
function returnedByLine(o: OrderLinesNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const h of o.history.items) {
    const d = CancellationData.safeParse(h.data);
    if (!d.success || !RETURN_REASON.test((d.data.reason ?? '').trim())) continue;
    for (const l of d.data.lines) out.set(l.orderLineId, (out.get(l.orderLineId) ?? 0) + l.quantity);
  }
  return out;
}

function toState(o: OrderLinesNode): OrderLinesState {
  const shipped = shippedByLine(o), flaggedReturns = returnedByLine(o);
  const bySku = new Map<string, LineState & { flagged: number; grossSum: number; netSum: number }>();
  for (const l of o.lines) {
    const s = bySku.get(l.productVariant.sku) ?? { sku: l.productVariant.sku, quantity: 0, shipped: 0, returned: 0, flagged: 0,
      unitGrossMinor: l.proratedUnitPriceWithTax, unitNetMinor: l.proratedUnitPrice, taxRatePercent: l.taxRate, grossSum: 0, netSum: 0 };
    s.quantity += l.quantity;
    s.shipped += shipped.get(l.id) ?? 0;
    s.flagged += flaggedReturns.get(l.id) ?? 0;
    // several lines of one SKU: the unit price of the units still ordered (a line at 0 keeps its own)
    s.grossSum += l.proratedUnitPriceWithTax * l.quantity;
    s.netSum += l.proratedUnitPrice * l.quantity;
    bySku.set(s.sku, s);
  }
  const lines = [...bySku.values()].map(({ flagged, grossSum, netSum, ...s }) => ({
    ...s,
    returned: Math.max(Math.min(flagged, s.shipped), s.shipped - s.quantity, 0),
    unitGrossMinor: s.quantity > 0 ? Math.round(grossSum / s.quantity) : s.unitGrossMinor,
    unitNetMinor: s.quantity > 0 ? Math.round(netSum / s.quantity) : s.unitNetMinor,
  }));
  return { orderCode: o.code, lines, totalMinor: o.totalWithTax, state: o.state };
}

export async function getOrderLines(client: VendureClient, codes: string[]): Promise<Map<string, OrderLinesState>> {
  const orders = await loadOrders(client, codes);
  return new Map([...orders].map(([code, o]) => [code, toState(o)]));
}

async function mustLoad(client: VendureClient, code: string, what: string): Promise<OrderLinesNode> {
  const o = (await loadOrders(client, [code])).get(code);
  if (!o) throw permanent(`Vendure has no order ${code} to ${what}`, { order: code });
  return o;
}

const ErrorFields = `... on ErrorResult { errorCode message }`;
const OrderOrError = z.object({ __typename: z.string(), state: z.string().optional(), totalWithTax: z.number().int().optional(),
  errorCode: z.string().optional(), message: z.string().optional(), transitionError: z.string().optional() });
const refusal = (r: z.infer<typeof OrderOrError>) => `${r.errorCode ?? r.__typename} ${r.transitionError ?? r.message ?? ''}`.trim();

/**
 * Takes units off the order with Vendure's cancelOrder (shipping kept). `kind: 'cancel'` takes
 * units that have not shipped, `'return'` units that have; the reason of a return starts with
 * "Return: ", which is what makes it count as returned. When every line reaches 0 Vendure moves the
 * order to Cancelled itself; its payments stay as they were (see releaseAuthorisation, refunds).
 */
export async function cancelOrderUnits(client: VendureClient, code: string, lines: { sku: string; quantity: number }[],
  opts: { kind: 'cancel' | 'return'; reason: string }): Promise<{ totalBeforeMinor: number; totalAfterMinor: number }> {
  const o = await mustLoad(client, code, opts.kind === 'return' ? 'record a return on' : 'cancel units of');
  const state = toState(o);
  const shipped = shippedByLine(o);
  const input: { orderLineId: string; quantity: number }[] = [];
  for (const want of lines) {
    if (want.quantity <= 0) continue;
    const s = state.lines.find((l) => l.sku === want.sku);
    if (!s) throw permanent(`Vendure order ${code} has no line for SKU ${want.sku}: nothing to ${opts.kind}`, { order: code, sku: want.sku });
    const withCustomer = s.shipped - s.returned; // shipped units still with the customer
    const open = opts.kind === 'return' ? Math.min(withCustomer, s.quantity) : s.quantity - Math.max(withCustomer, 0);
    if (open < want.quantity) {
      const what = opts.kind === 'return' ? `${withCustomer} shipped and not returned` : `${Math.max(open, 0)} not shipped`;
      throw permanent(`Vendure order ${code} has ${s.quantity} of ${want.sku} (${what}): cannot ${opts.kind} ${want.quantity}`,
        { order: code, sku: want.sku, quantity: want.quantity, ordered: s.quantity, shipped: s.shipped, returned: s.returned });
    }
    // spread over the SKU's lines: a cancellation from the lines with the most unshipped units, a return from the most shipped
    const candidates = o.lines.filter((l) => l.productVariant.sku === want.sku && l.quantity > 0)
      .map((l) => ({ id: l.id, quantity: l.quantity, unshipped: Math.max(l.quantity - (shipped.get(l.id) ?? 0), 0) }))
      .sort((a, b) => opts.kind === 'cancel' ? b.unshipped - a.unshipped : (b.quantity - b.unshipped) - (a.quantity - a.unshipped));
    let left = want.quantity;
    for (const c of candidates) {
      const take = Math.min(left, c.quantity);
      if (take <= 0) break;
      input.push({ orderLineId: c.id, quantity: take });
      left -= take;
    }
  }
  if (!input.length) return { totalBeforeMinor: o.totalWithTax, totalAfterMinor: o.totalWithTax };
  const reason = opts.kind === 'return' ? returnReason(opts.reason) : opts.reason;
  const r = await client.admin(`mutation DovetailCancelUnits($i: CancelOrderInput!) { cancelOrder(input: $i) {
    __typename ... on Order { state totalWithTax } ... on OrderStateTransitionError { transitionError } ${ErrorFields} } }`,
  { i: { orderId: o.id, lines: input, reason: reason.slice(0, 250), cancelShipping: false } }, z.object({ cancelOrder: OrderOrError }));
  if (r.cancelOrder.__typename !== 'Order') {
    throw permanent(`Vendure refused to ${opts.kind} ${lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')} on order ${code}: ${refusal(r.cancelOrder)}`, { order: code });
  }
  return { totalBeforeMinor: o.totalWithTax, totalAfterMinor: r.cancelOrder.totalWithTax ?? o.totalWithTax };
}

async function transition(client: VendureClient, orderId: string, to: string) {
  const r = await client.admin(`mutation DovetailOrderTo($id: ID!, $s: String!) { transitionOrderToState(id: $id, state: $s) {
    __typename ... on Order { state totalWithTax } ... on OrderStateTransitionError { transitionError } ${ErrorFields} } }`,
  { id: orderId, s: to }, z.object({ transitionOrderToState: OrderOrError.nullable() }));
  return r.transitionOrderToState;
}

/** Where an order goes back to after Modifying: its state before, or the state its fulfilments allow now. */
const RETURN_STATES: Record<string, string[]> = {
  Shipped: ['Shipped', 'PartiallyShipped'],
  PartiallyDelivered: ['PartiallyDelivered', 'PartiallyShipped'],
};

/**
 * Raises each SKU to `quantity` units where it has fewer (Vendure's order modification): Modifying,
 * modifyOrder (adjustOrderLines for SKUs on the order, addItems by variant for new ones, shipping
 * not recalculated), then back to the state before — or ArrangingAdditionalPayment when the total
 * grew, which is Vendure's way of saying the customer owes the difference. SKUs already at or
 * above their quantity are left alone, so a repeat after a crash changes nothing.
 */
export async function raiseOrderQuantities(client: VendureClient, code: string, lines: { sku: string; quantity: number }[], note: string)
  : Promise<{ totalBeforeMinor: number; totalAfterMinor: number; state: string }> {
  const o = await mustLoad(client, code, 'raise quantities on');
  const adjust: { orderLineId: string; quantity: number }[] = [];
  const newSkus: { sku: string; quantity: number }[] = [];
  for (const want of lines) {
    const mine = o.lines.filter((l) => l.productVariant.sku === want.sku);
    const have = mine.reduce((n, l) => n + l.quantity, 0);
    if (have >= want.quantity) continue;
    const line = mine.at(-1);
    if (line) adjust.push({ orderLineId: line.id, quantity: line.quantity + want.quantity - have });
    else newSkus.push({ sku: want.sku, quantity: want.quantity });
  }
  if (!adjust.length && !newSkus.length) return { totalBeforeMinor: o.totalWithTax, totalAfterMinor: o.totalWithTax, state: o.state };
  const addItems = await variantIds(client, code, newSkus);
  // A crash may have left the order in Modifying: carry on from there, back to where the order can go.
  const before = o.state;
  if (before !== 'Modifying') {
    const t = await transition(client, o.id, 'Modifying');
    if (t?.__typename !== 'Order') {
      throw permanent(`Vendure order ${code} cannot be modified in state ${before}: ${t ? refusal(t) : 'no answer'}`, { order: code, state: before });
    }
  }
  const r = await client.admin(`mutation DovetailModify($i: ModifyOrderInput!) { modifyOrder(input: $i) {
    __typename ... on Order { state totalWithTax } ... on InsufficientStockError { quantityAvailable } ${ErrorFields} } }`,
  { i: { orderId: o.id, dryRun: false, adjustOrderLines: adjust, addItems, note: note.slice(0, 250), options: { recalculateShipping: false } } },
  z.object({ modifyOrder: OrderOrError.extend({ quantityAvailable: z.number().optional() }) }));
  const m = r.modifyOrder;
  const grew = m.__typename === 'Order' && (m.totalWithTax ?? 0) > o.totalWithTax;
  const back = before === 'Modifying' ? ['PaymentSettled', 'PartiallyShipped', 'Shipped', 'PaymentAuthorized'] : RETURN_STATES[before] ?? [before];
  let state = 'Modifying';
  for (const to of grew ? ['ArrangingAdditionalPayment'] : back) {
    const t = await transition(client, o.id, to);
    if (t?.__typename === 'Order') { state = t.state ?? to; break; }
  }
  if (m.__typename !== 'Order') {
    const stock = m.quantityAvailable !== undefined ? ` (only ${m.quantityAvailable} available)` : '';
    throw permanent(`Vendure refused to raise ${lines.map((l) => `${l.sku} to ${l.quantity}`).join(', ')} on order ${code}: ${refusal(m)}${stock}`, { order: code });
  }
  if (state === 'Modifying') throw new DovetailError('permanent', `Vendure order ${code} was modified but stays in Modifying: it could not go back to ${grew ? 'ArrangingAdditionalPayment' : back.join(' or ')}`, { detail: { order: code } });
  return { totalBeforeMinor: o.totalWithTax, totalAfterMinor: m.totalWithTax ?? o.totalWithTax, state };
}

async function variantIds(client: VendureClient, code: string, rows: { sku: string; quantity: number }[]) {
  if (!rows.length) return [];
  const r = await client.admin(`query DovetailVariantIds($o: ProductVariantListOptions) { productVariants(options: $o) { items { id sku } } }`,
    { o: { filter: { sku: { in: rows.map((x) => x.sku) } }, take: rows.length } }, z.object({ productVariants: z.object({ items: z.array(z.object({ id: z.string(), sku: z.string() })) }) }));
  return rows.map((row) => {
    const v = r.productVariants.items.find((x) => x.sku === row.sku);
    if (!v) throw permanent(`cannot add ${row.sku} to Vendure order ${code}: the store has no variant with that SKU`, { order: code, sku: row.sku });
    return { productVariantId: v.id, quantity: row.quantity };
  });
}

/**
 * Cancels the order's payments still Authorized — what is left after Dovetail's partial captures
 * (the plugin splits a capture off the authorised payment) — and returns the amount released.
 * Nothing authorised: 0, no error, so a repeat is harmless.
 */
export async function releaseAuthorisation(client: VendureClient, code: string, note: string): Promise<{ releasedMinor: number }> {
  const found = await client.admin(`query DovetailAuthorised($o: OrderListOptions) { orders(options: $o) { items { id payments { id state amount } } } }`,
    { o: { filter: { code: { eq: code } }, take: 1 } },
    z.object({ orders: z.object({ items: z.array(z.object({ id: z.string(), payments: z.array(z.object({ id: z.string(), state: z.string(), amount: z.number().int() })).nullable() })) }) }));
  const order = found.orders.items[0];
  if (!order) throw permanent(`Vendure has no order ${code} to release an authorisation of`, { order: code });
  let releasedMinor = 0;
  for (const p of (order.payments ?? []).filter((x) => x.state === 'Authorized')) {
    const r = await client.admin(`mutation DovetailCancelPayment($id: ID!) { cancelPayment(id: $id) {
      __typename ... on Payment { state } ... on CancelPaymentError { paymentErrorMessage } ... on PaymentStateTransitionError { transitionError } ${ErrorFields} } }`,
    { id: p.id }, z.object({ cancelPayment: z.object({ __typename: z.string(), state: z.string().optional(), paymentErrorMessage: z.string().optional(),
      transitionError: z.string().optional(), errorCode: z.string().optional(), message: z.string().optional() }) }));
    const c = r.cancelPayment;
    if (c.__typename !== 'Payment' || c.state !== 'Cancelled') {
      throw permanent(`Vendure did not release payment ${p.id} (${p.amount}) of order ${code} (${note}): ${c.paymentErrorMessage ?? c.transitionError ?? c.message ?? c.state ?? c.__typename}`, { order: code, payment: p.id });
    }
    releasedMinor += p.amount;
  }
  // cancelPayment takes no reason: the order's history says why
  if (releasedMinor > 0) {
    await client.admin(`mutation DovetailNote($i: AddNoteToOrderInput!) { addNoteToOrder(input: $i) { id } }`,
      { i: { id: order.id, note: `Released ${releasedMinor} still authorised: ${note}`.slice(0, 1000), isPublic: false } }, z.object({ addNoteToOrder: z.object({ id: z.string() }) }));
  }
  return { releasedMinor };
}
