// Keyed reference sets kept equal in both systems (master.salesTaxes, master.shippingMethods): both
// sets read whole, each item decided against its last synced snapshot, the differences written.
import { isDeepStrictEqual } from 'node:util';
import { DovetailError, failureKindOf, messageOf } from '../../errors.js';
import { capability, hasCapability, type InventoryCapability, type InventoryConnector, type StoreCapability, type StoreConnector } from '../../connectors/types.js';
import type { KeyedSetAccess, SalesTaxValue, ShippingMethodValue } from '../../model/reference-sets.js';
import { decideSetItem } from '../../rules/reference-sets.js';
import { eachJob, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';

export type ReferenceSetKey = 'salesTaxes' | 'shippingMethods';

interface ReferenceSet<V> {
  /** the capability group each side carries the set under */
  group: StoreCapability & InventoryCapability;
  /** the audit rows' and conflicts' record kind */
  recordKind: string;
  /** what one item is called in sentences */
  noun: string;
  access(connector: StoreConnector | InventoryConnector): KeyedSetAccess<V>;
}

const salesTaxes: ReferenceSet<SalesTaxValue> = {
  group: 'taxes', recordKind: 'salesTax', noun: 'tax rate',
  access(connector) {
    const taxes = connector.side === 'store' ? capability(connector, 'taxes', 'master.salesTaxes') : capability(connector, 'taxes', 'master.salesTaxes');
    return { list: () => taxes.listSalesTaxes(), put: (key, value, id) => taxes.putSalesTax(key, value, id) };
  },
};

const shippingMethods: ReferenceSet<ShippingMethodValue> = {
  group: 'shippingMethods', recordKind: 'shippingMethod', noun: 'shipping method',
  access(connector) {
    const methods = connector.side === 'store' ? capability(connector, 'shippingMethods', 'master.shippingMethods') : capability(connector, 'shippingMethods', 'master.shippingMethods');
    return { list: () => methods.listShippingMethods(), put: (key, value, id) => methods.putShippingMethod(key, value, id) };
  },
};

/** Every reference set, by the master key that governs it. */
export const REFERENCE_SETS: { [K in ReferenceSetKey]: ReferenceSet<K extends 'salesTaxes' ? SalesTaxValue : ShippingMethodValue> } = { salesTaxes, shippingMethods };

/** The sets both connectors of the pair carry (the others are named by `dovetail check`). */
export function carriedReferenceSets(ctx: Pick<EngineContext, 'store' | 'inventory'>): ReferenceSetKey[] {
  return (Object.keys(REFERENCE_SETS) as ReferenceSetKey[]).filter((k) => hasCapability(ctx.store, REFERENCE_SETS[k].group) && hasCapability(ctx.inventory, REFERENCE_SETS[k].group));
}

/** Snapshots of a set are kept under one record, one field group per item key: one read gives them all. */
const SNAPSHOT_KIND = 'referenceSet';

export const referenceSetSync: JobHandler = {
  kind: JOB.referenceSet,
  batch: 2,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const key = job.key as ReferenceSetKey;
    if (!(key in REFERENCE_SETS)) throw new DovetailError('permanent', `no reference set ${job.key}: expected ${Object.keys(REFERENCE_SETS).join(' or ')}`);
    await syncSet(ctx, key, REFERENCE_SETS[key] as ReferenceSet<unknown>);
  }),
};

/**
 * One pass over a set: one read per side, one write per item that differs. An item the target
 * refuses fails alone: the others are written and recorded, then the job fails naming each item
 * that did not go (retried when the failure is transient, listed when not).
 */
async function syncSet<V>(ctx: EngineContext, masterKey: ReferenceSetKey, set: ReferenceSet<V>): Promise<void> {
  const store = set.access(ctx.store);
  const inventory = set.access(ctx.inventory);
  const [inStore, inInventory] = await Promise.all([store.list(), inventory.list()]);
  const snapshots = await ctx.storage.snapshots(SNAPSHOT_KIND, masterKey);
  const master = ctx.config.master[masterKey];
  const masterSystem = master === 'store' ? ctx.store.system : ctx.inventory.system;
  const otherSystem = master === 'store' ? ctx.inventory.system : ctx.store.system;
  const [masterSet, otherSet, other] = master === 'store' ? [inStore, inInventory, inventory] : [inInventory, inStore, store];
  const setting = `master.${masterKey}=${master}`;
  const failed: { key: string; error: unknown }[] = [];

  for (const key of [...new Set([...inStore.keys(), ...inInventory.keys()])].sort()) {
    const lastSynced = snapshots.get(key) as V | undefined;
    const decision = decideSetItem({ masterKey, noun: set.noun, inStore: inStore.get(key)?.value, inInventory: inInventory.get(key)?.value, lastSynced, config: ctx.config });
    const value = masterSet.get(key)?.value;
    if (decision.action === 'absent') continue;
    if (decision.action === 'same') {
      // equal (our own write seen back, or a conflict settled by hand): remember it, close any conflict
      await ctx.storage.transaction(async (tx) => {
        if (!isDeepStrictEqual(lastSynced, value)) await tx.putSnapshot(SNAPSHOT_KIND, masterKey, key, value);
        await tx.resolveConflicts(set.recordKind, key, masterKey);
      });
      continue;
    }
    if (decision.action === 'flag') {
      const otherValue = otherSet.get(key)?.value ?? null;
      const flagged = await ctx.storage.flagConflict({ recordKind: set.recordKind, recordKey: key, fieldGroup: masterKey, masterSystem,
        masterValue: JSON.stringify(value ?? null), otherValue: JSON.stringify(otherValue) });
      if (flagged) {
        await ctx.storage.audit({ recordKind: set.recordKind, recordKey: key, action: `${set.recordKind}.conflict`, fromSystem: otherSystem,
          setting: `${setting}, ownership.onConflict=${ctx.config.ownership.onConflict}`, result: 'flagged', detail: { master: value ?? null, other: otherValue, why: decision.why } });
      }
      continue;
    }
    const before = otherSet.get(key);
    let written: { id: string; created: boolean };
    try {
      written = await other.put(key, value as V, before?.id ?? null);
    } catch (error) {
      failed.push({ key, error });
      continue;
    }
    failpoint('referenceSet.written');
    await ctx.storage.transaction(async (tx) => {
      await tx.putSnapshot(SNAPSHOT_KIND, masterKey, key, value);
      await tx.resolveConflicts(set.recordKind, key, masterKey);
      await tx.audit({ recordKind: set.recordKind, recordKey: key,
        action: decision.action === 'revert' ? `${set.recordKind}.reverted` : written.created ? `${set.recordKind}.created` : `${set.recordKind}.updated`,
        fromSystem: masterSystem, toSystem: otherSystem, setting: decision.action === 'revert' ? `${setting}, ownership.onConflict=revert` : setting,
        result: 'ok', detail: { value, before: before?.value ?? null, id: written.id, why: decision.why } });
    });
  }
  if (failed.length) {
    const kind = failed.some((f) => failureKindOf(f.error) === 'transient') ? 'transient' : failed.some((f) => failureKindOf(f.error) === 'config') ? 'config' : 'permanent';
    throw new DovetailError(kind, `${failed.length} ${set.noun}${failed.length > 1 ? 's' : ''} not written to ${otherSystem}: ${failed.map((f) => `${f.key}: ${messageOf(f.error)}`).join('; ')}`,
      { detail: { set: masterKey, keys: failed.map((f) => f.key) } });
  }
}
