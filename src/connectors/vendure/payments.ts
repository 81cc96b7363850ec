// Money through Vendure's Admin API: an order's payments and refunds, a capture of part of an
// authorised payment (Dovetail's plugin mutation, once per key), refunds found by their reason
// before one is made, and the payments/refunds feed since a cursor (the plugin's query).
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { orderMoney, type CaptureResult, type OrderMoney, type RefundResult } from '../../model/payment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { compareKeys, readFeed, shiftStamp, type ChangeStream, type StreamKey } from '../../engine/change-feed.js';
import type { VendureClient } from './client.js';
import { refundKeyOf, refundReason, toPaymentState, toRefundState } from './mappers.js';
import { FEED, pageFromTie } from './reads.js';

/** money rows per read of the plugin's feed */
const PAGE = 200;

const OrderPayments = z.object({
  id: z.string(), code: z.string(), totalWithTax: z.number().int(),
  payments: z.array(z.object({
    id: z.string(), state: z.string(), amount: z.number().int(), method: z.string(), metadata: z.record(z.string(), z.unknown()).nullable(),
    refunds: z.array(z.object({ id: z.string(), state: z.string(), total: z.number().int(), reason: z.string().nullable() })),
  })).nullable(),
});

async function orderPayments(client: VendureClient, code: string) {
  const r = await client.admin(`query OrderPayments($o: OrderListOptions) { orders(options: $o) { items {
    id code totalWithTax payments { id state amount method metadata refunds { id state total reason } } } } }`,
  { o: { filter: { code: { eq: code } }, take: 1 } }, z.object({ orders: z.object({ items: z.array(OrderPayments) }) }));
  return r.orders.items[0] ?? null;
}

export async function getPayments(client: VendureClient, code: string): Promise<OrderMoney | null> {
  const o = await orderPayments(client, code);
  if (!o) return null;
  return orderMoney(o.code, o.totalWithTax, (o.payments ?? []).map((p) => ({
    id: p.id, state: toPaymentState(p.state), amountMinor: p.amount, method: p.method,
    captureKey: typeof p.metadata?.dovetailCaptureKey === 'string' ? p.metadata.dovetailCaptureKey : null,
    refunds: p.refunds.map((r) => ({ id: r.id, state: toRefundState(r.state), totalMinor: r.total, reason: r.reason, dovetailKey: refundKeyOf(r.reason) })),
  })));
}

const CaptureAnswer = z.object({ dovetailCapturePayment: z.object({
  paymentId: z.string(), amount: z.number().int(), created: z.boolean(), remainingAuthorized: z.number().int() }) });

/**
 * Captures `amountMinor` of the order's authorisation once per `key`. A key captured before
 * answers with that capture (found first here, and again by the plugin inside its transaction).
 */
export async function capturePayment(client: VendureClient, code: string, amountMinor: number, key: string): Promise<CaptureResult> {
  const money = await getPayments(client, code);
  if (!money) throw permanent(`order ${code} was not found in Vendure`, { order: code });
  const done = money.payments.find((p) => p.captureKey === key);
  if (done) return { paymentId: done.id, amountMinor: done.amountMinor, created: false, remainingAuthorisedMinor: money.authorisedMinor };
  const source = money.payments.filter((p) => p.state === 'authorised').sort((a, b) => b.amountMinor - a.amountMinor)[0];
  if (!source || source.amountMinor < amountMinor) {
    throw permanent(`capture of ${amountMinor} for order ${code} refused: only ${money.authorisedMinor} is still authorised (captured so far ${money.capturedMinor} of ${money.totalMinor}); a capture never exceeds the authorisation`,
      { order: code, key, amountMinor, authorisedMinor: money.authorisedMinor });
  }
  const r = await client.admin(`mutation DovetailCapture($p: ID!, $a: Int!, $k: String!) { dovetailCapturePayment(paymentId: $p, amount: $a, key: $k) {
    paymentId amount created remainingAuthorized } }`, { p: source.id, a: amountMinor, k: key }, CaptureAnswer);
  const c = r.dovetailCapturePayment;
  return { paymentId: c.paymentId, amountMinor: c.amount, created: c.created, remainingAuthorisedMinor: c.remainingAuthorized };
}

const RefundAnswer = z.object({ __typename: z.string(), id: z.string().optional(), state: z.string().optional(), errorCode: z.string().optional(), message: z.string().optional() });

/**
 * Refunds `amountMinor` once per `key`: refunds already made for the key (their reason starts with
 * `dovetail:<key>`) count first, the rest is drawn from settled payments, and a refund a crash left
 * Pending is settled. Refunded never exceeds captured: checked here, and by Vendure per payment.
 */
