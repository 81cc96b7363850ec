// The generic ORM of the double: records of any model the version's manifest has, read, searched and
// written the way odoo/models.py does it, and every name checked against that manifest first.
import { delegateOf, fieldOf, manifestFor, type ManifestField, type OdooVersion } from './manifest.js';
import { missingError, validationError, valueError } from './errors.js';

export type Row = Record<string, unknown> & { id: number };
export type Vals = Record<string, unknown>;
export type Context = Record<string, unknown>;
export type Domain = unknown[];

/** Stamps come from here: the test moves time, so many writes can share one second as they do in a bulk import. */
export class OdooClock {
  constructor(public seconds = Date.UTC(2026, 0, 5, 9, 0, 0) / 1000) {}
  advance(seconds = 1): void { this.seconds += seconds; }
  /** Odoo's datetime text: UTC, to the second */
  stamp(): string { return new Date(this.seconds * 1000).toISOString().slice(0, 19).replace('T', ' '); }
}

/** A field the double computes on read (quantities, totals, display names) instead of storing it. */
export type Compute = (row: Row, context: Context) => unknown;

const X2MANY = new Set(['one2many', 'many2many']);
const NUMERIC = new Set(['integer', 'float', 'monetary']);

export class OdooOrm {
  private readonly tables = new Map<string, Map<number, Row>>();
  private readonly nextIds = new Map<string, number>();
  /** model → field → how it is computed */
  readonly computes = new Map<string, Map<string, Compute>>();
  /** model → defaults applied on create for fields left out (a sequence name, a draft state) */
  readonly defaults = new Map<string, (vals: Vals, context: Context) => Vals>();
  /** model → what Odoo does once a record is made (a line added to a confirmed sale reaches its delivery) */
  readonly onCreate = new Map<string, (row: Row, context: Context) => void>();
  /** model → what Odoo does after a write, given the values before it */
  readonly onWrite = new Map<string, (row: Row, before: Row, context: Context) => void>();

  constructor(readonly version: OdooVersion, readonly clock: OdooClock) {}

  compute(model: string, field: string, how: Compute): void {
    let fields = this.computes.get(model);
    if (!fields) this.computes.set(model, (fields = new Map()));
    fields.set(field, how);
  }

  // ---- names -----------------------------------------------------------------------------------

  hasModel(model: string): boolean { return model in manifestFor(this.version).models; }

  field(model: string, name: string): ManifestField {
    const field = fieldOf(this.version, model, name);
    if (!field) throw valueError(`Invalid field '${name}' on model '${model}'`);
    return field;
  }

  /** Every field a read without `fields` answers: the model's own, its delegate parent's and the base's. */
  allFields(model: string): string[] {
    const manifest = manifestFor(this.version);
    const delegate = delegateOf(this.version, model);
    return [...new Set([
      ...Object.keys(manifest.base.fields),
      ...(delegate ? Object.keys(manifest.models[delegate.parent]?.fields ?? {}) : []),
      ...Object.keys(manifest.models[model]?.fields ?? {}),
    ])];
  }

  // ---- storage ---------------------------------------------------------------------------------

  private table(model: string): Map<number, Row> {
    let rows = this.tables.get(model);
    if (!rows) this.tables.set(model, (rows = new Map()));
    return rows;
  }

  /** The stored row (for the double's own business code), or a MissingError as Odoo raises it. */
  row(model: string, id: number): Row {
    const row = this.table(model).get(id);
    if (!row) throw missingError(model, [id]);
    return row;
  }

  rows(model: string): Row[] { return [...this.table(model).values()]; }

  exists(model: string, id: number): boolean { return this.table(model).has(id); }

