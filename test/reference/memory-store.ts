// An online store kept in memory: the executable reading of the store side of the connector
// contract (src/connectors/types.ts), in canonical states only, with an operator API for tests.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DovetailError, permanent } from '../../src/errors.js';
import type { Address, Customer } from '../../src/model/customer.js';
import { normaliseEmail } from '../../src/model/customer.js';
import type { OrderLinesState } from '../../src/model/order-lines.js';
import type { Order, OrderStatus } from '../../src/model/order.js';
import type { OfflineSale } from '../../src/model/offline-order.js';
import { orderMoney, type CaptureResult, type OrderMoney, type RefundResult, type StorePayment } from '../../src/model/payment.js';
import type { FieldGroup, Product, ProductFields } from '../../src/model/product.js';
import type { StoreShipment } from '../../src/model/shipment.js';
import { storeSystem, type ChangePage, type ChangeRef, type IncomingRow, type RecordKind, type StockWriteResult, type StoreCapability, type StoreConnector,
  type WriteResult } from '../../src/connectors/types.js';
import { ChangeLog, Faults } from './change-log.js';
import { MemorySet } from './memory-set.js';
import type { SalesTaxValue, ShippingMethodValue } from '../../src/model/reference-sets.js';

const CAPABILITIES = ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'offlineOrders', 'accounts', 'webhooks', 'taxes', 'shippingMethods', 'incoming', 'reconcile'] as const satisfies readonly StoreCapability[];

/** One SKU on an order: what was ordered (edits included), and what became of the units since. */
interface OrderLine {
  sku: string; name: string; ordered: number; cancelled: number; returned: number; shipped: number;
  unitNetMinor: number; unitTaxMinor: number; taxRatePercent: number;
}

/** An order as this store keeps it. */
export interface StoreOrder {
  code: string; channel: string; placedAt: string; status: OrderStatus;
  customer: Customer; address: Address;
  lines: OrderLine[]; shippingMinor: number; shippingTaxMinor: number;
  payments: StorePayment[];
  fulfilments: { id: string; ref: string; lines: { sku: string; quantity: number }[]; customerTold: boolean }[];
  /** what the order's history shows people (cancellations, returns, edits) */
  history: string[];
  /** the inventory sale an offline order mirrors (`system:id`) */
  offlineRef: string | null;
}

interface StoreCustomer {
  id: string; customer: Customer; hasAccount: boolean;
  /** made by Dovetail to be invited: the account waits for the customer to set a password */
  awaitingPassword: boolean;
  invited: boolean;
}

export interface MemoryStoreOptions {
  /** rows per page of every feed */
  pageSize?: number;
  /** the tax the store charges on everything it prices */
  taxRatePercent?: number;
  /** the secret pushed events are signed with */
  webhookSecret?: string;
}

export const units = (l: OrderLine) => l.ordered - l.cancelled - l.returned;
const lineGross = (l: OrderLine) => units(l) * (l.unitNetMinor + l.unitTaxMinor);
const taxOf = (netMinor: number, ratePercent: number) => Math.round((netMinor * ratePercent) / 100);
const sameAddress = (a: Address, b: Address) => a.street1 === b.street1 && a.postalCode === b.postalCode && a.countryCode === b.countryCode;

