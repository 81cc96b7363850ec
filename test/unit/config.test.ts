// dovetail.yaml: defaults, refusals with path/given/allowed, ${ENV}, secrets, coverage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig, redactConfig } from '../../src/config/load.js';
import { coverage, unsupportedAnswers, NOT_YET } from '../../src/config/coverage.js';
import { STORE_SYSTEMS } from '../../src/connectors/registry.js';
import { DovetailError } from '../../src/errors.js';
import { MasterSettings, type Config } from '../../src/config/schema.js';

const ENV = { TRYTON_PASSWORD: 'tryton-pw', VENDURE_PASSWORD: 'vendure-pw', DOVETAIL_WEBHOOK_SECRET: 'whsec-0123456789abcdef' };
/** the smallest valid file: only the three secrets have no default */
const MINIMAL = `systems:
  inventory:
    password: \${TRYTON_PASSWORD}
  store:
    password: \${VENDURE_PASSWORD}
    webhookSecret: \${DOVETAIL_WEBHOOK_SECRET}
`;

const parse = (extra = '', env: Record<string, string | undefined> = ENV) => parseConfig(MINIMAL + extra, env, 'test.yaml');

function refused(text: string, env: Record<string, string | undefined> = ENV): ConfigError {
  try {
    parseConfig(text, env, 'test.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('the settings were accepted but should have been refused');
}
const issueAt = (err: ConfigError, path: string) => {
  const found = err.issues.find((i) => i.path === path);
  assert.ok(found, `no issue at ${path}; issues: ${err.message}`);
  return found;
};

test('a file with only the secrets gets every default', () => {
  const c = parse();
  assert.deepEqual(c.database, { driver: 'sqlite', path: 'dovetail.sqlite' });
  assert.deepEqual(c.systems.inventory, { type: 'tryton', url: 'http://127.0.0.1:8000', database: 'tryton', username: 'admin', password: 'tryton-pw', warehouse: null, callsAtOnce: 4 });
  assert.deepEqual(c.systems.store, { type: 'vendure', url: 'http://127.0.0.1:3000', channelToken: null, username: 'superadmin', password: 'vendure-pw', webhookSecret: 'whsec-0123456789abcdef', callsAtOnce: 4 });
  assert.deepEqual(c.master, {
    productNames: 'inventory', productAttributes: 'inventory', productDescriptions: 'store', productImages: 'store',
    productCategories: 'store', productDimensions: 'inventory', prices: 'inventory', priceLevels: 'inventory',
    availability: 'inventory', vendorsAndCosts: 'inventory', customers: 'store', salesTaxes: 'store',
    shippingMethods: 'store', purchaseOrders: 'inventory', paymentMethods: 'store',
  });
  assert.deepEqual(c.ownership, { onConflict: 'revert' });
  assert.deepEqual(c.rules, {
    offlineOrdersToStore: 'none', orderEditsIn: 'store', offlineCustomerAccounts: 'none', copyAddresses: true,
    partialShipmentsToStore: true, shipmentEmailsFrom: 'store', quotesFrom: 'inventory', liveInventory: true,
    deductAllocated: true, cancellationsIn: 'inventory', returnsIn: 'inventory', returnsToStore: true,
    creditMemosIn: 'inventory', capture: 'atOrder', settleFrom: 'store', refundsIn: 'store',
    salespeople: { rules: [], default: null },
  });
  assert.deepEqual(c.inventory, { debounceMs: 0, safetyStock: 0, locations: [], incoming: 'none' });
  assert.deepEqual(c.sync, { pollIntervalMs: 5000, referenceSetsEveryMs: 60_000, batchSize: 100, maxAttempts: 8, keepRetryingHours: 24, jobLeaseMs: 60_000, jobsAtOnce: 4 });
  assert.deepEqual(c.server, { host: '127.0.0.1', port: 8790, token: null });
});

test('an empty file is refused for the missing systems (passwords have no default)', () => {
  for (const text of ['', '# only a comment\n']) {
    const err = refused(text);
    assert.equal(err.kind, 'config');
    assert.ok(err instanceof DovetailError);
    assert.match(issueAt(err, 'systems').message, /missing/);
  }
  const err = refused('systems:\n  inventory: {}\n  store: {}\n');
  for (const p of ['systems.inventory.password', 'systems.store.password', 'systems.store.webhookSecret']) assert.match(issueAt(err, p).message, /missing/);
});

test('a bad value is refused with its path, what was given and what is allowed', () => {
  const err = refused(`${MINIMAL}rules:\n  capture: atDelivery\n  liveInventory: yes\n`);
  const capture = issueAt(err, 'rules.capture');
  assert.equal(capture.given, 'atDelivery');
  assert.equal(capture.allowed, 'atOrder, atShipment');
  assert.match(err.message, /^ {2}rules\.capture: got "atDelivery"; allowed: atOrder, atShipment$/m);
  assert.match(err.message, /^ {2}rules\.liveInventory: got "yes"; allowed: true, false$/m);
  assert.match(err.message, /^test\.yaml: 2 problems/);
});

test('every enum-valued setting refuses a value outside its list', () => {
  const cases: [string, string, string][] = [
    ['master:\n  prices: Store\n', 'master.prices', 'store, inventory'],
    ['ownership:\n  onConflict: ignore\n', 'ownership.onConflict', 'revert, flag'],
    ['rules:\n  offlineOrdersToStore: some\n', 'rules.offlineOrdersToStore', 'none, all, customersWithAccount'],
    ['rules:\n  offlineCustomerAccounts: yes\n', 'rules.offlineCustomerAccounts', 'none, create, invite'],
    ['rules:\n  shipmentEmailsFrom: carrier\n', 'rules.shipmentEmailsFrom', 'store, inventory, dovetail, none'],
    ['rules:\n  refundsIn: bank\n', 'rules.refundsIn', 'store, inventory'],
    ['database:\n  driver: mysql\n', 'database.driver', 'sqlite, postgres'],
  ];
  for (const [extra, path, allowed] of cases) assert.equal(issueAt(refused(MINIMAL + extra), path).allowed, allowed, path);
  const types = refused('systems:\n  inventory: { type: sap, password: x }\n  store: { type: wix, password: x, webhookSecret: 0123456789abcdef }\n');
  // the systems the registry has, no more: a system without a connector is refused by name
  assert.equal(issueAt(types, 'systems.inventory.type').allowed, 'tryton, odoo');
  assert.equal(issueAt(types, 'systems.store.type').allowed, 'vendure, shopify, magento');
  const erpnext = issueAt(refused(MINIMAL.replace('inventory:', 'inventory:\n    type: erpnext')), 'systems.inventory.type');
  assert.equal(erpnext.message, 'got "erpnext"; allowed: tryton, odoo');
});

test('numbers out of range are refused with the range', () => {
  const err = refused(`${MINIMAL}sync: { pollIntervalMs: 100, batchSize: 251, maxAttempts: 0 }\ninventory: { debounceMs: -1, safetyStock: 1.5 }\nserver: { port: 70000 }\n`);
  assert.equal(issueAt(err, 'sync.pollIntervalMs').allowed, 'a whole number of at least 200');
  assert.equal(issueAt(err, 'sync.batchSize').allowed, 'a whole number from 1 to 250');
  assert.equal(issueAt(err, 'sync.maxAttempts').allowed, 'a whole number from 1 to 50');
  assert.equal(issueAt(err, 'inventory.debounceMs').given, -1);
  assert.equal(issueAt(err, 'inventory.safetyStock').given, 1.5);
  assert.equal(issueAt(err, 'server.port').allowed, 'a whole number from 1 to 65535');
  assert.equal(err.issues.length, 6);
});

test("a system's callsAtOnce outside 1 to 32 is refused at its own path", () => {
  const err = refused(MINIMAL.replace('password: ${TRYTON_PASSWORD}', 'password: ${TRYTON_PASSWORD}\n    callsAtOnce: 0')
    .replace('webhookSecret: ${DOVETAIL_WEBHOOK_SECRET}', 'webhookSecret: ${DOVETAIL_WEBHOOK_SECRET}\n    callsAtOnce: 33'));
  assert.equal(issueAt(err, 'systems.inventory.callsAtOnce').allowed, 'a whole number from 1 to 32');
  assert.equal(issueAt(err, 'systems.store.callsAtOnce').allowed, 'a whole number from 1 to 32');
});

test('the limits themselves are accepted', () => {
  const c = parse('sync: { pollIntervalMs: 200, referenceSetsEveryMs: 1000, batchSize: 250, maxAttempts: 50, jobLeaseMs: 1000, jobsAtOnce: 32 }\ninventory: { debounceMs: 0, safetyStock: 0 }\n');
  assert.deepEqual(c.sync, { pollIntervalMs: 200, referenceSetsEveryMs: 1000, batchSize: 250, maxAttempts: 50, keepRetryingHours: 24, jobLeaseMs: 1000, jobsAtOnce: 32 });
});

test('payment methods can only be kept by the store, and the refusal says why', () => {
  const err = refused(`${MINIMAL}master:\n  paymentMethods: inventory\n`);
  const issue = issueAt(err, 'master.paymentMethods');
  assert.equal(issue.allowed, 'store');
  assert.match(issue.message, /^got "inventory"; allowed: store \(.*card data stays with the store's payment gateway/);
});

test('an unknown key is refused with the keys that are allowed, at any depth', () => {
  const err = refused(`${MINIMAL}master:\n  productColour: store\nrule:\n  capture: atOrder\n`);
  assert.match(err.message, /^ {2}master\.productColour: unknown key; allowed keys: productNames, productAttributes, .*, paymentMethods$/m);
  assert.match(issueAt(err, 'rule').message, /did you mean rules\?/);
  const deep = refused(`${MINIMAL}rules:\n  salespeople:\n    rules:\n      - when: { colour: red }\n        assign: ann\n`);
  assert.match(issueAt(deep, 'rules.salespeople.rules.0.when.colour').message, /unknown key; allowed keys: channel, country, region, customerGroup, minTotal, maxTotal, sku/);
});

test('database is chosen by driver: postgres needs url, sqlite keys are refused there', () => {
  const pg = parseConfig(`${MINIMAL}database:\n  driver: postgres\n  url: \${DATABASE_URL}\n`, { ...ENV, DATABASE_URL: 'postgres://dt:pw@db/dovetail' }, 'x');
  assert.deepEqual(pg.database, { driver: 'postgres', url: 'postgres://dt:pw@db/dovetail' });
  assert.match(issueAt(refused(`${MINIMAL}database: { driver: postgres }\n`), 'database.url').message, /missing/);
  const mixed = refused(`${MINIMAL}database: { driver: postgres, url: "postgres://h/db", path: x.sqlite }\n`);
  assert.match(issueAt(mixed, 'database.path').message, /unknown key; allowed keys: driver, url/);
  const wrongScheme = refused(`${MINIMAL}database: { driver: postgres, url: "mysql://h/db" }\n`);
  assert.match(issueAt(wrongScheme, 'database.url').message, /postgres:\/\//);
  assert.match(issueAt(refused(`${MINIMAL}database: { url: "postgres://h/db" }\n`), 'database.url').message, /allowed keys: driver, path/);
});

test('salesperson rules: country, amounts and their order are checked', () => {
  const c = parse('rules:\n  salespeople:\n    rules:\n      - when: { country: de, minTotal: 100, maxTotal: "999.9" }\n        assign: ann\n    default: bob\n');
  assert.deepEqual(c.rules.salespeople, { rules: [{ when: { country: 'DE', minTotal: '100.00', maxTotal: '999.90' }, assign: 'ann' }], default: 'bob' });
  const err = refused(`${MINIMAL}rules:\n  salespeople:\n    rules:\n      - when: { country: DEU, minTotal: 10.555 }\n        assign: ann\n      - when: { minTotal: 50, maxTotal: 10 }\n        assign: ""\n`);
  assert.match(issueAt(err, 'rules.salespeople.rules.0.when.country').message, /^got "DEU"; must be a 2-letter ISO country code/);
  assert.match(issueAt(err, 'rules.salespeople.rules.0.when.minTotal').message, /at most 2 decimals/);
  assert.match(issueAt(err, 'rules.salespeople.rules.1.when.minTotal').message, /larger than maxTotal/);
  assert.equal(issueAt(err, 'rules.salespeople.rules.1.assign').allowed, 'non-empty text');
  assert.match(issueAt(refused(`${MINIMAL}rules:\n  salespeople:\n    rules:\n      - when: { minTotal: -5 }\n        assign: ann\n`), 'rules.salespeople.rules.0.when.minTotal').message, /not negative/);
});

test('${NAME} and ${NAME:-default} are substituted in values, never in keys', () => {
  const c = parse('server:\n  host: ${HOST:-localhost}\n  port: ${PORT}\ninventory:\n  locations: ["${WH}", "Shop ${WH}"]\nsync:\n  pollIntervalMs: ${POLL:-1000}\n', { ...ENV, PORT: '9000', WH: 'Main', HOST: '' });
  assert.ok(c.systems.inventory.type === 'tryton');
  assert.equal(c.systems.inventory.password, 'tryton-pw');
  assert.equal(c.server.host, 'localhost', 'an empty variable takes the default, as in the shell');
  assert.equal(c.server.port, 9000, 'a whole-value reference is read as a number where a number is expected');
  assert.equal(c.sync.pollIntervalMs, 1000);
  assert.deepEqual(c.inventory.locations, ['Main', 'Shop Main']);
  const literal = parse('inventory:\n  locations: ["$${NOT_A_REF}"]\n');
  assert.deepEqual(literal.inventory.locations, ['${NOT_A_REF}']);
  const inKey = refused(`${MINIMAL}master:\n  \${KEY}: store\n`, { ...ENV, KEY: 'prices' });
  assert.ok(issueAt(inKey, 'master.${KEY}'));
  const notANumber = refused(`${MINIMAL}server:\n  port: \${PORT}\n`, { ...ENV, PORT: 'eighty' });
  assert.equal(issueAt(notANumber, 'server.port').given, 'eighty');
});

test('an unset variable without a default is refused, naming the key and the variable', () => {
  const err = refused(MINIMAL, { VENDURE_PASSWORD: 'x', DOVETAIL_WEBHOOK_SECRET: '0123456789abcdef' });
  assert.equal(err.issues.length, 1);
  const issue = issueAt(err, 'systems.inventory.password');
  assert.match(issue.message, /environment variable TRYTON_PASSWORD is not set/);
  assert.match(err.message, /systems\.inventory\.password: environment variable TRYTON_PASSWORD/);
  const broken = refused(`${MINIMAL}server:\n  host: "\${1BAD}"\n  token: "abc\${OPEN"\n`);
  assert.match(issueAt(broken, 'server.host').message, /not a valid reference/);
  assert.match(issueAt(broken, 'server.token').message, /never closed/);
});

test('secrets are never echoed in refusals', () => {
  const err = refused('systems:\n  inventory: { password: "", url: "ftp://x" }\n  store:\n    password: hunter2-secret\n    webhookSecret: short-secret\n    pasword: hunter3-secret\n'
    + 'database: { driver: postgres, url: "mysql://u:dbpass-secret@h/db" }\nserver: { token: tiny-secret }\n');
  assert.equal(issueAt(err, 'systems.store.webhookSecret').given, '(hidden)');
  assert.equal(issueAt(err, 'systems.store.pasword').given, '(hidden)');
  assert.equal(issueAt(err, 'database.url').given, '(hidden)');
  assert.equal(issueAt(err, 'server.token').given, '(hidden)');
  assert.equal(issueAt(err, 'systems.inventory.url').given, 'ftp://x', 'an ordinary value is shown');
  const everything = `${err.message}\n${JSON.stringify(err.issues)}\n${JSON.stringify(err.detail)}`;
  assert.doesNotMatch(everything, /hunter|short-secret|dbpass|tiny-secret/);
  const missingEnv = refused('systems:\n  inventory: { password: "pre-secret-${NOPE}" }\n  store: { password: x, webhookSecret: 0123456789abcdef }\n', {});
  assert.doesNotMatch(JSON.stringify(missingEnv.issues), /pre-secret/);
});

test('redactConfig hides passwords, tokens, secrets and URL credentials, and keeps the rest', () => {
  const c = parseConfig(`${MINIMAL}database: { driver: postgres, url: "postgres://dt:pw@db:5432/dovetail" }\nserver: { host: 0.0.0.0, token: 0123456789abcdef0123 }\n`, ENV, 'x');
  const r = redactConfig(c);
  assert.ok(r.systems.store.type === 'vendure');
  assert.ok(r.systems.inventory.type === 'tryton' && c.systems.inventory.type === 'tryton');
  assert.equal(r.systems.inventory.password, '(hidden)');
  assert.equal(r.systems.store.password, '(hidden)');
  assert.equal(r.systems.store.webhookSecret, '(hidden)');
  assert.equal(r.server.token, '(hidden)');
  assert.equal(r.database.driver === 'postgres' && r.database.url, 'postgres://(hidden)@db:5432/dovetail');
  assert.equal(r.systems.store.channelToken, null, 'an unset token stays null');
  assert.equal(r.systems.inventory.username, 'admin');
  assert.equal(c.systems.inventory.password, 'tryton-pw', 'the original is not changed');
  assert.doesNotMatch(JSON.stringify(r), /tryton-pw|vendure-pw|whsec|dt:pw/);
});

test('the server may leave loopback only with a token', () => {
  for (const host of ['127.0.0.1', 'localhost', '::1']) assert.equal(parse(`server: { host: "${host}" }\n`).server.host, host);
  const err = refused(`${MINIMAL}server: { host: 0.0.0.0 }\n`);
  assert.match(issueAt(err, 'server.token').message, /token is required when server\.host is not 127\.0\.0\.1, localhost or ::1/);
  assert.equal(parse('server: { host: 0.0.0.0, token: 0123456789abcdef }\n').server.token, '0123456789abcdef');
  assert.match(issueAt(refused(`${MINIMAL}server: { host: 0.0.0.0, token: short }\n`), 'server.token').message, /at least 16 characters/);
});

test('invalid YAML is refused with its line and column', () => {
  const err = refused('rules:\n  capture: atOrder\n capture: [\n');
  assert.equal(err.issues[0].path, '');
  assert.match(err.issues[0].message, /^not valid YAML at line \d+, column \d+: /);
  assert.match(refused('rules: {}\nrules: {}\n').issues[0].message, /line 2, column 1: Map keys must be unique/);
  assert.match(refused('- a list\n').issues[0].message, /must be a mapping of settings/);
});

const sqlitePath = (c: Config) => {
  assert.equal(c.database.driver, 'sqlite');
  return c.database.driver === 'sqlite' ? c.database.path : undefined;
};

test('loadConfig reads a file, resolves the sqlite path from its folder, and refuses a missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovetail-config-'));
  const file = join(dir, 'dovetail.yaml');
  writeFileSync(file, MINIMAL);
  assert.equal(sqlitePath(loadConfig(file, ENV)), join(dir, 'dovetail.sqlite'));
  writeFileSync(file, `${MINIMAL}database: { path: ":memory:" }\n`);
  assert.equal(sqlitePath(loadConfig(file, ENV)), ':memory:');
  writeFileSync(file, `${MINIMAL}database: { path: /var/lib/dovetail/d.sqlite }\n`);
  assert.equal(sqlitePath(loadConfig(file, ENV)), '/var/lib/dovetail/d.sqlite');
  const missing = join(dir, 'nope.yaml');
  assert.throws(() => loadConfig(missing, ENV), (err: unknown) => err instanceof ConfigError && /the file does not exist/.test(err.message) && err.source === missing);
  assert.equal(sqlitePath(parse()), 'dovetail.sqlite', 'parseConfig without baseDir keeps the path as written');
});

// --- coverage ---------------------------------------------------------------------------------

const rowOf = (c: Config, key: string) => {
  const row = coverage(c).find((r) => r.key === key);
  assert.ok(row, `no coverage row for ${key}`);
  return row;
};

test('coverage has one row per master key, rule and stock setting', () => {
  const c = parse();
  const keys = coverage(c).map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length, 'no key twice');
  for (const k of Object.keys(c.master)) assert.ok(keys.includes(`master.${k}`), k);
  for (const k of Object.keys(c.rules)) assert.ok(keys.includes(`rules.${k}`), k);
  for (const k of ['ownership.onConflict', 'inventory.safetyStock', 'inventory.debounceMs', 'inventory.locations', 'systems.inventory.type', 'systems.store.type']) assert.ok(keys.includes(k), k);
  for (const r of coverage(c)) {
    assert.ok(r.note.length > 10, r.key);
    assert.equal(r.carriedOut, !r.note.includes(NOT_YET), `${r.key}: a row not carried out says so, and only those`);
  }
});

test('coverage: what this version carries out', () => {
  const c = parse();
  for (const key of ['systems.inventory.type', 'systems.store.type', 'master.productNames', 'master.productDescriptions', 'master.prices', 'master.availability',
    'master.productDimensions', 'master.customers', 'ownership.onConflict', 'rules.liveInventory', 'rules.deductAllocated', 'inventory.safetyStock',
    'inventory.debounceMs', 'rules.salespeople', 'rules.offlineOrdersToStore', 'rules.offlineCustomerAccounts', 'master.paymentMethods',
    'rules.partialShipmentsToStore', 'rules.shipmentEmailsFrom', 'rules.orderEditsIn', 'rules.cancellationsIn', 'rules.returnsIn', 'rules.returnsToStore']) {
    assert.equal(rowOf(c, key).carriedOut, true, key);
  }
  for (const answer of ['store', 'inventory']) {
    const images = rowOf(parse(`master: { productImages: ${answer} }\n`), 'master.productImages');
    assert.equal(images.carriedOut, true, `master.productImages=${answer} with Tryton and Vendure`);
    assert.match(images.note, /uploaded once/);
  }
  const shopifyImages = rowOf(parseConfig(SHOPIFY, {}, 'x'), 'master.productImages');
  assert.equal(shopifyImages.carriedOut, false, 'a connector without the images group');
  assert.match(shopifyImages.note, /the Shopify connector does not carry product images \(images\)/);
  const flipped = parse('master: { productNames: store, prices: store, customers: inventory }\nownership: { onConflict: flag }\nrules: { liveInventory: false, deductAllocated: false }\n');
  for (const key of ['master.productNames', 'master.prices', 'master.customers', 'ownership.onConflict', 'rules.liveInventory', 'rules.deductAllocated']) {
    assert.equal(rowOf(flipped, key).carriedOut, true, key);
  }
  assert.match(rowOf(flipped, 'master.prices').note, /shown as a conflict/);
});

test('coverage: answers that need work are not carried out, and unsupportedAnswers lists them', () => {
  const c = parse('rules: { offlineOrdersToStore: all, capture: atShipment, quotesFrom: store, settleFrom: inventory }\ninventory: { locations: [Main, Annex] }\n');
  const other = parseConfig(SHOPIFY, {}, 'x');
  assert.equal(rowOf(other, 'systems.store.type').carriedOut, true, 'a system in the registry runs');
  assert.equal(rowOf(other, 'systems.store.type').note, 'The online store is Shopify. Its connector does not carry product images, tax rates, shipping methods, stock on its way in from purchases, later edits of customer details, store stock counts and recent orders read for reconcile yet: the answers that need them say so.',
    'Shopify carries every store capability but images, the reference sets, incoming stock, customer edits and the reads of reconcile');
  const unsupported = unsupportedAnswers(c).map((r) => r.key);
  assert.deepEqual(unsupported, coverage(c).filter((r) => !r.carriedOut).map((r) => r.key));
  assert.ok(!unsupported.includes('rules.offlineOrdersToStore') && !unsupported.includes('rules.quotesFrom'), 'offline orders and quotes are carried out');
  assert.ok(!unsupported.includes('rules.capture') && !unsupported.includes('rules.settleFrom'), 'captures and settlement from either side are carried out');
  assert.ok(!unsupported.includes('rules.liveInventory'));
  assert.ok(!unsupportedAnswers(other).some((r) => r.key.startsWith('systems.')));
  assert.ok(!unsupportedAnswers(parse()).some((r) => r.key.startsWith('systems.')));
});

test('coverage notes speak plain words with the chosen numbers', () => {
  const c = parse('inventory: { safetyStock: 2, debounceMs: 1500 }\n');
  assert.equal(rowOf(c, 'rules.deductAllocated').note.split(' (')[0], 'Stock pushed to the store is on-hand minus unshipped offline orders minus 2 units of safety stock');
  assert.match(rowOf(c, 'inventory.safetyStock').note, /^2 units of each product are held back/);
  assert.match(rowOf(c, 'inventory.debounceMs').note, /1\.5 seconds/);
  const plain = parse('rules: { deductAllocated: false }\n');
  assert.match(rowOf(plain, 'rules.deductAllocated').note, /^Stock pushed to the store is on-hand \(never below zero\).*sold twice/);
  const sp = parse('rules:\n  salespeople:\n    rules: [{ when: { country: DE }, assign: ann }]\n    default: bob\n');
  assert.equal(rowOf(sp, 'rules.salespeople').answer, '1 rule, default bob');
  assert.match(rowOf(sp, 'rules.salespeople').note, /otherwise bob/);
  assert.equal(rowOf(parse(), 'rules.copyAddresses').carriedOut, true);
  assert.equal(rowOf(parse('rules: { offlineCustomerAccounts: create }\n'), 'rules.copyAddresses').carriedOut, true);
  for (const v of ['all', 'customersWithAccount']) assert.equal(rowOf(parse(`rules: { offlineOrdersToStore: ${v} }\n`), 'rules.offlineOrdersToStore').carriedOut, true);
  for (const v of ['store', 'inventory']) assert.equal(rowOf(parse(`rules: { quotesFrom: ${v} }\n`), 'rules.quotesFrom').carriedOut, true);
});

// --- the example file and the settings page stay in step with the schema ------------------------

test('dovetail.example.yaml loads and holds exactly the defaults', () => {
  const example = loadConfig(join(import.meta.dirname, '../../dovetail.example.yaml'), ENV);
  const defaults = parse();
  assert.deepEqual({ ...example, database: null }, { ...defaults, database: null });
  assert.match(sqlitePath(example) ?? '', /[/\\]dovetail\.sqlite$/);
});

test('docs/settings.md has a row for every key', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/settings.md'), 'utf8');
  const c = parse();
  const keys = [
    ...Object.keys(c.systems.inventory).map((k) => `inventory.${k}`), ...Object.keys(c.systems.store).map((k) => `store.${k}`),
    ...Object.keys(c.master), ...Object.keys(c.ownership), ...Object.keys(c.rules).filter((k) => k !== 'salespeople'),
    'salespeople.rules', 'salespeople.default', 'channel', 'country', 'region', 'customerGroup', 'minTotal', 'maxTotal', 'sku',
    ...Object.keys(c.inventory), ...Object.keys(c.sync), ...Object.keys(c.server), 'driver', 'path', 'url',
    ...Object.keys(c.housekeeping),
  ];
  for (const k of keys) assert.match(doc, new RegExp(`^\\| \`${k.replace('.', '\\.')}\` \\|`, 'm'), k);
});

