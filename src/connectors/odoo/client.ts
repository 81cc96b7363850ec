// The only code that speaks HTTP to Odoo: one `call(model, method, params)` in front of two
// transports (JSON-2 for 19+, /jsonrpc execute_kw for 17 and 18), and one place that decides what kind of failure an answer is.
import { z } from 'zod';
import { DovetailError, httpStatusKind, retryAfterSeconds } from '../../errors.js';
import { GENERIC, ODOO_VERSIONS, type OdooVersion } from './models.js';
import { callGate } from '../calls-at-once.js';

export type Transport = 'json2' | 'jsonrpc';

export interface OdooClientOptions {
  url: string;
  database: string;
  /** the login the API key belongs to: /jsonrpc authenticates with it, JSON-2 does not need it */
  username?: string;
  apiKey: string;
  /** unset: JSON-2 from Odoo 19 on, /jsonrpc before */
  transport?: Transport;
  timeoutMs?: number;
  /** requests open at once (systems.inventory.callsAtOnce); the rest wait their turn */
  callsAtOnce?: number;
}

/**
 * A method's parameters by name, as JSON-2 takes them: `ids` (the records a record method runs on),
 * `context`, and the method's own keyword parameters.
 */
export interface CallParams { ids?: number[]; context?: Record<string, unknown>; [name: string]: unknown }

/** What the flows need of a client; tests and the flows never know which transport runs. */
export interface OdooCalls {
  readonly version: OdooVersion;
  call(model: string, method: string, params?: CallParams): Promise<unknown>;
}

/**
 * Methods whose leading parameters execute_kw must receive positionally. Odoo 17/18's call_kw
 * hands `args[0]` to model_create_multi methods (create) to decide one id or a list; every other
 * named parameter binds by keyword, and a record method's ids always come first.
 */
const POSITIONAL: Record<string, string[]> = { [GENERIC.create]: ['vals_list'] };

/** The execute_kw `args` and `kwargs` for a call given by name (the one place names become positions). */
export function executeKwArgs(method: string, params: CallParams): { args: unknown[]; kwargs: Record<string, unknown> } {
  const { ids, ...named } = params;
  const leading = (POSITIONAL[method] ?? []).map((name) => { const v = named[name]; delete named[name]; return v; });
  return { args: [...(ids ? [ids] : []), ...leading], kwargs: named };
}

const short = (s: string, n = 300) => { const t = s.replace(/\s+/g, ' ').trim(); return t.length > n ? `${t.slice(0, n - 1)}…` : t; };

/** The serialized exception Odoo sends (odoo.http.serialize_exception): JSON-2's body, /jsonrpc's error.data. */
const OdooException = z.object({
  name: z.string(),
  message: z.string().optional(),
  arguments: z.array(z.unknown()).optional(),
}).passthrough();
type OdooException = z.infer<typeof OdooException>;

const RpcAnswer = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.unknown(), result: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), id: z.unknown(), error: z.object({ code: z.number(), message: z.string(), data: OdooException.partial().passthrough().optional() }) }),
]);

/** Odoo's exception names (`odoo.exceptions.…`, `psycopg2.errors.…`, `werkzeug.exceptions.…`) by the kind of failure they are. */
const EXCEPTIONS_OF_KIND = {
  config: /AccessDenied|AccessError|KeyError|AttributeError|NotFound|Unauthorized|Forbidden|CheckIdentity|SessionExpired/,
  transient: /SerializationFailure|OperationalError|LockNotAvailable|LockError|TransactionRollbackError|ConcurrencyError|ServiceUnavailable|TooManyRequests/,
};

/**
 * What an Odoo exception means to Dovetail. Refused credentials or rights, a model or method the
 * database lacks (a module not installed) and a field it does not know: config. Locks (19's
 * LockError, answered 409) and serialisation failures pass: transient. UserError, ValidationError and MissingError are
 * business rules refusing this one record: permanent, with Odoo's own words (a UserError or
 * ValidationError marked `conflict`: Odoo's state disagrees with the change asked for).
 */
export function classifyOdooException(what: string, e: OdooException): DovetailError {
  const text = short(e.message ?? String(e.arguments?.[0] ?? ''));
  const detail = { call: what, odooError: e.name };
  if (EXCEPTIONS_OF_KIND.transient.test(e.name)) return new DovetailError('transient', short(`Odoo ${what}: ${text || e.name}`), { detail });
  if (EXCEPTIONS_OF_KIND.config.test(e.name) || (e.name.endsWith('ValueError') && /Invalid field|unknown field/i.test(text))) {
    return new DovetailError('config', short(`Odoo ${what} refused (${e.name.split('.').pop()}): ${text}: check the API user's groups and installed modules`), { detail });
  }
  const conflict = /UserError|ValidationError/.test(e.name);
  return new DovetailError('permanent', short(`Odoo refused ${what} (${e.name.split('.').pop()}): ${text}`), { detail: { ...detail, ...(conflict ? { conflict } : {}) } });
}

