// Dovetail's Vendure plugin: a transactional outbox of store events, delivered to Dovetail's webhook
// endpoint in order, signed, retried with backoff until a 2xx, across Vendure restarts; an event
// Dovetail refuses for good is set aside (refusedAt) so the ones after it keep flowing.
import { createHmac, randomUUID } from 'crypto';
import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Column, Entity, Index, IsNull, In } from 'typeorm';
import {
  Customer,
  CustomerEvent,
  DeepPartial,
  EventBus,
  FulfillmentHandler,
  FulfillmentStateTransitionEvent,
  Logger,
  Order,
  OrderLine,
  OrderLineEvent,
  OrderPlacedEvent,
  OrderStateTransitionEvent,
  PluginCommonModule,
  ProcessContext,
  ProductEvent,
  ProductVariant,
  ProductVariantEvent,
  RefundStateTransitionEvent,
  RequestContext,
  StockMovementEvent,
  TransactionalConnection,
  Type,
  VendureEntity,
  VendureEvent,
  VendurePlugin,
  LanguageCode,
} from '@vendure/core';
import { DovetailCapture, DovetailPaymentsResolver, dovetailPaymentsSchema } from './payments';
import { CustomerGroupPriceStrategy, GROUP_PRICES_FIELD } from './group-prices';

const loggerCtx = 'DovetailPlugin';

export interface DovetailPluginOptions {
  /** Dovetail's webhook endpoint; no URL = the plugin records and sends nothing. */
  url?: string;
  /** Shared secret for the `x-dovetail-signature` HMAC. */
  secret?: string;
  /** How often the delivery loop looks for due events (ms). */
  pollMs?: number;
}

/** The body Dovetail receives; it carries ids only, Dovetail reloads what it needs. */
export interface DovetailEventBody {
  id: string;
  event: string;
  at: string;
  orderCode?: string;
  state?: string;
  skus?: string[];
  email?: string;
  /** ShipmentNotification: the fulfilment the customer is to be told about, and Dovetail's ref of it */
  fulfillmentId?: string;
  ref?: string;
}

/** One event waiting for (or done with) delivery. Written in the same transaction as the change. */
@Entity()
export class DovetailOutboxEntry extends VendureEntity {
  constructor(input?: DeepPartial<DovetailOutboxEntry>) {
    super(input);
  }

  @Column({ type: 'varchar', length: 36 }) eventId: string;

  /** The exact JSON that is signed and sent, so every retry sends the same bytes. */
  @Column('text') body: string;

  @Column({ type: 'int', default: 0 }) attempts: number;

  @Column({ type: Date }) nextAttemptAt: Date;

  @Index()
  @Column({ type: Date, nullable: true }) deliveredAt: Date | null;

  @Column({ type: 'text', nullable: true }) lastError: string | null;

  /** Set when the receiver refused this event for good (see isRefusal): it is not sent again. */
  @Index()
  @Column({ type: Date, nullable: true }) refusedAt: Date | null;
}

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** 1 s, 2 s, 4 s … capped at 5 min, after the given number of failed attempts. */
export function backoffMs(failedAttempts: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, failedAttempts - 1), MAX_BACKOFF_MS);
}

/**
 * A 4xx answer refuses the event itself (malformed, too large): sending it again cannot help, and
 * waiting for it would hold back every later event. Not so 408 and 429 (try later), nor 401, 403
 * and 404: those say the URL or the secret is wrong, which every event would meet alike, so the
 * outbox waits for the settings to be fixed and then delivers everything in order.
 */
export function isRefusal(status: number): boolean {
  return status >= 400 && status < 500 && ![401, 403, 404, 408, 429].includes(status);
}

export function signature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

// OrderLineEvent and RefundStateTransitionEvent: a cancellation of some units (cancelOrder with
// lines, which is also how a return is recorded) changes no order state, and a refund does not
// touch the order row; without these Dovetail would not hear of either (see reads.ts).
const EVENTS = [OrderPlacedEvent, OrderStateTransitionEvent, OrderLineEvent, RefundStateTransitionEvent, ProductEvent, ProductVariantEvent, CustomerEvent,
  StockMovementEvent, FulfillmentStateTransitionEvent];

declare module '@vendure/core/dist/entity/custom-entity-fields' {
  interface CustomFulfillmentFields {
    /** Dovetail's id of the inventory shipment this fulfilment reports (found before one is created) */
    dovetailRef?: string | null;
    /** the day the goods left the warehouse (YYYY-MM-DD) */
    shippedOn?: string | null;
    /** rules.shipmentEmailsFrom: store — the store tells the customer when this fulfilment ships */
    notifyCustomer?: boolean | null;
  }
  interface CustomProductFields {
    /** the inventory system's key of the product (template) this one carries; Dovetail finds it by this before making one */
    dovetailGroupKey?: string | null;
  }
}

