// The Magento connector's writes against a scripted Magento: what it sends, what it finds before
// making anything, what it refuses before sending, and one result per row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../../src/errors.js';
import type { Product } from '../../../src/model/product.js';
import { connector, filterOf, fixture, reply, search, selected, type Route, type Seen } from './fake.js';

const product = (sku: string): Product => ({ sku, groupKey: `G-${sku}`, fields: { names: { name: `Product ${sku}`, variantName: sku }, prices: { priceMinor: 1250, currency: 'EUR' }, availability: { enabled: true } } });
const skusIn = (req: Seen) => filterOf(req.query)!.value.split(',');

test('upsertProducts looks before it creates, writes at global scope, and a refused row fails alone', async () => {
  const made: string[] = [];
  const { conn, fake } = connector({
    'GET /products': (req) => search(skusIn(req).filter((s) => s === 'MG-OLD' || made.includes(s)).map((sku, i) => ({ id: 50 + i, sku, type_id: 'simple' }))),
    'PUT /products/MG-OLD': (req) => ({ id: 50, ...(req.body as { product: object }).product }),
    'PUT /products/MG-NEW': (req) => ({ id: 77, ...(req.body as { product: object }).product }),
    'POST /products': (req) => {
      const p = (req.body as { product: { sku: string } }).product;
      if (p.sku === 'MG-BAD') return reply({ status: 400, body: { message: 'The value of attribute "%1" must be unique.', parameters: ['url_key'] } });
      made.push(p.sku);
      return { id: 77, ...p };
    },
  });
  const res = await conn.upsertProducts([{ product: product('MG-OLD'), groups: ['prices'] }, { product: product('MG-BAD'), groups: ['names', 'prices'] }, { product: product('MG-NEW'), groups: ['names', 'prices', 'availability'] }]);
  assert.deepEqual(res.map((r) => ('error' in r ? [r.sku, r.error.kind] : [r.sku, r.id, r.created])), [['MG-OLD', '50', false], ['MG-BAD', 'permanent'], ['MG-NEW', '77', true]]);
  assert.match(String((res[1] as { error: DovetailError }).error.message), /"url_key" must be unique/);
  const post = fake.calls('POST', '/products').find((s) => (s.body as { product: { sku: string } }).product.sku === 'MG-NEW')!;
  assert.equal(post.scope, 'all', 'global values, not one store view\'s');
  assert.deepEqual((post.body as { product: Record<string, unknown> }).product, {
    sku: 'MG-NEW', attribute_set_id: 4, type_id: 'simple', visibility: 4, name: 'Product MG-NEW', price: 12.5, status: 1,
    custom_attributes: [{ attribute_code: 'dovetail_group_key', value: 'G-MG-NEW' }, { attribute_code: 'dovetail_variant_name', value: 'MG-NEW' }],
  });
  assert.deepEqual((fake.calls('PUT', '/products/MG-OLD')[0]!.body as { product: object }).product, { sku: 'MG-OLD', price: 12.5 });
  const again = await conn.upsertProducts([{ product: product('MG-NEW'), groups: ['names'] }]);
  assert.deepEqual(again, [{ sku: 'MG-NEW', id: String(50), created: false }], 'found, not made twice');
});

test('upsertProducts: a store that cannot be written at all throws instead of failing rows', async () => {
  const { conn } = connector({ 'GET /products': () => search([]), 'POST /products': () => reply({ status: 503, text: '<html>busy</html>' }) });
  await assert.rejects(conn.upsertProducts([{ product: product('MG-NEW'), groups: ['names'] }]), (e: DovetailError) => e.kind === 'transient');
});

