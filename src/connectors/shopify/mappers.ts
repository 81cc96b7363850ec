// Shopify GraphQL payloads <-> Dovetail's canonical Product, Order and Customer. Shapes are
// parsed with zod at this edge; money goes from Shopify's decimal strings to integer minor
// units through src/model/money.ts, never through floating point.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { Address, Customer } from '../../model/customer.js';
import { decimalToMinor, minorToDecimal } from '../../model/money.js';
import type { Order, OrderLine, OrderStatus, ShippingCharge } from '../../model/order.js';
import type { PaymentState, RefundState } from '../../model/payment.js';
import type { FieldGroup, Product, ProductFields } from '../../model/product.js';
import { METAFIELD_NAMESPACE } from './operations.js';

// ---------- shapes of what the operations in operations.ts select ----------

export const Money = z.object({ amount: z.string(), currencyCode: z.string() });
export const MoneyBag = z.object({ shopMoney: Money });

export const GqlAddress = z.object({
  firstName: z.string().nullable().optional(), lastName: z.string().nullable().optional(),
  company: z.string().nullable().optional(), address1: z.string().nullable().optional(),
  address2: z.string().nullable().optional(), city: z.string().nullable().optional(),
  provinceCode: z.string().nullable().optional(), zip: z.string().nullable().optional(),
  countryCodeV2: z.string().nullable().optional(), phone: z.string().nullable().optional(),
});
export type GqlAddress = z.infer<typeof GqlAddress>;

const TaxLine = z.object({ ratePercentage: z.number().nullable().optional(), priceSet: MoneyBag });

export const GqlLineItem = z.object({
  id: z.string(), sku: z.string().nullable(), name: z.string(), quantity: z.number().int(), currentQuantity: z.number().int(),
  originalUnitPriceSet: MoneyBag, originalTotalSet: MoneyBag,
  discountAllocations: z.array(z.object({ allocatedAmountSet: MoneyBag })),
  taxLines: z.array(TaxLine),
});
export type GqlLineItem = z.infer<typeof GqlLineItem>;

export const PageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable().optional() });

export const GqlOrder = z.object({
  id: z.string(), legacyResourceId: z.string(), name: z.string(), tags: z.array(z.string()), createdAt: z.string(), updatedAt: z.string(),
  cancelledAt: z.string().nullable(), currencyCode: z.string(), taxesIncluded: z.boolean(),
  displayFinancialStatus: z.string().nullable(), sourceName: z.string().nullable(),
  email: z.string().nullable(), phone: z.string().nullable(),
  customer: z.object({
    firstName: z.string().nullable(), lastName: z.string().nullable(),
    defaultEmailAddress: z.object({ emailAddress: z.string().nullable() }).nullable(),
  }).nullable(),
  shippingAddress: GqlAddress.nullable(), billingAddress: GqlAddress.nullable(),
  totalPriceSet: MoneyBag, totalTaxSet: MoneyBag.nullable(),
  discountCodes: z.array(z.string()),
  lineItems: z.object({ nodes: z.array(GqlLineItem), pageInfo: PageInfo }),
  shippingLines: z.object({ nodes: z.array(z.object({ title: z.string(), discountedPriceSet: MoneyBag, taxLines: z.array(TaxLine) })) }),
});
export type GqlOrder = z.infer<typeof GqlOrder>;

export const GqlCustomer = z.object({
  id: z.string(), firstName: z.string().nullable(), lastName: z.string().nullable(), updatedAt: z.string(),
  defaultEmailAddress: z.object({ emailAddress: z.string().nullable() }).nullable(),
  defaultPhoneNumber: z.object({ phoneNumber: z.string() }).nullable(),
  addressesV2: z.object({ nodes: z.array(GqlAddress) }),
});
export type GqlCustomer = z.infer<typeof GqlCustomer>;

