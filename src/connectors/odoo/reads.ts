// Reads from Odoo: products, stock and shipments, and the change feeds that poll them by
// (write_date, id) through the engine's keyset helper (change-feed.ts), one stream per model.
import { z } from 'zod';
import { readFeed, type ChangeStream, type StreamKey } from '../../engine/change-feed.js';
import { permanent } from '../../errors.js';
import type { Product } from '../../model/product.js';
import type { ShipmentForCapture } from '../../model/payment.js';
import { SALE_KEY, type OrderShipments, type Shipment } from '../../model/shipment.js';
import type { StockPosition } from '../../model/stock.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { read, Ref, searchRead, Text, type Domain, type FieldSpec, type OdooCalls, type RowOf } from './client.js';
import { toProduct, toShipmentState, type TemplateRecord, type VariantRecord } from './mappers.js';
import { odooNames } from './models.js';

/** What the connector learns once per process: the company's currency and the published warehouses. */
export interface Setup {
  currency: { id: number; code: string; decimals: number };
  warehouseIds: number[];
  /** ids of records found or made once (taxes, the shipping product, salespeople, countries), by name */
  made: Map<string, Promise<number>>;
}

/** Odoo stamps rows to the second, in UTC, as "YYYY-MM-DD HH:MM:SS". */
const FEED = { pageSize: 1_000, overlapMs: 5_000, fractionDigits: 0 };

export const stampOf = (odooTime: string): string => {
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(odooTime)) throw permanent(`not an Odoo datetime: ${odooTime}`);
  return `${odooTime.replace(' ', 'T')}Z`;
};
const odooTime = (stamp: string): string => stamp.replace('T', ' ').replace(/(\.\d+)?Z$/, '');

interface Stamped { id: number; writeDate: string }

/** What a feed reads of one model: the rows matching `domain`, with `fields`. */
export interface ModelFeed<S extends FieldSpec = FieldSpec> { model: string; domain: Domain; fields: S }
type FeedRow<F> = F extends ModelFeed<infer S> ? Stamped & RowOf<S> : never;

/** The rows after `after` in (write_date, id) order; Odoo sets write_date on create too, so one stream per model sees every row. */
function modelStream<S extends FieldSpec>(client: OdooCalls, feed: ModelFeed<S>): ChangeStream<Stamped & RowOf<S>> {
  const { writeDate, id } = odooNames(client.version).product.fields;
  return {
    async readPage(after: StreamKey | null, limit: number) {
      const at = after && odooTime(after.at);
      const position: Domain = !after ? [] : after.id === null ? [[writeDate, '>=', at]]
        : ['|', [writeDate, '>', at], '&', [writeDate, '=', at], [id, '>', Number(after.id)]];
      const rows = await searchRead(client, feed.model, [...position, ...feed.domain], { ...feed.fields, writeDate: [writeDate, z.string()] as const },
        { limit, order: `${writeDate} asc, ${id} asc`, context: { active_test: false } });
      const last = rows.at(-1);
      return { rows, last: last ? { at: stampOf(last.writeDate), id: String(last.id) } : null, more: rows.length >= limit };
    },
  };
}

/** One page of a feed over several models; the stream names in the cursor are the models'. */
export function changedRows<M extends Record<string, ModelFeed>>(client: OdooCalls, cursor: string | null, models: M,
  toChanges: (rows: { [K in keyof M]: FeedRow<M[K]>[] }) => Promise<ChangeRef[]> | ChangeRef[]): Promise<ChangePage> {
  const streams = Object.fromEntries(Object.entries(models).map(([name, feed]) => [name, modelStream(client, feed)]));
  return readFeed(cursor, streams, (byName) => toChanges(byName as { [K in keyof M]: FeedRow<M[K]>[] }), FEED);
}

/** The newest version per key: two versions of one key in one read would each look new against the other on the next, overlapping read. */
function newestPerKey(entries: [string, string][]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, version] of entries) if ((out.get(key) ?? '') < version) out.set(key, version);
  return out;
}

const version = (r: Stamped) => `${stampOf(r.writeDate)}:${r.id}`;

export async function skusOf(client: OdooCalls, productIds: number[]): Promise<Map<number, string>> {
  const N = odooNames(client.version);
  const rows = await read(client, N.product.model, [...new Set(productIds)], { sku: [N.product.fields.sku, Text] }, { active_test: false });
  return new Map(rows.flatMap((r) => (r.sku ? [[r.id, r.sku] as const] : [])));
}

