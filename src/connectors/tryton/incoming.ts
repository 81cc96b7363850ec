// Stock on its way in (inventory.incoming). A confirmed purchase makes draft moves from the
// supplier into its warehouse, planned for a day; receiving makes them done, cancelling cancels them.
import { z } from 'zod';
import type { IncomingStock } from '../../model/stock.js';
import { fromTrytonDate, type TrytonClient } from './client.js';

/** moves not yet received and not cancelled */
const OPEN_MOVE_STATES = ['draft', 'staging', 'assigned'];

const IncomingMove = z.object({
  internal_quantity: z.number(),
  planned_date: z.unknown().nullable(),
  'product.': z.object({ code: z.string().nullable() }),
});

/**
 * What open supplier moves bring into the published warehouses, per SKU, in one call: the SKU is
 * read through the move's product. SKUs with nothing on its way are absent.
 */
export async function incomingStock(client: TrytonClient, warehouseIds: number[], skus: string[]): Promise<Map<string, IncomingStock>> {
  if (!skus.length) return new Map();
  const moves = z.array(IncomingMove).parse(await client.searchRead('stock.move', [
    ['product.code', 'in', skus], ['from_location.type', '=', 'supplier'], ['state', 'in', OPEN_MOVE_STATES],
    ['to_location', 'child_of', warehouseIds, 'parent'],
  ], ['internal_quantity', 'planned_date', 'product.code'], {}, { active_test: false }));
  const out = new Map<string, IncomingStock>();
  for (const m of moves) {
    const sku = m['product.'].code;
    if (!sku) continue;
    const day = m.planned_date ? fromTrytonDate(m.planned_date).toISOString().slice(0, 10) : null;
    const seen = out.get(sku) ?? { sku, quantity: 0, expectedDate: null };
    // the first day anything arrives is what a customer waiting for it wants to know
    const expectedDate = [seen.expectedDate, day].filter((d): d is string => d !== null).sort()[0] ?? null;
    out.set(sku, { sku, quantity: seen.quantity + m.internal_quantity, expectedDate });
  }
  return out;
}
