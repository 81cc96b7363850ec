// A tiny GraphQL client for Vendure's Admin and Shop APIs (ESM, Node's fetch). It keeps the
// session token Vendure returns in the `vendure-auth-token` header, like a browser keeps a cookie.

export interface GqlClient {
  <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  readonly token: string | null;
}

interface GqlAnswer { data?: unknown; errors?: { message: string }[] }

export function gqlClient(endpoint: string): GqlClient {
  let token: string | null = null;
  const call = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(30_000) });
    token = res.headers.get('vendure-auth-token') ?? token;
    const text = await res.text();
    let json: GqlAnswer;
    try { json = JSON.parse(text) as GqlAnswer; } catch { throw new Error(`${endpoint} answered ${res.status}: ${text.slice(0, 200)}`); }
    if (json.errors?.length) throw new Error(`${endpoint}: ${json.errors.map((e) => e.message).join('; ')} (in ${query.replace(/\s+/g, ' ').slice(0, 80)}…)`);
    return json.data as T;
  };
  return Object.defineProperty(call, 'token', { get: () => token }) as GqlClient;
}

/** An Admin API client logged in as the given administrator (superadmin by default). */
export async function adminGql(url: string, username = 'superadmin', password = 'superadmin'): Promise<GqlClient> {
  const admin = gqlClient(`${url.replace(/\/+$/, '')}/admin-api`);
  const r = await admin<{ login: { __typename: string; message?: string } }>(
    `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename ... on ErrorResult { message } } }`,
    { u: username, p: password },
  );
  if (r.login.__typename !== 'CurrentUser') throw new Error(`Vendure admin login refused: ${r.login.message ?? r.login.__typename}`);
  return admin;
}

/** A Shop API client (a fresh anonymous session: its own active order). */
export const shopGql = (url: string): GqlClient => gqlClient(`${url.replace(/\/+$/, '')}/shop-api`);
