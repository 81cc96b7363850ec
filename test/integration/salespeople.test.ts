// rules.salespeople against the real systems: each web order imported into Tryton carries the
// salesperson of the first rule that matches (as the sale's commission agent), the default when
// none does, and the audit trail says which rule decided.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin } from './helpers/dovetail.js';

const oregon = { streetLine1: '1 Main St', city: 'Portland', province: 'Oregon', postalCode: '97201', countryCode: 'US' };
const texas = { streetLine1: '2 Elm St', city: 'Austin', province: 'Texas', postalCode: '73301', countryCode: 'US' };

describe('rules.salespeople: imported web orders get the salesperson of the first matching rule', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let engine: Engine;

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    const settings = settingsFor(tryton, vendure, {
      rules: {
        salespeople: {
          rules: [
            { when: { customerGroup: 'trade' }, assign: 'Greta Groups' },
            { when: { region: 'Oregon' }, assign: 'Olivia Oregon' },
            { when: { minTotal: 100 }, assign: 'Bob Bigorders' },
            { when: { sku: 'TEA-1' }, assign: 'Tim Tea' },
          ],
          default: 'Dana Default',
        },
      },
    });
    engine = await engineFor(settings.config);
    await receiveStock(t, await createTrytonProduct(t, 'MUG-1', 'Enamel mug', '12.50'), 100);
    await receiveStock(t, await createTrytonProduct(t, 'TEA-1', 'Loose tea', '4.00'), 100);
    await engine.tick();
  });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  /** The name of the agent's party on the sale made for this store order. */
  async function agentOf(code: string): Promise<string | null> {
    const sales = await salesFor(t, code);
    assert.equal(sales.length, 1, `one sale for ${code}`);
    if (sales[0].agent === null) return null;
    const [agent] = await t.read<{ party: number }>('commission.agent', [sales[0].agent], ['party']);
    const [party] = await t.read<{ name: string }>('party.party', [agent.party], ['name']);
    return party.name;
  }

  const salespersonAudit = async (code: string) => (await engine.ctx.storage.auditTrail(code)).filter((a) => a.action === 'order.salesperson');

  test('four orders, four answers: first match wins, the default catches the rest, and each is in the audit trail', async () => {
    const buyer = (email: string, address: typeof oregon) => ({ email, firstName: 'Sam', lastName: 'Buyer', address });
    // matches rule 1 (Oregon) and rule 2 (total >= 100) and rule 3 (TEA-1): rule 1 wins
    const oregonBig = await shopCheckout(vendure.url, { ...buyer('o@example.com', oregon), lines: [{ sku: 'MUG-1', quantity: 8 }, { sku: 'TEA-1', quantity: 1 }] });
    // matches rule 2 and rule 3: rule 2 wins
    const texasBig = await shopCheckout(vendure.url, { ...buyer('t1@example.com', texas), lines: [{ sku: 'MUG-1', quantity: 8 }, { sku: 'TEA-1', quantity: 1 }] });
    // matches rule 3 only
    const texasTea = await shopCheckout(vendure.url, { ...buyer('t2@example.com', texas), lines: [{ sku: 'TEA-1', quantity: 2 }] });
    // matches nothing: the default
    const texasMug = await shopCheckout(vendure.url, { ...buyer('t3@example.com', texas), lines: [{ sku: 'MUG-1', quantity: 1 }] });
    assert.ok(oregonBig.totalWithTax >= 100_00 && texasBig.totalWithTax >= 100_00, 'the big orders really are over 100');
    assert.ok(texasTea.totalWithTax < 100_00 && texasMug.totalWithTax < 100_00, 'the small ones really are under 100');
    await engine.tick();

    assert.equal(await agentOf(oregonBig.code), 'Olivia Oregon');
    assert.equal(await agentOf(texasBig.code), 'Bob Bigorders');
    assert.equal(await agentOf(texasTea.code), 'Tim Tea');
    assert.equal(await agentOf(texasMug.code), 'Dana Default');

    const expected: [string, number | null, string][] = [[oregonBig.code, 1, 'Olivia Oregon'], [texasBig.code, 2, 'Bob Bigorders'], [texasTea.code, 3, 'Tim Tea'], [texasMug.code, null, 'Dana Default']];
    for (const [code, matchedRule, salesperson] of expected) {
      const rows = await salespersonAudit(code);
      assert.equal(rows.length, 1, `one salesperson audit row for ${code}`);
      assert.equal(rows[0].setting, 'rules.salespeople');
      const detail = JSON.parse(rows[0].detail ?? '{}') as { salesperson: string; matchedRule: number | null; why: string };
      assert.equal(detail.salesperson, salesperson);
      assert.equal(detail.matchedRule, matchedRule, `${code}: the rule that decided`);
      assert.match(detail.why, matchedRule === null ? /default/ : new RegExp(`rule ${matchedRule + 1}`));
    }
    // one agent per salesperson, reused across orders
    const agents = await t.searchRead<{ id: number }>('commission.agent', [], ['id']);
    assert.equal(agents.length, 4);
  });

  test('a second order for the same salesperson reuses the agent; a re-run does not reassign', async () => {
    const again = await shopCheckout(vendure.url, { email: 'o2@example.com', firstName: 'Oli', lastName: 'Buyer', address: oregon, lines: [{ sku: 'TEA-1', quantity: 1 }] });
    await engine.tick();
    assert.equal(await agentOf(again.code), 'Olivia Oregon');
    assert.equal((await t.searchRead('commission.agent', [], ['id'])).length, 4, 'no second agent for Olivia');
    await engine.ctx.storage.enqueue({ kind: 'order', key: again.code, reason: 'test: the same order again' });
    await engine.tick();
    assert.equal((await salespersonAudit(again.code)).length, 1, 'assigned once');
  });
});

