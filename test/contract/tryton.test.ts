// The inventory contract against the real Tryton: one fresh database for the file, facts arranged
// the way a warehouse and a sales clerk make them.
import { z } from 'zod';
import { dec } from '../../src/connectors/tryton/client.js';
import { tryton, TrytonConnector } from '../../src/connectors/tryton/index.js';
import { createTrytonProduct, receiveStock, shipWhatIsThere, until } from '../integration/helpers/dovetail.js';
import { offlineSale, phoneCustomer } from '../integration/helpers/offline.js';
import { confirmedPurchase } from '../integration/helpers/tryton-operator.js';
import { freshTrytonDatabase } from '../integration/helpers/systems.js';
import { inventoryContract } from './inventory-contract.js';
import { retryingTransient } from './subject.js';

/** more products than the product feed reads in one page (2,000) */
const SHARED_STAMP_ROWS = 2_100;

inventoryContract({
  name: 'Tryton',
  declared: tryton.capabilities,
  checked: ['catalogue', 'stock', 'customers', 'sales', 'shipments', 'payments', 'orderChanges', 'offlineSales', 'incoming', 'feeds'],
  async open() {
    const tryton = new TrytonConnector(await freshTrytonDatabase());
    const connector = retryingTransient(tryton);
    const t = retryingTransient(tryton.client);
    await t.login();
    const [company] = z.array(z.object({ currency: z.number() })).parse(await t.read('company.company', [Number(t.context.company)], ['currency']));
    const [currency] = z.array(z.object({ code: z.string() })).parse(await t.read('currency.currency', [company!.currency], ['code']));
    const productId = async (sku: string) => (await t.search('product.product', [['code', '=', sku]], { limit: 1 }))[0]!;
    return {
      connector,
      close: async () => {},
      driver: {
        currency: currency!.code,
        async product(sku, onHand) {
          const id = await createTrytonProduct(t, sku, `Product ${sku}`, '10.00');
          if (onHand) await receiveStock(t, id, onHand);
        },
        async ship(orderCode) {
          // Tryton's worker makes the shipment of a confirmed sale just after: wait for it, as the warehouse would
          await until(`a shipment for ${orderCode}`, async () => (await t.searchRead<{ shipments: number[] }>('sale.sale', [['reference', '=', orderCode]], ['shipments']))[0]?.shipments.length);
          await shipWhatIsThere(t, orderCode);
        },
        async purchase(sku, quantity, day) { await confirmedPurchase(t, sku, quantity, day); },
        async phoneSale(email, lines) {
          const customer = await phoneCustomer(t, 'Phil Phone', email);
          const rows = await Promise.all(lines.map(async (l) => ({ product: await productId(l.sku), quantity: l.quantity, price: '10.00' })));
          return String(await offlineSale(t, customer, rows));
        },
        // a catalogue import: one template with every SKU a variant, made in one create, so one stamp
        async manyRows() {
          const keys = Array.from({ length: SHARED_STAMP_ROWS }, (_, i) => `STAMP-${String(i).padStart(5, '0')}`);
          const unit = await t.xmlId('product', 'uom_unit');
          await t.create('product.template', [{ name: 'Imported in one go', type: 'goods', default_uom: unit, list_price: dec('5'), salable: true, sale_uom: unit,
            products: [['create', keys.map((suffix_code) => ({ suffix_code, cost_price: dec('1') }))]] }]);
          return { kind: 'product', keys, sharedStamp: true };
        },
      },
    };
  },
});
