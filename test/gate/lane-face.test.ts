// The lane's verifying-face phase on its own (pure): every matcher answer, an answer after the deadline, no answer
// at all, and a matcher that drops mid-request (the loop hands that in as `unavailable`/`disconnected`).
import { describe, expect, it } from 'vitest';
import {
  FACE_RETRY_MS,
  initialLane,
  stepLane,
  type LaneCommand,
  type LaneFaceRules,
  type LaneInput,
  type LaneState,
} from '../../src/gate/lane.js';
import type { FaceAnswer } from '../../src/face/client.js';
import type { Document } from '../../src/identity/document.js';
import { OPEN, PASSPORT, REJECT } from './support/documents.js';

const TIMING = { passageTimeoutMs: 10_000, resultHoldMs: 3000, guardMs: 2000 };
const RULES: LaneFaceRules = { enabled: true, timeoutMs: 1500, noFaceWaitMs: 1000, minScore: 0.75, onUnavailable: 'staffed' };
const CARD: Document = { ...PASSPORT, type: 'cn-resident-id', number: '11010519491231002X', nationality: 'CHN', validTo: null };
const PHOTO = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7 + 3) & 0xff);

class Driver {
  state: LaneState;
  commands: LaneCommand[] = [];
  t = 1_700_000_000_000;
  private n = 0;

  constructor(rules: Partial<LaneFaceRules> = {}) {
    this.state = initialLane({
      station: 'TST',
      direction: 'entry',
      mode: 'normal',
      timing: TIMING,
      firstAuthId: 100,
      at: this.t,
      face: { ...RULES, ...rules },
    });
    this.feed({ type: 'link', at: this.t, up: true, emergency: false });
  }

  feed(input: LaneInput): LaneCommand[] {
    const queue = [input];
    const out: LaneCommand[] = [];
    for (let i = queue.shift(); i; i = queue.shift()) {
      const step = stepLane(this.state, i);
      this.state = step.state;
      for (const c of step.commands) {
        out.push(c);
        if (c.type === 'record-decision') queue.push({ type: 'decision-recorded', at: this.t, eventId: `ev-${++this.n}` });
      }
    }
    this.commands.push(...out);
    return out;
  }

  /** A chip card read and a ticket decision of `open`. */
  present(doc: Document = CARD, photo: Uint8Array | null = PHOTO, decision = OPEN) {
    this.feed({ type: 'document', at: this.t, document: doc, docKey: 'k1', photo });
    return this.feed({ type: 'decided', at: this.t, decision });
  }
  answer(answer: FaceAnswer, requestId = this.lastRequest()?.requestId ?? 'none') {
    return this.feed({ type: 'face-answer', at: this.t, requestId, answer });
  }
  tick(ms: number) {
    this.t += ms;
    return this.feed({ type: 'tick', at: this.t });
  }
  lastRequest() {
    return of(this.commands, 'match-face').at(-1);
  }
}

const of = <T extends LaneCommand['type']>(cs: LaneCommand[], type: T) =>
  cs.filter((c): c is Extract<LaneCommand, { type: T }> => c.type === type);

