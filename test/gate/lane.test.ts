// The lane state machine on its own: inputs in, commands and transitions out, time as a number.
import { describe, expect, it } from 'vitest';
import { initialLane, stepLane, type LaneCommand, type LaneInput, type LaneState, type LaneTransition } from '../../src/gate/lane.js';
import type { Report } from '../../src/bridge/messages.js';
import { OPEN, PASSPORT, REJECT } from './support/documents.js';

const TIMING = { passageTimeoutMs: 10_000, resultHoldMs: 3000, guardMs: 2000 };

/** Plays the loop: record commands succeed (or fail while `failing`), and their results are fed back. */
class Driver {
  state: LaneState;
  commands: LaneCommand[] = [];
  transitions: LaneTransition[] = [];
  failing = false;
  t = 1_700_000_000_000;
  private eventNo = 0;

  constructor(mode: LaneState['mode'] = 'normal', linkUp = true) {
    this.state = initialLane({ station: 'TST', direction: 'entry', mode, timing: TIMING, firstAuthId: 100, at: this.t });
    if (linkUp) this.feed({ type: 'link', at: this.t, up: true, emergency: false });
    this.commands = [];
  }

  feed(input: LaneInput): LaneCommand[] {
    const queue = [input];
    const out: LaneCommand[] = [];
    for (let i = queue.shift(); i; i = queue.shift()) {
      const step = stepLane(this.state, i);
      this.state = step.state;
      this.transitions.push(...step.transitions);
      for (const c of step.commands) {
        out.push(c);
        const what =
          c.type === 'record-decision' ? 'decision' : c.type === 'record-passage' ? 'passage' : c.type === 'record-alarm' ? 'alarm' : null;
        if (!what) continue;
        if (this.failing) queue.push({ type: 'store-failed', at: this.t, code: 'disk-full', what });
        else if (what === 'decision') queue.push({ type: 'decision-recorded', at: this.t, eventId: `ev-${++this.eventNo}` });
        else if (what === 'passage') queue.push({ type: 'passage-recorded', at: this.t, consumed: true });
      }
    }
    this.commands.push(...out);
    return out;
  }

  read() {
    return this.feed({ type: 'document', at: this.t, document: PASSPORT, docKey: 'k1' });
  }
  decide(d = OPEN) {
    return this.feed({ type: 'decided', at: this.t, decision: d });
  }
  report(r: Report) {
    return this.feed({ type: 'report', at: this.t, report: r });
  }
  tick(ms: number) {
    this.t += ms;
    return this.feed({ type: 'tick', at: this.t });
  }
  get authId() {
    return this.state.passenger?.authId ?? 0;
  }
}

const of = <T extends LaneCommand['type']>(cs: LaneCommand[], type: T) =>
  cs.filter((c): c is Extract<LaneCommand, { type: T }> => c.type === type);