const SHOPIFY = `systems:
  inventory: { password: x }
  store: { type: shopify, shop: my-shop.myshopify.com, accessToken: shpat_x, webhookSecret: 0123456789abcdef }
`;

test('a Shopify store block: its own keys, no Vendure keys, the API version pinned by default', () => {
  const c = parseConfig(SHOPIFY, {}, 'x');
  assert.deepEqual(c.systems.store, { type: 'shopify', shop: 'my-shop.myshopify.com', accessToken: 'shpat_x', webhookSecret: '0123456789abcdef', apiVersion: '2026-10', locations: {} });
  const err = refused('systems:\n  inventory: { password: x }\n  store: { type: shopify, shop: my-shop.com, accessToken: t, webhookSecret: 0123456789abcdef, apiVersion: "2024-01", password: x }\n');
  assert.match(issueAt(err, 'systems.store.shop').message, /myshopify\.com/);
  assert.equal(issueAt(err, 'systems.store.apiVersion').allowed, '2026-10');
  assert.match(issueAt(err, 'systems.store.password').message, /^unknown key; allowed keys: type, shop, accessToken, webhookSecret, apiVersion, locations/, 'a Vendure key is not a Shopify key');
  const missing = refused('systems:\n  inventory: { password: x }\n  store: { type: shopify }\n');
  for (const p of ['systems.store.shop', 'systems.store.accessToken', 'systems.store.webhookSecret']) assert.match(issueAt(missing, p).message, /missing/, p);
});

