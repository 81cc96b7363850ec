// An in-process engine that dies at a failpoint. A failpoint SIGKILLs the process, which would end
// the test too; here the kill throws instead, so the job it interrupted is left as a retry, the
// state a restart after the crash finds (nothing past the failpoint was written).
import assert from 'node:assert/strict';

/** Runs `work` with the engine set to die at failpoint `name`; fails the test if the flow never passed it. */
export async function dyingAt(name: string, work: () => Promise<unknown>): Promise<void> {
  const kill = process.kill;
  let died = false;
  process.env.DOVETAIL_FAILPOINT = name;
  process.kill = ((pid: number, signal?: string | number) => {
    if (pid !== process.pid || signal !== 'SIGKILL' || died) return kill.call(process, pid, signal);
    died = true;
    throw new Error(`the process died at ${name}`);
  }) as typeof process.kill;
  try { await work(); } finally { process.kill = kill; delete process.env.DOVETAIL_FAILPOINT; }
  assert.ok(died, `the flow passed failpoint ${name}`);
}
