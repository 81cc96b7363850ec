// Product images between the real Vendure (assets) and the real Tryton (attachments on the
// template): each way per master.productImages, uploaded once per content, re-ordered and removed
// with the master, the non-master's edits put back, and a crash after an upload makes no second one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { VendureClient } from '../../src/connectors/vendure/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { z } from 'zod';
import { freshTrytonDatabase, startVendure, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { freePort } from './helpers/free-port.js';
import { DovetailProcess } from './helpers/dovetail-process.js';

/** A real PNG (Vendure reads its size) of w×h pixels: `seed` decides the pixels, so equal seeds give equal bytes. */
function png(w: number, h: number, seed: string): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = w * 3 + 1;
  const raw = Buffer.alloc(row * h);
  // seeded pixels: a hash chain, so the image does not compress to nothing
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < raw.length; i += 32) { block.copy(raw, i); block = createHash('sha256').update(block).digest(); }
  for (let y = 0; y < h; y++) raw[y * row] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Attached { id: number; name: string; description: string | null; sha256: string }

describe('product images, real Tryton and real Vendure', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let clerk: VendureClient;

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    clerk = new VendureClient({ url: vendure.url, username: vendure.adminUsername, password: vendure.adminPassword });
  });
  after(async () => { await vendure?.stop(); });

  // ---- what the clerks do and see ----------------------------------------------------------------

  async function uploadToVendure(name: string, bytes: Buffer): Promise<string> {
    const r = await clerk.admin(`mutation Up($input: [CreateAssetInput!]!) { createAssets(input: $input) { ... on Asset { id } } }`, { input: [{ file: null }] },
      z.object({ createAssets: z.array(z.object({ id: z.string() })) }), { variable: 'input.0.file', file: new Blob([bytes], { type: 'image/png' }), fileName: name });
    return r.createAssets[0].id;
  }
  async function productIdOf(sku: string): Promise<string> {
    const r = await clerk.admin(`query($o: ProductVariantListOptions) { productVariants(options: $o) { items { product { id } } } }`,
      { o: { filter: { sku: { eq: sku } } } }, z.object({ productVariants: z.object({ items: z.array(z.object({ product: z.object({ id: z.string() }) })) }) }));
    return r.productVariants.items[0].product.id;
  }
  async function setVendureImages(sku: string, assetIds: string[], featured: string | null) {
    await clerk.admin(`mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }`, { i: { id: await productIdOf(sku), assetIds, featuredAssetId: featured } }, z.unknown());
  }
  async function vendureImages(sku: string) {
    const r = await clerk.admin(`query($id: ID!) { product(id: $id) { featuredAsset { id } assets { id name source } } }`, { id: await productIdOf(sku) },
      z.object({ product: z.object({ featuredAsset: z.object({ id: z.string() }).nullable(), assets: z.array(z.object({ id: z.string(), name: z.string(), source: z.string() })) }) }));
    const assets = await Promise.all(r.product.assets.map(async (a) => ({ ...a, sha256: sha(Buffer.from(await (await fetch(a.source)).arrayBuffer())) })));
    return { assets, featured: assets.find((a) => a.id === r.product.featuredAsset?.id)?.sha256 ?? null };
  }
  async function assetsHolding(sha256: string): Promise<number> {
    const r = await clerk.admin(`query($o: AssetListOptions) { assets(options: $o) { totalItems } }`, { o: { filter: { name: { contains: sha256 } } } }, z.object({ assets: z.object({ totalItems: z.number() }) }));
    return r.assets.totalItems;
  }
  async function templateOf(sku: string): Promise<number> {
    const [p] = await t.searchRead<{ template: number }>('product.product', [['code', '=', sku]], ['template']);
    return p.template;
  }
  async function attachments(sku: string): Promise<Attached[]> {
    const rows = await t.searchRead<{ id: number; name: string; description: string | null; data: { base64: string } }>('ir.attachment',
      [['resource', '=', `product.template,${await templateOf(sku)}`]], ['name', 'description', 'data'], { order: [['name', 'ASC']] });
    return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, sha256: sha(Buffer.from(r.data.base64, 'base64')) }));
  }
  const featuredIn = (list: Attached[]) => list.filter((a) => /^featured$/im.test(a.description ?? '')).map((a) => a.sha256);
  async function attachInTryton(sku: string, name: string, bytes: Buffer, description = ''): Promise<number> {
    const [id] = await t.create('ir.attachment', [{ name, type: 'data', resource: `product.template,${await templateOf(sku)}`, description, data: { __class__: 'bytes', base64: bytes.toString('base64') } }]);
    return id;
  }

  describe('the store is master (default)', () => {
    let engine: Engine;
    let settings: ReturnType<typeof settingsFor>;
    const front = png(40, 30, 'front');
    const back = png(30, 40, 'back');
    before(async () => {
      settings = settingsFor(tryton, vendure, { server: { port: await freePort() } });
      engine = await engineFor(settings.config);
      await createTrytonProduct(t, 'IMG-S1', 'Pictured', '5.00');
      await engine.tick();
    });
    after(async () => { await engine?.ctx.storage.close(); });

    test('two images in Vendure, the second featured, become two attachments in that order, the featured one marked', async () => {
      const a = await uploadToVendure('front.png', front);
      const b = await uploadToVendure('back.png', back);
      await setVendureImages('IMG-S1', [a, b], b);
      await engine.tick();
      const list = await attachments('IMG-S1');
      assert.deepEqual(list.map((x) => [x.name, x.sha256]), [['01 front.png', sha(front)], ['02 back.png', sha(back)]]);
      assert.deepEqual(featuredIn(list), [sha(back)]);
      assert.ok(list.every((x) => x.description?.includes(`sha256:${x.sha256}`)), 'each attachment remembers the hash of its bytes');
      const audit = (await engine.ctx.storage.auditTrail('IMG-S1')).find((e) => e.action === 'images.copied');
      assert.equal(audit?.setting, 'master.productImages=store');
      assert.match(audit?.detail ?? '', /"uploaded":2/);
    });

    test('re-ordered, then one removed, then the same bytes added again as another asset: Tryton follows, nothing uploaded twice', async () => {
      const before = await attachments('IMG-S1');
      const [a, b] = (await vendureImages('IMG-S1')).assets.map((x) => x.id);
      // only the order changes: the featured one stays
      await setVendureImages('IMG-S1', [b, a], b);
      await engine.tick();
      let list = await attachments('IMG-S1');
      assert.deepEqual(list.map((x) => [x.name, x.sha256]), [['01 back.png', sha(back)], ['02 front.png', sha(front)]]);
      assert.deepEqual(featuredIn(list), [sha(back)]);
      assert.deepEqual(list.map((x) => x.id).sort(), before.map((x) => x.id).sort(), 'the same attachments, moved');

      await setVendureImages('IMG-S1', [b], b);
      await engine.tick();
      list = await attachments('IMG-S1');
      assert.deepEqual(list.map((x) => [x.name, x.sha256]), [['01 back.png', sha(back)]]);

      const again = await uploadToVendure('back-again.png', back);
      await setVendureImages('IMG-S1', [b, again], b);
      await engine.tick();
      assert.deepEqual((await attachments('IMG-S1')).map((x) => x.id), [list[0].id], 'the same bytes are one image: no second attachment');
    });

    test('an attachment added in Tryton is taken off again (ownership.onConflict=revert), and audited', async () => {
      await attachInTryton('IMG-S1', 'extra.png', png(10, 10, 'extra'));
      await engine.tick();
      assert.deepEqual((await attachments('IMG-S1')).map((x) => x.sha256), [sha(back)]);
      const audit = (await engine.ctx.storage.auditTrail('IMG-S1')).find((e) => e.action === 'images.reverted');
      assert.equal(audit?.setting, 'master.productImages=store, ownership.onConflict=revert');
    });

    test('Dovetail SIGKILLed after the upload, before recording it: the retry finds the attachment, no second one', async () => {
      await createTrytonProduct(t, 'IMG-S2', 'Crashed', '6.00');
      await engine.tick();
      const side = png(20, 20, 'side');
      await setVendureImages('IMG-S2', [await uploadToVendure('side.png', side)], null);
      await new DovetailProcess(() => settings).crashAt('images.uploaded', { restart: false });
      const made = await attachments('IMG-S2');
      assert.equal(made.length, 1, 'the crashed attempt did upload');
      await engine.runner.recover();
      await engine.tick();
      const list = await attachments('IMG-S2');
      // with none marked, the first image is the featured one on both sides: nothing left to write
      assert.deepEqual(list.map((x) => [x.id, x.sha256]), [[made[0].id, sha(side)]], 'no second attachment');
      assert.ok((await engine.ctx.storage.snapshots('images', 'IMG-S2')).has('images'), 'recorded as in step');
    });
  });

  describe('the inventory system is master', () => {
    let engine: Engine;
    let settings: ReturnType<typeof settingsFor>;
    const big = png(1200, 1100, 'big'); // about 4 MB: streamed both ways
    const small = png(16, 16, 'small');
    before(async () => {
      settings = settingsFor(tryton, vendure, { master: { productImages: 'inventory' }, server: { port: await freePort() } });
      engine = await engineFor(settings.config);
      await createTrytonProduct(t, 'IMG-I1', 'Pictured in Tryton', '7.00');
      await engine.tick();
    });
    after(async () => { await engine?.ctx.storage.close(); });

    test('attachments in Tryton become the product\'s assets in Vendure, in order, the featured one featured; a re-order in Vendure is put back', async () => {
      assert.ok(big.length > 3_000_000);
      await attachInTryton('IMG-I1', '1 big.png', big);
      await attachInTryton('IMG-I1', '2 small.png', small, 'featured');
      await engine.tick();
      let shown = await vendureImages('IMG-I1');
      assert.deepEqual(shown.assets.map((a) => a.sha256), [sha(big), sha(small)]);
      assert.equal(shown.featured, sha(small));
      assert.equal(await assetsHolding(sha(big)), 1);

      await setVendureImages('IMG-I1', [...shown.assets].reverse().map((a) => a.id), shown.assets[0].id);
      await engine.tick();
      shown = await vendureImages('IMG-I1');
      assert.deepEqual(shown.assets.map((a) => a.sha256), [sha(big), sha(small)], 'put back');
      assert.equal(shown.featured, sha(small));
      const audit = (await engine.ctx.storage.auditTrail('IMG-I1')).find((e) => e.action === 'images.reverted');
      assert.equal(audit?.setting, 'master.productImages=inventory, ownership.onConflict=revert');
    });

    test('Dovetail SIGKILLed after uploading to Vendure, before showing it: the retry finds the asset by its hash, no second asset', async () => {
      const pic = png(24, 24, 'crash-to-store');
      await attachInTryton('IMG-I1', '3 pic.png', pic);
      await new DovetailProcess(() => settings).crashAt('images.uploaded', { restart: false });
      assert.equal(await assetsHolding(sha(pic)), 1, 'the crashed attempt did upload');
      await engine.runner.recover();
      await engine.tick();
      assert.deepEqual((await vendureImages('IMG-I1')).assets.map((a) => a.sha256), [sha(big), sha(small), sha(pic)]);
      assert.equal(await assetsHolding(sha(pic)), 1, 'no second asset');
    });
  });
});
