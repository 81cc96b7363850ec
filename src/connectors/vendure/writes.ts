// Writes to Vendure, batched where the Admin API allows: one updateProducts and one
// updateProductVariants call carry every changed field of a batch, and a call Vendure refuses is
// split so that only the refused record fails. Creates look before they leap: a variant is found
// by SKU and a half-made product by the inventory key it carries (the plugin's dovetailGroupKey
// field, never its slug, which Vendure changes to keep it unique), so a retry after a crash
// finishes the product instead of making a second one.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StoreShipment } from '../../model/shipment.js';
import { failpoint } from '../../engine/failpoints.js';
import { refusalOf, upsertOutcomes, writeEach } from '../per-record.js';
import type { StockWriteResult, WriteResult } from '../types.js';
import type { VendureClient } from './client.js';
import { CATEGORY_FACET, OptionGroupNode, slugify, toGroupPrices, type VariantNode } from './mappers.js';
import { attributeOptionIds, type SeenGroups } from './options.js';

const LANG = 'en';
const Ids = z.array(z.object({ id: z.string() }).nullable());

type Row = { product: Product; groups: FieldGroup[] };
/** Reads Vendure's variants with these SKUs afresh. */
export type ReadVariants = (skus: string[]) => Promise<Map<string, VariantNode>>;

/**
 * Writes each row's field groups to its variant, making the missing products and variants. One
 * result per row: a refusal is the row's own, and a SKU is reported created only when Vendure is
 * seen to have it afterwards.
 */
export async function upsertProducts(client: VendureClient, rows: Row[], readVariants: ReadVariants): Promise<WriteResult[]> {
  const existing = await readVariants(rows.map((r) => r.product.sku));
  const refused = new Map<string, DovetailError>();
  await updateVariants(client, rows.filter((r) => existing.has(r.product.sku)), existing, refused);
  const toCreate = rows.filter((r) => !existing.has(r.product.sku));
  // a refusal no single product explains (e.g. a store without the plugin's dovetailGroupKey) is every create's
  const createRefusal = await refusalOf(() => createVariants(client, toCreate, refused));
  if (createRefusal) for (const r of toCreate) if (!refused.has(r.product.sku)) refused.set(r.product.sku, createRefusal);
  const expected = toCreate.map((r) => r.product.sku).filter((sku) => !refused.has(sku));
  const made = expected.length ? await readVariants(expected) : new Map<string, VariantNode>();
  return upsertOutcomes(rows.map((r) => r.product.sku), { system: 'Vendure', refused, before: existing, after: made });
}

function dimensionFields(d: NonNullable<Product['fields']['dimensions']>) {
  return { weight: d.weightKg, length: d.lengthCm, width: d.widthCm, height: d.heightCm };
}

/** The plugin's cost fields (master.vendorsAndCosts). */
function costFields(c: NonNullable<Product['fields']['costs']>) {
  return { dovetailCost: c.costMinor, dovetailSupplier: c.supplier };
}

/** The variant custom fields of these groups, one object: dimensions, costs and price levels share it. */
function variantCustomFields(f: Product['fields'], groups: readonly FieldGroup[]): Record<string, unknown> | undefined {
  const fields = {
    ...(groups.includes('dimensions') && f.dimensions ? dimensionFields(f.dimensions) : {}),
    ...(groups.includes('costs') && f.costs ? costFields(f.costs) : {}),
    ...(groups.includes('priceLevels') && f.priceLevels ? { dovetailGroupPrices: toGroupPrices(f.priceLevels.levels) } : {}),
  };
  return Object.keys(fields).length ? fields : undefined;
}

