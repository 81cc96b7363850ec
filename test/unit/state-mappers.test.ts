// Each connector's mappers turn its system's state words into Dovetail's own, and tell
// Dovetail's own writes coming back from anyone else's: the engine reads only what these return.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toCreditNoteState, toInventoryPaymentState, toSaleState, toShipmentState } from '../../src/connectors/tryton/mappers.js';
import { OrderNode, refundKeyOf, refundReason, toOrder, toOrderStatus, toPaymentState, toRefundState } from '../../src/connectors/vendure/mappers.js';

test('Vendure payment and refund states in Dovetail\'s words; a state Dovetail does not know counts for nothing', () => {
  assert.deepEqual(['Created', 'Authorized', 'Settled', 'Declined', 'Cancelled', 'Error', 'CustomReview'].map(toPaymentState),
    ['pending', 'authorised', 'captured', 'declined', 'cancelled', 'failed', 'pending']);
  assert.deepEqual(['Pending', 'Settled', 'Failed'].map(toRefundState), ['pending', 'settled', 'failed']);
});

test('Vendure: a refund Dovetail made is known by the key in its reason, anyone else\'s has none', () => {
  const reason = refundReason('W1:cancel-0123456789abcdef', 'Refund for 1 × A cancelled of order W1');
  assert.equal(reason, 'dovetail:W1:cancel-0123456789abcdef Refund for 1 × A cancelled of order W1');
  assert.equal(refundKeyOf(reason), 'W1:cancel-0123456789abcdef');
  assert.equal(refundKeyOf('damaged in transit'), null);
  assert.equal(refundKeyOf(null), null);
  assert.ok(refundReason('k', 'x'.repeat(400)).length <= 250, 'Vendure keeps 250 characters');
});

test('Vendure order status: drafts and orders arranging payment are carts, placed once it has a placing date, cancelled by state', () => {
  assert.equal(toOrderStatus({ state: 'Draft', active: false, orderPlacedAt: null }), 'cart');
  assert.equal(toOrderStatus({ state: 'ArrangingPayment', active: false, orderPlacedAt: null }), 'cart');
  assert.equal(toOrderStatus({ state: 'PaymentSettled', active: false, orderPlacedAt: '2026-01-01T00:00:00Z' }), 'placed');
  assert.equal(toOrderStatus({ state: 'Cancelled', active: false, orderPlacedAt: '2026-01-01T00:00:00Z' }), 'cancelled');
});

test('Vendure: the customer\'s groups come with the order (rules.salespeople customerGroup)', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../src/connectors/vendure/fixtures/order-placed.json', import.meta.url), 'utf8'));
  const withGroups = { ...fixture, customer: { ...fixture.customer, groups: [{ name: 'VIP' }, { name: 'Wholesale' }] } };
  assert.deepEqual(toOrder(OrderNode.parse(withGroups)).customer.groups, ['VIP', 'Wholesale']);
  assert.deepEqual(toOrder(OrderNode.parse(fixture)).customer.groups, []);
});

test('Tryton sale, payment, credit note and shipment states in Dovetail\'s words', () => {
  assert.deepEqual(['draft', 'quotation', 'confirmed', 'processing', 'done', 'cancelled'].map(toSaleState), ['draft', 'quotation', 'confirmed', 'processing', 'done', 'cancelled']);
  assert.throws(() => toSaleState('archived'));
  assert.deepEqual(['draft', 'submitted', 'approved', 'processing', 'succeeded', 'failed'].map(toInventoryPaymentState), ['pending', 'pending', 'pending', 'processing', 'succeeded', 'failed']);
  assert.throws(() => toInventoryPaymentState('refunded'), /not one Dovetail knows/);
  assert.deepEqual(['draft', 'validated', 'posted', 'paid', 'cancelled'].map(toCreditNoteState), ['draft', 'draft', 'posted', 'paid', 'cancelled']);
  assert.throws(() => toCreditNoteState('disputed'), /not one Dovetail knows/);
  assert.deepEqual(['draft', 'waiting', 'assigned', 'picked', 'packed', 'shipped', 'done', 'cancelled'].map(toShipmentState),
    ['preparing', 'preparing', 'preparing', 'preparing', 'preparing', 'shipped', 'done', 'cancelled']);
});