/**
 * Goods whose own record or whose template changed, one change per SKU. Services (the shipping
 * product the connector makes for delivery lines among them) are left out, as `listSkus` does.
 */
export function productChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const service = N.templateKinds.service;
  return changedRows(client, cursor, {
    variants: { model: N.product.model, domain: [[N.product.fields.sku, '!=', false], [`${N.product.fields.template}.${N.template.fields.kind}`, '!=', service]],
      fields: { sku: [N.product.fields.sku, Text] } },
    templates: { model: N.template.model, domain: [[N.template.fields.kind, '!=', service]], fields: { variants: [N.template.fields.variants, z.array(z.number())] } },
  }, async ({ variants, templates }) => {
    const entries: [string, string][] = variants.flatMap((v) => (v.sku ? [[v.sku, version(v)] as [string, string]] : []));
    const byVariant = new Map(templates.flatMap((t) => t.variants.map((id) => [id, version(t)] as const)));
    if (byVariant.size) for (const [id, sku] of await skusOf(client, [...byVariant.keys()])) entries.push([sku, byVariant.get(id)!]);
    return [...newestPerKey(entries)].map(([sku, v]): ChangeRef => ({ kind: 'product', key: sku, sourceVersion: `product:${v}` }));
  });
}

/** Every stock move made, reserved, done or cancelled changes a SKU's position. */
export function stockChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const M = N.move.fields;
  return changedRows(client, cursor, { moves: { model: N.move.model, domain: [], fields: { product: [M.product, Ref], state: [M.state, z.string()] } } }, async ({ moves }) => {
    const byProduct = new Map<number, string>();
    for (const m of moves) {
      const v = `${version(m)}:${m.state}`;
      if (m.product && (byProduct.get(m.product.id) ?? '') < v) byProduct.set(m.product.id, v);
    }
    if (!byProduct.size) return [];
    return [...await skusOf(client, [...byProduct.keys()])].map(([id, sku]): ChangeRef => ({ kind: 'stock', key: sku, sourceVersion: `move:${byProduct.get(id)}` }));
  });
}

/** Done outgoing pickings, one change per web order (its client_order_ref) and per sale (`sale:<id>`). */
export function shipmentChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const K = N.picking.fields;
  return changedRows(client, cursor, {
    pickings: { model: N.picking.model, domain: [[K.state, '=', 'done'], [K.typeCode, '=', 'outgoing'], [K.sale, '!=', false]], fields: { sale: [K.sale, Ref] } },
  }, async ({ pickings }) => {
    const saleIds = [...new Set(pickings.flatMap((p) => (p.sale ? [p.sale.id] : [])))];
    const sales = await read(client, N.sale.model, saleIds, { reference: [N.sale.fields.reference, Text] });
    const referenceOf = new Map(sales.map((s) => [s.id, s.reference]));
    const entries: [string, string][] = pickings.flatMap((p) => {
      if (!p.sale) return [];
      const ref = referenceOf.get(p.sale.id);
      return [...(ref ? [[ref, version(p)] as [string, string]] : []), [`${SALE_KEY}${p.sale.id}`, version(p)] as [string, string]];
    });
    return [...newestPerKey(entries)].map(([key, v]): ChangeRef => ({ kind: 'shipment', key, sourceVersion: `shipment:${v}` }));
  });
}

// ---- catalogue and stock ----------------------------------------------------------------------

