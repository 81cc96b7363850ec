// The deliveries Shopify would push for the double's orders, signed as Shopify signs them
// (HMAC-SHA256 of the raw body with the app's secret, base64), for tests of the webhook route.
import { createHmac } from 'node:crypto';
import type { Order } from './state.js';

export function orderCreatedDelivery(order: Order, secret: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ id: Number(order.legacyId), admin_graphql_api_id: order.id, name: order.name, email: order.email, updated_at: order.updatedAt });
  return { body, headers: {
    'content-type': 'application/json', 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': `create-${order.legacyId}`,
    'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'), 'x-shopify-shop-domain': 'fake.myshopify.com',
    'x-shopify-triggered-at': order.updatedAt,
  } };
}
