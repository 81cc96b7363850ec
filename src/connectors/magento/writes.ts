// Writing products and stock to Magento: products by SKU at global scope, looked up first; stock as
// MSI source items, the number computed so the store sells `available`; more than a page in bulk.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StockWriteResult, WriteResult } from '../types.js';
import { MProduct, productBody } from './mappers.js';
import { bulkWrite, type BulkOutcome } from './bulk.js';
import { chunk } from '../../collections.js';
import { searchByValues, type MagentoContext } from './reads.js';

/** A record Magento refused stays with its row; anything else (down, token) stops the whole call. */
function rowError(err: unknown): DovetailError {
  if (err instanceof DovetailError && err.kind === 'permanent') return err;
  throw err;
}

type ProductPlan = { sku: string; id: string; body: Record<string, unknown> | null } | { sku: string; create: Record<string, unknown> } | { sku: string; error: DovetailError };

/**
 * Products by SKU, looked up first: a SKU found is updated with the groups asked (nothing sent
 * when none of them has a Magento field), one not found created. More writes than a page go as
 * one bulk per kind (creates, updates); fewer, one call each.
 */
export async function upsertProducts(ctx: MagentoContext, rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]> {
  if (!rows.length) return [];
  const { currency, weightUnit } = await ctx.storeView();
  const existing = new Map((await searchByValues(ctx, '/products', MProduct, 'sku', rows.map((r) => r.product.sku))).map((p) => [p.sku, p]));
  const plans = rows.map(({ product, groups }): ProductPlan => {
    const found = existing.get(product.sku);
    try {
      if (!found) return { sku: product.sku, create: productBody(product, groups, { create: true, currency, weightUnit }) };
      const body = productBody(product, groups, { create: false, currency, weightUnit });
      return { sku: product.sku, id: String(found.id ?? product.sku), body: Object.keys(body).length > 1 ? body : null };
    } catch (err) {
      return { sku: product.sku, error: rowError(err) };
    }
  });
  const writes = plans.filter((p) => 'create' in p || ('body' in p && p.body)).length;
  return writes > ctx.pageSize ? productsInBulk(ctx, plans) : productsOneByOne(ctx, plans);
}

async function productsOneByOne(ctx: MagentoContext, plans: ProductPlan[]): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  for (const plan of plans) {
    if ('error' in plan) { results.push(plan); continue; }
    try {
      if ('body' in plan) {
        if (plan.body) await ctx.client.request('PUT', `/products/${encodeURIComponent(plan.sku)}`, MProduct, { body: { product: plan.body }, scope: 'all' });
        results.push({ sku: plan.sku, id: plan.id, created: false });
        continue;
      }
      const made = await ctx.client.request('POST', '/products', MProduct, { body: { product: plan.create }, scope: 'all' });
      results.push(made.id === undefined || made.sku !== plan.sku
        ? { sku: plan.sku, error: new DovetailError('permanent', `POST /products for ${plan.sku} answered without the saved product (${made.sku})`) }
        : { sku: plan.sku, id: String(made.id), created: true });
    } catch (err) {
      results.push({ sku: plan.sku, error: rowError(err) });
    }
  }
  return results;
}

/** The bulk way: updates by `PUT /products/bySku`, creates by `POST /products`; a created SKU counts once a read finds it. */
async function productsInBulk(ctx: MagentoContext, plans: ProductPlan[]): Promise<WriteResult[]> {
  const creates = plans.filter((p): p is Extract<ProductPlan, { create: unknown }> => 'create' in p);
  const updates = plans.filter((p): p is Extract<ProductPlan, { body: unknown }> => 'body' in p && p.body !== null);
  const failed = new Map<string, DovetailError>();
  // an operation that failed (even one Magento calls retriable) fails its row alone: the bulk as a whole was taken
  const note = (list: { sku: string }[], outcomes: BulkOutcome[]) => outcomes.forEach((o, i) => { if (!o.ok) failed.set(list[i]!.sku, o.error); });
  if (updates.length) note(updates, await bulkWrite(ctx, 'PUT', '/products/bySku', updates.map((u) => ({ product: u.body })), 'all'));
  if (creates.length) note(creates, await bulkWrite(ctx, 'POST', '/products', creates.map((c) => ({ product: c.create })), 'all'));
  const made = new Map((await searchByValues(ctx, '/products', MProduct, 'sku', creates.filter((c) => !failed.has(c.sku)).map((c) => c.sku))).map((p) => [p.sku, p]));
  return plans.map((plan): WriteResult => {
    if ('error' in plan) return plan;
    const error = failed.get(plan.sku);
    if (error) return { sku: plan.sku, error };
    if ('body' in plan) return { sku: plan.sku, id: plan.id, created: false };
    const seen = made.get(plan.sku);
    return seen?.id !== undefined ? { sku: plan.sku, id: String(seen.id), created: true }
      : { sku: plan.sku, error: new DovetailError('permanent', `bulk POST /products: Magento reported ${plan.sku} saved, but a read does not find it`) };
  });
}

