// The order feed through Magento's one-filter, one-sort searchCriteria: runs of one stamp longer
// than a page, rows of one stamp answered in no particular order, late rows, and Magento's habit
// of answering the last page again for a page past the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWholeFeed } from '../../contract/subject.js';
import { connector, filterOf, type Seen } from './fake.js';

interface Row { entity_id: number; increment_id: string; updated_at: string }

/**
 * GET /V1/orders over `rows` as Magento answers it: the one filter, the one sort order (rows
 * sharing the sorted value come in reverse id order: MySQL promises none), pages from 1, and a
 * page past the end answered with the last page.
 */
function ordersListing(rows: Row[]) {
  return (req: Seen) => {
    const f = filterOf(req.query);
    const sortField = req.query['searchCriteria[sortOrders][0][field]'] as keyof Row | undefined;
    const size = Number(req.query['searchCriteria[pageSize]']);
    let page = Number(req.query['searchCriteria[currentPage]'] ?? 1);
    const kept = rows.filter((r) => {
      if (!f) return true;
      const v = String(r[f.field as keyof Row]);
      switch (f.conditionType) {
        case 'eq': return v === f.value;
        case 'gteq': return v >= f.value;
        case 'gt': return v > f.value;
        default: throw new Error(`condition ${f.conditionType} not scripted`);
      }
    });
    kept.sort((a, b) => {
      if (!sortField) return 0;
      const x = a[sortField], y = b[sortField];
      return x < y ? -1 : x > y ? 1 : b.entity_id - a.entity_id;
    });
    const last = Math.max(1, Math.ceil(kept.length / size));
    if (page > last) page = last;
    return { items: kept.slice((page - 1) * size, page * size), total_count: kept.length };
  };
}

const order = (id: number, at: string): Row => ({ entity_id: id, increment_id: `1000${id}`, updated_at: at });

test('every order arrives through pages of 5 when 12 share one stamp and the rest straddle page ends', async () => {
  const rows = [
    ...Array.from({ length: 3 }, (_, i) => order(i + 1, '2026-11-01 08:00:00')),
    ...Array.from({ length: 12 }, (_, i) => order(i + 10, '2026-11-01 09:00:00')),
    ...Array.from({ length: 4 }, (_, i) => order(i + 30, `2026-11-01 10:00:0${i}`)),
  ];
  const { conn } = connector({ 'GET /orders': ordersListing(rows) }, { pageSize: 5 });
  const { keys, pages } = await readWholeFeed((c) => conn.readChanges('order', c), null);
  assert.deepEqual([...keys].sort(), rows.map((r) => r.increment_id).sort());
  assert.ok(pages > 3, `read in pages (${pages})`);
});

test('an order changed after the feed caught up arrives, one committed late with an earlier stamp too', async () => {
  const rows = [order(1, '2026-11-01 08:00:00'), order(2, '2026-11-01 08:00:05')];
  let now = Date.parse('2026-11-01T08:00:10Z');
  const { conn } = connector({ 'GET /orders': ordersListing(rows) }, { pageSize: 5, now: () => now });
  const first = await readWholeFeed((c) => conn.readChanges('order', c), null);
  assert.deepEqual([...first.keys].sort(), ['10001', '10002']);
  rows.push(order(3, '2026-11-01 08:00:03'), order(4, '2026-11-01 08:01:00'));
  now += 1000;
  const second = await readWholeFeed((c) => conn.readChanges('order', c), first.cursor);
  // the window behind the newest row is read again, so the first two may come again (their versions tell them apart)
  for (const code of ['10003', '10004']) assert.ok(second.keys.has(code), `${code} arrived`);
});

test('the feed asks only what the schema declares: one filter on updated_at, one sort order', async () => {
  const rows = Array.from({ length: 7 }, (_, i) => order(i + 1, '2026-11-01 08:00:00'));
  const { conn, fake } = connector({ 'GET /orders': ordersListing(rows) }, { pageSize: 3 });
  await readWholeFeed((c) => conn.readChanges('order', c), null);
  for (const s of fake.calls('GET', '/orders')) {
    for (const name of Object.keys(s.query)) assert.match(name, /^searchCriteria\[(filterGroups\]\[0\]\[filters\]\[0\]\[(field|value|conditionType)|sortOrders\]\[0\]\[(field|direction)|pageSize|currentPage)\]$/);
    const f = filterOf(s.query);
    if (f) assert.equal(f.field, 'updated_at');
  }
});

test('the payment feed: invoices by creation, keyed by order code and the payment id getPayments gives them', async () => {
  const invoices = [{ entity_id: 700, order_id: 41, created_at: '2026-11-03 09:00:00' }, { entity_id: 701, order_id: 42, created_at: '2026-11-03 09:00:00' }];
  const { conn, fake } = connector({
    'GET /invoices': () => ({ items: invoices, total_count: invoices.length }),
    'GET /orders': () => ({ items: [{ entity_id: 41, increment_id: '000000041' }, { entity_id: 42, increment_id: '000000042' }], total_count: 2 }),
  }, { pageSize: 5 });
  const page = await conn.readChanges('payment', null);
  assert.deepEqual(page.changes.map((c) => [c.kind, c.key]), [['payment', '000000041:invoice:700'], ['payment', '000000042:invoice:701']]);
  assert.deepEqual(filterOf(fake.calls('GET', '/orders')[0]!.query), { field: 'entity_id', value: '41,42', conditionType: 'in' });
  assert.equal(filterOf(fake.calls('GET', '/invoices')[0]!.query), null, 'from the beginning: no filter');
  assert.equal(fake.calls('GET', '/invoices')[0]!.query['searchCriteria[sortOrders][0][field]'], 'created_at');
});

test('listings by offset: any offset and limit, in pages no larger than the connector\'s, past the end empty', async () => {
  const rows = Array.from({ length: 11 }, (_, i) => order(i + 1, '2026-11-01 08:00:00'));
  const { conn, fake } = connector({ 'GET /orders': ordersListing(rows) }, { pageSize: 3 });
  assert.deepEqual(await conn.listOrderCodes(5, 4), ['10006', '10007', '10008', '10009']);
  assert.ok(fake.calls('GET', '/orders').every((s) => Number(s.query['searchCriteria[pageSize]']) <= 3));
  assert.deepEqual(await conn.listOrderCodes(9, 5), ['100010', '100011']);
  assert.deepEqual(await conn.listOrderCodes(11, 5), [], 'Magento answers the last page again past the end: total_count tells');
});
