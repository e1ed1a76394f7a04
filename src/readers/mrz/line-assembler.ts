// Serial MRZ scanners send a document as 2 or 3 text lines, each vendor framing them its own way (research/mrz.md
// section 4.1): plain lines ending in CR, LF or CRLF; STX ... ETX around the block; 3M's
// `SOH lenLo lenHi "O" "U" STX flag lines ETX BCC` with `_` padding; Access-IS `1C 02 ... 03 1D`; Regula joining
// lines with `^`; a Honeywell imager with one separator between lines and none after the last.
// This state machine turns any of those byte streams into candidate MRZ blocks (2x44, 2x36, 3x30). Chunks may split
// or glue lines anywhere. Time is an input (feed/tick take nowMs): when a document's next line does not come within
// the inter-line timeout, the partial block is dropped, so one lost line never pairs with the next document.
// It never throws: anything it cannot use is reported as a typed discard (a length, never the text: MRZ is personal).
import type { MrzFormat } from './parse.js';

export type MrzDiscardReason =
  | 'noise' // bytes or a line that are no MRZ line (status text, binary garbage)
  | 'bad-length' // a line of MRZ characters whose length is none of 30, 36, 44
  | 'incomplete' // MRZ lines whose block never completed (next frame, a line of another width, a lone second line)
  | 'timeout' // the rest of the block did not arrive within the inter-line timeout
  | 'bad-frame'; // a 3M header that is not SOH len "OU" STX

/** A block's shape: an ICAO format by its line count and width (the CR/CT permits are 3x30 too), or one line of 30. */
export type AssembledFormat = MrzFormat | 'single-30';

export type AssemblerOutput =
  { kind: 'mrz'; format: AssembledFormat; lines: string[]; text: string } | { kind: 'discard'; reason: MrzDiscardReason; length: number };

export interface MrzLineAssemblerOptions {
  /** Max time between the lines of one document (config devices.mrz*.interLineTimeoutMs). */
  interLineTimeoutMs?: number;
}

const SOH = 0x01;
const STX = 0x02;
const ETX = 0x03;
const LINE_ENDS = new Set([0x0a, 0x0d, 0x5e /* ^ Regula */, 0x1c, 0x1d /* Access-IS FS/GS */, 0x04 /* EOT */]);
const MAX_RUN = 128; // longer than any MRZ line with padding: a run this long is noise
const WIDTH_LINES: Record<number, { format: MrzFormat; lines: number }> = {
  30: { format: 'TD1', lines: 3 },
  36: { format: 'TD2', lines: 2 },
  44: { format: 'TD3', lines: 2 },
};

// The upper line of every ICAO format: document code, then the issuing state (letters or fillers); or the code of a
// Chinese permit card (CR/CT, 3x30) whose number follows at once (src/readers/mrz/permit.ts).
const FIRST_LINE = /^(?:[A-Z][A-Z0-9<][A-Z<]{3}|C[RT])/;
// A mainland resident's exit permit (CS/CD) has ONE line of 30: emitted at once, so the lane can tell the passenger
// what to present instead of timing out waiting for two more lines. No ICAO TD1 document code CS/CD is known.
const SINGLE_LINE = /^C[SD][A-Z0-9<]{28}$/;
const MRZ_CHARS = /^[A-Z0-9<]+$/;

type FrameState =
  | { kind: 'none' }
  | { kind: '3m-header'; got: number[] } // after SOH: 2 length bytes, "O", "U", then STX
  | { kind: '3m-flag' } // one flag byte after the STX
  | { kind: '3m-bcc' }; // one check byte after the ETX

export class MrzLineAssembler {
  private run = '';
  private pending: string[] = [];
  private noise = 0;
  private frame: FrameState = { kind: 'none' };
  /** Inside a 3M block: its ETX is followed by a BCC byte to skip. */
  private in3m = false;
  private lastAt: number | null = null;
  private readonly timeoutMs: number;

  constructor(opts: MrzLineAssemblerOptions = {}) {
    this.timeoutMs = opts.interLineTimeoutMs ?? 300;
  }

  /** True while part of a document is held back. */
  get busy(): boolean {
    return this.run.length > 0 || this.pending.length > 0 || this.frame.kind !== 'none';
  }

  /** When tick() should next be called (ms), or null when nothing is held back. */
  deadline(): number | null {
    return this.busy && this.lastAt !== null ? this.lastAt + this.timeoutMs : null;
  }