/** An HTTP answer that is not a usable JSON body: proxies' HTML pages, rate limits, gateways. */
function httpRefusal(what: string, status: number, text: string, retryAfter: string | null): DovetailError {
  const words = short(text.replace(/<[^>]*>/g, ' '), 200);
  const kind = httpStatusKind(status);
  if (kind === 'config') return new DovetailError('config', `Odoo ${what} answered ${status}: ${words}: check the API key and database`, { detail: { call: what, status } });
  // a 200 that is not Odoo's JSON is a proxy's page in front of it
  if (kind === 'transient' || status === 200) {
    return new DovetailError('transient', `Odoo ${what} answered ${status}: ${words}`, { retryAfterSeconds: retryAfterSeconds(retryAfter), detail: { call: what, status } });
  }
  return new DovetailError('permanent', `Odoo ${what} answered ${status}: ${words}`, { detail: { call: what, status } });
}

function networkFailure(what: string, err: unknown): DovetailError {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  const why = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'timed out' : e?.cause?.code ?? e?.message ?? String(err);
  return new DovetailError('transient', `Odoo ${what}: ${why}`, { cause: err });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try { return { ok: true, value: JSON.parse(text) }; } catch { return { ok: false }; }
}

const VersionInfo = z.object({ server_version: z.string(), server_version_info: z.array(z.union([z.number(), z.string()])).min(1) });

/** Odoo's major version from `server_version_info` (a SaaS build says 'saas~18'); a version the connector does not speak is a config error. */
export function majorVersion(info: unknown): OdooVersion {
  const parsed = VersionInfo.safeParse(info);
  if (!parsed.success) throw new DovetailError('config', `Odoo's version answer is not one Odoo sends: ${short(JSON.stringify(info) ?? '', 120)}`);
  const major = Number(String(parsed.data.server_version_info[0]).replace(/^saas~/, ''));
  const known = ODOO_VERSIONS.find((v) => v === major);
  if (!known) throw new DovetailError('config', `Odoo ${parsed.data.server_version} is not supported: Dovetail speaks Odoo ${ODOO_VERSIONS.join(', ')}`);
  return known;
}

export class OdooClient implements OdooCalls {
  private readonly base: string;
  private readonly timeoutMs: number;
  private ready: Promise<{ version: OdooVersion; transport: Transport; uid: number | null }> | null = null;
  private state: { version: OdooVersion; transport: Transport; uid: number | null } | null = null;
  private requestId = 0;
  private readonly gate: ReturnType<typeof callGate>;

  constructor(private readonly opts: OdooClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.gate = callGate(opts.callsAtOnce);
  }

  /** The server's major version; read by connect(). */
  get version(): OdooVersion {
    if (!this.state) throw new Error('OdooClient.version read before connect()');
    return this.state.version;
  }

  get transport(): Transport | null { return this.state?.transport ?? null; }

  /** Reads the version, picks the transport and (for /jsonrpc) logs in, once for the process. */
  async connect(): Promise<{ version: OdooVersion; transport: Transport }> {
    this.ready ??= this.open().then((s) => (this.state = s), (err) => { this.ready = null; throw err; });
    return this.ready;
  }

  private async open() {
    const version = majorVersion(await this.rpc('common', 'version', []));
    const transport = this.opts.transport ?? (version >= 19 ? 'json2' : 'jsonrpc');
    if (transport === 'json2') return { version, transport, uid: null };
    if (!this.opts.username) throw new DovetailError('config', `Odoo ${version} is reached through /jsonrpc, which logs in by user name: set systems.inventory.username`);
    const uid = await this.rpc('common', 'authenticate', [this.opts.database, this.opts.username, this.opts.apiKey, {}]);
    if (typeof uid !== 'number' || uid <= 0) {
      throw new DovetailError('config', `Odoo refused the login of ${this.opts.username} on database ${this.opts.database}: check the user name and API key`);
    }
    return { version, transport, uid };
  }

  async call(model: string, method: string, params: CallParams = {}): Promise<unknown> {
    const s = this.state ?? (await this.connect(), this.state!);
    if (s.transport === 'json2') return this.json2(model, method, params);
    const { args, kwargs } = executeKwArgs(method, params);
    return this.rpc('object', 'execute_kw', [this.opts.database, s.uid, this.opts.apiKey, model, method, args, kwargs], `${model}.${method}`);
  }