describe('lane', () => {
  it('open: decides, records, authorises one passage, shows train/car/seat; the MCU-confirmed passage consumes the ticket', () => {
    const d = new Driver();
    const read = d.read();
    expect(d.state.phase).toBe('deciding');
    expect(of(read, 'decide')[0].ctx).toMatchObject({ direction: 'entry', mode: 'normal', emergency: false });
    const opened = d.decide();
    expect(of(opened, 'record-decision')[0].event).toMatchObject({
      decision: 'open',
      reason: 'ok',
      ticketId: 'T-1',
      docKey: 'k1',
      train: 'G1234',
    });
    expect(of(opened, 'authorise')[0]).toMatchObject({ authId: 100, direction: 'entry', count: 1, timeoutMs: 10_000 });
    expect(of(opened, 'display')[0].display).toEqual({ code: 'open', reason: 'ok', train: 'G1234', car: '05', seat: '12F' });
    expect(d.state.phase).toBe('authorised');
    d.report({ kind: 'passage-started', authId: 100, direction: 'entry' });
    expect(d.state.phase).toBe('passing');
    const passed = d.report({ kind: 'passage', authId: 100, direction: 'entry', remaining: 0 });
    expect(of(passed, 'record-passage')[0].event).toMatchObject({ outcome: 'passed', ticketId: 'T-1', decisionEventId: 'ev-1' });
    expect(d.state.phase).toBe('done');
    d.tick(3000);
    expect(d.state.phase).toBe('idle');
    expect(d.transitions.map((t) => t.to)).toEqual(['deciding', 'authorised', 'passing', 'done', 'idle']);
  });

  it('an open decision carries its authorisation into the one commit, and the authorise that follows writes nothing more', () => {
    const d = new Driver();
    d.read();
    const cs = d.decide();
    expect(of(cs, 'record-decision')[0].authorisation).toEqual({ authId: 100, direction: 'entry', ticketId: 'T-1', docKey: 'k1' });
    expect(of(cs, 'authorise')[0]).toMatchObject({ authId: 100, remembered: true, decisionEventId: 'ev-1' });
    // A refusal authorises nothing, so it remembers nothing.
    const r = new Driver();
    r.read();
    expect(of(r.decide(REJECT), 'record-decision')[0].authorisation).toBeUndefined();
  });

  it('the lane closed between the decision and its commit: the remembered authorisation is never sent, and its id is not reused', () => {
    const d = new Driver();
    d.read();
    // Step by hand: the decision's commit comes back only after the technician closed the lane.
    const decided = stepLane(d.state, { type: 'decided', at: d.t, decision: OPEN });
    expect(of(decided.commands, 'record-decision')[0].authorisation).toMatchObject({ authId: 100 });
    const closed = stepLane(decided.state, { type: 'set-mode', at: d.t, mode: 'locked' });
    const recorded = stepLane(closed.state, { type: 'decision-recorded', at: d.t, eventId: 'ev-1' });
    expect(of(recorded.commands, 'authorise')).toEqual([]);
    expect(recorded.state.passenger?.authId).toBeNull();
    d.state = recorded.state;
    d.tick(3000);
    d.feed({ type: 'set-mode', at: d.t, mode: 'normal' });
    d.read();
    expect(of(d.decide(), 'authorise')[0]).toMatchObject({ authId: 101, remembered: true });
  });

  it('reject: shows the reason, records the decision, authorises nothing', () => {
    const d = new Driver();
    d.read();
    const cs = d.decide(REJECT);
    expect(of(cs, 'authorise')).toHaveLength(0);
    expect(of(cs, 'display')[0].display).toMatchObject({ code: 'reject', reason: 'not-verified' });
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'not-verified' });
    expect(d.state.phase).toBe('done');
  });

  it('an unreadable document is a reject with the unreadable reason, without the decision function', () => {
    const d = new Driver();
    const cs = d.feed({ type: 'read-failed', at: d.t, reason: 'unreadable' });
    expect(of(cs, 'decide')).toHaveLength(0);
    expect(of(cs, 'display')[0].display).toMatchObject({ code: 'reject', reason: 'unreadable' });
  });

  it('a timeout leaves the ticket valid', () => {
    const d = new Driver();
    d.read();
    d.decide();
    const cs = d.report({ kind: 'passage-timeout', authId: d.authId, direction: 'entry', unused: 1 });
    expect(of(cs, 'record-passage')[0].event).toMatchObject({ outcome: 'timeout', ticketId: 'T-1' });
    expect(d.state.phase).toBe('timeout');
  });

  it('one passenger at a time: a read while authorised does nothing', () => {
    const d = new Driver();
    d.read();
    d.decide();
    expect(d.read()).toEqual([]);
    expect(d.state.phase).toBe('authorised');
  });

  it('emergency: reads are rejected with `emergency`, no lock is sent while it is on, the mode comes back when it clears', () => {
    const d = new Driver('normal');
    const on = d.report({ kind: 'emergency', active: true });
    expect(of(on, 'record-alarm')[0].event).toMatchObject({ type: 'emergency-on', active: true });
    expect(of(on, 'display')[0].display).toMatchObject({ code: 'emergency' });
    const read = d.read();
    expect(of(read, 'decide')).toHaveLength(0);
    expect(of(read, 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'emergency' });
    expect(of(read, 'authorise')).toHaveLength(0);
    d.tick(3000);
    expect(of(d.feed({ type: 'set-mode', at: d.t, mode: 'locked' }), 'set-mode')).toHaveLength(0);
    expect(of(d.feed({ type: 'link', at: d.t, up: true, emergency: true }), 'set-mode')).toHaveLength(0);
    expect(d.commands.some((c) => c.type === 'set-mode' && c.mode !== 'free')).toBe(false);
    const off = d.report({ kind: 'emergency', active: false });
    expect(of(off, 'record-alarm')[0].event).toMatchObject({ type: 'emergency-off', active: false });
    expect(of(off, 'set-mode')[0]).toMatchObject({ mode: 'locked' });
  });

  it('even if the decision function says open during an emergency, the lane does not authorise', () => {
    const d = new Driver();
    d.read();
    d.report({ kind: 'emergency', active: true });
    const cs = d.decide(OPEN);
    expect(of(cs, 'authorise')).toHaveLength(0);
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ reason: 'emergency' });
  });

  it('storage failing: the lane does not open and shows why', () => {
    const d = new Driver();
    d.read();
    d.failing = true;
    const cs = d.decide(OPEN);
    expect(of(cs, 'authorise')).toHaveLength(0);
    expect(of(cs, 'display').at(-1)!.display).toMatchObject({ code: 'fault-storage' });
    expect(d.state.storeFault).toBe('disk-full');
    expect(d.state.phase).toBe('done');
  });

  it('the storage-fault alarm is raised once while writes fail and cleared by the first decision stored after', () => {
    const d = new Driver();
    const storageAlarms = () =>
      of(d.commands, 'record-alarm')
        .map((c) => c.event)
        .filter((e) => e.type === 'storage-fault')
        .map((e) => [e.active, e.detail]);
    d.failing = true;
    for (let i = 0; i < 3; i++) {
      d.read();
      d.decide(REJECT);
      d.tick(TIMING.resultHoldMs + 1);
    }
    expect(storageAlarms()).toEqual([[true, 'disk-full']]);
    d.failing = false;
    d.read();
    d.decide(REJECT);
    expect(d.state.storeFault).toBeNull();
    expect(storageAlarms()).toEqual([
      [true, 'disk-full'],
      [false, 'disk-full'],
    ]);
    d.tick(TIMING.resultHoldMs + 1);
    d.read();
    d.decide(REJECT);
    expect(storageAlarms()).toHaveLength(2); // nothing more to clear
  });

  it('a passage that cannot be recorded is taken again when the MCU repeats it, and consumes the ticket then', () => {
    const d = new Driver();
    d.read();
    d.decide();
    const id = d.authId;
    d.failing = true;
    d.report({ kind: 'passage', authId: id, direction: 'entry', remaining: 0 });
    expect(d.state.phase).toBe('authorised');
    d.failing = false;
    const again = d.report({ kind: 'passage', authId: id, direction: 'entry', remaining: 0 });
    expect(of(again, 'record-passage')[0].event).toMatchObject({ outcome: 'passed', ticketId: 'T-1' });
    expect(d.state.phase).toBe('done');
    expect(d.report({ kind: 'passage', authId: id, direction: 'entry', remaining: 0 })).toEqual([]); // a late duplicate
  });

  it('an MCU reset mid-passage cancels it: the ticket stays valid', () => {
    const d = new Driver();
    d.read();
    d.decide();
    d.report({ kind: 'passage-started', authId: d.authId, direction: 'entry' });
    const cs = d.report({ kind: 'mcu-reset', cause: 'brown-out', bootId: 9 });
    expect(of(cs, 'record-alarm')[0].event).toMatchObject({ type: 'mcu-reset', detail: 'brown-out' });
    expect(of(cs, 'record-passage')[0].event).toMatchObject({ outcome: 'cancelled', ticketId: 'T-1' });
    expect(d.state.phase).toBe('alarm');
  });

  it('when the MCU never says how the passage ended, the lane times it out itself after the guard', () => {
    const d = new Driver();
    d.read();
    d.decide();
    expect(d.tick(11_999)).toEqual([]);
    const cs = d.tick(1);
    expect(of(cs, 'cancel')).toHaveLength(1);
    expect(of(cs, 'record-passage')[0].event).toMatchObject({ outcome: 'timeout' });
    expect(d.state.phase).toBe('timeout');
  });

  it('with the MCU link down, reads are refused and the display says the gate is faulty', () => {
    const d = new Driver('normal', false);
    const cs = d.read();
    expect(of(cs, 'decide')).toHaveLength(0);
    expect(of(cs, 'display')[0].display).toMatchObject({ code: 'fault-link' });
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'gate-mode' });
  });

  it('a passage for an authorisation this process never gave is recorded without consuming any ticket', () => {
    const d = new Driver();
    const cs = d.report({ kind: 'passage', authId: 4242, direction: 'entry', remaining: 0 });
    expect(of(cs, 'record-passage')[0].event).toMatchObject({ outcome: 'passed', ticketId: null, docKey: null });
    expect(d.report({ kind: 'passage', authId: 4242, direction: 'entry', remaining: 0 })).toEqual([]); // delivered again
  });

  it('free mode: a read is an open without authorisation (the lanes are open); locked: a gate-mode reject', () => {
    const free = new Driver('free');
    const cs = free.read();
    expect(of(cs, 'authorise')).toHaveLength(0);
    expect(of(cs, 'display').at(-1)!.display).toMatchObject({ code: 'free' });
    const locked = new Driver('locked');
    expect(of(locked.read(), 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'gate-mode' });
  });

  it('reverse passage during an authorisation withdraws it and raises an alarm; the ticket stays valid', () => {
    const d = new Driver();
    d.read();
    d.decide();
    const cs = d.report({ kind: 'reverse-passage', authId: d.authId, direction: 'entry' });
    expect(of(cs, 'record-alarm')[0].event).toMatchObject({ type: 'reverse-passage', active: true });
    expect(of(cs, 'record-passage')[0].event).toMatchObject({ outcome: 'cancelled' });
    expect(d.state.phase).toBe('alarm');
  });

  it('alarms while idle move the lane to alarm and back to idle after the hold', () => {
    const d = new Driver();
    for (const r of [
      { kind: 'tailgating', authId: 1, direction: 'entry' },
      { kind: 'forced-entry', direction: 'entry' },
      { kind: 'intrusion', direction: 'exit' },
    ] as Report[]) {
      const cs = d.report(r);
      expect(of(cs, 'record-alarm')[0].event.type).toBe(r.kind);
      expect(d.state.phase).toBe('alarm');
      d.tick(3000);
      expect(d.state.phase).toBe('idle');
    }
    expect(of(d.report({ kind: 'door-fault', fault: 'motor', active: true }), 'record-alarm')[0].event).toMatchObject({
      type: 'door-fault',
      detail: 'motor',
    });
    expect(of(d.report({ kind: 'power', state: 'battery' }), 'record-alarm')[0].event).toMatchObject({ type: 'power', active: true });
    expect(of(d.report({ kind: 'watchdog-expired', failMode: 'free' }), 'record-alarm')[0].event).toMatchObject({ type: 'mcu-silent' });
  });

  it('never mutates the state it was given', () => {
    const d = new Driver();
    const before = structuredClone(d.state);
    stepLane(d.state, { type: 'document', at: d.t, document: PASSPORT, docKey: 'k' });
    expect(d.state).toEqual(before);
  });
});

