// The keyset cursor of polled feeds: rows sharing one stamp are read whole however many there are,
// old bare-time cursors still work, the late-commit overlap ends, and Vendure's offset paging of
// one stamp's rows survives a row leaving them mid-scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, readFeed, type ChangeStream, type FeedOptions, type StreamKey } from '../../src/engine/change-feed.js';
import { pageFromTie } from '../../src/connectors/vendure/reads.js';
import type { ChangePage, ChangeRef } from '../../src/connectors/types.js';

interface Row { at: string; id: number }
const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString().replace('Z', '000Z');

/** A table read as Tryton reads it: strictly after (stamp, id), in that order. */
function table(rows: Row[]): ChangeStream<Row> & { reads: number } {
  const stream = {
    reads: 0,
    async readPage(after: StreamKey | null, limit: number) {
      stream.reads++;
      const sorted = [...rows].sort((a, b) => compareKeys({ at: a.at, id: String(a.id) }, { at: b.at, id: String(b.id) }));
      const page = sorted.filter((r) => !after || compareKeys({ at: r.at, id: String(r.id) }, after) > 0).slice(0, limit);
      const last = page.at(-1);
      return { rows: page, last: last ? { at: last.at, id: String(last.id) } : null, more: page.length >= limit };
    },
  };
  return stream;
}

const toChanges = ({ rows }: { rows: Row[] }): ChangeRef[] => rows.map((r) => ({ kind: 'product', key: `SKU-${r.id}`, sourceVersion: r.at }));

/** Reads the way pollFeed does: pages while there are more, the cursor carried between them. */
async function poll(cursor: string | null, stream: ChangeStream<Row>, opts: FeedOptions, seen = new Set<string>()) {
  for (let page = 0; page < 100; page++) {
    const next = await readFeed(cursor, { rows: stream }, toChanges, opts);
    for (const c of next.changes) seen.add(c.key);
    cursor = next.cursor;
    if (!next.more) break;
  }
  return { cursor, seen };
}

test('a transaction of more rows than three pages, all with one stamp, is read whole and the cursor moves on every page', async () => {
  const rows = Array.from({ length: 5_000 }, (_, i) => ({ at: T(1), id: i + 1 }));
  const stream = table(rows);
  const opts = { pageSize: 2_000, overlapMs: 5_000, fractionDigits: 6, now: () => 0 };
  const cursors: string[] = [];
  let cursor: string | null = null;
  const seen = new Set<string>();
  for (let page = 0; page < 3; page++) {
    const next: ChangePage = await readFeed(cursor, { rows: stream }, toChanges, opts);
    next.changes.forEach((c) => seen.add(c.key));
    assert.notEqual(next.cursor, cursor, `page ${page + 1} moves the cursor`);
    cursors.push(next.cursor);
    cursor = next.cursor;
  }
  assert.equal(seen.size, 5_000, 'every row of the transaction arrived');
  assert.deepEqual(JSON.parse(cursor!).streams.rows.top, { at: T(1), id: '5000' });
});

test('an old cursor (a bare time) still reads: from that time, rewound by the overlap', async () => {
  const rows = [{ at: T(1), id: 1 }, { at: T(8), id: 2 }, { at: T(12), id: 3 }];
  const { seen } = await poll(T(12).replace('000Z', 'Z'), table(rows), { pageSize: 10, overlapMs: 5_000, fractionDigits: 6, now: () => 0 });
  assert.deepEqual([...seen].sort(), ['SKU-2', 'SKU-3'], 'the row 11 s before the old cursor is not read again; the rows within 5 s are');
});

