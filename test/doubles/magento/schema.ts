// Adobe's published Admin REST schema of Magento 2.4.9 as a check on every request the connector
// sends and every answer the double gives, so the double cannot accept what a real Magento would refuse.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import requestValidatorModule from 'openapi-request-validator';
import responseValidatorModule from 'openapi-response-validator';

// both packages are CommonJS with `exports.default`: Node's ESM import hands over the exports object
const OpenAPIRequestValidator = requestValidatorModule.default;
const OpenAPIResponseValidator = responseValidatorModule.default;
type OpenAPIRequestValidator = InstanceType<typeof OpenAPIRequestValidator>;
type OpenAPIResponseValidator = InstanceType<typeof OpenAPIResponseValidator>;

const SCHEMA_FILE = fileURLToPath(new URL('./admin-schema-2.4.9.yaml', import.meta.url));

/** Everything below these prefixes is the Admin REST API; the store code (`default`, `all`, …) is the first segment. */
export const REST_PREFIX = /^\/rest\/([^/]+)(\/async\/bulk)?(\/V1\/.*)$/;

const Parameter = z.object({
  name: z.string(),
  in: z.enum(['path', 'query', 'body', 'header', 'formData']),
  type: z.string().optional(),
  required: z.boolean().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
}).passthrough();
type Parameter = z.infer<typeof Parameter>;

const Operation = z.object({
  operationId: z.string(),
  parameters: z.array(Parameter).default([]),
  responses: z.record(z.string(), z.object({ schema: z.record(z.string(), z.unknown()).optional() }).passthrough()),
}).passthrough();
type Operation = z.infer<typeof Operation>;

const METHODS = ['get', 'post', 'put', 'delete'] as const;
export type Method = Uppercase<(typeof METHODS)[number]>;

const Document = z.object({
  swagger: z.literal('2.0'),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  definitions: z.record(z.string(), z.record(z.string(), z.unknown())),
});

interface Route { method: Method; template: string; pattern: RegExp; names: string[]; literalSegments: number; operation: Operation }

interface Compiled { params: OpenAPIRequestValidator; eachQueryValue: OpenAPIRequestValidator; body: OpenAPIRequestValidator | null; responses: Map<string, OpenAPIResponseValidator> }

/** The published schema, read and indexed once per process; an operation's validators are compiled the first time it is called. */
class AdminSchema {
  private readonly routes: Route[] = [];
  private readonly definitions: Record<string, Record<string, unknown>>;
  private readonly compiled = new Map<string, Compiled>();

