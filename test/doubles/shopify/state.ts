// What the Shopify double remembers between requests: variants and their stock per location,
// orders with their lines, fulfillment orders, fulfilments, transactions, refunds, returns, order
// edits and metafields, draft orders and customers. Money is kept in minor units; amounts go out
// as Shopify's decimal strings.
export type Json = Record<string, unknown>;

export interface Item { sku: string; variantId: string; inventoryItemId: string; productId: string; priceMinor: number; levels: Map<string, number> }

export interface LineItem {
  id: string; sku: string; variantId: string | null; name: string;
  /** ordered, including units removed later (Shopify's `quantity`) */
  quantity: number;
  /** ordered less removed by edits and refunded with their line (Shopify's `currentQuantity`) */
  currentQuantity: number;
  unitPriceMinor: number; taxRatePercent: number;
}
export interface FulfillmentOrder { id: string; status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED' | 'CANCELLED'; lines: { id: string; lineItemId: string; remainingQuantity: number }[] }
export interface Fulfillment {
  id: string; status: 'SUCCESS' | 'CANCELLED'; createdAt: string; notifyCustomer: boolean;
  trackingInfo: { number: string | null; company: string | null; url: string | null }[];
  lines: { id: string; lineItemId: string; quantity: number }[];
}
export interface Transaction { id: string; kind: string; status: string; gateway: string; amountMinor: number; parentId: string | null; createdAt: string; finalCaptured?: boolean }
export interface Refund { id: string; note: string | null; transactionIds: string[]; lines: { lineItemId: string; quantity: number }[] }
export interface Return { id: string; status: 'OPEN' | 'CLOSED'; note: string | null; lines: { id: string; fulfillmentLineItemId: string; lineItemId: string; quantity: number; processedQuantity: number }[] }
export interface Address { firstName: string | null; lastName: string | null; company: string | null; address1: string | null; address2: string | null; city: string | null; provinceCode: string | null; zip: string | null; countryCode: string | null; phone: string | null }

export interface Order {
  id: string; legacyId: string; name: string; createdAt: string; updatedAt: string; cancelledAt: string | null;
  email: string; customerId: string | null; tags: string[]; note: string | null; sourceName: string; currencyCode: string;
  shippingAddress: Address | null; billingAddress: Address | null;
  lines: LineItem[];
  shipping: { title: string; priceMinor: number; taxRatePercent: number } | null;
  fulfillmentOrders: FulfillmentOrder[]; fulfillments: Fulfillment[]; transactions: Transaction[]; refunds: Refund[]; returns: Return[];
  metafields: Map<string, { value: string; compareDigest: string }>;
  staffNotes: string[];
}
export interface EditSession { id: string; orderId: string; quantities: Map<string, number>; added: { variantId: string; quantity: number }[]; committed: boolean }
export interface DraftOrder {
  id: string; legacyId: string; status: 'OPEN' | 'COMPLETED'; tags: string[]; note: string | null; email: string | null; customerId: string | null;
  shippingAddress: Address | null; billingAddress: Address | null; lines: { id: string; variantId: string; quantity: number }[]; orderId: string | null;
}
export interface Customer {
  /** null: a customer Shopify has without an email (a phone-only one) */
  id: string; email: string | null; firstName: string | null; lastName: string | null; phone: string | null;
  state: 'DISABLED' | 'INVITED' | 'ENABLED' | 'DECLINED'; addresses: Address[]; invitationsSent: number; updatedAt: string;
}

/** the shop's currency: USD, as the golden Tryton company keeps its books */
export const CURRENCY = 'USD';
/** what a product's `updatedAt` is until a test sets one */
export const PRODUCT_STAMP = '2026-01-01T00:00:00Z';
export const money = (minor: number) => ({ shopMoney: { amount: (minor / 100).toFixed(2), currencyCode: CURRENCY } });
/** Shopify's decimal strings, parsed exactly. */
export const toMinor = (amount: string) => {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2)) * (amount.startsWith('-') ? -1 : 1);
};
const lineTax = (l: LineItem, units: number) => Math.round((l.unitPriceMinor * units * l.taxRatePercent) / 100);

