// The keyset cursor of every polled feed, written once for all connectors: where each stream of a
// feed stands, how a scan moves strictly forward through any number of rows sharing one timestamp,
// and how long the window behind the newest row is read again for transactions that commit late.
import { z } from 'zod';
import { permanent } from '../errors.js';
import type { ChangePage, ChangeRef } from '../connectors/types.js';

/** pages one poll reads from one feed before it lets the other feeds have their turn */
export const PAGES_PER_POLL = 20;

/** A row's place in its stream: the stamp exactly as the system wrote it and the row's id. */
export interface StreamKey {
  /** UTC ISO 8601 text with a fixed number of fraction digits per stream, so text order is time order */
  at: string;
  /** null: every row stamped `at` is still to come (a scan that starts at a time) */
  id: string | null;
  /**
   * For systems that can page rows sharing a stamp only by offset (Vendure has no `id > x`): how
   * many rows stamped `at` were read, in id order, up to `id`; absent once all of them were read.
   */
  tie?: number;
}

export interface StreamPage<R> {
  rows: R[];
  /** the next page starts strictly after this key; null when the page was empty */
  last: StreamKey | null;
  /** false: the stream had nothing after these rows */
  more: boolean;
}

/** One stream of a feed (a model, or part of one), read in (stamp, id) order. */
export interface ChangeStream<R> {
  /** Rows strictly after `after` (null: from the first row), about `limit` of them, oldest first. */
  readPage(after: StreamKey | null, limit: number): Promise<StreamPage<R>>;
}

export interface FeedOptions {
  /** rows asked of a stream per read */
  pageSize: number;
  /**
   * How far behind its newest stamp a system can still commit a row (a transaction stamps its
   * rows when it starts and they become visible when it commits).
   */
  overlapMs: number;
  /** fraction digits of this system's stamps (Tryton: 6, Vendure: 3); old bare-time cursors are widened to it */
  fractionDigits: number;
  now?: () => number;
}

const Key = z.object({ at: z.string(), id: z.string().nullable(), tie: z.number().int().nonnegative().optional() });
const StreamState = z.object({
  /** the newest row read */
  top: Key.nullable(),
  /** a scan under way: its next page starts strictly after `after` */
  scan: z.object({ after: Key.nullable(), final: z.boolean().optional(), moved: z.boolean().optional() }).optional(),
  /** wall time (ms) at which a scan first came to the end of the stream with `top` as its newest row */
  caughtUpAt: z.number().optional(),
  /** the window behind `top` was read again a full overlap after caughtUpAt: reads go on strictly after `top` */
  settled: z.boolean().optional(),
});
type StreamState = z.infer<typeof StreamState>;
const FeedCursor = z.object({ v: z.literal(2), streams: z.record(z.string(), StreamState) });
type FeedCursor = z.infer<typeof FeedCursor>;

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/;

