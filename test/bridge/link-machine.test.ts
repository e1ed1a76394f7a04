// The link machine on its own (src/bridge/link-machine.ts): a state and an input at a time `now` in, the next state
// and the effects out. Each row names the state it starts from, the input, and what must come out; effects are
// written as short lines ("write hello#1" = a HELLO frame with SEQ 1 on the wire), decoded from the bytes written.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BACKLOG_MAX,
  initialLink,
  isIdle,
  stepLink,
  wakeAt,
  type LinkEffect,
  type LinkInput,
  type LinkOptions,
  type LinkState,
} from '../../src/bridge/link-machine.js';
import { encodeFrame, Framer, type Frame } from '../../src/bridge/frame.js';
import { decodeMessage, toFrame, type Message } from '../../src/bridge/messages.js';
import { BridgeError } from '../../src/bridge/errors.js';

const CFG: LinkOptions = { heartbeatMs: 100, watchdogMs: 500, ackTimeoutMs: 50, retries: 2, failMode: 'locked', handshakeRetryMs: 300 };
const T0 = 10_000;
const REPLY: Message = {
  kind: 'hello-reply',
  major: 1,
  minor: 0,
  bootId: 7,
  mode: 'locked',
  emergency: false,
  failsafe: true,
  power: 'mains',
  firmware: 'gcu-1',
};
const PASSAGE: Message = { kind: 'passage', authId: 100, direction: 'entry', remaining: 0 };
const STATUS_OK: Message = {
  kind: 'status',
  mode: 'normal',
  session: true,
  emergency: false,
  failsafe: false,
  power: 'mains',
  remaining: 0,
};
const DISPLAY = { kind: 'display', code: 'idle', reason: 'none', train: '', car: '', seat: '' } as const;

const frame = (msg: Message, seq: number): LinkInput => ({ type: 'frame', frame: toFrame(msg, seq) });

/** One effect as a line: writes are decoded from their bytes, so the line says what went on the wire. */
function line(e: LinkEffect): string {
  switch (e.type) {
    case 'write': {
      const out = new Framer().push(e.bytes);
      if (out.length !== 1 || out[0].kind !== 'frame') return `write <not one frame>`;
      const f = out[0].frame;
      const d = decodeMessage(f.type, f.payload);
      if (!d.ok) return `write <${d.reason}>`;
      const reason = d.msg.kind === 'nak' ? ` ${d.msg.reason}` : '';
      return d.msg.kind === 'heartbeat' ? 'write heartbeat' : `write ${d.msg.kind}#${f.seq}${reason}`;
    }
    case 'resolve':
      return `resolve ${e.id}`;
    case 'reject':
      return `reject ${e.id} ${e.error.code}`;
    case 'state':
      return `state ${e.state}`;
    case 'up':
      return 'up';
    case 'down':
      return `down ${e.error.code}`;
    case 'status':
      return 'status';
    case 'discard':
      return `discard ${e.reason}`;
    case 'error':
      return `error ${e.error.code}`;
    case 'report':
      return `report ${e.report.kind}`;
  }
}

/** Plays inputs from the initial state; `at` is relative to T0. */
function play(inputs: [number, LinkInput][], from = initialLink(T0)): LinkState {
  let s = from;
  for (const [at, input] of inputs) s = stepLink(s, input, T0 + at, CFG).state;
  return s;
}

// Named starting points, each built from the one before by real inputs (never written by hand).
const START: [number, LinkInput][] = [[0, { type: 'start' }]];
const HANDSHAKING: [number, LinkInput][] = [...START, [0, { type: 'transport', state: 'open' }]]; // hello#1 in flight
const UP: [number, LinkInput][] = [...HANDSHAKING, [10, frame(REPLY, 1)]];
const UP_SETMODE: [number, LinkInput][] = [...UP, [20, { type: 'request', id: 1, msg: { kind: 'set-mode', mode: 'normal' } }]]; // #2 in flight, deadline 70
const HANDLING: [number, LinkInput][] = [...UP, [20, frame(PASSAGE, 3)]]; // report id 1 with the handler

