// The demo's story, told against the real systems that scripts/demo.sh started: seed Tryton,
// run `dovetail run` as a user would, buy something in the store, and show what moved.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TrytonClient, dec, decimalString } from '../../src/connectors/tryton/client.js';
import { adminGql } from '../vendure-app/gql.js';
import { shopCheckout } from '../../test/integration/helpers/systems.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = process.env.DEMO_DIR ?? path.join(ROOT, '.run', 'demo');
const tryton = { url: `http://127.0.0.1:${process.env.TRYTON_PORT ?? 18000}`, database: process.env.DEMO_TRYTON_DATABASE ?? 'demo', username: 'admin', password: 'admin' };
const vendureUrl = `http://127.0.0.1:${process.env.VENDURE_PORT ?? 3000}`;
const say = (s: string) => console.log(s);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(fn: () => Promise<T | undefined | null | false>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) { const v = await fn(); if (v) return v; if (Date.now() > end) throw new Error(`gave up waiting for ${what}`); await wait(300); }
}

const CATALOGUE = [
  { sku: 'MUG-RED', name: 'Enamel mug, red', price: '12.50', stock: 10 },
  { sku: 'TEA-EARL', name: 'Earl Grey, 100 g', price: '8.90', stock: 25 },
  { sku: 'POT-CAST', name: 'Cast-iron teapot', price: '49.00', stock: 3 },
];

// 1. Tryton: products, stock, a customer
const t = new TrytonClient(tryton);
await t.login();
const unit = await t.xmlId('product', 'uom_unit');
const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
await t.create('product.template', CATALOGUE.map((p) => ({ name: p.name, type: 'goods', default_uom: unit, list_price: dec(p.price), salable: true,
  sale_uom: unit, account_category: category, products: [['create', [{ suffix_code: p.sku, cost_price: dec('1') }]]] })));
const [wh] = await t.searchRead<{ storage_location: number }>('stock.location', [['type', '=', 'warehouse']], ['storage_location'], { limit: 1 });
const ids = await t.searchRead<{ id: number; code: string }>('product.product', [['code', 'in', CATALOGUE.map((p) => p.sku)]], ['code']);
const [inv] = await t.create('stock.inventory', [{ location: wh.storage_location, company: t.context.company,
  lines: [['create', ids.map((p) => ({ product: p.id, quantity: CATALOGUE.find((c) => c.sku === p.code)!.stock }))]] }]);
await t.button('stock.inventory', 'confirm', [inv]);
say(`\nTryton has ${CATALOGUE.length} products in stock: ${CATALOGUE.map((p) => `${p.sku} × ${p.stock}`).join(', ')}.`);

// 2. Dovetail on its default SQLite file
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
writeFileSync(path.join(DIR, 'dovetail.yaml'), `# written by the demo; see dovetail.example.yaml for every setting
systems:
  inventory: { url: "${tryton.url}", database: ${tryton.database}, username: admin, password: "\${TRYTON_PASSWORD}" }
  store: { url: "${vendureUrl}", username: superadmin, password: "\${VENDURE_PASSWORD}", webhookSecret: "\${DOVETAIL_WEBHOOK_SECRET}" }
inventory: { debounceMs: 500 }
sync: { pollIntervalMs: 1000 }
server: { port: ${process.env.DOVETAIL_PORT ?? 8790} }
${process.env.DEMO_DATABASE_URL ? 'database: { driver: postgres, url: "${DEMO_DATABASE_URL}" }\n' : ''}`);
const dovetail = spawn(process.execPath, [path.join(ROOT, 'bin/dovetail.mjs'), '--config', path.join(DIR, 'dovetail.yaml'), 'run'], {
  env: { ...process.env, TRYTON_PASSWORD: 'admin', VENDURE_PASSWORD: 'superadmin', DOVETAIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] });
const stop = () => { dovetail.kill('SIGTERM'); };
process.on('SIGINT', () => { stop(); process.exit(130); });
process.on('exit', stop);
say(`Dovetail is running (pid ${dovetail.pid}), its state in ${process.env.DEMO_DATABASE_URL ? 'PostgreSQL (database dovetail_demo)' : `${path.relative(ROOT, DIR)}/dovetail.sqlite`}.`);

// 3. products and stock reach the store
const admin = await adminGql(vendureUrl);
type V = { sku: string; price: number; stockOnHand: number; stockAllocated: number; product: { name: string } };
const variants = async () => (await admin<{ productVariants: { items: V[] } }>(`{ productVariants(options: { filter: { sku: { in: ${JSON.stringify(CATALOGUE.map((c) => c.sku))} } } }) { items { sku price stockOnHand stockAllocated product { name } } } }`)).productVariants.items;
const inStore = await until(async () => { const v = await variants(); return v.length === CATALOGUE.length && v.every((x) => x.stockOnHand > 0) && v; }, 'products and stock in Vendure');
say(`\nProducts synced to Vendure (Tryton is master of names and prices):`);
for (const v of inStore) say(`  ${v.sku.padEnd(9)} ${v.product.name.padEnd(20)} ${(v.price / 100).toFixed(2).padStart(7)} USD   ${v.stockOnHand - v.stockAllocated} for sale`);

// 4. a customer buys in the store
const order = await shopCheckout(vendureUrl, { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace',
  address: { fullName: 'Ada Lovelace', streetLine1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', countryCode: 'US' },
  lines: [{ sku: 'MUG-RED', quantity: 3 }, { sku: 'TEA-EARL', quantity: 2 }] });
say(`\nAda bought 3 × MUG-RED and 2 × TEA-EARL in the store: order ${order.code}, ${(order.totalWithTax / 100).toFixed(2)} USD with shipping and tax.`);

// 5. the order's sale in Tryton, and the stock the store now shows. The sale exists as a draft
// before its lines are in and it is confirmed; only then does it have its number and total.
type Sale = { number: string | null; state: string; total_amount: unknown; party: number };
const CONFIRMED = ['confirmed', 'processing', 'done'];
const sale = await until(async () => {
  const [s] = await t.searchRead<Sale>('sale.sale', [['reference', '=', order.code]], ['number', 'state', 'total_amount', 'party']);
  return s?.number && CONFIRMED.includes(s.state) ? s : null;
}, 'the sale in Tryton to be confirmed');
const [party] = await t.read<{ name: string }>('party.party', [sale.party], ['name']);
say(`Tryton sale ${sale.number} (${sale.state}) for ${party.name}, reference ${order.code}, total ${decimalString(sale.total_amount)} USD — the same as the store charged.`);
await wait(2500);
const after = await variants();
say(`\nWhat the store now offers (Tryton's stock, less what it holds for open orders):`);
for (const v of after) say(`  ${v.sku.padEnd(9)} ${v.stockOnHand - v.stockAllocated} for sale`);
say(`\nThe dashboard (flows, failures, the checklist, every move of order ${order.code}): http://127.0.0.1:${process.env.DOVETAIL_PORT ?? 8790}/`);
say(`What failed, if anything:  node bin/dovetail.mjs --config ${path.relative(ROOT, DIR)}/dovetail.yaml failures`);
if (process.env.DEMO_ONCE === '1') { stop(); process.exit(0); }
say('Everything keeps running: edit a product in Tryton or place an order at the store and watch it move. Ctrl-C stops it all.');
await new Promise((r) => dovetail.once('exit', r));
