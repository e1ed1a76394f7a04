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
  // Bytes held back live in store[head, tail): chunks are appended in place instead of re-concatenated, so a
  // 1295-byte answer in 64-byte chunks is copied once, not twenty times.
  private store = new Uint8Array(2048);
  private head = 0;
  private tail = 0;
  /** Inside a partial frame: where the search for a preamble of a frame that cuts it short resumes. */
  private innerScanFrom = 1;
  /** Preambles already found inside the partial frame, re-checked as more bytes arrive. */
  private innerCandidates: number[] = [];
  private readonly maxLen: number;

  constructor(opts: FramerOptions = {}) {
    this.maxLen = Math.min(opts.maxLen ?? MAX_LEN, 0xffff);
  }

  /** Bytes held back while waiting for the rest of a frame. */
  get pending(): number {
    return this.tail - this.head;
  }

  push(chunk: Uint8Array): FramerOutput[] {
    this.append(chunk);
    return this.drain();
  }

  /**
   * The stream ended or the answer timed out: whatever is held back will never become a frame.
   * Reported as `truncated` when it began with a preamble, else as `garbage`.
   */
  flush(): FramerOutput[] {
    if (this.pending === 0) return [];
    const bytes = this.view().slice();
    this.reset();
    return [{ kind: 'discard', reason: isPreamblePrefix(bytes) ? 'truncated' : 'garbage', bytes }];
  }

  reset(): void {
    this.head = this.tail = 0;
    this.resetInner();
  }

  private view(): Uint8Array {
    return this.store.subarray(this.head, this.tail);
  }

  private append(chunk: Uint8Array): void {
    const need = this.tail - this.head + chunk.length;
    if (this.tail + chunk.length > this.store.length) {
      if (need > this.store.length) {
        const bigger = new Uint8Array(Math.max(need, this.store.length * 2));
        bigger.set(this.store.subarray(this.head, this.tail), 0);
        this.store = bigger;
      } else {
        this.store.copyWithin(0, this.head, this.tail);
      }
      this.tail -= this.head;
      this.head = 0;
    }
    this.store.set(chunk, this.tail);
    this.tail += chunk.length;
  }

  private consume(n: number): void {
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
    this.resetInner();
  }

  private resetInner(): void {
    this.innerScanFrom = 1;
    this.innerCandidates = [];
  }

  private drain(): FramerOutput[] {
    const out: FramerOutput[] = [];
    for (;;) {
      const buf = this.view();
      if (buf.length === 0) return out;
      const start =
        buf[0] === 0xaa && buf.length >= PREAMBLE.length && buf[4] === 0x69 && buf[3] === 0x96 && buf[1] === 0xaa && buf[2] === 0xaa
          ? 0
          : indexOfPreamble(buf);
      if (start < 0) {
        // Keep a tail that may be the first bytes of a preamble split across chunks.
        const keep = partialPreambleTail(buf);
        if (buf.length > keep) out.push(discard('garbage', buf.subarray(0, buf.length - keep)));
        this.consume(buf.length - keep);
        return out;
      }
      if (start > 0) {
        out.push(discard('garbage', buf.subarray(0, start)));
        this.consume(start);
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
        const next = this.validFrameInside(buf);
        if (next > 0) {
          out.push(discard('truncated', buf.subarray(0, next)));
          this.consume(next);
          continue;
        }
        return out;
      }
      if (xorChecksum(buf, 5, total - 1) !== buf[total - 1]) {
        this.skipTo(out, 'bad-checksum', total);
        continue;
      }
      out.push({ kind: 'frame', frame: buf.slice(0, total) });
      this.consume(total);
    }
  }

  /** Throw away a bad frame up to the next preamble inside it (it may hide a good frame), or up to `end`. */
  private skipTo(out: FramerOutput[], reason: DiscardReason, end: number): void {
    const buf = this.view();
    const next = indexOfPreamble(buf, 1);
    const cut = next > 0 && next < end ? next : end;
    out.push(discard(reason, buf.subarray(0, cut)));
    this.consume(cut);
  }

  private validFrameInside(buf: Uint8Array): number {
    for (let at = indexOfPreamble(buf, this.innerScanFrom); at > 0; at = indexOfPreamble(buf, at + 1)) this.innerCandidates.push(at);
    this.innerScanFrom = Math.max(1, buf.length - PREAMBLE.length + 1);
    for (const at of this.innerCandidates) {
      if (buf.length - at < HEADER_LENGTH) continue;
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
