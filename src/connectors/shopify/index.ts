// The Shopify store connector: every store capability of the contract over the GraphQL Admin API,
// each area in its own file (fulfilment, payments, order-changes, offline, accounts); this class only wires them.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { OfflineSale } from '../../model/offline-order.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import type { CaptureResult, OrderMoney, RefundResult } from '../../model/payment.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StoreShipment } from '../../model/shipment.js';
import { storeSystem, type ChangePage, type ChangeRef, type RecordKind, type StockWriteResult, type StoreCapability, type StoreConnector, type WriteResult } from '../types.js';
import { API_VERSION, ShopifyClient, userErrorFailure, type ShopifyClientOptions } from './client.js';
import { GroupKeyDefinitionCreate, Locations, ShopInfo, WebhookSubscriptionCreate, WebhookSubscriptionUpdate, WebhookSubscriptions } from './operations.js';
import {
  customerPager, getCustomer, getOrder, getProducts, orderPager, readChanges, skuPager, type OffsetPager, type ShopifyContext,
} from './reads.js';
import { adjustStock, setStock, upsertCustomer, upsertProducts, type StockResult } from './writes.js';
import * as accounts from './accounts.js';
import { recordShipment } from './fulfilment.js';
import * as offline from './offline.js';
import * as changes from './order-changes.js';
import * as money from './payments.js';
import { InMemoryWebhookMemory, readWebhook, webhookSubscriptionsPlan, topicEnum, type SubscriptionPlan, type WebhookMemory, type WebhookOutcome } from './webhooks.js';

export { API_VERSION };

/** Every store capability of the contract, as Vendure carries them. */
export const SHOPIFY_CAPABILITIES = ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'offlineOrders', 'accounts', 'webhooks'] as const satisfies readonly StoreCapability[];

export interface ShopifyConnectorOptions extends ShopifyClientOptions {
  /** the app's client secret: the key of webhook signatures */
  appSecret: string;
  /** inventory warehouse name -> Shopify location id (`gid://shopify/Location/…`) */
  locations: Record<string, string>;
  /** the warehouse whose location `setAvailable` writes (the contract's single number per SKU) */
  defaultWarehouse: string;
  /** stock rows above which current quantities are read by one bulk query (default 2,000) */
  bulkThreshold?: number;
  /** seconds the polling window reaches back before its cursor (default 120) */
  pollOverlapSeconds?: number;
  /** `rules.copyAddresses` */
  copyAddresses?: boolean;
  /** public URL of Dovetail's Shopify webhook endpoint, for `check` */
  webhookUri?: string;
  webhookMemory?: WebhookMemory;
}

export class ShopifyConnector implements StoreConnector {
  readonly system = 'shopify';
  readonly side = 'store' as const;
  readonly capabilities = SHOPIFY_CAPABILITIES;
  readonly client: ShopifyClient;
  private readonly ctx: ShopifyContext;
  private readonly memory: WebhookMemory;
  private currency: string | undefined;
  private readonly skus: OffsetPager;
  private readonly orders: OffsetPager;
  private readonly customers: OffsetPager;

  constructor(private readonly opts: ShopifyConnectorOptions) {
    if (!opts.appSecret) throw new DovetailError('config', 'shopify.appSecret is required to verify webhooks');
    this.client = new ShopifyClient(opts);
    this.memory = opts.webhookMemory ?? new InMemoryWebhookMemory();
    this.ctx = {
      client: this.client,
      shopCurrency: async () => (this.currency ??= (await this.shop()).currencyCode),
      pollOverlapSeconds: opts.pollOverlapSeconds ?? 120,
      bulkThreshold: opts.bulkThreshold ?? 2000,
      noteUpdatedAt: (kind, key, at) => this.memory.noteUpdatedAt(kind, key, at),
    };
    this.skus = skuPager(this.ctx);
    this.orders = orderPager(this.ctx);
    this.customers = customerPager(this.ctx);
  }

  private async shop() {
    const d = await this.client.request(ShopInfo, {}, z.object({ shop: z.object({ name: z.string(), myshopifyDomain: z.string(), currencyCode: z.string() }) }));
    return d.shop;
  }

  async ping(): Promise<{ version: string }> {
    const shop = await this.shop();
    this.currency = shop.currencyCode;
    return { version: `Shopify Admin API ${API_VERSION} (${shop.myshopifyDomain})` };
  }

  readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    if (kind === 'payment' || kind === 'refund') return money.moneyChanges(this.ctx, kind, cursor);
    return readChanges(this.ctx, kind, cursor);
  }
  getProducts(skus: string[]): Promise<Map<string, Product>> { return getProducts(this.ctx, skus); }
  listSkus(offset: number, limit: number): Promise<string[]> { return this.skus.slice(offset, limit); }
  listOrderCodes(offset: number, limit: number): Promise<string[]> { return this.orders.slice(offset, limit); }
  listCustomerEmails(offset: number, limit: number): Promise<string[]> { return this.customers.slice(offset, limit); }
  getOrder(code: string): Promise<Order | null> { return getOrder(this.ctx, code); }
  getCustomer(email: string): Promise<Customer | null> { return getCustomer(this.ctx, email); }
  upsertProducts(rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]> { return upsertProducts(this.ctx, rows); }

  /** The contract's single number per SKU goes to the default warehouse's location; SKUs Shopify does not have are left out. */
  async setAvailable(rows: { sku: string; available: number }[]): Promise<StockWriteResult[]> {
    const locationId = this.opts.locations[this.opts.defaultWarehouse];
    // checked here, not at start, so settings without locations can still be checked and read
    if (!locationId) {
      throw new DovetailError('config', `warehouse ${JSON.stringify(this.opts.defaultWarehouse)} has no Shopify location in systems.store.locations (${Object.keys(this.opts.locations).join(', ') || 'none set'})`);
    }
    const res = await setStock(this.ctx, rows.map((r) => ({ ...r, locationId })));
    return res.filter((r) => r.reason !== 'unknown-sku').map(({ sku, written, reason, error }) => (error ? { sku, error } : { sku, written, ...(reason ? { reason } : {}) }));
  }

  /** Stock per inventory warehouse, each mapped to its Shopify location by `shopify.locations`. */
  async setAvailableAt(rows: { sku: string; warehouse: string; available: number }[]): Promise<StockResult[]> {
    const unknown = [...new Set(rows.map((r) => r.warehouse).filter((w) => !(w in this.opts.locations)))];
    if (unknown.length) throw new DovetailError('config', `warehouses without a Shopify location in shopify.locations: ${unknown.join(', ')}`);
    return setStock(this.ctx, rows.map((r) => ({ sku: r.sku, available: r.available, locationId: this.opts.locations[r.warehouse]! })));
  }

  adjustAvailable(movementId: string, rows: { sku: string; warehouse: string; delta: number }[]): Promise<void> {
    return adjustStock(this.ctx, movementId, rows.map((r) => {
      const locationId = this.opts.locations[r.warehouse];
      if (!locationId) throw new DovetailError('config', `warehouse ${r.warehouse} has no Shopify location in shopify.locations`);
      return { sku: r.sku, locationId, delta: r.delta };
    }));
  }

  upsertCustomer(customer: Customer): Promise<{ id: string }> { return upsertCustomer(this.ctx, customer, { copyAddresses: this.opts.copyAddresses ?? true }); }

  // fulfilment
  recordShipment(orderCode: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }> { return recordShipment(this.ctx, orderCode, shipment, opts); }

  // payments
  getPayments(orderCode: string): Promise<OrderMoney | null> { return money.getPayments(this.ctx, orderCode); }
  capturePayment(orderCode: string, amountMinor: number, key: string): Promise<CaptureResult> { return money.capturePayment(this.ctx, orderCode, amountMinor, key); }
  refundPayment(orderCode: string, amountMinor: number, key: string, note: string): Promise<RefundResult> { return money.refundPayment(this.ctx, orderCode, amountMinor, key, note); }

  // orderChanges
  getOrderLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>> { return changes.getOrderLines(this.ctx, orderCodes); }
  cancelOrderUnits(orderCode: string, lines: { sku: string; quantity: number }[], opts: { kind: 'cancel' | 'return'; reason: string }) { return changes.cancelOrderUnits(this.ctx, orderCode, lines, opts); }
  raiseOrderQuantities(orderCode: string, lines: { sku: string; quantity: number }[], note: string) { return changes.raiseOrderQuantities(this.ctx, orderCode, lines, note); }
  /** Shopify's void takes no reason; the engine's audit keeps `note`. */
  releaseAuthorisation(orderCode: string, _note: string): Promise<{ releasedMinor: number }> { return money.releaseAuthorisation(this.ctx, orderCode); }

  // offlineOrders
  findOfflineOrder(ref: string) { return offline.findOfflineOrder(this.ctx, ref); }
  startOfflineOrder(sale: OfflineSale, opts: { ref: string }) { return offline.startOfflineOrder(this.ctx, sale, opts); }
  placeOfflineOrder(code: string, sale: OfflineSale, opts: { customerId: string | null }) { return offline.placeOfflineOrder(this.ctx, code, sale, opts); }

  // accounts
  findCustomerAccount(email: string) { return accounts.findCustomerAccount(this.ctx, email); }
  createCustomerAccount(customer: Customer, opts: { invite: boolean }) { return accounts.createCustomerAccount(this.ctx, customer, opts); }
  inviteCustomer(email: string) { return accounts.inviteCustomer(this.ctx, email); }
  addCustomerAddresses(customerId: string, addresses: Customer['addresses']) { return accounts.addCustomerAddresses(this.ctx, customerId, addresses); }

  parseWebhook(rawBody: Uint8Array, headers: Record<string, string | undefined>): ChangeRef[] {
    return readWebhook(rawBody, headers, this.opts.appSecret, this.memory).changes;
  }
  /** Like parseWebhook, saying why nothing came out (stale, ignored topic). */
  readWebhook(rawBody: Uint8Array, headers: Record<string, string | undefined>): WebhookOutcome {
    return readWebhook(rawBody, headers, this.opts.appSecret, this.memory);
  }

  /**
   * `dovetail check`: credentials, the location mapping, the group-key metafield definition and
   * the webhook subscriptions; with `apply`, creates or repoints the subscriptions it lacks.
   */
  async check(opts: { apply: boolean }): Promise<{ version: string; problems: string[]; plan: SubscriptionPlan | null }> {
    const { version } = await this.ping();
    const problems: string[] = [];
    const loc = await this.client.request(Locations, {}, z.object({ locations: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string(), isActive: z.boolean() })) }) }));
    const active = new Set(loc.locations.nodes.filter((l) => l.isActive).map((l) => l.id));
    for (const [warehouse, id] of Object.entries(this.opts.locations)) {
      if (!active.has(id)) problems.push(`shopify.locations.${warehouse}: ${id} is not an active location of this shop`);
    }
    if (opts.apply) {
      const d = await this.client.request(GroupKeyDefinitionCreate, {}, z.object({ metafieldDefinitionCreate: z.object({ userErrors: z.array(z.object({ code: z.string().nullable(), field: z.array(z.string()).nullable(), message: z.string() })) }) }));
      const errs = d.metafieldDefinitionCreate.userErrors.filter((e) => e.code !== 'TAKEN');
      if (errs.length) problems.push(`metafield definition dovetail.group_key: ${errs.map((e) => e.message).join('; ')}`);
    }
    if (!this.opts.webhookUri) return { version, problems: [...problems, 'shopify.webhookUri is not set: webhooks not checked'], plan: null };
    const subs = await this.client.request(WebhookSubscriptions, {}, z.object({ webhookSubscriptions: z.object({ nodes: z.array(z.object({
      id: z.string(), topic: z.string(), uri: z.string(), format: z.string(), includeFields: z.array(z.string()), filter: z.string().nullable(),
    })) }) }));
    const plan = webhookSubscriptionsPlan(subs.webhookSubscriptions.nodes, this.opts.webhookUri);
    if (!opts.apply) {
      for (const c of plan.create) problems.push(`webhook ${c.topic} is not subscribed`);
      for (const u of plan.update) problems.push(`webhook ${u.topic} (${u.id}) does not deliver full JSON to ${u.uri}`);
      return { version, problems, plan };
    }
    const Result = z.object({ userErrors: z.array(z.object({ field: z.array(z.string()).nullable(), message: z.string() })) });
    for (const c of plan.create) {
      const d = await this.client.request(WebhookSubscriptionCreate, { topic: c.topic, webhookSubscription: { uri: c.uri, format: 'JSON' } }, z.object({ webhookSubscriptionCreate: Result }));
      if (d.webhookSubscriptionCreate.userErrors.length) throw userErrorFailure('webhookSubscriptionCreate', d.webhookSubscriptionCreate.userErrors, { topic: c.topic });
    }
    for (const u of plan.update) {
      const d = await this.client.request(WebhookSubscriptionUpdate, { id: u.id, webhookSubscription: { uri: u.uri, includeFields: [], filter: '' } }, z.object({ webhookSubscriptionUpdate: Result }));
      if (d.webhookSubscriptionUpdate.userErrors.length) throw userErrorFailure('webhookSubscriptionUpdate', d.webhookSubscriptionUpdate.userErrors, { topic: u.topic });
    }
    return { version, problems, plan };
  }
}

