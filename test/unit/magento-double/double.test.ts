// The Magento double keeps Magento's rules, so the connector's tests against it mean something:
// auth, schema refusals recorded, faults, searchCriteria, and the money and stock of an order's life.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCESS_TOKEN, FakeMagento } from '../../doubles/magento/server.js';

let fake: FakeMagento;
before(async () => { fake = await new FakeMagento(() => Date.parse('2026-03-01T10:00:00Z')).start(); });
after(async () => { await fake.stop(); });

async function call(method: string, path: string, opts: { body?: unknown; query?: Record<string, string>; token?: string; store?: string } = {}) {
  const qs = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
  const res = await fetch(`${fake.url}/rest/${opts.store ?? 'default'}${path}${qs}`, {
    method, headers: { authorization: `Bearer ${opts.token ?? ACCESS_TOKEN}`, 'content-type': 'application/json' },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { /* an HTML page: the text says what it was */ }
  return { status: res.status, json, text };
}
const filter = (field: string, value: string, conditionType: string, group = 0) => ({
  [`searchCriteria[filterGroups][${group}][filters][0][field]`]: field, [`searchCriteria[filterGroups][${group}][filters][0][value]`]: value,
  [`searchCriteria[filterGroups][${group}][filters][0][conditionType]`]: conditionType,
});
type Listing = { items: Record<string, unknown>[]; total_count: number };

describe('the door', () => {
  test('a wrong token gets 401 with Magento\'s body', async () => {
    const r = await call('GET', '/V1/store/storeConfigs', { token: 'wrong' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { message: 'The consumer isn\'t authorized to access %resources.', parameters: { resources: 'Magento_Backend::admin' } });
  });
  test('a request the schema refuses gets 400 naming the problem and is recorded', async () => {
    const r = await call('POST', '/V1/products', { body: { product: { sku: 'X', name: 'X', prize: 1 } } });
    assert.equal(r.status, 400);
    assert.match((r.json as { message: string }).message, /'prize'/);
    assert.equal(fake.schemaViolations.length, 1);
    assert.match(fake.schemaViolations[0]!, /POST \/V1\/products: body product must NOT have additional properties \('prize'\)/);
    fake.schemaViolations.length = 0;
  });
  test('faults: the next call meets a proxy\'s HTML page or a 429, then the shop answers again; a shop that is down drops the connection', async () => {
    fake.failNext({ status: 503, html: '<html><body>Maintenance</body></html>' });
    const html = await call('GET', '/V1/store/storeConfigs');
    assert.equal(html.status, 503);
    assert.match(html.text, /Maintenance/);
    fake.failNext({ status: 429, retryAfter: '7', operationId: 'GetV1Orders' });
    assert.equal((await call('GET', '/V1/store/storeConfigs')).status, 200, 'the fault waits for its operation');
    assert.equal((await call('GET', '/V1/orders')).status, 429);
    assert.equal((await call('GET', '/V1/orders')).status, 200);
    fake.down = true;
    await assert.rejects(call('GET', '/V1/store/storeConfigs'));
    fake.down = false;
  });
});

describe('searchCriteria', () => {
  test('conditions, groups, sort, pages, total_count; a page past the end answers the last page', async () => {
    for (const [i, sku] of ['S-1', 'S-2', 'S-3', 'T-1'].entries()) fake.state.addProduct(sku, 1000 + i * 100, 5);
    const skus = async (query: Record<string, string>) => {
      const r = await call('GET', '/V1/products', { query });
      assert.equal(r.status, 200, r.text);
      return { skus: (r.json as Listing).items.map((p) => p.sku), total: (r.json as Listing).total_count };
    };
    assert.deepEqual((await skus(filter('sku', 'S-1,T-1', 'in'))).skus, ['S-1', 'T-1']);
    assert.deepEqual((await skus(filter('sku', 'S-%', 'like'))).skus, ['S-1', 'S-2', 'S-3']);
    assert.deepEqual((await skus(filter('price', '11', 'gt'))).skus, ['S-3', 'T-1']);
    assert.deepEqual((await skus(filter('price', '11', 'lteq'))).skus, ['S-1', 'S-2']);
    assert.deepEqual((await skus(filter('sku', 'S-2', 'neq'))).skus, ['S-1', 'S-3', 'T-1']);
    assert.deepEqual((await skus({ ...filter('price', '11', 'from'), ...filter('price', '12', 'to', 1) })).skus, ['S-2', 'S-3'], 'from and to, each in its group');
    assert.deepEqual((await skus(filter('price', '10', 'lt'))).skus, []);
    assert.deepEqual((await skus({ ...filter('sku', 'S-%', 'like'), ...filter('price', '11', 'gteq', 1) })).skus, ['S-2', 'S-3'], 'groups are AND-ed');
    const sorted = { 'searchCriteria[sortOrders][0][field]': 'price', 'searchCriteria[sortOrders][0][direction]': 'DESC', 'searchCriteria[pageSize]': '3' };
    assert.deepEqual(await skus({ ...sorted, 'searchCriteria[currentPage]': '1' }), { skus: ['T-1', 'S-3', 'S-2'], total: 4 });
    assert.deepEqual(await skus({ ...sorted, 'searchCriteria[currentPage]': '2' }), { skus: ['S-1'], total: 4 });
    assert.deepEqual(await skus({ ...sorted, 'searchCriteria[currentPage]': '9' }), { skus: ['S-1'], total: 4 }, 'the last page again');
    const bad = await call('GET', '/V1/products', { query: filter('sku', 'S-1', 'almost') });
    assert.equal(bad.status, 400);
  });
});

describe('an order\'s life', () => {
  const order = async (id: number) => (await call('GET', `/V1/orders/${id}`)).json as Record<string, unknown> & {
    items: { item_id: number; sku: string; qty_invoiced: number; qty_shipped: number; qty_canceled: number; qty_refunded: number }[];
    payment: Record<string, number>; state: string };
  test('partial invoice captures its part; shipment releases its reservation; cancel takes the rest; credit memos never above paid', async () => {
    fake.state.addProduct('L-A', 1000, 10);
    fake.state.addProduct('L-B', 2000, 10);
    const placed = fake.state.placeOrder({ email: 'life@example.com', lines: [{ sku: 'L-A', quantity: 2 }, { sku: 'L-B', quantity: 1 }], paid: 'authorised' });
    const salable = async (sku: string) => (await call('GET', `/V1/inventory/get-product-salable-quantity/${sku}/1`)).json;
    assert.equal(await salable('L-A'), 8, 'reserved by the order');
    const [a, b] = placed.items;
    // 2 × 10.00 + 1 × 20.00, taxed at 10 %: 44.00 authorised
    assert.equal((await order(placed.entityId)).payment.amount_authorized, 44);

    const ship = await call('POST', `/V1/order/${placed.entityId}/ship`, { body: { items: [{ order_item_id: a!.itemId, qty: 1 }], tracks: [{ track_number: 'T1', title: 'UPS', carrier_code: 'custom' }] } });
    assert.equal(ship.status, 200, ship.text);
    assert.equal(await salable('L-A'), 8, 'shipped: the reservation is compensated and the source holds one fewer');
    assert.equal(fake.state.sourceItems.find((s) => s.sku === 'L-A')!.quantity, 9);

    const inv = await call('POST', `/V1/order/${placed.entityId}/invoice`, { body: { capture: true, items: [{ order_item_id: a!.itemId, qty: 1 }] } });
    assert.equal(inv.status, 200, inv.text);
    let o = await order(placed.entityId);
    assert.equal(o.payment.amount_paid, 11);
    assert.equal(o.state, 'processing');
    const tooMany = await call('POST', `/V1/order/${placed.entityId}/invoice`, { body: { capture: true, items: [{ order_item_id: a!.itemId, qty: 2 }] } });
    assert.equal(tooMany.status, 400, 'only one unit of L-A is left to invoice');

    assert.equal((await call('POST', `/V1/orders/${placed.entityId}/cancel`)).json, true);
    o = await order(placed.entityId);
    assert.deepEqual(o.items.map((i) => [i.sku, i.qty_canceled]), [['L-A', 1], ['L-B', 1]], 'what was neither invoiced nor shipped');
    assert.equal(o.payment.amount_canceled, 33, 'the rest of the authorisation');
    assert.equal(await salable('L-B'), 10, 'its reservation released');
    assert.equal((await call('POST', `/V1/orders/${placed.entityId}/cancel`)).json, false, 'nothing left to cancel');

    const over = await call('POST', `/V1/invoice/${inv.json}/refund`, { body: { items: [], isOnline: true, arguments: { adjustment_positive: 1 } } });
    assert.equal(over.status, 400, 'the whole invoice plus 1.00 is more than was paid');
    assert.match((over.json as { message: string }).message, /most money available to refund is %1/);
    const memo = await call('POST', `/V1/invoice/${inv.json}/refund`, { body: { items: [{ order_item_id: a!.itemId, qty: 1 }], isOnline: true } });
    assert.equal(memo.status, 200, memo.text);
    o = await order(placed.entityId);
    assert.equal(o.payment.amount_refunded, 11);
    assert.equal(o.state, 'closed');
    const memos = (await call('GET', '/V1/creditmemos', { query: filter('order_id', String(placed.entityId), 'eq') })).json as Listing;
    assert.equal(memos.total_count, 1);
    assert.equal(memos.items[0]!.grand_total, 11);
    assert.equal((await call('POST', `/V1/order/${placed.entityId}/refund`, { body: { items: [], arguments: { adjustment_positive: 0.01 } } })).status, 400, 'nothing paid is left');
    assert.deepEqual(fake.schemaViolations, []);
    assert.deepEqual(fake.answerViolations, []);
  });
  test('an order captured at checkout is invoiced whole at once', async () => {
    fake.state.addProduct('L-C', 500, 3);
    const placed = fake.state.placeOrder({ email: 'paid@example.com', lines: [{ sku: 'L-C', quantity: 2 }], paid: 'captured' });
    const o = await order(placed.entityId);
    assert.equal(o.payment.amount_paid, 11);
    assert.equal(o.items[0]!.qty_invoiced, 2);
  });
});

describe('configurable products', () => {
  test('a configurable product links its simple ones; its order line holds the configurable row and the simple one under it', async () => {
    fake.state.addProduct('TEE-S', 1500, 5);
    fake.state.addProduct('TEE-M', 1500, 5);
    const tee = fake.state.addConfigurable('TEE', ['TEE-S', 'TEE-M']);
    const made = await call('POST', '/V1/products', { body: { product: { sku: 'TEE-2', name: 'Tee two', type_id: 'configurable', extension_attributes: { configurable_product_links: tee.children } } } });
    assert.equal(made.status, 200, made.text);
    assert.deepEqual((made.json as { extension_attributes: unknown }).extension_attributes, { configurable_product_links: tee.children });
    const unknown = await call('POST', '/V1/products', { body: { product: { sku: 'TEE-3', name: 'Tee three', type_id: 'configurable', extension_attributes: { configurable_product_links: [987654] } } } });
    assert.equal(unknown.status, 400);

    const placed = fake.state.placeOrder({ email: 'tee@example.com', lines: [{ sku: 'TEE-M', quantity: 2, parent: 'TEE' }], paid: 'authorised' });
    const o = (await call('GET', `/V1/orders/${placed.entityId}`)).json as { items: { item_id: number; sku: string; product_type: string; parent_item_id?: number; price: number; qty_ordered: number }[]; grand_total: number };
    assert.deepEqual(o.items.map((i) => [i.sku, i.product_type, i.parent_item_id ?? null, i.price, i.qty_ordered]),
      [['TEE-M', 'configurable', null, 15, 2], ['TEE-M', 'simple', o.items[0]!.item_id, 0, 2]]);
    assert.equal(o.grand_total, 33);
    assert.equal(fake.state.salable('TEE-M'), 3, 'the simple product is reserved');
    const ship = await call('POST', `/V1/order/${placed.entityId}/ship`, { body: { items: [{ order_item_id: o.items[0]!.item_id, qty: 1 }] } });
    assert.equal(ship.status, 200, ship.text);
    const after = (await call('GET', `/V1/orders/${placed.entityId}`)).json as { items: { qty_shipped: number }[] };
    assert.deepEqual(after.items.map((i) => i.qty_shipped), [1, 1]);
    assert.deepEqual(fake.schemaViolations, []);
    assert.deepEqual(fake.answerViolations, []);
  });
});

describe('the async bulk API', () => {
  test('each element is an operation of its own under one bulk_uuid; the status says which failed', async () => {
    const row = (sku: string, quantity: number) => ({ sourceItems: [{ sku, source_code: 'default', quantity, status: 1 }] });
    const res = await fetch(`${fake.url}/rest/all/async/bulk/V1/inventory/source-items`, {
      method: 'POST', headers: { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([row('S-1', 42), row('NO-SUCH-SKU', 1)]),
    });
    assert.equal(res.status, 202);
    const accepted = await res.json() as { bulk_uuid: string; request_items: { id: number; status: string }[]; errors: boolean };
    assert.deepEqual(accepted.request_items.map((i) => i.status), ['accepted', 'accepted']);
    assert.equal(fake.state.sourceItems.find((s) => s.sku === 'S-1')!.quantity, 5, 'not applied before the consumers run');
    const status = await call('GET', `/V1/bulk/${accepted.bulk_uuid}/status`);
    assert.equal(status.status, 200, status.text);
    assert.deepEqual((status.json as { operations_list: { status: number }[] }).operations_list.map((o) => o.status), [1, 3]);
    assert.equal(fake.state.sourceItems.find((s) => s.sku === 'S-1')!.quantity, 42);
    const wrongElement = await fetch(`${fake.url}/rest/all/async/bulk/V1/inventory/source-items`, {
      method: 'POST', headers: { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([row('S-1', 1), { sourceItems: [{ sku: 'S-1', qty: 1 }] }]),
    });
    assert.equal(wrongElement.status, 400);
    assert.match(fake.schemaViolations.join('\n'), /\[1\] body sourceItems\.0 must NOT have additional properties \('qty'\)/);
    fake.schemaViolations.length = 0;
  });
  test('a path parameter written by<Name> takes each operation\'s value from its body', async () => {
    const res = await fetch(`${fake.url}/rest/all/async/bulk/V1/products/bySku`, {
      method: 'PUT', headers: { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ product: { sku: 'S-2', name: 'Renamed' } }, { product: { sku: 'S-3', name: 'Renamed too' } }]),
    });
    assert.equal(res.status, 202);
    const accepted = await res.json() as { bulk_uuid: string; request_items: { id: number; status: string }[]; errors: boolean };
    assert.deepEqual(accepted.request_items.map((i) => [i.id, i.status]), [[0, 'accepted'], [1, 'accepted']]);
    const status = await call('GET', `/V1/bulk/${accepted.bulk_uuid}/status`);
    assert.deepEqual((status.json as { operations_list: { id: number; status: number }[] }).operations_list.map((o) => [o.id, o.status]), [[0, 1], [1, 1]]);
    assert.deepEqual([fake.state.products.get('S-2')!.name, fake.state.products.get('S-3')!.name], ['Renamed', 'Renamed too']);
    assert.deepEqual(fake.schemaViolations, []);
  });
});
