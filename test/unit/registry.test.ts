// The registry is the one list of systems: settings are built from it, `open` builds connectors by
// it, and a connector's missing capability is one clear config error wherever it is asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { INVENTORY_SYSTEMS, STORE_SYSTEMS, SYSTEMS, carries, displayNameOf } from '../../src/connectors/registry.js';
import { capability, hasCapability, lacking, type StoreConnector } from '../../src/connectors/types.js';
import { customerToStore } from '../../src/engine/handlers/customers-to-store.js';
import { offlineOrderToStore } from '../../src/engine/handlers/offline-orders.js';
import { openContext } from '../../src/engine/open.js';
import { DovetailError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';

const settings = (store: string, more = '') => parseConfig(`database: { path: ":memory:" }\nsystems:\n  inventory: { password: x }\n  store: ${store}\n${more}`, {}, 'x');
const SHOPIFY = '{ type: shopify, shop: acme.myshopify.com, accessToken: t, webhookSecret: 0123456789abcdef }';
const VENDURE = '{ password: x, webhookSecret: 0123456789abcdef }';

/** The same connector declaring only its side's core, as a store that carries nothing more would. */
const coreOnly = <T extends StoreConnector>(store: T): T => Object.assign(Object.create(store) as T, { capabilities: [] });

test('each system is listed once, under its side, with a connection block of its own type', () => {
  const names = SYSTEMS.map((d) => d.system);
  assert.deepEqual(names, [...new Set(names)]);
  for (const d of INVENTORY_SYSTEMS) assert.equal(d.side, 'inventory');
  for (const d of STORE_SYSTEMS) assert.equal(d.side, 'store');
  for (const d of SYSTEMS) assert.equal(d.connection.shape.type.safeParse(d.system).success, true, d.system);
  assert.equal(displayNameOf('shopify'), 'Shopify');
  assert.equal(displayNameOf('sap'), 'sap', 'an unknown name is shown as given');
});

test('open builds the connector the settings name, by the registry', async () => {
  for (const [block, system] of [[VENDURE, 'vendure'], [SHOPIFY, 'shopify']] as const) {
    const ctx = await openContext(settings(block), createLogger('silent'));
    try {
      assert.equal(ctx.store.system, system);
      assert.equal(ctx.inventory.system, 'tryton');
      assert.deepEqual(ctx.store.capabilities, STORE_SYSTEMS.find((d) => d.system === system)!.capabilities, 'the connector declares what its descriptor does');
    } finally { await ctx.storage.close(); }
  }
});

test('capability: the group of a connector that carries it, else one config error naming the system, the group and the rule', async () => {
  const shopify = await openContext(settings(SHOPIFY), createLogger('silent'));
  const vendure = await openContext(settings(VENDURE), createLogger('silent'));
  try {
    assert.equal(capability(vendure.store, 'payments', 'captures'), vendure.store);
    assert.equal(capability(shopify.store, 'payments', 'captures'), shopify.store);
    const lean = coreOnly(shopify.store);
    assert.equal(capability(lean, 'catalogue', 'products'), lean, 'core groups always count');
    assert.throws(() => capability(lean, 'payments', 'capture per shipment (rules.capture: atShipment)'),
      (e: unknown) => e instanceof DovetailError && e.kind === 'config' && e.message === 'the shopify connector does not carry payments: capture per shipment (rules.capture: atShipment)');
    assert.equal(hasCapability(lean, 'fulfilment'), false);
    assert.equal(hasCapability(shopify.store, 'fulfilment'), true);
    assert.equal(hasCapability(shopify.inventory, 'shipments'), true);
    const shopifyDescriptor = STORE_SYSTEMS.find((d) => d.system === 'shopify')!;
    assert.equal(carries(shopifyDescriptor, 'orders'), true);
    assert.equal(carries(shopifyDescriptor, 'orderChanges'), true);
    assert.equal(carries({ ...shopifyDescriptor, capabilities: [] }, 'orderChanges'), false);
    assert.equal(lacking([lean, 'accounts'], [shopify.inventory, 'offlineSales']), 'the shopify connector does not carry accounts');
    assert.equal(lacking([shopify.store, 'accounts'], [shopify.inventory, 'offlineSales']), null);
    assert.equal(lacking([vendure.store, 'accounts'], [vendure.inventory, 'offlineSales']), null);
  } finally { await shopify.storage.close(); await vendure.storage.close(); }
});

test('a rule the store cannot carry out leaves an audit row saying what its connector lacks, and no failure', async () => {
  const ctx = await openContext(settings(SHOPIFY, 'rules: { offlineCustomerAccounts: create, offlineOrdersToStore: all }\n'), createLogger('silent'));
  ctx.store = coreOnly(ctx.store);
  try {
    await ctx.storage.enqueue({ kind: customerToStore.kind, key: 'phone@example.com', reason: 'test' });
    await ctx.storage.enqueue({ kind: offlineOrderToStore.kind, key: '42', reason: 'test' });
    const jobs = await ctx.storage.jobs({ state: 'pending' });
    for (const handler of [customerToStore, offlineOrderToStore]) {
      const outcomes = await handler.handle(ctx, jobs.filter((j) => j.kind === handler.kind));
      assert.deepEqual([...outcomes.values()], [null], handler.kind);
    }
    const trail = await ctx.storage.auditTrail();
    assert.equal(trail.find((a) => a.action === 'customer.accountUnsupported')?.result, 'not carried out: the shopify connector does not carry accounts');
    assert.equal(trail.find((a) => a.action === 'offlineOrder.unsupported')?.result, 'not carried out: the shopify connector does not carry offlineOrders');
  } finally { await ctx.storage.close(); }
});
