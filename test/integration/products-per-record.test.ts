// Products and stock written in batches to the real Vendure, record by record: SKUs whose slugs
// collide each get a product, a record the store refuses fails alone while the rest of its batch
// is written, and a product made just before a crash still gets its stock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dec, type TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { adminGql, freshTrytonDatabase, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, settingsFor, trytonAdmin } from './helpers/dovetail.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

interface StoreVariant { id: string; sku: string; price: number; stockOnHand: number; product: { id: string; name: string; slug: string } }

/** More than Vendure's 32-bit stock counts hold: a typo'd count the store refuses. */
const TOO_BIG = 3_000_000_000;

describe('products and stock to the store, one outcome per record', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let engine: Engine;

  async function variants(skus: string[]): Promise<Map<string, StoreVariant>> {
    const r = await admin<{ productVariants: { items: StoreVariant[] } }>(
      `query($s: [String!]!) { productVariants(options: { filter: { sku: { in: $s } } }) { items { id sku price stockOnHand product { id name slug } } } }`, { s: skus });
    return new Map(r.productVariants.items.map((v) => [v.sku, v]));
  }
  const actions = async (sku: string) => (await engine.ctx.storage.auditTrail(sku)).filter((a) => a.recordKey === sku).map((a) => a.action);
  const failed = async () => new Map((await engine.ctx.storage.failures()).map((j) => [`${j.kind} ${j.key}`, j.lastError ?? '']));

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
    engine = await engineFor(settingsFor(tryton, vendure).config);
  });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('SKUs whose slugs collide (SLUG.X1, SLUG-X1, slug_x1) become three products, each created and stocked', async () => {
    const skus = ['SLUG.X1', 'SLUG-X1', 'slug_x1'];
    for (const [n, sku] of skus.entries()) await receiveStock(t, await createTrytonProduct(t, sku, `Collider ${n}`, `${n + 1}.00`), 10 + n);
    await engine.tick();
    const inStore = await variants(skus);
    assert.deepEqual([...inStore.keys()].sort(), [...skus].sort(), 'every SKU is in the store');
    assert.equal(new Set([...inStore.values()].map((v) => v.product.id)).size, 3, 'one product per SKU');
    assert.equal(new Set([...inStore.values()].map((v) => v.product.slug)).size, 3, 'under three slugs');
    for (const [n, sku] of skus.entries()) {
      assert.equal(inStore.get(sku)?.product.name, `Collider ${n}`);
      assert.equal(inStore.get(sku)?.stockOnHand, 10 + n, `${sku} shows its stock`);
      assert.ok((await actions(sku)).includes('product.created'), `${sku} audited as created`);
    }
    assert.deepEqual(await failed(), new Map());
  });

  test('a product a crashed attempt made without variants is found by its key, not by a slug someone else holds', async () => {
    // someone's own product holds the slug; Dovetail's half-made one got the next slug and carries the key
    const make = (name: string, slug: string, key: string | null) => admin<{ createProduct: { id: string; slug: string } }>(
      `mutation($i: CreateProductInput!) { createProduct(input: $i) { id slug } }`,
      { i: { translations: [{ languageCode: 'en', name, slug, description: '' }], customFields: { dovetailGroupKey: key } } });
    const theirs = (await make('Not Dovetail\'s', 'half-1', null)).createProduct;
    const ours = (await make('Half made', 'half-1', 'HALF-1')).createProduct;
    assert.notEqual(ours.slug, theirs.slug);
    await createTrytonProduct(t, 'HALF-1', 'Half made', '4.00');
    await engine.tick();
    const v = (await variants(['HALF-1'])).get('HALF-1');
    assert.equal(v?.product.id, ours.id, 'the variant went into the product the crashed attempt made');
    const { products } = await admin<{ products: { items: { id: string; variants: unknown[] }[] } }>(
      `query($o: ProductListOptions) { products(options: $o) { items { id variants { id } } } }`, { o: { filter: { dovetailGroupKey: { eq: 'HALF-1' } } } });
    assert.equal(products.items.length, 1, 'no second product');
    const other = await admin<{ product: { variants: unknown[] } }>(`query($id: ID!) { product(id: $id) { variants { id } } }`, { id: theirs.id });
    assert.equal(other.product.variants.length, 0, 'the other product is left alone');
  });

  test('a record the store refuses fails alone: the rest of its batch is created, updated and stocked', async () => {
    // A template made with one variant gains a second: the store's product had a variant without
    // options; both get one, and the new variant joins the product.
    const unit = await t.xmlId('product', 'uom_unit');
    const [template] = await t.create('product.template', [{ name: 'Grown', code: 'GROWN-', type: 'goods', default_uom: unit, list_price: dec('3.00'),
      salable: true, sale_uom: unit, products: [['create', [{ suffix_code: 'A', cost_price: dec('1') }]]] }]);
    await engine.tick();
    assert.ok((await variants(['GROWN-A'])).has('GROWN-A'));
    await t.write('product.template', [template], { products: [['create', [{ suffix_code: 'B', cost_price: dec('1') }]]] });
    await receiveStock(t, await createTrytonProduct(t, 'FINE-1', 'Fine one', '5.00'), 7);
    await receiveStock(t, await createTrytonProduct(t, 'HUGE-STOCK', 'Typo count', '6.00'), TOO_BIG);
    await engine.tick();

    const inStore = await variants(['GROWN-A', 'GROWN-B', 'FINE-1', 'HUGE-STOCK']);
    assert.equal(inStore.get('GROWN-B')?.product.id, inStore.get('GROWN-A')?.product.id, 'the new variant joins the product its sibling is in');
    assert.equal(inStore.get('FINE-1')?.stockOnHand, 7, 'the unrelated product of the same batch is created and stocked');
    assert.equal(inStore.get('HUGE-STOCK')?.price, 600, 'its product is created');
    assert.equal(inStore.get('HUGE-STOCK')?.stockOnHand, 0, 'the count the store refused is not written');
    const failures = await failed();
    assert.deepEqual([...failures.keys()].sort(), ['stock HUGE-STOCK']);
    assert.ok((await actions('GROWN-B')).includes('product.created'));
    assert.ok((await actions('FINE-1')).includes('product.created'));
    assert.ok((await actions('FINE-1')).includes('stock.published'));
  });
});

