// What a database driver's error means, in words an operator can act on. The drivers speak in
// codes (SQLITE_FULL, SQLITE_BUSY, PostgreSQL's SQLSTATE); the engine, the log and the failure list need the reason.
import { DovetailError } from '../errors.js';

const SQLITE: Record<string, { kind: 'transient' | 'config'; says: string }> = {
  SQLITE_FULL: { kind: 'transient', says: 'the disk holding the Dovetail database is full: free space on it; nothing acknowledged was lost, and what was not written is read again' },
  SQLITE_BUSY: { kind: 'transient', says: 'the Dovetail database is locked by another process (a backup, a second dovetail, an open sqlite3 shell?); waiting for it' },
  SQLITE_LOCKED: { kind: 'transient', says: 'the Dovetail database is locked by another process; waiting for it' },
  SQLITE_IOERR: { kind: 'transient', says: 'the disk holding the Dovetail database could not be read or written (I/O error)' },
  SQLITE_READONLY: { kind: 'config', says: 'the Dovetail database file is read-only: Dovetail needs to write to it (check its permissions and its folder\'s)' },
  SQLITE_CANTOPEN: { kind: 'config', says: 'the Dovetail database file cannot be opened (a missing folder, or no permission)' },
  SQLITE_CORRUPT: { kind: 'config', says: 'the Dovetail database file is damaged: restore it from a backup' },
};

// PostgreSQL's SQLSTATE codes, and the socket's when the server cannot be reached at all
const POSTGRES: Record<string, { kind: 'transient' | 'config'; says: string }> = {
  ECONNREFUSED: { kind: 'transient', says: 'the Dovetail PostgreSQL server refuses connections (stopped, or another address in database.url?); waiting for it' },
  ECONNRESET: { kind: 'transient', says: 'the connection to the Dovetail PostgreSQL server broke; trying again' },
  '57P01': { kind: 'transient', says: 'the Dovetail PostgreSQL server is shutting down; waiting for it' },
  '57P03': { kind: 'transient', says: 'the Dovetail PostgreSQL server is starting up; waiting for it' },
  '53100': { kind: 'transient', says: 'the disk holding the Dovetail PostgreSQL database is full: free space on it; nothing acknowledged was lost' },
  '53300': { kind: 'transient', says: 'the Dovetail PostgreSQL server has no free connection (max_connections); waiting for one' },
  '28P01': { kind: 'config', says: 'the Dovetail PostgreSQL server refused the user or password in database.url' },
  '3D000': { kind: 'config', says: 'the database named in database.url does not exist on the PostgreSQL server: create it (Dovetail creates its tables itself)' },
};

/** A failure of Dovetail's own database, not of a system it joins. */
export class StorageError extends DovetailError {}

/** A StorageError that says what a database driver's failure means; other errors are returned as they are. */
export function storageFailure(err: unknown): unknown {
  if (err instanceof DovetailError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  // extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT) share their family's meaning
  const known = SQLITE[code] ?? SQLITE[code.split('_').slice(0, 2).join('_')] ?? POSTGRES[code];
  if (!known) return err;
  return new StorageError(known.kind, `${known.says} (${code}: ${err.message})`, { cause: err });
}
