// What the contract suite needs from each system it checks: the connector under test, and a small
// driver that arranges facts in that system the way its own users would (a shopper, a clerk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../src/errors.js';
import type { ChangePage, InventoryConnector, RecordKind, StoreConnector } from '../../src/connectors/types.js';
import type { Customer } from '../../src/model/customer.js';
import type { Order } from '../../src/model/order.js';
import type { Product } from '../../src/model/product.js';

/**
 * Keys that changed together, more of them than the connector reads in one page, stamped alike
 * (`sharedStamp`) where the system can be made to: a bulk import within one stamp is where feeds
 * that page by time lose rows.
 */
export interface ManyRows { kind: RecordKind; keys: string[]; sharedStamp: boolean }

/** A webhook body exactly as the store would push it, signed with the connector's secret. */
export interface SignedWebhook { body: Uint8Array; headers: Record<string, string | undefined> }

export interface StoreDriver {
  /** The store's currency (products are priced in it). */
  currency: string;
  /** A product row with this SKU that the store will refuse (arranged so, where it takes arranging), to see it fail alone. */
  refusedProduct(sku: string): Promise<Product>;
  /** A stock row for this SKU (on sale already) that the store will refuse, to see it fail alone. */
  refusedStock(sku: string): Promise<{ sku: string; available: number }>;
  /** A registered customer with this email. */
  customer(email: string): Promise<void>;
  /** A placed order of these units (the SKUs on sale with stock), paid by card: `settle` captures at checkout, otherwise only authorised. */
  order(lines: { sku: string; quantity: number }[], opts: { email: string; settle: boolean }): Promise<string>;
  /** A webhook the store would push about a change to the order with this code. */
  signedWebhook(orderCode: string): SignedWebhook;
  /** The headers the store would send with these bytes, signed with the connector's secret. */
  signedHeaders(body: Uint8Array): Record<string, string | undefined>;
  /** More rows than a page in one of the store's change feeds. */
  manyRows(): Promise<ManyRows>;
}

export interface StoreWorld { connector: StoreConnector; driver: StoreDriver; close(): Promise<void> }

export interface StoreSubject {
  /** how the test names read: 'Vendure', 'Shopify double', … */
  name: string;
  /** the groups the system's descriptor declares (known before it starts: tests are named by them) */
  declared: readonly string[];
  /** One system for the whole file: the checks arrange their own facts in it, under distinct keys. */
  open(): Promise<StoreWorld>;
  /**
   * The declared groups whose promises are checked here ('feeds': readChanges paging); a declared
   * group missing from it is said in the run's output to be unchecked (its driver cannot arrange
   * its facts yet). Undeclared groups are always checked: capability() must refuse them.
   */
  checked: readonly string[];
  /**
   * What the store's API has no call for, so its connector refuses it (permanent, detail.refusal 'conflict') saying why,
   * and the suite checks that refusal instead: 'orderEdits' (raiseOrderQuantities; `cannotCarry`
   * must then name rules.orderEditsIn, so check says so), 'partialCancellation' (cancelOrderUnits
   * of fewer than every unit left: the store cancels only the whole rest).
   */
  refuses?: readonly ('orderEdits' | 'partialCancellation')[];
  /** the descriptor's `cannotCarry` */
  cannotCarry?: Readonly<Record<string, string>>;
}

export interface InventoryDriver {
  /** A product on sale with `onHand` units in the published warehouse. */
  product(sku: string, onHand: number): Promise<void>;
  /** The warehouse ships what it has of the order's sale (a partial shipment when stock is short). */
  ship(orderCode: string): Promise<void>;
  /** A sale a clerk entered by phone for a new customer with this email, confirmed; its id. */
  phoneSale(email: string, lines: { sku: string; quantity: number }[]): Promise<string>;
  /** More rows than a page in one of the inventory's change feeds. */
  manyRows(): Promise<ManyRows>;
  /** A confirmed purchase of `quantity` units into the published warehouse, planned for `day` (YYYY-MM-DD); needed to check `incoming`. */
  purchase?(sku: string, quantity: number, day: string): Promise<void>;
  /** The currency the inventory keeps its books in (web orders come in it). */
  currency: string;
}

export interface InventoryWorld { connector: InventoryConnector; driver: InventoryDriver; close(): Promise<void> }

export interface InventorySubject {
  name: string;
  declared: readonly string[];
  open(): Promise<InventoryWorld>;
  checked: readonly string[];
  /** the descriptor's `cannotCarry` */
  cannotCarry?: Readonly<Record<string, string>>;
}

