// Shopify's change listings read through the engine's keyset feed: runs of one `updatedAt` longer
// than a page arrive whole, the cursor only moves forward, late commits inside the overlap are
// still seen, and a cursor written by the earlier time-window format is still read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, type StreamKey } from '../../../src/engine/change-feed.js';
import { ShopifyConnector } from '../../../src/connectors/shopify/index.js';
import type { RecordKind } from '../../../src/connectors/types.js';
import { FakeShopify, VirtualClock } from '../../doubles/shopify/server.js';

const T1 = '2026-03-01T10:00:00Z';
const T2 = '2026-03-01T10:00:05Z';
const T3 = '2026-03-01T10:00:09Z';

async function setup() {
  const clock = new VirtualClock();
  const fake = await new FakeShopify(clock).start();
  const connector = new ShopifyConnector({
    shop: 'fake.myshopify.com', accessToken: 'shpat_test', endpoint: `${fake.url}/admin/api/2026-10/graphql.json`,
    appSecret: 'secret', locations: {}, defaultWarehouse: '', now: clock.now, sleep: clock.sleep,
  });
  return { fake, connector };
}

/** Reads a feed until it says it has nothing more: every key read, in order, and each cursor written. */
async function drain(connector: ShopifyConnector, kind: RecordKind, cursor: string | null) {
  const keys: string[] = [];
  const cursors: string[] = [];
  for (let more = true; more;) {
    const page = await connector.readChanges(kind, cursors.at(-1) ?? cursor);
    keys.push(...page.changes.map((c) => c.key));
    cursors.push(page.cursor);
    more = page.more;
    assert.ok(cursors.length < 50, 'the feed comes to an end');
  }
  return { keys, cursors, last: cursors.at(-1)! };
}

/** Where each page left the scan of `stream`: it must move strictly forward. */
function assertStrictlyForward(cursors: string[], stream: string) {
  const afters = cursors.map((c) => (JSON.parse(c) as { streams: Record<string, { scan?: { after: StreamKey | null } }> }).streams[stream]?.scan?.after)
    .filter((k): k is StreamKey => !!k);
  for (let i = 1; i < afters.length; i++) assert.ok(compareKeys(afters[i]!, afters[i - 1]!) > 0, `page ${i + 1} starts after page ${i}: ${JSON.stringify(afters.slice(i - 1, i + 1))}`);
}

/** `count` orders stamped `updatedAt`; their codes (Shopify's ids, in the order made). */
const addOrders = (fake: FakeShopify, count: number, updatedAt: string): string[] => Array.from({ length: count }, () => {
  const o = fake.shop.placeOrder({ email: 'list@example.com', lines: [] });
  o.updatedAt = updatedAt;
  return o.legacyId;
});
const orderCodes = (fake: FakeShopify) => [...fake.shop.orders.values()].map((o) => o.legacyId);

test('more orders than a page sharing one updatedAt all arrive, once, with the cursor moving forward', async () => {
  const { fake, connector } = await setup();
  try {
    addOrders(fake, 600, T1); // a listing page holds 250
    addOrders(fake, 3, T2);
    const { keys, cursors } = await drain(connector, 'order', null);
    assert.equal(keys.length, 603, 'no order is read twice in one scan');
    assert.deepEqual([...keys].sort(), orderCodes(fake).sort(), 'every order is read');
    assert.ok(cursors.length >= 3, 'the run was read over several pages');
    assertStrictlyForward(cursors, 'orders');
    // the run of one stamp is read by id, never by Shopify's paging cursor
    assert.ok(fake.calls('OrdersUpdatedSince').some((c) => c.variables.sortKey === 'ID' && /id:>\d+/.test(String(c.variables.query))));
  } finally {
    await fake.stop();
  }
});

test('a page that ends inside a run of one stamp loses none of it (products, 25 a page)', async () => {
  const { fake, connector } = await setup();
  try {
    // 20 at T1, then 30 at T2 across the first page's end, then 5 at T3
    for (let i = 1; i <= 55; i++) {
      const item = fake.addItem(`SKU-${i}`, {}, `gid://shopify/Product/${i}`);
      fake.shop.productStamps.set(item.productId, i <= 20 ? T1 : i <= 50 ? T2 : T3);
    }
    const { keys, cursors } = await drain(connector, 'product', null);
    assert.deepEqual([...keys].sort(), [...fake.items.keys()].sort());
    assert.equal(keys.length, 55);
    assertStrictlyForward(cursors, 'products');
  } finally {
    await fake.stop();
  }
});

test('caught up, the next poll still sees a row that committed late with an earlier stamp', async () => {
  const { fake, connector } = await setup();
  try {
    fake.shop.addCustomer({ email: 'Ann@Example.com', updatedAt: T1 });
    fake.shop.addCustomer({ email: null, updatedAt: T2 });
    fake.shop.addCustomer({ email: 'cy@example.com', updatedAt: T3 });
    const first = await drain(connector, 'customer', null);
    assert.deepEqual(first.keys, ['ann@example.com', 'cy@example.com'], 'a customer without email is not a change');
    // committed after that read, stamped before the newest row read (within the 120 s overlap)
    fake.shop.addCustomer({ email: 'late@example.com', updatedAt: T2 });
    const second = await drain(connector, 'customer', first.last);
    assert.ok(second.keys.includes('late@example.com'));
  } finally {
    await fake.stop();
  }
});

test('a cursor of the earlier format (time window and Shopify cursor) is read from its newest time, less the overlap', async () => {
  const { fake, connector } = await setup();
  try {
    addOrders(fake, 1, '2026-03-01T09:50:00Z'); // ten minutes before: read before that cursor was written
    const [inOverlap] = addOrders(fake, 1, '2026-03-01T09:59:00Z'); // within the 120 s overlap
    const [fresh] = addOrders(fake, 1, '2026-03-01T10:05:00Z'); // new
    const earlier = JSON.stringify({ since: '2026-03-01T09:40:00Z', after: 'eyJsYXN0X2lkIjo0fQ==', max: T1 });
    const { keys, last } = await drain(connector, 'order', earlier);
    assert.deepEqual(keys, [inOverlap, fresh]);
    assert.equal((JSON.parse(last) as { v: number }).v, 2, 'the cursor is written in the feed\'s format from then on');
    await assert.rejects(connector.readChanges('order', '{"since":1}'), /not a feed cursor/);
  } finally {
    await fake.stop();
  }
});
