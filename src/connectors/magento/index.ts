// The Magento 2 / Adobe Commerce store connector over the Admin REST API: each area in its own file
// (reads, writes, fulfilment, payments, order-changes); this class only wires them, with the descriptor.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import type { CaptureResult, OrderMoney, RefundResult } from '../../model/payment.js';
import type { FieldGroup, Product } from '../../model/product.js';
import type { StoreShipment } from '../../model/shipment.js';
import { HTTP_ADDRESS, storeSystem, type ChangePage, type RecordKind, type StockWriteResult, type StoreCapability, type StoreConnector, type WriteResult } from '../types.js';
import { MagentoClient } from './client.js';
import type { FetchLike } from '../fetch.js';
import { recordShipment } from './fulfilment.js';
import type { WeightUnit } from './mappers.js';
import * as changes from './order-changes.js';
import * as money from './payments.js';
import * as reads from './reads.js';
import type { MagentoContext } from './reads.js';
import { setAvailable, upsertProducts } from './writes.js';
import { callsAtOnceSetting } from '../calls-at-once.js';

/**
 * What Magento's Admin REST API lets Dovetail carry. Not offline orders or accounts (orders can be
 * made there only through carts, not carried here yet) and not webhooks (open-source Magento sends none: orders are polled).
 */
export const MAGENTO_CAPABILITIES = ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges'] as const satisfies readonly StoreCapability[];

export interface MagentoConnectorOptions {
  /** the shop's base address, e.g. https://shop.example.com */
  url: string;
  accessToken: string;
  /** the store view calls speak for (default `default`) */
  storeCode?: string;
  /** the MSI source stock is written to (default `default`, the single source) */
  sourceCode?: string;
  /** the MSI stock salable quantities are read from (default 1) */
  stockId?: number;
  callsAtOnce?: number;
  /** rows per listing call (default 200) */
  pageSize?: number;
  /** seconds a poll reads again behind its newest stamp (default 120) */
  pollOverlapSeconds?: number;
  now?: () => number;
  /** waits between bulk status reads */
  sleep?: (ms: number) => Promise<void>;
  /** bulk status reads before a bulk still open is left to the next attempt (default 30) */
  bulkLooks?: number;
  fetch?: FetchLike;
}

const StoreConfig = z.array(z.object({ code: z.string(), base_currency_code: z.string(), weight_unit: z.string().nullish() }));

export class MagentoConnector implements StoreConnector {
  readonly system = 'magento';
  readonly side = 'store' as const;
  readonly capabilities = MAGENTO_CAPABILITIES;
  readonly client: MagentoClient;
  private readonly ctx: MagentoContext;
  private view: { currency: string; weightUnit: WeightUnit } | undefined;

