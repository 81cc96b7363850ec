// The README's first command tells its story against real systems: this runs that story
// (scripts/demo/demo.ts, what `npm run demo` runs once the systems are up) on a fresh Tryton
// database and a fresh Vendure, and reads what it tells a new user.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freshTrytonDatabase, startVendure, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { freePort } from './helpers/free-port.js';


describe('the demo', { timeout: 240_000 }, () => {
  let tryton: TrytonDatabase; let vendure: VendureInstance; let dovetailPort: number;
  const secret = 'demo-test-webhook-secret-0123456789';
  before(async () => {
    tryton = await freshTrytonDatabase();
    dovetailPort = await freePort();
    vendure = await startVendure({ webhookUrl: `http://127.0.0.1:${dovetailPort}/webhooks/vendure`, webhookSecret: secret });
  });
  after(async () => { await vendure?.stop(); });

  test('shows the products reaching the store, the order becoming a confirmed, numbered Tryton sale, and the stock that is left', async () => {
    const env = { ...process.env, TRYTON_PORT: new URL(tryton.url).port, DEMO_TRYTON_DATABASE: tryton.database, VENDURE_PORT: new URL(vendure.url).port,
      DOVETAIL_PORT: String(dovetailPort), DOVETAIL_WEBHOOK_SECRET: secret, DEMO_ONCE: '1', DEMO_DIR: mkdtempSync(path.join(tmpdir(), 'dovetail-demo-')) };
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => execFile(process.execPath, ['--import', 'tsx', 'scripts/demo/demo.ts'],
      { env, timeout: 180_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${out}\n${errOut}`)) : resolve({ stdout: out }))));
    assert.match(stdout, /Products synced to Vendure/);
    assert.match(stdout, /^ {2}MUG-RED +Enamel mug, red +12\.50 USD +10 for sale$/m);
    const sale = /^Tryton sale (\S+) \((\w+)\) for Ada Lovelace, reference (\w+), total ([\d.]+) USD/m.exec(stdout);
    assert.ok(sale, `the sale line is missing:\n${stdout}`);
    assert.notEqual(sale[1], 'null', 'the sale is shown with its number');
    assert.match(sale[2], /^(confirmed|processing|done)$/, 'the sale is shown once confirmed, not as the draft it starts as');
    assert.match(stdout, /^ {2}MUG-RED +7 for sale$/m, 'three mugs sold: the store offers seven');
  });
});
