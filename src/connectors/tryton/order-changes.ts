// Changes to a placed web order on the Tryton side: what the sale imported for a store order gives
// the customer now (amendments, moves cancelled through the shipment exception, return sales), the
// feed of sales that changed, and the two writes that carry the store's changes here.
import { z } from 'zod';
import { chunk } from '../../collections.js';
import { DovetailError, permanent, transient } from '../../errors.js';
import { decimalToMinor, minorToDecimal } from '../../model/money.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { dec, decimalString, type TrytonClient } from './client.js';
import { moneyTag } from './mappers.js';
import { changedRows, productCodes, stampOf } from './reads.js';
import { taxFor, type Company } from './writes.js';

/** Lines Dovetail adds to web sales that are not store products (writes.ts SERVICE_PRODUCTS). */
const SERVICE_SKUS = new Set(['DOVETAIL-SHIPPING', 'DOVETAIL-ROUNDING']);
const AMENDABLE = ['processing', 'done'];

const SaleRow = z.object({ id: z.number(), state: z.string(), reference: z.string().nullable(), origin: z.string().nullable(), total_amount: z.unknown(), lines: z.array(z.number()) });
const SALE_FIELDS = ['state', 'reference', 'origin', 'total_amount', 'lines'];
const LineRow = z.object({
  id: z.number(), type: z.string(), product: z.number().nullable(), quantity: z.number().nullable(), unit: z.number().nullable(),
  unit_price: z.unknown(), amount: z.unknown(), description: z.string().nullable(), taxes: z.array(z.number()), moves_ignored: z.array(z.number()),
});
const MoveRow = z.object({ id: z.number(), product: z.number(), quantity: z.number(), origin: z.string().nullable() });

/** One sale line of a store product, with what happened to its units. */
interface SaleLine {
  id: number; sku: string; product: number; quantity: number; unit: number; unitPrice: unknown; amountMinor: number;
  description: string | null; taxes: number[];
  /** units on moves cancelled and ignored through the shipment exception */
  ignored: number;
  /** units on done outgoing moves */
  done: number;
}

