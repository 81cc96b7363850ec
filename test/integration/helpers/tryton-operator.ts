// What an operator does to a web sale in Tryton after it was placed, done the way the Tryton
// client does it: cancel unshipped units through the shipment exception, amend a line, take units
// back with a return sale, post the credit note; buy stock in from a supplier. Rule tests call
// these to play the operator.
import { dateOf, dec, type TrytonClient } from '../../../src/connectors/tryton/client.js';
import { receiveReturns } from '../../../src/connectors/tryton/order-changes.js';

async function productId(t: TrytonClient, sku: string): Promise<number> {
  const [id] = await t.search('product.product', [['code', '=', sku]], { limit: 1 });
  if (!id) throw new Error(`Tryton has no product ${sku}`);
  return id;
}

interface Line { id: number; product: number | null; quantity: number; unit: number; unit_price: unknown; description: string | null }

async function linesOf(t: TrytonClient, saleId: number): Promise<Line[]> {
  const [sale] = await t.read<{ lines: number[] }>('sale.sale', [saleId], ['lines']);
  return t.read<Line>('sale.line', sale.lines, ['product', 'quantity', 'unit', 'unit_price', 'description']);
}

/**
 * Cancels the unshipped units of `sku`: cancels the sale's open shipments (all their moves), then
 * runs "Handle Shipment Exception" recreating every other SKU's moves and ignoring this SKU's.
 * Tryton leaves the sale line's quantity, the sale total and the draft invoice as they were.
 */
export async function cancelUnshipped(t: TrytonClient, saleId: number, sku: string): Promise<void> {
  const product = await productId(t, sku);
  const [sale] = await t.read<{ shipments: number[] }>('sale.sale', [saleId], ['shipments']);
  const open = (await t.read<{ id: number; state: string }>('stock.shipment.out', sale.shipments, ['state']))
    .filter((s) => ['draft', 'waiting', 'assigned'].includes(s.state)).map((s) => s.id);
  if (!open.length) throw new Error(`sale ${saleId} has no open shipment to cancel ${sku} from`);
  await t.button('stock.shipment.out', 'cancel', open);
  const wctx = { active_model: 'sale.sale', active_id: saleId, active_ids: [saleId] };
  // "ask" proposes every cancelled move not yet handled; recreate all but this SKU's (ignored)
  const lineIds = (await linesOf(t, saleId)).map((l) => l.id);
  const handled = new Set((await t.read<{ moves_ignored: number[]; moves_recreated: number[] }>('sale.line', lineIds, ['moves_ignored', 'moves_recreated']))
    .flatMap((l) => [...l.moves_ignored, ...l.moves_recreated]));
  const cancelled = await t.searchRead<{ id: number; product: number }>('stock.move', [['sale', '=', saleId], ['state', '=', 'cancelled']], ['product']);
  const pending = cancelled.filter((m) => !handled.has(m.id));
  await t.wizard('sale.handle.shipment.exception', [['ask', {}], ['handle', {
    ask: { domain_moves: pending.map((m) => m.id), recreate_moves: pending.filter((m) => m.product !== product).map((m) => m.id) },
  }]], wctx);
}

/** One sale amendment setting the ordered quantity of `sku` (its first line takes the difference). */
export async function amendQuantity(t: TrytonClient, saleId: number, sku: string, quantity: number): Promise<void> {
  const product = await productId(t, sku);
  const own = (await linesOf(t, saleId)).filter((l) => l.product === product);
  if (!own.length) throw new Error(`sale ${saleId} has no line of ${sku}`);
  const [first] = own;
  const others = own.slice(1).reduce((a, l) => a + l.quantity, 0);
  await amend(t, saleId, `Quantity of ${sku}: ${quantity}`, [{ ...first, quantity: quantity - others }]);
}

/**
 * Adds a line of `sku` to a processing sale, as far as Tryton 6.0 allows: amendments change
 * existing lines only, so the line is created on the sale with quantity 0, then amended.
 */
export async function amendAddLine(t: TrytonClient, saleId: number, sku: string, quantity: number, unitPrice: string): Promise<void> {
  const product = await productId(t, sku);
  const [p] = await t.read<{ name: string; sale_uom: number | null; default_uom: number }>('product.product', [product], ['name', 'sale_uom', 'default_uom']);
  const [line] = await t.create('sale.line', [{ sale: saleId, type: 'line', product, quantity: 0, unit: p.sale_uom ?? p.default_uom, unit_price: dec(unitPrice), description: p.name }]);
  const [l] = await t.read<Line>('sale.line', [line], ['product', 'quantity', 'unit', 'unit_price', 'description']);
  await amend(t, saleId, `Added ${quantity} × ${sku}`, [{ ...l, quantity }]);
}

async function amend(t: TrytonClient, saleId: number, description: string, lines: Line[]): Promise<void> {
  const [amendment] = await t.create('sale.amendment', [{ sale: saleId, description, lines: [['create', lines.map((l) => ({
    action: 'line', line: l.id, product: l.product, quantity: l.quantity, unit: l.unit, unit_price: l.unit_price, description: l.description }))]] }]);
  await t.button('sale.amendment', 'validate_amendment', [amendment]);
}

/**
 * The operator's return: Tryton's "Return Sale" wizard (a copy with negative quantities, origin =
 * the sale), trimmed to the returned SKUs and quantities, quoted, confirmed, and its customer
 * return shipment received and done. Returns the return sale's id; its credit note stays draft.
 */
