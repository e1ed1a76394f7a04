// A simulated gate MCU speaking firmware-bridge/PROTOCOL.md over a serial port (the sim end of a pty pair).
// It behaves as the document says a real controller must: sessions opened by HELLO, duplicate detection, reports
// queued until acknowledged, its own watchdog and fail mode, an emergency input the daemon cannot override, reboots
// that lose RAM. Tests and the demo drive its sensors through the methods below and can drop or corrupt frames.
import { randomInt } from 'node:crypto';
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import type { SerialBinding } from '../../src/devices/serial.js';
import { TypedEvents } from '../../src/util/typed-events.js';
import { encodeFrame, Framer, type Frame } from '../../src/bridge/frame.js';
import {
  decodeMessage,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  toFrame,
  type DaemonMessage,
  type Direction,
  type DoorFault,
  type FailMode,
  type Message,
  type MessageOf,
  type Mode,
  type NakReason,
  type PowerState,
  type Report,
  type ResetCause,
  type Sound,
} from '../../src/bridge/messages.js';

export interface SimOptions {
  /** Fail mode used before the first HELLO and after a reboot (the "EEPROM" setting). */
  failMode?: FailMode;
  /** Heartbeat and watchdog used until a HELLO sets them. */
  heartbeatMs?: number;
  /** How long a simulated walk through the lane takes. */
  walkMs?: number;
  firmware?: string;
  /** Protocol major version the sim claims (tests of the version handshake). */
  major?: number;
  /**
   * Protocol minor version the sim implements and claims (default the current one); 0 plays a 1.0 MCU, which
   * refuses a DISPLAY carrying the 1.1 language field with NAK bad-payload.
   */
  minor?: number;
}

export interface Authorisation {
  authId: number;
  direction: Direction;
  remaining: number;
  started: boolean;
}

export interface SimEvents {
  /** A valid message from the daemon. */
  received: DaemonMessage;
  /** A report the sim queued for the daemon. */
  queued: Report;
  /** A report the daemon acknowledged. */
  delivered: Report;
  session: boolean;
  failsafe: FailMode;
}

interface Inflight {
  report: Report;
  seq: number;
  bytes: Uint8Array;
  attempts: number;
  timer: NodeJS.Timeout;
}

export class McuSim {
  readonly events = new TypedEvents<SimEvents>();
  bootId = randomInt(1, 0xffffffff);
  mode: Mode = 'locked';
  session = false;
  failsafe = true;
  emergency = false;
  power: PowerState = 'mains';
  auth: Authorisation | null = null;
  lastDisplay: MessageOf<'display'> | null = null;
  lastSound: Sound | null = null;
  readonly received: DaemonMessage[] = [];
  /**
   * Line faults, each a number of frames still to hit: any frame out (dropTx, corruptTx) or in (dropRx), or only
   * the sim's answers to requests (dropAnswers) and the daemon's ACKs of reports (dropAcks), for tests that must hit
   * exactly that frame while heartbeats flow.
   */
  faults = { dropTx: 0, corruptTx: 0, dropRx: 0, dropAnswers: 0, dropAcks: 0 };

  private readonly framer = new Framer();
  private readonly opts: Required<SimOptions>;
  private params: { heartbeatMs: number; watchdogMs: number; ackTimeoutMs: number; retries: number; failMode: FailMode };
  private txSeq = 0;
  private lastRx: { seq: number; answer: Uint8Array } | null = null;
  private queue: Report[] = [];
  private inflight: Inflight | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private passageTimer: NodeJS.Timeout | null = null;
  private silent = false;
  private closed = false;

  private constructor(
    private readonly port: SerialPortStream,
    opts: SimOptions,
  ) {
    this.opts = {
      failMode: opts.failMode ?? 'locked',
      heartbeatMs: opts.heartbeatMs ?? 500,
      walkMs: opts.walkMs ?? 30,
      firmware: opts.firmware ?? 'sim-1.0.0',
      major: opts.major ?? PROTOCOL_MAJOR,
      minor: opts.minor ?? PROTOCOL_MINOR,
    };
    this.params = { heartbeatMs: this.opts.heartbeatMs, watchdogMs: 3000, ackTimeoutMs: 100, retries: 3, failMode: this.opts.failMode };
    this.mode = this.opts.failMode;
    port.on('data', (d: Buffer) => this.onData(d));
  }