export const GqlVariant = z.object({
  id: z.string(), sku: z.string().nullable(), title: z.string(), price: z.string(), updatedAt: z.string(),
  selectedOptions: z.array(z.object({ name: z.string(), value: z.string() })),
  inventoryItem: z.object({
    id: z.string(),
    measurement: z.object({ weight: z.object({ unit: z.string(), value: z.number() }).nullable() }),
  }),
  metafields: z.object({ nodes: z.array(z.object({ key: z.string(), value: z.string() })) }),
  product: z.object({
    id: z.string(), title: z.string(), descriptionHtml: z.string(), status: z.string(), updatedAt: z.string(),
    groupKey: z.object({ value: z.string() }).nullable(),
  }),
});
export type GqlVariant = z.infer<typeof GqlVariant>;

// ---------- money ----------

/** ISO 4217 currencies whose minor unit is not the cent. */
const CURRENCY_DIGITS: Record<string, number> = {
  JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, XPF: 0, PYG: 0, RWF: 0, KMF: 0, GNF: 0, DJF: 0, VUV: 0,
  BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3, LYD: 3, IQD: 3,
};
export const currencyDigits = (currency: string) => CURRENCY_DIGITS[currency] ?? 2;

/** Shopify's `"19.9"` / `"19.90"` in `EUR` -> 1990; exact, no floats. */
export function moneyToMinor(m: { amount: string; currencyCode: string }): number {
  return decimalToMinor(m.amount, currencyDigits(m.currencyCode));
}
export const bagToMinor = (bag: { shopMoney: { amount: string; currencyCode: string } }) => moneyToMinor(bag.shopMoney);
export const minorToMoney = (minor: number, currency: string) => minorToDecimal(minor, currencyDigits(currency));

/** round(a × b / c) in integers, for prorating tax-inclusive unit prices */
function mulDivRound(a: number, b: number, c: number): number {
  if (c === 0) return a;
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  const q = n / d, r = n % d;
  return Number(2n * (r < 0n ? -r : r) >= (d < 0n ? -d : d) ? q + (n < 0n !== d < 0n ? -1n : 1n) : q);
}

// ---------- ids ----------

export const orderGid = (legacyId: string) => `gid://shopify/Order/${legacyId}`;
export const legacyIdOf = (gid: string) => gid.slice(gid.lastIndexOf('/') + 1);

// ---------- addresses and customers ----------

export function toAddress(a: GqlAddress, what: string): Address {
  if (!a.countryCodeV2) throw permanent(`${what} has no country; Dovetail cannot place it in the inventory system`, { address: a });
  const fullName = `${a.firstName ?? ''} ${a.lastName ?? ''}`.trim();
  return {
    fullName, street1: a.address1 ?? '', city: a.city ?? '', postalCode: a.zip ?? '', countryCode: a.countryCodeV2,
    ...(a.company ? { company: a.company } : {}), ...(a.address2 ? { street2: a.address2 } : {}),
    ...(a.provinceCode ? { province: a.provinceCode } : {}), ...(a.phone ? { phone: a.phone } : {}),
  };
}

export function toCustomer(c: GqlCustomer): Customer {
  const email = c.defaultEmailAddress?.emailAddress;
  if (!email) throw permanent(`Shopify customer ${c.id} has no email; customers are matched by email`, { customerId: c.id });
  return {
    email, firstName: c.firstName ?? '', lastName: c.lastName ?? '',
    ...(c.defaultPhoneNumber ? { phone: c.defaultPhoneNumber.phoneNumber } : {}),
    addresses: c.addressesV2.nodes.filter((a) => a.countryCodeV2).map((a) => toAddress(a, `an address of ${email}`)),
  };
}

export function addressToMailing(a: Address) {
  const [firstName, ...rest] = a.fullName.split(' ');
  return {
    firstName: firstName ?? '', lastName: rest.join(' '), company: a.company ?? null,
    address1: a.street1, address2: a.street2 ?? null, city: a.city, provinceCode: a.province ?? null,
    zip: a.postalCode, countryCode: a.countryCode, phone: a.phone ?? null,
  };
}

