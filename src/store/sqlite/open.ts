// The embedded default: one SQLite file, WAL mode so readers (status, dashboard) never block
// the engine, and a busy timeout so a second process (`dovetail sync` beside `run`) waits its turn.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { Tables } from '../schema.js';
import { Storage } from '../storage.js';

export async function openSqlite(path: string): Promise<Storage> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  // Only takes on a file without tables yet: a new file gives pruned rows' pages back a step at a
  // time after each prune. A file made before keeps its mode until `dovetail prune --vacuum`.
  database.pragma('auto_vacuum = INCREMENTAL');
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  // NORMAL survives a crash of the process; commits that must survive a power cut (a change
  // acknowledged to a webhook's sender) ask for FULL: Storage.transaction(fn, { durable: true }).
  database.pragma('synchronous = NORMAL');
  const storage = new Storage(new Kysely<Tables>({ dialect: new SqliteDialect({ database }) }), 'sqlite');
  await storage.migrate();
  return storage;
}
