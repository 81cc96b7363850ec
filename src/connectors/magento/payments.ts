// Money on Magento orders: invoices are captures (a partial invoice of the shipped items, with
// `capture: true`), credit memos are refunds; Dovetail's key rides in the comment of each it makes.
import { z } from 'zod';
import { readFeed } from '../../engine/change-feed.js';
import { DovetailError, permanent } from '../../errors.js';
import { orderMoney, type CaptureResult, type OrderMoney, type PaymentState, type RefundResult, type RefundState, type StorePayment, type StoreRefund } from '../../model/payment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { searchQuery } from './client.js';
import { mustFindOrder } from './fulfilment.js';
import { searchResult, stampToIso, toAmount, toMinor, topLevelItems, unitAmounts, type MOrder, type MOrderItem } from './mappers.js';
import { feedOptions, findOrder, listingStream, searchByValues, type MagentoContext } from './reads.js';

export const captureMarker = (key: string) => `[dovetail:capture:${key}]`;
export const refundMarker = (key: string) => `[dovetail:refund:${key}]`;
const keyIn = (comments: { comment?: string | null }[] | null | undefined, kind: 'capture' | 'refund') => {
  for (const c of comments ?? []) {
    const m = new RegExp(`\\[dovetail:${kind}:([^\\]]+)\\]`).exec(c.comment ?? '');
    if (m) return m[1]!;
  }
  return null;
};

const Comment = z.object({ comment: z.string().nullish() });
export const MInvoice = z.object({
  entity_id: z.number().int(), order_id: z.number().int(), grand_total: z.number(), order_currency_code: z.string().nullish(),
  /** 1 open (to be paid), 2 paid, 3 cancelled */
  state: z.number().int().nullish(),
  transaction_id: z.string().nullish(), created_at: z.string().nullish(), comments: z.array(Comment).nullish(),
});
export const MCreditMemo = z.object({
  entity_id: z.number().int(), order_id: z.number().int(), invoice_id: z.number().int().nullish(), grand_total: z.number(),
  /** 1 open (pending), 2 refunded, 3 cancelled */
  state: z.number().int().nullish(),
  created_at: z.string().nullish(), comments: z.array(Comment).nullish(),
});
type MInvoice = z.infer<typeof MInvoice>;
type MCreditMemo = z.infer<typeof MCreditMemo>;

const INVOICE_STATE: Record<number, PaymentState> = { 1: 'pending', 2: 'captured', 3: 'cancelled' };
const MEMO_STATE: Record<number, RefundState> = { 1: 'pending', 2: 'settled', 3: 'failed' };

const byOrder = (order: MOrder) => searchQuery({ filter: { field: 'order_id', value: String(order.entity_id), conditionType: 'eq' }, pageSize: 300 });

interface OrderBooks { order: MOrder; invoices: MInvoice[]; memos: MCreditMemo[]; money: OrderMoney }

/** Orders no further invoice can be taken from: what is left of their authorisation is gone. */
const FINISHED = new Set(['canceled', 'closed', 'complete']);

/**
 * The order's money in Dovetail's words: each invoice a payment (paid: captured), with the credit
 * memos drawn on it as its refunds (an order-level memo goes with the first invoice); what is
 * authorised and not invoiced yet, while the order can still be invoiced, one authorised payment.
 */
async function books(ctx: MagentoContext, order: MOrder): Promise<OrderBooks> {
  const cur = order.order_currency_code;
  const [invoices, memos] = await Promise.all([
    ctx.client.request('GET', '/invoices', searchResult(MInvoice), { query: byOrder(order) }),
    ctx.client.request('GET', '/creditmemos', searchResult(MCreditMemo), { query: byOrder(order) }),
  ]);
  const method = order.payment?.method ?? 'unknown';
  const refund = (m: MCreditMemo): StoreRefund => ({ id: `creditmemo:${m.entity_id}`, state: MEMO_STATE[m.state ?? 2] ?? 'settled', totalMinor: toMinor(m.grand_total, cur),
    reason: m.comments?.[0]?.comment ?? null, dovetailKey: keyIn(m.comments, 'refund') });
  const first = invoices.items[0]?.entity_id;
  const payments: StorePayment[] = invoices.items.map((inv) => ({
    id: `invoice:${inv.entity_id}`, state: INVOICE_STATE[inv.state ?? 2] ?? 'captured', amountMinor: toMinor(inv.grand_total, cur), method,
    captureKey: keyIn(inv.comments, 'capture'),
    refunds: memos.items.filter((m) => m.invoice_id === inv.entity_id || (!m.invoice_id && inv.entity_id === first)).map(refund),
  }));
  const invoicedMinor = payments.filter((p) => p.state !== 'cancelled').reduce((n, p) => n + p.amountMinor, 0);
  const authorisedLeft = FINISHED.has(order.state ?? '') ? 0 : Math.max(0, toMinor(order.payment?.amount_authorized ?? 0, cur) - invoicedMinor);
  if (authorisedLeft > 0) payments.push({ id: `authorisation:${order.entity_id}`, state: 'authorised', amountMinor: authorisedLeft, method, captureKey: null, refunds: [] });
  return { order, invoices: invoices.items, memos: memos.items, money: orderMoney(order.increment_id, toMinor(order.grand_total, cur), payments) };
}

