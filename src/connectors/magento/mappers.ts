// Magento's Admin REST records <-> Dovetail's canonical Product, Customer and Order. The shapes are
// those of the published schema's definitions, parsed with zod here; money becomes minor units.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { Address, Customer } from '../../model/customer.js';
import type { Order, OrderLine, OrderStatus, ShippingCharge } from '../../model/order.js';
import type { FieldGroup, Product, ProductFields } from '../../model/product.js';

// ---------- amounts and stamps ----------

/** Magento leaves unset amounts out (or null): they count as zero. */
const Amount = z.number().nullish().transform((v) => v ?? 0);

/** Digits of a currency's minor unit (JPY 0, EUR 2, KWD 3), as the platform's Intl knows them. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Magento answers amounts as JSON numbers kept to 4 decimals in its database; rounding the scaled
 * number is exact for those (19.99 × 100 = 1998.9999… → 1999), where truncating would lose a cent.
 */
export const toMinor = (amount: number, currency: string) => Math.round(amount * 10 ** currencyDigits(currency));
export const toAmount = (minor: number, currency: string) => minor / 10 ** currencyDigits(currency);

/** Magento's UTC stamps `2026-11-29 21:54:54` as ISO `2026-11-29T21:54:54Z` (the change feed's format), and back. */
export function stampToIso(stamp: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)/.exec(stamp);
  if (!m) throw permanent(`not a Magento timestamp: ${stamp}`);
  return `${m[1]}T${m[2]}Z`;
}
export const isoToStamp = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;

/** `{items, total_count}` of every search answer. */
export const searchResult = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total_count: z.number().int().optional() });

// ---------- products ----------

/** Custom product attributes (text, global scope) holding what Magento has no field of its own for. */
export const ATTRIBUTE = {
  groupKey: 'dovetail_group_key',
  variantName: 'dovetail_variant_name',
  lengthCm: 'dovetail_length_cm',
  widthCm: 'dovetail_width_cm',
  heightCm: 'dovetail_height_cm',
  description: 'description',
} as const;

const CustomAttribute = z.object({ attribute_code: z.string(), value: z.unknown() });

export const MProduct = z.object({
  id: z.number().int().optional(),
  sku: z.string(),
  name: z.string().nullish(),
  type_id: z.string().nullish(),
  price: z.number().nullish(),
  /** 1 enabled, 2 disabled */
  status: z.number().int().nullish(),
  weight: z.number().nullish(),
  updated_at: z.string().nullish(),
  custom_attributes: z.array(CustomAttribute).nullish(),
});
export type MProduct = z.infer<typeof MProduct>;

export const STATUS_ENABLED = 1;
export const STATUS_DISABLED = 2;
const KG_PER = { kgs: 1, lbs: 0.45359237 } as const;
/**
 * Decimals of kilograms a weight is read back with: Magento keeps 4 decimals of its own unit, so
 * kilograms come back exact and pounds to the gram (what a write in pounds could not keep).
 */
const KG_DECIMALS = { kgs: 4, lbs: 3 } as const;
export type WeightUnit = keyof typeof KG_PER;

function attribute(p: MProduct, code: string): string | null {
  const v = p.custom_attributes?.find((a) => a.attribute_code === code)?.value;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}
const cm = (p: MProduct, code: string) => { const v = attribute(p, code); return v === null || v === '' ? null : Number(v); };

/**
 * The canonical product of a simple product. A group is left out when Magento does not hold it
 * the way Dovetail wrote it (no variant name mark: names; categories never), so the engine does
 * not read an absent value as someone's edit.
 */
