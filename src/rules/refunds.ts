// Which refunds and credit notes are someone's new money (rules.refundsIn), and how much a
// cancellation refunds (rules.capture: atOrder). Pure: the refund and order-change handlers act on the answers.
import { changesBetween, type OrderLinesState } from '../model/order-lines.js';
import type { CreditNote, StoreRefund } from '../model/payment.js';

type No = { act: false; why: string };

/** A store refund is recorded in the inventory system (rules.refundsIn: store) once it is paid out, unless Dovetail made it. */
export function storeRefundToRecord<R extends StoreRefund>(id: string, refund: R | undefined): { act: true; refund: R } | No {
  if (!refund) return { act: false, why: `refund ${id} not found` };
  if (refund.dovetailKey !== null) return { act: false, why: 'made by Dovetail: recorded by the job that made it' };
  if (refund.state !== 'settled') return { act: false, why: `refund ${id} is ${refund.state}` };
  return { act: true, refund };
}

/** A credit note is refunded through the store (rules.refundsIn: inventory) once posted (or paid), unless Dovetail made it. */
export function creditNoteToRefund(id: string, note: CreditNote | null): { act: true; note: CreditNote } | No {
  if (!note) return { act: false, why: `credit note ${id} not found` };
  if (note.byDovetail) return { act: false, why: 'made by Dovetail' };
  if (note.state !== 'posted' && note.state !== 'paid') return { act: false, why: `credit note ${id} is ${note.state}, not posted` };
  return { act: true, note };
}

export interface CancellationRefund {
  /** what the cancelled units cost the customer */
  valueMinor: number;
  /** what to refund now: never more than the store holds beyond what the order now costs; 0 or less means nothing */
  amountMinor: number;
}

/**
 * How much cancelled units refund (rules.capture: atOrder). Their value is the store's own total
 * difference when nothing but accepted cancellations changed (its rounding, its discounts), else
 * each unit's price. The refund never exceeds what was captured beyond refunds and the order's new
 * total, so a refund a person already made by hand is not made twice; a refund this change made
 * before (`refundedBefore`) is asked again in full, for the store to find it by its key.
 */
export function cancellationRefund(input: {
  before: OrderLinesState; after: OrderLinesState; accepted: (sku: string) => boolean;
  money: { capturedMinor: number; refundedMinor: number }; refundedBefore: boolean;
}): CancellationRefund {
  const { before, after, accepted, money, refundedBefore } = input;
  const changes = changesBetween(before, after);
  const cancels = changes.filter((c) => c.kind === 'cancel' && accepted(c.sku));
  const unitsOnly = changes.every((c) => c.kind === 'cancel' && accepted(c.sku));
  const previous = new Map(before.lines.map((l) => [l.sku, l]));
  const valueMinor = unitsOnly ? before.totalMinor - after.totalMinor
    : cancels.reduce((n, c) => n + c.quantity * (previous.get(c.sku)?.unitGrossMinor ?? 0), 0);
  const amountMinor = refundedBefore ? valueMinor : Math.min(valueMinor, money.capturedMinor - money.refundedMinor - after.totalMinor);
  return { valueMinor, amountMinor };
}
