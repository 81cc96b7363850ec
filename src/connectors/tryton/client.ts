// The only place that speaks HTTP to Tryton (JSON-RPC, Tryton 6.0). It logs in (one login at a
// time, paced after a refusal), keeps the session and the user context, encodes Decimals and
// dates, and turns every failure into one DovetailError.
import { z } from 'zod';
import { DovetailError, httpFailure } from '../../errors.js';
import { bytesInJsonAnswer, jsonBodyWithBytes, NoBytesInAnswer, type ImageFile } from '../image-files.js';
import { CALLS_AT_ONCE, callGate } from '../calls-at-once.js';

export interface TrytonOptions {
  url: string;
  database: string;
  username: string;
  password: string;
  /** Per-call timeout; Tryton writes are CPU bound (~50 ms), a big batch can take seconds. */
  timeoutMs?: number;
  /** requests open at once (systems.inventory.callsAtOnce); the rest wait their turn */
  callsAtOnce?: number;
}

export interface SearchOptions {
  offset?: number;
  limit?: number | null;
  order?: [field: string, direction: 'ASC' | 'DESC'][] | null;
}

type Context = Record<string, unknown>;
type WizardStep = [state: string, data: object | ((prev: unknown) => object)];

// ---- values on the wire ---------------------------------------------------------------------

/** Encode a decimal string (never a float) the way Tryton expects it. */
export const dec = (v: string) => ({ __class__: 'Decimal', decimal: v });

/** Decode a Tryton Decimal (or a plain number / numeric string) to a decimal string. */
export function decimalString(v: unknown): string {
  if (typeof v === 'object' && v !== null && (v as { __class__?: unknown }).__class__ === 'Decimal') {
    const d = (v as { decimal?: unknown }).decimal;
    if (typeof d === 'string' && /^-?\d+(\.\d+)?$/.test(d)) return d;
    throw new DovetailError('permanent', `Tryton sent a malformed Decimal: ${JSON.stringify(v)}`);
  }
  if (typeof v === 'number' && Number.isFinite(v)) {
    const s = String(v);
    // 1e-7 and friends: write them out in full, then drop the trailing zeros.
    return /e/i.test(s) ? v.toFixed(20).replace(/\.?0+$/, '') : s;
  }
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  throw new DovetailError('permanent', `expected a decimal from Tryton, got ${JSON.stringify(v)}`);
}

/** A calendar date (Tryton `fields.Date`). */
export const dateOf = (year: number, month: number, day: number) => ({ __class__: 'date', year, month, day });

/** A point in time (Tryton `fields.DateTime`, naive and stored in UTC). */
export function trytonDateTime(d: Date) {
  return {
    __class__: 'datetime',
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    microsecond: d.getUTCMilliseconds() * 1000,
  };
}

const wireDate = z.object({
  __class__: z.enum(['date', 'datetime']),
  year: z.number().int(), month: z.number().int(), day: z.number().int(),
  hour: z.number().int().optional(), minute: z.number().int().optional(),
  second: z.number().int().optional(), microsecond: z.number().int().optional(),
});

/** Parse a Tryton `date` (midnight UTC) or `datetime` (UTC) back to a Date. */
export function fromTrytonDate(v: unknown): Date {
  const p = wireDate.safeParse(v);
  if (!p.success) throw new DovetailError('permanent', `expected a Tryton date, got ${JSON.stringify(v)}`);
  const x = p.data;
  return new Date(Date.UTC(x.year, x.month - 1, x.day, x.hour ?? 0, x.minute ?? 0, x.second ?? 0, Math.floor((x.microsecond ?? 0) / 1000)));
}

// ---- errors ---------------------------------------------------------------------------------

const short = (s: string, n = 300) => { const t = s.replace(/\s+/g, ' ').trim(); return t.length > n ? `${t.slice(0, n - 1)}…` : t; };
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * Decide what a JSON-RPC `error` means. Tryton sends `[ExceptionName, args]` for its own
 * exceptions (UserError args: [message, description, domain]; UserWarning: [name, message,
 * description]; ConcurrencyException: message) and `[str(exception), traceback]` for anything else.
 */
