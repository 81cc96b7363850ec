// A loopback HTTP proxy that stands between Dovetail and one system and makes the network fail
// the way real ones do, on a seeded schedule, counting every fault it injects (the fault soak).
//
// Written on node:http rather than taken from npm: the proxies there (http-proxy, toxiproxy's
// clients) either cannot break a connection after the upstream has answered, which is the fault
// that matters most here (the write happened, the answer is lost), or need a server of their own.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAULT_KINDS = ['latency', 'rateLimited', 'badGateway', 'unavailable', 'resetMidRequest', 'resetMidResponse', 'hang', 'down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Chance per request of each fault (`down` is not drawn per request: it is a stretch, see `down()`; it counts stretches). */
export type FaultRates = Record<Exclude<FaultKind, 'down'>, number>;

export interface FaultProxyOptions {
  /** the system's own base URL, e.g. http://127.0.0.1:18000 */
  target: string;
  seed: number;
  rates: FaultRates;
  /** extra delay of a `latency` fault, drawn in [0, latencyMs) */
  latencyMs: number;
  /** a `hang` holds the request this long at most (longer than the client's timeout), then the connection is dropped */
  hangMs: number;
}

/**
 * mulberry32: a seeded 32-bit generator, so a run's fault schedule can be replayed from its seed.
 * Four lines do not justify a dependency; Math.random cannot be seeded.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultProxy {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  requests = 0;
  private faulty = false;
  private readonly random: () => number;
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;
  private readonly target: URL;
  private port = 0;

  private constructor(private readonly opts: FaultProxyOptions) {
    this.random = seededRandom(opts.seed);
    this.target = new URL(opts.target);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(opts);
    await proxy.listen(0);
    return proxy;
  }

  /** Where Dovetail is pointed instead of the system (paths are passed through as they are). */
  get url(): string { return `http://127.0.0.1:${this.port}`; }

  /** Faults on (drawn per request from the seeded schedule) or off (a clean pass-through). */
  setFaults(on: boolean): void { this.faulty = on; }

  /**
   * The system is unreachable for `ms`: the proxy stops listening (connections are refused) and
   * drops the keep-alive connections it holds, then listens again on the same port.
   */
  async down(ms: number): Promise<void> {
    this.counts.down++;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, ms));
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** One fault for this request, or none: the rates are cumulative slices of one draw. */
  private draw(): Exclude<FaultKind, 'down'> | null {
    if (!this.faulty) return null;
    const rates = Object.entries(this.opts.rates) as [keyof FaultRates, number][];
    let x = this.random();
    for (const [kind, rate] of rates) {
      if (x < rate) return this.firstUnfired(rates) ?? kind;
      x -= rate;
    }
    return null;
  }

  /**
   * A kind of fault the plan asks for that has not fired yet. A drawn fault stands in for it, so
   * a short plan's few hundred requests still meet every kind, at the same rate of faults overall.
   */
  private firstUnfired(rates: [keyof FaultRates, number][]): keyof FaultRates | undefined {
    return rates.find(([kind, rate]) => rate > 0 && this.counts[kind] === 0)?.[0];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests++;
    const fault = this.draw();
    if (fault) this.counts[fault]++;
    if (fault === 'resetMidRequest') {
      // the request never reaches the system: the client sees its connection reset while sending
      req.socket.destroy();
      return;
    }
    const body = await readAll(req).catch(() => null);
    if (body === null) return;
    switch (fault) {
      case 'rateLimited':
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('Too Many Requests (fault soak)');
        return;
      case 'badGateway':
        res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway (fault soak)');
        return;
      case 'unavailable':
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('Service Unavailable (fault soak)');
        return;
      case 'hang':
        // held until the client gives up (its timeout, or Dovetail killed); nothing is forwarded
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.opts.hangMs);
          req.socket.once('close', () => { clearTimeout(timer); resolve(); });
        });
        req.socket.destroy();
        return;
      case 'latency':
        await new Promise((r) => setTimeout(r, Math.floor(this.random() * this.opts.latencyMs)));
        break;
    }
    let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    try {
      answer = await this.forward(req, body);
    } catch {
      req.socket.destroy();
      return;
    }
    if (fault === 'resetMidResponse') {
      // the system did the work; the client gets the head and half the body, then a reset
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => req.socket.destroy());
      return;
    }
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) }).end(answer.body);
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const headers = { ...req.headers, host: this.target.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    return new Promise((resolve, reject) => {
      const up = http.request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (answer) => {
        readAll(answer).then((data) => {
          const h = { ...answer.headers };
          delete h['transfer-encoding'];
          delete h['content-length'];
          delete h.connection;
          resolve({ status: answer.statusCode ?? 502, headers: h, body: data });
        }, reject);
      });
      up.once('error', reject);
      up.end(body);
    });
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    let ended = false;
    stream.once('end', () => { ended = true; resolve(Buffer.concat(chunks)); });
    stream.once('error', reject);
    // closed before its end: the sender went away half-way, and half a body is never forwarded
    stream.once('close', () => { if (!ended) reject(new Error('closed before the end of the body')); });
  });
}
