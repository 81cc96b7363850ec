// The real systems for integration tests: a fresh Tryton database per suite (a copy of the golden
// SQLite file, served by the trytond that scripts/test.sh started) and a fresh Vendure process.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, closeSync, readFileSync, existsSync, writeFileSync, unlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminGql, shopGql, type GqlClient } from '../../../scripts/vendure-app/gql.js';
import { freePort } from './free-port.js';

export { adminGql, shopGql, type GqlClient };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUN = path.join(ROOT, '.run');
let counter = 0;
const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`;

// ---- Tryton ---------------------------------------------------------------------------------

export interface TrytonDatabase { url: string; database: string; username: 'admin'; password: 'admin' }

/**
 * A new Tryton database with the golden setup (company, accounts, fiscal years, category
 * "Goods", payment term "Immediate"). Copying the file takes milliseconds; the running server
 * serves it at once. Env: TRYTON_URL, TRYTON_DB_DIR (set by scripts/test.sh).
 */
export async function freshTrytonDatabase(): Promise<TrytonDatabase> {
  const url = trytonOfThisWorker();
  const dir = process.env.TRYTON_DB_DIR ?? path.join(RUN, 'tryton', 'db');
  const golden = path.join(dir, 'golden.sqlite');
  if (!existsSync(golden)) throw new Error(`no golden Tryton database at ${golden}: run scripts/tryton/bootstrap.sh (npm test does)`);
  const database = uniqueName('t');
  copyFileSync(golden, path.join(dir, `${database}.sqlite`));
  return { url, database, username: 'admin', password: 'admin' };
}

let claimedTryton: string | undefined;

/**
 * The trytond this test file uses for its whole life. npm test runs several files at once and
 * starts one trytond per worker (TRYTON_URLS), because trytond's development server is not safe
 * for several databases being opened and used at once by different clients. A file claims a free
 * server with a lock file holding its pid; a lock whose process is gone is free again.
 */
function trytonOfThisWorker(): string {
  if (claimedTryton) return claimedTryton;
  const urls = (process.env.TRYTON_URLS ?? process.env.TRYTON_URL ?? 'http://127.0.0.1:18000').split(',');
  if (urls.length === 1) return (claimedTryton = urls[0]!);
  const dir = path.join(RUN, 'tryton', 'workers');
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    for (const [i, url] of urls.entries()) {
      const lock = path.join(dir, `${i}.lock`);
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx' });
        process.once('exit', () => { try { unlinkSync(lock); } catch { /* already gone */ } });
        return (claimedTryton = url);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readFileSync(lock, 'utf8');
        // empty: its maker has not written its pid yet
        if (holder && !alive(Number(holder))) rmSync(lock, { force: true });
      }
    }
  }
  throw new Error(`every trytond of TRYTON_URLS is taken by a running test file (${dir}): more test workers than servers?`);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

// ---- Vendure --------------------------------------------------------------------------------

export interface VendureInstance {
  url: string;
  readonly pid: number;
  adminUsername: 'superadmin';
  adminPassword: 'superadmin';
  /** The SQLite file of this instance. */
  dbFile: string;
  /** Stop and start again on the same database and port (to see what survives a restart);
   *  `whileStopped` runs in between. */
  restart(whileStopped?: () => void | Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const SERVER_JS = path.join(RUN, 'vendure-app', 'dist', 'scripts', 'vendure-app', 'server.js');
const running = new Set<ChildProcess>();
// Never leave a Vendure behind, even when a test throws before stop().
process.once('exit', () => { for (const p of running) if (p.pid) try { process.kill(p.pid); } catch { /* gone */ } });

async function waitForHealth(url: string, child: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Vendure exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`Vendure at ${url} not healthy after ${timeoutMs} ms:\n${tail(logFile)}`);
}

const tail = (file: string) => { try { return readFileSync(file, 'utf8').split('\n').slice(-25).join('\n'); } catch { return '(no log)'; } };

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) { running.delete(child); return; }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => { if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL'); }, 10_000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

/**
 * A Vendure server on a copy of the golden store database (US, 10% tax, shipping "standard",
 * payment methods dummy-authorize / dummy-settle), on a free loopback port. Vendure cannot switch
 * databases while running, so each call starts a process (about 3 s).
 */
export async function startVendure(opts: { webhookUrl?: string; webhookSecret?: string } = {}): Promise<VendureInstance> {
  const golden = path.join(RUN, 'vendure', 'golden.sqlite');
  if (!existsSync(SERVER_JS) || !existsSync(golden)) throw new Error('Vendure app or golden database missing: run scripts/vendure-app/golden.sh (npm test does)');
  const dir = path.join(RUN, 'vendure', 'instances');
  mkdirSync(dir, { recursive: true });
  const name = uniqueName('v');
  const dbFile = path.join(dir, `${name}.sqlite`);
  const logFile = path.join(dir, `${name}.log`);
  copyFileSync(golden, dbFile);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, VENDURE_PORT: String(port), VENDURE_DB: dbFile, VENDURE_DISABLE_TELEMETRY: 'true' };
  delete env.DOVETAIL_WEBHOOK_URL;
  delete env.DOVETAIL_WEBHOOK_SECRET;
  delete env.NODE_OPTIONS; // tsx's loader is not wanted in the compiled CommonJS server
  if (opts.webhookUrl) env.DOVETAIL_WEBHOOK_URL = opts.webhookUrl;
  if (opts.webhookSecret) env.DOVETAIL_WEBHOOK_SECRET = opts.webhookSecret;

  let child: ChildProcess;
  const launch = async () => {
    const log = openSync(logFile, 'a');
    child = spawn(process.execPath, [SERVER_JS], { cwd: ROOT, env, stdio: ['ignore', log, log] });
    closeSync(log);
    running.add(child);
    try {
      await waitForHealth(url, child, logFile);
    } catch (err) {
      await stopChild(child);
      throw err;
    }
  };
  await launch();
  return {
    url,
    get pid() { return child.pid ?? -1; },
    adminUsername: 'superadmin',
    adminPassword: 'superadmin',
    dbFile,
    restart: async (whileStopped) => { await stopChild(child); await whileStopped?.(); await launch(); },
    stop: () => stopChild(child),
  };
}

// ---- Shop checkout --------------------------------------------------------------------------

export interface CheckoutAddress {
  fullName?: string; company?: string; streetLine1: string; streetLine2?: string; city?: string;
  province?: string; postalCode?: string; countryCode: string; phoneNumber?: string;
}

export interface CheckoutInput {
  lines: { sku: string; quantity: number }[];
  email: string;
  firstName: string;
  lastName: string;
  address: CheckoutAddress;
  couponCode?: string;
  /** `dummy-authorize` (default: authorised, settled later) or `dummy-settle`. */
  paymentMethod?: string;
  /** Shipping method code; default "standard". */
  shippingMethod?: string;
  /** Signs in as the registered customer `email` with this password first (a guest otherwise). */
  password?: string;
}

interface OrderResult { __typename: string; id?: string; code?: string; state?: string; totalWithTax?: number; errorCode?: string; message?: string }
const ORDER = `__typename ... on Order { id code state totalWithTax } ... on ErrorResult { errorCode message }`;

function orderOf(step: string, r: OrderResult): OrderResult {
  if (r.__typename !== 'Order') throw new Error(`shopCheckout: ${step} refused: ${r.errorCode ?? r.__typename} ${r.message ?? ''}`.trim());
  return r;
}

/** Signs a Shop API session in as a registered customer. */
export async function shopLogin(shop: GqlClient, email: string, password: string): Promise<void> {
  const r = await shop<{ login: { __typename: string; message?: string } }>(
    `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename ... on ErrorResult { message } } }`, { u: email, p: password });
  if (r.login.__typename !== 'CurrentUser') throw new Error(`Vendure shop login refused for ${email}: ${r.login.message ?? r.login.__typename}`);
}

/**
 * Places a real order through the Shop API as a guest (or as a signed-in customer, see `password`), the way a storefront does, and returns
 * what the store says about it (totals in minor units, tax included).
 */
export async function shopCheckout(vendureUrl: string, input: CheckoutInput): Promise<{ id: string; code: string; state: string; totalWithTax: number }> {
  const admin = await adminGql(vendureUrl);
  const skus = input.lines.map((l) => l.sku);
  const { productVariants } = await admin<{ productVariants: { items: { id: string; sku: string }[] } }>(
    `query($skus:[String!]) { productVariants(options:{ filter:{ sku:{ in:$skus } }, take: 100 }) { items { id sku } } }`, { skus });
  const idBySku = new Map(productVariants.items.map((v) => [v.sku, v.id]));
  const shop = shopGql(vendureUrl);
  if (input.password) await shopLogin(shop, input.email, input.password);
  for (const line of input.lines) {
    const id = idBySku.get(line.sku);
    if (!id) throw new Error(`shopCheckout: no variant with SKU ${line.sku}`);
    orderOf(`addItemToOrder(${line.sku})`, (await shop<{ addItemToOrder: OrderResult }>(
      `mutation($v:ID!, $q:Int!) { addItemToOrder(productVariantId:$v, quantity:$q) { ${ORDER} } }`, { v: id, q: line.quantity })).addItemToOrder);
  }
  if (input.couponCode) {
    orderOf('applyCouponCode', (await shop<{ applyCouponCode: OrderResult }>(
      `mutation($c:String!) { applyCouponCode(couponCode:$c) { ${ORDER} } }`, { c: input.couponCode })).applyCouponCode);
  }
  if (!input.password) {
    orderOf('setCustomerForOrder', (await shop<{ setCustomerForOrder: OrderResult }>(
      `mutation($i:CreateCustomerInput!) { setCustomerForOrder(input:$i) { ${ORDER} } }`,
      { i: { emailAddress: input.email, firstName: input.firstName, lastName: input.lastName } })).setCustomerForOrder);
  }
  const address = { fullName: `${input.firstName} ${input.lastName}`, ...input.address };
  orderOf('setOrderShippingAddress', (await shop<{ setOrderShippingAddress: OrderResult }>(
    `mutation($i:CreateAddressInput!) { setOrderShippingAddress(input:$i) { ${ORDER} } }`, { i: address })).setOrderShippingAddress);
  const { eligibleShippingMethods } = await shop<{ eligibleShippingMethods: { id: string; code: string }[] }>(`{ eligibleShippingMethods { id code } }`);
  const wanted = input.shippingMethod ?? 'standard';
  const method = eligibleShippingMethods.find((m) => m.code === wanted);
  if (!method) throw new Error(`shopCheckout: shipping method ${wanted} not eligible (have ${eligibleShippingMethods.map((m) => m.code).join(', ') || 'none'})`);
  orderOf('setOrderShippingMethod', (await shop<{ setOrderShippingMethod: OrderResult }>(
    `mutation($id:[ID!]!) { setOrderShippingMethod(shippingMethodId:$id) { ${ORDER} } }`, { id: [method.id] })).setOrderShippingMethod);
  orderOf('transitionOrderToState(ArrangingPayment)', (await shop<{ transitionOrderToState: OrderResult }>(
    `mutation { transitionOrderToState(state:"ArrangingPayment") { __typename ... on Order { id code state totalWithTax } ... on OrderStateTransitionError { errorCode message } } }`)).transitionOrderToState);
  const placed = orderOf('addPaymentToOrder', (await shop<{ addPaymentToOrder: OrderResult }>(
    `mutation($i:PaymentInput!) { addPaymentToOrder(input:$i) { ${ORDER} } }`,
    { i: { method: input.paymentMethod ?? 'dummy-authorize', metadata: {} } })).addPaymentToOrder);
  return { id: String(placed.id), code: String(placed.code), state: String(placed.state), totalWithTax: Number(placed.totalWithTax) };
}
