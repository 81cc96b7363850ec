// The double's generic ORM reads, searches and writes as odoo/models.py does: domains in prefix
// notation, order and paging, x2many commands, many2one as [id, name], stamps from the test's clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOdoo } from '../../doubles/odoo/server.js';

const fresh = () => new FakeOdoo({ version: '18.0' });

describe('Odoo double ORM', () => {
  test('domains: implicit and, |, !, in / not in, comparisons, =ilike and ilike, dotted paths, != matching empty values', () => {
    const odoo = fresh();
    const { orm } = odoo;
    const [a, b, c] = orm.create('res.partner', [
      { name: 'Ann', email: 'Ann@Example.com', city: 'Gent' },
      { name: 'Bob', email: 'bob@example.com', city: 'Brussel' },
      { name: 'Cid', city: false },
    ]);
    const child = orm.create('res.partner', [{ name: 'Ann delivery', parent_id: a, type: 'delivery', city: 'Gent' }])[0]!;
    const find = (domain: unknown[]) => orm.search('res.partner', [['id', 'in', [a, b, c, child]], ...domain]);
    assert.deepEqual(find([['email', '=ilike', 'ann@example.com']]), [a]);
    assert.deepEqual(find([['email', 'ilike', 'EXAMPLE']]), [a, b]);
    assert.deepEqual(find(['|', ['city', '=', 'Gent'], ['name', '=', 'Bob']]), [a, b, child]);
    assert.deepEqual(find(['!', ['city', '=', 'Gent']]), [b, c]);
    assert.deepEqual(find([['city', '!=', 'Gent']]), [b, c], '!= keeps rows where the field is empty, as Odoo does');
    assert.deepEqual(find([['parent_id', '=', false]]), [a, b, c]);
    assert.deepEqual(find([['parent_id.email', '=ilike', 'ann@example.com']]), [child]);
    assert.deepEqual(find([['id', 'not in', [a, b]]]), [c, child]);
    assert.deepEqual(find([['id', '>', b], ['id', '<=', child]]), [c, child]);
  });

  test('order with ties on a shared stamp, then limit and offset, page after page', () => {
    const odoo = fresh();
    const ids = odoo.orm.create('res.partner', Array.from({ length: 5 }, (_, i) => ({ name: `P${i}` })));
    odoo.clock.advance();
    odoo.orm.write('res.partner', [ids[1]!], { city: 'Later' });
    const order = 'write_date asc, id asc';
    const domain = [['id', 'in', ids]];
    assert.deepEqual(odoo.orm.search('res.partner', domain, { order }), [ids[0], ids[2], ids[3], ids[4], ids[1]]);
    assert.deepEqual(odoo.orm.search('res.partner', domain, { order, limit: 2, offset: 2 }), [ids[3], ids[4]]);
    assert.deepEqual(odoo.orm.search('res.partner', domain, { order: 'id desc', limit: 2 }), [ids[4], ids[3]]);
    const stamps = odoo.orm.read('res.partner', ids, ['write_date']).map((r) => r.write_date);
    assert.equal(new Set(stamps).size, 2, 'rows written within one second share one write_date');
  });

  test('x2many commands: (0,0,vals), (1,id,vals), (2,id), (3,id), (6,0,ids); many2one reads as [id, display name]', () => {
    const odoo = fresh();
    const { orm } = odoo;
    const product = odoo.desk.addProduct('ORM-1', { name: 'Widget' });
    const partner = orm.create('res.partner', [{ name: 'Dee' }])[0]!;
    const sale = orm.create('sale.order', [{ partner_id: partner, order_line: [[0, 0, { product_id: product, product_uom_qty: 2 }], [0, 0, { product_id: product, product_uom_qty: 1 }]] }])[0]!;
    const lines = () => orm.read('sale.order', [sale], ['order_line'])[0]!.order_line as number[];
    const [first, second] = lines();
    orm.write('sale.order', [sale], { order_line: [[1, first, { product_uom_qty: 5 }], [2, second]] });
    assert.deepEqual(lines(), [first]);
    assert.equal(orm.read('sale.order.line', [first!], ['product_uom_qty'])[0]!.product_uom_qty, 5);
    assert.deepEqual(orm.read('sale.order.line', [first!], ['product_id'])[0]!.product_id, [product, '[ORM-1] Widget']);
    const taxes = [odoo.base.tax, odoo.desk.salesTax(6)];
    orm.write('sale.order.line', [first!], { tax_id: [[6, 0, taxes]] });
    assert.deepEqual(orm.read('sale.order.line', [first!], ['tax_id'])[0]!.tax_id, taxes);
    orm.write('sale.order.line', [first!], { tax_id: [[3, taxes[0]]] });
    assert.deepEqual(orm.read('sale.order.line', [first!], ['tax_id'])[0]!.tax_id, [taxes[1]]);
  });

  test('archived records are left out unless the domain or active_test says otherwise; read skips ids that do not exist', () => {
    const odoo = fresh();
    const product = odoo.desk.addProduct('ORM-ARCH');
    odoo.orm.write('product.product', [product], { active: false });
    assert.deepEqual(odoo.orm.search('product.product', [['default_code', '=', 'ORM-ARCH']]), []);
    assert.deepEqual(odoo.orm.search('product.product', [['default_code', '=', 'ORM-ARCH']], {}, { active_test: false }), [product]);
    assert.deepEqual(odoo.orm.search('product.product', [['default_code', '=', 'ORM-ARCH'], ['active', '=', false]]), [product]);
    assert.deepEqual(odoo.orm.read('product.product', [product, 999_999], ['default_code']).map((r) => r.id), [product]);
  });

  test('a variant carries its template\'s fields: read through, and written to the template', () => {
    const odoo = fresh();
    const product = odoo.desk.addProduct('ORM-TPL', { name: 'Lamp', price: 12.5 });
    assert.deepEqual(odoo.orm.read('product.product', [product], ['name', 'list_price']).map((r) => [r.name, r.list_price]), [['Lamp', 12.5]]);
    odoo.orm.write('product.product', [product], { name: 'Desk lamp' });
    const template = (odoo.orm.read('product.product', [product], ['product_tmpl_id'])[0]!.product_tmpl_id as [number, string])[0];
    assert.equal(odoo.orm.read('product.template', [template], ['name'])[0]!.name, 'Desk lamp');
  });
});
