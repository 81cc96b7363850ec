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
  const storage = new Storage(new Kysely<Tables>({ dialect: new SqliteDialect({ database: reusingStatements(database) }) }), 'sqlite');
  await storage.migrate();
  return storage;
}

/** Statements kept per SQL text; the oldest goes first beyond this many (`in (?, ?, …)` lists of each length are statements of their own). */
const STATEMENTS_KEPT = 500;

/**
 * The database as Kysely's SQLite driver sees it, with each statement prepared once. The driver
 * prepares every statement it runs again — SQLite parses and plans it each time — while the engine
 * runs the same few dozen statements for every change and job: measured, preparing was a sixth of
 * the engine's CPU. A prepared statement is re-planned by SQLite itself after a schema change.
 */
function reusingStatements(database: Database.Database) {
  const kept = new Map<string, Database.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = kept.get(text);
      if (statement) {
        kept.delete(text); // most recently used last
      } else {
        statement = database.prepare(text);
        if (kept.size >= STATEMENTS_KEPT) kept.delete(kept.keys().next().value!);
      }
      kept.set(text, statement);
      return statement;
    },
  };
}
