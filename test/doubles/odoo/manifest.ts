// Which models, fields and methods each Odoo version has, as read from Odoo's own sources into
// src/connectors/odoo/manifest/odoo-<version>.json: the double refuses, and the connector's tests check, against it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const ODOO_VERSIONS = ['17.0', '18.0', '19.0', '20.0'] as const;
export type OdooVersion = (typeof ODOO_VERSIONS)[number];

const fieldSchema = z.object({
  type: z.string(),
  relation: z.string().optional(),
  inverse: z.string().optional(),
  // selections are [value, label] pairs in Odoo's sources; some entries keep only the values
  selection: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])).optional(),
  source: z.string(),
}).loose();

const namesSchema = z.object({
  fields: z.record(z.string(), fieldSchema),
  methods: z.record(z.string(), z.string()),
});

const manifestSchema = z.object({
  version: z.string(),
  commit: z.string(),
  /** what every model inherits (id, display_name, create_date, write_date; read, search, write…) */
  base: namesSchema,
  models: z.record(z.string(), namesSchema),
});

export type ManifestField = z.infer<typeof fieldSchema>;
export type OdooManifest = z.infer<typeof manifestSchema>;

const loaded = new Map<OdooVersion, OdooManifest>();

/** The manifest of one version, read once per process. */
export function manifestFor(version: OdooVersion): OdooManifest {
  let manifest = loaded.get(version);
  if (!manifest) {
    const file = new URL(`../../../src/connectors/odoo/manifest/odoo-${version}.json`, import.meta.url);
    manifest = manifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    if (manifest.version !== version) throw new Error(`odoo-${version}.json says it is version ${manifest.version}`);
    loaded.set(version, manifest);
  }
  return manifest;
}

/**
 * Models that carry another model's fields through a link (Odoo's `_inherits`): a variant its
 * template's name, price… in every version; up to 17 a payment its journal entry's state, name,
 * ref and journal (18 gave account.payment fields of its own).
 */
export function delegateOf(version: OdooVersion, model: string): { parent: string; link: string } | undefined {
  if (model === 'product.product') return { parent: 'product.template', link: 'product_tmpl_id' };
  if (model === 'account.payment' && version === '17.0') return { parent: 'account.move', link: 'move_id' };
  return undefined;
}

/** A field of `model` (its own, its delegate parent's, or the base's), or undefined when that version has none. */
export function fieldOf(version: OdooVersion, model: string, field: string): ManifestField | undefined {
  const manifest = manifestFor(version);
  const delegate = delegateOf(version, model);
  return manifest.models[model]?.fields[field]
    ?? (delegate ? manifest.models[delegate.parent]?.fields[field] : undefined)
    ?? manifest.base.fields[field];
}

/** Whether `model` has `method` in that version (its own or the base's). */
export function hasMethod(version: OdooVersion, model: string, method: string): boolean {
  const manifest = manifestFor(version);
  return method in (manifest.models[model]?.methods ?? {}) || method in manifest.base.methods;
}

export interface UnknownName {
  kind: 'model' | 'field' | 'method';
  /** the model the name was looked up on (for a dotted path, the model its last step lands on) */
  model: string;
  name: string;
}

/**
 * The first name that version of Odoo does not know: the model, one of `fields` (dotted paths such as
 * `partner_id.email` are followed through their relations) or `method`; null when all are known.
 */
export function unknownName(version: OdooVersion, model: string, names: { fields?: readonly string[]; method?: string }): UnknownName | null {
  if (!(model in manifestFor(version).models)) return { kind: 'model', model, name: model };
  for (const path of names.fields ?? []) {
    const unknown = unknownPath(version, model, path);
    if (unknown) return unknown;
  }
  if (names.method !== undefined && !hasMethod(version, model, names.method)) return { kind: 'method', model, name: names.method };
  return null;
}

function unknownPath(version: OdooVersion, model: string, path: string): UnknownName | null {
  let current = model;
  const steps = path.split('.');
  for (const [index, step] of steps.entries()) {
    const field = fieldOf(version, current, step);
    if (!field) return { kind: 'field', model: current, name: step };
    if (index === steps.length - 1) break;
    if (!field.relation) return { kind: 'field', model: current, name: steps[index + 1]! };
    if (!(field.relation in manifestFor(version).models)) return { kind: 'model', model: field.relation, name: field.relation };
    current = field.relation;
  }
  return null;
}
