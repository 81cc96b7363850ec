// The store contract against the Shopify double (stateful, every request checked against
// Shopify's published schema), for the groups Shopify declares and the double can arrange facts for.
import { createHmac } from 'node:crypto';
import { shopify, ShopifyConnector } from '../../src/connectors/shopify/index.js';
import { FakeShopify, VirtualClock } from '../doubles/shopify/server.js';
import { CURRENCY } from '../doubles/shopify/state.js';
import { storeContract } from './store-contract.js';
import { someProduct } from './subject.js';

const APP_SECRET = 'contract-app-secret-0123456789';
const LOCATION = 'gid://shopify/Location/1';
/** more customers than the customer feed reads in one page (250) */
const MANY_CUSTOMERS = 260;

storeContract({
  name: 'Shopify double',
  declared: shopify.capabilities,
  cannotCarry: shopify.cannotCarry,
  checked: ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'offlineOrders', 'accounts', 'webhooks', 'feeds'],
  async open() {
    const clock = new VirtualClock();
    const fake = await new FakeShopify(clock).start();
    const connector = new ShopifyConnector({ shop: 'fake.myshopify.com', accessToken: 'shpat_contract', endpoint: fake.endpoint,
      appSecret: APP_SECRET, locations: { Main: LOCATION }, defaultWarehouse: 'Main', now: clock.now, sleep: clock.sleep });
    return {
      connector,
      close: () => fake.stop(),
      driver: {
        currency: CURRENCY,
        // Shopify refuses a title longer than 255 characters
        refusedProduct: async (sku) => {
          const p = someProduct(sku, 100, CURRENCY);
          return { ...p, fields: { ...p.fields, names: { name: 'M'.repeat(300), variantName: sku } } };
        },
        // Shopify refuses a quantity above 1,000,000,000 (and the schema any beyond an Int)
        refusedStock: async (sku) => ({ sku, available: 1_500_000_000 }),
        customer: async (email) => { fake.shop.addCustomer({ email, firstName: 'Cy', lastName: 'Contract' }); },
        // a web order placed at checkout, authorised (or captured with `settle`); its code is its id
        async order(lines, opts) {
          const order = fake.shop.placeOrder({ email: opts.email, lines, paid: opts.settle ? 'captured' : 'authorised', shipping: { title: 'Standard', priceMinor: 500 },
            address: { firstName: 'Cy', lastName: 'Contract', company: null, address1: '5 Elm St', address2: null, city: 'Springfield', provinceCode: null, zip: '12345', countryCode: 'US', phone: null } });
          return order.legacyId;
        },
        signedWebhook(orderCode) {
          const body = Buffer.from(JSON.stringify({ id: 1001, admin_graphql_api_id: `gid://shopify/Order/${orderCode}`, updated_at: new Date().toISOString() }));
          return { body, headers: this.signedHeaders(body) };
        },
        signedHeaders: (body) => ({ 'x-shopify-hmac-sha256': createHmac('sha256', APP_SECRET).update(body).digest('base64'),
          'x-shopify-topic': 'orders/updated', 'x-shopify-webhook-id': `contract-${createHmac('sha256', 'id').update(body).digest('hex')}` }),
        // a bulk customer import: every customer stamped with one second
        async manyRows() {
          const keys = Array.from({ length: MANY_CUSTOMERS }, (_, i) => `many-${i}@example.com`);
          for (const email of keys) fake.shop.addCustomer({ email, updatedAt: '2026-01-01T00:00:00Z' });
          return { kind: 'customer', keys, sharedStamp: true };
        },
      },
    };
  },
});
