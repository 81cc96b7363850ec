// Products travel per field group: each group goes from the system `master:` names to the other,
// and a change made by the non-master is reverted or flagged per `ownership.onConflict`.
// Snapshots of the last synced value per group tell a real edit from the echo of our own write.
import { isDeepStrictEqual } from 'node:util';
import { permanent } from '../../errors.js';
import { FIELD_GROUPS, MASTER_KEY_OF_GROUP, type FieldGroup, type Product, type ProductFields } from '../../model/product.js';
import { decideProductChange, ownerOf } from '../../rules/ownership.js';
import type { WriteResult } from '../../connectors/types.js';
import { allJobs, eachJob, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import { pairLacks } from '../../config/coverage.js';

const settingOf = (ctx: EngineContext, g: FieldGroup) => `master.${MASTER_KEY_OF_GROUP[g]}=${ownerOf(g, ctx.config)}`;

/** The field groups the chosen pair carries: one a connector says it cannot (`cannotCarry`, e.g. price levels on Shopify) is not sent, nor audited as sent. */
const groupsCarried = (ctx: EngineContext) => FIELD_GROUPS.filter((g) =>
  !pairLacks(ctx.config, { store: ['catalogue'], inventory: ['catalogue'] }, `master.${MASTER_KEY_OF_GROUP[g]}`, ownerOf(g, ctx.config)).length);

export const productToStore: JobHandler = {
  kind: JOB.productToStore,
  batch: 50,
  async handle(ctx, jobs) {
    const skus = [...new Set(jobs.map((j) => j.key))];
    const [source, target] = await Promise.all([ctx.inventory.getProducts(skus), ctx.store.getProducts(skus)]);
    const rows: { product: Product; groups: FieldGroup[] }[] = [];
    const carried = groupsCarried(ctx);
    // an inventory-side edit of a store-owned group that could not be answered fails its SKU alone
    const unanswered = new Map<string, Error>();
    for (const sku of skus) {
      const product = source.get(sku);
      if (!product) {
        await ctx.storage.audit({ recordKind: 'product', recordKey: sku, action: 'product.skipped', fromSystem: ctx.inventory.system, result: 'not found in the inventory system (deleted or renamed SKU)' });
        continue;
      }
      const snaps = await ctx.storage.snapshots('product', sku);
      const inStore = target.get(sku);
      const groups = carried.filter((g) => product.fields[g] !== undefined && (
        !inStore || (ownerOf(g, ctx.config) === 'inventory' && !isDeepStrictEqual(product.fields[g], snaps.get(g)))));
      if (groups.length) rows.push({ product, groups });
      if (inStore) await answerInventoryEdits(ctx, carried, product, inStore, snaps).catch((err: Error) => unanswered.set(sku, err));
    }
    const outcome = (failed: Map<string, Error>) => new Map(jobs.map((j) => [j.id, failed.get(j.key) ?? unanswered.get(j.key) ?? null]));
    if (!rows.length) return outcome(new Map());
    let results: WriteResult[];
    try {
      results = await ctx.store.upsertProducts(rows);
    } catch (err) {
      return allJobs(jobs, err as Error); // the store could not be written at all: every job tries again
    }
    failpoint('product.written');
    // each SKU has its own outcome: one the store refused fails alone, the rest are done
    const bySku = new Map(results.map((r) => [r.sku, r]));
    const failed = new Map<string, Error>();
    for (const row of rows) {
      const result = bySku.get(row.product.sku) ?? { sku: row.product.sku, error: permanent(`the ${ctx.store.system} connector answered nothing for ${row.product.sku}`) };
      if ('error' in result) failed.set(row.product.sku, result.error);
      else await recordWrite(ctx, row, result);
    }
    return outcome(failed);
  },
};

/**
 * Edits made in the inventory system to groups the store owns (master.*=store): a value that
 * differs from what Dovetail last synced is the inventory's own edit, reverted (the store's value
 * written back) or flagged per ownership.onConflict. A group never synced has no known baseline
 * and is left to the store's feed.
 */
async function answerInventoryEdits(ctx: EngineContext, carried: FieldGroup[], product: Product, inStore: Product, snaps: Map<string, unknown>) {
  const sku = product.sku;
  const revert: Partial<ProductFields> = {};
  for (const g of carried) {
    const value = product.fields[g];
    if (value === undefined || ownerOf(g, ctx.config) !== 'store' || !snaps.has(g)) continue;
    const decision = decideProductChange({ group: g, changedIn: 'inventory', value, lastSynced: snaps.get(g), config: ctx.config });
    if (decision.action === 'ignore' || decision.action === 'propagate') continue;
    const master = inStore.fields[g];
    if (decision.action === 'revert' && master !== undefined) {
      Object.assign(revert, { [g]: master });
      continue;
    }
    const flagged = await ctx.storage.flagConflict({ recordKind: 'product', recordKey: sku, fieldGroup: g, masterSystem: ctx.store.system,
      masterValue: JSON.stringify(master ?? snaps.get(g) ?? null), otherValue: JSON.stringify(value) });
    if (flagged) await ctx.storage.audit({ recordKind: 'product', recordKey: sku, action: 'product.conflict', fromSystem: ctx.inventory.system,
      setting: `${settingOf(ctx, g)}, ownership.onConflict=${ctx.config.ownership.onConflict}`, result: 'flagged', detail: { group: g, inventory: value, master: master ?? null, why: decision.why } });
  }
  if (!Object.keys(revert).length) return;
  await ctx.inventory.writeProductFields([{ sku, fields: revert }]);
  for (const [g, restored] of Object.entries(revert)) {
    await ctx.storage.transaction(async (tx) => {
      await tx.putSnapshot('product', sku, g, restored);
      await tx.resolveConflicts('product', sku, g);
      await tx.audit({ recordKind: 'product', recordKey: sku, action: 'product.reverted', fromSystem: ctx.store.system, toSystem: ctx.inventory.system,
        setting: `${settingOf(ctx, g as FieldGroup)}, ownership.onConflict=revert`, result: 'ok', detail: { group: g, inventoryValue: product.fields[g as FieldGroup], restored } });
    });
  }
}

/**
 * What one product written to the store leaves behind, in one transaction: the snapshots, the
 * audit entry and, the first time Dovetail sees the product in the store, its stock job. The
 * first time, not only when this attempt created it: a product made by an attempt that crashed
 * before recording it is found (not created) by the retry, and still needs its stock.
 */
async function recordWrite(ctx: EngineContext, { product, groups }: { product: Product; groups: FieldGroup[] }, result: { id: string; created: boolean }) {
  await ctx.storage.transaction(async (tx) => {
    for (const g of groups) await tx.putSnapshot('product', product.sku, g, product.fields[g]);
    await tx.audit({
      recordKind: 'product', recordKey: product.sku, action: result.created ? 'product.created' : 'product.updated',
      fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting: groups.map((g) => settingOf(ctx, g)).join(', '),
      result: 'ok', detail: { groups, fields: Object.fromEntries(groups.map((g) => [g, product.fields[g]])) },
    });
    if (!(await tx.mapping(ctx.store.system, MAPPING.product, product.sku))) {
      await tx.enqueue({ kind: JOB.stock, key: product.sku, reason: result.created ? 'product created in the store' : 'product new to Dovetail in the store' });
      await tx.putMapping(ctx.store.system, MAPPING.product, product.sku, result.id);
    }
  });
}

export const productFromStore: JobHandler = {
  kind: JOB.productFromStore,
  batch: 50,
  async handle(ctx, jobs) {
    const skus = jobs.map((j) => j.key);
    const [storeSide, inventorySide] = await Promise.all([ctx.store.getProducts(skus), ctx.inventory.getProducts(skus)]);
    const carried = groupsCarried(ctx);
    return eachJob(jobs, async (job) => {
      const sku = job.key;
      const inStore = storeSide.get(sku);
      const inInventory = inventorySide.get(sku);
      if (!inStore) return;
      const snaps = await ctx.storage.snapshots('product', sku);
      const toInventory: Partial<ProductFields> = {};
      const revert: FieldGroup[] = [];
      for (const g of carried) {
        const value = inStore.fields[g];
        if (value === undefined) continue;
        // A product the store had before Dovetail knew it: the inventory's value is the baseline.
        const lastSynced = snaps.has(g) ? snaps.get(g) : inInventory?.fields[g];
        const decision = decideProductChange({ group: g, changedIn: 'store', value, lastSynced, config: ctx.config });
        const base = { recordKind: 'product', recordKey: sku, fromSystem: ctx.store.system, setting: settingOf(ctx, g) };
        if (decision.action === 'propagate') {
          if (!inInventory) continue;
          Object.assign(toInventory, { [g]: value });
        } else if (decision.action === 'revert' && inInventory?.fields[g] !== undefined) {
          revert.push(g);
        } else if (decision.action === 'flag' || decision.action === 'revert') {
          const flagged = await ctx.storage.flagConflict({ recordKind: 'product', recordKey: sku, fieldGroup: g, masterSystem: ctx.inventory.system,
            masterValue: JSON.stringify(inInventory?.fields[g] ?? lastSynced ?? null), otherValue: JSON.stringify(value) });
          if (flagged) await ctx.storage.audit({ ...base, action: 'product.conflict', setting: `${base.setting}, ownership.onConflict=${ctx.config.ownership.onConflict}`, result: 'flagged', detail: { group: g, store: value, master: inInventory?.fields[g] ?? null, why: decision.why } });
        }
      }
      if (Object.keys(toInventory).length && inInventory) {
        await ctx.inventory.writeProductFields([{ sku, fields: toInventory }]);
        for (const [g, v] of Object.entries(toInventory)) {
          await ctx.storage.putSnapshot('product', sku, g, v);
          await ctx.storage.audit({ recordKind: 'product', recordKey: sku, action: 'product.updated', fromSystem: ctx.store.system, toSystem: ctx.inventory.system, setting: settingOf(ctx, g as FieldGroup), result: 'ok', detail: { group: g, value: v } });
        }
      }
      if (revert.length && inInventory) {
        for (const r of await ctx.store.upsertProducts([{ product: inInventory, groups: revert }])) if ('error' in r) throw r.error;
        for (const g of revert) {
          await ctx.storage.putSnapshot('product', sku, g, inInventory.fields[g]);
          await ctx.storage.resolveConflicts('product', sku, g);
          await ctx.storage.audit({ recordKind: 'product', recordKey: sku, action: 'product.reverted', fromSystem: ctx.inventory.system, toSystem: ctx.store.system,
            setting: `${settingOf(ctx, g)}, ownership.onConflict=revert`, result: 'ok', detail: { group: g, storeValue: inStore.fields[g], restored: inInventory.fields[g] } });
        }
      }
    });
  },
};
