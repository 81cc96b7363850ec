// The dashboard in a real browser (Debian's Chromium) against a running Dovetail joined to a real
// Tryton and a real Vendure: an order appears in the flows and in its timeline; an order for a
// SKU only the store has fails, is explained, is fixed at its cause and retried from the page (a
// page of another site pressing the same button is refused).
// Screenshots of every page go to test-artifacts/ for a person to look at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TrytonClient } from '../../src/connectors/tryton/client.js';
import type { Engine } from '../../src/engine/engine.js';
import { buildApp, listen } from '../../src/server/http.js';
import { renderHtml } from '../../src/cli/report.js';
import { coverage } from '../../src/config/coverage.js';
import { adminGql, freshTrytonDatabase, shopCheckout, startVendure, type GqlClient, type VendureInstance } from './helpers/systems.js';
import { createTrytonProduct, engineFor, receiveStock, salesFor, settingsFor, trytonAdmin, until } from './helpers/dovetail.js';

const ARTIFACTS = path.resolve('test-artifacts');
const address = { fullName: 'Ada Shopper', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' };
const buyer = (email: string) => ({ email, firstName: 'Ada', lastName: 'Shopper', address });

let vendure: VendureInstance;
let t: TrytonClient;
let admin: GqlClient;
let engine: Engine;
let settings: ReturnType<typeof settingsFor>;
let server: ServerType;
let base: string;
let browser: Browser;
let page: Page;
const stop = new AbortController();
let running: Promise<void>;

const shot = (name: string, p: Page = page) => p.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });

/** Reloads `url` until `check` holds: the page shows what the engine has done by then. */
async function reloadUntil(what: string, url: string, check: () => Promise<boolean>, timeoutMs = 45_000) {
  await until(what, async () => { await page.goto(url); return check(); }, timeoutMs);
}

