// Vendure's Admin API shapes, parsed at the edge, and their translation to the canonical model.
// Vendure already speaks integer minor units, so money passes through untouched.
import { z } from 'zod';
import type { Address, Customer } from '../../model/customer.js';
import type { Order, OrderStatus } from '../../model/order.js';
import type { PaymentState, RefundState } from '../../model/payment.js';
import type { AttributeValue, Product } from '../../model/product.js';

/** the facet whose values are the product's categories */
export const CATEGORY_FACET = 'category';
const PRODUCT_FIELDS = `id name slug description enabled updatedAt facetValues { id name facet { code } }
  optionGroups { id code name options { id code name } }`;
const OWN_VARIANT_FIELDS = `id sku name price currencyCode enabled updatedAt stockOnHand stockAllocated
  customFields { weight length width height dovetailGroupPrices { group price } dovetailCost dovetailSupplier } options { id groupId }`;

/**
 * Option groups Dovetail keeps for the inventory's attributes are coded `attribute:<attribute
 * code>`, one group per attribute shared by every product using it (as the attribute is shared in
 * the inventory system), each option coded by the attribute's selection key. The colon is never
 * in a slug, so these groups are told apart from the one-option-per-SKU groups of products without
 * attributes (`<slug>-variant`) and from groups made by hand.
 */
export const ATTRIBUTE_GROUP_PREFIX = 'attribute:';
export const attributeGroupCode = (attribute: string) => `${ATTRIBUTE_GROUP_PREFIX}${attribute}`;

export const OptionGroupNode = z.object({ id: z.string(), code: z.string(), name: z.string(), options: z.array(z.object({ id: z.string(), code: z.string(), name: z.string() })) });
export type OptionGroupNode = z.infer<typeof OptionGroupNode>;
export const VARIANT_FIELDS = `${OWN_VARIANT_FIELDS}
  product { ${PRODUCT_FIELDS} }`;
export const PRODUCT_WITH_VARIANTS = `${PRODUCT_FIELDS} variants { ${OWN_VARIANT_FIELDS} }`;

/** The plugin's price per customer group (master.priceLevels); a row without a group or a price is no level. */
const GroupPrices = z.array(z.object({ group: z.string().nullable(), price: z.number().int().nullable() }));

/** Group prices as levels (level = group name); a group entered twice counts once, at its first price. */
export function toLevels(rows: z.infer<typeof GroupPrices> | null | undefined): Record<string, number> {
  const levels: Record<string, number> = {};
  for (const r of rows ?? []) if (r.group && r.price !== null && !(r.group in levels)) levels[r.group] = r.price;
  return levels;
}

/** Levels as the plugin's group prices, by group name, so that the same levels always read the same. */
export const toGroupPrices = (levels: Record<string, number>) =>
  Object.keys(levels).sort().map((group) => ({ group, price: levels[group] }));

export const VariantNode = z.object({
  id: z.string(), sku: z.string(), name: z.string(), price: z.number().int(), currencyCode: z.string(),
  enabled: z.boolean(), updatedAt: z.string(), stockOnHand: z.number().int(), stockAllocated: z.number().int(),
  customFields: z.object({ weight: z.number().nullable(), length: z.number().nullable(), width: z.number().nullable(), height: z.number().nullable(),
    dovetailGroupPrices: GroupPrices.nullable().optional(),
    dovetailCost: z.number().int().nullable().optional(), dovetailSupplier: z.string().nullable().optional() }).nullable().optional(),
  options: z.array(z.object({ id: z.string(), groupId: z.string() })),
  product: z.object({ id: z.string(), name: z.string(), slug: z.string(), description: z.string(), enabled: z.boolean(), updatedAt: z.string(),
    facetValues: z.array(z.object({ id: z.string(), name: z.string(), facet: z.object({ code: z.string() }) })),
    optionGroups: z.array(OptionGroupNode) }),
});
export type VariantNode = z.infer<typeof VariantNode>;

export const ProductWithVariants = VariantNode.shape.product.extend({ variants: z.array(VariantNode.omit({ product: true })) });

export function toProduct(v: VariantNode): Product {
  const cf = v.customFields;
  return {
    sku: v.sku,
    groupKey: v.product.slug,
    fields: {
      names: { name: v.product.name, variantName: v.name },
      descriptions: { description: v.product.description },
      categories: { names: [...new Set(v.product.facetValues.filter((f) => f.facet.code === CATEGORY_FACET).map((f) => f.name))].sort() },
      prices: { priceMinor: v.price, currency: v.currencyCode },
      availability: { enabled: v.enabled },
      dimensions: { weightKg: cf?.weight ?? null, lengthCm: cf?.length ?? null, widthCm: cf?.width ?? null, heightCm: cf?.height ?? null },
      ...(hasAttributes(v) ? { attributes: { values: attributeValuesOf(v) } } : {}),
      priceLevels: { levels: toLevels(cf?.dovetailGroupPrices) },
      // an empty cost is no cost yet, as in the inventory system; a blank supplier is none
      costs: { costMinor: cf?.dovetailCost ?? 0, supplier: cf?.dovetailSupplier?.trim() || null },
    },
  };
}

