// Shipments on Magento orders: one POST /V1/order/{id}/ship per Dovetail shipment, its ref kept
// in the shipment's comment, so a retry after a crash finds the shipment before making another.
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import type { StoreShipment } from '../../model/shipment.js';
import { searchQuery } from './client.js';
import { searchResult, topLevelItems, type MOrder, type MOrderItem } from './mappers.js';
import { findOrder, type MagentoContext } from './reads.js';

export const shipmentMarker = (ref: string) => `[dovetail:shipment:${ref}]`;

const Comment = z.object({ comment: z.string().nullish() });
export const MShipment = z.object({ entity_id: z.number().int(), order_id: z.number().int(), comments: z.array(Comment).nullish() });

/** What Magento still lets ship of an item (its own rule: ordered − max(shipped, refunded) − cancelled). */
export const qtyToShip = (i: MOrderItem) => Math.max(0, i.qty_ordered - Math.max(i.qty_shipped, i.qty_refunded) - i.qty_canceled);

/**
 * `{order_item_id, qty}` for `lines`, drawn from the order's own lines of each SKU in order, within
 * what `left` says each may still take; more than that is refused before anything is sent.
 */
export function itemsFor(order: MOrder, lines: { sku: string; quantity: number }[], left: (i: MOrderItem) => number, what: string): { order_item_id: number; qty: number }[] {
  const out: { order_item_id: number; qty: number }[] = [];
  for (const { sku, quantity } of lines) {
    let wanted = quantity;
    for (const item of topLevelItems(order).filter((i) => i.sku === sku)) {
      const take = Math.min(wanted, left(item));
      if (take > 0) { out.push({ order_item_id: item.item_id, qty: take }); wanted -= take; }
    }
    if (wanted > 0) throw permanent(`order ${order.increment_id}: ${quantity} × ${sku} is more than Magento has left to ${what} (${quantity - wanted})`);
  }
  return out;
}

export async function mustFindOrder(ctx: MagentoContext, code: string): Promise<MOrder> {
  const order = await findOrder(ctx, code);
  if (!order) throw new DovetailError('permanent', `Magento has no order ${code}`, { detail: { orderCode: code } });
  return order;
}

export async function shipmentsOf(ctx: MagentoContext, order: MOrder) {
  return (await ctx.client.request('GET', '/shipments', searchResult(MShipment),
    { query: searchQuery({ filter: { field: 'order_id', value: String(order.entity_id), conditionType: 'eq' }, pageSize: 300 }) })).items;
}

export async function recordShipment(ctx: MagentoContext, code: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }> {
  const order = await mustFindOrder(ctx, code);
  const marker = shipmentMarker(shipment.ref);
  const made = (await shipmentsOf(ctx, order)).find((s) => s.comments?.some((c) => c.comment?.includes(marker)));
  if (made) return { id: String(made.entity_id), created: false };
  const items = itemsFor(order, shipment.lines, qtyToShip, 'ship');
  const codes = (shipment.trackingCode ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  const id = await ctx.client.request('POST', `/order/${order.entity_id}/ship`, z.number().int(), { body: {
    items,
    notify: opts.notifyCustomer,
    appendComment: true,
    comment: { comment: `Shipped from the warehouse on ${shipment.shippedOn} ${marker}`, is_visible_on_front: 0 },
    tracks: codes.map((track_number) => ({ track_number, title: shipment.carrier ?? 'Carrier', carrier_code: 'custom' })),
  } });
  return { id: String(id), created: true };
}
