// The double's draft orders: made with variants, found by tag, updated, and completed into an
// order — as paid outside Shopify's checkout when paymentPending is false (a manual SALE), with
// the customer found or made from the draft's email.
import type { Handler } from './server.js';
import { money, type Address, type DraftOrder, type ShopState } from './state.js';
import { addressNode } from './orders.js';

const total = (shop: ShopState, d: DraftOrder) => d.lines.reduce((n, l) => {
  const price = shop.itemByVariant(l.variantId)!.priceMinor * l.quantity;
  return n + price + Math.round((price * 20) / 100);
}, 0);

function draftNode(shop: ShopState, d: DraftOrder) {
  const order = d.orderId ? shop.orders.get(d.orderId) : undefined;
  return {
    id: d.id, legacyResourceId: d.legacyId, status: d.status, tags: d.tags, email: d.email,
    customer: d.customerId ? { id: d.customerId } : null,
    shippingAddress: addressNode(d.shippingAddress), billingAddress: addressNode(d.billingAddress),
    lineItems: { nodes: d.lines.map((l) => ({ id: l.id, sku: shop.itemByVariant(l.variantId)!.sku, quantity: l.quantity })) },
    totalPriceSet: money(order ? shop.currentTotal(order) : total(shop, d)),
    order: order ? { legacyResourceId: order.legacyId, cancelledAt: order.cancelledAt } : null,
  };
}

type DraftInput = { tags?: string[]; note?: string; email?: string; lineItems?: { variantId: string; quantity: number }[];
  purchasingEntity?: { customerId?: string }; shippingAddress?: Address & { countryCode: string }; billingAddress?: Address & { countryCode: string } };

function apply(shop: ShopState, d: DraftOrder, input: DraftInput): string | null {
  if (input.lineItems?.some((l) => !shop.itemByVariant(l.variantId))) return 'Variant does not exist';
  if (input.tags) d.tags = input.tags;
  if (input.note !== undefined) d.note = input.note;
  if (input.email !== undefined) d.email = input.email;
  if (input.purchasingEntity?.customerId) d.customerId = input.purchasingEntity.customerId;
  if (input.shippingAddress) d.shippingAddress = { ...input.shippingAddress };
  if (input.billingAddress) d.billingAddress = { ...input.billingAddress };
  if (input.lineItems) d.lines = input.lineItems.map((l) => ({ id: shop.nextId('DraftOrderLineItem'), variantId: l.variantId, quantity: l.quantity }));
  return null;
}

export const OFFLINE: Record<string, Handler> = {
  OfflineDraftByTag: (v, shop) => {
    const tag = /tag:"((?:[^"\\]|\\.)*)"/.exec(String(v.query))?.[1];
    const nodes = [...shop.drafts.values()].filter((d) => tag && d.tags.includes(tag)).slice(0, 1);
    return { draftOrders: { nodes: nodes.map((d) => draftNode(shop, d)) } };
  },
  DraftOrderById: (v, shop) => { const d = shop.drafts.get(String(v.id)); return { draftOrder: d ? draftNode(shop, d) : null }; },
  DraftOrderCreate: (v, shop) => {
    const id = shop.nextId('DraftOrder');
    const d: DraftOrder = { id, legacyId: id.slice(id.lastIndexOf('/') + 1), status: 'OPEN', tags: [], note: null, email: null, customerId: null, shippingAddress: null, billingAddress: null, lines: [], orderId: null };
    const refused = apply(shop, d, v.input as DraftInput);
    if (refused) return { draftOrderCreate: { draftOrder: null, userErrors: [{ field: ['input', 'lineItems'], message: refused }] } };
    shop.drafts.set(id, d);
    return { draftOrderCreate: { draftOrder: { id, legacyResourceId: d.legacyId, name: `#D${d.legacyId}`, status: d.status }, userErrors: [] } };
  },
  DraftOrderUpdate: (v, shop) => {
    const d = shop.drafts.get(String(v.id));
    if (!d || d.status === 'COMPLETED') return { draftOrderUpdate: { draftOrder: null, userErrors: [{ field: ['id'], message: 'Draft order cannot be updated' }] } };
    const refused = apply(shop, d, v.input as DraftInput);
    return { draftOrderUpdate: { draftOrder: refused ? null : { id: d.id }, userErrors: refused ? [{ field: ['input'], message: refused }] : [] } };
  },
  DraftOrderComplete: (v, shop) => {
    const d = shop.drafts.get(String(v.id));
    if (!d || d.status === 'COMPLETED') return { draftOrderComplete: { draftOrder: null, userErrors: [{ field: ['id'], message: 'Draft order has already been completed' }] } };
    if (!d.lines.length) return { draftOrderComplete: { draftOrder: null, userErrors: [{ field: ['id'], message: 'Draft order has no line items' }] } };
    let customer = d.customerId ? shop.customers.get(d.customerId) : d.email ? shop.customerByEmail(d.email) : undefined;
    if (!customer && d.email) customer = shop.addCustomer({ email: d.email });
    if (!customer?.email) return { draftOrderComplete: { draftOrder: null, userErrors: [{ field: ['id'], message: 'Draft order has no customer or email' }] } };
    const order = shop.placeOrder({ email: customer.email, customerId: customer.id, paid: 'none', sourceName: String(v.sourceName ?? 'shopify_draft_order'), tags: d.tags, address: d.shippingAddress,
      lines: d.lines.map((l) => ({ sku: shop.itemByVariant(l.variantId)!.sku, quantity: l.quantity })) });
    order.billingAddress = d.billingAddress ?? d.shippingAddress;
    // paymentPending false: the whole amount is recorded as received outside Shopify's checkout
    if (v.paymentPending === false) order.transactions.push({ id: shop.nextId('OrderTransaction'), kind: 'SALE', status: 'SUCCESS', gateway: 'manual', amountMinor: shop.currentTotal(order), parentId: null, createdAt: shop.now() });
    d.status = 'COMPLETED';
    d.orderId = order.id;
    return { draftOrderComplete: { draftOrder: { id: d.id, status: d.status, order: { legacyResourceId: order.legacyId } }, userErrors: [] } };
  },
};
