// An inventory system kept in memory: the executable reading of the inventory side of the
// connector contract (src/connectors/types.ts), in canonical states only, with an operator API for tests.
import { z } from 'zod';
import { DovetailError, permanent } from '../../src/errors.js';
import { normaliseEmail, type Address, type Customer } from '../../src/model/customer.js';
import type { InventoryCustomer, OfflineSale, SaleState } from '../../src/model/offline-order.js';
import type { OrderLinesState } from '../../src/model/order-lines.js';
import type { Order } from '../../src/model/order.js';
import type { CreditNote, InventoryPayment, InventoryPaymentState, SaleMoney, ShipmentForCapture } from '../../src/model/payment.js';
import type { Product, ProductFields } from '../../src/model/product.js';
import { SALE_KEY, type OrderShipments, type Shipment } from '../../src/model/shipment.js';
import type { IncomingStock, StockPosition } from '../../src/model/stock.js';
import { inventorySystem, type ChangePage, type InventoryCapability, type InventoryConnector, type RecordKind } from '../../src/connectors/types.js';
import { ChangeLog, Faults } from './change-log.js';
import { MemorySet } from './memory-set.js';
import type { SalesTaxValue, ShippingMethodValue } from '../../src/model/reference-sets.js';

const CAPABILITIES = ['catalogue', 'stock', 'customers', 'sales', 'shipments', 'payments', 'orderChanges', 'offlineSales', 'taxes', 'shippingMethods', 'incoming'] as const satisfies readonly InventoryCapability[];

/** One SKU on a sale: units the customer gets, how many left the warehouse, how many came back. */
interface SaleLine { sku: string; name: string; quantity: number; shipped: number; returned: number; unitNetMinor: number; unitTaxMinor: number; taxRatePercent: number }

/** A sale as this system keeps it: a web order imported by Dovetail (reference: its code) or one entered here. */
export interface Sale {
  id: string; number: string; reference: string | null; state: SaleState;
  customer: Customer; address: Address | null;
  lines: SaleLine[]; shippingMinor: number;
  salesperson: string | null;
  /** what the sale's history says (amendments, with why) */
  notes: string[];
}

interface Payment extends InventoryPayment { key: string | null }
interface Note extends CreditNote { key: string | null }

export interface MemoryInventoryOptions {
  /** rows per page of every feed */
  pageSize?: number;
  /** the tax rate of sales entered here */
  taxRatePercent?: number;
}

const lineGross = (l: SaleLine) => l.quantity * (l.unitNetMinor + l.unitTaxMinor);
/** units that left the warehouse and did not come back */
const out = (l: SaleLine) => l.shipped - l.returned;
const ORDER_STATES: SaleState[] = ['confirmed', 'processing', 'done'];

export class MemoryInventory implements InventoryConnector {
  readonly system = 'memory-inventory';
  readonly side = 'inventory';
  readonly capabilities = CAPABILITIES;
  readonly faults = new Faults(this.system);
  /** tax rates and shipping methods (master.salesTaxes, master.shippingMethods), with an operator API */
  readonly taxes = new MemorySet<SalesTaxValue>(this.faults, 'tax');
  readonly shippingMethods = new MemorySet<ShippingMethodValue>(this.faults, 'shipping');
  private readonly changes: ChangeLog;
  private readonly taxRatePercent: number;
  private readonly products = new Map<string, Product>();
  private readonly onHand = new Map<string, number>();
  /** open purchases by id: what each will bring in, and when */
  private readonly purchases = new Map<string, { sku: string; quantity: number; expectedDate: string | null }>();
  private readonly parties = new Map<string, { id: string; customer: Customer }>();
  private readonly sales = new Map<string, Sale>();
  private readonly shipments: (Shipment & { saleId: string })[] = [];
  private readonly payments: Payment[] = [];
  private readonly creditNotes: Note[] = [];
  private readonly returns: { id: string; saleId: string; key: string | null; lines: { sku: string; quantity: number }[] }[] = [];
  private seq = 0;

