// Stock as Odoo's stock module keeps it: quants per location, moves that reserve and are done,
// pickings validated whole or partially (a backorder, or the rest cancelled), returns that bring units back.
import { userError } from './errors.js';
import { fieldOf } from './manifest.js';
import type { Context, OdooOrm, Row } from './orm.js';
import type { Method } from './methods.js';
import type { Seeded } from './seed.js';

const OPEN = new Set(['draft', 'waiting', 'confirmed', 'partially_available', 'assigned']);
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const id = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** Whether stock of this product is counted (17: detailed_type 'product'; 18+: is_storable); consumables always ship. */
export function isStorable(orm: OdooOrm, product: number): boolean {
  if (fieldOf(orm.version, 'product.product', 'is_storable')) return orm.value('product.product', orm.row('product.product', product), 'is_storable') === true;
  const row = orm.row('product.product', product);
  return orm.value('product.product', row, 'detailed_type') === 'product' || orm.value('product.product', row, 'type') === 'product';
}

export function isService(orm: OdooOrm, product: number): boolean {
  return orm.value('product.product', orm.row('product.product', product), 'type') === 'service';
}

/** The quant of a product at a location, made empty when there is none yet. */
export function quant(orm: OdooOrm, product: number, location: number): Row {
  const found = orm.rows('stock.quant').find((q) => q.product_id === product && q.location_id === location);
  return found ?? orm.row('stock.quant', orm.createKnown('stock.quant', { product_id: product, location_id: location, quantity: 0, reserved_quantity: 0 }));
}

function isInternal(orm: OdooOrm, location: unknown): boolean {
  return typeof location === 'number' && orm.row('stock.location', location).usage === 'internal';
}

/** The internal locations a quantity context names: `location`, or `warehouse` (id, name or list), or all of them. */
function countedLocations(orm: OdooOrm, base: Seeded, context: Context): Set<number> {
  const internal = orm.rows('stock.location').filter((l) => l.usage === 'internal').map((l) => l.id);
  if (typeof context.location === 'number') return new Set([context.location]);
  const wanted = context.warehouse ?? context.warehouse_id;
  if (wanted === undefined || wanted === false) return new Set(internal);
  const list = Array.isArray(wanted) ? wanted : [wanted];
  const warehouses = orm.rows('stock.warehouse').filter((w) => list.includes(w.id) || list.includes(w.name));
  const stocks = new Set(warehouses.map((w) => w.lot_stock_id ?? base.stock));
  return new Set(internal.filter((location) => stocks.has(location)));
}

function recomputePicking(orm: OdooOrm, picking: number): void {
  const moves = orm.rows('stock.move').filter((m) => m.picking_id === picking);
  const states = moves.map((m) => String(m.state));
  const state = !moves.length ? 'draft'
    : states.every((s) => s === 'cancel') ? 'cancel'
      : states.every((s) => s === 'done' || s === 'cancel') ? 'done'
        : states.some((s) => s === 'assigned' || s === 'partially_available') ? 'assigned' : 'confirmed';
  if (orm.row('stock.picking', picking).state !== state) orm.writeKnown('stock.picking', [picking], { state });
}

/** Reserves what the source location has free for an open move (moves out of a non-internal location are always available). */
export function reserve(orm: OdooOrm, moveId: number): void {
  const move = orm.row('stock.move', moveId);
  if (!OPEN.has(String(move.state))) return;
  const product = move.product_id as number;
  const demand = num(move.product_uom_qty);
  let taken = num(move.quantity);
  if (taken < demand) {
    if (!isInternal(orm, move.location_id) || !isStorable(orm, product)) taken = demand;
    else {
      const q = quant(orm, product, move.location_id as number);
      const free = Math.max(0, num(q.quantity) - num(q.reserved_quantity));
      const more = Math.min(free, demand - taken);
      if (more > 0) { orm.writeKnown('stock.quant', [q.id], { reserved_quantity: num(q.reserved_quantity) + more }); taken += more; }
    }
  }
  const state = taken >= demand ? 'assigned' : taken > 0 ? 'partially_available' : 'confirmed';
  orm.writeKnown('stock.move', [moveId], { quantity: taken, state });
  if (typeof move.picking_id === 'number') recomputePicking(orm, move.picking_id);
}

