// Product attributes and variants (master.productAttributes) between a real Tryton with
// product_attribute and a real Vendure: attribute sets become option groups, and back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { dec, type TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/server/http.js';
import { adminGql, freshTrytonDatabase, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { engineFor, settingsFor, trytonAdmin, WEBHOOK_SECRET } from './helpers/dovetail.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

interface StoreOption { id: string; code: string; name: string }
interface StoreVariant { id: string; sku: string; enabled: boolean; options: (StoreOption & { group: { code: string } })[] }
interface StoreProduct { id: string; optionGroups: (StoreOption & { options: StoreOption[] })[]; variants: StoreVariant[] }

describe('master.productAttributes: Tryton attribute sets ↔ Vendure option groups', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let admin: GqlClient;
  let settings: ReturnType<typeof settingsFor>;
  let engine: Engine;
  let colour: number;

  /** The product a SKU is in, with its option groups and every variant's options. */
  async function productOf(sku: string): Promise<StoreProduct> {
    const r = await admin<{ productVariants: { items: { product: StoreProduct }[] } }>(`query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items { product {
      id optionGroups { id code name options { id code name } } variants { id sku enabled options { id code name group { code } } } } } } }`, { s: sku });
    const item = r.productVariants.items[0];
    assert.ok(item, `${sku} is in the store`);
    return item.product;
  }
  const optionsOf = (p: StoreProduct, sku: string) => Object.fromEntries(p.variants.find((v) => v.sku === sku)!.options.map((o) => [o.group.code, o.code]));
  const optionId = (p: StoreProduct, group: string, code: string) => p.optionGroups.find((g) => g.code === group)!.options.find((o) => o.code === code)!.id;
  const setOptions = (p: StoreProduct, sku: string, ids: string[]) => admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`,
    { i: [{ id: p.variants.find((v) => v.sku === sku)!.id, optionIds: ids }] });
  /** What the plugin posts when a variant changes: polling by updatedAt may miss a change of options alone. */
  async function variantChanged(e: Engine, skus: string[]) {
    const body = JSON.stringify({ id: randomUUID(), at: new Date().toISOString(), event: 'ProductVariant', skus });
    const res = await buildApp(e).request('/webhooks/vendure', { method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-dovetail-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` } });
    assert.equal(res.status, 200);
  }
  const attributesIn = async (sku: string) => (await t.searchRead<{ attributes: Record<string, string> }>('product.product', [['code', '=', sku]], ['attributes'], {}, { active_test: false }))[0].attributes;

  /** A template with an attribute set and these variants (suffix → attribute values). */
  async function template(code: string, name: string, set: number, variants: Record<string, Record<string, string>>): Promise<number> {
    const unit = await t.xmlId('product', 'uom_unit');
    const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
    const [id] = await t.create('product.template', [{ name, code, type: 'goods', default_uom: unit, list_price: dec('20.00'), salable: true, sale_uom: unit,
      account_category: category, attribute_set: set,
      products: [['create', Object.entries(variants).map(([suffix, attributes]) => ({ suffix_code: suffix, cost_price: dec('5'), attributes }))]] }]);
    return id;
  }

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
    settings = settingsFor(tryton, vendure);
    engine = await engineFor(settings.config);
    [colour] = await t.create('product.attribute', [{ name: 'colour', string: 'Colour', type_: 'selection', selection: 'red:Red\nblue:Blue' }]);
    const [size] = await t.create('product.attribute', [{ name: 'size', string: 'Size', type_: 'selection', selection: 's:Small\nm:Medium' }]);
    const [apparel] = await t.create('product.attribute.set', [{ name: 'Apparel', attributes: [['add', [colour, size]]] }]);
    await template('TEE-', 'Plain tee', apparel, { RS: { colour: 'red', size: 's' }, BM: { colour: 'blue', size: 'm' } });
  });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a template with an attribute set and two variants: one product, an option group per attribute, each variant its values', async () => {
    await engine.tick();
    const p = await productOf('TEE-RS');
    assert.deepEqual(p.optionGroups.map((g) => [g.code, g.name]).sort(), [['attribute:colour', 'Colour'], ['attribute:size', 'Size']]);
    assert.deepEqual(p.variants.map((v) => v.sku).sort(), ['TEE-BM', 'TEE-RS']);
    assert.deepEqual(optionsOf(p, 'TEE-RS'), { 'attribute:colour': 'red', 'attribute:size': 's' });
    assert.deepEqual(optionsOf(p, 'TEE-BM'), { 'attribute:colour': 'blue', 'attribute:size': 'm' });
    const created = (await engine.ctx.storage.auditTrail('TEE-RS')).find((a) => a.action === 'product.created');
    assert.match(created?.setting ?? '', /master\.productAttributes=inventory/);
    await engine.tick();
    assert.equal((await engine.ctx.storage.conflicts()).length, 0, 'the store reading back what was written is no conflict');
  });

  test('a third variant added in Tryton appears under the same product; one without a size fails alone until it has one', async () => {
    const [tee] = await t.search('product.template', [['code', '=', 'TEE-']]);
    await t.write('product.template', [tee], { products: [['create', [{ suffix_code: 'RM', cost_price: dec('5'), attributes: { colour: 'red', size: 'm' } },
      { suffix_code: 'BS', cost_price: dec('5'), attributes: { colour: 'blue' } }]]] });
    await engine.tick();
    const p = await productOf('TEE-RM');
    assert.equal(p.id, (await productOf('TEE-RS')).id, 'the same product');
    assert.deepEqual(optionsOf(p, 'TEE-RM'), { 'attribute:colour': 'red', 'attribute:size': 'm' });
    assert.equal(p.optionGroups.length, 2, 'no second option group');
    const failures = await engine.ctx.storage.failures();
    assert.deepEqual(failures.map((f) => f.key), ['TEE-BS']);
    assert.match(failures[0].lastError ?? '', /TEE-BS has no value of "size"/);

    const [bs] = await t.search('product.product', [['code', '=', 'TEE-BS']]);
    await t.write('product.product', [bs], { attributes: { colour: 'blue', size: 's' } });
    await engine.tick();
    assert.deepEqual(optionsOf(await productOf('TEE-BS'), 'TEE-BS'), { 'attribute:colour': 'blue', 'attribute:size': 's' });
  });

  test('an option relabelled in Tryton is renamed in Vendure, matched by its code', async () => {
    await t.write('product.attribute', [colour], { selection: 'red:Crimson\nblue:Blue' });
    await engine.tick();
    const p = await productOf('TEE-RS');
    const group = p.optionGroups.find((g) => g.code === 'attribute:colour')!;
    assert.deepEqual(group.options.map((o) => [o.code, o.name]).sort(), [['blue', 'Blue'], ['red', 'Crimson']]);
  });

  test('a variant archived in Tryton is disabled in Vendure, its orders and options kept', async () => {
    const [bm] = await t.search('product.product', [['code', '=', 'TEE-BM']]);
    await t.write('product.product', [bm], { active: false });
    await engine.tick();
    const v = (await productOf('TEE-BM')).variants.find((x) => x.sku === 'TEE-BM')!;
    assert.equal(v.enabled, false);
    assert.equal(v.options.length, 2);
  });

  test('an option changed in Vendure, with Tryton the master: reverted (revert), or left and flagged (flag)', async () => {
    let p = await productOf('TEE-RS');
    await setOptions(p, 'TEE-RS', [optionId(p, 'attribute:colour', 'blue'), optionId(p, 'attribute:size', 's')]);
    await variantChanged(engine, ['TEE-RS']);
    await engine.tick();
    assert.deepEqual(optionsOf(await productOf('TEE-RS'), 'TEE-RS'), { 'attribute:colour': 'red', 'attribute:size': 's' }, 'written back');
    const reverted = (await engine.ctx.storage.auditTrail('TEE-RS')).find((a) => a.action === 'product.reverted');
    assert.match(reverted?.setting ?? '', /master\.productAttributes=inventory, ownership\.onConflict=revert/);

    const flagging = await engineFor({ ...settings.config, ownership: { onConflict: 'flag' } });
    try {
      await flagging.tick();
      p = await productOf('TEE-RS');
      await setOptions(p, 'TEE-RS', [optionId(p, 'attribute:colour', 'blue'), optionId(p, 'attribute:size', 's')]);
      await variantChanged(flagging, ['TEE-RS']);
      await flagging.tick();
      assert.deepEqual(optionsOf(await productOf('TEE-RS'), 'TEE-RS'), { 'attribute:colour': 'blue', 'attribute:size': 's' }, 'left in the store');
      const conflicts = await flagging.ctx.storage.conflicts();
      assert.deepEqual(conflicts.map((c) => [c.recordKey, c.fieldGroup]), [['TEE-RS', 'attributes']]);
      assert.match(conflicts[0].masterValue, /"red"/);
      assert.deepEqual(await attributesIn('TEE-RS'), { colour: 'red', size: 's' }, 'Tryton keeps its value');
    } finally {
      await flagging.ctx.storage.close();
    }
    // decided again under revert, the master's value returns
    await engine.ctx.storage.enqueue({ kind: 'product.fromStore', key: 'TEE-RS', reason: 'test: decide again under revert' });
    await engine.tick();
    assert.deepEqual(optionsOf(await productOf('TEE-RS'), 'TEE-RS'), { 'attribute:colour': 'red', 'attribute:size': 's' });
  });

  test('with the store the master, an option changed in Vendure reaches Tryton, a new option added to its attribute', async () => {
    const storeMaster = await engineFor({ ...settings.config, master: { ...settings.config.master, productAttributes: 'store' } });
    try {
      await storeMaster.tick();
      let p = await productOf('TEE-RM');
      const { createProductOption: white } = await admin<{ createProductOption: { id: string } }>(`mutation($i: CreateProductOptionInput!) { createProductOption(input: $i) { id } }`,
        { i: { productOptionGroupId: p.optionGroups.find((g) => g.code === 'attribute:colour')!.id, code: 'white', translations: [{ languageCode: 'en', name: 'White' }] } });
      p = await productOf('TEE-RM');
      await setOptions(p, 'TEE-RM', [white.id, optionId(p, 'attribute:size', 'm')]);
      await variantChanged(storeMaster, ['TEE-RM']);
      await storeMaster.tick();
      assert.deepEqual(await attributesIn('TEE-RM'), { colour: 'white', size: 'm' });
      const [{ selection }] = await t.read<{ selection: string }>('product.attribute', [colour], ['selection']);
      assert.equal(selection, 'red:Crimson\nblue:Blue\nwhite:White');
      const updated = (await storeMaster.ctx.storage.auditTrail('TEE-RM')).find((a) => a.action === 'product.updated' && a.toSystem === 'tryton');
      assert.equal(updated?.setting, 'master.productAttributes=store');
      await storeMaster.tick();
      assert.deepEqual(optionsOf(await productOf('TEE-RM'), 'TEE-RM'), { 'attribute:colour': 'white', 'attribute:size': 'm' }, 'Tryton echoing it back changes nothing');
    } finally {
      await storeMaster.ctx.storage.close();
    }
  });

  test('SIGKILL right after the option group is made, before the variants: the next sync uses that group, no second one', async () => {
    const [material] = await t.create('product.attribute', [{ name: 'material', string: 'Material', type_: 'selection', selection: 'oak:Oak\nash:Ash' }]);
    const [furniture] = await t.create('product.attribute.set', [{ name: 'Furniture', attributes: [['add', [material]]] }]);
    await template('STOOL-', 'Stool', furniture, { OAK: { material: 'oak' }, ASH: { material: 'ash' } });
    const sync = (env: Record<string, string>) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, [DOVETAIL_BIN, '--config', settings.file, 'sync', 'products'],
        { env: { ...process.env, ...settings.env, ...env, DOVETAIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const groups = async () => (await admin<{ productOptionGroups: { items: { id: string }[] } }>(
      `query { productOptionGroups(options: { filter: { code: { eq: "attribute:material" } } }) { items { id } } }`)).productOptionGroups.items;
    assert.equal((await sync({ DOVETAIL_FAILPOINT: 'attributes.optionGroupCreated' })).signal, 'SIGKILL', 'the first sync died at the failpoint');
    assert.equal((await groups()).length, 1, 'the group was made before the crash');
    const stoolVariants = async () => (await admin<{ productVariants: { items: { sku: string }[] } }>(
      `query { productVariants(options: { filter: { sku: { contains: "STOOL-" } } }) { items { sku } } }`)).productVariants.items.map((v) => v.sku).sort();
    assert.deepEqual(await stoolVariants(), [], 'its variants were not');

    assert.equal((await sync({})).code, 0);
    assert.equal((await groups()).length, 1, 'one option group');
    assert.deepEqual(await stoolVariants(), ['STOOL-ASH', 'STOOL-OAK']);
    const p = await productOf('STOOL-OAK');
    assert.deepEqual(p.optionGroups.map((g) => g.code), ['attribute:material']);
    assert.deepEqual(optionsOf(p, 'STOOL-ASH'), { 'attribute:material': 'ash' });
  });
});
