// Changes since a cursor by polling `write_date` / `create_date`, as keyset streams the engine's
// change feed pages through (change-feed.ts): rows written, by (write_date, id), and rows never
// written since created (write_date null), by (create_date, id). Re-read rows are recognised
// downstream by their version.
import { z } from 'zod';
import { readFeed, type ChangeStream, type StreamKey } from '../../engine/change-feed.js';
import { permanent } from '../../errors.js';
import { SALE_KEY, type OrderShipments, type Shipment } from '../../model/shipment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { productsOfAttributes } from './attributes.js';
import { PRICE_LEVEL_FEEDS, priceLevelChanges } from './price-levels.js';
import { fromTrytonDate, type TrytonClient } from './client.js';

/** a transaction of more rows than a page (an import, a stock-take) is read over several pages */
const FEED = { pageSize: 2_000, overlapMs: 5_000, fractionDigits: 6 };

const Stamped = z.object({ id: z.number(), write_date: z.unknown().optional(), create_date: z.unknown().optional() });
type Stamped = z.infer<typeof Stamped>;

/** The time of a row's last change, to the millisecond: the part of a version that says "changed again". */
export function stampOf(r: Stamped): string {
  const w = r.write_date ? fromTrytonDate(r.write_date) : null;
  const c = r.create_date ? fromTrytonDate(r.create_date) : null;
  return (w && c ? (w > c ? w : c) : (w ?? c ?? new Date(0))).toISOString();
}

const WireStamp = z.object({ __class__: z.literal('datetime'), year: z.number(), month: z.number(), day: z.number(),
  hour: z.number(), minute: z.number(), second: z.number(), microsecond: z.number().optional() });
const two = (n: number) => String(n).padStart(2, '0');

/** A Tryton datetime as stamp text, microseconds kept: a JS Date drops them, and `=` in a domain would then miss the row. */
function stampText(v: unknown): string {
  const d = WireStamp.parse(v);
  return `${d.year}-${two(d.month)}-${two(d.day)}T${two(d.hour)}:${two(d.minute)}:${two(d.second)}.${String(d.microsecond ?? 0).padStart(6, '0')}Z`;
}

function wireStamp(at: string) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z$/.exec(at);
  if (!m) throw permanent(`not a Tryton stamp: ${at}`);
  const [year, month, day, hour, minute, second, microsecond] = m.slice(1).map(Number);
  return { __class__: 'datetime', year, month, day, hour, minute, second, microsecond };
}

/** What a feed reads of one model: the rows matching `domain`, with the fields of `shape`. */
export interface ModelFeed<T extends z.ZodRawShape = z.ZodRawShape> { model: string; domain: unknown[]; shape: T }
type RowOf<F> = F extends ModelFeed<infer T> ? Stamped & z.infer<z.ZodObject<T>> : never;

function modelStream<T extends z.ZodRawShape>(client: TrytonClient, feed: ModelFeed<T>, column: 'write_date' | 'create_date'): ChangeStream<RowOf<ModelFeed<T>>> {
  const Row = Stamped.extend(feed.shape);
  return {
    async readPage(after: StreamKey | null, limit: number) {
      const at = after && wireStamp(after.at);
      const position = !after ? [column, '!=', null] : after.id === null ? [column, '>=', at]
        : ['OR', [column, '>', at], [[column, '=', at], ['id', '>', Number(after.id)]]];
      const domain = [position, ...(column === 'create_date' ? [['write_date', '=', null]] : []), ...feed.domain];
      const rows = z.array(Row).parse(await client.searchRead(feed.model, domain, ['write_date', 'create_date', ...Object.keys(feed.shape)],
        { limit, order: [[column, 'ASC'], ['id', 'ASC']] }, { active_test: false })) as RowOf<ModelFeed<T>>[];
      const last = rows.at(-1);
      return { rows, last: last ? { at: stampText(last[column]), id: String(last.id) } : null, more: rows.length >= limit };
    },
  };
}

/**
 * One page of a feed over several models, each read as two streams (written, and created but never
 * written: a null write_date has no place in (write_date, id) order). `toChanges` gets the rows of
 * each model this page read. A feed reads each model once: the stream names in the cursor are the models'.
 */
export async function changedRows<M extends Record<string, ModelFeed>>(client: TrytonClient, cursor: string | null, models: M,
  toChanges: (rows: { [K in keyof M]: RowOf<M[K]>[] }) => Promise<ChangeRef[]> | ChangeRef[]): Promise<ChangePage> {
  const streams: Record<string, ChangeStream<Stamped>> = {};
  for (const feed of Object.values(models)) {
    streams[`${feed.model}/written`] = modelStream(client, feed, 'write_date');
    streams[`${feed.model}/created`] = modelStream(client, feed, 'create_date');
  }
  return readFeed(cursor, streams, (byStream) => toChanges(Object.fromEntries(Object.entries(models).map(([name, feed]) =>
    [name, [...byStream[`${feed.model}/written`], ...byStream[`${feed.model}/created`]]])) as { [K in keyof M]: RowOf<M[K]>[] }), FEED);
}

/**
 * Variants whose own record or whose template changed; with product_attribute, also the variants
 * whose attribute set holds an attribute that changed (an option relabelled).
 */
