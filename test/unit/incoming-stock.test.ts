// Stock on its way in (inventory.incoming): what the store is told, and what a Vendure variant
// must change to show it, back-orders through its out-of-stock threshold included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incomingForStore } from '../../src/rules/incoming-stock.js';
import { incomingUpdate } from '../../src/connectors/vendure/incoming.js';

test('incomingForStore: show tells quantity and day, never sells ahead', () => {
  assert.deepEqual(incomingForStore('show', { quantity: 10, expectedDate: '2026-12-14' }), { quantity: 10, expectedDate: '2026-12-14', backorder: false });
});

test('incomingForStore: backorder sells ahead only while something is on its way', () => {
  assert.deepEqual(incomingForStore('backorder', { quantity: 10, expectedDate: null }), { quantity: 10, expectedDate: null, backorder: true });
  assert.deepEqual(incomingForStore('backorder', undefined), { quantity: 0, expectedDate: null, backorder: false }, 'nothing incoming puts the store back');
  assert.deepEqual(incomingForStore('backorder', { quantity: 0.4, expectedDate: '2026-12-14' }), { quantity: 0, expectedDate: null, backorder: false }, 'a part unit is neither shown nor sold');
});

test('incomingForStore: ERP floats settle to whole units without drift, never negative', () => {
  assert.equal(incomingForStore('show', { quantity: 3.3 - 0.3, expectedDate: null }).quantity, 3);
  assert.equal(incomingForStore('show', { quantity: -2, expectedDate: '2026-12-14' }).quantity, 0);
  assert.throws(() => incomingForStore('show', { quantity: Number.NaN, expectedDate: null }), RangeError);
});

const variant = (o: { threshold?: number; global?: boolean; quantity?: number | null; date?: string | null } = {}) => ({
  id: 'V1', sku: 'S', outOfStockThreshold: o.threshold ?? 0, useGlobalOutOfStockThreshold: o.global ?? true,
  customFields: { incomingQuantity: o.quantity === undefined ? 0 : o.quantity, incomingDate: o.date ?? null },
});

test('Vendure: back-orders are a negative own threshold, the fields show quantity and day', () => {
  assert.deepEqual(incomingUpdate(variant(), { sku: 'S', quantity: 10, expectedDate: '2026-12-14', backorder: true }),
    { id: 'V1', customFields: { incomingQuantity: 10, incomingDate: '2026-12-14' }, useGlobalOutOfStockThreshold: false, outOfStockThreshold: -10 });
  assert.deepEqual(incomingUpdate(variant(), { sku: 'S', quantity: 10, expectedDate: '2026-12-14', backorder: false }),
    { id: 'V1', customFields: { incomingQuantity: 10, incomingDate: '2026-12-14' } }, 'show: the threshold is not touched');
});

test('Vendure: a variant already showing the row is not written again', () => {
  assert.equal(incomingUpdate(variant({ threshold: -10, global: false, quantity: 10, date: '2026-12-14' }), { sku: 'S', quantity: 10, expectedDate: '2026-12-14', backorder: true }), null);
  assert.equal(incomingUpdate(variant({ quantity: null }), { sku: 'S', quantity: 0, expectedDate: null, backorder: false }), null, 'a variant made before the field is read as 0');
});

test('Vendure: received or cancelled puts back-orders back to the store threshold, and leaves a threshold of its own', () => {
  assert.deepEqual(incomingUpdate(variant({ threshold: -10, global: false, quantity: 10, date: '2026-12-14' }), { sku: 'S', quantity: 0, expectedDate: null, backorder: false }),
    { id: 'V1', customFields: { incomingQuantity: 0, incomingDate: null }, useGlobalOutOfStockThreshold: true, outOfStockThreshold: 0 });
  assert.equal(incomingUpdate(variant({ threshold: 2, global: false }), { sku: 'S', quantity: 0, expectedDate: null, backorder: false }), null,
    'units a shop keeps back on a variant are its own');
  assert.deepEqual(incomingUpdate(variant({ threshold: -10, global: false, quantity: 10 }), { sku: 'S', quantity: 4, expectedDate: null, backorder: true }),
    { id: 'V1', customFields: { incomingQuantity: 4, incomingDate: null }, useGlobalOutOfStockThreshold: false, outOfStockThreshold: -4 }, 'part received: fewer sold ahead');
});
