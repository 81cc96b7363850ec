// Every request the Shopify double receives is checked as Shopify checks it: the document against
// the published Admin schema, the variables coerced against the operation's definitions. A
// refusal has Shopify's top-level GraphQL error shape, so a wrong document fails its test.
import { getOperationAST, getVariableValues, parse, validate, type DocumentNode, type GraphQLError } from 'graphql';
import { adminSchema } from '../../unit/shopify/admin-schema.js';

export interface GraphqlError { message: string; locations?: { line: number; column: number }[]; extensions: { code: string } }

const parsed = new Map<string, DocumentNode | GraphqlError[]>();

const shaped = (e: GraphQLError, code: string): GraphqlError => ({
  message: e.message, ...(e.locations ? { locations: [...e.locations] } : {}), extensions: { code },
});

/** The errors Shopify would answer for this request; empty when it would run it. */
export function requestErrors(query: string, operationName: string, variables: Record<string, unknown>): GraphqlError[] {
  const schema = adminSchema();
  let doc = parsed.get(query);
  if (!doc) {
    try {
      const ast = parse(query);
      const errors = validate(schema, ast);
      doc = errors.length ? errors.map((e) => shaped(e, 'GRAPHQL_VALIDATION_FAILED')) : ast;
    } catch (err) {
      doc = [shaped(err as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
    }
    parsed.set(query, doc);
  }
  if (Array.isArray(doc)) return doc;
  const operation = getOperationAST(doc, operationName);
  if (!operation) return [{ message: `No operation named "${operationName}"`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  return coerced.errors ? coerced.errors.map((e) => shaped(e, 'INVALID_VARIABLE')) : [];
}
