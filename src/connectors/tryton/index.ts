// Tryton 6 as the inventory system: products and stock read, customers and sales written.
// The company, currency, warehouses and units are looked up once and kept for the process.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { Customer } from '../../model/customer.js';
import { minorToDecimal } from '../../model/money.js';
import type { Order } from '../../model/order.js';
import type { Product, ProductFields } from '../../model/product.js';
import type { IncomingStock, StockPosition } from '../../model/stock.js';
import { HTTP_ADDRESS, inventorySystem, type ChangePage, type InventoryCapability, type InventoryConnector, type RecordKind } from '../types.js';
import { dec, TrytonClient, type TrytonOptions } from './client.js';
import * as money from './payments.js';
import { PRODUCT_FIELDS, ProductRecord, toProduct } from './mappers.js';
import { orderShipments, productChanges, shipmentChanges, stockChanges } from './reads.js';
import { readPriceLevels, writePriceLevels } from './price-levels.js';
import { importOrder, optionalModules, upsertCustomer, type Company } from './writes.js';
import { customerChanges, inventoryCustomer, offlineSale, saleChanges } from './offline.js';
import * as orderChanges from './order-changes.js';
import { AttributeDict, attributeValuesOf, setAttributes, writeAttributeValues } from './attributes.js';
import * as images from './images.js';
import type { StoredImage } from '../../model/image.js';
import type { ImageFile } from '../image-files.js';
import * as refdata from './reference-sets.js';
import type { SalesTaxValue, ShippingMethodValue } from '../../model/reference-sets.js';
import { incomingStock } from './incoming.js';
import { costToMinor, supplierNames, writeCosts } from './costs.js';
import * as parties from './parties.js';
import { callsAtOnceSetting } from '../calls-at-once.js';

export interface TrytonConnectorOptions extends TrytonOptions {
  /** warehouse codes or names whose stock is published; empty: the first warehouse */
  locations?: string[];
}

const OPEN_MOVE_STATES = ['draft', 'staging', 'assigned'];

/** Everything an inventory system can carry: Tryton is the reference inventory connector. */
const CAPABILITIES = ['catalogue', 'stock', 'customers', 'sales', 'shipments', 'payments', 'orderChanges', 'offlineSales',
  'images', 'taxes', 'shippingMethods', 'incoming', 'customerEdits'] as const satisfies readonly InventoryCapability[];

export class TrytonConnector implements InventoryConnector {
  readonly system = 'tryton';
  readonly side = 'inventory';
  readonly capabilities = CAPABILITIES;
  readonly client: TrytonClient;
  private company?: Promise<Company>;

  constructor(private readonly opts: TrytonConnectorOptions) {
    this.client = new TrytonClient(opts);
  }

  async ping() {
    const c = await this.companyInfo();
    return { version: `company ${c.id} (${c.currencyCode}), warehouses ${c.warehouseIds.join(', ')}` };
  }

  private async hasAttributes(): Promise<boolean> {
    return (await this.companyInfo()).modules.attributes;
  }

  private companyInfo(): Promise<Company> {
    this.company ??= this.loadCompany().catch((err) => { this.company = undefined; throw err; });
    return this.company;
  }

  private async loadCompany(): Promise<Company> {
    await this.client.login();
    const companyId = z.number().nullable().catch(null).parse(this.client.context.company);
    if (!companyId) throw new DovetailError('config', 'the Tryton user has no current company: set one in the user preferences');
    const [company] = z.array(z.object({ currency: z.number() })).parse(await this.client.read('company.company', [companyId], ['currency']));
    const [currency] = z.array(z.object({ code: z.string() })).parse(await this.client.read('currency.currency', [company.currency], ['code']));
    const warehouses = z.array(z.object({ id: z.number(), name: z.string(), code: z.string().nullable() })).parse(
      await this.client.searchRead('stock.location', [['type', '=', 'warehouse']], ['name', 'code'], { order: [['id', 'ASC']] }));
    const wanted = this.opts.locations ?? [];
    const chosen = wanted.length ? warehouses.filter((w) => wanted.includes(w.name) || (w.code !== null && wanted.includes(w.code))) : warehouses.slice(0, 1);
    if (!chosen.length) {
      throw new DovetailError('config', `inventory.locations names ${wanted.join(', ') || 'no warehouse'}, but Tryton has: ${warehouses.map((w) => w.code ?? w.name).join(', ') || 'none'}`);
    }
    const [paymentTerm] = await this.client.search('account.invoice.payment_term', [], { limit: 1 });
    const [category] = await this.client.search('product.category', [['accounting', '=', true]], { limit: 1 });
    return { id: companyId, currencyId: company.currency, currencyCode: currency.code, warehouseIds: chosen.map((w) => w.id),
      paymentTermId: paymentTerm ?? null, unitId: await this.client.xmlId('product', 'uom_unit'), revenueCategoryId: category ?? null, made: new Map(),
      modules: await optionalModules(this.client) };
  }

