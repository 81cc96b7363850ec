// The double's orders as Shopify's Order type shows them (one builder every order document is
// executed against), and the order reads: by id, by name, changed since, in pages.
import type { Handler } from './server.js';
import { listingPage } from './listing.js';
import { money, type Address, type Json, type LineItem, type Order, type ShopState, type Transaction } from './state.js';

export const addressNode = (a: Address | null) => (a ? { ...a, countryCodeV2: a.countryCode } : null);

export function transactionNode(t: Transaction) {
  return { id: t.id, kind: t.kind, status: t.status, gateway: t.gateway, createdAt: t.createdAt, amountSet: money(t.amountMinor), parentTransaction: t.parentId ? { id: t.parentId } : null };
}

function lineNode(shop: ShopState, l: LineItem) {
  return {
    id: l.id, sku: l.sku, name: l.name, quantity: l.quantity, currentQuantity: l.currentQuantity,
    originalUnitPriceSet: money(l.unitPriceMinor), originalTotalSet: money(l.unitPriceMinor * l.quantity),
    discountAllocations: [], taxLines: [{ ratePercentage: l.taxRatePercent, priceSet: money(shop.lineTaxMinor(l)) }],
    variant: l.variantId ? { id: l.variantId } : null,
  };
}

const page = <T>(nodes: T[]) => ({ nodes, pageInfo: { hasNextPage: false, endCursor: null } });
/** A connection cut at the document's `first`, saying whether more follow, as Shopify pages it. */
const firstOf = <T>(nodes: T[]) => ({ first }: { first?: number }) =>
  ({ nodes: nodes.slice(0, first ?? nodes.length), pageInfo: { hasNextPage: nodes.length > (first ?? nodes.length), endCursor: null } });

/** Every field any document of the connector selects on an order. */
export function orderNode(shop: ShopState, o: Order): Json {
  const customer = o.customerId ? shop.customers.get(o.customerId) : undefined;
  return {
    id: o.id, legacyResourceId: o.legacyId, name: o.name, createdAt: o.createdAt, updatedAt: o.updatedAt, cancelledAt: o.cancelledAt,
    currencyCode: o.currencyCode, taxesIncluded: false, displayFinancialStatus: shop.financialStatus(o), sourceName: o.sourceName,
    email: o.email, phone: null, tags: o.tags, note: o.note,
    customer: { firstName: customer?.firstName ?? 'Ada', lastName: customer?.lastName ?? 'Lovelace', defaultEmailAddress: { emailAddress: o.email } },
    shippingAddress: addressNode(o.shippingAddress), billingAddress: addressNode(o.billingAddress),
    totalPriceSet: money(shop.originalTotal(o)), totalTaxSet: money(shop.originalTax(o)), currentTotalPriceSet: money(shop.currentTotal(o)),
    totalCapturableSet: money(shop.capturable(o)), discountCodes: [],
    lineItems: firstOf(o.lines.map((l) => lineNode(shop, l))),
    shippingLines: { nodes: o.shipping ? [{ title: o.shipping.title, discountedPriceSet: money(o.shipping.priceMinor), taxLines: [{ ratePercentage: o.shipping.taxRatePercent, priceSet: money(shop.shippingTax(o)) }] }] : [] },
    transactions: o.transactions.map(transactionNode),
    refunds: o.refunds.map((r) => ({
      id: r.id, note: r.note,
      transactions: { nodes: r.transactionIds.map((id) => transactionNode(o.transactions.find((t) => t.id === id)!)) },
      refundLineItems: { nodes: r.lines.map((l) => ({ quantity: l.quantity, lineItem: { id: l.lineItemId } })) },
    })),
    fulfillmentOrders: { nodes: o.fulfillmentOrders.map((fo) => ({ id: fo.id, status: fo.status,
      lineItems: { nodes: fo.lines.map((l) => ({ id: l.id, sku: o.lines.find((x) => x.id === l.lineItemId)?.sku ?? null, remainingQuantity: l.remainingQuantity, lineItem: { id: l.lineItemId } })) } })) },
    fulfillments: o.fulfillments.map((f) => ({ id: f.id, status: f.status, trackingInfo: f.trackingInfo,
      fulfillmentLineItems: { nodes: f.lines.map((l) => ({ id: l.id, quantity: l.quantity, lineItem: { id: l.lineItemId } })) } })),
    returns: firstOf(o.returns.map((r) => ({ id: r.id, status: r.status,
      returnLineItems: { nodes: r.lines.map((l) => ({ __typename: 'ReturnLineItem', id: l.id, quantity: l.quantity, fulfillmentLineItem: { id: l.fulfillmentLineItemId, lineItem: { id: l.lineItemId } } })) } }))),
    metafield: (args: { namespace?: string; key: string }) => o.metafields.get(`${args.namespace}.${args.key}`) ?? null,
  };
}