  /** `binding`: the one the pair's ends are opened with (native for ptys, linkedBinding for an in-process pair). */
  static async open(path: string, opts: SimOptions = {}, binding: SerialBinding = autoDetect()): Promise<McuSim> {
    const port = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const sim = new McuSim(port, opts);
    sim.boot('power-on');
    return sim;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    if (this.port.isOpen) await new Promise<void>((r) => this.port.close(() => r()));
  }

  // ---- sensors and inputs -------------------------------------------------------------------------------------

  /** The authorised passenger breaks the entry beam (the passage has started; it can no longer time out). */
  startWalk(): void {
    const a = this.auth;
    if (!a || a.started) return this.intrude();
    a.started = true;
    this.clearPassageTimer();
    this.enqueue({ kind: 'passage-started', authId: a.authId, direction: a.direction });
  }

  /** The passenger clears the exit beam: one passage done. */
  finishWalk(): void {
    const a = this.auth;
    if (!a?.started) return;
    a.remaining--;
    this.enqueue({ kind: 'passage', authId: a.authId, direction: a.direction, remaining: a.remaining });
    if (a.remaining > 0) {
      a.started = false;
      this.armPassageTimer(this.lastTimeoutMs);
    } else this.auth = null;
  }

  /** A passenger walks through: with an authorisation a passage, without one an intrusion. */
  async walkThrough(): Promise<void> {
    if (!this.auth) return this.intrude();
    this.startWalk();
    await sleep(this.opts.walkMs);
    this.finishWalk();
  }

  /** Someone follows the authorised passenger through. */
  async tailgate(): Promise<void> {
    const a = this.auth;
    if (!a) return this.intrude();
    const { authId, direction } = a;
    await this.walkThrough();
    this.enqueue({ kind: 'tailgating', authId, direction });
  }

  /** Someone enters from the other side; an authorisation in effect is withdrawn (the ticket stays valid). */
  reverse(): void {
    const a = this.auth;
    const direction: Direction = (a?.direction ?? 'entry') === 'entry' ? 'exit' : 'entry';
    this.enqueue({ kind: 'reverse-passage', authId: a?.authId ?? 0, direction: a?.direction ?? direction });
    if (a) this.endAuth(false);
  }

  /** The flaps are pushed open by force. */
  forced(direction: Direction = 'entry'): void {
    this.enqueue({ kind: 'forced-entry', direction });
  }

  /** Someone in the lane without an authorisation (jumped, crawled). */
  intrude(direction: Direction = 'entry'): void {
    this.enqueue({ kind: 'intrusion', direction });
  }

  doorFault(fault: DoorFault, active = true): void {
    this.enqueue({ kind: 'door-fault', fault, active });
  }

  /** The fire-alarm input. On: the flaps open for free egress, unstarted authorisations end; nothing re-locks. */
  setEmergency(active: boolean): void {
    if (active === this.emergency) return;
    this.emergency = active;
    if (active) {
      if (this.auth && !this.auth.started) this.endAuth(true);
      this.mode = 'free';
    }
    // Off: stay open (mode free) until the daemon sets a mode.
    this.enqueue({ kind: 'emergency', active });
  }

  setPower(state: PowerState): void {
    if (state === this.power) return;
    this.power = state;
    this.enqueue({ kind: 'power', state });
  }

  /** Reboot: RAM is lost (session, authorisation, queued reports); the MCU starts in its fail mode. */
  reboot(cause: ResetCause = 'software'): void {
    this.clearTimers();
    this.session = false;
    this.auth = null;
    this.queue = [];
    this.inflight = null;
    this.lastRx = null;
    this.bootId = randomInt(1, 0xffffffff);
    this.params = { heartbeatMs: this.opts.heartbeatMs, watchdogMs: 3000, ackTimeoutMs: 100, retries: 3, failMode: this.opts.failMode };
    this.boot(cause);
  }

  /** A hung MCU: sends nothing, ignores everything. */
  silence(on = true): void {
    this.silent = on;
  }

  // ---- protocol ---------------------------------------------------------------------------------------------------

  private boot(cause: ResetCause): void {
    this.failsafe = true;
    this.mode = this.emergency ? 'free' : this.opts.failMode;
    this.enqueue({ kind: 'mcu-reset', cause, bootId: this.bootId });
    if (this.emergency) this.enqueue({ kind: 'emergency', active: true });
    this.restartStatus();
  }

  private restartStatus(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = setInterval(() => this.sendStatus(), this.params.heartbeatMs);
  }

