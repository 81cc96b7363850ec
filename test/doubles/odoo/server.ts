// A local stand-in for an Odoo server of one version on 127.0.0.1: /jsonrpc (common, object) for every
// version, JSON-2 (/json/2/<model>/<method>) from 19 on, answering and failing as Odoo's controllers do.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { accessDenied, accessError, httpException, OdooFault, valueError } from './errors.js';
import { hasMethod, type OdooVersion } from './manifest.js';
import { OdooClock, OdooOrm, type Context } from './orm.js';
import { METHODS, type Method } from './methods.js';
import { seed, type Seeded } from './seed.js';
import { installStock } from './stock.js';
import { installSales } from './sales.js';
import { installAccounting } from './accounting.js';
import { OdooDesk } from './desk.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export interface RecordedCall { transport: 'jsonrpc' | 'json2'; model: string; method: string; params: Record<string, unknown> }

/** A message posted on a record (mail.message): its text, its type and its subtype (mail.mt_note: an internal note). */
export interface ChatterMessage { id: number; body: string; messageType: string; subtypeXmlid: string }

/** An answer the next request gets instead of Odoo's: a proxy's HTML page, a rate limit, a gateway. */
export interface InjectedFailure { status: number; body: string; contentType: string; retryAfter?: string }

export interface FakeOdooOptions {
  version: OdooVersion;
  database?: string;
  login?: string;
  apiKey?: string;
  /** the company's currency code; EUR unless given */
  currency?: string;
  clock?: OdooClock;
}

export class FakeOdoo {
  readonly version: OdooVersion;
  readonly database: string;
  readonly login: string;
  readonly apiKey: string;
  readonly clock: OdooClock;
  readonly orm: OdooOrm;
  /** the records every database starts with (company, warehouse, locations, journals, a tax) */
  readonly base: Seeded;
  /** what the company's people do in Odoo's screens (stock, shipping, returns, phone sales) */
  readonly desk: OdooDesk;
  /** every model method called, in order, with its parameters by name */
  readonly calls: RecordedCall[] = [];
  /** mail.thread's messages by `<model>:<id>`, oldest first: what a record's chatter shows */
  readonly chatter = new Map<string, ChatterMessage[]>();
  private readonly failures: InjectedFailure[] = [];
  private isDown = false;
  private readonly server = createServer((req, res) => void this.serve(req, res));
  url = '';

  constructor(opts: FakeOdooOptions) {
    this.version = opts.version;
    this.database = opts.database ?? 'dovetail';
    this.login = opts.login ?? 'admin';
    this.apiKey = opts.apiKey ?? 'odoo-api-key-0123456789abcdef';
    this.clock = opts.clock ?? new OdooClock();
    this.orm = new OdooOrm(this.version, this.clock);
    this.base = seed(this.orm, opts.currency);
    installStock(this.orm, this.base);
    installSales(this.orm, this.base);
    installAccounting(this.orm, this.base);
    this.desk = new OdooDesk(this);
  }

  /** The messages in a record's chatter, oldest first. */
  messagesOn(model: string, id: number): ChatterMessage[] { return this.chatter.get(`${model}:${id}`) ?? []; }

  get major(): number { return Number(this.version.split('.')[0]); }

  async start(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> { return closeNow(this.server); }

  /** The next request answers this instead (an HTML page from a proxy, a 429, a 503). */
  failNext(failure: Partial<InjectedFailure> & { status: number }): void {
    this.failures.push({ body: `<html><body><h1>${failure.status}</h1></body></html>`, contentType: 'text/html', ...failure });
  }

  /** Connections are cut until `up()`: the server is unreachable, as when Odoo is down. */
  down(): void { this.isDown = true; this.server.closeAllConnections(); }
  up(): void { this.isDown = false; }

  /** Calls to one model method, for tests that count what the connector did. */
  callsTo(model: string, method: string): RecordedCall[] {
    return this.calls.filter((call) => call.model === model && call.method === method);
  }

  /** Runs a model method as an API call would, checks and all (the operator API goes through here too). */
  execute(model: string, method: string, ids: number[], named: Record<string, unknown>, context: Context = {}): unknown {
    if (!this.orm.hasModel(model)) throw new OdooFault('builtins.KeyError', model, 500, [model]);
    const found = this.publicMethod(model, method);
    return found.run({ odoo: this, orm: this.orm, model, ids, params: named, context });
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.isDown) { req.socket.destroy(); return; }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const failure = this.failures.shift();
    if (failure) {
      res.writeHead(failure.status, { 'content-type': failure.contentType, ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) });
      res.end(failure.body);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://odoo').pathname;
    if (req.method === 'POST' && path === '/jsonrpc') return this.serveJsonRpc(text, res);
    const json2 = /^\/json\/2\/([^/]+)\/([^/]+)$/.exec(path);
    if (json2 && this.major >= 19) return this.serveJson2(req, json2[1]!, json2[2]!, text, res);
    // what Odoo answers for a route it does not have: its HTML 404 page
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><html><head><title>404 | Page not found</title></head><body><h1>404: Page not found</h1></body></html>');
  }

