// The shape of dovetail.yaml: every checklist answer is one key here, with its default inline.
// Objects are strict so a misspelt key is refused at start instead of being silently ignored.
import { z } from 'zod';
import { INVENTORY_SYSTEMS, STORE_SYSTEMS } from '../connectors/registry.js';
import { decimalToMinor, minorToDecimal } from '../model/money.js';

/** Which system is the master of a kind of data. */
const side = z.enum(['store', 'inventory']);
const nonEmpty = z.string().min(1);

// `.prefault({})` (zod 4) parses a missing section as `{}`, so the defaults of its keys apply;
// `.default({})` would hand back the bare `{}` without them.

const sqliteDatabase = z.object({
  driver: z.literal('sqlite').default('sqlite'),
  /** relative paths are taken from the config file's folder (loadConfig resolves them); ":memory:" is kept */
  path: nonEmpty.default('dovetail.sqlite'),
}).strict();

const postgresDatabase = z.object({
  driver: z.literal('postgres'),
  url: nonEmpty.refine((u) => /^postgres(ql)?:\/\//.test(u), { message: 'must start with postgres:// or postgresql://' }),
}).strict();

export const DatabaseSettings = z.discriminatedUnion('driver', [sqliteDatabase, postgresDatabase]).prefault({});

/**
 * One side's connection block: a discriminated union of the registry's connection schemas, by
 * `type`. The registry's first system of the side is the default, so `type` may be left out for it.
 */
function connectionOf<const D extends readonly { system: string; connection: z.ZodObject }[]>(systems: D) {
  const [first, ...rest] = systems;
  const withDefault = first.connection.extend({ type: z.literal(first.system).default(first.system) });
  return z.discriminatedUnion('type', [withDefault, ...rest.map((d) => d.connection)] as unknown as [D[number]['connection'], ...D[number]['connection'][]]);
}

export const InventorySystemSettings = connectionOf(INVENTORY_SYSTEMS);
export const StoreSystemSettings = connectionOf(STORE_SYSTEMS);

export const SystemsSettings = z.object({
  inventory: InventorySystemSettings,
  store: StoreSystemSettings,
}).strict();

/** Master system of each kind of data (SPEC §1 "Master system"). */
export const MasterSettings = z.object({
  productNames: side.default('inventory'),
  productAttributes: side.default('inventory'),
  productDescriptions: side.default('store'),
  productImages: side.default('store'),
  productCategories: side.default('store'),
  productDimensions: side.default('inventory'),
  prices: side.default('inventory'),
  priceLevels: side.default('inventory'),
  availability: side.default('inventory'),
  vendorsAndCosts: side.default('inventory'),
  customers: side.default('store'),
  salesTaxes: side.default('store'),
  shippingMethods: side.default('store'),
  purchaseOrders: z.literal('inventory', {
    error: 'purchase orders always stay in the inventory system: no store keeps them; what they will bring in is shown on the store through inventory.incoming',
  }).default('inventory'),
  paymentMethods: z.literal('store', {
    error: 'payment methods always stay with the store: card data stays with the store\'s payment gateway, Dovetail keeps references only',
  }).default('store'),
}).strict().prefault({});
export type MasterKey = keyof z.output<typeof MasterSettings>;

export const OwnershipSettings = z.object({
  /** revert: write the master's value back and log it; flag: leave it and show a conflict */
  onConflict: z.enum(['revert', 'flag']).default('revert'),
}).strict().prefault({});

/** A money threshold in major units ("120.50" or 120.5), kept as a normalised 2-decimal string. */
const AMOUNT = /^\d+(\.\d{1,2})?$/;
const isAmount = (v: unknown): v is string => typeof v === 'string' && AMOUNT.test(v);
const majorAmount = z.union([z.string(), z.number()])
  .refine((v) => AMOUNT.test(String(v).trim()), { message: 'must be an amount like 100 or 99.95 (at most 2 decimals, not negative)' })
  .transform((v) => minorToDecimal(decimalToMinor(String(v).trim())));

export const SalespersonRule = z.object({
  when: z.object({
    channel: nonEmpty.optional(),
    /** ISO 3166-1 alpha-2, e.g. DE */
    country: z.string().regex(/^[A-Za-z]{2}$/, { message: 'must be a 2-letter ISO country code, e.g. DE' }).transform((c) => c.toUpperCase()).optional(),
    region: nonEmpty.optional(),
    customerGroup: nonEmpty.optional(),
    /** inclusive, major units */
    minTotal: majorAmount.optional(),
    /** inclusive, major units */
    maxTotal: majorAmount.optional(),
    sku: nonEmpty.optional(),
  }).strict().prefault({}).refine(
    // zod runs this even when an amount above was refused (and so not normalised): compare only clean ones
    (w) => !isAmount(w.minTotal) || !isAmount(w.maxTotal) || decimalToMinor(w.minTotal) <= decimalToMinor(w.maxTotal),
    { message: 'minTotal is larger than maxTotal, so this rule can never match', path: ['minTotal'] },
  ),
  assign: nonEmpty,
}).strict();

export const SalespeopleSettings = z.object({
  /** tried in order; the first whose every condition holds assigns */
  rules: z.array(SalespersonRule).default([]),
  /** salesperson when no rule matches; null = none */
  default: nonEmpty.nullable().default(null),
}).strict().prefault({});

/** Transfer rules (SPEC §1 "Transfer rules"). */
export const RulesSettings = z.object({
  offlineOrdersToStore: z.enum(['none', 'all', 'customersWithAccount']).default('none'),
  orderEditsIn: side.default('store'),
  offlineCustomerAccounts: z.enum(['none', 'create', 'invite']).default('none'),
  copyAddresses: z.boolean().default(true),
  partialShipmentsToStore: z.boolean().default(true),
  shipmentEmailsFrom: z.enum(['store', 'inventory', 'dovetail', 'none']).default('store'),
  quotesFrom: side.default('inventory'),
  liveInventory: z.boolean().default(true),
  deductAllocated: z.boolean().default(true),
  cancellationsIn: side.default('inventory'),
  returnsIn: side.default('inventory'),
  returnsToStore: z.boolean().default(true),
  creditMemosIn: side.default('inventory'),
  capture: z.enum(['atOrder', 'atShipment']).default('atOrder'),
  settleFrom: side.default('store'),
  refundsIn: side.default('store'),
  salespeople: SalespeopleSettings,
}).strict().prefault({});

export const InventorySettings = z.object({
  /**
   * wait this long after a stock change of a SKU before pushing it, to group bursts. 0 (the
   * default): at once, since every poll already reads the changes since the last one as one batch
   */
  debounceMs: z.number().int().min(0).default(0),
  /** units held back from the store per SKU */
  safetyStock: z.number().int().min(0).default(0),
  /** warehouse codes or names whose stock is published; empty = the default warehouse */
  locations: z.array(nonEmpty).default([]),
  /** stock open purchases will bring in: none = not shown; show = quantity and expected date; backorder = also sold ahead, up to that quantity */
  incoming: z.enum(['none', 'show', 'backorder']).default('none'),
}).strict().prefault({});

export const SyncSettings = z.object({
  pollIntervalMs: z.number().int().min(200).default(5000),
  /**
   * how often (ms) the reference sets (tax rates, shipping methods) are read whole from both
   * systems and made equal; neither system announces their changes, and they are small and rare
   */
  referenceSetsEveryMs: z.number().int().min(1000).default(60_000),
  batchSize: z.number().int().min(1).max(250).default(100),
  /** tries of a job whose failure nobody explained (a bug, an answer of an unexpected shape) */
  maxAttempts: z.number().int().min(1).max(50).default(8),
  /** how long a record keeps being retried while a system is unreachable, slow or busy (down, 5xx, 429, timeouts) */
  keepRetryingHours: z.number().min(0).max(720).default(24),
  /**
   * how long (ms) a job stays with the worker that claimed it without a renewal; a worker renews
   * its jobs every quarter of it (at most every 5 s), so only a dead worker's jobs outlive it and
   * go to another worker — the way a worker on another machine is found dead
   */
  jobLeaseMs: z.number().int().min(1000).max(3_600_000).default(60_000),
  /**
   * jobs of different orders a worker works at once (shipments, order changes, payments and
   * refunds): each mostly waits on a system's answer. Lower it for a small server or a tight API
   * rate limit; 1 works one at a time
   */
  jobsAtOnce: z.number().int().min(1).max(32).default(4),
}).strict().prefault({});

/** `dovetail reconcile` on a schedule, and how far back it looks at orders. */
export const ReconcileSettings = z.object({
  /** hours between scheduled reconcile runs of `dovetail run`; 0: never on a schedule (the command still works) */
  everyHours: z.number().min(0).max(24 * 30).default(24),
  /** whether a scheduled run also queues the repairs (the command asks with --repair) */
  repair: z.boolean().default(false),
  /** orders placed in the last this many days are compared (older ones are settled history) */
  orderDays: z.number().int().min(1).max(365).default(30),
}).strict().prefault({});

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];
export const isLoopbackHost = (host: string) => LOOPBACK_HOSTS.includes(host.trim().toLowerCase());

