// Money in Odoo: payments against a web order's sale (account.payment) and credit notes
// (account.move out_refund), and the feeds of payments an operator posted and credit notes posted.
// Every record Dovetail makes carries tags in its free text and is looked up by them before it is made.
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import type { CreditNote, CreditNoteState, InventoryPayment, InventoryPaymentState, SaleMoney } from '../../model/payment.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { action, create, read, Ref, searchRead, Text, write, type OdooCalls } from './client.js';
import { fromMinor, toMinor } from './mappers.js';
import { odooNames } from './models.js';
import { changedRows, type Setup } from './reads.js';

/** What every tag Dovetail writes starts with. */
const DOVETAIL_TAG = '[dovetail ';
const tag = (what: string) => `${DOVETAIL_TAG}${what}]`;
/** a payment Dovetail recorded (money the store moved): the operator feed leaves it out */
const recordedTag = (key: string) => tag(`recorded ${key}`);
/** a payment Dovetail proposed for an operator to post */
const proposedTag = (key: string) => tag(`to-capture ${key}`);
const PROPOSED = `${DOVETAIL_TAG}to-capture `;
const orderTag = (orderCode: string) => tag(`order ${orderCode}`);
const ORDER_TAG = /\[dovetail order ([^\]]+)\]/;
/** written on a proposed payment once the store captured or refused it */
const outcomeTag = (outcome: 'succeeded' | 'failed', note: string) => tag(`${outcome} ${note}`);
const SUCCEEDED = `${DOVETAIL_TAG}succeeded `;

/** Odoo 18+ states posted payments in_process / paid and dropped ones canceled / rejected; 17 says posted / cancel. */
const POSTED = ['in_process', 'paid', 'posted'];
const DROPPED = ['canceled', 'cancel', 'rejected'];

/**
 * A payment's state in Dovetail's words. A payment Dovetail proposed that an operator posted is
 * `processing` until the store's capture is written on it; any other posted payment has succeeded.
 */
export function toPaymentState(state: string, memo: string): InventoryPaymentState {
  if (DROPPED.includes(state)) return 'failed';
  if (state === 'draft') return 'pending';
  if (POSTED.includes(state)) return memo.includes(PROPOSED) && !memo.includes(SUCCEEDED) ? 'processing' : 'succeeded';
  throw permanent(`Odoo payment state ${JSON.stringify(state)} is not one Dovetail knows`);
}

export function toCreditNoteState(state: string, paymentState: string): CreditNoteState {
  if (state === 'draft') return 'draft';
  if (state === 'cancel') return 'cancelled';
  if (state === 'posted') return ['paid', 'in_payment', 'reversed'].includes(paymentState) ? 'paid' : 'posted';
  throw permanent(`Odoo journal entry state ${JSON.stringify(state)} is not one Dovetail knows`);
}

/** The web order's sale; none yet is passing (the order import has not run). */
async function saleFor(client: OdooCalls, orderCode: string) {
  const N = odooNames(client.version);
  const S = N.sale.fields;
  const [sale] = await searchRead(client, N.sale.model, [[S.reference, '=', orderCode], [S.state, '!=', 'cancel']],
    { name: [S.name, z.string()], partner: [S.partner, Ref] }, { limit: 1, order: `${S.id} asc` });
  if (!sale?.partner) throw new DovetailError('transient', `order ${orderCode} has no sale in Odoo yet (waiting for the order import)`);
  return { id: sale.id, name: sale.name, partner: sale.partner.id };
}

function paymentSpec(client: OdooCalls) {
  const P = odooNames(client.version).payment.fields;
  return { state: [P.state, z.string()], paymentType: [P.paymentType, z.string()], amount: [P.amount, z.number()], memo: [P.memo, Text] } as const;
}

async function findTagged(client: OdooCalls, model: 'payment' | 'invoice', text: string): Promise<number | null> {
  const N = odooNames(client.version);
  const names = N[model];
  const field = model === 'payment' ? N.payment.fields.memo : N.invoice.fields.ref;
  const [found] = await searchRead(client, names.model, [[field, 'like', text]], {}, { limit: 1, order: `${names.fields.id} asc`, context: { active_test: false } });
  return found?.id ?? null;
}

