// `dovetail check --offline`: settings this version cannot run with fail the check, as `run`
// would fail at start, instead of passing and failing only later.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkCommand } from '../../src/cli/check.js';

const SYSTEMS = `systems:
  inventory: { password: "\${TRYTON_PASSWORD:-tryton-pw}" }
  store: { password: "\${VENDURE_PASSWORD:-vendure-pw}", webhookSecret: "\${DOVETAIL_WEBHOOK_SECRET:-whsec-0123456789abcdef}" }
`;

async function checkOffline(yaml: string): Promise<{ exitCode: number; printed: string }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dovetail-check-')), 'dovetail.yaml');
  writeFileSync(file, yaml);
  const lines: string[] = [];
  const log = mock.method(console, 'log', (...args: unknown[]) => { lines.push(args.join(' ')); });
  const err = mock.method(process.stderr, 'write', (chunk: unknown) => { lines.push(String(chunk)); return true; });
  try {
    return { exitCode: await checkCommand(file, { offline: true }), printed: lines.join('\n') };
  } finally { log.mock.restore(); err.mock.restore(); }
}

test('check passes settings this version runs with', async () => {
  const { exitCode, printed } = await checkOffline(SYSTEMS);
  assert.equal(exitCode, 0, printed);
  assert.doesNotMatch(printed, /cannot run/);
});

test('check accepts database.driver postgres: several workers share one PostgreSQL', async () => {
  const { exitCode, printed } = await checkOffline(`${SYSTEMS}database: { driver: postgres, url: "postgres://dovetail@db/dovetail" }\n`);
  assert.equal(exitCode, 0, printed);
  assert.doesNotMatch(printed, /cannot run|database\.driver/);
});

test('check refuses a system the registry does not have, naming the ones it has', async () => {
  const { exitCode, printed } = await checkOffline(SYSTEMS.replace('inventory: {', 'inventory: { type: erpnext,'));
  assert.equal(exitCode, 2);
  assert.match(printed, /^ {2}systems\.inventory\.type: got "erpnext"; allowed: tryton, odoo$/m);
  const store = await checkOffline(SYSTEMS.replace('store: {', 'store: { type: wix,'));
  assert.match(store.printed, /^ {2}systems\.store\.type: got "wix"; allowed: vendure, shopify, magento$/m);
});

test('check accepts a Shopify store block, and Shopify carries out the store answers Vendure does', async () => {
  const { exitCode, printed } = await checkOffline(`systems:
  inventory: { password: x }
  store: { type: shopify, shop: my-shop.myshopify.com, accessToken: "\${SHOPIFY_ACCESS_TOKEN:-shpat_x}", webhookSecret: 0123456789abcdef }
`);
  assert.equal(exitCode, 0, printed);
  assert.doesNotMatch(printed, /cannot run/);
  assert.match(printed, /^ {2}ok {5} {2}systems\.store\.type = shopify$/m);
  assert.match(printed, /^ {2}ok {5} {2}rules\.capture = atOrder$/m);
  assert.match(printed, /^ {2}ok {5} {2}rules\.partialShipmentsToStore = true$/m);
  // every store answer but images, the reference sets and later edits of customer details, which the Shopify connector does not carry (its descriptor says why)
  assert.deepEqual(printed.match(/^.*Shopify connector does not carry.*$/gm)?.map((l) => /master\.\w+/.exec(l)?.[0]), ['master.productImages', 'master.customers', 'master.salesTaxes', 'master.shippingMethods']);
  assert.match(printed, /^ {2}in part {2}master\.customers = store: later edits of their details are not carried: the Shopify connector does not carry later edits of customer details \(customerEdits\)$/m);
});

test('check accepts the Shopify block `dovetail run` is started with, its adminUrl for proxies and tests included', async () => {
  const block = `systems:
  inventory: { password: x }
  store:
    type: shopify
    shop: my-shop.myshopify.com
    accessToken: \${SHOPIFY_ACCESS_TOKEN:-shpat_x}
    webhookSecret: \${SHOPIFY_WEBHOOK_SECRET:-0123456789abcdef}
    locations: { Main: "gid://shopify/Location/41" }
`;
  const proxied = await checkOffline(`${block}    adminUrl: http://127.0.0.1:8080/admin/api/2026-10/graphql.json\n`);
  assert.equal(proxied.exitCode, 0, proxied.printed);
  assert.match(proxied.printed, /^ {2}ok {5} {2}systems\.store\.type = shopify$/m);
  assert.doesNotMatch(proxied.printed, /NOT YET {2}systems\./, 'the Shopify connection itself is carried out');
  const notAnAddress = await checkOffline(`${block}    adminUrl: my-proxy\n`);
  assert.equal(notAnAddress.exitCode, 2);
  assert.match(notAnAddress.printed, /systems\.store\.adminUrl: got "my-proxy"; must be an http\(s\) address/);
  const withoutShop = await checkOffline(block.replace('    shop: my-shop.myshopify.com\n', '') + '    adminUrl: http://127.0.0.1:8080/graphql\n');
  assert.equal(withoutShop.exitCode, 2, 'shop stays required with an adminUrl');
  assert.match(withoutShop.printed, /systems\.store\.shop/);
});

test('check names the two systems joined, and marks an answer one of them carries out only in part', async () => {
  const { exitCode, printed } = await checkOffline(`systems:
  inventory: { type: odoo, url: "https://erp.example.com", database: shop, apiKey: "\${ODOO_API_KEY:-key}" }
  store: { type: magento, url: "https://shop.example.com", accessToken: "\${MAGENTO_ACCESS_TOKEN:-token}" }
`);
  assert.equal(exitCode, 0, printed);
  assert.match(printed, /^Joining the online store Adobe Commerce \(Magento\) to the inventory system Odoo\.$/m);
  assert.match(printed, /^ {2}in part {2}rules\.cancellationsIn = inventory: With Adobe Commerce \(Magento\), only in part: Magento cancels only everything/m);
  assert.match(printed, /^ {2}ok {7}rules\.returnsIn = inventory$/m, 'an answer carried out whole shows no note');
});
