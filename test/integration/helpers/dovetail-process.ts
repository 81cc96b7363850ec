// Dovetail run as its own process (`bin/dovetail.mjs run`), for the tests that kill it: started,
// made to die by SIGKILL at a failpoint in the middle of a step, or killed without warning between steps.
// On PostgreSQL (DOVETAIL_TEST_BACKEND=postgres) three processes run on the same settings.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DOVETAIL_BIN } from './bin.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { INTEGRATION_WORKERS } from '../../helpers/storage-backends.js';
import { databaseReady } from './dovetail.js';
import { freePort } from './free-port.js';

const living = new Set<ChildProcess>();
// A test or soak that ends early (a throw, Ctrl-C) leaves no `dovetail run` behind.
process.once('exit', () => { for (const child of living) child.kill('SIGKILL'); });

export class DovetailProcess {
  private children: ChildProcess[] = [];

  /**
   * `settings`: a dovetail.yaml and the environment its `${…}` references read. `workers`: how
   * many processes run on it; by default three when the settings are on PostgreSQL and the
   * tests run on it, else one.
   */
  constructor(private readonly settings: () => { file: string; env: Record<string, string> }, private readonly opts: { workers?: number } = {}) {}

  /** Starts `dovetail run` on `file`; with `failpoint`, it SIGKILLs itself when it gets there. */
  private spawn(file: string, failpoint?: string): ChildProcess {
    const { env } = this.settings();
    const child = spawn(process.execPath, [DOVETAIL_BIN, '--config', file, 'run'], {
      env: { ...process.env, ...env, DOVETAIL_LOG_LEVEL: process.env.DOVETAIL_TEST_CHILD_LOG ?? 'warn', ...(failpoint ? { DOVETAIL_FAILPOINT: failpoint } : {}) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    living.add(child);
    child.once('exit', () => living.delete(child));
    return child;
  }

  /**
   * The settings file of each worker: the first runs on the test's own (its port is the one the
   * test calls), the others on a copy beside it that listens on a free port of its own.
   */
  private async workerFiles(): Promise<string[]> {
    const { file } = this.settings();
    const raw = parse(readFileSync(file, 'utf8')) as { database?: { driver?: string; url?: string }; server?: Record<string, unknown> };
    const workers = this.opts.workers ?? (raw.database?.driver === 'postgres' ? INTEGRATION_WORKERS : 1);
    await databaseReady(raw.database?.url);
    const files = [file];
    for (let i = 1; i < workers; i++) {
      const copy = file.replace(/\.yaml$/, `.worker-${i + 1}.yaml`);
      writeFileSync(copy, stringify({ ...raw, server: { ...raw.server, port: await freePort() } }));
      files.push(copy);
    }
    return files;
  }

  /** the first running process's pid (a worker's id in the workers registry begins with host:pid) */
  get pid(): number | undefined { return this.children[0]?.pid; }

  /** A healthy Dovetail runs (the processes running, if any, are killed first). */
  async start(): Promise<void> {
    await this.kill();
    this.children = (await this.workerFiles()).map((file) => this.spawn(file));
  }

  /**
   * Dovetail dies at `failpoint` in the middle of the step, then runs again (unless `restart: false`).
   * With several workers, all carry the failpoint and the first to reach it dies; the others run
   * on (they die too should they reach it) and a healthy one takes the dead one's place. Without
   * a restart the others are killed as well, so nothing runs after.
   */
  async crashAt(failpoint: string, { restart = true } = {}): Promise<void> {
    await this.kill();
    const files = await this.workerFiles();
    const crashing = files.map((file) => this.spawn(file, failpoint));
    const timer = setTimeout(() => { for (const c of crashing) c.kill('SIGTERM'); }, 90_000);
    const [dead, signal] = await Promise.race(crashing.map(async (c, i) => [i, await exited(c)] as const));
    clearTimeout(timer);
    this.children = crashing;
    assert.equal(signal, 'SIGKILL', `Dovetail died at ${failpoint}`);
    if (!restart) return this.kill();
    this.children[dead] = this.spawn(files[dead]);
  }

  /** Killed without warning, as between two steps (a no-op when none runs). */
  async kill(): Promise<void> {
    const children = this.children;
    this.children = [];
    await Promise.all(children.map(async (child) => { child.kill('SIGKILL'); await exited(child); }));
  }
}

function exited(p: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.signalCode);
    p.once('exit', (_c, sig) => resolve(sig));
  });
}