/** Existing variants: one updateProducts and one updateProductVariants call for the batch. */
async function updateVariants(client: VendureClient, rows: Row[], existing: Map<string, VariantNode>, refused: Map<string, DovetailError>): Promise<void> {
  const products = new Map<string, { id: string; translation: Record<string, unknown>; facetValueIds?: string[]; skus: string[] }>();
  const variants: { sku: string; input: Record<string, unknown> }[] = [];
  const attributeOptions = await attributeUpdates(client, rows.filter((r) => r.groups.includes('attributes') && r.product.fields.attributes), existing, refused);
  for (const row of rows) {
    const { sku, fields: f } = row.product;
    const v = existing.get(sku)!;
    if (refused.has(sku)) continue;
    const translation: Record<string, unknown> = {};
    const variant: Record<string, unknown> = { id: v.id };
    let facetValueIds: string[] | undefined;
    const error = await refusalOf(async () => {
      for (const g of row.groups) {
        if (g === 'names' && f.names) { translation.name = f.names.name; variant.translations = [{ languageCode: LANG, name: f.names.variantName }]; }
        if (g === 'descriptions' && f.descriptions) translation.description = f.descriptions.description;
        if (g === 'categories' && f.categories) {
          const others = v.product.facetValues.filter((fv) => fv.facet.code !== CATEGORY_FACET).map((fv) => fv.id);
          facetValueIds = [...others, ...await categoryValueIds(client, f.categories.names)];
        }
        if (g === 'prices' && f.prices) variant.price = f.prices.priceMinor;
        if (g === 'availability' && f.availability) variant.enabled = f.availability.enabled;
        const optionIds = g === 'attributes' ? attributeOptions.get(sku) : undefined;
        if (optionIds && !sameIds(optionIds, v.options.map((o) => o.id))) variant.optionIds = optionIds;
      }
      const customFields = variantCustomFields(f, row.groups);
      if (customFields) variant.customFields = customFields;
    });
    if (error) { refused.set(sku, error); continue; }
    if (Object.keys(translation).length || facetValueIds) {
      const p = products.get(v.product.id) ?? { id: v.product.id, translation: {}, skus: [] };
      Object.assign(p.translation, translation);
      if (facetValueIds) p.facetValueIds = facetValueIds;
      p.skus.push(sku);
      products.set(v.product.id, p);
    }
    if (Object.keys(variant).length > 1) variants.push({ sku, input: variant });
  }

  const productRefusals = await writeEach([...products.values()], async (part) => {
    await client.admin(`mutation UpdateProducts($i: [UpdateProductInput!]!) { updateProducts(input: $i) { id } }`, { i: part.map((p) => ({ id: p.id,
      ...(Object.keys(p.translation).length ? { translations: [{ languageCode: LANG, ...p.translation }] } : {}),
      ...(p.facetValueIds ? { facetValueIds: p.facetValueIds } : {}) })) }, z.object({ updateProducts: Ids }));
  });
  for (const [p, error] of productRefusals) for (const sku of p.skus) refused.set(sku, error);
  const variantRefusals = await writeEach(variants, async (part) => {
    await client.admin(`mutation UpdateVariants($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: part.map((v) => v.input) }, z.object({ updateProductVariants: Ids }));
  });
  for (const [v, error] of variantRefusals) refused.set(v.sku, error);
}

const sameIds = (a: string[], b: string[]) => a.length === b.length && a.every((id) => b.includes(id));

/** Existing variants' attribute options, per product (options.ts); a variant that cannot have them is refused alone. */
async function attributeUpdates(client: VendureClient, rows: Row[], existing: Map<string, VariantNode>, refused: Map<string, DovetailError>): Promise<Map<string, string[]>> {
  const byProduct = new Map<string, Row[]>();
  for (const r of rows) { const id = existing.get(r.product.sku)!.product.id; byProduct.set(id, [...(byProduct.get(id) ?? []), r]); }
  const out = new Map<string, string[]>();
  const seen: SeenGroups = new Map();
  for (const [, list] of byProduct) {
    const product = existing.get(list[0].product.sku)!.product;
    let ids = new Map<string, string[] | DovetailError>();
    const error = await refusalOf(async () => { ids = await attributeOptionIds(client, product, list.map((r) => ({ sku: r.product.sku, values: r.product.fields.attributes!.values })), seen); });
    for (const r of list) {
      const answer = error ?? ids.get(r.product.sku);
      if (answer instanceof DovetailError) refused.set(r.product.sku, answer);
      else if (answer) out.set(r.product.sku, answer);
    }
  }
  return out;
}

const PER_REQUEST = 50;

const GroupProduct = z.object({
  id: z.string(), slug: z.string(), customFields: z.object({ dovetailGroupKey: z.string().nullable().optional() }),
  variants: z.array(z.object({ id: z.string(), sku: z.string(), name: z.string(), options: z.array(z.object({ id: z.string() })) })),
  optionGroups: z.array(OptionGroupNode),
});
type GroupProduct = z.infer<typeof GroupProduct>;
type OptionGroup = GroupProduct['optionGroups'][number];

/** The products Dovetail made for these inventory keys, by key (the first one when there are several). */
async function productsByGroupKey(client: VendureClient, keys: string[]): Promise<Map<string, GroupProduct>> {
  const out = new Map<string, GroupProduct>();
  for (let i = 0; i < keys.length; i += PER_REQUEST) {
    const chunk = keys.slice(i, i + PER_REQUEST);
    const r = await client.admin(`query ProductsByGroupKey($o: ProductListOptions) { products(options: $o) { items {
      id slug customFields { dovetailGroupKey } variants { id sku name options { id } } optionGroups { id code name options { id code name } } } } }`,
    { o: { filter: { dovetailGroupKey: { in: chunk } }, sort: { id: 'ASC' }, take: chunk.length * 2 } }, z.object({ products: z.object({ items: z.array(GroupProduct) }) }));
    // compared here, not only in the database, whose collation may ignore case
    for (const p of r.products.items) {
      const key = p.customFields.dovetailGroupKey;
      if (key && chunk.includes(key) && !out.has(key)) out.set(key, p);
    }
  }
  return out;
}

/**
 * Makes the missing variants, each in its inventory group's product (a Tryton template): found by
 * its key, or made carrying it. SKUs whose slugs would collide (SLUG.X1, SLUG-X1) are different
 * groups, so each gets its own product, under whatever unique slug Vendure gives it.
 */
async function createVariants(client: VendureClient, rows: Row[], refused: Map<string, DovetailError>): Promise<void> {
  const groups = new Map<string, Product[]>();
  for (const { product } of rows) groups.set(product.groupKey, [...(groups.get(product.groupKey) ?? []), product]);
  const refuseGroup = (key: string, error: DovetailError) => {
    for (const p of groups.get(key) ?? []) refused.set(p.sku, error);
    groups.delete(key);
  };
  for (const [key, variants] of groups) {
    const f = variants[0].fields;
    if (!f.names || !f.prices) refuseGroup(key, permanent(`product ${variants[0].sku} (${key}) has no name or price to create it in Vendure with`, { sku: variants[0].sku }));
  }
  if (!groups.size) return;

  const found = await productsByGroupKey(client, [...groups.keys()]);
  await createProducts(client, [...groups].filter(([key]) => !found.has(key)), refuseGroup);
  const products = await productsByGroupKey(client, [...groups.keys()]);
  const inputs: [string, Record<string, unknown>[]][] = [];
  for (const [key, variants] of groups) {
    const product = products.get(key);
    if (!product) { refuseGroup(key, permanent(`Vendure accepted the product for ${key} but does not have it afterwards`, { group: key })); continue; }
    let optionIds: string[][] = [];
    const error = await refusalOf(async () => {
      if (!variants[0].fields.attributes) { optionIds = await variantOptions(client, product, variants); return; }
      // a template with an attribute set: each variant's options are its attribute values; one without its values fails alone
      const ids = await attributeOptionIds(client, product, variants.map((p) => ({ sku: p.sku, values: p.fields.attributes?.values ?? [] })));
      for (const p of variants) { const r = ids.get(p.sku); if (r instanceof DovetailError) refused.set(p.sku, r); }
      variants.splice(0, variants.length, ...variants.filter((p) => !refused.has(p.sku)));
      optionIds = variants.map((p) => ids.get(p.sku) as string[]);
    });
    if (error) { refuseGroup(key, error); continue; }
    if (!variants.length) continue;
    inputs.push([key, variants.map((p, n) => ({
      productId: product.id, sku: p.sku, price: p.fields.prices?.priceMinor ?? 0, enabled: p.fields.availability?.enabled ?? true,
      stockOnHand: 0, trackInventory: 'TRUE', optionIds: optionIds[n],
      translations: [{ languageCode: LANG, name: p.fields.names?.variantName ?? p.fields.names?.name ?? p.sku }],
      customFields: variantCustomFields(p.fields, ['dimensions', 'costs', 'priceLevels']),
    }))]);
  }
  // one call for every variant; Vendure makes them all or none, so a refused call is split by product
  const variantRefusals = await writeEach(inputs, async (part) => {
    await client.admin(`mutation CreateVariants($i: [CreateProductVariantInput!]!) { createProductVariants(input: $i) { id } }`,
      { i: part.flatMap(([, list]) => list) }, z.object({ createProductVariants: Ids }));
  });
  for (const [[key], error] of variantRefusals) refuseGroup(key, error);
}

/**
 * Makes the products of these groups, each carrying its key, in aliased createProduct calls. A
 * refused call may have made some of its products before the refused one: they are looked up
 * again, and the rest made one at a time, so that only the refused product fails.
 */
async function createProducts(client: VendureClient, groups: [string, Product[]][], refuseGroup: (key: string, error: DovetailError) => void): Promise<void> {
  for (let i = 0; i < groups.length; i += PER_REQUEST) {
    const chunk = groups.slice(i, i + PER_REQUEST);
    const error = await refusalOf(() => createProductCall(client, chunk));
    if (!error) continue;
    if (chunk.length === 1) { refuseGroup(chunk[0][0], error); continue; }
    const made = await productsByGroupKey(client, chunk.map(([key]) => key));
    for (const group of chunk.filter(([key]) => !made.has(key))) {
      const alone = await refusalOf(() => createProductCall(client, [group]));
      if (alone) refuseGroup(group[0], alone);
    }
  }
}

async function createProductCall(client: VendureClient, groups: [string, Product[]][]): Promise<void> {
  const vars: Record<string, unknown> = {};
  for (const [n, [key, variants]] of groups.entries()) {
    const f = variants[0].fields;
    vars[`i${n}`] = { enabled: true, customFields: { dovetailGroupKey: key }, facetValueIds: f.categories ? await categoryValueIds(client, f.categories.names) : [],
      translations: [{ languageCode: LANG, name: f.names!.name, slug: slugify(key), description: f.descriptions?.description ?? '' }] };
  }
  await client.admin(`mutation CreateProducts(${groups.map((_, n) => `$i${n}: CreateProductInput!`).join(', ')}) {
    ${groups.map((_, n) => `p${n}: createProduct(input: $i${n}) { id }`).join('\n')} }`, vars, z.record(z.string(), z.object({ id: z.string() })));
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

/** One option code per SKU: SKUs that differ only in case or punctuation (A.1, a-1) get different codes. */
export function optionCode(sku: string): string {
  const slug = slugify(sku);
  return slug === sku ? slug : `${slug}-${createHash('sha256').update(sku).digest('hex').slice(0, 8)}`;
}

/**
 * Vendure tells several variants of one product apart by options: a product whose template has no
 * attribute set gets one option group and one option per SKU, each found again (by code) before
 * it is made. A product made with a single variant (no options) that gains more first gets the
 * group, with an option for the variant it has, which is then given that option.
 */
async function variantOptions(client: VendureClient, product: GroupProduct, variants: Product[]): Promise<string[][]> {
  let group: OptionGroup | undefined = product.optionGroups[0];
  const bare = product.variants.filter((v) => !v.options.length);
  if (!group) {
    if (!product.variants.length && variants.length === 1) return [[]];
    const made = await client.admin(`mutation CreateOptions($i: CreateProductOptionGroupInput!) { createProductOptionGroup(input: $i) { id code name options { id code name } } }`, {
      i: { code: `${product.slug}-variant`, translations: [{ languageCode: LANG, name: 'Variant' }],
        options: [...bare.map((v) => ({ code: optionCode(v.sku), name: v.name })), ...variants.map((p) => ({ code: optionCode(p.sku), name: p.fields.names?.variantName ?? p.sku }))]
          .map((o) => ({ code: o.code, translations: [{ languageCode: LANG, name: o.name }] })) },
    }, z.object({ createProductOptionGroup: OptionGroupNode }));
    await client.admin(`mutation AddGroup($p: ID!, $g: ID!) { addOptionGroupToProduct(productId: $p, optionGroupId: $g) { id } }`,
      { p: product.id, g: made.createProductOptionGroup.id }, z.object({ addOptionGroupToProduct: z.object({ id: z.string() }) }));
    group = made.createProductOptionGroup;
  }
  const byCode = new Map(group.options.map((o) => [o.code, o.id]));
  const missing = [...bare.map((v) => ({ sku: v.sku, name: v.name })), ...variants.map((p) => ({ sku: p.sku, name: p.fields.names?.variantName ?? p.sku }))]
    .filter((o) => !byCode.has(optionCode(o.sku)));
  for (const o of missing) {
    const made = await client.admin(`mutation CreateOption($i: CreateProductOptionInput!) { createProductOption(input: $i) { id } }`,
      { i: { productOptionGroupId: group.id, code: optionCode(o.sku), translations: [{ languageCode: LANG, name: o.name }] } },
      z.object({ createProductOption: z.object({ id: z.string() }) }));
    byCode.set(optionCode(o.sku), made.createProductOption.id);
  }
  if (bare.length) {
    await client.admin(`mutation GiveOptions($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: bare.map((v) => ({ id: v.id, optionIds: [byCode.get(optionCode(v.sku))!] })) }, z.object({ updateProductVariants: Ids }));
  }
  return variants.map((p) => [byCode.get(optionCode(p.sku))!]);
}

/**
 * Vendure sells stockOnHand − stockAllocated, and allocates its own open orders itself; so the
 * number written to stockOnHand is the inventory's available-to-sell. Only changed rows are sent,
 * in one call, split when Vendure refuses it so that only the refused SKU fails.
 */
export async function setAvailable(client: VendureClient, rows: { sku: string; available: number }[], existing: Map<string, VariantNode>): Promise<StockWriteResult[]> {
  const known = rows.filter((r) => existing.has(r.sku));
  const changed = known.filter((r) => existing.get(r.sku)!.stockOnHand !== r.available);
  const refusals = await writeEach(changed, async (part) => {
    await client.admin(`mutation SetStock($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: part.map((r) => ({ id: existing.get(r.sku)!.id, stockOnHand: r.available })) }, z.object({ updateProductVariants: Ids }));
  });
  const refused = new Map([...refusals].map(([r, error]) => [r.sku, error]));
  const written = new Set(changed.map((r) => r.sku));
  return known.map((r): StockWriteResult => {
    const error = refused.get(r.sku);
    return error ? { sku: r.sku, error } : { sku: r.sku, written: written.has(r.sku) };
  });
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
