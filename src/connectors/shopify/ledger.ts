// Dovetail's notes on one Shopify order, kept in a JSON metafield (dovetail.ledger): before a
// capture or a fulfilment it writes what it is about to do, after it the id Shopify gave. Shopify
// keeps no caller's key on captures or fulfilments, so this is how a retry finds its own work.
import { z } from 'zod';
import { transient } from '../../errors.js';
import { userErrorFailure } from './client.js';
import { LEDGER_KEY, LedgerSet, METAFIELD_NAMESPACE } from './operations.js';
import type { ShopifyContext } from './reads.js';

const Entry = z.object({
  /** what Shopify made for this key; empty while only the intent is written */
  ids: z.array(z.string()),
  /** records of this kind the order had when the intent was written: anything newer and unclaimed is ours */
  known: z.array(z.string()),
  amountMinor: z.number().int().optional(),
});
export type LedgerEntry = z.infer<typeof Entry>;

const Notes = z.object({
  captures: z.record(z.string(), Entry).default({}),
  fulfilments: z.record(z.string(), Entry).default({}),
});
export type LedgerNotes = z.infer<typeof Notes>;
export type LedgerArea = keyof LedgerNotes;

/** The ledger as read with its order, and the digest a write must present. */
export interface Ledger { notes: LedgerNotes; digest: string | null }

export const LedgerField = z.object({ value: z.string(), compareDigest: z.string() }).nullable();

export function readLedger(field: z.infer<typeof LedgerField>): Ledger {
  if (!field) return { notes: { captures: {}, fulfilments: {} }, digest: null };
  return { notes: Notes.parse(JSON.parse(field.value)), digest: field.compareDigest };
}

/** Ids of `area` some key has claimed (an entry's made ids). */
export const claimedIds = (ledger: Ledger, area: LedgerArea) => new Set(Object.values(ledger.notes[area]).flatMap((e) => e.ids));

/**
 * The records an interrupted attempt made for `entry`: present now, unknown when its intent was
 * written, and claimed by no other key.
 */
export function madeSinceIntent<T extends { id: string }>(ledger: Ledger, area: LedgerArea, entry: LedgerEntry, present: T[]): T[] {
  const claimed = claimedIds(ledger, area);
  return present.filter((r) => !entry.known.includes(r.id) && !claimed.has(r.id));
}

/**
 * Writes one entry, compare-and-set on the digest read: a concurrent write in between is refused
 * by Shopify and comes back as transient, so the job is retried on fresh notes.
 */
export async function writeEntry(ctx: ShopifyContext, orderId: string, ledger: Ledger, area: LedgerArea, key: string, entry: LedgerEntry): Promise<Ledger> {
  const notes: LedgerNotes = { ...ledger.notes, [area]: { ...ledger.notes[area], [key]: entry } };
  const d = await ctx.client.request(LedgerSet, { metafields: [{
    ownerId: orderId, namespace: METAFIELD_NAMESPACE, key: LEDGER_KEY, type: 'json', value: JSON.stringify(notes),
    compareDigest: ledger.digest,
  }] }, z.object({ metafieldsSet: z.object({
    metafields: z.array(z.object({ key: z.string(), compareDigest: z.string() })).nullable(),
    userErrors: z.array(z.object({ code: z.string().nullable(), field: z.array(z.string()).nullable(), message: z.string() })),
  }) }));
  const errors = d.metafieldsSet.userErrors;
  if (errors.some((e) => e.code === 'STALE_OBJECT' || e.code === 'INVALID_COMPARE_DIGEST')) {
    throw transient(`Dovetail's notes on order ${orderId} changed while being written; read again`);
  }
  if (errors.length || !d.metafieldsSet.metafields?.[0]) throw userErrorFailure('metafieldsSet', errors, { orderId });
  return { notes, digest: d.metafieldsSet.metafields[0].compareDigest };
}