export function toProduct(p: MProduct, currency: string, weightUnit: WeightUnit): Product {
  const fields: Partial<ProductFields> = {};
  const variantName = attribute(p, ATTRIBUTE.variantName);
  if (p.name && variantName) fields.names = { name: p.name, variantName };
  const description = attribute(p, ATTRIBUTE.description);
  if (description !== null) fields.descriptions = { description };
  if (typeof p.price === 'number') fields.prices = { priceMinor: toMinor(p.price, currency), currency };
  if (typeof p.status === 'number') fields.availability = { enabled: p.status === STATUS_ENABLED };
  fields.dimensions = {
    weightKg: typeof p.weight === 'number' ? Math.round(p.weight * KG_PER[weightUnit] * 10 ** KG_DECIMALS[weightUnit]) / 10 ** KG_DECIMALS[weightUnit] : null,
    lengthCm: cm(p, ATTRIBUTE.lengthCm), widthCm: cm(p, ATTRIBUTE.widthCm), heightCm: cm(p, ATTRIBUTE.heightCm),
  };
  return { sku: p.sku, groupKey: attribute(p, ATTRIBUTE.groupKey) ?? p.sku, fields };
}

/**
 * The `product` of POST /V1/products (`create`) or PUT /V1/products/{sku}: the groups asked for,
 * and on create what Magento needs to sell it (default attribute set, simple type, visible in
 * catalog and search, the group key).
 */
export function productBody(product: Product, groups: FieldGroup[], opts: { create: boolean; currency: string; weightUnit: WeightUnit }): Record<string, unknown> {
  const f = product.fields;
  const body: Record<string, unknown> = { sku: product.sku };
  const custom: { attribute_code: string; value: string }[] = [];
  if (opts.create) {
    Object.assign(body, { attribute_set_id: 4, type_id: 'simple', visibility: 4, name: f.names?.name ?? product.sku, price: 0, status: STATUS_DISABLED });
    custom.push({ attribute_code: ATTRIBUTE.groupKey, value: product.groupKey });
  }
  if (groups.includes('names') && f.names) {
    body.name = f.names.name;
    custom.push({ attribute_code: ATTRIBUTE.variantName, value: f.names.variantName });
  }
  if (groups.includes('descriptions') && f.descriptions) custom.push({ attribute_code: ATTRIBUTE.description, value: f.descriptions.description });
  if (groups.includes('prices') && f.prices) {
    if (f.prices.currency !== opts.currency) throw permanent(`${product.sku}: priced in ${f.prices.currency}, the Magento store view sells in ${opts.currency}`);
    body.price = toAmount(f.prices.priceMinor, opts.currency);
  }
  if (groups.includes('availability') && f.availability) body.status = f.availability.enabled ? STATUS_ENABLED : STATUS_DISABLED;
  if (groups.includes('dimensions') && f.dimensions) {
    const d = f.dimensions;
    if (d.weightKg !== null) body.weight = Math.round((d.weightKg / KG_PER[opts.weightUnit]) * 1e4) / 1e4;
    for (const [key, code] of [['lengthCm', ATTRIBUTE.lengthCm], ['widthCm', ATTRIBUTE.widthCm], ['heightCm', ATTRIBUTE.heightCm]] as const) {
      custom.push({ attribute_code: code, value: d[key] === null ? '' : String(d[key]) });
    }
  }
  if (custom.length) body.custom_attributes = custom;
  return body;
}

// ---------- customers ----------

const MRegion = z.object({ region_code: z.string().nullish(), region: z.string().nullish() });

export const MCustomerAddress = z.object({
  firstname: z.string().nullish(), lastname: z.string().nullish(), company: z.string().nullish(),
  street: z.array(z.string()).nullish(), city: z.string().nullish(), region: MRegion.nullish(),
  postcode: z.string().nullish(), country_id: z.string().nullish(), telephone: z.string().nullish(),
});

export const MCustomer = z.object({
  id: z.number().int(), email: z.string(), firstname: z.string(), lastname: z.string(),
  group_id: z.number().int().nullish(), updated_at: z.string().nullish(),
  addresses: z.array(MCustomerAddress).nullish(),
});
export type MCustomer = z.infer<typeof MCustomer>;

interface LooseAddress { firstname?: string | null; lastname?: string | null; company?: string | null; street?: string[] | null; city?: string | null;
  region?: string | null; postcode?: string | null; country_id?: string | null; telephone?: string | null }

