// The contract every connector fills in. The engine only ever talks to these interfaces, so it
// never knows whether the store is Vendure or Shopify, or the inventory system Tryton or Odoo.
import type { Customer } from '../model/customer.js';
import type { Order } from '../model/order.js';
import type { FieldGroup, Product, ProductFields } from '../model/product.js';
import type { StockPosition } from '../model/stock.js';

export type RecordKind = 'product' | 'stock' | 'customer' | 'order';

/** A pointer to something that changed in a system. Jobs carry these keys, never payloads. */
export interface ChangeRef {
  kind: RecordKind;
  /** SKU for products and stock, email for customers, store order code for orders */
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

export type Capability =
  | 'products.read' | 'products.write' | 'stock.read' | 'stock.write'
  | 'customers.read' | 'customers.write' | 'orders.read' | 'orders.write'
  | 'webhooks';

interface ConnectorBase {
  /** 'tryton', 'vendure', … — also the `system` column of mappings and audit rows */
  readonly system: string;
  readonly capabilities: readonly Capability[];
  /** Checks the connection and credentials; throws a DovetailError of kind config when wrong. */
  ping(): Promise<{ version: string }>;
  /** Changes of `kind` since `cursor` (null: from the beginning). */
  readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage>;
  /** Current product data for these SKUs; unknown SKUs are absent from the map. */
  getProducts(skus: string[]): Promise<Map<string, Product>>;
  /** Every SKU, for a first full load, in pages. */
  listSkus(offset: number, limit: number): Promise<string[]>;
  close?(): Promise<void>;
}

export interface WriteResult { sku: string; created: boolean }

export interface InventoryConnector extends ConnectorBase {
  readonly side: 'inventory';
  /** Write the given field groups of products the inventory side does not own (e.g. descriptions). */
  writeProductFields(rows: { sku: string; fields: Partial<ProductFields> }[]): Promise<void>;
  getStock(skus: string[]): Promise<Map<string, StockPosition>>;
  /** Finds the party by email or creates it (with addresses); never makes a second one. */
  upsertCustomer(customer: Customer): Promise<{ id: string; created: boolean }>;
  /** The sale that carries this store order code, if one exists (the lookup before any create). */
  findSale(orderCode: string): Promise<{ id: string; state: string; totalMinor: number } | null>;
  /**
   * Creates the confirmed sale for a store order, or finishes one a crashed attempt left half
   * done. Idempotent: found by the order code before anything is created.
   */
  importOrder(order: Order, opts: { customerId: string; salesperson?: string }): Promise<{ id: string; created: boolean; totalMinor: number }>;
}

export interface StoreConnector extends ConnectorBase {
  readonly side: 'store';
  /** Create missing products/variants and write the given field groups; matched by SKU. */
  upsertProducts(rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]>;
  /** Make the store sell at most `available` of each SKU (its own open orders already deducted by it). */
  setAvailable(rows: { sku: string; available: number }[]): Promise<{ sku: string; written: boolean }[]>;
  /** The order as charged, or null when the store does not know the code. */
  getOrder(code: string): Promise<Order | null>;
  getCustomer(email: string): Promise<Customer | null>;
  /** Codes of placed orders, oldest first, for a first full load. */
  listOrderCodes(offset: number, limit: number): Promise<string[]>;
  /** Emails of registered customers, for a first full load. */
  listCustomerEmails(offset: number, limit: number): Promise<string[]>;
  /** Verifies a pushed event's signature over the raw body; returns the parsed changes. */
  parseWebhook?(rawBody: string, headers: Record<string, string | undefined>): ChangeRef[];
}
