// Money in Tryton (sale_payment, account_payment, account_invoice): payments against a sale,
// credit notes, and the feeds of payments an operator processed and credit notes posted. Every
// record Dovetail makes carries a tag in its description and is looked up by it before it is made.
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { decimalToMinor, minorToDecimal } from '../../model/money.js';
import type { CreditNote, InventoryPayment, SaleMoney, ShipmentForCapture } from '../../model/payment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { dec, decimalString, type TrytonClient } from './client.js';
import { once, type Company } from './writes.js';
import { moneyTag, toCreditNoteState, toInventoryPaymentState, toShipmentState } from './mappers.js';
import { changedRows, productCodes } from './reads.js';

const JOURNAL_NAME = 'Web store payments (Dovetail)';
/** payments Dovetail records (store captures, refunds) carry this; the operator feed skips them */
export const RECORDED = 'recorded';
/** what the tag of a payment Dovetail recorded starts with (moneyTag(`recorded <key>`)) */
const RECORDED_TAG = `[dovetail ${RECORDED} `;
/** what every tag Dovetail writes starts with */
const DOVETAIL_TAG = '[dovetail ';

const Sale = z.object({ id: z.number(), reference: z.string().nullable(), party: z.number(), state: z.string() });

async function saleFor(client: TrytonClient, orderCode: string) {
  const [s] = z.array(Sale).parse(await client.searchRead('sale.sale', [['reference', '=', orderCode], ['state', '!=', 'cancelled']],
    ['reference', 'party', 'state'], { limit: 1, order: [['id', 'ASC']] }));
  if (!s) throw new DovetailError('transient', `order ${orderCode} has no sale in Tryton yet (waiting for the order import)`);
  return s;
}

/** The manual payment journal web-store money is recorded in: found by name, made once. */
function journal(client: TrytonClient, company: Company): Promise<number> {
  return once(company, 'payment-journal', async () => {
    const [found] = await client.search('account.payment.journal', [['name', '=', JOURNAL_NAME], ['company', '=', company.id]], { limit: 1 });
    if (found) return found;
    const [id] = await client.create('account.payment.journal', [{ name: JOURNAL_NAME, currency: company.currencyId, company: company.id, process_method: 'manual' }]);
    return id;
  });
}

const PaymentRecord = z.object({ id: z.number(), state: z.string(), kind: z.enum(['receivable', 'payable']), amount: z.unknown(), origin: z.string().nullable(), description: z.string().nullable() });
const PAYMENT_FIELDS = ['state', 'kind', 'amount', 'origin', 'description'];

/** Moves a payment on to `to` (succeeded or failed) through Tryton's own steps. */
async function advance(client: TrytonClient, id: number, state: string, to: 'succeeded' | 'failed'): Promise<void> {
  if (state === to) return;
  if (state === 'draft') { await client.button('account.payment', 'approve', [id]); state = 'approved'; }
  if (state === 'approved') {
    await client.wizard('account.payment.process', [['process', {}]], { active_model: 'account.payment', active_ids: [id], active_id: id });
    state = 'processing';
  }
  if (state === 'processing' || (state === 'succeeded' && to === 'failed')) await client.button('account.payment', to === 'succeeded' ? 'succeed' : 'fail', [id]);
  else if (state !== to) throw permanent(`Tryton payment ${id} is ${state} and cannot be moved to ${to}`);
}

async function findTagged(client: TrytonClient, model: string, tag: string, also: unknown[] = []): Promise<number | null> {
  const [id] = await client.search(model, [['description', 'like', `%${tag}%`], ...also], { limit: 1, order: [['id', 'ASC']] });
  return id ?? null;
}

/**
 * A payment against the sale, moved to succeeded: a capture (receivable) or a refund (payable).
 * Found by its tag before it is made, so a retry finishes the one a crash left half way.
 */
export async function recordPayment(client: TrytonClient, company: Company, orderCode: string,
  p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
  const tag = moneyTag(`${RECORDED} ${p.key}`);
  // one a person failed by hand no longer holds the money: a repair (dovetail reconcile) records it anew
  const found = await findTagged(client, 'account.payment', tag, [['state', '!=', 'failed']]);
  let id = found;
  if (!id) {
    const sale = await saleFor(client, orderCode);
    [id] = await client.create('account.payment', [{ company: company.id, journal: await journal(client, company), kind: p.kind, party: sale.party,
      amount: dec(minorToDecimal(p.amountMinor)), origin: `sale.sale,${sale.id}`, description: `${p.description} ${tag}` }]);
  }
  const [r] = z.array(PaymentRecord).parse(await client.read('account.payment', [id], PAYMENT_FIELDS));
  await advance(client, id, r.state, 'succeeded');
  return { id: String(id), created: !found };
}

