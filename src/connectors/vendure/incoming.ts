// Stock on its way in, shown on Vendure variants (inventory.incoming): the plugin's incomingQuantity
// and incomingDate fields, and back-orders through a negative out-of-stock threshold.
import { z } from 'zod';
import { writeEach } from '../per-record.js';
import type { IncomingRow, StockWriteResult } from '../types.js';
import type { VendureClient } from './client.js';

const CHUNK = 100;

const IncomingVariant = z.object({
  id: z.string(), sku: z.string(),
  outOfStockThreshold: z.number().int(), useGlobalOutOfStockThreshold: z.boolean(),
  customFields: z.object({ incomingQuantity: z.number().int().nullable(), incomingDate: z.string().nullable() }),
});
type IncomingVariant = z.infer<typeof IncomingVariant>;

/** The variant fields to send for `row`, or null when the variant already shows it. */
export function incomingUpdate(v: IncomingVariant, row: IncomingRow): Record<string, unknown> | null {
  const update: Record<string, unknown> = {};
  if ((v.customFields.incomingQuantity ?? 0) !== row.quantity || v.customFields.incomingDate !== row.expectedDate) {
    update.customFields = { incomingQuantity: row.quantity, incomingDate: row.expectedDate };
  }
  // Vendure sells stockOnHand − allocated − threshold, so −N lets N units go as back-orders.
  if (row.backorder && row.quantity > 0) {
    if (v.useGlobalOutOfStockThreshold || v.outOfStockThreshold !== -row.quantity) Object.assign(update, { useGlobalOutOfStockThreshold: false, outOfStockThreshold: -row.quantity });
  } else if (!v.useGlobalOutOfStockThreshold && v.outOfStockThreshold < 0) {
    // back-orders end with what was coming (received or cancelled): back to the store's own threshold.
    // A variant's own positive threshold (units kept back) is not Dovetail's and stays.
    Object.assign(update, { useGlobalOutOfStockThreshold: true, outOfStockThreshold: 0 });
  }
  return Object.keys(update).length ? { id: v.id, ...update } : null;
}

/** Reads the variants in pages of 100 SKUs, then sends every change in one call (split only when Vendure refuses it). */
export async function setIncoming(client: VendureClient, rows: IncomingRow[]): Promise<StockWriteResult[]> {
  const variants = new Map<string, IncomingVariant>();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK).map((r) => r.sku);
    const r = await client.admin(`query IncomingBySku($o: ProductVariantListOptions) { productVariants(options: $o) { items {
      id sku outOfStockThreshold useGlobalOutOfStockThreshold customFields { incomingQuantity incomingDate } } } }`,
    { o: { filter: { sku: { in: chunk } }, take: chunk.length } }, z.object({ productVariants: z.object({ items: z.array(IncomingVariant) }) }));
    for (const v of r.productVariants.items) variants.set(v.sku, v);
  }
  const known = rows.filter((r) => variants.has(r.sku));
  const changes = known.flatMap((r) => {
    const update = incomingUpdate(variants.get(r.sku)!, r);
    return update ? [{ sku: r.sku, update }] : [];
  });
  const refusals = await writeEach(changes, async (part) => {
    await client.admin(`mutation SetIncoming($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: part.map((c) => c.update) }, z.object({ updateProductVariants: z.array(z.object({ id: z.string() }).nullable()) }));
  });
  const refused = new Map([...refusals].map(([c, error]) => [c.sku, error]));
  const written = new Set(changes.map((c) => c.sku));
  return known.map((r): StockWriteResult => {
    const error = refused.get(r.sku);
    return error ? { sku: r.sku, error } : { sku: r.sku, written: written.has(r.sku) };
  });
}