test('setAvailable writes source quantities that keep open orders\' reservations, skips what is already right, leaves unknown SKUs out', async () => {
  const posted: unknown[][] = [];
  const { conn } = connector({
    'GET /products': (req) => search(skusIn(req).filter((s) => s !== 'MG-NEVER').map((sku) => ({ sku }))),
    'GET /inventory/source-items': () => search([
      { sku: 'MG-A', source_code: 'default', quantity: 10, status: 1 },
      { sku: 'MG-A', source_code: 'other', quantity: 99, status: 1 },
      { sku: 'MG-SAME', source_code: 'default', quantity: 4, status: 1 },
    ]),
    'GET /inventory/get-product-salable-quantity/MG-A/1': () => 7,
    'GET /inventory/get-product-salable-quantity/MG-SAME/1': () => 4,
    'POST /inventory/source-items': (req) => { posted.push((req.body as { sourceItems: unknown[] }).sourceItems); return []; },
  });
  const res = await conn.setAvailable([{ sku: 'MG-A', available: 5 }, { sku: 'MG-NEVER', available: 2 }, { sku: 'MG-SAME', available: 4 }, { sku: 'MG-B', available: 0 }]);
  assert.deepEqual(res.sort((a, b) => a.sku.localeCompare(b.sku)), [{ sku: 'MG-A', written: true }, { sku: 'MG-B', written: true }, { sku: 'MG-SAME', written: false }]);
  assert.deepEqual(posted, [[
    { sku: 'MG-A', source_code: 'default', quantity: 8, status: 1 },
    { sku: 'MG-B', source_code: 'default', quantity: 0, status: 0 },
  ]]);
});

test('setAvailable: a batch Magento refuses is sent again row by row, so only the refused row fails', async () => {
  const { conn, fake } = connector({
    'GET /products': (req) => search(skusIn(req).map((sku) => ({ sku }))),
    'GET /inventory/source-items': () => search([]),
    'POST /inventory/source-items': (req) => {
      const items = (req.body as { sourceItems: { sku: string }[] }).sourceItems;
      return items.some((i) => i.sku === 'MG-TYPO') ? reply({ status: 400, body: { message: 'Validation Failed', parameters: [] } }) : [];
    },
  });
  const res = await conn.setAvailable([{ sku: 'MG-A', available: 1 }, { sku: 'MG-TYPO', available: 1 }]);
  assert.deepEqual(res.map((r) => [r.sku, 'error' in r ? r.error.kind : r.written]), [['MG-A', true], ['MG-TYPO', 'permanent']]);
  assert.equal(fake.calls('POST', '/inventory/source-items').length, 3);
});

/** The fixture order, with these counts per item id, and what its invoices, memos and shipments are. */
function orderWorld(opts: { items?: Record<number, Record<string, number>>; shipments?: unknown[]; invoices?: unknown[]; memos?: unknown[]; routes?: Record<string, Route> } = {}) {
  const base = fixture('order.json') as { items: Record<string, unknown>[] };
  const order = { ...base, items: base.items.map((i) => ({ ...i, ...(opts.items?.[i.item_id as number] ?? {}) })) };
  return connector({
    'GET /orders': (req) => search(filterOf(req.query)?.value === '000000041' ? [order] : []),
    'GET /shipments': () => search(opts.shipments ?? []),
    'POST /order/41/ship': () => 900,
    'GET /invoices': () => search(opts.invoices ?? []),
    'GET /creditmemos': () => search(opts.memos ?? []),
    'POST /order/41/invoice': () => 700,
    'POST /invoice/700/refund': () => 800,
    'POST /order/41/refund': () => 801,
    'POST /orders/41/cancel': () => true,
    'POST /orders/41/comments': () => true,
    ...opts.routes,
  });
}

test('recordShipment: found by its ref before one is made; otherwise the items, tracks and notify sent', async () => {
  const shipment = { ref: 'tryton:88', shippedOn: '2026-11-03', carrier: 'DHL', trackingCode: 'JD1, JD2', lines: [{ sku: 'MG-A', quantity: 1 }] };
  const found = orderWorld({ shipments: [{ entity_id: 5, order_id: 41, comments: [{ comment: 'Shipped [dovetail:shipment:tryton:88]' }] }] });
  assert.deepEqual(await found.conn.recordShipment('000000041', shipment, { notifyCustomer: true }), { id: '5', created: false });
  assert.equal(found.fake.calls('POST', '/order/41/ship').length, 0);
  const fresh = orderWorld();
  assert.deepEqual(await fresh.conn.recordShipment('000000041', shipment, { notifyCustomer: false }), { id: '900', created: true });
  const body = fresh.fake.calls('POST', '/order/41/ship')[0]!.body as Record<string, unknown>;
  assert.deepEqual(body.items, [{ order_item_id: 101, qty: 1 }]);
  assert.equal(body.notify, false);
  assert.deepEqual(body.tracks, [{ track_number: 'JD1', title: 'DHL', carrier_code: 'custom' }, { track_number: 'JD2', title: 'DHL', carrier_code: 'custom' }]);
  assert.match(JSON.stringify(body.comment), /\[dovetail:shipment:tryton:88\]/);
  await assert.rejects(fresh.conn.recordShipment('000000041', { ...shipment, ref: 'tryton:89', lines: [{ sku: 'MG-A', quantity: 3 }] }, { notifyCustomer: false }), /more than Magento has left to ship/);
  assert.equal(fresh.fake.calls('POST', '/order/41/ship').length, 1, 'refused before sending');
});