/**
 * What is settled against the sales carrying this order code (the web sale and any return sale
 * Dovetail made for it): succeeded receivable and payable payments whose origin is one of them.
 */
export async function getSaleMoney(client: TrytonClient, orderCode: string): Promise<SaleMoney | null> {
  const saleIds = await client.search('sale.sale', [['reference', '=', orderCode]]);
  if (!saleIds.length) return null;
  const rows = z.array(PaymentRecord).parse(await client.searchRead('account.payment',
    [['origin', 'in', saleIds.map((id) => `sale.sale,${id}`)], ['state', '=', 'succeeded']], PAYMENT_FIELDS));
  const sum = (kind: 'receivable' | 'payable') => rows.filter((r) => r.kind === kind).reduce((n, r) => n + decimalToMinor(decimalString(r.amount)), 0);
  return { receivedMinor: sum('receivable'), paidOutMinor: sum('payable') };
}

/** A receivable payment for the sale left approved, for an operator to process (rules.settleFrom: inventory). */
export async function proposePayment(client: TrytonClient, company: Company, orderCode: string,
  p: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
  const tag = moneyTag(`to-capture ${p.key}`);
  const found = await findTagged(client, 'account.payment', tag);
  if (found) return { id: String(found), created: false };
  const sale = await saleFor(client, orderCode);
  const [id] = await client.create('account.payment', [{ company: company.id, journal: await journal(client, company), kind: 'receivable', party: sale.party,
    amount: dec(minorToDecimal(p.amountMinor)), origin: `sale.sale,${sale.id}`, description: `${p.description} ${tag}` }]);
  await client.button('account.payment', 'approve', [id]);
  return { id: String(id), created: true };
}

/** The store order code of a sale: its reference, or for a return sale (origin: a sale) its origin's. */
async function orderCodeOfSale(client: TrytonClient, saleId: number): Promise<string | null> {
  const [s] = z.array(Sale.extend({ origin: z.string().nullable() })).parse(await client.read('sale.sale', [saleId], ['reference', 'party', 'state', 'origin']));
  const origin = /^sale\.sale,(\d+)$/.exec(s?.origin ?? '')?.[1];
  if (origin && Number(origin) !== saleId) return orderCodeOfSale(client, Number(origin));
  return s?.reference ?? null;
}

export async function getPayment(client: TrytonClient, id: string): Promise<InventoryPayment | null> {
  const ids = await client.search('account.payment', [['id', '=', Number(id)]]);
  if (!ids.length) return null;
  const [r] = z.array(PaymentRecord).parse(await client.read('account.payment', ids, PAYMENT_FIELDS));
  const saleId = /^sale\.sale,(\d+)$/.exec(r.origin ?? '')?.[1];
  const orderCode = saleId ? await orderCodeOfSale(client, Number(saleId)) : null;
  if (!orderCode) return null;
  const description = r.description ?? '';
  return { id, orderCode, kind: r.kind, state: toInventoryPaymentState(r.state), amountMinor: decimalToMinor(decimalString(r.amount)), description,
    recordedByDovetail: description.includes(RECORDED_TAG) };
}

/** Ends an operator's payment once the store captured it (or refused): succeeded or failed, with what happened as its tag. */
export async function completePayment(client: TrytonClient, id: string, outcome: 'succeeded' | 'failed', note: string): Promise<void> {
  const [r] = z.array(PaymentRecord).parse(await client.read('account.payment', [Number(id)], PAYMENT_FIELDS));
  const tag = moneyTag(note);
  if (!(r.description ?? '').includes(tag)) await client.write('account.payment', [Number(id)], { description: `${r.description ?? ''} ${tag}`.trim() });
  await advance(client, Number(id), r.state, outcome);
}

const InvoiceRecord = z.object({ id: z.number(), type: z.string(), state: z.string(), number: z.string().nullable(), total_amount: z.unknown(),
  description: z.string().nullable(), reference: z.string().nullable(), lines: z.array(z.number()) });
const INVOICE_FIELDS = ['type', 'state', 'number', 'total_amount', 'description', 'reference', 'lines'];

