// The kinds of mapping row the flows keep (storage.mapping / putMapping), named once: what the key
// is and what the row holds. The stored strings never change: rows written before read the same.
export const MAPPING = {
  /** store order code -> the inventory system's sale for it (a web order imported, or an offline sale shown in the store) */
  sale: 'sale',
  /** store order code -> the offline sale it mirrors (rules.offlineOrdersToStore): it charged nothing, the inventory system is its master */
  offlineOrder: 'offlineOrder',
  /** `<saleId>:<why>` -> sale number: an offline sale not sent to the store, audited once per reason */
  offlineOrderSkipped: 'offlineOrderSkipped',
  /** sale id -> sale number: a quote held back until accepted (rules.quotesFrom: inventory) */
  quote: 'quote',
  /** normalised email -> the inventory system's party */
  party: 'party',
  /** SKU -> the store's product (system: the store) */
  product: 'product',
  /** email -> the store customer Dovetail made an account for (rules.offlineCustomerAccounts) */
  customerAccount: 'customerAccount',
  /** email -> a store customer that existed before Dovetail looked (audited once) */
  customerAccountExisting: 'customerAccountExisting',
  /** email -> an account Dovetail is making (a retry after a crash knows it is its own) */
  customerAccountPending: 'customerAccountPending',
  /** email -> how the invitation went out (rules.offlineCustomerAccounts: invite) */
  customerInvited: 'customerInvited',
  /** shipment ref -> the store's fulfilment (system: the store) */
  fulfilment: 'fulfillment',
  /** shipment ref -> Message-ID of Dovetail's shipment email (system: dovetail) */
  shipmentEmail: 'shipment-email',
  /** `<orderCode>:<shipmentId>` -> what the shipment's capture left in the inventory system ('proposed:<id>', 'nothing', or the payment) */
  capture: 'capture',
  /** store money key `<orderCode>:<paymentId>` -> the inventory payment recording a capture the store made by itself */
  payment: 'payment',
  /** `<orderCode>:<inventoryPaymentId>` -> the store payment that captured an operator's payment (rules.settleFrom: inventory) */
  settled: 'settled',
  /** refund job key -> the inventory payment recording the refund */
  refund: 'refund',
  /** store order code -> the units cancelled while others still waited to ship (rules.capture: atShipment), or 'released' once the rest of the authorisation went */
  releaseWhenShipped: 'releaseWhenShipped',
  /** an image's content key (system's id of it and of its bytes) -> the sha256 Dovetail worked out for it, so it is downloaded once (master.productImages) */
  imageHash: 'imageHash',
  /** inventory party id -> the store customer whose details follow it (master.customers; system: the store): survives an email change */
  customerOfParty: 'customerOfParty',
  /** store customer id -> the inventory party whose details follow it (master.customers; system: the inventory system) */
  partyOfCustomer: 'partyOfCustomer',
} as const;

export type MappingKind = (typeof MAPPING)[keyof typeof MAPPING];
