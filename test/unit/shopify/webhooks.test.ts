// Webhook signatures with vectors computed here by Node's crypto over the raw bytes, proxies
// that re-serialise bodies, duplicates, out-of-order deliveries, and the subscriptions plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DovetailError } from '../../../src/errors.js';
import {
  InMemoryWebhookMemory, parseJsonKeepingBigInts, readWebhook, verifySignature, webhookSubscriptionsPlan,
} from '../../../src/connectors/shopify/webhooks.js';

const SECRET = 'hush-its-the-app-secret';
const fixture = (name: string) => readFileSync(new URL(`../../../src/connectors/shopify/fixtures/${name}`, import.meta.url), 'utf8');
const bytes = (text: string) => Buffer.from(text, 'utf8');
const sign = (raw: string | Buffer, secret = SECRET) => createHmac('sha256', secret).update(raw).digest('base64');
const headersFor = (raw: string, topic: string, id: string, triggeredAt?: string, signature = sign(raw)) => ({
  'X-Shopify-Hmac-SHA256': signature, 'X-Shopify-Topic': topic, 'X-Shopify-Webhook-Id': id,
  'X-Shopify-Shop-Domain': 'fake.myshopify.com', 'X-Shopify-API-Version': '2026-10',
  ...(triggeredAt ? { 'X-Shopify-Triggered-At': triggeredAt } : {}),
});

test('a known vector: HMAC-SHA256 base64 of the raw bytes', () => {
  const raw = '{"id":1,"note":"café"}';
  const expected = createHmac('sha256', SECRET).update(Buffer.from(raw, 'utf8')).digest('base64');
  assert.equal(verifySignature(bytes(raw), expected, SECRET), true);
  assert.equal(verifySignature(bytes(raw), sign(raw, 'another-secret'), SECRET), false);
  assert.equal(verifySignature(bytes(raw + ' '), expected, SECRET), false);
  assert.equal(verifySignature(bytes(raw), expected.slice(0, -4), SECRET), false, 'a truncated signature');
  assert.equal(verifySignature(bytes(raw), undefined, SECRET), false);
  assert.equal(verifySignature(bytes(raw), expected, ''), false, 'no secret configured never verifies');
});

test('a body re-serialised by a proxy fails, even though it is the same JSON', () => {
  const raw = fixture('webhook-orders-updated.json');
  const signature = sign(raw);
  const reformatted = JSON.stringify(JSON.parse(raw), null, 2);
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(raw) as Record<string, unknown>).reverse()));
  for (const body of [reformatted, reordered, raw.replace(/\n$/, '')]) {
    if (body === raw) continue;
    assert.throws(() => readWebhook(bytes(body), headersFor(body, 'orders/updated', 'w-1', undefined, signature), SECRET, new InMemoryWebhookMemory()),
      (e: unknown) => e instanceof DovetailError && e.detail?.reason === 'signature');
  }
  assert.equal(readWebhook(bytes(raw), headersFor(raw, 'orders/updated', 'w-1'), SECRET, new InMemoryWebhookMemory()).status, 'accepted');
});

