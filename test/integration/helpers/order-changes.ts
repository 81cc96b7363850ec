// A shop for the order-change tests (cancellations, returns, edits): a fresh Tryton database and
// Vendure, Dovetail ticked in-process under the given rules, products on sale, and readers of
// both sides' orders and money.
import { decimalString, type TrytonClient } from '../../../src/connectors/tryton/client.js';
import type { Engine } from '../../../src/engine/engine.js';
import { decimalToMinor } from '../../../src/model/money.js';
import type { OperatorOrder } from './vendure-operator.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin, until } from './dovetail.js';

export interface Shop {
  tdb: TrytonDatabase; vendure: VendureInstance; t: TrytonClient; admin: GqlClient; engine: Engine;
  /** Tryton product ids by SKU */
  products: Map<string, number>;
  close(): Promise<void>;
}

/** Products (SKU, price, stock in Tryton) made in Tryton and brought to Vendure by Dovetail under `rules`. */
export async function openShop(rules: Record<string, unknown>, products: { sku: string; price: string; stock: number }[]): Promise<Shop> {
  const tdb = await freshTrytonDatabase();
  const vendure = await startVendure();
  const t = await trytonAdmin(tdb);
  const admin = await adminGql(vendure.url);
  const engine = await engineFor(settingsFor(tdb, vendure, { rules }).config);
  const ids = new Map<string, number>();
  for (const p of products) {
    const id = await createTrytonProduct(t, p.sku, `Product ${p.sku}`, p.price);
    if (p.stock) await receiveStock(t, id, p.stock);
    ids.set(p.sku, id);
  }
  await tickUntil(engine, 'every product on sale in Vendure', async () => (await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(
    `{ productVariants(options: { take: 100 }) { items { sku stockOnHand } } }`)).productVariants.items.filter((v) => v.stockOnHand > 0).length
    === products.filter((p) => p.stock > 0).length);
  return { tdb, vendure, t, admin, engine, products: ids, close: async () => { await engine.ctx.storage.close(); await vendure.stop(); } };
}

/** Ticks the engine until `fn` holds (an attempt that met a busy server is retried after its backoff). */
export async function tickUntil<T>(engine: Engine, what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  return until(what, async () => { await engine.tick(); return fn(); }, timeoutMs);
}

const address = { fullName: 'Cy Customer', streetLine1: '5 Elm St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };

/** A web order placed and imported into Tryton as a processing sale. `settle`: the card is charged at checkout. */
/** A customer checks out in Vendure (paid at once with `settle`, else authorised); Dovetail has not seen it yet. */
export const checkout = (shop: Shop, lines: { sku: string; quantity: number }[], opts: { settle?: boolean; email?: string } = {}) =>
  shopCheckout(shop.vendure.url, { email: opts.email ?? `cy-${Date.now()}@example.com`, firstName: 'Cy', lastName: 'Customer', address,
    paymentMethod: opts.settle ? 'dummy-settle' : undefined, lines });

/** A checkout, imported by Dovetail. */
export async function placeOrder(shop: Shop, lines: { sku: string; quantity: number }[], opts: { settle?: boolean; email?: string } = {}) {
  const order = await checkout(shop, lines, opts);
  const sale = await tickUntil(shop.engine, `order ${order.code} imported`, async () => (await salesFor(shop.t, order.code)).find((s) => s.state === 'processing'));
  // one more pass: the baseline of both sides' lines is taken right after the import
  await shop.engine.tick();
  return { order, saleId: sale.id };
}

/** The order as Vendure's admin shows it (one reader for the operator helpers and these tests). */
export { operatorOrder as vendureOrder, type OperatorOrder as VendureOrder } from './vendure-operator.js';

export const quantityOf = (o: OperatorOrder, sku: string) => o.lines.filter((l) => l.productVariant.sku === sku).reduce((n, l) => n + l.quantity, 0);
export const refundsOf = (o: OperatorOrder) => o.payments.flatMap((p) => p.refunds).filter((r) => r.state !== 'Failed');

/** Succeeded payments against the sale: received (receivable) and paid out (payable), in minor units. */
export async function trytonMoney(t: TrytonClient, saleId: number) {
  const rows = await t.searchRead<{ state: string; kind: string; amount: unknown }>('account.payment', [['origin', '=', `sale.sale,${saleId}`]], ['state', 'kind', 'amount']);
  const sum = (kind: string) => rows.filter((p) => p.kind === kind && p.state === 'succeeded').reduce((n, p) => n + decimalToMinor(decimalString(p.amount)), 0);
  return { count: rows.length, received: sum('receivable'), paidOut: sum('payable') };
}

/** Units of `sku` the Tryton sale's lines ask for (amended quantities; Dovetail's service lines left out). */
export async function trytonQuantity(t: TrytonClient, saleId: number, sku: string): Promise<number> {
  const lines = await t.searchRead<{ quantity: number; product: number | null }>('sale.line', [['sale', '=', saleId], ['product.code', '=', sku]], ['quantity', 'product']);
  return lines.reduce((n, l) => n + Number(l.quantity), 0);
}

/** The order's open conflicts as Dovetail shows them. */
export async function conflictsOf(engine: Engine, code: string) {
  return (await engine.ctx.storage.conflicts()).filter((c) => c.recordKey === code);
}
