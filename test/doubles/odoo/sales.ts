// Sales as sale_stock runs them: confirming makes the delivery and reserves stock, cancelling cancels
// what has not left, and editing a confirmed order's lines reaches its open delivery.
import { userError, valueError } from './errors.js';
import { fieldOf } from './manifest.js';
import type { OdooOrm, Row } from './orm.js';
import type { Method } from './methods.js';
import type { Seeded } from './seed.js';
import type { FakeOdoo } from './server.js';
import { cancelMove, createPicking, isService, reserve, setDemand } from './stock.js';

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const OPEN_MOVE = new Set(['draft', 'waiting', 'confirmed', 'partially_available', 'assigned']);

/** The taxes field of a sale line in this version (tax_id, renamed tax_ids later). */
export function lineTaxField(orm: OdooOrm): string {
  return fieldOf(orm.version, 'sale.order.line', 'tax_ids') ? 'tax_ids' : 'tax_id';
}

/** Tax rate in percent over a set of account.tax ids (percent taxes, excluded from the price). */
export function taxRate(orm: OdooOrm, taxes: unknown): number {
  return (Array.isArray(taxes) ? taxes : []).reduce((sum: number, tax) => sum + num(orm.row('account.tax', tax as number).amount), 0);
}

/** Monetary amounts round to the currency's cents, half away from zero, as Odoo's float_round does. */
export const cents = (value: number): number => Math.sign(value) * Math.round(Math.abs(value) * 100 + 1e-9) / 100;

function lineAmounts(orm: OdooOrm, line: Row): { untaxed: number; tax: number } {
  const untaxed = cents(num(line.product_uom_qty) * num(line.price_unit) * (1 - num(line.discount) / 100));
  return { untaxed, tax: cents(untaxed * taxRate(orm, line[lineTaxField(orm)]) / 100) };
}

const linesOf = (orm: OdooOrm, order: number) => orm.rows('sale.order.line').filter((l) => l.order_id === order);

/** Units of the line delivered: done moves out to the customer, less done returns that are refunded. */
export function delivered(orm: OdooOrm, line: number): number {
  return orm.rows('stock.move').filter((m) => m.sale_line_id === line && m.state === 'done').reduce((sum, m) => {
    const toCustomer = orm.row('stock.location', m.location_dest_id as number).usage === 'customer';
    return toCustomer ? sum + num(m.product_uom_qty) : m.to_refund !== false ? sum - num(m.product_uom_qty) : sum;
  }, 0);
}

function openPicking(orm: OdooOrm, order: number): number | undefined {
  return orm.rows('stock.picking').find((p) => p.sale_id === order && p.state !== 'done' && p.state !== 'cancel'
    && orm.row('stock.picking.type', p.picking_type_id as number).code === 'outgoing')?.id;
}

/** sale_stock _action_launch_stock_rule: the line's units not yet under a move go out in the open delivery, or a new one. */
function launch(orm: OdooOrm, base: Seeded, lineId: number): void {
  const line = orm.row('sale.order.line', lineId);
  const product = line.product_id;
  if (typeof product !== 'number' || isService(orm, product)) return;
  const moves = orm.rows('stock.move').filter((m) => m.sale_line_id === lineId && m.state !== 'cancel'
    && orm.row('stock.location', m.location_dest_id as number).usage === 'customer');
  const planned = moves.reduce((sum, m) => sum + num(m.product_uom_qty), 0);
  const missing = num(line.product_uom_qty) - planned;
  if (missing === 0) return;
  const order = orm.row('sale.order', line.order_id as number);
  if (missing < 0) {
    // fewer units: the open moves give them up, newest first
    let excess = -missing;
    for (const move of moves.filter((m) => OPEN_MOVE.has(String(m.state))).reverse()) {
      const cut = Math.min(excess, num(move.product_uom_qty));
      setDemand(orm, move.id, num(move.product_uom_qty) - cut);
      excess -= cut;
      if (!excess) break;
    }
    return;
  }
  const open = moves.find((m) => OPEN_MOVE.has(String(m.state)));
  if (open) { setDemand(orm, open.id, num(open.product_uom_qty) + missing); return; }
  const picking = openPicking(orm, order.id);
  if (picking) {
    const move = orm.createKnown('stock.move', {
      name: orm.displayName('product.product', product), product_id: product, product_uom_qty: missing, quantity: 0, location_id: base.stock,
      location_dest_id: base.customers, picking_id: picking, picking_type_id: base.outgoing, sale_line_id: lineId, state: 'confirmed', origin: order.name,
    });
    orm.row('stock.move', move).sale_line_id = lineId;
    reserve(orm, move);
    return;
  }
  createPicking(orm, { type: base.outgoing, from: base.stock, to: base.customers, partner: (order.partner_shipping_id as number) || (order.partner_id as number), origin: String(order.name), sale: order.id },
    [{ product, quantity: missing, saleLine: lineId }]);
}

