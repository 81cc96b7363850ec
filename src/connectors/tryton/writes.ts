// Writes to Tryton. Each create is found before it is made: a party by its email, a sale by the
// store order code it carries as `reference`, so a retry after a crash finishes the half-made
// record (draft -> quotation -> confirmed) instead of making a second one.
import { madeOnce } from '../made-once.js';
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { fullName, type Address, type Customer } from '../../model/customer.js';
import { decimalToMinor, minorToDecimal } from '../../model/money.js';
import type { Order } from '../../model/order.js';
import { splitForExactAmount } from '../../rules/exact-lines.js';
import { dec, decimalString, dateOf, type TrytonClient } from './client.js';
import { priceListOfGroups } from './price-levels.js';

export interface Company {
  id: number; currencyId: number; currencyCode: string; warehouseIds: number[]; paymentTermId: number | null; unitId: number; revenueCategoryId: number | null;
  /** ids of records Dovetail makes once and reuses (taxes, the shipping product, agents), by name */
  made: Map<string, Promise<number>>;
  /** the optional modules this database has activated: their models and fields are used only then */
  modules: OptionalModules;
}

/**
 * Modules a shop's Tryton may lack: product_attribute (master.productAttributes), product_price_list
 * (master.priceLevels), sale_price_list (a web sale's price list) and purchase (product suppliers,
 * master.vendorsAndCosts). Without them their flows carry nothing, instead of every product read
 * failing on a model Tryton does not have.
 */
export interface OptionalModules { attributes: boolean; priceLists: boolean; salePriceList: boolean; purchase: boolean }

export async function optionalModules(client: TrytonClient): Promise<OptionalModules> {
  const models = new Set(z.array(z.object({ model: z.string() })).parse(
    await client.searchRead('ir.model', [['model', 'in', ['product.attribute', 'product.price_list', 'purchase.product_supplier']]], ['model'])).map((m) => m.model));
  const saleList = await client.search('ir.model.field', [['model.model', '=', 'party.party'], ['name', '=', 'sale_price_list']], { limit: 1 });
  return { attributes: models.has('product.attribute'), priceLists: models.has('product.price_list'), salePriceList: saleList.length > 0,
    purchase: models.has('purchase.product_supplier') };
}

/** Looks up a record made once (kept for the process), or finds / creates it. */
export const once = (company: Company, key: string, make: () => Promise<number>): Promise<number> => madeOnce(company.made, key, make);

/** Tryton ships no countries; an address needs one, so a missing ISO code is added on first use. */
async function countryId(client: TrytonClient, code: string, company?: Company): Promise<number> {
  if (!/^[A-Z]{2}$/.test(code)) throw permanent(`address has no valid country code (got "${code}")`, { country: code });
  return company ? once(company, `country:${code}`, () => findOrAddCountry(client, code)) : findOrAddCountry(client, code);
}

async function findOrAddCountry(client: TrytonClient, code: string): Promise<number> {
  const [found] = await client.search('country.country', [['code', '=', code]], { limit: 1 });
  if (found) return found;
  const [created] = await client.create('country.country', [{ code, name: code }]);
  return created;
}

function addressValues(a: Address, country: number) {
  return { party_name: a.fullName || null, street: [a.street1, a.street2].filter(Boolean).join('\n'), city: a.city, postal_code: a.postalCode, country };
}

const AddressRecord = z.object({ id: z.number(), street: z.string().nullable(), city: z.string().nullable(), postal_code: z.string().nullable(), country: z.number().nullable() });

/** What makes two addresses of a party the same place (the name on it may differ). */
const placeOf = (a: { street: string | null; city: string | null; postal_code: string | null; country: number | null }) =>
  JSON.stringify([a.street ?? '', a.city ?? '', a.postal_code ?? '', a.country]);

/** Tryton's values for each address, one per place. */
async function addressesValues(client: TrytonClient, addresses: Address[], company?: Company) {
  const values = await Promise.all(addresses.map(async (a) => addressValues(a, await countryId(client, a.countryCode, company))));
  return { values, places: [...new Map(values.map((v) => [placeOf(v), v])).values()] };
}

/**
 * The party's address equal to each of `wanted`, in order: the party's addresses read once, and
 * those it lacks added in one call.
 */
