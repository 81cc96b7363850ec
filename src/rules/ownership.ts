// Who may change a product field group (master:) and what to do with a change from the other
// side (ownership.onConflict). Pure: the product handler supplies the values and acts on the answer.
import { isDeepStrictEqual } from 'node:util';
import { MASTER_KEY_OF_GROUP, type FieldGroup } from '../model/product.js';
import type { Config } from '../config/schema.js';

export type Side = 'store' | 'inventory';

export type ProductChangeDecision =
  | { action: 'propagate' }
  | { action: 'ignore'; why: string }
  | { action: 'revert'; why: string }
  | { action: 'flag'; why: string };

/** The system that is master of a field group, per the `master:` key that governs it. */
export function ownerOf(group: FieldGroup, config: Pick<Config, 'master'>): Side {
  return config.master[MASTER_KEY_OF_GROUP[group]];
}

/**
 * Decides what to do with a change of one field group seen in one system:
 * - equal to what Dovetail last synced: our own write coming back (an echo) -> ignore;
 * - made in the master -> propagate to the other system;
 * - made in the other system -> revert (write the master's value back) or flag, per ownership.onConflict.
 * `lastSynced` is undefined when nothing was ever synced for this group (then it is never an echo).
 */
export function decideProductChange(input: {
  group: FieldGroup;
  changedIn: Side;
  value: unknown;
  lastSynced: unknown;
  config: Pick<Config, 'master' | 'ownership'>;
}): ProductChangeDecision {
  const { group, changedIn, value, lastSynced, config } = input;
  const key = `master.${MASTER_KEY_OF_GROUP[group]}`;
  if (lastSynced !== undefined && isDeepStrictEqual(normalise(value), normalise(lastSynced))) {
    return { action: 'ignore', why: `the ${group} in the ${changedIn === 'store' ? 'store' : 'inventory system'} equal what Dovetail last synced: nothing changed (or it is Dovetail's own write coming back)` };
  }
  const owner = ownerOf(group, config);
  if (owner === changedIn) return { action: 'propagate' };
  const where = changedIn === 'store' ? 'the store' : 'the inventory system';
  const master = owner === 'store' ? 'the store' : 'the inventory system';
  if (config.ownership.onConflict === 'revert') {
    return { action: 'revert', why: `${group} were changed in ${where}, but ${master} is their master (${key}=${owner}): the master's value is written back (ownership.onConflict=revert)` };
  }
  return { action: 'flag', why: `${group} were changed in ${where}, but ${master} is their master (${key}=${owner}): left as is and shown as a conflict (ownership.onConflict=flag)` };
}

/** Key order and undefined-valued keys do not make two values different. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

export type CustomerChangeDecision = ProductChangeDecision;

/**
 * The same decision for a customer's details (master.customers) seen changed in one system, where
 * `lastSynced` is what the other system shows of them (the two agree once Dovetail carried them):
 * equal -> ignore (nothing to carry, or Dovetail's own write coming back); the master's edit ->
 * propagate; the other system's edit -> revert or flag per ownership.onConflict.
 */
export function decideCustomerChange(input: { changedIn: Side; value: unknown; lastSynced: unknown; config: Pick<Config, 'master' | 'ownership'> }): CustomerChangeDecision {
  const { changedIn, value, lastSynced, config } = input;
  const owner = config.master.customers;
  if (isDeepStrictEqual(normalise(value), normalise(lastSynced))) {
    return { action: 'ignore', why: `the customer's details agree in both systems: nothing to carry (or it is Dovetail's own write coming back)` };
  }
  if (owner === changedIn) return { action: 'propagate' };
  const where = changedIn === 'store' ? 'the store' : 'the inventory system';
  const master = owner === 'store' ? 'the store' : 'the inventory system';
  if (config.ownership.onConflict === 'revert') {
    return { action: 'revert', why: `the customer's details were changed in ${where}, but ${master} is their master (master.customers=${owner}): the master's details are written back (ownership.onConflict=revert)` };
  }
  return { action: 'flag', why: `the customer's details were changed in ${where}, but ${master} is their master (master.customers=${owner}): left as they are and shown as a conflict (ownership.onConflict=flag)` };
}