export class ShopState {
  readonly items = new Map<string, Item>();
  readonly orders = new Map<string, Order>();
  readonly drafts = new Map<string, DraftOrder>();
  readonly customers = new Map<string, Customer>();
  readonly edits = new Map<string, EditSession>();
  /** `updatedAt` of each product in the change listing, by product id; unset: PRODUCT_STAMP */
  readonly productStamps = new Map<string, string>();
  /** refundCreate's idempotency keys -> the refund each first made */
  readonly refundKeys = new Map<string, string>();
  private seq = 1000;
  /** a clock that only moves forward, one second per change, so `updatedAt` orders every change */
  private tick = Date.parse('2026-11-01T00:00:00Z');

  nextId(kind: string): string { return `gid://shopify/${kind}/${++this.seq}`; }
  now(): string { this.tick += 1000; return new Date(this.tick).toISOString(); }

  addItem(sku: string, levels: Record<string, number>, productId = `gid://shopify/Product/${this.items.size + 1}`, priceMinor = 1000): Item {
    const n = this.items.size + 1;
    const item = { sku, variantId: `gid://shopify/ProductVariant/${n}`, inventoryItemId: `gid://shopify/InventoryItem/${n}`, productId, priceMinor, levels: new Map(Object.entries(levels)) };
    this.items.set(sku, item);
    return item;
  }
  itemByVariant(variantId: string): Item | undefined { return [...this.items.values()].find((i) => i.variantId === variantId); }

  /** A placed order as checkout leaves it: one open fulfillment order, the payment authorised (or captured with `paid`). */
  placeOrder(o: { email: string; lines: { sku: string; quantity: number; taxRatePercent?: number }[]; shipping?: { title: string; priceMinor: number; taxRatePercent?: number };
    paid?: 'authorised' | 'captured' | 'none'; sourceName?: string; tags?: string[]; customerId?: string | null; address?: Address | null }): Order {
    const id = this.nextId('Order');
    const legacyId = id.slice(id.lastIndexOf('/') + 1);
    const at = this.now();
    const lines: LineItem[] = o.lines.map((l) => {
      const item = this.items.get(l.sku);
      return { id: this.nextId('LineItem'), sku: l.sku, variantId: item?.variantId ?? null, name: l.sku, quantity: l.quantity, currentQuantity: l.quantity,
        unitPriceMinor: item?.priceMinor ?? 1000, taxRatePercent: l.taxRatePercent ?? 20 };
    });
    const order: Order = {
      id, legacyId, name: `#${legacyId}`, createdAt: at, updatedAt: at, cancelledAt: null, email: o.email, customerId: o.customerId ?? null, tags: o.tags ?? [], note: null,
      sourceName: o.sourceName ?? 'web', currencyCode: CURRENCY, shippingAddress: o.address ?? null, billingAddress: o.address ?? null, lines,
      shipping: o.shipping ? { taxRatePercent: 20, ...o.shipping } : null,
      fulfillmentOrders: [{ id: this.nextId('FulfillmentOrder'), status: 'OPEN', lines: lines.map((l) => ({ id: this.nextId('FulfillmentOrderLineItem'), lineItemId: l.id, remainingQuantity: l.quantity })) }],
      fulfillments: [], transactions: [], refunds: [], returns: [], metafields: new Map(), staffNotes: [],
    };
    const total = this.currentTotal(order);
    const paid = o.paid ?? 'authorised';
    if (paid === 'authorised') order.transactions.push({ id: this.nextId('OrderTransaction'), kind: 'AUTHORIZATION', status: 'SUCCESS', gateway: 'shopify_payments', amountMinor: total, parentId: null, createdAt: at });
    if (paid === 'captured') order.transactions.push({ id: this.nextId('OrderTransaction'), kind: 'SALE', status: 'SUCCESS', gateway: 'shopify_payments', amountMinor: total, parentId: null, createdAt: at });
    this.orders.set(id, order);
    for (const l of lines) this.take(l.sku, l.quantity);
    return order;
  }

