// What every job handler gets: the settings, durable state and the two connectors. Handlers
// never construct connectors themselves, so the engine stays blind to which systems are joined.
import type { Config } from '../config/schema.js';
import type { InventoryConnector, StoreConnector } from '../connectors/types.js';
import type { Logger } from '../log.js';
import { SALE_KEY } from '../model/shipment.js';
import type { Job, Storage } from '../store/storage.js';

export interface EngineContext {
  config: Config;
  storage: Storage;
  inventory: InventoryConnector;
  store: StoreConnector;
  log: Logger;
}

/** A handler settles each job it was given: resolved means done, an error means a failed attempt. */
export type Outcomes = Map<number, Error | null>;

export interface JobHandler<Ahead = unknown> {
  kind: string;
  /** how many jobs of this kind one call may take (the connector writes them in one batch) */
  batch: number;
  /**
   * Jobs of different records may be in flight at once (up to sync.jobsAtOnce); `recordOf` names
   * the record a job belongs to (its order, for a payment's job), and one record's jobs run one
   * after another. Absent: one call at a time. Never for jobs that find or make records other
   * records share (a customer's party, a tax rate): two at once would both find none and both make one.
   */
  inFlight?: { recordOf: (key: string) => string };
  /**
   * Reads what the claimed batch's jobs need from the systems in one go, before they are worked
   * (in flight, one call per record): one read for many records instead of one per record. Its
   * answer goes to every call; when it fails, every job of the batch fails that attempt.
   */
  readAhead?(ctx: EngineContext, jobs: Job[]): Promise<Ahead>;
  handle(ctx: EngineContext, jobs: Job[], ahead?: Ahead): Promise<Outcomes>;
}

/**
 * The order a job is about, for handlers whose jobs of different orders may be in flight at once:
 * an order code, a phone sale's `sale:<id>`, or the order code before the first ':' of a money
 * job's key (`<orderCode>:<id>`), so two payments of one order never run at once.
 */
export const perOrder: NonNullable<JobHandler['inFlight']> = {
  recordOf: (key) => (key.startsWith(SALE_KEY) ? key : key.split(':')[0]),
};

/** Runs `fn` per job, turning a throw into that job's failed attempt without stopping the others. */
export async function eachJob(jobs: Job[], fn: (job: Job) => Promise<void>): Promise<Outcomes> {
  const out: Outcomes = new Map();
  for (const job of jobs) {
    try { await fn(job); out.set(job.id, null); } catch (err) { out.set(job.id, err instanceof Error ? err : new Error(String(err))); }
  }
  return out;
}

/** The same outcome for every job of a batch call. */
export function allJobs(jobs: Job[], err: Error | null): Outcomes {
  return new Map(jobs.map((j) => [j.id, err]));
}