const STATES = {
  closed: [] as [number, LinkInput][],
  started: START,
  handshaking: HANDSHAKING,
  up: UP,
  'up, set-mode#2 in flight': UP_SETMODE,
  'set-mode#2 after 2 retransmissions': [...UP_SETMODE, [70, { type: 'ack-timeout' }], [120, { type: 'ack-timeout' }]] as [
    number,
    LinkInput,
  ][],
  'hello#1 after 2 retransmissions': [...HANDSHAKING, [50, { type: 'ack-timeout' }], [100, { type: 'ack-timeout' }]] as [
    number,
    LinkInput,
  ][],
  'waiting to retry the handshake': [
    ...HANDSHAKING,
    ...[50, 100, 150].map((at) => [at, { type: 'ack-timeout' }] as [number, LinkInput]),
    ...[100, 200, 300, 400].map((at) => [at, { type: 'tick' }] as [number, LinkInput]), // heartbeats go on meanwhile
  ] as [number, LinkInput][],
  'up, set-mode#2 in flight, display queued': [...UP_SETMODE, [21, { type: 'request', id: 2, msg: DISPLAY }]] as [number, LinkInput][],
  'handling report#3': HANDLING,
  'report#3 acknowledged': [...HANDLING, [30, { type: 'report-handled', id: 1 }]] as [number, LinkInput][],
  'handling report#3, its retransmission waiting': [...HANDLING, [25, frame(PASSAGE, 3)]] as [number, LinkInput][],
  'handling report#3, session lost and up again': [
    ...HANDLING,
    [25, { type: 'transport', state: 'reconnecting' }],
    [26, { type: 'transport', state: 'open' }],
    [27, frame(REPLY, 2)],
  ] as [number, LinkInput][],
};
type From = keyof typeof STATES;

interface Row {
  name: string;
  from: From;
  /** Fields set on the starting state, where no short input sequence reaches them. */
  given?: Partial<LinkState>;
  at: number;
  input: LinkInput;
  effects: string[];
  state?: Partial<Record<keyof LinkState, unknown>>;
}

