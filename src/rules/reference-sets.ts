// What to do with one item of a keyed reference set (tax rates, shipping methods) seen in both
// systems, with ownership.onConflict semantics: pure; the set handler reads, decides and writes.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/schema.js';
import type { Side } from './ownership.js';

export type SetItemDecision =
  /** both systems hold the same value: nothing to write (the snapshot follows) */
  | { action: 'same' }
  /** neither system holds it any more */
  | { action: 'absent' }
  /** the master's value goes to the other system (created there when missing) */
  | { action: 'propagate'; why: string }
  /** the other system changed (or removed) it: the master's value is written back */
  | { action: 'revert'; why: string }
  /** left as it is and shown as a conflict */
  | { action: 'flag'; why: string };

/**
 * Decides one item of a set, keyed the same in both systems:
 * - equal on both sides: nothing to do (also when it is Dovetail's own write coming back);
 * - never synced: the master's value is the baseline and goes to the other system;
 * - the other system still holds the last synced value: the master changed it, so it propagates;
 * - the other system changed or removed it: revert or flag, per ownership.onConflict;
 * - missing in the master: flagged, whatever onConflict says: writing the master's value back
 *   would mean deleting the other system's item, and Dovetail deletes no reference data.
 * `lastSynced` is undefined when Dovetail never synced this item.
 */
export function decideSetItem<V>(input: {
  /** the master key governing the set, e.g. salesTaxes */
  masterKey: 'salesTaxes' | 'shippingMethods';
  /** what one item is called in sentences: 'tax rate', 'shipping method' */
  noun: string;
  inStore: V | undefined;
  inInventory: V | undefined;
  lastSynced: V | undefined;
  config: Pick<Config, 'master' | 'ownership'>;
}): SetItemDecision {
  const { masterKey, noun, lastSynced, config } = input;
  const master: Side = config.master[masterKey];
  const [inMaster, inOther] = master === 'store' ? [input.inStore, input.inInventory] : [input.inInventory, input.inStore];
  const masterWord = master === 'store' ? 'the store' : 'the inventory system';
  const otherWord = master === 'store' ? 'the inventory system' : 'the store';
  const setting = `master.${masterKey}=${master}`;
  if (inMaster === undefined && inOther === undefined) return { action: 'absent' };
  if (inMaster !== undefined && inOther !== undefined && isDeepStrictEqual(inMaster, inOther)) return { action: 'same' };
  if (inMaster === undefined) {
    return { action: 'flag', why: lastSynced === undefined
      ? `the ${noun} exists only in ${otherWord}, but ${masterWord} is the master (${setting}): add it there, or remove it from ${otherWord}; Dovetail deletes no ${noun}`
      : `the ${noun} was removed from ${masterWord} (${setting}); Dovetail deletes no ${noun}: remove it from ${otherWord} by hand` };
  }
  if (lastSynced === undefined) return { action: 'propagate', why: `first sync: ${masterWord} is the master (${setting})` };
  if (inOther !== undefined && isDeepStrictEqual(inOther, lastSynced)) return { action: 'propagate', why: `changed in ${masterWord}, the master (${setting})` };
  const what = inOther === undefined ? 'removed from' : 'changed in';
  if (config.ownership.onConflict === 'revert') {
    return { action: 'revert', why: `the ${noun} was ${what} ${otherWord}, but ${masterWord} is the master (${setting}): the master's value is written back (ownership.onConflict=revert)` };
  }
  return { action: 'flag', why: `the ${noun} was ${what} ${otherWord}, but ${masterWord} is the master (${setting}): left as is and shown as a conflict (ownership.onConflict=flag)` };
}