test('capturePayment invoices the shipped items when they come to the amount, once per key, and says what Magento invoiced', async () => {
  // one MG-A shipped: 9.00 + 0.90 tax, and the whole shipping 5.50 on the first invoice; Magento's own rounding made it 15.41
  const invoices: unknown[] = [];
  const { conn, fake } = orderWorld({ items: { 101: { qty_shipped: 1 } }, invoices, routes: {
    'POST /order/41/invoice': () => { invoices.push({ entity_id: 700, order_id: 41, grand_total: 15.41, state: 2, comments: [] }); return 700; },
  } });
  const res = await conn.capturePayment('000000041', 1540, 'cap-1');
  assert.deepEqual(res, { paymentId: 'invoice:700', amountMinor: 1541, created: true, remainingAuthorisedMinor: 4180 - 1541 });
  const body = fake.calls('POST', '/order/41/invoice')[0]!.body as Record<string, unknown>;
  assert.equal(body.capture, true);
  assert.deepEqual(body.items, [{ order_item_id: 101, qty: 1 }]);
  assert.match(JSON.stringify(body.comment), /\[dovetail:capture:cap-1\]/);
  await assert.rejects(conn.capturePayment('000000041', 1000, 'cap-2'), (e: DovetailError) => e.kind === 'permanent' && /invoices items, not amounts/.test(e.message));
  assert.equal(fake.calls('POST', '/order/41/invoice').length, 1, 'refused before sending');
  await assert.rejects(conn.capturePayment('000000041', 5000, 'cap-3'), /more than the 2639 still authorised/);
});

test('capturePayment and getPayments: an invoice carrying the key is the capture made before', async () => {
  const invoice = { entity_id: 700, order_id: 41, grand_total: 15.4, state: 2, transaction_id: 'txn-1', comments: [{ comment: 'Captured [dovetail:capture:cap-1]' }] };
  const { conn, fake } = orderWorld({ items: { 101: { qty_shipped: 1, qty_invoiced: 1 } }, invoices: [invoice] });
  const again = await conn.capturePayment('000000041', 1540, 'cap-1');
  assert.equal(again.created, false);
  assert.equal(fake.calls('POST', '/order/41/invoice').length, 0);
  const money = (await conn.getPayments('000000041'))!;
  assert.deepEqual([money.capturedMinor, money.authorisedMinor, money.refundedMinor], [1540, 4180 - 1540, 0]);
  assert.equal(money.payments.find((p) => p.id === 'invoice:700')?.captureKey, 'cap-1');
});

test('refundPayment: a credit memo of no units and a positive adjustment, online on the captured invoice; never beyond what was captured', async () => {
  const invoice = { entity_id: 700, order_id: 41, grand_total: 15.4, state: 2, transaction_id: 'txn-1', comments: [] };
  const { conn, fake } = orderWorld({ invoices: [invoice] });
  assert.deepEqual(await conn.refundPayment('000000041', 500, 'ref-1', 'one mug broken'), { refundIds: ['creditmemo:800'], amountMinor: 500, created: true });
  const body = fake.calls('POST', '/invoice/700/refund')[0]!.body as Record<string, unknown>;
  assert.equal(body.isOnline, true);
  assert.deepEqual(body.arguments, { shipping_amount: 0, adjustment_positive: 5, adjustment_negative: 0 });
  assert.ok((body.items as { qty: number }[]).every((i) => i.qty === 0), 'no units credited');
  assert.match(JSON.stringify(body.comment), /one mug broken \[dovetail:refund:ref-1\]/);
  await assert.rejects(conn.refundPayment('000000041', 2000, 'ref-2', 'too much'), /more than the 1540 captured/);
});

