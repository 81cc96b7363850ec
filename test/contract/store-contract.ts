// The promises of the store side of the connector contract (src/connectors/types.ts), checked the
// same way on every store connector: call `storeContract(subject)` from a test file per system.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../src/errors.js';
import { capability, oneOrder, type RecordKind, type StockWriteResult, type StoreCapabilities, type StoreCapability, type WriteResult } from '../../src/connectors/types.js';
import { Customer, normaliseEmail } from '../../src/model/customer.js';
import type { OfflineSale } from '../../src/model/offline-order.js';
import { Order } from '../../src/model/order.js';
import { OrderLinesState } from '../../src/model/order-lines.js';
import { StorePayment } from '../../src/model/payment.js';
import { Product, type FieldGroup } from '../../src/model/product.js';
import { captureAmount } from '../../src/rules/capture-amount.js';
import { declarationChecks } from './declaration.js';
import { feedPagingCheck, listEverything, readWholeFeed, someProduct, type StoreSubject, type StoreWorld } from './subject.js';

/** Every method of each store group, so a declared group is seen to be carried whole. */
export const STORE_METHODS: { [G in StoreCapability]: readonly (keyof StoreCapabilities[G])[] } = {
  catalogue: ['getProducts', 'listSkus', 'upsertProducts'],
  stock: ['setAvailable'],
  customers: ['getCustomer', 'listCustomerEmails'],
  orders: ['getOrder', 'listOrderCodes'],
  fulfilment: ['recordShipment'],
  payments: ['getPayments', 'capturePayment', 'refundPayment'],
  orderChanges: ['getOrderLines', 'cancelOrderUnits', 'raiseOrderQuantities', 'releaseAuthorisation'],
  offlineOrders: ['findOfflineOrder', 'startOfflineOrder', 'placeOfflineOrder'],
  accounts: ['findCustomerAccount', 'createCustomerAccount', 'inviteCustomer', 'addCustomerAddresses'],
  webhooks: ['parseWebhook'],
  images: ['listImages', 'openImage', 'putImage', 'setImages'],
  taxes: ['listSalesTaxes', 'putSalesTax'],
  shippingMethods: ['listShippingMethods', 'putShippingMethod'],
  incoming: ['setIncoming'],
  customerEdits: ['findCustomerId', 'getCustomerById', 'updateCustomerDetails'],
  reconcile: ['getAvailable', 'listOrderCodesSince'],
};

const PRICE = 1_250;
/** what a new product is written with */
const NEW_PRODUCT: FieldGroup[] = ['names', 'prices', 'availability'];

const refusal = (r: object) => ('error' in r && r.error instanceof DovetailError ? r.error : null);

