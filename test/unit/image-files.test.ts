// Images stream through Dovetail: hashed while they are written to disk, base64 made and read
// chunk by chunk (Tryton's JSON-RPC carries them so), so a large image never sits whole in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { base64Of, bytesInJsonAnswer, jsonBodyWithBytes, NoBytesInAnswer, spoolImage } from '../../src/connectors/image-files.js';

async function* chunksOf(buf: Buffer, sizes: number[]) {
  let at = 0;
  for (let i = 0; at < buf.length; i++) { const n = sizes[i % sizes.length]; yield buf.subarray(at, at + n); at += n; }
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> { const out: T[] = []; for await (const x of it) out.push(x); return out; }

test('base64Of gives the same text as encoding the whole, whatever the chunk sizes', async () => {
  const bytes = randomBytes(10_001);
  for (const sizes of [[1], [2, 5], [3], [4096], [7, 1, 13]]) {
    assert.equal((await collect(base64Of(chunksOf(bytes, sizes)))).join(''), bytes.toString('base64'), `chunks of ${sizes}`);
  }
});

test('bytesInJsonAnswer decodes Tryton\'s answer (newlines escaped every 76 characters) cut anywhere, even inside an escape', async () => {
  const bytes = randomBytes(5_000);
  // what Python's base64.encodebytes and json.dumps make of it
  const b64 = bytes.toString('base64').replace(/.{76}/g, '$&\n');
  const answer = Buffer.from(JSON.stringify({ id: 3, result: [{ id: 9, data: { __class__: 'bytes', base64: b64 } }] }), 'latin1');
  assert.ok(answer.includes('\\n'), 'the escapes are there to be cut');
  for (const sizes of [[1], [2], [3, 7], [76, 1], [1000]]) {
    assert.deepEqual(Buffer.concat(await collect(bytesInJsonAnswer(chunksOf(answer, sizes)))), bytes, `chunks of ${sizes}`);
  }
});

test('bytesInJsonAnswer: an answer without bytes is handed back for its error to be read; one cut short fails as worth a retry', async () => {
  const error = Buffer.from(JSON.stringify({ id: 1, error: ['UserError', ['no access']] }));
  await assert.rejects(collect(bytesInJsonAnswer(chunksOf(error, [5]))), (e: unknown) => e instanceof NoBytesInAnswer && e.head.includes('UserError'));
  const cut = Buffer.from('{"id":1,"result":[{"data":{"__class__":"bytes","base64":"AAAA');
  await assert.rejects(collect(bytesInJsonAnswer(chunksOf(cut, [8]))), /ended inside the image bytes/);
});

test('spoolImage hashes while it writes; jsonBodyWithBytes wraps the file as base64 in JSON that parses back to the bytes', async () => {
  const bytes = randomBytes(300_001);
  const file = await spoolImage(chunksOf(bytes, [65_536]), { name: 'x.png', mimeType: 'image/png' });
  try {
    assert.equal(file.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(file.md5, createHash('md5').update(bytes).digest('hex'));
    assert.equal(file.size, bytes.length);
    assert.deepEqual(await readFile(file.path), bytes);
    const body = await jsonBodyWithBytes('{"data":"', file, '"}');
    try {
      assert.deepEqual(Buffer.from((JSON.parse(await body.body.text()) as { data: string }).data, 'base64'), bytes);
    } finally { await body.remove(); }
  } finally { await file.remove(); }
});

test('a large image streams through in bounded memory: spooled, hashed, and decoded from a JSON answer', async () => {
  const total = 64 * 1024 * 1024;
  const chunk = randomBytes(256 * 1024);
  const expected = createHash('sha256');
  for (let n = 0; n < total; n += chunk.length) expected.update(chunk);
  // memory is sampled as the source is pulled: a helper that held the image would grow by its size
  const baseline = process.memoryUsage();
  let peak = 0;
  const sample = () => { const m = process.memoryUsage(); peak = Math.max(peak, m.heapUsed + m.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers); };
  async function* source(): AsyncGenerator<Buffer> {
    for (let n = 0; n < total; n += chunk.length) { sample(); yield chunk; }
  }
  const file = await spoolImage(source(), { name: 'big.png', mimeType: 'image/png' });
  try {
    assert.equal(file.size, total);
    assert.equal(file.sha256, expected.digest('hex'));
  } finally { await file.remove(); }

  async function* answer(): AsyncGenerator<Buffer> {
    yield Buffer.from('{"id":1,"result":[{"id":2,"data":{"__class__":"bytes","base64":"');
    for await (const text of base64Of(source())) yield Buffer.from(text.replace(/.{76}/g, '$&\\n'), 'latin1');
    yield Buffer.from('"}}]}');
  }
  const decoded = createHash('sha256');
  let size = 0;
  for await (const bytes of bytesInJsonAnswer(answer())) { decoded.update(bytes); size += bytes.length; }
  assert.equal(size, total);
  assert.equal(decoded.digest('hex'), file.sha256);
  assert.ok(peak < 32 * 1024 * 1024, `memory grew by ${Math.round(peak / 1048576)} MB while ${total / 1048576} MB streamed through`);
});
