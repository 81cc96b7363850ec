// The only HTTP of the Magento connector: the Admin REST API under /rest/<storeCode>/V1, with the
// integration's bearer token. Every answer is classified here, once, and parsed with zod.
import type { z } from 'zod';
import { DovetailError, httpStatusKind, retryAfterSeconds, transient } from '../../errors.js';
import type { FetchLike } from '../fetch.js';
import { callGate } from '../calls-at-once.js';

export interface MagentoClientOptions {
  /** the shop's base address, e.g. https://shop.example.com */
  url: string;
  accessToken: string;
  /** the store view the calls speak for (default `default`) */
  storeCode?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
  /** requests open at once (systems.store.callsAtOnce): Magento Cloud and its WAF rate-limit the REST API; the rest wait their turn */
  callsAtOnce?: number;
}

/** One filter, one sort order and a page: all of searchCriteria the published schema declares. */
export interface SearchCriteria {
  filter?: { field: string; value: string; conditionType: 'eq' | 'in' | 'gteq' | 'gt' };
  sort?: { field: string; direction: 'ASC' | 'DESC' };
  pageSize: number;
  /** from 1 */
  currentPage?: number;
}

export function searchQuery(c: SearchCriteria): Record<string, string> {
  const q: Record<string, string> = {};
  if (c.filter) {
    q['searchCriteria[filterGroups][0][filters][0][field]'] = c.filter.field;
    q['searchCriteria[filterGroups][0][filters][0][value]'] = c.filter.value;
    q['searchCriteria[filterGroups][0][filters][0][conditionType]'] = c.filter.conditionType;
  }
  if (c.sort) {
    q['searchCriteria[sortOrders][0][field]'] = c.sort.field;
    q['searchCriteria[sortOrders][0][direction]'] = c.sort.direction;
  }
  q['searchCriteria[pageSize]'] = String(c.pageSize);
  q['searchCriteria[currentPage]'] = String(c.currentPage ?? 1);
  return q;
}

export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /**
   * `all`: global scope (/rest/all), for product writes, so a value is not saved as one store
   * view's override; `store` (default): the configured store view.
   */
  scope?: 'store' | 'all';
  /** through the asynchronous bulk API (/async/bulk/V1…): the body is an array, one operation each */
  bulk?: boolean;
}

/** Magento's error body: `message` with %1 / %name placeholders filled from `parameters`. */
interface ErrorBody { message?: unknown; parameters?: unknown }

export function renderMagentoMessage(body: ErrorBody): string | null {
  if (typeof body.message !== 'string') return null;
  const params = body.parameters;
  return body.message.replace(/%(\w+)/g, (whole, name: string) => {
    if (Array.isArray(params) && /^\d+$/.test(name)) return String(params[Number(name) - 1] ?? whole);
    if (params && typeof params === 'object' && name in params) return String((params as Record<string, unknown>)[name]);
    return whole;
  });
}

export class MagentoClient {
  private readonly base: string;
  private readonly storeCode: string;
  private readonly token: string;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly gate: ReturnType<typeof callGate>;

  constructor(opts: MagentoClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.storeCode = opts.storeCode ?? 'default';
    this.token = opts.accessToken;
    this.fetchImpl = opts.fetch ?? (fetch as unknown as FetchLike);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.gate = callGate(opts.callsAtOnce);
  }

  get store(): string { return this.storeCode; }

  /**
   * One call; its answer parsed with `schema`. Every failure is thrown, classified once (config:
   * the token or its resources; transient: what a later attempt may pass, Retry-After kept;
   * permanent: the request or the record is refused, a 404 saying Magento does not know it).
   */
  async request<S extends z.ZodType>(method: 'GET' | 'POST' | 'PUT', path: string, schema: S, opts: RequestOptions = {}): Promise<z.output<S>> {
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const url = `${this.base}/rest/${opts.scope === 'all' ? 'all' : this.storeCode}${opts.bulk ? '/async/bulk' : ''}/V1${path}${qs}`;
    const where = `${method} ${path}`;
    let res: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      [res, text] = await this.gate(async () => {
        const r = await this.fetchImpl(url, {
          method,
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        return [r, await r.text()] as const;
      });
    } catch (err) {
      throw transient(`${where} failed before an answer: ${(err as Error).message}`, { cause: err });
    }
    const json = parseJson(text);
    if (res.status < 200 || res.status >= 300) throw failure(where, res.status, text, json, res.headers.get('retry-after'));
    if (json === NOT_JSON) {
      // a proxy's or maintenance page's HTML: the shop is not answering for itself
      throw transient(`${where} answered ${res.status} with a body that is not JSON: ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`);
      throw new DovetailError('permanent', `${where}: Magento's answer does not have the documented shape (${issues.join('; ')})`, { detail: { issues } });
    }
    return parsed.data;
  }
}

/** A 404: Magento does not know the record (or the route) asked for. */
export const isNotFound = (err: unknown) => err instanceof DovetailError && err.detail?.status === 404;

const NOT_JSON = Symbol('not JSON');

/** An empty body (a void call's answer) is read as null. */
function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** 401/403: the token or its resources; 429/5xx or a non-JSON error page: transient; other 4xx: the request is refused. */
function failure(where: string, status: number, text: string, json: unknown, retryAfter: string | null): DovetailError {
  const rendered = json !== NOT_JSON && json && typeof json === 'object' ? renderMagentoMessage(json as ErrorBody) : null;
  const said = rendered ?? text.replace(/\s+/g, ' ').slice(0, 200);
  const message = `${where} answered ${status}: ${said}`;
  const detail = { status, ...(rendered ? { magentoMessage: rendered } : {}) };
  const kind = httpStatusKind(status);
  if (kind === 'config') return new DovetailError('config', `${message} (check the integration's access token and the API resources granted to it)`, { detail });
  // an error page that is not Magento's JSON comes from a proxy in front of it: worth another try
  if (kind === 'transient' || json === NOT_JSON) return new DovetailError('transient', message, { detail, retryAfterSeconds: retryAfterSeconds(retryAfter) });
  return new DovetailError('permanent', message, { detail });
}
