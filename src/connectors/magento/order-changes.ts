// Changes to placed Magento orders, within what its Admin REST API can do: read the lines, cancel
// what is neither shipped nor invoiced (the whole rest of the order: Magento has no partial
// cancel), and nothing else: there is no order-edit API, and a return is only its credit memo.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import { mustFindOrder } from './fulfilment.js';
import { MOrder, toMinor, topLevelItems, unitAmounts, type MOrderItem } from './mappers.js';
import { getPayments } from './payments.js';
import { searchByValues, type MagentoContext } from './reads.js';

/** A change Magento cannot make: permanent, with `refusal: conflict` so the dashboard tells it from a failed call. */
const cannot = (code: string, why: string) => new DovetailError('permanent', `order ${code}: ${why}`, { detail: { orderCode: code, refusal: 'conflict' } });

/**
 * Per SKU: units the customer gets (ordered less cancelled less credited), units shipped, units
 * credited after they shipped (returned); the total less what was cancelled and refunded.
 */
export function linesOf(order: MOrder): OrderLinesState {
  const cur = order.order_currency_code;
  const bySku = new Map<string, OrderLinesState['lines'][number]>();
  for (const item of topLevelItems(order)) {
    const { netMinor, grossMinor } = unitAmounts(item, cur);
    const s = bySku.get(item.sku) ?? { sku: item.sku, quantity: 0, shipped: 0, returned: 0, unitGrossMinor: grossMinor, unitNetMinor: netMinor, taxRatePercent: item.tax_percent };
    s.quantity += item.qty_ordered - item.qty_canceled - item.qty_refunded;
    s.shipped += item.qty_shipped;
    s.returned += Math.min(item.qty_refunded, item.qty_shipped);
    bySku.set(item.sku, s);
  }
  return {
    orderCode: order.increment_id, state: order.status ?? order.state ?? 'unknown', lines: [...bySku.values()],
    totalMinor: toMinor(order.grand_total, cur) - toMinor(order.total_canceled, cur) - toMinor(order.total_refunded, cur),
  };
}

/**
 * The orders with these increment ids, by code: one `increment_id in (…)` search per
 * VALUES_PER_SEARCH codes. Each listed order carries its items (the schema requires them), all
 * that linesOf reads.
 */
export async function getOrderLines(ctx: MagentoContext, codes: string[]): Promise<Map<string, OrderLinesState>> {
  const out = new Map<string, OrderLinesState>();
  if (!codes.length) return out;
  const wanted = new Set(codes);
  for (const order of await searchByValues(ctx, '/orders', MOrder, 'increment_id', [...wanted])) {
    // an increment id is unique per store, not per shop: the first found stands, as in findOrder
    if (wanted.has(order.increment_id) && !out.has(order.increment_id)) out.set(order.increment_id, linesOf(order));
  }
  return out;
}

/** What Magento's cancel takes off an item: ordered − max(shipped, invoiced) − already cancelled. */
const qtyToCancel = (i: MOrderItem) => Math.max(0, i.qty_ordered - Math.max(i.qty_shipped, i.qty_invoiced) - i.qty_canceled);

async function comment(ctx: MagentoContext, order: MOrder, text: string): Promise<void> {
  await ctx.client.request('POST', `/orders/${order.entity_id}/comments`, z.boolean(), {
    body: { statusHistory: { comment: text, is_customer_notified: 0, is_visible_on_front: 0, parent_id: order.entity_id } },
  });
}

/** Magento answers false when the order cannot be cancelled (everything invoiced, on hold, in payment review). */
async function cancel(ctx: MagentoContext, order: MOrder): Promise<void> {
  const done = await ctx.client.request('POST', `/orders/${order.entity_id}/cancel`, z.boolean());
  if (!done) throw cannot(order.increment_id, `Magento would not cancel it in state ${order.state ?? 'unknown'}`);
}

/**
 * A cancellation is carried when it takes every unit Magento would cancel (all that is neither
 * shipped nor invoiced), by cancelling the order; one that would leave some of them is refused,
 * since Magento cannot cancel part of an order. Returns are refused: Magento shows a return only
 * as the credit memo that refunds it.
 */
export async function cancelOrderUnits(ctx: MagentoContext, code: string, lines: { sku: string; quantity: number }[], opts: { kind: 'cancel' | 'return'; reason: string }) {
  const order = await mustFindOrder(ctx, code);
  if (opts.kind === 'return') throw cannot(code, 'Magento records returned units only with the credit memo that refunds them; the refund is made by refundPayment');
  const cancellable = new Map<string, number>();
  for (const i of topLevelItems(order)) cancellable.set(i.sku, (cancellable.get(i.sku) ?? 0) + qtyToCancel(i));
  const asked = new Map<string, number>();
  for (const l of lines) asked.set(l.sku, (asked.get(l.sku) ?? 0) + l.quantity);
  const before = linesOf(order).totalMinor;
  // a repeat after the order was cancelled changes nothing
  if (order.state === 'canceled') return { totalBeforeMinor: before, totalAfterMinor: before };
  const partial = [...new Set([...cancellable.keys(), ...asked.keys()])].filter((sku) => (asked.get(sku) ?? 0) !== (cancellable.get(sku) ?? 0));
  if (partial.length) {
    throw cannot(code, `Magento cancels only every unit not shipped or invoiced at once; cancelling ${lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')} `
      + `would leave ${partial.map((sku) => `${(cancellable.get(sku) ?? 0) - (asked.get(sku) ?? 0)} × ${sku}`).join(', ')} to cancel`);
  }
  await cancel(ctx, order);
  await comment(ctx, order, opts.reason);
  return { totalBeforeMinor: before, totalAfterMinor: linesOf(await mustFindOrder(ctx, code)).totalMinor };
}

export function raiseOrderQuantities(_ctx: MagentoContext, code: string): never {
  throw cannot(code, 'Magento has no API to add units to a placed order (its admin "edit" makes a new order and cancels this one)');
}

/**
 * Magento releases an authorisation only by cancelling the order: what is neither shipped nor
 * invoiced is cancelled and the payment's uninvoiced part voided. Nothing authorised: nothing done.
 */
export async function releaseAuthorisation(ctx: MagentoContext, code: string, note: string): Promise<{ releasedMinor: number }> {
  const money = await getPayments(ctx, code);
  if (!money) throw new DovetailError('permanent', `Magento has no order ${code}`, { detail: { orderCode: code } });
  if (money.authorisedMinor === 0) return { releasedMinor: 0 };
  const order = await mustFindOrder(ctx, code);
  await cancel(ctx, order);
  await comment(ctx, order, note);
  return { releasedMinor: money.authorisedMinor };
}