interface WebSale {
  id: number; state: string; totalMinor: number; lines: SaleLine[];
  /** units on done incoming moves of the sale's return sales, by SKU */
  returned: Map<string, number>;
  /** the sale's return sales (origin = this sale) */
  returnSaleIds: number[];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const saleRef = (id: number) => `sale.sale,${id}`;

/** Store order codes per search: a domain of a few hundred values keeps each request modest. */
const CODES_PER_SEARCH = 100;

/**
 * The sales imported for these store order codes, by code: a sale's `reference` is its store order
 * code (writes.ts importOrder). Tryton's return sales copy that reference, so the web sale is the
 * one without a sale as its origin. Read for all the codes together: one search of the sales,
 * then one read per related model, however many orders.
 */
async function loadWebSales(client: TrytonClient, orderCodes: string[]): Promise<Map<string, WebSale>> {
  const out = new Map<string, WebSale>();
  for (const some of chunk([...new Set(orderCodes)], CODES_PER_SEARCH)) {
    for (const [code, sale] of await loadSomeWebSales(client, some)) out.set(code, sale);
  }
  return out;
}

async function loadSomeWebSales(client: TrytonClient, orderCodes: string[]): Promise<Map<string, WebSale>> {
  const found = z.array(SaleRow).parse(await client.searchRead('sale.sale', [['reference', 'in', orderCodes], ['state', '!=', 'cancelled']],
    SALE_FIELDS, { order: [['id', 'ASC']] }));
  const sales = new Map<string, z.infer<typeof SaleRow>>();
  for (const s of found) if (s.reference && !s.origin?.startsWith('sale.sale,') && !sales.has(s.reference)) sales.set(s.reference, s);
  if (!sales.size) return new Map();
  const saleIds = [...sales.values()].map((s) => s.id);
  const rows = z.array(LineRow).parse(await client.read('sale.line', [...sales.values()].flatMap((s) => s.lines),
    ['type', 'product', 'quantity', 'unit', 'unit_price', 'amount', 'description', 'taxes', 'moves_ignored']));
  const goods = rows.filter((l) => l.type === 'line' && l.product !== null);
  const ignoredIds = goods.flatMap((l) => l.moves_ignored);
  // the reads below depend only on the sales and their lines: made at once, not one after another
  const [ignoredQty, doneOut, { returnSales, doneBack }] = await Promise.all([
    (async () => new Map(ignoredIds.length ? z.array(MoveRow).parse(await client.read('stock.move', ignoredIds, ['product', 'quantity', 'origin'])).map((m) => [m.id, m.quantity]) : []))(),
    (async () => z.array(MoveRow).parse(await client.searchRead('stock.move',
      [['sale', 'in', saleIds], ['to_location.type', '=', 'customer'], ['state', '=', 'done']], ['product', 'quantity', 'origin'])))(),
    (async () => {
      const returns = z.array(z.object({ id: z.number(), origin: z.string() })).parse(await client.searchRead('sale.sale',
        [['origin', 'in', saleIds.map(saleRef)], ['state', '!=', 'cancelled']], ['origin'], { order: [['id', 'ASC']] }));
      const back = returns.length ? z.array(MoveRow.extend({ sale: z.number() })).parse(await client.searchRead('stock.move',
        [['sale', 'in', returns.map((r) => r.id)], ['from_location.type', '=', 'customer'], ['state', '=', 'done']], ['product', 'quantity', 'origin', 'sale'])) : [];
      return { returnSales: returns, doneBack: back };
    })(),
  ]);
  const codes = await productCodes(client, [...goods.map((l) => l.product!), ...doneBack.map((m) => m.product)]);
  const goodsById = new Map(goods.map((l) => [l.id, l]));
  const originOf = new Map(returnSales.map((r) => [r.id, r.origin]));
  const out = new Map<string, WebSale>();
  for (const [code, sale] of sales) {
    const lines: SaleLine[] = [];
    for (const l of sale.lines.flatMap((id) => goodsById.get(id) ?? [])) {
      const sku = codes.get(l.product!);
      if (!sku || SERVICE_SKUS.has(sku)) continue;
      lines.push({
        id: l.id, sku, product: l.product!, quantity: Math.round(l.quantity ?? 0), unit: l.unit ?? 0, unitPrice: l.unit_price,
        amountMinor: decimalToMinor(decimalString(l.amount ?? 0)), description: l.description, taxes: l.taxes,
        ignored: Math.round(sum(l.moves_ignored.map((id) => ignoredQty.get(id) ?? 0))),
        done: Math.round(sum(doneOut.filter((m) => m.origin === `sale.line,${l.id}`).map((m) => m.quantity))),
      });
    }
    const returned = new Map<string, number>();
    for (const m of doneBack) {
      const sku = codes.get(m.product);
      if (sku && originOf.get(m.sale) === saleRef(sale.id)) returned.set(sku, (returned.get(sku) ?? 0) + Math.round(m.quantity));
    }
    out.set(code, { id: sale.id, state: sale.state, totalMinor: decimalToMinor(decimalString(sale.total_amount)), lines, returned,
      returnSaleIds: returnSales.filter((r) => r.origin === saleRef(sale.id)).map((r) => r.id) });
  }
  return out;
}

/** The sale imported for one store order code (see loadWebSales). */
const loadWebSale = async (client: TrytonClient, orderCode: string) => (await loadWebSales(client, [orderCode])).get(orderCode) ?? null;

const bySku = (lines: SaleLine[]) => {
  const out = new Map<string, SaleLine[]>();
  for (const l of lines) out.set(l.sku, [...(out.get(l.sku) ?? []), l]);
  return out;
};

/** Units the customer gets now: ordered (after amendments) less ignored less returned. */
const unitsNow = (lines: SaleLine[], returned: number) => sum(lines.map((l) => l.quantity - l.ignored)) - returned;

async function taxRates(client: TrytonClient, taxIds: number[]): Promise<Map<number, number>> {
  const ids = [...new Set(taxIds)];
  if (!ids.length) return new Map();
  const rows = z.array(z.object({ id: z.number(), type: z.string(), rate: z.unknown() })).parse(await client.read('account.tax', ids, ['type', 'rate']));
  // percentage taxes only: a fixed amount has no rate to carry
  return new Map(rows.map((t) => [t.id, t.type === 'percentage' && t.rate !== null ? Number(decimalString(t.rate)) * 100 : 0]));
}

export async function getSaleLines(client: TrytonClient, orderCodes: string[]): Promise<Map<string, OrderLinesState>> {
  const sales = await loadWebSales(client, orderCodes);
  const rates = await taxRates(client, [...sales.values()].flatMap((s) => s.lines.flatMap((l) => l.taxes)));
  return new Map([...sales].map(([orderCode, sale]) => [orderCode, saleLinesState(orderCode, sale, rates)]));
}

function saleLinesState(orderCode: string, sale: WebSale, rates: Map<number, number>): OrderLinesState {
  const lines = [...bySku(sale.lines)].map(([sku, ls]) => {
    const returned = sale.returned.get(sku) ?? 0;
    const ordered = sum(ls.map((l) => l.quantity));
    // several lines of one SKU (a store line split to match its amount): their average price
    const unitNet = ordered ? sum(ls.map((l) => l.amountMinor)) / ordered : decimalToMinor(Number(decimalString(ls[0].unitPrice)).toFixed(2));
    const taxRatePercent = Math.round(sum(ls[0].taxes.map((t) => rates.get(t) ?? 0)) * 10_000) / 10_000;
    return {
      sku, quantity: Math.max(0, unitsNow(ls, returned)), shipped: sum(ls.map((l) => l.done)), returned,
      unitNetMinor: Math.round(unitNet), unitGrossMinor: Math.round(unitNet * (1 + taxRatePercent / 100)), taxRatePercent,
    };
  });
  return { orderCode, lines, totalMinor: sale.totalMinor, state: sale.state };
}

// ---- the feed -----------------------------------------------------------------------------------

/**
 * Web sales whose record, lines or moves changed (an amendment, a move cancelled or ignored, a
 * shipment done) and return sales made from them, keyed by store order code. The version is the
 * newest stamp seen for the order, so re-reading an unchanged sale gives the same version.
 */
export function saleLineChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, {
    sales: { model: 'sale.sale', domain: [], shape: {} },
    lines: { model: 'sale.line', domain: [], shape: { sale: z.number() } },
    moves: { model: 'stock.move', domain: [['origin', 'like', 'sale.line,%']], shape: { origin: z.string().nullable() } },
  }, async ({ sales, lines, moves }) => {
    const stampBySale = new Map<number, string>();
    const note = (id: number, s: string) => { if ((stampBySale.get(id) ?? '') < s) stampBySale.set(id, s); };
    for (const s of sales) note(s.id, stampOf(s));
    for (const l of lines) note(l.sale, stampOf(l));
    const lineIds = [...new Set(moves.map((m) => Number(/^sale\.line,(\d+)$/.exec(m.origin ?? '')?.[1])).filter((n) => n > 0))];
    if (lineIds.length) {
      const saleOfLine = new Map(z.array(z.object({ id: z.number(), sale: z.number() })).parse(await client.read('sale.line', lineIds, ['sale'])).map((l) => [l.id, l.sale]));
      for (const m of moves) {
        const sale = saleOfLine.get(Number(/\d+$/.exec(m.origin ?? '')?.[0]));
        if (sale !== undefined) note(sale, stampOf(m));
      }
    }
    if (!stampBySale.size) return [];
    const codeOf = await orderCodesOf(client, [...stampBySale.keys()]);
    const newestByCode = new Map<string, string>();
    for (const [id, stamp] of stampBySale) {
      const code = codeOf.get(id);
      if (code && (newestByCode.get(code) ?? '') < stamp) newestByCode.set(code, stamp);
    }
    return [...newestByCode].map(([code, stamp]): ChangeRef => ({ kind: 'sale', key: code, sourceVersion: `sale:${stamp}` }));
  });
}

