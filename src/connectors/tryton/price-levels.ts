// Special price levels in Tryton (master.priceLevels): a level is a sale price list (product_price_list),
// named like the store's customer group it prices; its price for a SKU is the one Tryton itself computes.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { minorToDecimal } from '../../model/money.js';
import { decimalString, type TrytonClient } from './client.js';
import { productCodes, stampOf } from './reads.js';

type Levels = Record<string, number>;
const PriceList = z.object({ id: z.number(), name: z.string() });
const FixedLine = z.object({ id: z.number(), price_list: z.number(), product: z.number().nullable(), formula: z.string() });

/**
 * The company's price lists that are levels: those whose formulas give prices before tax, as the
 * store's prices are (a tax-included list would need each product's taxes to be read as one). The
 * first list of a name is the level; the store knows groups by name only.
 */
async function levelLists(client: TrytonClient, companyId: number): Promise<z.infer<typeof PriceList>[]> {
  const lists = z.array(PriceList).parse(await client.searchRead('product.price_list',
    [['company', '=', companyId], ['tax_included', '=', false]], ['name'], { order: [['id', 'ASC']] }));
  const seen = new Set<string>();
  return lists.filter((l) => !seen.has(l.name) && seen.add(l.name));
}

/** A price Tryton computed (4 decimals) in minor units, half away from zero, as Tryton rounds amounts. */
export function roundedMinor(value: string, digits = 2): number {
  const m = /^(-)?(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) throw permanent(`Tryton computed a price that is not a decimal: ${JSON.stringify(value)}`);
  const [, sign, whole, frac = ''] = m;
  const kept = Number(whole) * 10 ** digits + Number(frac.slice(0, digits).padEnd(digits, '0'));
  const minor = kept + (Number(frac.charAt(digits) || '0') >= 5 ? 1 : 0);
  return sign && minor ? -minor : minor;
}

/**
 * Each product's price in every level, by product id: Tryton's own price for the product in that
 * price list (`sale_price_uom` read in the list's context, quantity 0, no party), so formulas,
 * categories and line order are Tryton's business, not re-implemented here. One read per level.
 */
export async function readPriceLevels(client: TrytonClient, companyId: number, productIds: number[]): Promise<Map<number, Levels>> {
  const out = new Map<number, Levels>(productIds.map((id) => [id, {}]));
  if (!productIds.length) return out;
  for (const list of await levelLists(client, companyId)) {
    const rows = z.array(z.object({ id: z.number(), sale_price_uom: z.unknown() })).parse(
      await client.read('product.product', productIds, ['sale_price_uom'], { price_list: list.id, quantity: 0, active_test: false }));
    for (const r of rows) {
      if (r.sale_price_uom === null || r.sale_price_uom === undefined) continue;
      out.get(r.id)![list.name] = roundedMinor(decimalString(r.sale_price_uom));
    }
  }
  return out;
}

/** A formula that is one fixed amount: what Dovetail writes. */
const FIXED = /^\s*\d+(?:\.\d+)?\s*$/;
const OwnLine = z.object({ id: z.number(), price_list: z.number(), product: z.number().nullable(), formula: z.string() });
const ListLine = z.object({ id: z.number(), product: z.number().nullable(), category: z.number().nullable(), quantity: z.number().nullable() });
/** A product's own line in a list: for it alone, at any quantity. */
const isOwn = (l: z.infer<typeof ListLine>) => l.product !== null && l.category === null && l.quantity === null;

/**
 * Makes each product's price in every level the store gives (master.priceLevels: store): the
 * product's own line in the level's price list (for it alone, at any quantity) gets the store's
 * price as a fixed formula; the list is made when missing and the line found before one is made,
 * so a retry writes nothing twice. A level the store no longer gives loses the product's fixed
 * line, and Tryton's other lines price it again. Read back afterwards: where an earlier line still
 * decides the price, the list's own lines are moved to its top (each matches one product only, so
 * no other product's price changes) and, failing that, the product fails with what to fix.
 */
