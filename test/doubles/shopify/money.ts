// The double's payments: captures of an authorisation (never beyond what it still holds),
// refunds (idempotent by key, never beyond what a capture has left), voids of untouched
// authorisations.
import type { Handler } from './server.js';
import { money, toMinor, type Json, type Order } from './state.js';
import { transactionNode } from './orders.js';

function refundableOf(o: Order, parentId: string): number {
  const parent = o.transactions.find((t) => t.id === parentId && t.status === 'SUCCESS' && (t.kind === 'CAPTURE' || t.kind === 'SALE'));
  if (!parent) return 0;
  return parent.amountMinor - o.transactions.filter((t) => t.kind === 'REFUND' && t.status === 'SUCCESS' && t.parentId === parentId).reduce((n, t) => n + t.amountMinor, 0);
}

function holds(o: Order, authId: string): number {
  const children = o.transactions.filter((t) => t.parentId === authId && t.status === 'SUCCESS');
  const auth = o.transactions.find((t) => t.id === authId)!;
  if (children.some((t) => t.kind === 'VOID' || t.finalCaptured)) return 0;
  return auth.amountMinor - children.filter((t) => t.kind === 'CAPTURE').reduce((n, t) => n + t.amountMinor, 0);
}

const refundNode = (o: Order, id: string) => {
  const r = o.refunds.find((x) => x.id === id)!;
  const total = r.transactionIds.reduce((n, tid) => n + o.transactions.find((t) => t.id === tid)!.amountMinor, 0);
  return { id: r.id, note: r.note, totalRefundedSet: money(total) };
};

export const MONEY: Record<string, Handler> = {
  OrderCapture: (v, shop) => {
    const input = v.input as { id: string; parentTransactionId: string; amount: string; finalCapture?: boolean };
    const o = shop.orders.get(input.id);
    const auth = o?.transactions.find((t) => t.id === input.parentTransactionId && t.kind === 'AUTHORIZATION' && t.status === 'SUCCESS');
    if (!o || !auth) return { orderCapture: { transaction: null, userErrors: [{ field: ['input', 'parentTransactionId'], message: 'Parent transaction not found' }] } };
    const amount = toMinor(input.amount);
    if (amount <= 0 || amount > holds(o, auth.id)) return { orderCapture: { transaction: null, userErrors: [{ field: ['input', 'amount'], message: 'Amount is greater than the capturable amount' }] } };
    const tx = { id: shop.nextId('OrderTransaction'), kind: 'CAPTURE', status: 'SUCCESS', gateway: auth.gateway, amountMinor: amount, parentId: auth.id, createdAt: shop.now(), finalCaptured: input.finalCapture === true };
    o.transactions.push(tx);
    shop.touch(o);
    return { orderCapture: { transaction: transactionNode(tx), userErrors: [] } };
  },

  // idempotent by key, as Shopify documents: a repeat with the same key answers the first refund
  RefundCreate: (v, shop) => {
    const input = v.input as { orderId: string; note?: string; transactions?: { parentId: string; amount: string; gateway: string }[]; refundLineItems?: { lineItemId: string; quantity: number }[] };
    const o = shop.orders.get(input.orderId);
    if (!o) return { refundCreate: { refund: null, userErrors: [{ field: ['input', 'orderId'], message: 'Order does not exist' }] } };
    const earlier = shop.refundKeys.get(String(v.key));
    if (earlier) return { refundCreate: { refund: refundNode(o, earlier), userErrors: [] } };
    const userErrors: Json[] = [];
    (input.transactions ?? []).forEach((t, i) => {
      if (toMinor(t.amount) > refundableOf(o, t.parentId)) userErrors.push({ field: ['input', 'transactions', String(i), 'amount'], message: 'Refund amount exceeds the refundable amount' });
    });
    if (userErrors.length) return { refundCreate: { refund: null, userErrors } };
    const ids = (input.transactions ?? []).map((t) => {
      const tx = { id: shop.nextId('OrderTransaction'), kind: 'REFUND', status: 'SUCCESS', gateway: t.gateway, amountMinor: toMinor(t.amount), parentId: t.parentId, createdAt: shop.now() };
      o.transactions.push(tx);
      return tx.id;
    });
    for (const l of input.refundLineItems ?? []) {
      const line = o.lines.find((x) => x.id === l.lineItemId);
      if (line) line.currentQuantity -= l.quantity;
    }
    const refund = { id: shop.nextId('Refund'), note: input.note ?? null, transactionIds: ids, lines: (input.refundLineItems ?? []).map((l) => ({ lineItemId: l.lineItemId, quantity: l.quantity })) };
    o.refunds.push(refund);
    shop.refundKeys.set(String(v.key), refund.id);
    shop.touch(o);
    return { refundCreate: { refund: refundNode(o, refund.id), userErrors: [] } };
  },

  TransactionVoid: (v, shop) => {
    const o = [...shop.orders.values()].find((x) => x.transactions.some((t) => t.id === v.parentTransactionId));
    const auth = o?.transactions.find((t) => t.id === v.parentTransactionId);
    if (!o || !auth) return { transactionVoid: { transaction: null, userErrors: [{ code: 'TRANSACTION_NOT_FOUND', field: ['parentTransactionId'], message: 'Transaction does not exist' }] } };
    if (auth.kind !== 'AUTHORIZATION' || auth.status !== 'SUCCESS') return { transactionVoid: { transaction: null, userErrors: [{ code: 'AUTH_NOT_SUCCESSFUL', field: ['parentTransactionId'], message: 'Transaction is not a successful authorization' }] } };
    const touched = o.transactions.some((t) => t.parentId === auth.id && t.status === 'SUCCESS');
    if (touched) return { transactionVoid: { transaction: null, userErrors: [{ code: 'AUTH_NOT_VOIDABLE', field: ['parentTransactionId'], message: 'Transaction is not voidable' }] } };
    const tx = { id: shop.nextId('OrderTransaction'), kind: 'VOID', status: 'SUCCESS', gateway: auth.gateway, amountMinor: auth.amountMinor, parentId: auth.id, createdAt: shop.now() };
    o.transactions.push(tx);
    shop.touch(o);
    return { transactionVoid: { transaction: { id: tx.id, status: tx.status }, userErrors: [] } };
  },
};
