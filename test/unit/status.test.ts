// `dovetail status` reads the database only: queue, failures, each flow's counts and last move,
// and read positions, in lines a person can scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { statusCommand } from '../../src/cli/status.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { parseConfig } from '../../src/config/load.js';
import { flows } from '../../src/server/state.js';
import { FLOW_NEEDS, pairLacks } from '../../src/config/coverage.js';
import { overviewPage } from '../../src/server/pages.js';

test('status shows the queue, each flow, the last move, cursors and failures from the database', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-status-'));
  const file = path.join(dir, 'dovetail.yaml');
  writeFileSync(file, `database: { path: state.sqlite }
systems:
  inventory: { password: x }
  store: { password: x, webhookSecret: "0123456789abcdef" }
`);
  const storage = await openSqlite(path.join(dir, 'state.sqlite'));
  await storage.enqueue({ kind: 'order', key: 'ORDER-1', reason: 'test' });
  await storage.enqueue({ kind: 'order', key: 'ORDER-2', reason: 'test' });
  await storage.enqueue({ kind: 'stock', key: 'MUG-1', reason: 'test' });
  const claimed = await storage.claim(['order'], 2, 'w', 60_000);
  await storage.complete(claimed.find((j) => j.key === 'ORDER-1')!.id);
  await storage.fail(claimed.find((j) => j.key === 'ORDER-2')!.id, 'order ORDER-2 has SKU GHOST-9, which tryton does not know', 'permanent', null);
  await storage.audit({ recordKind: 'order', recordKey: 'ORDER-1', action: 'order.imported', fromSystem: 'vendure', toSystem: 'tryton', result: 'ok' });
  await storage.setCursor('vendure', 'order', '2026-01-01T00:00:00Z');
  await storage.tryOwnFeed('vendure', 'order');
  await storage.workerAlive({ id: 'shop-1:4242:1', host: 'shop-1', pid: 4242, startedAt: new Date().toISOString() });
  await storage.close();

  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } });
  assert.equal(await statusCommand(file, sink), 0);
  assert.match(out, /Dovetail: Vendure ⇄ Tryton/);
  assert.match(out, /Queue: 1 waiting, 0 running, 1 done, 1 on the failure list/);
  assert.match(out, /Orders\s+Vendure → Tryton[^:]*: 1 done, 0 waiting, 1 failed/);
  assert.match(out, /last move \d+ s ago: ORDER-1 — Copied to Tryton as a new confirmed sale/);
  assert.match(out, /Stock\s+Tryton → Vendure: 0 done, 1 waiting, 0 failed, oldest waiting \d+ s|Stock\s+Tryton → Vendure: 0 done, 1 waiting, 0 failed/);
  assert.match(out, /Cancellations, returns and edits\s+Vendure ⇄ Tryton: 0 done, 0 waiting, 0 failed/);
  assert.match(out, /Vendure order\s+moved/);
  assert.match(out, /#\d+ order ORDER-2: order ORDER-2 has SKU GHOST-9/);
  assert.match(out, /Workers \(1\):\n  shop-1:4242:1 \(pid 4242 on shop-1\), seen \d+ s ago, 0 jobs running, reads vendure\.order/);
});

test('a flow one of the two connectors cannot carry is shown as not carried, naming what is missing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-flows-'));
  const storage = await openSqlite(path.join(dir, 'state.sqlite'));
  const config = parseConfig(`systems:
  inventory: { password: x }
  store: { type: shopify, shop: my-shop.myshopify.com, accessToken: shpat_x, webhookSecret: 0123456789abcdef }
`, {}, path.join(dir, 'dovetail.yaml'));
  const byName = new Map((await flows(storage, config)).map((f) => [f.name, f]));
  for (const name of ['products', 'stock', 'customers', 'orders'] as const) assert.equal(byName.get(name)!.active, true, `${name} is carried`);
  // what Shopify carries grows; whatever it lacks, the flow says so, and only then
  const needs = { shipments: FLOW_NEEDS.shipments, payments: FLOW_NEEDS.payments, changes: FLOW_NEEDS.orderChanges, images: FLOW_NEEDS.images } as const;
  for (const [name, need] of Object.entries(needs)) {
    const flow = byName.get(name as keyof typeof needs)!;
    const missing = pairLacks(config, need);
    assert.equal(flow.active, missing.length === 0, `${name}: ${missing.join('; ') || 'nothing missing'}`);
    if (!flow.active) {
      assert.match(flow.why ?? '', /^Not carried out with these two systems: the Shopify connector does not carry /);
      const page = overviewPage({ config, failures: 0, drift: 0, csrf: null, signedIn: false }, [...byName.values()]);
      assert.ok(page.includes(flow.why!.replace(/&/g, '&amp;')), 'the overview shows why');
    }
  }

  const withVendure = parseConfig(`systems:
  inventory: { password: x }
  store: { password: x, webhookSecret: "0123456789abcdef" }
`, {}, path.join(dir, 'dovetail.yaml'));
  assert.deepEqual((await flows(storage, withVendure)).filter((f) => !f.active).map((f) => f.name), [], 'Tryton and Vendure carry every flow');
  assert.equal(byName.get('images')!.active, false, 'the Shopify connector carries no images yet');
  assert.equal((await flows(storage, withVendure)).find((f) => f.name === 'images')?.direction, 'Vendure → Tryton', 'from the master (master.productImages: store)');
  await storage.close();
});

test('a feed another worker reads is shown as read by another worker, not as never read', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-flows-'));
  const storage = await openSqlite(path.join(dir, 'state.sqlite'));
  const config = parseConfig(`systems:
  inventory: { password: x }
  store: { password: x, webhookSecret: "0123456789abcdef" }
`, {}, path.join(dir, 'dovetail.yaml'));
  const feeds = [{ system: 'vendure', kind: 'order', lastPollAt: null, lastError: null, fresh: 0, polledElsewhere: true },
    { system: 'tryton', kind: 'shipment', lastPollAt: null, lastError: null, fresh: 0 }];
  const page = overviewPage({ config, failures: 0, drift: 0, csrf: null, signedIn: false }, await flows(storage, config, feeds));
  assert.match(page, /Last read: Vendure orders by another worker \(see Workers\)/);
  assert.match(page, /Last read: Tryton shipments <span class="muted">not yet<\/span>/);
  await storage.close();
});