export function productChanges(client: TrytonClient, cursor: string | null, opts: { attributes: boolean; priceLists: boolean } = { attributes: false, priceLists: false }): Promise<ChangePage> {
  return changedRows(client, cursor, {
    products: { model: 'product.product', domain: [['code', '!=', null], ['type', '=', 'goods']], shape: { code: z.string().nullable() } },
    templates: { model: 'product.template', domain: [['type', '=', 'goods']], shape: { products: z.array(z.number()) } },
    ...(opts.attributes ? { attributes: { model: 'product.attribute', domain: [], shape: {} } } : {}),
    // master.priceLevels: a price list or line changed changes the level prices of its products
    ...(opts.priceLists ? PRICE_LEVEL_FEEDS : {}),
  }, async ({ products, templates, attributes, lists, lines }) => {
    // One version per SKU, the newest of its own and its template's stamps: two versions for one
    // record in one read would each look new against the other on the next (overlapping) read.
    const newestBySku = new Map<string, string>();
    const note = (sku: string, stamp: string) => { if ((newestBySku.get(sku) ?? '') < stamp) newestBySku.set(sku, stamp); };
    for (const p of products) if (p.code) note(p.code, stampOf(p));
    const variantIds = templates.flatMap((t) => t.products);
    if (variantIds.length) {
      const stampByProduct = new Map(templates.flatMap((t) => t.products.map((id) => [id, stampOf(t)] as const)));
      for (const [id, code] of await productCodes(client, variantIds)) if (code) note(code, stampByProduct.get(id) ?? '');
    }
    const changedAttributes = attributes ?? [];
    if (changedAttributes.length) {
      // every variant of a set holding a changed attribute, at the newest of those attributes' stamps
      const newest = changedAttributes.map(stampOf).sort().at(-1)!;
      for (const [, code] of await productCodes(client, await productsOfAttributes(client, changedAttributes.map((a) => a.id)))) if (code) note(code, newest);
    }
    for (const [sku, stamp] of await priceLevelChanges(client, { lists: lists ?? [], lines: lines ?? [] })) note(sku, stamp);
    return [...newestBySku].map(([sku, stamp]): ChangeRef => ({ kind: 'product', key: sku, sourceVersion: `product:${stamp}` }));
  });
}

/** SKU (product code) of each product id, archived products included; null where a product has none. */
export async function productCodes(client: TrytonClient, productIds: number[]): Promise<Map<number, string | null>> {
  const ids = [...new Set(productIds)];
  if (!ids.length) return new Map();
  const rows = z.array(z.object({ id: z.number(), code: z.string().nullable() })).parse(await client.read('product.product', ids, ['code'], { active_test: false }));
  return new Map(rows.map((p) => [p.id, p.code]));
}

/** Every stock move created, done, cancelled or edited changes what a SKU has available. */
export function stockChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, { moves: { model: 'stock.move', domain: [], shape: { product: z.number(), state: z.string() } } }, async ({ moves }) => {
    const newestByProduct = new Map<number, string>();
    for (const m of moves) {
      const s = `${stampOf(m)}:${m.id}:${m.state}`;
      if ((newestByProduct.get(m.product) ?? '') < s) newestByProduct.set(m.product, s);
    }
    if (!newestByProduct.size) return [];
    const codes = await productCodes(client, [...newestByProduct.keys()]);
    return [...codes].filter(([, code]) => code).map(([id, code]): ChangeRef => ({ kind: 'stock', key: code!, sourceVersion: `move:${newestByProduct.get(id)}` }));
  });
}

/**
 * Customer shipments that reached `done`, one change per store order (the sale's `reference`):
 * every shipment of one order is then handled by one job at a time, in order. Sales without a
 * reference were not made from a store order and are left out.
 */
export function shipmentChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, { shipments: { model: 'stock.shipment.out', domain: [['state', '=', 'done']], shape: { outgoing_moves: z.array(z.number()) } } },
    ({ shipments }) => shipmentOrders(client, shipments));
}

async function shipmentOrders(client: TrytonClient, shipments: (Stamped & { outgoing_moves: number[] })[]): Promise<ChangeRef[]> {
  const moveIds = shipments.flatMap((s) => s.outgoing_moves);
  if (!moveIds.length) return [];
  const moves = z.array(z.object({ id: z.number(), sale: z.number().nullable() })).parse(await client.read('stock.move', moveIds, ['sale']));
  const saleOfMove = new Map(moves.map((m) => [m.id, m.sale]));
  const saleIds = [...new Set(moves.map((m) => m.sale).filter((s): s is number => s !== null))];
  const sales = saleIds.length ? z.array(z.object({ id: z.number(), reference: z.string().nullable() })).parse(
    await client.read('sale.sale', saleIds, ['reference'])) : [];
  const referenceOf = new Map(sales.map((s) => [s.id, s.reference]));
  // One version per order, the newest of its shipments (as for products: two versions of one key
  // in one read would each look new against the other on the next, overlapping read).
  const newestByOrder = new Map<string, string>();
  for (const s of shipments) {
    for (const saleId of new Set(s.outgoing_moves.map((m) => saleOfMove.get(m)).filter((x): x is number => typeof x === 'number'))) {
      const version = `${stampOf(s)}:${s.id}`;
      // a web sale carries the store order code as its reference; a phone sale mirrored into the
      // store is known to the engine by its sale id (its reference is the operator's own)
      for (const key of [referenceOf.get(saleId), `${SALE_KEY}${saleId}`]) {
        if (key && (newestByOrder.get(key) ?? '') < version) newestByOrder.set(key, version);
      }
    }
  }
  return [...newestByOrder].map(([code, v]): ChangeRef => ({ kind: 'shipment', key: code, sourceVersion: `shipment:${v}` }));
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
