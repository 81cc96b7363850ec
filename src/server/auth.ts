// Who may use the dashboard and admin API. On loopback without a token (the default) only
// requests addressed to a loopback name are answered, so a web page cannot reach the dashboard
// by pointing a hostname at 127.0.0.1 (DNS rebinding). With `server.token` (required by the
// settings once another address is used) every request needs it: `Authorization: Bearer`, or the
// cookie the login form sets. Health and webhooks (signature-checked) stay open.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { isLoopbackHost } from '../config/schema.js';

export const SESSION_COOKIE = 'dovetail_session';

const OPEN = [/^\/healthz$/, /^\/webhooks\//, /^\/login$/, /^\/assets\//];

/** The cookie holds a keyed hash of the token, not the token itself. */
export const sessionValue = (token: string) => createHmac('sha256', token).update('dovetail dashboard session').digest('hex');

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isAuthorised(c: Context, token: string): boolean {
  const header = c.req.header('authorization') ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (bearer && sameSecret(bearer, token)) return true;
  const cookie = getCookie(c, SESSION_COOKIE);
  return !!cookie && sameSecret(cookie, sessionValue(token));
}

const wantsHtml = (c: Context) => !c.req.path.startsWith('/api/') && c.req.path !== '/metrics';

export function guard(token: string | null): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (OPEN.some((re) => re.test(url.pathname)) && url.pathname !== '/login') return next();
    if (!token) {
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      if (!isLoopbackHost(hostname)) return c.text(`Dovetail answers on loopback addresses only (asked for ${hostname}); set server.token to open it to other addresses.`, 403);
    }
    // A form posted from another site must not press our buttons (the cookie is SameSite too).
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      if (origin && origin !== 'null' && new URL(origin).host !== url.host) return c.json({ error: 'cross-site request refused' }, 403);
    }
    if (!token || url.pathname === '/login' || isAuthorised(c, token)) return next();
    if (wantsHtml(c) && c.req.method === 'GET') return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    return c.json({ error: 'a token is required: send Authorization: Bearer <server.token>' }, 401);
  };
}