function unreserve(orm: OdooOrm, moveId: number): void {
  const move = orm.row('stock.move', moveId);
  if (isInternal(orm, move.location_id) && isStorable(orm, move.product_id as number)) {
    const q = quant(orm, move.product_id as number, move.location_id as number);
    orm.writeKnown('stock.quant', [q.id], { reserved_quantity: Math.max(0, num(q.reserved_quantity) - num(move.quantity)) });
  }
  orm.writeKnown('stock.move', [moveId], { quantity: 0 });
}

export function cancelMove(orm: OdooOrm, moveId: number): void {
  unreserve(orm, moveId);
  orm.writeKnown('stock.move', [moveId], { state: 'cancel' });
  const picking = orm.row('stock.move', moveId).picking_id;
  if (typeof picking === 'number') recomputePicking(orm, picking);
}

/** Changes an open move's demand (a sale line edited after confirmation), releasing or reserving the difference. */
export function setDemand(orm: OdooOrm, moveId: number, demand: number): void {
  if (demand <= 0) { cancelMove(orm, moveId); return; }
  const move = orm.row('stock.move', moveId);
  if (num(move.quantity) > demand) {
    unreserve(orm, moveId);
  }
  orm.writeKnown('stock.move', [moveId], { product_uom_qty: demand });
  reserve(orm, moveId);
}

function warehouseOf(orm: OdooOrm, type: number): number | false {
  const warehouse = orm.row('stock.picking.type', type).warehouse_id;
  return typeof warehouse === 'number' ? warehouse : false;
}

function pickingName(orm: OdooOrm, type: number): string {
  const typeRow = orm.row('stock.picking.type', type);
  const prefix = `WH/${String(typeRow.sequence_code ?? (typeRow.code === 'incoming' ? 'IN' : 'OUT'))}/`;
  const count = orm.rows('stock.picking').filter((p) => String(p.name).startsWith(prefix)).length;
  return `${prefix}${String(count + 1).padStart(5, '0')}`;
}

/** A new picking of `type`, its moves reserved. */
export function createPicking(orm: OdooOrm, vals: { type: number; from: number; to: number; partner?: number | false; origin?: string; sale?: number; backorderOf?: number; returnOf?: number },
  moves: { product: number; quantity: number; saleLine?: number; returnedMove?: number; toRefund?: boolean }[]): number {
  const picking = orm.createKnown('stock.picking', {
    name: pickingName(orm, vals.type), picking_type_id: vals.type, location_id: vals.from, location_dest_id: vals.to, partner_id: vals.partner ?? false,
    origin: vals.origin ?? false, sale_id: vals.sale ?? false, backorder_id: vals.backorderOf ?? false, return_id: vals.returnOf ?? false,
    move_type: 'direct', state: 'draft',
  });
  for (const line of moves) {
    const move = orm.createKnown('stock.move', {
      name: orm.displayName('product.product', line.product), product_id: line.product, product_uom_qty: line.quantity, quantity: 0,
      location_id: vals.from, location_dest_id: vals.to, picking_id: picking, picking_type_id: vals.type, partner_id: vals.partner ?? false,
      origin: vals.origin ?? false, sale_line_id: line.saleLine ?? false, origin_returned_move_id: line.returnedMove ?? false,
      to_refund: line.toRefund ?? false, state: 'confirmed', date: orm.clock.stamp(), warehouse_id: warehouseOf(orm, vals.type),
    });
    // sale_line_id is needed to count deliveries even where a version does not show it
    orm.row('stock.move', move).sale_line_id = line.saleLine ?? false;
  }
  orm.row('stock.picking', picking).sale_id = vals.sale ?? false;
  for (const move of orm.rows('stock.move').filter((m) => m.picking_id === picking)) reserve(orm, move.id);
  recomputePicking(orm, picking);
  return picking;
}

