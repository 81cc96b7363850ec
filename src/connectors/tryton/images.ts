// Product images in Tryton 6.0, which has no image module: attachments (ir.attachment, type data)
// on the product template whose names end in an image extension. See the README for the convention.
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { StoredImage } from '../../model/image.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { imageTypeOf, plainImageName, type ImageFile } from '../image-files.js';
import { BYTES, type TrytonClient } from './client.js';
import { changedRows, stampOf } from './reads.js';

const Attachment = z.object({ id: z.number(), name: z.string(), description: z.string().nullable(), file_id: z.string().nullable(),
  write_date: z.unknown().optional(), create_date: z.unknown().optional() });
type Attachment = z.infer<typeof Attachment>;

/** The line that marks the featured image (any line of the description, any case). */
const FEATURED = 'featured';
/** Dovetail's memo of an image's hash, valid while the attachment keeps the file it was written for. */
const MEMO = /^sha256:([0-9a-f]{64}) file:(\S+)$/;
const memo = (sha256: string, fileId: string) => `sha256:${sha256} file:${fileId}`;
const lines = (a: Attachment) => (a.description ?? '').split('\n');
const resourceOf = (templateId: number) => `product.template,${templateId}`;

/** The sha256 a memo gives, when the attachment still holds that file (a replaced file gets a new file id). */
function rememberedSha(a: Attachment): string | null {
  for (const line of lines(a)) {
    const m = MEMO.exec(line.trim());
    if (m && a.file_id !== null && m[2] === a.file_id) return m[1];
  }
  return null;
}

async function templateOf(client: TrytonClient, sku: string): Promise<number | null> {
  const rows = z.array(z.object({ template: z.number() })).parse(
    await client.searchRead('product.product', [['code', '=', sku]], ['template'], { limit: 1 }, { active_test: false }));
  return rows[0]?.template ?? null;
}

async function imageAttachments(client: TrytonClient, templateId: number): Promise<Attachment[]> {
  const rows = z.array(Attachment).parse(await client.searchRead('ir.attachment', [['resource', '=', resourceOf(templateId)], ['type', '=', 'data']],
    ['name', 'description', 'file_id', 'write_date', 'create_date'], { order: [['name', 'ASC'], ['id', 'ASC']] }));
  return rows.filter((a) => imageTypeOf(a.name) !== null);
}

export async function listImages(client: TrytonClient, sku: string): Promise<StoredImage[] | null> {
  const templateId = await templateOf(client, sku);
  if (templateId === null) return null;
  const found = await imageAttachments(client, templateId);
  const featured = found.find((a) => lines(a).some((l) => l.trim().toLowerCase() === FEATURED))?.id;
  return found.map((a) => ({ ref: String(a.id), name: a.name, mimeType: imageTypeOf(a.name) ?? 'application/octet-stream', sha256: rememberedSha(a),
    // the filestore id is the md5 of the bytes: it changes with them (without a filestore, the last write stands in)
    contentKey: `attachment:${a.id}:${a.file_id ?? stampOf(a)}`, featured: a.id === featured }));
}

export function openImage(client: TrytonClient, image: StoredImage): Promise<AsyncIterable<Uint8Array>> {
  return client.readBytes('ir.attachment', Number(image.ref), 'data');
}

/** The template's attachment holding these bytes (found by Dovetail's memo of their hash) or a new one. */
export async function putImage(client: TrytonClient, sku: string, file: ImageFile): Promise<{ ref: string; created: boolean }> {
  const templateId = await templateOf(client, sku);
  if (templateId === null) throw new DovetailError('permanent', `Tryton has no product with SKU ${sku} to attach an image to`, { detail: { sku } });
  const [found] = await client.search('ir.attachment', [['resource', '=', resourceOf(templateId)], ['description', 'ilike', `%sha256:${file.sha256}%`]], { limit: 1 });
  if (found !== undefined) return { ref: String(found), created: false };
  const name = plainImageName(file.name);
  const [id] = z.array(z.number()).parse(await client.modelWithBytes('ir.attachment', 'create',
    // the filestore names the file by the md5 of its bytes: the memo holds as long as the file does
    [[{ name: imageTypeOf(name) ? name : `${name}.${file.mimeType.split('/')[1] ?? 'img'}`, type: 'data', resource: resourceOf(templateId), description: memo(file.sha256, file.md5), data: BYTES }]], file));
  return { ref: String(id), created: true };
}

/**
 * Names the attachments `01 front.jpg`, `02 back.jpg`… in the order given, marks the featured one,
 * writes each one's memo, and deletes the template's other image attachments. Writes only what differs, in one call.
 */
export async function setImages(client: TrytonClient, sku: string, images: { ref: string; sha256: string }[], featuredRef: string | null): Promise<void> {
  const templateId = await templateOf(client, sku);
  if (templateId === null) throw new DovetailError('permanent', `Tryton has no product with SKU ${sku} to show images on`, { detail: { sku } });
  const current = new Map((await imageAttachments(client, templateId)).map((a) => [String(a.id), a]));
  const width = Math.max(2, String(images.length).length);
  // one write call for every attachment that changes: Tryton's write takes records and values in turns
  const changes: unknown[] = [];
  for (const [i, { ref, sha256 }] of images.entries()) {
    const a = current.get(ref);
    if (!a) throw new DovetailError('transient', `Tryton attachment ${ref} for ${sku} is gone: the images are compared again on the next try`, { detail: { sku } });
    const name = `${String(i + 1).padStart(width, '0')} ${plainImageName(a.name)}`;
    const kept = lines(a).filter((l) => l.trim() && l.trim().toLowerCase() !== FEATURED && !MEMO.test(l.trim()));
    const description = [...(ref === featuredRef ? [FEATURED] : []), ...kept, ...(a.file_id ? [memo(sha256, a.file_id)] : [])].join('\n');
    if (name !== a.name || description !== (a.description ?? '')) changes.push([a.id], { name, description });
  }
  if (changes.length) await client.model('ir.attachment', 'write', changes);
  const wanted = new Set(images.map((i) => i.ref));
  const extra = [...current.values()].filter((a) => !wanted.has(String(a.id))).map((a) => a.id);
  if (extra.length) await client.model('ir.attachment', 'delete', [extra]);
}

/**
 * Attachments on templates created or written since the cursor, one change per template keyed by a
 * SKU of it. A deleted attachment leaves no row to read: it is seen with the template's next image change.
 */
export function imageChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, {
    attachments: { model: 'ir.attachment', domain: [['resource', 'like', 'product.template,%']], shape: { resource: z.string().nullable() } },
  }, async ({ attachments }) => {
    const newest = new Map<number, string>();
    for (const a of attachments) {
      const templateId = Number(/^product\.template,(\d+)$/.exec(a.resource ?? '')?.[1]);
      const version = `${stampOf(a)}:${a.id}`;
      if (templateId && (newest.get(templateId) ?? '') < version) newest.set(templateId, version);
    }
    if (!newest.size) return [];
    const variants = z.array(z.object({ code: z.string().nullable(), template: z.number() })).parse(await client.searchRead('product.product',
      [['template', 'in', [...newest.keys()]], ['code', '!=', null]], ['code', 'template'], { order: [['id', 'ASC']] }, { active_test: false }));
    const skuOf = new Map<number, string>();
    for (const v of variants) if (v.code && !skuOf.has(v.template)) skuOf.set(v.template, v.code);
    return [...newest].flatMap(([templateId, version]): ChangeRef[] => {
      const sku = skuOf.get(templateId);
      return sku ? [{ kind: 'images', key: sku, sourceVersion: `attachment:${version}` }] : [];
    });
  });
}