/** An address Dovetail can place (street, city, postcode and a two-letter country); null otherwise. */
function toAddress(a: LooseAddress): Address | null {
  const [street1, ...rest] = (a.street ?? []).filter((s) => s.trim() !== '');
  if (!street1 || !a.city || !a.postcode || !a.country_id || a.country_id.length !== 2) return null;
  return {
    fullName: `${a.firstname ?? ''} ${a.lastname ?? ''}`.trim(), street1, city: a.city, postalCode: a.postcode, countryCode: a.country_id,
    ...(a.company ? { company: a.company } : {}), ...(rest.length ? { street2: rest.join(', ') } : {}),
    ...(a.region ? { province: a.region } : {}), ...(a.telephone ? { phone: a.telephone } : {}),
  };
}

export function toCustomer(c: MCustomer): Customer {
  const addresses = (c.addresses ?? []).map((a) => toAddress({ ...a, region: a.region?.region_code || a.region?.region })).filter((a): a is Address => a !== null);
  const phone = c.addresses?.find((a) => a.telephone)?.telephone;
  return { email: c.email.toLowerCase(), firstName: c.firstname, lastName: c.lastname, addresses, ...(phone ? { phone } : {}),
    ...(c.group_id !== null && c.group_id !== undefined ? { groups: [String(c.group_id)] } : {}) };
}

// ---------- orders ----------

export const MOrderItem = z.object({
  item_id: z.number().int(), sku: z.string(), name: z.string().nullish(), product_type: z.string().nullish(),
  parent_item_id: z.number().int().nullish(),
  qty_ordered: Amount, qty_shipped: Amount, qty_canceled: Amount, qty_refunded: Amount, qty_invoiced: Amount,
  price: Amount, row_total: Amount, tax_amount: Amount, tax_percent: Amount, discount_amount: Amount,
  discount_tax_compensation_amount: Amount,
});

/** What one unit of an item costs the customer, after discounts: net of tax, and with tax. */
export function unitAmounts(i: MOrderItem, currency: string): { netMinor: number; grossMinor: number } {
  const net = toMinor(i.row_total, currency) - toMinor(i.discount_amount, currency) + toMinor(i.discount_tax_compensation_amount, currency);
  const qty = i.qty_ordered || 1;
  return { netMinor: Math.round(net / qty), grossMinor: Math.round((net + toMinor(i.tax_amount, currency)) / qty) };
}
export type MOrderItem = z.infer<typeof MOrderItem>;

export const MOrderAddress = z.object({
  address_type: z.string().nullish(), firstname: z.string().nullish(), lastname: z.string().nullish(), company: z.string().nullish(),
  street: z.array(z.string()).nullish(), city: z.string().nullish(), region: z.string().nullish(), region_code: z.string().nullish(),
  postcode: z.string().nullish(), country_id: z.string().nullish(), telephone: z.string().nullish(),
});

export const MOrderPayment = z.object({
  method: z.string(),
  amount_ordered: Amount, amount_authorized: Amount, amount_paid: Amount, amount_refunded: Amount, amount_canceled: Amount,
});

export const MOrder = z.object({
  entity_id: z.number().int(),
  increment_id: z.string(),
  state: z.string().nullish(),
  status: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
  store_id: z.number().int().nullish(),
  order_currency_code: z.string(),
  customer_email: z.string(),
  customer_firstname: z.string().nullish(),
  customer_lastname: z.string().nullish(),
  customer_group_id: z.number().int().nullish(),
  grand_total: z.number(),
  tax_amount: Amount,
  discount_amount: Amount,
  discount_description: z.string().nullish(),
  shipping_description: z.string().nullish(),
  shipping_amount: Amount,
  shipping_tax_amount: Amount,
  shipping_discount_amount: Amount,
  shipping_discount_tax_compensation_amount: Amount,
  total_paid: Amount,
  total_refunded: Amount,
  total_canceled: Amount,
  items: z.array(MOrderItem),
  billing_address: MOrderAddress.nullish(),
  payment: MOrderPayment.nullish(),
  extension_attributes: z.object({
    shipping_assignments: z.array(z.object({ shipping: z.object({ address: MOrderAddress.nullish() }) })).nullish(),
  }).nullish(),
});
export type MOrder = z.infer<typeof MOrder>;

