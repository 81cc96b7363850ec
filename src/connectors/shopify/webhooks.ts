// Shopify webhooks: signature checked on the raw bytes before anything else, stale deliveries
// recognised by X-Shopify-Triggered-At, and the payload reduced to ChangeRefs versioned by
// X-Shopify-Webhook-Id, which Dovetail's storage records once (jobs carry keys; handlers reload).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DovetailError } from '../../errors.js';
import type { ChangeRef, RecordKind } from '../types.js';

export const WEBHOOK_TOPICS = ['orders/create', 'orders/updated', 'orders/cancelled', 'refunds/create', 'products/update', 'customers/update'] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];
/** orders/create -> ORDERS_CREATE, the GraphQL enum value */
export const topicEnum = (t: WebhookTopic) => t.replace('/', '_').toUpperCase();

/** Header lookup that ignores case, as HTTP does. */
function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/** True when X-Shopify-Hmac-SHA256 is the base64 HMAC-SHA256 of exactly these bytes under the app secret. */
export function verifySignature(rawBody: Uint8Array, signature: string | undefined, secret: string): boolean {
  if (!signature || !secret) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  let given: Buffer;
  try { given = Buffer.from(signature, 'base64'); } catch { return false; }
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact by reading them as strings: Shopify's
 * documented webhook examples carry ids like 820982911946154508, which a double would round.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') { out += text[++i] ?? ''; continue; }
      if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') { inString = true; out += ch; continue; }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 40))!;
      const num = m[0];
      out += !m[1] && !m[2] && num.replace('-', '').length > 15 ? `"${num}"` : num;
      i += num.length - 1;
      continue;
    }
    out += ch;
  }
  return JSON.parse(out);
}

const Id = z.union([z.string(), z.number()]).transform(String);
const OrderPayload = z.object({ id: Id, admin_graphql_api_id: z.string().optional(), updated_at: z.string().optional() }).passthrough();
const RefundPayload = z.object({ id: Id, order_id: Id, created_at: z.string().optional() }).passthrough();
const ProductPayload = z.object({ id: Id, updated_at: z.string().optional(), variants: z.array(z.object({ sku: z.string().nullable().optional() }).passthrough()).optional() }).passthrough();
const CustomerPayload = z.object({ id: Id, email: z.string().nullable().optional(), updated_at: z.string().optional() }).passthrough();

/**
 * The newest `updated_at` seen per record (webhooks and polling), to recognise a delivery older
 * than what was read since. Kept in memory: after a restart a stale delivery is taken, and its job
 * reloads the record as it is now, so it costs one read, never an old value.
 */
export interface WebhookMemory {
  lastUpdatedAt(kind: RecordKind, key: string): string | undefined;
  noteUpdatedAt(kind: RecordKind, key: string, updatedAt: string): void;
}

/** Bounded, oldest entries dropped first. */
export class InMemoryWebhookMemory implements WebhookMemory {
  private readonly updated = new Map<string, string>();
  constructor(private readonly capacity = 50_000) {}
  lastUpdatedAt(kind: RecordKind, key: string) { return this.updated.get(`${kind}\u0000${key}`); }
  noteUpdatedAt(kind: RecordKind, key: string, updatedAt: string) {
    const k = `${kind}\u0000${key}`;
    const prev = this.updated.get(k);
    if (!prev || Date.parse(updatedAt) > Date.parse(prev)) this.updated.set(k, updatedAt);
    if (this.updated.size > this.capacity) this.updated.delete(this.updated.keys().next().value as string);
  }
}

/**
 * A delivery read. Duplicates are not decided here: each change carries `event:<X-Shopify-Webhook-Id>`
 * as its version, which Dovetail's storage records once per record, across restarts and processes.
 */
export type WebhookOutcome =
  | { status: 'accepted'; changes: ChangeRef[] }
  | { status: 'stale' | 'ignored'; changes: [] };

/** Decoding happens only after the signature is checked over the bytes, and refuses what is not UTF-8. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies and reads one delivery. Throws DovetailError `permanent` with detail.reason
 * `signature` on a missing or wrong signature (the HTTP layer answers 401), `malformed` on a
 * body that is not the documented shape.
 */
