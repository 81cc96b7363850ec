// Money through Shopify's Admin API: an order's transactions read as canonical payments and
// refunds, captures of the authorisation (noted in Dovetail's ledger on the order, since Shopify
// keeps no caller's key on a capture), refunds marked in their note and sent with an idempotency
// key, and the store's own captures and refunds as a feed.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { orderMoney, type CaptureResult, type OrderMoney, type RefundResult, type StorePayment, type StoreRefund } from '../../model/payment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { userErrorFailure } from './client.js';
import { LedgerField, madeSinceIntent, readLedger, writeEntry, type Ledger } from './ledger.js';
import { bagToMinor, minorToMoney, MoneyBag, refundKeyOf, refundMarker, toPaymentState, toRefundState } from './mappers.js';
import { OrderCapture, OrderPayments, RefundCreate, TransactionVoid } from './operations.js';
import { orderIdOf, readChanges, type ShopifyContext } from './reads.js';
import { UserErrors } from './user-errors.js';
import { idempotencyKey } from './writes.js';

const Transaction = z.object({
  id: z.string(), kind: z.string(), status: z.string(), gateway: z.string().nullable(), createdAt: z.string(),
  amountSet: MoneyBag, parentTransaction: z.object({ id: z.string() }).nullable(),
});
type Transaction = z.infer<typeof Transaction>;

const PaymentsNode = z.object({
  id: z.string(), legacyResourceId: z.string(), currencyCode: z.string(),
  totalCapturableSet: MoneyBag, currentTotalPriceSet: MoneyBag,
  transactions: z.array(Transaction),
  refunds: z.array(z.object({ id: z.string(), note: z.string().nullable(), transactions: z.object({ nodes: z.array(Transaction.omit({ gateway: true, createdAt: true })) }) })),
  ledger: LedgerField,
});
type PaymentsNode = z.infer<typeof PaymentsNode>;

/** The order's transactions and Dovetail's ledger; null when Shopify does not know the code. */
async function load(ctx: ShopifyContext, orderCode: string): Promise<PaymentsNode | null> {
  const id = await orderIdOf(ctx, orderCode);
  if (!id) return null;
  return (await ctx.client.request(OrderPayments, { id }, z.object({ order: PaymentsNode.nullable() }))).order;
}

const succeeded = (t: Transaction, ...kinds: string[]) => t.status === 'SUCCESS' && kinds.includes(t.kind);
/** Money taken: captures of an authorisation, and sales (authorised and captured at once, or marked paid). */
const isCapture = (t: Transaction) => t.kind === 'CAPTURE' || t.kind === 'SALE';

/** What is left to capture of each authorisation: its amount less its successful captures; voided ones are released. */
function authorisations(o: PaymentsNode): { t: Transaction; remainingMinor: number; voided: boolean }[] {
  return o.transactions.filter((t) => succeeded(t, 'AUTHORIZATION')).map((t) => {
    const children = o.transactions.filter((c) => c.parentTransaction?.id === t.id);
    const captured = children.filter((c) => succeeded(c, 'CAPTURE')).reduce((n, c) => n + bagToMinor(c.amountSet), 0);
    return { t, remainingMinor: bagToMinor(t.amountSet) - captured, voided: children.some((c) => succeeded(c, 'VOID')) };
  });
}

function toMoney(o: PaymentsNode): OrderMoney {
  const ledger = readLedger(o.ledger);
  const keyOf = new Map(Object.entries(ledger.notes.captures).flatMap(([key, e]) => e.ids.map((id) => [id, key] as const)));
  // Shopify has stopped holding what it no longer counts as capturable (expired, or closed by a final capture)
  const capturable = bagToMinor(o.totalCapturableSet);
  const refundsBySource = new Map<string, StoreRefund[]>();
  for (const r of o.refunds) {
    const source = r.transactions.nodes.find((t) => t.parentTransaction)?.parentTransaction?.id ?? '';
    const refund: StoreRefund = {
      id: r.id, state: toRefundState(r.transactions.nodes.map((t) => t.status)),
      totalMinor: r.transactions.nodes.filter((t) => t.status !== 'FAILURE' && t.status !== 'ERROR').reduce((n, t) => n + bagToMinor(t.amountSet), 0),
      reason: r.note, dovetailKey: refundKeyOf(r.note),
    };
    refundsBySource.set(source, [...(refundsBySource.get(source) ?? []), refund]);
  }
  const payments: StorePayment[] = [];
  for (const a of authorisations(o)) {
    if (a.remainingMinor <= 0) continue;
    payments.push({ id: a.t.id, state: a.voided || capturable === 0 ? 'cancelled' : 'authorised', amountMinor: a.remainingMinor,
      method: a.t.gateway ?? 'unknown', captureKey: null, refunds: [] });
  }
  for (const t of o.transactions.filter(isCapture)) {
    payments.push({ id: t.id, state: toPaymentState(t.status), amountMinor: bagToMinor(t.amountSet), method: t.gateway ?? 'unknown',
      captureKey: keyOf.get(t.id) ?? null, refunds: refundsBySource.get(t.id) ?? [] });
  }
  // a refund drawing on no transaction of this order (e.g. store credit) still counts
  const unattached = [...refundsBySource].filter(([source]) => !payments.some((p) => p.id === source)).flatMap(([, rs]) => rs);
  if (unattached.length) {
    const first = payments.find((p) => p.state === 'captured');
    if (first) first.refunds.push(...unattached);
  }
  return orderMoney(o.legacyResourceId, bagToMinor(o.currentTotalPriceSet), payments);
}