export { topicEnum };

/** `systems.store` when `type: shopify`. */
const ShopifyConnection = z.object({
  type: z.literal('shopify'),
  /** the shop's own Admin domain, e.g. my-shop.myshopify.com */
  shop: z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, { message: 'must be the shop\'s <name>.myshopify.com domain, e.g. my-shop.myshopify.com' }),
  /** the custom app's Admin API access token */
  accessToken: z.string().min(1),
  /** the app's client secret: Shopify signs every webhook with it */
  webhookSecret: z.string().min(16, { message: 'must be at least 16 characters: the app\'s client secret' }),
  /** the Admin API version this connector is schema-tested against */
  apiVersion: z.literal(API_VERSION).default(API_VERSION),
  /** inventory warehouse -> Shopify location id (gid://shopify/Location/…), where stock is written */
  locations: z.record(z.string().min(1), z.string().regex(/^gid:\/\/shopify\/Location\/\d+$/, { message: 'must be a location id like gid://shopify/Location/123' })).default({}),
  /** for proxies and tests: the Admin GraphQL address to call instead of https://<shop>/admin/api/<version>/graphql.json */
  adminUrl: z.string().regex(/^https?:\/\/[^\s/]+/, { message: 'must be an http(s) address, e.g. http://127.0.0.1:8080/admin/api/2026-10/graphql.json' }).optional(),
}).strict();

