// The thin I/O loop around the session machine: frames from the transport go to a waiter, one command at a time
// goes out, and the machine's effects become events. Nothing here decides anything.
import type { Document } from '../../identity/document.js';
import type { Transport } from '../../devices/transport.js';
import { Mutex, Waitress } from '../../devices/waitress.js';
import { errorLine, GateError } from '../../util/gate-error.js';
import { TypedEvents } from '../../util/typed-events.js';
import { readFailure, type ReadFailure } from '../outcome.js';
import { IdCardFramer, type DiscardReason } from './framer.js';
import { buildCommand, parseResponse, type CommandName, type Response, type Result } from './codec.js';
import { ReaderError } from './errors.js';
import { initialSession, step, wakeAt, type SessionConfig, type SessionInput, type SessionState, type Step } from './session.js';

export interface IdCardReaderEvents {
  document: Document;
  /** The same read with the chip's photo block, for the face check (emitted just before `document`). Never log it. */
  card: { document: Document; photo: Uint8Array | null };
  /** A failed read step, a card that cannot be decoded, a write that failed. The loop carries on. */
  /** A device or line problem (timeouts, SAM statuses, bad frames): the session retries; the status shows it. */
  error: GateError;
  /** A card that was read but is not a valid card: the reason for the passenger (src/readers/outcome.ts). */
  rejected: ReadFailure;
  'card-removed': undefined;
  /** The reader answered a command with a well-formed frame (whatever its status): the line is alive. */
  answer: undefined;
  'sam-reset': undefined;
  /** Bytes the framer threw away, or a valid frame nobody asked for (`unexpected`). Counts only, no content. */
  discard: { reason: DiscardReason | 'unexpected'; length: number };
}

export interface IdCardReaderOptions {
  session: SessionConfig;
  /** Milliseconds; injected so tests run on fake timers. */
  clock?: () => number;
}

export class IdCardReader {
  readonly events = new TypedEvents<IdCardReaderEvents>();
  private readonly framer = new IdCardFramer();
  private readonly waitress = new Waitress<Uint8Array>();
  private readonly mutex = new Mutex();
  private readonly clock: () => number;
  private state: SessionState;
  private running = false;
  private offData?: () => void;
  private sleeper?: { timer: ReturnType<typeof setTimeout>; resolve: () => void };
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    private readonly opts: IdCardReaderOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.state = initialSession(this.clock());
  }

  get session(): SessionState {
    return this.state;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.offData = this.transport.events.on('data', (chunk) => this.onData(chunk));
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.offData?.();
    this.waitress.cancelAll();
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
    }
    await this.loopDone;
  }

  /** Send one command and wait for its answer (serialised with every other request on this link). */
  request(command: CommandName, timeoutMs: number): Promise<Result<Response> | { ok: false; error: GateError }> {
    return this.mutex.run(async () => {
      const answer = this.waitress.waitFor((frame) => {
        const parsed = parseResponse(command, frame);
        // A frame of another command's shape is a late answer to an earlier, timed-out request: not ours.
        return !parsed.ok && parsed.error.code === 'unexpected-response' ? undefined : parsed;
      }, timeoutMs);
      try {
        await this.transport.write(buildCommand(command));
      } catch (err) {
        this.waitress.cancelAll();
        await answer;
        // The command never reached the reader: its own code (not a timeout), recovered by reopening the port.
        return {
          ok: false,
          error: err instanceof GateError ? err : new ReaderError('write-failed', `${command} not written: ${errorLine(err)}`),
        };
      }
      const got = await answer;
      if (got !== 'timeout') {
        this.events.emit('answer', undefined);
        return got;
      }
      // Whatever half-frame is buffered now belongs to the answer that never completed.
      for (const d of this.framer.flush())
        if (d.kind === 'discard') this.events.emit('discard', { reason: d.reason, length: d.bytes.length });
      return { ok: false, error: new ReaderError('timeout', `no answer to ${command} within ${timeoutMs} ms`) };
    });
  }

  private onData(chunk: Uint8Array): void {
    for (const out of this.framer.push(chunk)) {
      if (out.kind === 'discard') this.events.emit('discard', { reason: out.reason, length: out.bytes.length });
      else if (!this.waitress.resolve(out.frame)) this.events.emit('discard', { reason: 'unexpected', length: out.frame.length });
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.transport.state === 'open') await this.run({ type: 'tick', now: this.clock() });
      const wake = wakeAt(this.state) ?? this.clock() + this.opts.session.pollIntervalMs;
      const delay = this.transport.state === 'open' ? wake - this.clock() : this.opts.session.pollIntervalMs;
      if (this.running) await this.sleep(Math.max(1, delay));
    }
  }

  private async run(input: SessionInput): Promise<void> {
    let out: Step = step(this.state, input, this.opts.session);
    for (;;) {
      this.state = out.state;
      let send: { command: CommandName; timeoutMs: number } | undefined;
      for (const e of out.effects) {
        if (e.type === 'send') send = e;
        else if (e.type === 'document') {
          this.events.emit('card', { document: e.document, photo: e.photo ?? null });
          this.events.emit('document', e.document);
        } else if (e.type === 'error') this.events.emit('error', e.error);
        else if (e.type === 'rejected') this.events.emit('rejected', readFailure(e.error));
        else this.events.emit(e.type, undefined);
      }
      if (!send) return;
      const result = await this.request(send.command, send.timeoutMs);
      const now = this.clock();
      const timedOut = !result.ok && result.error.code === 'timeout';
      out = step(this.state, timedOut ? { type: 'timeout', now } : { type: 'answer', now, result }, this.opts.session);
      if (!this.running) {
        this.state = out.state;
        return;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleeper = {
        resolve,
        timer: setTimeout(() => {
          this.sleeper = undefined;
          resolve();
        }, ms),
      };
    });
  }
}