/**
 * A posted credit note for the sale crediting `amountMinor` (tax included, one line without tax so
 * it matches the store's refund to the cent), on the same party, accounts and journal as the
 * sale's invoice. Found by its tag before it is made.
 */
export async function recordCreditNote(client: TrytonClient, company: Company, orderCode: string,
  c: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
  const tag = moneyTag(`credit ${c.key}`);
  const found = await findTagged(client, 'account.invoice', tag);
  let id = found;
  if (!id) {
    const sale = await saleFor(client, orderCode);
    const [{ invoices }] = z.array(z.object({ invoices: z.array(z.number()) })).parse(await client.read('sale.sale', [sale.id], ['invoices']));
    if (!invoices.length) throw new DovetailError('transient', `the sale of order ${orderCode} has no invoice yet to credit`);
    const [inv] = z.array(z.object({ party: z.number(), invoice_address: z.number(), account: z.number(), journal: z.number().nullable(), payment_term: z.number().nullable(),
      currency: z.number(), lines: z.array(z.number()) })).parse(await client.read('account.invoice', [invoices[0]], ['party', 'invoice_address', 'account', 'journal', 'payment_term', 'currency', 'lines']));
    const [line] = z.array(z.object({ account: z.number().nullable() })).parse(await client.read('account.invoice.line', inv.lines.slice(0, 1), ['account']));
    if (!line?.account) throw new DovetailError('config', `the invoice of order ${orderCode} has no revenue account to credit`);
    [id] = await client.create('account.invoice', [{ company: company.id, type: 'out', party: inv.party, invoice_address: inv.invoice_address, account: inv.account,
      journal: inv.journal, payment_term: inv.payment_term, currency: inv.currency, reference: orderCode, description: `${c.description} ${tag}`,
      lines: [['create', [{ type: 'line', quantity: -1, unit_price: dec(minorToDecimal(c.amountMinor)), account: line.account, description: c.description, taxes: [] }]]] }]);
  }
  const [r] = z.array(InvoiceRecord).parse(await client.read('account.invoice', [id], INVOICE_FIELDS));
  if (r.state === 'draft' || r.state === 'validated') await client.button('account.invoice', 'post', [id]);
  return { id: String(id), created: !found };
}

/** The sale a credit note is for: through its lines' origins (a sale line, or the invoice line it credits), else its reference. */
async function orderCodeOfInvoice(client: TrytonClient, inv: z.infer<typeof InvoiceRecord>): Promise<string | null> {
  const lines = z.array(z.object({ id: z.number(), origin: z.string().nullable() })).parse(await client.read('account.invoice.line', inv.lines, ['origin']));
  for (let hop = 0; hop < 2; hop++) {
    for (const l of lines) {
      const saleLine = /^sale\.line,(\d+)$/.exec(l.origin ?? '')?.[1];
      if (saleLine) {
        const [sl] = z.array(z.object({ sale: z.number() })).parse(await client.read('sale.line', [Number(saleLine)], ['sale']));
        return orderCodeOfSale(client, sl.sale);
      }
    }
    const credited = lines.map((l) => /^account\.invoice\.line,(\d+)$/.exec(l.origin ?? '')?.[1]).filter((x): x is string => !!x).map(Number);
    if (!credited.length) break;
    lines.splice(0, lines.length, ...z.array(z.object({ id: z.number(), origin: z.string().nullable() })).parse(await client.read('account.invoice.line', credited, ['origin'])));
  }
  if (inv.reference) {
    const [s] = await client.search('sale.sale', [['reference', '=', inv.reference]], { limit: 1 });
    if (s) return inv.reference;
  }
  return null;
}

export async function getCreditNote(client: TrytonClient, id: string): Promise<CreditNote | null> {
  const ids = await client.search('account.invoice', [['id', '=', Number(id)], ['type', '=', 'out']]);
  if (!ids.length) return null;
  const [r] = z.array(InvoiceRecord).parse(await client.read('account.invoice', ids, INVOICE_FIELDS));
  const total = decimalToMinor(decimalString(r.total_amount));
  if (total >= 0) return null;
  const orderCode = await orderCodeOfInvoice(client, r);
  if (!orderCode) return null;
  const description = r.description ?? '';
  return { id, orderCode, number: r.number, state: toCreditNoteState(r.state), amountMinor: -total, description, byDovetail: description.includes(DOVETAIL_TAG) };
}

