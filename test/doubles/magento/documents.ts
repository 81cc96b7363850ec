// The double's records as Magento's REST answers spell them (snake_case, decimal amounts, the fields
// the published schema requires): the shapes schema.ts checks every answer against.
import { CURRENCY, type Address, type Comment, type CreditMemo, type Customer, type DocumentItem, type Invoice, type MagentoState, type Order, type Product, type Shipment, type SourceItem } from './state.js';

export type Json = Record<string, unknown>;
const amount = (minor: number) => minor / 100;

export function productJson(p: Product): Json {
  return {
    id: p.id, sku: p.sku, name: p.name, attribute_set_id: p.attributeSetId, price: amount(p.priceMinor), status: p.status, visibility: p.visibility,
    type_id: p.typeId, created_at: p.createdAt, updated_at: p.updatedAt, ...(p.weight === null ? {} : { weight: p.weight }),
    extension_attributes: p.typeId === 'configurable' ? { configurable_product_links: p.children } : {},
    product_links: [], options: [], media_gallery_entries: [], tier_prices: [],
    custom_attributes: [...p.custom].map(([attribute_code, value]) => ({ attribute_code, value })),
  };
}

export const sourceItemJson = (s: SourceItem): Json => ({ sku: s.sku, source_code: s.sourceCode, quantity: s.quantity, status: s.status });

const customerAddressJson = (a: Address, customerId: number): Json => ({ customer_id: customerId, firstname: a.firstname, lastname: a.lastname, street: a.street, city: a.city,
  postcode: a.postcode, country_id: a.countryId, telephone: a.telephone, region: { region_code: a.region ?? '', region: a.region ?? '', region_id: 0 } });

export function customerJson(c: Customer): Json {
  return { id: c.id, group_id: c.groupId, created_at: c.createdAt, updated_at: c.updatedAt, created_in: 'Default Store View', email: c.email,
    firstname: c.firstname, lastname: c.lastname, store_id: 1, website_id: 1, addresses: c.addresses.map((a) => customerAddressJson(a, c.id)), disable_auto_group_change: 0 };
}

const orderAddressJson = (a: Address, type: 'billing' | 'shipping', o: Order): Json => ({ address_type: type, city: a.city, country_id: a.countryId, firstname: a.firstname,
  lastname: a.lastname, postcode: a.postcode, street: a.street, telephone: a.telephone, email: o.email, parent_id: o.entityId, ...(a.region ? { region_code: a.region, region: a.region } : {}) });

const commentJson = (c: Comment, parentId: number): Json => ({ entity_id: c.id, parent_id: parentId, comment: c.comment, is_customer_notified: c.notified,
  is_visible_on_front: c.visible, created_at: c.createdAt });

export function orderJson(state: MagentoState, o: Order): Json {
  const items = o.items.flatMap((i) => {
    const row = state.itemNet(i, i.ordered);
    const taxMinor = state.itemGross(i, i.ordered) - row;
    const quantities = { qty_ordered: i.ordered, qty_invoiced: i.invoiced, qty_shipped: i.shipped, qty_canceled: i.canceled, qty_refunded: i.refunded };
    const item = { item_id: i.itemId, order_id: o.entityId, sku: i.sku, name: i.name, product_id: i.productId, product_type: i.productType, ...quantities,
      price: amount(i.priceMinor), base_price: amount(i.priceMinor), original_price: amount(i.priceMinor), price_incl_tax: amount(state.itemGross(i, 1)),
      row_total: amount(row), base_row_total: amount(row), row_total_incl_tax: amount(row + taxMinor), tax_amount: amount(taxMinor), tax_percent: i.taxPercent,
      discount_amount: 0, discount_tax_compensation_amount: 0, created_at: o.createdAt, updated_at: o.updatedAt };
    // a configurable line: the simple product's own row follows, at no price, its quantities the parent's
    return i.child ? [item, { item_id: i.child.itemId, order_id: o.entityId, parent_item_id: i.itemId, sku: i.sku, name: i.child.name, product_id: i.child.productId,
      product_type: 'simple', ...quantities, price: 0, row_total: 0, tax_amount: 0, discount_amount: 0, created_at: o.createdAt, updated_at: o.updatedAt }] : [item];
  });
  const subtotal = o.items.reduce((n, i) => n + state.itemNet(i, i.ordered), 0);
  const grand = state.grandTotal(o);
  const p = o.payment;
  return {
    entity_id: o.entityId, increment_id: o.incrementId, state: o.state, status: o.status, created_at: o.createdAt, updated_at: o.updatedAt, store_id: 1,
    customer_email: o.email, customer_firstname: o.firstname, customer_lastname: o.lastname, customer_is_guest: o.customerId === null ? 1 : 0,
    ...(o.customerId === null ? {} : { customer_id: o.customerId }), customer_group_id: o.customerId === null ? 0 : 1,
    base_currency_code: CURRENCY, order_currency_code: CURRENCY, global_currency_code: CURRENCY, store_currency_code: CURRENCY,
    subtotal: amount(subtotal), base_subtotal: amount(subtotal), tax_amount: amount(grand - subtotal - o.shippingMinor), discount_amount: 0,
    shipping_amount: amount(o.shippingMinor), shipping_tax_amount: 0, shipping_discount_amount: 0, shipping_discount_tax_compensation_amount: 0, shipping_description: o.shippingDescription,
    grand_total: amount(grand), base_grand_total: amount(grand), total_qty_ordered: o.items.reduce((n, i) => n + i.ordered, 0), total_item_count: o.items.length,
    total_invoiced: amount(state.invoicedMinor(o)), total_paid: amount(p.paidMinor), total_refunded: amount(p.refundedMinor), total_canceled: amount(state.canceledMinor(o)),
    total_due: amount(Math.max(0, grand - p.paidMinor - state.canceledMinor(o))),
    items,
    billing_address: orderAddressJson(o.address, 'billing', o),
    payment: { entity_id: o.entityId, parent_id: o.entityId, method: p.method, account_status: '', additional_information: [], cc_last4: '',
      amount_ordered: amount(grand), amount_authorized: amount(p.authorizedMinor), amount_paid: amount(p.paidMinor), amount_refunded: amount(p.refundedMinor), amount_canceled: amount(p.canceledMinor) },
    status_histories: o.histories.map((h) => ({ ...commentJson(h, o.entityId), status: h.status ?? o.status, entity_name: 'order' })),
    extension_attributes: { shipping_assignments: [{ shipping: { address: orderAddressJson(o.address, 'shipping', o), method: 'flatrate_flatrate', total: {} }, items: [] }] },
  };
}

