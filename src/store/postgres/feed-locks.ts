// Each feed polled by one worker at a time: a session-level advisory lock per feed, held on a
// connection of the worker's own. PostgreSQL frees the locks when that connection dies (a SIGKILLed
// worker), so another worker takes the feed at its next poll, with no lease to wait out.
import pLimit from 'p-limit';
import pg from 'pg';
import type { FeedLocks } from '../feed-locks.js';

/** first half of every feed lock's key, so Dovetail's locks never meet another program's */
const FEED_LOCK_SPACE = 0x0d0e7a11;

export class AdvisoryFeedLocks implements FeedLocks {
  private session: Promise<pg.Client> | null = null;
  private readonly held = new Set<string>();
  /** the feeds are polled several at once, and one connection answers one query at a time */
  private readonly oneAtATime = pLimit(1);

  constructor(private readonly connectionString: string) {}

  tryOwn(system: string, feed: string): Promise<boolean> { return this.oneAtATime(() => this.ask(system, feed)); }

  private async ask(system: string, feed: string): Promise<boolean> {
    const name = `${system}.${feed}`;
    const session = await this.connected();
    // Asked of the server each time, not of `held`: a session that broke and came back holds
    // nothing, and a second pg_try_advisory_lock by the holder would only stack the lock.
    const r = await session.query<{ owned: boolean }>(
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
         AND classid = $1::int::oid AND objid = hashtext($2)::oid AND objsubid = 2)
       THEN true ELSE pg_try_advisory_lock($1, hashtext($2)) END AS owned`, [FEED_LOCK_SPACE, name])
      // the session broke under us (the server restarted, the network): its locks went with it,
      // so this poll is another worker's; the next one opens a session and asks again
      .catch(() => { this.forget(session); return null; });
    if (!r) return false;
    const owned = r.rows[0]?.owned === true;
    if (owned) this.held.add(name); else this.held.delete(name);
    return owned;
  }

  owned(): string[] { return [...this.held]; }

  release(): Promise<void> { return this.oneAtATime(() => this.unlockAll()); }

  private async unlockAll(): Promise<void> {
    const session = this.session;
    this.held.clear();
    if (!session) return;
    const client = await session.catch(() => null);
    // a broken session holds nothing any more: forgotten, as a failed poll forgets it
    await client?.query('SELECT pg_advisory_unlock_all()').catch(() => this.forget(client));
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.held.clear();
    if (session) await (await session.catch(() => null))?.end().catch(() => undefined);
  }

  private connected(): Promise<pg.Client> {
    if (this.session) return this.session;
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'dovetail feed locks' });
    // a broken session lost its locks with it: the next poll opens another and asks again
    client.on('error', () => this.forget(client));
    client.on('end', () => this.forget(client));
    this.client = client;
    this.session = client.connect().then(() => client, (err: unknown) => { this.forget(client); throw err; });
    return this.session;
  }

  private client: pg.Client | null = null;

  private forget(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.session = null;
    this.held.clear();
    client.end().catch(() => undefined);
  }
}