  /** odoo/http.py JsonRPCDispatcher: HTTP 200 always; an exception is `error` with code 200 and serialize_exception as data. */
  private serveJsonRpc(text: string, res: ServerResponse): void {
    let id: unknown = null;
    let result: unknown;
    try {
      const body = parseObject(text);
      id = body.id ?? null;
      const params = body.params as { service?: unknown; method?: unknown; args?: unknown } | undefined;
      if (!params || typeof params.service !== 'string' || typeof params.method !== 'string' || !Array.isArray(params.args)) {
        throw new OdooFault('builtins.TypeError', 'dispatch() missing required arguments: service, method, args', 500);
      }
      result = this.dispatchService(params.service, params.method, params.args);
    } catch (err) {
      const fault = asFault(err);
      const notFound = fault.exceptionName === 'werkzeug.exceptions.NotFound';
      sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: notFound ? 404 : 200, message: notFound ? '404: Not Found' : 'Odoo Server Error', data: fault.serialised() } });
      return;
    }
    sendJson(res, 200, { jsonrpc: '2.0', id, result });
  }

  private dispatchService(service: string, method: string, args: unknown[]): unknown {
    if (service === 'common') {
      if (method === 'version') {
        const [major, minor] = this.version.split('.').map(Number);
        return { server_version: this.version, server_version_info: [major, minor, 0, 'final', 0, ''], server_serie: this.version, protocol_version: 1 };
      }
      if (method === 'authenticate' || method === 'login') {
        const [db, login, password] = args;
        // a wrong login answers false, not an error (odoo/service/common.py exp_authenticate)
        return db === this.database && login === this.login && password === this.apiKey ? ADMIN_UID : false;
      }
      throw new OdooFault('builtins.NameError', `method not available ${method}`, 500);
    }
    if (service === 'object' && (method === 'execute_kw' || method === 'execute')) {
      const [db, uid, password, model, modelMethod, positional, kwargs] = args;
      if (db !== this.database) throw new OdooFault('psycopg2.OperationalError', `connection to server failed: FATAL:  database "${String(db)}" does not exist`, 500);
      if (uid !== ADMIN_UID || password !== this.apiKey) throw accessDenied();
      if (typeof model !== 'string' || typeof modelMethod !== 'string') throw new OdooFault('builtins.TypeError', 'model and method must be strings', 500);
      const rest = method === 'execute' ? args.slice(5) : ((positional as unknown[] | undefined) ?? []);
      const named = method === 'execute' ? {} : { ...((kwargs as Record<string, unknown> | undefined) ?? {}) };
      return this.callKw(model, modelMethod, rest, named);
    }
    throw new OdooFault('builtins.KeyError', service, 500, [service]);
  }

  /** odoo/service/model.py call_kw: a record method's first positional argument is its ids; `context` is taken out of kwargs. */
  private callKw(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    if (!this.orm.hasModel(model)) throw new OdooFault('builtins.KeyError', model, 500, [model]);
    const found = this.publicMethod(model, method);
    const { context, ...named } = kwargs;
    const rest = [...args];
    const ids = found.api === 'records' ? idsOf(rest.shift()) : [];
    const params = bind(model, method, found, rest, named, (message) => new OdooFault('builtins.TypeError', message, 500));
    this.calls.push({ transport: 'jsonrpc', model, method, params: { ...(found.api === 'records' ? { ids } : {}), ...params } });
    return found.run({ odoo: this, orm: this.orm, model, ids, params, context: asContext(context) });
  }

  /** addons/rpc/controllers/json2.py: bearer API key, named parameters, werkzeug HTTP errors, the bare result. */
  private serveJson2(req: IncomingMessage, model: string, method: string, text: string, res: ServerResponse): void {
    try {
      const token = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
      if (token !== this.apiKey) throw httpException('Unauthorized', 401, 'Invalid apikey');
      const database = req.headers['x-odoo-database'];
      if (database !== undefined && database !== this.database) throw httpException('NotFound', 404, `database ${String(database)} not found`);
      if (req.method !== 'POST') throw new OdooFault('werkzeug.exceptions.MethodNotAllowed', 'The method is not allowed for the requested URL.', 405);
      const body = text ? parseObject(text, true) : {};
      if (!this.orm.hasModel(model)) throw httpException('NotFound', 404, `the model '${model}' does not exist`);
      const found = this.publicMethod(model, method, true);
      const { ids, context, ...named } = body;
      if (found.api === 'model' && Array.isArray(ids) && ids.length) throw httpException('UnprocessableEntity', 422, `cannot call ${model}.${method} with ids`);
      const recordIds = found.api === 'records' ? idsOf(ids ?? []) : [];
      const params = bind(model, method, found, [], named, (message) => httpException('UnprocessableEntity', 422, message));
      this.calls.push({ transport: 'json2', model, method, params: { ...(found.api === 'records' ? { ids: recordIds } : {}), ...params } });
      const result = found.run({ odoo: this, orm: this.orm, model, ids: recordIds, params, context: asContext(context) });
      sendJson(res, 200, result ?? null);
    } catch (err) {
      const fault = asFault(err);
      sendJson(res, fault.httpStatus, fault.serialised());
    }
  }

  /** odoo/service/model.py get_public_method: private names refused, unknown ones an AttributeError (JSON-2: 404). */
  private publicMethod(model: string, method: string, json2 = false): Method {
    if (method.startsWith('_')) throw accessError(`Private methods (such as '${model}.${method}') cannot be called remotely.`);
    const implemented = METHODS[`${model}.${method}`] ?? METHODS[`*.${method}`];
    if (!hasMethod(this.version, model, method)) {
      const message = `The method '${model}.${method}' does not exist`;
      throw json2 ? httpException('NotFound', 404, message) : new OdooFault('builtins.AttributeError', message, 500);
    }
    if (!implemented) throw new OdooFault('builtins.NotImplementedError', `the double does not carry ${model}.${method} yet`, 500);
    return implemented;
  }
}

