// Stock as the inventory system knows it, per SKU. Allocations are listed per sale so the
// engine can tell the store's own orders (which the store already reserves) from offline ones.
import { z } from 'zod';

export const StockPosition = z.object({
  sku: z.string(),
  /** physically in the warehouse(s) Dovetail publishes */
  onHand: z.number(),
  /** quantities reserved by unshipped sales, by the inventory system's sale id */
  allocations: z.array(z.object({ saleId: z.string(), quantity: z.number() })),
});
export type StockPosition = z.infer<typeof StockPosition>;

/**
 * What open purchases will bring into the published warehouses (inventory.incoming): ordered and
 * confirmed, neither received nor cancelled yet.
 */
export const IncomingStock = z.object({
  sku: z.string(),
  /** in the product's unit; 0 when nothing is on its way */
  quantity: z.number(),
  /** the earliest planned arrival (YYYY-MM-DD), null when no purchase names a day */
  expectedDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
});
export type IncomingStock = z.infer<typeof IncomingStock>;
