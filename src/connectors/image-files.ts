// Product images pass through Dovetail as files on disk, never whole in memory: downloaded as a
// stream, hashed while they stream, and sent on from the file (multipart, or base64 inside JSON-RPC).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DovetailError } from '../errors.js';

/** One image's bytes in a file of its own, with what identifies them. */
export interface ImageFile {
  path: string;
  size: number;
  /** hex sha256 of the bytes: the identity of an image on both sides */
  sha256: string;
  /** hex md5 of the bytes: what a system that files content by md5 (Tryton's filestore) calls them */
  md5: string;
  /** the file name it came with (e.g. front.jpg) */
  name: string;
  mimeType: string;
  /** deletes the file (and its folder) */
  remove(): Promise<void>;
}

const IMAGE_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', svg: 'image/svg+xml' };

/** The image type a file name says, or null when it does not name an image. */
export function imageTypeOf(name: string): string | null {
  return IMAGE_TYPES[/\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? ''] ?? null;
}

/** The name an image is known by, without the position or hash Dovetail added to it (`01 front.<sha256>.jpg` -> `front.jpg`). */
export function plainImageName(name: string): string {
  return name.replace(/^\d+ /, '').replace(/\.[0-9a-f]{64}(?=\.[A-Za-z0-9]+$|$)/, '') || 'image';
}

/** Writes the bytes to a new temporary file, hashing them on the way; only a chunk at a time is held. */
export async function spoolImage(source: AsyncIterable<Uint8Array>, meta: { name: string; mimeType: string }): Promise<ImageFile> {
  const dir = await mkdtemp(join(tmpdir(), 'dovetail-image-'));
  const path = join(dir, 'bytes');
  const remove = () => rm(dir, { recursive: true, force: true });
  const hash = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  const tap = new Transform({ transform(chunk: Buffer, _enc, done) { hash.update(chunk); md5.update(chunk); size += chunk.length; done(null, chunk); } });
  try {
    await pipeline(Readable.from(source), tap, createWriteStream(path));
  } catch (err) {
    await remove();
    throw err instanceof DovetailError ? err : new DovetailError('transient', `downloading the image ${meta.name} failed: ${(err as Error).message}`, { cause: err });
  }
  return { path, size, sha256: hash.digest('hex'), md5: md5.digest('hex'), name: meta.name, mimeType: meta.mimeType, remove };
}

/** Base64 of a byte stream, as a stream: each chunk's bytes up to a multiple of 3 are encoded, the rest carried. */
export async function* base64Of(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  let carry = Buffer.alloc(0);
  for await (const chunk of source) {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const whole = bytes.length - (bytes.length % 3);
    if (whole) yield bytes.subarray(0, whole).toString('base64');
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length) yield carry.toString('base64');
}

/** How much of an answer may come before the bytes: more means it is not the answer asked for. */
const MAX_HEAD = 1 << 20;

/** The answer held no bytes value: `head` is what it said instead (a JSON-RPC error, say). */
export class NoBytesInAnswer extends Error {
  constructor(readonly head: string) { super('the answer holds no bytes value'); }
}

/**
 * The bytes of the first `{"__class__": "bytes", "base64": "…"}` value of a JSON answer as it streams
 * in (Tryton's JSON-RPC: base64 with escaped newlines every 76 characters), decoded chunk by chunk.
 */
export async function* bytesInJsonAnswer(answer: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let head = '';
  let pending: string | null = null; // base64 text not decoded yet, once the value has begun
  for await (const chunk of answer) {
    // base64 and the JSON around it are ASCII: one byte, one character
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    let encoded: string;
    if (pending === null) {
      head += text;
      const start = /"base64"\s*:\s*"/.exec(head);
      if (!start) {
        if (head.length > MAX_HEAD) throw new NoBytesInAnswer(head.slice(0, 2000));
        continue;
      }
      encoded = head.slice(start.index + start[0].length);
      head = '';
    } else {
      encoded = pending + text;
    }
    const out = decodeSome(encoded);
    if (out.bytes.length) yield out.bytes;
    pending = out.pending;
    if (out.ended) return;
  }
  if (pending === null) throw new NoBytesInAnswer(head.slice(0, 2000));
  throw new DovetailError('transient', 'the answer ended inside the image bytes (connection cut?)');
}

function decodeSome(text: string): { bytes: Buffer; pending: string; ended: boolean } {
  const end = text.indexOf('"');
  const body = end >= 0 ? text.slice(0, end) : text;
  // an escape cut in two by the chunk boundary waits for its second half
  const cut = end < 0 && body.endsWith('\\') ? 1 : 0;
  const clean = body.slice(0, body.length - cut).replace(/\\n|\\r|\s/g, '');
  const whole = end >= 0 ? clean.length : clean.length - (clean.length % 4);
  return { bytes: Buffer.from(clean.slice(0, whole), 'base64'), pending: clean.slice(whole) + body.slice(body.length - cut), ended: end >= 0 };
}

/**
 * A request body on disk: `before`, the file's bytes as base64, `after` (a JSON-RPC call carrying
 * an image), as a Blob read from the file when sent. Call `remove` once the request is done.
 */
export async function jsonBodyWithBytes(before: string, file: ImageFile, after: string): Promise<{ body: Blob; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dovetail-body-'));
  const path = join(dir, 'body.json');
  async function* parts() {
    yield before;
    yield* base64Of(createReadStream(file.path));
    yield after;
  }
  await pipeline(Readable.from(parts()), createWriteStream(path));
  return { body: await openAsBlob(path, { type: 'application/json' }), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The file as a Blob that is read from disk when sent (a multipart upload). */
export async function fileBlob(file: ImageFile): Promise<Blob> {
  const { size } = await stat(file.path);
  if (size !== file.size) throw new DovetailError('transient', `the spooled image ${file.name} changed size on disk`);
  return openAsBlob(file.path, { type: file.mimeType });
}