  /** A field's value as a read or a domain sees it: computed, delegated, linked through an inverse, stored or empty. */
  value(model: string, row: Row, name: string, context: Context = {}): unknown {
    const compute = this.computes.get(model)?.get(name);
    if (compute) return compute(row, context);
    const delegate = delegateOf(this.version, model);
    const own = manifestFor(this.version).models[model]?.fields[name] ?? manifestFor(this.version).base.fields[name];
    if (!own && delegate && typeof row[delegate.link] === 'number') {
      return this.value(delegate.parent, this.row(delegate.parent, row[delegate.link] as number), name, context);
    }
    const field = own ?? fieldOf(this.version, model, name);
    if (field?.type === 'one2many' && field.relation && field.inverse) {
      return this.rows(field.relation).filter((child) => child[field.inverse!] === row.id).map((child) => child.id);
    }
    if (name in row) return row[name];
    return emptyValue(field?.type);
  }

  displayName(model: string, id: number): string {
    const row = this.row(model, id);
    const compute = this.computes.get(model)?.get('display_name');
    if (compute) return String(compute(row, {}));
    const name = this.value(model, row, 'name');
    return typeof name === 'string' ? name : `${model},${id}`;
  }

  // ---- the public methods ----------------------------------------------------------------------

  create(model: string, valsList: Vals[], context: Context = {}): number[] {
    return valsList.map((vals) => this.createOne(model, vals, context, false));
  }

  /** `forDelegate`: a parent made for the delegating child being created, which must not make a second child */
  private createOne(model: string, vals: Vals, context: Context, forDelegate: boolean): number {
    for (const name of Object.keys(vals)) this.field(model, name);
    const defaults = this.known(model, this.defaults.get(model)?.({ ...vals }, context) ?? {});
    const all: Vals = { ...defaults, ...vals };
    const delegate = delegateOf(this.version, model);
    const id = (this.nextIds.get(model) ?? 1);
    this.nextIds.set(model, id + 1);
    const now = this.clock.stamp();
    const row: Row = { id, create_date: now, write_date: now };
    if (fieldOf(this.version, model, 'active')) row.active = true;
    if (delegate && all[delegate.link] === undefined) {
      // _inherits: the parent is made from the fields that belong to it
      const parentVals: Vals = {};
      for (const [name, value] of Object.entries(all)) {
        if (!this.ownField(model, name) && this.ownField(delegate.parent, name)) { parentVals[name] = value; delete all[name]; }
      }
      row[delegate.link] = this.createOne(delegate.parent, parentVals, context, true);
    }
    this.table(model).set(id, row);
    this.assign(model, row, all, context);
    if (model === 'product.template' && !forDelegate && this.hasModel('product.product')) {
      // a template without attributes has exactly one variant, made with it; the template's SKU is the variant's
      this.createOne('product.product', { product_tmpl_id: id, ...(typeof all.default_code === 'string' ? { default_code: all.default_code } : {}) }, context, false);
    }
    this.onCreate.get(model)?.(row, context);
    return id;
  }

  private ownField(model: string, name: string): boolean {
    return name in (manifestFor(this.version).models[model]?.fields ?? {});
  }

  read(model: string, ids: number[], fields: string[] | undefined, context: Context = {}): Vals[] {
    const names = fields?.length ? fields : this.allFields(model);
    for (const name of names) this.field(model, name);
    // BaseModel._read_format skips records that do not exist: they are left out, not an error
    return ids.filter((id) => this.exists(model, id)).map((id) => {
      const row = this.row(model, id);
      const out: Vals = { id };
      for (const name of names) out[name] = this.readValue(model, row, name, context);
      return out;
    });
  }

  private readValue(model: string, row: Row, name: string, context: Context): unknown {
    const field = this.field(model, name);
    const value = this.value(model, row, name, context);
    if (field.type === 'many2one') {
      if (typeof value !== 'number' || !field.relation) return false;
      return [value, this.displayName(field.relation, value)];
    }
    return value;
  }

  write(model: string, ids: number[], vals: Vals, context: Context = {}): true {
    for (const name of Object.keys(vals)) this.field(model, name);
    const missing = ids.filter((id) => !this.exists(model, id));
    if (missing.length) throw missingError(model, missing);
    for (const id of ids) {
      const row = this.row(model, id);
      const before = { ...row };
      this.assign(model, row, { ...vals }, context);
      row.write_date = this.clock.stamp();
      this.onWrite.get(model)?.(row, before, context);
    }
    return true;
  }