/** A customer of the suite's own making, distinct per call. */
export function someCustomer(tag: string): Customer {
  return { email: `contract-${tag}@example.com`, firstName: 'Conny', lastName: `Contract ${tag}`, phone: '+1 555 0100',
    addresses: [{ fullName: `Conny Contract ${tag}`, street1: '1 Contract Way', city: 'Portland', postalCode: '97201', countryCode: 'US' }] };
}

/** A web order as a store hands it over, in canonical terms: lines at `unitNetMinor` each, taxed at 10 %, no shipping charge. */
export function someOrder(code: string, currency: string, customer: Customer, lines: { sku: string; quantity: number; unitNetMinor: number }[]): Order {
  const orderLines = lines.map((l) => {
    const net = l.unitNetMinor * l.quantity;
    return { sku: l.sku, name: `Product ${l.sku}`, quantity: l.quantity, unitPriceMinor: l.unitNetMinor, lineNetMinor: net, lineTaxMinor: Math.round(net / 10), taxRatePercent: 10 };
  });
  const net = orderLines.reduce((n, l) => n + l.lineNetMinor, 0), tax = orderLines.reduce((n, l) => n + l.lineTaxMinor, 0);
  return { code, channel: 'default', placedAt: new Date().toISOString(), currency, customer, shippingAddress: customer.addresses[0]!, billingAddress: null,
    lines: orderLines, shipping: [], discounts: [], totalNetMinor: net, totalTaxMinor: tax, totalMinor: net + tax, state: 'placed', status: 'placed', placedOffline: false };
}

/** A new product in canonical terms, its own group, on sale. */
export function someProduct(sku: string, priceMinor: number, currency: string): Product {
  return { sku, groupKey: sku, fields: { names: { name: `Product ${sku}`, variantName: sku }, prices: { priceMinor, currency }, availability: { enabled: true } } };
}

/** The paging promise of readChanges, the same on both sides: every row arrives, each page moving the cursor forward. */
export function feedPagingCheck(name: string, manyRows: () => Promise<ManyRows>, readChanges: (kind: RecordKind, cursor: string | null) => Promise<ChangePage>): void {
  test('readChanges: more rows than one page, sharing one stamp where the system can make them so, all arrive, each page moving the cursor forward', async (t) => {
    const { kind, keys, sharedStamp } = await manyRows();
    if (!sharedStamp) t.diagnostic(`${name} cannot stamp rows alike: paging across rows sharing one stamp is not checked here`);
    const { keys: seen, pages } = await readWholeFeed((c) => readChanges(kind, c), null);
    assert.ok(pages > 1, 'the rows took more than one page');
    const missing = keys.filter((k) => !seen.has(k));
    assert.equal(missing.length, 0, `every row arrived (missing ${missing.slice(0, 5).join(', ')}…)`);
  });
}

/** Reads a feed from `cursor` until it says there is no more, checking that every page moves on. */
export async function readWholeFeed(read: (cursor: string | null) => Promise<{ changes: { key: string }[]; cursor: string; more: boolean }>, cursor: string | null, maxPages = 100) {
  const keys = new Set<string>();
  const cursors: string[] = [];
  let pages = 0;
  for (;;) {
    const page = await read(cursor);
    pages++;
    for (const c of page.changes) keys.add(c.key);
    if (!page.more) return { keys, cursor: page.cursor, pages };
    // a page that asks to be followed must lead somewhere new, or the reader would go round forever
    if (page.cursor === cursor || cursors.includes(page.cursor)) throw new Error(`page ${pages} says "more" but answers a cursor given before: the feed does not move forward`);
    cursors.push(page.cursor);
    cursor = page.cursor;
    if (pages >= maxPages) throw new Error(`the feed still says "more" after ${maxPages} pages`);
  }
}

/** Every item of an offset-paged listing, a small page at a time. */
export async function listEverything(list: (offset: number, limit: number) => Promise<string[]>, limit = 50): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0; ; offset += limit) {
    const page = await list(offset, limit);
    out.push(...page);
    if (page.length < limit) return out;
  }
}

/**
 * The connector with each call that fails as transient tried again, a second apart, as the engine
 * would: for a server shared with other test files, which now and then answers an empty error
 * while another file opens its database. Every write it repeats is one the contract makes safe to repeat.
 */
export function retryingTransient<C extends object>(connector: C, attempts = 4): C {
  return new Proxy(connector, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
        const first = call();
        if (!(first instanceof Promise)) return first;
        const again = (left: number) => (err: unknown): Promise<unknown> => {
          if (left <= 0 || !(err instanceof DovetailError && err.kind === 'transient')) return Promise.reject(err);
          return new Promise((r) => setTimeout(r, 1_000)).then(() => (call() as Promise<unknown>).catch(again(left - 1)));
        };
        return first.catch(again(attempts - 1));
      };
    },
  });
}
