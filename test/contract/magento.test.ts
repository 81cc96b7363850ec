// The store contract against the Magento double (stateful, every request and answer checked against
// Adobe's published Admin REST schema), for the groups the Magento connector declares.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { magento, MagentoConnector } from '../../src/connectors/magento/index.js';
import { ACCESS_TOKEN, FakeMagento } from '../doubles/magento/server.js';
import { CURRENCY } from '../doubles/magento/state.js';
import { storeContract } from './store-contract.js';
import { someProduct } from './subject.js';

/** rows per listing call, and more customers than that for the feed's paging */
const PAGE = 50;
const MANY_CUSTOMERS = 120;

let double: FakeMagento | undefined;
// a request outside the published schema is the connector's mistake, whichever check made it
after(() => {
  assert.deepEqual(double?.schemaViolations, [], 'every request the connector sent is one the published schema accepts');
  assert.deepEqual(double?.answerViolations, [], 'every answer of the double is one the published schema allows');
});

const noWebhooks = () => { throw new Error('Magento sends no webhooks: the connector polls'); };

storeContract({
  name: 'Magento double',
  declared: magento.capabilities,
  checked: ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'feeds'],
  // Magento has no call to edit a placed order, and its cancel takes every unit left at once
  refuses: ['orderEdits', 'partialCancellation'],
  cannotCarry: magento.cannotCarry,
  async open() {
    const fake = await new FakeMagento().start();
    double = fake;
    const connector = new MagentoConnector({ url: fake.url, accessToken: ACCESS_TOKEN, pageSize: PAGE });
    return {
      connector,
      close: () => fake.stop(),
      driver: {
        currency: CURRENCY,
        // Magento refuses a product name longer than 255 characters
        refusedProduct: async (sku) => {
          const p = someProduct(sku, 100, CURRENCY);
          return { ...p, fields: { ...p.fields, names: { name: 'M'.repeat(300), variantName: sku } } };
        },
        // a source item's quantity is a decimal(12,4): Magento refuses more
        refusedStock: async (sku) => ({ sku, available: 1_500_000_000 }),
        customer: async (email) => { fake.state.addCustomer({ email, firstname: 'Cy', lastname: 'Contract' }); },
        // a shopper's checkout: authorised, or with `settle` invoiced and captured at once
        order: async (lines, opts) => fake.state.placeOrder({ email: opts.email, lines, paid: opts.settle ? 'captured' : 'authorised' }).incrementId,
        signedWebhook: noWebhooks,
        signedHeaders: noWebhooks,
        // a customer import: every customer stamped with one second
        async manyRows() {
          const keys = Array.from({ length: MANY_CUSTOMERS }, (_, i) => `many-${i}@example.com`);
          for (const email of keys) fake.state.addCustomer({ email, firstname: 'Many', lastname: 'Rows' });
          fake.state.stampAlike('customer', keys, '2026-01-01 00:00:00');
          return { kind: 'customer', keys, sharedStamp: true };
        },
      },
    };
  },
});
