// The Magento double's schema check must refuse what Adobe's published Admin schema refuses, and say
// what was wrong: these are the mistakes a connector makes (a path, a key's spelling, a type, a gap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequest, checkResponse } from '../../doubles/magento/schema.js';

const search = (entries: Record<string, string>) => new URLSearchParams(entries);
const noQuery = new URLSearchParams();
const invoiceBody = { capture: true, items: [{ order_item_id: 7, qty: 1 }], notify: false, appendComment: true, comment: { comment: 'shipped', is_visible_on_front: 0 } };

test('a correct request passes: path parameter, searchCriteria at any index, JSON body', () => {
  assert.deepEqual(checkRequest({ method: 'POST', path: '/V1/order/12/invoice', query: noQuery, body: invoiceBody }).problems, []);
  const q = search({
    'searchCriteria[filterGroups][0][filters][0][field]': 'updated_at', 'searchCriteria[filterGroups][0][filters][0][value]': '2026-01-01 00:00:00',
    'searchCriteria[filterGroups][0][filters][0][conditionType]': 'gteq', 'searchCriteria[filterGroups][1][filters][0][field]': 'status',
    'searchCriteria[filterGroups][1][filters][0][value]': 'pending', 'searchCriteria[sortOrders][0][field]': 'updated_at',
    'searchCriteria[sortOrders][0][direction]': 'ASC', 'searchCriteria[pageSize]': '200', 'searchCriteria[currentPage]': '1',
  });
  const check = checkRequest({ method: 'GET', path: '/V1/orders', query: q, body: undefined });
  assert.deepEqual(check.problems, []);
  assert.equal(check.operationId, 'GetV1Orders');
});

test('a path the schema does not declare is caught', () => {
  const { problems } = checkRequest({ method: 'POST', path: '/V1/orders/12/invoice', query: noQuery, body: invoiceBody });
  assert.deepEqual(problems, ['POST /V1/orders/12/invoice: the schema declares no such operation']);
  assert.match(checkRequest({ method: 'DELETE', path: '/V1/orders/12', query: noQuery, body: undefined }).problems[0]!, /declares no such operation/);
});

test('a misspelt body key is caught and named', () => {
  const { problems } = checkRequest({ method: 'POST', path: '/V1/order/12/invoice', query: noQuery, body: { ...invoiceBody, items: [{ order_item_id: 7, quantity: 1 }] } });
  assert.ok(problems.includes("POST /V1/order/{orderId}/invoice: body items.0 must NOT have additional properties ('quantity')"), problems.join('\n'));
});

test('a wrong type is caught in the body, the path and the query', () => {
  const body = checkRequest({ method: 'POST', path: '/V1/products', query: noQuery, body: { product: { sku: 'A-1', name: 'A', price: '12.50' } } }).problems;
  assert.deepEqual(body, ['POST /V1/products: body product.price must be number']);
  assert.deepEqual(checkRequest({ method: 'POST', path: '/V1/order/A-1/invoice', query: noQuery, body: invoiceBody }).problems,
    ['POST /V1/order/{orderId}/invoice: path orderId must be integer']);
  assert.deepEqual(checkRequest({ method: 'GET', path: '/V1/orders', query: search({ 'searchCriteria[pageSize]': 'all' }), body: undefined }).problems,
    ['GET /V1/orders: query searchCriteria[pageSize] must be integer']);
  assert.match(checkRequest({ method: 'GET', path: '/V1/orders', query: search({ 'searchCriteria[page_size]': '5' }), body: undefined }).problems[0]!,
    /'searchCriteria\[page_size\]'/);
});

test('a bulk body is an array, each element checked against the sync operation', () => {
  const ok = { sourceItems: [{ sku: 'A-1', source_code: 'default', quantity: 3, status: 1 }] };
  assert.deepEqual(checkRequest({ method: 'POST', path: '/V1/inventory/source-items', query: noQuery, body: [ok, ok], bulk: true }).problems, []);
  assert.deepEqual(checkRequest({ method: 'POST', path: '/V1/inventory/source-items', query: noQuery, body: [ok, { sourceItems: [{ ...ok.sourceItems[0], quantity: '3' }] }], bulk: true }).problems,
    ['POST /V1/inventory/source-items: [1] body sourceItems.0.quantity must be number']);
  assert.match(checkRequest({ method: 'POST', path: '/V1/inventory/source-items', query: noQuery, body: ok, bulk: true }).problems[0]!, /takes an array/);
});

test('a response missing a required field is caught and named', () => {
  const status = { operation_count: 1, operations_list: [], bulk_id: 'b-1', description: 'x', start_time: '2026-01-01 00:00:00', user_id: 1, user_type: 2 };
  assert.deepEqual(checkResponse('GET', '/V1/bulk/b-1/status', 200, status), []);
  const { operation_count: _dropped, ...missing } = status;
  assert.deepEqual(checkResponse('GET', '/V1/bulk/b-1/status', 200, missing), ["GET /V1/bulk/{bulkUuid}/status answer 200: response must have required property 'operation_count'"]);
  assert.deepEqual(checkResponse('POST', '/V1/order/12/invoice', 200, '12'), ['POST /V1/order/{orderId}/invoice answer 200: response must be integer']);
});
