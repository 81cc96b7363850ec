// Tryton records to and from the canonical model. Tryton speaks decimals; Dovetail speaks
// minor units: every amount crosses here through exact string arithmetic, never a float.
import { z } from 'zod';
import { decimalToMinor } from '../../model/money.js';
import type { Product } from '../../model/product.js';
import { decimalString } from './client.js';

export const PRODUCT_FIELDS = ['code', 'name', 'description', 'list_price', 'active', 'salable', 'template', 'write_date', 'create_date',
  'weight', 'weight_uom', 'length', 'length_uom', 'width', 'width_uom', 'height', 'height_uom'];

const nullableNumber = z.number().nullable().optional().transform((v) => v ?? null);
const id = z.number().nullable().optional().transform((v) => v ?? null);
/** Tryton on SQLite answers booleans as 0 / 1 */
export const trytonBool = z.union([z.boolean(), z.number()]).transform(Boolean);

export const ProductRecord = z.object({
  id: z.number(), code: z.string().nullable(), name: z.string(), description: z.string().nullable().optional(),
  list_price: z.unknown(), active: trytonBool, salable: trytonBool, template: z.number(),
  weight: nullableNumber, weight_uom: id, length: nullableNumber, length_uom: id, width: nullableNumber, width_uom: id, height: nullableNumber, height_uom: id,
});
export type ProductRecord = z.infer<typeof ProductRecord>;

/** Unit conversion factors to the category's reference unit (kg for weight, m for length). */
export type UomFactors = Map<number, number>;

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function inUnit(value: number | null, uom: number | null, factors: UomFactors, toReference: number): number | null {
  if (value === null || uom === null) return null;
  const f = factors.get(uom);
  return f === undefined ? null : round3(value * f * toReference);
}

/**
 * One Tryton variant (product.product) as a canonical product. Variants of one template share
 * a group key: the template's code when set, else the template id.
 */
export function toProduct(p: ProductRecord, templateCode: string | null, variantCount: number, currency: string, factors: UomFactors, categories: string[]): Product {
  const variantName = variantCount > 1 ? `${p.name} (${p.code})` : p.name;
  return {
    sku: p.code ?? '',
    groupKey: templateCode || (variantCount > 1 ? `tryton-template-${p.template}` : (p.code ?? `tryton-template-${p.template}`)),
    fields: {
      names: { name: p.name, variantName },
      descriptions: { description: p.description ?? '' },
      categories: { names: [...new Set(categories)].sort() },
      prices: { priceMinor: decimalToMinor(decimalString(p.list_price)), currency },
      availability: { enabled: p.active && p.salable },
      dimensions: {
        weightKg: inUnit(p.weight, p.weight_uom, factors, 1),
        lengthCm: inUnit(p.length, p.length_uom, factors, 100),
        widthCm: inUnit(p.width, p.width_uom, factors, 100),
        heightCm: inUnit(p.height, p.height_uom, factors, 100),
      },
    },
  };
}
