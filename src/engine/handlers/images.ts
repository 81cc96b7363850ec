// Product images travel from the system master.productImages names to the other, compared by the
// sha256 of their bytes: an image is uploaded once per content, moved and removed to match the
// master's order, and an edit made by the non-master is reverted or flagged per ownership.onConflict.
import { capability, type ProductImages } from '../../connectors/types.js';
import { spoolImage, type ImageFile } from '../../connectors/image-files.js';
import { DovetailError } from '../../errors.js';
import { ImageSet, imageSetOf, sameImages, type StoredImage } from '../../model/image.js';
import { decideImages, planImages } from '../../rules/images.js';
import type { Side } from '../../rules/ownership.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import { eachJob, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';

/** One side of the images flow: its connector's images and its system's name. */
interface ImageSide { side: Side; system: string; images: ProductImages }

type HashedImage = StoredImage & { sha256: string };

export const productImages: JobHandler = {
  kind: JOB.productImages,
  batch: 10,
  async handle(ctx, jobs) {
    const why = 'master.productImages: product images are kept in step';
    const store: ImageSide = { side: 'store', system: ctx.store.system, images: capability(ctx.store, 'images', why) };
    const inventory: ImageSide = { side: 'inventory', system: ctx.inventory.system, images: capability(ctx.inventory, 'images', why) };
    const [master, other] = ctx.config.master.productImages === 'store' ? [store, inventory] : [inventory, store];
    return eachJob(jobs, (job) => syncImages(ctx, master, other, job.key));
  },
};

async function syncImages(ctx: EngineContext, master: ImageSide, other: ImageSide, sku: string): Promise<void> {
  const setting = `master.productImages=${master.side}`;
  const [masterList, otherList] = await Promise.all([master.images.listImages(sku), other.images.listImages(sku)]);
  if (!masterList || !otherList) {
    // the product flow makes the product; its first images come with the store's next change of it
    const missingIn = !masterList ? master.system : other.system;
    await ctx.storage.audit({ recordKind: 'images', recordKey: sku, action: 'images.skipped', fromSystem: master.system, toSystem: other.system, setting,
      result: `no product with this SKU in ${missingIn} yet` });
    return;
  }
  const files = new Map<string, ImageFile>();
  try {
    const masterImages = await withHashes(ctx, master, masterList, files);
    const otherImages = await withHashes(ctx, other, otherList, files);
    const masterSet = imageSetOf(masterImages);
    const otherSet = imageSetOf(otherImages);
    const snapshot = ImageSet.safeParse((await ctx.storage.snapshots('images', sku)).get('images'));
    const lastSynced = snapshot.success ? snapshot.data : undefined;
    const decision = decideImages({ master: masterSet, other: otherSet, lastSynced, config: ctx.config });
    if (decision.action === 'ignore') {
      if (!lastSynced || !sameImages(lastSynced, masterSet)) await ctx.storage.putSnapshot('images', sku, 'images', masterSet);
      return;
    }
    if (decision.action === 'flag') {
      const flagged = await ctx.storage.flagConflict({ recordKind: 'product', recordKey: sku, fieldGroup: 'images', masterSystem: master.system,
        masterValue: JSON.stringify(masterSet), otherValue: JSON.stringify(otherSet) });
      if (flagged) {
        await ctx.storage.audit({ recordKind: 'images', recordKey: sku, action: 'images.conflict', fromSystem: other.system, setting: `${setting}, ownership.onConflict=flag`,
          result: 'flagged', detail: { master: masterSet, other: otherSet, why: decision.why } });
      }
      return;
    }
    const plan = planImages(masterSet, otherImages);
    const shown: { ref: string; sha256: string }[] = [];
    let uploaded = 0;
    for (const want of plan.wanted) {
      if (want.ref) { shown.push({ ref: want.ref, sha256: want.sha256 }); continue; }
      const file = files.get(want.sha256) ?? await download(master, masterImages.find((i) => i.sha256 === want.sha256)!, files);
      const put = await other.images.putImage(sku, file);
      if (put.created) uploaded++;
      shown.push({ ref: put.ref, sha256: want.sha256 });
    }
    failpoint('images.uploaded');
    await other.images.setImages(sku, shown, shown.find((s) => s.sha256 === masterSet.featured)?.ref ?? null);
    const reverted = decision.action === 'revert';
    await ctx.storage.transaction(async (tx) => {
      await tx.putSnapshot('images', sku, 'images', masterSet);
      if (reverted) await tx.resolveConflicts('product', sku, 'images');
      await tx.audit({ recordKind: 'images', recordKey: sku, action: reverted ? 'images.reverted' : 'images.copied', fromSystem: master.system, toSystem: other.system,
        setting: reverted ? `${setting}, ownership.onConflict=revert` : setting, result: 'ok',
        detail: { images: masterSet.order.length, uploaded, removed: plan.remove.length, featured: masterSet.featured, ...(reverted ? { why: decision.why, was: otherSet } : {}) } });
    });
  } finally {
    await Promise.all([...files.values()].map((f) => f.remove()));
  }
}

/**
 * Each image with its sha256: remembered by its system, or by Dovetail from an earlier download
 * of the same bytes (same content key), or worked out now by downloading it (kept for an upload).
 */
async function withHashes(ctx: EngineContext, side: ImageSide, images: StoredImage[], files: Map<string, ImageFile>): Promise<HashedImage[]> {
  const out: HashedImage[] = [];
  for (const image of images) {
    let sha256 = image.sha256 ?? await ctx.storage.mapping(side.system, MAPPING.imageHash, image.contentKey);
    if (!sha256) {
      sha256 = (await download(side, image, files)).sha256;
      await ctx.storage.putMapping(side.system, MAPPING.imageHash, image.contentKey, sha256);
    }
    out.push({ ...image, sha256 });
  }
  return out;
}

/** Streams one image to a temporary file, hashing it on the way. */
async function download(side: ImageSide, image: StoredImage, files: Map<string, ImageFile>): Promise<ImageFile> {
  const file = await spoolImage(await side.images.openImage(image), { name: image.name, mimeType: image.mimeType });
  if (image.sha256 && image.sha256 !== file.sha256) {
    await file.remove();
    throw new DovetailError('transient', `${side.system} image ${image.name} no longer holds the bytes it was listed with: compared again on the next try`);
  }
  const earlier = files.get(file.sha256);
  if (earlier) await earlier.remove();
  files.set(file.sha256, file);
  return file;
}
