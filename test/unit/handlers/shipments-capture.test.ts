// Shipments and the captures they make, rule by rule (rules.partialShipmentsToStore,
// shipmentEmailsFrom, capture with settleFrom), on the real engine over the in-memory pair.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { importedOrder, openShop, stocked, type Settings, type Shop } from './harness.js';

const PRODUCTS = [{ sku: 'LAMP', priceMinor: 3000, onHand: 20 }, { sku: 'BULB', priceMinor: 300, onHand: 50 }];
/** 2 lamps at 33.00 and shipping 5.50, tax included: 71.50 */
const TWO_LAMPS = [{ sku: 'LAMP', quantity: 2 }];

async function shopWithOrder(settings: Settings, pay: 'authorise' | 'capture' = 'authorise'): Promise<{ shop: Shop; code: string }> {
  const shop = await openShop(settings);
  await stocked(shop, PRODUCTS);
  return { shop, code: await importedOrder(shop, TWO_LAMPS, { shippingMinor: 500, pay }) };
}

describe('rules.partialShipmentsToStore', () => {
  test('true: each shipment becomes its own fulfilment as it leaves, with its lines, carrier and tracking code', async () => {
    const { shop, code } = await shopWithOrder({ rules: { partialShipmentsToStore: true } });
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }], { carrier: 'DHL', trackingCode: 'T1' });
    await shop.settle();
    assert.deepEqual(shop.store.order(code).fulfilments.map((f) => f.lines), [[{ sku: 'LAMP', quantity: 1 }]]);
    shop.inv.ship(code, undefined, { trackingCode: 'T2' });
    await shop.settle();
    assert.deepEqual(shop.store.order(code).fulfilments.map((f) => f.lines), [[{ sku: 'LAMP', quantity: 1 }], [{ sku: 'LAMP', quantity: 1 }]]);
    const reported = (await shop.audit(code)).filter((a) => a.action === 'shipment.reported');
    assert.deepEqual(reported.map((a) => [a.detail?.carrier, a.detail?.trackingCode]), [['DHL', 'T1'], [null, 'T2']]);
    assert.equal(reported[0].setting, 'rules.partialShipmentsToStore=true, rules.shipmentEmailsFrom=store');
    await shop.close();
  });

  test('false: nothing while part of the order waits; once all has left, one fulfilment with every line and every tracking code', async () => {
    const { shop, code } = await shopWithOrder({ rules: { partialShipmentsToStore: false } });
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }], { trackingCode: 'T1' });
    await shop.settle();
    assert.deepEqual(shop.store.order(code).fulfilments, []);
    assert.ok((await shop.actions(code)).includes('shipment.held'));
    shop.inv.ship(code, undefined, { trackingCode: 'T2' });
    await shop.settle();
    const [only, ...more] = shop.store.order(code).fulfilments;
    assert.deepEqual(more, []);
    assert.deepEqual(only.lines, [{ sku: 'LAMP', quantity: 2 }]);
    assert.equal((await shop.audit(code)).find((a) => a.action === 'shipment.reported')?.detail?.trackingCode, 'T1, T2');
    await shop.close();
  });

  test('the store down while goods ship: the shipment waits and is reported once the store answers again', async () => {
    const { shop, code } = await shopWithOrder({});
    shop.store.faults.down = true;
    shop.inv.ship(code);
    await shop.settle();
    assert.equal(shop.engine.readiness().systems['memory-store'].state, 'unreachable');
    assert.equal((await shop.engine.ctx.storage.jobs({ kind: 'shipment.toStore', state: 'pending' })).length, 1, 'waiting for a retry');
    shop.store.faults.down = false;
    await shop.later();
    assert.equal(shop.store.order(code).fulfilments.length, 1);
    assert.deepEqual(await shop.engine.ctx.storage.failures(), []);
    await shop.close();
  });

  test('a crash after the store made the fulfilment: the retry finds it by its ref, no second one', async () => {
    const { shop, code } = await shopWithOrder({});
    shop.inv.ship(code);
    await shop.crashAt('shipment.fulfilmentWritten');
    assert.equal(shop.store.order(code).fulfilments.length, 1);
    assert.deepEqual((await shop.actions(code)).filter((a) => a.startsWith('shipment.')), ['shipment.linked']);
    await shop.close();
  });
});