export function readWebhook(rawBody: Uint8Array, headers: Record<string, string | undefined>, secret: string, memory: WebhookMemory): WebhookOutcome {
  if (!verifySignature(rawBody, header(headers, 'x-shopify-hmac-sha256'), secret)) {
    throw new DovetailError('permanent', 'Shopify webhook signature missing or wrong', { detail: { reason: 'signature' } });
  }
  const webhookId = header(headers, 'x-shopify-webhook-id');
  const topic = header(headers, 'x-shopify-topic');
  const triggeredAt = header(headers, 'x-shopify-triggered-at');
  if (!webhookId || !topic) throw new DovetailError('permanent', 'Shopify webhook without X-Shopify-Webhook-Id or X-Shopify-Topic', { detail: { reason: 'malformed' } });

  let text: string;
  try { text = strictUtf8.decode(rawBody); } catch {
    throw new DovetailError('permanent', `Shopify webhook ${webhookId} (${topic}) is not valid UTF-8`, { detail: { reason: 'malformed' } });
  }
  let body: unknown;
  try { body = parseJsonKeepingBigInts(text); } catch {
    throw new DovetailError('permanent', `Shopify webhook ${webhookId} (${topic}) is not JSON`, { detail: { reason: 'malformed' } });
  }
  const parse = <T>(schema: z.ZodType<T>): T => {
    const r = schema.safeParse(body);
    if (!r.success) throw new DovetailError('permanent', `Shopify webhook ${webhookId} (${topic}) has an unexpected shape`, { detail: { reason: 'malformed', issues: r.error.issues.slice(0, 3) } });
    return r.data;
  };

  let kind: RecordKind;
  let keys: string[];
  let updatedAt: string | undefined;
  switch (topic as WebhookTopic) {
    case 'orders/create': case 'orders/updated': case 'orders/cancelled': {
      const o = parse(OrderPayload);
      kind = 'order'; keys = [o.admin_graphql_api_id ? o.admin_graphql_api_id.slice(o.admin_graphql_api_id.lastIndexOf('/') + 1) : o.id]; updatedAt = o.updated_at;
      break;
    }
    case 'refunds/create': {
      const r = parse(RefundPayload);
      kind = 'order'; keys = [r.order_id]; updatedAt = undefined; // a refund changes its order; no order timestamp in it
      break;
    }
    case 'products/update': {
      const p = parse(ProductPayload);
      kind = 'product'; keys = (p.variants ?? []).map((v) => v.sku ?? '').filter(Boolean); updatedAt = p.updated_at;
      break;
    }
    case 'customers/update': {
      const c = parse(CustomerPayload);
      if (!c.email) return { status: 'ignored', changes: [] };
      kind = 'customer'; keys = [c.email.toLowerCase()]; updatedAt = c.updated_at;
      break;
    }
    default:
      return { status: 'ignored', changes: [] };
  }

  // stale: the record has since been seen in a newer version than this event was triggered at
  const eventTime = triggeredAt ?? updatedAt;
  if (eventTime && keys.length && keys.every((k) => {
    const last = memory.lastUpdatedAt(kind, k);
    return last !== undefined && Date.parse(eventTime) < Date.parse(last);
  })) {
    return { status: 'stale', changes: [] };
  }
  if (updatedAt) for (const k of keys) memory.noteUpdatedAt(kind, k, updatedAt);
  return { status: 'accepted', changes: keys.map((key) => ({ kind, key, sourceVersion: `event:${webhookId}` })) };
}

// ---------------- subscriptions ----------------

export interface ExistingSubscription { id: string; topic: string; uri: string; format: string; includeFields: string[]; filter: string | null }
export interface SubscriptionPlan {
  create: { topic: string; uri: string }[];
  update: { id: string; topic: string; uri: string }[];
  ok: { id: string; topic: string }[];
  /** subscriptions of topics Dovetail does not use; left alone, listed for the check's report */
  foreign: { id: string; topic: string; uri: string }[];
}

/**
 * What `dovetail check` must do so that each topic Dovetail needs is delivered, as JSON, in
 * full, to `uri`: create the missing ones and point the wrong ones at the right place.
 */
export function webhookSubscriptionsPlan(existing: ExistingSubscription[], uri: string, topics: readonly WebhookTopic[] = WEBHOOK_TOPICS): SubscriptionPlan {
  const plan: SubscriptionPlan = { create: [], update: [], ok: [], foreign: [] };
  const wanted = new Set(topics.map(topicEnum));
  for (const s of existing) if (!wanted.has(s.topic)) plan.foreign.push({ id: s.id, topic: s.topic, uri: s.uri });
  for (const topic of wanted) {
    const mine = existing.filter((s) => s.topic === topic);
    const right = mine.find((s) => s.uri === uri && s.format === 'JSON' && s.includeFields.length === 0 && !s.filter);
    if (right) { plan.ok.push({ id: right.id, topic }); continue; }
    const fixable = mine.find((s) => s.uri === uri) ?? mine[0];
    if (fixable) plan.update.push({ id: fixable.id, topic, uri });
    else plan.create.push({ topic, uri });
  }
  return plan;
}

export const malformedOrUnsigned = (err: unknown) => err instanceof DovetailError && (err.detail?.reason === 'signature' || err.detail?.reason === 'malformed');