  /** For the double's own business code: only the fields this version has are set (a field added in a later version is skipped). */
  known(model: string, vals: Vals): Vals {
    return Object.fromEntries(Object.entries(vals).filter(([name]) => fieldOf(this.version, model, name)));
  }
  createKnown(model: string, vals: Vals, context: Context = {}): number {
    return this.createOne(model, this.known(model, vals), context, false);
  }
  writeKnown(model: string, ids: number[], vals: Vals, context: Context = {}): void {
    this.write(model, ids, this.known(model, vals), context);
  }

  unlink(model: string, ids: number[]): true {
    const missing = ids.filter((id) => !this.exists(model, id));
    if (missing.length) throw missingError(model, missing);
    for (const id of ids) this.table(model).delete(id);
    return true;
  }

  search(model: string, domain: Domain, opts: { offset?: number; limit?: number | false | null; order?: string | null } = {}, context: Context = {}): number[] {
    const matches = this.compileDomain(model, domain, context);
    const order = this.compileOrder(model, opts.order ?? 'id', context);
    const found = this.rows(model).filter(matches).sort(order).map((row) => row.id);
    const offset = opts.offset ?? 0;
    return typeof opts.limit === 'number' ? found.slice(offset, offset + opts.limit) : found.slice(offset);
  }

  // ---- writes, field by field ------------------------------------------------------------------

  private assign(model: string, row: Row, vals: Vals, context: Context): void {
    const delegate = delegateOf(this.version, model);
    const parentVals: Vals = {};
    for (const [name, value] of Object.entries(vals)) {
      if (delegate && !this.ownField(model, name) && this.ownField(delegate.parent, name)) { parentVals[name] = value; continue; }
      const field = this.field(model, name);
      if (X2MANY.has(field.type)) this.applyCommands(model, row, name, field, value, context);
      else row[name] = this.checked(model, name, field, value);
      if (model === 'product.template' && name === 'default_code') {
        // product.template._set_default_code: written through to the single variant
        const variants = this.rows('product.product').filter((variant) => variant.product_tmpl_id === row.id);
        if (variants.length === 1) variants[0]!.default_code = row[name];
      }
    }
    if (delegate && Object.keys(parentVals).length) this.write(delegate.parent, [row[delegate.link] as number], parentVals, context);
  }

  private checked(model: string, name: string, field: ManifestField, value: unknown): unknown {
    if (value === false || value === null) return false;
    if (field.type === 'many2one') {
      if (typeof value !== 'number' || !field.relation || !this.exists(field.relation, value)) {
        throw validationError(`The operation cannot be completed: ${model}.${name} points at ${JSON.stringify(value)}, which ${field.relation} does not have.`);
      }
      return value;
    }
    if (field.type === 'selection' && field.selection) {
      const allowed = field.selection.map((option) => (Array.isArray(option) ? option[0] : option));
      if (!allowed.includes(String(value))) throw valueError(`Wrong value for ${model}.${name}: ${JSON.stringify(value)}`);
    }
    if (NUMERIC.has(field.type) && typeof value !== 'number') {
      const parsed = Number(value);
      if (typeof value !== 'string' || Number.isNaN(parsed)) throw valueError(`Invalid value for ${model}.${name}: ${JSON.stringify(value)}`);
      return parsed;
    }
    return value;
  }

