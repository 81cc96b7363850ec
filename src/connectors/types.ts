// The contract every connector fills in, grouped by capability: a connector carries a group whole
// or declares that it does not. The engine only talks to these interfaces, never to one system.
import type { z } from 'zod';
import { DovetailError } from '../errors.js';
import type { Customer } from '../model/customer.js';
import type { Order, OrderStatus } from '../model/order.js';
import type { FieldGroup, Product, ProductFields } from '../model/product.js';
import type { IncomingStock, StockPosition } from '../model/stock.js';
import type { OrderShipments, StoreShipment } from '../model/shipment.js';
import type { CaptureResult, CreditNote, InventoryPayment, OrderMoney, RefundResult, SaleMoney, ShipmentForCapture } from '../model/payment.js';
import type { InventoryCustomer, OfflineSale } from '../model/offline-order.js';
import type { OrderLinesState } from '../model/order-lines.js';
import type { StoredImage } from '../model/image.js';
import type { ImageFile } from './image-files.js';
import type { KeyedSet, SalesTaxValue, ShippingMethodValue } from '../model/reference-sets.js';

export type RecordKind = MoneyKind | 'product' | 'stock' | 'customer' | 'order' | 'shipment' | 'sale' | ImagesKind;

/** A product's images changed (key: a SKU of the product; master.productImages). */
export type ImagesKind = 'images';

/** Money feeds (key `<orderCode>:<id>`): store payments and refunds, Tryton payments and credit notes. */
export type MoneyKind = 'payment' | 'refund' | 'creditNote';

/** A pointer to something that changed in a system. Jobs carry these keys, never payloads. */
export interface ChangeRef {
  kind: RecordKind;
  /**
   * SKU for products and stock, email for customers, store order code for orders, shipments and
   * sales (`sale`: the inventory system's sale for a web order changed: lines, moves, returns)
   */
  key: string;
  /** the system's own id of the event or record version, used to recognise duplicates */
  sourceVersion: string;
}

export interface ChangePage {
  changes: ChangeRef[];
  /** opaque; stored only after every change in `changes` is durably recorded */
  cursor: string;
  /** true when the page was full and the feed should be read again at once */
  more: boolean;
}

interface ConnectorBase {
  /** 'tryton', 'vendure', … — also the `system` column of mappings and audit rows */
  readonly system: string;
  /** Checks the connection and credentials; throws a DovetailError of kind config when wrong. */
  ping(): Promise<{ version: string }>;
  /** Changes of `kind` since `cursor` (null: from the beginning). */
  readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage>;
  close?(): Promise<void>;
}

/**
 * What a batch write did with one record. Records succeed or fail one by one: a record the target
 * refuses carries its own error and the others are still written. `id` is the target's id of the
 * record; `created` is true only when this call made it and the target was seen to keep it.
 */
export type WriteResult = { sku: string; id: string; created: boolean } | { sku: string; error: DovetailError };

/** Like WriteResult, for stock: `written` is false when the store already showed the number. */
export type StockWriteResult = { sku: string; written: boolean } | { sku: string; error: DovetailError };

// ---- reference sets both sides hold (master.salesTaxes, master.shippingMethods) -----------------
// The same group on either side: read the whole set at once, write one item found by its key.

/** Sales tax rates, keyed `<store tax category> @ <store tax zone>` (model/reference-sets.ts taxKey). */
export interface SalesTaxes {
  /** Every tax rate the system holds under such a key, with its id; items it cannot key are left out. One read. */
  listSalesTaxes(): Promise<KeyedSet<SalesTaxValue>>;
  /**
   * Makes the tax rate `key` charge `value`: updates `existingId` (from listSalesTaxes), or creates
   * it when null (the caller listed first, so a retry after a crash finds the one it made).
   * A key naming what the system lacks (a zone, a category) is a permanent error saying which.
   */
  putSalesTax(key: string, value: SalesTaxValue, existingId: string | null): Promise<{ id: string; created: boolean }>;
}

/** Shipping methods, keyed by their code. */
export interface ShippingMethods {
  /** Every shipping method the system holds under a code, with its id; methods it cannot express as a flat price are left out. One read. */
  listShippingMethods(): Promise<KeyedSet<ShippingMethodValue>>;
  /** Makes the method `code` hold `value`: updates `existingId` (from listShippingMethods), or creates it when null. */
  putShippingMethod(code: string, value: ShippingMethodValue, existingId: string | null): Promise<{ id: string; created: boolean }>;
}

