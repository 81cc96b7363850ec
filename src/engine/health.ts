// Whether the engine is doing its work, for /healthz, /readyz and the dashboard: a process that
// answers HTTP while its loop has stopped or keeps failing must not look healthy.

export type EngineState = 'starting' | 'working' | 'failing' | 'stopped';

export interface HealthView {
  state: EngineState;
  /** when the last pass (poll every feed, work every ready job) ended well */
  lastPassAt: string | null;
  /** since when passes have been failing, and why the last one failed */
  failingSince: string | null;
  lastError: string | null;
}

export class EngineHealth {
  private state: EngineState = 'starting';
  private lastPassAt: number | null = null;
  private lastProgressAt: number | null = null;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private readonly startedAt = Date.now();

  passed(): void { this.state = 'working'; this.lastPassAt = this.lastProgressAt = Date.now(); this.failingSince = null; this.lastError = null; }

  /** A step inside a pass ended (a feed read, a batch of jobs): a long pass is not a stuck one. */
  progressed(): void { this.lastProgressAt = Date.now(); }

  failed(why: string): void {
    if (this.state === 'stopped') return;
    this.state = 'failing';
    this.failingSince ??= Date.now();
    this.lastError = why;
  }

  stopped(): void { this.state = 'stopped'; }

  view(): HealthView {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return { state: this.state, lastPassAt: iso(this.lastPassAt), failingSince: iso(this.failingSince), lastError: this.lastError };
  }

  /**
   * Healthy: the loop runs, its last pass ended well, and it made progress within `stallAfterMs`
   * (a pass stuck on a call that never returns shows here as a stall). Says why not, in words.
   */
  problem(stallAfterMs: number, now = Date.now()): string | null {
    if (this.state === 'stopped') return 'the engine has stopped';
    if (this.state === 'failing') return `the engine's passes have been failing since ${new Date(this.failingSince!).toISOString()}: ${this.lastError}`;
    const since = this.lastProgressAt ?? this.startedAt;
    if (now - since > stallAfterMs) return `the engine has made no progress for ${Math.round((now - since) / 1000)} s (stuck on a call?)`;
    return null;
  }
}
