// Reading from Shopify: changes since a cursor (polling by `updated_at`, with an overlap so
// nothing committed around the cursor's edge is missed), records by key, and stock snapshots.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { ChangePage, ChangeRef, RecordKind } from '../types.js';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { Product } from '../../model/product.js';
import type { ShopifyClient } from './client.js';
import {
  GqlCustomer, GqlLineItem, GqlOrder, GqlVariant, PageInfo, legacyIdOf, orderGid, toCustomer, toOrder, toProduct,
} from './mappers.js';
import {
  CustomerByEmail, CustomerEmailPage, CustomersUpdatedSince, InventoryAtLocation, OrderById, OrderIdByName, OrderIdPage,
  OrderLineItemsPage, OrdersUpdatedSince, ProductsUpdatedSince, ProductVariantSkus, SkuPage, VariantsBySku,
} from './operations.js';

/** What every reader and writer of this connector shares. */
export interface ShopifyContext {
  client: ShopifyClient;
  /** the shop's currency, read once (ShopInfo) */
  shopCurrency(): Promise<string>;
  /** seconds the polling window reaches back before the cursor */
  pollOverlapSeconds: number;
  /** rows above which stock is read with a bulk operation instead of pages */
  bulkThreshold: number;
  /** remembers the newest `updated_at` seen per record, for stale webhook detection */
  noteUpdatedAt(kind: RecordKind, key: string, updatedAt: string): void;
}

// ---------- search syntax ----------

/** A value in Shopify's search syntax, quoted so SKUs with spaces, colons or quotes stay one term. */
export const searchValue = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
export const skuQuery = (skus: string[]) => skus.map((s) => `sku:${searchValue(s)}`).join(' OR ');
export const chunk = <T>(xs: T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

// ---------- polling cursor ----------

/** `since`: lower bound of the window; `after`: GraphQL cursor inside a sweep; `max`: newest seen. */
const Cursor = z.object({ since: z.string().nullable(), after: z.string().nullable(), max: z.string().nullable() });
type Cursor = z.infer<typeof Cursor>;

export function parseCursor(raw: string | null): Cursor {
  if (raw === null) return { since: null, after: null, max: null };
  const parsed = Cursor.safeParse(JSON.parse(raw));
  if (!parsed.success) throw permanent(`not a Shopify polling cursor: ${raw.slice(0, 100)}`);
  return parsed.data;
}

function windowQuery(c: Cursor, overlapSeconds: number): string {
  if (!c.since) return 'updated_at:>"1970-01-01T00:00:00Z"';
  const from = new Date(Date.parse(c.since) - overlapSeconds * 1000).toISOString();
  return `updated_at:>=${searchValue(from)}`;
}

function nextPage(c: Cursor, changes: ChangeRef[], page: { hasNextPage: boolean; endCursor?: string | null | undefined }, seen: string[]): ChangePage {
  const max = [c.max, ...seen].filter((x): x is string => !!x).sort((a, b) => Date.parse(a) - Date.parse(b)).at(-1) ?? null;
  const more = page.hasNextPage && !!page.endCursor;
  // inside a sweep keep the same window and follow Shopify's cursor; at its end, move the window
  const cursor = JSON.stringify(more ? { since: c.since, after: page.endCursor, max } : { since: max ?? c.since, after: null, max });
  return { changes, cursor, more };
}

const version = (id: string, updatedAt: string) => `${legacyIdOf(id)}@${updatedAt}`;

export async function readChanges(ctx: ShopifyContext, kind: RecordKind, raw: string | null): Promise<ChangePage> {
  const c = parseCursor(raw);
  const vars = { query: windowQuery(c, ctx.pollOverlapSeconds), after: c.after };
  if (kind === 'stock') {
    // the inventory system is the stock master; Shopify's own decrements come in as orders
    return { changes: [], cursor: raw ?? JSON.stringify(c), more: false };
  }
  if (kind === 'order') {
    const data = await ctx.client.request(OrdersUpdatedSince, vars, z.object({
      orders: z.object({ nodes: z.array(z.object({ legacyResourceId: z.string(), updatedAt: z.string() })), pageInfo: PageInfo }),
    }));
    const changes = data.orders.nodes.map((o): ChangeRef => {
      ctx.noteUpdatedAt('order', o.legacyResourceId, o.updatedAt);
      return { kind: 'order', key: o.legacyResourceId, sourceVersion: `${o.legacyResourceId}@${o.updatedAt}` };
    });
    return nextPage(c, changes, data.orders.pageInfo, data.orders.nodes.map((o) => o.updatedAt));
  }
  if (kind === 'customer') {
    const data = await ctx.client.request(CustomersUpdatedSince, vars, z.object({
      customers: z.object({ nodes: z.array(z.object({ id: z.string(), updatedAt: z.string(), defaultEmailAddress: z.object({ emailAddress: z.string().nullable() }).nullable() })), pageInfo: PageInfo }),
    }));
    const changes: ChangeRef[] = [];
    for (const n of data.customers.nodes) {
      const email = n.defaultEmailAddress?.emailAddress;
      if (!email) continue; // customers without email cannot be matched; orders carry their own
      ctx.noteUpdatedAt('customer', email.toLowerCase(), n.updatedAt);
      changes.push({ kind: 'customer', key: email.toLowerCase(), sourceVersion: version(n.id, n.updatedAt) });
    }
    return nextPage(c, changes, data.customers.pageInfo, data.customers.nodes.map((n) => n.updatedAt));
  }
  const data = await ctx.client.request(ProductsUpdatedSince, vars, z.object({
    products: z.object({
      nodes: z.array(z.object({ id: z.string(), updatedAt: z.string(), variants: z.object({ nodes: z.array(z.object({ sku: z.string().nullable() })), pageInfo: z.object({ hasNextPage: z.boolean() }) }) })),
      pageInfo: PageInfo,
    }),
  }));
  const changes: ChangeRef[] = [];
  for (const p of data.products.nodes) {
    const skus = p.variants.nodes.map((v) => v.sku);
    if (p.variants.pageInfo.hasNextPage) skus.splice(0, skus.length, ...(await allVariantSkus(ctx, p.id)));
    for (const sku of skus) {
      if (!sku) continue;
      ctx.noteUpdatedAt('product', sku, p.updatedAt);
      changes.push({ kind: 'product', key: sku, sourceVersion: version(p.id, p.updatedAt) });
    }
  }
  return nextPage(c, changes, data.products.pageInfo, data.products.nodes.map((p) => p.updatedAt));
}

async function allVariantSkus(ctx: ShopifyContext, productId: string): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  let after: string | null = null;
  do {
    const data: { product: { variants: { nodes: { sku: string | null }[]; pageInfo: z.infer<typeof PageInfo> } } | null } = await ctx.client.request(ProductVariantSkus, { id: productId, after }, z.object({
      product: z.object({ variants: z.object({ nodes: z.array(z.object({ sku: z.string().nullable() })), pageInfo: PageInfo }) }).nullable(),
    }));
    if (!data.product) break;
    out.push(...data.product.variants.nodes.map((v) => v.sku));
    after = data.product.variants.pageInfo.hasNextPage ? data.product.variants.pageInfo.endCursor ?? null : null;
  } while (after);
  return out;
}

