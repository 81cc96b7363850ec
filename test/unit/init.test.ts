// `dovetail init` driven the way a person would, through its prompts on stdin, in a child
// process: the file it writes loads with loadConfig and holds the answers given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAnswer, questionFor, questionsFor, QUESTIONS, renderYaml } from '../../src/cli/init.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { DOVETAIL_BIN } from '../integration/helpers/bin.js';

const ENV = { TRYTON_PASSWORD: 'p', VENDURE_PASSWORD: 'p', DOVETAIL_WEBHOOK_SECRET: 'a-secret-of-16-chars-or-more' };

function runInit(file: string, input: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DOVETAIL_BIN, '--config', file, 'init', ...extra], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

/** One line per question: Enter for the default unless `answers` says otherwise (several lines = retries). */
function typed(answers: Record<string, string[]>): string {
  return QUESTIONS.flatMap((q) => answers[q.key] ?? ['']).join('\n') + '\n';
}

test('init asks every question on its own screen, re-asks a wrong answer, and writes settings that load', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dovetail-init-')), 'dovetail.yaml');
  const { code, out } = await runInit(file, typed({
    'systems.inventory.url': ['tryton.local', 'http://tryton.local:8000'],
    'master.prices': ['1'],
    'ownership.onConflict': ['flag'],
    'rules.liveInventory': ['no'],
    'inventory.safetyStock': ['lots', '3'],
    'rules.capture': ['7', '2'],
    'rules.salespeople.default': ['Dieter Maier'],
  }));
  assert.equal(code, 0, out);
  assert.match(out, new RegExp(`Question 1 of ${QUESTIONS.length}: inventory system\n\nWhich inventory system \\(ERP\\) do you run\\?\n\n {2}1\\) Tryton {3}← default\n {2}2\\) Odoo`));
  assert.match(out, new RegExp(`Question 2 of ${QUESTIONS.length}: inventory system address`));
  assert.match(out, new RegExp(`Question ${QUESTIONS.length} of ${QUESTIONS.length}`));
  assert.match(out, /When is the customer's card charged\?\n\n {2}1\) when the order is placed {3}← default\n {2}2\) when each shipment leaves/);
  assert.match(out, /Press Enter for the default \(when the order is placed\): it is the simplest, and authorisations cannot expire\./);
  assert.match(out, /Please type an address starting with http/);
  assert.match(out, /Please type a whole number/);
  assert.match(out, /Please type a number from 1 to 2/);

  const config = loadConfig(file, ENV);
  assert.equal(config.systems.inventory.url, 'http://tryton.local:8000');
  assert.equal(config.master.prices, 'store');
  assert.equal(config.master.productNames, 'inventory', 'an Enter keeps the default');
  assert.equal(config.ownership.onConflict, 'flag');
  assert.equal(config.rules.liveInventory, false);
  assert.equal(config.inventory.safetyStock, 3);
  assert.equal(config.rules.capture, 'atShipment');
  assert.equal(config.rules.salespeople.default, 'Dieter Maier');

  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# dovetail\.yaml — written by `dovetail init`/);
  assert.match(text, /capture: atShipment\s+# when cards are charged: atOrder or atShipment/);
  assert.match(text, /password: \$\{TRYTON_PASSWORD\}/, 'secrets are environment references, never values');
});

test('init leaves an existing file alone without --force, and writes nothing when the answers stop early', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-init-'));
  const existing = path.join(dir, 'dovetail.yaml');
  writeFileSync(existing, '# mine\n');
  const kept = await runInit(existing, typed({}));
  assert.equal(kept.code, 1);
  assert.match(kept.out, /exists already; nothing was changed/);
  assert.equal(readFileSync(existing, 'utf8'), '# mine\n');

  const replaced = await runInit(existing, typed({}), ['--force']);
  assert.equal(replaced.code, 0);
  assert.equal(loadConfig(existing, ENV).rules.capture, 'atOrder');

  const partial = path.join(dir, 'partial.yaml');
  const stopped = await runInit(partial, '\n\n\n');
  assert.equal(stopped.code, 1);
  assert.match(stopped.out, /Stopped before the last question; nothing was written/);
  assert.equal(existsSync(partial), false);
});

test('init offers the stores of the registry, and a chosen Shopify gets its own questions and block', () => {
  const choice = questionFor('systems.store.type');
  assert.deepEqual(choice?.choices?.map((c) => c.value), ['vendure', 'shopify', 'magento']);
  const answers = new Map<string, string>([['systems.store.type', 'shopify'], ['systems.store.shop', 'acme.myshopify.com']]);
  const keys = questionsFor(answers).map((q) => q.key);
  assert.ok(keys.includes('systems.store.shop') && !keys.includes('systems.store.url') && !keys.includes('systems.store.username'), keys.join());
  assert.equal(parseAnswer(questionFor('systems.store.shop')!, 'acme.com'), null, 'not a myshopify.com domain');
  const text = renderYaml(answers);
  assert.match(text, /accessToken: \$\{SHOPIFY_ACCESS_TOKEN\}/);
  const config = parseConfig(text, { TRYTON_PASSWORD: 'p', SHOPIFY_ACCESS_TOKEN: 'shpat_x', SHOPIFY_WEBHOOK_SECRET: 'a-secret-of-16-chars-or-more' });
  assert.deepEqual(config.systems.store, { type: 'shopify', shop: 'acme.myshopify.com', accessToken: 'shpat_x', webhookSecret: 'a-secret-of-16-chars-or-more', apiVersion: '2026-10', locations: {} });
});

test('init offers the inventory systems of the registry, and a chosen Odoo gets its own questions and block', () => {
  assert.deepEqual(questionFor('systems.inventory.type')?.choices?.map((c) => c.value), ['tryton', 'odoo']);
  const answers = new Map<string, string | boolean | number>([['systems.inventory.type', 'odoo'], ['systems.inventory.database', 'prod']]);
  const asked = questionsFor(answers);
  const keys = asked.map((q) => q.key);
  for (const q of asked) if (!answers.has(q.key)) answers.set(q.key, q.default); // Enter on every other question, as the run does
  assert.ok(keys.includes('systems.inventory.database') && !keys.includes('systems.inventory.password'), keys.join());
  const text = renderYaml(answers);
  assert.match(text, /apiKey: \$\{ODOO_API_KEY\}/, 'the API key is an environment reference, never a value');
  const config = parseConfig(text, { ODOO_API_KEY: 'key', VENDURE_PASSWORD: 'p', DOVETAIL_WEBHOOK_SECRET: 'a-secret-of-16-chars-or-more' });
  assert.deepEqual(config.systems.inventory, { type: 'odoo', url: 'http://127.0.0.1:8069', database: 'prod', username: 'admin', apiKey: 'key', callsAtOnce: 4 });
});