const ROWS: Row[] = [
  // Handshake (PROTOCOL.md 5.1)
  {
    name: 'start on a closed port: handshaking, no HELLO into the void',
    from: 'closed',
    at: 0,
    input: { type: 'start' },
    effects: ['state handshaking'],
    state: { phase: 'handshaking', inflight: null, nextHeartbeatAt: T0 + 100 },
  },
  {
    name: 'the port opens: HELLO seq 1 with our timing',
    from: 'started',
    at: 0,
    input: { type: 'transport', state: 'open' },
    effects: ['write hello#1'],
    state: { transportOpen: true, inflight: { id: 'hello', seq: 1, attempts: 1, deadline: T0 + 50 } },
  },
  {
    name: 'the port reports open again while HELLO waits: no second HELLO',
    from: 'handshaking',
    at: 5,
    input: { type: 'transport', state: 'open' },
    effects: [],
  },
  {
    name: "HELLO-REPLY with HELLO's seq: up, a new session",
    from: 'handshaking',
    at: 10,
    input: frame(REPLY, 1),
    effects: ['state up', 'up'],
    state: { phase: 'up', session: 1, lastReportSeq: -1, inflight: null, mcu: REPLY, lastRxAt: T0 + 10 },
  },
  {
    name: 'HELLO-REPLY with another seq: a late answer, ignored',
    from: 'handshaking',
    at: 10,
    input: frame(REPLY, 9),
    effects: [],
    state: { phase: 'handshaking', session: 0 },
  },
  {
    name: 'HELLO-REPLY of major 2: version-mismatch, retry after the pause',
    from: 'handshaking',
    at: 10,
    input: frame({ ...REPLY, major: 2 }, 1),
    effects: ['error version-mismatch'],
    state: { phase: 'handshaking', inflight: null, handshakeRetryAt: T0 + 310 },
  },
  {
    name: 'NAK version to HELLO: version-mismatch, retry after the pause',
    from: 'handshaking',
    at: 10,
    input: frame({ kind: 'nak', reason: 'version' }, 1),
    effects: ['error version-mismatch'],
    state: { handshakeRetryAt: T0 + 310 },
  },
  {
    name: 'an ACK is not an answer to HELLO: it keeps waiting',
    from: 'handshaking',
    at: 10,
    input: frame({ kind: 'ack' }, 1),
    effects: [],
    state: { inflight: { seq: 1 } },
  },
  {
    name: 'HELLO unanswered after every retransmission: error, retry after the pause, no down',
    from: 'hello#1 after 2 retransmissions',
    at: 150,
    input: { type: 'ack-timeout' },
    effects: ['error no-ack'],
    state: { phase: 'handshaking', inflight: null, handshakeRetryAt: T0 + 450 },
  },
  {
    name: 'the pause is over: a new HELLO with the next seq',
    from: 'waiting to retry the handshake',
    at: 450,
    input: { type: 'tick' },
    effects: ['write hello#2'],
    state: { handshakeRetryAt: null },
  },
  {
    name: 'before the pause is over: nothing',
    from: 'waiting to retry the handshake',
    at: 449,
    input: { type: 'tick' },
    effects: [],
    state: { handshakeRetryAt: T0 + 450 },
  },

  // Requests: one outstanding, same bytes on retransmission (3.1, 3.2)
  {
    name: 'a request while handshaking is refused at once: link-down',
    from: 'handshaking',
    at: 5,
    input: { type: 'request', id: 1, msg: { kind: 'set-mode', mode: 'normal' } },
    effects: ['reject 1 link-down'],
    state: { queue: [] },
  },
  {
    name: 'a request while up goes out with the next seq',
    from: 'up',
    at: 20,
    input: { type: 'request', id: 1, msg: { kind: 'set-mode', mode: 'normal' } },
    effects: ['write set-mode#2'],
    state: { seq: 2, inflight: { id: 1, seq: 2, attempts: 1, deadline: T0 + 70 } },
  },
  {
    name: "a second request waits for the first one's answer",
    from: 'up, set-mode#2 in flight',
    at: 21,
    input: { type: 'request', id: 2, msg: DISPLAY },
    effects: [],
    state: { queue: [{ id: 2, msg: DISPLAY }] },
  },
  {
    name: 'an authorise overtakes a queued display (a passenger waits)',
    from: 'up, set-mode#2 in flight, display queued',
    at: 22,
    input: { type: 'request', id: 3, msg: { kind: 'authorise', authId: 5, direction: 'entry', count: 1, timeoutMs: 1000 } },
    effects: [],
    state: { queue: [{ id: 3 }, { id: 2 }] },
  },
  {
    name: 'the ACK settles the request and the next one goes out',
    from: 'up, set-mode#2 in flight, display queued',
    at: 30,
    input: frame({ kind: 'ack' }, 2),
    effects: ['resolve 1', 'write display#3'],
    state: { queue: [], inflight: { id: 2, seq: 3 } },
  },
  {
    name: 'an ACK with another seq is a late answer: ignored',
    from: 'up, set-mode#2 in flight',
    at: 30,
    input: frame({ kind: 'ack' }, 1),
    effects: [],
    state: { inflight: { id: 1, seq: 2 } },
  },
  {
    name: 'an ACK timeout that fires early does nothing',
    from: 'up, set-mode#2 in flight',
    at: 69,
    input: { type: 'ack-timeout' },
    effects: [],
    state: { inflight: { attempts: 1, deadline: T0 + 70 } },
  },
  {
    name: 'no answer in ackTimeoutMs: the same frame again',
    from: 'up, set-mode#2 in flight',
    at: 70,
    input: { type: 'ack-timeout' },
    effects: ['write set-mode#2'],
    state: { inflight: { attempts: 2, deadline: T0 + 120 } },
  },
  {
    name: 'no answer after `retries` retransmissions: no-ack, the session is lost, HELLO',
    from: 'set-mode#2 after 2 retransmissions',
    at: 170,
    input: { type: 'ack-timeout' },
    effects: ['reject 1 no-ack', 'state handshaking', 'down no-ack', 'write hello#3'],
    state: { phase: 'handshaking' },
  },
  {
    name: 'a NAK is final: rejected with its reason, no retransmission',
    from: 'up, set-mode#2 in flight',
    at: 30,
    input: frame({ kind: 'nak', reason: 'emergency' }, 2),
    effects: ['reject 1 nak'],
    state: { phase: 'up', inflight: null },
  },
  {
    name: 'NAK no-session: the MCU lost our session (reboot): down, HELLO',
    from: 'up, set-mode#2 in flight',
    at: 30,
    input: frame({ kind: 'nak', reason: 'no-session' }, 2),
    effects: ['reject 1 nak', 'state handshaking', 'down mcu-reset', 'write hello#3'],
  },
  {
    name: 'a request the wire cannot carry (a 17-character train) is refused before it takes a seq',
    from: 'up',
    at: 20,
    input: { type: 'request', id: 1, msg: { ...DISPLAY, train: 'G1234567890123456' } },
    effects: ['reject 1 unencodable'],
    state: { seq: 1, inflight: null, queue: [] },
  },
  {
    name: 'sequence numbers wrap from 255 to 1, skipping 0',
    from: 'up',
    given: { seq: 255 },
    at: 20,
    input: { type: 'request', id: 1, msg: { kind: 'cancel', authId: 0 } },
    effects: ['write cancel#1'],
  },

  // Reports: acknowledged after the handler, duplicates answered without running it again (3.3)
  {
    name: 'a report goes to the handler, not yet acknowledged',
    from: 'up',
    at: 20,
    input: frame(PASSAGE, 3),
    effects: ['report passage'],
    state: { handling: { id: 1, seq: 3, session: 1 } },
  },
  {
    name: 'the handler returned: ACK, and the seq is remembered',
    from: 'handling report#3',
    at: 30,
    input: { type: 'report-handled', id: 1 },
    effects: ['write ack#3'],
    state: { handling: null, lastReportSeq: 3 },
  },
  {
    name: 'the handler failed: no ACK (the MCU sends it again), the failure told',
    from: 'handling report#3',
    at: 30,
    input: { type: 'report-handled', id: 1, error: new BridgeError('report-unhandled', 'disk full') },
    effects: ['error report-unhandled'],
    state: { handling: null, lastReportSeq: -1 },
  },
  {
    name: 'a retransmission of a handled report: the ACK again, the handler not again',
    from: 'report#3 acknowledged',
    at: 40,
    input: frame(PASSAGE, 3),
    effects: ['write ack#3'],
    state: { handling: null },
  },
  {
    name: 'a retransmission while the handler runs waits its turn',
    from: 'handling report#3',
    at: 25,
    input: frame(PASSAGE, 3),
    effects: [],
    state: { backlog: [{ seq: 3 }] },
  },
  {
    name: 'when the handler returns, the waiting retransmission is answered from memory',
    from: 'handling report#3, its retransmission waiting',
    at: 30,
    input: { type: 'report-handled', id: 1 },
    effects: ['write ack#3', 'write ack#3'],
    state: { backlog: [], handling: null },
  },
  {
    name: 'a handler that returns after the session changed: no ACK into the new session',
    from: 'handling report#3, session lost and up again',
    at: 40,
    input: { type: 'report-handled', id: 1 },
    effects: [],
    state: { lastReportSeq: -1, handling: null },
  },
  {
    name: 'an answer for a handler the machine no longer waits for: ignored',
    from: 'report#3 acknowledged',
    at: 40,
    input: { type: 'report-handled', id: 1 },
    effects: [],
  },
  {
    name: 'a report before the session (stale bytes): discarded unacknowledged',
    from: 'handshaking',
    at: 5,
    input: frame(PASSAGE, 7),
    effects: ['discard no-session'],
  },

  // Frames that are not what they should be (2, 3.3)
  {
    name: 'a sequenced frame of unknown type: discard and NAK unknown-type',
    from: 'up',
    at: 20,
    input: { type: 'frame', frame: { seq: 4, type: 0x55, payload: new Uint8Array() } },
    effects: ['discard unknown-type', 'write nak#4 unknown-type'],
  },
  {
    name: 'a report with a malformed payload: discard and NAK bad-payload',
    from: 'up',
    at: 20,
    input: { type: 'frame', frame: { seq: 4, type: 0x99, payload: new Uint8Array([7]) } },
    effects: ['discard bad-payload', 'write nak#4 bad-payload'],
  },
  {
    name: 'an unsequenced frame we cannot decode: discarded, never answered',
    from: 'up',
    at: 20,
    input: { type: 'frame', frame: { seq: 0, type: 0x55, payload: new Uint8Array() } },
    effects: ['discard unknown-type'],
  },
  {
    name: 'our own message coming back (loopback): NAK unknown-type',
    from: 'up',
    at: 20,
    input: frame({ kind: 'set-mode', mode: 'free' }, 5),
    effects: ['write nak#5 unknown-type', 'discard unknown-type'],
  },

  // Heartbeats and the watchdog (6), on the machine's clock only
  {
    name: 'heartbeat due: HEARTBEAT (seq 0), the next one a period later',
    from: 'up',
    at: 100,
    input: { type: 'tick' },
    effects: ['write heartbeat'],
    state: { nextHeartbeatAt: T0 + 200 },
  },
  {
    name: 'a tick late by several periods: one heartbeat, no catch-up burst',
    from: 'up',
    at: 350,
    input: { type: 'tick' },
    effects: ['write heartbeat'],
    state: { nextHeartbeatAt: T0 + 450 },
  },
  {
    name: 'heartbeat due on a closed port: nothing written, the schedule moves on',
    from: 'started',
    at: 100,
    input: { type: 'tick' },
    effects: [],
    state: { nextHeartbeatAt: T0 + 200 },
  },
  {
    name: 'a STATUS with a session: told, and it counts as life',
    from: 'up',
    at: 300,
    input: frame(STATUS_OK, 0),
    effects: ['status'],
    state: { phase: 'up', lastRxAt: T0 + 300 },
  },
  {
    name: 'a STATUS without a session (reboot or MCU watchdog): down mcu-reset, HELLO',
    from: 'up',
    at: 300,
    input: frame({ ...STATUS_OK, session: false }, 0),
    effects: ['status', 'state handshaking', 'down mcu-reset', 'write hello#2'],
  },
  {
    name: 'silent one ms short of watchdogMs: still up',
    from: 'up',
    at: 509,
    input: { type: 'tick' },
    effects: ['write heartbeat'],
    state: { phase: 'up' },
  },
  {
    name: 'silent for watchdogMs: down mcu-silent, what waited fails, HELLO',
    from: 'up, set-mode#2 in flight',
    at: 510,
    input: { type: 'tick' },
    effects: ['write heartbeat', 'state handshaking', 'reject 1 link-down', 'down mcu-silent', 'write hello#3'],
  },

  // The port and stopping
  {
    name: 'the port closes while up: down transport, what waited fails, no HELLO until it reopens',
    from: 'up, set-mode#2 in flight',
    at: 30,
    input: { type: 'transport', state: 'reconnecting' },
    effects: ['state handshaking', 'reject 1 link-down', 'down transport'],
    state: { transportOpen: false, inflight: null },
  },
  {
    name: 'stop: closed, what waited fails, nothing more to wake for',
    from: 'up, set-mode#2 in flight, display queued',
    at: 30,
    input: { type: 'stop' },
    effects: ['state closed', 'reject 1 link-down', 'reject 2 link-down'],
    state: { phase: 'closed', inflight: null, queue: [] },
  },
];