/** Receivable payments for web sales that an operator processed in Tryton (rules.settleFrom: inventory). */
export function paymentChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, { payments: { model: 'account.payment', domain: [['kind', '=', 'receivable'], ['state', '=', 'processing'], ['origin', 'like', 'sale.sale,%']],
    shape: { origin: z.string().nullable(), description: z.string().nullable(), state: z.string() } } }, async ({ payments }) => {
    const changes: ChangeRef[] = [];
    for (const p of payments) {
      if ((p.description ?? '').includes(RECORDED_TAG)) continue;
      const code = await orderCodeOfSale(client, Number(/\d+$/.exec(p.origin ?? '')?.[0]));
      if (code) changes.push({ kind: 'payment', key: `${code}:${p.id}`, sourceVersion: `payment:${p.id}:${p.state}` });
    }
    return changes;
  });
}

/** Credit notes (customer invoices with a negative total) posted for web sales (rules.refundsIn: inventory). */
export function creditNoteChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, { invoices: { model: 'account.invoice', domain: [['type', '=', 'out'], ['state', 'in', ['posted', 'paid']]],
    shape: { type: z.string(), state: z.string(), number: z.string().nullable(), total_amount: z.unknown(), description: z.string().nullable(), reference: z.string().nullable(), lines: z.array(z.number()) } },
  }, async ({ invoices }) => {
    const changes: ChangeRef[] = [];
    for (const inv of invoices) {
      if (decimalToMinor(decimalString(inv.total_amount)) >= 0 || (inv.description ?? '').includes(DOVETAIL_TAG)) continue;
      const code = await orderCodeOfInvoice(client, inv);
      if (code) changes.push({ kind: 'creditNote', key: `${code}:${inv.id}`, sourceVersion: `creditNote:${inv.id}:posted` });
    }
    return changes;
  });
}

/** What one customer shipment shipped, and what the sale's earlier done shipments shipped (by SKU). */
export async function shipmentForCapture(client: TrytonClient, shipmentId: string): Promise<ShipmentForCapture | null> {
  const Move = z.object({ id: z.number(), product: z.number(), quantity: z.number(), state: z.string(), origin: z.string().nullable(), shipment: z.string().nullable() });
  const ids = await client.search('stock.shipment.out', [['id', '=', Number(shipmentId)]]);
  if (!ids.length) return null;
  const [sh] = z.array(z.object({ id: z.number(), state: z.string(), outgoing_moves: z.array(z.number()) })).parse(
    await client.read('stock.shipment.out', ids, ['state', 'outgoing_moves']));
  const moves = z.array(Move).parse(await client.read('stock.move', sh.outgoing_moves, ['product', 'quantity', 'state', 'origin', 'shipment']));
  const saleLine = moves.map((m) => /^sale\.line,(\d+)$/.exec(m.origin ?? '')?.[1]).find(Boolean);
  if (!saleLine) return null;
  const [{ sale }] = z.array(z.object({ sale: z.number() })).parse(await client.read('sale.line', [Number(saleLine)], ['sale']));
  const orderCode = await orderCodeOfSale(client, sale);
  if (!orderCode) return null;
  // Every done outgoing move of the sale, by shipment: earlier shipments have lower ids.
  const saleMoves = z.array(Move).parse(await client.searchRead('stock.move', [['sale', '=', sale], ['to_location.type', '=', 'customer'], ['state', '=', 'done']],
    ['product', 'quantity', 'state', 'origin', 'shipment']));
  const shipmentOf = (m: z.infer<typeof Move>) => Number(/^stock\.shipment\.out,(\d+)$/.exec(m.shipment ?? '')?.[1] ?? NaN);
  const productIds = [...new Set([...moves, ...saleMoves].map((m) => m.product))];
  const codes = await productCodes(client, productIds);
  const qty = (ms: z.infer<typeof Move>[]) => ms.map((m) => ({ sku: codes.get(m.product) ?? `#${m.product}`, quantity: m.quantity }));
  const doneShipments = [...new Set(saleMoves.map(shipmentOf).filter((n) => !Number.isNaN(n)))].sort((a, b) => a - b);
  return {
    shipmentId, orderCode, state: toShipmentState(sh.state),
    lines: qty(moves.filter((m) => m.state === 'done')),
    earlier: qty(saleMoves.filter((m) => shipmentOf(m) < sh.id)),
    first: doneShipments[0] === sh.id,
  };
}
