// master.salesTaxes and master.shippingMethods (both: the store) between a real Tryton and a real
// Vendure: Dovetail killed right after each create, a rate and a price changed in the store, a rate
// changed in Tryton put back, then a web order placed after the change: totals to the cent, the
// sale carries the carrier of its shipping method, and the shipment reports it back to the order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dec, decimalString, type TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { decimalToMinor } from '../../src/model/money.js';
import { DovetailProcess } from './helpers/dovetail-process.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, shipWhatIsThere, trytonAdmin } from './helpers/dovetail.js';
import { freePort } from './helpers/free-port.js';

/** the golden Vendure's one tax rate: category Standard in zone Domestic (scripts/vendure-app/setup.ts) */
const TAX = 'Standard @ Domestic';
const address = { fullName: 'Tess Buyer', streetLine1: '5 Elm St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };

describe('tax rates and shipping methods kept equal, the store their master', () => {
  let tdb: TrytonDatabase; let v: VendureInstance; let t: TrytonClient; let admin: GqlClient;
  let settings: ReturnType<typeof settingsFor>;
  let engine: Engine;
  const dovetail = new DovetailProcess(() => settings);

  const trytonTaxes = () => t.searchRead<{ id: number; rate: unknown }>('account.tax', [['name', '=', TAX]], ['rate']);
  const trytonCarriers = () => t.searchRead<{ id: number; 'party.': { name: string }; 'carrier_product.': { list_price: unknown } }>('carrier',
    [['carrier_product.code', '=', 'standard']], ['party.name', 'carrier_product.list_price']);
  const pass = async () => { await engine.queueReferenceSets('test'); await engine.tick(); };

  before(async () => {
    tdb = await freshTrytonDatabase(); v = await startVendure(); t = await trytonAdmin(tdb); admin = await adminGql(v.url);
    settings = settingsFor(tdb, v, { server: { port: await freePort() } });
  });
  after(async () => {
    await dovetail.kill();
    await engine?.ctx.storage.close();
    await v?.stop();
  });

  test('killed right after creating the Tryton tax, then right after creating the carrier: each exists once, recorded by the next run', async () => {
    // `run` queues both sets at start; each crash stops at the first write still to do
    await dovetail.crashAt('referenceSet.written', { restart: false });
    await dovetail.crashAt('referenceSet.written', { restart: false });
    engine = await engineFor(settings.config);
    await engine.runner.recover(); // as a restarted `run` does: the dead process's jobs are free again
    await pass();
    const taxes = await trytonTaxes();
    assert.equal(taxes.length, 1, 'one Tryton tax for the store rate');
    assert.equal(decimalString(taxes[0]!.rate), '0.1');
    const carriers = await trytonCarriers();
    assert.equal(carriers.length, 1, 'one Tryton carrier for the store method');
    assert.equal(carriers[0]!['party.'].name, 'Standard shipping');
    assert.equal(decimalToMinor(decimalString(carriers[0]!['carrier_product.'].list_price)), 500);
    // the crashed runs made them; this run found them equal and recorded them, writing nothing again
    assert.deepEqual(await engine.ctx.storage.snapshots('referenceSet', 'salesTaxes'), new Map([[TAX, { ratePercent: 10 }]]));
    assert.deepEqual(await engine.ctx.storage.snapshots('referenceSet', 'shippingMethods'), new Map([['standard', { name: 'Standard shipping', priceMinor: 500 }]]));
    const trail = await engine.ctx.storage.auditTrail(undefined, 50);
    assert.deepEqual(trail.filter((a) => a.action.startsWith('salesTax.') || a.action.startsWith('shippingMethod.')), []);
    assert.deepEqual(await engine.ctx.storage.failures(), []);
  });

  test('a rate and a price changed in Vendure reach Tryton; a rate changed in Tryton is put back', async () => {
    const { taxRates } = await admin<{ taxRates: { items: { id: string }[] } }>(`{ taxRates { items { id } } }`);
    await admin(`mutation($id: ID!) { updateTaxRate(input: { id: $id, value: 12 }) { id } }`, { id: taxRates.items[0]!.id });
    const { shippingMethods } = await admin<{ shippingMethods: { items: { id: string; code: string }[] } }>(`{ shippingMethods { items { id code } } }`);
    await admin(`mutation($id: ID!) { updateShippingMethod(input: { id: $id, translations: [{ languageCode: en, name: "Standard shipping" }],
      calculator: { code: "default-shipping-calculator", arguments: [{ name: "rate", value: "700" }, { name: "includesTax", value: "exclude" }, { name: "taxRate", value: "10" }] } }) { id } }`,
    { id: shippingMethods.items.find((m) => m.code === 'standard')!.id });
    await pass();
    assert.equal(decimalString((await trytonTaxes())[0]!.rate), '0.12');
    assert.equal(decimalToMinor(decimalString((await trytonCarriers())[0]!['carrier_product.'].list_price)), 700);

    await t.write('account.tax', [(await trytonTaxes())[0]!.id], { rate: dec('0.07') });
    await pass();
    assert.equal(decimalString((await trytonTaxes())[0]!.rate), '0.12', 'the store is the master: its rate is written back');
    const [reverted] = await engine.ctx.storage.auditTrail(TAX, 1);
    assert.equal(reverted?.action, 'salesTax.reverted');
    assert.equal(reverted?.setting, 'master.salesTaxes=store, ownership.onConflict=revert');
  });

  test('an order placed after the change: totals to the cent, the sale has the carrier, the shipment reports it as the fulfilment\'s method', async () => {
    const kettle = await createTrytonProduct(t, 'KETTLE-R', 'Copper kettle', '40.00');
    await receiveStock(t, kettle, 3);
    await engine.tick();
    const order = await shopCheckout(v.url, { email: 'tess@example.com', firstName: 'Tess', lastName: 'Buyer', address, lines: [{ sku: 'KETTLE-R', quantity: 1 }] });
    assert.equal(order.totalWithTax, 4480 + 770, '40.00 + 12 % and 7.00 shipping + 10 %');
    await engine.tick();
    const [sale] = await salesFor(t, order.code);
    assert.equal(sale?.state, 'processing');
    assert.equal(decimalToMinor(decimalString(sale!.total_amount)), order.totalWithTax, 'the sale agrees with the store to the cent');
    const [{ carrier }] = await t.read<{ carrier: number | null }>('sale.sale', [sale!.id], ['carrier']);
    assert.equal(carrier, (await trytonCarriers())[0]!.id, 'the sale carries the carrier of the order\'s shipping method');

    await shipWhatIsThere(t, order.code, { tracking: 'TRK-1' });
    await engine.tick();
    const r = await admin<{ orders: { items: { fulfillments: { method: string; trackingCode: string }[] }[] } }>(
      `query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { fulfillments { method trackingCode } } } }`, { c: order.code });
    assert.deepEqual(r.orders.items[0]!.fulfillments, [{ method: 'Standard shipping', trackingCode: 'TRK-1' }]);
  });
});