export async function getProducts(client: OdooCalls, setup: Setup, skus: string[]): Promise<Map<string, Product>> {
  if (!skus.length) return new Map();
  const N = odooNames(client.version);
  const P = N.product.fields, T = N.template.fields;
  const variants = await searchRead(client, N.product.model, [[P.sku, 'in', skus]], {
    sku: [P.sku, Text], template: [P.template, Ref], active: [P.active, z.boolean()], attributeValues: [P.attributeValues, z.array(z.number())],
    weight: [P.weight, z.number()], volume: [P.volume, z.number()],
  }, { context: { active_test: false } });
  const templates = await read(client, N.template.model, [...new Set(variants.flatMap((v) => (v.template ? [v.template.id] : [])))], {
    name: [T.name, z.string()], listPrice: [T.listPrice, z.number()], category: [T.category, Ref], active: [T.active, z.boolean()], saleOk: [T.saleOk, z.boolean()],
    description: [T.descriptionSale, Text], variants: [T.variants, z.array(z.number())], sku: [T.sku, Text],
  }, { active_test: false });
  const categories = new Map((await read(client, N.category.model, [...new Set(templates.flatMap((t) => (t.category ? [t.category.id] : [])))],
    { name: [N.category.fields.name, z.string()] })).map((c) => [c.id, c.name]));
  const values = new Map((await read(client, N.attributeValue.model, [...new Set(variants.flatMap((v) => v.attributeValues))],
    { name: [N.attributeValue.fields.name, z.string()] })).map((a) => [a.id, a.name]));
  const byTemplate = new Map(templates.map((t): [number, TemplateRecord] => [t.id, {
    id: t.id, name: t.name, listPrice: t.listPrice, active: t.active, saleOk: t.saleOk, description: t.description, variantCount: t.variants.length, sku: t.sku,
    categoryName: (t.category && categories.get(t.category.id)) ?? null,
  }]));
  const out = new Map<string, Product>();
  for (const v of variants) {
    const t = v.template && byTemplate.get(v.template.id);
    if (!v.sku || !t) continue;
    const variant: VariantRecord = { id: v.id, sku: v.sku, templateId: t.id, active: v.active, weight: v.weight, volume: v.volume,
      attributeValueNames: v.attributeValues.map((id) => values.get(id)).filter((n): n is string => !!n) };
    out.set(v.sku, toProduct(variant, t, setup.currency));
  }
  return out;
}

/** SKUs of goods (not services such as the shipping product), by id. */
export async function listSkus(client: OdooCalls, offset: number, limit: number): Promise<string[]> {
  const N = odooNames(client.version);
  const P = N.product.fields;
  const rows = await searchRead(client, N.product.model, [[P.sku, '!=', false], [`${P.template}.${N.template.fields.kind}`, '!=', N.templateKinds.service]],
    { sku: [P.sku, Text] }, { offset, limit, order: `${P.id} asc` });
  return rows.flatMap((r) => (r.sku ? [r.sku] : []));
}

const OPEN_MOVE_STATES = ['waiting', 'confirmed', 'partially_available', 'assigned'];

/**
 * On hand in the published warehouses (qty_available under the `warehouse` context) and, per
 * sale, what its open outgoing moves hold reserved there: onHand − allocations is Odoo's free_qty.
 */
export async function getStock(client: OdooCalls, setup: Setup, skus: string[]): Promise<Map<string, StockPosition>> {
  if (!skus.length) return new Map();
  const N = odooNames(client.version);
  const P = N.product.fields, M = N.move.fields;
  const products = await searchRead(client, N.product.model, [[P.sku, 'in', skus]], { sku: [P.sku, Text], onHand: [P.onHand, z.number()] },
    { context: { active_test: false, [N.stockContext.warehouse]: setup.warehouseIds } });
  if (!products.length) return new Map();
  const moves = await searchRead(client, N.move.model,
    [[M.product, 'in', products.map((p) => p.id)], [M.state, 'in', OPEN_MOVE_STATES], [M.saleLine, '!=', false], [M.warehouse, 'in', setup.warehouseIds], [M.quantity, '>', 0]],
    { product: [M.product, Ref], quantity: [M.quantity, z.number()], saleLine: [M.saleLine, Ref] });
  const saleOfLine = new Map((await read(client, N.saleLine.model, [...new Set(moves.flatMap((m) => (m.saleLine ? [m.saleLine.id] : [])))],
    { order: [N.saleLine.fields.order, Ref] })).map((l) => [l.id, l.order?.id]));
  return new Map(products.flatMap((p) => {
    if (!p.sku) return [];
    const bySale = new Map<string, number>();
    for (const m of moves.filter((x) => x.product?.id === p.id)) {
      const sale = String((m.saleLine && saleOfLine.get(m.saleLine.id)) ?? 'move-without-sale');
      bySale.set(sale, (bySale.get(sale) ?? 0) + m.quantity);
    }
    return [[p.sku, { sku: p.sku, onHand: p.onHand, allocations: [...bySale].map(([saleId, quantity]) => ({ saleId, quantity })) }] as const];
  }));
}

// ---- shipments -----------------------------------------------------------------------------

function pickingSpec(client: OdooCalls) {
  const K = odooNames(client.version).picking.fields;
  return { name: [K.name, z.string()], state: [K.state, z.string()], typeCode: [K.typeCode, z.string()], doneOn: [K.doneOn, Text], tracking: [K.tracking, Text],
    carrier: [K.carrier, Ref], moves: [K.moves, z.array(z.number())], sale: [K.sale, Ref] } as const;
}

