// Changes since a cursor by polling `write_date` / `create_date` (Tryton sets only create_date
// on create). The cursor is the newest timestamp seen; each read starts a few seconds before it
// since a transaction that commits late carries an earlier timestamp; re-read rows are
// recognised downstream by their version.
import { z } from 'zod';
import { SALE_KEY, type OrderShipments, type Shipment } from '../../model/shipment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { fromTrytonDate, trytonDateTime, type TrytonClient } from './client.js';

const OVERLAP_MS = 5_000;
const LIMIT = 2_000;

const Stamped = z.object({ id: z.number(), write_date: z.unknown().optional(), create_date: z.unknown().optional() });

export function stampOf(r: z.infer<typeof Stamped>): string {
  const w = r.write_date ? fromTrytonDate(r.write_date) : null;
  const c = r.create_date ? fromTrytonDate(r.create_date) : null;
  return (w && c ? (w > c ? w : c) : (w ?? c ?? new Date(0))).toISOString();
}

const sinceDomain = (since: Date) => ['OR', ['write_date', '>=', trytonDateTime(since)], ['create_date', '>=', trytonDateTime(since)]];

export async function changedRows<T extends z.ZodRawShape>(client: TrytonClient, model: string, cursor: string | null, extra: unknown[], shape: T)
  : Promise<{ rows: (z.infer<typeof Stamped> & z.infer<z.ZodObject<T>>)[]; cursor: string; more: boolean }> {
  const since = new Date(cursor ? Date.parse(cursor) - OVERLAP_MS : 0);
  const rows = await client.searchRead(model, [sinceDomain(since), ...extra], ['write_date', 'create_date', ...Object.keys(shape)],
    { limit: LIMIT, order: [['write_date', 'ASC'], ['id', 'ASC']] }, { active_test: false });
  const parsed = z.array(Stamped.extend(shape)).parse(rows) as (z.infer<typeof Stamped> & z.infer<z.ZodObject<T>>)[];
  let newest = cursor ?? since.toISOString();
  for (const r of parsed) { const s = stampOf(r); if (s > newest) newest = s; }
  return { rows: parsed, cursor: newest, more: parsed.length >= LIMIT };
}

/** Variants whose own record or whose template changed. */
export async function productChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  const products = await changedRows(client, 'product.product', cursor, [['code', '!=', null], ['type', '=', 'goods']], { code: z.string().nullable() });
  const templates = await changedRows(client, 'product.template', cursor, [['type', '=', 'goods']], { products: z.array(z.number()) });
  // One version per SKU, the newest of its own and its template's stamps: two versions for one
  // record in one read would each look new against the other on the next (overlapping) read.
  const newestBySku = new Map<string, string>();
  const note = (sku: string, stamp: string) => { if ((newestBySku.get(sku) ?? '') < stamp) newestBySku.set(sku, stamp); };
  for (const p of products.rows) if (p.code) note(p.code, stampOf(p));
  const variantIds = templates.rows.flatMap((t) => t.products);
  if (variantIds.length) {
    const stampByProduct = new Map(templates.rows.flatMap((t) => t.products.map((id) => [id, stampOf(t)] as const)));
    for (const [id, code] of await productCodes(client, variantIds)) if (code) note(code, stampByProduct.get(id) ?? '');
  }
  const changes: ChangeRef[] = [...newestBySku].map(([sku, stamp]) => ({ kind: 'product', key: sku, sourceVersion: `product:${stamp}` }));
  const newest = products.cursor > templates.cursor ? products.cursor : templates.cursor;
  return { changes, cursor: newest, more: products.more || templates.more };
}

/** SKU (product code) of each product id, archived products included; null where a product has none. */
export async function productCodes(client: TrytonClient, productIds: number[]): Promise<Map<number, string | null>> {
  const ids = [...new Set(productIds)];
  if (!ids.length) return new Map();
  const rows = z.array(z.object({ id: z.number(), code: z.string().nullable() })).parse(await client.read('product.product', ids, ['code'], { active_test: false }));
  return new Map(rows.map((p) => [p.id, p.code]));
}

/** Every stock move created, done, cancelled or edited changes what a SKU has available. */
export async function stockChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  const moves = await changedRows(client, 'stock.move', cursor, [], { product: z.number(), state: z.string() });
  const newestByProduct = new Map<number, string>();
  for (const m of moves.rows) {
    const s = `${stampOf(m)}:${m.id}:${m.state}`;
    if ((newestByProduct.get(m.product) ?? '') < s) newestByProduct.set(m.product, s);
  }
  if (!newestByProduct.size) return { changes: [], cursor: moves.cursor, more: moves.more };
  const codes = await productCodes(client, [...newestByProduct.keys()]);
  const changes: ChangeRef[] = [...codes].filter(([, code]) => code).map(([id, code]) => ({ kind: 'stock', key: code!, sourceVersion: `move:${newestByProduct.get(id)}` }));
  return { changes, cursor: moves.cursor, more: moves.more };
}

/**
 * Customer shipments that reached `done`, one change per store order (the sale's `reference`):
 * every shipment of one order is then handled by one job at a time, in order. Sales without a
 * reference were not made from a store order and are left out.
 */
