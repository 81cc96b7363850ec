// Reading from Shopify: changes since a cursor (keyset streams by `updated_at` and id that the
// engine's change feed pages through, change-feed.ts), records by key, and stock snapshots.
import { chunk } from '../../collections.js';
import { z } from 'zod';
import { compareKeys, readFeed, shiftStamp, type ChangeStream, type StreamKey } from '../../engine/change-feed.js';
import type { ChangePage, ChangeRef, RecordKind } from '../types.js';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { Product } from '../../model/product.js';
import type { ShopifyClient } from './client.js';
import {
  GqlCustomer, GqlLineItem, GqlOrder, GqlVariant, PageInfo, legacyIdOf, orderGid, toCustomer, toOrder, toProduct,
} from './mappers.js';
import {
  CustomerByEmail, CustomerEmailPage, CustomersUpdatedSince, InventoryAtLocation, ORDER_NAMES_PAGE, OrderById, OrderIdByName, OrderIdPage, OrderIdsByName,
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

// ---------- change feeds ----------

/** Shopify stamps `updatedAt` to the second; `pageSize` is the `first:` of the listing's document. */
const feedOptions = (ctx: ShopifyContext, pageSize: number) => ({ pageSize, overlapMs: ctx.pollOverlapSeconds * 1000, fractionDigits: 0 });

/** The cursor of versions before the engine's keyset feed: a time window and Shopify's cursor inside it. */
const EarlierCursor = z.object({ since: z.string().nullable(), after: z.string().nullable(), max: z.string().nullable() });

/**
 * The cursor as the feed reads it. One written before the keyset feed becomes the newest time it
 * had seen, which the feed reads again from one overlap before, as that version did.
 */
export function feedCursor(raw: string | null): string | null {
  if (raw === null || !raw.startsWith('{')) return raw;
  const earlier = EarlierCursor.safeParse(JSON.parse(raw));
  if (!earlier.success) return raw;
  return earlier.data.max ?? earlier.data.since;
}

/** One Shopify listing answering a search `query` in `sortKey` order, one page from its start. */
type Listing<R> = (query: string, sortKey: 'UPDATED_AT' | 'ID') => Promise<{ rows: R[]; hasNextPage: boolean }>;

const stampQuery = (op: string, at: string) => `updated_at:${op}${searchValue(at)}`;

/**
 * A listing as a keyset stream in (updatedAt, id) order. Shopify's search says "stamped exactly T
 * and id above N", so the rows sharing the stamp a page stopped in are read on by id, never by a
 * position that shifts when rows change; after them come the later stamps. A page of later stamps
 * that is full may end inside a run of one stamp, and Shopify does not promise id order inside it:
 * that run is left for the next page, which reads it by id from its start.
 */
function listingStream<R>(list: Listing<R>, keyOf: (row: R) => { at: string; id: string }): ChangeStream<R> {
  const key = (row: R) => { const k = keyOf(row); return { at: shiftStamp(k.at, 0, 0), id: k.id }; };
  const newestOf = (rows: R[]): StreamKey | null => rows.map(key).reduce<StreamKey | null>((a, b) => (!a || compareKeys(b, a) > 0 ? b : a), null);
  return {
    async readPage(after) {
      const rows: R[] = [];
      if (after) {
        const same = await list([stampQuery('>=', after.at), stampQuery('<=', after.at), ...(after.id === null ? [] : [`id:>${after.id}`])].join(' AND '), 'ID');
        if (same.hasNextPage) return { rows: same.rows, last: newestOf(same.rows), more: true };
        rows.push(...same.rows);
      }
      const later = await list(after ? stampQuery('>', after.at) : '', 'UPDATED_AT');
      if (!later.hasNextPage) {
        rows.push(...later.rows);
        return { rows, last: newestOf(rows) ?? after, more: false };
      }
      const lastStamp = key(later.rows.at(-1)!).at;
      rows.push(...later.rows.filter((r) => key(r).at < lastStamp));
      return { rows, last: { at: lastStamp, id: null }, more: true };
    },
  };
}

const version = (id: string, updatedAt: string) => `${legacyIdOf(id)}@${updatedAt}`;

export async function readChanges(ctx: ShopifyContext, kind: RecordKind, raw: string | null): Promise<ChangePage> {
  const cursor = feedCursor(raw);
  if (kind === 'stock') {
    // the inventory system is the stock master; Shopify's own decrements come in as orders
    return readFeed(cursor, {}, () => [], feedOptions(ctx, 0));
  }
  if (kind === 'order') {
    const Page = z.object({ orders: z.object({ nodes: z.array(z.object({ legacyResourceId: z.string(), updatedAt: z.string() })), pageInfo: PageInfo }) });
    const orders = listingStream(async (query, sortKey) => {
      const d = await ctx.client.request(OrdersUpdatedSince, { query, sortKey }, Page);
      return { rows: d.orders.nodes, hasNextPage: d.orders.pageInfo.hasNextPage };
    }, (o) => ({ at: o.updatedAt, id: o.legacyResourceId }));
    return readFeed(cursor, { orders }, (rows) => rows.orders.map((o): ChangeRef => {
      ctx.noteUpdatedAt('order', o.legacyResourceId, o.updatedAt);
      return { kind: 'order', key: o.legacyResourceId, sourceVersion: `${o.legacyResourceId}@${o.updatedAt}` };
    }), feedOptions(ctx, 250));
  }
  if (kind === 'customer') {
    const Page = z.object({ customers: z.object({ nodes: z.array(z.object({ id: z.string(), updatedAt: z.string(),
      defaultEmailAddress: z.object({ emailAddress: z.string().nullable() }).nullable() })), pageInfo: PageInfo }) });
    const customers = listingStream(async (query, sortKey) => {
      const d = await ctx.client.request(CustomersUpdatedSince, { query, sortKey }, Page);
      return { rows: d.customers.nodes, hasNextPage: d.customers.pageInfo.hasNextPage };
    }, (c) => ({ at: c.updatedAt, id: legacyIdOf(c.id) }));
    return readFeed(cursor, { customers }, (rows) => rows.customers.flatMap((n): ChangeRef[] => {
      const email = n.defaultEmailAddress?.emailAddress?.toLowerCase();
      if (!email) return []; // customers without email cannot be matched; orders carry their own
      ctx.noteUpdatedAt('customer', email, n.updatedAt);
      return [{ kind: 'customer', key: email, sourceVersion: version(n.id, n.updatedAt) }];
    }), feedOptions(ctx, 250));
  }
  const Page = z.object({ products: z.object({
    nodes: z.array(z.object({ id: z.string(), updatedAt: z.string(), variants: z.object({ nodes: z.array(z.object({ sku: z.string().nullable() })), pageInfo: z.object({ hasNextPage: z.boolean() }) }) })),
    pageInfo: PageInfo,
  }) });
  const products = listingStream(async (query, sortKey) => {
    const d = await ctx.client.request(ProductsUpdatedSince, { query, sortKey }, Page);
    return { rows: d.products.nodes, hasNextPage: d.products.pageInfo.hasNextPage };
  }, (p) => ({ at: p.updatedAt, id: legacyIdOf(p.id) }));
  return readFeed(cursor, { products }, async (rows) => {
    const changes: ChangeRef[] = [];
    for (const p of rows.products) {
      const skus = p.variants.pageInfo.hasNextPage ? await allVariantSkus(ctx, p.id) : p.variants.nodes.map((v) => v.sku);
      for (const sku of skus) {
        if (!sku) continue;
        ctx.noteUpdatedAt('product', sku, p.updatedAt);
        changes.push({ kind: 'product', key: sku, sourceVersion: version(p.id, p.updatedAt) });
      }
    }
    return changes;
  }, feedOptions(ctx, 25));
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

/**
 * orderIdOf for many codes, names found by one search per ORDER_NAMES_PAGE; a code Shopify does
 * not know is absent. Only well-formed order ids are taken as they are: a malformed one would
 * fail a whole nodes(ids:) call.
 */
export async function orderIdsOf(ctx: ShopifyContext, codes: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const names: string[] = [];
  for (const code of new Set(codes)) {
    if (/^\d+$/.test(code)) out.set(code, orderGid(code));
    else if (/^gid:\/\/shopify\/Order\/\d+$/.test(code)) out.set(code, code);
    else names.push(code);
  }
  for (const part of chunk(names, ORDER_NAMES_PAGE)) {
    const data = await ctx.client.request(OrderIdsByName, { query: part.map((n) => `name:${searchValue(n)}`).join(' OR ') }, z.object({
      orders: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string() })) }),
    }));
    // Shopify's search is not an exact match: keep only the names asked for
    const wanted = new Set(part);
    for (const o of data.orders.nodes) if (wanted.has(o.name)) out.set(o.name, o.id);
  }
  return out;
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
