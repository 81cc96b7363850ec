// The promises of the inventory side of the connector contract (src/connectors/types.ts), checked
// the same way on every inventory connector: call `inventoryContract(subject)` from a test file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../src/errors.js';
import { capability, oneOrder, type RecordKind, type InventoryCapabilities, type InventoryCapability } from '../../src/connectors/types.js';
import { Customer } from '../../src/model/customer.js';
import { OfflineSale } from '../../src/model/offline-order.js';
import { OrderLinesState } from '../../src/model/order-lines.js';
import { CreditNoteState, InventoryPaymentState } from '../../src/model/payment.js';
import { Product } from '../../src/model/product.js';
import { OrderShipments, SALE_KEY, ShipmentState } from '../../src/model/shipment.js';
import { IncomingStock, StockPosition } from '../../src/model/stock.js';
import { declarationChecks } from './declaration.js';
import { feedPagingCheck, listEverything, readWholeFeed, someCustomer, someOrder, type InventorySubject, type InventoryWorld } from './subject.js';

/** Every method of each inventory group, so a declared group is seen to be carried whole. */
export const INVENTORY_METHODS: { [G in InventoryCapability]: readonly (keyof InventoryCapabilities[G])[] } = {
  catalogue: ['getProducts', 'listSkus', 'writeProductFields'],
  stock: ['getStock'],
  customers: ['upsertCustomer'],
  sales: ['importOrder'],
  shipments: ['getShipments', 'shipmentForCapture'],
  payments: ['recordPayment', 'proposePayment', 'getPayment', 'completePayment', 'recordCreditNote', 'getCreditNote', 'getSaleMoney'],
  orderChanges: ['getSaleLines', 'setSaleQuantities', 'recordReturn'],
  offlineSales: ['getOfflineSale', 'getInventoryCustomer'],
  images: ['listImages', 'openImage', 'putImage', 'setImages'],
  taxes: ['listSalesTaxes', 'putSalesTax'],
  shippingMethods: ['listShippingMethods', 'putShippingMethod'],
  incoming: ['getIncoming'],
  customerEdits: ['findParty', 'getParty', 'updateParty'],
};

const UNIT_NET = 1_000;
/** an id no system under test has given out */
const NEVER_ID = '987654321';

