// How many units of a SKU the store may sell (rules.deductAllocated, inventory.safetyStock).
// Pure arithmetic: the stock handler gathers the numbers, this decides.
//
// Only *offline* allocations (sales entered in the inventory system: phone, email, outside
// sales) are deducted here. A web order's sale is allocated in the inventory system too, but the
// store already holds back the stock of its own open orders; deducting that sale again would
// count each web order twice and hide sellable stock.

export interface AvailableToSellInput {
  /** physically on hand in the published warehouse(s); may be fractional or negative in the ERP */
  onHand: number;
  /** quantity reserved by unshipped sales that did not come from the store */
  allocatedOffline: number;
  /** inventory.safetyStock: units always held back */
  safetyStock: number;
  /** rules.deductAllocated: false offers offline-allocated stock too (it may then sell twice) */
  deductAllocated: boolean;
}

/** on hand − offline allocations (when deducted) − safety stock, floored to whole units, never below 0. */
export function availableToSell({ onHand, allocatedOffline, safetyStock, deductAllocated }: AvailableToSellInput): number {
  for (const [name, v] of [['onHand', onHand], ['allocatedOffline', allocatedOffline], ['safetyStock', safetyStock]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`availableToSell: ${name} must be a finite number, got ${v}`);
  }
  if (allocatedOffline < 0) throw new RangeError(`availableToSell: allocatedOffline cannot be negative, got ${allocatedOffline}`);
  if (safetyStock < 0) throw new RangeError(`availableToSell: safetyStock cannot be negative, got ${safetyStock}`);
  const raw = onHand - (deductAllocated ? allocatedOffline : 0) - safetyStock;
  // ERP quantities are floats (3.3 - 0.3 = 2.9999999999999996): settle to 6 decimals before flooring.
  const settled = Math.round(raw * 1e6) / 1e6;
  return Math.max(0, Math.floor(settled));
}
