// Writes to Vendure, batched where the Admin API allows: one updateProducts and one
// updateProductVariants call carry every changed field of a batch. Creates look before they
// leap: a variant is found by SKU and a half-made product by its slug, so a retry after a crash
// finishes the product instead of making a second one.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StoreShipment } from '../../model/shipment.js';
import { failpoint } from '../../engine/failpoints.js';
import type { WriteResult } from '../types.js';
import type { VendureClient } from './client.js';
import { CATEGORY_FACET, slugify, type VariantNode } from './mappers.js';

const LANG = 'en';
const Ids = z.array(z.object({ id: z.string() }).nullable());

export async function upsertProducts(client: VendureClient, rows: { product: Product; groups: FieldGroup[] }[],
  existing: Map<string, VariantNode>): Promise<WriteResult[]> {
  const productUpdates = new Map<string, Record<string, unknown>>();
  const productFacets = new Map<string, string[]>();
  const variantUpdates: Record<string, unknown>[] = [];
  const toCreate: { product: Product; groups: FieldGroup[] }[] = [];

  for (const row of rows) {
    const v = existing.get(row.product.sku);
    if (!v) { toCreate.push(row); continue; }
    const f = row.product.fields;
    const tr: Record<string, unknown> = {};
    const variant: Record<string, unknown> = { id: v.id };
    for (const g of row.groups) {
      if (g === 'names' && f.names) { tr.name = f.names.name; variant.translations = [{ languageCode: LANG, name: f.names.variantName }]; }
      if (g === 'descriptions' && f.descriptions) tr.description = f.descriptions.description;
      if (g === 'categories' && f.categories) {
        const others = v.product.facetValues.filter((fv) => fv.facet.code !== CATEGORY_FACET).map((fv) => fv.id);
        productFacets.set(v.product.id, [...others, ...await categoryValueIds(client, f.categories.names)]);
      }
      if (g === 'prices' && f.prices) variant.price = f.prices.priceMinor;
      if (g === 'availability' && f.availability) variant.enabled = f.availability.enabled;
      if (g === 'dimensions' && f.dimensions) variant.customFields = dimensionFields(f.dimensions);
    }
    if (Object.keys(tr).length) {
      const prev = productUpdates.get(v.product.id) ?? {};
      productUpdates.set(v.product.id, { ...prev, ...tr });
    }
    if (Object.keys(variant).length > 1) variantUpdates.push(variant);
  }

  const productIds = [...new Set([...productUpdates.keys(), ...productFacets.keys()])];
  if (productIds.length) {
    await client.admin(`mutation UpdateProducts($i: [UpdateProductInput!]!) { updateProducts(input: $i) { id } }`, { i: productIds.map((id) => ({ id,
      ...(productUpdates.has(id) ? { translations: [{ languageCode: LANG, ...productUpdates.get(id) }] } : {}),
      ...(productFacets.has(id) ? { facetValueIds: productFacets.get(id) } : {}) })) }, z.object({ updateProducts: Ids }));
  }
  if (variantUpdates.length) {
    await client.admin(`mutation UpdateVariants($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: variantUpdates }, z.object({ updateProductVariants: Ids }));
  }

  const results: WriteResult[] = rows.filter((r) => existing.has(r.product.sku)).map((r) => ({ sku: r.product.sku, created: false }));
  const groups = new Map<string, Product[]>();
  for (const { product } of toCreate) groups.set(product.groupKey, [...(groups.get(product.groupKey) ?? []), product]);
  if (groups.size) await createProducts(client, groups);
  results.push(...toCreate.map((r) => ({ sku: r.product.sku, created: true })));
  return results;
}

function dimensionFields(d: NonNullable<Product['fields']['dimensions']>) {
  return { weight: d.weightKg, length: d.lengthCm, width: d.widthCm, height: d.heightCm };
}

const ALIASES_PER_REQUEST = 50;

/**
 * Creates products with their variants in as few requests as the API allows: one look-up of the
 * slugs (a product a crashed attempt made without variants is finished, not made again), aliased
 * createProduct mutations, and one createProductVariants for every variant.
 */
async function createProducts(client: VendureClient, groups: Map<string, Product[]>): Promise<void> {
  const bySlug = new Map([...groups].map(([groupKey, variants]) => [slugify(groupKey), variants]));
  for (const [slug, variants] of bySlug) {
    const f = variants[0].fields;
    if (!f.names || !f.prices) throw new DovetailError('permanent', `product ${variants[0].sku} (${slug}) has no name or price to create it in Vendure with`);
  }
  const found = await client.admin(`query ProductsBySlug($o: ProductListOptions) { products(options: $o) { items { id slug variants { sku } } } }`,
    { o: { filter: { slug: { in: [...bySlug.keys()] } }, take: bySlug.size } },
    z.object({ products: z.object({ items: z.array(z.object({ id: z.string(), slug: z.string(), variants: z.array(z.object({ sku: z.string() })) })) }) }));
  const productIds = new Map<string, string>();
  for (const p of found.products.items) {
    if (p.variants.length) {
      throw new DovetailError('permanent', `Vendure already has a product at slug "${p.slug}" with other SKUs (${p.variants.map((v) => v.sku).join(', ')}); adding variants to an existing product is not supported yet`);
    }
    productIds.set(p.slug, p.id);
  }
  const missing = [...bySlug].filter(([slug]) => !productIds.has(slug));
  for (let i = 0; i < missing.length; i += ALIASES_PER_REQUEST) {
    const chunk = missing.slice(i, i + ALIASES_PER_REQUEST);
    const vars: Record<string, unknown> = {};
    for (const [n, [slug, variants]] of chunk.entries()) {
      const f = variants[0].fields;
      vars[`i${n}`] = { enabled: true, facetValueIds: f.categories ? await categoryValueIds(client, f.categories.names) : [],
        translations: [{ languageCode: LANG, name: f.names!.name, slug, description: f.descriptions?.description ?? '' }] };
    }
    const created = await client.admin(`mutation CreateProducts(${chunk.map((_, n) => `$i${n}: CreateProductInput!`).join(', ')}) {
      ${chunk.map((_, n) => `p${n}: createProduct(input: $i${n}) { id }`).join('\n')} }`, vars, z.record(z.string(), z.object({ id: z.string() })));
    chunk.forEach(([slug], n) => productIds.set(slug, created[`p${n}`].id));
  }
  const inputs: Record<string, unknown>[] = [];
  for (const [slug, variants] of bySlug) {
    const productId = productIds.get(slug)!;
    const optionIds = variants.length > 1 ? await variantOptions(client, productId, slug, variants) : variants.map(() => []);
    variants.forEach((p, n) => inputs.push({
      productId, sku: p.sku, price: p.fields.prices?.priceMinor ?? 0, enabled: p.fields.availability?.enabled ?? true,
      stockOnHand: 0, trackInventory: 'TRUE', optionIds: optionIds[n],
      translations: [{ languageCode: LANG, name: p.fields.names?.variantName ?? p.fields.names?.name ?? p.sku }],
      ...(p.fields.dimensions ? { customFields: dimensionFields(p.fields.dimensions) } : {}),
    }));
  }
  await client.admin(`mutation CreateVariants($i: [CreateProductVariantInput!]!) { createProductVariants(input: $i) { id } }`,
    { i: inputs }, z.object({ createProductVariants: Ids }));
}

const FacetValues = z.array(z.object({ id: z.string(), name: z.string() }));

/** Ids of the "category" facet's values with these names, made when missing (facet included). */
async function categoryValueIds(client: VendureClient, names: string[]): Promise<string[]> {
  if (!names.length) return [];
  const r = await client.admin(`query CategoryFacet($o: FacetListOptions) { facets(options: $o) { items { id values { id name } } } }`,
    { o: { filter: { code: { eq: CATEGORY_FACET } }, take: 1 } }, z.object({ facets: z.object({ items: z.array(z.object({ id: z.string(), values: FacetValues })) }) }));
  let facet = r.facets.items[0];
  if (!facet) {
    const c = await client.admin(`mutation CreateCategoryFacet($i: CreateFacetInput!) { createFacet(input: $i) { id values { id name } } }`,
      { i: { code: CATEGORY_FACET, isPrivate: false, translations: [{ languageCode: LANG, name: 'Category' }] } },
      z.object({ createFacet: z.object({ id: z.string(), values: FacetValues }) }));
    facet = c.createFacet;
  }
  const byName = new Map(facet.values.map((v) => [v.name, v.id]));
  const missing = [...new Set(names.filter((n) => !byName.has(n)))];
  if (missing.length) {
    const made = await client.admin(`mutation CreateCategories($i: [CreateFacetValueInput!]!) { createFacetValues(input: $i) { id name } }`,
      { i: missing.map((name) => ({ facetId: facet.id, code: slugify(name), translations: [{ languageCode: LANG, name }] })) },
      z.object({ createFacetValues: FacetValues }));
    for (const v of made.createFacetValues) byName.set(v.name, v.id);
  }
  return names.map((n) => byName.get(n)!);
}

/** Vendure needs distinct options to tell several variants of one product apart. */
async function variantOptions(client: VendureClient, productId: string, slug: string, variants: Product[]): Promise<string[][]> {
  const group = await client.admin(`mutation CreateOptions($i: CreateProductOptionGroupInput!) { createProductOptionGroup(input: $i) { id options { id code } } }`, {
    i: { code: `${slug}-variant`, translations: [{ languageCode: LANG, name: 'Variant' }],
      options: variants.map((p) => ({ code: slugify(p.sku), translations: [{ languageCode: LANG, name: p.fields.names?.variantName ?? p.sku }] })) },
  }, z.object({ createProductOptionGroup: z.object({ id: z.string(), options: z.array(z.object({ id: z.string(), code: z.string() })) }) }));
  await client.admin(`mutation AddGroup($p: ID!, $g: ID!) { addOptionGroupToProduct(productId: $p, optionGroupId: $g) { id } }`,
    { p: productId, g: group.createProductOptionGroup.id }, z.object({ addOptionGroupToProduct: z.object({ id: z.string() }) }));
  const byCode = new Map(group.createProductOptionGroup.options.map((o) => [o.code, o.id]));
  return variants.map((p) => [byCode.get(slugify(p.sku)) ?? '']);
}

/**
 * Vendure sells stockOnHand − stockAllocated, and allocates its own open orders itself; so the
 * number written to stockOnHand is the inventory's available-to-sell. Only changed rows are sent.
 */
export async function setAvailable(client: VendureClient, rows: { sku: string; available: number }[], existing: Map<string, VariantNode>) {
  const changed = rows.filter((r) => existing.has(r.sku) && existing.get(r.sku)!.stockOnHand !== r.available);
  if (changed.length) {
    await client.admin(`mutation SetStock($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: changed.map((r) => ({ id: existing.get(r.sku)!.id, stockOnHand: r.available })) }, z.object({ updateProductVariants: Ids }));
  }
  const written = new Set(changed.map((r) => r.sku));
  return rows.filter((r) => existing.has(r.sku)).map((r) => ({ sku: r.sku, written: written.has(r.sku) }));
}