export async function returnUnits(t: TrytonClient, saleId: number, lines: { sku: string; quantity: number }[]): Promise<number> {
  const before = await t.search('sale.sale', [['origin', '=', `sale.sale,${saleId}`]]);
  await t.wizard('sale.return_sale', [['return_', {}]], { active_model: 'sale.sale', active_id: saleId, active_ids: [saleId] });
  const [returnSale] = (await t.search('sale.sale', [['origin', '=', `sale.sale,${saleId}`]], { order: [['id', 'DESC']] })).filter((id) => !before.includes(id));
  const wanted = new Map<number, number>();
  for (const l of lines) wanted.set(await productId(t, l.sku), l.quantity);
  const copied = await linesOf(t, returnSale);
  const keep = new Map<number, Line>();
  for (const l of copied) if (l.product !== null && wanted.has(l.product) && !keep.has(l.product)) keep.set(l.product, l);
  const drop = copied.filter((l) => ![...keep.values()].includes(l)).map((l) => l.id);
  await t.write('sale.sale', [returnSale], { lines: [
    ...(drop.length ? [['delete', drop]] : []),
    ...[...keep.values()].map((l) => ['write', [l.id], { quantity: -wanted.get(l.product!)! }]),
  ] });
  await t.button('sale.sale', 'quote', [returnSale]);
  await t.button('sale.sale', 'confirm', [returnSale]);
  const [{ shipment_returns }] = await t.read<{ shipment_returns: number[] }>('sale.sale', [returnSale], ['shipment_returns']);
  await receiveReturns(t, shipment_returns);
  return returnSale;
}

/** Posts the draft credit notes (customer invoices with a negative total) of a sale, e.g. a return sale. */
export async function postCreditNotesOf(t: TrytonClient, saleId: number): Promise<number[]> {
  const [{ invoices }] = await t.read<{ invoices: number[] }>('sale.sale', [saleId], ['invoices']);
  const drafts = (await t.read<{ id: number; state: string; total_amount: { decimal: string } }>('account.invoice', invoices, ['state', 'total_amount']))
    .filter((i) => i.state === 'draft' && Number(i.total_amount.decimal) < 0).map((i) => i.id);
  if (drafts.length) await t.button('account.invoice', 'post', drafts);
  return drafts;
}

/** A confirmed purchase of `quantity` units into the first warehouse, planned for `day`: its incoming moves and supplier. */
export async function confirmedPurchase(t: TrytonClient, sku: string, quantity: number, day: string): Promise<{ moves: number[]; supplier: number; warehouse: number }> {
  const product = await productId(t, sku);
  const [{ template }] = await t.read<{ template: number }>('product.product', [product], ['template']);
  const company = t.context.company as number;
  const [{ currency }] = await t.read<{ currency: number }>('company.company', [company], ['currency']);
  const [country] = await t.search('country.country', [['code', '=', 'US']], { limit: 1 });
  const [supplier] = await t.create('party.party', [{ name: `Supplier ${Date.now()}`, addresses: [['create', [{ street: '1 Mill Rd', city: 'Leeds', country }]]] }]);
  const [{ addresses: [address] }] = await t.read<{ addresses: number[] }>('party.party', [supplier], ['addresses']);
  const [warehouse] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1, order: [['id', 'ASC']] });
  const [paymentTerm] = await t.search('account.invoice.payment_term', [], { limit: 1 });
  const unit = await t.xmlId('product', 'uom_unit');
  await t.write('product.template', [template], { purchasable: true, purchase_uom: unit });
  const [y, m, d] = day.split('-').map(Number);
  const [po] = await t.create('purchase.purchase', [{ company, party: supplier, currency, invoice_address: address, warehouse, payment_term: paymentTerm,
    delivery_date: dateOf(y, m, d), lines: [['create', [{ type: 'line', product, quantity, unit, unit_price: dec('8') }]]] }]);
  await t.button('purchase.purchase', 'quote', [po]);
  await t.button('purchase.purchase', 'confirm', [po]);
  const [{ moves }] = await t.read<{ moves: number[] }>('purchase.purchase', [po], ['moves']);
  if (!moves.length) throw new Error(`purchase ${po} was confirmed but made no incoming moves`);
  return { moves, supplier, warehouse };
}

/**
 * A partial shipment as a warehouse makes one: of the sale's open customer shipment only the
 * units of `skus` go out now (the other SKUs' moves are dropped and follow in a backorder).
 */
export async function shipOnly(t: TrytonClient, saleId: number, skus: string[]): Promise<number> {
  const products = new Set<number>();
  for (const sku of skus) products.add(await productId(t, sku));
  const [sale] = await t.read<{ shipments: number[] }>('sale.sale', [saleId], ['shipments']);
  const open = (await t.read<{ id: number; state: string }>('stock.shipment.out', sale.shipments, ['state']))
    .find((s) => ['draft', 'waiting', 'assigned'].includes(s.state));
  if (!open) throw new Error(`sale ${saleId} has no open shipment to ship ${skus.join(', ')} from`);
  if (open.state === 'draft') await t.button('stock.shipment.out', 'wait', [open.id]);
  const [{ inventory_moves }] = await t.read<{ inventory_moves: number[] }>('stock.shipment.out', [open.id], ['inventory_moves']);
  const later = (await t.read<{ id: number; product: number }>('stock.move', inventory_moves, ['product'])).filter((m) => !products.has(m.product)).map((m) => m.id);
  if (later.length) await t.write('stock.shipment.out', [open.id], { inventory_moves: [['delete', later]] });
  await t.button('stock.shipment.out', 'assign_try', [open.id]);
  for (const step of ['pick', 'pack', 'done']) await t.button('stock.shipment.out', step, [open.id]);
  return open.id;
}
