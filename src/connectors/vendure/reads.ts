// Changes since a cursor, by polling `updatedAt` as keyset streams the engine's change feed pages
// through (change-feed.ts); events pushed by Dovetail's plugin: webhooks.ts. Re-read rows are
// recognised downstream by their version, so re-reading costs nothing but a few rows.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compareKeys, readFeed, shiftStamp, type ChangeStream, type StreamKey, type StreamPage } from '../../engine/change-feed.js';
import { DovetailError } from '../../errors.js';
import type { ChangePage, ChangeRef, RecordKind } from '../types.js';
import type { VendureClient } from './client.js';
import { PRODUCT_WITH_VARIANTS, ProductWithVariants, toProduct, VARIANT_FIELDS, VariantNode } from './mappers.js';

/** Vendure's stamps have milliseconds (whole seconds on SQLite); a list answers at most a few hundred rows */
export const FEED = { pageSize: 100, overlapMs: 2_000, fractionDigits: 3 };

const contentChange = (v: VariantNode): ChangeRef => ({ kind: 'product', key: v.sku,
  sourceVersion: `fields:${createHash('sha1').update(JSON.stringify(toProduct(v).fields)).digest('hex')}` });

const List = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), totalItems: z.number() });

/** An `updatedAt` filter of Vendure's DateOperators. */
type Since = { after: string } | { between: { start: string; end: string } };
/** One page of a Vendure list, filtered by `updatedAt`, sorted by one field (a sort on two fields is applied in the schema's field order, not ours). */
type ListPage<T> = (updatedAt: Since | null, sortBy: 'updatedAt' | 'id', skip: number, take: number) => Promise<T[]>;

/** id order, as Vendure sorts numeric ids */
export const compareIds = (a: string | null, b: string | null) => compareKeys({ at: '', id: a }, { at: '', id: b });

/**
 * Vendure has no `id > x` filter, so rows sharing one stamp are paged by offset, in order, from the
 * row the last page ended on (its `tie`, counted from 1). The page is asked to start on that row:
 * when the row found there comes after it, rows ahead of it left (their stamp changed) and the
 * offset would jump over unseen rows, so the rows are read again from the start. Rows that join
 * late are at worst read twice.
 */
export async function pageFromTie<T>(fetch: (skip: number, take: number) => Promise<T[]>, after: StreamKey, limit: number,
  isAfterAnchor: (row: T) => boolean): Promise<{ rows: T[]; position: number; more: boolean }> {
  if (after.id !== null && after.tie) {
    const skip = after.tie - 1;
    const page = await fetch(skip, limit + 1);
    if (page.length && !isAfterAnchor(page[0])) return { rows: page.slice(1), position: skip + page.length, more: page.length > limit };
  }
  const page = await fetch(0, limit);
  return { rows: page, position: page.length, more: page.length >= limit };
}

/** A Vendure list as a stream in (stamp, id) order: its `updatedAt`, or another date the list filters and sorts on. */
function listStream<T extends { id: string; updatedAt: string }>(list: ListPage<T>, stampOf: (row: T) => string = (row) => row.updatedAt): ChangeStream<T> {
  // Stamps later than every row read (a null id: from the stamp itself). SQLite keeps whole seconds
  // as text, which `eq` on that second misses: a millisecond either side is asked instead.
  const later = async (after: StreamKey | null, limit: number): Promise<StreamPage<T>> => {
    const rows = await list(after ? { after: after.id === null ? shiftStamp(after.at, -1) : after.at } : null, 'updatedAt', 0, limit);
    const last = rows.at(-1);
    if (!last) return { rows, last: after, more: false };
    // a full page may end inside a group of one stamp: that group is then read by offset, from its start
    return rows.length >= limit ? { rows, last: { at: stampOf(last), id: null, tie: 0 }, more: true } : { rows, last: { at: stampOf(last), id: last.id }, more: false };
  };
  return {
    async readPage(after, limit) {
      if (after?.tie === undefined) return later(after, limit);
      const group = { between: { start: shiftStamp(after.at, -1), end: shiftStamp(after.at, 1) } };
      const tie = await pageFromTie((skip, take) => list(group, 'id', skip, take), after, limit, (r) => compareIds(r.id, after.id) > 0);
      const lastId = tie.rows.at(-1)?.id ?? after.id;
      if (tie.more) return { rows: tie.rows, last: { at: after.at, id: lastId, tie: tie.position }, more: true };
      // every row of that stamp is read: go on after it, in the same page
      const rest = await later({ at: after.at, id: lastId ?? '' }, limit);
      return { rows: [...tie.rows, ...rest.rows], last: rest.last, more: rest.more };
    },
  };
}

const listOptions = (updatedAt: Since | null, sortBy: 'updatedAt' | 'id', skip: number, take: number, filter: Record<string, unknown> = {}) =>
  ({ filter: { ...filter, ...(updatedAt ? { updatedAt } : {}) }, sort: { [sortBy]: 'ASC' }, skip, take });

