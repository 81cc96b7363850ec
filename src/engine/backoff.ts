// Retries are data: the next attempt time is computed here and written on the job row.

const BASE_MS = 1_000;
const MAX_MS = 5 * 60_000;

/** Exponential backoff with ±20 % jitter, honouring a Retry-After the remote gave. */
export function backoffMs(attempt: number, retryAfterSeconds?: number, random = Math.random): number {
  const exp = Math.min(MAX_MS, BASE_MS * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(exp * (0.8 + 0.4 * random()));
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}
