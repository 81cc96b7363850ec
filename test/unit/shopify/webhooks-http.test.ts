// Shopify's webhooks through Dovetail's real HTTP server: a delivery is taken once, whichever
// process receives it and after a restart (the record is in Dovetail's storage); forged,
// malformed, stale and repeated deliveries each get their own answer and nothing is queued.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ServerType } from '@hono/node-server';
import { parseConfig } from '../../../src/config/load.js';
import { Engine } from '../../../src/engine/engine.js';
import { openContext } from '../../../src/engine/open.js';
import { createLogger } from '../../../src/log.js';
import { buildApp, listen } from '../../../src/server/http.js';

const SECRET = 'shopify-app-secret-0123456789';
const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'dovetail-shopify-hooks-')), 'dovetail.sqlite');
const settings = `database: { path: ${JSON.stringify(dbFile)} }
systems:
  inventory: { url: "http://127.0.0.1:9", password: x }
  store: { type: shopify, shop: my-shop.myshopify.com, accessToken: shpat_x, webhookSecret: "\${SHOPIFY_WEBHOOK_SECRET}", locations: { Main: gid://shopify/Location/1 } }
`;

/** One Dovetail process: its engine and its HTTP server, on the shared database file. */
async function startDovetail() {
  const engine = new Engine(await openContext(parseConfig(settings, { SHOPIFY_WEBHOOK_SECRET: SECRET }), createLogger('silent')));
  const server: ServerType = await listen(buildApp(engine), '127.0.0.1', 0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/shopify`;
  const stop = async () => { await new Promise((r) => server.close(r)); await engine.ctx.storage.close(); };
  return { engine, url, stop };
}
type Dovetail = Awaited<ReturnType<typeof startDovetail>>;

const order = readFileSync(new URL('../../../src/connectors/shopify/fixtures/webhook-orders-updated.json', import.meta.url), 'utf8');
const sign = (body: string | Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');
const deliver = async (to: Dovetail, body: string | Buffer, headers: Record<string, string>) => {
  const res = await fetch(to.url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
};
const shopifyHeaders = (body: string | Buffer, id: string, extra: Record<string, string> = {}) => ({
  'X-Shopify-Hmac-Sha256': sign(body), 'X-Shopify-Topic': 'orders/updated', 'X-Shopify-Webhook-Id': id,
  'X-Shopify-Shop-Domain': 'my-shop.myshopify.com', 'X-Shopify-Triggered-At': '2026-03-02T10:05:01Z', ...extra,
});
const storedFor = (d: Dovetail, key: string) => d.engine.ctx.storage.db.selectFrom('changes').selectAll().where('key', '=', key).execute();
const jobsFor = (d: Dovetail, key: string) => d.engine.ctx.storage.jobs({ key });

let first: Dovetail;
let second: Dovetail;
before(async () => { first = await startDovetail(); second = await startDovetail(); });
after(async () => { await first.stop(); await second.stop(); });

test('a signed order delivery is stored once: again to the same process, to a second one, and after a restart', async () => {
  const key = '820982911946154508';
  const taken = await deliver(first, order, shopifyHeaders(order, 'wh-order-1'));
  assert.deepEqual(taken, { status: 200, json: { accepted: 1, new: 1 } });
  assert.equal((await jobsFor(first, key)).length, 1, 'one order job');

  const again = await deliver(first, order, shopifyHeaders(order, 'wh-order-1'));
  assert.deepEqual(again, { status: 200, json: { accepted: 1, new: 0, duplicate: true } }, 'acknowledged, so Shopify stops sending it');
  assert.deepEqual(await deliver(second, order, shopifyHeaders(order, 'wh-order-1')), again, 'a second process knows it too');
  await first.stop();
  first = await startDovetail();
  assert.deepEqual(await deliver(first, order, shopifyHeaders(order, 'wh-order-1')), again, 'and so does a restarted one');
  assert.equal((await storedFor(first, key)).length, 1, 'the delivery is recorded once');

  // the job has run since: a redelivery now must not queue the order again
  const [job] = await first.engine.ctx.storage.claim(['order'], 1, 'w', 60_000);
  await first.engine.ctx.storage.complete(job!.id);
  assert.equal((await deliver(second, order, shopifyHeaders(order, 'wh-order-1'))).json.duplicate, true);
  assert.deepEqual((await jobsFor(first, key)).map((j) => j.state), ['done'], 'nothing queued by the redelivery');

  // another delivery (a new webhook id) of the same order is a change of its own
  assert.deepEqual((await deliver(second, order, shopifyHeaders(order, 'wh-order-2', { 'X-Shopify-Triggered-At': '2026-03-02T11:00:00Z' }))).json, { accepted: 1, new: 1 });
  // and does not make the first one new again
  assert.equal((await deliver(second, order, shopifyHeaders(order, 'wh-order-1'))).json.duplicate, true);
});

test('forged, malformed and stale deliveries are answered for what they are, and nothing is queued', async () => {
  const body = JSON.stringify({ ...JSON.parse(order) as object, id: 7001, admin_graphql_api_id: 'gid://shopify/Order/7001', updated_at: '2026-03-02T10:05:00Z' });
  const before = await first.engine.ctx.storage.countChanges();

  const forged = await deliver(first, body, { ...shopifyHeaders(body, 'wh-forged'), 'X-Shopify-Hmac-Sha256': sign(body, 'not-the-app-secret-at-all') });
  assert.equal(forged.status, 401);
  assert.match(String(forged.json.error), /signature/);
  const unsigned = await deliver(first, body, { 'X-Shopify-Topic': 'orders/updated', 'X-Shopify-Webhook-Id': 'wh-unsigned' });
  assert.equal(unsigned.status, 401);

  const withoutId = await deliver(first, body, { ...shopifyHeaders(body, ''), 'X-Shopify-Webhook-Id': '' });
  assert.equal(withoutId.status, 400);
  assert.match(String(withoutId.json.error), /X-Shopify-Webhook-Id/);
  const notJson = '{"id": 7001, "updated_at": ';
  const broken = await deliver(first, notJson, shopifyHeaders(notJson, 'wh-broken'));
  assert.equal(broken.status, 400);
  assert.match(String(broken.json.error), /not JSON/);
  const [refusal] = await first.engine.ctx.storage.auditTrail('wh-broken');
  assert.equal(refusal?.action, 'webhook.malformed', 'a signed delivery that cannot be read is on the record under its webhook id');

  // the newer state arrives first; the older delivery after it is stale
  const newer = body.replace('2026-03-02T10:05:00Z', '2026-03-02T12:00:00Z');
  assert.deepEqual((await deliver(first, newer, shopifyHeaders(newer, 'wh-newer', { 'X-Shopify-Triggered-At': '2026-03-02T12:00:01Z' }))).json, { accepted: 1, new: 1 });
  assert.deepEqual(await deliver(first, body, shopifyHeaders(body, 'wh-older')), { status: 200, json: { accepted: 0, new: 0 } });

  assert.equal(await first.engine.ctx.storage.countChanges(), before + 1, 'only the newer delivery was stored');
  assert.equal((await jobsFor(first, '7001')).length, 1);
});
