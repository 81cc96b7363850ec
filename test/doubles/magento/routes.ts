// The Admin REST operations the double carries, by the schema's operationId: each reads the already
// validated request, applies Magento's rules through the state, and answers as Magento spells it.
import { creditMemoJson, customerJson, invoiceJson, orderJson, productJson, shipmentJson, sourceItemJson, type Json } from './documents.js';
import { readCriteria, search } from './search.js';
import { CURRENCY, MagentoRefusal, notFound, type CommentIn, type MagentoState, type Product } from './state.js';
import type { FakeMagento } from './server.js';

export type Answer = unknown;
export interface Call { state: MagentoState; params: Record<string, string>; query: URLSearchParams; body: unknown; storeCode: string; fake: FakeMagento }

/** Bodies here have passed the schema check: their keys and types are the declared ones. */
type Body = Record<string, unknown>;
const body = (c: Call) => (c.body ?? {}) as Body;
const minor = (n: unknown) => Math.round(Number(n) * 100);
const listing = (c: Call, rows: Json[]) => search(rows, readCriteria(c.query));
const itemsOf = (b: Body) => (b.items as { order_item_id: number; qty: number }[] | undefined) ?? [];
const tracksOf = (b: Body) => (b.tracks as { track_number: string; title: string; carrier_code: string }[] | undefined) ?? [];
const commentOf = (b: Body) => (b.appendComment === false ? undefined : (b.comment as CommentIn | undefined));

interface ProductIn { sku?: string; name?: string; price?: number; status?: number; visibility?: number; type_id?: string; attribute_set_id?: number; weight?: number;
  custom_attributes?: { attribute_code: string; value: string }[]; extension_attributes?: { configurable_product_links?: number[] } }

function saveProduct(c: Call, sku: string): Product {
  const p = (body(c).product ?? {}) as ProductIn;
  if (p.sku !== undefined && p.sku !== sku) throw new MagentoRefusal(400, 'The "%1" SKU doesn\'t match the SKU in the path.', [p.sku]);
  if (p.type_id !== undefined && p.type_id !== 'simple' && p.type_id !== 'configurable') throw new MagentoRefusal(400, 'Invalid product type "%1".', [p.type_id]);
  const links = p.extension_attributes?.configurable_product_links;
  for (const id of links ?? []) {
    if (![...c.state.products.values()].some((x) => x.id === id && x.typeId === 'simple')) throw new MagentoRefusal(400, 'Product with id "%1" does not exist.', [String(id)]);
  }
  return c.state.saveProduct(sku, {
    name: p.name, children: links, priceMinor: p.price === undefined ? undefined : minor(p.price), status: p.status, visibility: p.visibility,
    typeId: p.type_id as Product['typeId'] | undefined, attributeSetId: p.attribute_set_id, weight: p.weight,
    custom: Object.fromEntries((p.custom_attributes ?? []).map((a) => [a.attribute_code, String(a.value)])),
  });
}

const orderOf = (c: Call, name: string) => c.state.order(Number(c.params[name]));

