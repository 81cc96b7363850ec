// Reading from Magento: records by key, offset listings for first loads, and the change feeds as
// keyset streams by (updated_at, entity_id) that the engine's change feed pages through.
import { chunk } from '../../collections.js';
import { z } from 'zod';
import { compareKeys, readFeed, type ChangeStream, type StreamKey, type StreamPage } from '../../engine/change-feed.js';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { Product } from '../../model/product.js';
import type { ChangePage, ChangeRef, RecordKind } from '../types.js';
import { searchQuery, type MagentoClient, type SearchCriteria } from './client.js';
import { MCustomer, MOrder, MProduct, isoToStamp, searchResult, stampToIso, toCustomer, toOrder, toProduct, type WeightUnit } from './mappers.js';

/** What every reader and writer of this connector shares. */
export interface MagentoContext {
  client: MagentoClient;
  /** the store view's currency and weight unit, read once */
  storeView(): Promise<{ currency: string; weightUnit: WeightUnit }>;
  /** rows asked per listing call */
  pageSize: number;
  /** how far behind its newest stamp a poll reads again, for rows committed late */
  overlapMs: number;
  now: () => number;
  /** the MSI source stock is written to */
  sourceCode: string;
  /** the MSI stock salable quantities are read from */
  stockId: number;
  /** status reads of a bulk before it is left to the next attempt */
  bulkLooks: number;
  /** waits between bulk status reads (injected: tests keep no real time) */
  sleep: (ms: number) => Promise<void>;
}

/** Values (SKUs, ids) per `in` filter: the query string stays well under what proxies accept. */
export const VALUES_PER_SEARCH = 100;

/** One search page; Magento answers the last page again for a page past the end, so total_count decides. */
export async function searchPage<T extends z.ZodType>(ctx: MagentoContext, path: string, item: T, c: SearchCriteria): Promise<z.output<T>[]> {
  const page = await ctx.client.request('GET', path, searchResult(item), { query: searchQuery(c) });
  const first = ((c.currentPage ?? 1) - 1) * c.pageSize;
  if (page.total_count !== undefined && first >= page.total_count) return [];
  return page.items;
}

/**
 * The rows of a search with one filter (`in` over comma-separated values, or `eq` for a value that
 * holds a comma itself), every page of them.
 */
export async function searchByValues<T extends z.ZodType>(ctx: MagentoContext, path: string, item: T, field: string, values: string[]): Promise<z.output<T>[]> {
  const out: z.output<T>[] = [];
  const plain = values.filter((v) => !v.includes(','));
  const filters = [
    ...chunk(plain, VALUES_PER_SEARCH).map((part) => ({ field, value: part.join(','), conditionType: 'in' as const })),
    ...values.filter((v) => v.includes(',')).map((v) => ({ field, value: v, conditionType: 'eq' as const })),
  ];
  for (const filter of filters) {
    for (let page = 1; ; page++) {
      const rows = await searchPage(ctx, path, item, { filter, pageSize: ctx.pageSize, currentPage: page });
      out.push(...rows);
      if (rows.length < ctx.pageSize) break;
    }
  }
  return out;
}

/**
 * `limit` rows from `offset` of a listing read in pages of Magento's own numbering (from 1), each
 * at most `pageSize` rows (Magento refuses larger pages when its input limits are on).
 */
async function offsetSlice<R>(ctx: MagentoContext, offset: number, limit: number, readPage: (page: number, size: number) => Promise<R[]>): Promise<R[]> {
  if (limit <= 0) return [];
  const size = Math.min(limit, ctx.pageSize);
  const rows: R[] = [];
  const skip = offset % size;
  for (let page = Math.floor(offset / size) + 1; rows.length < skip + limit; page++) {
    const got = await readPage(page, size);
    rows.push(...got);
    if (got.length < size) break;
  }
  return rows.slice(skip, skip + limit);
}

// ---------- records by key and listings ----------

