// What a store operator does to a placed order in Vendure's admin, through the Admin API the admin
// UI uses: cancel units, take back shipped ones (a return is a cancellation with reason "Return: …"),
// edit the order (Vendure's order modification) and refund money. Rule tests call these.
import { adminGql, type GqlClient, type VendureInstance } from './systems.js';

export interface OperatorOrder {
  id: string; state: string; totalWithTax: number; shippingWithTax: number;
  lines: { id: string; quantity: number; linePriceWithTax: number; unitPriceWithTax: number; productVariant: { id: string; sku: string } }[];
  fulfillments: { state: string }[];
  payments: { id: string; state: string; amount: number; refunds: { state: string; total: number; reason: string | null }[] }[];
  history: { items: { type: string; data: Record<string, unknown> }[] };
}

/** The order as the admin shows it: lines, fulfilments, payments and history. Throws when the store does not know the code. */
export async function operatorOrder(admin: GqlClient, code: string): Promise<OperatorOrder> {
  const r = await admin<{ orders: { items: OperatorOrder[] } }>(`query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items {
    id state totalWithTax shippingWithTax
    lines { id quantity linePriceWithTax unitPriceWithTax productVariant { id sku } }
    fulfillments { state }
    payments { id state amount refunds { state total reason } }
    history(options: { take: 100 }) { items { type data } } } } }`, { c: code });
  const o = r.orders.items[0];
  if (!o) throw new Error(`Vendure has no order ${code}`);
  return o;
}

interface Answer { __typename: string; state?: string; totalWithTax?: number; message?: string; transitionError?: string }
const ORDER_OR_ERROR = `__typename ... on Order { state totalWithTax } ... on ErrorResult { message }`;
const ANSWER = `${ORDER_OR_ERROR} ... on OrderStateTransitionError { transitionError }`;
function orderOf(step: string, a: Answer): Answer {
  if (a.__typename !== 'Order') throw new Error(`${step} refused: ${a.__typename} ${a.transitionError ?? a.message ?? ''}`.trim());
  return a;
}

async function cancel(vendure: VendureInstance, code: string, sku: string, quantity: number, reason: string) {
  const admin = await adminGql(vendure.url);
  const o = await operatorOrder(admin, code);
  const line = o.lines.find((l) => l.productVariant.sku === sku && l.quantity >= quantity);
  if (!line) throw new Error(`order ${code} has no line of ${sku} with ${quantity} units`);
  const r = await admin<{ cancelOrder: Answer }>(`mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { ${ANSWER} } }`,
    { i: { orderId: o.id, lines: [{ orderLineId: line.id, quantity }], reason, cancelShipping: false } });
  return orderOf('cancelOrder', r.cancelOrder) as { state: string; totalWithTax: number };
}

/** Cancels `quantity` units of `sku` (units not shipped), as staff do from the order page. */
export function cancelInStore(vendure: VendureInstance, code: string, sku: string, quantity: number, reason = 'customer changed their mind') {
  return cancel(vendure, code, sku, quantity, reason);
}

/** Takes back `quantity` shipped units of `sku`: Vendure's cancellation of shipped items, reason "Return: …". */
export function returnInStore(vendure: VendureInstance, code: string, sku: string, quantity: number, why = 'customer sent it back') {
  return cancel(vendure, code, sku, quantity, `Return: ${why}`);
}

/**
 * Edits the order as the admin's "Modify order" does: Modifying, modifyOrder (a SKU on the order
 * set to `quantity`, a new SKU added by its variant), then back to the state before, or to
 * ArrangingAdditionalPayment when the total grew. Returns the order's state and total after.
 */
export async function editInStore(vendure: VendureInstance, code: string, lines: { sku: string; quantity: number }[], note = 'edited by staff') {
  const admin = await adminGql(vendure.url);
  const o = await operatorOrder(admin, code);
  const adjust: { orderLineId: string; quantity: number }[] = [];
  const add: { productVariantId: string; quantity: number }[] = [];
  for (const l of lines) {
    const line = o.lines.find((x) => x.productVariant.sku === l.sku);
    if (line) { adjust.push({ orderLineId: line.id, quantity: l.quantity }); continue; }
    const v = await admin<{ productVariants: { items: { id: string }[] } }>(`query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items { id } } }`, { s: l.sku });
    if (!v.productVariants.items[0]) throw new Error(`Vendure has no variant ${l.sku}`);
    add.push({ productVariantId: v.productVariants.items[0].id, quantity: l.quantity });
  }
  const to = async (state: string) => (await admin<{ transitionOrderToState: Answer }>(`mutation($id: ID!, $s: String!) { transitionOrderToState(id: $id, state: $s) { ${ANSWER} } }`,
    { id: o.id, s: state })).transitionOrderToState;
  orderOf('transition to Modifying', await to('Modifying'));
  const m = orderOf('modifyOrder', (await admin<{ modifyOrder: Answer }>(`mutation($i: ModifyOrderInput!) { modifyOrder(input: $i) { ${ORDER_OR_ERROR} } }`,
    { i: { orderId: o.id, dryRun: false, adjustOrderLines: adjust, addItems: add, note, options: { recalculateShipping: false } } })).modifyOrder);
  const back = (m.totalWithTax ?? 0) > o.totalWithTax ? 'ArrangingAdditionalPayment' : o.state;
  const done = orderOf(`transition to ${back}`, await to(back));
  return { state: String(done.state), totalWithTax: Number(done.totalWithTax) };
}

/** Refunds `amountMinor` of the order's settled payment (the first with enough left) and settles the refund, as staff do. */
export async function refundInStore(vendure: VendureInstance, code: string, amountMinor: number, reason: string): Promise<string> {
  const admin = await adminGql(vendure.url);
  const o = await operatorOrder(admin, code);
  const p = o.payments.find((x) => x.state === 'Settled' && x.amount - x.refunds.filter((r) => r.state !== 'Failed').reduce((n, r) => n + r.total, 0) >= amountMinor);
  if (!p) throw new Error(`order ${code} has no settled payment with ${amountMinor} left to refund`);
  const r = await admin<{ refundOrder: { __typename: string; id?: string; message?: string } }>(`mutation($i: RefundOrderInput!) { refundOrder(input: $i) {
    __typename ... on Refund { id } ... on ErrorResult { message } } }`, { i: { paymentId: p.id, amount: amountMinor, shipping: 0, adjustment: 0, reason } });
  if (r.refundOrder.__typename !== 'Refund' || !r.refundOrder.id) throw new Error(`refundOrder refused: ${r.refundOrder.message ?? r.refundOrder.__typename}`);
  await admin(`mutation($i: SettleRefundInput!) { settleRefund(input: $i) { __typename } }`, { i: { id: r.refundOrder.id, transactionId: `manual-${r.refundOrder.id}` } });
  return r.refundOrder.id;
}
