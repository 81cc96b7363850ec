// Claims ready jobs and hands them to their handler in batches; turns each outcome into data on
// the job row (done, retry at a time, or the failure list). Connector code never loops on retry.
import { hostname } from 'node:os';
import { DovetailError, failureKindOf, messageOf } from '../errors.js';
import { storageFailure } from '../store/failures.js';
import type { Job } from '../store/storage.js';
import pLimit from 'p-limit';
import { groupBy } from '../collections.js';
import type { EngineContext, JobHandler, Outcomes } from './context.js';
import { backoffMs } from './backoff.js';
import { jobOutcomes } from './metrics.js';
import { JOB } from './job-kinds.js';

/**
 * Jobs that find-or-create records other records share: a customer's party (an order's job and
 * the customer's own both want it), service products, tax rates, categories, option groups,
 * assets. Two workers looking at once would both find nothing and both create. Workers sharing a
 * PostgreSQL run these on one worker at a time — whichever holds the lock below, taken over
 * within a poll when it dies — and every other kind of job on all of them. On SQLite, one process
 * runs everything anyway.
 */
const SHARED_CREATE_KINDS: ReadonlySet<string> = new Set([JOB.productToStore, JOB.productFromStore, JOB.productImages,
  JOB.customer, JOB.order, JOB.customerToStore, JOB.offlineOrder, JOB.referenceSet]);
const SHARED_CREATES_LOCK = ['jobs', 'shared-creates'] as const;

/** how long one kind's ready jobs are worked down before the other kinds get their turn */
const ONE_KIND_AT_MOST_MS = 2_000;

export const workerId = () => `${hostname()}:${process.pid}:${Date.now().toString(36)}`;

export interface RunStats { done: number; retrying: number; failed: number }

export class JobRunner {
  readonly worker = workerId();
  /** how long a claimed job stays with this worker without a renewal (sync.jobLeaseMs) */
  readonly leaseMs: number;

  /** how often the engine renews this worker's leases and frees the jobs of dead workers */
  readonly upkeepEveryMs: number;

