// A connection error that repeats (a broker down, a port unplugged) is logged the first time, then again only
// after a growing pause (1 s, 2 s, 4 s ... up to maxMs) with how many times it happened meanwhile, so an outage of
// an hour is a handful of lines instead of one per retry. A different error, or success, starts over.

export interface RepeatVerdict {
  /** Log this occurrence. */
  log: boolean;
  /** Occurrences of this error not logged since the last line (0 on the first). */
  suppressed: number;
}

export class RepeatLimiter {
  private key: string | null = null;
  private nextLogMs = 0;
  private pauseMs: number;
  private suppressed = 0;

  constructor(private readonly opts: { initialMs?: number; maxMs?: number; now?: () => number } = {}) {
    this.pauseMs = opts.initialMs ?? 1000;
  }

  /** One occurrence of the error `key` (e.g. its code): whether to log it, and how many were held back. */
  hit(key: string): RepeatVerdict {
    const now = (this.opts.now ?? Date.now)();
    if (key !== this.key) {
      this.key = key;
      this.pauseMs = this.opts.initialMs ?? 1000;
      this.nextLogMs = now + this.pauseMs;
      this.suppressed = 0;
      return { log: true, suppressed: 0 };
    }
    if (now < this.nextLogMs) {
      this.suppressed++;
      return { log: false, suppressed: this.suppressed };
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.pauseMs = Math.min(this.pauseMs * 2, this.opts.maxMs ?? 5 * 60_000);
    this.nextLogMs = now + this.pauseMs;
    return { log: true, suppressed };
  }

  /** The error went away (connected again): the next one is logged at once. */
  reset(): void {
    this.key = null;
    this.suppressed = 0;
  }
}
