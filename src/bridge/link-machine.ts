// The daemon's end of the MCU link (firmware-bridge/PROTOCOL.md sections 3, 5 and 6) as a pure state machine:
// version handshake, one outstanding request at a time, ACK wait with retransmission of the same bytes, duplicate
// detection on reports, heartbeats, the watchdog on the MCU's silence, and a new handshake whenever the session is
// lost. Time is an input (`now`, from a monotonic clock: a wall-clock step must neither fire nor starve the
// watchdog); the machine returns what to write and what to tell, and src/bridge/link.ts does the I/O.
import type { TransportState } from '../devices/transport.js';
import { BridgeError } from './errors.js';
import { encodeFrame, type DiscardReason, type Frame } from './frame.js';
import {
  decodeMessage,
  encodePayload,
  forMinor,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  toFrame,
  type DaemonMessage,
  type FailMode,
  type Message,
  type MessageOf,
  type Report,
} from './messages.js';

export interface LinkOptions {
  heartbeatMs: number;
  /** The MCU falls back to failMode after this long without a frame from us; we call it silent after the same. */
  watchdogMs: number;
  ackTimeoutMs: number;
  retries: number;
  failMode: FailMode;
  /** Pause between handshake rounds while the MCU does not answer (default heartbeatMs). */
  handshakeRetryMs?: number;
}

export type LinkPhase = 'closed' | 'handshaking' | 'up';
export type HelloReply = MessageOf<'hello-reply'>;
export type McuStatus = MessageOf<'status'>;
/** What the lane may ask of the MCU: every sequenced daemon message but the handshake's own HELLO. */
export type LinkRequest = Exclude<DaemonMessage, { kind: 'hello' | 'heartbeat' | 'ack' | 'nak' }>;
export type LinkDiscardReason = DiscardReason | 'unknown-type' | 'bad-payload' | 'no-session';

/** A sequenced frame we send: a lane request (`id` names its promise in the loop) or the handshake's HELLO. */
export interface Outgoing {
  readonly id: number | 'hello';
  readonly msg: LinkRequest | MessageOf<'hello'>;
}

export interface InFlight extends Outgoing {
  readonly seq: number;
  /** The exact bytes sent: a retransmission repeats them (same SEQ), PROTOCOL.md 3.1. */
  readonly bytes: Uint8Array;
  /** Transmissions so far, the first one included. */
  readonly attempts: number;
  /** When the answer is late and the frame goes again (or, after `retries`, gives up). */
  readonly deadline: number;
}

/** A report handed to the loop's handler; acknowledged when the loop says the handler returned. */
export interface Handling {
  readonly id: number;
  readonly seq: number;
  /** The session it arrived in: an answer for an earlier session's report must not go into this one. */
  readonly session: number;
}

export interface LinkState {
  readonly phase: LinkPhase;
  readonly transportOpen: boolean;
  /** The last sequence number we used (1..255, 0 skipped; PROTOCOL.md 3.1). */
  readonly seq: number;
  readonly queue: readonly Outgoing[];
  readonly inflight: InFlight | null;
  /** The SEQ of the last report accepted in this session, -1 for none. */
  readonly lastReportSeq: number;
  /** Counts handshakes that succeeded: a report belongs to the session it arrived in. */
  readonly session: number;
  readonly handling: Handling | null;
  /** Reports (mostly retransmissions) that arrived while the handler was busy, oldest first. */
  readonly backlog: readonly { seq: number; report: Report }[];
  readonly nextReportId: number;
  /** When the last valid frame came from the MCU (the daemon-side watchdog, PROTOCOL.md 6). */
  readonly lastRxAt: number;
  readonly nextHeartbeatAt: number;
  /** While set, the next HELLO waits until then (the MCU did not answer or refused the last one). */
  readonly handshakeRetryAt: number | null;
  readonly mcu: HelloReply | null;
}

export type LinkInput =
  | { type: 'start' }
  | { type: 'stop' }
  /** The port's state changed; `port` names it in the error if the session is lost. */
  | { type: 'transport'; state: TransportState; port?: string }
  | { type: 'frame'; frame: Frame }
  | { type: 'ack-timeout' }
  | { type: 'tick' }
  | { type: 'request'; id: number; msg: LinkRequest }
  /** The handler of report `id` returned (no error) or threw (`error`: the report stays unacknowledged). */
  | { type: 'report-handled'; id: number; error?: BridgeError };

export type LinkEffect =
  | { type: 'write'; bytes: Uint8Array }
  | { type: 'resolve'; id: number }
  | { type: 'reject'; id: number; error: BridgeError }
  | { type: 'state'; state: LinkPhase }
  | { type: 'up'; mcu: HelloReply }
  | { type: 'down'; error: BridgeError }
  | { type: 'status'; status: McuStatus }
  | { type: 'discard'; reason: LinkDiscardReason; bytes: Uint8Array }
  /** A problem that did not take the link down (an unexpected NAK to HELLO, a handler failure). */
  | { type: 'error'; error: BridgeError }
  | { type: 'report'; id: number; report: Report };