describe('link machine', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const from = { ...play(STATES[row.from]), ...row.given };
    const out = stepLink(from, row.input, T0 + row.at, CFG);
    expect(out.effects.map(line)).toEqual(row.effects);
    if (row.state) expect(out.state).toMatchObject(row.state);
  });

  it('never changes the state it was given', () => {
    const before = play(UP_SETMODE);
    const copy = structuredClone(before);
    stepLink(before, { type: 'transport', state: 'closed' }, T0 + 30, CFG);
    stepLink(before, frame({ kind: 'ack' }, 2), T0 + 30, CFG);
    expect(before).toEqual(copy);
  });

  it('a retransmission is byte for byte the first transmission', () => {
    const s = play(UP_SETMODE);
    const again = stepLink(s, { type: 'ack-timeout' }, T0 + 70, CFG).effects[0];
    expect(again).toMatchObject({ type: 'write' });
    expect(again.type === 'write' && Buffer.from(again.bytes).toString('hex')).toBe(Buffer.from(s.inflight!.bytes).toString('hex'));
  });

  it('the HELLO carries our timing and fail mode', () => {
    expect(play(HANDSHAKING).inflight?.msg).toEqual({
      kind: 'hello',
      major: 1,
      minor: 1,
      heartbeatMs: 100,
      watchdogMs: 500,
      ackTimeoutMs: 50,
      retries: 2,
      failMode: 'locked',
    });
  });

  it("a request is said in the MCU's minor version: DISPLAY's language only to an MCU that announced 1.1", () => {
    const withLanguage = { ...DISPLAY, code: 'reject', reason: 'not-verified', language: 'ja' } as const;
    const written = (reply: Message) => {
      const s = play([...HANDSHAKING, [10, frame(reply, 1)]]);
      const fx = stepLink(s, { type: 'request', id: 1, msg: withLanguage }, T0 + 20, CFG).effects;
      const w = fx.find((e) => e.type === 'write');
      const f = w?.type === 'write' ? new Framer().push(w.bytes)[0] : undefined;
      if (f?.kind !== 'frame') throw new Error('no frame written');
      return {
        payload: f.frame.payload,
        asOld: decodeMessage(f.frame.type, f.frame.payload, 0),
        asNew: decodeMessage(f.frame.type, f.frame.payload),
      };
    };
    const old = written(REPLY); // minor 0
    expect(old.asOld).toEqual({ ok: true, msg: { kind: 'display', code: 'reject', reason: 'not-verified', train: '', car: '', seat: '' } });
    const current = written({ ...REPLY, minor: 1 });
    expect(current.asNew).toEqual({ ok: true, msg: withLanguage });
    expect(current.asOld).toMatchObject({ ok: false, reason: 'bad-payload' }); // what a 1.0 MCU would have answered
    expect(current.payload.length).toBe(old.payload.length + 3);
  });

  it('holds at most BACKLOG_MAX reports while the handler runs; the MCU retransmits the rest', () => {
    let s = play(HANDLING);
    for (let i = 0; i < BACKLOG_MAX + 3; i++) s = stepLink(s, frame(PASSAGE, 3), T0 + 21, CFG).state;
    expect(s.backlog).toHaveLength(BACKLOG_MAX);
  });

  it('wakeAt is the earliest of heartbeat, ACK deadline, watchdog and handshake pause; null when closed', () => {
    expect(wakeAt(play([]), CFG)).toBeNull();
    expect(wakeAt(play(HANDSHAKING), CFG)).toBe(T0 + 50); // HELLO's ACK deadline before the first heartbeat at 100
    expect(wakeAt(play(UP), CFG)).toBe(T0 + 100); // heartbeat before the watchdog at 510
    const quiet = play([
      ...UP,
      [100, { type: 'tick' }],
      [200, { type: 'tick' }],
      [300, { type: 'tick' }],
      [400, { type: 'tick' }],
      [500, { type: 'tick' }],
    ]);
    expect(wakeAt(quiet, CFG)).toBe(T0 + 510); // the watchdog before the heartbeat at 600
    expect(wakeAt(play(STATES['waiting to retry the handshake']), CFG)).toBe(T0 + 450); // the pause before the heartbeat at 500
    expect(wakeAt(play([...UP, [30, { type: 'stop' }]]), CFG)).toBeNull();
  });

  it('is idle only when nothing is owed in either direction', () => {
    expect(isIdle(play(UP))).toBe(true);
    expect(isIdle(play(HANDSHAKING))).toBe(false); // HELLO in flight
    expect(isIdle(play(UP_SETMODE))).toBe(false);
    expect(isIdle(play([...UP_SETMODE, [30, frame({ kind: 'ack' }, 2)]]))).toBe(true);
    expect(isIdle(play(HANDLING))).toBe(false); // the ACK of report 3 is still owed
    expect(isIdle(play(STATES['report#3 acknowledged']))).toBe(true);
  });

  it('a long session: 1000 requests, every other one needing a retransmission, all settled in order with seq 1..255 cycling', () => {
    let s = play(UP);
    let at = 20;
    const settled: number[] = [];
    const seqs: number[] = [];
    for (let id = 1; id <= 1000; id++) {
      let out = stepLink(s, { type: 'request', id, msg: { kind: 'sound', pattern: 'accept', durationMs: 0 } }, T0 + at, CFG);
      s = out.state;
      if (id % 2 === 0) {
        at += CFG.ackTimeoutMs;
        s = stepLink(s, { type: 'ack-timeout' }, T0 + at, CFG).state;
      }
      seqs.push(s.inflight!.seq);
      out = stepLink(s, frame({ kind: 'ack' }, s.inflight!.seq), T0 + ++at, CFG);
      s = out.state;
      for (const e of out.effects) if (e.type === 'resolve') settled.push(e.id);
      // The MCU's STATUS keeps the watchdog quiet.
      s = stepLink(s, frame(STATUS_OK, 0), T0 + at, CFG).state;
    }
    expect(settled).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(seqs.every((q) => q >= 1 && q <= 255)).toBe(true);
    expect(seqs.slice(0, 256)).toEqual([...Array.from({ length: 254 }, (_, i) => i + 2), 1, 2]);
    expect(s.phase).toBe('up');
  });
});