test('the window behind the newest row is read again for one overlap, then no more', async () => {
  // a big transaction: without an end to the overlap, every poll would read its 4,500 rows again
  const rows = Array.from({ length: 4_500 }, (_, i) => ({ at: T(1), id: i + 1 }));
  const stream = table(rows);
  let now = 1_000_000;
  const opts = { pageSize: 2_000, overlapMs: 5_000, fractionDigits: 6, now: () => now };
  let { cursor } = await poll(null, stream, opts);

  // a transaction that started before the newest row commits late: the rescan within the overlap sees it
  now += 1_000;
  rows.push({ at: T(0), id: 9_001 });
  const late = await poll(cursor, stream, opts);
  assert.ok(late.seen.has('SKU-9001'), 'a row committed late with an earlier stamp is read');
  cursor = late.cursor;

  // a full overlap after the stream caught up, one last rescan; after it, reads go on strictly after the newest row
  now += 5_000;
  ({ cursor } = await poll(cursor, stream, opts));
  now += 1_000;
  const before = stream.reads;
  const quiet = await poll(cursor, stream, opts);
  assert.equal(stream.reads - before, 1, 'one read, of nothing: the window is not read again');
  assert.equal(quiet.seen.size, 0);

  // a new row opens a new window
  rows.push({ at: T(30), id: 9_002 });
  assert.ok((await poll(quiet.cursor, stream, opts)).seen.has('SKU-9002'));
});

test('a stream added to a feed read before starts where its siblings are, not at the beginning', async () => {
  const opts = { pageSize: 10, overlapMs: 5_000, fractionDigits: 6, now: () => 0 };
  const old = [{ at: T(1), id: 1 }, { at: T(20), id: 2 }];
  const { cursor } = await poll(null, table(old), opts);
  // the next version reads a second stream in the same feed (Vendure orders by the time they were placed)
  const added = table([{ at: T(2), id: 10 }, { at: T(18), id: 11 }, { at: T(30), id: 12 }]);
  const next = await readFeed(cursor, { rows: table(old), added }, ({ rows, added: more }) => toChanges({ rows: [...rows, ...more] }), opts);
  assert.deepEqual(next.changes.map((c) => c.key).sort(), ['SKU-11', 'SKU-12', 'SKU-2'], 'the new stream from the overlap behind the feed\'s newest row: not its row of long ago');
});

test('a feed of several streams reads each stream to its end, and each window once per poll', async () => {
  const a = table(Array.from({ length: 250 }, (_, i) => ({ at: T(1), id: i + 1 })));
  const b = table(Array.from({ length: 30 }, (_, i) => ({ at: T(2), id: 1_000 + i })));
  const seen = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  for (;;) {
    const next: ChangePage = await readFeed(cursor, { a, b }, ({ a: ra, b: rb }) => toChanges({ rows: [...ra, ...rb] }), { pageSize: 100, overlapMs: 5_000, fractionDigits: 6, now: () => 0 });
    next.changes.forEach((c) => seen.add(c.key));
    cursor = next.cursor;
    pages++;
    if (!next.more) break;
  }
  assert.equal(seen.size, 280);
  assert.equal(pages, 3);
  assert.equal(b.reads, 1, 'the stream that was at its end is not read again while the other one pages');
});

test("Vendure's offset paging of one stamp's rows reads every row when one leaves them mid-scan", async () => {
  // 250 rows share one stamp; Vendure can page them only by offset, in id order
  const group = Array.from({ length: 250 }, (_, i) => String(i + 1));
  const fetch = async (skip: number, take: number) => group.slice(skip, skip + take).map((id) => ({ id }));
  const isAfter = (anchor: StreamKey) => (r: { id: string }) => Number(r.id) > Number(anchor.id);
  const seen = new Set<string>();
  const first = await pageFromTie(fetch, { at: T(1), id: null, tie: 0 }, 100, isAfter({ at: T(1), id: null }));
  first.rows.forEach((r) => seen.add(r.id));
  assert.equal(first.position, 100);
  // row 10 is edited: it gets a new stamp and leaves the group, so every row behind it moves up one
  group.splice(group.indexOf('10'), 1);
  let key: StreamKey = { at: T(1), id: '100', tie: first.position };
  for (let more = true; more;) {
    const page = await pageFromTie(fetch, key, 100, isAfter(key));
    page.rows.forEach((r) => seen.add(r.id));
    key = { at: T(1), id: page.rows.at(-1)?.id ?? key.id, tie: page.position };
    more = page.more;
  }
  for (const id of group) assert.ok(seen.has(id), `row ${id} was read`);
});