const fulfillmentField = (name: string, type: 'string' | 'boolean', label: string) => ({
  name, type, nullable: true, public: false, label: [{ languageCode: LanguageCode.en, value: label }],
});

/**
 * Fulfilments for shipments made in the inventory system. Like the manual handler (carrier as
 * `method`, `trackingCode`), plus Dovetail's reference of the shipment, its date and whether the
 * store is to tell the customer — written in the same insert as the fulfilment, so a fulfilment
 * Dovetail made can always be recognised, even after a crash before Dovetail recorded it.
 */
export const dovetailShipmentHandler = new FulfillmentHandler({
  code: 'dovetail-shipment',
  description: [{ languageCode: LanguageCode.en, value: 'Shipment made in the inventory system (reported by Dovetail)' }],
  args: {
    method: { type: 'string', required: false },
    trackingCode: { type: 'string', required: false },
    ref: { type: 'string', required: true },
    shippedOn: { type: 'string', required: false },
    notifyCustomer: { type: 'boolean', required: false },
  },
  createFulfillment: (_ctx, _orders, _lines, args) => ({
    method: args.method ?? '',
    trackingCode: args.trackingCode ?? '',
    customFields: { dovetailRef: args.ref, shippedOn: args.shippedOn ?? null, notifyCustomer: args.notifyCustomer === true },
  }),
});

const dimension = (name: string, label: string) => ({
  name, type: 'float' as const, nullable: true, label: [{ languageCode: LanguageCode.en, value: label }],
});

// What open purchase orders will bring in (inventory.incoming): written by Dovetail, public so a
// storefront can say "10 more arriving on 2026-12-14"; the date is the inventory's planned day.
const INCOMING_FIELDS = ['incomingQuantity', 'incomingDate'];
const incomingFields = () => [
  { name: 'incomingQuantity', type: 'int' as const, nullable: false, defaultValue: 0, public: true,
    label: [{ languageCode: LanguageCode.en, value: 'Incoming from purchase orders (Dovetail)' }] },
  { name: 'incomingDate', type: 'string' as const, nullable: true, public: true,
    label: [{ languageCode: LanguageCode.en, value: 'Incoming expected on (Dovetail)' }] },
];

@VendurePlugin({
  imports: [PluginCommonModule],
  entities: [DovetailOutboxEntry, DovetailCapture],
  // partial capture once per key (rules.capture: atShipment) and the money feed Dovetail polls
  adminApiExtensions: { schema: dovetailPaymentsSchema, resolvers: [DovetailPaymentsResolver] },
  compatibility: '^3.0.0',
  // Vendure has no native home for a variant's weight and size: Dovetail's connector reads and
  // writes these (master.productDimensions), so every store that installs the plugin has them.
  configuration: (config) => {
    // Slugs are for people and Vendure changes them to keep them unique; Dovetail finds the
    // product it made for an inventory template by this key instead, also after a crash.
    config.customFields.Product = [...(config.customFields.Product ?? []).filter((f) => f.name !== 'dovetailGroupKey'),
      { name: 'dovetailGroupKey', type: 'string', nullable: true, public: false, label: [{ languageCode: LanguageCode.en, value: 'Inventory product key (Dovetail)' }] }];
    config.customFields.ProductVariant = [...(config.customFields.ProductVariant ?? []).filter((f) => !['weight', 'length', 'width', 'height'].includes(f.name)),
      dimension('weight', 'Weight (kg)'), dimension('length', 'Length (cm)'), dimension('width', 'Width (cm)'), dimension('height', 'Height (cm)')];
    config.customFields.ProductVariant = [...config.customFields.ProductVariant.filter((f) => !INCOMING_FIELDS.includes(f.name)), ...incomingFields()];
    // Nor for what the shop pays for a variant and to whom (master.vendorsAndCosts): admin-only,
    // never in the Shop API, so customers never see them.
    config.customFields.ProductVariant = [...config.customFields.ProductVariant.filter((f) => !['dovetailCost', 'dovetailSupplier'].includes(f.name)),
      { name: 'dovetailCost', type: 'int', nullable: true, public: false, label: [{ languageCode: LanguageCode.en, value: 'Cost per unit, in cents (Dovetail)' }] },
      { name: 'dovetailSupplier', type: 'string', nullable: true, public: false, label: [{ languageCode: LanguageCode.en, value: 'Supplier (Dovetail)' }] }];
    config.customFields.Fulfillment = [...(config.customFields.Fulfillment ?? []).filter((f) => !['dovetailRef', 'shippedOn', 'notifyCustomer'].includes(f.name)),
      fulfillmentField('dovetailRef', 'string', 'Dovetail shipment reference'), fulfillmentField('shippedOn', 'string', 'Shipped on'),
      fulfillmentField('notifyCustomer', 'boolean', 'Store emails the customer')];
    config.shippingOptions.fulfillmentHandlers = [...config.shippingOptions.fulfillmentHandlers.filter((h) => h.code !== dovetailShipmentHandler.code), dovetailShipmentHandler];
    // master.priceLevels: a price per customer group, which Vendure does not have
    config.customFields.ProductVariant = [...config.customFields.ProductVariant.filter((f) => f.name !== GROUP_PRICES_FIELD.name), GROUP_PRICES_FIELD];
    const prices = config.catalogOptions.productVariantPriceCalculationStrategy;
    if (prices && !(prices instanceof CustomerGroupPriceStrategy)) config.catalogOptions.productVariantPriceCalculationStrategy = new CustomerGroupPriceStrategy(prices);
    return config;
  },
})
export class DovetailPlugin implements OnApplicationBootstrap, OnApplicationShutdown {
  static options: DovetailPluginOptions = {};