function confirm(orm: OdooOrm, base: Seeded, ids: number[]): true {
  for (const orderId of ids) {
    const order = orm.row('sale.order', orderId);
    if (order.state !== 'draft' && order.state !== 'sent') throw userError('Some orders are not in a state requiring confirmation.');
    orm.writeKnown('sale.order', [orderId], { state: 'sale', date_order: orm.clock.stamp() });
    const lines = linesOf(orm, orderId).filter((l) => typeof l.product_id === 'number' && !isService(orm, l.product_id));
    if (!lines.length) continue;
    createPicking(orm, { type: base.outgoing, from: base.stock, to: base.customers, partner: (order.partner_shipping_id as number) || (order.partner_id as number), origin: String(order.name), sale: orderId },
      lines.map((l) => ({ product: l.product_id as number, quantity: num(l.product_uom_qty), saleLine: l.id })));
  }
  return true;
}

function cancel(orm: OdooOrm, ids: number[]): true {
  for (const orderId of ids) {
    if (orm.row('sale.order', orderId).locked === true) throw userError('You cannot cancel a locked order. Please unlock it first.');
    for (const picking of orm.rows('stock.picking').filter((p) => p.sale_id === orderId && p.state !== 'done' && p.state !== 'cancel')) {
      for (const move of orm.rows('stock.move').filter((m) => m.picking_id === picking.id && OPEN_MOVE.has(String(m.state)))) cancelMove(orm, move.id);
    }
    orm.writeKnown('sale.order', [orderId], { state: 'cancel' });
  }
  return true;
}

// the subtypes the mail module's data defines that a post can name (ir.model.data refuses any other xmlid)
const SUBTYPES = new Set(['mail.mt_note', 'mail.mt_comment']);

/** mail.thread message_post (sale's override adds nothing over RPC): one message in one record's chatter, answered by its id. */
function messagePost(odoo: FakeOdoo, ids: number[], params: Record<string, unknown>): number {
  if (ids.length !== 1) throw valueError(`Expected singleton: sale.order(${ids.join(', ')})`);
  const [id] = ids as [number];
  odoo.orm.row('sale.order', id);
  const messageType = typeof params.message_type === 'string' ? params.message_type : 'notification';
  if (messageType === 'user_notification') throw valueError('Use message_notify to send a notification to an user.');
  const subtype = params.subtype_xmlid;
  if (subtype !== undefined && subtype !== null && subtype !== false && !SUBTYPES.has(String(subtype))) {
    throw valueError(`External ID not found in the system: ${String(subtype)}`);
  }
  const key = `sale.order:${id}`;
  const messages = odoo.chatter.get(key) ?? [];
  const message = {
    id: [...odoo.chatter.values()].reduce((n, list) => n + list.length, 0) + 1,
    body: typeof params.body === 'string' ? params.body : '',
    messageType,
    // with no subtype named, mail.thread posts an internal note
    subtypeXmlid: typeof subtype === 'string' ? subtype : 'mail.mt_note',
  };
  odoo.chatter.set(key, [...messages, message]);
  return message.id;
}

