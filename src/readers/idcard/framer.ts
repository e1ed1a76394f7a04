// Cuts the reader's byte stream into frames. Chunks arrive split and glued at any byte; line noise may come
// before a preamble or inside a frame. The framer resynchronises on the next preamble, reports what it threw away
// as a typed discard, and never throws (zwave-js SerialAPIParser, libosdp osdp_phy.c rescans).
import { HEADER_LENGTH, MAX_LEN, MIN_LEN, PREAMBLE, frameLen, indexOfPreamble, xorChecksum } from './frame.js';

export type DiscardReason = 'garbage' | 'bad-checksum' | 'bad-length' | 'truncated';

export type FramerOutput = { kind: 'frame'; frame: Uint8Array } | { kind: 'discard'; reason: DiscardReason; bytes: Uint8Array };

export interface FramerOptions {
  /** Largest LEN accepted; a larger one is a corrupt header, not a frame to wait for. */
  maxLen?: number;
}

export class IdCardFramer {
  private buf: Uint8Array = new Uint8Array(0);
  private readonly maxLen: number;

  constructor(opts: FramerOptions = {}) {
    this.maxLen = Math.min(opts.maxLen ?? MAX_LEN, 0xffff);
  }

  /** Bytes held back while waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): FramerOutput[] {
    this.buf = this.buf.length === 0 ? Uint8Array.from(chunk) : concat(this.buf, chunk);
    return this.drain();
  }

  /**
   * The stream ended or the answer timed out: whatever is held back will never become a frame.
   * Reported as `truncated` when it began with a preamble, else as `garbage`.
   */
  flush(): FramerOutput[] {
    if (this.buf.length === 0) return [];
    const bytes = this.buf;
    this.buf = new Uint8Array(0);
    return [{ kind: 'discard', reason: isPreamblePrefix(bytes) ? 'truncated' : 'garbage', bytes }];
  }

  reset(): void {
    this.buf = new Uint8Array(0);
  }

  private drain(): FramerOutput[] {
    const out: FramerOutput[] = [];
    for (;;) {
      const buf = this.buf;
      const start = indexOfPreamble(buf);
      if (start < 0) {
        // Keep a tail that may be the first bytes of a preamble split across chunks.
        const keep = partialPreambleTail(buf);
        if (buf.length > keep) out.push(discard('garbage', buf.subarray(0, buf.length - keep)));
        this.buf = buf.subarray(buf.length - keep);
        return out;
      }
      if (start > 0) {
        out.push(discard('garbage', buf.subarray(0, start)));
        this.buf = buf.subarray(start);
        continue;
      }
      if (buf.length < HEADER_LENGTH) return out;
      const len = frameLen(buf);
      if (len < MIN_LEN || len > this.maxLen) {
        // Drop only the header: what follows is scanned again, it may hold the real next frame.
        this.skipTo(out, 'bad-length', HEADER_LENGTH);
        continue;
      }
      const total = HEADER_LENGTH + len;
      if (buf.length < total) {
        // A complete valid frame starting inside this one means this one was cut short (a reader reset mid-answer).
        const next = this.validFrameInside(buf, buf.length);
        if (next > 0) {
          out.push(discard('truncated', buf.subarray(0, next)));
          this.buf = buf.subarray(next);
          continue;
        }
        return out;
      }
      if (xorChecksum(buf, 5, total - 1) !== buf[total - 1]) {
        this.skipTo(out, 'bad-checksum', total);
        continue;
      }
      out.push({ kind: 'frame', frame: buf.slice(0, total) });
      this.buf = buf.subarray(total);
    }
  }

  /** Throw away a bad frame up to the next preamble inside it (it may hide a good frame), or up to `end`. */
  private skipTo(out: FramerOutput[], reason: DiscardReason, end: number): void {
    const next = indexOfPreamble(this.buf, 1);
    const cut = next > 0 && next < end ? next : end;
    out.push(discard(reason, this.buf.subarray(0, cut)));
    this.buf = this.buf.subarray(cut);
  }

  private validFrameInside(buf: Uint8Array, end: number): number {
    for (let at = indexOfPreamble(buf, 1); at > 0 && at < end; at = indexOfPreamble(buf, at + 1)) {
      if (buf.length - at < HEADER_LENGTH) return -1;
      const len = frameLen(buf, at);
      if (len < MIN_LEN || len > this.maxLen) continue;
      const total = HEADER_LENGTH + len;
      if (buf.length - at >= total && xorChecksum(buf, at + 5, at + total - 1) === buf[at + total - 1]) return at;
    }
    return -1;
  }
}

function discard(reason: DiscardReason, bytes: Uint8Array): FramerOutput {
  return { kind: 'discard', reason, bytes: Uint8Array.from(bytes) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Length of the longest suffix of buf that is a proper prefix of the preamble. */
function partialPreambleTail(buf: Uint8Array): number {
  for (let n = Math.min(PREAMBLE.length - 1, buf.length); n > 0; n--) {
    let match = true;
    for (let i = 0; i < n; i++) {
      if (buf[buf.length - n + i] !== PREAMBLE[i]) {
        match = false;
        break;
      }
    }
    if (match) return n;
  }
  return 0;
}

function isPreamblePrefix(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, PREAMBLE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== PREAMBLE[i]) return false;
  return true;
}
