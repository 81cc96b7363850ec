// Magento's searchCriteria over the double's records: filters within a group are OR-ed, groups are
// AND-ed, then sortOrders, pageSize and currentPage, with total_count and the criteria echoed back.
import { MagentoRefusal } from './state.js';
import type { Json } from './documents.js';

interface Filter { field: string; value: string; conditionType: string }
export interface Criteria { groups: Filter[][]; sorts: { field: string; direction: string }[]; pageSize: number | null; currentPage: number }

/** Reads `searchCriteria[...]` keys, whatever their indexes. */
export function readCriteria(query: URLSearchParams): Criteria {
  const groups = new Map<string, Map<string, Partial<Filter>>>();
  const sorts = new Map<string, Partial<{ field: string; direction: string }>>();
  let pageSize: number | null = null;
  let currentPage = 1;
  for (const [key, value] of query) {
    let m = /^searchCriteria\[filter_?[gG]roups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_?[tT]ype)\]$/.exec(key);
    if (m) {
      const group = groups.get(m[1]!) ?? new Map<string, Partial<Filter>>();
      groups.set(m[1]!, group);
      const filter = group.get(m[2]!) ?? {};
      group.set(m[2]!, filter);
      filter[m[3]!.startsWith('condition') ? 'conditionType' : (m[3] as 'field' | 'value')] = value;
      continue;
    }
    m = /^searchCriteria\[sort_?[oO]rders\]\[(\d+)\]\[(field|direction)\]$/.exec(key);
    if (m) {
      const sort = sorts.get(m[1]!) ?? {};
      sorts.set(m[1]!, sort);
      sort[m[2] as 'field' | 'direction'] = value;
      continue;
    }
    if (key === 'searchCriteria[pageSize]' || key === 'searchCriteria[page_size]') pageSize = Number(value);
    if (key === 'searchCriteria[currentPage]' || key === 'searchCriteria[current_page]') currentPage = Math.max(1, Number(value));
  }
  const byIndex = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  return {
    groups: byIndex(groups).map((g) => byIndex(g).map((f) => {
      if (f.field === undefined) throw new MagentoRefusal(400, '"%1" is required. Enter and try again.', ['field']);
      return { field: f.field, value: f.value ?? '', conditionType: f.conditionType ?? 'eq' };
    })),
    sorts: byIndex(sorts).map((s) => ({ field: s.field ?? '', direction: (s.direction ?? 'ASC').toUpperCase() })),
    pageSize: pageSize !== null && pageSize > 0 ? pageSize : null,
    currentPage,
  };
}

const compare = (a: unknown, b: unknown): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = [String(a ?? ''), String(b ?? '')];
  const [nx, ny] = [Number(x), Number(y)];
  if (x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny)) return nx - ny;
  return x < y ? -1 : x > y ? 1 : 0;
};

function matches(row: Json, f: Filter): boolean {
  const v = row[f.field];
  const list = () => f.value.split(',').map((s) => s.trim());
  switch (f.conditionType) {
    case 'eq': return compare(v, f.value) === 0;
    case 'neq': return compare(v, f.value) !== 0;
    case 'in': return list().some((x) => compare(v, x) === 0);
    case 'nin': return !list().some((x) => compare(v, x) === 0);
    case 'gt': return compare(v, f.value) > 0;
    case 'gteq': case 'from': return compare(v, f.value) >= 0;
    case 'lt': return compare(v, f.value) < 0;
    case 'lteq': case 'to': return compare(v, f.value) <= 0;
    case 'like': {
      const pattern = new RegExp(`^${f.value.split('%').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
      return pattern.test(String(v ?? ''));
    }
    case 'null': return v === undefined || v === null;
    case 'notnull': return v !== undefined && v !== null;
    default: throw new MagentoRefusal(400, 'Invalid condition type: %1', [f.conditionType]);
  }
}

/** One page of the rows the criteria select; a page past the end answers the last page, as Magento's collections do. */
export function search(rows: Json[], c: Criteria): Json {
  const selected = rows.filter((r) => c.groups.every((g) => g.some((f) => matches(r, f))));
  const sorted = [...selected].sort((a, b) => {
    for (const s of c.sorts) {
      const d = compare(a[s.field], b[s.field]);
      if (d !== 0) return s.direction === 'DESC' ? -d : d;
    }
    return 0;
  });
  let items = sorted;
  if (c.pageSize !== null) {
    const lastPage = Math.max(1, Math.ceil(sorted.length / c.pageSize));
    const page = Math.min(c.currentPage, lastPage);
    items = sorted.slice((page - 1) * c.pageSize, page * c.pageSize);
  }
  return {
    items,
    search_criteria: {
      filter_groups: c.groups.map((g) => ({ filters: g.map((f) => ({ field: f.field, value: f.value, condition_type: f.conditionType })) })),
      ...(c.sorts.length ? { sort_orders: c.sorts } : {}),
      ...(c.pageSize !== null ? { page_size: c.pageSize } : {}), current_page: c.currentPage,
    },
    total_count: selected.length,
  };
}