const SourceItem = z.object({ sku: z.string(), source_code: z.string(), quantity: z.number(), status: z.number().int() });
type SourceItem = z.infer<typeof SourceItem>;

/** MSI source item status */
const IN_STOCK = 1;
const OUT_OF_STOCK = 0;

/**
 * Source items per POST: 20, the entities Magento 2.4.7+ accepts in one synchronous request when
 * its web API input limits are on; a refused batch then costs at most 20 single retries.
 */
export const SOURCE_ITEMS_PER_CALL = 20;

/**
 * What the source must hold for the store to sell `available`: Magento's salable quantity is the
 * stock's source quantities less the reservations of its open orders (and of other sources of the
 * stock), so the gap between them is kept: source = available + (source now − salable now).
 */
export function sourceQuantityFor(available: number, sourceNow: number, salableNow: number): number {
  return Math.max(0, available + (sourceNow - salableNow));
}

/**
 * Makes the store sell `available` of each SKU it has. A SKU already salable at that number (and
 * its source item in the matching status) is not written; SKUs Magento does not have are left out.
 */
export async function setAvailable(ctx: MagentoContext, rows: { sku: string; available: number }[]): Promise<StockWriteResult[]> {
  if (!rows.length) return [];
  const skus = rows.map((r) => r.sku);
  const known = new Set((await searchByValues(ctx, '/products', z.object({ sku: z.string() }), 'sku', skus)).map((p) => p.sku));
  const items = new Map((await searchByValues(ctx, '/inventory/source-items', SourceItem, 'sku', skus))
    .filter((i) => i.source_code === ctx.sourceCode).map((i) => [i.sku, i]));
  const results: StockWriteResult[] = [];
  const toWrite: SourceItem[] = [];
  for (const { sku, available } of rows.filter((r) => known.has(r.sku))) {
    const item = items.get(sku);
    const status = available > 0 ? IN_STOCK : OUT_OF_STOCK;
    if (!item) {
      toWrite.push({ sku, source_code: ctx.sourceCode, quantity: Math.max(0, available), status });
      continue;
    }
    try {
      const salable = await ctx.client.request('GET', `/inventory/get-product-salable-quantity/${encodeURIComponent(sku)}/${ctx.stockId}`, z.number());
      if (salable === available && item.status === status) { results.push({ sku, written: false }); continue; }
      toWrite.push({ sku, source_code: ctx.sourceCode, quantity: sourceQuantityFor(available, item.quantity, salable), status });
    } catch (err) {
      results.push({ sku, error: rowError(err) });
    }
  }
  const batches = chunk(toWrite, SOURCE_ITEMS_PER_CALL);
  let refused: SourceItem[][] = [];
  if (toWrite.length > ctx.pageSize) {
    // more than a page: one bulk of every batch; a batch it refuses is sent again row by row, like a refused call
    const outcomes = await bulkWrite(ctx, 'POST', '/inventory/source-items', batches.map((sourceItems) => ({ sourceItems })));
    outcomes.forEach((o, i) => {
      if (o.ok) results.push(...batches[i]!.map((r) => ({ sku: r.sku, written: true })));
      else if (o.error.kind === 'permanent') refused.push(batches[i]!);
      else results.push(...batches[i]!.map((r) => ({ sku: r.sku, error: o.error })));
    });
  } else {
    refused = await sendBatches(ctx, batches, results);
  }
  for (const one of refused.flat()) {
    try {
      await ctx.client.request('POST', '/inventory/source-items', z.unknown(), { body: { sourceItems: [one] } });
      results.push({ sku: one.sku, written: true });
    } catch (e) {
      results.push({ sku: one.sku, error: rowError(e) });
    }
  }
  return results;
}

/** Each batch in one call; the batches Magento refused (it refuses a batch whole) are returned to be sent row by row. */
async function sendBatches(ctx: MagentoContext, batches: SourceItem[][], results: StockWriteResult[]): Promise<SourceItem[][]> {
  const refused: SourceItem[][] = [];
  for (const batch of batches) {
    try {
      await ctx.client.request('POST', '/inventory/source-items', z.unknown(), { body: { sourceItems: batch } });
      results.push(...batch.map((i) => ({ sku: i.sku, written: true })));
    } catch (err) {
      rowError(err);
      refused.push(batch);
    }
  }
  return refused;
}
