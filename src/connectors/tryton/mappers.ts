// Tryton records to and from the canonical model. Tryton speaks decimals; Dovetail speaks
// minor units: every amount crosses here through exact string arithmetic, never a float.
// Tryton's state words become Dovetail's here too, so no engine code reads them.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { decimalToMinor } from '../../model/money.js';
import { SaleState } from '../../model/offline-order.js';
import type { CreditNoteState, InventoryPaymentState } from '../../model/payment.js';
import type { Product } from '../../model/product.js';
import type { ShipmentState } from '../../model/shipment.js';
import { decimalString } from './client.js';

export const PRODUCT_FIELDS = ['code', 'name', 'description', 'list_price', 'active', 'salable', 'template', 'write_date', 'create_date',
  'weight', 'weight_uom', 'length', 'length_uom', 'width', 'width_uom', 'height', 'height_uom',
  'cost_price'];

const nullableNumber = z.number().nullable().optional().transform((v) => v ?? null);
const id = z.number().nullable().optional().transform((v) => v ?? null);
/** Tryton on SQLite answers booleans as 0 / 1 */
export const trytonBool = z.union([z.boolean(), z.number()]).transform(Boolean);

export const ProductRecord = z.object({
  id: z.number(), code: z.string().nullable(), name: z.string(), description: z.string().nullable().optional(),
  list_price: z.unknown(), active: trytonBool, salable: trytonBool, template: z.number(),
  weight: nullableNumber, weight_uom: id, length: nullableNumber, length_uom: id, width: nullableNumber, width_uom: id, height: nullableNumber, height_uom: id,
  cost_price: z.unknown(),
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

/** The tag Dovetail writes into a Tryton record's description, so a retry finds what it made and a feed knows its own writes. */
export const moneyTag = (key: string) => `[dovetail ${key}]`;

// ---- states in Dovetail's words ------------------------------------------------------------

/** Tryton's sale states are Dovetail's sale states word for word; anything else is refused here, not guessed. */
export const toSaleState = (state: string): SaleState => SaleState.parse(state);

/** account.payment: draft, submitted and approved are waiting for an operator; processing means they processed it. */
export function toInventoryPaymentState(state: string): InventoryPaymentState {
  switch (state) {
    case 'draft': case 'submitted': case 'approved': return 'pending';
    case 'processing': return 'processing';
    case 'succeeded': return 'succeeded';
    case 'failed': return 'failed';
    default: throw permanent(`Tryton payment state ${JSON.stringify(state)} is not one Dovetail knows`);
  }
}

/** account.invoice: a validated invoice is not final yet, like a draft. */
export function toCreditNoteState(state: string): CreditNoteState {
  switch (state) {
    case 'draft': case 'validated': return 'draft';
    case 'posted': return 'posted';
    case 'paid': return 'paid';
    case 'cancelled': return 'cancelled';
    default: throw permanent(`Tryton invoice state ${JSON.stringify(state)} is not one Dovetail knows`);
  }
}

/** stock.shipment.out: everything before `shipped` is still being prepared. */
export function toShipmentState(state: string): ShipmentState {
  switch (state) {
    case 'shipped': return 'shipped';
    case 'done': return 'done';
    case 'cancelled': return 'cancelled';
    default: return 'preparing';
  }
}
