// Test helpers: Shopify's published Admin schema (from @shopify/dev-mcp) and the documented
// static cost rules, so operation costs are recomputed from the schema rather than trusted.
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema, getNamedType, isCompositeType, isObjectType, Kind, parse,
  type FieldNode, type GraphQLCompositeType, type GraphQLSchema, type IntrospectionQuery, type SelectionSetNode,
} from 'graphql';
import { API_VERSION } from '../../../src/connectors/shopify/client.js';

let cached: GraphQLSchema | undefined;

export function schemaFile(version = API_VERSION): string {
  // the package's `exports` hides its data folder from require.resolve, so find it on disk
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return join(root, 'node_modules', '@shopify', 'dev-mcp', 'dist', 'data', `admin_${version}.json.gz`);
}

export function adminSchema(): GraphQLSchema {
  if (cached) return cached;
  const raw = JSON.parse(gunzipSync(readFileSync(schemaFile())).toString('utf8')) as { data: IntrospectionQuery };
  cached = buildClientSchema(raw.data);
  return cached;
}

/**
 * Requested cost by Shopify's documented rules: scalar and enum 0, object 1, connection
 * 2 + first × (its node's cost), mutation field 10, fragments the maximum of their branches.
 */
export function requestedCost(document: string, schema = adminSchema()): number {
  const doc = parse(document);
  let total = 0;
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    if (def.operation === 'mutation') {
      total += def.selectionSet.selections.filter((s) => s.kind === Kind.FIELD).length * 10;
      continue;
    }
    const root = schema.getQueryType();
    if (!root) throw new Error('schema without a query type');
    total += selectionCost(def.selectionSet, root, schema);
  }
  return Math.max(total, 1);
}

function selectionCost(set: SelectionSetNode, parent: GraphQLCompositeType, schema: GraphQLSchema): number {
  let sum = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.INLINE_FRAGMENT) {
      const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
      if (t && isCompositeType(t)) sum += selectionCost(sel.selectionSet, t, schema);
      continue;
    }
    if (sel.kind !== Kind.FIELD) throw new Error('named fragments are not used by the connector');
    sum += fieldCost(sel, parent, schema);
  }
  return sum;
}

function fieldCost(field: FieldNode, parent: GraphQLCompositeType, schema: GraphQLSchema): number {
  if (!isObjectType(parent) && !('getFields' in parent)) return 1;
  const def = 'getFields' in parent ? parent.getFields()[field.name.value] : undefined;
  if (!def) throw new Error(`no field ${parent.name}.${field.name.value}`);
  const type = getNamedType(def.type);
  if (!isCompositeType(type) || !field.selectionSet) return 0;
  if (type.name.endsWith('Connection')) {
    const first = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
    if (!first || first.value.kind !== Kind.INT) throw new Error(`${field.name.value}: connection without a literal first`);
    const n = Number(first.value.value);
    let nodeCost = 0;
    const connection = type as GraphQLCompositeType;
    for (const sel of field.selectionSet.selections) {
      if (sel.kind !== Kind.FIELD || !sel.selectionSet) continue;
      if (sel.name.value === 'nodes') {
        const nodeType = getNamedType((connection as { getFields(): Record<string, { type: Parameters<typeof getNamedType>[0] }> }).getFields().nodes.type);
        if (isCompositeType(nodeType)) nodeCost = Math.max(nodeCost, 1 + selectionCost(sel.selectionSet, nodeType, schema));
      } else if (sel.name.value === 'edges') {
        for (const e of sel.selectionSet.selections) {
          if (e.kind !== Kind.FIELD || e.name.value !== 'node' || !e.selectionSet) continue;
          const edgeType = getNamedType((connection as { getFields(): Record<string, { type: Parameters<typeof getNamedType>[0] }> }).getFields().edges.type) as GraphQLCompositeType;
          const nodeType = getNamedType((edgeType as unknown as { getFields(): Record<string, { type: Parameters<typeof getNamedType>[0] }> }).getFields().node.type);
          if (isCompositeType(nodeType)) nodeCost = Math.max(nodeCost, 1 + selectionCost(e.selectionSet, nodeType, schema));
        }
      }
    }
    return 2 + n * nodeCost;
  }
  return 1 + selectionCost(field.selectionSet, type, schema);
}
