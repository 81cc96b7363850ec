// The only place the Shopify connector speaks HTTP: GraphQL Admin API calls paced by the live
// cost budget Shopify reports, with every failure turned into a DovetailError exactly once.
import { z } from 'zod';
import { DovetailError, httpFailure, permanent, transient } from '../../errors.js';
import type { Operation } from './operations.js';
import type { FetchLike } from '../fetch.js';

/** The one Admin API version this connector is written and schema-tested against. */
export const API_VERSION = '2026-10';

export interface ShopifyClientOptions {
  /** `my-shop.myshopify.com` */
  shop: string;
  /** Admin API access token of the custom app */
  accessToken: string;
  /** overrides `https://<shop>/admin/api/<version>/graphql.json` (tests, proxies) */
  endpoint?: string;
  fetch?: FetchLike;
  /** milliseconds since an epoch; injectable so tests assert waits without waiting */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** THROTTLED answers waited out before giving the job back to the engine's backoff */
  maxThrottleWaits?: number;
  timeoutMs?: number;
}

const ThrottleStatus = z.object({
  maximumAvailable: z.number(),
  currentlyAvailable: z.number(),
  restoreRate: z.number().positive(),
});
type ThrottleStatus = z.infer<typeof ThrottleStatus>;

const Envelope = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({
    message: z.string(),
    extensions: z.object({ code: z.string().optional() }).passthrough().optional(),
  }).passthrough()).optional(),
  extensions: z.object({
    cost: z.object({
      requestedQueryCost: z.number().nullable().optional(),
      actualQueryCost: z.number().nullable().optional(),
      throttleStatus: ThrottleStatus.optional(),
    }).passthrough().optional(),
  }).passthrough().optional(),
}).passthrough();

/** What the client has spent and waited, for tests, the bench and /metrics. */
export interface ClientStats {
  calls: number;
  /** sum of requestedQueryCost (live when Shopify reported it, else the static estimate) */
  requestedCost: number;
  actualCost: number;
  /** every pause taken, in milliseconds, in order */
  waitsMs: number[];
  byOperation: Record<string, number>;
}

export class ShopifyClient {
  readonly endpoint: string;
  private readonly token: string;
  private readonly fetchImpl: FetchLike;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxThrottleWaits: number;
  private readonly timeoutMs: number;
  /** last budget Shopify reported and when; null until the first answer */
  private budget: (ThrottleStatus & { at: number }) | null = null;
  private readonly learnedCost = new Map<string, number>();
  readonly stats: ClientStats = { calls: 0, requestedCost: 0, actualCost: 0, waitsMs: [], byOperation: {} };

