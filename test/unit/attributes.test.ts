// Product attributes (master.productAttributes) in pure pieces: Tryton's selection text and
// variant values, Vendure's attribute option groups read and planned, and the coverage row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeValuesOf as trytonValues, parseSelection, selectionWith } from '../../src/connectors/tryton/attributes.js';
import { attributeValuesOf as vendureValues } from '../../src/connectors/vendure/mappers.js';
import { attributeOptionIds, optionChanges, wantedGroups } from '../../src/connectors/vendure/options.js';
import { parseConfig } from '../../src/config/load.js';
import { coverage } from '../../src/config/coverage.js';

const attribute = (id: number, name: string, string: string, selection: string | null, type_ = 'selection') => ({ id, name, string, type_, selection });

test('a selection text reads as Tryton reads it: split at the first colon, trimmed, blank lines skipped', () => {
  assert.deepEqual(parseSelection('red:Red\n\n blue : Deep blue \ntime:12:30\r\nplain'), [['red', 'Red'], ['blue', 'Deep blue'], ['time', '12:30'], ['plain', 'plain']]);
  assert.deepEqual(parseSelection(null), []);
});

test('a selection line is relabelled in place by its key, or added at the end', () => {
  assert.equal(selectionWith('red:Red\nblue:Blue', 'red', 'Crimson'), 'red:Crimson\nblue:Blue');
  assert.equal(selectionWith('red:Red\nblue:Blue', 'white', 'White'), 'red:Red\nblue:Blue\nwhite:White');
  assert.equal(selectionWith(null, 'white', 'White'), 'white:White');
});

test('a Tryton variant\'s values: selection attributes of its set, by name, labelled from the selection; a missing value is left out', () => {
  const set = [attribute(2, 'size', 'Size', 's:Small\nm:Medium'), attribute(1, 'colour', 'Colour', 'red:Red'), attribute(3, 'note', 'Note', null, 'char'), attribute(4, 'fit', 'Fit', 'slim:Slim')];
  assert.deepEqual(trytonValues(set, { size: 'm', colour: 'red', note: 'anything', gone: 'x' }), [
    { attribute: 'colour', attributeLabel: 'Colour', code: 'red', label: 'Red' },
    { attribute: 'size', attributeLabel: 'Size', code: 'm', label: 'Medium' },
  ]);
  assert.deepEqual(trytonValues([attribute(1, 'colour', 'Colour', 'red:Red')], { colour: 'teal' }), [{ attribute: 'colour', attributeLabel: 'Colour', code: 'teal', label: 'teal' }],
    'a key no longer in the selection keeps its code as label');
});

test('a Vendure variant\'s values: only options of Dovetail\'s attribute groups, by attribute', () => {
  const product = { optionGroups: [
    { id: 'g1', code: 'attribute:size', name: 'Size', options: [{ id: 'o1', code: 'm', name: 'Medium' }] },
    { id: 'g2', code: 'attribute:colour', name: 'Colour', options: [{ id: 'o2', code: 'red', name: 'Crimson' }] },
    { id: 'g3', code: 'tee-variant', name: 'Variant', options: [{ id: 'o3', code: 'tee-rm', name: 'Tee' }] },
  ] } as Parameters<typeof vendureValues>[0]['product'];
  assert.deepEqual(vendureValues({ product, options: [{ id: 'o1', groupId: 'g1' }, { id: 'o3', groupId: 'g3' }, { id: 'o2', groupId: 'g2' }] }), [
    { attribute: 'colour', attributeLabel: 'Colour', code: 'red', label: 'Crimson' },
    { attribute: 'size', attributeLabel: 'Size', code: 'm', label: 'Medium' },
  ]);
});

test('the option writes planned: groups made with their options, options added, labels changed; a new code is a new option', () => {
  const wanted = wantedGroups([
    { values: [{ attribute: 'colour', attributeLabel: 'Colour', code: 'red', label: 'Crimson' }, { attribute: 'size', attributeLabel: 'Size', code: 's', label: 'Small' }] },
    { values: [{ attribute: 'colour', attributeLabel: 'Colour', code: 'white', label: 'White' }, { attribute: 'size', attributeLabel: 'Size', code: 's', label: 'Small' }] },
  ]);
  const existing = new Map([['attribute:colour', { id: 'g1', code: 'attribute:colour', name: 'Color', options: [{ id: 'o1', code: 'red', name: 'Red' }, { id: 'o2', code: 'blue', name: 'Blue' }] }]]);
  assert.deepEqual(optionChanges(wanted, existing), {
    createGroups: [{ attribute: 'size', label: 'Size', options: [['s', 'Small']] }],
    createOptions: [{ groupId: 'g1', code: 'white', label: 'White' }],
    renameGroups: [{ id: 'g1', label: 'Colour' }],
    renameOptions: [{ id: 'o1', label: 'Crimson' }],
  });
  const same = new Map([['attribute:colour', { id: 'g1', code: 'attribute:colour', name: 'Colour', options: [{ id: 'o1', code: 'red', name: 'Crimson' }, { id: 'o9', code: 'white', name: 'White' }] }],
    ['attribute:size', { id: 'g2', code: 'attribute:size', name: 'Size', options: [{ id: 'o3', code: 's', name: 'Small' }] }]]);
  assert.deepEqual(optionChanges(wanted, same), { createGroups: [], createOptions: [], renameGroups: [], renameOptions: [] }, 'nothing to write');
});

