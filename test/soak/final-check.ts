// The soak's verdict: reads both systems directly (never through Dovetail) and lists every order
// lost or doubled, every capture or refund moved twice, and every drift between them; then
// asks `dovetail reconcile` too and requires that it finds no drift.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { decimalString, type TrytonClient } from '../../src/connectors/tryton/client.js';
import { decimalToMinor } from '../../src/model/money.js';
import { DOVETAIL_BIN } from '../integration/helpers/bin.js';
import type { GqlClient } from '../integration/helpers/systems.js';

/** What the driver did to one web order, which the two systems must now agree on. */
export interface PlacedOrder {
  code: string;
  email: string;
  /** units per SKU after the driver's own cancellations */
  units: Map<string, number>;
  /** refunds the store must show: the driver's own, plus one Dovetail makes per cancellation */
  refundsExpected: number;
}

export interface Findings {
  lost: string[];
  doubled: string[];
  doubleMoney: string[];
  drift: string[];
}

export const clean = (f: Findings) => !f.lost.length && !f.doubled.length && !f.doubleMoney.length && !f.drift.length;

interface VendureOrder {
  code: string; state: string; totalWithTax: number;
  lines: { quantity: number; productVariant: { sku: string } }[];
  fulfillments: { state: string }[] | null;
  payments: { state: string; amount: number; refunds: { state: string; total: number }[] }[] | null;
}

async function vendureOrders(admin: GqlClient, codes: string[]): Promise<Map<string, VendureOrder>> {
  const out = new Map<string, VendureOrder>();
  for (let i = 0; i < codes.length; i += 50) {
    const r = await admin<{ orders: { items: VendureOrder[] } }>(`query($c: [String!]) { orders(options: { filter: { code: { in: $c } }, take: 50 }) { items {
      code state totalWithTax lines { quantity productVariant { sku } } fulfillments { state } payments { state amount refunds { state total } } } } }`,
    { c: codes.slice(i, i + 50) });
    for (const o of r.orders.items) out.set(o.code, o);
  }
  return out;
}

async function vendureStock(admin: GqlClient, skus: string[]): Promise<Map<string, number>> {
  const r = await admin<{ productVariants: { items: { sku: string; stockOnHand: number }[] } }>(
    `query($s: [String!]) { productVariants(options: { filter: { sku: { in: $s } }, take: 100 }) { items { sku stockOnHand } } }`, { s: skus });
  return new Map(r.productVariants.items.map((v) => [v.sku, v.stockOnHand]));
}

const minor = (d: unknown) => decimalToMinor(decimalString(d));

