// Every Odoo model, field and method name the connector sends, per version, and nowhere else:
// the manifest test checks each of them against what each version's sources define.

/** The Odoo major versions the connector speaks to. */
export const ODOO_VERSIONS = [17, 18, 19, 20] as const;
export type OdooVersion = (typeof ODOO_VERSIONS)[number];

/** One model as the connector uses it: its name, and its fields and methods by the connector's own words. */
export interface ModelNames<F extends string = string, M extends string = string> {
  model: string;
  fields: Record<F, string>;
  methods: Record<M, string>;
}

const m = <F extends string, M extends string>(model: string, fields: Record<F, string>, methods: Record<M, string>): ModelNames<F, M> => ({ model, fields, methods });

/** Fields every model has (odoo/models.py). */
const common = { id: 'id', writeDate: 'write_date' };
/** The generic methods of every model (odoo/models.py) that client.ts calls by these names, with their keyword parameters. */
export const GENERIC = { searchRead: 'search_read', read: 'read', create: 'create', write: 'write' } as const;
const crud = GENERIC;

function namesOf(v: OdooVersion) {
  const atLeast18 = v >= 18;
  return {
    product: m('product.product', {
      ...common, sku: 'default_code', template: 'product_tmpl_id', active: 'active', attributeValues: 'product_template_attribute_value_ids',
      onHand: 'qty_available', weight: 'weight', volume: 'volume',
    }, crud),
    template: m('product.template', {
      ...common, name: 'name', listPrice: 'list_price', category: 'categ_id', active: 'active', saleOk: 'sale_ok',
      descriptionSale: 'description_sale', variants: 'product_variant_ids', sku: 'default_code',
      // 17 says "storable" through detailed_type = 'product'; 18 split it into type = 'consu' + is_storable
      kind: atLeast18 ? 'type' : 'detailed_type',
    }, crud),
    templateKinds: { service: 'service' },
    /**
     * The context key that limits product quantities to warehouses, read by stock's
     * _get_domain_locations (addons/stock/models/product.py): `warehouse` in 17, `warehouse_id` from
     * 18; a key the version does not read is ignored, and every warehouse's stock counted.
     */
    stockContext: { warehouse: atLeast18 ? 'warehouse_id' : 'warehouse' },
    category: m('product.category', { ...common, name: 'name' }, crud),
    attributeValue: m('product.template.attribute.value', { ...common, name: 'name' }, crud),
    company: m('res.company', { ...common, currency: 'currency_id' }, crud),
    currency: m('res.currency', { ...common, name: 'name', decimals: 'decimal_places' }, crud),
    warehouse: m('stock.warehouse', { ...common, name: 'name', code: 'code' }, crud),
    move: m('stock.move', {
      ...common, product: 'product_id', quantity: 'quantity', state: 'state', saleLine: 'sale_line_id', warehouse: 'warehouse_id',
      picking: 'picking_id', returnOf: 'origin_returned_move_id', demand: 'product_uom_qty',
    }, crud),
    partner: m('res.partner', {
      ...common, name: 'name', email: 'email', phone: 'phone', street: 'street', street2: 'street2', city: 'city', zip: 'zip',
      country: 'country_id', parent: 'parent_id', type: 'type', isCompany: 'is_company',
    }, crud),
    country: m('res.country', { ...common, code: 'code' }, crud),
    user: m('res.users', { ...common, login: 'login', name: 'name' }, crud),
    tax: m('account.tax', { ...common, amount: 'amount', amountType: 'amount_type', use: 'type_tax_use', priceInclude: 'price_include', company: 'company_id' }, crud),
    sale: m('sale.order', {
      ...common, name: 'name', reference: 'client_order_ref', partner: 'partner_id', invoiceAddress: 'partner_invoice_id', shippingAddress: 'partner_shipping_id',
      lines: 'order_line', salesperson: 'user_id', state: 'state', total: 'amount_total', warehouse: 'warehouse_id', pickings: 'picking_ids',
    }, {
      ...crud, confirm: 'action_confirm',
      // an internal note in the sale's chatter (mail.thread); sale.order.note is the customer's terms and conditions
      postNote: 'message_post',
    }),
    saleLine: m('sale.order.line', {
      ...common, order: 'order_id', product: 'product_id', quantity: 'product_uom_qty', priceUnit: 'price_unit', name: 'name', delivered: 'qty_delivered',
      isDelivery: 'is_delivery', displayType: 'display_type', subtotal: 'price_subtotal', totalWithTax: 'price_total',
      // sale.order.line's taxes: tax_id up to 18, tax_ids from 19
      taxes: v >= 19 ? 'tax_ids' : 'tax_id',
    }, crud),
    picking: m('stock.picking', {
      ...common, name: 'name', state: 'state', typeCode: 'picking_type_code', sale: 'sale_id', moves: 'move_ids', tracking: 'carrier_tracking_ref',
      carrier: 'carrier_id', doneOn: 'date_done', origin: 'origin',
    }, { ...crud, assign: 'action_assign', validate: 'button_validate' }),
    returnWizard: m('stock.return.picking', { ...common, picking: 'picking_id', lines: 'product_return_moves' }, {
      ...crud,
      // the wizard's button: create_returns up to 17, action_create_returns from 18
      createReturns: atLeast18 ? 'action_create_returns' : 'create_returns',
    }),
    returnLine: m('stock.return.picking.line', { ...common, product: 'product_id', quantity: 'quantity', move: 'move_id', toRefund: 'to_refund' }, crud),
    payment: m('account.payment', {
      ...common, paymentType: 'payment_type', partnerType: 'partner_type', amount: 'amount', state: 'state', partner: 'partner_id',
      // the payment's free text: ref up to 17, memo from 18
      memo: atLeast18 ? 'memo' : 'ref',
    }, { ...crud, post: 'action_post', cancel: 'action_cancel', draft: 'action_draft' }),
    invoice: m('account.move', {
      ...common, moveType: 'move_type', origin: 'invoice_origin', total: 'amount_total', state: 'state', name: 'name', ref: 'ref', partner: 'partner_id',
      lines: 'invoice_line_ids', paymentState: 'payment_state',
    }, { ...crud, post: 'action_post' }),
    invoiceLine: m('account.move.line', { ...common, name: 'name', quantity: 'quantity', priceUnit: 'price_unit', taxes: 'tax_ids' }, crud),
  };
}

export type OdooNames = ReturnType<typeof namesOf>;

const cache = new Map<OdooVersion, OdooNames>();
/** The names the connector sends to Odoo `version`. */
export function odooNames(version: OdooVersion): OdooNames {
  let names = cache.get(version);
  if (!names) cache.set(version, (names = namesOf(version)));
  return names;
}

/** Every model with the fields and methods the connector names in it, for the manifest check. */
export function usedNames(version: OdooVersion): { model: string; fields: string[]; methods: string[] }[] {
  const names = odooNames(version);
  const models = Object.values(names).filter((x): x is ModelNames => typeof x === 'object' && x !== null && 'model' in x);
  return models.map((x) => ({ model: x.model, fields: Object.values(x.fields), methods: Object.values(x.methods) }));
}
