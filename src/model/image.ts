// Product images, as each system holds them and as both sides are compared: an ordered list of
// contents (sha256 of the bytes) and the featured one. Names and ids differ per system; bytes do not.
import { z } from 'zod';

/** One image of a product as one system lists it. */
export interface StoredImage {
  /** the system's own id of it (Tryton: the attachment; Vendure: the asset) */
  ref: string;
  /** its file name there */
  name: string;
  mimeType: string;
  /** sha256 of its bytes when the system remembers it (Dovetail wrote it there); null: not known yet */
  sha256: string | null;
  /** the same key means the same bytes: what a hash worked out by Dovetail is remembered under */
  contentKey: string;
  featured: boolean;
}

/** A product's images in the terms both sides are compared in. */
export const ImageSet = z.object({
  /** sha256 of each image, in display order, each once */
  order: z.array(z.string()),
  /** sha256 of the featured image: the one marked, else the first; null only without images */
  featured: z.string().nullable(),
});
export type ImageSet = z.infer<typeof ImageSet>;

/** The comparable form of a product's images, once each has its hash. */
export function imageSetOf(images: { sha256: string; featured: boolean }[]): ImageSet {
  const order = [...new Set(images.map((i) => i.sha256))];
  const featured = images.find((i) => i.featured)?.sha256 ?? order[0] ?? null;
  return { order, featured };
}

export const sameImages = (a: ImageSet, b: ImageSet) => a.featured === b.featured && a.order.length === b.order.length && a.order.every((s, i) => s === b.order[i]);
