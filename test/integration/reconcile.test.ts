// `dovetail reconcile` against the real Tryton and Vendure: drift no event announces is planted in
// each (a facet-only edit, a stock count typed into the store, a party renamed in Tryton, a
// fulfilment cancelled by hand, a sale removed from Tryton, the record of a capture failed by
// hand), found by the command, mended by --repair, and found no more after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { decimalString, type TrytonClient } from '../../src/connectors/tryton/client.js';
import { capability } from '../../src/connectors/types.js';
import { decimalToMinor } from '../../src/model/money.js';
import type { Engine } from '../../src/engine/engine.js';
import { reconcile } from '../../src/engine/reconcile/reconcile.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, shipWhatIsThere, trytonAdmin, until, WEBHOOK_SECRET } from './helpers/dovetail.js';

const buyer = { email: 'ada.reconcile@example.com', firstName: 'Ada', lastName: 'Shopper',
  address: { fullName: 'Ada Shopper', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' } };

interface Cli { code: number; out: string; err: string }
function cli(s: { file: string; env: Record<string, string> }, ...args: string[]): Promise<Cli> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/dovetail.mjs', '--config', s.file, 'reconcile', ...args], { env: { ...process.env, ...s.env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }));
  });
}

describe('dovetail reconcile, real Tryton and Vendure', () => {
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;
  let settings: ReturnType<typeof settingsFor>;
  let shipped: string;
  let lost: string;
  /** the buyer's party in Tryton */
  let partyId: number;
  /** what the store captured for `shipped` (minor units) */
  let captured: number;
  /** the succeeded receivable payments against an order's sale in Tryton */
  const receivedPayments = async (code: string) => {
    const [sale] = await salesFor(t, code);
    return t.search('account.payment', [['origin', '=', `sale.sale,${sale.id}`], ['kind', '=', 'receivable'], ['state', '=', 'succeeded']]);
  };

  const variant = async (sku: string) => (await admin<{ productVariants: { items: { id: string; stockOnHand: number; product: { id: string; facetValues: { id: string; name: string; facet: { code: string } }[] } }[] } }>(
    `query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items { id stockOnHand product { id facetValues { id name facet { code } } } } } }`, { s: sku })).productVariants.items[0];
  const fulfilments = async (code: string) => (await admin<{ orders: { items: { fulfillments: { id: string; state: string }[] }[] } }>(
    `query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { fulfillments { id state } } } }`, { c: code })).orders.items[0].fulfillments;

  before(async () => {
    const tryton = await freshTrytonDatabase();
    vendure = await startVendure({ webhookSecret: WEBHOOK_SECRET });
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
    settings = settingsFor(tryton, vendure, { rules: { partialShipmentsToStore: true } });
    engine = await engineFor(settings.config);
    const tee = await createTrytonProduct(t, 'TEE-R', 'Linen tee', '20.00');
    const cap = await createTrytonProduct(t, 'CAP-R', 'Wool cap', '15.00');
    const [tops] = await t.create('product.category', [{ name: 'Tops', accounting: false }]);
    const [{ template }] = await t.read<{ template: number }>('product.product', [tee], ['template']);
    await t.write('product.template', [template], { categories: [['add', [tops]]] });
    await receiveStock(t, tee, 10);
    await receiveStock(t, cap, 10);
    // each step waits for the flows (a busy Tryton may answer a call with a transient error: its job is retried)
    const ticked = <T>(what: string, fn: () => Promise<T>) => until(what, async () => { await engine.tick(); return fn(); });
    await ticked('both products in the store, stock published', async () => (await variant('TEE-R'))?.stockOnHand === 10 && (await variant('CAP-R'))?.stockOnHand === 10);
    shipped = (await shopCheckout(vendure.url, { ...buyer, lines: [{ sku: 'TEE-R', quantity: 1 }], paymentMethod: 'dummy-settle' })).code;
    lost = (await shopCheckout(vendure.url, { ...buyer, lines: [{ sku: 'CAP-R', quantity: 1 }], paymentMethod: 'dummy-authorize' })).code;
    await ticked('both orders imported', async () => (await salesFor(t, shipped)).length === 1 && (await salesFor(t, lost)).length === 1);
    await shipWhatIsThere(t, shipped);
    await ticked('the shipment on the store order', async () => (await fulfilments(shipped)).filter((f) => f.state === 'Shipped').length === 1);
    await ticked('nothing left to do', async () => !(await engine.ctx.storage.jobs({ state: 'pending' })).length);
    captured = (await capability(engine.ctx.store, 'payments', 'the test').getPayments(shipped))!.capturedMinor;
    assert.ok(captured > 0 && (await receivedPayments(shipped)).length === 1, 'the store captured at checkout, and Tryton has it recorded');
  });
  after(async () => { await engine?.ctx.storage.close(); await vendure?.stop(); });

  test('two systems the flows keep in step: no drift', async (tc) => {
    const report = await reconcile(engine.ctx, { repair: false });
    assert.deepEqual(report.differences, []);
    assert.deepEqual(report.compared, { products: 2, stock: 2, customers: 1, orders: 2, money: 2 });
    tc.diagnostic(`API calls per kind (both systems): ${JSON.stringify(report.calls)}`);
  });

  test('drift planted behind the engine\'s back is found, each with its master\'s value (exit code 1, --json)', async () => {
    // a facet-only edit in Vendure: Vendure does not bump updatedAt and no event is delivered here
    const tee = await variant('TEE-R');
    const { facets } = await admin<{ facets: { items: { id: string }[] } }>(`{ facets(options: { filter: { code: { eq: "category" } } }) { items { id } } }`);
    const { createFacetValues } = await admin<{ createFacetValues: { id: string }[] }>(`mutation($f: ID!) { createFacetValues(input: [{ facetId: $f, code: "outerwear", translations: [{ languageCode: en, name: "Outerwear" }] }]) { id } }`, { f: facets.items[0].id });
    await admin(`mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }`, { i: { id: tee.product.id, facetValueIds: [createFacetValues[0].id] } });
    // a stock count typed into the store
    await admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`, { i: [{ id: (await variant('CAP-R')).id, stockOnHand: 99 }] });
    // a fulfilment cancelled by hand (Vendure cannot delete one; Cancelled is how it is taken away)
    const [f] = await fulfilments(shipped);
    await admin(`mutation($id: ID!) { transitionFulfillmentToState(id: $id, state: "Cancelled") { __typename } }`, { id: f.id });
    // a sale removed from Tryton. Tryton refuses to delete a confirmed sale (only draft or
    // cancelled ones), so this is what an administrator forcing it does: shipment and invoice
    // cancelled, the sale set back to draft, then deleted.
    const [sale] = await salesFor(t, lost);
    const [{ shipments, invoices }] = await t.read<{ shipments: number[]; invoices: number[] }>('sale.sale', [sale.id], ['shipments', 'invoices']);
    if (shipments.length) await t.button('stock.shipment.out', 'cancel', shipments);
    if (invoices.length) await t.model('account.invoice', 'delete', [invoices]);
    await t.write('sale.sale', [sale.id], { state: 'draft' });
    await t.model('sale.sale', 'delete', [[sale.id]]);
    assert.deepEqual(await salesFor(t, lost), []);
    // the customer's party renamed in Tryton, seen by no flow before reconcile reads (the store is the master of customers)
    partyId = (await salesFor(t, shipped))[0].party;
    await t.write('party.party', [partyId], { name: 'Ada Typo' });
    // the record of the store's capture failed by hand in Tryton (a succeeded payment cannot be deleted)
    await t.button('account.payment', 'fail', await receivedPayments(shipped));

    const run = await cli(settings, '--json');
    assert.equal(run.code, 1, `drift found: exit code 1\n${run.err}`);
    const report = JSON.parse(run.out) as { differences: { kind: string; recordKey: string; aspect: string; master: string; masterValue: unknown; otherValue: unknown; action: string }[] };
    const found = (kind: string, key: string, aspect: string) => report.differences.find((d) => d.kind === kind && d.recordKey === key && d.aspect === aspect);
    assert.deepEqual(found('products', 'TEE-R', 'categories')?.masterValue, { names: ['Outerwear'] }, 'the store is the master of categories');
    assert.deepEqual(found('products', 'TEE-R', 'categories')?.otherValue, { names: ['Tops'] });
    assert.equal(found('stock', 'CAP-R', 'available')?.otherValue, 99);
    assert.deepEqual([found('orders', shipped, 'shipped:TEE-R')?.masterValue, found('orders', shipped, 'shipped:TEE-R')?.otherValue], [1, 0]);
    assert.equal(found('orders', lost, 'sale')?.otherValue, 'no sale');
    const customer = found('customers', buyer.email, 'details') as { masterValue: { name: string }; otherValue: { name: string } } | undefined;
    assert.deepEqual([customer?.masterValue.name, customer?.otherValue.name], ['Ada Shopper', 'Ada Typo']);
    assert.deepEqual([found('money', shipped, 'captured')?.masterValue, found('money', shipped, 'captured')?.otherValue], [captured, 0]);
    assert.ok(report.differences.every((d) => d.action === 'reported'), 'nothing repaired without --repair');
  });

  test('--repair mends each through its flow, audited "found by reconcile"; the run after finds nothing', async () => {
    const repaired = await reconcile(engine.ctx, { repair: true });
    assert.ok(repaired.differences.length >= 6);
    assert.ok(repaired.differences.every((d) => d.action === 'queued'), JSON.stringify(repaired.differences));
    await until('the repairs worked', async () => { await engine.tick(); return !(await engine.ctx.storage.jobs({ state: 'pending' })).length; });

    const [{ template }] = await t.searchRead<{ template: number }>('product.product', [['code', '=', 'TEE-R']], ['template']);
    const [tpl] = await t.read<{ categories: number[] }>('product.template', [template], ['categories']);
    assert.deepEqual((await t.read<{ name: string }>('product.category', tpl.categories, ['name'])).map((c) => c.name), ['Outerwear'], 'Tryton follows the store');
    assert.equal((await variant('CAP-R')).stockOnHand, 10, 'the store shows Tryton\'s count again (the order it holds back itself)');
    assert.equal((await fulfilments(shipped)).filter((f) => f.state === 'Shipped').length, 1, 'the shipment is on the store order again');
    const sales = await salesFor(t, lost);
    assert.equal(sales.length, 1, 'the sale is made again, once');
    const received = await t.read<{ amount: unknown }>('account.payment', await receivedPayments(shipped), ['amount']);
    assert.equal(received.length, 1, 'the store\'s capture is recorded again, once');
    assert.equal(decimalToMinor(decimalString(received[0].amount)), captured);
    assert.equal((await t.read<{ name: string }>('party.party', [partyId], ['name']))[0].name, 'Ada Shopper', 'the party follows the store again');
    const trail = await engine.ctx.storage.auditTrail(undefined, 1000);
    for (const key of ['TEE-R', 'CAP-R', buyer.email, shipped, lost]) {
      // (the money repair is audited under the order code too: `shipped` covers both)
      assert.ok(trail.some((a) => a.recordKey === key && a.action === 'reconcile.repair' && a.result === 'queued: found by reconcile'), `repair of ${key} audited`);
    }

    const run = await cli(settings);
    assert.equal(run.code, 0, `${run.out}\n${run.err}`);
    assert.match(run.out, /no drift/);
  });
});
