// Dovetail's durable state behind one interface: changes received, jobs, mappings, snapshots,
// cursors, the audit trail and conflicts. Written once against Kysely, so the SQLite file of the
// default install and a PostgreSQL server run the same queries and the same migrations.
import { Kysely, Migrator, sql, type Selectable } from 'kysely';
import type { Tables, JobState, JobsTable } from './schema.js';
import { StorageError, storageFailure } from './failures.js';
import { migrations, type Dialect } from './migrations/index.js';
import type { MappingKind } from './mapping-kinds.js';
import { everyFeedOwned, type FeedLocks } from './feed-locks.js';
import { chunk, groupBy } from '../collections.js';

export interface Job {
  id: number; kind: string; key: string; state: JobState; attempts: number; runAfter: string;
  lastError: string | null; failureKind: string | null; reason: string; createdAt: string; updatedAt: string;
  /** when the current run of failed attempts began; null when the last attempt did not fail */
  failingSince: string | null;
}

export interface AuditEntry {
  recordKind: string; recordKey: string; action: string; fromSystem?: string | null; toSystem?: string | null;
  setting?: string | null; result: string; detail?: unknown;
}

export interface AuditRow extends Required<Omit<AuditEntry, 'detail'>> { id: number; at: string; detail: string | null }

export interface Conflict {
  id: number; recordKind: string; recordKey: string; fieldGroup: string; masterSystem: string;
  masterValue: string; otherValue: string; detectedAt: string; resolvedAt: string | null;
}

/** A running `dovetail run` process, as the workers registry shows it. */
export interface WorkerRow { id: string; host: string; pid: number; startedAt: string; heartbeatAt: string; feeds: string[]; jobsRunning: number }

export interface ReconcileRun {
  id: number; startedAt: string; finishedAt: string | null; kinds: string[]; repair: boolean;
  /** records compared per kind */
  compared: Record<string, number>; driftCount: number; error: string | null;
}

export interface Drift {
  id: number; runId: number; kind: string; recordKey: string; aspect: string; masterSystem: string;
  masterValue: string; otherValue: string; action: string; foundAt: string; repairedAt: string | null; resolvedAt: string | null;
}

export const nowIso = () => new Date().toISOString();
/** rows per multi-row insert, and values per `in (…)` list: well inside SQLite's 32,766 bound parameters and PostgreSQL's 65,535 */
const INSERT_ROWS = 200;
const IN_LIST = 500;

const later = (ms: number) => new Date(Date.now() + ms).toISOString();

export class Storage {
  constructor(readonly db: Kysely<Tables>, readonly dialect: Dialect, private readonly feedLocks: FeedLocks = everyFeedOwned()) {}

