// Writing products and stock to Magento: products one call per SKU at global scope, looked up
// first; stock as MSI source items in batches, the number computed so the store sells `available`.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StockWriteResult, WriteResult } from '../types.js';
import { MProduct, productBody } from './mappers.js';
import { chunk, searchByValues, type MagentoContext } from './reads.js';

/** A record Magento refused stays with its row; anything else (down, token) stops the whole call. */
function rowError(err: unknown): DovetailError {
  if (err instanceof DovetailError && err.kind === 'permanent') return err;
  throw err;
}

export async function upsertProducts(ctx: MagentoContext, rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]> {
  if (!rows.length) return [];
  const { currency, weightUnit } = await ctx.storeView();
  const existing = new Map((await searchByValues(ctx, '/products', MProduct, 'sku', rows.map((r) => r.product.sku))).map((p) => [p.sku, p]));
  const results: WriteResult[] = [];
  for (const { product, groups } of rows) {
    const sku = product.sku;
    const found = existing.get(sku);
    try {
      if (found) {
        const body = productBody(product, groups, { create: false, currency, weightUnit });
        if (Object.keys(body).length > 1) {
          await ctx.client.request('PUT', `/products/${encodeURIComponent(sku)}`, MProduct, { body: { product: body }, scope: 'all' });
        }
        results.push({ sku, id: String(found.id ?? sku), created: false });
        continue;
      }
      const made = await ctx.client.request('POST', '/products', MProduct, { body: { product: productBody(product, groups, { create: true, currency, weightUnit }) }, scope: 'all' });
      if (made.id === undefined || made.sku !== sku) {
        results.push({ sku, error: new DovetailError('permanent', `POST /products for ${sku} answered without the saved product (${made.sku})`) });
        continue;
      }
      results.push({ sku, id: String(made.id), created: true });
    } catch (err) {
      results.push({ sku, error: rowError(err) });
    }
  }
  return results;
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
  for (const batch of chunk(toWrite, SOURCE_ITEMS_PER_CALL)) {
    try {
      await ctx.client.request('POST', '/inventory/source-items', z.unknown(), { body: { sourceItems: batch } });
      results.push(...batch.map((i) => ({ sku: i.sku, written: true })));
    } catch (err) {
      rowError(err);
      // Magento refuses a batch whole: each row alone tells which one it was
      for (const one of batch) {
        try {
          await ctx.client.request('POST', '/inventory/source-items', z.unknown(), { body: { sourceItems: [one] } });
          results.push({ sku: one.sku, written: true });
        } catch (e) {
          results.push({ sku: one.sku, error: rowError(e) });
        }
      }
    }
  }
  return results;
}
