// Named crash points for tests that prove recovery: `DOVETAIL_FAILPOINT=order.saleWritten`
// kills the process with SIGKILL at that point, as a power cut would. Inert otherwise.
export function failpoint(name: string): void {
  if (process.env.DOVETAIL_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
