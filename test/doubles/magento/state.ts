// What the Magento double remembers between requests, and Magento's own rules over it: products,
// MSI source items and reservations, customers, orders with their invoices, shipments and credit memos.
// Money is kept in minor units (cents); it leaves as Magento's decimal numbers.

/** A refusal as Magento words it: the message with %1… placeholders, filled from `parameters`. */
export class MagentoRefusal extends Error {
  constructor(readonly status: number, readonly template: string, readonly parameters: string[] = []) {
    super(template.replace(/%(\d+)/g, (_, n: string) => parameters[Number(n) - 1] ?? ''));
  }
}
const refuse = (template: string, ...parameters: string[]) => new MagentoRefusal(400, template, parameters);
export const notFound = (template: string, ...parameters: string[]) => new MagentoRefusal(404, template, parameters);

export interface Product {
  id: number; sku: string; name: string; typeId: 'simple' | 'configurable'; attributeSetId: number;
  priceMinor: number; status: number; visibility: number; weight: number | null;
  /** a configurable product's options: the entity ids of its simple products */
  custom: Map<string, string>; children: number[]; createdAt: string; updatedAt: string;
}
export interface SourceItem { sku: string; sourceCode: string; quantity: number; status: number }
export interface Address { firstname: string; lastname: string; street: string[]; city: string; postcode: string; countryId: string; telephone: string; region?: string }
export interface Customer { id: number; email: string; firstname: string; lastname: string; groupId: number; addresses: Address[]; createdAt: string; updatedAt: string }
export interface Comment { id: number; comment: string; notified: number; visible: number; createdAt: string; status?: string }
export interface OrderItem {
  itemId: number; sku: string; name: string; productId: number; productType: string; priceMinor: number; taxPercent: number;
  ordered: number; invoiced: number; shipped: number; canceled: number; refunded: number;
  /** an option of a configurable product: Magento's order holds the configurable row (this one, the simple's SKU) and the simple's row under it */
  child?: { itemId: number; productId: number; name: string };
}
export interface Order {
  entityId: number; incrementId: string; state: string; status: string; createdAt: string; updatedAt: string;
  email: string; firstname: string; lastname: string; customerId: number | null; address: Address;
  items: OrderItem[]; shippingMinor: number; shippingDescription: string;
  payment: { method: string; authorizedMinor: number; paidMinor: number; refundedMinor: number; canceledMinor: number; online: boolean };
  shippingInvoiced: boolean; histories: Comment[];
}
export interface DocumentItem { entityId: number; orderItemId: number; sku: string; qty: number; unitMinor: number; rowMinor: number; taxMinor: number }
export interface Invoice {
  entityId: number; incrementId: string; orderId: number; items: DocumentItem[]; shippingMinor: number; grandMinor: number;
  /** 1 open, 2 paid, 3 cancelled */
  state: number; transactionId: string | null; comments: Comment[]; createdAt: string; updatedAt: string;
}
export interface Shipment {
  entityId: number; incrementId: string; orderId: number; items: DocumentItem[]; comments: Comment[];
  tracks: { entityId: number; trackNumber: string; title: string; carrierCode: string }[]; createdAt: string; updatedAt: string;
}
export interface CreditMemo {
  entityId: number; incrementId: string; orderId: number; invoiceId: number | null; items: DocumentItem[];
  shippingMinor: number; adjustmentPositiveMinor: number; adjustmentNegativeMinor: number; grandMinor: number;
  online: boolean; comments: Comment[]; createdAt: string; updatedAt: string;
}
/** An MSI reservation: negative while an order holds units, compensated when they ship or are cancelled. */
export interface Reservation { sku: string; quantity: number; orderId: number }

export const CURRENCY = 'USD';
export const SOURCE = 'default';
export const STOCK_ID = 1;
/** a product's units sold in the double's orders are taxed at this rate */
export const TAX_PERCENT = 10;

const tax = (netMinor: number, percent: number) => Math.round((netMinor * percent) / 100);

export interface CommentIn { comment?: string; is_visible_on_front?: number; is_customer_notified?: number }

export class MagentoState {
  readonly products = new Map<string, Product>();
  readonly sourceItems: SourceItem[] = [];
  readonly reservations: Reservation[] = [];
  readonly customers: Customer[] = [];
  readonly orders: Order[] = [];
  readonly invoices: Invoice[] = [];
  readonly shipments: Shipment[] = [];
  readonly creditMemos: CreditMemo[] = [];
  private ids = 0;