  constructor(opts: ShopifyClientOptions) {
    if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(opts.shop) && !opts.endpoint) {
      throw new DovetailError('config', `shopify.shop must be the shop's myshopify.com domain, got ${JSON.stringify(opts.shop)}`);
    }
    this.endpoint = opts.endpoint ?? `https://${opts.shop}/admin/api/${API_VERSION}/graphql.json`;
    this.token = opts.accessToken;
    this.fetchImpl = opts.fetch ?? ((url, init) => fetch(url, init));
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.maxThrottleWaits = opts.maxThrottleWaits ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /**
   * Sends one named operation and returns its `data` parsed by `schema`. Before sending, waits
   * until the projected budget covers the operation's cost; a THROTTLED answer (which Shopify
   * did not execute, so resending is safe) is waited out up to `maxThrottleWaits` times.
   */
  async request<T>(op: Operation, variables: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    if (op.bulkInner) throw new Error(`${op.name} is a bulk inner query, sent only through bulkOperationRunQuery`);
    const body = JSON.stringify({ query: op.document, operationName: op.name, variables });
    for (let attempt = 0; ; attempt++) {
      const cost = this.costOf(op);
      await this.waitForBudget(cost);
      const envelope = await this.post(op, body);
      const reported = envelope.extensions?.cost;
      if (reported?.throttleStatus) this.budget = { ...reported.throttleStatus, at: this.now() };
      if (typeof reported?.requestedQueryCost === 'number') this.learnedCost.set(op.name, reported.requestedQueryCost);
      this.stats.calls++;
      this.stats.byOperation[op.name] = (this.stats.byOperation[op.name] ?? 0) + 1;
      this.stats.requestedCost += reported?.requestedQueryCost ?? cost;
      this.stats.actualCost += reported?.actualQueryCost ?? 0;

      const errors = envelope.errors ?? [];
      if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
        const waitSeconds = this.secondsUntilAffordable(reported?.requestedQueryCost ?? cost);
        if (attempt >= this.maxThrottleWaits) {
          throw transient(`Shopify ${op.name}: still THROTTLED after ${attempt + 1} attempts`, { retryAfterSeconds: Math.ceil(waitSeconds) });
        }
        await this.pause(waitSeconds * 1000);
        continue;
      }
      if (errors.length) throw graphqlFailure(op.name, errors);
      const parsed = schema.safeParse(envelope.data);
      if (!parsed.success) {
        throw permanent(`Shopify ${op.name}: the answer does not have the documented shape`, { issues: parsed.error.issues.slice(0, 5) });
      }
      return parsed.data;
    }
  }

  /** A plain pause on the injected clock (bulk polling), not counted as a budget wait. */
  wait(ms: number): Promise<void> { return this.sleep(ms); }

  /** Downloads a bulk operation's JSONL result (a signed URL: no Shopify token is sent). */
  async download(url: string): Promise<string> {
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await this.fetchImpl(url, { method: 'GET', headers: {}, signal: AbortSignal.timeout(this.timeoutMs * 10) });
    } catch (err) {
      throw transient(`GET bulk result failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (res.status !== 200) throw httpFailure('GET', url.split('?')[0] ?? url, res.status, text, res.headers.get('retry-after'));
    return text;
  }

  private costOf(op: Operation): number {
    return this.learnedCost.get(op.name) ?? op.cost ?? 10;
  }

  private secondsUntilAffordable(cost: number): number {
    if (!this.budget) return 0;
    const { maximumAvailable, restoreRate, currentlyAvailable, at } = this.budget;
    const projected = Math.min(maximumAvailable, currentlyAvailable + (restoreRate * (this.now() - at)) / 1000);
    return cost > projected ? (cost - projected) / restoreRate : 0;
  }

  private async waitForBudget(cost: number): Promise<void> {
    if (this.budget && cost > this.budget.maximumAvailable) {
      throw permanent(`a query costing ${cost} can never fit a bucket of ${this.budget.maximumAvailable} points`);
    }
    const seconds = this.secondsUntilAffordable(cost);
    if (seconds > 0) await this.pause(seconds * 1000);
  }

  private async pause(ms: number): Promise<void> {
    const rounded = Math.ceil(ms);
    this.stats.waitsMs.push(rounded);
    await this.sleep(rounded);
  }

  private async post(op: Operation, body: string): Promise<z.infer<typeof Envelope>> {
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-shopify-access-token': this.token },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw transient(`POST ${this.endpoint} (${op.name}) failed before an answer: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (res.status !== 200) {
      // 402 (shop frozen), 404 (wrong shop or version) and 423 (shop locked) need a person
      if ([402, 404, 423].includes(res.status)) {
        throw new DovetailError('config', `POST ${this.endpoint} (${op.name}) answered ${res.status}: ${text.slice(0, 200)}`);
      }
      throw httpFailure('POST', `${this.endpoint} (${op.name})`, res.status, text, res.headers.get('retry-after'));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw transient(`POST ${this.endpoint} (${op.name}) answered 200 with a body that is not JSON: ${text.slice(0, 120)}`);
    }
    const envelope = Envelope.safeParse(json);
    if (!envelope.success) throw permanent(`Shopify ${op.name}: the answer is not a GraphQL response`);
    return envelope.data;
  }
}

/** Top-level GraphQL errors, once: access problems are config, server trouble transient, the rest permanent. */
function graphqlFailure(name: string, errors: { message: string; extensions?: { code?: string } }[]): DovetailError {
  const codes = errors.map((e) => e.extensions?.code ?? '');
  const message = `Shopify ${name}: ${errors.map((e) => e.message).join('; ').slice(0, 300)}`;
  const detail = { codes };
  if (codes.includes('ACCESS_DENIED')) return new DovetailError('config', message, { detail });
  if (codes.some((c) => c === 'INTERNAL_SERVER_ERROR' || c === 'SERVICE_UNAVAILABLE')) return new DovetailError('transient', message, { detail });
  return new DovetailError('permanent', message, { detail });
}

/** A mutation's userErrors, once: concurrency codes are transient, everything else permanent. */
export function userErrorFailure(name: string, errors: { code?: string | null; field?: string[] | null; message: string }[], detail: Record<string, unknown> = {}): DovetailError {
  const codes = errors.map((e) => e.code ?? null);
  const kind = codes.some((c) => c === 'IDEMPOTENCY_CONCURRENT_REQUEST') ? 'transient' : 'permanent';
  return new DovetailError(kind, `Shopify ${name} refused: ${errors.map((e) => `${(e.field ?? []).join('.')} ${e.message}`.trim()).join('; ').slice(0, 300)}`, {
    detail: { ...detail, userErrors: errors },
  });
}