  async readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    await this.companyInfo();
    if (kind === 'product') return productChanges(this.client, cursor, (await this.companyInfo()).modules);
    if (kind === 'stock') return stockChanges(this.client, cursor);
    if (kind === 'shipment') return shipmentChanges(this.client, cursor);
    if (kind === 'payment') return money.paymentChanges(this.client, cursor);
    if (kind === 'creditNote') return money.creditNoteChanges(this.client, cursor);
    if (kind === 'order') return saleChanges(this.client, cursor);
    if (kind === 'customer') return customerChanges(this.client, cursor);
    if (kind === 'sale') return orderChanges.saleLineChanges(this.client, cursor);
    if (kind === 'images') return images.imageChanges(this.client, cursor);
    throw new DovetailError('config', `Tryton is the inventory system: ${kind} changes are read from the store`);
  }

  private async productRecords(skus: string[]): Promise<(ProductRecord & { attributes: Record<string, unknown> })[]> {
    if (!skus.length) return [];
    const withAttributes = await this.hasAttributes();
    return z.array(ProductRecord.extend({ attributes: AttributeDict })).parse(await this.client.searchRead('product.product', [['code', 'in', skus]],
      withAttributes ? [...PRODUCT_FIELDS, 'attributes'] : PRODUCT_FIELDS, {}, { active_test: false }));
  }

  /** Each template's attribute set, when product_attribute is activated. */
  private async attributeSets(templateIds: number[]): Promise<Map<number, number | null>> {
    if (!templateIds.length || !(await this.hasAttributes())) return new Map();
    const rows = z.array(z.object({ id: z.number(), attribute_set: z.number().nullable() })).parse(
      await this.client.read('product.template', [...new Set(templateIds)], ['attribute_set'], { active_test: false }));
    return new Map(rows.map((t) => [t.id, t.attribute_set]));
  }

  async getProducts(skus: string[]): Promise<Map<string, Product>> {
    const company = await this.companyInfo();
    const records = await this.productRecords(skus);
    if (!records.length) return new Map();
    const templates = z.array(z.object({ id: z.number(), code: z.string().nullable(), products: z.array(z.number()), categories: z.array(z.number()) })).parse(
      await this.client.read('product.template', [...new Set(records.map((r) => r.template))], ['code', 'products', 'categories'], { active_test: false }));
    const byTemplate = new Map(templates.map((t) => [t.id, t]));
    const suppliers = company.modules.purchase ? await supplierNames(this.client, records.map((r) => r.id)) : new Map<number, string>();
    const categoryIds = [...new Set(templates.flatMap((t) => t.categories))];
    const categoryNames = new Map(categoryIds.length ? z.array(z.object({ id: z.number(), name: z.string() })).parse(
      await this.client.read('product.category', categoryIds, ['name'])).map((c) => [c.id, c.name]) : []);
    const uomIds = [...new Set(records.flatMap((r) => [r.weight_uom, r.length_uom, r.width_uom, r.height_uom]).filter((u): u is number => u !== null))];
    const factors = new Map(uomIds.length ? z.array(z.object({ id: z.number(), factor: z.number() })).parse(
      await this.client.read('product.uom', uomIds, ['factor'])).map((u) => [u.id, u.factor]) : []);
    const sets = await this.attributeSets(templates.map((t) => t.id));
    const attributesOfSet = await setAttributes(this.client, [...sets.values()].filter((s): s is number => s !== null));
    const levels = !company.modules.priceLists ? new Map<number, Record<string, number>>() : await readPriceLevels(this.client, company.id, records.filter((r) => r.code).map((r) => r.id));
    return new Map(records.filter((r) => r.code).map((r) => {
      const t = byTemplate.get(r.template);
      const categories = (t?.categories ?? []).map((id) => categoryNames.get(id)).filter((n): n is string => !!n);
      const product = toProduct(r, t?.code ?? null, t?.products.length ?? 1, company.currencyCode, factors, categories);
      // a template without an attribute set has no attributes group: its variants travel as before
      const set = sets.get(r.template);
      if (set) product.fields.attributes = { values: attributeValuesOf(attributesOfSet.get(set) ?? [], r.attributes) };
      product.fields.priceLevels = { levels: levels.get(r.id) ?? {} };
      product.fields.costs = { costMinor: costToMinor(r.cost_price), supplier: suppliers.get(r.id) || null };
      return [r.code!, product];
    }));
  }


  async listSkus(offset: number, limit: number): Promise<string[]> {
    const rows = z.array(z.object({ code: z.string().nullable() })).parse(await this.client.searchRead('product.product',
      [['code', '!=', null], ['type', '=', 'goods']], ['code'], { offset, limit, order: [['id', 'ASC']] }));
    return rows.map((r) => r.code!).filter(Boolean);
  }

  async writeProductFields(rows: { sku: string; fields: Partial<ProductFields> }[]): Promise<void> {
    const records = new Map((await this.productRecords(rows.map((r) => r.sku))).map((r) => [r.code, r]));
    for (const { sku, fields } of rows) {
      const r = records.get(sku);
      if (!r) continue;
      if (fields.descriptions) await this.client.write('product.product', [r.id], { description: fields.descriptions.description });
      const template: Record<string, unknown> = {};
      if (fields.names) template.name = fields.names.name;
      if (fields.prices) template.list_price = dec(minorToDecimal(fields.prices.priceMinor));
      if (fields.availability) template.salable = fields.availability.enabled;
      if (fields.categories) {
        // Tryton 6 many2many writes know add/remove, not "set"
        const [{ categories: current }] = z.array(z.object({ categories: z.array(z.number()) })).parse(await this.client.read('product.template', [r.template], ['categories']));
        const wanted = await this.categoryIds(fields.categories.names);
        template.categories = [['remove', current.filter((id) => !wanted.includes(id))], ['add', wanted.filter((id) => !current.includes(id))]];
      }
      if (Object.keys(template).length) await this.client.write('product.template', [r.template], template);
      if (fields.attributes) {
        const set = (await this.attributeSets([r.template])).get(r.template) ?? null;
        await writeAttributeValues(this.client, { id: r.id, sku, attributeSet: set, current: r.attributes }, fields.attributes.values);
      }
      if (fields.costs) {
        await writeCosts(this.client, await this.companyInfo(), { id: r.id, template: r.template, costPrice: r.cost_price }, fields.costs);
      }
    }
    const levels = rows.flatMap(({ sku, fields }) => (fields.priceLevels && records.get(sku) ? [{ sku, productId: records.get(sku)!.id, levels: fields.priceLevels.levels }] : []));
    if (levels.length) {
      const company = await this.companyInfo();
      if (!company.modules.priceLists) throw new DovetailError('config', 'master.priceLevels: store needs the Tryton module product_price_list (activate it, or keep price levels in the inventory system)');
      await writePriceLevels(this.client, company.id, levels);
    }
  }

  /** Classification categories by name (not the accounting one), made when missing. */
  private async categoryIds(names: string[]): Promise<number[]> {
    const found = z.array(z.object({ id: z.number(), name: z.string() })).parse(
      await this.client.searchRead('product.category', [['name', 'in', names], ['accounting', '=', false]], ['name']));
    const ids = new Map(found.map((c) => [c.name, c.id]));
    const missing = names.filter((n) => !ids.has(n));
    if (missing.length) (await this.client.create('product.category', missing.map((name) => ({ name, accounting: false })))).forEach((id, i) => ids.set(missing[i], id));
    return names.map((n) => ids.get(n)!);
  }

  async getStock(skus: string[]): Promise<Map<string, StockPosition>> {
    const company = await this.companyInfo();
    const ids = z.array(z.object({ id: z.number(), code: z.string().nullable() })).parse(
      await this.client.searchRead('product.product', [['code', 'in', skus]], ['code'], {}, { active_test: false }));
    if (!ids.length) return new Map();
    const productIds = ids.map((p) => p.id);
    // Tryton counts the locations' children only when asked for one location: with several
    // warehouses, with_childs must be said, or only moves into the warehouse records are counted
    const quantities = z.array(z.object({ id: z.number(), quantity: z.number() })).parse(
      await this.client.read('product.product', productIds, ['quantity'], { locations: company.warehouseIds, with_childs: true, active_test: false }));
    // Outgoing customer moves not yet done: stock promised to unshipped sales.
    const open = z.array(z.object({ product: z.number(), internal_quantity: z.number(), sale: z.number().nullable() })).parse(
      await this.client.searchRead('stock.move', [['product', 'in', productIds], ['to_location.type', '=', 'customer'], ['state', 'in', OPEN_MOVE_STATES],
        ['from_location', 'child_of', company.warehouseIds, 'parent']], ['product', 'internal_quantity', 'sale']));
    const qty = new Map(quantities.map((q) => [q.id, q.quantity]));
    return new Map(ids.filter((p) => p.code).map((p) => [p.code!, {
      sku: p.code!, onHand: qty.get(p.id) ?? 0,
      allocations: open.filter((m) => m.product === p.id).map((m) => ({ saleId: m.sale === null ? `move-without-sale` : String(m.sale), quantity: m.internal_quantity })),
    }]));
  }

  async getIncoming(skus: string[]): Promise<Map<string, IncomingStock>> {
    return incomingStock(this.client, (await this.companyInfo()).warehouseIds, skus);
  }

  async upsertCustomer(customer: Customer) {
    return upsertCustomer(this.client, customer, await this.companyInfo());
  }

  // ---- a customer's later edits (master.customers; see parties.ts)
  async findParty(email: string) {
    await this.companyInfo();
    return parties.findParty(this.client, email);
  }

  async getParty(partyId: string) {
    await this.companyInfo();
    return parties.getParty(this.client, partyId);
  }

  async updateParty(partyId: string, customer: Customer) {
    return parties.updateParty(this.client, await this.companyInfo(), partyId, customer);
  }

  async getOfflineSale(saleId: string) {
    const company = await this.companyInfo();
    if (!/^\d+$/.test(saleId)) return null;
    return offlineSale(this.client, Number(saleId), company.currencyCode);
  }

  async getInventoryCustomer(email: string) {
    await this.companyInfo();
    return inventoryCustomer(this.client, email);
  }

  // ---- money: payments against sales, credit notes (see payments.ts)
  async recordPayment(orderCode: string, p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string; description: string }) {
    return money.recordPayment(this.client, await this.companyInfo(), orderCode, p);
  }

  async proposePayment(orderCode: string, p: { amountMinor: number; key: string; description: string }) {
    return money.proposePayment(this.client, await this.companyInfo(), orderCode, p);
  }

  async getPayment(id: string) {
    await this.companyInfo();
    return money.getPayment(this.client, id);
  }

  async completePayment(id: string, outcome: 'succeeded' | 'failed', note: string) {
    await this.companyInfo();
    return money.completePayment(this.client, id, outcome, note);
  }

  async recordCreditNote(orderCode: string, c: { amountMinor: number; key: string; description: string }) {
    return money.recordCreditNote(this.client, await this.companyInfo(), orderCode, c);
  }

  async getCreditNote(id: string) {
    await this.companyInfo();
    return money.getCreditNote(this.client, id);
  }

  async getSaleMoney(orderCode: string) {
    await this.companyInfo();
    return money.getSaleMoney(this.client, orderCode);
  }

  async shipmentForCapture(shipmentId: string) {
    await this.companyInfo();
    return money.shipmentForCapture(this.client, shipmentId);
  }

  async getShipments(orderCode: string, opts: { saleId?: string } = {}) {
    await this.companyInfo();
    return orderShipments(this.client, orderCode, opts.saleId);
  }

  // ---- changes to placed web orders: cancellations, returns, edits (see order-changes.ts)
  async getSaleLines(orderCodes: string[]) {
    await this.companyInfo();
    return orderChanges.getSaleLines(this.client, orderCodes);
  }

  async setSaleQuantities(orderCode: string, lines: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string) {
    return orderChanges.setSaleQuantities(this.client, await this.companyInfo(), orderCode, lines, note);
  }

  async recordReturn(orderCode: string, lines: { sku: string; quantity: number }[], opts: { key: string; note: string; creditNote: boolean }) {
    await this.companyInfo();
    return orderChanges.recordReturn(this.client, orderCode, lines, opts);
  }

  async importOrder(order: Order, opts: { customerId: string; salesperson?: string }) {
    const company = await this.companyInfo();
    const records = z.array(z.object({ id: z.number(), code: z.string().nullable(), sale_uom: z.number().nullable(), default_uom: z.number() })).parse(
      await this.client.searchRead('product.product', [['code', 'in', order.lines.map((l) => l.sku)]], ['code', 'sale_uom', 'default_uom']));
    const productIds = new Map(records.map((r) => [r.code ?? '', { id: r.id, uom: r.sale_uom ?? r.default_uom }]));
    return importOrder(this.client, company, productIds, order, opts);
  }

  // ---- product images: image attachments on the template (see images.ts) ----
  listImages(sku: string) { return images.listImages(this.client, sku); }
  openImage(image: StoredImage) { return images.openImage(this.client, image); }
  putImage(sku: string, file: ImageFile) { return images.putImage(this.client, sku, file); }
  setImages(sku: string, list: { ref: string; sha256: string }[], featuredRef: string | null) { return images.setImages(this.client, sku, list, featuredRef); }
  // ---- reference sets: store tax rates as taxes, shipping methods as carriers (see reference-sets.ts)
  async listSalesTaxes() { return refdata.listSalesTaxes(this.client, await this.companyInfo()); }
  async putSalesTax(key: string, value: SalesTaxValue, existingId: string | null) { return refdata.putSalesTax(this.client, await this.companyInfo(), key, value, existingId); }
  async listShippingMethods() { await this.companyInfo(); return refdata.listShippingMethods(this.client); }
  async putShippingMethod(code: string, value: ShippingMethodValue, existingId: string | null) {
    return refdata.putShippingMethod(this.client, await this.companyInfo(), code, value, existingId);
  }
}

