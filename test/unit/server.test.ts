// The HTTP face without the real systems: who may reach what (token, cookie, loopback, other
// sites), secrets never shown, metrics present, and pages that escape what records contain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseConfig } from '../../src/config/load.js';
import { Engine } from '../../src/engine/engine.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { buildApp } from '../../src/server/http.js';

const SECRETS = { TRYTON_PASSWORD: 'tryton-pass-XYZ', VENDURE_PASSWORD: 'vendure-pass-XYZ', DOVETAIL_WEBHOOK_SECRET: 'webhook-secret-0123456789' };
const TOKEN = 'dashboard-token-0123456789';

async function appWith(server: string) {
  const text = `database: { path: ":memory:" }
systems:
  inventory: { url: "http://127.0.0.1:9", password: "\${TRYTON_PASSWORD}" }
  store: { url: "http://127.0.0.1:9", password: "\${VENDURE_PASSWORD}", webhookSecret: "\${DOVETAIL_WEBHOOK_SECRET}" }
server: ${server}
`;
  const config = parseConfig(text, SECRETS);
  const engine = new Engine(await openContext(config, createLogger('silent')));
  return { app: buildApp(engine), engine };
}

test('with a token, the API needs it, pages send to the sign-in form, and health and webhooks stay open', async () => {
  const { app, engine } = await appWith(`{ host: 0.0.0.0, token: "${TOKEN}" }`);
  try {
    assert.equal((await app.request('http://10.0.0.5/healthz')).status, 200);
    assert.equal((await app.request('http://10.0.0.5/api/status')).status, 401);
    assert.equal((await app.request('http://10.0.0.5/metrics')).status, 401);
    assert.equal((await app.request('http://10.0.0.5/api/status', { headers: { authorization: 'Bearer wrong-token-000000000' } })).status, 401);
    assert.equal((await app.request('http://10.0.0.5/api/status', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const page = await app.request('http://10.0.0.5/failures');
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?next=%2Ffailures');
    // webhooks are signature-checked instead: a bad signature is 401 for its own reason, not for the token
    const hook = await app.request('http://10.0.0.5/webhooks/vendure', { method: 'POST', body: '{}', headers: { 'x-dovetail-signature': 'sha256=00' } });
    assert.equal(hook.status, 401);
    assert.match(await hook.text(), /signature/);

    const form = (token: string) => new URLSearchParams({ token, next: '/failures' });
    const wrong = await app.request('http://10.0.0.5/login', { method: 'POST', body: form('nope') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const right = await app.request('http://10.0.0.5/login', { method: 'POST', body: form(TOKEN) });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get('location'), '/failures');
    const cookie = right.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.ok(!cookie.includes(TOKEN), 'the cookie does not carry the token itself');
    const signedIn = await app.request('http://10.0.0.5/failures', { headers: { cookie: cookie.split(';')[0] } });
    assert.equal(signedIn.status, 200);
    assert.match(await signedIn.text(), /Nothing has failed/);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('on loopback without a token, only loopback names are answered and other sites cannot press buttons', async () => {
  const { app, engine } = await appWith('{}');
  try {
    assert.equal((await app.request('http://127.0.0.1:8790/api/status')).status, 200);
    assert.equal((await app.request('http://localhost:8790/')).status, 200);
    assert.equal((await app.request('http://evil.example:8790/api/status')).status, 403, 'a rebound DNS name is refused');
    const cross = await app.request('http://127.0.0.1:8790/api/failures/1/retry', { method: 'POST', headers: { origin: 'http://evil.example' } });
    assert.equal(cross.status, 403);
    const same = await app.request('http://127.0.0.1:8790/api/failures/1/retry', { method: 'POST', headers: { origin: 'http://127.0.0.1:8790' } });
    assert.equal(same.status, 404, 'same origin passes the check; there is simply no failure 1');
  } finally {
    await engine.ctx.storage.close();
  }
});

test('settings are shown without any secret, and metrics name every flow and system', async () => {
  const { app, engine } = await appWith(`{ token: "${TOKEN}" }`);
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  try {
    const settings = await (await app.request('http://127.0.0.1/api/settings', auth)).text();
    for (const secret of [...Object.values(SECRETS), TOKEN]) assert.ok(!settings.includes(secret), `settings do not show ${secret.slice(0, 8)}…`);
    assert.match(settings, /"password":"\(hidden\)"/);
    const metrics = await (await app.request('http://127.0.0.1/metrics', auth)).text();
    for (const flow of ['products', 'stock', 'customers', 'orders']) assert.match(metrics, new RegExp(`dovetail_flow_lag_seconds\\{flow="${flow}"\\} 0`));
    assert.match(metrics, /dovetail_api_calls_total\{system="tryton"\} \d+/);
    assert.match(metrics, /dovetail_api_calls_total\{system="vendure"\} \d+/);
    assert.match(metrics, /# TYPE dovetail_jobs_total counter/);
    assert.match(metrics, /# TYPE dovetail_changes_received_total counter/);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('what records contain is escaped in the pages', async () => {
  const { app, engine } = await appWith('{}');
  const { storage } = engine.ctx;
  try {
    await storage.enqueue({ kind: 'order', key: '<img src=x onerror=alert(1)>', reason: 'test' });
    const [job] = await storage.claim(['order'], 1, 'w', 60_000);
    await storage.fail(job.id, 'bad <b>thing</b>', 'permanent', null);
    const body = await (await app.request('http://127.0.0.1/failures')).text();
    assert.ok(!body.includes('<img src=x'), 'the key is not markup');
    assert.match(body, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(body, /bad &lt;b&gt;thing&lt;\/b&gt;/);
    assert.match(body, /Retry/);
  } finally {
    await storage.close();
  }
});

test('a pushed event is verified over the bytes received: one that is not UTF-8 is never accepted', async () => {
  const { app, engine } = await appWith('{}');
  const sign = (body: Buffer) => `sha256=${createHmac('sha256', SECRETS.DOVETAIL_WEBHOOK_SECRET).update(body).digest('hex')}`;
  // a Latin-1 "é" in the order code: a byte that is not UTF-8, which a lenient decoder turns into U+FFFD
  const raw = Buffer.concat([Buffer.from('{"id":"e-latin1","event":"OrderPlaced","at":"x","orderCode":"CAF'), Buffer.from([0xe9]), Buffer.from('"}')]);
  const post = (signature: string) => app.request('http://127.0.0.1/webhooks/vendure', { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-dovetail-signature': signature, 'x-dovetail-event-id': 'e-latin1' } });
  try {
    const overReplacement = await post(sign(Buffer.from(raw.toString('utf8'), 'utf8')));
    assert.equal(overReplacement.status, 401, 'a signature over the decoded text does not cover the bytes received');
    const overBytes = await post(sign(raw));
    assert.equal(overBytes.status, 400);
    assert.match((await overBytes.json() as { error: string }).error, /not valid UTF-8/);
    assert.equal(await engine.ctx.storage.countChanges(), 0, 'nothing was stored');
    const [refusal] = await engine.ctx.storage.auditTrail('e-latin1');
    assert.equal(refusal?.action, 'webhook.malformed', 'the signed-but-unreadable body is on the record');
  } finally {
    await engine.ctx.storage.close();
  }
});