// ---- shipments -------------------------------------------------------------------------------

const FulfillmentNode = z.object({
  id: z.string(), state: z.string(), method: z.string().nullable(), trackingCode: z.string().nullable(),
  customFields: z.object({ dovetailRef: z.string().nullable().optional() }).nullable().optional(),
  lines: z.array(z.object({ orderLineId: z.string(), quantity: z.number().int() })),
});
const OrderForShipment = z.object({
  id: z.string(), code: z.string(), state: z.string(),
  lines: z.array(z.object({ id: z.string(), quantity: z.number().int(), productVariant: z.object({ id: z.string(), sku: z.string(), stockOnHand: z.number().int() }) })),
  fulfillments: z.array(FulfillmentNode).nullable(),
});
const FulfillResult = z.object({ __typename: z.string(), id: z.string().optional(), state: z.string().optional(), errorCode: z.string().optional(), message: z.string().optional() });

async function toShipped(client: VendureClient, fulfillmentId: string): Promise<void> {
  const r = await client.admin(`mutation ShipFulfillment($id: ID!) { transitionFulfillmentToState(id: $id, state: "Shipped") {
    __typename ... on Fulfillment { id state } ... on ErrorResult { errorCode message } } }`, { id: fulfillmentId }, z.object({ transitionFulfillmentToState: FulfillResult }));
  const t = r.transitionFulfillmentToState;
  if (t.__typename !== 'Fulfillment') throw new DovetailError('permanent', `Vendure refused to mark fulfilment ${fulfillmentId} Shipped: ${t.errorCode ?? t.__typename} ${t.message ?? ''}`.trim());
}

