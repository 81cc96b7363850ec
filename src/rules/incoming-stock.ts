// What the store is told of stock on its way in from purchases (inventory.incoming). Pure: the
// stock handler gathers what open purchases bring, this decides what the store shows and sells.

export type IncomingSetting = 'none' | 'show' | 'backorder';

export interface IncomingForStore {
  /** whole units on their way */
  quantity: number;
  /** planned arrival, only while something is on its way */
  expectedDate: string | null;
  /** the store may sell `quantity` units beyond its stock, as back-orders */
  backorder: boolean;
}

/**
 * The whole units on their way and their day (`none` tells the store nothing and is not asked
 * here); `backorder` sells them ahead only while there are some. Nothing incoming (received,
 * cancelled, never ordered) is quantity 0 with no date, so the store is put back.
 */
export function incomingForStore(setting: Exclude<IncomingSetting, 'none'>, incoming: { quantity: number; expectedDate: string | null } | undefined): IncomingForStore {
  const raw = incoming?.quantity ?? 0;
  if (!Number.isFinite(raw)) throw new RangeError(`incomingForStore: quantity must be a finite number, got ${raw}`);
  // ERP quantities are floats: settle to 6 decimals before flooring; a part unit is not sold ahead
  const quantity = Math.max(0, Math.floor(Math.round(raw * 1e6) / 1e6));
  return { quantity, expectedDate: quantity > 0 ? incoming?.expectedDate ?? null : null, backorder: setting === 'backorder' && quantity > 0 };
}
