// Tryton's side of the reference sets: store tax rates are percentage taxes named
// `<category> @ <zone>`, shipping methods are carriers whose carrier product's code is the method code.
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { decimalToMinor, minorToDecimal } from '../../model/money.js';
import { parseTaxKey, type KeyedSet, type SalesTaxValue, type ShippingMethodValue } from '../../model/reference-sets.js';
import { dec, decimalString, type TrytonClient } from './client.js';
import { carrierMade, type Company } from './writes.js';

const TaxRecord = z.object({ id: z.number(), name: z.string(), rate: z.unknown() });

/** A Tryton rate (0.1) as a percentage (10), without the float noise of a plain multiplication. */
export const percentOfRate = (rate: string) => Number((Number(rate) * 100).toFixed(6));
/** A percentage (12.5) as a Tryton rate ("0.125"). */
export const rateOfPercent = (percent: number) => (percent / 100).toFixed(8).replace(/0+$/, '').replace(/\.$/, '');

/** The company's active percentage taxes whose name is a store tax key; others (a chart's own taxes, "Store tax 10%") are not in the set. */
export async function listSalesTaxes(client: TrytonClient, company: Company): Promise<KeyedSet<SalesTaxValue>> {
  const rows = z.array(TaxRecord).parse(await client.searchRead('account.tax',
    [['company', '=', company.id], ['type', '=', 'percentage'], ['parent', '=', null], ['name', 'like', '% @ %']], ['name', 'rate'], { order: [['id', 'ASC']] }));
  const out: KeyedSet<SalesTaxValue> = new Map();
  for (const t of rows) {
    if (parseTaxKey(t.name) && !out.has(t.name)) out.set(t.name, { id: String(t.id), value: { ratePercent: percentOfRate(decimalString(t.rate)) } });
  }
  return out;
}

export async function putSalesTax(client: TrytonClient, company: Company, key: string, value: SalesTaxValue, existingId: string | null): Promise<{ id: string; created: boolean }> {
  const rate = dec(rateOfPercent(value.ratePercent));
  if (existingId) {
    await client.write('account.tax', [Number(existingId)], { rate });
    return { id: existingId, created: false };
  }
  if (!parseTaxKey(key)) throw permanent(`tax rate "${key}" is not keyed "<tax category> @ <zone>"`, { key });
  const [account] = await client.search('account.account', [['company', '=', company.id], ['type.payable', '=', true], ['closed', '!=', true]], { limit: 1 });
  if (!account) throw new DovetailError('config', 'Tryton has no payable account to post store taxes to: set up the chart of accounts');
  const [id] = await client.create('account.tax', [{ name: key, description: key, type: 'percentage', rate, company: company.id, invoice_account: account, credit_note_account: account }]);
  return { id: String(id), created: true };
}

const CarrierRecord = z.object({
  id: z.number(),
  'party.': z.object({ id: z.number(), name: z.string() }),
  'carrier_product.': z.object({ id: z.number(), code: z.string().nullable(), template: z.number(), list_price: z.unknown() }),
  carrier_cost_method: z.string().nullable(),
});

/** Active carriers priced by their product whose carrier product has a code: the code is the key, the party's name what shipments report. */
export async function listShippingMethods(client: TrytonClient): Promise<KeyedSet<ShippingMethodValue>> {
  const rows = z.array(CarrierRecord).parse(await client.searchRead('carrier', [['carrier_product.code', '!=', null], ['carrier_cost_method', '=', 'product']],
    ['party.name', 'carrier_product.code', 'carrier_product.template', 'carrier_product.list_price', 'carrier_cost_method'], { order: [['id', 'ASC']] }));
  const out: KeyedSet<ShippingMethodValue> = new Map();
  for (const c of rows) {
    const code = c['carrier_product.'].code;
    if (code && !out.has(code)) {
      out.set(code, { id: String(c.id), value: { name: c['party.'].name, priceMinor: decimalToMinor(decimalString(c['carrier_product.'].list_price ?? '0')) } });
    }
  }
  return out;
}

/**
 * Updates a carrier's party name and its product's name and list price, or makes the carrier:
 * its product found by code (or made), its party found by name (or made), so a retry after a
 * crash between these steps reuses what the crashed attempt made.
 */
export async function putShippingMethod(client: TrytonClient, company: Company, code: string, value: ShippingMethodValue, existingId: string | null): Promise<{ id: string; created: boolean }> {
  const price = dec(minorToDecimal(value.priceMinor));
  if (existingId) {
    const [carrier] = z.array(z.object({ party: z.number(), 'carrier_product.': z.object({ template: z.number() }) })).parse(
      await client.read('carrier', [Number(existingId)], ['party', 'carrier_product.template']));
    if (!carrier) throw permanent(`Tryton carrier ${existingId} (${code}) is gone`, { code });
    await client.write('party.party', [carrier.party], { name: value.name });
    await client.write('product.template', [carrier['carrier_product.'].template], { name: value.name, list_price: price });
    return { id: existingId, created: false };
  }
  let [product] = await client.search('product.product', [['code', '=', code]], { limit: 1 });
  if (!product) {
    await client.create('product.template', [{ name: value.name, type: 'service', default_uom: company.unitId, list_price: price, salable: true,
      sale_uom: company.unitId, account_category: company.revenueCategoryId, products: [['create', [{ suffix_code: code }]]] }]);
    [product] = await client.search('product.product', [['code', '=', code]], { limit: 1 });
  }
  const [found] = await client.search('party.party', [['name', '=', value.name]], { limit: 1, order: [['id', 'ASC']] });
  const party = found ?? (await client.create('party.party', [{ name: value.name }]))[0];
  const [id] = await client.create('carrier', [{ party, carrier_product: product, carrier_cost_method: 'product' }]);
  carrierMade(company, code, id);
  return { id: String(id), created: true };
}