/** The stamp `ms` milliseconds later (earlier when negative), with as many fraction digits as `at`. */
export function shiftStamp(at: string, ms: number, digits = STAMP.exec(at)?.[2]?.length ?? 3): string {
  const m = STAMP.exec(at);
  if (!m) throw permanent(`not a UTC timestamp: ${at}`);
  const iso = new Date(Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`) + ms).toISOString();
  const [whole, frac] = iso.slice(0, -1).split('.');
  return digits ? `${whole}.${frac.padEnd(digits, '0').slice(0, digits)}Z` : `${whole}Z`;
}

const ids = new Intl.Collator('en', { numeric: true });

/** (stamp, id) order; a null id comes before every id of its stamp. */
export function compareKeys(a: StreamKey, b: StreamKey): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.id === b.id) return 0;
  if (a.id === null) return -1;
  if (b.id === null) return 1;
  return ids.compare(a.id, b.id);
}

function parse(raw: string | null, names: string[], opts: FeedOptions): FeedCursor {
  if (raw === null) return { v: 2, streams: {} };
  if (!raw.startsWith('{')) {
    // a bare timestamp, written by versions before this cursor: every stream rescans from that
    // time, rewound by the overlap like those versions did
    if (Number.isNaN(Date.parse(raw))) throw permanent(`not a feed cursor: ${raw.slice(0, 100)}`);
    const at = shiftStamp(new Date(raw).toISOString(), 0, opts.fractionDigits);
    return { v: 2, streams: Object.fromEntries(names.map((n) => [n, { top: { at, id: null } }])) };
  }
  const parsed = FeedCursor.safeParse(JSON.parse(raw));
  if (!parsed.success) throw permanent(`not a feed cursor: ${raw.slice(0, 100)}`);
  return parsed.data;
}

/**
 * Where a new scan of a stream starts. Caught up, it first reads again the window of one overlap
 * behind its newest row, so a transaction that commits late with an earlier stamp is still seen.
 * Doing that on every poll forever would re-read a huge window (a 50,000-row import) every second,
 * so it lasts only a grace: a row stamped within the window commits at the latest one overlap
 * after the newest row was read, so a rescan begun a full overlap after the stream first caught
 * up at that row sees every late row; after it, reads go on strictly after the newest row.
 */
function startScan(s: StreamState, now: number, overlapMs: number): NonNullable<StreamState['scan']> {
  if (!s.top) return { after: null };
  if (s.settled) return { after: s.top };
  return { after: { at: shiftStamp(s.top.at, -overlapMs), id: null }, final: s.caughtUpAt !== undefined && now >= s.caughtUpAt + overlapMs };
}

function advance(s: StreamState, page: StreamPage<unknown>, now: number): void {
  const scan = s.scan!;
  if (page.last && (!s.top || compareKeys(page.last, s.top) > 0)) { s.top = page.last; scan.moved = true; }
  if (page.more) {
    if (!page.last) throw permanent('a stream said it has more rows but gave no key to read on from');
    scan.after = page.last;
    return;
  }
  delete s.scan;
  if (scan.moved || s.caughtUpAt === undefined) { s.caughtUpAt = now; delete s.settled; }
  else if (scan.final) s.settled = true;
}

/**
 * One page of a feed made of several streams. A round starts by reading one page of every stream,
 * all at once; streams with more are then read one page per call until each reached its end, so a
 * round reads each window once. `toChanges` gets the rows this call read, by stream.
 */
export async function readFeed<S extends Record<string, unknown>>(
  raw: string | null, streams: { [K in keyof S]: ChangeStream<S[K]> },
  toChanges: (rows: { [K in keyof S]: S[K][] }) => Promise<ChangeRef[]> | ChangeRef[], opts: FeedOptions,
): Promise<ChangePage> {
  const names = Object.keys(streams) as (keyof S & string)[];
  const cursor = parse(raw, names, opts);
  const now = (opts.now ?? Date.now)();
  // A stream a newer version added to a feed that was read before starts where the feed's streams
  // already are (the earliest of them), not at the beginning of the system's history
  const known = Object.values(cursor.streams).map((s) => s.top).filter((k): k is StreamKey => !!k).sort(compareKeys)[0];
  const state = (n: string): StreamState => (cursor.streams[n] ??= { top: known ? { at: known.at, id: null } : null });
  const midScan = names.filter((n) => state(n).scan);
  const rows = Object.fromEntries(names.map((n) => [n, []])) as unknown as { [K in keyof S]: S[K][] };
  // a round's first pages are read at once: each waits on the system's answer, not on the others'
  // (the client's own limit on calls at once still holds); a failed read saves no cursor
  const toRead = midScan.length ? midScan.slice(0, 1) : names;
  const pages = await Promise.all(toRead.map((name) => {
    const s = state(name);
    s.scan ??= startScan(s, now, opts.overlapMs);
    return streams[name].readPage(s.scan.after, opts.pageSize);
  }));
  toRead.forEach((name, i) => {
    rows[name] = pages[i]!.rows;
    advance(state(name), pages[i]!, now);
  });
  const changes = await toChanges(rows);
  return { changes, cursor: JSON.stringify(cursor), more: names.some((n) => state(n).scan) };
}
