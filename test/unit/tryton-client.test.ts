// Pure parts of the Tryton client: value encoding on the wire and how failures are classified.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  LOGIN_BACKOFF_MAX_MS, TrytonClient, classifyTrytonError, dateOf, dec, decimalString, fromTrytonDate, loginBackoffMs, trytonDateTime,
} from '../../src/connectors/tryton/client.js';
import { DovetailError } from '../../src/errors.js';

test('decimals travel as strings both ways', () => {
  assert.deepEqual(dec('10.50'), { __class__: 'Decimal', decimal: '10.50' });
  assert.equal(decimalString({ __class__: 'Decimal', decimal: '217.00' }), '217.00');
  assert.equal(decimalString(217), '217');
  assert.equal(decimalString(0.1), '0.1');
  assert.equal(decimalString(1e-7), '0.0000001');
  assert.equal(decimalString('-3.25'), '-3.25');
  assert.throws(() => decimalString({ __class__: 'Decimal', decimal: 'NaN' }), DovetailError);
  assert.throws(() => decimalString(null), DovetailError);
});

test('dates and datetimes round-trip in UTC', () => {
  const d = new Date('2025-03-04T05:06:07.089Z');
  const wire = trytonDateTime(d);
  assert.deepEqual(wire, { __class__: 'datetime', year: 2025, month: 3, day: 4, hour: 5, minute: 6, second: 7, microsecond: 89000 });
  assert.equal(fromTrytonDate(wire).toISOString(), d.toISOString());
  assert.deepEqual(dateOf(2025, 12, 31), { __class__: 'date', year: 2025, month: 12, day: 31 });
  assert.equal(fromTrytonDate(dateOf(2025, 12, 31)).toISOString(), '2025-12-31T00:00:00.000Z');
  assert.throws(() => fromTrytonDate('2025-12-31'), DovetailError);
});

test('a UserError is permanent and says what Tryton said', () => {
  const e = classifyTrytonError('model.sale.sale.quote', ['UserError', ['The field "Party" is required.', 'on Sale', null]]);
  assert.equal(e.kind, 'permanent');
  assert.match(e.message, /model\.sale\.sale\.quote/);
  assert.match(e.message, /The field "Party" is required\. — on Sale/);
});

test('a read that met records another transaction deleted is a race, tried again', () => {
  const e = classifyTrytonError('model.sale.sale.search_read', ['UserError', ['You are trying to read records "140, 155" of "Stock Move" that don\'t exist anymore.', '', null]]);
  assert.equal(e.kind, 'transient');
  assert.match(e.message, /Stock Move/);
});

test('a UserWarning carries its name so it can be acknowledged', () => {
  const e = classifyTrytonError('model.stock.move.do', ['UserWarning', ['stock.move.do.1', 'Move without origin', '']]);
  assert.equal(e.kind, 'permanent');
  assert.equal(e.detail?.warningName, 'stock.move.do.1');
});

test('concurrent access and locks are transient; other server exceptions permanent', () => {
  assert.equal(classifyTrytonError('m', ['ConcurrencyException', 'Records were modified in the meanwhile']).kind, 'transient');
  assert.equal(classifyTrytonError('m', ['database is locked', 'Traceback …']).kind, 'transient');
  assert.equal(classifyTrytonError('m', ["'NoneType' object has no attribute 'id'", 'Traceback …']).kind, 'permanent');
  assert.equal(classifyTrytonError('m', ['LoginException', ['password', 'Password', 'password']]).kind, 'config');
  const long = classifyTrytonError('m', ['UserError', ['x'.repeat(2000), '']]);
  assert.ok(long.message.length <= 300);
});

