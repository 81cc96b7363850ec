// Dovetail's HTTP face: the store's webhooks (signature checked over the raw body before
// anything is stored, then recorded durably, then 200), health, and a small JSON admin API.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { DovetailError, messageOf } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { accept } from '../engine/intake.js';

export function buildApp(engine: Engine): Hono {
  const { ctx } = engine;
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.post(`/webhooks/${ctx.store.system}`, async (c) => {
    const raw = await c.req.text();
    const headers = Object.fromEntries([...c.req.raw.headers].map(([k, v]) => [k.toLowerCase(), v]));
    if (!ctx.store.parseWebhook) return c.json({ error: `${ctx.store.system} does not push events` }, 404);
    let changes;
    try {
      changes = ctx.store.parseWebhook(raw, headers);
    } catch (err) {
      const bad = err instanceof DovetailError && err.kind === 'config';
      ctx.log.warn({ err: messageOf(err) }, bad ? 'webhook refused: bad signature' : 'webhook refused: malformed');
      if (!bad) await ctx.storage.audit({ recordKind: 'webhook', recordKey: headers['x-dovetail-event-id'] ?? 'unknown', action: 'webhook.malformed', fromSystem: ctx.store.system, result: 'refused', detail: messageOf(err) });
      return c.json({ error: messageOf(err) }, bad ? 401 : 400);
    }
    const fresh = await accept(ctx, 'store', changes);
    // Poke the worker: the change is durable already, the work can start at once.
    engine.wake();
    return c.json({ accepted: changes.length, new: fresh });
  });

  app.get('/api/status', async (c) => c.json({ queue: await ctx.storage.queueDepth(), feeds: [...engine.feeds.values()], cursors: await ctx.storage.cursors() }));
  app.get('/api/failures', async (c) => c.json(await ctx.storage.failures()));
  app.post('/api/failures/:id/retry', async (c) => {
    const ok = await ctx.storage.retry(Number(c.req.param('id')));
    if (ok) engine.wake();
    return c.json({ retried: ok }, ok ? 200 : 404);
  });
  app.get('/api/records/:key/timeline', async (c) => c.json(await ctx.storage.auditTrail(c.req.param('key'))));
  app.get('/api/conflicts', async (c) => c.json(await ctx.storage.conflicts()));
  return app;
}

export function listen(app: Hono, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve) => { const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server)); });
}