export async function readChanges(client: VendureClient, kind: RecordKind, cursor: string | null): Promise<ChangePage> {
  switch (kind) {
    case 'product': {
      // A product-level edit (name, description) changes the product's updatedAt, not its
      // variants': read both. The version is a hash of the synced fields, so a write that only
      // touched stock (ours, every time we publish) is no change at all.
      const variants = listStream(async (since, sortBy, skip, take) => (await client.admin(
        `query ChangedVariants($o: ProductVariantListOptions) { productVariants(options: $o) { totalItems items { ${VARIANT_FIELDS} } } }`,
        { o: listOptions(since, sortBy, skip, take) }, z.object({ productVariants: List(VariantNode) }))).productVariants.items);
      const products = listStream(async (since, sortBy, skip, take) => (await client.admin(
        `query ChangedProducts($o: ProductListOptions) { products(options: $o) { totalItems items { ${PRODUCT_WITH_VARIANTS} } } }`,
        { o: listOptions(since, sortBy, skip, take) }, z.object({ products: List(ProductWithVariants) }))).products.items);
      return readFeed(cursor, { variants, products }, (rows) => {
        const fromProducts = rows.products.flatMap((p) => p.variants.map((v) => contentChange({ ...v,
          product: { id: p.id, name: p.name, slug: p.slug, description: p.description, enabled: p.enabled, updatedAt: p.updatedAt, facetValues: p.facetValues,
            optionGroups: p.optionGroups } })));
        const bySku = new Map([...rows.variants.map(contentChange), ...fromProducts].map((c) => [c.key, c]));
        return [...bySku.values()];
      }, FEED);
    }
    case 'order': {
      const Row = z.object({ id: z.string(), code: z.string(), updatedAt: z.string(), orderPlacedAt: z.string().nullable(), state: z.string(), totalWithTax: z.number(), totalQuantity: z.number() });
      const query = `query ChangedOrders($o: OrderListOptions) { orders(options: $o) { totalItems items { id code updatedAt orderPlacedAt state totalWithTax totalQuantity } } }`;
      const orders = listStream(async (since, sortBy, skip, take) => (await client.admin(query,
        { o: listOptions(since, sortBy, skip, take, { active: { eq: false } }) }, z.object({ orders: List(Row) }))).orders.items);
      // A draft order completed in the admin (an accepted quote) is placed without a new updatedAt,
      // so a stream of updates already past it never sees it again: orders are also read by the
      // time they were placed.
      const placed = listStream(async (since, sortBy, skip, take) => (await client.admin(query,
        { o: { filter: { active: { eq: false }, orderPlacedAt: since ?? { isNull: false } }, sort: { [sortBy === 'updatedAt' ? 'orderPlacedAt' : 'id']: 'ASC' }, skip, take } },
        z.object({ orders: List(Row) }))).orders.items, (o) => o.orderPlacedAt ?? o.updatedAt);
      // updatedAt has whole seconds on SQLite: a draft placed within the second it was last seen
      // differs only by its state, and units cancelled or added within it (cancelOrder with lines
      // keeps the state; a free item added leaves the total) only by the total or the unit count,
      // so all three are part of the version. A refund does not touch the order row: the plugin
      // pushes it (OrderRefundSettled), and the money feed reads it.
      return readFeed(cursor, { orders, placed }, (rows) => [...rows.orders, ...rows.placed].map((o): ChangeRef =>
        ({ kind: 'order', key: o.code, sourceVersion: `${o.updatedAt}:${o.state}:${o.totalWithTax}:${o.totalQuantity}` })), FEED);
    }
    case 'customer': {
      const Row = z.object({ id: z.string(), emailAddress: z.string(), updatedAt: z.string() });
      const customers = listStream(async (since, sortBy, skip, take) => (await client.admin(
        `query ChangedCustomers($o: CustomerListOptions) { customers(options: $o) { totalItems items { id emailAddress updatedAt } } }`,
        { o: listOptions(since, sortBy, skip, take) }, z.object({ customers: List(Row) }))).customers.items);
      return readFeed(cursor, { customers }, (rows) => rows.customers.map((c): ChangeRef =>
        ({ kind: 'customer', key: c.emailAddress.trim().toLowerCase(), sourceVersion: c.updatedAt })), FEED);
    }
    case 'images': {
      // Setting a product's assets or its featured asset saves the product (updatedAt moves); the
      // version is the assets in order and the featured one, so any other edit of it is no change.
      const Row = z.object({ id: z.string(), updatedAt: z.string(), featuredAsset: z.object({ id: z.string() }).nullable(),
        assets: z.array(z.object({ id: z.string() })), variants: z.array(z.object({ sku: z.string() })) });
      const products = listStream(async (since, sortBy, skip, take) => (await client.admin(
        `query ChangedProductImages($o: ProductListOptions) { products(options: $o) { totalItems items { id updatedAt featuredAsset { id } assets { id } variants { sku } } } }`,
        { o: listOptions(since, sortBy, skip, take) }, z.object({ products: List(Row) }))).products.items);
      return readFeed(cursor, { products }, (rows) => rows.products.flatMap((p): ChangeRef[] => p.variants.length
        ? [{ kind: 'images', key: p.variants[0].sku, sourceVersion: `images:${p.featuredAsset?.id ?? '-'}:${p.assets.map((a) => a.id).join(',')}` }] : []), FEED);
    }
    case 'stock':
      throw new DovetailError('config', 'Vendure is the store: its stock is written by Dovetail, not read as a source');
    case 'shipment':
      throw new DovetailError('config', 'Vendure is the store: shipments are read from the inventory system and written to it as fulfilments');
    case 'sale':
      throw new DovetailError('config', 'Vendure is the store: changes to its placed orders come through the order feed');
    case 'payment': case 'refund': case 'creditNote':
      throw new DovetailError('config', `Vendure ${kind} changes are read by payments.ts (the plugin's money feed)`);
  }
}
