// What `dovetail check` asks Vendure: a store without Dovetail's plugin is named as such, and the
// query itself is one Vendure 3 answers (its custom field configs are a union, read by fragment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VendureConnector } from '../../src/connectors/vendure/index.js';
import { DovetailError } from '../../src/errors.js';

/** A fake Admin API: accepts the login, answers Ping with these custom fields per entity. */
async function fakeVendure(customFields: Record<string, string[]>) {
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { query } = JSON.parse(body) as { query: string };
      queries.push(query);
      const data = /login\(/.test(query)
        ? { login: { __typename: 'CurrentUser' } }
        : { activeChannel: { code: '__default_channel__', defaultCurrencyCode: 'USD' },
          globalSettings: { serverConfig: { entityCustomFields: Object.entries(customFields).map(([entityName, names]) => ({ entityName, customFields: names.map((name) => ({ name })) })) } } };
      res.writeHead(200, { 'content-type': 'application/json', 'vendure-auth-token': 'token' });
      res.end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, queries, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const connectorFor = (url: string) => new VendureConnector({ url, username: 'superadmin', password: 'x', webhookSecret: 'secret-0123456789' });

test('ping reads custom fields through the CustomField fragment and names the plugin when they are there', async () => {
  const fake = await fakeVendure({ ProductVariant: ['weight', 'length', 'width', 'height', 'dovetailGroupPrices'], Fulfillment: ['dovetailRef', 'shippedOn', 'notifyCustomer'], Order: [] });
  try {
    assert.deepEqual(await connectorFor(fake.url).ping(), { version: 'channel __default_channel__ (USD), Dovetail\'s plugin installed' });
    assert.match(fake.queries[1], /customFields \{ \.\.\. on CustomField \{ name \} \}/);
  } finally { await fake.close(); }
});

test('ping on a store without Dovetail\'s plugin says which custom fields are missing', async () => {
  const fake = await fakeVendure({ ProductVariant: ['weight'], Fulfillment: [] });
  try {
    await assert.rejects(connectorFor(fake.url).ping(), (e: unknown) => e instanceof DovetailError && e.kind === 'config'
      && /lacks the custom fields of Dovetail's plugin \(ProductVariant\.length, ProductVariant\.width, ProductVariant\.height, Fulfillment\.dovetailRef, Fulfillment\.shippedOn, Fulfillment\.notifyCustomer, ProductVariant\.dovetailGroupPrices\): install DovetailPlugin/.test(e.message));
  } finally { await fake.close(); }
});
