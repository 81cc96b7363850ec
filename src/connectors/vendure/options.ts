// The `attributes` field group in Vendure: one option group per inventory attribute, shared by the
// products that use it, one option per selection key; found by code before anything is made.
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { failpoint } from '../../engine/failpoints.js';
import type { AttributeValue } from '../../model/product.js';
import type { VendureClient } from './client.js';
import { attributeGroupCode, ATTRIBUTE_GROUP_PREFIX, OptionGroupNode } from './mappers.js';

const LANG = 'en';

/** A product as far as its options go: its id and the option groups it has. */
export interface OptionedProduct { id: string; slug: string; optionGroups: OptionGroupNode[] }

/** What the option groups should hold for these variants: per attribute code, its label and its options (code → label). */
export function wantedGroups(variants: { values: AttributeValue[] }[]): Map<string, { label: string; options: Map<string, string> }> {
  const out = new Map<string, { label: string; options: Map<string, string> }>();
  for (const v of variants) for (const a of v.values) {
    const g = out.get(a.attribute) ?? { label: a.attributeLabel, options: new Map<string, string>() };
    g.label = a.attributeLabel;
    g.options.set(a.code, a.label);
    out.set(a.attribute, g);
  }
  return out;
}

/**
 * The writes that make `existing` hold what `wanted` says: groups to make (with their options),
 * options to add, and groups and options whose label differs. A changed code is a new option:
 * codes identify, labels are only shown.
 */
export function optionChanges(wanted: ReturnType<typeof wantedGroups>, existing: Map<string, OptionGroupNode>) {
  const createGroups: { attribute: string; label: string; options: [string, string][] }[] = [];
  const createOptions: { groupId: string; code: string; label: string }[] = [];
  const renameGroups: { id: string; label: string }[] = [];
  const renameOptions: { id: string; label: string }[] = [];
  for (const [attribute, want] of wanted) {
    const group = existing.get(attributeGroupCode(attribute));
    if (!group) { createGroups.push({ attribute, label: want.label, options: [...want.options] }); continue; }
    if (group.name !== want.label) renameGroups.push({ id: group.id, label: want.label });
    for (const [code, label] of want.options) {
      const option = group.options.find((o) => o.code === code);
      if (!option) createOptions.push({ groupId: group.id, code, label });
      else if (option.name !== label) renameOptions.push({ id: option.id, label });
    }
  }
  return { createGroups, createOptions, renameGroups, renameOptions };
}

const GroupList = z.object({ productOptionGroups: z.object({ items: z.array(OptionGroupNode) }) });

/** Dovetail's attribute groups with these codes, wherever they are (on this product, another, or none after a crash). */
async function groupsByCode(client: VendureClient, codes: string[]): Promise<Map<string, OptionGroupNode>> {
  if (!codes.length) return new Map();
  const r = await client.admin(`query AttributeGroups($o: ProductOptionGroupListOptions) { productOptionGroups(options: $o) { items { id code name options { id code name } } } }`,
    { o: { filter: { code: { in: codes } }, sort: { id: 'ASC' }, take: codes.length * 2 } }, GroupList);
  const out = new Map<string, OptionGroupNode>();
  for (const g of r.productOptionGroups.items) if (codes.includes(g.code) && !out.has(g.code)) out.set(g.code, g);
  return out;
}

/** Dovetail's attribute groups as last read or written in one batch, by code: shared by products, so read and relabelled once. */
export type SeenGroups = Map<string, OptionGroupNode>;

const Option = OptionGroupNode.shape.options.element;

/**
 * Makes Vendure's attribute groups and options hold what these variants of one product need,
 * attaches the groups to the product, and answers each variant's option ids (or why it cannot
 * have them). A group is looked up by its code before it is made, so a retry after a crash
 * between making a group and making the variants uses the group the crashed attempt made.
 * Calls: one read of the groups the product (or this batch, `seen`) does not show yet, one
 * aliased mutation for what is missing or relabelled, one for the groups not yet on the product;
 * none when nothing differs.
 */