// ---- the inventory side, by capability ----------------------------------------------------------
// Every method of a group is required: a connector either carries a capability whole or declares
// that it does not, and the engine asks for a group through `capability()` (see below).

export interface InventoryCatalogue {
  /** Current product data for these SKUs; unknown SKUs are absent from the map. */
  getProducts(skus: string[]): Promise<Map<string, Product>>;
  /** Every SKU, for a first full load, in pages. */
  listSkus(offset: number, limit: number): Promise<string[]>;
  /** Write the given field groups of products the inventory side does not own (e.g. descriptions). */
  writeProductFields(rows: { sku: string; fields: Partial<ProductFields> }[]): Promise<void>;
}

export interface InventoryStock {
  getStock(skus: string[]): Promise<Map<string, StockPosition>>;
}

export interface InventoryCustomers {
  /** Finds the party by email or creates it (with addresses); never makes a second one. */
  upsertCustomer(customer: Customer): Promise<{ id: string; created: boolean }>;
}

export interface InventorySales {
  /**
   * Creates the confirmed sale for a store order, or finishes one a crashed attempt left half
   * done. Idempotent: found by the order code before anything is created.
   */
  importOrder(order: Order, opts: { customerId: string; salesperson?: string }): Promise<{ id: string; created: boolean; totalMinor: number }>;
}

/** Shipments leaving the warehouse (rules.partialShipmentsToStore, capture: atShipment). */
export interface InventoryShipments {
  /**
   * The customer shipments that have left the warehouse for the sale carrying this store order
   * code, or for the sale `saleId` (a phone sale mirrored into the store); null when there is no
   * such sale. Read through `readChanges('shipment')`, keyed by order code, or `sale:<id>` for
   * every sale (the engine knows which sales it mirrored).
   */
  getShipments(orderCode: string, opts?: { saleId?: string }): Promise<OrderShipments | null>;
  /** What one customer shipment shipped (and the sale's shipments before it), for its capture. */
  shipmentForCapture(shipmentId: string): Promise<ShipmentForCapture | null>;
}

/** Money (rules.capture, settleFrom, refundsIn, creditMemosIn). */
export interface InventoryPayments {
  /** A payment against the sale moved to succeeded: receivable (a capture) or payable (a refund). Found by `key` before it is made. */
  recordPayment(orderCode: string, p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }>;
  /** A receivable payment left approved for an operator to process (settleFrom: inventory). Found by `key` before it is made. */
  proposePayment(orderCode: string, p: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }>;
  getPayment(id: string): Promise<InventoryPayment | null>;
  /** Ends an operator's payment once the store captured (succeeded) or refused (failed) it; `note` is written on it. */
  completePayment(id: string, outcome: 'succeeded' | 'failed', note: string): Promise<void>;
  /** A posted credit note for the sale crediting `amountMinor`. Found by `key` before it is made. */
  recordCreditNote(orderCode: string, c: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }>;
  getCreditNote(id: string): Promise<CreditNote | null>;
  /** What is settled against the sale for this store order code (every sale carrying it); null: no such sale. */
  getSaleMoney(orderCode: string): Promise<SaleMoney | null>;
}

/**
 * After an order is placed (rules.cancellationsIn, returnsIn, returnsToStore, orderEditsIn).
 * Feed: readChanges('sale'), keyed by store order code.
 */
export interface InventoryOrderChanges {
  /**
   * The sales for these store order codes as they are now, in the shape both sides are compared
   * in, by code; a code with no sale is absent. Read for all the codes together (a fixed number of
   * calls, not a round per order): a batch of order changes and a reconcile page are many orders.
   */
  getSaleLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>>;
  /**
   * Makes each given SKU give the customer `quantity` units — in getSaleLines' terms, so units
   * cancelled through the exception flow or returned are not counted (Tryton: one sale amendment): lower for a
   * cancellation (never below what shipped), higher or new for an edit (a new line priced at
   * `unitNetMinor` before tax, taxed at `taxRatePercent`). A SKU already at its quantity is left alone,
   * so a repeat after a crash changes nothing. `note` says why, on the sale.
   */
  setSaleQuantities(orderCode: string, lines: { sku: string; quantity: number; unitNetMinor: number; taxRatePercent: number }[], note: string): Promise<void>;
  /**
   * Books units coming back into the warehouse for the sale (Tryton: a return sale and its customer
   * return shipment, received and done, so stock goes up). Found by `key` before anything is made.
   * `creditNote`: the inventory system makes its own credit note for it (rules.creditMemosIn: inventory).
   */
  recordReturn(orderCode: string, lines: { sku: string; quantity: number }[], opts: { key: string; note: string; creditNote: boolean }): Promise<{ id: string; created: boolean }>;
}

