// When and where money is captured (rules.capture, rules.settleFrom), and which payments are
// someone's new money rather than Dovetail's own writes coming back. Pure: the money handlers act on the answers.
import type { Config } from '../config/schema.js';
import type { OrderLinesState } from '../model/order-lines.js';
import type { InventoryPayment, StorePayment } from '../model/payment.js';

type Rules = Config['rules'];
type No = { act: false; why: string };

/**
 * What a done shipment in the inventory system does to the money (rules.capture, rules.settleFrom):
 * capture atOrder — nothing, the order was captured when placed; atShipment with settleFrom
 * store — capture the shipment's amount through the store now; with settleFrom inventory —
 * propose it there as a payment, which an operator processes (and that captures).
 */
export function shipmentCapturePlan(rules: Pick<Rules, 'capture' | 'settleFrom'>): 'capturedAtOrder' | 'captureInStore' | 'proposeInInventory' {
  if (rules.capture !== 'atShipment') return 'capturedAtOrder';
  return rules.settleFrom === 'inventory' ? 'proposeInInventory' : 'captureInStore';
}

/**
 * Money for cancelled units of a placed order (rules.capture): atShipment captured nothing for
 * unshipped units, so once nothing is left to ship what is still authorised is released (until
 * then: wait); atOrder took the money, so their value is refunded.
 */
export function cancelledUnitsMoney(setting: Rules['capture'], after: Pick<OrderLinesState, 'lines'>): 'refund' | 'release' | 'wait' {
  if (setting === 'atOrder') return 'refund';
  const unshipped = after.lines.reduce((n, l) => n + Math.max(0, l.quantity + l.returned - l.shipped), 0);
  return unshipped > 0 ? 'wait' : 'release';
}

/** A store payment is recorded in the inventory system when the store captured it by itself; one Dovetail captured is recorded by the job that captured it. */
export function storeCaptureToRecord(id: string, p: StorePayment | undefined): { act: true; payment: StorePayment } | No {
  if (!p) return { act: false, why: `payment ${id} not found` };
  if (p.captureKey) return { act: false, why: 'captured by Dovetail: recorded by the job that captured it' };
  if (p.state !== 'captured') return { act: false, why: `payment ${id} is ${p.state}, not captured` };
  return { act: true, payment: p };
}

/** An inventory payment is captured through the store (rules.settleFrom: inventory) when an operator processed a receivable payment Dovetail did not record itself. */
export function inventoryPaymentToCapture(id: string, p: InventoryPayment | null): { act: true; payment: InventoryPayment } | No {
  if (!p) return { act: false, why: `payment ${id} not found` };
  if (p.kind !== 'receivable' || p.recordedByDovetail || !(p.state === 'processing' || p.state === 'succeeded')) {
    return { act: false, why: `payment ${id} is a ${p.kind} payment in state ${p.state}${p.recordedByDovetail ? ' recorded by Dovetail' : ''}: nothing to capture` };
  }
  return { act: true, payment: p };
}