export async function ensureAddresses(client: TrytonClient, partyId: number, wanted: Address[], company?: Company,
  read?: z.infer<typeof AddressRecord>[]): Promise<number[]> {
  if (!wanted.length) return [];
  const { values, places } = await addressesValues(client, wanted, company);
  const existing = read ?? z.array(AddressRecord).parse(await client.searchRead('party.address', [['party', '=', partyId]], ['street', 'city', 'postal_code', 'country']));
  const ids = new Map(existing.map((e) => [placeOf(e), e.id]));
  const missing = places.filter((v) => !ids.has(placeOf(v)));
  if (missing.length) {
    const made = await client.create('party.address', missing.map((v) => ({ party: partyId, ...v })));
    missing.forEach((v, i) => ids.set(placeOf(v), made[i]!));
  }
  return values.map((v) => ids.get(placeOf(v))!);
}

export async function findPartyByEmail(client: TrytonClient, email: string): Promise<number | null> {
  const rows = z.array(z.object({ party: z.number() })).parse(
    await client.searchRead('party.contact_mechanism', [['type', '=', 'email'], ['value', 'ilike', email]], ['party'], { limit: 1, order: [['id', 'ASC']] }));
  return rows[0]?.party ?? null;
}

export async function upsertCustomer(client: TrytonClient, c: Customer, company?: Company): Promise<{ id: string; created: boolean }> {
  const found = await findPartyByEmail(client, c.email);
  if (found) {
    await ensureAddresses(client, found, c.addresses, company);
    return { id: String(found), created: false };
  }
  const mechanisms = [{ type: 'email', value: c.email }, ...(c.phone ? [{ type: 'phone', value: c.phone }] : [])];
  // the addresses made with the party, in the same call (without any, Tryton gives it its default one)
  const { places } = await addressesValues(client, c.addresses, company);
  const [id] = await client.create('party.party', [{ name: fullName(c) || c.email, contact_mechanisms: [['create', mechanisms]],
    ...(places.length ? { addresses: [['create', places]] } : {}) }]);
  return { id: String(id), created: true };
}

const SaleRecord = z.object({ id: z.number(), state: z.string(), total_amount: z.unknown() });

export async function findSale(client: TrytonClient, orderCode: string) {
  const rows = z.array(SaleRecord).parse(await client.searchRead('sale.sale', [['reference', '=', orderCode], ['state', '!=', 'cancelled']],
    ['state', 'total_amount'], { limit: 1, order: [['id', 'ASC']] }));
  const s = rows[0];
  return s ? { id: String(s.id), state: s.state, totalMinor: decimalToMinor(decimalString(s.total_amount)) } : null;
}

/** A percentage tax per rate the store charged, made once ("Store tax 10%"). */
export async function taxFor(client: TrytonClient, company: Company, ratePercent: number): Promise<number | null> {
  if (!ratePercent) return null;
  return once(company, `tax:${ratePercent}`, () => makeTax(client, company, ratePercent));
}

async function makeTax(client: TrytonClient, company: Company, ratePercent: number): Promise<number> {
  const name = `Store tax ${ratePercent}%`;
  const [found] = await client.search('account.tax', [['name', '=', name], ['company', '=', company.id]], { limit: 1 });
  if (found) return found;
  const [account] = await client.search('account.account', [['company', '=', company.id], ['type.payable', '=', true], ['closed', '!=', true]], { limit: 1 });
  if (!account) throw new DovetailError('config', 'Tryton has no payable account to post store taxes to: set up the chart of accounts');
  const rate = (ratePercent / 100).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  const [id] = await client.create('account.tax', [{ name, description: name, type: 'percentage', rate: dec(rate), company: company.id, invoice_account: account, credit_note_account: account }]);
  return id;
}

/** The service product carrying shipping charges on sales, made once. */
/** The service products Dovetail puts on web sales, made once, booked to the revenue category. */
const SERVICE_PRODUCTS = {
  shipping: { code: 'DOVETAIL-SHIPPING', name: 'Shipping (web orders)' },
  rounding: { code: 'DOVETAIL-ROUNDING', name: 'Rounding difference with the store\'s tax' },
} as const;

function serviceProduct(client: TrytonClient, company: Company, which: keyof typeof SERVICE_PRODUCTS): Promise<number> {
  return once(company, `service:${which}`, () => makeServiceProduct(client, company, SERVICE_PRODUCTS[which]));
}

