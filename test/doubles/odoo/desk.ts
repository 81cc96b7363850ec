// What the company's people do in Odoo's screens, for tests to arrange: stock counted in, a delivery
// shipped as far as stock goes, the rest cancelled, units returned, a credit note, a phone sale, an edited order.
// Every step goes through the same methods (and the same manifest checks) an API call would.
import type { FakeOdoo } from './server.js';
import type { Context, Vals } from './orm.js';

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

export class OdooDesk {
  constructor(private readonly odoo: FakeOdoo) {}

  private get orm() { return this.odoo.orm; }

  private call(model: string, method: string, ids: number[], named: Record<string, unknown> = {}, context: Context = {}): unknown {
    return this.odoo.execute(model, method, ids, named, context);
  }

  private create(model: string, vals: Vals, context: Context = {}): number {
    // one dict in, one id out (create is model_create_multi)
    return this.call(model, 'create', [], { vals_list: this.orm.known(model, vals) }, context) as number;
  }

  /** A percent sales tax, excluded from prices, as the accountant sets one up; the existing one of that rate if there is one. */
  salesTax(percent: number): number {
    const found = this.orm.search('account.tax', [['amount', '=', percent], ['amount_type', '=', 'percent'], ['type_tax_use', '=', 'sale']]);
    return found[0] ?? this.create('account.tax', { name: `${percent}%`, amount: percent, amount_type: 'percent', type_tax_use: 'sale', price_include: false, company_id: this.odoo.base.company });
  }

  /** The variant with this SKU; a test that names a SKU the database lacks is wrong. */
  productId(sku: string): number {
    const found = this.orm.search('product.product', [['default_code', '=', sku]], {}, { active_test: false });
    if (!found.length) throw new Error(`no product ${sku} in the double`);
    return found[0]!;
  }

  /** A storable product on sale with `onHand` units in the warehouse's stock (an inventory adjustment). */
  addProduct(sku: string, opts: { name?: string; price?: number; onHand?: number; taxes?: number[] } = {}): number {
    const storable = this.odoo.major >= 18 ? { type: 'consu', is_storable: true } : { detailed_type: 'product', type: 'product' };
    const template = this.create('product.template', {
      name: opts.name ?? `Product ${sku}`, default_code: sku, list_price: opts.price ?? 10, sale_ok: true, ...storable,
      taxes_id: [[6, 0, opts.taxes ?? [this.odoo.base.tax]]], categ_id: this.odoo.base.category,
    });
    const product = this.orm.search('product.product', [['product_tmpl_id', '=', template]])[0]!;
    if (opts.onHand) this.setOnHand(sku, opts.onHand);
    return product;
  }

  /**
   * Counts the warehouse's stock of a SKU to `onHand` (an inventory adjustment, applied): the open
   * deliveries of the product are unreserved first, then "Check Availability" reserves what there is.
   */
  setOnHand(sku: string, onHand: number): void {
    const product = this.productId(sku);
    const stock = this.odoo.base.stock;
    const existing = this.orm.search('stock.quant', [['product_id', '=', product], ['location_id', '=', stock]]);
    const quant = existing[0] ?? this.create('stock.quant', { product_id: product, location_id: stock, quantity: 0, reserved_quantity: 0 });
    const open = this.orm.rows('stock.move').filter((m) => m.product_id === product && ['confirmed', 'partially_available', 'assigned'].includes(String(m.state)));
    const pickings = [...new Set(open.map((m) => m.picking_id).filter((p): p is number => typeof p === 'number'))];
    if (pickings.length) this.call('stock.picking', 'do_unreserve', pickings);
    this.orm.writeKnown('stock.quant', [quant], { quantity: onHand, reserved_quantity: 0 });
    const waiting = this.orm.rows('stock.picking').filter((p) => p.state === 'confirmed' || p.state === 'assigned').map((p) => p.id);
    if (waiting.length) this.call('stock.picking', 'action_assign', waiting);
  }

  /** The sale whose client_order_ref is the store's order code. */
  saleOf(orderCode: string): number {
    const found = this.orm.search('sale.order', [['client_order_ref', '=', orderCode]]);
    if (!found.length) throw new Error(`no sale for ${orderCode} in the double`);
    return found[0]!;
  }

  /** Open deliveries of a sale (not done, not cancelled). */
  openDeliveries(saleId: number): number[] {
    return this.orm.search('stock.picking', [['sale_id', '=', saleId], ['picking_type_code', '=', 'outgoing'], ['state', 'not in', ['done', 'cancel']]]);
  }

