// One request in flight per serial link: a mutex around "write, then wait for the matching answer", and a waiter
// that matches incoming payloads and times out (zigbee-herdsman src/utils/async-mutex.ts and waitress.ts).

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Run fn after every earlier holder has finished; errors pass through to the caller only. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export type Match<P, T> = (payload: P) => T | undefined;

interface Waiter<P, T> {
  match: Match<P, T>;
  resolve: (value: T | 'timeout') => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Waitress<P> {
  private readonly waiters = new Set<Waiter<P, unknown>>();

  /** Resolves with the first payload `match` accepts (returns a value for), or 'timeout'. */
  waitFor<T>(match: Match<P, T>, timeoutMs: number): Promise<T | 'timeout'> {
    return new Promise((resolve) => {
      const waiter: Waiter<P, T> = {
        match,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter as Waiter<P, unknown>);
          resolve('timeout');
        }, timeoutMs),
      };
      this.waiters.add(waiter as Waiter<P, unknown>);
    });
  }

  /** Offer a payload to the waiters; true when one took it. */
  resolve(payload: P): boolean {
    for (const w of this.waiters) {
      const value = w.match(payload);
      if (value === undefined) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(value);
      return true;
    }
    return false;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** Time every waiter out now (the link is closing). */
  cancelAll(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve('timeout');
    }
    this.waiters.clear();
  }
}
