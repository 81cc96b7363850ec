// `dovetail prune`: the pruning `dovetail run` does every housekeeping.everyMinutes, now, with the
// counts; `--vacuum` also rewrites a SQLite file once, to shrink it and let later prunes shrink it too.
import { housekeep } from '../engine/housekeeping.js';
import { openStorage } from '../engine/open.js';
import { explain, settingsOrExplain } from './shared.js';

export async function pruneCommand(file: string, o: { vacuum?: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const storage = await openStorage(config);
    try {
      const pruned = await housekeep(storage, config.housekeeping, { vacuum: o.vacuum });
      const kept = (days: number | null) => (days === null ? 'kept whole (null)' : `older than ${days} days`);
      const h = config.housekeeping;
      out.write(`Pruned ${pruned.changes} received changes (${kept(h.keepChangesDays)}), ${pruned.doneJobs} finished jobs (${kept(h.keepDoneJobsDays)}), `
        + `${pruned.audit} audit entries (${kept(h.keepAuditDays)}).\n`);
      if (o.vacuum && config.database.driver === 'sqlite') out.write('The database file was rewritten to its smallest size.\n');
    } finally {
      await storage.close();
    }
    return 0;
  } catch (err) {
    return explain(err);
  }
}
