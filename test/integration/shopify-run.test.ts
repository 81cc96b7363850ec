// `dovetail run` with `type: shopify`: the real command, in its own process, against real Tryton
// and the stateful Shopify double reached through `adminUrl`. Products and stock go to the shop; a
// web order pushed twice by a signed webhook, and found by polling as well, becomes one Tryton sale.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import { DovetailError } from '../../src/errors.js';
import { FakeShopify, VirtualClock } from '../doubles/shopify/server.js';
import { orderCreatedDelivery } from '../doubles/shopify/webhooks.js';
import { createTrytonProduct, receiveStock, salesFor, trytonAdmin, until } from './helpers/dovetail.js';
import { freshTrytonDatabase } from './helpers/systems.js';
import { freePort } from './helpers/free-port.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

const LOCATION = 'gid://shopify/Location/41';
const SECRETS = { SHOPIFY_ACCESS_TOKEN: 'shpat_stand_in_token', SHOPIFY_WEBHOOK_SECRET: 'shopify-app-secret-0123456789' };


describe('dovetail run against a Shopify shop', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-shopify-'));
  const dbFile = path.join(dir, 'dovetail.sqlite');
  let shop: FakeShopify;
  let t: TrytonClient;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let stderr = '';
  let base = '';

  /** Rows of Dovetail's own database, read beside the running process. */
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try { return db.prepare(sql).all(...params) as T[]; } finally { db.close(); }
  };

  before(async () => {
    shop = await new FakeShopify(new VirtualClock()).start();
    // the stand-in's cost budget runs on a clock that does not move here: make it large enough never to throttle
    shop.bucket = { maximumAvailable: 1e9, currentlyAvailable: 1e9, restoreRate: 1e6, at: 0 };
    const tryton = await freshTrytonDatabase();
    t = await trytonAdmin(tryton);
    await receiveStock(t, await createTrytonProduct(t, 'SHOP-1', 'Enamel mug', '12.50'), 7);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const file = path.join(dir, 'dovetail.yaml');
    writeFileSync(file, `database: { path: dovetail.sqlite }
systems:
  inventory: { type: tryton, url: "${tryton.url}", database: "${tryton.database}", username: admin, password: "\${TRYTON_PASSWORD}" }
  store:
    type: shopify
    shop: stand-in.myshopify.com
    accessToken: \${SHOPIFY_ACCESS_TOKEN}
    webhookSecret: \${SHOPIFY_WEBHOOK_SECRET}
    locations: { Main: "${LOCATION}" }
    adminUrl: "${shop.url}/admin/api/2026-10/graphql.json"
inventory: { debounceMs: 0 }
sync: { pollIntervalMs: 300 }
server: { port: ${port} }
`);
    child = spawn(process.execPath, [DOVETAIL_BIN, '--config', file, 'run'],
      { env: { ...process.env, ...SECRETS, TRYTON_PASSWORD: tryton.password, DOVETAIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  });
  after(async () => {
    if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
    await shop?.stop();
  });

  test('products and stock go from Tryton to the shop, at the mapped location', async () => {
    const item = await until(`SHOP-1 in the shop (log: ${stderr})`, async () => shop.items.get('SHOP-1'), 60_000);
    const [created] = shop.calls('ProductCreate');
    assert.equal((created!.variables.input as { title: string }).title, 'Enamel mug');
    assert.equal(item.priceMinor, 1250);
    await until('stock at the mapped location', async () => item.levels.get(LOCATION) === 7, 60_000);
    assert.deepEqual([...item.levels.keys()], [LOCATION], 'no other location is written');
  });

  test('a web order pushed twice and read by polling becomes one Tryton sale', async () => {
    const order = shop.shop.placeOrder({ email: 'wren@example.com', lines: [{ sku: 'SHOP-1', quantity: 2 }],
      address: { firstName: 'Wren', lastName: 'Shopper', company: null, address1: '4 Elm St', address2: null, city: 'Springfield', provinceCode: null, zip: '12345', countryCode: 'US', phone: null } });
    const code = order.legacyId;
    const { body, headers } = orderCreatedDelivery(order, SECRETS.SHOPIFY_WEBHOOK_SECRET);
    const deliveries = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/webhooks/shopify`, { method: 'POST', body, headers });
      deliveries.push({ status: res.status, json: await res.json() });
    }
    assert.deepEqual(deliveries, [{ status: 200, json: { accepted: 1, new: 1 } }, { status: 200, json: { accepted: 1, new: 0, duplicate: true } }]);
    const forged = await fetch(`${base}/webhooks/shopify`, { method: 'POST', body, headers: { ...headers, 'x-shopify-hmac-sha256': 'AAAA' } });
    assert.equal(forged.status, 401);

    // a read that meets the shared test Tryton's passing empty error (a just-confirmed sale) is read again
    const [sale] = await until(`a Tryton sale for order ${code} (log: ${stderr})`, async () => { const s = await salesFor(t, code).catch((e: unknown) => { if (e instanceof DovetailError && e.kind === 'transient') return []; throw e; }); return s.length ? s : null; }, 60_000);
    // polling reads the same order too; once that change is worked off there is still one sale
    await until('the order read by polling and its job done', async () =>
      query('SELECT 1 FROM changes WHERE key = ? AND source_version LIKE ?', code, `${code}@%`).length > 0
      && query("SELECT 1 FROM jobs WHERE key = ? AND state IN ('pending', 'running')", code).length === 0, 60_000);
    assert.equal((await salesFor(t, code)).length, 1, 'one sale, however often the order arrived');
    assert.equal(query('SELECT 1 FROM changes WHERE key = ? AND source_version = ?', code, `event:create-${code}`).length, 1, 'the delivery is recorded once');
    const lines = await t.read<{ quantity: number }>('sale.line', sale!.lines, ['quantity']);
    assert.deepEqual(lines.map((l) => l.quantity), [2]);
  });

  test('nothing failed on the way, and it stops cleanly on SIGTERM', async () => {
    assert.deepEqual(query("SELECT kind, key, last_error FROM jobs WHERE state = 'failed'"), []);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});
