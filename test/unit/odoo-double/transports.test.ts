// The Odoo double answers and refuses as Odoo's controllers do, on both transports: unknown models,
// fields (in domains, fields, vals, order) and methods with Odoo's error shape, wrong keys as Odoo
// answers them, and the failures tests inject.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOdoo } from '../../doubles/odoo/server.js';
import { unknownName } from '../../doubles/odoo/manifest.js';

interface Answer { status: number; contentType: string; body: unknown }

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  return { status: res.status, contentType, body: contentType.includes('json') ? JSON.parse(text) : text };
}

const jsonrpc = (odoo: FakeOdoo, service: string, method: string, args: unknown[]) =>
  post(`${odoo.url}/jsonrpc`, { jsonrpc: '2.0', method: 'call', id: 7, params: { service, method, args } });
const executeKw = (odoo: FakeOdoo, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, key = odoo.apiKey) =>
  jsonrpc(odoo, 'object', 'execute_kw', [odoo.database, 2, key, model, method, args, kwargs]);
const json2 = (odoo: FakeOdoo, model: string, method: string, body: Record<string, unknown>, key = odoo.apiKey) =>
  post(`${odoo.url}/json/2/${model}/${method}`, body, { authorization: `bearer ${key}`, 'x-odoo-database': odoo.database });

/** The JSON-RPC error Odoo's JsonRPCDispatcher sends: HTTP 200, code 200, serialize_exception as data. */
function assertRpcError(answer: Answer, name: string, message: RegExp): void {
  assert.equal(answer.status, 200);
  const body = answer.body as { jsonrpc: string; id: number; error: { code: number; message: string; data: Record<string, unknown> } };
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.id, 7);
  assert.equal(body.error.code, 200);
  assert.equal(body.error.message, 'Odoo Server Error');
  assert.deepEqual(Object.keys(body.error.data).sort(), ['arguments', 'context', 'debug', 'message', 'name']);
  assert.equal(body.error.data.name, name);
  assert.match(String(body.error.data.message), message);
}

/** JSON-2's error: the HTTP status of the exception, serialize_exception as the body. */
function assertJson2Error(answer: Answer, status: number, name: string, message: RegExp): void {
  assert.equal(answer.status, status);
  assert.match(answer.contentType, /application\/json/);
  const body = answer.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['arguments', 'context', 'debug', 'message', 'name']);
  assert.equal(body.name, name);
  assert.match(String(body.message), message);
}