async function makeServiceProduct(client: TrytonClient, company: Company, { code, name }: { code: string; name: string }): Promise<number> {
  const [found] = await client.search('product.product', [['code', '=', code]], { limit: 1 });
  if (found) return found;
  await client.create('product.template', [{ name, type: 'service', default_uom: company.unitId, list_price: dec('0'), salable: true,
    sale_uom: company.unitId, account_category: company.revenueCategoryId, products: [['create', [{ suffix_code: code }]]] }])
    // Several workers share the queue: another may have made it between the look and the create,
    // and Tryton refuses a second product with the code. Theirs is the one to use.
    .catch(async (err: unknown) => {
      if ((await client.search('product.product', [['code', '=', code]], { limit: 1 })).length === 0) throw err;
    });
  const [id] = await client.search('product.product', [['code', '=', code]], { limit: 1 });
  return id;
}

function salespersonAgent(client: TrytonClient, company: Company, name: string): Promise<number> {
  return once(company, `agent:${name}`, () => makeAgent(client, company, name));
}

async function makeAgent(client: TrytonClient, company: Company, name: string): Promise<number> {
  const [found] = await client.search('commission.agent', [['party.name', '=', name]], { limit: 1 });
  if (found) return found;
  const [party] = await client.create('party.party', [{ name }]);
  const [agent] = await client.create('commission.agent', [{ party, company: company.id, currency: company.currencyId, type_: 'agent' }]);
  return agent;
}

/**
 * A shipping method without a Tryton carrier is asked about again after this long, not on every
 * order (a shop that ships with a method Tryton does not have would pay a search per sale), so a
 * carrier added in Tryton is used within minutes.
 */
const CARRIER_MISS_MS = 10 * 60_000;
const carriersMissed = new WeakMap<Company, Map<string, number>>();

/** A carrier Dovetail has just made for a shipping method (shippingMethods): the next sale uses it. */
export function carrierMade(company: Company, code: string, id: number): void {
  company.made.set(`carrier:${code}`, Promise.resolve(id));
  carriersMissed.get(company)?.delete(code);
}

/**
 * The carrier of the store's shipping method (master.shippingMethods: its carrier product's code
 * is the method code), so the sale's shipments carry it; null when Tryton has none for it.
 */
async function carrierFor(client: TrytonClient, company: Company, order: Order): Promise<number | null> {
  const code = order.shipping.find((s) => s.methodCode)?.methodCode;
  if (!code) return null;
  const known = company.made.get(`carrier:${code}`);
  if (known) return known;
  let missed = carriersMissed.get(company);
  if (!missed) carriersMissed.set(company, (missed = new Map()));
  if (Date.now() - (missed.get(code) ?? -Infinity) < CARRIER_MISS_MS) return null;
  const [found] = await client.search('carrier', [['carrier_product.code', '=', code]], { limit: 1, order: [['id', 'ASC']] });
  if (found) company.made.set(`carrier:${code}`, Promise.resolve(found));
  else missed.set(code, Date.now());
  return found ?? null;
}

/**
 * The price list of a web sale, as Tryton would give it: the party's own sale price list, else the
 * level named like one of the store customer groups it ordered as (master.priceLevels).
 */
async function saleListOf(client: TrytonClient, company: Company, own: number | null | undefined, groups: string[] | undefined): Promise<{ price_list?: number }> {
  const list = own ?? await priceListOfGroups(client, company.id, groups ?? []);
  return list ? { price_list: list } : {};
}

/** What a web sale needs of its party, in one read: its addresses (dotted names through the relation) and its own price list. */
async function partyForSale(client: TrytonClient, company: Company, party: number) {
  const [row] = z.array(z.object({ 'addresses.': z.array(AddressRecord), sale_price_list: z.number().nullable().optional() })).parse(await client.read('party.party', [party],
    ['addresses.street', 'addresses.city', 'addresses.postal_code', 'addresses.country', ...(company.modules.salePriceList ? ['sale_price_list'] : [])]));
  if (!row) throw permanent(`Tryton has no party ${party} any more`, { party });
  return { addresses: row['addresses.'], priceList: row.sale_price_list };
}

async function saleTotal(client: TrytonClient, saleId: number): Promise<number> {
  const [s] = z.array(SaleRecord).parse(await client.read('sale.sale', [saleId], ['state', 'total_amount']));
  return decimalToMinor(decimalString(s.total_amount));
}

