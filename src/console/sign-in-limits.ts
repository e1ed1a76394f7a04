// How fast passwords may be tried. Each address (a laptop on the maintenance network) has its own small budget, so
// one taken-over laptop guessing does not lock out the technician signing in from another; all addresses together
// have a larger one, so many taken-over laptops still guess slowly. An address refused by its own budget takes
// nothing from the overall one. Time is the caller's clock (tested without timers).
import { RateBudget } from '../util/rate-budget.js';

/** Per address: 5 tries, then one every 20 s. All together: 20, then one every 2 s (scrypt ~50 ms each). */
export const PER_ADDRESS = { perSecond: 1 / 20, burst: 5 };
export const OVERALL = { perSecond: 1 / 2, burst: 20 };
/** Addresses remembered at most; past it, those whose budget is full again are forgotten first, then the oldest. */
const MAX_ADDRESSES = 4096;

export class SignInLimits {
  private readonly byAddress = new Map<string, RateBudget>();
  private readonly overall = new RateBudget(OVERALL.perSecond, OVERALL.burst);

  /** 0 when `address` may try a password now; else the ms to wait. */
  take(address: string, nowMs: number): number {
    let own = this.byAddress.get(address);
    if (!own) {
      this.forgetSome(nowMs);
      own = new RateBudget(PER_ADDRESS.perSecond, PER_ADDRESS.burst);
      this.byAddress.set(address, own);
    }
    const waitOwn = own.takeOrWait(nowMs);
    if (waitOwn > 0) return waitOwn;
    return this.overall.takeOrWait(nowMs);
  }

  private forgetSome(nowMs: number): void {
    if (this.byAddress.size < MAX_ADDRESSES) return;
    for (const [a, b] of this.byAddress) if (b.full(nowMs)) this.byAddress.delete(a);
    // Still full: the oldest go (Map keeps insertion order).
    for (const a of this.byAddress.keys()) {
      if (this.byAddress.size < MAX_ADDRESSES) break;
      this.byAddress.delete(a);
    }
  }
}
