// `dovetail sync <kind>`: a first full load, batched, with progress on stderr.
import { Engine, type SyncKind } from '../engine/engine.js';
import { openContext } from '../engine/open.js';
import { createLogger } from '../log.js';
import { explain, settingsOrExplain } from './shared.js';

const KINDS: SyncKind[] = ['products', 'stock', 'customers', 'orders'];

export async function syncCommand(file: string, kind: string): Promise<number> {
  if (!KINDS.includes(kind as SyncKind)) return explain(`unknown kind "${kind}"; allowed: ${KINDS.join(', ')}`);
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const ctx = await openContext(config, createLogger('warn'));
    const started = Date.now();
    const { queued, stats } = await new Engine(ctx).sync(kind as SyncKind, (p) => {
      const secs = (Date.now() - started) / 1000;
      const rate = p.done / Math.max(secs, 0.001);
      const left = rate > 0 ? Math.max(0, (p.queued - p.done - p.failed) / rate) : 0;
      process.stderr.write(`\r${kind}: ${p.done + p.failed}/${p.queued} (${rate.toFixed(1)}/s, ${left.toFixed(0)} s left)   `);
    });
    process.stderr.write('\n');
    console.log(`${kind}: ${queued} queued, ${stats.done} done, ${stats.failed} failed${stats.failed ? ' (see `dovetail failures`)' : ''}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await ctx.storage.close();
    return stats.failed ? 1 : 0;
  } catch (err) {
    return explain(err);
  }
}
