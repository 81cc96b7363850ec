// Wrong tokens are counted per client address and in total over a sliding window, so the token
// cannot be guessed at speed from one address or from many: past either limit, tries are refused.
export interface ThrottleLimits { perAddress: number; overall: number; windowMs: number }

export const LOGIN_LIMITS: ThrottleLimits = { perAddress: 10, overall: 100, windowMs: 15 * 60_000 };
/** Addresses remembered at most; the oldest are forgotten first (the overall limit still holds). */
const MAX_ADDRESSES = 10_000;

export interface Refusal { retryAfterSeconds: number; scope: 'address' | 'everyone' }

export class LoginThrottle {
  private readonly byAddress = new Map<string, number[]>();
  private readonly overall: number[] = [];
  constructor(private readonly limits: ThrottleLimits = LOGIN_LIMITS, private readonly now: () => number = Date.now) {}

  /** Null when `address` may try a token now; otherwise how long it must wait, and why. */
  refusal(address: string): Refusal | null {
    const mine = this.byAddress.get(address) ?? [];
    const wait = Math.max(this.wait(mine, this.limits.perAddress), this.wait(this.overall, this.limits.overall));
    if (wait === 0) return null;
    return { retryAfterSeconds: Math.ceil(wait / 1000), scope: this.wait(mine, this.limits.perAddress) > 0 ? 'address' : 'everyone' };
  }

  failed(address: string): void {
    const t = this.now();
    const mine = this.byAddress.get(address) ?? [];
    this.byAddress.delete(address); // re-inserted last: the map's order is then oldest failure first
    this.byAddress.set(address, keepLast([...mine, t], this.limits.perAddress));
    this.overall.splice(0, this.overall.length, ...keepLast([...this.overall, t], this.limits.overall));
    while (this.byAddress.size > MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value as string);
  }

  succeeded(address: string): void { this.byAddress.delete(address); }

  /** Milliseconds until fewer than `limit` failures of `log` fall inside the window. */
  private wait(log: number[], limit: number): number {
    if (log.length < limit) return 0;
    return Math.max(0, log[log.length - limit]! + this.limits.windowMs - this.now());
  }
}

/** Only the last `limit` failures can decide a wait, so no more are kept. */
const keepLast = (log: number[], limit: number) => log.slice(-limit);
