// Vendure's tax rates and shipping methods as keyed sets (master.salesTaxes, master.shippingMethods):
// a tax rate is keyed by its tax category and zone names, a shipping method by its code.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { parseTaxKey, taxKey, type KeyedSet, type SalesTaxValue, type ShippingMethodValue } from '../../model/reference-sets.js';
import type { VendureClient } from './client.js';
import { OFFLINE_SHIPPING_CODE } from './offline.js';

/** a set is small; one page of this many covers it */
const TAKE = 1000;
/** the calculator whose `rate` is a flat price: the only one both systems can express */
const FLAT_CALCULATOR = 'default-shipping-calculator';

const TaxRateNode = z.object({ id: z.string(), value: z.number(), enabled: z.boolean(), category: z.object({ name: z.string() }), zone: z.object({ name: z.string() }), customerGroup: z.object({ id: z.string() }).nullable() });

/**
 * Enabled tax rates for every customer, by `<category> @ <zone>`. Rates for one customer group
 * are left out: the inventory system's taxes have no customer groups.
 */
export async function listSalesTaxes(client: VendureClient): Promise<KeyedSet<SalesTaxValue>> {
  const r = await client.admin(`query TaxRates($o: TaxRateListOptions) { taxRates(options: $o) { items { id value enabled category { name } zone { name } customerGroup { id } } } }`,
    { o: { take: TAKE, sort: { id: 'ASC' } } }, z.object({ taxRates: z.object({ items: z.array(TaxRateNode) }) }));
  const out: KeyedSet<SalesTaxValue> = new Map();
  for (const t of r.taxRates.items) {
    const key = taxKey(t.category.name, t.zone.name);
    if (t.enabled && !t.customerGroup && !out.has(key)) out.set(key, { id: t.id, value: { ratePercent: t.value } });
  }
  return out;
}

export async function putSalesTax(client: VendureClient, key: string, value: SalesTaxValue, existingId: string | null): Promise<{ id: string; created: boolean }> {
  if (existingId) {
    const r = await client.admin(`mutation UpdateTaxRate($i: UpdateTaxRateInput!) { updateTaxRate(input: $i) { id } }`,
      { i: { id: existingId, value: value.ratePercent } }, z.object({ updateTaxRate: z.object({ id: z.string() }) }));
    return { id: r.updateTaxRate.id, created: false };
  }
  const parts = parseTaxKey(key);
  if (!parts) throw permanent(`tax rate "${key}" is not keyed "<tax category> @ <zone>"`, { key });
  const names = await client.admin(`query TaxPlaces($c: TaxCategoryListOptions, $z: ZoneListOptions) { taxCategories(options: $c) { items { id name } } zones(options: $z) { items { id name } } }`,
    { c: { filter: { name: { eq: parts.category } }, take: 1 }, z: { filter: { name: { eq: parts.zone } }, take: 1 } },
    z.object({ taxCategories: z.object({ items: z.array(z.object({ id: z.string() })) }), zones: z.object({ items: z.array(z.object({ id: z.string() })) }) }));
  const category = names.taxCategories.items[0];
  const zone = names.zones.items[0];
  if (!category || !zone) {
    throw permanent(`Vendure has no ${!category ? `tax category "${parts.category}"` : ''}${!category && !zone ? ' and no ' : ''}${!zone ? `zone "${parts.zone}"` : ''} for tax rate "${key}": add it in Vendure`, { key });
  }
  const r = await client.admin(`mutation CreateTaxRate($i: CreateTaxRateInput!) { createTaxRate(input: $i) { id } }`,
    { i: { name: key, enabled: true, value: value.ratePercent, categoryId: category.id, zoneId: zone.id } }, z.object({ createTaxRate: z.object({ id: z.string() }) }));
  return { id: r.createTaxRate.id, created: true };
}

const Args = z.array(z.object({ name: z.string(), value: z.string() }));
const MethodNode = z.object({ id: z.string(), code: z.string(), name: z.string(), calculator: z.object({ code: z.string(), args: Args }) });

/** The flat price before tax a method charges, or null when its calculator is not a flat rate before tax. */
function flatPriceMinor(calculator: z.infer<typeof MethodNode>['calculator']): number | null {
  if (calculator.code !== FLAT_CALCULATOR) return null;
  const arg = (name: string) => calculator.args.find((a) => a.name === name)?.value;
  const rate = Number(arg('rate'));
  return arg('includesTax') === 'exclude' && Number.isInteger(rate) && rate >= 0 ? rate : null;
}

/**
 * Shipping methods by code, priced flat before tax. Methods priced otherwise (another calculator,
 * a price including tax) are left out, and so is the method Dovetail keeps for offline orders.
 */
export async function listShippingMethods(client: VendureClient): Promise<KeyedSet<ShippingMethodValue>> {
  const r = await client.admin(`query ShippingMethods($o: ShippingMethodListOptions) { shippingMethods(options: $o) { items { id code name calculator { code args { name value } } } } }`,
    { o: { take: TAKE, sort: { id: 'ASC' } } }, z.object({ shippingMethods: z.object({ items: z.array(MethodNode) }) }));
  const out: KeyedSet<ShippingMethodValue> = new Map();
  for (const m of r.shippingMethods.items) {
    const priceMinor = flatPriceMinor(m.calculator);
    if (m.code !== OFFLINE_SHIPPING_CODE && priceMinor !== null) out.set(m.code, { id: m.id, value: { name: m.name, priceMinor } });
  }
  return out;
}

export async function putShippingMethod(client: VendureClient, code: string, value: ShippingMethodValue, existingId: string | null): Promise<{ id: string; created: boolean }> {
  if (existingId) {
    // the calculator is written whole: keep the tax rate it charges on shipping
    const r = await client.admin(`query ShippingMethod($id: ID!) { shippingMethod(id: $id) { languageCode calculator { args { name value } } } }`, { id: existingId },
      z.object({ shippingMethod: z.object({ languageCode: z.string(), calculator: z.object({ args: Args }) }).nullable() }));
    if (!r.shippingMethod) throw permanent(`Vendure shipping method ${code} (id ${existingId}) is gone`, { code });
    const taxRate = r.shippingMethod.calculator.args.find((a) => a.name === 'taxRate')?.value ?? '0';
    const u = await client.admin(`mutation UpdateShippingMethod($i: UpdateShippingMethodInput!) { updateShippingMethod(input: $i) { id } }`, { i: {
      id: existingId, translations: [{ languageCode: r.shippingMethod.languageCode, name: value.name }], calculator: flatCalculator(value.priceMinor, taxRate),
    } }, z.object({ updateShippingMethod: z.object({ id: z.string() }) }));
    return { id: u.updateShippingMethod.id, created: false };
  }
  const c = await client.admin(`mutation CreateShippingMethod($i: CreateShippingMethodInput!) { createShippingMethod(input: $i) { id } }`, { i: {
    code, fulfillmentHandler: 'manual-fulfillment',
    checker: { code: 'default-shipping-eligibility-checker', arguments: [{ name: 'orderMinimum', value: '0' }] },
    calculator: flatCalculator(value.priceMinor, '0'),
    translations: [{ languageCode: 'en', name: value.name, description: '' }],
  } }, z.object({ createShippingMethod: z.object({ id: z.string() }) }));
  return { id: c.createShippingMethod.id, created: true };
}

function flatCalculator(priceMinor: number, taxRate: string) {
  return { code: FLAT_CALCULATOR, arguments: [{ name: 'rate', value: String(priceMinor) }, { name: 'includesTax', value: 'exclude' }, { name: 'taxRate', value: taxRate }] };
}
