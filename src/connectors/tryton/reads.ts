// Changes since a cursor by polling `write_date` / `create_date` (Tryton sets only create_date
// on create). The cursor is the newest timestamp seen; each read starts a few seconds before it
// since a transaction that commits late carries an earlier timestamp; re-read rows are
// recognised downstream by their version.
import { z } from 'zod';
import type { ChangePage, ChangeRef } from '../types.js';
import { fromTrytonDate, trytonDateTime, type TrytonClient } from './client.js';

const OVERLAP_MS = 5_000;
const LIMIT = 2_000;

const Stamped = z.object({ id: z.number(), write_date: z.unknown().optional(), create_date: z.unknown().optional() });

function stampOf(r: z.infer<typeof Stamped>): string {
  const w = r.write_date ? fromTrytonDate(r.write_date) : null;
  const c = r.create_date ? fromTrytonDate(r.create_date) : null;
  return (w && c ? (w > c ? w : c) : (w ?? c ?? new Date(0))).toISOString();
}

const sinceDomain = (since: Date) => ['OR', ['write_date', '>=', trytonDateTime(since)], ['create_date', '>=', trytonDateTime(since)]];

async function changedRows<T extends z.ZodRawShape>(client: TrytonClient, model: string, cursor: string | null, extra: unknown[], shape: T)
  : Promise<{ rows: (z.infer<typeof Stamped> & z.infer<z.ZodObject<T>>)[]; cursor: string; more: boolean }> {
  const since = new Date(cursor ? Date.parse(cursor) - OVERLAP_MS : 0);
  const rows = await client.searchRead(model, [sinceDomain(since), ...extra], ['write_date', 'create_date', ...Object.keys(shape)],
    { limit: LIMIT, order: [['write_date', 'ASC'], ['id', 'ASC']] }, { active_test: false });
  const parsed = z.array(Stamped.extend(shape)).parse(rows) as (z.infer<typeof Stamped> & z.infer<z.ZodObject<T>>)[];
  let newest = cursor ?? since.toISOString();
  for (const r of parsed) { const s = stampOf(r); if (s > newest) newest = s; }
  return { rows: parsed, cursor: newest, more: parsed.length >= LIMIT };
}

/** Variants whose own record or whose template changed. */
export async function productChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  const products = await changedRows(client, 'product.product', cursor, [['code', '!=', null], ['type', '=', 'goods']], { code: z.string().nullable() });
  const templates = await changedRows(client, 'product.template', cursor, [['type', '=', 'goods']], { products: z.array(z.number()) });
  // One version per SKU, the newest of its own and its template's stamps: two versions for one
  // record in one read would each look new against the other on the next (overlapping) read.
  const newestBySku = new Map<string, string>();
  const note = (sku: string, stamp: string) => { if ((newestBySku.get(sku) ?? '') < stamp) newestBySku.set(sku, stamp); };
  for (const p of products.rows) if (p.code) note(p.code, stampOf(p));
  const variantIds = templates.rows.flatMap((t) => t.products);
  if (variantIds.length) {
    const stampByProduct = new Map(templates.rows.flatMap((t) => t.products.map((id) => [id, stampOf(t)] as const)));
    const variants = z.array(z.object({ id: z.number(), code: z.string().nullable() })).parse(
      await client.read('product.product', variantIds, ['code'], { active_test: false }));
    for (const v of variants) if (v.code) note(v.code, stampByProduct.get(v.id) ?? '');
  }
  const changes: ChangeRef[] = [...newestBySku].map(([sku, stamp]) => ({ kind: 'product', key: sku, sourceVersion: `product:${stamp}` }));
  const newest = products.cursor > templates.cursor ? products.cursor : templates.cursor;
  return { changes, cursor: newest, more: products.more || templates.more };
}

/** Every stock move created, done, cancelled or edited changes what a SKU has available. */
export async function stockChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  const moves = await changedRows(client, 'stock.move', cursor, [], { product: z.number(), state: z.string() });
  const newestByProduct = new Map<number, string>();
  for (const m of moves.rows) {
    const s = `${stampOf(m)}:${m.id}:${m.state}`;
    if ((newestByProduct.get(m.product) ?? '') < s) newestByProduct.set(m.product, s);
  }
  if (!newestByProduct.size) return { changes: [], cursor: moves.cursor, more: moves.more };
  const products = z.array(z.object({ id: z.number(), code: z.string().nullable() })).parse(
    await client.read('product.product', [...newestByProduct.keys()], ['code'], { active_test: false }));
  const changes: ChangeRef[] = products.filter((p) => p.code).map((p) => ({ kind: 'stock', key: p.code!, sourceVersion: `move:${newestByProduct.get(p.id)}` }));
  return { changes, cursor: moves.cursor, more: moves.more };
}