const hasAttributes = (v: VariantNode) => v.product.optionGroups.some((g) => g.code.startsWith(ATTRIBUTE_GROUP_PREFIX));

/** The variant's options in Dovetail's attribute groups, by attribute code (the inventory's order). */
export function attributeValuesOf(v: Pick<VariantNode, 'options' | 'product'>): AttributeValue[] {
  const groups = new Map(v.product.optionGroups.map((g) => [g.id, g]));
  return v.options.flatMap((o) => {
    const g = groups.get(o.groupId);
    const option = g?.options.find((x) => x.id === o.id);
    if (!g || !option || !g.code.startsWith(ATTRIBUTE_GROUP_PREFIX)) return [];
    return [{ attribute: g.code.slice(ATTRIBUTE_GROUP_PREFIX.length), attributeLabel: g.name, code: option.code, label: option.name }];
  }).sort((a, b) => (a.attribute < b.attribute ? -1 : a.attribute > b.attribute ? 1 : 0));
}

const ADDRESS_FIELDS = 'fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber';
export const ORDER_FIELDS = `code state active orderPlacedAt updatedAt currencyCode
  channels { code }
  customer { firstName lastName emailAddress phoneNumber groups { name } }
  shippingAddress { ${ADDRESS_FIELDS} }
  billingAddress { ${ADDRESS_FIELDS} }
  lines { quantity unitPrice proratedLinePrice proratedLinePriceWithTax taxRate productVariant { sku name } }
  shippingLines { shippingMethod { name code } discountedPrice discountedPriceWithTax }
  discounts { description amount }
  total totalWithTax
  customFields { dovetailOfflineRef }`;

const OrderAddressNode = z.object({
  fullName: z.string().nullable(), company: z.string().nullable(), streetLine1: z.string().nullable(), streetLine2: z.string().nullable(),
  city: z.string().nullable(), province: z.string().nullable(), postalCode: z.string().nullable(), countryCode: z.string().nullable(), phoneNumber: z.string().nullable(),
}).partial();

export const OrderNode = z.object({
  code: z.string(), state: z.string(), active: z.boolean(), orderPlacedAt: z.string().nullable(), updatedAt: z.string(), currencyCode: z.string(),
  channels: z.array(z.object({ code: z.string() })),
  customer: z.object({ firstName: z.string(), lastName: z.string(), emailAddress: z.string(), phoneNumber: z.string().nullable(),
    groups: z.array(z.object({ name: z.string() })).optional() }).nullable(),
  shippingAddress: OrderAddressNode.nullable(), billingAddress: OrderAddressNode.nullable(),
  lines: z.array(z.object({ quantity: z.number().int(), unitPrice: z.number().int(), proratedLinePrice: z.number().int(), proratedLinePriceWithTax: z.number().int(), taxRate: z.number(), productVariant: z.object({ sku: z.string(), name: z.string() }) })),
  shippingLines: z.array(z.object({ shippingMethod: z.object({ name: z.string(), code: z.string().optional() }), discountedPrice: z.number().int(), discountedPriceWithTax: z.number().int() })),
  discounts: z.array(z.object({ description: z.string(), amount: z.number().int() })),
  total: z.number().int(), totalWithTax: z.number().int(),
  customFields: z.object({ dovetailOfflineRef: z.string().nullable().optional() }).nullable().optional(),
});
export type OrderNode = z.infer<typeof OrderNode>;

function toAddress(a: z.infer<typeof OrderAddressNode> | null): Address | null {
  if (!a || !a.streetLine1) return null;
  return {
    fullName: a.fullName ?? '', company: a.company || undefined, street1: a.streetLine1, street2: a.streetLine2 || undefined,
    city: a.city ?? '', province: a.province || undefined, postalCode: a.postalCode ?? '', countryCode: (a.countryCode ?? '').toUpperCase(), phone: a.phoneNumber || undefined,
  };
}

/** A rate from what was charged, when the API gives no rate (shipping lines): 500 with 550 -> 10. */
const rateOf = (net: number, gross: number) => (net === 0 ? 0 : Math.round(((gross - net) / net) * 10_000) / 100);