describe('rules.salespeople customerGroup: the store\'s customer groups decide', () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  let t: TrytonClient;
  let engine: Engine;

  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    const settings = settingsFor(tryton, vendure, {
      rules: { salespeople: { rules: [{ when: { customerGroup: 'Trade' }, assign: 'Greta Groups' }], default: 'Dana Default' } },
    });
    engine = await engineFor(settings.config);
    await receiveStock(t, await createTrytonProduct(t, 'MUG-1', 'Enamel mug', '12.50'), 100);
    await engine.tick();
  });
  after(async () => {
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a customer in the group gets the group\'s salesperson (names compared ignoring case); one outside it the default', async () => {
    const inGroup = await shopCheckout(vendure.url, { email: 'trade@example.com', firstName: 'Tia', lastName: 'Trader', address: texas, lines: [{ sku: 'MUG-1', quantity: 1 }] });
    const outside = await shopCheckout(vendure.url, { email: 'retail@example.com', firstName: 'Rae', lastName: 'Retail', address: texas, lines: [{ sku: 'MUG-1', quantity: 1 }] });
    const admin = await adminGql(vendure.url);
    const found = await admin<{ customers: { items: { id: string }[] } }>(
      'query($e: String!) { customers(options: { filter: { emailAddress: { eq: $e } } }) { items { id } } }', { e: 'trade@example.com' });
    await admin('mutation($i: CreateCustomerGroupInput!) { createCustomerGroup(input: $i) { id } }', { i: { name: 'trade', customerIds: [found.customers.items[0].id] } });
    await engine.tick();

    const agentName = async (code: string) => {
      const [sale] = await salesFor(t, code);
      const [agent] = await t.read<{ party: number }>('commission.agent', [sale.agent!], ['party']);
      return (await t.read<{ name: string }>('party.party', [agent.party], ['name']))[0].name;
    };
    assert.equal(await agentName(inGroup.code), 'Greta Groups');
    assert.equal(await agentName(outside.code), 'Dana Default');
    const [row] = (await engine.ctx.storage.auditTrail(inGroup.code)).filter((a) => a.action === 'order.salesperson');
    assert.match(JSON.parse(row.detail ?? '{}').why, /customer group Trade/);
  });
});