  feed(bytes: Uint8Array, nowMs: number): AssemblerOutput[] {
    const out = this.tick(nowMs);
    if (bytes.length === 0) return out;
    this.lastAt = nowMs;
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i], out);
    this.endNoise(out);
    return out;
  }

  /** Let time pass: a block whose next line is overdue is completed (last line without terminator) or dropped. */
  tick(nowMs: number): AssemblerOutput[] {
    const out: AssemblerOutput[] = [];
    if (this.lastAt !== null && this.busy && nowMs - this.lastAt >= this.timeoutMs) this.expire(out);
    return out;
  }

  /** The stream ended: whatever is held back is finished now (as if the timeout had passed). */
  flush(): AssemblerOutput[] {
    const out: AssemblerOutput[] = [];
    this.expire(out);
    return out;
  }

  private expire(out: AssemblerOutput[]): void {
    if (this.frame.kind === '3m-header') this.discard(out, 'bad-frame', 1 + this.frame.got.length);
    this.frame = { kind: 'none' };
    this.in3m = false;
    // Scanners that put a separator only between lines end the last line by falling silent.
    this.endLine(out);
    if (this.pending.length) this.dropPending(out, 'timeout');
  }

  private byte(b: number, out: AssemblerOutput[]): void {
    const f = this.frame;
    if (f.kind === '3m-header') {
      if (f.got.length < 4) {
        f.got.push(b);
        return;
      }
      this.frame = { kind: 'none' };
      if (b === STX && f.got[2] === 0x4f /* O */ && f.got[3] === 0x55 /* U */) {
        this.blockStart(out);
        this.in3m = true;
        this.frame = { kind: '3m-flag' };
        return;
      }
      this.discard(out, 'bad-frame', 1 + f.got.length);
      // fall through: this byte is read as ordinary input
    } else if (f.kind === '3m-flag' || f.kind === '3m-bcc') {
      this.frame = { kind: 'none' };
      return;
    }

    if (b >= 0x20 && b <= 0x7e && b !== 0x5e) {
      this.endNoise(out);
      if (this.run.length >= MAX_RUN) {
        this.discard(out, 'noise', this.run.length);
        this.run = '';
      }
      this.run += String.fromCharCode(b);
      return;
    }
    if (LINE_ENDS.has(b)) {
      this.endNoise(out);
      this.endLine(out);
      return;
    }
    switch (b) {
      case SOH:
        this.endNoise(out);
        this.endLine(out);
        this.frame = { kind: '3m-header', got: [] };
        return;
      case STX:
        this.endNoise(out);
        this.blockStart(out);
        return;
      case ETX: {
        this.endNoise(out);
        this.endLine(out);
        if (this.pending.length) this.dropPending(out, 'incomplete');
        // A 3M block is followed by its BCC; STX/ETX and Access-IS blocks are not (their 1D is a line end).
        if (this.in3m) this.frame = { kind: '3m-bcc' };
        this.in3m = false;
        return;
      }
      default:
        // Binary garbage ends the current line: a document line never contains a control byte.
        this.endLine(out);
        this.noise++;
    }
  }

  /** STX (or a 3M header): a new document starts, whatever came before it is incomplete. */
  private blockStart(out: AssemblerOutput[]): void {
    this.endLine(out);
    if (this.pending.length) this.dropPending(out, 'incomplete');
    this.in3m = false;
  }

  private endLine(out: AssemblerOutput[]): void {
    if (this.run.length === 0) return;
    // 3M pads lines with `_` to 30 or 44 characters; copies of scanner output may carry spaces.
    const line = this.run.replace(/[_ ]+$/, '').replace(/^ +/, '');
    this.run = '';
    if (line.length === 0) return;
    const shape = WIDTH_LINES[line.length];
    if (!shape) {
      if (this.pending.length) this.dropPending(out, 'incomplete');
      this.discard(out, MRZ_CHARS.test(line) ? 'bad-length' : 'noise', line.length);
      return;
    }
    if (this.pending.length && this.pending[0].length !== line.length) this.dropPending(out, 'incomplete');
    if (this.pending.length === 0 && SINGLE_LINE.test(line)) {
      out.push({ kind: 'mrz', format: 'single-30', lines: [line], text: line });
      return;
    }
    if (this.pending.length === 0 && !FIRST_LINE.test(line)) {
      // A lower line with no upper line before it: its document's first line was lost.
      this.discard(out, 'incomplete', line.length);
      return;
    }
    this.pending.push(line);
    if (this.pending.length === shape.lines) {
      const lines = this.pending;
      this.pending = [];
      out.push({ kind: 'mrz', format: shape.format, lines, text: lines.join('\n') });
    }
  }

  private dropPending(out: AssemblerOutput[], reason: MrzDiscardReason): void {
    this.discard(
      out,
      reason,
      this.pending.reduce((n, l) => n + l.length, 0),
    );
    this.pending = [];
  }

  private endNoise(out: AssemblerOutput[]): void {
    if (this.noise > 0) {
      this.discard(out, 'noise', this.noise);
      this.noise = 0;
    }
  }

  private discard(out: AssemblerOutput[], reason: MrzDiscardReason, length: number): void {
    out.push({ kind: 'discard', reason, length });
  }
}