/**
 * Offline orders, quotes and customers going to the store (rules.offlineOrdersToStore,
 * quotesFrom, offlineCustomerAccounts). Their feeds: readChanges('order') keyed by the
 * inventory's sale id, readChanges('customer') keyed by email.
 */
export interface InventoryOfflineSales {
  /** A sale as entered in the inventory system, or null when it does not exist. */
  getOfflineSale(saleId: string): Promise<OfflineSale | null>;
  /** The party with this email, and whether it is a customer (has a sale past draft). */
  getInventoryCustomer(email: string): Promise<InventoryCustomer | null>;
}

/**
 * A product's images (master.productImages), the same on both sides: the product is the one holding
 * `sku` (Tryton: its template; Vendure: its product), its images compared by the sha256 of their
 * bytes, which each side remembers for the images Dovetail put there. Feed: readChanges('images'),
 * keyed by a SKU of the product.
 */
export interface ProductImages {
  /** The product's images in display order, the featured one marked; null: no product has this SKU. */
  listImages(sku: string): Promise<StoredImage[] | null>;
  /** The bytes of one listed image, as a stream (never read whole into memory). */
  openImage(image: StoredImage): Promise<AsyncIterable<Uint8Array>>;
  /**
   * An image holding these bytes for the product: the one put there before (found by its sha256,
   * so a retry after a crash never uploads a second) or a new upload, streamed from the file. It
   * may not show on the product until setImages.
   */
  putImage(sku: string, file: ImageFile): Promise<{ ref: string; created: boolean }>;
  /**
   * Makes the product show exactly these images in this order, `featuredRef` the featured one, and
   * remembers each one's sha256 there; images of the product not listed are taken off it.
   */
  setImages(sku: string, images: { ref: string; sha256: string }[], featuredRef: string | null): Promise<void>;
}

/** Stock on its way in from purchases (inventory.incoming); the purchases themselves stay in the inventory system. */
export interface InventoryIncoming {
  /**
   * Per SKU, what confirmed purchases not yet received or cancelled will bring into the published
   * warehouses, with the earliest planned day. A SKU with nothing on its way, or unknown, is
   * absent. Changes come through readChanges('stock'): what a purchase brings in moves stock.
   */
  getIncoming(skus: string[]): Promise<Map<string, IncomingStock>>;
}

/**
 * A customer's details kept in step after the first match (master.customers): parties are found
 * by email once, then known by their own id, so an email changed on either side keeps the link.
 */
export interface InventoryCustomerEdits {
  /** The id of the (first) party with this email; null: none. */
  findParty(email: string): Promise<string | null>;
  /** The party's details (its first email, first phone, addresses that can be placed); null: gone. */
  getParty(partyId: string): Promise<Customer | null>;
  /** Makes the party's name, first email and first phone these, and adds the addresses it lacks (others are left). */
  updateParty(partyId: string, customer: Customer): Promise<void>;
}

/** Every capability an inventory connector may carry, by the name it declares it under. */
export interface InventoryCapabilities {
  catalogue: InventoryCatalogue;
  stock: InventoryStock;
  customers: InventoryCustomers;
  sales: InventorySales;
  shipments: InventoryShipments;
  payments: InventoryPayments;
  orderChanges: InventoryOrderChanges;
  offlineSales: InventoryOfflineSales;
  images: ProductImages;
  taxes: SalesTaxes;
  shippingMethods: ShippingMethods;
  incoming: InventoryIncoming;
  customerEdits: InventoryCustomerEdits;
}
export type InventoryCapability = keyof InventoryCapabilities;

/**
 * What every inventory connector carries: without products, stock, customers and sales there is
 * nothing to join. The other capabilities are declared in `capabilities` and reached through
 * `capability()`.
 */