/** Every finding between the two systems, for the orders the driver placed and the SKUs it sold. */
export async function compareSystems(t: TrytonClient, admin: GqlClient, orders: PlacedOrder[], skus: string[]): Promise<Findings> {
  const f: Findings = { lost: [], doubled: [], doubleMoney: [], drift: [] };
  const codes = orders.map((o) => o.code);
  const products = await t.searchRead<{ id: number; code: string }>('product.product', [['code', 'in', skus]], ['code']);
  const skuOf = new Map(products.map((p) => [p.id, p.code]));
  const sales = await t.searchRead<{ id: number; reference: string; total_amount: unknown; lines: number[]; shipments: number[] }>('sale.sale',
    [['reference', 'in', codes]], ['reference', 'total_amount', 'lines', 'shipments']);
  const lines = await t.read<{ sale: number; product: number | null; quantity: number }>('sale.line', sales.flatMap((s) => s.lines), ['sale', 'product', 'quantity']);
  // searched by id, not read: a read of a shipment an amendment replaced meanwhile is refused whole
  const shipments = await t.searchRead<{ id: number; state: string }>('stock.shipment.out', [['id', 'in', sales.flatMap((s) => s.shipments)]], ['state']);
  const shipped = new Set(shipments.filter((s) => s.state === 'done').map((s) => s.id));
  const payments = await t.searchRead<{ origin: string | null; kind: string; state: string; amount: unknown }>('account.payment',
    [['origin', 'like', 'sale.sale,%']], ['origin', 'kind', 'state', 'amount']);
  const store = await vendureOrders(admin, codes);

  for (const o of orders) {
    const mine = sales.filter((s) => s.reference === o.code);
    if (mine.length === 0) { f.lost.push(`${o.code}: no sale in Tryton`); continue; }
    if (mine.length > 1) { f.doubled.push(`${o.code}: ${mine.length} sales in Tryton (${mine.map((s) => s.id).join(', ')})`); continue; }
    const sale = mine[0]!;
    const v = store.get(o.code);
    if (!v) { f.drift.push(`${o.code}: the store no longer knows the order`); continue; }

    const tryUnits = new Map<string, number>();
    for (const l of lines.filter((l) => l.sale === sale.id)) {
      const sku = l.product === null ? undefined : skuOf.get(l.product);
      if (sku) tryUnits.set(sku, (tryUnits.get(sku) ?? 0) + Number(l.quantity));
    }
    const storeUnits = new Map<string, number>();
    for (const l of v.lines) storeUnits.set(l.productVariant.sku, (storeUnits.get(l.productVariant.sku) ?? 0) + l.quantity);
    for (const sku of new Set([...o.units.keys(), ...tryUnits.keys(), ...storeUnits.keys()])) {
      const want = o.units.get(sku) ?? 0, inTryton = tryUnits.get(sku) ?? 0, inStore = storeUnits.get(sku) ?? 0;
      if (inTryton !== want || inStore !== want) f.drift.push(`${o.code}: ${sku} ordered ${want}, Tryton ${inTryton}, store ${inStore}`);
    }
    if (minor(sale.total_amount) !== v.totalWithTax) f.drift.push(`${o.code}: total ${v.totalWithTax} in the store, ${minor(sale.total_amount)} in Tryton`);

    const fulfilments = (v.fulfillments ?? []).filter((x) => x.state !== 'Cancelled').length;
    const done = sale.shipments.filter((id) => shipped.has(id)).length;
    if (fulfilments > done) f.doubled.push(`${o.code}: ${fulfilments} fulfilments in the store for ${done} shipments done in Tryton`);
    else if (fulfilments < done) f.drift.push(`${o.code}: ${done} shipments done in Tryton, ${fulfilments} fulfilments in the store`);

    const settled = (v.payments ?? []).filter((p) => p.state === 'Settled');
    const captured = settled.reduce((n, p) => n + p.amount, 0);
    const refunds = (v.payments ?? []).flatMap((p) => p.refunds).filter((r) => r.state !== 'Failed');
    const refunded = refunds.reduce((n, r) => n + r.total, 0);
    if (refunded > captured) f.doubleMoney.push(`${o.code}: refunded ${refunded} of ${captured} captured`);
    if (refunds.length > o.refundsExpected) f.doubleMoney.push(`${o.code}: ${refunds.length} refunds in the store, ${o.refundsExpected} made`);
    else if (refunds.length < o.refundsExpected) f.drift.push(`${o.code}: ${refunds.length} refunds in the store, ${o.refundsExpected} expected`);
    const ours = payments.filter((p) => p.origin === `sale.sale,${sale.id}` && p.state === 'succeeded');
    const received = ours.filter((p) => p.kind === 'receivable'), paidOut = ours.filter((p) => p.kind === 'payable');
    if (received.length > settled.length) f.doubleMoney.push(`${o.code}: ${received.length} captures recorded in Tryton for ${settled.length} settled payments`);
    else if (received.reduce((n, p) => n + minor(p.amount), 0) !== captured) f.drift.push(`${o.code}: captured ${captured} in the store, ${received.reduce((n, p) => n + minor(p.amount), 0)} recorded in Tryton`);
    if (paidOut.length > refunds.length) f.doubleMoney.push(`${o.code}: ${paidOut.length} refunds recorded in Tryton for ${refunds.length} in the store`);
    else if (paidOut.reduce((n, p) => n + minor(p.amount), 0) !== refunded) f.drift.push(`${o.code}: refunded ${refunded} in the store, ${paidOut.reduce((n, p) => n + minor(p.amount), 0)} recorded in Tryton`);
  }

  const emails = [...new Set(orders.map((o) => o.email))];
  const mechanisms = await t.searchRead<{ value: string; party: number }>('party.contact_mechanism', [['type', '=', 'email'], ['value', 'in', emails]], ['value', 'party']);
  for (const email of emails) {
    const parties = new Set(mechanisms.filter((m) => m.value === email).map((m) => m.party));
    if (parties.size > 1) f.doubled.push(`customer ${email}: ${parties.size} parties in Tryton`);
  }

  const [warehouse] = await t.search('stock.location', [['type', '=', 'warehouse']], { limit: 1 });
  const onHand = await t.read<{ id: number; quantity: number }>('product.product', products.map((p) => p.id), ['quantity'], { locations: [warehouse] });
  const shown = await vendureStock(admin, skus);
  for (const p of onHand) {
    const sku = skuOf.get(p.id)!;
    // no safety stock and no phone sales in the soak: the store shows exactly what Tryton has on hand
    if (shown.get(sku) !== p.quantity) f.drift.push(`stock ${sku}: Tryton has ${p.quantity} on hand, the store shows ${shown.get(sku) ?? 'nothing'}`);
  }
  return f;
}

// the JSON `dovetail reconcile --json` prints: its ReconcileReport plus the repairs it worked and its time
const ReconcileAnswer = z.object({
  runId: z.number().int(),
  kinds: z.array(z.string()),
  compared: z.record(z.string(), z.number()),
  skipped: z.record(z.string(), z.string()),
  calls: z.record(z.string(), z.number()),
  differences: z.array(z.object({ kind: z.string(), recordKey: z.string(), aspect: z.string(), master: z.string(),
    masterValue: z.unknown(), otherValue: z.unknown(), action: z.string() })),
  repairs: z.object({ done: z.number(), retrying: z.number(), failed: z.number() }).nullable(),
  seconds: z.number(),
});

/**
 * `dovetail reconcile --json`, beside the direct reads (never instead of them): each difference it
 * finds, described for the summary; the soak passes only when there is none.
 */
export async function reconcileDifferences(configFile: string, env: Record<string, string>): Promise<string[]> {
  const run = await dovetail(['--config', configFile, 'reconcile', '--json'], env);
  let answer: z.infer<typeof ReconcileAnswer>;
  try {
    answer = ReconcileAnswer.parse(JSON.parse(run.stdout));
  } catch (err) {
    throw new Error(`dovetail reconcile --json (exit ${run.code}) did not answer its report (${(err as Error).message}):\n${run.stdout.slice(0, 500)}${run.stderr.slice(0, 500)}`);
  }
  return answer.differences.map((d) => `reconcile: ${d.kind} ${d.recordKey} ${d.aspect}: ${d.master} (master) has ${JSON.stringify(d.masterValue)}, the other ${JSON.stringify(d.otherValue)} (${d.action})`);
}

function dovetail(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DOVETAIL_BIN, ...args], { env: { ...process.env, ...env, DOVETAIL_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