describe('the dashboard, in Chromium, against a running Dovetail', () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    t = await trytonAdmin(tryton);
    admin = await adminGql(vendure.url);
    settings = settingsFor(tryton, vendure);
    engine = await engineFor(settings.config);
    server = await listen(buildApp(engine), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    running = engine.run(stop.signal);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium', headless: true,
      // playwright gives every launch a fresh temporary profile; these keep Chromium off the network
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    stop.abort();
    await running;
    await browser?.close();
    (server as unknown as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.(); // keep-alive sockets would hold close() open
    await new Promise((r) => server?.close(r));
    await engine?.ctx.storage.close();
    await vendure?.stop();
  });

  test('a placed order appears in the orders flow and its timeline; every flow is carried out', async () => {
    const mug = await createTrytonProduct(t, 'MUG-1', 'Enamel mug', '12.50');
    await receiveStock(t, mug, 10);
    // on sale: the variant and its stock (published by the job after the one that makes the variant)
    await until('MUG-1 on sale in the store', async () => (await admin<{ productVariants: { items: { stockOnHand: number }[] } }>(
      `{ productVariants(options: { filter: { sku: { eq: "MUG-1" } } }) { items { stockOnHand } } }`)).productVariants.items.some((v) => v.stockOnHand >= 3));
    const order = await shopCheckout(vendure.url, { ...buyer('ada@example.com'), lines: [{ sku: 'MUG-1', quantity: 3 }] });

    await reloadUntil('the order to be counted as done', base + '/', async () =>
      (await page.textContent('[data-flow=orders] [data-stat=done]'))?.trim() === '1');
    const orders = page.locator('[data-flow=orders]');
    assert.match(await orders.innerText(), /Up to date/);
    assert.match(await orders.innerText(), /Last move: /);
    for (const flow of ['products', 'stock', 'customers', 'shipments', 'payments', 'changes', 'images']) {
      assert.doesNotMatch(await page.locator(`[data-flow=${flow}]`).innerText(), /Not carried out yet/i, `${flow} is carried out`);
    }
    assert.match(await page.locator('[data-flow=products]').innerText(), /Tryton ⇄ Vendure/);
    assert.equal((await page.textContent('[data-flow=customers] [data-stat=done]'))?.trim(), '1', 'the buyer was copied');
    assert.match(await page.locator('[data-flow=orders]').innerText(), /Last read: Vendure orders (\d+ seconds? ago|now)/);
    await shot('overview');

    // the same page on a phone: one column, nothing cut off
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.goto(base + '/');
      const overflow = Number(await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
      assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
      await shot('overview-phone', phone);
    } finally {
      await phone.close();
    }

    // the order's timeline: found by typing its code, every move with the setting behind it
    await page.goto(base + '/records');
    await page.fill('input[name=q]', order.code);
    await page.click('button:has-text("Show")');
    const timeline = page.locator(`[data-timeline="${order.code}"]`);
    await timeline.waitFor();
    const text = await timeline.innerText();
    assert.match(text, /Copied to Tryton as a new confirmed sale/);
    assert.match(text, /Vendure → Tryton/);
    assert.match(text, /because of web orders start in the store/);
    const total = (order.totalWithTax / 100).toFixed(2);
    assert.match(text, new RegExp(`total ${total} in the store, ${total} in the inventory system`));
    await shot('timeline');
  });

  test('an order for a SKU only the store has fails, is explained, and goes through after the fix and Retry', async () => {
    const { createProduct } = await admin<{ createProduct: { id: string } }>(`mutation { createProduct(input: { translations: [{ languageCode: en, name: "Store only", slug: "store-only", description: "" }] }) { id } }`);
    await admin(`mutation($p: ID!) { createProductVariants(input: [{ productId: $p, sku: "GHOST-9", price: 900, stockOnHand: 50, trackInventory: TRUE, translations: [{ languageCode: en, name: "Store only" }] }]) { id } }`, { p: createProduct.id });
    const bad = await shopCheckout(vendure.url, { ...buyer('bob@example.com'), lines: [{ sku: 'GHOST-9', quantity: 1 }] });

    await reloadUntil('the failure to be listed', base + '/failures', async () => (await page.locator(`[data-key="${bad.code}"]`).count()) === 1);
    const card = page.locator(`[data-key="${bad.code}"]`);
    const text = await card.innerText();
    assert.match(text, new RegExp(`Web order ${bad.code} was not copied to Tryton`));
    assert.match(text, /GHOST-9, which Tryton does not know: create the product there/);
    assert.match(text, /What to do: Retrying alone will not help: fix what the reason says, then press Retry/);
    assert.match(text, /System: Tryton/);
    assert.match(await page.locator('nav .count.bad').innerText(), /^1$/, 'the tab counts the failure');
    await shot('failure');
    assert.equal((await salesFor(t, bad.code)).length, 0);

    // a page of another site (here another port of this host, so the browser even sends its
    // cookies) with the same Retry form: the press is refused and the failure stays on the list
    const failureId = await card.getAttribute('data-failure');
    const elsewhere = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<form method="post" action="${base}/failures/${failureId}/retry"><button>Claim your prize</button></form>`));
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    const sameCookies = await browser.newContext({ storageState: await page.context().storageState() });
    const lure = await sameCookies.newPage();
    try {
      await lure.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`);
      const [answer] = await Promise.all([lure.waitForResponse((r) => r.url().endsWith('/retry')), lure.click('button')]);
      assert.equal(answer.status(), 403);
      assert.match(await lure.locator('body').innerText(), /refused/);
    } finally {
      await sameCookies.close();
      elsewhere.closeAllConnections(); // the browser's keep-alive socket would hold close() open
      await new Promise((r) => elsewhere.close(r));
    }
    await page.goto(base + '/failures');
    assert.equal(await page.locator(`[data-key="${bad.code}"]`).count(), 1, 'still failed: nothing was retried');
    assert.equal(await card.locator('input[name=_csrf]').count(), 1, 'the page\'s own form carries the CSRF token');

    // fix the cause, then press the button a manager would press
    await createTrytonProduct(t, 'GHOST-9', 'Store only', '9.00');
    await card.locator('button:has-text("Retry")').click();
    await page.waitForURL(/\/failures\?retried=/);
    assert.match(await page.locator('.flash').innerText(), /Sent back to the queue/);
    await reloadUntil('the failure to leave the list', base + '/failures', async () => (await page.locator(`[data-key="${bad.code}"]`).count()) === 0);
    await until('the sale to exist in Tryton', async () => (await salesFor(t, bad.code)).length === 1);
    assert.match(await page.locator('main').innerText(), /Nothing has failed/);
    await shot('after-retry');

    // the job leaves the failure list when it starts; the timeline shows the move once it is done
    // (after the import, one more job takes the order's lines as the baseline for later changes)
    await reloadUntil('the import to be in the timeline, with nothing left to do', `${base}/records?q=${encodeURIComponent(bad.code)}`, async () => {
      const text = await page.locator(`[data-timeline="${bad.code}"]`).innerText();
      return /Copied to Tryton/.test(text) && !/Now:/.test(text);
    });
    const timeline = await page.locator(`[data-timeline="${bad.code}"]`).innerText();
    assert.doesNotMatch(timeline, /Now:/, 'nothing is waiting or failed for it any more');
    assert.match(timeline, /Failed: put on the failure list/);
    assert.match(timeline, /Copied to Tryton as a new confirmed sale/);
    assert.ok(timeline.indexOf('Copied to Tryton') < timeline.indexOf('Failed:'), 'newest first: the success above the failure');
    await shot('timeline-after-retry');
  });

  test('the checklist shows every answer in words, drift says what it covers, and the report opens', async () => {
    await page.goto(base + '/checklist');
    const checklist = await page.locator('main').innerText();
    assert.match(checklist, /When cards are charged\s+when the order is placed/i);
    assert.match(checklist, /Retail prices\s+the inventory system/i);
    assert.match(checklist, /Carried out/);
    // with Tryton and Vendure every answer is carried out, and the summary counts them all
    assert.doesNotMatch(checklist, /Not carried out yet/);
    assert.match(checklist, new RegExp(`${coverage(settings.config).length} of ${coverage(settings.config).length} answers are carried out`));
    assert.equal(await page.locator('[data-key="rules.capture"]').count(), 1);
    assert.equal(await page.locator('.checklist li').count(), coverage(settings.config).length, 'one row per answer of coverage()');
    await shot('checklist');

    await page.goto(base + '/drift');
    const drift = await page.locator('main').innerText();
    assert.match(drift, /Last reconcile/);
    assert.match(drift, /Never run: dovetail reconcile compares both systems now/);
    await shot('drift');

    // the requirements report as a file, the way `dovetail report --format html --out` writes it
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dovetail-report-')), 'requirements.html');
    writeFileSync(file, renderHtml(settings.config));
    await page.goto(pathToFileURL(file).href);
    assert.equal(await page.locator('h1').innerText(), 'Integration requirements');
    assert.match(await page.locator('main').innerText(), /What it implies\. The customer pays before anything ships/);
    const external = Number(await page.evaluate('document.querySelectorAll("link[href], script[src], img[src]").length'));
    assert.equal(external, 0, 'self-contained: no outside files');
    await shot('report');
  });
});