export async function importOrder(client: TrytonClient, company: Company, productIds: Map<string, { id: number; uom: number }>, order: Order,
  opts: { customerId: string; salesperson?: string }): Promise<{ id: string; created: boolean; totalMinor: number }> {
  const unknown = [...new Set(order.lines.map((l) => l.sku))].filter((sku) => !productIds.has(sku));
  if (unknown.length) {
    throw permanent(`order ${order.code} has ${unknown.length > 1 ? 'SKUs' : 'SKU'} ${unknown.join(', ')}, which Tryton does not know: create the product there (or fix the SKU in the store), then retry`, { order: order.code, skus: unknown });
  }
  if (order.currency !== company.currencyCode) {
    throw permanent(`order ${order.code} is in ${order.currency} but the Tryton company keeps its books in ${company.currencyCode}`, { order: order.code });
  }
  let sale = await findSale(client, order.code);
  const created = !sale;
  if (!sale) {
    const party = Number(opts.customerId);
    const shipTo = order.shippingAddress ?? order.billingAddress;
    if (!shipTo) throw permanent(`order ${order.code} has no address to ship to`, { order: order.code });
    const known = await partyForSale(client, company, party);
    const [shipmentAddress, invoiceAddress] = await ensureAddresses(client, party, [shipTo, order.billingAddress ?? shipTo], company, known.addresses);
    const lines: object[] = [];
    for (const l of order.lines) {
      const p = productIds.get(l.sku)!;
      const tax = await taxFor(client, company, l.taxRatePercent);
      for (const part of splitForExactAmount(l.lineNetMinor, l.quantity)) {
        lines.push({ type: 'line', product: p.id, quantity: part.quantity, unit: p.uom, unit_price: dec(part.unitPrice), description: l.name,
          taxes: tax ? [['add', [tax]]] : [] });
      }
    }
    for (const s of order.shipping) {
      if (!s.netMinor && !s.taxMinor) continue;
      const tax = await taxFor(client, company, s.taxRatePercent);
      lines.push({ type: 'line', product: await serviceProduct(client, company, 'shipping'), quantity: 1, unit: company.unitId, unit_price: dec(minorToDecimal(s.netMinor)),
        description: `Shipping: ${s.name}`, taxes: tax ? [['add', [tax]]] : [] });
    }
    const carrier = await carrierFor(client, company, order);
    const placed = new Date(order.placedAt);
    const [id] = await client.create('sale.sale', [{
      company: company.id, party, invoice_address: invoiceAddress, shipment_address: shipmentAddress, currency: company.currencyId,
      warehouse: company.warehouseIds[0], payment_term: company.paymentTermId, reference: order.code, description: `Web order ${order.code}`,
      sale_date: dateOf(placed.getUTCFullYear(), placed.getUTCMonth() + 1, placed.getUTCDate()),
      comment: order.discounts.length ? `Store discounts (already in the line prices): ${order.discounts.map((d) => `${d.description} ${minorToDecimal(d.amountMinor)}`).join('; ')}` : null,
      ...(opts.salesperson ? { agent: await salespersonAgent(client, company, opts.salesperson) } : {}),
      // the store charged shipping on its own line above: Tryton must not add the carrier's price again
      ...(carrier ? { carrier, shipment_cost_method: null } : {}),
      // a customer priced by a level (master.priceLevels) is so in Tryton too; the lines keep what the store charged
      ...(company.modules.salePriceList ? await saleListOf(client, company, known.priceList, order.customer.groups) : {}),
      lines: [['create', lines]],
    }]);
    sale = { id: String(id), state: 'draft', totalMinor: await saleTotal(client, id) };
  }
  const id = Number(sale.id);
  if (sale.state === 'draft') {
    // The store rounds tax per unit, Tryton per line: a cent can differ. Say so on the sale
    // rather than let the two totals disagree.
    const diff = order.totalMinor - sale.totalMinor;
    if (diff !== 0 && Math.abs(diff) <= order.lines.length + order.shipping.length) {
      // a product line, so Tryton knows the revenue account when it invoices the sale
      await client.write('sale.sale', [id], { lines: [['create', [{ type: 'line', product: await serviceProduct(client, company, 'rounding'), quantity: 1, unit: company.unitId,
        unit_price: dec(minorToDecimal(diff)), description: SERVICE_PRODUCTS.rounding.name, taxes: [] }]]] });
      sale.totalMinor += diff; // an untaxed line: the total moves by exactly its price
    }
    await client.button('sale.sale', 'quote', [id]);
    sale.state = 'quotation';
  }
  // quoting and confirming leave the amounts as they are: the total known is the sale's total
  if (sale.state === 'quotation') await client.button('sale.sale', 'confirm', [id]);
  return { id: String(id), created, totalMinor: sale.totalMinor };
}