  /**
   * Ships what is reserved of the sale's open deliveries, with a tracking number; units short go to a
   * backorder ("Create Backorder" in the wizard). Returns the pickings made done.
   */
  shipWhatIsThere(saleId: number, opts: { tracking?: string } = {}): number[] {
    const shipped: number[] = [];
    for (const picking of this.openDeliveries(saleId)) {
      const moves = this.orm.rows('stock.move').filter((m) => m.picking_id === picking);
      if (!moves.some((m) => num(m.quantity) > 0)) continue;
      if (opts.tracking) this.orm.writeKnown('stock.picking', [picking], { carrier_tracking_ref: opts.tracking });
      const answer = this.call('stock.picking', 'button_validate', [picking]);
      if (typeof answer === 'object' && answer !== null && (answer as { res_model?: string }).res_model === 'stock.backorder.confirmation') {
        const context = (answer as { context: Context }).context;
        const wizard = this.create('stock.backorder.confirmation', {}, context);
        this.call('stock.backorder.confirmation', 'process', [wizard], {}, context);
      }
      shipped.push(picking);
    }
    return shipped;
  }

  /** Cancels what has not shipped by cancelling the sale's open deliveries (the backorder); the sale's lines keep their quantities, as in Odoo. */
  cancelRest(saleId: number): void {
    for (const picking of this.openDeliveries(saleId)) this.call('stock.picking', 'action_cancel', [picking]);
  }

  /** Cancels what has not shipped of a SKU the way Odoo 17+ lets a clerk do it: the confirmed line lowered to what was delivered (its open move follows). */
  cancelUnshipped(saleId: number, sku: string): void {
    const line = this.orm.search('sale.order.line', [['order_id', '=', saleId], ['product_id', '=', this.productId(sku)]])[0];
    if (line === undefined) throw new Error(`sale ${saleId} has no line of ${sku}`);
    const delivered = Number(this.orm.read('sale.order.line', [line], ['qty_delivered'])[0]!.qty_delivered);
    this.editLine(saleId, sku, delivered);
  }

  /** Returns units of a done delivery and receives them (the Return button, then Validate on the receipt). */
  returnUnits(pickingId: number, lines: { sku: string; quantity: number }[]): number {
    const context = { active_id: pickingId, active_ids: [pickingId], active_model: 'stock.picking' };
    const wizard = this.create('stock.return.picking', { picking_id: pickingId }, context);
    for (const line of this.orm.rows('stock.return.picking.line').filter((l) => l.wizard_id === wizard)) {
      const wanted = lines.find((l) => this.productId(l.sku) === line.product_id);
      this.orm.writeKnown('stock.return.picking.line', [line.id], { quantity: wanted?.quantity ?? 0 });
    }
    const method = this.odoo.major >= 18 ? 'action_create_returns' : 'create_returns';
    const action = this.call('stock.return.picking', method, [wizard], {}, context) as { res_id: number };
    this.call('stock.picking', 'button_validate', [action.res_id]);
    return action.res_id;
  }

  /** A posted customer credit note for the sale crediting `amount` (tax included, at the sale's first tax). */
  creditNote(saleId: number, amount: number, reason = 'Refund'): number {
    const sale = this.orm.row('sale.order', saleId);
    const move = this.create('account.move', {
      move_type: 'out_refund', partner_id: sale.partner_invoice_id || sale.partner_id, invoice_origin: sale.name, ref: reason,
      invoice_line_ids: [[0, 0, { name: reason, quantity: 1, price_unit: amount, tax_ids: [[6, 0, []]] }]],
    });
    this.call('account.move', 'action_post', [move]);
    return move;
  }

  /** A customer entered by a clerk. */
  partner(email: string, name = email.split('@')[0]!): number {
    const found = this.orm.search('res.partner', [['email', '=ilike', email]]);
    return found[0] ?? this.create('res.partner', { name, email, customer_rank: 1 });
  }

  /** A sale a clerk entered by phone: confirmed unless `quotation`. */
  phoneSale(email: string, lines: { sku: string; quantity: number }[], opts: { quotation?: boolean } = {}): number {
    const sale = this.create('sale.order', {
      partner_id: this.partner(email),
      order_line: lines.map((line) => [0, 0, { product_id: this.productId(line.sku), product_uom_qty: line.quantity }]),
    });
    if (!opts.quotation) this.call('sale.order', 'action_confirm', [sale]);
    return sale;
  }

  /** Sets a confirmed sale's line for the SKU to `quantity` (a new line when it has none), as an edit in the sale form. */
  editLine(saleId: number, sku: string, quantity: number): void {
    const product = this.productId(sku);
    const line = this.orm.search('sale.order.line', [['order_id', '=', saleId], ['product_id', '=', product]])[0];
    if (line) this.call('sale.order', 'write', [saleId], { vals: { order_line: [[1, line, { product_uom_qty: quantity }]] } });
    else this.call('sale.order', 'write', [saleId], { vals: { order_line: [[0, 0, { product_id: product, product_uom_qty: quantity }]] } });
  }
}