export const SALES: Record<string, Method> = {
  'sale.order.message_post': {
    api: 'records', params: [], keywordOnly: true, anyKeyword: true,
    run: ({ odoo, ids, params }) => messagePost(odoo, ids, params),
  },
  'sale.order.action_confirm': { api: 'records', params: [], run: ({ odoo, orm, ids }) => confirm(orm, odoo.base, ids) },
  'sale.order.action_cancel': { api: 'records', params: [], run: ({ orm, ids }) => cancel(orm, ids) },
  'sale.order.action_draft': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('sale.order', ids.filter((o) => ['cancel', 'sent'].includes(String(orm.row('sale.order', o).state))), { state: 'draft' }); return true; },
  },
  'sale.order.action_quotation_sent': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('sale.order', ids.filter((o) => orm.row('sale.order', o).state === 'draft'), { state: 'sent' }); return true; },
  },
};

/** Defaults, computed amounts and the hooks that keep a confirmed sale's delivery in step with its lines. */
export function installSales(orm: OdooOrm, base: Seeded): void {
  orm.defaults.set('sale.order', (vals) => {
    const count = orm.rows('sale.order').length + 1;
    return {
      name: `S${String(count).padStart(5, '0')}`, state: 'draft', date_order: orm.clock.stamp(), user_id: base.admin, company_id: base.company,
      warehouse_id: base.warehouse, currency_id: base.currency,
      partner_invoice_id: vals.partner_invoice_id ?? vals.partner_id, partner_shipping_id: vals.partner_shipping_id ?? vals.partner_id,
    };
  });
  orm.defaults.set('sale.order.line', (vals) => {
    const product = typeof vals.product_id === 'number' ? orm.row('product.product', vals.product_id) : undefined;
    return {
      product_uom_qty: 1,
      ...(product ? {
        name: orm.displayName('product.product', product.id),
        price_unit: num(orm.value('product.product', product, 'list_price')),
        [lineTaxField(orm)]: [[6, 0, (orm.value('product.product', product, 'taxes_id') as number[] | undefined) ?? []]],
      } : {}),
    };
  });
  orm.compute('sale.order', 'display_name', (row) => row.name);
  orm.compute('sale.order', 'amount_untaxed', (row) => cents(linesOf(orm, row.id).reduce((sum, l) => sum + lineAmounts(orm, l).untaxed, 0)));
  orm.compute('sale.order', 'amount_tax', (row) => cents(linesOf(orm, row.id).reduce((sum, l) => sum + lineAmounts(orm, l).tax, 0)));
  orm.compute('sale.order', 'amount_total', (row) => cents(linesOf(orm, row.id).reduce((sum, l) => { const a = lineAmounts(orm, l); return sum + a.untaxed + a.tax; }, 0)));
  orm.compute('sale.order', 'delivery_count', (row) => orm.rows('stock.picking').filter((p) => p.sale_id === row.id).length);
  orm.compute('sale.order.line', 'price_subtotal', (row) => lineAmounts(orm, row).untaxed);
  orm.compute('sale.order.line', 'price_tax', (row) => lineAmounts(orm, row).tax);
  orm.compute('sale.order.line', 'price_total', (row) => { const a = lineAmounts(orm, row); return cents(a.untaxed + a.tax); });
  orm.compute('sale.order.line', 'qty_delivered', (row) => delivered(orm, row.id));
  orm.compute('sale.order.line', 'state', (row) => orm.row('sale.order', row.order_id as number).state);
  orm.compute('sale.order.line', 'move_ids', (row) => orm.rows('stock.move').filter((m) => m.sale_line_id === row.id).map((m) => m.id));

  orm.onCreate.set('sale.order.line', (line) => {
    if (orm.row('sale.order', line.order_id as number).state === 'sale') launch(orm, base, line.id);
  });
  orm.onWrite.set('sale.order.line', (line, before) => {
    if (orm.row('sale.order', line.order_id as number).state !== 'sale' || line.product_uom_qty === before.product_uom_qty) return;
    if (num(line.product_uom_qty) < delivered(orm, line.id)) {
      // the transaction rolls back in Odoo: the line keeps its quantity
      line.product_uom_qty = before.product_uom_qty;
      throw userError('The ordered quantity of a sale order line cannot be decreased below the amount already delivered. Instead, create a return in your inventory.');
    }
    launch(orm, base, line.id);
  });
}
