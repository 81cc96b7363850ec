// How much a shipment captures (rules.capture: atShipment). Pure: no I/O. The rule: each order
// line's charged amount (net + tax, discounts included, as the store charged it) is shared out
// over its units; a shipment captures the cumulative share of what has shipped so far, less what
// earlier shipments captured, so rounding never drifts and the shipments add up to the line to
// the cent. Shipping charges (net + tax) go with the first shipment.
import type { Order } from '../model/order.js';

type Qty = { sku: string; quantity: number }[];

const bySku = (lines: Qty) => {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.sku, (m.get(l.sku) ?? 0) + l.quantity);
  return m;
};

export interface CaptureAmount { amountMinor: number; parts: { sku: string; quantity: number; amountMinor: number }[]; shippingMinor: number }

export function captureAmount(order: Pick<Order, 'lines' | 'shipping'>, shipment: { lines: Qty; earlier: Qty; first: boolean }): CaptureAmount {
  const ordered = new Map<string, { quantity: number; grossMinor: number }>();
  for (const l of order.lines) {
    const o = ordered.get(l.sku) ?? { quantity: 0, grossMinor: 0 };
    ordered.set(l.sku, { quantity: o.quantity + l.quantity, grossMinor: o.grossMinor + l.lineNetMinor + l.lineTaxMinor });
  }
  const before = bySku(shipment.earlier);
  const parts: CaptureAmount['parts'] = [];
  for (const [sku, quantity] of bySku(shipment.lines)) {
    const line = ordered.get(sku);
    if (!line) throw new Error(`SKU ${sku} was shipped but is not on the store order`);
    const prior = before.get(sku) ?? 0;
    if (prior + quantity > line.quantity) throw new Error(`${prior + quantity} of SKU ${sku} shipped, but the store order has ${line.quantity}`);
    const share = (q: number) => Math.round((line.grossMinor * q) / line.quantity);
    parts.push({ sku, quantity, amountMinor: share(prior + quantity) - share(prior) });
  }
  const shippingMinor = shipment.first ? order.shipping.reduce((n, s) => n + s.netMinor + s.taxMinor, 0) : 0;
  return { amountMinor: parts.reduce((n, p) => n + p.amountMinor, 0) + shippingMinor, parts, shippingMinor };
}

/**
 * Whether a shipment's capture asks the store for money (rules.capture: atShipment). Nothing is
 * asked when the shipment costs nothing, or when the store already holds the whole order: its
 * payment method settled at checkout, nothing is still authorised, and that money is recorded by
 * the store-payment flow. A capture this key made before always goes on, so a retry after a crash
 * finds it and records it.
 */
export function shipmentCapture(amountMinor: number, store: { authorisedMinor: number; capturedMinor: number; totalMinor: number; capturedForThisKey: boolean })
  : { capture: true } | { capture: false; why: string } {
  if (store.capturedForThisKey) return { capture: true };
  if (amountMinor <= 0) return { capture: false, why: 'the shipment carries nothing that is charged' };
  if (store.authorisedMinor === 0 && store.capturedMinor >= store.totalMinor) {
    return { capture: false, why: `the store captured the whole order (${store.capturedMinor} of ${store.totalMinor}) at checkout: nothing is left to capture` };
  }
  return { capture: true };
}
