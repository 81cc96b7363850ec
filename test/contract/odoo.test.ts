// The inventory contract against the Odoo double: as Odoo 17 and 18 over /jsonrpc and as Odoo 19 over
// JSON-2, each version refusing any name its manifest (read from Odoo's sources) lacks.
import { OdooConnector, odoo } from '../../src/connectors/odoo/index.js';
import { FakeOdoo } from '../doubles/odoo/server.js';
import type { OdooVersion } from '../doubles/odoo/manifest.js';
import { inventoryContract } from './inventory-contract.js';

/** more rows than the Odoo feeds read in one page (1,000) */
const SHARED_STAMP_ROWS = 1_100;
/** the rate the suite's web orders are taxed at (someOrder): the accountant has set up that sales tax */
const SUITE_TAX_PERCENT = 10;

for (const version of ['17.0', '18.0', '19.0'] as const satisfies readonly OdooVersion[]) {
  inventoryContract({
    name: `Odoo ${version} double`,
    declared: odoo.capabilities,
    cannotCarry: odoo.cannotCarry,
    checked: ['catalogue', 'stock', 'customers', 'sales', 'shipments', 'payments', 'orderChanges', 'offlineSales', 'feeds'],
    async open() {
      const fake = await new FakeOdoo({ version }).start();
      fake.desk.salesTax(SUITE_TAX_PERCENT);
      const connector = new OdooConnector({ url: fake.url, database: fake.database, username: fake.login, apiKey: fake.apiKey, locations: [] });
      return {
        connector,
        close: () => fake.stop(),
        driver: {
          currency: 'EUR',
          async product(sku, onHand) { fake.desk.addProduct(sku, { price: 10, onHand }); },
          async ship(orderCode) { fake.desk.shipWhatIsThere(fake.desk.saleOf(orderCode), { tracking: `TRACK-${orderCode}` }); },
          async phoneSale(email, lines) { return String(fake.desk.phoneSale(email, lines)); },
          // a catalogue import: every product made within one second, so all share one write_date
          async manyRows() {
            const keys = Array.from({ length: SHARED_STAMP_ROWS }, (_, i) => `STAMP-${version}-${String(i).padStart(5, '0')}`);
            fake.clock.advance();
            for (const sku of keys) fake.desk.addProduct(sku, { price: 5 });
            fake.clock.advance();
            return { kind: 'product', keys, sharedStamp: true };
          },
        },
      };
    },
  });
}