export async function shipmentChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  const shipments = await changedRows(client, 'stock.shipment.out', cursor, [['state', '=', 'done']], { outgoing_moves: z.array(z.number()) });
  const moveIds = shipments.rows.flatMap((s) => s.outgoing_moves);
  if (!moveIds.length) return { changes: [], cursor: shipments.cursor, more: shipments.more };
  const moves = z.array(z.object({ id: z.number(), sale: z.number().nullable() })).parse(await client.read('stock.move', moveIds, ['sale']));
  const saleOfMove = new Map(moves.map((m) => [m.id, m.sale]));
  const saleIds = [...new Set(moves.map((m) => m.sale).filter((s): s is number => s !== null))];
  const sales = saleIds.length ? z.array(z.object({ id: z.number(), reference: z.string().nullable() })).parse(
    await client.read('sale.sale', saleIds, ['reference'])) : [];
  const referenceOf = new Map(sales.map((s) => [s.id, s.reference]));
  // One version per order, the newest of its shipments (as for products: two versions of one key
  // in one read would each look new against the other on the next, overlapping read).
  const newestByOrder = new Map<string, string>();
  for (const s of shipments.rows) {
    for (const saleId of new Set(s.outgoing_moves.map((m) => saleOfMove.get(m)).filter((x): x is number => typeof x === 'number'))) {
      const version = `${stampOf(s)}:${s.id}`;
      // a web sale carries the store order code as its reference; a phone sale mirrored into the
      // store is known to the engine by its sale id (its reference is the operator's own)
      for (const key of [referenceOf.get(saleId), `${SALE_KEY}${saleId}`]) {
        if (key && (newestByOrder.get(key) ?? '') < version) newestByOrder.set(key, version);
      }
    }
  }
  const changes: ChangeRef[] = [...newestByOrder].map(([code, v]) => ({ kind: 'shipment', key: code, sourceVersion: `shipment:${v}` }));
  return { changes, cursor: shipments.cursor, more: shipments.more };
}

const ShipmentRecord = z.object({
  id: z.number(), number: z.string().nullable(), state: z.string(), effective_date: z.unknown().optional(), planned_date: z.unknown().optional(),
  carrier: z.number().nullable().optional(), reference: z.string().nullable().optional(), outgoing_moves: z.array(z.number()),
});

/** The done customer shipments of the sale carrying `orderCode` (or of sale `saleId`), with their SKUs and quantities. */
export async function orderShipments(client: TrytonClient, orderCode: string, saleId?: string): Promise<OrderShipments | null> {
  const [sale] = z.array(z.object({ id: z.number(), shipment_state: z.string(), shipments: z.array(z.number()) })).parse(
    await client.searchRead('sale.sale', [saleId ? ['id', '=', Number(saleId)] : ['reference', '=', orderCode], ['state', '!=', 'cancelled']],
      ['shipment_state', 'shipments'], { limit: 1, order: [['id', 'ASC']] }));
  if (!sale) return null;
  const all = sale.shipments.length ? z.array(ShipmentRecord).parse(await client.read('stock.shipment.out', sale.shipments,
    ['number', 'state', 'effective_date', 'planned_date', 'carrier', 'reference', 'outgoing_moves'])) : [];
  const done = all.filter((s) => s.state === 'done').sort((a, b) => a.id - b.id);
  const moves = done.length ? z.array(z.object({ id: z.number(), product: z.number(), quantity: z.number(), state: z.string(), sale: z.number().nullable() })).parse(
    await client.read('stock.move', done.flatMap((s) => s.outgoing_moves), ['product', 'quantity', 'state', 'sale'])) : [];
  const productIds = [...new Set(moves.map((m) => m.product))];
  const codes = await productCodes(client, productIds);
  const carrierIds = [...new Set(done.map((s) => s.carrier).filter((c): c is number => typeof c === 'number'))];
  const carrierNames = new Map<number, string>();
  if (carrierIds.length) {
    const carriers = z.array(z.object({ id: z.number(), party: z.number() })).parse(await client.read('carrier', carrierIds, ['party']));
    const parties = new Map(z.array(z.object({ id: z.number(), name: z.string() })).parse(
      await client.read('party.party', [...new Set(carriers.map((c) => c.party))], ['name'])).map((p) => [p.id, p.name]));
    for (const c of carriers) carrierNames.set(c.id, parties.get(c.party) ?? '');
  }
  const moveById = new Map(moves.map((m) => [m.id, m]));
  const shipments: Shipment[] = [];
  for (const s of done) {
    const qty = new Map<string, number>();
    for (const id of s.outgoing_moves) {
      const m = moveById.get(id);
      // a shipment may carry moves of other sales (grouped shipping): only this sale's count here
      if (!m || m.state !== 'done' || m.sale !== sale.id || m.quantity <= 0) continue;
      const sku = codes.get(m.product);
      if (!sku) continue;
      qty.set(sku, (qty.get(sku) ?? 0) + Math.round(m.quantity)); // the store counts whole units
    }
    if (!qty.size) continue;
    const when = s.effective_date ?? s.planned_date;
    shipments.push({
      id: String(s.id), number: s.number ?? String(s.id),
      shippedOn: when ? fromTrytonDate(when).toISOString().slice(0, 10) : new Date().toISOString().slice(0, 10),
      carrier: (typeof s.carrier === 'number' ? carrierNames.get(s.carrier) : null) || null,
      trackingCode: s.reference?.trim() || null,
      lines: [...qty].map(([sku, quantity]) => ({ sku, quantity })),
    });
  }
  const open = all.some((s) => s.state !== 'done' && s.state !== 'cancelled');
  return { orderCode, saleId: String(sale.id), complete: sale.shipment_state === 'sent' || (!open && shipments.length > 0), shipments };
}
