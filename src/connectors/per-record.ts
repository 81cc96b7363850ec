// Batch writes answer per record: a record the target refuses fails alone, the others are written.
// Only a refusal (a permanent error) is a record's own; a system that is down fails the whole call.
import { DovetailError, permanent } from '../errors.js';
import type { WriteResult } from './types.js';

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

/**
 * Each SKU's outcome after a batch of upserts: refused with its own error, found before (not
 * created), or made now, which counts only when a read afterwards finds it: an API that accepts a
 * create and keeps nothing must not be told to the audit as "created".
 */
export function upsertOutcomes(skus: string[], o: { system: string; refused: Map<string, DovetailError>; before: Map<string, { id: string }>; after: Map<string, { id: string }> }): WriteResult[] {
  return skus.map((sku): WriteResult => {
    const error = o.refused.get(sku);
    if (error) return { sku, error };
    const before = o.before.get(sku);
    if (before) return { sku, id: before.id, created: false };
    const after = o.after.get(sku);
    return after ? { sku, id: after.id, created: true } : { sku, error: permanent(`${o.system} accepted variant ${sku} but does not have it afterwards`, { sku }) };
  });
}
