// Vendure as the store: products and stock written, orders and customers read, plus the events
// Dovetail's Vendure plugin pushes. Capabilities are listed so `dovetail check` can tell gaps.
import { z } from 'zod';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StoreShipment } from '../../model/shipment.js';
import { HTTP_ADDRESS, storeSystem, type ChangePage, type ChangeRef, type IncomingRow, type RecordKind, type StoreCapability, type StoreConnector } from '../types.js';
import { DovetailError } from '../../errors.js';
import { VendureClient, type VendureOptions } from './client.js';
import * as money from './payments.js';
import { CUSTOMER_FIELDS, CustomerNode, ORDER_FIELDS, OrderNode, toCustomer, toOrder, toProduct, VARIANT_FIELDS, VariantNode } from './mappers.js';
import { readChanges } from './reads.js';
import { parsePluginEvent } from './webhooks.js';
import { recordShipment, setAvailable, upsertProducts } from './writes.js';
import * as offline from './offline.js';
import * as changes from './order-changes.js';
import * as refdata from './reference-sets.js';
import type { SalesTaxValue, ShippingMethodValue } from '../../model/reference-sets.js';
import * as customers from './customers.js';
import type { OfflineSale } from '../../model/offline-order.js';
import type { StoredImage } from '../../model/image.js';
import type { ImageFile } from '../image-files.js';
import * as images from './images.js';
import { setIncoming } from './incoming.js';
import { callsAtOnceSetting } from '../calls-at-once.js';

export interface VendureConnectorOptions extends VendureOptions { webhookSecret: string }

const CHUNK = 100;

/** Custom fields DovetailPlugin adds and this connector reads and writes (dimensions, shipments). */
const PLUGIN_CUSTOM_FIELDS = ['ProductVariant.weight', 'ProductVariant.length', 'ProductVariant.width', 'ProductVariant.height',
  'Fulfillment.dovetailRef', 'Fulfillment.shippedOn', 'Fulfillment.notifyCustomer',
  // master.priceLevels: every variant read asks for it, so a plugin from before it is told at ping
  'ProductVariant.dovetailGroupPrices'];

/** Everything a store can carry: Vendure with Dovetail's plugin is the reference store connector. */
const CAPABILITIES = ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'offlineOrders', 'accounts', 'webhooks',
  'images', 'taxes', 'shippingMethods', 'incoming', 'customerEdits', 'reconcile'] as const satisfies readonly StoreCapability[];

export class VendureConnector implements StoreConnector {
  readonly system = 'vendure';
  readonly side = 'store';
  readonly capabilities = CAPABILITIES;
  readonly client: VendureClient;

  constructor(private readonly opts: VendureConnectorOptions) {
    this.client = new VendureClient(opts);
  }

  /** Reachable, the credentials accepted (the query logs in), and Dovetail's plugin installed. */
  async ping() {
    const r = await this.client.admin(`query Ping { activeChannel { code defaultCurrencyCode }
      globalSettings { serverConfig { entityCustomFields { entityName customFields { ... on CustomField { name } } } } } }`, {},
      z.object({ activeChannel: z.object({ code: z.string(), defaultCurrencyCode: z.string() }),
        globalSettings: z.object({ serverConfig: z.object({ entityCustomFields: z.array(z.object({ entityName: z.string(), customFields: z.array(z.object({ name: z.string() })) })) }) }) }));
    const present = new Set(r.globalSettings.serverConfig.entityCustomFields.flatMap((e) => e.customFields.map((f) => `${e.entityName}.${f.name}`)));
    const missing = PLUGIN_CUSTOM_FIELDS.filter((f) => !present.has(f));
    if (missing.length) {
      throw new DovetailError('config', `Vendure at ${this.client.url} lacks the custom fields of Dovetail's plugin (${missing.join(', ')}): install DovetailPlugin (src/connectors/vendure/plugin/README.md)`);
    }
    return { version: `channel ${r.activeChannel.code} (${r.activeChannel.defaultCurrencyCode}), Dovetail's plugin installed` };
  }

  readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    if (kind === 'payment' || kind === 'refund') return money.moneyChanges(this.client, kind, cursor);
    return readChanges(this.client, kind, cursor);
  }

  parseWebhook(rawBody: Uint8Array, headers: Record<string, string | undefined>): ChangeRef[] {
    return parsePluginEvent(rawBody, headers, this.opts.webhookSecret);
  }

  private async variantsBySku(skus: string[]): Promise<Map<string, VariantNode>> {
    const out = new Map<string, VariantNode>();
    for (let i = 0; i < skus.length; i += CHUNK) {
      const chunk = skus.slice(i, i + CHUNK);
      const r = await this.client.admin(`query VariantsBySku($o: ProductVariantListOptions) { productVariants(options: $o) { items { ${VARIANT_FIELDS} } } }`,
        { o: { filter: { sku: { in: chunk } }, take: chunk.length } }, z.object({ productVariants: z.object({ items: z.array(VariantNode) }) }));
      for (const v of r.productVariants.items) out.set(v.sku, v);
    }
    return out;
  }

  async getProducts(skus: string[]): Promise<Map<string, Product>> {
    const variants = await this.variantsBySku(skus);
    return new Map([...variants].map(([sku, v]) => [sku, toProduct(v)]));
  }

  async listSkus(offset: number, limit: number): Promise<string[]> {
    const r = await this.client.admin(`query Skus($o: ProductVariantListOptions) { productVariants(options: $o) { items { sku } } }`,
      { o: { skip: offset, take: limit, sort: { id: 'ASC' } } }, z.object({ productVariants: z.object({ items: z.array(z.object({ sku: z.string() })) }) }));
    return r.productVariants.items.map((v) => v.sku);
  }

  async upsertProducts(rows: { product: Product; groups: FieldGroup[] }[]) {
    return upsertProducts(this.client, rows, (skus) => this.variantsBySku(skus));
  }

  async setAvailable(rows: { sku: string; available: number }[]) {
    return setAvailable(this.client, rows, await this.variantsBySku(rows.map((r) => r.sku)));
  }

  setIncoming(rows: IncomingRow[]) { return setIncoming(this.client, rows); }

  /** Each variant's stockOnHand (what setAvailable writes): one read per 100 SKUs. */
  async getAvailable(skus: string[]): Promise<Map<string, number>> {
    return new Map([...(await this.variantsBySku(skus))].map(([sku, v]) => [sku, v.stockOnHand]));
  }

  async getOrder(code: string): Promise<Order | null> {
    const r = await this.client.admin(`query OrderByCode($o: OrderListOptions) { orders(options: $o) { items { ${ORDER_FIELDS} } } }`,
      { o: { filter: { code: { eq: code } }, take: 1 } }, z.object({ orders: z.object({ items: z.array(OrderNode) }) }));
    const node = r.orders.items[0];
    return node ? toOrder(node) : null;
  }

  async listOrderCodes(offset: number, limit: number): Promise<string[]> {
    const r = await this.client.admin(`query PlacedOrders($o: OrderListOptions) { orders(options: $o) { items { code } } }`,
      { o: { filter: { active: { eq: false } }, sort: { orderPlacedAt: 'ASC' }, skip: offset, take: limit } },
      z.object({ orders: z.object({ items: z.array(z.object({ code: z.string() })) }) }));
    return r.orders.items.map((o) => o.code);
  }

  async listOrderCodesSince(sinceIso: string, offset: number, limit: number): Promise<string[]> {
    const r = await this.client.admin(`query PlacedOrdersSince($o: OrderListOptions) { orders(options: $o) { items { code } } }`,
      { o: { filter: { active: { eq: false }, orderPlacedAt: { after: sinceIso } }, sort: { orderPlacedAt: 'ASC' }, skip: offset, take: limit } },
      z.object({ orders: z.object({ items: z.array(z.object({ code: z.string() })) }) }));
    return r.orders.items.map((o) => o.code);
  }

  // ---- money: payments, partial capture (Dovetail's plugin), refunds (see payments.ts)
  getPayments(orderCode: string) { return money.getPayments(this.client, orderCode); }
  capturePayment(orderCode: string, amountMinor: number, key: string) { return money.capturePayment(this.client, orderCode, amountMinor, key); }
  refundPayment(orderCode: string, amountMinor: number, key: string, note: string) { return money.refundPayment(this.client, orderCode, amountMinor, key, note); }

  // ---- changes to a placed order: cancellations, returns, edits (see order-changes.ts) ----
  getOrderLines(orderCodes: string[]) { return changes.getOrderLines(this.client, orderCodes); }
  cancelOrderUnits(orderCode: string, lines: { sku: string; quantity: number }[], opts: { kind: 'cancel' | 'return'; reason: string }) {
    return changes.cancelOrderUnits(this.client, orderCode, lines, opts);
  }
  raiseOrderQuantities(orderCode: string, lines: { sku: string; quantity: number }[], note: string) { return changes.raiseOrderQuantities(this.client, orderCode, lines, note); }
  releaseAuthorisation(orderCode: string, note: string) { return changes.releaseAuthorisation(this.client, orderCode, note); }

  recordShipment(orderCode: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }) {
    return recordShipment(this.client, orderCode, shipment, opts);
  }

  async getCustomer(email: string): Promise<Customer | null> {
    const r = await this.client.admin(`query CustomerByEmail($o: CustomerListOptions) { customers(options: $o) { items { ${CUSTOMER_FIELDS} } } }`,
      { o: { filter: { emailAddress: { eq: email } }, take: 1 } }, z.object({ customers: z.object({ items: z.array(CustomerNode) }) }));
    const c = r.customers.items[0];
    return c ? toCustomer(c) : null;
  }

  async listCustomerEmails(offset: number, limit: number): Promise<string[]> {
    const r = await this.client.admin(`query CustomerEmails($o: CustomerListOptions) { customers(options: $o) { items { emailAddress } } }`,
      { o: { skip: offset, take: limit, sort: { id: 'ASC' } } }, z.object({ customers: z.object({ items: z.array(z.object({ emailAddress: z.string() })) }) }));
    return r.customers.items.map((c) => c.emailAddress);
  }

  // ---- orders and customers that start in the inventory system (see offline.ts) ----
  // ---- a customer's later edits (master.customers; see customers.ts) ----
  findCustomerId(email: string) { return customers.findCustomerId(this.client, email); }
  getCustomerById(id: string) { return customers.getCustomerById(this.client, id); }
  updateCustomerDetails(id: string, customer: Customer) { return customers.updateCustomerDetails(this.client, id, customer); }

  findCustomerAccount(email: string) { return offline.findCustomerAccount(this.client, email); }
  createCustomerAccount(customer: Customer, opts: { invite: boolean }) { return offline.createCustomerAccount(this.client, customer, opts); }
  inviteCustomer(email: string) { return offline.inviteCustomer(this.client, email); }
  addCustomerAddresses(customerId: string, addresses: Customer['addresses']) { return offline.addCustomerAddresses(this.client, customerId, addresses); }
  findOfflineOrder(ref: string) { return offline.findOfflineOrder(this.client, ref); }
  startOfflineOrder(sale: OfflineSale, opts: { ref: string }) { return offline.startOfflineOrder(this.client, sale, opts); }
  placeOfflineOrder(code: string, sale: OfflineSale, opts: { customerId: string | null }) { return offline.placeOfflineOrder(this.client, code, sale, opts); }

  // ---- product images: the product's assets (see images.ts) ----
  listImages(sku: string) { return images.listImages(this.client, sku); }
  openImage(image: StoredImage) { return images.openImage(this.client, image); }
  putImage(_sku: string, file: ImageFile) { return images.putImage(this.client, file); }
  setImages(sku: string, list: { ref: string; sha256: string }[], featuredRef: string | null) { return images.setImages(this.client, sku, list, featuredRef); }
  // ---- reference sets: tax rates and shipping methods (see reference-sets.ts) ----
  listSalesTaxes() { return refdata.listSalesTaxes(this.client); }
  putSalesTax(key: string, value: SalesTaxValue, existingId: string | null) { return refdata.putSalesTax(this.client, key, value, existingId); }
  listShippingMethods() { return refdata.listShippingMethods(this.client); }
  putShippingMethod(code: string, value: ShippingMethodValue, existingId: string | null) { return refdata.putShippingMethod(this.client, code, value, existingId); }
}

