// Cancellations, returns and edits judged by effect (model/order-lines.ts), on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changesBetween, linesAgree, linesAsPlaced, notYetIn, type LineState, type OrderLinesState } from '../../src/model/order-lines.js';

const line = (sku: string, quantity: number, shipped = 0, returned = 0): LineState =>
  ({ sku, quantity, shipped, returned, unitGrossMinor: 1100, unitNetMinor: 1000, taxRatePercent: 10 });
const state = (...lines: LineState[]): OrderLinesState => ({ orderCode: 'X', lines, totalMinor: 0, state: 'any' });

test('fewer units is a cancellation, shipped units back is a return, more units or a new SKU is an edit', () => {
  const before = state(line('A', 2, 1), line('B', 1));
  assert.deepEqual(changesBetween(before, state(line('A', 2, 1))), [{ kind: 'cancel', sku: 'B', quantity: 1 }], 'a line gone');
  assert.deepEqual(changesBetween(before, state(line('A', 1, 1, 1), line('B', 1))), [{ kind: 'return', sku: 'A', quantity: 1 }],
    'a return lowers the units the customer gets without being a cancellation');
  assert.deepEqual(changesBetween(before, state(line('A', 3, 1), line('B', 1), line('C', 2))), [
    { kind: 'edit', sku: 'A', from: 2, quantity: 3, unitNetMinor: 1000, taxRatePercent: 10 },
    { kind: 'edit', sku: 'C', from: 0, quantity: 2, unitNetMinor: 1000, taxRatePercent: 10 },
  ]);
  assert.deepEqual(changesBetween(before, before), [], 'nothing changed, nothing to carry');
  assert.deepEqual(changesBetween(before, state(line('A', 2, 2), line('B', 1))), [], 'a shipment is not an order change');
});

test('a return and a cancellation of the same SKU at once are told apart', () => {
  const before = state(line('A', 3, 1));
  assert.deepEqual(changesBetween(before, state(line('A', 1, 1, 1))), [
    { kind: 'return', sku: 'A', quantity: 1 },
    { kind: 'cancel', sku: 'A', quantity: 1 },
  ]);
});

test('both systems agree when they give the customer the same units and count the same returns', () => {
  assert.ok(linesAgree(state(line('A', 1, 1)), state(line('A', 1, 0))), 'what shipped is the shipments flow\'s business');
  assert.ok(linesAgree(state(line('A', 0), line('B', 1)), state(line('B', 1))), 'a line at 0 is the same as no line');
  assert.ok(!linesAgree(state(line('A', 1)), state(line('A', 2))));
  assert.ok(!linesAgree(state(line('A', 1, 1, 1)), state(line('A', 1, 1, 0))), 'a return not shown on one side');
});

test('what both sides already show is not carried again (a write that landed before a crash)', () => {
  const lidCancelled = { kind: 'cancel' as const, sku: 'LID', quantity: 1 };
  const kettleBack = { kind: 'return' as const, sku: 'KETTLE', quantity: 1 };
  assert.deepEqual(notYetIn([lidCancelled], [lidCancelled, kettleBack]), [], 'the store shows the cancellation already');
  assert.deepEqual(notYetIn([lidCancelled, kettleBack], [lidCancelled]), [kettleBack], 'only the return is left to carry');
  assert.deepEqual(notYetIn([{ ...lidCancelled, quantity: 3 }], [lidCancelled]), [{ ...lidCancelled, quantity: 2 }], 'the rest of a larger cancellation');
  const raised = { kind: 'edit' as const, sku: 'A', from: 1, quantity: 3, unitNetMinor: 100, taxRatePercent: 10 };
  assert.deepEqual(notYetIn([raised], [raised]), []);
  assert.deepEqual(notYetIn([raised], []), [raised]);
});

test('the order as placed is the baseline: a SKU on two lines (a split price) is one entry, nothing shipped or returned', () => {
  const order = {
    code: 'X', state: 'PaymentSettled',
    lines: [
      { sku: 'A', name: 'A', quantity: 2, unitPriceMinor: 333, lineNetMinor: 667, lineTaxMinor: 67, taxRatePercent: 10 },
      { sku: 'A', name: 'A', quantity: 1, unitPriceMinor: 333, lineNetMinor: 333, lineTaxMinor: 33, taxRatePercent: 10 },
      { sku: 'B', name: 'B', quantity: 1, unitPriceMinor: 500, lineNetMinor: 500, lineTaxMinor: 50, taxRatePercent: 10 },
    ],
  } as unknown as Parameters<typeof linesAsPlaced>[0];
  assert.deepEqual(linesAsPlaced(order, 2150), { orderCode: 'X', totalMinor: 2150, state: 'PaymentSettled', lines: [
    { sku: 'A', quantity: 3, shipped: 0, returned: 0, taxRatePercent: 10, unitGrossMinor: 367, unitNetMinor: 333 },
    { sku: 'B', quantity: 1, shipped: 0, returned: 0, taxRatePercent: 10, unitGrossMinor: 550, unitNetMinor: 500 },
  ] });
});
