// Keeps Dovetail's own tables from growing for ever: what `housekeeping.*` says is old enough is
// pruned, then its space given back. `dovetail run` does it every housekeeping.everyMinutes; `dovetail prune` on demand.
import type { Config } from '../config/schema.js';
import { Housekeeping, type PruneBefore, type Pruned, type Storage } from '../store/storage.js';

const DAY_MS = 86_400_000;

/** The age limits the settings give, as times before `now`. */
export function pruneBefore(settings: Config['housekeeping'], now = Date.now()): PruneBefore {
  const before = (days: number | null) => (days === null ? null : new Date(now - days * DAY_MS).toISOString());
  return { changes: before(settings.keepChangesDays), doneJobs: before(settings.keepDoneJobsDays), audit: before(settings.keepAuditDays) };
}

/** Prunes what the settings let go, then gives the space back (`vacuum`: the whole file at once); `signal` stops it between batches. */
export async function housekeep(storage: Storage, settings: Config['housekeeping'],
  opts: { vacuum?: boolean; now?: number; signal?: AbortSignal } = {}): Promise<Pruned> {
  const keeping = new Housekeeping(storage);
  const pruned = await keeping.prune(pruneBefore(settings, opts.now), opts.signal);
  await keeping.reclaimSpace({ full: opts.vacuum, signal: opts.signal });
  return pruned;
}
