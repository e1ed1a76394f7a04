import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MACHINE_OPTIONS,
  initialState,
  step,
  type MachineAction,
  type MachineInput,
  type MachineState,
} from '../../src/sync/machine.js';

type D = string;
const o = DEFAULT_MACHINE_OPTIONS;

function run(s: MachineState<D>, ...inputs: MachineInput<D>[]) {
  const actions: MachineAction<D>[] = [];
  for (const i of inputs) {
    const r = step(s, i, o);
    s = r.state;
    actions.push(...r.actions);
  }
  return { state: s, actions };
}
const delta = (epoch: number, seq: number, now = 0): MachineInput<D> => ({
  type: 'delta',
  ref: { epoch, seq, delta: `${epoch}/${seq}` },
  now,
});
const applied = (acts: MachineAction<D>[]) =>
  acts.filter((a) => a.type === 'apply-delta').map((a) => (a.type === 'apply-delta' ? a.ref.seq : -1));
const types = (acts: MachineAction<D>[]) => acts.map((a) => a.type);
const resyncs = (acts: MachineAction<D>[]) => acts.filter((a) => a.type === 'request-resync');

describe('sync state machine', () => {
  const at5 = initialState<D>({ epoch: 7, seq: 5 });

  it('applies the next delta and advances', () => {
    const r = run(at5, delta(7, 6), delta(7, 7));
    expect(applied(r.actions)).toEqual([6, 7]);
    expect(r.state.have).toEqual({ epoch: 7, seq: 7 });
  });

  it('drops an old seq as a duplicate', () => {
    const r = run(at5, delta(7, 5), delta(7, 3));
    expect(r.actions).toEqual([
      { type: 'drop', reason: 'duplicate', epoch: 7, seq: 5 },
      { type: 'drop', reason: 'duplicate', epoch: 7, seq: 3 },
    ]);
    expect(r.state.have).toEqual({ epoch: 7, seq: 5 });
  });

  it('drops a delta of an older epoch as stale', () => {
    expect(run(at5, delta(6, 9)).actions).toEqual([{ type: 'drop', reason: 'stale', epoch: 6, seq: 9 }]);
  });

  it('holds a reordered delta and applies both when the missing one arrives', () => {
    const r1 = run(at5, delta(7, 7, 100));
    expect(applied(r1.actions)).toEqual([]);
    expect(r1.state.gapSince).toBe(100);
    const r2 = run(r1.state, delta(7, 6, 500));
    expect(applied(r2.actions)).toEqual([6, 7]);
    expect(r2.state.buffer).toEqual([]);
    expect(r2.state.gapSince).toBeNull();
    expect(resyncs(r2.actions)).toEqual([]);
  });

  it('asks for a resync when a gap outlives the reorder window, and not before', () => {
    const r1 = run(at5, delta(7, 8, 0), { type: 'tick', now: o.reorderWindowMs - 1 });
    expect(resyncs(r1.actions)).toEqual([]);
    const r2 = run(r1.state, { type: 'tick', now: o.reorderWindowMs });
    expect(resyncs(r2.actions)).toEqual([
      { type: 'request-resync', reason: 'gap', have: { epoch: 7, seq: 5 }, want: { epoch: 7, seq: 8 } },
    ]);
  });

  it('repeats an unanswered resync request with growing waits, and stops once caught up', () => {
    let s = run(at5, delta(7, 8, 0), { type: 'tick', now: o.reorderWindowMs }).state;
    expect(resyncs(run(s, { type: 'tick', now: o.reorderWindowMs + o.resyncRetryMs - 1 }).actions)).toHaveLength(0);
    const again = run(s, { type: 'tick', now: o.reorderWindowMs + o.resyncRetryMs });
    expect(resyncs(again.actions)).toHaveLength(1);
    expect(again.state.resync?.attempts).toBe(2);
    expect(again.state.resync!.nextAt - (o.reorderWindowMs + o.resyncRetryMs)).toBe(2 * o.resyncRetryMs);
    s = run(again.state, delta(7, 6, 20_000), delta(7, 7, 20_001)).state;
    expect(s.have).toEqual({ epoch: 7, seq: 8 });
    expect(resyncs(run(s, { type: 'tick', now: 1e9 }).actions)).toHaveLength(0);
  });

  it('treats a delta of a newer epoch as a sign of a missed snapshot', () => {
    const r = run(at5, delta(8, 1, 0), { type: 'tick', now: o.reorderWindowMs });
    expect(resyncs(r.actions)).toEqual([
      { type: 'request-resync', reason: 'new-epoch', have: { epoch: 7, seq: 5 }, want: { epoch: 8, seq: 1 } },
    ]);
  });

  it('notices a lost last batch from the retained head after the grace period', () => {
    const r1 = run(at5, { type: 'head', epoch: 7, seq: 6, signedAt: 0, now: 0 });
    expect(resyncs(r1.actions)).toEqual([]);
    const r2 = run(r1.state, { type: 'tick', now: o.headGraceMs });
    expect(resyncs(r2.actions)).toEqual([
      { type: 'request-resync', reason: 'behind-head', have: { epoch: 7, seq: 5 }, want: { epoch: 7, seq: 6 } },
    ]);
  });

  it('is content when the in-flight batch arrives within the head grace', () => {
    const r = run(at5, { type: 'head', epoch: 7, seq: 6, signedAt: 0, now: 0 }, delta(7, 6, 10), { type: 'tick', now: o.headGraceMs * 10 });
    expect(resyncs(r.actions)).toEqual([]);
    expect(r.state.behindSince).toBeNull();
  });

  it('asks for data at once when it has none and hears a head', () => {
    const r = run(initialState<D>(null), { type: 'head', epoch: 3, seq: 0, signedAt: 0, now: 0 });
    expect(resyncs(r.actions)).toEqual([{ type: 'request-resync', reason: 'no-data', have: null, want: { epoch: 3, seq: 0 } }]);
  });

  it('assembles a snapshot, then applies the deltas that came during it', () => {
    const r = run(
      initialState<D>(null),
      { type: 'manifest', epoch: 9, seq: 2, chunkCount: 2, now: 0 },
      delta(9, 3, 1),
      delta(9, 2, 1),
      { type: 'chunk', epoch: 9, n: 1, now: 2 },
      { type: 'chunk', epoch: 9, n: 1, now: 2 },
      { type: 'chunk', epoch: 9, n: 0, now: 3 },
    );
    expect(types(r.actions)).toEqual(['begin-snapshot', 'drop', 'stage-chunk', 'drop', 'stage-chunk', 'commit-snapshot', 'apply-delta']);
    expect(r.state.have).toEqual({ epoch: 9, seq: 3 });
    expect(resyncs(r.actions)).toEqual([]);
  });

  it('replaces the cache when a new epoch arrives, and ignores a redelivered or older manifest', () => {
    const r = run(
      at5,
      { type: 'manifest', epoch: 8, seq: 0, chunkCount: 1, now: 0 },
      { type: 'chunk', epoch: 8, n: 0, now: 0 },
      { type: 'manifest', epoch: 8, seq: 0, chunkCount: 1, now: 1 },
      { type: 'manifest', epoch: 7, seq: 9, chunkCount: 1, now: 1 },
    );
    expect(types(r.actions)).toEqual(['begin-snapshot', 'stage-chunk', 'commit-snapshot', 'drop', 'drop']);
    expect(r.state.have).toEqual({ epoch: 8, seq: 0 });
  });

  it('abandons a stalled snapshot and asks again', () => {
    const r = run(
      initialState<D>(null),
      { type: 'manifest', epoch: 9, seq: 0, chunkCount: 3, now: 0 },
      { type: 'chunk', epoch: 9, n: 0, now: 10 },
      { type: 'tick', now: 10 + o.snapshotStallMs },
    );
    expect(types(r.actions)).toEqual(['begin-snapshot', 'stage-chunk', 'abort-snapshot', 'request-resync']);
    expect(r.state.assembling).toBeNull();
  });

  it('drops chunks of no snapshot in progress', () => {
    expect(run(at5, { type: 'chunk', epoch: 7, n: 0, now: 0 }).actions).toEqual([
      { type: 'drop', reason: 'unexpected-chunk', epoch: 7, seq: 0 },
    ]);
  });

  it('commits an empty snapshot at once', () => {
    const r = run(initialState<D>(null), { type: 'manifest', epoch: 4, seq: 0, chunkCount: 0, now: 0 });
    expect(types(r.actions)).toEqual(['begin-snapshot', 'commit-snapshot']);
    expect(r.state.have).toEqual({ epoch: 4, seq: 0 });
  });

  it('after a failed write, believes the file and asks for a resync at once', () => {
    const r = run(at5, delta(7, 6, 0), { type: 'apply-failed', have: { epoch: 7, seq: 5 }, reason: 'apply-failed', now: 1 });
    expect(r.state.have).toEqual({ epoch: 7, seq: 5 });
    expect(resyncs(r.actions)).toEqual([
      { type: 'request-resync', reason: 'apply-failed', have: { epoch: 7, seq: 5 }, want: { epoch: 7, seq: 6 } },
    ]);
  });

  it('caps the reorder buffer', () => {
    const inputs = Array.from({ length: o.maxBuffered + 1 }, (_, i) => delta(7, 7 + i, 0));
    const r = run(at5, ...inputs);
    expect(r.state.buffer).toHaveLength(o.maxBuffered);
    expect(r.actions.at(-1)).toMatchObject({ type: 'drop', reason: 'buffer-full' });
  });
});
