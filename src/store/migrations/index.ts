// Migrations shared by SQLite and PostgreSQL. Only the auto-increment id differs between the
// two, so each migration receives the dialect and asks `idColumn` for it.
import { sql, type Kysely, type Migration, type CreateTableBuilder } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function withId<T extends string>(table: CreateTableBuilder<T, never>, dialect: Dialect) {
  return dialect === 'sqlite'
    ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'bigserial', (c) => c.primaryKey());
}

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await withId(db.schema.createTable('changes'), dialect)
          .addColumn('system', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('source_version', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('changes_by_record').on('changes').columns(['system', 'kind', 'key', 'id']).execute();
        await db.schema.createIndex('changes_by_version').on('changes').columns(['system', 'source_version']).execute();

        await withId(db.schema.createTable('jobs'), dialect)
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('run_after', 'text', (c) => c.notNull())
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('failure_kind', 'text')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        // At most one waiting job per record: a burst of changes to one SKU coalesces into it.
        await sql`CREATE UNIQUE INDEX jobs_one_pending ON jobs (kind, key) WHERE state = 'pending'`.execute(db);
        await db.schema.createIndex('jobs_ready').on('jobs').columns(['state', 'run_after']).execute();
        await db.schema.createIndex('jobs_by_key').on('jobs').columns(['key', 'kind']).execute();

        await db.schema.createTable('mappings')
          .addColumn('system', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('external_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('mappings_pk', ['system', 'kind', 'key'])
          .execute();
        await db.schema.createIndex('mappings_by_external').on('mappings').columns(['system', 'kind', 'external_id']).execute();

        await db.schema.createTable('snapshots')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('field_group', 'text', (c) => c.notNull())
          .addColumn('value_json', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('snapshots_pk', ['kind', 'key', 'field_group'])
          .execute();

        await db.schema.createTable('cursors')
          .addColumn('system', 'text', (c) => c.notNull())
          .addColumn('feed', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('cursors_pk', ['system', 'feed'])
          .execute();

        await withId(db.schema.createTable('audit'), dialect)
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('record_kind', 'text', (c) => c.notNull())
          .addColumn('record_key', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('from_system', 'text')
          .addColumn('to_system', 'text')
          .addColumn('setting', 'text')
          .addColumn('result', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('audit_by_record').on('audit').columns(['record_key', 'at']).execute();

        await withId(db.schema.createTable('conflicts'), dialect)
          .addColumn('record_kind', 'text', (c) => c.notNull())
          .addColumn('record_key', 'text', (c) => c.notNull())
          .addColumn('field_group', 'text', (c) => c.notNull())
          .addColumn('master_system', 'text', (c) => c.notNull())
          .addColumn('master_value', 'text', (c) => c.notNull())
          .addColumn('other_value', 'text', (c) => c.notNull())
          .addColumn('detected_at', 'text', (c) => c.notNull())
          .addColumn('resolved_at', 'text')
          .execute();
      },
    },
    '0002_jobs_failing_since': {
      // When a record's job first failed in a row of failures: transient failures keep retrying
      // until they have failed for longer than the settings allow, however many attempts that is.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('jobs').addColumn('failing_since', 'text').execute();
      },
    },
    '0003_workers': {
      // Several `dovetail run` processes share one PostgreSQL: the database itself refuses a second
      // running job for a record (two claims that both saw none running cannot both commit), and
      // each worker says it is alive, and which feeds it polls, in a row of its own.
      async up(db: Kysely<unknown>) {
        await sql`CREATE UNIQUE INDEX jobs_one_running ON jobs (kind, key) WHERE state = 'running'`.execute(db);
        await db.schema.createTable('workers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('heartbeat_at', 'text', (c) => c.notNull())
          .addColumn('feeds_json', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0004_drift': {
      // What `dovetail reconcile` found: one row per run (what it compared), one per difference
      // (what the master holds, what the other system holds, and whether a repair was queued).
      async up(db: Kysely<unknown>) {
        await withId(db.schema.createTable('reconcile_runs'), dialect)
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('kinds', 'text', (c) => c.notNull())
          .addColumn('repair', 'integer', (c) => c.notNull())
          .addColumn('compared_json', 'text', (c) => c.notNull())
          .addColumn('drift_count', 'integer', (c) => c.notNull())
          .addColumn('error', 'text')
          .execute();
        await withId(db.schema.createTable('drift'), dialect)
          .addColumn('run_id', 'integer', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('record_key', 'text', (c) => c.notNull())
          .addColumn('aspect', 'text', (c) => c.notNull())
          .addColumn('master_system', 'text', (c) => c.notNull())
          .addColumn('master_value', 'text', (c) => c.notNull())
          .addColumn('other_value', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('found_at', 'text', (c) => c.notNull())
          .addColumn('repaired_at', 'text')
          .addColumn('resolved_at', 'text')
          .execute();
        await db.schema.createIndex('drift_by_run').on('drift').columns(['run_id', 'kind']).execute();
        await db.schema.createIndex('drift_open').on('drift').columns(['kind', 'record_key', 'resolved_at']).execute();
      },
    },
    '0005_housekeeping': {
      // Pruning finds old rows by their age through these, a batch at a time, instead of reading
      // whole tables; the open conflicts' index lets it keep the audit entries they point to.
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('changes_by_age').on('changes').columns(['received_at', 'id']).execute();
        await db.schema.createIndex('jobs_by_state_age').on('jobs').columns(['state', 'updated_at', 'id']).execute();
        await db.schema.createIndex('audit_by_age').on('audit').columns(['at', 'id']).execute();
        await db.schema.createIndex('conflicts_by_record').on('conflicts').columns(['record_key', 'resolved_at']).execute();
        // each flow's last move (status, dashboard) is read from this index alone, not the whole trail
        await db.schema.createIndex('audit_by_kind_action').on('audit').columns(['record_kind', 'action', 'id']).execute();
      },
    },
    '0006_jobs_claim': {
      // A claim asks for the ready jobs of one kind, oldest first: through (state, run_after) it
      // walked every waiting job of every kind, so its cost grew with the backlog. Waiting jobs
      // only; the old index goes, or the planner keeps choosing it.
      async up(db: Kysely<unknown>) {
        await sql`CREATE INDEX jobs_waiting ON jobs (kind, run_after, id) WHERE state = 'pending'`.execute(db);
        await db.schema.dropIndex('jobs_ready').execute();
      },
    },
  };
}