export function inventoryContract(subject: InventorySubject): void {
  describe(`${subject.name}: the inventory contract`, () => {
    let world: InventoryWorld;
    const conn = () => world.connector;
    const group = <G extends InventoryCapability>(g: G) => capability(conn(), g, 'the contract suite');
    const run = Date.now().toString(36).slice(-5).toUpperCase();
    const sku = (name: string) => `CT-${run}-${name}`;
    const code = (name: string) => `CT${run}${name}`;

    before(async () => { world = await subject.open(); });
    after(async () => { await world?.close(); });

    declarationChecks('inventory', subject, { connector: conn, reach: (g) => capability(conn(), g, 'the contract suite'), methods: INVENTORY_METHODS });

    /** every key a feed holds, read from its beginning */
    const feedKeys = async (kind: RecordKind) => (await readWholeFeed((c) => conn().readChanges(kind, c), null)).keys;

    const checks = (g: InventoryCapability | 'feeds', body: () => void) => { if (subject.checked.includes(g)) describe(g, body); };

    // products made once, on first use: A has 2 units on hand, B 10
    const [a, b] = [sku('A'), sku('B')];
    let products: Promise<void> | undefined;
    const stocked = () => (products ??= (async () => { await world.driver.product(a, 2); await world.driver.product(b, 10); })());

    /** a web order imported as a sale: its code and what the import answered */
    const imported = async (name: string, lines: { sku: string; quantity: number }[]) => {
      await stocked();
      const customer = someCustomer(`${run.toLowerCase()}-${name.toLowerCase()}`);
      const { id: customerId } = await conn().upsertCustomer(customer);
      const order = someOrder(code(name), world.driver.currency, customer, lines.map((l) => ({ ...l, unitNetMinor: UNIT_NET })));
      return { order, customerId, sale: await conn().importOrder(order, { customerId }) };
    };
    // one order shared by the shipment and order-change checks: 3 × A ordered, 2 on hand, so 2 ship
    let partlyShipped: Promise<string> | undefined;
    const shippedOrder = () => (partlyShipped ??= (async () => {
      const { order } = await imported('SHIP', [{ sku: a, quantity: 3 }, { sku: b, quantity: 1 }]);
      await world.driver.ship(order.code);
      return order.code;
    })());

    checks('catalogue', () => {
      test('getProducts: canonical products by SKU, unknown SKUs absent; listSkus pages through every SKU', async () => {
        await stocked();
        const got = await conn().getProducts([a, b, sku('NEVER')]);
        assert.deepEqual([...got.keys()].sort(), [a, b].sort());
        for (const [s, p] of got) { Product.parse(p); assert.equal(p.sku, s); }
        assert.equal((await conn().getProducts([])).size, 0);
        const all = await listEverything((o, l) => conn().listSkus(o, l));
        for (const s of [a, b]) assert.ok(all.includes(s), `${s} listed`);
        assert.equal(new Set(all).size, all.length, 'no SKU twice across pages');
      });
      test('writeProductFields: writes the given groups, leaves unknown SKUs alone', async () => {
        await stocked();
        await conn().writeProductFields([{ sku: a, fields: { descriptions: { description: `Written by the contract ${run}` } } },
          { sku: sku('NEVER'), fields: { descriptions: { description: 'nobody' } } }]);
        assert.equal((await conn().getProducts([a])).get(a)?.fields.descriptions?.description, `Written by the contract ${run}`);
      });
      test('price levels (master.priceLevels): written to a product and read back, then one of them changed, or the descriptor says why the system cannot', async () => {
        const cannot = subject.cannotCarry?.['master.priceLevels'];
        if (cannot) {
          assert.match(cannot, /\w+ \w+ \w+/, 'the platform limit, in words `check` shows');
          return;
        }
        await stocked();
        const [wholesale, trade] = [`wholesale-${run}`, `trade-${run}`];
        const levels = async () => (await conn().getProducts([a])).get(a)?.fields.priceLevels?.levels ?? {};
        await conn().writeProductFields([{ sku: a, fields: { priceLevels: { levels: { [wholesale]: 800, [trade]: 900 } } } }]);
        assert.deepEqual([(await levels())[wholesale], (await levels())[trade]], [800, 900]);
        await conn().writeProductFields([{ sku: a, fields: { priceLevels: { levels: { [wholesale]: 750, [trade]: 900 } } } }]);
        const now = await levels();
        assert.deepEqual([now[wholesale], now[trade]], [750, 900], 'a changed level, the other kept');
      });
    });

    checks('stock', () => {
      test('getStock: canonical positions by SKU, unknown SKUs absent', async () => {
        await stocked();
        const got = await conn().getStock([a, b, sku('NEVER')]);
        assert.deepEqual([...got.keys()].sort(), [a, b].sort());
        for (const p of got.values()) StockPosition.parse(p);
        assert.equal(got.get(b)?.onHand, 10);
      });
    });

    checks('incoming', () => {
      test('getIncoming: what open purchases bring in per SKU, with the earliest day; nothing on its way or unknown is absent', async () => {
        await stocked();
        const purchase = world.driver.purchase;
        assert.ok(purchase, `${subject.name} checks incoming, so its driver must arrange purchases`);
        await purchase(a, 3, '2030-02-01');
        await purchase(a, 4, '2030-01-15');
        const got = await group('incoming').getIncoming([a, b, sku('NEVER')]);
        assert.deepEqual([...got.keys()], [a]);
        assert.deepEqual(IncomingStock.parse(got.get(a)), { sku: a, quantity: 7, expectedDate: '2030-01-15' });
      });
    });

    checks('customers', () => {
      test('upsertCustomer: found by email before it is made; a repeat makes no second one', async () => {
        const c = someCustomer(`${run.toLowerCase()}-upsert`);
        Customer.parse(c);
        const first = await conn().upsertCustomer(c);
        const again = await conn().upsertCustomer(c);
        assert.equal(first.created, true);
        assert.deepEqual(again, { id: first.id, created: false });
      });
    });

    checks('sales', () => {
      test('importOrder: the sale for a web order, to the cent, its units held under its id; a repeat finds it by the order code', async () => {
        const { order, customerId, sale } = await imported('SALE', [{ sku: b, quantity: 2 }]);
        assert.equal(sale.created, true);
        assert.equal(sale.totalMinor, order.totalMinor, 'the store\'s total, to the cent');
        const again = await conn().importOrder(order, { customerId });
        assert.deepEqual(again, { ...sale, created: false });
        // the units it holds are listed under the sale's id, so the engine can tell the store's own orders from others
        const held = await eventually('the sale\'s units held in stock', async () =>
          (await conn().getStock([b])).get(b)?.allocations.find((x) => x.saleId === sale.id));
        assert.equal(held.quantity, 2);
      });
    });

    checks('shipments', () => {
      test('getShipments / shipmentForCapture: what left the warehouse, in canonical terms, fed by order code and sale id; null for what does not exist', async () => {
        const orderCode = await shippedOrder();
        const shipments = group('shipments');
        const got = await shipments.getShipments(orderCode);
        assert.ok(got);
        OrderShipments.parse(got);
        assert.equal(got.complete, false, 'one unit of A waits');
        assert.equal(got.shipments.length, 1);
        assert.deepEqual(got.shipments[0]!.lines.map((l) => [l.sku, l.quantity]).sort(), [[a, 2], [b, 1]]);
        const capture = await shipments.shipmentForCapture(got.shipments[0]!.id);
        assert.ok(capture);
        ShipmentState.parse(capture.state);
        assert.deepEqual([capture.orderCode, capture.first, capture.earlier], [orderCode, true, []]);
        assert.equal(await shipments.getShipments(code('NEVER')), null);
        assert.equal(await shipments.shipmentForCapture(NEVER_ID), null);
        assert.equal((await shipments.getShipments('', { saleId: got.saleId }))?.saleId, got.saleId, 'found by sale id too');
        const fed = await feedKeys('shipment');
        assert.ok(fed.has(orderCode) && fed.has(`${SALE_KEY}${got.saleId}`), `the shipment feed is keyed by order code and ${SALE_KEY}<id>`);
      });
    });

    checks('orderChanges', () => {
      test('setSaleQuantities: never below what shipped, a repeat changes nothing; recordReturn once per key; fed by order code', async () => {
        const orderCode = await shippedOrder();
        const changes = group('orderChanges');
        const saleLines = (c: string) => oneOrder(changes.getSaleLines([c]), c);
        const before = await saleLines(orderCode);
        assert.ok(before);
        OrderLinesState.parse(before);
        const lineOf = (s: typeof before, k: string) => s.lines.find((l) => l.sku === k);
        assert.deepEqual([lineOf(before, a)?.quantity, lineOf(before, a)?.shipped], [3, 2]);
        const unit = { unitNetMinor: UNIT_NET, taxRatePercent: 10 };
        await assert.rejects(changes.setSaleQuantities(orderCode, [{ sku: a, quantity: 1, ...unit }], 'contract: below shipped'), DovetailError);
        assert.deepEqual(await saleLines(orderCode), before, 'a refused change leaves the sale as it was');
        await changes.setSaleQuantities(orderCode, [{ sku: a, quantity: 2, ...unit }], 'contract: the third A is cancelled');
        const cancelled = await saleLines(orderCode);
        assert.equal(lineOf(cancelled!, a)?.quantity, 2);
        await changes.setSaleQuantities(orderCode, [{ sku: a, quantity: 2, ...unit }], 'contract: again');
        assert.deepEqual(await saleLines(orderCode), cancelled, 'a repeat changes nothing');

        const first = await changes.recordReturn(orderCode, [{ sku: a, quantity: 1 }], { key: `ret-${run}`, note: 'contract: one back', creditNote: false });
        const again = await changes.recordReturn(orderCode, [{ sku: a, quantity: 1 }], { key: `ret-${run}`, note: 'contract: one back', creditNote: false });
        assert.equal(first.created, true);
        assert.deepEqual(again, { id: first.id, created: false });
        assert.ok((await feedKeys('sale')).has(orderCode), 'the sale feed is keyed by order code');
        const returned = lineOf((await saleLines(orderCode))!, a);
        assert.deepEqual([returned?.quantity, returned?.returned], [1, 1]);
        // many orders in one read: each answered as alone, an unknown code absent
        const other = (await imported('BATCH', [{ sku: b, quantity: 1 }])).order.code;
        const both = await changes.getSaleLines([orderCode, code('NEVER'), other]);
        assert.deepEqual([...both.keys()].sort(), [orderCode, other].sort());
        assert.deepEqual(both.get(orderCode), await saleLines(orderCode));
        assert.deepEqual(both.get(other), await saleLines(other));
        assert.deepEqual(await changes.getSaleLines([]), new Map());
      });
    });

    checks('payments', () => {
      test('recordPayment / proposePayment / recordCreditNote: once per key, in canonical terms, Dovetail\'s own recognisable', async () => {
        const { order } = await imported('PAY', [{ sku: b, quantity: 1 }]);
        const pay = group('payments');
        const p = { kind: 'receivable' as const, amountMinor: order.totalMinor, key: `pay-${run}`, description: 'contract capture' };
        const recorded = await pay.recordPayment(order.code, p);
        assert.equal(recorded.created, true);
        assert.deepEqual(await pay.recordPayment(order.code, p), { id: recorded.id, created: false });
        const got = await pay.getPayment(recorded.id);
        assert.ok(got);
        InventoryPaymentState.parse(got.state);
        assert.deepEqual([got.orderCode, got.kind, got.state, got.amountMinor, got.recordedByDovetail], [order.code, 'receivable', 'succeeded', order.totalMinor, true]);

        const refund = { kind: 'payable' as const, amountMinor: 200, key: `payout-${run}`, description: 'contract refund paid out' };
        const paidOut = await pay.recordPayment(order.code, refund);
        assert.deepEqual(await pay.recordPayment(order.code, refund), { id: paidOut.id, created: false });
        const out = await pay.getPayment(paidOut.id);
        assert.deepEqual([out?.kind, out?.state, out?.amountMinor, out?.recordedByDovetail], ['payable', 'succeeded', 200, true]);

        const proposal = { amountMinor: 500, key: `prop-${run}`, description: 'contract proposal' };
        const proposed = await pay.proposePayment(order.code, proposal);
        assert.equal(proposed.created, true);
        assert.deepEqual(await pay.proposePayment(order.code, proposal), { id: proposed.id, created: false });
        const open = await pay.getPayment(proposed.id);
        assert.deepEqual([open?.state, open?.recordedByDovetail], ['pending', false], 'left for an operator: not an echo of a store payment');
        await pay.completePayment(proposed.id, 'succeeded', 'contract: the store captured it');
        assert.equal((await pay.getPayment(proposed.id))?.state, 'succeeded');
        assert.equal(await pay.getPayment(NEVER_ID), null);
        // what reconcile compares with the store's captured and refunded totals
        assert.deepEqual(await pay.getSaleMoney(order.code), { receivedMinor: order.totalMinor + 500, paidOutMinor: 200 });
        assert.equal(await pay.getSaleMoney(code('NEVER')), null);

        const credit = { amountMinor: 300, key: `cn-${run}`, description: 'contract refund' };
        const note = await pay.recordCreditNote(order.code, credit);
        assert.equal(note.created, true);
        assert.deepEqual(await pay.recordCreditNote(order.code, credit), { id: note.id, created: false });
        const cn = await pay.getCreditNote(note.id);
        assert.ok(cn);
        CreditNoteState.parse(cn.state);
        assert.deepEqual([cn.orderCode, cn.amountMinor, cn.byDovetail], [order.code, 300, true]);
        assert.equal(await pay.getCreditNote(NEVER_ID), null);
      });
    });

    checks('offlineSales', () => {
      test('getOfflineSale / getInventoryCustomer: a phone sale and its customer in canonical terms, fed by sale id and email; null for what does not exist', async () => {
        await stocked();
        const email = `contract-${run.toLowerCase()}-phone@example.com`;
        const saleId = await world.driver.phoneSale(email, [{ sku: b, quantity: 2 }]);
        const offline = group('offlineSales');
        const sale = await offline.getOfflineSale(saleId);
        assert.ok(sale);
        OfflineSale.parse(sale);
        assert.deepEqual([sale.id, sale.customer.email, sale.lines.map((l) => [l.sku, l.quantity])], [saleId, email, [[b, 2]]]);
        assert.ok(['confirmed', 'processing'].includes(sale.state), `a confirmed order, not shipped yet: ${sale.state}`);
        assert.equal(await offline.getOfflineSale(NEVER_ID), null);
        const who = await offline.getInventoryCustomer(email);
        assert.equal(who?.hasSales, true);
        assert.equal(who?.customer.email, email);
        assert.equal(await offline.getInventoryCustomer(`contract-${run.toLowerCase()}-nobody@example.com`), null);
        assert.ok((await feedKeys('order')).has(saleId), 'the offline order feed is keyed by sale id');
        assert.ok((await feedKeys('customer')).has(email), 'the customer feed is keyed by email');
      });
    });

    checks('feeds', () => {
      feedPagingCheck(subject.name, () => world.driver.manyRows(), (kind, cursor) => conn().readChanges(kind, cursor));
    });
  });
}

/**
 * What a system does just after a call (Tryton's worker processes a confirmed sale a moment later),
 * asked again until it holds, for at most 30 s.
 */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const end = Date.now() + 30_000; ;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`never saw ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
