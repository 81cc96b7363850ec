// A scripted Magento for unit tests: each route answers what the test says and every request is
// kept, so a test can see which calls were made. The stateful double lives in test/doubles/magento.
import { readFileSync } from 'node:fs';
import type { FetchLike } from '../../../src/connectors/fetch.js';
import { MagentoConnector } from '../../../src/connectors/magento/index.js';

export interface Seen { method: string; path: string; scope: string; bulk: boolean; query: Record<string, string>; body: unknown }
export interface Answer { status?: number; body?: unknown; text?: string; headers?: Record<string, string> }
/** An answer other than a plain 200 JSON body (a status, raw text, headers). */
class Reply { constructor(readonly answer: Answer) {} }
export const reply = (a: Answer) => new Reply(a);
export type Route = (req: Seen) => unknown;

export const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../src/connectors/magento/fixtures/${name}`, import.meta.url), 'utf8'));
export const fixtureText = (name: string): string => readFileSync(new URL(`../../../src/connectors/magento/fixtures/${name}`, import.meta.url), 'utf8');

/** Routes by `METHOD /path` (after /rest/<scope>/V1; bulk calls `METHOD /async/bulk/path`); a route's plain value is a 200 JSON body, `reply(…)` anything else. */
export function fakeMagento(routes: Record<string, Route>) {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    const m = /^\/rest\/([^/]+)(\/async\/bulk)?\/V1(\/.*)$/.exec(u.pathname);
    if (!m) throw new Error(`not an Admin REST path: ${u.pathname}`);
    const req: Seen = { method: init.method, scope: m[1]!, bulk: !!m[2], path: decodeURIComponent(m[3]!), query: Object.fromEntries(u.searchParams), body: init.body ? JSON.parse(init.body) : undefined };
    seen.push(req);
    const route = routes[`${req.method} ${req.bulk ? '/async/bulk' : ''}${req.path}`];
    if (!route) return respond({ status: 404, body: { message: 'Request does not match any route.' } });
    const out = route(req);
    return respond(out instanceof Reply ? out.answer : { body: out });
  };
  return { fetch, seen, calls: (method: string, path: string) => seen.filter((s) => s.method === method && s.path === path) };
}

function respond(a: Answer) {
  const text = a.text ?? (a.body === undefined ? '' : JSON.stringify(a.body));
  const headers = new Map(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { status: a.status ?? 200, text: async () => text, headers: { get: (n: string) => headers.get(n.toLowerCase()) ?? null } };
}

/** The filter of a searchCriteria query, as the client sends it. */
export function filterOf(q: Record<string, string>) {
  const f = 'searchCriteria[filterGroups][0][filters][0]';
  return q[`${f}[field]`] === undefined ? null : { field: q[`${f}[field]`]!, value: q[`${f}[value]`]!, conditionType: q[`${f}[conditionType]`]! };
}

/**
 * The rows the request's filter selects: `eq`, or `in` over a comma-separated list (Adobe's "Search
 * using REST endpoints": `in`, "the value can contain a comma-separated list of values"); no filter: all.
 */
export function selected<T extends Record<string, unknown>>(q: Record<string, string>, rows: T[]): T[] {
  const f = filterOf(q);
  if (!f) return rows;
  if (f.conditionType !== 'in' && f.conditionType !== 'eq') throw new Error(`the fake filters by eq or in, not ${f.conditionType}`);
  const values = f.conditionType === 'in' ? f.value.split(',') : [f.value];
  return rows.filter((r) => values.includes(String(r[f.field])));
}

export const search = (items: unknown[]) => ({ items, total_count: items.length, search_criteria: { filter_groups: [] } });

export function connector(routes: Record<string, Route>, opts: { pageSize?: number; now?: () => number; sleep?: (ms: number) => Promise<void>; bulkLooks?: number } = {}) {
  const fake = fakeMagento({ 'GET /store/storeConfigs': () => fixture('store-configs.json'), ...routes });
  return { fake, conn: new MagentoConnector({ url: 'https://shop.example.com/', accessToken: 'tok', fetch: fake.fetch, ...opts }) };
}
