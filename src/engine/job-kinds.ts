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
  /** carry cancellations, returns and edits of one imported order between the systems (key: store order code) */
  orderChanges: 'order.changes',
  /** copy one store customer (by email) to the inventory system, and carry their later edits (master.customers) */
  customer: 'customer',
  /** report the shipments of one order (key: store order code) to the store, and email about them per the rules */
  shipment: 'shipment.toStore',
  /** record one payment the store captured by itself in the inventory system (key `<orderCode>:<paymentId>`) */
  paymentFromStore: 'payment.fromStore',
  /** capture what one inventory shipment shipped (rules.capture: atShipment; key `<orderCode>:<shipmentId>`) */
  capture: 'payment.capture',
  /** capture through the store what an operator settled in the inventory system (rules.settleFrom: inventory; key `<orderCode>:<paymentId>`) */
  paymentFromInventory: 'payment.fromInventory',
  /** record one refund made in the store (rules.refundsIn: store; key `<orderCode>:<refundId>`) */
  refundFromStore: 'refund.fromStore',
  /** refund through the store what a credit note in the inventory system credits (rules.refundsIn: inventory; key `<orderCode>:<invoiceId>`) */
  refundFromInventory: 'refund.fromInventory',
  /** mirror one sale entered in the inventory system into the store (key: the inventory's sale id) */
  offlineOrder: 'order.toStore',
  /** give one inventory-system customer (by email) a store account, and carry their later edits (master.customers) */
  customerToStore: 'customer.toStore',
  /** make the non-master's images of one product match the master's, or revert or flag its edit (master.productImages; key: a SKU of the product) */
  productImages: 'images',
  /** keep one reference set equal in both systems (key: the master key, salesTaxes or shippingMethods) */
  referenceSet: 'referenceSet.sync',
  /** one scheduled `dovetail reconcile` (key: 'all'; one at a time across every worker, by the queue's one-running-per-record rule) */
  reconcile: 'reconcile.run',
} as const;
export type JobKind = (typeof JOB)[keyof typeof JOB];