export interface InventoryConnector extends ConnectorBase, InventoryCatalogue, InventoryStock, InventoryCustomers, InventorySales {
  readonly side: 'inventory';
  readonly capabilities: readonly InventoryCapability[];
}

// ---- the store side, by capability --------------------------------------------------------------

export interface StoreCatalogue {
  /** Current product data for these SKUs; unknown SKUs are absent from the map. */
  getProducts(skus: string[]): Promise<Map<string, Product>>;
  /** Every SKU, for a first full load, in pages. */
  listSkus(offset: number, limit: number): Promise<string[]>;
  /**
   * Create missing products/variants and write the given field groups; matched by SKU. One result
   * per row: a row the store refuses fails alone. Creates look before they leap (a retry after a
   * crash finds what the crashed attempt made), and every SKU becomes a variant of its own group's
   * product. Throws only when the store cannot be written at all (down, settings).
   */
  upsertProducts(rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]>;
}

export interface StoreStock {
  /**
   * Make the store sell at most `available` of each SKU (its own open orders already deducted by
   * it). One result per SKU the store has (SKUs it does not have are left out); a row the store
   * refuses fails alone. Throws only when the store cannot be written at all.
   */
  setAvailable(rows: { sku: string; available: number }[]): Promise<StockWriteResult[]>;
}

export interface StoreCustomers {
  getCustomer(email: string): Promise<Customer | null>;
  /** Emails of registered customers, for a first full load. */
  listCustomerEmails(offset: number, limit: number): Promise<string[]>;
}

export interface StoreOrders {
  /** The order as charged, or null when the store does not know the code. */
  getOrder(code: string): Promise<Order | null>;
  /** Codes of placed orders, oldest first, for a first full load. */
  listOrderCodes(offset: number, limit: number): Promise<string[]>;
}

export interface StoreFulfilment {
  /**
   * Makes sure the order has one fulfilment for `shipment` (found by `shipment.ref` before one is
   * created), in the shipped state. `notifyCustomer`: the store is to tell the customer
   * (rules.shipmentEmailsFrom: store); otherwise it must stay silent.
   */
  recordShipment(orderCode: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }>;
}

/** Money through the store's payment API. */
export interface StorePayments {
  /** The order's payments and refunds with its authorised / captured / refunded totals; null: unknown order. */
  getPayments(orderCode: string): Promise<OrderMoney | null>;
  /** Captures `amountMinor` of the order's authorisation, once per `key`, never more than is authorised. */
  capturePayment(orderCode: string, amountMinor: number, key: string): Promise<CaptureResult>;
  /** Refunds `amountMinor` once per `key` (and settles it), never more than was captured. */
  refundPayment(orderCode: string, amountMinor: number, key: string, note: string): Promise<RefundResult>;
}

/**
 * After an order is placed (rules.cancellationsIn, returnsIn, returnsToStore, orderEditsIn). Its
 * changes come through readChanges('order'), keyed by order code, like new orders.
 */
export interface StoreOrderChanges {
  /**
   * The placed orders as they are now, in the shape both sides are compared in, by code; an
   * unknown code is absent. Read for all the codes together (one query or a page of them, not a
   * round per order).
   */
  getOrderLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>>;
  /**
   * Takes units off the order (Vendure: cancelOrder with lines): unshipped units for a
   * cancellation, shipped ones for a return shown on the order. `reason` is shown on the order's
   * history. Returns the order's total before and after.
   */
  cancelOrderUnits(orderCode: string, lines: { sku: string; quantity: number }[], opts: { kind: 'cancel' | 'return'; reason: string }): Promise<{ totalBeforeMinor: number; totalAfterMinor: number }>;
  /**
   * Makes each given SKU order `quantity` units where that is more than now (Vendure: modifyOrder),
   * new SKUs priced by the store. Returns the totals before and after and what the customer owes
   * beyond what was paid (the store's own state for it, e.g. ArrangingAdditionalPayment).
   */
  raiseOrderQuantities(orderCode: string, lines: { sku: string; quantity: number }[], note: string): Promise<{ totalBeforeMinor: number; totalAfterMinor: number; state: string }>;
  /** Gives up what is still authorised and will never be captured (Vendure: cancels the remaining authorised payment). Returns the amount released. */
  releaseAuthorisation(orderCode: string, note: string): Promise<{ releasedMinor: number }>;
}

