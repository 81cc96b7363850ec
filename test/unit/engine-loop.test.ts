// The engine's loop under faults of its own machine: a database locked for longer than SQLite
// waits, a worker that died holding jobs, a system down for longer than the old retry budget.
// The connectors are the real ones, pointed at a closed port: every call fails as a real outage does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { Engine } from '../../src/engine/engine.js';
import { JOB } from '../../src/engine/job-kinds.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { buildApp } from '../../src/server/http.js';
import { overviewPage } from '../../src/server/pages.js';
import { flows } from '../../src/server/state.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../helpers/unreachable-systems.js';

/** Settings whose two systems are unreachable (port 9 on loopback refuses every connection). */
async function engineWithSystemsDown(rules = 'capture: atOrder', sync = 'pollIntervalMs: 200', leaseMs?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'dovetail-loop-'));
  const config = parseConfig(unreachableSettings(`database: { path: ${join(dir, 'd.sqlite')} }
rules: { ${rules} }
inventory: { debounceMs: 0 }
sync: { ${sync} }
`), UNREACHABLE_ENV, 'test.yaml');
  const file = config.database.driver === 'sqlite' ? config.database.path : '';
  return { engine: new Engine(await openContext(config, createLogger('silent')), { leaseMs }), file };
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A job whose handler finishes without calling either system (capture per shipment while capture is atOrder). */
const quickJob = (key: string) => ({ kind: JOB.capture, key, reason: 'test' });
const isDone = async (engine: Engine, key: string) => (await engine.ctx.storage.jobs({ key })).some((j) => j.state === 'done');

test('the database locked for longer than SQLite waits: the loop says so, keeps going, and works what came in once the lock is gone', async () => {
  const { engine, file } = await engineWithSystemsDown();
  const stop = new AbortController();
  let ended: unknown = 'running';
  const running = engine.run(stop.signal).then(() => { ended = 'returned'; }, (err: unknown) => { ended = err; });
  try {
    await until('the first pass', () => engine.health.view().state === 'working');
    assert.equal(engine.health.problem(60_000), null);
    const app = buildApp(engine);
    const answer = async (path: string) => { const r = await app.request(path); return { status: r.status, body: await r.json() as Record<string, unknown> }; };
    assert.equal((await answer('/healthz')).status, 200, 'alive: the loop works, though both systems are down');
    assert.deepEqual(await answer('/readyz'), { status: 503, body: { ready: false, engine: 'working', systems: { tryton: 'unreachable', vendure: 'unreachable' } } },
      'not ready: readiness names the systems it cannot reach');

    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE'); // a second writer holds the file, as a stuck backup or shell would
    try {
      await until('the engine to report the lock', () => engine.health.problem(60_000) !== null, 30_000);
      assert.match(engine.health.problem(60_000)!, /locked by another process/);
      assert.equal(ended, 'running', 'the loop is still running');
      assert.equal((await answer('/healthz')).status, 503, '/healthz says the engine is not working');
      assert.equal((await answer('/readyz')).body.engine, 'not working');
      const fromThisMachine = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
      const overview = await (await app.request('http://127.0.0.1/', {}, fromThisMachine)).text();
      assert.match(overview, /role="alert"><b>Dovetail is not moving anything right now:<\/b> the engine(?:'|&#39;)s passes have been failing since .*locked by another process/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await engine.ctx.storage.enqueue(quickJob('ORDER-1:1'));
    engine.wake();
    await until('the job that came in after the lock to be done', () => isDone(engine, 'ORDER-1:1'), 60_000);
    await until('the engine to be healthy again', () => engine.health.problem(60_000) === null, 60_000);
    assert.equal((await answer('/healthz')).status, 200);
  } finally {
    stop.abort();
    await running;
    await engine.ctx.storage.close();
  }
  assert.equal(ended, 'returned', 'a stop ends the loop cleanly');
  assert.equal(engine.health.view().state, 'stopped');
});

test('jobs a dead worker left running are taken back while the engine runs, not only at its next start', async () => {
  const { engine } = await engineWithSystemsDown('capture: atOrder', 'pollIntervalMs: 200', 400);
  const stop = new AbortController();
  const running = engine.run(stop.signal);
  try {
    await until('the first pass', () => [...engine.feeds.values()].some((f) => f.lastError));
    // another worker (on another machine: its pid cannot be checked) claimed a job, then died
    await engine.ctx.storage.enqueue(quickJob('ORDER-2:1'));
    await engine.ctx.storage.claim([JOB.capture], 1, 'elsewhere:4242:gone', 400);
    await until('the dead worker\'s job to be done by this one', () => isDone(engine, 'ORDER-2:1'), 20_000);
  } finally {
    stop.abort();
    await running;
    await engine.ctx.storage.close();
  }
});

test('a system down for hours keeps its records retrying (not on the failure list) until sync.keepRetryingHours', async () => {
  const { engine } = await engineWithSystemsDown('liveInventory: true', 'maxAttempts: 3, keepRetryingHours: 2');
  const { storage } = engine.ctx;
  await storage.enqueue({ kind: JOB.stock, key: 'MUG-1', reason: 'test' });
  const dueNow = () => storage.db.updateTable('jobs').set({ run_after: new Date(0).toISOString() }).where('key', '=', 'MUG-1').execute();
  for (let attempt = 1; attempt <= 6; attempt++) {
    const stats = await engine.runner.runReady();
    assert.deepEqual(stats, { done: 0, retrying: 1, failed: 0 }, `attempt ${attempt}: still retrying`);
    await dueNow();
  }
  const [job] = await storage.jobs({ key: 'MUG-1' });
  assert.equal(job.state, 'pending');
  assert.equal(job.attempts, 6, 'more attempts than sync.maxAttempts');
  assert.match(job.lastError ?? '', /127\.0\.0\.1:9/, 'the reason names the system that cannot be reached');
  // the dashboard and `status` say so: retrying, since when, and why
  const stock = (await flows(storage, engine.ctx.config)).find((f) => f.name === 'stock')!;
  assert.equal(stock.retrying.count, 1);
  assert.equal(stock.retrying.since, job.failingSince);
  assert.match(stock.retrying.reason ?? '', /127\.0\.0\.1:9/);
  const page = overviewPage({ config: engine.ctx.config, failures: 0, drift: 0, csrf: null, signedIn: false }, await flows(storage, engine.ctx.config));
  assert.match(page, /<span class="pill warn">Retrying<\/span>/);
  assert.match(page, /1 record waiting to be tried again \(failing since .*up to 2 hours after the first failure\)/);
  // the outage has lasted longer than the settings allow: now it goes to the failure list
  await storage.db.updateTable('jobs').set({ failing_since: new Date(Date.now() - 3 * 3_600_000).toISOString() }).where('key', '=', 'MUG-1').execute();
  assert.deepEqual(await engine.runner.runReady(), { done: 0, retrying: 0, failed: 1 });
  assert.equal((await storage.failures())[0].key, 'MUG-1');
  await storage.close();
});

test('a job that comes due between two polls (a debounce, a retry) is worked when due, not at the next poll', async () => {
  const { engine } = await engineWithSystemsDown('capture: atOrder', 'pollIntervalMs: 600000');
  await engine.ctx.storage.enqueue({ ...quickJob('ORDER-3:1'), delayMs: 300 });
  const stop = new AbortController();
  const running = engine.run(stop.signal);
  try {
    // polled once at the start; the next poll is ten minutes away
    await until('the job worked once due', () => isDone(engine, 'ORDER-3:1'), 10_000);
  } finally {
    stop.abort();
    await running;
    await engine.ctx.storage.close();
  }
});