export async function getPayments(ctx: MagentoContext, code: string): Promise<OrderMoney | null> {
  const order = await findOrder(ctx, code);
  return order ? (await books(ctx, order)).money : null;
}

/** What invoicing `items` comes to: the units' own amounts, and the whole shipping on the first invoice (as Magento does). */
function invoiceAmount(order: MOrder, items: { item: MOrderItem; qty: number }[], first: boolean): number {
  const cur = order.order_currency_code;
  const lines = items.reduce((n, { item, qty }) => n + unitAmounts(item, cur).grossMinor * qty, 0);
  const shipping = toMinor(order.shipping_amount, cur) - toMinor(order.shipping_discount_amount, cur) + toMinor(order.shipping_discount_tax_compensation_amount, cur) + toMinor(order.shipping_tax_amount, cur);
  return lines + (first ? shipping : 0);
}

const qtyToInvoice = (i: MOrderItem) => Math.max(0, i.qty_ordered - i.qty_invoiced - i.qty_canceled);

/**
 * Captures by invoicing items, since Magento invoices items, not amounts: the shipped units not
 * invoiced yet, or else every unit not invoiced yet, whichever comes to `amountMinor` (within a
 * minor unit per line, Magento's own rounding). Once per key: the key is in the invoice's comment.
 */
export async function capturePayment(ctx: MagentoContext, code: string, amountMinor: number, key: string): Promise<CaptureResult> {
  const { order, invoices, money } = await books(ctx, await mustFindOrder(ctx, code));
  const before = invoices.find((inv) => keyIn(inv.comments, 'capture') === key);
  if (before) return { paymentId: `invoice:${before.entity_id}`, amountMinor: toMinor(before.grand_total, order.order_currency_code), created: false, remainingAuthorisedMinor: money.authorisedMinor };
  if (amountMinor > money.authorisedMinor) {
    throw permanent(`order ${code}: capturing ${amountMinor} is more than the ${money.authorisedMinor} still authorised`);
  }
  const first = invoices.length === 0;
  const shippedNotInvoiced = topLevelItems(order).map((item) => ({ item, qty: Math.min(qtyToInvoice(item), item.qty_shipped - item.qty_invoiced) }));
  const everyUninvoiced = topLevelItems(order).map((item) => ({ item, qty: qtyToInvoice(item) }));
  const choices = [shippedNotInvoiced, everyUninvoiced].map((c) => c.filter((x) => x.qty > 0));
  const fits = choices.find((c) => c.length && Math.abs(invoiceAmount(order, c, first) - amountMinor) <= c.length);
  if (!fits) {
    throw new DovetailError('permanent', `order ${code}: Magento invoices items, not amounts, and no set of its items comes to ${amountMinor} `
      + `(shipped and not invoiced: ${invoiceAmount(order, choices[0]!, first)}; everything not invoiced: ${invoiceAmount(order, choices[1]!, first)})`, { detail: { orderCode: code, refusal: 'conflict' } });
  }
  const id = await ctx.client.request('POST', `/order/${order.entity_id}/invoice`, z.number().int(), { body: {
    capture: true, items: fits.map(({ item, qty }) => ({ order_item_id: item.item_id, qty })), notify: false, appendComment: true,
    comment: { comment: `Captured for the goods shipped ${captureMarker(key)}`, is_visible_on_front: 0 },
  } });
  // what Magento invoiced, rounded its own way per row, is what was captured
  const made = (await ctx.client.request('GET', '/invoices', searchResult(MInvoice), { query: byOrder(order) })).items.find((inv) => inv.entity_id === id);
  const captured = made ? toMinor(made.grand_total, order.order_currency_code) : amountMinor;
  return { paymentId: `invoice:${id}`, amountMinor: captured, created: true, remainingAuthorisedMinor: Math.max(0, money.authorisedMinor - captured) };
}

