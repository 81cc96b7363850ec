// Odoo 17 to 20 as the inventory system: products and stock read, customers and web-order sales
// written, shipments read. The version, company currency and warehouses are read once per process.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import type { Product, ProductFields } from '../../model/product.js';
import type { StockPosition } from '../../model/stock.js';
import { HTTP_ADDRESS, inventorySystem, type ChangePage, type InventoryCapability, type InventoryConnector, type RecordKind } from '../types.js';
import { OdooClient, read, Ref, searchRead, Text, type OdooCalls, type Transport } from './client.js';
import { odooNames } from './models.js';
import { getProducts, getStock, listSkus, orderShipments, productChanges, shipmentChanges, shipmentForCapture, stockChanges, type Setup } from './reads.js';
import { importOrder, upsertCustomer, writeProductFields } from './writes.js';
import { customerChanges, inventoryCustomer, offlineSale, saleChanges } from './offline.js';
import * as money from './payments.js';
import * as orderChanges from './order-changes.js';
import { callsAtOnceSetting } from '../calls-at-once.js';

export interface OdooConnectorOptions {
  url: string;
  database: string;
  username?: string;
  apiKey: string;
  transport?: Transport;
  callsAtOnce?: number;
  /** warehouse names or codes whose stock is published; empty: the company's first warehouse */
  locations: string[];
}

/** Every capability an inventory system can carry, as Tryton does. */
const CAPABILITIES = ['catalogue', 'stock', 'customers', 'sales', 'shipments', 'payments', 'orderChanges', 'offlineSales'] as const satisfies readonly InventoryCapability[];

export class OdooConnector implements InventoryConnector {
  readonly system = 'odoo';
  readonly side = 'inventory';
  readonly capabilities = CAPABILITIES;
  readonly client: OdooClient;
  private setup?: Promise<Setup>;

  constructor(private readonly opts: OdooConnectorOptions) {
    this.client = new OdooClient(opts);
  }

  async ping() {
    const s = await this.ready();
    return { version: `Odoo ${this.client.version} over ${this.client.transport}, ${s.currency.code}, warehouses ${s.warehouseIds.join(', ')}` };
  }

  /** The client connected and what every flow needs, read once (read again after a failure). */
  private async ready(): Promise<Setup> {
    this.setup ??= this.loadSetup().catch((err) => { this.setup = undefined; throw err; });
    return this.setup;
  }

  private async loadSetup(): Promise<Setup> {
    await this.client.connect();
    return loadSetup(this.client, this.opts.locations);
  }

  async readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    await this.ready();
    if (kind === 'product') return productChanges(this.client, cursor);
    if (kind === 'stock') return stockChanges(this.client, cursor);
    if (kind === 'shipment') return shipmentChanges(this.client, cursor);
    if (kind === 'order') return saleChanges(this.client, cursor);
    if (kind === 'customer') return customerChanges(this.client, cursor);
    if (kind === 'payment') return money.paymentChanges(this.client, cursor);
    if (kind === 'creditNote') return money.creditNoteChanges(this.client, cursor);
    if (kind === 'sale') return orderChanges.saleLineChanges(this.client, cursor);
    throw new DovetailError('config', `the Odoo connector does not read ${kind} changes`);
  }

  async getProducts(skus: string[]): Promise<Map<string, Product>> { return getProducts(this.client, await this.ready(), skus); }
  async listSkus(offset: number, limit: number): Promise<string[]> { await this.ready(); return listSkus(this.client, offset, limit); }
  async writeProductFields(rows: { sku: string; fields: Partial<ProductFields> }[]) { return writeProductFields(this.client, await this.ready(), rows); }
  async getStock(skus: string[]): Promise<Map<string, StockPosition>> { return getStock(this.client, await this.ready(), skus); }
  async upsertCustomer(customer: Customer) { return upsertCustomer(this.client, await this.ready(), customer); }
  async importOrder(order: Order, opts: { customerId: string; salesperson?: string }) { return importOrder(this.client, await this.ready(), order, opts); }
  async getShipments(orderCode: string, opts: { saleId?: string } = {}) { await this.ready(); return orderShipments(this.client, orderCode, opts.saleId); }
  async shipmentForCapture(shipmentId: string) { await this.ready(); return shipmentForCapture(this.client, shipmentId); }
  async getOfflineSale(saleId: string) { const setup = await this.ready(); return /^\d+$/.test(saleId) ? offlineSale(this.client, setup, Number(saleId)) : null; }
  async getInventoryCustomer(email: string) { await this.ready(); return inventoryCustomer(this.client, email); }

  // ---- money: payments against sales, credit notes (see payments.ts)
  async recordPayment(orderCode: string, p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string; description: string }) {
    return money.recordPayment(this.client, await this.ready(), orderCode, p);
  }
  async proposePayment(orderCode: string, p: { amountMinor: number; key: string; description: string }) {
    return money.proposePayment(this.client, await this.ready(), orderCode, p);
  }
  async getPayment(id: string) { return money.getPayment(this.client, await this.ready(), id); }
  async completePayment(id: string, outcome: 'succeeded' | 'failed', note: string) { await this.ready(); return money.completePayment(this.client, id, outcome, note); }
  async recordCreditNote(orderCode: string, c: { amountMinor: number; key: string; description: string }) {
    return money.recordCreditNote(this.client, await this.ready(), orderCode, c);
  }
  async getCreditNote(id: string) { return money.getCreditNote(this.client, await this.ready(), id); }
  async getSaleMoney(orderCode: string) { return money.getSaleMoney(this.client, await this.ready(), orderCode); }

  // ---- changes to placed web orders: cancellations, returns, edits (see order-changes.ts)
  async getSaleLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>> {
    // none asked: answered without connecting
    if (!orderCodes.length) return new Map();
    return orderChanges.getSaleLines(this.client, await this.ready(), orderCodes);
  }
  async setSaleQuantities(orderCode: string, lines: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string) {
    return orderChanges.setSaleQuantities(this.client, await this.ready(), orderCode, lines, note);
  }
  async recordReturn(orderCode: string, lines: { sku: string; quantity: number }[], opts: { key: string; note: string; creditNote: boolean }) {
    return orderChanges.recordReturn(this.client, await this.ready(), orderCode, lines, opts);
  }
}