/** A fake Tryton answering from a script, to see the HTTP side of the classification. */
async function fakeTryton(answer: (method: string, auth: string | undefined) => [number, unknown]) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { method } = JSON.parse(body) as { method: string };
      seen.push(method);
      const [status, json] = answer(method, req.headers.authorization);
      res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/html' });
      res.end(status === 200 ? JSON.stringify(json) : '<html><body><h1>Unauthorized</h1></body></html>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('an expired session (401) logs in again once and replays the call', async () => {
  let sessions = 0;
  let expired = true;
  const fake = await fakeTryton((method, auth) => {
    if (method === 'common.db.login') return [200, { id: 1, result: [1, `s${++sessions}`] }];
    if (method === 'model.res.user.get_preferences') return [200, { id: 1, result: { company: 1 } }];
    if (expired && auth?.includes(Buffer.from('admin:1:s1').toString('base64'))) { expired = false; return [401, null]; }
    return [200, { id: 1, result: [7] }];
  });
  try {
    const t = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'x' });
    await t.login();
    assert.deepEqual(t.context, { company: 1 });
    assert.deepEqual(await t.search('party.party', []), [7]);
    assert.equal(sessions, 2);
    assert.deepEqual(fake.seen, ['common.db.login', 'model.res.user.get_preferences', 'model.party.party.search',
      'common.db.login', 'model.res.user.get_preferences', 'model.party.party.search']);
    assert.equal(t.calls, 6);
  } finally { await fake.close(); }
});

test('a bad login is a config failure, a refused connection transient', async () => {
  const fake = await fakeTryton(() => [401, null]);
  try {
    const t = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'wrong' });
    await assert.rejects(t.login(), (e: unknown) => e instanceof DovetailError && e.kind === 'config' && /wrong user or password/.test(e.message));
  } finally { await fake.close(); }
  const down = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'x', timeoutMs: 2000 });
  await assert.rejects(down.login(), (e: unknown) => e instanceof DovetailError && e.kind === 'transient');
});

test('a UserWarning is acknowledged and the call replayed', async () => {
  let warned = false;
  const fake = await fakeTryton((method) => {
    if (method === 'common.db.login') return [200, { id: 1, result: [1, 's'] }];
    if (method === 'model.res.user.get_preferences') return [200, { id: 1, result: {} }];
    if (method === 'model.res.user.warning.create') { warned = true; return [200, { id: 1, result: [1] }]; }
    if (!warned) return [200, { id: 1, error: ['UserWarning', ['w1', 'Are you sure?', '']] }];
    return [200, { id: 1, result: null }];
  });
  try {
    const t = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'x' });
    await t.button('stock.move', 'do', [1]);
    assert.deepEqual(fake.seen.slice(2), ['model.stock.move.do', 'model.res.user.warning.create', 'model.stock.move.do']);
  } finally { await fake.close(); }
});

// ---- login storms: Tryton locks a user out after a few refused logins ------------------------

/** A fake Tryton whose login answer can change: 'ok', 'wrong' (401) or 'locked' (429). */
async function fakeLogin(initial: 'ok' | 'wrong' | 'locked') {
  const state = { login: initial };
  const fake = await fakeTryton((method) => {
    if (method === 'common.db.login') return state.login === 'ok' ? [200, { id: 1, result: [1, 's'] }] : [state.login === 'wrong' ? 401 : 429, null];
    if (method === 'model.res.user.get_preferences') return [200, { id: 1, result: {} }];
    return [200, { id: 1, result: [7] }];
  });
  const logins = () => fake.seen.filter((m) => m === 'common.db.login').length;
  return { ...fake, state, logins };
}

const refused = (pattern: RegExp, kind = 'config') => (e: unknown) => e instanceof DovetailError && e.kind === kind && pattern.test(e.message);

test('the wait after a refused login doubles from 2 s up to 15 min; a lock-out (429) waits the longest', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => loginBackoffMs(n, false)), [2_000, 4_000, 8_000, 16_000]);
  assert.equal(loginBackoffMs(50, false), LOGIN_BACKOFF_MAX_MS);
  assert.equal(LOGIN_BACKOFF_MAX_MS, 15 * 60_000);
  assert.equal(loginBackoffMs(1, true), LOGIN_BACKOFF_MAX_MS);
});