/** The store order code of each sale: its reference, or for a return sale its origin's reference. */
async function orderCodesOf(client: TrytonClient, saleIds: number[]): Promise<Map<number, string>> {
  const Row = z.object({ id: z.number(), reference: z.string().nullable(), origin: z.string().nullable() });
  const rows = z.array(Row).parse(await client.read('sale.sale', saleIds, ['reference', 'origin']));
  const originIds = [...new Set(rows.map((r) => Number(/^sale\.sale,(\d+)$/.exec(r.origin ?? '')?.[1])).filter((n) => n > 0))];
  const origins = new Map(originIds.length ? z.array(Row).parse(await client.read('sale.sale', originIds, ['reference', 'origin'])).map((r) => [r.id, r.reference]) : []);
  const out = new Map<number, string>();
  for (const r of rows) {
    const originId = Number(/^sale\.sale,(\d+)$/.exec(r.origin ?? '')?.[1]);
    const code = (originId ? origins.get(originId) : r.reference)?.trim();
    if (code) out.set(r.id, code);
  }
  return out;
}

// ---- writes -------------------------------------------------------------------------------------

const AMENDMENT_MARK = '[dovetail]';

/**
 * One sale amendment bringing each SKU to the units the customer should get. Tryton's amendment
 * (sale_amendment, validate_amendment) deletes the sale's draft moves and draft invoice and
 * processes the sale again: a waiting shipment gets moves for what is left to ship, the draft
 * invoice is made anew for the new quantities. It works on a partially shipped sale; a line cannot
 * go below what it shipped (Tryton would not notice: no move, no error), so that is refused here.
 * Amendments cannot add lines: a new SKU's line is created on the sale with quantity 0 first, then
 * amended to its quantity, so a retry after a crash finds the line and finishes the work.
 */