/** Input of `customerSet` (identified by email, so a retry finds the customer it made). */
export function customerSetInput(c: Customer, opts: { copyAddresses: boolean }) {
  return {
    email: c.email, firstName: c.firstName, lastName: c.lastName,
    ...(c.phone ? { phone: c.phone } : {}),
    ...(opts.copyAddresses ? { addresses: c.addresses.map(addressToMailing) } : {}),
  };
}

// ---------- orders ----------

const sumMinor = (bags: { shopMoney: { amount: string; currencyCode: string } }[]) => bags.reduce((s, b) => s + bagToMinor(b), 0);

export function toOrderLine(li: GqlLineItem, taxesIncluded: boolean, orderCode: string): OrderLine {
  if (!li.sku) throw permanent(`order ${orderCode}: line "${li.name}" has no SKU`, { orderCode, lineItemId: li.id });
  const unitGross = bagToMinor(li.originalUnitPriceSet);
  const total = bagToMinor(li.originalTotalSet);
  const discount = sumMinor(li.discountAllocations.map((d) => d.allocatedAmountSet));
  const tax = sumMinor(li.taxLines.map((t) => t.priceSet));
  const afterDiscount = total - discount;
  const lineNetMinor = taxesIncluded ? afterDiscount - tax : afterDiscount;
  // with tax-inclusive prices the list price ex tax is the unit price scaled by net/gross
  const unitPriceMinor = taxesIncluded ? mulDivRound(unitGross, lineNetMinor, afterDiscount) : unitGross;
  const taxRatePercent = li.taxLines.reduce((s, t) => s + (t.ratePercentage ?? 0), 0);
  return { sku: li.sku, name: li.name, quantity: li.quantity, unitPriceMinor, lineNetMinor, lineTaxMinor: tax, taxRatePercent };
}

/** The canonical order; its code is Shopify's numeric order id, present in every webhook. */
export function toOrder(o: GqlOrder, extraLines: GqlLineItem[] = []): Order {
  const code = o.legacyResourceId;
  const lines = [...o.lineItems.nodes, ...extraLines].filter((li) => li.quantity > 0).map((li) => toOrderLine(li, o.taxesIncluded, code));
  const shipping: ShippingCharge[] = o.shippingLines.nodes.map((s) => {
    const gross = bagToMinor(s.discountedPriceSet);
    const tax = sumMinor(s.taxLines.map((t) => t.priceSet));
    return { name: s.title, netMinor: o.taxesIncluded ? gross - tax : gross, taxMinor: tax, taxRatePercent: s.taxLines.reduce((a, t) => a + (t.ratePercentage ?? 0), 0) };
  });
  const email = o.email ?? o.customer?.defaultEmailAddress?.emailAddress;
  if (!email) throw permanent(`order ${o.name} (${code}) has no customer email`, { orderCode: code });
  const billing = o.billingAddress ? toAddress(o.billingAddress, `order ${o.name} billing address`) : null;
  const shippingAddress = o.shippingAddress ? toAddress(o.shippingAddress, `order ${o.name} shipping address`) : null;
  const discountTotal = o.lineItems.nodes.concat(extraLines).reduce((s, li) => s + sumMinor(li.discountAllocations.map((d) => d.allocatedAmountSet)), 0);
  const totalNetMinor = lines.reduce((s, l) => s + l.lineNetMinor, 0) + shipping.reduce((s, c) => s + c.netMinor, 0);
  const firstName = o.customer?.firstName ?? o.billingAddress?.firstName ?? '';
  const lastName = o.customer?.lastName ?? o.billingAddress?.lastName ?? '';
  return {
    code, channel: o.sourceName ?? 'web', placedAt: o.createdAt, currency: o.currencyCode,
    customer: {
      email, firstName, lastName, ...(o.phone ? { phone: o.phone } : {}),
      addresses: [billing, shippingAddress].filter((a): a is Address => a !== null),
    },
    shippingAddress, billingAddress: billing, lines, shipping,
    discounts: discountTotal ? [{ description: o.discountCodes.length ? `discount ${o.discountCodes.join(', ')} (Shopify ${o.name})` : `discounts (Shopify ${o.name})`, amountMinor: discountTotal }] : [],
    totalNetMinor,
    totalTaxMinor: o.totalTaxSet ? bagToMinor(o.totalTaxSet) : 0,
    totalMinor: bagToMinor(o.totalPriceSet),
    state: o.cancelledAt ? 'CANCELLED' : (o.displayFinancialStatus ?? 'PENDING'),
    // Shopify has no order before checkout completes (carts are not orders), so only two states
    status: o.cancelledAt ? 'cancelled' : 'placed',
    // a completed draft keeps the draft's tags
    placedOffline: o.tags.some((t) => t.startsWith(OFFLINE_TAG_PREFIX)),
  };
}

