// The daemon's end of the MCU link (firmware-bridge/PROTOCOL.md sections 3 and 5): version handshake, one
// outstanding request at a time, ACK wait with retransmission of the same bytes (same sequence number), duplicate
// detection on reports, heartbeats both ways, and a new handshake whenever the session is lost.
// Reports are acknowledged only after the handler has returned, so a report the lane could not commit is sent again.
import { TypedEvents } from '../util/typed-events.js';
import type { Transport } from '../devices/transport.js';
import { BridgeError } from './errors.js';
import { encodeFrame, Framer, type DiscardReason, type Frame } from './frame.js';
import {
  decodeMessage,
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

export type LinkState = 'closed' | 'handshaking' | 'up';
export type HelloReply = MessageOf<'hello-reply'>;
export type McuStatus = MessageOf<'status'>;

export interface LinkEvents {
  state: LinkState;
  up: HelloReply;
  down: BridgeError;
  status: McuStatus;
  discard: { reason: DiscardReason | 'unknown-type' | 'bad-payload' | 'no-session'; bytes: Uint8Array };
  /** A problem that did not take the link down (a NAK we did not expect, a handler failure, a write error). */
  error: BridgeError;
}

export type ReportHandler = (report: Report) => void | Promise<void>;
type Settled = MessageOf<'ack'> | HelloReply;

interface Pending {
  msg: DaemonMessage;
  seq: number;
  bytes: Uint8Array;
  attempts: number;
  resolve(m: Settled): void;
  reject(e: BridgeError): void;
}

export class BridgeLink {
  readonly events = new TypedEvents<LinkEvents>();
  private readonly framer = new Framer();
  private queue: Pending[] = [];
  private inflight: Pending | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private lastReportSeq = -1;
  private reportChain: Promise<void> = Promise.resolve();
  private lastRxAt = 0;
  private _state: LinkState = 'closed';
  private handler: ReportHandler = () => {};
  private offs: (() => void)[] = [];
  private _mcu: HelloReply | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly opts: LinkOptions,
  ) {}

  get state(): LinkState {
    return this._state;
  }

  /** What the MCU said in the last handshake. */
  get mcu(): HelloReply | null {
    return this._mcu;
  }

  onReport(handler: ReportHandler): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    this.offs.push(
      this.transport.events.on('data', (chunk) => this.onData(chunk)),
      this.transport.events.on('state', (s) => {
        if (s !== 'open') this.lose(new BridgeError('transport', `${this.transport.name} is ${s}`));
        else if (this._state === 'handshaking') this.handshake();
      }),
    );
    this.setState('handshaking');
    try {
      await this.transport.open();
    } catch (err) {
      // The transport keeps reopening by itself; the handshake starts when it reports 'open'.
      this.events.emit('error', new BridgeError('transport', `${this.transport.name}: ${(err as Error).message}`, undefined, { cause: err }));
    }
    this.heartbeat = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.handshake();
  }

  async stop(): Promise<void> {
    this.setState('closed');
    for (const t of [this.ackTimer, this.handshakeTimer]) if (t) clearTimeout(t);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ackTimer = this.handshakeTimer = this.heartbeat = null;
    this.failAll(new BridgeError('link-down', 'the link was stopped'));
    for (const off of this.offs.splice(0)) off();
    await this.transport.close();
  }

  /** Resolves when the link is up (or at once if it is). */
  whenUp(): Promise<HelloReply> {
    if (this._state === 'up' && this._mcu) return Promise.resolve(this._mcu);
    return new Promise((resolve) => this.events.once('up', resolve));
  }

  authorise(a: Omit<MessageOf<'authorise'>, 'kind'>): Promise<void> {
    return this.request({ kind: 'authorise', ...a });
  }
  cancel(authId: number): Promise<void> {
    return this.request({ kind: 'cancel', authId });
  }
  setMode(mode: MessageOf<'set-mode'>['mode']): Promise<void> {
    return this.request({ kind: 'set-mode', mode });
  }
  display(d: Omit<MessageOf<'display'>, 'kind'>): Promise<void> {
    return this.request({ kind: 'display', ...d });
  }
  sound(s: Omit<MessageOf<'sound'>, 'kind'>): Promise<void> {
    return this.request({ kind: 'sound', ...s });
  }

  /** Send a sequenced request; resolves on ACK, rejects with BridgeError (nak, no-ack, link-down). */
  async request(msg: Exclude<DaemonMessage, { kind: 'hello' | 'heartbeat' | 'ack' | 'nak' }>): Promise<void> {
    if (this._state !== 'up') throw new BridgeError('link-down', `no session with the MCU (link ${this._state})`);
    await this.enqueue(msg, false);
  }

  /** True while a request waits for its ACK or is queued. */
  get busy(): boolean {
    return this.inflight !== null || this.queue.length > 0;
  }

  private enqueue(msg: DaemonMessage, first: boolean): Promise<Settled> {
    return new Promise((resolve, reject) => {
      const p: Pending = { msg, seq: 0, bytes: new Uint8Array(), attempts: 0, resolve, reject };
      // HELLO goes first; an authorise or cancel overtakes queued display and sound requests (a passenger waits).
      const urgent = msg.kind === 'authorise' || msg.kind === 'cancel';
      const at = first ? 0 : urgent ? this.queue.findIndex((q) => q.msg.kind === 'display' || q.msg.kind === 'sound') : -1;
      if (at >= 0) this.queue.splice(at, 0, p);
      else this.queue.push(p);
      this.pump();
    });
  }

  private pump(): void {
    if (this.inflight || this.queue.length === 0) return;
    const p = this.queue.shift()!;
    this.seq = this.seq >= 255 ? 1 : this.seq + 1;
    p.seq = this.seq;
    p.bytes = encodeFrame(toFrame(p.msg, p.seq));
    this.inflight = p;
    this.transmit(p);
  }

  private transmit(p: Pending): void {
    p.attempts++;
    this.write(p.bytes);
    this.ackTimer = setTimeout(() => this.onAckTimeout(p), this.opts.ackTimeoutMs);
  }

  private onAckTimeout(p: Pending): void {
    if (this.inflight !== p) return;
    if (p.attempts <= this.opts.retries) return this.transmit(p);
    this.settle(p);
    const err = new BridgeError('no-ack', `no answer to ${p.msg.kind} (seq ${p.seq}) after ${p.attempts} attempts`);
    p.reject(err);
    if (p.msg.kind !== 'hello') this.lose(err);
  }

  private settle(p: Pending): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.inflight = null;
    queueMicrotask(() => this.pump());
  }

  private handshake(): void {
    if (this._state !== 'handshaking' || this.handshakeTimer || this.queue.some((p) => p.msg.kind === 'hello') || this.inflight?.msg.kind === 'hello')
      return;
    const { heartbeatMs, watchdogMs, ackTimeoutMs, retries, failMode } = this.opts;
    this.enqueue({ kind: 'hello', major: PROTOCOL_MAJOR, minor: PROTOCOL_MINOR, heartbeatMs, watchdogMs, ackTimeoutMs, retries, failMode }, true).then(
      () => {},
      (err: BridgeError) => this.retryHandshake(err),
    );
  }

  /** Called as the HELLO-REPLY frame is read, before the frames after it: reports that follow belong to the session. */
  private established(reply: HelloReply): void {
    if (this._state === 'closed') return;
    if (reply.major !== PROTOCOL_MAJOR) return this.retryHandshake(new BridgeError('version-mismatch', `the MCU speaks protocol ${reply.major}.${reply.minor}, we speak ${PROTOCOL_MAJOR}.x`));
    this._mcu = reply;
    this.lastReportSeq = -1; // sequence numbers restart with each session
    this.lastRxAt = Date.now();
    this.setState('up');
    this.events.emit('up', reply);
  }

  private retryHandshake(err: BridgeError): void {
    if (this._state === 'closed') return;
    this.events.emit('error', err.code === 'nak' && err.nakReason === 'version' ? new BridgeError('version-mismatch', err.message, 'version') : err);
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = null;
      this.handshake();
    }, this.opts.handshakeRetryMs ?? this.opts.heartbeatMs);
  }

  /** The session is gone: fail what waits, tell the lane, start a new handshake. */
  private lose(err: BridgeError): void {
    if (this._state !== 'up') return;
    this.setState('handshaking');
    this.failAll(new BridgeError('link-down', `session lost: ${err.code}`));
    this.events.emit('down', err);
    this.handshake();
  }

  private failAll(err: BridgeError): void {
    const waiting = this.queue.splice(0);
    if (this.inflight) {
      waiting.unshift(this.inflight);
      this.settle(this.inflight);
    }
    for (const p of waiting) p.reject(err);
  }

  private tick(): void {
    if (this._state === 'closed') return;
    this.write(encodeFrame(toFrame({ kind: 'heartbeat' }, 0)));
    if (this._state === 'up' && Date.now() - this.lastRxAt > this.opts.watchdogMs)
      this.lose(new BridgeError('mcu-silent', `nothing from the MCU for ${Date.now() - this.lastRxAt} ms`));
  }

  private write(bytes: Uint8Array): void {
    this.transport.write(bytes).catch((err) => this.events.emit('error', new BridgeError('transport', String((err as Error).message), undefined, { cause: err })));
  }

  private reply(msg: Message, seq: number): void {
    this.write(encodeFrame(toFrame(msg, seq)));
  }

  private onData(chunk: Uint8Array): void {
    for (const out of this.framer.push(chunk)) {
      if (out.kind === 'discard') this.events.emit('discard', { reason: out.reason, bytes: out.bytes });
      else this.onFrame(out.frame);
    }
  }

  private onFrame(frame: Frame): void {
    this.lastRxAt = Date.now();
    const r = decodeMessage(frame.type, frame.payload);
    if (!r.ok) {
      this.events.emit('discard', { reason: r.reason, bytes: encodeFrame(frame) });
      if (frame.seq !== 0) this.reply({ kind: 'nak', reason: r.reason }, frame.seq);
      return;
    }
    const msg = r.msg;
    switch (msg.kind) {
      case 'ack':
      case 'hello-reply':
      case 'nak': {
        const p = this.inflight;
        if (!p || p.seq !== frame.seq) return; // a late answer to an earlier attempt
        if (msg.kind === 'hello-reply' && p.msg.kind !== 'hello') return;
        this.settle(p);
        if (msg.kind === 'hello-reply') this.established(msg);
        if (msg.kind !== 'nak') return p.resolve(msg);
        p.reject(new BridgeError('nak', `the MCU refused ${p.msg.kind}: ${msg.reason}`, msg.reason));
        if (msg.reason === 'no-session' && p.msg.kind !== 'hello') this.lose(new BridgeError('mcu-reset', 'the MCU no longer knows our session'));
        return;
      }
      case 'status':
        this.events.emit('status', msg);
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
        this.events.emit('discard', { reason: 'unknown-type', bytes: encodeFrame(frame) });
        return;
      default:
        this.handleReport(msg, frame.seq);
    }
  }

  private handleReport(report: Report, seq: number): void {
    // Reports count only inside a session: bytes left in the line from before (a restarted daemon, an old session)
    // stay unacknowledged and the MCU sends them again, numbered in the new session.
    if (this._state !== 'up') return this.events.emit('discard', { reason: 'no-session', bytes: encodeFrame(toFrame(report, seq)) });
    this.reportChain = this.reportChain.then(async () => {
      if (seq === this.lastReportSeq) return this.reply({ kind: 'ack' }, seq); // a retransmission we already handled
      try {
        await this.handler(report);
      } catch (err) {
        // Not acknowledged: the MCU sends it again, and the handler gets another chance.
        this.events.emit('error', new BridgeError('report-unhandled', `report ${report.kind} not handled: ${String((err as Error)?.message ?? err)}`, undefined, { cause: err }));
        return;
      }
      this.lastReportSeq = seq;
      this.reply({ kind: 'ack' }, seq);
    });
  }

  private setState(s: LinkState): void {
    if (s === this._state) return;
    this._state = s;
    this.events.emit('state', s);
  }
}