export const shopify = storeSystem({
  system: 'shopify',
  displayName: 'Shopify',
  connection: ShopifyConnection,
  capabilities: SHOPIFY_CAPABILITIES,
  cannotCarry: {
    'master.productAttributes': "Shopify's product options are not written from the inventory system's attributes yet (nor read back): variants travel by SKU with their own names",
    'master.salesTaxes': 'Shopify computes sales tax itself (Shopify Tax, or its built-in rates per country and region); its Admin API has no tax rate records to read or write',
    'master.shippingMethods': "Shopify's shipping rates live in delivery profiles (zones of rates per location group), which this connector does not read or write yet",
    'master.priceLevels': 'Shopify has prices per customer group only as B2B catalogues and Markets price lists, which depend on the shop\'s plan and price a company location or a market rather than a customer group; Dovetail does not write them, so keep level prices in Shopify by hand',
    'master.vendorsAndCosts=store': 'Dovetail does not read a Shopify variant\'s cost (its inventory item\'s unit cost) or supplier yet, so costs kept in Shopify are not copied',
  },
  create: (c, settings) => new ShopifyConnector({ shop: c.shop, accessToken: c.accessToken, endpoint: c.adminUrl, appSecret: c.webhookSecret, locations: c.locations,
    defaultWarehouse: settings.locations[0] ?? Object.keys(c.locations)[0] ?? '', copyAddresses: settings.copyAddresses }),
  setup: {
    questions: [
      { key: 'shop', topic: 'Shopify shop', ask: 'What is your shop\'s myshopify.com domain (e.g. my-shop.myshopify.com)?', default: 'my-shop.myshopify.com',
        because: 'every shop has one, whatever its own domain; it is shown under Settings → Domains.', comment: 'the shop\'s <name>.myshopify.com domain',
        pattern: /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, hint: 'a domain ending in .myshopify.com' },
    ],
    secrets: [
      { key: 'accessToken', env: 'SHOPIFY_ACCESS_TOKEN', comment: 'Admin API access token of the custom app' },
      { key: 'webhookSecret', env: 'SHOPIFY_WEBHOOK_SECRET', comment: 'the app\'s client secret, which signs webhooks' },
    ],
  },
});
