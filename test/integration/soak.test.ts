// The short fault soak in every test run: a few minutes of network faults and SIGKILLs against the
// real Tryton and Vendure must leave no order lost or doubled, no money moved twice, no drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_KINDS } from '../soak/fault-proxy.js';
import { PLANS, passed, runSoak, summary } from '../soak/soak.js';

test('the short fault soak loses, doubles and leaves apart nothing', { timeout: 1_200_000 }, async () => {
  const report = await runSoak({ plan: PLANS.short, backend: 'sqlite', workers: 1, seed: 13 });
  const table = summary(report);
  console.log(table);
  assert.deepEqual(report.placed, { orders: PLANS.short.orders, stockChanges: PLANS.short.stockChanges, partialShipments: PLANS.short.partialShipments,
    cancellations: PLANS.short.cancellations, refunds: PLANS.short.refunds }, `the driver made the whole plan:\n${table}`);
  assert.ok(report.kills > 0, 'Dovetail was killed along the way');
  // a hang is drawn rarely (it costs a client timeout); every other kind of fault must have happened
  for (const kind of FAULT_KINDS.filter((k) => k !== 'hang')) assert.ok(report.faults[kind] > 0, `no ${kind} fault was injected:\n${table}`);
  assert.ok(passed(report), table);
});
