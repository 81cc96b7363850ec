// A sale entered in the inventory system (phone, email, outside sales, an accepted quote), as the
// store needs it to show the order in the customer's history. Amounts in integer minor units.
import { z } from 'zod';
import { Address, Customer } from './customer.js';

/** A sale in the inventory system: draft, quotation (a quote), confirmed / processing / done (an order), cancelled. */
export const SaleState = z.enum(['draft', 'quotation', 'confirmed', 'processing', 'done', 'cancelled']);
export type SaleState = z.infer<typeof SaleState>;

export const OfflineSaleLine = z.object({ sku: z.string(), name: z.string(), quantity: z.number().int().positive() });
export type OfflineSaleLine = z.infer<typeof OfflineSaleLine>;

export const OfflineSale = z.object({
  /** the inventory system's id of the sale (the job key) */
  id: z.string(),
  /** its number as people see it, e.g. S0042 */
  number: z.string(),
  state: SaleState,
  /** true when everything on it has left the warehouse */
  shipped: z.boolean(),
  /** what the sale's reference field holds: a store order code for sales made from web orders */
  reference: z.string().nullable(),
  /** the customer; email is '' when the party has none */
  customer: Customer.extend({ email: z.string() }),
  shippingAddress: Address.nullable(),
  billingAddress: Address.nullable(),
  lines: z.array(OfflineSaleLine),
  currency: z.string(),
  totalMinor: z.number().int(),
});
export type OfflineSale = z.infer<typeof OfflineSale>;

/** What the inventory system says is a customer (rules.offlineCustomerAccounts). */
export interface InventoryCustomer {
  customer: z.infer<typeof Customer>;
  /** has at least one sale past draft (quoted, confirmed, processing or done) */
  hasSales: boolean;
}
