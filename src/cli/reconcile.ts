// `dovetail reconcile [kind…] [--repair] [--json]`: compares both systems record by record and says
// what drifted. Exit code 0: no drift; 1: drift found (or a failure); 2: the settings are wrong.
import { Engine } from '../engine/engine.js';
import { openContext } from '../engine/open.js';
import { RECONCILE_KINDS, type ReconcileKind } from '../engine/reconcile/compare.js';
import { reconcile, type ReconcileReport } from '../engine/reconcile/reconcile.js';
import { createLogger } from '../log.js';
import { explain, settingsOrExplain } from './shared.js';

export async function reconcileCommand(file: string, kinds: string[], o: { repair?: boolean; json?: boolean }): Promise<number> {
  const unknown = kinds.filter((k) => !(RECONCILE_KINDS as readonly string[]).includes(k));
  if (unknown.length) return explain(`unknown kind "${unknown.join('", "')}"; allowed: ${RECONCILE_KINDS.join(', ')}`);
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const ctx = await openContext(config, createLogger('warn'));
    try {
      const started = Date.now();
      const report = await reconcile(ctx, { kinds: kinds as ReconcileKind[], repair: !!o.repair,
        onProgress: o.json ? undefined : (kind, n) => process.stderr.write(`\r${kind}: ${n} compared   `) });
      if (!o.json) process.stderr.write('\n');
      // the queued repairs are worked now, as `dovetail sync` works its queue; `dovetail run` carries on any left waiting to retry
      const repairs = o.repair && report.differences.some((d) => d.action === 'queued') ? await new Engine(ctx).runner.runReady() : null;
      const seconds = (Date.now() - started) / 1000;
      if (o.json) console.log(JSON.stringify({ ...report, repairs, seconds }, null, 2));
      else console.log(describe(report, repairs, seconds));
      return report.differences.length ? 1 : 0;
    } finally {
      await ctx.storage.close();
    }
  } catch (err) {
    return explain(err);
  }
}

const shown = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function describe(report: ReconcileReport, repairs: { done: number; retrying: number; failed: number } | null, seconds: number): string {
  const lines: string[] = [];
  for (const kind of report.kinds) {
    const skipped = report.skipped[kind];
    lines.push(skipped ? `${kind}: not compared: ${skipped}`
      : `${kind}: ${report.compared[kind] ?? 0} compared, ${report.differences.filter((d) => d.kind === kind).length} differ`);
  }
  if (report.differences.length) {
    const rows = [['KIND', 'RECORD', 'WHAT DIFFERS', 'MASTER', 'MASTER VALUE', 'OTHER VALUE', 'DONE']];
    for (const d of report.differences) rows.push([d.kind, d.recordKey, d.aspect, d.master, shown(d.masterValue), shown(d.otherValue), d.action]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    lines.push('', ...rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()));
    const forPeople = report.differences.filter((d) => d.repair.by === 'person');
    if (forPeople.length) lines.push('', 'For a person (no flow can mend these):', ...forPeople.map((d) => `  ${d.recordKey}: ${d.repair.by === 'person' ? d.repair.what : ''}`));
    if (report.differences.some((d) => d.action === 'reported')) lines.push('', 'Run `dovetail reconcile --repair` to queue what makes the non-master agree.');
  }
  if (repairs) lines.push('', `repairs: ${repairs.done} done, ${repairs.retrying} retrying, ${repairs.failed} failed${repairs.failed ? ' (see `dovetail failures`)' : ''}`);
  lines.push(`${report.differences.length ? `${report.differences.length} differences` : 'no drift'}, in ${seconds.toFixed(1)} s (run ${report.runId})`);
  return lines.join('\n');
}
