// Stopping Dovetail the way an operator or a service manager does: the real command in its own
// process, SIGTERM / Ctrl-C, while it holds work or while its database is locked. It must always
// stop, and never leave a job marked running behind it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dec } from '../../src/connectors/tryton/client.js';
import { settingsFor, trytonAdmin, until } from './helpers/dovetail.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../helpers/unreachable-systems.js';
import { freshTrytonDatabase, startVendure, type TrytonDatabase, type VendureInstance } from './helpers/systems.js';
import { freePort } from './helpers/free-port.js';
import { DOVETAIL_BIN } from './helpers/bin.js';

interface Launched { child: ChildProcess; stderr: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }> }

function launch(file: string, env: Record<string, string>, ...args: string[]): Launched {
  const child = spawn(process.execPath, [DOVETAIL_BIN, '--config', file, ...args], { env: { ...process.env, ...env, DOVETAIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout!.on('data', () => undefined);
  let signalledAt = 0;
  const kill = child.kill.bind(child);
  child.kill = (sig?: NodeJS.Signals | number) => { signalledAt ||= Date.now(); return kill(sig); };
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, afterMs: Date.now() - signalledAt })));
  return { child, stderr: () => err, exit };
}

/** The same signal twice at once is delivered once: the second comes a moment later, as a person's second Ctrl-C does. */
async function signalTimes(child: ChildProcess, signal: NodeJS.Signals, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (i) await new Promise((r) => setTimeout(r, 300));
    child.kill(signal);
  }
}

/** Passes every request on to `target` after `delayMs`, as a store under load answers. */
async function slowProxy(target: string, delayMs: number): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      const out = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => { res.statusCode = 502; res.end(); });
      req.pipe(out);
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => { server.closeAllConnections(); server.close(); } };
}


const jobStates = (dbFile: string) => {
  const db = new Database(dbFile, { readonly: true });
  try { return db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as { state: string; n: number }[]; } finally { db.close(); }
};
const count = (rows: { state: string; n: number }[], state: string) => rows.find((r) => r.state === state)?.n ?? 0;

describe('dovetail run stops on a signal, even while its database is locked', () => {
  // the systems are not needed to show this: both point at a closed port
  const dir = mkdtempSync(path.join(tmpdir(), 'dovetail-stop-'));
  const file = path.join(dir, 'dovetail.yaml');
  const env = UNREACHABLE_ENV;
  let port = 0;
  before(async () => {
    port = await freePort();
    writeFileSync(file, unreachableSettings(`database: { path: dovetail.sqlite }
sync: { pollIntervalMs: 200 }
server: { port: ${port} }
`));
  });

  // a second signal ends it at once (130) unless the clean stop was quicker still (0)
  for (const [signal, times, codes] of [['SIGTERM', 1, [0]], ['SIGINT', 2, [0, 130]]] as const) {
    test(`${signal} ×${times} while another process holds the database: the process ends`, async () => {
      const run = launch(file, env, 'run');
      try {
        await until('the server to answer', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status !== undefined, 30_000);
        const other = new Database(path.join(dir, 'dovetail.sqlite'));
        other.exec('BEGIN IMMEDIATE'); // held for the rest of the test, as a stuck backup would
        try {
          await new Promise((r) => setTimeout(r, 6_000)); // longer than SQLite's busy wait: the engine's writes fail meanwhile
          await signalTimes(run.child, signal, times);
          const { code: exitCode, afterMs } = await Promise.race([run.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 20 s after ${signal}:\n${run.stderr()}`)), 20_000))]);
          assert.ok((codes as readonly number[]).includes(exitCode ?? -1), `exit ${exitCode}: ${run.stderr()}`);
          assert.ok(afterMs < 20_000);
        } finally {
          other.exec('ROLLBACK');
          other.close();
        }
      } finally {
        if (run.child.exitCode === null) run.child.kill('SIGKILL');
      }
    });
  }
});

const PRODUCTS = 160;

describe('dovetail sync stopped with Ctrl-C leaves no job running', { timeout: 300_000 }, () => {
  let tryton: TrytonDatabase; let vendure: VendureInstance;
  before(async () => {
    tryton = await freshTrytonDatabase();
    vendure = await startVendure();
    const t = await trytonAdmin(tryton);
    // more than two of the products flow's batches (50), in one call
    const unit = await t.xmlId('product', 'uom_unit');
    const [category] = await t.search('product.category', [['name', '=', 'Goods']], { limit: 1 });
    await t.create('product.template', Array.from({ length: PRODUCTS }, (_, i) => ({ name: `Stop test product ${i + 1}`, type: 'goods', default_uom: unit,
      list_price: dec('5.00'), salable: true, sale_uom: unit, account_category: category, products: [['create', [{ suffix_code: `STOP-${i + 1}`, cost_price: dec('1') }]]] })));
  });
  after(async () => { await vendure?.stop(); });

  for (const times of [1, 2]) {
    test(`Ctrl-C ×${times} during the first batches: the process ends, nothing is left marked running, the rest waits for run`, async () => {
      // a slow store keeps a batch in hand for seconds, so the second Ctrl-C comes while it is
      const slow = await slowProxy(vendure.url, 1_000);
      // SQLite in both test modes: the jobs are read from its file after the process ended
      const s = settingsFor(tryton, { ...vendure, url: slow.url }, { rules: { liveInventory: false }, database: { driver: 'sqlite', path: 'dovetail.sqlite' } });
      const sync = launch(s.file, s.env, 'sync', 'products');
      try {
        await until('the first batch to be done', async () => new RegExp(`products: [1-9]\\d*/${PRODUCTS}`).test(sync.stderr()), 120_000);
        await signalTimes(sync.child, 'SIGINT', times);
        const { code } = await Promise.race([sync.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after Ctrl-C:\n${sync.stderr()}`)), 60_000))]);
        const states = jobStates(path.join(s.dir, 'dovetail.sqlite'));
        assert.equal(count(states, 'running'), 0, `no job left running: ${JSON.stringify(states)}`);
        assert.equal(code, 130, sync.stderr());
        assert.ok(count(states, 'pending') > 0, `the rest is still queued: ${JSON.stringify(states)}`);
        assert.match(sync.stderr(), times === 1 ? /stopping after the batch in hand/ : /stopped; \d+ jobs? put back in the queue/);
      } finally {
        if (sync.child.exitCode === null) sync.child.kill('SIGKILL');
        slow.close();
      }
    });
  }
});