  /** Checkout and order edits take stock from the first location that has the item. */
  take(sku: string, units: number): void {
    const item = this.items.get(sku);
    const first = item && [...item.levels.keys()][0];
    if (item && first) item.levels.set(first, (item.levels.get(first) ?? 0) - units);
  }

  touch(o: Order): void { o.updatedAt = this.now(); }

  shippingGross(o: Order): number { return o.shipping ? o.shipping.priceMinor + Math.round((o.shipping.priceMinor * o.shipping.taxRatePercent) / 100) : 0; }
  shippingTax(o: Order): number { return o.shipping ? Math.round((o.shipping.priceMinor * o.shipping.taxRatePercent) / 100) : 0; }
  /** before returns and removals */
  originalTotal(o: Order): number { return o.lines.reduce((n, l) => n + l.unitPriceMinor * l.quantity + lineTax(l, l.quantity), 0) + this.shippingGross(o); }
  originalTax(o: Order): number { return o.lines.reduce((n, l) => n + lineTax(l, l.quantity), 0) + this.shippingTax(o); }
  currentTotal(o: Order): number { return o.lines.reduce((n, l) => n + l.unitPriceMinor * l.currentQuantity + lineTax(l, l.currentQuantity), 0) + this.shippingGross(o); }
  lineTaxMinor(l: LineItem): number { return lineTax(l, l.quantity); }

  succeeded(o: Order, kind: string): Transaction[] { return o.transactions.filter((t) => t.kind === kind && t.status === 'SUCCESS'); }
  /** What each authorisation still holds: its amount less captures; nothing once voided or closed by a final capture. */
  capturable(o: Order): number {
    return this.succeeded(o, 'AUTHORIZATION').reduce((n, a) => {
      const children = o.transactions.filter((t) => t.parentId === a.id && t.status === 'SUCCESS');
      if (children.some((t) => t.kind === 'VOID' || t.finalCaptured)) return n;
      return n + a.amountMinor - children.filter((t) => t.kind === 'CAPTURE').reduce((m, t) => m + t.amountMinor, 0);
    }, 0);
  }
  captured(o: Order): number { return [...this.succeeded(o, 'CAPTURE'), ...this.succeeded(o, 'SALE')].reduce((n, t) => n + t.amountMinor, 0); }
  refunded(o: Order): number { return this.succeeded(o, 'REFUND').reduce((n, t) => n + t.amountMinor, 0); }
  financialStatus(o: Order): string {
    const captured = this.captured(o), refunded = this.refunded(o);
    if (captured > 0 && refunded >= captured) return 'REFUNDED';
    if (refunded > 0) return 'PARTIALLY_REFUNDED';
    if (captured > 0) return captured >= this.currentTotal(o) ? 'PAID' : 'PARTIALLY_PAID';
    if (this.capturable(o) > 0) return 'AUTHORIZED';
    return this.succeeded(o, 'VOID').length ? 'VOIDED' : 'PENDING';
  }
  fulfilled(o: Order, lineItemId: string): number {
    return o.fulfillments.filter((f) => f.status === 'SUCCESS').flatMap((f) => f.lines).filter((l) => l.lineItemId === lineItemId).reduce((n, l) => n + l.quantity, 0);
  }
  customerByEmail(email: string): Customer | undefined { return [...this.customers.values()].find((c) => c.email === email.trim().toLowerCase()); }

  addCustomer(c: { email: string | null; updatedAt?: string; firstName?: string; lastName?: string }): Customer {
    const id = this.nextId('Customer');
    const customer: Customer = { id, email: c.email?.toLowerCase() ?? null, firstName: c.firstName ?? null, lastName: c.lastName ?? null, phone: null,
      state: 'DISABLED', addresses: [], invitationsSent: 0, updatedAt: c.updatedAt ?? this.now() };
    this.customers.set(id, customer);
    return customer;
  }
}
