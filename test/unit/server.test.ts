// The HTTP face without the real systems: who may reach what (token, session, loopback socket,
// proxies, other sites, CSRF), sign-in throttling and sessions, where a sign-in may send the
// browser, secrets never shown, metrics present, and pages that escape what records contain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseConfig } from '../../src/config/load.js';
import { Engine } from '../../src/engine/engine.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { safeNext, tokenlessRefusal } from '../../src/server/auth.js';
import { buildApp } from '../../src/server/http.js';
import { SESSION_HOURS, Sessions } from '../../src/server/sessions.js';
import { LoginThrottle } from '../../src/server/throttle.js';

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
  const app = buildApp(engine);
  /** A request as if it arrived on a socket from `from` (this machine unless said). */
  const request = (url: string, { from = '127.0.0.1', ...init }: RequestInit & { from?: string } = {}) =>
    app.request(url, init, { incoming: { socket: { remoteAddress: from } } } as unknown as HttpBindings);
  return { app, engine, request };
}

const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!;
const csrfIn = async (res: Response) => /<meta name="csrf-token" content="([^"]+)">/.exec(await res.text())?.[1] ?? assert.fail('the page carries a CSRF token');
const signInForm = (token: string, next = '/failures') => new URLSearchParams({ token, next });

test('with a token, the API needs it, pages send to the sign-in form, and health and webhooks stay open', async () => {
  const { engine, request } = await appWith(`{ host: 0.0.0.0, token: "${TOKEN}" }`);
  const from = '10.0.0.5';
  try {
    assert.equal((await request('http://10.0.0.5/healthz', { from })).status, 200);
    assert.equal((await request('http://10.0.0.5/api/status', { from })).status, 401);
    assert.equal((await request('http://10.0.0.5/metrics', { from })).status, 401);
    assert.equal((await request('http://10.0.0.5/api/status', { from, headers: { authorization: 'Bearer wrong-token-000000000' } })).status, 401);
    assert.equal((await request('http://10.0.0.5/api/status', { from, headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const page = await request('http://10.0.0.5/failures', { from });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?next=%2Ffailures');
    // webhooks are signature-checked instead: a bad signature is 401 for its own reason, not for the token
    const hook = await request('http://10.0.0.5/webhooks/vendure', { from, method: 'POST', body: '{}', headers: { 'x-dovetail-signature': 'sha256=00' } });
    assert.equal(hook.status, 401);
    assert.match(await hook.text(), /signature/);

    const wrong = await request('http://10.0.0.5/login', { from, method: 'POST', body: signInForm('nope') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const right = await request('http://10.0.0.5/login', { from, method: 'POST', body: signInForm(TOKEN) });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get('location'), '/failures');
    const cookie = right.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.match(cookie, new RegExp(`Max-Age=${SESSION_HOURS * 3600}`), 'the session ends on its own');
    assert.doesNotMatch(cookie, /Secure/i, 'plain HTTP: a Secure cookie would never come back');
    assert.ok(!cookie.includes(TOKEN), 'the cookie does not carry the token itself');
    const signedIn = await request('http://10.0.0.5/failures', { from, headers: { cookie: cookieOf(right) } });
    assert.equal(signedIn.status, 200);
    const body = await signedIn.text();
    assert.match(body, /Nothing has failed/);
    assert.match(body, /Sign out/);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('without a token only this machine is answered, decided by the socket, never through a proxy', async () => {
  const { engine, request } = await appWith('{}');
  try {
    assert.equal((await request('http://127.0.0.1:8790/api/status')).status, 200);
    assert.equal((await request('http://localhost:8790/')).status, 200);
    assert.equal((await request('http://[::1]:8790/api/status', { from: '::1' })).status, 200);
    assert.equal((await request('http://127.0.0.1:8790/api/status', { from: '::ffff:127.0.0.1' })).status, 200);
    assert.equal((await request('http://evil.example:8790/api/status')).status, 403, 'a rebound DNS name is refused');
    // a proxy in front forwards `Host: 127.0.0.1`: the socket says where the request came from
    const remote = await request('http://127.0.0.1:8790/api/status', { from: '192.0.2.7' });
    assert.equal(remote.status, 403);
    assert.match((await remote.json() as { error: string }).error, /came from 192\.0\.2\.7.*server\.token/);
    // a proxy on this machine connects from loopback: its forwarding headers give it away
    for (const [name, value] of [['x-forwarded-for', '203.0.113.9'], ['forwarded', 'for=203.0.113.9'], ['x-real-ip', '203.0.113.9']]) {
      const proxied = await request('http://127.0.0.1:8790/api/status', { headers: { [name]: value } });
      assert.equal(proxied.status, 403, `refused with ${name}`);
    }
    const page = await request('http://127.0.0.1:8790/failures', { from: '192.0.2.7' });
    assert.equal(page.status, 403);
    assert.match(await page.text(), /set server\.token/);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('the token-less decision reads the socket and the bound address, not what the request says', () => {
  const none = new Headers();
  const ok = { boundHost: '127.0.0.1', remoteAddress: '127.0.0.1', hostname: '127.0.0.1', headers: none };
  assert.equal(tokenlessRefusal(ok), null);
  assert.equal(tokenlessRefusal({ ...ok, remoteAddress: '127.8.9.10' }), null, 'all of 127/8 is this machine');
  assert.equal(tokenlessRefusal({ ...ok, boundHost: 'localhost', remoteAddress: '::1', hostname: '::1' }), null);
  assert.match(tokenlessRefusal({ ...ok, remoteAddress: '10.1.2.3' }) ?? '', /came from 10\.1\.2\.3/);
  assert.match(tokenlessRefusal({ ...ok, remoteAddress: '::ffff:10.1.2.3' }) ?? '', /came from/);
  assert.match(tokenlessRefusal({ ...ok, remoteAddress: '128.0.0.1' }) ?? '', /came from/);
  assert.match(tokenlessRefusal({ ...ok, remoteAddress: undefined }) ?? '', /unknown address/);
  assert.match(tokenlessRefusal({ ...ok, boundHost: '0.0.0.0' }) ?? '', /not loopback/);
  assert.match(tokenlessRefusal({ ...ok, headers: new Headers({ 'X-Forwarded-For': '127.0.0.1' }) }) ?? '', /proxy/);
  assert.match(tokenlessRefusal({ ...ok, hostname: 'rebound.example' }) ?? '', /loopback names/);
});

test('a state-changing request must come from this Dovetail\'s own pages and carry the session\'s CSRF token', async () => {
  const { engine, request } = await appWith('{}');
  const url = 'http://127.0.0.1:8790/api/failures/1/retry';
  try {
    const page = await request('http://127.0.0.1:8790/');
    const cookie = cookieOf(page);
    const csrf = await csrfIn(page);
    const withToken = { cookie, 'x-csrf-token': csrf };
    // other sites and origins nobody can name are refused, with or without the token (403, never 500)
    const foreign: Record<string, string>[] = [{ origin: 'http://evil.example' }, { origin: 'null' }, { origin: 'http://[' }, { origin: 'not an origin' },
      { origin: 'https://127.0.0.1:8790' }, { origin: 'http://127.0.0.1:8790.evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
    for (const headers of foreign) {
      const res = await request(url, { method: 'POST', headers: { ...withToken, ...headers } });
      assert.equal(res.status, 403, `refused: ${JSON.stringify(headers)}`);
      assert.match((await res.json() as { error: string }).error, /refused/);
    }
    // from no page at all (no Origin): only the session's CSRF token lets it through
    assert.equal((await request(url, { method: 'POST' })).status, 403, 'no Origin, no token');
    assert.equal((await request(url, { method: 'POST', headers: { cookie } })).status, 403, 'the cookie alone is not enough');
    assert.equal((await request(url, { method: 'POST', headers: { cookie, 'x-csrf-token': 'x'.repeat(csrf.length) } })).status, 403, 'a wrong token');
    assert.equal((await request(url, { method: 'POST', headers: { 'x-csrf-token': csrf } })).status, 403, 'the token without its session');
    assert.equal((await request(url, { method: 'POST', headers: withToken })).status, 404, 'passes; there is simply no failure 1');
    const same = await request(url, { method: 'POST', headers: { ...withToken, origin: 'http://127.0.0.1:8790', 'sec-fetch-site': 'same-origin' } });
    assert.equal(same.status, 404);
    // the dashboard's own form carries the token as a hidden field
    const form = await request('http://127.0.0.1:8790/failures/1/retry', { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { cookie, origin: 'http://127.0.0.1:8790' } });
    assert.equal(form.status, 303);
    assert.equal(form.headers.get('location'), '/failures?retried=1&ok=0');
    // webhooks are signed instead: another site's Origin is not what refuses them
    const hook = await request('http://127.0.0.1:8790/webhooks/vendure', { method: 'POST', body: '{}', headers: { origin: 'null', 'x-dovetail-signature': 'sha256=00' } });
    assert.equal(hook.status, 401);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('with a token: scripts with the bearer token need no CSRF token, signed-in browsers do', async () => {
  const { engine, request } = await appWith(`{ token: "${TOKEN}" }`);
  const url = 'http://127.0.0.1:8790/api/failures/1/retry';
  try {
    assert.equal((await request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    assert.equal((await request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } })).status, 403);
    const cookie = cookieOf(await request('http://127.0.0.1:8790/login', { method: 'POST', body: signInForm(TOKEN) }));
    const csrf = await csrfIn(await request('http://127.0.0.1:8790/', { headers: { cookie } }));
    assert.equal((await request(url, { method: 'POST', headers: { cookie } })).status, 403);
    assert.equal((await request(url, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })).status, 404);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('a sign-in sends the browser only to a path on this site', async () => {
  for (const next of ['/failures', '/records?q=AB%2012', '/records?q=a/b']) assert.equal(safeNext(next), next);
  for (const next of ['/\\evil.example', '//evil.example', '/%5Cevil.example', '/%2F%2Fevil.example', '/%2Fevil.example', '\\\\evil.example',
    'https://evil.example', 'javascript:alert(1)', '/\t/evil.example', '/\n/evil.example', 'evil.example', '', '/%E0%A4%A', undefined, ['/']]) {
    assert.equal(safeNext(next), '/', `refused: ${JSON.stringify(next)}`);
  }
  const { engine, request } = await appWith(`{ token: "${TOKEN}" }`);
  try {
    const form = await (await request('http://127.0.0.1/login?next=/%5Cevil.example')).text();
    assert.match(form, /name="next" value="\/"/);
    const posted = await request('http://127.0.0.1/login', { method: 'POST', body: signInForm(TOKEN, '/\\evil.example') });
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.get('location'), '/');
    const signedIn = await request('http://127.0.0.1/login?next=/%5Cevil.example', { headers: { cookie: cookieOf(posted) } });
    assert.equal(signedIn.headers.get('location'), '/');
    const kept = await request('http://127.0.0.1/login', { method: 'POST', body: signInForm(TOKEN, '/records?q=ABC') });
    assert.equal(kept.headers.get('location'), '/records?q=ABC');
  } finally {
    await engine.ctx.storage.close();
  }
});

test('sessions: Secure over TLS, ended by signing out, and none outlives the process that made it', async () => {
  const { engine, request } = await appWith(`{ host: 0.0.0.0, token: "${TOKEN}" }`);
  const restarted = await appWith(`{ host: 0.0.0.0, token: "${TOKEN}" }`);
  try {
    const overTls = await request('https://dovetail.example/login', { method: 'POST', body: signInForm(TOKEN) });
    assert.match(overTls.headers.get('set-cookie') ?? '', /; Secure/);
    const proxied = await request('http://dovetail.example/login', { method: 'POST', body: signInForm(TOKEN), headers: { 'x-forwarded-proto': 'https' } });
    assert.match(proxied.headers.get('set-cookie') ?? '', /; Secure/);

    const cookie = cookieOf(await request('http://10.0.0.5/login', { method: 'POST', body: signInForm(TOKEN) }));
    assert.equal((await request('http://10.0.0.5/', { headers: { cookie } })).status, 200);
    assert.equal((await restarted.request('http://10.0.0.5/', { headers: { cookie } })).status, 303, 'a restart (how a new token takes effect) ends every session');
    const csrf = await csrfIn(await request('http://10.0.0.5/', { headers: { cookie } }));
    assert.equal((await request('http://10.0.0.5/logout', { method: 'POST', headers: { cookie } })).status, 403, 'signing out needs the CSRF token too');
    const out = await request('http://10.0.0.5/logout', { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { cookie } });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/login');
    assert.match(out.headers.get('set-cookie') ?? '', /dovetail_session=;.*Max-Age=0/);
    const after = await request('http://10.0.0.5/', { headers: { cookie } });
    assert.equal(after.status, 303, 'the cookie kept from before signing out opens nothing');
    assert.match(after.headers.get('location') ?? '', /^\/login/);
  } finally {
    await engine.ctx.storage.close();
    await restarted.engine.ctx.storage.close();
  }
});

test('a session ends 12 hours after sign-in, however busy', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const sessions = new Sessions(() => now);
  const app = new Hono();
  app.get('/start', (c) => { sessions.start(c); return c.text('started'); });
  app.get('/who', (c) => c.text(sessions.of(c) ? 'known' : 'unknown'));
  const cookie = cookieOf(await app.request('/start'));
  const who = async () => (await app.request('/who', { headers: { cookie } })).text();
  assert.equal(await who(), 'known');
  now += SESSION_HOURS * 3_600_000 - 1000;
  assert.equal(await who(), 'known');
  now += 1000;
  assert.equal(await who(), 'unknown');
});

test('wrong tokens are throttled per address and overall, with 429 and Retry-After, even for the right token', async () => {
  const { engine, request } = await appWith(`{ host: 0.0.0.0, token: "${TOKEN}" }`);
  const signIn = (token: string, from: string) => request('http://10.0.0.5/login', { from, method: 'POST', body: signInForm(token) });
  const bearer = (token: string, from: string) => request('http://10.0.0.5/api/status', { from, headers: { authorization: `Bearer ${token}` } });
  try {
    for (let i = 0; i < 10; i++) assert.equal((await signIn(`wrong-${i}`, '198.51.100.1')).status, 401);
    const locked = await signIn(TOKEN, '198.51.100.1');
    assert.equal(locked.status, 429, 'the right token too: otherwise guessing would go on');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal(locked.headers.get('set-cookie'), null);
    assert.match(await locked.text(), /Too many wrong tokens from your address\. Try again in 15 minutes/);
    assert.equal((await signIn(TOKEN, '198.51.100.2')).status, 303, 'another address is not held back');
    // guesses through the API count the same
    for (let i = 0; i < 10; i++) assert.equal((await bearer(`wrong-token-${i}-0000000000`, '198.51.100.3')).status, 401);
    const api = await bearer(TOKEN, '198.51.100.3');
    assert.equal(api.status, 429);
    assert.ok(Number(api.headers.get('retry-after')) > 0);
    // many addresses, few tries each: the overall limit holds (20 wrong so far, 80 more make 100)
    for (let i = 0; i < 80; i++) assert.equal((await signIn('wrong', `203.0.113.${i}`)).status, 401);
    const everyone = await signIn(TOKEN, '203.0.113.250');
    assert.equal(everyone.status, 429);
    assert.match(await everyone.text(), /from everywhere/);
  } finally {
    await engine.ctx.storage.close();
  }
});

test('the throttle forgets failures once they leave the window', () => {
  let now = 0;
  const throttle = new LoginThrottle({ perAddress: 3, overall: 5, windowMs: 60_000 }, () => now);
  for (let i = 0; i < 3; i++) { assert.equal(throttle.refusal('a'), null); throttle.failed('a'); now += 1000; }
  assert.deepEqual(throttle.refusal('a'), { retryAfterSeconds: 57, scope: 'address' });
  assert.equal(throttle.refusal('b'), null);
  now = 60_000;
  assert.equal(throttle.refusal('a'), null, 'the first failure has aged out');
  throttle.failed('b'); throttle.failed('c'); throttle.failed('c');
  assert.deepEqual(throttle.refusal('d'), { retryAfterSeconds: 1, scope: 'everyone' }, 'five in the last minute, from anyone');
  throttle.succeeded('b');
  assert.equal(throttle.refusal('d')?.scope, 'everyone', 'one success does not wipe the overall count');
});

test('settings are shown without any secret, and metrics name every flow and system', async () => {
  const { engine, request } = await appWith(`{ token: "${TOKEN}" }`);
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  try {
    const settings = await (await request('http://127.0.0.1/api/settings', auth)).text();
    for (const secret of [...Object.values(SECRETS), TOKEN]) assert.ok(!settings.includes(secret), `settings do not show ${secret.slice(0, 8)}…`);
    assert.match(settings, /"password":"\(hidden\)"/);
    const metrics = await (await request('http://127.0.0.1/metrics', auth)).text();
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
  const { engine, request } = await appWith('{}');
  const { storage } = engine.ctx;
  try {
    await storage.enqueue({ kind: 'order', key: '<img src=x onerror=alert(1)>', reason: 'test' });
    const [job] = await storage.claim(['order'], 1, 'w', 60_000);
    await storage.fail(job.id, 'bad <b>thing</b>', 'permanent', null);
    const body = await (await request('http://127.0.0.1/failures')).text();
    assert.ok(!body.includes('<img src=x'), 'the key is not markup');
    assert.match(body, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(body, /bad &lt;b&gt;thing&lt;\/b&gt;/);
    assert.match(body, /Retry/);
  } finally {
    await storage.close();
  }
});

test('a pushed event is verified over the bytes received: one that is not UTF-8 is never accepted', async () => {
  const { engine, request } = await appWith('{}');
  const sign = (body: Buffer) => `sha256=${createHmac('sha256', SECRETS.DOVETAIL_WEBHOOK_SECRET).update(body).digest('hex')}`;
  // a Latin-1 "é" in the order code: a byte that is not UTF-8, which a lenient decoder turns into U+FFFD
  const raw = Buffer.concat([Buffer.from('{"id":"e-latin1","event":"OrderPlaced","at":"x","orderCode":"CAF'), Buffer.from([0xe9]), Buffer.from('"}')]);
  const post = (signature: string) => request('http://127.0.0.1/webhooks/vendure', { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-dovetail-signature': signature, 'x-dovetail-event-id': 'e-latin1' } });
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
