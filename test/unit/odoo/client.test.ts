// The Odoo client against recorded answers of both transports: how it picks the transport, what
// it sends (named parameters vs execute_kw's positions) and how it classifies every kind of failure.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { executeKwArgs, OdooClient, searchRead, Text, type OdooClientOptions } from '../../../src/connectors/odoo/client.js';
import { z } from 'zod';
import { DovetailError } from '../../../src/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../../../src/connectors/odoo/fixtures/${name}`, import.meta.url), 'utf8');

interface Answer { status?: number; body: string; type?: string; headers?: Record<string, string> }
interface Seen { path: string; headers: http.IncomingHttpHeaders; body: unknown }

/** A server that answers each request with the next queued answer and records what it was sent. */
async function scripted(answers: Answer[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) });
      const a = answers.shift() ?? { status: 500, body: 'no answer queued', type: 'text/plain' };
      res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const options = (url: string, more: Partial<OdooClientOptions> = {}): OdooClientOptions => ({ url, database: 'shop', username: 'dovetail', apiKey: 'key-1', ...more });

async function failure(p: Promise<unknown>): Promise<DovetailError> {
  try { await p; } catch (err) { assert.ok(err instanceof DovetailError, `not a DovetailError: ${String(err)}`); return err; }
  assert.fail('expected a failure');
}

test('execute_kw gets ids first, create its values by position, everything else by keyword', () => {
  assert.deepEqual(executeKwArgs('create', { vals_list: [{ name: 'x' }] }), { args: [[{ name: 'x' }]], kwargs: {} });
  assert.deepEqual(executeKwArgs('write', { ids: [3], vals: { name: 'y' } }), { args: [[3]], kwargs: { vals: { name: 'y' } } });
  assert.deepEqual(executeKwArgs('action_confirm', { ids: [4] }), { args: [[4]], kwargs: {} });
  assert.deepEqual(executeKwArgs('search_read', { domain: [['a', '=', 1]], fields: ['a'], limit: 2, context: { active_test: false } }),
    { args: [], kwargs: { domain: [['a', '=', 1]], fields: ['a'], limit: 2, context: { active_test: false } } });
});

test('Odoo 17 is spoken to through /jsonrpc: version, authenticate, then execute_kw with the API key', async () => {
  const { url, seen } = await scripted([{ body: fixture('jsonrpc-version-17.json') }, { body: fixture('jsonrpc-authenticate.json') },
    { body: fixture('jsonrpc-search-read.json') }, { body: fixture('jsonrpc-create.json') }]);
  const client = new OdooClient(options(url));
  const rows = await searchRead(client, 'product.product', [['default_code', 'in', ['SKU-1']]], { sku: ['default_code', Text] }, { limit: 5 });
  assert.deepEqual(rows, [{ id: 7, sku: 'SKU-1' }, { id: 8, sku: null }]);
  assert.equal(client.version, 17);
  assert.equal(client.transport, 'jsonrpc');
  assert.deepEqual(await client.call('res.partner', 'create', { vals_list: [{ name: 'A' }] }), [41]);
  assert.deepEqual(seen.map((s) => s.path), ['/jsonrpc', '/jsonrpc', '/jsonrpc', '/jsonrpc']);
  assert.deepEqual((seen[1]!.body as { params: unknown }).params, { service: 'common', method: 'authenticate', args: ['shop', 'dovetail', 'key-1', {}] });
  assert.deepEqual((seen[2]!.body as { params: unknown }).params, { service: 'object', method: 'execute_kw',
    args: ['shop', 2, 'key-1', 'product.product', 'search_read', [], { domain: [['default_code', 'in', ['SKU-1']]], fields: ['default_code'], limit: 5 }] });
  assert.deepEqual((seen[3]!.body as { params: { args: unknown[] } }).params.args.slice(3), ['res.partner', 'create', [[{ name: 'A' }]], {}]);
});

test('Odoo 19 is spoken to through JSON-2: bearer key, database header, named parameters in the body', async () => {
  const { url, seen } = await scripted([{ body: fixture('jsonrpc-version-19.json') }, { body: fixture('json2-search-read.json') }]);
  const client = new OdooClient(options(url, { username: undefined }));
  const rows = await searchRead(client, 'product.product', [], { sku: ['default_code', Text], onHand: ['qty_available', z.number()] }, { context: { warehouse: [1] } });
  assert.equal(rows.length, 2);
  assert.equal(client.transport, 'json2');
  const call = seen[1]!;
  assert.equal(call.path, '/json/2/product.product/search_read');
  assert.equal(call.headers.authorization, 'bearer key-1');
  assert.equal(call.headers['x-odoo-database'], 'shop');
  assert.deepEqual(call.body, { domain: [], fields: ['default_code', 'qty_available'], context: { warehouse: [1] } });
});

test('the transport setting wins over the version, and a SaaS version counts by its major', async () => {
  const { url, seen } = await scripted([{ body: fixture('jsonrpc-version-saas-18.json') }, { body: fixture('json2-search-read.json') }]);
  const client = new OdooClient(options(url, { transport: 'json2' }));
  await client.call('product.product', 'search_read', { domain: [], fields: ['id'] });
  assert.equal(client.version, 18);
  assert.equal(seen[1]!.path, '/json/2/product.product/search_read');
});

