// Changes since a cursor, by polling `updatedAt` (events pushed by Dovetail's plugin: webhooks.ts).
// The cursor is the newest `updatedAt` seen; each read starts a little before it, because a
// transaction that committed late can carry an earlier timestamp. Re-read rows are recognised
// downstream by their version (the timestamp), so the overlap costs nothing but a few rows.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { ChangePage, ChangeRef, RecordKind } from '../types.js';
import type { VendureClient } from './client.js';
import { PRODUCT_WITH_VARIANTS, ProductWithVariants, toProduct, VARIANT_FIELDS, VariantNode } from './mappers.js';

const OVERLAP_MS = 2_000;
const PAGE = 100;
/** stop one read here and report `more`, so one poll stays short */
const MAX_ROWS_PER_READ = 2_000;

const contentChange = (v: VariantNode): ChangeRef => ({ kind: 'product', key: v.sku,
  sourceVersion: `fields:${createHash('sha1').update(JSON.stringify(toProduct(v).fields)).digest('hex')}` });

const List = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), totalItems: z.number() });

async function pagedSince<T extends { updatedAt: string }>(
  fetchPage: (after: string, skip: number) => Promise<T[]>, cursor: string | null, toRefs: (row: T) => ChangeRef[],
): Promise<ChangePage> {
  const after = new Date(cursor ? Date.parse(cursor) - OVERLAP_MS : 0).toISOString();
  const changes: ChangeRef[] = [];
  let newest = cursor ?? after;
  let skip = 0;
  for (;;) {
    const rows = await fetchPage(after, skip);
    for (const row of rows) {
      changes.push(...toRefs(row));
      if (row.updatedAt > newest) newest = row.updatedAt;
    }
    skip += rows.length;
    if (rows.length < PAGE) return { changes, cursor: newest, more: false };
    if (skip >= MAX_ROWS_PER_READ) return { changes, cursor: newest, more: true };
  }
}

export async function readChanges(client: VendureClient, kind: RecordKind, cursor: string | null): Promise<ChangePage> {
  switch (kind) {
    case 'product': {
      // A product-level edit (name, description) changes the product's updatedAt, not its
      // variants': read both. The version is a hash of the synced fields, so a write that only
      // touched stock (ours, every time we publish) is no change at all.
      const variants = await pagedSince(async (after, skip) => (await client.admin(
        `query ChangedVariants($o: ProductVariantListOptions) { productVariants(options: $o) { totalItems items { ${VARIANT_FIELDS} } } }`,
        { o: { filter: { updatedAt: { after } }, sort: { updatedAt: 'ASC' }, skip, take: PAGE } },
        z.object({ productVariants: List(VariantNode) }))).productVariants.items,
      cursor, (v) => [contentChange(v)]);
      const products = await pagedSince(async (after, skip) => (await client.admin(
        `query ChangedProducts($o: ProductListOptions) { products(options: $o) { totalItems items { ${PRODUCT_WITH_VARIANTS} } } }`,
        { o: { filter: { updatedAt: { after } }, sort: { updatedAt: 'ASC' }, skip, take: PAGE } },
        z.object({ products: List(ProductWithVariants) }))).products.items,
      cursor, (p) => p.variants.map((v) => contentChange({ ...v, product: { id: p.id, name: p.name, slug: p.slug, description: p.description, enabled: p.enabled, updatedAt: p.updatedAt, facetValues: p.facetValues } })));
      const newest = variants.cursor > products.cursor ? variants.cursor : products.cursor;
      const bySku = new Map([...variants.changes, ...products.changes].map((c) => [c.key, c]));
      return { changes: [...bySku.values()], cursor: newest, more: variants.more || products.more };
    }
    case 'order':
      return pagedSince(async (after, skip) => (await client.admin(
        `query ChangedOrders($o: OrderListOptions) { orders(options: $o) { totalItems items { code updatedAt state totalWithTax totalQuantity } } }`,
        { o: { filter: { updatedAt: { after }, active: { eq: false } }, sort: { updatedAt: 'ASC' }, skip, take: PAGE } },
        z.object({ orders: List(z.object({ code: z.string(), updatedAt: z.string(), state: z.string(), totalWithTax: z.number(), totalQuantity: z.number() })) }))).orders.items,
      // updatedAt has whole seconds on SQLite: a draft placed within the second it was last seen
      // differs only by its state, and units cancelled or added within it (cancelOrder with lines
      // keeps the state; a free item added leaves the total) only by the total or the unit count,
      // so all three are part of the version. A refund does not touch the order row: the plugin
      // pushes it (OrderRefundSettled), and the money feed reads it.
      cursor, (o) => [{ kind: 'order', key: o.code, sourceVersion: `${o.updatedAt}:${o.state}:${o.totalWithTax}:${o.totalQuantity}` }]);
    case 'customer':
      return pagedSince(async (after, skip) => (await client.admin(
        `query ChangedCustomers($o: CustomerListOptions) { customers(options: $o) { totalItems items { emailAddress updatedAt } } }`,
        { o: { filter: { updatedAt: { after } }, sort: { updatedAt: 'ASC' }, skip, take: PAGE } },
        z.object({ customers: List(z.object({ emailAddress: z.string(), updatedAt: z.string() })) }))).customers.items,
      cursor, (c) => [{ kind: 'customer', key: c.emailAddress.trim().toLowerCase(), sourceVersion: c.updatedAt }]);
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