export async function writePriceLevels(client: TrytonClient, companyId: number, rows: { productId: number; sku: string; levels: Levels }[]): Promise<void> {
  if (!rows.length) return;
  const lists = await levelLists(client, companyId);
  const wantedNames = [...new Set(rows.flatMap((r) => Object.keys(r.levels)))].filter((n) => !lists.some((l) => l.name === n));
  if (wantedNames.length) {
    const ids = await client.create('product.price_list', wantedNames.map((name) => ({ name, company: companyId, tax_included: false })));
    ids.forEach((id, i) => lists.push({ id, name: wantedNames[i] }));
  }
  const productIds = rows.map((r) => r.productId);
  const own = z.array(OwnLine).parse(await client.searchRead('product.price_list.line',
    [['price_list', 'in', lists.map((l) => l.id)], ['product', 'in', productIds], ['category', '=', null], ['quantity', '=', null]],
    ['price_list', 'product', 'formula']));
  const toCreate: object[] = [];
  const toDelete: number[] = [];
  for (const row of rows) {
    for (const list of lists) {
      const line = own.find((l) => l.price_list === list.id && l.product === row.productId);
      const price = row.levels[list.name];
      if (price === undefined) {
        if (line && FIXED.test(line.formula)) toDelete.push(line.id);
        continue;
      }
      const formula = minorToDecimal(price);
      if (!line) toCreate.push({ price_list: list.id, product: row.productId, formula });
      else if (line.formula.trim() !== formula) await client.write('product.price_list.line', [line.id], { formula });
    }
  }
  if (toCreate.length) await client.create('product.price_list.line', toCreate);
  if (toDelete.length) await client.model('product.price_list.line', 'delete', [toDelete]);

  let wrong = await mispriced(client, companyId, rows);
  if (!wrong.length) return;
  for (const name of new Set(wrong.map((w) => w.level))) await ownLinesFirst(client, lists.find((l) => l.name === name)!.id);
  wrong = await mispriced(client, companyId, rows);
  if (wrong.length) {
    const [w] = wrong;
    throw permanent(`Tryton's price list ${w.level} prices ${w.sku} at ${w.got === undefined ? 'nothing' : minorToDecimal(w.got)}, not the store's ${minorToDecimal(w.wanted)}, although its own line says so: check the list's lines for ${w.sku}`, { sku: w.sku, level: w.level });
  }
}

/** The levels Tryton prices otherwise than the rows say. */
async function mispriced(client: TrytonClient, companyId: number, rows: { productId: number; sku: string; levels: Levels }[]) {
  const now = await readPriceLevels(client, companyId, rows.map((r) => r.productId));
  return rows.flatMap((row) => Object.entries(row.levels).flatMap(([level, wanted]) => {
    const got = now.get(row.productId)?.[level];
    return got === wanted ? [] : [{ sku: row.sku, level, wanted, got }];
  }));
}

/** Renumbers a list's lines, in Tryton's order, with the products' own lines first: one write. */
async function ownLinesFirst(client: TrytonClient, listId: number): Promise<void> {
  const lines = z.array(ListLine).parse(await client.searchRead('product.price_list.line', [['price_list', '=', listId]], ['product', 'category', 'quantity']));
  const ordered = [...lines.filter(isOwn), ...lines.filter((l) => !isOwn(l))];
  await client.model('product.price_list.line', 'write', ordered.flatMap((l, i) => [[l.id], { sequence: (i + 1) * 10 }]));
}

/** The price list a customer of these store groups is priced by: the level named like the first of them that is one; null: none. */
export async function priceListOfGroups(client: TrytonClient, companyId: number, groups: string[]): Promise<number | null> {
  if (!groups.length) return null;
  const lists = await levelLists(client, companyId);
  for (const g of groups) {
    const list = lists.find((l) => l.name === g);
    if (list) return list.id;
  }
  return null;
}

type Stamp = { write_date?: unknown; create_date?: unknown };

/**
 * SKUs whose level prices may have changed with a price list or one of its lines, with the newest
 * stamp of what changed for each: the line's product, or every product of its category (and
 * the categories below it), or every product (a line for every product, or a change of the list
 * itself: renamed, tax included, a line removed through it).
 */
export async function priceLevelChanges(client: TrytonClient, rows: { lists: Stamp[]; lines: (Stamp & { product: number | null; category: number | null })[] }): Promise<Map<string, string>> {
  const newest = new Map<string, string>();
  const note = (sku: string | null, stamp: string) => { if (sku && (newest.get(sku) ?? '') < stamp) newest.set(sku, stamp); };
  const later = (a: string | undefined, b: string) => ((a ?? '') < b ? b : a!);
  let everyProduct = '';
  for (const l of rows.lists) everyProduct = later(everyProduct, stampOf({ id: 0, ...l }));
  const byProduct = new Map<number, string>();
  const byCategory = new Map<number, string>();
  for (const l of rows.lines) {
    const stamp = stampOf({ id: 0, ...l });
    if (l.product !== null) byProduct.set(l.product, later(byProduct.get(l.product), stamp));
    else if (l.category !== null) byCategory.set(l.category, later(byCategory.get(l.category), stamp));
    else everyProduct = later(everyProduct, stamp);
  }
  for (const [id, code] of await productCodes(client, [...byProduct.keys()])) note(code, byProduct.get(id)!);
  const Codes = z.array(z.object({ code: z.string().nullable() }));
  const goods = [['code', '!=', null], ['type', '=', 'goods']];
  for (const [category, stamp] of byCategory) {
    const below = await client.search('product.category', [['id', 'child_of', [category], 'parent']]);
    for (const p of Codes.parse(await client.searchRead('product.product', [...goods, ['template.categories', 'in', below]], ['code'], {}, { active_test: false }))) note(p.code, stamp);
  }
  if (everyProduct) {
    for (const p of Codes.parse(await client.searchRead('product.product', goods, ['code'], {}, { active_test: false }))) note(p.code, everyProduct);
  }
  return newest;
}

/** The models a product feed reads for price levels (see priceLevelChanges). */
export const PRICE_LEVEL_FEEDS = {
  lists: { model: 'product.price_list', domain: [], shape: {} },
  lines: { model: 'product.price_list.line', domain: [], shape: { product: z.number().nullable(), category: z.number().nullable() } },
};