export function storeContract(subject: StoreSubject): void {
  describe(`${subject.name}: the store contract`, () => {
    let world: StoreWorld;
    const conn = () => world.connector;
    const group = <G extends StoreCapability>(g: G) => capability(conn(), g, 'the contract suite');
    /** a short tag per run, so keys stay distinct in a system that outlives one run */
    const run = Date.now().toString(36).slice(-5).toUpperCase();
    const sku = (name: string) => `CT-${run}-${name}`;
    const email = (name: string) => `contract-${run.toLowerCase()}-${name}@example.com`;
    let currency = '';
    /** SKUs on sale with stock, made by the catalogue and stock groups, for orders */
    const onSale = async (skus: string[], available: number) => {
      const made = await conn().upsertProducts(skus.map((s) => ({ product: someProduct(s, PRICE, currency), groups: NEW_PRODUCT })));
      assert.deepEqual(made.filter((r) => refusal(r)), []);
      await conn().setAvailable(skus.map((s) => ({ sku: s, available })));
    };

    before(async () => {
      world = await subject.open();
      currency = world.driver.currency;
    });
    after(async () => { await world?.close(); });

    declarationChecks('store', subject, { connector: conn, reach: (g) => capability(conn(), g, 'the contract suite'), methods: STORE_METHODS });

    /** every key a feed holds, read from its beginning */
    const feedKeys = async (kind: RecordKind) => (await readWholeFeed((c) => conn().readChanges(kind, c), null)).keys;

    const checks = (g: StoreCapability | 'feeds', body: () => void) => { if (subject.checked.includes(g)) describe(g, body); };

    checks('catalogue', () => {
      const [a, b, refused] = [sku('CAT-A'), sku('CAT-B'), sku('CAT-REFUSED')];
      test('upsertProducts: one result per row, a refused row fails alone, a repeat finds what the first call made', async () => {
        const rows = [{ product: someProduct(a, PRICE, currency), groups: NEW_PRODUCT },
          { product: await world.driver.refusedProduct(refused), groups: NEW_PRODUCT },
          { product: someProduct(b, PRICE + 1, currency), groups: NEW_PRODUCT }];
        const first = await conn().upsertProducts(rows);
        assert.deepEqual(first.map((r) => r.sku).sort(), [a, b, refused].sort(), 'one result per row');
        const bySku = new Map(first.map((r) => [r.sku, r]));
        assert.ok(refusal(bySku.get(refused)!), `the refused row carries its own error: ${JSON.stringify(bySku.get(refused))}`);
        for (const s of [a, b]) assert.deepEqual({ ...bySku.get(s), id: undefined }, { sku: s, id: undefined, created: true }, `${s} created`);
        const again = await conn().upsertProducts(rows.filter((r) => r.product.sku !== refused));
        const idOf = (r: WriteResult | undefined) => (r && 'id' in r ? r.id : null);
        for (const s of [a, b]) {
          const r = again.find((x) => x.sku === s);
          assert.ok(r && 'created' in r && r.created === false, `${s} found, not made twice: ${JSON.stringify(r)}`);
          assert.equal(idOf(r), idOf(bySku.get(s)), 'the same record');
        }
      });
      test('getProducts: canonical products by SKU, unknown SKUs absent', async () => {
        const got = await conn().getProducts([a, b, sku('CAT-NEVER')]);
        assert.deepEqual([...got.keys()].sort(), [a, b].sort());
        for (const [s, p] of got) {
          Product.parse(p);
          assert.equal(p.sku, s);
        }
        assert.equal(got.get(a)?.fields.prices?.priceMinor, PRICE);
        assert.equal(got.get(b)?.fields.prices?.priceMinor, PRICE + 1);
        assert.equal((await conn().getProducts([])).size, 0);
      });
      test('upsertProducts: the SKUs of one group become variants of one product, each other group a product of its own', async () => {
        const [g1, g2, alone] = [sku('GRP-1'), sku('GRP-2'), sku('GRP-ALONE')];
        const inGroup = (s: string) => ({ product: { ...someProduct(s, PRICE, currency), groupKey: `${sku('GRP')}-KEY` }, groups: NEW_PRODUCT });
        const made = await conn().upsertProducts([inGroup(g1), inGroup(g2), { product: someProduct(alone, PRICE, currency), groups: NEW_PRODUCT }]);
        assert.deepEqual(made.filter((r) => refusal(r)), []);
        const got = await conn().getProducts([g1, g2, alone]);
        assert.equal(got.get(g1)?.groupKey, got.get(g2)?.groupKey, 'one product');
        assert.notEqual(got.get(g1)?.groupKey, got.get(alone)?.groupKey, 'a product of its own');
      });
      test('upsertProducts with attributes (master.productAttributes): the values come back, a relabelled value too; or the descriptor says the store cannot carry them', async () => {
        const [x, y] = [sku('ATTR-1'), sku('ATTR-2')];
        const values = (code: string, label: string) => ({ values: [{ attribute: 'colour', attributeLabel: 'Colour', code, label }] });
        const row = (s: string, code: string, label: string, groups: FieldGroup[]) => {
          const p = someProduct(s, PRICE, currency);
          return { product: { ...p, groupKey: `${sku('ATTR')}-KEY`, fields: { ...p.fields, attributes: values(code, label) } }, groups };
        };
        const made = await conn().upsertProducts([row(x, 'red', 'Red', [...NEW_PRODUCT, 'attributes']), row(y, 'blue', 'Blue', [...NEW_PRODUCT, 'attributes'])]);
        assert.deepEqual(made.filter((r) => refusal(r)), [], 'the products are written whether or not their attributes can be');
        const got = await conn().getProducts([x, y]);
        if (subject.cannotCarry?.['master.productAttributes']) {
          // a store that cannot carry them says so where check and report read it, and never reports values it does not keep
          assert.equal(got.get(x)?.fields.attributes, undefined);
          return;
        }
        assert.deepEqual(got.get(x)?.fields.attributes, values('red', 'Red'));
        assert.deepEqual(got.get(y)?.fields.attributes, values('blue', 'Blue'));
        assert.equal(got.get(x)?.groupKey, got.get(y)?.groupKey, 'variants of one product');
        assert.deepEqual((await conn().upsertProducts([row(x, 'red', 'Crimson', ['attributes'])])).filter((r) => refusal(r)), []);
        assert.deepEqual((await conn().getProducts([x])).get(x)?.fields.attributes, values('red', 'Crimson'), 'relabelled, matched by code');
      });
      test('price levels (master.priceLevels): written with a product and read back as written, or the descriptor says why the store cannot', async () => {
        const cannot = subject.cannotCarry?.['master.priceLevels'];
        if (cannot) {
          assert.match(cannot, /\w+ \w+ \w+/, 'the platform limit, in words `check` shows');
          return;
        }
        const s = sku('LEVELS');
        const withLevels = (levels: Record<string, number>) => ({ ...someProduct(s, PRICE, currency), fields: { ...someProduct(s, PRICE, currency).fields, priceLevels: { levels } } });
        assert.deepEqual((await conn().upsertProducts([{ product: withLevels({ wholesale: PRICE - 100 }), groups: [...NEW_PRODUCT, 'priceLevels'] }])).filter((r) => refusal(r)), []);
        assert.deepEqual((await conn().getProducts([s])).get(s)?.fields.priceLevels, { levels: { wholesale: PRICE - 100 } });
        await conn().upsertProducts([{ product: withLevels({ wholesale: PRICE - 200, trade: PRICE - 50 }), groups: ['priceLevels'] }]);
        assert.deepEqual((await conn().getProducts([s])).get(s)?.fields.priceLevels, { levels: { trade: PRICE - 50, wholesale: PRICE - 200 } }, 'a level changed and one added');
        await conn().upsertProducts([{ product: withLevels({}), groups: ['priceLevels'] }]);
        assert.deepEqual((await conn().getProducts([s])).get(s)?.fields.priceLevels, { levels: {} }, 'levels removed');
      });
      test('listSkus: every SKU, in pages', async () => {
        const all = await listEverything((o, l) => conn().listSkus(o, l));
        for (const s of [a, b]) assert.ok(all.includes(s), `${s} listed`);
        assert.equal(new Set(all).size, all.length, 'no SKU twice across pages');
        assert.ok((await conn().listSkus(0, 1)).length <= 1);
      });
    });

    checks('stock', () => {
      const [a, b, typo] = [sku('STK-A'), sku('STK-B'), sku('STK-TYPO')];
      test('setAvailable: one result per SKU the store has, unknown SKUs left out, a refused row fails alone, a repeat writes nothing', async () => {
        await onSale([a, b, typo], 1);
        const rows = [{ sku: a, available: 4 }, await world.driver.refusedStock(typo), { sku: sku('STK-NEVER'), available: 2 }, { sku: b, available: 6 }];
        const first = await conn().setAvailable(rows);
        assert.deepEqual(first.map((r) => r.sku).sort(), [a, b, typo].sort(), 'a SKU the store does not have is left out');
        const bySku = new Map(first.map((r) => [r.sku, r]));
        assert.ok(refusal(bySku.get(typo)!), `the refused row carries its own error: ${JSON.stringify(bySku.get(typo))}`);
        for (const s of [a, b]) assert.deepEqual(pick(bySku.get(s)!), { sku: s, written: true });
        const again = await conn().setAvailable([{ sku: a, available: 4 }, { sku: b, available: 6 }]);
        assert.deepEqual(again.map(pick), [{ sku: a, written: false }, { sku: b, written: false }], 'the store already showed these numbers');
      });
    });

    checks('incoming', () => {
      const [a, b] = [sku('INC-A'), sku('INC-B')];
      test('setIncoming: one result per SKU the store has, unknown SKUs left out, a repeat writes nothing, nothing incoming is written back', async () => {
        await onSale([a, b], 1);
        const rows = [{ sku: a, quantity: 10, expectedDate: '2030-01-15', backorder: true }, { sku: sku('INC-NEVER'), quantity: 2, expectedDate: null, backorder: false },
          { sku: b, quantity: 3, expectedDate: null, backorder: false }];
        const first = await group('incoming').setIncoming(rows);
        assert.deepEqual(first.map(pick).sort((x, y) => x.sku.localeCompare(y.sku)), [{ sku: a, written: true }, { sku: b, written: true }], 'a SKU the store does not have is left out');
        const again = await group('incoming').setIncoming(rows);
        assert.deepEqual(again.map(pick).sort((x, y) => x.sku.localeCompare(y.sku)), [{ sku: a, written: false }, { sku: b, written: false }], 'the store already showed these');
        const arrived = await group('incoming').setIncoming([{ sku: a, quantity: 0, expectedDate: null, backorder: false }]);
        assert.deepEqual(arrived.map(pick), [{ sku: a, written: true }], 'received or cancelled: the store is put back');
      });
    });

    checks('customers', () => {
      const who = email('customer');
      test('getCustomer: the canonical customer by email, null for an unknown one; listCustomerEmails pages through them', async () => {
        await world.driver.customer(who);
        const c = await conn().getCustomer(who);
        assert.ok(c, 'found');
        Customer.parse(c);
        assert.equal(normaliseEmail(c.email), who);
        assert.equal(await conn().getCustomer(email('nobody')), null);
        const all = (await listEverything((o, l) => conn().listCustomerEmails(o, l))).map(normaliseEmail);
        assert.ok(all.includes(who));
      });
    });

    // the orders of the groups below: placed once, shared, each check on its own order
    const orderSkus = [sku('ORD-A'), sku('ORD-B')];
    let ordersStocked: Promise<void> | undefined;
    const orderStock = () => (ordersStocked ??= onSale(orderSkus, 100));
    const placeOrder = async (tag: string, settle: boolean) => {
      await orderStock();
      return world.driver.order([{ sku: orderSkus[0]!, quantity: 2 }, { sku: orderSkus[1]!, quantity: 1 }], { email: email(tag), settle });
    };

    checks('orders', () => {
      test('getOrder: the placed order in canonical terms, null for an unknown code; listOrderCodes lists it oldest first; fed by order code', async () => {
        const code = await placeOrder('orders', false);
        const o = await conn().getOrder(code);
        assert.ok(o, 'found');
        Order.parse(o);
        assert.equal(o.code, code);
        assert.equal(o.status, 'placed');
        assert.equal(o.placedOffline, false, 'a web order');
        assert.deepEqual(o.lines.map((l) => [l.sku, l.quantity]).sort(), [[orderSkus[0], 2], [orderSkus[1], 1]]);
        assert.equal(o.totalMinor, o.totalNetMinor + o.totalTaxMinor);
        assert.equal(await conn().getOrder(`NEVER-${run}`), null);
        const later = await placeOrder('orders-later', false);
        const codes = await listEverything((off, l) => conn().listOrderCodes(off, l));
        assert.ok(codes.includes(code) && codes.indexOf(code) < codes.indexOf(later), 'listed, oldest first');
        const fed = await feedKeys('order');
        assert.ok(fed.has(code) && fed.has(later), 'the order feed is keyed by order code');
      });
    });

    checks('fulfilment', () => {
      test('recordShipment: one fulfilment per shipment ref, a repeat finds it', async () => {
        const code = await placeOrder('fulfil', true);
        const shipment = { ref: `ship-${run}-1`, shippedOn: new Date().toISOString().slice(0, 10), carrier: null, trackingCode: 'TRACK-1', lines: [{ sku: orderSkus[0]!, quantity: 1 }] };
        const first = await group('fulfilment').recordShipment(code, shipment, { notifyCustomer: false });
        const again = await group('fulfilment').recordShipment(code, shipment, { notifyCustomer: false });
        assert.equal(first.created, true);
        assert.deepEqual(again, { id: first.id, created: false });
      });
    });

    checks('payments', () => {
      test('capturePayment: never beyond what is authorised, once per key, and recognisable as Dovetail\'s', async () => {
        const code = await placeOrder('capture', false);
        const pay = group('payments');
        const before = (await pay.getPayments(code))!;
        for (const p of before.payments) StorePayment.parse(p);
        assert.equal(before.capturedMinor, 0);
        assert.ok(before.authorisedMinor > 0, 'the order is authorised, not captured');
        /** a capture asking for more than is authorised: refused, or held to what is */
        const beyond = async (key: string) => {
          const money = (await pay.getPayments(code))!;
          const asked = await pay.capturePayment(code, money.authorisedMinor + 1, key).catch((e: unknown) => {
            assert.ok(e instanceof DovetailError, String(e));
            return null;
          });
          assert.ok(!asked || asked.amountMinor <= money.authorisedMinor, 'never more than authorised');
          const now = (await pay.getPayments(code))!;
          assert.ok(now.capturedMinor - money.capturedMinor <= money.authorisedMinor, 'never more than authorised');
          return now;
        };
        const afterTry = await beyond(`too-much-${run}`);
        // the amount the engine asks at a shipment: its lines with tax, and the shipping charge with
        // the first one (a store that captures by invoicing items, like Magento, can capture only such amounts)
        const order = (await conn().getOrder(code))!;
        const shipped = [{ sku: order.lines[0]!.sku, quantity: order.lines[0]!.quantity }];
        if (subject.declared.includes('fulfilment')) {
          await group('fulfilment').recordShipment(code, { ref: `cap-ship-${run}`, shippedOn: new Date().toISOString().slice(0, 10), carrier: null, trackingCode: null, lines: shipped }, { notifyCustomer: false });
        }
        const part = captureAmount(order, { lines: shipped, earlier: [], first: true }).amountMinor;
        assert.ok(part < before.authorisedMinor, 'the capture is a part of the authorisation');
        const first = await pay.capturePayment(code, part, `cap-${run}`);
        const again = await pay.capturePayment(code, part, `cap-${run}`);
        assert.equal(first.created, true);
        assert.equal(first.amountMinor, part);
        assert.equal(again.created, false, 'the key was captured before');
        assert.equal(again.paymentId, first.paymentId);
        const now = (await pay.getPayments(code))!;
        assert.equal(now.capturedMinor, afterTry.capturedMinor + part, 'captured once');
        assert.ok(now.payments.some((p) => p.captureKey === `cap-${run}` && p.state === 'captured'), 'the capture carries its key');
        await beyond(`rest-${run}`); // after a partial capture, what is left is the limit
        assert.equal(await pay.getPayments(`NEVER-${run}`), null);
      });
      test('refundPayment: never beyond what was captured, once per key, and recognisable as Dovetail\'s', async () => {
        const code = await placeOrder('refund', true);
        const pay = group('payments');
        const before = (await pay.getPayments(code))!;
        assert.ok(before.capturedMinor > 0, 'the order was charged at checkout');
        await assert.rejects(pay.refundPayment(code, before.capturedMinor + 1, `too-much-${run}`, 'contract'), DovetailError);
        const part = Math.floor(before.capturedMinor / 3);
        const first = await pay.refundPayment(code, part, `ref-${run}`, 'contract');
        const again = await pay.refundPayment(code, part, `ref-${run}`, 'contract');
        assert.equal(first.created, true);
        assert.equal(again.created, false, 'the key was refunded before');
        const now = (await pay.getPayments(code))!;
        assert.equal(now.refundedMinor, before.refundedMinor + part, 'refunded once');
        assert.ok(now.payments.flatMap((p) => p.refunds).some((r) => r.dovetailKey === `ref-${run}`), 'the refund carries its key');
        await assert.rejects(pay.refundPayment(code, now.capturedMinor - now.refundedMinor + 1, `rest-${run}`, 'contract'), DovetailError);
      });
    });

    checks('orderChanges', () => {
      const qty = (s: OrderLinesState, k: string) => s.lines.find((l) => l.sku === k)?.quantity ?? 0;
      const refuses = (what: 'orderEdits' | 'partialCancellation') => subject.refuses?.includes(what) ?? false;
      /** a refusal the operator can act on: permanent (never retried), marked a conflict, saying why */
      const orderLines = (code: string) => oneOrder(group('orderChanges').getOrderLines([code]), code);
      const refusedClearly = (e: unknown) => e instanceof DovetailError && e.kind === 'permanent' && e.detail?.refusal === 'conflict' && e.message.length > 20;
      test('getOrderLines and raiseOrderQuantities (a repeat changes nothing), in canonical terms', async () => {
        const code = await placeOrder('changes', false);
        const changes = group('orderChanges');
        const lines = await orderLines(code);
        assert.ok(lines);
        OrderLinesState.parse(lines);
        assert.equal(qty(lines, orderSkus[0]!), 2);
        // many orders in one read: each answered as alone, an unknown code absent
        const other = await placeOrder('changes-too', false);
        const both = await changes.getOrderLines([code, `NEVER-${run}`, other]);
        assert.deepEqual([...both.keys()].sort(), [code, other].sort());
        assert.deepEqual(both.get(code), lines);
        assert.deepEqual(both.get(other), await orderLines(other));
        assert.deepEqual(await changes.getOrderLines([]), new Map());
        if (refuses('orderEdits')) {
          // a store without an API for order edits says so where check and report read it
          assert.ok(subject.cannotCarry?.['rules.orderEditsIn'], 'the descriptor names order edits as not carried out, so check says so');
          await assert.rejects(changes.raiseOrderQuantities(code, [{ sku: orderSkus[1]!, quantity: 2 }], 'contract: one more'), refusedClearly);
          assert.equal(qty((await orderLines(code))!, orderSkus[1]!), 1, 'nothing changed');
          return;
        }
        const raised = await changes.raiseOrderQuantities(code, [{ sku: orderSkus[1]!, quantity: 2 }], 'contract: one more');
        assert.ok(raised.totalAfterMinor > raised.totalBeforeMinor);
        const repeat = await changes.raiseOrderQuantities(code, [{ sku: orderSkus[1]!, quantity: 2 }], 'contract: one more');
        assert.equal(repeat.totalAfterMinor, repeat.totalBeforeMinor, 'already at that quantity');
        assert.equal(qty((await orderLines(code))!, orderSkus[1]!), 2);
      });
      test('cancelOrderUnits: some units (or, where the store cancels only the whole rest, a clear refusal), then every unit left', async () => {
        const code = await placeOrder('cancel', false);
        const changes = group('orderChanges');
        const some = changes.cancelOrderUnits(code, [{ sku: orderSkus[0]!, quantity: 1 }], { kind: 'cancel', reason: 'contract: one fewer' });
        if (refuses('partialCancellation')) {
          await assert.rejects(some, refusedClearly);
          assert.equal(qty((await orderLines(code))!, orderSkus[0]!), 2, 'nothing changed');
        } else {
          const cancelled = await some;
          assert.ok(cancelled.totalAfterMinor < cancelled.totalBeforeMinor);
          assert.equal(qty((await orderLines(code))!, orderSkus[0]!), 1);
        }
        const left = (await orderLines(code))!.lines.filter((l) => l.quantity > 0).map((l) => ({ sku: l.sku, quantity: l.quantity }));
        const all = await changes.cancelOrderUnits(code, left, { kind: 'cancel', reason: 'contract: nothing wanted' });
        assert.ok(all.totalAfterMinor < all.totalBeforeMinor);
        assert.deepEqual((await orderLines(code))!.lines.filter((l) => l.quantity > 0), [], 'no unit left');
      });
      test('releaseAuthorisation: gives up what is still authorised, once', async () => {
        const code = await placeOrder('release', false);
        const authorised = (await group('payments').getPayments(code))!.authorisedMinor;
        const first = await group('orderChanges').releaseAuthorisation(code, 'contract: nothing more to ship');
        assert.equal(first.releasedMinor, authorised);
        assert.equal((await group('payments').getPayments(code))!.authorisedMinor, 0);
        assert.equal((await group('orderChanges').releaseAuthorisation(code, 'contract: again')).releasedMinor, 0, 'nothing left to release');
      });
    });

    checks('offlineOrders', () => {
      test('startOfflineOrder / placeOfflineOrder: one store order per inventory sale, found by its ref, placing again changes nothing', async () => {
        await orderStock();
        const offline = group('offlineOrders');
        const ref = `contract:${run}`;
        const customer = { email: email('offline'), firstName: 'Phil', lastName: 'Phone', addresses: [
          { fullName: 'Phil Phone', street1: '3 Phone Lane', city: 'Portland', postalCode: '97201', countryCode: 'US' }] };
        const sale: OfflineSale = { id: run, number: `S-${run}`, state: 'confirmed', shipped: false, reference: null, customer,
          shippingAddress: customer.addresses[0]!, billingAddress: customer.addresses[0]!, currency,
          lines: [{ sku: orderSkus[0]!, name: 'Product A', quantity: 1 }], totalMinor: PRICE + PRICE / 10 };
        assert.equal(await offline.findOfflineOrder(ref), null);
        const { code } = await offline.startOfflineOrder(sale, { ref });
        // its status in Dovetail's words (the engine reads it as an OrderStatus): started is a cart
        assert.deepEqual(await offline.findOfflineOrder(ref), { code, state: 'cart' });
        const placed = await offline.placeOfflineOrder(code, sale, { customerId: null });
        const again = await offline.placeOfflineOrder(code, sale, { customerId: null });
        assert.deepEqual(again, placed, 'safe to call again');
        // still the one order, placed; a store may give the placed order a code of its own (Shopify)
        const now = await offline.findOfflineOrder(ref);
        assert.equal(now?.state, 'placed');
        const o = await conn().getOrder(now!.code);
        assert.equal(o?.status, 'placed');
        assert.equal(o?.placedOffline, true, 'the placed order says Dovetail made it for an inventory sale: never imported back');
        assert.deepEqual(o?.lines.map((l) => [l.sku, l.quantity]), [[orderSkus[0], 1]]);
      });
    });

    checks('accounts', () => {
      test('createCustomerAccount: found by email before it is made; addCustomerAddresses adds only what is missing', async () => {
        const accounts = group('accounts');
        const c = { email: email('account'), firstName: 'Ada', lastName: 'Account', addresses: [
          { fullName: 'Ada Account', street1: '9 Account Road', city: 'Portland', postalCode: '97201', countryCode: 'US' }] };
        assert.equal(await accounts.findCustomerAccount(c.email), null);
        const first = await accounts.createCustomerAccount(c, { invite: false });
        const again = await accounts.createCustomerAccount(c, { invite: false });
        assert.equal(first.created, true);
        assert.deepEqual(again, { id: first.id, created: false });
        assert.equal((await accounts.findCustomerAccount(c.email))?.id, first.id);
        const extra = { fullName: 'Ada Account', street1: '10 Second Street', city: 'Salem', postalCode: '97301', countryCode: 'US' };
        await accounts.addCustomerAddresses(first.id, c.addresses);
        assert.equal(await accounts.addCustomerAddresses(first.id, [...c.addresses, extra]), 1, 'only the address it lacked');
        assert.equal(await accounts.addCustomerAddresses(first.id, [...c.addresses, extra]), 0, 'a repeat adds nothing');
      });
      test('createCustomerAccount with an invitation: an account that waits for its password; inviteCustomer says what the store sent', async () => {
        const accounts = group('accounts');
        const c = { email: email('invited'), firstName: 'Ivy', lastName: 'Invited', addresses: [] };
        const made = await accounts.createCustomerAccount(c, { invite: true });
        assert.equal(made.created, true);
        assert.deepEqual(await accounts.findCustomerAccount(c.email), { id: made.id, hasAccount: true });
        const { how } = await accounts.inviteCustomer(c.email);
        assert.ok(how.length > 0);
      });
    });

    checks('webhooks', () => {
      test('parseWebhook: a signed body gives its changes; one whose signature does not match is refused, and one that is not UTF-8 is malformed', async () => {
        const code = `WH-${run}`;
        const signed = world.driver.signedWebhook(code);
        const changes = group('webhooks').parseWebhook(signed.body, signed.headers);
        assert.ok(changes.some((c) => c.kind === 'order' && c.key === code), JSON.stringify(changes));
        const tampered = new Uint8Array([...signed.body, 0x20]);
        // what the server answers 401 for
        const badSignature = (e: unknown) => e instanceof DovetailError && (e.kind === 'config' || e.detail?.reason === 'signature');
        assert.throws(() => group('webhooks').parseWebhook(tampered, signed.headers), badSignature);
        // the same event about "café" with the é in Latin-1: signed, but not UTF-8, so malformed, never read with a replacement character
        const utf8 = Buffer.from(world.driver.signedWebhook(`${code}-café`).body);
        const at = utf8.indexOf(Buffer.from('é'));
        const latin1 = Buffer.concat([utf8.subarray(0, at), Buffer.from([0xe9]), utf8.subarray(at + 2)]);
        assert.throws(() => group('webhooks').parseWebhook(latin1, world.driver.signedHeaders(latin1)),
          (e: unknown) => e instanceof DovetailError && !badSignature(e), 'refused as malformed, not as a bad signature');
      });
    });

    checks('feeds', () => {
      feedPagingCheck(subject.name, () => world.driver.manyRows(), (kind, cursor) => conn().readChanges(kind, cursor));
    });
  });
}

const pick = (r: StockWriteResult) => ('written' in r ? { sku: r.sku, written: r.written } : r);
