// Odoo records to and from the canonical model. Odoo speaks floats for money and quantities;
// Dovetail speaks integer minor units: every amount crosses here, rounded once, at this edge.
import { permanent } from '../../errors.js';
import { fullName, type Address, type Customer } from '../../model/customer.js';
import { minorToDecimal } from '../../model/money.js';
import type { Product } from '../../model/product.js';
import type { ShipmentState } from '../../model/shipment.js';

/** An Odoo monetary float (always rounded by Odoo to the currency's digits) in minor units. */
export function toMinor(amount: number, decimals: number): number {
  if (!Number.isFinite(amount)) throw permanent(`Odoo sent an amount that is not a number: ${amount}`);
  return Math.round(amount * 10 ** decimals);
}

/** Minor units as the float Odoo's monetary fields take (the decimal text parsed once, so 0.1 + 0.2 never happens here). */
export const fromMinor = (minor: number, decimals: number): number => Number(minorToDecimal(minor, decimals));

/**
 * Unit prices whose line amounts add up to exactly `lineNetMinor`. Odoo keeps unit prices to the
 * "Product Price" precision (2 digits by default), so an amount that does not divide by the
 * quantity becomes two lines a cent apart: (quantity − r) at the floor and r at floor + 1 cent.
 */
export function exactLines(lineNetMinor: number, quantity: number): { quantity: number; unitMinor: number }[] {
  const floor = Math.floor(lineNetMinor / quantity);
  const r = lineNetMinor - floor * quantity;
  if (r === 0) return [{ quantity, unitMinor: floor }];
  return [{ quantity: quantity - r, unitMinor: floor }, { quantity: r, unitMinor: floor + 1 }];
}

export interface VariantRecord {
  id: number; sku: string; templateId: number; active: boolean; weight: number; volume: number; attributeValueNames: string[];
}
export interface TemplateRecord {
  id: number; name: string; listPrice: number; active: boolean; saleOk: boolean; description: string | null; variantCount: number; categoryName: string | null; sku: string | null;
}

/**
 * One Odoo variant (product.product) as a canonical product. Variants of one template share a
 * group key: the template's reference when it has one, else its id. Odoo keeps weight in kg and
 * volume in m³, not dimensions: lengths stay unknown.
 */
export function toProduct(v: VariantRecord, t: TemplateRecord, currency: { code: string; decimals: number }): Product {
  const variantName = v.attributeValueNames.length ? `${t.name} (${v.attributeValueNames.join(', ')})` : t.variantCount > 1 ? `${t.name} (${v.sku})` : t.name;
  return {
    sku: v.sku,
    groupKey: t.variantCount > 1 ? (t.sku || `odoo-template-${t.id}`) : v.sku,
    fields: {
      names: { name: t.name, variantName },
      descriptions: { description: t.description ?? '' },
      categories: { names: t.categoryName ? [t.categoryName] : [] },
      prices: { priceMinor: toMinor(t.listPrice, currency.decimals), currency: currency.code },
      availability: { enabled: v.active && t.active && t.saleOk },
      dimensions: { weightKg: v.weight || null, lengthCm: null, widthCm: null, heightCm: null },
    },
  };
}

/** A res.partner's address fields for a canonical address (country resolved by the caller). */
export function addressValues(a: Address, countryId: number): { name: string; street: string; street2: string | false; city: string; zip: string; country_id: number; phone: string | false } {
  return { name: a.fullName, street: a.street1, street2: a.street2 || false, city: a.city, zip: a.postalCode, country_id: countryId, phone: a.phone || false };
}

/** The customer's company-level contact name: their full name, else their email. */
export const partnerName = (c: Customer): string => fullName(c) || c.email;

/** stock.picking states in Dovetail's words: everything before done is still being prepared. */
export function toShipmentState(state: string): ShipmentState {
  if (state === 'done') return 'done';
  if (state === 'cancel') return 'cancelled';
  return 'preparing';
}
