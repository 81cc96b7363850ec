// The Tryton side of changes to a placed web order, against the real Tryton (no store needed): a
// web order imported as a sale, then shipped in part, cancelled through the shipment exception,
// amended, returned by the operator and by Dovetail; each time getSaleLines says what the customer
// gets and readChanges('sale') reports the order once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TrytonConnector } from '../../src/connectors/tryton/index.js';
import { oneOrder } from '../../src/connectors/types.js';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Order } from '../../src/model/order.js';
import type { LineState } from '../../src/model/order-lines.js';
import { freshTrytonDatabase } from './helpers/systems.js';
import { createTrytonProduct, receiveStock, shipWhatIsThere } from './helpers/dovetail.js';
import { amendQuantity, cancelUnshipped, postCreditNotesOf, returnUnits } from './helpers/tryton-operator.js';

const address = { fullName: 'Ada Shopper', street1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
const customer = { email: 'ada.changes@example.com', firstName: 'Ada', lastName: 'Shopper', addresses: [address] };

function webOrder(code: string, lines: { sku: string; quantity: number; unitMinor: number }[]): Order {
  const net = lines.reduce((a, l) => a + l.quantity * l.unitMinor, 0);
  const tax = lines.reduce((a, l) => a + Math.round(l.quantity * l.unitMinor / 10), 0);
  return {
    code, channel: 'default', placedAt: new Date().toISOString(), currency: 'USD', customer, shippingAddress: address, billingAddress: address,
    lines: lines.map((l) => ({ sku: l.sku, name: l.sku, quantity: l.quantity, unitPriceMinor: l.unitMinor, lineNetMinor: l.quantity * l.unitMinor,
      lineTaxMinor: Math.round(l.quantity * l.unitMinor / 10), taxRatePercent: 10 })),
    shipping: [{ name: 'Standard', netMinor: 500, taxMinor: 0, taxRatePercent: 0 }], discounts: [],
    totalNetMinor: net + 500, totalTaxMinor: tax, totalMinor: net + tax + 500, state: 'PaymentSettled', status: 'placed', placedOffline: false,
  };
}

/** Reads the 'sale' feed from where the last read stopped; returns the keys whose version is new. */
function feed(conn: TrytonConnector) {
  let cursor: string | null = null;
  const seen = new Map<string, string>();
  return async () => {
    const page = await conn.readChanges('sale', cursor);
    cursor = page.cursor;
    const fresh = page.changes.filter((c) => seen.get(c.key) !== c.sourceVersion).map((c) => c.key);
    for (const c of page.changes) seen.set(c.key, c.sourceVersion!);
    return [...new Set(fresh)];
  };
}

const line = (lines: LineState[] | undefined, sku: string) => lines?.find((l) => l.sku === sku);
const pick = (l: LineState | undefined) => l && { quantity: l.quantity, shipped: l.shipped, returned: l.returned };

async function onHand(t: TrytonClient, product: number): Promise<number> {
  const [wh] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1 });
  const [p] = await t.read<{ quantity: number }>('product.product', [product], ['quantity'], { locations: [wh] });
  return p.quantity;
}

