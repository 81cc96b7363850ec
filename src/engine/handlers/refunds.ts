// Refunds, exactly once each and never more than was captured (rules.refundsIn, rules.creditMemosIn).
// refundsIn: store — a refund made in the store is recorded in the inventory system: a refund
// payment against the sale, and a credit note when the store's refund is the credit memo of record
// (creditMemosIn: store; with creditMemosIn: inventory the operator makes the credit note there).
// refundsIn: inventory — a credit note posted in the inventory system makes Dovetail refund that
// amount through the store's payment API once, and record the refund payment against the sale.
import { DovetailError } from '../../errors.js';
import { splitMoneyKey } from '../../model/payment.js';
import { capability } from '../../connectors/types.js';
import { creditNoteToRefund, storeRefundToRecord } from '../../rules/refunds.js';
import { eachJob, perOrder, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';

const settingOf = (ctx: EngineContext) => `rules.refundsIn=${ctx.config.rules.refundsIn}, rules.creditMemosIn=${ctx.config.rules.creditMemosIn}`;

export const refundFromStore: JobHandler = {
  kind: JOB.refundFromStore,
  batch: 1,
  inFlight: perOrder,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const inv = ctx.inventory.system, store = ctx.store.system;
    if (ctx.config.rules.refundsIn !== 'store') return;
    if (await ctx.storage.mapping(inv, MAPPING.refund, job.key)) return;
    const { orderCode, id } = splitMoneyKey(job.key);
    const money = await capability(ctx.store, 'payments', 'refunds made in the store recorded in the inventory system (rules.refundsIn: store)').getPayments(orderCode);
    const decision = storeRefundToRecord(id, money?.payments.flatMap((p) => p.refunds.map((r) => ({ ...r, paymentId: p.id }))).find((r) => r.id === id));
    if (!decision.act) {
      await ctx.storage.audit({ recordKind: 'refund', recordKey: orderCode, action: 'refund.ignored', fromSystem: store, result: decision.why });
      return;
    }
    const { refund } = decision;
    if (!(await ctx.storage.mapping(inv, MAPPING.sale, orderCode))) throw new DovetailError('transient', `order ${orderCode} is not imported into ${inv} yet: its refund is recorded once the sale exists`);
    const key = `${store}-refund:${refund.id}`;
    const what = `Refund ${refund.id} made in ${store} for order ${orderCode}${refund.reason ? `: ${refund.reason}` : ''}`;
    const creditNote = ctx.config.rules.creditMemosIn === 'store'
      ? await capability(ctx.inventory, 'payments', 'refunds made in the store recorded in the inventory system (rules.refundsIn: store)').recordCreditNote(orderCode, { amountMinor: refund.totalMinor, key, description: what })
      : null;
    const payment = await capability(ctx.inventory, 'payments', 'refunds made in the store recorded in the inventory system (rules.refundsIn: store)').recordPayment(orderCode, { kind: 'payable', amountMinor: refund.totalMinor, key, description: what });
    failpoint('refund.recorded');
    await ctx.storage.putMapping(inv, MAPPING.refund, job.key, payment.id);
    await ctx.storage.audit({ recordKind: 'refund', recordKey: orderCode, action: 'refund.recorded', fromSystem: store, toSystem: inv, setting: settingOf(ctx),
      result: creditNote ? 'ok' : 'ok (the credit note is made in the inventory system by hand: rules.creditMemosIn=inventory)',
      detail: { storeRefund: refund.id, storePayment: refund.paymentId, amountMinor: refund.totalMinor, creditNote: creditNote?.id ?? null, inventoryPayment: payment.id } });
  }),
};

export const refundFromInventory: JobHandler = {
  kind: JOB.refundFromInventory,
  batch: 1,
  inFlight: perOrder,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const inv = ctx.inventory.system, store = ctx.store.system;
    if (ctx.config.rules.refundsIn !== 'inventory') return;
    if (await ctx.storage.mapping(inv, MAPPING.refund, job.key)) return;
    const { orderCode, id } = splitMoneyKey(job.key);
    const invPayments = capability(ctx.inventory, 'payments', 'refunds started by credit notes in the inventory system (rules.refundsIn: inventory)');
    const decision = creditNoteToRefund(id, await invPayments.getCreditNote(id));
    if (!decision.act) {
      await ctx.storage.audit({ recordKind: 'refund', recordKey: orderCode, action: 'refund.ignored', fromSystem: inv, result: decision.why });
      return;
    }
    const { note } = decision;
    const label = `credit note ${note.number ?? note.id}`;
    // refunded <= captured is checked by the connector against the store's own payments (and by the store)
    const refund = await capability(ctx.store, 'payments', 'refunds started by credit notes in the inventory system (rules.refundsIn: inventory)').refundPayment(orderCode, note.amountMinor, `${orderCode}:${inv}-credit-${note.id}`, label);
    failpoint('refund.refunded');
    const payment = await invPayments.recordPayment(orderCode,
      { kind: 'payable', amountMinor: note.amountMinor, key: `${inv}-credit:${note.id}`, description: `Refunded through ${store} for ${label} of order ${orderCode}` });
    await ctx.storage.putMapping(inv, MAPPING.refund, job.key, payment.id);
    await ctx.storage.audit({ recordKind: 'refund', recordKey: orderCode, action: refund.created ? 'refund.made' : 'refund.found', fromSystem: inv, toSystem: store, setting: settingOf(ctx),
      result: ctx.config.rules.creditMemosIn === 'store' ? 'ok (note: rules.creditMemosIn=store, yet the credit note was made in the inventory system)' : 'ok',
      detail: { creditNote: note.id, amountMinor: note.amountMinor, storeRefunds: refund.refundIds, inventoryPayment: payment.id } });
  }),
};
