// Who may change a product's images (master.productImages) and what to do when the other system
// changed them (ownership.onConflict); and which uploads, moves and removals make one side match.
// Pure: the images handler reads both sides, asks here, and carries the answer out.
import type { Config } from '../config/schema.js';
import { sameImages, type ImageSet } from '../model/image.js';
import type { ProductChangeDecision, Side } from './ownership.js';

const where = (side: Side) => (side === 'store' ? 'the store' : 'the inventory system');

/**
 * Compares the master's images with the other system's and with what Dovetail last synced:
 * - both alike -> ignore (also the echo of Dovetail's own write);
 * - never synced, or the master's changed since -> propagate: the other system is made to match
 *   (a master change wins over an edit the other system made meanwhile);
 * - only the other system's changed -> revert or flag, per ownership.onConflict.
 * The same answers as decideProductChange gives for field groups, seen from both sides at once.
 */
export function decideImages(input: { master: ImageSet; other: ImageSet; lastSynced: ImageSet | undefined; config: Pick<Config, 'master' | 'ownership'> }): ProductChangeDecision {
  const { master, other, lastSynced, config } = input;
  const owner = config.master.productImages;
  const setting = `master.productImages=${owner}`;
  if (sameImages(master, other)) return { action: 'ignore', why: `the images are alike in both systems` };
  if (!lastSynced || !sameImages(master, lastSynced)) return { action: 'propagate' };
  const otherSystem = where(owner === 'store' ? 'inventory' : 'store');
  if (config.ownership.onConflict === 'revert') {
    return { action: 'revert', why: `the images were changed in ${otherSystem}, but ${where(owner)} is their master (${setting}): the master's images are put back (ownership.onConflict=revert)` };
  }
  return { action: 'flag', why: `the images were changed in ${otherSystem}, but ${where(owner)} is their master (${setting}): left as they are and shown as a conflict (ownership.onConflict=flag)` };
}

/** What the other system needs to show the master's images: which of its own to keep (by hash), which to upload, which to take off. */
export interface ImagePlan {
  /** the master's order; `ref` set where the other system already has those bytes */
  wanted: { sha256: string; ref: string | null }[];
  /** the other system's images that are not (or no longer, or twice) among the master's */
  remove: string[];
}

export function planImages(master: ImageSet, other: { ref: string; sha256: string }[]): ImagePlan {
  const refOf = new Map<string, string>();
  for (const o of other) if (!refOf.has(o.sha256)) refOf.set(o.sha256, o.ref);
  const wanted = master.order.map((sha256) => ({ sha256, ref: refOf.get(sha256) ?? null }));
  const kept = new Set(wanted.map((w) => w.ref).filter((r): r is string => r !== null));
  return { wanted, remove: other.filter((o) => !kept.has(o.ref)).map((o) => o.ref) };
}
