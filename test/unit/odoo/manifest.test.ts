// Every model, field and method name the Odoo connector sends (models.ts) must exist in each
// supported version, as read from Odoo's own sources into the per-version manifests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { odooNames, usedNames, type OdooVersion } from '../../../src/connectors/odoo/models.js';
import { ODOO_VERSIONS, unknownName, type OdooVersion as ManifestVersion, type UnknownName } from '../../doubles/odoo/manifest.js';

const manifestFile = (v: ManifestVersion) => new URL(`../../../src/connectors/odoo/manifest/odoo-${v}.json`, import.meta.url);

/** Every name of `used` that version's manifest lacks. */
function unknownNames(version: ManifestVersion, used: { model: string; fields: string[]; methods: string[] }[]): UnknownName[] {
  return used.flatMap(({ model, fields, methods }) => [
    ...fields.map((field) => unknownName(version, model, { fields: [field] })),
    ...methods.map((method) => unknownName(version, model, { method })),
  ]).filter((u): u is UnknownName => u !== null);
}

const major = (v: ManifestVersion) => Number(v.split('.')[0]) as OdooVersion;

/** Versions whose sources could be read into a manifest (see src/connectors/odoo/manifest/README.md). */
const READ = ODOO_VERSIONS.filter((v) => existsSync(manifestFile(v)));

test('at least the versions the double serves have a manifest, and the rest are named as unchecked', (t) => {
  assert.ok(READ.includes('18.0') && READ.includes('19.0'), `manifests found: ${READ.join(', ')}`);
  for (const v of ODOO_VERSIONS.filter((x) => !READ.includes(x))) t.diagnostic(`Odoo ${v}: no manifest, its names are not checked here`);
});

for (const version of READ) {
  test(`every name the connector sends exists in Odoo ${version}`, () => {
    assert.deepEqual(unknownNames(version, usedNames(major(version))), []);
  });

  test(`the dotted paths the connector filters on exist in Odoo ${version}`, () => {
    const N = odooNames(major(version));
    assert.equal(unknownName(version, N.product.model, { fields: [`${N.product.fields.template}.${N.template.fields.kind}`] }), null);
  });
}

test('the check refuses a misspelt field, a misspelt method, a model that does not exist and a name of another version', () => {
  const version = ODOO_VERSIONS.find((v) => v === '18.0')!;
  assert.deepEqual(unknownNames(version, [{ model: 'sale.order.line', fields: ['tax_idz'], methods: [] }]), [{ kind: 'field', model: 'sale.order.line', name: 'tax_idz' }]);
  assert.deepEqual(unknownNames(version, [{ model: 'sale.order', fields: [], methods: ['action_confirmm'] }]), [{ kind: 'method', model: 'sale.order', name: 'action_confirmm' }]);
  assert.deepEqual(unknownNames(version, [{ model: 'sale.orders', fields: ['name'], methods: [] }]), [{ kind: 'model', model: 'sale.orders', name: 'sale.orders' }]);
  // a field that neither the model nor the entry it inherits from (17) has is refused
  assert.deepEqual(unknownNames(version, [{ model: 'account.payment', fields: ['memoo'], methods: [] }]), [{ kind: 'field', model: 'account.payment', name: 'memoo' }]);
  // 17's name for the product kind, sent to 18, is refused
  assert.deepEqual(unknownNames(version, [{ model: 'product.template', fields: [odooNames(17).template.fields.kind], methods: [] }]),
    [{ kind: 'field', model: 'product.template', name: 'detailed_type' }]);
});