test('a storm of calls with a wrong password makes one login, and none more until the wait is over', async () => {
  mock.timers.enable({ apis: ['Date'] });
  const fake = await fakeLogin('wrong');
  try {
    const t = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'wrong' });
    const storm = await Promise.allSettled(Array.from({ length: 20 }, () => t.search('party.party', [])));
    assert.equal(fake.logins(), 1, 'concurrent callers share one login');
    for (const r of storm) assert.ok(r.status === 'rejected' && refused(/wrong user or password; next login attempt in 2 s/)(r.reason));
    // Every feed and job keeps calling: they fail at once, saying when Dovetail will try again.
    for (let i = 0; i < 20; i++) await assert.rejects(t.search('party.party', []), refused(/wrong user or password; Dovetail tries to log in again in 2 s, not before/));
    mock.timers.tick(1_999);
    await assert.rejects(t.login(), refused(/again in 1 s/));
    assert.equal(fake.logins(), 1, 'no login before the wait is over');
    mock.timers.tick(1);
    await assert.rejects(t.search('party.party', []), refused(/next login attempt in 4 s/));
    assert.equal(fake.logins(), 2);
    mock.timers.tick(3_999);
    await assert.rejects(t.search('party.party', []), refused(/again in 1 s/));
    assert.equal(fake.logins(), 2);
  } finally { mock.timers.reset(); await fake.close(); }
});

test('once the password is right again, the first login after the wait succeeds and the wait starts over', async () => {
  mock.timers.enable({ apis: ['Date'] });
  const fake = await fakeLogin('wrong');
  try {
    const t = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'x' });
    await assert.rejects(t.search('party.party', []), refused(/in 2 s/));
    mock.timers.tick(2_000);
    await assert.rejects(t.search('party.party', []), refused(/in 4 s/));
    fake.state.login = 'ok';
    await assert.rejects(t.search('party.party', []), refused(/again in 4 s/), 'still waiting: the fix is seen at the next attempt');
    mock.timers.tick(4_000);
    assert.deepEqual(await t.search('party.party', []), [7]);
    assert.equal(fake.logins(), 3);
    // A later refusal (the session expired and the password changed) waits 2 s again, not 8.
    fake.state.login = 'wrong';
    await assert.rejects(t.login(), refused(/next login attempt in 2 s/));
  } finally { mock.timers.reset(); await fake.close(); }
});

test('Tryton locking the user out (429) is honoured: one attempt per 15 min until it lets us in', async () => {
  mock.timers.enable({ apis: ['Date'] });
  const fake = await fakeLogin('locked');
  try {
    const t = new TrytonClient({ url: fake.url, database: 'db', username: 'admin', password: 'x' });
    await assert.rejects(t.search('party.party', []), (e: unknown) => refused(/too many login attempts.*; next login attempt in 15 min/, 'transient')(e)
      && (e as DovetailError).retryAfterSeconds === 900);
    mock.timers.tick(14 * 60_000);
    await assert.rejects(t.search('party.party', []), refused(/too many login attempts.*again in 60 s/, 'transient'));
    assert.equal(fake.logins(), 1);
    fake.state.login = 'ok';
    mock.timers.tick(60_000);
    assert.deepEqual(await t.search('party.party', []), [7]);
    assert.equal(fake.logins(), 2);
  } finally { mock.timers.reset(); await fake.close(); }
});

test('a 429 on login that names its wait (a rate limiter in front of Tryton) is waited out, not taken for Tryton\'s 15-minute lock-out', async () => {
  let limited = true;
  const logins: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { method } = JSON.parse(body) as { method: string };
      if (method === 'common.db.login') {
        logins.push(method);
        if (limited) { res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('Too Many Requests'); return; }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, result: [1, 's'] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, result: method === 'model.res.user.get_preferences' ? {} : [7] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const t = new TrytonClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, database: 'db', username: 'admin', password: 'x' });
    await assert.rejects(t.search('party.party', []), (e: unknown) => e instanceof DovetailError && e.kind === 'transient' && e.retryAfterSeconds === 1
      && !/too many login attempts/.test(e.message));
    limited = false;
    // no pause of Dovetail's own: the very next call logs in
    assert.deepEqual(await t.search('party.party', []), [7]);
    assert.equal(logins.length, 2);
  } finally { await new Promise<void>((r) => server.close(() => r())); }
});