describe('rules.shipmentEmailsFrom', () => {
  const mails: { to: string[]; data: string }[] = [];
  let smtp: SMTPServer;
  let port = 0;
  before(async () => {
    smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
      onData(stream, session, done) {
        let data = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => { data += c; });
        stream.on('end', () => { mails.push({ to: (session.envelope.rcptTo || []).map((r) => r.address), data }); done(); });
      } });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    port = (smtp.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  const shipped = async (shipmentEmailsFrom: string, crashAt?: string) => {
    mails.length = 0;
    const { shop, code } = await shopWithOrder({ rules: { shipmentEmailsFrom }, email: { host: '127.0.0.1', port } });
    shop.inv.ship(code, undefined, { trackingCode: 'T1' });
    if (crashAt) await shop.crashAt(crashAt); else await shop.settle();
    return { shop, code };
  };

  test('store: the store tells the customer as it records the fulfilment; Dovetail sends nothing', async () => {
    const { shop, code } = await shipped('store');
    assert.deepEqual(shop.store.emails, [{ to: 'ada@example.com', about: `order ${code} shipped` }]);
    assert.equal(shop.store.order(code).fulfilments[0].customerTold, true);
    assert.deepEqual(mails, []);
    await shop.close();
  });

  for (const who of ['inventory', 'none']) {
    test(`${who}: the fulfilment is recorded silently and Dovetail sends nothing`, async () => {
      const { shop, code } = await shipped(who);
      assert.equal(shop.store.order(code).fulfilments.length, 1);
      assert.deepEqual(shop.store.emails, []);
      assert.deepEqual(mails, []);
      assert.equal((await shop.audit(code)).find((a) => a.action === 'shipment.reported')?.detail?.customerToldBy, who);
      await shop.close();
    });
  }

  test('dovetail: Dovetail emails the customer once, with the tracking code; the store stays silent', async () => {
    const { shop, code } = await shipped('dovetail');
    assert.deepEqual(shop.store.emails, []);
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0].to, ['ada@example.com']);
    assert.match(mails[0].data, /T1/);
    await shop.settle();
    assert.equal(mails.length, 1, 'sent once');
    assert.equal((await shop.actions(code)).filter((a) => a === 'shipment.emailed').length, 1);
    await shop.close();
  });

  test('dovetail, a crash after the mail went out: the retry sends the same message again (same Message-ID), recorded once', async () => {
    const { shop, code } = await shipped('dovetail', 'shipment.emailSent');
    const ids = mails.map((m) => /^Message-ID: (.*)$/im.exec(m.data)?.[1]);
    assert.equal(ids.length, 2, 'the documented trade: told twice rather than never');
    assert.equal(ids[0], ids[1]);
    assert.equal((await shop.actions(code)).filter((a) => a === 'shipment.emailed').length, 1);
    await shop.close();
  });
});

describe('rules.capture and settleFrom at shipment', () => {
  test('capture: atOrder — a shipment captures nothing; the checkout\'s capture is recorded against the sale once', async () => {
    const { shop, code } = await shopWithOrder({ rules: { capture: 'atOrder' } }, 'capture');
    shop.inv.ship(code);
    await shop.settle();
    assert.deepEqual(shop.store.order(code).payments.map((p) => [p.state, p.amountMinor, p.captureKey]), [['captured', 7150, null]]);
    assert.deepEqual(shop.inv.paymentsOf(code).map((p) => [p.kind, p.state, p.amountMinor, p.recordedByDovetail]), [['receivable', 'succeeded', 7150, true]]);
    assert.deepEqual((await shop.actions(code)).filter((a) => a.startsWith('payment.')), ['payment.recorded']);
    await shop.close();
  });

  test('capture: atShipment, settleFrom: store — each shipment captures its own amount (the first with shipping), adding up to the total', async () => {
    const { shop, code } = await shopWithOrder({ rules: { capture: 'atShipment', settleFrom: 'store' } });
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    shop.inv.ship(code);
    await shop.settle();
    const captured = shop.store.order(code).payments.filter((p) => p.state === 'captured');
    assert.deepEqual(captured.map((p) => p.amountMinor), [3850, 3300]);
    assert.deepEqual(shop.store.order(code).payments.filter((p) => p.state === 'authorised'), [], 'nothing left authorised');
    assert.deepEqual(shop.inv.paymentsOf(code).map((p) => [p.amountMinor, p.state, p.recordedByDovetail]), [[3850, 'succeeded', true], [3300, 'succeeded', true]]);
    assert.deepEqual((await shop.actions(code)).filter((a) => a.startsWith('payment.')), ['payment.captured', 'payment.captured'],
      'Dovetail\'s own captures are not recorded a second time as the store\'s');
    await shop.close();
  });

  test('capture: atShipment — a crash right after the store captured: the retry finds the capture by its key, charges nothing more', async () => {
    const { shop, code } = await shopWithOrder({ rules: { capture: 'atShipment' } });
    shop.inv.ship(code);
    await shop.crashAt('capture.captured');
    assert.deepEqual(shop.store.order(code).payments.filter((p) => p.state === 'captured').map((p) => p.amountMinor), [7150]);
    assert.deepEqual(shop.inv.paymentsOf(code).map((p) => p.amountMinor), [7150]);
    assert.deepEqual((await shop.actions(code)).filter((a) => a.startsWith('payment.')), ['payment.captureFound']);
    await shop.close();
  });

  test('capture: atShipment, settleFrom: inventory — the shipment\'s amount waits as a proposed payment; processing it captures', async () => {
    const { shop, code } = await shopWithOrder({ rules: { capture: 'atShipment', settleFrom: 'inventory' } });
    shop.inv.ship(code, [{ sku: 'LAMP', quantity: 1 }]);
    await shop.settle();
    const [proposed] = shop.inv.paymentsOf(code);
    assert.deepEqual([proposed.amountMinor, proposed.state, proposed.recordedByDovetail], [3850, 'pending', false]);
    assert.deepEqual(shop.store.order(code).payments.map((p) => p.state), ['authorised'], 'nothing captured yet');
    shop.inv.processPayment(proposed.id);
    await shop.settle();
    assert.deepEqual(shop.store.order(code).payments.filter((p) => p.state === 'captured').map((p) => p.amountMinor), [3850]);
    assert.equal(shop.inv.paymentsOf(code)[0].state, 'succeeded');
    assert.deepEqual((await shop.actions(code)).filter((a) => a.startsWith('payment.')), ['payment.proposed', 'payment.captured']);
    await shop.close();
  });
});
