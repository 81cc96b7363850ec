// Writing to Shopify: products per field group, stock by compare-and-set in batches of 250,
// adjustments and customers. Every create either carries an idempotency key derived from
// Dovetail's own ids or looks for its earlier result first. Order steps have files of their own.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DovetailError, permanent, transient } from '../../errors.js';
import type { Customer } from '../../model/customer.js';
import type { FieldGroup, Product } from '../../model/product.js';
import { refusalOf, upsertOutcomes, writeEach } from '../per-record.js';
import type { WriteResult } from '../types.js';
import { userErrorFailure } from './client.js';
import { stockSnapshot } from './bulk.js';
import { UserErrors } from './user-errors.js';
import {
  VARIANT_OPTION, customerSetInput, productCreateInput, productUpdateInput, variantInput,
} from './mappers.js';
import {
  CustomerSet, InventoryActivate, InventoryAdjustQuantities, InventorySetQuantities, ProductByGroupKey, ProductCreate,
  ProductUpdate, VariantsBulkCreate, VariantsBulkUpdate,
} from './operations.js';
import { chunk } from '../../collections.js';
import { readStockAt, variantsBySku, type ShopifyContext, type StockCell } from './reads.js';

/** Shopify caps every input array at 250 items. */
export const MAX_INPUT_ROWS = 250;