  constructor(private readonly ctx: EngineContext, private readonly handlers: JobHandler[],
    opts: { leaseMs?: number; onProgress?: () => void } = {}) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.upkeepEveryMs = Math.max(100, Math.min(5_000, this.leaseMs / 4));
    this.onProgress = opts.onProgress ?? (() => undefined);
  }

  private readonly onProgress: () => void;

  /** When the next waiting job this worker may run is due (null: none waits). */
  nextDue(): Promise<string | null> { return this.ctx.storage.nextDue(this.kindsToRun(this.mayCreateShared)); }

  /** whether this worker held the shared-creates lock at its last pass */
  private mayCreateShared = false;

  private kindsToRun(mayCreateShared: boolean): string[] {
    return this.handlers.map((h) => h.kind).filter((k) => mayCreateShared || !SHARED_CREATE_KINDS.has(k));
  }

  /** Frees jobs left 'running' by a process on this machine that no longer exists, or whose lease ran out. */
  async recover(): Promise<number> {
    const host = hostname();
    const dead = (await this.ctx.storage.runningWorkers()).filter((w) => {
      const [h, pid] = w.split(':');
      if (h !== host) return false;
      try { process.kill(Number(pid), 0); return false; } catch { return true; }
    });
    const released = await this.ctx.storage.releaseStale(dead);
    if (released) this.ctx.log.warn({ released }, 'resumed jobs a stopped worker had left running');
    return released;
  }

  /**
   * Runs every job that is ready, in handler order (products before stock), until none is left.
   * Each kind's ready jobs are worked down before the next kind's (for a while at most, so one
   * long backlog does not hold up the other flows): the stock refreshes that ten order imports ask
   * for then go out as one batch, not as ten.
   */
  async runReady(signal?: AbortSignal, onBatch?: (kind: string, batch: RunStats) => void): Promise<RunStats> {
    const stats: RunStats = { done: 0, retrying: 0, failed: 0 };
    for (;;) {
      let claimedAny = false;
      this.mayCreateShared = await this.ctx.storage.tryOwnFeed(...SHARED_CREATES_LOCK);
      const ready = await this.ctx.storage.readyKinds(this.kindsToRun(this.mayCreateShared));
      if (!ready.size) return stats;
      for (const handler of this.handlers) {
        if (!ready.has(handler.kind)) continue;
        const since = Date.now();
        do {
          if (signal?.aborted) return stats;
          const size = handler.inFlight ? Math.max(handler.batch, this.ctx.config.sync.jobsAtOnce) : handler.batch;
          const jobs = await this.ctx.storage.claim([handler.kind], size, this.worker, this.leaseMs);
          if (!jobs.length) break;
          claimedAny = true;
          const batch = await this.runBatch(handler, jobs);
          stats.done += batch.done; stats.retrying += batch.retrying; stats.failed += batch.failed;
          onBatch?.(handler.kind, batch);
          this.onProgress();
        } while (Date.now() - since < ONE_KIND_AT_MOST_MS);
      }
      // due jobs whose records all have a job running (on another worker): nothing to claim now
      if (!claimedAny) return stats;
    }
  }

  /** Hands one batch to its handler and turns each outcome into the job's row: done, a retry at a time, or the failure list. */
  private async runBatch(handler: JobHandler, jobs: Job[]): Promise<RunStats> {
    const outcomes = await this.handle(handler, jobs);
    const batch: RunStats = { done: 0, retrying: 0, failed: 0 };
    const done: number[] = [];
    for (const job of jobs) {
      const err = storageFailure(outcomes.get(job.id) ?? null) as Error | null;
      if (!err) { done.push(job.id); continue; }
      const kind = failureKindOf(err);
      const giveUp = this.givesUp(job, err);
      const retryAfter = err instanceof DovetailError ? err.retryAfterSeconds : undefined;
      const result = await this.ctx.storage.fail(job.id, messageOf(err), kind, giveUp ? null : backoffMs(job.attempts, retryAfter));
      batch[result === 'failed' ? 'failed' : 'retrying']++;
      jobOutcomes.inc({ kind: job.kind, outcome: result });
      this.ctx.log[result === 'failed' ? 'error' : 'warn']({ job: job.kind, key: job.key, attempt: job.attempts, kind, err: messageOf(err) },
        result === 'failed' ? 'job failed: on the failure list' : 'job failed: will retry');
      if (result === 'failed') {
        await this.ctx.storage.audit({ recordKind: job.kind.split('.')[0], recordKey: job.key, action: `${job.kind}.failed`, result: 'failed', detail: { error: messageOf(err), kind, attempts: job.attempts } });
      }
    }
    await this.ctx.storage.completeAll(done);
    batch.done = done.length;
    jobOutcomes.inc({ kind: handler.kind, outcome: 'done' }, done.length);
    return batch;
  }

  /**
   * The handler's outcomes for a claimed batch. A handler of jobs that may be in flight together
   * gets one call per record, several at once: each waits on its system's answers, not on the
   * others'. A handler that reads ahead reads once for the whole batch first. The claim gave this
   * worker every job of the batch, so a crash leaves them all to be resumed, as it does a batch
   * worked one by one.
   */
  private async handle(handler: JobHandler, jobs: Job[]): Promise<Outcomes> {
    const failAll = (some: Job[]) => (err: unknown) => new Map(some.map((j) => [j.id, err as Error]));
    let ahead: unknown;
    try { ahead = await handler.readAhead?.(this.ctx, jobs); } catch (err) { return failAll(jobs)(err); }
    const call = (some: Job[]) => handler.handle(this.ctx, some, ahead).catch(failAll(some));
    if (!handler.inFlight || jobs.length < 2) return call(jobs);
    const { recordOf } = handler.inFlight;
    const byRecord = groupBy(jobs, (job) => recordOf(job.key));
    const limit = pLimit(this.ctx.config.sync.jobsAtOnce);
    const outcomes: Outcomes = new Map();
    for (const part of await Promise.all([...byRecord.values()].map((group) => limit(() => call(group))))) {
      for (const [id, outcome] of part) outcomes.set(id, outcome);
    }
    return outcomes;
  }

  /**
   * Whether a failed attempt ends on the failure list. A failure a retry cannot mend (permanent,
   * config) does at once. A system that is down, busy or slow (a transient DovetailError, decided
   * where the answer was read) is retried with capped backoff for `sync.keepRetryingHours`,
   * however many attempts that takes: an outage of an hour must not need hands. A failure nobody
   * explained (a bug, a surprise) gets `sync.maxAttempts` tries.
   */
  private givesUp(job: Job, err: unknown): boolean {
    const { maxAttempts, keepRetryingHours } = this.ctx.config.sync;
    if (failureKindOf(err) !== 'transient') return true;
    if (!(err instanceof DovetailError)) return job.attempts >= maxAttempts;
    const failingForMs = job.failingSince ? Date.now() - Date.parse(job.failingSince) : 0;
    return failingForMs >= keepRetryingHours * 3_600_000;
  }

  heartbeat(): Promise<void> { return this.ctx.storage.heartbeat(this.worker, this.leaseMs); }

  /** Puts the jobs this worker holds back in the queue (a stop before they finished). */
  releaseHeld(): Promise<number> { return this.ctx.storage.releaseStale([this.worker]); }
}