  constructor(text: string) {
    const doc = Document.parse(parseYaml(text, { maxAliasCount: -1 }));
    this.definitions = doc.definitions;
    for (const definition of Object.values(this.definitions)) closeObjects(definition);
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        if (!(method in item)) continue;
        const operation = Operation.parse(item[method]);
        for (const p of operation.parameters) if (p.schema) closeObjects(p.schema);
        const segments = template.split('/');
        const names = segments.filter((s) => /^\{.+\}$/.test(s)).map((s) => s.slice(1, -1));
        const pattern = new RegExp(`^${segments.map((s) => (/^\{.+\}$/.test(s) ? '([^/]+)' : escapeRegExp(s))).join('/')}$`);
        this.routes.push({ method: method.toUpperCase() as Method, template, pattern, names, literalSegments: segments.length - names.length, operation });
      }
    }
    // `/V1/orders/items` must win over `/V1/orders/{id}`: the template with more fixed segments is tried first
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** The operation this method and path (from `/V1/`) call, with its path parameters; null when the schema declares none. */
  route(method: Method, path: string): { route: Route; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1]!); });
      return { route, params };
    }
    return null;
  }

  compiledFor(route: Route): Compiled {
    const known = this.compiled.get(route.operation.operationId);
    if (known) return known;
    const nonBody = route.operation.parameters.filter((p) => p.in === 'path' || p.in === 'query');
    const bodyParams = route.operation.parameters.filter((p) => p.in === 'body');
    const withBodies = bodyParams.length > 0 ? { schemas: asDefinitions(this.reachable(bodyParams)) } : {};
    const compiled: Compiled = {
      // path and query values arrive as text: the declared integer / boolean types are read from it
      params: new OpenAPIRequestValidator({ parameters: asParameters(nonBody), additionalQueryProperties: false, ajvOptions: { coerceTypes: true }, errorTransformer: describe }),
      eachQueryValue: new OpenAPIRequestValidator({ parameters: asParameters(nonBody.filter((p) => p.in === 'query').map((p) => ({ ...p, required: false }))), additionalQueryProperties: false, ajvOptions: { coerceTypes: true }, errorTransformer: describe }),
      // a JSON body is checked as sent: no coercion, no key the schema does not declare
      body: bodyParams.length > 0 ? new OpenAPIRequestValidator({ parameters: asParameters(bodyParams), ...withBodies, errorTransformer: describe }) : null,
      responses: new Map(),
    };
    this.compiled.set(route.operation.operationId, compiled);
    return compiled;
  }

  responseValidator(route: Route, status: number): OpenAPIResponseValidator | null {
    const compiled = this.compiledFor(route);
    const key = String(status);
    const known = compiled.responses.get(key);
    if (known) return known;
    // `default` describes errors: a success the schema declares no body for (a void method) is not checked
    const declared = route.operation.responses[key] ?? (status >= 300 ? route.operation.responses.default : undefined);
    if (!declared?.schema) return null;
    const validator = new OpenAPIResponseValidator({
      responses: { [key]: { schema: declared.schema } },
      definitions: asDefinitions(this.reachable([{ schema: declared.schema }])),
      errorTransformer: describe,
    });
    compiled.responses.set(key, validator);
    return validator;
  }

  /** Only the definitions these schemas reach: compiling all 2,000 of them for each operation would take seconds. */
  private reachable(roots: { schema?: Record<string, unknown> }[]): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) { node.forEach(visit); return; }
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          const name = value.replace('#/definitions/', '');
          if (!(name in out) && this.definitions[name]) { out[name] = this.definitions[name]; visit(this.definitions[name]); }
        } else visit(value);
      }
    };
    roots.forEach((r) => visit(r.schema));
    return out;
  }
}

/**
 * A real Magento refuses a body key it has no setter for ("Property "X" does not have accessor
 * method …"); the published schema leaves objects open, so each declared object is closed here.
 */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) { node.forEach(closeObjects); return; }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record.properties && typeof record.properties === 'object' && !('additionalProperties' in record)) record.additionalProperties = false;
  for (const value of Object.values(record)) closeObjects(value);
}

