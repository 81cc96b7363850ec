// A local stand-in for Shopify's GraphQL Admin endpoint on 127.0.0.1: a leaky-bucket cost
// budget on a virtual clock, compare-and-set inventory, payments with idempotency keys, bulk
// operations. Answers have the documented shapes; every request is recorded for assertions.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPERATIONS } from '../../../src/connectors/shopify/operations.js';

export interface Recorded { name: string; variables: Record<string, unknown>; status: number }

export interface Item {
  sku: string; variantId: string; inventoryItemId: string; productId: string; levels: Map<string, number>;
  /** as created by productSet (absent: the fake's placeholders) */
  title?: string; price?: string;
}

export interface FakeOrder {
  id: string; currencyCode: string; capturableMinor: number;
  transactions: { id: string; kind: string; status: string; gateway: string; amount: string; parentId: string | null }[];
  refunds: { id: string; note: string; amount: string }[];
}

/** A customer of the change listing. */
export interface FakeCustomer { id: string; email: string | null; updatedAt: string }
/** An order of the change listing; `node`, when set, is what OrderById answers for it. */
export interface ListedOrder { legacyResourceId: string; updatedAt: string; node?: Json }

type Json = Record<string, unknown>;
type Handler = (vars: Json, fake: FakeShopify) => Json;

/** A virtual clock shared by the fake's bucket and the client's injected now/sleep. */
export class VirtualClock {
  ms = 0;
  slept: number[] = [];
  now = () => this.ms;
  sleep = async (ms: number) => { this.slept.push(ms); this.ms += ms; };
}

export class FakeShopify {
  readonly requests: Recorded[] = [];
  readonly items = new Map<string, Item>();
  readonly orders = new Map<string, FakeOrder>();
  readonly refundKeys = new Map<string, string>();
  /** `updatedAt` of each product (by product id) in the change listing; unset: DEFAULT_STAMP */
  readonly productStamps = new Map<string, string>();
  readonly customers = new Map<string, FakeCustomer>();
  readonly listedOrders = new Map<string, ListedOrder>();
  /** customerSet writes, by email */
  readonly customerWrites = new Map<string, Json>();
  shopCurrency = 'EUR';
  bucket = { maximumAvailable: 1000, currentlyAvailable: 1000, restoreRate: 50, at: 0 };
  /** answer this HTTP status instead, before (`before`) or after (`after`) applying the call */
  readonly failures: { name: string; nth: number; status: number; when: 'before' | 'after' }[] = [];
  /** runs before an operation is applied (a concurrent change in the shop) */
  readonly hooks = new Map<string, (fake: FakeShopify, nth: number) => void>();
  /** bulk: JSONL served at /bulk.jsonl once the operation is polled `bulkPollsToFinish` times */
  bulkPollsToFinish = 1;
  bulkJsonl = '';
  private bulkPolls = 0;
  private counts = new Map<string, number>();
  private server = createServer((req, res) => void this.serve(req, res));
  url = '';

  constructor(readonly clock: VirtualClock) {}

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  calls(name: string): Recorded[] { return this.requests.filter((r) => r.name === name); }

