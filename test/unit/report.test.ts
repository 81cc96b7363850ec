// `dovetail report` on two different sets of answers: every checklist item appears with its
// answer, what Dovetail does and what the answer implies, in Markdown and in one HTML file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderHtml, renderMarkdown, reportItems } from '../../src/cli/report.js';
import { coverage } from '../../src/config/coverage.js';
import { parseConfig } from '../../src/config/load.js';
import { DOVETAIL_BIN } from '../integration/helpers/bin.js';

const ENV = { TRYTON_PASSWORD: 'tryton-secret-pw', VENDURE_PASSWORD: 'vendure-secret-pw', DOVETAIL_WEBHOOK_SECRET: 'webhook-secret-0123456789' };
const SYSTEMS = `systems:
  inventory: { password: "\${TRYTON_PASSWORD}" }
  store: { password: "\${VENDURE_PASSWORD}", webhookSecret: "\${DOVETAIL_WEBHOOK_SECRET}" }
`;
const DEFAULTS = SYSTEMS;
const CAREFUL = `${SYSTEMS}master: { prices: store }
ownership: { onConflict: flag }
rules: { capture: atShipment, settleFrom: inventory, liveInventory: false, deductAllocated: false, shipmentEmailsFrom: none }
inventory: { safetyStock: 2 }
`;

test('the defaults: every item once, carried-out answers told apart from the rest', () => {
  const config = parseConfig(DEFAULTS, ENV);
  const items = reportItems(config);
  assert.equal(items.length, coverage(config).length);
  const md = renderMarkdown(config);
  for (const i of items) assert.ok(md.includes(`\`${i.key}\``), `${i.key} is in the report`);
  assert.match(md, /### When cards are charged: when the order is placed/);
  assert.match(md, /\*\*What it implies:\*\* The customer pays before anything ships/);
  assert.match(md, /### Retail prices: the inventory system \(ERP\)/);
  const todo = items.filter((i) => !i.carriedOut).length;
  assert.match(md, new RegExp(`\\*\\*${items.length - todo} of ${items.length} answers are carried out by Dovetail today; ${todo} need work`));
  for (const secret of Object.values(ENV)) assert.ok(!md.includes(secret));
});

test('other answers change what the report says Dovetail does and what they imply', () => {
  const defaults = renderMarkdown(parseConfig(DEFAULTS, ENV));
  const config = parseConfig(CAREFUL, ENV);
  const md = renderMarkdown(config);
  assert.notEqual(md, defaults);
  assert.match(md, /### When cards are charged: when each shipment leaves \(authorised at order\)/);
  assert.match(md, /Cards are authorised at checkout and charged per shipment[^\n]*Authorisations expire after some days/);
  assert.match(md, /### Settling payments: the inventory system \(ERP\)/);
  assert.match(md, /gateway access must be granted to Dovetail/);
  assert.match(md, /### Live stock on the website: no/);
  assert.match(md, /the store will sell what is not there/);
  assert.match(md, /### Safety stock: 2 units/);
  assert.match(md, /The last 2 of each product can only be sold by phone or in person/);
  assert.match(md, /### Edits made outside the master: leave it, and show a conflict on the dashboard/);
  assert.match(md, /### Retail prices: the online store/);

  const html = renderHtml(config);
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<link |<script|src=/, 'self-contained: no outside files');
  assert.match(html, /<h3>When cards are charged<\/h3><span class="answer">when each shipment leaves \(authorised at order\)<\/span>/);
  assert.match(html, /id="work"/);
});

test('the command writes Markdown or HTML to a file and refuses an unknown format', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-report-'));
  const file = path.join(dir, 'dovetail.yaml');
  writeFileSync(file, CAREFUL);
  const run = (...args: string[]) => spawnSync(process.execPath, [DOVETAIL_BIN, '--config', file, 'report', ...args], { env: { ...process.env, ...ENV }, encoding: 'utf8' });
  const html = run('--format', 'html', '--out', path.join(dir, 'r.html'));
  assert.equal(html.status, 0, html.stderr);
  assert.match(readFileSync(path.join(dir, 'r.html'), 'utf8'), /<title>Integration requirements — Dovetail<\/title>/);
  const md = run();
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^# Integration requirements/);
  // a folder that does not exist yet is made; a path that cannot be written is said in words, not a stack trace
  const nested = run('--out', path.join(dir, 'for-finance', '2026', 'r.md'));
  assert.equal(nested.status, 0, nested.stderr);
  assert.match(readFileSync(path.join(dir, 'for-finance', '2026', 'r.md'), 'utf8'), /^# Integration requirements/);
  writeFileSync(path.join(dir, 'a-file'), '');
  const blocked = run('--out', path.join(dir, 'a-file', 'r.md'));
  assert.equal(blocked.status, 1);
  assert.equal(blocked.stderr.trim(), `dovetail: could not write the report to ${path.join(dir, 'a-file', 'r.md')}: part of that path is a file, not a folder`);
  const bad = run('--format', 'pdf');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown format "pdf"; allowed: md, html/);
});