describe('lane release (maintenance test, central release)', () => {
  it('in maintenance mode a release is recorded, authorises one passage, and its passage consumes no ticket', () => {
    const d = new Driver('maintenance');
    const out = d.feed({ type: 'release', at: d.t });
    expect(of(out, 'record-decision')[0].event).toMatchObject({
      decision: 'open',
      reason: 'ok',
      docType: null,
      docKey: null,
      ticketId: null,
    });
    expect(of(out, 'authorise')).toHaveLength(1);
    expect(d.state.phase).toBe('authorised');
    const passed = d.report({ kind: 'passage', authId: d.authId, direction: 'entry', remaining: 0 });
    expect(of(passed, 'record-passage')[0].event).toMatchObject({ outcome: 'passed', ticketId: null });
    expect(d.state.phase).toBe('done');
  });

  it('is refused while locked, in free mode, during the fire alarm, without the MCU, and over a passenger being served', () => {
    for (const mode of ['locked', 'free'] as const) {
      const d = new Driver(mode);
      expect(d.feed({ type: 'release', at: d.t })).toEqual([]);
    }
    const noLink = new Driver('maintenance', false);
    expect(noLink.feed({ type: 'release', at: noLink.t })).toEqual([]);
    const fire = new Driver('maintenance');
    fire.report({ kind: 'emergency', active: true });
    expect(of(fire.feed({ type: 'release', at: fire.t }), 'authorise')).toEqual([]);
    const busy = new Driver();
    busy.read();
    busy.decide();
    expect(busy.feed({ type: 'release', at: busy.t })).toEqual([]);
    expect(busy.state.passenger?.release).toBeUndefined();
  });
});

