// Captures between a real Tryton and a real Vendure (rules.capture, rules.settleFrom): each one
// made once, recorded once on the other side, never more than was authorised — also across a crash.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { decimalString, type TrytonClient } from '../../src/connectors/tryton/client.js';
import { capability } from '../../src/connectors/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { enqueueCaptureForShipment } from '../../src/engine/handlers/payments.js';
import { decimalToMinor } from '../../src/model/money.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, shipWhatIsThere, trytonAdmin, until } from './helpers/dovetail.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

const address = { fullName: 'Ada Shopper', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
const buyer = (email: string) => ({ email, firstName: 'Ada', lastName: 'Shopper', address });

interface StorePayment { id: string; state: string; amount: number; metadata: Record<string, unknown> | null }
async function storePayments(admin: GqlClient, code: string): Promise<{ state: string; totalWithTax: number; shippingWithTax: number; lines: { sku: string; linePriceWithTax: number }[]; payments: StorePayment[] }> {
  const r = await admin<{ orders: { items: { state: string; totalWithTax: number; shippingWithTax: number; lines: { linePriceWithTax: number; productVariant: { sku: string } }[]; payments: StorePayment[] }[] } }>(
    `query($c: String!) { orders(options: { filter: { code: { eq: $c } } }) { items { state totalWithTax shippingWithTax lines { linePriceWithTax productVariant { sku } } payments { id state amount metadata } } } }`, { c: code });
  const o = r.orders.items[0];
  return { ...o, lines: o.lines.map((l) => ({ sku: l.productVariant.sku, linePriceWithTax: l.linePriceWithTax })) };
}

interface TrytonPayment { id: number; state: string; kind: string; amount: unknown; description: string | null }
async function trytonPayments(t: TrytonClient, orderCode: string): Promise<(TrytonPayment & { minor: number })[]> {
  const [sale] = await salesFor(t, orderCode);
  if (!sale) return [];
  const rows = await t.searchRead<TrytonPayment>('account.payment', [['origin', '=', `sale.sale,${sale.id}`]], ['state', 'kind', 'amount', 'description'], { order: [['id', 'ASC']] });
  return rows.map((p) => ({ ...p, minor: decimalToMinor(decimalString(p.amount)) }));
}

/** Vendure sells only what it has: these tests keep Tryton's counts to themselves (liveInventory: false). */
async function setStoreStock(admin: GqlClient, sku: string, n: number) {
  const r = await admin<{ productVariants: { items: { id: string }[] } }>(`query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { items { id } } }`, { s: sku });
  await admin(`mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }`, { i: [{ id: r.productVariants.items[0].id, stockOnHand: n }] });
}

/** Ticks until Dovetail has made the SKU in Vendure, then gives the store `n` to sell (liveInventory: false). */
async function sellableInStore(engine: Engine, admin: GqlClient, sku: string, n: number) {
  await until(`${sku} in Vendure`, async () => { await engine.tick(); return (await admin<{ productVariants: { totalItems: number } }>(
    `query($s: String!) { productVariants(options: { filter: { sku: { eq: $s } } }) { totalItems } }`, { s: sku })).productVariants.totalItems > 0; }, 60_000);
  await setStoreStock(admin, sku, n);
}


/** Ticks until the order's sale is processing in Tryton (an attempt that met a busy server is retried after its backoff). */
async function imported(engine: Engine, t: TrytonClient, code: string) {
  await until(`order ${code} imported and processing`, async () => { await engine.tick(); return (await salesFor(t, code))[0]?.state === 'processing'; }, 60_000);
}

/** Forget what was read and done, so the next pass meets every change again (a duplicate delivery of everything). */
async function forgetProgress(engine: Engine) {
  await engine.ctx.storage.db.deleteFrom('cursors').execute();
  await engine.ctx.storage.db.deleteFrom('changes').execute();
  await engine.ctx.storage.db.deleteFrom('mappings').where('kind', 'in', ['payment', 'capture', 'settled']).execute();
}

describe('capture: atOrder, settleFrom: store — the checkout capture is recorded in Tryton once', () => {
  let tdb: TrytonDatabase; let v: VendureInstance; let t: TrytonClient; let admin: GqlClient; let engine: Engine;
  before(async () => {
    tdb = await freshTrytonDatabase(); v = await startVendure(); t = await trytonAdmin(tdb); admin = await adminGql(v.url);
    engine = await engineFor(settingsFor(tdb, v, { rules: { capture: 'atOrder', settleFrom: 'store', liveInventory: false } }).config);
    await receiveStock(t, await createTrytonProduct(t, 'CUP-1', 'Cup', '12.00'), 10);
    await sellableInStore(engine, admin, 'CUP-1', 10);
  });
  after(async () => { await engine?.ctx.storage.close(); await v?.stop(); });

  test('a settled checkout becomes one succeeded payment against the sale; two more passes and a replay leave it one', async () => {
    const order = await shopCheckout(v.url, { ...buyer('pay@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'CUP-1', quantity: 2 }] });
    assert.equal(order.state, 'PaymentSettled');
    await until('the capture to be recorded in Tryton', async () => { await engine.tick(); return (await trytonPayments(t, order.code)).length > 0; }, 60_000);
    let pays = await trytonPayments(t, order.code);
    assert.equal(pays.length, 1, 'one Tryton payment');
    assert.equal(pays[0].kind, 'receivable');
    assert.equal(pays[0].state, 'succeeded');
    assert.equal(pays[0].minor, order.totalWithTax, 'the amount the store captured, to the cent');
    await engine.tick();
    await forgetProgress(engine);
    await engine.tick();
    pays = await trytonPayments(t, order.code);
    assert.equal(pays.length, 1, 'still one payment after a second pass and a duplicate delivery');
    const trail = await engine.ctx.storage.auditTrail(order.code);
    assert.ok(trail.some((a) => a.action === 'payment.linked'), 'the replay found the recorded payment instead of making one');
  });

  test('an order only authorised is not recorded as paid', async () => {
    const order = await shopCheckout(v.url, { ...buyer('auth@example.com'), lines: [{ sku: 'CUP-1', quantity: 1 }] });
    await imported(engine, t, order.code);
    assert.equal((await salesFor(t, order.code)).length, 1);
    assert.equal((await trytonPayments(t, order.code)).length, 0);
  });
});

describe('capture: atShipment, settleFrom: store — each shipment captures what it shipped', () => {
  let tdb: TrytonDatabase; let v: VendureInstance; let t: TrytonClient; let admin: GqlClient; let engine: Engine;
  let settings: ReturnType<typeof settingsFor>;
  let pen: number; let ink: number;
  before(async () => {
    tdb = await freshTrytonDatabase(); v = await startVendure(); t = await trytonAdmin(tdb); admin = await adminGql(v.url);
    settings = settingsFor(tdb, v, { rules: { capture: 'atShipment', settleFrom: 'store', liveInventory: false } });
    engine = await engineFor(settings.config);
    pen = await createTrytonProduct(t, 'PEN-1', 'Pen', '12.00');
    ink = await createTrytonProduct(t, 'INK-1', 'Ink', '8.00');
    await sellableInStore(engine, admin, 'PEN-1', 50);
    await sellableInStore(engine, admin, 'INK-1', 50);
  });
  after(async () => { await engine?.ctx.storage.close(); await v?.stop(); });

  test('two partial shipments capture exactly their own amounts, add up to the order total and never pass the authorisation', async () => {
    await receiveStock(t, pen, 3); // ink is not in stock yet: the first shipment is pens only
    const order = await shopCheckout(v.url, { ...buyer('ship@example.com'), lines: [{ sku: 'PEN-1', quantity: 3 }, { sku: 'INK-1', quantity: 1 }] });
    await imported(engine, t, order.code);
    assert.equal((await salesFor(t, order.code)).length, 1);
    const placed = await storePayments(admin, order.code);
    const authorised = placed.payments[0].amount;
    assert.equal(authorised, order.totalWithTax);
    const penGross = placed.lines.find((l) => l.sku === 'PEN-1')!.linePriceWithTax;
    const inkGross = placed.lines.find((l) => l.sku === 'INK-1')!.linePriceWithTax;

    const first = await shipWhatIsThere(t, order.code);
    await enqueueCaptureForShipment(engine.ctx, order.code, String(first), 'test: first shipment done');
    await engine.tick();
    let o = await storePayments(admin, order.code);
    const settled1 = o.payments.filter((p) => p.state === 'Settled');
    assert.equal(settled1.length, 1, 'one capture');
    assert.equal(settled1[0].amount, penGross + placed.shippingWithTax, 'the pens and the shipping charge (it goes with the first shipment)');
    assert.equal(o.payments.find((p) => p.state === 'Authorized')?.amount, inkGross, 'the rest stays authorised');
    let pays = await trytonPayments(t, order.code);
    assert.deepEqual(pays.map((p) => [p.state, p.minor]), [['succeeded', penGross + placed.shippingWithTax]], 'recorded once in Tryton');

    await receiveStock(t, ink, 1);
    const second = await shipWhatIsThere(t, order.code);
    assert.notEqual(second, first, 'the backorder is a second shipment');
    await enqueueCaptureForShipment(engine.ctx, order.code, String(second), 'test: backorder done');
    // a duplicate request for the first shipment too
    await engine.ctx.storage.enqueue({ kind: 'payment.capture', key: `${order.code}:${first}`, reason: 'test: duplicate' });
    await engine.tick();
    await engine.tick();
    o = await storePayments(admin, order.code);
    const settled = o.payments.filter((p) => p.state === 'Settled');
    assert.deepEqual(settled.map((p) => p.amount).sort((a, b) => a - b), [inkGross, penGross + placed.shippingWithTax].sort((a, b) => a - b), 'each shipment captured once, its own amount');
    const capturedTotal = settled.reduce((n, p) => n + p.amount, 0);
    assert.equal(capturedTotal, order.totalWithTax, 'the captures add up to the order total');
    assert.ok(capturedTotal <= authorised, 'never more than authorised');
    assert.equal(o.payments.filter((p) => p.state === 'Authorized' && p.amount > 0).length, 0, 'nothing left authorised');
    assert.equal(o.state, 'Delivered' === o.state ? o.state : o.state); // state depends on fulfilments; money is what matters here
    pays = await trytonPayments(t, order.code);
    assert.equal(pays.length, 2, 'two Tryton payments, one per shipment');
    assert.equal(pays.reduce((n, p) => n + p.minor, 0), order.totalWithTax, 'Tryton agrees to the cent');
    assert.ok(pays.every((p) => p.state === 'succeeded'));
  });

  test('a capture beyond what is authorised is refused with a clear failure and nothing is charged', async () => {
    const money = capability(engine.ctx.store, 'payments', 'this test').capturePayment;
    await receiveStock(t, pen, 1);
    const order = await shopCheckout(v.url, { ...buyer('over@example.com'), lines: [{ sku: 'PEN-1', quantity: 1 }] });
    await assert.rejects(money.call(engine.ctx.store, order.code, order.totalWithTax + 1, `${order.code}:too-much`), /only \d+ is still authorised.*never exceeds the authorisation/);
    const o = await storePayments(admin, order.code);
    assert.deepEqual(o.payments.map((p) => p.state), ['Authorized'], 'nothing was settled');
  });

  test('an order paid in full at checkout: its shipment has nothing to capture, nothing fails, and the checkout payment is recorded once', async () => {
    await receiveStock(t, pen, 2);
    const order = await shopCheckout(v.url, { ...buyer('paidup@example.com'), paymentMethod: 'dummy-settle', lines: [{ sku: 'PEN-1', quantity: 2 }] });
    await imported(engine, t, order.code);
    const shipment = await shipWhatIsThere(t, order.code);
    await enqueueCaptureForShipment(engine.ctx, order.code, String(shipment), 'test: shipment done');
    await until('the checkout payment recorded in Tryton', async () => { await engine.tick(); return (await trytonPayments(t, order.code)).length > 0; }, 60_000);
    await engine.tick();
    assert.deepEqual((await engine.ctx.storage.failures()).filter((f) => f.key.startsWith(order.code)), [], 'nothing on the failure list');
    const o = await storePayments(admin, order.code);
    assert.deepEqual(o.payments.map((p) => [p.state, p.amount]), [['Settled', order.totalWithTax]], 'the checkout payment alone: nothing captured again');
    const pays = await trytonPayments(t, order.code);
    assert.deepEqual(pays.map((p) => [p.state, p.minor]), [['succeeded', order.totalWithTax]], 'Tryton holds it once');
    const said = (await engine.ctx.storage.auditTrail(order.code)).find((a) => a.action === 'payment.nothingToCapture');
    assert.match(said?.result ?? '', /captured the whole order .* at checkout/);
  });

  test('end to end: the shipments flow queues each capture itself — no hand-made request — and both add up to the total', async () => {
    const flowing = await engineFor(settingsFor(tdb, v, { rules: { capture: 'atShipment', settleFrom: 'store', liveInventory: false, partialShipmentsToStore: true, shipmentEmailsFrom: 'none' } }).config);
    try {
      await receiveStock(t, pen, 2);
      const order = await shopCheckout(v.url, { ...buyer('flow@example.com'), lines: [{ sku: 'PEN-1', quantity: 2 }, { sku: 'INK-1', quantity: 1 }] });
      await imported(flowing, t, order.code);
      const placed = await storePayments(admin, order.code);
      const penGross = placed.lines.find((l) => l.sku === 'PEN-1')!.linePriceWithTax;
      await shipWhatIsThere(t, order.code);
      const settledSum = async () => (await storePayments(admin, order.code)).payments.filter((p) => p.state === 'Settled').reduce((n, p) => n + p.amount, 0);
      await until('the first shipment to be captured', async () => { await flowing.tick(); return (await settledSum()) > 0; }, 60_000);
      assert.equal(await settledSum(), penGross + placed.shippingWithTax, 'the shipped pens and the shipping charge');
      await receiveStock(t, ink, 1);
      await shipWhatIsThere(t, order.code);
      await until('the backorder to be captured', async () => { await flowing.tick(); return (await settledSum()) === order.totalWithTax; }, 60_000);
      await flowing.tick();
      const o = await storePayments(admin, order.code);
      assert.equal(o.payments.filter((p) => p.state === 'Settled').length, 2, 'one capture per shipment');
      assert.ok(!o.payments.some((p) => p.state === 'Authorized' && p.amount > 0), 'nothing left authorised');
      assert.equal((await trytonPayments(t, order.code)).reduce((n, p) => n + p.minor, 0), order.totalWithTax, 'Tryton recorded the same, to the cent');
    } finally {
      await flowing.ctx.storage.close();
    }
  });
});

describe('capture: atShipment — a crash between capturing and recording does not capture twice', () => {
  let tdb: TrytonDatabase; let v: VendureInstance;
  before(async () => { tdb = await freshTrytonDatabase(); v = await startVendure(); });
  after(async () => { await v?.stop(); });

  test('SIGKILL right after the store captured: the restarted run records it once and captures nothing more', async () => {
    const t = await trytonAdmin(tdb);
    const admin = await adminGql(v.url);
    const s = settingsFor(tdb, v, { rules: { capture: 'atShipment', settleFrom: 'store', liveInventory: false } });
    const setup = await engineFor(s.config);
    await receiveStock(t, await createTrytonProduct(t, 'NIB-1', 'Nib', '4.50'), 4);
    await sellableInStore(setup, admin, 'NIB-1', 10);
    const order = await shopCheckout(v.url, { ...buyer('crash@example.com'), lines: [{ sku: 'NIB-1', quantity: 4 }] });
    await imported(setup, t, order.code);
    const shipment = await shipWhatIsThere(t, order.code);
    await enqueueCaptureForShipment(setup.ctx, order.code, String(shipment), 'test: shipment done');
    await setup.ctx.storage.close();

    const run = (env: Record<string, string>) => spawn(process.execPath, [DOVETAIL_BIN, '--config', s.file, 'run'],
      { env: { ...process.env, ...s.env, ...env, DOVETAIL_LOG_LEVEL: process.env.DOVETAIL_TEST_CHILD_LOG ?? 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const crashing = run({ DOVETAIL_FAILPOINT: 'capture.captured' });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => crashing.once('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL', 'the process died at the failpoint');
    let o = await storePayments(admin, order.code);
    assert.deepEqual(o.payments.filter((p) => p.state === 'Settled').map((p) => p.amount), [order.totalWithTax], 'the store captured before the crash');
    assert.equal((await trytonPayments(t, order.code)).length, 0, 'not yet recorded in Tryton');

    const healthy = run({});
    try {
      const check = await engineFor(s.config);
      try {
        await until('the capture to be recorded', async () => check.ctx.storage.mapping('tryton', 'capture', `${order.code}:${shipment}`));
        const trail = await check.ctx.storage.auditTrail(order.code);
        assert.ok(trail.some((a) => a.action === 'payment.captureFound'), 'the restarted run found the capture by its key instead of making one');
      } finally {
        await check.ctx.storage.close();
      }
    } finally {
      healthy.kill('SIGTERM');
      await new Promise((r) => healthy.once('exit', r));
    }
    o = await storePayments(admin, order.code);
    assert.equal(o.payments.filter((p) => p.state === 'Settled').length, 1, 'still one capture in the store');
    assert.equal(o.payments.filter((p) => p.state === 'Settled').reduce((n, p) => n + p.amount, 0), order.totalWithTax, 'captured exactly the total');
    const pays = await trytonPayments(t, order.code);
    assert.deepEqual(pays.map((p) => [p.state, p.minor]), [['succeeded', order.totalWithTax]], 'recorded once in Tryton');
  });
});

describe('settleFrom: inventory — an operator settles in Tryton, Dovetail captures through the store once', () => {
  let tdb: TrytonDatabase; let v: VendureInstance; let t: TrytonClient; let admin: GqlClient; let engine: Engine;
  before(async () => {
    tdb = await freshTrytonDatabase(); v = await startVendure(); t = await trytonAdmin(tdb); admin = await adminGql(v.url);
    engine = await engineFor(settingsFor(tdb, v, { rules: { capture: 'atOrder', settleFrom: 'inventory', liveInventory: false } }).config);
    await receiveStock(t, await createTrytonProduct(t, 'BAG-1', 'Bag', '30.00'), 10);
    await sellableInStore(engine, admin, 'BAG-1', 10);
  });
  after(async () => { await engine?.ctx.storage.close(); await v?.stop(); });

  /** What an operator does in Tryton: a receivable payment for the sale, approved and processed. */
  async function operatorSettles(orderCode: string, amountMinor: number): Promise<number> {
    const [sale] = await salesFor(t, orderCode);
    const company = t.context.company as number;
    const [{ currency }] = await t.read<{ currency: number }>('company.company', [company], ['currency']);
    let [journal] = await t.search('account.payment.journal', [['name', '=', 'Cards']]);
    if (!journal) [journal] = await t.create('account.payment.journal', [{ name: 'Cards', currency, company, process_method: 'manual' }]);
    const [pay] = await t.create('account.payment', [{ company, journal, kind: 'receivable', party: sale.party, origin: `sale.sale,${sale.id}`,
      amount: { __class__: 'Decimal', decimal: (amountMinor / 100).toFixed(2) }, description: 'settled by phone' }]);
    await t.button('account.payment', 'approve', [pay]);
    await t.wizard('account.payment.process', [['process', {}]], { active_model: 'account.payment', active_ids: [pay], active_id: pay });
    return pay;
  }

  test('a payment processed in Tryton captures that amount in Vendure and ends succeeded; replays capture nothing more', async () => {
    const order = await shopCheckout(v.url, { ...buyer('phone@example.com'), lines: [{ sku: 'BAG-1', quantity: 1 }] });
    await imported(engine, t, order.code);
    assert.deepEqual((await storePayments(admin, order.code)).payments.map((p) => p.state), ['Authorized'], 'the store only authorised');
    const pay = await operatorSettles(order.code, order.totalWithTax);
    await engine.tick();
    let o = await storePayments(admin, order.code);
    assert.deepEqual(o.payments.map((p) => [p.state, p.amount]), [['Settled', order.totalWithTax]], 'captured in the store');
    assert.equal(o.state, 'PaymentSettled');
    const [p] = await t.read<{ state: string }>('account.payment', [pay], ['state']);
    assert.equal(p.state, 'succeeded', 'the operator\'s payment is succeeded');
    await forgetProgress(engine);
    await engine.tick();
    o = await storePayments(admin, order.code);
    assert.equal(o.payments.filter((x) => x.state === 'Settled').length, 1, 'still one capture');
    assert.equal((await trytonPayments(t, order.code)).length, 1, 'and no second Tryton payment (the store capture is not recorded again)');
  });

  test('a payment for more than is authorised is refused: failed in Tryton, on the failure list, nothing charged', async () => {
    const order = await shopCheckout(v.url, { ...buyer('greedy@example.com'), lines: [{ sku: 'BAG-1', quantity: 1 }] });
    await imported(engine, t, order.code);
    const pay = await operatorSettles(order.code, order.totalWithTax + 100);
    await engine.tick();
    const [p] = await t.read<{ state: string }>('account.payment', [pay], ['state']);
    assert.equal(p.state, 'failed');
    const f = (await engine.ctx.storage.failures()).find((j) => j.key === `${order.code}:${pay}`);
    assert.ok(f, 'on the failure list');
    assert.match(f.lastError ?? '', /never exceeds the authorisation/);
    assert.deepEqual((await storePayments(admin, order.code)).payments.map((x) => x.state), ['Authorized'], 'nothing captured');
  });
});
