// Dovetail's HTTP face: the store's webhooks (signature checked over the raw body before
// anything is stored, then recorded durably, then 200), health, Prometheus metrics, a JSON admin
// API and the dashboard. Every body is bounded before anyone is identified; auth.ts says who may
// reach what, sessions.ts how a sign-in lasts.
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context, type Env } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { redactConfig } from '../config/load.js';
import { capability, hasCapability } from '../connectors/types.js';
import { renderHtml, renderMarkdown } from '../cli/report.js';
import { DovetailError, messageOf } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { accept } from '../engine/intake.js';
import { metricsText } from '../engine/metrics.js';
import { clientAddress, guard, safeNext, sameSecret, throttledMessage, type AppEnv } from './auth.js';
import { Sessions } from './sessions.js';
import { LoginThrottle } from './throttle.js';
import { checklistPage, driftPage, failuresPage, loginPage, overviewPage, recordsPage, type Chrome } from './pages.js';
import { reconcileView } from './state.js';
import { explainConflict, explainFailure, explainMove, flows, refusedDeliveries, sidesOf } from './state.js';

const WEB = new URL('../../web/', import.meta.url);
const ASSETS: Record<string, string> = { 'dashboard.css': 'text/css; charset=utf-8', 'dashboard.js': 'text/javascript; charset=utf-8' };
const WEBHOOK_MAX_BYTES = 1024 * 1024;
/** Everything else Dovetail is sent is a small form or nothing at all. */
const REQUEST_MAX_BYTES = 64 * 1024;
const limitTo = (maxSize: number) => bodyLimit({ maxSize, onError: (c) => c.json({ error: `body larger than ${maxSize} bytes` }, 413) });

/** Normalises what a person types in the timeline search: emails are matched in lower case. */
const recordKey = (q: string) => (q.includes('@') ? q.trim().toLowerCase() : q.trim());

