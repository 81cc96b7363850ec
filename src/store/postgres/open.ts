// PostgreSQL storage, for several `dovetail run` processes on one or several machines: a pool
// for the queries, Kysely's PostgreSQL dialect, the same migrations as SQLite.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Tables } from '../schema.js';
import { Storage } from '../storage.js';
import { AdvisoryFeedLocks } from './feed-locks.js';

const INT8 = 20;

export async function openPostgres(url: string): Promise<Storage> {
  const pool = new pg.Pool({
    connectionString: url, max: 10, application_name: 'dovetail',
    // ids are bigserial and counts bigint: read them as numbers, as SQLite gives them
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === INT8 ? Number
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser },
  });
  // an idle connection the server ended is dropped by the pool; the next query says what is wrong
  pool.on('error', () => undefined);
  const storage = new Storage(new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), 'postgres', new AdvisoryFeedLocks(url));
  try {
    await storage.migrate();
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}
