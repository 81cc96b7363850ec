// Sales entered in the inventory system shown as Shopify orders: a draft order tagged with the
// sale's ref (found by that tag before one is made), completed as paid (paymentPending: false),
// so Shopify records the money as received outside its checkout and charges nothing.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { OfflineSale } from '../../model/offline-order.js';
import type { OrderStatus } from '../../model/order.js';
import { userErrorFailure } from './client.js';
import { addressToMailing, bagToMinor, draftToOrderStatus, MoneyBag, OFFLINE_TAG_PREFIX } from './mappers.js';
import { DraftOrderById, DraftOrderComplete, DraftOrderCreate, DraftOrderUpdate, OfflineDraftByTag } from './operations.js';
import { searchValue, variantsBySku, type ShopifyContext } from './reads.js';
import { UserErrors } from './user-errors.js';

/** The `sourceName` of orders Dovetail places for offline sales. */
export const OFFLINE_SOURCE = 'dovetail-offline';
/** The tag marking the draft (and the order it becomes) for one sale; Shopify tags hold letters, digits and dashes safely. */
export const offlineTag = (ref: string) => `${OFFLINE_TAG_PREFIX}${ref.replace(/[^A-Za-z0-9]+/g, '-')}`;

const PlacedOrder = z.object({ legacyResourceId: z.string(), cancelledAt: z.string().nullable() }).nullable();

/** The store order for the sale: the order's id once placed, the draft's id while a cart. */
export async function findOfflineOrder(ctx: ShopifyContext, ref: string): Promise<{ code: string; state: OrderStatus } | null> {
  const d = await ctx.client.request(OfflineDraftByTag, { query: `tag:${searchValue(offlineTag(ref))}` }, z.object({ draftOrders: z.object({ nodes: z.array(z.object({
    id: z.string(), legacyResourceId: z.string(), status: z.string(), totalPriceSet: MoneyBag, order: PlacedOrder })) }) }));
  const draft = d.draftOrders.nodes[0];
  if (!draft) return null;
  return { code: draft.order?.legacyResourceId ?? draft.id, state: draftToOrderStatus(draft) };
}

async function draftLines(ctx: ShopifyContext, sale: OfflineSale) {
  if (!sale.lines.length) throw permanent(`sale ${sale.number} has no store products to show`);
  const variants = await variantsBySku(ctx, sale.lines.map((l) => l.sku));
  const unknown = sale.lines.filter((l) => !variants.has(l.sku)).map((l) => l.sku);
  if (unknown.length) throw permanent(`sale ${sale.number} has ${unknown.join(', ')}, which the store does not sell: create it there, then retry`, { skus: unknown });
  return sale.lines.map((l) => ({ variantId: variants.get(l.sku)!.id, quantity: l.quantity }));
}

/** A draft holds no stock and charges nothing; it carries the tag from the start, so a retry finds it. */
export async function startOfflineOrder(ctx: ShopifyContext, sale: OfflineSale, opts: { ref: string }): Promise<{ code: string }> {
  const input = {
    tags: [offlineTag(opts.ref)],
    note: `Placed offline (phone, email or sales staff) as ${sale.number}. Nothing was charged through the store.`,
    lineItems: await draftLines(ctx, sale),
  };
  const d = await ctx.client.request(DraftOrderCreate, { input }, z.object({ draftOrderCreate: z.object({ draftOrder: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }) }));
  if (d.draftOrderCreate.userErrors.length || !d.draftOrderCreate.draftOrder) throw userErrorFailure('draftOrderCreate', d.draftOrderCreate.userErrors, { sale: sale.number });
  return { code: d.draftOrderCreate.draftOrder.id };
}

const DraftNode = z.object({
  id: z.string(), legacyResourceId: z.string(), status: z.string(), tags: z.array(z.string()), email: z.string().nullable(),
  customer: z.object({ id: z.string() }).nullable(),
  shippingAddress: z.object({ address1: z.string().nullable() }).nullable(), billingAddress: z.object({ address1: z.string().nullable() }).nullable(),
  lineItems: z.object({ nodes: z.array(z.object({ id: z.string(), sku: z.string().nullable(), quantity: z.number().int() })) }),
  totalPriceSet: MoneyBag, order: PlacedOrder,
});

/**
 * Fills in the customer (this id, or the sale's email: Shopify files it under that customer, or
 * makes one), the addresses and lines the draft lacks, then completes it as paid. `code` is the
 * draft's id; a draft completed before answers its order's state again.
 */
export async function placeOfflineOrder(ctx: ShopifyContext, code: string, sale: OfflineSale, opts: { customerId: string | null }): Promise<{ state: OrderStatus; totalMinor: number }> {
  const r = await ctx.client.request(DraftOrderById, { id: code }, z.object({ draftOrder: DraftNode.nullable() }));
  const draft = r.draftOrder;
  if (!draft) throw permanent(`Shopify has no draft order ${code} for sale ${sale.number}`, { code });
  if (draft.status === 'COMPLETED') return { state: draftToOrderStatus(draft), totalMinor: bagToMinor(draft.totalPriceSet) };
  const shipTo = sale.shippingAddress ?? sale.billingAddress ?? sale.customer.addresses[0] ?? null;
  const billTo = sale.billingAddress ?? shipTo;
  const update = {
    ...(!draft.customer && opts.customerId ? { purchasingEntity: { customerId: opts.customerId } } : {}),
    ...(!draft.customer && !opts.customerId && !draft.email && sale.customer.email ? { email: sale.customer.email } : {}),
    ...(shipTo && !draft.shippingAddress?.address1 ? { shippingAddress: addressToMailing(shipTo) } : {}),
    ...(billTo && !draft.billingAddress?.address1 ? { billingAddress: addressToMailing(billTo) } : {}),
    ...(!draft.lineItems.nodes.length ? { lineItems: await draftLines(ctx, sale) } : {}),
  };
  if (!draft.customer && !opts.customerId && !draft.email && !sale.customer.email) {
    throw permanent(`sale ${sale.number} has a customer without an email: the store cannot file the order under anyone`);
  }
  if (Object.keys(update).length) {
    const u = await ctx.client.request(DraftOrderUpdate, { id: draft.id, input: update }, z.object({ draftOrderUpdate: z.object({ draftOrder: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }) }));
    if (u.draftOrderUpdate.userErrors.length) throw userErrorFailure('draftOrderUpdate', u.draftOrderUpdate.userErrors, { sale: sale.number });
  }
  const c = await ctx.client.request(DraftOrderComplete, { id: draft.id, sourceName: OFFLINE_SOURCE }, z.object({ draftOrderComplete: z.object({
    draftOrder: z.object({ id: z.string(), status: z.string(), order: z.object({ legacyResourceId: z.string() }).nullable() }).nullable(), userErrors: UserErrors }) }));
  if (c.draftOrderComplete.userErrors.length || !c.draftOrderComplete.draftOrder) throw userErrorFailure('draftOrderComplete', c.draftOrderComplete.userErrors, { sale: sale.number });
  const after = await ctx.client.request(DraftOrderById, { id: draft.id }, z.object({ draftOrder: DraftNode.nullable() }));
  return { state: after.draftOrder ? draftToOrderStatus(after.draftOrder) : 'placed', totalMinor: bagToMinor((after.draftOrder ?? draft).totalPriceSet) };
}
