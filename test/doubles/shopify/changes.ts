// The double's changes to placed orders: order edits (begin, set a quantity, add a variant,
// commit; never below what was fulfilled), cancellation of an order nothing was fulfilled from,
// returns of fulfilled units (never more than fulfilled and not yet returned) and their processing.
import type { Handler } from './server.js';
import { money, type Json, type Order, type ShopState } from './state.js';

const tail = (gid: string) => gid.slice(gid.lastIndexOf('/') + 1);
const calculatedId = (lineItemId: string) => `gid://shopify/CalculatedLineItem/${tail(lineItemId)}`;

function calculatedOrder(shop: ShopState, sessionId: string, o: Order): Json {
  const s = shop.edits.get(sessionId)!;
  return { id: sessionId, lineItems: { nodes: o.lines.map((l) => {
    const quantity = s.quantities.get(l.id) ?? l.currentQuantity;
    return { id: calculatedId(l.id), sku: l.sku, quantity, editableQuantity: quantity - shop.fulfilled(o, l.id) };
  }) } };
}

const openSession = (shop: ShopState, id: unknown) => {
  const s = shop.edits.get(String(id));
  return s && !s.committed ? s : undefined;
};

export const CHANGES: Record<string, Handler> = {
  OrderEditBegin: (v, shop) => {
    const o = shop.orders.get(String(v.id));
    if (!o || o.cancelledAt) return { orderEditBegin: { calculatedOrder: null, userErrors: [{ field: ['id'], message: 'The order cannot be edited.' }] } };
    const id = shop.nextId('CalculatedOrder');
    shop.edits.set(id, { id, orderId: o.id, quantities: new Map(), added: [], committed: false });
    return { orderEditBegin: { calculatedOrder: calculatedOrder(shop, id, o), userErrors: [] } };
  },
  OrderEditSetQuantity: (v, shop) => {
    const s = openSession(shop, v.id);
    const o = s && shop.orders.get(s.orderId);
    const line = o?.lines.find((l) => calculatedId(l.id) === v.lineItemId);
    const refuse = (message: string) => ({ orderEditSetQuantity: { calculatedLineItem: null, userErrors: [{ field: ['lineItemId'], message }] } });
    if (!s || !o || !line) return refuse('The line item does not exist on this edit.');
    const quantity = Number(v.quantity);
    if (quantity < shop.fulfilled(o, line.id)) return refuse('The quantity cannot be lower than the fulfilled quantity.');
    s.quantities.set(line.id, quantity);
    return { orderEditSetQuantity: { calculatedLineItem: { id: calculatedId(line.id), quantity }, userErrors: [] } };
  },
  OrderEditAddVariant: (v, shop) => {
    const s = openSession(shop, v.id);
    const item = shop.itemByVariant(String(v.variantId));
    if (!s || !item) return { orderEditAddVariant: { calculatedLineItem: null, userErrors: [{ field: ['variantId'], message: 'The variant does not exist.' }] } };
    s.added.push({ variantId: item.variantId, quantity: Number(v.quantity) });
    return { orderEditAddVariant: { calculatedLineItem: { id: `gid://shopify/CalculatedLineItem/new-${s.added.length}`, quantity: Number(v.quantity) }, userErrors: [] } };
  },
  OrderEditCommit: (v, shop) => {
    const s = openSession(shop, v.id);
    const o = s && shop.orders.get(s.orderId);
    if (!s || !o) return { orderEditCommit: { order: null, userErrors: [{ field: ['id'], message: 'The edit does not exist or was committed.' }] } };
    const fo = o.fulfillmentOrders.find((x) => x.status !== 'CANCELLED') ?? o.fulfillmentOrders[0]!;
    for (const [lineItemId, quantity] of s.quantities) {
      const line = o.lines.find((l) => l.id === lineItemId)!;
      const delta = quantity - line.currentQuantity;
      line.quantity += Math.max(0, delta);
      line.currentQuantity = quantity;
      const foLine = o.fulfillmentOrders.flatMap((x) => x.lines).find((l) => l.lineItemId === lineItemId);
      if (foLine) foLine.remainingQuantity += delta;
      shop.take(line.sku, delta);
    }
    for (const a of s.added) {
      const item = shop.itemByVariant(a.variantId)!;
      const line = { id: shop.nextId('LineItem'), sku: item.sku, variantId: item.variantId, name: item.sku, quantity: a.quantity, currentQuantity: a.quantity, unitPriceMinor: item.priceMinor, taxRatePercent: 20 };
      o.lines.push(line);
      fo.lines.push({ id: shop.nextId('FulfillmentOrderLineItem'), lineItemId: line.id, remainingQuantity: a.quantity });
      shop.take(item.sku, a.quantity);
    }
    for (const x of o.fulfillmentOrders) if (x.status !== 'CANCELLED') x.status = x.lines.every((l) => l.remainingQuantity === 0) ? 'CLOSED' : (o.fulfillments.length ? 'IN_PROGRESS' : 'OPEN');
    if (v.staffNote) o.staffNotes.push(String(v.staffNote));
    s.committed = true;
    shop.touch(o);
    return { orderEditCommit: { order: { id: o.id, currentTotalPriceSet: money(shop.currentTotal(o)), displayFinancialStatus: shop.financialStatus(o) }, userErrors: [] } };
  },

  OrderCancel: (v, shop) => {
    const o = shop.orders.get(String(v.orderId));
    if (!o) return { orderCancel: { job: null, orderCancelUserErrors: [{ code: 'NOT_FOUND', field: ['orderId'], message: 'Order not found' }] } };
    if (o.cancelledAt || o.fulfillments.some((f) => f.status === 'SUCCESS')) {
      return { orderCancel: { job: null, orderCancelUserErrors: [{ code: 'INVALID', field: ['orderId'], message: 'Cannot cancel an order that has fulfillments or is already cancelled' }] } };
    }
    for (const l of o.lines) {
      if (v.restock) shop.take(l.sku, -l.currentQuantity);
      l.currentQuantity = 0;
    }
    for (const fo of o.fulfillmentOrders) fo.status = 'CLOSED';
    o.cancelledAt = shop.now();
    if (v.staffNote) o.staffNotes.push(String(v.staffNote));
    shop.touch(o);
    return { orderCancel: { job: { id: shop.nextId('Job'), done: true }, orderCancelUserErrors: [] } };
  },

  ReturnCreate: (v, shop) => {
    const input = v.returnInput as { orderId: string; returnLineItems: { fulfillmentLineItemId: string; quantity: number }[] };
    const o = shop.orders.get(input.orderId);
    const refuse = (message: string) => ({ returnCreate: { return: null, userErrors: [{ code: 'INVALID', field: ['returnInput'], message }] } });
    if (!o) return refuse('Order does not exist');
    const lines = [];
    for (const want of input.returnLineItems) {
      const fl = o.fulfillments.filter((f) => f.status === 'SUCCESS').flatMap((f) => f.lines).find((l) => l.id === want.fulfillmentLineItemId);
      if (!fl) return refuse('Fulfillment line item does not exist');
      const onReturns = o.returns.flatMap((r) => r.lines).filter((l) => l.fulfillmentLineItemId === fl.id).reduce((n, l) => n + l.quantity, 0);
      if (want.quantity <= 0 || want.quantity > fl.quantity - onReturns) return refuse('Quantity is greater than the returnable quantity');
      lines.push({ id: shop.nextId('ReturnLineItem'), fulfillmentLineItemId: fl.id, lineItemId: fl.lineItemId, quantity: want.quantity, processedQuantity: 0 });
    }
    const r = { id: shop.nextId('Return'), status: 'OPEN' as const, note: null, lines };
    o.returns.push(r);
    shop.touch(o);
    return { returnCreate: { return: { id: r.id, status: r.status, returnLineItems: { nodes: r.lines.map((l) => ({ __typename: 'ReturnLineItem', id: l.id, quantity: l.quantity })) } }, userErrors: [] } };
  },
  ReturnProcess: (v, shop) => {
    const input = v.input as { returnId: string; returnLineItems?: { id: string; quantity: number }[]; note?: string };
    const o = [...shop.orders.values()].find((x) => x.returns.some((r) => r.id === input.returnId));
    const r = o?.returns.find((x) => x.id === input.returnId);
    const refuse = (message: string) => ({ returnProcess: { return: null, userErrors: [{ code: 'INVALID_STATE', field: ['input'], message }] } });
    if (!o || !r || r.status !== 'OPEN') return refuse('Return is not open');
    for (const want of input.returnLineItems ?? []) {
      const l = r.lines.find((x) => x.id === want.id);
      if (!l || want.quantity > l.quantity - l.processedQuantity) return refuse('Quantity is greater than the unprocessed quantity');
      l.processedQuantity += want.quantity;
    }
    if (r.lines.every((l) => l.processedQuantity === l.quantity)) r.status = 'CLOSED';
    r.note = input.note ?? null;
    shop.touch(o);
    return { returnProcess: { return: { id: r.id, status: r.status }, userErrors: [] } };
  },
};
