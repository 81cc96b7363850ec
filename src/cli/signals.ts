// How the long-running commands stop: the first SIGINT / SIGTERM asks for a clean stop after the
// step in hand; a second one, or a clean stop that takes too long, ends the process at once.

const CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export function onStopSignals(how: {
  /** first signal: finish the step in hand, then stop */
  gently: (signal: NodeJS.Signals) => void;
  /** second signal, or the grace ran out: last words before the process exits */
  atOnce: () => Promise<void>;
  /** how long a clean stop may take before it is cut short */
  graceMs?: number;
}): { dispose(): void } {
  let asked = false;
  let timer: NodeJS.Timeout | null = null;
  const hard = async (code: number) => {
    await how.atOnce().catch(() => undefined);
    process.exit(code);
  };
  const handler = (signal: NodeJS.Signals) => {
    const code = CODES[signal as keyof typeof CODES] ?? 1;
    if (asked) { void hard(code); return; }
    asked = true;
    how.gently(signal);
    timer = setTimeout(() => void hard(code), how.graceMs ?? 30_000);
    timer.unref();
  };
  for (const sig of Object.keys(CODES)) process.on(sig, handler);
  return {
    dispose() {
      for (const sig of Object.keys(CODES)) process.off(sig, handler);
      if (timer) clearTimeout(timer);
    },
  };
}
