// The store contract against a real Vendure with Dovetail's plugin: one instance for the file,
// facts arranged the way a shopper and the shop's staff make them.
import { createHmac } from 'node:crypto';
import Database from 'better-sqlite3';
import { vendure } from '../../src/connectors/vendure/index.js';
import { VendureConnector } from '../../src/connectors/vendure/index.js';
import { registeredShopper } from '../integration/helpers/offline.js';
import { adminGql, shopCheckout, startVendure } from '../integration/helpers/systems.js';
import { storeContract } from './store-contract.js';
import { someProduct } from './subject.js';

const SECRET = 'contract-webhook-secret-0123456789';
/** more rows than the store's feeds read in one page (100) */
const SHARED_STAMP_ROWS = 150;

storeContract({
  name: 'Vendure',
  declared: vendure.capabilities,
  checked: ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'offlineOrders', 'accounts', 'webhooks', 'incoming', 'feeds'],
  async open() {
    const instance = await startVendure();
    const connector = new VendureConnector({ url: instance.url, username: instance.adminUsername, password: instance.adminPassword, webhookSecret: SECRET });
    const admin = await adminGql(instance.url);
    return {
      connector,
      close: () => instance.stop(),
      driver: {
        currency: 'USD',
        // a second variant with no value of the attribute its product's first variant has: Vendure
        // asks every variant of a product for an option of each of its option groups
        async refusedProduct(sku) {
          const colour = (codes: string[]) => ({ values: codes.map((code) => ({ attribute: 'contract-colour', attributeLabel: 'Colour', code, label: code })) });
          const [first, second] = [someProduct(`${sku}-FIRST`, 100, 'USD'), someProduct(sku, 100, 'USD')];
          const made = { ...first, groupKey: `${sku}-GROUP`, fields: { ...first.fields, attributes: colour(['red']) } };
          await connector.upsertProducts([{ product: made, groups: ['names', 'prices', 'attributes'] }]);
          return { ...second, groupKey: made.groupKey, fields: { ...second.fields, attributes: colour([]) } };
        },
        // a typo'd count beyond the 32-bit integers Vendure keeps stock in
        refusedStock: async (sku) => ({ sku, available: 3_000_000_000 }),
        customer: async (email) => { await registeredShopper(admin, email, 'Reg', 'Istered'); },
        order: async (lines, opts) => (await shopCheckout(instance.url, { lines, email: opts.email, firstName: 'Cy', lastName: 'Contract',
          address: { fullName: 'Cy Contract', streetLine1: '5 Elm St', city: 'Springfield', postalCode: '12345', countryCode: 'US' },
          paymentMethod: opts.settle ? 'dummy-settle' : 'dummy-authorize' })).code,
        signedWebhook(orderCode) {
          const body = Buffer.from(JSON.stringify({ id: `evt-${orderCode}`, event: 'OrderStateTransitionEvent', at: new Date().toISOString(), orderCode, state: 'PaymentSettled' }));
          return { body, headers: this.signedHeaders(body) };
        },
        signedHeaders: (body) => ({ 'x-dovetail-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }),
        // a bulk import within one second: written straight into the store's database while it is stopped
        async manyRows() {
          const keys = Array.from({ length: SHARED_STAMP_ROWS }, (_, i) => `stamp-${i}@example.com`);
          await instance.restart(() => {
            const sql = new Database(instance.dbFile);
            const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
            const [{ id: channel }] = sql.prepare('SELECT id FROM channel ORDER BY id LIMIT 1').all() as { id: number }[];
            sql.transaction(() => {
              const customer = sql.prepare('INSERT INTO customer (createdAt, updatedAt, firstName, lastName, emailAddress) VALUES (?, ?, ?, ?, ?)');
              const link = sql.prepare('INSERT INTO customer_channels_channel (customerId, channelId) VALUES (?, ?)');
              keys.forEach((email, i) => link.run(customer.run(stamp, stamp, 'Stamp', `Shared ${i}`, email).lastInsertRowid, channel));
            })();
            sql.close();
          });
          return { kind: 'customer', keys, sharedStamp: true };
        },
      },
    };
  },
});
