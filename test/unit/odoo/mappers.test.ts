// Odoo's words and numbers in Dovetail's: money to the cent, line prices that add up exactly, and
// every state Odoo 17-20 can send, mapped or refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactLines, fromMinor, toMinor, toShipmentState } from '../../../src/connectors/odoo/mappers.js';
import { toSaleState } from '../../../src/connectors/odoo/offline.js';
import { toCreditNoteState, toPaymentState } from '../../../src/connectors/odoo/payments.js';
import { DovetailError } from '../../../src/errors.js';

test('amounts cross as minor units, rounded once at the edge', () => {
  assert.equal(toMinor(19.99, 2), 1999);
  assert.equal(toMinor(0.1 + 0.2, 2), 30);
  assert.equal(toMinor(1234, 0), 1234);
  assert.equal(fromMinor(1999, 2), 19.99);
  assert.equal(fromMinor(-5, 2), -0.05);
  assert.throws(() => toMinor(Number.NaN, 2), DovetailError);
});

test('a line amount that does not divide by its quantity becomes two lines a cent apart that add up exactly', () => {
  assert.deepEqual(exactLines(3000, 3), [{ quantity: 3, unitMinor: 1000 }]);
  assert.deepEqual(exactLines(1000, 3), [{ quantity: 2, unitMinor: 333 }, { quantity: 1, unitMinor: 334 }]);
  for (const [total, qty] of [[1, 7], [99_999, 13], [-1000, 3]] as const) {
    const parts = exactLines(total, qty);
    assert.equal(parts.reduce((n, p) => n + p.quantity * p.unitMinor, 0), total);
    assert.equal(parts.reduce((n, p) => n + p.quantity, 0), qty);
  }
});

test('sale states: quotations, and orders by how much left the warehouse', () => {
  assert.equal(toSaleState('draft', 'none'), 'quotation');
  assert.equal(toSaleState('sent', 'none'), 'quotation');
  assert.equal(toSaleState('sale', 'none'), 'confirmed');
  assert.equal(toSaleState('sale', 'some'), 'processing');
  assert.equal(toSaleState('sale', 'all'), 'done');
  assert.equal(toSaleState('cancel', 'none'), 'cancelled');
});

test("payment states of 17 (posted, cancel) and 18+ (in_process, paid, canceled, rejected); an operator's posting of a proposal is processing until the store captured", () => {
  assert.equal(toPaymentState('draft', ''), 'pending');
  for (const posted of ['posted', 'in_process', 'paid']) assert.equal(toPaymentState(posted, 'x [dovetail recorded k1] [dovetail order 42]'), 'succeeded');
  assert.equal(toPaymentState('in_process', 'x [dovetail to-capture k2] [dovetail order 42]'), 'processing');
  assert.equal(toPaymentState('in_process', 'x [dovetail to-capture k2] [dovetail order 42] [dovetail succeeded captured]'), 'succeeded');
  for (const dropped of ['cancel', 'canceled', 'rejected']) assert.equal(toPaymentState(dropped, ''), 'failed');
  assert.throws(() => toPaymentState('sent', ''), DovetailError);
});

test('credit note and picking states', () => {
  assert.equal(toCreditNoteState('draft', 'not_paid'), 'draft');
  assert.equal(toCreditNoteState('posted', 'not_paid'), 'posted');
  assert.equal(toCreditNoteState('posted', 'paid'), 'paid');
  assert.equal(toCreditNoteState('cancel', 'not_paid'), 'cancelled');
  assert.throws(() => toCreditNoteState('void', ''), DovetailError);
  assert.equal(toShipmentState('done'), 'done');
  assert.equal(toShipmentState('cancel'), 'cancelled');
  assert.equal(toShipmentState('assigned'), 'preparing');
});
