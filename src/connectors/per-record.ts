// Batch writes answer per record: a record the target refuses fails alone, the others are written.
// Only a refusal (a permanent error) is a record's own; a system that is down fails the whole call.
import { DovetailError } from '../errors.js';

/** A refusal of what was sent, as opposed to a failure of the system (down, throttled, settings). */
export function isRefusal(err: unknown): err is DovetailError {
  return err instanceof DovetailError && err.kind === 'permanent';
}

/**
 * Writes `units` in one call; when the target refuses that call, writes each unit alone so that
 * only the refused ones fail. `write` must be safe to repeat for a unit that was written. Returns
 * the refused units with their error; any failure that is not a refusal is thrown.
 */
export async function writeEach<U>(units: U[], write: (part: U[]) => Promise<void>): Promise<Map<U, DovetailError>> {
  const refused = new Map<U, DovetailError>();
  if (!units.length) return refused;
  try {
    await write(units);
    return refused;
  } catch (err) {
    if (!isRefusal(err)) throw err;
    if (units.length === 1) return refused.set(units[0], err);
  }
  for (const unit of units) {
    try {
      await write([unit]);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      refused.set(unit, err);
    }
  }
  return refused;
}

/** Runs `fn`; a refusal is returned as the unit's error instead of thrown. */
export async function refusalOf(fn: () => Promise<void>): Promise<DovetailError | null> {
  try {
    await fn();
    return null;
  } catch (err) {
    if (!isRefusal(err)) throw err;
    return err;
  }
}