describe('Odoo double, Odoo 18 over /jsonrpc', () => {
  let odoo: FakeOdoo;
  before(async () => {
    odoo = await new FakeOdoo({ version: '18.0' }).start();
    odoo.desk.addProduct('RPC-1', { onHand: 4 });
  });
  after(() => odoo.stop());

  test('version and login answer as common does; a wrong key logs in as false and is refused with AccessDenied', async () => {
    const version = (await jsonrpc(odoo, 'common', 'version', [])).body as { result: { server_version_info: unknown[] } };
    assert.deepEqual(version.result.server_version_info.slice(0, 2), [18, 0]);
    assert.equal(((await jsonrpc(odoo, 'common', 'authenticate', [odoo.database, odoo.login, odoo.apiKey, {}])).body as { result: unknown }).result, 2);
    assert.equal(((await jsonrpc(odoo, 'common', 'authenticate', [odoo.database, odoo.login, 'wrong-key', {}])).body as { result: unknown }).result, false);
    assertRpcError(await executeKw(odoo, 'product.product', 'search', [[]], {}, 'wrong-key'), 'odoo.exceptions.AccessDenied', /Access Denied/);
  });

  test('a model, a method or a private method the version lacks is refused as Odoo refuses it', async () => {
    assertRpcError(await executeKw(odoo, 'product.produkt', 'search', [[]]), 'builtins.KeyError', /product\.produkt/);
    assertRpcError(await executeKw(odoo, 'sale.order', 'action_confirmm', [[1]]), 'builtins.AttributeError', /The method 'sale\.order\.action_confirmm' does not exist/);
    assertRpcError(await executeKw(odoo, 'sale.order', '_action_confirm', [[1]]), 'odoo.exceptions.AccessError', /Private methods/);
    // the double carries 17's name of the return button, but 18 calls it action_create_returns
    assertRpcError(await executeKw(odoo, 'stock.return.picking', 'create_returns', [[1]]), 'builtins.AttributeError', /'stock\.return\.picking\.create_returns' does not exist/);
  });

  test('a misspelt field is caught in a domain (dotted too), in fields, in vals and in order', async () => {
    assertRpcError(await executeKw(odoo, 'product.product', 'search_read', [[['default_cod', '=', 'RPC-1']]], { fields: ['id'] }), 'builtins.ValueError', /Invalid field product\.product\.default_cod/);
    assertRpcError(await executeKw(odoo, 'product.product', 'search_read', [[['product_tmpl_id.typ', '=', 'consu']]]), 'builtins.ValueError', /Invalid field product\.template\.typ/);
    assertRpcError(await executeKw(odoo, 'product.product', 'search_read', [[]], { fields: ['qty_availabel'] }), 'builtins.ValueError', /Invalid field 'qty_availabel'/);
    assertRpcError(await executeKw(odoo, 'res.partner', 'create', [[{ name: 'X', emial: 'x@example.com' }]]), 'builtins.ValueError', /Invalid field 'emial' on model 'res\.partner'/);
    assertRpcError(await executeKw(odoo, 'product.product', 'search', [[]], { order: 'write_dat asc' }), 'builtins.ValueError', /Invalid "order"/);
    // a field another version has is refused on this one: 19 renamed the sale line's taxes
    assertRpcError(await executeKw(odoo, 'sale.order.line', 'search_read', [[]], { fields: ['tax_ids'] }), 'builtins.ValueError', /tax_ids/);
    assert.equal(unknownName('18.0', 'sale.order.line', { fields: ['tax_ids'] })?.name, 'tax_ids');
    assert.equal(unknownName('18.0', 'sale.order.line', { fields: ['tax_id'] }), null);
  });

  test('a selection value the field does not have is refused; keyword arguments bind as Python binds them', async () => {
    assertRpcError(await executeKw(odoo, 'sale.order', 'search', [[]], { limitt: 3 }), 'builtins.TypeError', /unexpected keyword argument 'limitt'/);
    const partner = ((await executeKw(odoo, 'res.partner', 'create', [[{ name: 'Y' }]])).body as { result: number[] }).result[0];
    assertRpcError(await executeKw(odoo, 'sale.order', 'create', [[{ partner_id: partner, state: 'confirmed' }]]), 'builtins.ValueError', /Wrong value for sale\.order\.state/);
  });

  test('JSON-2 is not there before 19: Odoo\'s HTML 404 page', async () => {
    const answer = await json2(odoo, 'product.product', 'search', {});
    assert.equal(answer.status, 404);
    assert.match(answer.contentType, /text\/html/);
  });

  test('an injected failure answers once, then Odoo answers again; a server that is down cuts the connection', async () => {
    odoo.failNext({ status: 503, retryAfter: '3' });
    const failed = await executeKw(odoo, 'product.product', 'search', [[]]);
    assert.equal(failed.status, 503);
    assert.match(String(failed.body), /<html>/);
    assert.equal((await executeKw(odoo, 'product.product', 'search', [[]])).status, 200);
    odoo.down();
    await assert.rejects(executeKw(odoo, 'product.product', 'search', [[]]));
    odoo.up();
    assert.equal((await executeKw(odoo, 'product.product', 'search', [[]])).status, 200);
  });

  test('message_post over execute_kw: the ids positional, the rest by name; a further positional argument is a TypeError', async () => {
    const sale = odoo.orm.create('sale.order', [{ partner_id: odoo.desk.partner('rpc-chatter@example.com') }]);
    const posted = (await executeKw(odoo, 'sale.order', 'message_post', [sale], { body: 'discounts: SUMMER 3.00', message_type: 'comment', subtype_xmlid: 'mail.mt_note' })).body as { result: number };
    assert.deepEqual(odoo.messagesOn('sale.order', sale[0]!).map((m) => [m.id, m.body, m.messageType, m.subtypeXmlid]), [[posted.result, 'discounts: SUMMER 3.00', 'comment', 'mail.mt_note']]);
    assertRpcError(await executeKw(odoo, 'sale.order', 'message_post', [sale, 'positional body']), 'builtins.TypeError', /takes 1 positional argument but 2 were given/);
    assertRpcError(await executeKw(odoo, 'sale.order', 'message_post', [[...sale, ...sale]], { body: 'x' }), 'builtins.ValueError', /Expected singleton/);
    assertRpcError(await executeKw(odoo, 'stock.quant', 'message_post', [[1]], { body: 'x' }), 'builtins.AttributeError', /stock\.quant\.message_post' does not exist/);
  });
});

describe('Odoo double, Odoo 19 over JSON-2 (and the deprecated /jsonrpc)', () => {
  let odoo: FakeOdoo;
  before(async () => {
    odoo = await new FakeOdoo({ version: '19.0' }).start();
    odoo.desk.addProduct('J2-1', { onHand: 4 });
  });
  after(() => odoo.stop());

  test('named parameters in, the bare result out; a recordset answers its ids', async () => {
    const found = await json2(odoo, 'product.product', 'search_read', { domain: [['default_code', '=', 'J2-1']], fields: ['default_code', 'qty_available'] });
    assert.equal(found.status, 200);
    assert.deepEqual((found.body as { default_code: string; qty_available: number }[]).map((r) => [r.default_code, r.qty_available]), [['J2-1', 4]]);
    const created = await json2(odoo, 'res.partner', 'create', { vals_list: [{ name: 'Z' }] });
    assert.equal(created.status, 200);
    assert.ok(Array.isArray(created.body));
  });

  test('a wrong API key is 401 Unauthorized with Odoo\'s JSON body', async () => {
    assertJson2Error(await json2(odoo, 'product.product', 'search', {}, 'wrong-key'), 401, 'werkzeug.exceptions.Unauthorized', /Invalid apikey/);
  });

  test('an unknown model or method is 404, a private method 403, an unexpected parameter or ids on a model method 422', async () => {
    assertJson2Error(await json2(odoo, 'product.produkt', 'search', {}), 404, 'werkzeug.exceptions.NotFound', /the model 'product\.produkt' does not exist/);
    assertJson2Error(await json2(odoo, 'sale.order', 'action_confirmm', { ids: [1] }), 404, 'werkzeug.exceptions.NotFound', /does not exist/);
    assertJson2Error(await json2(odoo, 'sale.order', '_action_confirm', { ids: [1] }), 403, 'odoo.exceptions.AccessError', /Private methods/);
    assertJson2Error(await json2(odoo, 'product.product', 'search', { domain: [], limitt: 1 }), 422, 'werkzeug.exceptions.UnprocessableEntity', /unexpected keyword argument 'limitt'/);
    assertJson2Error(await json2(odoo, 'product.product', 'search', { ids: [1], domain: [] }), 422, 'werkzeug.exceptions.UnprocessableEntity', /cannot call product\.product\.search with ids/);
  });

  test('a misspelt field in a domain or in vals is an internal server error naming it; a UserError is 422', async () => {
    assertJson2Error(await json2(odoo, 'product.product', 'search', { domain: [['default_cod', '=', 'J2-1']] }), 500, 'builtins.ValueError', /Invalid field product\.product\.default_cod/);
    assertJson2Error(await json2(odoo, 'res.partner', 'create', { vals_list: [{ name: 'X', emial: 'x@example.com' }] }), 500, 'builtins.ValueError', /Invalid field 'emial'/);
    const partner = odoo.desk.partner('j2@example.com');
    const sale = (await json2(odoo, 'sale.order', 'create', { vals_list: [{ partner_id: partner }] })).body as number[];
    assert.equal((await json2(odoo, 'sale.order', 'action_confirm', { ids: sale })).status, 200);
    assertJson2Error(await json2(odoo, 'sale.order', 'action_confirm', { ids: sale }), 422, 'odoo.exceptions.UserError', /not in a state requiring confirmation/);
  });

  test("message_post takes named parameters only and keeps the message, with its subtype, in the sale's chatter; a model whose manifest lacks it refuses it", async () => {
    const sale = (await json2(odoo, 'sale.order', 'create', { vals_list: [{ partner_id: odoo.desk.partner('chatter@example.com') }] })).body as number[];
    const posted = await json2(odoo, 'sale.order', 'message_post', { ids: sale, body: 'cancelled one unit', message_type: 'comment', subtype_xmlid: 'mail.mt_note' });
    assert.equal(posted.status, 200);
    assert.deepEqual(odoo.messagesOn('sale.order', sale[0]!), [{ id: posted.body, body: 'cancelled one unit', messageType: 'comment', subtypeXmlid: 'mail.mt_note' }]);
    assert.equal(odoo.orm.read('sale.order', sale, ['note'])[0]?.note, false);
    assertJson2Error(await json2(odoo, 'sale.order', 'message_post', { ids: sale, body: 'x', subtype_xmlid: 'mail.mt_nope' }), 500, 'builtins.ValueError', /External ID not found/);
    assertJson2Error(await json2(odoo, 'product.product', 'message_post', { ids: [1], body: 'x' }), 404, 'werkzeug.exceptions.NotFound', /product\.product\.message_post' does not exist/);
  });

  test('/jsonrpc still answers on 19, with the same refusals', async () => {
    assertRpcError(await executeKw(odoo, 'product.product', 'search_read', [[['default_cod', '=', 'J2-1']]]), 'builtins.ValueError', /default_cod/);
    const ok = (await executeKw(odoo, 'product.product', 'search', [[['default_code', '=', 'J2-1']]])).body as { result: number[] };
    assert.equal(ok.result.length, 1);
  });
});
