// Jobs in flight at once (sync.jobsAtOnce): a handler that waits on a system works several orders
// together, never two jobs of one order together, and each job's outcome stays its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { perOrder, type JobHandler } from '../../src/engine/context.js';
import { openContext } from '../../src/engine/open.js';
import { JobRunner } from '../../src/engine/runner.js';
import { permanent } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../helpers/unreachable-systems.js';

test('jobs of different orders are in flight together up to sync.jobsAtOnce; one order\'s jobs run one after another; a failure stays with its job', async () => {
  const config = parseConfig(unreachableSettings(`database: { path: ':memory:' }
sync: { jobsAtOnce: 3 }
`), UNREACHABLE_ENV, 'test.yaml');
  const ctx = await openContext(config, createLogger('silent'));
  let now = 0, most = 0;
  const busyOrders = new Set<string>();
  const overlaps: string[] = [];
  const handler: JobHandler = {
    kind: 'payment.capture', batch: 1, inFlight: perOrder,
    async handle(_ctx, jobs) {
      const out = new Map<number, Error | null>();
      for (const job of jobs) {
        const order = job.key.split(':')[0];
        if (busyOrders.has(order)) overlaps.push(job.key);
        busyOrders.add(order);
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 20)); // waiting on a system's answer
        now--;
        busyOrders.delete(order);
        out.set(job.id, job.key === 'ORDER-5:1' ? permanent('refused by the store') : null);
      }
      return out;
    },
  };
  const keys = [...Array.from({ length: 9 }, (_, i) => `ORDER-${i}:1`), 'ORDER-1:2', 'ORDER-1:3'];
  for (const key of keys) await ctx.storage.enqueue({ kind: handler.kind, key, reason: 'test' });
  const stats = await new JobRunner(ctx, [handler]).runReady();
  assert.deepEqual(stats, { done: 10, retrying: 0, failed: 1 });
  assert.equal(most, 3, 'three at once, as the setting says');
  assert.deepEqual(overlaps, [], 'never two jobs of one order at once');
  assert.deepEqual((await ctx.storage.failures()).map((j) => j.key), ['ORDER-5:1']);
  await ctx.storage.close();
});
