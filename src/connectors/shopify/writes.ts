// Writing to Shopify: products per field group, stock by compare-and-set in batches of 250,
// fulfilments, captures, refunds, quotes and customers. Every create either carries an
// idempotency key derived from Dovetail's own ids or looks for its earlier result first.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DovetailError, permanent, transient } from '../../errors.js';
import type { Customer } from '../../model/customer.js';
import type { FieldGroup, Product } from '../../model/product.js';
import { refusalOf, upsertOutcomes, writeEach } from '../per-record.js';
import type { WriteResult } from '../types.js';
import { userErrorFailure } from './client.js';
import { stockSnapshot } from './bulk.js';
import {
  VARIANT_OPTION, bagToMinor, customerSetInput, minorToMoney, productCreateInput, productUpdateInput, variantInput, GqlOrder,
} from './mappers.js';
import {
  CustomerSet, DraftOrderByTag, DraftOrderCreate, FulfillmentCreate, InventoryActivate, InventoryAdjustQuantities,
  InventorySetQuantities, OrderById, OrderCapture, OrderFulfillmentOrders, OrderPayments, ProductByGroupKey, ProductCreate,
  ProductUpdate, RefundCreate, VariantsBulkCreate, VariantsBulkUpdate,
} from './operations.js';
import { chunk, orderIdOf, readStockAt, searchValue, variantsBySku, type ShopifyContext, type StockCell } from './reads.js';

/** Shopify caps every input array at 250 items. */
export const MAX_INPUT_ROWS = 250;

const UserErrors = z.array(z.object({ code: z.string().nullable().optional(), field: z.array(z.string()).nullable(), message: z.string() }));