  private async post(url: string, what: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; text: string; retryAfter: string | null }> {
    try {
      return await this.gate(async () => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
        return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
      });
    } catch (err) {
      throw networkFailure(what, err);
    }
  }

  /** JSON-2: the body is the named parameters; the answer is the bare result, or an HTTP error whose body is the serialized exception. */
  private async json2(model: string, method: string, params: CallParams): Promise<unknown> {
    const what = `${model}.${method}`;
    const headers = { authorization: `bearer ${this.opts.apiKey}`, 'x-odoo-database': this.opts.database };
    const { status, text, retryAfter } = await this.post(`${this.base}/json/2/${model}/${method}`, what, headers, params);
    const body = parseJson(text);
    if (status === 200 && body.ok) return body.value;
    // rate limits and gateways are passing whatever body they carry
    if (status === 429 || status === 502 || status === 503 || status === 504) throw httpRefusal(what, status, text, retryAfter);
    const exception = body.ok ? OdooException.safeParse(body.value) : null;
    if (!exception?.success && status === 404) {
      // an Odoo before 19 has no /json/2 route at all: its 404 is a page, not an exception
      throw new DovetailError('config', `Odoo at ${this.base} has no JSON-2 API (${what} answered 404): it came with Odoo 19; use transport: jsonrpc`, { detail: { call: what, status } });
    }
    if (!exception?.success) throw httpRefusal(what, status, text, retryAfter);
    throw classifyOdooException(what, exception.data);
  }

  /** /jsonrpc: always HTTP 200 from Odoo itself, errors in `error.data`; anything else came from a proxy. */
  private async rpc(service: string, method: string, args: unknown[], what = `${service}.${method}`): Promise<unknown> {
    const { status, text, retryAfter } = await this.post(`${this.base}/jsonrpc`, what, {}, { jsonrpc: '2.0', method: 'call', id: ++this.requestId, params: { service, method, args } });
    const body = parseJson(text);
    const answer = body.ok ? RpcAnswer.safeParse(body.value) : null;
    if (status !== 200 || !answer?.success) throw httpRefusal(what, status, text, retryAfter);
    if ('error' in answer.data) {
      const { error } = answer.data;
      const data = OdooException.safeParse(error.data);
      throw classifyOdooException(what, data.success ? data.data : { name: error.code === 404 ? 'werkzeug.exceptions.NotFound' : 'odoo.error', message: error.message });
    }
    return answer.data.result;
  }
}

// ---- typed helpers over `call`: the flows read and write through these --------------------------

const Ids = z.array(z.number().int());

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const p = schema.safeParse(value);
  if (!p.success) throw new DovetailError('permanent', `Odoo ${what}: unexpected answer ${short(JSON.stringify(value) ?? 'undefined', 160)} (${short(p.error.message, 160)})`);
  return p.data;
}

/** A domain in Odoo's prefix notation. */
export type Domain = unknown[];

/** The fields a flow reads, by its own name: each one's Odoo name (from models.ts) and the shape of its value. */
export type FieldSpec = Record<string, readonly [string, z.ZodType]>;
export type RowOf<S extends FieldSpec> = { id: number } & { [K in keyof S]: z.output<S[K][1]> };

/** Parses Odoo's rows by their Odoo names and hands them back under the flow's names. */
function rowsOf<S extends FieldSpec>(spec: S, value: unknown, what: string): RowOf<S>[] {
  const shape: Record<string, z.ZodType> = { id: z.number().int() };
  for (const [name, schema] of Object.values(spec)) shape[name] = schema;
  const rows = parsed(z.array(z.object(shape)), value, what) as Record<string, unknown>[];
  return rows.map((r) => {
    const out: Record<string, unknown> = { id: r.id };
    for (const [alias, [name]] of Object.entries(spec)) out[alias] = r[name];
    return out as RowOf<S>;
  });
}

/** The Odoo names to read; never an empty list, which Odoo reads as "every field". */
const namesIn = (spec: FieldSpec) => { const names = Object.values(spec).map(([name]) => name); return names.length ? names : ['id']; };

export async function searchRead<S extends FieldSpec>(c: OdooCalls, model: string, domain: Domain, spec: S,
  opts: { limit?: number; offset?: number; order?: string; context?: Record<string, unknown> } = {}): Promise<RowOf<S>[]> {
  const { context, ...paging } = opts;
  const value = await c.call(model, GENERIC.searchRead, { domain, fields: namesIn(spec), ...paging, ...(context ? { context } : {}) });
  return rowsOf(spec, value, `${model}.search_read`);
}

export async function read<S extends FieldSpec>(c: OdooCalls, model: string, ids: number[], spec: S, context?: Record<string, unknown>): Promise<RowOf<S>[]> {
  if (!ids.length) return [];
  return rowsOf(spec, await c.call(model, GENERIC.read, { ids, fields: namesIn(spec), ...(context ? { context } : {}) }), `${model}.read`);
}

export async function create(c: OdooCalls, model: string, values: Record<string, unknown>[]): Promise<number[]> {
  const value = await c.call(model, GENERIC.create, { vals_list: values });
  return parsed(Ids, value, `${model}.create`);
}

export async function write(c: OdooCalls, model: string, ids: number[], vals: Record<string, unknown>): Promise<void> {
  await c.call(model, GENERIC.write, { ids, vals });
}

/** A button of a record (action_confirm, …); what it answers (an action, true) is not needed. */
export async function action(c: OdooCalls, model: string, method: string, ids: number[]): Promise<void> {
  await c.call(model, method, { ids });
}

/** A many2one as Odoo reads it ([id, display name], or false when empty), as { id, name } or null. */
export const Ref = z.union([z.tuple([z.number(), z.string()]), z.literal(false)]).transform((v) => (v === false ? null : { id: v[0], name: v[1] }));
/** Odoo sends false for an empty char field. */
export const Text = z.union([z.string(), z.literal(false)]).transform((v) => (v === false ? null : v));
