// A local stand-in for a Magento 2.4 shop's Admin REST API on 127.0.0.1 that keeps state (state.ts)
// and checks every request and answer against Adobe's published schema (schema.ts): a request the
// schema refuses gets Magento's 400 and is recorded, so a connector's mistake fails its test loudly.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { bulkParamValue, bulkPlaceholder, checkRequest, checkResponse, REST_PREFIX, type Method } from './schema.js';
import { MagentoRefusal, MagentoState } from './state.js';
import { ROUTES, type Answer } from './routes.js';
import { closeNow, listenOnLoopback } from '../loopback.js';

export interface Recorded { method: string; path: string; query: URLSearchParams; storeCode: string; operationId: string | null; status: number; bulk: boolean }

/** A failure the next matching call meets instead of its answer: a status with Magento's JSON, or a proxy's HTML page. */
export interface Fault { status: number; html?: string; retryAfter?: string; operationId?: string }

interface BulkOperation { id: number; operationId: string; params: Record<string, string>; body: unknown; status: 1 | 2 | 3 | 4; message: string | null }
interface Bulk { uuid: string; description: string; startedAt: string; operations: BulkOperation[] }

export const ACCESS_TOKEN = 'magento-double-integration-token';
const STORE_CODES = new Set(['default', 'all']);

export class FakeMagento {
  readonly state: MagentoState;
  readonly requests: Recorded[] = [];
  /** requests the published schema refuses: a connector's mistake; tests assert none */
  readonly schemaViolations: string[] = [];
  /** answers of the double the schema refuses: the double's own mistake; tests assert none */
  readonly answerViolations: string[] = [];
  readonly faults: Fault[] = [];
  readonly bulks = new Map<string, Bulk>();
  /** every connection is dropped at once, as a shop that is down */
  down = false;
  url = '';
  private server = createServer((req, res) => void this.serve(req, res));

  constructor(readonly now: () => number = Date.now, readonly token: string = ACCESS_TOKEN) {
    this.state = new MagentoState(now);
  }

  async start(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    return this;
  }
  stop(): Promise<void> { return closeNow(this.server); }

  /** the next call (of this operation, when named) fails so */
  failNext(fault: Fault): void { this.faults.push(fault); }

  calls(operationId: string): Recorded[] { return this.requests.filter((r) => r.operationId === operationId); }

  /** Magento's consumers run the queued bulk operations (the double runs them when asked, or at a status poll). */
  runBulkConsumers(): void {
    for (const bulk of this.bulks.values()) {
      for (const op of bulk.operations) {
        if (op.status !== 4 || op.message !== null) continue;
        try {
          ROUTES[op.operationId]!({ state: this.state, params: op.params, query: new URLSearchParams(), body: op.body, storeCode: 'all', fake: this });
          op.status = 1;
        } catch (err) {
          op.status = err instanceof MagentoRefusal ? 3 : 2;
          op.message = err instanceof Error ? err.message : String(err);
        }
      }
    }
  }

  bulkStatus(uuid: string): Record<string, unknown> | null {
    const bulk = this.bulks.get(uuid);
    if (!bulk) return null;
    this.runBulkConsumers();
    return {
      bulk_id: bulk.uuid, description: bulk.description, start_time: bulk.startedAt, user_id: 1, user_type: 2, operation_count: bulk.operations.length,
      operations_list: bulk.operations.map((o) => ({ id: o.id, status: o.status, result_message: o.message ?? 'Service execution success', error_code: o.status === 1 ? 0 : 1 })),
    };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) { req.socket.destroy(); return; }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://double');
    const method = (req.method ?? 'GET').toUpperCase() as Method;
    const m = REST_PREFIX.exec(url.pathname);
    const record: Recorded = { method, path: url.pathname, query: url.searchParams, storeCode: m?.[1] ?? '', operationId: null, status: 0, bulk: Boolean(m?.[2]) };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      this.requests.push(record);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json; charset=utf-8', ...headers }).end(text);
    };
    const refuse = (status: number, message: string, parameters?: unknown) => send(status, { message, ...(parameters === undefined ? {} : { parameters }) });

    if (!m) { refuse(404, 'Request does not match any route.'); return; }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      refuse(401, 'The consumer isn\'t authorized to access %resources.', { resources: 'Magento_Backend::admin' });
      return;
    }
    if (!STORE_CODES.has(m[1]!)) { refuse(400, 'The store that was requested wasn\'t found. Verify the store and try again.'); return; }
    const path = m[3]!;
    let body: unknown;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      refuse(400, 'Decoding error: \nSyntax error');
      return;
    }
    const check = checkRequest({ method, path, query: url.searchParams, body, bulk: record.bulk });
    record.operationId = check.operationId;
    const fault = this.faults.findIndex((f) => !f.operationId || f.operationId === check.operationId);
    if (fault >= 0) {
      const [f] = this.faults.splice(fault, 1);
      const headers: Record<string, string> = f!.retryAfter ? { 'retry-after': f!.retryAfter } : {};
      if (f!.html !== undefined) send(f!.status, f!.html, headers);
      else send(f!.status, { message: 'The service is temporarily unavailable.' }, headers);
      return;
    }
    if (!check.operationId) { refuse(404, 'Request does not match any route.'); return; }
    if (check.problems.length) {
      this.schemaViolations.push(...check.problems);
      refuse(400, check.problems.join('; '));
      return;
    }
    const route = ROUTES[check.operationId];
    if (!route) {
      this.schemaViolations.push(`${method} ${check.template}: the double does not carry this operation`);
      refuse(400, `The double does not carry ${check.operationId}.`);
      return;
    }
    if (record.bulk) { this.acceptBulk(check.operationId, check.params, body as unknown[], send); return; }
    let answer: Answer;
    try {
      answer = route({ state: this.state, params: check.params, query: url.searchParams, body, storeCode: m[1]!, fake: this });
    } catch (err) {
      if (err instanceof MagentoRefusal) { refuse(err.status, err.template, err.parameters.length ? err.parameters : undefined); return; }
      throw err;
    }
    const wrong = checkResponse(method, path, 200, answer);
    if (wrong.length) {
      this.answerViolations.push(...wrong);
      refuse(500, `The double answered outside the schema: ${wrong.join('; ')}`);
      return;
    }
    send(200, answer);
  }

  /**
   * The async bulk API: every element of the body an operation of its own, queued under one
   * bulk_uuid and run by the consumers later. A path parameter written `by<Name>` (`/products/bySku`)
   * takes each operation's value from its body.
   */
  private acceptBulk(operationId: string, params: Record<string, string>, bodies: unknown[], send: (status: number, body: unknown) => void): void {
    const uuid = randomUUID();
    const operations = bodies.map((body, id): BulkOperation => ({ id, operationId, body, status: 4, message: null,
      params: Object.fromEntries(Object.entries(params).map(([name, value]) => [name, value === bulkPlaceholder(name) ? bulkParamValue(body, name) ?? '' : value])) }));
    this.bulks.set(uuid, { uuid, description: `Topic async.${operationId}`, startedAt: this.state.stamp(), operations });
    send(202, { bulk_uuid: uuid, request_items: operations.map((o) => ({ id: o.id, data_hash: null, status: 'accepted' })), errors: false });
  }
}