export async function setSaleQuantities(client: TrytonClient, company: Company, orderCode: string,
  wanted: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string): Promise<void> {
  let sale = await loadWebSale(client, orderCode);
  if (!sale) throw transient(`order ${orderCode} has no sale in Tryton yet (waiting for the order import)`);
  if (!AMENDABLE.includes(sale.state)) {
    if (sale.state === 'confirmed') throw transient(`the sale of order ${orderCode} is confirmed but not processed yet`);
    throw permanent(`the sale of order ${orderCode} is ${sale.state}: Tryton amends only processing or done sales`, { order: orderCode, state: sale.state });
  }
  const missing = wanted.filter((w) => w.quantity > 0 && !sale!.lines.some((l) => l.sku === w.sku));
  if (missing.length) {
    const products = z.array(z.object({ id: z.number(), code: z.string().nullable(), name: z.string(), sale_uom: z.number().nullable(), default_uom: z.number() })).parse(
      await client.searchRead('product.product', [['code', 'in', missing.map((m) => m.sku)]], ['code', 'name', 'sale_uom', 'default_uom']));
    const values: object[] = [];
    for (const m of missing) {
      const p = products.find((x) => x.code === m.sku);
      if (!p) throw permanent(`order ${orderCode}: SKU ${m.sku} is not a product in Tryton`, { order: orderCode, sku: m.sku });
      const tax = await taxFor(client, company, m.taxRatePercent);
      values.push({ sale: sale.id, type: 'line', product: p.id, quantity: 0, unit: p.sale_uom ?? p.default_uom, unit_price: dec(minorToDecimal(m.unitNetMinor)),
        description: p.name, taxes: tax ? [['add', [tax]]] : [] });
    }
    await client.create('sale.line', values);
    sale = (await loadWebSale(client, orderCode))!;
  }
  const skus = bySku(sale.lines);
  const changes: { line: SaleLine; quantity: number }[] = [];
  for (const w of wanted) {
    const lines = skus.get(w.sku) ?? [];
    const returned = sale.returned.get(w.sku) ?? 0;
    let delta = w.quantity - unitsNow(lines, returned);
    if (delta === 0 || !lines.length) continue;
    if (delta > 0) { changes.push({ line: lines[0], quantity: lines[0].quantity + delta }); continue; }
    const kept = sum(lines.map((l) => l.done)) - returned;
    if (w.quantity < kept) {
      throw permanent(`order ${orderCode}: cannot bring ${w.sku} down to ${w.quantity}: ${kept} already shipped to the customer (a return, not a cancellation)`,
        { order: orderCode, sku: w.sku, shipped: kept, wanted: w.quantity });
    }
    // take the units off lines that still have some to ship, the last line first
    for (const l of [...lines].reverse()) {
      const take = Math.min(-delta, l.quantity - l.ignored - l.done);
      if (take <= 0) continue;
      changes.push({ line: l, quantity: l.quantity - take });
      delta += take;
      if (delta === 0) break;
    }
  }
  if (!changes.length) return;
  // a draft amendment left by a crash before its validation would be a second one
  const stale = await client.search('sale.amendment', [['sale', '=', sale.id], ['state', '=', 'draft'], ['description', 'like', `${AMENDMENT_MARK}%`]]);
  if (stale.length) await client.model('sale.amendment', 'delete', [stale]);
  const [amendment] = await client.create('sale.amendment', [{ sale: sale.id, description: `${AMENDMENT_MARK} ${note}`.slice(0, 250),
    lines: [['create', changes.map(({ line, quantity }) => ({ action: 'line', line: line.id, product: line.product, quantity, unit: line.unit,
      unit_price: line.unitPrice, description: line.description }))]] }]);
  await client.button('sale.amendment', 'validate_amendment', [amendment]);
}

const ReturnSaleRow = z.object({ id: z.number(), state: z.string(), lines: z.array(z.number()), shipment_returns: z.array(z.number()) });

