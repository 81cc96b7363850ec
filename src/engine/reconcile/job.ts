// The scheduled reconcile (reconcile.everyHours) as a job keyed 'all': the queue's one running
// job per record lets one worker of many run it at a time, and a crashed run is taken over.
import { eachJob, type JobHandler } from '../context.js';
import { JOB } from '../job-kinds.js';
import { reconcile } from './reconcile.js';

/** The handler of one engine; `stopping()` is the engine's stop signal, checked between pages. */
export const reconcileRun = (stopping: () => AbortSignal | undefined): JobHandler => ({
  kind: JOB.reconcile,
  batch: 1,
  handle: (ctx, jobs) => eachJob(jobs, async () => {
    const report = await reconcile(ctx, { repair: ctx.config.reconcile.repair, signal: stopping() });
    ctx.log.info({ run: report.runId, compared: report.compared, drift: report.differences.length, repair: ctx.config.reconcile.repair }, 'reconcile finished');
  }),
});