const nonEmpty = z.string().min(1);

/** `systems.inventory` when `type: tryton`. */
const TrytonConnection = z.object({
  type: z.literal('tryton'),
  url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8000'),
  database: nonEmpty.default('tryton'),
  username: nonEmpty.default('admin'),
  password: nonEmpty,
  /** warehouse code or name; null = the first warehouse */
  warehouse: nonEmpty.nullable().default(null),
  /** requests Dovetail keeps open to the system at once; the rest wait their turn */
  callsAtOnce: callsAtOnceSetting,
}).strict();

export const tryton = inventorySystem({
  system: 'tryton',
  displayName: 'Tryton',
  connection: TrytonConnection,
  capabilities: CAPABILITIES,
  create: (c, settings) => new TrytonConnector({ url: c.url, database: c.database, username: c.username, password: c.password, callsAtOnce: c.callsAtOnce,
    locations: settings.locations.length ? settings.locations : c.warehouse ? [c.warehouse] : [] }),
  setup: {
    questions: [
      { key: 'url', topic: 'inventory system address', ask: 'What is the address of your inventory system (Tryton)?', default: 'http://127.0.0.1:8000',
        because: 'Tryton listens on port 8000 of the machine it runs on unless set otherwise.', comment: 'Tryton JSON-RPC address', pattern: HTTP_ADDRESS, hint: 'an address starting with http:// or https://' },
      { key: 'database', topic: 'inventory database', ask: 'What is the name of the Tryton database?', default: 'tryton',
        because: 'a fresh Tryton install usually calls it "tryton".', comment: 'Tryton database name', pattern: /\S/, hint: 'a name' },
      { key: 'username', topic: 'inventory user', ask: 'Which Tryton user should Dovetail log in as? (its password is read from the environment variable TRYTON_PASSWORD)', default: 'admin',
        because: 'a dedicated user is better, but admin works everywhere.', comment: 'Tryton user; the password comes from TRYTON_PASSWORD', pattern: /\S/, hint: 'a user name' },
    ],
    secrets: [{ key: 'password', env: 'TRYTON_PASSWORD' }],
  },
});