/** the API user (uid 2 is admin in every fresh Odoo database) */
export const ADMIN_UID = 2;

/** Positional and keyword arguments bound to a method's parameter names, as Python's signature.bind does. */
function bind(model: string, method: string, found: Method, args: unknown[], kwargs: Record<string, unknown>,
  refuse: (message: string) => OdooFault): Record<string, unknown> {
  if (found.keywordOnly && args.length) throw refuse(`${method}() takes 1 positional argument but ${args.length + 1} were given`);
  if (args.length > found.params.length) throw refuse(`${model}.${method}() takes ${found.params.length} positional arguments but ${args.length} were given`);
  const bound: Record<string, unknown> = {};
  args.forEach((value, index) => { bound[found.params[index]!] = value; });
  for (const [name, value] of Object.entries(kwargs)) {
    if (!found.params.includes(name) && !found.anyKeyword) throw refuse(`${method}() got an unexpected keyword argument '${name}'`);
    if (name in bound) throw refuse(`${method}() got multiple values for argument '${name}'`);
    bound[name] = value;
  }
  return bound;
}

function idsOf(value: unknown): number[] {
  const ids = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) throw valueError(`Invalid ids: ${JSON.stringify(value)}`);
  return ids as number[];
}

function asContext(value: unknown): Context {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Context) : {};
}

function parseObject(text: string, json2 = false): Record<string, unknown> {
  let value: unknown;
  try { value = JSON.parse(text); } catch (err) {
    throw json2 ? httpException('BadRequest', 400, `could not parse the body as json: ${(err as Error).message}`) : new OdooFault('werkzeug.exceptions.BadRequest', 'Invalid JSON data', 400);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw json2 ? httpException('BadRequest', 400, 'could not parse the body, expecting a json object') : new OdooFault('werkzeug.exceptions.BadRequest', 'Invalid JSON-RPC data', 400);
  }
  return value as Record<string, unknown>;
}

/** Anything the double throws that is not an Odoo exception is a bug in it: an internal server error, as Odoo gives. */
function asFault(err: unknown): OdooFault {
  if (err instanceof OdooFault) return err;
  return new OdooFault('builtins.Exception', err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err), 500);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
