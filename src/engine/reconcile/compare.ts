// What `dovetail reconcile` calls drift, decided from what both systems hold now: pure, so every
// case is unit-tested, and the same comparisons the flows make (per field group, published stock).
import { isDeepStrictEqual } from 'node:util';
import type { FieldGroup, Product } from '../../model/product.js';
import type { OrderLinesState } from '../../model/order-lines.js';
import type { OrderMoney, SaleMoney } from '../../model/payment.js';
import { detailsAsSeen, type Customer } from '../../model/customer.js';
import type { Side } from '../../rules/ownership.js';

/** The kinds reconcile compares, in the order it compares them. */
export const RECONCILE_KINDS = ['products', 'stock', 'customers', 'orders', 'money', 'phoneOrders'] as const;
export type ReconcileKind = (typeof RECONCILE_KINDS)[number];

/**
 * How a difference is mended. `job`: the flow that carries it is queued for the record (after
 * forgetting what hid the difference from it); `person`: the engine cannot decide, `what` says
 * what a person should do.
 */
export type Repair =
  | { by: 'job'; job: 'productToStore' | 'productFromStore' | 'stock' | 'customerToStore' | 'customerFromStore' | 'order' | 'orderChanges' | 'shipment' | 'offlineOrder' | 'paymentFromStore' | 'refundFromStore';
    forget?: 'snapshot' | 'sale' | 'fulfilments' | 'payments' | 'refunds'; setting: string;
    /** the jobs' keys when they are not the record's (a phone order's job is keyed by the inventory's sale id, a payment's by `<order>:<payment id>`) */
    jobKeys?: string[] }
  | { by: 'person'; what: string };

export interface Difference {
  kind: ReconcileKind;
  /** SKU, customer email (the master's), or store order code */
  recordKey: string;
  /** the field group or aspect that differs: a group name, available, sale, total, quantity:<sku>, shipped:<sku>, captured, refunded, details */
  aspect: string;
  /** the side whose value is right */
  master: Side;
  masterValue: unknown;
  otherValue: unknown;
  repair: Repair;
}

/**
 * Products of one page of SKUs, per field group the pair carries: a group both sides hold that
 * differs is drift, the group's master holds the right value. A SKU the inventory has and the
 * store lacks is created there; one only the store has is for a person (Dovetail never makes an
 * inventory product).
 */
export function compareProducts(skus: string[], inStore: Map<string, Product>, inInventory: Map<string, Product>,
  groups: FieldGroup[], ownerOf: (g: FieldGroup) => Side, settingOf: (g: FieldGroup) => string): Difference[] {
  const out: Difference[] = [];
  for (const sku of skus) {
    const store = inStore.get(sku);
    const inventory = inInventory.get(sku);
    if (!store && !inventory) continue;
    if (!store) {
      out.push({ kind: 'products', recordKey: sku, aspect: 'present', master: 'inventory', masterValue: 'present', otherValue: 'missing',
        repair: { by: 'job', job: 'productToStore', setting: 'products are created in the store from the inventory system' } });
      continue;
    }
    if (!inventory) {
      out.push({ kind: 'products', recordKey: sku, aspect: 'present', master: 'inventory', masterValue: 'missing', otherValue: 'present',
        repair: { by: 'person', what: `SKU ${sku} is in the store only: create it in the inventory system, or archive it in the store` } });
      continue;
    }
    for (const g of groups) {
      const s = store.fields[g];
      const i = inventory.fields[g];
      // a group one side does not hold for this product (no attribute set, say) is not compared
      if (s === undefined || i === undefined || isDeepStrictEqual(s, i)) continue;
      const master = ownerOf(g);
      out.push({ kind: 'products', recordKey: sku, aspect: g, master, masterValue: master === 'inventory' ? i : s, otherValue: master === 'inventory' ? s : i,
        repair: { by: 'job', job: master === 'inventory' ? 'productToStore' : 'productFromStore', forget: 'snapshot', setting: settingOf(g) } });
    }
  }
  return out;
}

