// What happened to a placed order's lines after it was placed, as one system sees it now:
// per SKU, how many units the customer still gets, how many left the warehouse and how many came
// back. Cancellations, returns and edits (rules.cancellationsIn, returnsIn, orderEditsIn) are all
// read as the difference between two of these, judged by effect, not by the button pressed:
//   - fewer units, none of them shipped         → a cancellation
//   - units that had shipped came back          → a return
//   - more units, or a SKU the order did not have → an edit
// The same yardstick on both sides is what lets Dovetail tell its own writes (echoes) from new
// changes: after a write both sides agree, and agreement needs no action.
import { z } from 'zod';
import type { Order } from './order.js';

export const LineState = z.object({
  sku: z.string(),
  /** units the customer gets now: ordered (with edits) less cancelled less returned */
  quantity: z.number().int().min(0),
  /** units that left the warehouse (before any came back) */
  shipped: z.number().int().min(0),
  /** units that came back */
  returned: z.number().int().min(0),
  /** what one unit costs the customer, tax included, in minor units (to price a cancellation) */
  unitGrossMinor: z.number().int(),
  /** what one unit costs before tax, after discounts (to price an added unit) */
  unitNetMinor: z.number().int(),
  /** the line's tax rate in percent (for an added line) */
  taxRatePercent: z.number(),
});
export type LineState = z.infer<typeof LineState>;

export const OrderLinesState = z.object({
  orderCode: z.string(),
  /** one entry per SKU (a system's several lines of one SKU summed) */
  lines: z.array(LineState),
  /** the order's total now, tax and shipping included, in minor units */
  totalMinor: z.number().int(),
  /** the system's own state name, for people */
  state: z.string(),
});
export type OrderLinesState = z.infer<typeof OrderLinesState>;

/** The order as placed, in this shape: what both systems hold right after the import. */
export function linesAsPlaced(order: Order, totalMinor: number): OrderLinesState {
  const bySku = new Map<string, { quantity: number; net: number; tax: number; taxRatePercent: number }>();
  for (const l of order.lines) {
    const s = bySku.get(l.sku) ?? { quantity: 0, net: 0, tax: 0, taxRatePercent: l.taxRatePercent };
    s.quantity += l.quantity; s.net += l.lineNetMinor; s.tax += l.lineTaxMinor;
    bySku.set(l.sku, s);
  }
  return {
    orderCode: order.code, totalMinor, state: order.state,
    lines: [...bySku].map(([sku, s]) => ({ sku, quantity: s.quantity, shipped: 0, returned: 0, taxRatePercent: s.taxRatePercent,
      unitGrossMinor: Math.round((s.net + s.tax) / s.quantity), unitNetMinor: Math.round(s.net / s.quantity) })),
  };
}

/** One change to an order's lines, as the engine carries it to the other system. */
export type LineChange =
  | { kind: 'cancel'; sku: string; quantity: number }
  | { kind: 'return'; sku: string; quantity: number }
  /** the SKU's ordered quantity becomes `quantity` (a new SKU: from 0) */
  | { kind: 'edit'; sku: string; from: number; quantity: number; unitNetMinor: number; taxRatePercent: number };

const bySku = (s: OrderLinesState) => new Map(s.lines.map((l) => [l.sku, l]));

/**
 * What one system changed between two of its own readings. A SKU missing from `now` counts as
 * quantity 0 (a removed line). Shipping is not a change here: the shipments flow carries it.
 */
export function changesBetween(before: OrderLinesState, now: OrderLinesState): LineChange[] {
  const was = bySku(before), is = bySku(now);
  const out: LineChange[] = [];
  for (const sku of new Set([...was.keys(), ...is.keys()])) {
    const b = was.get(sku), n = is.get(sku);
    const returned = (n?.returned ?? 0) - (b?.returned ?? 0);
    if (returned > 0) out.push({ kind: 'return', sku, quantity: returned });
    // ordered units, returns put back: a drop is a cancellation, a rise (or a new SKU) an edit
    const ordered = (n?.quantity ?? 0) + Math.max(returned, 0) - (b?.quantity ?? 0);
    if (ordered < 0) out.push({ kind: 'cancel', sku, quantity: -ordered });
    if (ordered > 0) {
      const line = n!;
      out.push({ kind: 'edit', sku, from: b?.quantity ?? 0, quantity: (b?.quantity ?? 0) + ordered, unitNetMinor: line.unitNetMinor, taxRatePercent: line.taxRatePercent });
    }
  }
  return out;
}

/** The part of `mine` the other side does not show yet: equal cancellations and returns cancel out, an edit to the same quantity too. */
export function notYetIn(mine: LineChange[], theirs: LineChange[]): LineChange[] {
  const out: LineChange[] = [];
  for (const c of mine) {
    const same = theirs.filter((t) => t.kind === c.kind && t.sku === c.sku);
    if (c.kind === 'edit') {
      if (!same.some((t) => t.kind === 'edit' && t.quantity - t.from === c.quantity - c.from)) out.push(c);
      continue;
    }
    const left = c.quantity - same.reduce((n, t) => n + (t.kind === 'edit' ? 0 : t.quantity), 0);
    if (left > 0) out.push({ ...c, quantity: left });
  }
  return out;
}

/** True when both systems give the customer the same units and count the same returns. */
export function linesAgree(a: OrderLinesState, b: OrderLinesState): boolean {
  const x = bySku(a), y = bySku(b);
  for (const sku of new Set([...x.keys(), ...y.keys()])) {
    if ((x.get(sku)?.quantity ?? 0) !== (y.get(sku)?.quantity ?? 0)) return false;
    if ((x.get(sku)?.returned ?? 0) !== (y.get(sku)?.returned ?? 0)) return false;
  }
  return true;
}

/** The rule that decides where each kind of change may be made. */
export const RULE_OF_CHANGE = { cancel: 'cancellationsIn', return: 'returnsIn', edit: 'orderEditsIn' } as const;

export function describeChange(c: LineChange): string {
  switch (c.kind) {
    case 'cancel': return `${c.quantity} × ${c.sku} cancelled`;
    case 'return': return `${c.quantity} × ${c.sku} returned`;
    case 'edit': return c.from === 0 ? `${c.quantity} × ${c.sku} added` : `${c.sku} changed from ${c.from} to ${c.quantity}`;
  }
}
