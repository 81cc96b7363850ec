// A customer shipment as the inventory system made it: which SKUs left the warehouse, in what
// quantities, when, with which carrier and tracking code. Partial shipments are separate records.
import { z } from 'zod';

/** A customer shipment: preparing (not left yet), shipped (left, not done), done (delivered and booked), cancelled. */
export const ShipmentState = z.enum(['preparing', 'shipped', 'done', 'cancelled']);
export type ShipmentState = z.infer<typeof ShipmentState>;

export const ShipmentLine = z.object({
  sku: z.string(),
  quantity: z.number().int().positive(),
});
export type ShipmentLine = z.infer<typeof ShipmentLine>;

export const Shipment = z.object({
  /** the inventory system's id of the shipment */
  id: z.string(),
  /** its human number (Tryton's `number`), shown to people */
  number: z.string(),
  /** ISO date (YYYY-MM-DD) the goods left */
  shippedOn: z.string(),
  carrier: z.string().nullable(),
  trackingCode: z.string().nullable(),
  /** one line per SKU, quantities summed over the shipment's moves */
  lines: z.array(ShipmentLine),
});
export type Shipment = z.infer<typeof Shipment>;

/** A shipment change keyed by the inventory's sale id (`sale:<id>`), beside the store order code. */
export const SALE_KEY = 'sale:';

/** Every shipment of one order that has left the warehouse, and whether anything is still to ship. */
export const OrderShipments = z.object({
  orderCode: z.string(),
  /** the inventory system's sale id */
  saleId: z.string(),
  /** true once every line of the sale has shipped (nothing waits in a backorder) */
  complete: z.boolean(),
  /** done shipments, oldest first */
  shipments: z.array(Shipment),
});
export type OrderShipments = z.infer<typeof OrderShipments>;

/**
 * What the store is asked to record: one fulfilment. `ref` identifies it across retries and
 * crashes (the store keeps it on the fulfilment, so it can be found before one is created).
 */
export interface StoreShipment {
  ref: string;
  shippedOn: string;
  carrier: string | null;
  trackingCode: string | null;
  lines: ShipmentLine[];
}

/** The shipments of an order added into one (rules.partialShipmentsToStore: false): every line, the last date and carrier, every tracking code. */
export function combineShipments(ref: string, shipments: Shipment[]): StoreShipment {
  const qty = new Map<string, number>();
  for (const s of shipments) for (const l of s.lines) qty.set(l.sku, (qty.get(l.sku) ?? 0) + l.quantity);
  const last = shipments[shipments.length - 1];
  const codes = [...new Set(shipments.map((s) => s.trackingCode).filter((c): c is string => !!c))];
  return {
    ref, shippedOn: last?.shippedOn ?? '', carrier: last?.carrier ?? null,
    trackingCode: codes.length ? codes.join(', ') : null,
    lines: [...qty].map(([sku, quantity]) => ({ sku, quantity })),
  };
}
