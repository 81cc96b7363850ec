// What the shop pays for a variant and to whom (master.vendorsAndCosts): the variant's cost price
// and its first product supplier (module purchase), with that supplier's price, read and written.
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { failpoint } from '../../engine/failpoints.js';
import { decimalToMinor, minorToDecimal } from '../../model/money.js';
import type { ProductFields } from '../../model/product.js';
import { dateOf, dec, decimalString, type TrytonClient } from './client.js';

type Costs = ProductFields['costs'];

/**
 * Tryton keeps cost prices to 4 decimals (an average cost); the canonical cost is whole minor
 * units, half up. A product without one (no cost price for the company yet) costs 0, as in the store.
 */
export function costToMinor(costPrice: unknown): number {
  if (costPrice === null || costPrice === undefined) return 0;
  return Math.round(decimalToMinor(decimalString(costPrice), 4) / 100);
}

const SupplierRow = z.object({ id: z.number(), product: z.number().nullable(), party: z.number() });
const SUPPLIER_ORDER: [string, 'ASC'][] = [['sequence', 'ASC'], ['id', 'ASC']];

/** Each variant's supplier: its first active product supplier's party name (by sequence, as Tryton's purchase picks one). */
export async function supplierNames(client: TrytonClient, productIds: number[]): Promise<Map<number, string>> {
  if (!productIds.length) return new Map();
  const rows = z.array(SupplierRow).parse(await client.searchRead('purchase.product_supplier', [['product', 'in', productIds]], ['product', 'party'], { order: SUPPLIER_ORDER }));
  const first = new Map<number, number>();
  for (const r of rows) if (r.product !== null && !first.has(r.product)) first.set(r.product, r.party);
  if (!first.size) return new Map();
  const names = new Map(z.array(z.object({ id: z.number(), name: z.string() })).parse(
    await client.read('party.party', [...new Set(first.values())], ['name'])).map((p) => [p.id, p.name]));
  return new Map([...first].map(([product, party]) => [product, names.get(party) ?? '']));
}

/**
 * Makes the variant's cost price and first supplier (with a price at that cost) what `costs` says;
 * what already agrees is left alone, so a repeat after a crash writes nothing twice. The supplier
 * party is found by its name before one is made. No supplier: the variant's suppliers are
 * deactivated (kept for the purchases that name them).
 */
export async function writeCosts(client: TrytonClient, company: { id: number; currencyId: number; modules: { purchase: boolean } },
  product: { id: number; template: number; costPrice: unknown }, costs: Costs): Promise<void> {
  if (costs.supplier !== null && !company.modules.purchase) {
    throw new DovetailError('config', `Tryton cannot keep the supplier "${costs.supplier}" of product ${product.id}: activate the purchase module (it holds product suppliers)`);
  }
  if (costs.costMinor < 0) throw permanent(`a cost cannot be negative (got ${costs.costMinor} for Tryton product ${product.id})`, { product: product.id });
  if (company.modules.purchase) await writeSupplier(client, company, product, costs);
  if (costToMinor(product.costPrice) !== costs.costMinor) await modifyCostPrice(client, product.id, minorToDecimal(costs.costMinor));
}

async function writeSupplier(client: TrytonClient, company: { id: number; currencyId: number }, product: { id: number; template: number }, costs: Costs): Promise<void> {
  const existing = z.array(SupplierRow.extend({ prices: z.array(z.number()) })).parse(await client.searchRead('purchase.product_supplier',
    [['product', '=', product.id]], ['product', 'party', 'prices'], { order: SUPPLIER_ORDER }));
  if (costs.supplier === null) {
    if (existing.length) await client.write('purchase.product_supplier', existing.map((s) => s.id), { active: false });
    return;
  }
  const party = await supplierParty(client, costs.supplier);
  const price = dec(minorToDecimal(costs.costMinor));
  const first = existing[0];
  if (!first) {
    await client.create('purchase.product_supplier', [{ template: product.template, product: product.id, party, company: company.id, currency: company.currencyId,
      prices: [['create', [{ quantity: 0, unit_price: price }]]] }]);
    return;
  }
  // the price for any quantity (0 and up) is the cost; prices for larger quantities are the buyer's own
  const prices = first.prices.length ? z.array(z.object({ id: z.number(), quantity: z.number(), unit_price: z.unknown() })).parse(
    await client.read('purchase.product_supplier.price', first.prices, ['quantity', 'unit_price'])) : [];
  const base = prices.find((p) => p.quantity === 0);
  const values: Record<string, unknown> = {};
  if (first.party !== party) values.party = party;
  if (!base) values.prices = [['create', [{ quantity: 0, unit_price: price }]]];
  else if (costToMinor(base.unit_price) !== costs.costMinor) values.prices = [['write', [base.id], { unit_price: price }]];
  if (Object.keys(values).length) await client.write('purchase.product_supplier', [first.id], values);
}

/** The party called `name` (the first one, when there are several), made when there is none. */
async function supplierParty(client: TrytonClient, name: string): Promise<number> {
  const [found] = await client.search('party.party', [['name', '=', name]], { limit: 1, order: [['id', 'ASC']] });
  if (found) return found;
  const [made] = await client.create('party.party', [{ name }]);
  failpoint('costs.supplierPartyMade');
  return made;
}

/**
 * Tryton refuses a plain write of the cost price of a product that has stock moves ("use the
 * Modify Cost Price wizard"), whatever its cost price method: the wizard is what it asks for. It
 * records a revision from today; a fixed cost is set at once, an average one recomputed from the
 * moves with the revision applied, so it ends at this cost too.
 */
async function modifyCostPrice(client: TrytonClient, productId: number, cost: string): Promise<void> {
  const today = new Date();
  await client.wizard('product.modify_cost_price', [['modify', { start: { date: dateOf(today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()), cost_price: cost } }]],
    { active_model: 'product.product', active_ids: [productId], active_id: productId });
}