  constructor(opts: MemoryInventoryOptions = {}) {
    this.changes = new ChangeLog(opts.pageSize ?? 100);
    this.taxRatePercent = opts.taxRatePercent ?? 10;
  }

  private nextId(): string { return String(++this.seq); }

  async ping() { this.faults.check('ping'); return { version: 'memory' }; }

  async readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    this.faults.check('readChanges');
    if (kind === 'refund') throw new DovetailError('config', 'refunds are read from the store');
    return this.changes.read(kind, cursor);
  }

  // ---- catalogue, stock, customers, sales -------------------------------------------------------

  async getProducts(skus: string[]): Promise<Map<string, Product>> {
    this.faults.check('getProducts');
    return new Map(skus.flatMap((sku) => { const p = this.products.get(sku); return p ? [[sku, structuredClone(p)] as const] : []; }));
  }

  async listSkus(offset: number, limit: number): Promise<string[]> {
    this.faults.check('listSkus');
    return [...this.products.keys()].slice(offset, offset + limit);
  }

  async writeProductFields(rows: { sku: string; fields: Partial<ProductFields> }[]): Promise<void> {
    this.faults.check('writeProductFields');
    for (const { sku, fields } of rows) {
      const p = this.products.get(sku);
      if (!p) continue;
      Object.assign(p.fields, structuredClone(fields));
      this.changes.note('product', sku);
    }
  }

  async getStock(skus: string[]): Promise<Map<string, StockPosition>> {
    this.faults.check('getStock');
    return new Map(skus.filter((sku) => this.products.has(sku)).map((sku) => [sku, {
      sku, onHand: this.onHand.get(sku) ?? 0,
      allocations: [...this.sales.values()].filter((s) => s.state === 'confirmed' || s.state === 'processing').flatMap((s) => s.lines
        .filter((l) => l.sku === sku && l.quantity - out(l) > 0).map((l) => ({ saleId: s.id, quantity: l.quantity - out(l) }))),
    }]));
  }

  async getIncoming(skus: string[]): Promise<Map<string, IncomingStock>> {
    this.faults.check('getIncoming');
    const out = new Map<string, IncomingStock>();
    for (const p of this.purchases.values()) {
      if (!skus.includes(p.sku)) continue;
      const seen = out.get(p.sku) ?? { sku: p.sku, quantity: 0, expectedDate: null };
      const expectedDate = [seen.expectedDate, p.expectedDate].filter((d): d is string => d !== null).sort()[0] ?? null;
      out.set(p.sku, { sku: p.sku, quantity: seen.quantity + p.quantity, expectedDate });
    }
    return out;
  }

  async upsertCustomer(customer: Customer): Promise<{ id: string; created: boolean }> {
    this.faults.check('upsertCustomer');
    const email = normaliseEmail(customer.email);
    const found = this.parties.get(email);
    if (found) return { id: found.id, created: false };
    return { id: this.addParty(customer), created: true };
  }

  async importOrder(order: Order, opts: { customerId: string; salesperson?: string }): Promise<{ id: string; created: boolean; totalMinor: number }> {
    this.faults.check('importOrder');
    const found = [...this.sales.values()].find((s) => s.reference === order.code);
    if (found) return { id: found.id, created: false, totalMinor: this.totalOf(found) };
    const party = [...this.parties.values()].find((p) => p.id === opts.customerId);
    if (!party) throw permanent(`no party ${opts.customerId} for order ${order.code}`);
    const lines: SaleLine[] = [];
    for (const l of order.lines) {
      if (!this.products.has(l.sku)) throw permanent(`order ${order.code}: no product ${l.sku} in the inventory system`);
      // one line per SKU, priced per unit as the store charged it
      lines.push({ sku: l.sku, name: l.name, quantity: l.quantity, shipped: 0, returned: 0, unitNetMinor: l.lineNetMinor / l.quantity,
        unitTaxMinor: l.lineTaxMinor / l.quantity, taxRatePercent: l.taxRatePercent });
    }
    const id = this.nextId();
    const sale: Sale = { id, number: `S${id}`, reference: order.code, state: 'confirmed', customer: structuredClone(party.customer),
      address: order.shippingAddress, lines, shippingMinor: order.shipping.reduce((n, s) => n + s.netMinor + s.taxMinor, 0),
      salesperson: opts.salesperson ?? null, notes: [] };
    this.sales.set(id, sale);
    this.saleWritten(sale);
    return { id, created: true, totalMinor: this.totalOf(sale) };
  }

  // ---- shipments --------------------------------------------------------------------------------

  async getShipments(orderCode: string, opts: { saleId?: string } = {}): Promise<OrderShipments | null> {
    this.faults.check('getShipments');
    const sale = opts.saleId ? this.sales.get(opts.saleId) : this.webSale(orderCode);
    if (!sale) return null;
    return { orderCode, saleId: sale.id, complete: sale.lines.every((l) => l.shipped >= l.quantity + l.returned),
      shipments: this.shipments.filter((s) => s.saleId === sale.id).map(({ saleId: _, ...s }) => structuredClone(s)) };
  }

  async shipmentForCapture(shipmentId: string): Promise<ShipmentForCapture | null> {
    this.faults.check('shipmentForCapture');
    const s = this.shipments.find((x) => x.id === shipmentId);
    if (!s) return null;
    const earlier = this.shipments.filter((x) => x.saleId === s.saleId && Number(x.id) < Number(s.id));
    return { shipmentId, orderCode: this.sales.get(s.saleId)!.reference ?? '', state: 'done', lines: structuredClone(s.lines),
      earlier: earlier.flatMap((x) => x.lines), first: !earlier.length };
  }

  // ---- money ------------------------------------------------------------------------------------

  async recordPayment(orderCode: string, p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string; description: string }) {
    this.faults.check('recordPayment');
    return this.payment(orderCode, { ...p, state: 'succeeded', recordedByDovetail: true });
  }

  async proposePayment(orderCode: string, p: { amountMinor: number; key: string; description: string }) {
    this.faults.check('proposePayment');
    return this.payment(orderCode, { ...p, kind: 'receivable', state: 'pending', recordedByDovetail: false });
  }

  async getPayment(id: string): Promise<InventoryPayment | null> {
    this.faults.check('getPayment');
    const p = this.payments.find((x) => x.id === id);
    if (!p) return null;
    const { key: _, ...payment } = p;
    return { ...payment };
  }

  async completePayment(id: string, outcome: 'succeeded' | 'failed', note: string): Promise<void> {
    this.faults.check('completePayment');
    const p = this.payments.find((x) => x.id === id);
    if (!p) throw permanent(`no payment ${id}`);
    p.state = outcome;
    if (!p.description.includes(note)) p.description = `${p.description} (${note})`;
  }

  async recordCreditNote(orderCode: string, c: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
    this.faults.check('recordCreditNote');
    const found = this.creditNotes.find((n) => n.key === c.key);
    if (found) return { id: found.id, created: false };
    return { id: this.creditNote(orderCode, c.amountMinor, { state: 'posted', description: c.description, byDovetail: true, key: c.key }), created: true };
  }

  async getSaleMoney(orderCode: string): Promise<SaleMoney | null> {
    this.faults.check('getSaleMoney');
    if (![...this.sales.values()].some((s) => s.reference === orderCode)) return null;
    const settled = this.payments.filter((p) => p.orderCode === orderCode && p.state === 'succeeded');
    const sum = (kind: 'receivable' | 'payable') => settled.filter((p) => p.kind === kind).reduce((n, p) => n + p.amountMinor, 0);
    return { receivedMinor: sum('receivable'), paidOutMinor: sum('payable') };
  }

  async getCreditNote(id: string): Promise<CreditNote | null> {
    this.faults.check('getCreditNote');
    const n = this.creditNotes.find((x) => x.id === id);
    if (!n) return null;
    const { key: _, ...note } = n;
    return { ...note };
  }

  // ---- changes to web sales ---------------------------------------------------------------------

  async getSaleLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>> {
    this.faults.check('getSaleLines');
    const out = new Map<string, OrderLinesState>();
    for (const orderCode of orderCodes) {
      const s = this.webSale(orderCode);
      if (!s) continue;
      out.set(orderCode, { orderCode, totalMinor: this.totalOf(s), state: s.state,
        lines: s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, shipped: l.shipped, returned: l.returned, unitGrossMinor: l.unitNetMinor + l.unitTaxMinor,
          unitNetMinor: l.unitNetMinor, taxRatePercent: l.taxRatePercent })) });
    }
    return out;
  }

  async setSaleQuantities(orderCode: string, lines: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string): Promise<void> {
    this.faults.check('setSaleQuantities');
    this.amend(this.saleOf(orderCode), lines, note);
  }

  async recordReturn(orderCode: string, lines: { sku: string; quantity: number }[], opts: { key: string; note: string; creditNote: boolean }) {
    this.faults.check('recordReturn');
    const sale = this.saleOf(orderCode);
    const found = this.returns.find((r) => r.key === opts.key);
    if (found) return { id: found.id, created: false };
    return { id: this.takeBack(sale, lines, opts.note, { key: opts.key, creditNote: opts.creditNote }), created: true };
  }

  // ---- sales entered here, and their customers --------------------------------------------------

  async getOfflineSale(saleId: string): Promise<OfflineSale | null> {
    this.faults.check('getOfflineSale');
    const s = this.sales.get(saleId);
    if (!s) return null;
    return structuredClone({ id: s.id, number: s.number, state: s.state, shipped: s.lines.every((l) => l.shipped >= l.quantity + l.returned), reference: s.reference,
      customer: s.customer, shippingAddress: s.address, billingAddress: s.address, lines: s.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity })),
      currency: 'EUR', totalMinor: this.totalOf(s) });
  }

  async getInventoryCustomer(email: string): Promise<InventoryCustomer | null> {
    this.faults.check('getInventoryCustomer');
    const party = this.parties.get(normaliseEmail(email));
    if (!party) return null;
    const hasSales = [...this.sales.values()].some((s) => s.customer.email === party.customer.email && s.state !== 'draft' && s.state !== 'cancelled');
    return { customer: structuredClone(party.customer), hasSales };
  }

  // ---- the operator: what people do in the inventory system, for tests --------------------------

  /** A product with its price (net, EUR) and units on hand. */
  addProduct(sku: string, o: { name?: string; priceMinor: number; onHand?: number; fields?: Partial<ProductFields> }): void {
    const name = o.name ?? sku;
    this.products.set(sku, { sku, groupKey: sku, fields: { names: { name, variantName: name }, prices: { priceMinor: o.priceMinor, currency: 'EUR' },
      availability: { enabled: true }, dimensions: { weightKg: null, lengthCm: null, widthCm: null, heightCm: null }, ...structuredClone(o.fields ?? {}) } });
    this.onHand.set(sku, o.onHand ?? 0);
    this.changes.note('product', sku);
    this.changes.note('stock', sku);
  }

  editProduct(sku: string, fields: Partial<ProductFields>): void {
    Object.assign(this.products.get(sku)!.fields, structuredClone(fields));
    this.changes.note('product', sku);
  }

  /** Goods counted in (a delivery, an inventory count). */
  receive(sku: string, quantity: number): void {
    this.onHand.set(sku, (this.onHand.get(sku) ?? 0) + quantity);
    this.changes.note('stock', sku);
  }

  /** A confirmed purchase of `quantity` units expected on `expectedDate`; returns its id. */
  purchase(sku: string, quantity: number, expectedDate: string | null): string {
    const id = this.nextId();
    this.purchases.set(id, { sku, quantity, expectedDate });
    this.changes.note('stock', sku);
    return id;
  }

  /** The purchase arrives (its units become stock) or, `cancelled`, never will. */
  closePurchase(id: string, how: 'received' | 'cancelled'): void {
    const p = this.purchases.get(id)!;
    this.purchases.delete(id);
    if (how === 'received') this.onHand.set(p.sku, (this.onHand.get(p.sku) ?? 0) + p.quantity);
    this.changes.note('stock', p.sku);
  }

  /** A party (a customer, a supplier) entered by hand. */
  addParty(customer: Customer): string {
    const email = normaliseEmail(customer.email);
    const id = this.nextId();
    this.parties.set(email, { id, customer: { ...structuredClone(customer), email } });
    this.changes.note('customer', email);
    return id;
  }

  /**
   * The warehouse ships a sale (by store order code, or its id): `lines` or everything still to
   * ship. A done customer shipment, stock down.
   */
  ship(codeOrSaleId: string, lines?: { sku: string; quantity: number }[], o: { carrier?: string; trackingCode?: string } = {}): string {
    const sale = this.webSale(codeOrSaleId) ?? this.sales.get(codeOrSaleId);
    if (!sale) throw permanent(`no sale ${codeOrSaleId}`);
    const shipping = (lines ?? sale.lines.map((l) => ({ sku: l.sku, quantity: l.quantity - out(l) }))).filter((l) => l.quantity > 0);
    for (const { sku, quantity } of shipping) {
      const l = sale.lines.find((x) => x.sku === sku)!;
      l.shipped += quantity;
      this.onHand.set(sku, (this.onHand.get(sku) ?? 0) - quantity);
    }
    const id = this.nextId();
    this.shipments.push({ id, saleId: sale.id, number: `OUT${id}`, shippedOn: '2026-01-02', carrier: o.carrier ?? null, trackingCode: o.trackingCode ?? null,
      lines: shipping.map((l) => ({ ...l })) });
    sale.state = sale.lines.every((l) => l.shipped >= l.quantity + l.returned) ? 'done' : 'processing';
    if (sale.reference) this.changes.note('shipment', sale.reference);
    this.changes.note('shipment', `${SALE_KEY}${sale.id}`);
    this.saleWritten(sale);
    return id;
  }

  /** An operator lowers unshipped units of a web sale (a cancellation). */
  cancelUnits(orderCode: string, sku: string, quantity: number): void {
    const l = this.saleOf(orderCode).lines.find((x) => x.sku === sku)!;
    this.amend(this.saleOf(orderCode), [{ sku, quantity: l.quantity - quantity, unitNetMinor: l.unitNetMinor, taxRatePercent: l.taxRatePercent }], 'cancelled by phone');
  }

  /** An operator amends a web sale: the SKU is to give `quantity` units, a new one at this price. */
  editSale(orderCode: string, sku: string, quantity: number, price: { unitNetMinor: number; taxRatePercent: number }): void {
    this.amend(this.saleOf(orderCode), [{ sku, quantity, ...price }], 'amended by phone');
  }

  /** A customer return received in the warehouse; `creditNote`: the sale's draft credit note is made with it. */
  returnUnits(orderCode: string, lines: { sku: string; quantity: number }[], creditNote = false): string {
    return this.takeBack(this.saleOf(orderCode), lines, 'returned by the customer', { key: null, creditNote });
  }

  /** A sale entered by hand (phone, email, a salesperson): a quotation, or confirmed at once. */
  enterSale(customer: Customer, lines: { sku: string; quantity: number }[], o: { state?: SaleState; reference?: string } = {}): string {
    const email = normaliseEmail(customer.email);
    if (email && !this.parties.has(email)) this.addParty(customer);
    const party = email ? this.parties.get(email)! : { customer };
    const id = this.nextId();
    const sale: Sale = { id, number: `S${id}`, reference: o.reference ?? null, state: o.state ?? 'confirmed', customer: structuredClone(party.customer),
      address: customer.addresses[0] ?? null, shippingMinor: 0, salesperson: null, notes: [],
      lines: lines.map(({ sku, quantity }) => {
        const p = this.products.get(sku)!.fields;
        const net = p.prices!.priceMinor;
        return { sku, name: p.names?.name ?? sku, quantity, shipped: 0, returned: 0, unitNetMinor: net, unitTaxMinor: Math.round((net * this.taxRatePercent) / 100), taxRatePercent: this.taxRatePercent };
      }) };
    this.sales.set(id, sale);
    this.saleWritten(sale);
    return id;
  }

  /** A quotation accepted (confirmed), or a sale cancelled. */
  setSaleState(saleId: string, state: SaleState): void {
    const sale = this.sales.get(saleId)!;
    sale.state = state;
    this.saleWritten(sale);
  }

  /** An operator enters a receivable payment against a web sale and processes it (rules.settleFrom: inventory). */
  enterPayment(orderCode: string, amountMinor: number): string {
    return this.payment(orderCode, { kind: 'receivable', amountMinor, key: null, description: 'paid by phone', state: 'processing', recordedByDovetail: false }).id;
  }

  /** An operator processes a payment Dovetail proposed (rules.capture: atShipment with settleFrom: inventory). */
  processPayment(id: string): void {
    const p = this.payments.find((x) => x.id === id)!;
    p.state = 'processing';
    this.changes.note('payment', `${p.orderCode}:${p.id}`);
  }

  /** An operator posts a credit note for a web sale: a new one for `amountMinor`, or a draft one by id. */
  postCreditNote(orderCode: string, amountMinor: number): string {
    return this.creditNote(orderCode, amountMinor, { state: 'posted', description: 'credit by the operator', byDovetail: false, key: null });
  }

  postDraftCreditNote(id: string): void {
    const n = this.creditNotes.find((x) => x.id === id)!;
    n.state = 'posted';
    this.changes.note('creditNote', `${n.orderCode}:${n.id}`);
  }

  /** The sale of a web order is gone (the database restored from a backup taken before it). */
  loseSale(orderCode: string): void {
    const s = this.webSale(orderCode);
    if (s) this.sales.delete(s.id);
  }

  /** The payments recorded against an order's sale deleted by hand (a drift test). */
  losePayments(orderCode: string): void {
    for (let i = this.payments.length - 1; i >= 0; i--) if (this.payments[i]!.orderCode === orderCode) this.payments.splice(i, 1);
  }

  /** Read-only views for assertions. */
  saleOf(orderCode: string): Sale {
    const s = this.webSale(orderCode);
    if (!s) throw permanent(`no sale for order ${orderCode}`);
    return s;
  }
  sale(id: string): Sale | undefined { return this.sales.get(id); }
  onHandOf(sku: string): number { return this.onHand.get(sku) ?? 0; }
  productOf(sku: string): Product | undefined { return this.products.get(sku); }
  paymentsOf(orderCode: string): readonly InventoryPayment[] { return this.payments.filter((p) => p.orderCode === orderCode); }
  creditNotesOf(orderCode: string): readonly CreditNote[] { return this.creditNotes.filter((n) => n.orderCode === orderCode); }
  returnsOf(orderCode: string) { const s = this.saleOf(orderCode); return this.returns.filter((r) => r.saleId === s.id); }
  partyOf(email: string): { id: string; customer: Customer } | undefined { return this.parties.get(normaliseEmail(email)); }

  // ---- the system's own bookkeeping -------------------------------------------------------------

  private webSale(orderCode: string): Sale | undefined {
    return [...this.sales.values()].find((s) => s.reference === orderCode);
  }

  private totalOf(s: Sale): number {
    return s.lines.reduce((n, l) => n + lineGross(l), 0) + s.shippingMinor;
  }

  /** What every write to a sale leaves in the feeds, as Tryton's stamps do: the sale, its lines, its party, its stock. */
  private saleWritten(sale: Sale): void {
    if (sale.state !== 'draft') this.changes.note('order', sale.id);
    if (sale.reference) this.changes.note('sale', sale.reference);
    if (sale.customer.email) this.changes.note('customer', sale.customer.email);
    for (const l of sale.lines) this.changes.note('stock', l.sku);
  }

  private amend(sale: Sale, lines: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string): void {
    for (const want of lines) {
      const l = sale.lines.find((x) => x.sku === want.sku);
      if (l && want.quantity < out(l)) throw permanent(`order ${sale.reference}: ${want.sku} cannot go below the ${out(l)} shipped`);
    }
    let changed = false;
    for (const want of lines) {
      const l = sale.lines.find((x) => x.sku === want.sku);
      if (l?.quantity === want.quantity) continue; // already so: a repeat changes nothing
      changed = true;
      if (l) l.quantity = want.quantity;
      else sale.lines.push({ sku: want.sku, name: this.products.get(want.sku)?.fields.names?.name ?? want.sku, quantity: want.quantity, shipped: 0, returned: 0,
        unitNetMinor: want.unitNetMinor, unitTaxMinor: Math.round((want.unitNetMinor * want.taxRatePercent) / 100), taxRatePercent: want.taxRatePercent });
    }
    if (!changed) return;
    sale.notes.push(note);
    this.saleWritten(sale);
  }

  private takeBack(sale: Sale, lines: { sku: string; quantity: number }[], note: string, o: { key: string | null; creditNote: boolean }): string {
    for (const { sku, quantity } of lines) {
      const l = sale.lines.find((x) => x.sku === sku);
      if (!l || quantity > out(l)) throw permanent(`order ${sale.reference}: cannot take back ${quantity} × ${sku}, ${l ? out(l) : 0} shipped and not returned`);
    }
    let creditMinor = 0;
    for (const { sku, quantity } of lines) {
      const l = sale.lines.find((x) => x.sku === sku)!;
      l.returned += quantity;
      l.quantity -= quantity;
      creditMinor += quantity * (l.unitNetMinor + l.unitTaxMinor);
      this.onHand.set(sku, (this.onHand.get(sku) ?? 0) + quantity);
    }
    const id = this.nextId();
    this.returns.push({ id, saleId: sale.id, key: o.key, lines: structuredClone(lines) });
    // the inventory system's own credit note for a return waits as a draft for the operator to post
    if (o.creditNote) this.creditNote(sale.reference ?? sale.id, creditMinor, { state: 'draft', description: `return: ${note}`, byDovetail: false, key: null });
    sale.notes.push(note);
    this.saleWritten(sale);
    return id;
  }

  private payment(orderCode: string, p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string | null; description: string;
    state: InventoryPaymentState; recordedByDovetail: boolean }): { id: string; created: boolean } {
    this.saleOf(orderCode);
    const found = p.key !== null && this.payments.find((x) => x.key === p.key);
    if (found) return { id: found.id, created: false };
    const id = this.nextId();
    this.payments.push({ id, orderCode, ...p });
    // the feed carries what an operator processed; Dovetail's own records are recognised and left out
    if (p.state === 'processing' && !p.recordedByDovetail) this.changes.note('payment', `${orderCode}:${id}`);
    return { id, created: true };
  }

  private creditNote(orderCode: string, amountMinor: number, o: { state: CreditNote['state']; description: string; byDovetail: boolean; key: string | null }): string {
    const id = this.nextId();
    this.creditNotes.push({ id, orderCode, number: `CN${id}`, amountMinor, ...o });
    if (o.state === 'posted' && !o.byDovetail) this.changes.note('creditNote', `${orderCode}:${id}`);
    return id;
  }

  // ---- reference sets (master.salesTaxes, master.shippingMethods) ----
  async listSalesTaxes() { return this.taxes.list(); }
  async putSalesTax(key: string, value: SalesTaxValue, existingId: string | null) { return this.taxes.put(key, value, existingId); }
  async listShippingMethods() { return this.shippingMethods.list(); }
  async putShippingMethod(code: string, value: ShippingMethodValue, existingId: string | null) { return this.shippingMethods.put(code, value, existingId); }
}

/** The memory inventory as a system: the type check holds it to every group it declares, like Tryton. */
export const memoryInventory = inventorySystem({
  system: 'memory-inventory',
  displayName: 'Memory inventory',
  connection: z.object({ type: z.literal('memory-inventory'), pageSize: z.number().int().min(1).default(100) }),
  setup: { questions: [], secrets: [] },
  capabilities: CAPABILITIES,
  create: (connection) => new MemoryInventory({ pageSize: connection.pageSize }),
});
