// Records a connector finds or makes once per process (a tax, a journal, a country): the promise
// is kept, not the id, so jobs in flight at once that both need one wait for a single lookup.

export function madeOnce(made: Map<string, Promise<number>>, key: string, make: () => Promise<number>): Promise<number> {
  let known = made.get(key);
  if (!known) {
    known = make();
    made.set(key, known);
    // a failed lookup is tried again next time
    known.catch(() => { if (made.get(key) === known) made.delete(key); });
  }
  return known;
}