/**
 * Validates pickings with the quantities their moves carry: done units leave (or enter) stock; the rest
 * goes to a backorder picking (`backorder`), or is cancelled.
 */
export function validate(orm: OdooOrm, pickingIds: number[], backorder: (picking: number) => boolean): void {
  for (const pickingId of pickingIds) {
    const picking = orm.row('stock.picking', pickingId);
    if (picking.state === 'done' || picking.state === 'cancel') throw userError(`The transfer ${String(picking.name)} is already ${String(picking.state)}.`);
    const moves = orm.rows('stock.move').filter((m) => m.picking_id === pickingId && OPEN.has(String(m.state)));
    if (!moves.some((m) => num(m.quantity) > 0)) {
      throw userError('You cannot validate a transfer if no quantities are reserved nor done. You can use the info button on the top right corner of your screen to learn more about the different types of operations.');
    }
    const rest: { product: number; quantity: number; saleLine?: number }[] = [];
    /** moves with nothing done move whole to the backorder */
    const untouched: number[] = [];
    for (const move of moves) {
      const done = num(move.quantity);
      const remaining = num(move.product_uom_qty) - done;
      if (done > 0) {
        const product = move.product_id as number;
        if (isStorable(orm, product)) {
          if (isInternal(orm, move.location_id)) {
            const q = quant(orm, product, move.location_id as number);
            orm.writeKnown('stock.quant', [q.id], { quantity: num(q.quantity) - done, reserved_quantity: Math.max(0, num(q.reserved_quantity) - done) });
          }
          if (isInternal(orm, move.location_dest_id)) {
            const q = quant(orm, product, move.location_dest_id as number);
            orm.writeKnown('stock.quant', [q.id], { quantity: num(q.quantity) + done });
          }
        }
        orm.writeKnown('stock.move', [move.id], { product_uom_qty: done, state: 'done', picked: true, date: orm.clock.stamp() });
      }
      if (remaining > 0) {
        if (done > 0) rest.push({ product: move.product_id as number, quantity: remaining, saleLine: id(move.sale_line_id) ?? undefined });
        else if (backorder(pickingId)) untouched.push(move.id);
        else cancelMove(orm, move.id);
      }
    }
    if (backorder(pickingId) && (rest.length || untouched.length)) {
      const back = createPicking(orm, {
        type: picking.picking_type_id as number, from: picking.location_id as number, to: picking.location_dest_id as number,
        partner: id(picking.partner_id) ?? false, origin: String(picking.origin || ''), sale: id(picking.sale_id) ?? undefined, backorderOf: pickingId,
      }, rest);
      for (const move of untouched) { orm.writeKnown('stock.move', [move], { picking_id: back }); reserve(orm, move); }
      recomputePicking(orm, back);
    } else {
      // without a backorder, what was not done is split off and cancelled (stock.move _split + _action_cancel)
      for (const line of rest) {
        const cancelled = orm.createKnown('stock.move', {
          name: orm.displayName('product.product', line.product), product_id: line.product, product_uom_qty: line.quantity, quantity: 0,
          location_id: picking.location_id, location_dest_id: picking.location_dest_id, picking_id: pickingId, sale_line_id: line.saleLine ?? false, state: 'cancel',
        });
        orm.row('stock.move', cancelled).sale_line_id = line.saleLine ?? false;
      }
    }
    orm.writeKnown('stock.picking', [pickingId], { date_done: orm.clock.stamp() });
    recomputePicking(orm, pickingId);
  }
}

/** The backorder wizard button_validate opens when some moves are short (stock.picking._action_generate_backorder_wizard). */
function backorderWizard(ids: number[], context: Context): Record<string, unknown> {
  return {
    name: 'Create Backorder?', type: 'ir.actions.act_window', view_mode: 'form', res_model: 'stock.backorder.confirmation',
    views: [[false, 'form']], view_id: false, target: 'new',
    context: { ...context, button_validate_picking_ids: ids, default_pick_ids: ids.map((picking) => [4, picking]), default_show_transfers: false },
  };
}