/** A Vendure order is placed once it has a placing date and is no longer the active cart (drafts and orders arranging payment are carts). */
export const toOrderStatus = (o: { state: string; active: boolean; orderPlacedAt: string | null }): OrderStatus =>
  o.state === 'Cancelled' ? 'cancelled' : o.orderPlacedAt && !o.active ? 'placed' : 'cart';

export function toOrder(o: OrderNode): Order {
  const status = toOrderStatus(o);
  const lines = o.lines.filter((l) => l.quantity > 0).map((l) => ({
    sku: l.productVariant.sku, name: l.productVariant.name, quantity: l.quantity, unitPriceMinor: l.unitPrice,
    lineNetMinor: l.proratedLinePrice, lineTaxMinor: l.proratedLinePriceWithTax - l.proratedLinePrice, taxRatePercent: l.taxRate,
  }));
  const shipping = o.shippingLines.map((s) => ({
    name: s.shippingMethod.name, ...(s.shippingMethod.code ? { methodCode: s.shippingMethod.code } : {}), netMinor: s.discountedPrice, taxMinor: s.discountedPriceWithTax - s.discountedPrice, taxRatePercent: rateOf(s.discountedPrice, s.discountedPriceWithTax),
  }));
  const c = o.customer;
  return {
    code: o.code, channel: o.channels[0]?.code ?? 'default', placedAt: o.orderPlacedAt ?? o.updatedAt, currency: o.currencyCode,
    customer: { email: c?.emailAddress ?? '', firstName: c?.firstName ?? '', lastName: c?.lastName ?? '', phone: c?.phoneNumber || undefined, groups: c?.groups?.map((g) => g.name) ?? [],
      addresses: [toAddress(o.shippingAddress), toAddress(o.billingAddress)].filter((a): a is Address => a !== null) },
    shippingAddress: toAddress(o.shippingAddress), billingAddress: toAddress(o.billingAddress) ?? toAddress(o.shippingAddress),
    lines, shipping, discounts: o.discounts.map((d) => ({ description: d.description, amountMinor: d.amount })),
    totalNetMinor: o.total, totalTaxMinor: o.totalWithTax - o.total, totalMinor: o.totalWithTax, state: o.state, status,
    placedOffline: !!o.customFields?.dovetailOfflineRef,
  };
}

export const CUSTOMER_FIELDS = `emailAddress firstName lastName phoneNumber updatedAt
  addresses { fullName company streetLine1 streetLine2 city province postalCode phoneNumber country { code } }`;

export const CustomerNode = z.object({
  emailAddress: z.string(), firstName: z.string(), lastName: z.string(), phoneNumber: z.string().nullable(), updatedAt: z.string(),
  addresses: z.array(z.object({ fullName: z.string().nullable(), company: z.string().nullable(), streetLine1: z.string(), streetLine2: z.string().nullable(),
    city: z.string().nullable(), province: z.string().nullable(), postalCode: z.string().nullable(), phoneNumber: z.string().nullable(), country: z.object({ code: z.string() }) })).nullable(),
});

export function toCustomer(c: z.infer<typeof CustomerNode>): Customer {
  return {
    email: c.emailAddress, firstName: c.firstName, lastName: c.lastName, phone: c.phoneNumber || undefined,
    addresses: (c.addresses ?? []).map((a) => toAddress({ ...a, countryCode: a.country.code })).filter((a): a is Address => a !== null),
  };
}

/** Vendure slugs are lowercase words joined by dashes. */
export const slugify = (s: string) => s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'product';

// ---- money states and Dovetail's own refunds -------------------------------------------------

/** Vendure's payment states in Dovetail's words; a custom state Dovetail does not know counts for nothing (pending). */
export function toPaymentState(state: string): PaymentState {
  switch (state) {
    case 'Authorized': return 'authorised';
    case 'Settled': return 'captured';
    case 'Declined': return 'declined';
    case 'Cancelled': return 'cancelled';
    case 'Error': return 'failed';
    default: return 'pending';
  }
}

/** Vendure's refund states in Dovetail's words. */
export function toRefundState(state: string): RefundState {
  switch (state) {
    case 'Settled': return 'settled';
    case 'Failed': return 'failed';
    default: return 'pending';
  }
}

/** A refund Dovetail makes carries `dovetail:<key> <note>` as its reason: that is how it is recognised. */
const REFUND_MARK = 'dovetail:';
export const refundReason = (key: string, note: string) => `${REFUND_MARK}${key} ${note}`.slice(0, 250);
/** The key Dovetail gave a refund, read back from its reason; null for a refund someone else made. */
export const refundKeyOf = (reason: string | null): string | null =>
  reason?.startsWith(REFUND_MARK) ? reason.slice(REFUND_MARK.length).split(' ')[0] || null : null;