/** Deterministic idempotency key from Dovetail's own ids: a retry of the same step reuses it. */
export function idempotencyKey(...parts: string[]): string {
  const h = createHash('sha256').update(['dovetail', ...parts].join('\u0000')).digest('hex');
  // shaped like a UUID (version-5 bits), the form Shopify recommends
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------- products ----------------

type ProductRow = { product: Product; groups: FieldGroup[] };

/**
 * Writes each row's field groups, making missing variants in their group's product. One result
 * per row: a product or variant Shopify refuses fails alone (its rows carry the refusal), and a
 * SKU is reported created only when Shopify is seen to have it afterwards.
 */
export async function upsertProducts(ctx: ShopifyContext, rows: ProductRow[]): Promise<WriteResult[]> {
  const existing = await variantsBySku(ctx, rows.map((r) => r.product.sku));
  const refused = new Map<string, DovetailError>();
  const refuse = (list: ProductRow[], error: DovetailError) => { for (const r of list) refused.set(r.product.sku, error); };

  // existing variants: one productUpdate and one productVariantsBulkUpdate per product
  const byProduct = new Map<string, { product: Product; groups: FieldGroup[]; variantId: string; optionName: string }[]>();
  for (const r of rows) {
    const v = existing.get(r.product.sku);
    if (!v) continue;
    const list = byProduct.get(v.product.id) ?? [];
    list.push({ ...r, variantId: v.id, optionName: v.selectedOptions[0]?.name ?? VARIANT_OPTION });
    byProduct.set(v.product.id, list);
  }
  for (const [productId, list] of byProduct) {
    const first = list[0]!;
    const update = productUpdateInput(productId, first.product.fields, first.groups);
    const productRefusal = await refusalOf(async () => {
      if (!update) return;
      const d = await ctx.client.request(ProductUpdate, { product: update }, z.object({ productUpdate: z.object({ userErrors: UserErrors }) }));
      if (d.productUpdate.userErrors.length) throw userErrorFailure('productUpdate', d.productUpdate.userErrors, { productId, sku: first.product.sku });
    });
    if (productRefusal) { refuse(list, productRefusal); continue; }
    const variants = list.map((r) => ({ row: r, input: { id: r.variantId, ...variantInput(r.product.fields, r.groups, r.optionName) } })).filter((v) => Object.keys(v.input).length > 1);
    for (const part of chunk(variants, MAX_INPUT_ROWS)) {
      const refusals = await writeEach(part, async (some) => {
        const d = await ctx.client.request(VariantsBulkUpdate, { productId, variants: some.map((v) => v.input) }, z.object({ productVariantsBulkUpdate: z.object({ userErrors: UserErrors }) }));
        if (d.productVariantsBulkUpdate.userErrors.length) throw userErrorFailure('productVariantsBulkUpdate', d.productVariantsBulkUpdate.userErrors, { productId });
      });
      for (const [v, error] of refusals) refuse([v.row], error);
    }
  }

  // missing variants: added to their group's product (found by its unique group-key metafield) or a new product
  const missing = new Map<string, ProductRow[]>();
  for (const r of rows) {
    if (existing.has(r.product.sku)) continue;
    const list = missing.get(r.product.groupKey) ?? [];
    list.push(r);
    missing.set(r.product.groupKey, list);
  }
  for (const [groupKey, list] of missing) {
    const error = await refusalOf(() => createGroupVariants(ctx, groupKey, list));
    if (error) refuse(list, error);
  }

  const expected = [...missing.values()].flat().map((r) => r.product.sku).filter((sku) => !refused.has(sku));
  const made = expected.length ? await variantsBySku(ctx, expected) : new Map<string, { id: string }>();
  return upsertOutcomes(rows.map((r) => r.product.sku), { system: 'Shopify', refused, before: existing, after: made });
}

/** Makes one group's missing variants: in its product, found by the group key before one is made. */
async function createGroupVariants(ctx: ShopifyContext, groupKey: string, list: ProductRow[]): Promise<void> {
  const found = await ctx.client.request(ProductByGroupKey, { value: groupKey }, z.object({
    productByIdentifier: z.object({ id: z.string(), options: z.array(z.object({ id: z.string(), name: z.string() })) }).nullable(),
  }));
  let productId = found.productByIdentifier?.id;
  let optionName = found.productByIdentifier?.options[0]?.name ?? VARIANT_OPTION;
  let rest = list;
  if (!productId) {
    const head = list.slice(0, MAX_INPUT_ROWS);
    const d = await ctx.client.request(ProductCreate, { input: productCreateInput(groupKey, head) }, z.object({
      productSet: z.object({ product: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
    }));
    if (d.productSet.userErrors.length || !d.productSet.product) throw userErrorFailure('productSet', d.productSet.userErrors, { groupKey });
    productId = d.productSet.product.id;
    optionName = VARIANT_OPTION;
    rest = list.slice(MAX_INPUT_ROWS);
  }
  for (const part of chunk(rest, MAX_INPUT_ROWS)) {
    const variants = part.map((r) => {
      const v = variantInput(r.product.fields, ['prices', 'dimensions'], optionName);
      const item = (v.inventoryItem as Record<string, unknown> | undefined) ?? {};
      return { ...v, optionValues: [{ optionName, name: r.product.fields.names?.variantName ?? r.product.sku }], inventoryItem: { ...item, sku: r.product.sku, tracked: true } };
    });
    const d = await ctx.client.request(VariantsBulkCreate, { productId, variants }, z.object({ productVariantsBulkCreate: z.object({ userErrors: UserErrors }) }));
    if (d.productVariantsBulkCreate.userErrors.length) throw userErrorFailure('productVariantsBulkCreate', d.productVariantsBulkCreate.userErrors, { productId, groupKey });
  }
}

// ---------------- stock ----------------

export interface StockRow { sku: string; locationId: string; available: number }
export interface StockResult { sku: string; locationId: string; written: boolean; reason?: 'unchanged' | 'unknown-sku' | 'already-set'; error?: DovetailError }

const cellKey = (sku: string, locationId: string) => `${locationId}\u0000${sku}`;

/** Current cells for these rows: paged reads, or one bulk snapshot above the bulk threshold. */
async function currentStock(ctx: ShopifyContext, rows: StockRow[]): Promise<Map<string, StockCell>> {
  const cells = new Map<string, StockCell>();
  if (rows.length > ctx.bulkThreshold) {
    const snap = await stockSnapshot(ctx);
    for (const r of rows) {
      const s = snap.get(r.sku);
      if (s) cells.set(cellKey(r.sku, r.locationId), { inventoryItemId: s.inventoryItemId, available: s.levels.get(r.locationId) ?? null });
    }
    return cells;
  }
  const byLocation = new Map<string, string[]>();
  for (const r of rows) byLocation.set(r.locationId, [...(byLocation.get(r.locationId) ?? []), r.sku]);
  for (const [locationId, skus] of byLocation) {
    for (const [sku, cell] of await readStockAt(ctx, skus, locationId)) cells.set(cellKey(sku, locationId), cell);
  }
  return cells;
}

type PendingStock = StockRow & { inventoryItemId: string; changeFrom: number };

/**
 * Sets `available` per SKU and location with compare-and-set. Rows already at their target are
 * not sent, so an engine retry after a failure half-way re-reads and sends only what is left.
 * A row Shopify refuses fails alone (its result carries the error): a refused batch is sent
 * again row by row. Failures that are not refusals (Shopify down, stale twice) are thrown.
 */
export async function setStock(ctx: ShopifyContext, rows: StockRow[]): Promise<StockResult[]> {
  const cells = await currentStock(ctx, rows);
  const results: StockResult[] = [];
  const pending: PendingStock[] = [];
  for (const r of rows) {
    const cell = cells.get(cellKey(r.sku, r.locationId));
    if (!cell) { results.push({ sku: r.sku, locationId: r.locationId, written: false, reason: 'unknown-sku' }); continue; }
    let current = cell.available;
    if (current === null) {
      const error = await refusalOf(async () => {
        const d = await ctx.client.request(InventoryActivate, { inventoryItemId: cell.inventoryItemId, locationId: r.locationId }, z.object({ inventoryActivate: z.object({ userErrors: UserErrors }) }));
        if (d.inventoryActivate.userErrors.length) throw userErrorFailure('inventoryActivate', d.inventoryActivate.userErrors, { sku: r.sku, locationId: r.locationId });
      });
      if (error) { results.push({ sku: r.sku, locationId: r.locationId, written: false, error }); continue; }
      current = 0;
    }
    if (current === r.available) { results.push({ sku: r.sku, locationId: r.locationId, written: false, reason: 'unchanged' }); continue; }
    pending.push({ ...r, inventoryItemId: cell.inventoryItemId, changeFrom: current });
  }
  for (const batch of chunk(pending, MAX_INPUT_ROWS)) {
    const refusals = await writeEach(batch, async (part) => { results.push(...await setBatch(ctx, part)); });
    for (const [b, error] of refusals) results.push({ sku: b.sku, locationId: b.locationId, written: false, error });
  }
  return results;
}

/**
 * One compare-and-set call. A CHANGE_FROM_QUANTITY_STALE answer re-reads the batch and retries,
 * once, only the rows that are still not at their target; a second stale answer is transient.
 */
async function setBatch(ctx: ShopifyContext, batch: PendingStock[]): Promise<StockResult[]> {
  if (!await sendSetBatch(ctx, batch)) return batch.map((b) => ({ sku: b.sku, locationId: b.locationId, written: true }));
  // which rows Shopify applied is not promised on a stale answer: read the batch again
  const fresh = await currentStock(ctx, batch);
  const results: StockResult[] = [];
  const retry: PendingStock[] = [];
  for (const b of batch) {
    const now = fresh.get(cellKey(b.sku, b.locationId))?.available ?? 0;
    if (now === b.available) results.push({ sku: b.sku, locationId: b.locationId, written: true, reason: 'already-set' });
    else retry.push({ ...b, changeFrom: now });
  }
  if (retry.length && await sendSetBatch(ctx, retry)) {
    throw transient(`Shopify stock changed again while Dovetail was writing ${retry.length} rows`, { retryAfterSeconds: 5 });
  }
  return [...results, ...retry.map((b) => ({ sku: b.sku, locationId: b.locationId, written: true }))];
}

/** One inventorySetQuantities call; true when Shopify answered CHANGE_FROM_QUANTITY_STALE. */
async function sendSetBatch(ctx: ShopifyContext, batch: PendingStock[]): Promise<boolean> {
  if (batch.length > MAX_INPUT_ROWS) throw new Error('stock batch over the 250-row limit');
  const input = {
    name: 'available', reason: 'correction',
    quantities: batch.map((b) => ({ inventoryItemId: b.inventoryItemId, locationId: b.locationId, quantity: b.available, changeFromQuantity: b.changeFrom })),
  };
  const d = await ctx.client.request(InventorySetQuantities, { input }, z.object({
    inventorySetQuantities: z.object({ inventoryAdjustmentGroup: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  const errors = d.inventorySetQuantities.userErrors;
  if (!errors.length) return false;
  if (errors.every((e) => e.code === 'CHANGE_FROM_QUANTITY_STALE')) return true;
  const skuOf = (e: { field?: string[] | null }) => { const i = Number(e.field?.[2]); return Number.isInteger(i) ? batch[i]?.sku : undefined; };
  throw userErrorFailure('inventorySetQuantities', errors, { skus: errors.map(skuOf).filter(Boolean) });
}

/**
 * Adjusts `available` by deltas (e.g. restocking a return), under an idempotency key made from
 * Dovetail's movement id and the batch number, so a retry of the same movement is applied once.
 */
export async function adjustStock(ctx: ShopifyContext, movementId: string, rows: { sku: string; locationId: string; delta: number }[]): Promise<void> {
  const cells = await currentStock(ctx, rows.map((r) => ({ ...r, available: 0 })));
  const unknown = rows.filter((r) => !cells.has(cellKey(r.sku, r.locationId)));
  if (unknown.length) throw permanent(`unknown SKUs in stock movement ${movementId}`, { skus: unknown.map((r) => r.sku) });
  let n = 0;
  for (const part of chunk(rows, MAX_INPUT_ROWS)) {
    const input = {
      name: 'available', reason: 'restock',
      // a delta is relative by nature: no compare-and-set, the key prevents a double application
      changes: part.map((r) => ({ inventoryItemId: cells.get(cellKey(r.sku, r.locationId))!.inventoryItemId, locationId: r.locationId, delta: r.delta, changeFromQuantity: null })),
    };
    const key = idempotencyKey('inventory-adjust', movementId, String(n++));
    const d = await ctx.client.request(InventoryAdjustQuantities, { input, key }, z.object({ inventoryAdjustQuantities: z.object({ userErrors: UserErrors }) }));
    if (d.inventoryAdjustQuantities.userErrors.length) throw userErrorFailure('inventoryAdjustQuantities', d.inventoryAdjustQuantities.userErrors, { movementId });
  }
}

// ---------------- fulfilments ----------------

export interface ShipmentInput {
  orderCode: string;
  shipmentId: string;
  lines: { sku: string; quantity: number }[];
  tracking?: { company?: string; number: string; url?: string };
  /** true only when `rules.shipmentEmailsFrom` is `store` */
  notifyCustomer: boolean;
}

const FulfillmentOrders = z.object({
  order: z.object({
    id: z.string(),
    fulfillmentOrders: z.object({ nodes: z.array(z.object({
      id: z.string(), status: z.string(),
      lineItems: z.object({ nodes: z.array(z.object({ id: z.string(), sku: z.string().nullable(), remainingQuantity: z.number().int(), lineItem: z.object({ id: z.string() }) })) }),
    })) }),
    fulfillments: z.array(z.object({ id: z.string(), status: z.string(), trackingInfo: z.array(z.object({ number: z.string().nullable() })) })),
  }).nullable(),
});

/** One shipment -> Shopify fulfilments (one per fulfillment order it draws from). */
export async function createFulfillment(ctx: ShopifyContext, s: ShipmentInput): Promise<{ fulfillmentIds: string[]; alreadyDone: boolean }> {
  const id = await orderIdOf(ctx, s.orderCode);
  if (!id) throw permanent(`no Shopify order ${s.orderCode}`, { orderCode: s.orderCode });
  const { order } = await ctx.client.request(OrderFulfillmentOrders, { id }, FulfillmentOrders);
  if (!order) throw permanent(`no Shopify order ${s.orderCode}`, { orderCode: s.orderCode });
  if (s.tracking) {
    const done = order.fulfillments.filter((f) => f.status !== 'CANCELLED' && f.trackingInfo.some((t) => t.number === s.tracking!.number));
    if (done.length) return { fulfillmentIds: done.map((f) => f.id), alreadyDone: true };
  }
  const perFo = new Map<string, { id: string; quantity: number }[]>();
  for (const line of s.lines) {
    let need = line.quantity;
    for (const fo of order.fulfillmentOrders.nodes) {
      if (!['OPEN', 'IN_PROGRESS'].includes(fo.status)) continue;
      for (const li of fo.lineItems.nodes) {
        if (need === 0 || li.sku !== line.sku || li.remainingQuantity === 0) continue;
        const take = Math.min(need, li.remainingQuantity);
        perFo.set(fo.id, [...(perFo.get(fo.id) ?? []), { id: li.id, quantity: take }]);
        need -= take;
      }
    }
    if (need > 0) {
      throw permanent(`shipment ${s.shipmentId}: order ${s.orderCode} has ${line.quantity - need} of ${line.sku} left to fulfil, the shipment has ${line.quantity}`, { orderCode: s.orderCode, sku: line.sku });
    }
  }
  const ids: string[] = [];
  for (const [fulfillmentOrderId, items] of perFo) {
    const fulfillment = {
      lineItemsByFulfillmentOrder: [{ fulfillmentOrderId, fulfillmentOrderLineItems: items }],
      notifyCustomer: s.notifyCustomer,
      ...(s.tracking ? { trackingInfo: { number: s.tracking.number, ...(s.tracking.company ? { company: s.tracking.company } : {}), ...(s.tracking.url ? { url: s.tracking.url } : {}) } } : {}),
    };
    const d = await ctx.client.request(FulfillmentCreate, { fulfillment }, z.object({
      fulfillmentCreate: z.object({ fulfillment: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
    }));
    if (d.fulfillmentCreate.userErrors.length || !d.fulfillmentCreate.fulfillment) throw userErrorFailure('fulfillmentCreate', d.fulfillmentCreate.userErrors, { orderCode: s.orderCode, shipmentId: s.shipmentId });
    ids.push(d.fulfillmentCreate.fulfillment.id);
  }
  return { fulfillmentIds: ids, alreadyDone: false };
}

// ---------------- payments ----------------

const Payments = z.object({
  order: z.object({
    id: z.string(), currencyCode: z.string(),
    totalCapturableSet: z.object({ shopMoney: z.object({ amount: z.string(), currencyCode: z.string() }) }),
    transactions: z.array(z.object({
      id: z.string(), kind: z.string(), status: z.string(), gateway: z.string().nullable(),
      amountSet: z.object({ shopMoney: z.object({ amount: z.string(), currencyCode: z.string() }) }),
      parentTransaction: z.object({ id: z.string() }).nullable(),
    })),
    refunds: z.array(z.object({ id: z.string(), note: z.string().nullable(), totalRefundedSet: z.object({ shopMoney: z.object({ amount: z.string(), currencyCode: z.string() }) }) })),
  }).nullable(),
});
type Payments = NonNullable<z.infer<typeof Payments>['order']>;

async function payments(ctx: ShopifyContext, orderCode: string): Promise<Payments> {
  const id = await orderIdOf(ctx, orderCode);
  const d = id ? await ctx.client.request(OrderPayments, { id }, Payments) : { order: null };
  if (!d.order) throw permanent(`no Shopify order ${orderCode}`, { orderCode });
  return d.order;
}

const ok = (t: Payments['transactions'][number]) => t.status === 'SUCCESS';

export interface CaptureInput {
  orderCode: string;
  shipmentId: string;
  amountMinor: number;
  /** what Dovetail had captured on this order before this shipment (its own ledger) */
  capturedBeforeMinor: number;
  finalCapture?: boolean;
}
export interface CaptureResult { transactionId: string | null; capturedMinor: number; alreadyCaptured: boolean; shortfallMinor: number }

/**
 * Captures a shipment's amount from the order's authorisation. The order's successful captures
 * are read first: when they already cover `capturedBeforeMinor + amountMinor` a retry captures
 * nothing; the amount is never more than Shopify's `totalCapturableSet` (the rest is reported).
 */
export async function captureShipment(ctx: ShopifyContext, c: CaptureInput): Promise<CaptureResult> {
  const p = await payments(ctx, c.orderCode);
  const captures = p.transactions.filter((t) => t.kind === 'CAPTURE' && ok(t));
  const capturedSoFar = captures.reduce((s, t) => s + bagToMinor(t.amountSet), 0);
  const wanted = c.capturedBeforeMinor + c.amountMinor - capturedSoFar;
  if (wanted <= 0) return { transactionId: captures.at(-1)?.id ?? null, capturedMinor: 0, alreadyCaptured: true, shortfallMinor: 0 };
  const capturable = bagToMinor(p.totalCapturableSet);
  const amount = Math.min(wanted, capturable);
  const auth = p.transactions.filter((t) => t.kind === 'AUTHORIZATION' && ok(t)).at(-1);
  if (!auth || amount <= 0) {
    throw permanent(`order ${c.orderCode}: nothing capturable for shipment ${c.shipmentId} (wanted ${wanted}, capturable ${capturable})`, { orderCode: c.orderCode, shipmentId: c.shipmentId });
  }
  const input = { id: p.id, parentTransactionId: auth.id, amount: minorToMoney(amount, p.currencyCode), currency: p.currencyCode, ...(c.finalCapture !== undefined ? { finalCapture: c.finalCapture } : {}) };
  const d = await ctx.client.request(OrderCapture, { input }, z.object({
    orderCapture: z.object({ transaction: z.object({ id: z.string(), status: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  if (d.orderCapture.userErrors.length || !d.orderCapture.transaction) throw userErrorFailure('orderCapture', d.orderCapture.userErrors, { orderCode: c.orderCode, shipmentId: c.shipmentId });
  if (d.orderCapture.transaction.status === 'FAILURE' || d.orderCapture.transaction.status === 'ERROR') {
    throw permanent(`order ${c.orderCode}: the gateway declined the capture for shipment ${c.shipmentId}`, { transactionId: d.orderCapture.transaction.id });
  }
  return { transactionId: d.orderCapture.transaction.id, capturedMinor: amount, alreadyCaptured: false, shortfallMinor: wanted - amount };
}

export interface RefundInputCanonical {
  orderCode: string;
  /** Dovetail's id of the refund / credit memo: the source of the idempotency key and the note marker */
  refundId: string;
  amountMinor: number;
  lines?: { sku: string; quantity: number; restock: boolean }[];
  notify: boolean;
  reason?: string;
}

/** The marker Dovetail writes in a refund's note, to recognise it before creating another. */
export const refundMarker = (refundId: string) => `[dovetail:refund:${refundId}]`;

/** Refunds against the order's captures; never more than captured minus refunded, once per refundId. */
export async function createRefund(ctx: ShopifyContext, r: RefundInputCanonical): Promise<{ refundId: string; alreadyRefunded: boolean }> {
  const p = await payments(ctx, r.orderCode);
  const marker = refundMarker(r.refundId);
  const earlier = p.refunds.find((x) => x.note?.includes(marker));
  if (earlier) return { refundId: earlier.id, alreadyRefunded: true };

  const refundedOf = new Map<string, number>();
  for (const t of p.transactions) if (t.kind === 'REFUND' && ok(t) && t.parentTransaction) {
    refundedOf.set(t.parentTransaction.id, (refundedOf.get(t.parentTransaction.id) ?? 0) + bagToMinor(t.amountSet));
  }
  const sources = p.transactions.filter((t) => (t.kind === 'CAPTURE' || t.kind === 'SALE') && ok(t))
    .map((t) => ({ t, left: bagToMinor(t.amountSet) - (refundedOf.get(t.id) ?? 0) })).filter((s) => s.left > 0);
  const refundable = sources.reduce((s, x) => s + x.left, 0);
  if (r.amountMinor > refundable) {
    throw permanent(`order ${r.orderCode}: refund ${r.refundId} of ${r.amountMinor} exceeds what is captured and not refunded (${refundable})`, { orderCode: r.orderCode, refundId: r.refundId });
  }
  let left = r.amountMinor;
  const transactions = [];
  for (const s of sources) {
    if (left === 0) break;
    const take = Math.min(left, s.left);
    transactions.push({ orderId: p.id, parentId: s.t.id, amount: minorToMoney(take, p.currencyCode), gateway: s.t.gateway ?? 'manual', kind: 'REFUND' });
    left -= take;
  }
  let refundLineItems: { lineItemId: string; quantity: number; restockType: string }[] | undefined;
  if (r.lines?.length) {
    const o = await ctx.client.request(OrderById, { id: p.id }, z.object({ order: GqlOrder.nullable() }));
    const items = o.order?.lineItems.nodes ?? [];
    refundLineItems = r.lines.map((l) => {
      const li = items.find((i) => i.sku === l.sku);
      if (!li) throw permanent(`order ${r.orderCode} has no line with SKU ${l.sku} to refund`, { orderCode: r.orderCode, sku: l.sku });
      return { lineItemId: li.id, quantity: l.quantity, restockType: l.restock ? 'RETURN' : 'NO_RESTOCK' };
    });
  }
  const input = {
    orderId: p.id, notify: r.notify, currency: p.currencyCode,
    note: `${r.reason ? `${r.reason} ` : ''}${marker}`,
    transactions,
    ...(refundLineItems ? { refundLineItems } : {}),
  };
  const key = idempotencyKey('refund', r.refundId);
  const d = await ctx.client.request(RefundCreate, { input, key }, z.object({
    refundCreate: z.object({ refund: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  if (d.refundCreate.userErrors.length || !d.refundCreate.refund) throw userErrorFailure('refundCreate', d.refundCreate.userErrors, { orderCode: r.orderCode, refundId: r.refundId });
  return { refundId: d.refundCreate.refund.id, alreadyRefunded: false };
}

// ---------------- quotes and customers ----------------

export interface QuoteInput {
  quoteId: string;
  email: string;
  currency: string;
  lines: { sku: string; title: string; quantity: number; unitPriceMinor: number }[];
  note?: string;
}

export const quoteTag = (quoteId: string) => `dovetail-quote-${quoteId}`;

/** A draft order for a quote made in the inventory system (`rules.quotesFrom: inventory`). */
export async function createQuote(ctx: ShopifyContext, q: QuoteInput): Promise<{ draftOrderId: string; created: boolean }> {
  const tag = quoteTag(q.quoteId);
  const found = await ctx.client.request(DraftOrderByTag, { query: `tag:${searchValue(tag)}` }, z.object({
    draftOrders: z.object({ nodes: z.array(z.object({ id: z.string() })) }),
  }));
  if (found.draftOrders.nodes[0]) return { draftOrderId: found.draftOrders.nodes[0].id, created: false };
  const variants = await variantsBySku(ctx, q.lines.map((l) => l.sku));
  const lineItems = q.lines.map((l) => {
    const price = { amount: minorToMoney(l.unitPriceMinor, q.currency), currencyCode: q.currency };
    const v = variants.get(l.sku);
    return v ? { variantId: v.id, quantity: l.quantity, priceOverride: price }
      : { title: l.title, sku: l.sku, quantity: l.quantity, originalUnitPriceWithCurrency: price };
  });
  const input = { email: q.email, tags: [tag], lineItems, ...(q.note ? { note: q.note } : {}) };
  const d = await ctx.client.request(DraftOrderCreate, { input }, z.object({
    draftOrderCreate: z.object({ draftOrder: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  if (d.draftOrderCreate.userErrors.length || !d.draftOrderCreate.draftOrder) throw userErrorFailure('draftOrderCreate', d.draftOrderCreate.userErrors, { quoteId: q.quoteId });
  return { draftOrderId: d.draftOrderCreate.draftOrder.id, created: true };
}

/** customerSet identified by email: Shopify's own upsert, so a retry never makes a second customer. */
export async function upsertCustomer(ctx: ShopifyContext, c: Customer, opts: { copyAddresses: boolean }): Promise<{ id: string }> {
  const d = await ctx.client.request(CustomerSet, { email: c.email, input: customerSetInput(c, opts) }, z.object({
    customerSet: z.object({ customer: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
  }));
  if (d.customerSet.userErrors.length || !d.customerSet.customer) throw userErrorFailure('customerSet', d.customerSet.userErrors, { email: c.email });
  return { id: d.customerSet.customer.id };
}
