// What a fresh Odoo database with sale_stock and account installed already holds: the company, its
// currency, one warehouse with its locations and operation types, a sales tax and the journals.
import { fieldOf } from './manifest.js';
import type { OdooOrm, Vals } from './orm.js';

export interface Seeded {
  company: number;
  currency: number;
  admin: number;
  warehouse: number;
  stock: number;
  customers: number;
  suppliers: number;
  outgoing: number;
  incoming: number;
  tax: number;
  saleJournal: number;
  bankJournal: number;
  category: number;
  countries: Map<string, number>;
}

/** `currency`: the company's currency code (EUR unless the test's store sells in another). */
export function seed(orm: OdooOrm, currencyCode = 'EUR'): Seeded {
  /** Makes a record with the fields this version has (a field a version lacks is simply not set). */
  const make = (model: string, vals: Vals): number => {
    if (!orm.hasModel(model)) return 0;
    const known = Object.fromEntries(Object.entries(vals).filter(([name]) => fieldOf(orm.version, model, name)));
    return orm.create(model, [known])[0]!;
  };
  const currency = make('res.currency', { name: currencyCode, symbol: currencyCode, decimal_places: 2, rounding: 0.01, active: true });
  const countries = new Map<string, number>();
  for (const [code, name] of [['BE', 'Belgium'], ['NL', 'Netherlands'], ['DE', 'Germany'], ['FR', 'France'], ['GB', 'United Kingdom'], ['US', 'United States']] as const) {
    countries.set(code, make('res.country', { code, name }));
  }
  const companyPartner = make('res.partner', { name: 'Dovetail Goods', is_company: true, email: 'shop@dovetail.test' });
  const company = make('res.company', { name: 'Dovetail Goods', currency_id: currency, partner_id: companyPartner, country_id: countries.get('BE') });
  make('res.users', { name: 'OdooBot', login: '__system__' });
  // uid 2 is the administrator in every fresh database; the API user is it
  const admin = make('res.users', { name: 'Mitchell Admin', login: 'admin', company_id: company });
  const view = make('stock.location', { name: 'WH', usage: 'view', company_id: company });
  const stock = make('stock.location', { name: 'Stock', location_id: view, usage: 'internal', company_id: company, complete_name: 'WH/Stock' });
  const customers = make('stock.location', { name: 'Customers', usage: 'customer', complete_name: 'Partners/Customers' });
  const suppliers = make('stock.location', { name: 'Vendors', usage: 'supplier', complete_name: 'Partners/Vendors' });
  const warehouse = make('stock.warehouse', { name: 'San Francisco', code: 'WH', company_id: company, lot_stock_id: stock, view_location_id: view });
  const outgoing = make('stock.picking.type', { name: 'Delivery Orders', code: 'outgoing', sequence_code: 'OUT', warehouse_id: warehouse,
    default_location_src_id: stock, default_location_dest_id: customers, company_id: company });
  const incoming = make('stock.picking.type', { name: 'Receipts', code: 'incoming', sequence_code: 'IN', warehouse_id: warehouse,
    default_location_src_id: suppliers, default_location_dest_id: stock, company_id: company });
  if (orm.exists('stock.picking.type', outgoing) && fieldOf(orm.version, 'stock.picking.type', 'return_picking_type_id')) {
    orm.write('stock.picking.type', [outgoing], { return_picking_type_id: incoming });
  }
  if (fieldOf(orm.version, 'stock.warehouse', 'out_type_id')) orm.write('stock.warehouse', [warehouse], { out_type_id: outgoing, in_type_id: incoming });
  const tax = make('account.tax', { name: '21%', amount: 21, amount_type: 'percent', type_tax_use: 'sale', price_include: false, company_id: company });
  const saleJournal = make('account.journal', { name: 'Customer Invoices', code: 'INV', type: 'sale', company_id: company });
  const bankJournal = make('account.journal', { name: 'Bank', code: 'BNK1', type: 'bank', company_id: company });
  const category = make('product.category', { name: 'All' });
  return { company, currency, admin, warehouse, stock, customers, suppliers, outgoing, incoming, tax, saleJournal, bankJournal, category, countries };
}
