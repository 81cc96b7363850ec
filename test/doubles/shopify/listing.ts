// The change listings' search and order, as the connector's keyset feeds use them: terms joined
// by AND (`updated_at:>=` / `<=` / `>` a quoted time, `id:>` a number; anything else refused, so a
// new query shape fails loudly), sorted by ID or by UPDATED_AT with rows of one stamp in the least
// convenient order Shopify allows (highest id first).
import type { Json } from './state.js';

const legacyId = (gid: string) => Number(gid.slice(gid.lastIndexOf('/') + 1));

function matchesSearch(query: unknown, row: { updatedAt: string; id: number }): boolean {
  const q = String(query ?? '').trim();
  if (!q) return true;
  return q.split(' AND ').every((term) => {
    const stamp = /^updated_at:(>=|<=|>)"([^"]+)"$/.exec(term);
    if (stamp) {
      const [a, b] = [Date.parse(row.updatedAt), Date.parse(stamp[2]!)];
      return stamp[1] === '>=' ? a >= b : stamp[1] === '<=' ? a <= b : a > b;
    }
    const id = /^id:>(\d+)$/.exec(term);
    if (id) return row.id > Number(id[1]);
    throw new Error(`the double does not understand the search term ${term}`);
  });
}

/** One page of a change listing from its start (the feeds move on by search terms, not by `after`). */
export function listingPage<T>(rows: T[], args: Json, keyOf: (row: T) => { updatedAt: string; id: string | number }): { nodes: T[]; pageInfo: Json } {
  const key = (row: T) => { const k = keyOf(row); return { updatedAt: k.updatedAt, id: typeof k.id === 'number' ? k.id : legacyId(k.id) }; };
  const byId = (a: T, b: T) => key(a).id - key(b).id;
  const sorted = rows.filter((r) => matchesSearch(args.query, key(r))).sort(args.sortKey === 'ID' ? byId
    : (a, b) => Date.parse(key(a).updatedAt) - Date.parse(key(b).updatedAt) || -byId(a, b));
  const first = Number(args.first ?? 50);
  return { nodes: sorted.slice(0, first), pageInfo: { hasNextPage: sorted.length > first, endCursor: null } };
}