// Keep the helpers honest: the line for a written frame comes from its bytes.
it('effect lines decode what is written', () => {
  const f: Frame = toFrame({ kind: 'nak', reason: 'busy' }, 9);
  expect(line({ type: 'write', bytes: encodeFrame(f) })).toBe('write nak#9 busy');
});

describe('link machine under any sequence of inputs', () => {
  const msgArb: fc.Arbitrary<Message> = fc.constantFrom<Message>(
    { kind: 'ack' },
    { kind: 'nak', reason: 'busy' },
    { kind: 'nak', reason: 'no-session' },
    { kind: 'nak', reason: 'version' },
    REPLY,
    { ...REPLY, major: 2 } as Message,
    STATUS_OK,
    { ...STATUS_OK, session: false } as Message,
    PASSAGE,
    { kind: 'intrusion', direction: 'exit' },
    { kind: 'set-mode', mode: 'free' },
  );
  const inputArb: fc.Arbitrary<LinkInput> = fc.oneof(
    fc.constant<LinkInput>({ type: 'start' }),
    fc.constant<LinkInput>({ type: 'stop' }),
    fc.constantFrom<LinkInput>({ type: 'transport', state: 'open' }, { type: 'transport', state: 'reconnecting' }),
    fc.constant<LinkInput>({ type: 'ack-timeout' }),
    fc.constant<LinkInput>({ type: 'tick' }),
    fc.record({ msg: msgArb, seq: fc.integer({ min: 0, max: 255 }) }).map(({ msg, seq }) => frame(msg, seq)),
    fc
      .record({ type: fc.integer({ min: 0, max: 255 }), seq: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 12 }) })
      .map((f): LinkInput => ({ type: 'frame', frame: f })),
    fc
      .constantFrom<LinkInput['type']>('request')
      .map((): LinkInput => ({ type: 'request', id: 0, msg: { kind: 'sound', pattern: 'accept', durationMs: 0 } })),
    fc
      .boolean()
      .map((ok): LinkInput => ({ type: 'report-handled', id: 0, error: ok ? undefined : new BridgeError('report-unhandled', 'x') })),
  );

  it('never throws; settles every request exactly once; writes only whole frames; keeps one frame in flight with SEQ 1..255', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(inputArb, fc.integer({ min: 0, max: 400 })), { maxLength: 120 }), (steps) => {
        let s = initialLink(T0);
        let now = T0;
        let nextId = 1;
        const settled = new Map<number, number>();
        const pendingReports: number[] = [];
        const requested: number[] = [];
        for (const [raw, dt] of [...steps, [{ type: 'stop' }, 0] as [LinkInput, number]]) {
          now += dt;
          let input = raw;
          if (input.type === 'request') requested.push((input = { ...input, id: nextId++ }).id);
          if (input.type === 'report-handled') input = { ...input, id: pendingReports.shift() ?? 0 };
          const out = stepLink(s, input, now, CFG);
          s = out.state;
          for (const e of out.effects) {
            if (e.type === 'resolve' || e.type === 'reject') settled.set(e.id, (settled.get(e.id) ?? 0) + 1);
            if (e.type === 'report') pendingReports.push(e.id);
            if (e.type === 'write') expect(new Framer().push(e.bytes).map((o) => o.kind)).toEqual(['frame']);
          }
          if (s.inflight) expect(s.inflight.seq).toBeGreaterThanOrEqual(1);
          if (s.inflight) expect(s.inflight.seq).toBeLessThanOrEqual(255);
          if (s.phase === 'up') expect(s.mcu).not.toBeNull();
          if (s.phase === 'closed') expect(wakeAt(s, CFG)).toBeNull();
          else expect(wakeAt(s, CFG)).not.toBeNull();
        }
        expect(s.phase).toBe('closed');
        for (const id of requested) expect(settled.get(id), `request ${id}`).toBe(1);
        expect(isIdle(s)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
