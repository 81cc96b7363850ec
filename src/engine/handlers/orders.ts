// A placed web order becomes exactly one confirmed sale. Exactly once rests on three things:
// the mapping row (order code -> sale), the connector's lookup by order code before it creates
// anything, and the per-record job queue (one attempt at a time per order).
import { permanent } from '../../errors.js';
import { normaliseEmail, type Customer } from '../../model/customer.js';
import type { Order } from '../../model/order.js';
import type { Storage } from '../../store/storage.js';
import { assignSalesperson, salespersonOrderOf } from '../../rules/salesperson.js';
import { eachJob, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { linkSale } from './order-changes.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import { capability, hasCapability } from '../../connectors/types.js';
import { carryCustomerEdit, customerEditsLacking, noteMadeFromStore } from './customer-details.js';

export const importOrder: JobHandler = {
  kind: JOB.order,
  // worked one after another (Tryton on SQLite refuses overlapping writes); claimed a few at a
  // time so the claim and its completion are not two commits per order, and few enough that
  // the other flows wait seconds at most behind a burst of orders
  batch: 5,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const code = job.key;
    const inv = ctx.inventory.system;
    if (await ctx.storage.mapping(inv, MAPPING.sale, code)) {
      // imported before: a change to a placed order (cancelled, returned, edited) is another flow
      await ctx.storage.enqueue({ kind: JOB.orderChanges, key: code, reason: `order ${code} changed in ${ctx.store.system}` });
      return;
    }
    const order = await ctx.store.getOrder(code);
    if (!order) throw permanent(`order ${code} was not found in ${ctx.store.system} (deleted?)`, { order: code });
    if (order.placedOffline) {
      // Dovetail made it for a sale of the inventory system; its job maps the code (a store that
      // gives the placed order a code of its own shows it here first after a crash in between)
      await ctx.storage.audit({ recordKind: 'order', recordKey: code, action: 'order.ignored', fromSystem: ctx.store.system,
        result: 'not imported: Dovetail placed it for a sale entered in the inventory system' });
      return;
    }
    // A crash after the sale was written, then the whole order cancelled in the store before the
    // retry: the sale is there, and linking it is what lets the cancellation reach it.
    if (order.status !== 'placed' && !(order.status === 'cancelled' && (await saleExists(ctx, code)))) {
      await ctx.storage.audit({ recordKind: 'order', recordKey: code, action: 'order.ignored', fromSystem: ctx.store.system, result: `not imported: the order is ${order.state} (${order.status})` });
      return;
    }
    const skus = [...new Set(order.lines.map((l) => l.sku))];
    const customerId = await ensureCustomer(ctx, order.customer, `order ${code}`);
    const assignment = assignSalesperson(ctx.config.rules.salespeople, salespersonOrderOf(order));
    const sale = await ctx.inventory.importOrder(order, { customerId, salesperson: assignment.salesperson ?? undefined });
    failpoint('order.saleWritten');
    // the sale's mapping with the baseline of both sides (the baseline later cancellations,
    // returns and edits are judged from), its audit row and its follow-ups, in one transaction
    await linkSale(ctx, order, sale, async (tx, changedSince) => {
      await tx.audit({
        recordKind: 'order', recordKey: code, action: sale.created ? 'order.imported' : 'order.linked', fromSystem: ctx.store.system, toSystem: inv,
        setting: 'web orders start in the store', result: 'ok',
        detail: { sale: sale.id, storeTotal: order.totalMinor, inventoryTotal: sale.totalMinor, lines: order.lines.length, salesperson: assignment.salesperson, salespersonWhy: assignment.why },
      });
      if (assignment.salesperson) {
        await tx.audit({ recordKind: 'order', recordKey: code, action: 'order.salesperson', toSystem: inv, setting: 'rules.salespeople', result: 'ok', detail: assignment });
      }
      if (changedSince) {
        // the store changed the order between the sale's writing and this retry: totals differ by that change, which its own flow carries
        await tx.enqueue({ kind: JOB.orderChanges, key: code, reason: `order ${code} changed in ${ctx.store.system} before its sale was linked` });
      } else {
        await checkTotals(ctx, tx, order, sale.totalMinor);
      }
      // The sale now holds stock in the inventory system: refresh what the store may sell.
      for (const sku of skus) await tx.enqueue({ kind: JOB.stock, key: sku, reason: `order ${code} imported`, delayMs: ctx.config.inventory.debounceMs });
    });
  }),
};

const saleExists = async (ctx: EngineContext, code: string) =>
  hasCapability(ctx.inventory, 'orderChanges') && (await capability(ctx.inventory, 'orderChanges', 'changes to placed orders').getSaleLines([code])).has(code);

async function checkTotals(ctx: EngineContext, storage: Storage, order: Order, inventoryTotal: number) {
  if (inventoryTotal === order.totalMinor) return;
  await storage.flagConflict({ recordKind: 'order', recordKey: order.code, fieldGroup: 'total', masterSystem: ctx.store.system,
    masterValue: String(order.totalMinor), otherValue: String(inventoryTotal) });
  await storage.audit({ recordKind: 'order', recordKey: order.code, action: 'order.totalMismatch', fromSystem: ctx.store.system, toSystem: ctx.inventory.system,
    result: 'flagged', detail: { storeTotal: order.totalMinor, inventoryTotal } });
}

/** The inventory system's id for this customer: the mapping if known, else found by email or created. */
export async function ensureCustomer(ctx: EngineContext, customer: Customer, why: string): Promise<string> {
  const email = normaliseEmail(customer.email);
  const known = await ctx.storage.mapping(ctx.inventory.system, MAPPING.party, email);
  if (known) return known;
  const party = await ctx.inventory.upsertCustomer({ ...customer, email });
  await ctx.storage.transaction(async (tx) => {
    await tx.putMapping(ctx.inventory.system, MAPPING.party, email, party.id);
    // a party found by email may differ from the store's customer: only one made from it agrees
    if (party.created) await noteMadeFromStore(ctx, tx, party.id, { ...customer, email });
    await tx.audit({ recordKind: 'customer', recordKey: email, action: party.created ? 'customer.created' : 'customer.linked',
      fromSystem: ctx.store.system, toSystem: ctx.inventory.system, setting: `master.customers=${ctx.config.master.customers}`, result: 'ok', detail: { party: party.id, for: why } });
  });
  return party.id;
}

export const customerToInventory: JobHandler = {
  kind: JOB.customer,
  batch: 10,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    // the store's id for the email, looked up once for both steps below
    const storeId = customerEditsLacking(ctx) ? undefined : await capability(ctx.store, 'customerEdits', 'later edits of customer details (master.customers)').findCustomerId(job.key);
    // a store customer already linked to a party by its store id: after an email change, its new email must not make a second party
    const linked = !!storeId && (await ctx.storage.mapping(ctx.inventory.system, MAPPING.partyOfCustomer, storeId)) !== null;
    let storeCustomer: Customer | undefined;
    if (ctx.config.master.customers === 'store' && !linked) {
      storeCustomer = (await ctx.store.getCustomer(job.key)) ?? undefined;
      if (!storeCustomer) return;
      await ensureCustomer(ctx, storeCustomer, 'customer registered in the store');
    }
    // the account's later edits, whichever system is the master of customer details
    await carryCustomerEdit(ctx, job.key, 'store', { storeId, storeCustomer });
  }),
};