const shortOf = (orm: OdooOrm, ids: number[]) => ids.filter((picking) => orm.rows('stock.move').some((m) =>
  m.picking_id === picking && OPEN.has(String(m.state)) && num(m.quantity) < num(m.product_uom_qty)));

/** Units of a done move already brought back by returns. */
function returned(orm: OdooOrm, moveId: number): number {
  return orm.rows('stock.move').filter((m) => m.origin_returned_move_id === moveId && m.state !== 'cancel').reduce((sum, m) => sum + num(m.product_uom_qty), 0);
}

function createReturns(orm: OdooOrm, base: Seeded, wizardId: number): number {
  const wizard = orm.row('stock.return.picking', wizardId);
  const original = orm.row('stock.picking', wizard.picking_id as number);
  const lines = orm.rows('stock.return.picking.line').filter((l) => l.wizard_id === wizardId && num(l.quantity) > 0);
  if (!lines.length) throw userError('Please specify at least one non-zero quantity.');
  const type = orm.row('stock.picking.type', original.picking_type_id as number);
  return createPicking(orm, {
    type: id(type.return_picking_type_id) ?? base.incoming, from: original.location_dest_id as number, to: original.location_id as number,
    partner: id(original.partner_id) ?? false, origin: `Return of ${String(original.name)}`, sale: id(original.sale_id) ?? undefined, returnOf: original.id,
  }, lines.map((line) => {
    const move = orm.row('stock.move', line.move_id as number);
    return { product: line.product_id as number, quantity: num(line.quantity), returnedMove: move.id, toRefund: line.to_refund !== false,
      saleLine: line.to_refund !== false ? id(move.sale_line_id) ?? undefined : undefined };
  }));
}

const returnAction = (picking: number) => ({ name: 'Returned Picking', type: 'ir.actions.act_window', res_model: 'stock.picking', res_id: picking, view_mode: 'form', views: [[false, 'form']], context: {} });

export const STOCK: Record<string, Method> = {
  'stock.picking.button_validate': {
    api: 'records', params: [],
    run: ({ orm, ids, context }) => {
      const short = shortOf(orm, ids);
      if (short.length && !context.skip_backorder) return backorderWizard(ids, context);
      const notToBackorder = Array.isArray(context.picking_ids_not_to_backorder) ? context.picking_ids_not_to_backorder : [];
      validate(orm, ids, (picking) => !notToBackorder.includes(picking));
      return true;
    },
  },
  'stock.picking.action_assign': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { for (const move of orm.rows('stock.move').filter((m) => ids.includes(m.picking_id as number))) reserve(orm, move.id); return true; },
  },
  'stock.picking.do_unreserve': {
    api: 'records', params: [],
    run: ({ orm, ids }) => {
      for (const move of orm.rows('stock.move').filter((m) => ids.includes(m.picking_id as number) && OPEN.has(String(m.state)))) {
        unreserve(orm, move.id);
        orm.writeKnown('stock.move', [move.id], { state: 'confirmed' });
      }
      for (const picking of ids) recomputePicking(orm, picking);
      return true;
    },
  },
  'stock.picking.action_cancel': {
    api: 'records', params: [],
    run: ({ orm, ids }) => {
      for (const move of orm.rows('stock.move').filter((m) => ids.includes(m.picking_id as number) && OPEN.has(String(m.state)))) cancelMove(orm, move.id);
      return true;
    },
  },
  'stock.backorder.confirmation.process': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { validate(orm, pickingsOfWizard(orm, ids), () => true); return true; },
  },
  'stock.backorder.confirmation.process_cancel_backorder': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { validate(orm, pickingsOfWizard(orm, ids), () => false); return true; },
  },
  // 17 names it create_returns, 18+ action_create_returns; the manifest says which a version has
  'stock.return.picking.create_returns': { api: 'records', params: [], run: ({ odoo, orm, ids }) => returnAction(createReturns(orm, odoo.base, ids[0]!)) },
  'stock.return.picking.action_create_returns': { api: 'records', params: [], run: ({ odoo, orm, ids }) => returnAction(createReturns(orm, odoo.base, ids[0]!)) },
};

