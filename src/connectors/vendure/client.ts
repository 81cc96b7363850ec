// The only place that speaks HTTP to Vendure: GraphQL over the Admin API with a bearer session
// (logged in again once when it expires). Every failure becomes a DovetailError with its kind.
import { z } from 'zod';
import { DovetailError, httpFailure, transient } from '../../errors.js';
import { callGate } from '../calls-at-once.js';

/** A file sent with an operation per the GraphQL multipart request spec: `variable` is the path of its `Upload` in the variables. */
export interface VendureUpload { variable: string; file: Blob; fileName: string }

export interface VendureOptions {
  url: string; username: string; password: string; channelToken?: string | null; timeoutMs?: number;
  /** requests open at once (systems.store.callsAtOnce); the rest wait their turn */
  callsAtOnce?: number;
}

const GraphQlAnswer = z.object({
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  errors: z.array(z.object({ message: z.string(), extensions: z.object({ code: z.string().optional() }).passthrough().optional() })).optional(),
});

export class VendureClient {
  private token: string | null = null;
  calls = 0;
  private readonly gate: ReturnType<typeof callGate>;

  constructor(private readonly opts: VendureOptions) {
    this.gate = callGate(opts.callsAtOnce);
  }

  get url() { return this.opts.url.replace(/\/$/, ''); }

  async login(): Promise<void> {
    const r = await this.post('mutation($u:String!,$p:String!){ login(username:$u, password:$p, rememberMe:true) { __typename ... on ErrorResult { errorCode message } } }',
      { u: this.opts.username, p: this.opts.password }, false);
    const login = (r.data as { login?: { __typename: string; message?: string } }).login;
    if (login?.__typename !== 'CurrentUser') {
      throw new DovetailError('config', `Vendure at ${this.url} refused the login of "${this.opts.username}": ${login?.message ?? 'no answer'}`);
    }
  }

  /** Runs one Admin API operation and returns its `data`, parsed by `schema`. */
  async admin<T>(query: string, variables: Record<string, unknown>, schema: z.ZodType<T>, upload?: VendureUpload): Promise<T> {
    if (!this.token) await this.login();
    let r = await this.post(query, variables, true, 'admin-api', upload);
    if (r.errors?.some((e) => e.extensions?.code === 'FORBIDDEN')) {
      this.token = null; // session expired or revoked: one new login, then the call again
      await this.login();
      r = await this.post(query, variables, true, 'admin-api', upload);
    }
    if (r.errors?.length) {
      const msg = r.errors.map((e) => e.message).join('; ');
      const code = r.errors[0].extensions?.code;
      throw new DovetailError(code === 'FORBIDDEN' ? 'config' : code === 'INTERNAL_SERVER_ERROR' ? 'transient' : 'permanent',
        `Vendure ${operationName(query)}: ${msg.slice(0, 400)}`);
    }
    const parsed = schema.safeParse(r.data);
    if (!parsed.success) throw new DovetailError('permanent', `Vendure ${operationName(query)} answered in an unexpected shape: ${parsed.error.message.slice(0, 400)}`);
    return parsed.data;
  }

  /** Runs one anonymous Shop API operation (what a shopper may do: e.g. ask for a password email). */
  async shop<T>(query: string, variables: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    const r = await this.post(query, variables, false, 'shop-api');
    if (r.errors?.length) throw new DovetailError('permanent', `Vendure shop ${operationName(query)}: ${r.errors.map((e) => e.message).join('; ').slice(0, 400)}`);
    const parsed = schema.safeParse(r.data);
    if (!parsed.success) throw new DovetailError('permanent', `Vendure shop ${operationName(query)} answered in an unexpected shape: ${parsed.error.message.slice(0, 400)}`);
    return parsed.data;
  }

  private async post(query: string, variables: Record<string, unknown>, authed: boolean, api: 'admin-api' | 'shop-api' = 'admin-api', upload?: VendureUpload): Promise<z.infer<typeof GraphQlAnswer>> {
    // a multipart upload streams its file from disk; the header marks it as no cross-site form post (Apollo's CSRF guard)
    const headers: Record<string, string> = upload ? { 'apollo-require-preflight': 'true' } : { 'content-type': 'application/json' };
    if (authed && this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.opts.channelToken) headers['vendure-token'] = this.opts.channelToken;
    const endpoint = `${this.url}/${api}`;
    this.calls++;
    let res: Response;
    let text: string;
    try {
      [res, text] = await this.gate(async () => {
        const r = await fetch(endpoint, { method: 'POST', headers, body: upload ? multipart(query, variables, upload) : JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(upload ? UPLOAD_TIMEOUT_MS : this.opts.timeoutMs ?? 30_000) });
        return [r, await r.text()] as const;
      });
    } catch (err) {
      throw transient(`POST ${endpoint} (${operationName(query)}) did not answer: ${(err as Error).message}`, { cause: err });
    }
    const token = res.headers.get('vendure-auth-token');
    if (token && api === 'admin-api') this.token = token;
    if (!res.ok) throw httpFailure('POST', endpoint, res.status, text, res.headers.get('retry-after'));
    let json: unknown;
    try { json = JSON.parse(text); } catch { throw transient(`POST ${endpoint} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`); }
    return GraphQlAnswer.parse(json);
  }
}

/** a large image over a slow link takes longer than an ordinary call */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

function multipart(query: string, variables: Record<string, unknown>, upload: VendureUpload): FormData {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables }));
  form.set('map', JSON.stringify({ 0: [`variables.${upload.variable}`] }));
  form.set('0', upload.file, upload.fileName);
  return form;
}

function operationName(query: string): string {
  return /(?:query|mutation)\s*(\w+)?[^{]*\{\s*(\w+)/.exec(query)?.slice(1).filter(Boolean).join(' ') ?? 'operation';
}
