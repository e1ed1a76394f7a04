// Issue 17 in the lane state machine: a staffed-check carries its detail to the decision event and to the MCU
// display (the detail's own code), and a transfer lane asks the decision core as a transfer lane while recording,
// releasing and reporting its passages as entries (siblings and central see an entry).
import { describe, expect, it } from 'vitest';
import { initialLane, stepLane, type LaneCommand, type LaneInput, type LaneState } from '../../src/gate/lane.js';
import { decisionEventSchema } from '../../src/gate/events.js';
import type { LaneDirection } from '../../src/decide/reasons.js';
import { OPEN, PASSPORT } from './support/documents.js';

const TIMING = { passageTimeoutMs: 10_000, resultHoldMs: 3000, guardMs: 2000 };
const T0 = 1_700_000_000_000;

function lane(direction: LaneDirection) {
  let state: LaneState = initialLane({ station: 'TST', direction, mode: 'normal', timing: TIMING, firstAuthId: 100, at: T0 });
  const feed = (input: LaneInput): LaneCommand[] => {
    const out: LaneCommand[] = [];
    const queue = [input];
    for (let i = queue.shift(); i; i = queue.shift()) {
      const step = stepLane(state, i);
      state = step.state;
      for (const c of step.commands) {
        out.push(c);
        if (c.type === 'record-decision') queue.push({ type: 'decision-recorded', at: T0, eventId: 'ev-1' });
        if (c.type === 'record-passage') queue.push({ type: 'passage-recorded', at: T0, consumed: true });
      }
    }
    return out;
  };
  feed({ type: 'link', at: T0, up: true, emergency: false });
  return {
    feed,
    get state() {
      return state;
    },
  };
}
const of = <T extends LaneCommand['type']>(cs: LaneCommand[], type: T) =>
  cs.filter((c): c is Extract<LaneCommand, { type: T }> => c.type === type);

describe('lane: issue 17', () => {
  it('a staffed-check shows its detail on the panel and records it in the decision event', () => {
    const l = lane('entry');
    l.feed({ type: 'document', at: T0, document: PASSPORT, docKey: 'k1' });
    const out = l.feed({
      type: 'decided',
      at: T0,
      decision: { decision: 'reject', reason: 'staffed-check', detail: 'student-outside-journey', ticket: OPEN.ticket },
    });
    const event = of(out, 'record-decision')[0].event;
    expect(event).toMatchObject({ reason: 'staffed-check', detail: 'student-outside-journey', ticketId: 'T-1' });
    expect(
      decisionEventSchema.safeParse({ ...event, eventId: '0190a0e2-8f6b-7c3d-9a4e-1b2c3d4e5f60', seq: 1, station: 'TST', gate: '01' })
        .success,
    ).toBe(true);
    expect(of(out, 'display')[0].display).toMatchObject({ code: 'reject', reason: 'student-outside-journey' });
    expect(of(out, 'authorise')).toEqual([]);
  });

  it('a plain reject carries no detail', () => {
    const l = lane('exit');
    l.feed({ type: 'document', at: T0, document: PASSPORT, docKey: 'k1' });
    const out = l.feed({ type: 'decided', at: T0, decision: { decision: 'reject', reason: 'fare-adjustment', ticket: OPEN.ticket } });
    expect(of(out, 'record-decision')[0].event).not.toHaveProperty('detail');
    expect(of(out, 'display')[0].display).toMatchObject({ code: 'reject', reason: 'fare-adjustment' });
  });

  it('a transfer lane decides as transfer and records, releases and reports an entry', () => {
    const l = lane('transfer');
    const read = l.feed({ type: 'document', at: T0, document: PASSPORT, docKey: 'k1' });
    expect(of(read, 'decide')[0].ctx).toMatchObject({ direction: 'transfer' });
    const opened = l.feed({ type: 'decided', at: T0, decision: OPEN });
    expect(of(opened, 'record-decision')[0].event).toMatchObject({ direction: 'entry', reason: 'ok' });
    expect(of(opened, 'authorise')[0]).toMatchObject({ direction: 'entry', ticketId: 'T-1' });
    l.feed({ type: 'report', at: T0, report: { kind: 'passage-started', authId: 100, direction: 'entry' } });
    const passed = l.feed({ type: 'report', at: T0, report: { kind: 'passage', authId: 100, direction: 'entry', remaining: 0 } });
    expect(of(passed, 'record-passage')[0].event).toMatchObject({ direction: 'entry', outcome: 'passed', ticketId: 'T-1' });
  });
});