// ---------- records by key ----------

export async function variantsBySku(ctx: ShopifyContext, skus: string[]): Promise<Map<string, GqlVariant>> {
  const found = new Map<string, GqlVariant>();
  for (const part of chunk([...new Set(skus)], 50)) {
    const data = await ctx.client.request(VariantsBySku, { query: skuQuery(part) }, z.object({ productVariants: z.object({ nodes: z.array(GqlVariant) }) }));
    const wanted = new Set(part);
    // Shopify's search is not an exact match: keep only the SKUs asked for
    for (const v of data.productVariants.nodes) if (v.sku && wanted.has(v.sku)) found.set(v.sku, v);
  }
  return found;
}

export async function getProducts(ctx: ShopifyContext, skus: string[]): Promise<Map<string, Product>> {
  const currency = await ctx.shopCurrency();
  const out = new Map<string, Product>();
  for (const [sku, v] of await variantsBySku(ctx, skus)) out.set(sku, toProduct(v, currency));
  return out;
}

/** The order's Shopify id from Dovetail's code (numeric id) or a name like `#1001`. */
export async function orderIdOf(ctx: ShopifyContext, code: string): Promise<string | null> {
  if (/^\d+$/.test(code)) return orderGid(code);
  if (code.startsWith('gid://shopify/Order/')) return code;
  const data = await ctx.client.request(OrderIdByName, { query: `name:${searchValue(code)}` }, z.object({
    orders: z.object({ nodes: z.array(z.object({ id: z.string(), legacyResourceId: z.string() })) }),
  }));
  return data.orders.nodes[0]?.id ?? null;
}

export async function getOrder(ctx: ShopifyContext, code: string): Promise<Order | null> {
  const id = await orderIdOf(ctx, code);
  if (!id) return null;
  const data = await ctx.client.request(OrderById, { id }, z.object({ order: GqlOrder.nullable() }));
  if (!data.order) return null;
  const extra: GqlLineItem[] = [];
  let page = data.order.lineItems.pageInfo;
  while (page.hasNextPage && page.endCursor) {
    const more = await ctx.client.request(OrderLineItemsPage, { id, after: page.endCursor }, z.object({
      order: z.object({ lineItems: z.object({ nodes: z.array(GqlLineItem), pageInfo: PageInfo }) }),
    }));
    extra.push(...more.order.lineItems.nodes);
    page = more.order.lineItems.pageInfo;
  }
  ctx.noteUpdatedAt('order', data.order.legacyResourceId, data.order.updatedAt);
  return toOrder(data.order, extra);
}