  addItem(sku: string, levels: Record<string, number>, productId = `gid://shopify/Product/${this.items.size + 1}`): Item {
    const n = this.items.size + 1;
    const item = { sku, variantId: `gid://shopify/ProductVariant/${n}`, inventoryItemId: `gid://shopify/InventoryItem/${n}`, productId, levels: new Map(Object.entries(levels)) };
    this.items.set(sku, item);
    return item;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/bulk.jsonl') { res.writeHead(200, { 'content-type': 'application/jsonl' }).end(this.bulkJsonl); return; }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; operationName: string; variables: Json };
    const name = body.operationName;
    const op = OPERATIONS.find((o) => o.name === name);
    const nth = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, nth);
    const send = (status: number, json: unknown) => {
      this.requests.push({ name, variables: body.variables, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    if (!op || op.document !== body.query) { send(200, { errors: [{ message: `unknown document ${name}` }] }); return; }
    const failure = this.failures.find((f) => f.name === name && f.nth === nth);
    if (failure?.when === 'before') { send(failure.status, { errors: 'Service Unavailable' }); return; }

    // leaky bucket on the virtual clock
    const b = this.bucket;
    b.currentlyAvailable = Math.min(b.maximumAvailable, b.currentlyAvailable + (b.restoreRate * (this.clock.ms - b.at)) / 1000);
    b.at = this.clock.ms;
    const cost = op.cost ?? 10;
    const status = () => ({ maximumAvailable: b.maximumAvailable, currentlyAvailable: Math.floor(b.currentlyAvailable), restoreRate: b.restoreRate });
    if (cost > b.currentlyAvailable) {
      send(200, { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }], extensions: { cost: { requestedQueryCost: cost, actualQueryCost: null, throttleStatus: status() } } });
      return;
    }
    b.currentlyAvailable -= cost;
    this.hooks.get(name)?.(this, nth);
    const handler = HANDLERS[name];
    if (!handler) { send(200, { errors: [{ message: `the fake has no handler for ${name}` }] }); return; }
    const data = handler(body.variables, this);
    if (failure?.when === 'after') { send(failure.status, { errors: 'Bad Gateway' }); return; }
    send(200, { data, extensions: { cost: { requestedQueryCost: cost, actualQueryCost: cost, throttleStatus: status() } } });
  }

  /**
   * Places a web order: listed by OrdersUpdatedSince, answered by OrderById, and returned as the
   * `orders/create` delivery Shopify would push for it, signed with `secret`.
   */
  placeOrder(order: { id: string; name: string; updatedAt: string; email: string; currency: string; address: Json;
    lines: { sku: string; quantity: number; unitPrice: string }[] }, secret: string): { body: string; headers: Record<string, string> } {
    const money = (amount: string) => ({ shopMoney: { amount, currencyCode: order.currency } });
    const total = order.lines.reduce((sum, l) => sum + toMinor(l.unitPrice) * l.quantity, 0);
    const node = {
      id: `gid://shopify/Order/${order.id}`, legacyResourceId: order.id, name: order.name, createdAt: order.updatedAt, updatedAt: order.updatedAt,
      cancelledAt: null, currencyCode: order.currency, taxesIncluded: false, displayFinancialStatus: 'PAID', sourceName: 'web',
      email: order.email, phone: null, customer: { firstName: order.address.firstName, lastName: order.address.lastName, defaultEmailAddress: { emailAddress: order.email } },
      shippingAddress: order.address, billingAddress: order.address, totalPriceSet: money(fromMinor(total)), totalTaxSet: money('0.00'), discountCodes: [],
      lineItems: { nodes: order.lines.map((l, i) => ({ id: `gid://shopify/LineItem/${order.id}${i}`, sku: l.sku, name: l.sku, quantity: l.quantity, currentQuantity: l.quantity,
        originalUnitPriceSet: money(l.unitPrice), originalTotalSet: money(fromMinor(toMinor(l.unitPrice) * l.quantity)), discountAllocations: [], taxLines: [] })),
      pageInfo: { hasNextPage: false, endCursor: null } },
      shippingLines: { nodes: [] },
    };
    this.listedOrders.set(order.id, { legacyResourceId: order.id, updatedAt: order.updatedAt, node });
    const body = JSON.stringify({ id: Number(order.id), admin_graphql_api_id: node.id, name: order.name, email: order.email, updated_at: order.updatedAt });
    return { body, headers: {
      'content-type': 'application/json', 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': `create-${order.id}`,
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'), 'x-shopify-shop-domain': 'fake.myshopify.com',
      'x-shopify-triggered-at': order.updatedAt,
    } };
  }

  pollBulk(): Json {
    this.bulkPolls++;
    const done = this.bulkPolls >= this.bulkPollsToFinish;
    return { bulkOperation: { id: 'gid://shopify/BulkOperation/1', status: done ? 'COMPLETED' : 'RUNNING', errorCode: null, objectCount: String(this.items.size), url: done ? `${this.url}/bulk.jsonl` : null, partialDataUrl: null } };
  }
}

/** Shopify's documented limits, refused with a user error */
const MAX_QUANTITY = 1_000_000_000;

