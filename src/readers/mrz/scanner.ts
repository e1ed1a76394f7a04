// The thin I/O loop of an MRZ scanner: transport bytes (serial) or keyboard reports (HID wedge) -> line assembler
// -> parser -> events. The pure parts decide; this only owns the timer that lets the inter-line timeout fire and
// reads the clock. Serial and HID share everything after the keyboard decoder.
import type { Transport } from '../../devices/transport.js';
import { TypedEvents } from '../../util/typed-events.js';
import type { Document } from '../../identity/document.js';
import { HidKeyboardDecoder } from '../hid/keyboard-decoder.js';
import { MrzLineAssembler, type AssemblerOutput, type MrzDiscardReason } from './line-assembler.js';
import { parseMrz } from './parse.js';
import type { MrzError } from './errors.js';
import { readFailure, type ReadFailure } from '../outcome.js';

export interface MrzScannerEvents {
  document: Document;
  /** A complete MRZ block that is not a valid document, with the passenger's reason (src/readers/outcome.ts). */
  rejected: ReadFailure & { error: MrzError };
  discard: { reason: MrzDiscardReason; length: number };
}

export interface MrzScannerOptions {
  /** 'serial': the transport's bytes are text. 'hid': each data event is one keyboard report. */
  input: 'serial' | 'hid';
  interLineTimeoutMs?: number;
  clock?: () => number;
}

export class MrzScanner {
  readonly events = new TypedEvents<MrzScannerEvents>();
  private readonly assembler: MrzLineAssembler;
  private readonly keyboard = new HidKeyboardDecoder();
  private readonly clock: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly transport: Transport,
    private readonly opts: MrzScannerOptions,
  ) {
    this.assembler = new MrzLineAssembler({ interLineTimeoutMs: opts.interLineTimeoutMs });
    this.clock = opts.clock ?? Date.now;
    this.offs.push(transport.events.on('data', (chunk) => this.onData(chunk)));
    // A reconnected keyboard starts with no keys down; a half-typed document is lost with the unplug.
    this.offs.push(transport.events.on('state', (s) => s === 'open' && this.keyboard.reset()));
  }

  /** Feed bytes directly (replay of a recording). */
  onData(chunk: Uint8Array): void {
    const bytes = this.opts.input === 'hid' ? Buffer.from(this.keyboard.feed(chunk), 'latin1') : chunk;
    this.handle(this.assembler.feed(bytes, this.clock()));
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private handle(out: AssemblerOutput[]): void {
    for (const o of out) {
      if (o.kind === 'discard') {
        this.events.emit('discard', { reason: o.reason, length: o.length });
        continue;
      }
      const r = parseMrz(o.text, new Date(this.clock()));
      if (r.ok) this.events.emit('document', r.document);
      else this.events.emit('rejected', { ...readFailure(r.error), error: r.error });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = this.assembler.deadline();
    if (deadline === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.handle(this.assembler.tick(this.clock()));
      },
      Math.max(0, deadline - this.clock()),
    );
  }
}