async function makePayment(client: OdooCalls, setup: Setup, orderCode: string, kind: 'receivable' | 'payable', amountMinor: number, memo: string): Promise<number> {
  const N = odooNames(client.version);
  const P = N.payment.fields;
  const sale = await saleFor(client, orderCode);
  const [id] = await create(client, N.payment.model, [{ [P.paymentType]: kind === 'receivable' ? 'inbound' : 'outbound', [P.partnerType]: 'customer',
    [P.partner]: sale.partner, [P.amount]: fromMinor(amountMinor, setup.currency.decimals), [P.memo]: memo }]);
  return id!;
}

/** A payment against the sale, posted: a capture (inbound) or a refund paid out (outbound). Found by its tag before it is made. */
export async function recordPayment(client: OdooCalls, setup: Setup, orderCode: string,
  p: { kind: 'receivable' | 'payable'; amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
  const N = odooNames(client.version);
  const found = await findTagged(client, 'payment', recordedTag(p.key));
  const id = found ?? await makePayment(client, setup, orderCode, p.kind, p.amountMinor, `${p.description} ${recordedTag(p.key)} ${orderTag(orderCode)}`);
  const [r] = await read(client, N.payment.model, [id], paymentSpec(client));
  if (r?.state === 'draft') await action(client, N.payment.model, N.payment.methods.post, [id]);
  return { id: String(id), created: !found };
}

/** An inbound payment left in draft for an operator to post (rules.settleFrom: inventory). */
export async function proposePayment(client: OdooCalls, setup: Setup, orderCode: string,
  p: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
  const found = await findTagged(client, 'payment', proposedTag(p.key));
  if (found) return { id: String(found), created: false };
  return { id: String(await makePayment(client, setup, orderCode, 'receivable', p.amountMinor, `${p.description} ${proposedTag(p.key)} ${orderTag(orderCode)}`)), created: true };
}

export async function getPayment(client: OdooCalls, setup: Setup, id: string): Promise<InventoryPayment | null> {
  if (!/^\d+$/.test(id)) return null;
  const [r] = await read(client, odooNames(client.version).payment.model, [Number(id)], paymentSpec(client));
  const memo = r?.memo ?? '';
  const orderCode = ORDER_TAG.exec(memo)?.[1];
  if (!r || !orderCode) return null;
  return { id, orderCode, kind: r.paymentType === 'outbound' ? 'payable' : 'receivable', state: toPaymentState(r.state, memo),
    amountMinor: toMinor(r.amount, setup.currency.decimals), description: memo, recordedByDovetail: memo.includes(`${DOVETAIL_TAG}recorded `) };
}

/** Ends a proposed payment once the store captured (posted) or refused (cancelled) it, with what happened written on it. */
export async function completePayment(client: OdooCalls, id: string, outcome: 'succeeded' | 'failed', note: string): Promise<void> {
  const N = odooNames(client.version);
  const [r] = await read(client, N.payment.model, [Number(id)], paymentSpec(client));
  if (!r) throw permanent(`Odoo payment ${id} is gone`);
  const memo = r.memo ?? '';
  const written = outcomeTag(outcome, note);
  if (!memo.includes(written)) await write(client, N.payment.model, [r.id], { [N.payment.fields.memo]: `${memo} ${written}`.trim() });
  if (outcome === 'succeeded' && r.state === 'draft') await action(client, N.payment.model, N.payment.methods.post, [r.id]);
  if (outcome === 'failed' && !DROPPED.includes(r.state)) {
    if (r.state !== 'draft') await action(client, N.payment.model, N.payment.methods.draft, [r.id]);
    await action(client, N.payment.model, N.payment.methods.cancel, [r.id]);
  }
}

function invoiceSpec(client: OdooCalls) {
  const I = odooNames(client.version).invoice.fields;
  return { moveType: [I.moveType, z.string()], state: [I.state, z.string()], name: [I.name, Text], total: [I.total, z.number()], ref: [I.ref, Text],
    origin: [I.origin, Text], paymentState: [I.paymentState, Text] } as const;
}

/**
 * A posted credit note (out_refund) for the sale crediting `amountMinor`: one line without tax,
 * so it matches the store's refund to the cent; invoice_origin = the sale's name. Found by its tag first.
 */
export async function recordCreditNote(client: OdooCalls, setup: Setup, orderCode: string,
  c: { amountMinor: number; key: string; description: string }): Promise<{ id: string; created: boolean }> {
  const N = odooNames(client.version);
  const I = N.invoice.fields, L = N.invoiceLine.fields;
  const text = tag(`credit ${c.key}`);
  const found = await findTagged(client, 'invoice', text);
  let id = found;
  if (!id) {
    const sale = await saleFor(client, orderCode);
    [id] = await create(client, N.invoice.model, [{ [I.moveType]: 'out_refund', [I.partner]: sale.partner, [I.origin]: sale.name, [I.ref]: `${c.description} ${text}`,
      [I.lines]: [[0, 0, { [L.name]: c.description, [L.quantity]: 1, [L.priceUnit]: fromMinor(c.amountMinor, setup.currency.decimals), [L.taxes]: [[6, 0, []]] }]] }]);
  }
  const [r] = await read(client, N.invoice.model, [id!], invoiceSpec(client));
  if (r?.state === 'draft') await action(client, N.invoice.model, N.invoice.methods.post, [id!]);
  return { id: String(id), created: !found };
}

/** The web order code of a sale by its name (a credit note's invoice_origin). */
async function orderCodeOfSaleName(client: OdooCalls, saleName: string | null): Promise<string | null> {
  if (!saleName) return null;
  const N = odooNames(client.version);
  const [sale] = await searchRead(client, N.sale.model, [[N.sale.fields.name, '=', saleName]], { reference: [N.sale.fields.reference, Text] }, { limit: 1 });
  return sale?.reference ?? null;
}

export async function getCreditNote(client: OdooCalls, setup: Setup, id: string): Promise<CreditNote | null> {
  if (!/^\d+$/.test(id)) return null;
  const [r] = await read(client, odooNames(client.version).invoice.model, [Number(id)], invoiceSpec(client));
  if (!r || r.moveType !== 'out_refund') return null;
  const orderCode = await orderCodeOfSaleName(client, r.origin);
  if (!orderCode) return null;
  const description = r.ref ?? '';
  return { id, orderCode, number: r.name && r.name !== '/' ? r.name : null, state: toCreditNoteState(r.state, r.paymentState ?? ''),
    amountMinor: toMinor(r.total, setup.currency.decimals), description, byDovetail: description.includes(DOVETAIL_TAG) };
}

/**
 * What is settled against the web order's sale: the posted payments carrying its order tag
 * (Dovetail's records and the proposals an operator posted once the store captured them).
 */
export async function getSaleMoney(client: OdooCalls, setup: Setup, orderCode: string): Promise<SaleMoney | null> {
  const N = odooNames(client.version);
  const [sale] = await searchRead(client, N.sale.model, [[N.sale.fields.reference, '=', orderCode]], {}, { limit: 1 });
  if (!sale) return null;
  const rows = await searchRead(client, N.payment.model, [[N.payment.fields.memo, 'like', orderTag(orderCode)]], paymentSpec(client), { context: { active_test: false } });
  const settled = rows.filter((r) => toPaymentState(r.state, r.memo ?? '') === 'succeeded');
  const sum = (type: string) => settled.filter((r) => r.paymentType === type).reduce((n, r) => n + toMinor(r.amount, setup.currency.decimals), 0);
  return { receivedMinor: sum('inbound'), paidOutMinor: sum('outbound') };
}

/** Payments Dovetail proposed that an operator posted in Odoo (rules.settleFrom: inventory), keyed `<orderCode>:<id>`. */
export function paymentChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const P = N.payment.fields;
  return changedRows(client, cursor, { payments: { model: N.payment.model, domain: [[P.memo, 'like', PROPOSED], [P.state, 'in', POSTED]],
    fields: { memo: [P.memo, Text], state: [P.state, z.string()] } } },
  ({ payments }) => payments.flatMap((p): ChangeRef[] => {
    const code = ORDER_TAG.exec(p.memo ?? '')?.[1];
    return code ? [{ kind: 'payment', key: `${code}:${p.id}`, sourceVersion: `payment:${p.id}:${p.state}` }] : [];
  }));
}

/** Credit notes posted in Odoo for web sales by someone other than Dovetail (rules.refundsIn: inventory), keyed `<orderCode>:<id>`. */
export function creditNoteChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const I = N.invoice.fields;
  return changedRows(client, cursor, { notes: { model: N.invoice.model, domain: [[I.moveType, '=', 'out_refund'], [I.state, '=', 'posted']],
    fields: { ref: [I.ref, Text], origin: [I.origin, Text] } } }, async ({ notes }) => {
    const changes: ChangeRef[] = [];
    for (const n of notes) {
      if ((n.ref ?? '').includes(DOVETAIL_TAG)) continue;
      const code = await orderCodeOfSaleName(client, n.origin);
      if (code) changes.push({ kind: 'creditNote', key: `${code}:${n.id}`, sourceVersion: `creditNote:${n.id}:posted` });
    }
    return changes;
  });
}