test('the signature covers the bytes received: a body that is not UTF-8 is never read as if it were', () => {
  // "café" in Latin-1: the é is a byte that is not UTF-8, which a lenient decoder turns into U+FFFD
  const raw = Buffer.concat([Buffer.from('{"id":7,"admin_graphql_api_id":"gid://shopify/Order/7","note":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
  const asDecoded = Buffer.from(raw.toString('utf8'), 'utf8');
  assert.notDeepEqual(asDecoded, raw);
  const headers = (signature: string) => ({ 'X-Shopify-Hmac-SHA256': signature, 'X-Shopify-Topic': 'orders/updated', 'X-Shopify-Webhook-Id': 'w-utf8' });
  assert.equal(verifySignature(raw, sign(asDecoded), SECRET), false, 'a signature over the replacement bytes does not cover what was received');
  assert.throws(() => readWebhook(raw, headers(sign(asDecoded)), SECRET, new InMemoryWebhookMemory()),
    (e: unknown) => e instanceof DovetailError && e.detail?.reason === 'signature');
  assert.equal(verifySignature(raw, sign(raw), SECRET), true);
  assert.throws(() => readWebhook(raw, headers(sign(raw)), SECRET, new InMemoryWebhookMemory()),
    (e: unknown) => e instanceof DovetailError && e.detail?.reason === 'malformed' && /not valid UTF-8/.test(e.message), 'signed, but refused as not UTF-8');
  const utf8 = Buffer.from('{"id":7,"admin_graphql_api_id":"gid://shopify/Order/7","note":"café"}', 'utf8');
  assert.equal(readWebhook(utf8, headers(sign(utf8)), SECRET, new InMemoryWebhookMemory()).status, 'accepted', 'the same note in UTF-8 is read');
});

test('a missing signature header fails; header names are matched without regard to case', () => {
  const raw = fixture('webhook-orders-updated.json');
  const h: Record<string, string | undefined> = headersFor(raw, 'orders/updated', 'w-2');
  delete h['X-Shopify-Hmac-SHA256'];
  assert.throws(() => readWebhook(bytes(raw), h, SECRET, new InMemoryWebhookMemory()), (e: unknown) => e instanceof DovetailError && e.detail?.reason === 'signature');
  const lower = Object.fromEntries(Object.entries(headersFor(raw, 'orders/updated', 'w-3')).map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(readWebhook(bytes(raw), lower, SECRET, new InMemoryWebhookMemory()).status, 'accepted');
});

test('ids beyond 2^53 in documented payloads stay exact', () => {
  const raw = fixture('webhook-refunds-create.json');
  assert.notEqual(String((JSON.parse(raw) as { order_id: number }).order_id), '820982911946154508', 'plain JSON.parse rounds it');
  assert.equal((parseJsonKeepingBigInts(raw) as { order_id: string }).order_id, '820982911946154508');
  const out = readWebhook(bytes(raw), headersFor(raw, 'refunds/create', 'w-4'), SECRET, new InMemoryWebhookMemory());
  assert.deepEqual(out.changes, [{ kind: 'order', key: '820982911946154508', sourceVersion: 'event:w-4' }]);
  assert.deepEqual(parseJsonKeepingBigInts('{"s":"12345678901234567890","n":-12345678901234567,"f":1.5,"e":1e3}'), { s: '12345678901234567890', n: '-12345678901234567', f: 1.5, e: 1000 });
});

test('each topic becomes ChangeRefs keyed like the rest of Dovetail', () => {
  const memory = new InMemoryWebhookMemory();
  const read = (file: string, topic: string, id: string) => { const raw = fixture(file); return readWebhook(bytes(raw), headersFor(raw, topic, id), SECRET, memory); };
  assert.deepEqual(read('webhook-orders-updated.json', 'orders/create', 'a').changes, [{ kind: 'order', key: '820982911946154508', sourceVersion: 'event:a' }]);
  assert.deepEqual(read('webhook-products-update.json', 'products/update', 'b').changes.map((c) => c.key), ['example-shirt-s', 'example-shirt-m']);
  assert.deepEqual(read('webhook-customers-update.json', 'customers/update', 'c').changes, [{ kind: 'customer', key: 'bob@biller.com', sourceVersion: 'event:c' }]);
  assert.equal(read('webhook-orders-updated.json', 'app/uninstalled', 'd').status, 'ignored');
  const bad = '{"no_id":true}';
  assert.throws(() => readWebhook(bytes(bad), headersFor(bad, 'orders/updated', 'e'), SECRET, memory), (e: unknown) => e instanceof DovetailError && e.detail?.reason === 'malformed');
  const notJson = 'id=1';
  assert.throws(() => readWebhook(bytes(notJson), headersFor(notJson, 'orders/updated', 'f'), SECRET, memory), (e: unknown) => e instanceof DovetailError && e.detail?.reason === 'malformed');
});

test('out-of-order deliveries by X-Shopify-Triggered-At; a redelivery carries the same version, for the storage to take once', () => {
  const memory = new InMemoryWebhookMemory();
  const base = JSON.parse(fixture('webhook-orders-updated.json')) as Record<string, unknown>;
  const body = (updatedAt: string) => JSON.stringify({ ...base, id: 5001, admin_graphql_api_id: 'gid://shopify/Order/5001', updated_at: updatedAt });
  const create = body('2026-03-02T10:00:00Z');
  const update = body('2026-03-02T10:05:00Z');

  // the update arrives first, then the same delivery again (a retry), then the older create
  const first = readWebhook(bytes(update), headersFor(update, 'orders/updated', 'wh-2', '2026-03-02T10:05:01Z'), SECRET, memory);
  assert.deepEqual(first, { status: 'accepted', changes: [{ kind: 'order', key: '5001', sourceVersion: 'event:wh-2' }] });
  assert.deepEqual(readWebhook(bytes(update), headersFor(update, 'orders/updated', 'wh-2', '2026-03-02T10:05:01Z'), SECRET, memory), first);
  assert.equal(readWebhook(bytes(create), headersFor(create, 'orders/create', 'wh-1', '2026-03-02T10:00:01Z'), SECRET, memory).status, 'stale');
  // a later change of the same order is accepted
  const later = body('2026-03-02T11:00:00Z');
  assert.equal(readWebhook(bytes(later), headersFor(later, 'orders/updated', 'wh-3', '2026-03-02T11:00:01Z'), SECRET, memory).status, 'accepted');
  // the polling reader's view counts too: a record seen at 12:00 makes an 11:30 event stale
  memory.noteUpdatedAt('order', '5001', '2026-03-02T12:00:00Z');
  const mid = body('2026-03-02T11:30:00Z');
  assert.equal(readWebhook(bytes(mid), headersFor(mid, 'orders/updated', 'wh-4', '2026-03-02T11:30:01Z'), SECRET, memory).status, 'stale');
});

test('subscriptions plan: create the missing, repoint the wrong, keep the right, leave foreign ones', () => {
  const uri = 'https://dovetail.example.com/webhooks/shopify';
  const plan = webhookSubscriptionsPlan([
    { id: 's1', topic: 'ORDERS_CREATE', uri, format: 'JSON', includeFields: [], filter: null },
    { id: 's2', topic: 'ORDERS_UPDATED', uri: 'https://old.example.com/hook', format: 'JSON', includeFields: [], filter: null },
    { id: 's3', topic: 'PRODUCTS_UPDATE', uri, format: 'JSON', includeFields: ['id'], filter: null },
    { id: 's4', topic: 'APP_UNINSTALLED', uri: 'https://else.example.com', format: 'JSON', includeFields: [], filter: null },
  ], uri);
  assert.deepEqual(plan.ok, [{ id: 's1', topic: 'ORDERS_CREATE' }]);
  assert.deepEqual(plan.update.map((u) => [u.id, u.topic]), [['s2', 'ORDERS_UPDATED'], ['s3', 'PRODUCTS_UPDATE']]);
  assert.deepEqual(plan.create.map((c) => c.topic).sort(), ['CUSTOMERS_UPDATE', 'ORDERS_CANCELLED', 'REFUNDS_CREATE']);
  assert.deepEqual(plan.foreign.map((f) => f.id), ['s4']);
});
