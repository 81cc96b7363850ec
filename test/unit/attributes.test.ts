// Product attributes (master.productAttributes) in pure pieces: Tryton's selection text and
// variant values, Vendure's attribute option groups read and planned, and the coverage row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeValuesOf as trytonValues, parseSelection, selectionWith } from '../../src/connectors/tryton/attributes.js';
import { attributeValuesOf as vendureValues } from '../../src/connectors/vendure/mappers.js';
import { optionChanges, wantedGroups } from '../../src/connectors/vendure/options.js';
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
