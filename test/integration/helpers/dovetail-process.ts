// Dovetail run as its own process (`bin/dovetail.mjs run`), for the tests that kill it: started,
// made to die by SIGKILL at a failpoint in the middle of a step, or killed without warning between steps.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DOVETAIL_BIN } from './bin.js';

const living = new Set<ChildProcess>();
// A test or soak that ends early (a throw, Ctrl-C) leaves no `dovetail run` behind.
process.once('exit', () => { for (const child of living) child.kill('SIGKILL'); });

export class DovetailProcess {
  private child: ChildProcess | null = null;

  /** `settings`: a dovetail.yaml and the environment its `${…}` references read. */
  constructor(private readonly settings: () => { file: string; env: Record<string, string> }) {}

  /** Starts `dovetail run`; with `failpoint`, it SIGKILLs itself when it gets there. */
  private spawn(failpoint?: string): ChildProcess {
    const { file, env } = this.settings();
    const child = spawn(process.execPath, [DOVETAIL_BIN, '--config', file, 'run'], {
      env: { ...process.env, ...env, DOVETAIL_LOG_LEVEL: process.env.DOVETAIL_TEST_CHILD_LOG ?? 'warn', ...(failpoint ? { DOVETAIL_FAILPOINT: failpoint } : {}) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    living.add(child);
    child.once('exit', () => living.delete(child));
    return child;
  }

  /** the running process's pid (a worker's id in the workers registry begins with host:pid) */
  get pid(): number | undefined { return this.child?.pid; }

  /** A healthy Dovetail runs (the one running, if any, is killed first). */
  async start(): Promise<void> {
    await this.kill();
    this.child = this.spawn();
  }

  /** Dovetail dies at `failpoint` in the middle of the step, then runs again (unless `restart: false`). */
  async crashAt(failpoint: string, { restart = true } = {}): Promise<void> {
    await this.kill();
    const crashing = this.spawn(failpoint);
    const timer = setTimeout(() => crashing.kill('SIGTERM'), 90_000);
    const signal = await exited(crashing);
    clearTimeout(timer);
    assert.equal(signal, 'SIGKILL', `Dovetail died at ${failpoint}`);
    if (restart) this.child = this.spawn();
  }

  /** Killed without warning, as between two steps (a no-op when none runs). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) { child.kill('SIGKILL'); await exited(child); }
  }
}

function exited(p: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.signalCode);
    p.once('exit', (_c, sig) => resolve(sig));
  });
}
