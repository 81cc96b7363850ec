// Proves the real-systems harness: a fresh Tryton database answers with its company, and a fresh
// Vendure takes a product and a shop order and delivers signed, retried events through the plugin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrytonClient } from '../../src/connectors/tryton/client.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure } from './helpers/systems.js';

test('a fresh Tryton database has the golden company, fiscal year and category', async () => {
  const db = await freshTrytonDatabase();
  const t = new TrytonClient(db);
  await t.login();
  const company = t.context.company;
  assert.equal(typeof company, 'number');
  const [c] = await t.read<{ rec_name: string; currency: number }>('company.company', [company as number], ['rec_name', 'currency']);
  assert.equal(c.rec_name, 'Dovetail Test Store Inc.');
  const [usd] = await t.read<{ code: string }>('currency.currency', [c.currency], ['code']);
  assert.equal(usd.code, 'USD');
  const year = String(new Date().getUTCFullYear());
  assert.equal((await t.search('account.fiscalyear', [['name', '=', year]])).length, 1);
  assert.equal((await t.search('product.category', [['name', '=', 'Goods']])).length, 1);
  // a second fresh database is a different one
  const other = await freshTrytonDatabase();
  assert.notEqual(other.database, db.database);
});

interface Received { id: string; event: string; at: string; orderCode?: string; state?: string; skus?: string[]; email?: string }

test('Vendure: product, shop order, and signed events delivered again after a 500', { timeout: 120_000 }, async () => {
  const secret = 'test-secret';
  const received: { header: string; body: Received }[] = [];
  const refusedOnce = new Set<string>();
  let badSignatures = 0;
  // The receiver refuses the first delivery of the OrderPlaced event with a 500.
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-dovetail-signature'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) { badSignatures++; res.writeHead(401).end(); return; }
      const body = JSON.parse(raw.toString('utf8')) as Received;
      received.push({ header: String(req.headers['x-dovetail-event-id']), body });
      if (body.event === 'OrderPlaced' && !refusedOnce.has(body.id)) { refusedOnce.add(body.id); res.writeHead(500).end(); return; }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const vendure = await startVendure({ webhookUrl: hookUrl, webhookSecret: secret });
  try {
    const admin = await adminGql(vendure.url, vendure.adminUsername, vendure.adminPassword);
    const sku = `HARNESS-${Date.now().toString(36)}`;
    const { createProduct } = await admin<{ createProduct: { id: string } }>(
      `mutation($i: CreateProductInput!) { createProduct(input:$i) { id } }`,
      { i: { enabled: true, translations: [{ languageCode: 'en', name: 'Harness Tee', slug: sku.toLowerCase(), description: '' }] } });
    const { createProductVariants } = await admin<{ createProductVariants: { id: string; sku: string; customFields: { weight: number | null } }[] }>(
      `mutation($i:[CreateProductVariantInput!]!) { createProductVariants(input:$i) { id sku customFields { weight } } }`,
      { i: [{ productId: createProduct.id, sku, price: 1000, stockOnHand: 10, trackInventory: 'TRUE',
        translations: [{ languageCode: 'en', name: 'Harness Tee' }], customFields: { weight: 0.25 } }] });
    assert.equal(createProductVariants[0].customFields.weight, 0.25);

    const order = await shopCheckout(vendure.url, {
      lines: [{ sku, quantity: 2 }], email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace',
      address: { streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' },
    });
    assert.equal(order.state, 'PaymentAuthorized');
    // 2 x 10.00 + 5.00 shipping, plus 10% tax on both
    assert.equal(order.totalWithTax, 2750);

    // Wait for the OrderPlaced event: refused once, then delivered again with the same id.
    const deadline = Date.now() + 20_000;
    const placed = () => received.filter((r) => r.body.event === 'OrderPlaced' && r.body.orderCode === order.code);
    while (placed().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const [first, second] = placed();
    assert.ok(first && second, `OrderPlaced delivered twice, got ${JSON.stringify(received.map((r) => r.body.event))}`);
    assert.equal(second.body.id, first.body.id);
    assert.equal(first.header, first.body.id);
    assert.equal(first.body.state, 'PaymentAuthorized');
    assert.equal(first.body.email, 'ada@example.com');
    assert.equal(badSignatures, 0);

    // Everything arrives in order of creation: the variant before the order, and nothing after
    // the refused event overtook it.
    const events = received.map((r) => r.body.event);
    if (process.env.HARNESS_DEBUG) console.log(received.map((r) => JSON.stringify(r.body)).join("\n"));
    assert.ok(events.indexOf('ProductVariant') < events.indexOf('OrderPlaced'));
    const variantEvent = received.find((r) => r.body.event === 'ProductVariant');
    assert.deepEqual(variantEvent?.body.skus, [sku]);
    const afterRefusal = received.slice(received.indexOf(first) + 1);
    assert.equal(afterRefusal[0], second, 'the retried event is delivered before any later one');
    assert.ok(received.some((r) => r.body.event === 'StockMovement' && r.body.skus?.includes(sku)));
  } finally {
    await vendure.stop();
    receiver.close();
  }
});

test('Vendure: an undelivered event survives a restart of the store and is sent after it', { timeout: 120_000 }, async () => {
  let accepting = false;
  const deliveries: Received[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received);
      res.writeHead(accepting ? 204 : 503).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const vendure = await startVendure({ webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, webhookSecret: 's' });
  try {
    const admin = await adminGql(vendure.url);
    await admin(`mutation { createCustomer(input:{ firstName:"Grace", lastName:"Hopper", emailAddress:"grace@example.com" }) { __typename } }`);
    const waitFor = async (pred: () => boolean, what: string) => {
      const until = Date.now() + 20_000;
      while (!pred()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(deliveries)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor(() => deliveries.some((d) => d.email === 'grace@example.com'), 'a first (refused) delivery');
    const id = deliveries.find((d) => d.email === 'grace@example.com')?.id;
    const pidBefore = vendure.pid;
    let seen = 0;
    await vendure.restart(() => { accepting = true; seen = deliveries.length; });
    assert.notEqual(vendure.pid, pidBefore);
    await waitFor(() => deliveries.slice(seen).some((d) => d.id === id), 'the same event after the restart');
  } finally {
    await vendure.stop();
    receiver.close();
  }
});
