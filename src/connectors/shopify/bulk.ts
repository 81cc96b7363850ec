// Bulk operations for first full loads: one `bulkOperationRunQuery` instead of hundreds of
// pages, polled until Shopify has written the JSONL result, then parsed line by line.
import { z } from 'zod';
import { permanent, transient } from '../../errors.js';
import { userErrorFailure } from './client.js';
import { BulkOperationStatus, BulkRunQuery, BulkVariantsWithStock, type Operation } from './operations.js';
import type { ShopifyContext } from './reads.js';

const BulkOp = z.object({
  id: z.string(), status: z.string(), errorCode: z.string().nullable(),
  objectCount: z.string(), url: z.string().nullable(), partialDataUrl: z.string().nullable(),
});

export interface BulkOptions {
  /** waits between status polls, in ms; the last one repeats */
  pollScheduleMs?: number[];
  /** polls before giving the job back to the engine as transient */
  maxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Starts a bulk query, waits for it and returns its JSONL text ('' when it matched nothing). */
export async function runBulkQuery(ctx: ShopifyContext, inner: Operation, opts: BulkOptions = {}): Promise<string> {
  if (!inner.bulkInner) throw new Error(`${inner.name} is not a bulk inner query`);
  const started = await ctx.client.request(BulkRunQuery, { query: inner.document }, z.object({
    bulkOperationRunQuery: z.object({
      bulkOperation: z.object({ id: z.string(), status: z.string() }).nullable(),
      userErrors: z.array(z.object({ code: z.string().nullable(), field: z.array(z.string()).nullable(), message: z.string() })),
    }),
  }));
  const { bulkOperation, userErrors } = started.bulkOperationRunQuery;
  if (userErrors.length || !bulkOperation) {
    // OPERATION_IN_PROGRESS: another bulk query of this app is running; try again later
    if (userErrors.some((e) => e.code === 'OPERATION_IN_PROGRESS' || e.code === 'LIMIT_REACHED')) {
      throw transient(`Shopify bulk query ${inner.name}: ${userErrors.map((e) => e.message).join('; ')}`, { retryAfterSeconds: 60 });
    }
    throw userErrorFailure('bulkOperationRunQuery', userErrors, { query: inner.name });
  }
  const schedule = opts.pollScheduleMs ?? [1000, 2000, 5000, 10_000];
  const sleep = opts.sleep ?? ((ms: number) => ctx.client.wait(ms));
  const maxPolls = opts.maxPolls ?? 720;
  for (let poll = 0; poll < maxPolls; poll++) {
    await sleep(schedule[Math.min(poll, schedule.length - 1)]!);
    const { bulkOperation: op } = await ctx.client.request(BulkOperationStatus, { id: bulkOperation.id }, z.object({ bulkOperation: BulkOp.nullable() }));
    if (!op) throw permanent(`bulk operation ${bulkOperation.id} disappeared`);
    if (op.status === 'COMPLETED') return op.url ? ctx.client.download(op.url) : '';
    if (['FAILED', 'CANCELED', 'CANCELING', 'EXPIRED'].includes(op.status)) {
      throw transient(`bulk operation ${op.id} ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ''}`);
    }
  }
  throw transient(`bulk operation ${bulkOperation.id} still running after ${maxPolls} polls`, { retryAfterSeconds: 60 });
}

/** Parses JSONL: one JSON object a line; blank lines skipped; a broken line names its number. */
export function parseJsonl(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try { v = JSON.parse(line); } catch { throw permanent(`bulk result line ${i + 1} is not JSON`); }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw permanent(`bulk result line ${i + 1} is not an object`);
    out.push(v as Record<string, unknown>);
  });
  return out;
}

const VariantLine = z.object({ id: z.string(), sku: z.string().nullable(), inventoryItem: z.object({ id: z.string() }) });
const LevelLine = z.object({
  location: z.object({ id: z.string() }),
  quantities: z.array(z.object({ name: z.string(), quantity: z.number().int() })),
  __parentId: z.string(),
});

export interface StockSnapshotRow { inventoryItemId: string; levels: Map<string, number> }

/**
 * SKU -> inventory item and `available` per location, from BulkVariantsWithStock's JSONL. Level
 * lines follow their variant and carry its id as `__parentId` (Shopify writes children after parents).
 */
export function stockSnapshotFromJsonl(text: string): Map<string, StockSnapshotRow> {
  const byVariant = new Map<string, StockSnapshotRow & { sku: string | null }>();
  for (const obj of parseJsonl(text)) {
    if ('__parentId' in obj) {
      const level = LevelLine.safeParse(obj);
      if (!level.success) throw permanent('bulk result: an inventory level line without the documented shape');
      const parent = byVariant.get(level.data.__parentId);
      if (!parent) throw permanent(`bulk result: level of unknown variant ${level.data.__parentId}`);
      parent.levels.set(level.data.location.id, level.data.quantities.find((q) => q.name === 'available')?.quantity ?? 0);
      continue;
    }
    const v = VariantLine.safeParse(obj);
    if (!v.success) throw permanent('bulk result: a variant line without the documented shape');
    byVariant.set(v.data.id, { sku: v.data.sku, inventoryItemId: v.data.inventoryItem.id, levels: new Map() });
  }
  const out = new Map<string, StockSnapshotRow>();
  for (const row of byVariant.values()) if (row.sku) out.set(row.sku, { inventoryItemId: row.inventoryItemId, levels: row.levels });
  return out;
}

export async function stockSnapshot(ctx: ShopifyContext, opts: BulkOptions = {}): Promise<Map<string, StockSnapshotRow>> {
  return stockSnapshotFromJsonl(await runBulkQuery(ctx, BulkVariantsWithStock, opts));
}
