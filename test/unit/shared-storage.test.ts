// Several workers on one database: the claim never runs two jobs of one record at once and never
// loses or doubles a job; each feed has one poller; the workers registry shows who is alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openPostgres } from '../../src/store/postgres/open.js';
import type { Storage } from '../../src/store/storage.js';
import { BACKENDS, freshStorage } from '../helpers/storage-backends.js';

test('four workers on one PostgreSQL work a busy queue: one running job per record at any moment, every job run once', async () => {
  const first = await freshStorage('postgres');
  const workers: Storage[] = [first, ...await Promise.all([1, 2, 3].map(() => openPostgres(first.url!)))];
  try {
    const keys = Array.from({ length: 12 }, (_, i) => `SKU${i}`);
    for (const key of keys) await first.enqueue({ kind: 'stock', key, reason: 'first' });
    const runningNow = new Map<string, string>();
    const ranById = new Map<number, number>();
    let overlaps = 0;
    let changesLeft = 120;
    // while jobs run, new changes keep arriving for the same records (one pending job each waits)
    const work = async (s: Storage, worker: string) => {
      for (let idle = 0; idle < 20;) {
        const jobs = await s.claim(['stock'], 3, worker, 60_000);
        if (!jobs.length) { idle++; await new Promise((r) => setImmediate(r)); continue; }
        idle = 0;
        for (const j of jobs) {
          if (runningNow.has(j.key)) overlaps++;
          runningNow.set(j.key, worker);
          ranById.set(j.id, (ranById.get(j.id) ?? 0) + 1);
        }
        if (changesLeft > 0) { changesLeft--; await s.enqueue({ kind: 'stock', key: keys[changesLeft % keys.length], reason: 'again' }); }
        await new Promise((r) => setImmediate(r));
        for (const j of jobs) { runningNow.delete(j.key); await s.complete(j.id); }
      }
    };
    await Promise.all(workers.map((s, i) => work(s, `w${i}`)));
    assert.equal(overlaps, 0, 'two workers ran jobs of one record at once');
    const all = await first.jobs();
    assert.deepEqual(all.filter((j) => j.state !== 'done'), [], 'every job ran to the end');
    assert.deepEqual([...ranById.values()].filter((n) => n !== 1), [], 'no job ran twice');
    assert.equal(ranById.size, all.length, 'every job was claimed');
    assert.ok(all.length > keys.length, 'changes arrived while jobs ran');
  } finally {
    for (const s of workers.slice(1)) await s.close();
    await first.close();
  }
});

for (const backend of BACKENDS) {
  test(`the database refuses a second running job for one record, whoever tries (${backend})`, async () => {
    const s = await freshStorage(backend);
    try {
      await s.enqueue({ kind: 'order', key: 'O1', reason: 'x' });
      const [job] = await s.claim(['order'], 1, 'w1', 60_000);
      await s.enqueue({ kind: 'order', key: 'O1', reason: 'y' });
      // a claim that skipped the "none running" check (two claims racing) cannot commit
      const raced = s.db.updateTable('jobs').set({ state: 'running', locked_by: 'w2' })
        .where('kind', '=', 'order').where('key', '=', 'O1').where('state', '=', 'pending').execute();
      await assert.rejects(raced, /unique|UNIQUE/);
      assert.deepEqual(await s.claim(['order'], 1, 'w2', 60_000), [], 'the waiting job waits for the running one');
      await s.complete(job.id);
      assert.equal((await s.claim(['order'], 1, 'w2', 60_000)).length, 1);
    } finally { await s.close(); }
  });

  test(`the workers registry shows each worker, its feeds and its running jobs, and forgets silent ones (${backend})`, async () => {
    const s = await freshStorage(backend);
    try {
      const started = new Date().toISOString();
      assert.equal(await s.tryOwnFeed('tryton', 'stock'), true);
      await s.workerAlive({ id: 'a', host: 'h1', pid: 11, startedAt: started });
      await s.workerAlive({ id: 'b', host: 'h2', pid: 22, startedAt: started });
      await s.enqueue({ kind: 'stock', key: 'S1', reason: 'x' });
      await s.claim(['stock'], 1, 'b', 60_000);
      assert.deepEqual((await s.workers()).map((w) => [w.id, w.host, w.pid, w.feeds, w.jobsRunning]),
        [['a', 'h1', 11, ['tryton.stock'], 0], ['b', 'h2', 22, ['tryton.stock'], 1]]);
      await s.workerStopped('a');
      assert.deepEqual((await s.workers()).map((w) => w.id), ['b']);
      // a heartbeat renews the row; a worker silent for longer than allowed is aged out
      await s.db.updateTable('workers').set({ heartbeat_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', 'b').execute();
      await s.workerAlive({ id: 'c', host: 'h1', pid: 33, startedAt: started });
      assert.equal(await s.forgetSilentWorkers(60_000), 1);
      assert.deepEqual((await s.workers()).map((w) => w.id), ['c']);
    } finally { await s.close(); }
  });
}

test('each feed is polled by one worker at a time; a worker\'s feeds pass to another when its session ends', async () => {
  const a = await freshStorage('postgres');
  const b = await openPostgres(a.url!);
  try {
    assert.equal(await a.tryOwnFeed('tryton', 'stock'), true);
    assert.equal(await b.tryOwnFeed('tryton', 'stock'), false, 'held by a');
    assert.equal(await b.tryOwnFeed('vendure', 'order'), true);
    assert.equal(await a.tryOwnFeed('tryton', 'stock'), true, 'a keeps it at its next poll');
    // the holder's connection dies (a SIGKILLed worker): PostgreSQL frees its locks
    // advisory locks are per database: other test files hold a 'tryton.stock' lock in theirs
    const holder = sql<{ pid: number }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('tryton.stock')::oid
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
    const [{ pid }] = (await holder.execute(b.db)).rows;
    await sql`SELECT pg_terminate_backend(${pid})`.execute(b.db);
    // the signal is sent at once; the session ends (and its locks go) a moment later
    await sql`DO $$ BEGIN WHILE EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ${sql.lit(pid)}) LOOP PERFORM pg_sleep(0.01); END LOOP; END $$`.execute(b.db);
    assert.equal(await b.tryOwnFeed('tryton', 'stock'), true, 'taken over at the next poll');
    assert.equal(await a.tryOwnFeed('tryton', 'stock'), false, 'a, back with a new session, finds it taken');
    await b.workerAlive({ id: 'b', host: 'h', pid: 2, startedAt: new Date().toISOString() });
    await a.workerAlive({ id: 'a', host: 'h', pid: 1, startedAt: new Date().toISOString() });
    assert.deepEqual((await a.workers()).map((w) => [w.id, w.feeds]).sort(), [['a', []], ['b', ['tryton.stock', 'vendure.order']]]);
    // a worker that lets go (an engine no one drives) frees its feeds at once, and can take them back
    await b.releaseFeeds();
    assert.equal(await a.tryOwnFeed('tryton', 'stock'), true, 'free once b let go');
    assert.equal(await b.tryOwnFeed('tryton', 'stock'), false);
    assert.equal(await b.tryOwnFeed('vendure', 'order'), true, 'b\'s next poll takes back what nobody took');
  } finally {
    await b.close();
    await a.close();
  }
});

test('on SQLite the one process polls every feed', async () => {
  const s = await freshStorage('sqlite');
  assert.equal(await s.tryOwnFeed('tryton', 'stock'), true);
  assert.equal(await s.tryOwnFeed('tryton', 'stock'), true);
  await s.close();
});
