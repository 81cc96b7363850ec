// Money as both systems see it: payments (authorised, captured), refunds and credit notes, every
// amount in integer minor units. A store payment Dovetail captured carries the capture's key.
import { z } from 'zod';
import { permanent } from '../errors.js';

export const StoreRefund = z.object({
  id: z.string(),
  /** Pending, Settled, Failed */
  state: z.string(),
  totalMinor: z.number().int(),
  /** Dovetail's refunds carry `dovetail:<key>` here, so a retry finds them */
  reason: z.string().nullable(),
});
export type StoreRefund = z.infer<typeof StoreRefund>;

export const StorePayment = z.object({
  id: z.string(),
  /** the store's state: Authorized, Settled, Declined, Cancelled, Error… */
  state: z.string(),
  amountMinor: z.number().int(),
  method: z.string(),
  /** set when Dovetail captured this payment (rules.capture: atShipment, rules.settleFrom: inventory) */
  captureKey: z.string().nullable(),
  refunds: z.array(StoreRefund),
});
export type StorePayment = z.infer<typeof StorePayment>;

/** Every payment of one store order, with the totals the money rules are checked against. */
export interface OrderMoney {
  orderCode: string;
  totalMinor: number;
  payments: StorePayment[];
  /** still authorised, not captured */
  authorisedMinor: number;
  /** captured (settled) */
  capturedMinor: number;
  /** refunded or being refunded (every refund not Failed) */
  refundedMinor: number;
}

const LIVE_REFUND = (r: StoreRefund) => r.state !== 'Failed';

export function orderMoney(orderCode: string, totalMinor: number, payments: StorePayment[]): OrderMoney {
  const sum = (ps: StorePayment[]) => ps.reduce((n, p) => n + p.amountMinor, 0);
  return {
    orderCode, totalMinor, payments,
    authorisedMinor: sum(payments.filter((p) => p.state === 'Authorized')),
    capturedMinor: sum(payments.filter((p) => p.state === 'Settled')),
    refundedMinor: payments.flatMap((p) => p.refunds).filter(LIVE_REFUND).reduce((n, r) => n + r.totalMinor, 0),
  };
}

/** What a capture through the store's payment API did. */
export interface CaptureResult {
  paymentId: string;
  amountMinor: number;
  /** false: this key had been captured before, nothing new was charged */
  created: boolean;
  remainingAuthorisedMinor: number;
}

/** What a refund through the store's payment API did: one refund per payment it drew on. */
export interface RefundResult {
  refundIds: string[];
  amountMinor: number;
  /** false: this key had been refunded before, nothing new was paid out */
  created: boolean;
}

/** A payment in the inventory system against a sale: receivable (money in) or payable (a refund out). */
export interface InventoryPayment {
  id: string;
  orderCode: string;
  kind: 'receivable' | 'payable';
  /** Tryton: draft, approved, processing, succeeded, failed */
  state: string;
  amountMinor: number;
  description: string;
}

/** A credit note in the inventory system for a sale; `amountMinor` is what it credits (positive). */
export interface CreditNote {
  id: string;
  orderCode: string;
  number: string | null;
  state: string;
  amountMinor: number;
  description: string;
}

/** One customer shipment seen from the money side: what it shipped and what shipped before it. */
export interface ShipmentForCapture {
  shipmentId: string;
  orderCode: string;
  state: string;
  lines: { sku: string; quantity: number }[];
  /** quantities shipped by the sale's done shipments before this one (lower ids) */
  earlier: { sku: string; quantity: number }[];
  /** true for the sale's first shipment: it carries the shipping charge */
  first: boolean;
}

/** The tag Dovetail writes into a record's description, so a retry finds what it made. */
export const moneyTag = (key: string) => `[dovetail ${key}]`;
/** The reason prefix of a refund Dovetail made in the store. */
export const refundReason = (key: string) => `dovetail:${key}`;

/** A money job's key `<orderCode>:<id>` -> its two parts (order codes have no colon; ids may). */
export function splitMoneyKey(key: string): { orderCode: string; id: string } {
  const at = key.indexOf(':');
  if (at <= 0) throw permanent(`malformed money job key ${key} (expected <orderCode>:<id>)`);
  return { orderCode: key.slice(0, at), id: key.slice(at + 1) };
}