/**
 * Stock as published: what the store shows against what the settings make of the inventory's
 * stock. SKUs the store lacks are the products comparison's to report.
 */
export function compareStock(expected: { sku: string; available: number }[], shown: Map<string, number>, setting: string): Difference[] {
  return expected.flatMap(({ sku, available }): Difference[] => {
    const now = shown.get(sku);
    if (now === undefined || now === available) return [];
    return [{ kind: 'stock', recordKey: sku, aspect: 'available', master: 'inventory', masterValue: available, otherValue: now, repair: { by: 'job', job: 'stock', setting } }];
  });
}

/**
 * One linked customer (master.customers): the master's name, email, phone and addresses against
 * what the other system shows of them. The customer's own job carries the master's details over,
 * as it does after an edit; it finds the pair by the link, so an email changed on one side is
 * still the same customer.
 */
export function compareCustomer(pair: Record<Side, Customer>, master: Side, setting: string): Difference[] {
  const { master: right, seen } = detailsAsSeen(pair[master], pair[master === 'store' ? 'inventory' : 'store']);
  if (isDeepStrictEqual(right, seen)) return [];
  return [{ kind: 'customers', recordKey: right.email, aspect: 'details', master, masterValue: right, otherValue: seen,
    repair: { by: 'job', job: master === 'inventory' ? 'customerToStore' : 'customerFromStore', setting } }];
}

/**
 * One web order: the sale present, its lines' quantities and what shipped (as the store should
 * show it, per rules.partialShipmentsToStore), and the total. `saleLost`: Dovetail had imported
 * it, so a missing sale was removed after (a restore, a deletion), not still on its way.
 */
export function compareOrder(code: string, store: OrderLinesState, sale: OrderLinesState | null,
  opts: { partialShipmentsToStore: boolean; saleLost: boolean; changesSetting: string }): Difference[] {
  if (!sale) {
    return [{ kind: 'orders', recordKey: code, aspect: 'sale', master: 'store', masterValue: `placed (${store.state})`, otherValue: 'no sale',
      repair: { by: 'job', job: 'order', forget: opts.saleLost ? 'sale' : undefined, setting: 'web orders start in the store' } }];
  }
  const out: Difference[] = [];
  const saleBySku = new Map(sale.lines.map((l) => [l.sku, l]));
  const storeBySku = new Map(store.lines.map((l) => [l.sku, l]));
  for (const sku of new Set([...storeBySku.keys(), ...saleBySku.keys()])) {
    const s = storeBySku.get(sku);
    const i = saleBySku.get(sku);
    if ((s?.quantity ?? 0) !== (i?.quantity ?? 0)) {
      out.push({ kind: 'orders', recordKey: code, aspect: `quantity:${sku}`, master: 'store', masterValue: s?.quantity ?? 0, otherValue: i?.quantity ?? 0,
        repair: { by: 'job', job: 'orderChanges', setting: opts.changesSetting } });
    }
  }
  // the store is told of shipments as the rules say: each one, or only the whole once all has left
  const allShipped = sale.lines.every((l) => l.shipped >= l.quantity + l.returned);
  for (const [sku, i] of saleBySku) {
    const due = opts.partialShipmentsToStore || allShipped ? i.shipped : 0;
    const shown = storeBySku.get(sku)?.shipped ?? 0;
    if (shown === due) continue;
    out.push({ kind: 'orders', recordKey: code, aspect: `shipped:${sku}`, master: 'inventory', masterValue: due, otherValue: shown,
      repair: shown < due
        ? { by: 'job', job: 'shipment', forget: 'fulfilments', setting: `rules.partialShipmentsToStore=${opts.partialShipmentsToStore}` }
        : { by: 'person', what: `the store shows ${shown} of ${sku} shipped on order ${code}, the inventory system ${due}: cancel the store's extra fulfilment, or ship the goods in the inventory system` } });
  }
  if (!out.length && store.totalMinor !== sale.totalMinor) {
    out.push({ kind: 'orders', recordKey: code, aspect: 'total', master: 'store', masterValue: store.totalMinor, otherValue: sale.totalMinor,
      repair: { by: 'person', what: `the lines agree but the totals do not: correct the sale's prices or shipping in the inventory system to what the store charged` } });
  }
  return out;
}

