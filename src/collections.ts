// Two small list helpers the storage, the runner and the connectors share.

/** `items` in runs of at most `size`, in order. */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `items` by `keyOf`, each group in the items' order, the groups in the order their first item came. */
export function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const group = out.get(k);
    if (group) group.push(item); else out.set(k, [item]);
  }
  return out;
}