const PushedChanges = z.array(z.object({ kind: z.enum(['product', 'customer', 'order', 'payment', 'refund']), key: z.string().min(1), version: z.string().min(1) }));
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class MemoryStore implements StoreConnector {
  readonly system = 'memory-store';
  readonly side = 'store';
  readonly capabilities = CAPABILITIES;
  readonly faults = new Faults(this.system);
  /** tax rates and shipping methods (master.salesTaxes, master.shippingMethods), with an operator API */
  readonly taxes = new MemorySet<SalesTaxValue>(this.faults, 'tax');
  readonly shippingMethods = new MemorySet<ShippingMethodValue>(this.faults, 'shipping');
  private readonly changes: ChangeLog;
  private readonly taxRatePercent: number;
  private readonly webhookSecret: string;
  private readonly products = new Map<string, { id: string; product: Product }>();
  /** what Dovetail last said the store may sell, before the store's own open orders (see saleableOf) */
  private readonly available = new Map<string, number>();
  /** what the store shows as on its way in, and whether it sells it ahead */
  private readonly incoming = new Map<string, IncomingRow>();
  /** SKUs whose every write the store refuses (a validation error of its own) */
  private readonly refused = new Set<string>();
  private readonly customers = new Map<string, StoreCustomer>();
  private readonly orders = new Map<string, StoreOrder>();
  /** what the store sent to customers itself: shipment notices and account invitations */
  readonly emails: { to: string; about: string }[] = [];
  private seq = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.changes = new ChangeLog(opts.pageSize ?? 100);
    this.taxRatePercent = opts.taxRatePercent ?? 10;
    this.webhookSecret = opts.webhookSecret ?? 'memory-store-secret';
  }

  private nextId(prefix: string): string { return `${prefix}${++this.seq}`; }

  async ping() { this.faults.check('ping'); return { version: 'memory' }; }

  async readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    this.faults.check('readChanges');
    if (!['product', 'customer', 'order', 'payment', 'refund'].includes(kind)) throw new DovetailError('config', `the store has no ${kind} feed`);
    return this.changes.read(kind, cursor);
  }

  // ---- catalogue and stock ----------------------------------------------------------------------

  async getProducts(skus: string[]): Promise<Map<string, Product>> {
    this.faults.check('getProducts');
    return new Map(skus.flatMap((sku) => { const p = this.products.get(sku); return p ? [[sku, structuredClone(p.product)] as const] : []; }));
  }

  async listSkus(offset: number, limit: number): Promise<string[]> {
    this.faults.check('listSkus');
    return [...this.products.keys()].slice(offset, offset + limit);
  }

  async upsertProducts(rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]> {
    this.faults.check('upsertProducts');
    return rows.map(({ product, groups }): WriteResult => {
      if (this.refused.has(product.sku)) return { sku: product.sku, error: permanent(`the store refuses ${product.sku}`) };
      const found = this.products.get(product.sku);
      const fields = Object.fromEntries(groups.map((g) => [g, product.fields[g]])) as Partial<ProductFields>;
      if (found) Object.assign(found.product.fields, structuredClone(fields));
      else this.products.set(product.sku, { id: this.nextId('product-'), product: { sku: product.sku, groupKey: product.groupKey, fields: structuredClone(fields) } });
      this.changes.note('product', product.sku);
      return { sku: product.sku, id: this.products.get(product.sku)!.id, created: !found };
    });
  }

  async setAvailable(rows: { sku: string; available: number }[]): Promise<StockWriteResult[]> {
    this.faults.check('setAvailable');
    return rows.filter((r) => this.products.has(r.sku)).map(({ sku, available }): StockWriteResult => {
      if (this.refused.has(sku)) return { sku, error: permanent(`the store refuses stock for ${sku}`) };
      if (this.available.get(sku) === available) return { sku, written: false };
      this.available.set(sku, available);
      return { sku, written: true };
    });
  }

  /** What Dovetail (or a hand edit, setAvailableByHand) last made the store's own count. */
  async getAvailable(skus: string[]): Promise<Map<string, number>> {
    this.faults.check('getAvailable');
    return new Map(skus.filter((sku) => this.products.has(sku)).map((sku) => [sku, this.available.get(sku) ?? 0]));
  }

  /** The operator types a stock count into the store by hand (no event: the store does not announce it). */
  setAvailableByHand(sku: string, available: number): void { this.available.set(sku, available); }

  async setIncoming(rows: IncomingRow[]): Promise<StockWriteResult[]> {
    this.faults.check('setIncoming');
    return rows.filter((r) => this.products.has(r.sku)).map((row): StockWriteResult => {
      if (this.refused.has(row.sku)) return { sku: row.sku, error: permanent(`the store refuses incoming stock for ${row.sku}`) };
      const shown = this.incoming.get(row.sku) ?? { sku: row.sku, quantity: 0, expectedDate: null, backorder: false };
      if (shown.quantity === row.quantity && shown.expectedDate === row.expectedDate && shown.backorder === row.backorder) return { sku: row.sku, written: false };
      this.incoming.set(row.sku, { ...row });
      return { sku: row.sku, written: true };
    });
  }

  // ---- customers and orders ---------------------------------------------------------------------

  async getCustomer(email: string): Promise<Customer | null> {
    this.faults.check('getCustomer');
    const c = this.customers.get(normaliseEmail(email));
    return c ? structuredClone(c.customer) : null;
  }

  async listCustomerEmails(offset: number, limit: number): Promise<string[]> {
    this.faults.check('listCustomerEmails');
    return [...this.customers.values()].filter((c) => c.hasAccount).map((c) => c.customer.email).slice(offset, offset + limit);
  }

  async getOrder(code: string): Promise<Order | null> {
    this.faults.check('getOrder');
    const o = this.orders.get(code);
    return o ? this.asCharged(o) : null;
  }

  async listOrderCodes(offset: number, limit: number): Promise<string[]> {
    this.faults.check('listOrderCodes');
    return [...this.orders.values()].filter((o) => o.status !== 'cart').map((o) => o.code).slice(offset, offset + limit);
  }

  async listOrderCodesSince(sinceIso: string, offset: number, limit: number): Promise<string[]> {
    this.faults.check('listOrderCodesSince');
    return [...this.orders.values()].filter((o) => o.status !== 'cart' && o.placedAt >= sinceIso).map((o) => o.code).slice(offset, offset + limit);
  }

  // ---- fulfilment and money ---------------------------------------------------------------------

  async recordShipment(orderCode: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }> {
    this.faults.check('recordShipment');
    const o = this.order(orderCode);
    const found = o.fulfilments.find((f) => f.ref === shipment.ref);
    if (found) return { id: found.id, created: false };
    for (const l of shipment.lines) {
      const line = o.lines.find((x) => x.sku === l.sku);
      if (!line || line.shipped + l.quantity > line.ordered - line.cancelled) throw permanent(`order ${orderCode}: cannot fulfil ${l.quantity} × ${l.sku}`);
    }
    for (const l of shipment.lines) o.lines.find((x) => x.sku === l.sku)!.shipped += l.quantity;
    const id = this.nextId('fulfilment-');
    o.fulfilments.push({ id, ref: shipment.ref, lines: structuredClone(shipment.lines), customerTold: opts.notifyCustomer });
    if (opts.notifyCustomer) this.emails.push({ to: o.customer.email, about: `order ${orderCode} shipped` });
    this.changes.note('order', orderCode);
    return { id, created: true };
  }

  async getPayments(orderCode: string): Promise<OrderMoney | null> {
    this.faults.check('getPayments');
    const o = this.orders.get(orderCode);
    return o ? orderMoney(o.code, this.totalOf(o), structuredClone(o.payments)) : null;
  }

  async capturePayment(orderCode: string, amountMinor: number, key: string): Promise<CaptureResult> {
    this.faults.check('capturePayment');
    const o = this.order(orderCode);
    const remaining = () => o.payments.filter((p) => p.state === 'authorised').reduce((n, p) => n + p.amountMinor, 0);
    const done = o.payments.find((p) => p.captureKey === key);
    if (done) return { paymentId: done.id, amountMinor: done.amountMinor, created: false, remainingAuthorisedMinor: remaining() };
    const source = o.payments.find((p) => p.state === 'authorised' && p.amountMinor >= amountMinor);
    if (!source) throw permanent(`capture of ${amountMinor} for order ${orderCode} refused: only ${remaining()} is still authorised`);
    // a part capture splits the authorisation: the captured part becomes a payment of its own
    source.amountMinor -= amountMinor;
    const captured: StorePayment = { id: this.nextId('payment-'), state: 'captured', amountMinor, method: source.method, captureKey: key, refunds: [] };
    o.payments.push(captured);
    if (source.amountMinor === 0) o.payments.splice(o.payments.indexOf(source), 1);
    return { paymentId: captured.id, amountMinor, created: true, remainingAuthorisedMinor: remaining() };
  }

  async refundPayment(orderCode: string, amountMinor: number, key: string, note: string): Promise<RefundResult> {
    this.faults.check('refundPayment');
    const o = this.order(orderCode);
    const money = orderMoney(o.code, this.totalOf(o), o.payments);
    const mine = o.payments.flatMap((p) => p.refunds.filter((r) => r.dovetailKey === key && r.state !== 'failed'));
    const already = mine.reduce((n, r) => n + r.totalMinor, 0);
    if (already > amountMinor) throw permanent(`order ${orderCode}: refunds for ${key} already total ${already}, more than ${amountMinor}`);
    if (money.refundedMinor - already + amountMinor > money.capturedMinor) {
      throw permanent(`refund of ${amountMinor} for order ${orderCode} refused: captured ${money.capturedMinor}, refunded ${money.refundedMinor - already}`);
    }
    let left = amountMinor - already;
    const ids = mine.map((r) => r.id);
    for (const p of o.payments.filter((x) => x.state === 'captured')) {
      const take = Math.min(left, p.amountMinor - p.refunds.filter((r) => r.state !== 'failed').reduce((n, r) => n + r.totalMinor, 0));
      if (take <= 0) continue;
      const id = this.nextId('refund-');
      p.refunds.push({ id, state: 'settled', totalMinor: take, reason: note, dovetailKey: key });
      ids.push(id);
      left -= take;
    }
    return { refundIds: ids, amountMinor, created: already < amountMinor };
  }

  // ---- changes to placed orders -----------------------------------------------------------------

  async getOrderLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>> {
    this.faults.check('getOrderLines');
    const out = new Map<string, OrderLinesState>();
    for (const orderCode of orderCodes) {
      const o = this.orders.get(orderCode);
      if (!o) continue;
      out.set(orderCode, {
        orderCode, totalMinor: this.totalOf(o), state: this.stateOf(o),
        lines: o.lines.map((l) => ({ sku: l.sku, quantity: units(l), shipped: l.shipped, returned: l.returned,
          unitGrossMinor: l.unitNetMinor + l.unitTaxMinor, unitNetMinor: l.unitNetMinor, taxRatePercent: l.taxRatePercent })),
      });
    }
    return out;
  }

  async cancelOrderUnits(orderCode: string, lines: { sku: string; quantity: number }[], opts: { kind: 'cancel' | 'return'; reason: string }) {
    this.faults.check('cancelOrderUnits');
    return this.takeOff(this.order(orderCode), lines, opts.kind, opts.reason);
  }

  async raiseOrderQuantities(orderCode: string, lines: { sku: string; quantity: number }[], note: string) {
    this.faults.check('raiseOrderQuantities');
    return this.raise(this.order(orderCode), lines, note);
  }

  async releaseAuthorisation(orderCode: string, note: string): Promise<{ releasedMinor: number }> {
    this.faults.check('releaseAuthorisation');
    const o = this.order(orderCode);
    let releasedMinor = 0;
    for (const p of o.payments.filter((x) => x.state === 'authorised')) { p.state = 'cancelled'; releasedMinor += p.amountMinor; }
    if (releasedMinor) { o.history.push(note); this.changes.note('order', orderCode); }
    return { releasedMinor };
  }

  // ---- offline orders and accounts --------------------------------------------------------------

  async findOfflineOrder(ref: string): Promise<{ code: string; state: OrderStatus } | null> {
    this.faults.check('findOfflineOrder');
    const o = [...this.orders.values()].find((x) => x.offlineRef === ref);
    return o ? { code: o.code, state: o.status } : null;
  }

  async startOfflineOrder(sale: OfflineSale, opts: { ref: string }): Promise<{ code: string }> {
    this.faults.check('startOfflineOrder');
    const code = this.nextId('OFF-');
    this.orders.set(code, { code, channel: 'offline', placedAt: '', status: 'cart', customer: { ...sale.customer, addresses: [] }, address: sale.shippingAddress ?? sale.customer.addresses[0],
      lines: [], shippingMinor: 0, shippingTaxMinor: 0, payments: [], fulfilments: [], history: [`offline sale ${sale.number}`], offlineRef: opts.ref });
    return { code };
  }

  async placeOfflineOrder(code: string, sale: OfflineSale, opts: { customerId: string | null }): Promise<{ state: string; totalMinor: number }> {
    this.faults.check('placeOfflineOrder');
    const o = this.order(code);
    if (o.status === 'cart') {
      const customer = opts.customerId ? [...this.customers.values()].find((c) => c.id === opts.customerId)?.customer : undefined;
      if (!customer) this.guest({ ...sale.customer, email: normaliseEmail(sale.customer.email) });
      o.customer = structuredClone(customer ?? sale.customer);
      o.lines = sale.lines.map((l) => this.priced(l.sku, l.quantity));
      this.checkSaleable(o.lines);
      o.status = 'placed';
      o.placedAt = new Date().toISOString();
      // paid offline: a payment marks the order paid, no money moved through the store
      o.payments.push({ id: this.nextId('payment-'), state: 'captured', amountMinor: this.totalOf(o), method: 'offline', captureKey: null, refunds: [] });
      this.changes.note('order', code);
      this.changes.note('payment', `${code}:${o.payments.at(-1)!.id}`);
    }
    return { state: this.stateOf(o), totalMinor: this.totalOf(o) };
  }

  async findCustomerAccount(email: string): Promise<{ id: string; hasAccount: boolean } | null> {
    this.faults.check('findCustomerAccount');
    const c = this.customers.get(normaliseEmail(email));
    return c ? { id: c.id, hasAccount: c.hasAccount } : null;
  }

  async createCustomerAccount(customer: Customer, opts: { invite: boolean }): Promise<{ id: string; created: boolean }> {
    this.faults.check('createCustomerAccount');
    const found = this.customers.get(normaliseEmail(customer.email));
    if (found) return { id: found.id, created: false };
    // addresses are copied by addCustomerAddresses (rules.copyAddresses), not with the account
    const made: StoreCustomer = { id: this.nextId('customer-'), customer: { ...structuredClone(customer), email: normaliseEmail(customer.email), addresses: [] },
      hasAccount: true, awaitingPassword: opts.invite, invited: false };
    this.customers.set(made.customer.email, made);
    this.changes.note('customer', made.customer.email);
    return { id: made.id, created: true };
  }

  async inviteCustomer(email: string): Promise<{ how: string }> {
    this.faults.check('inviteCustomer');
    const c = this.customers.get(normaliseEmail(email));
    if (!c) throw permanent(`no store customer ${email} to invite`);
    c.invited = true;
    this.emails.push({ to: c.customer.email, about: 'set your password' });
    return { how: 'set-password email' };
  }

  async addCustomerAddresses(customerId: string, addresses: Address[]): Promise<number> {
    this.faults.check('addCustomerAddresses');
    const c = [...this.customers.values()].find((x) => x.id === customerId);
    if (!c) throw permanent(`no store customer ${customerId}`);
    const fresh = addresses.filter((a) => !c.customer.addresses.some((b) => sameAddress(a, b)));
    c.customer.addresses.push(...structuredClone(fresh));
    if (fresh.length) this.changes.note('customer', c.customer.email);
    return fresh.length;
  }

  /** Pushed events: a JSON list of changes, signed with HMAC-SHA256 over the exact bytes (`x-memory-signature`). */
  parseWebhook(rawBody: Uint8Array, headers: Record<string, string | undefined>): ChangeRef[] {
    const given = Buffer.from(headers['x-memory-signature'] ?? '');
    const expected = Buffer.from(this.sign(rawBody));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new DovetailError('config', 'signature does not match the body');
    let json: unknown;
    try { json = JSON.parse(strictUtf8.decode(rawBody)); } catch { throw permanent('body is not UTF-8 JSON'); }
    const parsed = PushedChanges.safeParse(json);
    if (!parsed.success) throw permanent('body is not a list of changes');
    return parsed.data.map((c) => ({ kind: c.kind, key: c.key, sourceVersion: `event:${c.version}` }));
  }

  private sign(body: Uint8Array): string { return `sha256=${createHmac('sha256', this.webhookSecret).update(body).digest('hex')}`; }

  // ---- the operator: what people and customers do in the store, for tests -----------------------

  /** A product the store has (made by hand), with its price and what it may sell. */
  addProduct(sku: string, fields: Partial<ProductFields> & { prices: ProductFields['prices'] }, available = 0): void {
    this.products.set(sku, { id: this.nextId('product-'), product: { sku, groupKey: sku, fields: structuredClone(fields) } });
    this.available.set(sku, available);
  }

  /** A merchant edits a product in the store's admin. */
  editProduct(sku: string, fields: Partial<ProductFields>): void {
    Object.assign(this.products.get(sku)!.product.fields, structuredClone(fields));
    this.changes.note('product', sku);
  }

  /** Staff delete an order by hand (the store sends no event for it). */
  deleteOrder(code: string): void { this.orders.delete(code); }

  /** Staff delete an order's fulfilments by hand (the store sends no event for it). */
  dropFulfilments(orderCode: string): void {
    const o = this.order(orderCode);
    for (const f of o.fulfilments) for (const l of f.lines) o.lines.find((x) => x.sku === l.sku)!.shipped -= l.quantity;
    o.fulfilments = [];
  }

  /** From now on the store refuses every write of this SKU (its own validation). */
  refuse(sku: string): void { this.refused.add(sku); }

  /** Someone registers on the website (an account), or buys as a guest (`account: false`). */
  register(customer: Customer, account = true): string {
    const email = normaliseEmail(customer.email);
    const found = this.customers.get(email);
    if (found) { found.hasAccount ||= account; return found.id; }
    const id = this.nextId('customer-');
    this.customers.set(email, { id, customer: { ...structuredClone(customer), email }, hasAccount: account, awaitingPassword: false, invited: false });
    if (account) this.changes.note('customer', email);
    return id;
  }

  /**
   * A customer checks out: the order is priced from the catalogue at the store's tax rate, the
   * stock is held, and the payment is authorised (`pay: 'authorise'`, the default) or captured at
   * checkout (`'capture'`, recorded as the store's own capture). `cart: true` stops before placing.
   */
  placeOrder(o: { customer: Customer; lines: { sku: string; quantity: number }[]; shippingMinor?: number; channel?: string;
    pay?: 'authorise' | 'capture'; cart?: boolean }): string {
    const code = this.nextId('WEB-');
    const customer = { ...structuredClone(o.customer), email: normaliseEmail(o.customer.email) };
    const shippingMinor = o.shippingMinor ?? 0;
    const order: StoreOrder = { code, channel: o.channel ?? 'default', placedAt: new Date().toISOString(), status: o.cart ? 'cart' : 'placed', customer,
      address: customer.addresses[0], lines: o.lines.map((l) => this.priced(l.sku, l.quantity)), shippingMinor, shippingTaxMinor: taxOf(shippingMinor, this.taxRatePercent),
      payments: [], fulfilments: [], history: [], offlineRef: null };
    if (!o.cart) this.checkSaleable(order.lines);
    if (!this.customers.has(customer.email)) this.guest(customer);
    this.orders.set(code, order);
    if (!o.cart) {
      const paid: StorePayment = { id: this.nextId('payment-'), state: o.pay === 'capture' ? 'captured' : 'authorised', amountMinor: this.totalOf(order), method: 'card', captureKey: null, refunds: [] };
      order.payments.push(paid);
      if (paid.state === 'captured') this.changes.note('payment', `${code}:${paid.id}`);
    }
    this.changes.note('order', code);
    return code;
  }

  /** The merchant captures (all that is authorised, or `amountMinor` of it) in the store's admin. */
  capture(code: string, amountMinor?: number): string {
    const o = this.order(code);
    const source = o.payments.find((p) => p.state === 'authorised')!;
    const amount = amountMinor ?? source.amountMinor;
    source.amountMinor -= amount;
    const captured: StorePayment = { id: this.nextId('payment-'), state: 'captured', amountMinor: amount, method: source.method, captureKey: null, refunds: [] };
    o.payments.push(captured);
    if (source.amountMinor === 0) o.payments.splice(o.payments.indexOf(source), 1);
    this.changes.note('payment', `${code}:${captured.id}`);
    return captured.id;
  }

  /** The merchant refunds in the store's admin (settled at once, like a card refund). */
  refund(code: string, amountMinor: number, reason = 'refund by the merchant'): string {
    const p = this.order(code).payments.find((x) => x.state === 'captured')!;
    const id = this.nextId('refund-');
    p.refunds.push({ id, state: 'settled', totalMinor: amountMinor, reason, dovetailKey: null });
    this.changes.note('refund', `${code}:${id}`);
    return id;
  }

  /** The merchant cancels unshipped units in the store's admin. */
  cancelUnits(code: string, sku: string, quantity: number): void { this.takeOff(this.order(code), [{ sku, quantity }], 'cancel', 'cancelled by the merchant'); }

  /** The merchant books units the customer sent back in the store's admin. */
  returnUnits(code: string, sku: string, quantity: number): void { this.takeOff(this.order(code), [{ sku, quantity }], 'return', 'returned to the merchant'); }

  /** The merchant edits a placed order: the SKU is to give `quantity` units. */
  editOrder(code: string, sku: string, quantity: number): void { this.raise(this.order(code), [{ sku, quantity }], 'edited by the merchant'); }

  /** A pushed event for these changes, signed as the store signs it. */
  webhook(changes: { kind: 'product' | 'customer' | 'order' | 'payment' | 'refund'; key: string; version: string }[]) {
    const body = new TextEncoder().encode(JSON.stringify(changes));
    return { body, headers: { 'x-memory-signature': this.sign(body) } };
  }

  /** Read-only views for assertions. */
  order(code: string): StoreOrder {
    const o = this.orders.get(code);
    if (!o) throw permanent(`the store has no order ${code}`);
    return o;
  }
  availableOf(sku: string): number | undefined { return this.available.get(sku); }
  incomingOf(sku: string): IncomingRow | undefined { return this.incoming.get(sku); }
  /** what a customer may still buy: the published number less the units the store's open orders hold */
  saleableOf(sku: string): number {
    const held = [...this.orders.values()].filter((o) => o.status === 'placed')
      .reduce((n, o) => n + o.lines.filter((l) => l.sku === sku).reduce((m, l) => m + Math.max(0, l.ordered - l.cancelled - l.shipped), 0), 0);
    return (this.available.get(sku) ?? 0) - held;
  }
  productOf(sku: string): Product | undefined { return this.products.get(sku)?.product; }
  customerOf(email: string): Readonly<StoreCustomer> | undefined { return this.customers.get(normaliseEmail(email)); }

  // ---- the store's own arithmetic ---------------------------------------------------------------

  private guest(customer: Customer): void {
    this.customers.set(customer.email, { id: this.nextId('customer-'), customer: structuredClone(customer), hasAccount: false, awaitingPassword: false, invited: false });
  }

  /** A line priced from the catalogue, as the store prices what it sells. */
  private priced(sku: string, quantity: number): OrderLine {
    const p = this.products.get(sku);
    if (!p?.product.fields.prices) throw permanent(`the store does not sell ${sku}`);
    const net = p.product.fields.prices.priceMinor;
    return { sku, name: p.product.fields.names?.name ?? sku, ordered: quantity, cancelled: 0, returned: 0, shipped: 0,
      unitNetMinor: net, unitTaxMinor: taxOf(net, this.taxRatePercent), taxRatePercent: this.taxRatePercent };
  }

  /** The store sells no more than it shows; a placed order then holds its units until they ship. */
  private checkSaleable(lines: OrderLine[]): void {
    for (const l of lines) {
      const left = this.saleableOf(l.sku);
      if (left < l.ordered) throw permanent(`the store has only ${left} of ${l.sku}, ${l.ordered} ordered`);
    }
  }

  private totalOf(o: StoreOrder): number {
    return o.lines.reduce((n, l) => n + lineGross(l), 0) + o.shippingMinor + o.shippingTaxMinor;
  }

  private stateOf(o: StoreOrder): string {
    if (o.status === 'cart') return 'AddingItems';
    if (o.status === 'cancelled') return 'Cancelled';
    const money = orderMoney(o.code, this.totalOf(o), o.payments);
    if (money.capturedMinor - money.refundedMinor + money.authorisedMinor < this.totalOf(o)) return 'ArrangingAdditionalPayment';
    const toShip = o.lines.reduce((n, l) => n + l.ordered - l.cancelled, 0), shipped = o.lines.reduce((n, l) => n + l.shipped, 0);
    if (shipped && shipped >= toShip) return 'Shipped';
    if (shipped) return 'PartiallyShipped';
    return money.authorisedMinor ? 'PaymentAuthorized' : 'PaymentSettled';
  }

  /** The order as charged now, in the canonical shape: lines at what they cost after every change. */
  private asCharged(o: StoreOrder): Order {
    const lines = o.lines.filter((l) => units(l) > 0).map((l) => ({ sku: l.sku, name: l.name, quantity: units(l), unitPriceMinor: l.unitNetMinor,
      lineNetMinor: units(l) * l.unitNetMinor, lineTaxMinor: units(l) * l.unitTaxMinor, taxRatePercent: l.taxRatePercent }));
    const shipping = o.shippingMinor ? [{ name: 'Standard', netMinor: o.shippingMinor, taxMinor: o.shippingTaxMinor, taxRatePercent: this.taxRatePercent }] : [];
    const totalNetMinor = lines.reduce((n, l) => n + l.lineNetMinor, 0) + o.shippingMinor;
    const totalTaxMinor = lines.reduce((n, l) => n + l.lineTaxMinor, 0) + o.shippingTaxMinor;
    return structuredClone({ code: o.code, channel: o.channel, placedAt: o.placedAt, currency: 'EUR', customer: o.customer, shippingAddress: o.address ?? null,
      billingAddress: o.address ?? null, lines, shipping, discounts: [], totalNetMinor, totalTaxMinor, totalMinor: totalNetMinor + totalTaxMinor,
      state: this.stateOf(o), status: o.status, placedOffline: o.offlineRef !== null });
  }

  private takeOff(o: StoreOrder, lines: { sku: string; quantity: number }[], kind: 'cancel' | 'return', reason: string) {
    const totalBeforeMinor = this.totalOf(o);
    for (const { sku, quantity } of lines) {
      const l = o.lines.find((x) => x.sku === sku);
      // a cancellation takes unshipped units, a return shipped ones that did not come back yet
      const can = !l ? 0 : kind === 'cancel' ? units(l) - (l.shipped - l.returned) : l.shipped - l.returned;
      if (quantity > can) throw permanent(`order ${o.code}: cannot ${kind} ${quantity} × ${sku}, only ${can}`);
    }
    for (const { sku, quantity } of lines) {
      const l = o.lines.find((x) => x.sku === sku)!;
      if (kind === 'cancel') l.cancelled += quantity; else l.returned += quantity;
    }
    // as Vendure does: an order whose every line reaches 0 is cancelled
    if (o.lines.every((l) => units(l) === 0)) o.status = 'cancelled';
    o.history.push(reason);
    this.changes.note('order', o.code);
    return { totalBeforeMinor, totalAfterMinor: this.totalOf(o) };
  }

  private raise(o: StoreOrder, lines: { sku: string; quantity: number }[], note: string) {
    const totalBeforeMinor = this.totalOf(o);
    for (const { sku, quantity } of lines) {
      const l = o.lines.find((x) => x.sku === sku);
      if (!l) { o.lines.push(this.priced(sku, quantity)); continue; }
      if (quantity > units(l)) l.ordered += quantity - units(l);
    }
    o.history.push(note);
    this.changes.note('order', o.code);
    return { totalBeforeMinor, totalAfterMinor: this.totalOf(o), state: this.stateOf(o) };
  }

  // ---- reference sets (master.salesTaxes, master.shippingMethods) ----
  async listSalesTaxes() { return this.taxes.list(); }
  async putSalesTax(key: string, value: SalesTaxValue, existingId: string | null) { return this.taxes.put(key, value, existingId); }
  async listShippingMethods() { return this.shippingMethods.list(); }
  async putShippingMethod(code: string, value: ShippingMethodValue, existingId: string | null) { return this.shippingMethods.put(code, value, existingId); }
}

/** The memory store as a system: the type check holds it to every group it declares, like the real stores. */
export const memoryStore = storeSystem({
  system: 'memory-store',
  displayName: 'Memory store',
  connection: z.object({ type: z.literal('memory-store'), pageSize: z.number().int().min(1).default(100) }),
  setup: { questions: [], secrets: [] },
  capabilities: CAPABILITIES,
  create: (connection) => new MemoryStore({ pageSize: connection.pageSize }),
});
