// Small pieces the demo (and the end-to-end tests) use: a virtual clock that jumps between scenes, and waits with
// a deadline that name what they waited for.
import type { TypedEvents } from '../util/typed-events.js';

/** Runs in real time from a virtual start; set() jumps to another virtual moment (the next scene). */
export class DemoClock {
  private offset: number;

  constructor(startMs: number) {
    this.offset = startMs - Date.now();
  }

  now(): number {
    return Date.now() + this.offset;
  }

  set(ms: number): void {
    this.offset = ms - Date.now();
  }
}

/** HH:MM at the station (Asia/Shanghai). */
export function formatTime(ms: number, timeZone = 'Asia/Shanghai'): string {
  return new Date(ms).toLocaleTimeString('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false });
}

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
