// The double's business methods move state as Odoo's do: confirming reserves stock in a delivery,
// a short delivery validates into a backorder (or cancels the rest), returns bring units back,
// confirmed lines reach their delivery, credit notes and payments post under each version's names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOdoo } from '../../doubles/odoo/server.js';
import type { OdooVersion } from '../../doubles/odoo/manifest.js';

function shop(version: OdooVersion = '18.0') {
  const odoo = new FakeOdoo({ version });
  const { desk, orm } = odoo;
  desk.addProduct('BIZ-A', { price: 10, onHand: 1 });
  desk.addProduct('BIZ-B', { price: 4, onHand: 5 });
  const sale = desk.phoneSale('buyer@example.com', [{ sku: 'BIZ-A', quantity: 2 }, { sku: 'BIZ-B', quantity: 1 }], { quotation: true });
  const qty = (sku: string, context = {}) => orm.read('product.product', [desk.productId(sku)], ['qty_available', 'free_qty', 'virtual_available'], context)[0]!;
  const pickings = () => orm.read('stock.picking', orm.search('stock.picking', [['sale_id', '=', sale]]), ['name', 'state', 'backorder_id', 'picking_type_code']);
  const delivered = () => orm.read('sale.order.line', orm.search('sale.order.line', [['order_id', '=', sale]]), ['qty_delivered']).map((l) => l.qty_delivered);
  return { odoo, desk, orm, sale, qty, pickings, delivered };
}