describe('Tryton: changes to a placed web order', () => {
  let conn: TrytonConnector;
  const saleLines = (code: string) => oneOrder(conn.getSaleLines([code]), code);
  let t: TrytonClient;
  let saleId: number;
  const products = new Map<string, number>();
  const CODE = 'WEB-CHG-1';
  let changed: () => Promise<string[]>;

  before(async () => {
    conn = new TrytonConnector(await freshTrytonDatabase());
    t = conn.client;
    for (const [sku, price, stock] of [['MUG-1', '10', 2], ['PLATE-1', '5', 10], ['CUP-1', '7', 5]] as const) {
      products.set(sku, await createTrytonProduct(t, sku, sku, price));
      await receiveStock(t, products.get(sku)!, stock);
    }
    const { id: party } = await conn.upsertCustomer(customer);
    changed = feed(conn);
    assert.deepEqual(await changed(), [], 'no web sale yet');
    const imported = await conn.importOrder(webOrder(CODE, [{ sku: 'MUG-1', quantity: 3, unitMinor: 1000 }, { sku: 'PLATE-1', quantity: 2, unitMinor: 500 }]), { customerId: party });
    saleId = Number(imported.id);
  });

  test('after import: every SKU ordered, nothing shipped; shipping left out; the order reported once', async () => {
    const s = await saleLines(CODE);
    assert.ok(s);
    assert.deepEqual(s.lines.map((l) => l.sku).sort(), ['MUG-1', 'PLATE-1'], 'Dovetail\'s shipping line is not a store product');
    assert.deepEqual(line(s.lines, 'MUG-1'), { sku: 'MUG-1', quantity: 3, shipped: 0, returned: 0, unitNetMinor: 1000, unitGrossMinor: 1100, taxRatePercent: 10 });
    assert.equal(s.totalMinor, 3000 + 1000 + 400 + 500);
    assert.equal(s.state, 'processing');
    assert.equal((await conn.getSaleLines(['NO-SUCH-ORDER'])).size, 0);
    assert.deepEqual(await changed(), [CODE]);
    assert.deepEqual(await changed(), [], 'a re-read of an unchanged sale is nothing new');
  });

  test('a partial shipment counts as shipped', async () => {
    await shipWhatIsThere(t, CODE); // 2 of 3 mugs, both plates
    assert.deepEqual(pick(line((await saleLines(CODE))?.lines, 'MUG-1')), { quantity: 3, shipped: 2, returned: 0 });
    assert.deepEqual(pick(line((await saleLines(CODE))?.lines, 'PLATE-1')), { quantity: 2, shipped: 2, returned: 0 });
    assert.deepEqual(await changed(), [CODE]);
  });

  test('units cancelled through the shipment exception are no longer the customer\'s', async () => {
    await cancelUnshipped(t, saleId, 'MUG-1');
    const s = await saleLines(CODE);
    assert.deepEqual(pick(line(s?.lines, 'MUG-1')), { quantity: 2, shipped: 2, returned: 0 });
    assert.equal(s?.totalMinor, 4900, 'Tryton keeps the line, and so the total, as it was: only the move is ignored');
    assert.deepEqual(await changed(), [CODE]);
    assert.deepEqual(await changed(), []);
  });

  test('an amendment by the operator raises the quantity', async () => {
    await amendQuantity(t, saleId, 'PLATE-1', 3);
    const s = await saleLines(CODE);
    assert.deepEqual(pick(line(s?.lines, 'PLATE-1')), { quantity: 3, shipped: 2, returned: 0 });
    assert.equal(s?.totalMinor, 4900 + 550);
    assert.deepEqual(await changed(), [CODE]);
  });

  test('a return by the operator counts as returned and puts the units back in stock', async () => {
    const before = await onHand(t, products.get('PLATE-1')!);
    const returnSale = await returnUnits(t, saleId, [{ sku: 'PLATE-1', quantity: 1 }]);
    assert.equal(await onHand(t, products.get('PLATE-1')!), before + 1);
    assert.deepEqual(pick(line((await saleLines(CODE))?.lines, 'PLATE-1')), { quantity: 2, shipped: 2, returned: 1 });
    assert.deepEqual(await changed(), [CODE]);
    // its credit note, once posted, is a credit note of the web order (rules.refundsIn: inventory),
    // found through the return sale's origin even when the copied reference was cleared
    await t.write('sale.sale', [returnSale], { reference: null });
    const [creditNote] = await postCreditNotesOf(t, returnSale);
    assert.ok(creditNote, 'the return sale made a draft credit note');
    const note = await conn.getCreditNote(String(creditNote));
    assert.equal(note?.orderCode, CODE);
    assert.equal(note?.amountMinor, 550);
    const page = await conn.readChanges('creditNote', null);
    assert.ok(page.changes.some((c) => c.key === `${CODE}:${creditNote}`), 'the credit note feed names the web order');
  });

  test('setSaleQuantities: lowers, raises and adds in one amendment; a repeat changes nothing; never below what shipped', async () => {
    const amendments = () => t.search('sale.amendment', [['sale', '=', saleId]]);
    const before = (await amendments()).length;
    // plates: 3 ordered, 2 shipped, 1 back: the customer has 1 and 1 is waiting; mugs: 2 shipped
    const wanted = [
      { sku: 'PLATE-1', quantity: 1, unitNetMinor: 500, taxRatePercent: 10 },
      { sku: 'MUG-1', quantity: 4, unitNetMinor: 1000, taxRatePercent: 10 },
      { sku: 'CUP-1', quantity: 2, unitNetMinor: 700, taxRatePercent: 10 },
    ];
    await conn.setSaleQuantities(CODE, wanted, 'Store order edited: 2 mugs and 2 cups added, 1 plate cancelled');
    const s = await saleLines(CODE);
    assert.deepEqual(pick(line(s?.lines, 'PLATE-1')), { quantity: 1, shipped: 2, returned: 1 });
    assert.deepEqual(pick(line(s?.lines, 'MUG-1')), { quantity: 4, shipped: 2, returned: 0 });
    assert.deepEqual(line(s?.lines, 'CUP-1'), { sku: 'CUP-1', quantity: 2, shipped: 0, returned: 0, unitNetMinor: 700, unitGrossMinor: 770, taxRatePercent: 10 });
    assert.equal((await amendments()).length, before + 1, 'one amendment');
    const [am] = await t.read<{ description: string; state: string }>('sale.amendment', [Math.max(...await amendments())], ['description', 'state']);
    assert.match(am.description, /2 mugs and 2 cups added/);
    assert.equal(am.state, 'validated');
    // what is left to ship is on a waiting shipment: 2 mugs, 2 cups, no plate
    const moves = await t.searchRead<{ product: number; quantity: number }>('stock.move', [['sale', '=', saleId], ['state', '=', 'draft']], ['product', 'quantity']);
    const waiting = new Map(moves.map((m) => [m.product, m.quantity]));
    assert.deepEqual([waiting.get(products.get('MUG-1')!), waiting.get(products.get('CUP-1')!), waiting.get(products.get('PLATE-1')!)], [2, 2, undefined]);
    assert.deepEqual(await changed(), [CODE]);

    await conn.setSaleQuantities(CODE, wanted, 'the same again');
    assert.equal((await amendments()).length, before + 1, 'a repeat makes no second amendment');
    assert.deepEqual(await changed(), [], 'and changes nothing');

    await assert.rejects(conn.setSaleQuantities(CODE, [{ sku: 'PLATE-1', quantity: 0, unitNetMinor: 500, taxRatePercent: 10 }], 'too far'),
      (err: Error & { kind?: string }) => err.kind === 'permanent' && /PLATE-1/.test(err.message));
  });

  test('recordReturn: one return sale per key, stock up once, no credit note unless asked', async () => {
    const mug = products.get('MUG-1')!;
    const stockBefore = await onHand(t, mug);
    const first = await conn.recordReturn(CODE, [{ sku: 'MUG-1', quantity: 1 }], { key: 'ret-1', note: 'Returned in the store', creditNote: false });
    const again = await conn.recordReturn(CODE, [{ sku: 'MUG-1', quantity: 1 }], { key: 'ret-1', note: 'Returned in the store', creditNote: false });
    assert.equal(first.created, true);
    assert.deepEqual(again, { id: first.id, created: false });
    assert.equal(await onHand(t, mug), stockBefore + 1, 'stock up once');
    const [r] = await t.read<{ state: string; reference: string; origin: string; invoices: number[]; shipment_returns: number[] }>('sale.sale', [Number(first.id)],
      ['state', 'reference', 'origin', 'invoices', 'shipment_returns']);
    assert.deepEqual({ reference: r.reference, origin: r.origin, invoices: r.invoices }, { reference: CODE, origin: `sale.sale,${saleId}`, invoices: [] });
    const [shipment] = await t.read<{ state: string }>('stock.shipment.out.return', r.shipment_returns, ['state']);
    assert.equal(shipment.state, 'done');
    assert.deepEqual(pick(line((await saleLines(CODE))?.lines, 'MUG-1')), { quantity: 3, shipped: 2, returned: 1 });
    assert.deepEqual(await changed(), [CODE]);

    const withNote = await conn.recordReturn(CODE, [{ sku: 'PLATE-1', quantity: 1 }], { key: 'ret-2', note: 'Refunded', creditNote: true });
    const [{ invoices }] = await t.read<{ invoices: number[] }>('sale.sale', [Number(withNote.id)], ['invoices']);
    const notes = await t.read<{ state: string }>('account.invoice', invoices, ['state']);
    assert.deepEqual(notes.map((n) => n.state), ['draft'], 'Tryton\'s credit note left for the operator');
    assert.deepEqual(pick(line((await saleLines(CODE))?.lines, 'PLATE-1')), { quantity: 0, shipped: 2, returned: 2 });
    await assert.rejects(conn.recordReturn(CODE, [{ sku: 'PLATE-1', quantity: 1 }], { key: 'ret-3', note: 'x', creditNote: false }),
      (err: Error & { kind?: string }) => err.kind === 'permanent', 'no more plates out to take back');
    await changed();
    assert.deepEqual(await changed(), [], 'nothing new when nothing changed');
  });
});
