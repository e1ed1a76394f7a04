// Blanks the photo window of ID-card read answers in a byte stream, for device recordings: the chip's photo (a
// biometric) must never reach a file. Works chunk by chunk, as bytes come off the line, and returns each chunk the
// same length with the photo bytes zeroed; the frame's XOR checksum is corrected as it passes, so a replay of the
// recording decodes the same documents (docs/face-match.md). Bytes outside a read answer pass unchanged.
//
// Frame (research/idcard.md): AA AA AA 96 69 | LEN(2, BE) | SW1 SW2 SW3 | data | CHK, LEN counting everything after
// itself. A read answer's data starts with the lengths: text, photo (30 01) or text, photo, fingerprint (30 10).
const PREAMBLE = [0xaa, 0xaa, 0xaa, 0x96, 0x69];
const SW_OK = 0x90;
const TEXT_LENGTH = 256;

export class PhotoRedactor {
  /** Preamble bytes matched so far (0..5); 5 while inside a frame. */
  private matched = 0;
  /** Position in the current frame (index from the first AA), once the preamble is whole. */
  private pos = 0;
  private head: number[] = [];
  private len = 0;
  /** The photo window [start, end) in frame positions, once known; null: nothing to blank in this frame. */
  private window: [number, number] | null = null;
  private xor = 0;
  /** Photo bytes blanked so far (for the tests and a technician's curiosity: counts only). */
  blanked = 0;

  push(chunk: Uint8Array): Uint8Array {
    const out = Uint8Array.from(chunk);
    for (let i = 0; i < out.length; i++) {
      const b = out[i];
      if (this.matched < PREAMBLE.length) {
        this.hunt(b);
        continue;
      }
      const at = this.pos++;
      if (at < 16) this.head.push(b);
      if (at === 6) this.len = (this.head[5] << 8) | this.head[6];
      if (at === 15) this.window = this.photoWindow();
      if (this.window && at >= this.window[0] && at < this.window[1]) {
        this.xor ^= b;
        out[i] = 0;
        this.blanked++;
      }
      if (at >= 6 && at === 6 + this.len) {
        // The checksum byte: XOR of everything after the preamble, so take the blanked bytes' XOR out of it.
        out[i] = b ^ this.xor;
        this.reset();
      }
    }
    return out;
  }

  private hunt(b: number): void {
    if (b === PREAMBLE[this.matched]) this.matched++;
    // A mismatch restarts the hunt; an AA after three (AA AA AA AA 96 69) keeps the last three.
    else this.matched = b === 0xaa ? (this.matched === 3 ? 3 : 1) : 0;
    if (this.matched === PREAMBLE.length) {
      this.pos = PREAMBLE.length;
      this.head = [...PREAMBLE];
    }
  }

  /** Where the photo is, from the first 16 bytes; null for any frame that is not a well-formed read answer. */
  private photoWindow(): [number, number] | null {
    const h = this.head;
    if (h[9] !== SW_OK) return null;
    const text = (h[10] << 8) | h[11];
    const photo = (h[12] << 8) | h[13];
    if (text !== TEXT_LENGTH || photo === 0) return null;
    if (this.len === 8 + text + photo) return [14 + text, 14 + text + photo];
    const fp = (h[14] << 8) | h[15];
    if (this.len === 10 + text + photo + fp) return [16 + text, 16 + text + photo];
    return null;
  }

  private reset(): void {
    this.matched = 0;
    this.pos = 0;
    this.head = [];
    this.len = 0;
    this.window = null;
    this.xor = 0;
  }
}