export async function attributeOptionIds(client: VendureClient, product: OptionedProduct, variants: { sku: string; values: AttributeValue[] }[],
  seen: SeenGroups = new Map()): Promise<Map<string, string[] | DovetailError>> {
  const foreign = product.optionGroups.filter((g) => !g.code.startsWith(ATTRIBUTE_GROUP_PREFIX));
  if (foreign.length) {
    const error = permanent(`Vendure product "${product.slug}" has option groups that are not inventory attributes (${foreign.map((g) => g.code).join(', ')}): its variants cannot take attribute options until those groups are removed from it`,
      { product: product.slug });
    return new Map(variants.map((v) => [v.sku, error]));
  }
  const wanted = wantedGroups(variants);
  const codes = [...new Set([...wanted.keys()].map(attributeGroupCode))];
  for (const g of product.optionGroups) if (!seen.has(g.code)) seen.set(g.code, g);
  const unseen = codes.filter((c) => !seen.has(c));
  for (const [code, g] of await groupsByCode(client, unseen)) seen.set(code, g);
  const groups = new Map(codes.filter((c) => seen.has(c)).map((c) => [c, seen.get(c)!]));
  const { createGroups, createOptions, renameGroups, renameOptions } = optionChanges(wanted, groups);
  if (createGroups.length + createOptions.length + renameGroups.length + renameOptions.length) {
    const calls: string[] = [];
    const vars: Record<string, unknown> = {};
    const decl: string[] = [];
    const add = (field: string, type: string, input: unknown, answer: string) => {
      const n = calls.length;
      decl.push(`$i${n}: ${type}!`);
      vars[`i${n}`] = input;
      calls.push(`m${n}: ${field}(input: $i${n}) { ${answer} }`);
      return `m${n}`;
    };
    const madeGroups = createGroups.map((g) => add('createProductOptionGroup', 'CreateProductOptionGroupInput', { code: attributeGroupCode(g.attribute),
      translations: [{ languageCode: LANG, name: g.label }], options: g.options.map(([code, name]) => ({ code, translations: [{ languageCode: LANG, name }] })) },
    'id code name options { id code name }'));
    const madeOptions = createOptions.map((o) => [o.groupId, add('createProductOption', 'CreateProductOptionInput',
      { productOptionGroupId: o.groupId, code: o.code, translations: [{ languageCode: LANG, name: o.label }] }, 'id code name')] as const);
    for (const g of renameGroups) add('updateProductOptionGroup', 'UpdateProductOptionGroupInput', { id: g.id, translations: [{ languageCode: LANG, name: g.label }] }, 'id');
    for (const o of renameOptions) add('updateProductOption', 'UpdateProductOptionInput', { id: o.id, translations: [{ languageCode: LANG, name: o.label }] }, 'id');
    const r = await client.admin(`mutation AttributeOptions(${decl.join(', ')}) { ${calls.join('\n')} }`, vars, z.record(z.string(), z.unknown()));
    if (createGroups.length) failpoint('attributes.optionGroupCreated');
    // what Vendure now holds, from its answers: no second read
    for (const alias of madeGroups) { const g = OptionGroupNode.parse(r[alias]); seen.set(g.code, g); groups.set(g.code, g); }
    const byId = new Map([...groups.values()].map((g) => [g.id, g]));
    for (const [groupId, alias] of madeOptions) byId.get(groupId)?.options.push(Option.parse(r[alias]));
    for (const g of renameGroups) { const group = byId.get(g.id); if (group) group.name = g.label; }
    for (const o of renameOptions) for (const g of byId.values()) { const option = g.options.find((x) => x.id === o.id); if (option) option.name = o.label; }
  }
  const attached = new Set(product.optionGroups.map((g) => g.id));
  const toAttach = [...groups.values()].filter((g) => !attached.has(g.id));
  if (toAttach.length) {
    await client.admin(`mutation AttachGroups($p: ID!, ${toAttach.map((_, n) => `$g${n}: ID!`).join(', ')}) {
      ${toAttach.map((_, n) => `a${n}: addOptionGroupToProduct(productId: $p, optionGroupId: $g${n}) { id }`).join('\n')} }`,
    { p: product.id, ...Object.fromEntries(toAttach.map((g, n) => [`g${n}`, g.id])) }, z.record(z.string(), z.object({ id: z.string() })));
  }
  // Vendure asks each variant for one option of every group on the product
  const productGroups = new Set([...product.optionGroups.map((g) => g.code), ...codes]);
  return new Map(variants.map((v): [string, string[] | DovetailError] => {
    const byAttribute = new Map(v.values.map((a) => [attributeGroupCode(a.attribute), a.code]));
    const missing = [...productGroups].filter((code) => !byAttribute.has(code));
    if (missing.length) {
      return [v.sku, permanent(`variant ${v.sku} has no value of ${missing.map((c) => `"${c.slice(ATTRIBUTE_GROUP_PREFIX.length)}"`).join(', ')}, which other variants of its product have: set it in the inventory system`, { sku: v.sku })];
    }
    return [v.sku, [...byAttribute].map(([code, option]) => groups.get(code)!.options.find((o) => o.code === option)!.id)];
  }));
}