test('coverage: an answer needing a capability the chosen connector lacks is not carried out, and says which', () => {
  const shopify = (rules = '') => parseConfig(SHOPIFY + rules, {}, 'x');
  const answers = ['rules.capture', 'rules.settleFrom', 'rules.refundsIn', 'rules.creditMemosIn', 'rules.partialShipmentsToStore', 'rules.shipmentEmailsFrom',
    'rules.cancellationsIn', 'rules.returnsIn', 'rules.orderEditsIn', 'rules.returnsToStore', 'rules.quotesFrom', 'rules.offlineOrdersToStore', 'rules.offlineCustomerAccounts'];
  const full = shopify('rules: { offlineOrdersToStore: all, offlineCustomerAccounts: invite }\n');
  for (const key of answers) assert.equal(rowOf(full, key).carriedOut, true, `Shopify carries ${key}`);
  // a store connector that carries only its core, as Shopify did before
  const descriptor = STORE_SYSTEMS.find((d) => d.system === 'shopify')!;
  const carried = descriptor.capabilities;
  descriptor.capabilities = ['catalogue', 'stock', 'customers', 'orders', 'webhooks'];
  try {
    const c = shopify();
    for (const key of ['rules.capture', 'rules.settleFrom', 'rules.refundsIn', 'rules.creditMemosIn', 'rules.partialShipmentsToStore', 'rules.shipmentEmailsFrom',
      'rules.cancellationsIn', 'rules.returnsIn', 'rules.orderEditsIn', 'rules.returnsToStore', 'rules.quotesFrom']) {
      assert.equal(rowOf(c, key).carriedOut, false, key);
      assert.match(rowOf(c, key).note, /^With these two systems this answer is not carried out yet by this version: the Shopify connector does not carry /, key);
    }
    assert.match(rowOf(c, 'rules.capture').note, /does not carry payments \(captures and refunds\) \(payments\)\. What it would do: The customer's card is charged/);
    assert.match(rowOf(shopify('rules: { capture: atShipment }\n'), 'rules.capture').note, /Shopify connector does not carry payments/);
    // answers that ask nothing of a missing capability stay carried out
    for (const key of ['master.productNames', 'master.customers', 'rules.liveInventory', 'rules.salespeople', 'rules.offlineOrdersToStore', 'rules.offlineCustomerAccounts', 'rules.copyAddresses']) {
      assert.equal(rowOf(c, key).carriedOut, true, key);
    }
    assert.equal(rowOf(shopify('rules: { quotesFrom: store }\n'), 'rules.quotesFrom').carriedOut, true);
    assert.equal(rowOf(shopify('rules: { returnsIn: store }\n'), 'rules.returnsToStore').carriedOut, true, 'returnsToStore has no effect then');
    for (const [rule, key] of [['offlineOrdersToStore: all', 'rules.offlineOrdersToStore'], ['offlineCustomerAccounts: create', 'rules.offlineCustomerAccounts'], ['offlineCustomerAccounts: invite', 'rules.copyAddresses']]) {
      assert.match(rowOf(shopify(`rules: { ${rule} }\n`), key).note, /Shopify connector does not carry (orders placed offline|customer accounts)/, rule);
    }
  } finally { descriptor.capabilities = carried; }
  // Vendure and Tryton carry every capability
  assert.deepEqual(unsupportedAnswers(parse('rules: { offlineOrdersToStore: customersWithAccount, offlineCustomerAccounts: invite, capture: atShipment, settleFrom: inventory, refundsIn: inventory }\n'))
    .filter((r) => r.key.startsWith('rules.')).map((r) => r.key), []);
});

test('coverage: tax rates and shipping methods are carried with Tryton and Vendure, and a store that cannot says why in its own words', () => {
  const c = parse('sync: { referenceSetsEveryMs: 120000 }\nownership: { onConflict: flag }\n');
  for (const key of ['master.salesTaxes', 'master.shippingMethods']) {
    assert.equal(rowOf(c, key).carriedOut, true, key);
    assert.match(rowOf(c, key).note, /copied to the inventory system every 120 seconds \(sync\.referenceSetsEveryMs\).*shown as a conflict/, key);
  }
  assert.match(rowOf(c, 'master.shippingMethods').note, /carrier of its shipping method/);
  const shopify = parseConfig(SHOPIFY, {}, 'x');
  assert.equal(rowOf(shopify, 'master.salesTaxes').carriedOut, false);
  assert.match(rowOf(shopify, 'master.salesTaxes').note, /Shopify connector does not carry tax rates \(taxes\): Shopify computes sales tax itself/);
  assert.match(rowOf(shopify, 'master.shippingMethods').note, /delivery profiles/);
});

test('purchase orders can only be kept by the inventory system, and the refusal says why', () => {
  const issue = issueAt(refused(`${MINIMAL}master:\n  purchaseOrders: store\n`), 'master.purchaseOrders');
  assert.equal(issue.allowed, 'inventory');
  assert.match(issue.message, /^got "store"; allowed: inventory \(.*no store keeps them; what they will bring in is shown on the store through inventory\.incoming/);
});

test('coverage: several warehouses are added up, and incoming stock is said per answer and per pair', () => {
  const several = parse('inventory: { locations: [Main, Annex] }\n');
  assert.equal(rowOf(several, 'inventory.locations').carriedOut, true);
  assert.match(rowOf(several, 'inventory.locations').note, /^Stock of the warehouses Main, Annex is added up: the store may sell their sum \(web orders are booked from Main\)\.$/);
  assert.match(rowOf(parse(), 'master.purchaseOrders').note, /not shown there either \(inventory\.incoming: none\)/);
  assert.match(rowOf(parse(), 'inventory.incoming').note, /^What open purchase orders will bring in is not shown on the store/);
  for (const answer of ['show', 'backorder']) {
    const c = parse(`inventory: { incoming: ${answer} }\n`);
    assert.equal(rowOf(c, 'inventory.incoming').carriedOut, true, answer);
    assert.match(rowOf(c, 'master.purchaseOrders').note, /shown on the store \(see inventory\.incoming\)/);
    assert.match(rowOf(c, 'inventory.incoming').note, answer === 'show' ? /The store sells only what is in stock\.$/ : /beyond the stock, as back-orders\.$/);
    const shopify = parseConfig(`${SHOPIFY}inventory: { incoming: ${answer} }\n`, {}, 'x');
    assert.equal(rowOf(shopify, 'inventory.incoming').carriedOut, false, `Shopify: ${answer}`);
    assert.match(rowOf(shopify, 'inventory.incoming').note, /the Shopify connector does not carry stock on its way in from purchases \(incoming\)/);
  }
  const idle = parse('rules: { liveInventory: false }\ninventory: { incoming: backorder }\n');
  assert.equal(rowOf(idle, 'inventory.incoming').carriedOut, true);
  assert.match(rowOf(idle, 'inventory.incoming').note, /^Has no effect while stock counts are not pushed/);
});

test('coverage: master.vendorsAndCosts — carried both ways for Tryton ↔ Vendure; a store connector that cannot read costs is named', () => {
  for (const answer of ['store', 'inventory']) {
    const row = rowOf(parse(`master: { vendorsAndCosts: ${answer} }\n`), 'master.vendorsAndCosts');
    assert.equal(row.carriedOut, true, answer);
    assert.doesNotMatch(row.note, /not carried out yet/, answer);
  }
  assert.match(rowOf(parse('master: { vendorsAndCosts: store }\n'), 'master.vendorsAndCosts').note, /copied to the inventory system as the product's cost price and its supplier/);
  const shopify = rowOf(parseConfig(`${SHOPIFY}master: { vendorsAndCosts: store }\n`, {}, 'x'), 'master.vendorsAndCosts');
  assert.equal(shopify.carriedOut, false);
  assert.match(shopify.note, /^With these two systems this answer is not carried out yet by this version: the Shopify connector cannot: Dovetail does not read a Shopify variant's cost/);
  assert.equal(rowOf(parseConfig(SHOPIFY, {}, 'x'), 'master.vendorsAndCosts').carriedOut, true, 'kept in the inventory system: nothing is asked of Shopify');
});

test('coverage: master.customers — later edits carried both ways for Tryton ↔ Vendure; a pair without them says it carries the answer in part', () => {
  for (const answer of ['store', 'inventory']) {
    const row = rowOf(parse(`master: { customers: ${answer} }\n`), 'master.customers');
    assert.equal(row.carriedOut, true, answer);
    assert.equal(row.inPart, undefined, answer);
    assert.match(row.note, /later changes of their name, email, phone and addresses/, answer);
  }
  assert.match(rowOf(parse('master: { customers: inventory }\n'), 'master.customers').note, /made in the inventory system reach their store account/);
  const shopify = rowOf(parseConfig(`${SHOPIFY}master: { customers: inventory }\n`, {}, 'x'), 'master.customers');
  assert.equal(shopify.carriedOut, true, 'the first match by email still works');
  assert.match(shopify.inPart ?? '', /the Shopify connector does not carry later edits of customer details \(customerEdits\)/);
});

test('coverage: with Tryton and Vendure, every value of every master key is carried out', () => {
  // the values each key accepts, read from the schema itself, so a key added later is held to this too
  for (const [key, schema] of Object.entries(MasterSettings.unwrap().shape)) {
    const values = (schema.unwrap() as { options?: string[]; value?: string }).options ?? [(schema.unwrap() as { value: string }).value];
    for (const value of values) {
      for (const onConflict of ['revert', 'flag']) {
        const row = rowOf(parse(`master: { ${key}: ${value} }\nownership: { onConflict: ${onConflict} }\n`), `master.${key}`);
        assert.equal(row.carriedOut, true, `master.${key}=${value}: ${row.note}`);
        assert.equal(row.inPart, undefined, `master.${key}=${value} is carried in full: ${row.note}`);
      }
    }
  }
});
