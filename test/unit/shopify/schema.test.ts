// Every document the Shopify connector can send is validated against Shopify's published Admin
// schema for the pinned version; a field renamed in that schema fails here, not in production.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { API_VERSION } from '../../../src/connectors/shopify/client.js';
import { OPERATIONS, ORDER_LINES_BATCH, OrderLinesStates } from '../../../src/connectors/shopify/operations.js';
import { adminSchema, requestedCost, schemaFile } from './admin-schema.js';

test('the published Admin schema of the pinned version is present', () => {
  assert.equal(API_VERSION, '2026-10');
  assert.ok(existsSync(schemaFile()), `missing ${schemaFile()}`);
});

test('every operation validates against the Admin schema', () => {
  const schema = adminSchema();
  let validated = 0;
  for (const op of OPERATIONS) {
    const doc = parse(op.document);
    const errors = validate(schema, doc);
    assert.deepEqual(errors.map((e) => e.message), [], `${op.name} does not validate`);
    const def = doc.definitions[0];
    assert.ok(def && def.kind === 'OperationDefinition' && def.name?.value === op.name && def.operation === op.kind, `${op.name}: name or kind differs from its document`);
    validated++;
  }
  assert.equal(validated, OPERATIONS.length);
  assert.ok(validated > 0);
  assert.equal(new Set(OPERATIONS.map((o) => o.name)).size, OPERATIONS.length, 'operation names are unique');
  console.log(`validated ${validated} Shopify operations against admin_${API_VERSION}`);
});

test('each declared cost is the one the documented rules give, and fits one call (1,000 points)', () => {
  for (const op of OPERATIONS) {
    if (op.bulkInner) { assert.equal(op.cost, null); continue; }
    const cost = requestedCost(op.document);
    assert.equal(op.cost, cost, `${op.name}: declared ${op.cost}, computed ${cost}`);
    assert.ok(cost <= 1000, `${op.name} costs ${cost}`);
  }
});

test('a full OrderLinesStates call fits one call even if Shopify counts every id of nodes(ids:) like a connection node', () => {
  assert.ok(2 + ORDER_LINES_BATCH * OrderLinesStates.cost! <= 1000, `${ORDER_LINES_BATCH} orders × ${OrderLinesStates.cost}`);
});

test('the required @idempotent directive is on inventoryAdjustQuantities and refundCreate', () => {
  for (const field of ['inventoryAdjustQuantities', 'refundCreate']) {
    const op = OPERATIONS.find((o) => o.document.includes(`${field}(`));
    assert.ok(op, field);
    assert.match(op.document, new RegExp(`${field}\\([^)]*\\)\\s*@idempotent\\(key: \\$key\\)`));
  }
});

test('a document with a renamed field fails validation (the check can fail)', () => {
  const schema = adminSchema();
  const op = OPERATIONS.find((o) => o.name === 'InventorySetQuantities')!;
  const renamed = op.document.replace('inventoryAdjustmentGroup', 'inventoryAdjustmentGroupRenamed');
  assert.notEqual(renamed, op.document);
  assert.ok(validate(schema, parse(renamed)).length > 0);
  const oldArg = OPERATIONS.find((o) => o.name === 'VariantsBySku')!.document.replace('descriptionHtml', 'descriptionHTML');
  assert.ok(validate(schema, parse(oldArg)).length > 0);
});
