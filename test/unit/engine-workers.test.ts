// Three engines (three `dovetail run` workers) on one PostgreSQL: they share the queue without
// running a job twice, each feed is read by one of them, and a stopped worker's feeds pass on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { Engine } from '../../src/engine/engine.js';
import { JOB } from '../../src/engine/job-kinds.js';
import { openContext } from '../../src/engine/open.js';
import { createLogger } from '../../src/log.js';
import { buildApp } from '../../src/server/http.js';
import { UNREACHABLE_ENV, unreachableSettings } from '../helpers/unreachable-systems.js';
import { freshPostgresDatabase } from '../helpers/storage-backends.js';

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('three workers on one PostgreSQL: every job done once, each feed read by one worker, a stopped worker\'s feeds taken over', async () => {
  const db = await freshPostgresDatabase();
  // both systems unreachable: feeds fail as in an outage, and capture jobs finish without calling them
  const config = parseConfig(unreachableSettings(`database: { driver: postgres, url: "${db.url}" }
rules: { capture: atOrder, liveInventory: true }
sync: { pollIntervalMs: 200 }
`), UNREACHABLE_ENV, 'test.yaml');
  const engines: Engine[] = [];
  for (let i = 0; i < 3; i++) engines.push(new Engine(await openContext(config, createLogger('silent'))));
  const stops = engines.map(() => new AbortController());
  const runs = engines.map((e, i) => e.run(stops[i].signal));
  const [first] = engines;
  const { storage } = first.ctx;
  try {
    const keys = Array.from({ length: 40 }, (_, i) => `ORDER-${i}:1`);
    for (const key of keys) await storage.enqueue({ kind: JOB.capture, key, reason: 'test' });
    for (const e of engines) e.wake();
    await until('every job to be done', async () => (await storage.jobs({ kind: JOB.capture })).every((j) => j.state === 'done'));
    const jobs = await storage.jobs({ kind: JOB.capture });
    assert.equal(jobs.length, keys.length, 'no job lost or added');
    assert.deepEqual(jobs.filter((j) => j.attempts !== 1).map((j) => j.key), [], 'no job ran twice');

    const readFeeds = () => engines.flatMap((e) => [...e.feeds.values()].filter((f) => f.lastPollAt || f.lastError).map((f) => `${f.system}.${f.kind}`));
    await until('the three workers to be registered with the feeds they read', async () => {
      const workers = await storage.workers();
      return workers.length === 3 && workers.flatMap((w) => w.feeds).includes('jobs.shared-creates') && workers.flatMap((w) => w.feeds).length > 1;
    });
    const workers = await storage.workers();
    const held = workers.flatMap((w) => w.feeds);
    assert.equal(new Set(held).size, held.length, `a feed read by two workers: ${JSON.stringify(workers.map((w) => w.feeds))}`);
    // besides the systems' feeds, one worker holds the jobs that create shared records
    assert.ok(held.includes('jobs.shared-creates'));
    assert.deepEqual([...new Set(readFeeds())].sort(), held.filter((f) => f !== 'jobs.shared-creates').sort(), 'what the workers read is what they hold');

    const app = buildApp(engines[1]);
    const fromThisMachine = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
    const get = (path: string) => app.request(`http://127.0.0.1${path}`, {}, fromThisMachine);
    const status = await (await get('/api/status')).json() as { workers: { id: string }[] };
    assert.deepEqual(status.workers.map((w) => w.id).sort(), engines.map((e) => e.worker.id).sort());
    assert.match(await (await get('/metrics')).text(), /^dovetail_workers 3$/m);
    const overview = await (await get('/')).text();
    assert.match(overview, /<h2>Workers \(3\)<\/h2>/);
    for (const e of engines) assert.ok(overview.includes(`data-worker="${e.worker.id}"`), 'every worker on the overview');

    // the worker holding the feeds stops: it leaves the registry, and another takes its feeds at its next poll
    const holder = engines.findIndex((e) => workers.find((w) => w.id === e.worker.id)!.feeds.length > 0);
    const heldByIt = workers.find((w) => w.id === engines[holder].worker.id)!.feeds;
    stops[holder].abort();
    await runs[holder];
    await engines[holder].ctx.storage.close();
    const rest = engines.filter((_, i) => i !== holder);
    await until('another worker to read the stopped worker\'s feeds', async () => {
      const now = await rest[0].ctx.storage.workers();
      return now.length === 2 && heldByIt.every((f) => now.some((w) => w.feeds.includes(f)));
    }, 10_000);
  } finally {
    stops.forEach((s) => s.abort());
    await Promise.all(runs);
    for (const e of engines) await e.ctx.storage.close().catch(() => undefined);
    await db.drop();
  }
});