  constructor(opts: MagentoConnectorOptions) {
    this.client = new MagentoClient({ url: opts.url, accessToken: opts.accessToken, storeCode: opts.storeCode, fetch: opts.fetch, callsAtOnce: opts.callsAtOnce });
    this.ctx = {
      client: this.client,
      storeView: async () => (this.view ??= await this.readStoreView()),
      pageSize: opts.pageSize ?? 200,
      overlapMs: (opts.pollOverlapSeconds ?? 120) * 1000,
      now: opts.now ?? Date.now,
      sourceCode: opts.sourceCode ?? 'default',
      stockId: opts.stockId ?? 1,
      bulkLooks: opts.bulkLooks ?? 30,
      sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  private async readStoreView(): Promise<{ currency: string; weightUnit: WeightUnit }> {
    const views = await this.client.request('GET', '/store/storeConfigs', StoreConfig);
    const view = views.find((v) => v.code === this.client.store);
    if (!view) throw new DovetailError('config', `magento.storeCode: Magento has no store view ${this.client.store} (it has ${views.map((v) => v.code).join(', ') || 'none'})`);
    return { currency: view.base_currency_code, weightUnit: view.weight_unit === 'lbs' ? 'lbs' : 'kgs' };
  }

  async ping(): Promise<{ version: string }> {
    this.view = await this.readStoreView();
    return { version: `Magento Admin REST (store view ${this.client.store}, ${this.view.currency})` };
  }

  readChanges(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    if (kind === 'payment' || kind === 'refund') return money.moneyChanges(this.ctx, kind, cursor);
    return reads.readChanges(this.ctx, kind, cursor);
  }

  // catalogue, stock, customers, orders
  getProducts(skus: string[]): Promise<Map<string, Product>> { return reads.getProducts(this.ctx, skus); }
  listSkus(offset: number, limit: number): Promise<string[]> { return reads.listSkus(this.ctx, offset, limit); }
  upsertProducts(rows: { product: Product; groups: FieldGroup[] }[]): Promise<WriteResult[]> { return upsertProducts(this.ctx, rows); }
  setAvailable(rows: { sku: string; available: number }[]): Promise<StockWriteResult[]> { return setAvailable(this.ctx, rows); }
  getCustomer(email: string): Promise<Customer | null> { return reads.getCustomer(this.ctx, email); }
  listCustomerEmails(offset: number, limit: number): Promise<string[]> { return reads.listCustomerEmails(this.ctx, offset, limit); }
  getOrder(code: string): Promise<Order | null> { return reads.getOrder(this.ctx, code); }
  listOrderCodes(offset: number, limit: number): Promise<string[]> { return reads.listOrderCodes(this.ctx, offset, limit); }

  // fulfilment
  recordShipment(orderCode: string, shipment: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }> { return recordShipment(this.ctx, orderCode, shipment, opts); }

  // payments
  getPayments(orderCode: string): Promise<OrderMoney | null> { return money.getPayments(this.ctx, orderCode); }
  capturePayment(orderCode: string, amountMinor: number, key: string): Promise<CaptureResult> { return money.capturePayment(this.ctx, orderCode, amountMinor, key); }
  refundPayment(orderCode: string, amountMinor: number, key: string, note: string): Promise<RefundResult> { return money.refundPayment(this.ctx, orderCode, amountMinor, key, note); }

  // orderChanges
  getOrderLines(orderCodes: string[]): Promise<Map<string, OrderLinesState>> { return changes.getOrderLines(this.ctx, orderCodes); }
  cancelOrderUnits(orderCode: string, lines: { sku: string; quantity: number }[], opts: { kind: 'cancel' | 'return'; reason: string }) { return changes.cancelOrderUnits(this.ctx, orderCode, lines, opts); }
  async raiseOrderQuantities(orderCode: string): Promise<{ totalBeforeMinor: number; totalAfterMinor: number; state: string }> { return changes.raiseOrderQuantities(this.ctx, orderCode); }
  releaseAuthorisation(orderCode: string, note: string): Promise<{ releasedMinor: number }> { return changes.releaseAuthorisation(this.ctx, orderCode, note); }
}

/** `systems.store` when `type: magento`. */
const MagentoConnection = z.object({
  type: z.literal('magento'),
  /** the shop's base address; the client adds /rest/<storeCode>/V1/… */
  url: z.string().regex(HTTP_ADDRESS, { message: 'must be the shop\'s http(s) base address, e.g. https://shop.example.com' }),
  /** the integration's access token (System → Extensions → Integrations) */
  accessToken: z.string().min(1),
  /** the store view Dovetail speaks for (default `default`) */
  storeCode: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'must be a store view code, e.g. default' }).optional(),
  /** the MSI source stock is written to (default `default`, the single source) */
  sourceCode: z.string().min(1).optional(),
  /** the MSI stock salable quantities are read from (default 1, the default stock) */
  stockId: z.number().int().positive().optional(),
  /** requests Dovetail keeps open to the system at once; the rest wait their turn */
  callsAtOnce: callsAtOnceSetting,
}).strict();

export const magento = storeSystem({
  system: 'magento',
  displayName: 'Adobe Commerce (Magento)',
  connection: MagentoConnection,
  capabilities: MAGENTO_CAPABILITIES,
  cannotCarry: {
    'master.productAttributes': "Magento's configurable-product attributes are not written from the inventory system's attributes yet (nor read back): variants travel as simple products by SKU",
    'master.salesTaxes': "this connector does not read or write Magento's tax rates and rules (/V1/taxRates, /V1/taxRules) yet",
    'master.shippingMethods': "Magento's shipping methods are carrier modules configured in the store settings, which its REST API can list for a cart but not create or change",
    'master.priceLevels': 'Dovetail does not write Magento\'s customer-group (tier) prices yet, so level prices are not carried to or from Magento',
    'master.vendorsAndCosts=store': 'Dovetail does not read a Magento product\'s cost attribute or supplier yet, so costs kept in Magento are not copied',
    'rules.orderEditsIn': 'Magento has no API to change a placed order (its admin "Edit" makes a new order and cancels the old one), so units added on either side are not copied',
    'rules.returnsToStore': 'Magento shows returned units on an order only through the credit memo that refunds them; the refund is carried, the return is not shown on its own',
    'rules.settleFrom=inventory': 'Magento captures by invoicing items, not amounts: a payment entered in the inventory system is captured only when it comes to the shipped items not invoiced yet (or every item not invoiced)',
  },
  carriesInPart: {
    'rules.cancellationsIn': 'Magento cancels only everything of an order that is neither shipped nor invoiced, at once; cancelling some of the units still waiting while others stay to be shipped is refused and shown on the dashboard as a conflict to settle by hand',
  },
  create: (c) => new MagentoConnector({ url: c.url, accessToken: c.accessToken, storeCode: c.storeCode, sourceCode: c.sourceCode, stockId: c.stockId, callsAtOnce: c.callsAtOnce }),
  setup: {
    questions: [
      { key: 'url', topic: 'Magento shop address', ask: 'What is the base address of your Magento shop (e.g. https://shop.example.com)?', default: 'https://shop.example.com',
        because: 'the Admin REST API is served under <address>/rest/.', comment: 'the shop\'s base address (Admin REST API under /rest/<storeCode>/V1)',
        pattern: HTTP_ADDRESS, hint: 'an address starting with http:// or https://' },
    ],
    secrets: [
      { key: 'accessToken', env: 'MAGENTO_ACCESS_TOKEN', comment: 'the access token of the Magento integration made for Dovetail' },
    ],
  },
});
