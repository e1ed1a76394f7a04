// The refusal tally on a fake clock: a flood of refusals becomes one report per kind per minute, with the counts.
import { describe, expect, it } from 'vitest';
import { RefusalTally, refusalDetail } from '../../src/daemon/refusals.js';

const T0 = Date.parse('2026-12-05T08:00:00Z');

describe('refusal tally', () => {
  it('reports the first refusal at the next tick, then at most once a minute per kind with the count', () => {
    const tally = new RefusalTally();
    expect(tally.tick(T0)).toEqual([]);
    tally.refuse('sync', 'malformed');
    const first = tally.tick(T0 + 1000);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kind: 'sync', total: 1, detail: 'sync:malformedx1' });

    // 5,000 more in the next few seconds: nothing is reported until a minute after the first report.
    for (let i = 0; i < 4990; i++) tally.refuse('sync', 'malformed');
    for (let i = 0; i < 10; i++) tally.refuse('sync', 'bad-signature');
    for (let t = 2000; t < 61_000; t += 1000) expect(tally.tick(T0 + t)).toEqual([]);
    expect(tally.status().sync).toMatchObject({ total: 5001, pending: 5000 });
    const second = tally.tick(T0 + 61_000);
    expect(second).toEqual([
      {
        kind: 'sync',
        counts: { malformed: 4990, 'bad-signature': 10 },
        total: 5000,
        detail: 'sync:malformedx4990,bad-signaturex10',
        atMs: T0 + 61_000,
      },
    ]);
    expect(tally.status().sync).toEqual({
      total: 5001,
      pending: 0,
      lastReport: { at: new Date(T0 + 61_000).toISOString(), detail: 'sync:malformedx4990,bad-signaturex10' },
    });
    // Nothing new: nothing to report, however long the quiet lasts.
    expect(tally.tick(T0 + 10 * 60_000)).toEqual([]);
  });

  it('keeps the kinds apart: a sync flood does not delay the first command refusal', () => {
    const tally = new RefusalTally();
    tally.refuse('sync', 'unsigned', 100);
    expect(tally.tick(T0).map((r) => r.kind)).toEqual(['sync']);
    tally.refuse('sync', 'unsigned', 100);
    tally.refuse('command', 'bad-signature');
    tally.refuse('sibling', 'not-on-roster', 3);
    const r = tally.tick(T0 + 5000);
    expect(r.map((x) => [x.kind, x.detail])).toEqual([
      ['command', 'command:bad-signaturex1'],
      ['sibling', 'sibling:not-on-rosterx3'],
    ]);
    expect(tally.tick(T0 + 60_000).map((x) => x.detail)).toEqual(['sync:unsignedx100']);
  });

  it('bounds the reports: a sustained flood over an hour gives at most 60 per kind', () => {
    const tally = new RefusalTally();
    let reports = 0;
    for (let s = 0; s < 3600; s++) {
      tally.refuse('sync', 'malformed', 50);
      tally.refuse('command', 'stale', 50);
      reports += tally.tick(T0 + s * 1000).length;
    }
    expect(reports).toBeLessThanOrEqual(2 * 60);
    expect(reports).toBeGreaterThanOrEqual(2 * 59);
    expect(tally.status().sync.total).toBe(3600 * 50);
  });

  it('reports again at once when the clock stepped back behind the last report', () => {
    const tally = new RefusalTally();
    tally.refuse('sync', 'malformed');
    tally.tick(T0);
    tally.refuse('sync', 'malformed');
    expect(tally.tick(T0 - 3600_000)).toHaveLength(1);
  });

  it('names at most six codes in a detail and sums the rest', () => {
    const counts = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`code-${i}`, 10 - i]));
    expect(refusalDetail('sync', counts)).toBe('sync:code-0x10,code-1x9,code-2x8,code-3x7,code-4x6,code-5x5,otherx9');
  });
});
