// One holder at a time per key, within this process: work for different keys runs at once, work
// for one key waits its turn, in the order it asked. Hand-written because it is a promise chain
// per key and nothing more; the chain of a key is dropped when its last holder is done.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    // tails only ever resolve; this reaction to `before` runs ahead of the await below, so
    // `release` is set by the time `fn` starts
    const tail = before.then(() => new Promise<void>((done) => { release = done; }));
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
