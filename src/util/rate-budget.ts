// A token bucket for work an attacker can make the gate do: each Ed25519 verification of a message that names a
// trusted key costs the lane's thread about 60 µs, so a flood of well-formed but badly signed messages is cut off at
// a fixed rate instead of stalling passengers. Time is an input (the caller's clock), so it is tested without timers.
export class RateBudget {
  private tokens: number;
  private lastMs: number | null = null;

  /** `perSecond` tokens come back each second, up to `burst`. */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Take one token at `nowMs`; false when none is left. A clock stepped back refills nothing. */
  take(nowMs: number): boolean {
    if (this.lastMs !== null && nowMs > this.lastMs)
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.perSecond);
    this.lastMs = this.lastMs === null ? nowMs : Math.max(this.lastMs, nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
