// Product images in Vendure: the product's assets in order and its featured asset. An asset
// Dovetail uploads carries the sha256 of its bytes in its name, so it is found, not uploaded twice.
import { Readable } from 'node:stream';
import { z } from 'zod';
import { DovetailError, httpFailure, transient } from '../../errors.js';
import type { StoredImage } from '../../model/image.js';
import { fileBlob, type ImageFile } from '../image-files.js';
import type { VendureClient } from './client.js';

const AssetNode = z.object({ id: z.string(), name: z.string(), mimeType: z.string(), source: z.string() });
const ProductImages = z.object({ id: z.string(), featuredAsset: z.object({ id: z.string() }).nullable(), assets: z.array(AssetNode) });

/** `front.<sha256>.jpg`: the name Dovetail gives an upload; the extension stays last, where Vendure reads the type from. */
export function uploadName(file: Pick<ImageFile, 'name' | 'sha256'>): string {
  const m = /^(.*?)(\.[A-Za-z0-9]+)?$/.exec(file.name.replace(/\.[0-9a-f]{64}(?=\.[A-Za-z0-9]+$|$)/, ''));
  return `${m?.[1] || 'image'}.${file.sha256}${m?.[2] ?? ''}`;
}

/** The sha256 an asset's name carries, when Dovetail uploaded it. */
export const shaInName = (name: string) => /\.([0-9a-f]{64})(?:\.[A-Za-z0-9]+)?$/.exec(name)?.[1] ?? null;

async function productOf(client: VendureClient, sku: string) {
  const r = await client.admin(`query ProductImagesOfSku($o: ProductVariantListOptions) { productVariants(options: $o) { items {
      product { id featuredAsset { id } assets { id name mimeType source } } } } }`,
  { o: { filter: { sku: { eq: sku } }, take: 1 } }, z.object({ productVariants: z.object({ items: z.array(z.object({ product: ProductImages })) }) }));
  return r.productVariants.items[0]?.product ?? null;
}

export async function listImages(client: VendureClient, sku: string): Promise<StoredImage[] | null> {
  const product = await productOf(client, sku);
  if (!product) return null;
  return product.assets.map((a) => ({ ref: a.id, name: a.name, mimeType: a.mimeType, sha256: shaInName(a.name),
    // an asset's file is never replaced in Vendure: its id names its bytes
    contentKey: `asset:${a.id}`, featured: product.featuredAsset?.id === a.id }));
}

/** The asset's source file, streamed from the URL Vendure gives it. */
export async function openImage(client: VendureClient, image: StoredImage): Promise<AsyncIterable<Uint8Array>> {
  const r = await client.admin(`query AssetSource($id: ID!) { asset(id: $id) { id source } }`, { id: image.ref },
    z.object({ asset: z.object({ id: z.string(), source: z.string() }).nullable() }));
  if (!r.asset) throw new DovetailError('transient', `Vendure asset ${image.ref} (${image.name}) is gone: the product's images are read again on the next try`);
  const url = new URL(r.asset.source, client.url).toString();
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw transient(`GET ${url} (image ${image.name}) did not answer: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw httpFailure('GET', url, res.status, await res.text().catch(() => ''), res.headers.get('retry-after'));
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** The asset holding these bytes: found by the sha256 in its name, or uploaded (streamed from the file). */
export async function putImage(client: VendureClient, file: ImageFile): Promise<{ ref: string; created: boolean }> {
  const found = await client.admin(`query AssetsBySha($o: AssetListOptions) { assets(options: $o) { items { id name } } }`,
    { o: { filter: { name: { contains: file.sha256 } }, take: 10 } }, z.object({ assets: z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })) }) }));
  const mine = found.assets.items.find((a) => shaInName(a.name) === file.sha256);
  if (mine) return { ref: mine.id, created: false };
  const r = await client.admin(`mutation UploadImage($input: [CreateAssetInput!]!) { createAssets(input: $input) {
      __typename ... on Asset { id } ... on ErrorResult { errorCode message } } }`,
  { input: [{ file: null }] }, z.object({ createAssets: z.array(z.object({ __typename: z.string(), id: z.string().optional(), message: z.string().optional() })) }),
  { variable: 'input.0.file', file: await fileBlob(file), fileName: uploadName(file) });
  const made = r.createAssets[0];
  if (!made?.id) throw new DovetailError('permanent', `Vendure refused the image ${file.name} (${file.mimeType}, ${file.size} bytes): ${made?.message ?? 'no asset in the answer'}`, { detail: { sha256: file.sha256 } });
  return { ref: made.id, created: true };
}

/** One updateProduct: the assets in this order, the featured one; assets left out are taken off the product (they stay in the library). */
export async function setImages(client: VendureClient, sku: string, images: { ref: string }[], featuredRef: string | null): Promise<void> {
  const product = await productOf(client, sku);
  if (!product) throw new DovetailError('permanent', `Vendure has no product with SKU ${sku} to show images on`, { detail: { sku } });
  await client.admin(`mutation SetProductImages($input: UpdateProductInput!) { updateProduct(input: $input) { id } }`,
    { input: { id: product.id, assetIds: images.map((i) => i.ref), featuredAssetId: featuredRef } }, z.object({ updateProduct: z.object({ id: z.string() }) }));
}
