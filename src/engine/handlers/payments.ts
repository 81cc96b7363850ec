// Captures, exactly once each (rules.capture, rules.settleFrom). Three ways money is captured:
// the store captured by itself (checkout or its admin): Dovetail records it in the inventory
// system; a shipment in the inventory system captures its own amount through the store
// (atShipment); an operator settles a payment in the inventory system and Dovetail captures it
// through the store (settleFrom: inventory). Exactly once rests on the idempotency key the store
// keeps with each capture (Dovetail's Vendure plugin), the tag each inventory record carries
// (found before one is made), the mapping row written last, and one job per key at a time.
import { DovetailError, permanent } from '../../errors.js';
import { splitMoneyKey } from '../../model/payment.js';
import { captureAmount, shipmentCapture } from '../../rules/capture-amount.js';
import { capability } from '../../connectors/types.js';
import { inventoryPaymentToCapture, shipmentCapturePlan, storeCaptureToRecord } from '../../rules/capture.js';
import { eachJob, perOrder, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import { refundFromInventory, refundFromStore } from './refunds.js';

const settingOf = (ctx: EngineContext) => `rules.capture=${ctx.config.rules.capture}, rules.settleFrom=${ctx.config.rules.settleFrom}`;

/** The sale must be imported before money is recorded against it: wait for it (a retry), or say why not. */
async function requireSale(ctx: EngineContext, orderCode: string): Promise<void> {
  if (await ctx.storage.mapping(ctx.inventory.system, MAPPING.sale, orderCode)) return;
  throw new DovetailError('transient', `order ${orderCode} is not imported into ${ctx.inventory.system} yet: its money is recorded once the sale exists`);
}

/**
 * Queues the capture of one inventory shipment (rules.capture: atShipment). Called by the
 * shipments flow for every done shipment of an order; a shipment captured before is a no-op.
 */
export async function enqueueCaptureForShipment(ctx: EngineContext, orderCode: string, shipmentId: string, reason: string): Promise<void> {
  if (shipmentCapturePlan(ctx.config.rules) === 'capturedAtOrder') return;
  if (await ctx.storage.mapping(ctx.inventory.system, MAPPING.capture, `${orderCode}:${shipmentId}`)) return;
  await ctx.storage.enqueue({ kind: JOB.capture, key: `${orderCode}:${shipmentId}`, reason });
}

/** A capture the store made by itself (a captured payment without Dovetail's key) becomes a succeeded payment against the sale. */
export const paymentFromStore: JobHandler = {
  kind: JOB.paymentFromStore,
  batch: 1,
  inFlight: perOrder,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const inv = ctx.inventory.system, store = ctx.store.system;
    if (await ctx.storage.mapping(inv, MAPPING.payment, job.key)) return;
    const { orderCode, id } = splitMoneyKey(job.key);
    if (await ctx.storage.mapping(inv, MAPPING.offlineOrder, orderCode)) {
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.ignored', fromSystem: store, setting: 'rules.offlineOrdersToStore',
        result: 'an order entered in the inventory system and shown in the store: its payment marks it paid offline, nothing was charged' });
      return;
    }
    const money = await capability(ctx.store, 'payments', 'captures recorded against the sale (rules.capture, rules.settleFrom)').getPayments(orderCode);
    const decision = storeCaptureToRecord(id, money?.payments.find((x) => x.id === id));
    if (!decision.act) {
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.ignored', fromSystem: store, result: decision.why });
      return;
    }
    const p = decision.payment;
    await requireSale(ctx, orderCode);
    const rec = await capability(ctx.inventory, 'payments', 'captures recorded against the sale (rules.capture, rules.settleFrom)').recordPayment(orderCode,
      { kind: 'receivable', amountMinor: p.amountMinor, key: `${store}-payment:${p.id}`, description: `Captured in ${store}: payment ${p.id} (${p.method}) of order ${orderCode}` });
    failpoint('payment.recorded');
    await ctx.storage.putMapping(inv, MAPPING.payment, job.key, rec.id);
    await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: rec.created ? 'payment.recorded' : 'payment.linked', fromSystem: store, toSystem: inv,
      setting: settingOf(ctx), result: ctx.config.rules.settleFrom === 'inventory' ? 'ok (note: captured in the store although rules.settleFrom=inventory)' : 'ok',
      detail: { storePayment: p.id, amountMinor: p.amountMinor, inventoryPayment: rec.id } });
  }),
};