  private sendStatus(): void {
    this.send(
      {
        kind: 'status',
        mode: this.mode,
        session: this.session,
        emergency: this.emergency,
        failsafe: this.failsafe,
        power: this.power,
        remaining: this.auth?.remaining ?? 0,
      },
      0,
    );
  }

  private onData(chunk: Buffer): void {
    if (this.silent || this.closed) return;
    for (const out of this.framer.push(chunk)) {
      if (out.kind !== 'frame') continue; // a real MCU counts these; the daemon's retransmission recovers
      if (this.faults.dropRx > 0) {
        this.faults.dropRx--;
        continue;
      }
      this.onFrame(out.frame);
    }
  }

  private onFrame(frame: Frame): void {
    const r = decodeMessage(frame.type, frame.payload, this.opts.minor);
    if (!r.ok) {
      if (frame.seq !== 0) this.answer(frame.seq, { kind: 'nak', reason: r.reason });
      return;
    }
    const msg = r.msg;
    if (msg.kind === 'ack' || msg.kind === 'nak') {
      if (this.faults.dropAcks > 0 && this.inflight?.seq === frame.seq) return void this.faults.dropAcks--;
      return this.onAnswer(msg, frame.seq);
    }
    if (!isDaemonMessage(msg)) {
      if (frame.seq !== 0) this.answer(frame.seq, { kind: 'nak', reason: 'unknown-type' });
      return;
    }
    this.received.push(msg);
    this.events.emit('received', msg);
    if (this.session) this.feedWatchdog();
    if (msg.kind === 'heartbeat') return;
    if (msg.kind === 'hello') return this.onHello(msg, frame.seq);
    if (!this.session) return this.answer(frame.seq, { kind: 'nak', reason: 'no-session' });
    if (this.lastRx?.seq === frame.seq) return this.write(this.lastRx.answer); // duplicate: answer again, do not execute
    const refusal = this.execute(msg);
    this.answer(frame.seq, refusal ? { kind: 'nak', reason: refusal } : { kind: 'ack' });
  }

  private onHello(msg: MessageOf<'hello'>, seq: number): void {
    if (this.session && this.lastRx?.seq === seq) return this.write(this.lastRx.answer);
    if (msg.major !== this.opts.major) return this.answer(seq, { kind: 'nak', reason: 'version' });
    this.endSession();
    this.params = {
      heartbeatMs: msg.heartbeatMs,
      watchdogMs: msg.watchdogMs,
      ackTimeoutMs: msg.ackTimeoutMs,
      retries: msg.retries,
      failMode: msg.failMode,
    };
    this.session = true;
    this.txSeq = 0;
    this.events.emit('session', true);
    this.answer(seq, {
      kind: 'hello-reply',
      major: this.opts.major,
      minor: this.opts.minor,
      bootId: this.bootId,
      mode: this.mode,
      emergency: this.emergency,
      failsafe: this.failsafe,
      power: this.power,
      firmware: this.opts.firmware,
    });
    this.restartStatus();
    this.feedWatchdog();
    this.pumpReports();
  }

  /** Returns a NAK reason, or null when done. */
  private execute(msg: DaemonMessage): NakReason | null {
    switch (msg.kind) {
      case 'authorise':
        if (this.emergency) return 'emergency';
        // maintenance: closed to passengers, but the technician's test release is authorised.
        if (this.mode !== 'normal' && this.mode !== 'maintenance') return 'mode';
        if (this.auth) return 'busy';
        if (msg.count === 0 || msg.authId === 0) return 'bad-payload';
        this.auth = { authId: msg.authId, direction: msg.direction, remaining: msg.count, started: false };
        this.lastTimeoutMs = msg.timeoutMs;
        this.armPassageTimer(msg.timeoutMs);
        return null;
      case 'cancel':
        if (this.auth && !this.auth.started && (msg.authId === 0 || msg.authId === this.auth.authId)) this.endAuth(false);
        return null;
      case 'set-mode':
        if (this.emergency && msg.mode !== 'free') return 'emergency';
        this.mode = msg.mode;
        this.failsafe = false;
        if (msg.mode !== 'normal' && this.auth && !this.auth.started) this.endAuth(true);
        return null;
      case 'display':
        this.lastDisplay = msg;
        return null;
      case 'sound':
        this.lastSound = msg.pattern;
        return null;
      default:
        return 'unknown-type';
    }
  }

  private lastTimeoutMs = 10_000;

  private armPassageTimer(ms: number): void {
    this.clearPassageTimer();
    this.passageTimer = setTimeout(() => {
      this.passageTimer = null;
      if (this.auth && !this.auth.started) this.endAuth(true);
    }, ms);
  }

