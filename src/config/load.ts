// Reads dovetail.yaml once, at start: YAML -> ${ENV} substitution -> schema with defaults.
// Every problem found is reported at once, each with its key path, what was given and what is allowed.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { DovetailError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';

export interface ConfigIssue {
  /** dotted key path, e.g. rules.salespeople.rules.0.when.country; '' for the file as a whole */
  path: string;
  /** the value found there (after ${ENV} substitution); "(hidden)" for secrets */
  given: unknown;
  /** what would be accepted, in words, when that can be said */
  allowed?: string;
  /** the problem in words, without the path: the error message prints `path: message` */
  message: string;
}

export class ConfigError extends DovetailError {
  readonly issues: ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.path || '(whole file)'}: ${i.message}`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('config', `${source}: ${count} in the settings\n${lines.join('\n')}`, { detail: { source, issues } });
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = source;
  }
}

export type Env = Record<string, string | undefined>;

export const HIDDEN = '(hidden)';

/** Reads, substitutes and validates a settings file. Relative `database.path` is taken from the file's folder. */
export function loadConfig(file: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'this is a folder, not a file' : `it cannot be read (${code ?? String(err)})`;
    throw new ConfigError(file, [{ path: '', given: resolve(file), message: `${why}: ${resolve(file)}` }]);
  }
  return parseConfig(text, env, file, { baseDir: dirname(resolve(file)) });
}

/**
 * Parses settings text. `sourceName` names it in errors. With `baseDir`, a relative sqlite
 * `database.path` is resolved against it; without, it is returned as written.
 */
export function parseConfig(text: string, env: Env = process.env, sourceName = 'dovetail.yaml', opts: { baseDir?: string } = {}): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One YAML mistake often cascades into many; the first few point at it.
    throw new ConfigError(sourceName, doc.errors.slice(0, 3).map((e) => {
      const at = e.linePos?.[0];
      const where = at ? `line ${at.line}, column ${at.col}` : `offset ${e.pos[0]}`;
      const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { path: '', given: undefined, message: `not valid YAML at ${where}: ${what}` };
    }));
  }
  let raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(sourceName, [{ path: '', given: raw, allowed: 'a mapping of settings (database:, systems:, master:, rules: …)', message: `got ${show(raw)}; the file must be a mapping of settings (database:, systems:, master:, rules: …)` }]);
  }

  const { value, issues: envIssues, wholeReferences } = substituteEnv(raw, env);
  if (envIssues.length > 0) throw new ConfigError(sourceName, envIssues);
  coerceWholeReferences(value, wholeReferences);

  const result = ConfigSchema.safeParse(value, { error: () => DEFAULT_MESSAGE });
  if (!result.success) throw new ConfigError(sourceName, result.error.issues.flatMap((i) => describeIssue(i, value)));
  const config = result.data;
  if (opts.baseDir && config.database.driver === 'sqlite' && config.database.path !== ':memory:' && !isAbsolute(config.database.path)) {
    config.database.path = resolve(opts.baseDir, config.database.path);
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// ${ENV} substitution

type Path = (string | number)[];
const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.');
/** ${NAME} or ${NAME:-default}; $${ is a literal ${ */
const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces ${NAME} in string values (never in keys), shell-style: `${NAME:-x}` uses x when NAME
 * is unset or empty. Paths whose whole value was one reference are returned so numbers and
 * booleans can come from the environment (`port: ${PORT}`).
 */
export function substituteEnv(input: unknown, env: Env): { value: unknown; issues: ConfigIssue[]; wholeReferences: Path[] } {
  const issues: ConfigIssue[] = [];
  const wholeReferences: Path[] = [];
  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      if (/^\$\{[^}]*\}$/.test(v)) wholeReferences.push(path);
      return v.replace(REFERENCE, (whole, inner: string | undefined) => {
        if (whole === '$${') return '${';
        const given = hideIfSecret(path, v);
        if (inner === undefined) {
          issues.push({ path: dotted(path), given, message: 'has a "${" that is never closed by "}" (write "$${" for a literal "${")' });
          return whole;
        }
        const m = NAME_AND_DEFAULT.exec(inner);
        if (!m) {
          issues.push({ path: dotted(path), given, allowed: '${NAME} or ${NAME:-default}', message: `"\${${inner}}" is not a valid reference; allowed: \${NAME} or \${NAME:-default}` });
          return whole;
        }
        const [, name, fallback] = m;
        const found = env[name];
        if (fallback !== undefined) return found === undefined || found === '' ? fallback : found;
        if (found === undefined) {
          issues.push({ path: dotted(path), given, message: `environment variable ${name} is not set (write \${${name}:-value} to give a default)` });
          return whole;
        }
        return found;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    }
    return v;
  };
  return { value: walk(input, []), issues, wholeReferences };
}

/** Environment variables are text; where the schema wants a number or true/false, read it as one. */
function coerceWholeReferences(root: unknown, paths: Path[]): void {
  for (const path of paths) {
    const leaf = unwrap(schemaAt(ConfigSchema, path, root));
    const parent = valueAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
    const key = path[path.length - 1];
    const v = parent[key];
    if (typeof v !== 'string' || !leaf) continue;
    const type = defOf(leaf).type;
    if (type === 'number' && /^-?\d+(\.\d+)?$/.test(v.trim())) parent[key] = Number(v.trim());
    else if (type === 'boolean' && /^(true|false)$/.test(v.trim())) parent[key] = v.trim() === 'true';
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets

const SECRET_KEY = /(password|token|secret)$/i;
/** unknown keys are not known to be secret; a misspelt "pasword" must not be echoed either */
const SECRET_LOOKING_KEY = /pas|pw|secret|token|key|cred|auth/i;
const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i;

function isSecretKey(path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && SECRET_KEY.test(last);
}

function hideIfSecret(path: readonly PropertyKey[], value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (isSecretKey(path)) return HIDDEN;
  if (typeof value === 'string' && URL_WITH_CREDENTIALS.test(value)) return HIDDEN;
  return value;
}

/** A copy of the settings fit to print or show on the dashboard: passwords, tokens, secrets and URL credentials hidden. */
export function redactConfig(config: Config): Config {
  const walk = (v: unknown, key: string | null): unknown => {
    if (v === null || v === undefined) return v;
    if (key !== null && SECRET_KEY.test(key)) return HIDDEN;
    if (typeof v === 'string') return v.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, `$1${HIDDEN}@`);
    if (Array.isArray(v)) return v.map((item) => walk(item, null));
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
    return v;
  };
  return walk(config, null) as Config;
}

// ---------------------------------------------------------------------------------------------
// Readable issues

/** Marks zod's own messages so the ones written in schema.ts (explanations) can be told apart. */
const DEFAULT_MESSAGE = '\u0000zod-default';

function describeIssue(issue: z.core.$ZodIssue, data: unknown): ConfigIssue[] {
  const explanation = issue.message !== DEFAULT_MESSAGE ? issue.message : undefined;
  const given = hideIfSecret(issue.path, valueAt(data, issue.path));
  const path = dotted(issue.path);

  if (issue.code === 'unrecognized_keys') {
    const allowedKeys = keysOf(schemaAt(ConfigSchema, issue.path, data));
    const allowed = allowedKeys.join(', ');
    return issue.keys.map((key) => {
      const value = valueAt(data, [...issue.path, key]);
      return {
        path: dotted([...issue.path, key]),
        given: SECRET_LOOKING_KEY.test(key) || (typeof value === 'string' && URL_WITH_CREDENTIALS.test(value)) ? HIDDEN : value,
        allowed,
        message: `unknown key; allowed keys: ${allowed}${suggest(key, allowedKeys)}`,
      };
    });
  }

  let allowed: string | undefined;
  const unionOptions = issue.code === 'invalid_union' ? (issue as { options?: unknown }).options : undefined;
  if (Array.isArray(unionOptions)) {
    // a discriminated union (database.driver) names the values it knows
    allowed = unionOptions.filter((o) => o !== undefined && o !== null).map(String).join(', ');
  } else if (issue.code === 'invalid_value') {
    allowed = issue.values.map(String).join(', ');
  } else if (issue.code !== 'custom' && !(issue.code === 'invalid_format' && issue.format !== 'url')) {
    allowed = describeSchema(schemaAt(ConfigSchema, issue.path, data));
  }
  // Our own explanation says it better than a generic "allowed" for checks beyond type and value.
  const explains = explanation !== undefined && issue.code !== 'invalid_value' && issue.code !== 'invalid_type';

  let message: string;
  if (given === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
    message = `missing, and it has no default${allowed ? `; allowed: ${allowed}` : ''}`;
  } else if (issue.code === 'custom' || explains || !allowed) {
    const why = explanation ?? 'not allowed';
    message = given === undefined ? why : `got ${show(given)}; ${why}`;
  } else {
    message = `got ${show(given)}; allowed: ${allowed}${explanation ? ` (${explanation})` : ''}`;
  }
  return [{ path, given, ...(allowed ? { allowed } : {}), message }];
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  const text = v === HIDDEN ? HIDDEN : s;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function suggest(key: string, allowed: string[]): string {
  const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase() || editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
  return near ? ` (did you mean ${near}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

// --- walking the schema beside the data, to say what a key allows -----------------------------

type AnySchema = z.core.$ZodType;
type Def = { type: string; [k: string]: unknown };
const defOf = (s: AnySchema) => s._zod.def as unknown as Def;

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** Strips default / optional / pipe wrappers; nullable is kept so it can be described. */
function unwrap(s: AnySchema | undefined): AnySchema | undefined {
  while (s) {
    const def = defOf(s);
    if (def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'readonly' || def.type === 'catch') s = def.innerType as AnySchema;
    else if (def.type === 'pipe') s = def.in as AnySchema;
    else return s;
  }
  return s;
}

/** The schema that validates the value at `path`, choosing a discriminated union's option by the data. */
function schemaAt(root: AnySchema, path: readonly PropertyKey[], data: unknown): AnySchema | undefined {
  let s: AnySchema | undefined = root;
  let v = data;
  for (const seg of [...path, null]) {
    s = unwrap(s);
    if (s && defOf(s).type === 'nullable') s = unwrap(defOf(s).innerType as AnySchema);
    if (s && defOf(s).type === 'union' && typeof defOf(s).discriminator === 'string') {
      const key = defOf(s).discriminator as string;
      const options = defOf(s).options as AnySchema[];
      const given = valueAt(v, [key]);
      s = options.find((o) => {
        const field = (defOf(unwrap(o)!).shape as Record<string, z.ZodType>)[key];
        return field.safeParse(given).success;
      }) ?? options[0];
      s = unwrap(s);
    }
    if (seg === null || !s) break;
    const def = defOf(s);
    if (def.type === 'object') s = (def.shape as Record<string, AnySchema>)[String(seg)];
    else if (def.type === 'array') s = def.element as AnySchema;
    else return undefined;
    v = valueAt(v, [seg]);
  }
  return s;
}

function keysOf(s: AnySchema | undefined): string[] {
  const u = unwrap(s);
  return u && defOf(u).type === 'object' ? Object.keys(defOf(u).shape as object) : [];
}

/** What a schema accepts, in words an operations manager can read. */
function describeSchema(s: AnySchema | undefined): string | undefined {
  const u = unwrap(s);
  if (!u) return undefined;
  const def = defOf(u);
  switch (def.type) {
    case 'nullable': {
      const inner = describeSchema(def.innerType as AnySchema);
      return inner ? `${inner}, or null` : undefined;
    }
    case 'enum': return Object.values(def.entries as Record<string, string>).join(', ');
    case 'literal': return (def.values as unknown[]).map(String).join(', ');
    case 'boolean': return 'true, false';
    case 'number': {
      const n = u as unknown as z.ZodNumber;
      const what = n.isInt ? 'a whole number' : 'a number';
      const min = n.minValue !== null && Number.isFinite(n.minValue) && Math.abs(n.minValue) < Number.MAX_SAFE_INTEGER ? n.minValue : null;
      const max = n.maxValue !== null && Number.isFinite(n.maxValue) && Math.abs(n.maxValue) < Number.MAX_SAFE_INTEGER ? n.maxValue : null;
      if (min !== null && max !== null) return `${what} from ${min} to ${max}`;
      if (min !== null) return `${what} of at least ${min}`;
      if (max !== null) return `${what} of at most ${max}`;
      return what;
    }
    case 'string': {
      const str = u as unknown as z.ZodString;
      if (str.format === 'url') return 'an http:// or https:// address';
      if (str.minLength && str.minLength > 1) return `text of at least ${str.minLength} characters`;
      return str.minLength === 1 ? 'non-empty text' : 'text';
    }
    case 'array': {
      const item = describeSchema(def.element as AnySchema);
      return item ? `a list of ${item.replace(/^(a|an) /, '')}` : 'a list';
    }
    case 'object': return `a mapping with keys ${Object.keys(def.shape as object).join(', ')}`;
    case 'union': {
      const parts = (def.options as AnySchema[]).map(describeSchema).filter((p): p is string => !!p);
      return parts.length ? parts.join(' or ') : undefined;
    }
    default: return undefined;
  }
}
