// Storage tests run on both backends: SQLite in memory, and a fresh database of their own on the
// test PostgreSQL (scripts/postgres/start.sh). A missing server fails the test, it is never skipped.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres } from '../../src/store/postgres/open.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import type { Storage } from '../../src/store/storage.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/** the test server's maintenance database; the URL scripts/postgres/start.sh prints */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://dovetail:dovetail@127.0.0.1:15432/dovetail';

/**
 * Where the integration tests keep Dovetail's state: `DOVETAIL_TEST_BACKEND=postgres` puts each
 * settings file on a fresh PostgreSQL database worked by three workers; default SQLite, one worker.
 */
export const INTEGRATION_BACKEND: Backend = (() => {
  const asked = process.env.DOVETAIL_TEST_BACKEND ?? 'sqlite';
  if (!(BACKENDS as string[]).includes(asked)) throw new Error(`DOVETAIL_TEST_BACKEND=${asked}: expected one of ${BACKENDS.join(', ')}`);
  return asked as Backend;
})();
/** how many workers share one database in the integration tests */
export const INTEGRATION_WORKERS = INTEGRATION_BACKEND === 'postgres' ? 3 : 1;

/** A name and URL for a PostgreSQL database of one test, known at once; `create` makes it, `drop` removes it. */
export function plannedPostgresDatabase(): { url: string; create: () => Promise<void>; drop: () => Promise<void> } {
  const name = `dovetail_t_${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), create: () => onServer(`CREATE DATABASE ${name}`), drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Creates an empty PostgreSQL database for one test and returns its URL; `drop` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const db = plannedPostgresDatabase();
  await db.create();
  return { url: db.url, drop: db.drop };
}

async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`the test PostgreSQL at ${TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':(hidden)@')} does not answer `
      + `(${err instanceof Error ? err.message : String(err)}): start it with bash scripts/postgres/start.sh`);
  }
  try { await client.query(statement); } finally { await client.end(); }
}

/**
 * Opens a fresh storage on `backend`. Closing it drops the PostgreSQL database with it, so a
 * test leaves nothing behind; `url` lets a test open more workers on the same database.
 */
export async function freshStorage(backend: Backend): Promise<Storage & { url?: string }> {
  if (backend === 'sqlite') return openSqlite(':memory:');
  const db = await freshPostgresDatabase();
  const storage = await openPostgres(db.url);
  const close = storage.close.bind(storage);
  return Object.assign(storage, { url: db.url, close: async () => { await close(); await db.drop(); } });
}
