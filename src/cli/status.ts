// `dovetail status`: the flows' state in the terminal, read from the database, so it works
// beside a running `dovetail run` (or when nothing runs): queue, failures, last move per flow,
// cursors, the workers and open drift.
import { openStorage } from '../engine/open.js';
import { explainMove, flows, systemName } from '../server/state.js';
import { explain, settingsOrExplain } from './shared.js';

const ago = (iso: string | null | undefined) => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : s < 172800 ? `${Math.round(s / 3600)} h ago` : iso.slice(0, 16).replace('T', ' ');
};

export async function statusCommand(file: string, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  const say = (s = '') => out.write(`${s}\n`);
  try {
    const storage = await openStorage(config);
    try {
      const queue = await storage.queueDepth();
      const failures = await storage.failures();
      const conflicts = await storage.conflicts();
      say(`Dovetail: ${systemName(config.systems.store.type)} ⇄ ${systemName(config.systems.inventory.type)}`);
      say(`Queue: ${queue.pending ?? 0} waiting, ${queue.running ?? 0} running, ${queue.done ?? 0} done, ${failures.length} on the failure list${conflicts.length ? `, ${conflicts.length} drift item${conflicts.length === 1 ? '' : 's'} open` : ''}`);
      say();
      for (const f of await flows(storage, config)) {
        if (!f.active) { say(`${f.title.padEnd(20)} ${f.why}`); continue; }
        const lag = f.lagSeconds ? `, oldest waiting ${f.lagSeconds} s` : '';
        say(`${f.title.padEnd(20)} ${f.direction}: ${f.counts.done} done, ${f.counts.waiting + f.counts.running} waiting, ${f.counts.failed} failed${lag}`);
        if (f.retrying.count) say(`${''.padEnd(20)} ${f.retrying.count} retrying, failing since ${ago(f.retrying.since)}: ${f.retrying.reason ?? ''}`);
        if (f.lastMove) {
          const m = explainMove(f.lastMove);
          say(`${''.padEnd(20)} last move ${ago(f.lastMove.at)}: ${f.lastMove.recordKey} — ${m.what}`);
        }
      }
      const cursors = await storage.cursors();
      say();
      say('Read positions (cursors):');
      if (!cursors.length) say('  none yet: nothing has been read');
      for (const c of cursors) say(`  ${systemName(c.system)} ${c.feed}`.padEnd(24) + ` moved ${ago(c.updatedAt)}`);
      // every `dovetail run` on this database, as its upkeep last said (a dead one ages out after sync.jobLeaseMs)
      const workers = await storage.workers();
      say();
      say(`Workers (${workers.length}):`);
      if (!workers.length) say('  none: no `dovetail run` is running on this database');
      for (const w of workers) {
        say(`  ${w.id} (pid ${w.pid} on ${w.host}), seen ${ago(w.heartbeatAt)}, ${w.jobsRunning} job${w.jobsRunning === 1 ? '' : 's'} running, reads ${w.feeds.length ? w.feeds.join(', ') : 'no feed'}`);
      }
      if (failures.length) {
        say();
        say(`Failures (${failures.length}; \`dovetail failures\` lists them, \`dovetail retry <id>\` sends one back):`);
        for (const f of failures.slice(0, 5)) say(`  #${f.id} ${f.kind} ${f.key}: ${f.lastError ?? ''}`);
      }
    } finally {
      await storage.close();
    }
    return 0;
  } catch (err) {
    return explain(err);
  }
}
