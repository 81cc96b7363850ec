// Refunds between a real Tryton and a real Vendure (rules.refundsIn, rules.creditMemosIn): made
// once through the store's payment API, recorded on the other side, never more than was captured.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalString, type TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { decimalToMinor } from '../../src/model/money.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin, until } from './helpers/dovetail.js';

const address = { fullName: 'Ada Shopper', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
const buyer = (email: string) => ({ email, firstName: 'Ada', lastName: 'Shopper', address });

interface Refund { id: string; state: string; total: number; reason: string | null }
async function storeRefunds(admin: GqlClient, code: string): Promise<{ payments: { id: string; state: string; amount: number; refunds: Refund[] }[]; refunds: Refund[] }> {
  const r = await admin<{ orders: { items: { payments: { id: string; state: string; amount: number; refunds: Refund[] }[] }[] } }>(
    `query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { payments { id state amount refunds { id state total reason } } } } }`, { c: code });
  const payments = r.orders.items[0].payments;
  return { payments, refunds: payments.flatMap((p) => p.refunds) };
}

/** What a store operator does: refund an amount of the order's payment in Vendure, and settle it. */
async function refundInStore(admin: GqlClient, code: string, amount: number, reason: string) {
  const { payments } = await storeRefunds(admin, code);
  const r = await admin<{ refundOrder: { __typename: string; id: string } }>(`mutation($i: RefundOrderInput!) { refundOrder(input: $i) { __typename ... on Refund { id } ... on ErrorResult { message } } }`,
    { i: { paymentId: payments[0].id, amount, shipping: 0, adjustment: 0, reason } });
  assert.equal(r.refundOrder.__typename, 'Refund');
  await admin(`mutation($i: SettleRefundInput!) { settleRefund(input: $i) { __typename } }`, { i: { id: r.refundOrder.id, transactionId: `manual-${r.refundOrder.id}` } });
  return r.refundOrder.id;
}

async function trytonMoney(t: TrytonClient, code: string) {
  const [sale] = await salesFor(t, code);
  const payments = (await t.searchRead<{ kind: string; state: string; amount: unknown }>('account.payment', [['origin', '=', `sale.sale,${sale.id}`]], ['kind', 'state', 'amount']))
    .map((p) => ({ kind: p.kind, state: p.state, minor: decimalToMinor(decimalString(p.amount)) }));
  const creditNotes = (await t.searchRead<{ state: string; total_amount: unknown; description: string | null }>('account.invoice',
    [['type', '=', 'out'], ['reference', '=', code]], ['state', 'total_amount', 'description'])).map((i) => ({ state: i.state, minor: decimalToMinor(decimalString(i.total_amount)) }))
    .filter((i) => i.minor < 0);
  return { sale, payments, creditNotes };
}

/** Ticks until the order's sale is processing in Tryton (an attempt that met a busy server is retried after its backoff). */
async function imported(engine: Engine, t: TrytonClient, code: string) {
  await until(`order ${code} imported and processing`, async () => { await engine.tick(); return (await salesFor(t, code))[0]?.state === 'processing'; }, 60_000);
}

async function setup(rules: Record<string, unknown>) {
  const tdb = await freshTrytonDatabase();
  const v = await startVendure();
  const t = await trytonAdmin(tdb);
  const admin = await adminGql(v.url);
  const settings = settingsFor(tdb, v, { rules: { ...rules, liveInventory: false } });
  const engine = await engineFor(settings.config);
  await receiveStock(t, await createTrytonProduct(t, 'LAMP-1', 'Lamp', '40.00'), 20);
  // the store gets its own count (liveInventory: false), once Dovetail has made the product there
  await until('LAMP-1 in Vendure', async () => { await engine.tick(); return (await admin<{ productVariants: { items: { id: string }[] } }>(
    `{ productVariants(options: { filter: { sku: { eq: "LAMP-1" } } }) { items { id } } }`)).productVariants.items[0]?.id; }, 60_000)
    .then((id) => admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`, { i: [{ id, stockOnHand: 50 }] }));
  return { tdb, v, t, admin, settings, engine };
}

describe('refundsIn: store — a refund made in Vendure is recorded in Tryton', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  before(async () => { s = await setup({ refundsIn: 'store', creditMemosIn: 'store' }); });
  after(async () => { await s?.engine.ctx.storage.close(); await s?.v.stop(); });

  test('creditMemosIn: store — a credit note and a refund payment, each once, for the refunded amount', async () => {
    const order = await shopCheckout(s.v.url, { ...buyer('back@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'LAMP-1', quantity: 2 }] });
    await imported(s.engine, s.t, order.code);
    await refundInStore(s.admin, order.code, 4400, 'one lamp broken');
    await s.engine.tick();
    let m = await trytonMoney(s.t, order.code);
    assert.deepEqual(m.creditNotes, [{ state: 'posted', minor: -4400 }], 'one posted credit note for 44.00');
    assert.deepEqual(m.payments.filter((p) => p.kind === 'payable'), [{ kind: 'payable', state: 'succeeded', minor: 4400 }], 'one refund payment');
    assert.deepEqual(m.payments.filter((p) => p.kind === 'receivable').map((p) => p.minor), [order.totalWithTax], 'the capture is recorded too');
    // a second pass over everything, as after a lost cursor
    await s.engine.ctx.storage.db.deleteFrom('cursors').execute();
    await s.engine.ctx.storage.db.deleteFrom('changes').execute();
    await s.engine.ctx.storage.db.deleteFrom('mappings').where('kind', '=', 'refund').execute();
    await s.engine.tick();
    m = await trytonMoney(s.t, order.code);
    assert.equal(m.creditNotes.length, 1, 'still one credit note');
    assert.equal(m.payments.filter((p) => p.kind === 'payable').length, 1, 'still one refund payment');
    assert.equal((await storeRefunds(s.admin, order.code)).refunds.length, 1, 'Dovetail refunded nothing itself');
  });

  test('creditMemosIn: inventory — only the refund payment is recorded; the credit note is the operator\'s to make in Tryton', async () => {
    const memosInTryton = await engineFor({ ...s.settings.config, rules: { ...s.settings.config.rules, creditMemosIn: 'inventory' } });
    try {
      const order = await shopCheckout(s.v.url, { ...buyer('memo@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'LAMP-1', quantity: 1 }] });
      await imported(memosInTryton, s.t, order.code);
      await refundInStore(s.admin, order.code, 1000, 'goodwill');
      await memosInTryton.tick();
      const m = await trytonMoney(s.t, order.code);
      assert.deepEqual(m.creditNotes, [], 'no credit note made by Dovetail');
      assert.deepEqual(m.payments.filter((p) => p.kind === 'payable'), [{ kind: 'payable', state: 'succeeded', minor: 1000 }]);
      const trail = await memosInTryton.ctx.storage.auditTrail(order.code);
      assert.ok(trail.some((a) => a.action === 'refund.recorded' && /creditMemosIn=inventory/.test(a.result)), 'the trail says why there is no credit note');
    } finally {
      await memosInTryton.ctx.storage.close();
    }
  });

  test('Vendure itself refuses a refund above what was captured, and nothing is recorded', async () => {
    const order = await shopCheckout(s.v.url, { ...buyer('much@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'LAMP-1', quantity: 1 }] });
    await imported(s.engine, s.t, order.code);
    const { payments } = await storeRefunds(s.admin, order.code);
    const r = await s.admin<{ refundOrder: { __typename: string } }>(`mutation($i: RefundOrderInput!) { refundOrder(input: $i) { __typename } }`,
      { i: { paymentId: payments[0].id, amount: order.totalWithTax + 1, shipping: 0, adjustment: 0, reason: 'too much' } });
    assert.notEqual(r.refundOrder.__typename, 'Refund');
    await s.engine.tick();
    assert.equal((await trytonMoney(s.t, order.code)).payments.filter((p) => p.kind === 'payable').length, 0);
  });
});

describe('refundsIn: inventory — a credit note posted in Tryton is refunded through Vendure once', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  before(async () => { s = await setup({ refundsIn: 'inventory', creditMemosIn: 'inventory' }); });
  after(async () => { await s?.engine.ctx.storage.close(); await s?.v.stop(); });

  /** What an accountant does in Tryton: post the sale's invoice, credit it (wizard), post the credit note. */
  async function creditTheInvoice(orderCode: string): Promise<number> {
    const [sale] = await s.t.searchRead<{ invoices: number[] }>('sale.sale', [['reference', '=', orderCode]], ['invoices']);
    const [inv] = await s.t.read<{ state: string }>('account.invoice', sale.invoices, ['state']);
    if (inv.state === 'draft') await s.t.button('account.invoice', 'post', [sale.invoices[0]]);
    const before = await s.t.search('account.invoice', [['type', '=', 'out']]);
    await s.t.wizard('account.invoice.credit', [['start', {}], ['credit', (prev) => ({ start: { ...(prev as { view: { defaults: object } }).view.defaults, with_refund: false, invoice_date: null } })]],
      { active_model: 'account.invoice', active_ids: [sale.invoices[0]], active_id: sale.invoices[0] });
    const [note] = (await s.t.search('account.invoice', [['type', '=', 'out']])).filter((id) => !before.includes(id));
    await s.t.button('account.invoice', 'post', [note]);
    return note;
  }

  test('the credit note is refunded once in Vendure (settled) and the refund payment is recorded in Tryton', async () => {
    const order = await shopCheckout(s.v.url, { ...buyer('credit@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'LAMP-1', quantity: 1 }] });
    await imported(s.engine, s.t, order.code);
    const note = await creditTheInvoice(order.code);
    await s.engine.tick();
    let r = await storeRefunds(s.admin, order.code);
    assert.deepEqual(r.refunds.map((x) => [x.state, x.total]), [['Settled', order.totalWithTax]], 'refunded once, the credit note\'s amount, settled');
    const payable = (await trytonMoney(s.t, order.code)).payments.filter((p) => p.kind === 'payable');
    assert.deepEqual(payable, [{ kind: 'payable', state: 'succeeded', minor: order.totalWithTax }]);
    await s.engine.ctx.storage.db.deleteFrom('cursors').execute();
    await s.engine.ctx.storage.db.deleteFrom('changes').execute();
    await s.engine.ctx.storage.db.deleteFrom('mappings').where('kind', '=', 'refund').execute();
    await s.engine.tick();
    r = await storeRefunds(s.admin, order.code);
    assert.equal(r.refunds.length, 1, `still one refund after a replay of credit note ${note}`);
    assert.equal((await trytonMoney(s.t, order.code)).payments.filter((p) => p.kind === 'payable').length, 1);
  });

  test('a credit note for more than is left captured is refused with a clear failure, and nothing is refunded', async () => {
    const order = await shopCheckout(s.v.url, { ...buyer('twice@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'LAMP-1', quantity: 1 }] });
    await imported(s.engine, s.t, order.code);
    await creditTheInvoice(order.code);
    await s.engine.tick();
    const second = await creditTheInvoice(order.code); // the whole invoice credited a second time
    await s.engine.tick();
    const r = await storeRefunds(s.admin, order.code);
    assert.equal(r.refunds.length, 1, 'only the first credit note was refunded');
    const f = (await s.engine.ctx.storage.failures()).find((j) => j.key === `${order.code}:${second}`);
    assert.ok(f, 'the second credit note is on the failure list');
    assert.equal(f.failureKind, 'permanent');
    assert.match(f.lastError ?? '', /refunded may never exceed captured/);
  });
});