describe("lane: the passenger's language on their screens", () => {
  const readIn = (d: Driver, language: string | null, docKey = 'k1') =>
    d.feed({ type: 'document', at: d.t, document: PASSPORT, docKey, language });

  it('a reject and an open carry the language of the document holder; the idle screen after them does not', () => {
    const d = new Driver();
    readIn(d, 'ja');
    expect(of(d.decide(REJECT), 'display')[0].display).toEqual({
      code: 'reject',
      reason: 'not-verified',
      train: '',
      car: '',
      seat: '',
      language: 'ja',
    });
    expect(of(d.tick(3000), 'display')[0].display).toEqual({ code: 'idle', reason: 'none', train: '', car: '', seat: '' });
    readIn(d, 'ar', 'k2');
    expect(of(d.decide(), 'display')[0].display).toEqual({
      code: 'open',
      reason: 'ok',
      train: 'G1234',
      car: '05',
      seat: '12F',
      language: 'ar',
    });
  });

  it('without a language (none chosen, an unreadable document) the screen leaves it off: the panel shows Chinese and English', () => {
    const d = new Driver();
    readIn(d, null);
    expect(of(d.decide(REJECT), 'display')[0].display).not.toHaveProperty('language');
    d.tick(3000);
    expect(of(d.feed({ type: 'read-failed', at: d.t, reason: 'unreadable' }), 'display')[0].display).not.toHaveProperty('language');
  });

  it('a read held while the previous passenger walks keeps its own language', () => {
    const d = new Driver();
    readIn(d, 'de');
    d.decide();
    const first = d.authId;
    d.report({ kind: 'passage-started', authId: first, direction: 'entry' });
    readIn(d, 'ko', 'k2');
    d.report({ kind: 'passage', authId: first, direction: 'entry', remaining: 0 });
    expect(of(d.decide(REJECT), 'display')[0].display).toMatchObject({ code: 'reject', language: 'ko' });
  });
});

