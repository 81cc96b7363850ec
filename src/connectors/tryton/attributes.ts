// Tryton's product attributes (module product_attribute) as the `attributes` field group: the set
// on the template names the attributes, each variant's dict holds a selection key per attribute.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { AttributeValue } from '../../model/product.js';
import type { TrytonClient } from './client.js';

const AttributeRecord = z.object({ id: z.number(), name: z.string(), string: z.string(), type_: z.string(), selection: z.string().nullable() });
type AttributeRecord = z.infer<typeof AttributeRecord>;

/** A selection text's lines, `key:Label` each (Tryton's own reading: split at the first colon, both sides trimmed). */
export function parseSelection(text: string | null): [string, string][] {
  return (text ?? '').split(/\r?\n/).filter((line) => line.trim()).map((line) => {
    const at = line.indexOf(':');
    return at < 0 ? [line.trim(), line.trim()] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
  });
}

/** The selection text with `code` labelled `label`: the line of that key relabelled in place, or added at the end. */
export function selectionWith(text: string | null, code: string, label: string): string {
  const lines = parseSelection(text);
  const at = lines.findIndex(([key]) => key === code);
  if (at >= 0) lines[at] = [code, label];
  else lines.push([code, label]);
  return lines.map(([key, l]) => `${key}:${l}`).join('\n');
}

/**
 * A variant's attribute values, in the set's attribute order (by name: the set keeps no order of
 * its own). Only selection attributes are carried: a store option needs a code and a label.
 * An attribute the variant has no value for is left out; the store then says which is missing.
 */
export function attributeValuesOf(setAttributes: AttributeRecord[], values: Record<string, unknown>): AttributeValue[] {
  return setAttributes.filter((a) => a.type_ === 'selection').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).flatMap((a) => {
    const code = values[a.name];
    if (typeof code !== 'string' || !code) return [];
    const label = new Map(parseSelection(a.selection)).get(code) ?? code;
    return [{ attribute: a.name, attributeLabel: a.string, code, label }];
  });
}

/** The attributes of each of these sets, by set id. */
export async function setAttributes(client: TrytonClient, setIds: number[]): Promise<Map<number, AttributeRecord[]>> {
  const ids = [...new Set(setIds)];
  if (!ids.length) return new Map();
  const sets = z.array(z.object({ id: z.number(), attributes: z.array(z.number()) })).parse(await client.read('product.attribute.set', ids, ['attributes']));
  const attributeIds = [...new Set(sets.flatMap((s) => s.attributes))];
  const attributes = new Map(attributeIds.length ? z.array(AttributeRecord).parse(
    await client.read('product.attribute', attributeIds, ['name', 'string', 'type_', 'selection'])).map((a) => [a.id, a]) : []);
  return new Map(sets.map((s) => [s.id, s.attributes.map((id) => attributes.get(id)).filter((a): a is AttributeRecord => !!a)]));
}

/** Tryton answers a Dict field as an object, or null when it holds nothing. */
export const AttributeDict = z.record(z.string(), z.unknown()).nullable().optional().transform((v) => v ?? {});

/**
 * Writes a variant's attribute values (master.productAttributes=store): each value's selection
 * line is added to its attribute, or relabelled, when it differs, then the variant's dict is set.
 * The attributes must be in the template's set: Tryton refuses others, and so does Dovetail, by name.
 */
export async function writeAttributeValues(client: TrytonClient, product: { id: number; sku: string; attributeSet: number | null; current: Record<string, unknown> }, values: AttributeValue[]): Promise<void> {
  if (product.attributeSet === null) throw permanent(`Tryton variant ${product.sku} has no attribute set on its template: its attributes (${values.map((v) => v.attribute).join(', ')}) cannot be written`, { sku: product.sku });
  const inSet = new Map((await setAttributes(client, [product.attributeSet])).get(product.attributeSet)?.map((a) => [a.name, a]) ?? []);
  const dict: Record<string, unknown> = { ...product.current };
  for (const v of values) {
    const attribute = inSet.get(v.attribute);
    if (!attribute || attribute.type_ !== 'selection') {
      throw permanent(`the store gives ${product.sku} a value of "${v.attribute}", which is not a selection attribute of its attribute set in Tryton`, { sku: product.sku, attribute: v.attribute });
    }
    if (new Map(parseSelection(attribute.selection)).get(v.code) !== v.label) {
      const selection = selectionWith(attribute.selection, v.code, v.label);
      await client.write('product.attribute', [attribute.id], { selection });
      attribute.selection = selection;
    }
    dict[v.attribute] = v.code;
  }
  await client.write('product.product', [product.id], { attributes: dict });
}

/** Variants (archived ones too) whose template's attribute set holds one of these attributes: a relabelled option changes them. */
export async function productsOfAttributes(client: TrytonClient, attributeIds: number[]): Promise<number[]> {
  if (!attributeIds.length) return [];
  return client.search('product.product', [['template.attribute_set.attributes', 'in', attributeIds], ['code', '!=', null]], {}, { active_test: false });
}