/** The company's currency and the warehouses whose stock is published (settings name them by name or code). */
export async function loadSetup(client: OdooCalls, locations: string[]): Promise<Setup> {
  const N = odooNames(client.version);
  const [company] = await searchRead(client, N.company.model, [], { currency: [N.company.fields.currency, Ref] }, { limit: 1, order: `${N.company.fields.id} asc` });
  if (!company?.currency) throw new DovetailError('config', 'the Odoo user sees no company with a currency');
  const [currency] = await read(client, N.currency.model, [company.currency.id], { name: [N.currency.fields.name, z.string()], decimals: [N.currency.fields.decimals, z.number().int()] });
  if (!currency) throw new DovetailError('config', `the Odoo user cannot read the company's currency ${company.currency.name}`);
  const W = N.warehouse.fields;
  const warehouses = await searchRead(client, N.warehouse.model, [], { name: [W.name, z.string()], code: [W.code, Text] }, { order: `${W.id} asc` });
  const chosen = locations.length ? warehouses.filter((w) => locations.includes(w.name) || (w.code !== null && locations.includes(w.code))) : warehouses.slice(0, 1);
  if (!chosen.length) {
    throw new DovetailError('config', `inventory.locations names ${locations.join(', ') || 'no warehouse'}, but Odoo has: ${warehouses.map((w) => w.code ?? w.name).join(', ') || 'none'}`);
  }
  return { currency: { id: company.currency.id, code: currency.name, decimals: currency.decimals }, warehouseIds: chosen.map((w) => w.id), made: new Map() };
}

const nonEmpty = z.string().min(1);

/** `systems.inventory` when `type: odoo`. */
const OdooConnection = z.object({
  type: z.literal('odoo'),
  url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8069'),
  database: nonEmpty,
  /** the login of the API key's user: needed for /jsonrpc (Odoo 17, 18), not for JSON-2 */
  username: nonEmpty.optional(),
  apiKey: nonEmpty,
  /** unset: JSON-2 from Odoo 19 on, /jsonrpc before */
  transport: z.enum(['json2', 'jsonrpc']).optional(),
  /** stock.warehouse name or code; inventory.locations wins when set; unset: the first warehouse */
  warehouse: nonEmpty.optional(),
  /** requests Dovetail keeps open to the system at once; the rest wait their turn */
  callsAtOnce: callsAtOnceSetting,
}).strict();

export const odoo = inventorySystem({
  system: 'odoo',
  displayName: 'Odoo',
  connection: OdooConnection,
  capabilities: CAPABILITIES,
  cannotCarry: {
    'master.productAttributes': "Odoo's product attributes and variant values are not read or written yet: variants travel by SKU with their own names",
    'master.salesTaxes': "this connector does not read or write Odoo's taxes (account.tax) yet",
    'master.shippingMethods': "this connector does not read or write Odoo's delivery methods (delivery.carrier, from the delivery module) yet",
    'master.priceLevels': 'Dovetail does not read or write Odoo pricelists yet, so level prices are not carried between Odoo and the store',
    'master.vendorsAndCosts=store': 'Dovetail does not write an Odoo product\'s cost (standard_price) or vendors (product.supplierinfo) yet, so the store\'s costs are not copied',
  },
  create: (c, settings) => new OdooConnector({ url: c.url, database: c.database, username: c.username, apiKey: c.apiKey, transport: c.transport, callsAtOnce: c.callsAtOnce,
    locations: settings.locations.length ? settings.locations : c.warehouse ? [c.warehouse] : [] }),
  setup: {
    questions: [
      { key: 'url', topic: 'inventory system address', ask: 'What is the address of your Odoo?', default: 'http://127.0.0.1:8069',
        because: 'Odoo listens on port 8069 unless a proxy sits in front of it.', comment: 'Odoo address', pattern: HTTP_ADDRESS, hint: 'an address starting with http:// or https://' },
      { key: 'database', topic: 'inventory database', ask: 'Which Odoo database holds the company?', default: 'odoo',
        because: 'one Odoo server can hold several databases; Dovetail names the one it works in on every call.', comment: 'Odoo database', pattern: /\S/, hint: 'a database name' },
      { key: 'username', topic: 'inventory user', ask: 'Which Odoo user does the API key belong to? (the key itself is read from ODOO_API_KEY)', default: 'admin',
        because: 'Odoo 17 and 18 log in by user name and API key; Odoo 19 and later need only the key.', comment: 'Odoo login of the API key\'s user', pattern: /\S/, hint: 'a login' },
    ],
    secrets: [{ key: 'apiKey', env: 'ODOO_API_KEY', comment: 'an API key of the Odoo user (Preferences › Account Security › New API Key)' }],
  },
});