/** The tag that marks a draft order (and the order it becomes) Dovetail made for an inventory sale. */
export const OFFLINE_TAG_PREFIX = 'dovetail-offline-';

// ---------- products ----------

const KG_PER_UNIT: Record<string, number> = { KILOGRAMS: 1, GRAMS: 0.001, POUNDS: 0.45359237, OUNCES: 0.028349523125 };
const DIMENSION_KEYS = { lengthCm: 'length_cm', widthCm: 'width_cm', heightCm: 'height_cm' } as const;

export function toProduct(v: GqlVariant, shopCurrency: string): Product {
  if (!v.sku) throw permanent(`Shopify variant ${v.id} has no SKU`);
  const mf = new Map(v.metafields.nodes.map((m) => [m.key, m.value]));
  const dim = (k: keyof typeof DIMENSION_KEYS) => { const raw = mf.get(DIMENSION_KEYS[k]); return raw === undefined ? null : Number(raw); };
  const w = v.inventoryItem.measurement.weight;
  return {
    sku: v.sku,
    groupKey: v.product.groupKey?.value ?? v.product.id,
    fields: {
      names: { name: v.product.title, variantName: v.title },
      descriptions: { description: v.product.descriptionHtml },
      prices: { priceMinor: decimalToMinor(v.price, currencyDigits(shopCurrency)), currency: shopCurrency },
      availability: { enabled: v.product.status === 'ACTIVE' },
      dimensions: {
        weightKg: w ? Math.round(w.value * (KG_PER_UNIT[w.unit] ?? 1) * 1e6) / 1e6 : null,
        lengthCm: dim('lengthCm'), widthCm: dim('widthCm'), heightCm: dim('heightCm'),
      },
    },
  };
}

/** The option every Dovetail-created product uses to carry the variant's own name. */
export const VARIANT_OPTION = 'Variant';

/** `ProductVariantsBulkInput` for the variant-level field groups asked for (prices, names, dimensions). */
export function variantInput(fields: Partial<ProductFields>, groups: FieldGroup[], optionName: string) {
  const input: Record<string, unknown> = {};
  if (groups.includes('prices') && fields.prices) input.price = minorToMoney(fields.prices.priceMinor, fields.prices.currency);
  if (groups.includes('names') && fields.names) input.optionValues = [{ optionName, name: fields.names.variantName }];
  if (groups.includes('dimensions') && fields.dimensions) {
    const d = fields.dimensions;
    if (d.weightKg !== null) input.inventoryItem = { measurement: { weight: { unit: 'KILOGRAMS', value: d.weightKg } } };
    // Shopify has no native length/width/height on a variant: metafields are their home
    const metafields = (Object.keys(DIMENSION_KEYS) as (keyof typeof DIMENSION_KEYS)[])
      .filter((k) => d[k] !== null)
      .map((k) => ({ namespace: METAFIELD_NAMESPACE, key: DIMENSION_KEYS[k], type: 'number_decimal', value: String(d[k]) }));
    if (metafields.length) input.metafields = metafields;
  }
  return input;
}