const nonEmpty = z.string().min(1);

/** `systems.store` when `type: vendure`. */
const VendureConnection = z.object({
  type: z.literal('vendure'),
  url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  channelToken: nonEmpty.nullable().default(null),
  username: nonEmpty.default('superadmin'),
  password: nonEmpty,
  /** shared secret of the store's webhooks; signatures are checked with it before anything is queued */
  webhookSecret: z.string().min(16, { message: 'must be at least 16 characters, so it cannot be guessed' }),
  /** requests Dovetail keeps open to the system at once; the rest wait their turn */
  callsAtOnce: callsAtOnceSetting,
}).strict();

export const vendure = storeSystem({
  system: 'vendure',
  displayName: 'Vendure',
  connection: VendureConnection,
  capabilities: CAPABILITIES,
  create: (c) => new VendureConnector({ url: c.url, username: c.username, password: c.password, channelToken: c.channelToken, webhookSecret: c.webhookSecret, callsAtOnce: c.callsAtOnce }),
  setup: {
    questions: [
      { key: 'url', topic: 'online store address', ask: 'What is the address of your online store (Vendure)?', default: 'http://127.0.0.1:3000',
        because: 'Vendure listens on port 3000 unless set otherwise.', comment: 'Vendure address (Admin API at /admin-api)', pattern: HTTP_ADDRESS, hint: 'an address starting with http:// or https://' },
      { key: 'username', topic: 'store user', ask: 'Which Vendure administrator should Dovetail log in as? (its password is read from VENDURE_PASSWORD)', default: 'superadmin',
        because: 'it is the administrator every Vendure starts with.', comment: 'Vendure administrator; the password comes from VENDURE_PASSWORD', pattern: /\S/, hint: 'a user name' },
    ],
    secrets: [
      { key: 'password', env: 'VENDURE_PASSWORD' },
      { key: 'webhookSecret', env: 'DOVETAIL_WEBHOOK_SECRET', comment: "at least 16 characters, shared with the store's Dovetail plugin" },
    ],
  },
});
