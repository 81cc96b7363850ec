// The real Vendure's Dovetail plugin against a receiver that refuses: an event refused for good
// (400) is set aside where an operator finds it and the events after it keep flowing, while a
// receiver that refuses the sender (401: wrong secret) holds the line until it accepts again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { adminGql, startVendure, type VendureInstance } from './helpers/systems.js';
import { until } from './helpers/dovetail.js';

interface Delivery { id: string; email?: string; status: number }

/** A webhook receiver answering each delivery with `answer(body, nth delivery of that event)`. */
async function receiver(answer: (body: { id: string; email?: string }, nth: number) => number) {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; email?: string };
      const status = answer(body, deliveries.filter((d) => d.id === body.id).length + 1);
      deliveries.push({ id: body.id, email: body.email, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{}' : JSON.stringify({ error: `refused with ${status}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { deliveries, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/vendure`, close: () => server.close() };
}

async function createCustomer(vendure: VendureInstance, email: string) {
  const admin = await adminGql(vendure.url);
  await admin(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename } }`, { i: { firstName: 'Pat', lastName: 'Plugin', emailAddress: email } });
}

function outbox(vendure: VendureInstance) {
  const db = new Database(vendure.dbFile, { readonly: true });
  try {
    return db.prepare('SELECT eventId, body, attempts, deliveredAt, refusedAt, lastError FROM dovetail_outbox_entry ORDER BY id')
      .all() as { eventId: string; body: string; attempts: number; deliveredAt: string | null; refusedAt: string | null; lastError: string | null }[];
  } finally { db.close(); }
}

test('an event refused with 400 is set aside with its reason, sent once, and the later events arrive', { timeout: 120_000 }, async () => {
  const hook = await receiver((body) => (body.email === 'refused@example.com' ? 400 : 200));
  const vendure = await startVendure({ webhookUrl: hook.url, webhookSecret: 's' });
  try {
    await createCustomer(vendure, 'refused@example.com');
    await until('the refused delivery', async () => hook.deliveries.some((d) => d.status === 400));
    for (const email of ['later-1@example.com', 'later-2@example.com']) await createCustomer(vendure, email);
    await until('the later events', async () => ['later-1@example.com', 'later-2@example.com'].every((e) => hook.deliveries.some((d) => d.email === e && d.status === 200)));

    const refused = hook.deliveries.filter((d) => d.email === 'refused@example.com');
    assert.equal(refused.length, 1, 'a refused event is not sent again');
    const row = outbox(vendure).find((r) => r.eventId === refused[0].id);
    assert.ok(row?.refusedAt, 'the outbox row says it was refused');
    assert.equal(row.deliveredAt, null);
    assert.match(row.lastError ?? '', /^HTTP 400: .*refused with 400/);
    assert.match(row.body, /refused@example\.com/, 'the event is kept for an operator to look at');
  } finally {
    await vendure.stop();
    hook.close();
  }
});

test('a receiver that refuses the sender (401) holds the events back in order until it accepts them', { timeout: 120_000 }, async () => {
  let accepting = false;
  const hook = await receiver(() => (accepting ? 200 : 401));
  const vendure = await startVendure({ webhookUrl: hook.url, webhookSecret: 's' });
  try {
    await createCustomer(vendure, 'first@example.com');
    await createCustomer(vendure, 'second@example.com');
    await until('a refused delivery', async () => hook.deliveries.some((d) => d.status === 401));
    assert.equal(hook.deliveries.some((d) => d.email === 'second@example.com'), false, 'nothing overtakes the held event');
    assert.equal(outbox(vendure).some((r) => r.refusedAt), false, 'nothing is set aside');
    accepting = true; // the secret is fixed
    await until('both events', async () => ['first@example.com', 'second@example.com'].every((e) => hook.deliveries.some((d) => d.email === e && d.status === 200)));
    const delivered = hook.deliveries.filter((d) => d.status === 200).map((d) => d.email);
    assert.ok(delivered.indexOf('first@example.com') < delivered.indexOf('second@example.com'), 'in the order they happened');
  } finally {
    await vendure.stop();
    hook.close();
  }
});