const documentItemJson = (i: DocumentItem, parentId: number): Json => ({ entity_id: i.entityId, parent_id: parentId, order_item_id: i.orderItemId, sku: i.sku, qty: i.qty,
  price: amount(i.unitMinor), base_price: amount(i.unitMinor), base_cost: 0, row_total: amount(i.rowMinor), tax_amount: amount(i.taxMinor), row_total_incl_tax: amount(i.rowMinor + i.taxMinor) });

const documentTotals = (items: DocumentItem[], shippingMinor: number, grandMinor: number): Json => {
  const subtotal = items.reduce((n, i) => n + i.rowMinor, 0);
  const taxMinor = items.reduce((n, i) => n + i.taxMinor, 0);
  return { subtotal: amount(subtotal), base_subtotal: amount(subtotal), tax_amount: amount(taxMinor), shipping_amount: amount(shippingMinor),
    grand_total: amount(grandMinor), base_grand_total: amount(grandMinor), order_currency_code: CURRENCY, base_currency_code: CURRENCY };
};

export function invoiceJson(inv: Invoice): Json {
  return { entity_id: inv.entityId, increment_id: inv.incrementId, order_id: inv.orderId, state: inv.state, total_qty: inv.items.reduce((n, i) => n + i.qty, 0),
    ...documentTotals(inv.items, inv.shippingMinor, inv.grandMinor), ...(inv.transactionId ? { transaction_id: inv.transactionId } : {}),
    created_at: inv.createdAt, updated_at: inv.updatedAt, items: inv.items.map((i) => documentItemJson(i, inv.entityId)),
    comments: inv.comments.map((c) => commentJson(c, inv.entityId)) };
}

export function shipmentJson(s: Shipment): Json {
  return { entity_id: s.entityId, increment_id: s.incrementId, order_id: s.orderId, total_qty: s.items.reduce((n, i) => n + i.qty, 0), created_at: s.createdAt, updated_at: s.updatedAt,
    items: s.items.map((i) => ({ entity_id: i.entityId, parent_id: s.entityId, order_item_id: i.orderItemId, sku: i.sku, qty: i.qty, price: amount(i.unitMinor) })),
    tracks: s.tracks.map((t) => ({ entity_id: t.entityId, order_id: s.orderId, parent_id: s.entityId, weight: 0, qty: 0, description: '', track_number: t.trackNumber, title: t.title, carrier_code: t.carrierCode })),
    comments: s.comments.map((c) => commentJson(c, s.entityId)) };
}

export function creditMemoJson(m: CreditMemo): Json {
  return { entity_id: m.entityId, increment_id: m.incrementId, order_id: m.orderId, ...(m.invoiceId === null ? {} : { invoice_id: m.invoiceId }), state: 2,
    ...documentTotals(m.items, m.shippingMinor, m.grandMinor), adjustment_positive: amount(m.adjustmentPositiveMinor), adjustment_negative: amount(m.adjustmentNegativeMinor),
    adjustment: amount(m.adjustmentPositiveMinor - m.adjustmentNegativeMinor), ...(m.online ? { transaction_id: `refund-${m.entityId}` } : {}),
    created_at: m.createdAt, updated_at: m.updatedAt, items: m.items.map((i) => documentItemJson(i, m.entityId)), comments: m.comments.map((c) => commentJson(c, m.entityId)) };
}

