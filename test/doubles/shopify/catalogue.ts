// The double's products, variants and stock: SKU search, compare-and-set quantities, activation,
// product creation and updates, bulk operations, the shop itself.
import type { Handler } from './server.js';
import { CURRENCY, PRODUCT_STAMP, toMinor, type Json } from './state.js';
import { listingPage } from './listing.js';

/** Shopify's documented limits, refused with a user error */
const MAX_QUANTITY = 1_000_000_000;

export const skusIn = (query: unknown): string[] => [...String(query).matchAll(/sku:"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));

export const CATALOGUE: Record<string, Handler> = {
  ShopInfo: () => ({ shop: { name: 'Fake', myshopifyDomain: 'fake.myshopify.com', currencyCode: CURRENCY } }),
  Locations: () => ({ locations: { nodes: [{ id: 'gid://shopify/Location/1', name: 'Main', isActive: true }, { id: 'gid://shopify/Location/2', name: 'Annex', isActive: true }] } }),

  InventoryAtLocation: (v, shop) => ({
    inventoryItems: { nodes: skusIn(v.query).flatMap((sku) => {
      const it = shop.items.get(sku);
      if (!it) return [];
      const q = it.levels.get(String(v.locationId));
      return [{ id: it.inventoryItemId, sku, inventoryLevel: q === undefined ? null : { id: `gid://shopify/InventoryLevel/${it.inventoryItemId.split('/').pop()}-${String(v.locationId).split('/').pop()}`, quantities: [{ name: 'available', quantity: q }] } }];
    }) },
  }),

  // compare-and-set, all or nothing: one stale row and nothing in the call is applied
  InventorySetQuantities: (v, shop) => {
    const input = v.input as { quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity: number | null }[] };
    const byItem = new Map([...shop.items.values()].map((i) => [i.inventoryItemId, i]));
    const userErrors: Json[] = [];
    input.quantities.forEach((q, i) => {
      if (q.quantity > MAX_QUANTITY) userErrors.push({ code: 'INVALID_QUANTITY_TOO_HIGH', field: ['input', 'quantities', String(i), 'quantity'], message: `The quantity can't be higher than ${MAX_QUANTITY}.` });
      if (!('changeFromQuantity' in q)) userErrors.push({ code: 'CHANGE_FROM_QUANTITY_REQUIRED', field: ['input', 'quantities', String(i)], message: 'changeFromQuantity is required' });
      const current = byItem.get(q.inventoryItemId)?.levels.get(q.locationId) ?? 0;
      if (q.changeFromQuantity !== null && q.changeFromQuantity !== current) {
        userErrors.push({ code: 'CHANGE_FROM_QUANTITY_STALE', field: ['input', 'quantities', String(i), 'changeFromQuantity'], message: 'The changeFromQuantity value does not match persisted value.' });
      }
    });
    if (input.quantities.length > 250) userErrors.push({ code: null, field: ['input', 'quantities'], message: 'too many' });
    if (userErrors.length) return { inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors } };
    for (const q of input.quantities) byItem.get(q.inventoryItemId)!.levels.set(q.locationId, q.quantity);
    return { inventorySetQuantities: { inventoryAdjustmentGroup: { id: 'gid://shopify/InventoryAdjustmentGroup/1' }, userErrors: [] } };
  },

  InventoryActivate: (v, shop) => {
    const it = [...shop.items.values()].find((i) => i.inventoryItemId === v.inventoryItemId)!;
    it.levels.set(String(v.locationId), 0);
    return { inventoryActivate: { inventoryLevel: { id: 'gid://shopify/InventoryLevel/1' }, userErrors: [] } };
  },

  BulkRunQuery: () => ({ bulkOperationRunQuery: { bulkOperation: { id: 'gid://shopify/BulkOperation/1', status: 'CREATED' }, userErrors: [] } }),
  BulkOperationStatus: (_v, _shop, server) => server.pollBulk(),

  VariantsBySku: (v, shop) => ({
    productVariants: { nodes: skusIn(v.query).flatMap((sku) => {
      const it = shop.items.get(sku);
      return it ? [{
        id: it.variantId, sku, title: sku, price: (it.priceMinor / 100).toFixed(2), updatedAt: '2026-01-01T00:00:00Z', selectedOptions: [{ name: 'Variant', value: sku }],
        inventoryItem: { id: it.inventoryItemId, measurement: { weight: null } }, metafields: { nodes: [] },
        product: { id: it.productId, title: 'P', descriptionHtml: '', status: 'ACTIVE', updatedAt: '2026-01-01T00:00:00Z', metafield: () => null },
      }] : [];
    }) },
  }),
  ProductByGroupKey: () => ({ productByIdentifier: null }),
  ProductCreate: (v, shop, server) => {
    const input = v.input as { title: string; variants: { price?: string; inventoryItem: { sku: string } }[] };
    if (input.title.length > 255) return { productSet: { product: null, userErrors: [{ code: 'INVALID_INPUT', field: ['input', 'title'], message: 'Title is too long (maximum is 255 characters)' }] } };
    const productId = `gid://shopify/Product/${9000 + server.requests.length}`;
    for (const variant of input.variants) shop.addItem(variant.inventoryItem.sku, {}, productId, variant.price ? toMinor(variant.price) : undefined);
    return { productSet: { product: { id: productId, variants: { nodes: [] } }, userErrors: [] } };
  },
  ProductUpdate: (v) => ({ productUpdate: { product: { id: (v.product as { id: string }).id }, userErrors: [] } }),
  VariantsBulkUpdate: (v, shop) => {
    for (const variant of v.variants as { id: string; price?: string }[]) {
      const item = shop.itemByVariant(variant.id);
      if (item && variant.price) item.priceMinor = toMinor(variant.price);
    }
    return { productVariantsBulkUpdate: { productVariants: [], userErrors: [] } };
  },
  SkuPage: (_v, shop) => ({ productVariants: { nodes: [...shop.items.values()].map((i) => ({ sku: i.sku })), pageInfo: { hasNextPage: false, endCursor: null } } }),
  ProductsUpdatedSince: (args, shop) => {
    const products = new Map<string, string[]>();
    for (const it of shop.items.values()) products.set(it.productId, [...(products.get(it.productId) ?? []), it.sku]);
    const rows = [...products].map(([id, skus]) => ({ id, updatedAt: shop.productStamps.get(id) ?? PRODUCT_STAMP,
      variants: { nodes: skus.slice(0, 35).map((sku) => ({ sku })), pageInfo: { hasNextPage: skus.length > 35 } } }));
    return { products: listingPage(rows, args, (p) => p) };
  },
};
