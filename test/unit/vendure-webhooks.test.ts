// Events pushed by Dovetail's Vendure plugin: the signature covers the exact bytes received, and
// only a verified body is decoded (strictly, as UTF-8) and turned into change references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parsePluginEvent } from '../../src/connectors/vendure/webhooks.js';
import { DovetailError } from '../../src/errors.js';

const SECRET = 'unit-test-secret-0123456789';
const bytes = (text: string) => Buffer.from(text, 'utf8');
const sign = (body: string | Buffer) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const kindOf = (fn: () => unknown) => { try { fn(); return 'accepted'; } catch (e) { return e instanceof DovetailError ? e.kind : 'crash'; } };

test('plugin events: signature checked over the raw bytes, then turned into change references', () => {
  const body = JSON.stringify({ id: 'e1', event: 'OrderPlaced', at: '2026-11-26T00:00:00Z', orderCode: 'ABC' });
  assert.deepEqual(parsePluginEvent(bytes(body), { 'x-dovetail-signature': sign(body) }, SECRET), [{ kind: 'order', key: 'ABC', sourceVersion: 'event:e1' }]);
  const variants = JSON.stringify({ id: 'e2', event: 'ProductVariant', at: 'x', skus: ['A', 'B'] });
  assert.deepEqual(parsePluginEvent(bytes(variants), { 'x-dovetail-signature': sign(variants) }, SECRET).map((c) => c.key), ['A', 'B']);
  const customer = JSON.stringify({ id: 'e3', event: 'Customer', at: 'x', email: ' Bob@Example.com ' });
  assert.deepEqual(parsePluginEvent(bytes(customer), { 'x-dovetail-signature': sign(customer) }, SECRET), [{ kind: 'customer', key: 'bob@example.com', sourceVersion: 'event:e3' }]);
});

test('plugin events: a re-serialised body, a missing signature or a malformed body are refused with the right kind', () => {
  const body = JSON.stringify({ id: 'e1', event: 'OrderPlaced', at: 'x', orderCode: 'ABC' });
  assert.equal(kindOf(() => parsePluginEvent(bytes(JSON.stringify(JSON.parse(body), null, 1)), { 'x-dovetail-signature': sign(body) }, SECRET)), 'config');
  assert.equal(kindOf(() => parsePluginEvent(bytes(body), {}, SECRET)), 'config');
  assert.equal(kindOf(() => parsePluginEvent(bytes('{not json'), { 'x-dovetail-signature': sign('{not json') }, SECRET)), 'permanent');
  assert.equal(kindOf(() => parsePluginEvent(bytes('{"event":"OrderPlaced"}'), { 'x-dovetail-signature': sign('{"event":"OrderPlaced"}') }, SECRET)), 'permanent');
});

test('plugin events: a body that is not UTF-8 is refused whichever bytes were signed', () => {
  // a Latin-1 "é" inside the order code: one byte that is not UTF-8, which a lenient decoder turns into U+FFFD
  const raw = Buffer.concat([Buffer.from('{"id":"e4","event":"OrderPlaced","at":"x","orderCode":"CAF'), Buffer.from([0xe9]), Buffer.from('"}')]);
  const asDecoded = bytes(raw.toString('utf8'));
  assert.notDeepEqual(asDecoded, raw);
  assert.throws(() => parsePluginEvent(raw, { 'x-dovetail-signature': sign(asDecoded) }, SECRET),
    (e: unknown) => e instanceof DovetailError && e.kind === 'config' && /signature/.test(e.message), 'signed over the replacement bytes: not what was received');
  assert.throws(() => parsePluginEvent(raw, { 'x-dovetail-signature': sign(raw) }, SECRET),
    (e: unknown) => e instanceof DovetailError && e.kind === 'permanent' && /not valid UTF-8/.test(e.message), 'signed over its real bytes: verified, then refused as not UTF-8');
  const utf8 = bytes('{"id":"e5","event":"OrderPlaced","at":"x","orderCode":"CAFÉ"}');
  assert.deepEqual(parsePluginEvent(utf8, { 'x-dovetail-signature': sign(utf8) }, SECRET), [{ kind: 'order', key: 'CAFÉ', sourceVersion: 'event:e5' }]);
});