  constructor(private readonly now: () => number) {}

  /** Magento's UTC stamp of the double's clock: `YYYY-MM-DD HH:MM:SS`. */
  stamp(): string { return new Date(this.now()).toISOString().replace('T', ' ').slice(0, 19); }
  nextId(): number { return ++this.ids; }

  // ---------- catalogue and stock ----------

  /** Creates or updates (as Magento's save does) the product with this SKU; a new one needs a name. */
  saveProduct(sku: string, fields: Partial<Omit<Product, 'id' | 'sku' | 'createdAt' | 'updatedAt' | 'custom'>> & { custom?: Record<string, string> }): Product {
    const known = this.products.get(sku);
    const stamp = this.stamp();
    const p: Product = known ?? { id: this.nextId(), sku, name: '', typeId: 'simple', attributeSetId: 4, priceMinor: 0, status: 1, visibility: 4, weight: null,
      custom: new Map(), children: [], createdAt: stamp, updatedAt: stamp };
    const { custom, ...rest } = fields;
    Object.assign(p, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    for (const [code, value] of Object.entries(custom ?? {})) p.custom.set(code, value);
    if (!p.name.trim()) throw refuse('The value of attribute "%1" must be set.', 'name');
    if (p.name.length > 255) throw refuse('Product name is too long. It must be 255 characters or fewer.');
    p.updatedAt = stamp;
    this.products.set(sku, p);
    return p;
  }

  saveSourceItem(item: SourceItem): void {
    if (!this.products.has(item.sku)) throw refuse('Product that doesn\'t exist cannot be added to source: %1', item.sku);
    if (!Number.isFinite(item.quantity) || item.quantity < 0 || item.quantity > 99_999_999) throw refuse('"%1" should be numeric and in range.', 'quantity');
    const known = this.sourceItems.find((s) => s.sku === item.sku && s.sourceCode === item.sourceCode);
    if (known) Object.assign(known, item);
    else this.sourceItems.push({ ...item });
  }

  /** MSI's salable quantity: what the source holds, less what open orders have reserved. */
  salable(sku: string): number {
    const onHand = this.sourceItems.filter((s) => s.sku === sku && s.status === 1).reduce((n, s) => n + s.quantity, 0);
    return onHand + this.reservations.filter((r) => r.sku === sku).reduce((n, r) => n + r.quantity, 0);
  }

  /** What a merchant's catalogue import does: a simple product on sale with this much in the default source. */
  addProduct(sku: string, priceMinor: number, quantity: number): Product {
    const p = this.saveProduct(sku, { name: `Product ${sku}`, priceMinor });
    this.saveSourceItem({ sku, sourceCode: SOURCE, quantity, status: 1 });
    return p;
  }

  /** A configurable product whose options are these simple products (made before). */
  addConfigurable(sku: string, children: string[]): Product {
    const ids = children.map((child) => {
      const p = this.products.get(child);
      if (!p || p.typeId !== 'simple') throw new Error(`the double has no simple product ${child}`);
      return p.id;
    });
    return this.saveProduct(sku, { name: `Product ${sku}`, typeId: 'configurable', children: ids });
  }

  /** Many rows changed in one transaction: every one of them stamped alike, as an import does. */
  stampAlike(kind: 'product' | 'customer' | 'order', keys: string[], stamp: string): void {
    for (const key of keys) {
      const row = kind === 'product' ? this.products.get(key)
        : kind === 'customer' ? this.customers.find((c) => c.email === key) : this.orders.find((o) => o.incrementId === key);
      if (!row) throw new Error(`the double has no ${kind} ${key}`);
      row.updatedAt = stamp;
    }
  }

  // ---------- customers ----------

  addCustomer(c: { email: string; firstname: string; lastname: string; groupId?: number; addresses?: Address[]; updatedAt?: string }): Customer {
    if (this.customers.some((x) => x.email.toLowerCase() === c.email.toLowerCase())) throw refuse('A customer with the same email address already exists in an associated website.');
    const stamp = this.stamp();
    const customer: Customer = { id: this.nextId(), email: c.email, firstname: c.firstname, lastname: c.lastname, groupId: c.groupId ?? 1,
      addresses: c.addresses ?? [], createdAt: stamp, updatedAt: c.updatedAt ?? stamp };
    this.customers.push(customer);
    return customer;
  }

  // ---------- orders ----------

  /** A shopper's checkout: the units are reserved, the payment authorised (and with `captured`, invoiced at once). */
  placeOrder(o: { email: string; lines: { sku: string; quantity: number; /** the configurable product this simple one is chosen from */ parent?: string }[]; paid: 'authorised' | 'captured'; shippingMinor?: number; address?: Address }): Order {
    const stamp = this.stamp();
    const entityId = this.nextId();
    const customer = this.customers.find((c) => c.email.toLowerCase() === o.email.toLowerCase()) ?? null;
    const items = o.lines.map((l): OrderItem => {
      const p = this.products.get(l.sku);
      if (!p) throw new Error(`the double has no product ${l.sku} to order`);
      if (this.salable(l.sku) < l.quantity) throw new Error(`the double cannot sell ${l.quantity} of ${l.sku}: ${this.salable(l.sku)} salable`);
      const parent = l.parent === undefined ? null : this.products.get(l.parent);
      if (parent === undefined || (parent && !parent.children.includes(p.id))) throw new Error(`the double has no configurable ${l.parent} with ${l.sku}`);
      const row = { ordered: l.quantity, invoiced: 0, shipped: 0, canceled: 0, refunded: 0, priceMinor: p.priceMinor, taxPercent: TAX_PERCENT, sku: l.sku };
      return parent
        ? { ...row, itemId: this.nextId(), name: parent.name, productId: parent.id, productType: 'configurable', child: { itemId: this.nextId(), productId: p.id, name: p.name } }
        : { ...row, itemId: this.nextId(), name: p.name, productId: p.id, productType: p.typeId };
    });
    const address = o.address ?? { firstname: 'Sam', lastname: 'Shopper', street: ['5 Elm St'], city: 'Springfield', postcode: '12345', countryId: 'US', telephone: '555-0100' };
    const order: Order = {
      entityId, incrementId: String(100_000_000 + entityId), state: 'new', status: 'pending', createdAt: stamp, updatedAt: stamp,
      email: o.email, firstname: customer?.firstname ?? address.firstname, lastname: customer?.lastname ?? address.lastname, customerId: customer?.id ?? null, address,
      items, shippingMinor: o.shippingMinor ?? 0, shippingDescription: 'Flat Rate - Fixed',
      payment: { method: 'checkmo', authorizedMinor: 0, paidMinor: 0, refundedMinor: 0, canceledMinor: 0, online: true }, shippingInvoiced: false, histories: [],
    };
    order.payment.authorizedMinor = this.grandTotal(order);
    this.orders.push(order);
    for (const i of items) this.reservations.push({ sku: i.sku, quantity: -i.ordered, orderId: entityId });
    if (o.paid === 'captured') this.invoice(order, [], true, undefined);
    return order;
  }

  order(entityId: number): Order {
    const o = this.orders.find((x) => x.entityId === entityId);
    if (!o) throw notFound('The entity that was requested doesn\'t exist. Verify the entity and try again.');
    return o;
  }

  itemNet = (i: OrderItem, qty: number) => i.priceMinor * qty;
  itemGross = (i: OrderItem, qty: number) => this.itemNet(i, qty) + tax(this.itemNet(i, qty), i.taxPercent);
  grandTotal(o: Order): number { return o.items.reduce((n, i) => n + this.itemGross(i, i.ordered), 0) + o.shippingMinor; }
  canceledMinor(o: Order): number { return o.items.reduce((n, i) => n + this.itemGross(i, i.canceled), 0); }
  invoicedMinor(o: Order): number { return this.invoices.filter((i) => i.orderId === o.entityId && i.state !== 3).reduce((n, i) => n + i.grandMinor, 0); }

  private touch(o: Order): void { o.updatedAt = this.stamp(); }
  private comment(c: CommentIn | undefined): Comment[] {
    return c?.comment ? [{ id: this.nextId(), comment: c.comment, notified: c.is_customer_notified ?? 0, visible: c.is_visible_on_front ?? 0, createdAt: this.stamp() }] : [];
  }
  private picked(o: Order, items: { order_item_id: number; qty: number }[], room: (i: OrderItem) => number, what: string): { item: OrderItem; qty: number }[] {
    const chosen = items.length
      ? items.map((x) => {
        const item = o.items.find((i) => i.itemId === x.order_item_id);
        if (!item) throw refuse('The order item %1 does not belong to the order.', String(x.order_item_id));
        return { item, qty: x.qty };
      })
      : o.items.map((item) => ({ item, qty: room(item) }));
    for (const { item, qty } of chosen) if (qty < 0 || qty > room(item)) throw refuse(`The %1 quantity of %2 is more than can be ${what}.`, String(qty), item.sku);
    return chosen.filter((c) => c.qty > 0);
  }
  private documentItems(chosen: { item: OrderItem; qty: number }[]): DocumentItem[] {
    return chosen.map(({ item, qty }) => ({ entityId: this.nextId(), orderItemId: item.itemId, sku: item.sku, qty, unitMinor: item.priceMinor,
      rowMinor: this.itemNet(item, qty), taxMinor: tax(this.itemNet(item, qty), item.taxPercent) }));
  }

  /** An invoice of these items (every item left when none are named); `capture`: paid online, up to what is authorised. */
  invoice(o: Order, items: { order_item_id: number; qty: number }[], capture: boolean, comment: CommentIn | undefined): Invoice {
    if (o.state === 'canceled' || o.state === 'closed') throw refuse('The order does not allow an invoice to be created.');
    const chosen = this.picked(o, items, (i) => i.ordered - i.invoiced - i.canceled, 'invoiced');
    if (!chosen.length) throw refuse('The invoice can\'t be created without products. Add products and try again.');
    const docItems = this.documentItems(chosen);
    const shippingMinor = o.shippingInvoiced ? 0 : o.shippingMinor;
    const grandMinor = docItems.reduce((n, i) => n + i.rowMinor + i.taxMinor, 0) + shippingMinor;
    if (capture && o.payment.paidMinor + grandMinor > o.payment.authorizedMinor) throw refuse('The capture amount exceeds what is authorised.');
    for (const { item, qty } of chosen) item.invoiced += qty;
    o.shippingInvoiced = true;
    const stamp = this.stamp();
    const inv: Invoice = { entityId: this.nextId(), incrementId: '', orderId: o.entityId, items: docItems, shippingMinor, grandMinor,
      state: capture ? 2 : 1, transactionId: capture ? `txn-${o.entityId}-${this.invoices.length + 1}` : null, comments: this.comment(comment), createdAt: stamp, updatedAt: stamp };
    inv.incrementId = String(200_000_000 + inv.entityId);
    if (capture) o.payment.paidMinor += grandMinor;
    this.invoices.push(inv);
    this.settleState(o);
    return inv;
  }

  /** A shipment of these items (every item left when none are named): their reservations are compensated, stock leaves the source. */
  ship(o: Order, items: { order_item_id: number; qty: number }[], tracks: { track_number: string; title: string; carrier_code: string }[], comment: CommentIn | undefined): Shipment {
    if (o.state === 'canceled' || o.state === 'closed' || o.state === 'holded') throw refuse('The order does not allow a shipment to be created.');
    const chosen = this.picked(o, items, (i) => i.ordered - i.shipped - i.canceled - i.refunded, 'shipped');
    if (!chosen.length) throw refuse('Shipment Document Validation Error(s):\nYou can\'t create a shipment without products.');
    for (const { item, qty } of chosen) {
      item.shipped += qty;
      this.reservations.push({ sku: item.sku, quantity: qty, orderId: o.entityId });
      const source = this.sourceItems.find((s) => s.sku === item.sku && s.sourceCode === SOURCE);
      if (source) source.quantity -= qty;
    }
    const stamp = this.stamp();
    const s: Shipment = { entityId: this.nextId(), incrementId: '', orderId: o.entityId, items: this.documentItems(chosen), comments: this.comment(comment),
      tracks: tracks.map((t) => ({ entityId: this.nextId(), trackNumber: t.track_number, title: t.title, carrierCode: t.carrier_code })), createdAt: stamp, updatedAt: stamp };
    s.incrementId = String(300_000_000 + s.entityId);
    this.shipments.push(s);
    this.settleState(o);
    return s;
  }

  /**
   * A credit memo: the named items (every unit left to refund when none are named, as Magento
   * does), shipping and adjustments; online through the invoice's payment or offline on the order.
   * Never more than was paid and not refunded.
   */
  refund(o: Order, invoice: Invoice | null, items: { order_item_id: number; qty: number }[], args: { shipping_amount?: number; adjustment_positive?: number; adjustment_negative?: number },
    online: boolean, comment: CommentIn | undefined): CreditMemo {
    if (online && (!invoice || !invoice.transactionId)) throw refuse('Could not refund online: the invoice was not captured online.');
    const room = (i: OrderItem) => {
      const invoiced = invoice ? invoice.items.filter((x) => x.orderItemId === i.itemId).reduce((n, x) => n + x.qty, 0) : i.invoiced;
      return Math.max(0, invoiced - i.refunded);
    };
    const chosen = this.picked(o, items, room, 'refunded');
    const docItems = this.documentItems(chosen);
    const cents = (n: number | undefined) => Math.round((n ?? 0) * 100);
    const shippingMinor = cents(args.shipping_amount);
    const grandMinor = docItems.reduce((n, i) => n + i.rowMinor + i.taxMinor, 0) + shippingMinor + cents(args.adjustment_positive) - cents(args.adjustment_negative);
    if (grandMinor <= 0) throw refuse('The credit memo\'s total must be positive.');
    const refundable = invoice ? invoice.grandMinor - this.creditMemos.filter((m) => m.invoiceId === invoice.entityId).reduce((n, m) => n + m.grandMinor, 0)
      : o.payment.paidMinor - o.payment.refundedMinor;
    if (grandMinor > refundable || o.payment.refundedMinor + grandMinor > o.payment.paidMinor) {
      throw refuse('The most money available to refund is %1.', (Math.min(refundable, o.payment.paidMinor - o.payment.refundedMinor) / 100).toFixed(2));
    }
    for (const { item, qty } of chosen) item.refunded += qty;
    o.payment.refundedMinor += grandMinor;
    const stamp = this.stamp();
    const memo: CreditMemo = { entityId: this.nextId(), incrementId: '', orderId: o.entityId, invoiceId: invoice?.entityId ?? null, items: docItems, shippingMinor,
      adjustmentPositiveMinor: cents(args.adjustment_positive), adjustmentNegativeMinor: cents(args.adjustment_negative), grandMinor, online, comments: this.comment(comment), createdAt: stamp, updatedAt: stamp };
    memo.incrementId = String(400_000_000 + memo.entityId);
    this.creditMemos.push(memo);
    this.settleState(o);
    return memo;
  }

  /** Magento's cancel: every unit neither invoiced nor shipped is cancelled, its reservation released, and what is left of the authorisation with it. */
  cancel(o: Order): boolean {
    if (['canceled', 'closed', 'complete', 'holded'].includes(o.state)) return false;
    let any = false;
    for (const i of o.items) {
      const open = i.ordered - Math.max(i.invoiced, i.shipped) - i.canceled;
      if (open <= 0) continue;
      any = true;
      i.canceled += open;
      this.reservations.push({ sku: i.sku, quantity: open, orderId: o.entityId });
    }
    if (!any) return false;
    o.payment.canceledMinor = Math.max(0, o.payment.authorizedMinor - o.payment.paidMinor);
    const everyUnitCanceled = o.items.every((i) => i.canceled === i.ordered);
    if (everyUnitCanceled) { o.state = 'canceled'; o.status = 'canceled'; }
    this.settleState(o);
    return true;
  }

  addHistory(o: Order, c: { comment: string; is_customer_notified?: number; is_visible_on_front?: number; status?: string }): void {
    o.histories.push({ id: this.nextId(), comment: c.comment, notified: c.is_customer_notified ?? 0, visible: c.is_visible_on_front ?? 0, createdAt: this.stamp(), status: c.status ?? o.status });
    this.touch(o);
  }

  /** Magento's state machine after a document: complete once everything is invoiced and shipped (or cancelled), closed once all paid is refunded. */
  private settleState(o: Order): void {
    this.touch(o);
    if (o.state === 'canceled') return;
    const live = o.items.filter((i) => i.ordered > i.canceled);
    const shipped = live.every((i) => i.shipped + i.canceled + i.refunded >= i.ordered);
    const invoiced = live.every((i) => i.invoiced + i.canceled >= i.ordered);
    if (o.payment.paidMinor > 0 && o.payment.refundedMinor >= o.payment.paidMinor && invoiced) { o.state = 'closed'; o.status = 'closed'; }
    else if (shipped && invoiced && live.length) { o.state = 'complete'; o.status = 'complete'; }
    else if (o.items.some((i) => i.invoiced || i.shipped)) { o.state = 'processing'; o.status = 'processing'; }
  }
}