  async migrate(): Promise<void> {
    const all = migrations(this.dialect);
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => all } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      const failure = storageFailure(error);
      if (failure instanceof StorageError) throw failure;
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.feedLocks.close();
    await this.db.destroy();
  }

  /** Runs `fn` in one transaction: changes, jobs and the cursor that covers them commit together. */
  async transaction<T>(fn: (tx: Storage) => Promise<T>, opts: { durable?: boolean } = {}): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    if (opts.durable && this.dialect === 'sqlite') return this.syncedToDisk(() => this.begun(fn));
    return this.begun(fn);
  }

  private async begun<T>(fn: (tx: Storage) => Promise<T>): Promise<T> {
    // Begun and ended by hand, not with db.transaction(): when a COMMIT fails (a full disk) SQLite
    // may have ended the transaction already, and the ROLLBACK's own error ("no transaction is
    // active") would hide the reason. The first error is the one that says what happened.
    const trx = await this.db.startTransaction().execute().catch((err: unknown) => { throw storageFailure(err); });
    try {
      const result = await fn(new Storage(trx, this.dialect, this.feedLocks));
      await trx.commit().execute();
      return result;
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      throw storageFailure(err);
    }
  }

  private durableCalls = 0;

  /**
   * Runs `fn` with SQLite's commits synced to the disk before they return (synchronous = FULL).
   * The file is opened with NORMAL: in WAL mode a commit then survives a crash of the process but
   * not a power cut, which is right for what is read again anyway (a polled page whose cursor did
   * not move) and costs a third of FULL's time per commit (measured: 1.5 ms against 4.5 ms). A change
   * acknowledged to a webhook's sender is not sent again: its commit must reach the disk.
   */
  private async syncedToDisk<T>(fn: () => Promise<T>): Promise<T> {
    if (this.durableCalls++ === 0) await sql`PRAGMA synchronous = FULL`.execute(this.db);
    try {
      return await fn();
    } finally {
      if (--this.durableCalls === 0) await sql`PRAGMA synchronous = NORMAL`.execute(this.db).catch(() => undefined);
    }
  }

  // ---- changes -------------------------------------------------------------------------------

  /**
   * Records a change unless it is a duplicate, and says whether it was new. A pushed event
   * (`event:<id>`) is a duplicate for a record if ever seen for that record: one event may name
   * several records (five SKUs of one product), and each is a change of its own. Other versions are content hashes or timestamps
   * of the record: a duplicate only if equal to the latest one recorded for that record, so an
   * edit that returns a record to an earlier state (A -> B -> A) is still a change.
   */
  async recordChange(c: { system: string; kind: string; key: string; sourceVersion: string }): Promise<boolean> {
    const [fresh] = await this.recordChanges(c.system, [c]);
    return fresh;
  }

  /**
   * recordChange for a page of changes of one system, in a few statements instead of two per
   * change: which are new, by the same rules, in order (a record changed twice on one page is two
   * changes; the same version twice is one). Returns, per change, whether it was new.
   */
  async recordChanges(system: string, changes: { kind: string; key: string; sourceVersion: string }[]): Promise<boolean[]> {
    if (!changes.length) return [];
    return this.transaction(async (tx) => {
      const id = (kind: string, key: string) => `${kind}\u0000${key}`;
      const eventsSeen = new Set<string>(), latest = new Map<string, string>();
      for (const [kind, group] of groupBy(changes, (c) => c.kind)) {
        const eventIds = [...new Set(group.filter((c) => c.sourceVersion.startsWith('event:')).map((c) => c.sourceVersion))];
        for (const keys of chunk([...new Set(group.map((c) => c.key))], IN_LIST)) {
          if (eventIds.length) {
            const seen = await tx.db.selectFrom('changes').select(['key', 'source_version']).where('system', '=', system).where('kind', '=', kind)
              .where('key', 'in', keys).where('source_version', 'in', eventIds).execute();
            for (const r of seen) eventsSeen.add(`${id(kind, r.key)}\u0000${r.source_version}`);
          }
          // each record's latest polled version: the row with the highest id among its non-event rows
          const rows = await tx.db.selectFrom('changes').select(['key', 'source_version'])
            .where('id', 'in', (eb) => eb.selectFrom('changes as l').select((e) => e.fn.max('l.id').as('m'))
              .where('l.system', '=', system).where('l.kind', '=', kind).where('l.key', 'in', keys).where('l.source_version', 'not like', 'event:%').groupBy('l.key'))
            .execute();
          for (const r of rows) latest.set(id(kind, r.key), r.source_version);
        }
      }
      const fresh = changes.map((c) => {
        const record = id(c.kind, c.key);
        if (c.sourceVersion.startsWith('event:')) {
          const seen = `${record}\u0000${c.sourceVersion}`;
          if (eventsSeen.has(seen)) return false;
          eventsSeen.add(seen);
          return true;
        }
        if (latest.get(record) === c.sourceVersion) return false;
        latest.set(record, c.sourceVersion);
        return true;
      });
      const at = nowIso();
      const rows = changes.filter((_, i) => fresh[i]).map((c) => ({ system, kind: c.kind, key: c.key, source_version: c.sourceVersion, received_at: at }));
      for (const part of chunk(rows, INSERT_ROWS)) await tx.db.insertInto('changes').values(part).execute();
      return fresh;
    });
  }

  async countChanges(): Promise<number> {
    const r = await this.db.selectFrom('changes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /**
   * Adds a job for one record unless one is already waiting for it (the waiting one will reload
   * the record, so it covers this change too). `delayMs` debounces bursts.
   */
  async enqueue(j: { kind: string; key: string; reason: string; delayMs?: number }): Promise<'added' | 'coalesced'> {
    return this.transaction(async (tx) => {
      const now = nowIso();
      const runAfter = j.delayMs ? later(j.delayMs) : now;
      const r = await tx.db.insertInto('jobs')
        .values({ kind: j.kind, key: j.key, state: 'pending', attempts: 0, run_after: runAfter, locked_by: null, locked_until: null,
          last_error: null, failure_kind: null, failing_since: null, reason: j.reason, created_at: now, updated_at: now })
        // the index predicate must be a literal for SQLite to match it to the partial unique index
        .onConflict((oc) => oc.columns(['kind', 'key']).where(sql<boolean>`state = 'pending'`).doNothing())
        .executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) return 'coalesced';
      // A record keeps one entry on the failure list: a new change to it is a fresh reason to try,
      // so the new job takes the failed one's place instead of failing beside it.
      await tx.db.deleteFrom('jobs').where('kind', '=', j.kind).where('key', '=', j.key).where('state', '=', 'failed').execute();
      return 'added';
    });
  }

  /**
   * enqueue for many records in a few statements (one page of changes): each job is added unless
   * one already waits for its record, and takes the place of its record's entry on the failure list.
   */
  async enqueueAll(jobs: { kind: string; key: string; reason: string; delayMs?: number }[]): Promise<void> {
    if (!jobs.length) return;
    await this.transaction(async (tx) => {
      const now = nowIso();
      const rows = jobs.map((j) => ({ kind: j.kind, key: j.key, state: 'pending' as const, attempts: 0, run_after: j.delayMs ? later(j.delayMs) : now, locked_by: null,
        locked_until: null, last_error: null, failure_kind: null, failing_since: null, reason: j.reason, created_at: now, updated_at: now }));
      for (const part of chunk(rows, INSERT_ROWS)) {
        await tx.db.insertInto('jobs').values(part)
          .onConflict((oc) => oc.columns(['kind', 'key']).where(sql<boolean>`state = 'pending'`).doNothing()).execute();
      }
      // a record never has a waiting job and a failed one at once, so every record here now has a
      // waiting job, and its failed one (if any) is replaced by it
      for (const [kind, group] of groupBy(jobs, (j) => j.kind)) {
        for (const keys of chunk([...new Set(group.map((j) => j.key))], IN_LIST)) {
          await tx.db.deleteFrom('jobs').where('kind', '=', kind).where('key', 'in', keys).where('state', '=', 'failed').execute();
        }
      }
    });
  }

  /**
   * Which of `kinds` have a job due now: one probe of the waiting jobs' index per kind, so the
   * runner opens a claim only where there is work, whatever the backlog.
   */
  async readyKinds(kinds: string[]): Promise<Set<string>> {
    if (!kinds.length) return new Set();
    const now = nowIso();
    // the literal state matches the partial index jobs_waiting (a bound value would not, on SQLite)
    const probes = kinds.map((k) => sql`SELECT CAST(${k} AS text) AS kind WHERE EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND kind = ${k} AND run_after <= ${now})`);
    const rows = await sql<{ kind: string }>`${sql.join(probes, sql` UNION ALL `)}`.execute(this.db);
    return new Set(rows.rows.map((r) => r.kind));
  }

  /** When the next waiting job of `kinds` is due (null: none waits): the engine sleeps until then at most. One index seek per kind. */
  async nextDue(kinds: string[]): Promise<string | null> {
    if (!kinds.length) return null;
    const probes = kinds.map((k) => sql`SELECT (SELECT MIN(run_after) FROM jobs WHERE state = 'pending' AND kind = ${k}) AS due`);
    const rows = await sql<{ due: string | null }>`${sql.join(probes, sql` UNION ALL `)}`.execute(this.db);
    return rows.rows.map((r) => r.due).filter((d): d is string => !!d).sort()[0] ?? null;
  }

  /**
   * Claims up to `limit` ready jobs of the given kinds for `worker`, oldest first, skipping any
   * record that already has a job running: changes to one record apply in order.
   */
  async claim(kinds: string[], limit: number, worker: string, leaseMs: number): Promise<Job[]> {
    if (this.dialect === 'postgres') return this.claimShared(kinds, limit, worker, leaseMs);
    // One UPDATE … RETURNING: SQLite runs a statement under its write lock, so it needs no
    // transaction of its own (a select then an update took four statements per claim).
    const now = nowIso();
    const rows = await this.db.updateTable('jobs')
      .set({ state: 'running', locked_by: worker, locked_until: later(leaseMs), updated_at: now, attempts: sql`attempts + 1` })
      .where('id', 'in', ({ selectFrom }) => selectFrom('jobs as c').select('c.id')
        .where(sql<boolean>`c.state = 'pending'`).where('c.run_after', '<=', now).where('c.kind', 'in', kinds)
        .where(({ not, exists, selectFrom: inner }) => not(exists(
          inner('jobs as r').select('r.id').whereRef('r.key', '=', 'c.key').whereRef('r.kind', '=', 'c.kind').where('r.state', '=', 'running'))))
        .orderBy('c.run_after').orderBy('c.id').limit(limit))
      .returningAll().execute();
    return rows.sort((a, b) => a.run_after.localeCompare(b.run_after) || a.id - b.id).map(toJob);
  }

  /**
   * The claim of several workers on one PostgreSQL: rows another worker is claiming are skipped,
   * not waited for (FOR UPDATE SKIP LOCKED). Two claims may still both see no job running for a
   * record (each before the other commits); the unique index jobs_one_running lets only one of
   * them commit, and the other claims again, when the first one's job shows as running.
   */
  private async claimShared(kinds: string[], limit: number, worker: string, leaseMs: number): Promise<Job[]> {
    for (let attempt = 1; ; attempt++) {
      const now = nowIso();
      try {
        const rows = await sql<Selectable<JobsTable>>`
          WITH ready AS (
            SELECT id FROM jobs
            WHERE state = 'pending' AND run_after <= ${now} AND kind IN (${sql.join(kinds)})
              AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.kind = jobs.kind AND r.key = jobs.key AND r.state = 'running')
            ORDER BY run_after, id LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
          UPDATE jobs SET state = 'running', locked_by = ${worker}, locked_until = ${later(leaseMs)}, updated_at = ${now}, attempts = attempts + 1
          FROM ready WHERE jobs.id = ready.id
          RETURNING jobs.*`.execute(this.db);
        return rows.rows.sort((a, b) => a.run_after.localeCompare(b.run_after) || a.id - b.id).map(toJob);
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 5) throw err;
      }
    }
  }

  async complete(id: number): Promise<void> { await this.completeAll([id]); }

  /** Marks jobs done in one statement (a batch's successes: one commit, not one per job). */
  async completeAll(ids: number[]): Promise<void> {
    if (!ids.length) return;
    await this.db.updateTable('jobs').set({ state: 'done', locked_by: null, locked_until: null, last_error: null, failure_kind: null, failing_since: null, updated_at: nowIso() })
      .where('id', 'in', ids).execute();
  }

  /**
   * Records a failed attempt: back to pending after `retryInMs`, or onto the failure list when
   * the failure is permanent or attempts are used up. A job waiting behind it for the same record
   * is merged into the retry, so the record keeps one job.
   */
  async fail(id: number, error: string, kind: string, retryInMs: number | null): Promise<'retrying' | 'failed'> {
    return this.transaction(async (tx) => {
      const job = await tx.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const failing_since = job.failing_since ?? nowIso();
      if (retryInMs === null) {
        await tx.db.updateTable('jobs').set({ state: 'failed', locked_by: null, locked_until: null, last_error: error, failure_kind: kind, failing_since, updated_at: nowIso() })
          .where('id', '=', id).execute();
        return 'failed';
      }
      await tx.db.deleteFrom('jobs').where('kind', '=', job.kind).where('key', '=', job.key).where('state', '=', 'pending').execute();
      await tx.db.updateTable('jobs').set({ state: 'pending', locked_by: null, locked_until: null, last_error: error, failure_kind: kind, failing_since, run_after: later(retryInMs), updated_at: nowIso() })
        .where('id', '=', id).execute();
      return 'retrying';
    });
  }

  /** Puts jobs whose worker died (lease run out, or a process known dead) back in the queue. */
  async releaseStale(deadWorkers: string[] = []): Promise<number> {
    const now = nowIso();
    let q = this.db.selectFrom('jobs').select(['id', 'kind', 'key']).where('state', '=', 'running');
    q = q.where((eb) => deadWorkers.length
      ? eb.or([eb('locked_until', '<', now), eb('locked_by', 'in', deadWorkers)])
      : eb('locked_until', '<', now));
    const stale = await q.execute();
    for (const s of stale) {
      await this.transaction(async (tx) => {
        await tx.db.deleteFrom('jobs').where('kind', '=', s.kind).where('key', '=', s.key).where('state', '=', 'pending').execute();
        await tx.db.updateTable('jobs').set({ state: 'pending', locked_by: null, locked_until: null, run_after: now, updated_at: now, last_error: 'worker stopped while running this job; resumed' })
          .where('id', '=', s.id).execute();
      });
    }
    return stale.length;
  }

  async runningWorkers(): Promise<string[]> {
    const rows = await this.db.selectFrom('jobs').select('locked_by').distinct().where('state', '=', 'running').execute();
    return rows.map((r) => r.locked_by).filter((w): w is string => !!w);
  }

  /** Renews the lease of jobs a worker still holds. */
  async heartbeat(worker: string, leaseMs: number): Promise<void> {
    await this.db.updateTable('jobs').set({ locked_until: later(leaseMs) }).where('state', '=', 'running').where('locked_by', '=', worker).execute();
  }

  // ---- workers and feeds ---------------------------------------------------------------------

  /** Whether this worker may poll the feed now (on PostgreSQL, one worker at a time holds each feed). */
  tryOwnFeed(system: string, feed: string): Promise<boolean> { return this.feedLocks.tryOwn(system, feed); }

  /** Lets go of the feeds this worker holds, so another may take them at once (its next poll asks again). */
  releaseFeeds(): Promise<void> { return this.feedLocks.release(); }

  /** Says in the workers registry that `worker` is alive, and which feeds it polls. */
  async workerAlive(w: { id: string; host: string; pid: number; startedAt: string }): Promise<void> {
    const beat = { heartbeat_at: nowIso(), feeds_json: JSON.stringify(this.feedLocks.owned().sort()) };
    await this.db.insertInto('workers').values({ id: w.id, host: w.host, pid: w.pid, started_at: w.startedAt, ...beat })
      .onConflict((oc) => oc.column('id').doUpdateSet(beat)).execute();
  }

  async workerStopped(id: string): Promise<void> {
    await this.db.deleteFrom('workers').where('id', '=', id).execute();
  }

  /** Removes the rows of workers silent for longer than `silentMs` (killed, or their machine gone). */
  async forgetSilentWorkers(silentMs: number): Promise<number> {
    const r = await this.db.deleteFrom('workers').where('heartbeat_at', '<', new Date(Date.now() - silentMs).toISOString()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Every worker in the registry, with the number of jobs each is running now. */
  async workers(): Promise<WorkerRow[]> {
    const rows = await this.db.selectFrom('workers').selectAll()
      .select((eb) => eb.selectFrom('jobs').select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('jobs.locked_by', '=', 'workers.id').where('jobs.state', '=', 'running').as('jobs_running'))
      .orderBy('started_at').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, host: r.host, pid: r.pid, startedAt: r.started_at, heartbeatAt: r.heartbeat_at,
      feeds: JSON.parse(r.feeds_json) as string[], jobsRunning: Number(r.jobs_running ?? 0) }));
  }

  async failures(): Promise<Job[]> {
    const rows = await this.db.selectFrom('jobs').selectAll().where('state', '=', 'failed').orderBy('updated_at', 'desc').execute();
    return rows.map(toJob);
  }

  async jobs(filter: { state?: JobState; kind?: string; key?: string } = {}): Promise<Job[]> {
    let q = this.db.selectFrom('jobs').selectAll();
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.key) q = q.where('key', '=', filter.key);
    return (await q.orderBy('id').execute()).map(toJob);
  }

  /** Sends a failed job back to the queue with fresh attempts (the dashboard's retry button). */
  async retry(id: number): Promise<boolean> {
    return this.transaction(async (tx) => {
      const job = await tx.db.selectFrom('jobs').selectAll().where('id', '=', id).where('state', '=', 'failed').executeTakeFirst();
      if (!job) return false;
      await tx.db.deleteFrom('jobs').where('kind', '=', job.kind).where('key', '=', job.key).where('state', '=', 'pending').execute();
      await tx.db.updateTable('jobs').set({ state: 'pending', attempts: 0, failing_since: null, run_after: nowIso(), updated_at: nowIso() }).where('id', '=', id).execute();
      return true;
    });
  }

  async queueDepth(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  // ---- mappings ------------------------------------------------------------------------------

  async mapping(system: string, kind: MappingKind, key: string): Promise<string | null> {
    const r = await this.db.selectFrom('mappings').select('external_id')
      .where('system', '=', system).where('kind', '=', kind).where('key', '=', key).executeTakeFirst();
    return r?.external_id ?? null;
  }

  /** The mappings of many keys at once, by key; a key without one is absent. */
  async mappings(system: string, kind: MappingKind, keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunk([...new Set(keys)], IN_LIST)) {
      const rows = await this.db.selectFrom('mappings').select(['key', 'external_id'])
        .where('system', '=', system).where('kind', '=', kind).where('key', 'in', part).execute();
      for (const r of rows) out.set(r.key, r.external_id);
    }
    return out;
  }

  async keysForExternalIds(system: string, kind: MappingKind, externalIds: string[]): Promise<Map<string, string>> {
    if (!externalIds.length) return new Map();
    const rows = await this.db.selectFrom('mappings').select(['key', 'external_id'])
      .where('system', '=', system).where('kind', '=', kind).where('external_id', 'in', externalIds).execute();
    return new Map(rows.map((r) => [r.external_id, r.key]));
  }

  async putMapping(system: string, kind: MappingKind, key: string, externalId: string): Promise<void> {
    await this.db.insertInto('mappings').values({ system, kind, key, external_id: externalId, created_at: nowIso() })
      .onConflict((oc) => oc.columns(['system', 'kind', 'key']).doUpdateSet({ external_id: externalId }))
      .execute();
  }

  async countMappings(system: string, kind: MappingKind): Promise<number> {
    const r = await this.db.selectFrom('mappings').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('system', '=', system).where('kind', '=', kind).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // ---- snapshots -----------------------------------------------------------------------------

  async snapshots(kind: string, key: string): Promise<Map<string, unknown>> {
    const rows = await this.db.selectFrom('snapshots').select(['field_group', 'value_json'])
      .where('kind', '=', kind).where('key', '=', key).execute();
    return new Map(rows.map((r) => [r.field_group, JSON.parse(r.value_json) as unknown]));
  }

  async putSnapshot(kind: string, key: string, group: string, value: unknown): Promise<void> {
    await this.putSnapshots(kind, key, { [group]: value });
  }

  /** Several field groups of one record's snapshot in one statement: written together or not at all. */
  async putSnapshots(kind: string, key: string, byGroup: Record<string, unknown>): Promise<void> {
    const updated_at = nowIso();
    const rows = Object.entries(byGroup).map(([field_group, value]) => ({ kind, key, field_group, value_json: JSON.stringify(value), updated_at }));
    if (!rows.length) return;
    await this.db.insertInto('snapshots').values(rows)
      .onConflict((oc) => oc.columns(['kind', 'key', 'field_group']).doUpdateSet((eb) => ({ value_json: eb.ref('excluded.value_json'), updated_at: eb.ref('excluded.updated_at') })))
      .execute();
  }

  // ---- cursors -------------------------------------------------------------------------------

  async cursor(system: string, feed: string): Promise<string | null> {
    const r = await this.db.selectFrom('cursors').select('value').where('system', '=', system).where('feed', '=', feed).executeTakeFirst();
    return r?.value ?? null;
  }

  async setCursor(system: string, feed: string, value: string): Promise<void> {
    await this.db.insertInto('cursors').values({ system, feed, value, updated_at: nowIso() })
      .onConflict((oc) => oc.columns(['system', 'feed']).doUpdateSet({ value, updated_at: nowIso() }))
      .execute();
  }

  async cursors(): Promise<{ system: string; feed: string; value: string; updatedAt: string }[]> {
    const rows = await this.db.selectFrom('cursors').selectAll().orderBy('system').orderBy('feed').execute();
    return rows.map((r) => ({ system: r.system, feed: r.feed, value: r.value, updatedAt: r.updated_at }));
  }

  // ---- audit and conflicts -------------------------------------------------------------------

  async audit(e: AuditEntry): Promise<void> { await this.auditAll([e]); }

  /** Audit entries of one batch, written in one statement per few hundred. */
  async auditAll(entries: AuditEntry[]): Promise<void> {
    const at = nowIso();
    const rows = entries.map((e) => ({
      at, record_kind: e.recordKind, record_key: e.recordKey, action: e.action,
      from_system: e.fromSystem ?? null, to_system: e.toSystem ?? null, setting: e.setting ?? null, result: e.result,
      detail: e.detail === undefined ? null : typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail),
    }));
    for (const part of chunk(rows, INSERT_ROWS)) await this.db.insertInto('audit').values(part).execute();
  }

  async auditTrail(recordKey?: string, limit = 200): Promise<AuditRow[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (recordKey) q = q.where('record_key', '=', recordKey);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, at: r.at, recordKind: r.record_kind, recordKey: r.record_key, action: r.action,
      fromSystem: r.from_system, toSystem: r.to_system, setting: r.setting, result: r.result, detail: r.detail }));
  }

  /** Records a conflict once per distinct value the other system holds. */
  async flagConflict(c: Omit<Conflict, 'id' | 'detectedAt' | 'resolvedAt'>): Promise<boolean> {
    const open = await this.db.selectFrom('conflicts').select('id')
      .where('record_kind', '=', c.recordKind).where('record_key', '=', c.recordKey).where('field_group', '=', c.fieldGroup)
      .where('other_value', '=', c.otherValue).where('resolved_at', 'is', null).executeTakeFirst();
    if (open) return false;
    await this.db.insertInto('conflicts').values({ record_kind: c.recordKind, record_key: c.recordKey, field_group: c.fieldGroup,
      master_system: c.masterSystem, master_value: c.masterValue, other_value: c.otherValue, detected_at: nowIso(), resolved_at: null }).execute();
    return true;
  }

  async resolveConflicts(recordKind: string, recordKey: string, fieldGroup: string): Promise<void> {
    await this.db.updateTable('conflicts').set({ resolved_at: nowIso() })
      .where('record_kind', '=', recordKind).where('record_key', '=', recordKey).where('field_group', '=', fieldGroup)
      .where('resolved_at', 'is', null).execute();
  }

  async conflicts(openOnly = true): Promise<Conflict[]> {
    let q = this.db.selectFrom('conflicts').selectAll();
    if (openOnly) q = q.where('resolved_at', 'is', null);
    const rows = await q.orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, recordKind: r.record_kind, recordKey: r.record_key, fieldGroup: r.field_group,
      masterSystem: r.master_system, masterValue: r.master_value, otherValue: r.other_value, detectedAt: r.detected_at, resolvedAt: r.resolved_at }));
  }
  // ---- drift ----

  /** Starts a reconcile run's row; its id ties the drift it finds together. */
  async startReconcileRun(kinds: string[], repair: boolean): Promise<number> {
    const r = await this.db.insertInto('reconcile_runs').values({ started_at: nowIso(), finished_at: null, kinds: kinds.join(','), repair: repair ? 1 : 0,
      compared_json: '{}', drift_count: 0, error: null }).returning('id').executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async finishReconcileRun(id: number, r: { compared: Record<string, number>; driftCount: number; error?: string | null }): Promise<void> {
    await this.db.updateTable('reconcile_runs').set({ finished_at: nowIso(), compared_json: JSON.stringify(r.compared), drift_count: r.driftCount, error: r.error ?? null })
      .where('id', '=', id).execute();
  }

  /** The latest run (finished or not); null: never run. */
  async lastReconcileRun(): Promise<ReconcileRun | null> {
    const r = await this.db.selectFrom('reconcile_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? { id: r.id, startedAt: r.started_at, finishedAt: r.finished_at, kinds: r.kinds ? r.kinds.split(',') : [], repair: r.repair === 1,
      compared: JSON.parse(r.compared_json) as Record<string, number>, driftCount: r.drift_count, error: r.error } : null;
  }

  /**
   * Records what a run found. Open drift of the kinds compared from earlier runs is resolved: what
   * this run finds again is recorded anew (the newest finding counts), the rest agrees now, and
   * what had a repair queued counts as repaired.
   */
  async recordDrift(runId: number, kinds: string[], found: Omit<Drift, 'id' | 'runId' | 'foundAt' | 'repairedAt' | 'resolvedAt'>[]): Promise<void> {
    await this.transaction(async (tx) => {
      const now = nowIso();
      const again = new Set(found.map((d) => `${d.kind}\n${d.recordKey}\n${d.aspect}`));
      const open = kinds.length ? await tx.db.selectFrom('drift').select(['id', 'kind', 'record_key', 'aspect', 'action'])
        .where('kind', 'in', kinds).where('resolved_at', 'is', null).execute() : [];
      for (const o of open) {
        // drift whose repair was queued and that agrees now was mended by that repair
        const mended = o.action === 'queued' && !again.has(`${o.kind}\n${o.record_key}\n${o.aspect}`);
        await tx.db.updateTable('drift').set({ resolved_at: now, ...(mended ? { repaired_at: now } : {}) }).where('id', '=', o.id).execute();
      }
      for (const d of found) {
        await tx.db.insertInto('drift').values({ run_id: runId, kind: d.kind, record_key: d.recordKey, aspect: d.aspect, master_system: d.masterSystem,
          master_value: d.masterValue, other_value: d.otherValue, action: d.action, found_at: now, repaired_at: null, resolved_at: null }).execute();
      }
    });
  }

  /** Drift still open (the latest run found it), or every row of one run. */
  async drift(filter: { runId?: number } = {}): Promise<Drift[]> {
    let q = this.db.selectFrom('drift').selectAll();
    q = filter.runId === undefined ? q.where('resolved_at', 'is', null) : q.where('run_id', '=', filter.runId);
    const rows = await q.orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, runId: r.run_id, kind: r.kind, recordKey: r.record_key, aspect: r.aspect, masterSystem: r.master_system,
      masterValue: r.master_value, otherValue: r.other_value, action: r.action, foundAt: r.found_at, repairedAt: r.repaired_at, resolvedAt: r.resolved_at }));
  }

  /** Open drift per kind, for /metrics. */
  async openDriftByKind(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('drift').select(['kind', (eb) => eb.fn.countAll<number>().as('n')]).where('resolved_at', 'is', null).groupBy('kind').execute();
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }

  /** Forgets the last synced value of a product group, so the next job compares with the systems as they are (a repair of drift the snapshot hides). */
  async forgetSnapshot(kind: string, key: string, group: string): Promise<void> {
    await this.db.deleteFrom('snapshots').where('kind', '=', kind).where('key', '=', key).where('field_group', '=', group).execute();
  }

  /** When Dovetail first linked a record of the two systems; null: it has carried nothing yet. */
  async firstMappingAt(): Promise<string | null> {
    const r = await this.db.selectFrom('mappings').select((eb) => eb.fn.min('created_at').as('first')).executeTakeFirst();
    return r?.first ? String(r.first) : null;
  }

  /** Mappings of one kind made since `sinceIso`, by key after `afterKey`, a page at a time (what reconcile compares of recent records). */
  async mappingsSince(system: string, kind: MappingKind, sinceIso: string, afterKey: string, limit: number): Promise<{ key: string; externalId: string }[]> {
    const rows = await this.db.selectFrom('mappings').select(['key', 'external_id']).where('system', '=', system).where('kind', '=', kind)
      .where('created_at', '>=', sinceIso).where('key', '>', afterKey).orderBy('key').limit(limit).execute();
    return rows.map((r) => ({ key: r.key, externalId: r.external_id }));
  }

  /** Forgets an order's sale, so that its import job makes the sale again (one lost from the inventory system). */
  async forgetMapping(system: string, kind: MappingKind, key: string): Promise<void> {
    await this.db.deleteFrom('mappings').where('system', '=', system).where('kind', '=', kind).where('key', '=', key).execute();
  }
}

