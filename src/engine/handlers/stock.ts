// Publishes available-to-sell per SKU. Jobs for one SKU coalesce while they wait (debounce),
// and a batch of SKUs is read in one call and written in one call, with an outcome per SKU.
import { availableToSell } from '../../rules/available-to-sell.js';
import { liveInventory } from '../../rules/live-inventory.js';
import { allJobs, type JobHandler } from '../context.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';

export const stockToStore: JobHandler = {
  kind: JOB.stock,
  batch: 100,
  async handle(ctx, jobs) {
    const { rules, inventory: inv } = ctx.config;
    if (!liveInventory(rules)) return allJobs(jobs, null);
    const skus = [...new Set(jobs.map((j) => j.key))];
    try {
      const positions = await ctx.inventory.getStock(skus);
      const saleIds = [...new Set([...positions.values()].flatMap((p) => p.allocations.map((a) => a.saleId)))];
      // Sales made from store orders are already reserved by the store itself: deducting them
      // again would count each web order twice.
      const storeSales = await ctx.storage.keysForExternalIds(ctx.inventory.system, MAPPING.sale, saleIds);
      const rows = [];
      const why = new Map<string, object>();
      for (const sku of skus) {
        const p = positions.get(sku);
        if (!p) {
          await ctx.storage.audit({ recordKind: 'stock', recordKey: sku, action: 'stock.skipped', fromSystem: ctx.inventory.system, result: 'SKU not found in the inventory system' });
          continue;
        }
        const allocatedOffline = p.allocations.filter((a) => !storeSales.has(a.saleId)).reduce((n, a) => n + a.quantity, 0);
        const available = availableToSell({ onHand: p.onHand, allocatedOffline, safetyStock: inv.safetyStock, deductAllocated: rules.deductAllocated });
        rows.push({ sku, available });
        why.set(sku, { onHand: p.onHand, allocatedOffline, safetyStock: inv.safetyStock, available });
      }
      const results = rows.length ? await ctx.store.setAvailable(rows) : [];
      const setting = `rules.liveInventory=true, rules.deductAllocated=${rules.deductAllocated}, inventory.safetyStock=${inv.safetyStock}`;
      // each SKU has its own outcome: one the store refused fails alone, the rest are done
      const failed = new Map<string, Error>();
      for (const r of results) {
        if ('error' in r) { failed.set(r.sku, r.error); continue; }
        await ctx.storage.audit({
          recordKind: 'stock', recordKey: r.sku, action: r.written ? 'stock.published' : 'stock.unchanged',
          fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting,
          result: r.written ? 'ok' : 'store already showed this', detail: why.get(r.sku),
        });
      }
      const answered = new Set(results.map((r) => r.sku));
      for (const { sku } of rows.filter((r) => !answered.has(r.sku))) {
        await ctx.storage.audit({ recordKind: 'stock', recordKey: sku, action: 'stock.skipped', fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting,
          result: 'SKU not in the store (yet): its stock is published once the product is created there', detail: why.get(sku) });
      }
      return new Map(jobs.map((j) => [j.id, failed.get(j.key) ?? null]));
    } catch (err) {
      return allJobs(jobs, err as Error);
    }
  },
};