export interface LinkStep {
  state: LinkState;
  effects: LinkEffect[];
}

/** Reports held while the handler is busy; the MCU has one outstanding, so more than a few are duplicates. */
export const BACKLOG_MAX = 8;

export function initialLink(now: number): LinkState {
  return {
    phase: 'closed',
    transportOpen: false,
    seq: 0,
    queue: [],
    inflight: null,
    lastReportSeq: -1,
    session: 0,
    handling: null,
    backlog: [],
    nextReportId: 1,
    lastRxAt: now,
    nextHeartbeatAt: now,
    handshakeRetryAt: null,
    mcu: null,
  };
}

/** When the loop must call in (with `ack-timeout` if the frame in flight is due, then `tick`); null: never. */
export function wakeAt(s: LinkState, cfg: LinkOptions): number | null {
  if (s.phase === 'closed') return null;
  const times = [s.nextHeartbeatAt];
  if (s.inflight) times.push(s.inflight.deadline);
  if (s.handshakeRetryAt !== null) times.push(s.handshakeRetryAt);
  if (s.phase === 'up') times.push(s.lastRxAt + cfg.watchdogMs);
  return Math.min(...times);
}

/** Nothing is owed in either direction: no request in flight or queued, no report being handled. */
export function isIdle(s: LinkState): boolean {
  return s.inflight === null && s.queue.length === 0 && s.handling === null && s.backlog.length === 0;
}

type Draft = { -readonly [K in keyof LinkState]: LinkState[K] };

export function stepLink(state: LinkState, input: LinkInput, now: number, cfg: LinkOptions): LinkStep {
  const s: Draft = { ...state };
  const fx: LinkEffect[] = [];
  const m = new Machine(s, fx, now, cfg);
  m.apply(input);
  m.pump();
  return { state: s, effects: fx };
}

/** The step's working copy: mutates the draft (never the caller's state) and collects effects. */
class Machine {
  constructor(
    private readonly s: Draft,
    private readonly fx: LinkEffect[],
    private readonly now: number,
    private readonly cfg: LinkOptions,
  ) {}

  apply(input: LinkInput): void {
    switch (input.type) {
      case 'start':
        if (this.s.phase !== 'closed') return;
        this.s.nextHeartbeatAt = this.now + this.cfg.heartbeatMs;
        this.s.handshakeRetryAt = null;
        this.setPhase('handshaking');
        return this.handshake();
      case 'stop':
        if (this.s.phase === 'closed') return;
        this.setPhase('closed');
        this.s.handshakeRetryAt = null;
        this.s.handling = null; // the loop ignores the answer of a handler still running
        this.s.backlog = [];
        return this.failAll(new BridgeError('link-down', 'the link was stopped'));
      case 'transport':
        this.s.transportOpen = input.state === 'open';
        if (!this.s.transportOpen) return this.lose(new BridgeError('transport', `${input.port ?? 'the port'} is ${input.state}`));
        return this.handshake();
      case 'frame':
        return this.frame(input.frame);
      case 'ack-timeout':
        return this.ackTimeout();
      case 'tick':
        return this.tick();
      case 'request':
        if (this.s.phase !== 'up') {
          this.fx.push({
            type: 'reject',
            id: input.id,
            error: new BridgeError('link-down', `no session with the MCU (link ${this.s.phase})`),
          });
          return;
        }
        try {
          encodePayload(input.msg); // refused here, so a frame in the queue always encodes
        } catch (err) {
          this.fx.push({
            type: 'reject',
            id: input.id,
            error: new BridgeError('unencodable', `${input.msg.kind} cannot go on the wire: ${(err as Error).message}`),
          });
          return;
        }
        return this.enqueue({ id: input.id, msg: input.msg });
      case 'report-handled':
        return this.reportHandled(input.id, input.error);
    }
  }

  /** Send the next queued frame if none is in flight. */
  pump(): void {
    if (this.s.inflight || this.s.queue.length === 0 || this.s.phase === 'closed') return;
    const [next, ...rest] = this.s.queue;
    this.s.queue = rest;
    const seq = this.s.seq >= 255 ? 1 : this.s.seq + 1;
    this.s.seq = seq;
    // Said in the MCU's own minor version: a 1.0 MCU gets DISPLAY without the language it would refuse (PROTOCOL.md 5.1).
    const bytes = encodeFrame(toFrame(forMinor(next.msg, this.s.mcu?.minor ?? 0), seq));
    this.s.inflight = { ...next, seq, bytes, attempts: 1, deadline: this.now + this.cfg.ackTimeoutMs };
    this.write(bytes);
  }

