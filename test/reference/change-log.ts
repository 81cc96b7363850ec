// What the in-memory connectors share: a change log read through the engine's keyset feed helper
// (as Tryton and Vendure read theirs), and the switches tests use to make a system fail.
import { compareKeys, readFeed, type ChangeStream, type StreamKey } from '../../src/engine/change-feed.js';
import { DovetailError, transient } from '../../src/errors.js';
import type { ChangePage, RecordKind } from '../../src/connectors/types.js';

interface Row { at: string; id: string; kind: RecordKind; key: string }

const keyOf = (r: Row): StreamKey => ({ at: r.at, id: r.id });

/**
 * Every change a system made, in the order it made them, one row per record touched. Rows are
 * stamped by a logical clock so tests never depend on the wall clock; `pageSize` is kept tiny in
 * tests so that every feed is read over several pages.
 */
export class ChangeLog {
  private readonly rows: Row[] = [];
  private clock = Date.parse('2026-01-01T00:00:00.000Z');

  constructor(private readonly pageSize: number) {}

  note(kind: RecordKind, key: string): void {
    this.clock += 1;
    this.rows.push({ at: new Date(this.clock).toISOString(), id: String(this.rows.length + 1), kind, key });
  }

  /** The feed of `kind` after `cursor`: the connector says how to read one page after a key, readFeed does the rest. */
  read(kind: RecordKind, cursor: string | null): Promise<ChangePage> {
    const rows = this.rows.filter((r) => r.kind === kind);
    const stream: ChangeStream<Row> = {
      async readPage(after, limit) {
        const page = rows.filter((r) => !after || compareKeys(keyOf(r), after) > 0).slice(0, limit);
        const last = page.at(-1);
        return { rows: page, last: last ? keyOf(last) : after, more: page.length === limit };
      },
    };
    // a row's id is its version: every write is a new version of the record it touched
    return readFeed(cursor, { rows: stream }, ({ rows: read }) => read.map((r) => ({ kind: r.kind, key: r.key, sourceVersion: `${r.kind}:${r.id}` })),
      { pageSize: this.pageSize, overlapMs: 0, fractionDigits: 3 });
  }
}

/**
 * A system's availability, as tests set it: `down` fails every call as an outage would (transient),
 * `failNext` fails the next call of one method with the given error (a refusal, a time-out).
 */
export class Faults {
  down = false;
  private readonly next = new Map<string, DovetailError>();

  constructor(private readonly system: string) {}

  failNext(method: string, error: DovetailError = transient(`${this.system}: ${method} timed out`)): void {
    this.next.set(method, error);
  }

  /** Called first by every connector method. */
  check(method: string): void {
    if (this.down) throw transient(`${this.system} is unreachable`);
    const error = this.next.get(method);
    if (error) { this.next.delete(method); throw error; }
  }
}