  static init(options: DovetailPluginOptions = {}) {
    DovetailPlugin.options = {
      url: options.url ?? process.env.DOVETAIL_WEBHOOK_URL,
      secret: options.secret ?? process.env.DOVETAIL_WEBHOOK_SECRET,
      pollMs: options.pollMs ?? 250,
    };
    return DovetailPlugin;
  }

  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private eventBus: EventBus,
    private connection: TransactionalConnection,
    private processContext: ProcessContext,
  ) {}

  onApplicationBootstrap() {
    const { url, secret } = DovetailPlugin.options;
    if (!url) {
      Logger.info('no DOVETAIL_WEBHOOK_URL: events are not recorded', loggerCtx);
      return;
    }
    if (!secret) Logger.warn('no DOVETAIL_WEBHOOK_SECRET: events are sent unsigned', loggerCtx);
    // Blocking handlers run inside the transaction that publishes the event: the outbox row is
    // committed or rolled back together with the change it describes.
    this.eventBus.registerBlockingEventHandler({
      event: EVENTS as Array<Type<VendureEvent>>,
      id: 'dovetail-outbox',
      handler: (event) => this.record(event),
    });
    if (this.processContext.isServer) {
      Logger.info(`delivering events to ${url}`, loggerCtx);
      void this.retryNowAfterRestart().finally(() => this.schedule(0));
    }
  }

  /** A restart is a new chance: undelivered rows from before it are due at once, oldest first. */
  private async retryNowAfterRestart(): Promise<void> {
    try {
      await this.connection.rawConnection.getRepository(DovetailOutboxEntry).update({ deliveredAt: IsNull(), refusedAt: IsNull() }, { nextAttemptAt: new Date() });
    } catch (err) {
      Logger.warn(`could not reset the outbox backoff: ${String(err)}`, loggerCtx);
    }
  }

  onApplicationShutdown() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async record(event: VendureEvent): Promise<void> {
    const ctx = (event as VendureEvent & { ctx: RequestContext }).ctx;
    const body: DovetailEventBody = { id: randomUUID(), event: event.constructor.name.replace(/Event$/, ''), at: event.createdAt.toISOString() };
    if (event instanceof OrderPlacedEvent || event instanceof OrderStateTransitionEvent) {
      body.orderCode = event.order.code;
      body.state = event.toState;
      const email = event.order.customer?.emailAddress ?? (await this.customerEmail(ctx, event.order));
      if (email) body.email = email;
    } else if (event instanceof OrderLineEvent) {
      // lines added or changed on a placed order come with a state transition (Modifying); a
      // cancellation of units does not. Active orders (carts) are not Dovetail's business.
      if (event.type !== 'cancelled' || event.order.active) return;
      body.event = 'OrderLinesCancelled';
      body.orderCode = event.order.code;
      body.state = event.order.state;
    } else if (event instanceof RefundStateTransitionEvent) {
      if (event.toState !== 'Settled') return;
      body.event = 'OrderRefundSettled';
      body.orderCode = event.order.code;
      body.state = event.order.state;
    } else if (event instanceof CustomerEvent) {
      if (event.entity.emailAddress) body.email = event.entity.emailAddress;
    } else if (event instanceof ProductVariantEvent) {
      body.skus = event.entity.map((v) => v.sku);
    } else if (event instanceof ProductEvent) {
      const variants = await this.connection.getRepository(ctx, ProductVariant).find({ where: { productId: event.entity.id } });
      body.skus = variants.map((v) => v.sku);
    } else if (event instanceof StockMovementEvent) {
      body.skus = await this.skusOf(ctx, event);
    } else if (event instanceof FulfillmentStateTransitionEvent) {
      // Only the moment the store is to tell the customer (rules.shipmentEmailsFrom: store): a
      // fulfilment asked to notify reaching Shipped. A store's email handler sends on the same
      // condition; this event lets Dovetail (and its tests) see that the store was the one to speak.
      const f = event.fulfillment;
      if (event.toState !== 'Shipped' || f.customFields?.notifyCustomer !== true) return;
      body.event = 'ShipmentNotification';
      body.fulfillmentId = String(f.id);
      if (f.customFields.dovetailRef) body.ref = f.customFields.dovetailRef;
      const lineId = f.lines?.[0]?.orderLineId;
      const line = lineId ? await this.connection.getRepository(ctx, OrderLine).findOne({ where: { id: lineId }, relations: ['order'] }) : null;
      if (line?.order) {
        body.orderCode = line.order.code;
        const email = await this.customerEmail(ctx, line.order);
        if (email) body.email = email;
      }
    }
    await this.connection.getRepository(ctx, DovetailOutboxEntry).save(
      new DovetailOutboxEntry({ eventId: body.id, body: JSON.stringify(body), attempts: 0, nextAttemptAt: new Date(), deliveredAt: null, lastError: null, refusedAt: null }),
    );
  }

  private async customerEmail(ctx: RequestContext, order: Order): Promise<string | undefined> {
    if (!order.customerId) return undefined;
    const customer = await this.connection.getRepository(ctx, Customer).findOne({ where: { id: order.customerId } });
    return customer?.emailAddress;
  }

  private async skusOf(ctx: RequestContext, event: StockMovementEvent): Promise<string[]> {
    const known = new Set<string>();
    const missing: Array<string | number> = [];
    for (const m of event.stockMovements) {
      if (m.productVariant?.sku) known.add(m.productVariant.sku);
      else if (m.productVariant?.id) missing.push(m.productVariant.id);
    }
    if (missing.length) {
      const variants = await this.connection.getRepository(ctx, ProductVariant).find({ where: { id: In(missing) }, withDeleted: true });
      for (const v of variants) known.add(v.sku);
    }
    return [...known];
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.deliverDue()
        .catch((err: unknown) => Logger.error(`delivery loop: ${String(err)}`, loggerCtx))
        .finally(() => this.schedule(DovetailPlugin.options.pollMs ?? 250));
    }, ms);
  }

  /**
   * Sends undelivered events oldest first and stops at the first failure that may pass (the
   * receiver down, busy, misconfigured): later events wait behind it, so Dovetail sees every
   * record's changes in the order they happened. An event the receiver refuses for good is set
   * aside with the reason, logged as an error, and the next one is sent at once.
   */
  private async deliverDue(): Promise<void> {
    const repo = this.connection.rawConnection.getRepository(DovetailOutboxEntry);
    while (!this.stopped) {
      const next = await repo.findOne({ where: { deliveredAt: IsNull(), refusedAt: IsNull() }, order: { id: 'ASC' } });
      if (!next || next.nextAttemptAt.getTime() > Date.now()) return;
      const outcome = await this.send(next);
      const attempts = next.attempts + 1;
      if (outcome === 'delivered') {
        await repo.update({ id: next.id }, { deliveredAt: new Date(), attempts, lastError: null });
        continue;
      }
      const lastError = outcome.error.slice(0, 500);
      if (outcome.refused) {
        await repo.update({ id: next.id }, { refusedAt: new Date(), attempts, lastError });
        Logger.error(`event ${next.eventId} refused by Dovetail for good (${lastError}); set aside in dovetail_outbox_entry (refusedAt), later events continue. Body: ${next.body.slice(0, 300)}`, loggerCtx);
        continue;
      }
      await repo.update({ id: next.id }, { attempts, lastError, nextAttemptAt: new Date(Date.now() + backoffMs(attempts)) });
      Logger.warn(`event ${next.eventId} not delivered (attempt ${attempts}): ${lastError}; next in ${backoffMs(attempts) / 1000} s`, loggerCtx);
      return;
    }
  }

  /** One POST: delivered on a 2xx, otherwise why not and whether the receiver refused the event itself. */
  private async send(entry: DovetailOutboxEntry): Promise<'delivered' | { error: string; refused: boolean }> {
    const { url, secret } = DovetailPlugin.options;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-dovetail-event-id': entry.eventId };
    if (secret) headers['x-dovetail-signature'] = signature(secret, entry.body);
    try {
      const res = await fetch(url as string, { method: 'POST', headers, body: entry.body, signal: AbortSignal.timeout(10_000) });
      const answer = await res.text().catch(() => '');
      if (res.ok) return 'delivered';
      return { error: `HTTP ${res.status}${answer ? `: ${answer.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`, refused: isRefusal(res.status) };
    } catch (err) {
      const e = err as { message?: string; cause?: { code?: string } };
      return { error: e.cause?.code ?? e.message ?? String(err), refused: false };
    }
  }
}
