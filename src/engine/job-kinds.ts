// The kinds of job, named by what they do. A job's key is the record it concerns.
export const JOB = {
  /** push the inventory-owned field groups of one SKU to the store (creating it there if missing) */
  productToStore: 'product.toStore',
  /** look at a store-side product edit: carry store-owned groups over, revert or flag the rest */
  productFromStore: 'product.fromStore',
  /** publish available-to-sell for one SKU */
  stock: 'stock',
  /** import one placed web order as one confirmed sale */
  order: 'order',
  /** copy one store customer (by email) to the inventory system */
  customer: 'customer',
  /** mirror one sale entered in the inventory system into the store (key: the inventory's sale id) */
  offlineOrder: 'order.toStore',
  /** give one inventory-system customer (by email) a store account */
  customerToStore: 'customer.toStore',
} as const;
export type JobKind = (typeof JOB)[keyof typeof JOB];