describe('Odoo double business methods', () => {
  test('action_confirm makes one delivery whose moves reserve what is free; quantities follow per warehouse', () => {
    const { odoo, sale, qty, pickings, orm } = shop();
    odoo.execute('sale.order', 'action_confirm', [sale], {});
    assert.equal(orm.read('sale.order', [sale], ['state'])[0]!.state, 'sale');
    assert.deepEqual(pickings().map((p) => [p.state, p.picking_type_code]), [['assigned', 'outgoing']]);
    assert.deepEqual(qty('BIZ-A'), { id: qty('BIZ-A').id, qty_available: 1, free_qty: 0, virtual_available: -1 });
    assert.equal(qty('BIZ-B', { warehouse: [odoo.base.warehouse] }).free_qty, 4);
    assert.equal(qty('BIZ-B', { warehouse: [999] }).qty_available, 0, 'a warehouse without the product counts none');
    assert.throws(() => odoo.execute('sale.order', 'action_confirm', [sale], {}), /not in a state requiring confirmation/);
  });

  test('button_validate on a short delivery opens the backorder wizard; process makes the backorder, which ships once stock comes in', () => {
    const { odoo, desk, sale, pickings, delivered, qty } = shop();
    odoo.execute('sale.order', 'action_confirm', [sale], {});
    const [delivery] = desk.openDeliveries(sale);
    const wizard = odoo.execute('stock.picking', 'button_validate', [delivery!], {}) as { res_model: string; context: Record<string, unknown> };
    assert.equal(wizard.res_model, 'stock.backorder.confirmation');
    const confirmation = odoo.execute('stock.backorder.confirmation', 'create', [], { vals_list: {} }, wizard.context) as number;
    odoo.execute('stock.backorder.confirmation', 'process', [confirmation], {}, wizard.context);
    const [done, back] = pickings();
    assert.equal(done!.state, 'done');
    assert.deepEqual([back!.state, (back!.backorder_id as [number, string])[0]], ['confirmed', done!.id]);
    assert.deepEqual(delivered(), [1, 1]);
    assert.equal(qty('BIZ-A').qty_available, 0);
    desk.setOnHand('BIZ-A', 3);
    assert.deepEqual(desk.shipWhatIsThere(sale), [back!.id]);
    assert.deepEqual(delivered(), [2, 1]);
    assert.equal(qty('BIZ-A').qty_available, 2);
  });

  test('without a backorder the rest is cancelled; cancelling the sale cancels what has not left', () => {
    const { odoo, desk, sale, pickings, delivered } = shop();
    odoo.execute('sale.order', 'action_confirm', [sale], {});
    const [delivery] = desk.openDeliveries(sale);
    odoo.execute('stock.picking', 'button_validate', [delivery!], {}, { skip_backorder: true, picking_ids_not_to_backorder: [delivery] });
    assert.deepEqual(pickings().map((p) => p.state), ['done']);
    assert.deepEqual(delivered(), [1, 1]);
    const other = desk.phoneSale('second@example.com', [{ sku: 'BIZ-B', quantity: 2 }]);
    odoo.execute('sale.order', 'action_cancel', [other], {});
    assert.deepEqual(odoo.orm.read('stock.picking', odoo.orm.search('stock.picking', [['sale_id', '=', other]]), ['state']).map((p) => p.state), ['cancel']);
    assert.equal(odoo.orm.read('product.product', [desk.productId('BIZ-B')], ['free_qty'])[0]!.free_qty, 4, 'the cancelled sale holds nothing');
  });

  test('a return of shipped units brings them back into stock and lowers what the sale delivered', () => {
    const { desk, sale, odoo, delivered, qty } = shop('18.0');
    odoo.execute('sale.order', 'action_confirm', [sale], {});
    const [shipped] = desk.shipWhatIsThere(sale, { tracking: 'T-1' });
    desk.cancelRest(sale);
    const receipt = desk.returnUnits(shipped!, [{ sku: 'BIZ-A', quantity: 1 }]);
    assert.equal(odoo.orm.read('stock.picking', [receipt], ['state', 'picking_type_code'])[0]!.state, 'done');
    assert.deepEqual(delivered(), [0, 1]);
    assert.equal(qty('BIZ-A').qty_available, 1);
    assert.throws(() => desk.returnUnits(shipped!, [{ sku: 'BIZ-B', quantity: 0 }]), /non-zero quantity/);
  });

  test('a confirmed line raised reaches its open delivery; lowered below what shipped is refused', () => {
    const { desk, sale, odoo, orm } = shop();
    odoo.execute('sale.order', 'action_confirm', [sale], {});
    desk.editLine(sale, 'BIZ-B', 3);
    const demand = () => orm.read('stock.move', orm.search('stock.move', [['product_id', '=', desk.productId('BIZ-B')], ['state', '!=', 'cancel']]), ['product_uom_qty', 'state']);
    assert.deepEqual(demand().map((m) => [m.product_uom_qty, m.state]), [[3, 'assigned']]);
    desk.shipWhatIsThere(sale);
    assert.throws(() => desk.editLine(sale, 'BIZ-B', 1), /cannot be decreased below the amount already delivered/);
    const line = orm.search('sale.order.line', [['order_id', '=', sale], ['product_id', '=', desk.productId('BIZ-B')]]);
    assert.equal(orm.read('sale.order.line', line, ['product_uom_qty'])[0]!.product_uom_qty, 3, 'the refused write changed nothing');
  });

  test('sale totals round per line (taxes in tax_id up to 18, tax_ids on 19); a credit note posts under RINV; payments post, cancel and go back to draft under each version\'s names', () => {
    for (const [version, posted, cancelled, memo] of [['17.0', 'posted', 'cancel', 'ref'], ['18.0', 'in_process', 'canceled', 'memo'], ['19.0', 'in_process', 'canceled', 'memo']] as const) {
      const { odoo, desk, sale, orm } = shop(version);
      assert.equal(orm.read('sale.order', [sale], ['amount_total'])[0]!.amount_total, 29.04, `${version}: 2 × 10 + 4, taxed 21% per line`);
      const note = desk.creditNote(sale, 12.1);
      assert.deepEqual(orm.read('account.move', [note], ['name', 'state', 'amount_total', 'move_type']).map((m) => [m.name, m.state, m.amount_total, m.move_type]),
        [[`RINV/2026/00001`, 'posted', 12.1, 'out_refund']]);
      // 17's payment is a journal entry too (its state, name and ref are the entry's); 18 gave it fields of its own
      const payment = odoo.execute('account.payment', 'create', [], { vals_list: { amount: 29.04, partner_id: desk.partner('buyer@example.com'), [memo]: 'capture-1' } }) as number;
      assert.deepEqual(orm.read('account.payment', [payment], [memo]).map((p) => p[memo]), ['capture-1'], version);
      odoo.execute('account.payment', 'action_post', [payment], {});
      assert.equal(orm.read('account.payment', [payment], ['state'])[0]!.state, posted, version);
      odoo.execute('account.payment', 'action_cancel', [payment], {});
      assert.equal(orm.read('account.payment', [payment], ['state'])[0]!.state, cancelled, version);
      odoo.execute('account.payment', 'action_draft', [payment], {});
      assert.equal(orm.read('account.payment', [payment], ['state'])[0]!.state, 'draft', version);
    }
  });
});