describe('lane: the next passenger reads while the previous one walks through', () => {
  it('the read is held and decided as soon as the passage is recorded', () => {
    const d = new Driver();
    d.read();
    d.decide();
    const first = d.authId;
    d.report({ kind: 'passage-started', authId: first, direction: 'entry' });
    expect(d.feed({ type: 'document', at: d.t, document: PASSPORT, docKey: 'k2' })).toEqual([]);
    expect(d.state.held?.docKey).toBe('k2');
    const after = d.report({ kind: 'passage', authId: first, direction: 'entry', remaining: 0 });
    expect(of(after, 'record-passage')[0].event).toMatchObject({ outcome: 'passed', docKey: 'k1' });
    expect(of(after, 'decide')).toHaveLength(1);
    expect(d.state).toMatchObject({ phase: 'deciding', held: null });
    expect(d.state.passenger?.docKey).toBe('k2');
  });

  it('a held read expires when the lane stays busy too long (that passenger has gone)', () => {
    const d = new Driver();
    d.read();
    d.decide();
    d.feed({ type: 'document', at: d.t, document: PASSPORT, docKey: 'k2' });
    d.t += 11_000;
    const out = d.report({ kind: 'passage', authId: d.authId, direction: 'entry', remaining: 0 });
    expect(of(out, 'decide')).toEqual([]);
    expect(d.state.held).toBeNull();
  });
});
