// Money as both systems see it: payments (authorised, captured), refunds and credit notes, every
// amount in integer minor units, every state in Dovetail's own words (each connector's mappers
// translate its system's). A record Dovetail wrote itself says so (its key, or a flag), so the
// engine tells its own writes coming back from new ones without knowing how a system marks them.
import { z } from 'zod';
import { permanent } from '../errors.js';
import type { ShipmentState } from './shipment.js';

/** A store payment: pending (not authorised yet), authorised (held), captured (money taken), declined, cancelled (released), failed. */
export const PaymentState = z.enum(['pending', 'authorised', 'captured', 'declined', 'cancelled', 'failed']);
export type PaymentState = z.infer<typeof PaymentState>;

/** A store refund: pending (asked, not paid out yet), settled (paid out), failed. */
export const RefundState = z.enum(['pending', 'settled', 'failed']);
export type RefundState = z.infer<typeof RefundState>;

export const StoreRefund = z.object({
  id: z.string(),
  state: RefundState,
  totalMinor: z.number().int(),
  /** the reason the store shows, for people */
  reason: z.string().nullable(),
  /** the key Dovetail gave this refund when Dovetail made it (so a retry finds it); null for anyone else's */
  dovetailKey: z.string().nullable(),
});
export type StoreRefund = z.infer<typeof StoreRefund>;

export const StorePayment = z.object({
  id: z.string(),
  state: PaymentState,
  amountMinor: z.number().int(),
  method: z.string(),
  /** the capture's key when Dovetail captured this payment (rules.capture: atShipment, rules.settleFrom: inventory); null for anyone else's */
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
  /** refunded or being refunded (every refund not failed) */
  refundedMinor: number;
}

const LIVE_REFUND = (r: StoreRefund) => r.state !== 'failed';

export function orderMoney(orderCode: string, totalMinor: number, payments: StorePayment[]): OrderMoney {
  const sum = (ps: StorePayment[]) => ps.reduce((n, p) => n + p.amountMinor, 0);
  return {
    orderCode, totalMinor, payments,
    authorisedMinor: sum(payments.filter((p) => p.state === 'authorised')),
    capturedMinor: sum(payments.filter((p) => p.state === 'captured')),
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

/**
 * What the inventory system holds as settled against one web order's sale: money received
 * (receivable payments succeeded) and paid out (payable payments succeeded). Reconcile compares
 * them with what the store captured and refunded.
 */
export interface SaleMoney {
  receivedMinor: number;
  paidOutMinor: number;
}

/**
 * An inventory payment: pending (entered or approved, not processed yet), processing (an operator
 * processed it: the money is expected), succeeded, failed.
 */
export const InventoryPaymentState = z.enum(['pending', 'processing', 'succeeded', 'failed']);
export type InventoryPaymentState = z.infer<typeof InventoryPaymentState>;

/** A payment in the inventory system against a sale: receivable (money in) or payable (a refund out). */
export interface InventoryPayment {
  id: string;
  orderCode: string;
  kind: 'receivable' | 'payable';
  state: InventoryPaymentState;
  amountMinor: number;
  description: string;
  /** true when Dovetail recorded it (money the store moved); false for an operator's, and for one Dovetail proposed for an operator to process */
  recordedByDovetail: boolean;
}

/** A credit note: draft (not final yet), posted, paid, cancelled. */
export const CreditNoteState = z.enum(['draft', 'posted', 'paid', 'cancelled']);
export type CreditNoteState = z.infer<typeof CreditNoteState>;

/** A credit note in the inventory system for a sale; `amountMinor` is what it credits (positive). */
export interface CreditNote {
  id: string;
  orderCode: string;
  number: string | null;
  state: CreditNoteState;
  amountMinor: number;
  description: string;
  /** true when Dovetail made it (a store refund recorded there) */
  byDovetail: boolean;
}

/** One customer shipment seen from the money side: what it shipped and what shipped before it. */
export interface ShipmentForCapture {
  shipmentId: string;
  orderCode: string;
  state: ShipmentState;
  lines: { sku: string; quantity: number }[];
  /** quantities shipped by the sale's done shipments before this one (lower ids) */
  earlier: { sku: string; quantity: number }[];
  /** true for the sale's first shipment: it carries the shipping charge */
  first: boolean;
}


/** A money job's key `<orderCode>:<id>` -> its two parts (order codes have no colon; ids may). */
export function splitMoneyKey(key: string): { orderCode: string; id: string } {
  const at = key.indexOf(':');
  if (at <= 0) throw permanent(`malformed money job key ${key} (expected <orderCode>:<id>)`);
  return { orderCode: key.slice(0, at), id: key.slice(at + 1) };
}
