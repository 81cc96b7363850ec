// The store contract against the Shopify double (a local stand-in answering with Shopify's
// documented shapes), for the groups Shopify declares and the double can arrange facts for.
import { createHmac } from 'node:crypto';
import { shopify, ShopifyConnector } from '../../src/connectors/shopify/index.js';
import { DEFAULT_STAMP, FakeShopify, VirtualClock } from '../unit/shopify/fake-shopify.js';
import { storeContract } from './store-contract.js';
import { someProduct } from './subject.js';

const APP_SECRET = 'contract-app-secret-0123456789';
const LOCATION = 'gid://shopify/Location/1';
/** what the double cannot arrange yet */
const notYet = (what: string) => Promise.reject(new Error(`the Shopify double cannot arrange ${what} yet`));
/** more customers than the customer feed reads in one page (250) */
const MANY_CUSTOMERS = 260;

storeContract({
  name: 'Shopify double',
  declared: shopify.capabilities,
  // A group joins this list (one word) once the double can arrange its facts: catalogue needs the
  // fields written kept (VariantsBySku answers a fixed price), customers a customer found by email.
  checked: ['stock', 'orders', 'webhooks', 'feeds'],
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
        // a web order as the shop lists it and answers it by id; its code is its id
        async order(lines, opts) {
          const id = String(9_000 + fake.listedOrders.size);
          fake.placeOrder({ id, name: `#${id}`, updatedAt: new Date(Date.parse(DEFAULT_STAMP) + fake.listedOrders.size * 1_000).toISOString(), email: opts.email, currency: 'EUR',
            address: { firstName: 'Cy', lastName: 'Contract', company: null, address1: '5 Elm St', address2: null, city: 'Springfield', provinceCode: null, zip: '12345', countryCodeV2: 'US', phone: null },
            lines: lines.map((l) => ({ ...l, unitPrice: '12.50' })) }, APP_SECRET);
          return id;
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
          keys.forEach((email, i) => fake.customers.set(email, { id: `gid://shopify/Customer/${7_000 + i}`, email, updatedAt: DEFAULT_STAMP }));
          return { kind: 'customer', keys, sharedStamp: true };
        },
      },
    };
  },
});