/** PostgreSQL's unique_violation; SQLite serialises its writers and never meets it in a claim. */
function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

// ---- housekeeping ----------------------------------------------------------------------------

/** Rows deleted in one transaction: short enough that the engine and a second process never wait long for the file. */
export const PRUNE_BATCH = 1_000;
/** SQLite pages handed back to the file system per step after a prune (8 MB of 4 KB pages). */
const RECLAIM_PAGES_PER_STEP = 2_000;

/** ISO times: rows older than these may go; null keeps that table whole. */
export interface PruneBefore { changes: string | null; doneJobs: string | null; audit: string | null }
export interface Pruned { changes: number; doneJobs: number; audit: number }

/** Where a pruning pass has reached in a table's age index (its time column, then id). */
interface AgePosition { at: string; id: number }

/** Lets timers, webhooks and other queries run between two batches. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Rows after `pos` in an age index on (timeColumn, idColumn): the next batch starts where the last
 * one ended. A row value, not `a > x or (a = x and id > y)`: SQLite and PostgreSQL both read that
 * as one range of the index, in its order, and stop at the batch's end (the OR form made SQLite
 * read and sort every older row for each batch: 21 s a batch at 1M rows, against 40 ms).
 */
function after(pos: AgePosition | null, timeColumn: string, idColumn: string) {
  if (!pos) return sql<boolean>`1 = 1`;
  return sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) > (${pos.at}, ${pos.id})`;
}

/**
 * Pruning and giving space back. Kept apart from Storage's record-keeping methods: it deletes
 * only what no decision reads again, a batch per transaction, so it can run beside the engine.
 */
export class Housekeeping {
  constructor(private readonly storage: Storage, private readonly batchSize = PRUNE_BATCH) {}

  /** Deletes what is older than `before`, a batch at a time; stops after the batch in hand when `signal` aborts. */
  async prune(before: PruneBefore, signal?: AbortSignal): Promise<Pruned> {
    return {
      changes: before.changes === null ? 0 : await this.inBatches('changes', signal, (db, pos) => this.oldChanges(db, before.changes as string, pos)),
      doneJobs: before.doneJobs === null ? 0 : await this.inBatches('jobs', signal, (db, pos) => db.selectFrom('jobs').select(['id', 'updated_at as at'])
        .where('state', '=', 'done').where('updated_at', '<', before.doneJobs as string).where(after(pos, 'updated_at', 'id'))
        .orderBy('updated_at').orderBy('id').limit(this.batchSize).execute()),
      audit: before.audit === null ? 0 : await this.inBatches('audit', signal, (db, pos) => db.selectFrom('audit').select(['id', 'at'])
        .where('at', '<', before.audit as string).where(after(pos, 'at', 'id'))
        // what an open conflict points to stays: the drift page explains the conflict with it
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('conflicts').select('conflicts.id')
          .whereRef('conflicts.record_key', '=', 'audit.record_key').where('conflicts.resolved_at', 'is', null))))
        .orderBy('at').orderBy('id').limit(this.batchSize).execute()),
    };
  }

  /**
   * Changes received before `cutoff`, except the latest content version of each record: the next
   * poll's duplicate check compares against it (Storage.recordChange), so without it an unchanged
   * record would be taken for a change. Pushed events (`event:<id>`) all may go: one delivered
   * again after its retention is accepted again, and its job only reloads the record and finds
   * nothing to do — the same as any other change that repeats what the systems already agree on.
   */
  private oldChanges(db: Kysely<Tables>, cutoff: string, pos: AgePosition | null) {
    return db.selectFrom('changes as c').select(['c.id', 'c.received_at as at'])
      .where('c.received_at', '<', cutoff).where(after(pos, 'c.received_at', 'c.id'))
      .where((eb) => eb.or([
        eb('c.source_version', 'like', 'event:%'),
        eb.exists(eb.selectFrom('changes as l').select('l.id')
          .whereRef('l.system', '=', 'c.system').whereRef('l.kind', '=', 'c.kind').whereRef('l.key', '=', 'c.key')
          .whereRef('l.id', '>', 'c.id').where('l.source_version', 'not like', 'event:%')),
      ]))
      .orderBy('c.received_at').orderBy('c.id').limit(this.batchSize).execute();
  }

  /** Finds and deletes one batch per transaction, resuming after the last row found, until none is left. */
  private async inBatches(table: 'changes' | 'jobs' | 'audit', signal: AbortSignal | undefined,
    find: (db: Kysely<Tables>, pos: AgePosition | null) => Promise<{ id: number; at: string }[]>): Promise<number> {
    let pos: AgePosition | null = null;
    let deleted = 0;
    while (!signal?.aborted) {
      const found = await this.storage.transaction(async (tx) => {
        const rows = await find(tx.db, pos);
        if (rows.length) await tx.db.deleteFrom(table).where('id', 'in', rows.map((r) => r.id)).execute();
        return rows;
      });
      deleted += found.length;
      if (found.length < this.batchSize) return deleted;
      const last = found[found.length - 1];
      pos = { at: last.at, id: last.id };
      await yieldToOthers();
    }
    return deleted;
  }

  /**
   * Gives the space of deleted rows back. SQLite: files made by this version free their empty
   * pages a step at a time (auto_vacuum = INCREMENTAL, set when the file is made); `full` rewrites
   * the whole file once (VACUUM), which also turns that on for a file made before, but holds
   * the file for as long as it takes: the command line's choice, never the engine's. The WAL is
   * folded back and cut short either way. PostgreSQL's autovacuum reuses the space by itself.
   */
  async reclaimSpace(opts: { full?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    if (this.storage.dialect !== 'sqlite') return;
    const db = this.storage.db;
    if (opts.full) {
      await sql`PRAGMA auto_vacuum = INCREMENTAL`.execute(db);
      await sql`VACUUM`.execute(db);
    } else if (await this.pragmaNumber('auto_vacuum') === SQLITE_AUTO_VACUUM_INCREMENTAL) {
      while (!opts.signal?.aborted && await this.pragmaNumber('freelist_count') > 0) {
        await sql`PRAGMA incremental_vacuum(${sql.raw(String(RECLAIM_PAGES_PER_STEP))})`.execute(db);
        await yieldToOthers();
      }
    }
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  }

  private async pragmaNumber(name: 'auto_vacuum' | 'freelist_count'): Promise<number> {
    const { rows } = await sql<Record<string, number>>`PRAGMA ${sql.raw(name)}`.execute(this.storage.db);
    return Number(rows[0]?.[name] ?? 0);
  }
}

/** `PRAGMA auto_vacuum` answers 2 for INCREMENTAL. */
const SQLITE_AUTO_VACUUM_INCREMENTAL = 2;

function toJob(r: Selectable<JobsTable>): Job {
  return { id: r.id, kind: r.kind, key: r.key, state: r.state, attempts: r.attempts, runAfter: r.run_after,
    lastError: r.last_error, failureKind: r.failure_kind, reason: r.reason, createdAt: r.created_at, updatedAt: r.updated_at, failingSince: r.failing_since };
}