/** One line per problem, naming where it is and, for an undeclared key, which key. */
function describe(error: { location?: string; message: string }, ajv: AjvError): { message: string } {
  const where = ajv.instancePath.replace(/^\//, '').replace(/\//g, '.').replace(/^body\.?/, '') || '(root)';
  const extra = typeof ajv.params.additionalProperty === 'string' ? ` ('${ajv.params.additionalProperty}')` : '';
  return { message: `${error.location ? `${error.location} ` : ''}${where} ${ajv.message ?? ajv.keyword}${extra}` };
}

interface AjvError { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }

/**
 * The validators' typings lag their code: Swagger 2.0 parameters and an object of definitions
 * (rather than an array of schemas) are what the code reads for a 2.0 document.
 */
function asParameters(params: Parameter[]): never {
  return params as never;
}
function asDefinitions(definitions: Record<string, Record<string, unknown>>): never {
  return definitions as never;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let loaded: AdminSchema | null = null;
function schema(): AdminSchema {
  loaded ??= new AdminSchema(readFileSync(SCHEMA_FILE, 'utf8'));
  return loaded;
}

export interface ApiRequest { method: Method; /** from `/V1/` */ path: string; query: URLSearchParams; body: unknown; /** `/async/bulk/V1/…`: the body is an array of the sync operation's bodies */ bulk?: boolean }

export interface RequestCheck { operationId: string | null; template: string | null; params: Record<string, string>; problems: string[] }

/**
 * Checks a request against the published schema: the method and path name a declared operation,
 * its path and query parameters have the declared names and types, and its JSON body has only
 * declared keys of the declared types with the required ones present.
 *
 * searchCriteria: the schema declares its keys with index 0 only
 * (`searchCriteria[filterGroups][0][filters][0][field]`); every index of a request is checked
 * against those keys and types. What the schema cannot say, and is not checked here: which
 * `field` names an entity can be filtered by, the `conditionType` words, the sort `direction`.
 */
export function checkRequest(req: ApiRequest): RequestCheck {
  const found = schema().route(req.method, req.path);
  if (!found) return { operationId: null, template: null, params: {}, problems: [`${req.method} ${req.path}: the schema declares no such operation`] };
  const { route, params } = found;
  const compiled = schema().compiledFor(route);
  // a bulk path names a path parameter by<Name> and each operation's body carries its value
  // (bulkParamValue): only that the body has it is checked, by the server, per operation
  const checkedParams = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, req.bulk && value === bulkPlaceholder(name) ? '1' : value]));
  const problems: string[] = [];
  const firstOfEach: Record<string, string> = {};
  const repeats: [string, string][] = [];
  for (const [key, value] of req.query) {
    const declaredAs = key.replace(/\[\d+\]/g, '[0]');
    if (declaredAs in firstOfEach) repeats.push([declaredAs, value]);
    else firstOfEach[declaredAs] = value;
  }
  const pathAndQuery = compiled.params.validateRequest({ params: checkedParams, query: firstOfEach, headers: {} }) as ValidatorAnswer;
  problems.push(...messages(pathAndQuery, (m) => m));
  for (const [key, value] of repeats) {
    const one = compiled.eachQueryValue.validateRequest({ query: { [key]: value }, headers: {} }) as ValidatorAnswer;
    problems.push(...messages(one, (m) => m));
  }
  if (compiled.body) {
    const bodies = req.bulk ? (Array.isArray(req.body) ? req.body : null) : [req.body];
    if (bodies === null) problems.push('body: the bulk API takes an array of the operation\'s request bodies');
    else bodies.forEach((body, i) => {
      const answer = compiled.body!.validateRequest({ body: body ?? undefined, headers: { 'content-type': 'application/json' } }) as ValidatorAnswer;
      problems.push(...messages(answer, (m) => (req.bulk ? `[${i}] ${m}` : m)));
    });
  } else if (req.body !== undefined && req.body !== null && !(typeof req.body === 'object' && Object.keys(req.body).length === 0)) {
    problems.push('body: this operation takes no body');
  }
  return { operationId: route.operation.operationId, template: route.template, params, problems: problems.map((p) => `${req.method} ${route.template}: ${p}`) };
}

/** How Magento's async bulk API writes a path parameter in its path: `{sku}` is `bySku`. */
export function bulkPlaceholder(name: string): string {
  return `by${name[0]!.toUpperCase()}${name.slice(1)}`;
}

/** A bulk operation's value of a path parameter: the key of that name in its body, at the top or one level down (`product.sku`). */
export function bulkParamValue(body: unknown, name: string): string | null {
  if (!body || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  if (typeof record[name] === 'string' || typeof record[name] === 'number') return String(record[name]);
  for (const value of Object.values(record)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const inner = (value as Record<string, unknown>)[name];
      if (typeof inner === 'string' || typeof inner === 'number') return String(inner);
    }
  }
  return null;
}

/** Checks an answer of the operation at this method and path against the schema's response for the status. */
export function checkResponse(method: Method, path: string, status: number, body: unknown): string[] {
  const found = schema().route(method, path);
  if (!found) return [`${method} ${path}: the schema declares no such operation`];
  const validator = schema().responseValidator(found.route, status);
  if (!validator) return [];
  const answer = validator.validateResponse(String(status), body) as ValidatorAnswer;
  return messages(answer, (m) => `${method} ${found.route.template} answer ${status}: ${m}`);
}

type ValidatorAnswer = { errors?: { message?: string }[] } | undefined;

function messages(answer: ValidatorAnswer, frame: (m: string) => string): string[] {
  return (answer?.errors ?? []).map((e) => frame(e.message ?? 'invalid'));
}