describe('a crash between making a product in the store and recording it', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  before(async () => { tryton = await freshTrytonDatabase(); vendure = await startVendure(); });
  after(async () => { await vendure?.stop(); });

  test('SIGKILL during `sync products` right after the store made the product: the next sync still publishes its stock', async () => {
    const t = await trytonAdmin(tryton);
    await receiveStock(t, await createTrytonProduct(t, 'KILL-1', 'Killed mid-sync', '9.00'), 500);
    const settings = settingsFor(tryton, vendure);
    const sync = (env: Record<string, string>) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, [DOVETAIL_BIN, '--config', settings.file, 'sync', 'products'],
        { env: { ...process.env, ...settings.env, ...env, DOVETAIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    assert.equal((await sync({ DOVETAIL_FAILPOINT: 'product.written' })).signal, 'SIGKILL', 'the first sync died at the failpoint');
    const admin = await adminGql(vendure.url);
    const stockOf = async () => (await admin<{ productVariants: { items: { stockOnHand: number }[] } }>(
      `query { productVariants(options: { filter: { sku: { eq: "KILL-1" } } }) { items { stockOnHand } } }`)).productVariants.items[0]?.stockOnHand;
    assert.equal(await stockOf(), 0, 'the product was made before the crash, its stock not yet');

    assert.equal((await sync({})).code, 0);
    assert.equal(await stockOf(), 500, 'the store shows what Tryton has');
  });
});