/** One inventory shipment captures what it shipped (rules.capture: atShipment). */
export const captureShipment: JobHandler = {
  kind: JOB.capture,
  batch: 1,
  inFlight: perOrder,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const inv = ctx.inventory.system, store = ctx.store.system;
    const plan = shipmentCapturePlan(ctx.config.rules);
    const { orderCode, id: shipmentId } = splitMoneyKey(job.key);
    if (plan === 'capturedAtOrder') {
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.captureSkipped', setting: settingOf(ctx), result: 'captured at order, not per shipment' });
      return;
    }
    if (await ctx.storage.mapping(inv, MAPPING.capture, job.key)) return;
    await requireSale(ctx, orderCode);
    const shipment = await capability(ctx.inventory, 'shipments', 'capture per shipment (rules.capture: atShipment)').shipmentForCapture(shipmentId);
    if (!shipment || shipment.orderCode !== orderCode) throw permanent(`shipment ${shipmentId} of order ${orderCode} was not found in ${inv}`, { order: orderCode, shipment: shipmentId });
    if (shipment.state !== 'done') {
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.captureWaits', fromSystem: inv, result: `shipment ${shipmentId} is ${shipment.state}, not done: nothing captured` });
      return;
    }
    const order = await ctx.store.getOrder(orderCode);
    if (!order) throw permanent(`order ${orderCode} was not found in ${store}`, { order: orderCode });
    let amount;
    try { amount = captureAmount(order, shipment); } catch (err) { throw permanent(`order ${orderCode}, shipment ${shipmentId}: ${(err as Error).message}`, { order: orderCode }); }
    const why = { shipment: shipmentId, parts: amount.parts, shippingMinor: amount.shippingMinor, amountMinor: amount.amountMinor };
    if (plan === 'proposeInInventory') {
      // The operator settles: the shipment's amount waits in the inventory system as an approved
      // payment; processing it there is what captures (paymentFromInventory).
      const proposed = await capability(ctx.inventory, 'payments', 'payments settled from the inventory system (rules.settleFrom: inventory)').proposePayment(orderCode,
        { amountMinor: amount.amountMinor, key: `capture ${job.key}`, description: `To capture for shipment ${shipmentId} of order ${orderCode}` });
      await ctx.storage.putMapping(inv, MAPPING.capture, job.key, `proposed:${proposed.id}`);
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.proposed', fromSystem: inv, toSystem: inv, setting: settingOf(ctx),
        result: 'waiting for an operator to process the payment in the inventory system', detail: { ...why, inventoryPayment: proposed.id } });
      return;
    }
    const captureKey = `${orderCode}:${inv}-shipment-${shipmentId}`;
    const payments = capability(ctx.store, 'payments', 'capture per shipment (rules.capture: atShipment)');
    const money = await payments.getPayments(orderCode);
    if (!money) throw permanent(`order ${orderCode} was not found in ${store}`, { order: orderCode });
    const decision = shipmentCapture(amount.amountMinor, { ...money, capturedForThisKey: money.payments.some((p) => p.captureKey === captureKey) });
    if (!decision.capture) {
      await ctx.storage.putMapping(inv, MAPPING.capture, job.key, 'nothing');
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.nothingToCapture', fromSystem: inv, toSystem: store, setting: settingOf(ctx),
        result: decision.why, detail: { ...why, authorisedMinor: money.authorisedMinor, capturedMinor: money.capturedMinor } });
      return;
    }
    const captured = await payments.capturePayment(orderCode, amount.amountMinor, captureKey);
    failpoint('capture.captured');
    const rec = await capability(ctx.inventory, 'payments', 'capture per shipment (rules.capture: atShipment)').recordPayment(orderCode,
      { kind: 'receivable', amountMinor: captured.amountMinor, key: `capture:${job.key}`, description: `Captured in ${store} for shipment ${shipmentId} of order ${orderCode} (payment ${captured.paymentId})` });
    await ctx.storage.putMapping(inv, MAPPING.capture, job.key, rec.id);
    await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: captured.created ? 'payment.captured' : 'payment.captureFound', fromSystem: inv, toSystem: store,
      setting: settingOf(ctx), result: 'ok', detail: { ...why, storePayment: captured.paymentId, remainingAuthorisedMinor: captured.remainingAuthorisedMinor, inventoryPayment: rec.id } });
  }),
};

/** An operator processed a payment for a web sale in the inventory system: capture it through the store (rules.settleFrom: inventory). */
export const paymentFromInventory: JobHandler = {
  kind: JOB.paymentFromInventory,
  batch: 1,
  inFlight: perOrder,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const inv = ctx.inventory.system, store = ctx.store.system;
    const { orderCode, id } = splitMoneyKey(job.key);
    if (ctx.config.rules.settleFrom !== 'inventory') return;
    if (await ctx.storage.mapping(inv, MAPPING.settled, job.key)) return;
    const settle = 'payments settled from the inventory system (rules.settleFrom: inventory)';
    const invPayments = capability(ctx.inventory, 'payments', settle);
    const decision = inventoryPaymentToCapture(id, await invPayments.getPayment(id));
    if (!decision.act) {
      await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.ignored', fromSystem: inv, result: decision.why });
      return;
    }
    const p = decision.payment;
    const key = `${orderCode}:${inv}-payment-${id}`;
    let captured;
    try {
      captured = await capability(ctx.store, 'payments', settle).capturePayment(orderCode, p.amountMinor, key);
    } catch (err) {
      if (err instanceof DovetailError && err.kind === 'permanent') {
        // the store refused (more than is authorised): the operator sees it failed, where they made it
        await invPayments.completePayment(id, 'failed', `refused by ${store}`);
        await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: 'payment.captureRefused', fromSystem: inv, toSystem: store, setting: settingOf(ctx),
          result: 'failed', detail: { inventoryPayment: id, amountMinor: p.amountMinor, error: err.message } });
      }
      throw err;
    }
    failpoint('capture.captured');
    await invPayments.completePayment(id, 'succeeded', `captured ${store} payment ${captured.paymentId}`);
    await ctx.storage.putMapping(inv, MAPPING.settled, job.key, captured.paymentId);
    await ctx.storage.audit({ recordKind: 'payment', recordKey: orderCode, action: captured.created ? 'payment.captured' : 'payment.captureFound', fromSystem: inv, toSystem: store,
      setting: settingOf(ctx), result: 'ok', detail: { inventoryPayment: id, amountMinor: captured.amountMinor, storePayment: captured.paymentId, remainingAuthorisedMinor: captured.remainingAuthorisedMinor } });
  }),
};

/** Every money handler, in the order the engine runs them (after orders and shipments). */
export const MONEY_HANDLERS: JobHandler[] = [paymentFromStore, captureShipment, paymentFromInventory, refundFromStore, refundFromInventory];
