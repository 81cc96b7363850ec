// The model methods the double carries, by `<model>.<method>` (`*.` for every model), each with
// the parameter names Odoo's signature has, so both transports bind arguments as Python would.
import type { FakeOdoo } from './server.js';
import type { Context, Domain, OdooOrm, Vals } from './orm.js';
import { valueError } from './errors.js';
import { SALES } from './sales.js';
import { STOCK } from './stock.js';
import { ACCOUNTING } from './accounting.js';

export interface MethodCall {
  odoo: FakeOdoo;
  orm: OdooOrm;
  model: string;
  /** the records a record method runs on (empty for @api.model methods) */
  ids: number[];
  params: Record<string, unknown>;
  context: Context;
}

export interface Method {
  /** 'model': @api.model (no ids); 'records': runs on `ids` */
  api: 'model' | 'records';
  /** the parameters after self, in order */
  params: string[];
  /** the method takes **kwargs (search_read's read_kwargs) */
  anyKeyword?: boolean;
  /** every parameter is keyword-only (`def m(self, *, ...)`): positional arguments after the ids are refused */
  keywordOnly?: boolean;
  run(call: MethodCall): unknown;
}

const domainOf = (value: unknown): Domain => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw valueError(`Invalid domain: ${JSON.stringify(value)}`);
  return value;
};
const fieldsOf = (value: unknown): string[] | undefined => {
  if (value === undefined || value === null || value === false) return undefined;
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) throw valueError(`Invalid fields: ${JSON.stringify(value)}`);
  return value;
};
const limitOf = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const paging = (params: Record<string, unknown>) => ({
  offset: typeof params.offset === 'number' ? params.offset : 0,
  limit: limitOf(params.limit),
  order: typeof params.order === 'string' ? params.order : undefined,
});

const GENERIC: Record<string, Method> = {
  '*.create': {
    api: 'model', params: ['vals_list'],
    run: ({ orm, model, params, context }) => {
      const vals = params.vals_list;
      // @api.model_create_multi: one dict answers one id, a list answers a list
      if (Array.isArray(vals)) return orm.create(model, vals as Vals[], context);
      if (typeof vals === 'object' && vals !== null) return orm.create(model, [vals as Vals], context)[0];
      throw valueError(`Invalid vals_list: ${JSON.stringify(vals)}`);
    },
  },
  '*.read': {
    api: 'records', params: ['fields', 'load'],
    run: ({ orm, model, ids, params, context }) => orm.read(model, ids, fieldsOf(params.fields), context),
  },
  '*.write': {
    api: 'records', params: ['vals'],
    run: ({ orm, model, ids, params, context }) => orm.write(model, ids, params.vals as Vals, context),
  },
  '*.unlink': { api: 'records', params: [], run: ({ orm, model, ids }) => orm.unlink(model, ids) },
  '*.search': {
    api: 'model', params: ['domain', 'offset', 'limit', 'order'],
    run: ({ orm, model, params, context }) => orm.search(model, domainOf(params.domain), paging(params), context),
  },
  '*.search_count': {
    api: 'model', params: ['domain', 'limit'],
    run: ({ orm, model, params, context }) => orm.search(model, domainOf(params.domain), { limit: limitOf(params.limit) }, context).length,
  },
  '*.search_read': {
    api: 'model', params: ['domain', 'fields', 'offset', 'limit', 'order'], anyKeyword: true,
    run: ({ orm, model, params, context }) => {
      const fields = fieldsOf(params.fields);
      // the fields are checked before the search runs, as read would after it
      for (const name of fields ?? []) orm.field(model, name);
      const ids = orm.search(model, domainOf(params.domain), paging(params), context);
      return orm.read(model, ids, fields, context);
    },
  },
};

export const METHODS: Record<string, Method> = { ...GENERIC, ...SALES, ...STOCK, ...ACCOUNTING };
