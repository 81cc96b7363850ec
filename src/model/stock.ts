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
