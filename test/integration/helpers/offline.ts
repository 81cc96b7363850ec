// Tryton as a clerk uses it: a phone customer (party with email and address) and a sale typed
// in directly, quoted and confirmed by hand. For the offline-order, quote and customer suites.
import Database from 'better-sqlite3';
import { dec, type TrytonClient } from '../../../src/connectors/tryton/client.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { GqlClient } from './systems.js';

export async function phoneCustomer(t: TrytonClient, name: string, email: string | null, street = '7 Harbour Road'): Promise<{ party: number; address: number }> {
  const [us] = await t.search('country.country', [['code', '=', 'US']], { limit: 1 });
  const country = us ?? (await t.create('country.country', [{ code: 'US', name: 'United States' }]))[0];
  const [party] = await t.create('party.party', [{ name,
    addresses: [['create', [{ street, city: 'Portland', postal_code: '97201', country }]]],
    ...(email ? { contact_mechanisms: [['create', [{ type: 'email', value: email }]]] } : {}) }]);
  const [address] = await t.search('party.address', [['party', '=', party]]);
  return { party, address };
}

/** A sale entered in Tryton: draft, then `quote`, then (unless `until: 'quotation'`) `confirm`. */
export async function offlineSale(t: TrytonClient, customer: { party: number; address: number }, lines: { product: number; quantity: number; price: string }[],
  opts: { until?: 'draft' | 'quotation' | 'confirmed'; reference?: string } = {}): Promise<number> {
  const [wh] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1 });
  const [term] = await t.search('account.invoice.payment_term', [], { limit: 1 });
  const unit = await t.xmlId('product', 'uom_unit');
  const [sale] = await t.create('sale.sale', [{ party: customer.party, invoice_address: customer.address, shipment_address: customer.address, warehouse: wh,
    payment_term: term, reference: opts.reference ?? null, description: 'phone order',
    lines: [['create', lines.map((l) => ({ type: 'line', product: l.product, quantity: l.quantity, unit, unit_price: dec(l.price) }))]] }]);
  const until = opts.until ?? 'confirmed';
  if (until === 'draft') return sale;
  await t.button('sale.sale', 'quote', [sale]);
  if (until === 'confirmed') {
    await t.button('sale.sale', 'confirm', [sale]);
    // Tryton's worker processes a confirmed sale (moves, invoice) just after: wait for it, as a clerk would see it
    for (let i = 0; i < 100; i++) {
      const [s] = await t.read<{ state: string }>('sale.sale', [sale], ['state']).catch(() => [{ state: '' }]);
      if (s.state === 'processing') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return sale;
}

export async function saleNumber(t: TrytonClient, sale: number): Promise<string> {
  const [s] = await t.read<{ number: string }>('sale.sale', [sale], ['number']);
  return s.number;
}

/** Tryton's own view of a product's stock in the first warehouse. */
export async function trytonStock(t: TrytonClient, product: number) {
  const [wh] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1 });
  const [p] = await t.read<{ quantity: number; forecast_quantity: number }>('product.product', [product], ['quantity', 'forecast_quantity'], { locations: [wh] });
  return { onHand: p.quantity, forecast: p.forecast_quantity };
}

export interface StoreStock { onHand: number; allocated: number; saleable: number }
export async function storeStock(admin: GqlClient, sku: string): Promise<StoreStock> {
  const r = await admin<{ productVariants: { items: { stockOnHand: number; stockAllocated: number }[] } }>(
    `query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items { stockOnHand stockAllocated } } }`, { s: sku });
  const v = r.productVariants.items[0];
  return { onHand: v.stockOnHand, allocated: v.stockAllocated, saleable: v.stockOnHand - v.stockAllocated };
}

export interface StoreOrderRow {
  code: string; state: string; active: boolean; orderPlacedAt: string | null; totalWithTax: number;
  customFields: { placedOfflineAs: string | null; dovetailOfflineRef: string | null };
  customer: { id: string; emailAddress: string } | null;
  lines: { quantity: number; productVariant: { sku: string } }[];
  payments: { method: string; state: string; amount: number; transactionId: string | null }[] | null;
  shippingLines: { priceWithTax: number; shippingMethod: { code: string } }[];
}
const ORDER_ROW = `code state active orderPlacedAt totalWithTax customFields { placedOfflineAs dovetailOfflineRef } customer { id emailAddress }
  lines { quantity productVariant { sku } } payments { method state amount transactionId } shippingLines { priceWithTax shippingMethod { code } }`;

/** Every store order mirroring a Tryton sale (any state, drafts included). */
export async function storeOrdersForSale(admin: GqlClient, saleId: number): Promise<StoreOrderRow[]> {
  const r = await admin<{ orders: { items: StoreOrderRow[] } }>(`query($r: String!) { orders(options: { filter: { dovetailOfflineRef: { eq: $r } } }) { items { ${ORDER_ROW} } } }`, { r: `tryton:${saleId}` });
  return r.orders.items;
}

export async function allStoreOrders(admin: GqlClient): Promise<StoreOrderRow[]> {
  const r = await admin<{ orders: { items: StoreOrderRow[] } }>(`{ orders(options: { take: 100 }) { items { ${ORDER_ROW} } } }`);
  return r.orders.items;
}

/** The store's order history of the customer with this email (as the customer sees it in their account). */
export async function customerOrderCodes(admin: GqlClient, email: string): Promise<string[]> {
  const r = await admin<{ customers: { items: { orders: { items: { code: string }[] } }[] } }>(
    `query($e: String!) { customers(options: { filter: { emailAddress: { eq: $e } } }) { items { orders { items { code } } } } }`, { e: email });
  return r.customers.items[0]?.orders.items.map((o) => o.code) ?? [];
}

/** A shopper who registered on the store with a password (has a login). */
export async function registeredShopper(admin: GqlClient, email: string, firstName: string, lastName: string): Promise<string> {
  const r = await admin<{ createCustomer: { id: string } }>(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i, password: "shopper-password-1") { ... on Customer { id } } }`,
    { i: { emailAddress: email, firstName, lastName } });
  return r.createCustomer.id;
}

/** What Vendure stored for a customer's login: the tokens its emails would carry (no email server needed). */
export function vendureLoginRow(dbFile: string, email: string): { verificationToken: string | null; passwordResetToken: string | null; passwordHash: string } | undefined {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT verificationToken, passwordResetToken, passwordHash FROM authentication_method WHERE identifier = ?`).get(email) as
      { verificationToken: string | null; passwordResetToken: string | null; passwordHash: string } | undefined;
  } finally {
    db.close();
  }
}

/**
 * Ticks until no job is waiting (a retry after a passing failure included, within `timeoutMs`):
 * the shared test Tryton sometimes answers an empty error while another suite opens a database,
 * and Dovetail retries it a second later. Only waits: every outcome is still asserted by the test.
 */
export async function settle(engine: Engine, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await engine.tick();
    if (!(await engine.ctx.storage.jobs({ state: 'pending' })).length || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}
