// Shipments recorded on Shopify orders: one fulfilment per fulfillment order the shipment draws
// from, partial quantities, tracking, the customer told only when asked. Found by the shipment's
// ref in Dovetail's ledger on the order before anything is made (fulfilments carry no own key).
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { StoreShipment } from '../../model/shipment.js';
import { userErrorFailure } from './client.js';
import { LedgerField, madeSinceIntent, readLedger, writeEntry } from './ledger.js';
import { FulfillmentCreate, OrderFulfillmentOrders } from './operations.js';
import { orderIdOf, type ShopifyContext } from './reads.js';
import { UserErrors } from './user-errors.js';

const FulfillmentOrders = z.object({
  order: z.object({
    id: z.string(),
    fulfillmentOrders: z.object({ nodes: z.array(z.object({
      id: z.string(), status: z.string(),
      lineItems: z.object({ nodes: z.array(z.object({ id: z.string(), sku: z.string().nullable(), remainingQuantity: z.number().int(), lineItem: z.object({ id: z.string() }) })) }),
    })) }),
    fulfillments: z.array(z.object({ id: z.string(), status: z.string() })),
    ledger: LedgerField,
  }).nullable(),
});

/** Fulfillment orders Shopify still lets a merchant fulfil. */
const FULFILLABLE = ['OPEN', 'IN_PROGRESS'];

export async function recordShipment(ctx: ShopifyContext, orderCode: string, s: StoreShipment, opts: { notifyCustomer: boolean }): Promise<{ id: string; created: boolean }> {
  const orderId = await orderIdOf(ctx, orderCode);
  const { order } = orderId ? await ctx.client.request(OrderFulfillmentOrders, { id: orderId }, FulfillmentOrders) : { order: null };
  if (!order) throw permanent(`Shopify has no order ${orderCode} to record shipment ${s.ref} on`, { orderCode });
  let ledger = readLedger(order.ledger);
  const live = order.fulfillments.filter((f) => f.status !== 'CANCELLED' && f.status !== 'ERROR' && f.status !== 'FAILURE');
  const entry = ledger.notes.fulfilments[s.ref];
  if (entry?.ids.length) return { id: entry.ids[0]!, created: false };
  if (entry) {
    // an attempt was interrupted after its intent: what it made is new since then and nobody's else
    const made = madeSinceIntent(ledger, 'fulfilments', entry, live);
    if (made.length) {
      await writeEntry(ctx, order.id, ledger, 'fulfilments', s.ref, { ...entry, ids: made.map((f) => f.id) });
      return { id: made[0]!.id, created: false };
    }
  }

  const perFulfillmentOrder = new Map<string, { id: string; quantity: number }[]>();
  for (const line of s.lines) {
    let need = line.quantity;
    for (const fo of order.fulfillmentOrders.nodes.filter((x) => FULFILLABLE.includes(x.status))) {
      for (const li of fo.lineItems.nodes) {
        if (need === 0 || li.sku !== line.sku || li.remainingQuantity === 0) continue;
        const take = Math.min(need, li.remainingQuantity);
        perFulfillmentOrder.set(fo.id, [...(perFulfillmentOrder.get(fo.id) ?? []), { id: li.id, quantity: take }]);
        need -= take;
      }
    }
    if (need > 0) {
      throw permanent(`shipment ${s.ref}: Shopify order ${orderCode} has ${line.quantity - need} of ${line.sku} left to fulfil, the shipment has ${line.quantity}`, { orderCode, sku: line.sku });
    }
  }
  if (!entry) ledger = await writeEntry(ctx, order.id, ledger, 'fulfilments', s.ref, { ids: [], known: live.map((f) => f.id) });
  const trackingInfo = s.trackingCode ? { number: s.trackingCode, ...(s.carrier ? { company: s.carrier } : {}) } : undefined;
  const ids: string[] = [];
  for (const [fulfillmentOrderId, items] of perFulfillmentOrder) {
    const fulfillment = {
      lineItemsByFulfillmentOrder: [{ fulfillmentOrderId, fulfillmentOrderLineItems: items }],
      notifyCustomer: opts.notifyCustomer,
      ...(trackingInfo ? { trackingInfo } : {}),
    };
    const d = await ctx.client.request(FulfillmentCreate, { fulfillment }, z.object({
      fulfillmentCreate: z.object({ fulfillment: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }),
    }));
    if (d.fulfillmentCreate.userErrors.length || !d.fulfillmentCreate.fulfillment) throw userErrorFailure('fulfillmentCreate', d.fulfillmentCreate.userErrors, { orderCode, shipment: s.ref });
    ids.push(d.fulfillmentCreate.fulfillment.id);
  }
  await writeEntry(ctx, order.id, ledger, 'fulfilments', s.ref, { ...(ledger.notes.fulfilments[s.ref] ?? { known: [] }), ids });
  return { id: ids[0]!, created: true };
}