test('coverage: master.productAttributes is carried for Tryton ↔ Vendure, both ways; with Shopify, check names the platform limit', () => {
  const row = (yaml: string) => coverage(parseConfig(yaml, {}, 'x')).find((r) => r.key === 'master.productAttributes')!;
  const base = 'systems:\n  inventory: { type: tryton, password: x }\n  store: { type: vendure, password: x, webhookSecret: 0123456789abcdef0123 }\n';
  for (const answer of ['inventory', 'store']) {
    const r = row(`${base}master: { productAttributes: ${answer} }\n`);
    assert.equal(r.carriedOut, true, answer);
    assert.match(r.note, /option group/);
  }
  const shopify = row('systems:\n  inventory: { type: tryton, password: x }\n  store: { type: shopify, shop: my-shop.myshopify.com, accessToken: shpat_x, webhookSecret: 0123456789abcdef }\n');
  assert.equal(shopify.carriedOut, false);
  assert.match(shopify.note, /the Shopify connector cannot: Shopify's product options/);
});

/** A Vendure that answers the option calls from a list of groups, and notes each call by its operation name. */
function fakeVendure(groups: { id: string; code: string; name: string; options: { id: string; code: string; name: string }[] }[]) {
  const calls: string[] = [];
  let next = 100;
  const client = {
    async admin(query: string, vars: Record<string, unknown>, schema: { parse(v: unknown): unknown }) {
      const op = /(query|mutation) (\w+)/.exec(query)![2];
      calls.push(op);
      if (op === 'AttributeGroups') {
        const codes = (vars.o as { filter: { code: { in: string[] } } }).filter.code.in;
        return schema.parse({ productOptionGroups: { items: groups.filter((g) => codes.includes(g.code)) } });
      }
      const out: Record<string, unknown> = {};
      for (const [, alias, field] of query.matchAll(/(\w+): (\w+)\(/g)) {
        const input = vars[`i${alias.slice(1)}`] as { code: string; translations: { name: string }[]; options?: { code: string; translations: { name: string }[] }[] };
        if (field === 'createProductOptionGroup') {
          const g = { id: `g${next++}`, code: input.code, name: input.translations[0].name, options: (input.options ?? []).map((o) => ({ id: `o${next++}`, code: o.code, name: o.translations[0].name })) };
          groups.push(g);
          out[alias] = g;
        } else if (field === 'createProductOption') out[alias] = { id: `o${next++}`, code: input.code, name: input.translations[0].name };
        else out[alias] = { id: 'x' };
      }
      return schema.parse(out);
    },
  };
  return { client: client as unknown as Parameters<typeof attributeOptionIds>[0], calls };
}

test('option calls: one read, one write of what is missing, one attach; a second product of the batch reuses what the first saw', async () => {
  const red = { attribute: 'colour', attributeLabel: 'Colour', code: 'red', label: 'Red' };
  const vendure = fakeVendure([]);
  const seen = new Map();
  const first = await attributeOptionIds(vendure.client, { id: 'p1', slug: 'tee', optionGroups: [] }, [{ sku: 'TEE-R', values: [red] }], seen);
  assert.deepEqual(vendure.calls, ['AttributeGroups', 'AttributeOptions', 'AttachGroups'], 'the group is made with its options and not read again');
  assert.equal((first.get('TEE-R') as string[]).length, 1);
  vendure.calls.length = 0;
  const second = await attributeOptionIds(vendure.client, { id: 'p2', slug: 'cap', optionGroups: [] }, [{ sku: 'CAP-R', values: [red] }], seen);
  assert.deepEqual(vendure.calls, ['AttachGroups'], 'the shared group is neither read nor made again');
  assert.deepEqual(second.get('CAP-R'), first.get('TEE-R'), 'the same option');
  vendure.calls.length = 0;
  const missing = await attributeOptionIds(vendure.client, { id: 'p1', slug: 'tee', optionGroups: [...seen.values()] },
    [{ sku: 'TEE-R', values: [red] }, { sku: 'TEE-X', values: [] }], seen);
  assert.deepEqual(vendure.calls, [], 'nothing to read or write');
  assert.match(String(missing.get('TEE-X')), /TEE-X has no value of "colour"/);
});