const skusIn = (query: unknown): string[] => [...String(query).matchAll(/sku:"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
const money = (amount: string, currencyCode: string) => ({ shopMoney: { amount, currencyCode } });
const toMinor = (s: string) => Math.round(Number(s) * 100);
const fromMinor = (n: number) => (n / 100).toFixed(2);

export const DEFAULT_STAMP = '2026-01-01T00:00:00Z';
const legacyId = (gid: string) => Number(gid.slice(gid.lastIndexOf('/') + 1));

/**
 * The search terms the change listings send, joined by AND: `updated_at:>=` / `<=` / `>` with a
 * quoted time, and `id:>` a number. Anything else is refused, so a new query shape fails loudly.
 */
function matchesSearch(query: unknown, row: { updatedAt: string; id: number }): boolean {
  const q = String(query ?? '').trim();
  if (!q) return true;
  return q.split(' AND ').every((term) => {
    const stamp = /^updated_at:(>=|<=|>)"([^"]+)"$/.exec(term);
    if (stamp) {
      const [a, b] = [Date.parse(row.updatedAt), Date.parse(stamp[2]!)];
      return stamp[1] === '>=' ? a >= b : stamp[1] === '<=' ? a <= b : a > b;
    }
    const id = /^id:>(\d+)$/.exec(term);
    if (id) return row.id > Number(id[1]);
    throw new Error(`the fake does not understand the search term ${term}`);
  });
}

/**
 * One page of a change listing from its start. Shopify promises no order among rows of one
 * stamp under UPDATED_AT, so the fake gives them the least convenient one: highest id first.
 */
function listingPage<T>(rows: T[], vars: Json, first: number, keyOf: (row: T) => { updatedAt: string; id: number }): { nodes: T[]; pageInfo: Json } {
  const byId = (a: T, b: T) => keyOf(a).id - keyOf(b).id;
  const sorted = rows.filter((r) => matchesSearch(vars.query, keyOf(r))).sort(vars.sortKey === 'ID' ? byId
    : (a, b) => Date.parse(keyOf(a).updatedAt) - Date.parse(keyOf(b).updatedAt) || -byId(a, b));
  return { nodes: sorted.slice(0, first), pageInfo: { hasNextPage: sorted.length > first } };
}