function pickingsOfWizard(orm: OdooOrm, ids: number[]): number[] {
  return ids.flatMap((wizard) => (orm.row('stock.backorder.confirmation', wizard).pick_ids as number[] | undefined) ?? []);
}

/** Computed fields, defaults and what happens when records are made, as the stock module does. */
export function installStock(orm: OdooOrm, base: Seeded): void {
  const qty = (product: Row, context: Context, pick: (q: Row) => number) => {
    const locations = countedLocations(orm, base, context);
    return orm.rows('stock.quant').filter((q) => q.product_id === product.id && locations.has(q.location_id as number)).reduce((sum, q) => sum + pick(q), 0);
  };
  const pending = (product: Row, context: Context, direction: 'in' | 'out') => {
    const locations = countedLocations(orm, base, context);
    return orm.rows('stock.move').filter((m) => m.product_id === product.id && OPEN.has(String(m.state))
      && (direction === 'out' ? locations.has(m.location_id as number) && !locations.has(m.location_dest_id as number)
        : locations.has(m.location_dest_id as number) && !locations.has(m.location_id as number)))
      .reduce((sum, m) => sum + num(m.product_uom_qty), 0);
  };
  orm.compute('product.product', 'qty_available', (row, context) => qty(row, context, (q) => num(q.quantity)));
  orm.compute('product.product', 'free_qty', (row, context) => qty(row, context, (q) => num(q.quantity) - num(q.reserved_quantity)));
  orm.compute('product.product', 'incoming_qty', (row, context) => pending(row, context, 'in'));
  orm.compute('product.product', 'outgoing_qty', (row, context) => pending(row, context, 'out'));
  orm.compute('product.product', 'virtual_available', (row, context) =>
    qty(row, context, (q) => num(q.quantity)) + pending(row, context, 'in') - pending(row, context, 'out'));
  orm.compute('product.product', 'display_name', (row) => {
    const name = String(orm.value('product.product', row, 'name') || '');
    return row.default_code ? `[${String(row.default_code)}] ${name}` : name;
  });
  orm.compute('stock.picking', 'picking_type_code', (row) => (typeof row.picking_type_id === 'number' ? orm.row('stock.picking.type', row.picking_type_id).code : false));
  orm.compute('stock.move', 'picking_code', (row) => (typeof row.picking_type_id === 'number' ? orm.row('stock.picking.type', row.picking_type_id).code : false));
  orm.compute('stock.quant', 'available_quantity', (row) => num(row.quantity) - num(row.reserved_quantity));
  orm.defaults.set('stock.return.picking', (vals, context) => ({
    picking_id: vals.picking_id ?? (context.active_model === 'stock.picking' ? context.active_id : undefined) ?? false,
  }));
  orm.onCreate.set('stock.return.picking', (wizard) => {
    if (orm.rows('stock.return.picking.line').some((l) => l.wizard_id === wizard.id) || typeof wizard.picking_id !== 'number') return;
    // default_get fills one line per done move of the picking, with what is left to return
    for (const move of orm.rows('stock.move').filter((m) => m.picking_id === wizard.picking_id && m.state === 'done')) {
      const left = num(move.product_uom_qty) - returned(orm, move.id);
      orm.createKnown('stock.return.picking.line', { wizard_id: wizard.id, product_id: move.product_id, move_id: move.id, quantity: orm.version === '17.0' ? left : 0, move_quantity: left, to_refund: true });
    }
  });
  orm.defaults.set('stock.backorder.confirmation', (vals, context) => ({
    pick_ids: vals.pick_ids ?? (Array.isArray(context.button_validate_picking_ids) ? [[6, 0, context.button_validate_picking_ids]] : []),
  }));
}
