// The Magento client decides once what a failure is: Magento's error body rendered, the token's
// failures config, throttling and proxies' HTML transient, a malformed answer permanent by path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MagentoClient, renderMagentoMessage, searchQuery } from '../../../src/connectors/magento/client.js';
import { DovetailError } from '../../../src/errors.js';
import { fakeMagento, fixture, fixtureText, reply } from './fake.js';

const client = (answer: () => unknown) => {
  const fake = fakeMagento({ 'GET /orders': answer });
  return { fake, client: new MagentoClient({ url: 'https://shop.example.com', accessToken: 'tok', fetch: fake.fetch }) };
};
const failureOf = async (p: Promise<unknown>) => {
  try { await p; } catch (err) { assert.ok(err instanceof DovetailError, String(err)); return err; }
  assert.fail('expected a failure');
};

test('the path is under /rest/<storeCode>/V1, searchCriteria in the names the schema declares, the token as a bearer', async () => {
  const seen: { url: string; auth: string | undefined }[] = [];
  const c = new MagentoClient({ url: 'https://shop.example.com/', accessToken: 'tok', storeCode: 'us', fetch: async (url, init) => {
    seen.push({ url, auth: init.headers.authorization });
    return { status: 200, text: async () => '{"items":[]}', headers: { get: () => null } };
  } });
  await c.request('GET', '/orders', z.object({ items: z.array(z.unknown()) }), { query: searchQuery({ filter: { field: 'increment_id', value: '000000041', conditionType: 'eq' }, sort: { field: 'entity_id', direction: 'ASC' }, pageSize: 5, currentPage: 2 }) });
  const u = new URL(seen[0]!.url);
  assert.equal(u.pathname, '/rest/us/V1/orders');
  assert.deepEqual(Object.fromEntries(u.searchParams), {
    'searchCriteria[filterGroups][0][filters][0][field]': 'increment_id',
    'searchCriteria[filterGroups][0][filters][0][value]': '000000041',
    'searchCriteria[filterGroups][0][filters][0][conditionType]': 'eq',
    'searchCriteria[sortOrders][0][field]': 'entity_id',
    'searchCriteria[sortOrders][0][direction]': 'ASC',
    'searchCriteria[pageSize]': '5',
    'searchCriteria[currentPage]': '2',
  });
  assert.equal(seen[0]!.auth, 'Bearer tok');
});

test("Magento's message placeholders are filled from its parameters, by position or by name", () => {
  assert.equal(renderMagentoMessage(fixture('error-400.json') as object), 'The "MG-A" product\'s quantity is 0, which is not enough for the shipment.');
  assert.equal(renderMagentoMessage({ message: 'No such entity with %1 = %2', parameters: ['sku', 'MG-X'] }), 'No such entity with sku = MG-X');
  assert.equal(renderMagentoMessage({ message: 'left as %1', parameters: [] }), 'left as %1');
});

test('a 400 is a refused request (permanent) carrying the rendered message', async () => {
  const { client: c } = client(() => reply({ status: 400, body: fixture('error-400.json') }));
  const err = await failureOf(c.request('GET', '/orders', z.unknown()));
  assert.equal(err.kind, 'permanent');
  assert.match(err.message, /GET \/orders answered 400: The "MG-A" product's quantity is 0/);
});

test('401 and 403 are settings to fix (config), naming the token', async () => {
  for (const status of [401, 403]) {
    const { client: c } = client(() => reply({ status, body: { message: "The consumer isn't authorized to access %resources.", parameters: { resources: 'Magento_Sales::actions_view' } } }));
    const err = await failureOf(c.request('GET', '/orders', z.unknown()));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /Magento_Sales::actions_view.*access token/);
  }
});

test('429 and 503 are transient and keep Retry-After; nothing is retried in the client', async () => {
  for (const status of [429, 503]) {
    const { client: c, fake } = client(() => reply({ status, body: { message: 'Too many requests' }, headers: { 'Retry-After': '7' } }));
    const err = await failureOf(c.request('GET', '/orders', z.unknown()));
    assert.equal(err.kind, 'transient');
    assert.equal(err.retryAfterSeconds, 7);
    assert.equal(fake.seen.length, 1, 'one call: retries are the engine\'s');
  }
});

test("a proxy's HTML instead of JSON is transient, with a 200 as with a 502", async () => {
  for (const status of [200, 502, 400]) {
    const { client: c } = client(() => reply({ status, text: fixtureText('maintenance.html') }));
    const err = await failureOf(c.request('GET', '/orders', z.unknown()));
    assert.equal(err.kind, 'transient', `status ${status}`);
    assert.match(err.message, /not JSON|down for maintenance/);
  }
});

test('an answer missing a key the connector needs is permanent and names the path; unknown keys pass', async () => {
  const Shape = z.object({ items: z.array(z.object({ entity_id: z.number(), increment_id: z.string() })) });
  const { client: ok } = client(() => ({ items: [{ entity_id: 1, increment_id: '1', brand_new_field: true }], total_count: 1 }));
  assert.deepEqual(await ok.request('GET', '/orders', Shape), { items: [{ entity_id: 1, increment_id: '1' }] });
  const { client: c } = client(() => ({ items: [{ entity_id: 1 }] }));
  const err = await failureOf(c.request('GET', '/orders', Shape));
  assert.equal(err.kind, 'permanent');
  assert.match(err.message, /items\.0\.increment_id/);
});

test('a 404 is permanent, saying Magento does not know it; a socket failure is transient', async () => {
  const fake = fakeMagento({});
  const c = new MagentoClient({ url: 'https://shop.example.com', accessToken: 'tok', fetch: fake.fetch });
  const err = await failureOf(c.request('GET', '/orders/999', z.unknown()));
  assert.equal(err.kind, 'permanent');
  assert.equal(err.detail?.status, 404);
  const down = new MagentoClient({ url: 'https://shop.example.com', accessToken: 'tok', fetch: async () => { throw new Error('ECONNRESET'); } });
  assert.equal((await failureOf(down.request('GET', '/orders', z.unknown()))).kind, 'transient');
});

test('callsAtOnce bounds the requests open at once: the rest wait their turn and all are answered', async () => {
  let open = 0, most = 0;
  const c = new MagentoClient({ url: 'https://shop.example.com', accessToken: 'tok', callsAtOnce: 2, fetch: async () => {
    open++; most = Math.max(most, open);
    await new Promise((r) => setTimeout(r, 5));
    open--;
    return { status: 200, text: async () => '{"items":[]}', headers: { get: () => null } };
  } });
  const answers = await Promise.all(Array.from({ length: 9 }, () => c.request('GET', '/orders', z.object({ items: z.array(z.unknown()) }))));
  assert.equal(answers.length, 9);
  assert.equal(most, 2);
});
