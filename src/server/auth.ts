// Who may use the dashboard and admin API, and which requests may change anything. Without a
// token (the default) only this machine may, by its socket address; with `server.token` every
// request needs it (Authorization: Bearer, or the session cookie the login form sets). Health,
// assets and webhooks (signature-checked) stay open. docs/dashboard.md says the same for operators.
import { timingSafeEqual } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { isLoopbackHost } from '../config/schema.js';
import type { Session, Sessions } from './sessions.js';
import type { LoginThrottle, Refusal } from './throttle.js';

export type AppEnv = { Bindings: HttpBindings; Variables: { session: Session | null } };

const OPEN = [/^\/healthz$/, /^\/readyz$/, /^\/webhooks\//, /^\/assets\//];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Headers a reverse proxy adds: their presence means the socket's address is the proxy's, not the client's. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The peer of the TCP connection; undefined when the app is called without a socket. */
export const clientAddress = (c: Context<AppEnv>): string | undefined => c.env?.incoming?.socket?.remoteAddress;

export const isLoopbackAddress = (address: string) => /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address) || address === '::1';

/**
 * Where to go after signing in: a path on this site only. Another site (`//host`, `/\host`, which
 * browsers read as `//host`), a scheme, or control characters, raw or once decoded, give '/'.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string') return '/';
  let decoded: string;
  try { decoded = decodeURIComponent(next); } catch { return '/'; }
  const onThisSite = (p: string) => /^\/(?![/\\])/.test(p) && !/[\x00-\x1f\x7f\\]/.test(p)
    && new URL(p, 'http://dovetail.invalid').origin === 'http://dovetail.invalid';
  return onThisSite(next) && onThisSite(decoded) ? next : '/';
}

/**
 * Why a request may not use Dovetail without a token, or null when it may: it must come from this
 * machine (the socket's address, not a header), to a server bound to loopback, not through a proxy
 * (a local proxy connects from loopback on behalf of anyone), and name a loopback host (so a web
 * page cannot reach it through DNS rebinding).
 */
export function tokenlessRefusal(r: { boundHost: string; remoteAddress: string | undefined; hostname: string; headers: Headers }): string | null {
  const setToken = 'set server.token to open Dovetail to it';
  if (!isLoopbackHost(r.boundHost)) return `Dovetail listens on ${r.boundHost}, which is not loopback: ${setToken}.`;
  if (!r.remoteAddress || !isLoopbackAddress(r.remoteAddress)) return `Without a token Dovetail answers this machine only (this request came from ${r.remoteAddress ?? 'an unknown address'}); ${setToken}.`;
  const proxy = PROXY_HEADERS.find((h) => r.headers.has(h));
  if (proxy) return `This request came through a proxy (it carries ${proxy}), which may be passing on anyone's requests; ${setToken}.`;
  if (!isLoopbackHost(r.hostname)) return `Without a token Dovetail answers loopback names only (asked for ${r.hostname}); ${setToken}.`;
  return null;
}

/**
 * Why a state-changing request must be refused as coming from another site, or null. A browser
 * says where a request comes from (Sec-Fetch-Site, Origin); both must say this Dovetail's own
 * origin. A request that says neither is not from a current browser: the CSRF token or the bearer
 * token decides.
 */
export function crossSiteRefusal(headers: Headers, url: URL): string | null {
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') return `refused: the request came from another site (Sec-Fetch-Site: ${site})`;
  const origin = headers.get('origin');
  if (origin === null) return null;
  let given: string;
  try { given = new URL(origin).origin; } catch { return `refused: the request's Origin (${origin.slice(0, 80)}) is not an origin`; }
  // behind a TLS proxy the browser's origin is https while this socket is plain http
  const scheme = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() || url.protocol.slice(0, -1);
  let own: string;
  try { own = new URL(`${scheme}://${url.host}`).origin; } catch { return 'refused: the request names no valid host'; }
  return given === own ? null : `refused: the request came from ${origin.slice(0, 80)}, not from this Dovetail (${own})`;
}

const bearerOf = (c: Context) => /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
const wantsHtml = (c: Context) => !c.req.path.startsWith('/api/') && c.req.path !== '/metrics';
/** Pages get a sentence, the API a JSON error. */
const refuse = (c: Context, status: 401 | 403 | 429, error: string) => (wantsHtml(c) ? c.text(error, status) : c.json({ error }, status));

/** The CSRF token a state-changing request carries: a header from scripts, a hidden field from forms. */
async function csrfOf(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined;
  const field = (await c.req.parseBody())[CSRF_FIELD]; // bounded by the body limit, and kept for the route
  return typeof field === 'string' ? field : undefined;
}

/** Sets Retry-After and says in words how long to wait. */
export function throttledMessage(c: Context, refusal: Refusal): string {
  c.header('retry-after', String(refusal.retryAfterSeconds));
  const minutes = Math.ceil(refusal.retryAfterSeconds / 60);
  const whose = refusal.scope === 'address' ? 'from your address' : 'from everywhere (someone may be guessing)';
  return `Too many wrong tokens ${whose}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

export interface GuardOptions { token: string | null; boundHost: string; sessions: Sessions; throttle: LoginThrottle }

export function guard({ token, boundHost, sessions, throttle }: GuardOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (OPEN.some((re) => re.test(url.pathname))) return next();
    const changing = !SAFE_METHODS.has(c.req.method);
    const crossSite = changing ? crossSiteRefusal(c.req.raw.headers, url) : null;
    if (crossSite) return refuse(c, 403, crossSite);
    if (!token) {
      const why = tokenlessRefusal({ boundHost, remoteAddress: clientAddress(c), hostname: url.hostname.replace(/^\[|\]$/g, ''), headers: c.req.raw.headers });
      if (why) return refuse(c, 403, why);
    }

    const bearer = bearerOf(c);
    if (token && bearer !== undefined) {
      // API callers are not browsers: the token they send is proof enough, no CSRF token needed
      const address = clientAddress(c) ?? 'unknown';
      const refusal = throttle.refusal(address);
      if (refusal) return refuse(c, 429, throttledMessage(c, refusal));
      if (sameSecret(bearer, token)) { throttle.succeeded(address); c.set('session', null); return next(); }
      throttle.failed(address);
      return refuse(c, 401, 'that token is not right');
    }

    let session = sessions.of(c);
    if (url.pathname === '/login') { c.set('session', session); return next(); } // checks the token itself
    if (token && !session) {
      if (wantsHtml(c) && c.req.method === 'GET') return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      return refuse(c, 401, 'a token is required: send Authorization: Bearer <server.token>');
    }
    // without a token, a browser gets a session with its first page, to carry the forms' CSRF token
    if (!session && c.req.method === 'GET' && wantsHtml(c)) session = sessions.start(c);
    if (changing) {
      const given = await csrfOf(c);
      if (!session || !given || !sameSecret(given, session.csrf)) {
        return refuse(c, 403, 'refused: no valid CSRF token (reload the page and try again; scripts send Authorization: Bearer <server.token>)');
      }
    }
    c.set('session', session);
    return next();
  };
}