  /** x2many commands: (0,0,vals) create, (1,id,vals) update, (2,id) delete, (3,id) unlink, (4,id) link, (5) clear, (6,0,ids) set */
  private applyCommands(model: string, row: Row, name: string, field: ManifestField, value: unknown, context: Context): void {
    const relation = field.relation;
    if (!relation) throw valueError(`${model}.${name} has no comodel`);
    if (!Array.isArray(value)) throw valueError(`Invalid value for ${model}.${name}: ${JSON.stringify(value)}`);
    const inverse = field.type === 'one2many' ? field.inverse : undefined;
    if (field.type === 'one2many' && !inverse) throw valueError(`${model}.${name} has no inverse in the manifest`);
    const linked = (): number[] => (inverse
      ? this.rows(relation).filter((child) => child[inverse] === row.id).map((child) => child.id)
      : [...((row[name] as number[] | undefined) ?? [])]);
    const link = (ids: number[]): void => {
      if (inverse) for (const id of ids) this.row(relation, id)[inverse] = row.id;
      else row[name] = [...new Set([...linked(), ...ids])];
    };
    const unlinkIds = (ids: number[]): void => {
      if (inverse) for (const id of ids) this.row(relation, id)[inverse] = false;
      else row[name] = linked().filter((id) => !ids.includes(id));
    };
    // a plain list of ids is a set, as (6, 0, ids)
    const commands = value.every((item) => typeof item === 'number') ? [[6, 0, value]] : value;
    for (const command of commands) {
      if (!Array.isArray(command) || typeof command[0] !== 'number') throw valueError(`Invalid command for ${model}.${name}: ${JSON.stringify(command)}`);
      const [code, id, arg] = command as [number, unknown, unknown];
      switch (code) {
        case 0: {
          const vals = { ...(arg as Vals) };
          if (inverse) vals[inverse] = row.id;
          const childId = this.createOne(relation, vals, context, false);
          if (!inverse) link([childId]);
          break;
        }
        case 1: this.write(relation, [Number(id)], arg as Vals, context); break;
        case 2: unlinkIds([Number(id)]); this.unlink(relation, [Number(id)]); break;
        case 3: unlinkIds([Number(id)]); break;
        case 4: this.row(relation, Number(id)); link([Number(id)]); break;
        case 5: unlinkIds(linked()); break;
        case 6: {
          const ids = (arg as number[]).map(Number);
          for (const target of ids) this.row(relation, target);
          unlinkIds(linked().filter((current) => !ids.includes(current)));
          link(ids);
          break;
        }
        default: throw valueError(`Invalid command for ${model}.${name}: ${JSON.stringify(command)}`);
      }
    }
  }

  // ---- domains and order -----------------------------------------------------------------------

  /** A domain in prefix notation ('&', '|', '!' before their operands; consecutive terms are and-ed). */
  compileDomain(model: string, domain: Domain, context: Context): (row: Row) => boolean {
    if (!Array.isArray(domain)) throw valueError(`Invalid domain: ${JSON.stringify(domain)}`);
    const stack: ((row: Row) => boolean)[] = [];
    for (const item of [...domain].reverse()) {
      if (item === '&' || item === '|') {
        const left = stack.pop(), right = stack.pop();
        if (!left || !right) throw valueError(`Invalid domain: ${JSON.stringify(domain)}`);
        stack.push(item === '&' ? (row) => left(row) && right(row) : (row) => left(row) || right(row));
      } else if (item === '!') {
        const operand = stack.pop();
        if (!operand) throw valueError(`Invalid domain: ${JSON.stringify(domain)}`);
        stack.push((row) => !operand(row));
      } else {
        stack.push(this.compileLeaf(model, item, context));
      }
    }
    const terms = stack;
    const mentionsActive = domain.some((item) => Array.isArray(item) && String(item[0]).split('.')[0] === 'active');
    const activeOnly = context.active_test !== false && !mentionsActive && fieldOf(this.version, model, 'active') !== undefined;
    return (row) => (!activeOnly || this.value(model, row, 'active') !== false) && terms.every((term) => term(row));
  }