/**
 * One fulfilment per shipment, recognised by `shipment.ref` on the order's fulfilments before
 * one is made (a crash after Vendure made it but before Dovetail recorded it is found here, not
 * repeated), then moved to Shipped (a crash between the two is finished on the retry).
 */
export async function recordShipment(client: VendureClient, orderCode: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }> {
  const r = await client.admin(`query OrderForShipment($o: OrderListOptions) { orders(options: $o) { items {
    id code state lines { id quantity productVariant { id sku stockOnHand } }
    fulfillments { id state method trackingCode customFields { dovetailRef } lines { orderLineId quantity } } } } }`,
  { o: { filter: { code: { eq: orderCode } }, take: 1 } }, z.object({ orders: z.object({ items: z.array(OrderForShipment) }) }));
  const order = r.orders.items[0];
  if (!order) throw new DovetailError('permanent', `Vendure has no order ${orderCode} to report shipment ${shipment.ref} on`, { detail: { order: orderCode } });
  const live = (order.fulfillments ?? []).filter((f) => f.state !== 'Cancelled');
  const mine = live.find((f) => f.customFields?.dovetailRef === shipment.ref);
  if (mine) {
    if (mine.state === 'Pending') await toShipped(client, mine.id);
    return { id: mine.id, created: false };
  }
  // Place each SKU's quantity on the order's lines of that SKU that still have units to fulfil.
  const fulfilled = new Map<string, number>();
  for (const f of live) for (const l of f.lines) fulfilled.set(l.orderLineId, (fulfilled.get(l.orderLineId) ?? 0) + l.quantity);
  const input: { orderLineId: string; quantity: number }[] = [];
  const needByVariant = new Map<string, { have: number; need: number }>();
  for (const s of shipment.lines) {
    let left = s.quantity;
    for (const line of order.lines.filter((l) => l.productVariant.sku === s.sku)) {
      const open = line.quantity - (fulfilled.get(line.id) ?? 0);
      const take = Math.min(open, left);
      if (take <= 0) continue;
      input.push({ orderLineId: line.id, quantity: take });
      fulfilled.set(line.id, (fulfilled.get(line.id) ?? 0) + take);
      const v = needByVariant.get(line.productVariant.id) ?? { have: line.productVariant.stockOnHand, need: 0 };
      v.need += take;
      needByVariant.set(line.productVariant.id, v);
      left -= take;
    }
    if (left > 0) {
      throw new DovetailError('permanent', `shipment ${shipment.ref} sends ${s.quantity} of ${s.sku}, but Vendure order ${orderCode} has only ${s.quantity - left} of it left to fulfil`,
        { detail: { order: orderCode, sku: s.sku, shipment: shipment.ref } });
    }
  }
  if (!input.length) throw new DovetailError('permanent', `shipment ${shipment.ref} has no lines to report on Vendure order ${orderCode}`, { detail: { order: orderCode } });
  // Vendure refuses a fulfilment above the variant's stock on hand. Its stock on hand is what
  // Dovetail published from the inventory system, which may already count these goods as gone:
  // raise it to cover them (the fulfilment takes them off again; the stock job that follows
  // publishes the inventory's own number).
  const short = [...needByVariant].filter(([, v]) => v.have < v.need);
  if (short.length) {
    await client.admin(`mutation CoverFulfilment($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: short.map(([id, v]) => ({ id, stockOnHand: v.need })) }, z.object({ updateProductVariants: Ids }));
  }
  const args = [
    { name: 'ref', value: shipment.ref },
    { name: 'method', value: shipment.carrier ?? '' },
    { name: 'trackingCode', value: shipment.trackingCode ?? '' },
    { name: 'shippedOn', value: shipment.shippedOn },
    { name: 'notifyCustomer', value: String(opts.notifyCustomer) },
  ];
  const made = await client.admin(`mutation AddShipment($i: FulfillOrderInput!) { addFulfillmentToOrder(input: $i) {
    __typename ... on Fulfillment { id state } ... on ErrorResult { errorCode message } } }`,
  { i: { lines: input, handler: { code: 'dovetail-shipment', arguments: args } } }, z.object({ addFulfillmentToOrder: FulfillResult }));
  const f = made.addFulfillmentToOrder;
  if (f.__typename !== 'Fulfillment' || !f.id) {
    throw new DovetailError('permanent', `Vendure refused the fulfilment for shipment ${shipment.ref} on order ${orderCode}: ${f.errorCode ?? f.__typename} ${f.message ?? ''}`.trim(),
      { detail: { order: orderCode, shipment: shipment.ref } });
  }
  failpoint('shipment.fulfilmentCreated');
  await toShipped(client, f.id);
  return { id: f.id, created: true };
}
