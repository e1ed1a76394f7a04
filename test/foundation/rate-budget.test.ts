// The token bucket behind sibling verifications, command verifications and console sign-ins, on a clock the test
// holds: figures worked out by hand from the rate and the burst.
import { describe, expect, it } from 'vitest';
import { RateBudget } from '../../src/util/rate-budget.js';
import { OVERALL, PER_ADDRESS, SignInLimits } from '../../src/console/sign-in-limits.js';

describe('rate budget', () => {
  it('gives the burst at once, then one token per 1/rate seconds, and says how long to wait', () => {
    const b = new RateBudget(2, 3); // 2 a second, 3 at once
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true]);
    expect(b.takeOrWait(0)).toBe(500); // one token takes 500 ms to come back
    expect(b.takeOrWait(250)).toBe(250); // half a token back: 250 ms to go
    expect(b.takeOrWait(500)).toBe(0);
    expect(b.full(500)).toBe(false);
    expect(b.full(2000)).toBe(true); // 1.5 s at 2/s refills the 3 again
  });

  it('refills nothing when the clock steps back, and never more than the burst', () => {
    const b = new RateBudget(1, 2);
    expect([b.take(10_000), b.take(10_000)]).toEqual([true, true]);
    expect(b.take(5_000)).toBe(false); // NTP stepped the clock back 5 s: no tokens for it
    expect(b.takeOrWait(10_500)).toBe(500);
    expect([b.take(60_000), b.take(60_000), b.take(60_000)]).toEqual([true, true, false]);
  });
});

describe('console sign-in limits', () => {
  it('one address runs out of its own budget without using up the others', () => {
    const l = new SignInLimits();
    for (let k = 0; k < PER_ADDRESS.burst; k++) expect(l.take('10.0.0.66', 0)).toBe(0);
    expect(l.take('10.0.0.66', 0)).toBe(1000 / PER_ADDRESS.perSecond); // 20 s
    // The technician's laptop still signs in: the guesser's refusals took nothing from the overall budget.
    expect(l.take('10.0.0.5', 0)).toBe(0);
  });

  it('many addresses together are held to the overall budget', () => {
    const l = new SignInLimits();
    for (let k = 0; k < OVERALL.burst; k++) expect(l.take(`10.0.1.${k}`, 0)).toBe(0);
    expect(l.take('10.0.2.1', 0)).toBe(1000 / OVERALL.perSecond); // 2 s
  });
});