  private compileLeaf(model: string, leaf: unknown, context: Context): (row: Row) => boolean {
    if (!Array.isArray(leaf) || leaf.length !== 3 || typeof leaf[0] !== 'string' || typeof leaf[1] !== 'string') {
      throw valueError(`Invalid leaf ${JSON.stringify(leaf)}`);
    }
    const [path, operator, operand] = leaf as [string, string, unknown];
    // check every step of the path now, as Odoo does before running the query
    let current = model;
    for (const step of path.split('.')) {
      const field = fieldOf(this.version, current, step);
      if (!field) throw valueError(`Invalid field ${current}.${step} in leaf ${JSON.stringify(leaf)}`);
      current = field.relation ?? current;
    }
    const negative = NEGATIONS[operator];
    if (negative) {
      const positive = this.compileLeaf(model, [path, negative, operand], context);
      return (row) => !positive(row);
    }
    const test = comparison(operator, operand, leaf);
    return (row) => this.pathValues(model, row, path.split('.'), context).some(test);
  }

  /** The values a dotted path reaches from a row: a list, since an x2many step fans out (a match on any counts). */
  private pathValues(model: string, row: Row, steps: string[], context: Context): unknown[] {
    const [step, ...rest] = steps;
    const field = this.field(model, step!);
    const value = this.value(model, row, step!, context);
    if (!rest.length) return X2MANY.has(field.type) ? (value as number[]).length ? (value as number[]) : [false] : [value];
    const ids = X2MANY.has(field.type) ? (value as number[]) : typeof value === 'number' ? [value] : [];
    if (!ids.length) return [false];
    return ids.flatMap((id) => this.pathValues(field.relation!, this.row(field.relation!, id), rest, context));
  }

  private compileOrder(model: string, order: string, context: Context): (a: Row, b: Row) => number {
    const keys = order.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
      const match = /^([a-z0-9_]+)(?:\s+(asc|desc))?$/i.exec(part);
      if (!match || !fieldOf(this.version, model, match[1]!)) throw valueError(`Invalid "order" specified (${order}).`);
      return { name: match[1]!, sign: match[2]?.toLowerCase() === 'desc' ? -1 : 1 };
    });
    return (a, b) => {
      for (const { name, sign } of keys) {
        const cmp = compareValues(this.value(model, a, name, context), this.value(model, b, name, context));
        if (cmp) return cmp * sign;
      }
      return a.id - b.id;
    };
  }
}

const NEGATIONS: Record<string, string> = { '!=': '=', 'not in': 'in', 'not ilike': 'ilike', 'not like': 'like', '<>': '=' };

function emptyValue(type: string | undefined): unknown {
  if (type && NUMERIC.has(type)) return 0;
  if (type && X2MANY.has(type)) return [];
  return false;
}

function comparison(operator: string, operand: unknown, leaf: unknown): (value: unknown) => boolean {
  switch (operator) {
    case '=': return (value) => sameValue(value, operand);
    case 'in': {
      if (!Array.isArray(operand)) throw valueError(`Invalid leaf ${JSON.stringify(leaf)}: 'in' needs a list`);
      return (value) => operand.some((item) => sameValue(value, item));
    }
    case '<': return (value) => value !== false && compareValues(value, operand) < 0;
    case '>': return (value) => value !== false && compareValues(value, operand) > 0;
    case '<=': return (value) => value !== false && compareValues(value, operand) <= 0;
    case '>=': return (value) => value !== false && compareValues(value, operand) >= 0;
    case 'ilike': return (value) => typeof value === 'string' && value.toLowerCase().includes(String(operand).toLowerCase());
    case 'like': return (value) => typeof value === 'string' && value.includes(String(operand));
    case '=ilike': return (value) => typeof value === 'string' && likePattern(String(operand), 'i').test(value);
    case '=like': return (value) => typeof value === 'string' && likePattern(String(operand), '').test(value);
    default: throw valueError(`Invalid leaf ${JSON.stringify(leaf)}: unknown operator '${operator}'`);
  }
}

function sameValue(value: unknown, operand: unknown): boolean {
  if (operand === false || operand === null) return value === false || value === null || value === undefined;
  return value === operand;
}

function compareValues(a: unknown, b: unknown): number {
  // SQL puts NULL after every value in ascending order
  if (a === false || a === null || a === undefined) return b === false || b === null || b === undefined ? 0 : 1;
  if (b === false || b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function likePattern(pattern: string, flags: string): RegExp {
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${source}$`, flags);
}
