// `dovetail sync <kind>`: a first full load, batched, with progress on stderr. Ctrl-C (or SIGTERM)
// stops after the batch in hand and leaves the rest queued; a second one stops at once and puts
// the jobs this process holds back in the queue, so no record waits for a lease to run out.
import { Engine, type SyncKind } from '../engine/engine.js';
import { openContext } from '../engine/open.js';
import { createLogger } from '../log.js';
import { explain, settingsOrExplain } from './shared.js';
import { onStopSignals } from './signals.js';
import type { ReferenceSetKey } from '../engine/handlers/reference-sets.js';

const KINDS: SyncKind[] = ['products', 'stock', 'customers', 'orders'];
/** reference sets, made equal in both systems at once on demand (beside `run`'s schedule) */
const REFERENCE_SETS: ReferenceSetKey[] = ['salesTaxes', 'shippingMethods'];

export async function syncCommand(file: string, kind: string): Promise<number> {
  if (REFERENCE_SETS.includes(kind as ReferenceSetKey)) return syncReferenceSet(file, kind as ReferenceSetKey);
  if (!KINDS.includes(kind as SyncKind)) return explain(`unknown kind "${kind}"; allowed: ${[...KINDS, ...REFERENCE_SETS].join(', ')}`);
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const ctx = await openContext(config, createLogger('warn'));
    const engine = new Engine(ctx);
    const started = Date.now();
    const stop = new AbortController();
    const signals = onStopSignals({
      gently: () => { process.stderr.write(`\n${kind}: stopping after the batch in hand (Ctrl-C again to stop at once)\n`); stop.abort(); },
      atOnce: async () => {
        const released = await engine.runner.releaseHeld().catch(() => 0);
        process.stderr.write(`${kind}: stopped; ${released} job${released === 1 ? '' : 's'} put back in the queue\n`);
      },
    });
    try {
      const { queued, stats, followUpsFailed, left } = await engine.sync(kind as SyncKind, (p) => {
        const secs = (Date.now() - started) / 1000;
        const rate = p.done / Math.max(secs, 0.001);
        const todo = Math.max(0, p.queued - p.done - p.failed);
        const eta = rate > 0 ? todo / rate : 0;
        process.stderr.write(`\r${kind}: ${p.done + p.failed}/${p.queued} (${rate.toFixed(1)}/s, ${eta.toFixed(0)} s left)   `);
      }, stop.signal);
      process.stderr.write('\n');
      const rest = left ? `; ${left} still queued (${stop.signal.aborted ? 'stopped early' : 'waiting to retry'}: \`dovetail run\` carries them on)` : '';
      const failed = stats.failed + followUpsFailed;
      const followUps = followUpsFailed ? ` (and ${followUpsFailed} follow-up${followUpsFailed === 1 ? '' : 's'}, such as stock)` : '';
      console.log(`${kind}: ${queued} queued, ${stats.done} done, ${stats.failed} failed${followUps}${failed ? ' (see `dovetail failures`)' : ''}${rest}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return failed ? 1 : stop.signal.aborted ? 130 : 0;
    } finally {
      signals.dispose();
      await ctx.storage.close();
    }
  } catch (err) {
    return explain(err);
  }
}

/** One pass over a reference set now: both sides read, the differences written, each audited. */
async function syncReferenceSet(file: string, key: ReferenceSetKey): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const ctx = await openContext(config, createLogger('warn'));
    try {
      const engine = new Engine(ctx);
      const queued = await engine.queueReferenceSets('asked for by `dovetail sync`', key);
      if (!queued.length) return explain(`${key}: one of the two connectors does not carry it (see \`dovetail check\`, master.${key})`);
      const stats = await engine.runner.runReady();
      console.log(`${key}: ${stats.failed ? 'failed (see `dovetail failures`)' : stats.retrying ? 'will be retried by `dovetail run`' : 'both systems equal (see the audit trail for what moved)'}`);
      return stats.failed || stats.retrying ? 1 : 0;
    } finally {
      await ctx.storage.close();
    }
  } catch (err) {
    return explain(err);
  }
}
