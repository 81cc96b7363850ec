// Which worker polls which feed. A single process on SQLite polls them all; on PostgreSQL each
// feed is held by one worker at a time (src/store/postgres/feed-locks.ts), so the engine asks here.
export interface FeedLocks {
  /** Whether this worker may poll the feed now: it holds it already, or has just taken it. */
  tryOwn(system: string, feed: string): Promise<boolean>;
  /** the feeds ("system.kind") this worker holds */
  owned(): string[];
  /** Lets go of every feed held: another worker may take them; this one's next poll asks again. */
  release(): Promise<void>;
  close(): Promise<void>;
}

/** One process owns every feed: SQLite serves one `dovetail run`. */
export function everyFeedOwned(): FeedLocks {
  const owned = new Set<string>();
  return {
    tryOwn: async (system, feed) => { owned.add(`${system}.${feed}`); return true; },
    owned: () => [...owned],
    release: async () => { owned.clear(); },
    close: async () => undefined,
  };
}