/** Store orders mirroring sales entered in the inventory system (offline orders and accepted quotes). */
export interface StoreOfflineOrders {
  /**
   * The store order mirroring an inventory sale (`ref` = system:id), if one was made, under the
   * code it is known by now (a store may give the placed order a code of its own: Shopify's draft
   * becomes an order). `getOrder` of it answers `placedOffline: true`.
   */
  findOfflineOrder(ref: string): Promise<{ code: string; state: OrderStatus } | null>;
  /** Starts the store order for an offline sale, marked with `ref`; not placed: no stock held, nothing charged. */
  startOfflineOrder(sale: OfflineSale, opts: { ref: string }): Promise<{ code: string }>;
  /**
   * Fills in what the started order lacks (customer: this id, or a guest made from the sale; lines;
   * addresses) and places it, recorded as paid offline: no money is taken through the store.
   * Safe to call again at any step.
   */
  placeOfflineOrder(code: string, sale: OfflineSale, opts: { customerId: string | null }): Promise<{ state: string; totalMinor: number }>;
}

/** Website accounts for customers of the inventory system (rules.offlineCustomerAccounts, copyAddresses). */
export interface StoreAccounts {
  /** The store's customer record with this email, and whether it has a login (a user account). */
  findCustomerAccount(email: string): Promise<{ id: string; hasAccount: boolean } | null>;
  /**
   * Makes a customer account for someone who has none, found by email before it is made.
   * `invite: false`: no invitation or verification email; `true`: the account waits for the
   * customer to set a password (see inviteCustomer).
   */
  createCustomerAccount(customer: Customer, opts: { invite: boolean }): Promise<{ id: string; created: boolean }>;
  /** Asks the store to send its own "set your password" invitation; says which kind it sent. */
  inviteCustomer(email: string): Promise<{ how: string }>;
  /** Adds those of `addresses` the customer does not have yet; returns how many were added. */
  addCustomerAddresses(customerId: string, addresses: Customer['addresses']): Promise<number>;
}

export interface StoreWebhooks {
  /**
   * Verifies a pushed event's signature over the exact bytes received, then decodes them as
   * strict UTF-8 (a body that is not is malformed); returns the parsed changes.
   */
  parseWebhook(rawBody: Uint8Array, headers: Record<string, string | undefined>): ChangeRef[];
}

/** One SKU's stock on its way in, as the store is to show it (inventory.incoming). */
export interface IncomingRow {
  sku: string;
  /** whole units on their way (0: none) */
  quantity: number;
  /** planned arrival (YYYY-MM-DD) or null */
  expectedDate: string | null;
  /** true: the store may sell up to `quantity` units beyond its stock as back-orders; false: not one beyond it */
  backorder: boolean;
}

/** Stock on its way in from the inventory system's purchases, shown on the store (inventory.incoming). */
export interface StoreIncoming {
  /**
   * Shows each row's incoming quantity and date on its SKU and lets the store sell back-orders up
   * to that quantity or not one (`backorder`); a row already shown so is not written again
   * (`written: false`). One result per SKU the store has; a row the store refuses fails alone.
   */
  setIncoming(rows: IncomingRow[]): Promise<StockWriteResult[]>;
}

/** A customer's details kept in step after the first match (master.customers), by the store's own id. */
export interface StoreCustomerEdits {
  /** The store's id of the customer with this email; null: none. */
  findCustomerId(email: string): Promise<string | null>;
  getCustomerById(id: string): Promise<Customer | null>;
  /** Makes the customer's name, email and phone these, and adds the addresses they lack (others are left). */
  updateCustomerDetails(id: string, customer: Customer): Promise<void>;
}

/**
 * What `dovetail reconcile` reads of the store beyond what the flows read already (products,
 * orders and order lines have their reads): what the store shows, in batches, so a whole catalogue
 * is compared in one call per page of SKUs rather than one per SKU.
 */
export interface StoreReconcile {
  /** Per SKU, how many units the store shows as its own stock count (what setAvailable last made it, or a hand edit); unknown SKUs are absent. */
  getAvailable(skus: string[]): Promise<Map<string, number>>;
  /** Codes of orders placed (or cancelled) at or after `sinceIso`, oldest first, in pages. */
  listOrderCodesSince(sinceIso: string, offset: number, limit: number): Promise<string[]>;
}