export async function getProducts(ctx: MagentoContext, skus: string[]): Promise<Map<string, Product>> {
  if (!skus.length) return new Map();
  const { currency, weightUnit } = await ctx.storeView();
  const wanted = new Set(skus);
  const rows = await searchByValues(ctx, '/products', MProduct, 'sku', skus);
  return new Map(rows.filter((p) => wanted.has(p.sku) && p.type_id !== 'configurable').map((p) => [p.sku, toProduct(p, currency, weightUnit)]));
}

export function listSkus(ctx: MagentoContext, offset: number, limit: number): Promise<string[]> {
  return offsetSlice(ctx, offset, limit, async (currentPage, pageSize) => (await searchPage(ctx, '/products', z.object({ sku: z.string() }),
    { filter: { field: 'type_id', value: 'simple', conditionType: 'eq' }, sort: { field: 'entity_id', direction: 'ASC' }, pageSize, currentPage })).map((p) => p.sku));
}

export async function getCustomer(ctx: MagentoContext, email: string): Promise<Customer | null> {
  const [found] = await searchPage(ctx, '/customers/search', MCustomer, { filter: { field: 'email', value: email.trim(), conditionType: 'eq' }, pageSize: 1 });
  return found ? toCustomer(found) : null;
}

export function listCustomerEmails(ctx: MagentoContext, offset: number, limit: number): Promise<string[]> {
  return offsetSlice(ctx, offset, limit, async (currentPage, pageSize) => (await searchPage(ctx, '/customers/search', z.object({ email: z.string() }),
    { sort: { field: 'entity_id', direction: 'ASC' }, pageSize, currentPage })).map((c) => c.email.toLowerCase()));
}

/** The Magento order with this increment id (the order code people see); null when there is none. */
export async function findOrder(ctx: MagentoContext, code: string): Promise<MOrder | null> {
  const [found] = await searchPage(ctx, '/orders', MOrder, { filter: { field: 'increment_id', value: code, conditionType: 'eq' }, pageSize: 1 });
  return found ?? null;
}

export async function getOrder(ctx: MagentoContext, code: string): Promise<Order | null> {
  const found = await findOrder(ctx, code);
  return found ? toOrder(found) : null;
}

export function listOrderCodes(ctx: MagentoContext, offset: number, limit: number): Promise<string[]> {
  return offsetSlice(ctx, offset, limit, async (currentPage, pageSize) => (await searchPage(ctx, '/orders', z.object({ increment_id: z.string() }),
    { sort: { field: 'entity_id', direction: 'ASC' }, pageSize, currentPage })).map((o) => o.increment_id));
}

// ---------- change feeds ----------

/** One row of a feed listing: its stamp field and entity id, read into a key. */
interface Stamped { at: string; id: string }

const byId = (a: string, b: string) => Number(a) - Number(b);

/**
 * A Magento listing as a keyset stream in (stamp, entity_id) order, within what the published
 * searchCriteria allows: one filter and one sort order. Pages are read from a stamp on (`gteq`,
 * sorted by stamp; `gt` once every row of the key's stamp was read, which a key with an id says)
 * and rows at or before the key are dropped; a full page that ends inside a run
 * of one stamp leaves that run for the next page, and a run longer than a page is read by itself
 * (`eq` the stamp, sorted by entity_id) by offset, the key's `tie` counting the rows read.
 */
