// Events pushed by Dovetail's Vendure plugin: the signature is checked over the exact bytes
// received, and only a verified body is decoded (strictly, as UTF-8) and read.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { ChangeRef } from '../types.js';

/** What Dovetail's Vendure plugin posts (see plugin/dovetail-plugin.ts). */
const PluginEvent = z.object({
  id: z.string().min(1),
  event: z.string(),
  at: z.string(),
  orderCode: z.string().optional(),
  state: z.string().optional(),
  skus: z.array(z.string()).optional(),
  email: z.string().optional(),
});

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies the plugin's HMAC-SHA256 over the raw bytes, then turns the event into change
 * references. Throws a DovetailError: `config` for a bad signature, `permanent` for a body that
 * is not UTF-8, not JSON or not an event.
 */
export function parsePluginEvent(rawBody: Uint8Array, headers: Record<string, string | undefined>, secret: string): ChangeRef[] {
  const given = headers['x-dovetail-signature'] ?? '';
  const expected = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  const a = Buffer.from(given), b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new DovetailError('config', 'signature does not match the body (x-dovetail-signature)');
  let text: string;
  try { text = strictUtf8.decode(rawBody); } catch { throw new DovetailError('permanent', 'body is not valid UTF-8'); }
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new DovetailError('permanent', 'body is not JSON'); }
  const parsed = PluginEvent.safeParse(json);
  if (!parsed.success) throw new DovetailError('permanent', `event does not have the expected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const version = `event:${e.id}`;
  if (e.orderCode && /^Order/.test(e.event)) return [{ kind: 'order', key: e.orderCode, sourceVersion: version }];
  if (e.skus?.length && /^Product/.test(e.event)) return e.skus.map((sku) => ({ kind: 'product' as const, key: sku, sourceVersion: version }));
  if (e.email && e.event === 'Customer') return [{ kind: 'customer', key: e.email.trim().toLowerCase(), sourceVersion: version }];
  return [];
}