/** Deterministic idempotency key from Dovetail's own ids: a retry of the same step reuses it. */
export function idempotencyKey(...parts: string[]): string {
  const h = createHash('sha256').update(['dovetail', ...parts].join('\u0000')).digest('hex');
  // shaped like a UUID (version-5 bits), the form Shopify recommends
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------- products ----------------

type ProductRow = { product: Product; groups: FieldGroup[] };

/**
 * Writes each row's field groups, making missing variants in their group's product. One result
 * per row: a product or variant Shopify refuses fails alone (its rows carry the refusal), and a
 * SKU is reported created only when Shopify is seen to have it afterwards.
 */
export async function upsertProducts(ctx: ShopifyContext, rows: ProductRow[]): Promise<WriteResult[]> {
  const existing = await variantsBySku(ctx, rows.map((r) => r.product.sku));
  const refused = new Map<string, DovetailError>();
  const refuse = (list: ProductRow[], error: DovetailError) => { for (const r of list) refused.set(r.product.sku, error); };

  // existing variants: one productUpdate and one productVariantsBulkUpdate per product
  const byProduct = new Map<string, { product: Product; groups: FieldGroup[]; variantId: string; optionName: string }[]>();
  for (const r of rows) {
    const v = existing.get(r.product.sku);
    if (!v) continue;
    const list = byProduct.get(v.product.id) ?? [];
    list.push({ ...r, variantId: v.id, optionName: v.selectedOptions[0]?.name ?? VARIANT_OPTION });
    byProduct.set(v.product.id, list);
  }
  for (const [productId, list] of byProduct) {
    const first = list[0]!;
    const update = productUpdateInput(productId, first.product.fields, first.groups);
    const productRefusal = await refusalOf(async () => {
      if (!update) return;
      const d = await ctx.client.request(ProductUpdate, { product: update }, z.object({ productUpdate: z.object({ userErrors: UserErrors }) }));
      if (d.productUpdate.userErrors.length) throw userErrorFailure('productUpdate', d.productUpdate.userErrors, { productId, sku: first.product.sku });
    });
    if (productRefusal) { refuse(list, productRefusal); continue; }
    const variants = list.map((r) => ({ row: r, input: { id: r.variantId, ...variantInput(r.product.fields, r.groups, r.optionName) } })).filter((v) => Object.keys(v.input).length > 1);
    for (const part of chunk(variants, MAX_INPUT_ROWS)) {
      const refusals = await writeEach(part, async (some) => {
        const d = await ctx.client.request(VariantsBulkUpdate, { productId, variants: some.map((v) => v.input) }, z.object({ productVariantsBulkUpdate: z.object({ userErrors: UserErrors }) }));
        if (d.productVariantsBulkUpdate.userErrors.length) throw userErrorFailure('productVariantsBulkUpdate', d.productVariantsBulkUpdate.userErrors, { productId });
      });
      for (const [v, error] of refusals) refuse([v.row], error);
    }
  }

  // missing variants: added to their group's product (found by its unique group-key metafield) or a new product
  const missing = new Map<string, ProductRow[]>();
  for (const r of rows) {
    if (existing.has(r.product.sku)) continue;
    const list = missing.get(r.product.groupKey) ?? [];
    list.push(r);
    missing.set(r.product.groupKey, list);
  }
  for (const [groupKey, list] of missing) {
    const error = await refusalOf(() => createGroupVariants(ctx, groupKey, list));
    if (error) refuse(list, error);
  }

  const expected = [...missing.values()].flat().map((r) => r.product.sku).filter((sku) => !refused.has(sku));
  const made = expected.length ? await variantsBySku(ctx, expected) : new Map<string, { id: string }>();
  return upsertOutcomes(rows.map((r) => r.product.sku), { system: 'Shopify', refused, before: existing, after: made });
}

/** Makes one group's missing variants: in its product, found by the group key before one is made. */
async function createGroupVariants(ctx: ShopifyContext, groupKey: string, list: ProductRow[]): Promise<void> {
  const found = await ctx.client.request(ProductByGroupKey, { value: groupKey }, z.object({
    productByIdentifier: z.object({ id: z.string(), options: z.array(z.object({ id: z.string(), name: z.string() })) }).nullable(),
  }));
  let productId = found.productByIdentifier?.id;
  let optionName = found.productByIdentifier?.options[0]?.name ?? VARIANT_OPTION;
  let rest = list;
  if (!productId) {
    const head = list.slice(0, MAX_INPUT_ROWS);
    const d = await ctx.client.request(ProductCreate, { input: productCreateInput(groupKey, head) }, z.object({
      productSet: z.object({ product: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
    }));
    if (d.productSet.userErrors.length || !d.productSet.product) throw userErrorFailure('productSet', d.productSet.userErrors, { groupKey });
    productId = d.productSet.product.id;
    optionName = VARIANT_OPTION;
    rest = list.slice(MAX_INPUT_ROWS);
  }
  for (const part of chunk(rest, MAX_INPUT_ROWS)) {
    const variants = part.map((r) => {
      const v = variantInput(r.product.fields, ['prices', 'dimensions'], optionName);
      const item = (v.inventoryItem as Record<string, unknown> | undefined) ?? {};
      return { ...v, optionValues: [{ optionName, name: r.product.fields.names?.variantName ?? r.product.sku }], inventoryItem: { ...item, sku: r.product.sku, tracked: true } };
    });
    const d = await ctx.client.request(VariantsBulkCreate, { productId, variants }, z.object({ productVariantsBulkCreate: z.object({ userErrors: UserErrors }) }));
    if (d.productVariantsBulkCreate.userErrors.length) throw userErrorFailure('productVariantsBulkCreate', d.productVariantsBulkCreate.userErrors, { productId, groupKey });
  }
}

// ---------------- stock ----------------

export interface StockRow { sku: string; locationId: string; available: number }
export interface StockResult { sku: string; locationId: string; written: boolean; reason?: 'unchanged' | 'unknown-sku' | 'already-set'; error?: DovetailError }

const cellKey = (sku: string, locationId: string) => `${locationId}\u0000${sku}`;

/** Current cells for these rows: paged reads, or one bulk snapshot above the bulk threshold. */
async function currentStock(ctx: ShopifyContext, rows: StockRow[]): Promise<Map<string, StockCell>> {
  const cells = new Map<string, StockCell>();
  if (rows.length > ctx.bulkThreshold) {
    const snap = await stockSnapshot(ctx);
    for (const r of rows) {
      const s = snap.get(r.sku);
      if (s) cells.set(cellKey(r.sku, r.locationId), { inventoryItemId: s.inventoryItemId, available: s.levels.get(r.locationId) ?? null });
    }
    return cells;
  }
  const byLocation = new Map<string, string[]>();
  for (const r of rows) byLocation.set(r.locationId, [...(byLocation.get(r.locationId) ?? []), r.sku]);
  for (const [locationId, skus] of byLocation) {
    for (const [sku, cell] of await readStockAt(ctx, skus, locationId)) cells.set(cellKey(sku, locationId), cell);
  }
  return cells;
}

type PendingStock = StockRow & { inventoryItemId: string; changeFrom: number };

/**
 * Sets `available` per SKU and location with compare-and-set. Rows already at their target are
 * not sent, so an engine retry after a failure half-way re-reads and sends only what is left.
 * A row Shopify refuses fails alone (its result carries the error): a refused batch is sent
 * again row by row. Failures that are not refusals (Shopify down, stale twice) are thrown.
 */
export async function setStock(ctx: ShopifyContext, rows: StockRow[]): Promise<StockResult[]> {
  const cells = await currentStock(ctx, rows);
  const results: StockResult[] = [];
  const pending: PendingStock[] = [];
  for (const r of rows) {
    const cell = cells.get(cellKey(r.sku, r.locationId));
    if (!cell) { results.push({ sku: r.sku, locationId: r.locationId, written: false, reason: 'unknown-sku' }); continue; }
    let current = cell.available;
    if (current === null) {
      const error = await refusalOf(async () => {
        const d = await ctx.client.request(InventoryActivate, { inventoryItemId: cell.inventoryItemId, locationId: r.locationId }, z.object({ inventoryActivate: z.object({ userErrors: UserErrors }) }));
        if (d.inventoryActivate.userErrors.length) throw userErrorFailure('inventoryActivate', d.inventoryActivate.userErrors, { sku: r.sku, locationId: r.locationId });
      });
      if (error) { results.push({ sku: r.sku, locationId: r.locationId, written: false, error }); continue; }
      current = 0;
    }
    if (current === r.available) { results.push({ sku: r.sku, locationId: r.locationId, written: false, reason: 'unchanged' }); continue; }
    pending.push({ ...r, inventoryItemId: cell.inventoryItemId, changeFrom: current });
  }
  for (const batch of chunk(pending, MAX_INPUT_ROWS)) {
    const refusals = await writeEach(batch, async (part) => { results.push(...await setBatch(ctx, part)); });
    for (const [b, error] of refusals) results.push({ sku: b.sku, locationId: b.locationId, written: false, error });
  }
  return results;
}

/**
 * One compare-and-set call. A CHANGE_FROM_QUANTITY_STALE answer re-reads the batch and retries,
 * once, only the rows that are still not at their target; a second stale answer is transient.
 */
async function setBatch(ctx: ShopifyContext, batch: PendingStock[]): Promise<StockResult[]> {
  if (!await sendSetBatch(ctx, batch)) return batch.map((b) => ({ sku: b.sku, locationId: b.locationId, written: true }));
  // which rows Shopify applied is not promised on a stale answer: read the batch again
  const fresh = await currentStock(ctx, batch);
  const results: StockResult[] = [];
  const retry: PendingStock[] = [];
  for (const b of batch) {
    const now = fresh.get(cellKey(b.sku, b.locationId))?.available ?? 0;
    if (now === b.available) results.push({ sku: b.sku, locationId: b.locationId, written: true, reason: 'already-set' });
    else retry.push({ ...b, changeFrom: now });
  }
  if (retry.length && await sendSetBatch(ctx, retry)) {
    throw transient(`Shopify stock changed again while Dovetail was writing ${retry.length} rows`, { retryAfterSeconds: 5 });
  }
  return [...results, ...retry.map((b) => ({ sku: b.sku, locationId: b.locationId, written: true }))];
}

/** One inventorySetQuantities call; true when Shopify answered CHANGE_FROM_QUANTITY_STALE. */
async function sendSetBatch(ctx: ShopifyContext, batch: PendingStock[]): Promise<boolean> {
  if (batch.length > MAX_INPUT_ROWS) throw new Error('stock batch over the 250-row limit');
  const input = {
    name: 'available', reason: 'correction',
    quantities: batch.map((b) => ({ inventoryItemId: b.inventoryItemId, locationId: b.locationId, quantity: b.available, changeFromQuantity: b.changeFrom })),
  };
  const d = await ctx.client.request(InventorySetQuantities, { input }, z.object({
    inventorySetQuantities: z.object({ inventoryAdjustmentGroup: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  const errors = d.inventorySetQuantities.userErrors;
  if (!errors.length) return false;
  if (errors.every((e) => e.code === 'CHANGE_FROM_QUANTITY_STALE')) return true;
  const skuOf = (e: { field?: string[] | null }) => { const i = Number(e.field?.[2]); return Number.isInteger(i) ? batch[i]?.sku : undefined; };
  throw userErrorFailure('inventorySetQuantities', errors, { skus: errors.map(skuOf).filter(Boolean) });
}

/**
 * Adjusts `available` by deltas (e.g. restocking a return), under an idempotency key made from
 * Dovetail's movement id and the batch number, so a retry of the same movement is applied once.
 */
export async function adjustStock(ctx: ShopifyContext, movementId: string, rows: { sku: string; locationId: string; delta: number }[]): Promise<void> {
  const cells = await currentStock(ctx, rows.map((r) => ({ ...r, available: 0 })));
  const unknown = rows.filter((r) => !cells.has(cellKey(r.sku, r.locationId)));
  if (unknown.length) throw permanent(`unknown SKUs in stock movement ${movementId}`, { skus: unknown.map((r) => r.sku) });
  let n = 0;
  for (const part of chunk(rows, MAX_INPUT_ROWS)) {
    const input = {
      name: 'available', reason: 'restock',
      // a delta is relative by nature: no compare-and-set, the key prevents a double application
      changes: part.map((r) => ({ inventoryItemId: cells.get(cellKey(r.sku, r.locationId))!.inventoryItemId, locationId: r.locationId, delta: r.delta, changeFromQuantity: null })),
    };
    const key = idempotencyKey('inventory-adjust', movementId, String(n++));
    const d = await ctx.client.request(InventoryAdjustQuantities, { input, key }, z.object({ inventoryAdjustQuantities: z.object({ userErrors: UserErrors }) }));
    if (d.inventoryAdjustQuantities.userErrors.length) throw userErrorFailure('inventoryAdjustQuantities', d.inventoryAdjustQuantities.userErrors, { movementId });
  }
}

// ---------------- customers ----------------

/** customerSet identified by email: Shopify's own upsert, so a retry never makes a second customer. */
export async function upsertCustomer(ctx: ShopifyContext, c: Customer, opts: { copyAddresses: boolean }): Promise<{ id: string }> {
  const d = await ctx.client.request(CustomerSet, { email: c.email, input: customerSetInput(c, opts) }, z.object({
    customerSet: z.object({ customer: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  if (d.customerSet.userErrors.length || !d.customerSet.customer) throw userErrorFailure('customerSet', d.customerSet.userErrors, { email: c.email });
  return { id: d.customerSet.customer.id };
}