export function buildApp(engine: Engine): Hono<AppEnv> {
  const { ctx } = engine;
  const { config } = ctx;
  const sides = sidesOf(config);
  const app = new Hono<AppEnv>();
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(new URL(name, WEB), 'utf8')]));

  const sessions = new Sessions();
  const throttle = new LoginThrottle();

  // counted as the body streams in, chunked or not, so an oversized one is refused before it is held whole
  const webhookLimit = limitTo(WEBHOOK_MAX_BYTES), requestLimit = limitTo(REQUEST_MAX_BYTES);
  app.use('*', (c, next) => (c.req.path.startsWith('/webhooks/') ? webhookLimit : requestLimit)(c, next));
  app.use('*', guard({ token: config.server.token, boundHost: config.server.host, sessions, throttle }));
  app.onError((err, c) => {
    ctx.log.error({ err: messageOf(err), path: c.req.path }, 'request failed');
    return c.json({ error: 'Dovetail could not answer this request; the log has the reason' }, 500);
  });

  // Liveness: the engine's loop runs and makes progress (a process that answers HTTP while nothing
  // works on what it accepted is not alive). Readiness: also, every system answered its last read.
  // Both are open to monitors without a token, so they say which system, not the reason: the
  // reasons (with the systems' addresses) are on /api/status and the dashboard.
  app.get('/healthz', (c) => {
    const problem = engine.health.problem(engine.stallAfterMs);
    return c.json({ ok: !problem, engine: engine.health.view().state, ...(problem ? { problem: 'the engine is not working: see the log or /api/status' } : {}) }, problem ? 503 : 200);
  });
  app.get('/readyz', (c) => {
    const r = engine.readiness();
    const systems = Object.fromEntries(Object.entries(r.systems).map(([name, s]) => [name, s.state]));
    const ready = !r.engine && Object.values(r.systems).every((s) => s.state === 'ok');
    return c.json({ ready, engine: r.engine ? 'not working' : 'working', systems }, ready ? 200 : 503);
  });

  // ---- webhooks ------------------------------------------------------------------------------
  app.post(`/webhooks/${ctx.store.system}`, async (c) => {
    if (!hasCapability(ctx.store, 'webhooks')) return c.json({ error: `${ctx.store.system} does not push events` }, 404);
    const raw = new Uint8Array(await c.req.arrayBuffer()); // verified as received: decoding first would hide invalid bytes
    const headers = Object.fromEntries([...c.req.raw.headers].map(([k, v]) => [k.toLowerCase(), v]));
    let changes;
    try {
      changes = capability(ctx.store, 'webhooks', 'pushed events').parseWebhook(raw, headers);
    } catch (err) {
      const badSignature = err instanceof DovetailError && (err.kind === 'config' || err.detail?.reason === 'signature');
      const eventId = headers['x-dovetail-event-id'] ?? headers['x-shopify-webhook-id'];
      ctx.log.warn({ err: messageOf(err), eventId }, badSignature ? 'webhook refused: bad signature' : 'webhook refused: malformed');
      // An unsigned body is not ours to keep; a signed one that cannot be read is recorded for the failures page.
      if (!badSignature) {
        await ctx.storage.audit({ recordKind: 'webhook', recordKey: eventId ?? 'unknown', action: 'webhook.malformed', fromSystem: ctx.store.system,
          result: 'refused', detail: { reason: messageOf(err), excerpt: Buffer.from(raw.subarray(0, 120)).toString('utf8') } });
      }
      return c.json({ error: messageOf(err) }, badSignature ? 401 : 400);
    }
    let fresh: number;
    try {
      fresh = await accept(ctx, 'store', changes);
    } catch (err) {
      // Not stored, so not acknowledged: the sender keeps it and tries again.
      ctx.log.error({ err: messageOf(err) }, 'webhook not stored; the sender will retry');
      return c.json({ error: 'could not store the event; send it again' }, 503);
    }
    engine.wake(); // the change is durable already; the work can start at once
    // a delivery whose every change was recorded before is a redelivery: acknowledged, so the sender stops
    return c.json({ accepted: changes.length, new: fresh, ...(changes.length && !fresh ? { duplicate: true } : {}) });
  });

  // ---- metrics and admin API -----------------------------------------------------------------
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metricsText(ctx);
    return c.body(body, 200, { 'content-type': contentType });
  });

  const failureViews = async () => (await ctx.storage.failures()).map((j) => explainFailure(j, sides));
  const driftViews = async () => (await ctx.storage.conflicts()).map((d) => explainConflict(d, sides));

  app.get('/api/status', async (c) => c.json({
    health: { ...engine.health.view(), ...engine.readiness() },
    queue: await ctx.storage.queueDepth(), feeds: [...engine.feeds.values()], cursors: await ctx.storage.cursors(),
    failures: (await ctx.storage.failures()).length, openConflicts: (await ctx.storage.conflicts()).length,
    workers: await ctx.storage.workers(),
  }));
  app.get('/api/flows', async (c) => c.json(await flows(ctx.storage, config, engine.feeds.values())));
  app.get('/api/failures', async (c) => c.json(await failureViews()));
  app.get('/api/deliveries/refused', async (c) => c.json((await refusedDeliveries(ctx.storage)).map(explainMove)));
  app.post('/api/failures/:id/retry', async (c) => {
    const ok = await ctx.storage.retry(Number(c.req.param('id')));
    if (ok) engine.wake();
    return c.json({ retried: ok }, ok ? 200 : 404);
  });
  app.get('/api/records/:key/timeline', async (c) => {
    const key = recordKey(c.req.param('key'));
    return c.json({ key, jobs: await ctx.storage.jobs({ key }), moves: (await ctx.storage.auditTrail(key)).map(explainMove) });
  });
  app.get('/api/conflicts', async (c) => c.json(await driftViews()));
  app.get('/api/settings', (c) => c.json(redactConfig(config)));

  // ---- dashboard -----------------------------------------------------------------------------
  const chrome = async (c: Context<AppEnv>): Promise<Chrome> => ({
    config, failures: (await ctx.storage.failures()).length, drift: (await ctx.storage.conflicts()).length,
    csrf: c.get('session')?.csrf ?? null, signedIn: !!config.server.token && !!c.get('session'),
  });

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const body = assets.get(name);
    return body === undefined ? c.notFound() : c.body(body, 200, { 'content-type': ASSETS[name], 'cache-control': 'no-cache' });
  });
  app.get('/', async (c) => c.html(overviewPage(await chrome(c), await flows(ctx.storage, config, engine.feeds.values()), engine.health.problem(engine.stallAfterMs),
    await ctx.storage.workers())));
  app.get('/checklist', async (c) => c.html(checklistPage(await chrome(c))));
  app.get('/failures', async (c) => {
    const retried = c.req.query('retried');
    const flash = retried === undefined ? null : c.req.query('ok') === '1'
      ? `Sent back to the queue. Dovetail tries it again within seconds; it leaves this list once it is being worked on.`
      : `That failure is no longer on the list (someone retried it already?).`;
    return c.html(failuresPage(await chrome(c), await failureViews(), await refusedDeliveries(ctx.storage, 20), flash));
  });
  app.post('/failures/:id/retry', async (c) => {
    const id = Number(c.req.param('id'));
    const ok = await ctx.storage.retry(id);
    if (ok) { engine.wake(); ctx.log.info({ failure: id }, 'failure sent back to the queue from the dashboard'); }
    return c.redirect(`/failures?retried=${id}&ok=${ok ? 1 : 0}`, 303);
  });
  app.get('/records', async (c) => {
    const q = recordKey(c.req.query('q') ?? '');
    const [moves, jobs] = q ? await Promise.all([ctx.storage.auditTrail(q), ctx.storage.jobs({ key: q })]) : [[], []];
    return c.html(recordsPage(await chrome(c), q, moves.map(explainMove), jobs));
  });
  app.get('/drift', async (c) => c.html(driftPage(await chrome(c), await driftViews(), await reconcileView(ctx.storage, sides))));
  app.get('/report.html', (c) => c.html(renderHtml(config)));
  app.get('/report.md', (c) => c.body(renderMarkdown(config), 200, { 'content-type': 'text/markdown; charset=utf-8' }));

  // ---- sign-in and sign-out (only meaningful when server.token is set) ----------------------
  app.get('/login', (c) => {
    const token = config.server.token;
    if (!token || c.get('session')) return c.redirect(safeNext(c.req.query('next')), 303);
    return c.html(loginPage(safeNext(c.req.query('next')), null));
  });
  app.post('/login', async (c) => {
    const token = config.server.token;
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    if (!token) return c.redirect(next, 303);
    const address = clientAddress(c) ?? 'unknown';
    const refusal = throttle.refusal(address);
    if (refusal) {
      ctx.log.warn({ address, scope: refusal.scope }, 'dashboard sign-in refused: too many wrong tokens');
      return c.html(loginPage(next, throttledMessage(c, refusal)), 429);
    }
    if (typeof form.token !== 'string' || !sameSecret(form.token, token)) {
      throttle.failed(address);
      ctx.log.warn({ address }, 'dashboard sign-in refused: wrong token');
      return c.html(loginPage(next, 'That token is not right.'), 401);
    }
    throttle.succeeded(address);
    sessions.start(c);
    return c.redirect(next, 303);
  });
  app.post('/logout', (c) => {
    sessions.end(c);
    return c.redirect(config.server.token ? '/login' : '/', 303);
  });

  return app;
}

export function listen<E extends Env>(app: Hono<E>, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once('error', reject);
  });
}
