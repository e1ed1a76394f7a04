// The thin I/O loop around the link machine (link-machine.ts): bytes from the transport go through the framer into
// the machine, the machine's effects become writes, settled promises and events, and one timer wakes the machine
// when it asked to be woken. Nothing here decides anything. Inputs are handled one at a time to completion, so a
// listener that calls back into the link (the lane sets the mode on `up`) queues behind the input being handled.
// Reports are acknowledged only after the handler has returned, so a report the lane could not commit comes again.
import { TypedEvents } from '../util/typed-events.js';
import type { Transport } from '../devices/transport.js';
import { BridgeError } from './errors.js';
import { Framer } from './frame.js';
import type { MessageOf, Report } from './messages.js';
import {
  initialLink,
  isIdle,
  stepLink,
  wakeAt,
  type HelloReply,
  type LinkDiscardReason,
  type LinkEffect,
  type LinkInput,
  type LinkOptions,
  type LinkPhase,
  type LinkRequest,
  type LinkState as LinkMachineState,
  type McuStatus,
} from './link-machine.js';

export type { HelloReply, LinkOptions, LinkRequest, McuStatus };
/** The link's phase, as the lane and the tools see it. */
export type LinkState = LinkPhase;

export interface BridgeLinkOptions extends LinkOptions {
  /** Milliseconds on a monotonic clock (default performance.now); injected so tests can drive time. */
  clock?: () => number;
}

export interface LinkEvents {
  state: LinkState;
  up: HelloReply;
  down: BridgeError;
  status: McuStatus;
  discard: { reason: LinkDiscardReason; bytes: Uint8Array };
  /** A problem that did not take the link down (a NAK we did not expect, a handler failure, a write error). */
  error: BridgeError;
}

export type ReportHandler = (report: Report) => void | Promise<void>;

export class BridgeLink {
  readonly events = new TypedEvents<LinkEvents>();
  private readonly framer = new Framer();
  private readonly clock: () => number;
  private machine: LinkMachineState;
  private readonly waiting = new Map<number, { resolve(): void; reject(e: BridgeError): void }>();
  private nextRequestId = 1;
  private readonly inbox: LinkInput[] = [];
  private draining = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt: number | null = null;
  private idleWaiters: (() => void)[] = [];
  private handler: ReportHandler = () => {};
  private offs: (() => void)[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly opts: BridgeLinkOptions,
  ) {
    this.clock = opts.clock ?? (() => performance.now());
    this.machine = initialLink(this.clock());
  }

  get state(): LinkState {
    return this.machine.phase;
  }

  /** What the MCU said in the last handshake. */
  get mcu(): HelloReply | null {
    return this.machine.mcu;
  }

  /** The machine's state, for diagnostics and tests (read only). */
  get snapshot(): LinkMachineState {
    return this.machine;
  }

  onReport(handler: ReportHandler): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    if (this.machine.phase !== 'closed') return; // started already: one set of listeners
    this.offs.push(
      this.transport.events.on('data', (chunk) => this.onData(chunk)),
      this.transport.events.on('state', (state) => this.dispatch({ type: 'transport', state, port: this.transport.name })),
    );
    this.dispatch({ type: 'start' });
    try {
      await this.transport.open();
    } catch (err) {
      // The transport keeps reopening by itself; the handshake starts when it reports 'open'.
      this.events.emit(
        'error',
        new BridgeError('transport', `${this.transport.name}: ${(err as Error).message}`, undefined, { cause: err }),
      );
    }
    if (this.machine.phase !== 'closed') this.dispatch({ type: 'transport', state: this.transport.state, port: this.transport.name });
  }

  async stop(): Promise<void> {
    this.dispatch({ type: 'stop' });
    for (const off of this.offs.splice(0)) off();
    await this.transport.close();
  }

  /** Resolves when the link is up (or at once if it is). */
  whenUp(): Promise<HelloReply> {
    const mcu = this.machine.mcu;
    if (this.machine.phase === 'up' && mcu) return Promise.resolve(mcu);
    return new Promise((resolve) => this.events.once('up', resolve));
  }

  /**
   * Settles when nothing is owed in either direction: no request in flight or queued (each has its ACK, NAK or
   * failure) and no report being handled (its ACK is written). At once if that holds now.
   */
  get idle(): Promise<void> {
    if (isIdle(this.machine)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** True while a request waits for its ACK or is queued. */
  get busy(): boolean {
    return this.machine.inflight !== null || this.machine.queue.length > 0;
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
  request(msg: LinkRequest): Promise<void> {
    const id = this.nextRequestId++;
    const settled = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.dispatch({ type: 'request', id, msg });
    return settled;
  }

  private onData(chunk: Uint8Array): void {
    for (const out of this.framer.push(chunk)) {
      if (out.kind === 'discard') this.events.emit('discard', { reason: out.reason, bytes: out.bytes });
      else this.dispatch({ type: 'frame', frame: out.frame });
    }
  }

  /** Feed one input; inputs that arrive while effects run (from listeners) wait their turn. */
  private dispatch(input: LinkInput): void {
    this.inbox.push(input);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.inbox.shift(); next; next = this.inbox.shift()) {
        const out = stepLink(this.machine, next, this.clock(), this.opts);
        this.machine = out.state;
        for (const e of out.effects) this.run(e);
      }
    } finally {
      this.draining = false;
    }
    this.arm();
    if (this.idleWaiters.length && isIdle(this.machine)) for (const w of this.idleWaiters.splice(0)) w();
  }

  private run(e: LinkEffect): void {
    switch (e.type) {
      case 'write':
        this.transport
          .write(e.bytes)
          .catch((err: unknown) =>
            this.events.emit('error', new BridgeError('transport', String((err as Error)?.message ?? err), undefined, { cause: err })),
          );
        return;
      case 'resolve':
      case 'reject': {
        const w = this.waiting.get(e.id);
        this.waiting.delete(e.id);
        if (e.type === 'resolve') w?.resolve();
        else w?.reject(e.error);
        return;
      }
      case 'report':
        void this.handle(e.id, e.report);
        return;
      case 'state':
        return this.events.emit('state', e.state);
      case 'up':
        return this.events.emit('up', e.mcu);
      case 'down':
        return this.events.emit('down', e.error);
      case 'status':
        return this.events.emit('status', e.status);
      case 'discard':
        return this.events.emit('discard', { reason: e.reason, bytes: e.bytes });
      case 'error':
        return this.events.emit('error', e.error);
    }
  }

  private async handle(id: number, report: Report): Promise<void> {
    let error: BridgeError | undefined;
    try {
      await Promise.resolve(); // after the input that brought the report has been handled to the end
      await this.handler(report);
    } catch (err) {
      error = new BridgeError(
        'report-unhandled',
        `report ${report.kind} not handled: ${String((err as Error)?.message ?? err)}`,
        undefined,
        { cause: err },
      );
    }
    this.dispatch({ type: 'report-handled', id, error });
  }

  /** One timer, set for the machine's next deadline (ACK wait, heartbeat, watchdog, handshake pause). */
  private arm(): void {
    const at = wakeAt(this.machine, this.opts);
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null) return;
    this.timer = setTimeout(() => this.wake(), Math.max(1, Math.ceil(at - this.clock())));
  }

  private wake(): void {
    this.timer = null;
    this.timerAt = null;
    const inflight = this.machine.inflight;
    if (inflight && this.clock() >= inflight.deadline) this.dispatch({ type: 'ack-timeout' });
    this.dispatch({ type: 'tick' });
  }
}
