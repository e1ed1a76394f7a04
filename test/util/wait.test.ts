// settledWithin: the bound the daemon's shutdown puts on waiting for a device to settle.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settledWithin, whenTrue } from '../../src/util/wait.js';
import { TypedEvents } from '../../src/util/typed-events.js';

afterEach(() => vi.useRealTimers());

describe('settledWithin', () => {
  it('is true as soon as the promise settles (resolved or rejected), and leaves no timer behind', async () => {
    vi.useFakeTimers();
    let resolve!: () => void;
    const p = settledWithin(new Promise<void>((r) => (resolve = r)), 1000);
    await vi.advanceTimersByTimeAsync(999);
    resolve();
    await expect(p).resolves.toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(settledWithin(Promise.reject(new Error('x')), 1000)).resolves.toBe(true);
  });

  it('is false after timeoutMs when the promise never settles', async () => {
    vi.useFakeTimers();
    const p = settledWithin(new Promise(() => {}), 1000);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(p).resolves.toBe(false);
  });
});

/** A trigger on `events` that counts its live listeners. */
function counted(events: TypedEvents<{ changed: number }>) {
  const live = { n: 0 };
  const trigger = (wake: () => void) => {
    live.n++;
    const off = events.on('changed', wake);
    return () => {
      live.n--;
      off();
    };
  };
  return { live, trigger };
}

describe('whenTrue', () => {
  it('settles when a trigger fires with the condition true, and removes its listeners', async () => {
    const events = new TypedEvents<{ changed: number }>();
    let value = 0;
    let settled = false;
    const { live, trigger } = counted(events);
    const w = whenTrue(() => value === 2, [trigger]);
    void w.settled.then(() => (settled = true));
    value = 1;
    events.emit('changed', 1);
    await Promise.resolve();
    expect(settled).toBe(false);
    value = 2;
    events.emit('changed', 2);
    await w.settled;
    expect(settled).toBe(true);
    expect(live.n).toBe(0);
  });

  it('is settled at once when the condition already holds; cancel removes the listeners of one that never settles', async () => {
    const events = new TypedEvents<{ changed: number }>();
    const { live, trigger } = counted(events);
    await whenTrue(() => true, [trigger]).settled;
    expect(live.n).toBe(0);
    const w = whenTrue(() => false, [trigger]);
    expect(live.n).toBe(1);
    w.cancel();
    expect(live.n).toBe(0);
  });
});
