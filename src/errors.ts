// One error type for the whole engine. Its `kind` is decided once, where the failure is first
// understood (usually where an HTTP answer is read), and drives what the job runner does next.

/** config: fix the settings; transient: retry with backoff; permanent: failure list, no retry. */
export type FailureKind = 'config' | 'transient' | 'permanent';

export class DovetailError extends Error {
  readonly kind: FailureKind;
  /** Seconds the remote asked us to wait (Retry-After, cost budget), if it said. */
  readonly retryAfterSeconds?: number;
  /** Plain-words detail for the failure list, e.g. which SKU was unknown. */
  readonly detail?: Record<string, unknown>;

  constructor(kind: FailureKind, message: string, opts: { retryAfterSeconds?: number; detail?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DovetailError';
    this.kind = kind;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.detail = opts.detail;
  }
}

export const permanent = (message: string, detail?: Record<string, unknown>) => new DovetailError('permanent', message, { detail });
export const transient = (message: string, opts: { retryAfterSeconds?: number; cause?: unknown } = {}) => new DovetailError('transient', message, opts);

/** Anything thrown that is not a DovetailError (a bug, a socket reset) is treated as transient. */
export function failureKindOf(err: unknown): FailureKind {
  return err instanceof DovetailError ? err.kind : 'transient';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a refused HTTP answer means for Dovetail: credentials (401/403), try later (429, 5xx), or this request refused. */
export function httpStatusKind(status: number): FailureKind {
  return status === 401 || status === 403 ? 'config' : status === 429 || status >= 500 ? 'transient' : 'permanent';
}

/** A Retry-After header given in seconds; a date or nothing gives undefined (the engine's own backoff then). */
export function retryAfterSeconds(header: string | null | undefined): number | undefined {
  const value = header?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Trim an HTTP failure to what a person needs: method, URL, status and the start of the body. */
export function httpFailure(method: string, url: string, status: number, body: string, retryAfter?: string | null): DovetailError {
  return new DovetailError(httpStatusKind(status), `${method} ${url} answered ${status}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`,
    { retryAfterSeconds: retryAfterSeconds(retryAfter) });
}
