// The canonical product: one sellable variant, keyed by SKU, its fields split into the groups
// that `master:` in dovetail.yaml assigns to one system or the other.
import { z } from 'zod';

/** One attribute's value on a variant: codes identify (Tryton's attribute name and selection key), labels are shown. */
export const AttributeValue = z.object({
  attribute: z.string().min(1), attributeLabel: z.string(),
  code: z.string().min(1), label: z.string(),
});
export type AttributeValue = z.infer<typeof AttributeValue>;

export const ProductFields = z.object({
  /** names: template (product) name and the variant's own name */
  names: z.object({ name: z.string().min(1), variantName: z.string().min(1) }),
  /** descriptions and specifications */
  descriptions: z.object({ description: z.string() }),
  /** retail price, integer minor units, excluding tax */
  prices: z.object({ priceMinor: z.number().int(), currency: z.string().length(3) }),
  /** category names, sorted; a product's place in the catalogue (Tryton categories, Vendure "category" facet) */
  categories: z.object({ names: z.array(z.string()) }),
  /** sellable / published */
  availability: z.object({ enabled: z.boolean() }),
  /** weight in kg, dimensions in cm; null when unknown */
  dimensions: z.object({
    weightKg: z.number().nullable(), lengthCm: z.number().nullable(),
    widthCm: z.number().nullable(), heightCm: z.number().nullable(),
  }),
  /**
   * the variant's value of each attribute of its template's attribute set (Tryton attributes,
   * Vendure option groups), by attribute code; absent for a template without an attribute set
   */
  attributes: z.object({ values: z.array(AttributeValue) }),
  /**
   * special price levels: each level's price, integer minor units excluding tax, by level name
   * (a Tryton price list, a store customer group of the same name)
   */
  priceLevels: z.object({ levels: z.record(z.string().min(1), z.number().int()) }),
  /** what the shop pays for one unit (integer minor units, 0 when unknown) and whom it buys it from; never shown to customers */
  costs: z.object({ costMinor: z.number().int(), supplier: z.string().min(1).nullable() }),
});
export type ProductFields = z.infer<typeof ProductFields>;
export type FieldGroup = keyof ProductFields;
export const FIELD_GROUPS = Object.keys(ProductFields.shape) as FieldGroup[];

/** Maps each field group to the `master:` key that decides who owns it. */
export const MASTER_KEY_OF_GROUP = {
  names: 'productNames',
  descriptions: 'productDescriptions',
  categories: 'productCategories',
  prices: 'prices',
  availability: 'availability',
  dimensions: 'productDimensions',
  attributes: 'productAttributes',
  priceLevels: 'priceLevels',
  costs: 'vendorsAndCosts',
} as const satisfies Record<FieldGroup, string>;

export const Product = z.object({
  sku: z.string().min(1),
  /** groups variants that belong to one product (Tryton template, Vendure product) */
  groupKey: z.string().min(1),
  fields: ProductFields.partial(),
});
export type Product = z.infer<typeof Product>;