export const ServerSettings = z.object({
  host: nonEmpty.default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(8790),
  /** required once the server listens on anything but loopback */
  token: z.string().min(16, { message: 'must be at least 16 characters, so it cannot be guessed' }).nullable().default(null),
}).strict().prefault({}).refine((s) => isLoopbackHost(s.host) || s.token !== null, {
  message: 'a token is required when server.host is not 127.0.0.1, localhost or ::1: the dashboard and admin API would otherwise be open to the network',
  path: ['token'],
});

/** Dovetail's own emails (rules.shipmentEmailsFrom: dovetail), sent over SMTP. */
export const EmailSettings = z.object({
  host: nonEmpty.default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(25),
  /** true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when the server offers it */
  secure: z.boolean().default(false),
  username: nonEmpty.nullable().default(null),
  password: nonEmpty.nullable().default(null),
  /** the sender customers see */
  from: nonEmpty.default('Dovetail <no-reply@localhost>'),
}).strict().prefault({});

/**
 * How long Dovetail keeps what it no longer needs: received changes, finished jobs and the audit
 * trail are pruned by `dovetail run` every `everyMinutes`, and by `dovetail prune`. null keeps all.
 */
export const HousekeepingSettings = z.object({
  keepChangesDays: z.number().min(1).nullable().default(14),
  keepDoneJobsDays: z.number().min(1).nullable().default(7),
  keepAuditDays: z.number().min(1).nullable().default(90),
  everyMinutes: z.number().int().min(1).max(1440).default(60),
}).strict().prefault({});

export const ConfigSchema = z.object({
  database: DatabaseSettings,
  systems: SystemsSettings,
  master: MasterSettings,
  ownership: OwnershipSettings,
  rules: RulesSettings,
  inventory: InventorySettings,
  sync: SyncSettings,
  reconcile: ReconcileSettings,
  server: ServerSettings,
  email: EmailSettings,
  housekeeping: HousekeepingSettings,
}).strict();

/** The settings after defaults are applied: what the rest of Dovetail reads. */
export type Config = z.output<typeof ConfigSchema>;
/** What may be written in dovetail.yaml (after ${ENV} substitution). */
export type ConfigInput = z.input<typeof ConfigSchema>;
export type SalespeopleConfig = Config['rules']['salespeople'];
