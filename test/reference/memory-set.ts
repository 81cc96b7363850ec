// A keyed reference set kept in memory (tax rates, shipping methods) for the memory pair: items
// live under ids like a real system's records, so a create repeated for one key makes a second item.
import type { Faults } from './change-log.js';
import type { KeyedSet } from '../../src/model/reference-sets.js';

export class MemorySet<V> {
  private readonly items: { id: string; key: string; value: V }[] = [];
  private seq = 0;
  /** writes made through the contract (creates and updates), for tests counting calls */
  writes = 0;

  constructor(private readonly faults: Faults, private readonly prefix: string) {}

  /** The first item of each key, as a system listing its records would show them. */
  list(): KeyedSet<V> {
    this.faults.check(`list:${this.prefix}`);
    const out: KeyedSet<V> = new Map();
    for (const i of this.items) if (!out.has(i.key)) out.set(i.key, { id: i.id, value: structuredClone(i.value) });
    return out;
  }

  put(key: string, value: V, existingId: string | null): { id: string; created: boolean } {
    this.faults.check(`put:${this.prefix}`);
    this.writes++;
    const existing = existingId ? this.items.find((i) => i.id === existingId) : undefined;
    if (existing) { existing.value = structuredClone(value); return { id: existing.id, created: false }; }
    return { id: this.add(key, value), created: true };
  }

  // ---- what an operator does in the system ----
  add(key: string, value: V): string {
    const id = `${this.prefix}-${++this.seq}`;
    this.items.push({ id, key, value: structuredClone(value) });
    return id;
  }

  edit(key: string, value: V): void {
    const item = this.items.find((i) => i.key === key);
    if (!item) throw new Error(`no ${this.prefix} ${key}`);
    item.value = structuredClone(value);
  }

  remove(key: string): void {
    const at = this.items.findIndex((i) => i.key === key);
    if (at >= 0) this.items.splice(at, 1);
  }

  /** how many items carry this key (more than one: a duplicate was made) */
  count(key: string): number { return this.items.filter((i) => i.key === key).length; }

  get(key: string): V | undefined { return this.items.find((i) => i.key === key)?.value; }
}
