// Table types for Kysely. Timestamps are ISO-8601 UTC strings: they sort correctly as text and
// mean the same in SQLite and PostgreSQL, so one set of queries serves both.
import type { Generated } from 'kysely';

export interface ChangesTable {
  id: Generated<number>;
  system: string;
  kind: string;
  key: string;
  source_version: string;
  received_at: string;
}

export type JobState = 'pending' | 'running' | 'done' | 'failed';

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  key: string;
  state: JobState;
  attempts: number;
  /** the earliest time the job may run: debounce and backoff both write it */
  run_after: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  failure_kind: string | null;
  /** when the current run of failed attempts began (null: the last attempt did not fail) */
  failing_since: string | null;
  /** why the job exists, in words (which change, which command) */
  reason: string;
  created_at: string;
  updated_at: string;
}

export interface MappingsTable {
  system: string;
  kind: string;
  key: string;
  external_id: string;
  created_at: string;
}

export interface SnapshotsTable {
  kind: string;
  key: string;
  field_group: string;
  value_json: string;
  updated_at: string;
}

export interface CursorsTable {
  system: string;
  feed: string;
  value: string;
  updated_at: string;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  record_kind: string;
  record_key: string;
  action: string;
  from_system: string | null;
  to_system: string | null;
  setting: string | null;
  result: string;
  detail: string | null;
}

export interface ConflictsTable {
  id: Generated<number>;
  record_kind: string;
  record_key: string;
  field_group: string;
  master_system: string;
  master_value: string;
  other_value: string;
  detected_at: string;
  resolved_at: string | null;
}

/** One running `dovetail run` process; the jobs it runs are the jobs locked_by its id. */
export interface WorkersTable {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  heartbeat_at: string;
  /** the feeds ("system.kind") this worker polls, as a JSON array */
  feeds_json: string;
}

// ---- drift (dovetail reconcile) ----
export interface ReconcileRunsTable {
  id: Generated<number>;
  started_at: string;
  finished_at: string | null;
  /** the kinds compared, comma-separated */
  kinds: string;
  /** 1: repairs were queued */
  repair: number;
  /** records compared per kind, JSON */
  compared_json: string;
  drift_count: number;
  error: string | null;
}

export interface DriftTable {
  id: Generated<number>;
  run_id: number;
  kind: string;
  record_key: string;
  /** the field group or aspect that differs (categories, available, sale, total, line:SKU…) */
  aspect: string;
  master_system: string;
  master_value: string;
  other_value: string;
  /** what reconcile did or asks: queued (a repair job), flagged (for a person), reported (no repair asked) */
  action: string;
  found_at: string;
  repaired_at: string | null;
  /** a later run found the record in agreement */
  resolved_at: string | null;
}

export interface Tables {
  changes: ChangesTable;
  jobs: JobsTable;
  mappings: MappingsTable;
  snapshots: SnapshotsTable;
  cursors: CursorsTable;
  audit: AuditTable;
  conflicts: ConflictsTable;
  workers: WorkersTable;
  reconcile_runs: ReconcileRunsTable;
  drift: DriftTable;
}
