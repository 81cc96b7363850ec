// Publishes available-to-sell per SKU. Jobs for one SKU coalesce while they wait (debounce),
// and a batch of SKUs is read in one call and written in one call, with an outcome per SKU.
// With inventory.incoming, what open purchases bring in follows in the same job.
import { capability, lacking, type StockWriteResult } from '../../connectors/types.js';
import { availableToSell } from '../../rules/available-to-sell.js';
import { incomingForStore } from '../../rules/incoming-stock.js';
import { liveInventory } from '../../rules/live-inventory.js';
import { allJobs, type EngineContext, type JobHandler } from '../context.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import type { AuditEntry } from '../../store/storage.js';

export const stockToStore: JobHandler = {
  kind: JOB.stock,
  batch: 100,
  async handle(ctx, jobs) {
    const { rules, inventory: inv } = ctx.config;
    if (!liveInventory(rules)) return allJobs(jobs, null);
    const skus = [...new Set(jobs.map((j) => j.key))];
    try {
      const { rows, why, unknown } = await publishedStock(ctx, skus);
      // the batch's audit entries are written together, at the end
      const trail: AuditEntry[] = [];
      for (const sku of unknown) {
        trail.push({ recordKind: 'stock', recordKey: sku, action: 'stock.skipped', fromSystem: ctx.inventory.system, result: 'SKU not found in the inventory system' });
      }
      const results = rows.length ? await ctx.store.setAvailable(rows) : [];
      const setting = `rules.liveInventory=true, rules.deductAllocated=${rules.deductAllocated}, inventory.safetyStock=${inv.safetyStock}`;
      // each SKU has its own outcome: one the store refused fails alone, the rest are done
      const failed = new Map<string, Error>();
      for (const r of results) {
        if ('error' in r) { failed.set(r.sku, r.error); continue; }
        trail.push({
          recordKind: 'stock', recordKey: r.sku, action: r.written ? 'stock.published' : 'stock.unchanged',
          fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting,
          result: r.written ? 'ok' : 'store already showed this', detail: why.get(r.sku),
        });
      }
      for (const r of await incomingToStore(ctx, rows.map((r) => r.sku))) if ('error' in r && !failed.has(r.sku)) failed.set(r.sku, r.error);
      const answered = new Set(results.map((r) => r.sku));
      for (const { sku } of rows.filter((r) => !answered.has(r.sku))) {
        trail.push({ recordKind: 'stock', recordKey: sku, action: 'stock.skipped', fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting,
          result: 'SKU not in the store (yet): its stock is published once the product is created there', detail: why.get(sku) });
      }
      await ctx.storage.auditAll(trail);
      return new Map(jobs.map((j) => [j.id, failed.get(j.key) ?? null]));
    } catch (err) {
      return allJobs(jobs, err as Error);
    }
  },
};

/**
 * What the store is to sell of each SKU, as the settings compute it from the inventory's stock
 * (the stock job publishes it; reconcile compares the store with it). `unknown`: SKUs the
 * inventory system does not have.
 */
export async function publishedStock(ctx: EngineContext, skus: string[]) {
  const { rules, inventory: inv } = ctx.config;
  const positions = await ctx.inventory.getStock(skus);
  const saleIds = [...new Set([...positions.values()].flatMap((p) => p.allocations.map((a) => a.saleId)))];
  // Sales made from store orders are already reserved by the store itself: deducting them
  // again would count each web order twice.
  const storeSales = await ctx.storage.keysForExternalIds(ctx.inventory.system, MAPPING.sale, saleIds);
  const rows: { sku: string; available: number }[] = [];
  const why = new Map<string, { onHand: number; allocatedOffline: number; safetyStock: number; available: number }>();
  const unknown: string[] = [];
  for (const sku of skus) {
    const p = positions.get(sku);
    if (!p) { unknown.push(sku); continue; }
    const allocatedOffline = p.allocations.filter((a) => !storeSales.has(a.saleId)).reduce((n, a) => n + a.quantity, 0);
    const available = availableToSell({ onHand: p.onHand, allocatedOffline, safetyStock: inv.safetyStock, deductAllocated: rules.deductAllocated });
    rows.push({ sku, available });
    why.set(sku, { onHand: p.onHand, allocatedOffline, safetyStock: inv.safetyStock, available });
  }
  return { rows, why, unknown };
}

/**
 * Shows what open purchases will bring in for these SKUs (inventory.incoming: show, backorder),
 * and puts the store back when they arrive or are cancelled. A pair that does not carry it is
 * said by `dovetail check`; its stock is still published.
 */
async function incomingToStore(ctx: EngineContext, skus: string[]): Promise<StockWriteResult[]> {
  const setting = ctx.config.inventory.incoming;
  if (setting === 'none' || !skus.length || lacking([ctx.store, 'incoming'], [ctx.inventory, 'incoming'])) return [];
  const incoming = await capability(ctx.inventory, 'incoming', `inventory.incoming: ${setting}`).getIncoming(skus);
  const rows = skus.map((sku) => ({ sku, ...incomingForStore(setting, incoming.get(sku)) }));
  const results = await capability(ctx.store, 'incoming', `inventory.incoming: ${setting}`).setIncoming(rows);
  const bySku = new Map(rows.map((r) => [r.sku, r]));
  for (const r of results) {
    if ('error' in r) continue;
    const { quantity, expectedDate, backorder } = bySku.get(r.sku)!;
    await ctx.storage.audit({
      recordKind: 'stock', recordKey: r.sku, action: r.written ? 'stock.incoming' : 'stock.incoming.unchanged',
      fromSystem: ctx.inventory.system, toSystem: ctx.store.system, setting: `inventory.incoming=${setting}`,
      result: r.written ? (quantity ? `${quantity} incoming${expectedDate ? ` on ${expectedDate}` : ''}${backorder ? ', sold ahead as back-orders' : ''}` : 'nothing incoming') : 'store already showed this',
      detail: { quantity, expectedDate, backorder },
    });
  }
  return results;
}
