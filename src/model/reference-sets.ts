// Small reference sets both systems keep (master.salesTaxes, master.shippingMethods): each item is
// keyed by something both sides can hold, and its value is what is compared and copied.
import { z } from 'zod';

/**
 * One sales tax rate: what the store charges in a tax zone for a tax category. Keyed
 * `<category> @ <zone>` (see taxKey); the rate is a percentage (10 = 10 %), never money.
 */
export const SalesTaxValue = z.object({ ratePercent: z.number().min(0).max(100) });
export type SalesTaxValue = z.infer<typeof SalesTaxValue>;

/** The key of a tax rate both systems hold: the store's tax category and zone, by name. */
export const taxKey = (category: string, zone: string) => `${category} @ ${zone}`;

/** Splits a tax key back into its category and zone; null when it is not one. */
export function parseTaxKey(key: string): { category: string; zone: string } | null {
  const at = key.lastIndexOf(' @ ');
  return at > 0 && at + 3 < key.length ? { category: key.slice(0, at), zone: key.slice(at + 3) } : null;
}

/**
 * One shipping method, keyed by its code: the name customers see and a flat price before tax in
 * integer minor units (the store's "flat rate" calculator, the inventory carrier's list price).
 */
export const ShippingMethodValue = z.object({ name: z.string().min(1), priceMinor: z.number().int().min(0) });
export type ShippingMethodValue = z.infer<typeof ShippingMethodValue>;

/** One item of a set as a system holds it: its own id (to update it without another lookup) and value. */
export interface SetEntry<V> { id: string; value: V }

/** A whole set as one system holds it, by key. */
export type KeyedSet<V> = Map<string, SetEntry<V>>;

/** Reads and writes one keyed set in one system. */
export interface KeyedSetAccess<V> {
  /** Every item of the set, by key; one read (the sets are small). */
  list(): Promise<KeyedSet<V>>;
  /**
   * Makes the item `key` hold `value`: updates `existingId` (from list()), or creates it when
   * null. The caller lists first, so a retry after a crash finds what the crashed attempt made.
   */
  put(key: string, value: V, existingId: string | null): Promise<{ id: string; created: boolean }>;
}