/**
 * Units coming back, booked as Tryton's own wizard (sale.return_sale) would: a copy of the web sale
 * with the web sale as `origin` and negative quantities, for just the returned SKUs. The copy keeps
 * the web sale's `reference`, the store order code, like the wizard does: the sale-to-store flow
 * then knows it for a store order's and leaves it alone. The copy is made with Dovetail's tag in
 * its description in one call (the wizard cannot carry it), so a retry finds it before making
 * another. Quoted, confirmed, and its customer return shipment received and done: stock goes up.
 * `creditNote: false` makes it invoice manually (no credit note); `true` leaves Tryton's draft
 * credit note for the operator to post.
 */
export async function recordReturn(client: TrytonClient, orderCode: string, lines: { sku: string; quantity: number }[],
  opts: { key: string; note: string; creditNote: boolean }): Promise<{ id: string; created: boolean }> {
  const sale = await loadWebSale(client, orderCode);
  if (!sale) throw transient(`order ${orderCode} has no sale in Tryton yet (waiting for the order import)`);
  const tag = moneyTag(`return ${opts.key}`);
  const [found] = sale.returnSaleIds.length
    ? await client.search('sale.sale', [['id', 'in', sale.returnSaleIds], ['description', 'like', `%${tag}%`]], { limit: 1 }) : [];
  let id = found;
  if (!id) {
    const skus = bySku(sale.lines);
    for (const l of lines) {
      const out = sum((skus.get(l.sku) ?? []).map((x) => x.done)) - (sale.returned.get(l.sku) ?? 0);
      if (l.quantity > out) throw permanent(`order ${orderCode}: cannot take back ${l.quantity} × ${l.sku}: ${out} shipped and not returned`, { order: orderCode, sku: l.sku });
    }
    [id] = await client.model<number[]>('sale.sale', 'copy', [[sale.id], {
      origin: saleRef(sale.id), description: `Return of web order ${orderCode}: ${opts.note} ${tag}`, comment: opts.note,
      invoice_method: opts.creditNote ? 'order' : 'manual', lines: [],
    }]);
  }
  let [r] = z.array(ReturnSaleRow).parse(await client.read('sale.sale', [id], ['state', 'lines', 'shipment_returns']));
  if (r.state === 'draft' && !r.lines.length) {
    await client.write('sale.sale', [id], { lines: [['create', returnLines(bySku(sale.lines), lines)]] });
  }
  if (r.state === 'draft') await client.button('sale.sale', 'quote', [id]);
  if (r.state === 'draft' || r.state === 'quotation') await client.button('sale.sale', 'confirm', [id]);
  [r] = z.array(ReturnSaleRow).parse(await client.read('sale.sale', [id], ['state', 'lines', 'shipment_returns']));
  if (r.state === 'confirmed') throw transient(`the return sale for order ${orderCode} is confirmed but not processed yet`);
  await receiveReturns(client, r.shipment_returns);
  return { id: String(id), created: !found };
}

/** The return sale's lines: each SKU's units taken off the web sale's lines of that SKU, at their prices and taxes. */
function returnLines(skus: Map<string, SaleLine[]>, lines: { sku: string; quantity: number }[]): object[] {
  const out: object[] = [];
  for (const { sku, quantity } of lines) {
    let left = quantity;
    const own = skus.get(sku) ?? [];
    for (const [i, l] of own.entries()) {
      const take = i === own.length - 1 ? left : Math.min(left, l.done);
      if (take <= 0) continue;
      out.push({ type: 'line', product: l.product, quantity: -take, unit: l.unit, unit_price: l.unitPrice, description: l.description, taxes: [['add', l.taxes]] });
      left -= take;
    }
    if (left > 0) throw new DovetailError('permanent', `SKU ${sku} is not on the sale: nothing to return`);
  }
  return out;
}

/** Customer return shipments received and done (receive: back at the warehouse; done: in storage). */
export async function receiveReturns(client: TrytonClient, shipmentIds: number[]): Promise<void> {
  if (!shipmentIds.length) return;
  const rows = z.array(z.object({ id: z.number(), state: z.string() })).parse(await client.read('stock.shipment.out.return', shipmentIds, ['state']));
  const draft = rows.filter((s) => s.state === 'draft').map((s) => s.id);
  if (draft.length) await client.button('stock.shipment.out.return', 'receive', draft);
  const received = rows.filter((s) => s.state === 'draft' || s.state === 'received').map((s) => s.id);
  if (received.length) await client.button('stock.shipment.out.return', 'done', received);
}