/** `ProductUpdateInput` for the product-level groups (names, descriptions, availability); null when none apply. */
export function productUpdateInput(productId: string, fields: Partial<ProductFields>, groups: FieldGroup[]) {
  const input: Record<string, unknown> = {};
  if (groups.includes('names') && fields.names) input.title = fields.names.name;
  if (groups.includes('descriptions') && fields.descriptions) input.descriptionHtml = fields.descriptions.description;
  if (groups.includes('availability') && fields.availability) input.status = fields.availability.enabled ? 'ACTIVE' : 'DRAFT';
  return Object.keys(input).length ? { id: productId, ...input } : null;
}

/** `ProductSetInput` creating one product with the given variants, tagged with Dovetail's group key. */
export function productCreateInput(groupKey: string, rows: { product: Product; groups: FieldGroup[] }[]) {
  const first = rows[0]!.product;
  const f = first.fields;
  const names = rows.map((r) => r.product.fields.names?.variantName ?? r.product.sku);
  return {
    title: f.names?.name ?? first.sku,
    ...(f.descriptions ? { descriptionHtml: f.descriptions.description } : {}),
    // a product nobody has said is sellable stays a draft
    status: f.availability?.enabled ? 'ACTIVE' : 'DRAFT',
    metafields: [{ namespace: METAFIELD_NAMESPACE, key: 'group_key', type: 'single_line_text_field', value: groupKey }],
    productOptions: [{ name: VARIANT_OPTION, values: [...new Set(names)].map((name) => ({ name })) }],
    variants: rows.map((r, i) => {
      const v = variantInput(r.product.fields, ['prices', 'dimensions'], VARIANT_OPTION) as Record<string, unknown>;
      const item = (v.inventoryItem as Record<string, unknown> | undefined) ?? {};
      return { ...v, sku: r.product.sku, optionValues: [{ optionName: VARIANT_OPTION, name: names[i] }], inventoryItem: { ...item, sku: r.product.sku, tracked: true } };
    }),
  };
}

// ---------- states in Dovetail's words ----------

/** An order transaction (AUTHORIZATION, CAPTURE, SALE…) by its status, as a canonical payment state. */
export function toPaymentState(status: string): PaymentState {
  switch (status) {
    case 'SUCCESS': return 'captured';
    case 'PENDING': case 'AWAITING_RESPONSE': return 'pending';
    case 'FAILURE': return 'declined';
    default: return 'failed'; // ERROR, UNKNOWN
  }
}

/** A refund by its transactions' statuses: paid out when every one succeeded. */
export function toRefundState(statuses: string[]): RefundState {
  if (statuses.some((s) => s === 'FAILURE' || s === 'ERROR')) return 'failed';
  if (statuses.length && statuses.every((s) => s === 'SUCCESS')) return 'settled';
  return 'pending';
}

/** A customer has a login once Shopify has invited them or they enabled their account (classic accounts). */
export const hasAccount = (state: string) => state === 'ENABLED' || state === 'INVITED';

/** A draft order is a cart until completed; the order it became is placed, or cancelled. */
export function draftToOrderStatus(d: { status: string; order: { cancelledAt: string | null } | null }): OrderStatus {
  if (d.order) return d.order.cancelledAt ? 'cancelled' : 'placed';
  return d.status === 'COMPLETED' ? 'placed' : 'cart';
}

/** The marker Dovetail writes in a refund's note, to recognise it before making another. */
export const refundMarker = (key: string) => `[dovetail:refund:${key}]`;
export function refundKeyOf(note: string | null): string | null {
  const m = /\[dovetail:refund:([^\]]+)\]/.exec(note ?? '');
  return m ? m[1]! : null;
}