/** The sale of a web order (client_order_ref) or of an id, not cancelled. */
async function findSaleForShipments(client: OdooCalls, orderCode: string, saleId?: string) {
  const N = odooNames(client.version);
  const S = N.sale.fields;
  const [sale] = await searchRead(client, N.sale.model, [saleId ? [S.id, '=', Number(saleId)] : [S.reference, '=', orderCode], [S.state, '!=', 'cancel']],
    { pickings: [S.pickings, z.array(z.number())] }, { limit: 1, order: `${S.id} asc` });
  return sale ?? null;
}

/** The sale's done outgoing pickings, oldest first; an outgoing picking still open (a backorder) means the sale is not complete. */
export async function orderShipments(client: OdooCalls, orderCode: string, saleId?: string): Promise<OrderShipments | null> {
  const sale = await findSaleForShipments(client, orderCode, saleId);
  if (!sale) return null;
  const pickings = (await read(client, odooNames(client.version).picking.model, sale.pickings, pickingSpec(client)))
    .filter((p) => p.sale?.id === sale.id && p.typeCode === 'outgoing').sort((a, b) => a.id - b.id);
  const shipments = await asShipments(client, pickings.filter((p) => p.state === 'done'));
  const open = pickings.some((p) => p.state !== 'done' && p.state !== 'cancel');
  return { orderCode, saleId: String(sale.id), complete: !open && shipments.length > 0, shipments };
}

type PickingRow = RowOf<ReturnType<typeof pickingSpec>>;

async function asShipments(client: OdooCalls, done: PickingRow[]): Promise<Shipment[]> {
  const N = odooNames(client.version);
  const M = N.move.fields;
  const moves = await read(client, N.move.model, done.flatMap((p) => p.moves), { product: [M.product, Ref], quantity: [M.quantity, z.number()], state: [M.state, z.string()] });
  const skus = await skusOf(client, moves.flatMap((m) => (m.product ? [m.product.id] : [])));
  const moveById = new Map(moves.map((m) => [m.id, m]));
  const out: Shipment[] = [];
  for (const p of done) {
    const qty = new Map<string, number>();
    for (const id of p.moves) {
      const m = moveById.get(id);
      const sku = m?.product && skus.get(m.product.id);
      if (!m || !sku || m.state !== 'done' || m.quantity <= 0) continue;
      qty.set(sku, (qty.get(sku) ?? 0) + Math.round(m.quantity)); // the store counts whole units
    }
    if (!qty.size) continue;
    out.push({ id: String(p.id), number: p.name, shippedOn: p.doneOn ? p.doneOn.slice(0, 10) : new Date().toISOString().slice(0, 10),
      carrier: p.carrier?.name ?? null, trackingCode: p.tracking?.trim() || null, lines: [...qty].map(([sku, quantity]) => ({ sku, quantity })) });
  }
  return out;
}

/** What one outgoing picking shipped, with what the sale's done pickings before it shipped. */
export async function shipmentForCapture(client: OdooCalls, shipmentId: string): Promise<ShipmentForCapture | null> {
  if (!/^\d+$/.test(shipmentId)) return null;
  const N = odooNames(client.version);
  const [picking] = await read(client, N.picking.model, [Number(shipmentId)], pickingSpec(client));
  if (!picking?.sale || picking.typeCode !== 'outgoing') return null;
  const [sale] = await read(client, N.sale.model, [picking.sale.id], { reference: [N.sale.fields.reference, Text], pickings: [N.sale.fields.pickings, z.array(z.number())] });
  const siblings = (await read(client, N.picking.model, sale.pickings, pickingSpec(client)))
    .filter((p) => p.sale?.id === sale.id && p.typeCode === 'outgoing' && p.state === 'done' && p.id <= picking.id).sort((a, b) => a.id - b.id);
  const shipped = await asShipments(client, siblings);
  const earlier = new Map<string, number>();
  for (const s of shipped.filter((x) => x.id !== shipmentId)) for (const l of s.lines) earlier.set(l.sku, (earlier.get(l.sku) ?? 0) + l.quantity);
  return {
    shipmentId, orderCode: sale.reference ?? `${SALE_KEY}${sale.id}`, state: toShipmentState(picking.state),
    lines: shipped.find((s) => s.id === shipmentId)?.lines ?? [],
    earlier: [...earlier].map(([sku, quantity]) => ({ sku, quantity })),
    first: !siblings.some((p) => p.id < picking.id),
  };
}