  private enqueue(o: Outgoing): void {
    // HELLO goes first; an authorise or cancel overtakes queued display and sound requests (a passenger waits).
    const q = [...this.s.queue];
    const urgent = o.msg.kind === 'authorise' || o.msg.kind === 'cancel';
    const at = o.id === 'hello' ? 0 : urgent ? q.findIndex((x) => x.msg.kind === 'display' || x.msg.kind === 'sound') : -1;
    if (at >= 0) q.splice(at, 0, o);
    else q.push(o);
    this.s.queue = q;
  }

  private handshake(): void {
    const s = this.s;
    if (s.phase !== 'handshaking' || !s.transportOpen || s.handshakeRetryAt !== null) return;
    if (s.inflight?.id === 'hello' || s.queue.some((o) => o.id === 'hello')) return;
    const { heartbeatMs, watchdogMs, ackTimeoutMs, retries, failMode } = this.cfg;
    this.enqueue({
      id: 'hello',
      msg: { kind: 'hello', major: PROTOCOL_MAJOR, minor: PROTOCOL_MINOR, heartbeatMs, watchdogMs, ackTimeoutMs, retries, failMode },
    });
  }

  private retryHandshake(err: BridgeError): void {
    if (this.s.phase === 'closed') return;
    this.fx.push({
      type: 'error',
      error: err.code === 'nak' && err.nakReason === 'version' ? new BridgeError('version-mismatch', err.message, 'version') : err,
    });
    this.s.handshakeRetryAt = this.now + (this.cfg.handshakeRetryMs ?? this.cfg.heartbeatMs);
  }

  /** The session is gone: fail what waits, tell the lane, start a new handshake. */
  private lose(err: BridgeError): void {
    if (this.s.phase !== 'up') return;
    this.setPhase('handshaking');
    this.s.backlog = [];
    this.failAll(new BridgeError('link-down', `session lost: ${err.code}`));
    this.fx.push({ type: 'down', error: err });
    this.handshake();
  }

  private failAll(err: BridgeError): void {
    const waiting = this.s.inflight ? [this.s.inflight, ...this.s.queue] : [...this.s.queue];
    this.s.inflight = null;
    this.s.queue = [];
    for (const o of waiting) if (o.id !== 'hello') this.fx.push({ type: 'reject', id: o.id, error: err });
  }

  private ackTimeout(): void {
    const p = this.s.inflight;
    if (!p || this.now < p.deadline) return; // answered meanwhile, or a timer that fired early
    if (p.attempts <= this.cfg.retries) {
      this.s.inflight = { ...p, attempts: p.attempts + 1, deadline: this.now + this.cfg.ackTimeoutMs };
      return this.write(p.bytes);
    }
    this.s.inflight = null;
    const err = new BridgeError('no-ack', `no answer to ${p.msg.kind} (seq ${p.seq}) after ${p.attempts} attempts`);
    if (p.id === 'hello') return this.retryHandshake(err);
    this.fx.push({ type: 'reject', id: p.id, error: err });
    this.lose(err);
  }

  private tick(): void {
    const s = this.s;
    if (s.phase === 'closed') return;
    if (s.handshakeRetryAt !== null && this.now >= s.handshakeRetryAt) {
      s.handshakeRetryAt = null;
      this.handshake();
    }
    if (this.now >= s.nextHeartbeatAt) {
      // Nobody hears a heartbeat on a closed port; the MCU's watchdog counts the gap, as it should.
      if (s.transportOpen) this.write(encodeFrame(toFrame({ kind: 'heartbeat' }, 0)));
      const next = s.nextHeartbeatAt + this.cfg.heartbeatMs;
      s.nextHeartbeatAt = next > this.now ? next : this.now + this.cfg.heartbeatMs; // late: no burst of catch-up beats
    }
    const silentFor = this.now - s.lastRxAt;
    if (s.phase === 'up' && silentFor >= this.cfg.watchdogMs)
      this.lose(new BridgeError('mcu-silent', `nothing from the MCU for ${Math.round(silentFor)} ms`));
  }

  private frame(frame: Frame): void {
    if (this.s.phase === 'closed') return;
    this.s.lastRxAt = this.now;
    const r = decodeMessage(frame.type, frame.payload);
    if (!r.ok) {
      this.fx.push({ type: 'discard', reason: r.reason, bytes: encodeFrame(frame) });
      if (frame.seq !== 0) this.reply({ kind: 'nak', reason: r.reason }, frame.seq);
      return;
    }
    const msg = r.msg;
    switch (msg.kind) {
      case 'ack':
      case 'hello-reply':
      case 'nak':
        return this.answer(msg, frame.seq);
      case 'status':
        this.fx.push({ type: 'status', status: msg });
        if (!msg.session) this.lose(new BridgeError('mcu-reset', 'the MCU reports no session (reboot or watchdog)'));
        return;
      case 'hello':
      case 'heartbeat':
      case 'authorise':
      case 'cancel':
      case 'set-mode':
      case 'display':
      case 'sound':
        // Daemon messages coming back: a loopback or a miswired line.
        if (frame.seq !== 0) this.reply({ kind: 'nak', reason: 'unknown-type' }, frame.seq);
        this.fx.push({ type: 'discard', reason: 'unknown-type', bytes: encodeFrame(frame) });
        return;
      default:
        return this.report(msg, frame.seq);
    }
  }