/**
 * Refunds an amount as a credit memo of no units and a positive adjustment, drawn on the first
 * paid invoice with that much left: online through its payment when the invoice was captured
 * online (it has a transaction), offline on the order otherwise. Once per key, never more than
 * was captured and not refunded yet.
 */
export async function refundPayment(ctx: MagentoContext, code: string, amountMinor: number, key: string, note: string): Promise<RefundResult> {
  const { order, invoices, memos, money } = await books(ctx, await mustFindOrder(ctx, code));
  const cur = order.order_currency_code;
  const before = memos.find((m) => keyIn(m.comments, 'refund') === key);
  if (before) return { refundIds: [`creditmemo:${before.entity_id}`], amountMinor: toMinor(before.grand_total, cur), created: false };
  if (amountMinor > money.capturedMinor - money.refundedMinor) {
    throw permanent(`order ${code}: refunding ${amountMinor} is more than the ${money.capturedMinor - money.refundedMinor} captured and not refunded`);
  }
  const left = (inv: MInvoice) => toMinor(inv.grand_total, cur) - money.payments.find((p) => p.id === `invoice:${inv.entity_id}`)!.refunds
    .filter((r) => r.state !== 'failed').reduce((n, r) => n + r.totalMinor, 0);
  const invoice = invoices.find((inv) => (inv.state ?? 2) === 2 && left(inv) >= amountMinor);
  if (!invoice) throw permanent(`order ${code}: no single paid invoice has ${amountMinor} left to refund (a refund across invoices is not made by Dovetail)`);
  const body = {
    // every line at 0 units: Magento would otherwise credit every unit left
    items: topLevelItems(order).map((i) => ({ order_item_id: i.item_id, qty: 0 })),
    notify: false, appendComment: true,
    comment: { comment: `${note} ${refundMarker(key)}`, is_visible_on_front: 0 },
    arguments: { shipping_amount: 0, adjustment_positive: toAmount(amountMinor, cur), adjustment_negative: 0 },
  };
  const id = invoice.transaction_id
    ? await ctx.client.request('POST', `/invoice/${invoice.entity_id}/refund`, z.number().int(), { body: { ...body, isOnline: true } })
    : await ctx.client.request('POST', `/order/${order.entity_id}/refund`, z.number().int(), { body });
  return { refundIds: [`creditmemo:${id}`], amountMinor, created: true };
}

const FeedInvoice = z.object({ entity_id: z.number().int(), order_id: z.number().int(), created_at: z.string() });

/**
 * Invoices (`payment`) or credit memos (`refund`) by creation, keyed `<orderCode>:<id>` like
 * getPayments' ids; the order codes are read in one search per page.
 */
export function moneyChanges(ctx: MagentoContext, kind: 'payment' | 'refund', cursor: string | null): Promise<ChangePage> {
  const path = kind === 'payment' ? '/invoices' : '/creditmemos';
  const prefix = kind === 'payment' ? 'invoice' : 'creditmemo';
  const rows = listingStream(ctx, path, FeedInvoice, 'created_at', (r) => ({ at: stampToIso(r.created_at), id: String(r.entity_id) }));
  return readFeed(cursor, { rows }, async ({ rows: page }) => {
    const orderIds = [...new Set(page.map((r) => String(r.order_id)))];
    const codes = new Map((await searchByValues(ctx, '/orders', z.object({ entity_id: z.number().int(), increment_id: z.string() }), 'entity_id', orderIds))
      .map((o) => [o.entity_id, o.increment_id]));
    return page.filter((r) => codes.has(r.order_id)).map((r): ChangeRef => ({ kind, key: `${codes.get(r.order_id)}:${prefix}:${r.entity_id}`, sourceVersion: `${prefix}:${r.entity_id}` }));
  }, feedOptions(ctx));
}