  private clearPassageTimer(): void {
    if (this.passageTimer) clearTimeout(this.passageTimer);
    this.passageTimer = null;
  }

  /** End the authorisation; `report` says whether to tell the daemon (passage-timeout with the unused count). */
  private endAuth(report: boolean): void {
    const a = this.auth;
    this.clearPassageTimer();
    this.auth = null;
    if (a && report) this.enqueue({ kind: 'passage-timeout', authId: a.authId, direction: a.direction, unused: a.remaining });
  }

  /** A session ends (new HELLO or watchdog): unstarted authorisations end and are reported; a walk in progress finishes. */
  private endSession(): void {
    if (this.auth && !this.auth.started) this.endAuth(true);
    if (this.inflight) {
      clearTimeout(this.inflight.timer);
      this.queue.unshift(this.inflight.report); // re-sent with a new sequence number in the next session
      this.inflight = null;
    }
    this.lastRx = null;
  }

  private feedWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.onWatchdog(), this.params.watchdogMs);
  }

  private onWatchdog(): void {
    this.watchdog = null;
    if (!this.session) return;
    this.endSession();
    this.session = false;
    this.failsafe = true;
    if (!this.emergency) this.mode = this.params.failMode;
    this.enqueue({ kind: 'watchdog-expired', failMode: this.params.failMode });
    this.events.emit('session', false);
    this.events.emit('failsafe', this.params.failMode);
  }

  private enqueue(report: Report): void {
    this.queue.push(report);
    this.events.emit('queued', report);
    this.pumpReports();
  }

  private pumpReports(): void {
    if (!this.session || this.inflight || this.queue.length === 0) return;
    const report = this.queue.shift()!;
    this.txSeq = this.txSeq >= 255 ? 1 : this.txSeq + 1;
    const bytes = encodeFrame(toFrame(report, this.txSeq));
    this.inflight = { report, seq: this.txSeq, bytes, attempts: 0, timer: setTimeout(() => {}, 0) };
    this.transmitReport();
  }

  private transmitReport(): void {
    const f = this.inflight;
    if (!f) return;
    f.attempts++;
    this.write(f.bytes);
    // After `retries` quick retransmissions, keep trying at the heartbeat rate: a report is never given up.
    const wait = f.attempts <= this.params.retries ? this.params.ackTimeoutMs : this.params.heartbeatMs;
    f.timer = setTimeout(() => this.transmitReport(), wait);
  }

  private onAnswer(msg: MessageOf<'ack'> | MessageOf<'nak'>, seq: number): void {
    const f = this.inflight;
    if (!f || f.seq !== seq) return;
    clearTimeout(f.timer);
    this.inflight = null;
    // A NAK means the daemon cannot decode it; sending it again would not help.
    if (msg.kind === 'ack') this.events.emit('delivered', f.report);
    this.pumpReports();
  }

  private answer(seq: number, msg: Message): void {
    const bytes = encodeFrame(toFrame(msg, seq));
    if (msg.kind !== 'nak' || msg.reason !== 'no-session') this.lastRx = { seq, answer: bytes };
    if (this.faults.dropAnswers > 0) return void this.faults.dropAnswers--;
    this.write(bytes);
  }

  private send(msg: Message, seq: number): void {
    this.write(encodeFrame(toFrame(msg, seq)));
  }

  private write(bytes: Uint8Array): void {
    if (this.silent || this.closed || !this.port.isOpen) return;
    if (this.faults.dropTx > 0) {
      this.faults.dropTx--;
      return;
    }
    let out = Buffer.from(bytes);
    if (this.faults.corruptTx > 0) {
      this.faults.corruptTx--;
      out = Buffer.from(out);
      out[out.length - 1] ^= 0x5a; // flip CRC bits: the daemon must discard it and get a retransmission
      if (out[out.length - 1] === 0x7e || out[out.length - 1] === 0x7d) out[out.length - 1] ^= 0x01;
    }
    this.port.write(out);
  }

  private clearTimers(): void {
    for (const t of [this.watchdog, this.passageTimer]) if (t) clearTimeout(t);
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.inflight) clearTimeout(this.inflight.timer);
    this.watchdog = this.passageTimer = this.statusTimer = null;
  }
}

function isDaemonMessage(m: Message): m is DaemonMessage {
  return ['hello', 'heartbeat', 'authorise', 'cancel', 'set-mode', 'display', 'sound'].includes(m.kind);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
