// rules.partialShipmentsToStore and rules.shipmentEmailsFrom against the real Tryton and Vendure:
// a web order of 2 lines shipped from Tryton in two parts, reported to Vendure as fulfilments,
// and exactly one system (or none) telling the customer, seen at a local SMTP server and in the
// events Dovetail's Vendure plugin emits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { dec } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { JOB } from '../../src/engine/job-kinds.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, settingsFor, shipWhatIsThere, trytonAdmin, WEBHOOK_SECRET } from './helpers/dovetail.js';

const EMAIL = 'ada.shipments@example.com';
const buyer = { email: EMAIL, firstName: 'Ada', lastName: 'Shopper',
  address: { fullName: 'Ada Shopper', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' } };

// ---- a local SMTP server and a receiver for the plugin's events ------------------------------

interface Mail { to: string[]; data: string }
async function startSmtp() {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, done) {
      let data = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => { data += c; });
      stream.on('end', () => { mails.push({ to: (session.envelope.rcptTo || []).map((r) => r.address), data }); done(); });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { mails, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function startEventReceiver() {
  const events: { event: string; orderCode?: string; ref?: string; fulfillmentId?: string; email?: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { try { events.push(JSON.parse(body)); } catch { /* not ours */ } res.end('ok'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { events, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

// ---- Tryton: ship what is there ---------------------------------------------------------------

async function makeCarrier(t: TrytonClient, name: string): Promise<number> {
  const unit = await t.xmlId('product', 'uom_unit');
  const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
  const [party] = await t.create('party.party', [{ name }]);
  const [tmpl] = await t.create('product.template', [{ name: `${name} delivery`, type: 'service', default_uom: unit, list_price: dec('5'), salable: true, sale_uom: unit,
    account_category: category, products: [['create', [{ suffix_code: `SHIP-${name}` }]]] }]);
  const [product] = await t.search('product.product', [['template', '=', tmpl]]);
  const [carrier] = await t.create('carrier', [{ party, carrier_product: product, carrier_cost_method: 'product' }]);
  return carrier;
}


// ---- Vendure: what the order shows --------------------------------------------------------------

interface Fulfilment {
  id: string; state: string; method: string; trackingCode: string;
  customFields: { dovetailRef: string | null; shippedOn: string | null; notifyCustomer: boolean | null };
  lines: { orderLineId: string; quantity: number }[];
}
interface StoreOrder { id: string; state: string; lines: { id: string; quantity: number; productVariant: { sku: string } }[]; fulfillments: Fulfilment[] }

async function storeOrder(admin: GqlClient, code: string): Promise<StoreOrder> {
  const r = await admin<{ orders: { items: StoreOrder[] } }>(`query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items {
    id state lines { id quantity productVariant { sku } }
    fulfillments { id state method trackingCode customFields { dovetailRef shippedOn notifyCustomer } lines { orderLineId quantity } } } } }`, { c: code });
  return r.orders.items[0];
}

/** A fulfilment's lines as SKU -> quantity. */
function bySku(order: StoreOrder, f: Fulfilment): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of f.lines) {
    const sku = order.lines.find((ol) => ol.id === l.orderLineId)!.productVariant.sku;
    out[sku] = (out[sku] ?? 0) + l.quantity;
  }
  return out;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Everything one suite needs: systems, an engine with the given rules, and an order of A x3 + B x2
 * imported as a sale. Vendure moves an order to (Partially)Shipped only once its payment is
 * settled, so the suites that look at the order's state pay with dummy-settle (charged at order).
 */
async function scenario(rules: Record<string, unknown>, opts: { shortOfB: boolean; paymentMethod: 'dummy-settle' | 'dummy-authorize' }) {
  const smtp = await startSmtp();
  const hooks = await startEventReceiver();
  const tryton: TrytonDatabase = await freshTrytonDatabase();
  const vendure: VendureInstance = await startVendure({ webhookUrl: hooks.url, webhookSecret: WEBHOOK_SECRET });
  const t = await trytonAdmin(tryton);
  const admin = await adminGql(vendure.url);
  const settings = settingsFor(tryton, vendure, { rules, email: { host: '127.0.0.1', port: smtp.port, from: 'Shop <shop@example.com>' } });
  const engine: Engine = await engineFor(settings.config);
  const a = await createTrytonProduct(t, 'TEE-A', 'Linen tee', '20.00');
  const b = await createTrytonProduct(t, 'CAP-B', 'Wool cap', '15.00');
  await receiveStock(t, a, 10);
  await receiveStock(t, b, 2);
  await engine.tick();
  const order = await shopCheckout(vendure.url, { ...buyer, lines: [{ sku: 'TEE-A', quantity: 3 }, { sku: 'CAP-B', quantity: 2 }], paymentMethod: opts.paymentMethod });
  await engine.tick();
  const [sale] = await t.searchRead<{ id: number; state: string }>('sale.sale', [['reference', '=', order.code]], ['state']);
  assert.equal(sale?.state, 'processing', 'the web order became a confirmed sale');
  // One cap turns out damaged: the warehouse counts 1, so only 1 of the 2 can go now.
  if (opts.shortOfB) await receiveStock(t, b, 1);
  const carrier = await makeCarrier(t, 'UPS');
  return {
    smtp, hooks, tryton, vendure, t, admin, engine, order, carrier, a, b,
    notifications: () => hooks.events.filter((e) => e.event === 'ShipmentNotification'),
    close: async () => { await engine.ctx.storage.close(); await vendure.stop(); await smtp.close(); await hooks.close(); },
  };
}
type Scenario = Awaited<ReturnType<typeof scenario>>;

/** Lets the plugin's delivery loop (every 250 ms) hand over what the store emitted. */
const settle = () => new Promise((r) => setTimeout(r, 1_000));

describe('partialShipmentsToStore: true, shipmentEmailsFrom: dovetail', () => {
  let s: Scenario;
  before(async () => { s = await scenario({ partialShipmentsToStore: true, shipmentEmailsFrom: 'dovetail' }, { shortOfB: true, paymentMethod: 'dummy-settle' }); });
  after(async () => { await s?.close(); });

  test('a partial shipment becomes one Shipped fulfilment with exactly its lines, carrier, tracking and date', async () => {
    const shipmentId = await shipWhatIsThere(s.t, s.order.code, { carrier: s.carrier, tracking: '1Z-FIRST' });
    await s.engine.tick();
    const order = await storeOrder(s.admin, s.order.code);
    assert.equal(order.fulfillments.length, 1);
    const [f] = order.fulfillments;
    assert.deepEqual(bySku(order, f), { 'TEE-A': 3, 'CAP-B': 1 }, 'exactly the shipped lines and quantities');
    assert.equal(f.state, 'Shipped');
    assert.equal(f.method, 'UPS');
    assert.equal(f.trackingCode, '1Z-FIRST');
    assert.equal(f.customFields.shippedOn, today());
    assert.equal(f.customFields.dovetailRef, `tryton-shipment-${shipmentId}`);
    assert.equal(f.customFields.notifyCustomer, false, 'the store is not asked to email: Dovetail does');
    assert.equal(order.state, 'PartiallyShipped');
  });

  test('Dovetail emails the customer once, naming the items and the tracking code', async () => {
    assert.equal(s.smtp.mails.length, 1);
    const [mail] = s.smtp.mails;
    assert.deepEqual(mail.to, [EMAIL]);
    assert.match(mail.data, /Part of your order/);
    assert.match(mail.data, /3 x Linen tee \(TEE-A\)/);
    assert.match(mail.data, /1 x Wool cap \(CAP-B\)/);
    assert.match(mail.data, /1Z-FIRST/);
    assert.match(mail.data, new RegExp(`Message-ID: <shipment\\.${s.order.code}\\.tryton-shipment-\\d+@dovetail\\.invalid>`, 'i'));
    await settle();
    assert.equal(s.notifications().length, 0, 'the store says nothing');
  });

  test('duplicates change nothing: another tick, a replayed job, a fresh engine reading from the start', async () => {
    await s.engine.tick();
    await s.engine.ctx.storage.enqueue({ kind: JOB.shipment, key: s.order.code, reason: 'test: replayed' });
    await s.engine.tick();
    await s.engine.ctx.storage.db.deleteFrom('cursors').where('feed', '=', 'shipment').execute();
    await s.engine.tick();
    const order = await storeOrder(s.admin, s.order.code);
    assert.equal(order.fulfillments.length, 1, 'no second fulfilment');
    assert.equal(s.smtp.mails.length, 1, 'no second email');
  });

  test('a crash after the store made the fulfilment but before Dovetail recorded it: found, not made again', async () => {
    // what a crash at failpoint shipment.fulfilmentWritten leaves: the fulfilment in Vendure, no mapping row
    await s.engine.ctx.storage.db.deleteFrom('mappings').where('kind', '=', 'fulfillment').execute();
    await s.engine.ctx.storage.enqueue({ kind: JOB.shipment, key: s.order.code, reason: 'test: after a crash' });
    await s.engine.tick();
    const order = await storeOrder(s.admin, s.order.code);
    assert.equal(order.fulfillments.length, 1, 'still one fulfilment');
    const trail = await s.engine.ctx.storage.auditTrail(s.order.code);
    assert.ok(trail.some((a) => a.action === 'shipment.linked'), 'the existing fulfilment was linked');
    assert.equal(s.smtp.mails.length, 1, 'and the email, recorded as sent, is not sent again');
  });

  test('the backorder\'s shipment becomes a second fulfilment; the order is Shipped; a second email', async () => {
    await receiveStock(s.t, s.b, 1); // the replacement cap arrives
    await shipWhatIsThere(s.t, s.order.code, { carrier: s.carrier, tracking: '1Z-SECOND' });
    await s.engine.tick();
    await s.engine.tick();
    const order = await storeOrder(s.admin, s.order.code);
    assert.equal(order.fulfillments.length, 2);
    const second = order.fulfillments.find((f) => f.trackingCode === '1Z-SECOND');
    assert.ok(second, 'a fulfilment with the second tracking code');
    assert.deepEqual(bySku(order, second), { 'CAP-B': 1 });
    assert.equal(second.state, 'Shipped');
    assert.equal(order.state, 'Shipped');
    assert.equal(s.smtp.mails.length, 2, 'one email per shipment');
    assert.match(s.smtp.mails[1].data, /1 x Wool cap \(CAP-B\)/);
    assert.match(s.smtp.mails[1].data, /1Z-SECOND/);
    assert.doesNotMatch(s.smtp.mails[1].data, /TEE-A/);
  });

  test('the store\'s stock agrees with Tryton after the fulfilments (7 tees, no caps)', async () => {
    await s.engine.tick();
    const r = await s.admin<{ productVariants: { items: { sku: string; stockOnHand: number; stockAllocated: number }[] } }>(
      `{ productVariants(options: { filter: { sku: { in: ["TEE-A", "CAP-B"] } } }) { items { sku stockOnHand stockAllocated } } }`);
    const saleable = Object.fromEntries(r.productVariants.items.map((v) => [v.sku, v.stockOnHand - v.stockAllocated]));
    assert.deepEqual(saleable, { 'TEE-A': 7, 'CAP-B': 0 });
  });
});

describe('partialShipmentsToStore: false, shipmentEmailsFrom: store', () => {
  let s: Scenario;
  before(async () => { s = await scenario({ partialShipmentsToStore: false, shipmentEmailsFrom: 'store' }, { shortOfB: true, paymentMethod: 'dummy-settle' }); });
  after(async () => { await s?.close(); });

  test('nothing is reported after the first, partial shipment', async () => {
    await shipWhatIsThere(s.t, s.order.code, { carrier: s.carrier, tracking: '1Z-PART' });
    await s.engine.tick();
    await s.engine.tick();
    const order = await storeOrder(s.admin, s.order.code);
    assert.equal(order.fulfillments.length, 0);
    assert.notEqual(order.state, 'PartiallyShipped');
    const trail = await s.engine.ctx.storage.auditTrail(s.order.code);
    assert.ok(trail.some((a) => a.action === 'shipment.held'), 'the hold is explained in the audit trail');
  });

  test('after the last shipment: one complete fulfilment with everything, Shipped, and the store asked to tell the customer once', async () => {
    await receiveStock(s.t, s.b, 1);
    await shipWhatIsThere(s.t, s.order.code, { carrier: s.carrier, tracking: '1Z-REST' });
    await s.engine.tick();
    await s.engine.tick();
    await s.engine.ctx.storage.enqueue({ kind: JOB.shipment, key: s.order.code, reason: 'test: replayed' });
    await s.engine.tick();
    const order = await storeOrder(s.admin, s.order.code);
    assert.equal(order.fulfillments.length, 1, 'exactly one fulfilment');
    const [f] = order.fulfillments;
    assert.deepEqual(bySku(order, f), { 'TEE-A': 3, 'CAP-B': 2 }, 'everything, in one');
    assert.equal(f.state, 'Shipped');
    assert.equal(f.method, 'UPS');
    assert.equal(f.trackingCode, '1Z-PART, 1Z-REST', 'both parcels can be tracked');
    assert.equal(f.customFields.notifyCustomer, true);
    assert.equal(order.state, 'Shipped');
    await settle();
    const notes = s.notifications();
    assert.equal(notes.length, 1, 'the store tells the customer exactly once');
    assert.equal(notes[0].orderCode, s.order.code);
    assert.equal(notes[0].email, EMAIL);
    assert.equal(notes[0].fulfillmentId, f.id);
    assert.equal(s.smtp.mails.length, 0, 'Dovetail sends nothing itself');
  });
});

for (const emails of ['inventory', 'none'] as const) {
  describe(`partialShipmentsToStore: true, shipmentEmailsFrom: ${emails}`, () => {
    let s: Scenario;
    before(async () => { s = await scenario({ partialShipmentsToStore: true, shipmentEmailsFrom: emails }, { shortOfB: false, paymentMethod: 'dummy-authorize' }); });
    after(async () => { await s?.close(); });

    // Paid by authorisation only: Vendure takes a fulfilment while the payment is Authorized
    // (the order itself moves to Shipped once the payment is settled).
    test('the shipment is reported (payment only authorised), and neither Dovetail nor the store tells the customer', async () => {
      await shipWhatIsThere(s.t, s.order.code, { carrier: s.carrier, tracking: '1Z-ALL' });
      await s.engine.tick();
      await s.engine.tick();
      const order = await storeOrder(s.admin, s.order.code);
      assert.equal(order.fulfillments.length, 1);
      const [f] = order.fulfillments;
      assert.deepEqual(bySku(order, f), { 'TEE-A': 3, 'CAP-B': 2 });
      assert.equal(f.state, 'Shipped');
      assert.equal(f.customFields.notifyCustomer, false, 'the store is not asked to email');
      assert.equal(order.state, 'PaymentAuthorized');
      await settle();
      assert.equal(s.notifications().length, 0, 'the store stays silent');
      assert.equal(s.smtp.mails.length, 0, 'Dovetail stays silent');
      const trail = await s.engine.ctx.storage.auditTrail(s.order.code);
      assert.ok(!trail.some((a) => a.action === 'shipment.emailed'));
    });
  });
}
