// One-time company and accounting setup of a fresh Tryton 6.0 database (idempotent), so that the
// golden copy can take sales, shipments and invoices at once. Run by scripts/tryton/bootstrap.sh.
import { TrytonClient, dec, dateOf } from '../../src/connectors/tryton/client.js';

const t = new TrytonClient({
  url: process.env.TRYTON_URL ?? 'http://127.0.0.1:18000',
  database: process.env.TRYTON_DB ?? 'golden',
  username: 'admin',
  password: process.env.TRYTON_PASSWORD ?? 'admin',
});
const step = (s: string) => console.log(`== ${s}`);
const first = async (model: string, domain: unknown[]) => (await t.search(model, domain, { limit: 1 }))[0];

await t.login();
const uid = (await t.search('res.user', [['login', '=', 'admin']], { limit: 1 }))[0];

step('currency USD');
let currency = await first('currency.currency', [['code', '=', 'USD']]);
currency ??= (await t.create('currency.currency', [{ name: 'U.S. Dollar', code: 'USD', symbol: '$', digits: 2, rounding: dec('0.01') }]))[0];

step('country US (the database ships with none)');
let us = await first('country.country', [['code', '=', 'US']]);
us ??= (await t.create('country.country', [{ name: 'United States', code: 'US' }]))[0];

step('company');
let company = await first('company.company', []);
if (!company) {
  const [party] = await t.create('party.party', [{
    name: 'Dovetail Test Store Inc.',
    addresses: [['create', [{ street: '1 Main St', city: 'Springfield', postal_code: '12345', country: us }]]],
  }]);
  [company] = await t.create('company.company', [{ party, currency }]);
}
await t.write('res.user', [uid], { companies: [['add', [company]]], company });
await t.login(); // the context now carries the company

step('chart of accounts (wizard account.create_chart)');
if (!(await first('account.account', [['company', '=', company]]))) {
  const template = await first('account.account.template', [['parent', '=', null]]);
  await t.wizard('account.create_chart', [
    ['create_account', { account: { company, account_template: template } }],
    ['create_properties', (prev) => {
      // The "properties" state proposes the receivable and payable accounts.
      const defaults = (prev as { view?: { defaults?: Record<string, unknown> } }).view?.defaults ?? {};
      return { properties: { company, account_receivable: defaults.account_receivable, account_payable: defaults.account_payable } };
    }],
  ]);
}
const revenue = await first('account.account', [['company', '=', company], ['type.revenue', '=', true]]);
const expense = await first('account.account', [['company', '=', company], ['type.expense', '=', true]]);

step('fiscal years (this year and next) with their sequences and periods');
const moveSeqType = await t.xmlId('account', 'sequence_type_account_move');
const invSeqType = await t.xmlId('account_invoice', 'sequence_type_account_invoice');
const thisYear = new Date().getUTCFullYear();
for (const year of [thisYear, thisYear + 1]) {
  if (await first('account.fiscalyear', [['company', '=', company], ['name', '=', String(year)]])) continue;
  // A post-move sequence may belong to one fiscal year only.
  const [moveSeq] = await t.create('ir.sequence', [{ name: `Account Move ${year}`, sequence_type: moveSeqType, company }]);
  const [invSeq] = await t.create('ir.sequence.strict', [{ name: `Invoice ${year}`, sequence_type: invSeqType, company, prefix: `INV${year}-` }]);
  const [fy] = await t.create('account.fiscalyear', [{
    name: String(year), start_date: dateOf(year, 1, 1), end_date: dateOf(year, 12, 31), company,
    post_move_sequence: moveSeq,
    invoice_sequences: [['create', [{
      company, in_invoice_sequence: invSeq, in_credit_note_sequence: invSeq,
      out_invoice_sequence: invSeq, out_credit_note_sequence: invSeq,
    }]]],
  }]);
  await t.button('account.fiscalyear', 'create_period', [fy]);
}

step('product category "Goods" with revenue and expense accounts');
if (!(await first('product.category', [['name', '=', 'Goods']]))) {
  await t.create('product.category', [{ name: 'Goods', accounting: true, account_revenue: revenue, account_expense: expense }]);
}

step('payment term "Immediate"');
if (!(await first('account.invoice.payment_term', [['name', '=', 'Immediate']]))) {
  await t.create('account.invoice.payment_term', [{ name: 'Immediate', lines: [['create', [{ type: 'remainder', relativedeltas: [['create', [{}]]] }]]] }]);
}

step('tax rounding per line (as the store computes it)');
const fields = await t.model<Record<string, unknown>>('account.configuration', 'fields_get', [['tax_rounding']]);
if ('tax_rounding' in fields) {
  const [config] = await t.search('account.configuration', [], { limit: 1 });
  if (config) await t.write('account.configuration', [config], { tax_rounding: 'line' });
  else await t.create('account.configuration', [{ tax_rounding: 'line' }]);
}

console.log(`SETUP OK company=${company} currency=${currency} revenue=${revenue} expense=${expense} (${t.calls} calls)`);
