// A token bucket for work an attacker can make the gate do: each Ed25519 verification of a message that names a
// trusted key costs the lane's thread about 60 µs, and each console sign-in an scrypt, so a flood is cut off at a
// fixed rate instead of stalling passengers. Time is an input (the caller's clock), so it is tested without timers.
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

  /** Take one token at `nowMs`; false when none is left. */
  take(nowMs: number): boolean {
    return this.takeOrWait(nowMs) === 0;
  }

  /** 0 when a token was taken at `nowMs`; else the ms until one is back (nothing taken). */
  takeOrWait(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  /** Whether the bucket is back to its burst at `nowMs` (whoever drew on it stopped; it can be forgotten). */
  full(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }

  private refill(nowMs: number): void {
    // A clock stepped back refills nothing.
    if (this.lastMs !== null && nowMs > this.lastMs)
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.perSecond);
    this.lastMs = this.lastMs === null ? nowMs : Math.max(this.lastMs, nowMs);
  }
}