export function listingStream<R>(ctx: MagentoContext, path: string, row: z.ZodType<R>, stampField: string, keyOf: (r: R) => Stamped): ChangeStream<R> {
  const key = (r: R): StreamKey => keyOf(r);
  const list = (c: Omit<SearchCriteria, 'pageSize'>, limit: number) => searchPage(ctx, path, row, { ...c, pageSize: limit });

  async function runPage(after: StreamKey & { tie: number }, limit: number): Promise<StreamPage<R>> {
    const rows = await list({ filter: { field: stampField, value: isoToStamp(after.at), conditionType: 'eq' }, sort: { field: 'entity_id', direction: 'ASC' },
      currentPage: Math.floor(after.tie / limit) + 1 }, limit);
    const fresh = rows.filter((r) => after.id === null || byId(key(r).id!, after.id) > 0);
    const lastId = rows.length ? key(rows.at(-1)!).id : after.id;
    if (!rows.length) return { rows: [], last: { at: after.at, id: after.id }, more: false };
    if (rows.length === limit) return { rows: fresh, last: { at: after.at, id: lastId, tie: after.tie + limit }, more: true };
    return { rows: fresh, last: { at: after.at, id: lastId }, more: true };
  }

  return {
    async readPage(after, limit) {
      if (after?.tie !== undefined) return runPage({ ...after, tie: after.tie }, limit);
      // a key with an id closes its stamp (a page or run that ended there read all of it): later stamps only
      const page = await list({ ...(after ? { filter: { field: stampField, value: isoToStamp(after.at), conditionType: after.id === null ? 'gteq' as const : 'gt' as const } } : {}),
        sort: { field: stampField, direction: 'ASC' } }, limit);
      const sorted = [...page].sort((a, b) => compareKeys(key(a), key(b)));
      const fresh = sorted.filter((r) => !after || compareKeys(key(r), after) > 0);
      if (page.length < limit) return { rows: fresh, last: fresh.length ? key(fresh.at(-1)!) : after, more: false };
      const firstStamp = key(sorted[0]!).at, lastStamp = key(sorted.at(-1)!).at;
      if (firstStamp === lastStamp) return runPage({ at: lastStamp, id: null, tie: 0 }, limit);
      return { rows: fresh.filter((r) => key(r).at < lastStamp), last: { at: lastStamp, id: null }, more: true };
    },
  };
}

/** Magento stamps to the second. */
export const feedOptions = (ctx: MagentoContext) => ({ pageSize: ctx.pageSize, overlapMs: ctx.overlapMs, fractionDigits: 0, now: ctx.now });

const FeedOrder = z.object({ entity_id: z.number().int(), increment_id: z.string(), updated_at: z.string() });
const FeedProduct = z.object({ id: z.number().int(), sku: z.string(), type_id: z.string().nullish(), updated_at: z.string() });
const FeedCustomer = z.object({ id: z.number().int(), email: z.string(), updated_at: z.string() });

export function readChanges(ctx: MagentoContext, kind: RecordKind, cursor: string | null): Promise<ChangePage> {
  const opts = feedOptions(ctx);
  if (kind === 'order') {
    const orders = listingStream(ctx, '/orders', FeedOrder, 'updated_at', (o) => ({ at: stampToIso(o.updated_at), id: String(o.entity_id) }));
    return readFeed(cursor, { orders }, (rows) => rows.orders.map((o): ChangeRef => ({ kind: 'order', key: o.increment_id, sourceVersion: `${o.entity_id}@${o.updated_at}` })), opts);
  }
  if (kind === 'product') {
    const products = listingStream(ctx, '/products', FeedProduct, 'updated_at', (p) => ({ at: stampToIso(p.updated_at), id: String(p.id) }));
    return readFeed(cursor, { products }, (rows) => rows.products.filter((p) => p.type_id !== 'configurable')
      .map((p): ChangeRef => ({ kind: 'product', key: p.sku, sourceVersion: `${p.id}@${p.updated_at}` })), opts);
  }
  if (kind === 'customer') {
    const customers = listingStream(ctx, '/customers/search', FeedCustomer, 'updated_at', (c) => ({ at: stampToIso(c.updated_at), id: String(c.id) }));
    return readFeed(cursor, { customers }, (rows) => rows.customers.map((c): ChangeRef => ({ kind: 'customer', key: c.email.toLowerCase(), sourceVersion: `${c.id}@${c.updated_at}` })), opts);
  }
  // stock is the inventory system's to say (Magento's own reservations come in as orders); other kinds are not Magento's
  return readFeed(cursor, {}, () => [], opts);
}
