// Changes to a placed web order on the Odoo side: what its sale gives the customer now (confirmed
// lines edited, units returned through stock.return.picking), the feed of sales that changed, and
// the two writes that carry the store's changes here.
import { z } from 'zod';
import { chunk } from '../../collections.js';
import { DovetailError, permanent } from '../../errors.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { action, create, read, Ref, searchRead, Text, write, type OdooCalls } from './client.js';
import { fromMinor, toMinor } from './mappers.js';
import { odooNames } from './models.js';
import { changedRows, skusOf, stampOf, type Setup } from './reads.js';
import { recordCreditNote } from './payments.js';
import { postNote, saleTax, SHIPPING_SKU } from './writes.js';

interface SkuLines {
  sku: string;
  /** the sale's lines of this SKU, oldest first */
  lines: { id: number; ordered: number; delivered: number; subtotal: number; total: number; taxIds: number[] }[];
  /** units still on their way out (open outgoing moves' demand); null: the lines have no moves (not confirmed, or not goods) */
  open: number | null;
  /** units that came back on done return moves */
  returned: number;
}

interface WebSale { id: number; name: string; state: string; totalMinor: number; bySku: Map<string, SkuLines> }

/** Store order codes per sale.order search: keeps each request's `in` list and the reads after it bounded. */
const CODES_PER_READ = 100;

/**
 * The web sales of these codes (one per code: the lowest id not cancelled, as a one-code search
 * with `order id asc, limit 1` picks), their lines, moves and SKUs read for all of them at once.
 */