export function classifyTrytonError(method: string, error: unknown): DovetailError {
  const [head, args] = Array.isArray(error) ? error : [error, undefined];
  const name = str(head);
  const list = Array.isArray(args) ? args : [];
  const detail = { method, trytonError: name };
  if (name === 'UserError') {
    const text = [str(list[0]), str(list[1])].filter(Boolean).join(' — ');
    // Tryton's access error for records another transaction deleted while this one read them
    // (a sale's moves replaced by an amendment as its shipment state is computed): a race, and
    // the next read sees the sale as it is now
    const deletedUnderUs = /records? .* that (don't|do not) exist anymore/i.test(text);
    return new DovetailError(deletedUnderUs ? 'transient' : 'permanent', short(`Tryton refused ${method}: ${text || 'user error'}`), { detail });
  }
  if (name === 'UserWarning') {
    const text = [str(list[1]), str(list[2])].filter(Boolean).join(' — ');
    return new DovetailError('permanent', short(`Tryton warned on ${method}: ${text}`), { detail: { ...detail, warningName: str(list[0]) } });
  }
  if (name === 'ConcurrencyException') {
    return new DovetailError('transient', short(`Tryton ${method}: record changed by someone else (${str(args) || 'concurrent access'})`), { detail });
  }
  if (name === 'LoginException') {
    return new DovetailError('config', short(`Tryton ${method}: login needs ${str(list[0]) || 'more'} (${str(list[1])})`), { detail });
  }
  if (name === 'RateLimitException') {
    return new DovetailError('transient', `Tryton ${method}: rate limited`, { detail });
  }
  // Not a Tryton exception: str(exception) + traceback. Locks and timeouts pass; the rest is a bug
  // or bad input that a retry would only repeat.
  // An error with no words and no traceback is raised outside any model code (seen while
  // Tryton's worker processes a just-confirmed sale): nothing says a retry would fail again.
  if (!name && list.length === 0 && (args === '' || args === undefined || args === null)) {
    return new DovetailError('transient', `Tryton ${method} failed without saying why`, { detail: { method, trytonError: 'server' } });
  }
  const text = name || short(JSON.stringify(error) ?? 'unknown error');
  const passing = /database is locked|could not serialize|deadlock|lock timeout|timed? ?out|connection/i.test(text);
  return new DovetailError(passing ? 'transient' : 'permanent', short(`Tryton ${method} failed: ${text}`), { detail: { method, trytonError: 'server' } });
}

/** Network failures (refused, reset, timeout) are always worth a retry. */
export function networkFailure(method: string, url: string, err: unknown): DovetailError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const why = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'timed out'
    : e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new DovetailError('transient', `Tryton ${method} at ${url}: ${why}`, { cause: err });
}

/**
 * Tryton records every refused login of a user and, past `session.max_attempt` (5) within its
 * `session.timeout`, answers 429 to every further one, recording that too: a client that keeps
 * trying keeps the user locked for good, even once the password is right again. So after a
 * refusal Dovetail waits before the next login, twice as long each time; the cap is long enough
 * that retrying at it lets a lock end even with a one-hour window (at most 4 attempts an hour).
 */
export const LOGIN_BACKOFF_FIRST_MS = 2_000;
export const LOGIN_BACKOFF_MAX_MS = 15 * 60_000;

/** How long to wait after the n-th refused login in a row (429: Tryton has locked the user, so the longest). */
export function loginBackoffMs(refusalsInARow: number, lockedOut: boolean): number {
  if (lockedOut) return LOGIN_BACKOFF_MAX_MS;
  return Math.min(LOGIN_BACKOFF_FIRST_MS * 2 ** Math.max(0, refusalsInARow - 1), LOGIN_BACKOFF_MAX_MS);
}

const inWords = (ms: number) => (ms < 90_000 ? `${Math.max(1, Math.ceil(ms / 1000))} s` : `${Math.ceil(ms / 60_000)} min`);

const rpcAnswer = z.object({ id: z.unknown().optional(), result: z.unknown().optional(), error: z.unknown().optional() });
const loginAnswer = z.tuple([z.number().int(), z.string()]);
const ids = z.array(z.number().int());
const records = z.array(z.record(z.string(), z.unknown()));

// ---- the client -----------------------------------------------------------------------------