export async function getPayments(ctx: ShopifyContext, orderCode: string): Promise<OrderMoney | null> {
  const o = await load(ctx, orderCode);
  return o ? toMoney(o) : null;
}

async function mustLoad(ctx: ShopifyContext, orderCode: string): Promise<PaymentsNode> {
  const o = await load(ctx, orderCode);
  if (!o) throw permanent(`Shopify has no order ${orderCode}`, { orderCode });
  return o;
}

/**
 * Captures `amountMinor` of the authorisation once per `key`, never beyond Shopify's
 * totalCapturableSet. The key's intent goes into the ledger before orderCapture, its transaction
 * after; a retry that finds only the intent claims the capture of that amount made since.
 */
export async function capturePayment(ctx: ShopifyContext, orderCode: string, amountMinor: number, key: string): Promise<CaptureResult> {
  const o = await mustLoad(ctx, orderCode);
  let ledger: Ledger = readLedger(o.ledger);
  const remaining = () => toMoney(o).authorisedMinor;
  const entry = ledger.notes.captures[key];
  const captures = o.transactions.filter((t) => succeeded(t, 'CAPTURE'));
  if (entry?.ids.length) return { paymentId: entry.ids[0]!, amountMinor: entry.amountMinor ?? amountMinor, created: false, remainingAuthorisedMinor: remaining() };
  if (entry) {
    const made = madeSinceIntent(ledger, 'captures', entry, captures).find((t) => bagToMinor(t.amountSet) === entry.amountMinor);
    if (made) {
      await writeEntry(ctx, o.id, ledger, 'captures', key, { ...entry, ids: [made.id] });
      return { paymentId: made.id, amountMinor: bagToMinor(made.amountSet), created: false, remainingAuthorisedMinor: remaining() };
    }
  }
  const capturable = bagToMinor(o.totalCapturableSet);
  const source = authorisations(o).filter((a) => !a.voided && a.remainingMinor >= amountMinor).sort((a, b) => b.remainingMinor - a.remainingMinor)[0];
  if (amountMinor <= 0 || amountMinor > capturable || !source) {
    throw permanent(`capture of ${amountMinor} for Shopify order ${orderCode} refused: ${capturable} is still capturable; a capture never exceeds the authorisation`,
      { orderCode, key, amountMinor, capturableMinor: capturable });
  }
  if (!entry) ledger = await writeEntry(ctx, o.id, ledger, 'captures', key, { ids: [], known: captures.map((t) => t.id), amountMinor });
  // a capture that leaves some authorised keeps the rest open for the next shipment
  const input = { id: o.id, parentTransactionId: source.t.id, amount: minorToMoney(amountMinor, o.currencyCode), currency: o.currencyCode,
    finalCapture: amountMinor === capturable };
  const d = await ctx.client.request(OrderCapture, { input }, z.object({
    orderCapture: z.object({ transaction: z.object({ id: z.string(), status: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  const t = d.orderCapture.transaction;
  if (d.orderCapture.userErrors.length || !t) throw userErrorFailure('orderCapture', d.orderCapture.userErrors, { orderCode, key });
  if (t.status !== 'SUCCESS' && t.status !== 'PENDING') {
    throw permanent(`Shopify order ${orderCode}: the gateway declined the capture of ${amountMinor} (${t.status})`, { orderCode, key, transactionId: t.id });
  }
  await writeEntry(ctx, o.id, ledger, 'captures', key, { ...ledger.notes.captures[key]!, ids: [t.id] });
  return { paymentId: t.id, amountMinor, created: true, remainingAuthorisedMinor: capturable - amountMinor };
}

/**
 * Refunds `amountMinor` once per `key`: a refund whose note carries the key's marker is the one
 * made before; otherwise refundCreate with an idempotency key from `key` (so a lost answer is not
 * a second refund), drawn from captures in order, never beyond captured less refunded.
 */
export async function refundPayment(ctx: ShopifyContext, orderCode: string, amountMinor: number, key: string, note: string): Promise<RefundResult> {
  const o = await mustLoad(ctx, orderCode);
  const money = toMoney(o);
  const mine = money.payments.flatMap((p) => p.refunds).filter((r) => r.dovetailKey === key && r.state !== 'failed');
  if (mine.length) return { refundIds: mine.map((r) => r.id), amountMinor: mine.reduce((n, r) => n + r.totalMinor, 0), created: false };
  if (amountMinor <= 0 || money.refundedMinor + amountMinor > money.capturedMinor) {
    throw permanent(`refund of ${amountMinor} for Shopify order ${orderCode} refused: captured ${money.capturedMinor}, already refunded ${money.refundedMinor}; refunded may never exceed captured`,
      { orderCode, key, amountMinor, capturedMinor: money.capturedMinor, refundedMinor: money.refundedMinor });
  }
  const refundedOf = new Map<string, number>();
  for (const t of o.transactions) if (succeeded(t, 'REFUND') && t.parentTransaction) {
    refundedOf.set(t.parentTransaction.id, (refundedOf.get(t.parentTransaction.id) ?? 0) + bagToMinor(t.amountSet));
  }
  let left = amountMinor;
  const transactions = [];
  for (const t of o.transactions.filter((x) => isCapture(x) && x.status === 'SUCCESS')) {
    const take = Math.min(left, bagToMinor(t.amountSet) - (refundedOf.get(t.id) ?? 0));
    if (take <= 0) continue;
    transactions.push({ orderId: o.id, parentId: t.id, amount: minorToMoney(take, o.currencyCode), gateway: t.gateway ?? 'manual', kind: 'REFUND' });
    left -= take;
    if (left === 0) break;
  }
  if (left > 0) throw permanent(`Shopify order ${orderCode}: ${left} of the refund for ${key} could not be drawn from any capture`, { orderCode, key });
  const input = { orderId: o.id, notify: false, currency: o.currencyCode, note: `${note} ${refundMarker(key)}`.trim(), transactions };
  const d = await ctx.client.request(RefundCreate, { input, key: idempotencyKey('refund', key) }, z.object({
    refundCreate: z.object({ refund: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  if (d.refundCreate.userErrors.length || !d.refundCreate.refund) throw userErrorFailure('refundCreate', d.refundCreate.userErrors, { orderCode, key });
  return { refundIds: [d.refundCreate.refund.id], amountMinor, created: true };
}

/**
 * The store's own captures (kind payment) or refunds (kind refund) on orders changed since the
 * cursor (the order feed's cursor), leaving out Dovetail's: the job that made them records them.
 * Key `<orderCode>:<transaction or refund id>`.
 */
export async function moneyChanges(ctx: ShopifyContext, kind: 'payment' | 'refund', cursor: string | null): Promise<ChangePage> {
  const page = await readChanges(ctx, 'order', cursor);
  const changes: ChangeRef[] = [];
  for (const code of new Set(page.changes.map((c) => c.key))) {
    const money = await getPayments(ctx, code);
    for (const p of money?.payments ?? []) {
      if (kind === 'payment' && p.state === 'captured' && !p.captureKey) changes.push({ kind, key: `${code}:${p.id}`, sourceVersion: `payment:${p.id}` });
      if (kind === 'refund') {
        for (const r of p.refunds) if (r.state === 'settled' && !r.dovetailKey) changes.push({ kind, key: `${code}:${r.id}`, sourceVersion: `refund:${r.id}` });
      }
    }
  }
  return { ...page, changes };
}

/**
 * Voids every authorisation nothing was captured from (transactionVoid) and returns the amount
 * released. Shopify voids only untouched authorisations: the rest of a partly captured one stays
 * until Shopify closes it (a final capture, or its expiry), so it is not counted as released.
 */
export async function releaseAuthorisation(ctx: ShopifyContext, orderCode: string): Promise<{ releasedMinor: number }> {
  const o = await mustLoad(ctx, orderCode);
  let releasedMinor = 0;
  for (const a of authorisations(o)) {
    if (a.voided || a.remainingMinor !== bagToMinor(a.t.amountSet)) continue;
    const d = await ctx.client.request(TransactionVoid, { parentTransactionId: a.t.id }, z.object({
      transactionVoid: z.object({ transaction: z.object({ id: z.string(), status: z.string() }).nullable(), userErrors: UserErrors }),
    }));
    if (d.transactionVoid.userErrors.length || !d.transactionVoid.transaction) throw userErrorFailure('transactionVoid', d.transactionVoid.userErrors, { orderCode, authorisation: a.t.id });
    if (d.transactionVoid.transaction.status === 'SUCCESS') releasedMinor += a.remainingMinor;
  }
  return { releasedMinor };
}