const HANDLERS: Record<string, Handler> = {
  // ---- what `dovetail run` asks of a shop besides writes: orders by id, customers, listings by offset
  OrderById: (v, f) => ({ order: [...f.listedOrders.values()].find((o) => `gid://shopify/Order/${o.legacyResourceId}` === v.id)?.node ?? null }),
  OrderIdByName: (v, f) => ({ orders: { nodes: [...f.listedOrders.values()].filter((o) => o.node && `name:"${String(o.node.name)}"` === v.query)
    .map((o) => ({ id: `gid://shopify/Order/${o.legacyResourceId}`, legacyResourceId: o.legacyResourceId })) } }),
  OrderIdPage: (_v, f) => ({ orders: { nodes: [...f.listedOrders.values()].map((o) => ({ legacyResourceId: o.legacyResourceId })), pageInfo: { hasNextPage: false, endCursor: null } } }),
  SkuPage: (_v, f) => ({ productVariants: { nodes: [...f.items.keys()].map((sku) => ({ sku })), pageInfo: { hasNextPage: false, endCursor: null } } }),
  CustomerEmailPage: (_v, f) => ({ customers: { nodes: [...f.customers.values()].map((c) => ({ defaultEmailAddress: c.email === null ? null : { emailAddress: c.email } })), pageInfo: { hasNextPage: false, endCursor: null } } }),
  CustomerByEmail: () => ({ customerByIdentifier: null }),
  CustomerSet: (v, f) => {
    f.customerWrites.set(String(v.email), v.input as Json);
    return { customerSet: { customer: { id: `gid://shopify/Customer/${f.customerWrites.size}` }, userErrors: [] } };
  },

  ProductsUpdatedSince: (v, f) => {
    const products = new Map<string, string[]>();
    for (const it of f.items.values()) products.set(it.productId, [...(products.get(it.productId) ?? []), it.sku]);
    const rows = [...products].map(([id, skus]) => ({ id, updatedAt: f.productStamps.get(id) ?? DEFAULT_STAMP,
      variants: { nodes: skus.slice(0, 35).map((sku) => ({ sku })), pageInfo: { hasNextPage: skus.length > 35 } } }));
    return { products: listingPage(rows, v, 25, (p) => ({ updatedAt: p.updatedAt, id: legacyId(p.id) })) };
  },
  CustomersUpdatedSince: (v, f) => ({ customers: listingPage([...f.customers.values()].map((c) => ({ id: c.id, updatedAt: c.updatedAt,
    defaultEmailAddress: c.email === null ? null : { emailAddress: c.email } })), v, 250, (c) => ({ updatedAt: c.updatedAt, id: legacyId(c.id) })) }),
  OrdersUpdatedSince: (v, f) => ({ orders: listingPage([...f.listedOrders.values()].map((o) => ({ legacyResourceId: o.legacyResourceId, updatedAt: o.updatedAt })),
    v, 250, (o) => ({ updatedAt: o.updatedAt, id: Number(o.legacyResourceId) })) }),

  ShopInfo: (_v, f) => ({ shop: { name: 'Fake', myshopifyDomain: 'fake.myshopify.com', currencyCode: f.shopCurrency } }),

  InventoryAtLocation: (v, f) => ({
    inventoryItems: { nodes: skusIn(v.query).flatMap((sku) => {
      const it = f.items.get(sku);
      if (!it) return [];
      const q = it.levels.get(String(v.locationId));
      return [{ id: it.inventoryItemId, sku, inventoryLevel: q === undefined ? null : { id: `${it.inventoryItemId}-${String(v.locationId)}`, quantities: [{ name: 'available', quantity: q }] } }];
    }) },
  }),

  // compare-and-set, all or nothing: one stale row and nothing in the call is applied
  InventorySetQuantities: (v, f) => {
    const input = v.input as { quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity: number | null }[] };
    const byItem = new Map([...f.items.values()].map((i) => [i.inventoryItemId, i]));
    const userErrors: Json[] = [];
    input.quantities.forEach((q, i) => {
      if (q.quantity > MAX_QUANTITY) userErrors.push({ code: 'INVALID_QUANTITY_TOO_HIGH', field: ['input', 'quantities', String(i), 'quantity'], message: `The quantity can't be higher than ${MAX_QUANTITY}.` });
      if (!('changeFromQuantity' in q)) userErrors.push({ code: 'CHANGE_FROM_QUANTITY_REQUIRED', field: ['input', 'quantities', String(i)], message: 'changeFromQuantity is required' });
      const current = byItem.get(q.inventoryItemId)?.levels.get(q.locationId) ?? 0;
      if (q.changeFromQuantity !== null && q.changeFromQuantity !== current) {
        userErrors.push({ code: 'CHANGE_FROM_QUANTITY_STALE', field: ['input', 'quantities', String(i), 'changeFromQuantity'], message: 'The changeFromQuantity value does not match persisted value.' });
      }
    });
    if (input.quantities.length > 250) userErrors.push({ code: null, field: ['input', 'quantities'], message: 'too many' });
    if (userErrors.length) return { inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors } };
    for (const q of input.quantities) byItem.get(q.inventoryItemId)!.levels.set(q.locationId, q.quantity);
    return { inventorySetQuantities: { inventoryAdjustmentGroup: { id: 'gid://shopify/InventoryAdjustmentGroup/1' }, userErrors: [] } };
  },

  InventoryActivate: (v, f) => {
    const it = [...f.items.values()].find((i) => i.inventoryItemId === v.inventoryItemId)!;
    it.levels.set(String(v.locationId), 0);
    return { inventoryActivate: { inventoryLevel: { id: 'gid://shopify/InventoryLevel/1' }, userErrors: [] } };
  },

  BulkRunQuery: () => ({ bulkOperationRunQuery: { bulkOperation: { id: 'gid://shopify/BulkOperation/1', status: 'CREATED' }, userErrors: [] } }),
  BulkOperationStatus: (_v, f) => f.pollBulk(),

  VariantsBySku: (v, f) => ({
    productVariants: { nodes: skusIn(v.query).flatMap((sku) => {
      const it = f.items.get(sku);
      return it ? [{
        id: it.variantId, sku, title: sku, price: it.price ?? '10.00', updatedAt: '2026-01-01T00:00:00Z', selectedOptions: [{ name: 'Variant', value: sku }],
        inventoryItem: { id: it.inventoryItemId, measurement: { weight: null } }, metafields: { nodes: [] },
        product: { id: it.productId, title: it.title ?? 'P', descriptionHtml: '', status: 'ACTIVE', updatedAt: '2026-01-01T00:00:00Z', groupKey: null },
      }] : [];
    }) },
  }),
  ProductByGroupKey: () => ({ productByIdentifier: null }),
  ProductCreate: (v, f) => {
    const input = v.input as { title: string; variants: { price?: string; inventoryItem: { sku: string } }[] };
    if (input.title.length > 255) return { productSet: { product: null, userErrors: [{ code: 'INVALID_INPUT', field: ['input', 'title'], message: 'Title is too long (maximum is 255 characters)' }] } };
    const productId = `gid://shopify/Product/new-${f.requests.length}`;
    for (const variant of input.variants) Object.assign(f.addItem(variant.inventoryItem.sku, {}, productId), { title: input.title, price: variant.price });
    return { productSet: { product: { id: productId, variants: { nodes: [] } }, userErrors: [] } };
  },
  ProductUpdate: () => ({ productUpdate: { product: { id: 'x' }, userErrors: [] } }),
  VariantsBulkUpdate: () => ({ productVariantsBulkUpdate: { productVariants: [], userErrors: [] } }),

  OrderPayments: (v, f) => {
    const o = f.orders.get(String(v.id));
    if (!o) return { order: null };
    return { order: {
      id: o.id, currencyCode: o.currencyCode, totalCapturableSet: money(fromMinor(o.capturableMinor), o.currencyCode),
      transactions: o.transactions.map((t) => ({ id: t.id, kind: t.kind, status: t.status, gateway: t.gateway, amountSet: money(t.amount, o.currencyCode), parentTransaction: t.parentId ? { id: t.parentId } : null })),
      refunds: o.refunds.map((r) => ({ id: r.id, note: r.note, totalRefundedSet: money(r.amount, o.currencyCode) })),
    } };
  },
  OrderCapture: (v, f) => {
    const input = v.input as { id: string; parentTransactionId: string; amount: string };
    const o = f.orders.get(input.id)!;
    if (toMinor(input.amount) > o.capturableMinor) return { orderCapture: { transaction: null, userErrors: [{ field: ['amount'], message: 'exceeds capturable' }] } };
    o.capturableMinor -= toMinor(input.amount);
    const tx = { id: `gid://shopify/OrderTransaction/${o.transactions.length + 100}`, kind: 'CAPTURE', status: 'SUCCESS', gateway: 'shopify_payments', amount: input.amount, parentId: input.parentTransactionId };
    o.transactions.push(tx);
    return { orderCapture: { transaction: { id: tx.id, kind: tx.kind, status: tx.status, amountSet: money(tx.amount, o.currencyCode) }, userErrors: [] } };
  },
  // idempotent by key, as Shopify documents: a repeat with the same key returns the first result
  RefundCreate: (v, f) => {
    const input = v.input as { orderId: string; note: string; transactions: { parentId: string; amount: string }[] };
    const key = String(v.key);
    const o = f.orders.get(input.orderId)!;
    const earlier = f.refundKeys.get(key);
    const found = earlier ? o.refunds.find((r) => r.id === earlier) : undefined;
    if (found) return { refundCreate: { refund: { id: found.id, note: found.note, totalRefundedSet: money(found.amount, o.currencyCode) }, userErrors: [] } };
    const total = input.transactions.reduce((s, t) => s + toMinor(t.amount), 0);
    const refund = { id: `gid://shopify/Refund/${o.refunds.length + 1}`, note: input.note, amount: fromMinor(total) };
    o.refunds.push(refund);
    for (const t of input.transactions) o.transactions.push({ id: `gid://shopify/OrderTransaction/${o.transactions.length + 200}`, kind: 'REFUND', status: 'SUCCESS', gateway: 'shopify_payments', amount: t.amount, parentId: t.parentId });
    f.refundKeys.set(key, refund.id);
    return { refundCreate: { refund: { id: refund.id, note: refund.note, totalRefundedSet: money(refund.amount, o.currencyCode) }, userErrors: [] } };
  },
};