async function loadWebSales(client: OdooCalls, setup: Setup, orderCodes: string[]): Promise<Map<string, WebSale>> {
  const N = odooNames(client.version);
  const S = N.sale.fields, L = N.saleLine.fields, M = N.move.fields;
  const found = await searchRead(client, N.sale.model, [[S.reference, 'in', orderCodes], [S.state, '!=', 'cancel']],
    { reference: [S.reference, Text], name: [S.name, z.string()], state: [S.state, z.string()], total: [S.total, z.number()], lines: [S.lines, z.array(z.number())] },
    { order: `${S.id} asc` });
  const saleOf = new Map<string, (typeof found)[number]>();
  for (const s of found) if (s.reference && !saleOf.has(s.reference)) saleOf.set(s.reference, s);
  const saleOfLine = new Map([...saleOf.values()].flatMap((s) => s.lines.map((l) => [l, s.id] as const)));
  const lines = (await read(client, N.saleLine.model, [...saleOfLine.keys()], { product: [L.product, Ref], quantity: [L.quantity, z.number()], delivered: [L.delivered, z.number()],
    subtotal: [L.subtotal, z.number()], total: [L.totalWithTax, z.number()], taxes: [L.taxes, z.array(z.number())], isDelivery: [L.isDelivery, z.boolean()], displayType: [L.displayType, Text] }))
    .filter((l) => l.product && !l.isDelivery && !l.displayType).sort((a, b) => a.id - b.id);
  const lineIds = lines.map((l) => l.id);
  const returns = lineIds.length ? await searchRead(client, N.move.model, [[M.saleLine, 'in', lineIds], [M.returnOf, '!=', false], [M.state, '=', 'done']],
    { line: [M.saleLine, Ref], product: [M.product, Ref], quantity: [M.quantity, z.number()] }) : [];
  // the deliveries' own moves: a backorder cancelled (or a delivery validated with "No Backorder")
  // cancels the rest's move but leaves the line's ordered quantity, so what is still coming is read here
  const outgoing = lineIds.length ? await searchRead(client, N.move.model, [[M.saleLine, 'in', lineIds], [M.returnOf, '=', false]],
    { line: [M.saleLine, Ref], state: [M.state, z.string()], demand: [M.demand, z.number()] }) : [];
  const openOf = new Map<number, number>();
  for (const m of outgoing) {
    if (!m.line) continue;
    openOf.set(m.line.id, (openOf.get(m.line.id) ?? 0) + (m.state === 'done' || m.state === 'cancel' ? 0 : Math.round(m.demand)));
  }
  const skus = await skusOf(client, [...lines.map((l) => l.product!.id), ...returns.flatMap((m) => (m.product ? [m.product.id] : []))]);
  const bySale = new Map([...saleOf.values()].map((s) => [s.id, new Map<string, SkuLines>()]));
  for (const l of lines) {
    const sku = skus.get(l.product!.id);
    if (!sku || sku === SHIPPING_SKU) continue;
    const bySku = bySale.get(saleOfLine.get(l.id)!)!;
    const entry = bySku.get(sku) ?? { sku, lines: [], returned: 0, open: null };
    const open = openOf.get(l.id);
    if (open !== undefined) entry.open = (entry.open ?? 0) + open;
    entry.lines.push({ id: l.id, ordered: Math.round(l.quantity), delivered: Math.round(l.delivered), subtotal: l.subtotal, total: l.total, taxIds: l.taxes });
    bySku.set(sku, entry);
  }
  // a return move keeps its sale line, which names the sale; its units count on that sale's line of the SKU
  for (const m of returns) {
    const sale = m.line && saleOfLine.get(m.line.id);
    const entry = sale && m.product && bySale.get(sale)?.get(skus.get(m.product.id) ?? '');
    if (entry) entry.returned += Math.round(m.quantity);
  }
  return new Map([...saleOf].map(([code, s]) => [code,
    { id: s.id, name: s.name, state: s.state, totalMinor: toMinor(s.total, setup.currency.decimals), bySku: bySale.get(s.id)! }]));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The sales in the shape both systems are compared in, by store order code. Odoo keeps a line's
 * ordered quantity when units come back (a refunded return lowers qty_delivered instead), so the
 * customer gets ordered − returned, and what left the warehouse is qty_delivered + returned.
 */
export async function getSaleLines(client: OdooCalls, setup: Setup, orderCodes: string[]): Promise<Map<string, OrderLinesState>> {
  const N = odooNames(client.version);
  const d = setup.currency.decimals;
  const out = new Map<string, OrderLinesState>();
  for (const codes of chunk([...new Set(orderCodes)], CODES_PER_READ)) {
    const sales = await loadWebSales(client, setup, codes);
    const taxIds = [...new Set([...sales.values()].flatMap((sale) => [...sale.bySku.values()].flatMap((s) => s.lines.flatMap((l) => l.taxIds))))];
    const rates = new Map((await read(client, N.tax.model, taxIds, { amount: [N.tax.fields.amount, z.number()] })).map((t) => [t.id, t.amount]));
    for (const [orderCode, sale] of sales) {
      out.set(orderCode, {
        orderCode, totalMinor: sale.totalMinor, state: sale.state,
        lines: [...sale.bySku.values()].map((s) => {
          const ordered = sum(s.lines.map((l) => l.ordered));
          const delivered = sum(s.lines.map((l) => l.delivered));
          const per = (amount: number) => (ordered ? Math.round(toMinor(amount, d) / ordered) : 0);
          // a confirmed sale gives what left (and stayed out) plus what is still on its way: units whose
          // move was cancelled (the backorder cancelled) are no longer the customer's
          const gets = s.open === null || sale.state !== 'sale' ? ordered - s.returned : Math.min(ordered - s.returned, delivered + s.open);
          return {
            sku: s.sku, quantity: Math.max(0, gets), shipped: delivered + s.returned, returned: s.returned,
            unitNetMinor: per(sum(s.lines.map((l) => l.subtotal))), unitGrossMinor: per(sum(s.lines.map((l) => l.total))),
            taxRatePercent: sum((s.lines[0]?.taxIds ?? []).map((id) => rates.get(id) ?? 0)),
          };
        }),
      });
    }
  }
  return out;
}

/**
 * Makes each SKU give the customer `quantity` units by writing the confirmed lines' product_uom_qty
 * (Odoo 17+ lets a confirmed line change; its open delivery follows). Never below what has left
 * the warehouse: refused before anything is written. A new SKU is a new line at `unitNetMinor`.
 */
export async function setSaleQuantities(client: OdooCalls, setup: Setup, orderCode: string,
  wanted: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string): Promise<void> {
  const sale = (await loadWebSales(client, setup, [orderCode])).get(orderCode);
  if (!sale) throw new DovetailError('transient', `order ${orderCode} has no sale in Odoo yet (waiting for the order import)`);
  if (sale.state !== 'sale') throw permanent(`the Odoo sale ${sale.name} of order ${orderCode} is ${sale.state}, not a confirmed order: its lines are not changed`, { order: orderCode });
  const N = odooNames(client.version);
  const L = N.saleLine.fields;
  const writes: { line: number; quantity: number }[] = [];
  const added: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[] = [];
  for (const w of wanted) {
    const s = sale.bySku.get(w.sku);
    if (!s) { if (w.quantity > 0) added.push(w); continue; }
    const target = w.quantity + s.returned;
    const ordered = sum(s.lines.map((l) => l.ordered));
    if (target === ordered) continue;
    const delivered = sum(s.lines.map((l) => l.delivered));
    if (w.quantity < delivered) {
      throw permanent(`order ${orderCode}: ${w.sku} cannot go down to ${w.quantity}, ${delivered} already left the warehouse (a return brings them back)`, { order: orderCode, sku: w.sku });
    }
    // lower the newest lines first, each to what it delivered; a rise goes on the newest line
    let change = target - ordered;
    for (const l of [...s.lines].reverse()) {
      if (change === 0) break;
      const next = change > 0 ? l.ordered + change : Math.max(l.delivered, l.ordered + change);
      change -= next - l.ordered;
      if (next !== l.ordered) writes.push({ line: l.id, quantity: next });
    }
  }
  if (!writes.length && !added.length) return;
  for (const w of writes) await write(client, N.saleLine.model, [w.line], { [L.quantity]: w.quantity });
  if (added.length) {
    const products = await searchRead(client, N.product.model, [[N.product.fields.sku, 'in', added.map((a) => a.sku)]], { sku: [N.product.fields.sku, Text] });
    const productOf = new Map(products.flatMap((p) => (p.sku ? [[p.sku, p.id] as const] : [])));
    const missing = added.filter((a) => !productOf.has(a.sku)).map((a) => a.sku);
    if (missing.length) throw permanent(`order ${orderCode}: Odoo has no product ${missing.join(', ')}`, { order: orderCode, skus: missing });
    const lines = [];
    for (const a of added) {
      lines.push({ [L.order]: sale.id, [L.product]: productOf.get(a.sku), [L.quantity]: a.quantity, [L.priceUnit]: fromMinor(a.unitNetMinor, setup.currency.decimals),
        [L.taxes]: [[6, 0, a.taxRatePercent ? [await saleTax(client, setup, a.taxRatePercent)] : []]] });
    }
    await create(client, N.saleLine.model, lines);
  }
  await postNote(client, sale.id, note);
}

const returnTag = (key: string) => `[dovetail return ${key}]`;

/**
 * Units coming back: per done outgoing picking, the stock.return.picking wizard with the units to
 * return (to_refund, so the sale's delivered quantity goes down), the return picking tagged with
 * the key in its origin, reserved and validated. Found by the key before anything is made.
 */
export async function recordReturn(client: OdooCalls, setup: Setup, orderCode: string, lines: { sku: string; quantity: number }[],
  opts: { key: string; note: string; creditNote: boolean }): Promise<{ id: string; created: boolean }> {
  const N = odooNames(client.version);
  const K = N.picking.fields, M = N.move.fields, R = N.returnWizard.fields, RL = N.returnLine.fields;
  const tag = returnTag(opts.key);
  const existing = await searchRead(client, N.picking.model, [[K.origin, 'like', tag]], { state: [K.state, z.string()] }, { order: `${K.id} asc` });
  let made = existing.map((p) => p.id);
  if (!made.length) {
    const [sale] = await searchRead(client, N.sale.model, [[N.sale.fields.reference, '=', orderCode], [N.sale.fields.state, '!=', 'cancel']], {}, { limit: 1, order: `${N.sale.fields.id} asc` });
    if (!sale) throw new DovetailError('transient', `order ${orderCode} has no sale in Odoo yet (waiting for the order import)`);
    const pickings = await searchRead(client, N.picking.model, [[K.sale, '=', sale.id], [K.typeCode, '=', 'outgoing'], [K.state, '=', 'done']], { origin: [K.origin, Text] }, { order: `${K.id} asc` });
    const moves = pickings.length ? await searchRead(client, N.move.model, [[M.picking, 'in', pickings.map((p) => p.id)], [M.state, '=', 'done']],
      { product: [M.product, Ref], quantity: [M.quantity, z.number()], picking: [M.picking, Ref] }, { order: `${M.id} asc` }) : [];
    const skus = await skusOf(client, moves.flatMap((m) => (m.product ? [m.product.id] : [])));
    // take the units back from the oldest deliveries first
    const left = new Map(lines.map((l) => [l.sku, l.quantity]));
    const perPicking = new Map<number, { product: number; quantity: number; move: number }[]>();
    for (const m of moves) {
      const sku = m.product && skus.get(m.product.id);
      const want = sku ? left.get(sku) ?? 0 : 0;
      if (!want || !m.picking) continue;
      const take = Math.min(want, Math.round(m.quantity));
      left.set(sku!, want - take);
      perPicking.set(m.picking.id, [...(perPicking.get(m.picking.id) ?? []), { product: m.product!.id, quantity: take, move: m.id }]);
    }
    const short = [...left].filter(([, q]) => q > 0);
    if (short.length) throw permanent(`order ${orderCode}: more of ${short.map(([s]) => s).join(', ')} to return than left the warehouse`, { order: orderCode });
    for (const [picking, back] of perPicking) {
      const [wizard] = await create(client, N.returnWizard.model, [{ [R.picking]: picking,
        [R.lines]: back.map((b) => [0, 0, { [RL.product]: b.product, [RL.quantity]: b.quantity, [RL.move]: b.move, [RL.toRefund]: true }]) }]);
      const answer = z.object({ res_id: z.number() }).safeParse(await client.call(N.returnWizard.model, N.returnWizard.methods.createReturns, { ids: [wizard!] }));
      if (!answer.success) throw permanent(`Odoo's return of picking ${picking} did not say which picking it made`);
      await write(client, N.picking.model, [answer.data.res_id], { [K.origin]: `${opts.note} ${tag}` });
      made.push(answer.data.res_id);
    }
  }
  const states = new Map((await read(client, N.picking.model, made, { state: [K.state, z.string()] })).map((p) => [p.id, p.state]));
  for (const id of made) {
    if (states.get(id) === 'done') continue;
    await action(client, N.picking.model, N.picking.methods.assign, [id]);
    await action(client, N.picking.model, N.picking.methods.validate, [id]);
  }
  if (opts.creditNote) {
    const state = (await getSaleLines(client, setup, [orderCode])).get(orderCode);
    const gross = sum(lines.map((l) => (state?.lines.find((x) => x.sku === l.sku)?.unitGrossMinor ?? 0) * l.quantity));
    await recordCreditNote(client, setup, orderCode, { amountMinor: gross, key: `return ${opts.key}`, description: opts.note });
  }
  made = made.sort((a, b) => a - b);
  return { id: String(made[0]), created: !existing.length };
}

/** Web sales whose lines, moves or record changed (edits, deliveries, returns), keyed by the store order code. */
export function saleLineChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const S = N.sale.fields, L = N.saleLine.fields, M = N.move.fields;
  return changedRows(client, cursor, {
    sales: { model: N.sale.model, domain: [[S.reference, '!=', false]], fields: { reference: [S.reference, Text] } },
    lines: { model: N.saleLine.model, domain: [], fields: { order: [L.order, Ref] } },
    moves: { model: N.move.model, domain: [[M.saleLine, '!=', false]], fields: { saleLine: [M.saleLine, Ref] } },
  }, async ({ sales, lines, moves }) => {
    const stampBySale = new Map<number, string>();
    const note = (id: number, s: string) => { if ((stampBySale.get(id) ?? '') < s) stampBySale.set(id, s); };
    for (const s of sales) note(s.id, `${stampOf(s.writeDate)}:${s.id}`);
    for (const l of lines) if (l.order) note(l.order.id, `${stampOf(l.writeDate)}:${l.id}`);
    const lineIds = [...new Set(moves.flatMap((m) => (m.saleLine ? [m.saleLine.id] : [])))];
    const orderOf = new Map((await read(client, N.saleLine.model, lineIds, { order: [L.order, Ref] })).map((l) => [l.id, l.order?.id]));
    for (const m of moves) { const sale = m.saleLine && orderOf.get(m.saleLine.id); if (sale) note(sale, `${stampOf(m.writeDate)}:${m.id}`); }
    const refs = await read(client, N.sale.model, [...stampBySale.keys()], { reference: [S.reference, Text] });
    return refs.flatMap((r): ChangeRef[] => (r.reference ? [{ kind: 'sale', key: r.reference, sourceVersion: `sale:${stampBySale.get(r.id)}` }] : []));
  });
}
