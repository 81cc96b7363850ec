// Claims ready jobs and hands them to their handler in batches; turns each outcome into data on
// the job row (done, retry at a time, or the failure list). Connector code never loops on retry.
import { hostname } from 'node:os';
import { DovetailError, failureKindOf, messageOf } from '../errors.js';
import type { EngineContext, JobHandler } from './context.js';
import { backoffMs } from './backoff.js';
import { jobOutcomes } from './metrics.js';

export const workerId = () => `${hostname()}:${process.pid}:${Date.now().toString(36)}`;

export interface RunStats { done: number; retrying: number; failed: number }

export class JobRunner {
  readonly worker = workerId();
  private readonly leaseMs = 60_000;

  constructor(private readonly ctx: EngineContext, private readonly handlers: JobHandler[]) {}

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

  /** Runs every job that is ready, in handler order (products before stock), until none is left. */
  async runReady(signal?: AbortSignal): Promise<RunStats> {
    const stats: RunStats = { done: 0, retrying: 0, failed: 0 };
    for (;;) {
      let claimedAny = false;
      for (const handler of this.handlers) {
        if (signal?.aborted) return stats;
        const jobs = await this.ctx.storage.claim([handler.kind], handler.batch, this.worker, this.leaseMs);
        if (!jobs.length) continue;
        claimedAny = true;
        const outcomes = await handler.handle(this.ctx, jobs).catch((err: unknown) => new Map(jobs.map((j) => [j.id, err as Error])));
        for (const job of jobs) {
          const err = outcomes.get(job.id) ?? null;
          if (!err) { await this.ctx.storage.complete(job.id); stats.done++; jobOutcomes.inc({ kind: job.kind, outcome: 'done' }); continue; }
          const kind = failureKindOf(err);
          const giveUp = kind !== 'transient' || job.attempts >= this.ctx.config.sync.maxAttempts;
          const retryAfter = err instanceof DovetailError ? err.retryAfterSeconds : undefined;
          const result = await this.ctx.storage.fail(job.id, messageOf(err), kind, giveUp ? null : backoffMs(job.attempts, retryAfter));
          stats[result === 'failed' ? 'failed' : 'retrying']++;
          jobOutcomes.inc({ kind: job.kind, outcome: result });
          this.ctx.log[result === 'failed' ? 'error' : 'warn']({ job: job.kind, key: job.key, attempt: job.attempts, kind, err: messageOf(err) },
            result === 'failed' ? 'job failed: on the failure list' : 'job failed: will retry');
          if (result === 'failed') {
            await this.ctx.storage.audit({ recordKind: job.kind.split('.')[0], recordKey: job.key, action: `${job.kind}.failed`, result: 'failed', detail: { error: messageOf(err), kind, attempts: job.attempts } });
          }
        }
      }
      if (!claimedAny) return stats;
    }
  }

  heartbeat(): Promise<void> { return this.ctx.storage.heartbeat(this.worker, this.leaseMs); }
}
