// The canonical web order as the store charged it: every amount in integer minor units,
// line amounts already net of every discount (order-level discounts prorated onto lines),
// so the inventory side can reproduce the store's total to the cent.
import { z } from 'zod';
import { Address, Customer } from './customer.js';

export const OrderLine = z.object({
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int().positive(),
  /** list unit price before discounts, excluding tax */
  unitPriceMinor: z.number().int(),
  /** what the line costs after all discounts, excluding tax */
  lineNetMinor: z.number().int(),
  /** tax charged on the line by the store */
  lineTaxMinor: z.number().int(),
  /** tax rate in percent, e.g. 10 or 7.25 */
  taxRatePercent: z.number(),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const ShippingCharge = z.object({
  name: z.string(),
  /** the store's code of the shipping method, the key master.shippingMethods keeps both systems' methods under; absent when the store gives none */
  methodCode: z.string().min(1).optional(),
  netMinor: z.number().int(),
  taxMinor: z.number().int(),
  taxRatePercent: z.number(),
});
export type ShippingCharge = z.infer<typeof ShippingCharge>;

/** What an order's state means to Dovetail: a cart (not placed yet), placed, or cancelled. Only placed orders are imported. */
export const OrderStatus = z.enum(['cart', 'placed', 'cancelled']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const Order = z.object({
  code: z.string(),
  channel: z.string(),
  placedAt: z.string(),
  currency: z.string().length(3),
  customer: Customer,
  shippingAddress: Address.nullable(),
  billingAddress: Address.nullable(),
  lines: z.array(OrderLine),
  shipping: z.array(ShippingCharge),
  /** plain-words list of the discounts the store applied, for the sale's description */
  discounts: z.array(z.object({ description: z.string(), amountMinor: z.number().int() })),
  totalNetMinor: z.number().int(),
  totalTaxMinor: z.number().int(),
  totalMinor: z.number().int(),
  /** the store's own state name, e.g. PaymentAuthorized, kept for people to read */
  state: z.string(),
  status: OrderStatus,
  /**
   * Dovetail made this store order for a sale entered in the inventory system (startOfflineOrder):
   * it mirrors that sale and is never imported as a web order, even before its code is mapped.
   */
  placedOffline: z.boolean(),
});
export type Order = z.infer<typeof Order>;
