// Invoices, credit notes and payments as the account module keeps them: drafts with computed totals,
// posted under a sequence name; payments posted, cancelled or put back to draft.
import { userError } from './errors.js';
import { fieldOf } from './manifest.js';
import type { OdooOrm, Row } from './orm.js';
import type { Method } from './methods.js';
import type { Seeded } from './seed.js';
import { cents, taxRate } from './sales.js';

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

const PREFIX: Record<string, string> = { out_invoice: 'INV', out_refund: 'RINV', in_invoice: 'BILL', in_refund: 'RBILL', entry: 'MISC' };

function moveLines(orm: OdooOrm, move: number): Row[] {
  return orm.rows('account.move.line').filter((l) => l.move_id === move && (l.display_type === false || l.display_type === undefined || l.display_type === 'product'));
}

function amounts(orm: OdooOrm, move: number): { untaxed: number; tax: number } {
  return moveLines(orm, move).reduce((sum, line) => {
    const untaxed = cents(num(line.quantity) * num(line.price_unit) * (1 - num(line.discount) / 100));
    return { untaxed: sum.untaxed + untaxed, tax: sum.tax + cents(untaxed * taxRate(orm, line.tax_ids) / 100) };
  }, { untaxed: 0, tax: 0 });
}

/** The name of a state in this version's selection: the first of `names` it has (18 spells canceled, 17 cancel). */
function stateNamed(orm: OdooOrm, model: string, ...names: string[]): string {
  const selection = fieldOf(orm.version, model, 'state')?.selection?.map((option) => (Array.isArray(option) ? option[0] : option)) ?? [];
  return names.find((name) => selection.includes(name)) ?? names[0]!;
}

function sequence(orm: OdooOrm, model: string, prefix: string): string {
  const year = orm.clock.stamp().slice(0, 4);
  const stem = `${prefix}/${year}/`;
  const count = orm.rows(model).filter((row) => String(orm.value(model, row, 'name')).startsWith(stem)).length;
  return `${stem}${String(count + 1).padStart(5, '0')}`;
}

export const ACCOUNTING: Record<string, Method> = {
  'account.move.action_post': {
    api: 'records', params: [],
    run: ({ orm, ids }) => {
      for (const move of ids) {
        const row = orm.row('account.move', move);
        if (row.state !== 'draft') throw userError('The entry is not in draft.');
        if (!moveLines(orm, move).length) throw userError('You need to add a line before posting.');
        const name = row.name && row.name !== '/' ? row.name : sequence(orm, 'account.move', PREFIX[String(row.move_type)] ?? 'MISC');
        orm.writeKnown('account.move', [move], { state: 'posted', name, invoice_date: row.invoice_date || orm.clock.stamp().slice(0, 10) });
      }
      return false;
    },
  },
  'account.move.button_draft': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('account.move', ids, { state: 'draft' }); return true; },
  },
  'account.move.button_cancel': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('account.move', ids, { state: 'cancel' }); return true; },
  },
  'account.payment.action_post': {
    api: 'records', params: [],
    run: ({ orm, ids }) => {
      for (const payment of ids) {
        // up to 17 the state, name and journal are the payment's journal entry's (orm.value follows the link)
        const field = (name: string) => orm.value('account.payment', orm.row('account.payment', payment), name);
        if (field('state') !== 'draft') throw userError('Only a draft payment can be posted.');
        const journal = orm.row('account.journal', field('journal_id') as number);
        const current = field('name');
        const name = current && current !== '/' ? current : sequence(orm, 'account.payment', `P${String(journal.code ?? 'BNK1')}`);
        orm.writeKnown('account.payment', [payment], { state: stateNamed(orm, 'account.payment', 'in_process', 'posted'), name });
      }
      return true;
    },
  },
  'account.payment.action_validate': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('account.payment', ids, { state: stateNamed(orm, 'account.payment', 'paid', 'posted') }); return true; },
  },
  'account.payment.action_cancel': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('account.payment', ids, { state: stateNamed(orm, 'account.payment', 'canceled', 'cancel') }); return true; },
  },
  'account.payment.action_draft': {
    api: 'records', params: [],
    run: ({ orm, ids }) => { orm.writeKnown('account.payment', ids, { state: 'draft' }); return true; },
  },
};

export function installAccounting(orm: OdooOrm, base: Seeded): void {
  orm.defaults.set('account.move', (vals) => ({
    name: '/', state: 'draft', move_type: 'entry', date: orm.clock.stamp().slice(0, 10), company_id: base.company, currency_id: base.currency,
    payment_state: 'not_paid',
    journal_id: String(vals.move_type ?? '').startsWith('out_') ? base.saleJournal : base.bankJournal,
  }));
  orm.defaults.set('account.move.line', (vals) => {
    const product = typeof vals.product_id === 'number' ? orm.row('product.product', vals.product_id) : undefined;
    return { quantity: 1, display_type: 'product', ...(product ? { name: orm.displayName('product.product', product.id), price_unit: num(orm.value('product.product', product, 'list_price')) } : {}) };
  });
  orm.compute('account.move', 'amount_untaxed', (row) => cents(amounts(orm, row.id).untaxed));
  orm.compute('account.move', 'amount_tax', (row) => cents(amounts(orm, row.id).tax));
  orm.compute('account.move', 'amount_total', (row) => { const a = amounts(orm, row.id); return cents(a.untaxed + a.tax); });
  // no reconciliation in the double: what is posted stays owed
  orm.compute('account.move', 'amount_residual', (row) => { const a = amounts(orm, row.id); return row.state === 'posted' ? cents(a.untaxed + a.tax) : 0; });
  orm.compute('account.move', 'display_name', (row) => (row.name && row.name !== '/' ? row.name : 'Draft'));
  orm.compute('account.move.line', 'price_subtotal', (row) => cents(num(row.quantity) * num(row.price_unit) * (1 - num(row.discount) / 100)));
  orm.compute('account.move.line', 'price_total', (row) => {
    const untaxed = cents(num(row.quantity) * num(row.price_unit) * (1 - num(row.discount) / 100));
    return cents(untaxed + cents(untaxed * taxRate(orm, row.tax_ids) / 100));
  });
  orm.defaults.set('account.payment', () => ({
    name: false, state: 'draft', date: orm.clock.stamp().slice(0, 10), journal_id: base.bankJournal, company_id: base.company, currency_id: base.currency,
    payment_type: 'inbound', partner_type: 'customer',
  }));
  orm.compute('account.payment', 'display_name', (row) => { const name = orm.value('account.payment', row, 'name'); return name && name !== '/' ? name : 'Draft Payment'; });
  orm.compute('sale.order', 'invoice_ids', (row) => orm.rows('account.move')
    .filter((m) => m.invoice_origin === row.name && String(m.move_type).startsWith('out_')).map((m) => m.id));
}
