// The double's fulfilments: units taken from fulfillment order lines, never more than remain,
// tracking kept, the fulfillment order closed once nothing remains.
import type { Handler } from './server.js';

export const FULFILMENT: Record<string, Handler> = {
  FulfillmentCreate: (v, shop) => {
    const input = v.fulfillment as { lineItemsByFulfillmentOrder: { fulfillmentOrderId: string; fulfillmentOrderLineItems?: { id: string; quantity: number }[] }[];
      notifyCustomer?: boolean; trackingInfo?: { number?: string; company?: string; url?: string } };
    const refuse = (message: string) => ({ fulfillmentCreate: { fulfillment: null, userErrors: [{ field: ['fulfillment'], message }] } });
    const order = [...shop.orders.values()].find((o) => o.fulfillmentOrders.some((fo) => fo.id === input.lineItemsByFulfillmentOrder[0]?.fulfillmentOrderId));
    if (!order) return refuse('Fulfillment order does not exist.');
    const lines: { id: string; lineItemId: string; quantity: number }[] = [];
    for (const group of input.lineItemsByFulfillmentOrder) {
      const fo = order.fulfillmentOrders.find((x) => x.id === group.fulfillmentOrderId);
      if (!fo || !['OPEN', 'IN_PROGRESS'].includes(fo.status)) return refuse('Fulfillment order is not in a fulfillable state.');
      for (const want of group.fulfillmentOrderLineItems ?? fo.lines.map((l) => ({ id: l.id, quantity: l.remainingQuantity }))) {
        const line = fo.lines.find((l) => l.id === want.id);
        if (!line || want.quantity <= 0 || want.quantity > line.remainingQuantity) return refuse('Invalid fulfillment order line item quantity requested.');
      }
    }
    for (const group of input.lineItemsByFulfillmentOrder) {
      const fo = order.fulfillmentOrders.find((x) => x.id === group.fulfillmentOrderId)!;
      for (const want of group.fulfillmentOrderLineItems ?? fo.lines.map((l) => ({ id: l.id, quantity: l.remainingQuantity }))) {
        const line = fo.lines.find((l) => l.id === want.id)!;
        line.remainingQuantity -= want.quantity;
        lines.push({ id: shop.nextId('FulfillmentLineItem'), lineItemId: line.lineItemId, quantity: want.quantity });
      }
      fo.status = fo.lines.every((l) => l.remainingQuantity === 0) ? 'CLOSED' : 'IN_PROGRESS';
    }
    const t = input.trackingInfo;
    const fulfillment = { id: shop.nextId('Fulfillment'), status: 'SUCCESS' as const, createdAt: shop.now(), notifyCustomer: input.notifyCustomer ?? false, lines,
      trackingInfo: t ? [{ number: t.number ?? null, company: t.company ?? null, url: t.url ?? null }] : [] };
    order.fulfillments.push(fulfillment);
    shop.touch(order);
    return { fulfillmentCreate: { fulfillment: { id: fulfillment.id, status: fulfillment.status }, userErrors: [] } };
  },
};
