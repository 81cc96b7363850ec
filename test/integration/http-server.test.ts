// Dovetail's HTTP server on a real socket, where the socket is what matters: bodies refused at
// their limit while they are still streaming in (chunked, without Content-Length), and token-less
// access decided by the connection, not by a Host or X-Forwarded-For header a client can forge.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { parseConfig } from '../../src/config/load.js';
import { Engine } from '../../src/engine/engine.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { buildApp, listen } from '../../src/server/http.js';

const TOKEN = 'dashboard-token-0123456789';
const SECRETS = { TRYTON_PASSWORD: 'p', VENDURE_PASSWORD: 'p', DOVETAIL_WEBHOOK_SECRET: 'webhook-secret-0123456789' };

/** A Dovetail listening on 127.0.0.1 (a random port); the systems it names are never called here. */
async function startDovetail(server: string) {
  const config = parseConfig(`database: { path: ":memory:" }
systems:
  inventory: { url: "http://127.0.0.1:9", password: "\${TRYTON_PASSWORD}" }
  store: { url: "http://127.0.0.1:9", password: "\${VENDURE_PASSWORD}", webhookSecret: "\${DOVETAIL_WEBHOOK_SECRET}" }
server: ${server}
`, SECRETS);
  const engine = new Engine(await openContext(config, createLogger('silent')));
  const http = await listen(buildApp(engine), '127.0.0.1', 0);
  const port = (http.address() as AddressInfo).port;
  return {
    port, engine, http,
    async stop() {
      (http as unknown as { closeAllConnections(): void }).closeAllConnections(); // keep-alive sockets would hold close() open
      await new Promise((r) => http.close(r));
      await engine.ctx.storage.close();
    },
  };
}
type Dovetail = Awaited<ReturnType<typeof startDovetail>>;

/** A GET with any headers, Host included (fetch would not let a caller forge Host). */
function get(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
}

/**
 * Streams up to `total` bytes chunked (no Content-Length), 64 KB at a time as fast as the server
 * takes them, and stops at the answer: its status, and how many bytes had been sent by then.
 */
function streamChunked(port: number, path: string, total: number, headers: Record<string, string> = {}): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    req.on('error', (err) => { if (!answered) reject(err); });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('the HTTP server on a real socket', () => {
  let open: Dovetail; // no token: this machine only
  let locked: Dovetail; // a token, still on loopback
  before(async () => {
    open = await startDovetail('{}');
    locked = await startDovetail(`{ token: "${TOKEN}" }`);
  });
  after(async () => {
    await open?.stop();
    await locked?.stop();
  });

  test('an oversized body is refused while it streams in, chunked or declared, before anyone signs in', async () => {
    const total = 32 * 1024 * 1024;
    const login = await streamChunked(open.port, '/login', total, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(login.status, 413);
    assert.ok(login.sent < total / 2, `answered after ${login.sent} of ${total} bytes`);
    const signIn = await streamChunked(locked.port, '/login', total, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(signIn.status, 413, 'with a token too: the body is bounded before the token is checked');
    assert.ok(signIn.sent < total / 2);
    const api = await streamChunked(locked.port, '/api/failures/1/retry', total, { 'content-type': 'application/json' });
    assert.equal(api.status, 413);
    assert.ok(api.sent < total / 2);
    // declared up front: refused before a byte of it is read
    const declared = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: open.port, path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(total) } },
        (res) => { res.resume(); resolve(res.statusCode ?? 0); req.destroy(); });
      req.on('error', () => { /* the server closes the rest of the upload */ });
      req.write('token=');
    });
    assert.equal(declared, 413);
  });

  test('a webhook has its own, larger limit', async () => {
    // 256 KB is over the limit of forms but within a webhook's: refused for its signature, not its size
    const medium = await streamChunked(open.port, '/webhooks/vendure', 256 * 1024, { 'content-type': 'application/json', 'x-dovetail-signature': 'sha256=00' });
    assert.equal(medium.status, 401);
    const huge = await streamChunked(open.port, '/webhooks/vendure', 32 * 1024 * 1024, { 'content-type': 'application/json' });
    assert.equal(huge.status, 413);
    assert.ok(huge.sent < 16 * 1024 * 1024);
  });

  test('from this machine, a forged Host or a proxy header does not open what needs a token', async () => {
    assert.equal(await get(open.port, '/api/status', {}), 200, 'this machine, no token set: open');
    assert.equal(await get(open.port, '/api/status', { host: '127.0.0.1', 'x-forwarded-for': '203.0.113.9' }), 403, 'a proxy in front: refused without a token');
    assert.equal(await get(open.port, '/api/status', { host: 'localhost', forwarded: 'for=203.0.113.9;proto=https' }), 403);
    assert.equal(await get(open.port, '/api/status', { host: 'rebound.example' }), 403, 'a name that is not loopback');

    const forged: Record<string, string>[] = [{ host: '127.0.0.1' }, { host: 'localhost' }, { host: '127.0.0.1', 'x-forwarded-for': '127.0.0.1' }, { host: '[::1]', 'x-real-ip': '127.0.0.1' }];
    for (const headers of forged) {
      assert.equal(await get(locked.port, '/api/status', headers), 401, `the token is needed: ${JSON.stringify(headers)}`);
    }
    assert.equal(await get(locked.port, '/api/status', { host: '127.0.0.1', 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${TOKEN}` }), 200, 'with the token, through a proxy');
  });

  test('a retry posted from nowhere (Origin: null, or no Origin and no CSRF token) is refused', async () => {
    const post = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${open.port}/failures/1/retry`, { method: 'POST', redirect: 'manual', headers });
    assert.equal((await post({ origin: 'null' })).status, 403);
    assert.equal((await post({})).status, 403);
    assert.equal((await post({ origin: 'http://[' })).status, 403, 'a malformed Origin is refused, not a crash');
  });
});