export const ROUTES: Record<string, (c: Call) => Answer> = {
  GetV1StoreStoreConfigs: () => [{
    id: 1, code: 'default', website_id: 1, locale: 'en_US', base_currency_code: CURRENCY, default_display_currency_code: CURRENCY, timezone: 'UTC', weight_unit: 'kgs',
    base_url: 'http://shop.test/', base_link_url: 'http://shop.test/', base_static_url: 'http://shop.test/static/', base_media_url: 'http://shop.test/media/',
    secure_base_url: 'https://shop.test/', secure_base_link_url: 'https://shop.test/', secure_base_static_url: 'https://shop.test/static/', secure_base_media_url: 'https://shop.test/media/',
  }],

  // ---------- catalogue and stock ----------
  GetV1Products: (c) => listing(c, [...c.state.products.values()].map(productJson)),
  GetV1ProductsSku: (c) => {
    const p = c.state.products.get(c.params.sku!);
    if (!p) throw notFound('The product that was requested doesn\'t exist. Verify the product and try again.');
    return productJson(p);
  },
  PostV1Products: (c) => {
    const sku = ((body(c).product ?? {}) as ProductIn).sku;
    if (!sku) throw new MagentoRefusal(400, 'The value of attribute "%1" must be set.', ['sku']);
    return productJson(saveProduct(c, sku));
  },
  PutV1ProductsSku: (c) => productJson(saveProduct(c, c.params.sku!)),
  GetV1InventorySourceitems: (c) => listing(c, c.state.sourceItems.map(sourceItemJson)),
  PostV1InventorySourceitems: (c) => {
    const rows = (body(c).sourceItems as { sku: string; source_code: string; quantity: number; status: number }[] | undefined) ?? [];
    // Magento saves the batch in one transaction: one refused row refuses the whole batch
    const before = c.state.sourceItems.map((s) => ({ ...s }));
    try {
      for (const r of rows) c.state.saveSourceItem({ sku: r.sku, sourceCode: r.source_code, quantity: r.quantity, status: r.status });
    } catch (err) {
      c.state.sourceItems.splice(0, c.state.sourceItems.length, ...before);
      throw err;
    }
    return [];
  },
  GetV1InventoryGetproductsalablequantitySkuStockId: (c) => {
    const sku = c.params.sku!;
    if (!c.state.products.has(sku)) throw new MagentoRefusal(400, 'The product that was requested doesn\'t exist. Verify the product and try again.');
    if (Number(c.params.stockId) !== 1) throw notFound('Stock with id "%1" does not exist.', c.params.stockId!);
    return c.state.salable(sku);
  },

  // ---------- customers ----------
  GetV1CustomersSearch: (c) => listing(c, c.state.customers.map(customerJson)),

  // ---------- orders and their documents ----------
  GetV1Orders: (c) => listing(c, c.state.orders.map((o) => orderJson(c.state, o))),
  GetV1OrdersId: (c) => orderJson(c.state, orderOf(c, 'id')),
  GetV1Invoices: (c) => listing(c, c.state.invoices.map(invoiceJson)),
  GetV1Shipments: (c) => listing(c, c.state.shipments.map(shipmentJson)),
  GetV1Creditmemos: (c) => listing(c, c.state.creditMemos.map(creditMemoJson)),
  PostV1OrderOrderIdInvoice: (c) => {
    const b = body(c);
    return c.state.invoice(orderOf(c, 'orderId'), itemsOf(b), b.capture === true, commentOf(b)).entityId;
  },
  PostV1OrderOrderIdShip: (c) => {
    const b = body(c);
    return c.state.ship(orderOf(c, 'orderId'), itemsOf(b), tracksOf(b), commentOf(b)).entityId;
  },
  PostV1InvoiceInvoiceIdRefund: (c) => {
    const b = body(c);
    const invoice = c.state.invoices.find((i) => i.entityId === Number(c.params.invoiceId));
    if (!invoice) throw notFound('The entity that was requested doesn\'t exist. Verify the entity and try again.');
    return c.state.refund(c.state.order(invoice.orderId), invoice, itemsOf(b), (b.arguments ?? {}) as Body, b.isOnline === true, commentOf(b)).entityId;
  },
  PostV1OrderOrderIdRefund: (c) => {
    const b = body(c);
    return c.state.refund(orderOf(c, 'orderId'), null, itemsOf(b), (b.arguments ?? {}) as Body, false, commentOf(b)).entityId;
  },
  PostV1OrdersIdCancel: (c) => c.state.cancel(orderOf(c, 'id')),
  PostV1OrdersIdComments: (c) => {
    const history = body(c).statusHistory as { comment: string; is_customer_notified?: number; is_visible_on_front?: number; status?: string };
    c.state.addHistory(orderOf(c, 'id'), history);
    return true;
  },

  // ---------- the async bulk API's status ----------
  GetV1BulkBulkUuidStatus: (c) => {
    const status = c.fake.bulkStatus(c.params.bulkUuid!);
    if (!status) throw notFound('Bulk summary not found with uuid: %1', c.params.bulkUuid!);
    return status;
  },
};
