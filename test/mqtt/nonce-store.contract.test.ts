// The command nonces' contract, held by the SQLite store and the memory one alike: a nonce is taken once (a replay
// says so), also after a restart; the high-water mark is the newest issuedAt ever accepted, whatever order commands
// came in; pruning below the mark never removes the mark itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_IMPLS, type OpenStores } from '../support/store-impls.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const MIN = 60_000;

describe.each(STORE_IMPLS)('command nonces contract: $name', (impl) => {
  let s: OpenStores;
  beforeEach(() => (s = impl.open({ station: 'BJP', gate: '03' })));
  afterEach(() => s.close());

  it('takes a nonce once: the replay is refused, also after a restart', () => {
    expect(s.nonces.seen('n-1')).toBe(false);
    expect(s.nonces.remember('n-1', T0, T0)).toBe(true);
    expect(s.nonces.remember('n-1', T0, T0 + 1000)).toBe(false);
    expect(s.nonces.seen('n-1')).toBe(true);
    s = s.reopen();
    expect(s.nonces.seen('n-1')).toBe(true);
    expect(s.nonces.remember('n-1', T0, T0 + 2000)).toBe(false);
  });

  it('keeps the newest issuedAt as the high-water mark, whatever order commands arrive in, across a restart', () => {
    expect(s.nonces.highWater()).toBeNull();
    s.nonces.remember('late', T0 + 5 * MIN, T0);
    s.nonces.remember('early', T0, T0 + MIN); // arrives after the newer one: the mark stays
    expect(s.nonces.highWater()).toBe(T0 + 5 * MIN);
    s = s.reopen();
    expect(s.nonces.highWater()).toBe(T0 + 5 * MIN);
  });

  it('prunes only nonces issued before the bound; pruned below the mark, the mark stays', () => {
    s.nonces.remember('a', T0, T0);
    s.nonces.remember('b', T0 + MIN, T0);
    s.nonces.remember('c', T0 + 10 * MIN, T0);
    // What the command channel does: prune below the mark minus twice the skew.
    expect(s.nonces.pruneBefore((s.nonces.highWater() ?? 0) - 2 * 4 * MIN)).toBe(2);
    expect(['a', 'b', 'c'].map((n) => s.nonces.seen(n))).toEqual([false, false, true]);
    expect(s.nonces.highWater()).toBe(T0 + 10 * MIN);
    expect(s.nonces.pruneBefore(T0 + 10 * MIN)).toBe(0); // "before" is strict: the mark's own nonce stays
  });
});