test('cancelOrderUnits cancels the order when that is every unit left, and refuses a partial cancellation, a return and an edit', async () => {
  const whole = orderWorld();
  const res = await whole.conn.cancelOrderUnits('000000041', [{ sku: 'MG-A', quantity: 2 }, { sku: 'MG-B-RED', quantity: 1 }], { kind: 'cancel', reason: 'customer asked' });
  assert.equal(res.totalBeforeMinor, 4180);
  assert.equal(whole.fake.calls('POST', '/orders/41/cancel').length, 1);
  assert.deepEqual((whole.fake.calls('POST', '/orders/41/comments')[0]!.body as { statusHistory: object }).statusHistory, { comment: 'customer asked', is_customer_notified: 0, is_visible_on_front: 0, parent_id: 41 });

  const part = orderWorld();
  await assert.rejects(part.conn.cancelOrderUnits('000000041', [{ sku: 'MG-A', quantity: 1 }], { kind: 'cancel', reason: 'one fewer' }),
    (e: DovetailError) => e.detail?.refusal === 'conflict' && /would leave 1 × MG-A, 1 × MG-B-RED to cancel/.test(e.message));
  await assert.rejects(part.conn.cancelOrderUnits('000000041', [{ sku: 'MG-A', quantity: 1 }], { kind: 'return', reason: 'back' }), (e: DovetailError) => e.detail?.refusal === 'conflict');
  await assert.rejects(part.conn.raiseOrderQuantities('000000041'), (e: DovetailError) => e.detail?.refusal === 'conflict' && /no API to add units/.test(e.message));
  assert.equal(part.fake.calls('POST', '/orders/41/cancel').length, 0, 'nothing sent');
});

test('getOrderLines: ordered less cancelled and credited; shipped; credited after shipping counts as returned', async () => {
  const { conn } = orderWorld({ items: { 101: { qty_shipped: 2, qty_refunded: 1 } } });
  const lines = (await conn.getOrderLines(['000000041'])).get('000000041')!;
  assert.deepEqual(lines.lines.find((l) => l.sku === 'MG-A'), { sku: 'MG-A', quantity: 1, shipped: 2, returned: 1, unitGrossMinor: 990, unitNetMinor: 900, taxRatePercent: 10 });
  assert.equal((await conn.getOrderLines(['NEVER'])).has('NEVER'), false);
});

test('getOrderLines reads many orders in one order search per 100 codes, each answered as alone; none asked: no call', async () => {
  const base = fixture('order.json') as { items: Record<string, unknown>[] };
  const order = (id: number, items: Record<string, number>) => ({ ...base, entity_id: id, increment_id: `0000000${id}`, items: base.items.map((i) => ({ ...i, order_id: id, ...items })) });
  const orders = [order(41, {}), order(42, { qty_shipped: 1 }), order(43, { qty_canceled: 1 })];
  const { conn, fake } = connector({ 'GET /orders': (req) => search(selected(req.query, orders)) });
  const codes = ['000000041', '000000042', '000000043'];
  const alone = new Map<string, unknown>();
  for (const code of codes) alone.set(code, (await conn.getOrderLines([code])).get(code));
  const before = fake.calls('GET', '/orders').length;
  const many = await conn.getOrderLines([...codes, 'NEVER']);
  assert.equal(fake.calls('GET', '/orders').length - before, 1, 'one search for all of them');
  assert.deepEqual([...many.keys()].sort(), codes);
  for (const code of codes) assert.deepEqual(many.get(code), alone.get(code), code);
  assert.equal(many.get('000000043')!.lines.find((l) => l.sku === 'MG-A')!.quantity, 1, 'not the same answer thrice');

  const unknown = Array.from({ length: 247 }, (_, i) => `X${i}`);
  const from = fake.calls('GET', '/orders').length;
  assert.equal((await conn.getOrderLines([...codes, ...unknown])).size, 3);
  const sent = fake.calls('GET', '/orders').slice(from).map((s) => filterOf(s.query)!);
  assert.deepEqual(sent.map((f) => [f.field, f.conditionType, f.value.split(',').length]), [['increment_id', 'in', 100], ['increment_id', 'in', 100], ['increment_id', 'in', 50]]);

  const none = fake.seen.length;
  assert.equal((await conn.getOrderLines([])).size, 0);
  assert.equal(fake.seen.length, none);
});
