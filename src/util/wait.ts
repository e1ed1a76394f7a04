// Waiting on a condition or an event with a deadline that names what was waited for (the demo, the daemon's
// shutdown, the technician's tools, the tests). Polling, because the conditions span processes and devices.
import type { TypedEvents } from './typed-events.js';

export class WaitTimeout extends Error {}

/** Poll until `cond` holds; throws WaitTimeout naming `what` after timeoutMs. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The next event `name` whose payload satisfies `match`; the listener is removed on success and on timeout. */
export function waitForEvent<E extends { [K in keyof E]: unknown }, K extends keyof E>(
  events: TypedEvents<E>,
  name: K,
  match: (payload: E[K]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<E[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const off = events.on(name, (p) => {
      if (!match(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

/** Wait for `settled` at most timeoutMs (a bound for shutdown, where a dead device must not hold the exit); true when
 *  it settled in time. The timer is cleared either way. */
export async function settledWithin(settled: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([
      settled.then(
        () => true as const,
        () => true as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves when `cond` holds, checked now and again each time one of the `triggers` fires (the events that can make it
 * true): a settled signal built from events, not a poll. `cancel` removes the listeners (after a bounded wait gave up).
 */
export function whenTrue(
  cond: () => boolean,
  triggers: ((wake: () => void) => () => void)[],
): { settled: Promise<void>; cancel: () => void } {
  const offs: (() => void)[] = [];
  const cancel = () => {
    for (const off of offs.splice(0)) off();
  };
  const settled = new Promise<void>((resolve) => {
    const wake = () => {
      if (!cond()) return;
      cancel();
      resolve();
    };
    for (const t of triggers) offs.push(t(wake));
    wake();
  });
  return { settled, cancel };
}
