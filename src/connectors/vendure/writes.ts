// Writes to Vendure, batched where the Admin API allows: one updateProducts and one
// updateProductVariants call carry every changed field of a batch. Creates look before they
// leap: a variant is found by SKU and a half-made product by its slug, so a retry after a crash
// finishes the product instead of making a second one.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { WriteResult } from '../types.js';
import type { VendureClient } from './client.js';
import { slugify, type VariantNode } from './mappers.js';

const LANG = 'en';
const Ids = z.array(z.object({ id: z.string() }).nullable());

export async function upsertProducts(client: VendureClient, rows: { product: Product; groups: FieldGroup[] }[],
  existing: Map<string, VariantNode>): Promise<WriteResult[]> {
  const productUpdates = new Map<string, Record<string, unknown>>();
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

  if (productUpdates.size) {
    await client.admin(`mutation UpdateProducts($i: [UpdateProductInput!]!) { updateProducts(input: $i) { id } }`,
      { i: [...productUpdates].map(([id, tr]) => ({ id, translations: [{ languageCode: LANG, ...tr }] })) }, z.object({ updateProducts: Ids }));
  }
  if (variantUpdates.length) {
    await client.admin(`mutation UpdateVariants($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
      { i: variantUpdates }, z.object({ updateProductVariants: Ids }));
  }

  const results: WriteResult[] = rows.filter((r) => existing.has(r.product.sku)).map((r) => ({ sku: r.product.sku, created: false }));
  const groups = new Map<string, Product[]>();
  for (const { product } of toCreate) groups.set(product.groupKey, [...(groups.get(product.groupKey) ?? []), product]);
  for (const [groupKey, variants] of groups) {
    await createProduct(client, groupKey, variants);
    results.push(...variants.map((p) => ({ sku: p.sku, created: true })));
  }
  return results;
}

function dimensionFields(d: NonNullable<Product['fields']['dimensions']>) {
  return { weight: d.weightKg, length: d.lengthCm, width: d.widthCm, height: d.heightCm };
}

async function createProduct(client: VendureClient, groupKey: string, variants: Product[]): Promise<void> {
  const first = variants[0].fields;
  if (!first.names || !first.prices) throw new DovetailError('permanent', `product ${variants[0].sku} has no name or price to create it in Vendure with`);
  const slug = slugify(groupKey);
  const found = await client.admin(`query ProductBySlug($s: String!) { product(slug: $s) { id variants { sku } optionGroups { id } } }`, { s: slug },
    z.object({ product: z.object({ id: z.string(), variants: z.array(z.object({ sku: z.string() })), optionGroups: z.array(z.object({ id: z.string() })) }).nullable() }));
  let productId = found.product?.id;
  if (found.product && found.product.variants.length) {
    throw new DovetailError('permanent', `Vendure already has a product at slug "${slug}" with other SKUs (${found.product.variants.map((v) => v.sku).join(', ')}); adding variants to an existing product is not supported yet`);
  }
  if (!productId) {
    const created = await client.admin(`mutation CreateProduct($i: CreateProductInput!) { createProduct(input: $i) { id } }`, {
      i: { enabled: true, translations: [{ languageCode: LANG, name: first.names.name, slug, description: first.descriptions?.description ?? '' }] },
    }, z.object({ createProduct: z.object({ id: z.string() }) }));
    productId = created.createProduct.id;
  }
  let optionIds: string[][] = variants.map(() => []);
  if (variants.length > 1) {
    // Vendure needs distinct options to tell several variants of one product apart.
    const group = await client.admin(`mutation CreateOptions($i: CreateProductOptionGroupInput!) { createProductOptionGroup(input: $i) { id options { id code } } }`, {
      i: { code: `${slug}-variant`, translations: [{ languageCode: LANG, name: 'Variant' }],
        options: variants.map((p) => ({ code: slugify(p.sku), translations: [{ languageCode: LANG, name: p.fields.names?.variantName ?? p.sku }] })) },
    }, z.object({ createProductOptionGroup: z.object({ id: z.string(), options: z.array(z.object({ id: z.string(), code: z.string() })) }) }));
    await client.admin(`mutation AddGroup($p: ID!, $g: ID!) { addOptionGroupToProduct(productId: $p, optionGroupId: $g) { id } }`,
      { p: productId, g: group.createProductOptionGroup.id }, z.object({ addOptionGroupToProduct: z.object({ id: z.string() }) }));
    const byCode = new Map(group.createProductOptionGroup.options.map((o) => [o.code, o.id]));
    optionIds = variants.map((p) => [byCode.get(slugify(p.sku)) ?? '']);
  }
  await client.admin(`mutation CreateVariants($i: [CreateProductVariantInput!]!) { createProductVariants(input: $i) { id } }`, {
    i: variants.map((p, n) => ({
      productId, sku: p.sku, price: p.fields.prices?.priceMinor ?? 0, enabled: p.fields.availability?.enabled ?? true,
      stockOnHand: 0, trackInventory: 'TRUE', optionIds: optionIds[n],
      translations: [{ languageCode: LANG, name: p.fields.names?.variantName ?? p.fields.names?.name ?? p.sku }],
      ...(p.fields.dimensions ? { customFields: dimensionFields(p.fields.dimensions) } : {}),
    })),
  }, z.object({ createProductVariants: Ids }));
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