export const ORDERS: Record<string, Handler> = {
  OrderById: (v, shop) => { const o = shop.orders.get(String(v.id)); return { order: o ? orderNode(shop, o) : null }; },
  OrderPayments: (v, shop) => { const o = shop.orders.get(String(v.id)); return { order: o ? orderNode(shop, o) : null }; },
  OrderFulfillmentOrders: (v, shop) => { const o = shop.orders.get(String(v.id)); return { order: o ? orderNode(shop, o) : null }; },
  OrderLinesState: (v, shop) => { const o = shop.orders.get(String(v.id)); return { order: o ? orderNode(shop, o) : null }; },
  // Relay's nodes: one answer per id, in order, null where nothing has that id
  OrderLinesStates: (v, shop) => ({ nodes: (v.ids as string[]).map((id) => { const o = shop.orders.get(id); return o ? { __typename: 'Order', ...orderNode(shop, o) } : null; }) }),
  // Shopify's search syntax (shopify.dev/docs/api/usage/search-syntax): `name:"…"` terms joined by
  // the OR connective; any other shape is refused so a new query fails loudly
  OrderIdsByName: (v, shop) => {
    const q = String(v.query);
    const term = /name:"((?:[^"\\]|\\.)*)"/g;
    if (q.replace(term, '').split(' OR ').some((rest) => rest !== '')) throw new Error(`the double does not understand the search ${q}`);
    const names = new Set([...q.matchAll(term)].map((m) => m[1]!.replace(/\\(.)/g, '$1')));
    return { orders: { nodes: [...shop.orders.values()].filter((o) => names.has(o.name)).slice(0, Number(v.first)).map((o) => ({ id: o.id, name: o.name })) } };
  },
  OrderIdByName: (v, shop) => {
    const name = /name:"((?:[^"\\]|\\.)*)"/.exec(String(v.query))?.[1];
    return { orders: { nodes: [...shop.orders.values()].filter((o) => o.name === name).map((o) => ({ id: o.id, legacyResourceId: o.legacyId })) } };
  },
  OrdersUpdatedSince: (args, shop) => ({ orders: listingPage([...shop.orders.values()].map((o) => ({ legacyResourceId: o.legacyId, updatedAt: o.updatedAt })), args,
    (o) => ({ updatedAt: o.updatedAt, id: Number(o.legacyResourceId) })) }),
  OrderIdPage: (_v, shop) => ({ orders: page([...shop.orders.values()].map((o) => ({ legacyResourceId: o.legacyId }))) }),
};

let digests = 0;
/** metafieldsSet on an order, compare-and-set when a digest is given, as Shopify documents. */
ORDERS.LedgerSet = (v, shop) => {
  const out: Json[] = [];
  const userErrors: Json[] = [];
  for (const [i, m] of (v.metafields as { ownerId: string; namespace: string; key: string; type: string; value: string; compareDigest?: string | null }[]).entries()) {
    const o = shop.orders.get(m.ownerId);
    if (!o) { userErrors.push({ code: 'INVALID', field: ['metafields', String(i), 'ownerId'], message: 'Owner does not exist' }); continue; }
    const current = o.metafields.get(`${m.namespace}.${m.key}`);
    if (m.compareDigest && current?.compareDigest !== m.compareDigest) {
      userErrors.push({ code: 'STALE_OBJECT', field: ['metafields', String(i), 'compareDigest'], message: 'The resource has been updated since it was loaded.' });
      continue;
    }
    if (m.type === 'json') { try { JSON.parse(m.value); } catch { userErrors.push({ code: 'INVALID_VALUE', field: ['metafields', String(i), 'value'], message: 'Value must be valid JSON' }); continue; } }
    const next = { value: m.value, compareDigest: `digest-${++digests}` };
    o.metafields.set(`${m.namespace}.${m.key}`, next);
    shop.touch(o);
    out.push({ key: m.key, compareDigest: next.compareDigest });
  }
  return { metafieldsSet: { metafields: userErrors.length ? null : out, userErrors } };
};