export async function getCustomer(ctx: ShopifyContext, email: string): Promise<Customer | null> {
  const data = await ctx.client.request(CustomerByEmail, { email }, z.object({ customerByIdentifier: GqlCustomer.nullable() }));
  return data.customerByIdentifier ? toCustomer(data.customerByIdentifier) : null;
}

// ---------- offset listings over cursor pagination ----------

/** Remembers where each offset starts so a first load paging forward costs one call a page. */
export class OffsetPager {
  private readonly cursors = new Map<number, string | null>([[0, null]]);
  constructor(private readonly fetchPage: (after: string | null) => Promise<{ items: string[]; hasNextPage: boolean; endCursor: string | null }>) {}

  async slice(offset: number, limit: number): Promise<string[]> {
    let start = Math.max(...[...this.cursors.keys()].filter((k) => k <= offset));
    let after = this.cursors.get(start) ?? null;
    const out: string[] = [];
    while (out.length < limit) {
      const page = await this.fetchPage(after);
      const from = Math.max(0, offset - start);
      out.push(...page.items.slice(from, from + limit - out.length));
      start += page.items.length;
      if (!page.hasNextPage || !page.endCursor) break;
      after = page.endCursor;
      this.cursors.set(start, after);
    }
    return out;
  }
}

export function skuPager(ctx: ShopifyContext): OffsetPager {
  return new OffsetPager(async (after) => {
    const d = await ctx.client.request(SkuPage, { after }, z.object({ productVariants: z.object({ nodes: z.array(z.object({ sku: z.string().nullable() })), pageInfo: PageInfo }) }));
    // offsets count only variants with a SKU, so a full page always means "there may be more"
    return { items: d.productVariants.nodes.map((n) => n.sku ?? '').filter(Boolean), hasNextPage: d.productVariants.pageInfo.hasNextPage, endCursor: d.productVariants.pageInfo.endCursor ?? null };
  });
}

export function customerPager(ctx: ShopifyContext): OffsetPager {
  return new OffsetPager(async (after) => {
    const d = await ctx.client.request(CustomerEmailPage, { after }, z.object({ customers: z.object({ nodes: z.array(z.object({ defaultEmailAddress: z.object({ emailAddress: z.string().nullable() }).nullable() })), pageInfo: PageInfo }) }));
    return { items: d.customers.nodes.map((n) => n.defaultEmailAddress?.emailAddress?.toLowerCase() ?? '').filter(Boolean), hasNextPage: d.customers.pageInfo.hasNextPage, endCursor: d.customers.pageInfo.endCursor ?? null };
  });
}

export function orderPager(ctx: ShopifyContext): OffsetPager {
  return new OffsetPager(async (after) => {
    const d = await ctx.client.request(OrderIdPage, { after }, z.object({ orders: z.object({ nodes: z.array(z.object({ legacyResourceId: z.string() })), pageInfo: PageInfo }) }));
    return { items: d.orders.nodes.map((n) => n.legacyResourceId), hasNextPage: d.orders.pageInfo.hasNextPage, endCursor: d.orders.pageInfo.endCursor ?? null };
  });
}

// ---------- stock ----------

export interface StockCell {
  inventoryItemId: string;
  /** null: the item is not stocked at that location yet */
  available: number | null;
}

/** Current `available` of each SKU at one location: one call per 250 SKUs. */
export async function readStockAt(ctx: ShopifyContext, skus: string[], locationId: string): Promise<Map<string, StockCell>> {
  const out = new Map<string, StockCell>();
  for (const part of chunk([...new Set(skus)], 250)) {
    const data = await ctx.client.request(InventoryAtLocation, { query: skuQuery(part), locationId }, z.object({
      inventoryItems: z.object({ nodes: z.array(z.object({
        id: z.string(), sku: z.string().nullable(),
        inventoryLevel: z.object({ id: z.string(), quantities: z.array(z.object({ name: z.string(), quantity: z.number().int() })) }).nullable(),
      })) }),
    }));
    const wanted = new Set(part);
    for (const item of data.inventoryItems.nodes) {
      if (!item.sku || !wanted.has(item.sku)) continue;
      const q = item.inventoryLevel?.quantities.find((x) => x.name === 'available');
      out.set(item.sku, { inventoryItemId: item.id, available: item.inventoryLevel ? (q?.quantity ?? 0) : null });
    }
  }
  return out;
}