test('JSON-2 forced on an Odoo without it (a 404 page, not an exception) is a config error naming the transport setting', async () => {
  const { url } = await scripted([{ body: fixture('jsonrpc-version-17.json') }, { status: 404, type: 'text/html', body: '<html><title>404: Not Found</title></html>' }]);
  const e = await failure(new OdooClient(options(url, { transport: 'json2' })).call('sale.order', 'search_read', { domain: [] }));
  assert.equal(e.kind, 'config');
  assert.match(e.message, /transport: jsonrpc/);
});

test('a version Dovetail does not speak, a refused login and a missing user name are config errors', async () => {
  const old = await scripted([{ body: fixture('jsonrpc-version-16.json') }]);
  const e1 = await failure(new OdooClient(options(old.url)).connect());
  assert.equal(e1.kind, 'config');
  assert.match(e1.message, /16\.0 is not supported/);
  const refused = await scripted([{ body: fixture('jsonrpc-version-17.json') }, { body: fixture('jsonrpc-authenticate-refused.json') }]);
  const e2 = await failure(new OdooClient(options(refused.url)).connect());
  assert.equal(e2.kind, 'config');
  assert.match(e2.message, /refused the login of dovetail/);
  const nameless = await scripted([{ body: fixture('jsonrpc-version-17.json') }]);
  const e3 = await failure(new OdooClient(options(nameless.url, { username: undefined })).connect());
  assert.equal(e3.kind, 'config');
  assert.match(e3.message, /username/);
});

/** A client already past the version call, on the given transport, whose next answer is `answer`. */
async function failing(transport: 'json2' | 'jsonrpc', answer: Answer): Promise<DovetailError> {
  const version = transport === 'json2' ? 'jsonrpc-version-19.json' : 'jsonrpc-version-17.json';
  const { url } = await scripted([{ body: fixture(version) }, ...(transport === 'jsonrpc' ? [{ body: fixture('jsonrpc-authenticate.json') }] : []), answer]);
  return failure(new OdooClient(options(url)).call('sale.order', 'action_confirm', { ids: [1] }));
}

test('/jsonrpc errors are classified by the exception Odoo names', async () => {
  const userError = await failing('jsonrpc', { body: fixture('jsonrpc-user-error.json') });
  assert.equal(userError.kind, 'permanent');
  assert.match(userError.message, /sale\.order\.action_confirm \(UserError\): It is not allowed to confirm/);
  assert.equal(userError.detail?.conflict, true);
  assert.equal((await failing('jsonrpc', { body: fixture('jsonrpc-access-denied.json') })).kind, 'config');
  const field = await failing('jsonrpc', { body: fixture('jsonrpc-invalid-field.json') });
  assert.equal(field.kind, 'config');
  assert.match(field.message, /Invalid field 'tax_ids'/);
  assert.equal((await failing('jsonrpc', { body: fixture('jsonrpc-serialization.json') })).kind, 'transient');
});

test('JSON-2 errors are classified by status and the exception in the body', async () => {
  const userError = await failing('json2', { status: 422, body: fixture('json2-user-error.json') });
  assert.equal(userError.kind, 'permanent');
  assert.match(userError.message, /It is not allowed to confirm/);
  assert.equal((await failing('json2', { status: 422, body: fixture('json2-validation-error.json') })).kind, 'permanent');
  assert.equal((await failing('json2', { status: 409, body: fixture('json2-lock-error.json') })).kind, 'transient', 'a record locked by another transaction');
  assert.equal((await failing('json2', { status: 401, body: fixture('json2-unauthorized.json') })).kind, 'config');
  assert.equal((await failing('json2', { status: 403, body: fixture('json2-access-error.json') })).kind, 'config');
  const missing = await failing('json2', { status: 404, body: fixture('json2-model-not-found.json') });
  assert.equal(missing.kind, 'config');
  assert.match(missing.message, /does not exist/);
});

test("a proxy's HTML, a rate limit and a gateway error are transient, Retry-After kept; on either transport", async () => {
  for (const transport of ['json2', 'jsonrpc'] as const) {
    const gateway = await failing(transport, { status: 502, body: fixture('proxy-502.html'), type: 'text/html' });
    assert.equal(gateway.kind, 'transient');
    assert.match(gateway.message, /502 Bad Gateway/);
    assert.doesNotMatch(gateway.message, /<center>/);
    const limited = await failing(transport, { status: 429, body: fixture('proxy-429.html'), type: 'text/html', headers: { 'retry-after': '30' } });
    assert.equal(limited.kind, 'transient');
    assert.equal(limited.retryAfterSeconds, 30);
    assert.equal((await failing(transport, { status: 200, body: fixture('proxy-502.html'), type: 'text/html' })).kind, 'transient');
  }
});

test('an answer whose rows are not what was asked for is refused, not passed on', async () => {
  const { url } = await scripted([{ body: fixture('jsonrpc-version-19.json') }, { body: JSON.stringify([{ id: 'seven', default_code: 'X' }]) }]);
  const e = await failure(searchRead(new OdooClient(options(url)), 'product.product', [], { sku: ['default_code', Text] }));
  assert.equal(e.kind, 'permanent');
  assert.match(e.message, /unexpected answer/);
});

test('a server that cannot be reached is transient', async () => {
  const { url } = await scripted([]);
  const closed = url.replace(/:\d+$/, ':1');
  const e = await failure(new OdooClient(options(closed)).connect());
  assert.equal(e.kind, 'transient');
});