  private answer(msg: Extract<Message, { kind: 'ack' | 'nak' | 'hello-reply' }>, seq: number): void {
    const p = this.s.inflight;
    if (!p || p.seq !== seq) return; // a late answer to an earlier attempt
    // HELLO is answered by HELLO-REPLY or NAK, a request by ACK or NAK; anything else is not its answer.
    if ((msg.kind === 'hello-reply') !== (p.id === 'hello') && msg.kind !== 'nak') return;
    this.s.inflight = null;
    if (msg.kind === 'nak') {
      const err = new BridgeError('nak', `the MCU refused ${p.msg.kind}: ${msg.reason}`, msg.reason);
      if (p.id === 'hello') return this.retryHandshake(err);
      this.fx.push({ type: 'reject', id: p.id, error: err });
      if (msg.reason === 'no-session') this.lose(new BridgeError('mcu-reset', 'the MCU no longer knows our session'));
      return;
    }
    if (msg.kind === 'hello-reply') return this.established(msg);
    if (p.id !== 'hello') this.fx.push({ type: 'resolve', id: p.id });
  }

  /** The HELLO-REPLY is read before the frames after it: reports that follow belong to the session. */
  private established(reply: HelloReply): void {
    if (this.s.phase !== 'handshaking') return;
    if (reply.major !== PROTOCOL_MAJOR)
      return this.retryHandshake(
        new BridgeError('version-mismatch', `the MCU speaks protocol ${reply.major}.${reply.minor}, we speak ${PROTOCOL_MAJOR}.x`),
      );
    this.s.mcu = reply;
    this.s.lastReportSeq = -1; // sequence numbers restart with each session
    this.s.session++;
    this.s.backlog = [];
    this.setPhase('up');
    this.fx.push({ type: 'up', mcu: reply });
  }

  private report(report: Report, seq: number): void {
    // Reports count only inside a session: bytes left in the line from before (a restarted daemon, an old session)
    // stay unacknowledged and the MCU sends them again, numbered in the new session.
    if (this.s.phase !== 'up') {
      this.fx.push({ type: 'discard', reason: 'no-session', bytes: encodeFrame(toFrame(report, seq)) });
      return;
    }
    if (this.s.handling || this.s.backlog.length) {
      // Handled in arrival order once the handler is free; beyond the bound the MCU's retransmission brings it again.
      if (this.s.backlog.length < BACKLOG_MAX) this.s.backlog = [...this.s.backlog, { seq, report }];
      return;
    }
    this.accept(report, seq);
  }

  /** A report reaches the front: answer a retransmission at once, hand a new one to the handler. */
  private accept(report: Report, seq: number): void {
    if (seq === this.s.lastReportSeq) return this.reply({ kind: 'ack' }, seq); // handled already: the ACK was lost
    const id = this.s.nextReportId;
    this.s.nextReportId = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    this.s.handling = { id, seq, session: this.s.session };
    this.fx.push({ type: 'report', id, report });
  }

  private reportHandled(id: number, error: BridgeError | undefined): void {
    const h = this.s.handling;
    if (!h || h.id !== id) return;
    this.s.handling = null;
    if (error) this.fx.push({ type: 'error', error });
    // Not acknowledged on failure: the MCU sends it again and the handler gets another chance. Nor when the session
    // changed meanwhile: the MCU sends it again in the new session, with a new SEQ (PROTOCOL.md 5.3).
    else if (this.s.phase === 'up' && h.session === this.s.session) {
      this.s.lastReportSeq = h.seq;
      this.reply({ kind: 'ack' }, h.seq);
    }
    while (!this.s.handling && this.s.backlog.length) {
      const [next, ...rest] = this.s.backlog;
      this.s.backlog = rest;
      this.accept(next.report, next.seq);
    }
  }

  private reply(msg: Message, seq: number): void {
    this.write(encodeFrame(toFrame(msg, seq)));
  }

  private write(bytes: Uint8Array): void {
    this.fx.push({ type: 'write', bytes });
  }

  private setPhase(p: LinkPhase): void {
    if (p === this.s.phase) return;
    this.s.phase = p;
    this.fx.push({ type: 'state', state: p });
  }
}
