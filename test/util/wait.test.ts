// settledWithin: the bound the daemon's shutdown puts on waiting for a device to settle.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settledWithin } from '../../src/util/wait.js';

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