/** Every capability a store connector may carry, by the name it declares it under. */
export interface StoreCapabilities {
  catalogue: StoreCatalogue;
  stock: StoreStock;
  customers: StoreCustomers;
  orders: StoreOrders;
  fulfilment: StoreFulfilment;
  payments: StorePayments;
  orderChanges: StoreOrderChanges;
  offlineOrders: StoreOfflineOrders;
  accounts: StoreAccounts;
  webhooks: StoreWebhooks;
  images: ProductImages;
  taxes: SalesTaxes;
  shippingMethods: ShippingMethods;
  incoming: StoreIncoming;
  customerEdits: StoreCustomerEdits;
  reconcile: StoreReconcile;
}
export type StoreCapability = keyof StoreCapabilities;

/**
 * What every store connector carries: products, stock, customers and orders. The other
 * capabilities are declared in `capabilities` and reached through `capability()`.
 */
export interface StoreConnector extends ConnectorBase, StoreCatalogue, StoreStock, StoreCustomers, StoreOrders {
  readonly side: 'store';
  readonly capabilities: readonly StoreCapability[];
}

// a Record so that a group added to a side's interface cannot be left out of its list
const STORE_GROUPS: Record<StoreCapability, true> = { catalogue: true, stock: true, customers: true, orders: true, fulfilment: true,
  payments: true, orderChanges: true, offlineOrders: true, accounts: true, webhooks: true,
  images: true, taxes: true, shippingMethods: true, incoming: true, customerEdits: true,
  reconcile: true };
const INVENTORY_GROUPS: Record<InventoryCapability, true> = { catalogue: true, stock: true, customers: true, sales: true, shipments: true,
  payments: true, orderChanges: true, offlineSales: true,
  images: true, taxes: true, shippingMethods: true, incoming: true, customerEdits: true };

/** Every capability group of each side. */
export const ALL_CAPABILITIES = {
  store: Object.keys(STORE_GROUPS) as StoreCapability[],
  inventory: Object.keys(INVENTORY_GROUPS) as InventoryCapability[],
};

/** The groups every connector of a side must carry, whatever else it declares. */
export const CORE_CAPABILITIES = {
  store: ['catalogue', 'stock', 'customers', 'orders'],
  inventory: ['catalogue', 'stock', 'customers', 'sales'],
} as const satisfies { store: readonly StoreCapability[]; inventory: readonly InventoryCapability[] };

/**
 * The change feeds that belong to a capability beyond the core: a connector that does not carry it
 * is not asked for them (the engine skips the feed rather than read something else under its name).
 */
export const FEED_CAPABILITY: { store: Partial<Record<RecordKind, StoreCapability>>; inventory: Partial<Record<RecordKind, InventoryCapability>> } = {
  store: { payment: 'payments', refund: 'payments',
    images: 'images' },
  inventory: { shipment: 'shipments', sale: 'orderChanges', payment: 'payments', creditNote: 'payments', order: 'offlineSales', customer: 'offlineSales',
    images: 'images' },
};

/** A connector class that carries the groups `C` on top of its side's core. */
export type StoreConnectorWith<C extends StoreCapability> = StoreConnector & UnionToIntersection<StoreCapabilities[C]>;
export type InventoryConnectorWith<C extends InventoryCapability> = InventoryConnector & UnionToIntersection<InventoryCapabilities[C]>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** One order's answer from a read made for many (getOrderLines, getSaleLines); null when it has none. */
export async function oneOrder<T>(answers: Promise<Map<string, T>>, orderCode: string): Promise<T | null> {
  return (await answers).get(orderCode) ?? null;
}

/**
 * The group `group` of a connector, or one config error saying which rule needs what the
 * connector does not carry. The one way the engine reaches a capability beyond a side's core.
 */
export function capability<G extends StoreCapability>(connector: StoreConnector, group: G, needFor: string): StoreCapabilities[G];
export function capability<G extends InventoryCapability>(connector: InventoryConnector, group: G, needFor: string): InventoryCapabilities[G];
export function capability(connector: StoreConnector | InventoryConnector, group: string, needFor: string): unknown {
  if (!hasCapability(connector, group)) {
    throw new DovetailError('config', `the ${connector.system} connector does not carry ${group}: ${needFor}`, { detail: { system: connector.system, capability: group } });
  }
  // the descriptor's types (StoreConnectorWith / InventoryConnectorWith) hold the methods of every declared group
  return connector;
}

