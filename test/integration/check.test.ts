// `dovetail check` as an operator runs it: the real command in its own process, against a real
// Tryton and a real Vendure, saying whether each answers with the credentials given.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { settingsFor } from './helpers/dovetail.js';
import { freshTrytonDatabase, startVendure, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

interface CheckRun { exitCode: number; stdout: string; stderr: string }

function check(file: string, env: Record<string, string>): Promise<CheckRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DOVETAIL_BIN, '--config', file, 'check'], { env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ exitCode: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe('dovetail check against the real systems', { timeout: 240_000 }, () => {
  let tryton: TrytonDatabase;
  let vendure: VendureInstance;
  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
  });
  after(async () => { await vendure?.stop(); });

  test('both systems are reported reachable, Vendure with Dovetail\'s plugin', async () => {
    const s = settingsFor(tryton, vendure);
    const run = await check(s.file, s.env);
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ {2}tryton: reachable, company \d+ \(USD\)/m);
    assert.match(run.stdout, /^ {2}vendure: reachable, channel __default_channel__ \(USD\), Dovetail's plugin installed$/m);
  });

  test('a wrong password is named for the system it belongs to, and check fails', async () => {
    const s = settingsFor(tryton, vendure);
    const wrongStore = await check(s.file, { ...s.env, VENDURE_PASSWORD: 'not-the-password' });
    assert.equal(wrongStore.exitCode, 1);
    assert.match(wrongStore.stdout, /^ {2}tryton: reachable/m);
    assert.match(wrongStore.stdout, /^ {2}vendure: NOT reachable: Vendure at http:\/\/127\.0\.0\.1:\d+ refused the login of "superadmin"/m);

    const wrongInventory = await check(s.file, { ...s.env, TRYTON_PASSWORD: 'not-the-password' });
    assert.equal(wrongInventory.exitCode, 1);
    assert.match(wrongInventory.stdout, new RegExp(`^ {2}tryton: NOT reachable: Tryton login as admin on database ${tryton.database} refused: wrong user or password`, 'm'));
    assert.match(wrongInventory.stdout, /^ {2}vendure: reachable/m);
  });
});
