// Shipments made in the inventory system reach the store order as fulfilments, and exactly one
// system tells the customer (rules.partialShipmentsToStore, rules.shipmentEmailsFrom). A job is
// keyed by the store order code, so all shipments of one order are handled one at a time, in order.
//
// Exactly once, per fulfilment: the mapping row (shipment ref -> fulfilment), the connector's
// lookup of the ref on the order's fulfilments before it creates one (a crash after the store made
// it but before the mapping was written is found there), and one job per order at a time.
import { DovetailError, transient } from '../../errors.js';
import type { Order } from '../../model/order.js';
import { SALE_KEY, type StoreShipment } from '../../model/shipment.js';
import { sendEmail, shipmentEmail } from '../../notify/shipment-email.js';
import { capability } from '../../connectors/types.js';
import { partialShipmentsToStore as plannedReports, shipmentEmailsFrom as whoTells } from '../../rules/shipment-reports.js';
import { eachJob, perOrder, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import { enqueueCaptureForShipment } from './payments.js';

export const shipmentsToStore: JobHandler = {
  kind: JOB.shipment,
  batch: 1,
  inFlight: perOrder,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const inv = ctx.inventory.system;
    const store = ctx.store.system;
    const { partialShipmentsToStore, shipmentEmailsFrom } = ctx.config.rules;
    const shipments = capability(ctx.inventory, 'shipments', 'shipments shown on store orders (rules.partialShipmentsToStore)');
    const storeFulfilment = capability(ctx.store, 'fulfilment', 'shipments shown on store orders (rules.partialShipmentsToStore)');

    // A sale keyed by its id: a phone sale Dovetail mirrored into the store (rules.offlineOrdersToStore)
    // is fulfilled there too, or the store would hold its stock forever; any other sale is not ours.
    const saleId = job.key.startsWith(SALE_KEY) ? job.key.slice(SALE_KEY.length) : undefined;
    const code = saleId ? (await ctx.storage.keysForExternalIds(inv, MAPPING.offlineOrder, [saleId])).get(saleId) : job.key;
    if (!code) return;
    if (!saleId && await ctx.storage.mapping(inv, MAPPING.offlineOrder, code)) return; // reported under its sale id

    if (!(await ctx.storage.mapping(inv, MAPPING.sale, code))) {
      // A sale Dovetail did not import: an offline sale whose reference only looks like an order
      // code is not ours to report; a web order whose import is not recorded yet waits for it.
      if (await ctx.store.getOrder(code)) throw transient(`order ${code} shipped in ${inv}, but its import is not recorded yet; trying again`);
      await ctx.storage.audit({ recordKind: 'shipment', recordKey: code, action: 'shipment.ignored', fromSystem: inv, result: `not reported: ${store} has no order ${code}` });
      return;
    }
    const found = await shipments.getShipments(code, { saleId });
    if (!found || !found.shipments.length) return;
    // rules.capture: atShipment — each done shipment captures its own amount (payments.ts; a no-op
    // otherwise or once captured). A phone sale was paid offline: nothing to capture in the store.
    if (!saleId) for (const s of found.shipments) await enqueueCaptureForShipment(ctx, code, s.id, `shipment ${s.number} of order ${code} done in ${inv}`);
    const reports = plannedReports(partialShipmentsToStore, inv, found);
    const tells = whoTells(shipmentEmailsFrom);
    const setting = `rules.partialShipmentsToStore=${partialShipmentsToStore}, rules.shipmentEmailsFrom=${shipmentEmailsFrom}`;
    if (!reports.length) {
      await ctx.storage.audit({ recordKind: 'shipment', recordKey: code, action: 'shipment.held', fromSystem: inv, toSystem: store, setting,
        result: 'not reported yet: only the complete shipment is reported, and part of the order has still to ship',
        detail: { shipped: found.shipments.map((s) => s.number) } });
      return;
    }

    let order: Order | null | undefined;
    for (const { shipment, whole } of reports) {
      let fulfilment = await ctx.storage.mapping(store, MAPPING.fulfilment, shipment.ref);
      if (!fulfilment) {
        const made = await storeFulfilment.recordShipment(code, shipment, { notifyCustomer: tells.storeNotifies });
        failpoint('shipment.fulfilmentWritten');
        await ctx.storage.putMapping(store, MAPPING.fulfilment, shipment.ref, made.id);
        fulfilment = made.id;
        await ctx.storage.audit({
          recordKind: 'shipment', recordKey: code, action: made.created ? 'shipment.reported' : 'shipment.linked', fromSystem: inv, toSystem: store, setting, result: 'ok',
          detail: { fulfilment: made.id, ref: shipment.ref, lines: shipment.lines, shippedOn: shipment.shippedOn, carrier: shipment.carrier, trackingCode: shipment.trackingCode,
            customerToldBy: shipmentEmailsFrom },
        });
        // The fulfilment made the store count these goods as sold: publish the inventory's count again.
        for (const l of shipment.lines) await ctx.storage.enqueue({ kind: JOB.stock, key: l.sku, reason: `shipment of order ${code} reported`, delayMs: ctx.config.inventory.debounceMs });
      }
      if (tells.dovetailEmails) {
        order ??= await ctx.store.getOrder(code);
        await emailOnce(ctx, code, order, shipment, whole, fulfilment);
      }
    }
  }),
};

/**
 * Dovetail's own shipment email, once per shipment. The 'shipment-email' mapping row is written
 * after the SMTP server took the message, not before: a crash between the two sends it again on
 * the retry (the same Message-ID, so it is recognisable as the same message), where recording
 * first would lose the email for good on such a crash. A customer told twice, rarely, with a
 * duplicate their mail client can fold, is the lesser harm than a customer never told.
 */
async function emailOnce(ctx: EngineContext, code: string, order: Order | null, shipment: StoreShipment, whole: boolean, fulfilment: string) {
  if (await ctx.storage.mapping('dovetail', MAPPING.shipmentEmail, shipment.ref)) return;
  if (!order?.customer.email) {
    await ctx.storage.audit({ recordKind: 'shipment', recordKey: code, action: 'shipment.emailSkipped', setting: 'rules.shipmentEmailsFrom=dovetail',
      result: `no email sent: ${ctx.store.system} order ${code} has no customer email` });
    return;
  }
  const itemNames = new Map(order.lines.map((l) => [l.sku, l.name]));
  const mail = shipmentEmail({ orderCode: code, to: order.customer.email, customerName: [order.customer.firstName, order.customer.lastName].filter(Boolean).join(' '),
    shipment, itemNames, whole });
  await sendEmail(ctx.config.email, mail);
  failpoint('shipment.emailSent');
  await ctx.storage.putMapping('dovetail', MAPPING.shipmentEmail, shipment.ref, mail.messageId);
  await ctx.storage.audit({ recordKind: 'shipment', recordKey: code, action: 'shipment.emailed', fromSystem: 'dovetail', setting: 'rules.shipmentEmailsFrom=dovetail', result: 'ok',
    detail: { to: mail.to, messageId: mail.messageId, ref: shipment.ref, fulfilment } });
}