export class TrytonClient {
  private readonly opts: Required<TrytonOptions>;
  private readonly endpoint: string;
  private auth: string | null = null;
  private uid: number | null = null;
  private ctx: Context = {};
  private nextId = 0;
  private loggingIn: Promise<void> | null = null;
  private callCount = 0;
  private readonly gate: ReturnType<typeof callGate>;
  private refusalsInARow = 0;
  /** After a refused login: no new attempt before `until`; calls until then fail with `refusal`'s words. */
  private loginPause: { until: number; refusal: DovetailError } | null = null;

  constructor(opts: TrytonOptions) {
    this.opts = { timeoutMs: 60_000, callsAtOnce: CALLS_AT_ONCE, ...opts };
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/${encodeURIComponent(opts.database)}/`;
    this.gate = callGate(opts.callsAtOnce);
  }

  /** Number of RPC calls made so far (benchmarks read it). */
  get calls(): number { return this.callCount; }

  /** The user context from the last login (company, language, …); sent as every model call's last parameter. */
  get context(): Context { return { ...this.ctx }; }

  async login(): Promise<void> {
    // Concurrent callers (every feed and job that needs a session) share one login.
    this.loggingIn ??= this.pacedLogin().finally(() => { this.loggingIn = null; });
    return this.loggingIn;
  }

  private async pacedLogin(): Promise<void> {
    const pause = this.loginPause;
    if (pause && Date.now() < pause.until) {
      const { refusal } = pause;
      const waitMs = pause.until - Date.now();
      throw new DovetailError(refusal.kind, `${refusal.message}; Dovetail tries to log in again in ${inWords(waitMs)}, not before, so that Tryton does not lock the user out`,
        { detail: refusal.detail, retryAfterSeconds: Math.ceil(waitMs / 1000) });
    }
    try {
      await this.doLogin();
    } catch (err) {
      // Only refusals count at Tryton; a network or server failure is retried the usual way.
      if (!(err instanceof DovetailError) || typeof err.detail?.loginRefused !== 'number') throw err;
      this.refusalsInARow++;
      const waitMs = loginBackoffMs(this.refusalsInARow, err.detail.loginRefused === 429);
      this.loginPause = { until: Date.now() + waitMs, refusal: err };
      throw new DovetailError(err.kind, `${err.message}; next login attempt in ${inWords(waitMs)}`,
        { detail: err.detail, retryAfterSeconds: Math.ceil(waitMs / 1000) });
    }
    this.refusalsInARow = 0;
    this.loginPause = null;
  }

  private async doLogin(): Promise<void> {
    const { username, password } = this.opts;
    this.auth = null;
    const raw = await this.post('common.db.login', [username, { password }, 'en'], false);
    const parsed = loginAnswer.safeParse(raw);
    if (!parsed.success) {
      throw new DovetailError('config', `Tryton login as ${username} refused (answer ${short(JSON.stringify(raw) ?? '', 80)})`, { detail: { loginRefused: 200 } });
    }
    const [uid, session] = parsed.data;
    this.uid = uid;
    this.auth = `Session ${Buffer.from(`${username}:${uid}:${session}`).toString('base64')}`;
    const prefs = await this.post('model.res.user.get_preferences', [true, {}], false);
    this.ctx = z.record(z.string(), z.unknown()).parse(prefs);
  }

  /** Raw JSON-RPC call; logs in again once when the session has expired (HTTP 401). */
  async call<T = unknown>(method: string, params: unknown[]): Promise<T> {
    return (await this.post(method, params, true)) as T;
  }

  private async post(method: string, params: unknown[], mayRelogin: boolean): Promise<unknown> {
    if (mayRelogin && !this.auth) await this.login();
    const authUsed = this.auth;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authUsed) headers.authorization = authUsed;
    let res: Response;
    let text: string;
    this.callCount++;
    try {
      const body = JSON.stringify({ id: ++this.nextId, method, params });
      [res, text] = await this.gate(async () => {
        const r = await fetch(this.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
        return [r, await r.text()] as const;
      });
    } catch (err) {
      throw networkFailure(method, this.endpoint, err);
    }
    // Tryton's own lock-out answers 429 without Retry-After; a 429 that names its wait comes from
    // a rate limiter in front of it, has counted no refused login, and is over once that wait is.
    const rateLimited = res.status === 429 && res.headers.get('retry-after') !== null;
    if (method === 'common.db.login' && (res.status === 401 || (res.status === 429 && !rateLimited))) {
      const who = `Tryton login as ${this.opts.username} on database ${this.opts.database} refused`;
      const detail = { method, loginRefused: res.status };
      if (res.status === 429) {
        // Tryton's lock ends only once too few refusals are left within its session timeout.
        throw new DovetailError('transient', `${who}: too many login attempts (Tryton locks a user after 5 refused logins until they age out; fix the password if it is wrong)`, { detail });
      }
      throw new DovetailError('config', `${who}: wrong user or password`, { detail });
    }
    if (res.status === 401 && mayRelogin) {
      // Expired session: log in again (unless another call already did) and replay once.
      if (this.auth === authUsed) await this.login();
      return this.post(method, params, false);
    }
    if (res.status === 404 && method === 'common.db.login') {
      throw new DovetailError('config', `Tryton has no database ${this.opts.database} at ${this.opts.url}`);
    }
    return this.answerOf(method, res, text);
  }

  /**
   * Call `model.<model>.<method>` with the context as the last parameter. A UserWarning is
   * acknowledged like the Tryton client does (create `res.user.warning`, replay), at most 5 times:
   * over RPC there is no other way past it.
   */
  async model<T = unknown>(model: string, method: string, args: unknown[] = [], extraContext?: Context): Promise<T> {
    const full = `model.${model}.${method}`;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call<T>(full, [...args, { ...this.ctx, ...extraContext }]);
      } catch (err) {
        const warning = err instanceof DovetailError ? err.detail?.warningName : undefined;
        if (typeof warning !== 'string' || !warning || attempt >= 5) throw err;
        await this.call('model.res.user.warning.create', [[{ user: this.uid, name: warning, always: false }], this.ctx]);
      }
    }
  }

  async search(model: string, domain: unknown[], opts: SearchOptions = {}, ctx?: Context): Promise<number[]> {
    const r = await this.model(model, 'search', [domain, opts.offset ?? 0, opts.limit ?? null, opts.order ?? null], ctx);
    return parseWith(ids, r, `${model}.search`);
  }

  async searchRead<T = Record<string, unknown>>(model: string, domain: unknown[], fields: string[], opts: SearchOptions = {}, ctx?: Context): Promise<T[]> {
    const r = await this.model(model, 'search_read', [domain, opts.offset ?? 0, opts.limit ?? null, opts.order ?? null, fields], ctx);
    return parseWith(records, r, `${model}.search_read`) as T[];
  }

  async read<T = Record<string, unknown>>(model: string, idList: number[], fields: string[], ctx?: Context): Promise<T[]> {
    const r = await this.model(model, 'read', [idList, fields], ctx);
    return parseWith(records, r, `${model}.read`) as T[];
  }

  async create(model: string, values: object[], ctx?: Context): Promise<number[]> {
    return parseWith(ids, await this.model(model, 'create', [values], ctx), `${model}.create`);
  }

  async write(model: string, idList: number[], values: object, ctx?: Context): Promise<void> {
    await this.model(model, 'write', [idList, values], ctx);
  }

  /** A workflow button (quote, confirm, assign_try, done, …). */
  button(model: string, name: string, idList: number[], ctx?: Context): Promise<unknown> {
    return this.model(model, name, [idList], ctx);
  }

  /** Run a wizard through its states; a step's data may be computed from the previous answer. */
  async wizard(name: string, steps: WizardStep[], ctx?: Context): Promise<unknown[]> {
    const context = { ...this.ctx, ...ctx };
    const created = await this.call(`wizard.${name}.create`, [context]);
    const sessionId = Array.isArray(created) ? created[0] : undefined;
    if (typeof sessionId !== 'number') throw new DovetailError('permanent', `Tryton wizard ${name}: no session id in ${short(JSON.stringify(created) ?? '', 80)}`);
    const out: unknown[] = [];
    try {
      for (const [state, data] of steps) {
        const d = typeof data === 'function' ? data(out[out.length - 1]) : data;
        out.push(await this.call(`wizard.${name}.execute`, [sessionId, d, state, context]));
      }
    } finally {
      await this.call(`wizard.${name}.delete`, [sessionId, context]).catch(() => undefined);
    }
    return out;
  }

  // ---- large binary values (images), streamed rather than held in memory -----------------------

  /**
   * `model.<model>.<method>` whose arguments hold `BYTES` once, where the file's bytes go (a Binary
   * field): the request is written to disk with the bytes as base64 and sent from there.
   */
  async modelWithBytes<T = unknown>(model: string, method: string, args: unknown[], file: ImageFile): Promise<T> {
    const full = `model.${model}.${method}`;
    if (!this.auth) await this.login(); // the body carries the user context the login brings
    const [before, after, extra] = JSON.stringify({ id: ++this.nextId, method: full, params: [...args, this.ctx] }).split(JSON.stringify(BYTES));
    if (after === undefined || extra !== undefined) throw new DovetailError('permanent', `${full}: the bytes must appear once in its arguments`);
    const request = await jsonBodyWithBytes(`${before}{"__class__":"bytes","base64":"`, file, `"}${after}`);
    try {
      const res = await this.send(full, request.body, true);
      return (await this.answerOf(full, res, await res.text())) as T;
    } finally {
      await request.remove();
    }
  }

  /** The bytes of a Binary field of one record, decoded as Tryton's answer streams in. */
  async readBytes(model: string, id: number, field: string): Promise<AsyncIterable<Uint8Array>> {
    const full = `model.${model}.read`;
    if (!this.auth) await this.login(); // the body carries the user context the login brings
    const res = await this.send(full, JSON.stringify({ id: ++this.nextId, method: full, params: [[id], [field], this.ctx] }), true);
    if (res.status !== 200 || !res.body) await this.answerOf(full, res, await res.text());
    const answer = this.answerOf.bind(this);
    const body = res.body as AsyncIterable<Uint8Array>;
    return (async function* () {
      try {
        yield* bytesInJsonAnswer(body);
      } catch (err) {
        // no bytes: an error answer, or the record's field is empty
        if (!(err instanceof NoBytesInAnswer)) throw err;
        await answer(full, res, err.head);
        throw new DovetailError('permanent', `Tryton ${model} ${id} has no ${field}`);
      }
    })();
  }

  /** One POST of a prepared body, logged in, logging in again once on an expired session. */
  private async send(method: string, body: string | Blob, mayRelogin: boolean): Promise<Response> {
    if (!this.auth) await this.login();
    const authUsed = this.auth;
    this.callCount++;
    let res: Response;
    try {
      // the gate covers sending and the answer's head; a file's body is streamed by the caller after
      res = await this.gate(() => fetch(this.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: authUsed ?? '' }, body,
        signal: AbortSignal.timeout(Math.max(this.opts.timeoutMs, 10 * 60_000)) }));
    } catch (err) {
      throw networkFailure(method, this.endpoint, err);
    }
    if (res.status === 401 && mayRelogin) {
      await res.body?.cancel();
      if (this.auth === authUsed) await this.login();
      return this.send(method, body, false);
    }
    return res;
  }

  /** What a JSON-RPC answer says: its result, or the DovetailError its error or status means. */
  private answerOf(method: string, res: Response, text: string): unknown {
    // Tryton's error pages are HTML: keep the words only.
    if (res.status !== 200) throw httpFailure('POST', `${this.endpoint} (${method})`, res.status, text.replace(/<[^>]*>/g, ' '), res.headers.get('retry-after'));
    let answer: z.infer<typeof rpcAnswer>;
    try {
      answer = rpcAnswer.parse(JSON.parse(text));
    } catch {
      throw new DovetailError('transient', `Tryton ${method}: answer is not JSON-RPC: ${short(text, 120)}`);
    }
    if (answer.error !== undefined && answer.error !== null) throw classifyTrytonError(method, answer.error);
    return answer.result;
  }

  /** Database id of a record defined in a module's XML (`ir.model.data`). */
  async xmlId(module: string, fsId: string): Promise<number> {
    const rows = await this.searchRead<{ db_id: unknown }>('ir.model.data', [['module', '=', module], ['fs_id', '=', fsId]], ['db_id'], { limit: 1 });
    const id = rows[0]?.db_id;
    if (typeof id !== 'number') throw new DovetailError('config', `Tryton has no record ${module}.${fsId} (module not activated?)`);
    return id;
  }
}

/** Where modelWithBytes puts the file's bytes in the arguments. */
export const BYTES = '\u0000dovetail-bytes\u0000';

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const p = schema.safeParse(value);
  if (!p.success) throw new DovetailError('permanent', `Tryton ${what}: unexpected answer ${short(JSON.stringify(value) ?? 'undefined', 120)}`);
  return p.data;
}
