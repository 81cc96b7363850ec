// Webhooks over real HTTP: the real Vendure's Dovetail plugin pushes a placed order to a
// listening Dovetail; a bad signature, a duplicate delivery and a malformed body are each
// handled as the spec says (401 and nothing stored; stored once; recorded, 4xx, still running).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Engine } from '../../src/engine/engine.js';
import type { AppEnv } from '../../src/server/auth.js';
import { buildApp, listen } from '../../src/server/http.js';
import { freshTrytonDatabase, shopCheckout, startVendure, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin, until, WEBHOOK_SECRET } from './helpers/dovetail.js';

const buyer = { email: 'hook@example.com', firstName: 'Hal', lastName: 'Hook', address: { streetLine1: '2 Side St', city: 'Springfield', postalCode: '12345', countryCode: 'US' } };
const sign = (body: string, secret = WEBHOOK_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let vendure: VendureInstance;
let engine: Engine;
let server: ServerType;
let hookUrl: string;
let tryton: TrytonDatabase;
let base: string;

const post = (body: string, headers: Record<string, string>) => fetch(hookUrl, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
/** The status of an answer that may come (and close the connection) before the whole body is sent. */
function statusOfEarlyAnswer(body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => setTimeout(() => reject(err), 500)); // EPIPE after the answer is expected
    req.end(body);
  });
}
const changesFor = (key: string) => engine.ctx.storage.db.selectFrom('changes').selectAll().where('key', '=', key).execute();
const refusals = () => engine.ctx.storage.db.selectFrom('audit').selectAll().where('action', '=', 'webhook.malformed').execute();

describe('webhooks from the store, over HTTP', () => {
  before(async () => {
    // The server listens first, so Vendure can be told where to push; the engine is plugged in once Vendure is up.
    let app: Hono<AppEnv> | null = null;
    const front = new Hono<AppEnv>();
    front.all('*', (c) => (app ? app.fetch(c.req.raw, c.env) : c.text('starting', 503))); // c.env carries the socket
    server = await listen(front, '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    hookUrl = `${base}/webhooks/vendure`;
    tryton = await freshTrytonDatabase();
    vendure = await startVendure({ webhookUrl: hookUrl, webhookSecret: WEBHOOK_SECRET });
    engine = await engineFor(settingsFor(tryton, vendure).config);
    app = buildApp(engine);
    const t = await trytonAdmin(tryton);
    await receiveStock(t, await createTrytonProduct(t, 'HOOK-1', 'Hook', '5.00'), 5);
    await engine.tick();
  });
  after(async () => {
    await vendure?.stop();
    (server as unknown as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.(); // keep-alive sockets would hold close() open
    await new Promise((r) => server?.close(r));
    await engine?.ctx.storage.close();
  });

  test('an order placed in the real store arrives signed by its plugin, is stored, and becomes a sale', async () => {
    const order = await shopCheckout(vendure.url, { ...buyer, lines: [{ sku: 'HOOK-1', quantity: 1 }] });
    const pushed = await until('the plugin to deliver the order event', async () => (await changesFor(order.code)).find((c) => c.source_version.startsWith('event:')));
    assert.equal(pushed.system, 'vendure');
    const jobs = await engine.ctx.storage.jobs({ kind: 'order', key: order.code });
    assert.equal(jobs.length, 1, 'one job for the order');
    await engine.runner.runReady();
    assert.equal((await salesFor(await trytonAdmin(tryton), order.code)).length, 1);
  });

  test('a bad signature is refused with 401 and nothing is stored or recorded', async () => {
    const code = `BAD-${randomUUID().slice(0, 8)}`;
    const body = JSON.stringify({ id: randomUUID(), event: 'OrderPlaced', at: new Date().toISOString(), orderCode: code });
    const changesBefore = await engine.ctx.storage.countChanges();
    const auditBefore = (await engine.ctx.storage.auditTrail()).length;
    for (const signature of [sign(body, 'not-the-secret-0123456789'), 'sha256=00', '']) {
      const res = await post(body, signature ? { 'x-dovetail-signature': signature } : {});
      assert.equal(res.status, 401, `refused: ${signature || 'no signature'}`);
    }
    // signed, then altered on the way: the signature no longer covers the body
    const res = await post(body.replace(code, 'OTHER'), { 'x-dovetail-signature': sign(body) });
    assert.equal(res.status, 401);
    assert.equal(await engine.ctx.storage.countChanges(), changesBefore);
    assert.equal((await engine.ctx.storage.jobs({ key: code })).length, 0);
    assert.equal((await engine.ctx.storage.auditTrail()).length, auditBefore, 'an unsigned body is not ours to keep');
  });

  test('the same delivery twice is stored once and queues one job', async () => {
    const code = `DUP-${randomUUID().slice(0, 8)}`;
    const id = randomUUID();
    const body = JSON.stringify({ id, event: 'OrderPlaced', at: new Date().toISOString(), orderCode: code });
    const headers = { 'x-dovetail-signature': sign(body), 'x-dovetail-event-id': id };
    const first = await post(body, headers);
    const second = await post(body, headers);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { accepted: 1, new: 1 });
    assert.equal(second.status, 200, 'a duplicate is acknowledged, so the sender stops resending');
    assert.deepEqual(await second.json(), { accepted: 1, new: 0, duplicate: true });
    assert.equal((await changesFor(code)).length, 1);
    assert.equal((await engine.ctx.storage.jobs({ key: code })).length, 1);
  });

  test('a malformed body is recorded, answered 4xx, and the server keeps working', async () => {
    const before = (await refusals()).length;
    const notJson = '{"id": "x", "event": ';
    const r1 = await post(notJson, { 'x-dovetail-signature': sign(notJson), 'x-dovetail-event-id': 'evt-broken-1' });
    assert.equal(r1.status, 400);
    assert.match((await r1.json() as { error: string }).error, /not JSON/);
    const wrongShape = JSON.stringify({ event: 42, orderCode: ['A'] });
    const r2 = await post(wrongShape, { 'x-dovetail-signature': sign(wrongShape) });
    assert.equal(r2.status, 400);
    assert.match((await r2.json() as { error: string }).error, /expected shape/);
    const huge = JSON.stringify({ id: 'big', event: 'OrderPlaced', at: 'now', orderCode: 'X'.repeat(1_100_000) });
    assert.equal(await statusOfEarlyAnswer(huge, { 'x-dovetail-signature': sign(huge) }), 413, 'an oversized body is refused before it is read whole');

    const rows = await refusals();
    assert.equal(rows.length, before + 2, 'each readable-but-wrong delivery is on the record');
    const broken = rows.find((r) => r.record_key === 'evt-broken-1');
    assert.ok(broken, 'recorded under its event id');
    assert.match(broken.detail ?? '', /body is not JSON/);
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still answering');
    const page = await (await fetch(`${base}/failures`)).text();
    assert.match(page, /Refused deliveries/);
    assert.match(page, /A pushed event from Vendure was refused: its body could not be read/);
    // and a good event after all that still goes through
    const code = `AFTER-${randomUUID().slice(0, 8)}`;
    const good = JSON.stringify({ id: randomUUID(), event: 'OrderPlaced', at: new Date().toISOString(), orderCode: code });
    assert.equal((await post(good, { 'x-dovetail-signature': sign(good) })).status, 200);
    assert.equal((await changesFor(code)).length, 1);
  });
});
