// The store contract against the Shopify double (a local stand-in answering with Shopify's
// documented shapes), for the groups Shopify declares and the double can arrange facts for.
import { createHmac } from 'node:crypto';
import { shopify, ShopifyConnector } from '../../src/connectors/shopify/index.js';
import { FakeShopify, VirtualClock } from '../unit/shopify/fake-shopify.js';
import { storeContract } from './store-contract.js';
import { someProduct } from './subject.js';

const APP_SECRET = 'contract-app-secret-0123456789';
const LOCATION = 'gid://shopify/Location/1';
/** what the double cannot arrange yet: it keeps no customers or orders and answers no listings */
const notYet = (what: string) => Promise.reject(new Error(`the Shopify double cannot arrange ${what} yet`));

storeContract({
  name: 'Shopify double',
  declared: shopify.capabilities,
  // A group joins this list (one word) once the double can arrange its facts: catalogue needs
  // product fields kept and SkuPage answered, customers and orders need them kept and read.
  checked: ['stock', 'webhooks'],
  async open() {
    const clock = new VirtualClock();
    const fake = await new FakeShopify(clock).start();
    const connector = new ShopifyConnector({ shop: 'fake.myshopify.com', accessToken: 'shpat_contract', endpoint: `${fake.url}/admin/api/2026-10/graphql.json`,
      appSecret: APP_SECRET, locations: { Main: LOCATION }, defaultWarehouse: 'Main', now: clock.now, sleep: clock.sleep });
    return {
      connector,
      close: () => fake.stop(),
      driver: {
        currency: 'EUR',
        // Shopify refuses a title longer than 255 characters
        refusedProduct: async (sku) => {
          const p = someProduct(sku, 100, 'EUR');
          return { ...p, fields: { ...p.fields, names: { name: 'M'.repeat(300), variantName: sku } } };
        },
        // Shopify refuses a quantity above 1,000,000,000
        refusedStock: async (sku) => ({ sku, available: 3_000_000_000 }),
        customer: () => notYet('customers'),
        order: () => notYet('orders'),
        signedWebhook(orderCode) {
          const body = Buffer.from(JSON.stringify({ id: 1001, admin_graphql_api_id: `gid://shopify/Order/${orderCode}`, updated_at: new Date().toISOString() }));
          return { body, headers: this.signedHeaders(body) };
        },
        signedHeaders: (body) => ({ 'x-shopify-hmac-sha256': createHmac('sha256', APP_SECRET).update(body).digest('base64'),
          'x-shopify-topic': 'orders/updated', 'x-shopify-webhook-id': `contract-${createHmac('sha256', 'id').update(body).digest('hex')}` }),
        manyRows: () => notYet('a feed of many rows'),
      },
    };
  },
});
