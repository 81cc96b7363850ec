// Products travel per field group: each group goes from the system `master:` names to the other,
// and a change made by the non-master is reverted or flagged per `ownership.onConflict`.
// Snapshots of the last synced value per group tell a real edit from the echo of our own write.
import { isDeepStrictEqual } from 'node:util';
import { FIELD_GROUPS, MASTER_KEY_OF_GROUP, type FieldGroup, type Product, type ProductFields } from '../../model/product.js';
import { decideProductChange, ownerOf } from '../../rules/ownership.js';
import { allJobs, eachJob, type EngineContext, type JobHandler } from '../context.js';
import { JOB } from '../job-kinds.js';

const settingOf = (ctx: EngineContext, g: FieldGroup) => `master.${MASTER_KEY_OF_GROUP[g]}=${ownerOf(g, ctx.config)}`;

export const productToStore: JobHandler = {
  kind: JOB.productToStore,
  batch: 50,
  async handle(ctx, jobs) {
    const skus = jobs.map((j) => j.key);
    const [source, target] = await Promise.all([ctx.inventory.getProducts(skus), ctx.store.getProducts(skus)]);
    const rows: { product: Product; groups: FieldGroup[] }[] = [];
    for (const sku of skus) {
      const product = source.get(sku);
      if (!product) {
        await ctx.storage.audit({ recordKind: 'product', recordKey: sku, action: 'product.skipped', fromSystem: ctx.inventory.system, result: 'not found in the inventory system (deleted or renamed SKU)' });
        continue;
      }
      const snaps = await ctx.storage.snapshots('product', sku);
      const exists = target.has(sku);
      const groups = FIELD_GROUPS.filter((g) => product.fields[g] !== undefined && (
        !exists || (ownerOf(g, ctx.config) === 'inventory' && !isDeepStrictEqual(product.fields[g], snaps.get(g)))));
      if (groups.length) rows.push({ product, groups });
    }
    if (!rows.length) return allJobs(jobs, null);
    try {
      const results = await ctx.store.upsertProducts(rows);
      const created = new Map(results.map((r) => [r.sku, r.created]));
      for (const { product, groups } of rows) {
        for (const g of groups) await ctx.storage.putSnapshot('product', product.sku, g, product.fields[g]);
        await ctx.storage.audit({
          recordKind: 'product', recordKey: product.sku, action: created.get(product.sku) ? 'product.created' : 'product.updated',
          fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting: groups.map((g) => settingOf(ctx, g)).join(', '),
          result: 'ok', detail: { groups, fields: Object.fromEntries(groups.map((g) => [g, product.fields[g]])) },
        });
        // a product new to the store needs its stock too
        if (created.get(product.sku)) await ctx.storage.enqueue({ kind: JOB.stock, key: product.sku, reason: 'product created in the store' });
      }
      return allJobs(jobs, null);
    } catch (err) {
      return allJobs(jobs, err as Error);
    }
  },
};

export const productFromStore: JobHandler = {
  kind: JOB.productFromStore,
  batch: 50,
  async handle(ctx, jobs) {
    const skus = jobs.map((j) => j.key);
    const [storeSide, inventorySide] = await Promise.all([ctx.store.getProducts(skus), ctx.inventory.getProducts(skus)]);
    return eachJob(jobs, async (job) => {
      const sku = job.key;
      const inStore = storeSide.get(sku);
      const inInventory = inventorySide.get(sku);
      if (!inStore) return;
      const snaps = await ctx.storage.snapshots('product', sku);
      const toInventory: Partial<ProductFields> = {};
      const revert: FieldGroup[] = [];
      for (const g of FIELD_GROUPS) {
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
        await ctx.store.upsertProducts([{ product: inInventory, groups: revert }]);
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