describe('lane: verifying-face', () => {
  it('a chip card with a good ticket waits for the face: look-at-camera, one match request with the photo and a deadline, nothing recorded or authorised', () => {
    const d = new Driver();
    const cs = d.present();
    expect(d.state.phase).toBe('verifying-face');
    expect(of(cs, 'display').map((c) => c.display.code)).toEqual(['look-at-camera']);
    const req = of(cs, 'match-face');
    expect(req).toHaveLength(1);
    expect(req[0].photo).toBe(PHOTO);
    expect(req[0].deadlineMs).toBe(1500);
    expect(of(cs, 'record-decision')).toEqual([]);
    expect(of(cs, 'authorise')).toEqual([]);
  });

  it('match at or above the threshold: the decision is recorded with face=match and the lane authorises; the photo is dropped', () => {
    const d = new Driver();
    d.present();
    const cs = d.answer({ result: 'match', score: 0.75 });
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'open', reason: 'ok', ticketId: 'T-1', face: 'match' });
    expect(of(cs, 'authorise')).toHaveLength(1);
    expect(d.state.phase).toBe('authorised');
    expect(d.state.passenger?.photo).toBeNull();
  });

  it.each<[string, FaceAnswer]>([
    ['no-match', { result: 'no-match', score: 0.4 }],
    ['liveness-failed', { result: 'liveness-failed' }],
    ['a match below face.minScore', { result: 'match', score: 0.74 }],
  ])('%s: reject face-mismatch (staffed lane), face=no-match, no authorisation, the ticket untouched', (_name, answer) => {
    const d = new Driver();
    d.present();
    const cs = d.answer(answer);
    expect(of(cs, 'record-decision')[0].event).toMatchObject({
      decision: 'reject',
      reason: 'face-mismatch',
      ticketId: null,
      face: 'no-match',
    });
    expect(of(cs, 'display').at(-1)!.display).toMatchObject({ code: 'reject', reason: 'face-mismatch' });
    expect(of(d.commands, 'authorise')).toEqual([]);
    expect(of(d.commands, 'record-passage')).toEqual([]);
    expect(d.state.phase).toBe('done');
    expect(d.state.passenger?.photo).toBeNull();
  });

  it('no-face: asks again after a pause until a face shows; a match then opens', () => {
    const d = new Driver();
    d.present();
    expect(d.answer({ result: 'no-face' })).toEqual([]);
    expect(d.state.phase).toBe('verifying-face');
    expect(d.tick(FACE_RETRY_MS - 1)).toEqual([]);
    const again = d.tick(1);
    expect(of(again, 'match-face')).toHaveLength(1);
    expect(of(d.commands, 'match-face')[0].requestId).not.toBe(of(again, 'match-face')[0].requestId);
    const cs = d.answer({ result: 'match', score: 0.9 });
    expect(of(cs, 'authorise')).toHaveLength(1);
  });

  it('no-face past face.noFaceWaitMs: face-mismatch', () => {
    const d = new Driver();
    d.present();
    for (let i = 0; i < 5; i++) {
      d.answer({ result: 'no-face' });
      d.tick(FACE_RETRY_MS);
    }
    expect(d.state.phase).toBe('verifying-face');
    const cs = d.answer({ result: 'no-face' });
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'face-mismatch', face: 'no-match' });
  });

  it('unavailable (staffed, the default): face-mismatch with face=unavailable and a face-unavailable alarm; the next answer clears it', () => {
    const d = new Driver();
    d.present();
    const cs = d.answer({ result: 'unavailable', detail: 'camera-fault' });
    expect(of(cs, 'record-alarm').map((c) => c.event)).toEqual([
      expect.objectContaining({ type: 'face-unavailable', active: true, detail: 'camera-fault' }),
    ]);
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'face-mismatch', face: 'unavailable' });
    d.tick(3000);
    d.present();
    const again = d.answer({ result: 'unavailable', detail: 'timeout' });
    expect(of(again, 'record-alarm')).toEqual([]); // raised once, not per passenger
    d.tick(3000);
    d.present();
    const back = d.answer({ result: 'match', score: 0.9 });
    expect(of(back, 'record-alarm').map((c) => c.event)).toEqual([expect.objectContaining({ type: 'face-unavailable', active: false })]);
  });

  it('unavailable with face.onUnavailable=open: the ticket decides (open, face=unavailable), with the alarm', () => {
    const d = new Driver({ onUnavailable: 'open' });
    d.present();
    const cs = d.answer({ result: 'unavailable', detail: 'disconnected' });
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'open', reason: 'ok', face: 'unavailable' });
    expect(of(cs, 'authorise')).toHaveLength(1);
    expect(of(cs, 'record-alarm')[0].event).toMatchObject({ type: 'face-unavailable', active: true, detail: 'disconnected' });
  });

  it('a matcher that never answers: at the deadline the lane gives up on its own (unavailable: timeout)', () => {
    const d = new Driver();
    d.present();
    expect(of(d.tick(1499), 'record-decision')).toEqual([]);
    const cs = d.tick(1);
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ reason: 'face-mismatch', face: 'unavailable' });
    expect(of(cs, 'record-alarm')[0].event).toMatchObject({ type: 'face-unavailable', detail: 'timeout' });
  });

  it('an answer after the deadline changes nothing (the lane has moved on)', () => {
    const d = new Driver();
    d.present();
    const id = d.lastRequest()!.requestId;
    d.tick(1500);
    expect(d.state.phase).toBe('done');
    expect(d.answer({ result: 'match', score: 0.99 }, id)).toEqual([]);
    expect(of(d.commands, 'authorise')).toEqual([]);
  });

  it('a disconnect mid-request (the client answers unavailable/disconnected) follows the policy like any outage', () => {
    const d = new Driver();
    d.present();
    const cs = d.answer({ result: 'unavailable', detail: 'disconnected' });
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ reason: 'face-mismatch', face: 'unavailable' });
  });

  it('passports (no chip photo) are not face-checked: their flow is unchanged, face=not-required', () => {
    const d = new Driver();
    d.feed({ type: 'document', at: d.t, document: PASSPORT, docKey: 'k1' });
    const cs = d.feed({ type: 'decided', at: d.t, decision: OPEN });
    expect(of(cs, 'match-face')).toEqual([]);
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'open', face: 'not-required' });
    expect(d.state.phase).toBe('authorised');
  });

  it('a rejected ticket is not face-checked; a chip card without a photo block follows face.onUnavailable without an alarm', () => {
    const d = new Driver();
    const rejected = d.present(CARD, PHOTO, REJECT);
    expect(of(rejected, 'match-face')).toEqual([]);
    expect(of(rejected, 'record-decision')[0].event).toMatchObject({ reason: 'not-verified', face: 'not-required' });
    d.tick(3000);
    const noPhoto = d.present(CARD, null);
    expect(of(noPhoto, 'match-face')).toEqual([]);
    expect(of(noPhoto, 'record-alarm')).toEqual([]);
    expect(of(noPhoto, 'record-decision')[0].event).toMatchObject({ reason: 'face-mismatch', face: 'unavailable' });
  });

  it('face.enabled=false: chip cards open on the ticket alone', () => {
    const d = new Driver({ enabled: false });
    const cs = d.present();
    expect(of(cs, 'match-face')).toEqual([]);
    expect(of(cs, 'authorise')).toHaveLength(1);
  });

  it('the fire alarm during the check: a match afterwards still authorises nobody', () => {
    const d = new Driver();
    d.present();
    d.feed({ type: 'report', at: d.t, report: { kind: 'emergency', active: true } });
    const cs = d.answer({ result: 'match', score: 0.95 });
    expect(of(cs, 'authorise')).toEqual([]);
    expect(of(cs, 'record-decision')[0].event).toMatchObject({ decision: 'reject', reason: 'emergency', face: 'match' });
  });

  it('the next passenger who reads while the face is checked waits (held) and is served after', () => {
    const d = new Driver();
    d.present();
    d.feed({ type: 'document', at: d.t, document: PASSPORT, docKey: 'k2' });
    expect(d.state.phase).toBe('verifying-face');
    expect(d.state.held?.docKey).toBe('k2');
    d.answer({ result: 'no-match' });
    d.tick(3000);
    expect(d.state.passenger?.docKey).toBe('k2');
  });
});
