// Dashboard sessions, kept in this process's memory: a random id in the cookie, its own CSRF
// token, and an absolute expiry. Signing out ends one; a restart (how a new token takes effect) ends all.
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'dovetail_session';
/** Absolute: a session ends this long after sign-in, however busy it was. */
export const SESSION_HOURS = 12;
/** Oldest sessions are dropped beyond this, so cookies handed out cannot fill the memory. */
const MAX_SESSIONS = 1_000;

export interface Session { id: string; csrf: string; expiresAt: number }

const randomId = () => randomBytes(32).toString('base64url');

/**
 * True when the request reached Dovetail over TLS, directly or through a proxy that says so in
 * X-Forwarded-Proto. Believing that header can only add the cookie's Secure flag, never remove it.
 */
export function overTls(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return new URL(c.req.url).protocol === 'https:' || forwarded === 'https';
}

export class Sessions {
  private readonly live = new Map<string, Session>();
  constructor(private readonly now: () => number = Date.now) {}

  /** The request's session, if its cookie names one that has not ended. */
  of(c: Context): Session | null {
    const id = getCookie(c, SESSION_COOKIE);
    const session = id === undefined ? undefined : this.live.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.now()) { this.live.delete(session.id); return null; }
    return session;
  }

  /** Starts a session and hands its cookie to the browser; one the request carried is ended (a sign-in gets a fresh id). */
  start(c: Context): Session {
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous !== undefined) this.live.delete(previous);
    const now = this.now();
    for (const s of this.live.values()) if (s.expiresAt <= now) this.live.delete(s.id);
    while (this.live.size >= MAX_SESSIONS) this.live.delete(this.live.keys().next().value as string);
    const session: Session = { id: randomId(), csrf: randomId(), expiresAt: now + SESSION_HOURS * 3_600_000 };
    this.live.set(session.id, session);
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true, sameSite: 'Strict', path: '/', secure: overTls(c), maxAge: SESSION_HOURS * 3_600,
    });
    return session;
  }

  /** Ends the request's session (if any) and clears its cookie. */
  end(c: Context): void {
    const id = getCookie(c, SESSION_COOKIE);
    if (id !== undefined) this.live.delete(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overTls(c) });
  }
}
