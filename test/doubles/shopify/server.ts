// A local stand-in for Shopify's GraphQL Admin endpoint on 127.0.0.1 that keeps state (see
// state.ts) and checks every request against the published Admin schema (validate.ts). Answers
// are produced by executing the document against the state with that same schema, so they hold
// exactly the fields asked for, in Shopify's types. Also: a leaky-bucket cost budget on a virtual
// clock, injectable HTTP failures before or after a call is applied, and every request recorded.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { execute, getArgumentValues, getOperationAST, Kind, parse, type DocumentNode } from 'graphql';
import { OPERATIONS } from '../../../src/connectors/shopify/operations.js';
import { adminSchema } from '../../unit/shopify/admin-schema.js';
import { ShopState, type Item, type Json } from './state.js';
import { requestErrors } from './validate.js';
import { CATALOGUE } from './catalogue.js';
import { ORDERS } from './orders.js';
import { MONEY } from './money.js';
import { FULFILMENT } from './fulfilment.js';
import { CHANGES } from './changes.js';
import { OFFLINE } from './offline.js';
import { ACCOUNTS } from './accounts.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export type { Item } from './state.js';

export interface Recorded { name: string; variables: Record<string, unknown>; status: number }

/**
 * One operation's work on the state; returns the root value the document is executed against.
 * `args`: the request's variables, overlaid with the coerced arguments of the operation's first
 * field, so literals written in the document (paymentPending: false) count as Shopify counts them.
 */
export type Handler = (args: Json, shop: ShopState, server: FakeShopify) => Json;

function rootArguments(document: DocumentNode, operationName: string, variables: Json): Json {
  const operation = getOperationAST(document, operationName)!;
  const field = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  const root = operation.operation === 'mutation' ? adminSchema().getMutationType() : adminSchema().getQueryType();
  const def = field && root?.getFields()[field.name.value];
  return def && field.kind === Kind.FIELD ? { ...variables, ...getArgumentValues(def, field, variables) } : variables;
}

const HANDLERS: Record<string, Handler> = { ...CATALOGUE, ...ORDERS, ...MONEY, ...FULFILMENT, ...CHANGES, ...OFFLINE, ...ACCOUNTS };

/** A virtual clock shared by the fake's bucket and the client's injected now/sleep. */
export class VirtualClock {
  ms = 0;
  slept: number[] = [];
  now = () => this.ms;
  sleep = async (ms: number) => { this.slept.push(ms); this.ms += ms; };
}

export class FakeShopify {
  readonly requests: Recorded[] = [];
  readonly shop = new ShopState();
  bucket = { maximumAvailable: 1000, currentlyAvailable: 1000, restoreRate: 50, at: 0 };
  /** answer this HTTP status instead, before (`before`) or after (`after`) applying the call */
  readonly failures: { name: string; nth: number; status: number; when: 'before' | 'after' }[] = [];
  /** runs before an operation is applied (a concurrent change in the shop) */
  readonly hooks = new Map<string, (fake: FakeShopify, nth: number) => void>();
  /** bulk: JSONL served at /bulk.jsonl once the operation is polled `bulkPollsToFinish` times */
  bulkPollsToFinish = 1;
  bulkJsonl = '';
  private bulkPolls = 0;
  private counts = new Map<string, number>();
  private server = createServer((req, res) => void this.serve(req, res));
  url = '';

  constructor(readonly clock: VirtualClock = new VirtualClock()) {}

  get items(): Map<string, Item> { return this.shop.items; }

  async start(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    return this;
  }
  stop(): Promise<void> { return closeNow(this.server); }

  /** The Admin endpoint, for ShopifyClientOptions.endpoint. */
  get endpoint(): string { return `${this.url}/admin/api/2026-10/graphql.json`; }

  calls(name: string): Recorded[] { return this.requests.filter((r) => r.name === name); }

  addItem(sku: string, levels: Record<string, number>, productId?: string, priceMinor?: number): Item { return this.shop.addItem(sku, levels, productId, priceMinor); }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/bulk.jsonl') { res.writeHead(200, { 'content-type': 'application/jsonl' }).end(this.bulkJsonl); return; }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; operationName: string; variables: Json };
    const name = body.operationName;
    const nth = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, nth);
    const send = (status: number, json: unknown) => {
      this.requests.push({ name, variables: body.variables, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    const invalid = requestErrors(body.query, name, body.variables);
    if (invalid.length) { send(200, { errors: invalid }); return; }
    const op = OPERATIONS.find((o) => o.name === name);
    if (!op || op.document !== body.query) { send(200, { errors: [{ message: `unknown document ${name}`, extensions: { code: 'NOT_FOUND' } }] }); return; }
    const failure = this.failures.find((f) => f.name === name && f.nth === nth);
    if (failure?.when === 'before') { send(failure.status, { errors: 'Service Unavailable' }); return; }

    // leaky bucket on the virtual clock
    const b = this.bucket;
    b.currentlyAvailable = Math.min(b.maximumAvailable, b.currentlyAvailable + (b.restoreRate * (this.clock.ms - b.at)) / 1000);
    b.at = this.clock.ms;
    const cost = op.cost ?? 10;
    const status = () => ({ maximumAvailable: b.maximumAvailable, currentlyAvailable: Math.floor(b.currentlyAvailable), restoreRate: b.restoreRate });
    if (cost > b.currentlyAvailable) {
      send(200, { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }], extensions: { cost: { requestedQueryCost: cost, actualQueryCost: null, throttleStatus: status() } } });
      return;
    }
    b.currentlyAvailable -= cost;
    this.hooks.get(name)?.(this, nth);
    const handler = HANDLERS[name];
    if (!handler) { send(200, { errors: [{ message: `the double has no handler for ${name}`, extensions: { code: 'NOT_IMPLEMENTED' } }] }); return; }
    const document = parse(body.query);
    const root = handler(rootArguments(document, name, body.variables ?? {}), this.shop, this);
    const result = await execute({ schema: adminSchema(), document, rootValue: root, variableValues: body.variables, operationName: name });
    if (failure?.when === 'after') { send(failure.status, { errors: 'Bad Gateway' }); return; }
    // an answer the schema refuses is the double's own mistake: say so loudly
    if (result.errors?.length) { send(200, { errors: result.errors.map((e) => ({ message: `the double answered outside the schema: ${e.message}`, path: e.path, extensions: { code: 'DOUBLE_ERROR' } })) }); return; }
    send(200, { data: result.data, extensions: { cost: { requestedQueryCost: cost, actualQueryCost: cost, throttleStatus: status() } } });
  }

  pollBulk(): Json {
    this.bulkPolls++;
    const done = this.bulkPolls >= this.bulkPollsToFinish;
    return { bulkOperation: { id: 'gid://shopify/BulkOperation/1', status: done ? 'COMPLETED' : 'RUNNING', errorCode: null, objectCount: String(this.items.size), url: done ? `${this.url}/bulk.jsonl` : null, partialDataUrl: null } };
  }
}