/**
 * A phone sale Dovetail placed in the store (rules.offlineOrdersToStore): its store order still
 * there. One that is gone is placed again: the sale's job looks for a store order by its ref and
 * makes one when it finds none.
 */
export function comparePhoneOrder(code: string, saleId: string, inStore: { code: string } | null, setting: string): Difference[] {
  if (inStore) return [];
  return [{ kind: 'phoneOrders', recordKey: code, aspect: 'present', master: 'inventory', masterValue: `sale ${saleId}`, otherValue: 'no store order',
    repair: { by: 'job', job: 'offlineOrder', setting, jobKeys: [saleId] } }];
}

/**
 * The money of one imported web order: what the store captured against what the inventory system
 * received, and what the store refunded against what it paid out. The store is where money moves,
 * so it is right. Only what the store did by itself is recorded again (its jobs find an existing
 * record by its key, so nothing is booked twice); a missing record of a capture or refund Dovetail
 * made, or more booked in the inventory system than the store moved, is for a person.
 */
export function compareMoney(code: string, store: OrderMoney, inventory: SaleMoney, opts: { refundsIn: 'store' | 'inventory'; setting: string }): Difference[] {
  const out: Difference[] = [];
  const captured = store.payments.filter((p) => p.state === 'captured');
  if (store.capturedMinor !== inventory.receivedMinor) {
    const byStore = captured.filter((p) => p.captureKey === null).map((p) => `${code}:${p.id}`);
    out.push({ kind: 'money', recordKey: code, aspect: 'captured', master: 'store', masterValue: store.capturedMinor, otherValue: inventory.receivedMinor,
      repair: store.capturedMinor > inventory.receivedMinor && byStore.length
        ? { by: 'job', job: 'paymentFromStore', forget: 'payments', jobKeys: byStore, setting: opts.setting }
        : { by: 'person', what: store.capturedMinor > inventory.receivedMinor
          ? `the store captured ${store.capturedMinor} on order ${code}, the inventory system has ${inventory.receivedMinor} received: record the missing capture against the sale`
          : `the inventory system has ${inventory.receivedMinor} received on order ${code}, the store captured ${store.capturedMinor}: cancel the extra payment in the inventory system, or capture it in the store` } });
  }
  // a refund of record: settled, or made by Dovetail (recorded by the job that made it, settled or not)
  const refunds = store.payments.flatMap((p) => p.refunds).filter((r) => r.state === 'settled' || (r.dovetailKey !== null && r.state !== 'failed'));
  const refunded = refunds.reduce((n, r) => n + r.totalMinor, 0);
  if (refunded !== inventory.paidOutMinor) {
    const byStore = refunds.filter((r) => r.dovetailKey === null).map((r) => `${code}:${r.id}`);
    out.push({ kind: 'money', recordKey: code, aspect: 'refunded', master: 'store', masterValue: refunded, otherValue: inventory.paidOutMinor,
      repair: refunded > inventory.paidOutMinor && byStore.length && opts.refundsIn === 'store'
        ? { by: 'job', job: 'refundFromStore', forget: 'refunds', jobKeys: byStore, setting: opts.setting }
        : { by: 'person', what: refunded > inventory.paidOutMinor
          ? `the store refunded ${refunded} on order ${code}, the inventory system has ${inventory.paidOutMinor} paid out: record the missing refund against the sale`
          : `the inventory system has ${inventory.paidOutMinor} paid out on order ${code}, the store refunded ${refunded}: cancel the extra refund payment in the inventory system, or refund it in the store` } });
  }
  return out;
}