/**
 * Magento's order states in Dovetail's words. `pending_payment` waits for a payment page the
 * customer has not come back from: not placed yet. Holds and payment reviews are placed orders.
 */
export function orderStatus(state: string | null | undefined): OrderStatus {
  switch (state) {
    case 'canceled': return 'cancelled';
    case 'pending_payment': return 'cart';
    case 'new': case 'processing': case 'complete': case 'closed': case 'holded': case 'payment_review': return 'placed';
    default: throw permanent(`Magento order state ${JSON.stringify(state)} is not one Dovetail knows`);
  }
}

/** The order's own lines: a configurable product's child rows repeat their parent's SKU at no price. */
export const topLevelItems = (o: MOrder) => o.items.filter((i) => !i.parent_item_id);

const ratePercent = (tax: number, net: number) => (net === 0 ? 0 : Math.round((tax / net) * 10_000) / 100);

/**
 * The order as charged. Item discounts are positive and taken off the row; with prices entered
 * tax-included, the tax hidden in a discount (`discount_tax_compensation_amount`) is given back to
 * the net, so lines and shipping add up to `grand_total` to the cent.
 */
export function toOrder(o: MOrder): Order {
  const cur = o.order_currency_code;
  const minor = (n: number) => toMinor(n, cur);
  const lines: OrderLine[] = topLevelItems(o).map((i) => {
    const quantity = Math.round(i.qty_ordered);
    return {
      sku: i.sku, name: i.name ?? i.sku, quantity,
      unitPriceMinor: minor(i.price),
      lineNetMinor: minor(i.row_total) - minor(i.discount_amount) + minor(i.discount_tax_compensation_amount),
      lineTaxMinor: minor(i.tax_amount),
      taxRatePercent: i.tax_percent,
    };
  });
  const shippingNet = minor(o.shipping_amount) - minor(o.shipping_discount_amount) + minor(o.shipping_discount_tax_compensation_amount);
  const shipping: ShippingCharge[] = o.shipping_amount || o.shipping_tax_amount
    ? [{ name: o.shipping_description ?? 'Shipping', netMinor: shippingNet, taxMinor: minor(o.shipping_tax_amount), taxRatePercent: ratePercent(minor(o.shipping_tax_amount), shippingNet) }]
    : [];
  const shippingAddress = o.extension_attributes?.shipping_assignments?.[0]?.shipping.address;
  const address = (a: z.infer<typeof MOrderAddress> | null | undefined) => (a ? toAddress({ ...a, region: a.region_code || a.region }) : null);
  const billing = o.billing_address;
  const totalMinor = minor(o.grand_total);
  const totalTaxMinor = minor(o.tax_amount);
  return {
    code: o.increment_id, channel: `magento:${o.store_id ?? 'default'}`, placedAt: stampToIso(o.created_at), currency: cur,
    customer: {
      email: o.customer_email.toLowerCase(),
      firstName: o.customer_firstname ?? billing?.firstname ?? '', lastName: o.customer_lastname ?? billing?.lastname ?? '',
      addresses: [], ...(billing?.telephone ? { phone: billing.telephone } : {}),
      ...(o.customer_group_id !== null && o.customer_group_id !== undefined ? { groups: [String(o.customer_group_id)] } : {}),
    },
    shippingAddress: address(shippingAddress), billingAddress: address(billing),
    lines, shipping,
    discounts: o.discount_amount ? [{ description: o.discount_description ?? 'Discount', amountMinor: Math.abs(minor(o.discount_amount)) }] : [],
    totalNetMinor: totalMinor - totalTaxMinor, totalTaxMinor, totalMinor,
    state: o.status ?? o.state ?? 'unknown', status: orderStatus(o.state),
    placedOffline: false,
  };
}
