// The contract suite against the in-memory reference pair, in unit time: the reference connectors
// must keep every promise the real ones are held to, or they teach the wrong thing.
import { createHmac } from 'node:crypto';
import { someCustomer, someProduct } from './subject.js';
import { MemoryInventory, memoryInventory, MemoryStore, memoryStore } from '../reference/index.js';
import { inventoryContract } from './inventory-contract.js';
import { storeContract } from './store-contract.js';

const WEBHOOK_SECRET = 'contract-memory-secret';
/** small pages, so that every feed is read over several */
const PAGE = 5;
const ALL_STORE = ['catalogue', 'stock', 'customers', 'orders', 'fulfilment', 'payments', 'orderChanges', 'offlineOrders', 'accounts', 'webhooks', 'incoming', 'feeds'];
const ALL_INVENTORY = ['catalogue', 'stock', 'customers', 'sales', 'shipments', 'payments', 'orderChanges', 'offlineSales', 'incoming', 'feeds'];

storeContract({
  name: 'in-memory store',
  declared: memoryStore.capabilities,
  checked: ALL_STORE,
  async open() {
    const store = new MemoryStore({ pageSize: PAGE, webhookSecret: WEBHOOK_SECRET });
    return {
      connector: store,
      close: async () => {},
      driver: {
        currency: 'EUR',
        refusedProduct: async (sku) => { store.refuse(sku); return someProduct(sku, 100, 'EUR'); },
        refusedStock: async (sku) => { store.refuse(sku); return { sku, available: 3 }; },
        customer: async (email) => { store.register({ ...someCustomer(email), email }); },
        order: async (lines, opts) => store.placeOrder({ customer: { ...someCustomer(opts.email), email: opts.email }, lines, pay: opts.settle ? 'capture' : 'authorise' }),
        signedWebhook: (orderCode) => store.webhook([{ kind: 'order', key: orderCode, version: '1' }]),
        signedHeaders: (body) => ({ 'x-memory-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` }),
        // its change log stamps every row with a tick of its own
        async manyRows() {
          const keys = Array.from({ length: PAGE * 3 }, (_, i) => `many-${i}@example.com`);
          for (const email of keys) store.register({ ...someCustomer(email), email });
          return { kind: 'customer', keys, sharedStamp: false };
        },
      },
    };
  },
});

inventoryContract({
  name: 'in-memory inventory',
  declared: memoryInventory.capabilities,
  checked: ALL_INVENTORY,
  async open() {
    const inventory = new MemoryInventory({ pageSize: PAGE });
    return {
      connector: inventory,
      close: async () => {},
      driver: {
        currency: 'EUR',
        product: async (sku, onHand) => { inventory.addProduct(sku, { priceMinor: 1_000, onHand }); },
        purchase: async (sku, quantity, day) => { inventory.purchase(sku, quantity, day); },
        // the warehouse ships what it has on hand, the rest waits
        async ship(orderCode) {
          const sale = inventory.saleOf(orderCode);
          const stock = await inventory.getStock(sale.lines.map((l) => l.sku));
          inventory.ship(orderCode, sale.lines.map((l) => ({ sku: l.sku, quantity: Math.min(l.quantity - l.shipped, stock.get(l.sku)?.onHand ?? 0) })));
        },
        phoneSale: async (email, lines) => inventory.enterSale({ ...someCustomer(email), email }, lines),
        async manyRows() {
          const keys = Array.from({ length: PAGE * 3 }, (_, i) => `MANY-${i}`);
          for (const sku of keys) inventory.addProduct(sku, { priceMinor: 500 });
          return { kind: 'product', keys, sharedStamp: false };
        },
      },
    };
  },
});