export async function refundPayment(client: VendureClient, code: string, amountMinor: number, key: string, note: string): Promise<RefundResult> {
  const money = await getPayments(client, code);
  if (!money) throw permanent(`order ${code} was not found in Vendure`, { order: code });
  const mine = money.payments.flatMap((p) => p.refunds.filter((r) => r.dovetailKey === key && r.state !== 'failed'));
  const alreadyMinor = mine.reduce((n, r) => n + r.totalMinor, 0);
  if (alreadyMinor > amountMinor) throw permanent(`order ${code}: refunds for ${key} already total ${alreadyMinor}, more than the ${amountMinor} asked`, { order: code, key });
  const othersMinor = money.refundedMinor - alreadyMinor;
  if (othersMinor + amountMinor > money.capturedMinor) {
    throw permanent(`refund of ${amountMinor} for order ${code} refused: captured ${money.capturedMinor}, already refunded ${othersMinor}; refunded may never exceed captured`,
      { order: code, key, amountMinor, capturedMinor: money.capturedMinor, refundedMinor: othersMinor });
  }
  let left = amountMinor - alreadyMinor;
  const ids = mine.map((r) => r.id);
  // a refund stays Pending with a gateway that confirms later (the dummy handler): ours are
  // settled below, those a crash left Pending as well as those made now (as refundOrder answers)
  const pending = mine.filter((r) => r.state === 'pending').map((r) => r.id);
  for (const p of money.payments.filter((x) => x.state === 'captured')) {
    if (left <= 0) break;
    const refundable = p.amountMinor - p.refunds.filter((r) => r.state !== 'failed').reduce((n, r) => n + r.totalMinor, 0);
    const take = Math.min(left, refundable);
    if (take <= 0) continue;
    const r = await client.admin(`mutation DovetailRefund($i: RefundOrderInput!) { refundOrder(input: $i) {
      __typename ... on Refund { id state } ... on ErrorResult { errorCode message } } }`,
    { i: { paymentId: p.id, amount: take, shipping: 0, adjustment: 0, reason: refundReason(key, note) } }, z.object({ refundOrder: RefundAnswer }));
    if (r.refundOrder.__typename !== 'Refund' || !r.refundOrder.id) {
      throw permanent(`Vendure refused the refund of ${take} on payment ${p.id} of order ${code}: ${r.refundOrder.errorCode ?? r.refundOrder.__typename} ${r.refundOrder.message ?? ''}`.trim(), { order: code, key });
    }
    ids.push(r.refundOrder.id);
    if (toRefundState(r.refundOrder.state ?? '') === 'pending') pending.push(r.refundOrder.id);
    left -= take;
  }
  if (left > 0) throw new DovetailError('permanent', `order ${code}: ${left} of the refund for ${key} could not be drawn from any settled payment`);
  for (const id of pending) {
    await client.admin(`mutation DovetailSettleRefund($i: SettleRefundInput!) { settleRefund(input: $i) { __typename ... on Refund { id state } ... on ErrorResult { errorCode message } } }`,
      { i: { id, transactionId: `dovetail:${key}#${id}` } }, z.object({ settleRefund: RefundAnswer }));
  }
  return { refundIds: ids, amountMinor, created: alreadyMinor < amountMinor };
}

type MoneyChange = z.infer<typeof MoneyChange>;
const MoneyChange = z.object({
  kind: z.enum(['payment', 'refund']), id: z.string(), orderCode: z.string(), state: z.string(), amount: z.number().int(), updatedAt: z.string(),
  captureKey: z.string().nullable(), reason: z.string().nullable(),
});

/**
 * Settled payments (kind payment) or settled refunds (kind refund) since the cursor, leaving out
 * the ones Dovetail made itself (the job that made them records them). Key: `<orderCode>:<id>`.
 */
export async function moneyChanges(client: VendureClient, kind: 'payment' | 'refund', cursor: string | null): Promise<ChangePage> {
  // The plugin's query answers payments and refunds stamped at or after a time, in (updatedAt,
  // kind, id) order, by offset: a key's `tie` is its place in the answer from its own stamp on.
  const keyOf = (m: MoneyChange): StreamKey => ({ at: m.updatedAt, id: `${m.kind}:${m.id}` });
  const fetch = (since: string) => async (skip: number, take: number) => (await client.admin(`query DovetailMoneyChanges($a: DateTime!, $s: Int, $t: Int) {
    dovetailMoneyChanges(updatedAfter: $a, skip: $s, take: $t) { kind id orderCode state amount updatedAt captureKey reason } }`,
  { a: since, s: skip, t: take }, z.object({ dovetailMoneyChanges: z.array(MoneyChange) }))).dovetailMoneyChanges;
  const money: ChangeStream<MoneyChange> = {
    async readPage(after, limit) {
      // a millisecond early: SQLite keeps whole seconds as text, which ">= hh:mm:ss.000" misses
      const since = after ? shiftStamp(after.at, -1) : new Date(0).toISOString();
      const page = after ? await pageFromTie(fetch(since), after, limit, (m) => compareKeys(keyOf(m), after) > 0)
        : await fetch(since)(0, limit).then((rows) => ({ rows, position: rows.length, more: rows.length >= limit }));
      const last = page.rows.at(-1);
      if (!last) return { rows: [], last: after, more: false };
      const fromSameStamp = after?.at === last.updatedAt ? page.position
        : page.rows.filter((m) => m.updatedAt >= shiftStamp(last.updatedAt, -1)).length;
      return { rows: page.rows, last: { ...keyOf(last), tie: fromSameStamp }, more: page.more };
    },
  };
  return readFeed(cursor, { money }, ({ money: rows }) => rows.flatMap((m): ChangeRef[] => {
    if (m.kind !== kind || m.state !== 'Settled') return [];
    if (kind === 'payment' && m.captureKey) return [];
    if (kind === 'refund' && refundKeyOf(m.reason)) return [];
    return [{ kind, key: `${m.orderCode}:${m.id}`, sourceVersion: `${kind}:${m.id}:${m.state}` }];
  }), { ...FEED, pageSize: PAGE });
}