/** What the first of these connectors lacking its group does not carry, in words; null: each carries its group. */
export function lacking(...wanted: ([StoreConnector, StoreCapability] | [InventoryConnector, InventoryCapability])[]): string | null {
  const missing = wanted.find(([connector, group]) => !hasCapability(connector, group));
  return missing ? `the ${missing[0].system} connector does not carry ${missing[1]}` : null;
}

/** Whether a connector (or its descriptor) declares `group` (core groups always count). */
export function hasCapability(system: { side: 'store' | 'inventory'; capabilities: readonly string[] }, group: string): boolean {
  return (CORE_CAPABILITIES[system.side] as readonly string[]).includes(group) || system.capabilities.includes(group);
}

// ---- how a system is described to the rest of Dovetail (see registry.ts) -----------------------

/** Settings outside a connection block that a connector may need to be built. */
export interface SharedSettings {
  /** inventory.locations: warehouses whose stock is published (empty: the system's default) */
  locations: string[];
  /** rules.copyAddresses */
  copyAddresses: boolean;
}

/** One `dovetail init` question about a connection block; `key` is the block's own key. */
export interface SetupQuestion {
  key: string;
  topic: string;
  ask: string;
  default: string;
  because: string;
  comment: string;
  /** what a valid answer looks like, and what to say when it does not */
  pattern: RegExp;
  hint: string;
}

/** A connection key `init` writes as an environment reference, never as a value. */
export interface SetupSecret { key: string; env: string; comment?: string }

interface DescriptorBase<Block extends z.ZodObject> {
  /** the `type` of its connection block, the `system` of its connector */
  system: string;
  /** how people call it: 'Tryton', 'Adobe Commerce' */
  displayName: string;
  /** its connection block under systems.<side>, `type: z.literal(system)` included */
  connection: Block;
  /** what `dovetail init` asks and writes for it */
  setup: { questions: SetupQuestion[]; secrets: SetupSecret[] };
  /**
   * Checklist answers the system cannot carry out although it declares the groups they need, each
   * with why: where its API does part of a group only (Magento: no order edits). Keyed by setting
   * (`rules.orderEditsIn`: every answer) or setting and answer (`rules.settleFrom=inventory`). Only
   * answers that need something of this side are held to it.
   */
  cannotCarry?: Readonly<Record<string, string>>;
  /**
   * Answers the system carries out in part, keyed like `cannotCarry`, each with what it cannot do
   * of them and what Dovetail does then (Magento: cancels only the whole rest of an order). The
   * answer stays carried out; its row says this.
   */
  carriesInPart?: Readonly<Record<string, string>>;
}

export interface StoreSystem<Block extends z.ZodObject = z.ZodObject> extends DescriptorBase<Block> {
  side: 'store';
  capabilities: readonly StoreCapability[];
  create(connection: z.output<Block>, settings: SharedSettings): StoreConnector;
}

export interface InventorySystem<Block extends z.ZodObject = z.ZodObject> extends DescriptorBase<Block> {
  side: 'inventory';
  capabilities: readonly InventoryCapability[];
  create(connection: z.output<Block>, settings: SharedSettings): InventoryConnector;
}

export type SystemDescriptor = StoreSystem | InventorySystem;

/** Describes a store; the type check holds `create` to carry every method of every declared capability. */
export function storeSystem<Block extends z.ZodObject, C extends StoreCapability>(d: DescriptorBase<Block> & {
  capabilities: readonly C[];
  create(connection: z.output<Block>, settings: SharedSettings): StoreConnectorWith<C>;
}): StoreSystem<Block> {
  return { ...d, side: 'store' };
}

/** Describes an inventory system, held to its declared capabilities like storeSystem. */
export function inventorySystem<Block extends z.ZodObject, C extends InventoryCapability>(d: DescriptorBase<Block> & {
  capabilities: readonly C[];
  create(connection: z.output<Block>, settings: SharedSettings): InventoryConnectorWith<C>;
}): InventorySystem<Block> {
  return { ...d, side: 'inventory' };
}

/** What `init` accepts as a system's address. */
export const HTTP_ADDRESS = /^https?:\/\/\S+$/;
